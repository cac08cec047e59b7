"""Do-not-disturb logic with injected runners (canned tool output), plus the real runner's
handling of missing tools, time limits and a session bus without a screensaver."""

from __future__ import annotations

import logging
import os
import shutil
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from sitwatch.config import Config
from sitwatch.core.clock import ManualClock
from sitwatch.core.events import NUDGE, Event
from sitwatch.nudging.dnd import (
    OFF,
    ON,
    UNKNOWN,
    CallWindowProbe,
    CommandRunner,
    Completed,
    DndGate,
    DoNotDisturb,
    FullscreenProbe,
    LogindProbe,
    MicrophoneProbe,
    Reading,
    ScreenSaverProbe,
    ToolMissing,
    ToolTimeout,
    default_probes,
    parse_source_outputs,
)
from sitwatch.nudging.dnd import (
    Answer as DndAnswer,
)
from sitwatch.nudging.gate import DELIVER, HOLD, NudgeGate

LOG = logging.getLogger("sitwatch.test.dnd")
X11 = {"DISPLAY": ":5"}
BUS = {"DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent/bus"}

Answer = Completed | Exception


class FakeRunner:
    """Answers by the first rule whose argv prefix matches; records every call."""

    def __init__(self, rules: dict[tuple[str, ...], Answer | Callable[[], Answer]]) -> None:
        self.rules = rules
        self.calls: list[list[str]] = []

    def __call__(self, argv: Sequence[str]) -> Completed:
        self.calls.append(list(argv))
        for prefix, answer in self.rules.items():
            if tuple(argv[: len(prefix)]) == prefix:
                a = answer() if callable(answer) else answer
                if isinstance(a, Exception):
                    raise a
                return a
        raise AssertionError(f"unexpected command {argv}")


def ok(out: str) -> Completed:
    return Completed(0, out)


def fail(err: str, rc: int = 1) -> Completed:
    return Completed(rc, "", err)


# -- screensaver -------------------------------------------------------------------------------

FD = ("gdbus", "call", "--session", "--timeout", "1", "--dest", "org.freedesktop.ScreenSaver")
GN = ("gdbus", "call", "--session", "--timeout", "1", "--dest", "org.gnome.ScreenSaver")


@pytest.mark.parametrize(("fd", "gnome", "state"), [
    (ok("(true,)\n"), None, ON),
    (ok("(false,)\n"), None, OFF),
    (fail("Error: GDBus.Error:org.freedesktop.DBus.Error.ServiceUnknown"), ok("(true,)"), ON),
    (fail("Error: ServiceUnknown"), ok("(false,)"), OFF),
    (fail("Error: ServiceUnknown"), fail("Error: ServiceUnknown"), UNKNOWN),
])
def test_screensaver(fd, gnome, state):
    run = FakeRunner({FD: fd, GN: gnome or AssertionError("not asked")})
    assert ScreenSaverProbe(run, BUS).read().state == state


def test_screensaver_without_a_bus_asks_nothing(tmp_path):
    run = FakeRunner({})
    r = ScreenSaverProbe(run, {"XDG_RUNTIME_DIR": str(tmp_path)}).read()
    assert r == Reading(UNKNOWN, "no desktop session bus")
    assert run.calls == []


# -- logind ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("answer", "state"), [
    (ok("LockedHint=yes\n"), ON),
    (ok("LockedHint=no\n"), OFF),
    (ok(""), UNKNOWN),
    (fail("System has not been booted with systemd as init system (PID 1). Can't operate."),
     UNKNOWN),
])
def test_logind(answer, state):
    run = FakeRunner({("loginctl",): answer})
    assert LogindProbe(run, {"XDG_SESSION_ID": "c7"}).read().state == state
    assert run.calls == [["loginctl", "show-session", "c7", "-p", "LockedHint"]]


