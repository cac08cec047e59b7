"""Buttons on nudges against a real notification server: Xvfb + a private session bus + dunst.

How the click is made: tests/helpers/notify_server.py's MenuServer (dunst's context menu, drawn
by a script that picks one notification's action).

Debian packages: xvfb dbus dunst libnotify-bin libglib2.0-bin (+ coreutils' stdbuf). Skipped
with the list of what is missing; CI installs them.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from sitwatch.config import Config
from sitwatch.core.clock import ManualClock
from sitwatch.core.events import NUDGE, NUDGE_ACK, Event
from sitwatch.nudging import control
from sitwatch.nudging.gate import NudgeGate
from sitwatch.runtime.assemble import build_sinks
from sitwatch.runtime.daemon import Daemon
from sitwatch.sensing import layout
from sitwatch.sim.script import short_demo
from sitwatch.sim.simulator import Simulator
from sitwatch.sinks.actions import DONE, SNOOZE, ActionInbox
from sitwatch.sinks.desktop import DesktopSink
from sitwatch.sources.sim import SimSource

try:
    from tests.helpers.notify_server import MenuServer, missing_programs
except ImportError:  # pytest started without the repository root on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.helpers.notify_server import MenuServer, missing_programs

pytestmark = pytest.mark.integration

LOG = logging.getLogger("sitwatch.test.desktop_actions")
PACKAGES = "xvfb dbus dunst libnotify-bin libglib2.0-bin"
WAIT = 10.0  # seconds any single expectation may take

def _need(*programs: str) -> None:
    missing = [p for p in (*missing_programs(), "notify-send", "stdbuf", *programs)
               if shutil.which(p) is None]
    if missing:
        pytest.skip(f"needs {', '.join(sorted(set(missing)))} (Debian: apt-get install {PACKAGES})")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[MenuServer]:
    _need()
    with MenuServer(tmp_path / "notify") as srv:
        yield srv


class Clicks:
    """on_action that records and lets the test wait (the callback runs on a helper thread)."""

    def __init__(self) -> None:
        self.got: list[tuple[str, Event, str]] = []
        self.cond = threading.Condition()

    def __call__(self, action: str, event: Event) -> None:
        with self.cond:
            self.got.append((action, event, threading.current_thread().name))
            self.cond.notify_all()

    def wait(self, count: int, timeout: float = WAIT) -> list[tuple[str, Event, str]]:
        with self.cond:
            self.cond.wait_for(lambda: len(self.got) >= count, timeout)
            return list(self.got)


def until(check: Callable[[], Any], timeout: float = WAIT) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def nudge(kind: str, title: str) -> Event:
    return Event(1.0, NUDGE, None, {"kind": kind, "title": title,
                                    "message": "It's \"easy\" — naïve \\ ✓", "why": "test"})


def gone(pid: int) -> bool:
    return not Path(f"/proc/{pid}").exists()  # reaped: not even a zombie is left


@pytest.fixture
def sinks() -> Iterator[list[DesktopSink]]:
    made: list[DesktopSink] = []
    yield made
    for s in made:
        s.close()


def _sink(server: MenuServer, sinks: list[DesktopSink], on_action: Any, **kw: Any) -> DesktopSink:
    sink = DesktopSink(kw.pop("timeout", 30), LOG, env=server.env, on_action=on_action, **kw)
    sinks.append(sink)
    return sink


def daemon_sinks(server: MenuServer, monkeypatch: Any, cfg: Config) -> tuple[Any, DesktopSink]:
    """The sinks exactly as the daemon builds them (build_sinks), on the test's dunst: the
    Fanout and its desktop sink (which looks for the session in os.environ)."""
    for key in ("DISPLAY", "DBUS_SESSION_BUS_ADDRESS"):
        monkeypatch.setenv(key, server.env[key])
    fan = build_sinks(cfg, headless=False, json_lines=False)
    desktop = fan.find(DesktopSink)
    assert desktop is not None and desktop.on_action is not None and fan.inbox is not None
    return fan, desktop


@pytest.mark.parametrize("action", [SNOOZE, DONE])
def test_click_reaches_the_callback_for_the_right_nudge(server, sinks, caplog, action):
    clicks = Clicks()
    sink = _sink(server, sinks, clicks)
    slouch = nudge("slouch", "Don't slouch — café")
    sitting = nudge("prolonged_sitting", "Time to get up")
    with caplog.at_level(logging.WARNING, logger=LOG.name):
        sink.handle(slouch)
        sink.handle(sitting)
    assert caplog.records == []
    assert sink.with_buttons == 2 and sink.sent == 2
    waiting = sink.waiting()
    assert set(waiting) == {"slouch", "prolonged_sitting"}
    assert all(isinstance(i, int) for i in waiting.values())  # ids known at once (stdbuf)
    assert until(lambda: server.displayed() == 2)

    server.click(waiting["slouch"], action)
    (got,) = clicks.wait(1)
    assert got[0] == action and got[1] is slouch
    assert got[2].startswith("sitwatch-action-")  # on the helper's thread, not ours

    menu = server.menus()  # what the sitter saw: our labels, the title untouched
    assert f"#Snooze 30 min (Don't slouch — café) [{waiting['slouch']},snooze]" in menu
    assert f"#Done (Don't slouch — café) [{waiting['slouch']},done]" in menu
    assert until(lambda: set(sink.waiting()) == {"prolonged_sitting"})
    assert until(lambda: server.displayed() == 1)  # the clicked one is closed, the other stays
    assert clicks.wait(2, timeout=0.3) == [got]  # nothing else came


def test_inbox_hands_clicks_to_the_daemon_thread(server, sinks):
    inbox = ActionInbox()
    sink = _sink(server, sinks, inbox.put)
    ev = nudge("wallet", "Empty your back pocket")
    sink.handle(ev)
    server.click(sink.waiting()["wallet"], SNOOZE)
    assert until(lambda: len(inbox) == 1)
    assert inbox.drain() == [(SNOOZE, ev)]


def test_the_daemons_own_sinks_show_buttons_and_a_click_snoozes(server, tmp_path, monkeypatch):
    """Issue #14: the sinks exactly as the daemon builds them (build_sinks, desktop delivery on
    its background thread) show Snooze/Done on a real dunst, and a click there comes back
    through the Fanout's inbox to the daemon, which acknowledges it and snoozes."""
    cfg = Config(nudges={"console": False, "snooze_minutes": 20})
    fan, desktop = daemon_sinks(server, monkeypatch, cfg)
    lay = layout.load("smartchair-12")
    clock = ManualClock(datetime(2026, 1, 5, 9, 0).astimezone())
    src = SimSource(Simulator(lay, short_demo(3), 2, 3), clock)
    path = tmp_path / "control.json"
    gate = NudgeGate(cfg.nudges, clock, control=control.Watcher(path, clock.monotonic))
    d = Daemon(cfg, lay, src, clock, sinks=fan, gate=gate)
    shown: list[Event] = []
    d.listeners.append(lambda ev: shown.append(ev) if ev.event == NUDGE else None)
    try:
        while not shown and not src.done:
            d.step(0)
        assert shown, "the simulated day brought no nudge"
        kind = str(shown[-1].get("kind"))
        assert until(lambda: desktop.waiting().get(kind) is not None)  # shown, with its id
        assert desktop.with_buttons >= 1
        assert until(lambda: server.displayed() >= 1)
        server.click(desktop.waiting()[kind], SNOOZE)
        assert until(lambda: len(fan.inbox) == 1)
        acks = [e for e in d.step(0) if e.event == NUDGE_ACK]
        assert [(e.get("kind"), e.get("action")) for e in acks] == [(kind, SNOOZE)]
        snoozed = control.read(path).snoozed_until
        assert snoozed is not None
        assert abs((snoozed - clock.now()).total_seconds() - 20 * 60) < 5
    finally:
        d.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("sitwatch-action-")]


