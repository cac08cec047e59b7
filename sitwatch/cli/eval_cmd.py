"""``sitwatch eval``: the detectors measured on the labelled recordings in shared/datasets.

The report goes to stdout (docs/accuracy.md is made of it); each step is announced on stderr
as it starts, since a full run takes minutes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sitwatch.cli.common import EXIT_OK


def progress(step: str) -> None:
    """One line on stderr per step of the evaluation."""
    print(f"sitwatch eval: {step}...", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    from sitwatch.evaluation.report import default_shared, report

    shared = Path(args.shared) if args.shared else default_shared()
    print(report(shared, markdown=args.markdown, lopo=not args.quick, progress=progress))
    return EXIT_OK
