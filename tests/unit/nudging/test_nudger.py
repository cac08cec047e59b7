"""The nudger (policy + gate + held nudges + bookkeeping) on its own, and in a camera-only
daemon, where it used to be split between an idle cushion policy and the camera's own."""

from __future__ import annotations

import dataclasses

import pytest

from sitwatch.camera.pipeline import CameraPipeline
from sitwatch.config import Config, Nudges
from sitwatch.core.clock import ManualClock
from sitwatch.core.events import Event
from sitwatch.core.kinds import Balance, NudgeKind, Occupancy, Posture, Sensor
from sitwatch.nudging.gate import NudgeGate
from sitwatch.nudging.guidance import CATALOG, HEAD_DOWN, WEIGHT_FORWARD
from sitwatch.nudging.nudger import STILL_APPLIES, Nudger, still_applies
from sitwatch.runtime.daemon import Camera, Daemon
from sitwatch.sensing import layout
from sitwatch.sensing.snapshot import Snapshot
from sitwatch.sinks.actions import ActionInbox
from tests.helpers.doubles import Collect, ScriptedCamera, camera_profile

LAY = layout.load("load-cells-4")


def snap(t: float = 100.0, **kw) -> Snapshot:
    base = dict(t=t, source="cushion", online=True, occupancy=Occupancy.OCCUPIED)
    base.update(kw)
    return Snapshot(**base)


def nudge(kind: str, **data) -> Event:
    return Event(0.0, "nudge", None, {"kind": kind, **data})


class FakeDnd:
    def __init__(self, on: bool = False) -> None:
        self.on = on

    def active(self) -> tuple[bool, str]:
        return self.on, "screen locked" if self.on else ""


# -- the snapshot and the still-applies table ---------------------------------------------------

def test_the_snapshot_is_frozen() -> None:
    s = snap()
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.posture = Posture.SLOUCHED  # type: ignore[misc]


def test_every_nudge_kind_has_a_still_applies_rule() -> None:
    assert set(STILL_APPLIES) == set(NudgeKind)


@pytest.mark.parametrize(("ev", "state", "want"), [
    (nudge("prolonged_sitting"), {}, True),
    (nudge("prolonged_sitting"), {"occupancy": Occupancy.EMPTY}, False),
    (nudge("prolonged_sitting"), {"occupancy": None}, False),
    (nudge("slouch", posture="slouched"), {"posture": Posture.SLOUCHED}, True),
    (nudge("slouch", posture="leaning_forward"), {"posture": Posture.SLOUCHED}, False),
    (nudge("slouch"), {"posture": Posture.UPRIGHT}, False),
    (nudge("asymmetric_load"), {"balance": Balance.LEFT}, True),
    (nudge("asymmetric_load"), {"balance": Balance.BALANCED}, False),
    (nudge("wallet"), {"wallet": True}, True),
    (nudge("wallet"), {"wallet": False}, False),
])
def test_a_held_nudge_still_applies_by_its_kind(ev, state, want) -> None:
    assert still_applies(ev, snap(**state)) is want


# -- the nudger on its own ----------------------------------------------------------------------

def test_the_policy_looks_at_most_once_a_second() -> None:
    n = Nudger(Nudges(), sit_limit=60)
    assert [e.get("kind") for e in n.observe(snap(t=100.0, spell=100.0))] == ["prolonged_sitting"]
    assert n.policy.pending
    n.observe(snap(t=100.5, spell=100.5, occupancy=Occupancy.EMPTY))
    assert n.policy.pending  # not looked at: under a second later
    outcome = n.observe(snap(t=101.0, spell=0.0, occupancy=Occupancy.EMPTY))
    assert [(e.event, e.get("responded")) for e in outcome] == [("nudge_outcome", True)]


def test_a_dropped_nudge_is_marked_and_not_measured() -> None:
    clock = ManualClock()  # 09:00
    gate = NudgeGate(Nudges(quiet_hours=["08:00-18:00"]), clock)
    n = Nudger(Nudges(quiet_hours=["08:00-18:00"]), sit_limit=60, gate=gate)
    (ev,) = n.observe(snap(spell=100.0))
    assert ev.get("delivered") is False and ev.get("dropped") == "quiet hours"
    assert not n.policy.pending


