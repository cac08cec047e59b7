"""A suspended computer (issue #15, suspend row), through the daemon with a ManualClock, a real
SQLite history and the status file.

The monotonic clock stands still while the machine sleeps. Before, a 1 h sleep while seated
simply vanished: "time to move" came after 104 min of real sitting, and a break taken while the
computer slept was not seen. Now a sleep of ``min_break`` or more is a break; a shorter one while
seated leaves the spell alone and is not counted in it; one while away adds to the absence.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from sitwatch.config import Config
from sitwatch.core.clock import ManualClock
from sitwatch.history import queries
from sitwatch.history.store import Store
from sitwatch.runtime.daemon import Daemon
from sitwatch.runtime.status import StatusWriter
from sitwatch.sensing import layout
from sitwatch.sources.base import Reading
from tests.helpers.doubles import Collect

LAY = layout.load("load-cells-4")
SEATED = np.array([20000.0, 20500, 9000, 9200])
EMPTY = np.array([40.0, 35, 30, 45])
CFG = Config(detect={"sit_limit": 1800, "occupancy": {"min_break": 120}})


class Sleeper:
    """Frames at 5 Hz from a schedule of (seconds, values) or ("suspend", seconds): the machine
    sleeps, and no frames come meanwhile."""

    name = "sleeper"

    def __init__(self, clock: ManualClock, schedule: list[tuple[object, object]]) -> None:
        self.clock = clock
        self.todo = list(schedule)
        self.left = 0.0
        self.n = 0

    def poll(self, max_wait: float) -> list[Reading]:
        while self.left <= 1e-9:
            if not self.todo:
                return []
            a, b = self.todo.pop(0)
            if a == "suspend":
                self.clock.suspend(float(b))  # type: ignore[arg-type]
                continue
            self.left, self.values = float(a), b  # type: ignore[arg-type]
        self.clock.advance(0.2)
        self.left -= 0.2
        self.n += 1
        noise = np.random.default_rng(self.n).normal(0, 20, 4)
        return [Reading(self.clock.monotonic(), self.values + noise)]

    def stats(self) -> dict[str, object]:
        return {"port": "sleeper", "online": True, "frames": self.n, "dropped_total": 0}

    def close(self) -> None:
        pass


def run(tmp_path, schedule) -> tuple[Daemon, ManualClock, Collect, Store]:
    clock = ManualClock()
    sink = Collect()
    store = Store(tmp_path / "h.sqlite", clock)
    d = Daemon(CFG, LAY, Sleeper(clock, schedule), clock, sinks=sink, store=store,
               status=StatusWriter(tmp_path / "status.json", clock))
    src = d.source
    assert isinstance(src, Sleeper)
    while src.todo or src.left > 1e-9:
        d.step(0)
    return d, clock, sink, store


def _named(sink: Collect, event: str) -> list:
    return [e for e in sink.events if e.event == event]


def test_an_hour_asleep_while_seated_is_a_break(tmp_path) -> None:
    """20 min seated, 1 h asleep, 20 min seated: two spells of 20 min, no "time to move" (the
    limit is 30 min); before, the spell went on to 40 min and the nudge came at 30."""
    d, clock, sink, store = run(tmp_path, [(60, EMPTY), (1200, SEATED), ("suspend", 3600),
                                           (1200, SEATED)])
    breaks = _named(sink, "break")
    assert len(breaks) == 1
    assert breaks[0].get("spell") == pytest.approx(1200, abs=10)
    assert breaks[0].get("duration") == pytest.approx(3600, abs=10)
    assert [n.get("kind") for n in _named(sink, "nudge")] == []
    assert d.snapshot().spell == pytest.approx(1200, abs=10)
    empties = [e for e in _named(sink, "occupancy") if e.get("reason") == "suspend"]
    assert len(empties) == 1 and empties[0].get("suspended") == 3600
    # the history: two spells of 20 min, the first ending when the computer went to sleep
    start = clock.now() - timedelta(hours=3)
    spells = queries.spells_between(store, start, clock.now() + timedelta(seconds=1))
    assert [round(s.seconds / 60) for s in spells] == [20, 20]
    assert spells[1].start - spells[0].start == pytest.approx(timedelta(minutes=80),
                                                             abs=timedelta(seconds=10))
    d.close()


def test_a_short_sleep_while_seated_does_not_reset_the_spell(tmp_path) -> None:
    """2 min asleep (min_break is 2 min: exactly a break, so 100 s here) while seated: one spell,
    its timer showing the 20 + 5 min awake, not the sleep."""
    d, _clock, sink, _store = run(tmp_path, [(60, EMPTY), (1200, SEATED), ("suspend", 100),
                                             (300, SEATED)])
    assert _named(sink, "break") == []
    assert not [e for e in _named(sink, "occupancy") if e.get("reason") == "suspend"]
    assert d.snapshot().spell == pytest.approx(1500, abs=10)
    d.close()


def test_a_sleep_while_away_adds_to_the_absence(tmp_path) -> None:
    """Up for 1 min, then the computer sleeps 90 s: 2.5 min away is a break (min_break 2 min),
    though each part alone is not."""
    d, _clock, sink, _store = run(tmp_path, [(60, EMPTY), (1200, SEATED), (60, EMPTY),
                                             ("suspend", 90), (300, SEATED)])
    breaks = _named(sink, "break")
    assert len(breaks) == 1
    assert breaks[0].get("duration") == pytest.approx(150, abs=8)
    assert d.snapshot().spell == pytest.approx(300, abs=10)
    d.close()


def test_a_long_sleep_with_nobody_back_keeps_the_seat_empty(tmp_path) -> None:
    d, clock, sink, store = run(tmp_path, [(60, EMPTY), (1200, SEATED), ("suspend", 3600),
                                           (120, EMPTY)])
    assert _named(sink, "break") == []  # nobody came back yet
    snap = d.snapshot()
    assert snap.spell == 0.0 and str(snap.occupancy) == "empty"
    # the history's spell ends when the computer went to sleep, not when it woke (80 min)
    start = clock.now() - timedelta(hours=3)
    spells = queries.spells_between(store, start, clock.now() + timedelta(seconds=1))
    assert [round(s.seconds / 60) for s in spells] == [20]
    d.close()


def test_manual_clock_suspend_moves_the_wall_clock_only() -> None:
    c = ManualClock()
    t0, w0 = c.monotonic(), c.now()
    c.suspend(600)
    assert c.monotonic() == t0 and c.now() - w0 == timedelta(seconds=600)
    assert c.suspended() == 600
    with pytest.raises(ValueError):
        c.suspend(-1)


def test_the_system_clock_reports_no_sleep_when_awake() -> None:
    from sitwatch.core.clock import SystemClock

    assert 0.0 <= SystemClock().suspended() < 1.0


def test_a_camera_only_setup_takes_a_long_sleep_as_a_break_too(tmp_path) -> None:
    from sitwatch.camera.pipeline import CameraPipeline
    from sitwatch.runtime.daemon import Camera
    from tests.helpers.doubles import ScriptedCamera, camera_profile

    clock = ManualClock()
    cam = ScriptedCamera(clock, [(1200, True)], advance=True)
    sink = Collect()
    d = Daemon(CFG, LAY, None, clock, sinks=sink,
               camera=Camera(cam, CameraPipeline(CFG.camera, camera_profile(), main=CFG)))
    while clock.monotonic() < 600:
        d.step(0)
    clock.suspend(3600)
    while not cam.done:
        d.step(0)
    (brk,) = _named(sink, "break")
    assert brk.get("spell") == pytest.approx(600, abs=10)
    assert brk.get("duration") == pytest.approx(3600, abs=10)
    assert d.snapshot().spell == pytest.approx(600, abs=10)
    d.close()
