"""Soak: one daemon over many simulated days, in accelerated time (issue #15).

    make soak                 # or: python benchmarks/soak.py [--days 28] [--hz 1]

One :class:`~sitwatch.runtime.daemon.Daemon` runs the whole time, as ``sitwatch run`` would for
months: a real SQLite history, its daily backups, the status file, the nudger. The clock is a
:class:`~sitwatch.core.clock.ManualClock` that the virtual cushion moves on, so a day takes
seconds. Each day the virtual sitter (sitwatch.sim, the office-day script with that day's seed)
sits from 08:30; for the rest of the 24 hours the cushion stays connected and reports an empty
seat, as a real one does at night and at weekends (every day is a working day here).

Printed per simulated week (figures, not a pass/fail test): this process's resident memory and
open file descriptors, the history database's size (with its WAL), its rows, and the size of the
backup folder. The figures measure whatever retention and backup policy the tree has.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sitwatch.config import Config  # noqa: E402
from sitwatch.core.clock import ManualClock  # noqa: E402
from sitwatch.history.store import Store  # noqa: E402
from sitwatch.runtime.daemon import Daemon  # noqa: E402
from sitwatch.runtime.status import StatusWriter  # noqa: E402
from sitwatch.sensing import layout as layouts  # noqa: E402
from sitwatch.sensing.layout import Layout  # noqa: E402
from sitwatch.sensing.wire import LineParser, format_lines  # noqa: E402
from sitwatch.sim.script import script_by_name  # noqa: E402
from sitwatch.sim.simulator import Simulator  # noqa: E402
from sitwatch.sources.base import Reading  # noqa: E402

DAY = 86400.0
CHUNK = 10.0  # simulated seconds handed over per poll


class Days:
    """The virtual cushion day after day: the office-day script from 08:30, then an empty seat
    until the next morning. Frames go through the wire format like real ones."""

    name = "virtual cushion"

    def __init__(self, layout: Layout, clock: ManualClock, days: int, hz: float) -> None:
        self.layout, self.clock, self.days, self.hz = layout, clock, days, hz
        self.parser = LineParser(layout.n, layout.full_scale)
        self.t = 0.0
        self.day = -1
        self.sim: Simulator | None = None
        self.empty = np.zeros((1, layout.n))
        self.frames = 0
        self.rng = np.random.default_rng(0)

    @property
    def done(self) -> bool:
        return self.t >= self.days * DAY

    def _new_day(self, day: int) -> None:
        self.day = day
        self.sim = Simulator(self.layout, script_by_name("day", seed=day), self.hz, seed=day)
        gaps = [(a, b) for a, b in self.sim.script.episodes(lambda b: not b.present) if b - a > 5]
        a, b = gaps[-1] if gaps else (0.0, 1.0)
        self.empty = self.sim.frames_at(np.linspace(a, b, 50))  # the seat as the sitter left it

    def poll(self, max_wait: float) -> list[Reading]:
        if self.done:
            return []
        day = int(self.t // DAY)
        if day != self.day:
            self._new_day(day)
        assert self.sim is not None
        base = day * DAY
        t0, t1 = self.t - base, min(self.t - base + CHUNK, DAY)
        self.t = base + t1
        times = np.arange(np.ceil(t0 * self.hz), np.ceil(t1 * self.hz)) / self.hz
        office = times[times < self.sim.script.duration]
        night = times[times >= self.sim.script.duration]
        frames = [self.sim.frames_at(office)] if len(office) else []
        if len(night):
            pick = self.rng.integers(0, len(self.empty), len(night))
            frames.append(self.empty[pick])
        out = []
        for t, line in zip(times, format_lines(np.concatenate(frames)), strict=True):
            p = self.parser.feed(line)
            if p is None:
                continue
            self.clock.set(max(self.clock.monotonic(), base + float(t)))
            out.append(Reading(self.clock.monotonic(), p.values))
            self.frames += 1
        return out

    def close(self) -> None:
        pass

    def stats(self) -> dict[str, object]:
        st = self.parser.stats
        return {"port": "virtual", "online": True, "frames": st.frames,
                "dropped_total": st.dropped_total, "last_frame_age": 0.0}


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def size_mb(*paths: Path) -> float:
    total = 0
    for p in paths:
        if p.is_dir():
            total += sum(f.stat().st_size for f in p.rglob("*") if f.is_file())
        elif p.exists():
            total += p.stat().st_size
    return total / 1e6


def rows(db: Path) -> dict[str, int]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {n: con.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}
    finally:
        con.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--days", type=int, default=28)
    ap.add_argument("--hz", type=float, default=1.0, help="frames per simulated second")
    ap.add_argument("--layout", default="smartchair-12")
    ap.add_argument("--keep", help="keep the history and backups in this folder")
    args = ap.parse_args()
    lay = layouts.load(args.layout)
    tmp = None if args.keep else tempfile.TemporaryDirectory(prefix="sitwatch-soak-")
    wd = Path(args.keep or tmp.name)  # type: ignore[union-attr]
    wd.mkdir(parents=True, exist_ok=True)
    db, backups = wd / "history.sqlite", wd / "backups"
    start = datetime(2026, 1, 5, 8, 30).astimezone()
    clock = ManualClock(start)
    src = Days(lay, clock, args.days, args.hz)
    cfg = Config()
    daemon = Daemon(cfg, lay, src, clock, store=Store(db, clock),
                    status=StatusWriter(wd / "status.json", clock), backup_dir=backups)
    print(f"soak: one daemon, {args.days} simulated days of {args.layout} at {args.hz:g} "
          f"frames/s (office day from 08:30, an empty seat the rest), history in {wd}")
    print(f"{'week':>4} {'day':>4} {'RSS MB':>7} {'fds':>4} {'history MB':>10} {'WAL MB':>7} "
          f"{'backups MB':>10} {'minute rows':>11} {'events':>7} {'real s':>7}")
    wall0 = time.monotonic()
    rss0, fd0 = rss_mb(), len(os.listdir("/proc/self/fd"))
    print(f"{0:4d} {0:4d} {rss0:7.1f} {fd0:4d} {size_mb(db):10.2f} "
          f"{size_mb(Path(f'{db}-wal')):7.2f} {size_mb(backups):10.2f} {'':>11} {'':>7} {0:7.0f}")
    week = 1
    try:
        while not src.done:
            daemon.step(0)
            if src.t >= week * 7 * DAY or src.done:
                if daemon.store is not None:
                    daemon.store.flush()
                r = rows(db)
                minute_rows = sum(v for k, v in r.items() if "minute" in k)
                print(f"{week:4d} {src.t / DAY:4.0f} {rss_mb():7.1f} "
                      f"{len(os.listdir('/proc/self/fd')):4d} "
                      f"{size_mb(db):10.2f} {size_mb(Path(f'{db}-wal')):7.2f} "
                      f"{size_mb(backups):10.2f} "
                      f"{minute_rows:11d} {r.get('events', 0):7d} "
                      f"{time.monotonic() - wall0:7.0f}", flush=True)
                week += 1
    finally:
        daemon.close()
    days = src.t / DAY
    total = size_mb(db)  # closed: the WAL is checkpointed into it
    print(f"\n{src.frames} frames in {time.monotonic() - wall0:.0f} s; after {days:.0f} days: "
          f"history {total:.2f} MB ({7 * total / max(days, 1e-9):.2f} MB a week), backups "
          f"{size_mb(backups):.2f} MB in {len(list(backups.glob('*')))} files; simulated end "
          f"{clock.now() + timedelta(0):%Y-%m-%d %H:%M}")
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
