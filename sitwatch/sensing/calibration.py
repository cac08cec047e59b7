"""Calibration profiles: the empty-seat tare and the sitter's upright baseline (plus optional
slouch and lean references), stored as validated JSON in the user's data dir.

Since issue #10 a profile may also hold a second upright way of sitting (``upright_away``:
upright, away from the backrest) and the **spread** of each feature over the upright minute
(``spread``: a robust standard deviation, :func:`feature_spread`), so that the detectors can
tell a restless sitter from a lopsided one. Both are optional: a profile without them (every
profile taken before) loads as before, and the detectors then use the configured thresholds
alone.

What settled sitting teaches (detectors/baseline.py: the ways of sitting upright clear of the
backrest learned in the first hours) is kept in the profile too, apart from what was calibrated
(``learned``: :class:`Learned`), so that it survives a restart and the next day starts from it.
The daemon writes it; ``sitwatch calibrate`` starts a profile without it, so calibrating again
forgets it, and ``sitwatch calibrate --forget-learned`` drops it alone.

Profiles hold raw per-channel means, not derived numbers, so the features can be recomputed with
whatever channels are healthy at run time. Raw means as the device sent them: for a layout whose
reading falls as the load rises (``transform = "inverted"``) the profile holds those falling
readings, and the pipeline converts them to loads when it takes the profile (an inversion is
affine, so the robust mean of the readings is the reading of the robust mean of the loads, and
a profile taken either way is the same). A profile can then be read against the recording it
came from, and stays valid if the layout's transform is corrected later.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from sitwatch.core import jsonfile
from sitwatch.sensing.features import NAMES, Extractor
from sitwatch.sensing.layout import Layout

Method = Literal["interactive", "recording", "auto", "example"]


#: The thresholds a profile's reference postures may tune (sitwatch.sensing.references), as
#: ``section.key`` of ``[detect]``.
TUNABLE = ("balance.threshold", "balance.release", "posture.slouch_rear_ratio",
           "posture.slouch_shift")


class CalibrationError(ValueError):
    pass


class Learned(BaseModel):
    """What sitting taught on top of the calibration: raw readings, like the calibrated ones."""

    model_config = ConfigDict(extra="forbid")

    upright_away: list[float] | None = Field(
        None,
        description="Mean reading of the way of sitting upright clear of the backrest that "
        "settled sitting taught (when the calibration has none).",
    )
    upright_away2: list[float] | None = Field(
        None,
        description="Mean reading of a second such way, learned once the first was known.",
    )
    rejected: list[list[float]] = Field(
        default_factory=list,
        description="Mean readings of ways learned and then rejected by the sitter (\"Not "
        "right\" on the notice that one was learned): never learned again. "
        "`sitwatch feedback reset learned` empties it.",
    )
    updated: datetime = Field(
        default_factory=lambda: datetime.now(UTC), description="When it last changed."
    )

    @property
    def ways(self) -> int:
        """How many ways of sitting upright clear of the backrest it holds."""
        return (self.upright_away is not None) + (self.upright_away2 is not None)

    @property
    def empty(self) -> bool:
        """Nothing learned and nothing rejected."""
        return self.ways == 0 and not self.rejected

    def rejecting_last(self, kept: int) -> Learned | None:
        """The same without the way learned last (the second, else the first), which joins
        :attr:`rejected` (at most ``kept`` there, the oldest forgotten); None when no way is
        there to reject. What the daemon does (:meth:`UprightModel.reject`), for a profile
        on disk while no daemon runs."""
        if self.upright_away2 is not None:
            way, update = self.upright_away2, {"upright_away2": None}
        elif self.upright_away is not None:
            way, update = self.upright_away, {"upright_away": None}
        else:
            return None
        return self.model_copy(update={**update, "rejected": [*self.rejected, way][-kept:]})


class Profile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = 1
    layout: str = Field(description="Name of the layout the profile was taken with.")
    channels: int = Field(gt=0)
    method: Method = "interactive"
    created: datetime = Field(default_factory=lambda: datetime.now(UTC))
    tare: list[float] | None = Field(None, description="Mean reading of the empty seat.")
    upright: list[float] | None = Field(None, description="Mean reading sitting upright.")
    slouch: list[float] | None = None
    lean_left: list[float] | None = None
    lean_right: list[float] | None = None
    upright_away: list[float] | None = Field(
        None,
        description="Mean reading sitting upright away from the backrest (a second upright "
        "way of sitting; optional).",
    )
    spread: dict[str, float] | None = Field(
        None,
        description="Robust standard deviation of each feature over the upright minute "
        "(how still you sat); optional.",
    )
    tuned: dict[str, float] | None = Field(
        None,
        description="Thresholds the reference postures (slump, leans) made more sensitive for "
        "this person: section.key (e.g. balance.threshold) -> value. Set by `sitwatch "
        "calibrate`; optional.",
    )
    learned: Learned | None = Field(
        None,
        description="What sitting taught on top of the calibration (written by the daemon; "
        "`sitwatch calibrate --forget-learned` drops it); optional.",
    )
    note: str = ""

    @model_validator(mode="after")
    def _lengths(self) -> Profile:
        if self.spread is not None:
            unknown = sorted(set(self.spread) - set(NAMES))
            if unknown:
                raise ValueError(f"spread names unknown features: {', '.join(unknown)}")
            if any(not np.isfinite(v) or v < 0 for v in self.spread.values()):
                raise ValueError("spread values must be finite and not negative")
        if self.tuned is not None:
            unknown = sorted(set(self.tuned) - set(TUNABLE))
            if unknown:
                raise ValueError(f"tuned names unknown thresholds: {', '.join(unknown)}")
            if any(not np.isfinite(v) or v <= 0 for v in self.tuned.values()):
                raise ValueError("tuned values must be finite and positive")
        for name in ("tare", "upright", "slouch", "lean_left", "lean_right", "upright_away"):
            v = getattr(self, name)
            if v is not None and len(v) != self.channels:
                raise ValueError(
                    f"{name} has {len(v)} values, the profile has {self.channels} channels"
                )
        if self.learned is not None:
            for name in ("upright_away", "upright_away2"):
                v = getattr(self.learned, name)
                if v is not None and (len(v) != self.channels
                                      or not all(np.isfinite(x) for x in v)):
                    raise ValueError(
                        f"learned.{name} must hold {self.channels} finite values (one per "
                        "channel); `sitwatch calibrate --forget-learned` drops what was learned"
                    )
            for i, v in enumerate(self.learned.rejected):
                if len(v) != self.channels or not all(np.isfinite(x) for x in v):
                    raise ValueError(
                        f"learned.rejected[{i}] must hold {self.channels} finite values (one "
                        "per channel); `sitwatch feedback reset learned` empties it"
                    )
        return self

    def array(self, name: str) -> np.ndarray | None:
        v = getattr(self, name)
        return None if v is None else np.asarray(v, dtype=float)

    def learned_array(self, name: str) -> np.ndarray | None:
        """``learned.<name>`` as an array (None when nothing was learned)."""
        v = None if self.learned is None else getattr(self.learned, name)
        return None if v is None else np.asarray(v, dtype=float)

    def check_layout(self, layout: Layout, path: Path | None = None) -> None:
        if self.channels != layout.n:
            where = f"{path}: " if path is not None else ""
            raise CalibrationError(
                f"{where}calibration has {self.channels} channels but layout {layout.name} has "
                f"{layout.n}: "
                "recalibrate (sitwatch calibrate) or pick the layout it was taken with "
                f"({self.layout})"
            )

    def save(self, path: Path) -> None:
        jsonfile.save(self, path)


def load(path: Path) -> Profile:
    return jsonfile.load(Profile, path, CalibrationError, "calibration file")


def from_arrays(
    layout: Layout,
    *,
    tare: np.ndarray | None,
    upright: np.ndarray | None,
    method: Method,
    spread: dict[str, float] | None = None,
    **extra: np.ndarray | None,
) -> Profile:
    def lst(a: np.ndarray | None) -> list[float] | None:
        return None if a is None else [round(float(x), 2) for x in a]

    return Profile(
        layout=layout.name,
        channels=layout.n,
        method=method,
        tare=lst(tare),
        upright=lst(upright),
        spread=spread,
        **{k: lst(v) for k, v in extra.items()},
    )


def robust_sd(values: np.ndarray) -> np.ndarray:
    """Per-column robust standard deviation: the interquartile range / 1.349 (the sd of a
    normal distribution with that IQR). It ignores the odd fidget or spike, as
    :func:`robust_mean` does, but not a contact that keeps moving between two places."""
    lo, hi = np.percentile(np.asarray(values, dtype=float), [25, 75], axis=0)
    out: np.ndarray = (hi - lo) / 1.349
    return out


def feature_spread(
    layout: Layout, readings: np.ndarray, tare: np.ndarray | None
) -> dict[str, float]:
    """The robust sd of every feature over ``readings`` (frames as the device sent them, e.g.
    the upright minute), computed against ``tare`` (readings too) with every channel. Stored in
    the profile: how much this sitter moves when sitting still."""
    frames = np.asarray(readings, dtype=float)
    if len(frames) < 3:
        return {}
    ex = Extractor(layout, None if tare is None else layout.to_load(np.asarray(tare, float)))
    feats = ex.batch(layout.to_load(frames))
    sd = robust_sd(np.stack([feats[n] for n in NAMES], axis=1))
    return {n: float(f"{v:.4g}") for n, v in zip(NAMES, sd, strict=True)}


def from_frames(
    layout: Layout,
    *,
    tare: np.ndarray | None,
    upright: np.ndarray,
    method: Method,
    **extra: np.ndarray | None,
) -> Profile:
    """A profile from the frames of each step (readings as the device sent them): the robust
    mean of each, and the spread of the upright minute (:func:`feature_spread`). ``tare``,
    ``upright`` and ``extra`` (``upright_away``, ``slouch``...) are frames, not means."""
    tare_mean = None if tare is None or not len(tare) else robust_mean(np.asarray(tare, float))
    up = np.asarray(upright, dtype=float)
    return from_arrays(
        layout,
        tare=tare_mean,
        upright=robust_mean(up),
        method=method,
        spread=feature_spread(layout, up, tare_mean),
        **{k: None if v is None else robust_mean(np.asarray(v, float)) for k, v in extra.items()},
    )


def robust_mean(frames: np.ndarray) -> np.ndarray:
    """Per-channel mean of the middle half of the frames (ignores fidgets and spikes)."""
    if len(frames) == 0:
        raise CalibrationError("no frames in that range")
    lo, hi = np.percentile(frames, [25, 75], axis=0)
    inside = (frames >= lo) & (frames <= hi)
    sums = np.where(inside, frames, 0).sum(axis=0)
    counts = inside.sum(axis=0)
    mean: np.ndarray = np.where(counts > 0, sums / np.maximum(counts, 1), np.median(frames, axis=0))
    return mean
