"""The sitter's upright baseline, as features, and the scales that make thresholds portable
across layouts (a 4-load-cell seat and a 12-sensor chair measure shifts in different units).

Since issue #10 the baseline describes a *person*, not a single minute:

- **A spread.** Each feature's robust standard deviation over the calibration minute
  (:attr:`Baseline.spread`). A cue that moved a lot while this person sat still must move more
  before it means anything: the balance detector counts a cue fully only past
  ``max(threshold, SPREAD_K x its spread)`` (:meth:`Baseline.reliability`). The configured
  threshold is the floor, so a very still minute never makes a hair trigger.
- **More than one upright.** People sit upright against the backrest and upright away from it
  (typing, with the backrest barely touched), and the seat's centre of pressure need not be in
  the same place in both: the pelvis is no longer held by the backrest and the load moves onto
  other sensors. :attr:`Baseline.away` is that second way of sitting, from the calibration's
  optional second step or learned from settled sitting (:class:`UprightModel`: two settled
  minutes clear of the backrest that agree, since one still minute may be a forward lean that
  keeps the seat's load); the balance detector measures a frame from whichever upright it is
  nearest to. Once one is known, a second settled way of sitting clear of the backrest may be
  learned beside it (:attr:`Baseline.away2`), within the band the first could have been
  learned in: the elbows-on-the-thighs lean of issue #10's held-out class is as still and as
  heavy on the seat as its upright there, and whichever came first, the other read lopsided
  for the rest of the day.
- **Slow drift.** Cushions resettle and people sit down again a little further forward.
  :class:`UprightModel` follows settled, upright, balanced sitting slowly (a 3-minute time
  constant), by a bounded amount, along the seat's depth only, and never while a posture or a
  lean is being reported, so a lean the tool exists to report is never learned away. Settled
  sitting away from the backrest is followed too, by the away upright alone (its own bounded
  drift: what is learned clear of the backrest never moves the upright against it), and away
  from the backrest the forward rule measures from the away upright
  (:meth:`Baseline.upright_y`): someone who sits down again a few centimetres further forward
  after a break is not leaning forward. Pads that creep (their reading rising under the same
  load, FSRs and velostat) raise every loaded pad alike, which moves no share and no centre:
  nothing to follow there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from sitwatch.core.kinds import Balance, Posture
from sitwatch.sensing.calibration import robust_mean
from sitwatch.sensing.features import NAMES, REAR_ROW, Extractor, Features

#: A cue counts fully only once it moves this many robust sds of the calibration minute. Three
#: sds make a per-frame false alarm rare for steady noise (0.1%); a calibration minute is
#: calmer than an hour of sitting (people resettle), hence a little more.
SPREAD_K = 4.0
#: A backrest carrying less than this share of the measured load has no meaningful centre of
#: pressure (a shoulder blade brushing it): its lateral cue is ignored below it and counts
#: fully from twice it. ``has_back`` asks 8% of the load at calibration; this is the same order.
BACK_MIN_SHARE = 0.05
#: The same for the seat's rear third (the sit bones) as a share of the seat load: below it
#: (perched on the front of the seat, pelvis slid far forward) its lateral centre means nothing.
REAR_MIN_SHARE = 0.05
#: Sitting *away* from the backrest: it carries less than this share of its upright load.
AWAY_RATIO = 0.5
#: Until an away-from-the-backrest upright is known (and only while it may still be learned),
#: the seat's and the thighs' lateral cues are measured with this much slack (a share of the
#: threshold) while away: their reference was taken in the other way of sitting. 0.6 lets an
#: away upright up to 1.6x the threshold from the calibrated one read balanced, and be learned.
AWAY_SLACK = 0.6


@dataclass(frozen=True)
class Baseline:
    f: Features
    seat_load: float
    back_load: float  # 0 when the chair has no backrest sensors or the sitter did not lean on it
    total: float
    # mean |x| of usable seat channels: a full shift to one side ~ 1.0 (load cells under a
    # plate: the body's own span between them, the layout's [plate] body_x)
    x_scale: float
    y_scale: float  # mean |y| of usable seat channels (a plate's: body_y)
    back_x_scale: float
    has_back: bool
    front_x_scale: float = 1.0
    has_front: bool = False  # front-half sensors on both sides that carry load when upright
    #: robust sd of each feature over the calibration minute (None: not measured, old profile)
    spread: Mapping[str, float] | None = None
    #: upright away from the backrest (None: not known)
    away: Features | None = None
    #: an away upright may still be learned: away from the backrest, the seat's and thighs'
    #: cues get :data:`AWAY_SLACK` (see :mod:`~sitwatch.sensing.detectors.balance`)
    away_open: bool = False
    rear_x_scale: float = 1.0  # mean |x| of the usable paired channels of the seat's rear third
    #: the seat's rear third has sensors on both sides and carries load when upright (its
    #: lateral centre is the balance detector's rear cue on seats without a backrest)
    has_rear: bool = False
    #: the seat channels are load cells under a plate (the layout's ``[plate]``): every cell
    #: carries a share of the whole load, so the seat's centre of pressure is the one cue it has
    plate: bool = False
    #: the chair has backrest sensors in use, whether or not the sitter leaned on them when
    #: calibrating (``has_back``): calibrated clear of the backrest, it can still tell when the
    #: backrest is free
    back_sensors: bool = False
    #: the seat load of the last settled minute clear of the backrest while no other minute
    #: has agreed with it yet (0: none, or the away upright is known): the forward rule may
    #: judge a lean from it (:func:`~sitwatch.sensing.detectors.posture.leans_from_away`), the
    #: balance rule never does
    away_seat: float = 0.0
    #: a second settled way of sitting upright clear of the backrest, learned while the first
    #: was known (:class:`UprightModel`; None: none): the balance rule measures a frame clear of
    #: the backrest from whichever of the two it is nearer to
    away2: Features | None = None

    @classmethod
    def from_raw(
        cls,
        ex: Extractor,
        upright_raw: np.ndarray,
        spread: Mapping[str, float] | None = None,
        away_raw: np.ndarray | None = None,
        away2_raw: np.ndarray | None = None,
    ) -> Baseline:
        f = ex(np.asarray(upright_raw, dtype=float))
        lay = ex.layout
        seat = lay.seat_mask & ex.usable
        back = lay.back_mask & ex.usable
        seat_lr = lay.seat_mask & ex.paired  # left/right features use mirror pairs only
        back_lr = lay.back_mask & ex.paired
        xs = float(np.abs(lay.x[seat_lr]).mean()) if seat_lr.any() else 1.0
        if lay.is_grid and seat_lr.any():
            # a matrix is wider than the body on it: a whole shift to one side moves the
            # centre of pressure as far as the loaded cells reach, not the whole grid's width
            w = ex.load(np.asarray(upright_raw, dtype=float))[seat_lr]
            if w.sum() > 0:
                xs = float(np.dot(np.abs(lay.x[seat_lr]), w) / w.sum())
        ys = float(np.abs(lay.y[seat]).mean()) if seat.any() else 1.0
        bxs = float(np.abs(lay.x[back_lr]).mean()) if back_lr.any() else 1.0
        has_back = bool(back.any()) and f.back_load > 0.08 * f.total
        front = seat_lr & (lay.y > 0)
        fxs = float(np.abs(lay.x[front]).mean()) if front.any() else 0.0
        has_front = (
            bool((lay.x[front] < 0).any() and (lay.x[front] > 0).any())
            and fxs > 0
            and f.front_load > 0.05 * f.seat_load
        )
        rear = seat_lr & (lay.y < REAR_ROW)
        rxs = float(np.abs(lay.x[rear]).mean()) if rear.any() else 0.0
        has_rear = (
            bool((lay.x[rear] < 0).any() and (lay.x[rear] > 0).any())
            and rxs > 0
            and f.rear_load > REAR_MIN_SHARE * f.seat_load
        )
        plate = getattr(lay, "plate", None)
        if plate is not None:
            # Load cells under a plate sit outside the body: its centre of pressure moves only
            # as far as its load reaches, so moves are measured on the body's span between the
            # cells. No pair of cells isolates the thighs or the sit bones (each carries a share
            # of the whole load by the lever rule), so neither has a cue of its own.
            xs, ys = plate.body_x, plate.body_y
            has_front = has_rear = False
        away = away2 = None
        if away_raw is not None and has_back:
            away = ex(np.asarray(away_raw, dtype=float))
            if away2_raw is not None:
                away2 = ex(np.asarray(away2_raw, dtype=float))
        return cls(
            f,
            max(f.seat_load, 1e-9),
            f.back_load if has_back else 0.0,
            max(f.total, 1e-9),
            xs or 1.0,
            ys or 1.0,
            bxs or 1.0,
            has_back,
            fxs or 1.0,
            has_front,
            dict(spread) if spread else None,
            away,
            rear_x_scale=rxs or 1.0,
            has_rear=has_rear,
            plate=plate is not None,
            back_sensors=bool(back.any()),
            away2=away2,
        )

    @classmethod
    def nominal(cls, ex: Extractor) -> float:
        """Seat load that stands for 'someone sits here' before any calibration."""
        lay = ex.layout
        n_seat = int((lay.seat_mask & ex.usable).sum())
        # A sitter covers only part of a matrix; discrete sensors sit where the body is.
        share = 0.08 if lay.is_grid else 0.2
        return share * lay.full_scale * max(n_seat, 1)

    # -- what the spread and the modes mean for a cue ------------------------------------
    def cue_sd(self, cue: str) -> float:
        """The robust sd of a lateral cue (``seat``, ``back``, ``front``) over the calibration
        minute, on the balance threshold's scale before any cue weight; 0 when not measured."""
        if not self.spread:
            return 0.0
        name, scale = {
            "seat": ("cop_x", self.x_scale),
            "back": ("back_x", self.back_x_scale),
            "front": ("front_x", self.front_x_scale),
            "rear": ("rear_x", self.rear_x_scale),
        }[cue]
        return float(self.spread.get(name, 0.0)) / scale

    def reliability(
        self, cue: str, threshold: float, weight: float = 1.0, k: float = SPREAD_K
    ) -> float:
        """How much of a cue counts (0-1]: all of it, unless the cue's own noise at calibration
        (``k`` robust sds, times the cue's weight) is larger than ``threshold``: then the cue
        is scaled so that it reaches the threshold only at that noise level. The same as a
        per-person threshold ``max(threshold, k x sd)``, with the release following."""
        noise = k * self.cue_sd(cue) * weight
        return 1.0 if threshold <= 0 or noise <= threshold else threshold / noise

    def upright_y(self, f: Features, cap: float) -> float:
        """The seat's fore-aft centre of pressure a frame's forward move is measured from: while
        away from the backrest and an away upright is known, that upright's (at most ``cap``
        in front of or behind the calibrated one, so a learned upright can never hide a lean);
        otherwise the calibrated upright's. Clear of the backrest the pelvis sits further
        forward, and that is where this person sits upright when typing."""
        if self.away is None or not self.is_away(f):
            return self.f.cop_y
        return self.f.cop_y + max(-cap, min(cap, self.away.cop_y - self.f.cop_y))

    def is_away(self, f: Features) -> bool:
        """Sitting away from the backrest (it carries under :data:`AWAY_RATIO` of its upright
        load). Always False without backrest sensors."""
        return self.has_back and f.back_load < AWAY_RATIO * self.back_load


