"""Left/right balance (balanced | left | right).

The shift is the largest of these sideways moves relative to the baseline, each scaled by the
mean sideways position of the sensors involved, so 1.0 means the whole load on one side's
sensors whatever the layout:

- the seat's centre of pressure (leaning on one buttock);
- the backrest's, weighted by how much the backrest carries: by its share of its upright load,
  and not at all when it carries under 5% of the measured load (a shoulder blade brushing a
  backrest has no meaningful centre of pressure: ``baseline.back_say``), so a light, wandering
  contact cannot swing it; and not at all once the backrest is loaded well below the upright's
  height (:func:`low_say`: reclined or slumped, the lower back meets a sparse backrest on
  whichever sensor lies under it, so the sideways centre moves with no lean at all);
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
backrest is still measured from the away upright and not hidden by the other one. An away
upright within ``release`` of the calibrated one is the person's usual sideways sitting (a
habit, where a chair that moves people sideways puts them further off), so away from the
backrest a lean past the threshold from the calibrated upright, on the side the away one also
sees, is a lean even when the away upright alone reads it a little under. Where a second way
of sitting upright clear of the backrest has been learned, each away upright counts so and the
nearer of the two (the smaller shift) is the one a frame is measured from. While that
upright may still be learned, the seat's and thighs' cues get some slack away from the
backrest, since their reference was taken in the other way of sitting (see
:mod:`~sitwatch.sensing.detectors.baseline`): under half the backrest's upright load, and up to
``AWAY_LEAVE`` of it while the seat carries the trunk's weight (a light contact that wanders
back onto the backrest is still sitting up clear of it; a lean that only lightens the backrest
leaves the seat's load as it was).

A side is entered at ``threshold`` and kept down to ``release`` (hysteresis), but only while the
shift stays on that side: past release the other way the lean is over. Sides change directly
(left -> right after the dwell, with no balanced report between) when the new lean passes the
threshold. A lean held in its band also ends at once when the sitter sits up clear of the
backrest (:data:`LEFT_BACK`): that is a new posture, and a light contact still reading a little
to the old side must not keep the lean going.

Where a lean ends follows the person (issue #10). Someone whose usual upright reads 0.17 to one
side (balanced: under the threshold) never came back under a release fixed at 0.15 around the
calibration, so a lean to that side was held for as long as they then sat as usual. The
detector learns where their balanced sitting usually reads (:attr:`BalanceDetector.usual`,
from frames that all read balanced for 20 s, a one-minute time constant), bounded by
``release``; a lean to that side is over once the shift is back within ``threshold - release``
of it (never later than with a centred usual sitting). Entering a lean is always measured from
the calibration, so a lopsided habit is still reported. And for a sitter whose cues were noisy
at calibration the shift is read through a short moving average (:meth:`BalanceDetector._smooth`),
so that a noisy frame past the threshold every few seconds no longer restarts the dwell of a
lean that is over.

The backrest's centre is measured from where it sits in this person's settled balanced sitting
against the backrest (:attr:`BalanceDetector.back_usual`: the same 20 s of balanced frames, a
3-minute time constant, bounded by the threshold's worth of it; not while slumped or reclined
against it, where the backrest is loaded lower down and its centre belongs to that posture). A
backrest carries a light load, so a channel's zero drifting by a little moves its centre a lot,
and where the shoulders meet it changes each time the person sits down again (population sitter
15: its backrest centre moved 0.3 to one side over the hour while the seat's stayed put, and
the late half-hour read lopsided 60% of its time). The seat's centre is never followed, so a
lean or a lopsided habit is still found there, and a lean that shows on the backrest alone is
found as long as it comes on faster than minutes.
"""

from __future__ import annotations

import math
from dataclasses import replace
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
from sitwatch.sensing.detectors.posture import SEAT_GAIN
from sitwatch.sensing.features import Features

