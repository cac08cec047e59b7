"""What each do-not-disturb probe costs on this machine, as the daemon runs them (one round every
``nudges.dnd.cache_seconds``, 10 s by default, on a background thread).

    python benchmarks/dnd_probes.py [--rounds 20] [--processes 0]

Prints, per probe, its answer here and the median and worst wall time of one reading, and the
CPU share of one core a full round would take at the default cache time. ``--processes N``
first starts N idle child processes, to see how the camera probe's scan of /proc grows with a
busy desktop. Without a /dev/video* here, the camera probe looks for a stand-in file nobody holds
(so the whole scan is measured).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sitwatch.config import DEFAULT_DND_PROBES
from sitwatch.core.clock import ManualClock
from sitwatch.nudging.dnd import DoNotDisturb, default_probes


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--processes", type=int, default=0)
    args = ap.parse_args()
    kids = [subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
            for _ in range(args.processes)]
    try:
        cams = ["/dev/video*"]
        if not list(Path("/dev").glob("video*")):
            stand_in = Path(tempfile.mkdtemp()) / "video0"
            stand_in.touch()
            cams = [str(stand_in)]
        dnd = DoNotDisturb(default_probes(DEFAULT_DND_PROBES, camera_devices=cams),
                           ManualClock(), poll=False)
        n = sum(1 for p in Path("/proc").iterdir() if p.name.isdigit())
        print(f"{n} processes; {args.rounds} readings per probe")
        total = 0.0
        for probe in dnd.probes:
            times, cpu = [], []
            reading = None
            for _ in range(args.rounds):
                t0, c0 = time.perf_counter(), time.process_time()
                reading = dnd.read(probe)
                times.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
            med = statistics.median(times)
            total += med
            assert reading is not None
            print(f"{probe.name:20s} {reading.state:8s} median {med * 1000:7.1f} ms  "
                  f"worst {max(times) * 1000:7.1f} ms  (this process's CPU: "
                  f"{statistics.median(cpu) * 1000:.1f} ms)  {reading.reason}")
        print(f"one round, all probes: {total * 1000:.0f} ms wall, every 10 s by default: "
              f"{total / 10 * 100:.1f} % of the background thread's time")
    finally:
        for k in kids:
            k.kill()
            k.wait()


if __name__ == "__main__":
    main()
