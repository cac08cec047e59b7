"""A virtual cushion: a body/pressure model, scripted days, and a pseudo-terminal that streams it.

Three layers, each usable on its own:

- :class:`Body` -> pressure. The seat load is a sum of smooth (Gaussian) blobs: two compact
  sit-bone blobs at x~+-0.45, y~-0.48 (the pressure peaks) inside broader buttock blobs, which
  together carry most of the seat load, and thigh blobs towards the front. Slouching slides
  them all forward (sit bones to y~+0.45: far enough that even four corner load cells see the
  rear unload); the backrest gets shoulder-blade blobs (upright), lumbar blobs (slouched), a
  broad lower load (reclined) or nothing (leaning forward). A lean moves load to one side. A
  wallet is a compact hard spot under one rear buttock that stays put whatever the posture.
  Each channel reads the mean pressure over its footprint (a grid cell, or a pad that grows
  with the sensor spacing, as foam spreads the load); corner load cells share the seat force
  by the centre of pressure, like a rigid plate on its feet.
- :class:`Script`: a list of :class:`Segment` (duration, body) with the ground truth
  (:meth:`Script.truth_at`, :attr:`Script.segments`). :func:`default_day` is a plausible office
  day, :func:`short_demo` a compressed one that makes every detector fire.
- :class:`Simulator` turns a script into frames (deterministic for a seed and a time: per-channel
  gain mismatch, noise, breathing, slow sway, fidgets, 1.5 s ramps between segments), and
  :func:`run_pty` / :class:`PtyStreamer` stream them as wire-format lines on a pty, with optional
  garbage and simulated unplugs. :func:`simulate_command` is ``sitwatch simulate``.

Only numpy is imported at module level.
"""

from __future__ import annotations

import contextlib
import math
import os
import select
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from itertools import pairwise
from pathlib import Path
from typing import IO, Any

import numpy as np

from sitwatch.core.clock import SystemClock
from sitwatch.sensing.layout import Layout
from sitwatch.sensing.wire import format_lines

UPRIGHT, SLOUCHED, FORWARD, RECLINED = "upright", "slouched", "leaning_forward", "reclined"
POSTURES = (UPRIGHT, SLOUCHED, FORWARD, RECLINED)
SIDES = ("left", "right")

RAMP_S = 1.5  # seconds a transition between two segments takes
LOAD_CELL_FULL_KG = 150.0  # all load cells together read full scale at this load
BREATH_HZ = 0.25


# ---------------------------------------------------------------------------------------------
# The body
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Body:
    """What the sitter is doing. ``lean`` runs from -1 (all on the left) to +1 (right)."""

    present: bool = True
    posture: str = UPRIGHT
    lean: float = 0.0
    wallet: str | None = None  # None | "left" | "right"
    weight: float = 75.0  # kg
    fidget: float = 0.3  # 0 (still) .. 1 (restless): rate and size of fidgets

    def __post_init__(self) -> None:
        if self.posture not in POSTURES:
            raise ValueError(f"posture {self.posture!r}: use one of {', '.join(POSTURES)}")
        if not -1.0 <= self.lean <= 1.0:
            raise ValueError(f"lean {self.lean}: must be between -1 (left) and 1 (right)")
        if self.wallet not in (None, *SIDES):
            raise ValueError(f"wallet {self.wallet!r}: use None, 'left' or 'right'")
        if not 20.0 <= self.weight <= 250.0:
            raise ValueError(f"weight {self.weight} kg: must be 20..250")
        if not 0.0 <= self.fidget <= 1.0:
            raise ValueError(f"fidget {self.fidget}: must be 0..1")

    def describe(self) -> str:
        if not self.present:
            return "empty"
        s = self.posture
        if abs(self.lean) >= 0.3:
            s += f", leaning {'right' if self.lean > 0 else 'left'} ({self.lean:+.1f})"
        if self.wallet:
            s += f", wallet {self.wallet}"
        return s


EMPTY = Body(present=False, fidget=0.0)


@dataclass(frozen=True)
class _Pose:
    seat: float  # share of body weight carried by the seat
    back: float  # backrest normal force, as a share of body weight
    isch_y: float  # sit-bone blobs
    isch: float  # their share of the seat load
    thigh_y: float
    thigh_sy: float
    soft_y: float  # the broader buttock blobs around the sit bones
    soft: float
    wallet: float  # share of the seat load a wallet in a back pocket concentrates
    # backrest blobs: (share of back load, |x| (0: one centred blob, else a mirrored pair), y,
    # sigma x, sigma y)
    back_blobs: tuple[tuple[float, float, float, float, float], ...]


_POSES: dict[str, _Pose] = {
    # Upright, back against the backrest: the buttocks (sit bones and the tissue around them)
    # carry most of the seat, the shoulder blades load the upper backrest moderately.
    UPRIGHT: _Pose(0.72, 0.08, -0.48, 0.36, 0.35, 0.36, -0.50, 0.26, 0.10,
                   ((0.85, 0.40, 0.45, 0.22, 0.22), (0.15, 0.0, -0.35, 0.35, 0.18))),
    # Slumped: the pelvis slides forward (the sit bones end up in front of the seat's middle),
    # the rear of the seat unloads and the lower back rests on the lower backrest.
    SLOUCHED: _Pose(0.64, 0.13, 0.44, 0.42, 0.84, 0.20, 0.38, 0.18, 0.04,
                    ((0.80, 0.35, -0.55, 0.22, 0.20), (0.20, 0.0, -0.15, 0.30, 0.18))),
    # Leaning forward (elbows on the desk or the thighs): the backrest is free, the pelvis
    # rolls forward onto the thighs, part of the weight goes to the desk and the feet.
    FORWARD: _Pose(0.52, 0.0, -0.38, 0.26, 0.60, 0.30, -0.42, 0.14, 0.045, ()),
    # Reclined: the backrest carries much more, lower down; the rear of the seat stays loaded.
    RECLINED: _Pose(0.64, 0.22, -0.45, 0.36, 0.36, 0.36, -0.55, 0.28, 0.10,
                    ((0.55, 0.42, 0.10, 0.28, 0.30), (0.45, 0.0, -0.40, 0.38, 0.22))),
}

