"""The words for a day or a period sitwatch ran with its sensor offline all the time: which
sensor, for how long; never "Nobody sat" nor a day watched empty."""

from __future__ import annotations

from datetime import date

from sitwatch.history.queries import DaySummary, WeekSummary
from sitwatch.reports.words import no_sitting_day_text, no_sitting_heading, no_sitting_text

DAY = date(2026, 11, 20)


def test_a_camera_alone_offline_is_named_not_a_cushion() -> None:
    d = DaySummary(DAY, present_minutes=50, sensor_offline_minutes=50, camera_offline_minutes=50)
    w = WeekSummary((d,))
    assert d.offline_throughout and w.days_watched_empty == 0
    assert no_sitting_heading(w, "this week") == "Camera offline this week"
    assert no_sitting_text(d) == ("No sitting recorded: the camera was offline all the 50 min "
                                  "sitwatch ran, so it could not see the seat.")
    assert no_sitting_day_text(d) == "camera offline 50 min"


def test_both_offline_are_both_named() -> None:
    d = DaySummary(DAY, present_minutes=90, sensor_offline_minutes=90, camera_offline_minutes=30)
    assert no_sitting_heading(WeekSummary((d,)), "this month") == (
        "Cushion and camera offline this month")
    assert "the cushion and the camera were offline all the 1 h 30 min" in no_sitting_text(d)
    assert no_sitting_day_text(d) == "cushion offline 1 h and camera offline 30 min"


def test_a_seat_seen_empty_for_a_while_is_still_nobody_sat() -> None:
    part = DaySummary(DAY, present_minutes=90, sensor_offline_minutes=60)
    assert not part.offline_throughout
    assert no_sitting_heading(WeekSummary((part,)), "this week") == "Nobody sat this week"
    assert no_sitting_day_text(part) == "no sitting"
    nudged = DaySummary(DAY, nudges={"posture": 2})
    assert no_sitting_day_text(nudged) == "2 nudges, no time watched"
    assert no_sitting_day_text(DaySummary(DAY)) == "—"
