"""Clocks. Everything that needs the time is handed a clock; nothing calls time.time() itself.

``monotonic()`` drives timers (dwell, cooldown, backoff); ``now()`` is the timezone-aware wall
time used for history and reports. Tests and replays use :class:`ManualClock`.

``suspended()`` is how long the machine has slept (suspend to RAM or disk) since the clock was
made. The monotonic clock stands still meanwhile, so without it an hour's sleep would vanish:
the daemon compares it between steps, and a suspend longer than ``min_break`` is a break (nobody
sits at a sleeping computer). On Linux it is ``CLOCK_BOOTTIME - CLOCK_MONOTONIC``; elsewhere 0.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def now(self) -> datetime: ...

    def suspended(self) -> float: ...


def _sleep_gap() -> float:
    """Seconds the machine has slept since boot (0 where the kernel cannot tell)."""
    boottime = getattr(time, "CLOCK_BOOTTIME", None)
    if boottime is None:
        return 0.0
    return time.clock_gettime(boottime) - time.monotonic()


class SystemClock:
    """The real clock."""

    def __init__(self) -> None:
        self._slept = _sleep_gap()

    def monotonic(self) -> float:
        return time.monotonic()

    def suspended(self) -> float:
        # the two clocks are read one after the other: a few microseconds of noise
        return max(0.0, _sleep_gap() - self._slept)

    def now(self) -> datetime:
        return datetime.now(UTC).astimezone()


class ManualClock:
    """A clock that only moves when told to: for tests, replays and the accelerated demo."""

    def __init__(self, start: datetime | None = None, monotonic: float = 0.0) -> None:
        self._start_wall = start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
        if self._start_wall.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start time")
        self._t0 = monotonic
        self._t = monotonic
        self._slept = 0.0

    def monotonic(self) -> float:
        return self._t

    def now(self) -> datetime:
        return self._start_wall + timedelta(seconds=self._t - self._t0 + self._slept)

    def suspended(self) -> float:
        return self._slept

    def suspend(self, seconds: float) -> None:
        """The machine sleeps for ``seconds``: the wall clock moves on, the monotonic one
        does not (as on Linux)."""
        if seconds < 0:
            raise ValueError("time does not run backwards")
        self._slept += seconds

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("time does not run backwards")
        self._t += seconds

    def set(self, monotonic: float) -> None:
        """Move to an absolute monotonic time (never backwards)."""
        if monotonic < self._t:
            raise ValueError(f"time does not run backwards ({monotonic} < {self._t})")
        self._t = monotonic