def test_logind_without_a_session_id_asks_for_the_display_session():
    run = FakeRunner({("loginctl",): ok("LockedHint=no")})
    LogindProbe(run, {}).read()
    assert run.calls[0][2] == "auto"


# -- fullscreen --------------------------------------------------------------------------------

ROOT = ("xprop", "-display", ":5", "-root")
WIN = ("xprop", "-display", ":5", "-id", "0x2a00007")
ACTIVE = ("_NET_ACTIVE_WINDOW(WINDOW): window id # 0x2a00007\n"
          "_NET_SUPPORTING_WM_CHECK(WINDOW): window id # 0x200004\n")


@pytest.mark.parametrize(("root", "win", "state", "reason"), [
    (ok(ACTIVE), ok('_NET_WM_STATE(ATOM) = _NET_WM_STATE_FOCUSED, _NET_WM_STATE_FULLSCREEN\n'
                    'WM_CLASS(STRING) = "Navigator", "firefox"\n'), ON,
     "fullscreen window (firefox)"),
    (ok(ACTIVE), ok('_NET_WM_STATE(ATOM) = _NET_WM_STATE_MAXIMIZED_VERT, '
                    '_NET_WM_STATE_MAXIMIZED_HORZ\nWM_CLASS(STRING) = "code", "Code"\n'),
     OFF, "the active window is not fullscreen"),
    (ok(ACTIVE), ok("_NET_WM_STATE:  not found.\nWM_CLASS(STRING) = \"xterm\", \"XTerm\"\n"),
     OFF, "the active window is not fullscreen"),
    (ok(ACTIVE), fail("xprop: error: Invalid window id format: 0x2a00007."), OFF,
     "the active window went away"),
    (ok("_NET_ACTIVE_WINDOW(WINDOW): window id # 0x0\n"), None, OFF, "no active window"),
    (ok("_NET_ACTIVE_WINDOW:  not found.\n"
        "_NET_SUPPORTING_WM_CHECK(WINDOW): window id # 0x200004\n"), None, OFF,
     "no active window"),
    (ok("_NET_ACTIVE_WINDOW:  not found.\n_NET_SUPPORTING_WM_CHECK:  not found.\n"), None,
     UNKNOWN, "no EWMH window manager publishes the active window"),
    (fail("xprop:  unable to open display ':5'"), None, UNKNOWN,
     "xprop: xprop:  unable to open display ':5'"),
])
def test_fullscreen(root, win, state, reason):
    run = FakeRunner({ROOT: root, WIN: win or AssertionError("not asked")})
    assert FullscreenProbe(run, X11).read() == Reading(state, reason)


def test_fullscreen_without_a_display_is_unknown():
    run = FakeRunner({})
    r = FullscreenProbe(run, {"WAYLAND_DISPLAY": "wayland-0"}).read()
    assert r.state == UNKNOWN and "Wayland" in r.reason
    assert run.calls == []


# -- microphone --------------------------------------------------------------------------------

SOURCE_OUTPUTS = """\
Source Output #41
\tDriver: protocol-native.c
\tOwner Module: 10
\tClient: 77
\tSource: 2
\tSample Specification: float32le 1ch 48000Hz
\tCorked: no
\tMute: no
\tProperties:
\t\tmedia.name = "WebRTC VoiceEngine"
\t\tapplication.name = "Firefox"
\t\tapplication.process.binary = "firefox"
Source Output #42
\tSource: 1
\tCorked: no
\tProperties:
\t\tmedia.name = "Peak detect"
\t\tapplication.name = "PulseAudio Volume Control"
\t\tapplication.process.binary = "pavucontrol"
Source Output #43
\tSource: 3
\tCorked: no
\tProperties:
\t\tapplication.name = "OBS"
\t\tapplication.process.binary = "obs"
Source Output #44
\tSource: 2
\tCorked: yes
\tProperties:
\t\tapplication.name = "Slack"
"""
SHORT_SOURCES = ("1\talsa_input.pci.analog-stereo\tmodule-alsa-card.c\ts16le 2ch 44100Hz\tIDLE\n"
                 "2\talsa_input.usb-headset.mono\tmodule-alsa-card.c\ts16le 1ch 48000Hz\tRUNNING\n"
                 "3\talsa_output.pci.analog-stereo.monitor\tmodule-alsa-card.c\ts16le 2ch\tIDLE\n")


