"""``sitwatch COMMAND``: parse the command line and dispatch through an explicit table.

Every command is a module of :mod:`sitwatch.cli` with ``register(subparsers)``, which adds its
parser and points it at the module's ``run(args) -> int``. Command modules import only argparse
and :mod:`sitwatch.cli.common` at the top; what a command needs is imported inside its ``run``,
so ``sitwatch --help`` stays quick and cushion-only runs never load the camera stack.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import Any

from sitwatch import __version__
from sitwatch.cli import (
    calibrate,
    camera_flags,
    config_cmd,
    control,
    demo,
    doctor,
    eval_cmd,
    guidance,
    layouts,
    record,
    replay,
    report,
    run,
    simulate,
    status,
)
from sitwatch.cli.common import EXIT_INTERRUPTED, EXIT_OK

# In the order `sitwatch --help` lists them.
COMMANDS: tuple[Callable[[Any], None], ...] = (
    run.register,
    demo.register,
    replay.register,
    record.register,
    simulate.register,
    calibrate.register,
    status.register,
    control.register,  # snooze, pause, resume
    doctor.register,
    report.register,
    camera_flags.register_model,  # model fetch | path
    eval_cmd.register,
    config_cmd.register,
    layouts.register,
    guidance.register,
)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="sitwatch",
        description="Watch how you sit on a pressure-sensing cushion and get nudged at the right "
        "moment. A wellness tool, not a medical device.",
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    p.set_defaults(config=None, no_user_config=False, verbose=0)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        metavar="FILE",
        default=argparse.SUPPRESS,
        help="config file (default: ~/.config/sitwatch/sitwatch.toml)",
    )
    common.add_argument(
        "--no-user-config",
        action="store_true",
        default=argparse.SUPPRESS,
        help="ignore the user's config file",
    )
    common.add_argument(
        "-v", "--verbose", action="count", default=argparse.SUPPRESS, help="more log output"
    )
    for a in common._actions:
        p._add_action(a)
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    _add = sub.add_parser

    def add_parser(name: str, **kw: Any) -> argparse.ArgumentParser:
        return _add(name, parents=[common], **kw)

    sub.add_parser = add_parser  # type: ignore[method-assign]
    for register in COMMANDS:
        register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_OK
    import logging

    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    try:
        code = int(args.func(args))
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
        return code
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`sitwatch status --json | head -c 10`): not an error of ours.
        # Point stdout at /dev/null so the interpreter's last flush does not complain either.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
