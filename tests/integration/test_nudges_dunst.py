"""The daemon, fed the virtual cushion in accelerated time, delivers its nudges to a real
notification server (dunst on a private D-Bus session under Xvfb); we read them back."""

from __future__ import annotations

import itertools
import logging
from datetime import datetime, timedelta

import pytest

from sitwatch.config import Config
from sitwatch.core.clock import ManualClock
from sitwatch.nudging import control
from sitwatch.nudging.gate import NudgeGate
from sitwatch.runtime.daemon import Daemon
from sitwatch.sensing import layout
from sitwatch.sim.script import short_demo
from sitwatch.sim.simulator import Simulator
from sitwatch.sinks.base import Fanout
from sitwatch.sinks.desktop import DesktopSink
from sitwatch.sources.sim import SimSource

pytestmark = pytest.mark.integration
LOG = logging.getLogger("sitwatch.test")
START = datetime(2026, 1, 5, 9, 0).astimezone()


def run_day(dunst, tmp_path, cfg: Config, ctl: control.Control | None = None):
    lay = layout.load("smartchair-12")
    clock = ManualClock(START)
    src = SimSource(Simulator(lay, short_demo(3), 2, 3), clock)
    path = tmp_path / "control.json"
    if ctl is not None:
        control.write(path, ctl)
    gate = NudgeGate(cfg.nudges, clock, control=control.Watcher(path, clock.monotonic))
    sink = DesktopSink(cfg.nudges.timeout, LOG, env=dunst.env)
    seen = []
    d = Daemon(cfg, lay, src, clock, sinks=Fanout([sink], LOG), gate=gate)
    d.listeners.append(lambda ev: seen.append((clock.now(), ev)) if ev.event == "nudge" else None)
    while not src.done:
        d.step(0)
    d.close()
    delivered = [(w, e) for w, e in seen if e.get("delivered", True)]
    return delivered, seen, sink


def bodies(history):
    return [(h["summary"], h["body"]) for h in reversed(history)]  # oldest first


def test_nudges_reach_the_desktop_with_their_texts_and_cooldowns(dunst, tmp_path) -> None:
    cfg = Config()
    delivered, _seen, sink = run_day(dunst, tmp_path, cfg)
    kinds = [e.get("kind") for _, e in delivered]
    assert {"prolonged_sitting", "slouch", "asymmetric_load", "wallet"} <= set(kinds)
    history = dunst.wait_history(len(delivered))
    assert bodies(history) == [(e.get("title"), e.get("message")) for _, e in delivered]
    assert sink.sent == len(delivered)
    for kind in set(kinds):
        times = [e.t for _, e in delivered if e.get("kind") == kind]
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert all(g >= cfg.nudges.cooldown[kind] for g in gaps), (kind, gaps)


def test_snooze_holds_back_nudges_until_it_ends(dunst, tmp_path) -> None:
    until = START + timedelta(minutes=70)
    delivered, seen, _ = run_day(dunst, tmp_path, Config(), control.Control(snoozed_until=until))
    assert delivered and all(w >= until for w, _ in delivered)
    dropped = [e for _, e in seen if e.get("dropped") == "snoozed"]
    assert dropped and all(w < until for w, e in seen if e.get("dropped") == "snoozed")
    history = dunst.wait_history(len(delivered))
    assert len(history) == len(delivered)
    assert bodies(history) == [(e.get("title"), e.get("message")) for _, e in delivered]


def test_quiet_hours_are_respected(dunst, tmp_path) -> None:
    cfg = Config(nudges={"quiet_hours": ["09:00-10:15"]})
    delivered, seen, _ = run_day(dunst, tmp_path, cfg)
    quiet_end = START.replace(hour=10, minute=15)
    assert all(w >= quiet_end for w, _ in delivered)
    assert any(e.get("dropped") == "quiet hours" for _, e in seen)
    history = dunst.wait_history(max(len(delivered), 1), timeout=5)
    assert len(history) == len(delivered)


