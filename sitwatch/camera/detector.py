"""Camera posture and presence: a pure state machine fed (time, features, baseline).

Posture states are the cushion's (upright | slouched | leaning_forward | reclined), judged from
body-relative geometry only (:data:`~sitwatch.camera.features.POSTURE_NAMES`), relative to the
calibrated upright baseline, in this order:

- **slouched** (head dropped): the nose's height above the shoulder line, in shoulder widths,
  falls below ``slouch_drop_ratio`` of the baseline. When the shoulders are not usable (out of
  the picture, or an implausible width), the head's pitch stands in: the nose's height above the
  ear line, in face widths, falling ``PITCH_FALL`` below the baseline's; within ``PITCH_FALL``
  of it either way is upright, and it is not judged while the head is turned aside or tipped
  farther back than that. Except for a **face seen from above** (as the head drops past the
  frame's edge towards the desk): the eyes crowded together (``eye_span`` below
  ``FACE_FROM_ABOVE``) with the nose at or above the ear line (a turned head keeps it below, a
  head tipped back keeps the eyes apart). Its nose is measured against the **remembered
  shoulder line** (where the shoulders were over the last ``dwell`` seconds of upright sitting
  at baseline geometry, the baseline's until then) as if the shoulders were still there: below
  ``slouch_drop_ratio`` is slouched, anything else is not judged;
- **leaning_forward** (forward head): the face looks ``forward_face_ratio`` times larger
  relative to the shoulders than in the baseline; a head turned sideways does not count;
- otherwise **upright**.

Apparent size is not a posture cue (issue #10): sitting 30-40% closer to the camera than at
calibration is not leaning forward, and sitting farther away is not leaning back. So the camera
no longer reports ``reclined``: leaning back changes the picture the way moving the chair back
does (the body-relative geometry holds, the body looks smaller; measured on the dataset, no
body-relative feature tells them apart), and the cushion's backrest sensors see it directly.

The apparent shoulder width is still tracked as a **distance estimate**. The detector keeps a
size reference (the baseline's shoulder width at first) and **re-anchors** it when the sitter
has sat at another distance for ``dwell`` seconds with the body geometry at its baseline: the
shoulders look ``forward_scale`` times wider or ``recline_scale`` times narrower than the
reference, every posture rule says upright and the head-drop and face ratios stay within
``REANCHOR_GEOMETRY`` of 1. The reference then moves to the median width of that stretch,
bounded to ``REANCHOR_LIMIT`` times the baseline's either way, and a log line says so. The
reference only decides which shoulder widths are plausible (``SCALE_RANGE``; outside it the
shoulders count as mis-detected and the pitch rule stands in), so a sitter who moves gradually
far closer or farther than at calibration keeps the shoulder-based rules.

A reported state is left only once its ratio is ``hysteresis`` past the threshold, and every new
state must hold for ``dwell`` seconds (:class:`~sitwatch.sensing.detectors.dwell.Dwell`). Presence
(somebody in view) has its own dwell; a sample that finds nobody does not change the posture, and
once absence is confirmed the posture is unknown until the next report. A pose lost right after
its nose was at the bottom edge of the picture (``BOTTOM_EDGE``) is a head gone down out of the
frame, not an empty chair: it counts as present, posture not judged, for ``LOST_BELOW_HOLD``
seconds. A pose whose nose lies below the picture is present too (features ``head_below``):
only the eyes against the ears judge it (``EYE_FALL``, slouched or nothing). A head **seen
going down** out of the bottom of the picture is down until it comes back
(:class:`HeadGone`): the looks without it count as slouched, for ``LOST_BELOW_HOLD`` seconds
at most, and never for a head not seen down first. Events carry ``"source": "camera"``.
"""

from __future__ import annotations

import logging
import math
import statistics
from enum import Enum

from sitwatch.camera.baseline import CameraProfile
from sitwatch.camera.features import PoseFeatures
from sitwatch.config.camera import CameraConfig
from sitwatch.core.events import OCCUPANCY, POSTURE, Event
from sitwatch.core.kinds import Occupancy, Posture, Sensor
from sitwatch.sensing.detectors.dwell import Dwell

log = logging.getLogger(__name__)