ISCH_X, ISCH_S = 0.45, 0.16
THIGH_X, THIGH_SX = 0.42, 0.22
SOFT_X, SOFT_SX, SOFT_SY = 0.36, 0.26, 0.24
# A wallet: a compact hard spot under one rear buttock. It lifts that hip a little, so it takes
# its load from the thigh on the same side; it stays put whatever the posture.
WALLET_X, WALLET_Y, WALLET_S = 0.58, -0.62, 0.10
LEAN_SHARE = 0.42  # a full lean (1.0) puts 0.5 + LEAN_SHARE of the seat load on that side
LEAN_DX = 0.04  # ... and moves the blobs this far sideways


def _blobs(body: Body) -> tuple[np.ndarray, np.ndarray]:
    """Seat and backrest blobs for a body: arrays of rows (mass kg, cx, cy, sx, sy)."""
    if not body.present:
        z = np.zeros((0, 5))
        return z, z
    p = _POSES[body.posture]
    lean = body.lean
    w = body.weight
    seat_kg = w * p.seat * (1.0 - 0.08 * abs(lean))  # leaning on an armrest takes some off
    right = 0.5 + LEAN_SHARE * lean  # share of the seat load on the right
    dx = LEAN_DX * lean
    seat: list[tuple[float, float, float, float, float]] = []
    thigh = 1.0 - p.isch - p.soft
    wside = 0.0 if body.wallet is None else (-1.0 if body.wallet == "left" else 1.0)
    for side, share in ((-1.0, 1.0 - right), (1.0, right)):
        seat.append((seat_kg * p.isch * share, side * ISCH_X + dx, p.isch_y, ISCH_S, ISCH_S))
        t_kg = seat_kg * thigh * share
        if side == wside:
            w_kg = min(seat_kg * p.wallet, 0.8 * t_kg)
            t_kg -= w_kg
            seat.append((w_kg, side * WALLET_X, WALLET_Y, WALLET_S, WALLET_S))
        seat.append((t_kg, side * THIGH_X + dx, p.thigh_y, THIGH_SX, p.thigh_sy))
        if p.soft > 0:  # the broad soft tissue of the buttock, one half per side
            seat.append((seat_kg * p.soft * share, side * SOFT_X + dx, p.soft_y, SOFT_SX,
                         SOFT_SY))
    back: list[tuple[float, float, float, float, float]] = []
    back_kg = w * p.back * (1.0 - 0.15 * abs(lean))
    bright = 0.5 + 0.40 * lean
    bdx = 0.15 * lean
    for share, ax, y, sx_, sy_ in p.back_blobs:
        if ax == 0:
            back.append((back_kg * share, bdx, y, sx_, sy_))
        else:
            for side, s in ((-1.0, 1.0 - bright), (1.0, bright)):
                back.append((back_kg * share * s, side * ax + bdx, y, sx_, sy_))
    return np.array(seat, float).reshape(-1, 5), np.array(back, float).reshape(-1, 5)


# ---------------------------------------------------------------------------------------------
# Geometry: what each channel of a layout integrates
# ---------------------------------------------------------------------------------------------

_ERF_P = 0.3275911
_ERF_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)


def _erf(x: np.ndarray) -> np.ndarray:
    """Vectorised erf (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7)."""
    s = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + _ERF_P * a)
    a1, a2, a3, a4, a5 = _ERF_A
    poly = ((((a5 * t + a4) * t + a3) * t + a2) * t + a1) * t
    return np.asarray(s * (1.0 - poly * np.exp(-a * a)))


def _cdf(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + _erf(z * (1.0 / math.sqrt(2.0))))


def _mean_pressure(blobs: np.ndarray, x0: np.ndarray, x1: np.ndarray, y0: np.ndarray,
                   y1: np.ndarray, area: np.ndarray) -> np.ndarray:
    """Mean pressure (kg per unit^2 of the 2x2 surface) over each footprint.

    Each blob is a Gaussian truncated to the surface [-1, 1]^2 and renormalised there: what
    would fall off the edge presses on the edge instead, so a blob's mass stays on the surface.
    """
    if blobs.size == 0:
        return np.zeros_like(area)
    m, cx, cy, sx, sy = (blobs[:, i:i + 1] for i in range(5))
    fx = _cdf((x1 - cx) / sx) - _cdf((x0 - cx) / sx)
    fy = _cdf((y1 - cy) / sy) - _cdf((y0 - cy) / sy)
    ex = _cdf((1 - cx) / sx) - _cdf((-1 - cx) / sx)
    ey = _cdf((1 - cy) / sy) - _cdf((-1 - cy) / sy)
    return np.asarray((m * fx * fy / np.maximum(ex * ey, 1e-12)).sum(axis=0) / area)


class _Footprints:
    def __init__(self, x: np.ndarray, y: np.ndarray, hx: np.ndarray, hy: np.ndarray) -> None:
        self.x0 = np.clip(x - hx, -1, 1)
        self.x1 = np.clip(x + hx, -1, 1)
        self.y0 = np.clip(y - hy, -1, 1)
        self.y1 = np.clip(y + hy, -1, 1)
        self.area = np.maximum((self.x1 - self.x0) * (self.y1 - self.y0), 1e-9)
        self.x, self.y = x, y

    def __call__(self, blobs: np.ndarray) -> np.ndarray:
        return _mean_pressure(blobs, self.x0, self.x1, self.y0, self.y1, self.area)


def _grid_fp(n: int) -> _Footprints:
    c = -1 + (2 * np.arange(n) + 1) / n
    xx, yy = np.meshgrid(c, c)
    h = np.full(n * n, 1.0 / n)
    return _Footprints(xx.ravel(), yy.ravel(), h, h)


PAD_MIN, PAD_MAX = 0.12, 0.35  # half-size range of a discrete sensor's footprint
SEAT_PEAK = 0.50  # share of full scale the busiest seat sensor reads, 75 kg sitter upright
BACK_PEAK = 0.70  # share of full scale the busiest backrest sensor reads in any posture


