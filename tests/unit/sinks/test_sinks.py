"""Sinks: fanout error containment, console lines, the desktop sink's decisions (no real bus)."""

from __future__ import annotations

import io
import json
import logging
import os
import stat
import sys
import threading
import types
from datetime import datetime
from pathlib import Path

import pytest

from sitwatch.core.events import NUDGE, OCCUPANCY, SENSOR, Event
from sitwatch.sinks.base import Fanout
from sitwatch.sinks.console import ConsoleSink, format_event
from sitwatch.sinks.desktop import (
    CONSOLE_ONLY,
    ICON,
    NO_BACKEND_MESSAGE,
    NO_BUS_MESSAGE,
    DesktopSink,
    gvariant_string,
)

LOG = logging.getLogger("sitwatch.test")


def nudge(title: str = "Time to get up",
          message: str = "Stand up and walk for two or three minutes.") -> Event:
    return Event(100.0, NUDGE, None, {"kind": "prolonged_sitting", "title": title,
                                      "message": message, "why": "because"})


OCC = Event(5.0, OCCUPANCY, "occupied")


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


class Recorder:
    def __init__(self, name: str = "rec") -> None:
        self.name = name
        self.events: list[Event] = []
        self.closed = False

    def handle(self, event: Event) -> None:
        self.events.append(event)

    def close(self) -> None:
        self.closed = True


class Broken:
    def __init__(self, name: str = "broken", exc: Exception | None = None) -> None:
        self.name = name
        self.exc = exc or RuntimeError("disk full")
        self.calls = 0

    def handle(self, event: Event) -> None:
        self.calls += 1
        raise self.exc

    def close(self) -> None:
        raise OSError("close failed")


def records(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == level]


# -- Fanout ------------------------------------------------------------------------------------


def test_fanout_delivers_to_every_sink_despite_a_failing_one(caplog):
    a, bad, b = Recorder("a"), Broken(), Recorder("b")
    fan = Fanout([a, bad, b], LOG)
    with caplog.at_level(logging.INFO, logger=LOG.name):
        for _ in range(5):
            fan.handle(OCC)
    assert len(a.events) == 5 and len(b.events) == 5 and bad.calls == 5
    errors = records(caplog, logging.ERROR)
    assert len(errors) == 1
    assert "broken" in errors[0] and "disk full" in errors[0]
    assert fan.errors == {"broken": 5}


def test_fanout_logs_each_distinct_error_once_and_reminds_later(caplog):
    clock = Clock()
    bad = Broken()
    fan = Fanout([bad], LOG, repeat_after=600, clock=clock)
    with caplog.at_level(logging.INFO, logger=LOG.name):
        fan.handle(OCC)
        fan.handle(OCC)
        bad.exc = ValueError("other problem")
        fan.handle(OCC)
        fan.handle(OCC)
        assert len(records(caplog, logging.ERROR)) == 2
        assert records(caplog, logging.WARNING) == []
        clock.t += 601
        fan.handle(OCC)
        warnings = records(caplog, logging.WARNING)
        assert len(warnings) == 1 and "still failing" in warnings[0]
        assert "other problem" in warnings[0]
        fan.handle(OCC)  # right after a reminder: quiet again
        assert len(records(caplog, logging.WARNING)) == 1


def test_fanout_bounds_distinct_errors(caplog):
    bad = Broken()
    fan = Fanout([bad], LOG)
    with caplog.at_level(logging.ERROR, logger=LOG.name):
        for i in range(100):
            bad.exc = RuntimeError(f"error {i}")
            fan.handle(OCC)
    assert len(records(caplog, logging.ERROR)) == Fanout.MAX_DISTINCT + 1


def test_fanout_logs_recovery_once(caplog):
    bad = Broken("flaky")
    fan = Fanout([bad], LOG)
    with caplog.at_level(logging.INFO, logger=LOG.name):
        fan.handle(OCC)
        bad.handle = lambda event: None  # type: ignore[method-assign]
        fan.handle(OCC)
        fan.handle(OCC)
    infos = records(caplog, logging.INFO)
    assert infos == ["sink flaky delivers events again"]


def test_fanout_close_closes_all_even_if_one_fails(caplog):
    a, bad, b = Recorder("a"), Broken(), Recorder("b")
    fan = Fanout([a, bad], LOG)
    fan.add(b)
    with caplog.at_level(logging.ERROR, logger=LOG.name):
        fan.close()
    assert a.closed and b.closed
    assert any("close failed" in m for m in records(caplog, logging.ERROR))


