"""``sitwatch simulate``: a virtual cushion on a pseudo-terminal, or into a recording."""

from __future__ import annotations

import argparse
from typing import Any

from sitwatch.cli.common import EXIT_CONFIG, err


def register(sub: Any) -> None:
    sp = sub.add_parser("simulate", help="stream a virtual cushion on a pseudo-terminal")
    sp.add_argument("--layout", default="smartchair-12")
    sp.add_argument("--hz", type=float, default=20.0)
    sp.add_argument("--speed", type=float, default=1.0, help="simulated seconds per second")
    sp.add_argument("--duration", type=float, help="simulated seconds (default: the whole script)")
    sp.add_argument("--script", choices=["day", "demo"], default="day")
    sp.add_argument("--seed", type=int, default=0)
    sp.add_argument("--link", help="also make this symlink to the pty")
    sp.add_argument("--garbage", type=float, default=0.0, help="share of lines to corrupt")
    sp.add_argument("--unplug", action="append", default=[], metavar="AT:SECONDS",
                    help="unplug the virtual cushion at simulated second AT for SECONDS of real "
                    "time (repeatable)")
    sp.add_argument("-o", "--output", help="write a recording file instead of streaming")
    sp.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sitwatch.sensing import layout
    from sitwatch.sim.pty import simulate_command

    try:
        lay = layout.load(args.layout)
    except layout.LayoutError as e:
        err(str(e))
        return EXIT_CONFIG
    unplug = []
    for spec in args.unplug:
        try:
            at, down = (float(x) for x in spec.split(":"))
        except ValueError:
            err(f"--unplug {spec!r}: write AT:SECONDS, e.g. 120:5")
            return EXIT_CONFIG
        unplug.append((at, down))
    return int(
        simulate_command(
            lay,
            hz=args.hz,
            speed=args.speed,
            duration=args.duration,
            link=args.link,
            script_name=args.script,
            seed=args.seed,
            garbage_rate=args.garbage,
            out=args.output,
            unplug=unplug,
        )
        or 0
    )
