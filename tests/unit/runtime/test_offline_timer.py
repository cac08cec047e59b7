"""The sitting timer while the cushion is offline, through the daemon with a ManualClock, a real
SQLite history and the status file.

Before, a cushion unplugged (or a wireless one whose battery died) under a sitter left the spell
growing: `sitwatch status` counted minutes nobody saw, and the "time to move" nudge went out the
moment the cushion came back, for sitting sitwatch never saw. Now the timer stands still while
no sensor sees the seat; back within ``min_break`` the spell carries on without the time out of
sight, and after ``min_break`` or more it is taken as a suspend that long is: the seat counts as
empty from when it went out of sight.
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
from sitwatch.runtime.status import StatusWriter, bar_view, format_status, read_status
from sitwatch.sensing import layout
from sitwatch.sensing.detectors.occupancy import SittingTimer
from sitwatch.sources.base import Reading, Status
from tests.helpers.doubles import Collect

LAY = layout.load("load-cells-4")
SEATED = np.array([20000.0, 20500, 9000, 9200])
EMPTY = np.array([40.0, 35, 30, 45])
CFG = Config(detect={"sit_limit": 1800, "occupancy": {"min_break": 120}})
OFFLINE = "offline"


class Unplugged:
    """Frames at 5 Hz from a schedule of (seconds, values) or (seconds, "offline"): the cushion
    is unplugged (one ``Status`` saying so, then nothing), and plugged in again when the next
    frames come. The clock advances 0.2 s with every poll."""

    name = "unplugged"

    def __init__(self, clock: ManualClock, schedule: list[tuple[float, object]]) -> None:
        self.clock = clock
        self.todo = list(schedule)
        self.left = 0.0
        self.what: object = None
        self.online = True
        self.n = 0

    @property
    def done(self) -> bool:
        return not self.todo and self.left <= 1e-9

    def poll(self, max_wait: float) -> list[Reading | Status]:
        if self.left <= 1e-9:
            if not self.todo:
                return []
            self.left, self.what = self.todo.pop(0)
        self.clock.advance(0.2)
        self.left -= 0.2
        t = self.clock.monotonic()
        if isinstance(self.what, str):
            if not self.online:
                return []
            self.online = False
            return [Status(t, False, "connection lost: was the cushion unplugged?", gone=True)]
        out: list[Reading | Status] = []
        if not self.online:
            self.online = True
            out.append(Status(t, True, "open"))
        self.n += 1
        noise = np.random.default_rng(self.n).normal(0, 20, 4)
        return [*out, Reading(t, np.asarray(self.what) + noise)]

    def stats(self) -> dict[str, object]:
        return {"port": "/dev/ttyACM0", "online": self.online, "frames": self.n,
                "dropped_total": 0}

    def close(self) -> None:
        pass


def start(tmp_path, schedule, cfg: Config = CFG) -> tuple[Daemon, ManualClock, Collect, Store]:
    clock = ManualClock()
    sink = Collect()
    store = Store(tmp_path / "h.sqlite", clock)
    d = Daemon(cfg, LAY, Unplugged(clock, schedule), clock, sinks=sink, store=store,
               status=StatusWriter(tmp_path / "status.json", clock))
    return d, clock, sink, store


def run_until(d: Daemon, clock: ManualClock, t: float) -> None:
    """Daemon steps until the clock reaches ``t`` (the source moves it; offline, nothing comes
    and the steps move it by hand, as the daemon's own waiting would)."""
    src = d.source
    assert isinstance(src, Unplugged)
    while clock.monotonic() < t - 1e-9 and not src.done:
        d.step(0)
    while clock.monotonic() < t - 1e-9:
        clock.advance(0.2)
        d.step(0)


def status_text(d: Daemon, tmp_path, clock: ManualClock) -> tuple[str, dict]:
    assert d.status is not None
    d.status.write()
    st = read_status(tmp_path / "status.json", clock)
    return format_status(st), st


def _named(sink: Collect, event: str) -> list:
    return [e for e in sink.events if e.event == event]


def test_the_timer_stands_still_while_the_cushion_is_offline_and_status_says_why(
        tmp_path) -> None:
    """10 min seated, 90 s unplugged (under min_break), 5 min seated: one spell of 15 min, not
    16.5; meanwhile the status says the timer is paused at 10 min, and why."""
    d, clock, sink, store = start(tmp_path, [(60, EMPTY), (600, SEATED), (90, OFFLINE),
                                             (300, SEATED), (200, EMPTY)])
    run_until(d, clock, 660 + 80)  # 80 s into the unplugged stretch
    snap = d.snapshot()
    assert not snap.seen and snap.spell == pytest.approx(600, abs=5)
    text, st = status_text(d, tmp_path, clock)
    assert st["timer_paused"] is True and st["unseen_seconds"] == pytest.approx(80, abs=1)
    assert st["spell_seconds"] == pytest.approx(600, abs=5)
    assert text.startswith("Occupied when last seen 1 min ago — sitting timer paused at 10 min "
                           "(limit 30 min) until the cushion is back · cushion offline"), text
    bar = bar_view(st)
    assert (bar["class"], bar["text"]) == ("offline", "10 min · offline")
    assert "posture" not in text.split("·")[1]  # what it was last seen doing is not news

    run_until(d, clock, 660 + 90 + 300)
    snap = d.snapshot()
    assert snap.seen and snap.spell == pytest.approx(900, abs=5)
    text, st = status_text(d, tmp_path, clock)
    assert st["timer_paused"] is False and st["unseen_seconds"] is None
    assert text.startswith("Occupied — sitting for 15 min"), text
    (back,) = [e for e in _named(sink, "sensor") if e.state == "online"]
    assert back.get("unseen") == pytest.approx(90, abs=1)
    assert _named(sink, "break") == []

    run_until(d, clock, 1250)  # up, and the spell ends
    start_ = clock.now() - timedelta(hours=1)
    spells = queries.spells_between(store, start_, clock.now() + timedelta(seconds=1))
    assert [round(s.seconds) for s in spells] == [pytest.approx(903, abs=5)]  # + exit dwell
    d.close()


def test_no_time_to_move_for_sitting_nobody_saw(tmp_path) -> None:
    """28 min seated, 100 s unplugged, seated on: "time to move" comes after 30 min of seen
    sitting, not the moment the cushion is back (it came at 28 min + 100 s before)."""
    d, clock, sink, _store = start(tmp_path, [(60, EMPTY), (1680, SEATED), (100, OFFLINE),
                                              (300, SEATED)])
    run_until(d, clock, 60 + 1680 + 100)
    assert _named(sink, "nudge") == []  # not while offline
    run_until(d, clock, 60 + 1680 + 100 + 300)
    (nudge,) = _named(sink, "nudge")
    assert nudge.get("kind") == "prolonged_sitting"
    seated_at = next(e.t for e in _named(sink, "occupancy") if e.state == "occupied")
    back = 60 + 1680 + 100
    assert nudge.t >= back + 60  # 1800 s of seen sitting, not at once
    assert nudge.t - seated_at - 100 == pytest.approx(1800, abs=3)
    d.close()


def test_offline_for_min_break_or_more_ends_the_spell_as_a_suspend_would(tmp_path) -> None:
    """20 min seated, 10 min unplugged, seated on: the seat counts as empty from the moment it
    went out of sight; sitting on is a new spell after a break (and no "time to move": before,
    the spell read 30 min when the cushion came back, and the nudge went out)."""
    d, clock, sink, store = start(tmp_path, [(60, EMPTY), (1200, SEATED), (600, OFFLINE),
                                             (300, SEATED)])
    run_until(d, clock, 60 + 1200 + 600 + 300)
    empties = [e for e in _named(sink, "occupancy") if e.get("reason") == OFFLINE]
    assert len(empties) == 1 and empties[0].get("unseen") == pytest.approx(600, abs=1)
    (brk,) = _named(sink, "break")
    assert brk.get("spell") == pytest.approx(1200, abs=5)
    assert brk.get("duration") == pytest.approx(600, abs=5)  # + the sitting-down dwell
    assert _named(sink, "nudge") == []
    assert d.snapshot().spell == pytest.approx(300, abs=5)
    spells = queries.spells_between(store, clock.now() - timedelta(hours=1),
                                    clock.now() + timedelta(seconds=1))
    assert [round(s.seconds / 60) for s in spells] == [20, 5]
    d.close()


def test_long_offline_with_nobody_back_ends_the_spell_when_it_went_out_of_sight(
        tmp_path) -> None:
    """The history's spell ends when the cushion went offline, not when it came back to an
    empty seat (30 min, which the live timer never showed)."""
    d, clock, _sink, store = start(tmp_path, [(60, EMPTY), (1200, SEATED), (600, OFFLINE),
                                              (200, EMPTY)])
    run_until(d, clock, 60 + 1200 + 600 + 200)
    snap = d.snapshot()
    assert str(snap.occupancy) == "empty" and snap.spell == 0.0
    spells = queries.spells_between(store, clock.now() - timedelta(hours=1),
                                    clock.now() + timedelta(seconds=1))
    assert [round(s.seconds / 60) for s in spells] == [20]
    d.close()


def test_offline_while_away_adds_to_the_absence(tmp_path) -> None:
    """Up for 1 min, then unplugged for 90 s: 2.5 min away is a break (min_break 2 min), as a
    sleep of the computer would be; the timer has nothing to hold meanwhile."""
    d, clock, sink, _store = start(tmp_path, [(60, EMPTY), (1200, SEATED), (60, EMPTY),
                                              (90, OFFLINE), (300, SEATED)])
    run_until(d, clock, 60 + 1200 + 60 + 80)
    text, _st = status_text(d, tmp_path, clock)
    assert text.startswith("Seat empty when last seen 1 min ago · cushion offline"), text
    run_until(d, clock, 60 + 1200 + 60 + 90 + 300)
    (brk,) = _named(sink, "break")
    assert brk.get("duration") == pytest.approx(150, abs=8)
    assert d.snapshot().spell == pytest.approx(300, abs=5)
    d.close()


def test_a_held_time_to_move_waits_while_nothing_sees_the_seat(tmp_path) -> None:
    """A nudge held for do-not-disturb is not let out while the cushion is offline (nobody
    knows whether anyone still sits): before, it went out as soon as do-not-disturb ended. It
    goes once the seat is seen occupied again."""
    from sitwatch.nudging.gate import NudgeGate

    class Dnd:
        on = True

        def active(self) -> tuple[bool, str]:
            return self.on, "screen locked" if self.on else ""

    clock = ManualClock()
    dnd = Dnd()
    sink = Collect()
    d = Daemon(CFG, LAY, Unplugged(clock, [(60, EMPTY), (1830, SEATED), (60, OFFLINE),
                                           (30, SEATED)]), clock, sinks=sink,
               gate=NudgeGate(CFG.nudges, clock, dnd=dnd))  # type: ignore[arg-type]
    run_until(d, clock, 60 + 1830 + 10)
    assert _named(sink, "nudge") == []  # held
    dnd.on = False
    run_until(d, clock, 60 + 1830 + 55)
    assert _named(sink, "nudge") == []  # offline: still held
    run_until(d, clock, 60 + 1830 + 60 + 30)
    (nudge,) = _named(sink, "nudge")
    assert nudge.get("kind") == "prolonged_sitting" and nudge.t > 60 + 1830 + 60
    d.close()


# -- the timer alone ----------------------------------------------------------------------------

def test_the_timer_holds_a_spell_out_of_sight_and_leaves_the_gap_out() -> None:
    tm = SittingTimer(min_break=120)
    tm.sit(0.0)
    tm.hide(100.0)
    assert tm.spell(150.0) == 100.0 and tm.spell(400.0) == 100.0
    assert tm.show(160.0) is False  # 60 s: the spell carries on
    assert tm.spell(200.0) == 140.0


def test_out_of_sight_for_min_break_the_seat_was_left_when_it_went_out_of_sight() -> None:
    tm = SittingTimer(min_break=120)
    tm.sit(0.0)
    tm.hide(100.0)
    assert tm.show(220.0) is True  # the caller empties the seat
    assert tm.left_at == 100.0 and tm.on_break(220.0)
    brk = tm.sit(222.0)
    assert brk is not None and brk.data == {"duration": 122.0, "spell": 100.0}


def test_out_of_sight_during_an_absence_the_absence_goes_on() -> None:
    tm = SittingTimer(min_break=120)
    tm.sit(0.0)
    tm.leave(100.0)
    tm.hide(130.0)
    assert tm.show(200.0) is False
    assert tm.on_break(220.0)
    assert tm.sit(221.0) is not None


def test_a_long_sleep_while_out_of_sight_and_seated() -> None:
    """Out of sight, then the computer sleeps for an hour (the seat is emptied as after any long
    sleep): the spell ended no later than when it went out of sight."""
    tm = SittingTimer(min_break=120)
    tm.sit(0.0)
    tm.hide(100.0)
    tm.leave(110.0)  # Pipeline.suspended empties the seat
    tm.suspended(110.0, 3600.0)
    assert tm.left_at is not None and tm.spell_start is not None
    assert tm.left_at - tm.spell_start == 100.0
    assert tm.show(120.0) is False
    brk = tm.sit(130.0)
    assert brk is not None and brk.get("spell") == 100.0


# -- a camera standing in (fusion rule O2) --------------------------------------------------------

def test_a_camera_that_sees_the_seat_keeps_the_timer_running(tmp_path) -> None:
    """O2 keeps working: with the cushion unplugged, a camera that sees the sitter is the
    occupancy, and the spell grows through the unplugged time as it would have."""
    from sitwatch.camera.pipeline import CameraPipeline
    from sitwatch.runtime.daemon import Camera
    from tests.helpers.doubles import ScriptedCamera, camera_profile

    clock = ManualClock()
    cushion = Unplugged(clock, [(600, SEATED), (300, OFFLINE), (100, SEATED)])
    cam = ScriptedCamera(clock, [(1000, True)], advance=False)
    d = Daemon(CFG, LAY, cushion, clock, sinks=Collect(),
               status=StatusWriter(tmp_path / "status.json", clock),
               camera=Camera(cam, CameraPipeline(CFG.camera, camera_profile(),
                                                 owns_occupancy=False)))
    run_until(d, clock, 600 + 200)
    snap = d.snapshot()
    assert snap.seen and snap.spell == pytest.approx(800 - snap.spell_start, abs=1)
    assert snap.spell > 780
    text, st = status_text(d, tmp_path, clock)
    assert st["timer_paused"] is False and "paused" not in text, text
    run_until(d, clock, 1000)
    assert d.snapshot().spell > 980
    d.close()


def test_the_pipeline_holds_the_timer_when_the_camera_does_not_know_either() -> None:
    """``follow(t, None)``: no other sensor sees the seat: the timer stands still, as without
    a camera; the camera seeing the sitter again carries the spell on without the gap."""
    from sitwatch.sensing.pipeline import Pipeline

    pl = Pipeline(LAY, CFG)
    for i in range(600):
        pl.process(i / 2, SEATED)  # 5 min seated
    start_ = pl.snapshot(300.0).spell_start
    assert start_ is not None
    pl.sensor(300.0, False, "unplugged")
    assert pl.follow(300.0, True, {"source": "camera", "rule": "O2"}) == []  # still occupied
    assert pl.snapshot(400.0).seen and pl.snapshot(400.0).spell == pytest.approx(400 - start_)
    pl.follow(400.0, None, {})
    assert pl.snapshot(450.0).spell == pytest.approx(400 - start_)
    assert not pl.snapshot(450.0).seen
    # seen again: the event says how long the spell left out, for the history
    (back,) = pl.follow(460.0, True, {"source": "camera", "rule": "O2"})
    assert (back.event, back.state) == ("sensor", "online")
    assert back.data == {"source": "camera", "rule": "O2", "unseen": 60.0}
    assert pl.snapshot(500.0).spell == pytest.approx(500 - start_ - 60)


def test_a_nudge_before_the_cushion_went_offline_gets_no_outcome(tmp_path) -> None:
    """"Time to move", then the cushion is offline for 10 min: whether the sitter got up cannot
    be told, so the nudge is not counted as acted on (before, the seat taken as empty when the
    cushion came back read as the sitter standing up) nor as ignored."""
    d, clock, sink, _store = start(tmp_path, [(60, EMPTY), (1830, SEATED), (600, OFFLINE),
                                              (300, SEATED)])
    run_until(d, clock, 60 + 1830 + 600 + 300)
    assert [n.get("kind") for n in _named(sink, "nudge")] == ["prolonged_sitting"]
    assert _named(sink, "nudge_outcome") == []
    assert len(_named(sink, "break")) == 1
    d.close()


def test_a_replay_leaves_a_gap_in_the_recording_out_of_the_spell(tmp_path) -> None:
    """`sitwatch replay` takes a gap of frames as the cushion offline, so the timer stands
    still through it as it does live: 10 min seated, 90 s without frames, 5 min seated is a
    spell of 15 min, and "time to move" (limit 14 min) comes after 14 min of frames, not at
    the first frame after the gap."""
    from sitwatch.runtime.replay import replay

    rng = np.random.default_rng(1)
    lines = ["# sitwatch-recording v1 layout=load-cells-4 hz=5"]
    for t in np.arange(0.0, 1050.0, 0.2):
        if 660 <= t < 750:
            continue  # unplugged
        v = (EMPTY if t < 60 else SEATED) + rng.normal(0, 20, 4)
        lines.append(f"{t:.3f}," + ",".join(f"{x:.0f}" for x in v))
    rec = tmp_path / "gap.rec"
    rec.write_text("\n".join(lines) + "\n")
    cfg = Config(detect={"sit_limit": 840, "occupancy": {"min_break": 120}})
    evs = list(replay(rec, LAY, cfg))
    (nudge,) = [e for e in evs if e.event == "nudge"]
    seated_at = next(e.t for e in evs if e.event == "occupancy" and e.state == "occupied")
    assert nudge.t - seated_at - 90 == pytest.approx(840, abs=3)
    assert [e for e in evs if e.event == "break"] == []
