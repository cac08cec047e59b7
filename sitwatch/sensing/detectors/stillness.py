"""Static sitting: has the sitter really shifted their weight lately?

Pressure relief is a change of *where* the weight rests, held long enough for the tissues
underneath to get blood again: a lean to one side, a lift of one buttock, a push up on the
armrests, standing up. Breathing, sensor noise and the small fidgets everyone makes do not
move the load picture for long, so they must not count.

Per frame, while the seat is occupied, the detector smooths a handful of features (time
constant ``SMOOTH``): the seat's centre of pressure (``cop_x``, ``cop_y``), the left, front and
rear shares of the seat load, and the seat's and the backrest's loads. It keeps an *anchor*: the
smoothed picture where the sitter last settled. A frame is *away* from it when any cue moved
past its threshold: ``min_shift`` for the centre of pressure and the shares, ``min_load_change``
(as a share) for the loads; for a sitter with a calibration the centre and the shares use at
least ``spread`` times the cue's robust sd in the still calibration minute, so a restless
sensor or sitter needs a bigger move. Away for ``hold`` seconds without a break is a
**shift** (a ``stillness`` event, state ``shift``, with the cue that moved most and how long the
sitter had been still). Then the detector waits for the load to settle (no move of half a
threshold for ``settle`` seconds) and anchors there: a lean and back within that time is one
shift; one who keeps moving gets a shift for each move of a whole threshold from where the last
was counted, at most one per ``settle``. The anchor also follows very slow drift (``DRIFT``),
which is sensor creep or a slow slide, not pressure relief.

No shift for ``after`` seconds of sitting is **static** (state ``static``, once per still
stretch; ``after = 0`` never says so, while shifts are still counted). Sitting down starts the
still clock; getting up stops it (standing up relieves the pressure more than any shift).

Pure: fed ``(features, t)``, no I/O, no clock of its own.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from sitwatch.config import Stillness as StillnessCfg
from sitwatch.core.events import STILLNESS, Event
from sitwatch.core.kinds import Stillness
from sitwatch.sensing.features import Features

#: The cues, in the order of the smoothed vector; the first five are positions or shares
#: (compared by difference), the last two loads (compared by ratio).
CUES: tuple[str, ...] = ("cop_x", "cop_y", "left_share", "front_share", "rear_share",
                         "seat_load", "back_load")
_N_POS = 5
SMOOTH = 1.0  # seconds: the smoothing time constant (breathing and noise average out)
DRIFT = 600.0  # seconds: the anchor's time constant for slow drift
STEP = 0.095  # seconds: frames closer than this to the last one looked at are skipped (10 Hz)
MAX_DT = 5.0  # a longer gap between frames is not one stretch
LOAD_FLOOR = 0.05  # of the seat's load at the anchor: a backrest below it counts as unloaded


class StillnessDetector:
    def __init__(self, cfg: StillnessCfg, spread: Mapping[str, float] | None = None) -> None:
        self.cfg = cfg
        self.spread: Mapping[str, float] | None = spread
        self.still_since: float | None = None  # last shift or sitting down; None while away
        self.static = False
        self.shifts = 0  # real shifts since the detector started
        self._s: list[float] | None = None  # the smoothed cues
        self._anchor: list[float] | None = None
        self._away_since: float | None = None
        self._moving = False  # a shift was counted; waiting for the load to settle
        self._ref: list[float] | None = None  # while moving: where the load last was
        self._ref_since = 0.0
        self._mark: list[float] | None = None  # where the last shift was counted
        self._shift_at = 0.0
        self._last_t: float | None = None
        self._thr: tuple[tuple[int, int], tuple[float, ...]] | None = None

    # -- thresholds --------------------------------------------------------------------
    def thresholds(self) -> tuple[float, ...]:
        """Per cue: the move that counts (positions and shares in their units; loads as a
        share of the load at the anchor). Cached until the config or the spread changes."""
        key = (id(self.cfg), id(self.spread))
        if self._thr is None or self._thr[0] != key:
            self._thr = (key, self._thresholds())
        return self._thr[1]

    def _thresholds(self) -> tuple[float, ...]:
        c = self.cfg
        pos = [c.min_shift] * _N_POS
        if self.spread and c.spread > 0:
            pos = [max(c.min_shift, c.spread * float(self.spread.get(n, 0.0)))
                   for n in CUES[:_N_POS]]
        return (*pos, c.min_load_change, c.min_load_change)

    def distance(self, s: Sequence[float], anchor: Sequence[float]) -> list[float]:
        """Per cue, how far ``s`` is from ``anchor``, in thresholds (1.0: just counts).
        Plain floats: seven numbers a frame are quicker without numpy."""
        thr = self.thresholds()
        seat = anchor[5]
        floor = max(seat * LOAD_FLOOR, 1e-9)
        d = [abs(s[i] - anchor[i]) / thr[i] for i in range(_N_POS)]
        d.append(abs(s[5] - seat) / max(seat, floor) / thr[5])
        d.append(abs(s[6] - anchor[6]) / max(anchor[6], floor) / thr[6])
        return d

    def _far(self, s: Sequence[float], anchor: Sequence[float]) -> tuple[float, str]:
        """The largest distance and the cue it is on (the first of equals). The same numbers
        as :meth:`distance`, without building its list: this runs on every look."""
        thr = self.thresholds()
        best, at = abs(s[0] - anchor[0]) / thr[0], 0
        for i in range(1, _N_POS):
            d = abs(s[i] - anchor[i]) / thr[i]
            if d > best:
                best, at = d, i
        seat = anchor[5]
        floor = max(seat * LOAD_FLOOR, 1e-9)
        d = abs(s[5] - seat) / max(seat, floor) / thr[5]
        if d > best:
            best, at = d, 5
        d = abs(s[6] - anchor[6]) / max(anchor[6], floor) / thr[6]
        if d > best:
            best, at = d, 6
        return best, CUES[at]

    # -- frames ------------------------------------------------------------------------
    def step(self, f: Features, t: float) -> Event | None:
        """One frame while the seat is occupied (looked at no more than every ``STEP``)."""
        last = self._last_t
        if last is not None and 0 <= t - last < STEP:
            return None
        x = [f.cop_x, f.cop_y, f.left_share, f.front_share, f.rear_share, f.seat_load,
             f.back_load]  # (plain floats: features are made of them)
        dt = 0.0 if last is None else t - last
        self._last_t = t
        if self._s is None or self._anchor is None or not 0 <= dt <= MAX_DT:
            self._start(x, t)
            return None
        a = 1.0 - math.exp(-dt / SMOOTH)
        s = self._s = [v + a * (xi - v) for v, xi in zip(self._s, x, strict=True)]
        if self._moving:
            return self._settling(s, t)
        far, cue = self._far(s, self._anchor)
        if far >= 1.0:
            if self._away_since is None:
                self._away_since = t
            if t - self._away_since >= self.cfg.hold:
                return self._shift(s, t, cue)
        else:
            self._away_since = None
            k = 1.0 - math.exp(-dt / DRIFT)
            self._anchor = [v + k * (si - v) for v, si in zip(self._anchor, s, strict=True)]
        return self._check_static(t)

    def restart(self) -> None:
        """The features no longer mean what they did (a channel left out or back in use, or
        one failing under the sitter): the next frame is a fresh anchor. The still clock and
        a static stretch carry on; nothing here is the sitter moving."""
        self._s = self._anchor = None
        self._moving = False
        self._away_since = None

    def _start(self, x: Sequence[float], t: float) -> None:
        self._s = list(x)
        self._anchor = list(x)
        self._away_since = None
        self._moving = False
        if self.still_since is None:
            self.still_since = t

    def _shift(self, s: list[float], t: float, cue: str) -> Event:
        assert self.still_since is not None
        still_for = t - self.still_since
        was_static = self.static
        self.shifts += 1
        self.static = False
        self._moving = True
        self._ref, self._ref_since = list(s), t
        self._mark, self._shift_at = list(s), t
        self.still_since = t
        self._away_since = None
        data: dict[str, object] = {"cue": cue, "still_for": round(still_for, 1)}
        if was_static:
            data["was_static"] = True
        return Event(t, STILLNESS, Stillness.SHIFT, data)

    def _settling(self, s: list[float], t: float) -> Event | None:
        """After a shift: anchor where the load comes to rest. A sitter who keeps moving (a
        wheelchair driver steering by leaning) gets another shift for every move of a whole
        threshold away from where the last one was counted, at most one per ``settle``; within
        ``settle`` of a shift, such a move is still part of it."""
        assert self._ref is not None and self._mark is not None
        self.still_since = t  # moving is not being still
        far, cue = self._far(s, self._mark)
        if far >= 1.0:
            if t - self._shift_at >= self.cfg.settle:
                return self._shift(s, t, cue)
            self._mark = list(s)  # the same move still going on (a lean and back)
        if self._far(s, self._ref)[0] >= 0.5:
            self._ref, self._ref_since = list(s), t
        elif t - self._ref_since >= self.cfg.settle:
            self._moving = False
            self._anchor = list(s)
        return None

    def _check_static(self, t: float) -> Event | None:
        after = self.cfg.after
        if (after > 0 and not self.static and self.still_since is not None
                and t - self.still_since >= after):
            self.static = True
            return Event(t, STILLNESS, Stillness.STATIC,
                         {"minutes": round((t - self.still_since) / 60, 1)})
        return None

    def still_for(self, t: float) -> float:
        """Seconds since the last real shift (or sitting down); 0 while away."""
        return 0.0 if self.still_since is None else max(0.0, t - self.still_since)

    def reset(self, t: float) -> None:
        """The seat emptied: the still clock stops; sitting down again starts it afresh."""
        self.still_since = None
        self.static = False
        self._s = self._anchor = self._ref = self._mark = None
        self._away_since = None
        self._moving = False
        self._last_t = None