def test_working_hours_by_weekday(dunst, tmp_path) -> None:
    """START is a Monday 09:00: with working hours from 10:00 only the later nudges reach the
    desktop; the rest are recorded as dropped outside working hours. On a day the schedule does
    not name (here: Monday left out), none do."""
    assert START.weekday() == 0
    cfg = Config(nudges={"schedule": {"mon-fri": ["10:00-12:00", "13:00-17:00"]}})
    delivered, seen, _ = run_day(dunst, tmp_path, cfg)
    ten = START.replace(hour=10)
    assert delivered and all(ten <= w < START.replace(hour=12) for w, _ in delivered)
    assert any(e.get("dropped") == "outside working hours" and w < ten for w, e in seen)
    history = dunst.wait_history(len(delivered))
    assert bodies(history) == [(e.get("title"), e.get("message")) for _, e in delivered]

    weekend_only = Config(nudges={"schedule": {"sat-sun": ["00:00-23:59"]}})
    delivered, seen, _ = run_day(dunst, tmp_path / "weekend", weekend_only)
    assert not delivered and seen
    assert all(e.get("dropped") == "outside working hours" for _, e in seen)


def test_own_texts_take_their_turn_on_the_desktop(dunst, tmp_path) -> None:
    mine = "Stand, roll your shoulders back five times, then sit tall against the backrest."
    cfg = Config(nudges={
        "texts": [{"kind": "slouch", "title": "Physio: shoulder rolls", "action": mine}],
        "only_own_texts": True,
        "stretches": ["Calf raises at the desk: 15 slow ones."],
    })
    delivered, _seen, _ = run_day(dunst, tmp_path, cfg)
    slouch = [e for _, e in delivered if e.get("kind") == "slouch" and e.get("level") == "gentle"
              and e.get("posture") == "slouched"]
    assert slouch and all(e.get("message") == mine for e in slouch)
    distinct = {(e.get("title"), e.get("message")) for _, e in delivered}
    # dunst stacks a repeated notification into one history entry, so count distinct ones
    history = dunst.wait_history(len(distinct))
    shown = set(bodies(history))
    assert ("Physio: shoulder rolls", mine) in shown
    assert shown == distinct


def test_daily_budget_nudges_and_the_summary_reach_the_desktop(dunst, tmp_path) -> None:
    """A one-hour budget on the simulated morning: "nearing" ten minutes before it, "used up"
    at it, and the day's summary at 11:00, read back from dunst with their words."""
    cfg = Config(nudges={"daily_budget_hours": 1.0, "budget_warn_minutes": 10, "spacing": 0,
                         "day_summary_at": "11:00"})
    delivered, _seen, _ = run_day(dunst, tmp_path, cfg)
    budget = [(w, e) for w, e in delivered if e.get("kind") == "daily_budget"]
    assert [e.get("stage") for _, e in budget] == ["near", "reached", "summary"]
    near, reached, summary = (e for _, e in budget)
    assert near.get("minutes") == 50 and reached.get("minutes") == 60
    # a nudge about having sat too much says how much (it had the advice alone)
    assert near.get("message").startswith("50 min in the chair today; your budget is 1 h. ")
    assert reached.get("message").startswith("1 h in the chair today; your budget is 1 h. ")
    assert budget[2][0].strftime("%H:%M") == "11:00"
    assert summary.get("message").startswith(f"{summary.get('minutes') // 60} h ")
    history = dunst.wait_history(len({(e.get("title"), e.get("message"))
                                       for _, e in delivered}))
    shown = set(bodies(history))
    for _, e in budget:
        assert (e.get("title"), e.get("message")) in shown


def test_time_to_move_says_how_long_a_break_must_last(dunst, tmp_path) -> None:
    """Issue #13: a break counts only after detect.occupancy.min_break out of the chair; the
    nudge says so, in the words read back from dunst."""
    cfg = Config(detect={"occupancy": {"min_break": 180}})
    delivered, _seen, _ = run_day(dunst, tmp_path, cfg)
    moves = [e for _, e in delivered if e.get("kind") == "prolonged_sitting"]
    assert moves and all(e.get("break_minutes") == 3 for e in moves)
    assert all(e.get("message").endswith("The timer starts again after 3 minutes out of the "
                                         "chair.") for e in moves)
    history = dunst.wait_history(len({(e.get("title"), e.get("message"))
                                       for _, e in delivered}))
    assert {(e.get("title"), e.get("message")) for e in moves} <= set(bodies(history))
