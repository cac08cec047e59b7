"""What the reports say of the time a camera stood in for an offline cushion (fusion rule O2).

That time counts as sitting (the seated minutes the camera saw), so:

"Cushion offline ... missing from these numbers" (Markdown, the weekly page, the offline
suggestion) was untrue for it; they now say how much of the offline time a camera saw you
seated (counted), and that any other sitting then is missing. The history keeps the seated time
a camera saw meanwhile, not the time it saw the seat empty: "any other sitting" is what is
surely missing either way.

Over real SQLite stores filled as the daemon does (tests/helpers/history.py); through the daemon
and `sitwatch report`: tests/integration/test_camera_stand_in_history.py."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from sitwatch.core.clock import ManualClock
from sitwatch.history.queries import day_summary, days_summaries, week_summary
from sitwatch.history.store import Store
from sitwatch.reports import period
from sitwatch.reports.html import render_week
from sitwatch.reports.words import offline_rows, suggestions
from tests.helpers.history import ALONE, STANDING_IN, TZ, Sitter

MON, TUE, SUN = date(2026, 1, 5), date(2026, 1, 6), date(2026, 1, 11)
NOW = datetime(2026, 1, 12, 12, 0, tzinfo=TZ)


def _offline_away(s: Store, clock: ManualClock, minutes: int) -> None:
    """The seat empty while the cushion is offline: the camera saw it empty, or nothing saw
    (the history cannot tell which; neither counts as sitting)."""
    for _ in range(minutes * 6):
        clock.advance(10)
        s.add_sample(10.0, occupied=False, posture=None, balance=None, seat_load=None,
                     cop_x=None, cop_y=None, online=False, cushion=False)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """Monday: 1 h on the cushion; then the cushion offline for 1 h 10 min, of which the camera
    saw you seated 40 min, then 30 min with no sitting seen. Tuesday: 2 h of a camera-only
    setup (no cushion: nothing stands in for it)."""
    clock = ManualClock(datetime(2026, 1, 5, 8, 0, tzinfo=TZ), monotonic=0.0)
    s = Store(tmp_path / "history.sqlite", clock)
    p = Sitter(s, clock)
    p.at(MON, 9)
    p.sit(60)
    p.sit(40, camera=STANDING_IN)
    _offline_away(s, clock, 30)
    s.end_run()
    p.at(TUE, 9, source="camera:0")
    p.sit(120, camera=ALONE)
    s.end_run()
    s.flush()
    return s


def test_the_history_keeps_the_seated_time_a_camera_stood_in(store: Store) -> None:
    mon = day_summary(store, MON, TZ)
    assert mon.cushion_offline_minutes == pytest.approx(70)
    assert mon.stand_in_minutes == pytest.approx(40)
    # a camera-only setup's sitting is the camera's own, not standing in for a cushion
    assert day_summary(store, TUE, TZ).stand_in_minutes == 0
    fast = days_summaries(store, MON, TUE, TZ)  # SQLite's sums: the same figures
    assert [d.stand_in_minutes for d in fast] == pytest.approx([40, 0])
    assert week_summary(store, SUN, TZ).stand_in_minutes == pytest.approx(40)


def test_markdown_says_the_part_a_camera_saw(store: Store) -> None:
    md = period.build(store, period.Period("day", MON, MON), TZ, now=NOW).markdown()
    # it said "(missing from these numbers)", of the 40 min counted as sitting too
    assert ("- **Cushion offline:** 1 h 10 min (a camera saw you seated for 40 min of it, "
            "which counts as sitting here; any other sitting in that time is missing from "
            "these numbers)\n") in md, md


def test_a_camera_that_saw_you_seated_all_the_offline_time(tmp_path: Path) -> None:
    clock = ManualClock(datetime(2026, 1, 5, 8, 0, tzinfo=TZ), monotonic=0.0)
    s = Store(tmp_path / "history.sqlite", clock)
    p = Sitter(s, clock)
    p.at(MON, 9)
    p.sit(20)
    p.sit(45, camera=STANDING_IN)
    s.end_run()
    (row,) = offline_rows(day_summary(s, MON, TZ))
    assert row.counted == "a camera saw you seated all that time, and it counts as sitting here"
    tips = suggestions([day_summary(s, MON, TZ)], weekly=False, limit=5)
    assert ("The cushion was offline for 45 min; a camera saw you seated all that time, and "
            "it counts as sitting here. Check its cable, or run `sitwatch doctor`.") in tips, tips
    s.close()


def test_the_page_and_the_suggestion_say_the_part_a_camera_saw(store: Store) -> None:
    page = render_week(store, SUN, TZ, now=NOW)
    assert ("The cushion was offline for 1 h 10 min this week; a camera saw you seated for 40 "
            "min of it, which counts as sitting here; any other sitting in that time is missing "
            "from these numbers.") in page
    assert "week; that time is missing from these numbers" not in page
    tips = suggestions(days_summaries(store, MON, SUN, TZ), weekly=True, limit=5)
    offline = [t for t in tips if t.startswith("The cushion was offline")]
    assert offline == [
        "The cushion was offline for 1 h 10 min (most on Monday); a camera saw you seated for "
        "40 min of it, which counts as sitting here; any other sitting in that time is missing "
        "from these numbers. Check its cable, or run `sitwatch doctor`."], tips


def test_with_no_camera_standing_in_the_offline_time_is_missing(
        tmp_path: Path) -> None:
    clock = ManualClock(datetime(2026, 1, 5, 8, 0, tzinfo=TZ), monotonic=0.0)
    s = Store(tmp_path / "history.sqlite", clock)
    p = Sitter(s, clock)
    p.at(MON, 9)
    p.sit(20)
    _offline_away(s, clock, 40)
    s.end_run()
    md = period.build(s, period.Period("day", MON, MON), TZ, now=NOW).markdown()
    assert "- **Cushion offline:** 40 min (that time is missing from these numbers)\n" in md
    tips = suggestions([day_summary(s, MON, TZ)], weekly=False, limit=5)
    assert ("The cushion was offline for 40 min, so these numbers miss that time. Check its "
            "cable, or run `sitwatch doctor`.") in tips, tips
    s.close()
