"""Clocks. Everything that needs the time is handed a clock; nothing calls time.time() itself.

``monotonic()`` drives timers (dwell, cooldown, backoff); ``now()`` is the timezone-aware wall
time used for history and reports. Tests and replays use :class:`ManualClock`.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def now(self) -> datetime: ...


class SystemClock:
    """The real clock."""

    def monotonic(self) -> float:
        return time.monotonic()

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

    def monotonic(self) -> float:
        return self._t

    def now(self) -> datetime:
        return self._start_wall + timedelta(seconds=self._t - self._t0)

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("time does not run backwards")
        self._t += seconds

    def set(self, monotonic: float) -> None:
        """Move to an absolute monotonic time (never backwards)."""
        if monotonic < self._t:
            raise ValueError(f"time does not run backwards ({monotonic} < {self._t})")
        self._t = monotonic
