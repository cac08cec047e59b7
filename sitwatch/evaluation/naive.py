"""The naive stand-in: fixed-threshold rules a reviewer would write in an afternoon.

Issue #10 reports that such a rule beat the shipped detectors on recordings kept aside, so every
table of ``sitwatch eval`` puts it beside ours: if ours does not beat it, the detectors'
complexity is not earning its keep. It lives here, in the evaluation only; the product never
uses it.

The rule, frame by frame on a trailing :data:`SMOOTH_S` moving mean of the loads (the only
concession to noise), calibrated exactly like ours (the person's first settled upright minute
and their empty seat, :func:`~sitwatch.evaluation.scoring.first_upright_profile`):

- **occupied** while the total load is at least :data:`OCCUPIED_SHARE` of the upright load;
- **slouched** while the rear row's share of the seat load is below :data:`REAR_SHARE_OF_UPRIGHT`
  of its upright share (the rear row: the seat channels in the rear third of the sensors'
  depth);
- **lopsided** to a side while the left half's share of the seat load differs from its upright
  share by at least :data:`LEFT_SHARE_BAND` (channels on the centre line count for neither side);
- never leaning forward or reclined (the forward cells of its rows are left empty).

It is scored by the same rule as ours (:func:`~sitwatch.evaluation.scoring.score`): a slump
counts as found by a "sit back" state, which for it is ``slouched`` alone, and a perch it reads
as slouched shows in the strict "perch read as slouched" figure.

The numbers come from the issue (30% of the load, ±0.12) or, for the rear row, are the halfway
point between upright (1) and an emptied rear row (0); they were fixed before any row was seen
and are never tuned.
"""

from __future__ import annotations

import numpy as np

from sitwatch.core.kinds import Balance, Occupancy, Posture
from sitwatch.evaluation import datasets
from sitwatch.evaluation.scoring import RELEASE_S, Scores, Trace, first_upright_profile, score
from sitwatch.sensing import calibration
from sitwatch.sensing.layout import Layout

SMOOTH_S = 5.0
OCCUPIED_SHARE = 0.30
REAR_SHARE_OF_UPRIGHT = 0.5
LEFT_SHARE_BAND = 0.12
NAME = "naive fixed thresholds"


def rear_row(layout: Layout) -> np.ndarray:
    """Mask of the seat channels in the rear third of the seat sensors' depth."""
    seat = layout.seat_mask
    y = layout.y
    lo, hi = float(y[seat].min()), float(y[seat].max())
    return np.asarray(seat & (y < lo + (hi - lo) / 3 + 1e-6))


def _smooth(v: np.ndarray, n: int) -> np.ndarray:
    """Trailing moving mean over ``n`` frames (fewer at the start)."""
    if n <= 1:
        return v
    c = np.cumsum(np.vstack([np.zeros((1, v.shape[1])), v]), axis=0)
    k = np.arange(1, len(v) + 1)
    lo = np.maximum(k - n, 0)
    return np.asarray((c[k] - c[lo]) / (k - lo)[:, None])


def naive_trace(d: datasets.Labelled, profile: calibration.Profile) -> Trace:
    """The naive rule's state after every frame of ``d``, shaped like the pipeline's trace."""
    lay = d.layout
    dt = float(np.median(np.diff(d.t))) if len(d.t) > 1 else 1.0
    tare = (lay.to_load(np.asarray(profile.tare, dtype=float)) if profile.tare is not None
            else np.full(lay.n, lay.zero_load))
    if profile.upright is None:
        raise ValueError(f"{d.name}: the naive rule needs an upright calibration")
    up = np.maximum(lay.to_load(np.asarray(profile.upright, dtype=float)) - tare, 0.0)
    load = np.maximum(_smooth(lay.to_load(d.values.astype(float)), round(SMOOTH_S / dt)) - tare,
                      0.0)
    seat, rear = lay.seat_mask, rear_row(lay)
    left = seat & (lay.x < -1e-6)
    right = seat & (lay.x > 1e-6)

    def shares(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = np.atleast_2d(x)
        s = x[:, seat].sum(axis=1)
        lr = x[:, left].sum(axis=1) + x[:, right].sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return x[:, rear].sum(axis=1) / s, x[:, left].sum(axis=1) / lr

    up_rear, up_left = (float(a[0]) for a in shares(up))
    rear_share, left_share = shares(load)
    occupied = load.sum(axis=1) >= OCCUPIED_SHARE * up.sum()
    slouched = occupied & (rear_share < REAR_SHARE_OF_UPRIGHT * up_rear)
    dev = np.nan_to_num(left_share - up_left)
    n = len(d.t)
    occ = np.where(occupied, Occupancy.OCCUPIED, Occupancy.EMPTY).astype(object)
    post = np.full(n, None, dtype=object)
    post[occupied] = Posture.UPRIGHT
    post[slouched] = Posture.SLOUCHED
    bal = np.full(n, None, dtype=object)
    bal[occupied] = Balance.BALANCED
    bal[occupied & (dev >= LEFT_SHARE_BAND)] = Balance.LEFT
    bal[occupied & (dev <= -LEFT_SHARE_BAND)] = Balance.RIGHT
    return Trace(d.t, occ, post, bal, dev, [])


def naive_scores(d: datasets.Labelled, release: float = RELEASE_S) -> Scores:
    """``d`` scored with the naive rule, calibrated on its first upright minute as ours is
    (that window left out of the false alarms; ``release`` as in
    :func:`~sitwatch.evaluation.scoring.score`). It has no forward rule: those figures are
    left empty rather than counted as misses."""
    prof, win = first_upright_profile(d)
    s = score(d, naive_trace(d, prof), win, release)
    s.forward_recall = s.forward_latency = s.forward_false = s.forward_false_s = None
    return s
