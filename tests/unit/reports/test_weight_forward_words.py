"""On a seat without backrest sensors, ``leaning_forward`` means the weight went to the front of
the seat (a perch on the edge, or a slump seen from below); leaning forward onto the thighs is
not seen there at all. The daemon's nudge calls it "weight forward", and so do the reports now,
for the time a seat alone saw it: the text, Markdown and HTML reports, the charts' words and
the pressure card. A chair with backrest sensors, and a camera, still say "leaning forward"; a
period with both says both, each over its own time. JSON and CSV keep their field names and add
``weight_forward_minutes``. Through a real SQLite store; the command itself:
tests/e2e/test_seat_only_reclining.py."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from sitwatch.core.clock import ManualClock
from sitwatch.core.kinds import Posture
from sitwatch.history.queries import day_summary, week_summary
from sitwatch.history.store import Store
from sitwatch.reports import period, pressure
from sitwatch.reports.html import render_week
from sitwatch.reports.text import daily_text, weekly_text
from sitwatch.reports.words import suggestions
from tests.helpers.history import ALONE, STANDING_IN, TZ, Sitter
from tests.helpers.report_text import row_value

MON = date(2026, 1, 5)
TUE = date(2026, 1, 6)
NOW = datetime(2026, 1, 6, 20, 0, tzinfo=TZ)


def history(tmp_path: Path) -> tuple[Store, Sitter]:
    clock = ManualClock(datetime(2026, 1, 5, 8, 0, tzinfo=TZ), monotonic=0.0)
    store = Store(tmp_path / "history.sqlite", clock)
    return store, Sitter(store, clock)


def seat_only_monday(p: Sitter) -> None:
    p.at(MON, 9, layout="fsr-cushion-9")
    p.sit(45, back=False)
    p.sit(15, Posture.LEANING_FORWARD, back=False)


def chair_tuesday(p: Sitter) -> None:
    p.at(TUE, 9)
    p.sit(45)
    p.sit(15, Posture.LEANING_FORWARD)


def posture_row(text: str) -> str:
    return row_value(text, "Posture")


def test_a_seat_alone_says_weight_forward(tmp_path: Path) -> None:
    store, p = history(tmp_path)
    seat_only_monday(p)
    store.flush()
    s = day_summary(store, MON, TZ)
    assert s.seat_alone_minutes == pytest.approx(60)
    assert s.weight_forward_minutes == pytest.approx(15)
    row = posture_row(daily_text(store, MON, TZ))
    assert "weight forward 25%" in row
    assert "leaning forward" not in row
    store.close()


def test_a_chair_and_a_camera_still_say_leaning_forward(tmp_path: Path) -> None:
    """A chair's backrest sensors tell a lean from a perch; a camera sees the head come
    forward; a camera standing in for an offline seat-only cushion is the camera's too."""
    store, p = history(tmp_path)
    p.at(MON, 9, layout="fsr-cushion-9")
    p.sit(30, Posture.LEANING_FORWARD, camera=STANDING_IN, back=False)
    p.sit(30, back=False)
    store.end_run()
    chair_tuesday(p)
    store.end_run()
    p.at(MON + timedelta(days=2), 9, source="camera:0")
    p.sit(60, Posture.LEANING_FORWARD, camera=ALONE)
    store.flush()
    for day in (MON, TUE):
        assert day_summary(store, day, TZ).weight_forward_minutes == pytest.approx(0)
    assert "leaning forward 25%" in posture_row(daily_text(store, TUE, TZ))
    assert "leaning forward 50%" in posture_row(daily_text(store, MON, TZ))
    assert "leaning forward 100%" in posture_row(daily_text(store, MON + timedelta(days=2), TZ))
    store.close()


def test_a_week_with_both_says_both_over_their_own_time(tmp_path: Path) -> None:
    store, p = history(tmp_path)
    seat_only_monday(p)
    store.end_run()
    chair_tuesday(p)
    store.flush()
    w = week_summary(store, TUE, TZ)
    assert w.weight_forward_minutes == pytest.approx(15)
    text = weekly_text(store, TUE, TZ)
    assert "leaning forward 12% · weight forward 12%" in posture_row(text)
    r = period.build(store, period.Period("week", TUE - timedelta(days=6), TUE), TZ, now=NOW)
    doc = json.loads(r.json())
    assert doc["totals"]["posture_share"]["leaning_forward"] == 0.25  # field names kept
    assert doc["totals"]["weight_forward_minutes"] == 15.0
    by_day = {d["date"]: d["weight_forward_minutes"] for d in doc["days"]}
    assert (by_day["2026-01-05"], by_day["2026-01-06"]) == (15.0, 0.0)
    rows = {r_["date"]: r_ for r_ in csv.DictReader(io.StringIO(r.csv()))}
    assert rows["2026-01-05"]["weight_forward_minutes"] == "15.0"
    assert rows["2026-01-05"]["leaning_forward_share"] == "0.25"
    assert period.CSV_COLUMNS[-1] == "weight_forward_minutes"  # added at the end
    assert "leaning forward 12%, weight forward 12%" in r.markdown()
    store.close()


