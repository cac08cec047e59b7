"""Camera posture and presence: a pure state machine fed (time, features, baseline).

Posture states are the cushion's (upright | slouched | leaning_forward | reclined), judged from
the upper body relative to the calibrated upright baseline, in this order:

- **slouched** (head dropped): the nose's height above the shoulder line, in shoulder widths,
  falls below ``slouch_drop_ratio`` of the baseline. When the shoulders are not usable (out of
  the picture, or an implausible width), the nose's descent in the frame since the baseline,
  scaled by the face's apparent size, stands in for it;
- **leaning_forward** (forward head or closer to the screen): the shoulders look
  ``forward_scale`` times wider than in the baseline, or the face looks ``forward_face_ratio``
  times larger relative to the shoulders (the head juts forward); a head turned sideways does
  not count for the face test;
- **reclined** (leaning back): the shoulders look ``recline_scale`` of their baseline width or
  narrower (farther from the screen);
- otherwise **upright**.

A reported state is left only once its ratio is ``hysteresis`` past the threshold, and every new
state must hold for ``dwell`` seconds (:class:`~sitwatch.sensing.detectors.dwell.Dwell`). Presence
(somebody in view) has its own dwell; a sample that finds nobody does not change the posture, and
once absence is confirmed the posture is unknown until the next report. Events carry
``"source": "camera"``.
"""

from __future__ import annotations

import math
from enum import Enum

from sitwatch.camera.baseline import CameraProfile
from sitwatch.camera.features import PoseFeatures
from sitwatch.config.camera import CameraConfig
from sitwatch.core.events import OCCUPANCY, POSTURE, Event
from sitwatch.core.kinds import Occupancy, Posture
from sitwatch.sensing.detectors.dwell import Dwell

PRESENT, ABSENT = "present", "absent"
SOURCE = "camera"
SCALE_RANGE = (0.4, 2.5)  # shoulder width / baseline outside this is a mis-detection
TURNED_YAW = 0.3  # |head_yaw| beyond this: the head is turned, the face-size test is skipped


class Activity(Enum):
    """What the detector needs from the duty cycle."""

    FAST = "fast"  # a change is being confirmed, or the baseline is being learned
    STABLE = "stable"
    ABSENT = "absent"  # nobody in view for a while


def ratios(f: PoseFeatures, b: CameraProfile) -> tuple[float, float, float]:
    """(head drop ratio, distance scale, face ratio change) against the baseline; NaN when
    unknown. Scale > 1: closer to the camera than the baseline."""
    sw, bsw = f.get("shoulder_width"), b.get("shoulder_width")
    scale = sw / bsw if f.shoulders_ok and bsw > 0 else math.nan
    shoulders = SCALE_RANGE[0] < scale < SCALE_RANGE[1]
    fw, bfw = f.get("face_width"), b.get("face_width")
    face_scale = fw / bfw if fw > 0 and bfw > 0 else math.nan
    bdrop = b.get("head_drop")
    if shoulders:
        drop = f.get("head_drop") / bdrop
        face = f.get("face_ratio") / b.get("face_ratio")
    else:
        scale = face_scale
        drop = math.nan
        face = math.nan
        ny, bny = f.get("nose_y"), b.get("nose_y")
        if math.isfinite(ny) and math.isfinite(bny) and scale > 0:
            descent = (ny - bny) / (bsw * scale)
            drop = (bdrop - descent) / bdrop
    return drop, scale, face


def classify(f: PoseFeatures, b: CameraProfile, cfg: CameraConfig,
             current: str | None = None) -> Posture | None:
    """The posture of one sample, or None when it cannot tell (too little in view)."""
    if not f.present:
        return None
    drop, scale, face = ratios(f, b)
    if not math.isfinite(drop):
        return None
    h = cfg.hysteresis
    if drop < cfg.slouch_drop_ratio + (h if current == Posture.SLOUCHED else 0.0):
        return Posture.SLOUCHED
    hf = h if current == Posture.LEANING_FORWARD else 0.0
    turned = abs(f.get("head_yaw") - b.get("head_yaw")) > TURNED_YAW
    if scale >= cfg.forward_scale - hf or (
            not turned and face >= cfg.forward_face_ratio - hf):
        return Posture.LEANING_FORWARD
    if scale <= cfg.recline_scale + (h if current == Posture.RECLINED else 0.0):
        return Posture.RECLINED
    return Posture.UPRIGHT


class CameraDetector:
    """Presence and posture from camera features.

    ``owns_occupancy``: presence changes are reported as ``occupancy`` events (occupied |
    empty, source camera); set it when there is no cushion. Otherwise presence is only tracked.
    """

    def __init__(self, cfg: CameraConfig, *, owns_occupancy: bool = True) -> None:
        self.cfg = cfg
        self.owns_occupancy = owns_occupancy
        self.presence = Dwell(None, cfg.presence_dwell)
        self.posture = Dwell(None, cfg.dwell)
        self._presence_cand: str | None = None
        self._posture_cand: str | None = None
        self.absent_since: float | None = None
        self.last: PoseFeatures | None = None

    @property
    def state(self) -> str | None:
        return self.posture.state

    @property
    def present(self) -> bool | None:
        s = self.presence.state
        return None if s is None else s == PRESENT

    def confirming(self) -> bool:
        """A presence or posture change is pending (sample faster)."""
        return (self._presence_cand != self.presence.state
                or (self._posture_cand is not None and self._posture_cand != self.posture.state))

    def activity(self, t: float) -> Activity:
        if self.confirming() or self.presence.state is None:
            return Activity.FAST
        if self.presence.state == ABSENT and self.absent_since is not None \
                and t - self.absent_since >= self.cfg.absent_after:
            return Activity.ABSENT
        return Activity.STABLE

    def step(self, t: float, f: PoseFeatures, base: CameraProfile | None) -> list[Event]:
        out: list[Event] = []
        self.last = f
        cand = PRESENT if f.present else ABSENT
        self._presence_cand = cand
        if f.present:
            self.absent_since = None
        elif self.absent_since is None:
            self.absent_since = t
        if self.presence.step(cand, t):
            if self.owns_occupancy:
                state = Occupancy.OCCUPIED if cand == PRESENT else Occupancy.EMPTY
                out.append(Event(t, OCCUPANCY, state, {"source": SOURCE}))
            if cand == ABSENT:
                self.posture.reset(None, t)
                self._posture_cand = None
        if self.presence.state != PRESENT or base is None or not f.present:
            return out
        post = classify(f, base, self.cfg, self.posture.state)
        if post is None:
            return out
        self._posture_cand = post
        if self.posture.step(post, t):
            out.append(Event(t, POSTURE, post, {"source": SOURCE}))
        return out

    def reset(self, t: float) -> None:
        """Forget presence and posture (the camera went offline)."""
        self.presence.reset(None, t)
        self.posture.reset(None, t)
        self._presence_cand = self._posture_cand = None
        self.absent_since = None
