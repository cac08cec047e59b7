"""The weekly HTML report over a constructed history in a real SQLite file."""

from __future__ import annotations

import re
from datetime import date, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from sitwatch.core.clock import ManualClock
from sitwatch.core.kinds import Balance, NudgeKind, Posture
from sitwatch.history.queries import day_summary
from sitwatch.history.store import Store
from sitwatch.reports.html import render_week
from sitwatch.reports.words import suggestions
from tests.helpers.history import TZ, Sitter

pytest.importorskip("jinja2")

# The week under test: Mon 12 - Sun 18 January 2026; the week before: Mon 5 - Sun 11.
MON, TUE, WED, THU, SUN = (date(2026, 1, d) for d in (12, 13, 14, 15, 18))
PREV_WED, PREV_SUN = date(2026, 1, 7), date(2026, 1, 11)
NOW = datetime(2026, 1, 19, 8, 0, tzinfo=TZ)
EVIL = '<script>alert("x")</script>'


@pytest.fixture
def store(tmp_path: Path) -> Store:
    clock = ManualClock(datetime(2026, 1, 5, 8, 0, tzinfo=TZ), monotonic=0.0)
    s = Store(tmp_path / "history.sqlite", clock)
    p = Sitter(s, clock)
    # The week before: one hour, half upright, half slouched, no nudges answered.
    p.at(PREV_WED, 9)
    p.sit(30)
    p.sit(30, Posture.SLOUCHED)
    p.nudge(NudgeKind.SLOUCH, False)
    s.end_run()
    # Monday: 30 upright, a 15 min break, 30 slouched (a posture nudge acted on).
    p.at(MON, 9, layout=EVIL)
    p.sit(30)
    p.away(15)
    p.sit(30, Posture.SLOUCHED)
    p.nudge(NudgeKind.SLOUCH, True)
    s.end_run()
    # Tuesday: one 80 min spell past the 45 min limit (a nudge not acted on), a break, then
    # 20 min with the weight on the left.
    p.at(TUE, 14)
    p.sit(45)
    p.nudge(NudgeKind.PROLONGED_SITTING, False)
    p.sit(35)
    p.away(10)
    p.sit(20, Posture.UPRIGHT, Balance.LEFT)
    s.end_run()
    # Thursday: 20 upright, 20 reclined, one more posture nudge acted on.
    p.at(THU, 10)
    p.sit(20)
    p.nudge(NudgeKind.SLOUCH, True)
    p.sit(20, Posture.RECLINED)
    s.end_run()
    return s


