"""How quick the reports are on a year of history, and how big a week of it is (issue #11).

A week is run through the real daemon on a virtual cushion (five 8-hour office days, the
simulator's default day with a new seed each, then an empty weekend; see history_size.py), then
copied 52 times one week after the other into a year of minute-by-minute history (no folding
into hours: the worst case for the reports). Then the time to make each report from a fresh
read-only open of the file, best of ``--repeat``:

* the day: the text of ``sitwatch report`` (one day, the day's own builder);
* the week: the HTML page (with the 12-week heatmap), and the JSON export;
* the month: the HTML page, and the JSON export;
* the year: the JSON and CSV exports of 365 days (``sitwatch report`` has no year page; the
  exports are what a year is read for).

Targets: each report under 1 s, and under 1 MB of history per week.

    PYTHONPATH=. .venv/bin/python benchmarks/report_bench.py [--hz 1] [--repeat 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))

from history_size import append_week, run_week, week_rows

from sitwatch.config import Config
from sitwatch.core.clock import ManualClock
from sitwatch.history.store import Store
from sitwatch.reports import html, period, text

MB = 1024 * 1024
TZ = ZoneInfo("Europe/Berlin")
FIRST_MONDAY = date(2026, 3, 2)  # history_size.run_week starts here


def copy_year(week_db: Path, year_db: Path, weeks: int) -> None:
    """``weeks`` copies of the simulated week, one after the other, every minute kept."""
    shutil.copy(week_db, year_db)
    conn = sqlite3.connect(year_db, isolation_level=None)
    cols, src = week_rows(conn)
    for w in range(1, weeks):
        append_week(conn, cols, src, w)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if p.is_file())


def best(fn: Callable[[Store], object], db: Path, now: datetime, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        store = Store(db, ManualClock(now), readonly=True)
        try:
            fn(store)
        finally:
            store.close()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hz", type=float, default=1.0, help="virtual cushion frames per second")
    ap.add_argument("--weeks", type=int, default=52)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", type=Path, help="keep the simulated week here and reuse it")
    args = ap.parse_args()
    cfg = Config()
    with tempfile.TemporaryDirectory(prefix="sitwatch-reports-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        week_db = work / "week.sqlite"
        if not week_db.exists():
            (work / "backups").mkdir(exist_ok=True)
            w = run_week(week_db, work / "backups", args.hz, args.seed, cfg)
            print(f"simulated one week through the daemon: {w['frames']:.0f} frames at "
                  f"{args.hz:g} Hz in {w['seconds']:.0f} s")
        year_db = Path(tmp) / "year.sqlite"
        copy_year(week_db, year_db, args.weeks)
        conn = sqlite3.connect(year_db)
        n_min = conn.execute("SELECT count(*) FROM minutes").fetchone()[0]
        n_ev = conn.execute("SELECT count(*) FROM events").fetchone()[0]
        conn.close()
        week_bytes = size(week_db)
        year_bytes = size(year_db)
        print(f"history: {week_bytes / MB:.2f} MB for one week "
              f"({'within' if week_bytes < MB else 'OVER'} the 1 MB target); "
              f"{year_bytes / MB:.1f} MB for {args.weeks} weeks of minutes "
              f"({year_bytes / args.weeks / MB:.2f} MB a week; {n_min} minute rows, "
              f"{n_ev} events)")

        last_monday = FIRST_MONDAY + timedelta(weeks=args.weeks - 1)
        sunday = last_monday + timedelta(days=6)
        now = datetime.combine(sunday, datetime.min.time(), TZ) + timedelta(hours=20)
        month_day = last_monday - timedelta(days=14)
        year = period.Period("year", sunday - timedelta(days=364), sunday)
        lim = cfg.detect.sit_limit
        cases: list[tuple[str, Callable[[Store], object]]] = [
            ("day, text", lambda s: text.daily_text(s, sunday - timedelta(days=2), TZ,
                                                    sit_limit=lim)),
            ("week, HTML page", lambda s: html.render_week(s, sunday, TZ, sit_limit=lim,
                                                           now=now)),
            ("week, JSON", lambda s: period.build(
                s, period.week_ending(sunday), TZ, sit_limit=lim, now=now).json()),
            ("month, HTML page", lambda s: html.render_month(s, month_day, TZ, sit_limit=lim,
                                                             now=now)),
            ("month, JSON", lambda s: period.build(
                s, period.month_period(month_day), TZ, sit_limit=lim, now=now).json()),
            ("year, JSON", lambda s: period.build(s, year, TZ, sit_limit=lim, now=now).json()),
            ("year, CSV", lambda s: period.build(s, year, TZ, sit_limit=lim, now=now).csv()),
        ]
        print(f"report times on {args.weeks} weeks of history (best of {args.repeat}; "
              "target < 1 s each):")
        for name, fn in cases:
            t = best(fn, year_db, now, args.repeat)
            print(f"  {name:<18} {t * 1000:7.0f} ms  {'ok' if t < 1.0 else 'OVER the target'}")


if __name__ == "__main__":
    main()
