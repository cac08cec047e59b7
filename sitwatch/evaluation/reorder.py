"""Free use from scripted sessions: each recording cut into pieces and played in other orders.

The scripted recordings hold each posture for minutes, in one order, after a calm start. Free
use does not: a slump comes straight after a lean, a stand-up in the middle of a lopsided
spell, the first minutes bring anything. Issue #10's held-out chair recordings include free
use, and there two of four slumps were missed. This stress test asks what the scripted
recordings alone can say about it:

- the person's first upright segment opens every order, with its calibration minute (as a user
  calibrates first and then sits as they like; :func:`reordered`);
- every labelled segment is cut into pieces of :data:`SHORTEST`-:data:`LONGEST` seconds (the
  tail folded into the last piece), the pieces are shuffled (seeded, so the figures repeat) and
  two pieces of one label are kept apart where possible;
- each order is replayed and scored like the recording itself
  (:func:`~sitwatch.evaluation.scoring.replay_scores`), and the figures are pooled over the
  orders: pieces found out of all pieces, and the false-alarm shares' mean over the orders, with
  the worst order beside.

The readings themselves are the recorded ones, so these are dev figures in new orders, not
held-out people: they test what the detectors carry from one posture to the next (a learned
baseline, a held lean, a channel set aside), not how they meet a stranger.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import numpy as np

from sitwatch import config
from sitwatch.evaluation import datasets
from sitwatch.evaluation.naive import naive_scores
from sitwatch.evaluation.parallel import pmap
from sitwatch.evaluation.scoring import (
    LOPSIDED,
    Progress,
    Scores,
    first_upright_profile,
    quiet,
    replay_scores,
    run_pipeline,
    score,
    scored,
)
from sitwatch.sensing import calibration

SHORTEST = 40.0  # seconds: a piece long enough for a 30 s "found within" and a 10 s dwell
LONGEST = 150.0
OPENING = 80.0  # seconds of the first upright segment that open every order (calibration)
ORDERS = 20  # orders per recording in the full report
QUICK = 5  # ...and in the quick one (``sitwatch eval --quick``)


def reordered(d: datasets.Labelled, seed: int, shortest: float = SHORTEST,
              longest: float = LONGEST) -> datasets.Labelled:
    """``d`` cut into pieces and put back in a seeded random order, its first upright minute
    (:data:`OPENING` seconds of its first upright segment) first; the frames keep ``d``'s rate."""
    rng = random.Random(seed)
    segs = d.segments()
    dt = float(np.median(np.diff(d.t))) if len(d.t) > 1 else 1.0
    first = next(s for s in segs if s[0] == 1)
    head_end = min(first[1] + OPENING, first[2])
    pieces: list[tuple[int, float, float]] = []
    for label, a, b in segs:
        if (label, a) == (first[0], first[1]):
            a = head_end
        t = a
        while b - t >= shortest:
            n = rng.uniform(shortest, longest)
            if b - (t + n) < shortest:
                n = b - t  # the tail goes with the last piece
            pieces.append((label, t, t + n))
            t += n
    rng.shuffle(pieces)
    for _ in range(10 * len(pieces)):  # keep two pieces of one posture apart where possible
        same = [i for i in range(1, len(pieces)) if pieces[i][0] == pieces[i - 1][0]]
        if not same:
            break
        i, j = same[0], rng.randrange(len(pieces))
        pieces[i], pieces[j] = pieces[j], pieces[i]
    idx = [np.flatnonzero((d.t >= first[1]) & (d.t < head_end))]
    idx += [np.flatnonzero((d.t >= a) & (d.t < b)) for _, a, b in pieces]
    ix = np.concatenate(idx)
    return replace(d, name=f"{d.name} (order {seed})", t=np.arange(len(ix)) * dt,
                   values=d.values[ix], label=d.label[ix])


DAY = 6  # orders played back to back for a working day (:func:`working_day`): about 5 hours
DAYS = 5  # working days per recording in the full report (starting at orders 0, 4, 8, ...)
QUICK_DAYS = 2  # ...and in the quick one
HOUR = 3600.0


