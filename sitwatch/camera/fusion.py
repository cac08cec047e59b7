"""Cushion + camera: who decides what, by fixed rules (never "whichever came last").

The two sensors see different halves of the body: the cushion the pelvis and the load on seat
and backrest, the camera the head, neck and shoulders. The rules (ids appear in fused events):

Occupancy and balance
- **O1** an online cushion owns occupancy and load balance; the camera's presence is ignored
  for them (you can sit while turned away from the screen, or stand in front of it).
- **O2** without an online cushion, the camera's presence is the occupancy.

Posture (each input is that sensor's *reported* state, already debounced by its own dwell;
None = unknown: not occupied / not in view / offline / not calibrated)
- **P0** both unknown: unknown.
- **P1** one unknown: the other one.
- (**P2**, the camera's ``reclined`` yielding to the cushion, went with the camera's
  ``reclined``: the camera cannot see reclining and reports no such state. The id is not
  reused, so a fused event's rule means what it meant.)
- **P3** cushion ``reclined`` + camera ``slouched`` or ``leaning_forward``: ``slouched`` (a
  reclined trunk with the head dropped or pushed forward is the C-shaped slump).
- **P4** otherwise the more serious of the two, in the order slouched > leaning_forward >
  reclined > upright: a problem either sensor sees is real, since the other cannot see it.

Which sensor saw the fused posture (``seen_by`` in the fused snapshot) follows the rule: the
known one (P1), both (P3: the slump is the two readings together), under P4
the one reporting it, or both when they agree. The nudge's words depend on it: a slouch only the
camera saw is a head dropped towards the desk, one the cushion saw is about the hips.

:class:`Fusion` applies them to the two pipelines' snapshots: the fused snapshot is what the
nudger, the status file and the history see. Under O2 the camera's presence is handed to the
cushion pipeline (:meth:`sitwatch.sensing.pipeline.Pipeline.follow`), so one sitting timer
counts the spell across both sensors; what only a cushion can know (balance) is unknown meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from sitwatch.core.events import POSTURE, Event
from sitwatch.core.kinds import Posture, Sensor
from sitwatch.sensing import snapshot as S
from sitwatch.sensing.snapshot import BOTH_SAW, CAMERA_SAW, CUSHION_SAW, Snapshot

SEVERITY: dict[str, int] = {
    Posture.SLOUCHED: 3, Posture.LEANING_FORWARD: 2, Posture.RECLINED: 1, Posture.UPRIGHT: 0,
}
HEAD_PROBLEMS = (Posture.SLOUCHED, Posture.LEANING_FORWARD)
FUSED = "fused"  # the source of the fused posture events and snapshot


def occupancy_owner(cushion_online: bool, camera_online: bool) -> tuple[str | None, str]:
    """Which sensor's presence is the occupancy: ("cushion" | "camera" | None, rule)."""
    if cushion_online:
        return "cushion", "O1"
    if camera_online:
        return "camera", "O2"
    return None, "O2"


def fuse_posture(cushion: str | None, camera: str | None) -> tuple[str | None, str]:
    """The fused posture and the id of the rule that decided it."""
    if cushion is None and camera is None:
        return None, "P0"
    if cushion is None:
        return camera, "P1"
    if camera is None:
        return cushion, "P1"
    if cushion == Posture.RECLINED and camera in HEAD_PROBLEMS:
        return Posture.SLOUCHED, "P3"
    if SEVERITY.get(camera, 0) > SEVERITY.get(cushion, 0):
        return camera, "P4"
    return cushion, "P4"


def seen_by(cushion: str | None, camera: str | None) -> tuple[Sensor, ...]:
    """The sensors whose reading gave the fused posture of these inputs (see the rules)."""
    state, rule = fuse_posture(cushion, camera)
    if state is None:
        return ()
    if cushion == camera or rule == "P3":
        return BOTH_SAW
    if state == camera:
        return CAMERA_SAW
    return CUSHION_SAW


@dataclass
class PostureFusion:
    """Feeds on both sensors' current states; reports the fused posture when it changes, as a
    ``posture`` event with ``"source": "fused"`` plus both inputs and the deciding rule."""

    state: str | None = None
    rule: str = "P0"
    cushion: str | None = None
    camera: str | None = None
    seen_by: tuple[Sensor, ...] = ()

    def update(self, t: float, *, cushion: str | None, camera: str | None) -> Event | None:
        self.cushion, self.camera = cushion, camera
        state, rule = fuse_posture(cushion, camera)
        self.rule = rule
        self.seen_by = seen_by(cushion, camera)
        if state == self.state:
            return None
        self.state = state
        if state is None:
            return None  # unknown is not reported (as for a single sensor)
        return Event(t, POSTURE, state, {"source": FUSED, "cushion": cushion,
                                         "camera": camera, "rule": rule})


def fused_in(evs: list[Event]) -> list[Event]:
    """``evs`` with each sensor's own ``posture`` events marked ``"fused_in": true``: they are
    inputs of the fused posture, which is the seat's. The live state (MQTT, the status file)
    follows only the fused one, so it never shows a sensor's view the fused posture overrules
    (the camera's upright while the cushion still reads a slump)."""
    return [Event(e.t, e.event, e.state, {**e.data, "fused_in": True})
            if e.event == POSTURE and e.get("source") != FUSED else e for e in evs]


@dataclass
class Fusion:
    """Cushion + camera snapshots -> the fused snapshot, by the rules above."""

    since: float = 0.0  # when the fused posture last changed
    posture: PostureFusion = field(default_factory=PostureFusion)

    @staticmethod
    def presence(cushion: Snapshot, camera: Snapshot) -> bool | None:
        """O2: the camera's presence, to hand to the (offline) cushion pipeline; None while the
        cushion owns occupancy (O1) or the camera does not know."""
        owner, _rule = occupancy_owner(cushion.online, camera.online)
        if owner != "camera" or camera.occupancy is None:
            return None
        return camera.occupied

    @staticmethod
    def _inputs(cushion: Snapshot, camera: Snapshot) -> tuple[str | None, str | None]:
        occupied = cushion.occupied and (cushion.online or camera.online)
        return (cushion.posture if occupied and cushion.online else None,
                camera.posture if occupied and camera.online else None)

    fused_in = staticmethod(fused_in)

    def update(self, cushion: Snapshot, camera: Snapshot) -> Event | None:
        """Feed both sensors' current states; the fused ``posture`` event when it changes."""
        c, k = self._inputs(cushion, camera)
        before = self.posture.state
        ev = self.posture.update(cushion.t, cushion=c, camera=k)
        if self.posture.state != before:
            self.since = cushion.t
        return ev

    def view(self, cushion: Snapshot) -> Snapshot:
        """The fused snapshot: the cushion's, with the fused posture and the sensors that saw
        it (and, while the cushion is offline, its balance unknown)."""
        online = cushion.online
        p = self.posture
        return replace(
            cushion,
            source=FUSED,
            posture=S.posture(p.state),
            posture_since=self.since,
            seen_by=p.seen_by,
            balance=cushion.balance if online else None,
            balance_since=cushion.balance_since if online else cushion.t,
        )
