"""Seat posture (upright | slouched | leaning_forward | reclined), relative to the baseline.

The rules, in order (all shares relative to the sitter's upright baseline):

- slouched: the rear of the seat loses most of its share of the load (the pelvis slides forward
  and the sitter rests on the lower back): ``rear_share < slouch_rear_ratio x baseline`` and
  the seat's centre of pressure moves forward by ``slouch_shift``;
- reclined: the backrest carries much more than upright, or its load moves down the backrest,
  while the rear of the seat stays loaded;
- leaning_forward: the backrest is (nearly) unloaded and either the seat's centre of pressure
  moves forward or the chair carries much less than upright (weight on the desk or feet);
- on a seat without backrest sensors, a large forward move with the weight kept on the seat and
  the rear of the seat unloading is a slump, a smaller forward move a lean (at twice
  ``forward_shift``, in units of the seat sensors' spread); reclining cannot be seen;
- otherwise upright.
"""

from __future__ import annotations

from sitwatch.config import Posture as PostureCfg
from sitwatch.core.events import POSTURE, Event
from sitwatch.sensing.detectors.baseline import Baseline
from sitwatch.sensing.detectors.dwell import Dwell
from sitwatch.sensing.features import Features

UPRIGHT, SLOUCHED, FORWARD, RECLINED = "upright", "slouched", "leaning_forward", "reclined"
SEAT_ONLY_SLUMP = 0.55  # forward move of the centre of pressure, in seat-sensor spreads
POSTURES = (UPRIGHT, SLOUCHED, FORWARD, RECLINED)


def classify(f: Features, b: Baseline, cfg: PostureCfg) -> str:
    bf = b.f
    rear_ratio = f.rear_share / bf.rear_share if bf.rear_share > 0.02 else 1.0
    dy = f.cop_y - bf.cop_y
    if rear_ratio < cfg.slouch_rear_ratio and dy >= cfg.slouch_shift:
        return SLOUCHED
    if b.has_back:
        back_ratio = f.back_load / b.back_load
        if back_ratio >= cfg.recline_back_ratio:
            return RECLINED
        if back_ratio > 0.5 and bf.back_y - f.back_y >= cfg.recline_back_drop:
            return RECLINED
        if back_ratio < cfg.forward_back_ratio and (
            dy >= cfg.forward_shift or f.total / b.total < cfg.forward_load_ratio
        ):
            return FORWARD
    else:
        # Seat only: no backrest to tell a slump from a lean, so the size of the forward move
        # (in units of the sensors' own spread) and where the weight goes decide. A slump slides
        # the pelvis far forward and keeps the weight on the seat; a forward lean moves the
        # centre less and hands part of the weight to the desk and the feet.
        dyn = dy / b.y_scale
        if (
            rear_ratio < 1.5 * cfg.slouch_rear_ratio
            and dyn >= SEAT_ONLY_SLUMP
            and f.seat_load / b.seat_load >= 0.8
        ):
            return SLOUCHED
        if dyn >= 2 * cfg.forward_shift:
            return FORWARD
    return UPRIGHT


class PostureDetector:
    def __init__(self, cfg: PostureCfg, source: str = "cushion") -> None:
        self.cfg = cfg
        self.source = source
        self.d = Dwell(None, cfg.dwell)

    @property
    def state(self) -> str | None:
        return self.d.state

    def step(self, f: Features, b: Baseline, t: float) -> Event | None:
        if self.d.step(classify(f, b, self.cfg), t):
            return Event(t, POSTURE, self.d.state, {"source": self.source})
        return None

    def reset(self, t: float) -> None:
        self.d.reset(None, t)
