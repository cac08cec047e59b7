"""The weekly page's seat pressure card (issue #11): this week against last, per posture, drawn
from the layout's sensor positions with one colour scale."""

from __future__ import annotations

import re
import xml.dom.minidom
from datetime import date, datetime, timedelta

from sitwatch.core.clock import ManualClock
from sitwatch.history.store import Store
from sitwatch.reports import pressure
from sitwatch.reports.html import render_week
from tests.helpers.history import TZ

WEEK_ENDING = date(2026, 11, 22)  # Sunday
MON = datetime(2026, 11, 16, 9, 0, tzinfo=TZ)
FRONT_HEAVY = [0.1, 0.1, 0.5, 0.5]  # load-cells-4: rear left/right, front left/right


def _fill(tmp_path, *, last_week: bool = True) -> Store:
    clock = ManualClock(MON - timedelta(days=7))
    store = Store(tmp_path / "h.sqlite", clock)
    store.begin_run("load-cells-4", "test")
    if last_week:
        for _ in range(30):
            clock.advance(60)
            store.add_pressure(60, "upright", [0.3, 0.3, 0.3, 0.3])
    clock.advance((MON - clock.now()).total_seconds())
    for _ in range(40):
        clock.advance(60)
        store.add_pressure(60, "upright", [0.2, 0.2, 0.2, 0.2])
    for _ in range(20):
        clock.advance(60)
        store.add_pressure(60, "slouched", FRONT_HEAVY)
    clock.advance(60)
    store.add_pressure(60, "leaning_forward", [0.0, 0.0, 0.6, 0.6])  # 1 min: no own picture
    store.flush()
    return store


def _svgs(html: str) -> list[str]:
    return re.findall(r'<svg xmlns="http://www.w3.org/2000/svg" class="pressure-map".*?</svg>',
                      html, re.S)


def _fills(svg: str) -> list[str]:
    return re.findall(r'<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="[\d.]+" '
                      r'rx="[\d.]+" fill="(#[0-9a-f]{6})"', svg)


def _darkness(colour: str) -> int:
    return -sum(int(colour[i:i + 2], 16) for i in (1, 3, 5))


def test_this_week_last_week_and_each_posture_with_enough_time(tmp_path) -> None:
    store = _fill(tmp_path)
    card = pressure.section(store, WEEK_ENDING, TZ)
    svgs = _svgs(card)
    captions = [re.findall(r">([^<>]+)</text></svg>", s)[0] for s in svgs]
    assert captions == ["this week · 1 h 01 min", "last week · 30 min", "upright · 40 min",
                        "slouched · 20 min"]
    for s in svgs:
        xml.dom.minidom.parseString(s)  # well-formed SVG
        assert len(_fills(s)) == 4  # one square a sensor
    # one scale: last week's 0.3 everywhere is darker than this week's upright 0.2
    last, upright, slouched = (_fills(s) for s in (svgs[1], svgs[2], svgs[3]))
    assert _darkness(last[0]) > _darkness(upright[0])
    # the front squares darker than the rear ones, and drawn at the top
    assert _darkness(slouched[2]) > _darkness(slouched[0])
    ys = [float(y) for y in re.findall(r'<rect x="[\d.]+" y="([\d.]+)" width', svgs[3])[1:]]
    assert ys[2] < ys[0] and ys[3] < ys[1]
    assert pressure.colour(1.0) == "#78001e" and pressure.colour(0.0) == "#fff7de"
    store.close()


def test_without_last_week_it_says_so(tmp_path) -> None:
    store = _fill(tmp_path, last_week=False)
    card = pressure.section(store, WEEK_ENDING, TZ)
    assert "last week has no pressure readings" in card
    assert len(_svgs(card)) == 3
    store.close()


def test_the_weekly_page_has_the_card_before_the_diary_or_nothing(tmp_path) -> None:
    store = _fill(tmp_path)
    html = render_week(store, WEEK_ENDING, TZ)
    assert html.count('id="pressure"') == 1
    assert html.index('id="pressure"') < html.index("</main>")
    store.close()
    empty = Store(tmp_path / "empty.sqlite", ManualClock(MON))
    page = render_week(empty, WEEK_ENDING, TZ)
    assert 'id="pressure"' not in page  # a camera alone, or an old history: no card
    assert pressure.section(empty, WEEK_ENDING, TZ) == ""
    empty.close()


def test_a_layout_that_cannot_be_found_leaves_the_card_out(tmp_path) -> None:
    clock = ManualClock(MON)
    store = Store(tmp_path / "h.sqlite", clock)
    store.begin_run("/home/me/my-own-mat.toml", "test")
    clock.advance(60)
    store.add_pressure(60, "upright", [0.1] * 7)
    store.flush()
    assert pressure.section(store, WEEK_ENDING, TZ) == ""
    store.close()