def _pad_half(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Half-size of each discrete sensor's footprint: the foam spreads load onto a sensor from
    around it, so sparse sensors collect from a wider area (0.4 x nearest-neighbour distance)."""
    if len(x) < 2:
        return np.full(len(x), PAD_MAX)
    d = np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :])
    np.fill_diagonal(d, np.inf)
    return np.asarray(np.clip(0.4 * d.min(axis=1), PAD_MIN, PAD_MAX))


def is_load_cells(layout: Layout) -> bool:
    """Seat channels only at the seat's corners: load cells under a plate, not pressure pads."""
    if layout.is_grid:
        return False
    seat = layout.seat_mask
    return bool(seat.sum() >= 3 and (np.abs(layout.x[seat]) >= 0.85).all()
                and (np.abs(layout.y[seat]) >= 0.85).all())


class PressureModel:
    """Expected (noise-free) readings of a layout for a body. Geometry is precomputed."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.n = layout.n
        self.seat_idx = np.flatnonzero(layout.seat_mask)
        self.back_idx = np.flatnonzero(layout.back_mask)
        self.load_cells = is_load_cells(layout)
        self.zero = float(getattr(layout, "zero", 0.0))
        fs = layout.full_scale - self.zero  # the range above an unloaded sensor's reading
        x, y = layout.x, layout.y
        si, bi = self.seat_idx, self.back_idx
        if layout.is_grid:
            assert layout.rows and layout.cols
            hx = np.full(si.size, 1.0 / layout.cols)
            hy = np.full(si.size, 1.0 / layout.rows)
            self.seat_fp = _Footprints(x[si], y[si], hx, hy)
        else:
            h = _pad_half(x[si], y[si])
            self.seat_fp = _Footprints(x[si], y[si], h, h)
        h = _pad_half(x[bi], y[bi])
        self.back_fp = _Footprints(x[bi], y[bi], h, h)
        # Gains such that a 75 kg upright sitter's busiest seat sensor reads SEAT_PEAK of full
        # scale and the busiest backrest sensor in any posture BACK_PEAK (a maker picks the
        # resistor so that a typical sitter uses a good part of the range without saturating).
        ref = Body()
        seat_peak = float(self.seat_fp(_blobs(ref)[0]).max()) if si.size else 0.0
        self.seat_scale = SEAT_PEAK * fs / seat_peak if seat_peak > 0 else 0.0
        back_peak = max((float(self.back_fp(_blobs(Body(posture=p))[1]).max(initial=0.0))
                         for p in POSTURES), default=0.0) if bi.size else 0.0
        self.back_scale = BACK_PEAK * fs / back_peak if back_peak > 0 else 0.0
        if self.load_cells:
            self._fine = _grid_fp(32)
            xs, ys = layout.x[self.seat_idx], layout.y[self.seat_idx]
            a = np.vstack([np.ones_like(xs), xs, ys])  # statics: sum, x-moment, y-moment
            self._dist = np.linalg.pinv(a)  # (cells, 3): minimum-norm share of the force
            self.kg_scale = fs * len(self.seat_idx) / LOAD_CELL_FULL_KG
        # dead zone: pads and matrix cells do not respond to a very light touch
        self.dead = 0.0 if self.load_cells else 0.01 * fs

    def seat_force(self, body: Body) -> tuple[float, float, float]:
        """Seat force (kg) and its centre of pressure (x, y)."""
        seat, _ = _blobs(body)
        if seat.size == 0:
            return 0.0, 0.0, 0.0
        fine = self._fine if self.load_cells else _grid_fp(32)
        m = fine(seat) * fine.area
        tot = float(m.sum())
        return tot, float(m @ fine.x) / tot, float(m @ fine.y) / tot

    def __call__(self, body: Body) -> np.ndarray:
        """Per-channel load in counts above the unloaded reading (float; no zero offset, gain,
        dead zone, noise or clipping)."""
        out = np.zeros(self.n)
        if not body.present:
            return out
        seat, back = _blobs(body)
        if self.load_cells:
            f, cx, cy = self.seat_force(body)
            out[self.seat_idx] = np.maximum(self._dist @ np.array([f, f * cx, f * cy]), 0.0) \
                * self.kg_scale
        else:
            out[self.seat_idx] = self.seat_fp(seat) * self.seat_scale
        if self.back_idx.size:
            out[self.back_idx] = self.back_fp(back) * self.back_scale
        return out


# ---------------------------------------------------------------------------------------------
# Scripts
# ---------------------------------------------------------------------------------------------

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


def sit(duration_s: float, posture: str = UPRIGHT, note: str = "", **body: Any) -> Segment:
    return Segment(float(duration_s), Body(posture=posture, **body), note)


def away(duration_s: float, note: str = "away") -> Segment:
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
        """The body at time ``t`` (the segment's nominal state; transitions take RAMP_S)."""
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

    def sit(self, seconds: float, posture: str = UPRIGHT, note: str = "", *,
            lean: float | None = None, fidget: float | None = None,
            wallet: str | None = None) -> None:
        if lean is None:
            lean = self.u(-0.06, 0.06)
        if fidget is None:
            fidget = self.u(0.15, 0.45)
        self.segs.append(Segment(float(round(seconds)), Body(
            posture=posture, lean=round(lean, 3), wallet=wallet, weight=self.weight,
            fidget=round(fidget, 2)), note))

    def spell(self, minutes: float, episodes: Sequence[tuple[str, float, dict[str, Any]]],
              wallet: str | None = None, settle: float = 0.0) -> None:
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
            if kind == "away":
                self.away(ep_s[k], kw.get("note", "short absence (< 2 min)"))
            else:
                kw = dict(kw)
                self.sit(ep_s[k], kind, kw.pop("note", ""), wallet=wallet, **kw)
        self.filler(cuts[-1], wallet)

    def filler(self, seconds: float, wallet: str | None) -> None:
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
    sgn = -1.0 if side == "left" else 1.0
    other = "right" if side == "left" else "left"
    wallet = SIDES[int(rng.integers(2))]

    def short() -> float:  # a short absence, minutes (< 2 min)
        return b.u(0.6, 1.6)

    b.away(b.u(40, 90), "arrive: empty seat")
    b.spell(b.u(62, 70), [
        (SLOUCHED, b.u(5, 8), {"fidget": 0.15}),
        ("away", short(), {"note": "short absence: printer"}),
        (FORWARD, b.u(4, 7), {"note": "reading closely"}),
    ], settle=3.0)
    b.away(b.u(4, 8) * 60, "standing break: coffee")
    b.spell(b.u(52, 62), [
        (RECLINED, b.u(4, 7), {"note": "phone call"}),
        (UPRIGHT, b.u(5, 8), {"lean": sgn * b.u(0.75, 0.9), "note": "lopsided: legs crossed"}),
        ("away", short(), {}),
    ])
    b.away(b.u(3.5, 6) * 60, "standing break")
    b.spell(b.u(55, 68), [
        (SLOUCHED, b.u(6, 10), {"fidget": 0.15}),
        (FORWARD, b.u(3, 6), {}),
    ])
    b.away(b.u(40, 55) * 60, "lunch")
    b.spell(b.u(32, 40), [
        (SLOUCHED, b.u(4, 6), {}),
        (FORWARD, b.u(3, 5), {}),
        (RECLINED, b.u(3, 5), {}),
    ], wallet=wallet)
    b.away(b.u(3.5, 6) * 60, "standing break: wallet out of the pocket")
    b.spell(b.u(58, 70), [
        (SLOUCHED, b.u(8, 12), {"note": "post-lunch slump", "fidget": 0.1}),
        ("away", short(), {}),
        (UPRIGHT, b.u(4, 7), {"lean": -sgn * b.u(0.75, 0.9),
                              "note": f"lopsided: leaning on the {other} armrest"}),
        (SLOUCHED, b.u(5, 8), {"fidget": 0.15}),
    ])
    b.away(b.u(10, 15) * 60, "standing break: stretch and walk")
    b.spell(b.u(50, 62), [
        (FORWARD, b.u(4, 8), {}),
        (RECLINED, b.u(3, 5), {"note": "thinking"}),
        ("away", short(), {}),
    ])
    b.away(b.u(3.5, 6) * 60, "standing break")
    b.spell(b.u(40, 50), [
        (SLOUCHED, b.u(4, 6), {"note": "afternoon slump"}),
        (FORWARD, b.u(3, 5), {}),
    ])
    b.away(b.u(5, 9) * 60, "standing break")
    # the last spell ends the day at 8.25-8.75 h
    leave = b.u(60, 120)
    last = (b.u(8.25, 8.75) * 3600 - sum(x.duration_s for x in b.segs) - leave) / 60
    b.spell(min(max(last, 22.0), 45.0), [(SLOUCHED, b.u(4, 6), {"note": "end-of-day slump"})])
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
    b.sit(j(4), SLOUCHED, fidget=0.15)
    b.sit(j(4))
    b.sit(j(3), FORWARD)
    b.sit(j(4))
    b.away(60 * b.u(0.7, 1.5), "short absence (< 2 min: not a break)")
    b.sit(j(5))
    b.sit(j(4), note="lopsided: leaning on the right armrest", lean=0.85)
    b.sit(j(4))
    b.sit(j(3), RECLINED)
    b.sit(j(12), note="still sitting: past 45 min")
    b.away(j(6), "standing break")
    w = "left"
    b.sit(j(5), note="back with a wallet in the left back pocket", wallet=w)
    b.sit(j(4), SLOUCHED, wallet=w, fidget=0.15)
    b.sit(j(4), wallet=w)
    b.sit(j(3), FORWARD, wallet=w)
    b.sit(j(4), wallet=w)
    b.away(j(5), "standing break: wallet out")
    b.sit(j(8))
    b.sit(j(4), note="lopsided: legs crossed", lean=-0.85)
    b.sit(j(6))
    b.sit(j(4), SLOUCHED, fidget=0.15)
    b.sit(j(6))
    b.sit(j(3), RECLINED)
    b.sit(j(6))
    b.away(120, "leave: empty seat")
    return Script(b.segs, f"demo(seed={seed})")


SCRIPTS: dict[str, Callable[[int], Script]] = {"day": default_day, "demo": short_demo}


def script_by_name(name: str, seed: int = 0) -> Script:
    try:
        return SCRIPTS[name](seed)
    except KeyError:
        raise ValueError(f"unknown script {name!r}: use one of {', '.join(SCRIPTS)}") from None


# ---------------------------------------------------------------------------------------------
# The simulator: script -> frames
# ---------------------------------------------------------------------------------------------

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLD = np.uint64(0x9E3779B97F4A7C15)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a counter-based hash, so noise depends only on (seed, frame, ch)."""
    x = x + _GOLD
    x = (x ^ (x >> np.uint64(30))) * _M1
    x = (x ^ (x >> np.uint64(27))) * _M2
    return np.asarray(x ^ (x >> np.uint64(31)))


def _gauss(key: int, frames: np.ndarray, n: int) -> np.ndarray:
    """Standard normal noise of shape (len(frames), n), a pure function of (key, frame, ch)."""
    with np.errstate(over="ignore"):
        base = (frames.astype(np.uint64)[:, None] * np.uint64(2 * n)
                + np.arange(n, dtype=np.uint64)[None, :] * np.uint64(2))
        k = _mix(np.array([key], dtype=np.uint64))[0]
        h1 = _mix(base ^ k)
        h2 = _mix((base + np.uint64(1)) ^ k)
    u1 = (h1 >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)
    u2 = (h2 >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)
    return np.sqrt(-2.0 * np.log1p(-u1)) * np.cos(2.0 * np.pi * u2)


@dataclass(frozen=True)
class _Fidget:
    start: float
    dur: float
    seg: int
    kind: str  # shift | scoot | reach | settle_back
    amp: float


FIDGET_KINDS = ("shift", "scoot", "reach", "backoff")


class Simulator:
    """Frames for a layout and a script, deterministic for a seed and a time.

    ``frame_at(t)`` and ``frames(t0, t1)`` return integers in [0, full_scale]. The noise of
    frame ``round(t * hz)`` depends only on the seed and the frame number, so a frame is the same
    whether it is generated alone or in a batch.
    """

    def __init__(self, layout: Layout | str, script: Script, hz: float = 20.0, seed: int = 0,
                 *, noise: float = 1.0, gain_spread: float = 0.10, dynamics: bool = True) -> None:
        if isinstance(layout, str):
            from sitwatch.sensing.layout import load
            layout = load(layout)
        if hz <= 0:
            raise ValueError("hz must be > 0")
        self.layout = layout
        self.script = script
        self.hz = float(hz)
        self.seed = int(seed)
        self.model = PressureModel(layout)
        self.dynamics = dynamics
        n = layout.n
        rng = np.random.default_rng([self.seed, 0x5EA7])
        self.gain = 1.0 + rng.uniform(-gain_spread, gain_spread, n)
        fs = layout.full_scale
        if self.model.load_cells:
            sigma = 0.0008 * fs
        elif layout.is_grid:
            sigma = max(0.005 * fs, 0.6)
        else:
            sigma = 0.004 * fs
        self.sigma = sigma * noise
        self.seat_mask = layout.seat_mask.astype(float)
        self.back_mask = layout.back_mask.astype(float)
        self.breath_hz = BREATH_HZ * float(rng.uniform(0.85, 1.15))
        self.breath_phase = float(rng.uniform(0, 2 * np.pi))
        self.sway_phase = rng.uniform(0, 2 * np.pi, 2)
        self._noise_key = int(rng.integers(0, 2**62))
        segs = script.segments
        self._starts = script.starts
        self._cache: dict[Body, np.ndarray] = {}
        self._P = np.stack([self._pattern(s.body) for s in segs])  # (segments, n)
        self._prev = np.vstack([np.zeros((1, n)), self._P[:-1]])
        self._sway = np.stack([self._delta(s.body, "shift") for s in segs])
        self._breath = np.stack([self._breath_amp(s.body) for s in segs])
        self._fidgets = self._schedule(rng) if dynamics else []
        self._fid_start = np.array([f.start for f in self._fidgets])
        self._fid_end = np.array([f.start + f.dur for f in self._fidgets])
        self._fid_delta: dict[tuple[int, str], np.ndarray] = {}
        self._max_fid = max((f.dur for f in self._fidgets), default=0.0)

    # -- patterns ------------------------------------------------------------------------
    def _pattern(self, body: Body) -> np.ndarray:
        p = self._cache.get(body)
        if p is None:
            p = self._cache[body] = self.model(body)
        return p

    def expected(self, body: Body, *, sensor: bool = True) -> np.ndarray:
        """Noise-free readings for a body (float). ``sensor``: with this run's gain mismatch,
        dead zone and clipping, i.e. the mean of what the sensor would report."""
        p = self._pattern(body)
        if not sensor:
            return p.copy()
        return self._sensor(p)

    def _sensor(self, load: np.ndarray) -> np.ndarray:
        """Physical load -> reading, before noise: gain, dead zone, zero offset, clipping."""
        v = np.maximum(load * self.gain - self.model.dead, 0.0) + self.model.zero
        return np.clip(v, 0.0, self.layout.full_scale)

    def _delta(self, body: Body, kind: str) -> np.ndarray:
        """Pattern change for a unit fidget of ``kind`` from ``body``."""
        p = self._pattern(body)
        if not body.present:
            return np.zeros_like(p)
        if kind == "shift":  # weight shift to the right (negative amp: left)
            lean = min(1.0, max(-1.0, body.lean + 0.3))
            step = max(lean - body.lean, 1e-9)
            return np.asarray((self._pattern(replace(body, lean=lean)) - p) / step)
        if kind == "scoot":  # shuffle forward and back
            to = UPRIGHT if body.posture == FORWARD else FORWARD
            return np.asarray(0.5 * (self._pattern(replace(body, posture=to)) - p))
        if kind == "reach":  # half stand up to reach something
            return -0.3 * p
        # backoff: move the back away from the backrest
        return np.asarray(-0.7 * p * self.back_mask)

    def _breath_amp(self, body: Body) -> np.ndarray:
        if not body.present:
            return np.zeros(self.layout.n)
        back = 0.05 if body.posture != FORWARD else 0.0
        return 0.008 * self.seat_mask + back * self.back_mask

    def _schedule(self, rng: np.random.Generator) -> list[_Fidget]:
        out = []
        for i, s in enumerate(self.script.segments):
            b = s.body
            if not b.present or b.fidget <= 0:
                continue
            rate = (0.2 + 2.0 * b.fidget) / 60.0  # per second
            t = s.start + RAMP_S + float(rng.exponential(1.0 / rate))
            while t < s.end - 8.0:
                dur = float(rng.uniform(1.5, 6.0))
                kind = FIDGET_KINDS[int(rng.integers(len(FIDGET_KINDS)))]
                amp = float(rng.uniform(0.3, 1.0)) * (0.5 + 0.5 * b.fidget)
                if kind == "shift":
                    amp *= 0.5 * (1 if rng.random() < 0.5 else -1)
                out.append(_Fidget(t, dur, i, kind, amp))
                t += dur + float(rng.exponential(1.0 / rate))
        return out

    def _fid(self, f: _Fidget) -> np.ndarray:
        key = (f.seg, f.kind)
        d = self._fid_delta.get(key)
        if d is None:
            d = self._fid_delta[key] = self._delta(self.script.segments[f.seg].body, f.kind)
        return d

    # -- frames --------------------------------------------------------------------------
    def _physical(self, t: np.ndarray) -> np.ndarray:
        """Noise-free physical values (counts, before gain) at times ``t``: (len(t), n)."""
        idx = np.clip(np.searchsorted(self._starts, t, side="right") - 1, 0, len(self._P) - 1)
        u = np.clip((t - self._starts[idx]) / RAMP_S, 0.0, 1.0)
        s = (u * u * (3 - 2 * u))[:, None]  # smoothstep
        v = self._prev[idx] * (1 - s) + self._P[idx] * s
        if not self.dynamics:
            return np.asarray(v)
        breath = np.sin(2 * np.pi * self.breath_hz * t + self.breath_phase)[:, None]
        v = v * (1.0 + self._breath[idx] * breath)
        # slow postural sway: a few hundredths of a lean, two incommensurate periods
        sway = (0.04 * np.sin(2 * np.pi * t / 37.0 + self.sway_phase[0])
                + 0.03 * np.sin(2 * np.pi * t / 113.0 + self.sway_phase[1]))
        v = v + (sway[:, None] * s) * self._sway[idx]
        if self._fidgets:
            t_lo, t_hi = float(t.min()), float(t.max())
            lo = np.searchsorted(self._fid_start, t_lo - self._max_fid, side="left")
            hi = np.searchsorted(self._fid_start, t_hi, side="right")
            for k in range(lo, hi):
                f = self._fidgets[k]
                if self._fid_end[k] < t_lo:
                    continue
                ph = (t - f.start) / f.dur
                env = np.where((ph > 0) & (ph < 1), np.sin(np.pi * np.clip(ph, 0, 1)) ** 2, 0.0)
                v = v + (f.amp * env)[:, None] * self._fid(f)[None, :]
        return np.asarray(v)

    def frames_at(self, t: np.ndarray | Sequence[float]) -> np.ndarray:
        """Integer frames (len(t), n) at times ``t`` (seconds)."""
        t = np.atleast_1d(np.asarray(t, dtype=float))
        if t.size == 0:
            return np.zeros((0, self.layout.n), dtype=np.int64)
        v = np.maximum(self._physical(t) * self.gain - self.model.dead, 0.0) + self.model.zero
        k = np.rint(np.maximum(t, 0.0) * self.hz).astype(np.int64)
        v = v + self.sigma * _gauss(self._noise_key, k, self.layout.n)
        return np.rint(np.clip(v, 0.0, self.layout.full_scale)).astype(np.int64)

    def frame_at(self, t: float) -> np.ndarray:
        return np.asarray(self.frames_at(np.array([t]))[0])

    def times(self, t0: float = 0.0, t1: float | None = None) -> np.ndarray:
        """Frame times k / hz with t0 <= t < t1 (t1 defaults to the end of the script)."""
        t1 = self.script.duration if t1 is None else t1
        k0 = math.ceil(t0 * self.hz - 1e-9)
        k1 = math.ceil(t1 * self.hz - 1e-9)
        return np.arange(k0, max(k0, k1)) / self.hz

    def frames(self, t0: float = 0.0, t1: float | None = None,
               block: int = 2048) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Blocks of (times, frames) covering [t0, t1)."""
        ts = self.times(t0, t1)
        for i in range(0, len(ts), block):
            tb = ts[i:i + block]
            yield tb, self.frames_at(tb)

    def lines(self, t0: float = 0.0, t1: float | None = None) -> Iterator[str]:
        """Wire-format lines (comma-separated integers, no newline) for frames in [t0, t1)."""
        for _, fr in self.frames(t0, t1):
            yield from format_lines(fr)


# ---------------------------------------------------------------------------------------------
# Garbage on the wire
# ---------------------------------------------------------------------------------------------

JUNK = ("ERR sensor timeout", "Booting cushion fw 1.2.0 ...", "??", "ovf!", "nan",
        "HX711 not ready", "~~~", "reset cause: brownout")
# What the wire parser should call each kind of injected garbage.
GARBAGE_REASON = {"junk": "garbage", "binary": "garbage", "truncated": "count", "count": "count"}


def corrupt(line: str, n: int, rng: np.random.Generator) -> tuple[str, bytes]:
    """Corrupt one frame line: returns (kind, bytes without newline). Every kind is dropped by
    :class:`sitwatch.sensing.wire.LineParser` (as GARBAGE_REASON[kind])."""
    kinds = ["junk", "binary", "count"] + (["truncated"] if n >= 3 else [])
    kind = kinds[int(rng.integers(len(kinds)))]
    if kind == "junk":
        return kind, JUNK[int(rng.integers(len(JUNK)))].encode()
    if kind == "binary":
        return kind, bytes(rng.integers(0x80, 0x100, int(rng.integers(4, 40))).tolist())
    parts = line.split(",")
    if kind == "truncated":
        # keep 2..n-1 values, the last one possibly cut: never n, n+1 or a packed-digit line
        keep = int(rng.integers(2, n))
        head = ",".join(parts[:keep])
        cut = int(rng.integers(len(",".join(parts[:keep - 1])) + 2, len(head) + 1))
        return kind, head[:cut].encode()
    if n >= 3 and rng.random() < 0.5:
        return kind, ",".join(parts[:-1]).encode()  # one value missing
    return kind, ",".join([*parts, "0", "0"]).encode()  # two extra (one extra is a timestamp)


# ---------------------------------------------------------------------------------------------
# Pseudo-terminal streaming
# ---------------------------------------------------------------------------------------------

@dataclass
class StreamStats:
    frames: int = 0  # frame lines written
    garbage: Counter[str] = field(default_factory=Counter)  # injected, by kind
    dropped: int = 0  # frames not written because nobody read the pty (buffer full)
    unplugs: int = 0
    bytes: int = 0
    paths: list[str] = field(default_factory=list)  # every slave path used, in order
    sim_t: float = 0.0  # simulated time reached

    @property
    def garbage_total(self) -> int:
        return sum(self.garbage.values())

    def expected_drops(self) -> Counter[str]:
        """What a LineParser reading every line should count as dropped, by reason."""
        out: Counter[str] = Counter()
        for kind, k in self.garbage.items():
            out[GARBAGE_REASON[kind]] += k
        return out


MAX_PENDING = 256 * 1024  # bytes queued for a slow reader before paced frames are dropped


class PtyStreamer:
    """Streams a script on a pseudo-terminal, paced by ``speed`` simulated seconds per second.

    ``speed`` <= 0 or infinite: as fast as the reader takes the lines (back-pressure, nothing
    dropped). ``clock`` needs ``monotonic()``; ``sleep(seconds)`` defaults to an interruptible
    wait, so :meth:`stop` ends a run at once. ``write`` receives human-readable notices (the pty
    path, unplugs). ``link``: a symlink kept pointing at the current pty. ``unplug``: (simulated
    time, seconds down) pairs: the pty is closed, the link removed, and after that many seconds
    (of ``clock``) a new pty is opened and the link re-pointed.
    """

    def __init__(self, layout: Layout | str, script: Script, *, hz: float = 20.0,
                 speed: float = 1.0, seed: int = 0, clock: Any = None,
                 sleep: Callable[[float], object] | None = None,
                 write: Callable[[str], object] | None = None, link: str | Path | None = None,
                 garbage_rate: float = 0.0, unplug: Sequence[tuple[float, float]] = (),
                 t0: float = 0.0, t1: float | None = None,
                 on_open: Callable[[str], object] | None = None,
                 simulator: Simulator | None = None) -> None:
        self.sim = simulator or Simulator(layout, script, hz, seed)
        self.layout = self.sim.layout
        self.hz = self.sim.hz
        self.paced = bool(speed and speed > 0 and math.isfinite(speed))
        self.speed = float(speed) if self.paced else math.inf
        self.clock = clock or SystemClock()
        self._stop = threading.Event()
        self.sleep = sleep or self._stop.wait
        self.write = write or (lambda s: None)
        self.link = Path(link) if link else None
        if not 0.0 <= garbage_rate <= 1.0:
            raise ValueError("garbage_rate must be between 0 and 1")
        self.garbage_rate = garbage_rate
        self.unplug = sorted((float(a), float(d)) for a, d in unplug)
        self.t0 = t0
        self.t1 = self.sim.script.duration if t1 is None else min(t1, self.sim.script.duration)
        self.on_open = on_open
        self.rng = np.random.default_rng([seed, 0x6A5B])
        self.stats = StreamStats()
        self.master: int | None = None
        self._slave: int | None = None
        self.slave_path: str | None = None
        self._pending = b""
        self._header = False
        self.drain_timeout = 5.0  # seconds to wait at the end for a reader to take the rest

    # -- pty management ------------------------------------------------------------------
    def open(self) -> str:
        """Open a new pty (raw mode), point the link at it and announce it. Returns its path."""
        import tty

        master, slave = os.openpty()
        tty.setraw(slave)
        os.set_blocking(master, False)
        self.master, self._slave = master, slave
        self.slave_path = os.ttyname(slave)
        self.stats.paths.append(self.slave_path)
        self._pending = b""
        if self.link is not None:
            _point_link(self.link, self.slave_path)
        self._header = True  # sent with the first frame, like a device that just booted
        self.write(f"pty: {self.slave_path}" + (f" (link {self.link})" if self.link else ""))
        if self.on_open is not None:
            self.on_open(self.slave_path)
        return self.slave_path

    def _close_pty(self) -> None:
        for fd in (self.master, self._slave):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.master = self._slave = None
        self._pending = b""

    def close(self) -> None:
        """Close the pty and remove the link if it still points at it."""
        path = self.slave_path
        self._close_pty()
        if self.link is not None and path is not None:
            with contextlib.suppress(OSError):
                if os.readlink(self.link) == path:
                    os.unlink(self.link)

    def stop(self) -> None:
        self._stop.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def _do_unplug(self, down: float) -> None:
        self.stats.unplugs += 1
        self.write(f"unplug: closing {self.slave_path} for {down:g} s")
        self._close_pty()
        if self.link is not None:
            with contextlib.suppress(OSError):
                os.unlink(self.link)
        if down > 0:
            self.sleep(down)
        if not self.stopped:
            self.open()

    # -- writing -------------------------------------------------------------------------
    def _emit(self, data: bytes, force: bool = False) -> bool:
        """Queue and write ``data``. Paced: never waits, drops the frame when a slow reader
        has let MAX_PENDING bytes pile up. Unpaced: waits for the reader (until stopped)."""
        if self.master is None:
            return False
        if self.paced and not force and len(self._pending) > MAX_PENDING:
            return False
        self._pending += data
        self._flush(wait=not self.paced)
        return True

    def _flush(self, wait: bool, timeout: float | None = None) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._pending and self.master is not None:
            try:
                k = os.write(self.master, self._pending)
                self._pending = self._pending[k:]
                self.stats.bytes += k
                continue
            except BlockingIOError:
                pass
            except OSError:  # the other side is gone: keep the frames for nobody
                self._pending = b""
                return
            if not wait or self.stopped or (deadline is not None and time.monotonic() > deadline):
                return
            select.select([], [self.master], [], 0.05)

    # -- the loop ------------------------------------------------------------------------
    def run(self) -> StreamStats:
        """Stream until the script (or t1) ends or :meth:`stop`. Opens the pty if needed."""
        if self.master is None and not self.stopped:
            self.open()
        n = self.layout.n
        times = self.sim.times(self.t0, self.t1)
        unplugs = list(self.unplug)
        anchor_wall = self.clock.monotonic()
        anchor_t = float(times[0]) if len(times) else self.t0
        block = 64 if self.paced else 512
        lines: list[str] = []
        b0 = -1  # index of lines[0] in times
        i = 0
        while i < len(times) and not self.stopped:
            if not b0 <= i < b0 + len(lines):
                b0 = i
                lines = format_lines(self.sim.frames_at(times[i:i + block]))
            t = float(times[i])
            if unplugs and t >= unplugs[0][0]:
                _, down = unplugs.pop(0)
                self._do_unplug(down)
                if self.paced:  # simulated time passes while unplugged: those frames are lost
                    anchor_wall, anchor_t = self.clock.monotonic(), t + down * self.speed
                    i = int(np.searchsorted(times, anchor_t - 1e-9, side="left"))
                continue
            if self.paced:
                d = anchor_wall + (t - anchor_t) / self.speed - self.clock.monotonic()
                if d > 0.002:
                    self.sleep(d)
                    if self.stopped:
                        break
            if self._header:
                self._header = False
                self._emit(f"# channels={n}\n".encode(), force=True)
            line = lines[i - b0]
            if self.garbage_rate and self.rng.random() < self.garbage_rate:
                kind, data = corrupt(line, n, self.rng)
                if self._emit(data + b"\n"):
                    self.stats.garbage[kind] += 1
            elif self._emit((line + "\n").encode()):
                self.stats.frames += 1
            else:
                self.stats.dropped += 1
            self.stats.sim_t = t
            i += 1
        if not self.stopped:
            self._flush(wait=True, timeout=self.drain_timeout)
        return self.stats


def _point_link(link: Path, target: str) -> None:
    """Atomically make ``link`` a symlink to ``target``; never clobber a regular file."""
    if link.exists() and not link.is_symlink():
        raise FileExistsError(f"{link} exists and is not a symlink: not replacing it")
    link.parent.mkdir(parents=True, exist_ok=True)
    tmp = link.with_name(f".{link.name}.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)
    os.symlink(target, tmp)
    os.replace(tmp, link)


def run_pty(layout: Layout | str, script: Script, *, hz: float = 20.0, speed: float = 1.0,
            clock: Any = None, sleep: Callable[[float], object] | None = None,
            write: Callable[[str], object] | None = None, link: str | Path | None = None,
            seed: int = 0, garbage_rate: float = 0.0,
            unplug: Sequence[tuple[float, float]] = (), t0: float = 0.0,
            t1: float | None = None, on_open: Callable[[str], object] | None = None,
            stop: threading.Event | None = None) -> StreamStats:
    """Stream ``script`` on a new pty until it ends (blocking). ``on_open(path)`` is called with
    each new slave path (also after a simulated unplug); ``stop`` ends the run when set. See
    :class:`PtyStreamer` for the other arguments."""
    st = PtyStreamer(layout, script, hz=hz, speed=speed, seed=seed, clock=clock, sleep=sleep,
                     write=write, link=link, garbage_rate=garbage_rate, unplug=unplug, t0=t0,
                     t1=t1, on_open=on_open)
    if stop is not None:
        st._stop = stop
        if sleep is None:
            st.sleep = stop.wait
    try:
        return st.run()
    finally:
        st.close()


# ---------------------------------------------------------------------------------------------
# sitwatch simulate
# ---------------------------------------------------------------------------------------------

def write_recording(out: IO[str], sim: Simulator, t0: float = 0.0, t1: float | None = None,
                    *, truth: bool = True, **extra: str) -> int:
    """Write the simulation as a recording (header, then ``t,values`` lines) as fast as
    possible. ``truth``: a ``# truth ...`` comment at each segment start. Returns frames."""
    from sitwatch.sources.recording import Writer

    Writer(out, sim.layout, sim.hz, 3, **extra)
    segs = sim.script.segments
    nxt = 0
    count = 0
    for tb, fr in sim.frames(t0, t1):
        rows = format_lines(fr)
        buf: list[str] = []
        for t, row in zip(tb.tolist(), rows, strict=True):
            while truth and nxt < len(segs) and segs[nxt].start <= t + 1e-9:
                b = segs[nxt].body
                buf.append(f"# truth t={segs[nxt].start:.3f} present={int(b.present)} "
                           f"posture={b.posture if b.present else '-'} lean={b.lean:+.2f} "
                           f"wallet={b.wallet or '-'}\n")
                nxt += 1
            buf.append(f"{t:.3f},{row}\n")
        out.write("".join(buf))
        count += len(rows)
    return count


def _hm(seconds: float) -> str:
    m = round(seconds / 60)
    return f"{m // 60}h{m % 60:02d}m" if m >= 60 else f"{m}m"


def simulate_command(layout: Layout | str, *, hz: float = 20.0, speed: float = 1.0,
                     duration: float | None = None, link: str | Path | None = None,
                     script_name: str = "day", seed: int = 0, garbage_rate: float = 0.0,
                     out: str | Path | None = None, err: IO[str] | None = None,
                     unplug: Sequence[tuple[float, float]] = ()) -> int:
    """``sitwatch simulate``: stream a scripted day on a pty (path printed on stderr) until it
    ends or Ctrl-C; with ``out`` write a recording file instead, as fast as possible.
    Returns the exit code."""
    err = err or sys.stderr
    spec = layout if isinstance(layout, str) else layout.name
    if isinstance(layout, str):
        from sitwatch.sensing.layout import LayoutError, load
        try:
            layout = load(layout)
        except LayoutError as e:
            print(f"sitwatch simulate: {e}", file=err)
            return 2
    try:
        script = script_by_name(script_name, seed)
    except ValueError as e:
        print(f"sitwatch simulate: {e}", file=err)
        return 2
    if hz <= 0:
        print("sitwatch simulate: --hz must be > 0", file=err)
        return 2
    if not 0.0 <= garbage_rate <= 1.0:
        print("sitwatch simulate: --garbage is a share of lines, between 0 and 1", file=err)
        return 2
    t1 = script.duration if duration is None else min(float(duration), script.duration)
    sim = Simulator(layout, script, hz, seed)
    what = (f"{layout.summary()}; script {script.name}, {_hm(t1)} simulated at {hz:g} Hz")
    if out is not None:
        path = Path(out)
        if garbage_rate:
            print("sitwatch simulate: --garbage applies to the pty only; the recording is clean",
                  file=err)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as f:
            n = write_recording(f, sim, 0.0, t1, source="simulate", script=script_name,
                                seed=str(seed))
        print(f"sitwatch simulate: {what}\nwrote {n} frames to {path}", file=err)
        return 0

    def say(msg: str) -> None:
        print(f"sitwatch simulate: {msg}", file=err, flush=True)

    unpaced = not speed or speed <= 0 or math.isinf(speed)
    pace = "as fast as the reader takes it" if unpaced else f"x{speed:g} real time"
    say(f"{what}, {pace}")
    st = PtyStreamer(layout, script, hz=hz, speed=speed, seed=seed, write=say, link=link,
                     garbage_rate=garbage_rate, unplug=unplug, t1=t1, simulator=sim)
    try:
        try:
            slave = st.open()
        except OSError as e:
            say(f"cannot set up the pty: {e}")
            return 1
        port = str(link) if link else slave
        say(f"connect with: sitwatch run --port {port} --layout {spec}  (Ctrl-C stops)")
        stats = st.run()
        say(f"done: {stats.frames} frames, {stats.garbage_total} garbage lines, "
            f"{stats.dropped} dropped (nobody reading)")
    except KeyboardInterrupt:
        say("stopped")
    finally:
        st.close()
    return 0
