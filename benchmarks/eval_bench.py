"""How long `sitwatch eval` takes (its --quick run is used by the tests).

    python benchmarks/eval_bench.py [--full]

Runs the real command on ../shared/datasets (or $SITWATCH_SHARED) and prints its wall time,
its CPU time (user + system: the figure that does not depend on what else the machine is
doing) and the time each part took, as the command reports it on stderr.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SITWATCH_SHARED", ROOT.parent / "shared"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--full", action="store_true", help="the full run, not --quick")
    args = ap.parse_args()
    cmd = [sys.executable, "-m", "sitwatch", "eval", "--shared", str(SHARED)]
    if not args.full:
        cmd.append("--quick")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t0 = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter() - t0
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if p.returncode != 0:
        print(p.stderr[-2000:], file=sys.stderr)
        return p.returncode
    print(f"sitwatch eval{'' if args.full else ' --quick'}: {wall:.1f} s wall, {cpu:.1f} s CPU")
    print(p.stderr.strip().splitlines()[-1])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
