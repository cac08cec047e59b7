"""Issue #13, static sitting, end to end: the daemon, fed the virtual wheelchair cushion in
accelerated time, nudges a sitter who has not shifted their weight for the wheelchair layout's
20 minutes, read back from a real notification server (dunst on a private D-Bus session under
Xvfb); a sitter who shifts gets no such nudge. The shifts land in a real SQLite history, and
``shifts_per_sitting_hour`` reads them back."""

from __future__ import annotations

import logging
import sys
from datetime import datetime
from pathlib import Path

import pytest

from sitwatch.config import Config
from sitwatch.core.clock import ManualClock
from sitwatch.core.kinds import NudgeKind
from sitwatch.history.queries import shifts_per_sitting_hour
from sitwatch.history.store import Store
from sitwatch.nudging import control
from sitwatch.nudging.gate import NudgeGate
from sitwatch.runtime.daemon import Daemon
from sitwatch.sensing import layout
from sitwatch.sim.script import Script, away, sit
from sitwatch.sim.simulator import Simulator
from sitwatch.sinks.base import Fanout
from sitwatch.sinks.desktop import DesktopSink
from sitwatch.sources.sim import SimSource
from tests.helpers.report_text import row_value

pytestmark = pytest.mark.integration
LOG = logging.getLogger("sitwatch.test")
START = datetime(2026, 1, 6, 9, 0).astimezone()
WHEELCHAIR = "ethz-wheelchair-24"

STILL = Script([away(30), sit(25 * 60, fidget=0.0)], "still")
# the same 25 minutes with a pressure relief every five minutes: a minute leaning well over to
# one side (then the other), then back. A lean held past detect.stillness.settle and the way
# back are two shifts: five leans and four returns (the script ends leaning)
SHIFTING = Script([away(30), *(seg for x in (0.6, -0.6, 0.6, -0.6, 0.6)
                               for seg in (sit(240, fidget=0.0), sit(60, lean=x, fidget=0.0)))],
                  "shifting")
RELIEFS = 9


def run(tmp_path: Path, script: Script, sinks: list, store: Store | None = None,
        clock: ManualClock | None = None):
    lay = layout.load(WHEELCHAIR)
    clock = clock or ManualClock(START)
    src = SimSource(Simulator(lay, script, 2, 5), clock)
    cfg = Config(nudges={"dnd": {"enabled": False}})
    gate = NudgeGate(cfg.nudges, clock,
                     control=control.Watcher(tmp_path / "control.json", clock.monotonic))
    seen = []
    d = Daemon(cfg, lay, src, clock, sinks=Fanout(sinks, LOG), gate=gate, store=store)
    d.listeners.append(seen.append)
    while not src.done:
        d.step(0)
    d.close()
    return seen


def test_a_still_wheelchair_user_gets_the_weight_shift_nudge_on_the_desktop(dunst,
                                                                            tmp_path) -> None:
    sink = DesktopSink(20, LOG, env=dunst.env)
    seen = run(tmp_path, STILL, [sink])
    nudges = [e for e in seen if e.event == "nudge" and e.get("delivered", True)]
    assert [e.get("kind") for e in nudges] == [NudgeKind.STATIC_SITTING]
    (n,) = nudges
    assert 30 + 20 * 60 <= n.t <= 30 + 20 * 60 + 10  # the layout's 20 minutes, from sitting down
    assert [str(e.state) for e in seen if e.event == "stillness"] == ["static"]
    history = dunst.wait_history(1)
    assert [(h["summary"], h["body"]) for h in history] == [(n.get("title"), n.get("message"))]
    assert n.get("title") == "Shift your weight" and "one side" in n.get("message")


def test_a_wheelchair_user_who_shifts_gets_no_weight_shift_nudge(dunst, tmp_path) -> None:
    sink = DesktopSink(20, LOG, env=dunst.env)
    seen = run(tmp_path, SHIFTING, [sink])
    assert not [e for e in seen if e.event == "nudge"]
    assert [str(e.state) for e in seen if e.event == "stillness"] == ["shift"] * RELIEFS
    assert dunst.wait_history(1, timeout=3) == []


def test_shifts_per_sitting_hour_from_a_real_history_file(tmp_path) -> None:
    clock = ManualClock(START)
    store = Store(tmp_path / "history.sqlite", clock)
    seen = run(tmp_path, SHIFTING, [], store=store, clock=clock)
    store.close()
    store = Store(tmp_path / "history.sqlite", clock)
    try:
        rate = shifts_per_sitting_hour(store, START.date(), START.tzinfo)
    finally:
        store.close()
    assert rate.shifts == RELIEFS == len([e for e in seen if e.event == "stillness"])
    assert rate.static == 0
    assert 24 <= rate.sitting_minutes <= 25.5
    assert rate.per_hour == pytest.approx(RELIEFS / (rate.sitting_minutes / 60))


def test_the_weekly_report_says_how_often_the_weight_was_shifted(tmp_path) -> None:
    """The same history through ``sitwatch report --week`` in a subprocess (issue #11: how
    often you shifted your weight)."""
    import os
    import subprocess

    clock = ManualClock(START)
    store = Store(tmp_path / "history.sqlite", clock)
    run(tmp_path, SHIFTING, [], store=store, clock=clock)
    store.close()
    env = {**os.environ, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "c")}
    proc = subprocess.run(
        [sys.executable, "-m", "sitwatch", "report", "--week", "--day", START.date().isoformat(),
         "--history", str(tmp_path / "history.sqlite"), "--no-user-config"],
        capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    line = row_value(proc.stdout, "Weight shifts")
    assert f"{RELIEFS} weight shifts, about" in line and "an hour seated" in line