PRESENT, ABSENT = "present", "absent"
SOURCE = Sensor.CAMERA
SCALE_RANGE = (0.4, 2.5)  # shoulder width / size reference outside this is a mis-detection
TURNED_YAW = 0.3  # |head_yaw| beyond this: the head is turned, face-based tests are skipped
EYE_FALL = 0.25  # face widths the eyes may fall (relative to the ears), nose out of the picture
EYE_TURNED = 0.15  # |eye_yaw| change beyond this: turned (the eyes sit nearer the ears' plane)
PITCH_FALL = 0.2  # face widths the nose may fall (relative to the ears) before: head down
FACE_FROM_ABOVE = 0.35  # eye_span below this with the nose at or above the ears: seen from above
BOTTOM_EDGE = 0.9  # a nose this far down the picture (or below it) is at its bottom edge
LOST_BELOW_HOLD = 120.0  # s a pose lost at the bottom edge still counts as somebody there
HEAD_SEEN_DOWN = 1.0  # s the head must read slouched before a head gone below counts as down
REANCHOR_GEOMETRY = 0.15  # head-drop and face ratios within this of 1: geometry at baseline
REANCHOR_LIMIT = 2.0  # the size reference stays within this factor of the baseline's


class Activity(Enum):
    """What the detector needs from the duty cycle."""

    FAST = "fast"  # a change is being confirmed, or the baseline is being learned
    STABLE = "stable"
    ABSENT = "absent"  # nobody in view for a while


def ratios(f: PoseFeatures, b: CameraProfile,
           reference: float | None = None) -> tuple[float, float, float]:
    """(head drop ratio, distance scale, face ratio change) against the baseline; NaN when
    unknown (the ratios need plausible shoulders). Scale > 1: closer to the camera than the
    size ``reference`` (default: the baseline's shoulder width); a distance estimate only."""
    ref = b.get("shoulder_width") if reference is None else reference
    sw = f.get("shoulder_width")
    scale = sw / ref if f.shoulders_ok and ref > 0 else math.nan
    if not SCALE_RANGE[0] < scale < SCALE_RANGE[1]:
        return math.nan, scale, math.nan
    return (f.get("head_drop") / b.get("head_drop"), scale,
            f.get("face_ratio") / b.get("face_ratio"))


def pitch_fall(f: PoseFeatures, b: CameraProfile) -> float:
    """Face widths the nose has fallen relative to the ears since the baseline (positive: the
    head tipped down); NaN when unknown or the head is turned aside."""
    if abs(f.get("head_yaw") - b.get("head_yaw")) > TURNED_YAW:
        return math.nan
    return b.get("head_pitch") - f.get("head_pitch")


def line_drop(f: PoseFeatures, b: CameraProfile,
              line: tuple[float, float] | None = None) -> float:
    """The head drop ratio with the shoulders assumed where they were last seen upright:
    the nose's height above that shoulder line, in the shoulder widths seen then, over the
    baseline's head drop. ``line``: (shoulder line height, shoulder width) in frame heights,
    default the baseline's. NaN when unknown (a profile without ``shoulder_y``)."""
    y, w = (b.get("shoulder_y"), b.get("shoulder_width")) if line is None else line
    if not (w > 0):
        return math.nan
    return (y - f.get("nose_y")) / w / b.get("head_drop")


def eye_fall(f: PoseFeatures, b: CameraProfile) -> float:
    """Face widths the eyes have fallen relative to the ears since the baseline (positive: the
    head tipped down), read without the nose; NaN when unknown or the head is turned aside
    (the eyes off the ears' middle by more than ``EYE_TURNED`` from the baseline's)."""
    if not abs(f.get("eye_yaw") - b.get("eye_yaw")) <= EYE_TURNED:
        return math.nan
    return b.get("eye_pitch") - f.get("eye_pitch")


def classify(f: PoseFeatures, b: CameraProfile, cfg: CameraConfig,
             current: str | None = None, reference: float | None = None,
             line: tuple[float, float] | None = None) -> Posture | None:
    """The posture of one sample, or None when it cannot tell (too little in view).
    ``reference``: the current apparent-size reference; ``line``: where the shoulders were
    last seen upright (see the module docstring)."""
    if not f.present:
        return None
    h = cfg.hysteresis
    hs = h if current == Posture.SLOUCHED else 0.0
    drop, _, face = ratios(f, b, reference)
    if not math.isfinite(drop):
        fall = pitch_fall(f, b)
        if f.head_below:
            # The nose has left the bottom of the picture. Judged only from the eyes against
            # the ears (a head tipped down drops its eyes towards the ear line), and only
            # ever slouched: too little is in view to call anything else, so otherwise the
            # sample is not judged.
            return Posture.SLOUCHED if eye_fall(f, b) > EYE_FALL - hs else None
        if not math.isfinite(fall) or fall < -PITCH_FALL:
            # Neither the shoulders nor the head's pitch can be read. A face seen from above,
            # as the head drops to the desk, gives landmarks with the nose at or above the
            # ear line (a turned head keeps it below); then a nose far below where the
            # shoulders were seen upright still says "slouched", and nothing else.
            if not (f.get("head_pitch") >= 0 and f.get("eye_span") < FACE_FROM_ABOVE):
                return None
            low = line_drop(f, b, line)
            return Posture.SLOUCHED if low < cfg.slouch_drop_ratio + hs else None
        return Posture.SLOUCHED if fall > PITCH_FALL - hs else Posture.UPRIGHT
    if drop < cfg.slouch_drop_ratio + hs:
        return Posture.SLOUCHED
    hf = h if current == Posture.LEANING_FORWARD else 0.0
    turned = abs(f.get("head_yaw") - b.get("head_yaw")) > TURNED_YAW
    if not turned and face >= cfg.forward_face_ratio - hf:
        return Posture.LEANING_FORWARD
    return Posture.UPRIGHT


