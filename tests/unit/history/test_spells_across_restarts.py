"""A sitting spell the daemon carries over a restart is one spell in the history.

The daemon goes on with the spell when it stopped less than ``min_break`` ago with the seat
occupied (``assemble.previous_spell``); the history rebuilt spells per run, so 17 minutes sat
with five restarts read as "Longest spell 9 min ... over 4 spells", and a break in the later
run counted the earlier run's part a second time. Real daemons on one history file and one
status file, frames from a schedule, a ManualClock per run (no sleeping)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from sitwatch.config import Config
from sitwatch.core.clock import ManualClock
from sitwatch.core.events import SPELL_RESUMED
from sitwatch.core.kinds import EventName
from sitwatch.history import queries
from sitwatch.history.retention import KEPT_EVENTS
from sitwatch.history.store import Store
from sitwatch.runtime.assemble import previous_spell
from sitwatch.runtime.daemon import Daemon
from sitwatch.runtime.status import StatusWriter
from sitwatch.sensing import layout
from sitwatch.sources.base import Reading
from tests.helpers.doubles import Collect
from tests.helpers.report_text import rows_joined

LAY = layout.load("load-cells-4")
SEATED = np.array([20000.0, 20500, 9000, 9200])
EMPTY = np.array([40.0, 35, 30, 45])
MIN_BREAK = 120.0
CFG = Config(detect={"sit_limit": 3600, "occupancy": {"min_break": MIN_BREAK}})
HZ = 2.0


class Frames:
    """Frames at ``HZ`` from a schedule of (seconds, values); the source moves the clock."""

    name = "frames"

    def __init__(self, clock: ManualClock, schedule: list[tuple[float, np.ndarray]]) -> None:
        self.clock = clock
        self.todo = list(schedule)
        self.left = 0.0
        self.n = 0

    @property
    def done(self) -> bool:
        return not self.todo and self.left <= 1e-9

    def poll(self, max_wait: float) -> list[Reading]:
        while self.left <= 1e-9:
            if not self.todo:
                return []
            self.left, self.values = self.todo.pop(0)
        self.clock.advance(1 / HZ)
        self.left -= 1 / HZ
        self.n += 1
        noise = np.random.default_rng(self.n).normal(0, 20, 4)
        return [Reading(self.clock.monotonic(), self.values + noise)]

    def stats(self) -> dict[str, object]:
        return {"port": "frames", "online": True, "frames": self.n, "dropped_total": 0}

    def close(self) -> None:
        pass


class Desk:
    """One history file and one status file; each :meth:`run` is one daemon from start to stop,
    started as ``sitwatch run`` starts it (the spell the last one left is carried on)."""

    def __init__(self, tmp_path: Path, start: datetime) -> None:
        self.db = tmp_path / "history.sqlite"
        self.status = tmp_path / "status.json"
        self.wall = start
        self.events: list[object] = []
        self.crashed: list[Daemon] = []

    def run(self, schedule: list[tuple[float, np.ndarray]], *, monotonic: float = 0.0,
            crash: bool = False) -> None:
        """A daemon whose monotonic clock starts at ``monotonic`` (another value: a reboot);
        ``crash``: killed, so the status file still says it runs (its pid is gone)."""
        clock = ManualClock(self.wall, monotonic=monotonic)
        before = previous_spell(self.status, clock, MIN_BREAK)
        sink = Collect()
        d = Daemon(CFG, LAY, Frames(clock, schedule), clock, sinks=sink,
                   store=Store(self.db, clock), status=StatusWriter(self.status, clock))
        if before is not None:
            d.resume_spell(*before)
        src = d.source
        assert isinstance(src, Frames)
        while not src.done:
            d.step(0)
        d.status.maybe_write(force=True)  # type: ignore[union-attr]
        if crash:  # what it wrote stays; its run is never ended (the next start closes it)
            assert d.store is not None
            d.store.flush()
            self.crashed.append(d)
            state = json.loads(self.status.read_text())
            self.status.write_text(json.dumps({**state, "pid": 999999}))
        else:
            d.close()
        self.events += sink.events
        self.wall = clock.now()

    def stopped(self, seconds: float) -> None:
        """No daemon for ``seconds``."""
        self.wall += timedelta(seconds=seconds)

    def day(self, day: date) -> queries.DaySummary:
        with Store(self.db, ManualClock(self.wall), readonly=True) as reader:
            return queries.day_summary(reader, day, UTC)


START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
DAY = START.date()


def minutes(day: queries.DaySummary) -> list[float]:
    return [round(s.minutes, 1) for s in day.spells]


def test_a_spell_carried_over_restarts_is_one_spell_of_its_whole_length(tmp_path) -> None:
    """The reviewer's case: sat in one go with restarts in between, stopped 20 s each time."""
    desk = Desk(tmp_path, START)
    desk.run([(60, EMPTY), (300, SEATED)])  # seated from about 09:01
    for _ in range(4):
        desk.stopped(20)
        desk.run([(180, SEATED)])
    s = desk.day(DAY)
    # 5 + 4 x 3 min sat, 4 x 20 s stopped (counted, as the daemon's timer counts them)
    assert minutes(s) == [pytest.approx(17 + 80 / 60, abs=0.1)]
    assert s.breaks == 0
    assert s.longest_spell_start == pytest.approx(START + timedelta(minutes=1),
                                                  abs=timedelta(seconds=5))
    assert s.spells[0].restarts == 4
    resumed = [e for e in desk.events if e.event == SPELL_RESUMED]  # type: ignore[attr-defined]
    assert len(resumed) == 4


