"""Daily and weekly text reports over a constructed week in a real SQLite store."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from sitwatch.core.clock import ManualClock
from sitwatch.core.kinds import Balance, NudgeKind, Posture
from sitwatch.history.queries import BreakRow, DaySummary, SpellRow, day_summary
from sitwatch.history.store import Store
from sitwatch.reports.text import bar, daily_text, weekly_text
from sitwatch.reports.words import fmt_minutes, fmt_short, part_of_day, suggestions
from tests.helpers.history import TZ, Sitter
from tests.helpers.report_text import rows_joined

MON, TUE, WED, THU, SUN = (date(2026, 1, d) for d in (5, 6, 7, 8, 11))


@pytest.fixture
def store(tmp_path: Path) -> Store:
    clock = ManualClock(datetime(2026, 1, 5, 8, 0, tzinfo=TZ), monotonic=0.0)
    s = Store(tmp_path / "history.sqlite", clock)
    p = Sitter(s, clock)
    p.at(MON, 9)        # Monday morning: 30 upright, break, 30 slouched
    p.sit(30)
    p.away(15)
    p.sit(30, Posture.SLOUCHED)
    s.end_run()
    p.at(TUE, 14)       # Tuesday afternoon: one long spell, then lopsided
    p.sit(45)
    p.nudge(NudgeKind.PROLONGED_SITTING)
    p.sit(35)  # no break in between: the same spell goes on (80 min)
    p.away(10)
    p.sit(20, Posture.UPRIGHT, Balance.LEFT)
    s.end_run()
    p.at(THU, 10)       # Thursday: half upright, half reclined
    p.sit(20)
    p.sit(20, Posture.RECLINED)
    s.end_run()
    return s


def test_summaries_of_the_constructed_week(store: Store) -> None:
    tue = day_summary(store, TUE, TZ)
    assert tue.sitting_minutes == pytest.approx(100)
    assert tue.longest_spell_minutes == pytest.approx(80)
    assert tue.breaks == 1
    assert tue.lopsided_left_minutes == pytest.approx(20)


def test_daily_text(store: Store) -> None:
    text = daily_text(store, TUE, TZ)
    lines = rows_joined(text).splitlines()
    assert lines[0] == "Tuesday 6 January 2026"
    assert "Sitting          1 h 40 min" in lines
    assert "Longest spell    1 h 20 min (from 14:00)" in lines
    assert "Breaks           1" in lines
    assert "Posture          upright 100% · slouched 0% · leaning forward 0% · reclined 0%" \
        in lines
    assert "Lopsided         20 min (more weight on the left)" in lines
    assert "Nudges           1: time to move 1" in lines
    assert "Cushion offline" not in text
    assert bullets(text)[0].startswith(
        "Your longest spell was in the afternoon (1 h 20 min without a break).")

    mon = daily_text(store, MON, TZ)
    assert "Sitting          1 h" in mon and "Breaks           1" in mon
    assert "upright 50% · slouched 50%" in mon
    assert "Nudges           none" in mon
    assert any(b.startswith("You slouched or leaned forward for 50% of your sitting time.")
               for b in bullets(mon))


def test_daily_text_without_data(store: Store) -> None:
    text = daily_text(store, WED, TZ)
    assert text.startswith("Wednesday 7 January 2026\n")
    assert "No sitting recorded" in text and "sitwatch run" in text
    assert "Sitting " not in text


def test_weekly_text(store: Store) -> None:
    text = weekly_text(store, SUN, TZ)
    lines = rows_joined(text).splitlines()
    assert lines[0] == "Week Mon 5 Jan – Sun 11 Jan 2026"
    header = lines[2].split()
    assert header == ["sitting", "longest", "breaks", "upright", "slouch", "forward", "recline",
                      "lopsided", "nudges"]
    rows = {ln[:6]: ln for ln in lines[3:10]}
    assert list(rows) == ["Mon  5", "Tue  6", "Wed  7", "Thu  8", "Fri  9", "Sat 10", "Sun 11"]
    assert rows["Tue  6"][7:10] == "███"  # the longest day fills the bar
    assert rows["Mon  5"][7:10] == "█▊ "  # 60 of 100 min: 14 of 24 eighths
    assert rows["Thu  8"][7:10] == "█▎ "  # 40 of 100 min: 10 of 24
    assert rows["Wed  7"].split()[2:] == ["—"]
    assert rows["Tue  6"][10:].split() == ["1h40", "1h20", "1", "100%", "0%", "0%", "0%", "20m",
                                          "1"]
    assert rows["Thu  8"][10:].split() == ["40m", "40m", "0", "50%", "0%", "0%", "50%", "0m",
                                          "0"]
    # Right-aligned columns: every cell ends where its header ends.
    ends = [m.end() for m in re.finditer(r"\S+", lines[2])]
    for row in (rows["Mon  5"], rows["Tue  6"], rows["Thu  8"]):
        cells = list(re.finditer(r"\S+", row[10:]))
        assert [m.end() + 10 for m in cells] == ends
    assert max(len(ln) for ln in text.splitlines()) <= 80  # the table too (it took 85)

    assert "Sitting          3 h 20 min on 3 days (about 1 h 7 min a day)" in lines
    assert "Longest spell    1 h 20 min (Tuesday 14:00)" in lines
    assert "Breaks           2" in lines
    assert "Posture          upright 75% · slouched 15% · leaning forward 0% · reclined 10%" \
        in lines
    assert "Lopsided         20 min (more weight on the left)" in lines
    assert "Nudges           1: time to move 1" in lines
    tips = bullets(text)
    assert len(tips) == 2
    assert tips[0].startswith("Your longest spell was on Tuesday afternoon (1 h 20 min "
                              "without a break).")
    assert "more weight on the left for 20 min" in tips[1]


def test_weekly_text_without_data(store: Store) -> None:
    text = weekly_text(store, date(2026, 1, 4), TZ)
    assert text.splitlines()[0] == "Week Mon 29 Dec – Sun 4 Jan 2026"
    assert "No sitting recorded this week" in text


def test_no_medical_words(store: Store) -> None:
    text = (weekly_text(store, SUN, TZ) + daily_text(store, MON, TZ)).lower()
    for word in ("diagnos", "disease", "injury", "pain", "sciatica", "treat", "cure"):
        assert word not in text


def bullets(text: str) -> list[str]:
    """The suggestions, unwrapped (each starts with "• ", continuation lines are indented)."""
    out: list[str] = []
    for ln in text.splitlines():
        if ln.startswith("• "):
            out.append(ln[2:])
        elif ln.startswith("  ") and out:
            out[-1] += " " + ln.strip()
        else:
            continue
        assert len(ln) <= 80
    return out


# -- suggestions from hand-made summaries -----------------------------------------------------

def summary(day: date, *, sitting_minutes: float = 0.0,
            spells: tuple[tuple[datetime, float], ...] = (), breaks: int = 0,
            posture_minutes: dict[Posture, float] | None = None,
            sensor_offline_minutes: float = 0.0) -> DaySummary:
    """A hand-made day: spells as (start, minutes), ``breaks`` of 5 min each."""
    s = DaySummary(day)
    return replace(
        s, sitting_minutes=sitting_minutes,
        spells=tuple(SpellRow(start, minutes * 60) for start, minutes in spells),
        break_rows=tuple(BreakRow(at(day, 12), 300.0) for _ in range(breaks)),
        posture_minutes={**s.posture_minutes, **(posture_minutes or {})},
        sensor_offline_minutes=sensor_offline_minutes)


def at(day: date, h: int, m: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, h, m, tzinfo=TZ)


def test_suggestions_group_long_spells_by_day_and_part() -> None:
    days = [
        summary(MON, sitting_minutes=100, spells=((at(MON, 9), 50.0), (at(MON, 15), 50.0)),
                breaks=3, posture_minutes={Posture.UPRIGHT: 100}),
        summary(THU, sitting_minutes=150, spells=((at(THU, 13), 70.0), (at(THU, 15), 60.0)),
                breaks=2, posture_minutes={Posture.UPRIGHT: 150}),
    ]
    tips = suggestions(days)
    assert tips == [
        "Your long spells bunched up on Thursday afternoon: 2 of them over 45 min, the longest "
        "1 h 10 min without a break. Getting up for a few minutes every 45 min or so breaks up "
        "long sitting; a walk to refill your water counts."
    ]
    assert "every 30 min" in suggestions(days, sit_limit=1800)[0]


def test_the_long_spells_tip_never_calls_the_longest_another_one() -> None:
    """The tip named the part of a day with the most time in long spells "your longest spells,
    up to 1 h 3 min", in a week whose longest spell (1 h 9 min) was on another day. And over a
    month, "on Wednesday afternoon" did not say which of four Wednesdays."""
    days = [
        summary(WED, sitting_minutes=190, spells=((at(WED, 13), 63.0), (at(WED, 15), 62.0),
                                                  (at(WED, 16), 61.0)),
                breaks=3, posture_minutes={Posture.UPRIGHT: 190}),
        summary(THU, sitting_minutes=80, spells=((at(THU, 13), 69.0),),
                breaks=1, posture_minutes={Posture.UPRIGHT: 80}),
    ]
    (tip,) = suggestions(days, limit=1)
    assert tip.startswith("Your long spells bunched up on Wednesday afternoon: 3 of them over "
                          "45 min, the longest 1 h 3 min without a break.")
    month = [*days, summary(date(2026, 1, 28), sitting_minutes=10, breaks=0,
                            posture_minutes={Posture.UPRIGHT: 10})]
    (tip,) = suggestions(month, limit=1)
    assert "in the afternoon of Wednesday 7 January" in tip


def test_suggestions_for_a_good_week_and_an_offline_cushion() -> None:
    good = [summary(MON, sitting_minutes=120, breaks=5,
                    spells=((at(MON, 9), 30.0), (at(MON, 10), 40.0)),
                    posture_minutes={Posture.UPRIGHT: 120})]
    assert suggestions(good) == ["Nice: your sitting spells stayed under 45 min and your "
                                 "posture was mostly upright. Keep it up."]
    offline = [summary(MON, sitting_minutes=60, breaks=2, sensor_offline_minutes=90,
                       posture_minutes={Posture.UPRIGHT: 60})]
    (tip,) = suggestions(offline)
    assert tip.startswith("The cushion was offline for 1 h 30 min (most on Monday)")
    # camera-only: the camera was offline, and its cable is not the first thing to check
    camera = [replace(offline[0], camera_offline_minutes=90)]
    (tip,) = suggestions(camera)
    assert tip == ("The camera was offline for 1 h 30 min (most on Monday), so these numbers "
                   "miss that time. Check that it is plugged in and that no other program "
                   "holds it, or run `sitwatch doctor`.")
    assert suggestions([summary(MON)]) == []


def test_suggestions_about_few_breaks() -> None:
    days = [summary(MON, sitting_minutes=300, breaks=1, spells=((at(MON, 9), 40.0),),
                    posture_minutes={Posture.UPRIGHT: 300})]
    (tip,) = suggestions(days)
    assert tip.startswith("You took 1 break in 5 h of sitting.")


def test_formatting_helpers() -> None:
    assert fmt_minutes(0) == "0 min"
    assert fmt_minutes(59.4) == "59 min"
    assert fmt_minutes(60) == "1 h"
    assert fmt_minutes(192) == "3 h 12 min"
    assert [fmt_short(m) for m in (0, 37, 60, 192)] == ["0m", "37m", "1h00", "3h12"]
    assert bar(0, 10) == " " * 8
    assert bar(10, 10) == "█" * 8
    assert bar(5, 10) == "████    "
    assert bar(0.01, 10) == "▏       "  # something is never drawn as nothing
    assert [part_of_day(at(MON, h)) for h in (8, 13, 19, 23)] == ["morning", "afternoon",
                                                                 "evening", "night"]


# -- "mostly": only of the known time, and only when enough of it is known (issue #14, 17) ---

def test_posture_is_not_mostly_upright_when_most_of_it_is_unknown(tmp_path: Path) -> None:
    """Upright 41%, unknown 59%: the report used to call that "mostly upright"."""
    day = date(2026, 1, 9)
    clock = ManualClock(datetime(2026, 1, 9, 8, 0, tzinfo=TZ), monotonic=0.0)
    store = Store(tmp_path / "history.sqlite", clock)
    p = Sitter(store, clock)
    p.at(day, 9)
    p.sit(41)  # short spells and breaks: nothing else to suggest
    p.away(5)
    p.sit(30, Posture.UNKNOWN)
    p.away(5)
    p.sit(29, None)
    store.end_run()
    text = daily_text(store, day, TZ)
    assert "upright 41%" in text and "unknown 59%" in text
    assert "mostly upright" not in " ".join(bullets(text))
    assert bullets(text) == [
        "Nice: your sitting spells stayed under 45 min; keep it up. sitwatch could tell your "
        "posture for only 41% of your sitting time, too little to say how you mostly sat."]


def nice(camera: bool = False, **minutes: float) -> str:
    """The suggestion for an hour of short spells with these minutes per posture, which the
    cushion saw (``camera``: a camera alone)."""
    day = replace(summary(MON, sitting_minutes=sum(minutes.values()), breaks=4,
                          spells=((at(MON, 9), 20.0),),
                          posture_minutes={Posture(k): v for k, v in minutes.items()}),
                  cushion_minutes=0.0 if camera else sum(minutes.values()))
    (tip,) = suggestions([day])
    assert tip.startswith("Nice: your sitting spells stayed under 45 min")
    return tip[len("Nice: your sitting spells stayed under 45 min"):]


def test_mostly_needs_more_than_half_of_the_known_time() -> None:
    assert nice(upright=60, slouched=10, reclined=30) \
        == " and your posture was mostly upright. Keep it up."
    # Half is not most: say what the mix was.
    assert nice(upright=50, reclined=50) \
        == "; keep it up. Your posture was mixed: upright 50%, reclined 50%."
    assert nice(reclined=45, upright=40, slouched=15) \
        == "; keep it up. Your posture was mixed: reclined 45%, upright 40%, slouched 15%."
    # Mostly of the known time, but not of all of it: say which time that is.
    assert nice(upright=28, reclined=5, unknown=27) \
        == (", and in the 55% of your sitting time where sitwatch could tell your posture, "
            "it was mostly upright. Keep it up.")
    assert nice(upright=20, reclined=20, unknown=20) \
        == ("; keep it up. Your posture was mixed: upright 50%, reclined 50% of the time "
            "sitwatch could tell it.")
    # Too little known, or nothing at all.
    assert nice(upright=20, unknown=40).endswith(
        "sitwatch could tell your posture for only 33% of your sitting time, too little to "
        "say how you mostly sat.")
    assert nice(unknown=60) \
        == "; keep it up. sitwatch could not tell your posture while you sat."


def test_mostly_slumped_is_never_praised() -> None:
    """A day too short for the slouching suggestion still must not call a slump good."""
    sit_back = ("Sliding your hips back until the backrest carries your lower back makes "
                "sitting tall easier.")
    assert nice(slouched=6, upright=3) \
        == f"; keep it up. Your posture was mostly slouched. {sit_back}"
    assert nice(leaning_forward=6, upright=3) \
        == f"; keep it up. Your posture was mostly leaning forward. {sit_back}"
    assert nice(slouched=5, upright=2, unknown=5) \
        == ("; keep it up. In the 58% of your sitting time where sitwatch could tell your "
            f"posture, it was mostly slouched. {sit_back}")
    assert nice(reclined=6, upright=3) == " and your posture was mostly reclined. Keep it up."


def test_a_slump_only_a_camera_saw_is_not_about_the_hips() -> None:
    """A camera alone sees a slump as the head dropped towards the desk (docs/camera.md; its
    nudge says so): the report said to slide the hips back, which it cannot see."""
    head_up = ("If you keep looking down, raise the screen (or the laptop on a stand) so you "
               "can see it with your head up.")
    assert nice(camera=True, slouched=6, upright=3) \
        == f"; keep it up. Your posture was mostly slouched. {head_up}"
    day = replace(summary(MON, sitting_minutes=60, breaks=4, spells=((at(MON, 9), 20.0),),
                          posture_minutes={Posture.SLOUCHED: 30.0, Posture.UPRIGHT: 30.0}),
                  cushion_minutes=0.0)
    (tip,) = suggestions([day])
    assert tip == (f"You slouched or leaned forward for 50% of your sitting time, most of it "
                   f"on Monday. {head_up}")


def test_the_week_says_how_often_the_weight_was_shifted(tmp_path: Path) -> None:
    """The stillness detector's shifts (issue #13) in the weekly text and page: counted per hour
    seated, and the stretches that ran too long without one."""
    from sitwatch.core.events import STILLNESS, Event
    from sitwatch.core.kinds import Stillness
    from sitwatch.reports.html import render_week

    clock = ManualClock(datetime(2026, 1, 5, 8, 0, tzinfo=TZ), monotonic=0.0)
    s = Store(tmp_path / "history.sqlite", clock)
    p = Sitter(s, clock)
    p.at(MON, 9)
    p.sit(30)  # half an hour ...
    for _ in range(6):
        s.add_event(Event(clock.monotonic(), STILLNESS, Stillness.SHIFT))
    p.sit(30)  # ... and another: an hour seated, six shifts
    s.add_event(Event(clock.monotonic(), STILLNESS, Stillness.STATIC))
    s.end_run()
    text = weekly_text(s, SUN, TZ)
    assert ("Weight shifts    6 weight shifts, about 6 an hour seated; 1 stretch without one "
            "for too long") in rows_joined(text).splitlines()
    page = render_week(s, SUN, TZ)
    assert 'id="shifts">Weight shifts: 6 weight shifts, about 6 an hour seated' in page
    s.close()


def test_no_weight_shift_line_without_counted_shifts(store: Store) -> None:
    from sitwatch.reports.html import render_week

    assert "Weight shifts" not in weekly_text(store, SUN, TZ)  # a history from before them
    assert 'id="shifts"' not in render_week(store, SUN, TZ)


def test_the_day_under_way_counts_in_the_totals_not_in_the_figures_per_day(store: Store) -> None:
    """On Thursday morning the week's Thursday is not a day yet: counted as one, it pulled
    "about ... a day" down (and the comparison with last week said "less") every morning."""
    from sitwatch.history.queries import week_summary

    whole = week_summary(store, SUN, TZ)
    assert whole.sitting_per_day == pytest.approx(200 / 3)  # Mon 60, Tue 100, Thu 40
    morning = week_summary(store, SUN, TZ, today=THU)
    assert morning.today_left_out and morning.sitting_minutes == pytest.approx(200)
    assert morning.sitting_per_day == pytest.approx(80)  # Mon and Tue, the whole days
    assert morning.breaks_per_day == pytest.approx(1.0)  # 2 breaks on Mon and Tue
    text = weekly_text(store, SUN, TZ, today=THU)
    assert ("Sitting          3 h 20 min on 3 days (about 1 h 20 min a day; today counts once "
            "it is over)") in rows_joined(text).splitlines()
    only = week_summary(store, MON + timedelta(days=0), TZ, today=MON)  # Monday alone
    assert not only.today_left_out  # nothing else to average: today's figure stands
    assert week_summary(store, SUN, TZ, today=WED).today_left_out is False  # no data Wed


def test_a_change_too_small_to_show_is_the_same() -> None:
    from sitwatch.reports.week import _change, _points
    from sitwatch.reports.words import pct

    c = _change("Upright", "79%", 0.7949, 0.7851, better="up", diff=_points, shown=pct,
                same_within=0.005, more="more upright", less="less upright")
    assert c.tone == "same" and c.text == "about the same as last week (79%)"


@pytest.mark.parametrize(("ending", "today", "heading", "h1"), [
    (SUN, date(2026, 1, 14), "Week Mon 5 Jan – Sun 11 Jan 2026",  # a week gone by
     "Mon 5 – Sun 11 January 2026"),
    (SUN, date(2026, 1, 8), "This week, Mon 5 Jan – Sun 11 Jan 2026",
     "This week, Mon 5 – Sun 11 January 2026"),
    (date(2026, 1, 8), date(2026, 1, 8), "Last 7 days, Fri 2 Jan – Thu 8 Jan 2026",
     "Last 7 days, Fri 2 – Thu 8 January 2026"),
    (date(2026, 1, 8), date(2026, 1, 20), "7 days, Fri 2 Jan – Thu 8 Jan 2026",
     "7 days, Fri 2 – Thu 8 January 2026"),
])
def test_the_weekly_heading_says_which_seven_days(store: Store, ending: date, today: date,
                                                  heading: str, h1: str) -> None:
    """`sitwatch report --week` (the seven days to today) headed its text "Week Fri 2 Jan –
    Thu 8 Jan", and the web's "This week" (the calendar week) showed bare dates too: which
    seven days each covers is said now, in the text and on the page."""
    from sitwatch.reports.html import render_week

    assert weekly_text(store, ending, TZ, today=today).splitlines()[0] == heading
    page = render_week(store, ending, TZ, now=datetime(today.year, today.month, today.day, 9,
                                                       tzinfo=TZ))
    assert f"<h1>{h1}</h1>" in page


def test_the_nudge_times_of_a_time_nobody_sat_are_listed_up_to_a_dozen() -> None:
    """A day names the times alone, a week the day too; past a dozen, how many more."""
    from sitwatch.history.queries import WeekSummary
    from sitwatch.reports.words import MAX_NUDGE_TIMES, no_sitting_rows, nudge, nudge_times_text

    day = date(2026, 11, 18)
    at = [(datetime(2026, 11, 18, 9, 0, tzinfo=TZ) + timedelta(minutes=5 * i),
           NudgeKind.PROLONGED_SITTING) for i in range(MAX_NUDGE_TIMES + 3)]
    s = DaySummary(day, nudges={NudgeKind.PROLONGED_SITTING: len(at)}, nudge_times=tuple(at))
    assert s.has_data and not s.watched
    said = nudge(NudgeKind.PROLONGED_SITTING)
    text = nudge_times_text(s)
    assert text.startswith(f"09:00 {said} · 09:05 {said}") and "Wed" not in text, text
    assert text.endswith(f"09:55 {said} · 3 more"), text
    week = WeekSummary((s, DaySummary(date(2026, 11, 19))))
    assert nudge_times_text(week).startswith(f"Wed 18 09:00 {said}")
    assert week.days_watched_empty == 0  # nudges alone: not a day watched
    assert ("Nudged at", text) in no_sitting_rows(s)
