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

Scored against the README's table (:data:`~sitwatch.evaluation.datasets.FSR9`): half lying is
the slump, perching on the front third must not read slouched, leans (on their side) and crossed
legs are lopsided.
"""

from __future__ import annotations

from pathlib import Path

from sitwatch import config
from sitwatch.evaluation import datasets
from sitwatch.evaluation.naive import naive_scores
from sitwatch.evaluation.scoring import Progress, Rows, quiet, replay_scores
from sitwatch.evaluation.tuning import NAIVE, held_out_row

OTHER_RATES = (5.0, 20.0)


def fsr_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("session*.csv"))


def fsr_table(folder: Path, lopo: bool = True, progress: Progress = quiet) -> Rows:
    """Rows of (session, what, scores): the defaults at 10 Hz, held out (leave one session
    out) at 10 Hz with ``lopo``, then the defaults at the other plausible rates."""
    files = fsr_files(folder)
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
        rows.append((d.person, f"{NAIVE}, {hz:g} Hz", naive_scores(d)))
    for rate in OTHER_RATES:
        progress(f"fsr-cushion-9 at {rate:g} Hz")
        for f in files:
            d = datasets.fsr_cushion(f, rate)
            rows.append((d.person, f"defaults, profile, {rate:g} Hz", replay_scores(d, default)))
    return rows
