"""Issue #15: a history that stays small. Empty seat as one row per stretch, old minutes folded
into hours (the summaries unchanged), one diagnosis per state not per minute, backups capped,
and what is at the history path identified before anything is changed."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from sitwatch.core.clock import ManualClock
from sitwatch.core.events import DIAGNOSIS, POSTURE, SENSOR, Event
from sitwatch.history import schema
from sitwatch.history.diagnose import Kind, identify
from sitwatch.history.queries import day_summary
from sitwatch.history.retention import tidy
from sitwatch.history.store import Store
from sitwatch.runtime.daemon import prune_backups
from tests.helpers.history import TZ, Sitter


def raw(db: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    return conn


def test_an_empty_seat_is_one_row_per_hour_not_one_a_minute(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    clock = ManualClock(datetime(2026, 3, 2, 0, 0, tzinfo=TZ))
    store = Store(db, clock)
    s = Sitter(store, clock)
    s.at(date(2026, 3, 2), 0)
    s.away(8 * 60)  # the night
    s.sit(50)
    s.away(30)
    store.close()
    rows = raw(db).execute("SELECT span, seconds_occupied FROM minutes").fetchall()
    empty = [r for r in rows if r["seconds_occupied"] == 0]
    assert len(empty) <= 8 + 1 + 1  # 8 h of night: 8 rows (not 480); 30 min after: 1
    assert sum(r["span"] for r in rows) == (8 * 60 + 50 + 30) * 60
    st = Store(db, clock, readonly=True)
    day = day_summary(st, date(2026, 3, 2), TZ)
    assert day.present_minutes == pytest.approx(8 * 60 + 50 + 30)
    assert day.sitting_minutes == pytest.approx(50)
    every = st.minutes_between(datetime(2026, 3, 2, tzinfo=TZ), datetime(2026, 3, 3, tzinfo=TZ))
    assert len(every) == 8 * 60 + 50 + 30  # the reports still get every minute
    assert all(m.seconds_present == pytest.approx(60) for m in every)
    st.close()


def fill_two_days(db: Path) -> ManualClock:
    clock = ManualClock(datetime(2026, 3, 2, 7, 0, tzinfo=TZ))
    store = Store(db, clock)
    s = Sitter(store, clock)
    for day in (date(2026, 3, 2), date(2026, 3, 3)):
        s.at(day, 8, 10)
        s.sit(47, posture="slouched")
        s.away(5)
        s.sit(61)
        store.add_event(Event(clock.monotonic(), POSTURE, "upright"))
        s.nudge("slouch", responded=True)
        s.away(3)
    store.close()
    return clock


def test_folding_old_minutes_into_hours_keeps_the_day_summary(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    clock = fill_two_days(db)
    st = Store(db, clock, readonly=True)
    before = [day_summary(st, d, TZ) for d in (date(2026, 3, 2), date(2026, 3, 3))]
    st.close()
    conn = sqlite3.connect(db, isolation_level=None)
    done = tidy(conn, datetime(2026, 3, 3, 0, 0, tzinfo=TZ))  # the first day is "old"
    conn.close()
    assert done.minute_rows > 100 and done.hour_rows <= 4 and done.events == 1
    with sqlite3.connect(db) as c:  # the freed pages went back to the disk
        assert c.execute("PRAGMA freelist_count").fetchone()[0] == 0
    st = Store(db, clock, readonly=True)
    after = [day_summary(st, d, TZ) for d in (date(2026, 3, 2), date(2026, 3, 3))]
    st.close()
    for a, b in zip(before, after, strict=True):
        assert b.sitting_minutes == pytest.approx(a.sitting_minutes)
        assert b.present_minutes == pytest.approx(a.present_minutes)
        assert b.posture_minutes == pytest.approx(a.posture_minutes)
        assert b.spells == a.spells and b.nudges == a.nudges and b.breaks == a.breaks
        assert b.frames == a.frames
    spans = [r[0] for r in raw(db).execute(
        "SELECT span FROM minutes WHERE epoch < ?",
        (datetime(2026, 3, 3, tzinfo=TZ).timestamp(),))]
    assert spans and set(spans) == {3600}
    kinds = [r[0] for r in raw(db).execute("SELECT DISTINCT event FROM events")]
    assert POSTURE in kinds  # the recent day keeps its posture events ...
    old = raw(db).execute("SELECT count(*) FROM events WHERE event = ? AND epoch < ?",
                          (POSTURE, datetime(2026, 3, 3, tzinfo=TZ).timestamp())).fetchone()[0]
    assert old == 0  # ... the old one only what the reports read


def test_a_silent_cushion_is_one_diagnosis_not_one_a_minute(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    clock = ManualClock()
    store = Store(db, clock)
    store.begin_run("load-cells-4", "test")
    for i in range(180):  # three hours of "no valid frame" every minute
        clock.advance(60)
        store.add_event(Event(clock.monotonic(), DIAGNOSIS, None,
                              {"message": f"no data: {i} bytes in the last minute"}))
    store.add_event(Event(clock.monotonic(), SENSOR, "offline"))
    store.add_event(Event(clock.monotonic(), DIAGNOSIS, None, {"message": "no data: 0 bytes"}))
    store.add_event(Event(clock.monotonic(), DIAGNOSIS, None, {"message": "wrong baud rate?"}))
    store.close()
    n = raw(db).execute("SELECT count(*) FROM events WHERE event = 'diagnosis'").fetchone()[0]
    # the first, one reminder an hour (2), after the sensor event, and a new message
    assert n == 1 + 2 + 1 + 1


def test_backups_keep_a_count_and_a_size_cap_the_newest_always_stays(tmp_path: Path) -> None:
    for day, size in ((1, 400), (2, 400), (3, 400), (4, 400), (5, 900)):
        (tmp_path / f"history-2026-03-0{day}.sqlite").write_bytes(b"x" * size)
    removed = prune_backups(tmp_path, keep=3, max_bytes=1500)
    assert [p.name for p in removed] == ["history-2026-03-03.sqlite",
                                         "history-2026-03-02.sqlite",
                                         "history-2026-03-01.sqlite"]
    assert prune_backups(tmp_path, keep=3, max_bytes=10) == [
        tmp_path / "history-2026-03-04.sqlite"]
    assert [p.name for p in tmp_path.iterdir()] == ["history-2026-03-05.sqlite"]


def test_identify_reads_without_changing(tmp_path: Path) -> None:
    p = tmp_path / "x.sqlite"
    assert identify(p).kind == Kind.NEW
    p.write_bytes(b"")
    assert identify(p).kind == Kind.NEW
    p.write_bytes(b"hello, not a database at all" * 10)
    assert identify(p).kind == Kind.DAMAGED
    p.unlink()
    Store(p, ManualClock()).close()
    assert identify(p).kind == Kind.OURS
    q = tmp_path / "other.sqlite"
    conn = sqlite3.connect(q)
    conn.execute("PRAGMA application_id = 1234")
    conn.execute("CREATE TABLE runs (x)")
    conn.commit()
    conn.close()
    before = q.read_bytes()
    ident = identify(q)
    assert ident.kind == Kind.FOREIGN and "0x000004d2" in ident.detail
    assert q.read_bytes() == before


def test_the_storage_migration_keeps_old_rows(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    conn = sqlite3.connect(db, isolation_level=None)
    schema.migrate(conn, schema.MIGRATIONS[:1])
    conn.execute("INSERT INTO minutes (minute, epoch, run_id, seconds_present) "
                 "VALUES ('2026-03-02T09:00:00+01:00', 1772438400, 'r', 60)")
    schema.migrate(conn)
    r = conn.execute("SELECT seconds_present, span, fold FROM minutes").fetchone()
    assert r == (60.0, 60, 0)
    assert schema.user_version(conn) == schema.SCHEMA_VERSION
    conn.close()


def test_minute_rows_are_spread_only_inside_the_range(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    clock = ManualClock(datetime(2026, 3, 2, 23, 0, tzinfo=TZ))
    store = Store(db, clock)
    store.begin_run("load-cells-4", "test")
    for _ in range(12 * 60):  # 23:00 to 01:00, empty seat
        clock.advance(10)
        store.add_sample(10.0, occupied=False, posture=None, balance=None, seat_load=1.0,
                         cop_x=None, cop_y=None, online=True)
    store.close()
    st = Store(db, clock, readonly=True)
    first = day_summary(st, date(2026, 3, 2), TZ)
    second = day_summary(st, date(2026, 3, 3), TZ)
    st.close()
    assert first.present_minutes == pytest.approx(60)
    assert second.present_minutes == pytest.approx(60)
    assert first.has_data and timedelta(0) == timedelta(0)


def test_what_was_kept_in_memory_is_written_once_stretches_included(tmp_path: Path) -> None:
    """Minutes and stretches of empty seat that piled up while the path held another
    program's file are written whole, once, when it is moved away."""
    from sitwatch.history.store import RETRY_MAX

    db = tmp_path / "h.sqlite"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE notes (x)")
    conn.commit()
    conn.close()
    clock = ManualClock(datetime(2026, 3, 2, 6, 0, tzinfo=TZ))
    store = Store(db, clock, retry=True)
    assert not store.available
    s = Sitter(store, clock)
    s.at(date(2026, 3, 2), 6)
    s.away(90)
    for _ in range(6 * 45):  # 45 min of a cushion that is offline, seat empty
        clock.advance(10)
        store.add_sample(10.0, occupied=False, posture=None, balance=None, seat_load=None,
                         cop_x=None, cop_y=None, online=False)
    s.sit(30)
    s.away(130)
    db.rename(tmp_path / "notes.sqlite")
    clock.advance(RETRY_MAX)
    s.away(1)
    store.close()
    st = Store(db, clock, readonly=True)
    day = day_summary(st, date(2026, 3, 2), TZ)
    st.close()
    total = 90 + 45 + 30 + 130 + 1 + RETRY_MAX / 60  # the wait itself was not sampled
    assert day.present_minutes == pytest.approx(total - RETRY_MAX / 60)
    assert day.sitting_minutes == pytest.approx(30)
    assert day.sensor_offline_minutes == pytest.approx(45)
    rows = raw(db).execute("SELECT count(*) FROM minutes").fetchone()[0]
    assert rows < 60


