"""The nudge gate: wall-clock rules between the policy and the sinks.

For each nudge the policy wants to send, the gate decides: deliver it now, hold it (do not
disturb: the screen is locked, a window is fullscreen, a call seems to be on) and deliver it
afterwards if it still applies, or drop it (snoozed, paused, quiet hours, the daily cap).
Dropped and held nudges are still recorded in the history, marked as such.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Protocol

from sitwatch.config import Nudges as NudgesCfg
from sitwatch.core.clock import Clock
from sitwatch.core.events import Event
from sitwatch.core.spans import clock_window
from sitwatch.nudging.control import Control

HOLD_AT_MOST = 900.0  # seconds a held nudge stays worth delivering

DELIVER, HOLD, DROP = "deliver", "hold", "drop"


class DoNotDisturb(Protocol):
    def active(self) -> tuple[bool, str]: ...


class ControlSource(Protocol):
    """The control file (snooze, pause), re-read when it changes:
    :class:`sitwatch.nudging.control.Watcher`."""

    path: Path

    def get(self) -> Control: ...


@dataclass
class Decision:
    action: str
    reason: str = ""


@dataclass
class NudgeGate:
    cfg: NudgesCfg
    clock: Clock
    dnd: DoNotDisturb | None = None
    control: ControlSource | None = None
    held: list[Event] = field(default_factory=list)
    today: date | None = None
    delivered_today: int = 0

    def __post_init__(self) -> None:
        self.spans = [clock_window(s) for s in self.cfg.quiet_hours]

    def _control(self) -> Control:
        return self.control.get() if self.control is not None else Control()

    def quiet(self, now: datetime) -> bool:
        m = now.hour * 60 + now.minute
        return any(a <= m < b if a <= b else m >= a or m < b for a, b in self.spans)

    def decide(self, ev: Event) -> Decision:
        now = self.clock.now()
        if now.date() != self.today:
            self.today, self.delivered_today = now.date(), 0
        ctl = self._control()
        if ctl.paused(now):
            return Decision(DROP, "paused")
        if ctl.snoozed(now):
            return Decision(DROP, "snoozed")
        if self.quiet(now):
            return Decision(DROP, "quiet hours")
        if self.cfg.daily_cap and self.delivered_today >= self.cfg.daily_cap:
            return Decision(DROP, "daily cap reached")
        if self.cfg.dnd.enabled and self.dnd is not None:
            busy, why = self.dnd.active()
            if busy:
                self.held = [h for h in self.held if h.get("kind") != ev.get("kind")] + [ev]
                return Decision(HOLD, why or "do not disturb")
        self.delivered_today += 1
        return Decision(DELIVER)

    def release(self, still_applies: Callable[[Event], bool]) -> list[Event]:
        """Held nudges that may go out now: do-not-disturb is over and they still apply."""
        if not self.held:
            return []
        t = self.clock.monotonic()
        self.held = [h for h in self.held if t - h.t <= HOLD_AT_MOST]
        if self.dnd is not None and self.dnd.active()[0]:
            return []
        out = []
        for h in self.held:
            if still_applies(h) and self.decide_again(h):
                out.append(h)
        self.held = []
        return out

    def decide_again(self, ev: Event) -> bool:
        held, self.held = self.held, []
        try:
            return self.decide(ev).action == DELIVER
        finally:
            self.held = held
