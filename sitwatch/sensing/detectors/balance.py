"""Left/right balance (balanced | left | right).

The shift is the largest of these sideways moves relative to the baseline, each scaled by the
mean sideways position of the sensors involved, so 1.0 means the whole load on one side's
sensors whatever the layout:

- the seat's centre of pressure (leaning on one buttock);
- the backrest's, weighted by how much the backrest carries: by its share of its upright load,
  and not at all when it carries under 5% of the measured load (a shoulder blade brushing a
  backrest has no meaningful centre of pressure: ``baseline.back_say``), so a light, wandering
  contact cannot swing it;
- on a seat without backrest sensors, the rear third's (the sit bones', issue #10): a lean
  moves the sit bones across while the thighs stay put, so the whole seat's centre shows only
  part of it (on fsr-cushion-9 and the smartchair's seat, about two thirds). It has no say when
  the rear third carries under 5% of the seat load (perched: ``baseline.rear_say``), is
  weighted by its share of the seat load against upright's (the pelvis slid forward), counts
  only the way the whole seat's centre moves and at most :data:`REAR_CAP` times as far (the
  pelvis rolling or a twist moves the sit bones' centre on its own), and only from the
  threshold on: it starts a lean but never holds one, so a sitter whose usual sitting is a
  little to one side is still released by the other cues. Two or three cells make it, so one
  cell that sticks or saturates can fake it: it keeps quiet while one of its channels is
  suspected (:attr:`BalanceDetector.rear_quiet`, from
  :attr:`~sitwatch.sensing.health.ChannelHealth.watched_suspect`), well before the channel is
  proven stuck and left out;
- the front half of the seat's, counted at ``threshold / front_threshold`` of its size: a
  crossed leg lifts one thigh off the front of the seat while the sit bones stay level, so the
  whole seat's centre barely moves. Used when the seat has front sensors on both sides.

What is constant for a baseline (each cue's reliability, the backrest references) is worked
out once (:func:`prepare`), not on every frame. Each cue is further scaled by how reliable it
was for this person: one that moved by more than
the threshold's worth of noise while they sat still for calibration counts only as far as it
stands out of that noise (:meth:`~sitwatch.sensing.detectors.baseline.Baseline.reliability`),
which is a per-person threshold ``max(threshold, 4 sd)`` for that cue. When the person's
away-from-the-backrest upright is known, which upright a frame is measured from follows the
backrest's load: under half its upright load, the away one; from 80% on, the calibrated one;
in between (a light contact that wanders), whichever of the two is nearer (the smaller shift),
so that a wandering contact cannot flip the reference, while a clear lean away from the
backrest is still measured from the away upright and not hidden by the other one. While that
upright may still be learned, the seat's and thighs' cues get some slack away from the
backrest, since their reference was taken in the other way of sitting (see
:mod:`~sitwatch.sensing.detectors.baseline`).

A side is entered at ``threshold`` and kept down to ``release`` (hysteresis), but only while the
shift stays on that side: past release the other way the lean is over. Sides change directly
(left -> right after the dwell, with no balanced report between) when the new lean passes the
threshold.
"""

from __future__ import annotations

from typing import NamedTuple

from sitwatch.config import Balance as BalanceCfg
from sitwatch.core.events import BALANCE, Event
from sitwatch.sensing.detectors.baseline import (
    AWAY_RATIO,
    AWAY_SLACK,
    SPREAD_K,
    Baseline,
    back_say,
    rear_say,
)
from sitwatch.sensing.detectors.dwell import Dwell
from sitwatch.sensing.features import Features

BALANCED, LEFT, RIGHT = "balanced", "left", "right"
AWAY_LEAVE = 0.8  # the backrest carries this share of its upright load: the calibrated upright
#: Seats without a backrest: the rear third's (sit bones') lateral cue, on the seat's scale,
#: counts at most this multiple of the whole seat's shift, and only the same way: a real lean
#: moves the whole seat's centre too. The sit bones' centre moving on its own (the pelvis
#: sliding forward or rolling back, a twist) is not a lean.
REAR_CAP = 2.0


