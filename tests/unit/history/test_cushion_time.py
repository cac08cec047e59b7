"""Figures only the cushion can measure (weight shifts, balance) are taken over the seated time
the cushion saw, not over the time a camera saw the seat (alone, or standing in for an offline
cushion, fusion rule O2), which counts as sitting since the stand-in does.

Before, the history did not keep the cushion's seated time apart: weight shifts per hour were
divided by the camera's minutes too (the rate read low), and the lopsided minutes read as a share of
sitting the cushion never felt. Through a real SQLite store; the reports on such a history:
tests/unit/reports/test_cushion_figures.py, the daemon's own: tests/integration."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from pathlib import Path

import pytest

from sitwatch.core.clock import ManualClock
from sitwatch.core.events import STILLNESS, Event
from sitwatch.core.kinds import Balance, Occupancy, Posture, Stillness
from sitwatch.history import schema
from sitwatch.history.queries import (
    day_summary,
    days_summaries,
    minutes_between,
    runs,
    shifts_per_sitting_hour,
    week_summary,
)
from sitwatch.history.store import Store
from sitwatch.runtime import describe
from sitwatch.sensing.snapshot import CAMERA_SAW, Snapshot
from tests.helpers.history import ALONE, STANDING_IN, TZ, Sitter

MON = date(2026, 1, 5)


def history(tmp_path: Path) -> tuple[Store, ManualClock, Sitter]:
    clock = ManualClock(datetime(2026, 1, 5, 8, 0, tzinfo=TZ), monotonic=0.0)
    store = Store(tmp_path / "history.sqlite", clock)
    return store, clock, Sitter(store, clock)


def shifts(store: Store, clock: ManualClock, n: int) -> None:
    for _ in range(n):
        store.add_event(Event(clock.monotonic(), STILLNESS, Stillness.SHIFT))


def test_weight_shifts_per_hour_are_over_the_time_the_cushion_saw(tmp_path: Path) -> None:
    """An hour on the cushion with six shifts, then an hour the camera stood in: six an hour
    (it said three: no shift can be seen while the camera stands in)."""
    store, clock, p = history(tmp_path)
    p.at(MON, 9)
    p.sit(60)
    shifts(store, clock, 6)
    p.sit(60, camera=STANDING_IN)
    store.flush()
    rate = shifts_per_sitting_hour(store, MON, TZ)
    assert rate.sitting_minutes == pytest.approx(120)
    assert rate.cushion_minutes == pytest.approx(60)
    assert rate.per_hour == pytest.approx(6)
    store.close()


def test_a_day_the_cushion_never_saw_has_no_shift_rate(tmp_path: Path) -> None:
    store, _clock, p = history(tmp_path)
    p.at(MON, 9)
    p.sit(60, camera=ALONE)
    store.flush()
    rate = shifts_per_sitting_hour(store, MON, TZ)
    assert rate.sitting_minutes == pytest.approx(60)
    assert rate.cushion_minutes == 0 and rate.per_hour is None
    store.close()


def test_the_day_keeps_the_cushion_time_apart_in_both_readings(tmp_path: Path) -> None:
    """One day: 30 min on the cushion (20 of them lopsided), 40 min the camera stood in, 50
    min a camera-only run. day_summary and days_summaries (a month in one pass) agree."""
    store, _clock, p = history(tmp_path)
    p.at(MON, 9)
    p.sit(10)
    p.sit(20, balance=Balance.LEFT)
    p.sit(40, camera=STANDING_IN)
    store.end_run()
    p.at(MON, 14)
    p.sit(50, Posture.SLOUCHED, camera=ALONE)
    store.end_run()
    one = day_summary(store, MON, TZ)
    (many,) = days_summaries(store, MON, MON, TZ)
    for s in (one, many):
        assert s.sitting_minutes == pytest.approx(120)
        assert s.cushion_minutes == pytest.approx(30)
        assert s.lopsided_minutes == pytest.approx(20)
        assert s.lopsided_share == pytest.approx(20 / 30)  # not 20 / 120
        assert s.balance_measured
    week = week_summary(store, date(2026, 1, 11), TZ)
    assert week.cushion_minutes == pytest.approx(30)
    mins = minutes_between(store, *(datetime(2026, 1, 5, h, tzinfo=TZ) for h in (9, 16)))
    assert sum(m.seconds_occupied_cushion for m in mins) == pytest.approx(30 * 60)
    store.close()


def test_a_camera_only_day_has_no_cushion_time(tmp_path: Path) -> None:
    store, _clock, p = history(tmp_path)
    p.at(MON, 9)
    p.sit(60, camera=ALONE)
    store.end_run()
    s = day_summary(store, MON, TZ)
    assert s.sitting_minutes == pytest.approx(60)
    assert s.cushion_minutes == 0 and s.lopsided_share is None
    assert not s.balance_measured
    store.close()


def test_folding_old_minutes_into_hours_keeps_the_cushion_time(tmp_path: Path) -> None:
    store, clock, p = history(tmp_path)
    p.at(MON, 9)
    p.sit(20)
    p.sit(30, camera=STANDING_IN)
    store.end_run()
    before = day_summary(store, MON, TZ).cushion_minutes
    clock.advance(30 * 86400)
    store.tidy(1.0)
    after = day_summary(store, MON, TZ)
    assert before == pytest.approx(20) and after.cushion_minutes == pytest.approx(20)
    assert after.sitting_minutes == pytest.approx(50)
    store.close()


# -- the schema ----------------------------------------------------------------------------------

def test_the_migration_fills_the_cushion_time_of_rows_written_before(tmp_path: Path) -> None:
    """Before, a minute counted as sat only while its run's sensor was online: the cushion's for
    a cushion run, the camera's for a camera-only run (its source names the camera alone)."""
    db = tmp_path / "h.sqlite"
    conn = sqlite3.connect(db, isolation_level=None)
    schema.migrate(conn, schema.MIGRATIONS[:5])
    conn.executemany("INSERT INTO runs (run_id, started, source) VALUES (?, ?, ?)", [
        ("c", "2026-01-05T09:00:00+01:00", "serial:/dev/ttyACM0"),
        ("f", "2026-01-05T10:00:00+01:00", "serial:/dev/ttyACM0 + camera:0"),
        ("k", "2026-01-05T11:00:00+01:00", "camera:0"),
    ])
    conn.executemany(
        "INSERT INTO minutes (minute, epoch, run_id, seconds_present, seconds_occupied, "
        "sensor_online_seconds) VALUES (?, ?, ?, 60, ?, ?)", [
            ("2026-01-05T09:00:00+01:00", 1767600000, "c", 45, 50),
            ("2026-01-05T10:00:00+01:00", 1767603600, "f", 30, 30),
            ("2026-01-05T11:00:00+01:00", 1767607200, "k", 60, 60),
        ])
    assert schema.migrate(conn) == schema.SCHEMA_VERSION
    got = dict(conn.execute(f"SELECT run_id, {schema.CUSHION_COLUMN} FROM minutes"))
    assert got == {"c": 45, "f": 30, "k": 0}
    conn.close()