def test_fanout_does_not_swallow_keyboard_interrupt():
    bad = Broken(exc=KeyboardInterrupt())  # type: ignore[arg-type]
    with pytest.raises(KeyboardInterrupt):
        Fanout([bad], LOG).handle(OCC)


# -- ConsoleSink -------------------------------------------------------------------------------

NOON = datetime(2026, 1, 5, 14, 5).astimezone()


def test_console_prints_a_friendly_nudge_line():
    out = io.StringIO()
    sink = ConsoleSink(out, now=lambda: NOON)
    sink.handle(nudge())
    sink.handle(OCC)  # state changes are off by default
    assert out.getvalue() == (
        "14:05 · Time to get up — Stand up and walk for two or three minutes.\n")


def test_console_states_when_asked():
    out = io.StringIO()
    sink = ConsoleSink(out, states=True, now=lambda: NOON)
    sink.handle(OCC)
    sink.handle(Event(6.0, SENSOR, "offline", {"reason": "cushion unplugged"}))
    sink.handle(Event(7.0, "break", None, {"duration": 300.0, "spell": 2700.0}))
    sink.handle(Event(8.0, "diagnosis", None, {"message": "wrong baud rate?"}))
    assert out.getvalue().splitlines() == [
        "14:05 · occupancy: occupied",
        "14:05 · sensor: offline (cushion unplugged)",
        "14:05 · break: 5 min after 45 min of sitting",
        "14:05 · cushion: wrong baud rate?",
    ]


def test_console_says_in_words_that_a_restart_carried_the_spell_on():
    out = io.StringIO()
    sink = ConsoleSink(out, states=True, now=lambda: NOON)
    sink.handle(Event(0.0, "spell_resumed", None, {"spell": 1500.0, "away": 20.0}))
    assert out.getvalue() == "14:05 · a restart is not a break: the sitting spell of 25 min " \
                             "goes on\n"


def test_console_says_a_restart_came_while_the_sitter_was_away():
    """The last daemon saw the seat empty: the absence goes on, no spell goes on."""
    out = io.StringIO()
    sink = ConsoleSink(out, states=True, now=lambda: NOON)
    sink.handle(Event(0.0, "spell_resumed", "empty", {"spell": 1500.0, "away": 630.0}))
    assert out.getvalue() == "14:05 · restarted while you were away: away 11 min so far, " \
                             "after 25 min of sitting\n"


def test_console_json_lines_prints_every_event_with_when_it_happened():
    out = io.StringIO()
    sink = ConsoleSink(out, json_lines=True, now=lambda: NOON)
    sink.handle(nudge("Don't slouch — café"))
    sink.handle(OCC)
    lines = out.getvalue().splitlines()
    at = NOON.isoformat(timespec="seconds")  # as the MQTT channel dates them
    assert [json.loads(line) for line in lines] == [
        {**nudge("Don't slouch — café").as_dict(), "at": at}, {**OCC.as_dict(), "at": at}]
    assert "café" in lines[0]  # not \u00e9


def test_console_close_tolerates_a_closed_stream():
    out = io.StringIO()
    sink = ConsoleSink(out)
    out.close()
    sink.close()


def test_format_event_without_message():
    assert format_event(Event(1.0, NUDGE, None, {"title": "Hi"})) == "Hi"


def test_the_stand_in_camera_seeing_the_seat_again_is_not_the_cameras_own_return():
    """Both are ``sensor`` ``online`` events from the camera; the stand-in's (fusion rule O2)
    says how long nothing saw the seat, which the spell leaves out; JSON keeps the event."""
    own = Event(1.0, SENSOR, "online", {"source": "camera"})
    stand_in = Event(4.0, SENSOR, "online", {"source": "camera", "rule": "O2", "unseen": 93.4})
    assert format_event(own) == "sensor: online (camera)"
    assert format_event(stand_in) == ("camera stands in for the offline cushion: 93 s unseen, "
                                      "left out of the sitting spell")
    out = io.StringIO()
    ConsoleSink(out, json_lines=True).handle(stand_in)
    assert json.loads(out.getvalue())["rule"] == "O2"


# -- DesktopSink: decisions without a real bus ---------------------------------------------------