def test_a_crash_and_a_reboot_carry_the_spell_on_as_well(tmp_path) -> None:
    """Killed (the status file says it still runs), and a new monotonic clock after it."""
    desk = Desk(tmp_path, START)
    desk.run([(60, EMPTY), (600, SEATED)], crash=True)
    desk.stopped(60)
    desk.run([(300, SEATED)], monotonic=7.0)
    assert minutes(desk.day(DAY)) == [pytest.approx(16, abs=0.1)]


def test_the_break_that_ends_a_carried_spell_counts_it_once(tmp_path) -> None:
    """The ``break`` in the later run says the whole spell (the timer went on); the earlier
    run's part was counted a second time beside it (25 min more sitting in spells than sat)."""
    desk = Desk(tmp_path, START)
    desk.run([(60, EMPTY), (600, SEATED)])
    desk.stopped(30)
    desk.run([(300, SEATED), (300, EMPTY), (120, SEATED)])
    s = desk.day(DAY)
    assert s.breaks == 1
    assert minutes(s) == [pytest.approx(15.5, abs=0.1), pytest.approx(2, abs=0.1)]
    assert [sp.restarts for sp in s.spells] == [1, 0]
    assert s.spells[0].start == pytest.approx(START + timedelta(minutes=1),
                                              abs=timedelta(seconds=5))


def test_nobody_back_after_the_restart_ends_the_spell_when_the_seat_was_last_seen(
        tmp_path) -> None:
    """Restarted while seated, but the sitter had gone: the spell is the first run's, counted
    once (the later run's ``break`` says it again), and sitting down is a new spell."""
    desk = Desk(tmp_path, START)
    desk.run([(60, EMPTY), (600, SEATED)])
    desk.stopped(30)
    desk.run([(60, EMPTY)])  # stopped again within min_break, the seat still empty
    assert minutes(desk.day(DAY)) == [pytest.approx(10, abs=0.1)]
    desk.stopped(30)
    desk.run([(60, EMPTY)])
    assert minutes(desk.day(DAY)) == [pytest.approx(10, abs=0.1)]

    other = Desk(tmp_path / "other", START)
    other.run([(60, EMPTY), (600, SEATED)])
    other.stopped(30)
    other.run([(240, EMPTY), (180, SEATED)])
    s = other.day(DAY)
    assert s.breaks == 1
    assert minutes(s) == [pytest.approx(10, abs=0.1), pytest.approx(3, abs=0.1)]


def test_a_stop_of_min_break_or_more_still_ends_the_spell(tmp_path) -> None:
    desk = Desk(tmp_path, START)
    desk.run([(60, EMPTY), (600, SEATED)])
    desk.stopped(MIN_BREAK + 10)
    desk.run([(300, SEATED)])
    s = desk.day(DAY)
    assert minutes(s) == [pytest.approx(10, abs=0.1), pytest.approx(5, abs=0.1)]
    assert not [e for e in desk.events if e.event == SPELL_RESUMED]  # type: ignore[attr-defined]


