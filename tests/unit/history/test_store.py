"""The history store over real SQLite files (tmp_path), driven by a ManualClock."""

from __future__ import annotations

import json
import logging
import sqlite3
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from sitwatch.core.clock import ManualClock
from sitwatch.core.events import BREAK, NUDGE, OCCUPANCY, POSTURE, SENSOR, Event
from sitwatch.core.kinds import Balance, Posture
from sitwatch.history.queries import day_summary, days_summaries, runs
from sitwatch.history.schema import (
    BALANCE_COLUMNS,
    CUSHION_COLUMN,
    MIGRATIONS,
    MINUTE_COLUMNS,
    POSTURE_COLUMNS,
    RECLINE_UNSEEN_COLUMN,
    SCHEMA_VERSION,
    WRITE_COLUMNS,
    migrate,
    user_version,
)
from sitwatch.history.store import Store, StoreError
from sitwatch.sensing.detectors.occupancy import SittingTimer

BERLIN = ZoneInfo("Europe/Berlin")
PLUS1 = timezone(timedelta(hours=1))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 1, 5, 9, 0, tzinfo=BERLIN), monotonic=1000.0)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "data" / "history.sqlite"


def raw(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    return conn


def sample(store: Store, dt: float, *, occupied: bool = True, posture: str | None = "upright",
           balance: str | None = "balanced", online: bool = True, load: float = 50.0) -> None:
    store.add_sample(dt, occupied=occupied, posture=posture, balance=balance, seat_load=load,
                     cop_x=0.1, cop_y=-0.2, online=online)


def goto(clock: ManualClock, when: datetime) -> None:
    clock.advance((when - clock.now()).total_seconds())


# -- schema and migrations -------------------------------------------------------------------

def test_schema_is_created_with_user_version_and_wal(db: Path, clock: ManualClock) -> None:
    store = Store(db, clock)
    store.close()
    conn = raw(db)
    assert user_version(conn) == SCHEMA_VERSION == len(MIGRATIONS) >= 1
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"events", "minutes", "runs"} <= tables
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    cols = {r["name"] for r in conn.execute("PRAGMA table_info(minutes)")}
    assert {"minute", "run_id", "seconds_present", "seconds_occupied", "upright", "slouched",
            "leaning_forward", "reclined", "unknown", "balanced", "left", "right",
            "seat_load_mean", "cop_x_mean", "cop_y_mean", "frames", "dropped",
            "sensor_online_seconds"} <= cols
    pk = [r["name"] for r in sorted(conn.execute("PRAGMA table_info(minutes)"),
                                     key=lambda r: r["pk"]) if r["pk"]]
    assert pk == ["minute", "run_id", "fold"]


def test_the_minute_columns_are_the_vocabulary(db: Path, clock: ManualClock) -> None:
    """The writer's column list (from the kinds) matches the frozen DDL of the migrations."""
    Store(db, clock).close()
    cols = [r["name"] for r in raw(db).execute("PRAGMA table_info(minutes)")]
    assert tuple(cols) == (*MINUTE_COLUMNS, "span", "fold", CUSHION_COLUMN,
                           RECLINE_UNSEEN_COLUMN)
    assert set(cols) == set(WRITE_COLUMNS)
    assert tuple(Posture) == POSTURE_COLUMNS  # every posture, UNKNOWN included, has a column
    assert tuple(Balance) == BALANCE_COLUMNS


def test_reopening_and_migrating_again_changes_nothing(db: Path, clock: ManualClock) -> None:
    store = Store(db, clock)
    store.begin_run("load-cells-4", "loop://")
    store.add_event(Event(clock.monotonic(), OCCUPANCY, "occupied"))
    store.close()
    schema_sql = "SELECT name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name"
    schema = [tuple(r) for r in raw(db).execute(schema_sql)]
    assert len(schema) >= 3

    store = Store(db, clock)  # second open: nothing to migrate, data intact
    assert len(store.events_between(clock.now() - timedelta(hours=1), clock.now()
                                    + timedelta(hours=1))) == 1
    store.close()
    conn = raw(db)
    assert migrate(conn) == SCHEMA_VERSION
    assert migrate(conn) == SCHEMA_VERSION
    assert [tuple(r) for r in conn.execute(schema_sql)] == schema
    assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 1


def test_appending_a_migration_upgrades_an_existing_database(db: Path,
                                                            clock: ManualClock) -> None:
    with Store(db, clock) as store:
        store.begin_run("load-cells-4", "loop://")
    calls = []

    def v2(conn: sqlite3.Connection) -> None:
        calls.append(1)
        conn.execute("ALTER TABLE runs ADD COLUMN host TEXT")  # fails if it ran twice

    conn = raw(db)
    migrations = [*MIGRATIONS, v2]
    assert migrate(conn, migrations) == SCHEMA_VERSION + 1
    assert migrate(conn, migrations) == SCHEMA_VERSION + 1
    assert calls == [1]
    assert user_version(conn) == SCHEMA_VERSION + 1
    assert "host" in {r["name"] for r in conn.execute("PRAGMA table_info(runs)")}
    assert conn.execute("SELECT count(*) FROM runs").fetchone()[0] == 1


