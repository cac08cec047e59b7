"""Features: the numbers each frame is reduced to, computed in one vectorised step.

Each feature is one row of :data:`SPECS` (a name, a channel weight and whether it is a share of
a surface's load), so adding one is adding a row. Loads are tare-subtracted and clipped at zero.
Channels marked unhealthy (stuck, shorted) are left out; the left/right features also leave
out their mirror, so that they stay unbiased, while the others keep it (a broken rear-left
sensor must not blind the slump rule to the whole rear of the seat). A channel can also leave
the left/right features alone, with its mirror (``sideways``): a saturated one, whose reading is
a lower bound on its load, still shows front to back where the load went (issue #10).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from sitwatch.sensing.layout import Layout

MIDLINE = 0.25  # |x| below this is the seat's midline (rear_mid)
REAR_ROW = -1 / 3  # y below this is the seat's rear third (rear_load, rear_x): the sit bones


class Spec(NamedTuple):
    name: str
    surface: str  # "seat" | "back" | "all" | "front" (the seat's front half) | "rear" (its
    # rear third)
    weight: Callable[[np.ndarray, np.ndarray], np.ndarray]  # f(x, y) -> per-channel weight
    share: bool  # divide by the surface's load (a share or a centre of pressure)
    lateral: bool = False  # a left/right feature: computed on mirror pairs only


ONE = lambda x, y: np.ones_like(x)  # noqa: E731

SPECS: tuple[Spec, ...] = (
    Spec("seat_load", "seat", ONE, False),
    Spec("back_load", "back", ONE, False),
    Spec("cop_x", "seat", lambda x, y: x, True, True),  # -1 left .. +1 right
    Spec("cop_y", "seat", lambda x, y: y, True),  # -1 rear .. +1 front
    Spec("left_share", "seat", lambda x, y: (x < 0) * 1.0, True, True),
    Spec("right_share", "seat", lambda x, y: (x > 0) * 1.0, True, True),
    Spec("front_share", "seat", lambda x, y: np.clip(y, 0, 1), True),
    Spec("rear_share", "seat", lambda x, y: np.clip(-y, 0, 1), True),
    Spec("back_x", "back", lambda x, y: x, True, True),
    Spec("back_y", "back", lambda x, y: y, True),
    # whole-body lateral centre (seat + back)
    Spec("lateral", "all", lambda x, y: x, True, True),
    # The front half of the seat (the thighs): a crossed leg lifts one thigh off it.
    Spec("front_load", "front", ONE, False, True),
    Spec("front_x", "front", lambda x, y: x, True, True),
    # The rear of the seat's midline (as rear_share, on channels within 0.25 of the middle):
    # where the sacrum rests when the sit bones slide forward (half lying).
    Spec("rear_mid", "seat", lambda x, y: np.clip(-y, 0, 1) * (np.abs(x) < MIDLINE), True),
    # The rear third of the seat (the sit bones): its load and its left/right centre. A
    # sideways lean moves the sit bones' load across while the thighs stay put, so on a seat
    # without a backrest it shows here more clearly than in the whole seat's centre.
    Spec("rear_load", "rear", ONE, False, True),
    Spec("rear_x", "rear", lambda x, y: x, True, True),
    # The rear of the seat off its midline, each side (as rear_share): the sit bones one at a
    # time. Half lying slides both forward; a sideways lean or a crossed leg loads one of them.
    Spec("rear_left", "seat", lambda x, y: np.clip(-y, 0, 1) * (x <= -MIDLINE), True, True),
    Spec("rear_right", "seat", lambda x, y: np.clip(-y, 0, 1) * (x >= MIDLINE), True, True),
)
NAMES = tuple(s.name for s in SPECS)
IDX = {n: i for i, n in enumerate(NAMES)}


def has_rear_midline(layout: Layout) -> bool:
    """Whether a seat sensor lies on the rear half of the seat's midline (where the sacrum comes
    down in half lying): a 3x3 grid or a matrix has one, four corner cells or two columns not."""
    m = layout.seat_mask & (layout.y < 0) & (np.abs(layout.x) < MIDLINE)
    return bool(m.any())


class Features:
    """One frame's features. The shares and centres of pressure are computed at once; the
    contact area and the peak channel only when asked for (no detector needs them per frame)."""

    __slots__ = ("_ctx", "back_load", "back_x", "back_y", "cop_x", "cop_y", "front_load",
                 "front_share", "front_x", "lateral", "left_share", "load", "rear_left",
                 "rear_load", "rear_mid", "rear_right", "rear_share", "rear_x", "right_share",
                 "seat_load")

    seat_load: float
    back_load: float
    cop_x: float
    cop_y: float
    left_share: float
    right_share: float
    front_share: float
    rear_share: float
    back_x: float
    back_y: float
    lateral: float
    front_load: float
    front_x: float
    rear_mid: float
    rear_load: float
    rear_x: float
    rear_left: float
    rear_right: float

    def __init__(self, values: list[float], load: np.ndarray,
                 ctx: tuple[np.ndarray, float, int]) -> None:
        (self.seat_load, self.back_load, self.cop_x, self.cop_y, self.left_share,
         self.right_share, self.front_share, self.rear_share, self.back_x, self.back_y,
         self.lateral, self.front_load, self.front_x, self.rear_mid, self.rear_load,
         self.rear_x, self.rear_left, self.rear_right) = values
        self.load = load  # tare-subtracted, clipped per-channel load
        self._ctx = ctx

    @property
    def contact(self) -> float:
        """Share of the (usable) seat channels carrying load."""
        seat_idx, level, n_seat = self._ctx
        return int(np.count_nonzero(self.load[seat_idx] > level)) / n_seat

    @property
    def peak(self) -> int:
        """Channel with the highest seat load (-1 when nothing is loaded)."""
        seat_idx = self._ctx[0]
        if self.seat_load <= 0 or not len(seat_idx):
            return -1
        return int(seat_idx[self.load[seat_idx].argmax()])

    @property
    def total(self) -> float:
        return self.seat_load + self.back_load

    @property
    def back_share(self) -> float:
        t = self.seat_load + self.back_load
        return self.back_load / t if t > 0 else 0.0

    def as_dict(self) -> dict[str, float]:
        return {n: getattr(self, n) for n in NAMES}

    def __repr__(self) -> str:
        inner = ", ".join(f"{n}={getattr(self, n):.3g}" for n in NAMES)
        return f"Features({inner})"


class Extractor:
    """Turns raw frames into :class:`Features` for one layout, tare and channel mask."""

    def __init__(self, layout: Layout, tare: np.ndarray | None = None) -> None:
        self.layout = layout
        self.tare = (
            np.full(layout.n, layout.zero_load) if tare is None else np.asarray(tare, dtype=float)
        )
        self.contact_level = 0.02 * layout.full_scale
        self.usable = np.ones(layout.n, dtype=bool)  # healthy channels
        self.paired = np.ones(layout.n, dtype=bool)  # healthy, and so is their mirror
        #: broken channels read as a share of their mirror's load: {channel: (mirror, share)}
        self.stand_in: dict[int, tuple[int, float]] = {}
        self._build()

    def set_tare(self, tare: np.ndarray) -> None:
        self.tare = np.asarray(tare, dtype=float)

    def set_usable(
        self, usable: np.ndarray, sideways: np.ndarray | None = None,
        stand_in: dict[int, tuple[int, float]] | None = None,
    ) -> None:
        """Leave out channels that cannot be trusted (and, for left/right features, their
        mirrors). ``sideways``: channels left out of the left/right features only (with their
        mirrors). ``stand_in``: broken channels read, everywhere but left/right, as ``share``
        times their mirror's load (``{channel: (mirror, share)}``, the share their loads had in
        the upright baseline): a seat that loses a rear pad keeps the depth of its rear row, so
        a slump still empties it as far as before. They count as usable and, with their
        mirrors, are out of left/right."""
        u = np.asarray(usable, dtype=bool).copy()
        stand = dict(stand_in or {})
        side = u.copy() if sideways is None else u & ~np.asarray(sideways, dtype=bool)
        for c in stand:
            u[c] = True
            side[c] = False
        paired = side.copy()
        mirror = self.layout.mirror
        for i in np.flatnonzero(~side):
            if mirror[i] >= 0:
                paired[mirror[i]] = False
        if paired[self.layout.seat_mask].any():
            self.usable = u
            self.paired = paired
            self.stand_in = stand
            self._build()

    def _build(self) -> None:
        lay = self.layout
        x, y = lay.x, lay.y

        def surfaces(u: np.ndarray) -> dict[str, np.ndarray]:
            seat = lay.seat_mask & u
            back = lay.back_mask & u
            return {"seat": seat, "back": back, "all": seat | back, "front": seat & (y > 0),
                    "rear": seat & (y < REAR_ROW)}

        masks = {False: surfaces(self.usable), True: surfaces(self.paired)}
        cols = [s.weight(x, y) * masks[s.lateral][s.surface] for s in SPECS]
        k = len(SPECS)
        # A share is divided by the load on the same channels: one extra column per kind.
        extra: dict[tuple[str, bool], int] = {}
        den = []
        for s in SPECS:
            if not s.share:
                den.append(-1)
                continue
            key = (s.surface, s.lateral)
            if key not in extra:
                extra[key] = len(cols)
                cols.append(masks[s.lateral][s.surface] * 1.0)
            den.append(extra[key])
        w = np.stack(cols, axis=1)
        if self.stand_in:
            # a stand-in's load is its mirror's times a share: linear, so it folds into the
            # weights (loads @ m @ w) and costs nothing per frame
            m = np.eye(lay.n)
            for i, (j, share) in self.stand_in.items():
                m[i, i] = 0.0
                m[j, i] = share
            w = m @ w
        self._w = w
        self._k = k
        self._den = den
        # (feature, its denominator's column) for the shares: the per-frame division
        self._shares = tuple((i, d) for i, d in enumerate(den) if d >= 0)
        self._is_share = np.array([d >= 0 for d in den])
        self._den_idx = np.array([d if d >= 0 else k for d in den])
        seat = masks[False]["seat"]
        self._seat_idx = np.flatnonzero(seat)
        self._n_seat = max(len(self._seat_idx), 1)
        self._ctx = (self._seat_idx, self.contact_level, self._n_seat)

    def load(self, raw: np.ndarray) -> np.ndarray:
        out: np.ndarray = np.maximum(raw - self.tare, 0.0)
        return out

    def __call__(self, raw: np.ndarray) -> Features:
        # the numbers of ``np.maximum(raw - tare, 0.0) @ w``, with less of numpy's overhead on
        # a chair's few channels: a reading under its tare is the tare (so its load is 0.0
        # exactly), and ndarray.dot reaches the same BLAS product as @ without the ufunc's
        # dispatch (a test holds the two to the same numbers)
        tare = self.tare
        load = np.maximum(raw, tare)
        load -= tare
        r = load.dot(self._w).tolist()
        vals = r[: self._k]
        for i, d in self._shares:  # plain floats: quicker than numpy for a few numbers
            den = r[d]
            vals[i] = vals[i] / den if den > 1e-9 else 0.0
        return Features(vals, load, self._ctx)

    def batch(self, raw: np.ndarray) -> dict[str, np.ndarray]:
        """Vectorised features for many frames at once (calibration, evaluation)."""
        load = np.maximum(np.asarray(raw, dtype=float) - self.tare, 0.0)
        r = load @ self._w
        den = r[:, self._den_idx]
        head = r[:, : self._k]
        shares = np.divide(head, den, out=np.zeros_like(den), where=den > 1e-9)
        vals = np.where(self._is_share, shares, head)
        return {name: vals[:, i] for i, name in enumerate(NAMES)}