@pytest.fixture
def bus_env(tmp_path: Path) -> dict[str, str]:
    """An environment whose session bus 'exists' (a plain file stands in for the socket)."""
    sock = tmp_path / "bus"
    sock.touch()
    return {"DBUS_SESSION_BUS_ADDRESS": f"unix:path={sock}", "PATH": str(tmp_path / "bin"),
            "LANG": "C.UTF-8"}


class FakeNotify:
    def __init__(self) -> None:
        self.calls: list[dict[str, object]] = []
        self.exc: Exception | None = None

    def __call__(self, **kw: object) -> None:
        self.calls.append(kw)
        if self.exc:
            raise self.exc


def test_desktop_shows_only_nudges(bus_env):
    fake = FakeNotify()
    sink = DesktopSink(12.5, LOG, env=bus_env, notify=fake)
    sink.handle(OCC)
    sink.handle(nudge())
    assert fake.calls == [{"title": "Time to get up",
                           "message": "Stand up and walk for two or three minutes.",
                           "app_name": "sitwatch", "timeout": 12.5}]
    assert sink.sent == 1


def test_desktop_reports_a_missing_bus_once_and_backs_off(tmp_path, caplog):
    clock = Clock()
    fake = FakeNotify()
    env: dict[str, str] = {"XDG_RUNTIME_DIR": str(tmp_path)}  # no DBUS_SESSION_BUS_ADDRESS, no bus
    sink = DesktopSink(20, LOG, env=env, notify=fake, retry_after=300, clock=clock)
    with caplog.at_level(logging.DEBUG, logger=LOG.name):
        for _ in range(3):
            sink.handle(nudge())
            clock.t += 10
    warnings = records(caplog, logging.WARNING)
    assert len(warnings) == 1
    assert warnings[0].startswith(NO_BUS_MESSAGE)
    assert str(tmp_path / "bus") in warnings[0]
    assert warnings[0].endswith(f"; {CONSOLE_ONLY}")  # the daemon says where nudges go
    assert fake.calls == [] and sink.skipped == 3

    # The bus appears (the session started): not looked for again until retry_after has passed.
    (tmp_path / "bus").touch()
    sink.handle(nudge())
    assert fake.calls == []
    clock.t += 300
    with caplog.at_level(logging.INFO, logger=LOG.name):
        sink.handle(nudge())
    assert len(fake.calls) == 1
    assert any("session bus found" in m for m in records(caplog, logging.WARNING))
    assert sink.child_env(sink.session_bus()[0])["DBUS_SESSION_BUS_ADDRESS"] == \
        f"unix:path={tmp_path / 'bus'}"


def test_desktop_stale_bus_address_counts_as_no_bus(tmp_path, caplog):
    env = {"DBUS_SESSION_BUS_ADDRESS": f"unix:path={tmp_path}/gone,guid=abc"}
    sink = DesktopSink(20, LOG, env=env, notify=FakeNotify())
    assert sink.session_bus() == (None, f"DBUS_SESSION_BUS_ADDRESS names {tmp_path}/gone, "
                                        "which does not exist")
    with caplog.at_level(logging.WARNING, logger=LOG.name):
        assert sink.send("t", "m") is False
    ok, detail = sink.check()
    assert not ok and detail.startswith(NO_BUS_MESSAGE)


def test_desktop_abstract_bus_address_is_taken_on_trust():
    env = {"DBUS_SESSION_BUS_ADDRESS": "unix:abstract=/tmp/dbus-XYZ,guid=1"}
    sink = DesktopSink(20, LOG, env=env)
    assert sink.session_bus()[0] == "unix:abstract=/tmp/dbus-XYZ,guid=1"


def test_desktop_backend_failure_logged_once_never_raised(bus_env, caplog):
    fake = FakeNotify()
    fake.exc = RuntimeError("org.freedesktop.DBus.Error.ServiceUnknown")
    sink = DesktopSink(20, LOG, env=bus_env, notify=fake)
    with caplog.at_level(logging.INFO, logger=LOG.name):
        for _ in range(3):
            assert sink.send("t", "m") is False
        assert len(records(caplog, logging.WARNING)) == 1
        assert "ServiceUnknown" in records(caplog, logging.WARNING)[0]
        fake.exc = None
        assert sink.send("t", "m") is True
        assert sink.send("t", "m") is True
    assert records(caplog, logging.WARNING)[1:] == ["desktop notifications work again (custom)"]
    assert records(caplog, logging.INFO) == []
    assert sink.failed == 3 and sink.sent == 2


