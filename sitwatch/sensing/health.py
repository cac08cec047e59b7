"""Channel health: spot stuck and saturated channels so features can leave them out.

Cheap enough to run on every frame: two vector comparisons and an exponential average.
A channel is *saturated* when it sits at full scale for most of the recent occupied time
(a broken force sensor often reads near 4095 whatever happens), and *stuck* when it repeats
the exact same non-zero reading for a long run while other channels move.
"""

from __future__ import annotations

import numpy as np


class ChannelHealth:
    def __init__(
        self, n: int, full_scale: float, *, tau: float = 300.0, stuck_seconds: float = 120.0
    ) -> None:
        self.full = 0.97 * full_scale
        self.low = 0.05 * full_scale
        self.tau = tau
        self.stuck_seconds = stuck_seconds
        self.sat = np.zeros(n)
        self.same_for = np.zeros(n)
        self.prev: np.ndarray | None = None
        self.bad = np.zeros(n, dtype=bool)
        self.occupied_seconds = 0.0
        self.period = 0.5  # seconds between checks
        self._acc = 0.0
        self._acc_occ = 0.0

    def step(self, raw: np.ndarray, dt: float, occupied: bool) -> bool:
        """Update with one frame; True when the set of bad channels changed.

        The check itself runs every ``period`` seconds of frame time, to stay cheap at 50 Hz."""
        self._acc += dt
        if occupied:
            self._acc_occ += dt
        if self.prev is not None and self._acc < self.period:
            return False
        dt, occ_dt = self._acc, self._acc_occ
        self._acc = self._acc_occ = 0.0
        occupied = occ_dt > 0
        dt_occ = occ_dt
        if self.prev is not None and dt > 0:
            same = raw == self.prev
            moving = not same.all()
            if moving:
                self.same_for = np.where(
                    same & (raw > self.low) & (raw < self.full), self.same_for + dt, 0.0
                )
        self.prev = raw
        if occupied and dt_occ > 0:
            self.occupied_seconds += dt_occ
            a = min(1.0, dt_occ / self.tau)
            self.sat += a * ((raw >= self.full) - self.sat)
        warm = self.occupied_seconds >= self.tau / 2
        bad = (self.sat > 0.7) & warm
        bad |= self.same_for >= self.stuck_seconds
        # hysteresis: a bad channel must clearly recover
        recovered = self.bad & (self.sat < 0.05) & (self.same_for < self.stuck_seconds)
        new = (self.bad & ~recovered) | bad
        changed = bool((new != self.bad).any())
        self.bad = new
        return changed

    def describe(self, labels: list[str]) -> list[str]:
        out = []
        for i in np.flatnonzero(self.bad):
            why = "saturated" if self.sat[i] > 0.05 else "stuck"
            out.append(f"{labels[i]} ({why})")
        return out