def test_a_spell_carried_over_midnight_is_cut_there_once(tmp_path) -> None:
    """Sat from 23:50 to 00:20 with a restart at 00:05: Monday has the 10 minutes before
    midnight, Tuesday one spell from midnight (the first run's part after it not twice)."""
    desk = Desk(tmp_path, datetime(2026, 1, 5, 23, 49, tzinfo=UTC))
    desk.run([(60, EMPTY), (900, SEATED)])  # 23:50 -> 00:05
    desk.stopped(30)
    desk.run([(870, SEATED)])  # 00:05:30 -> 00:20
    assert minutes(desk.day(date(2026, 1, 5))) == [pytest.approx(10, abs=0.1)]
    tue = desk.day(date(2026, 1, 6))
    assert minutes(tue) == [pytest.approx(20, abs=0.1)]
    assert tue.longest_spell_start == datetime(2026, 1, 6, 0, 0, tzinfo=UTC)


def test_the_status_file_names_the_run_a_restart_carries_on(tmp_path) -> None:
    desk = Desk(tmp_path, START)
    desk.run([(60, EMPTY), (300, SEATED)])
    with Store(desk.db, ManualClock(desk.wall), readonly=True) as reader:
        first = queries.runs(reader)[0].run_id
    carried = previous_spell(desk.status, ManualClock(desk.wall + timedelta(seconds=5)),
                             MIN_BREAK)
    assert carried is not None and carried.run == first
    assert carried.spell == pytest.approx(300, abs=5) and carried.away == pytest.approx(5)
    desk.stopped(5)
    desk.run([(60, SEATED)])
    resumed = [e for e in desk.events if e.event == SPELL_RESUMED]  # type: ignore[attr-defined]
    assert [e.get("continues") for e in resumed] == [first]
    assert SPELL_RESUMED in KEPT_EVENTS  # old history keeps what its spells are made of


def test_without_the_run_in_the_status_file_the_run_before_is_taken(tmp_path) -> None:
    """A status file from a daemon before this change has no ``history_run``."""
    desk = Desk(tmp_path, START)
    desk.run([(60, EMPTY), (300, SEATED)])
    state = json.loads(desk.status.read_text())
    del state["history_run"]
    desk.status.write_text(json.dumps(state))
    desk.stopped(20)
    desk.run([(120, SEATED)])
    assert minutes(desk.day(DAY)) == [pytest.approx(7 + 20 / 60, abs=0.1)]


def test_the_day_report_says_the_spell_went_on_through_restarts(tmp_path) -> None:
    """The spell is longer than the sitting (the time stopped is in it, not in the minutes
    watched): the report said "with short absences" of a sitter who never left."""
    from sitwatch.reports.text import daily_text

    desk = Desk(tmp_path, START)
    desk.run([(60, EMPTY), (300, SEATED)])
    for _ in range(2):
        desk.stopped(30)
        desk.run([(120, SEATED)])
    with Store(desk.db, ManualClock(desk.wall), readonly=True) as reader:
        text = daily_text(reader, DAY, UTC)
    # no absence: none said
    assert "(from 09:01, with sitwatch restarts)" in rows_joined(text), text

    plain = Desk(tmp_path / "plain", START)
    plain.run([(60, EMPTY), (300, SEATED), (60, EMPTY), (300, SEATED)])
    with Store(plain.db, ManualClock(plain.wall), readonly=True) as reader:
        text = daily_text(reader, DAY, UTC)
    assert "(from 09:01, with short absences)" in rows_joined(text), text


# -- a break across a restart: the seat was empty when the daemon stopped -----------------------

def breaks(day: queries.DaySummary) -> list[float]:
    return [round(b.seconds / 60, 1) for b in day.break_rows]


