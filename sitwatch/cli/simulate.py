"""``sitwatch simulate``: a virtual cushion on a pseudo-terminal, or into a recording."""

from __future__ import annotations

import argparse

from sitwatch.cli.common import EXIT_CONFIG, err


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