def test_newer_nudge_of_a_kind_replaces_the_older(server, sinks):
    clicks = Clicks()
    sink = _sink(server, sinks, clicks)
    first, second = nudge("slouch", "Slouch 1"), nudge("slouch", "Slouch 2")
    sink.handle(first)
    (old_pid,) = sink.helper_pids()
    old_id = sink.waiting()["slouch"]
    sink.handle(second)
    assert until(lambda: gone(old_pid))
    new_id = sink.waiting()["slouch"]
    assert new_id != old_id
    assert until(lambda: server.displayed() == 1)  # the old one was closed, not left behind
    server.click(new_id, DONE)
    assert [(a, e) for a, e, _ in clicks.wait(1)] == [(DONE, second)]


def test_close_leaves_no_child_and_no_dead_buttons(server, sinks):
    clicks = Clicks()
    sink = _sink(server, sinks, clicks)
    for kind in ("slouch", "wallet", "asymmetric_load"):
        sink.handle(nudge(kind, f"Nudge {kind}"))
    pids = sink.helper_pids()
    assert len(pids) == 3 and not any(gone(p) for p in pids)
    assert until(lambda: server.displayed() == 3)
    started = time.monotonic()
    sink.close()
    assert time.monotonic() - started < 5
    assert all(gone(p) for p in pids)
    assert not [t for t in threading.enumerate() if t.name.startswith("sitwatch-action-")]
    assert until(lambda: server.displayed() == 0)  # closed: no buttons nobody listens to
    assert clicks.got == []