def test_parse_source_outputs():
    streams = parse_source_outputs(SOURCE_OUTPUTS)
    assert [s["id"] for s in streams] == ["41", "42", "43", "44"]
    assert streams[0]["application.name"] == "Firefox" and streams[0]["source"] == "2"
    assert streams[3]["corked"] == "yes"


def test_microphone_in_a_call():
    run = FakeRunner({("pactl", "list", "source-outputs"): ok(SOURCE_OUTPUTS),
                      ("pactl", "list", "short", "sources"): ok(SHORT_SOURCES)})
    # Firefox records the headset: a call. pavucontrol (a meter), OBS (records a monitor,
    # i.e. the speakers) and a paused Slack stream do not count.
    assert MicrophoneProbe(run).read() == Reading(ON, "microphone in use by Firefox")


def test_microphone_only_meters_and_monitors():
    only_others = SOURCE_OUTPUTS.split("Source Output #42")[1]
    run = FakeRunner({("pactl", "list", "source-outputs"): ok("Source Output #42" + only_others),
                      ("pactl", "list", "short", "sources"): ok(SHORT_SOURCES)})
    assert MicrophoneProbe(run).read().state == OFF


def test_microphone_idle_and_no_sound_server():
    run = FakeRunner({("pactl", "list", "source-outputs"): ok("")})
    assert MicrophoneProbe(run).read() == Reading(OFF, "nothing records from a microphone")
    run = FakeRunner({("pactl",): fail("Connection failure: Connection refused")})
    r = MicrophoneProbe(run).read()
    assert r.state == UNKNOWN and "Connection refused" in r.reason


def test_microphone_ignore_list_is_configurable():
    run = FakeRunner({("pactl", "list", "source-outputs"): ok(SOURCE_OUTPUTS),
                      ("pactl", "list", "short", "sources"): ok(SHORT_SOURCES)})
    assert MicrophoneProbe(run, ignore=["firefox", "pavucontrol"]).read().state == OFF


# -- call windows ------------------------------------------------------------------------------

def test_call_window():
    run = FakeRunner({("xdotool", "search"): ok("62914567\n"),
                      ("xdotool", "getwindowname"): ok("Zoom Meeting\n")})
    probe = CallWindowProbe(run, X11, titles=["Zoom Meeting", "Meet - (x)"])
    assert probe.read() == Reading(ON, "call window open (Zoom Meeting)")
    assert run.calls[0] == ["xdotool", "search", "--onlyvisible", "--name",
                            r"Zoom Meeting|Meet - \(x\)"]
    run = FakeRunner({("xdotool", "search"): Completed(1, "", "")})
    assert CallWindowProbe(run, X11).read().state == OFF
    run = FakeRunner({("xdotool", "search"): fail("Error: Can't open display: :5")})
    assert CallWindowProbe(run, X11).read().state == UNKNOWN


# -- the decision ------------------------------------------------------------------------------

class Scripted:
    def __init__(self, name: str, *readings: Reading | Exception) -> None:
        self.name = name
        self.readings = list(readings)
        self.asked = 0

    def read(self) -> Reading:
        self.asked += 1
        r = self.readings[min(self.asked, len(self.readings)) - 1]
        if isinstance(r, Exception):
            raise r
        return r


