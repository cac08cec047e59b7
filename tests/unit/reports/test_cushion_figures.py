"""The reports take what only the cushion measures (weight shifts, lopsided time) over the
seated time the cushion saw, and say so when a camera saw the rest (alone, or standing in for
an offline cushion); a day the cushion saw none of says "not measured", never "0 min".

Before, the weight shifts per hour were divided by the camera's minutes as well (the rate read
low), the lopsided minutes read as measured over all the sitting, and the JSON, CSV, Markdown
and the web app's day said "0" lopsided minutes for sitting only a camera saw. Over real SQLite
stores (the daemon's own history and `sitwatch report`: tests/integration)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from sitwatch.core.clock import ManualClock
from sitwatch.core.events import STILLNESS, Event
from sitwatch.core.kinds import Balance, Posture, Stillness
from sitwatch.history.queries import MinuteRow, day_summary
from sitwatch.history.store import Store
from sitwatch.reports import period
from sitwatch.reports.html import render_week
from sitwatch.reports.text import daily_text, weekly_text
from sitwatch.reports.week import MinuteCell
from sitwatch.reports.words import NOT_MEASURED, suggestions
from tests.helpers.history import ALONE, STANDING_IN, TZ, Sitter
from tests.helpers.report_text import rows_joined

MON, TUE, SUN = date(2026, 1, 5), date(2026, 1, 6), date(2026, 1, 11)
NOW = datetime(2026, 1, 12, 12, 0, tzinfo=TZ)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """Monday: 1 h on the cushion (20 min with the weight on the left, 6 weight shifts), then
    1 h 10 min the camera stood in for it. Tuesday: 2 h of a camera-only setup."""
    clock = ManualClock(datetime(2026, 1, 5, 8, 0, tzinfo=TZ), monotonic=0.0)
    s = Store(tmp_path / "history.sqlite", clock)
    p = Sitter(s, clock)
    p.at(MON, 9)
    p.sit(40)
    for _ in range(6):
        s.add_event(Event(clock.monotonic(), STILLNESS, Stillness.SHIFT))
    p.sit(20, balance=Balance.LEFT)
    p.sit(70, camera=STANDING_IN)
    s.end_run()
    p.at(TUE, 9)
    p.sit(120, camera=ALONE)
    s.end_run()
    return s


def row(text: str, key: str) -> str:
    return next(ln for ln in rows_joined(text).splitlines() if ln.startswith(key))[16:].strip()


def test_the_day_says_lopsided_of_the_time_the_cushion_saw(store: Store) -> None:
    mon = daily_text(store, MON, TZ)
    assert row(mon, "Sitting") == "2 h 10 min"
    assert row(mon, "Lopsided") == \
        "20 min of the 1 h the cushion saw (more weight on the left)", mon
    assert row(daily_text(store, TUE, TZ), "Lopsided") == NOT_MEASURED


def test_the_week_takes_weight_shifts_and_lopsided_over_the_cushion_time(store: Store) -> None:
    text = weekly_text(store, SUN, TZ)
    # it said "about 3 an hour seated": six shifts over 2 h 10 min
    assert row(text, "Weight shifts") == \
        "6 weight shifts, about 6 an hour seated (over the 1 h the cushion saw)", text
    assert row(text, "Lopsided") == \
        "20 min of the 1 h the cushion saw (more weight on the left)", text
    page = render_week(store, SUN, TZ, now=NOW)
    assert "about 6 an hour seated (over the 1 h the cushion saw)" in page
    assert "<td>20 min of the 1 h the cushion saw</td>" in page  # Monday and the week
    assert f"<td>{NOT_MEASURED}</td>" in page  # Tuesday


def test_the_day_tells_the_weight_shifts_as_the_week_does(store: Store) -> None:
    """The day's text and Markdown have the week's "Weight shifts" words, over the time the
    cushion saw; a day a camera alone saw has no line (it cannot feel a shift), as a week
    with none counted."""
    want = "6 weight shifts, about 6 an hour seated (over the 1 h the cushion saw)"
    assert row(daily_text(store, MON, TZ), "Weight shifts") == want
    tue = daily_text(store, TUE, TZ)
    assert "Sitting" in tue and "Weight shifts" not in tue, tue
    md = period.build(store, period.Period("day", MON, MON), TZ, now=NOW).markdown()
    assert f"- **Weight shifts:** {want}\n" in md, md
    md = period.build(store, period.Period("day", TUE, TUE), TZ, now=NOW).markdown()
    assert "Weight shifts" not in md, md
    month = period.build(store, period.month_period(MON), TZ, now=NOW).text()
    assert row(month, "Weight shifts") == want, month


def test_a_cushion_that_saw_all_the_sitting_is_not_explained(tmp_path: Path) -> None:
    clock = ManualClock(datetime(2026, 1, 5, 8, 0, tzinfo=TZ), monotonic=0.0)
    s = Store(tmp_path / "history.sqlite", clock)
    p = Sitter(s, clock)
    p.at(MON, 9)
    p.sit(60, balance=Balance.RIGHT)
    s.add_event(Event(clock.monotonic(), STILLNESS, Stillness.SHIFT))
    s.end_run()
    assert row(daily_text(s, MON, TZ), "Lopsided") == "1 h (more weight on the right)"
    assert row(weekly_text(s, SUN, TZ), "Weight shifts") == \
        "1 weight shift, about 1 an hour seated"
    s.close()


def test_json_and_csv_give_the_cushion_time_and_no_lopsided_figure_without_it(
        store: Store) -> None:
    r = period.build(store, period.Period("week", SUN - timedelta(days=6), SUN), TZ, now=NOW)
    doc = json.loads(r.json())
    mon, tue = (next(d for d in doc["days"] if d["date"] == x.isoformat()) for x in (MON, TUE))
    assert (mon["sitting_minutes"], mon["cushion_minutes"]) == (130.0, 60.0)
    assert (mon["lopsided_left_minutes"], mon["lopsided_right_minutes"]) == (20.0, 0.0)
    assert (tue["sitting_minutes"], tue["cushion_minutes"]) == (120.0, 0.0)
    # not known: a camera cannot tell; it said 0.0, an even balance nobody measured
    assert tue["lopsided_left_minutes"] is None and tue["lopsided_right_minutes"] is None
    assert doc["totals"]["cushion_minutes"] == 60.0
    assert doc["totals"]["lopsided_left_minutes"] == 20.0
    rows = {r_["date"]: r_ for r_ in csv.DictReader(io.StringIO(r.csv()))}
    assert rows["2026-01-05"]["cushion_minutes"] == "60.0"
    assert rows["2026-01-06"]["lopsided_left_minutes"] == ""
    assert list(rows["2026-01-05"]) == period.CSV_COLUMNS


def test_json_gives_the_weight_shifts_over_the_cushion_time_and_none_without_it(
        store: Store) -> None:
    r = period.build(store, period.Period("week", SUN - timedelta(days=6), SUN), TZ, now=NOW)
    doc = json.loads(r.json())
    mon, tue = (next(d for d in doc["days"] if d["date"] == x.isoformat()) for x in (MON, TUE))
    # 6 shifts over the hour the cushion saw, not over the 2 h 10 min seated
    assert (mon["weight_shifts"], mon["static_stretches"], mon["weight_shifts_per_hour"]) == (
        6, 0, 6.0)
    # a camera alone cannot feel a shift: not measured, never "0 shifts"
    assert (tue["weight_shifts"], tue["static_stretches"], tue["weight_shifts_per_hour"]) == (
        None, None, None)
    tot = doc["totals"]
    assert (tot["weight_shifts"], tot["static_stretches"], tot["weight_shifts_per_hour"]) == (
        6, 0, 6.0)


def test_csv_has_the_weight_shifts_after_every_older_column(store: Store) -> None:
    """The CSV carries the JSON's weight shifts, as three columns after ``cushion_minutes``:
    the columns before keep their places (spreadsheets read them by place); a day only a
    camera saw has empty cells, never 0."""
    older = ["date", "has_data", "sitting_minutes", "watched_minutes", "longest_spell_minutes",
             "longest_spell_start", "breaks", "break_minutes", "breaks_under_5", "breaks_5_15",
             "breaks_15_30", "breaks_30_plus", "spells_over_limit", "sitting_debt_minutes",
             "upright_share", "slouched_share", "leaning_forward_share", "reclined_share",
             "unknown_share", "lopsided_left_minutes", "lopsided_right_minutes", "nudges",
             "nudges_acted", "nudges_followed_up", "wallet_suspected",
             "sensor_offline_minutes", "camera_offline_minutes", "cushion_minutes"]
    shifts = ["weight_shifts", "static_stretches", "weight_shifts_per_hour"]
    assert older + shifts + ["recline_unseen_minutes", "weight_forward_minutes"] \
        == period.CSV_COLUMNS
    r = period.build(store, period.Period("week", SUN - timedelta(days=6), SUN), TZ, now=NOW)
    rows = {r_["date"]: r_ for r_ in csv.DictReader(io.StringIO(r.csv()))}
    assert [rows[MON.isoformat()][c] for c in shifts] == ["6", "0", "6.0"]
    assert [rows[TUE.isoformat()][c] for c in shifts] == ["", "", ""]


def test_markdown_says_lopsided_of_the_cushion_time_and_not_measured_without(
        store: Store) -> None:
    week = period.build(store, period.Period("week", SUN - timedelta(days=6), SUN), TZ,
                        now=NOW).markdown()
    assert "- **Weight on one side:** 20 min of the 1 h the cushion saw\n" in week
    day = period.build(store, period.Period("day", TUE, TUE), TZ, now=NOW).markdown()
    assert f"- **Weight on one side:** {NOT_MEASURED}\n" in day  # it said 0 min


def test_the_lopsided_suggestion_weighs_the_time_the_cushion_saw(tmp_path: Path) -> None:
    """15 lopsided minutes of the 30 the cushion saw, in 4 h of sitting: half of what the
    cushion saw (the camera's 3 h 30 min hid it: 6%, no suggestion)."""
    clock = ManualClock(datetime(2026, 1, 5, 8, 0, tzinfo=TZ), monotonic=0.0)
    s = Store(tmp_path / "history.sqlite", clock)
    p = Sitter(s, clock)
    p.at(MON, 9)
    p.sit(15)
    p.sit(15, balance=Balance.LEFT)
    p.sit(210, camera=STANDING_IN)
    s.end_run()
    tips = suggestions([day_summary(s, MON, TZ)], weekly=False, limit=5)
    assert any(t.startswith("You sat with more weight on the left for 15 min of the 30 min "
                            "the cushion saw.") for t in tips), tips
    s.close()


def test_the_strip_marks_a_minute_lopsided_over_the_time_the_cushion_saw() -> None:
    """25 s on the cushion, all lopsided, then the camera for the rest of the minute: the minute
    is lopsided (it was not: 25 s of 60 seated read as under half)."""
    cell = MinuteCell()
    cell.add(MinuteRow(
        minute=datetime(2026, 1, 5, 9, tzinfo=TZ), run_id="r", seconds_present=60.0,
        seconds_occupied=60.0, posture={Posture.UPRIGHT: 60.0},
        balance={Balance.LEFT: 25.0}, seat_load_mean=None, cop_x_mean=None, cop_y_mean=None,
        frames=5, dropped=0, sensor_online_seconds=25.0, seconds_occupied_cushion=25.0))
    assert cell.is_lopsided
