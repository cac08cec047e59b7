"""The symptom diary in the history: how someone felt, and when.

An entry is written by ``sitwatch log`` or the web page's form, from another process than the
daemon's: each write is one short ``BEGIN IMMEDIATE`` transaction on its own connection, which
SQLite's WAL mode lets run beside the daemon's batches (it waits up to the busy timeout for the
daemon's write lock, never the other way round for long). Reading goes through any
:class:`~sitwatch.history.queries.Reader`, like the other queries.

Only what the person typed is kept: the kind, side, area, a severity from 1 to 10, a note, and
the changes they noticed along with it (:class:`~sitwatch.core.kinds.AlsoNoticed`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sitwatch.core.kinds import AlsoNoticed, BodyArea, BodySide, SymptomKind
from sitwatch.history.queries import Reader, aware

MAX_NOTE = 500  # characters; a diary line, not a letter
SEVERITY_RANGE = (1, 10)


class DiaryError(ValueError):
    """An entry that cannot be stored as given (the message says which field and why);
    ``field`` names it as the entry does (``severity``, ``note``...) when one field is at
    fault, so a form can mark that field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class SymptomEntry:
    """One diary entry. ``id`` is None until it is stored."""

    at: datetime
    kind: SymptomKind
    side: BodySide | None = None
    area: BodyArea | None = None
    severity: int | None = None
    note: str = ""
    also: tuple[AlsoNoticed, ...] = ()
    source: str = "cli"
    id: int | None = None

    def __post_init__(self) -> None:
        aware(self.at, "at")
        if self.severity is not None and not (
                SEVERITY_RANGE[0] <= self.severity <= SEVERITY_RANGE[1]):
            raise DiaryError(f"severity must be a whole number from {SEVERITY_RANGE[0]} to "
                             f"{SEVERITY_RANGE[1]} (got {self.severity})", "severity")
        if len(self.note) > MAX_NOTE:
            raise DiaryError(f"the note is {len(self.note)} characters long; keep it to "
                             f"{MAX_NOTE} at most", "note")


def entry_from(fields: Mapping[str, object], at: datetime, source: str) -> SymptomEntry:
    """An entry from plain fields (an MQTT command's JSON): ``kind``, and optionally ``side``,
    ``where``, ``severity``, ``note`` and ``with`` (a list, or a comma-separated string).
    DiaryError names the field that cannot be used."""
    def one(name: str, enum: type[StrEnum]) -> object:
        value = fields.get(name)
        if value is None:
            return None
        try:
            return enum(str(value).strip().lower().replace("-", "_"))
        except ValueError:
            raise DiaryError(f"{name}: {value!r} is not one of "
                             f"{', '.join(m.value for m in enum)}") from None

    if fields.get("kind") is None:
        raise DiaryError("kind is missing (numbness, tingling, pain or ache)")
    also_raw = fields.get("with") or ()
    also_list = also_raw.split(",") if isinstance(also_raw, str) else list(also_raw)  # type: ignore[call-overload]
    also = []
    for w in also_list:
        try:
            also.append(AlsoNoticed(str(w).strip().lower().replace("-", "_")))
        except ValueError:
            raise DiaryError(f"with: {w!r} is not one of "
                             f"{', '.join(m.value for m in AlsoNoticed)}") from None
    severity = fields.get("severity")
    if severity is not None and (isinstance(severity, bool) or not isinstance(severity, int)):
        raise DiaryError(f"severity: {severity!r} is not a whole number from 1 to 10")
    return SymptomEntry(
        at=at, kind=one("kind", SymptomKind),  # type: ignore[arg-type]
        side=one("side", BodySide),  # type: ignore[arg-type]
        area=one("where", BodyArea),  # type: ignore[arg-type]
        severity=severity, note=str(fields.get("note") or "").strip(), also=tuple(also),
        source=source)


def parse_also(text: str | None) -> tuple[AlsoNoticed, ...]:
    """The stored comma-separated list, unknown words left out (a newer sitwatch's)."""
    out = []
    for word in (text or "").split(","):
        word = word.strip()
        if word in AlsoNoticed.__members__.values():
            out.append(AlsoNoticed(word))
    return tuple(out)


def _member(enum: type[SymptomKind] | type[BodySide] | type[BodyArea],
            value: str | None) -> object:
    if value is None:
        return None
    try:
        return enum(value)
    except ValueError:
        return None  # written by a newer sitwatch: shown as unknown rather than failing


def add_entry(conn: sqlite3.Connection, entry: SymptomEntry) -> int:
    """Store ``entry`` in one short transaction; returns its id. ``conn`` is in autocommit mode
    with the schema migrated (a writable :class:`~sitwatch.history.store.Store`'s)."""
    also = ",".join(dict.fromkeys(str(a) for a in entry.also))
    conn.execute("BEGIN IMMEDIATE")
    try:
        cur = conn.execute(
            "INSERT INTO symptoms (ts, epoch, kind, side, area, severity, note, also, source) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (entry.at.isoformat(timespec="seconds"), entry.at.timestamp(), str(entry.kind),
             str(entry.side) if entry.side else None, str(entry.area) if entry.area else None,
             entry.severity, entry.note or None, also, entry.source))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return int(cur.lastrowid or 0)


def last_id(reader: Reader) -> int:
    """The newest entry's id (0: none yet): where a watcher of new entries starts."""
    row = reader.connection.execute("SELECT max(id) FROM symptoms").fetchone()
    return int(row[0] or 0)


def entries_after(reader: Reader, after_id: int,
                  limit: int = 20) -> tuple[list[SymptomEntry], int]:
    """Entries stored after the one with id ``after_id`` (by any process), oldest first, at
    most ``limit`` of them (the daemon looks every second; more is a flood, not a diary), and
    the id to look after next time (unreadable rows are passed over, not met again)."""
    sql = "SELECT * FROM symptoms WHERE id > ? ORDER BY id LIMIT ?"
    ids = [int(r[0]) for r in reader.connection.execute(
        "SELECT id FROM symptoms WHERE id > ? ORDER BY id LIMIT ?", (after_id, limit))]
    if not ids:
        return [], after_id
    return _rows(reader, sql, (after_id, limit)), ids[-1]


def entries_between(reader: Reader, start: datetime, end: datetime) -> list[SymptomEntry]:
    """Entries in ``[start, end)``, oldest first. Rows a newer sitwatch wrote with a kind this
    one does not know are left out."""
    a = aware(start, "start").timestamp()
    b = aware(end, "end").timestamp()
    return _rows(reader, "SELECT * FROM symptoms WHERE epoch >= ? AND epoch < ? "
                 "ORDER BY epoch, id", (a, b))


def _rows(reader: Reader, sql: str, params: tuple[object, ...]) -> list[SymptomEntry]:
    out = []
    for r in reader.connection.execute(sql, params):
        kind = _member(SymptomKind, r["kind"])
        if kind is None:
            continue
        try:
            at = datetime.fromisoformat(r["ts"])
            out.append(SymptomEntry(
                at=at, kind=SymptomKind(r["kind"]),
                side=BodySide(r["side"]) if _member(BodySide, r["side"]) else None,
                area=BodyArea(r["area"]) if _member(BodyArea, r["area"]) else None,
                severity=r["severity"], note=r["note"] or "", also=parse_also(r["also"]),
                source=r["source"], id=r["id"]))
        except (ValueError, TypeError):
            continue  # a row edited by hand into something unreadable
    return out
