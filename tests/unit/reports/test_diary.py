"""The symptom diary: storing entries, the two hours before each, red flags and the pattern,
over a history built minute by minute in a real SQLite file."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from sitwatch.core.clock import ManualClock
from sitwatch.core.events import WALLET, Event
from sitwatch.core.kinds import (
    AlsoNoticed,
    Balance,
    BodyArea,
    BodySide,
    Posture,
    RedFlag,
    SymptomKind,
    WalletState,
)
from sitwatch.history.diary import DiaryError, SymptomEntry, add_entry, entries_between
from sitwatch.history.store import Store
from sitwatch.reports import diary
from sitwatch.reports.html import render_week
from sitwatch.reports.text import weekly_text
from tests.helpers.history import TZ, Sitter

FIRST = date(2026, 2, 2)  # a Monday


def _entry(at: datetime, kind: SymptomKind = SymptomKind.NUMBNESS, **kw: object) -> SymptomEntry:
    return SymptomEntry(at=at, kind=kind, **kw)  # type: ignore[arg-type]


@pytest.fixture
def built(tmp_path: Path) -> tuple[Store, list[datetime]]:
    """Ten days, one run each: a sitting spell, a minute away, then a numbness entry.

    Days 0-5: 70 min unbroken (days 0-2 lopsided for the first 20 min; day 0 with a wallet
    suspected for those 20 min); days 6-7: 30 min; day 8: nothing recorded before the entry;
    day 9: 30 min then two tingling entries."""
    clock = ManualClock(datetime(2026, 2, 2, 8, 0, tzinfo=TZ), monotonic=0.0)
    s = Store(tmp_path / "history.sqlite", clock)
    p = Sitter(s, clock)
    times = []
    for i in range(10):
        day = FIRST + timedelta(days=i)
        if i == 8:
            clock.advance((datetime(day.year, day.month, day.day, 9, 0, tzinfo=TZ)
                           - clock.now()).total_seconds())
            times.append(clock.now())
            continue
        p.at(day, 9)
        if i == 0:
            s.add_event(Event(clock.monotonic(), WALLET, WalletState.SUSPECTED, {"side": "left"}))
        if i <= 2:
            p.sit(20, Posture.UPRIGHT, Balance.LEFT)
            if i == 0:
                s.add_event(Event(clock.monotonic(), WALLET, WalletState.CLEAR, {}))
            p.sit(50)
        else:
            p.sit(70 if i <= 5 else 30)
        p.away(1)
        times.append(clock.now())
        s.end_run()
    s.flush()
    for i, at in enumerate(times):
        kind = SymptomKind.TINGLING if i == 9 else SymptomKind.NUMBNESS
        add_entry(s.connection, _entry(at, kind, side=BodySide.LEFT, area=BodyArea.BUTTOCK,
                                       severity=4))
    add_entry(s.connection, _entry(times[9] + timedelta(minutes=1), SymptomKind.TINGLING))
    return s, times


def test_entries_round_trip(built: tuple[Store, list[datetime]]) -> None:
    s, times = built
    got = entries_between(s, times[0] - timedelta(minutes=1), times[0] + timedelta(minutes=1))
    assert len(got) == 1
    e = got[0]
    assert (e.kind, e.side, e.area, e.severity, e.also) == (
        SymptomKind.NUMBNESS, BodySide.LEFT, BodyArea.BUTTOCK, 4, ())
    assert e.at == times[0] and e.id is not None


def test_the_two_hours_before_each_entry(built: tuple[Store, list[datetime]]) -> None:
    s, times = built
    b0 = diary.before(s, times[0])
    assert b0.longest_spell_minutes == pytest.approx(70)
    assert b0.lopsided_minutes == pytest.approx(20)
    assert b0.pocket_minutes == pytest.approx(20)  # suspected at 9:00, clear at 9:20
    assert b0.sitting_minutes == pytest.approx(70)
    b3 = diary.before(s, times[3])
    assert (b3.longest_spell_minutes, b3.lopsided_minutes, b3.pocket_minutes) == \
        (pytest.approx(70), 0, 0)
    assert diary.before(s, times[6]).longest_spell_minutes == pytest.approx(30)
    b8 = diary.before(s, times[8])
    assert not b8.has_data and b8.text() == "no sitting recorded in the two hours before"
    assert b0.text() == ("in the two hours before: longest unbroken sitting 1 h 10 min, weight "
                         "on one side 20 min, something in a back pocket 20 min")


def test_pattern_sentences_with_exact_figures(built: tuple[Store, list[datetime]]) -> None:
    s, times = built
    items = diary.items_between(s, times[0] - timedelta(hours=1), times[9] + timedelta(hours=1))
    p = diary.patterns(items)
    assert p.sentences == (
        "6 of your 8 numbness entries came after more than an hour of unbroken sitting.",
        "3 of your 8 numbness entries came after 15 minutes or more with your weight on one "
        "side.",
        "1 of your 8 numbness entries came after sitting on something in a back pocket.",
    )
    assert p.waiting == ("3 more tingling entries with sitwatch watching the seat before them, "
                         "and sitwatch looks for a pattern in your tingling entries.",)
    assert p.left_out == 1
    lines = diary.pattern_lines(p)
    assert lines[-1] == ("(1 entry is left out of these counts: no sitting was recorded in "
                         "the two hours before it.)")


def test_no_pattern_below_the_minimum(built: tuple[Store, list[datetime]]) -> None:
    s, times = built
    items = diary.items_between(s, times[0] - timedelta(hours=1), times[3] + timedelta(hours=1))
    assert len(items) == diary.MIN_ENTRIES - 1
    p = diary.patterns(items)
    assert not p.found
    assert p.waiting == ("1 more numbness entry with sitwatch watching the seat before it, and "
                         "sitwatch looks for a pattern in your numbness entries.",)


def test_none_and_all_read_as_words() -> None:
    at = datetime(2026, 2, 2, 9, tzinfo=TZ)
    short = diary.Before(watched_minutes=60, seen_minutes=60, sitting_minutes=30,
                         longest_spell_minutes=30)
    long = diary.Before(watched_minutes=90, seen_minutes=90, sitting_minutes=80,
                        longest_spell_minutes=80)
    few = [diary.Item(_entry(at), short, ()) for _ in range(5)]
    assert diary.patterns(few).sentences[0] == (
        "None of your 5 numbness entries came after more than an hour of unbroken sitting.")
    many = [diary.Item(_entry(at, SymptomKind.ACHE), long, ()) for _ in range(6)]
    assert diary.patterns(many).sentences[0] == (
        "All 6 of your ache entries came after more than an hour of unbroken sitting.")


def test_weekly_reports_show_the_diary(built: tuple[Store, list[datetime]]) -> None:
    s, times = built
    sunday = FIRST + timedelta(days=13)  # the week of days 7-13
    text = weekly_text(s, sunday, TZ)
    assert "Symptom diary" in text
    flat = " ".join(text.split())
    assert "6 of your 8 numbness entries came after more than an hour of unbroken sitting." \
        in flat
    assert diary.NOT_A_DIAGNOSIS in flat
    assert "Numbness, left buttock, 4/10" in flat
    html = render_week(s, sunday, TZ, now=datetime(2026, 2, 16, 9, tzinfo=TZ))
    assert 'id="diary-title"' in html
    assert "6 of your 8 numbness entries came after more than an hour of unbroken sitting." \
        in html
    assert "This is not a diagnosis." in html


def test_a_week_without_entries_shows_no_diary(tmp_path: Path) -> None:
    clock = ManualClock(datetime(2026, 2, 2, 8, 0, tzinfo=TZ), monotonic=0.0)
    s = Store(tmp_path / "h.sqlite", clock)
    p = Sitter(s, clock)
    p.at(FIRST, 9)
    p.sit(30)
    s.end_run()
    assert "Symptom diary" not in weekly_text(s, FIRST + timedelta(days=6), TZ)
    assert 'id="diary-title"' not in render_week(s, FIRST + timedelta(days=6), TZ)


# -- red flags --------------------------------------------------------------------------------

AT = datetime(2026, 2, 2, 9, tzinfo=TZ)


@pytest.mark.parametrize(("entry", "flags"), [
    (_entry(AT, area=BodyArea.SADDLE), (RedFlag.SADDLE_NUMBNESS,)),
    (_entry(AT, SymptomKind.TINGLING, area=BodyArea.SADDLE), (RedFlag.SADDLE_NUMBNESS,)),
    (_entry(AT, SymptomKind.ACHE, also=(AlsoNoticed.BLADDER,)), (RedFlag.BLADDER_BOWEL,)),
    (_entry(AT, SymptomKind.PAIN, also=(AlsoNoticed.BOWEL,)), (RedFlag.BLADDER_BOWEL,)),
    (_entry(AT, also=(AlsoNoticed.LEG_WEAKNESS,)), (RedFlag.LEG_WEAKNESS,)),
    (_entry(AT, SymptomKind.PAIN, area=BodyArea.LOWER_BACK, also=(AlsoNoticed.FEVER,)),
     (RedFlag.FEVER,)),
    (_entry(AT, side=BodySide.BOTH, area=BodyArea.LEG), (RedFlag.BOTH_LEGS,)),
    (_entry(AT, SymptomKind.PAIN, side=BodySide.BOTH, area=BodyArea.THIGH),
     (RedFlag.BOTH_LEGS,)),
    (_entry(AT, side=BodySide.BOTH, area=BodyArea.SADDLE,
            also=(AlsoNoticed.BOWEL, AlsoNoticed.FEVER)),
     (RedFlag.SADDLE_NUMBNESS, RedFlag.BLADDER_BOWEL, RedFlag.FEVER)),
    # The guide's other urgent signs (a review found them missing from the diary): severe
    # back pain (ticked, or lower back pain rated 8/10 or more), a recent serious injury,
    # weight loss without explanation or a history of cancer.
    (_entry(AT, SymptomKind.PAIN, area=BodyArea.LOWER_BACK, severity=8),
     (RedFlag.SEVERE_BACK_PAIN,)),
    (_entry(AT, also=(AlsoNoticed.SEVERE_BACK_PAIN,)), (RedFlag.SEVERE_BACK_PAIN,)),
    (_entry(AT, SymptomKind.PAIN, area=BodyArea.LOWER_BACK, severity=10,
            also=(AlsoNoticed.INJURY,)), (RedFlag.SEVERE_BACK_PAIN, RedFlag.INJURY)),
    (_entry(AT, also=(AlsoNoticed.WEIGHT_LOSS,)), (RedFlag.WEIGHT_LOSS_CANCER,)),
    (_entry(AT, also=(AlsoNoticed.CANCER,)), (RedFlag.WEIGHT_LOSS_CANCER,)),
    # Not red flags: pain (not numbness) in the saddle area, both buttocks, one leg, lower
    # back pain under 8/10.
    (_entry(AT, SymptomKind.PAIN, area=BodyArea.SADDLE), ()),
    (_entry(AT, SymptomKind.PAIN, area=BodyArea.LOWER_BACK, severity=7), ()),
    (_entry(AT, side=BodySide.BOTH, area=BodyArea.BUTTOCK), ()),
    (_entry(AT, side=BodySide.LEFT, area=BodyArea.LEG, severity=9), ()),
])
def test_red_flags(entry: SymptomEntry, flags: tuple[RedFlag, ...]) -> None:
    assert diary.red_flags(entry) == flags
    lines = diary.seek_care_lines(flags)
    if flags:
        assert lines[0] == diary.SEEK_CARE_HEAD and lines[-1] == diary.SEEK_CARE_ACTION
        assert len(lines) == len(flags) + 2
    else:
        assert lines == []


def test_bad_entries_are_refused() -> None:
    with pytest.raises(DiaryError, match="from 1 to 10"):
        _entry(AT, severity=11)
    with pytest.raises(DiaryError, match="keep it to 500 at most"):
        _entry(AT, note="x" * 501)
    with pytest.raises(ValueError, match="timezone-aware"):
        _entry(datetime(2026, 2, 2, 9))


def test_describe() -> None:
    assert diary.describe(_entry(AT, side=BodySide.RIGHT, area=BodyArea.LOWER_BACK,
                                 severity=3)) == "Numbness, right lower back, 3/10"
    assert diary.describe(_entry(AT, SymptomKind.PAIN, side=BodySide.BOTH, area=BodyArea.LEG,
                                 also=(AlsoNoticed.FEVER,))) == \
        "Pain, leg, both sides — with fever"


def test_the_log_command_offers_the_vocabulary() -> None:
    """`sitwatch log`'s choices are spelled in the parser (for a quick --help): the same words
    as sitwatch.core.kinds, with lower_back and leg_weakness hyphenated."""
    import argparse

    from sitwatch.cli.main import build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    log = sub.choices["log"]
    opts = {a.dest: a.choices for a in log._actions}

    def hyphen(enum: type) -> list[str]:
        return [str(m).replace("_", "-") for m in enum]

    assert list(opts["kind"]) == hyphen(SymptomKind)
    assert list(opts["side"]) == hyphen(BodySide)
    assert list(opts["where"]) == hyphen(BodyArea)
    assert list(opts["also"]) == hyphen(AlsoNoticed)


def test_entry_from_plain_fields_as_mqtt_sends_them() -> None:
    from datetime import UTC, datetime

    import pytest

    from sitwatch.history.diary import DiaryError, entry_from
    from sitwatch.sinks.mqtt import parse_symptom

    at = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    e = entry_from({"kind": "Numbness", "side": "both", "where": "lower-back", "severity": 4,
                    "note": " after the drive ", "with": "bladder, fever"}, at, "mqtt")
    assert (e.kind, e.side, e.area, e.severity, e.note, e.source) == (
        "numbness", "both", "lower_back", 4, "after the drive", "mqtt")
    assert [str(a) for a in e.also] == ["bladder", "fever"]
    for bad, says in (({}, "kind is missing"), ({"kind": "itch"}, "kind: 'itch'"),
                      ({"kind": "pain", "severity": "7"}, "severity"),
                      ({"kind": "pain", "severity": 11}, "severity"),
                      ({"kind": "pain", "with": ["dizzy"]}, "with: 'dizzy'")):
        with pytest.raises(DiaryError, match=says):
            entry_from(bad, at, "mqtt")
    assert parse_symptom(b"tingling") == {"kind": "tingling"}
    assert parse_symptom(b'{"kind": "ache", "side": "left"}') == {"kind": "ache", "side": "left"}
    for junk in (b"", b"\xff", b"[1, 2]", b'{"side": "left"}', b"rm -rf /", b"{nope"):
        assert parse_symptom(junk) is None


def test_seek_care_paragraph_is_sentences() -> None:
    """The journal's line and the MQTT answer read as sentences: the heading, bare in the
    lists and on the pages, gets its full stop (it ran into the next sentence before)."""
    lines = diary.seek_care_lines((RedFlag.SADDLE_NUMBNESS,))
    text = diary.seek_care_paragraph(lines)
    assert text.startswith(f"{diary.SEEK_CARE_HEAD}. You noted")
    assert ".." not in text
    assert diary.seek_care_paragraph([]) == ""


# -- what the history knows of the two hours before ----------------------------------------------

def _watched(tmp_path: Path, *, online: bool, minutes: int = 90) -> tuple[Store, datetime]:
    """The daemon ran for ``minutes`` from 9:00 with nobody seen seated, its cushion
    ``online`` or unplugged (minute rows of present time, the sensor offline)."""
    clock = ManualClock(datetime(2026, 2, 2, 9, tzinfo=TZ), monotonic=0.0)
    store = Store(tmp_path / "h.sqlite", clock)
    store.begin_run("smartchair-12", "/dev/ttyACM0")
    for _ in range(minutes * 6):
        clock.advance(10)
        store.add_sample(10.0, occupied=False, posture=None, balance=None, seat_load=None,
                         cop_x=None, cop_y=None, online=online)
    store.flush()
    return store, clock.now()


def test_an_unplugged_cushion_is_not_read_as_sitting_nowhere(tmp_path: Path) -> None:
    """The daemon ran, its cushion unplugged: the history says so (it said "longest unbroken
    sitting 0 min", and the entry counted in the pattern as sat evenly and briefly)."""
    store, at = _watched(tmp_path, online=False)
    b = diary.before(store, at)
    assert not b.has_data
    assert b.text() == ("no sitting recorded in the two hours before: sitwatch was running, but "
                        "its sensor was offline, so it could not see the seat")
    store.close()


def test_an_empty_seat_watched_is_data(tmp_path: Path) -> None:
    store, at = _watched(tmp_path, online=True)
    b = diary.before(store, at)
    assert b.has_data and b.text().startswith("in the two hours before: longest unbroken "
                                              "sitting 0 min")
    assert "offline" not in b.text()
    store.close()


def test_a_cushion_offline_for_part_of_it_says_how_long(tmp_path: Path) -> None:
    clock = ManualClock(datetime(2026, 2, 2, 9, tzinfo=TZ), monotonic=0.0)
    store = Store(tmp_path / "h.sqlite", clock)
    p = Sitter(store, clock)
    p.at(date(2026, 2, 2), 9)
    p.sit(60)
    for _ in range(30 * 6):  # then unplugged for half an hour
        clock.advance(10)
        store.add_sample(10.0, occupied=False, posture=None, balance=None, seat_load=None,
                         cop_x=None, cop_y=None, online=False)
    store.flush()
    b = diary.before(store, clock.now())
    assert b.has_data and b.text().endswith(", sensor offline 30 min of it")
    store.close()
