"""Seat pressure maps in the history: per hour and posture, how much load each channel carried
on average while someone sat (issue #11: "a picture of the average seat pressure").

Only derived numbers are kept: for each (hour, run, posture) the seconds sat and, per channel,
the mean load as a share of the layout's full scale (0..1), as little-endian uint16 in units of
1/10 000 (two bytes a channel). A week of 8-hour days with four postures is 224 rows: 36 kB
for a 12-channel chair, 160 kB for a 16x16 mat (``benchmarks/pressure_size.py``).

The daemon hands each seated frame's loads to :class:`PressureRollup` through
``Store.add_pressure``; the rollup keeps sums in memory and merges them into the table with the
store's next batch (:meth:`PressureRollup.write`, inside the batch's transaction), so a row is
always the mean over every second written into it, whatever the number of batches or runs.
"""

from __future__ import annotations

import sqlite3
import sys
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sitwatch.history.queries import Reader, aware

SCALE = 10_000  # stored units per full scale (the table: history.schema, version 5)
MAX = 65_535

def pack(means: Sequence[float]) -> bytes:
    a = array("H", (min(MAX, max(0, round(v * SCALE))) for v in means))
    if sys.byteorder != "little":
        a.byteswap()
    return a.tobytes()


def unpack(blob: bytes) -> list[float]:
    a = array("H")
    a.frombytes(bytes(blob))
    if sys.byteorder != "little":
        a.byteswap()
    return [v / SCALE for v in a]


class PressureRollup:
    """Seconds and load-seconds per (hour, posture) since the last write."""

    def __init__(self) -> None:
        self._acc: dict[tuple[str, int, str], tuple[float, list[float]]] = {}
        # the minute the last sample began in (never across an hour) and its hour: a sample
        # comes every frame, and working out the hour is most of the cost
        self._minute: tuple[datetime, datetime, str, int] | None = None

    def add(self, began: datetime, dt: float, posture: str, loads: Sequence[float]) -> None:
        """``dt`` seconds with these loads, from the wall time ``began`` (the sample's end less
        ``dt``): they count in the hour it began in (a sample is at most a couple of minutes
        long)."""
        if dt <= 0:
            return
        m = self._minute
        # (the same zone: the system clock's times come with a new fixed-offset zone each,
        # equal while the offset stays; ``began`` has fold 0, being a difference)
        if m is None or began.tzinfo != m[0].tzinfo or not m[0] <= began < m[1]:
            lo = began.replace(second=0, microsecond=0)
            hour = lo.replace(minute=0)
            m = self._minute = (lo, lo + timedelta(minutes=1), hour.isoformat(),
                                int(hour.timestamp()))
        key = (m[2], m[3], posture)
        got = self._acc.get(key)
        if got is None or len(got[1]) != len(loads):  # new, or another layout within the hour
            self._acc[key] = (dt, [v * dt for v in loads])  # (the same sums as 0.0 + v * dt)
            return
        sums = got[1]
        for i, v in enumerate(loads):  # in place: no new list a frame
            sums[i] += v * dt
        self._acc[key] = (got[0] + dt, sums)

    def pending(self) -> bool:
        return bool(self._acc)

    def clear(self) -> None:
        self._acc.clear()

    def write(self, conn: sqlite3.Connection, run_id: str, layout: str) -> None:
        """Merge into the table (call inside the batch's transaction)."""
        for (hour, epoch, posture), (secs, sums) in self._acc.items():
            row = conn.execute(
                "SELECT seconds, loads, layout FROM pressure WHERE hour = ? AND run_id = ? AND "
                "posture = ?", (hour, run_id, posture)).fetchone()
            total = list(sums)
            seconds = secs
            if row is not None and row[2] == layout:
                old = unpack(row[1])
                if len(old) == len(total):
                    total = [t + m * float(row[0]) for t, m in zip(total, old, strict=True)]
                    seconds += float(row[0])
            conn.execute(
                "INSERT OR REPLACE INTO pressure (hour, epoch, run_id, layout, posture, seconds, "
                "loads) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (hour, epoch, run_id, layout, posture, seconds,
                 pack([t / seconds for t in total])))


@dataclass(frozen=True)
class PressureMap:
    """The mean load per channel (share of full scale) over ``seconds`` of sitting."""

    layout: str
    seconds: float
    means: tuple[float, ...]


def maps_between(reader: Reader, start: datetime, end: datetime
                 ) -> dict[str, dict[str, PressureMap]]:
    """Per layout, per posture (and ``"all"``), the seconds-weighted mean map of the hours that
    start in ``[start, end)``. Rows whose size does not match their layout's are left out."""
    a = int(aware(start, "start").timestamp())
    b = int(aware(end, "end").timestamp())
    acc: dict[str, dict[str, tuple[float, list[float]]]] = {}
    try:
        rows = reader.connection.execute(
            "SELECT layout, posture, seconds, loads FROM pressure WHERE epoch >= ? AND epoch < ?",
            (a, b)).fetchall()
    except sqlite3.OperationalError:  # a history older than the table (read-only report)
        return {}
    for layout, posture, seconds, blob in rows:
        means = unpack(blob)
        per = acc.setdefault(layout, {})
        for key in (posture, "all"):
            secs, sums = per.get(key, (0.0, [0.0] * len(means)))
            if len(sums) != len(means):
                continue
            per[key] = (secs + seconds, [s + m * seconds for s, m in zip(sums, means,
                                                                         strict=True)])
    return {lay: {p: PressureMap(lay, s, tuple(v / s for v in sums))
                  for p, (s, sums) in per.items() if s > 0}
            for lay, per in acc.items()}


def week_bounds(week_ending: datetime) -> tuple[datetime, datetime]:
    """The seven days ending on ``week_ending``'s day (local midnight to local midnight)."""
    end = week_ending.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    return end - timedelta(days=7), end
