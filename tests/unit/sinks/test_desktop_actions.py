"""Buttons on desktop notifications without a real server: the pure helpers, the sink's decisions
(capabilities, old notify-send, fallbacks) and the bounded lifetime of waiting helpers.

Waiting helpers are fakes driven by a fake clock: a helper "waits" by moving the clock, so the
lifetime bound is checked to the second without sleeping. Only notify-send --help and gdbus are
small scripts (as in test_sinks.py).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import stat
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path

import pytest

from sitwatch.core.events import NUDGE, Event
from sitwatch.sinks import actions as A
from sitwatch.sinks.actions import (
    DEFAULT_ACTIONS,
    DONE,
    SNOOZE,
    WRONG,
    ActionInbox,
    PopenHelper,
    Waiters,
    action_argv,
    check_actions,
    notify_send_options,
    parse_capabilities,
    parse_output,
)
from sitwatch.sinks.desktop import ICON, DesktopSink

LOG = logging.getLogger("sitwatch.test.actions")

HELP_081 = """Usage:
  notify-send [OPTION…] <SUMMARY> [BODY] - create a notification
  -p, --print-id                    Print the notification ID.
  -w, --wait                        Wait for the notification to be closed before exiting.
  -A, --action=[NAME=]Text...       Specifies the actions to display to the user.
"""
HELP_079 = """Usage:
  notify-send [OPTION...] <SUMMARY> [BODY] - create a notification
  -u, --urgency=LEVEL               Specifies the urgency level (low, normal, critical).
  -t, --expire-time=TIME            Specifies the timeout in milliseconds.
  -h, --hint=TYPE:NAME:VALUE        Specifies basic extra data to pass.
