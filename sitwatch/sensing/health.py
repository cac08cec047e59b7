"""Channel health: spot stuck and saturated channels so features can leave them out.

Cheap enough to run on every frame: two vector comparisons and an exponential average.
A channel is *saturated* when it sits at full scale for most of the recent occupied time
(a broken force sensor often reads near 4095 whatever happens), and *stuck* when it repeats
the exact same non-zero reading for a long run while other channels move.

Leaving a channel out takes minutes of evidence, so that a still sitter's channels are not lost.
Until then a channel that has read exactly the same loaded value for a few seconds while others
move (full scale included) is only *suspected* (:attr:`ChannelHealth.suspect`): cues that can be
made by one channel alone (the balance detector's sit-bones cue) keep quiet while a channel they
read from is suspected, rather than report a lean the cell made up (issue #10: a load cell that
sticks reads as a lean for the two minutes before it is left out).
"""

from __future__ import annotations

import numpy as np

#: Seconds a loaded channel may repeat the exact same reading while others move before it is
#: suspected. Shorter than a lean's dwell (10 s), so that a cell sticking cannot start one;
#: a still sitter's channels are suspected now and then too, which only quietens the cues that
#: one channel can make alone.
SUSPECT_SECONDS = 5.0


class ChannelHealth:
    def __init__(
        self, n: int, full_scale: float, *, tau: float = 300.0, stuck_seconds: float = 120.0,
        suspect_seconds: float = SUSPECT_SECONDS, watch: np.ndarray | None = None,
    ) -> None:
        """``watch``: the channels :attr:`watched_suspect` is about (none: it stays False)."""
        self.full = 0.97 * full_scale
        self.low = 0.05 * full_scale
        self.tau = tau
        self.stuck_seconds = stuck_seconds
        self.sat = np.zeros(n)
        self.same_for = np.zeros(n)
        self.suspect_seconds = suspect_seconds
        self.quiet_for = np.zeros(n)  # as same_for, but at full scale too
        self.watch = np.zeros(n, dtype=bool) if watch is None else np.asarray(watch, dtype=bool)
        #: a watched channel still in use is suspected (updated with each check)
        self.watched_suspect = False
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
        n = len(raw)
        # (np.count_nonzero rather than .any()/.all(): the same answer, several times quicker
        # on a chair's few channels)
        if self.prev is not None and dt > 0:
            same = raw == self.prev
            moving = np.count_nonzero(same) < n
            if moving:
                loaded = same & (raw > self.low)
                if np.count_nonzero(loaded):
                    self.same_for = np.where(loaded & (raw < self.full), self.same_for + dt, 0.0)
                    self.quiet_for = np.where(loaded, self.quiet_for + dt, 0.0)
                else:  # no loaded channel repeated its reading: every run is over
                    self.same_for = np.zeros(n)
                    self.quiet_for = np.zeros(n)
        self.prev = raw
        if occupied and dt_occ > 0:
            self.occupied_seconds += dt_occ
            a = min(1.0, dt_occ / self.tau)
            self.sat += a * ((raw >= self.full) - self.sat)
        warm = self.occupied_seconds >= self.tau / 2
        stuck = self.same_for >= self.stuck_seconds
        if np.count_nonzero(self.bad) or np.count_nonzero(stuck) or (
                warm and np.count_nonzero(self.sat > 0.7)):
            bad = (self.sat > 0.7) & warm
            bad |= stuck
            # hysteresis: a bad channel must clearly recover
            recovered = self.bad & (self.sat < 0.05) & (self.same_for < self.stuck_seconds)
            new = (self.bad & ~recovered) | bad
            changed = bool(np.count_nonzero(new != self.bad))
            self.bad = new
        else:  # the usual check: no channel is bad, none is becoming so
            new, changed = self.bad, False
        suspect = self.quiet_for >= self.suspect_seconds
        self.watched_suspect = bool(np.count_nonzero(suspect) and
                                    np.count_nonzero(suspect & self.watch & ~new))
        return changed

    @property
    def suspect(self) -> np.ndarray:
        """Channels that have read the exact same loaded value for ``suspect_seconds`` while
        others moved: perhaps stuck or saturated, not yet proven (see the module's notes)."""
        return self.quiet_for >= self.suspect_seconds

    def describe(self, labels: list[str]) -> list[str]:
        out = []
        for i in np.flatnonzero(self.bad):
            why = "saturated" if self.sat[i] > 0.05 else "stuck"
            out.append(f"{labels[i]} ({why})")
        return out
