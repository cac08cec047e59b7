"""Channel health: spot stuck and saturated channels, and tell the two apart.

Cheap enough to run on every frame: two vector comparisons and exponential averages.
A channel is *saturated* (:attr:`ChannelHealth.clipped`) when it sits at full scale for most of
the recent occupied time: a heavy sitter or a small FSR presses harder than it can show. Its
reading is a lower bound on the load there, not garbage, so the features keep counting it and
leave it out only of the left/right features, with its mirror, where its exact value against its
mirror matters (pipeline.py; issue #10: setting a saturated mid-seat sensor aside took much of
the seat's load with it, and a heavy sitter read leaning forward). A channel is *broken*
(:attr:`ChannelHealth.bad`, left out of everything) when it repeats the exact same reading
below full scale for a long run while other channels move (stuck), or reads full scale while no
other channel carries any load (shorted: a healthy sensor with nobody on the seat reads near its
tare).

Leaving a channel out takes minutes of evidence, so that a still sitter's channels are not lost.
Until then a channel that has read exactly the same loaded value for a few seconds while others
move (full scale included) is only *suspected* (:attr:`ChannelHealth.suspect`): cues that can be
made by one channel alone (the balance detector's sit-bones cue) keep quiet while a channel they
read from is suspected, rather than report a lean the cell made up (issue #10: a load cell that
sticks reads as a lean for the two minutes before it is left out).
"""

from __future__ import annotations

import numpy as np

from sitwatch.sensing.features import REAR_ROW
from sitwatch.sensing.layout import Layout

#: Seconds a loaded channel may repeat the exact same reading while others move before it is
#: suspected. Shorter than a lean's dwell (10 s), so that a cell sticking cannot start one;
#: a still sitter's channels are suspected now and then too, which only quietens the cues that
#: one channel can make alone.
SUSPECT_SECONDS = 5.0
#: A reading at or above this share of full scale is at full scale (a little under it: ADCs and
#: dividers seldom reach their last count).
FULL_SHARE = 0.97
#: Time constant (seconds with no other channel loaded) of the full-scale-while-empty average: a
#: shorted sensor is told from a saturated one within about a minute of the seat being empty.
EMPTY_TAU = 30.0


def full_at_calibration(layout: Layout, upright: np.ndarray) -> np.ndarray:
    """The channels a calibrated upright (as loads) puts at full scale, which are taken as
    saturated from the first frame (:meth:`ChannelHealth.saturated_from_start`): all of them
    but the seat's rear third, which is left to the running check. There a heavy sitter's sit
    bones drive healthy pads to full scale, and their emptying (a slide, a perch) is what a
    seat alone reads; below full scale they read the load itself."""
    full = np.asarray(upright, dtype=float) >= FULL_SHARE * float(layout.full_scale)
    return full & ~(layout.seat_mask & (layout.y < REAR_ROW))


class ChannelHealth:
    def __init__(
        self, n: int, full_scale: float, *, tau: float = 300.0, stuck_seconds: float = 120.0,
        suspect_seconds: float = SUSPECT_SECONDS, watch: np.ndarray | None = None,
    ) -> None:
        """``watch``: the channels :attr:`watched_suspect` is about (none: it stays False)."""
        self.full = FULL_SHARE * full_scale
        self.low = 0.05 * full_scale
        self.idle = 0.1 * full_scale  # under this, a channel carries nobody
        self.tau = tau
        self.stuck_seconds = stuck_seconds
        self.sat = np.zeros(n)
        self.sat_empty = np.zeros(n)  # as sat, over the time no other channel is loaded
        self.same_for = np.zeros(n)
        self.suspect_seconds = suspect_seconds
        self.quiet_for = np.zeros(n)  # as same_for, but at full scale too
        self.watch = np.zeros(n, dtype=bool) if watch is None else np.asarray(watch, dtype=bool)
        #: a watched channel still in use is suspected (updated with each check)
        self.watched_suspect = False
        self.prev: np.ndarray | None = None
        self.bad = np.zeros(n, dtype=bool)  # broken: left out of everything
        self.clipped = np.zeros(n, dtype=bool)  # saturated: a lower bound on its load
        self.occupied_seconds = 0.0
        self.period = 0.5  # seconds between checks
        self._acc = 0.0
        self._acc_occ = 0.0

    def step(self, raw: np.ndarray, dt: float, occupied: bool) -> bool:
        """Update with one frame; True when the set of broken or saturated channels changed.

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
        if dt > 0:
            # nobody seated by every other channel's account (not by the occupancy, which a
            # shorted channel counted in the seat's load would hold at occupied)
            loaded = raw > self.idle  # (a healthy sensor's tare can be a few % of its scale)
            alone = (np.count_nonzero(loaded) - loaded) == 0
            if np.count_nonzero(alone):
                a = min(1.0, dt / EMPTY_TAU)
                self.sat_empty = np.where(
                    alone, self.sat_empty + a * ((raw >= self.full) - self.sat_empty),
                    self.sat_empty)
        warm = self.occupied_seconds >= self.tau / 2
        stuck = self.same_for >= self.stuck_seconds
        shorted = self.sat_empty > 0.7
        if (np.count_nonzero(self.bad) or np.count_nonzero(self.clipped)
                or np.count_nonzero(stuck) or np.count_nonzero(shorted)
                or (warm and np.count_nonzero(self.sat > 0.7))):
            sat = (self.sat > 0.7) & warm
            bad = stuck | shorted
            # hysteresis: a bad or saturated channel must clearly recover
            recovered = (self.sat < 0.05) & (self.same_for < self.stuck_seconds) & (
                self.sat_empty < 0.05)
            new = (self.bad & ~recovered) | bad
            clipped = ((self.clipped & ~recovered) | sat) & ~new
            changed = bool(np.count_nonzero(new != self.bad)
                           or np.count_nonzero(clipped != self.clipped))
            self.bad = new
            self.clipped = clipped
        else:  # the usual check: no channel is bad, none is becoming so
            new, changed = self.bad, False
        suspect = self.quiet_for >= self.suspect_seconds
        self.watched_suspect = bool(np.count_nonzero(suspect) and
                                    np.count_nonzero(suspect & self.watch & ~new))
        return changed

    def saturated_from_start(self, mask: np.ndarray) -> bool:
        """Channels known to be saturated before any frame is seen (the calibrated upright read
        them at full scale): taken as saturated now, as minutes of sitting would show, and kept
        so until they clearly recover. True when that changed anything."""
        new = np.asarray(mask, dtype=bool) & ~self.bad & ~self.clipped
        if not np.count_nonzero(new):
            return False
        self.clipped |= new
        self.sat = np.where(new, 1.0, self.sat)
        return True

    @property
    def suspect(self) -> np.ndarray:
        """Channels that have read the exact same loaded value for ``suspect_seconds`` while
        others moved: perhaps stuck or saturated, not yet proven (see the module's notes)."""
        return self.quiet_for >= self.suspect_seconds

    def describe(self, labels: list[str]) -> list[str]:
        """The channels left out of everything, each with why."""
        out = []
        for i in np.flatnonzero(self.bad):
            why = "full scale with nobody seated" if self.sat_empty[i] > 0.05 else "stuck"
            out.append(f"{labels[i]} ({why})")
        return out

    def describe_clipped(self, labels: list[str]) -> list[str]:
        """The saturated channels (counted as a lower bound of their load in the load sums and the
        fore-aft centre, left out of left/right only)."""
        return [f"{labels[i]} (saturated)" for i in np.flatnonzero(self.clipped)]
