"""How big the history gets: MB per simulated week, and after a simulated year.

A week is run through the real daemon (sources -> pipeline -> nudger -> Store) on a virtual
cushion that is never switched off: five office days (the simulator's default day, a new seed
each) with the seat empty in the evenings and nights, then an empty weekend. Backups are made
the way the daemon makes them (an hour after the start, then daily).

The year is that week's rows copied 52 times, one week after the other, with the daily tidying
(``history.detail_weeks``) run after each week, as the daemon would; then the file size and
what the backups would take (``history.backups`` compact copies under
``history.backup_max_mb``).

    PYTHONPATH=. .venv/bin/python benchmarks/history_size.py [--hz 1] [--weeks 52]

Run it against an older tree (PYTHONPATH=that/tree) for the "before" figures: what it cannot
do there (retention) is skipped and said so.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sitwatch.config import Config
from sitwatch.core.clock import ManualClock
from sitwatch.history.store import Store
from sitwatch.runtime.daemon import Daemon
from sitwatch.sensing.layout import load
from sitwatch.sim.script import Script, away, default_day
from sitwatch.sim.simulator import Simulator
from sitwatch.sources.sim import SimSource

MB = 1024 * 1024
DAY = 86400.0


def week_script(seed: int) -> Script:
    """Monday 08:30 to the next Monday 08:30: five office days, two empty days."""
    segments = []
    for i in range(7):
        used = 0.0
        if i < 5:
            day = default_day(seed + i)
            segments += list(day.segments)
            used = day.duration
        segments.append(away(DAY - used, "evening, night, weekend: empty seat"))
    return Script(segments, "week")


def size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if p.is_file())


def run_week(db: Path, backups: Path, hz: float, seed: int, cfg: Config) -> dict[str, float]:
    layout = load("smartchair-12")
    start = datetime(2026, 3, 2, 8, 30, tzinfo=ZoneInfo("Europe/Berlin"))  # a Monday
    clock = ManualClock(start)
    src = SimSource(Simulator(layout, week_script(seed), hz, seed), clock)
    try:
        store = Store(db, clock, retry=True)  # type: ignore[call-arg]
    except TypeError:  # an older sitwatch
        store = Store(db, clock)
    daemon = Daemon(cfg, layout, src, clock, store=store, backup_dir=backups)
    t0 = time.monotonic()
    try:
        while not src.done:
            daemon.step(0)
    finally:
        daemon.close()
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    minutes = conn.execute("SELECT count(*) FROM minutes").fetchone()[0]
    events = dict(conn.execute("SELECT event, count(*) FROM events GROUP BY event").fetchall())
    conn.close()
    return {"seconds": time.monotonic() - t0, "frames": src.frames, "minutes": minutes,
            "events": sum(events.values()), "diagnosis": events.get("diagnosis", 0),
            "bytes": size(db), "backups": sum(f.stat().st_size for f in backups.glob("*"))}


def week_rows(conn: sqlite3.Connection) -> tuple[dict[str, list[str]], dict[str, list[Any]]]:
    """The simulated week's rows (runs, events, minutes) and their columns: what
    :func:`append_week` copies."""
    cols = {t: [r[1] for r in conn.execute(f"PRAGMA table_info({t})")]
            for t in ("runs", "events", "minutes")}
    src = {t: conn.execute(f"SELECT {', '.join(c)} FROM {t}").fetchall() for t, c in cols.items()}
    return cols, src


def append_week(conn: sqlite3.Connection, cols: dict[str, list[str]],
                src: dict[str, list[Any]], w: int) -> None:
    """Copy the week's rows ``w`` weeks later, in one transaction."""
    shift = w * 7 * DAY
    conn.execute("BEGIN")
    for table, rows in src.items():
        c = cols[table]
        out = []
        for r in rows:
            d = dict(zip(c, r, strict=True))
            d["run_id"] = f"{d['run_id']}-w{w}"
            if table == "events":
                d.pop("id")
                d["epoch"] += shift
                d["ts"] = _shift(d["ts"], shift)
            if table == "minutes":
                d["epoch"] += int(shift)
                d["minute"] = _shift(d["minute"], shift)
            if table == "runs":
                d["started"] = _shift(d["started"], shift)
                d["ended"] = _shift(d["ended"], shift) if d["ended"] else None
                if d.get("last_epoch") is not None:
                    d["last_epoch"] += shift
            out.append(d)
        if out:
            names = list(out[0])
            conn.executemany(
                f"INSERT INTO {table} ({', '.join(names)}) VALUES "
                f"({', '.join('?' * len(names))})", [tuple(d.values()) for d in out])
    conn.execute("COMMIT")


