"""The history writer: the :class:`Store` opens (or creates) the SQLite file and records runs,
events and per-minute rollups into it.

The daemon is the only writer; ``sitwatch report`` and friends read the same file from another
process while it runs (WAL), through :mod:`sitwatch.history.queries`. Raw frames are never
stored: only events and one row per minute of wall time per run. The tables and their
migrations are in :mod:`sitwatch.history.schema`.

Robustness on a Raspberry Pi with an SD card:

* ``journal_mode=WAL`` + ``synchronous=NORMAL`` + ``busy_timeout``. A power cut may lose the last
  few commits, never the file.
* ``PRAGMA quick_check`` at open. A broken file (or one that is not a database) is renamed aside
  with a timestamp (``history.sqlite.corrupt-20260105T090000``), logged, and a fresh database
  is started: a damaged history never stops the daemon. The same happens if SQLite reports
  corruption while the daemon writes.
* Writes are batched: samples accumulate in memory per wall minute and events queue up; at most
  one commit per ``commit_interval`` seconds of clock time writes them together. A failed commit
  (disk full, locked for longer than ``busy_timeout``) is logged once and retried later; in
  the daemon a lock held by another program is retried with a growing pause (each try blocks
  the loop for ``busy_timeout``).
* A file that is not ours (:func:`sitwatch.history.diagnose.identify`: another program's
  database) is never changed; ours carry ``PRAGMA application_id``.
* With ``retry=True`` (the daemon) a history that cannot be opened or written (a full disk, a
  read-only filesystem ...) is said once in plain words, what is measured is kept in memory,
  and the file is tried again with a growing pause until the fault clears.
* On a nearly full disk (less free than the write-ahead log plus WAL_MARGIN) the log is
  checkpointed and truncated before and after every commit: SQLite alone lets it grow to ~4 MB,
  and on a full disk that is the space the minutes kept in memory need when some comes back.
* Durations are monotonic: ``dt`` of a sample is measured on the monotonic clock and the wall
  clock only places it; after the wall clock steps back, minutes lived twice get rows of the
  next ``fold``. A stretch of empty seat is one row (``span`` up to an hour).

Timestamps are ISO-8601 with the offset of ``clock.now()``; an extra ``epoch`` column (Unix
seconds) keeps range queries right across DST changes and is indexed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import re
import sqlite3
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sitwatch import __version__
from sitwatch.core.clock import Clock
from sitwatch.core.events import Event
from sitwatch.core.kinds import Balance, EventName, Posture
from sitwatch.core.private import make_private, private_dir
from sitwatch.history import diagnose, queries
from sitwatch.history.diagnose import Kind
from sitwatch.history.pressure import PressureRollup
from sitwatch.history.queries import MinuteRow, StoredEvent, aware, last_data
from sitwatch.history.retention import Tidied, tidy
from sitwatch.history.salvage import Salvage, salvage
from sitwatch.history.schema import (
    APPLICATION_ID,
    BALANCE_COLUMNS,
    CUSHION_COLUMN,
    POSTURE_COLUMNS,
    RECLINE_UNSEEN_COLUMN,
    SCHEMA_VERSION,
    WRITE_COLUMNS,
    OlderSchema,
    StoreError,
    migrate,
    rollback,
    user_version,
)

# Re-exported: the store is where callers open the history, and where they catch its errors.
__all__ = ["SCHEMA_VERSION", "MinuteRow", "OlderSchema", "Store", "StoreError", "StoredEvent",
           "keep_private"]

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
#: The daemon's wait for a write lock another program holds: its loop reads the cushion and
#: writes the status file, so it waits briefly and keeps the batch in memory instead.
DAEMON_BUSY_TIMEOUT_MS = 1000
MAX_PENDING_EVENTS = 10_000
MAX_EVENT_DATA = 4096  # bytes of JSON per event; anything bigger is not an event but a frame

#: While the file cannot be written: the first retry after this many seconds, doubling to
#: RETRY_MAX. Failed writes on an open file are retried at every commit, except in the daemon
#: (``retry=True``) while another program holds the file locked: each try waits out the busy
#: timeout, so they are spaced the same way.
RETRY_FIRST = 5.0
RETRY_MAX = 60.0
#: Minutes kept in memory while the file cannot be written (a day); older ones are dropped.
MAX_PENDING_MINUTES = 1440
#: A sample that would start this much before the end of the last one means the wall clock
#: stepped back (NTP, a manual change, a Pi without a real-time clock getting the time). Less
#: is samples handed over in a batch (or the clocks drifting): they are placed end to end.
STEP_TOLERANCE = 10.0
#: A stretch of empty seat is written as one row of up to this many seconds.
STRETCH_MAX = 3600
#: A diagnosis that says the same thing again is stored at most this often.
DIAGNOSIS_REMINDER = 3600.0
#: SQLite checkpoints its write-ahead log only every ~1000 pages (~4 MB) and never shrinks it.
#: On a disk with less free than the log plus this margin, the store checkpoints and truncates
#: the log after every commit: else the log keeps the space that the minutes kept in memory
#: need when a full disk gets some space back, and they are lost at the next stop.
WAL_MARGIN = 1024 * 1024

_SQLITE_CORRUPT = 11
_SQLITE_NOTADB = 26

_UPSERT_MINUTE = (
    f"INSERT INTO minutes ({', '.join(WRITE_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in WRITE_COLUMNS)}) "
    "ON CONFLICT(minute, run_id, fold) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in WRITE_COLUMNS[3:] if c != "fold")
)


@dataclass
class _Minute:
    """One wall minute of one run, accumulating in memory. Holds totals, not deltas."""

    start: datetime
    present: float = 0.0
    occupied: float = 0.0
    cushion: float = 0.0  # of ``occupied``, what the cushion saw (not a camera)
    recline_unseen: float = 0.0  # of ``occupied``, when nothing could see reclining
    posture: dict[Posture, float] = field(
        default_factory=lambda: dict.fromkeys(POSTURE_COLUMNS, 0.0))
    balance: dict[Balance, float] = field(
        default_factory=lambda: dict.fromkeys(BALANCE_COLUMNS, 0.0))
    load_sum: float = 0.0
    load_w: float = 0.0
    cx_sum: float = 0.0
    cy_sum: float = 0.0
    cop_w: float = 0.0
    frames: int = 0
    dropped: int = 0
    online: float = 0.0
    dirty: bool = False
    span: int = 60  # seconds of wall time the row covers (more for a stretch of empty seat)
    fold: int = 0  # 1, 2 ... after the wall clock stepped back into minutes already written

    @property
    def key(self) -> str:
        return self.start.isoformat()

    @property
    def end(self) -> datetime:
        return self.start + timedelta(seconds=self.span)

    def empty_state(self) -> str | None:
        """"on"/"off" for a whole minute of empty seat, sensor online/offline throughout (such
        minutes in a row become one row); None for anything else."""
        if self.occupied > 0 or self.present < self.span - 0.5:
            return None
        if self.online >= self.present - 0.5:
            return "on"
        if self.online <= 0.5:
            return "off"
        return None

    def absorb(self, m: _Minute) -> None:
        """Add the next minute of empty seat to this stretch."""
        self.present += m.present
        self.online += m.online
        self.cushion += m.cushion
        self.load_sum += m.load_sum
        self.load_w += m.load_w
        self.frames += m.frames
        self.dropped += m.dropped
        self.span += m.span
        self.dirty = True

    @classmethod
    def from_row(cls, start: datetime, r: sqlite3.Row) -> _Minute:
        """Resume a minute already written in this run (after the file came back)."""
        m = cls(start, span=int(r["span"]), fold=int(r["fold"]))
        m.present, m.occupied, m.online = r["seconds_present"], r["seconds_occupied"], \
            r["sensor_online_seconds"]
        m.cushion = r[CUSHION_COLUMN]
        m.recline_unseen = r[RECLINE_UNSEEN_COLUMN]
        m.posture = {p: r[p] for p in POSTURE_COLUMNS}
        m.balance = {b: r[b] for b in BALANCE_COLUMNS}
        if r["seat_load_mean"] is not None:
            m.load_w = m.online
            m.load_sum = r["seat_load_mean"] * m.load_w
        if r["cop_x_mean"] is not None and r["cop_y_mean"] is not None:
            m.cop_w = m.cushion
            m.cx_sum, m.cy_sum = r["cop_x_mean"] * m.cop_w, r["cop_y_mean"] * m.cop_w
        m.frames, m.dropped = r["frames"], r["dropped"]
        return m

    def add(self, secs: float, occupied: bool, posture: str | None, balance: str | None,
            seat_load: float | None, cop_x: float | None, cop_y: float | None,
            online: bool, cushion: bool, recline_unseen: bool = False) -> None:
        self.dirty = True
        self.present += secs
        if online:
            self.online += secs
            if seat_load is not None and math.isfinite(seat_load):
                self.load_sum += seat_load * secs
                self.load_w += secs
        if not occupied:
            return
        self.occupied += secs
        if cushion:
            self.cushion += secs
        if recline_unseen:
            self.recline_unseen += secs
        # the plain strings find the members' entries (StrEnum): no enum call a frame
        kind = posture if posture is not None and posture in self.posture else Posture.UNKNOWN
        self.posture[kind] += secs  # type: ignore[index]
        if balance is not None and balance in self.balance:
            self.balance[balance] += secs  # type: ignore[index]
        if online and cop_x is not None and cop_y is not None \
                and math.isfinite(cop_x) and math.isfinite(cop_y):
            self.cx_sum += cop_x * secs
            self.cy_sum += cop_y * secs
            self.cop_w += secs

    def row(self, run_id: str) -> tuple[Any, ...]:
        def mean(s: float, w: float) -> float | None:
            return s / w if w > 0 else None

        return (
            self.key, int(self.start.timestamp()), run_id, self.present, self.occupied,
            *(self.posture[p] for p in POSTURE_COLUMNS),
            *(self.balance[b] for b in BALANCE_COLUMNS),
            mean(self.load_sum, self.load_w), mean(self.cx_sum, self.cop_w),
            mean(self.cy_sum, self.cop_w), self.frames, self.dropped, self.online,
            self.span, self.fold, self.cushion, self.recline_unseen,
        )


def _json_default(o: Any) -> Any:
    if hasattr(o, "item"):  # numpy scalars
        return o.item()
    if hasattr(o, "tolist"):
        return o.tolist()
    if isinstance(o, datetime | date):
        return o.isoformat()
    return str(o)


def _is_corruption(e: sqlite3.Error) -> bool:
    code = getattr(e, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (_SQLITE_CORRUPT, _SQLITE_NOTADB)
    msg = str(e).lower()
    return "malformed" in msg or "not a database" in msg


def _create_private(path: Path) -> None:
    """Create the database file owner-only before SQLite opens it (SQLite gives its -wal and
    -shm files the database file's mode), or tighten one an older sitwatch left readable.
    Only for a file known to be ours (:func:`sitwatch.history.diagnose.identify`)."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        keep_private(path)


def keep_private(path: Path) -> None:
    """Tighten the history ``path`` and the -wal/-shm beside it to owner-only, if an older
    sitwatch left them readable (it created the file with the umask's 0644, and SQLite gives
    the -wal/-shm it makes the file's mode). The daemon does it at open, and so does every
    reader (reports, exports, the web app): a reader is often the one that makes the -wal and
    -shm. Only for a file known to be ours (:func:`sitwatch.history.diagnose.identify`), and
    only when it belongs to whoever runs sitwatch: another account's file keeps its mode."""
    try:
        if path.stat().st_uid != os.geteuid():
            return
    except OSError:
        return
    for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        make_private(p)


class _Corrupt(Exception):
    pass


class ForeignFile(StoreError):
    """The file at the history path is another program's database; it is left untouched."""


# -- the store ------------------------------------------------------------------------------

class Store:
    """The history database. One writer (the daemon); any number of readers (``readonly``).

    ``retry=True`` (the daemon): when the file cannot be opened or written (a full disk, a
    read-only filesystem, another program's database at the path ...) the store says so once,
    keeps what is measured in memory (up to a day of minutes and MAX_PENDING_EVENTS events) and
    tries again with a growing pause; when the fault clears it writes everything it kept.
    Without it, opening raises :class:`StoreError`.
    """

    def __init__(
        self,
        path: Path | str,
        clock: Clock,
        *,
        commit_interval: float = 5.0,
        busy_timeout_ms: int = BUSY_TIMEOUT_MS,
        max_sample_gap: float = 120.0,
        readonly: bool = False,
        retry: bool = False,
    ) -> None:
        self.path = Path(path)
        self.clock = clock
        self.commit_interval = commit_interval
        self.busy_timeout_ms = busy_timeout_ms
        self.max_sample_gap = max_sample_gap
        self.readonly = readonly
        self.retry = retry
        #: Where a broken database was moved at open (or during the run), if that happened.
        self.recovered_from: Path | None = None
        #: What was copied over from it (history.salvage.Salvage), if anything.
        self.salvaged: Salvage | None = None
        #: The last write or open error as SQLite said it (None when all is well).
        self.last_error: str | None = None
        #: What is wrong with the history file, in words for people (None when all is well).
        self.problem: str | None = None

        self._run_id: str | None = None
        self._run_row: tuple[Any, ...] | None = None
        self._run_saved = False
        self._events: list[tuple[Any, ...]] = []
        self._minutes: dict[tuple[str, int], _Minute] = {}
        self._current: tuple[str, int] | None = None
        self._stretch: _Minute | None = None
        self._deletes: list[tuple[str, int]] = []
        self._fold = 0
        self._last_end: datetime | None = None
        # (UTC start, end, fold, zone, key, rollup) of the minute the last sample went to:
        # add_sample's quick path, checked against _current and _minutes before use
        self._span: tuple[datetime, datetime, int, Any, tuple[str, int], _Minute] | None = None
        self._diag_seen: dict[str, tuple[str, float]] = {}
        self._dropped_minutes = 0
        self._last_commit = clock.monotonic()
        self._retry_at = clock.monotonic()
        self._retry_wait = RETRY_FIRST
        self._busy_until = clock.monotonic()  # no periodic commit before, while locked
        self._file: tuple[int, int] | None = None  # the file the connection writes to
        self._closed = False
        self._pressure = PressureRollup()  # seat pressure maps (history.pressure)
        self._conn: sqlite3.Connection | None = None
        try:
            self._conn = self._open()
        except StoreError as e:
            if not retry or readonly:
                raise
            self._unavailable(e)

    # -- opening, checking, recovering --------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        if self.readonly:
            uri = f"file:{quote(str(self.path.resolve()))}?mode=ro"
            conn = sqlite3.connect(uri, uri=True, isolation_level=None,
                                   timeout=self.busy_timeout_ms / 1000)
        else:
            conn = sqlite3.connect(self.path, isolation_level=None,
                                   timeout=self.busy_timeout_ms / 1000)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
        return conn

    def _open_checked(self) -> sqlite3.Connection:
        conn = self._connect()
        try:
            rows = [r[0] for r in conn.execute("PRAGMA quick_check").fetchall()]
            if rows != ["ok"]:
                raise _Corrupt("; ".join(str(r) for r in rows[:5]))
            if user_version(conn) == 0 and not conn.execute(
                    "SELECT 1 FROM sqlite_master LIMIT 1").fetchone():
                # a new file: pages freed by the retention can be handed back to the disk
                conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                log.warning("history database %s: journal_mode is %s, not wal", self.path, mode)
            conn.execute("PRAGMA synchronous = NORMAL")
            migrate(conn)
        except sqlite3.DatabaseError as e:
            conn.close()
            if _is_corruption(e):
                raise _Corrupt(str(e)) from e
            raise
        except BaseException:
            conn.close()
            raise
        self._file = self._file_id()
        return conn

    def _file_id(self) -> tuple[int, int] | None:
        """Which file is at the path now (device and inode), None when there is none."""
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return st.st_dev, st.st_ino

    def _swapped(self) -> None:
        """The file the connection writes to is no longer the one at the path (deleted, or
        another moved over it while the daemon ran): say so, drop the connection and open what
        is at the path now at once. Writing on would fill a file nobody can see, lost at the
        stop."""
        if self._conn is None or self._file_id() == self._file:
            return
        if self.path.exists():
            how, then = "replaced by another file", "sitwatch writes to that one from now on"
        else:
            how, then = "deleted", "sitwatch starts a new one there and writes to it from now on"
        log.warning("history: %s was %s while sitwatch was running; %s", self.path, how, then)
        with contextlib.suppress(sqlite3.Error):
            self._conn.close()
        self._conn = None
        self._retry_at = self.clock.monotonic()

    def _open(self) -> sqlite3.Connection:
        if self.path.is_dir():
            raise StoreError(diagnose.folder_message(self.path))
        if self.readonly:
            return self._open_readonly()
        try:
            private_dir(self.path.parent)
        except OSError as e:
            raise StoreError(diagnose.explain(self.path, e, retry=self.retry)) from e
        try:
            ident = diagnose.identify(self.path)
        except (OSError, sqlite3.Error) as e:
            raise StoreError(diagnose.explain(self.path, e, retry=self.retry)) from e
        if ident.kind == Kind.FOREIGN:
            raise ForeignFile(diagnose.foreign_message(self.path, ident.detail,
                                                       daemon=self.retry))
        try:
            if ident.kind != Kind.DAMAGED:
                _create_private(self.path)
            return self._open_checked()
        except _Corrupt as e:
            reason = str(e)
        except (sqlite3.Error, OSError) as e:
            raise StoreError(diagnose.explain(self.path, e, retry=self.retry)) from e
        try:
            damaged = self._set_aside(reason)
            _create_private(self.path)
            conn = self._open_checked()
        except (sqlite3.Error, _Corrupt, OSError) as e:
            raise StoreError(f"cannot create a fresh history database {self.path}: "
                             + diagnose.explain(self.path, e, retry=self.retry)) from e
        self._salvage_into(conn, damaged)
        return conn

    def _salvage_into(self, conn: sqlite3.Connection, damaged: Path) -> None:
        """Copy what can still be read of the damaged file into the fresh one."""

        try:
            result = salvage(damaged, conn)
        except sqlite3.Error as e:
            log.error("history: nothing could be recovered from %s: %s", damaged, e)
            return
        self.salvaged = result
        log.warning("history database %s: %s (the damaged file stays at %s)",
                    self.path, result.summary(), damaged)

    def _open_readonly(self) -> sqlite3.Connection:
        if not self.path.is_file():
            raise StoreError(f"no history yet: {self.path} does not exist")
        try:
            conn = self._connect()
            version = user_version(conn)
            ours = int(conn.execute("PRAGMA application_id").fetchone()[0]) == APPLICATION_ID
        except sqlite3.Error as e:
            raise StoreError(f"cannot read the history database {self.path}: {e}") from e
        if ours:
            keep_private(self.path)  # the -wal/-shm this connection made, too
        if version != SCHEMA_VERSION:
            conn.close()
            text = (f"the history database {self.path} has schema version {version}, this "
                    f"sitwatch reads version {SCHEMA_VERSION}; ")
            if version > SCHEMA_VERSION:
                raise StoreError(text + "upgrade sitwatch")
            try:
                ident = diagnose.identify(self.path)
            except (OSError, sqlite3.Error) as e:
                raise StoreError(f"cannot read the history database {self.path}: {e}") from e
            if ident.kind == Kind.FOREIGN:
                raise ForeignFile(diagnose.foreign_message(self.path, ident.detail,
                                                           daemon=False))
            keep_private(self.path)  # one from before the mark, too
            raise OlderSchema(text + "the daemon upgrades it when it next starts", version)
        return conn

    def _set_aside(self, reason: str) -> Path:
        stamp = self.clock.now().strftime("%Y%m%dT%H%M%S")
        dest = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        n = 1
        while dest.exists():
            n += 1
            dest = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{n}")
        self.path.rename(dest)
        for suffix in ("-wal", "-shm", "-journal"):
            side = self.path.with_name(self.path.name + suffix)
            if side.exists():
                side.rename(dest.with_name(dest.name + suffix))
        log.error(
            "history database %s is damaged (%s); moved it to %s and started a fresh one "
            "with what can still be read from it", self.path, reason, dest,
        )
        self.recovered_from = dest
        return dest

    def _recover_runtime(self, reason: str) -> None:
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            self._conn = None
        damaged = self._set_aside(reason)
        _create_private(self.path)
        self._conn = self._open_checked()
        self._salvage_into(self._conn, damaged)
        self._resend()

    def _resend(self) -> None:
        """A new connection: the run row and the minutes in memory go in again."""
        self._run_saved = False
        for m in self._minutes.values():
            m.dirty = True
        st = self._stretch
        if st is not None:
            st.dirty = True
            self._minutes[(st.key, st.fold)] = st
        # self._deletes stays: deleting a row that is not there is harmless

    def _unavailable(self, e: BaseException) -> None:
        """The file cannot be used: say so once, drop the connection, retry later."""
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            self._conn = None
        text = str(e) if isinstance(e, StoreError) else diagnose.explain(self.path, e)
        if text != self.problem:
            log.warning("history: %s", text)
        self.problem = text
        self.last_error = text
        now = self.clock.monotonic()
        self._retry_at = now + self._retry_wait
        self._retry_wait = min(self._retry_wait * 2, RETRY_MAX)

    def _reconnect(self) -> bool:
        """Try the file again when the pause is over; True when it is open again."""
        if self._conn is not None:
            return True
        if self.clock.monotonic() < self._retry_at:
            return False
        try:
            conn = self._open()
        except StoreError as e:
            self._unavailable(e)
            return False
        self._conn = conn
        self._retry_wait = RETRY_FIRST
        self._resend()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                self._close_orphans(self.now())
                conn.execute("COMMIT")
            except BaseException:
                rollback(conn)
                raise
        except sqlite3.Error as e:
            log.debug("history: cannot close orphaned runs: %s", e)
        return True

    # -- runs ---------------------------------------------------------------------------------

    @property
    def run_id(self) -> str | None:
        return self._run_id

    @property
    def available(self) -> bool:
        """The file is open (writes may still fail: see ``problem``)."""
        return self._conn is not None

    def begin_run(self, layout: str | None, source: str) -> str:
        """Start a run (one daemon session); closes a previous one and any left by a crash.
        ``layout``: the cushion's layout, None without a cushion (a camera alone)."""
        self._writable()
        if self._run_id is not None:
            self.end_run()
        now = self.now()
        run_id = f"{now.astimezone(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"
        self._run_row = (run_id, now.isoformat(), None, layout, source, __version__)
        self._run_saved = False
        self._fold = 0
        self._last_end = None
        self._stretch = None
        conn = self._conn
        if conn is not None:
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    self._close_orphans(now)
                    conn.execute("INSERT INTO runs (run_id, started, ended, layout, source, "
                                 "version) VALUES (?, ?, ?, ?, ?, ?)", self._run_row)
                    conn.execute("COMMIT")
                    self._run_saved = True
                except BaseException:
                    rollback(conn)
                    raise
            except sqlite3.Error as e:
                self._write_failed(e)  # the run row goes in with the next batch
        self._run_id = run_id
        self._last_commit = self.clock.monotonic()
        return run_id

    def _close_orphans(self, now: datetime) -> None:
        """Runs without an end (the daemon crashed or lost power) end at their last data."""
        assert self._conn is not None
        for r in self._conn.execute(
                "SELECT run_id, started FROM runs WHERE ended IS NULL AND run_id IS NOT ?",
                (self._run_id,)).fetchall():
            end = last_data(self._conn, r["run_id"]) or datetime.fromisoformat(r["started"])
            self._conn.execute("UPDATE runs SET ended = ? WHERE run_id = ?",
                               (end.astimezone(now.tzinfo).isoformat(), r["run_id"]))

    def end_run(self) -> None:
        """Write everything and mark the run ended."""
        if self._run_id is None:
            return
        self.flush()
        unwritten = sum(m.present for m in self._dirty())
        if unwritten or self._events:
            n = len(self._events)
            why = diagnose.cause(self.problem or self.last_error or "the file is not open")
            log.warning("history: %s could not be written before the run ended (%s); %.0f s "
                        "of measurements and %d event%s are lost", self.path, why, unwritten,
                        n, "" if n == 1 else "s")
        if self._conn is not None:
            try:
                self._conn.execute(
                    "UPDATE runs SET ended = ?, last_t = ?, last_epoch = ? WHERE run_id = ?",
                    (self.now().isoformat(), self.clock.monotonic(), self.now().timestamp(),
                     self._run_id))
            except sqlite3.Error as e:
                self._write_failed(e)
        self._run_id = None
        self._run_row = None
        self._minutes.clear()
        self._current = None
        self._stretch = None

    def _writable(self) -> None:
        if self.readonly:
            raise StoreError("this store was opened read-only")
        if self._closed:
            raise StoreError("the store is closed")

    def _need_run(self) -> str:
        self._writable()
        if self._run_id is None:
            raise StoreError("begin_run() before recording")
        return self._run_id

    # -- recording ----------------------------------------------------------------------------

    def add_event(self, event: Event) -> None:
        """Queue an event stamped with the wall time now; written with the next batch.

        A diagnosis that says what the last one said (numbers aside) is kept at most once
        per DIAGNOSIS_REMINDER: a cushion that stays silent is one event, not one a minute."""
        run_id = self._need_run()
        if event.event == EventName.DIAGNOSIS and not self._diagnosis_is_news(event):
            return
        now = self.now()
        data = json.dumps(event.data, ensure_ascii=False, default=_json_default,
                          separators=(",", ":"))
        if len(data) > MAX_EVENT_DATA:
            log.warning("%s event data is %d bytes; not stored", event.event, len(data))
            data = json.dumps({"truncated": True})
        if len(self._events) >= MAX_PENDING_EVENTS:
            del self._events[0]
        self._events.append((now.isoformat(timespec="milliseconds"), now.timestamp(), event.t,
                             run_id, event.event, event.state, data))
        if event.event == EventName.SENSOR:
            self._diag_seen.clear()  # the sensor came or went: the next diagnosis is news
        self._maybe_commit()

    def _diagnosis_is_news(self, event: Event) -> bool:
        source = str(event.get("source") or "cushion")
        gist = re.sub(r"\d+(\.\d+)?", "#", str(event.get("message") or ""))
        now = self.clock.monotonic()
        seen = self._diag_seen.get(source)
        if seen is not None and seen[0] == gist and now - seen[1] < DIAGNOSIS_REMINDER:
            return False
        self._diag_seen[source] = (gist, now)
        return True

    def add_sample(
        self,
        dt: float,
        *,
        occupied: bool,
        posture: str | None,
        balance: str | None,
        seat_load: float | None,
        cop_x: float | None,
        cop_y: float | None,
        online: bool,
        cushion: bool | None = None,
        recline_unseen: bool = False,
        dropped: int = 0,
        frames: int | None = None,
        loads: Sequence[float] | None = None,
    ) -> None:
        """Account the ``dt`` seconds that end now to the minute rollup.

        ``frames``: frames this sample stands for (default: 1 when online, else 0); pass 0
        for a bookkeeping call that only reports ``dropped`` lines. ``loads``: the frame's
        per-channel loads, to account to the hour's pressure map as well (as
        :meth:`add_pressure` with ``posture``, at the same wall time: the daemon's sample of a
        seated frame, with one look at the clock instead of two).

        Call it for every frame, and also on idle ticks without a frame (``online=False``) so
        that offline time is counted. ``dt`` spanning a minute boundary is split between the
        minutes; a gap longer than ``max_sample_gap`` is cut to it (a stall is not sitting).
        ``posture`` and ``balance`` count only while occupied (``None`` posture is ``unknown``).
        ``cushion``: the cushion itself sees the seat occupied, not a camera (alone, or standing
        in for it while it is offline); default: ``occupied and online``, a cushion's sample.
        ``recline_unseen``: nothing that sees the seat could see reclining (no backrest sensor:
        a seat-only cushion, a camera); counted only while occupied.

        ``dt`` is monotonic time; the wall clock only says which minutes it goes to. When the
        wall clock steps back (by more than STEP_TOLERANCE) into minutes this run already
        filled, the time goes to rows of the next ``fold``: a row never holds more than its
        minute, and the day keeps every second that was sat.
        """
        if self.readonly or self._closed or self._run_id is None:  # (a frame's call: one test)
            self._need_run()  # says which
        if cushion is None:
            cushion = occupied and online
        if not math.isfinite(dt) or dt < 0:
            raise ValueError(f"dt must be a finite number >= 0 (got {dt!r})")
        dt = min(dt, self.max_sample_gap)
        span = timedelta(seconds=dt)  # (to the microsecond: the seconds every minute gets)
        now = self.now()
        tz = now.tzinfo
        end = now.astimezone(UTC)  # exact arithmetic, whatever the zone does (DST)
        seg_start = end - span
        last = self._last_end
        if last is not None and seg_start < last:
            behind = (last - seg_start).total_seconds()
            if behind > STEP_TOLERANCE:
                self._fold += 1  # the wall clock stepped back: new rows for these minutes
                log.info("history: the wall clock went back %.0f s", behind)
            else:  # samples handed over in a batch, or the clocks drift a little: the time
                seg_start = last  # goes right after the last sample, never counted twice
                end = last + span
        self._last_end = end
        c = self._span
        if (c is not None and c[0] <= seg_start and end <= c[1] and c[2] == self._fold
                and c[3] == tz and self._current == c[4] and self._minutes.get(c[4]) is c[5]):
            # the usual sample (one frame): within the minute the last one went to, all of it
            # (end - seg_start is span); positional arguments, a frame's call
            acc = c[5]
            acc.add(span.total_seconds(), occupied, posture, balance, seat_load, cop_x, cop_y,
                    online, cushion, recline_unseen)
        else:
            while True:
                m_start = seg_start.replace(second=0, microsecond=0)
                m_end = m_start + timedelta(minutes=1)
                seg_end = min(end, m_end)
                acc = self._minute(m_start.astimezone(tz))
                assert self._current is not None  # set by _minute
                self._span = (m_start, m_end, self._fold, tz, self._current, acc)
                acc.add((seg_end - seg_start).total_seconds(), occupied=occupied,
                        posture=posture, balance=balance, seat_load=seat_load, cop_x=cop_x,
                        cop_y=cop_y, online=online, cushion=cushion,
                        recline_unseen=recline_unseen)
                if seg_end >= end:
                    break
                seg_start = seg_end
        acc.frames += max(0, int(frames)) if frames is not None else int(online)
        if dropped:
            acc.dropped += max(0, int(dropped))
        if online and self._diag_seen and (frames is None or frames > 0):
            self._diag_seen.clear()  # frames arrive: a later diagnosis is news again
        self._maybe_commit()
        if loads is not None and dt > 0:  # (after the commit, as a call of its own would be)
            self._pressure.add(now - span, dt, posture or "unknown", loads)

    def add_pressure(self, dt: float, posture: str | None, loads: Sequence[float]) -> None:
        """Account ``dt`` seconds of sitting in ``posture`` (None: unknown) with these
        per-channel loads (shares of full scale) to this hour's pressure map; written with the
        next batch (:mod:`sitwatch.history.pressure`)."""
        self._need_run()
        if not math.isfinite(dt) or dt <= 0:
            return
        dt = min(dt, self.max_sample_gap)
        self._pressure.add(self.now() - timedelta(seconds=dt), dt, posture or "unknown", loads)

    def _minute(self, start: datetime) -> _Minute:
        key = (start.isoformat(), self._fold)
        if key == self._current:
            return self._minutes[key]
        acc = self._minutes.get(key)
        if acc is None:
            acc = _Minute(start, fold=self._fold)
            if self._conn is not None:
                try:  # written by this run and no longer in memory (a reconnect): resume it
                    row = self._conn.execute(
                        "SELECT * FROM minutes WHERE minute = ? AND run_id = ? AND fold = ?",
                        (key[0], self._run_id, key[1])).fetchone()
                    if row is not None and int(row["span"]) == 60:
                        acc = _Minute.from_row(start, row)
                except sqlite3.Error as e:
                    log.debug("cannot look up minute %s: %s", key, e)
            self._minutes[key] = acc
            self._bound_pending()
        self._current = key
        return acc

    def _bound_pending(self) -> None:
        if len(self._minutes) <= MAX_PENDING_MINUTES:
            return
        for k in sorted(self._minutes, key=lambda k: self._minutes[k].start):
            if len(self._minutes) <= MAX_PENDING_MINUTES:
                break
            if k != self._current:
                del self._minutes[k]
                self._dropped_minutes += 1
        if self._dropped_minutes == 1 or self._dropped_minutes % 60 == 0:
            log.warning("history: %d minutes could not be written and were dropped (only the "
                        "last day is kept in memory)", self._dropped_minutes)

    def _compact(self) -> None:
        """Finished minutes of empty seat join the stretch before them: one row per stretch
        (up to STRETCH_MAX) instead of one a minute."""
        for key in sorted((k for k in self._minutes if k != self._current),
                          key=lambda k: self._minutes[k].start):
            m = self._minutes[key]
            state = m.empty_state()
            st = self._stretch
            if state is None:
                self._stretch = None
                continue
            if (st is not None and st.fold == m.fold and st.end == m.start
                    and st.empty_state() == state and st.span + m.span <= STRETCH_MAX):
                st.absorb(m)
                del self._minutes[key]
                self._minutes[(st.key, st.fold)] = st  # written with this batch
                self._deletes.append((m.key, m.fold))  # its own row, if it was written
            else:
                self._stretch = m

    # -- committing ---------------------------------------------------------------------------

    def _maybe_commit(self) -> None:
        now = self.clock.monotonic()
        if now - self._last_commit >= self.commit_interval and now >= self._busy_until:
            self._commit()

    def flush(self) -> None:
        """Write the queued events and the minute rollups (the current minute as it stands)."""
        if not self.readonly and not self._closed:
            self._commit()

    def _dirty(self) -> list[_Minute]:
        return [m for m in self._minutes.values() if m.dirty]

    def _commit(self) -> bool:
        self._last_commit = self.clock.monotonic()
        self._compact()
        dirty = self._dirty()
        if not self._events and not dirty and not self._deletes \
                and not self._pressure.pending():
            return True
        self._swapped()
        if self._conn is None and not self._reconnect():
            return False
        dirty = self._dirty()
        if self._tight():  # space came back after a full disk: first the log gives its own back
            self._shrink_wal()
        for attempt in (1, 2):
            try:
                self._write(dirty)
                break
            except sqlite3.Error as e:
                if attempt == 1 and _is_corruption(e):
                    try:
                        self._recover_runtime(str(e))
                    except (sqlite3.Error, _Corrupt, OSError) as e2:
                        self._write_failed(e2)
                        return False
                    dirty = self._dirty()
                    continue
                self._write_failed(e)
                return False
        if self._tight():
            self._shrink_wal()
        self._events.clear()
        self._deletes.clear()
        self._pressure.clear()
        self._run_saved = self._run_row is not None
        for m in dirty:
            m.dirty = False
        # Keep only the minute still accumulating.
        self._minutes = {k: m for k, m in self._minutes.items() if k == self._current}
        if self.problem is not None:
            log.warning("history: %s can be written again; what was kept meanwhile is in it",
                        self.path)
        self.last_error = None
        self.problem = None
        self._retry_wait = RETRY_FIRST
        return True

    def _tight(self) -> bool:
        """Less free space on the history's filesystem than the write-ahead log plus
        WAL_MARGIN."""
        wal = self.path.with_name(self.path.name + "-wal")
        try:
            st = os.statvfs(self.path.parent)
            size = wal.stat().st_size if wal.exists() else 0
        except OSError:
            return False
        return st.f_bavail * st.f_frsize < size + WAL_MARGIN

    def _shrink_wal(self) -> None:
        """Copy the write-ahead log into the database and truncate it, giving its space back
        to the filesystem. Never waits for a reader (a report reading the file): the log is
        then shrunk at a later commit."""
        conn = self._conn
        if conn is None:
            return
        try:
            conn.execute("PRAGMA busy_timeout = 0")
            try:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            finally:
                conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
        except sqlite3.Error as e:
            log.debug("history: cannot checkpoint the write-ahead log: %s", e)

    def _write(self, dirty: Iterable[_Minute]) -> None:
        conn = self._conn
        assert conn is not None
        conn.execute("BEGIN IMMEDIATE")
        try:
            if self._run_row is not None and not self._run_saved:
                conn.execute("INSERT OR IGNORE INTO runs (run_id, started, ended, layout, "
                             "source, version) VALUES (?, ?, ?, ?, ?, ?)", self._run_row)
            if self._events:
                conn.executemany(
                    "INSERT INTO events (ts, epoch, t, run_id, event, state, data) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)", self._events)
            if self._run_id is not None:
                conn.executemany(
                    "DELETE FROM minutes WHERE minute = ? AND run_id = ? AND fold = ?",
                    [(k, self._run_id, f) for k, f in self._deletes])
                conn.executemany(_UPSERT_MINUTE, [m.row(self._run_id) for m in dirty])
                conn.execute("UPDATE runs SET last_t = ?, last_epoch = ? WHERE run_id = ?",
                             (self.clock.monotonic(), self.now().timestamp(), self._run_id))
                if self._pressure.pending() and self._run_row is not None:
                    self._pressure.write(conn, self._run_id, str(self._run_row[3]))
            conn.execute("COMMIT")
        except BaseException:
            rollback(conn)
            raise

    def _write_failed(self, e: BaseException) -> None:
        msg = str(e)
        if diagnose.needs_reopen(e) and self.retry:
            self._unavailable(e)
            return
        if diagnose.is_busy(e) and self.retry:  # each try blocks the loop: space them out
            self._busy_until = self.clock.monotonic() + self._retry_wait
            self._retry_wait = min(self._retry_wait * 2, RETRY_MAX)
        if msg != self.last_error:
            text = diagnose.explain(self.path, e, retry=self.retry)
            log.warning("history: %s", text if text != self.problem else msg)
            self.problem = text
        self.last_error = msg

    def tidy(self, detail_weeks: float, *, max_chunks: int | None = None,
             max_events: int | None = None) -> Tidied | None:
        """Fold per-minute rows older than ``detail_weeks`` into hourly ones and drop the
        events no report reads (:mod:`sitwatch.history.retention`); 0 keeps everything.
        ``max_chunks`` / ``max_events`` bound the work of one call."""
        self.flush()
        if self._conn is None or detail_weeks <= 0:
            return None
        try:
            done = tidy(self._conn, self.now() - timedelta(weeks=detail_weeks),
                        max_chunks=max_chunks, max_events=max_events)
        except sqlite3.Error as e:
            self._write_failed(e)
            return None
        if done.minute_rows or done.events:
            log.info("history: folded %d minute rows into %d hourly ones and removed %d old "
                     "events (detail is kept %g weeks)", done.minute_rows, done.hour_rows,
                     done.events, detail_weeks)
        return done

    def backup(self, dest: Path | str) -> Path:
        """Copy the database (consistent, online) to ``dest``; replaces ``dest`` atomically."""
        dest = Path(dest)
        self.flush()
        if self._conn is None:
            raise StoreError(self.problem or "the history database is not open")
        private_dir(dest.parent)
        tmp = dest.with_name(f".{dest.name}.tmp")
        tmp.unlink(missing_ok=True)
        _create_private(tmp)
        out = sqlite3.connect(tmp)
        try:
            self._conn.backup(out)
            out.execute("PRAGMA journal_mode = DELETE")  # a self-contained single file
            out.execute("VACUUM")  # no free pages: a backup is as small as it can be
        except BaseException:
            out.close()
            tmp.unlink(missing_ok=True)
            raise
        out.close()
        tmp.replace(dest)
        return dest

    def close(self) -> None:
        """End the run (if any), write everything and close the file."""
        if self._closed:
            return
        if not self.readonly:
            self.end_run()
            self.flush()
            if self._conn is not None:
                with contextlib.suppress(sqlite3.Error):
                    self._conn.execute("PRAGMA optimize")
        self._closed = True
        if self._conn is not None:
            self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading --------------------------------------------------------------------------------
    # What the queries (:mod:`sitwatch.history.queries`) read through; see its Reader protocol.

    @property
    def connection(self) -> sqlite3.Connection:
        """The open connection (a new one after a damaged file was set aside)."""
        if self._conn is None:
            raise StoreError(self.problem or "the history database is not open")
        return self._conn

    def now(self) -> datetime:
        """The wall time of the clock; a timezone-aware datetime."""
        return aware(self.clock.now(), "clock.now()")

    def monotonic(self) -> float:
        """The clock's monotonic time: the same clock as the ``t`` of this run's events."""
        return self.clock.monotonic()

    def events_between(self, start: datetime, end: datetime,
                       event: str | None = None) -> list[StoredEvent]:
        """:func:`sitwatch.history.queries.events_between` of this store."""
        return queries.events_between(self, start, end, event)

    def minutes_between(self, start: datetime, end: datetime) -> list[MinuteRow]:
        """:func:`sitwatch.history.queries.minutes_between` of this store."""
        return queries.minutes_between(self, start, end)
