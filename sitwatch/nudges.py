"""Nudge policy: turns detector states into nudges at the right moment, with per-kind cooldowns.

Kinds (the event contract): prolonged_sitting, slouch (also used for a long forward lean, with
``"posture": "leaning_forward"``), asymmetric_load, wallet.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sitwatch.config import Nudges as NudgesCfg
from sitwatch.events import NUDGE, Event
from sitwatch.guidance import CATALOG


@dataclass
class NudgePolicy:
    cfg: NudgesCfg
    sit_limit: float
    last: dict[str, float] = field(default_factory=dict)
    sent: dict[str, int] = field(default_factory=dict)

    def _ready(self, kind: str, t: float) -> bool:
        last = self.last.get(kind)
        return last is None or t - last >= self.cfg.cooldown.get(kind, 900.0)  # type: ignore[call-overload]

    def _nudge(self, kind: str, t: float, advice_key: str | None = None, **extra: object) -> Event:
        n = self.sent.get(kind, 0)
        self.sent[kind] = n + 1
        self.last[kind] = t
        adv = CATALOG[advice_key or kind]
        title, action = adv.pick(n)
        data = {"kind": kind, "title": title, "message": action, "why": adv.why}
        data.update(extra)
        return Event(t, NUDGE, None, data)

    def step(
        self,
        t: float,
        *,
        spell: float,
        occupied: bool,
        posture: str | None,
        posture_for: float,
        balance: str | None,
        balance_for: float,
        wallet: bool,
    ) -> list[Event]:
        if not self.cfg.enabled or not occupied:
            return []
        out = []
        if spell >= self.sit_limit and self._ready("prolonged_sitting", t):
            out.append(self._nudge("prolonged_sitting", t, minutes=round(spell / 60)))
        if (
            posture in ("slouched", "leaning_forward")
            and posture_for >= self.cfg.slouch_after
            and self._ready("slouch", t)
        ):
            key = "slouch" if posture == "slouched" else "leaning_forward"
            out.append(self._nudge("slouch", t, key, posture=posture))
        if (
            balance in ("left", "right")
            and balance_for >= self.cfg.imbalance_after
            and self._ready("asymmetric_load", t)
        ):
            out.append(self._nudge("asymmetric_load", t, side=balance))
        if wallet and self._ready("wallet", t):
            out.append(self._nudge("wallet", t))
        return out