def _script(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!{sys.executable}\n{body}")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


RECORD_ARGS = """\
import json, os, sys
with open(os.path.join(os.path.dirname(sys.argv[0]), "calls.jsonl"), "a") as f:
    f.write(json.dumps({"argv": sys.argv[1:], "bus": os.environ.get("DBUS_SESSION_BUS_ADDRESS"),
                        "ctype": os.environ.get("LC_ALL") or os.environ.get("LC_CTYPE")
                        or os.environ.get("LANG")}) + "\\n")
"""


def _calls(bindir: Path) -> list[dict[str, object]]:
    path = bindir / "calls.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_desktop_notify_send_argument_list(bus_env, tmp_path):
    bindir = tmp_path / "bin"
    _script(bindir / "notify-send", RECORD_ARGS)
    _script(bindir / "gdbus", RECORD_ARGS)  # present too, but notify-send is preferred
    env = dict(bus_env)
    del env["LANG"]  # a C locale: the sink makes the child's locale UTF-8
    sink = DesktopSink(7.5, LOG, env=env)
    assert sink.backend() == ("notify-send", str(bindir / "notify-send"))
    assert sink.send("-Don't slouch — café", "It's \"fine\" \\ $HOME `x`") is True
    (call,) = _calls(bindir)
    assert call["argv"] == ["-a", "sitwatch", "-i", ICON, "-t", "7500", "--",
                            "-Don't slouch — café",
                            "It's \"fine\" \\\\ $HOME `x`"]
    assert call["bus"] == env["DBUS_SESSION_BUS_ADDRESS"]
    assert call["ctype"] == "C.UTF-8"


def test_desktop_gdbus_argument_list(bus_env, tmp_path):
    bindir = tmp_path / "bin"
    _script(bindir / "gdbus", RECORD_ARGS)
    sink = DesktopSink(3, LOG, env=bus_env)
    assert sink.backend()[0] == "gdbus"
    assert sink.send("Don't", "a\nb") is True
    (call,) = _calls(bindir)
    argv = call["argv"]
    assert argv[:2] == ["call", "--session"]
    assert argv[-8:] == ["'sitwatch'", "0", f"'{ICON}'", "'Don\\'t'", "'a\\u000ab'", "@as []",
                         "@a{sv} {}", "3000"]


def test_gvariant_string_quoting():
    assert gvariant_string("plain café") == "'plain café'"
    assert gvariant_string("it's a \\ path") == "'it\\'s a \\\\ path'"
    assert gvariant_string("tab\there") == "'tab\\u0009here'"


def test_desktop_failing_helper_is_reported_once(bus_env, tmp_path, caplog):
    _script(tmp_path / "bin" / "notify-send",
            "import sys\nprint('GDBus.Error: ServiceUnknown', file=sys.stderr)\nsys.exit(1)\n")
    sink = DesktopSink(5, LOG, env=bus_env)
    with caplog.at_level(logging.WARNING, logger=LOG.name):
        assert sink.send("a", "b") is False
        assert sink.send("a", "b") is False
    (warning,) = records(caplog, logging.WARNING)
    assert "notify-send exited with 1: GDBus.Error: ServiceUnknown" in warning


def test_desktop_hanging_helper_is_bounded(bus_env, tmp_path, caplog):
    _script(tmp_path / "bin" / "notify-send", "import time\ntime.sleep(30)\n")
    sink = DesktopSink(5, LOG, env=bus_env, run_timeout=0.5)
    with caplog.at_level(logging.WARNING, logger=LOG.name):
        assert sink.send("a", "b") is False
    assert "did not finish within 0.5 s" in records(caplog, logging.WARNING)[0]


def test_desktop_without_any_backend(bus_env, tmp_path, caplog, monkeypatch):
    monkeypatch.setitem(sys.modules, "dbus", None)  # dbus-python not importable
    (tmp_path / "bin").mkdir()
    clock = Clock()
    sink = DesktopSink(5, LOG, env=bus_env, clock=clock)
    with caplog.at_level(logging.WARNING, logger=LOG.name):
        assert sink.send("a", "b") is False
        clock.t += 1000
        assert sink.send("a", "b") is False
    assert records(caplog, logging.WARNING) == [f"{NO_BACKEND_MESSAGE}; {CONSOLE_ONLY}"]
    ok, detail = sink.check()
    assert not ok and NO_BACKEND_MESSAGE in detail
    # notify-send gets installed: the next retry finds it.
    _script(tmp_path / "bin" / "notify-send", RECORD_ARGS)
    clock.t += 1000
    assert sink.send("a", "b") is True


def test_desktop_dbus_python_path_uses_plyer_dbus_class_not_the_portal(bus_env, tmp_path,
                                                                        monkeypatch):
    (tmp_path / "bin").mkdir()
    calls: list[tuple[object, ...]] = []

    class Iface:
        def __init__(self, obj: object, name: str) -> None:
            pass

        def Notify(self, *args: object) -> None:
            calls.append(args)

    fake = types.ModuleType("dbus")
    fake.SessionBus = lambda: types.SimpleNamespace(get_object=lambda *a: object())  # type: ignore[attr-defined]
    fake.Interface = Iface  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "dbus", fake)
    sink = DesktopSink(2.5, LOG, env=bus_env)
    assert sink.backend() == ("dbus-python", "")
    assert sink.send("Don't", "café") is True
    (args,) = calls
    assert args[0] == "sitwatch" and args[3:5] == ("Don't", "café") and args[-1] == 3000
    assert args[1] == 0 and args[6] == {}  # a new notification, no hints
    # the answer to a click: in the clicked one's place, transient, for its own few seconds
    assert sink.send("sitwatch: noted", "Noted.", replaces=7, seconds=8, transient=True)
    assert calls[1][:2] == ("sitwatch", 7) and calls[1][6:] == ({"transient": True}, 8000)


