"""The command line: ``sitwatch COMMAND``. :mod:`sitwatch.cli.main` parses and dispatches through
an explicit table of commands; each command lives in a module of its own."""

from sitwatch.cli.main import main

__all__ = ["main"]