def clip(v: float, lo: float, hi: float) -> float:
    """``float(np.clip(v, lo, hi))`` for one float, at a fraction of its cost (a tenth): ``v``
    unless it is past a bound, as numpy does it (NaN stays NaN; a signed zero equal to a bound
    is kept as it is)."""
    v = lo if v < lo else v
    return hi if v > hi else v


def _still(b: Baseline) -> float:
    """How far a settled minute's seat centre may wander (shift units): the person's own
    threshold-worth of calibration noise (:data:`SPREAD_K` spreads), at least
    :data:`STILL_FLOOR`. Two minutes agree within twice it."""
    return max(STILL_FLOOR, SPREAD_K * b.cue_sd("seat"))


def back_share(f: Features) -> float:
    t = f.seat_load + f.back_load
    return f.back_load / t if t > 0 else 0.0


def rear_say(f: Features) -> float:
    """How much say the seat's rear third's lateral centre has, by the share of the seat load it
    carries: none below :data:`REAR_MIN_SHARE`, full from twice that."""
    share = f.rear_load / f.seat_load if f.seat_load > 0 else 0.0
    return min(1.0, max(0.0, share / REAR_MIN_SHARE - 1.0))


def back_say(f: Features) -> float:
    """How much say the backrest's centre of pressure has, by the share of the measured load it
    carries: none below :data:`BACK_MIN_SHARE`, full from twice that."""
    return min(1.0, max(0.0, back_share(f) / BACK_MIN_SHARE - 1.0))


