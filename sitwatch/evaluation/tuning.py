"""Held-out thresholds: the leave-one-person-out search, beside the shipped defaults.

The shipped thresholds were chosen by people who had seen these recordings, so figures measured
with them are *not* held-out figures. The ``lopo`` rows are: for each person, the thresholds are
picked from a small grid (:data:`GRID`) using only the *other* people's recordings
(:func:`tune`), then measured on that person (:func:`smartchair_table`).
"""

from __future__ import annotations

import itertools
from functools import partial

import numpy as np

from sitwatch import config
from sitwatch.evaluation import datasets
from sitwatch.evaluation.naive import naive_scores
from sitwatch.evaluation.parallel import pmap
from sitwatch.evaluation.scoring import (
    Progress,
    Rows,
    Scores,
    first_upright_profile,
    quiet,
    replay_scores,
    run_pipeline,
    score,
)
from sitwatch.evaluation.variants import reshape
from sitwatch.sensing.calibration import Profile

GRID: dict[str, tuple[float, ...]] = {
    "detect.posture.slouch_rear_ratio": (0.2, 0.3, 0.4),
    "detect.posture.slouch_shift": (0.25, 0.35, 0.45),
    "detect.balance.threshold": (0.2, 0.25, 0.3, 0.35),
}

MILDER = 0.7  # augmentation: postures taken at this share of the training person's intensity


def config_for(overrides: dict[str, float]) -> config.Config:
    """The shipped config with ``overrides`` (dotted keys); the balance release follows the
    threshold as in the defaults (0.6 of it)."""
    ov: dict[str, object] = dict(overrides)
    thr = overrides.get("detect.balance.threshold")
    if thr is not None:
        ov["detect.balance.release"] = round(0.6 * thr, 3)
    return config.load(use_user_file=False, overrides=ov)


def milder(d: datasets.Labelled, share: float = MILDER) -> datasets.Labelled:
    """Training augmentation: every posture held less strongly. People differ in how far they
    slump or lean; training on a milder copy keeps thresholds from hugging one person's
    extremes."""
    return reshape(d, share)


def _loss(ov: dict[str, float], train: list[datasets.Labelled],
          profiles: list[tuple[Profile, tuple[float, float]]]) -> float:
    """The summed loss of the training recordings at one grid point."""
    cfg = config_for(ov)
    return sum(score(d, run_pipeline(d, cfg, prof), win).loss()
               for d, (prof, win) in zip(train, profiles, strict=True))


def tune(train: list[datasets.Labelled]) -> dict[str, float]:
    """Pick thresholds on the training people only (and milder copies of them).

    Among the grid points with the lowest summed loss, take for each threshold the middle of the
    values that reach it: the point farthest from where detection starts to fail, which is what
    carries over to a new person (a corner of the feasible region would not)."""
    train = [x for d in train for x in (d, milder(d))]
    profiles = [first_upright_profile(d) for d in train]
    keys = list(GRID)
    points = [dict(zip(keys, v, strict=True)) for v in itertools.product(*(GRID[k] for k in keys))]
    losses = pmap(partial(_loss, train=train, profiles=profiles), points)
    scored = list(zip(losses, points, strict=True))
    low = min(x[0] for x in scored)
    tied = [ov for loss, ov in scored if loss <= low + 1e-9]
    pick = {}
    for k in keys:
        vals = sorted(ov[k] for ov in tied)
        mid = float(np.median(vals))
        pick[k] = min(GRID[k], key=lambda g: (abs(g - mid), g))
    return pick


HELD_OUT = ("lopo", "loso")  # how the held-out rows' second cell starts
NAIVE = "naive stand-in, profile"  # ... and the naive rule's (evaluation.naive)


def held_out_label(kind: str, ov: dict[str, float], what: str = "profile") -> str:
    """A held-out row's second cell: ``kind`` ("lopo"/"loso"), ``what``, the thresholds
    picked."""
    return (f"{kind}, {what} ("
            + ", ".join(f"{k.rsplit('.', 1)[1]}={v}" for k, v in ov.items()) + ")")


def held_out_row(
    d: datasets.Labelled, others: list[datasets.Labelled], kind: str = "lopo",
    what: str = "profile",
) -> tuple[str, str, Scores]:
    """``d`` measured with thresholds tuned on ``others`` only (none of ``d``'s frames)."""
    ov = tune(others)
    return d.person, held_out_label(kind, ov, what), replay_scores(d, config_for(ov))


def smartchair_table(
    people: list[datasets.Labelled], lopo: bool = True, progress: Progress = quiet
) -> Rows:
    """Each person with the shipped defaults (calibrated, and auto-calibrated), with the naive
    stand-in and, with ``lopo``, with thresholds tuned on the others: rows of (person, what,
    scores)."""
    rows = []
    default = config.Config()
    for i, d in enumerate(people, 1):
        progress(f"smartchair-ml ({i}/{len(people)}): {d.person}")
        rows.append((d.person, "defaults, profile", replay_scores(d, default)))
        rows.append((d.person, "defaults, auto", replay_scores(d, default, calibrated=False)))
        if lopo and len(people) > 1:
            rows.append(held_out_row(d, [o for o in people if o is not d]))
        rows.append((d.person, NAIVE, naive_scores(d)))
    return rows


def other_chair_table(
    recordings: list[datasets.Labelled], people: list[datasets.Labelled], lopo: bool = True,
    progress: Progress = quiet,
) -> list[tuple[datasets.Labelled, str, Scores]]:
    """Recordings of the chair that are not the scripted sessions (``people``), each measured
    as :func:`smartchair_table` measures a person: calibrated on its first upright minute (or
    auto alone, where no upright is labelled), the naive stand-in, and with ``lopo``
    thresholds tuned on the scripted people who are not the recording's person (one search
    per set of people)."""
    rows: list[tuple[datasets.Labelled, str, Scores]] = []
    default = config.Config()
    picked: dict[tuple[str, ...], dict[str, float]] = {}
    for i, d in enumerate(recordings, 1):
        progress(f"smartchair-ml other recordings ({i}/{len(recordings)}): "
                 f"{d.name.split('/')[-1]}")
        upright = bool((d.label == 1).any())
        what = "profile" if upright else "auto"
        if upright:
            rows.append((d, "defaults, profile", replay_scores(d, default)))
        rows.append((d, "defaults, auto", replay_scores(d, default, calibrated=False)))
        train = [p for p in people if p.person != d.person]
        if lopo and train:
            key = tuple(p.person for p in train)
            if key not in picked:
                picked[key] = tune(train)
            ov = picked[key]
            rows.append((d, held_out_label("lopo", ov, what),
                         replay_scores(d, config_for(ov), calibrated=upright)))
        if upright:
            rows.append((d, NAIVE, naive_scores(d)))
    return rows
