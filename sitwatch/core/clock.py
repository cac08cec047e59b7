"""Clocks. Everything that needs the time is handed a clock; nothing calls time.time() itself.

``monotonic()`` drives timers (dwell, cooldown, backoff); ``now()`` is the timezone-aware wall
time used for history and reports. Tests and replays use :class:`ManualClock`.

``suspended()`` is how long the machine has slept (suspend to RAM or disk) since the clock was
made. The monotonic clock stands still meanwhile, so without it an hour's sleep would vanish:
the daemon compares it between steps, and a suspend longer than ``min_break`` is a break (nobody
sits at a sleeping computer). On Linux it is ``CLOCK_BOOTTIME - CLOCK_MONOTONIC``; elsewhere 0.

:class:`PeerClock` is another machine's wall clock as seen from this one: how far it is from
ours, learned from the times it sends as it sends them (``sitwatch companion`` and a Pi).
"""

from __future__ import annotations

import time
from collections import deque
from datetime import UTC, datetime, timedelta, tzinfo
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


def local_zone() -> tzinfo:
    """The local time zone with its DST rules when we can name it (``TZ``, /etc/localtime),
    else the current offset."""
    import os
    from pathlib import Path
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    name = os.environ.get("TZ", "")
    if not name:
        try:
            name = str(Path("/etc/localtime").resolve()).split("zoneinfo/", 1)[1]
        except (OSError, IndexError):
            name = ""
    offset = datetime.now().astimezone().tzinfo or UTC  # astimezone() always sets one
    try:
        return ZoneInfo(name) if name else offset
    except (ZoneInfoNotFoundError, ValueError):
        return offset


def day_zone(now: datetime) -> tzinfo:
    """The zone whose days ``now`` is counted in. :class:`SystemClock` gives local time with the
    offset of the moment only (+01:00 by 10:00 on the day the clocks go back, a day that began
    at 00:00 +02:00): then the local zone, whose days start at local midnight whatever the
    offset was then. A clock in another zone (a replay's, a test's) keeps its own."""
    zone = local_zone()
    if now.astimezone(zone).utcoffset() == now.utcoffset():
        return zone
    return now.tzinfo or UTC


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


class PeerClock:
    """How far another machine's wall clock is from ours, from the times it sends as it sends
    them (``sitwatch companion``: the Pi's ``<base>/clock``).

    Each sample is their time less ours when it arrives: the true offset less the time the
    message took on the way, never more. So the estimate is the largest sample of the last
    ``window`` seconds (monotonic): a message that lingered cannot pull it down. Their clock
    set forward (network time came at last) moves it at once; set back by more than ``jump``
    seconds (more than any live message lingers), it starts over from the new sample. The
    newest sample is always kept, however old.
    """

    def __init__(self, window: float = 600.0, jump: float = 120.0) -> None:
        self.window = window
        self.jump = jump
        self._samples: deque[tuple[float, float]] = deque()  # (our monotonic, offset)

    def heard(self, theirs: datetime, ours: datetime, monotonic: float) -> float:
        """Their clock said ``theirs`` as it sent, and it came at ``ours`` (our wall clock),
        ``monotonic`` (ours): the offset now (:attr:`offset`)."""
        sample = (theirs - ours).total_seconds()
        known = self.offset
        if known is not None and sample < known - self.jump:
            self._samples.clear()  # set back: what it said before is no longer its clock
        self._samples.append((monotonic, sample))
        while len(self._samples) > 1 and monotonic - self._samples[0][0] > self.window:
            self._samples.popleft()
        return max(o for _, o in self._samples)

    @property
    def offset(self) -> float | None:
        """Seconds their clock is ahead of ours (negative: behind), or None before it was
        heard."""
        return max((o for _, o in self._samples), default=None)

    def their_now(self, ours: datetime) -> datetime:
        """The time their clock says now, when ours says ``ours`` (``ours`` itself before
        their clock was heard: the two are then taken to agree)."""
        offset = self.offset
        return ours if offset is None else ours + timedelta(seconds=offset)
