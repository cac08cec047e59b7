"""The body/pressure model of the virtual cushion: what a sitter does -> what each channel reads.

The seat load is a sum of smooth (Gaussian) blobs: two compact sit-bone blobs at x~+-0.45,
y~-0.48 (the pressure peaks) inside broader buttock blobs, which together carry most of the seat
load, and thigh blobs towards the front. Slouching slides them all forward (sit bones to
y~+0.45: far enough that even four corner load cells see the rear unload); the backrest gets
shoulder-blade blobs (upright), lumbar blobs (slouched), a broad lower load (reclined) or
nothing (leaning forward). A lean moves load to one side. A wallet is a compact hard spot under
one rear buttock that stays put whatever the posture. Two :data:`VARIANTS` hold a posture the
way a seat without backrest sensors sees differently: half lying (a slump with the pelvis slid a
little and the sacrum down on the rear of the seat's midline) and a perch on the front edge (the
rear empty, the feet carrying much of the weight).

Each channel reads the mean pressure over its footprint (a grid cell, or a pad that grows with
the sensor spacing, as foam spreads the load); corner load cells share the seat force by the
centre of pressure, like a rigid plate on its feet: a plate on equally stiff cells tilts as a
plane, so each cell's force is linear in its position and statics (force and both moments) fixes
it; each pair of cells (left, right, rear, front) then carries exactly the lever-rule share of
the centre of pressure between them. The backrest's load does not reach the cells (they are under
the seat plate), and what the feet carry is off the seat.

Time plays no part here: :mod:`sitwatch.sim.simulator` adds noise, breathing, fidgets and ramps.
Only numpy is imported at module level.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from sitwatch.core.kinds import POSTURES, Balance, Occupancy, Posture
from sitwatch.sensing.layout import Layout

#: The sides of the seat (a lean's direction, a wallet's pocket), spelled as the balance states.
SIDES: tuple[Balance, ...] = (Balance.LEFT, Balance.RIGHT)

LOAD_CELL_FULL_KG = 150.0  # all load cells together read full scale at this load


# ---------------------------------------------------------------------------------------------
# The body
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Body:
    """What the sitter is doing. ``lean`` runs from -1 (all on the left) to +1 (right)."""

    present: bool = True
    posture: Posture = Posture.UPRIGHT  # a plain string naming one is taken too
    lean: float = 0.0
    wallet: Balance | None = None  # the pocket's side: None, Balance.LEFT or Balance.RIGHT
    weight: float = 75.0  # kg
    fidget: float = 0.3  # 0 (still) .. 1 (restless): rate and size of fidgets
    #: A named way of holding the posture that the seat sees differently (:data:`VARIANTS`):
    #: "half_lying" (a slump: the pelvis slid a little, the sacrum down on the seat) or "perch"
    #: (on the front edge, the feet carrying much of the weight). Sets the posture.
    variant: str | None = None
    # The population stress test's sitters (sitwatch eval); the defaults are the sitter above.
    size: float = 1.0  # body size: sit bones, buttocks and thighs spread this much wider
    backrest: float = 1.0  # backrest contact: 0 sits upright away from it, 1 leans on it
    depth: float = 1.0  # how far into the posture: 0.5 a gentle slump, 1 the full one
    #: the pelvis sits this much further forward (+) or back (-) on the seat, in seat
    #: half-depths (someone who sat down again a little differently after a break)
    shift: float = 0.0
    #: a leg crossed over the other (or lifted): that side's thigh leaves the seat, its weight
    #: going down the other leg to the floor; the sit bones stay level. None, Balance.LEFT or
    #: Balance.RIGHT (fsr-cushion-9's crossed legs: that side's front pad empties, the rear
    #: keeps its balance)
    leg: Balance | None = None

    def __post_init__(self) -> None:
        if self.variant is not None:
            if self.variant not in VARIANTS:
                raise ValueError(f"variant {self.variant!r}: use one of {', '.join(VARIANTS)}")
            object.__setattr__(self, "posture", VARIANTS[self.variant][0])
        if self.posture not in POSTURES:
            raise ValueError(f"posture {self.posture!r}: use one of {', '.join(POSTURES)}")
        if not -1.0 <= self.lean <= 1.0:
            raise ValueError(f"lean {self.lean}: must be between -1 (left) and 1 (right)")
        if self.wallet not in (None, *SIDES):
            raise ValueError(f"wallet {self.wallet!r}: use None, 'left' or 'right'")
        if self.leg not in (None, *SIDES):
            raise ValueError(f"leg {self.leg!r}: use None, 'left' or 'right'")
        if not 20.0 <= self.weight <= 250.0:
            raise ValueError(f"weight {self.weight} kg: must be 20..250")
        if not 0.0 <= self.fidget <= 1.0:
            raise ValueError(f"fidget {self.fidget}: must be 0..1")
        if not 0.7 <= self.size <= 1.4:
            raise ValueError(f"size {self.size}: must be 0.7..1.4")
        if not 0.0 <= self.backrest <= 1.0:
            raise ValueError(f"backrest {self.backrest}: must be 0..1")
        if not 0.0 < self.depth <= 1.0:
            raise ValueError(f"depth {self.depth}: must be above 0, at most 1")
        if not -0.3 <= self.shift <= 0.3:
            raise ValueError(f"shift {self.shift}: must be -0.3..0.3 (seat half-depths)")
        # Members from here on (equal to, and hashing as, the strings they were given).
        object.__setattr__(self, "posture", Posture(self.posture))
        if self.wallet is not None:
            object.__setattr__(self, "wallet", Balance(self.wallet))
        if self.leg is not None:
            object.__setattr__(self, "leg", Balance(self.leg))

    def describe(self) -> str:
        if not self.present:
            return Occupancy.EMPTY
        s = str(self.posture) + (f" ({self.variant})" if self.variant else "")
        if abs(self.lean) >= 0.3:
            side = Balance.RIGHT if self.lean > 0 else Balance.LEFT
            s += f", leaning {side} ({self.lean:+.1f})"
        if self.wallet:
            s += f", wallet {self.wallet}"
        if self.leg:
            s += f", {self.leg} leg crossed"
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
    sacrum: float = 0.0  # share of the seat load on the sacrum, at the rear of the midline
    sacrum_y: float = -0.72


_POSES: dict[Posture, _Pose] = {
    # Upright, back against the backrest: the buttocks (sit bones and the tissue around them)
    # carry most of the seat, the shoulder blades load the upper backrest moderately.
    Posture.UPRIGHT: _Pose(0.72, 0.08, -0.48, 0.36, 0.35, 0.36, -0.50, 0.26, 0.10,
                           ((0.85, 0.40, 0.45, 0.22, 0.22), (0.15, 0.0, -0.35, 0.35, 0.18))),
    # Slumped: the pelvis slides forward (the sit bones end up in front of the seat's middle),
    # the rear of the seat unloads and the lower back rests on the lower backrest.
    Posture.SLOUCHED: _Pose(0.64, 0.13, 0.44, 0.42, 0.84, 0.20, 0.38, 0.18, 0.04,
                            ((0.80, 0.35, -0.55, 0.22, 0.20), (0.20, 0.0, -0.15, 0.30, 0.18))),
    # Leaning forward (elbows on the desk or the thighs): the backrest is free, the pelvis
    # rolls forward onto the thighs, part of the weight goes to the desk and the feet.
    Posture.LEANING_FORWARD: _Pose(0.52, 0.0, -0.38, 0.26, 0.60, 0.30, -0.42, 0.14, 0.045, ()),
    # Reclined: the backrest carries much more, lower down; the rear of the seat stays loaded.
    Posture.RECLINED: _Pose(0.64, 0.22, -0.45, 0.36, 0.36, 0.36, -0.55, 0.28, 0.10,
                            ((0.55, 0.42, 0.10, 0.28, 0.30), (0.45, 0.0, -0.40, 0.38, 0.22))),
}

#: Other ways of holding a posture, which a seat without backrest sensors sees differently:
#: name -> (the posture it is, its pose).
VARIANTS: dict[str, tuple[Posture, _Pose]] = {
    # Half lying: the pelvis slides a little forward (sit bones from y -0.48 to -0.36) and rolls
    # back, so the sacrum comes down on the rear of the seat's midline; the back leans on the
    # lower backrest, which takes part of the weight off the seat (0.67 of body weight, against
    # 0.72 upright). The rear of the seat unloads a little, its midline gains: about as mildly
    # as fsr-cushion-9's sitter does it (rear share 0.8-0.9 of upright, seat load 0.93).
    "half_lying": (Posture.SLOUCHED,
                   _Pose(0.67, 0.13, -0.36, 0.32, 0.40, 0.34, -0.38, 0.24, 0.08,
                         ((0.75, 0.35, -0.45, 0.22, 0.20), (0.25, 0.0, -0.20, 0.30, 0.18)),
                         sacrum=0.03)),
    # Perched on the front third: the sit bones on the front of the seat (y +0.42), the thighs
    # mostly over the edge, the feet under the body carrying much of the weight (the seat 0.42
    # of body weight), the backrest free. The rear of the seat empties.
    "perch": (Posture.LEANING_FORWARD,
              _Pose(0.42, 0.0, 0.42, 0.50, 0.80, 0.12, 0.36, 0.35, 0.04, ())),
}
SACRUM_S = 0.12  # the sacrum's contact: compact, on the midline

ISCH_X, ISCH_S = 0.45, 0.16
THIGH_X, THIGH_SX = 0.42, 0.22
SOFT_X, SOFT_SX, SOFT_SY = 0.36, 0.26, 0.24
# A wallet: a compact hard spot under one rear buttock. It lifts that hip a little, so it takes
# its load from the thigh on the same side; it stays put whatever the posture.
WALLET_X, WALLET_Y, WALLET_S = 0.58, -0.62, 0.10
LEAN_SHARE = 0.42  # a full lean (1.0) puts 0.5 + LEAN_SHARE of the seat load on that side
LEAN_DX = 0.04  # ... and moves the blobs this far sideways
LEG_KEEPS = 0.1  # a crossed leg's thigh keeps this share of its load on the seat


AWAY_FORWARD = 0.08  # sitting upright clear of the backrest: the pelvis sits this much forward


def _lerp_pose(a: _Pose, b: _Pose, k: float) -> _Pose:
    """``k`` of the way from pose ``a`` to pose ``b`` (a gentler slump, lean back...): every
    number interpolated, the backrest blobs of both kept with their shares weighed."""
    def mix(x: float, y: float) -> float:
        return x + k * (y - x)

    # the backrest load of each pose, shared out as a share of the blended backrest load
    ba, bb = (1 - k) * a.back, k * b.back
    tot = ba + bb
    blobs: tuple[tuple[float, float, float, float, float], ...] = ()
    if tot > 0:
        blobs = tuple((sh * ba / tot, ax, y, sx, sy) for sh, ax, y, sx, sy in a.back_blobs) \
            + tuple((sh * bb / tot, ax, y, sx, sy) for sh, ax, y, sx, sy in b.back_blobs)
    return _Pose(mix(a.seat, b.seat), mix(a.back, b.back), mix(a.isch_y, b.isch_y),
                 mix(a.isch, b.isch), mix(a.thigh_y, b.thigh_y), mix(a.thigh_sy, b.thigh_sy),
                 mix(a.soft_y, b.soft_y), mix(a.soft, b.soft), mix(a.wallet, b.wallet), blobs)


def _pose(body: Body) -> _Pose:
    """The pose of a body (or of its named variant), with its depth and backrest contact (the
    defaults change nothing)."""
    p = VARIANTS[body.variant][1] if body.variant else _POSES[body.posture]
    if body.depth < 1.0 and body.posture != Posture.UPRIGHT and not body.variant:
        p = _lerp_pose(_POSES[Posture.UPRIGHT], p, body.depth)
    if body.backrest < 1.0:
        # the trunk's weight the backrest no longer carries goes onto the seat, and the pelvis
        # sits a little forward
        gone = p.back * (1.0 - body.backrest)
        fwd = AWAY_FORWARD * (1.0 - body.backrest)
        p = replace(p, seat=p.seat + gone, back=p.back - gone, isch_y=p.isch_y + fwd,
                    thigh_y=p.thigh_y + fwd, soft_y=p.soft_y + fwd)
    if body.shift:  # sat down a little further forward or back: the whole pelvis moves
        p = replace(p, isch_y=p.isch_y + body.shift, thigh_y=p.thigh_y + body.shift,
                    soft_y=p.soft_y + body.shift, sacrum_y=p.sacrum_y + body.shift)
    return p


def _blobs(body: Body) -> tuple[np.ndarray, np.ndarray]:
    """Seat and backrest blobs for a body: arrays of rows (mass kg, cx, cy, sx, sy)."""
    if not body.present:
        z = np.zeros((0, 5))
        return z, z
    p = _pose(body)
    lean = body.lean
    w = body.weight
    k = body.size  # a larger body: everything on the seat spreads wider
    seat_kg = w * p.seat * (1.0 - 0.08 * abs(lean))  # leaning on an armrest takes some off
    right = 0.5 + LEAN_SHARE * lean  # share of the seat load on the right
    dx = LEAN_DX * lean
    seat: list[tuple[float, float, float, float, float]] = []
    thigh = 1.0 - p.isch - p.soft - p.sacrum
    wside = 0.0 if body.wallet is None else (-1.0 if body.wallet == Balance.LEFT else 1.0)
    lside = 0.0 if body.leg is None else (-1.0 if body.leg == Balance.LEFT else 1.0)
    for side, share in ((-1.0, 1.0 - right), (1.0, right)):
        seat.append((seat_kg * p.isch * share, side * ISCH_X * k + dx, p.isch_y, ISCH_S * k,
                     ISCH_S * k))
        t_kg = seat_kg * thigh * share
        if side == lside:
            t_kg *= LEG_KEEPS
        if side == wside:
            w_kg = min(seat_kg * p.wallet, 0.8 * t_kg)
            t_kg -= w_kg
            seat.append((w_kg, side * WALLET_X, WALLET_Y, WALLET_S, WALLET_S))
        seat.append((t_kg, side * THIGH_X * k + dx, p.thigh_y, THIGH_SX * k, p.thigh_sy * k))
        if p.soft > 0:  # the broad soft tissue of the buttock, one half per side
            seat.append((seat_kg * p.soft * share, side * SOFT_X * k + dx, p.soft_y,
                         SOFT_SX * k, SOFT_SY * k))
    if p.sacrum > 0:
        seat.append((seat_kg * p.sacrum, dx, p.sacrum_y, SACRUM_S * k, SACRUM_S * k))
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
    """Load cells under a plate, not pressure pads: the layout says so (``[plate]``), or its
    seat channels sit only at the seat's corners."""
    if layout.plate is not None:
        return True
    if layout.is_grid:
        return False
    seat = layout.seat_mask
    return bool(seat.sum() >= 3 and (np.abs(layout.x[seat]) >= 0.85).all()
                and (np.abs(layout.y[seat]) >= 0.85).all())


class PressureModel:
    """Expected (noise-free) loads of a layout for a body (the simulator turns them into
    readings). Geometry is precomputed."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.n = layout.n
        self.seat_idx = np.flatnonzero(layout.seat_mask)
        self.back_idx = np.flatnonzero(layout.back_mask)
        self.load_cells = is_load_cells(layout)
        # Everything here is a load (rising with the force); the simulator turns loads into the
        # device's readings through the layout's wiring (an inverted FSR cushion's fall as they
        # rise) and the pads' own response, so the unloaded offset is the wiring's alone (not
        # through a divider the layout may declare)
        self.zero = float(layout.full_scale - layout.zero if layout.inverted else layout.zero)
        fs = layout.full_scale - self.zero  # the range above an unloaded sensor's load
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
