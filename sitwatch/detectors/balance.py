"""Left/right balance (balanced | left | right).

The shift is the larger of two sideways moves relative to the baseline: the seat's centre of
pressure, and the backrest's (weighted by how much the backrest carries, so a barely touched
backrest cannot swing it). Each is scaled by the mean sideways position of the sensors, so 1.0
means the whole load on one side's sensors whatever the layout.
"""

from __future__ import annotations

from sitwatch.config import Balance as BalanceCfg
from sitwatch.detectors.baseline import Baseline
from sitwatch.detectors.dwell import Dwell
from sitwatch.events import BALANCE, Event
from sitwatch.features import Features

BALANCED, LEFT, RIGHT = "balanced", "left", "right"


def shift(f: Features, b: Baseline) -> float:
    seat = (f.cop_x - b.f.cop_x) / b.x_scale
    if not b.has_back:
        return seat
    w = min(1.0, f.back_load / b.back_load)
    back = (f.back_x - b.f.back_x) / b.back_x_scale * w
    return back if abs(back) > abs(seat) else seat


class BalanceDetector:
    def __init__(self, cfg: BalanceCfg) -> None:
        self.cfg = cfg
        self.d = Dwell(None, cfg.dwell)
        self.shift = 0.0

    @property
    def state(self) -> str | None:
        return self.d.state

    def step(self, f: Features, b: Baseline, t: float) -> Event | None:
        s = self.shift = shift(f, b)
        cur = self.d.state
        if abs(s) >= self.cfg.threshold:
            cand = RIGHT if s > 0 else LEFT
        elif abs(s) < self.cfg.release or cur is None:
            cand = BALANCED
        else:
            cand = cur
        if self.d.step(cand, t):
            return Event(t, BALANCE, cand, {"shift": round(s, 3)})
        return None

    def reset(self, t: float) -> None:
        self.d.reset(None, t)