def test_waiting_is_bounded_even_when_the_server_keeps_it(server, sinks):
    """dunst paused (as under do-not-disturb) keeps the notification past its timeout;
    the helper gives up after action_wait and closes it."""
    clicks = Clicks()
    sink = _sink(server, sinks, clicks, timeout=1, action_wait=1.5)
    server.dunstctl("set-paused", "true")
    sink.handle(nudge("slouch", "Held"))
    (pid,) = sink.helper_pids()
    assert int(server.dunstctl("count", "waiting")) == 1
    assert until(lambda: gone(pid), timeout=1.5 + 2 + WAIT)
    assert sink.waiting() == {}
    assert int(server.dunstctl("count", "waiting")) == 0  # closed by the helper on SIGINT
    server.dunstctl("set-paused", "false")
    assert clicks.got == []


def test_expired_notification_ends_its_helper(server, sinks):
    clicks = Clicks()
    sink = _sink(server, sinks, clicks, timeout=1)
    sink.handle(nudge("slouch", "Short"))
    (pid,) = sink.helper_pids()
    assert until(lambda: gone(pid), timeout=1 + WAIT)  # dunst expired it: notify-send exits
    (shown,) = server.wait_history(1)
    assert shown["summary"] == "Short" and shown["timeout"] == 1_000_000
    assert clicks.got == []


