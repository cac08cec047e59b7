"""The camera calibration: your upright pose as features, stored as validated JSON.

Every camera threshold is a ratio to this baseline, so it works whatever the camera's height,
distance or lens. A profile comes from a stretch of a recording (``sitwatch calibrate camera
--recording FILE --upright A:B``), from a live session, or automatically from the first settled
stretch in front of the camera (:class:`AutoCalibrator`). Only derived numbers are kept.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sitwatch.camera.features import NAMES, PoseFeatures
from sitwatch.core import jsonfile

Method = Literal["interactive", "recording", "auto", "example"]
MIN_SAMPLES = 3


class CameraCalibrationError(ValueError):
    pass


class CameraProfile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = 1
    kind: Literal["camera"] = "camera"
    method: Method = "recording"
    created: datetime = Field(default_factory=lambda: datetime.now(UTC))
    samples: int = Field(default=0, ge=0, description="Pose samples the baseline was taken from.")
    aspect: float = Field(default=1.0, gt=0, description="Frame width / height it was taken at.")
    features: dict[str, float | None] = Field(
        description="Median of each feature (sitwatch.camera.features) while upright."
    )
    note: str = ""

    @field_validator("features")
    @classmethod
    def _needed(cls, v: dict[str, float | None]) -> dict[str, float | None]:
        unknown = sorted(set(v) - set(NAMES))
        if unknown:
            raise ValueError(f"unknown features {unknown}; known: {', '.join(NAMES)}")
        for name in ("head_drop", "shoulder_width"):
            x = v.get(name)
            if x is None or not x > 0:
                raise ValueError(f"{name} must be a positive number (shoulders and nose in view "
                                 "while upright)")
        return v

    def get(self, name: str) -> float:
        x = self.features.get(name)
        return float("nan") if x is None else float(x)

    def save(self, path: Path) -> None:
        jsonfile.save(self, path)


def load(path: Path) -> CameraProfile:
    try:
        return jsonfile.load(CameraProfile, path, CameraCalibrationError, "camera calibration")
    except CameraCalibrationError:
        layout = _cushion_layout(path)
        if layout is None:
            raise
        # one line instead of a key-by-key list: a cushion's profile is the likely mix-up
        # (`sitwatch replay VIDEO --calibration` names the camera's profile)
        raise CameraCalibrationError(
            f"{path}: a cushion's calibration (layout {layout}), not the camera's: name the "
            "profile `sitwatch calibrate camera` saved (camera_calibration.json in the data "
            "dir, or its -o FILE)") from None


def _cushion_layout(path: Path) -> str | None:
    """The layout a cushion's calibration file names, or None when ``path`` is not one."""
    import json

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or "kind" in data or not isinstance(data.get("layout"), str):
        return None
    return str(data["layout"])


def from_features(samples: Iterable[PoseFeatures], *, method: Method, aspect: float = 1.0,
                  note: str = "") -> CameraProfile:
    """The per-feature median of the samples that saw the nose and both shoulders."""
    usable = [f for f in samples if f.present and f.shoulders_ok]
    if len(usable) < MIN_SAMPLES:
        raise CameraCalibrationError(
            f"only {len(usable)} usable poses (nose and both shoulders in view) in that stretch; "
            f"need at least {MIN_SAMPLES}: sit upright facing the camera with both shoulders "
            "in the picture")
    feats: dict[str, float | None] = {}
    for name in NAMES:
        vals = np.array([f.get(name) for f in usable], dtype=float)
        vals = vals[np.isfinite(vals)]
        feats[name] = round(float(np.median(vals)), 6) if len(vals) else None
    try:
        return CameraProfile(method=method, samples=len(usable), aspect=aspect, features=feats,
                             note=note)
    except ValidationError as e:
        raise CameraCalibrationError("; ".join(er["msg"] for er in e.errors())) from None


class AutoCalibrator:
    """Learns the baseline from the first settled stretch of ``settle`` seconds in view.

    Settled: at least ``min_samples`` usable poses whose head drop and shoulder width vary by
    less than ``max_spread`` (relative standard deviation). A restless sitter gets the steadiest
    stretch seen once ``3 x settle`` seconds have passed. Leaving the camera's view restarts it.
    """

    def __init__(self, settle: float, *, min_samples: int = 6, max_spread: float = 0.06,
                 aspect: float = 1.0) -> None:
        self.settle = settle
        self.min_samples = min_samples
        self.max_spread = max_spread
        self.aspect = aspect
        self.samples: list[tuple[float, PoseFeatures]] = []
        self.since: float | None = None
        self.best: tuple[float, list[PoseFeatures]] | None = None

    def _spread(self, fs: list[PoseFeatures]) -> float:
        worst = 0.0
        for name in ("head_drop", "shoulder_width"):
            v = np.array([f.get(name) for f in fs])
            m = float(np.median(v))
            worst = max(worst, float(np.std(v)) / abs(m) if m else math.inf)
        return worst

    def step(self, t: float, f: PoseFeatures) -> CameraProfile | None:
        if not f.present:
            self.samples.clear()
            self.since = None
            return None
        if self.since is None:
            self.since = t
        if not f.shoulders_ok:
            return None
        self.samples.append((t, f))
        if self.samples[-1][0] - self.samples[0][0] < self.settle or \
                len(self.samples) < self.min_samples:
            return None
        fs = [s for _, s in self.samples]
        spread = self._spread(fs)
        if spread <= self.max_spread:
            return self._profile(fs)
        if self.best is None or spread < self.best[0]:
            self.best = (spread, fs)
        if t - self.since >= 3 * self.settle:
            return self._profile(self.best[1])
        del self.samples[: max(1, len(self.samples) // 2)]
        return None

    def _profile(self, fs: list[PoseFeatures]) -> CameraProfile:
        return from_features(fs, method="auto", aspect=self.aspect,
                             note="learned automatically in front of the camera")