# -- learning from settled sitting ---------------------------------------------------------

#: How far slow drift may move the fore-aft centre of pressure (``cop_y``, in half seat depths),
#: as a share of the forward-lean shift: a baseline that followed its sitter to the bound still
#: leaves more than half of the forward rule's margin (and more of the slump rule's), and the
#: follow stops the moment a posture or a lean is reported.
DRIFT_SHARE = 0.4
DRIFT_TAU = 180.0  # seconds: the drift follows settled sitting with a 3-minute time constant
FOLLOW_AFTER = 20.0  # posture upright and balance balanced for this long (two dwells) to follow
#: ...and for this long before a minute clear of the backrest counts towards learning its
#: upright. Not longer: two minutes must agree anyway (a still lean is as still as an upright),
#: and a second way of sitting there is learned beside a first that was a lean. At 60 s issue
#: #10's held-out class, whose free use holds a way of sitting 40-150 s, learned nothing in four
#: hours on one working day in five, and every later hour then read lopsided 34-62% of its
#: upright time (docs/accuracy.md, "A working day of free use").
SETTLED = 20.0
AWAY_SETTLE = 60.0  # a minute of settled sitting away from the backrest becomes its upright
LEARN_FOR = 4 * 3600.0  # an away upright is learned only in the first hours of sitting
STILL_FLOOR = 0.05  # shift units: a window this still counts as still whatever the spread
#: ways of sitting the sitter rejected that are remembered (the oldest is forgotten first)
REJECTED_KEPT = 4
#: Someone heavier or lighter than the calibrated sitter (a shared chair, a coat, a partner trying
#: it): every load the rules compare with the calibrated upright's is off by their ratio. The
#: smartchair sessions with every load 15-25% under their own calibration read upright as leaning
#: forward 6-61% of the time; vanessa's with every load 15-30% over read lopsided 22-26% of it and
#: missed every forward lean. So on a chair whose backrest the sitter leaned on when calibrating,
#: the upright's loads follow the sitter's: from frames sat the way the calibration was (every share
#: and both centres of pressure within the bands below of the calibrated upright's, the backrest
#: carrying its share of the load), the median ratio of the chair's total load to the calibrated one
#: over the first :data:`SCALE_MIN` such seconds after each sitting down (from :data:`SCALE_SETTLE`
#: on, as the calibration minute is taken: the smartchair's first seconds read 0.92 of it, and its
#: later minutes up to 1.2, which following would move with a pad's creep; a chair whose own sitter
#: reads within :data:`SCALE_OWN` keeps its calibration). Only the chair's total: leaning forward,
#: sitting up clear of the backrest, reclining, a slump and a sideways lean all move a share or a
#: centre out of the bands (the smartchair's upright against the backrest passes 82-91% of its
#: frames, every other posture under 3%, a crossed leg 12%). A seat alone cannot do this: its
#: upright load itself changes with how much the backrest takes (the smartchair's seat carries 1.0
#: of it upright against the backrest and 1.35 clear of it, with the same shares), and a hunch onto
#: the desk keeps the shares with 0.6-0.8 of the load (fsr-cushion-9).
SCALE_SHARE = 0.04  # the seat's front and rear shares of the load, as shares
SCALE_COP = 0.1  # both centres of pressure, in shift units (``x_scale``, ``y_scale``)
SCALE_BACK = 0.25  # the backrest's share of the load, relative (at least 0.03 as a share)
SCALE_SETTLE = 10.0  # seconds after sitting down before the first sample (as calibration)
SCALE_MIN = 60  # seconds of such frames (one sample a second) that set the scale
#: A sitter whose load reads within this band of the calibration's is taken as the calibrated
#: one (the scale is 1). The calibrated sitter's own first minutes of later sittings read
#: 0.99-1.2 of it (vanessa in free use: her load rises over her first minutes, pads creeping
#: or her settling; almir 1.02), and a scale learned from those read her upright clear of the
#: backrest as leaning forward 13% of the time in one order: her seat keeps 0.6 of the heavier
#: minute's load there, the forward rule's own threshold. So someone 15% heavier than the
#: calibrated sitter still reads as before (see docs/accuracy.md, "Someone else on the chair").
SCALE_OWN = (0.92, 1.22)
SCALE_BOUNDS = (0.5, 2.0)  # a sitter weighs at most this much less or more than calibrated


