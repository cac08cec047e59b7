"""A camera-only setup while the camera does not look: offline (unplugged, the video device
lost) or the screen locked. Through the daemon with a ManualClock, a real SQLite history and the
status file.

Before, the webcam going offline emptied the seat: after ``min_break`` a break was counted that
nobody saw, and the reports counted it; a locked screen was not noticed at all, so a sitter who
locked it, left for half an hour and came back found the spell grown by that half hour. Now both
follow the cushion's rule (docs/presence.md): the timer stands still while nothing sees the
seat; back within ``min_break`` the spell carries on without the unseen time; back after
``min_break`` or more the seat counts as empty from when it went out of sight. Nobody in view
while the camera works is still the sitter leaving.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from sitwatch.camera.pipeline import CameraPipeline
from sitwatch.config import Config
from sitwatch.core.clock import ManualClock
from sitwatch.history import queries
from sitwatch.history.store import Store
from sitwatch.runtime.daemon import Camera, Daemon
from sitwatch.runtime.status import (
    StatusWriter,
    bar_view,
    format_status,
    presence_state,
    read_status,
)
from sitwatch.sensing import layout
from tests.helpers.doubles import (
    Collect,
    LockedScreenCamera,
    ScriptedCamera,
    UnpluggedCamera,
    camera_profile,
)

CFG = Config(detect={"sit_limit": 1800, "occupancy": {"min_break": 120}})
LAY = layout.load("load-cells-4")  # a camera-only run keeps a layout's detection defaults


def start(tmp_path, cam: ScriptedCamera) -> tuple[Daemon, ManualClock, Collect, Store]:
    clock = cam.clock
    sink = Collect()
    store = Store(tmp_path / "h.sqlite", clock)
    d = Daemon(CFG, LAY, None, clock, sinks=sink, store=store,
               status=StatusWriter(tmp_path / "status.json", clock),
               camera=Camera(cam, CameraPipeline(CFG.camera, camera_profile(), main=CFG)))
    return d, clock, sink, store


def run_until(d: Daemon, clock: ManualClock, t: float) -> None:
    """Daemon steps, a second apart, until the clock reaches ``t``."""
    while clock.monotonic() < t - 1e-9:
        clock.advance(1.0)
        d.step(0)


def status(d: Daemon, tmp_path, clock: ManualClock) -> tuple[str, dict]:
    assert d.status is not None
    d.status.write()
    st = read_status(tmp_path / "status.json", clock)
    return format_status(st), st


def named(sink: Collect, event: str) -> list:
    return [e for e in sink.events if e.event == event]


def spells(store: Store, clock: ManualClock) -> list[float]:
    store.flush()
    now = clock.now()
    return [round(s.seconds) for s in
            queries.spells_between(store, now - timedelta(hours=2), now + timedelta(minutes=1))]


# -- the camera offline ------------------------------------------------------------------------

def test_camera_offline_stands_the_timer_still_and_status_says_so(tmp_path) -> None:
    """10 min seated, the webcam unplugged for 90 s (under min_break), 5 min seated: one spell
    of 15 min, not 16.5, no break; meanwhile the status says the timer is paused until the
    camera is back (it read "Waiting for the camera", the spell at 0)."""
    clock = ManualClock()
    d, clock, sink, store = start(tmp_path, UnpluggedCamera(clock, 600, 690))
    run_until(d, clock, 660)
    text, st = status(d, tmp_path, clock)
    assert st["timer_paused"] is True and st["occupancy"] == "occupied", st
    assert st["spell_seconds"] == pytest.approx(600, abs=6)
    assert ("Occupied when last seen 1 min ago — sitting timer paused at 10 min (limit 30 min) "
            "until the camera is back") in text, text
    assert "cushion" not in text
    assert bar_view(st)["text"] == "10 min · offline"
    assert not named(sink, "occupancy")[1:], "no occupancy change while the camera is away"
    run_until(d, clock, 990)
    snap = d.snapshot()
    assert snap.seen and snap.spell == pytest.approx(900, abs=6)
    assert not named(sink, "break")
    online = [e for e in named(sink, "sensor") if e.state == "online"]
    assert online[-1].get("unseen") == pytest.approx(90, abs=1)
    assert spells(store, clock) == [pytest.approx(900, abs=6)]
    d.close()


def test_camera_offline_for_min_break_or_more_is_a_break_from_when_it_went(tmp_path) -> None:
    """Seated 10 min, the webcam gone 5 min, the sitter there when it is back: the seat counts
    as empty from when the camera went (as after a suspend that long), so a break of 5 min
    ends the spell of 10 min and a new spell starts."""
    clock = ManualClock()
    d, clock, sink, _store = start(tmp_path, UnpluggedCamera(clock, 600, 900))
    run_until(d, clock, 1000)
    empty = [e for e in named(sink, "occupancy") if e.state == "empty"]
    assert len(empty) == 1 and empty[0].get("reason") == "offline", empty
    assert empty[0].get("unseen") == pytest.approx(300, abs=2)
    assert empty[0].get("source") == "camera"
    (brk,) = named(sink, "break")
    assert brk.get("spell") == pytest.approx(600, abs=6)
    assert brk.get("duration") == pytest.approx(300, abs=5)
    assert d.snapshot().spell == pytest.approx(100, abs=5)
    d.close()


def test_camera_offline_for_long_with_nobody_back_counts_no_sitting_meanwhile(tmp_path) -> None:
    """The webcam gone for 10 min, nobody in view once it is back: the spell ended when it
    went (10 min), not when the camera saw the empty chair."""
    clock = ManualClock()
    cam = UnpluggedCamera(clock, 600, 1200)
    cam.ends = [(1200.0, True), (1e6, False)]
    d, clock, _sink, store = start(tmp_path, cam)
    run_until(d, clock, 1300)
    assert d.snapshot().occupancy == "empty"
    assert spells(store, clock) == [pytest.approx(600, abs=6)]
    d.close()


def test_nobody_in_view_is_still_the_sitter_leaving(tmp_path) -> None:
    """The camera works and sees an empty chair for 5 min: that is a break, as before."""
    clock = ManualClock()
    cam = ScriptedCamera(clock, [(600, True), (300, False), (100, True)], advance=False)
    d, clock, sink, _store = start(tmp_path, cam)
    run_until(d, clock, 1000)
    (brk,) = named(sink, "break")
    assert brk.get("duration") == pytest.approx(300, abs=10)
    assert d.snapshot().seen
    d.close()


# -- the screen locked -------------------------------------------------------------------------

def test_a_short_screen_lock_stands_the_timer_still(tmp_path) -> None:
    """Locked for 90 s while seated: the spell leaves it out and carries on (it grew through
    the lock before); the status says the timer waits for the screen to be unlocked."""
    clock = ManualClock()
    d, clock, sink, store = start(tmp_path, LockedScreenCamera(clock, 600, 690))
    run_until(d, clock, 660)
    text, st = status(d, tmp_path, clock)
    assert st["timer_paused"] is True and st["camera"]["paused"] is True, st
    assert "sitting timer paused at 10 min (limit 30 min) until the screen is unlocked" in text
    assert "camera paused while the screen is locked" in text, text
    assert bar_view(st)["text"] == "10 min · locked"
    assert presence_state(st) == "unknown"  # `sitwatch status --watch`, as D-Bus's State
    run_until(d, clock, 990)
    assert d.snapshot().spell == pytest.approx(900, abs=6)
    assert not named(sink, "break")
    screen = [(e.state, e.get("source")) for e in named(sink, "screen")]
    assert screen == [("locked", "camera"), ("unlocked", "camera")]
    assert named(sink, "screen")[-1].get("unseen") == pytest.approx(90, abs=1)
    assert spells(store, clock) == [pytest.approx(900, abs=6)]
    d.close()


def test_locked_for_min_break_or_more_is_a_break_from_the_lock(tmp_path) -> None:
    """Locked for 30 min (the sitter went to lunch) and unlocked by the sitter, back in the
    chair: a break of 30 min after a spell of 10, not a spell of 40 and an instant "time to
    move"."""
    clock = ManualClock()
    d, clock, sink, _store = start(tmp_path, LockedScreenCamera(clock, 600, 2400))
    run_until(d, clock, 2500)
    (brk,) = named(sink, "break")
    assert brk.get("spell") == pytest.approx(600, abs=6)
    assert brk.get("duration") == pytest.approx(1800, abs=5)
    empty = [e for e in named(sink, "occupancy") if e.state == "empty"]
    assert [e.get("reason") for e in empty] == ["locked"]
    assert d.snapshot().spell == pytest.approx(100, abs=5)
    assert not [e for e in named(sink, "nudge") if e.get("kind") == "sitting_time"]
    d.close()