def _soft(s: float, slack: float) -> float:
    """``s`` with ``slack`` taken off its size (never past zero)."""
    if slack <= 0:
        return s
    return max(0.0, s - slack) if s > 0 else min(0.0, s + slack)


class Prep(NamedTuple):
    """What a baseline and the detector's settings make constant for every frame, worked out
    once (:func:`prepare`) rather than on each frame: each cue's reliability, and which
    backrest centre each upright is measured from."""

    seat: float  # the seat cue's reliability
    back: float  # the backrest cue's (0 without a backrest)
    front_weight: float  # 0: no front cue
    front: float  # the front cue's reliability
    rear: float  # the rear third's reliability (0: no rear cue, i.e. a backrest or no rear row)
    bref: float  # the calibrated upright's backrest centre
    away_bref: float  # the away upright's (the calibrated one's when its own means nothing)
    threshold: float  # the rear third's cue counts from here on


def prepare(
    b: Baseline, front_weight: float = 0.0, threshold: float = 0.0, k: float = SPREAD_K
) -> Prep:
    front = front_weight > 0 and b.has_front
    away_bref = b.f.back_x
    if b.away is not None and back_say(b.away) >= 1.0:
        away_bref = b.away.back_x
    return Prep(
        b.reliability("seat", threshold, 1.0, k),
        b.reliability("back", threshold, back_say(b.f), k) if b.has_back else 0.0,
        front_weight if front else 0.0,
        b.reliability("front", threshold, front_weight, k) if front else 0.0,
        b.reliability("rear", threshold, 1.0, k) if b.has_rear and not b.has_back else 0.0,
        b.f.back_x,
        away_bref,
        threshold,
    )


def _against(
    f: Features, ref: Features, bref: float, b: Baseline, p: Prep, back_w: float, slack: float,
    rear_quiet: bool = False,
) -> tuple[str, float]:
    """The strongest cue measured from one upright reference (``bref``: its backrest centre;
    ``back_w``: how much the frame's backrest centre counts)."""
    seat = (f.cop_x - ref.cop_x) / b.x_scale * p.seat
    cue, s = "seat", _soft(seat, slack)
    if back_w > 0:
        back = (f.back_x - bref) / b.back_x_scale * back_w * p.back
        # the backrest may start a lean the seat agrees with or does not see, but it never
        # overrules a seat that is past the threshold the other way (a backrest whose sideways
        # geometry is unknown or noisy: ETHZ user6 read the wrong side 22% of pushed time)
        if abs(back) > abs(s) and not (back * s < 0 and abs(s) >= p.threshold > 0):
            cue, s = "back", back
    if p.rear > 0 and not rear_quiet:
        # weighed by the rear third's share of the seat load against upright's (the pelvis slid
        # forward or the sitter perched: little or none of the sit bones' load is left there)
        w = rear_say(f)
        if w > 0:
            w *= min(1.0, f.rear_load * ref.seat_load / (f.seat_load * ref.rear_load))
        if w > 0 and (f.rear_x - ref.rear_x) * seat > 0:
            rear = (f.rear_x - ref.rear_x) / b.rear_x_scale * w * p.rear
            cap = REAR_CAP * abs(seat)
            rear = max(-cap, min(cap, rear))
            # it starts a lean, never holds one: in the release band the other cues decide (a
            # sitter whose usual sitting leans a little would otherwise never be released)
            if abs(rear) >= p.threshold and abs(rear) > abs(s):
                cue, s = "rear", rear
    if p.front_weight > 0 and f.front_load > 0:
        front = _soft(
            (f.front_x - ref.front_x) / b.front_x_scale * p.front_weight * p.front, slack)
        if abs(front) > abs(s):
            cue, s = "front", front
    return cue, s


