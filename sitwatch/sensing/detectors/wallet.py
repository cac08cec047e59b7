"""Back-pocket wallet suspicion.

A wallet or phone in a back pocket makes one spot under one buttock press harder than its
mirror, and keeps doing so when the sitter changes posture: it does not follow them the way a
lean does. We compare every rear seat zone with its mirror (relative to the upright baseline,
which calibration takes with empty pockets), subtract the general sideways shift of the other
zones, and suspect a wallet when the same zone stands out for ``min_duration`` seconds of
sitting across at least ``min_postures`` different postures (or twice as long when the sitter
hardly moves).

Seat matrices are pooled into 4x4 zones first (by where each cell lies, whichever corner the
matrix is numbered from); other layouts use their seat channels as zones.
"""

from __future__ import annotations

import math

import numpy as np

from sitwatch.config import Wallet as WalletCfg
from sitwatch.core.events import WALLET, Event
from sitwatch.sensing.layout import Layout

EPS_SHARE = 0.01  # of full scale, keeps log ratios finite for unloaded zones


class Zones:
    def __init__(self, layout: Layout, usable: np.ndarray | None = None) -> None:
        usable = np.ones(layout.n, bool) if usable is None else usable
        seat = layout.seat_mask & usable
        if layout.is_grid:
            assert layout.rows and layout.cols
            zr, zc = min(4, layout.rows), min(4, layout.cols)
            idx = np.arange(layout.n)
            # each cell's row from the rear and column from the left, from where the layout
            # puts it: a matrix wired front first or right first has its cells numbered so
            r = np.rint(((layout.y + 1) * layout.rows - 1) / 2).astype(int)
            c = np.rint(((layout.x + 1) * layout.cols - 1) / 2).astype(int)
            zone = (r * zr // layout.rows) * zc + (c * zc // layout.cols)
            nz = zr * zc
            pool = np.zeros((layout.n, nz))
            pool[idx[seat], zone[seat]] = 1.0
            zx = np.array([-1 + (2 * (k % zc) + 1) / zc for k in range(nz)])
            zy = np.array([-1 + (2 * (k // zc) + 1) / zr for k in range(nz)])
            scale = layout.full_scale * (layout.n / nz)
        else:
            sel = np.flatnonzero(seat)
            pool = np.zeros((layout.n, len(sel)))
            pool[sel, np.arange(len(sel))] = 1.0
            zx, zy = layout.x[sel], layout.y[sel]
            scale = layout.full_scale
        self.pool = pool
        self.x, self.y = zx, zy
        self.eps = EPS_SHARE * scale
        n = len(zx)
        mirror = np.full(n, -1)
        for i in range(n):
            if abs(zx[i]) < 1e-6:
                continue
            d = np.abs(zx + zx[i]) + np.abs(zy - zy[i])
            d[np.sign(zx) == np.sign(zx[i])] = np.inf
            j = int(np.argmin(d))
            if d[j] < 0.35:
                mirror[i] = j
        self.mirror = mirror
        # Zones on the left with a mirror: one log ratio per pair.
        self.pairs = [(i, int(mirror[i])) for i in range(n) if mirror[i] >= 0 and zx[i] < 0]
        self.rear = np.array([zy[i] <= 0.1 for i, _ in self.pairs])
        self.rear_flags = tuple(bool(q) for q in self.rear)  # plain, for the detector

    def log_ratios(self, load: np.ndarray) -> np.ndarray:
        z = (load @ self.pool + self.eps).tolist()
        return np.array([math.log(z[i] / z[j]) for i, j in self.pairs])


def _median(v: list[float]) -> float:
    """The median as np.median works it out (the two middle values' mean for an even count)."""
    s = sorted(v)
    m = len(s) // 2
    return s[m] if len(s) % 2 else (s[m - 1] + s[m]) / 2


class WalletDetector:
    def __init__(self, cfg: WalletCfg, zones: Zones, baseline_load: np.ndarray) -> None:
        self.cfg = cfg
        self.zones = zones
        self.base = zones.log_ratios(baseline_load)
        self.limit = math.log(cfg.spot_ratio)
        self.zone: int | None = None  # index into zones.pairs of the zone that stands out
        self.side: str | None = None
        self.held = 0.0  # seconds of sitting with the same zone standing out
        self.missing = 0.0
        self.postures: set[object] = set()
        self.suspected = False
        self.since: float | None = None  # when the current suspicion was raised
        self._last_t: float | None = None

    def step(self, load: np.ndarray, posture: object, t: float) -> Event | None:
        dt = 0.0 if self._last_t is None else min(t - self._last_t, 5.0)
        self._last_t = t
        rear = self.zones.rear_flags
        if not rear or True not in rear:
            return None
        # (plain floats for a chair's few zones: the numbers np.median, np.where and argmax
        # give, without their overhead)
        r = (self.zones.log_ratios(load) - self.base).tolist()
        # Excess of each rear pair over the general sideways shift of the other pairs.
        general = _median(r) if len(r) > 2 else 0.0
        ex_all = [v - general if q else 0.0 for v, q in zip(r, rear, strict=True)]
        mags = [abs(v) for v in ex_all]
        k = mags.index(max(mags))  # the first of the largest, as argmax
        best, best_ex = k, ex_all[k]
        standing_out = best is not None and abs(best_ex) >= self.limit
        if standing_out:
            side = "left" if best_ex > 0 else "right"
            if best != self.zone or side != self.side:
                self.zone, self.side, self.held, self.postures = best, side, 0.0, set()
            self.held += dt
            self.missing = 0.0
            self.postures.add(posture)
        else:
            self.missing += dt
            if self.missing >= 60.0:
                return self._clear(t)
        if (
            not self.suspected
            and self.zone is not None
            and (
                (self.held >= self.cfg.min_duration and len(self.postures) >= self.cfg.min_postures)
                or self.held >= 2 * self.cfg.min_duration
            )
        ):
            self.suspected = True
            self.since = t
            return Event(
                t, WALLET, "suspected", {"side": self.side, "minutes": round(self.held / 60, 1)}
            )
        return None

    def _clear(self, t: float) -> Event | None:
        was = self.suspected
        self.zone = self.side = None
        self.held = self.missing = 0.0
        self.postures = set()
        self.suspected = False
        self.since = None
        return Event(t, WALLET, "clear") if was else None

    def reset(self, t: float) -> Event | None:
        """The sitter took a real break: pockets may have changed."""
        self._last_t = None
        return self._clear(t)
