"""sitwatch benchmarks: print the figures the project promises (not a pass/fail test).

    make bench            # or: python benchmarks/run.py [--seconds 30]

1. microseconds per frame, bytes to events, for a 12-channel chair and a 16x16 matrix (process
   CPU time, the best of five runs: other programs on the machine hardly change it), for the
   chair also an hour of the simulator's day, mostly settled sitting (``frames_day``); and
   where the daemon's time per 12-channel frame goes (``--parts``: only that, no pty run)
1b. the daemon's own loop per 12-channel frame (``Daemon.step`` with four frames a step, as the
   0.2 s batches at 20 frames/s, frame time moving 0.2 s a step, local wall times as the system
   clock gives them, a real history and status file), someone seated and the seat empty; the
   status file in a tmpfs, as the daemon's runtime folder is (`runtime_tmp`); ``--histories-to
   FOLDER``: only the simulator's day and the recording through that loop into history files
   there, the same each time (a change to the history's writer must leave their `sitwatch
   export` alike)
2. the daemon's CPU share at 20 frames/s over a real pty
3. its peak resident memory in cushion mode
3b. `sitwatch bridge` forwarding the same pty's lines to a local mosquitto: its CPU share and
   resident memory (now and at peak), the figures a Pi Zero 2 W's 512 MB are about
4. `sitwatch --help` start-up time
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's sitwatch, whatever the venv has installed
SHARED = Path(os.environ.get("SITWATCH_SHARED", ROOT.parent / "shared"))


def frames_12() -> np.ndarray:
    f = SHARED / "datasets" / "smartchair-ml" / "scripted_almir.csv"
    if f.exists():
        return np.loadtxt(f, delimiter=",", skiprows=1)[:, :12]
    print(f"note: {f} not found (set SITWATCH_SHARED to the folder holding datasets/): the "
          "12-channel figures below are over random frames, not a sitter's", file=sys.stderr)
    rng = np.random.default_rng(0)
    return rng.integers(0, 3000, (3000, 12)).astype(float)


def frames_day(seconds: float = 3600.0) -> tuple[np.ndarray, np.ndarray]:
    """The simulator's office day (seed 0) at 20 frames/s: its first ``seconds``, and the minute
    a calibration would take (10 s into its first upright stretch). Mostly settled sitting, the
    daemon's usual frame, which the chair recording above never reaches at 20 frames/s (its
    2 Hz postures change every few frames there): the baseline's slow follow of the sitter,
    for one, runs on most of these frames and on none of those."""
    from sitwatch.sim.script import default_day
    from sitwatch.sim.simulator import Simulator

    sim = Simulator("smartchair-12", default_day(0), hz=20.0, seed=0)
    up = next(s for s in sim.script.segments if s.body.present and s.body.posture == "upright")
    frames = np.concatenate([fr for _, fr in sim.frames(0.0, seconds)])
    return frames, sim.frames_at(sim.times(up.start + 10, up.start + 70))


def frames_256(n: int = 3000) -> np.ndarray:
    rng = np.random.default_rng(1)
    yy, xx = np.mgrid[0:16, 0:16]
    out = []
    for i in range(n):
        cx, cy = 7.5 + np.sin(i / 200) * 1.5, 5 + np.cos(i / 300)
        blob = 180 * np.exp(-((xx - cx + 3) ** 2 + (yy - cy) ** 2) / 8)
        blob += 180 * np.exp(-((xx - cx - 3) ** 2 + (yy - cy) ** 2) / 8)
        blob += rng.normal(0, 3, (16, 16))
        out.append(np.clip(blob, 0, 255).round().ravel())
    return np.array(out)


def per_frame_us(
    layout_name: str, frames: np.ndarray, hz: float = 20.0, binary: bool = False,
    upright: np.ndarray | None = None,
) -> float:
    """Process CPU time per frame, bytes to events, the best of five runs; calibrated on
    ``upright`` (default: the first 100 frames)."""
    from sitwatch import config
    from sitwatch.sensing import calibration, layout
    from sitwatch.sensing.pipeline import Pipeline
    from sitwatch.sensing.wire import LineParser

    lay = layout.load(layout_name)
    cfg = config.Config()
    prof = calibration.from_arrays(
        lay, tare=None, method="recording",
        upright=calibration.robust_mean(frames[:100] if upright is None else upright),
    )
    if binary:
        data = [bytes(f.astype(np.uint8)) for f in frames]
    else:
        data = [(",".join(str(int(v)) for v in f) + "\n").encode() for f in frames]
    best = float("inf")
    for _ in range(5):
        pl = Pipeline(lay, cfg, prof)
        parser = LineParser(lay.n, lay.full_scale)
        feed = parser.feed_bytes_frame if binary else parser.feed
        t0 = time.process_time()
        for i, d in enumerate(data):
            p = feed(d)
            if p is not None:
                pl.process(i / hz, p.values)
        best = min(best, (time.process_time() - t0) / len(data) * 1e6)
    return best


PARTS = ("wire parsing", "pipeline (features, detectors)", "snapshot", "nudger",
         "history sample + pressure map")


def parts_us(repeats: int = 5, hz: float = 20.0) -> list[tuple[str, float, float]]:
    """Where a 12-channel frame's CPU time goes on the daemon's path (bytes -> parser ->
    pipeline -> snapshot -> nudger -> history): each stage is timed with the ones before it
    (process CPU time) and its part is the difference. Per part: (name, min, median) us."""
    from sitwatch import config
    from sitwatch.core.clock import ManualClock
    from sitwatch.history.store import Store
    from sitwatch.nudging.nudger import Nudger
    from sitwatch.runtime import describe
    from sitwatch.sensing import calibration, layout
    from sitwatch.sensing.pipeline import Pipeline
    from sitwatch.sensing.wire import LineParser

    class LocalClock(ManualClock):
        """Local times as the system clock gives them (a zone object of their own each)."""

        def now(self) -> datetime:
            return super().now().astimezone()

    frames = frames_12()
    lay = layout.load("smartchair-12")
    cfg = config.Config()
    prof = calibration.from_arrays(
        lay, tare=None, upright=calibration.robust_mean(frames[:100]), method="recording"
    )
    data = [(",".join(str(int(v)) for v in f) + "\n").encode() for f in frames]

    def run(stages: int, folder: str) -> float:
        pl = Pipeline(lay, cfg, prof)
        parser = LineParser(lay.n, lay.full_scale)
        nudger = Nudger(pl.cfg.nudges, pl.cfg.detect.sit_limit)
        clock = LocalClock()
        store = None
        if stages >= 5:
            store = Store(f"{folder}/history.sqlite", clock, commit_interval=1e9)
            store.begin_run(lay.name, "bench")
        last = None
        t0 = time.process_time()
        for i, d in enumerate(data):
            p = parser.feed(d)
            if stages < 2 or p is None:
                continue
            t = i / hz
            pl.process(t, p.values)
            if stages < 3:
                continue
            snap = pl.snapshot(t)
            if stages < 4:
                continue
            nudger.observe(snap)
            if store is None:
                continue
            clock.advance(t - clock.monotonic())
            if last is not None:  # as Daemon._sample
                store.add_sample(max(0.0, t - last), **describe.history_fields(snap),
                                 loads=snap.loads if snap.occupied and snap.online else None)
            last = t
        us = (time.process_time() - t0) / len(data) * 1e6
        if store is not None:
            store.close()
        return us

    runs: list[list[float]] = [[] for _ in PARTS]
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(repeats):  # interleaved, so a busy spell hits every stage alike
            for k in range(len(PARTS)):
                runs[k].append(run(k + 1, tmp))
    out = []
    prev_min = prev_med = 0.0
    for name, r in zip(PARTS, runs, strict=True):
        mn, md = min(r), statistics.median(r)
        out.append((name, mn - prev_min, md - prev_med))
        prev_min, prev_med = mn, md
    out.append(("the whole path", prev_min, prev_med))
    return out


def print_parts() -> None:
    rows = parts_us()
    w = max(len(r[0]) for r in rows)
    print("\nwhere a 12-channel text frame's CPU time goes (us; each part is its stage's time")
    print("minus the stages before it, so the small ones are within the noise)")
    print(f"{'part':<{w}}  {'min':>6}  {'median':>6}")
    for name, mn, md in rows:
        print(f"{name:<{w}}  {mn:6.1f}  {md:6.1f}")


def runtime_tmp() -> str | None:
    """A tmpfs, where the daemon keeps its status file ($XDG_RUNTIME_DIR, /run/sitwatch under
    systemd); None: the system's temporary folder. The file is renamed into place at each write,
    which costs an ext4 disk some 100 us of kernel time (3 us a frame at a write every 2 s),
    and a tmpfs about a fifth of that."""
    for d in (os.environ.get("XDG_RUNTIME_DIR"), "/dev/shm"):
        if d and os.path.isdir(d) and os.access(d, os.W_OK):
            return d
    return None


def daemon_loop_us(empty: bool, repeats: int = 5) -> float:
    """Process CPU time per frame of the daemon's own loop (see 1b above), the best of
    ``repeats``; ``empty``: small noisy readings, nobody on the seat."""
    seated = frames_12()
    frames = np.random.default_rng(2).integers(0, 30, (3000, 12)).astype(float) if empty \
        else seated
    best = float("inf")
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            best = min(best, daemon_replay(frames, seated[:100], f"{tmp}/history.sqlite"))
    return best


def daemon_replay(frames: np.ndarray, upright: np.ndarray, history: str,
                  start: datetime | None = None) -> float:
    """12-channel ``frames`` through ``Daemon.step`` (four a step, as the 0.2 s batches at 20
    frames/s; the time moving 0.2 s a step, from ``start`` or now, local wall times as the
    system clock gives them), calibrated on ``upright``, into the history file ``history``;
    returns the process CPU time a frame, in us."""
    from datetime import UTC, timedelta

    from sitwatch import config
    from sitwatch.core.clock import SystemClock
    from sitwatch.history.store import Store
    from sitwatch.runtime.daemon import Daemon
    from sitwatch.runtime.status import StatusWriter
    from sitwatch.sensing import calibration, layout
    from sitwatch.sensing.wire import LineParser
    from sitwatch.sources.base import Reading

    lay = layout.load("smartchair-12")
    prof = calibration.from_arrays(
        lay, tare=None, upright=calibration.robust_mean(upright), method="recording"
    )
    data = [(",".join(str(int(v)) for v in f) + "\n").encode() for f in frames]

    class StepClock(SystemClock):
        def __init__(self) -> None:
            super().__init__()
            self.t = 1000.0
            self.start = start or datetime.now(UTC)

        def monotonic(self) -> float:
            return self.t

        def now(self) -> datetime:
            return (self.start + timedelta(seconds=self.t)).astimezone()

        def suspended(self) -> float:
            return 0.0

    class Batches:
        name = "bench"

        def __init__(self, clock: StepClock) -> None:
            self.clock, self.i = clock, 0
            self.parser = LineParser(lay.n, lay.full_scale)

        def poll(self, max_wait: float) -> list[Reading]:
            self.clock.t += 0.2
            out = []
            for d in data[self.i:self.i + 4]:
                p = self.parser.feed(d)
                assert p is not None
                out.append(Reading(self.clock.t, p.values, p.timestamp))
            self.i += 4
            return out

        def stats(self) -> dict[str, object]:
            return {"port": "bench", "online": True, "frames": self.i, "dropped_total": 0,
                    "last_frame_age": 0.0}

        def close(self) -> None:
            pass

    with tempfile.TemporaryDirectory(dir=runtime_tmp()) as run:
        clock = StepClock()
        src = Batches(clock)
        d = Daemon(config.Config(), lay, src, clock, profile=prof, store=Store(history, clock),
                   status=StatusWriter(f"{run}/sitwatch/status.json", clock))
        t0 = time.process_time()
        while src.i < len(data):
            d.step(0)
        us = (time.process_time() - t0) / len(data) * 1e6
        d.close()
    return us


def histories_to(folder: Path) -> None:
    """The simulator's 9 h day and the chair recording through the daemon's loop into
    ``folder``/day.sqlite and recording.sqlite, from 2026-11-18 07:30 UTC, their run ids made
    fixed: what a change to the history's writer must store alike (compare the files' `sitwatch
    export`, with TZ set, before and after it)."""
    import sqlite3
    from datetime import UTC

    day, up = frames_day(9 * 3600)
    rec = frames_12()
    folder.mkdir(parents=True, exist_ok=True)
    for name, frames, upright in (("day", day, up), ("recording", rec, rec[:100])):
        path = folder / f"{name}.sqlite"
        path.unlink(missing_ok=True)
        us = daemon_replay(frames, upright, str(path), datetime(2026, 11, 18, 7, 30, tzinfo=UTC))
        with sqlite3.connect(path) as conn:  # the run id ends in random digits
            for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"
                                         ).fetchall():
                if "run_id" in [c[1] for c in conn.execute(f"PRAGMA table_info({table})")]:
                    conn.execute(f"UPDATE {table} SET run_id = ?", (f"replay-{name}",))
        print(f"{path}: {len(frames)} frames, {us:.1f} us a frame")


def proc_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / tick


def proc_peak_rss_mb(pid: int, key: str = "VmHWM") -> float:
    """Peak resident memory (``VmRSS``: as it is now) of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def feed_pty(master: int, seconds: float, hz: float = 20.0) -> None:
    """Write the 12-channel chair's lines to a pty at ``hz`` for ``seconds``."""
    frames = frames_12()
    t0 = next_t = time.monotonic()
    i = 0
    while time.monotonic() - t0 < seconds:
        line = ",".join(str(int(v)) for v in frames[i % len(frames)]) + "\n"
        os.write(master, line.encode())
        i += 1
        next_t += 1 / hz
        time.sleep(max(0.0, next_t - time.monotonic()))