def test_desktop_other_platforms_use_plyer(monkeypatch):
    import plyer

    fake = FakeNotify()
    monkeypatch.setattr(plyer, "notification", types.SimpleNamespace(notify=fake))
    sink = DesktopSink(2.5, LOG, env={}, platform="darwin")
    assert sink.backend() == ("plyer", "")
    sink.handle(nudge("Don't slouch — café"))
    assert fake.calls == [{"title": "Don't slouch — café",
                           "message": "Stand up and walk for two or three minutes.",
                           "app_name": "sitwatch", "app_icon": ICON, "timeout": 3}]
    ok, detail = sink.check()
    assert ok and "plyer" in detail
    # plyer has no place there for replacing a notification or marking it transient
    assert sink.send("sitwatch: noted", "Noted.", replaces=7, seconds=8, transient=True)
    assert fake.calls[-1] == {"title": "sitwatch: noted", "message": "Noted.",
                              "app_name": "sitwatch", "app_icon": ICON, "timeout": 8}


def test_desktop_check_without_gdbus(bus_env, tmp_path):
    _script(tmp_path / "bin" / "notify-send", RECORD_ARGS)
    ok, detail = DesktopSink(5, LOG, env=bus_env).check()
    assert ok
    assert "notification server: not checked" in detail
    assert "backend: notify-send" in detail


def test_desktop_does_not_touch_os_environ(bus_env, tmp_path):
    _script(tmp_path / "bin" / "notify-send", RECORD_ARGS)
    before = dict(os.environ)
    DesktopSink(5, LOG, env=bus_env).send("a", "b")
    assert dict(os.environ) == before


def test_problems_are_warned_once_and_their_end_said_once(caplog) -> None:
    import logging

    from sitwatch.sinks.base import Problems

    log = logging.getLogger("sitwatch.test.problems")
    p = Problems(log)
    with caplog.at_level(logging.DEBUG, logger=log.name):
        p.report("a:1", "a broke")
        p.report("a:1", "a broke")
        p.report("b", "b broke")
        assert "b" in p and p
        assert p.solved("a works again", prefix="a:")  # only the a problems
        assert not p.solved("a works again", prefix="a:")
        assert p.solved("all good")
        assert not p
        p.report("c", "c is slow", logging.INFO)
        assert p.solved("c is quick again")
    levels = [(r.levelname, r.getMessage()) for r in caplog.records]
    # the end of a warned problem as loud as the warning: the daemon logs at WARNING and
    # up by default, where an INFO "works again" never showed after the "broke"
    assert levels == [("WARNING", "a broke"), ("DEBUG", "a broke"), ("WARNING", "b broke"),
                      ("WARNING", "a works again"), ("WARNING", "all good"),
                      ("INFO", "c is slow"), ("INFO", "c is quick again")]


# -- slow sinks off the caller's thread --------------------------------------------------------