def test_a_stretch_that_grew_while_writes_failed_is_not_lost(tmp_path: Path) -> None:
    """Another process holds the write lock for a while (writes fail: "database is locked"):
    the stretch of empty seat that grew meanwhile and then ended is still written."""
    db = tmp_path / "h.sqlite"
    clock = ManualClock(datetime(2026, 3, 2, 6, 0, tzinfo=TZ))
    store = Store(db, clock, busy_timeout_ms=10)
    s = Sitter(store, clock)
    s.at(date(2026, 3, 2), 6)
    s.away(20)  # written: a stretch of 20 min
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    s.away(20)  # the stretch grows while nothing can be written
    s.sit(10)  # ... and ends
    other.execute("ROLLBACK")
    other.close()
    s.away(1)
    store.close()
    st = Store(db, clock, readonly=True)
    day = day_summary(st, date(2026, 3, 2), TZ)
    st.close()
    assert day.present_minutes == pytest.approx(51)
    assert day.sitting_minutes == pytest.approx(10)


def test_the_daemon_folds_old_detail_a_week_at_a_time(tmp_path: Path) -> None:
    from sitwatch.config import Config
    from sitwatch.runtime.daemon import Daemon
    from sitwatch.sensing import layout

    db = tmp_path / "h.sqlite"
    clock = ManualClock(datetime(2026, 1, 5, 7, 0, tzinfo=TZ))
    store = Store(db, clock)
    s = Sitter(store, clock)
    for day in (date(2026, 1, 5), date(2026, 1, 6), date(2026, 1, 20)):
        s.at(day, 9)
        s.sit(45)
    store.close()

    def minute_rows(before: date) -> int:
        edge = datetime(before.year, before.month, before.day, tzinfo=TZ).timestamp()
        return raw(db).execute("SELECT count(*) FROM minutes WHERE span < 3600 AND epoch < ?",
                               (edge,)).fetchone()[0]

    assert minute_rows(date(2026, 1, 7)) >= 90 and minute_rows(date(2026, 1, 21)) >= 135
    later = ManualClock(datetime(2026, 4, 1, 9, 0, tzinfo=TZ))
    d = Daemon(Config(), layout.load("load-cells-4"), None, later, store=Store(db, later))
    later.advance(3600)
    d._backup(later.monotonic())  # the hourly tidy: one week of old minutes
    assert minute_rows(date(2026, 1, 7)) == 0 and minute_rows(date(2026, 1, 21)) >= 45
    later.advance(3600)
    d._backup(later.monotonic())
    assert minute_rows(date(2026, 1, 21)) == 0
    d.close()
    st = Store(db, later, readonly=True)
    assert day_summary(st, date(2026, 1, 20), TZ).sitting_minutes == pytest.approx(45)
    st.close()


