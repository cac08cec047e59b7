"""Did the sitter keep still sideways while the upright baseline was taken?

The upright minute's spread (:func:`~sitwatch.sensing.calibration.feature_spread`) makes each
lean cue's threshold personal: ``max(threshold, SPREAD_K x spread)``
(:meth:`~sitwatch.sensing.detectors.baseline.Baseline.reliability`), so a restless sitter is
not told they lean whenever they fidget. The same rule turns a calibration window that holds a
real sideways move (a lean, a leg crossed for part of it, the range typed a few seconds too
long) into a lean threshold several times the configured one: leans then go unreported, and
nothing says why. This module finds that case so that ``sitwatch calibrate`` can say it, and
where the window was steady.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sitwatch.sensing.calibration import Profile, feature_spread, robust_mean
from sitwatch.sensing.detectors.baseline import SPREAD_K, Baseline
from sitwatch.sensing.features import Extractor
from sitwatch.sensing.layout import Layout

#: The seat's own lateral cues, in the words a user reads.
CUES = {"seat": "the seat's centre", "rear": "your sit bones' centre"}
#: A steady part of the window is suggested only if it holds at least this share of its frames.
MIN_PART = 0.25
#: Said only when a lean must be at least this many times the configured threshold: a little
#: over it is the personal threshold doing its job for a restless sitter or a noisy cushion (4
#: of 200 simulated sitters, at 1.03-1.88; none of the real calibration minutes but one, which
#: holds a real move: fsr-cushion-9 session 1, 1.5-2.9).
MIN_FACTOR = 1.5


@dataclass(frozen=True)
class Restless:
    """A lateral cue whose calibration spread raised its lean threshold."""

    cue: str  # "seat" | "rear"
    factor: float  # how many times the configured threshold a lean must now reach


def restless(layout: Layout, upright: np.ndarray, tare: np.ndarray | None,
             threshold: float) -> list[Restless]:
    """The seat's lateral cues that the upright frames (readings, as the device sent them; the
    empty seat's mean reading as ``tare``) made less sensitive than ``threshold`` (the balance
    threshold), most affected first."""
    frames = np.asarray(upright, dtype=float)
    if len(frames) < 3:
        return []
    return _restless(_baseline(layout, frames, tare), threshold)


def restless_profile(layout: Layout, profile: Profile, threshold: float) -> list[Restless]:
    """As :func:`restless`, from a saved profile (its upright mean and spread); none for a
    profile without a spread (taken before it was kept)."""
    upright = profile.array("upright")
    if upright is None or not profile.spread:
        return []
    b = Baseline.from_raw(_extractor(layout, profile.array("tare")), layout.to_load(upright),
                          profile.spread)
    return _restless(b, threshold)


def _restless(b: Baseline, threshold: float) -> list[Restless]:
    out = []
    for cue in CUES:
        if cue == "rear" and not b.has_rear:
            continue
        noise = SPREAD_K * b.cue_sd(cue)
        if noise >= MIN_FACTOR * threshold:
            out.append(Restless(cue, noise / threshold))
    return sorted(out, key=lambda r: -r.factor)


def steady_part(layout: Layout, times: np.ndarray, upright: np.ndarray,
                tare: np.ndarray | None, threshold: float) -> tuple[float, float] | None:
    """Where a restless window was steady: the window split at the point where the seat's
    sideways centre changes most (each side at least :data:`MIN_PART` of the frames), the
    longer side's (first, last) time, if the two sides differ by more than half the threshold
    and that side is steady on its own. None when no single move explains the spread."""
    frames = np.asarray(upright, dtype=float)
    t = np.asarray(times, dtype=float)
    n = len(frames)
    if n < 8:
        return None
    b = _baseline(layout, frames, tare)
    ex = _extractor(layout, tare)
    cue = ex.batch(layout.to_load(frames))["cop_x"] / b.x_scale
    lo = max(2, int(np.ceil(MIN_PART * n)))
    # the one split that explains most of the cue's variance (a single change of level: the
    # difference of the two sides' means, weighted by sqrt(s (n - s) / n))
    s = np.arange(lo, n - lo + 1)
    if not len(s):
        return None
    csum = np.cumsum(cue)
    before = csum[s - 1] / s
    after = (csum[-1] - csum[s - 1]) / (n - s)
    score = np.abs(before - after) * np.sqrt(s * (n - s) / n)
    at = int(s[int(np.argmax(score))])
    if abs(float(np.median(cue[:at]) - np.median(cue[at:]))) <= threshold / 2:
        return None
    part = slice(0, at) if at >= n - at else slice(at, n)
    if restless(layout, frames[part], tare, threshold):
        return None
    return float(t[part][0]), float(t[part][-1])


def _extractor(layout: Layout, tare: np.ndarray | None) -> Extractor:
    return Extractor(layout, None if tare is None else layout.to_load(np.asarray(tare, float)))


def _baseline(layout: Layout, frames: np.ndarray, tare: np.ndarray | None) -> Baseline:
    ex = _extractor(layout, tare)
    spread = feature_spread(layout, frames, None if tare is None else np.asarray(tare, float))
    return Baseline.from_raw(ex, layout.to_load(robust_mean(frames)), spread)
