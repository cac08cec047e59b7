"""The virtual cushion's frames: a script played on a layout, deterministic for a seed and a time.

:class:`Simulator` turns the expected loads of :mod:`sitwatch.sim.body` into what a real
cushion sends: per-channel gain mismatch, noise, breathing, slow sway, fidgets and 1.5 s ramps
between the segments of a :class:`~sitwatch.sim.script.Script`, and optionally the slow faults
of cheap pressure sensors: a drifting zero, a channel stuck at one reading, and creep (below).

**Creep and hysteresis** (``creep``: the rise per decade of time). A force-sensing resistor or
a velostat film under a constant load keeps becoming more conductive for minutes to hours: the
polymer and the foam over it relax, the contact area grows. The makers give it per decade of
time: Interlink's FSR 400 series "< 5% per log10(time)" at 1 kg, Ohmite's FSR series < 1-2% per
log time, and Sensitronics reports about 12% over 48 h (about 2.3% a decade) for its standard
ink at 2 psi, more than 30% in 48 h for some FSRs. Velostat (a carbon-loaded film, usually
hand-assembled into a matrix) has no datasheet figure; we assume it creeps about twice as much
as an FSR (an assumption, stated as one). A log-time rise is modelled as a sum of first-order
lags, one a decade (:data:`CREEP_TAUS`: 10 s, 100 s, 1000 s, 10000 s), each worth ``creep`` of
the load: the reading's load-equivalent is ``v + creep x sum_k min(v, lowpass_k(v))``, so under
a constant load the reading rises by about ``creep`` a decade of time, in proportion to the load
on that cell (a constant share at every pressure: the datasheets give one figure). The
``min`` is the hysteresis: a cell that was loaded for a while and is now loaded less keeps its
crept share (it reads higher unloading than loading, Interlink gives about +10% average
hysteresis for the same parts), a newly loaded cell starts uncrept, and a cell that is unloaded
reads nothing at once (an FSR's contact opens) and recovers over the lags' time constants.
The lags are computed from the segments' noise-free loads (ramps, fidgets and breathing aside),
exactly and in closed form, so a frame stays a pure function of its time.

**A divider's response** (``divider``: the load, as a share of full scale, that reads half
scale; 0: linear; by default the layout's own ``divider``). A force-sensing resistor or a
velostat cell is read through a voltage divider, and its conductance, not its reading, follows
the force: the reading is ``fs x G / (G + G_fixed)``, which in load-equivalent counts is
``fs x x (1 + k) / (x + k)`` with ``x`` the linear load's share of full scale and ``k`` this
setting. It is steep for light loads and flat under a heavy one: more force barely moves a
loaded cell (fsr-cushion-9's loaded cells read 0.78-0.97 of full scale for a 52 kg sitter,
where the simulator's linear pads read a third to two thirds of it for heavier ones). Applied
after gain and creep, before the electrical noise and the wiring (an inverted cushion is this
divider wired the other way up). A pad read this way drifts in its conductance (velostat with
warmth and damp), not in its reading (the divider's fixed resistor and a ratiometric reading
hold), so its drift is added with the load, before the response; a linear sensor's zero
drifts in its reading.

The noise of a frame is a pure function of (seed, frame number, channel), so a frame is the
same whether it is generated alone or in a batch, streamed or written. :func:`write_recording`
writes a run as a recording file (``sitwatch simulate -o``), with the ground truth as comments.

Only numpy is imported at module level.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import IO

import numpy as np

from sitwatch.core.kinds import Posture
from sitwatch.sensing.layout import Layout
from sitwatch.sensing.wire import format_lines
from sitwatch.sim.body import Body, PressureModel
from sitwatch.sim.script import Script
from sitwatch.sources.recording import Writer

RAMP_S = 1.5  # seconds a transition between two segments takes
BREATH_HZ = 0.25
#: Creep's first-order lags (seconds), one a decade: their sum rises about one unit a decade of
#: time under a constant load, from seconds to hours (see the module docstring).
CREEP_TAUS = (10.0, 100.0, 1000.0, 10000.0)

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
    kind: str  # one of FIDGET_KINDS
    amp: float


FIDGET_KINDS = ("shift", "scoot", "reach", "backoff")


class Simulator:
    """Frames for a layout and a script, deterministic for a seed and a time.

    ``frame_at(t)`` and ``frames(t0, t1)`` return integers in [0, full_scale]. The noise of
    frame ``round(t * hz)`` depends only on the seed and the frame number, so a frame is the same
    whether it is generated alone or in a batch.
    """

    def __init__(self, layout: Layout | str, script: Script, hz: float = 20.0, seed: int = 0,
                 *, noise: float = 1.0, gain_spread: float = 0.10, dynamics: bool = True,
                 drift: float = 0.0, stuck: tuple[int, float, float] | None = None,
                 creep: float = 0.0, divider: float | None = None) -> None:
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
        # Slow drift (a load cell's zero wandering, a pad's conductance with warmth and damp):
        # each channel's zero moves at its own steady rate, up to ``drift`` of full scale an
        # hour either way (a pad read through a divider: its load-equivalent, frames_at).
        # Drawn from a generator of its own, so that a run without drift is the same as before
        # drift existed.
        self.drift = np.zeros(n)
        if drift:
            drng = np.random.default_rng([self.seed, 0xD21F7])
            self.drift = drng.uniform(-drift, drift, n) * fs / 3600.0  # counts a second
        # Creep: each lag's state at each segment's start (segments, n), from the segments'
        # noise-free loads; the cushion has rested before the script starts.
        if creep < 0:
            raise ValueError("creep must be >= 0")
        self.creep = float(creep)
        self._lag0: list[np.ndarray] = []
        if self.creep:
            dur = np.array([s.duration_s for s in segs])
            for tau in CREEP_TAUS:
                st = np.zeros_like(self._P)
                for i in range(1, len(segs)):
                    k = math.exp(-dur[i - 1] / tau)
                    st[i] = self._P[i - 1] + (st[i - 1] - self._P[i - 1]) * k
                self._lag0.append(st)
        # the pads' own response: by default the one the layout says they have
        self.divider = float(layout.divider if divider is None else divider)
        if self.divider < 0:
            raise ValueError("divider must be >= 0")
        # A channel stuck at one reading from a time on: (channel, from_s, reading).
        self.stuck = stuck
        if stuck is not None and not 0 <= stuck[0] < n:
            raise ValueError(f"stuck channel {stuck[0]}: the layout has channels 0..{n - 1}")

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
        """Physical load -> reading, before noise: gain, dead zone, zero offset, clipping, and
        the layout's transform (an inverted cushion's reading falls as the load rises)."""
        v = self._response(np.maximum(load * self.gain - self.model.dead, 0.0)) + self.model.zero
        return self._wire(np.clip(v, 0.0, self.layout.full_scale))

    def _wire(self, v: np.ndarray) -> np.ndarray:
        """What the pads read (load-equivalent counts, after their response) -> what the device
        sends: inverted when its reading falls as the load rises. Not the layout's ``divider``:
        that is the layout's model of this response (:meth:`_response` is the pads' own)."""
        return self.layout.full_scale - v if self.layout.inverted else v

    def _response(self, v: np.ndarray) -> np.ndarray:
        """Linear load (counts) -> what a divider reads, in load-equivalent counts (see the
        module docstring); unchanged when the pads are read linearly."""
        if not self.divider:
            return v
        fs, k = self.layout.full_scale, self.divider
        x = np.maximum(v, 0.0) / fs
        return np.asarray(fs * x * (1.0 + k) / (x + k))

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
            forward = Posture.LEANING_FORWARD
            to = Posture.UPRIGHT if body.posture == forward else forward
            return np.asarray(0.5 * (self._pattern(replace(body, posture=to)) - p))
        if kind == "reach":  # half stand up to reach something
            return -0.3 * p
        # backoff: move the back away from the backrest
        return np.asarray(-0.7 * p * self.back_mask)

    def _breath_amp(self, body: Body) -> np.ndarray:
        if not body.present:
            return np.zeros(self.layout.n)
        back = 0.05 if body.posture != Posture.LEANING_FORWARD else 0.0
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
        v = self._physical(t)
        if self.creep:
            v = v + self.creep * self._crept(t, v)
        v = v * self.gain - self.model.dead
        drifts = self.drift.any()
        if drifts and self.divider:
            v = v + t[:, None] * self.drift[None, :]  # the pad's own conductance drifts
        v = self._response(np.maximum(v, 0.0)) + self.model.zero
        k = np.rint(np.maximum(t, 0.0) * self.hz).astype(np.int64)
        v = v + self.sigma * _gauss(self._noise_key, k, self.layout.n)
        if drifts and not self.divider:
            v = v + t[:, None] * self.drift[None, :]
        v = self._wire(np.clip(v, 0.0, self.layout.full_scale))
        if self.stuck is not None:
            ch, since, reading = self.stuck
            v[t >= since, ch] = reading
        return np.asarray(np.rint(v).astype(np.int64))

    def _crept(self, t: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Creep's sum of ``min(load, lag)`` over the lags (see the module docstring)."""
        idx = np.clip(np.searchsorted(self._starts, t, side="right") - 1, 0, len(self._P) - 1)
        el = np.maximum(t - self._starts[idx], 0.0)[:, None]
        p = self._P[idx]
        now = np.maximum(v, 0.0)
        out = np.zeros_like(v)
        for tau, st in zip(CREEP_TAUS, self._lag0, strict=True):
            lag = p + (st[idx] - p) * np.exp(-el / tau)
            out += np.minimum(now, lag)
        return out

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


def write_recording(out: IO[str], sim: Simulator, t0: float = 0.0, t1: float | None = None,
                    *, truth: bool = True, **extra: str) -> int:
    """Write the simulation as a recording (header, then ``t,values`` lines) as fast as
    possible. ``truth``: a ``# truth ...`` comment at each segment start. Returns frames."""
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

