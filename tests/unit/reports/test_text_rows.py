"""`sitwatch report` rows wrap at 80 columns, under their value's start, between " · " items
where they can: a seat-only cushion's Posture row ran to 126 columns and its Nudges row to 93,
and the text also goes out by e-mail (`report-send`). tests/helpers/report_text.py joins a row
back for the tests that read it as one line; the command itself:
tests/e2e/test_seat_only_reclining.py."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from sitwatch.core.clock import ManualClock
from sitwatch.core.kinds import NudgeKind, Posture
from sitwatch.history.store import Store
from sitwatch.reports.period import text_row
from sitwatch.reports.text import daily_text, weekly_text
from tests.helpers.history import TZ, Sitter
from tests.helpers.report_text import row_value, rows_joined

POSTURE = ("upright 84% · slouched 10% · weight forward 5% · reclined not seen (needs backrest "
           "sensors) · unknown 1%")


def test_a_long_row_wraps_between_items_under_its_value() -> None:
    assert text_row("Posture", POSTURE).split("\n") == [
        "Posture          upright 84% · slouched 10% · weight forward 5% ·",
        "                 reclined not seen (needs backrest sensors) · unknown 1%",
    ]
    assert rows_joined(text_row("Posture", POSTURE)) == f"Posture          {POSTURE}"


def test_a_short_row_stays_one_line() -> None:
    assert text_row("Breaks", "7") == "Breaks           7"
    assert text_row("Posture", "upright 100% · slouched 0% · leaning forward 0% · reclined 0%") \
        == "Posture          upright 100% · slouched 0% · leaning forward 0% · reclined 0%"


def test_an_item_longer_than_a_line_wraps_between_its_words() -> None:
    value = ("13 h 59 min on 2 days (about 6 h 51 min a day; today counts once it is over) · "
             "and one more item")
    lines = text_row("Sitting", value).split("\n")
    assert lines == [
        "Sitting          13 h 59 min on 2 days (about 6 h 51 min a day; today counts",
        "                 once it is over) · and one more item",
    ]
    assert all(len(ln) <= 80 for ln in lines)
    assert row_value(text_row("Sitting", value), "Sitting") == value


def test_a_seat_only_days_report_keeps_within_80_columns(tmp_path: Path) -> None:
    clock = ManualClock(datetime(2026, 1, 5, 8, 0, tzinfo=TZ))
    store = Store(tmp_path / "history.sqlite", clock)
    p = Sitter(store, clock)
    day = date(2026, 1, 5)
    p.at(day, 9, layout="fsr-cushion-9")
    p.sit(50, back=False)
    p.sit(6, Posture.SLOUCHED, back=False)
    p.sit(3, Posture.LEANING_FORWARD, back=False)
    p.sit(1, None, back=False)
    for kind, n in ((NudgeKind.PROLONGED_SITTING, 7), (NudgeKind.SLOUCH, 6),
                    (NudgeKind.ASYMMETRIC_LOAD, 2), (NudgeKind.WALLET, 1)):
        for i in range(n):
            p.nudge(kind, responded=i < 1)
    store.flush()
    for text in (daily_text(store, day, TZ), weekly_text(store, day, TZ)):
        # the weekly table too (it took 85 columns, its bar 8 cells wide)
        assert max(len(ln) for ln in text.splitlines()) <= 80, text
        assert row_value(text, "Posture") == ("upright 83% · slouched 10% · weight forward 5% · "
                                              "reclined not seen (needs backrest sensors) · "
                                              "unknown 2%")
        assert row_value(text, "Nudges") == ("16, acted on 4 of 16: time to move 7 · "
                                             "posture 6 · lopsided 2 · wallet 1")
    store.close()