def test_gdbus_backend_falls_back_to_plain(server, sinks, tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    os.symlink(shutil.which("gdbus"), bindir / "gdbus")  # type: ignore[arg-type]
    sink = DesktopSink(20, LOG, env={**server.env, "PATH": str(bindir)}, on_action=Clicks())
    sinks.append(sink)
    sink.handle(nudge("slouch", "Plain"))
    assert sink.backend()[0] == "gdbus" and sink.sent == 1 and sink.waiting() == {}
    (shown,) = server.wait_history(1)
    assert shown["summary"] == "Plain"


def test_check_says_buttons_work(server):
    ok, detail = DesktopSink(20, LOG, env=server.env).check()
    assert ok and "buttons: yes" in detail


def test_not_right_is_on_posture_nudges_only_and_a_click_reaches_the_daemon(
        server, tmp_path, monkeypatch):
    """Issue #10: on a real dunst, "Not right" is offered on a lopsided nudge and not on "time
    to move"; clicking it comes back through the daemon's inbox, which eases the lopsided
    threshold at once and keeps the event and the feedback file, and says so on the desktop
    (a click met with silence left the sitter wondering whether it worked)."""
    import numpy as np

    from sitwatch.config import for_layout
    from sitwatch.core.events import FEEDBACK
    from sitwatch.nudging import feedback as fb
    from sitwatch.runtime.learning import Learner
    from sitwatch.sensing import calibration
    from sitwatch.sinks.actions import WRONG
    from tests.unit.runtime.test_daemon import EMPTY, SEATED, ScriptSource

    cfg = Config(detect={"sit_limit": 8, "balance": {"dwell": 1.0}},
                 nudges={"console": False, "imbalance_after": 6.0, "spacing": 0})
    fan, desktop = daemon_sinks(server, monkeypatch, cfg)
    lay = layout.load("load-cells-4")
    clock = ManualClock(datetime(2026, 1, 5, 9, 0).astimezone())
    prof = calibration.from_arrays(lay, tare=EMPTY, upright=SEATED, method="recording")
    left = np.array([24200.0, 14800, 11000, 6000])
    learner = Learner(for_layout(cfg, lay), tmp_path / "feedback.json", clock)
    d = Daemon(cfg, lay, ScriptSource(clock, [(3, EMPTY), (120, left)]), clock, profile=prof,
               sinks=fan, learner=learner)
    shown: dict[str, Event] = {}
    d.listeners.append(lambda ev: shown.setdefault(str(ev.get("kind")), ev)
                       if ev.event == NUDGE else None)
    try:
        for _ in range(200):
            d.step(0)
            if len(shown) == 2:
                break
        assert set(shown) == {"prolonged_sitting", "asymmetric_load"}
        waiting = until(lambda: len(desktop.waiting()) == 2 and desktop.waiting())
        assert waiting and all(v is not None for v in waiting.values())
        # "time to move": its menu has Done but no Not right
        server.click(waiting["prolonged_sitting"], DONE)
        assert until(lambda: len(fan.inbox) == 1)
        d.step(0)
        menu = server.menus()
        sit_id, lop_id = waiting["prolonged_sitting"], waiting["asymmetric_load"]
        assert f"[{sit_id},done]" in menu and f"[{sit_id},wrong]" not in menu
        assert f"[{lop_id},wrong]" in menu and "Not right" in menu
        server.click(lop_id, WRONG)
        assert until(lambda: len(fan.inbox) == 1)
        got = [e for e in d.step(0) if e.event == FEEDBACK]
        assert [(e.get("kind"), e.get("source"), e.get("steps")) for e in got] == [
            ("asymmetric_load", "button", 1)]
        assert d.pipeline.cfg.detect.balance.threshold == 0.2875
        assert fb.load(tmp_path / "feedback.json").steps == {"asymmetric_load": 1}
        # the click is answered on the desktop, in the words `sitwatch feedback wrong` prints,
        # in the clicked notification's place (its id), without buttons
        assert desktop.flush(WAIT)
        said = [n for n in server.wait_history(2) if n["summary"] == "sitwatch: noted"]
        assert len(said) == 1, server.history()
        assert said[0]["body"].startswith("Noted: that lopsided nudge was not right.")
        assert "Undo with `sitwatch feedback reset lopsided`." in said[0]["body"]
        assert said[0]["id"] == lop_id
        # a passing notice, not one to keep (the nudges are not)
        assert said[0]["category"] == "transient"
        assert {n["category"] for n in server.history() if n["summary"] != "sitwatch: noted"
                } == {""}
    finally:
        d.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("sitwatch-action-")]


def test_not_right_on_shift_your_weight_reaches_the_daemon_and_lets_smaller_moves_count(
        server, tmp_path, monkeypatch):
    """"Shift your weight" is a guess as well (that no move was big enough to be a shift): on
    a real dunst it has "Not right", and the click eases the static-sitting thresholds in the
    running pipeline and keeps them in the feedback file."""
    from sitwatch.config import for_layout
    from sitwatch.core.events import FEEDBACK
    from sitwatch.nudging import feedback as fb
    from sitwatch.runtime.learning import Learner
    from sitwatch.sim.script import Script, away, sit
    from sitwatch.sinks.actions import WRONG

    cfg = Config(nudges={"console": False, "dnd": {"enabled": False}})
    fan, desktop = daemon_sinks(server, monkeypatch, cfg)
    lay = layout.load("ethz-wheelchair-24")  # static sitting after 20 minutes (its default)
    clock = ManualClock(datetime(2026, 1, 5, 9, 0).astimezone())
    src = SimSource(Simulator(lay, Script([away(30), sit(25 * 60, fidget=0.0)], "still"), 2, 5),
                    clock)
    learner = Learner(for_layout(cfg, lay), tmp_path / "feedback.json", clock)
    d = Daemon(cfg, lay, src, clock, sinks=fan, learner=learner)
    shown: list[Event] = []
    d.listeners.append(lambda ev: shown.append(ev) if ev.event == NUDGE
                       and ev.get("kind") == "static_sitting" else None)
    try:
        while not shown and not src.done:
            d.step(0)
        assert shown, "20 still minutes brought no shift-your-weight nudge"
        ident = until(lambda: desktop.waiting().get("static_sitting"))
        assert ident is not None
        shipped = d.pipeline.cfg.detect.stillness
        server.click(ident, WRONG)
        assert until(lambda: len(fan.inbox) == 1)
        assert f"[{ident},wrong]" in server.menus()
        got = [e for e in d.step(0) if e.event == FEEDBACK]
        assert [(e.get("kind"), e.get("source"), e.get("steps")) for e in got] == [
            ("static_sitting", "button", 1)]
        eased = d.pipeline.cfg.detect.stillness
        assert eased.min_shift == pytest.approx(shipped.min_shift / 1.15)
        assert eased.after == shipped.after == 1200.0  # how long a stretch may be: theirs
        assert fb.load(tmp_path / "feedback.json").steps == {"static_sitting": 1}
    finally:
        d.close()


