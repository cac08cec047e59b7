"""The history of "Not right": one row per false alarm reported (and per reset).

Its own table, created by its own migration (:func:`migrate_feedback`, appended to
:data:`sitwatch.history.schema.MIGRATIONS`; ``IF NOT EXISTS`` makes it safe whatever the order of
the migrations around it). A row holds derived numbers only: when, which kind, where it came
from (a button, the command, MQTT), the seat's state at that moment as the snapshot had it
(posture, balance, the sideways shift, the seat's load and centre of pressure), the posture cues
relative to the baseline, and the thresholds before and after. Never a frame.

Rows are written at once (not batched with the events): a "Not right" is rare and the command
that sent it waits to show what it did.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

_DDL = (
    """CREATE TABLE IF NOT EXISTS feedback (
        id      INTEGER PRIMARY KEY,
        ts      TEXT NOT NULL,
        epoch   REAL NOT NULL,
        run_id  TEXT,
        kind    TEXT,
        action  TEXT NOT NULL,
        steps   INTEGER NOT NULL DEFAULT 0,
        applied INTEGER NOT NULL DEFAULT 1,
        source  TEXT NOT NULL DEFAULT '',
        posture TEXT,
        balance TEXT,
        shift   REAL,
        seat_load REAL,
        cop_x   REAL,
        cop_y   REAL,
        cues    TEXT NOT NULL DEFAULT '{}',
        changes TEXT NOT NULL DEFAULT '{}'
    )""",
    "CREATE INDEX IF NOT EXISTS feedback_epoch ON feedback(epoch)",
)


def migrate_feedback(conn: sqlite3.Connection) -> None:
    """The ``feedback`` table (a migration: history once released, never changed)."""
    for stmt in _DDL:
        conn.execute(stmt)


class Writer(Protocol):
    """What :func:`record` needs from an open store."""

    @property
    def connection(self) -> sqlite3.Connection: ...

    @property
    def run_id(self) -> str | None: ...


@dataclass(frozen=True)
class FeedbackRow:
    at: datetime
    kind: str | None  # None: a reset of every kind
    action: str  # wrong | reset
    steps: int = 0
    applied: bool = True
    source: str = ""
    seat: Mapping[str, Any] = field(default_factory=dict)  # posture, balance, shift, ...
    cues: Mapping[str, float] = field(default_factory=dict)
    changes: Mapping[str, tuple[float, float]] = field(default_factory=dict)  # knob: before, after
    run_id: str | None = None


def _num(v: Any) -> float | None:
    try:
        return None if v is None else float(v)
    except (TypeError, ValueError):
        return None


def record(store: Writer, row: FeedbackRow) -> None:
    """Write ``row`` now (its own short transaction)."""
    seat = row.seat
    store.connection.execute(
        "INSERT INTO feedback (ts, epoch, run_id, kind, action, steps, applied, source, posture,"
        " balance, shift, seat_load, cop_x, cop_y, cues, changes)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            row.at.isoformat(timespec="milliseconds"), row.at.timestamp(),
            row.run_id or store.run_id, row.kind, row.action, int(row.steps), int(row.applied),
            row.source, seat.get("posture"), seat.get("balance"), _num(seat.get("shift")),
            _num(seat.get("seat_load")), _num(seat.get("cop_x")), _num(seat.get("cop_y")),
            json.dumps({k: round(float(v), 4) for k, v in row.cues.items()}),
            json.dumps({k: [round(a, 4), round(b, 4)] for k, (a, b) in row.changes.items()}),
        ),
    )


def _row(r: sqlite3.Row) -> FeedbackRow:
    def parsed(text: str) -> dict[str, Any]:
        try:
            d = json.loads(text or "{}")
        except ValueError:
            return {}
        return d if isinstance(d, dict) else {}

    seat = {k: r[k] for k in ("posture", "balance", "shift", "seat_load", "cop_x", "cop_y")}
    changes = {k: (float(v[0]), float(v[1])) for k, v in parsed(r["changes"]).items()
               if isinstance(v, list) and len(v) == 2}
    return FeedbackRow(datetime.fromisoformat(r["ts"]), r["kind"], r["action"], r["steps"],
                       bool(r["applied"]), r["source"], seat, parsed(r["cues"]), changes,
                       r["run_id"])


def has_table(conn: sqlite3.Connection) -> bool:
    return conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'feedback'"
    ).fetchone() is not None


def between(conn: sqlite3.Connection, start: datetime, end: datetime) -> list[FeedbackRow]:
    """Rows in ``[start, end)``, oldest first (none from a history older than the table)."""
    if not has_table(conn):
        return []
    conn.row_factory = sqlite3.Row
    rows = conn.execute(
        "SELECT * FROM feedback WHERE epoch >= ? AND epoch < ? ORDER BY epoch, id",
        (start.timestamp(), end.timestamp()),
    )
    return [_row(r) for r in rows]


@dataclass(frozen=True)
class FeedbackSummary:
    """What a report says about the feedback of a period."""

    wrong: dict[str, int]  # kind: "Not right" reports
    resets: int
    rows: tuple[FeedbackRow, ...]

    @property
    def total(self) -> int:
        return sum(self.wrong.values())

    def latest_change(self, kind: str) -> FeedbackRow | None:
        """The last applied "Not right" of ``kind`` in the period (what it moved)."""
        return next((r for r in reversed(self.rows)
                     if r.kind == kind and r.action == "wrong" and r.applied), None)


def summary(conn: sqlite3.Connection, start: datetime, end: datetime) -> FeedbackSummary:
    rows = between(conn, start, end)
    wrong = Counter(str(r.kind) for r in rows if r.action == "wrong")
    return FeedbackSummary(dict(wrong), sum(r.action == "reset" for r in rows), tuple(rows))
