"""Issue #15: the wall clock stepped +2 h or -1 h in the middle of a sitting spell, through the
real daemon writing a real SQLite file, read back by the weekly report.

Before the fix: the +2 h spell was stored as 170 min instead of 50, the -1 h spell vanished
from the day, and one minute row held 120 s.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from sitwatch.config import Config
from sitwatch.history.queries import day_summary, week_summary
from sitwatch.history.store import Store
from sitwatch.reports.text import weekly_text
from sitwatch.runtime.daemon import Daemon
from sitwatch.sensing import calibration, layout
from sitwatch.sources.base import Reading
from tests.helpers.history import SteppedClock

LAY = layout.load("load-cells-4")
SEATED = np.array([20000.0, 20500, 9000, 9200])
EMPTY = np.array([40.0, 35, 30, 45])
START = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)  # a Wednesday


class Cushion:
    """5 frames a second from a schedule of (seconds, values); steps the wall clock at
    ``step_at`` seconds (monotonic) by ``step`` seconds."""

    name = "cushion"

    def __init__(self, clock: SteppedClock, schedule, step_at: float, step: float) -> None:
        self.clock, self.schedule = clock, schedule
        self.ends = np.cumsum([s for s, _ in schedule])
        self.step_at, self.step = step_at, step
        self.frames = 0

    @property
    def done(self) -> bool:
        return self.clock.monotonic() >= self.ends[-1]

    def poll(self, max_wait):
        if self.done:
            return []
        self.clock.advance(0.2)
        t = self.clock.monotonic()
        if self.step and t >= self.step_at:
            self.clock.step_wall(self.step)
            self.step = 0.0
        what = self.schedule[int(np.searchsorted(self.ends, t, side="right"))
                             if t < self.ends[-1] else -1][1]
        self.frames += 1
        return [Reading(t, what + np.random.default_rng(self.frames).normal(0, 20, 4))]

    def close(self) -> None:
        pass

    def stats(self):
        return {"port": "test", "online": True, "frames": self.frames, "dropped_total": 0}


def run_day(db: Path, step: float) -> SteppedClock:
    """Empty for 2 min, seated 50 min (the wall clock steps 20 min in), empty 10 min."""
    clock = SteppedClock(START)
    prof = calibration.from_arrays(LAY, tare=EMPTY, upright=SEATED, method="interactive")
    src = Cushion(clock, [(120, EMPTY), (3000, SEATED), (600, EMPTY)], 120 + 1200, step)
    d = Daemon(Config(), LAY, src, clock, profile=prof, store=Store(db, clock))
    while not src.done:
        d.step(0)
    d.close()
    return clock


@pytest.mark.parametrize("step", [2 * 3600.0, -3600.0, 0.0], ids=["+2h", "-1h", "none"])
def test_a_clock_step_mid_spell_changes_nothing_in_the_day(tmp_path: Path, step: float) -> None:
    db = tmp_path / "history.sqlite"
    clock = run_day(db, step)
    st = Store(db, clock, readonly=True)
    try:
        day = day_summary(st, START.date(), UTC)
        # one spell of 50 minutes (the occupancy detector's dwell: a few seconds either way)
        assert [round(s.minutes) for s in day.spells] == [50], day.spells
        assert 49.5 <= day.sitting_minutes <= 50.5
        assert 61.5 <= day.present_minutes <= 62.5  # every second the daemon watched, once
        week = week_summary(st, START.date(), UTC)
        assert round(week.longest_spell_minutes) == 50
        text = weekly_text(st, START.date(), UTC)
        assert "50 min" in text
        rows = st.minutes_between(START - timedelta(hours=2), START + timedelta(hours=4))
        assert max(r.seconds_present for r in rows) <= 60.0 + 1e-6
        assert max(r.seconds_occupied for r in rows) <= 60.0 + 1e-6
        by_minute: dict[datetime, float] = {}
        for r in rows:
            by_minute[r.minute] = by_minute.get(r.minute, 0.0) + r.seconds_present
        # a step back lives the same wall minutes twice: two rows, never one with 120 s
        assert max(by_minute.values()) <= (120.0 if step < 0 else 60.0) + 1e-6
    finally:
        st.close()