def test_the_notice_of_a_learned_way_has_not_right_and_a_click_forgets_the_way(
        server, tmp_path, monkeypatch):
    """When the daemon learns a way of sitting upright clear of the backrest it says so on a
    real dunst, with "Not right" as the notice's only button; the click comes back through the
    daemon's inbox, the way is forgotten and the profile on disk (written by the daemon's own
    ProfileKeeper) keeps it rejected, so it is not learned again."""
    from sitwatch.config import for_layout
    from sitwatch.core.events import CALIBRATION, FEEDBACK
    from sitwatch.runtime.assemble import ProfileKeeper
    from sitwatch.runtime.learning import Learner
    from sitwatch.sensing import calibration
    from sitwatch.sinks.actions import WRONG
    from tests.unit.runtime.test_learned_notice import LEAN, Frames
    from tests.unit.sensing.test_baseline_modes import CHAIR, UPRIGHT, chair_profile

    cfg = Config(nudges={"console": False, "dnd": {"enabled": False}})
    fan, desktop = daemon_sinks(server, monkeypatch, cfg)
    clock = ManualClock(datetime(2026, 1, 5, 9, 0).astimezone())
    path = tmp_path / "calibration-smartchair-12.json"
    chair_profile().save(path)
    prof = calibration.load(path)
    src = Frames(clock, [(90, UPRIGHT), (150, LEAN)])
    learner = Learner(for_layout(cfg, CHAIR), tmp_path / "feedback.json", clock)
    d = Daemon(cfg, CHAIR, src, clock, profile=prof, sinks=fan, learner=learner,
               save_profile=ProfileKeeper(path, prof))
    notices: list[Event] = []
    d.listeners.append(lambda ev: notices.append(ev) if ev.event == CALIBRATION
                       and ev.get("title") else None)
    try:
        while src.todo and not notices:
            d.step(0)
        assert notices, "no way of sitting was learned"
        saved = calibration.load(path).learned
        assert saved is not None and saved.ways == 1
        ident = until(lambda: desktop.waiting().get(CALIBRATION))
        assert ident is not None and until(lambda: server.displayed() >= 1)
        server.click(ident, WRONG)
        assert until(lambda: len(fan.inbox) == 1)
        menu = server.menus()
        assert f"[{ident},wrong]" in menu and "Not right" in menu
        assert f"[{ident},snooze]" not in menu and f"[{ident},done]" not in menu
        got = d.step(0)
        assert [(e.get("kind"), e.get("source"), e.get("applied")) for e in got
                if e.event == FEEDBACK] == [("learned", "button", True)]
        kept = calibration.load(path).learned
        assert kept is not None and kept.ways == 0 and len(kept.rejected) == 1
        assert d.pipeline.ways_learned() == 0
        # sat the same way again for minutes: not learned again, no new notice
        src.add(300, LEAN)
        while src.todo:
            d.step(0)
        assert len(notices) == 1 and d.pipeline.ways_learned() == 0
    finally:
        d.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("sitwatch-action-")]