def strongest(
    f: Features, b: Baseline, front_weight: float = 0.0, threshold: float = 0.0,
    k: float = SPREAD_K, p: Prep | None = None, rear_quiet: bool = False,
) -> tuple[str, float]:
    """The largest sideways move (seat, back, rear third or front), on the threshold's scale,
    and its cue, from the upright this frame is nearest to. ``threshold`` (the detector's) sets
    how much of each cue counts for a person whose cues were noisy at calibration; 0 counts
    every cue whole (no spread known); ``k``: how many spreads a cue must move to count fully
    (0: spreads ignored). ``p``: :func:`prepare` of the same arguments, when the caller keeps
    it; ``rear_quiet``: a channel of the rear third is suspected (the rear cue has no say).
    Straight-line code: it runs on every frame."""
    if p is None:
        p = prepare(b, front_weight, threshold, k)
    if not b.has_back:
        return _against(f, b.f, p.bref, b, p, 0.0, 0.0, rear_quiet)
    r = f.back_load / b.back_load
    back_w = min(1.0, r) * back_say(f)
    if b.away is None:
        slack = AWAY_SLACK * threshold if r < AWAY_RATIO and b.away_open else 0.0
        return _against(f, b.f, p.bref, b, p, back_w, slack)
    if r < AWAY_RATIO:  # clearly away from the backrest: its own upright
        return _against(f, b.away, p.away_bref, b, p, back_w, 0.0)
    against = _against(f, b.f, p.bref, b, p, back_w, 0.0)
    if r >= AWAY_LEAVE:  # clearly against it
        return against
    # a light contact: either upright may explain the frame; the nearer one counts
    away = _against(f, b.away, p.away_bref, b, p, back_w, 0.0)
    return away if abs(away[1]) < abs(against[1]) else against


def shift(
    f: Features, b: Baseline, front_weight: float = 0.0, threshold: float = 0.0,
    k: float = SPREAD_K,
) -> float:
    return strongest(f, b, front_weight, threshold, k)[1]


class BalanceDetector:
    def __init__(self, cfg: BalanceCfg) -> None:
        self.cfg = cfg
        self.d = Dwell(None, cfg.dwell)
        self.shift = 0.0
        self.cue = "seat"
        self.front_weight = cfg.threshold / cfg.front_threshold
        self._prep: tuple[Baseline, float, float, float, Prep] | None = None
        #: set by the pipeline: a channel of the seat's rear third is suspected stuck or
        #: saturated (:class:`~sitwatch.sensing.health.ChannelHealth`), so the sit bones' cue
        #: keeps quiet
        self.rear_quiet = False

    @property
    def state(self) -> str | None:
        return self.d.state

    def step(self, f: Features, b: Baseline, t: float) -> Event | None:
        fw, thr, k = self.front_weight, self.cfg.threshold, self.cfg.spread
        c = self._prep
        if c is None or c[0] is not b or c[1] != fw or c[2] != thr or c[3] != k:
            c = self._prep = (b, fw, thr, k, prepare(b, fw, thr, k))  # a new baseline or retune
        self.cue, s = strongest(f, b, fw, thr, k, c[4], self.rear_quiet)
        self.shift = s
        cur = self.d.state
        side = RIGHT if s > 0 else LEFT
        if abs(s) >= self.cfg.threshold:
            cand = side
        elif abs(s) >= self.cfg.release and cur == side:
            cand = cur  # hysteresis: a lean easing off is still that lean...
        else:
            # ...but only on its own side: a shift past release the other way ends it (issue
            # #10: a right lean straight after a left one kept the state "left" throughout)
            cand = BALANCED
        if self.d.step(cand, t):
            return Event(t, BALANCE, cand, {"shift": round(s, 3), "cue": self.cue})
        return None

    def reset(self, t: float) -> None:
        self.d.reset(None, t)