def bridge_over_pty(seconds: float) -> tuple[float, float, float] | None:
    """`sitwatch bridge` passing a 20 frames/s pty cushion on to a mosquitto on 127.0.0.1:
    (CPU %, resident MB at the end, peak resident MB); None without mosquitto."""
    exe = shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin:/sbin")
    if exe is None:
        return None
    master, slave = os.openpty()
    with tempfile.TemporaryDirectory() as tmp, socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        Path(f"{tmp}/mosquitto.conf").write_text(
            f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
        Path(f"{tmp}/pi.toml").write_text(
            f'[cushion]\nport = "{os.ttyname(slave)}"\nlayout = "smartchair-12"\n')
        broker = subprocess.Popen([exe, "-c", f"{tmp}/mosquitto.conf"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        env = dict(os.environ, XDG_CONFIG_HOME=f"{tmp}/config", XDG_RUNTIME_DIR=tmp,
                   PYTHONPATH=str(ROOT))
        proc = subprocess.Popen(
            [sys.executable, "-m", "sitwatch", "--no-user-config", "--config", f"{tmp}/pi.toml",
             "bridge", "--to", f"mqtt://127.0.0.1:{port}/bench/cushion"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            feed_pty(master, 1.5)  # start-up (and the broker's) is not part of the figure
            cpu0, t0 = proc_cpu_seconds(proc.pid), time.monotonic()
            feed_pty(master, seconds)
            cpu1, t1 = proc_cpu_seconds(proc.pid), time.monotonic()
            rss = proc_peak_rss_mb(proc.pid, "VmRSS")
            peak = proc_peak_rss_mb(proc.pid)
        finally:
            proc.terminate()
            proc.wait(10)
            broker.terminate()
            broker.wait(10)
            os.close(master)
            os.close(slave)
    return 100 * (cpu1 - cpu0) / (t1 - t0), rss, peak


def daemon_over_pty(seconds: float, hz: float = 20.0) -> tuple[float, float]:
    master, slave = os.openpty()
    port = os.ttyname(slave)
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(
            os.environ,
            XDG_DATA_HOME=f"{tmp}/data",
            XDG_STATE_HOME=f"{tmp}/state",
            XDG_CONFIG_HOME=f"{tmp}/config",
            XDG_RUNTIME_DIR=tmp,
            PYTHONPATH=str(ROOT),
        )
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sitwatch",
                "run",
                "--headless",
                "--port",
                port,
                "--layout",
                "smartchair-12",
                "--no-user-config",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            time.sleep(1.5)  # start-up is not part of the steady-state figure
            cpu0, t0 = proc_cpu_seconds(proc.pid), time.monotonic()
            feed_pty(master, seconds, hz)
            cpu1, t1 = proc_cpu_seconds(proc.pid), time.monotonic()
            rss = proc_peak_rss_mb(proc.pid)
        finally:
            proc.terminate()
            proc.wait(10)
            os.close(master)
            os.close(slave)
    return 100 * (cpu1 - cpu0) / (t1 - t0), rss


def startup_ms(runs: int = 15) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "sitwatch", "--help"], stdout=subprocess.DEVNULL, check=True
        )
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=30.0, help="length of the pty run")
    ap.add_argument("--parts", action="store_true",
                    help="only where a frame's CPU time goes (no pty run)")
    ap.add_argument("--histories-to", type=Path, metavar="FOLDER",
                    help="only replay the simulator's day and the recording into history files "
                         "there (to compare a writer's output before and after a change)")
    args = ap.parse_args()
    if args.histories_to is not None:
        histories_to(args.histories_to)
        return 0
    if args.parts:
        print_parts()
        return 0
    rows = []
    us12 = per_frame_us("smartchair-12", frames_12())
    rows.append(("bytes -> events, 12-channel text frame", f"{us12:.1f} us", "<= 20 us"))
    day, up = frames_day()
    usday = per_frame_us("smartchair-12", day, upright=up)
    rows.append(("the same, an hour of the simulator's day (settled sitting)", f"{usday:.1f} us",
                 "-"))
    g = frames_256()
    us256 = per_frame_us("matrix-16x16", g)
    rows.append(("bytes -> events, 16x16 text frame", f"{us256:.1f} us", "<= 50 us"))
    usbin = per_frame_us("matrix-16x16", g, binary=True)
    rows.append(("bytes -> events, 16x16 binary frame", f"{usbin:.1f} us", "<= 50 us"))
    for empty, who in ((False, "someone seated"), (True, "seat empty")):
        rows.append((f"daemon loop per 12-channel frame, {who}",
                     f"{daemon_loop_us(empty):.1f} us", "-"))
    cpu, rss = daemon_over_pty(args.seconds)
    rows.append(
        (
            f"daemon CPU at 20 frames/s over a pty ({args.seconds:.0f} s)",
            f"{cpu:.2f} %",
            "< 1 % of a core",
        )
    )
    # 59-61 MB measured (docs/raspberry-pi.md); "< 60 MB" was set when it took 52 MB
    rows.append(("daemon peak RSS, cushion mode", f"{rss:.1f} MB", "< 64 MB"))
    bridged = bridge_over_pty(args.seconds)
    if bridged is None:
        rows.append(("`sitwatch bridge`", "n/a", "needs mosquitto (Debian: mosquitto)"))
    else:
        bcpu, brss, bpeak = bridged
        rows.append((f"`sitwatch bridge` CPU at 20 lines/s to mosquitto ({args.seconds:.0f} s)",
                     f"{bcpu:.2f} %", "-"))
        rows.append((f"`sitwatch bridge` RSS (peak {bpeak:.1f} MB)", f"{brss:.1f} MB",
                     "no numpy: < 45 MB"))
    rows.append(("`sitwatch --help` start-up (median of 15)", f"{startup_ms():.0f} ms", "< 150 ms"))
    w = max(len(r[0]) for r in rows)
    print(f"{'measure':<{w}}  {'figure':>10}  target")
    for name, fig, target in rows:
        print(f"{name:<{w}}  {fig:>10}  {target}")
    print_parts()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