BALANCED, LEFT, RIGHT = "balanced", "left", "right"
AWAY_LEAVE = 0.8  # the backrest carries this share of its upright load: the calibrated upright
#: Seats without a backrest: the rear third's (sit bones') lateral cue, on the seat's scale,
#: counts at most this multiple of the whole seat's shift, and only the same way: a real lean
#: moves the whole seat's centre too. The sit bones' centre moving on its own (the pelvis
#: sliding forward or rolling back, a twist) is not a lean.
REAR_CAP = 2.0
#: A backrest whose centre of pressure is off to one side while the seat's centre and the
#: thighs' stay where they were upright (within :data:`CENTRED` of the threshold) is a contact,
#: not yet a lean: a lean moves the body's weight, and the seat feels it. Such a backrest-alone
#: cue must reach this many times the threshold. Vanessa's upright clear of the backrest rests a
#: fifth of her load on one side of it, 0.22-0.27 from its calibrated centre with the seat on
#: its learned centre (0.01-0.03), and read lopsided 18-20% of two hours in thirty of her
#: working days (docs/accuracy.md, "A contact is not a lean"): 1.05 is enough there. Both
#: people's sideways leans keep their margin (still all found at 90% of their strength) up to
#: 1.15; at 1.25 almir's, which shows mostly on the backrest, is missed at 90%.
BACK_ALONE = 1.1
#: "Centred": the seat's and the thighs' cues within this share of the threshold. At 0.5 a
#: crossed leg whose thighs move a little (almir, ten orders of free use) lost 7 pieces in 74;
#: at 0.15 vanessa's worst hour still read 12%.
CENTRED = 0.3
#: The backrest's centre is followed (:attr:`BalanceDetector.back_usual`) only while its
#: vertical centre is within this of the calibrated upright's (layout units): slumped (the
#: lower back on the backrest) or reclined, it sits 0.3-0.8 lower, and so does its sideways
#: centre belong to another posture (upright: within 0.05-0.1)
BACK_Y_SAME = 0.15


#: The backrest's sideways centre has no say once its vertical centre sits this far below the
#: calibrated upright's (layout units), and its full say down to BACK_Y_SAME below it. Reclined
#: or slumped, the lower back rests on the backrest, often on one sensor of a sparse row whose
#: upright balance was set by the shoulders (almir reclined loads only the lower right one of
#: the smartchair's four): its sideways centre belongs to that posture, not to a lean. Leans
#: load the backrest higher up, never lower (the shoulder on one side: 0.24-0.31 above).
BACK_LOW = 0.3


def low_say(f: Features, b: Baseline) -> float:
    """How much say the backrest's sideways centre keeps by how far its vertical centre has gone
    down from the calibrated upright's: whole within :data:`BACK_Y_SAME`, none from
    :data:`BACK_LOW` down."""
    drop = b.f.back_y - f.back_y
    if drop <= BACK_Y_SAME:
        return 1.0
    return max(0.0, (BACK_LOW - drop) / (BACK_LOW - BACK_Y_SAME))


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
    #: how far the away upright's seat centre sits from the calibrated one's (shift units; inf:
    #: no away upright)
    away_off: float = math.inf
    #: how noisy the seat's centre (and the sit bones', where it counts) was at calibration:
    #: the larger robust sd, as each cue counts (times its reliability; shift units; 0:
    #: unknown). Not the backrest's or the thighs': their calibration wander is a contact that
    #: moves, and averaging a cue that flips sides with another (a crossed leg) blurs both
    noise: float = 0.0
    #: the second away upright's backrest centre and seat centre offset (as the first's)
    away2_bref: float = 0.0
    away2_off: float = math.inf


def _bref(b: Baseline, away: Features | None) -> float:
    """The backrest centre an away upright is measured from: its own where the backrest
    carried enough of its load to mean something, else the calibrated upright's."""
    return away.back_x if away is not None and back_say(away) >= 1.0 else b.f.back_x


def _off(b: Baseline, away: Features | None) -> float:
    return math.inf if away is None else (away.cop_x - b.f.cop_x) / b.x_scale


def prepare(
    b: Baseline, front_weight: float = 0.0, threshold: float = 0.0, k: float = SPREAD_K
) -> Prep:
    front = front_weight > 0 and b.has_front
    seat = b.reliability("seat", threshold, 1.0, k)
    back = b.reliability("back", threshold, back_say(b.f), k) if b.has_back else 0.0
    fr = b.reliability("front", threshold, front_weight, k) if front else 0.0
    rear = b.reliability("rear", threshold, 1.0, k) if b.has_rear and not b.has_back else 0.0
    return Prep(
        seat,
        back,
        front_weight if front else 0.0,
        fr,
        rear,
        b.f.back_x,
        _bref(b, b.away),
        threshold,
        _off(b, b.away),
        max(b.cue_sd("seat") * seat, b.cue_sd("rear") * rear),
        _bref(b, b.away2),
        _off(b, b.away2),
    )