class Held:
    """A probe as slow as the test wants: each read() waits (at most 2 s, a real probe's limit)
    until the test lets one round go with ``go.release()``; then the next of ``readings``."""

    def __init__(self, name: str, *readings: Reading) -> None:
        self.name = name
        self.readings = list(readings)
        self.go = threading.Semaphore(0)
        self.entered = threading.Semaphore(0)  # released once per read() begun
        self.asked = 0
        self.finished = 0

    def read(self) -> Reading:
        self.asked += 1
        self.entered.release()
        self.go.acquire(timeout=2.0)
        r = self.readings[min(self.asked, len(self.readings)) - 1]
        self.finished += 1
        return r


@pytest.fixture
def dnds() -> Iterator[Callable[..., DoNotDisturb]]:
    """DoNotDisturb without the timed background poll (rounds only when an old answer is read:
    deterministic), closed after the test."""
    made: list[DoNotDisturb] = []

    def make(probes: Sequence[Scripted | Held], clock: ManualClock, **kw: Any) -> DoNotDisturb:
        d = DoNotDisturb(probes, clock, log=LOG, poll=False, **kw)
        made.append(d)
        return d

    yield make
    for d in made:
        d.close()


def settled(dnd: DoNotDisturb) -> tuple[bool, str]:
    """The answer once the background round asked for has finished."""
    assert dnd.wait_idle(10)
    return dnd.active()


def test_first_busy_probe_wins_and_later_ones_are_not_asked(dnds):
    a = Scripted("screensaver", Reading(OFF, "not locked"))
    b = Scripted("fullscreen", Reading(ON, "fullscreen window (mpv)"))
    c = Scripted("microphone", Reading(ON, "mic"))
    dnd = dnds([a, b, c], ManualClock())
    assert dnd.refresh() == (True, "fullscreen: fullscreen window (mpv)")
    assert (a.asked, b.asked, c.asked) == (1, 1, 0)
    assert dnd.active() == (True, "fullscreen: fullscreen window (mpv)")  # kept
    assert (a.asked, b.asked, c.asked) == (1, 1, 0)


def test_answers_are_cached_for_cache_seconds(dnds):
    p = Scripted("fullscreen", Reading(ON, "film"), Reading(OFF, "done"))
    clock = ManualClock()
    dnd = dnds([p], clock, cache_seconds=10)
    assert dnd.active() == (False, "")  # nothing known yet: not busy; a round is asked for
    assert settled(dnd)[0] is True and p.asked == 1
    clock.advance(9.9)
    assert dnd.active()[0] is True
    assert settled(dnd)[0] is True and p.asked == 1  # fresh: the probes were not asked
    clock.advance(0.1)
    assert dnd.active()[0] is True  # too old: still returned, and a new round is asked for
    assert settled(dnd) == (False, "") and p.asked == 2
    dnd.invalidate()
    assert dnd.active() == (False, "")
    assert settled(dnd) == (False, "") and p.asked == 3


def test_unknown_and_broken_probes_never_count_and_are_logged_once(caplog, dnds):
    missing = Scripted("fullscreen", ToolMissing("xprop is not installed (Debian: x11-utils)"))
    slow = Scripted("screensaver", ToolTimeout("gdbus did not answer within 2 s"))
    buggy = Scripted("microphone", RuntimeError("boom"))
    clock = ManualClock()
    dnd = dnds([missing, slow, buggy], clock, cache_seconds=1)
    with caplog.at_level(logging.INFO, logger=LOG.name):
        for _ in range(3):
            dnd.active()
            assert settled(dnd) == (False, "")
            clock.advance(1)
    assert dnd.checks == 3
    msgs = [r.getMessage() for r in caplog.records]
    assert len(msgs) == 3, msgs
    assert "x11-utils" in msgs[0] and "2 s" in msgs[1] and "RuntimeError: boom" in msgs[2]


