"""Which zone the daemon counts its day in (the budget, the daily cap, Home Assistant's "sitting
today"): local midnight, also on the days the clocks change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from sitwatch.core.clock import SystemClock, day_zone
from sitwatch.history.queries import day_bounds


@pytest.mark.parametrize(("now", "first"), [
    # the clocks go back at 03:00: the day began at 00:00 +02:00, 22:00 UTC the day before
    (datetime(2026, 10, 25, 10, 0, tzinfo=timezone(timedelta(hours=1))),
     datetime(2026, 10, 24, 22, 0, tzinfo=UTC)),
    # they go forward at 02:00: the day began at 00:00 +01:00, 23:00 UTC the day before
    (datetime(2026, 3, 29, 10, 0, tzinfo=timezone(timedelta(hours=2))),
     datetime(2026, 3, 28, 23, 0, tzinfo=UTC)),
])
def test_the_real_clocks_day_starts_at_local_midnight_on_the_days_the_clocks_change(
        in_berlin, now: datetime, first: datetime) -> None:
    """The real clock's time carries the offset of the moment only: its day taken at that
    offset began an hour off local midnight on these two days."""
    start, end = day_bounds(now.date(), day_zone(now))
    assert start == first
    hours = 25 if now.month == 10 else 23
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=hours)


def test_the_real_clock_is_in_the_local_zone_and_another_clock_keeps_its_own(in_berlin) -> None:
    now = SystemClock().now()
    assert day_zone(now) == ZoneInfo("Europe/Berlin")
    utc = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # a test's or a replay's clock
    assert day_zone(utc) is UTC
    assert day_zone(utc).utcoffset(utc) == timedelta(0)
