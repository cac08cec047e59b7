"""The sitter's upright baseline, as features, and the scales that make thresholds portable
across layouts (a 4-load-cell seat and a 12-sensor chair measure shifts in different units)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sitwatch.sensing.features import Extractor, Features


@dataclass(frozen=True)
class Baseline:
    f: Features
    seat_load: float
    back_load: float  # 0 when the chair has no backrest sensors or the sitter did not lean on it
    total: float
    x_scale: float  # mean |x| of usable seat channels: a full shift to one side ~ 1.0
    y_scale: float  # mean |y| of usable seat channels
    back_x_scale: float
    has_back: bool
    front_x_scale: float = 1.0
    has_front: bool = False  # front-half sensors on both sides that carry load when upright

    @classmethod
    def from_raw(cls, ex: Extractor, upright_raw: np.ndarray) -> Baseline:
        f = ex(np.asarray(upright_raw, dtype=float))
        lay = ex.layout
        seat = lay.seat_mask & ex.usable
        back = lay.back_mask & ex.usable
        seat_lr = lay.seat_mask & ex.paired  # left/right features use mirror pairs only
        back_lr = lay.back_mask & ex.paired
        xs = float(np.abs(lay.x[seat_lr]).mean()) if seat_lr.any() else 1.0
        ys = float(np.abs(lay.y[seat]).mean()) if seat.any() else 1.0
        bxs = float(np.abs(lay.x[back_lr]).mean()) if back_lr.any() else 1.0
        has_back = bool(back.any()) and f.back_load > 0.08 * f.total
        front = seat_lr & (lay.y > 0)
        fxs = float(np.abs(lay.x[front]).mean()) if front.any() else 0.0
        has_front = (
            bool((lay.x[front] < 0).any() and (lay.x[front] > 0).any())
            and fxs > 0
            and f.front_load > 0.05 * f.seat_load
        )
        return cls(
            f,
            max(f.seat_load, 1e-9),
            f.back_load if has_back else 0.0,
            max(f.total, 1e-9),
            xs or 1.0,
            ys or 1.0,
            bxs or 1.0,
            has_back,
            fxs or 1.0,
            has_front,
        )

    @classmethod
    def nominal(cls, ex: Extractor) -> float:
        """Seat load that stands for 'someone sits here' before any calibration."""
        lay = ex.layout
        n_seat = int((lay.seat_mask & ex.usable).sum())
        # A sitter covers only part of a matrix; discrete sensors sit where the body is.
        share = 0.08 if lay.is_grid else 0.2
        return share * lay.full_scale * max(n_seat, 1)