class Page(HTMLParser):
    """The parts of the page the tests look at: text, tables, SVGs and their shapes."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.svgs: list[dict[str, str | None]] = []
        self.shapes: list[tuple[str, str, str]] = []  # (svg class, shape class, title)
        self.rows: list[list[str]] = []
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str, str | None]] = []
        self.main_text: list[str] = []
        self._stack: list[tuple[str, str]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._svg = ""
        self._title: list[str] | None = None
        self._in_main = False
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append(tag)
        self.attrs += [(tag, k, v) for k, v in attrs]
        if tag == "main":
            self._in_main = True
        if tag == "svg":
            self.svgs.append(a)
            self._svg = a.get("class") or ""
        if tag in ("rect", "g", "line"):
            self._stack.append((tag, a.get("class") or ""))
        if tag == "title" and self._stack:
            self._title = []
        if tag == "tr":
            self._row = []
        if tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "main":
            self._in_main = False
        if tag == "title" and self._title is not None and self._stack:
            self.shapes.append((self._svg, self._stack[-1][1], "".join(self._title)))
            self._title = None
        if tag in ("rect", "g", "line") and self._stack:
            self._stack.pop()
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        if tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += [(tag, k, v) for k, v in attrs]
        if tag in ("rect", "line"):
            return
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._in_main:
            self.main_text.append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._title is not None:
            self._title.append(data)

    @property
    def plain(self) -> str:
        return " ".join(" ".join(self.text).split())

    def row(self, label: str) -> list[str]:
        (r,) = [r for r in self.rows if r and r[0] == label]
        return r

    def titles(self, svg: str, shape: str) -> list[str]:
        return [t for s, c, t in self.shapes if s.endswith(svg) and c == shape]


def render(store: Store, week_ending: date = SUN, **kw: Any) -> str:
    return render_week(store, week_ending, TZ, now=NOW, **kw)


def test_headline_numbers(store: Store) -> None:
    page = Page(render(store))
    text = page.plain
    assert "Mon 12 – Sun 18 January 2026" in text
    assert "You sat for 3 h 20 min on 3 days, upright 75% of that time, and acted on 2 of 3 " \
           "nudges." in text
    assert "Sitting 3 h 20 min about 1 h 7 min a day" in text
    assert "Longest spell 1 h 20 min Tuesday from 14:00 · over 45 min" in text
    assert "Breaks 2 about 0.7 a day" in text
    assert "Upright 75% of your sitting time" in text
    assert "Nudges 3 acted on 2 of 3 (67%)" in text


def test_the_table_has_each_days_numbers(store: Store) -> None:
    page = Page(render(store))
    assert page.row("Mon 12 Jan") == ["Mon 12 Jan", "1 h", "30 min 09:00", "1", "50%", "50%",
                                      "0%", "0%", "0 min", "1", "1 of 1"]
    assert page.row("Tue 13 Jan") == ["Tue 13 Jan", "1 h 40 min", "1 h 20 min 14:00", "1",
                                      "100%", "0%", "0%", "0%", "20 min", "1", "0 of 1"]
    assert page.row("Wed 14 Jan") == ["Wed 14 Jan", "no data"]
    assert page.row("Thu 15 Jan") == ["Thu 15 Jan", "40 min", "40 min 10:00", "0", "50%", "0%",
                                      "0%", "50%", "0 min", "1", "1 of 1"]
    assert page.row("Week") == ["Week", "3 h 20 min", "1 h 20 min", "2", "75%", "15%", "0%",
                                "10%", "20 min", "3", "2 of 3"]


def test_charts_are_svg_with_labels(store: Store) -> None:
    page = Page(render(store))
    charts = {str(s["class"]).split()[-1]: s for s in page.svgs}
    assert set(charts) == {"timeline", "postures", "spells", "nudges", "breaks", "heatmap"}
    for svg in charts.values():
        assert svg["role"] == "img"
        assert len(svg["aria-label"] or "") > 40
        assert "xmlns" not in svg  # inline SVG needs no namespace URL
    assert "Mon 12: 1 h seated, 50% upright" in str(charts["postures"]["aria-label"])
    assert "Tue 13: 1 h 20 min" in str(charts["spells"]["aria-label"])
    assert "1 day over the limit" in str(charts["spells"]["aria-label"])
    assert "Time to move 1, acted on 0 of 1; Posture 2, acted on 2 of 2" \
        in str(charts["nudges"]["aria-label"])
    # x runs from the first to the last activity of the week, in whole hours.
    assert "from 09:00 to 16:00" in str(charts["timeline"]["aria-label"])

    # Stacked bars: one rect per posture and day.
    assert "Mon 12: upright 30 min (50%)" in page.titles("postures", "up")
    assert "Mon 12: slouched 30 min (50%)" in page.titles("postures", "sl")
    assert "Thu 15: reclined 20 min (50%)" in page.titles("postures", "rc")
    # Longest spell bars against the limit.
    assert page.titles("spells", "over") == ["Tue 13: longest spell 1 h 20 min"]
    assert page.titles("spells", "ok") == ["Mon 12: longest spell 30 min",
                                           "Thu 15: longest spell 40 min"]
    # The timeline: postures per minute, the break, lopsided minutes, the long spell.
    assert "09:00–09:30 upright" in page.titles("timeline", "up")
    assert "09:45–10:15 slouched" in page.titles("timeline", "sl")
    assert page.titles("timeline", "brk") == ["break 09:30–09:45 (15 min)",
                                              "break 15:20–15:30 (10 min)"]
    assert page.titles("timeline", "lop") == ["15:30–15:50 more weight on one side"]
    assert page.titles("timeline", "long") == [
        "sitting spell 14:00–15:20: 1 h 20 min, 35 min past the 45 min limit"]
    # Nudges: the acted-on part of each bar.
    assert page.titles("nudges", "acted") == ["acted on 2 of 2"]


def test_sit_limit_changes_what_counts_as_long(store: Store) -> None:
    page = Page(render(store, sit_limit=1800.0))
    assert len(page.titles("timeline", "long")) == 2  # Tuesday's 80 min, Thursday's 40 min
    assert "Longest spell 1 h 20 min Tuesday from 14:00 · over 30 min" in page.plain


def test_suggestions_come_from_the_text_report(store: Store) -> None:
    page = Page(render(store))
    days = [day_summary(store, date(2026, 1, d), TZ) for d in range(12, 19)]
    tips = suggestions(days, 2700.0, weekly=True, limit=3)
    assert tips
    for tip in tips:
        assert " ".join(tip.split()) in page.plain
    assert "Worth trying this week" in page.plain


def test_comparison_with_the_previous_week(store: Store) -> None:
    page = Page(render(store))
    text = page.plain
    assert "▲ 25% more upright than last week" in text
    assert "Upright: 75% of sitting time — 25 percentage points more upright than last week " \
           "(50%)" in text
    assert "Sitting a day: 1 h 7 min — 7 min more than last week (1 h)" in text
    assert "Longest spell: 1 h 20 min — 20 min longer than last week (1 h)" in text
    assert "Breaks a day: 0.7 — 0.7 more than last week (0)" in text
    assert "Nudges acted on: 67% — 67 percentage points more than last week (0%)" in text

    # The week before has nothing to compare with.
    prev = Page(render(store, PREV_SUN)).plain
    assert "You sat for 1 h on 1 day" in prev
    assert "Compared with last week" not in prev and "than last week" not in prev


def test_autoescaping(store: Store) -> None:
    html = render(store)
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert f"from the {EVIL}, smartchair-12 cushions" in Page(html).plain


def test_self_contained(store: Store) -> None:
    html = render(store)
    assert "http://" not in html and "https://" not in html
    assert "<script" not in html.lower()
    page = Page(html)
    head = html.split("<style>", 1)[0]
    assert ('<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
            "style-src 'unsafe-inline'; img-src data:\">") in head
    for tag, name, value in page.attrs:
        if name in ("src", "href", "srcset", "action", "poster", "data", "xlink:href"):
            assert value is not None and value.startswith("data:"), (tag, name, value)
    assert "@import" not in html and "url(" not in html
    assert not {"script", "iframe", "object", "embed", "img", "video", "audio"} \
        & set(page.tags)
    assert "prefers-color-scheme: dark" in html and "@media print" in html


def test_wellness_words_only(store: Store) -> None:
    page = Page(render(store))
    main = " ".join(page.main_text).lower()
    for word in ("diagnos", "disease", "injur", "sciatica", "treat", "cure", "syndrome"):
        assert word not in main
    text = page.plain
    assert "When to see a doctor" in text and "sitwatch guidance" in text
    assert "not a medical device" in text


def test_empty_week(store: Store) -> None:
    html = render_week(store, date(2025, 12, 28), TZ, now=NOW)
    page = Page(html)
    text = page.plain
    assert "Mon 22 – Sun 28 December 2025" in text
    assert "No data yet for this week" in text and "sitwatch run" in text
    assert page.svgs == [] and page.rows == []
    assert "When to see a doctor" in text
    assert "<script" not in html and "http://" not in html and "https://" not in html


def test_empty_database(tmp_path: Path) -> None:
    s = Store(tmp_path / "h.sqlite", ManualClock(NOW))
    assert "No data yet for this week" in Page(render(s)).plain


def test_the_week_is_seven_local_days(tmp_path: Path) -> None:
    """Late Sunday evening belongs to the week, early Monday after it does not; the page reads
    the wall clock of the zone it is given."""
    clock = ManualClock(datetime(2026, 1, 18, 22, 0, tzinfo=TZ))
    s = Store(tmp_path / "h.sqlite", clock)
    p = Sitter(s, clock)
    p.at(SUN, 23, 20)
    p.sit(30)  # 23:20 - 23:50 Berlin
    s.end_run()
    p.at(date(2026, 1, 19), 0, 30)
    p.sit(15)  # Monday after: not this week
    s.end_run()
    page = Page(render(s))
    assert page.row("Sun 18 Jan")[:2] == ["Sun 18 Jan", "30 min"]
    assert "23:20–23:50 upright" in page.titles("timeline", "up")
    # The same history read in UTC: an hour earlier on the clock, and the Monday 00:30 Berlin
    # minutes (23:30 UTC on Sunday) now fall into the week.
    utc = Page(render_week(s, SUN, ZoneInfo("UTC"), now=NOW))
    assert "22:20–22:50 upright" in utc.titles("timeline", "up")
    assert utc.row("Sun 18 Jan")[:2] == ["Sun 18 Jan", "45 min"]


def test_daylight_saving_day(tmp_path: Path) -> None:
    """Berlin moves its clocks on Sunday 29 March 2026: the page shows wall-clock times."""
    clock = ManualClock(datetime(2026, 3, 27, 8, 0, tzinfo=TZ))
    s = Store(tmp_path / "h.sqlite", clock)
    p = Sitter(s, clock)
    p.at(date(2026, 3, 27), 10)  # Friday, winter time
    p.sit(30)
    s.end_run()
    p.at(date(2026, 3, 29), 10)  # Sunday, summer time
    p.sit(30)
    s.end_run()
    page = Page(render_week(s, date(2026, 3, 29), TZ, now=NOW))
    ups = page.titles("timeline", "up")
    assert "10:00–10:30 upright" in ups
    assert ups.count("10:00–10:30 upright") == 2
    assert page.row("Sun 29 Mar")[:2] == ["Sun 29 Mar", "30 min"]


def test_readonly_store(store: Store, tmp_path: Path) -> None:
    """``sitwatch report`` reads the history from another process, read-only."""
    store.close()
    ro = Store(tmp_path / "history.sqlite", ManualClock(NOW), readonly=True)
    try:
        assert "3 h 20 min" in render(ro)
    finally:
        ro.close()


def test_numbers_match_the_text_report(store: Store) -> None:
    from sitwatch.reports.text import weekly_text

    text = weekly_text(store, SUN, TZ)
    page = Page(render(store)).plain
    m = re.search(r"Sitting\s+(.+?) on 3 days", text)
    assert m is not None and f"Sitting {m.group(1)}" in page
    m = re.search(r"Posture\s+upright (\d+%)", text)
    assert m is not None and f"Upright {m.group(1)}" in page


def test_days_after_today_are_not_there_yet(store: Store) -> None:
    page = Page(render_week(store, SUN, TZ, now=datetime(2026, 1, 15, 12, 0, tzinfo=TZ)))
    assert page.row("Wed 14 Jan") == ["Wed 14 Jan", "no data"]
    assert page.row("Thu 15 Jan")[1] == "40 min"  # today, with data
    assert page.row("Fri 16 Jan") == ["Fri 16 Jan", "not yet"]
    assert page.row("Sun 18 Jan") == ["Sun 18 Jan", "not yet"]


def test_week_titles() -> None:
    from sitwatch.reports.html import week_title

    assert week_title(SUN) == "Mon 12 – Sun 18 January 2026"
    assert week_title(date(2026, 2, 1)) == "Mon 26 Jan – Sun 1 Feb 2026"
    assert week_title(date(2026, 1, 4)) == "Mon 29 Dec 2025 – Sun 4 Jan 2026"


def test_write_week_writes_the_rendered_page_owner_only(store: Store, tmp_path: Path) -> None:
    """The documented Python call (docs/reports.md): the page render_week gives, whole, 0600."""
    from sitwatch.reports.html import write_week

    dest = tmp_path / "out" / "week.html"
    assert write_week(store, SUN, TZ, dest, now=NOW) == dest
    assert dest.read_text(encoding="utf-8") == render(store)
    assert dest.stat().st_mode & 0o777 == 0o600