"""


def nudge(kind: str = "slouch", title: str = "Don't slouch — café") -> Event:
    return Event(10.0, NUDGE, None, {"kind": kind, "title": title,
                                     "message": "It's \"easy\" \\ ünï", "why": "test"})


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0
        self.lock = threading.Lock()

    def __call__(self) -> float:
        return self.t

    def advance(self, dt: float) -> None:
        with self.lock:
            self.t += dt


# -- pure helpers ----------------------------------------------------------------------------


def test_parse_capabilities_from_gdbus_output():
    dunst = ("(['actions', 'body', 'body-hyperlinks', 'icon-static', 'synchronous', "
             "'x-dunst-stack-tag'],)")
    caps = parse_capabilities(dunst)
    assert "actions" in caps and "body" in caps and len(caps) == 6
    assert parse_capabilities("(@as [],)") == frozenset()
    assert parse_capabilities("(['body', \"it's\"],)") == {"body", "it's"}


def test_notify_send_options_tell_old_from_new():
    assert notify_send_options(HELP_081) == {"--action", "--print-id"}
    assert notify_send_options(HELP_079) == frozenset()


def test_check_actions_rejects_what_notify_send_would_mangle():
    assert check_actions(DEFAULT_ACTIONS) == DEFAULT_ACTIONS
    assert check_actions([("x", "Ça = 30′")]) == (("x", "Ça = 30′"),)  # "=" in a label is fine
    for bad in ([("a=b", "x")], [("12", "x")], [("", "x")], [("a b", "x")], [("a", " ")],
                [("a", "two\nlines")], [("a", "x"), ("a", "y")]):
        with pytest.raises(ValueError):
            check_actions(bad)


def test_action_argv_passes_text_untouched():
    argv = action_argv("/usr/bin/notify-send", title="-Don't slouch — café",
                       body="It's \"fine\" \\ $HOME `x` ünï", ms=20000, app_name="sitwatch",
                       actions=[(SNOOZE, "Snooze 30 min"), (DONE, "Fertig ✓"), ("x", "l'été")],
                       print_id=True, prefix=("/usr/bin/stdbuf", "-oL"))
    assert argv == [
        "/usr/bin/stdbuf", "-oL", "/usr/bin/notify-send", "-a", "sitwatch", "-t", "20000", "-p",
        "--action=snooze=Snooze 30 min", "--action=done=Fertig ✓", "--action=x=l'été",
        "--", "-Don't slouch — café", "It's \"fine\" \\\\ $HOME `x` ünï",
    ]
    plain = action_argv("ns", title="t", body="b", ms=1, app_name="a",
                        actions=DEFAULT_ACTIONS, print_id=False)
    assert plain[:5] == ["ns", "-a", "a", "-t", "1"] and "-p" not in plain


def test_parse_output():
    names = (SNOOZE, DONE)
    assert parse_output("7\nsnooze\n", names) == (7, SNOOZE)
    assert parse_output("7\n", names) == (7, None)
    assert parse_output("done\n", names) == (None, DONE)
    assert parse_output("", names) == (None, None)
    assert parse_output("7\nsomething else\n", names) == (7, None)


def test_action_inbox_hands_over_in_order_and_is_bounded():
    inbox = ActionInbox(maxlen=3)
    evs = [nudge(str(i)) for i in range(5)]
    threads = [threading.Thread(target=inbox.put, args=(SNOOZE, e)) for e in evs[:2]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(inbox) == 2
    assert sorted(e.get("kind") for _, e in inbox.drain()) == ["0", "1"]
    assert inbox.drain() == []
    for e in evs:
        inbox.put(DONE, e)
    assert [e.get("kind") for _, e in inbox.drain()] == ["2", "3", "4"]


# -- fake helpers ----------------------------------------------------------------------------


class FakeHelper:
    """A notify-send that 'waits' in fake time: ``click_at`` (fake time) the user clicks
    ``action``; ``block``: stays until signalled (a real event, set by our own code)."""

    pids = iter(range(50_000, 60_000))

    def __init__(self, clock: Clock, *, ident: int | None = 7, click_at: float | None = None,
                 action: str = SNOOZE, block: bool = False, ignore_sigint: bool = False,
                 unkillable: bool = False, rc: int = 0, stderr: str = "",
                 first: str | type[BaseException] | None = "id") -> None:
        self.clock = clock
        self.ident = ident
        self.click_at = click_at
        self.action = action
        self.block = block
        self.ignore_sigint = ignore_sigint
        self.unkillable = unkillable
        self.rc = rc
        self.stderr = stderr
        self.first = first
        self.pid = next(self.pids)
        self.returncode: int | None = None
        self.signals: list[tuple[str, float]] = []
        self._signalled = threading.Event()
        self._out = ""

    def _exit(self, rc: int, out: str = "", err: str = "") -> tuple[str, str]:
        self.returncode = rc
        self._out = (f"{self.ident}\n" if self.ident is not None else "") + out
        self.stderr = err or self.stderr
        return self._out, self.stderr

    def first_line(self, timeout: float) -> str | None:
        if self.first is None:
            self._exit(self.rc)
            return None
        if isinstance(self.first, type):
            self.clock.advance(timeout)
            raise subprocess.TimeoutExpired("notify-send", timeout)
        return str(self.ident)

    def output(self, timeout: float) -> tuple[str, str]:
        if self.returncode is not None:
            return self._out, self.stderr
        if self.block and not self.signals:
            self._signalled.wait(10)
        last = self.signals[-1][0] if self.signals else None
        if last == "KILL" and not self.unkillable:
            return self._exit(-signal.SIGKILL)
        if last == "INT" and not self.ignore_sigint:
            return self._exit(0, err="Wait cancelled, closing notification\n")
        if self.click_at is not None and self.click_at <= self.clock() + timeout:
            self.clock.t = max(self.clock.t, self.click_at)
            return self._exit(0, f"{self.action}\n")
        if self.click_at is None and self.rc:
            return self._exit(self.rc)
        self.clock.advance(timeout)
        raise subprocess.TimeoutExpired("notify-send", timeout)

    def interrupt(self) -> None:
        self.signals.append(("INT", self.clock()))
        self._signalled.set()

    def kill(self) -> None:
        self.signals.append(("KILL", self.clock()))
        self._signalled.set()


class Spawner:
    def __init__(self, *helpers: FakeHelper) -> None:
        self.helpers = list(helpers)
        self.argvs: list[list[str]] = []
        self.envs: list[Mapping[str, str]] = []

    def __call__(self, argv: list[str], env: Mapping[str, str]) -> FakeHelper:
        self.argvs.append(argv)
        self.envs.append(env)
        return self.helpers.pop(0)


# -- Waiters: bounded lifetime ---------------------------------------------------------------


def _waiters(clock: Clock, done: list[tuple[A.Waiter, str, str]], **kw: object) -> Waiters:
    return Waiters(lambda w, out, err: done.append((w, out, err)), clock=clock, **kw)  # type: ignore[arg-type]


def test_helper_is_interrupted_at_its_deadline_not_later():
    clock = Clock()
    done: list[tuple[A.Waiter, str, str]] = []
    h = FakeHelper(clock)  # nobody clicks, the server never closes it
    ws = _waiters(clock, done)
    ws.start("slouch", h, nudge(), lifetime=30.0)
    assert ws.join(5)
    assert h.signals == [("INT", 1030.0)]  # SIGINT exactly at start + lifetime
    (w, out, err), = done
    assert w.reason == "expired" and "Wait cancelled" in err
    assert parse_output(out, [SNOOZE]) == (7, None)
    assert ws.active() == {}


def test_helper_ignoring_sigint_is_killed_after_the_grace():
    clock = Clock()
    done: list[tuple[A.Waiter, str, str]] = []
    h = FakeHelper(clock, ignore_sigint=True)
    ws = _waiters(clock, done, grace=2.0)
    ws.start("slouch", h, nudge(), lifetime=30.0)
    assert ws.join(5)
    assert h.signals == [("INT", 1030.0), ("KILL", 1032.0)]
    assert h.returncode == -signal.SIGKILL and done[0][0].reason == "expired"


def test_unkillable_helper_is_given_up_and_reported():
    clock = Clock()
    errors: list[str] = []
    h = FakeHelper(clock, ignore_sigint=True, unkillable=True)
    ws = Waiters(lambda *a: None, clock=clock, grace=1.0, on_error=errors.append)
    ws.start("slouch", h, nudge(), lifetime=5.0)
    assert ws.join(5)
    assert [s for s, _ in h.signals] == ["INT", "KILL"]
    assert errors == [f"desktop action helper {h.pid} did not exit after SIGKILL"]
    assert clock.t == 1000.0 + 5 + 1 + 1  # lifetime + grace + grace: bounded


def test_click_within_the_lifetime_is_reported():
    clock = Clock()
    done: list[tuple[A.Waiter, str, str]] = []
    h = FakeHelper(clock, click_at=1012.0, action=DONE)
    ws = _waiters(clock, done)
    ev = nudge()
    ws.start("slouch", h, ev, lifetime=30.0)
    assert ws.join(5)
    (w, out, _), = done
    assert w.reason is None and w.event is ev and h.signals == []
    assert parse_output(out, [SNOOZE, DONE]) == (7, DONE)


def test_one_helper_per_kind_newer_replaces_older():
    clock = Clock()
    done: list[tuple[A.Waiter, str, str]] = []
    first, second, other = (FakeHelper(clock, block=True) for _ in range(3))
    ws = _waiters(clock, done)
    ws.start("slouch", first, nudge(), 30)
    ws.start("wallet", other, nudge("wallet"), 30)
    ws.start("slouch", second, nudge(), 30)
    assert first.signals == [("INT", 1000.0)]
    assert set(ws.active()) == {"slouch", "wallet"} and ws.active()["slouch"].helper is second
    assert ws.close()
    assert [w.reason for w, _, _ in done].count("closed") == 2
    assert [w.reason for w, _, _ in done if w.helper is first] == ["replaced"]
    assert ws.active() == {}


def test_waiters_are_capped():
    clock = Clock()
    helpers = [FakeHelper(clock, block=True) for _ in range(4)]
    ws = Waiters(lambda *a: None, clock=clock, max_waiters=3)
    for i, h in enumerate(helpers):
        ws.start(f"k{i}", h, nudge(f"k{i}"), 30 + i)
    assert set(ws.active()) == {"k1", "k2", "k3"}
    assert helpers[0].signals and not helpers[3].signals
    assert ws.close()


def test_close_kills_what_sigint_does_not_stop():
    clock = Clock()
    h = FakeHelper(clock, block=True, ignore_sigint=True)
    ws = Waiters(lambda *a: None, clock=clock, grace=0.2)
    ws.start("slouch", h, nudge(), 30)
    assert ws.close(timeout=0.5)
    assert [s for s, _ in h.signals][:1] == ["INT"] and ("KILL" in [s for s, _ in h.signals])
    assert h.returncode == -signal.SIGKILL


# -- DesktopSink: decisions ------------------------------------------------------------------


def _script(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!{sys.executable}\n{body}")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


RECORD = """\
import json, os, sys
with open(os.path.join(os.path.dirname(sys.argv[0]), "calls.jsonl"), "a") as f:
    f.write(json.dumps({"prog": os.path.basename(sys.argv[0]), "argv": sys.argv[1:]}) + "\\n")
