"""Periods people type, breaks by length, sitting debt, the one-pass day summaries, the
calendar pictures and the JSON/CSV/Markdown exports (issues #11, #13), over real SQLite stores."""

from __future__ import annotations

import csv
import io
import json
import math
import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from sitwatch.core.clock import ManualClock
from sitwatch.core.kinds import Balance, Posture
from sitwatch.history.queries import (
    BreakRow,
    SpellRow,
    break_lengths,
    day_summary,
    days_summaries,
    sitting_debt_minutes,
)
from sitwatch.history.retention import tidy
from sitwatch.history.store import Store
from sitwatch.reports import calendar, html, period
from tests.helpers.history import TZ, Sitter
from tests.helpers.report_text import rows_joined

# 2026-03-29: summer time starts in Berlin (a 23-hour day)
FRI, SAT, SUN, MON = (date(2026, 3, d) for d in (27, 28, 29, 30))
NOW = datetime(2026, 4, 2, 12, 0, tzinfo=TZ)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    clock = ManualClock(datetime(2026, 3, 27, 6, 0, tzinfo=UTC), monotonic=0.0)
    s = Store(tmp_path / "history.sqlite", clock)
    p = Sitter(s, clock)
    p.at(FRI, 9)          # 50 min (5 past the limit), a 3-min break, 20 min, 16-min break, 40
    p.sit(50)
    p.away(3)
    p.sit(20, Posture.SLOUCHED)
    p.away(16)
    p.sit(40, Posture.UPRIGHT, Balance.LEFT)
    s.end_run()
    p.at(SUN, 1, 30)      # across the jump from 02:00 to 03:00: 90 minutes, then 30 more
    p.sit(90)             # 01:30 CET .. 04:00 CEST
    p.away(5)
    p.sit(30)
    s.end_run()
    p.at(MON, 23, 30)     # across midnight: 30 minutes on Monday, 30 on Tuesday
    p.sit(60)
    s.end_run()
    return s


def test_week_and_month_names() -> None:
    w = period.parse_week("2026-W47")
    assert (w.first, w.last, w.name) == (date(2026, 11, 16), date(2026, 11, 22), "2026-W47")
    assert period.parse_week("2026w1").first == date(2025, 12, 29)  # ISO week 1 of 2026
    assert period.parse_week("2026-W53").first == date(2026, 12, 28)  # 2026 has 53 weeks
    m = period.parse_month("2026-02")
    assert (m.first, m.last, m.name, m.title) == (date(2026, 2, 1), date(2026, 2, 28),
                                                  "2026-02", "February 2026")
    assert period.parse_month("2026-01").previous().name == "2025-12"
    assert w.previous().name == "2026-W46"
    for bad, words in (("2027-W53", "has no week 53"), ("2026-W0", "has no week 0"),
                       ("47", "ISO week"), ("2026-11-02", "ISO week")):
        with pytest.raises(period.PeriodError, match=words):
            period.parse_week(bad)
    for bad in ("2026-13", "2026-00", "Nov", "2026/11", ""):
        with pytest.raises(period.PeriodError, match="YYYY-MM"):
            period.parse_month(bad)


def test_the_last_week_that_is_over() -> None:
    """The weekly timer's week: on its Sunday evening that week; caught up on a later day
    (the computer was off on Sunday), still the week that ended on that Sunday."""
    sunday = date(2026, 11, 22)
    for day in (sunday, date(2026, 11, 23), date(2026, 11, 28)):
        w = period.parse_week("last", day)
        assert (w.first, w.last, w.name) == (date(2026, 11, 16), sunday, "2026-W47"), day
    assert period.parse_week("Last", date(2026, 11, 29)).name == "2026-W48"
    assert period.parse_week("last", date(2026, 1, 1)).name == "2025-W52"


def test_break_lengths_and_debt() -> None:
    mins = [0.0, 2, 4.99, 5, 14.99, 15, 29.99, 30, 600]
    assert break_lengths(BreakRow(NOW, m * 60) for m in mins) == (3, 2, 2, 2)
    assert break_lengths([]) == (0, 0, 0, 0)
    spells = [SpellRow(NOW, s) for s in (2700, 2701, 3600, 60)]
    assert sitting_debt_minutes(spells, 2700) == pytest.approx((1 + 900) / 60)
    assert period.break_classes() == ["under 5 min", "5–15 min", "15–30 min",
                                      "30 min or more"]
    assert period.breaks_text((3, 0, 2, 1)) == \
        "3 under 5 min · 2 of 15–30 min · 1 of 30 min or more"
    assert period.breaks_text((0, 0, 0, 0)) == "none"


