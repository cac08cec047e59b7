"""Durations in words: measured ones rounded for a glance, settings written as set."""

from __future__ import annotations

import pytest

from sitwatch.core.durations import ago, setting, uptime, words


def test_measured_durations_are_rounded_to_the_minute() -> None:
    assert words(42) == "42 s"
    assert words(89) == "1 min" and words(90) == "2 min"  # a half rounds up
    assert words(3600 + 5 * 60) == "1 h 5 min" and words(7200) == "2 h"


@pytest.mark.parametrize(("seconds", "said"), [
    (90, "1 min 30 s"),  # was "2 min": another setting than the one made
    (45, "45 s"),
    (120, "2 min"),
    (599.6, "10 min"),
    (150.4, "2 min 30 s"),
    (2700, "45 min"),
    (5400, "1 h 30 min"),
    (18000, "5 h"),
    (-1, "0 s"),
])
def test_a_setting_is_written_as_set(seconds: float, said: str) -> None:
    assert setting(seconds) == said


@pytest.mark.parametrize(("seconds", "said"), [
    (0.0, "just now"), (4.9, "just now"), (5.0, "5 s ago"), (42.0, "42 s ago"),
    (37 * 60.0, "37 min ago"),
])
def test_an_age_of_a_few_seconds_is_just_now(seconds: float, said: str) -> None:
    """The live page said "last nudge: posture 0 s ago" right after a nudge."""
    assert ago(seconds) == said


@pytest.mark.parametrize(("seconds", "said"), [
    (0.0, "just started"), (42.0, "just started"), (59.9, "just started"),
    (60.0, "up 1 min"), (3600 + 5 * 60, "up 1 h 5 min"),
])
def test_a_daemon_in_its_first_minute_has_just_started(seconds: float, said: str) -> None:
    """The live page said "up 0 s" right after the daemon started, then ticked by seconds."""
    assert uptime(seconds) == said