"""


def notify_send(bindir: Path, help_text: str = HELP_081) -> Path:
    return _script(bindir / "notify-send", RECORD + f"""
if sys.argv[1:] == ["--help"]:
    print({help_text!r})
""")


def gdbus(bindir: Path, caps: str = "(['actions', 'body'],)") -> Path:
    return _script(bindir / "gdbus", RECORD + f"""
if "org.freedesktop.Notifications.GetCapabilities" in sys.argv:
    print({caps!r})
""")


def calls(bindir: Path, prog: str | None = None) -> list[list[str]]:
    path = bindir / "calls.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    return [r["argv"] for r in rows if prog is None or r["prog"] == prog]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    sock = tmp_path / "bus"
    sock.touch()
    (tmp_path / "bin").mkdir()
    return {"DBUS_SESSION_BUS_ADDRESS": f"unix:path={sock}", "PATH": str(tmp_path / "bin"),
            "LANG": "C.UTF-8"}


class Clicks(list[tuple[str, Event]]):
    def __call__(self, action: str, event: Event) -> None:
        self.append((action, event))


def make(env: dict[str, str], *helpers: FakeHelper, clock: Clock | None = None,
         **kw: object) -> tuple[DesktopSink, Spawner, Clicks]:
    spawner = Spawner(*helpers)
    clicks = Clicks()
    opts: dict[str, object] = {"on_action": clicks, "spawn": spawner}
    opts.update(kw)
    sink = DesktopSink(20, LOG, env=env, clock=clock or Clock(), **opts)  # type: ignore[arg-type]
    return sink, spawner, clicks


def test_buttons_when_the_server_has_actions(env, tmp_path):
    bindir = tmp_path / "bin"
    notify_send(bindir)
    gdbus(bindir)
    clock = Clock()
    helper = FakeHelper(clock, click_at=1005.0)
    sink, spawner, clicks = make(env, helper, clock=clock)
    ev = nudge()
    sink.handle(ev)
    assert sink._waiters.join(5)
    (argv,) = spawner.argvs
    assert argv == [str(bindir / "notify-send"), "-a", "sitwatch", "-i", ICON, "-t", "20000", "-p",
                    "--action=snooze=Snooze 30 min", "--action=done=Done",
                    "--action=wrong=Not right", "--",
                    "Don't slouch — café", "It's \"easy\" \\\\ ünï"]
    assert spawner.envs[0]["DBUS_SESSION_BUS_ADDRESS"] == env["DBUS_SESSION_BUS_ADDRESS"]
    assert clicks == [(SNOOZE, ev)] and clicks[0][1] is ev
    assert sink.sent == 1 and sink.with_buttons == 1 and sink.clicks == 1
    assert calls(bindir, "notify-send") == [["--help"]]  # no plain notification besides


def test_capabilities_and_options_are_cached(env, tmp_path):
    bindir = tmp_path / "bin"
    notify_send(bindir)
    gdbus(bindir)
    clock = Clock()
    helpers = [FakeHelper(clock, block=True) for _ in range(3)]
    sink, spawner, _ = make(env, *helpers, clock=clock, caps_ttl=600)
    sink.handle(nudge())
    sink.handle(nudge("wallet"))
    assert len(calls(bindir, "gdbus")) == 1 and len(calls(bindir, "notify-send")) == 1
    clock.advance(601)
    sink.handle(nudge("prolonged_sitting"))
    assert len(calls(bindir, "gdbus")) == 2 and len(calls(bindir, "notify-send")) == 1
    assert len(spawner.argvs) == 3
    sink.close()
    assert all(h.signals and h.signals[0][0] == "INT" for h in helpers)


@pytest.mark.parametrize("case", ["server-without-actions", "old-notify-send", "no-callback",
                                  "actions-off", "plain-send"])
def test_plain_notification_fallbacks(env, tmp_path, caplog, case):
    bindir = tmp_path / "bin"
    notify_send(bindir, HELP_079 if case == "old-notify-send" else HELP_081)
    gdbus(bindir, "(['body'],)" if case == "server-without-actions" else "(['actions'],)")
    kw: dict[str, object] = {}
    if case == "no-callback":
        kw["on_action"] = None
    if case == "actions-off":
        kw["actions"] = False
    sink, spawner, _ = make(env, **kw)
    with caplog.at_level(logging.INFO, logger=LOG.name):
        if case == "plain-send":
            assert sink.send("t", "m") is True  # no nudge event: no buttons
        else:
            sink.handle(nudge())
    assert spawner.argvs == []
    plain = [a for a in calls(bindir, "notify-send") if a != ["--help"]]
    assert len(plain) == 1 and not any(a.startswith("--action") for a in plain[0])
    assert sink.sent == 1 and sink.with_buttons == 0
    assert caplog.records == []  # silent


def test_unknown_capabilities_try_buttons_and_learn_from_notify_send(env, tmp_path, caplog):
    bindir = tmp_path / "bin"
    notify_send(bindir)  # no gdbus: capabilities cannot be asked
    clock = Clock()
    # notify-send shows it without buttons, says so and exits 1 (libnotify 0.8.1)
    h = FakeHelper(clock, rc=1, stderr="Actions are not supported by this notifications server. "
                   "Displaying non-interactively.\n")
    sink, spawner, clicks = make(env, h, clock=clock)
    with caplog.at_level(logging.INFO, logger=LOG.name):
        sink.handle(nudge())
        assert sink._waiters.join(5)
        sink.handle(nudge())
        sink.handle(nudge())
    assert len(spawner.argvs) == 1  # learned: the next ones go out plainly
    assert len([a for a in calls(bindir, "notify-send") if a != ["--help"]]) == 2
    assert [r.getMessage() for r in caplog.records] == [
        "the notification server shows no buttons: nudges come without Snooze/Done"]
    assert clicks == [] and sink.sent == 3


def test_stdbuf_confirms_delivery_and_records_the_id(env, tmp_path):
    bindir = tmp_path / "bin"
    notify_send(bindir)
    gdbus(bindir)
    _script(bindir / "stdbuf", RECORD)
    clock = Clock()
    h = FakeHelper(clock, ident=42, block=True)
    sink, spawner, _ = make(env, h, clock=clock)
    sink.handle(nudge())
    assert spawner.argvs[0][:3] == [str(bindir / "stdbuf"), "-oL", str(bindir / "notify-send")]
    assert sink.waiting() == {"slouch": 42}
    assert sink.helper_pids() == [h.pid]
    sink.dismiss("slouch")
    assert sink._waiters.join(5) and sink.waiting() == {}
    assert h.signals[0][0] == "INT"


@pytest.mark.parametrize("case", ["exits", "hangs", "cannot-start"])
def test_failures_with_buttons_are_logged_once_never_raised(env, tmp_path, caplog, case):
    bindir = tmp_path / "bin"
    notify_send(bindir)
    gdbus(bindir)
    _script(bindir / "stdbuf", RECORD)
    clock = Clock()
    helpers = [FakeHelper(clock, rc=1, first=None, stderr="GDBus.Error: ServiceUnknown\n")
               if case == "exits" else FakeHelper(clock, first=subprocess.TimeoutExpired)
               for _ in range(3)]
    sink, spawner, _ = make(env, *helpers, clock=clock, run_timeout=0.5)
    if case == "cannot-start":
        def refuse(argv: list[str], env: Mapping[str, str]) -> FakeHelper:
            raise FileNotFoundError(2, "No such file or directory")
        sink._spawn = refuse
    with caplog.at_level(logging.WARNING, logger=LOG.name):
        for _ in range(3):
            assert sink.send("t", "m", event=nudge()) is False
    (warning,) = [r.getMessage() for r in caplog.records]
    assert {"exits": "notify-send exited with 1: GDBus.Error: ServiceUnknown",
            "hangs": "notify-send did not finish within 0.5 s",
            "cannot-start": "cannot run"}[case] in warning
    assert sink.failed == 3 and sink.waiting() == {}
    if case == "hangs":
        assert all([s for s, _ in h.signals] == ["INT"] for h in helpers)


def test_async_failure_and_callback_errors_are_logged_once(env, tmp_path, caplog):
    bindir = tmp_path / "bin"
    notify_send(bindir)
    gdbus(bindir)
    clock = Clock()
    failing = [FakeHelper(clock, rc=1, stderr="GDBus.Error: NoReply\n") for _ in range(2)]
    clicking = [FakeHelper(clock, click_at=clock.t) for _ in range(2)]

    def boom(action: str, event: Event) -> None:
        raise OSError("disk full")

    sink, _, _ = make(env, *failing, *clicking, clock=clock, on_action=boom)
    with caplog.at_level(logging.WARNING, logger=LOG.name):
        for _ in range(4):
            sink.handle(nudge())
            assert sink._waiters.join(5)
    assert [r.getMessage() for r in caplog.records] == [
        "desktop notification with buttons failed: notify-send exited with 1: "
        "GDBus.Error: NoReply",
        "desktop action 'snooze' failed: OSError: disk full",
    ]


def test_thread_start_failure_falls_back_to_plain(env, tmp_path, monkeypatch, caplog):
    bindir = tmp_path / "bin"
    notify_send(bindir)
    gdbus(bindir)
    clock = Clock()
    h = FakeHelper(clock)
    sink, spawner, _ = make(env, h, clock=clock)

    class NoThread(threading.Thread):
        def start(self) -> None:
            raise RuntimeError("can't start new thread")

    monkeypatch.setattr(A.threading, "Thread", NoThread)
    with caplog.at_level(logging.WARNING, logger=LOG.name):
        sink.handle(nudge())
    monkeypatch.undo()
    assert h.signals and h.signals[0][0] == "INT"  # the helper was closed, not left behind
    assert len([a for a in calls(bindir, "notify-send") if a != ["--help"]]) == 1
    assert sink.sent == 1 and sink.waiting() == {}
    assert "can't start new thread" in caplog.records[0].getMessage()


def test_no_callback_after_close(env, tmp_path):
    bindir = tmp_path / "bin"
    notify_send(bindir)
    gdbus(bindir)
    clock = Clock()

    class ClickedWhileClosing(FakeHelper):
        def interrupt(self) -> None:  # the click and the close cross
            self.click_at = self.clock()
            super().interrupt()
            self.signals.clear()

    h = ClickedWhileClosing(clock, block=True)
    sink, _, clicks = make(env, h, clock=clock)
    sink.handle(nudge())
    sink.close()
    assert clicks == [] and h.returncode == 0
    sink.handle(nudge())  # after close: plain, no new helper
    assert sink.waiting() == {}


def test_killed_helper_closes_its_notification_by_id(env, tmp_path):
    bindir = tmp_path / "bin"
    notify_send(bindir)
    gdbus(bindir)
    _script(bindir / "stdbuf", RECORD)
    clock = Clock()
    h = FakeHelper(clock, ident=9, ignore_sigint=True)
    sink, _, _ = make(env, h, clock=clock, action_wait=5)
    sink.handle(nudge())
    assert sink._waiters.join(5)
    closes = [a for a in calls(bindir, "gdbus") if "CloseNotification" in " ".join(a)]
    assert len(closes) == 1 and closes[0][-1] == "9"


def test_check_reports_buttons(env, tmp_path):
    bindir = tmp_path / "bin"
    notify_send(bindir)
    _script(bindir / "gdbus", """\