class UprightModel:
    """What the detectors compare a frame with: the calibrated baseline, plus what settled
    sitting has taught so far (an away-from-the-backrest upright, a slow drift).

    The pipeline feeds it every occupied frame with the detectors' states; :meth:`build` turns
    the calibrated upright (raw loads) into the :class:`Baseline` the detectors use. It keeps
    what it learned as raw loads and offsets, so a change of tare or of usable channels
    rebuilds the same thing. Pure: no clock, no I/O."""

    def __init__(
        self,
        threshold: float,
        forward_shift: float,
        away_raw: np.ndarray | None = None,
        *,
        learn: bool = True,
        away_learned: bool = False,
        away2_raw: np.ndarray | None = None,
        rejected: Sequence[np.ndarray] = (),
    ) -> None:
        """``away_raw``: the upright clear of the backrest as loads, calibrated, or learned on
        an earlier day (``away_learned``); ``away2_raw``: a second one learned then (kept in
        the profile's ``learned``: a restart starts from what the days before taught);
        ``rejected``: ways the sitter said were not upright (:meth:`reject`), never learned
        again."""
        self.threshold = threshold
        self.forward_shift = forward_shift
        self.away_raw = None if away_raw is None else np.asarray(away_raw, dtype=float)
        self.away_learned = away_learned and away_raw is not None  # learned, not calibrated
        #: a second way of sitting upright clear of the backrest (raw loads; None: none)
        self.away2_raw: np.ndarray | None = (
            None if away_raw is None or away2_raw is None else np.asarray(away2_raw, float))
        #: sitting time (``sat``) until which a second one may be learned: the learning hours
        #: from when the first became known (None: no first yet)
        self._second_until: float | None = None if away_raw is None else LEARN_FOR
        #: sitting time until which the first may be learned (reopened by :meth:`reject`)
        self._open_until = LEARN_FOR
        #: ways the sitter said were not upright, as loads (at most :data:`REJECTED_KEPT`)
        self.rejected: list[np.ndarray] = [np.asarray(r, dtype=float) for r in rejected][
            -REJECTED_KEPT:]
        self._ex: Extractor | None = None
        self.learn = learn
        #: the sitter's load as a share of the calibrated upright's (:meth:`_learn_scale`);
        #: the calibrated upright's loads are taken this many times (:meth:`build`)
        self.load_scale = 1.0
        self._scale_samples: list[float] = []
        self._scale_learned = False  # this spell's scale is known (:meth:`sat_down`)
        self._spell_from: float | None = None
        self._next_scale = -np.inf
        self.drift: dict[str, float] = {}  # feature -> offset from the calibrated upright
        self.away_drift: dict[str, float] = {}  # ... and from the away upright
        self._applied: dict[str, float] = {}
        self._away_applied: dict[str, float] = {}
        self.sat = 0.0  # seconds of occupied frames seen
        self._last_t: float | None = None
        self._away: list[np.ndarray] = []
        self._away_cues: list[float] = []
        self._away_seat: list[float] = []  # the seat's load in those frames
        self._away_since: float | None = None
        self._next_sample = -np.inf
        #: the last settled minute clear of the backrest that no other has agreed with yet:
        #: (its robust mean, its frames, its seat cue)
        self._pending: tuple[np.ndarray, np.ndarray, float] | None = None
        self._pending2: tuple[np.ndarray, np.ndarray, float] | None = None  # the same, second

    # -- the baseline the detectors see --------------------------------------------------
    def build(
        self, ex: Extractor, upright_raw: np.ndarray, spread: Mapping[str, float] | None
    ) -> Baseline:
        k = self.load_scale
        if k != 1.0:
            # the calibrated loads as this sitter puts them on the chair (above the tare);
            # an away upright learned from their own sitting is theirs already
            upright_raw = ex.tare + k * (np.asarray(upright_raw, dtype=float) - ex.tare)
        away_raw = self.away_raw
        if k != 1.0 and away_raw is not None and not self.away_learned:
            away_raw = ex.tare + k * (away_raw - ex.tare)
        b = Baseline.from_raw(ex, upright_raw, spread, away_raw, self.away2_raw)
        self._ex = ex
        self._applied = dict(self.drift)
        self._away_applied = dict(self.away_drift)

        def moved(x: Features, by: dict[str, float]) -> Features:
            return Features([getattr(x, n) + by.get(n, 0.0) for n in NAMES], x.load, x._ctx)

        if self.drift:
            b = replace(b, f=moved(b.f, self.drift))
        if self.away_drift and b.away is not None:
            b = replace(b, away=moved(b.away, self.away_drift))
        open_ = self.learn and b.has_back and b.away is None and self.sat < self._open_until
        if open_ != b.away_open:
            b = replace(b, away_open=open_)
        if open_ and self._pending is not None:
            b = replace(b, away_seat=ex(self._pending[0]).seat_load)
        second = None if b.away2 is None else (b.away2.cop_x - b.f.cop_x) / b.x_scale
        if second is not None and not self._second_fits(b, second):
            # measured again (a channel set aside, a new tare), the second way is the first
            # one, or further off than the first could be: there is one way, and a second may
            # still be learned. A rear seat sensor that saturated while vanessa sat clear of
            # the backrest moved the seat's centre there until the channel was set aside: that
            # minute was learned as a second way, the same as the first without the channel,
            # and its backrest centre then hid her lean to one side.
            self.away2_raw = None
            b = replace(b, away2=None)
        return b

    def _second_fits(self, b: Baseline, cue: float) -> bool:
        """A second away upright whose seat centre sits ``cue`` from the calibrated upright's
        (shift units) lies where the first could have been learned (within the threshold plus
        :data:`AWAY_SLACK` of it) and clear of the first (further than the band two settled
        minutes agree in)."""
        assert b.away is not None
        first = (b.away.cop_x - b.f.cop_x) / b.x_scale
        return (abs(cue) <= (1 + AWAY_SLACK) * self.threshold
                and abs(cue - first) > 2 * _still(b))

    def bounds(self, b: Baseline) -> dict[str, float]:
        """The features drift may move and how far. Only the fore-aft centre of pressure: a
        cushion that slid or a sitter who sat down a little further forward must not read as
        leaning forward. Never the lateral ones: a lopsided habit forms slowly, and a baseline
        that followed it would learn away what the balance rule exists to report (and the
        lateral margin of a real lean is small: a 0.26 lean against a 0.25 threshold)."""
        return {"cop_y": DRIFT_SHARE * self.forward_shift}

    # -- learning ------------------------------------------------------------------------
    def observe(
        self,
        t: float,
        raw: np.ndarray,
        f: Features,
        b: Baseline,
        posture: tuple[str | None, float],
        balance: tuple[str | None, float],
        *,
        settled: float | None = None,
        fits: Callable[[], bool] | None = None,
    ) -> bool:
        """One occupied frame (``raw`` as loads, ``f`` its features) with the detectors' states
        and since when they hold. True when what was learned changed enough that the pipeline
        should :meth:`build` the baseline again. ``settled``: since when the balance has been
        settled (:attr:`~sitwatch.sensing.detectors.balance.BalanceDetector.settled_since`;
        None: since its state holds): the slow drift follows only from there. A lean is over
        after a short ``end_dwell`` while a twist's shift may still flicker past the threshold,
        and following that moved a seat-only sitter's fore-aft baseline enough for her reclining
        to read as weight forward (vanessa, 8 seat sensors: 0% -> 7.2%). Learning the upright
        clear of the backrest keeps to the state's hold: it has its own stillness test, and on a
        light contact that wanders no frame run is ever all balanced (issue #10's held-out class
        then learned nothing in four hours). ``fits``: asked while a second upright clear of
        the backrest may be learned, whether the frame reads balanced as it would before any
        was learned (:meth:`~sitwatch.sensing.detectors.balance.BalanceDetector.even_unlearned`;
        None: it does)."""
        dt = 0.0 if self._last_t is None else min(max(t - self._last_t, 0.0), 5.0)
        self._last_t = t
        was_open = b.away_open
        self.sat += dt
        if not self.learn:
            return False
        calm = posture[0] == Posture.UPRIGHT and balance[0] == Balance.BALANCED
        held = min(t - posture[1], t - balance[1]) if calm else 0.0
        follow = calm and min(held, t - (balance[1] if settled is None else settled)
                              ) >= FOLLOW_AFTER and dt > 0
        settled_away = calm and held >= SETTLED
        scaled = self._learn_scale(t, f, b)
        changed = False
        if b.is_away(f):
            if b.away_open:
                changed = self._learn_away(t, raw, f, b, settled_away)
            elif b.away is not None:
                second = b.away2 is not None and (
                    abs(f.cop_x - b.away2.cop_x) < abs(f.cop_x - b.away.cop_x))
                if follow and not second:
                    changed = self._follow(f, b, dt, away=True)  # from its own upright
                if self._second_open(b):
                    # a second way is learned from settled *posture*: measured from the
                    # first, it reads lopsided (that is why it is needed). Every frame must
                    # read balanced as before any was learned (calibrated upright, slack): a
                    # way the first could have been. Vanessa's twist (the seat 0.21 over, the
                    # backrest touched on the other side) was learned without that, and hid
                    # her twists for the rest of the day
                    still_up = (posture[0] == Posture.UPRIGHT and t - posture[1] >= SETTLED
                                and (fits is None or fits()))
                    changed = self._learn_away(t, raw, f, b, still_up, second=True) or changed
        else:
            self._away_since = None
            if follow:
                changed = self._follow(f, b, dt)
        if was_open and self.sat >= self._open_until:
            changed = True  # the learning time is over: close the away slack
        return changed or scaled

    def sat_down(self, t: float) -> None:
        """Someone sat down at ``t``: perhaps not the one who sat before. Their first minute
        sat as the calibration was sets :attr:`load_scale` again (until then it stays)."""
        self._scale_samples.clear()
        self._scale_learned = False
        self._spell_from = t

    def _learn_scale(self, t: float, f: Features, b: Baseline) -> bool:
        """Learn the sitter's load (:data:`SCALE_MIN`): True when :attr:`load_scale` moved
        enough to rebuild the baseline. Only on a chair the sitter leaned on when calibrating,
        from frames sat as the calibration was."""
        if self._spell_from is None:
            self._spell_from = t
        if (not b.has_back or self._scale_learned or t < self._next_scale
                or t - self._spell_from < SCALE_SETTLE):
            return False
        bf = b.f
        total = f.seat_load + f.back_load
        b0 = bf.back_load / bf.total if bf.total > 0 else 0.0
        if not (
            total > 0
            and abs(f.rear_share - bf.rear_share) <= SCALE_SHARE
            and abs(f.front_share - bf.front_share) <= SCALE_SHARE
            and abs(f.cop_x - bf.cop_x) <= SCALE_COP * b.x_scale
            and abs(f.cop_y - bf.cop_y) <= SCALE_COP * b.y_scale
            and abs(f.back_load / total - b0) <= max(0.03, SCALE_BACK * b0)
        ):
            return False
        self._next_scale = t + 1.0
        # the total against the calibrated upright's (b was built at the current scale)
        self._scale_samples.append(total / b.total * self.load_scale)
        if len(self._scale_samples) < SCALE_MIN:
            return False
        k = float(np.clip(np.median(self._scale_samples), *SCALE_BOUNDS))
        self._scale_learned = True
        if SCALE_OWN[0] <= k <= SCALE_OWN[1]:
            k = 1.0  # the calibrated sitter, or near enough: the calibration holds
        if k == self.load_scale:
            return False
        self.load_scale = k
        return True

    def _second_open(self, b: Baseline) -> bool:
        """A second away-from-the-backrest upright may still be learned: one is known, no
        second yet, and within the learning hours from when the first became known."""
        return (self.learn and b.away is not None and self.away2_raw is None
                and self._second_until is not None and self.sat < self._second_until)

    def _follow(self, f: Features, b: Baseline, dt: float, *, away: bool = False) -> bool:
        """Move the upright this frame is sat in a little toward it (bounded): the calibrated
        one, or the away one (``away``: its own drift, so what sitting clear of the backrest
        teaches never moves the upright against it, and the other way round)."""
        a = min(1.0, dt / DRIFT_TAU)
        ref = b.away if away and b.away is not None else b.f
        drift, applied = (self.away_drift, self._away_applied) if away else (
            self.drift, self._applied)
        # (it runs on most frames of settled sitting: only the bounded features, in plain
        # floats; a dict of every feature and numpy's clip on one number took ~6 us a frame)
        moved = 0.0  # the largest move since the last rebuild, as a share of its bound
        for n, lim in self.bounds(b).items():
            d = drift.get(n, 0.0)
            d += a * ((getattr(f, n) - (getattr(ref, n) - applied.get(n, 0.0))) - d)
            drift[n] = d = clip(d, -lim, lim)
            moved = max(moved, abs(d - applied.get(n, 0.0)) / (lim or 1.0))
        return moved >= 0.05  # rebuild after a twentieth of the bound

    def _learn_away(
        self, t: float, raw: np.ndarray, f: Features, b: Baseline, settled: bool,
        *, second: bool = False,
    ) -> bool:
        """Settled minutes away from the backrest become its upright: minutes whose seat centre
        stayed within twice the person's own threshold-worth of noise (``SPREAD_K`` spreads,
        at least :data:`STILL_FLOOR`) and whose seat carried at least its calibrated load; and
        two of them, the next one or a later one, whose seat centres agree within that band.
        Until a second minute agrees, the last one is pending: the forward rule judges a seat
        that lost load against it (:attr:`Baseline.away_seat`), the balance rule keeps its
        slack.

        ``second``: the same for a second way of sitting upright clear of the backrest, once
        the first is known (:attr:`Baseline.away2`). People have more than one: issue #10's
        held-out class sits upright clear of the backrest 0.26 to one side of the calibrated
        upright and, as still and as heavy on the seat, with the elbows on the thighs straight
        above it. When the lean was learned first, every later hour read lopsided 55-64% of
        the upright time: the slack was gone and the real upright was measured from the lean.
        A second way must lie where the first could have been learned (its seat centre within
        the threshold plus :data:`AWAY_SLACK` of the calibrated upright's), and clear of the
        first (the two agree no closer than a still minute's band); it does not touch what
        the forward rule judges by."""
        if not settled:
            self._away_since = None
            return False
        if self._away_since is None:
            self._away_since = t
            self._away.clear()
            self._away_cues.clear()
            self._away_seat.clear()
            self._next_sample = -np.inf
        if t >= self._next_sample:
            self._next_sample = t + 0.2  # sample at most 5 Hz
            self._away.append(np.array(raw, dtype=float))
            self._away_cues.append((f.cop_x - b.f.cop_x) / b.x_scale)
            self._away_seat.append(f.seat_load)
        if t - self._away_since < AWAY_SETTLE or len(self._away) < 5:
            return False
        cues = np.asarray(self._away_cues)
        still = _still(b)
        # sitting up clear of the backrest puts the trunk's whole weight on the seat: at least
        # what it carried upright against the backrest. A seat that carries less has handed
        # weight on (elbows on the thighs, hands on the knees or the desk): a forward lean the
        # posture rules cannot judge before this upright is known, and learning it as the
        # upright measured the real one from the wrong place (free use: almir's forward lean
        # learned before his upright clear of the backrest, which then read lopsided 31% of
        # his upright time, 60% in the worst order; his forward leans keep 0.68-1.04 of the
        # calibrated seat load, his upright clear of the backrest 1.19-1.44)
        lighter = float(np.median(self._away_seat)) < b.seat_load
        if float(cues.max() - cues.min()) > 2 * still or lighter:
            # not still, or not an upright: slide the window on
            half = len(self._away) // 2
            del self._away[:half], self._away_cues[:half], self._away_seat[:half]
            self._away_since = t - AWAY_SETTLE / 2
            return False
        frames, cue = np.array(self._away), float(np.median(cues))
        self._away.clear()
        self._away_cues.clear()
        self._away_seat.clear()
        self._away_since = t  # the next minute starts here
        if self._was_rejected(b, frames, still):
            return False
        if second:
            return self._learn_second(b, frames, cue, still)
        pending, self._pending = self._pending, (robust_mean(frames), frames, cue)
        if pending is None or abs(pending[2] - cue) > 2 * still:
            # one minute is not yet a habit: a forward lean that keeps the seat's load (elbows
            # on the thighs) is as still and as heavy as the upright, and learned as it the
            # real upright then read lopsided from it (free use: vanessa's, 6 of 20 orders).
            # Wait for a second minute that agrees, the next one in a long stretch, or a later
            # one. Meanwhile the forward rule may judge a lean from this minute's seat load.
            return True
        self._pending = None
        self.away_raw = robust_mean(np.concatenate([pending[1], frames]))
        self.away_learned = True
        self._second_until = self.sat + LEARN_FOR
        return True

    def _was_rejected(self, b: Baseline, frames: np.ndarray, still: float) -> bool:
        """A settled minute sat where a way the sitter rejected was: its seat centre within the
        band two settled minutes agree in (``2 x still``, shift units) of that way's, across
        and along the seat."""
        if not self.rejected or self._ex is None:
            return False
        f = self._ex(robust_mean(frames))
        for r in self.rejected:
            g = self._ex(r)
            if (abs(f.cop_x - g.cop_x) / b.x_scale <= 2 * still
                    and abs(f.cop_y - g.cop_y) / b.y_scale <= 2 * still):
                return True
        return False

    def reject(self) -> bool:
        """The sitter says the way of sitting learned last was not upright (a lean held still,
        elbows on the thighs): it is dropped, kept among the :attr:`rejected` so it is never
        learned again, and learning opens again for the learning hours, so the real upright
        may still be learned. False when nothing learned is there to drop (a calibrated way
        is the sitter's own; ``sitwatch calibrate`` replaces it)."""
        if self.away2_raw is not None:
            dropped, self.away2_raw = self.away2_raw, None
            self._pending2 = None
            self._second_until = self.sat + LEARN_FOR
        elif self.away_learned and self.away_raw is not None:
            dropped, self.away_raw = self.away_raw, None
            self.away_learned = False
            self.away_drift.clear()
            self._pending = self._pending2 = None
            self._second_until = None
            self._open_until = self.sat + LEARN_FOR
        else:
            return False
        self.rejected = [*self.rejected, dropped][-REJECTED_KEPT:]
        self._away_since = None
        return True

    def _learn_second(self, b: Baseline, frames: np.ndarray, cue: float, still: float) -> bool:
        """A settled minute clear of the backrest once the first away upright is known
        (``cue``: its seat centre from the calibrated upright's, shift units): a second
        upright when it lies in the band the first was learned in, clear of the first
        (:meth:`_second_fits`), and a second such minute agrees with it."""
        if not self._second_fits(b, cue):
            return False  # a lean past the band, or the first upright again
        pending, self._pending2 = self._pending2, (robust_mean(frames), frames, cue)
        if pending is None or abs(pending[2] - cue) > 2 * still:
            return False
        self._pending2 = None
        self.away2_raw = robust_mean(np.concatenate([pending[1], frames]))
        return True
