"""The Technion smart-chair sessions: one held posture per label, each a single averaged frame.

With no time series to speak of, the postures are classified frame by frame against each
session's own baseline (no dwell): is reclining called reclined, leaning forward called forward,
a lifted leg lopsided, and sitting calmly not lopsided? Latency has no meaning here (one averaged
frame per posture).

Held out by session (:func:`technion_rows`): for each session the lopsided threshold is picked
from :data:`GRID` on the other 24 sessions only (misses count once, false lopsided three times,
the middle of the tied grid points, as :func:`~sitwatch.evaluation.tuning.tune` does), then
measured on that session. The session's own baseline columns calibrate it, never its postures.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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
GRID = (0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4)  # lopsided thresholds for the held-out pick


@dataclass(frozen=True)
class TechnionRow:
    sessions: int
    reclined_found: float
    forward_found: float
    leg_lift_lopsided: float
    false_lopsided: float  # calm or forward postures called lopsided
    what: str = "defaults"


@dataclass(frozen=True)
class Session:
    """One session's postures as the detectors see them: (label, posture, |shift|)."""

    frames: Sequence[tuple[int, str | None, float]]


def _sessions(path: Path, cfg: config.Config) -> list[Session]:
    out = []
    for d in datasets.technion(path):
        prof = calibration.from_arrays(d.layout, tare=None, upright=d.values[0], method="recording")
        # The pipeline builds the features and the baseline as a replay would; its detectors'
        # classification is then asked about single frames.
        pl = Pipeline(d.layout, cfg, prof)
        assert pl.baseline is not None
        frames = []
        for lab, a, _ in d.segments()[1:]:
            f = pl.ex(d.layout.to_load(d.values[d.t == a][0]))
            post = classify(f, pl.baseline, cfg.detect.posture)
            frames.append((lab, post, abs(shift(f, pl.baseline, pl.balance.front_weight))))
        out.append(Session(frames))
    return out


def _row(sessions: list[Session], thresholds: list[float], what: str) -> TechnionRow:
    recl = forward = 0
    lift: list[bool] = []
    calm_lop: list[bool] = []
    for s, thr in zip(sessions, thresholds, strict=True):
        for lab, post, sh in s.frames:
            lop = sh >= thr
            if lab in RECLINED:
                recl += post == Posture.RECLINED
            elif lab in FORWARD:
                forward += post == Posture.LEANING_FORWARD
                calm_lop.append(lop)
            elif lab in LEG_LIFTED:
                lift.append(lop)
            elif lab in CALM:
                calm_lop.append(lop)
    n = len(sessions)
    return TechnionRow(
        sessions=n,
        reclined_found=recl / n,
        forward_found=forward / n,
        leg_lift_lopsided=float(np.mean(lift)),
        false_lopsided=float(np.mean(calm_lop)),
        what=what,
    )


def _pick(train: list[Session]) -> float:
    """The lopsided threshold the training sessions favour (the middle of the best ones)."""
    loss = []
    for thr in GRID:
        r = _row(train, [thr] * len(train), "")
        loss.append((1 - r.leg_lift_lopsided) + 3 * r.false_lopsided)
    best = [g for g, x in zip(GRID, loss, strict=True) if x <= min(loss) + 1e-9]
    mid = float(np.median(best))
    return min(best, key=lambda g: (abs(g - mid), g))


def loso_picks(sessions: list[Session],
               pick: Callable[[list[Session]], float] = _pick) -> list[float]:
    """Each session's lopsided threshold, picked on the other sessions only."""
    return [pick(sessions[:i] + sessions[i + 1:]) for i in range(len(sessions))]


def technion_rows(path: Path) -> list[TechnionRow]:
    """The shipped defaults, and held out by session (each session's lopsided threshold
    picked on the other sessions)."""
    cfg = config.Config()
    sessions = _sessions(path, cfg)
    n = len(sessions)
    picks = loso_picks(sessions)
    lo, hi = min(picks), max(picks)
    return [
        _row(sessions, [cfg.detect.balance.threshold] * n, "defaults"),
        _row(sessions, picks, f"loso (threshold {lo:g}" + (f"-{hi:g})" if hi != lo else ")")),
    ]


def technion_row(path: Path) -> TechnionRow:
    """The shipped defaults' row."""
    return technion_rows(path)[0]
