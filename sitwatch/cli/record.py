"""``sitwatch record``: save what the cushion sends as a recording
(:mod:`sitwatch.sources.recorder`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sitwatch.cli.common import (
    EXIT_CONFIG,
    EXIT_FAIL,
    EXIT_OK,
    config_errors,
    err,
    load_config,
    missing_port,
    output_problem,
)


def run(args: argparse.Namespace) -> int:
    from sitwatch import config
    from sitwatch.core.clock import SystemClock
    from sitwatch.core.mqtt_url import redact
    from sitwatch.core.simulated import is_simulated
    from sitwatch.sensing import layout
    from sitwatch.sources.recorder import LayoutMismatch, record
    from sitwatch.sources.recording import SIMULATOR

    try:
        cfg = load_config(args)
        lay = layout.load(cfg.cushion.layout)
    except config.ConfigError as e:
        return config_errors(e)
    except layout.LayoutError as e:
        err(str(e))
        return EXIT_CONFIG
    if not cfg.cushion.port:
        err("which port? pass --port or set cushion.port")
        return EXIT_CONFIG
    problem = output_problem(Path(args.output), "-o", "recording.rec")
    if problem:
        err(problem)
        return EXIT_CONFIG
    port = cfg.cushion.port
    missing = missing_port(port, bool(args.port))
    if missing:
        err(f"{missing}; nothing recorded")
        return EXIT_FAIL
    show = sys.stderr.isatty()

    def progress(seconds: float, frames: int) -> None:
        if not show:
            return
        of = f" of {args.duration:g}" if args.duration else " (Ctrl-C stops)"
        sys.stderr.write(f"\r  recording: {seconds:.0f} s{of}, {frames} frames ")
        sys.stderr.flush()

    try:
        n = record(
            cfg.cushion.port,
            args.output,
            lay,
            baud=cfg.cushion.baud,
            duration=args.duration,
            clock=SystemClock(),
            cushion=cfg.cushion,
            broker=cfg.mqtt,
            progress=progress,
            # a recording of the simulator says so: calibrate keeps it off your cushion's profile
            header={"source": SIMULATOR} if is_simulated(port) else None,
        )
    except OSError as e:
        err(f"{args.output}: {e.strerror or e}")
        return EXIT_FAIL
    except LayoutMismatch as e:
        Path(args.output).unlink(missing_ok=True)  # it holds a header and nothing else
        err(str(e))
        return EXIT_CONFIG
    if show:
        sys.stderr.write("\n")
    if n == 0:  # a header and nothing else: no use to replay or calibrate, so not kept
        Path(args.output).unlink(missing_ok=True)
        err(f"no frames came from {redact(port)}: nothing recorded (the warnings above, or "
            "`sitwatch doctor`, say why)")
        return EXIT_FAIL
    print(f"recorded {n} frames to {args.output}", file=sys.stderr)
    return EXIT_OK
