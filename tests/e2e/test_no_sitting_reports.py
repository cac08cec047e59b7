"""A day or a week sitwatch watched with nobody sitting, read back with `sitwatch report`.

The reports used to give such a period its rows of figures anyway: "Posture upright 0% ·
slouched 0% · ...", a weekly table of 0% cells, a page of empty charts. Nothing was sat, so
there is nothing to share out: they now say so, and how long sitwatch watched the empty seat
(not the time its sensor was offline: that it could not see).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest

from sitwatch.core.clock import ManualClock
from sitwatch.history.store import Store
from tests.helpers.history import TZ, Sitter

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
WED, THU = date(2026, 11, 18), date(2026, 11, 19)
ZERO_SHARES = re.compile(r"\b0%")


def _sitwatch(*argv: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TZ": "Europe/Berlin"}
    proc = subprocess.run([sys.executable, "-m", "sitwatch", *argv, "--no-user-config"],
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    return proc.stdout


def _history(path: Path, *, sat_thursday: bool = False, offline: int = 0) -> Path:
    """Wednesday: sitwatch watched an empty seat from 9:00 for two hours, then (``offline``)
    minutes with the cushion offline; Thursday (``sat_thursday``) 40 minutes upright."""
    clock = ManualClock(datetime(2026, 11, 16, 8, tzinfo=TZ))
    with Store(path, clock) as store:
        s = Sitter(store, clock)
        s.at(WED, 9)
        s.away(120)
        for _ in range(offline * 6):
            clock.advance(10)
            store.add_sample(10.0, occupied=False, posture=None, balance=None, seat_load=None,
                             cop_x=None, cop_y=None, online=False)
        if sat_thursday:
            s.at(THU, 9)
            s.sit(40)
            s.away(10)
        store.end_run()
    return path


def test_a_day_and_a_week_nobody_sat_say_so(tmp_path: Path) -> None:
    db = str(_history(tmp_path / "h.sqlite"))
    said = "sitwatch watched an empty seat for 2 h."
    day = _sitwatch("report", "--day", str(WED), "--history", db)
    assert "No sitting recorded: " + said in day, day
    week = _sitwatch("report", "--week", "2026-W47", "--history", db)
    assert "No sitting recorded this week: " + said in week.replace("\n", " "), week
    md = _sitwatch("report", "--day", str(WED), "--format", "md", "--history", db)
    assert "No sitting recorded: " + said in md, md
    month = _sitwatch("report", "--month", "2026-11", "--history", db)
    assert "No sitting recorded this month: " + said in month.replace("\n", " "), month
    for text in (day, week, md, month):
        assert not ZERO_SHARES.search(text) and "Posture" not in text, text
    page = tmp_path / "week.html"
    _sitwatch("report", "--week", "2026-W47", "--format", "html", "-o", str(page),
              "--history", db)
    html = page.read_text(encoding="utf-8")
    assert 'id="no-sitting"' in html and said in html and "Nobody sat this week" in html
    assert not ZERO_SHARES.search(html) and "How you sat each day" not in html
    # the month's page said "Sitting 0 min, about 0 min a day on 0 days", a longest spell,
    # breaks and debt of 0 min, and a calendar of "0.0 h"
    _sitwatch("report", "--month", "2026-11", "--format", "html", "-o", str(page),
              "--history", db)
    html = page.read_text(encoding="utf-8")
    assert 'id="no-sitting"' in html and "No sitting recorded this month: " + said in html
    assert "0 min" not in html and "0.0 h" not in html and 'id="stat-sitting"' not in html


def test_offline_time_is_not_called_an_empty_seat(tmp_path: Path) -> None:
    db = str(_history(tmp_path / "h.sqlite", offline=30))
    day = _sitwatch("report", "--day", str(WED), "--history", db)
    assert "watched an empty seat for 2 h." in day, day  # not 2 h 30 min
    assert re.search(r"^Cushion offline +30 min$", day, re.MULTILINE), day


def test_a_day_watched_empty_in_a_week_sat_has_no_shares(tmp_path: Path) -> None:
    db = str(_history(tmp_path / "h.sqlite", sat_thursday=True))
    week = _sitwatch("report", "--week", "2026-W47", "--history", db)
    wed = next(ln for ln in week.splitlines() if ln.startswith("Wed 18"))
    assert wed.split() == ["Wed", "18", "0m"], week
    thu = next(ln for ln in week.splitlines() if ln.startswith("Thu 19"))
    assert "100%" in thu, week
    page = tmp_path / "week.html"
    _sitwatch("report", "--week", "2026-W47", "--format", "html", "-o", str(page),
              "--history", db)
    row = re.search(r"<tr[^>]*>\s*<t[hd][^>]*>Wed 18 Nov</t[hd]>(.*?)</tr>",
                    page.read_text(encoding="utf-8"), re.S)
    assert row is not None and "no sitting" in row[1] and "0%" not in row[1]


def test_a_nudge_on_a_day_nobody_sat_is_still_listed(tmp_path: Path) -> None:
    """A Pi's nudge acted on from a companion lands in a history with no sitting of its own
    that day: under "No sitting recorded" the day's text, the week's and the Markdown report
    still list it (they dropped it with the rows of 0%)."""
    path = tmp_path / "h.sqlite"
    clock = ManualClock(datetime(2026, 11, 16, 8, tzinfo=TZ))
    with Store(path, clock) as store:
        s = Sitter(store, clock)
        s.at(WED, 9)
        s.away(30)
        s.nudge("time_to_move", responded=True)
        s.away(30)
        store.end_run()
    db = str(path)
    for argv in (("--day", str(WED)), ("--week", "2026-W47"),
                 ("--day", str(WED), "--format", "md"), ("--month", "2026-11")):
        out = _sitwatch("report", *argv, "--history", db)
        assert "No sitting recorded" in out, out
        assert re.search(r"Nudges(:\*\*|\s+)\s*1, acted on 1 of 1", out), out
    # the week's and the month's pages said only "No sitting recorded" (the month's page,
    # rows of 0 min): now the nudge too, in the text report's words
    page = tmp_path / "page.html"
    for argv in (("--week", "2026-W47"), ("--month", "2026-11")):
        _sitwatch("report", *argv, "--format", "html", "-o", str(page), "--history", db)
        html = page.read_text(encoding="utf-8")
        assert "No sitting recorded" in html, html
        assert "Nudges: 1, acted on 1 of 1: time to move 1." in html, html


def _nudges_alone(path: Path) -> Path:
    """A history holding two nudges on Wednesday and no minute at all (the daemon nudged, then
    its minutes were lost; or the nudges came with no sitting sample of their own)."""
    clock = ManualClock(datetime(2026, 11, 16, 8, tzinfo=TZ))
    with Store(path, clock) as store:
        s = Sitter(store, clock)
        s.at(WED, 14, 5)
        s.nudge("time_to_move", responded=True)
        clock.advance(3600)
        s.nudge("posture")
        store.end_run()
    return path


def test_nudges_with_no_watched_time_are_listed_with_their_times(tmp_path: Path) -> None:
    """A history with nudges but no watched minute for the day said "No sitting recorded.
    (sitwatch keeps history while `sitwatch run` is running.)" and dropped the nudges: every
    report now says no sitting was recorded, what was nudged and when."""
    db = str(_nudges_alone(tmp_path / "h.sqlite"))
    nudges = re.compile(r"Nudges(:\*\*|\s+)\s*2, acted on 1 of 1")
    for argv, when in ((("--day", str(WED)), "14:05 time to move · 15:05 posture"),
                       (("--day", str(WED), "--format", "md"),
                        "14:05 time to move · 15:05 posture"),
                       (("--week", "2026-W47"), "Wed 18 14:05 time to move · Wed 18 15:05"),
                       (("--month", "2026-11"), "Wed 18 14:05 time to move · Wed 18 15:05")):
        out = _sitwatch("report", *argv, "--history", db)
        flat = " ".join(out.split())
        assert "No sitting recorded" in out and "no time sitwatch watched the seat" in flat, out
        assert nudges.search(out) and when in flat, out
        assert "keeps history while" not in flat and "empty seat" not in flat, out
        assert not ZERO_SHARES.search(out), out
    page = tmp_path / "page.html"
    for argv in (("--week", "2026-W47"), ("--month", "2026-11")):
        _sitwatch("report", *argv, "--format", "html", "-o", str(page), "--history", db)
        html = page.read_text(encoding="utf-8")
        assert 'id="no-sitting"' in html and "Nudges: 2, acted on 1 of 1" in html, html
        assert "Nudged at Wed 18 14:05 time to move · Wed 18 15:05 posture." in html, html
        assert "Only nudges recorded this" in html and "Nobody sat" not in html, html
    # a week whose other day was sat: the nudges count in its total, not as a day watched
    # with nobody sitting
    clock = ManualClock(datetime(2026, 11, 19, 8, tzinfo=TZ))
    with Store(tmp_path / "h.sqlite", clock) as store:
        s = Sitter(store, clock)
        s.at(THU, 9)
        s.sit(40)
        s.away(10)
        store.end_run()
    week = _sitwatch("report", "--week", "2026-W47", "--history", db)
    assert re.search(r"^Nudges +2, acted on 1 of 1", week, re.MULTILINE), week
    wed = next(ln for ln in week.splitlines() if ln.startswith("Wed 18"))
    assert wed.split() == ["Wed", "18", "—", "2"], week  # not "0m", as a day watched empty
    assert "watched with no sitting" not in week, week


MON, TUE, FRI = date(2026, 11, 16), date(2026, 11, 17), date(2026, 11, 20)


def _offline(store: Store, clock: ManualClock, minutes: int) -> None:
    """``minutes`` of the daemon running with its cushion offline (unplugged)."""
    for _ in range(minutes * 6):
        clock.advance(10)
        store.add_sample(10.0, occupied=False, posture=None, balance=None, seat_load=None,
                         cop_x=None, cop_y=None, online=False)


def _four_kinds_of_day(path: Path) -> Path:
    """Monday 40 minutes upright; Tuesday an empty seat watched for two
    hours; Wednesday a nudge and no watched minute; Thursday nothing; Friday the daemon ran
    for 1 h 30 min with its cushion offline all that time."""
    clock = ManualClock(datetime(2026, 11, 16, 8, tzinfo=TZ))
    with Store(path, clock) as store:
        s = Sitter(store, clock)
        s.at(MON, 9)
        s.sit(40)
        s.away(10)
        s.at(TUE, 9)
        s.away(120)
        s.at(WED, 14, 5)
        s.nudge("time_to_move", responded=True)
        s.at(FRI, 9)
        _offline(store, clock, 90)
        store.end_run()
    return path


def test_the_markdown_and_month_days_tell_empty_nudges_alone_and_offline_apart(
        tmp_path: Path) -> None:
    """The Markdown week table and the month's text line per day gave Tuesday (an empty seat
    watched), Wednesday (a nudge alone) and Friday (the cushion offline all day) the same
    "0 min ... 0%" as if each were a day sat for no time; the text week table already told
    the first two apart. Now each says what it was, and Thursday (never watched) stays "—"."""
    db = str(_four_kinds_of_day(tmp_path / "h.sqlite"))
    md = _sitwatch("report", "--week", "2026-W47", "--format", "md", "--history", db)
    cells = {ln.split("|")[1].strip(): [c.strip() for c in ln.split("|")[2:-1]]
             for ln in md.splitlines() if ln.startswith("| ") and "2026-11-" in ln}
    assert cells["Mon 2026-11-16"][0] == "40 min" and cells["Mon 2026-11-16"][-1] == "100%"
    assert cells["Tue 2026-11-17"] == ["no sitting", "", "", "", ""], md
    assert cells["Wed 2026-11-18"] == ["1 nudge, no time watched", "", "", "", ""], md
    assert cells["Thu 2026-11-19"] == ["—", "", "", "", ""], md
    assert cells["Fri 2026-11-20"] == ["cushion offline 1 h 30 min", "", "", "", ""], md
    month = _sitwatch("report", "--month", "2026-11", "--history", db)
    days = {ln[:6]: " ".join(ln[6:].split()) for ln in month.splitlines()
            if re.match(r"[A-Z][a-z]{2} \d\d ", ln)}
    assert days["Mon 16"].startswith("40 min longest 40 min"), month
    assert days["Tue 17"] == "no sitting", month
    assert days["Wed 18"] == "1 nudge, no time watched", month
    assert days["Fri 20"] == "cushion offline 1 h 30 min", month
    assert "Thu 19" not in days, month
    # Friday is no day "watched with no sitting": nothing could see the seat
    assert "1 more day watched with no sitting" in " ".join(month.split()), month
    week = _sitwatch("report", "--week", "2026-W47", "--history", db)
    assert "1 more day watched with no sitting" in " ".join(week.split()), week
    fri = next(ln for ln in week.splitlines() if ln.startswith("Fri 20"))
    assert fri.split() == ["Fri", "20", "offline"], week
    page = tmp_path / "week.html"
    _sitwatch("report", "--week", "2026-W47", "--format", "html", "-o", str(page),
              "--history", db)
    html = page.read_text(encoding="utf-8")
    for label, said in (("Tue 17 Nov", "no sitting"), ("Wed 18 Nov", "1 nudge, no time watched"),
                        ("Fri 20 Nov", "cushion offline 1 h 30 min")):
        row = re.search(rf"<tr[^>]*>\s*<th[^>]*>{label}</th>(.*?)</tr>", html, re.S)
        assert row is not None and said in row[1], (label, row and row[1])


def test_a_time_the_cushion_was_offline_throughout_says_so_not_nobody_sat(
        tmp_path: Path) -> None:
    """sitwatch ran with the cushion unplugged all week: the pages said "Nobody sat this week"
    and the reports "sitwatch ran for 1 h 30 min, but nothing could see the seat". Nobody was
    seen, which is not nobody sat: they now say the cushion was offline, and for how long."""
    path = tmp_path / "h.sqlite"
    clock = ManualClock(datetime(2026, 11, 20, 8, tzinfo=TZ))
    with Store(path, clock) as store:
        Sitter(store, clock).at(FRI, 9)
        _offline(store, clock, 90)
        store.end_run()
    db = str(path)
    said = "the cushion was offline all the 1 h 30 min sitwatch ran, so it could not see the seat."
    for argv, when in ((("--day", str(FRI)), ""), (("--week", "2026-W47"), " this week"),
                       (("--day", str(FRI), "--format", "md"), ""),
                       (("--month", "2026-11"), " this month")):
        out = " ".join(_sitwatch("report", *argv, "--history", db).split())
        assert f"No sitting recorded{when}: {said}" in out, out
        assert "empty seat" not in out and "nothing could see" not in out, out
    page = tmp_path / "page.html"
    for argv, when in ((("--week", "2026-W47"), "this week"), (("--month", "2026-11"),
                                                               "this month")):
        _sitwatch("report", *argv, "--format", "html", "-o", str(page), "--history", db)
        html = " ".join(page.read_text(encoding="utf-8").split())
        assert f">Cushion offline {when}</h2>" in html and said in html, html
        assert "Nobody sat" not in html, html