def working_day(d: datasets.Labelled, start: int, orders: int = DAY) -> datasets.Labelled:
    """A working day of free use: ``orders`` orders of ``d`` (seeds ``start``, ``start + 1``,
    ...) played back to back, one calibration. What one order cannot show is what the hours
    teach the baseline: an upright clear of the backrest learned in the first hour is what
    every later hour is measured from."""
    parts = [reordered(d, s) for s in range(start, start + orders)]
    dt = float(parts[0].t[1] - parts[0].t[0]) if len(parts[0].t) > 1 else 1.0
    n = sum(len(x.t) for x in parts)
    return replace(d, name=f"{d.name} (orders {start}-{start + orders - 1})",
                   t=np.arange(n) * dt, values=np.concatenate([x.values for x in parts]),
                   label=np.concatenate([x.label for x in parts]))


@dataclass
class Pooled:
    """One person's (or session's) figures over all orders."""

    orders: int
    occupancy_worst: float | None
    slumps: tuple[int, int]  # (found within 30 s, all), sit-back states (see scoring)
    slump_latency: float | None  # median of the orders' medians
    false_slouch: float | None  # share of calm time, the mean over the orders
    false_slouch_worst: float | None
    lopsided: tuple[int, int]
    false_lopsided: float | None
    false_lopsided_worst: float | None
    false_forward: float | None
    forward: tuple[int, int] = (0, 0)  # forward-lean pieces flagged, of all


def _pool(scores: list[Scores]) -> Pooled:
    def found(recall: str, count: str) -> tuple[int, int]:
        hit = n = 0
        for s in scores:
            k = s.counts.get(count, 0)
            n += k
            hit += round((getattr(s, recall) or 0.0) * k)
        return hit, n

    def pooled(share: str) -> tuple[float | None, float | None]:
        got = [getattr(s, share) for s in scores if getattr(s, share) is not None]
        return (float(np.mean(got)), float(np.max(got))) if got else (None, None)

    fs, fs_worst = pooled("slouch_false")
    fl, fl_worst = pooled("lopsided_false")
    ff, _ = pooled("forward_false")
    occ = [s.occupancy for s in scores if s.occupancy is not None]
    lat = [s.slouch_latency for s in scores if s.slouch_latency is not None]
    return Pooled(
        len(scores), min(occ) if occ else None,
        found("slouch_recall", "slouch_segments"), float(np.median(lat)) if lat else None,
        fs, fs_worst, found("lopsided_recall", "lopsided_segments"), fl, fl_worst, ff,
        found("forward_recall", "forward_segments"),
    )


def _ours(x: datasets.Labelled) -> Scores:
    return replay_scores(x, config.Config())


def free_use(
    recordings: Iterable[datasets.Labelled], orders: int = ORDERS, progress: Progress = quiet,
) -> list[tuple[str, Pooled, Pooled]]:
    """Each recording in ``orders`` orders: (name, ours with the defaults, the naive stand-in)."""
    out = []
    for d in recordings:
        progress(f"free use, {orders} orders: {d.name}")
        xs = [reordered(d, seed) for seed in range(orders)]
        out.append((d.name, _pool(pmap(_ours, xs)), _pool([naive_scores(x) for x in xs])))
    return out


@dataclass
class Day:
    """One working day's figures: the day scored like a recording, and the share of each hour's
    upright time read lopsided (None: an hour with no upright time scored)."""

    scores: Scores
    hours: list[float | None]

    @property
    def late(self) -> float | None:
        """The worst hour's false lopsided share after the first two (what the day's learning
        left the rest of it with)."""
        got = [h for h in self.hours[2:] if h is not None]
        return max(got) if got else None

    @property
    def worst(self) -> float | None:
        """The worst hour's false lopsided share, first hours included."""
        got = [h for h in self.hours if h is not None]
        return max(got) if got else None


