"""What the upright minute says before it becomes a baseline: did the sitter keep still
sideways, and do the pads look like they sit in voltage dividers the layout does not undo?

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

from sitwatch.config import Config, for_layout
from sitwatch.sensing.calibration import Profile, feature_spread, robust_mean
from sitwatch.sensing.detectors.baseline import SPREAD_K, Baseline
from sitwatch.sensing.features import Extractor
from sitwatch.sensing.health import full_at_calibration
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


def balance_limits(cfg: Config, layout: Layout) -> tuple[float, float]:
    """The balance threshold and its spread factor (``detect.balance.threshold`` and
    ``.spread``) as the detectors will use them with this layout."""
    bal = for_layout(cfg, layout).detect.balance
    return bal.threshold, bal.spread


def restless(layout: Layout, upright: np.ndarray, tare: np.ndarray | None,
             threshold: float, k: float = SPREAD_K) -> list[Restless]:
    """The seat's lateral cues that the upright frames (readings, as the device sent them; the
    empty seat's mean reading as ``tare``) made less sensitive than ``threshold`` (the balance
    threshold, with its spread factor ``k``), most affected first."""
    frames = np.asarray(upright, dtype=float)
    if len(frames) < 3:
        return []
    return _restless(_baseline(layout, frames, tare), threshold, k)


def restless_profile(layout: Layout, profile: Profile, threshold: float,
                     k: float = SPREAD_K) -> list[Restless]:
    """As :func:`restless`, from a saved profile (its upright mean and spread); none for a
    profile without a spread (taken before it was kept)."""
    upright = profile.array("upright")
    if upright is None or not profile.spread:
        return []
    b = Baseline.from_raw(_extractor(layout, profile.array("tare")), layout.to_load(upright),
                          profile.spread)
    return _restless(b, threshold, k)


def _restless(b: Baseline, threshold: float, k: float) -> list[Restless]:
    out = []
    for cue in CUES:
        if cue == "rear" and not b.has_rear:
            continue
        noise = k * b.cue_sd(cue)
        if noise >= MIN_FACTOR * threshold:
            out.append(Restless(cue, noise / threshold))
    return sorted(out, key=lambda r: -r.factor)


def steady_part(layout: Layout, times: np.ndarray, upright: np.ndarray,
                tare: np.ndarray | None, threshold: float,
                k: float = SPREAD_K) -> tuple[float, float] | None:
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
    if restless(layout, frames[part], tare, threshold, k):
        return None
    return float(t[part][0]), float(t[part][-1])


#: Loaded seat pads whose median reading sits this far up their range (after any inversion,
#: above the empty seat's) look read through a voltage divider, in its flat part. Measured on
#: the first upright minute: fsr-cushion-9 0.88-0.89 (its pads do sit in dividers); simulated
#: linear pads 0.24-0.67, simulated divider pads 0.50-0.94; smartchair 0.26-0.34; the Technion
#: chair's 0.66-0.71.
DIVIDER_LEVEL = 0.75
#: ... counting the pads that carry at least this share of full scale
LOADED = 0.2


def divider_level(layout: Layout, upright: np.ndarray, tare: np.ndarray | None) -> float | None:
    """The median level (0-1 of the range above the empty reading) of the seat pads the sitter
    loads in the upright mean reading ``upright``, when the layout reads them linearly (no
    ``divider``, no plate) and that level is :data:`DIVIDER_LEVEL` or more; else None. At that
    level a divider's flat response hides most of a lean: worth a word to the user."""
    if layout.divider or layout.plate is not None:
        return None
    fs = float(layout.full_scale)
    zero = (np.full(layout.n, layout.zero_load) if tare is None
            else layout.to_load(np.asarray(tare, dtype=float)))
    up = layout.to_load(np.asarray(upright, dtype=float))
    y = ((up - zero) / np.maximum(fs - zero, 1e-9))[layout.seat_mask]
    loaded = y[y >= LOADED]
    if len(loaded) < 2:
        return None
    level = float(np.median(loaded))
    return level if level >= DIVIDER_LEVEL else None


def divider_hint(level: float) -> str:
    """What to tell the user about pads that read :data:`DIVIDER_LEVEL` up their range."""
    return (f"under you the loaded pads read {level:.0%} of the way to the end of their range. "
            "If they are FSRs or velostat read through a voltage divider, their reading flattens "
            "there and leans barely move it: add  divider = 0.1  to your layout "
            "(`sitwatch docs protocol`, \"Pads read through a divider\") and calibrate again.")


def saturated(layout: Layout, upright: np.ndarray) -> list[str]:
    """The channels the upright mean reading ``upright`` puts at full scale and the pipeline
    therefore sets aside from the first frame (:func:`~sitwatch.sensing.health.full_at_calibration`:
    not the seat's rear third), so they are worth a word: a sensor that a sitter drives to the
    end of its range, or a shorted one."""
    full = full_at_calibration(layout, layout.to_load(np.asarray(upright, dtype=float)))
    return [c.label for c, f in zip(layout.channels, full, strict=True) if f]


def saturated_hint(labels: list[str]) -> str:
    """What to tell the user about channels :func:`saturated` found."""
    one = len(labels) == 1
    names = labels[0] if one else ", ".join(labels[:-1]) + " and " + labels[-1]
    it, its = ("it", "its") if one else ("them", "their")
    return (f"{names} {'was' if one else 'were'} at the end of {its} range while you sat "
            f"upright, so sitwatch cannot tell how your weight moves on {it} and leaves {it} "
            f"out. If your weight should not be enough to fill {it}, check {its} wiring (a short "
            "reads the same); the other sensors carry on.")


def notes(layout: Layout, profile: Profile) -> list[str]:
    """What calibrating (and ``sitwatch doctor``) should say about a profile's upright reading:
    channels at full scale, pads that look read through a divider."""
    up = profile.array("upright")
    if up is None:
        return []
    out = []
    full = saturated(layout, up)
    if full:
        out.append(saturated_hint(full))
    level = divider_level(layout, up, profile.array("tare"))
    if level is not None:
        out.append(divider_hint(level))
    return out


def _extractor(layout: Layout, tare: np.ndarray | None) -> Extractor:
    return Extractor(layout, None if tare is None else layout.to_load(np.asarray(tare, float)))


def _baseline(layout: Layout, frames: np.ndarray, tare: np.ndarray | None) -> Baseline:
    ex = _extractor(layout, tare)
    spread = feature_spread(layout, frames, None if tare is None else np.asarray(tare, float))
    return Baseline.from_raw(ex, layout.to_load(robust_mean(frames)), spread)
