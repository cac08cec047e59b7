"""Scoring one replay against its labels: the measure every table of ``sitwatch eval`` is made of.

A labelled recording goes through the same :class:`~sitwatch.sensing.pipeline.Pipeline` as
``sitwatch replay`` (:func:`run_pipeline`), which keeps the reported state after every frame;
:func:`score` then compares it with the labels, read through the dataset's
:class:`~sitwatch.evaluation.datasets.Classes` (which labels are upright, a slump, lopsided...):

- Calibration for each person uses only the first settled minute of their first upright segment
  (from 10 s in, never past its end) and their first empty segment
  (:func:`first_upright_profile`), or nothing at all (auto calibration).
- A slouch segment counts as found when a state that brings the "sit back" nudge is reported
  within 30 s of its start (:func:`sit_back_states`): ``slouched``, and on a seat alone (a
  layout without backrest sensors) also ``leaning_forward``, the "weight forward" a seat
  reports for a deep slump it cannot tell from a perch (sitwatch.sensing.detectors.posture).
  False slouch is the share of upright (and reclined) time in those states. The strict figures,
  ``slouched`` alone, are kept beside them (``*_strict``); on a chair with backrest sensors the
  two are the same.
- A perch is neither a slump nor calm: it is scored on its own (read as slouched, read as
  leaning forward, and the two together: a "sit back" nudge, which the posture guide's advice
  supports for a perch too; docs/accuracy.md).
- A lopsided or forward segment counts as flagged when the state holds for at least 30 s (or a
  quarter of the segment, if shorter) in total; a lopsided label that names its side counts
  only that side. False-alarm rates are shares of time, leaving out the first
  :data:`RELEASE_S` after each slump, lean, forward or perch segment: there the detectors are
  confirming that the sitter sat up (a dwell, 10 s by default), which is reported on its own as
  the slump's release time, not as a false alarm.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from sitwatch import config
from sitwatch.core.events import Event, new_way_learned
from sitwatch.core.kinds import Balance, Occupancy, Posture
from sitwatch.evaluation import datasets
from sitwatch.nudging.nudger import Nudger
from sitwatch.sensing import calibration
from sitwatch.sensing.pipeline import Pipeline

# SmartChair-ML's labels (the margins and robustness tables change these postures)
UPRIGHT_LABELS = datasets.SMARTCHAIR.upright
SLOUCH_LABELS = datasets.SMARTCHAIR.slouch
RECLINE_LABELS = datasets.SMARTCHAIR.recline
FORWARD_LABELS = datasets.SMARTCHAIR.forward
LOPSIDED_LABELS = datasets.SMARTCHAIR.lopsided
FOUND_WITHIN = 30.0
FLAG_SECONDS = 30.0
# Seconds after each slump, lean or forward segment left out of the false-alarm time: the
# detectors' dwell (10 s) confirming the sitter sat up, with a margin. A recording's upright
# stretch right after a slump is otherwise scored on its release alone (fsr-cushion-9's
# session 2: 9 s of upright outside the calibration minute, all of them just after half lying).
RELEASE_S = 15.0

LOPSIDED = [Balance.LEFT, Balance.RIGHT]

#: Told, one short line at a time, what the evaluation is about to do (``sitwatch eval`` shows
#: these on stderr while it works).
Progress = Callable[[str], object]


def quiet(step: str) -> None:
    """A :data:`Progress` that says nothing."""


@dataclass
class Trace:
    t: np.ndarray
    occupancy: np.ndarray
    posture: np.ndarray
    balance: np.ndarray
    shift: np.ndarray
    events: list[Event]
    #: what sitting taught by the end (the profile's ``learned``, as the daemon keeps it)
    learned: calibration.Learned | None = None


def run_pipeline(
    d: datasets.Labelled, cfg: config.Config, profile: calibration.Profile | None,
    *, answers: bool = False,
) -> Trace:
    """The same pipeline as ``sitwatch replay`` (nudges included), recording the state after
    every frame. ``answers``: the sitter answers every notice of a newly learned way of sitting
    truthfully: "Not right" when the frame it came on is not labelled upright (the daemon's
    notice comes while the minutes it was learned from are still being sat)."""
    pl = Pipeline(d.layout, cfg, profile)
    nudger = Nudger(pl.cfg.nudges, pl.cfg.detect.sit_limit)
    n = len(d.t)
    occ = np.empty(n, object)
    post = np.empty(n, object)
    bal = np.empty(n, object)
    shift = np.zeros(n)
    events: list[Event] = []
    upright = set(d.classes.upright)
    for i, (t, v) in enumerate(zip(d.t, d.values, strict=True)):
        got = pl.process(float(t), v)
        events += got
        if answers and int(d.label[i]) not in upright and any(new_way_learned(e) for e in got):
            events += pl.reject_learned(float(t))
        now = pl.snapshot(float(t))
        events += nudger.observe(now)
        occ[i], post[i], bal[i] = now.occupancy, now.posture, now.balance
        shift[i] = now.shift
    return Trace(d.t, occ, post, bal, shift, events, pl.learned())


def first_upright_profile(d: datasets.Labelled) -> tuple[calibration.Profile, tuple[float, float]]:
    """The person's calibration from the recording itself, and the window it took (to leave out
    of the false-alarm rates)."""
    segs = d.segments()
    up = next(s for s in segs if s[0] == 1)
    # the first settled minute: from 10 s in (or a sixth of a shorter segment) to a minute
    # later, never past the segment's end
    start = up[1] + min(10.0, (up[2] - up[1]) / 6)
    window = (start, min(start + 60.0, up[2]))
    sel = (d.t >= window[0]) & (d.t < window[1])
    empty = next((s for s in segs if s[0] == 0), None)
    tare = None
    if empty is not None:
        tare = d.values[(d.t >= empty[1] + 2) & (d.t < empty[2] - 2)]
    # as `sitwatch calibrate --recording` does: the means, and the upright minute's spread
    prof = calibration.from_frames(d.layout, tare=tare, upright=d.values[sel], method="recording")
    return prof, window


@dataclass
class Scores:
    occupancy: float | None = None
    slouch_recall: float | None = None
    slouch_latency: float | None = None
    slouch_false: float | None = None
    lopsided_recall: float | None = None
    lopsided_latency: float | None = None  # median seconds to the first lopsided report
    lopsided_false: float | None = None
    forward_recall: float | None = None
    forward_latency: float | None = None
    forward_false: float | None = None
    perch_slouched: float | None = None  # share of perching time read as slouched
    perch_forward: float | None = None  # ... and read as leaning forward
    # the strict slump figures: ``slouched`` alone (the same as the ones above on a chair with
    # backrest sensors; on a seat alone those also count "weight forward", a sit-back nudge)
    slouch_recall_strict: float | None = None
    slouch_latency_strict: float | None = None
    slouch_false_strict: float | None = None
    sit_back: tuple[str, ...] = (Posture.SLOUCHED,)  # the states counted as a slump found
    slouch_release: float | None = None  # median seconds a found slump's state outlasts it
    counts: dict[str, int] = field(default_factory=dict)
    # the false-alarm shares above as seconds (of the time they are shares of)
    slouch_false_s: float | None = None
    lopsided_false_s: float | None = None
    forward_false_s: float | None = None

    def loss(self) -> float:
        """What the threshold search minimises: misses count once, false alarms (a perch read
        as a slump is one) three times."""
        parts = [
            1 - (self.slouch_recall or 0),
            3 * (self.slouch_false or 0),
            1 - (self.lopsided_recall or 0),
            3 * (self.lopsided_false or 0),
            3 * (self.perch_slouched or 0),
        ]
        return float(sum(parts))

    @property
    def perch_sit_back(self) -> float | None:
        """Share of perching time with a "sit back" state (slouched or leaning forward)."""
        if self.perch_slouched is None or self.perch_forward is None:
            return None
        return self.perch_slouched + self.perch_forward


#: A table's rows: (person, what was measured, scores).
Rows = list[tuple[str, str, Scores]]


def _flag_seconds(seg_len: float) -> float:
    return min(FLAG_SECONDS, 0.25 * seg_len)


def sit_back_states(d: datasets.Labelled) -> tuple[str, ...]:
    """The states whose nudge tells the sitter to sit back, on ``d``'s device: ``slouched``,
    and on a seat without backrest sensors also ``leaning_forward`` (the seat reports a deep
    slump as "weight forward"; both get a "sit back" nudge)."""
    if d.layout.back_mask.any():
        return (Posture.SLOUCHED,)
    return (Posture.SLOUCHED, Posture.LEANING_FORWARD)


def scored(d: datasets.Labelled, skip: tuple[float, float] | None = None,
           release: float = RELEASE_S) -> np.ndarray:
    """The frames false alarms are scored on: all but ``skip`` (the calibration's window) and
    the ``release`` seconds after each slump, lean, forward or perch segment."""
    t, cls = d.t, d.classes
    keep = np.ones(len(t), bool)
    if skip is not None:
        keep &= ~((t >= skip[0]) & (t < skip[1]))
    if release > 0:
        for label, _, b in d.segments():
            if label in cls.slouch + cls.lopsided + cls.forward + cls.perch:
                keep &= ~((t >= b) & (t < b + release))
    return keep


def score(d: datasets.Labelled, tr: Trace, skip: tuple[float, float] | None = None,
          release: float = RELEASE_S) -> Scores:
    """``tr`` measured against ``d``'s labels; ``skip``: a window left out of the false-alarm
    rates (the calibration's). ``release``: seconds after each slump, lean or forward segment
    also left out of them (:data:`RELEASE_S`; how long a found slump's state really lingers is
    its own figure, :attr:`Scores.slouch_release`)."""
    t, lab, cls = d.t, d.label, d.classes
    dt = float(np.median(np.diff(t))) if len(t) > 1 else 1.0
    keep = scored(d, skip, release)
    s = Scores()
    # occupancy, outside 5 s of every transition and the first 5 s
    truth = np.where(lab == 0, Occupancy.EMPTY, Occupancy.OCCUPIED)
    far = t > 5
    for tt in t[np.flatnonzero(np.diff((lab == 0).astype(int))) + 1]:
        far &= np.abs(t - tt) > 5
    s.occupancy = float((tr.occupancy[far] == truth[far]).mean())
    sit_back = sit_back_states(d)
    found: list[bool] = []
    strict: list[bool] = []
    strict_lat: list[float] = []
    released: list[float] = []
    lop: list[bool] = []
    fwd: list[bool] = []
    lat: list[float] = []
    lop_lat: list[float] = []
    fwd_lat: list[float] = []

    def first_hit(hit: np.ndarray, m: np.ndarray, a: float, into: list[float]) -> float | None:
        times = t[m][hit]
        if not len(times):
            return None
        into.append(float(times[0] - a))
        return into[-1]

    for label, a, b in d.segments():
        m = (t >= a) & (t < b)
        if label in cls.slouch:
            first = first_hit(np.isin(tr.posture[m], sit_back), m, a, lat)
            found.append(first is not None and first <= FOUND_WITHIN)
            first = first_hit(tr.posture[m] == Posture.SLOUCHED, m, a, strict_lat)
            strict.append(first is not None and first <= FOUND_WITHIN)
            if found[-1]:
                after = np.flatnonzero((t >= b) & ~np.isin(tr.posture, sit_back))
                released.append(float(t[after[0]] - b) if len(after) else float(t[-1] - b))
        elif label in cls.lopsided:
            sides = (
                [Balance.LEFT] if label in cls.left
                else [Balance.RIGHT] if label in cls.right
                else LOPSIDED
            )
            hit = np.isin(tr.balance[m], sides)
            first_hit(hit, m, a, lop_lat)
            lop.append(hit.sum() * dt >= _flag_seconds(b - a))
        elif label in cls.forward:
            hit = tr.posture[m] == Posture.LEANING_FORWARD
            first_hit(hit, m, a, fwd_lat)
            fwd.append(hit.sum() * dt >= _flag_seconds(b - a))
    calm = np.isin(lab, cls.upright + cls.recline) & keep
    upright = np.isin(lab, cls.upright) & keep
    perch = np.isin(lab, cls.perch)
    if perch.any():
        s.perch_slouched = float((tr.posture[perch] == Posture.SLOUCHED).mean())
        s.perch_forward = float((tr.posture[perch] == Posture.LEANING_FORWARD).mean())
    s.sit_back = sit_back
    s.slouch_recall = float(np.mean(found)) if found else None
    s.slouch_latency = float(np.median(lat)) if lat else None
    s.slouch_false = float(np.isin(tr.posture[calm], sit_back).mean()) if calm.any() else None
    s.slouch_recall_strict = float(np.mean(strict)) if strict else None
    s.slouch_latency_strict = float(np.median(strict_lat)) if strict_lat else None
    s.slouch_false_strict = (
        float((tr.posture[calm] == Posture.SLOUCHED).mean()) if calm.any() else None
    )
    s.slouch_release = float(np.median(released)) if released else None
    s.lopsided_recall = float(np.mean(lop)) if lop else None
    s.lopsided_latency = float(np.median(lop_lat)) if lop_lat else None
    s.forward_latency = float(np.median(fwd_lat)) if fwd_lat else None
    s.lopsided_false = (
        float(np.isin(tr.balance[upright], LOPSIDED).mean()) if upright.any() else None
    )
    s.forward_recall = float(np.mean(fwd)) if fwd else None
    s.forward_false = (
        float((tr.posture[upright] == Posture.LEANING_FORWARD).mean()) if upright.any() else None
    )
    if s.slouch_false is not None:
        s.slouch_false_s = s.slouch_false * float(calm.sum()) * dt
    if s.lopsided_false is not None:
        s.lopsided_false_s = s.lopsided_false * float(upright.sum()) * dt
    if s.forward_false is not None:
        s.forward_false_s = s.forward_false * float(upright.sum()) * dt
    s.counts = {
        "slouch_segments": len(found),
        "lopsided_segments": len(lop),
        "forward_segments": len(fwd),
    }
    return s


def replay_scores(
    d: datasets.Labelled, cfg: config.Config, *, calibrated: bool = True,
    calibrated_on: datasets.Labelled | None = None,
) -> Scores:
    """``d`` replayed with ``cfg`` and scored: calibrated on the recording's first upright
    minute (that window left out of the false alarms), or with no calibration at all.
    ``calibrated_on``: calibrated on that recording's first upright minute instead (another
    sitter's, on the same chair and the same time line)."""
    if not calibrated:
        return score(d, run_pipeline(d, cfg, None))
    prof, win = first_upright_profile(d if calibrated_on is None else calibrated_on)
    return score(d, run_pipeline(d, cfg, prof), win)
