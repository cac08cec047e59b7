"""Calibration profiles: the empty-seat tare and the sitter's upright baseline (plus optional
slouch and lean references), stored as validated JSON in the user's data dir.

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
from sitwatch.sensing.layout import Layout

Method = Literal["interactive", "recording", "auto", "example"]


class CalibrationError(ValueError):
    pass


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
    note: str = ""

    @model_validator(mode="after")
    def _lengths(self) -> Profile:
        for name in ("tare", "upright", "slouch", "lean_left", "lean_right"):
            v = getattr(self, name)
            if v is not None and len(v) != self.channels:
                raise ValueError(
                    f"{name} has {len(v)} values, the profile has {self.channels} channels"
                )
        return self

    def array(self, name: str) -> np.ndarray | None:
        v = getattr(self, name)
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
        **{k: lst(v) for k, v in extra.items()},
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
