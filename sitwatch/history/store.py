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
  (disk full, locked for longer than ``busy_timeout``) is logged and retried later.

Timestamps are ISO-8601 with the offset of ``clock.now()``; an extra ``epoch`` column (Unix
seconds) keeps range queries right across DST changes and is indexed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import sqlite3
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sitwatch import __version__
from sitwatch.core.clock import Clock
from sitwatch.core.events import Event
from sitwatch.core.kinds import Balance, Posture
from sitwatch.core.private import make_private, private_dir
from sitwatch.history import queries
from sitwatch.history.queries import MinuteRow, StoredEvent, aware, last_data
from sitwatch.history.salvage import Salvage, salvage
from sitwatch.history.schema import (
    BALANCE_COLUMNS,
    MINUTE_COLUMNS,
    POSTURE_COLUMNS,
    SCHEMA_VERSION,
    StoreError,
    migrate,
    user_version,
)

# Re-exported: the store is where callers open the history, and where they catch its errors.
__all__ = ["SCHEMA_VERSION", "MinuteRow", "Store", "StoreError", "StoredEvent"]

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
MAX_PENDING_EVENTS = 10_000
MAX_EVENT_DATA = 4096  # bytes of JSON per event; anything bigger is not an event but a frame

_SQLITE_CORRUPT = 11
_SQLITE_NOTADB = 26

_UPSERT_MINUTE = (
    f"INSERT INTO minutes ({', '.join(MINUTE_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in MINUTE_COLUMNS)}) "
    "ON CONFLICT(minute, run_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in MINUTE_COLUMNS[3:])
)


@dataclass
class _Minute:
    """One wall minute of one run, accumulating in memory. Holds totals, not deltas."""

    start: datetime
    present: float = 0.0
    occupied: float = 0.0
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

    @property
    def key(self) -> str:
        return self.start.isoformat()

    @classmethod
    def from_row(cls, start: datetime, r: sqlite3.Row) -> _Minute:
        """Resume a minute already written in this run (the wall clock stepped back)."""
        m = cls(start)
        m.present, m.occupied, m.online = r["seconds_present"], r["seconds_occupied"], \
            r["sensor_online_seconds"]
        m.posture = {p: r[p] for p in POSTURE_COLUMNS}
        m.balance = {b: r[b] for b in BALANCE_COLUMNS}
        if r["seat_load_mean"] is not None:
            m.load_w = m.online
            m.load_sum = r["seat_load_mean"] * m.load_w
        if r["cop_x_mean"] is not None and r["cop_y_mean"] is not None:
            m.cop_w = m.occupied
            m.cx_sum, m.cy_sum = r["cop_x_mean"] * m.cop_w, r["cop_y_mean"] * m.cop_w
        m.frames, m.dropped = r["frames"], r["dropped"]
        return m

    def add(self, secs: float, *, occupied: bool, posture: str | None, balance: str | None,
            seat_load: float | None, cop_x: float | None, cop_y: float | None,
            online: bool) -> None:
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
        kind = Posture(posture) if posture is not None and posture in self.posture \
            else Posture.UNKNOWN
        self.posture[kind] += secs
        if balance is not None and balance in self.balance:
            self.balance[Balance(balance)] += secs
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
    -shm files the database file's mode), or tighten one an older sitwatch left readable."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            make_private(p)


class _Corrupt(Exception):
    pass


# -- the store ------------------------------------------------------------------------------

