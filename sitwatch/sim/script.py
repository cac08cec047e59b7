"""Scripted days for the virtual cushion: what the sitter does when, with the ground truth.

A :class:`Script` is a list of :class:`Segment` (a duration and a :class:`~sitwatch.sim.body.Body`)
played back to back; it answers what the body was doing at any time (:meth:`Script.truth_at`) and
where the sitting spells, absences and posture episodes were, for tests and evaluation.
:func:`default_day` is a plausible office day, :func:`short_demo` a compressed one that makes
every detector fire; :func:`script_by_name` picks one for ``sitwatch simulate`` and the demo.
Both are random but deterministic for a seed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from itertools import pairwise
from typing import Literal, TypedDict, Unpack

import numpy as np

from sitwatch.core.kinds import Balance, Posture
from sitwatch.sim.body import EMPTY, SIDES, Body


class BodyArgs(TypedDict, total=False):
    """What :func:`sit` passes on to :class:`Body` besides the posture."""

    lean: float
    wallet: Balance | None
    weight: float
    fidget: float


class _Episode(TypedDict, total=False):
    """The optional part of one episode of :meth:`_Builder.spell`."""

    note: str
    lean: float
    fidget: float


#: In a spell's episodes, a short absence instead of a posture.
_AWAY: Literal["away"] = "away"


@dataclass(frozen=True)
class Segment:
    """``duration_s`` seconds of one body state. ``start`` is filled in by :class:`Script`."""

    duration_s: float
    body: Body = field(default_factory=Body)
    note: str = ""
    start: float = 0.0

    @property
    def end(self) -> float:
        return self.start + self.duration_s


def sit(duration_s: float, posture: Posture = Posture.UPRIGHT, note: str = "",
        **body: Unpack[BodyArgs]) -> Segment:
    """A segment of sitting: ``duration_s`` seconds in ``posture``."""
    return Segment(float(duration_s), Body(posture=posture, **body), note)


def away(duration_s: float, note: str = "away") -> Segment:
    """A segment of empty seat."""
    return Segment(float(duration_s), EMPTY, note)


class Script:
    """Segments back to back, with the ground truth for tests and evaluation."""

    def __init__(self, segments: Sequence[Segment], name: str = "script") -> None:
        if not segments:
            raise ValueError("a script needs at least one segment")
        out, t = [], 0.0
        for s in segments:
            if s.duration_s <= 0:
                raise ValueError(f"segment {s.note or s.body.describe()!r}: duration must be > 0")
            out.append(replace(s, start=t))
            t += s.duration_s
        self.segments: tuple[Segment, ...] = tuple(out)
        self.name = name
        self.starts = np.array([s.start for s in out])

    @property
    def duration(self) -> float:
        return self.segments[-1].end

    def index_at(self, t: float) -> int:
        i = int(np.searchsorted(self.starts, t, side="right")) - 1
        return min(max(i, 0), len(self.segments) - 1)

    def segment_at(self, t: float) -> Segment:
        return self.segments[self.index_at(t)]

    def truth_at(self, t: float) -> Body:
        """The body at time ``t``: the segment's nominal state (the simulator ramps from one
        segment to the next over :data:`~sitwatch.sim.simulator.RAMP_S`)."""
        return self.segment_at(t).body

    def episodes(self, pred: Callable[[Body], bool]) -> list[tuple[float, float]]:
        """Merged (start, end) stretches where ``pred(body)`` holds."""
        out: list[tuple[float, float]] = []
        for s in self.segments:
            if pred(s.body):
                if out and abs(out[-1][1] - s.start) < 1e-9:
                    out[-1] = (out[-1][0], s.end)
                else:
                    out.append((s.start, s.end))
        return out

    def absences(self) -> list[tuple[float, float]]:
        """Empty-seat stretches between two sitting stretches (not before the first or after
        the last)."""
        sits = self.episodes(lambda b: b.present)
        return [(a[1], b[0]) for a, b in pairwise(sits)]

    def spells(self, min_break: float = 120.0) -> list[tuple[float, float]]:
        """Sitting spells: sitting stretches joined across absences shorter than ``min_break``."""
        out: list[tuple[float, float]] = []
        for a, b in self.episodes(lambda b: b.present):
            if out and a - out[-1][1] < min_break:
                out[-1] = (out[-1][0], b)
            else:
                out.append((a, b))
        return out

    def describe(self) -> list[str]:
        """One line per segment: start-end and what the body does."""
        def hms(t: float) -> str:
            t = round(t)
            return f"{t // 3600:d}:{t % 3600 // 60:02d}:{t % 60:02d}"

        return [f"{hms(s.start)}-{hms(s.end)}  {s.body.describe():<40} {s.note}".rstrip()
                for s in self.segments]


class _Builder:
    def __init__(self, rng: np.random.Generator, weight: float) -> None:
        self.rng = rng
        self.weight = weight
        self.segs: list[Segment] = []

    def u(self, lo: float, hi: float) -> float:
        return float(self.rng.uniform(lo, hi))

    def away(self, seconds: float, note: str) -> None:
        self.segs.append(away(round(seconds), note))

    def sit(self, seconds: float, posture: Posture = Posture.UPRIGHT, note: str = "", *,
            lean: float | None = None, fidget: float | None = None,
            wallet: Balance | None = None) -> None:
        if lean is None:
            lean = self.u(-0.06, 0.06)
        if fidget is None:
            fidget = self.u(0.15, 0.45)
        self.segs.append(Segment(float(round(seconds)), Body(
            posture=posture, lean=round(lean, 3), wallet=wallet, weight=self.weight,
            fidget=round(fidget, 2)), note))

    def spell(self, minutes: float,
              episodes: Sequence[tuple[Posture | Literal["away"], float, _Episode]],
              wallet: Balance | None = None, settle: float = 0.0) -> None:
        """A sitting spell of about ``minutes``: episodes (posture or "away", minutes, kwargs)
        separated by upright stretches of random lengths. ``settle``: a first calm upright
        stretch (minutes) for calibration."""
        total = minutes * 60.0
        ep_s = [m * 60.0 for _, m, _ in episodes]
        filler = total - sum(ep_s) - settle * 60.0
        if filler < 60.0 * (len(episodes) + 1):
            raise ValueError("spell too short for its episodes")
        cuts = self.rng.dirichlet(np.full(len(episodes) + 1, 4.0)) * filler
        if settle:
            self.sit(settle * 60.0, note="settle in: calm upright (baseline)", lean=0.0,
                     fidget=0.1, wallet=wallet)
        for k, (kind, _, kw) in enumerate(episodes):
            self.filler(cuts[k], wallet)
            if kind == _AWAY:
                self.away(ep_s[k], kw.get("note", "short absence (< 2 min)"))
            else:
                self.sit(ep_s[k], Posture(kind), kw.get("note", ""), lean=kw.get("lean"),
                         fidget=kw.get("fidget"), wallet=wallet)
        self.filler(cuts[-1], wallet)

    def filler(self, seconds: float, wallet: Balance | None) -> None:
        """Upright sitting, in stretches of 4-12 min that differ a little in lean and fidget."""
        while seconds >= 1.0:
            d = self.u(240, 720)
            if seconds - d < 180:
                d = seconds
            self.sit(d, wallet=wallet)
            seconds -= d


def default_day(seed: int = 0) -> Script:
    """A plausible office day of about 8.5 h: eight sitting spells of 20-70 min separated by
    standing breaks (3-15 min) and lunch, short absences (< 2 min) inside spells, upright most
    of the time, slouch episodes of several minutes, forward leans, reclining, two lopsided
    episodes (legs crossed, leaning on an armrest) and, after lunch, a wallet in a back pocket
    for a whole spell (30-40 min, through several postures)."""
    rng = np.random.default_rng([seed, 0xDA1])
    b = _Builder(rng, round(float(rng.uniform(60, 95)), 1))
    side = SIDES[int(rng.integers(2))]
    sgn = -1.0 if side == Balance.LEFT else 1.0
    other = Balance.RIGHT if side == Balance.LEFT else Balance.LEFT
    wallet = SIDES[int(rng.integers(2))]

    def short() -> float:  # a short absence, minutes (< 2 min)
        return b.u(0.6, 1.6)

    b.away(b.u(40, 90), "arrive: empty seat")
    b.spell(b.u(62, 70), [
        (Posture.SLOUCHED, b.u(5, 8), {"fidget": 0.15}),
        (_AWAY, short(), {"note": "short absence: printer"}),
        (Posture.LEANING_FORWARD, b.u(4, 7), {"note": "reading closely"}),
    ], settle=3.0)
    b.away(b.u(4, 8) * 60, "standing break: coffee")
    b.spell(b.u(52, 62), [
        (Posture.RECLINED, b.u(4, 7), {"note": "phone call"}),
        (Posture.UPRIGHT, b.u(5, 8), {"lean": sgn * b.u(0.75, 0.9),
                                      "note": "lopsided: legs crossed"}),
        (_AWAY, short(), {}),
    ])
    b.away(b.u(3.5, 6) * 60, "standing break")
    b.spell(b.u(55, 68), [
        (Posture.SLOUCHED, b.u(6, 10), {"fidget": 0.15}),
        (Posture.LEANING_FORWARD, b.u(3, 6), {}),
    ])
    b.away(b.u(40, 55) * 60, "lunch")
    b.spell(b.u(32, 40), [
        (Posture.SLOUCHED, b.u(4, 6), {}),
        (Posture.LEANING_FORWARD, b.u(3, 5), {}),
        (Posture.RECLINED, b.u(3, 5), {}),
    ], wallet=wallet)
    b.away(b.u(3.5, 6) * 60, "standing break: wallet out of the pocket")
    b.spell(b.u(58, 70), [
        (Posture.SLOUCHED, b.u(8, 12), {"note": "post-lunch slump", "fidget": 0.1}),
        (_AWAY, short(), {}),
        (Posture.UPRIGHT, b.u(4, 7), {"lean": -sgn * b.u(0.75, 0.9),
                                      "note": f"lopsided: leaning on the {other} armrest"}),
        (Posture.SLOUCHED, b.u(5, 8), {"fidget": 0.15}),
    ])
    b.away(b.u(10, 15) * 60, "standing break: stretch and walk")
    b.spell(b.u(50, 62), [
        (Posture.LEANING_FORWARD, b.u(4, 8), {}),
        (Posture.RECLINED, b.u(3, 5), {"note": "thinking"}),
        (_AWAY, short(), {}),
    ])
    b.away(b.u(3.5, 6) * 60, "standing break")
    b.spell(b.u(40, 50), [
        (Posture.SLOUCHED, b.u(4, 6), {"note": "afternoon slump"}),
        (Posture.LEANING_FORWARD, b.u(3, 5), {}),
    ])
    b.away(b.u(5, 9) * 60, "standing break")
    # the last spell ends the day at 8.25-8.75 h
    leave = b.u(60, 120)
    last = (b.u(8.25, 8.75) * 3600 - sum(x.duration_s for x in b.segs) - leave) / 60
    b.spell(min(max(last, 22.0), 45.0),
            [(Posture.SLOUCHED, b.u(4, 6), {"note": "end-of-day slump"})])
    b.away(leave, "leave: empty seat")
    return Script(b.segs, f"day(seed={seed})")


def short_demo(seed: int = 0) -> Script:
    """About 2.2 h that makes every detector fire: occupancy, a sitting spell past 45 min (with
    a short absence that does not break it), slouching, leaning forward, reclining, a lopsided
    stretch to each side, a back-pocket wallet through several postures, and real breaks."""
    rng = np.random.default_rng([seed, 0xDE70])
    b = _Builder(rng, round(float(rng.uniform(65, 85)), 1))

    def j(m: float) -> float:  # jittered minutes -> seconds
        return m * 60 * b.u(0.95, 1.1)

    b.away(30, "empty seat (tare)")
    b.sit(j(3), note="settle in: calm upright (baseline)", lean=0.0, fidget=0.1)
    b.sit(j(6))
    b.sit(j(4), Posture.SLOUCHED, fidget=0.15)
    b.sit(j(4))
    b.sit(j(3), Posture.LEANING_FORWARD)
    b.sit(j(4))
    b.away(60 * b.u(0.7, 1.5), "short absence (< 2 min: not a break)")
    b.sit(j(5))
    b.sit(j(4), note="lopsided: leaning on the right armrest", lean=0.85)
    b.sit(j(4))
    b.sit(j(3), Posture.RECLINED)
    b.sit(j(12), note="still sitting: past 45 min")
    b.away(j(6), "standing break")
    w = Balance.LEFT
    b.sit(j(5), note="back with a wallet in the left back pocket", wallet=w)
    b.sit(j(4), Posture.SLOUCHED, wallet=w, fidget=0.15)
    b.sit(j(4), wallet=w)
    b.sit(j(3), Posture.LEANING_FORWARD, wallet=w)
    b.sit(j(4), wallet=w)
    b.away(j(5), "standing break: wallet out")
    b.sit(j(8))
    b.sit(j(4), note="lopsided: legs crossed", lean=-0.85)
    b.sit(j(6))
    b.sit(j(4), Posture.SLOUCHED, fidget=0.15)
    b.sit(j(6))
    b.sit(j(3), Posture.RECLINED)
    b.sit(j(6))
    b.away(120, "leave: empty seat")
    return Script(b.segs, f"demo(seed={seed})")


SCRIPTS: dict[str, Callable[[int], Script]] = {"day": default_day, "demo": short_demo}


def script_by_name(name: str, seed: int = 0) -> Script:
    try:
        return SCRIPTS[name](seed)
    except KeyError:
        raise ValueError(f"unknown script {name!r}: use one of {', '.join(SCRIPTS)}") from None
