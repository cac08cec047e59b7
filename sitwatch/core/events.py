"""Events: what the detectors conclude, in the stable JSON-lines contract (docs/events.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

# Event names and their states (the contract; extend, never rename).
OCCUPANCY = "occupancy"  # state: occupied | empty
POSTURE = "posture"  # state: upright | slouched | leaning_forward | reclined ; source
BALANCE = "balance"  # state: balanced | left | right
NUDGE = "nudge"  # kind, message, title, why
SENSOR = "sensor"  # state: online | offline ; reason
WALLET = "wallet"  # state: suspected | clear ; side
BREAK = "break"  # a finished break: duration (s), the sitting spell before it: spell (s)
CALIBRATION = "calibration"  # state: tare | baseline ; method
DIAGNOSIS = "diagnosis"  # message: why no valid frame arrives
NUDGE_OUTCOME = "nudge_outcome"  # kind, responded (bool), after (s): did the sitter act on it
NUDGE_ACK = "nudge_ack"  # kind, action: done | snooze (a button on the notification)

NUDGE_KINDS = ("prolonged_sitting", "slouch", "asymmetric_load", "wallet")


@dataclass(frozen=True)
class Event:
    t: float
    event: str
    state: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"t": round(self.t, 3), "event": self.event}
        if self.state is not None:
            d["state"] = self.state
        d.update(self.data)
        return d

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False, separators=(", ", ": "))

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)
