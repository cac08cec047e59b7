"""``sitwatch simulate``: a virtual cushion on a pseudo-terminal, or into a recording."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from sitwatch.cli.common import EXIT_CONFIG, err, output_problem

if TYPE_CHECKING:
    from sitwatch.sensing.layout import Layout


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
    problem = args.output and output_problem(Path(args.output), "-o", "simulated.rec")
    if args.link and not problem:
        link = Path(args.link)
        if link.exists() and not link.is_symlink():
            what = "a folder" if link.is_dir() else "a file"
            problem = (f"--link {link}: is {what}, not a symlink; name a new path for the "
                       "link, e.g. /tmp/sitwatch-cushion")
        else:
            problem = output_problem(link, "--link", "cushion")
    if problem:
        err(problem)
        return EXIT_CONFIG
    fail = None
    if args.fail:
        fail = _fail(args.fail, lay)
        if fail is None:
            return EXIT_CONFIG
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
            fail=fail,
            interactive=sys.stdin.buffer if args.interactive else None,
        )
        or 0
    )


def _fail(spec: str, lay: Layout) -> tuple[int, float, float] | None:
    """``--fail SENSOR:AT[:dead|short]`` as (channel, from second, the reading it sends), or
    None after saying what is wrong."""
    parts = spec.split(":")
    how = parts[2].strip().lower() if len(parts) == 3 else "dead"
    labels = [c.label for c in lay.channels]
    try:
        if len(parts) not in (2, 3) or how not in ("dead", "short"):
            raise ValueError
        at = float(parts[1])
    except ValueError:
        err(f"--fail {spec!r}: write SENSOR:AT or SENSOR:AT:short, e.g. {labels[-1]}:600")
        return None
    name = parts[0].strip()
    if name in labels:
        ch = labels.index(name)
    elif name.isdigit() and int(name) < lay.n:
        ch = int(name)
    else:
        err(f"--fail {spec!r}: {lay.name} has no sensor {name!r}; its sensors are "
            f"{', '.join(labels[:12])}{' ...' if lay.n > 12 else ''} (or 0-{lay.n - 1})")
        return None
    load = 0.0 if how == "dead" else lay.full_scale
    import numpy as np

    reading = float(np.clip(np.rint(lay.to_reading(np.array(load))), 0, lay.full_scale))
    return ch, at, reading
