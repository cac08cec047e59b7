"""Reading what can still be read from a damaged history database.

An SD card that dies a little, a power cut at the wrong moment: SQLite then reports the file
as malformed, usually because a few pages are garbage while most are fine. Rather than lose
the whole history, :func:`salvage` copies every row it can still read, table by table, in
ranges of row ids; a range that fails is split in halves until the bad rows are pinned down,
so only the rows on damaged pages are lost. Nothing here writes to the damaged file.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from sitwatch.history.schema import migrate, rollback

#: Copied first, in this order (events and minutes name their run); then every other table the
#: fresh file has (the symptom diary, "Not right" feedback, pressure maps, ...), so a table
#: added by a later migration is never left behind.
TABLES = ("runs", "events", "minutes")
WINDOW = 512  # row ids read at a time
EMPTY_WINDOWS = 2000  # without a usable max(rowid): stop after this many empty windows


@dataclass
class Salvage:
    """What :func:`salvage` copied and what it could not read, table by table."""

    copied: dict[str, int] = field(default_factory=dict)
    lost: dict[str, int] = field(default_factory=dict)  # row ids that failed to read
    unreadable: list[str] = field(default_factory=list)  # tables it could not read at all

    @property
    def total_copied(self) -> int:
        return sum(self.copied.values())

    @property
    def total_lost(self) -> int:
        return sum(self.lost.values())

    def summary(self) -> str:
        parts = [f"{n} {t} rows" for t, n in self.copied.items()]
        text = "recovered " + (", ".join(parts) or "nothing")
        if self.total_lost:
            text += f"; {self.total_lost} rows were on damaged pages and are lost"
        if self.unreadable:
            text += f"; unreadable: {', '.join(self.unreadable)}"
        return text


def open_damaged(path: Path) -> sqlite3.Connection:
    """The damaged file, read-only (never changed, never checkpointed)."""
    uri = f"file:{quote(str(Path(path).resolve()))}?mode=ro&immutable=1"
    return sqlite3.connect(uri, uri=True, isolation_level=None)


def salvage(src: Path, dest: sqlite3.Connection) -> Salvage:
    """Copy every readable row of ``src`` into ``dest`` (created and migrated here)."""
    migrate(dest)
    out = Salvage()
    try:
        old = open_damaged(src)
    except sqlite3.Error:
        out.unreadable = list(TABLES)
        return out
    dest.execute("BEGIN")
    try:
        for table in _tables(dest):
            if table in TABLES or _has_table(old, table, out):
                _copy_table(old, dest, table, out)
    except BaseException:
        rollback(dest)
        raise
    finally:
        old.close()
    dest.execute("COMMIT")
    return out


def _tables(dest: sqlite3.Connection) -> list[str]:
    """The core tables first, then the others of the fresh file in the order they were made."""
    rest = [r[0] for r in dest.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY rowid").fetchall() if r[0] not in TABLES]
    return [*TABLES, *rest]


def _has_table(old: sqlite3.Connection, table: str, out: Salvage) -> bool:
    """Whether the damaged file has ``table`` (an older file may not: nothing to copy then)."""
    try:
        return old.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                           (table,)).fetchone() is not None
    except sqlite3.Error:
        out.unreadable.append(table)
        return False


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in conn.execute(f"PRAGMA table_info({table})").fetchall()]


def _copy_table(old: sqlite3.Connection, dest: sqlite3.Connection, table: str,
                out: Salvage) -> None:
    try:
        cols = [c for c in _columns(old, table) if c in set(_columns(dest, table))]
    except sqlite3.Error:
        cols = []
    if not cols:
        out.unreadable.append(table)
        return
    names = ", ".join(cols)
    select = f"SELECT {names} FROM {table} WHERE rowid >= ? AND rowid < ?"
    insert = f"INSERT OR IGNORE INTO {table} ({names}) VALUES ({', '.join('?' * len(cols))})"
    try:
        top = old.execute(f"SELECT max(rowid) FROM {table}").fetchone()[0]
    except sqlite3.Error:
        top = None
    copied = lost = 0

    def read(lo: int, hi: int) -> None:
        nonlocal copied, lost
        try:
            rows = old.execute(select, (lo, hi)).fetchall()
        except sqlite3.Error:
            if hi - lo <= 1:
                lost += 1
                return
            mid = (lo + hi) // 2
            read(lo, mid)
            read(mid, hi)
            return
        if rows:
            dest.executemany(insert, rows)
            copied += len(rows)

    lo, empty = 1, 0
    while top is None or lo <= top:
        before = copied
        read(lo, lo + WINDOW)
        lo += WINDOW
        if top is None:
            empty = 0 if copied > before else empty + 1
            if empty >= EMPTY_WINDOWS:
                break
    out.copied[table] = copied
    if lost:
        out.lost[table] = lost
