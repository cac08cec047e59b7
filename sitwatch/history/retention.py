"""Keeping the history small: per-minute detail for a few weeks, hourly summaries after.

:func:`tidy` runs in the daemon once a day (with the backup). For time older than the cutoff
(``history.detail_weeks``):

* the minute rows of each hour of each run are folded into one row of ``span`` 3600 that holds
  their sums (seconds seated, per posture and side, frames ...) and their weighted means, so
  the day and week summaries stay exactly what they were; the weekly timeline of those weeks
  shows hours instead of minutes;
* the events no report reads (posture and balance changes, sensor and diagnosis messages,
  calibrations) are deleted; the ones the reports are made of (sitting, breaks, spells carried
  on over a restart, nudges and what came of them, wallets) are kept.

Each chunk of a week is one transaction: a power cut leaves either the minutes or their hour.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from sitwatch.core.kinds import EventName
from sitwatch.history.schema import (
    BALANCE_COLUMNS,
    CUSHION_COLUMN,
    POSTURE_COLUMNS,
    RECLINE_UNSEEN_COLUMN,
    WRITE_COLUMNS,
    rollback,
)

HOUR = 3600
CHUNK = 7 * 86400  # seconds of history folded per transaction

#: Events the reports and the spells are made of; the others go after the cutoff.
KEPT_EVENTS: frozenset[str] = frozenset({
    EventName.OCCUPANCY, EventName.BREAK, EventName.NUDGE, EventName.NUDGE_OUTCOME,
    EventName.NUDGE_ACK, EventName.WALLET, EventName.SPELL_RESUMED,
})

_SUMS = ("seconds_present", "seconds_occupied", *POSTURE_COLUMNS, *BALANCE_COLUMNS,
         "frames", "dropped", "sensor_online_seconds", CUSHION_COLUMN,
         RECLINE_UNSEEN_COLUMN)


@dataclass
class Tidied:
    minute_rows: int = 0  # rows folded
    hour_rows: int = 0  # rows they became
    events: int = 0  # events deleted


def tidy(conn: sqlite3.Connection, cutoff: datetime, *, max_chunks: int | None = None,
         max_events: int | None = None) -> Tidied:
    """Fold the minutes before ``cutoff`` (whole hours only) and drop unread old events.

    ``max_chunks`` (weeks of minutes) and ``max_events`` bound the work of one call, so that a
    daemon tidying a large history from an older sitwatch does it a little at a time."""
    limit = int(cutoff.timestamp()) // HOUR * HOUR
    out = Tidied()
    chunks = 0
    while max_chunks is None or chunks < max_chunks:
        chunks += 1
        lo = conn.execute("SELECT min(epoch) FROM minutes WHERE span < ? AND epoch < ?",
                          (HOUR, limit)).fetchone()[0]
        if lo is None:
            break
        hi = min(limit, (int(lo) // HOUR * HOUR) + CHUNK)
        conn.execute("BEGIN IMMEDIATE")
        try:
            _fold(conn, int(lo), hi, out)
            conn.execute("COMMIT")
        except BaseException:
            rollback(conn)
            raise
    kept = sorted(KEPT_EVENTS)
    cur = conn.execute(
        "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE epoch < ? AND event NOT IN "
        f"({', '.join('?' * len(kept))}) LIMIT ?)",
        (cutoff.timestamp(), *kept, -1 if max_events is None else max_events))
    out.events = cur.rowcount if cur.rowcount > 0 else 0
    if out.minute_rows or out.events:
        # hand the freed pages back to the disk (files made with auto_vacuum = INCREMENTAL;
        # a no-op for older ones)
        conn.executescript("PRAGMA incremental_vacuum;")  # to the end (execute: one page)
    return out


def _fold(conn: sqlite3.Connection, lo: int, hi: int, out: Tidied) -> None:
    cur = conn.cursor()
    cur.row_factory = sqlite3.Row
    rows = cur.execute(
        "SELECT * FROM minutes WHERE span < ? AND epoch >= ? AND epoch < ? ORDER BY epoch",
        (HOUR, lo, hi)).fetchall()
    groups: dict[tuple[str, int, int], list[sqlite3.Row]] = {}
    for r in rows:
        hour = int(r["epoch"]) // HOUR * HOUR
        groups.setdefault((r["run_id"], int(r["fold"]), hour), []).append(r)
    conn.executemany(
        "DELETE FROM minutes WHERE minute = ? AND run_id = ? AND fold = ?",
        [(r["minute"], r["run_id"], r["fold"]) for r in rows])
    new = []
    for (run_id, fold, hour), items in groups.items():
        tz = datetime.fromisoformat(items[0]["minute"]).tzinfo
        sums = {c: sum(float(r[c]) for r in items) for c in _SUMS}
        load_w = sum(float(r["sensor_online_seconds"]) for r in items
                     if r["seat_load_mean"] is not None)
        load = (sum(float(r["seat_load_mean"]) * float(r["sensor_online_seconds"])
                    for r in items if r["seat_load_mean"] is not None) / load_w
                if load_w > 0 else None)
        cop = [r for r in items if r["cop_x_mean"] is not None and r["cop_y_mean"] is not None]
        # the centre of pressure is the cushion's: weighed by the seated time it saw
        cop_w = sum(float(r[CUSHION_COLUMN]) for r in cop)
        cx = (sum(float(r["cop_x_mean"]) * float(r[CUSHION_COLUMN]) for r in cop) / cop_w
              if cop_w > 0 else None)
        cy = (sum(float(r["cop_y_mean"]) * float(r[CUSHION_COLUMN]) for r in cop) / cop_w
              if cop_w > 0 else None)
        values = {
            "minute": datetime.fromtimestamp(hour, tz).isoformat(), "epoch": hour,
            "run_id": run_id, **sums, "frames": int(sums["frames"]),
            "dropped": int(sums["dropped"]), "seat_load_mean": load, "cop_x_mean": cx,
            "cop_y_mean": cy, "span": HOUR, "fold": fold,
        }
        new.append(tuple(values[c] for c in WRITE_COLUMNS))
    conn.executemany(
        f"INSERT OR REPLACE INTO minutes ({', '.join(WRITE_COLUMNS)}) "
        f"VALUES ({', '.join('?' * len(WRITE_COLUMNS))})", new)
    out.minute_rows += len(rows)
    out.hour_rows += len(new)