def test_held_nudges_go_out_when_they_still_apply_and_are_measured_from_then() -> None:
    clock = ManualClock()
    dnd = FakeDnd(on=True)
    gate = NudgeGate(Nudges(), clock, dnd=dnd)
    n = Nudger(Nudges(), sit_limit=60, gate=gate)
    (ev,) = n.observe(snap(spell=100.0))
    assert ev.get("held") == "screen locked" and n.held == 1
    assert n.release(snap(t=130.0), 130.0) == []  # still busy
    dnd.on = False
    (out,) = n.release(snap(t=160.0), 160.0)
    assert out.get("kind") == "prolonged_sitting" and "delivered" not in out.data
    assert [p.t for p in n.policy.pending] == [160.0]


def test_disabled_nudges_never_come_out() -> None:
    n = Nudger(Nudges(enabled=False), sit_limit=60)
    assert not [e for e in n.observe(snap(spell=5000.0)) if e.event == "nudge"]


# -- camera only: one nudger, the camera's snapshot ---------------------------------------------

def camera_only(cfg: Config, clock: ManualClock, seconds: float, **kw):
    cam = CameraPipeline(cfg.camera, camera_profile(), owns_occupancy=True, main=cfg)
    src = ScriptedCamera(clock, [(seconds, True)], advance=True)
    sink = Collect()
    d = Daemon(cfg, LAY, None, clock, sinks=sink, camera=Camera(src, cam), **kw)
    seen: list[Event] = []
    d.listeners.append(seen.append)
    return d, sink, seen


def test_camera_only_a_dropped_nudge_is_not_settled_as_ignored() -> None:
    """Regression: the daemon told the idle cushion policy to forget a dropped nudge, so the
    camera's own policy later settled it as ignored (and backed off)."""
    cfg = Config(detect={"sit_limit": 120}, nudges={"quiet_hours": ["08:00-18:00"]})
    clock = ManualClock()
    d, sink, seen = camera_only(cfg, clock, 800, gate=NudgeGate(cfg.nudges, clock))
    while clock.monotonic() < 800:
        d.step(0)
    dropped = [e for e in seen if e.event == "nudge"]
    assert dropped and all(e.get("dropped") == "quiet hours" for e in dropped)
    assert not [e for e in seen if e.event == "nudge_outcome"]
    d.close()


def test_camera_only_held_nudges_are_delivered_and_measured() -> None:
    """Regression: whether a held nudge still applied was judged from the cushion's occupancy
    (None without a cushion), so held nudges never went out in camera-only mode."""
    cfg = Config(detect={"sit_limit": 120})
    clock = ManualClock()
    dnd = FakeDnd(on=True)
    d, sink, seen = camera_only(cfg, clock, 700, gate=NudgeGate(cfg.nudges, clock, dnd=dnd))
    while clock.monotonic() < 200:
        d.step(0)
    assert [e.get("held") for e in seen if e.event == "nudge"] == ["screen locked"]
    assert not [e for e in sink.events if e.event == "nudge"]
    dnd.on = False
    d.step(0)
    released_at = clock.monotonic()
    assert [e.get("kind") for e in sink.events if e.event == "nudge"] == ["prolonged_sitting"]
    while clock.monotonic() < 700:
        d.step(0)
    outcomes = [e for e in sink.events if e.event == "nudge_outcome"]
    assert [o.get("responded") for o in outcomes] == [False]
    assert outcomes[0].t - released_at == pytest.approx(300, abs=1.5)  # from the release
    d.close()


def test_camera_only_done_counts_as_acted_on() -> None:
    """Regression: "Done" acknowledged the nudge to the idle cushion policy."""
    cfg = Config(detect={"sit_limit": 120})
    clock = ManualClock()
    inbox = ActionInbox()
    d, sink, _ = camera_only(cfg, clock, 400, inbox=inbox)
    while not [e for e in sink.events if e.event == "nudge"]:
        d.step(0)
    inbox.put("done", next(e for e in sink.events if e.event == "nudge"))
    d.step(0)
    outcomes = [e for e in sink.events if e.event == "nudge_outcome"]
    assert [(o.get("kind"), o.get("responded")) for o in outcomes] == [
        ("prolonged_sitting", True)
    ]
    d.close()


