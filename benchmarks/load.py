"""Load: the daemon at 100 frames/s over a real pty for an hour of simulated time (issue #15).

    make load                 # or: python benchmarks/load.py [--speed 10] [--sim-seconds 3600]

`sitwatch run` (the real command, a subprocess) reads a pty that the virtual cushion
(:class:`sitwatch.sim.pty.PtyStreamer`, the office day) writes at ``--hz`` frames per simulated
second. With ``--speed N`` the daemon runs under libfaketime (``faketime``, apt package of that
name) at N times real speed and the streamer writes N times faster, so the daemon sees 100
frames/s on its own clock and an hour takes 3600/N real seconds. Without faketime it runs in
real time for ``--seconds``.

Printed (figures, not a pass/fail test), every simulated five minutes and in total:

- frames written by the cushion and read by the daemon (its status file), the frames the cushion
  had to drop because the daemon did not read them in time, and the backlog: bytes waiting in
  the pty plus bytes the cushion could not write yet (a daemon that keeps up holds a few frames);
- the daemon's CPU: real CPU seconds per simulated second (= share of one core at real speed,
  100 frames/s) and the share of a core while accelerated;
- its resident memory and open file descriptors.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sitwatch.sim.pty import PtyStreamer  # noqa: E402
from sitwatch.sim.script import script_by_name  # noqa: E402


def proc_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_mem_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident memory in MB."""
    cur = peak = float("nan")
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            cur = int(line.split()[1]) / 1024
        elif line.startswith("VmHWM:"):
            peak = int(line.split()[1]) / 1024
    return cur, peak


def libfaketime() -> str | None:
    """The multi-threaded libfaketime (the daemon has threads), preloaded directly so that the
    process measured is the daemon itself, not a wrapper."""
    import glob

    found = sorted(glob.glob("/usr/lib/*/faketime/libfaketimeMT.so.1")
                   + glob.glob("/usr/lib/faketime/libfaketimeMT.so.1"))
    return found[0] if found else None


def fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def frames_read(status: Path, last: int) -> int:
    """Frames the daemon has read, from its status file (``last`` while it is being replaced)."""
    try:
        return int(json.loads(status.read_text())["sensor"]["frames"] or 0)
    except (OSError, ValueError, KeyError, TypeError):
        return last