def at_bottom(f: PoseFeatures) -> bool:
    """The nose lies at the picture's bottom edge (``BOTTOM_EDGE``) or below it."""
    return f.present and (f.head_below or f.get("nose_y") >= BOTTOM_EDGE)


class HeadGone:
    """Time, as a person watching would use it: a head **seen** going down out of the bottom
    of the picture is a head down until it comes back.

    ``judge`` takes each sample's own judgement (:func:`classify`) in time order and returns
    it, except for a sample that cannot be judged because the head is gone (the pose lost,
    or the nose below the picture): that one is ``slouched`` when the head was **seen down**
    before it went, no more than ``hold`` seconds ago: every sample judged over at least
    ``HEAD_SEEN_DOWN`` seconds read slouched, the last of them with its nose at the bottom
    edge. Nothing else is ever filled in: a head last seen upright, glimpsed slouched in one
    sample (an upright face squeezed against the edge as the picture slides can read so), or
    slouched away from the bottom edge (it left through the top or a side: standing up,
    walking off) leaves such samples unjudged, and so does a face seen again anywhere but at
    the bottom edge (the head came back, even if it cannot be judged). The sitter's presence
    is the caller's to bound: the detector holds it for ``LOST_BELOW_HOLD`` seconds, the same
    as ``hold``. Pure: time comes in with each sample."""

    def __init__(self, hold: float = LOST_BELOW_HOLD) -> None:
        self.hold = hold
        self.since: float | None = None  # first of the current run of slouched judgements
        self.down_at: float | None = None  # seen down at the bottom edge, last at this time

    def judge(self, t: float, f: PoseFeatures, post: Posture | None) -> Posture | None:
        if post is not None:
            if post != Posture.SLOUCHED:
                self.reset()
                return post
            if self.since is None:
                self.since = t
            seen = at_bottom(f) and t - self.since >= HEAD_SEEN_DOWN
            self.down_at = t if seen else None
            return post
        if self.down_at is None:
            if f.present and not at_bottom(f):
                self.since = None  # a face in view that cannot be judged: start again
            return None
        if (f.present and not at_bottom(f)) or t - self.down_at > self.hold:
            self.reset()
            return None
        return Posture.SLOUCHED

    @property
    def holding(self) -> bool:
        return self.down_at is not None

    def reset(self) -> None:
        self.since = self.down_at = None


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
        self.reference: float | None = None  # apparent shoulder width at the current distance
        self._anchor_base: float | None = None  # the baseline width the reference belongs to
        self._stretch: list[tuple[float, float]] = []  # (t, width) at another distance
        self._upright: list[tuple[float, float, float]] = []  # (t, shoulder y, width) upright
        self.reanchors = 0
        self._last_low = False  # the last pose seen had its nose at the picture's bottom edge
        self._lost_below: float | None = None  # since when that pose has not been found
        self.head = HeadGone()  # a head seen going down out of the picture stays down

    @property
    def line(self) -> tuple[float, float] | None:
        """Where the shoulders were last seen sitting upright at baseline geometry: (median
        shoulder line height, median shoulder width) over the last ``dwell`` seconds of such
        samples; None before any (the baseline's then stands in)."""
        if not self._upright:
            return None
        return (statistics.median(y for _, y, _ in self._upright),
                statistics.median(w for _, _, w in self._upright))

    @property
    def distance_scale(self) -> float:
        """The size reference / the baseline's shoulder width (> 1: closer than at
        calibration); NaN before the first baseline."""
        if self.reference is None or not self._anchor_base:
            return math.nan
        return self.reference / self._anchor_base

    def _anchor(self, t: float, f: PoseFeatures, base: CameraProfile,
                post: Posture | None) -> None:
        """Move the size reference to a new distance once the body geometry has held at its
        baseline there for ``dwell`` seconds (see the module docstring)."""
        bsw = base.get("shoulder_width")
        if self._anchor_base != bsw or self.reference is None:
            self._anchor_base, self.reference = bsw, bsw
            self._stretch.clear()
            self._upright.clear()
        drop, scale, face = ratios(f, base, self.reference)
        at_baseline = (post == Posture.UPRIGHT and abs(drop - 1) <= REANCHOR_GEOMETRY
                       and abs(face - 1) <= REANCHOR_GEOMETRY)
        if at_baseline:
            self._upright.append((t, f.get("shoulder_y"), f.get("shoulder_width")))
            while self._upright[-1][0] - self._upright[0][0] > self.cfg.dwell:
                del self._upright[0]
        closer = scale >= self.cfg.forward_scale
        farther = scale <= self.cfg.recline_scale
        if not at_baseline or not (closer or farther):
            self._stretch.clear()
            return
        if self._stretch and (self._stretch[-1][1] > self.reference) != closer:
            self._stretch.clear()  # crossed from closer to farther: start again
        self._stretch.append((t, f.get("shoulder_width")))
        if t - self._stretch[0][0] < self.cfg.dwell:
            return
        width = statistics.median(w for _, w in self._stretch)
        new = min(max(width, bsw / REANCHOR_LIMIT), bsw * REANCHOR_LIMIT)
        self._stretch.clear()
        if math.isclose(new, self.reference):
            return  # already at the bound: nothing moves, nothing to say
        log.info("camera: size reference re-anchored, shoulders %.2fx their calibrated width "
                 "(was %.2fx; bounded to %.1fx either way)", new / bsw, self.reference / bsw,
                 REANCHOR_LIMIT)
        self.reference = new
        self.reanchors += 1

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
        below = self._below(t, f)  # always: it remembers where the last pose was
        cand = PRESENT if f.present or below else ABSENT
        self._presence_cand = cand
        if cand == PRESENT:
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
                self.head.reset()
        if self.presence.state != PRESENT or base is None:
            return out
        post = None
        if f.present:
            post = classify(f, base, self.cfg, self.posture.state, self.reference, self.line)
            self._anchor(t, f, base, post)
        post = self.head.judge(t, f, post)
        if post is None:
            return out
        self._posture_cand = post
        if self.posture.step(post, t):
            out.append(Event(t, POSTURE, post, {"source": SOURCE}))
        return out

    def _below(self, t: float, f: PoseFeatures) -> bool:
        """Nobody found, right after a pose whose nose was at the bottom edge of the picture:
        the head went down out of it (the pose model loses a face that leaves the frame), not
        the sitter away. Counted as present, posture not judged, for ``LOST_BELOW_HOLD``
        seconds at most; leaving by standing up or aside loses the pose elsewhere."""
        if f.present:
            self._last_low = f.head_below or f.get("nose_y") >= BOTTOM_EDGE
            self._lost_below = None
            return False
        if not self._last_low or self.presence.state != PRESENT:
            return False
        if self._lost_below is None:
            self._lost_below = t
        if t - self._lost_below <= LOST_BELOW_HOLD:
            return True
        self._last_low = False
        return False

    def blind(self, t: float) -> None:
        """The camera stopped looking (offline, or the screen locked) while it owns the seat:
        the posture is forgotten, the presence kept as last seen. What it means once the camera
        looks again is the sitting timer's to say (:meth:`CameraPipeline._seen_again
        <sitwatch.camera.pipeline.CameraPipeline._seen_again>`)."""
        presence = self.presence.state
        self.reset(t)
        self.presence.reset(presence, t)
        self._presence_cand = presence

    def vacate(self, t: float) -> None:
        """Take the seat as empty from ``t`` on (out of sight too long to carry the spell on):
        somebody in view next is somebody sitting down."""
        self.reset(t)
        self.presence.reset(ABSENT, t)
        self._presence_cand = ABSENT
        self.absent_since = t

    def reset(self, t: float) -> None:
        """Forget presence and posture (the camera went offline)."""
        self.presence.reset(None, t)
        self.posture.reset(None, t)
        self._presence_cand = self._posture_cand = None
        self.absent_since = None
        self._last_low, self._lost_below = False, None
        self.head.reset()