def test_a_break_that_spans_a_restart_is_counted_with_the_time_no_daemon_ran(tmp_path) -> None:
    """Got up, the daemon stopped 30 s later, started again 10 min later, sat down: one break of
    10.5 min (from when the seat emptied), as a daemon that had run all along counts it. The new
    run had no spell to break, so nothing said ``break`` and the reports missed it."""
    desk = Desk(tmp_path, START)
    desk.run([(60, EMPTY), (600, SEATED), (30, EMPTY)])
    desk.stopped(600)
    desk.run([(120, SEATED)])
    s = desk.day(DAY)
    assert s.breaks == 1
    assert breaks(s) == [pytest.approx(10.5, abs=0.1)]
    assert minutes(s) == [pytest.approx(10, abs=0.1), pytest.approx(2, abs=0.1)]
    assert [sp.restarts for sp in s.spells] == [0, 0]  # the spell ended before the restart
    said = [e for e in desk.events if e.event == EventName.BREAK]  # type: ignore[attr-defined]
    assert len(said) == 1 and said[0].get("spell") == pytest.approx(600, abs=2)


def test_a_break_already_under_way_at_the_stop_goes_on_through_it(tmp_path) -> None:
    """Away 5 min (a break already) when stopped, 10 min stopped, then a run that sees the seat
    empty another minute and is stopped again, and one more: one break of all of it."""
    desk = Desk(tmp_path, START)
    desk.run([(60, EMPTY), (600, SEATED), (300, EMPTY)])
    desk.stopped(600)
    desk.run([(60, EMPTY)])
    desk.stopped(60)
    desk.run([(60, SEATED)])
    s = desk.day(DAY)
    assert breaks(s) == [pytest.approx(5 + 10 + 1 + 1, abs=0.1)]
    assert minutes(s) == [pytest.approx(10, abs=0.1), pytest.approx(1, abs=0.1)]
    assert [sp.restarts for sp in s.spells] == [0, 0]


def test_back_within_min_break_across_a_restart_the_spell_goes_on(tmp_path) -> None:
    """Up for 30 s, stopped, started 30 s later, seated again: under ``min_break`` away, so no
    break; the spell goes on with the absence in it, as a daemon running all along counts it."""
    desk = Desk(tmp_path, START)
    desk.run([(60, EMPTY), (600, SEATED), (30, EMPTY)])
    desk.stopped(30)
    desk.run([(120, SEATED)])
    s = desk.day(DAY)
    assert s.breaks == 0
    assert minutes(s) == [pytest.approx(13, abs=0.1)]
    assert s.spells[0].restarts == 1


def test_a_break_over_night_across_a_restart_is_counted_once_and_the_spell_before_once(
        tmp_path) -> None:
    """Left the chair at 18:00, the daemon stopped at 18:05 and started at 08:00: the break
    ends on Tuesday, and the spell that ended on Monday is Monday's only."""
    desk = Desk(tmp_path, datetime(2026, 1, 5, 17, 49, tzinfo=UTC))
    desk.run([(60, EMPTY), (600, SEATED), (300, EMPTY)])  # seated 17:50 -> 18:00
    desk.stopped(14 * 3600 - 300)  # 08:00
    desk.run([(60, EMPTY), (300, SEATED)])
    mon, tue = desk.day(date(2026, 1, 5)), desk.day(date(2026, 1, 6))
    assert minutes(mon) == [pytest.approx(10, abs=0.1)] and mon.breaks == 0
    assert minutes(tue) == [pytest.approx(5, abs=0.1)]
    assert breaks(tue) == [pytest.approx(14 * 60 + 1, abs=0.1)]


def test_a_spell_that_ended_before_midnight_is_not_counted_again_the_day_its_break_ends(
        tmp_path) -> None:
    """One daemon all along: sat 23:49 to 23:59, back at 00:19. The ``break`` at 00:19 carries
    the spell, which ended on Monday: Tuesday counted it a second time."""
    desk = Desk(tmp_path, datetime(2026, 1, 5, 23, 48, tzinfo=UTC))
    desk.run([(60, EMPTY), (600, SEATED), (1200, EMPTY), (300, SEATED)])
    mon, tue = desk.day(date(2026, 1, 5)), desk.day(date(2026, 1, 6))
    assert minutes(mon) == [pytest.approx(10, abs=0.1)]
    assert minutes(tue) == [pytest.approx(5, abs=0.1)]
    assert breaks(tue) == [pytest.approx(20, abs=0.1)]
