"""Upper-body features from 33 pose landmarks, for a front-facing laptop or monitor camera.

Pure numpy, no I/O. Landmarks are MediaPipe's ([x, y, z, visibility], x and y normalised to the
frame) as the camera saw them (not mirrored: the person's left shoulder is on the right of the
picture). Points are first put into one unit, the frame height (x times ``aspect`` = width /
height), so distances and angles mean the same in both directions.

Hips are usually out of frame, so every feature uses the head and the shoulders only. A landmark
counts when its visibility reaches ``min_visibility`` and it lies in (or just below) the frame;
a feature whose landmarks do not count is NaN. The shoulders are trusted only as a pair that
also keeps its left/right order.

Each feature is one row of :data:`SPECS` (name, unit, meaning, kind, function), so adding one is
adding a row. Signs: "left" is the person's left.

Two kinds of feature (issue #10). **Posture** features are body-relative (ratios of distances
between landmarks, in shoulder or face widths, and angles): moving closer to or farther from the
camera scales the whole picture about some centre, and a different framing translates it, and
neither changes them. Only they judge posture (:data:`POSTURE_NAMES`). **Frame** features
(apparent sizes and positions in frame heights) change with distance and framing: the shoulder
width is kept as a distance estimate (the detector's re-anchored size reference, the eval's
distance column), never as a posture cue.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from sitwatch.camera import landmarks as L

NAN = float("nan")
FRAME_MARGIN = 0.1  # landmarks up to this far outside the frame still count (shoulders at the edge)


@dataclass(frozen=True, slots=True)
class Geometry:
    """Landmark positions in frame-height units, with which of them count."""

    p: np.ndarray  # 33 x 2
    ok: np.ndarray  # 33 bools
    z: np.ndarray  # 33

    def has(self, *idx: int) -> bool:
        return bool(all(self.ok[i] for i in idx))

    @property
    def shoulders_ok(self) -> bool:
        if not self.has(L.LEFT_SHOULDER, L.RIGHT_SHOULDER):
            return False
        # Seen from the front, the person's left shoulder is right of the right one.
        return bool(self.p[L.LEFT_SHOULDER, 0] - self.p[L.RIGHT_SHOULDER, 0] > 1e-3)

    @property
    def shoulder_mid(self) -> np.ndarray:
        mid: np.ndarray = (self.p[L.LEFT_SHOULDER] + self.p[L.RIGHT_SHOULDER]) / 2
        return mid

    @property
    def shoulder_width(self) -> float:
        if not self.shoulders_ok:
            return NAN
        return float(np.linalg.norm(self.p[L.LEFT_SHOULDER] - self.p[L.RIGHT_SHOULDER]))

    @property
    def face_width(self) -> float:
        if not self.has(L.LEFT_EAR, L.RIGHT_EAR):
            return NAN
        return float(np.linalg.norm(self.p[L.LEFT_EAR] - self.p[L.RIGHT_EAR]))


def _angle(g: Geometry, left: int, right: int) -> float:
    """Degrees the line right -> left rises (positive: the person's left side higher)."""
    if not g.has(left, right):
        return NAN
    dx = g.p[left, 0] - g.p[right, 0]
    dy = g.p[right, 1] - g.p[left, 1]  # y grows downwards
    if dx <= 0:
        return NAN
    return math.degrees(math.atan2(dy, dx))


def _head_drop(g: Geometry) -> float:
    sw = g.shoulder_width
    if not (sw > 0) or not g.has(L.NOSE):
        return NAN
    return float((g.shoulder_mid[1] - g.p[L.NOSE, 1]) / sw)


def _face_ratio(g: Geometry) -> float:
    sw, fw = g.shoulder_width, g.face_width
    return fw / sw if sw > 0 and fw > 0 else NAN


def _eye_span(g: Geometry) -> float:
    if not g.has(L.LEFT_EYE, L.RIGHT_EYE, L.MOUTH_LEFT, L.MOUTH_RIGHT):
        return NAN
    eyes = (g.p[L.LEFT_EYE] + g.p[L.RIGHT_EYE]) / 2
    mouth = (g.p[L.MOUTH_LEFT] + g.p[L.MOUTH_RIGHT]) / 2
    height = float(np.linalg.norm(mouth - eyes))
    if not height > 0:
        return NAN
    return float(np.linalg.norm(g.p[L.LEFT_EYE] - g.p[L.RIGHT_EYE])) / height


def _lateral(g: Geometry) -> float:
    sw = g.shoulder_width
    if not (sw > 0) or not g.has(L.NOSE):
        return NAN
    return float((g.p[L.NOSE, 0] - g.shoulder_mid[0]) / sw)


def _yaw(g: Geometry) -> float:
    fw = g.face_width
    if not (fw > 0) or not g.has(L.NOSE):
        return NAN
    mid = (g.p[L.LEFT_EAR, 0] + g.p[L.RIGHT_EAR, 0]) / 2
    return float((g.p[L.NOSE, 0] - mid) / fw)


def _pitch(g: Geometry) -> float:
    fw = g.face_width
    if not (fw > 0) or not g.has(L.NOSE):
        return NAN
    ear_y = (g.p[L.LEFT_EAR, 1] + g.p[L.RIGHT_EAR, 1]) / 2
    return float((ear_y - g.p[L.NOSE, 1]) / fw)


def _nose(axis: int) -> Callable[[Geometry], float]:
    def f(g: Geometry) -> float:
        return float(g.p[L.NOSE, axis]) if g.has(L.NOSE) else NAN

    return f


def _eyes_vs_ears(axis: int) -> Callable[[Geometry], float]:
    """The eyes' midpoint against the ears' midpoint, in face widths: up (axis 1, positive:
    the eyes higher) or across (axis 0, positive: to the person's left). Needs no nose, so
    it still reads a head whose nose has left the picture."""
    def f(g: Geometry) -> float:
        fw = g.face_width
        if not (fw > 0) or not g.has(L.LEFT_EYE, L.RIGHT_EYE):
            return NAN
        eyes = (g.p[L.LEFT_EYE] + g.p[L.RIGHT_EYE]) / 2
        ears = (g.p[L.LEFT_EAR] + g.p[L.RIGHT_EAR]) / 2
        d = (ears[1] - eyes[1]) if axis == 1 else (eyes[0] - ears[0])
        return float(d / fw)

    return f


Kind = Literal["posture", "frame"]
POSTURE: Kind = "posture"  # body-relative: unchanged by distance and framing
FRAME: Kind = "frame"  # apparent size or position: a distance estimate, never a posture cue


@dataclass(frozen=True)
class Spec:
    name: str
    unit: str
    meaning: str
    kind: Kind
    fn: Callable[[Geometry], float]


SPECS: tuple[Spec, ...] = (
    Spec("head_drop", "shoulder widths",
         "height of the nose above the shoulder line; falls when the head drops", POSTURE,
         _head_drop),
    Spec("shoulder_width", "frame heights",
         "distance between the shoulders; grows as you come closer to the camera (a distance "
         "estimate, not a posture cue)", FRAME, lambda g: g.shoulder_width),
    Spec("face_width", "frame heights", "distance between the ears", FRAME,
         lambda g: g.face_width),
    Spec("face_ratio", "ratio",
         "face width / shoulder width; grows when the head juts forward", POSTURE, _face_ratio),
    Spec("shoulder_tilt", "degrees", "shoulder line angle, positive: left shoulder higher",
         POSTURE, lambda g: _angle(g, L.LEFT_SHOULDER, L.RIGHT_SHOULDER)),
    Spec("head_tilt", "degrees", "eye line angle, positive: left eye higher", POSTURE,
         lambda g: _angle(g, L.LEFT_EYE, L.RIGHT_EYE)),
    Spec("lateral_lean", "shoulder widths",
         "sideways offset of the nose from the shoulder midpoint, positive: to the left",
         POSTURE, _lateral),
    Spec("head_yaw", "face widths",
         "sideways offset of the nose from the ear midpoint (head turned), positive: left",
         POSTURE, _yaw),
    Spec("head_pitch", "face widths",
         "height of the nose above the ear line; falls when the head tips down", POSTURE,
         _pitch),
    Spec("eye_span", "ratio",
         "distance between the eyes / height from the eyes to the mouth; falls when the face "
         "is seen edge-on (turned aside, or from above as the head drops to the desk)", POSTURE,
         _eye_span),
    Spec("eye_pitch", "face widths",
         "height of the eyes above the ear line; falls when the head tips down (read without "
         "the nose)", POSTURE, _eyes_vs_ears(1)),
    Spec("eye_yaw", "face widths",
         "sideways offset of the eyes from the ear midpoint (head turned, read without the "
         "nose), positive: left", POSTURE, _eyes_vs_ears(0)),
    Spec("nose_x", "frame heights", "nose position across the frame (recorded, not used)",
         FRAME, _nose(0)),
    Spec("nose_y", "frame heights",
         "nose position down the frame (only against the remembered shoulder line, when "
         "neither the shoulders nor the face can be read)", FRAME, _nose(1)),
    Spec("shoulder_y", "frame heights",
         "height of the shoulder line down the frame (remembered while upright, for when the "
         "shoulders leave the picture)", FRAME,
         lambda g: float(g.shoulder_mid[1]) if g.shoulders_ok else NAN),
)
NAMES = tuple(s.name for s in SPECS)
POSTURE_NAMES = tuple(s.name for s in SPECS if s.kind == POSTURE)


@dataclass(frozen=True)
class PoseFeatures:
    """The features of one pose sample; ``present`` is False when nobody was found.
    ``head_below``: the nose lies below the bottom of the picture (the head dropped out of it);
    somebody is there, and only what is still in the picture can be judged."""

    present: bool
    shoulders_ok: bool = False
    values: dict[str, float] = field(default_factory=dict)
    head_below: bool = False

    def __getattr__(self, name: str) -> float:
        if name in NAMES:
            return self.values.get(name, NAN)
        raise AttributeError(name)

    def get(self, name: str) -> float:
        return self.values.get(name, NAN)

    def as_dict(self, digits: int = 4) -> dict[str, object]:
        d: dict[str, object] = {"present": self.present, "shoulders_ok": self.shoulders_ok}
        if self.head_below:
            d["head_below"] = True
        for k, v in self.values.items():
            d[k] = None if math.isnan(v) else round(v, digits)
        return d


ABSENT = PoseFeatures(False)


def geometry(lm: np.ndarray, aspect: float = 1.0, min_visibility: float = 0.5) -> Geometry:
    a = np.asarray(lm, dtype=float)
    if a.shape != (L.N_LANDMARKS, 4):
        raise ValueError(f"expected 33x4 landmarks, got {a.shape}")
    p = a[:, :2] * np.array([aspect, 1.0])
    inside = ((a[:, 0] > -FRAME_MARGIN) & (a[:, 0] < 1 + FRAME_MARGIN)
              & (a[:, 1] > -FRAME_MARGIN) & (a[:, 1] < 1 + FRAME_MARGIN))
    ok = (a[:, 3] >= min_visibility) & inside & np.isfinite(a[:, :2]).all(axis=1)
    return Geometry(p, ok, a[:, 2])


def extract(lm: np.ndarray | None, aspect: float = 1.0,
            min_visibility: float = 0.5) -> PoseFeatures:
    """Features of one pose (``None``: nobody in view)."""
    if lm is None:
        return ABSENT
    g = geometry(lm, aspect, min_visibility)
    # Somebody is there when the nose and either both shoulders or both eyes are seen, or
    # when the pose model found a body whose nose lies below the bottom of the picture: a head
    # dropped out of the frame (sitting close to the camera) is not an empty chair. Its
    # visibility is not asked: the model marks points outside the picture as unseen.
    ny = float(np.asarray(lm, dtype=float)[L.NOSE, 1])
    below = math.isfinite(ny) and ny > 1.0
    present = g.has(L.NOSE) and (g.shoulders_ok or g.has(L.LEFT_EYE, L.RIGHT_EYE))
    if not (present or below):
        return ABSENT
    return PoseFeatures(True, g.shoulders_ok, {s.name: s.fn(g) for s in SPECS},
                        head_below=below and not g.has(L.NOSE))
