"""Left/right balance (balanced | left | right).

The shift is the largest of three sideways moves relative to the baseline, each scaled by the
mean sideways position of the sensors involved, so 1.0 means the whole load on one side's
sensors whatever the layout:

- the seat's centre of pressure (leaning on one buttock);
- the backrest's, weighted by how much the backrest carries (so a barely touched backrest
  cannot swing it);
- the front half of the seat's, counted at ``threshold / front_threshold`` of its size: a
  crossed leg lifts one thigh off the front of the seat while the sit bones stay level, so the
  whole seat's centre barely moves. Used when the seat has front sensors on both sides.

A side is entered at ``threshold`` and kept down to ``release`` (hysteresis), but only while the
shift stays on that side: past release the other way the lean is over. Sides change directly
(left -> right after the dwell, with no balanced report between) when the new lean passes the
threshold.
"""

from __future__ import annotations

from sitwatch.config import Balance as BalanceCfg
from sitwatch.core.events import BALANCE, Event
from sitwatch.sensing.detectors.baseline import Baseline
from sitwatch.sensing.detectors.dwell import Dwell
from sitwatch.sensing.features import Features

BALANCED, LEFT, RIGHT = "balanced", "left", "right"


def strongest(f: Features, b: Baseline, front_weight: float = 0.0) -> tuple[str, float]:
    """The largest sideways move (seat, back or front), on the threshold's scale, and its cue.
    Straight-line code: it runs on every frame."""
    cue, s = "seat", (f.cop_x - b.f.cop_x) / b.x_scale
    if b.has_back:
        w = min(1.0, f.back_load / b.back_load)
        back = (f.back_x - b.f.back_x) / b.back_x_scale * w
        if abs(back) > abs(s):
            cue, s = "back", back
    if front_weight > 0 and b.has_front and f.front_load > 0:
        front = (f.front_x - b.f.front_x) / b.front_x_scale * front_weight
        if abs(front) > abs(s):
            cue, s = "front", front
    return cue, s


def shift(f: Features, b: Baseline, front_weight: float = 0.0) -> float:
    return strongest(f, b, front_weight)[1]


class BalanceDetector:
    def __init__(self, cfg: BalanceCfg) -> None:
        self.cfg = cfg
        self.d = Dwell(None, cfg.dwell)
        self.shift = 0.0
        self.cue = "seat"
        self.front_weight = cfg.threshold / cfg.front_threshold

    @property
    def state(self) -> str | None:
        return self.d.state

    def step(self, f: Features, b: Baseline, t: float) -> Event | None:
        self.cue, s = strongest(f, b, self.front_weight)
        self.shift = s
        cur = self.d.state
        side = RIGHT if s > 0 else LEFT
        if abs(s) >= self.cfg.threshold:
            cand = side
        elif abs(s) >= self.cfg.release and cur == side:
            cand = cur  # hysteresis: a lean easing off is still that lean...
        else:
            # ...but only on its own side: a shift past release the other way ends it (issue
            # #10: a right lean straight after a left one kept the state "left" throughout)
            cand = BALANCED
        if self.d.step(cand, t):
            return Event(t, BALANCE, cand, {"shift": round(s, 3), "cue": self.cue})
        return None

    def reset(self, t: float) -> None:
        self.d.reset(None, t)