def test_the_days_around_the_clock_change(store: Store) -> None:
    fri, sat, sun, mon, tue = days_summaries(store, FRI, MON + timedelta(days=1), TZ)
    assert fri.sitting_minutes == pytest.approx(110)
    assert fri.break_lengths == (1, 0, 1, 0)  # 3 min and 16 min
    assert [round(s.minutes) for s in fri.spells] == [50, 20, 40]
    assert fri.sitting_debt(2700) == pytest.approx(5)
    assert fri.spells_over(2700) == 1
    assert not sat.has_data
    # Sunday is 23 hours long; the 90 minutes from 01:30 CET end at 04:00 CEST
    assert sun.sitting_minutes == pytest.approx(120)
    assert sun.longest_spell_start == datetime(2026, 3, 29, 1, 30, tzinfo=TZ)
    assert sun.longest_spell_minutes == pytest.approx(90)
    assert sun.sitting_debt(2700) == pytest.approx(45)
    assert sun.break_lengths == (0, 1, 0, 0)
    # across midnight: half on each side
    assert mon.sitting_minutes == pytest.approx(30) and tue.sitting_minutes == pytest.approx(30)


def test_one_pass_equals_day_by_day(store: Store) -> None:
    """days_summaries reads the whole range at once; day_summary one day at a time. The same
    numbers, also after old minutes were folded into hours (rows longer than a minute)."""
    def same(a: object, b: object) -> None:
        for f in ("sitting_minutes", "present_minutes", "sensor_offline_minutes",
                  "camera_offline_minutes", "breaks",
                  "longest_spell_minutes", "wallet_suspected", "frames", "dropped"):
            assert math.isclose(getattr(a, f), getattr(b, f), abs_tol=1e-6), f
        for attr in ("posture_minutes", "balance_minutes"):
            x, y = getattr(a, attr), getattr(b, attr)
            assert all(math.isclose(x[k], y[k], abs_tol=1e-6) for k in x), attr
        assert a.nudges == b.nudges and a.spells == b.spells  # type: ignore[attr-defined]

    first, last = FRI - timedelta(days=1), MON + timedelta(days=2)
    for tz in (TZ, UTC):
        many = days_summaries(store, first, last, tz)
        assert [d.day for d in many] == [first + timedelta(days=i) for i in range(7)]
        for d in many:
            same(d, day_summary(store, d.day, tz))
    tidy(store.connection, datetime(2026, 4, 1, tzinfo=UTC))
    folded = store.connection.execute("SELECT count(*) FROM minutes WHERE span > 60")
    assert folded.fetchone()[0] > 0
    for d in days_summaries(store, first, last, TZ):
        same(d, day_summary(store, d.day, TZ))
    assert days_summaries(store, MON, FRI, TZ) == []


def test_exports_of_a_week(store: Store) -> None:
    r = period.build(store, period.Period("week", MON - timedelta(days=6), MON), TZ, now=NOW)
    doc = json.loads(r.json())
    assert doc["schema"] == "sitwatch-report/1"
    assert doc["period"]["name"] == "2026-03-24..2026-03-30"
    assert doc["period"]["timezone"] == "Europe/Berlin"
    t = doc["totals"]
    assert (t["sitting_minutes"], t["breaks"], t["sitting_debt_minutes"],
            t["spells_over_limit"]) == (260.0, 3, 50.0, 2)
    assert t["breaks_by_length"] == {"under_5": 1, "5_15": 1, "15_30": 1, "30_plus": 0}
    sun = next(d for d in doc["days"] if d["date"] == "2026-03-29")
    assert sun["longest_spell_start"] == "2026-03-29T01:30:00+01:00"
    assert sun["posture_share"]["upright"] == 1.0
    rows = list(csv.DictReader(io.StringIO(r.csv())))
    assert rows[0]["date"] == "2026-03-24" and len(rows) == 7
    assert rows[-1]["sitting_minutes"] == "30.0" and rows[-1]["breaks_5_15"] == "0"
    assert list(rows[0]) == period.CSV_COLUMNS
    md = r.markdown()
    assert "**Sitting debt:** 50 min past your 45 min limit, over 2 spells" in md
    assert "| Sun 2026-03-29 | 2 h | 1 h 30 min | 1 | 45 min | 100% |" in md


def test_heatmap_and_month_grid(store: Store) -> None:
    sitting = {FRI: 110.0, SUN: 120.0, MON: 30.0, date(2026, 3, 2): 400.0}
    svg = calendar.heatmap_svg(sitting, MON, today=date(2026, 3, 31))
    assert svg.count("<rect") == 84 and 'data-day="2026-01-12"' in svg  # 12 weeks from Jan 12
    assert 'data-day="2026-04-05"' in svg  # ... to the Sunday of the week of MON
    assert "Fri 27 Mar: 1 h 50 min seated" in svg and "Wed 1 Apr: not yet" in svg
    assert "Sat 28 Mar: no data" in svg
    assert [calendar.level(m) for m in (0, 1, 119, 120, 239, 240, 359, 360, 600)] == \
        [0, 1, 1, 2, 2, 3, 3, 4, 4]
    days = days_summaries(store, date(2026, 3, 1), date(2026, 3, 31), TZ)
    grid = calendar.month_grid(days, 2700, today=date(2026, 3, 27))
    assert len(grid) == 6 and grid[0][:6] == [None] * 6  # March 2026 starts on a Sunday
    cell = grid[4][6]  # Sunday 29
    assert cell is not None and cell["day"] == 29 and cell["debt"] == "45m"
    assert "2 h seated, 1 break, 45 min past the limit" in str(cell["title"])
    assert grid[4][5] is not None and grid[4][5]["later"]  # Saturday 28: after "today"
    assert grid[5][1] is not None and not grid[5][1]["later"]  # Tuesday 31 has data


