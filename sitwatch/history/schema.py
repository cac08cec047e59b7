"""The history database's schema: tables, columns, versions and migrations.

The schema is versioned with ``PRAGMA user_version``. :data:`MIGRATIONS` is an append-only list
(version N is created by ``MIGRATIONS[N-1]``); :func:`migrate` applies the pending ones in one
``BEGIN IMMEDIATE`` transaction, so another process never sees half a migration.

A migration is history: once released it never changes, even when the vocabulary in
:mod:`sitwatch.core.kinds` grows. That is why the DDL below spells its column names out, and
:data:`POSTURE_COLUMNS` / :data:`BALANCE_COLUMNS` say which vocabulary members have a column.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Sequence

from sitwatch.core.kinds import POSTURES, Balance, Posture
from sitwatch.history.feedback import migrate_feedback

log = logging.getLogger(__name__)


class StoreError(Exception):
    """The history database cannot be used (permissions, newer schema, missing file)."""


class OlderSchema(StoreError):
    """A reader met a history of an older schema (:attr:`version`): the file is the daemon's
    to migrate; a reader reads a migrated private copy of it
    (:class:`~sitwatch.history.readable.UpgradedCopy`)."""

    def __init__(self, message: str, version: int) -> None:
        super().__init__(message)
        self.version = version


#: Seconds per posture (while occupied) have one column each in ``minutes``, UNKNOWN included.
POSTURE_COLUMNS: tuple[Posture, ...] = (*POSTURES, Posture.UNKNOWN)
#: Seconds per balance state (while occupied) have one column each in ``minutes``.
BALANCE_COLUMNS: tuple[Balance, ...] = (Balance.BALANCED, Balance.LEFT, Balance.RIGHT)

#: The columns of ``minutes`` in the order the writer fills them; the first three are the key
#: and its index (``minute``, ``epoch``, ``run_id``).
MINUTE_COLUMNS: tuple[str, ...] = (
    "minute", "epoch", "run_id", "seconds_present", "seconds_occupied",
    *POSTURE_COLUMNS, *BALANCE_COLUMNS,
    "seat_load_mean", "cop_x_mean", "cop_y_mean", "frames", "dropped", "sensor_online_seconds",
)

#: The seated seconds of a minute the cushion itself saw (schema version 6): the time its
#: figures (balance, weight shifts, load and pressure) are measured over. A camera sees the rest
#: of ``seconds_occupied``, alone or standing in for an offline cushion.
CUSHION_COLUMN = "seconds_occupied_cushion"

#: Of the seated seconds of a minute, those in which nothing could see reclining (schema version
#: 7): no backrest sensor watched the seat (a cushion or load cells under the seat alone, or a
#: camera, which does not report it). The reports take the reclined share over the rest only.
#: Rows written before it hold 0: an old history reads as it always did.
RECLINE_UNSEEN_COLUMN = "seconds_recline_unseen"

#: The columns the writer fills: those of version 1, then ``span`` and ``fold``, then
#: :data:`CUSHION_COLUMN` and :data:`RECLINE_UNSEEN_COLUMN`.
WRITE_COLUMNS: tuple[str, ...] = (*MINUTE_COLUMNS, "span", "fold", CUSHION_COLUMN,
                                  RECLINE_UNSEEN_COLUMN)

_V1 = (
    """CREATE TABLE runs (
        run_id  TEXT PRIMARY KEY,
        started TEXT NOT NULL,
        ended   TEXT,
        layout  TEXT,
        source  TEXT,
        version TEXT
    )""",
    """CREATE TABLE events (
        id     INTEGER PRIMARY KEY,
        ts     TEXT NOT NULL,
        epoch  REAL NOT NULL,
        t      REAL,
        run_id TEXT NOT NULL,
        event  TEXT NOT NULL,
        state  TEXT,
        data   TEXT NOT NULL DEFAULT '{}'
    )""",
    "CREATE INDEX events_epoch ON events(epoch)",
    "CREATE INDEX events_event_epoch ON events(event, epoch)",
    "CREATE INDEX events_run ON events(run_id, epoch)",
    """CREATE TABLE minutes (
        minute                TEXT NOT NULL,
        epoch                 INTEGER NOT NULL,
        run_id                TEXT NOT NULL,
        seconds_present       REAL NOT NULL DEFAULT 0,
        seconds_occupied      REAL NOT NULL DEFAULT 0,
        upright               REAL NOT NULL DEFAULT 0,
        slouched              REAL NOT NULL DEFAULT 0,
        leaning_forward       REAL NOT NULL DEFAULT 0,
        reclined              REAL NOT NULL DEFAULT 0,
        unknown               REAL NOT NULL DEFAULT 0,
        balanced              REAL NOT NULL DEFAULT 0,
        left                  REAL NOT NULL DEFAULT 0,
        right                 REAL NOT NULL DEFAULT 0,
        seat_load_mean        REAL,
        cop_x_mean            REAL,
        cop_y_mean            REAL,
        frames                INTEGER NOT NULL DEFAULT 0,
        dropped               INTEGER NOT NULL DEFAULT 0,
        sensor_online_seconds REAL NOT NULL DEFAULT 0,
        PRIMARY KEY (minute, run_id)
    )""",
    "CREATE INDEX minutes_epoch ON minutes(epoch)",
)


def _migrate_v1(conn: sqlite3.Connection) -> None:
    # One statement at a time: executescript() would COMMIT the surrounding transaction.
    for stmt in _V1:
        conn.execute(stmt)


_SYMPTOMS = (
    # The symptom diary (`sitwatch log`, the web page's form): one row per entry. ``also`` is a
    # comma-separated list of what was noticed along with it (bladder, bowel, ...).
    """CREATE TABLE symptoms (
        id       INTEGER PRIMARY KEY,
        ts       TEXT NOT NULL,
        epoch    REAL NOT NULL,
        kind     TEXT NOT NULL,
        side     TEXT,
        area     TEXT,
        severity INTEGER,
        note     TEXT,
        also     TEXT NOT NULL DEFAULT '',
        source   TEXT NOT NULL DEFAULT 'cli'
    )""",
    "CREATE INDEX symptoms_epoch ON symptoms(epoch)",
)


def _migrate_symptoms(conn: sqlite3.Connection) -> None:
    for stmt in _SYMPTOMS:
        conn.execute(stmt)


#: ``PRAGMA application_id`` of every history file sitwatch writes ("Sitw"): how a file at the
#: history path is known to be ours before anything in it is changed (see identify()).
APPLICATION_ID = 0x53697477

#: The tables a sitwatch history has had since schema version 1.
CORE_TABLES = frozenset({"runs", "events", "minutes"})

_V1_MINUTE_COLUMNS = (
    "minute, epoch, run_id, seconds_present, seconds_occupied, upright, slouched, "
    "leaning_forward, reclined, unknown, balanced, left, right, seat_load_mean, cop_x_mean, "
    "cop_y_mean, frames, dropped, sensor_online_seconds"
)

_MINUTES_V2 = """CREATE TABLE minutes_v2 (
        minute                TEXT NOT NULL,
        epoch                 INTEGER NOT NULL,
        run_id                TEXT NOT NULL,
        seconds_present       REAL NOT NULL DEFAULT 0,
        seconds_occupied      REAL NOT NULL DEFAULT 0,
        upright               REAL NOT NULL DEFAULT 0,
        slouched              REAL NOT NULL DEFAULT 0,
        leaning_forward       REAL NOT NULL DEFAULT 0,
        reclined              REAL NOT NULL DEFAULT 0,
        unknown               REAL NOT NULL DEFAULT 0,
        balanced              REAL NOT NULL DEFAULT 0,
        left                  REAL NOT NULL DEFAULT 0,
        right                 REAL NOT NULL DEFAULT 0,
        seat_load_mean        REAL,
        cop_x_mean            REAL,
        cop_y_mean            REAL,
        frames                INTEGER NOT NULL DEFAULT 0,
        dropped               INTEGER NOT NULL DEFAULT 0,
        sensor_online_seconds REAL NOT NULL DEFAULT 0,
        span                  INTEGER NOT NULL DEFAULT 60,
        fold                  INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (minute, run_id, fold)
    )"""


def _migrate_storage(conn: sqlite3.Connection) -> None:
    """Issue #15: durations that survive wall-clock steps, and a history that stays small.

    * ``minutes.span``: seconds of wall time a row covers: 60 for a minute; more for a stretch
      of empty seat written as one row, or for the hour a minute row is folded into when it
      is older than ``history.detail_weeks``.
    * ``minutes.fold``: 0, or 1, 2 ... for the minutes a run lived through again after the
      wall clock stepped back (like a DST fall-back): a row never holds more than its span.
    * ``runs.last_t`` / ``runs.last_epoch``: the monotonic clock and the wall clock at the
      run's last write, so an open sitting spell is measured on the monotonic clock.
    * ``PRAGMA application_id``: marks the file as sitwatch's.
    """
    cols = _V1_MINUTE_COLUMNS
    conn.execute(_MINUTES_V2)
    conn.execute(f"INSERT INTO minutes_v2 ({cols}) SELECT {cols} FROM minutes")
    conn.execute("DROP TABLE minutes")
    conn.execute("ALTER TABLE minutes_v2 RENAME TO minutes")
    conn.execute("CREATE INDEX minutes_epoch ON minutes(epoch)")
    conn.execute("ALTER TABLE runs ADD COLUMN last_t REAL")
    conn.execute("ALTER TABLE runs ADD COLUMN last_epoch REAL")
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")


_PRESSURE = (
    # Seat pressure maps (issue #11; sitwatch.history.pressure): per hour, run and posture the
    # seconds sat and each channel's mean load as a share of full scale, little-endian uint16
    # in units of 1/10 000. Derived numbers only.
    """CREATE TABLE pressure (
        hour     TEXT NOT NULL,
        epoch    INTEGER NOT NULL,
        run_id   TEXT NOT NULL,
        layout   TEXT NOT NULL,
        posture  TEXT NOT NULL,
        seconds  REAL NOT NULL,
        loads    BLOB NOT NULL,
        PRIMARY KEY (hour, run_id, posture)
    )""",
    "CREATE INDEX pressure_epoch ON pressure(epoch)",
)


def _migrate_pressure(conn: sqlite3.Connection) -> None:
    for stmt in _PRESSURE:
        conn.execute(stmt)


def _migrate_cushion_seen(conn: sqlite3.Connection) -> None:
    """The seated seconds the cushion saw, apart from those a camera saw (:data:`CUSHION_COLUMN`).

    Since a camera standing in for an offline cushion counts as sitting, ``seconds_occupied``
    no longer says how long the cushion saw the seat: its weight shifts per hour and lopsided
    minutes were taken over time it could not see. Rows written before counted a seat as
    occupied only while the sensor was online, and a camera-only run's sensor is the camera
    (its source names the camera alone): those rows are filled in from that."""
    conn.execute("ALTER TABLE minutes ADD COLUMN seconds_occupied_cushion REAL NOT NULL DEFAULT 0")
    conn.execute(
        "UPDATE minutes SET seconds_occupied_cushion = "
        "min(seconds_occupied, sensor_online_seconds) WHERE run_id NOT IN "
        "(SELECT run_id FROM runs WHERE source LIKE 'camera:%' AND source NOT LIKE '% + %')")


def _migrate_recline_unseen(conn: sqlite3.Connection) -> None:
    """The seated seconds in which nothing could see reclining (:data:`RECLINE_UNSEEN_COLUMN`).

    A seat without backrest sensors (and a camera) cannot tell reclining from sitting upright,
    yet the reports showed "reclined 0%" as if measured. Rows written before are left at 0 and
    read as they did: which device wrote them is not known well enough to guess."""
    conn.execute("ALTER TABLE minutes ADD COLUMN seconds_recline_unseen REAL NOT NULL DEFAULT 0")


Migration = Callable[[sqlite3.Connection], None]

#: Append-only. ``MIGRATIONS[i]`` takes the schema from version ``i`` to ``i + 1``.
MIGRATIONS: list[Migration] = [
    _migrate_v1,
    migrate_feedback,  # the "Not right" table (sitwatch.history.feedback)
    _migrate_symptoms,  # the symptom diary (issue #11)
    _migrate_storage,  # clock-step-proof durations, compact rows, application_id (issue #15)
    _migrate_pressure,  # seat pressure maps per hour and posture (issue #11)
    _migrate_cushion_seen,  # the seated time the cushion saw, apart from a camera's
    _migrate_recline_unseen,  # the seated time nothing could see reclining in
]
SCHEMA_VERSION = len(MIGRATIONS)


def user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, migrations: Sequence[Migration] = MIGRATIONS) -> int:
    """Bring the schema to ``len(migrations)``; idempotent; returns the version.

    ``conn`` must be in autocommit mode (``isolation_level=None``). Each run of pending
    migrations happens in one ``BEGIN IMMEDIATE`` transaction: either all apply or none.
    """
    target = len(migrations)
    if user_version(conn) == target:
        return target  # the common case needs no write lock
    conn.execute("BEGIN IMMEDIATE")
    try:
        current = user_version(conn)  # again, under the lock: another process may have won
        if current > target:
            raise StoreError(
                f"the history database has schema version {current}, newer than this sitwatch "
                f"understands ({target}); upgrade sitwatch or point history.database elsewhere"
            )
        for version in range(current, target):
            migrations[version](conn)
            log.info("history database migrated to schema version %d", version + 1)
        conn.execute(f"PRAGMA user_version = {int(target)}")
        conn.execute("COMMIT")
    except BaseException:
        rollback(conn)
        raise
    return target


def rollback(conn: sqlite3.Connection) -> None:
    """ROLLBACK if a transaction is still open. SQLite rolls back by itself on some errors
    (a full disk, an I/O error); a second ROLLBACK would then raise "cannot rollback - no
    transaction is active" and hide the error that matters."""
    if conn.in_transaction:
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error as e:
            log.debug("rollback failed: %s", e)
