"""fsr-cushion-9: the seat-only cushion of nine force-sensing resistors, one sitter, two sessions.

The readings fall as the load rises (the layout's ``transform = "inverted"``), and the sampling
rate was not recorded. Every session is calibrated as a user would calibrate it (the first
settled upright minute, and the empty block), and measured:

- with the shipped defaults, the rows taken at :data:`~sitwatch.evaluation.datasets.FSR9_HZ`
  (10 Hz), and again at :data:`OTHER_RATES` (5 and 20 Hz) since the rate is a guess: a rate
  changes every duration the detectors see (dwell times, the calibration minute);
- with thresholds chosen on the *other* session (leave one session out, the same grid and
  search as the smartchair's lopo rows: :func:`~sitwatch.evaluation.tuning.tune`);
- with the naive stand-in (:mod:`~sitwatch.evaluation.naive`).

The seat-only half-lying cues (:data:`~sitwatch.sensing.detectors.posture.SLIDE_OUTER`,
``SLIDE_MID``, ``SLIDE_LOAD``) were set after looking at both sessions, so the ``defaults``
rows are dev figures for them. The ``loso, half-lying cues`` rows are the held-out figure:
each cue is set from the *other* session alone, halfway between its upright and its
half-lying medians (:func:`slide_cues`), and the session is replayed with them (in a quick
run too: no search is needed).

Scored against the README's table (:data:`~sitwatch.evaluation.datasets.FSR9`): half lying is
the slump, perching on the front third must not read slouched, leans (on their side) and crossed
legs are lopsided.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import numpy as np

from sitwatch import config
from sitwatch.evaluation import datasets
from sitwatch.evaluation.naive import naive_scores
from sitwatch.evaluation.scoring import Progress, Rows, first_upright_profile, quiet, replay_scores
from sitwatch.evaluation.tuning import NAIVE, held_out_row
from sitwatch.sensing.detectors import posture
from sitwatch.sensing.pipeline import Pipeline

HALF_LYING = datasets.FSR9_LABELS.index("half_lying")

OTHER_RATES = (5.0, 20.0)


def fsr_files(folder: Path) -> list[Path]:
    """The sessions in ``folder``: every CSV with the cushion's columns that reads."""
    return [p for p, why in datasets.scan(folder, "fsr-cushion-9") if why is None]


def slide_cues(d: datasets.Labelled) -> tuple[float, float, float]:
    """The half-lying cues one session alone would give (the rear's share off its midline, the
    rear-midline share of the rear and the seat load, each relative to upright): halfway between
    the medians of its upright (outside nothing: the whole block) and its half-lying blocks,
    calibrated as the eval calibrates."""
    pl = Pipeline(d.layout, config.Config(), first_upright_profile(d)[0])  # tare + baseline
    b = pl.baseline
    assert b is not None
    f = pl.ex.batch(d.layout.to_load(d.values))
    outer = (f["rear_share"] - f["rear_mid"]) / (b.f.rear_share - b.f.rear_mid)
    with np.errstate(divide="ignore", invalid="ignore"):
        mid = np.where(f["rear_share"] > 0, f["rear_mid"] / f["rear_share"], 0.0)
    mid = mid / (b.f.rear_mid / b.f.rear_share)
    load = f["seat_load"] / b.seat_load
    out = []
    for v in (outer, mid, load):
        a = float(np.median(v[d.label == 1]))
        z = float(np.median(v[d.label == HALF_LYING]))
        out.append(round((a + z) / 2, 3))
    return out[0], out[1], out[2]


@contextmanager
def sliding(cues: tuple[float, float, float]) -> Iterator[None]:
    """The posture rules with these half-lying cues in place of the shipped ones."""
    old = posture.SLIDE_OUTER, posture.SLIDE_MID, posture.SLIDE_LOAD
    posture.SLIDE_OUTER, posture.SLIDE_MID, posture.SLIDE_LOAD = cues
    try:
        yield
    finally:
        posture.SLIDE_OUTER, posture.SLIDE_MID, posture.SLIDE_LOAD = old


def fsr_table(files: list[Path], lopo: bool = True, progress: Progress = quiet) -> Rows:
    """Rows of (session, what, scores) for these session files: the defaults at 10 Hz, held
    out (leave one session out) at 10 Hz (the threshold search only with ``lopo``; the
    half-lying cues always, from the first other session), then the defaults at the other
    plausible rates."""
    hz = datasets.FSR9_HZ
    sessions = [datasets.fsr_cushion(f, hz) for f in files]
    default = config.Config()
    rows: Rows = []
    for i, d in enumerate(sessions, 1):
        progress(f"fsr-cushion-9 ({i}/{len(sessions)}): {d.person}")
        rows.append((d.person, f"defaults, profile, {hz:g} Hz", replay_scores(d, default)))
        if lopo and len(sessions) > 1:
            rows.append(held_out_row(d, [o for o in sessions if o is not d], "loso",
                                     f"profile, {hz:g} Hz"))
        if len(sessions) > 1:  # no search, two replays: in a quick run too
            other = next(o for o in sessions if o is not d)
            cues = slide_cues(other)
            with sliding(cues):
                scores = replay_scores(d, default)
            label = (f"loso, half-lying cues from {other.person} (sit bones {cues[0]:g}, midline "
                     f"{cues[1]:g}, load {cues[2]:g}), {hz:g} Hz")
            rows.append((d.person, label, scores))
        rows.append((d.person, f"{NAIVE}, {hz:g} Hz", naive_scores(d)))
        linear = replace(d, layout=replace(d.layout, divider=0.0))
        rows.append((d.person, f"layout read linearly (divider = 0, as shipped before), profile, "
                     f"{hz:g} Hz", replay_scores(linear, default)))
    for rate in OTHER_RATES:
        progress(f"fsr-cushion-9 at {rate:g} Hz")
        for f in files:
            d = datasets.fsr_cushion(f, rate)
            rows.append((d.person, f"defaults, profile, {rate:g} Hz", replay_scores(d, default)))
    return rows