def test_samples_handed_over_in_a_batch_are_placed_end_to_end(tmp_path: Path) -> None:
    """A source hands over several frames at once (the wall clock already at the last one):
    every second counts once, no fold, no row over its minute."""
    db = tmp_path / "h.sqlite"
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=TZ))
    store = Store(db, clock)
    store.begin_run("load-cells-4", "test")
    for _ in range(90):  # 3 minutes: 2 s at a time, handed over as 10 samples of 0.2 s
        clock.advance(2)
        for _ in range(10):
            store.add_sample(0.2, occupied=True, posture="upright", balance="balanced",
                             seat_load=1.0, cop_x=0.0, cop_y=0.0, online=True)
    store.close()
    rows = raw(db).execute("SELECT seconds_present, fold FROM minutes").fetchall()
    assert sum(r[0] for r in rows) == pytest.approx(180)
    assert {r[1] for r in rows} == {0} and max(r[0] for r in rows) <= 60 + 1e-9


class SilentCushion:
    """Connected, but no valid frame: a diagnosis every minute, as the serial source says."""

    name = "silent"

    def __init__(self, clock: ManualClock) -> None:
        self.clock, self.next = clock, 60.0

    def poll(self, max_wait):
        from sitwatch.sources.base import Diagnosis

        self.clock.advance(1.0)
        if self.clock.monotonic() >= self.next:
            self.next += 60.0
            return [Diagnosis(self.clock.monotonic(),
                              f"no valid frame: {int(self.clock.monotonic())} bytes of noise")]
        return []

    def close(self) -> None:
        pass

    def stats(self):
        return {"port": "test", "online": True, "frames": 0, "dropped_total": 0}


def test_the_daemon_stores_a_silent_cushion_once_an_hour(tmp_path: Path) -> None:
    from sitwatch.config import Config
    from sitwatch.runtime.daemon import Daemon
    from sitwatch.sensing import layout
    from tests.helpers.doubles import Collect

    clock = ManualClock()
    sink = Collect()
    db = tmp_path / "h.sqlite"
    d = Daemon(Config(), layout.load("load-cells-4"), SilentCushion(clock), clock, sinks=sink,
               store=Store(db, clock))
    for _ in range(3 * 3600):
        d.step(0)
    d.close()
    assert sum(e.event == DIAGNOSIS for e in sink.events) == 180  # the sinks hear every one
    n = raw(db).execute("SELECT count(*) FROM events WHERE event = 'diagnosis'").fetchone()[0]
    assert n == 3  # the history: the first, then a reminder an hour
