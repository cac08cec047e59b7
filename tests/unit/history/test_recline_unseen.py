"""Reclining is seen only by backrest sensors: a seat alone reads it as upright and a camera does
not report it. The history keeps the seated time nothing could see it in
(``minutes.seconds_recline_unseen``), and the summaries take the reclined share over the rest:
None, not 0%, when nothing saw it. Before, a seat-only cushion's report said "reclined 0%" as if
measured. Through a real SQLite store; the reports' words: tests/unit/reports, the daemon's own
history: tests/e2e/test_seat_only_reclining.py."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from pathlib import Path

import pytest

from sitwatch.core.clock import ManualClock
from sitwatch.core.kinds import Occupancy, Posture
from sitwatch.history import schema
from sitwatch.history.queries import day_summary, minutes_between, week_summary
from sitwatch.history.store import Store
from sitwatch.runtime import describe
from sitwatch.sensing.snapshot import CAMERA_SAW, Snapshot
from tests.helpers.history import ALONE, TZ, Sitter

MON = date(2026, 1, 5)
TUE = date(2026, 1, 6)


def history(tmp_path: Path) -> tuple[Store, ManualClock, Sitter]:
    clock = ManualClock(datetime(2026, 1, 5, 8, 0, tzinfo=TZ), monotonic=0.0)
    store = Store(tmp_path / "history.sqlite", clock)
    return store, clock, Sitter(store, clock)


def test_a_seat_only_day_has_no_reclined_share(tmp_path: Path) -> None:
    store, _clock, p = history(tmp_path)
    p.at(MON, 9, layout="fsr-cushion-9")
    p.sit(60, back=False)
    store.flush()
    s = day_summary(store, MON, TZ)
    assert s.recline_unseen_minutes == pytest.approx(60)
    assert s.posture_shares[Posture.RECLINED] is None
    assert s.posture_shares[Posture.UPRIGHT] == pytest.approx(1.0)
    assert s.upright_share == pytest.approx(1.0)
    store.close()


def test_a_camera_alone_cannot_see_reclining_either(tmp_path: Path) -> None:
    store, _clock, p = history(tmp_path)
    p.at(MON, 9)
    p.sit(30, camera=ALONE)
    store.flush()
    assert day_summary(store, MON, TZ).posture_shares[Posture.RECLINED] is None
    store.close()


def test_a_week_with_both_counts_reclining_over_the_time_a_backrest_saw(tmp_path: Path) -> None:
    """Monday on a seat alone (60 min), Tuesday on a chair with a backrest (30 min upright, 30
    reclined): reclined 50% of the hour the backrest saw, not 25% of both days."""
    store, _clock, p = history(tmp_path)
    p.at(MON, 9, layout="fsr-cushion-9")
    p.sit(60, back=False)
    store.end_run()
    p.at(TUE, 9)
    p.sit(30)
    p.sit(30, Posture.RECLINED)
    store.flush()
    w = week_summary(store, TUE, TZ)
    assert w.recline_unseen_minutes == pytest.approx(60)
    assert w.recline_seen_minutes == pytest.approx(60)
    assert w.posture_shares[Posture.RECLINED] == pytest.approx(0.5)
    assert w.posture_shares[Posture.UPRIGHT] == pytest.approx(90 / 120)
    store.close()


def test_a_chair_with_a_backrest_reads_as_before(tmp_path: Path) -> None:
    store, _clock, p = history(tmp_path)
    p.at(MON, 9)
    p.sit(45)
    p.sit(15, Posture.RECLINED)
    store.flush()
    s = day_summary(store, MON, TZ)
    assert s.recline_unseen_minutes == 0
    assert s.posture_shares[Posture.RECLINED] == pytest.approx(0.25)
    assert sum(v or 0.0 for v in s.posture_shares.values()) == pytest.approx(1.0)
    store.close()


def test_folding_old_minutes_into_hours_keeps_it(tmp_path: Path) -> None:
    store, clock, p = history(tmp_path)
    p.at(MON, 9, layout="fsr-cushion-9")
    p.sit(50, back=False)
    store.end_run()
    clock.advance(30 * 86400)
    store.tidy(1.0)
    s = day_summary(store, MON, TZ)
    assert s.recline_unseen_minutes == pytest.approx(50)
    assert sum(m.seconds_recline_unseen for m in minutes_between(
        store, datetime(2026, 1, 5, 0, tzinfo=TZ), datetime(2026, 1, 6, 0, tzinfo=TZ))) \
        == pytest.approx(50 * 60)
    store.close()


def test_an_older_history_reads_as_it_always_did(tmp_path: Path) -> None:
    """Rows from before the column hold 0: their reclined share is over all the sitting, as
    before (which device wrote them is not known well enough to guess)."""
    db = tmp_path / "h.sqlite"
    conn = sqlite3.connect(db, isolation_level=None)
    schema.migrate(conn, schema.MIGRATIONS[:6])
    conn.execute("INSERT INTO runs (run_id, started, layout, source) VALUES "
                 "('r', '2026-01-05T09:00:00+01:00', 'fsr-cushion-9', 'serial:/dev/ttyACM0')")
    conn.execute(
        "INSERT INTO minutes (minute, epoch, run_id, seconds_present, seconds_occupied, upright, "
        "sensor_online_seconds, seconds_occupied_cushion) VALUES "
        "('2026-01-05T09:00:00+01:00', 1767600000, 'r', 60, 60, 60, 60, 60)")
    assert schema.migrate(conn) == schema.SCHEMA_VERSION
    assert conn.execute(f"SELECT {schema.RECLINE_UNSEEN_COLUMN} FROM minutes").fetchall() \
        == [(0,)]
    conn.close()
    with Store(db, ManualClock(datetime(2026, 1, 6, tzinfo=TZ)), readonly=True) as store:
        assert day_summary(store, MON, TZ).posture_shares[Posture.RECLINED] == 0.0


def test_the_history_sample_says_whether_reclining_could_be_seen() -> None:
    def snap(source: str, online: bool, **kw: object) -> Snapshot:
        return Snapshot(t=100.0, source=source, online=online,
                        occupancy=Occupancy.OCCUPIED, **kw)  # type: ignore[arg-type]

    assert not describe.history_fields(snap("cushion", True, sees_recline=True))["recline_unseen"]
    assert describe.history_fields(snap("cushion", True))["recline_unseen"]  # a seat alone
    assert not describe.history_fields(snap("fused", True, sees_recline=True))["recline_unseen"]
    # the camera standing in for an offline chair with a backrest: it cannot see reclining
    assert describe.history_fields(snap("fused", False, sees_recline=True,
                                        seen_by=CAMERA_SAW))["recline_unseen"]
    assert describe.history_fields(snap("camera", True, seen_by=CAMERA_SAW))["recline_unseen"]
    empty = Snapshot(t=1.0, source="cushion", online=True, occupancy=Occupancy.EMPTY)
    assert not describe.history_fields(empty)["recline_unseen"]
