"""Durations in words: measured ones rounded for a glance, settings written as set."""

from __future__ import annotations

import pytest

from sitwatch.core.durations import setting, words


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