def _legend(html: str) -> list[list[str]]:
    return [re.findall(r'<span class="sw [a-z]+"></span>([^<]+)', ul)
            for ul in re.findall(r'<ul class="legend" aria-label="Legend">(.*?)</ul>', html,
                                 re.S)]


def test_the_page_names_it_and_leaves_unseen_reclining_out_of_the_legends(
        tmp_path: Path) -> None:
    store, p = history(tmp_path)
    seat_only_monday(p)
    store.flush()
    html = render_week(store, TUE, TZ, now=NOW)
    timeline, bars = _legend(html)[:2]
    assert timeline[:4] == ["upright", "slouched", "weight forward", "unknown"]
    assert bars == ["upright", "slouched", "weight forward", "unknown"]
    assert "<title>Mon 5: weight forward 15 min (25%)</title>" in html
    assert re.search(r"<title>09:4\d–10:0\d weight forward</title>", html)
    assert "seated upright, slouched or weight forward," in html  # the timeline's words
    assert "leaning forward" not in html
    assert "reclined not seen (needs backrest sensors)" in html  # said, not drawn
    store.end_run()
    chair_tuesday(p)
    p.sit(10, Posture.RECLINED)
    store.flush()
    html = render_week(store, TUE, TZ, now=NOW)
    assert _legend(html)[1] == ["upright", "slouched", "leaning forward / weight forward",
                                "reclined", "unknown"]
    store.close()


def test_the_tip_and_the_pressure_card_say_it_too(tmp_path: Path) -> None:
    store, p = history(tmp_path)
    p.at(MON, 9, layout="fsr-cushion-9")
    p.sit(20, back=False)
    p.sit(40, Posture.LEANING_FORWARD, back=False)
    store.flush()
    tips = " ".join(suggestions([day_summary(store, MON, TZ)], weekly=False, limit=5))
    assert "You slouched or sat with your weight forward for 67%" in tips
    store.close()
    # the seat pressure card's picture of the posture, on a seat alone (4 load cells)
    clock = ManualClock(datetime(2026, 1, 5, 8, 0, tzinfo=TZ))
    with Store(tmp_path / "maps.sqlite", clock) as maps:
        maps.begin_run("load-cells-4", "test")
        for posture, n in ((Posture.UPRIGHT, 30), (Posture.LEANING_FORWARD, 20)):
            for _ in range(n):
                clock.advance(60)
                maps.add_pressure(60, posture, [0.1, 0.1, 0.5, 0.5])
        maps.flush()
        assert ">weight forward · 20 min</text></svg>" in pressure.section(maps, TUE, TZ)


def test_the_verdict_says_it(tmp_path: Path) -> None:
    store, p = history(tmp_path)
    p.at(MON, 9, layout="fsr-cushion-9")
    p.sit(3, back=False)
    p.sit(6, Posture.LEANING_FORWARD, back=False)
    store.flush()
    tips = " ".join(suggestions([day_summary(store, MON, TZ)], weekly=False, limit=5))
    assert "Your posture was mostly weight forward." in tips, tips
    store.close()



def test_the_minutes_and_the_days_sums_agree_on_what_a_seat_alone_saw(tmp_path: Path) -> None:
    """The seat-alone seconds are worked out twice: per minute row in Python
    (``MinuteRow.seconds_seat_alone``, what the charts colour) and summed in SQL for the day
    (``SEAT_ALONE_SQL``). A seat-only day and a chair day must come out the same both ways."""
    from sitwatch.history.queries import minutes_between

    store, p = history(tmp_path)
    seat_only_monday(p)
    chair_tuesday(p)
    store.flush()
    for day, want in ((MON, 60.0), (TUE, 0.0)):
        start = datetime(day.year, day.month, day.day, tzinfo=TZ)
        rows = minutes_between(store, start, start + timedelta(days=1))
        by_minute = sum(r.seconds_seat_alone for r in rows) / 60
        assert by_minute == pytest.approx(day_summary(store, day, TZ).seat_alone_minutes)
        assert by_minute == pytest.approx(want)
    store.close()