def test_one_nudge_is_answered_not_right_once_by_its_button_and_the_command(
        server, tmp_path, monkeypatch, serial_pty):
    """"Not right" on "Still slumped" in the notification, then `sitwatch feedback wrong`: the
    command says it was already noted and the slouch thresholds move one step, not two. Naming
    a kind never shown is refused unless --force. The daemon as `sitwatch run` builds it, its
    desktop channel on a real dunst."""
    from sitwatch.core.events import FEEDBACK
    from sitwatch.nudging import feedback as fb
    from sitwatch.runtime.files import feedback_path
    from sitwatch.sinks.actions import WRONG
    from tests.integration.test_nudge_accounting import SEATED, SLUMP, Chair, cli

    for key in ("DISPLAY", "DBUS_SESSION_BUS_ADDRESS"):
        monkeypatch.setenv(key, server.env[key])
    chair = Chair(*serial_pty, {"desktop": True, "slouch_after": 1,
                                "cooldown": {"slouch": 5}})
    desktop = chair.daemon.sinks.find(DesktopSink)
    try:
        chair.play(SEATED, 3)
        chair.play(SLUMP, 40)
        shown = [e for e in chair.events if e.event == NUDGE]
        assert [e.get("level") for e in shown] == ["gentle", "firm"]  # "Still slumped"
        assert until(lambda: desktop.sent == 2)
        ident = until(lambda: desktop.waiting().get("slouch"))
        assert ident is not None and until(lambda: server.displayed() == 1)
        server.click(ident, WRONG)
        assert until(lambda: len(chair.daemon.inbox) == 1)
        got = [e for e in chair.play(SLUMP, 1) if e.event == FEEDBACK]
        assert [(e.get("kind"), e.get("source"), e.get("steps")) for e in got] == [
            ("slouch", "button", 1)]
    finally:
        chair.close()
    code, out, err = cli(tmp_path, "feedback", "wrong")
    assert code == 0, err
    assert out.startswith("Already noted: you said the slouching nudge of"), out
    assert "--force" in out
    code, out, _ = cli(tmp_path, "feedback", "wrong", "slouch")
    assert code == 0 and out.startswith("Already noted"), out
    assert fb.load(feedback_path(chair.cfg)).steps == {"slouch": 1}
    code, out, err = cli(tmp_path, "feedback", "wrong", "wallet")
    assert code == 2 and out == "" and "has not shown a wallet nudge lately" in err
    code, out, err = cli(tmp_path, "feedback", "wrong", "wallet", "--force")
    assert code == 0 and "that wallet nudge was not right" in out, err
    assert fb.load(feedback_path(chair.cfg)).steps == {"slouch": 1, "wallet": 1}


def test_dunst_gone_and_back_under_the_daemon(server, tmp_path, monkeypatch, caplog):
    """The notification server dies (killed, crashed, a desktop restart) while the daemon
    runs, then comes back. With buttons, notify-send printed id 0 and exited 1, which was taken
    for a notification shown: the nudge went nowhere without a word (at most an INFO that the
    server "shows no buttons"). Now the lost nudge is said once, in words that name the fix,
    and once dunst is back nudges show again, with their buttons, and that is said too."""
    cfg = Config(nudges={"console": False, "spacing": 0})
    fan, desktop = daemon_sinks(server, monkeypatch, cfg)
    lay = layout.load("smartchair-12")
    clock = ManualClock(datetime(2026, 1, 5, 9, 0).astimezone())
    src = SimSource(Simulator(lay, short_demo(3), 2, 3), clock)
    d = Daemon(cfg, lay, src, clock, sinks=fan, gate=NudgeGate(cfg.nudges, clock))
    shown: list[Event] = []
    d.listeners.append(lambda ev: shown.append(ev) if ev.event == NUDGE else None)

    def next_nudge() -> Event:
        had = len(shown)
        while len(shown) == had and not src.done:
            d.step(0)
        assert len(shown) > had, "the simulated day brought no more nudges"
        desktop.flush(WAIT)  # the desktop delivers on its own thread
        return shown[-1]

    try:
        with caplog.at_level(logging.INFO):
            next_nudge()
            assert until(lambda: server.displayed() == 1) and desktop.with_buttons == 1
            server.stop_notifications()
            next_nudge()
            assert until(lambda: desktop.failed == 1), (desktop.sent, desktop.failed)
            next_nudge()
            assert desktop.failed == 2
            server.start_notifications()
            next_nudge()
            assert until(lambda: server.displayed() == 1), "nothing shown after dunst came back"
    finally:
        d.close()
    said = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    lost = [m for m in said if "no notification server is running" in m]
    assert len(lost) == 1, said
    assert "start your desktop's notification daemon (e.g. dunst or mako)" in lost[0]
    assert not [m for m in said if "shows no buttons" in m], said
    assert [m for m in said if "work again" in m], said
    # ... and at the level of the loss: the daemon's journal shows WARNING and up by default,
    # where an INFO "work again" left the last word to the failure
    journal = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert [m for m in journal if "work again" in m], journal
    assert desktop.with_buttons == 2 and desktop.sent == 2
