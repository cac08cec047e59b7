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

A channel that *fails while someone sits* usually does so in one step: a cracked lead or a loose
connector drops it to zero, a short sends it to full scale. Load cannot do that: weight that leaves
one pad lands on others, and a pad pressed to full scale took its load from its neighbours. So a
seat channel that steps at least :data:`STEP_SHARE` of full scale to zero or to full scale between
two checks while the other seat channels together move less than :data:`ALONE` of that step (or,
where their noise hides that, whose levels over the hold moved less than :data:`WINDOW_ALONE` of it
beyond their noise), and then stays there for :data:`RAIL_HOLD` seconds, is broken at once
(:attr:`ChannelHealth.stepped`): before a lean's or a posture's dwell can report what it made up (a
mid-seat pad dying under a sitter read lopsided a quarter of her time until she got up;
docs/accuracy.md, "A sensor that fails while you sit"). It is back in use once it has read between
its rails for as long again (a connector pushed home, or a pad that was pressed after all). A
channel already known to sit at full scale (:attr:`ChannelHealth.clipped`) is not judged by a step
there. Only the seat's channels are: a backrest pad carries the part of the trunk's weight the seat
gives up, which its pads show on another scale, and a single backrest pad goes from empty to full
scale and back as a sitter reclines onto it (almir's lower backrest, his loads taken 1.5-3 times).

Leaving a channel out otherwise takes minutes of evidence, so that a still sitter's channels
are not lost.
Until then a channel that has read exactly the same loaded value for a few seconds while others
move (full scale included) is only *suspected* (:attr:`ChannelHealth.suspect`): cues that can be
made by one channel alone (the balance detector's sit-bones cue) keep quiet while a channel they
read from is suspected, rather than report a lean the cell made up (issue #10: a load cell that
sticks reads as a lean for the two minutes before it is left out).
"""

from __future__ import annotations

import math

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
#: A step of at least this share of full scale, to zero or to full scale, between two checks
#: (half a second apart), may be a channel failing (a pad that carried little still matters:
#: a simulated light sitter's front pad at 0.07 of full scale, dead, read them lopsided 90% of
#: the time; with 0.2, 96 of the 160 pads dying under the population's sitters off the matrix
#: were noticed, with 0.06 109) ...
STEP_SHARE = 0.06
#: ... when all the other judged channels (the seat's) together moved less than this share of
#: it: load moves from pad to pad, so a real change of posture moves others by about as much.
#: (The backrest's pads are left out of that sum: they carry another share of the weight, on
#: another scale, and their moves hid some of the population's failures.) On the recordings
#: (smartchair at 1-3x its loads, as 12, 8 and 4 cells, in 20 orders of free use;
#: fsr-cushion-9; the wheelchair) and 200 simulated sitters no healthy seat channel steps so
#: alone while the seat is occupied; the failures put in them move the others by 0.02-0.17 of
#: their step. The step itself is one check's change, never levels averaged over a few seconds:
#: those caught a few more of the population's failures (14 more of its 200 sitters met every
#: target with a pad dead) but also a simulated thigh lifting off the front of the seat, its
#: weight going to the foot, which to the seat is the same thing (only its speed differs).
ALONE = 0.25
#: ... and it holds there this long (seconds): a single bad frame is not a failure. Well short
#: of the 10 s a posture or a lean must hold before it is reported.
RAIL_HOLD = 3.0
#: A noisy sitter's other pads jitter enough between two checks to add up to more than ALONE of
#: a failing pad's step: twelve of the population's first 100 sitters (noise 1.5-3 times the
#: simulator's) had a pad die unnoticed, and read lopsided up to 90% of their upright time. So
#: a step that held its rail is also judged on *levels*: each other seat pad's mean over the
#: hold against its mean over as long before, a change counted only beyond SE_K standard errors
#: of that difference (its own noise in the two spans). Alone when those changes add up to less
#: than WINDOW_ALONE of the step and their sum (where the load went) is as small, and only for a
#: pad that left its level clearly: by at least Z_CLEAR times its own spread before (a lightly
#: loaded pad hovering by the low mark, as vanessa's rear pad does while she reclines, is not
#: judged so). Taking each pad's noise off one check's change instead called healthy pads by
#: the hundred on the FSR cushion and the matrix, whose many small channels all jitter; the
#: levels call none on the recordings or the 200 simulated sitters (docs/accuracy.md).
SE_K = 2.0
WINDOW_ALONE = 0.15
Z_CLEAR = 6.0


def full_at_calibration(layout: Layout, upright: np.ndarray) -> np.ndarray:
    """The channels a calibrated upright (as loads) puts at full scale, which are taken as
    saturated from the first frame (:meth:`ChannelHealth.saturated_from_start`): all of them
    but the seat's rear third, which is left to the running check. There a heavy sitter's sit
    bones drive healthy pads to full scale, and their emptying (a slide, a perch) is what a
    seat alone reads; below full scale they read the load itself."""
    full = np.asarray(upright, dtype=float) >= FULL_SHARE * float(layout.full_scale)
    return full & ~(layout.seat_mask & (layout.y < REAR_ROW))


def mean_sd(x: np.ndarray) -> tuple[float, float]:
    """``x.mean()`` and ``x.std(ddof=1)`` of a 1-D array of two or more values, to the last bit:
    the same sums numpy's methods make, without their generic machinery (a sitter's big steps
    ask for it: 1.6% fewer instructions for a 12-channel frame, bytes to events)."""
    n = len(x)
    mean = float(np.add.reduce(x)) / n
    d = x - mean
    return mean, math.sqrt(float(np.add.reduce(d * d)) / (n - 1))


class ChannelHealth:
    def __init__(
        self, n: int, full_scale: float, *, tau: float = 300.0, stuck_seconds: float = 120.0,
        suspect_seconds: float = SUSPECT_SECONDS, watch: np.ndarray | None = None,
        steps: np.ndarray | None = None,
    ) -> None:
        """``watch``: the channels :attr:`watched_suspect` is about (none: it stays False).
        ``steps``: the channels judged by a lone step to a rail (none: all of them)."""
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
        #: the way each channel last stepped alone to a rail (-1: to zero, +1: to full scale, 0:
        #: none), and for how long it has stayed there
        self.rail = np.zeros(n)
        judged = np.ones(n, dtype=bool) if steps is None else np.asarray(steps, dtype=bool)
        #: the size of a lone step to a rail each channel is judged by (inf: not judged)
        self._step_at = np.where(judged, STEP_SHARE * full_scale, np.inf)
        self._judged = judged  # ... and the channels whose moves a step is weighed against
        self._following = False  # a channel's rail or its failure is being followed
        self.rail_for = np.zeros(n)
        #: broken by such a step (and still at its rail), and for how long it has read between
        #: its rails since (it is back in use after RAIL_HOLD of that)
        self.stepped = np.zeros(n, dtype=bool)
        self.off_rail_for = np.zeros(n)
        self.occupied_seconds = 0.0
        self._step_only = np.zeros(n, dtype=bool)  # bad for a step alone (its own recovery)
        self._step_way = np.zeros(n)  # the rail of each channel's last lone step (describe)
        self.period = 0.5  # seconds between checks
        #: the last checks' readings (the span before a step), newest last
        self._recent: list[np.ndarray] = []
        self._keep = round(RAIL_HOLD / self.period)
        #: per channel followed to a rail: (the checks before its step, the checks since, its
        #: step's size, whether that one check already showed it alone)
        self._spans: dict[int, tuple[np.ndarray, list[np.ndarray], float, bool]] = {}
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
            self._steps(raw, dt, occupied)
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
                or np.count_nonzero(self.stepped)
                or (warm and np.count_nonzero(self.sat > 0.7))):
            sat = (self.sat > 0.7) & warm
            bad = stuck | shorted | self.stepped
            # hysteresis: a bad or saturated channel must clearly recover; one broken by a step
            # alone is back once it has read between its rails for RAIL_HOLD
            recovered = ((self.sat < 0.05) | self._step_only) & (
                self.same_for < self.stuck_seconds) & (self.sat_empty < 0.05)
            new = (self.bad & ~recovered) | bad
            clipped = ((self.clipped & ~recovered) | sat) & ~new
            changed = bool(np.count_nonzero(new != self.bad)
                           or np.count_nonzero(clipped != self.clipped))
            self.bad = new
            self.clipped = clipped
            self._step_only = (self._step_only | self.stepped) & new & ~(stuck | shorted)
        else:  # the usual check: no channel is bad, none is becoming so
            new, changed = self.bad, False
        suspect = self.quiet_for >= self.suspect_seconds
        self.watched_suspect = bool(np.count_nonzero(suspect) and
                                    np.count_nonzero(suspect & self.watch & ~new))
        return changed

    def _steps(self, raw: np.ndarray, dt: float, occupied: bool) -> None:
        """Follow the channels that stepped alone to a rail (see the module's notes). Cheap
        while nothing is followed: one difference, one comparison and a copy of the frame into
        the last few checks per check."""
        prev = self.prev
        assert prev is not None
        recent = self._recent
        if occupied:
            step = raw - prev
            size = np.abs(step)
            big = size >= self._step_at
            if np.count_nonzero(big):
                # a sitter's moves step many channels at once: plain floats for the loop, and
                # the other channels' moves weighed only for a step that reaches a rail
                now, steps, clipped = raw.tolist(), step.tolist(), self.clipped.tolist()
                moved: float | None = None
                sound = False
                for c in np.flatnonzero(big).tolist():
                    r, s = now[c], steps[c]
                    to = -1.0 if r <= self.low and s < 0 else (
                        1.0 if r >= self.full and s > 0 and not clipped[c] else 0.0)
                    if not to:
                        continue
                    if moved is None:
                        moved = float(size[self._judged].sum())
                        # levels only while no seat channel is left out: a broken one hides
                        # where load goes (a sitter with a dead mid-seat pad had a healthy front
                        # pad called when its load went onto the dead one)
                        sound = not np.count_nonzero(self.bad & self._judged)
                    size_c = abs(s)
                    alone = moved - size_c < ALONE * size_c
                    if alone or (sound and self._left_level(c, r)):
                        self.rail[c], self.rail_for[c] = to, -dt  # counted from this check
                        self._following = True
                        self._spans[c] = (np.array(recent), [], size_c, alone)
        kept = raw.copy()
        recent.append(kept)
        if len(recent) > self._keep:
            del recent[0]
        if not self._following:
            return
        zero = raw <= self.low
        full = raw >= self.full
        at = np.where(self.rail < 0, zero, np.where(self.rail > 0, full, False))
        self.rail_for = np.where(at, self.rail_for + dt, 0.0)
        self.rail = np.where(at, self.rail, 0.0)
        held = (self.rail != 0) & (self.rail_for >= RAIL_HOLD) & ~self.stepped
        for k in list(self._spans):
            if self.rail[k] == 0:
                del self._spans[k]  # back off its rail before it held: no failure
            else:
                self._spans[k][1].append(kept)
                if held[k] and not self._alone(k):  # (its span is done with either way)
                    held[k] = False
                    self.rail[k] = 0.0  # not alone: a move of the sitter's
        # broken once it has held its rail; back once it has read between its rails as long
        between = ~zero & ~full
        self.off_rail_for = np.where(self.stepped & between, self.off_rail_for + dt, 0.0)
        self.stepped = (self.stepped & (self.off_rail_for < RAIL_HOLD)) | held
        self.off_rail_for = np.where(self.stepped, self.off_rail_for, 0.0)
        self._step_way = np.where(self.rail != 0, self.rail, self._step_way)
        self._following = bool(np.count_nonzero(self.rail) or np.count_nonzero(self.stepped))

    def _left_level(self, c: int, now: float) -> bool:
        """Channel ``c`` reads ``now`` (a rail): has it clearly left the level it read over the
        last checks? False without two checks to tell a level by."""
        if len(self._recent) < 2:
            return False
        return self._cleared(np.array([r[c] for r in self._recent]), now, c)

    def _cleared(self, before: np.ndarray, level: float, c: int) -> bool:
        """``level`` is clearly off channel ``c``'s readings ``before`` (two or more): by a
        step's size and by :data:`Z_CLEAR` times their spread."""
        mean, sd = mean_sd(before)
        return abs(mean - level) >= max(float(self._step_at[c]), Z_CLEAR * sd)

    def _alone(self, c: int) -> bool:
        """Channel ``c`` held its rail: did it step there alone? By its one check's change
        (:data:`ALONE`), or else by levels over the spans before and since (:data:`SE_K`)."""
        before, since, size, alone = self._spans.pop(c)
        if alone:
            return True
        after = np.array(since)
        if len(before) < 2 or len(after) < 2:
            return False
        if not self._cleared(before[:, c], float(after[:, c].mean()), c):
            return False  # it did not clearly leave its level
        others = self._judged.copy()
        others[c] = False
        b, a = before[:, others], after[:, others]
        change = a.mean(axis=0) - b.mean(axis=0)
        se = np.sqrt(b.var(axis=0, ddof=1) / len(b) + a.var(axis=0, ddof=1) / len(a))
        beyond = float(np.maximum(np.abs(change) - SE_K * se, 0.0).sum())
        return beyond < WINDOW_ALONE * size and abs(float(change.sum())) < WINDOW_ALONE * size

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
    def judging(self) -> bool:
        """A channel stepped alone to a rail in one check and is being watched to see if it
        holds there (not yet called broken): the features move for a failure, not for the
        sitter. (Not one whose others' levels are still to be weighed: those are mostly a
        sitter's quick moves, a wheelchair driver's steering leans among them.)"""
        return self._following and any(span[3] for span in self._spans.values())

    @property
    def suspect(self) -> np.ndarray:
        """Channels that have read the exact same loaded value for ``suspect_seconds`` while
        others moved: perhaps stuck or saturated, not yet proven (see the module's notes)."""
        return self.quiet_for >= self.suspect_seconds

    def describe(self, labels: list[str]) -> list[str]:
        """The channels left out of everything, each with why."""
        out = []
        for i in np.flatnonzero(self.bad):
            if self._step_only[i]:
                why = ("dropped to zero on its own" if self._step_way[i] < 0
                       else "jumped to full scale on its own")
            else:
                why = "full scale with nobody seated" if self.sat_empty[i] > 0.05 else "stuck"
            out.append(f"{labels[i]} ({why})")
        return out

    def describe_clipped(self, labels: list[str]) -> list[str]:
        """The saturated channels (counted as a lower bound of their load in the load sums and the
        fore-aft centre, left out of left/right only)."""
        return [f"{labels[i]} (saturated)" for i in np.flatnonzero(self.clipped)]