def _against(
    f: Features, ref: Features, bref: float, b: Baseline, p: Prep, back_w: float, slack: float,
    rear_quiet: bool = False,
) -> tuple[str, float]:
    """The strongest cue measured from one upright reference (``bref``: its backrest centre,
    with what settled sitting taught added; ``back_w``: how much the frame's backrest centre
    counts)."""
    seat = (f.cop_x - ref.cop_x) / b.x_scale * p.seat
    cue, s = "seat", _soft(seat, slack)
    thighs = p.front_weight > 0 and f.front_load > 0
    fr = (f.front_x - ref.front_x) / b.front_x_scale * p.front_weight * p.front if thighs else 0.0
    if back_w > 0:
        back = (f.back_x - bref) / b.back_x_scale * back_w * p.back
        if abs(seat) < CENTRED * p.threshold and abs(fr) < CENTRED * p.threshold:
            # the seat and the thighs centred: a lean moves the body's weight, so the backrest
            # alone asks for more (:data:`BACK_ALONE`)
            back /= BACK_ALONE
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
    if thighs:
        front = _soft(fr, slack)
        if abs(front) > abs(s):
            cue, s = "front", front
    return cue, s


def strongest(
    f: Features, b: Baseline, front_weight: float = 0.0, threshold: float = 0.0,
    k: float = SPREAD_K, p: Prep | None = None, rear_quiet: bool = False,
    release: float = 0.0, back_off: float = 0.0,
) -> tuple[str, float]:
    """The largest sideways move (seat, back, rear third or front), on the threshold's scale,
    and its cue, from the upright this frame is nearest to. ``threshold`` (the detector's) sets
    how much of each cue counts for a person whose cues were noisy at calibration; 0 counts
    every cue whole (no spread known); ``k``: how many spreads a cue must move to count fully
    (0: spreads ignored). ``p``: :func:`prepare` of the same arguments, when the caller keeps
    it; ``rear_quiet``: a channel of the rear third is suspected (the rear cue has no say);
    ``back_off``: how far settled balanced sitting has moved the backrest's centre from the
    calibration (:attr:`BalanceDetector.back_usual`, in its own units).
    Straight-line code: it runs on every frame."""
    if p is None:
        p = prepare(b, front_weight, threshold, k)
    if not b.has_back:
        return _against(f, b.f, p.bref, b, p, 0.0, 0.0, rear_quiet)
    r = f.back_load / b.back_load
    back_w = min(1.0, r) * back_say(f) * low_say(f, b)
    bref, away_bref = p.bref + back_off, p.away_bref + back_off
    if b.away is None:
        # clear of the backrest; or a light contact that wanders up to AWAY_LEAVE while the
        # seat has taken the trunk's weight back (SEAT_GAIN: sitting up clear of it, not a
        # lean that merely lightens the backrest with the seat steady)
        clear = r < AWAY_RATIO or (r < AWAY_LEAVE and f.seat_load >= SEAT_GAIN * b.seat_load)
        slack = AWAY_SLACK * threshold if clear and b.away_open else 0.0
        return _against(f, b.f, bref, b, p, back_w, slack)
    if r < AWAY_RATIO:  # clearly away from the backrest: its own upright (the nearer of two)
        away = _from_away(f, b.away, away_bref, p.away_off, b, p, back_w, bref, release)
        if b.away2 is not None:
            alt = _from_away(f, b.away2, p.away2_bref + back_off, p.away2_off, b, p, back_w,
                             bref, release)
            if abs(alt[1]) < abs(away[1]):
                return alt
        return away
    against = _against(f, b.f, bref, b, p, back_w, 0.0)
    if r >= AWAY_LEAVE:  # clearly against it
        return against
    # a light contact: either upright may explain the frame; the nearer one counts
    away = _against(f, b.away, away_bref, b, p, back_w, 0.0)
    if abs(away[1]) < abs(against[1]):
        against = away
    if b.away2 is not None:
        alt = _against(f, b.away2, p.away2_bref + back_off, b, p, back_w, 0.0)
        if abs(alt[1]) < abs(against[1]):
            return alt
    return against