# -- the pipeline on its own -------------------------------------------------------------------

def test_the_pipeline_keeps_the_seat_as_last_seen_while_blind() -> None:
    from sitwatch.camera import features as F
    from sitwatch.camera.source import PoseReading
    from tests.helpers.doubles import upright_pose

    pl = CameraPipeline(CFG.camera, camera_profile(), main=CFG)
    for t in range(0, 300):
        pl.process(PoseReading(float(t), upright_pose(), True))
    assert pl.sensor(300.0, False, "camera unplugged")[0].state == "offline"
    snap = pl.snapshot(400.0)
    assert snap.occupied and not snap.seen and snap.posture is None
    assert snap.spell == pytest.approx(snap.unseen_since - snap.spell_start)
    # back, nobody in view: the seat empties when the camera sees that, not before
    evs = pl.process(PoseReading(350.0, F.ABSENT, False))
    assert evs[0].event == "sensor" and evs[0].get("unseen") == 50.0
    assert pl.snapshot(350.0).seen


def test_fused_a_locked_screen_forgets_the_camera_s_presence() -> None:
    """With a cushion the camera owns no timer: locked, it forgets what it saw, so it stands
    in for no offline cushion (rule O2) with a picture it no longer takes."""
    from sitwatch.camera.source import PoseReading
    from tests.helpers.doubles import upright_pose

    pl = CameraPipeline(CFG.camera, camera_profile(), owns_occupancy=False)
    for t in range(0, 30):
        pl.process(PoseReading(float(t), upright_pose(), True))
    assert pl.snapshot(30.0).occupied
    pl.screen(30.0, True)
    assert pl.snapshot(31.0).occupancy is None


