"""``sitwatch demo``: the real daemon against a virtual cushion, a whole office day in seconds
(:mod:`sitwatch.runtime.demo`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sitwatch.cli.common import EXIT_CONFIG, EXIT_OK, err


def register(sub: Any) -> None:
    sp = sub.add_parser("demo", help="the daemon against a virtual cushion in accelerated time")
    sp.add_argument(
        "--speed",
        type=float,
        default=0,
        help="simulated seconds per second (0: as fast as the display allows)",
    )
    sp.add_argument("--layout", default="smartchair-12")
    sp.add_argument("--seed", type=int, default=7)
    sp.add_argument("--plain", action="store_true", help="no live display; print events")
    sp.add_argument("--script", choices=["day", "demo"], default="day",
                    help="day: an 8-hour office day; demo: a 2-hour compressed one")
    sp.add_argument("--history", metavar="FILE",
                    help="keep the simulated history in FILE (e.g. /tmp/demo.sqlite) for "
                    "`sitwatch report --history FILE`; default: a temporary folder")
    sp.add_argument("--days", type=int, default=1, metavar="N",
                    help="with --history: simulate N days ending today (7 fills a week)")
    sp.set_defaults(func=run)


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
