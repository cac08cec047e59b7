"""``sitwatch demo``: the real daemon against a virtual cushion, a whole office day in seconds
(:mod:`sitwatch.runtime.demo`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sitwatch.cli.common import EXIT_CONFIG, EXIT_OK, err


def run(args: argparse.Namespace) -> int:
    from sitwatch.runtime.demo import run_demo
    from sitwatch.sensing import layout as layouts

    try:
        lay = layouts.load(args.layout)
    except layouts.LayoutError as e:
        err(str(e))
        return EXIT_CONFIG
    speed = args.speed
    if speed == 0 and sys.stdout.isatty() and not args.plain:
        speed = 900.0  # a day in about half a minute: fast, but the live view stays readable
    if not 1 <= args.days <= 60:
        err("--days: between 1 and 60")
        return EXIT_CONFIG
    if args.days > 1 and not args.history:
        err("--days needs --history FILE (where to keep the simulated days)")
        return EXIT_CONFIG
    history = Path(args.history).expanduser() if args.history else None
    if history is not None and history.resolve() == _real_history().resolve():
        err(f"{history} is your real history: pick another file for simulated days")
        return EXIT_CONFIG
    run_demo(
        layout=lay,
        seed=args.seed,
        script=args.script,
        speed=speed,
        live=False if args.plain else None,
        history=history,
        days=args.days,
    )
    if history is not None:
        print(f"\nThe simulated history is in {history}; see it with "
              f"`sitwatch report --week --html --history {history}`.")
    return EXIT_OK


def _real_history() -> Path:
    from sitwatch import config
    from sitwatch.runtime.files import history_path

    try:
        return history_path(config.load())
    except config.ConfigError:
        return Path("/nonexistent")