def test_a_failing_migration_rolls_back_completely(db: Path, clock: ManualClock) -> None:
    Store(db, clock).close()

    def v2(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("boom")

    conn = raw(db)
    with pytest.raises(RuntimeError):
        migrate(conn, [*MIGRATIONS, v2])
    assert user_version(conn) == SCHEMA_VERSION
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name='half_done'"
                        ).fetchone()[0] == 0
    assert not conn.in_transaction


def test_a_newer_schema_is_refused_and_left_alone(db: Path, clock: ManualClock) -> None:
    Store(db, clock).close()
    raw(db).execute("PRAGMA user_version = 99")
    with pytest.raises(StoreError, match="newer"):
        Store(db, clock)
    assert db.exists() and user_version(raw(db)) == 99
    assert not list(db.parent.glob("*.corrupt-*"))


# -- corruption ------------------------------------------------------------------------------

def test_a_garbage_file_is_set_aside_and_a_fresh_database_works(
        db: Path, clock: ManualClock, caplog: pytest.LogCaptureFixture) -> None:
    db.parent.mkdir(parents=True)
    garbage = b"this is not sqlite\x00\xff" * 500
    db.write_bytes(garbage)
    with caplog.at_level(logging.ERROR, logger="sitwatch.history.store"):
        store = Store(db, clock)
    assert store.recovered_from is not None
    assert store.recovered_from.name == "history.sqlite.corrupt-20260105T090000"
    assert store.recovered_from.read_bytes() == garbage
    assert "damaged" in caplog.text and str(store.recovered_from) in caplog.text

    store.begin_run("load-cells-4", "loop://")
    store.add_event(Event(clock.monotonic(), OCCUPANCY, "occupied"))
    store.flush()
    assert [e.state for e in store.events_between(clock.now() - timedelta(minutes=1),
                                                  clock.now() + timedelta(minutes=1))] \
        == ["occupied"]
    store.close()
    assert raw(db).execute("PRAGMA quick_check").fetchone()[0] == "ok"


