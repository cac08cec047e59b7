"""Lengths of time as people type them in the config."""

from __future__ import annotations

import pytest

from sitwatch.core.spans import duration, span_seconds


@pytest.mark.parametrize("text, seconds", [
    ("90s", 90), ("30m", 1800), ("1h30m", 5400), ("2 hours", 7200), ("0s", 0),
    ("1.5h", 5400), ("10 s", 10), ("45 minutes", 2700), ("1d", 86400),
])
def test_span_seconds_reads_numbers_with_their_units(text: str, seconds: float) -> None:
    assert span_seconds(text) == seconds


@pytest.mark.parametrize("text", ["30", "1h30", "-5m", "half an hour", "", "5 parsecs"])
def test_span_seconds_wants_a_unit_on_every_number(text: str) -> None:
    with pytest.raises(ValueError):
        span_seconds(text)


def test_the_snooze_parser_still_reads_a_bare_number_as_minutes() -> None:
    assert duration("45").total_seconds() == 2700
    assert duration("2 minutes").total_seconds() == 120