def test_a_slow_probe_never_delays_active(dnds):
    """The probes are subprocesses of up to 2 s each: reading the answer must not wait for them
    (it did: the daemon's loop stood still while a nudge was held)."""
    probe = Held("fullscreen", Reading(ON, "film"))
    dnd = dnds([probe], ManualClock())
    assert dnd.active() == (False, "")  # nothing known yet; a round starts in the background
    assert probe.entered.acquire(timeout=10)  # that round is now inside the slow probe ...
    for _ in range(3):
        assert dnd.active() == (False, "")  # ... and reading does not wait for it
    assert probe.finished == 0  # it really is still running
    probe.go.release()
    assert settled(dnd) == (True, "fullscreen: film")


def test_the_answer_says_how_old_it_is(dnds):
    probe = Scripted("screensaver", Reading(ON, "screen locked"))
    clock = ManualClock()
    dnd = dnds([probe], clock, cache_seconds=10)
    assert dnd.answer() == DndAnswer(False, "", None)
    assert dnd.wait_idle(10)
    clock.advance(3)
    assert dnd.answer() == DndAnswer(True, "screensaver: screen locked", 3.0)
    assert dnd.wait_idle(10) and probe.asked == 1  # 3 s old is fresh: not asked again


def test_start_gets_a_first_answer_before_anybody_asks(dnds):
    probe = Scripted("logind", Reading(ON, "session 3 is locked"))
    dnd = dnds([probe], ManualClock())
    dnd.start()
    assert dnd.wait_idle(10) and probe.asked == 1
    assert dnd.active() == (True, "logind: session 3 is locked")


def test_close_stops_the_background_thread(dnds):
    probe = Scripted("logind", Reading(OFF, "not locked"))
    dnd = dnds([probe], ManualClock(), cache_seconds=0)
    dnd.start()
    assert dnd.wait_idle(10)
    dnd.close()
    assert not [t for t in threading.enumerate() if t.name == "sitwatch-dnd" and t.is_alive()
                and t is dnd._thread]
    assert dnd.active() == (False, "") and dnd.wait_idle(0) and probe.asked == 1


def test_the_nudge_gate_never_waits_for_the_probes(dnds):
    """NudgeGate.decide() and release() (called every loop turn while a nudge is held) read
    the last answer; the probes' rounds go on beside them."""
    probe = Held("microphone", Reading(ON, "microphone in use by zoom"),
                 Reading(OFF, "nothing records from a microphone"))
    clock = ManualClock()
    cfg = Config()
    dnd = dnds([probe], clock, cache_seconds=cfg.nudges.dnd.cache_seconds)
    gate = NudgeGate(cfg.nudges, clock, dnd=dnd)
    nudge = Event(1.0, NUDGE, None, {"kind": "slouch", "title": "t", "message": "m"})
    dnd.start()
    assert probe.entered.acquire(timeout=10)
    assert gate.decide(nudge).action == DELIVER  # no answer yet: as if no probe could tell
    probe.go.release()
    assert dnd.wait_idle(10)
    d = gate.decide(nudge)
    assert (d.action, d.reason) == (HOLD, "microphone: microphone in use by zoom")
    clock.advance(cfg.nudges.dnd.cache_seconds)
    assert gate.release(lambda e: True) == []  # still busy as far as we know ...
    assert probe.entered.acquire(timeout=10)  # ... while the next round is in the probe
    for _ in range(3):
        assert gate.release(lambda e: True) == []
    assert probe.finished == 1
    probe.go.release()
    assert dnd.wait_idle(10)
    assert gate.release(lambda e: True) == [nudge]


def test_check_for_doctor():
    dnd = DoNotDisturb([Scripted("screensaver", Reading(OFF, "not locked")),
                        Scripted("fullscreen", Reading(UNKNOWN, "no X display"))],
                       ManualClock(), log=LOG)
    ok_, text = dnd.check()
    assert ok_ and "screensaver: off" in text and "fullscreen (no X display)" in text
    dnd = DoNotDisturb([Scripted("fullscreen", Reading(UNKNOWN, "no X display"))],
                       ManualClock(), log=LOG)
    assert dnd.check()[0] is False


