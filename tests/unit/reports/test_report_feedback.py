"""The weekly report's "Not right" line: counts per kind and what was eased, from the history's
feedback table (a real SQLite file), in the text and on the HTML page."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sitwatch.core.clock import ManualClock
from sitwatch.core.kinds import FeedbackKind
from sitwatch.history.feedback import FeedbackRow, record
from sitwatch.history.store import Store
from sitwatch.reports.html import render_week
from sitwatch.reports.text import weekly_text
from tests.helpers.history import TZ, Sitter
from tests.helpers.report_text import row_value
from tests.unit.reports.test_report import MON, SUN, TUE

LOP, SLOUCH = FeedbackKind.ASYMMETRIC_LOAD, FeedbackKind.SLOUCH


def week(tmp_path: Path) -> Store:
    clock = ManualClock(datetime(2026, 1, 5, 8, 0, tzinfo=TZ), monotonic=0.0)
    s = Store(tmp_path / "history.sqlite", clock)
    p = Sitter(s, clock)
    p.at(MON, 9)
    p.sit(60)
    at = datetime(2026, 1, 5, 9, 30, tzinfo=TZ)
    record(s, FeedbackRow(at, LOP, "wrong", 1, True, "button",
                          changes={"detect.balance.threshold": (0.25, 0.355),
                                   "detect.balance.release": (0.15, 0.213)}))
    record(s, FeedbackRow(at + timedelta(days=1), LOP, "wrong", 2, True, "cli",
                          changes={"detect.balance.threshold": (0.355, 0.4285)}))
    record(s, FeedbackRow(at + timedelta(days=1, hours=1), SLOUCH, "wrong", 0, False, "mqtt"))
    record(s, FeedbackRow(at - timedelta(days=3), LOP, "wrong", 1, True, "cli"))  # last week
    s.end_run()
    return s


def test_the_weekly_text_counts_not_right_per_kind_and_says_what_was_eased(tmp_path) -> None:
    s = week(tmp_path)
    line = row_value(weekly_text(s, SUN, TZ), '"Not right"')
    assert "3 (slouching 1, lopsided 2)" in line
    assert "eased: lopsided balance threshold 0.25 → 0.43 (2 steps)" in line
    s.close()


def test_the_page_says_it_too_and_a_week_without_any_says_nothing(tmp_path) -> None:
    s = week(tmp_path)
    html = render_week(s, SUN, TZ, now=datetime(2026, 1, 12, 9, tzinfo=TZ))
    assert 'id="not-right"' in html and "lopsided 2" in html
    earlier = render_week(s, TUE - timedelta(days=7), TZ, now=datetime(2026, 1, 12, tzinfo=TZ))
    assert 'id="not-right"' not in earlier
    assert not any(ln.startswith('"Not') for ln in
                   weekly_text(s, SUN + timedelta(days=7), TZ).splitlines())
    s.close()


def test_a_learned_way_answered_not_right_is_said_as_forgotten_not_as_nothing_eased(
        tmp_path) -> None:
    clock = ManualClock(datetime(2026, 1, 5, 8, 0, tzinfo=TZ), monotonic=0.0)
    s = Store(tmp_path / "history.sqlite", clock)
    p = Sitter(s, clock)
    p.at(MON, 9)
    p.sit(60)
    record(s, FeedbackRow(datetime(2026, 1, 5, 9, 30, tzinfo=TZ), FeedbackKind.LEARNED, "wrong",
                          1, True, "button"))
    s.end_run()
    line = row_value(weekly_text(s, SUN, TZ), '"Not right"')
    assert "1 (learned way of sitting 1)" in line
    assert "a learned way of sitting forgotten" in line and "nothing eased" not in line
    s.close()


def test_the_week_says_what_is_in_force_after_a_reset_through_the_report_command(
        tmp_path, capsys, in_berlin) -> None:
    """Both kinds eased, then `sitwatch feedback reset` (every kind): `sitwatch report --week`
    no longer says they are eased (as if in force), but that they were reset; a kind eased again
    after the reset is eased from then on. (The report reads the history's Berlin times in the
    local zone: west of UTC-9 Monday's 09:00 was Sunday, outside the week.)"""
    from sitwatch.cli.main import main

    clock = ManualClock(datetime(2026, 1, 5, 8, 0, tzinfo=TZ), monotonic=0.0)
    path = tmp_path / "history.sqlite"
    s = Store(path, clock)
    p = Sitter(s, clock)
    p.at(MON, 9)
    p.sit(60)
    at = datetime(2026, 1, 5, 9, 30, tzinfo=TZ)
    record(s, FeedbackRow(at, SLOUCH, "wrong", 1, True, "button",
                          changes={"detect.posture.slouch_rear_ratio": (0.3, 0.261)}))
    record(s, FeedbackRow(at + timedelta(minutes=5), LOP, "wrong", 1, True, "cli",
                          changes={"detect.balance.threshold": (0.25, 0.2875)}))
    record(s, FeedbackRow(at + timedelta(hours=1), None, "reset", 0, True, "cli",
                          changes={"detect.balance.threshold": (0.2875, 0.25)}))
    s.end_run()
    s.close()

    def week() -> str:
        assert main(["--no-user-config", "report", "--week", "--day", str(SUN), "--history",
                     str(path)]) == 0
        return row_value(capsys.readouterr().out, '"Not right"')

    line = week()
    assert "eased:" not in line and "0.261" not in line and "0.29" not in line
    assert "eased, then reset to the configured thresholds: slouching, lopsided" in line
    assert "reset once" in line

    s = Store(path, clock)
    s.begin_run("smartchair-12", "/dev/ttyACM0")
    record(s, FeedbackRow(at + timedelta(days=1), LOP, "wrong", 1, True, "button",
                          changes={"detect.balance.threshold": (0.25, 0.2875)}))
    s.end_run()
    s.close()
    line = week()
    assert "eased: lopsided balance threshold 0.25 → 0.29 (1 step)" in line
    assert "eased, then reset to the configured thresholds: slouching;" in line


def test_an_answer_that_eased_nothing_is_said_without_claiming_no_cushion(tmp_path) -> None:
    """Regression: "Not right" on a slouch only the camera saw, with a cushion too, is recorded
    and eases nothing; the week said "no cushion to ease" of a sitter who has one. Why nothing
    was eased is not kept, so each possible reason is named; beside kinds that were eased, the
    answers that eased nothing are counted apart."""
    clock = ManualClock(datetime(2026, 1, 5, 8, 0, tzinfo=TZ), monotonic=0.0)
    s = Store(tmp_path / "history.sqlite", clock)
    p = Sitter(s, clock)
    p.at(MON, 9)
    p.sit(60)
    record(s, FeedbackRow(datetime(2026, 1, 5, 9, 30, tzinfo=TZ), SLOUCH, "wrong", 0, False,
                          "cli"))
    s.end_run()
    line = row_value(weekly_text(s, SUN, TZ), '"Not right"')
    assert line.endswith("1 (slouching 1); nothing eased (at the limit, learning is off, or "
                         "the camera alone saw it)"), line
    s.close()
    mixed = week(tmp_path / "mixed")
    line = row_value(weekly_text(mixed, SUN, TZ), '"Not right"')
    assert "(2 steps); 1 recorded only (at the limit, learning is off, or the camera alone " \
           "saw it)" in line, line
    mixed.close()
