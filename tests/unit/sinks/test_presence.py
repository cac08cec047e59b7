"""The presence state other programs see (D-Bus, Workrave) and the Workrave sink's reports,
with a manual clock and a recording stand-in for Workrave's D-Bus method."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from sitwatch.core.clock import ManualClock
from sitwatch.core.events import BREAK, OCCUPANCY, Event
from sitwatch.core.kinds import Occupancy, Presence
from sitwatch.sensing.snapshot import Snapshot
from sitwatch.sinks.presence import Seat
from sitwatch.sinks.workrave import WorkraveSink

LOG = logging.getLogger("test.presence")


def occ(clock: ManualClock, state: str) -> Event:
    return Event(clock.monotonic(), OCCUPANCY, state)


def test_state_follows_the_seat_and_breaks_are_counted() -> None:
    clock = ManualClock()
    seat = Seat(clock, min_break=60)
    assert seat.state() == Presence.UNKNOWN
    assert seat.on_event(occ(clock, Occupancy.OCCUPIED)).state == Presence.SITTING
    start = int(clock.now().timestamp())
    clock.advance(600)
    props = seat.properties()
    assert props["State"] == ("s", "sitting")
    assert props["SpellSeconds"] == ("u", 600)
    assert props["SittingSince"] == ("x", start)
    assert props["MinBreakSeconds"] == ("u", 60)

    # a short absence: away, but the spell and its start are kept
    assert seat.on_event(occ(clock, Occupancy.EMPTY)).state == Presence.AWAY
    clock.advance(20)
    assert seat.on_event(occ(clock, Occupancy.OCCUPIED)).state == Presence.SITTING
    assert seat.properties()["SittingSince"] == ("x", start)
    assert seat.on_event(occ(clock, Occupancy.OCCUPIED)).state is None  # no change, no signal

    # a real break: the daemon's break event is the natural break
    seat.on_event(occ(clock, Occupancy.EMPTY))
    clock.advance(300)
    assert seat.properties()["SittingSince"] == ("x", 0)  # no spell during a real break
    back = seat.on_event(occ(clock, Occupancy.OCCUPIED))
    brk = seat.on_event(Event(clock.monotonic(), BREAK, None, {"duration": 300.0, "spell": 620.0}))
    assert back.state == Presence.SITTING and brk.natural_break == 300.0 and brk.state is None
    props = seat.properties()
    assert props["LastBreakSeconds"] == ("u", 300)
    assert props["LastBreakEnded"] == ("x", int(clock.now().timestamp()))
    assert props["SittingSince"] == ("x", int(clock.now().timestamp()))
    assert props["SpellSeconds"] == ("u", 0)


def test_snapshot_says_paused_offline_and_carries_a_resumed_spell() -> None:
    clock = ManualClock(monotonic=1000.0)
    seat = Seat(clock, min_break=60)
    snap = Snapshot(t=1000.0, source="cushion", online=True, occupancy=Occupancy.OCCUPIED,
                    spell=900.0, spell_start=100.0)
    assert seat.on_snapshot(snap, paused=False).state == Presence.SITTING
    assert seat.properties()["SpellSeconds"] == ("u", 900)  # a restart is not a break
    assert seat.on_snapshot(snap, paused=True).state == Presence.PAUSED
    offline = Snapshot(t=1001.0, source="cushion", online=False, occupancy=Occupancy.OCCUPIED)
    assert seat.on_snapshot(offline, paused=False).state == Presence.UNKNOWN


class FakeWorkrave:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, tuple[Any, ...]]] = []
        self.error: Exception | None = None

    def __call__(self, member: str, signature: str, body: tuple[Any, ...]) -> tuple[Any, ...]:
        if self.error is not None:
            raise self.error
        self.calls.append((member, signature, body))
        return ()


def test_workrave_hears_activity_while_seated_and_idle_once_on_leaving(caplog) -> None:
    clock = ManualClock()
    wr = FakeWorkrave()
    sink = WorkraveSink(clock, 60, who="chair", log=LOG, call=wr, start=False)
    sink.tick()
    assert wr.calls == []  # nothing known yet: Workrave goes by the keyboard
    sink.handle(occ(clock, Occupancy.OCCUPIED))
    sink.tick()
    sink.tick()  # reading at the desk: still reported as active, every beat
    assert wr.calls == [("ReportActivity", "sb", ("chair", True))] * 2
    sink.handle(occ(clock, Occupancy.EMPTY))
    sink.tick()
    sink.tick()
    assert wr.calls[2:] == [("ReportActivity", "sb", ("chair", False))]  # said once

    # paused: the report is taken back and no more go out
    sink.handle(occ(clock, Occupancy.OCCUPIED))
    sink.tick()
    snap = Snapshot(t=clock.monotonic(), source="cushion", online=True,
                    occupancy=Occupancy.OCCUPIED)
    sink.live(snap, paused=True)
    sink.tick()
    sink.tick()
    assert wr.calls[3:] == [("ReportActivity", "sb", ("chair", True)),
                            ("ReportActivity", "sb", ("chair", False))]


def test_a_missing_workrave_is_said_once_and_found_again(caplog) -> None:
    from types import SimpleNamespace

    jeepney = pytest.importorskip("jeepney", reason="jeepney (the dbus extra) is not installed")
    from jeepney.low_level import HeaderFields

    msg = SimpleNamespace(
        header=SimpleNamespace(
            fields={HeaderFields.error_name: "org.freedesktop.DBus.Error.ServiceUnknown"}),
        body=("The name is not activatable",))

    clock = ManualClock()
    wr = FakeWorkrave()
    wr.error = jeepney.DBusErrorResponse(msg)
    sink = WorkraveSink(clock, 60, log=LOG, call=wr, start=False)
    sink.handle(occ(clock, Occupancy.OCCUPIED))
    with caplog.at_level(logging.DEBUG, logger=LOG.name):
        for _ in range(3):
            sink.tick()
        wr.error = None
        sink.tick()
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings == ["Workrave is not running; sitwatch will tell it about the seat once "
                        "it starts", "Workrave answers again: the seat drives its break timers"]
    assert wr.calls == [("ReportActivity", "sb", ("sitwatch", True))]


@pytest.mark.parametrize("paused", [False, True])
def test_closing_hands_workrave_back_to_the_keyboard(paused: bool) -> None:
    clock = ManualClock()
    wr = FakeWorkrave()
    sink = WorkraveSink(clock, 60, log=LOG, call=wr, start=False)
    sink.handle(occ(clock, Occupancy.OCCUPIED))
    sink.tick()
    if paused:
        sink.live(Snapshot(t=0.0, source="cushion", online=True,
                           occupancy=Occupancy.OCCUPIED), paused=True)
        sink.tick()
    n = len(wr.calls)
    sink.close()
    assert wr.calls[n:] == ([] if paused else [("ReportActivity", "sb", ("sitwatch", False))])
