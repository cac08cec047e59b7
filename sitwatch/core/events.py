"""Events: what the detectors conclude, in the stable JSON-lines contract (docs/events.md)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sitwatch.core.kinds import NUDGE_KINDS, BudgetStage, EventName

# Event names (the contract; extend, never rename): the members of EventName, by their old names.
OCCUPANCY = EventName.OCCUPANCY
POSTURE = EventName.POSTURE
BALANCE = EventName.BALANCE
NUDGE = EventName.NUDGE
SENSOR = EventName.SENSOR
WALLET = EventName.WALLET
BREAK = EventName.BREAK
CALIBRATION = EventName.CALIBRATION
DIAGNOSIS = EventName.DIAGNOSIS
NUDGE_OUTCOME = EventName.NUDGE_OUTCOME
NUDGE_ACK = EventName.NUDGE_ACK
FEEDBACK = EventName.FEEDBACK
SYMPTOM = EventName.SYMPTOM
STILLNESS = EventName.STILLNESS
NOTICE = EventName.NOTICE
SPELL_RESUMED = EventName.SPELL_RESUMED
SCREEN = EventName.SCREEN

__all__ = [
    "BALANCE", "BREAK", "CALIBRATION", "DIAGNOSIS", "FEEDBACK", "NOTICE", "NUDGE", "NUDGE_ACK",
    "NUDGE_KINDS", "NUDGE_OUTCOME", "OCCUPANCY", "POSTURE", "SCREEN", "SENSOR",
    "SPELL_RESUMED", "STILLNESS", "SYMPTOM", "WALLET", "Event", "EventName",
]


@dataclass(frozen=True)
class Event:
    t: float
    event: str
    state: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def as_dict(self, at: datetime | None = None) -> dict[str, Any]:
        """The event's docs/events.md JSON object. ``at``: the wall-clock time it happened,
        which a live channel adds (``t`` is the daemon's monotonic clock, which no other
        process or machine can read as a time of day): see :func:`wall_time`."""
        d: dict[str, Any] = {"t": round(self.t, 3), "event": self.event}
        if self.state is not None:
            d["state"] = self.state
        d.update(self.data)
        if at is not None:
            d["at"] = wall_time(at)
        return d

    def to_json(self, at: datetime | None = None) -> str:
        return json.dumps(self.as_dict(at), ensure_ascii=False, separators=(", ", ": "))

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)


def wall_time(at: datetime) -> str:
    """An event's ``at``: ISO 8601 to the second with the UTC offset
    (``2026-02-03T14:05:09+01:00``), so a reader elsewhere (``sitwatch companion``, a script
    fed by MQTT) can tell how old an event is, whatever its own time zone."""
    return at.isoformat(timespec="seconds")


def is_day_summary(data: Mapping[str, Any]) -> bool:
    """Is this nudge event's ``data`` the day's summary (:attr:`BudgetStage.SUMMARY`)? It goes
    out as a nudge does, but tells the day's figures and asks nothing of the sitter, so the
    reports, the daily cap and its count after a restart leave it out of the nudges."""
    return data.get("stage") == BudgetStage.SUMMARY


def new_way_learned(ev: Event) -> bool:
    """A ``calibration`` / ``learned`` event for a way of sitting upright clear of the backrest
    that sitting just taught (one more than before: the daemon tells the sitter, who may answer
    "Not right")."""
    if ev.event != CALIBRATION or ev.state != "learned":
        return False
    ways, was = ev.get("ways"), ev.get("was")
    return isinstance(ways, int) and isinstance(was, int) and ways > was