class Store:
    """The history database. One writer (the daemon); any number of readers (``readonly``)."""

    def __init__(
        self,
        path: Path | str,
        clock: Clock,
        *,
        commit_interval: float = 5.0,
        busy_timeout_ms: int = BUSY_TIMEOUT_MS,
        max_sample_gap: float = 120.0,
        readonly: bool = False,
    ) -> None:
        self.path = Path(path)
        self.clock = clock
        self.commit_interval = commit_interval
        self.busy_timeout_ms = busy_timeout_ms
        self.max_sample_gap = max_sample_gap
        self.readonly = readonly
        #: Where a broken database was moved at open (or during the run), if that happened.
        self.recovered_from: Path | None = None
        #: What was copied over from it (history.salvage.Salvage), if anything.
        self.salvaged: Salvage | None = None
        self.last_error: str | None = None

        self._run_id: str | None = None
        self._run_row: tuple[Any, ...] | None = None
        self._run_saved = False
        self._events: list[tuple[Any, ...]] = []
        self._minutes: dict[str, _Minute] = {}
        self._current: str | None = None
        self._last_commit = clock.monotonic()
        self._closed = False
        self._conn = self._open()

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
        return conn

    def _open(self) -> sqlite3.Connection:
        if self.readonly:
            return self._open_readonly()
        try:
            private_dir(self.path.parent)
            _create_private(self.path)
        except OSError as e:
            raise StoreError(f"cannot create {self.path.parent}: {e.strerror}") from e
        try:
            return self._open_checked()
        except _Corrupt as e:
            damaged = self._set_aside(str(e))
        except sqlite3.Error as e:
            raise StoreError(f"cannot open the history database {self.path}: {e}") from e
        try:
            conn = self._open_checked()
        except (sqlite3.Error, _Corrupt) as e:
            raise StoreError(f"cannot create a fresh history database {self.path}: {e}") from e
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
        except sqlite3.Error as e:
            raise StoreError(f"cannot read the history database {self.path}: {e}") from e
        if version != SCHEMA_VERSION:
            conn.close()
            newer = version > SCHEMA_VERSION
            raise StoreError(
                f"the history database {self.path} has schema version {version}, this sitwatch "
                f"reads version {SCHEMA_VERSION}; "
                + ("upgrade sitwatch" if newer else "start the daemon once to upgrade it")
            )
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
        with contextlib.suppress(sqlite3.Error):
            self._conn.close()
        damaged = self._set_aside(reason)
        self._conn = self._open_checked()
        self._salvage_into(self._conn, damaged)
        self._run_saved = False  # the run row goes in again with the next batch
        for m in self._minutes.values():
            m.dirty = True

    # -- runs ---------------------------------------------------------------------------------

    @property
    def run_id(self) -> str | None:
        return self._run_id

    def begin_run(self, layout: str, source: str) -> str:
        """Start a run (one daemon session); closes a previous one and any left by a crash."""
        self._writable()
        if self._run_id is not None:
            self.end_run()
        now = self.now()
        run_id = f"{now.astimezone(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"
        self._run_row = (run_id, now.isoformat(), None, layout, source, __version__)
        self._run_saved = False
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._close_orphans(now)
                self._conn.execute("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?)", self._run_row)
                self._conn.execute("COMMIT")
                self._run_saved = True
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as e:
            self._write_failed(e)  # the run row goes in with the next batch
        self._run_id = run_id
        self._last_commit = self.clock.monotonic()
        return run_id

    def _close_orphans(self, now: datetime) -> None:
        """Runs without an end (the daemon crashed or lost power) end at their last data."""
        for r in self._conn.execute("SELECT run_id, started FROM runs WHERE ended IS NULL"):
            end = last_data(self._conn, r["run_id"]) or datetime.fromisoformat(r["started"])
            self._conn.execute("UPDATE runs SET ended = ? WHERE run_id = ?",
                               (end.astimezone(now.tzinfo).isoformat(), r["run_id"]))

    def end_run(self) -> None:
        """Write everything and mark the run ended."""
        if self._run_id is None:
            return
        self.flush()
        try:
            self._conn.execute("UPDATE runs SET ended = ? WHERE run_id = ?",
                               (self.now().isoformat(), self._run_id))
        except sqlite3.Error as e:
            self._write_failed(e)
        self._run_id = None
        self._run_row = None
        self._minutes.clear()
        self._current = None

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
        """Queue an event stamped with the wall time now; written with the next batch."""
        run_id = self._need_run()
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
        self._maybe_commit()

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
        dropped: int = 0,
        frames: int | None = None,
    ) -> None:
        """Account the ``dt`` seconds that end now to the minute rollup.

        ``frames``: frames this sample stands for (default: 1 when online, else 0); pass 0
        for a bookkeeping call that only reports ``dropped`` lines.

        Call it for every frame, and also on idle ticks without a frame (``online=False``) so
        that offline time is counted. ``dt`` spanning a minute boundary is split between the
        minutes; a gap longer than ``max_sample_gap`` is cut to it (a stall is not sitting).
        ``posture`` and ``balance`` count only while occupied (``None`` posture is ``unknown``).
        """
        self._need_run()
        if not math.isfinite(dt) or dt < 0:
            raise ValueError(f"dt must be a finite number >= 0 (got {dt!r})")
        dt = min(dt, self.max_sample_gap)
        now = self.now()
        tz = now.tzinfo
        end = now.astimezone(UTC)  # exact arithmetic, whatever the zone does (DST)
        seg_start = end - timedelta(seconds=dt)
        while True:
            m_start = seg_start.replace(second=0, microsecond=0)
            seg_end = min(end, m_start + timedelta(minutes=1))
            acc = self._minute(m_start.astimezone(tz))
            acc.add((seg_end - seg_start).total_seconds(), occupied=occupied, posture=posture,
                    balance=balance, seat_load=seat_load, cop_x=cop_x, cop_y=cop_y,
                    online=online)
            if seg_end >= end:
                break
            seg_start = seg_end
        acc.frames += max(0, int(frames)) if frames is not None else int(online)
        acc.dropped += max(0, int(dropped))
        self._maybe_commit()

    def _minute(self, start: datetime) -> _Minute:
        key = start.isoformat()
        if key == self._current:
            return self._minutes[key]
        acc = self._minutes.get(key)
        if acc is None:
            acc = _Minute(start)
            try:  # already written in this run? (the wall clock stepped back): resume it
                row = self._conn.execute(
                    "SELECT * FROM minutes WHERE minute = ? AND run_id = ?",
                    (key, self._run_id)).fetchone()
                if row is not None:
                    acc = _Minute.from_row(start, row)
            except sqlite3.Error as e:
                log.debug("cannot look up minute %s: %s", key, e)
            self._minutes[key] = acc
        self._current = key
        return acc

    # -- committing ---------------------------------------------------------------------------

    def _maybe_commit(self) -> None:
        if self.clock.monotonic() - self._last_commit >= self.commit_interval:
            self._commit()

    def flush(self) -> None:
        """Write the queued events and the minute rollups (the current minute as it stands)."""
        if not self.readonly and not self._closed:
            self._commit()

    def _commit(self) -> bool:
        self._last_commit = self.clock.monotonic()
        dirty = [m for m in self._minutes.values() if m.dirty]
        if not self._events and not dirty:
            return True
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
                    dirty = [m for m in self._minutes.values() if m.dirty]
                    continue
                self._write_failed(e)
                return False
        self._events.clear()
        self._run_saved = self._run_row is not None
        for m in dirty:
            m.dirty = False
        # Keep only the minute still accumulating.
        self._minutes = {k: m for k, m in self._minutes.items() if k == self._current}
        self.last_error = None
        return True

    def _write(self, dirty: Iterable[_Minute]) -> None:
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            if self._run_row is not None and not self._run_saved:
                conn.execute("INSERT OR IGNORE INTO runs VALUES (?, ?, ?, ?, ?, ?)",
                             self._run_row)
            if self._events:
                conn.executemany(
                    "INSERT INTO events (ts, epoch, t, run_id, event, state, data) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)", self._events)
            if self._run_id is not None:
                conn.executemany(_UPSERT_MINUTE, [m.row(self._run_id) for m in dirty])
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _write_failed(self, e: BaseException) -> None:
        msg = str(e)
        if msg != self.last_error:
            log.warning("history database %s: write failed (%s); will retry", self.path, msg)
        self.last_error = msg

    def backup(self, dest: Path | str) -> Path:
        """Copy the database (consistent, online) to ``dest``; replaces ``dest`` atomically."""
        dest = Path(dest)
        self.flush()
        private_dir(dest.parent)
        tmp = dest.with_name(f".{dest.name}.tmp")
        tmp.unlink(missing_ok=True)
        _create_private(tmp)
        out = sqlite3.connect(tmp)
        try:
            self._conn.backup(out)
            out.execute("PRAGMA journal_mode = DELETE")  # a self-contained single file
        finally:
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
            with contextlib.suppress(sqlite3.Error):
                self._conn.execute("PRAGMA optimize")
        self._closed = True
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
        return self._conn

    def now(self) -> datetime:
        """The wall time of the clock; a timezone-aware datetime."""
        return aware(self.clock.now(), "clock.now()")

    def events_between(self, start: datetime, end: datetime,
                       event: str | None = None) -> list[StoredEvent]:
        """:func:`sitwatch.history.queries.events_between` of this store."""
        return queries.events_between(self, start, end, event)

    def minutes_between(self, start: datetime, end: datetime) -> list[MinuteRow]:
        """:func:`sitwatch.history.queries.minutes_between` of this store."""
        return queries.minutes_between(self, start, end)