class HeldNotify:
    """A notify backend as slow as the test wants: each call waits (bounded) until the test
    lets it go with ``go.release()``; ``entered`` is released as each call begins."""

    def __init__(self) -> None:
        self.go = threading.Semaphore(0)
        self.entered = threading.Semaphore(0)
        self.titles: list[str] = []
        self.done = 0

    def __call__(self, **kw: object) -> None:
        self.entered.release()
        self.go.acquire(timeout=10)
        self.titles.append(str(kw["title"]))
        self.done += 1


def test_fanout_returns_at_once_while_the_desktop_is_slow(bus_env):
    notify = HeldNotify()
    desktop = DesktopSink(5, LOG, env=bus_env, notify=notify, background=True)
    rec = Recorder()
    fan = Fanout([desktop, rec], LOG)
    fan.handle(nudge("one"))
    assert notify.entered.acquire(timeout=10)  # the notification is being shown ...
    fan.handle(nudge("two"))  # ... and the fanout does not wait for it
    assert notify.done == 0 and [e.get("title") for e in rec.events] == ["one", "two"]
    notify.go.release()
    notify.go.release()
    assert desktop.flush(10)
    assert notify.titles == ["one", "two"] and desktop.sent == 2
    fan.close()


def test_a_full_desktop_queue_drops_the_oldest_and_says_so_once(bus_env, caplog):
    notify = HeldNotify()
    desktop = DesktopSink(5, LOG, env=bus_env, notify=notify, background=True, max_pending=2)
    with caplog.at_level(logging.WARNING, logger=LOG.name):
        desktop.handle(nudge("showing"))
        assert notify.entered.acquire(timeout=10)
        for title in ("a", "b", "c", "d"):
            desktop.handle(nudge(title))
    assert desktop.dropped == 2  # a and b made room for c and d
    for _ in range(3):
        notify.go.release()
    assert desktop.flush(10)
    assert notify.titles == ["showing", "c", "d"]
    drops = [r.getMessage() for r in caplog.records if "dropped" in r.getMessage()]
    assert drops == ["desktop: 2 nudges already wait to be shown; the oldest of them is dropped"]
    desktop.close()


def test_desktop_close_shows_what_waits_within_its_bound(bus_env):
    notify = HeldNotify()
    desktop = DesktopSink(5, LOG, env=bus_env, notify=notify, background=True)
    desktop.handle(nudge("one"))
    desktop.handle(nudge("two"))
    assert notify.entered.acquire(timeout=10)
    notify.go.release()
    notify.go.release()
    desktop.close()  # waits for both (they can finish), no longer
    assert notify.titles == ["one", "two"] and desktop.dropped == 0
    desktop.handle(nudge("late"))  # after close: nothing is shown
    assert notify.titles == ["one", "two"] and desktop.dropped == 1


def test_desktop_close_is_bounded_when_a_notification_hangs(bus_env, caplog):
    notify = HeldNotify()
    desktop = DesktopSink(5, LOG, env=bus_env, notify=notify, background=True,
                          close_timeout=0.05)
    desktop.handle(nudge("stuck"))
    desktop.handle(nudge("waiting"))
    assert notify.entered.acquire(timeout=10)
    with caplog.at_level(logging.WARNING, logger=LOG.name):
        desktop.close()  # "stuck" never finishes while we wait: "waiting" is given up
    assert desktop.worker is not None and desktop.worker.dropped == 1
    assert "desktop: 1 queued deliveries abandoned at shutdown" in caplog.text
    notify.go.release()  # let the abandoned thread end


def test_worker_drops_the_oldest_waiting_job_never_the_running_one():
    from sitwatch.sinks.worker import BackgroundWorker

    gate = threading.Event()
    ran: list[str] = []
    drops: list[int] = []
    w = BackgroundWorker("t", LOG, max_pending=2, on_drop=lambda: drops.append(1))
    started = threading.Event()

    def first() -> None:
        started.set()
        gate.wait(10)
        ran.append("first")

    assert w.submit(first)
    assert started.wait(10)
    for name in ("a", "b", "c"):
        assert w.submit(lambda name=name: ran.append(name))  # type: ignore[misc]
    assert w.pending == 3 and w.dropped == 1 and drops == [1]
    gate.set()
    assert w.drain(10)
    assert ran == ["first", "b", "c"]
    assert w.close(1) and w.submit(lambda: None) is False


# -- the sink table and build_sinks ------------------------------------------------------------