def _from_away(
    f: Features, away: Features, away_bref: float, off: float, b: Baseline, p: Prep,
    back_w: float, bref: float, release: float,
) -> tuple[str, float]:
    """A frame clear of the backrest measured from one away upright (``off``: its seat centre
    from the calibrated upright's, shift units)."""
    got = _against(f, away, away_bref, b, p, back_w, 0.0)
    if abs(off) <= release and abs(got[1]) < p.threshold:
        # an away upright close to the calibrated one is the person's usual sideways sitting
        # (a habit, not how the chair moves them): it must not hide a lean that is past the
        # threshold from the calibrated (even) upright
        cal = _against(f, b.f, bref, b, p, back_w, 0.0)
        if abs(cal[1]) >= p.threshold and cal[1] * got[1] > 0:
            return cal
    return got


def shift(
    f: Features, b: Baseline, front_weight: float = 0.0, threshold: float = 0.0,
    k: float = SPREAD_K,
) -> float:
    return strongest(f, b, front_weight, threshold, k)[1]


#: The person's usual sitting (:attr:`BalanceDetector.usual`) follows balanced sitting with
#: this time constant (seconds), once every frame has read balanced for USUAL_AFTER seconds.
USUAL_TAU = 60.0
USUAL_AFTER = 20.0
#: The backrest's centre (:attr:`BalanceDetector.back_usual`) follows settled balanced sitting
#: against the backrest with this time constant (seconds), by at most the threshold's worth.
BACK_TAU = 180.0
#: A lean held in its release band (under the threshold) ends at once when the sitter sits up
#: clear of the backrest: the backrest keeps under this share of the load it carried when the
#: lean began (and at least a tenth of its upright load less), or under half its upright load
#: (:data:`~sitwatch.sensing.detectors.baseline.AWAY_RATIO`, clear of it by the measure the
#: away upright is chosen by, whatever the lean began with), while the seat takes back at
#: least :data:`~sitwatch.sensing.detectors.posture.SEAT_GAIN` of what it carried then. What
#: follows is a new posture, judged from the threshold with the dwell again. Free use showed
#: why (docs/accuracy.md, "Free use"): vanessa's upright clear of the backrest, right after a
#: lean to one side, reads 0.15-0.25 to that side through her light contact, inside the band,
#: and was held as the lean (7.0% of her upright time over 10 orders, 21.5% in the worst; now
#: 3.4% and 10%). The seat's gain keeps a lean whose backrest contact merely lightens (almir's
#: leans and crossed legs: 0.16-0.78 of upright with the seat steady): without it he lost 11
#: of 67 flagged pieces. The upright share (session 10): vanessa's lean on a light contact (0.42
#: of upright) and her upright clear of the backrest after it (0.33) differ by too little for
#: the lean's share, and the lean was held (3.9% of her upright time over 20 orders; 1.5%
#: with it). Only on a chair with backrest sensors: a seat alone reads no backrest load at all.
LEFT_BACK = 0.5