def test_presence_is_unknown_while_the_screen_is_locked() -> None:
    """D-Bus's State (and Workrave's) read "sitting" through a lock, the camera online."""
    from sitwatch.camera.source import PoseReading
    from sitwatch.core.kinds import Presence
    from sitwatch.sinks.presence import Seat
    from tests.helpers.doubles import upright_pose

    clock = ManualClock()
    pl = CameraPipeline(CFG.camera, camera_profile(), main=CFG)
    seat = Seat(clock, CFG.detect.occupancy.min_break)
    for t in range(0, 30):
        pl.process(PoseReading(float(t), upright_pose(), True))
    seat.on_snapshot(pl.snapshot(30.0), False)
    assert seat.state() == Presence.SITTING
    pl.screen(31.0, True)
    seat.on_snapshot(pl.snapshot(32.0), False)
    assert seat.state() == Presence.UNKNOWN


# -- the camera standing in for an offline cushion (fusion rule O2) ----------------------------

def fused_stand_in(tmp_path, cam: ScriptedCamera) -> tuple[Daemon, Collect, Store]:
    """A cushion seated for 60 s, then offline for good; the camera stands in for it."""
    from sitwatch.sensing import calibration
    from tests.unit.runtime.test_daemon import EMPTY, SEATED, ScriptSource

    clock = cam.clock
    sink = Collect()
    store = Store(tmp_path / "h.sqlite", clock)
    prof = calibration.from_arrays(LAY, tare=EMPTY, upright=SEATED, method="recording")
    cushion = ScriptSource(clock, [(60, SEATED), (1e6, "offline")])
    d = Daemon(CFG, LAY, cushion, clock, profile=prof, sinks=sink, store=store,
               camera=Camera(cam, CameraPipeline(CFG.camera, camera_profile(),
                                                 owns_occupancy=False)))
    return d, sink, store


@pytest.mark.parametrize("cam", [
    lambda clock: UnpluggedCamera(clock, 300, 360),
    lambda clock: LockedScreenCamera(clock, 300, 360),
], ids=["camera unplugged", "screen locked"])
def test_a_short_blind_gap_of_the_stand_in_is_left_out_of_the_history_too(tmp_path, cam) -> None:
    """The cushion offline, the camera standing in for it goes blind for a minute (unplugged,
    or the screen locked) while the sitter stays: the live timer leaves that minute out of the
    spell, and now so does the history. No event said how long it was, so `sitwatch report`
    counted a spell a minute longer than `sitwatch status` had shown."""
    clock = ManualClock()
    d, sink, store = fused_stand_in(tmp_path, cam(clock))
    while clock.monotonic() < 600:
        d.step(0)
    live = d.snapshot().spell
    assert live == pytest.approx(600 - 60 - 3, abs=4)  # (3 s: the camera's presence dwell)
    back = [e for e in named(sink, "sensor") if e.get("rule") == "O2"]
    assert [(e.state, e.get("source")) for e in back] == [("online", "camera")]
    assert back[0].get("unseen") == pytest.approx(63, abs=2)
    assert spells(store, clock) == [pytest.approx(live, abs=1)]
    d.close()


def test_the_stand_in_seeing_the_seat_empty_after_a_blind_gap_ends_the_spell_alike(
        tmp_path) -> None:
    """Blind for a minute, then nobody in view: the spell the history counts is the live one."""
    clock = ManualClock()
    cam = UnpluggedCamera(clock, 300, 360)
    cam.ends = [(360.0, True), (1e6, False)]
    d, sink, store = fused_stand_in(tmp_path, cam)
    while clock.monotonic() < 400:
        d.step(0)
    left = [e for e in named(sink, "occupancy") if e.state == "empty"]
    assert left and left[-1].get("rule") == "O2"
    live = d.pipeline.timer.left_at - d.pipeline.timer.spell_start  # type: ignore[union-attr]
    assert spells(store, clock) == [pytest.approx(live, abs=1)]
    d.close()
