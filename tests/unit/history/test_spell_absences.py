"""A spell says what it went on through: short absences (``SpellRow.absences``) and restarts
of sitwatch (``SpellRow.restarts``), rebuilt from the history's events; the day report's note on
the longest spell says only what that spell had.

Before, the note was guessed from the numbers (a spell longer than the day's sitting "had short
absences"), so a spell a camera standing in for the cushion saw whole, whose time the sitting
total left out, was said to have absences it never had. Real daemons on one history file, frames
from a schedule, a ManualClock per run (tests/unit/history/test_spells_across_restarts.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from sitwatch.core.clock import ManualClock
from sitwatch.history.queries import DaySummary, SpellRow
from sitwatch.history.store import Store
from sitwatch.reports.text import daily_text
from tests.helpers.report_text import rows_joined
from tests.unit.history.test_spells_across_restarts import DAY, EMPTY, SEATED, START, Desk


def test_a_short_absence_is_counted_in_its_spell_and_a_break_is_not(tmp_path) -> None:
    desk = Desk(tmp_path, START)
    desk.run([(60, EMPTY), (300, SEATED), (30, EMPTY), (300, SEATED), (20, EMPTY),
              (60, SEATED), (300, EMPTY), (120, SEATED)])
    spells = desk.day(DAY).spells
    assert [(s.absences, s.restarts) for s in spells] == [(2, 0), (0, 0)]


def test_a_spell_without_absences_has_none(tmp_path) -> None:
    desk = Desk(tmp_path, START)
    desk.run([(60, EMPTY), (600, SEATED), (300, EMPTY), (60, SEATED)])
    assert [s.absences for s in desk.day(DAY).spells] == [0, 0]


def test_absences_and_restarts_are_told_apart_across_restarts(tmp_path) -> None:
    """Stopped while seated: a restart, no absence. Stopped while away, back within
    ``min_break``: an absence (and a restart). Absences before a restart stay the spell's."""
    desk = Desk(tmp_path, START)
    desk.run([(60, EMPTY), (300, SEATED), (20, EMPTY), (120, SEATED)])
    desk.stopped(20)
    desk.run([(120, SEATED), (30, EMPTY)])
    desk.stopped(30)
    desk.run([(120, SEATED)])
    (s,) = desk.day(DAY).spells
    assert (s.absences, s.restarts) == (2, 2)


def test_an_absence_across_a_restart_that_became_a_break_is_not_one(tmp_path) -> None:
    desk = Desk(tmp_path, START)
    desk.run([(60, EMPTY), (300, SEATED), (20, EMPTY), (120, SEATED), (30, EMPTY)])
    desk.stopped(600)
    desk.run([(120, SEATED)])
    s = desk.day(DAY)
    assert s.breaks == 1
    assert [(sp.absences, sp.restarts) for sp in s.spells] == [(1, 0), (0, 0)]


def test_the_report_names_what_the_longest_spell_went_on_through(tmp_path) -> None:
    desk = Desk(tmp_path, START)
    desk.run([(60, EMPTY), (300, SEATED), (50, EMPTY), (300, SEATED)])
    desk.stopped(40)
    desk.run([(120, SEATED)])
    with Store(desk.db, ManualClock(desk.wall), readonly=True) as reader:
        text = daily_text(reader, DAY, UTC)
    assert "(from 09:01, with short absences and sitwatch restarts)" in rows_joined(text), text


def _day_with(spell: SpellRow, sitting: float) -> str:
    from sitwatch.reports.text import _day_block

    return "\n".join(_day_block(DaySummary(DAY, sitting_minutes=sitting, present_minutes=20,
                                           spells=(spell,))))


def test_a_spell_longer_than_the_sitting_gets_no_note_it_did_not_earn() -> None:
    at = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    assert "Longest spell    6 min (from 09:00)\n" \
        in rows_joined(_day_with(SpellRow(at, 360), 2)) + "\n"
    assert "(from 09:00, with short absences)" in _day_with(SpellRow(at, 360, absences=1), 2)
    assert "(from 09:00, with sitwatch restarts)" in _day_with(SpellRow(at, 360, restarts=1), 2)
    # no note while the spell is no longer than the sitting, whatever it went through
    assert "(from 09:00)" in _day_with(SpellRow(at, 360, 1, 1), 6)
