"""The Technion smart-chair sessions: one held posture per label, each a single averaged frame.

With no time series to speak of, the postures are classified frame by frame against each
session's own baseline (no dwell): is reclining called reclined, leaning forward called forward,
a lifted leg lopsided, and sitting calmly not lopsided?
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sitwatch import config
from sitwatch.core.kinds import Posture
from sitwatch.evaluation import datasets
from sitwatch.sensing import calibration
from sitwatch.sensing.detectors.balance import shift
from sitwatch.sensing.detectors.posture import classify
from sitwatch.sensing.pipeline import Pipeline

CALM, LEG_LIFTED, FORWARD, RECLINED = (1,), (2, 3), (4,), (5,)  # the dataset's labels


@dataclass(frozen=True)
class TechnionRow:
    sessions: int
    reclined_found: float
    forward_found: float
    leg_lift_lopsided: float
    false_lopsided: float  # calm or forward postures called lopsided


def technion_row(path: Path) -> TechnionRow:
    cfg = config.Config()
    lopsided_at = cfg.detect.balance.threshold
    recl, forward, n = 0, 0, 0
    lift: list[bool] = []
    calm_lop: list[bool] = []
    for d in datasets.technion(path):
        n += 1
        prof = calibration.from_arrays(d.layout, tare=None, upright=d.values[0], method="recording")
        # The pipeline builds the features and the baseline as a replay would; its detectors'
        # classification is then asked about single frames.
        pl = Pipeline(d.layout, cfg, prof)
        assert pl.baseline is not None
        for lab, a, _ in d.segments()[1:]:
            f = pl.ex(d.layout.to_load(d.values[d.t == a][0]))
            post = classify(f, pl.baseline, cfg.detect.posture)
            lop = abs(shift(f, pl.baseline, pl.balance.front_weight)) >= lopsided_at
            if lab in RECLINED:
                recl += post == Posture.RECLINED
            elif lab in FORWARD:
                forward += post == Posture.LEANING_FORWARD
                calm_lop.append(lop)
            elif lab in LEG_LIFTED:
                lift.append(lop)
            elif lab in CALM:
                calm_lop.append(lop)
    return TechnionRow(
        sessions=n,
        reclined_found=recl / n,
        forward_found=forward / n,
        leg_lift_lopsided=float(np.mean(lift)),
        false_lopsided=float(np.mean(calm_lop)),
    )
