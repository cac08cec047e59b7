"""``sitwatch eval``: the detectors measured on the labelled recordings in shared/datasets.

The report goes to stdout (docs/accuracy.md is made of it); each step is announced on stderr
as it starts, since a full run takes minutes, and the time each part took is said at the end.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from sitwatch.cli.common import EXIT_CONFIG, EXIT_OK


class Timing:
    """A progress callback that says each step on stderr and remembers when it started."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.steps: list[tuple[str, float]] = []

    def __call__(self, step: str) -> None:
        self.steps.append((step, time.perf_counter()))
        print(f"sitwatch eval: {step}...", file=sys.stderr, flush=True)

    def parts(self, end: float) -> dict[str, float]:
        """Seconds per part (the step's name up to its first " (" or ":")."""
        out: dict[str, float] = {}
        for i, (step, t) in enumerate(self.steps):
            nxt = self.steps[i + 1][1] if i + 1 < len(self.steps) else end
            part = step.split(" (")[0].split(":")[0]
            out[part] = out.get(part, 0.0) + nxt - t
        return out

    def done(self) -> str:
        end = time.perf_counter()
        parts = ", ".join(f"{k} {v:.0f} s" for k, v in self.parts(end).items())
        return f"sitwatch eval: done in {end - self.start:.0f} s" + (f" ({parts})" if parts else "")


_GIVE = "give the folder that holds datasets/ (--shared FOLDER, or SITWATCH_SHARED)"


def _check_shared(shared: Path, flag: str | None) -> str | None:
    """What is wrong with a shared folder the user named (--shared, else SITWATCH_SHARED), in
    words; None when there is nothing to say. The default needs no check: when none is found
    the report says so and measures the simulated sitters."""
    from sitwatch.evaluation import datasets

    named = f"--shared {flag}" if flag else (
        f"SITWATCH_SHARED={os.environ['SITWATCH_SHARED']}"
        if os.environ.get("SITWATCH_SHARED") else None)
    if named is None:
        return None
    if not shared.is_dir():
        return f"{named}: no such folder; {_GIVE}"
    if not (shared / "datasets").is_dir() and any(datasets.present(shared).values()):
        return (f"{named}: that is the datasets folder itself; give the folder above it: "
                f"--shared {shared.resolve().parent}")
    return None


def _datasets_line(shared: Path, sitters: int | None) -> str:
    """Which datasets this run reads and which it does not find, where it looked."""
    from sitwatch.evaluation import datasets

    ds = shared / "datasets"
    have = datasets.present(ds)
    found = [n for n, ok in have.items() if ok]
    missing = [n for n, ok in have.items() if not ok]
    if not found:
        where = f"no datasets in {ds}" if ds.is_dir() else f"no datasets/ folder in {shared}"
        rest = "nothing is measured" if sitters == 0 else "only simulated sitters are measured"
        return f"{where} (it looks for {', '.join(missing)}), so {rest}; {_GIVE}"
    return (f"datasets in {ds}: {', '.join(found)}"
            + (f"; not there: {', '.join(missing)}" if missing else ""))


def run(args: argparse.Namespace) -> int:
    from sitwatch.evaluation.report import default_shared, report

    sitters = getattr(args, "sitters", None)
    if sitters is not None and sitters < 0:
        print(f"sitwatch eval: --sitters {sitters}: give 0 (no simulated sitters) or more",
              file=sys.stderr)
        return EXIT_CONFIG
    from sitwatch.evaluation.population import HELD_OUT_SEED

    seed = getattr(args, "seed", None)
    if seed is not None and seed < 0:
        print(f"sitwatch eval: --seed {seed}: give 0 or more", file=sys.stderr)
        return EXIT_CONFIG
    shared = Path(args.shared).expanduser() if args.shared else default_shared()
    problem = _check_shared(shared, args.shared)
    if problem:
        print(f"sitwatch eval: {problem}", file=sys.stderr)
        return EXIT_CONFIG
    print(f"sitwatch eval: {_datasets_line(shared, sitters)}", file=sys.stderr, flush=True)
    from sitwatch.evaluation import datasets

    found = datasets.find(shared / "datasets")
    for line in found.said:  # every file of the folders it scans: read, or skipped and why
        print(f"sitwatch eval: {line}", file=sys.stderr, flush=True)
    timing = Timing()
    print(report(shared, markdown=args.markdown, lopo=not args.quick, progress=timing,
                 sitters=sitters, seed=HELD_OUT_SEED if seed is None else seed, found=found))
    print(timing.done(), file=sys.stderr, flush=True)
    return EXIT_OK
