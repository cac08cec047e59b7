"""The daemon tells the sitter, once, that a sensor of the cushion stopped working while they
sat (a ``notice`` event the desktop, push and console channels show), and holds the notice while
nudges could not be shown (snoozed, quiet hours, do-not-disturb)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sitwatch.config import Config
from sitwatch.core.clock import ManualClock
from sitwatch.core.events import Event
from sitwatch.nudging import control
from sitwatch.nudging.gate import NudgeGate
from sitwatch.nudging.guidance import sensor_notice
from sitwatch.runtime.daemon import Daemon
from sitwatch.runtime.notices import RETRY, SensorNotices, failed_channels
from sitwatch.sensing import layout
from sitwatch.sinks.base import device_notice
from sitwatch.sinks.console import format_event
from tests.helpers.doubles import Collect
from tests.unit.runtime.test_learned_notice import Busy, Frames
from tests.unit.sensing.test_baseline_modes import CHAIR, UPRIGHT, chair_profile

DEAD = UPRIGHT.copy()
DEAD[8] = 0.0  # p08 (seat, middle left): a cracked lead


def build(tmp_path, schedule, *, snooze: float = 0.0, busy: bool = False):
    clock = ManualClock(datetime(2026, 1, 5, 10, 0).astimezone())
    cpath = tmp_path / "control.json"
    if snooze:
        control.write(cpath, control.change(control.read(cpath), "snooze", clock.now(),
                                            timedelta(seconds=snooze)))
    gate = NudgeGate(Config().nudges, clock, control=control.Watcher(cpath, clock.monotonic),
                     dnd=Busy() if busy else None)
    sink, src = Collect(), Frames(clock, schedule)
    d = Daemon(Config(), CHAIR, src, clock, profile=chair_profile(), sinks=sink, gate=gate)
    return d, src, sink, clock


def notices(d: Daemon, src: Frames, clock: ManualClock) -> list[tuple[float, Event]]:
    """Drive the daemon through the schedule: (seconds from the start, event) of each notice."""
    t0, out = clock.monotonic(), []
    while src.todo:
        out += [(clock.monotonic() - t0, e) for e in d.step(0) if e.event == "notice"]
    return out


def test_a_dead_pad_is_told_once_within_seconds(tmp_path) -> None:
    d, src, sink, clock = build(tmp_path, [(60, UPRIGHT), (120, DEAD)])
    told = notices(d, src, clock)
    assert len(told) == 1, told
    at, ev = told[0]
    assert 60 < at <= 65, at
    assert ev.state == "sensor_failed" and ev.get("channels") == [
        "p08 (dropped to zero on its own)"]
    assert ev.get("title") == "A cushion sensor stopped working"
    assert "p08 (seat, middle left) stopped reading anything while you sat" in ev.get("message")
    assert device_notice(ev) and ev in sink.events  # the channels get it
    assert ev.get("title") in format_event(ev)  # the console shows it


def test_a_pad_that_comes_back_and_fails_again_is_not_news_twice(tmp_path) -> None:
    d, src, _, clock = build(tmp_path, [(60, UPRIGHT), (30, DEAD), (60, UPRIGHT), (60, DEAD)])
    told = notices(d, src, clock)
    assert len(told) == 1 and told[0][0] < 70, told


def test_the_notice_waits_out_a_snooze_and_then_shows(tmp_path) -> None:
    d, src, _, clock = build(tmp_path, [(60, UPRIGHT), (400, DEAD)], snooze=300)
    told = notices(d, src, clock)
    assert len(told) == 1, told
    assert 300 <= told[0][0] <= 300 + RETRY + 1, told  # at the first try after the snooze


def test_a_pad_back_before_the_notice_could_show_is_not_told(tmp_path) -> None:
    d, src, _, clock = build(tmp_path, [(60, UPRIGHT), (30, DEAD), (400, UPRIGHT)], snooze=300)
    assert notices(d, src, clock) == []
    assert not d.notices.pending  # type: ignore[union-attr]


def test_do_not_disturb_holds_it(tmp_path) -> None:
    d, src, _, clock = build(tmp_path, [(60, UPRIGHT), (200, DEAD)], busy=True)
    assert notices(d, src, clock) == []
    assert d.notices.pending == {"p08": "dropped to zero on its own"}  # type: ignore[union-attr]


def test_only_failures_count_and_each_is_told_once() -> None:
    assert failed_channels(["p08 (dropped to zero on its own)", "p07 (saturated)",
                            "p05 (stuck)", "odd"]) == {
        "p08": "dropped to zero on its own", "p05": "stuck"}
    n = SensorNotices(CHAIR)

    def channels(*excluded: str) -> Event:
        return Event(0.0, "calibration", "channels", {"excluded": list(excluded)})

    n.note(channels("p07 (saturated)"))
    assert not n.due(0.0)  # a heavy sitter on a pad's top reading is not a failure
    n.note(channels("p07 (saturated)", "p05 (full scale with nobody seated)"))
    assert n.due(0.0)
    n.hold(0.0)
    assert not n.due(RETRY - 1) and n.due(RETRY)
    ev = n.take(RETRY)
    assert ev.get("channels") == ["p05 (full scale with nobody seated)"]
    assert "p05 (seat, rear right) reads its top value with nobody on the seat" in ev.get(
        "message")
    n.note(channels("p05 (full scale with nobody seated)", "p04 (stuck)"))
    ev = n.take(RETRY)  # only the new one
    assert ev.get("channels") == ["p04 (stuck)"] and not n.due(1e9)


def test_several_sensors_in_one_notice() -> None:
    title, message = sensor_notice([("p08", "seat, middle left", "dropped to zero on its own"),
                                    ("p01", "backrest, upper right",
                                     "jumped to full scale on its own")])
    assert title == "2 cushion sensors stopped working"
    assert message.startswith("Sensors p08 (seat, middle left) stopped reading anything while "
                              "you sat; p01 (backrest, upper right) jumped to its top reading")
    assert "their leads and connectors" in message


def test_where_a_channel_sits() -> None:
    assert [CHAIR.where(c.label) for c in CHAIR.channels[:6]] == [
        "backrest, upper left", "backrest, upper right", "backrest, lower left",
        "backrest, lower right", "seat, rear left", "seat, rear right"]
    nine = layout.load("fsr-cushion-9")
    assert [nine.where(f"fsr{i}") for i in (4, 5, 6, 8)] == [
        "seat, rear centre", "seat, centre", "seat, front centre", "seat, middle left"]
    assert CHAIR.where("nope") == ""

