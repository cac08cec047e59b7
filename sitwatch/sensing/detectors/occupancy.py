"""Occupancy (occupied | empty) with hysteresis and dwell, and the sitting-spell timer."""

from __future__ import annotations

from sitwatch.config import Occupancy as OccupancyCfg
from sitwatch.core.events import BREAK, OCCUPANCY, Event
from sitwatch.sensing.detectors.dwell import Dwell

OCCUPIED, EMPTY = "occupied", "empty"


class OccupancyDetector:
    """``ratio`` is the seat load as a share of the sitter's upright seat load."""

    def __init__(self, cfg: OccupancyCfg) -> None:
        self.cfg = cfg
        self.d = Dwell(None, {OCCUPIED: cfg.enter_dwell, EMPTY: cfg.exit_dwell})

    @property
    def state(self) -> str | None:
        return self.d.state

    def step(self, ratio: float, t: float) -> Event | None:
        cur = self.d.state
        if ratio >= self.cfg.enter_fraction:
            cand = OCCUPIED
        elif ratio < self.cfg.exit_fraction:
            cand = EMPTY
        else:
            cand = cur if cur is not None else EMPTY
        if self.d.step(cand, t):
            return Event(t, OCCUPANCY, cand)
        return None

    def force(self, state: str, t: float) -> None:
        """Take ``state`` as decided now (another sensor decided it: fusion rule O2)."""
        self.d.reset(state, t)


class SittingTimer:
    """Continuous sitting, where absences shorter than ``min_break`` do not count as a break."""

    def __init__(self, min_break: float) -> None:
        self.min_break = min_break
        self.spell_start: float | None = None  # start of the current sitting spell
        self.left_at: float | None = None  # when the seat emptied, during an absence
        self.breaks = 0

    def sit(self, t: float) -> Event | None:
        ev = None
        if self.left_at is not None and self.spell_start is not None:
            away = t - self.left_at
            if away >= self.min_break:
                ev = Event(
                    t,
                    BREAK,
                    None,
                    {
                        "duration": round(away, 1),
                        "spell": round(self.left_at - self.spell_start, 1),
                    },
                )
                self.spell_start = t
                self.breaks += 1
        if self.spell_start is None:
            self.spell_start = t
        self.left_at = None
        return ev

    def leave(self, t: float) -> None:
        if self.left_at is None:  # an absence already under way (a suspend) keeps its start
            self.left_at = t

    def suspended(self, t: float, seconds: float) -> None:
        """The machine slept ``seconds`` just before ``t`` (monotonic time, which stood still).

        Nobody sits at a sleeping computer, so when the seat was empty at ``t`` (the caller
        empties it after a long suspend) the sleep is part of the absence: the absence and the
        spell before it are moved back by ``seconds``, and coming back is a break when the whole
        absence reached ``min_break``. A short suspend while seated is left alone: the spell
        goes on and the sleep is not counted in it."""
        if self.spell_start is None or self.left_at is None:
            return
        self.left_at -= seconds
        self.spell_start -= seconds

    def spell(self, t: float) -> float:
        """Seconds of the current spell (0 during a real break)."""
        if self.spell_start is None:
            return 0.0
        if self.left_at is not None and t - self.left_at >= self.min_break:
            return 0.0
        end = self.left_at if self.left_at is not None else t
        return max(0.0, end - self.spell_start)

    def on_break(self, t: float) -> bool:
        return self.left_at is not None and t - self.left_at >= self.min_break