class BalanceDetector:
    def __init__(self, cfg: BalanceCfg) -> None:
        self.cfg = cfg
        # a lean is over after end_dwell of balanced sitting (never longer than one takes to
        # begin): its release used to take the full dwell too, and the 10 s after every lean
        # then read lopsided while the sitter sat evenly (free use, worst orders: almir 4.0%,
        # vanessa 4.7%, fsr-cushion-9 6.9% false lopsided time; docs/accuracy.md, "Free use")
        self.d = Dwell(None, {None: cfg.dwell, LEFT: cfg.dwell, RIGHT: cfg.dwell,
                              BALANCED: min(cfg.end_dwell, cfg.dwell)})
        self.shift = 0.0
        self.cue = "seat"
        self.front_weight = cfg.threshold / cfg.front_threshold
        self._prep: tuple[Baseline, float, float, float, Prep] | None = None
        #: :meth:`even_unlearned`'s baseline and its :class:`Prep`, for the baseline it is for
        self._unlearned: tuple[Baseline, tuple[float, float, float], Baseline, Prep] | None = None
        #: set by the pipeline: a channel of the seat's rear third is suspected stuck or
        #: saturated (:class:`~sitwatch.sensing.health.ChannelHealth`), so the sit bones' cue
        #: keeps quiet
        self.rear_quiet = False
        self._leaving = False  # see :attr:`leaving`
        #: where this person's balanced sitting usually reads (shift units), learned from
        #: settled balanced sitting and bounded by ``release``: a lean is over once the shift
        #: is back within ``threshold - release`` of it. It never starts or hides a lean:
        #: entering is always measured from the calibrated upright.
        self.usual = 0.0
        #: where the backrest's centre of pressure sits in settled balanced sitting against the
        #: backrest, from the calibrated upright's (in its own units, bounded by the
        #: threshold's worth). A backrest carries a light load, so a channel's zero that drifts
        #: a little moves its centre a lot, and where the shoulders meet it changes each time
        #: the person sits down again; the seat's centre is never followed, so a lean or a
        #: lopsided habit is still found there.
        self.back_usual = 0.0
        self._s: float | None = None  # the smoothed shift
        self._t: float | None = None
        #: since when every frame read balanced (a lean hovering at the threshold is not
        #: settled sitting, even while the state is still balanced)
        self._calm_since = 0.0
        #: the backrest's load (share of its upright load) and the seat's when the current lean
        #: was entered (see :data:`LEFT_BACK`)
        self._entered = (0.0, 0.0)

    @property
    def state(self) -> str | None:
        return self.d.state

    @property
    def settled_since(self) -> float:
        """Since when the state has held and, while balanced, every frame has read balanced:
        what settled sitting is measured from (the baseline follows only settled sitting). A
        lean ends after ``end_dwell``, but a shift still flickering back past the threshold,
        as a twist's does, is not yet settled."""
        if self.d.state == BALANCED:
            return max(self.d.changed_at, self._calm_since)
        return self.d.changed_at

    def _smooth(self, s: float, t: float, noise: float) -> float:
        """The shift through an exponential moving average just strong enough that this
        person's frame-to-frame noise at calibration (``spread`` robust sds of it) fits inside
        the hysteresis band (``threshold - release``): an average with weight ``a`` leaves
        ``sqrt(a / (2 - a))`` of white noise, so ``a = 2 / (r^2 + 1)`` where ``r`` is that noise
        over the band. A quiet sensor (``r <= 1``), or one whose noise is unknown, is read as it
        is: smoothing would only blunt a lean near the threshold. Per frame, so a faster device
        averages over less time; never longer than ``smooth`` seconds."""
        r2 = (self.cfg.spread * noise / (self.cfg.threshold - self.cfg.release)) ** 2
        last = self._t
        self._t = t
        if self._s is None or last is None or r2 <= 1 or self.cfg.smooth <= 0:
            self._s = s
            return s
        a = 2.0 / (r2 + 1.0)
        dt = min(max(t - last, 0.0), 5.0)
        a = max(a, 1.0 - math.exp(-dt / self.cfg.smooth))  # at most `smooth` seconds
        self._s += a * (s - self._s)
        return self._s

    def _learn(self, s: float, t: float, dt: float) -> None:
        """Follow the person's usual balanced sitting, bounded by ``release`` so that a habitual
        lean is never learned away: it only moves where a lean ends, never where one starts.
        Only from settled sitting: a lean hovering just under the threshold is not."""
        if self.d.state != BALANCED or t - self._calm_since < USUAL_AFTER or dt <= 0:
            return
        lim = self.cfg.release
        u = self.usual + min(5.0, dt) / USUAL_TAU * (s - self.usual)
        self.usual = max(-lim, min(lim, u))

    def _learn_back(self, f: Features, b: Baseline, p: Prep, t: float, dt: float) -> None:
        """Follow the backrest's centre in settled balanced sitting clearly against it (its
        full say and at least :data:`AWAY_LEAVE` of its upright load) in the upright's way (its
        vertical centre within :data:`BACK_Y_SAME`), bounded by the threshold's worth of it:
        only then is it measured from the calibrated upright."""
        if (self.d.state != BALANCED or t - self._calm_since < USUAL_AFTER or dt <= 0
                or not b.has_back or p.back <= 0 or back_say(f) < 1.0
                or f.back_load < AWAY_LEAVE * b.back_load
                or abs(f.back_y - b.f.back_y) > BACK_Y_SAME):
            return
        lim = self.cfg.threshold * b.back_x_scale / p.back
        u = self.back_usual + min(5.0, dt) / BACK_TAU * (f.back_x - p.bref - self.back_usual)
        self.back_usual = max(-lim, min(lim, u))

    def even_unlearned(self, f: Features, b: Baseline) -> bool:
        """The frame reads under the threshold measured as it would be before any upright
        clear of the backrest was learned: from the calibrated upright, with the slack of the
        learning hours. Where the first one may be learned, a second one may (see
        :class:`~sitwatch.sensing.detectors.baseline.UprightModel`)."""
        fw, thr, k = self.front_weight, self.cfg.threshold, self.cfg.spread
        c = self._unlearned
        if c is None or c[0] is not b or c[1] != (fw, thr, k):  # worked out once a baseline
            u = replace(b, away=None, away2=None, away_open=True)
            c = self._unlearned = (b, (fw, thr, k), u, prepare(u, fw, thr, k))
        _, s = strongest(f, c[2], fw, thr, k, c[3], self.rear_quiet, self.cfg.release,
                         self.back_usual)
        return abs(s) < thr

    def step(self, f: Features, b: Baseline, t: float) -> Event | None:
        fw, thr, k = self.front_weight, self.cfg.threshold, self.cfg.spread
        c = self._prep
        if c is None or c[0] is not b or c[1] != fw or c[2] != thr or c[3] != k:
            old = c
            c = self._prep = (b, fw, thr, k, prepare(b, fw, thr, k))  # a new baseline or retune
            if old is not None and old[4].bref != c[4].bref:
                # a new calibration or tare: what the backrest's centre drifted by is gone
                self.back_usual = 0.0
        self.cue, raw = strongest(
            f, b, fw, thr, k, c[4], self.rear_quiet, self.cfg.release, self.back_usual)
        last = self._t
        s = self.shift = self._smooth(raw, t, c[4].noise)
        cur = self.d.state
        side = RIGHT if s > 0 else LEFT
        sign = 1.0 if s > 0 else -1.0
        if abs(s) >= self.cfg.threshold:
            cand = side
        elif cur == side and sign * s >= max(
                self.cfg.release, sign * self.usual + self.cfg.threshold - self.cfg.release):
            # hysteresis: a lean easing off is still that lean, until the shift is back near
            # where this person usually sits...
            cand = cur
        else:
            # ...and only on its own side: a shift past release the other way ends it (issue
            # #10: a right lean straight after a left one kept the state "left" throughout)
            cand = BALANCED
        # A lean is over after end_dwell of sitting evenly; a shift on its way to the other
        # side (past release the other way) takes the whole dwell, so a swing from one lean to
        # the other (read smoothed for a restless sitter) is not reported balanced in between
        crossing = cur in (LEFT, RIGHT) and cand == BALANCED and (
            (s > 0) != (cur == RIGHT)) and abs(s) >= self.cfg.release
        self._leaving = (cur in (LEFT, RIGHT) and cand != cur
                         and abs(s - self.usual) < self.cfg.threshold)
        back = f.back_load / b.back_load if b.has_back else 0.0
        if (cur in (LEFT, RIGHT) and abs(s) < self.cfg.threshold and b.has_back
                and self._left_backrest(f, b, back)):
            # the lean's posture is over: sat up clear of the backrest (LEFT_BACK)
            self.d.reset(BALANCED, t)
            self._calm_since = t
            return Event(t, BALANCE, BALANCED, {"shift": round(s, 3), "cue": self.cue})
        if cand != BALANCED or last is None:
            self._calm_since = t
        else:
            self._learn(s, t, t - last)
            self._learn_back(f, b, c[4], t, t - last)
        if self.d.step(cand, t, self.cfg.dwell if crossing else None):
            self._entered = (back, f.seat_load)
            return Event(t, BALANCE, cand, {"shift": round(s, 3), "cue": self.cue})
        return None

    def _left_backrest(self, f: Features, b: Baseline, back: float) -> bool:
        """The sitter has sat up clear of the backrest since the lean began (:data:`LEFT_BACK`;
        ``back``: the backrest's load as a share of its upright load)."""
        back0, seat0 = self._entered
        return ((back < LEFT_BACK * back0 and back0 - back > 0.1) or b.is_away(f)) and (
            f.seat_load >= SEAT_GAIN * seat0)

    @property
    def leaving(self) -> bool:
        """A lean on its way out: the last frame no longer read it, and its shift is within the
        threshold of where this sitter usually sits (back to their usual sitting, or swinging
        only as far as their usual side: not into a lean the other way), while the state waits
        out its dwell. Its nudge is not due then (nudging/policy.py): it would come seconds
        after the lean ended."""
        return self._leaving and self.d.state in (LEFT, RIGHT)

    def reset(self, t: float) -> None:
        self._leaving = False
        self.d.reset(None, t)
        self._s = self._t = None
        self._calm_since = t
