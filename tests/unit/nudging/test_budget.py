"""The daily sitting budget and the day's summary (issue #13)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from sitwatch import config
from sitwatch.core.clock import ManualClock
from sitwatch.core.events import NUDGE
from sitwatch.core.kinds import NudgeKind, Occupancy
from sitwatch.nudging.budget import NEAR, REACHED, DailyBudget
from sitwatch.nudging.gate import NudgeGate
from sitwatch.nudging.nudger import Nudger
from sitwatch.sensing.snapshot import Snapshot

TZ = timezone(timedelta(hours=1))
DAY = date(2026, 1, 5)


def test_near_then_reached_once_a_day_counting_only_seated_time() -> None:
    b = DailyBudget(budget=3600, warn_before=600)
    stages = []
    t = 0.0
    for i in range(4000):  # 1 s looks; seated except for a 10-minute break in the middle
        seated = not (1000 <= i < 1600)
        stages.append((i, b.step(t, DAY, occupied=seated, spell=0.0)))
        t += 1.0
    got = [(i, s) for i, s in stages if s]
    # 3000 s seated at i = 3600 (the break does not count), 3600 s at i = 4200: not yet
    assert got == [(3600, NEAR)]
    for _ in range(700):
        s = b.step(t, DAY, occupied=True, spell=0.0)
        t += 1.0
        if s:
            got.append((round(t), s))
    assert [s for _, s in got] == [NEAR, REACHED]
    assert b.step(t, DAY, occupied=True, spell=0.0) is None
    # a new day starts again from nothing
    assert b.step(t + 1, DAY + timedelta(days=1), occupied=True, spell=0.0) is None
    assert b.seated <= 1.0 and not b.warned  # only the second since midnight


def test_a_gap_is_not_sitting_and_a_restart_picks_up_the_day() -> None:
    b = DailyBudget(budget=3600, warn_before=600)
    b.step(0.0, DAY, occupied=True, spell=0.0)
    b.step(3600.0, DAY, occupied=True, spell=0.0)  # an hour without a look (suspended)
    assert b.seated == 5.0
    b.seed(DAY, 3300.0)
    assert b.warned and not b.reached
    assert b.step(15.0, DAY, occupied=True, spell=0.0) is None
    for k in range(70):
        s = b.step(20.0 + 5 * k, DAY, occupied=True, spell=0.0)
        if s:
            assert s == REACHED
            break
    else:
        raise AssertionError("never reached")


def _snap(t: float, occupied: bool = True, spell: float = 0.0) -> Snapshot:
    return Snapshot(t=t, source="cushion", online=True,
                    occupancy=Occupancy.OCCUPIED if occupied else Occupancy.EMPTY, spell=spell)


def test_nudger_sends_budget_nudges_and_the_summary_through_the_gate() -> None:
    clock = ManualClock(datetime(2026, 1, 5, 9, 0, tzinfo=TZ))
    cfg = config.Nudges(daily_budget_hours=1.0, budget_warn_minutes=10, day_summary_at="10:30",
                        dnd={"enabled": False}, cooldown={NudgeKind.PROLONGED_SITTING: 1e9})
    n = Nudger(cfg, sit_limit=1e9, gate=NudgeGate(cfg, clock))
    nudges = []
    for _ in range(int(1.6 * 3600)):
        clock.advance(1.0)
        t = clock.monotonic()
        for ev in n.observe(_snap(t, occupied=clock.now().hour < 10 or clock.now().minute < 20,
                                  spell=600.0)):
            if ev.event == NUDGE:
                nudges.append((clock.now().strftime("%H:%M"), ev))
    got = [(w, e.get("kind"), e.get("stage"), e.get("level")) for w, e in nudges]
    assert got == [("09:50", "daily_budget", "near", "gentle"),
                   ("10:00", "daily_budget", "reached", "firm"),
                   ("10:30", "daily_budget", "summary", "summary")]
    summary = nudges[-1][1]
    assert summary.get("title") == "Your day in the chair"
    assert summary.get("message") == ("1 h 20 min in the chair today (your budget: 1 h); the "
                                      "longest stretch was 10 min.")
    # a nudge about having sat too much says how much, before its advice
    near, reached = nudges[0][1].get("message"), nudges[1][1].get("message")
    assert near.startswith("50 min in the chair today; your budget is 1 h. "), near
    assert reached.startswith("1 h in the chair today; your budget is 1 h. From here on"), reached


def test_the_budget_nudge_gives_the_figures_in_the_sitters_own_words_too() -> None:
    """The figures come first, whatever advice follows (a built-in one or the sitter's own),
    and a budget set in hours and minutes is said as set."""
    from sitwatch.nudging.budget import NEAR
    from sitwatch.nudging.policy import NudgePolicy

    cfg = config.Nudges(daily_budget_hours=5.5, texts=[{"kind": "daily_budget", "title": "Walk",
                                                      "action": "Go for a walk."}],
                        only_own_texts=True)
    ev = NudgePolicy(cfg, 2700.0).daily(0.0, NEAR, seated=5 * 3600 + 10 * 60, budget=5.5 * 3600)
    assert ev.get("message") == ("5 h 10 min in the chair today; your budget is 5 h 30 min. "
                                 "Go for a walk.")


def test_summary_at_the_end_of_the_working_day() -> None:
    clock = ManualClock(datetime(2026, 1, 5, 16, 0, tzinfo=TZ))
    cfg = config.Nudges(daily_budget_hours=8.0, schedule={"mon-fri": ["09:00-17:00"]},
                        dnd={"enabled": False})
    n = Nudger(cfg, sit_limit=1e9, gate=NudgeGate(cfg, clock))
    when = []
    for _ in range(2 * 3600):
        clock.advance(1.0)
        for ev in n.observe(_snap(clock.monotonic(), occupied=clock.now().hour < 17)):
            if ev.event == NUDGE and ev.get("stage") == "summary" and ev.get("delivered", True):
                when.append(clock.now().strftime("%H:%M"))
    assert when == ["16:55"]  # five minutes before the last working window ends


def test_no_budget_no_budget_nudges() -> None:
    clock = ManualClock(datetime(2026, 1, 5, 9, 0, tzinfo=TZ))
    cfg = config.Nudges(dnd={"enabled": False})
    n = Nudger(cfg, sit_limit=1e9, gate=NudgeGate(cfg, clock))
    for _ in range(3 * 3600):
        clock.advance(1.0)
        assert not [e for e in n.observe(_snap(clock.monotonic())) if e.event == NUDGE]


def test_the_days_summary_is_no_nudge_for_the_reports_the_cap_or_a_restart(tmp_path) -> None:
    """The day's summary went out as a `daily_budget` nudge event, so the reports counted it as
    a sitting budget nudge, the daily cap counted it (and could drop it), and a restart counted
    it toward the cap again. It is a notice: none of them count it, and the cap never drops it."""
    from sitwatch.core.events import Event
    from sitwatch.history.queries import day_summary, days_summaries
    from sitwatch.history.store import Store
    from sitwatch.runtime.assemble import seed_day
    from sitwatch.runtime.daemon import Daemon
    from sitwatch.sensing import layout
    from tests.helpers.history import TZ as BERLIN
    from tests.helpers.history import Sitter

    day = date(2026, 1, 7)
    clock = ManualClock(datetime(2026, 1, 7, 8, 0, tzinfo=BERLIN))
    store = Store(tmp_path / "h.sqlite", clock)
    sitter = Sitter(store, clock)
    sitter.at(day, 9)
    sitter.sit(30)
    sitter.nudge(NudgeKind.SLOUCH)
    sitter.sit(30)
    cfg = config.Config(nudges={"daily_budget_hours": 1.0, "day_summary_at": "10:00",
                                "daily_cap": 2, "dnd": {"enabled": False}})
    policy = Nudger(cfg.nudges, sit_limit=1e9).policy
    store.add_event(policy.daily(clock.monotonic(), NEAR, seated=3000.0, budget=3600.0))
    store.add_event(policy.summary(clock.monotonic(), seated=3600.0, budget=3600.0,
                                   longest=1800.0))
    store.flush()
    s = day_summary(store, day, BERLIN)
    assert s.nudges[NudgeKind.DAILY_BUDGET] == 1 and s.nudges_total == 2, s.nudges
    assert days_summaries(store, day, day, BERLIN)[0].nudges == s.nudges

    # a restart: the cap's count is the two nudges, and the summary is known to have gone out
    gate = NudgeGate(cfg.nudges, clock)
    daemon = Daemon(cfg, layout.load("load-cells-4"), None, clock, gate=gate)
    seed_day(daemon, store, clock)
    assert gate.delivered_today == 2 and daemon.nudger.budget.summarised
    slouch = Event(clock.monotonic(), NUDGE, None, {"kind": NudgeKind.SLOUCH})
    assert gate.decide(slouch).reason == "daily cap reached"
    summary = policy.summary(clock.monotonic(), seated=3600.0, budget=3600.0, longest=0.0)
    assert gate.decide(summary).action == "deliver" and gate.delivered_today == 2
    store.close()


def test_the_budget_nudge_waits_out_the_spacing_after_time_to_move() -> None:
    """The budget reached in the same minute as "time to move" came as a second notification
    at once; it now waits nudges.spacing and then goes out, its figures counted meanwhile."""
    clock = ManualClock(datetime(2026, 1, 5, 9, 0, tzinfo=TZ))
    cfg = config.Nudges(daily_budget_hours=1.0, budget_warn_minutes=10, dnd={"enabled": False})
    n = Nudger(cfg, sit_limit=3000.0, gate=NudgeGate(cfg, clock))  # limit and "near" together
    got = []
    for s in range(1, 3200):
        clock.advance(1.0)
        for ev in n.observe(_snap(clock.monotonic(), occupied=True, spell=float(s))):
            if ev.event == NUDGE:
                got.append((s, ev.get("kind"), ev.get("stage")))
    assert got[:2] == [(3000, "prolonged_sitting", None), (3120, "daily_budget", "near")]
    assert n.budget.seated >= 3190


def test_a_restart_just_after_the_days_summary_holds_no_nudge_back(tmp_path) -> None:
    """The day's summary never waits and holds nothing back; after a restart, its time in the
    history made the next nudge wait out the spacing (and counted as the last budget nudge)."""
    from sitwatch.history.store import Store
    from sitwatch.runtime.assemble import seed_day
    from sitwatch.runtime.daemon import Daemon
    from sitwatch.sensing import layout
    from tests.helpers.history import TZ as BERLIN
    from tests.helpers.history import Sitter

    clock = ManualClock(datetime(2026, 1, 7, 8, 0, tzinfo=BERLIN))
    store = Store(tmp_path / "h.sqlite", clock)
    sitter = Sitter(store, clock)
    sitter.at(date(2026, 1, 7), 9)
    sitter.sit(30)
    cfg = config.Config(nudges={"daily_budget_hours": 1.0, "day_summary_at": "09:30",
                                "dnd": {"enabled": False}})
    policy = Nudger(cfg.nudges, sit_limit=1e9).policy
    store.add_event(policy.summary(clock.monotonic(), seated=1800.0, budget=3600.0,
                                   longest=1800.0))
    store.flush()
    clock.advance(10.0)
    daemon = Daemon(cfg, layout.load("load-cells-4"), None, clock,
                    gate=NudgeGate(cfg.nudges, clock))
    seed_day(daemon, store, clock)
    assert daemon.nudger.budget.summarised
    p = daemon.nudger.policy
    assert p.spaced(clock.monotonic()) and p.last_any is None
    assert p._k(NudgeKind.DAILY_BUDGET).last is None
    store.close()


def test_a_restart_on_the_day_the_clocks_go_back_carries_on_its_first_hours(
        tmp_path, in_berlin) -> None:
    """25 October 2026 in Berlin begins at 00:00 +02:00 and goes on at +01:00 from 03:00. The
    real clock gives local time at the offset of the moment (+01:00 by 10:00), and a restart
    took the day as beginning at 00:00 +01:00, an hour late: the sitting and the nudge of its
    first half hour fell out of the budget and the daily cap (and out of Home Assistant's
    "sitting today", read the same way). On the day the clocks go forward it took in the last
    hour of the evening before."""
    from sitwatch.history.store import Store
    from sitwatch.runtime.assemble import seed_day
    from sitwatch.runtime.daemon import Daemon
    from sitwatch.sensing import layout
    from tests.helpers.history import TZ as BERLIN
    from tests.helpers.history import Sitter

    day = date(2026, 10, 25)
    clock = ManualClock(datetime(2026, 10, 24, 23, 50, tzinfo=BERLIN))
    with Store(tmp_path / "h.sqlite", clock) as store:
        sitter = Sitter(store, clock)
        sitter.at(day, 0, 10)  # 00:10 +02:00
        sitter.sit(20)
        sitter.nudge(NudgeKind.PROLONGED_SITTING)
        sitter.sit(10)
        store.end_run()
    # restarted at 10:00, as SystemClock has it (datetime.now(UTC).astimezone())
    later = ManualClock(datetime(2026, 10, 25, 10, 0, tzinfo=timezone(timedelta(hours=1))))
    cfg = config.Config(nudges={"daily_budget_hours": 1.0, "daily_cap": 3,
                                "dnd": {"enabled": False}})
    gate = NudgeGate(cfg.nudges, later)
    daemon = Daemon(cfg, layout.load("load-cells-4"), None, later, gate=gate)
    with Store(tmp_path / "h.sqlite", later) as store:
        seed_day(daemon, store, later)
    assert gate.delivered_today == 1
    assert daemon.nudger.budget.seated == pytest.approx(30 * 60, abs=60)