# -- the daemon's sample -------------------------------------------------------------------------

def test_the_history_sample_says_whether_the_cushion_saw_the_seat() -> None:
    def snap(source: str, online: bool, **kw: object) -> Snapshot:
        return Snapshot(t=100.0, source=source, online=online,
                        occupancy=Occupancy.OCCUPIED, **kw)  # type: ignore[arg-type]

    cushion = describe.history_fields(snap("cushion", True))
    assert cushion["occupied"] and cushion["cushion"]
    fused = describe.history_fields(snap("fused", True))
    assert fused["occupied"] and fused["cushion"]
    standing_in = describe.history_fields(snap("fused", False, seen_by=CAMERA_SAW))
    assert standing_in["occupied"] and not standing_in["cushion"]
    alone = describe.history_fields(snap("camera", True, seen_by=CAMERA_SAW))
    assert alone["occupied"] and not alone["cushion"]
    unseen = describe.history_fields(snap("fused", True, unseen_since=90.0))
    assert not unseen["occupied"] and not unseen["cushion"]
    empty = describe.history_fields(Snapshot(t=1.0, source="cushion", online=True,
                                             occupancy=Occupancy.EMPTY))
    assert not empty["cushion"]


def test_an_older_camera_only_run_reads_without_the_config_s_cushion_layout(
        tmp_path: Path) -> None:
    """Before, a camera-only run stored the config's cushion layout: read back, such a run has
    none (nor does one stored now); a run with a cushion keeps its layout, a fused one too."""
    store, clock, s = history(tmp_path)
    s.at(MON, 9, layout="load-cells-4", source="camera:0")  # as an older sitwatch stored it
    s.sit(5, camera=ALONE)
    s.at(MON, 10, source="/dev/ttyACM0 + camera:0")
    s.sit(5)
    store.begin_run(None, "camera:0")  # as it is stored now
    store.end_run()
    assert [(r.layout, r.camera_only) for r in runs(store)] == [
        (None, True), ("smartchair-12", False), (None, True)]
    store.close()