def test_gate_holds_nudges_while_busy_and_passes_the_rest(caplog, dnds):
    got: list[Event] = []

    class Sink:
        name = "desktop"

        def handle(self, event: Event) -> None:
            got.append(event)

        def close(self) -> None:
            got.append(Event(0, "closed"))

    p = Scripted("fullscreen", Reading(ON, "fullscreen window (mpv)"),
                 Reading(OFF, "not fullscreen"))
    clock = ManualClock()
    dnd = dnds([p], clock, cache_seconds=5)
    gate = DndGate(Sink(), dnd, log=LOG)
    nudge = Event(1.0, NUDGE, None, {"kind": "slouch", "title": "t", "message": "m"})
    dnd.refresh()
    with caplog.at_level(logging.INFO, logger=LOG.name):
        gate.handle(nudge)
        gate.handle(Event(1.0, "posture", "slouched"))
        clock.advance(5)
        dnd.active()  # too old: the probes are asked again, in the background
        assert dnd.wait_idle(10)
        gate.handle(nudge)
        gate.close()
    assert [e.event for e in got] == ["posture", NUDGE, "closed"]
    assert gate.held == 1 and gate.name == "desktop"
    assert "fullscreen window (mpv)" in caplog.records[0].getMessage()


def test_default_probes_by_name():
    run = FakeRunner({})
    assert [p.name for p in default_probes(run=run, env={})] == [
        "screensaver", "logind", "notifications", "show_banners", "fullscreen",
        "wayland_fullscreen", "screen_share", "camera", "microphone", "call_window"]
    assert [p.name for p in default_probes(["fullscreen"], run=run, env={})] == ["fullscreen"]
    with pytest.raises(ValueError, match="unknown do-not-disturb probe"):
        default_probes(["telepathy"], run=run, env={})


# -- the real runner -------------------------------------------------------------------------------

def test_runner_reports_a_missing_tool_with_its_package(tmp_path):
    run = CommandRunner({"PATH": str(tmp_path)})
    with pytest.raises(ToolMissing, match=r"xprop is not installed \(Debian: x11-utils\)"):
        run(["xprop", "-root"])


def test_runner_time_limit(tmp_path):
    run = CommandRunner({"PATH": os.environ.get("PATH", os.defpath)}, timeout=0.3)
    with pytest.raises(ToolTimeout, match=r"did not answer within 0\.3 s"):
        run(["sh", "-c", "sleep 5"])
    done = run(["sh", "-c", 'echo "$LC_ALL"'])
    assert done == Completed(0, "C\n", "")


def test_real_tools_without_a_desktop_say_unknown(tmp_path, caplog):
    env = {"PATH": os.environ.get("PATH", os.defpath), "XDG_RUNTIME_DIR": str(tmp_path),
           "XDG_SESSION_ID": "no-such-session", "PULSE_SERVER": f"unix:{tmp_path}/nothing"}
    dnd = DoNotDisturb(default_probes(env=env, camera_devices=[f"{tmp_path}/video*"]),
                       ManualClock(), log=LOG, poll=False)
    with caplog.at_level(logging.INFO, logger=LOG.name):
        assert dnd.refresh() == (False, "")
    states = {name: r.state for name, r in dnd.readings()}
    assert set(states.values()) == {UNKNOWN}, dnd.readings()


@pytest.mark.integration
def test_real_session_bus_without_a_screensaver(tmp_path):
    """gdbus against a real private session bus on which nobody owns a screensaver name."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.helpers.notify_server import NotificationServer, missing_programs

    missing = [p for p in missing_programs() if p not in ("dunst", "dunstctl")]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (Debian: xvfb dbus libglib2.0-bin)")
    with NotificationServer(tmp_path / "bus", dunst=False) as srv:
        r = ScreenSaverProbe(CommandRunner(srv.env), srv.env).read()
    assert r == Reading(UNKNOWN, "no screensaver service answers on the session bus")
    assert shutil.which("gdbus")
