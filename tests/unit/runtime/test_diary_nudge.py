"""Diary entries another process stores (`sitwatch log`, the web form) reach the running daemon:
a ``symptom`` event for each, and for a red flag the seek-care advice on the desktop and push
channels (issue #11). Real SQLite files, a second connection as `sitwatch log` opens one, an
injected clock; the desktop sink with a stand-in notify()."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest

from sitwatch.config import Config
from sitwatch.core.clock import ManualClock
from sitwatch.core.kinds import AlsoNoticed, BodyArea, BodySide, NudgeAction, SymptomKind
from sitwatch.history.diary import SymptomEntry, add_entry, entries_after
from sitwatch.history.store import Store
from sitwatch.reports.diary import SEEK_CARE_HEAD
from sitwatch.runtime.daemon import Daemon
from sitwatch.sensing import layout
from sitwatch.sinks.actions import ActionInbox
from sitwatch.sinks.base import Fanout
from sitwatch.sinks.desktop import DesktopSink

LOG = logging.getLogger("sitwatch.test.diary")
LAY = layout.load("load-cells-4")

RED_FLAGS = {
    "saddle_numbness": dict(kind=SymptomKind.NUMBNESS, area=BodyArea.SADDLE),
    "bladder_bowel": dict(kind=SymptomKind.PAIN, also=(AlsoNoticed.BOWEL,)),
    "leg_weakness": dict(kind=SymptomKind.ACHE, also=(AlsoNoticed.LEG_WEAKNESS,)),
    "fever": dict(kind=SymptomKind.PAIN, area=BodyArea.LOWER_BACK, also=(AlsoNoticed.FEVER,)),
    "both_legs": dict(kind=SymptomKind.TINGLING, side=BodySide.BOTH, area=BodyArea.LEG),
}


class Shown:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def __call__(self, *, title: str, message: str, **_kw: object) -> None:
        self.calls.append((title, message))


def _daemon(tmp_path: Path, clock: ManualClock, shown: Shown) -> tuple[Daemon, Store]:
    store = Store(tmp_path / "history.sqlite", clock)
    sock = tmp_path / "bus"  # a session bus that 'exists' (a plain file stands in)
    sock.touch()
    env = {"DBUS_SESSION_BUS_ADDRESS": f"unix:path={sock}", "LANG": "C.UTF-8"}
    sink = DesktopSink(10.0, LOG, env=env, notify=shown)
    d = Daemon(Config(), LAY, None, clock, store=store, inbox=ActionInbox(),
               sinks=Fanout([sink], LOG))
    return d, store


def _log(tmp_path: Path, clock: ManualClock, source: str = "cli", **fields: object) -> None:
    """What `sitwatch log` (or the web form) does: its own connection to the daemon's history
    file."""
    other = Store(tmp_path / "history.sqlite", clock)
    try:
        add_entry(other.connection, SymptomEntry(at=clock.now(), source=source,
                                                 **fields))  # type: ignore[arg-type]
    finally:
        other.close()


def _symptoms(events):
    return [e for e in events if e.event == "symptom"]


@pytest.mark.parametrize("flag", sorted(RED_FLAGS))
def test_each_red_flag_logged_elsewhere_reaches_the_desktop(tmp_path, flag) -> None:
    clock = ManualClock()
    shown = Shown()
    d, _store = _daemon(tmp_path, clock, shown)
    assert _symptoms(d.step(0)) == []
    _log(tmp_path, clock, **RED_FLAGS[flag])
    clock.advance(1.0)
    (ev,) = _symptoms(d.step(0))
    assert ev.get("red_flags") == [flag]
    assert ev.get("source") == "cli"
    assert ev.get("title") == SEEK_CARE_HEAD
    ((title, message),) = shown.calls
    assert title == SEEK_CARE_HEAD
    assert "doctor" in message and message == " ".join(ev.get("advice")[1:])
    clock.advance(1.0)
    assert _symptoms(d.step(0)) == [] and len(shown.calls) == 1  # announced once
    d.close()


def test_the_web_forms_entry_too(tmp_path) -> None:
    clock = ManualClock()
    shown = Shown()
    d, _store = _daemon(tmp_path, clock, shown)
    d.step(0)
    _log(tmp_path, clock, source="web", **RED_FLAGS["both_legs"])
    clock.advance(1.0)
    (ev,) = _symptoms(d.step(0))
    assert ev.get("source") == "web" and len(shown.calls) == 1
    d.close()


def test_an_entry_without_a_red_flag_is_an_event_but_no_notification(tmp_path) -> None:
    clock = ManualClock()
    shown = Shown()
    d, _store = _daemon(tmp_path, clock, shown)
    d.step(0)
    _log(tmp_path, clock, kind=SymptomKind.NUMBNESS, side=BodySide.LEFT, area=BodyArea.BUTTOCK)
    clock.advance(1.0)
    (ev,) = _symptoms(d.step(0))
    assert ev.get("red_flags") == [] and ev.get("title") is None
    assert ev.get("said") == "Numbness, left buttock"
    assert shown.calls == []
    d.close()


def test_entries_from_before_the_start_stay_old_news(tmp_path) -> None:
    clock = ManualClock()
    Store(tmp_path / "history.sqlite", clock).close()
    _log(tmp_path, clock, kind=SymptomKind.NUMBNESS, area=BodyArea.SADDLE)
    shown = Shown()
    d, _store = _daemon(tmp_path, clock, shown)
    for _ in range(3):
        assert _symptoms(d.step(0)) == []
        clock.advance(1.0)
    assert shown.calls == []
    d.close()


def test_the_daemon_looks_once_a_second_not_every_step(tmp_path) -> None:
    clock = ManualClock()
    shown = Shown()
    d, _store = _daemon(tmp_path, clock, shown)
    d.step(0)
    _log(tmp_path, clock, kind=SymptomKind.NUMBNESS, area=BodyArea.SADDLE)
    clock.advance(0.5)
    assert _symptoms(d.step(0)) == []
    clock.advance(0.5)
    assert len(_symptoms(d.step(0))) == 1
    d.close()


def test_an_mqtt_entry_is_announced_once_not_again_when_read_back(tmp_path) -> None:
    clock = ManualClock()
    shown = Shown()
    d, store = _daemon(tmp_path, clock, shown)
    d.step(0)
    assert d.inbox is not None
    from sitwatch.core.events import Event

    d.inbox.put(NudgeAction.LOG, Event(0.0, "nudge", None, {
        "via": "mqtt", "symptom": {"kind": "numbness", "where": "saddle"}}))
    clock.advance(1.0)
    (ev,) = _symptoms(d.step(0))
    assert ev.get("source") == "mqtt" and ev.get("red_flags") == ["saddle_numbness"]
    for _ in range(3):
        clock.advance(1.0)
        assert _symptoms(d.step(0)) == []
    assert len(shown.calls) == 1
    d.close()


def test_entries_after_passes_over_rows_it_cannot_read(tmp_path) -> None:
    clock = ManualClock()
    store = Store(tmp_path / "history.sqlite", clock)
    add_entry(store.connection, SymptomEntry(at=clock.now(), kind=SymptomKind.PAIN))
    store.connection.execute("INSERT INTO symptoms (ts, epoch, kind) VALUES (?, ?, 'itch')",
                             (clock.now().isoformat(), clock.now().timestamp()))
    clock.advance(60)
    add_entry(store.connection, SymptomEntry(at=clock.now() + timedelta(seconds=1),
                                             kind=SymptomKind.ACHE))
    entries, last = entries_after(store, 0)
    assert [e.kind for e in entries] == ["pain", "ache"] and last == 3
    assert entries_after(store, last) == ([], 3)
    store.close()