def test_buttons_get_their_callback_even_though_the_inbox_starts_empty():
    """Issue #14: ``on_action=inbox.put if inbox else None`` tested the new inbox's truth; it
    has a length, so an empty one is falsy and the daemon never showed Snooze/Done."""
    from sitwatch.config import Config
    from sitwatch.runtime.assemble import build_sinks

    fan = build_sinks(Config(nudges={"buttons": True}), headless=False, json_lines=False)
    try:
        desktop = fan.find(DesktopSink)
        assert desktop is not None and fan.inbox is not None and len(fan.inbox) == 0
        assert desktop.actions and desktop.on_action is not None
        desktop.on_action("snooze", nudge())
        assert fan.inbox.drain() == [("snooze", nudge())]
    finally:
        fan.close()


def test_no_buttons_no_inbox_and_headless_no_desktop():
    from sitwatch.config import Config
    from sitwatch.runtime.assemble import build_sinks
    from sitwatch.sinks.mqtt import MqttSink

    fan = build_sinks(Config(nudges={"buttons": False}), headless=False, json_lines=False)
    desktop = fan.find(DesktopSink)
    assert fan.inbox is None and desktop is not None and desktop.on_action is None
    assert fan.find(MqttSink) is None  # not configured
    fan.close()
    fan = build_sinks(Config(), headless=True, json_lines=True)
    assert [s.name for s in fan.sinks] == ["console"] and fan.inbox is None
    console = fan.find(ConsoleSink)
    assert console is not None and console.json_lines
    fan.close()


def test_a_channel_that_cannot_start_is_reported_and_left_out(caplog):
    from sitwatch.config import Config
    from sitwatch.runtime.assemble import build_sinks
    from sitwatch.sinks.registry import SinkContext, SinkSpec, build_all, spec

    with caplog.at_level(logging.WARNING, logger="sitwatch"):
        fan = build_sinks(Config(nudges={"buzzer": {"enabled": True}}), headless=True,
                          json_lines=False, source=object())
    assert [s.name for s in fan.sinks] == ["console"]
    assert "buzzer off: it needs a cushion on a serial line (cushion.port)" in caplog.text
    fan.close()

    def missing(cfg: Config, ctx: SinkContext) -> Recorder:
        raise ImportError("No module named 'apprise'")

    def broken(cfg: Config, ctx: SinkContext) -> Recorder:
        raise RuntimeError("no luck")

    on = spec("console").enabled
    specs = [SinkSpec("a", "thing A", on, missing, spec("console").check, install="pip x"),
             SinkSpec("b", "thing B", on, broken, spec("console").check),
             spec("console")]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger=LOG.name):
        built = build_all(Config(), SinkContext(), LOG, specs)
    assert [s.name for s in built] == ["console"]
    assert [r.getMessage() for r in caplog.records] == [
        "thing A off: No module named 'apprise' (pip x)",
        "thing B off: cannot start it: RuntimeError: no luck"]


def test_every_channel_has_one_row():
    from sitwatch.sinks.registry import SINKS

    assert [s.name for s in SINKS] == ["console", "desktop", "push", "hook", "buzzer", "mqtt",
                                       "presence", "workrave"]
    from sitwatch.core.extras import install_hint

    assert {s.name: s.install for s in SINKS if s.install} == {
        "push": install_hint("push"), "mqtt": install_hint("mqtt"),
        "presence": install_hint("dbus"), "workrave": install_hint("dbus")}
    assert install_hint("push").endswith("pip install 'apprise>=1.6'")


def test_fanout_finds_a_sink_by_its_type():
    rec, console = Recorder(), ConsoleSink(io.StringIO())
    fan = Fanout([rec, console], LOG)
    assert fan.find(ConsoleSink) is console and fan.find(Recorder) is rec
    assert fan.find(DesktopSink) is None and fan.inbox is None


def test_the_daemons_clock_dates_the_hooks_events():
    from sitwatch.config import Config
    from sitwatch.core.clock import ManualClock
    from sitwatch.sinks.hook import CommandHookSink
    from sitwatch.sinks.registry import SinkContext, spec

    clock = ManualClock()
    cfg = Config(nudges={"hook": {"command": ["true"]}})
    sink = spec("hook").build(cfg, SinkContext(clock=clock))
    assert isinstance(sink, CommandHookSink)
    clock.advance(90)
    assert sink.now() == clock.now()
    sink.close()