def test_damaged_pages_are_set_aside_too(db: Path, clock: ManualClock) -> None:
    with Store(db, clock) as store:
        store.begin_run("load-cells-4", "loop://")
        for i in range(400):
            clock.advance(1)
            store.add_event(Event(clock.monotonic(), NUDGE, None, {"kind": "slouch",
                                                                   "message": "x" * 200,
                                                                   "i": i}))
    raw(db).execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert db.stat().st_size > 4096 * 8
    with db.open("r+b") as f:  # wipe a page in the middle (a leaf of the events table)
        f.seek(4096 * (db.stat().st_size // 4096 // 2))
        f.write(b"\xff" * 4096)
    store = Store(db, clock)
    assert store.recovered_from is not None and store.recovered_from.exists()
    # what was still readable came over into the fresh file (issue #14 item 6)
    kept = store.events_between(clock.now() - timedelta(days=1), clock.now())
    assert 380 <= len(kept) <= 400
    assert store.salvaged is not None and store.salvaged.copied["events"] >= len(kept)
    store.close()
    second = Store(db, clock)  # the fresh file is healthy: no second recovery
    assert second.recovered_from is None
    second.close()


def test_salvage_keeps_the_diary_and_every_later_table(db: Path, clock: ManualClock) -> None:
    """A damaged file's symptom entries (and any table a later migration added) come over into
    the fresh file with the events: salvage used to copy runs, events and minutes only."""
    from sitwatch.core.kinds import BodyArea, SymptomKind
    from sitwatch.history.diary import SymptomEntry, add_entry, entries_between

    with Store(db, clock) as store:
        store.begin_run("load-cells-4", "loop://")
        for i in range(400):
            clock.advance(1)
            store.add_event(Event(clock.monotonic(), NUDGE, None, {"kind": "slouch",
                                                                   "message": "x" * 200,
                                                                   "i": i}))
        for k in range(3):
            add_entry(store.connection, SymptomEntry(clock.now() - timedelta(minutes=k),
                                                     SymptomKind.NUMBNESS,
                                                     area=BodyArea.BUTTOCK, severity=k + 2))
    raw(db).execute("PRAGMA wal_checkpoint(TRUNCATE)")
    with db.open("r+b") as f:  # wipe a page in the middle (the events table's)
        f.seek(4096 * (db.stat().st_size // 4096 // 2))
        f.write(b"\xff" * 4096)
    store = Store(db, clock)
    assert store.recovered_from is not None and store.salvaged is not None
    kept = entries_between(store, clock.now() - timedelta(days=1), clock.now() + timedelta(1))
    assert sorted(e.severity for e in kept) == [2, 3, 4]
    assert store.salvaged.copied["symptoms"] == 3
    assert "symptoms" not in store.salvaged.unreadable
    store.close()


def test_two_corruptions_in_the_same_second_keep_both_files(db: Path,
                                                           clock: ManualClock) -> None:
    db.parent.mkdir(parents=True)
    db.write_bytes(b"garbage one" * 100)
    first = Store(db, clock)
    first.close()
    db.unlink()
    db.write_bytes(b"garbage two" * 100)
    second = Store(db, clock)
    second.close()
    assert first.recovered_from != second.recovered_from
    assert first.recovered_from is not None and second.recovered_from is not None
    assert first.recovered_from.read_bytes().startswith(b"garbage one")
    assert second.recovered_from.read_bytes().startswith(b"garbage two")


# -- recording -------------------------------------------------------------------------------

def test_recording_needs_a_run(db: Path, clock: ManualClock) -> None:
    store = Store(db, clock)
    with pytest.raises(StoreError, match="begin_run"):
        store.add_event(Event(0.0, OCCUPANCY, "occupied"))
    with pytest.raises(StoreError, match="begin_run"):
        sample(store, 1.0)
    store.close()


def test_minute_rollup_across_a_minute_boundary(db: Path, clock: ManualClock) -> None:
    store = Store(db, clock)
    store.begin_run("load-cells-4", "loop://")
    goto(clock, datetime(2026, 1, 5, 9, 0, 50, tzinfo=BERLIN))
    # 09:00:50 .. 09:01:10 in 1 s steps: 10 s in each minute.
    for i in range(20):
        clock.advance(1)
        occupied = i >= 4  # 09:00:50-54 empty, then occupied
        sample(store, 1.0, occupied=occupied, posture="slouched" if i >= 15 else "upright",
               balance="left" if i >= 8 else "balanced", load=10.0 * (i < 10) + 60.0 * (i >= 10),
               online=i != 19)
    store.flush()
    rows = store.minutes_between(datetime(2026, 1, 5, 9, 0, tzinfo=BERLIN),
                                 datetime(2026, 1, 5, 9, 2, tzinfo=BERLIN))
    assert [r.minute for r in rows] == [datetime(2026, 1, 5, 9, 0, tzinfo=PLUS1),
                                        datetime(2026, 1, 5, 9, 1, tzinfo=PLUS1)]
    a, b = rows
    assert a.minute.utcoffset() == timedelta(hours=1)
    assert (a.seconds_present, a.seconds_occupied) == (10, 6)
    assert a.posture == {"upright": 6, "slouched": 0, "leaning_forward": 0, "reclined": 0,
                         "unknown": 0}
    assert a.balance == {"balanced": 4, "left": 2, "right": 0}
    assert a.seat_load_mean == pytest.approx(10.0)
    assert a.cop_x_mean == pytest.approx(0.1) and a.cop_y_mean == pytest.approx(-0.2)
    assert (a.frames, a.sensor_online_seconds) == (10, 10)
    assert (b.seconds_present, b.seconds_occupied) == (10, 10)
    assert b.posture["upright"] == 5 and b.posture["slouched"] == 5
    assert b.balance == {"balanced": 0, "left": 10, "right": 0}
    assert b.seat_load_mean == pytest.approx(60.0)
    assert (b.frames, b.sensor_online_seconds) == (9, 9)
    store.close()


def test_a_long_sample_is_split_between_minutes(db: Path, clock: ManualClock) -> None:
    store = Store(db, clock)
    store.begin_run("load-cells-4", "loop://")
    goto(clock, datetime(2026, 1, 5, 9, 0, 57, tzinfo=BERLIN))
    clock.advance(5)  # 09:00:57 .. 09:01:02
    store.add_sample(5.0, occupied=True, posture=None, balance=None, seat_load=None,
                     cop_x=None, cop_y=None, online=True, dropped=4)
    store.flush()
    a, b = store.minutes_between(datetime(2026, 1, 5, 9, 0, tzinfo=BERLIN),
                                 datetime(2026, 1, 5, 9, 5, tzinfo=BERLIN))
    assert a.seconds_occupied == pytest.approx(3.0) and b.seconds_occupied == pytest.approx(2.0)
    assert a.posture["unknown"] == pytest.approx(3.0)
    assert sum(a.balance.values()) == 0  # unknown balance is not counted
    assert a.seat_load_mean is None and a.cop_x_mean is None
    assert (a.frames, a.dropped, b.frames, b.dropped) == (0, 0, 1, 4)
    # A bookkeeping call that only reports dropped lines adds no frame and no time.
    store.add_sample(0.0, occupied=True, posture=None, balance=None, seat_load=None,
                     cop_x=None, cop_y=None, online=True, dropped=2, frames=0)
    store.flush()
    b = store.minutes_between(datetime(2026, 1, 5, 9, 1, tzinfo=BERLIN),
                              datetime(2026, 1, 5, 9, 2, tzinfo=BERLIN))[0]
    assert (b.frames, b.dropped, b.seconds_present) == (1, 6, pytest.approx(2.0))
    store.close()


def test_a_stall_is_cut_to_max_sample_gap(db: Path, clock: ManualClock) -> None:
    store = Store(db, clock, max_sample_gap=30.0)
    store.begin_run("load-cells-4", "loop://")
    clock.advance(600)
    sample(store, 600.0)
    store.flush()
    rows = store.minutes_between(clock.now() - timedelta(hours=1), clock.now())
    assert sum(r.seconds_present for r in rows) == pytest.approx(30.0)
    with pytest.raises(ValueError):
        sample(store, -1.0)
    store.close()


def test_commits_are_batched_and_a_finished_minute_is_written(db: Path,
                                                             clock: ManualClock) -> None:
    store = Store(db, clock, commit_interval=5.0)
    store.begin_run("load-cells-4", "loop://")
    reader = raw(db)
    store.add_event(Event(clock.monotonic(), OCCUPANCY, "occupied"))
    for _ in range(4):
        clock.advance(1)
        sample(store, 1.0)
    assert reader.execute("SELECT count(*) FROM events").fetchone()[0] == 0
    assert reader.execute("SELECT count(*) FROM minutes").fetchone()[0] == 0
    clock.advance(1)
    sample(store, 1.0)  # 5 s after the last commit: one commit with everything so far
    assert reader.execute("SELECT count(*) FROM events").fetchone()[0] == 1
    assert reader.execute("SELECT seconds_present FROM minutes").fetchone()[0] == 5.0
    for _ in range(60):  # into the next minute
        clock.advance(1)
        sample(store, 1.0)
    rows = reader.execute("SELECT minute, seconds_present FROM minutes ORDER BY epoch").fetchall()
    assert tuple(rows[0]) == ("2026-01-05T09:00:00+01:00", 60.0)
    assert len(rows) == 2
    store.close()
    assert reader.execute("SELECT sum(seconds_present) FROM minutes").fetchone()[0] == 65.0
    assert reader.execute("SELECT ended FROM runs").fetchone()[0] is not None


def test_events_round_trip_with_timezone_aware_timestamps(db: Path) -> None:
    clock = ManualClock(datetime(2026, 3, 1, 23, 30, tzinfo=PLUS1), monotonic=5.0)
    store = Store(db, clock)
    run = store.begin_run("smartchair-12", "/dev/ttyACM0")
    store.add_event(Event(clock.monotonic(), POSTURE, "slouched", {"source": "cushion"}))
    clock.advance(45 * 60)  # past midnight local time
    store.add_event(Event(clock.monotonic(), NUDGE, None,
                          {"kind": "slouch", "title": "Sit back", "message": "Rücken ✓"}))
    store.flush()

    got = store.events_between(datetime(2026, 3, 1, 22, 0, tzinfo=UTC),
                               datetime(2026, 3, 2, 0, 0, tzinfo=UTC))
    assert [e.event for e in got] == [POSTURE, NUDGE]
    first, second = got
    assert first.ts == datetime(2026, 3, 1, 23, 30, tzinfo=PLUS1)
    assert first.ts.utcoffset() == timedelta(hours=1)
    assert second.ts == datetime(2026, 3, 2, 0, 15, tzinfo=PLUS1)
    assert first.t == 5.0 and second.t == 5.0 + 2700
    assert first.run_id == second.run_id == run
    assert second.data == {"kind": "slouch", "title": "Sit back", "message": "Rücken ✓"}
    assert second.as_event().get("message") == "Rücken ✓"
    # Filters: by name, and half-open ranges in any zone.
    assert [e.event for e in store.events_between(
        datetime(2026, 3, 1, tzinfo=PLUS1), datetime(2026, 3, 3, tzinfo=PLUS1), NUDGE)] == [NUDGE]
    assert store.events_between(datetime(2026, 3, 2, 0, 15, tzinfo=PLUS1),
                                datetime(2026, 3, 3, tzinfo=PLUS1))[0].event == NUDGE
    assert store.events_between(datetime(2026, 3, 1, tzinfo=PLUS1),
                                datetime(2026, 3, 2, 0, 15, tzinfo=PLUS1))[-1].event == POSTURE
    with pytest.raises(ValueError, match="timezone-aware"):
        store.events_between(datetime(2026, 3, 1), datetime(2026, 3, 2))
    store.close()
    ts = raw(db).execute("SELECT ts FROM events ORDER BY id").fetchall()
    assert [r[0] for r in ts] == ["2026-03-01T23:30:00.000+01:00",
                                  "2026-03-02T00:15:00.000+01:00"]


def test_event_data_with_numpy_values_and_oversized_data(db: Path, clock: ManualClock) -> None:
    np = pytest.importorskip("numpy")
    store = Store(db, clock)
    store.begin_run("load-cells-4", "loop://")
    store.add_event(Event(1.0, "balance", "left", {"shift": np.float32(0.25)}))
    store.add_event(Event(2.0, "diagnosis", None, {"frame": list(range(5000))}))
    store.flush()
    a, b = store.events_between(clock.now() - timedelta(minutes=1),
                                clock.now() + timedelta(minutes=1))
    assert a.data == {"shift": 0.25}
    assert b.data == {"truncated": True}  # no raw frames in the history
    store.close()


def test_a_second_process_reads_while_the_daemon_writes(db: Path, clock: ManualClock) -> None:
    store = Store(db, clock, commit_interval=1.0, busy_timeout_ms=200)
    store.begin_run("load-cells-4", "loop://")
    store.add_event(Event(clock.monotonic(), OCCUPANCY, "occupied"))
    store.flush()

    reader = Store(db, clock, readonly=True)
    conn = raw(db)
    conn.execute("BEGIN")  # a long read keeps its snapshot open...
    assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 1
    for _ in range(3):  # ...and the writer still commits (it would block without WAL)
        clock.advance(1)
        store.add_event(Event(clock.monotonic(), POSTURE, "upright"))
    assert store.last_error is None
    assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 1  # snapshot
    conn.execute("COMMIT")
    assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 4
    span = (clock.now() - timedelta(hours=1), clock.now() + timedelta(hours=1))
    assert len(reader.events_between(*span)) == 4
    with pytest.raises(StoreError, match="read-only"):
        reader.begin_run("x", "y")
    reader.close()
    store.close()


def test_a_readonly_store_needs_an_existing_file(tmp_path: Path, clock: ManualClock) -> None:
    with pytest.raises(StoreError, match="no history"):
        Store(tmp_path / "nope.sqlite", clock, readonly=True)


def test_backup_is_a_readable_copy(db: Path, clock: ManualClock, tmp_path: Path) -> None:
    store = Store(db, clock)
    store.begin_run("load-cells-4", "loop://")
    for _ in range(90):
        clock.advance(1)
        sample(store, 1.0)
    store.add_event(Event(clock.monotonic(), OCCUPANCY, "empty"))
    dest = store.backup(tmp_path / "backups" / "history-2026-01-05.sqlite")
    store.close()

    assert dest.is_file() and not list(dest.parent.glob(".*tmp"))
    conn = raw(dest)
    assert conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert user_version(conn) == SCHEMA_VERSION
    assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 1
    assert conn.execute("SELECT sum(seconds_present) FROM minutes").fetchone()[0] == 90.0
    copy = Store(dest, clock, readonly=True)
    assert len(copy.minutes_between(clock.now() - timedelta(hours=1), clock.now())) == 2
    copy.close()


def test_a_crashed_run_is_closed_at_its_last_data(db: Path, clock: ManualClock) -> None:
    store = Store(db, clock, commit_interval=1.0)
    crashed = store.begin_run("load-cells-4", "loop://")
    for _ in range(150):
        clock.advance(1)
        sample(store, 1.0)
    store.flush()
    store._conn.close()  # the daemon dies without end_run()/close()

    clock.advance(3600)
    store = Store(db, clock)
    store.begin_run("load-cells-4", "loop://")
    by_id = {r.run_id: r for r in runs(store)}
    # Last data: the minute 09:02 (rows are per minute), so the run ended by 09:03.
    ended = by_id[crashed].ended
    assert ended is not None and ended.isoformat() == "2026-01-05T09:03:00+01:00"
    store.close()


def test_the_wall_clock_stepping_back_writes_new_rows_none_over_a_minute(db: Path) -> None:
    class SteppingClock:
        def __init__(self) -> None:
            self.mono = 0.0
            self.wall = datetime(2026, 1, 5, 9, 0, 10, tzinfo=PLUS1)

        def monotonic(self) -> float:
            return self.mono

        def now(self) -> datetime:
            return self.wall

        def tick(self, s: float) -> None:
            self.mono += s
            self.wall += timedelta(seconds=s)

    clock = SteppingClock()
    store = Store(db, clock, commit_interval=1.0)
    store.begin_run("load-cells-4", "loop://")
    for _ in range(70):  # 09:00:10 -> 09:01:20
        clock.tick(1)
        sample(store, 1.0)
    store.flush()
    clock.wall -= timedelta(seconds=60)  # NTP steps back to 09:00:20
    for _ in range(5):
        clock.tick(1)
        sample(store, 1.0)
    store.flush()
    rows = store.minutes_between(datetime(2026, 1, 5, 9, tzinfo=PLUS1),
                                 datetime(2026, 1, 5, 10, tzinfo=PLUS1))
    # 09:00 holds the 50 s before the step (fold 0) and the 5 s after it (fold 1) in two
    # rows; 09:01 keeps its 20 s: every second counted once, no row over its minute.
    assert sorted(r.seconds_present for r in rows) == [5.0, 20.0, 50.0]
    assert all(r.seconds_present <= 60 for r in rows)
    folds = [r["fold"] for r in raw(db).execute("SELECT fold FROM minutes ORDER BY fold")]
    assert folds == [0, 0, 1]
    store.close()


# -- the daily summary -----------------------------------------------------------------------

class Day:
    """Drives the store the way the daemon does, with the real SittingTimer."""

    def __init__(self, store: Store, clock: ManualClock, step: float = 5.0) -> None:
        self.store, self.clock, self.step = store, clock, step
        self.timer = SittingTimer(min_break=120.0)

    def emit(self, ev: Event | None) -> None:
        if ev is not None:
            self.store.add_event(ev)

    def sit(self, minutes: float, posture: str = "upright", balance: str = "balanced",
            *more: tuple[float, str, str]) -> None:
        """Sit for ``minutes`` in one posture, then for each further (minutes, posture, balance)."""
        self.emit(self.timer.sit(self.clock.monotonic()))
        self.emit(Event(self.clock.monotonic(), OCCUPANCY, "occupied"))
        for m, p, b in ((minutes, posture, balance), *more):
            self.tick(m, occupied=True, posture=p, balance=b)
        self.timer.leave(self.clock.monotonic())
        self.emit(Event(self.clock.monotonic(), OCCUPANCY, "empty"))

    def away(self, minutes: float, online: bool = True) -> None:
        self.tick(minutes, occupied=False, posture=None, balance=None, online=online)

    def tick(self, minutes: float, **kw: object) -> None:
        for _ in range(round(minutes * 60 / self.step)):
            self.clock.advance(self.step)
            kw.setdefault("online", True)
            self.store.add_sample(self.step, seat_load=40.0, cop_x=0.0, cop_y=0.0,
                                  **kw)  # type: ignore[arg-type]


def test_daily_summary_of_a_constructed_day(db: Path, clock: ManualClock) -> None:
    store = Store(db, clock)
    store.begin_run("load-cells-4", "loop://")
    day = Day(store, clock)
    day.sit(20, "upright", "balanced", (10, "slouched", "left"))  # 09:00-09:20-09:30
    day.away(10)                                  # 09:30-09:40: a break
    day.emit(Event(clock.monotonic(), NUDGE, None, {"kind": "slouch"}))
    day.sit(15, "leaning_forward", "right")       # 09:40-09:55
    day.emit(Event(clock.monotonic(), NUDGE, None, {"kind": "prolonged_sitting"}))
    day.emit(Event(clock.monotonic(), SENSOR, "offline", {"reason": "unplugged"}))
    day.away(5, online=False)                     # 09:55-10:00: cushion unplugged
    day.emit(Event(clock.monotonic(), SENSOR, "online"))
    day.sit(5, "upright")                         # 10:00-10:05
    day.away(5)                                   # 10:05-10:10
    store.end_run()

    s = day_summary(store, date(2026, 1, 5), BERLIN)
    assert s.sitting_minutes == pytest.approx(50.0)
    assert s.present_minutes == pytest.approx(70.0)
    assert s.breaks == 2
    assert s.break_minutes == pytest.approx(15.0)
    assert [round(sp.minutes, 3) for sp in s.spells] == [30.0, 15.0, 5.0]
    assert s.longest_spell_minutes == pytest.approx(30.0)
    assert s.longest_spell_start == datetime(2026, 1, 5, 9, 0, tzinfo=BERLIN)
    assert s.posture_minutes["upright"] == pytest.approx(25.0)
    assert all(type(p) is Posture for p in s.posture_minutes)  # typed, equal to the text
    assert s.posture_shares == pytest.approx({"upright": 0.5, "slouched": 0.2,
                                              "leaning_forward": 0.3, "reclined": 0.0,
                                              "unknown": 0.0})
    assert s.lopsided_minutes == pytest.approx(25.0)
    assert s.lopsided_left_minutes == pytest.approx(10.0)
    assert s.lopsided_right_minutes == pytest.approx(15.0)
    assert s.nudges == {"prolonged_sitting": 1, "slouch": 1, "asymmetric_load": 0,
                        "wallet": 0, "daily_budget": 0, "static_sitting": 0}
    assert s.nudges_total == 2
    assert s.sensor_offline_minutes == pytest.approx(5.0)
    assert s.frames == (70 - 5) * 60 // 5

    other = day_summary(store, date(2026, 1, 6), BERLIN)
    assert other.sitting_minutes == 0 and other.breaks == 0 and other.spells == ()
    assert other.longest_spell_start is None
    store.close()


def test_offline_time_of_a_camera_only_run_is_the_cameras(db: Path, clock: ManualClock) -> None:
    """A camera-only run (its source ``camera:0``) offline for 5 minutes: the camera was, not a
    cushion the user does not have; a run with a cushion keeps its offline time the cushion's
    (with a camera too, the seat's sensor is the cushion)."""
    store = Store(db, clock)
    for source, offline in (("camera:0", 5), ("/dev/ttyACM0 + camera:0", 3)):
        store.begin_run("load-cells-4", source)
        day = Day(store, clock)
        day.sit(10, "upright")
        day.away(offline, online=False)
        store.end_run()
    s = day_summary(store, date(2026, 1, 5), BERLIN)
    assert s.sensor_offline_minutes == pytest.approx(8.0)
    assert s.camera_offline_minutes == pytest.approx(5.0)
    assert s.cushion_offline_minutes == pytest.approx(3.0)
    (same,) = days_summaries(store, date(2026, 1, 5), date(2026, 1, 5), BERLIN)
    assert same.camera_offline_minutes == pytest.approx(5.0)
    assert same.cushion_offline_minutes == pytest.approx(3.0)
    store.close()


def test_spells_of_the_live_run_and_across_midnight(db: Path) -> None:
    clock = ManualClock(datetime(2026, 1, 5, 23, 30, tzinfo=BERLIN), monotonic=0.0)
    store = Store(db, clock)
    store.begin_run("load-cells-4", "loop://")
    day = Day(store, clock, step=10.0)
    day.emit(day.timer.sit(clock.monotonic()))
    day.emit(Event(clock.monotonic(), OCCUPANCY, "occupied"))
    day.tick(50, occupied=True, posture="upright", balance="balanced")  # 23:30 -> 00:20
    store.flush()
    # Still sitting, live run: the first day is cut at midnight, the second runs to now.
    mon = day_summary(store, date(2026, 1, 5), BERLIN)
    tue = day_summary(store, date(2026, 1, 6), BERLIN)
    assert mon.longest_spell_minutes == pytest.approx(30.0)
    assert mon.sitting_minutes == pytest.approx(30.0)
    assert tue.longest_spell_minutes == pytest.approx(20.0)
    assert tue.longest_spell_start == datetime(2026, 1, 6, 0, 0, tzinfo=BERLIN)
    assert tue.sitting_minutes == pytest.approx(20.0)
    # After a break the authoritative spell from the break event counts in full.
    day.timer.leave(clock.monotonic())
    day.emit(Event(clock.monotonic(), OCCUPANCY, "empty"))
    day.away(5)
    day.sit(1)
    store.flush()
    tue = day_summary(store, date(2026, 1, 6), BERLIN)
    assert tue.breaks == 1
    assert tue.longest_spell_minutes == pytest.approx(50.0)
    assert tue.longest_spell_start == datetime(2026, 1, 5, 23, 30, tzinfo=BERLIN)
    store.close()


def test_data_round_trips_through_json_columns(db: Path, clock: ManualClock) -> None:
    store = Store(db, clock)
    store.begin_run("load-cells-4", "loop://")
    store.add_event(Event(1.0, BREAK, None, {"duration": 300.0, "spell": 1500.0}))
    store.close()
    data = raw(db).execute("SELECT data FROM events").fetchone()[0]
    assert json.loads(data) == {"duration": 300.0, "spell": 1500.0}


# -- failures while the daemon runs ----------------------------------------------------------

def test_a_failed_commit_is_retried_and_data_is_kept(
        db: Path, clock: ManualClock, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(db, clock, commit_interval=5.0)
    store.begin_run("load-cells-4", "loop://")
    real_write = store._write
    failures = [sqlite3.OperationalError("database is locked")]

    def flaky(dirty: object) -> None:
        if failures:
            raise failures.pop()
        real_write(dirty)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "_write", flaky)
    store.add_event(Event(clock.monotonic(), OCCUPANCY, "occupied"))
    clock.advance(5)
    sample(store, 5.0)  # commit attempt fails: logged, kept
    assert store.last_error == "database is locked"
    assert raw(db).execute("SELECT count(*) FROM events").fetchone()[0] == 0
    clock.advance(5)
    sample(store, 5.0)  # next window: written
    assert store.last_error is None
    conn = raw(db)
    assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 1
    assert conn.execute("SELECT sum(seconds_present) FROM minutes").fetchone()[0] == 10.0
    store.close()


def test_corruption_while_running_starts_a_fresh_file_and_keeps_the_batch(
        db: Path, clock: ManualClock, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(db, clock, commit_interval=5.0)
    run = store.begin_run("load-cells-4", "loop://")
    real_write = store._write
    failures = [sqlite3.DatabaseError("database disk image is malformed")]

    def failing(dirty: object) -> None:
        if failures:
            raise failures.pop()
        real_write(dirty)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "_write", failing)
    store.add_event(Event(clock.monotonic(), OCCUPANCY, "occupied"))
    clock.advance(5)
    sample(store, 5.0)
    assert store.recovered_from is not None and store.recovered_from.exists()
    conn = raw(db)
    assert [r[0] for r in conn.execute("SELECT run_id FROM runs")] == [run]
    assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 1
    assert conn.execute("SELECT sum(seconds_present) FROM minutes").fetchone()[0] == 5.0
    store.close()


def test_a_live_run_read_from_another_process_ends_its_spell_now(db: Path,
                                                                clock: ManualClock) -> None:
    store = Store(db, clock, commit_interval=1.0)
    store.begin_run("load-cells-4", "loop://")
    store.add_event(Event(clock.monotonic(), OCCUPANCY, "occupied"))
    for _ in range(10 * 60 + 20):  # 09:00 -> 09:10:20, still seated
        clock.advance(1)
        sample(store, 1.0)
    store.flush()
    reader = Store(db, clock, readonly=True)
    s = day_summary(reader, date(2026, 1, 5), BERLIN)
    assert s.longest_spell_minutes == pytest.approx(10 + 20 / 60)
    reader.close()
    store.close()


def test_history_and_its_backups_are_owner_only(tmp_path: Path, clock: ManualClock) -> None:
    """history.sqlite was 0644 in a 0755 folder (issue #14 item 16); its -wal and -shm follow
    the database file's mode, and the daily copies must not be looser either."""
    import os

    old = os.umask(0o022)
    try:
        db = tmp_path / "data" / "sitwatch" / "history.sqlite"
        with Store(db, clock) as store:
            store.begin_run("load-cells-4", "loop://")
            store.add_event(Event(clock.monotonic(), NUDGE, None, {"kind": "slouch"}))
            store.flush()
            copy = store.backup(tmp_path / "data" / "sitwatch" / "backups" / "h.sqlite")
            files = [db, db.with_name(db.name + "-wal"), copy]
            modes = {p.name: oct(p.stat().st_mode & 0o777) for p in files if p.exists()}
        assert set(modes.values()) == {"0o600"}, modes
        for d in (db.parent, copy.parent):
            assert oct(d.stat().st_mode & 0o777) == "0o700"
    finally:
        os.umask(old)


@pytest.mark.parametrize("readonly", [False, True])
def test_a_folder_at_the_history_path_is_named_as_one(tmp_path: Path, clock: ManualClock,
                                                      readonly: bool) -> None:
    """A folder said "does not exist" to readers and "sitwatch tries again by itself" to a
    one-shot writer (`sitwatch log`), though neither is true."""
    with pytest.raises(StoreError) as e:
        Store(tmp_path, clock, readonly=readonly)
    assert f"{tmp_path} is a folder, not a history file" in str(e.value)
    assert f"e.g. {tmp_path / 'history.sqlite'}" in str(e.value)
    assert "does not exist" not in str(e.value) and "tries again" not in str(e.value)


def test_only_the_daemon_promises_to_try_again() -> None:
    from sitwatch.history import diagnose

    err = sqlite3.OperationalError("unable to open database file")
    assert diagnose.explain(Path("/nowhere/h.sqlite"), err).endswith("tries again by itself")
    once = diagnose.explain(Path("/nowhere/h.sqlite"), err, retry=False)
    assert "again" not in once and "unable to open database file" in once
    full = sqlite3.OperationalError("database or disk is full")
    assert "by itself" in diagnose.explain(Path("/nowhere/h.sqlite"), full)
    once = diagnose.explain(Path("/nowhere/h.sqlite"), full, retry=False)
    assert "by itself" not in once and "free some space" in once
    locked = sqlite3.OperationalError("database is locked")
    daemon = diagnose.explain(Path("/nowhere/h.sqlite"), locked)
    assert "another program holds it locked" in daemon and "once the lock is released" in daemon
    once = diagnose.explain(Path("/nowhere/h.sqlite"), locked, retry=False)
    assert once.endswith("close it and run the command again"), once


def test_a_lock_held_by_another_program_spaces_the_daemons_tries_and_keeps_the_data(
        db: Path, clock: ManualClock, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    """Each try at a locked file waits out the busy timeout, so the daemon (retry=True) does
    not try at every commit, only after RETRY_FIRST, then twice that ...; what it measured
    meanwhile is written once the lock is gone."""
    from sitwatch.history import store as store_mod

    store = Store(db, clock, commit_interval=5.0, busy_timeout_ms=20, retry=True)
    store.begin_run("load-cells-4", "loop://")
    tries: list[float] = []
    real_write = store._write

    def counted(dirty: object) -> None:
        tries.append(clock.monotonic())
        real_write(dirty)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "_write", counted)
    holder = raw(db)
    holder.execute("BEGIN EXCLUSIVE")
    start = clock.monotonic()
    for _ in range(int(60 / 0.5)):  # a minute of samples, two a second
        clock.advance(0.5)
        sample(store, 0.5)
    gaps = [b - a for a, b in zip([start, *tries], tries, strict=False)]
    first = store_mod.RETRY_FIRST
    assert gaps == [5.0, first, 2 * first, 4 * first], gaps  # not one try per commit (12)
    assert "another program holds it locked" in caplog.text
    assert caplog.text.count("holds it locked") == 1
    holder.execute("COMMIT")
    for _ in range(int(60 / 0.5)):
        clock.advance(0.5)
        sample(store, 0.5)
    assert store.problem is None and "can be written again" in caplog.text
    store.close()
    assert raw(db).execute("SELECT sum(seconds_present) FROM minutes").fetchone()[0] == 120.0


@pytest.mark.parametrize("how", ["deleted", "replaced"])
def test_a_history_deleted_or_replaced_under_the_daemon_is_followed(
        db: Path, clock: ManualClock, tmp_path: Path, how: str,
        caplog: pytest.LogCaptureFixture) -> None:
    """The daemon's connection keeps the file it opened: after `rm history.sqlite` (or a
    backup moved over it) it wrote on into a file nobody could see, lost at the stop. Now
    the next commit opens what is at the path and writes the run and the minute under way
    there."""
    store = Store(db, clock, commit_interval=5.0, retry=True)
    run = store.begin_run("load-cells-4", "loop://")
    for _ in range(4):
        clock.advance(5)
        sample(store, 5.0)
    for suffix in ("", "-wal", "-shm"):
        db.with_name(db.name + suffix).unlink(missing_ok=True)
    if how == "replaced":
        other = tmp_path / "backup.sqlite"
        with Store(other, clock) as old:
            old.begin_run("load-cells-4", "loop://")
            sample(old, 30.0)
        other.rename(db)
    for _ in range(4):
        clock.advance(5)
        sample(store, 5.0)
    assert f"{db} was {how}" in caplog.text and caplog.text.count(" while sitwatch") == 1
    conn = raw(db)
    assert conn.execute("SELECT count(*) FROM runs WHERE run_id = ?", (run,)).fetchone()[0] == 1
    store.close()
    # the minute under way goes in whole: 20 s written to the old file, 20 s since
    assert conn.execute("SELECT sum(seconds_present) FROM minutes WHERE run_id = ?",
                        (run,)).fetchone()[0] == 40.0
    assert conn.execute("SELECT count(*) FROM runs").fetchone()[0] == (2 if how == "replaced"
                                                                       else 1)


def test_a_stop_while_locked_says_what_is_lost_without_promising_to_write_it(
        db: Path, clock: ManualClock, caplog: pytest.LogCaptureFixture) -> None:
    """The run ends with the lock still held: the last words say what is lost and why, not
    (as the daemon's words while it runs do) that it will be written later."""
    store = Store(db, clock, commit_interval=5.0, busy_timeout_ms=20, retry=True)
    store.begin_run("load-cells-4", "loop://")
    holder = raw(db)
    holder.execute("BEGIN EXCLUSIVE")
    for _ in range(2):
        clock.advance(5)
        sample(store, 5.0)
    store.close()
    holder.execute("COMMIT")
    [end] = [r.getMessage() for r in caplog.records if "before the run ended" in r.getMessage()]
    assert "another program holds it locked" in end and "10 s of measurements" in end, end
    assert "once the lock is released" not in end and "goes on watching" not in end, end
