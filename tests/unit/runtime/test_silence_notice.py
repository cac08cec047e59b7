"""The daemon tells the sitter when the whole cushion went quiet under them (no reading for two
minutes while its seat read occupied: a flat battery, a hung firmware, a cable pulled half
out), once per silence, and not for a seat that was empty, a device that was unplugged, or
after the computer slept. Before, only `sitwatch status` and the journal said so."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest

from sitwatch.config import Config
from sitwatch.core.clock import ManualClock
from sitwatch.nudging import control
from sitwatch.nudging.gate import NudgeGate
from sitwatch.nudging.guidance import silence_notice
from sitwatch.runtime.daemon import Daemon
from sitwatch.runtime.notices import RETRY, SILENT_AFTER, SILENT_GAP, SilenceNotice
from sitwatch.sinks.base import device_notice
from sitwatch.sinks.console import format_event
from sitwatch.sources.base import Diagnosis, Reading, Status
from tests.helpers.doubles import Collect
from tests.unit.runtime.test_sensor_notice import notices  # drives a daemon through src.todo
from tests.unit.sensing.test_baseline_modes import CHAIR, UPRIGHT, chair_profile

EMPTY = np.zeros_like(UPRIGHT)
TICK = 0.2  # s: a frame every 5th of a second, and the clock's step while nothing comes


class Script:
    """A cushion that follows a script: ("frames", seconds, frame), ("quiet", seconds) (the
    clock runs, nothing comes), ("status", online, reason, gone), ("diagnosis", message).
    Every poll advances the clock by TICK."""

    def __init__(self, clock: ManualClock, steps: list[tuple], name: str = "serial:/dev/ttyX"):
        self.clock, self.name = clock, name
        self.todo = [list(s) for s in steps]

    def poll(self, max_wait: float) -> list[object]:
        while self.todo:
            step = self.todo[0]
            if step[0] in ("frames", "quiet") and step[-2 if step[0] == "frames" else -1] <= 0:
                self.todo.pop(0)
                continue
            break
        if not self.todo:
            return []
        step = self.todo[0]
        if step[0] == "status":
            self.todo.pop(0)
            return [Status(self.clock.monotonic(), step[1], step[2], step[3])]
        if step[0] == "diagnosis":
            self.todo.pop(0)
            return [Diagnosis(self.clock.monotonic(), step[1])]
        self.clock.advance(TICK)
        if step[0] == "quiet":
            step[1] -= TICK
            return []
        step[1] -= TICK
        return [Reading(self.clock.monotonic(), step[2])]

    def close(self) -> None:
        pass

    def stats(self) -> dict[str, object]:
        return {"port": self.name, "online": True}


def build(tmp_path, steps, *, snooze: float = 0.0, name: str = "serial:/dev/ttyX"):
    clock = ManualClock(datetime(2026, 1, 5, 10, 0).astimezone())
    cpath = tmp_path / "control.json"
    if snooze:
        control.write(cpath, control.change(control.read(cpath), "snooze", clock.now(),
                                            timedelta(seconds=snooze)))
    gate = NudgeGate(Config().nudges, clock, control=control.Watcher(cpath, clock.monotonic))
    sink, src = Collect(), Script(clock, steps, name)
    d = Daemon(Config(), CHAIR, src, clock, profile=chair_profile(), sinks=sink, gate=gate)
    return d, src, sink, clock


def test_a_cushion_gone_quiet_under_the_sitter_is_told_after_two_minutes(tmp_path) -> None:
    d, src, sink, clock = build(tmp_path, [
        ("frames", 60, UPRIGHT), ("diagnosis", "no valid frame: is the device powered?"),
        ("quiet", 300)])
    told = notices(d, src, clock)
    assert len(told) == 1, told  # once for the whole silence
    at, ev = told[0]
    assert 60 + SILENT_AFTER <= at <= 60 + SILENT_AFTER + 1, at
    assert ev.state == "cushion_silent" and ev.get("quiet_s") == SILENT_AFTER
    assert ev.get("title") == "The cushion has gone quiet"
    message = ev.get("message")
    assert "Nothing has come from the cushion for 2 minutes" in message, message
    assert "sitwatch cannot see how you sit" in message
    assert "its cable sits firmly" in message
    assert message.endswith("The connection says: no valid frame: is the device powered?")
    assert device_notice(ev) and ev in sink.events  # the desktop, push and console get it
    assert ev.get("title") in format_event(ev)


def test_not_for_an_empty_seat_or_an_unplugged_cushion(tmp_path) -> None:
    # a cushion that sleeps when nobody sits (or a laptop carried away from its dock)
    d, src, _, clock = build(tmp_path, [("frames", 60, UPRIGHT), ("frames", 30, EMPTY),
                                        ("quiet", 600)])
    assert notices(d, src, clock) == []
    # unplugged while seated: its port vanished, which undocking does every day on purpose
    d, src, _, clock = build(tmp_path, [
        ("frames", 60, UPRIGHT),
        ("status", False, "/dev/ttyX: connection lost (I/O error): was the cushion unplugged?",
         False),
        ("status", False, "/dev/ttyX: no such device", True), ("quiet", 600)])
    assert notices(d, src, clock) == []


def test_a_wireless_cushion_that_drops_off_is_told_in_its_own_words(tmp_path) -> None:
    d, src, _, clock = build(tmp_path, [
        ("frames", 60, UPRIGHT),
        ("status", False, "the cushion went offline (its status topic sitwatch/cushion/status "
         "says so)", False), ("quiet", 200)], name="mqtt:127.0.0.1:1883/sitwatch/cushion")
    told = notices(d, src, clock)
    assert len(told) == 1, told
    ev = told[0][1]
    assert "charged or powered and within reach of the network" in ev.get("message")
    assert ev.get("reason").startswith("the cushion went offline")
    assert "The connection says: the cushion went offline" in ev.get("message")


def test_readings_back_in_time_mean_no_notice(tmp_path) -> None:
    d, src, _, clock = build(tmp_path, [("frames", 60, UPRIGHT), ("quiet", SILENT_AFTER - 5),
                                        ("frames", 30, UPRIGHT), ("quiet", SILENT_AFTER - 5)])
    assert notices(d, src, clock) == []


def test_a_link_that_drops_in_and_out_is_told_once_an_hour(tmp_path) -> None:
    drop = [("frames", 30, UPRIGHT), ("quiet", SILENT_AFTER + 30)]
    d, src, _, clock = build(tmp_path, drop * 12)  # a drop every 3 minutes for 36 minutes
    assert len(notices(d, src, clock)) == 1
    d, src, _, clock = build(tmp_path, [*drop, ("frames", SILENT_GAP, UPRIGHT), *drop])
    assert len(notices(d, src, clock)) == 2  # an hour later it is news again


def test_the_notice_waits_out_a_snooze(tmp_path) -> None:
    d, src, _, clock = build(tmp_path, [("frames", 60, UPRIGHT), ("quiet", 600)], snooze=400)
    told = notices(d, src, clock)
    assert len(told) == 1, told
    assert 400 <= told[0][0] <= 400 + RETRY + 1, told
    assert "for 6 minutes" in told[0][1].get("message")  # quiet since 60 s, shown at 421 s
    d, src, _, clock = build(tmp_path, [("frames", 60, UPRIGHT), ("quiet", 300),
                                        ("frames", 200, UPRIGHT)], snooze=400)
    assert notices(d, src, clock) == []  # back before it could be shown


def test_not_after_the_computer_slept(tmp_path) -> None:
    d, src, _, clock = build(tmp_path, [("frames", 60, UPRIGHT)])
    notices(d, src, clock)
    clock.suspend(3600)  # the lid closed with someone on the seat; whoever it was has gone
    src.todo = [["quiet", 600]]
    assert notices(d, src, clock) == []
    src.todo = [["frames", 30, UPRIGHT], ["quiet", 200]]  # seated again, and then quiet
    assert len(notices(d, src, clock)) == 1


@pytest.mark.parametrize(("camera", "wireless", "words"), [
    (True, False, "the camera alone watches how you sit"),
    (False, True, "within reach of the network"),
])
def test_the_words(camera: bool, wireless: bool, words: str) -> None:
    title, message = silence_notice(1, wireless=wireless, camera=camera)
    assert title == "The cushion has gone quiet"
    assert "for a minute" in message and words in message
    assert "The connection says" not in message  # nothing said: nothing quoted
    assert silence_notice(1, wireless=wireless, camera=camera, why="  ")[1] == message


def test_the_rule() -> None:
    n = SilenceNotice()
    assert not n.due(1e6)  # never heard from: nothing went quiet
    n.reading(0.0, seated=True)
    assert not n.due(SILENT_AFTER - 0.1) and n.due(SILENT_AFTER)
    n.hold(SILENT_AFTER)
    assert not n.due(SILENT_AFTER + RETRY - 1) and n.due(SILENT_AFTER + RETRY)
    n.take(SILENT_AFTER + RETRY, camera=False)
    assert not n.due(1e6)