import sys
m = sys.argv[sys.argv.index("--method") + 1]
print({"org.freedesktop.DBus.NameHasOwner": "(true,)",
       "org.freedesktop.Notifications.GetServerInformation":
           "('dunst', 'knopwob', '1.9.0 (2022-06-27)', '1.2')",
       "org.freedesktop.Notifications.GetCapabilities": "(['actions'],)"}[m])
""")
    ok, detail = DesktopSink(20, LOG, env=env).check()
    assert ok and "notification server: dunst 1.9.0" in detail and "buttons: yes" in detail
    notify_send(bindir, HELP_079)
    ok, detail = DesktopSink(20, LOG, env=env).check()
    assert ok and "buttons: no (this notify-send has no --action" in detail


# -- PopenHelper: a real process, no timers waited out ----------------------------------------

# Everything the fake says before waiting is written before its id line: the test interrupts it
# as soon as the id arrives (as the sink does), so whatever came after the id could still be
# unwritten when SIGINT lands (it was: the test failed 2 runs in 6 on a busy machine).
FAKE_NOTIFY_SEND = """\
import signal, sys, time
def cancelled(*_):
    print("Wait cancelled, closing notification", file=sys.stderr)
    sys.exit(0)
signal.signal(signal.SIGINT, cancelled)
print("Don't — café", file=sys.stderr, flush=True)
print("12", flush=True)
time.sleep(60)
"""


def test_popen_helper_reads_the_id_then_stops_on_sigint(tmp_path):
    exe = _script(tmp_path / "notify-send", FAKE_NOTIFY_SEND)
    h = PopenHelper([str(exe)], {**os.environ, "PYTHONIOENCODING": "utf-8"})
    assert h.first_line(10) == "12"
    h.interrupt()
    out, err = h.output(10)
    assert out == "12\n" and "Wait cancelled" in err and "café" in err
    assert h.returncode == 0


def test_popen_helper_first_line_none_when_it_exits_silently(tmp_path):
    exe = _script(tmp_path / "notify-send", "import sys\nsys.exit(3)\n")
    h = PopenHelper([str(exe)], os.environ)
    assert h.first_line(10) is None
    assert h.output(10) == ("", "") and h.returncode == 3


def test_a_bug_in_the_buttons_path_costs_only_the_buttons(env, tmp_path, caplog):
    bindir = tmp_path / "bin"
    notify_send(bindir)
    gdbus(bindir)

    def broken(argv: list[str], env: Mapping[str, str]) -> FakeHelper:
        raise ValueError("unexpected")

    sink, _, _ = make(env, spawn=broken)
    with caplog.at_level(logging.WARNING, logger=LOG.name):
        assert sink.send("t", "m", event=nudge()) is True
    assert len([a for a in calls(bindir, "notify-send") if a != ["--help"]]) == 1
    assert [r.getMessage() for r in caplog.records] == [
        "desktop buttons off for this nudge: ValueError: unexpected"]


def test_not_right_only_on_the_nudges_about_posture(env, tmp_path):
    """"Time to move" is a timer, never a wrong guess: no "Not right" on it; every posture-type
    nudge has one, and a click on it reaches on_action with that nudge."""
    bindir = tmp_path / "bin"
    notify_send(bindir)
    gdbus(bindir)
    clock = Clock()
    # the fake clicks whatever it is told: "Done" on time to move, "Not right" on the others
    helpers = [FakeHelper(clock, action=DONE if i == 0 else WRONG, click_at=1005.0)
               for i in range(4)]
    sink, spawner, clicks = make(env, *helpers, clock=clock)
    kinds = ("prolonged_sitting", "slouch", "asymmetric_load", "wallet")
    for kind in kinds:
        sink.handle(nudge(kind))
    assert sink._waiters.join(5)
    wrong = ["--action=wrong=Not right" in argv for argv in spawner.argvs]
    assert wrong == [False, True, True, True]
    assert all("--action=done=Done" in argv for argv in spawner.argvs)
    assert sorted(e.get("kind") for a, e in clicks if a == WRONG) == sorted(kinds[1:])
