"""``sitwatch docs [NAME]``: where sitwatch's documentation is, or one document.

Messages, ``--help`` and the config's comments name documents as `sitwatch docs NAME`, which
works wherever sitwatch is installed: a wheel or pipx install carries a copy of the repository's
``docs/`` inside the package (:func:`sitwatch.data.shipped`), which this command finds, and a
user who never saw the repository has no ``docs/`` folder. The README's ``docs/NAME.md`` is
taken too (tests/unit/test_doc_names.py keeps ``docs/NAME.md`` out of the messages)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sitwatch.cli.common import EXIT_CONFIG, EXIT_OK, err


def _title(path: Path) -> str:
    """A document's first heading (its file name when it has none)."""
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.startswith("# "):
                return line[2:].strip()
    return path.name


def _name(given: str) -> str:
    """``protocol``, ``protocol.md`` and ``docs/protocol.md`` all name the same document."""
    name = given.strip().removeprefix("./").removeprefix("docs/")
    return name.removesuffix(".md").lower()


def run(args: argparse.Namespace) -> int:
    from sitwatch.data import shipped

    folder = shipped("docs")
    docs = sorted(folder.glob("*.md")) if folder.is_dir() else []
    if not docs:
        err(f"no documentation was installed with this sitwatch (looked in {folder}); "
            "the source distribution has it in docs/")
        return EXIT_CONFIG
    if not args.name:
        print(f"sitwatch's documentation, in {folder}:")
        width = max(len(d.stem) for d in docs)
        for d in docs:
            print(f"  {d.stem:<{width}}  {_title(d)}")
        print("`sitwatch docs NAME` prints one (e.g. `sitwatch docs protocol | less`); "
              "--path gives its file.")
        return EXIT_OK
    doc = folder / f"{_name(args.name)}.md"
    if not doc.is_file():
        err(f"no document named {args.name!r}: one of {', '.join(d.stem for d in docs)}")
        return EXIT_CONFIG
    if args.path:
        print(doc)
    else:
        sys.stdout.write(doc.read_text(encoding="utf-8"))
    return EXIT_OK