def test_month_page(store: Store) -> None:
    page = html.render_month(store, date(2026, 3, 5), TZ, now=NOW, links=True)
    assert "<title>sitwatch · March 2026</title>" in page
    assert 'id="stat-debt">50 min<' in page and 'id="stat-breaks">3<' in page
    assert 'href="/month/2026-02"' in page and 'href="/month/2026-04"' in page
    assert 'href="/week/2026-03-29"' in page
    assert "<script" not in page and "http://" not in page and "https://" not in page
    empty = html.render_month(store, date(2025, 6, 1), TZ, now=NOW)
    assert 'id="no-data"' in empty and 'id="heatmap"' not in empty


def test_week_page_has_breaks_debt_and_heatmap(store: Store) -> None:
    page = html.render_week(store, MON, TZ, now=NOW)
    assert "1 under 5 min · 1 of 5–15 min · 1 of 15–30 min" in page
    assert '<b id="stat-debt">50 min</b>' in page and "over 2 spells" in page
    assert page.count("<rect") >= 84 and 'data-day="2026-03-29"' in page


def test_cli_choice_rules() -> None:
    import argparse

    from sitwatch.cli.report import _choose

    def choose(**kw: object) -> object:
        base = {"week": None, "month": None, "format": None, "html": None, "output": None,
                "open": False}
        return _choose(argparse.Namespace(**{**base, **kw}), date(2026, 11, 25))

    c = choose(week="")
    assert (c.kind, c.first, c.last, c.fmt, c.output) == (  # type: ignore[attr-defined]
        "week", date(2026, 11, 19), date(2026, 11, 25), "text", None)
    c = choose(html="")
    assert c.fmt == "html" and str(c.output) == "sitwatch-week-2026-11-25.html"  # type: ignore[attr-defined]
    c = choose(month="", format="html")
    assert str(c.output) == "sitwatch-month-2026-11.html"  # type: ignore[attr-defined]
    c = choose()
    assert (c.kind, c.first) == ("day", date(2026, 11, 25))  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="two formats"):
        choose(html="x.html", format="json")
    with pytest.raises(ValueError, match="--open"):
        choose(format="md", open=True)
    with pytest.raises(period.PeriodError):
        choose(week="2026-W99")
    c = choose(week="last", format="html", output="w.html")  # the weekly timer's line
    assert (c.first, c.last, str(c.output)) == (  # type: ignore[attr-defined]
        date(2026, 11, 16), date(2026, 11, 22), "w.html")
    assert sqlite3  # the stores above are real SQLite files


def _watched_and_sat(tmp_path: Path) -> Store:
    """October 2025: an hour of sitting on the 6th and the 7th; on the 8th to the 10th
    sitwatch watched an empty seat for half an hour."""
    clock = ManualClock(datetime(2025, 10, 6, 5, 0, tzinfo=UTC), monotonic=0.0)
    s = Store(tmp_path / "history.sqlite", clock)
    p = Sitter(s, clock)
    for day in range(6, 11):
        p.at(date(2025, 10, day), 9)
        if day <= 7:
            p.sit(60)
        else:
            p.away(30)
        s.end_run()
    return s


def test_days_watched_with_nobody_sitting_are_not_days_sat(tmp_path: Path) -> None:
    """The month said "about 24 min a day on 5 days" for two hours sat on two days: the three
    days sitwatch watched an empty seat counted as days with sitting."""
    s = _watched_and_sat(tmp_path)
    r = period.build(s, period.parse_month("2025-10"), TZ, sit_limit=2700.0)
    w = r.summary
    assert (w.active_days, w.days_sat, w.days_watched_empty) == (5, 2, 3)
    assert w.sitting_per_day == pytest.approx(60.0)
    sitting = next(ln for ln in rows_joined(r.text()).splitlines() if ln.startswith("Sitting"))
    assert sitting[17:] == "2 h on 2 days (about 1 h a day); 3 more days watched with no sitting"
    totals = json.loads(r.json())["totals"]
    assert (totals["days_with_data"], totals["days_sat"]) == (5, 2)
    assert totals["sitting_minutes_per_day"] == 60.0
    page = html.render_month(s, date(2025, 10, 1), TZ, now=datetime(2025, 11, 3, tzinfo=TZ))
    assert ("about 1 h a day on 2 days; 3 more days watched with no sitting" in
            " ".join(page.split()))
    assert period.before_words("October 2025", w, 2700.0).startswith(
        "October 2025 (2 days with sitting): 1 h a day")
    # the next month's page says the month before in the text report's words (it had its
    # own copy of them, with an "about" the text has not)
    p = Sitter(s, s.clock)
    p.at(date(2025, 11, 3), 9)
    p.sit(30)
    s.end_run()
    november = html.render_month(s, date(2025, 11, 1), TZ, sit_limit=2700.0,
                                 now=datetime(2025, 12, 3, tzinfo=TZ))
    assert f"In {period.before_words('October 2025', w, 2700.0)}." in " ".join(november.split())
