"""How much room the seat pressure maps take: a week of 8-hour days written through the real
Store (one sample a second, four postures taking turns), for a 12-sensor chair and a 16x16 mat.
Prints the pressure table's bytes (SQLite's dbstat: pages of the table and its index) and the
rows, per week.

    PYTHONPATH=. .venv/bin/python benchmarks/pressure_size.py
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sitwatch.core.clock import ManualClock
from sitwatch.history.store import Store

POSTURES = ("upright", "slouched", "leaning_forward", "reclined")


def week(folder: Path, layout: str, n: int, hz: float) -> tuple[int, int, float]:
    start = datetime(2026, 11, 16, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    clock = ManualClock(start)
    path = folder / f"{layout}.sqlite"
    store = Store(path, clock)
    store.begin_run(layout, "bench")
    loads = [0.25] * n
    dt = 1.0 / hz
    t0 = time.perf_counter()
    for day in range(7):
        clock.advance((start + timedelta(days=day) - clock.now()).total_seconds())
        for i in range(int(8 * 3600 * hz)):
            clock.advance(dt)
            store.add_pressure(dt, POSTURES[int(i * dt) // 900 % 4], loads)
    store.close()
    took = time.perf_counter() - t0
    conn = sqlite3.connect(path)
    used = conn.execute("SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'pressure%'").fetchone()[0]
    rows = conn.execute("SELECT count(*) FROM pressure").fetchone()[0]
    conn.close()
    return int(used), int(rows), took


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for layout, n, hz in (("smartchair-12", 12, 1.0), ("matrix-16x16", 256, 0.2)):
            used, rows, took = week(Path(tmp), layout, n, hz)
            print(f"{layout:14s} {n:3d} sensors: {used / 1024:6.1f} kB a week of 8-hour days "
                  f"({rows} rows; {took:.1f} s to write at {hz:g} samples/s)")


if __name__ == "__main__":
    main()