def _day(x: datasets.Labelled, learned: calibration.Learned | None = None,
         answers: bool = False) -> tuple[Day, calibration.Learned | None]:
    """One day calibrated on its first upright minute, starting from what earlier days taught
    (``learned``), and what it taught by its end. ``answers``: the sitter answers the notice of
    each way learned truthfully (:func:`~sitwatch.evaluation.scoring.run_pipeline`)."""
    prof, win = first_upright_profile(x)
    if learned is not None:
        prof = prof.model_copy(update={"learned": learned})
    tr = run_pipeline(x, config.Config(), prof, answers=answers)
    up = np.isin(x.label, x.classes.upright) & scored(x, win)  # as the day's score counts
    lop = np.isin(tr.balance, LOPSIDED)
    hours: list[float | None] = []
    for h in range(int(x.t[-1] // HOUR) + 1):
        m = up & (x.t // HOUR == h)
        hours.append(float(lop[m].mean()) if m.sum() else None)
    return Day(score(x, tr, win), hours), tr.learned


def _fresh(x: datasets.Labelled) -> Day:
    return _day(x)[0]


def _week(job: tuple[datasets.Labelled, list[int], bool]) -> list[Day]:
    """The days starting at the given orders one after the other, each starting from what the
    days before taught, as the daemon keeps it in the profile (its ``learned`` part); with the
    notices of the ways learned answered truthfully or not (the job's third item)."""
    d, starts, answers = job
    out, learned = [], None
    for s in starts:
        day, learned = _day(working_day(d, s), learned, answers)
        out.append(day)
    return out


@dataclass
class Days:
    """One recording's working days: each from the calibration alone (``fresh``, by the order it
    starts at), and the same days as weeks (``weeks``: one per day that goes first, the others
    following in turn, each day starting from what the days before taught; as ``(starts,
    days)``)."""

    name: str
    fresh: dict[int, Day]
    weeks: list[tuple[list[int], list[Day]]]
    #: the same weeks with every notice of a way learned answered truthfully ("Not right" when
    #: it came while the sitter was not upright: the way is forgotten, never learned again)
    answered: list[tuple[list[int], list[Day]]] = field(default_factory=list)

    def alone(self, starts: list[int]) -> list[Day]:
        return [self.fresh[s] for s in starts]


def working_days(
    recordings: Iterable[datasets.Labelled], days: int = DAYS, progress: Progress = quiet,
) -> list[Days]:
    """Each recording over ``days`` working days (:func:`working_day`, starting at orders 0, 4,
    8, ...: days that share orders start them at other points of the day), each day on its own
    and as weeks (:func:`_week`): as many as there are days, each day first in one of them.
    Which way of sitting the first day teaches is kept all week, so one week cannot say what
    keeping it does."""
    recs = list(recordings)
    starts = [4 * k for k in range(days)]
    out = []
    for d in recs:
        progress(f"working days, {days} of {DAY} orders: {d.name}")
        out.append(Days(d.name, dict(zip(starts, pmap(
            _fresh, [working_day(d, s) for s in starts]), strict=True)), []))
    progress(f"working weeks, what each day taught kept, the notices of ways learned "
             f"unanswered and answered: {len(recs)} recordings, {days} weeks each")
    turns = [starts[k:] + starts[:k] for k in range(days)]
    # a seat without backrest sensors learns no way of sitting clear of it: nothing to answer
    asks = [bool(d.layout.back_mask.any()) for d in recs]
    jobs = [(d, t, False) for d in recs for t in turns]
    jobs += [(d, t, True) for d, ask in zip(recs, asks, strict=True) if ask for t in turns]
    got = pmap(_week, jobs)
    more = iter(range(len(recs) * days, len(jobs), days))
    for i, x in enumerate(out):
        x.weeks = list(zip(turns, got[i * days:(i + 1) * days], strict=True))
        k = next(more) if asks[i] else i * days
        x.answered = list(zip(turns, got[k:k + days], strict=True))
    return out
