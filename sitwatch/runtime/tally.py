"""Running totals of a session (time per state, nudges, breaks) for summaries."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sitwatch.core.events import Event
from sitwatch.core.kinds import Balance, EventName, Posture
from sitwatch.sensing.snapshot import Snapshot


@dataclass
class Tally:
    seconds: float = 0.0
    occupied: float = 0.0
    posture: dict[str, float] = field(default_factory=dict)
    balance: dict[str, float] = field(default_factory=dict)
    nudges: Counter[str] = field(default_factory=Counter)
    #: nudges the gate kept back (the daily cap, quiet hours ...), by why
    not_sent: Counter[str] = field(default_factory=Counter)
    breaks: int = 0
    longest_spell: float = 0.0
    offline: float = 0.0
    frames: int = 0
    _last: float | None = None

    def frame(self, snap: Snapshot) -> None:
        """One frame's worth of time, in the state ``snap`` shows (at ``snap.t``)."""
        t = snap.t
        self.frames += 1
        if self._last is not None:
            dt = min(max(t - self._last, 0.0), 5.0)
            self.seconds += dt
            if snap.occupied:
                self.occupied += dt
                p = snap.posture.value if snap.posture else Posture.UNKNOWN.value
                b = snap.balance.value if snap.balance else "unknown"  # no Balance member
                self.posture[p] = self.posture.get(p, 0.0) + dt
                self.balance[b] = self.balance.get(b, 0.0) + dt
            self.longest_spell = max(self.longest_spell, snap.spell)
        self._last = t

    def gap(self, seconds: float) -> None:
        self.offline += seconds

    def event(self, ev: Event) -> None:
        if ev.event == EventName.NUDGE and not ev.get("delivered", True):
            self.not_sent[str(ev.get("dropped") or ev.get("held") or "not sent")] += 1
        elif ev.event == EventName.NUDGE:
            self.nudges[str(ev.get("kind"))] += 1
        elif ev.event == EventName.BREAK:
            self.breaks += 1
            self.longest_spell = max(self.longest_spell, float(ev.get("spell", 0.0)))

    def as_dict(self) -> dict[str, Any]:
        return {
            "seconds": round(self.seconds, 1),
            "occupied_seconds": round(self.occupied, 1),
            "posture_seconds": {k: round(v, 1) for k, v in sorted(self.posture.items())},
            "balance_seconds": {k: round(v, 1) for k, v in sorted(self.balance.items())},
            "nudges": dict(sorted(self.nudges.items())),
            "nudges_not_sent": dict(sorted(self.not_sent.items())),
            "breaks": self.breaks,
            "longest_spell_seconds": round(self.longest_spell, 1),
            "frames": self.frames,
        }

    def text(self) -> str:
        def hm(s: float) -> str:
            m = round(s / 60)
            return f"{m // 60} h {m % 60:02d} min" if m >= 60 else f"{m} min"

        occ = self.occupied or 1e-9
        lines = [
            f"Time watched      {hm(self.seconds)}",
            f"Time seated       {hm(self.occupied)}",
            f"Longest spell     {hm(self.longest_spell)}"
            # a spell goes on through absences shorter than a break, which "seated" leaves out
            + (" (short absences in it included)" if self.longest_spell > self.occupied + 30
               else ""),
            f"Real breaks       {self.breaks}",
        ]
        if self.posture:
            shares = ", ".join(
                f"{k.replace('_', ' ')} {100 * v / occ:.0f}%"
                for k, v in sorted(self.posture.items(), key=lambda kv: -kv[1])
                if v / occ >= 0.005
            )
            lines.append(f"Posture           {shares}")
        if self.balance:
            lop = self.balance.get(Balance.LEFT, 0) + self.balance.get(Balance.RIGHT, 0)
            lines.append(f"Lopsided          {hm(lop)} ({100 * lop / occ:.0f}% of seated time)")
        if self.nudges:
            lines.append(
                "Nudges            "
                + ", ".join(f"{k.replace('_', ' ')} x{v}" for k, v in sorted(self.nudges.items()))
            )
        else:
            lines.append("Nudges            none")
        if self.not_sent:
            lines.append("Not sent          " + ", ".join(
                f"{v} ({k})" for k, v in sorted(self.not_sent.items())))
        return "\n".join(lines)
