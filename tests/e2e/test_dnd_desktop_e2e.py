"""Issue #13, do-not-disturb beyond X11, end to end: the daemon on the virtual cushion in
accelerated time, its nudges going to a real dunst (private D-Bus session under Xvfb), with the
real ``notifications`` probe asking that dunst. While dunst is paused sitwatch holds its nudges
(nothing reaches dunst, not even its own queue of waiting ones); once dunst resumes, a held nudge
that still applies goes out, the rest are dropped, and new ones are delivered. Read back from
dunst's history.

Debian packages: xvfb dbus dunst libnotify-bin libglib2.0-bin.
"""

from __future__ import annotations

import logging
import math
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from sitwatch.config import Config
from sitwatch.core.clock import ManualClock
from sitwatch.nudging.dnd import CommandRunner, DoNotDisturb
from sitwatch.nudging.dnd_desktop import NotificationServerProbe
from sitwatch.nudging.gate import HOLD_AT_MOST, NudgeGate
from sitwatch.runtime.daemon import Daemon
from sitwatch.sensing import layout
from sitwatch.sim.script import short_demo
from sitwatch.sim.simulator import Simulator
from sitwatch.sinks.base import Fanout
from sitwatch.sinks.desktop import DesktopSink
from sitwatch.sources.sim import SimSource

try:
    from tests.helpers.notify_server import NotificationServer
except ImportError:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.helpers.notify_server import NotificationServer

pytestmark = pytest.mark.integration
LOG = logging.getLogger("sitwatch.test")
START = datetime(2026, 1, 5, 9, 0).astimezone()
RESUME = START + timedelta(minutes=47)  # the simulated morning nudges at 09:10, 09:33, 09:45


def dunstctl(srv: NotificationServer, *args: str) -> str:
    return subprocess.run(["dunstctl", *args], env=srv.env, capture_output=True, text=True,
                          timeout=5, check=True).stdout.strip()


def test_nudges_wait_while_dunst_is_paused(dunst):
    cfg = Config()
    lay = layout.load("smartchair-12")
    clock = ManualClock(START)
    src = SimSource(Simulator(lay, short_demo(3), 2, 3), clock)
    # The real probe on the real dunst. The daemon only reads the last answer; here the probe is
    # asked at the two moments that matter (no background rounds: cache_seconds is endless), so
    # the accelerated day does not race a thread.
    dnd = DoNotDisturb([NotificationServerProbe(CommandRunner(dunst.env), dunst.env)], clock,
                       cache_seconds=math.inf, poll=False, log=LOG)
    dunstctl(dunst, "set-paused", "true")
    assert dnd.refresh() == (True, "notifications: dunst is paused")
    gate = NudgeGate(cfg.nudges, clock, dnd=dnd)
    sink = DesktopSink(cfg.nudges.timeout, LOG, env=dunst.env)
    seen: list[tuple[datetime, dict[str, object]]] = []
    d = Daemon(cfg, lay, src, clock, sinks=Fanout([sink], LOG), gate=gate)
    d.listeners.append(lambda ev: seen.append((clock.now(), {**ev.data, "t": ev.t}))
                       if ev.event == "nudge" else None)
    waiting_at_resume = None
    while not src.done:
        if waiting_at_resume is None and clock.now() >= RESUME:
            waiting_at_resume = (dunstctl(dunst, "count", "waiting"),
                                 dunstctl(dunst, "count", "history"))
            dunstctl(dunst, "set-paused", "false")
            assert dnd.refresh() == (False, "")
        d.step(0)
    d.close()

    held = [(w, e) for w, e in seen if e.get("held")]
    delivered = [(w, e) for w, e in seen if e.get("delivered", True)]
    assert [e.get("kind") for _, e in held] == ["slouch", "asymmetric_load",
                                                "prolonged_sitting"]
    assert all(w < RESUME and e["held"] == "notifications: dunst is paused" for w, e in held)
    # sitwatch held them itself: dunst did not even queue them while paused
    assert waiting_at_resume == ("0", "0")
    assert delivered and all(w >= RESUME for w, _ in delivered)
    # At 09:47 the slouch (09:10) is long over and too old to send, the lopsided sitting (09:33)
    # is over too; "time to move" (09:45) still applies, as you are still sitting: it goes out.
    released = [e for w, e in delivered if w < RESUME + timedelta(seconds=10)]
    assert [e.get("kind") for e in released] == ["prolonged_sitting"]
    assert RESUME - timedelta(seconds=HOLD_AT_MOST) > START + timedelta(minutes=10, seconds=25)
    history = dunst.wait_history(len({(e.get("title"), e.get("message"))
                                       for _, e in delivered}))
    shown = [(h["summary"], h["body"]) for h in reversed(history)]
    assert set(shown) == {(e.get("title"), e.get("message")) for _, e in delivered}
    assert shown[0] == (released[0].get("title"), released[0].get("message"))
    assert sink.sent == len(delivered)
