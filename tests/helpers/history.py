"""Fill a real history database the way the daemon does, minute by minute, for report tests."""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sitwatch.core.clock import ManualClock
from sitwatch.core.events import NUDGE, NUDGE_OUTCOME, OCCUPANCY, Event
from sitwatch.core.kinds import Balance, Occupancy, Posture
from sitwatch.history.store import Store
from sitwatch.sensing.detectors.occupancy import SittingTimer

TZ = ZoneInfo("Europe/Berlin")

#: Who sees the seat instead of the cushion (:meth:`Sitter.sit`).
STANDING_IN = "standing in"  # the camera, for an offline cushion (online False)
ALONE = "alone"  # a camera-only setup (its own sensor online)


class Sitter:
    """Feeds the store like the daemon: occupancy, break and nudge events, 10 s samples."""

    def __init__(self, store: Store, clock: ManualClock) -> None:
        self.store, self.clock = store, clock
        self.timer = SittingTimer(min_break=120.0)

    def at(self, day: date, hour: int, minute: int = 0, layout: str = "smartchair-12",
           tz: Any = TZ, source: str = "/dev/ttyACM0") -> None:
        """A new run from ``day`` at ``hour``:``minute``; ``source`` as the daemon names it
        (a camera-only setup's is ``camera:0``)."""
        when = datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)
        self.clock.advance((when - self.clock.now()).total_seconds())
        self.timer = SittingTimer(min_break=120.0)
        self.store.begin_run(layout, source)

    def sit(self, minutes: int, posture: str | None = Posture.UPRIGHT,
            balance: str = Balance.BALANCED, camera: str | None = None,
            back: bool = True) -> None:
        """Sit for ``minutes`` (posture None: the detector could not tell). ``camera``: a
        camera sees it, not the cushion: :data:`STANDING_IN` for an offline cushion (fusion
        rule O2), or :data:`ALONE` (a camera-only setup); no balance, load or pressure then.
        ``back=False``: a seat without backrest sensors (it cannot see reclining, nor can a
        camera)."""
        ev = self.timer.sit(self.clock.monotonic())
        if ev is not None:
            self.store.add_event(ev)
        self.store.add_event(Event(self.clock.monotonic(), OCCUPANCY, Occupancy.OCCUPIED))
        self._tick(minutes, True, posture, balance, camera, back)
        self.timer.leave(self.clock.monotonic())
        self.store.add_event(Event(self.clock.monotonic(), OCCUPANCY, Occupancy.EMPTY))

    def away(self, minutes: int) -> None:
        self._tick(minutes, False, None, None)

    def nudge(self, kind: str, responded: bool | None = None) -> None:
        t = self.clock.monotonic()
        self.store.add_event(Event(t, NUDGE, None, {"kind": kind}))
        if responded is not None:
            self.store.add_event(Event(t, NUDGE_OUTCOME, None,
                                       {"kind": kind, "responded": responded, "after": 60.0}))

    def _tick(self, minutes: int, occupied: bool, posture: str | None,
              balance: str | None, camera: str | None = None, back: bool = True) -> None:
        cushion = camera is None
        for _ in range(minutes * 6):
            self.clock.advance(10)
            # as describe.history_fields has it: the cushion's figures only while it sees
            self.store.add_sample(10.0, occupied=occupied, posture=posture,
                                  balance=balance if cushion else None,
                                  seat_load=40.0 if cushion else None,
                                  cop_x=0.0 if cushion else None,
                                  cop_y=0.0 if cushion else None,
                                  online=camera != STANDING_IN, cushion=occupied and cushion,
                                  recline_unseen=occupied and not (cushion and back))


class SteppedClock(ManualClock):
    """A ManualClock whose wall clock can be stepped (NTP, a manual change, DST on a clock kept
    in local time, a Pi without a real-time clock getting the time) while the monotonic clock
    runs on untouched."""

    def __init__(self, start: datetime | None = None, monotonic: float = 0.0) -> None:
        super().__init__(start, monotonic)
        self.offset = 0.0

    def step_wall(self, seconds: float) -> None:
        self.offset += seconds

    def now(self) -> datetime:
        from datetime import timedelta

        return super().now() + timedelta(seconds=self.offset)


def fill(folder: Path, leave: int = 0) -> Path:
    """Fill the filesystem holding ``folder`` but ``leave`` bytes; returns the filler file
    (the storage-fault tests mount a small tmpfs and fill it)."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_CREAT | os.O_WRONLY, 0o600)
    try:
        for chunk in (65536, 4096, 1):
            try:
                while os.write(fd, b"\0" * chunk):
                    pass
            except OSError:
                pass
        os.ftruncate(fd, os.fstat(fd).st_size - leave)
    finally:
        os.close(fd)
    return filler


def older_history(path: Path, day: date, version: int | None = None) -> int:
    """A history of an older schema (``version``, by default the one before this sitwatch's)
    at ``path``, as an older sitwatch left it: its tables made by the first ``version``
    migrations, then filled with what the writer of today records for ``day`` (an hour and a
    half upright from 9:00, a break, 45 minutes slouched), in the columns that schema has.
    Returns the minutes sat."""
    import sqlite3
    import tempfile

    from sitwatch.history.schema import MIGRATIONS, SCHEMA_VERSION, migrate

    version = SCHEMA_VERSION - 1 if version is None else version
    with tempfile.TemporaryDirectory() as tmp:
        current = Path(tmp) / "current.sqlite"
        clock = ManualClock(datetime(day.year, day.month, day.day, 8, tzinfo=TZ))
        with Store(current, clock) as store:
            sitter = Sitter(store, clock)
            sitter.at(day, 9)
            sitter.sit(90)
            sitter.away(15)
            sitter.sit(45, Posture.SLOUCHED)
            sitter.away(5)
            store.end_run()
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            migrate(conn, MIGRATIONS[:version])
            conn.execute("ATTACH ? AS cur", (str(current),))
            tables = [r[0] for r in conn.execute(
                "SELECT name FROM main.sqlite_master WHERE type = 'table'")]
            for table in tables:
                cols = ", ".join(r[1] for r in conn.execute(f"PRAGMA main.table_info({table})"))
                conn.execute(f"INSERT INTO main.{table} ({cols}) SELECT {cols} FROM cur.{table}")
            conn.execute("DETACH cur")
        finally:
            conn.close()
    return 90 + 45


def first_day(path: Path) -> date:
    """The day the first run in the history at ``path`` began, in the writer's local time
    (``sitwatch demo`` plays today from 08:30). A report of "today" run after local midnight
    reads the next day and finds none of it: tests name this day with ``--day`` instead."""
    import sqlite3

    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        (started,) = conn.execute("SELECT min(started) FROM runs").fetchone()
    finally:
        conn.close()
    assert started, f"no run in {path}"
    return datetime.fromisoformat(started).date()
