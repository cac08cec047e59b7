"""DesktopSink against a real notification server: Xvfb + a private session bus + dunst.

Debian packages: xvfb dbus dunst libnotify-bin libglib2.0-bin. Skipped (with the list of what is
missing) when they are not installed; CI installs them.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sitwatch.core.events import NUDGE, Event
from sitwatch.sinks.desktop import NO_BUS_MESSAGE, SAID_TITLE, DesktopSink

try:
    from tests.helpers.notify_server import NotificationServer, missing_programs
except ImportError:  # pytest started without the repository root on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.helpers.notify_server import NotificationServer, missing_programs

pytestmark = pytest.mark.integration

LOG = logging.getLogger("sitwatch.test.desktop")
PACKAGES = "xvfb dbus dunst libnotify-bin libglib2.0-bin"

TITLE = "Don't slouch — café"
MESSAGE = "Slide your hips back; it's \"easy\" — naïve \\ ünïcödé ✓ & <b>not bold</b>"


def _need(*programs: str) -> None:
    missing = [p for p in (*missing_programs(), *programs) if shutil.which(p) is None]
    if missing:
        pytest.skip(f"needs {', '.join(sorted(set(missing)))} (Debian: apt-get install {PACKAGES})")


def nudge(title: str = TITLE, message: str = MESSAGE) -> Event:
    return Event(1.0, NUDGE, None, {"kind": "slouch", "title": title, "message": message,
                                    "why": "test"})


@pytest.fixture
def server(tmp_path: Path) -> Iterator[NotificationServer]:
    """A fresh server per test (starts in well under a second; dunst 1.9 cannot clear its
    history, so sharing one would let tests see each other's notifications)."""
    _need()
    with NotificationServer(tmp_path / "notify") as srv:
        assert srv.history() == []
        yield srv


def _only(env: dict[str, str], program: str, bindir: Path) -> dict[str, str]:
    """``env`` with a PATH holding only ``program``: forces the sink's choice of backend."""
    bindir.mkdir(exist_ok=True)
    target = shutil.which(program)
    assert target
    (bindir / program).symlink_to(target)
    return {**env, "PATH": str(bindir)}


@pytest.mark.parametrize("backend", ["notify-send", "gdbus"])
def test_nudge_reaches_dunst_intact(server, backend, tmp_path, caplog):
    _need(backend)
    env = _only(server.env, backend, tmp_path / "bin")
    sink = DesktopSink(7.5, LOG, env=env)
    assert sink.backend()[0] == backend
    with caplog.at_level(logging.WARNING, logger=LOG.name):
        sink.handle(Event(0.5, "occupancy", "occupied"))  # not for the desktop
        sink.handle(nudge())
    assert caplog.records == []
    assert sink.sent == 1

    (shown,) = server.wait_history(1)
    assert shown["appname"] == "sitwatch"
    assert shown["summary"] == TITLE
    assert shown["body"] == MESSAGE
    assert shown["timeout"] == 7_500_000  # dunst reports microseconds: our timeout was honoured
    # our own icon, not dunst's "No icon found" (issue #14 item 18)
    assert shown["icon_path"].endswith("sitwatch.png") and Path(shown["icon_path"]).is_file()


@pytest.mark.parametrize("backend", ["notify-send", "gdbus"])
def test_the_answer_to_a_click_takes_its_place_and_is_transient(server, backend, tmp_path):
    """The "sitwatch: noted" notice after "Not right" replaced the clicked notification (with
    notify-send and gdbus) but was not marked transient, a passing notice that a server need
    not keep in its history (dunst lets it time out while the sitter is idle too); nudges are
    not transient."""
    _need(backend)
    sink = DesktopSink(20, LOG, env=_only(server.env, backend, tmp_path / "bin"))
    assert sink.send(TITLE, "the nudge clicked")
    clicked = server._run(["gdbus", "call", "--session", "--dest", "org.freedesktop.Notifications",
                           "--object-path", "/org/freedesktop/Notifications", "--method",
                           "org.freedesktop.Notifications.Notify", "'sitwatch'", "0", "''",
                           "'Lopsided'", "'the nudge clicked'", "@as []", "@a{sv} {}", "20000"])
    ident = int(clicked.stdout.split()[1].rstrip(",)"))  # "(uint32 7,)"
    assert sink.send(SAID_TITLE, "Noted: that lopsided nudge was not right.", replaces=ident,
                     seconds=8, transient=True)
    shown = {n["summary"]: n for n in server.wait_history(2)}
    assert set(shown) == {TITLE, SAID_TITLE}, shown  # "Lopsided" was replaced
    assert shown[SAID_TITLE]["id"] == ident
    assert shown[SAID_TITLE]["category"] == "transient"
    assert shown[SAID_TITLE]["timeout"] == 8_000_000
    assert shown[TITLE]["category"] == ""


def test_several_nudges_in_order(server):
    sink = DesktopSink(20, LOG, env=server.env)
    for i in range(3):
        assert sink.send(f"Nudge {i}", f"body {i}")
    shown = server.wait_history(3)
    assert sorted(n["summary"] for n in shown) == ["Nudge 0", "Nudge 1", "Nudge 2"]


def test_check_names_the_server_and_backend(server):
    ok, detail = DesktopSink(20, LOG, env=server.env).check()
    assert ok, detail
    assert "notification server: dunst" in detail
    assert "backend: notify-send" in detail


def test_bus_without_a_notification_server(tmp_path, caplog):
    _need("notify-send")
    with NotificationServer(tmp_path / "bare", dunst=False) as bare:
        sink = DesktopSink(20, LOG, env=bare.env)
        ok, detail = sink.check()
        assert not ok
        assert "has no owner" in detail
        with caplog.at_level(logging.WARNING, logger=LOG.name):
            for _ in range(3):
                sink.handle(nudge())  # never raises
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1, warnings
        assert "desktop notification failed (notify-send)" in warnings[0]
        assert sink.failed == 3


@pytest.mark.parametrize("env", [{}, "empty-runtime-dir"], ids=["empty-env", "xdg-runtime-dir"])
def test_no_session_bus_is_reported_once(env, tmp_path, caplog):
    if env == "empty-runtime-dir":
        env = {"XDG_RUNTIME_DIR": str(tmp_path), "PATH": os.environ.get("PATH", "")}
    elif Path(f"/run/user/{os.getuid()}/bus").exists():
        pytest.skip(f"this machine has a session bus at /run/user/{os.getuid()}/bus")
    sink = DesktopSink(20, LOG, env=env)
    with caplog.at_level(logging.DEBUG, logger=LOG.name):
        for _ in range(5):
            sink.handle(nudge())
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith(NO_BUS_MESSAGE)
    assert sink.sent == 0 and sink.skipped == 5
    ok, detail = sink.check()
    assert not ok and detail.startswith(NO_BUS_MESSAGE)