def tty_queue(fd: int) -> int:
    """Bytes written to the pty that its reader has not taken yet."""
    buf = fcntl.ioctl(fd, termios.FIONREAD, struct.pack("i", 0))
    return int(struct.unpack("i", buf)[0])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--hz", type=float, default=100.0, help="frames per simulated second")
    ap.add_argument("--sim-seconds", type=float, default=3600.0,
                    help="simulated seconds to run (with faketime)")
    ap.add_argument("--speed", type=float, default=10.0,
                    help="simulated seconds per real second (needs faketime; 1 = real time)")
    ap.add_argument("--seconds", type=float, default=300.0,
                    help="real seconds to run when faketime is not there")
    ap.add_argument("--layout", default="smartchair-12")
    args = ap.parse_args()
    speed = args.speed
    fake: dict[str, str] = {}
    if speed != 1:
        lib = libfaketime()
        if lib is None:
            print("libfaketime not found (apt-get install faketime): running in real time for "
                  f"{args.seconds:.0f} s instead")
            speed, sim_seconds = 1.0, args.seconds
        else:
            fake = {"LD_PRELOAD": lib, "FAKETIME": f"+0 x{speed:g}", "FAKETIME_NO_CACHE": "1"}
            sim_seconds = args.sim_seconds
    else:
        sim_seconds = args.seconds
    script = script_by_name("day")
    t0_sim = 1800.0  # a stretch of the office day with sitting, shifting and leaving
    streamer = PtyStreamer(args.layout, script, hz=args.hz, speed=speed, t0=t0_sim,
                           t1=t0_sim + sim_seconds)
    port = streamer.open()
    slave = streamer._slave
    assert slave is not None
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, XDG_DATA_HOME=f"{tmp}/data", XDG_STATE_HOME=f"{tmp}/state",
                   XDG_CONFIG_HOME=f"{tmp}/config", XDG_RUNTIME_DIR=f"{tmp}/run",
                   PYTHONPATH=str(ROOT), **fake)
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        status = Path(tmp) / "run" / "sitwatch" / "status.json"
        cmd = [sys.executable, "-m", "sitwatch", "run", "--headless", "--port", port,
               "--layout", args.layout, "--no-user-config"]
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                                stderr=open(f"{tmp}/stderr", "w"))  # noqa: SIM115
        try:
            deadline = time.monotonic() + 60
            while not list(Path(tmp, "run").rglob("status.json")):
                if proc.poll() is not None or time.monotonic() > deadline:
                    print(Path(f"{tmp}/stderr").read_text())
                    raise SystemExit("the daemon did not start")
                time.sleep(0.1)
            status = next(Path(tmp, "run").rglob("status.json"))
            cpu0, wall0 = proc_cpu_seconds(proc.pid), time.monotonic()
            rss0, _ = proc_mem_mb(proc.pid)
            fd0 = fds(proc.pid)
            th = threading.Thread(target=streamer.run, daemon=True)
            th.start()
            print(f"the daemon at {args.hz:g} frames/s ({args.layout}) over {port}, "
                  f"{sim_seconds / 60:.0f} simulated min at x{speed:g}"
                  + (" under libfaketime" if fake else ""))
            print(f"{'sim min':>7} {'sent':>9} {'read':>9} {'cushion dropped':>15} "
                  f"{'backlog B':>9} {'CPU s/sim s':>11} {'RSS MB':>7} {'fds':>4}")
            every = 300.0 / speed  # every 5 simulated minutes
            next_at = wall0 + every
            max_backlog = 0
            cpu_last, wall_last = cpu0, wall0
            read = 0
            while th.is_alive():
                th.join(timeout=min(1.0, max(0.0, next_at - time.monotonic())))
                backlog = tty_queue(slave) + len(streamer._pending)
                max_backlog = max(max_backlog, backlog)
                if time.monotonic() < next_at and th.is_alive():
                    continue
                next_at += every
                read = frames_read(status, read)
                cpu, wall = proc_cpu_seconds(proc.pid), time.monotonic()
                per_sim = (cpu - cpu_last) / max(1e-9, (wall - wall_last) * speed)
                cpu_last, wall_last = cpu, wall
                rss, _ = proc_mem_mb(proc.pid)
                print(f"{(wall - wall0) * speed / 60:7.1f} {streamer.stats.frames:9d} {read:9d} "
                      f"{streamer.stats.dropped:15d} {backlog:9d} {per_sim:11.4f} {rss:7.1f} "
                      f"{fds(proc.pid):4d}")
            # let the daemon take what is left and write its status once more
            time.sleep(max(1.0, 3.0 / speed))
            cpu1, wall1 = proc_cpu_seconds(proc.pid), time.monotonic()
            rss1, peak = proc_mem_mb(proc.pid)
            fd1 = fds(proc.pid)
            read = frames_read(status, read)
        finally:
            proc.terminate()
            proc.wait(30)
            streamer.close()
        sent = streamer.stats.frames
        real = wall1 - wall0
        print()
        print(f"frames written {sent}, read by the daemon {read} (its status file, written every "
              f"2 simulated s while something shown changes, else every 10 s: up to "
              f"{int(10 * args.hz)} behind), dropped by the cushion for a slow reader "
              f"{streamer.stats.dropped}")
        print(f"largest backlog {max_backlog} bytes "
              f"(~{max_backlog / max(1, streamer.stats.bytes / max(1, sent)):.0f} frames)")
        print(f"CPU {100 * (cpu1 - cpu0) / real:.1f} % of a core at x{speed:g} = "
              f"{100 * (cpu1 - cpu0) / (real * speed):.2f} % of a core at real speed "
              f"({args.hz:g} frames/s)")
        print(f"RSS {rss0:.1f} -> {rss1:.1f} MB (peak {peak:.1f}), fds {fd0} -> {fd1}; "
              f"{real:.0f} s real for {real * speed / 60:.0f} simulated min")
        err = Path(f"{tmp}/stderr").read_text()
        if "Traceback" in err:
            print("the daemon wrote a traceback:\n" + err[-2000:])
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