def fill_year(week_db: Path, year_db: Path, weeks: int, cfg: Config) -> dict[str, float]:
    """``weeks`` copies of the week, tidied after each as the daemon tidies daily."""
    shutil.copy(week_db, year_db)
    conn = sqlite3.connect(year_db, isolation_level=None)
    cols, src = week_rows(conn)
    spans = "span" in cols["minutes"]
    try:
        from sitwatch.history.retention import tidy
    except ImportError:
        tidy = None  # type: ignore[assignment]
    last = conn.execute("SELECT max(epoch) FROM minutes").fetchone()[0]
    for w in range(1, weeks):
        append_week(conn, cols, src, w)
        if tidy is not None and spans and cfg.history.detail_weeks > 0:
            now = datetime.fromtimestamp(last + w * 7 * DAY, ZoneInfo("UTC"))
            tidy(conn, now - timedelta(weeks=cfg.history.detail_weeks))
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    compact = year_db.with_name("compact.sqlite")
    c2 = sqlite3.connect(year_db)
    c2.execute(f"VACUUM INTO '{compact}'")
    c2.close()
    return {"bytes": size(year_db), "compact": compact.stat().st_size,
            "retention": float(tidy is not None and spans)}


def _shift(iso: str, seconds: float) -> str:
    dt = datetime.fromisoformat(iso)
    return (dt + timedelta(seconds=seconds)).isoformat()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hz", type=float, default=1.0, help="virtual cushion frames per second")
    ap.add_argument("--weeks", type=int, default=52)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", type=Path, help="keep the simulated week in this folder and "
                    "reuse it when it is there (the year part then runs in seconds)")
    args = ap.parse_args()
    cfg = Config()
    with tempfile.TemporaryDirectory(prefix="sitwatch-size-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        db = work / "history.sqlite"
        backups = work / "backups"
        saved = work / "week.txt"
        if args.keep and saved.exists():
            w = {k: float(v) for k, v in (ln.split("=") for ln in saved.read_text().split())}
        else:
            w = run_week(db, backups, args.hz, args.seed, cfg)
            saved.write_text("\n".join(f"{k}={v}" for k, v in w.items()))
        print(f"one simulated week through the daemon ({w['frames']:.0f} frames at {args.hz:g} "
              f"Hz, {w['seconds']:.0f} s):")
        print(f"  history            {w['bytes'] / MB:6.2f} MB per week "
              f"({w['minutes']:.0f} minute rows, {w['events']:.0f} events, "
              f"{w['diagnosis']:.0f} diagnoses)")
        print(f"  backups after it   {w['backups'] / MB:6.2f} MB "
              f"({len(list(backups.glob('*')))} files)")
        y = fill_year(db, Path(tmp) / "year.sqlite", args.weeks, cfg)
        keep = getattr(cfg.history, "backups", 7)
        cap = getattr(cfg.history, "backup_max_mb", float("inf")) * MB
        fit = keep if cap == float("inf") else int(cap // y["compact"])
        n = min(keep, max(1, fit))  # whole files; the newest always stays
        copies = n * y["compact"]
        note = "" if y["retention"] else " (no retention in this tree)"
        print(f"after {args.weeks} simulated weeks{note}:")
        print(f"  history            {y['bytes'] / MB:6.2f} MB ({y['compact'] / MB:.2f} MB "
              "compacted, as a backup is)")
        print(f"  backups            {copies / MB:6.2f} MB ({n} of {keep} daily copies fit "
              f"under the cap of {cap / MB:.0f} MB)")
        print(f"  total on the disk  {(y['bytes'] + copies) / MB:6.2f} MB")


if __name__ == "__main__":
    main()