def test_camera_only_one_spell_gets_at_most_per_episode_nudges() -> None:
    """The camera's sitting spell is one episode, by its start time (it used to be worked out
    as t - spell, which drifts in the last bits and could start a new episode)."""
    cfg = Config(detect={"sit_limit": 120})
    clock = ManualClock()
    cam = CameraPipeline(cfg.camera, camera_profile(), owns_occupancy=True, main=cfg)
    src = ScriptedCamera(clock, [(2709.15, True)], advance=True, period=1.37)
    sink = Collect()
    d = Daemon(cfg, LAY, None, clock, sinks=sink, camera=Camera(src, cam))
    while not src.done:
        d.step(0)
    levels = [e.get("level") for e in sink.events if e.event == "nudge"]
    assert levels == ["gentle", "firm"]
    d.close()


# -- cushion + camera: the words follow the sensor that saw the posture --------------------------

@pytest.mark.parametrize(("seen_by", "advice"), [
    ((Sensor.CAMERA,), HEAD_DOWN),  # the head rolled forward over a pelvis that stayed put
    ((Sensor.CUSHION,), NudgeKind.SLOUCH),
    ((Sensor.CUSHION, Sensor.CAMERA), NudgeKind.SLOUCH),
])
def test_a_fused_slouch_gets_the_words_of_the_sensor_that_saw_it(seen_by, advice) -> None:
    """Regression: a fused setup's slouch that only the camera saw got the cushion's words
    about the hips and pelvis, which the cushion (reading upright) had no part in."""
    n = Nudger(Nudges(), sit_limit=3600)
    (ev,) = n.observe(snap(source="fused", posture=Posture.SLOUCHED, posture_since=0.0,
                           seen_by=seen_by))
    assert ev.get("kind") == NudgeKind.SLOUCH and ev.get("posture") == Posture.SLOUCHED
    assert ev.get("title") in CATALOG[advice].titles and ev.get("why") == CATALOG[advice].why
    assert ev.get("seen_by") == list(seen_by)


@pytest.mark.parametrize(("seen_by", "advice"), [
    ((Sensor.CUSHION,), WEIGHT_FORWARD),
    ((Sensor.CUSHION, Sensor.CAMERA), WEIGHT_FORWARD),
    ((Sensor.CAMERA,), Posture.LEANING_FORWARD),  # the seat had no part in it
])
def test_a_fused_lean_on_a_seat_only_cushion_gets_the_seats_words_when_it_saw_it(
        seen_by, advice) -> None:
    n = Nudger(Nudges(), sit_limit=3600)
    (ev,) = n.observe(snap(source="fused", posture=Posture.LEANING_FORWARD, posture_since=0.0,
                           seat_only=True, seen_by=seen_by))
    assert ev.get("title") in CATALOG[advice].titles and ev.get("why") == CATALOG[advice].why


def test_nudges_held_by_do_not_disturb_go_out_one_spacing_apart() -> None:
    """Two nudges held while the screen was locked came out together when it unlocked."""
    clock = ManualClock()
    dnd = FakeDnd(on=True)
    gate = NudgeGate(Nudges(), clock, dnd=dnd)
    n = Nudger(Nudges(), sit_limit=60, gate=gate)
    held = n.observe(snap(spell=100.0, posture=Posture.SLOUCHED, posture_since=10.0))
    held += n.observe(snap(t=102.0, spell=102.0, posture=Posture.SLOUCHED, posture_since=10.0))
    assert [e.get("held") for e in held] == ["screen locked", "screen locked"]
    dnd.on = False
    still = snap(t=160.0, spell=160.0, posture=Posture.SLOUCHED, posture_since=10.0)
    (first,) = n.release(still, 160.0)
    assert first.get("kind") == "prolonged_sitting" and n.held == 1
    assert n.release(snap(t=279.0, spell=279.0, posture=Posture.SLOUCHED,
                          posture_since=10.0), 279.0) == []
    (second,) = n.release(snap(t=280.0, spell=280.0, posture=Posture.SLOUCHED,
                               posture_since=10.0), 280.0)
    assert second.get("kind") == "slouch" and n.held == 0
