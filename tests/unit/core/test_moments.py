"""A moment in words: as precise as its distance from now needs, never missing its day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sitwatch.core.moments import when

TZ = timezone(timedelta(hours=1))
NOW = datetime(2026, 11, 29, 22, 8, tzinfo=TZ)  # a Sunday evening


def test_today_is_the_time_alone() -> None:
    assert when(NOW + timedelta(hours=1), NOW) == "23:08"
    assert when(NOW - timedelta(hours=22), NOW) == "00:08"


def test_within_a_week_says_the_weekday_and_date() -> None:
    assert when(NOW + timedelta(hours=20), NOW) == "Mon 30 Nov 18:08"  # `sitwatch snooze 20h`
    assert when(NOW + timedelta(days=6), NOW) == "Sat 5 Dec 22:08"
    assert when(NOW - timedelta(days=2), NOW) == "Fri 27 Nov 22:08"  # stopped two days ago


def test_further_off_says_the_year_too() -> None:
    assert when(NOW + timedelta(days=7), NOW) == "Sun 6 Dec 2026 22:08"
    assert when(NOW + timedelta(hours=99999), NOW) == "Tue 27 Apr 2038 13:08"
    assert when(NOW - timedelta(days=30), NOW) == "Fri 30 Oct 2026 22:08"


def test_the_day_is_decided_in_the_moments_own_zone() -> None:
    utc_now = NOW.astimezone(UTC)  # 21:08 UTC, the same instant
    assert when(NOW + timedelta(hours=1), utc_now) == "23:08"
    assert when(NOW + timedelta(hours=2), utc_now) == "Mon 30 Nov 00:08"
