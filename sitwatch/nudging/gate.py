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
from sitwatch.core.events import Event, is_day_summary
from sitwatch.core.spans import clock_window, weekdays
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

    def refresh(self) -> None:
        """Read the file again at the next :meth:`get`."""
        ...


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
        #: weekday (0 = Monday) -> its working hours; None: no schedule, nudges at any time
        self.hours: dict[int, list[tuple[int, int]]] | None = None
        if self.cfg.schedule:
            self.hours = {d: [] for d in range(7)}
            for days, windows in self.cfg.schedule.items():
                for d in weekdays(days):
                    self.hours[d] = [clock_window(w, key="schedule") for w in windows]

    def _control(self) -> Control:
        return self.control.get() if self.control is not None else Control()

    def quiet(self, now: datetime) -> bool:
        m = now.hour * 60 + now.minute
        return any(_inside(m, a, b) for a, b in self.spans)

    def hours_of(self, now: datetime) -> list[tuple[int, int]]:
        """The working windows of ``now``'s weekday (none without a schedule)."""
        return [] if self.hours is None else self.hours[now.weekday()]

    def working(self, now: datetime) -> bool:
        """Inside the working hours of ``now``'s weekday (always, without a schedule). A
        window past midnight (22:00-02:00) belongs to the day it starts on."""
        if self.hours is None:
            return True
        m = now.hour * 60 + now.minute
        today, yesterday = now.weekday(), (now.weekday() - 1) % 7
        if any(_inside(m, a, b) and (a <= b or m >= a) for a, b in self.hours[today]):
            return True
        return any(a > b and m < b for a, b in self.hours[yesterday])

    def decide(self, ev: Event) -> Decision:
        now = self.clock.now()
        if now.date() != self.today:
            self.today, self.delivered_today = now.date(), 0
        shut = self._shut(now)
        if shut:
            return Decision(DROP, shut)
        # the day's summary is no nudge: the cap neither drops it nor counts it
        counted = not is_day_summary(ev.data)
        if counted and self.cfg.daily_cap and self.delivered_today >= self.cfg.daily_cap:
            return Decision(DROP, "daily cap reached")
        if self.cfg.dnd.enabled and self.dnd is not None:
            busy, why = self.dnd.active()
            if busy:
                self.held = [h for h in self.held if h.get("kind") != ev.get("kind")] + [ev]
                return Decision(HOLD, why or "do not disturb")
        if counted:
            self.delivered_today += 1
        return Decision(DELIVER)

    def seed(self, day: date, delivered: int) -> None:
        """The nudges already delivered on ``day`` (from the history: a restart carries on the
        day's count toward the daily cap; the day's summary is not among them)."""
        self.today, self.delivered_today = day, delivered

    def _shut(self, now: datetime) -> str:
        """Why no nudge may go out at ``now`` whatever it is ('' when one may)."""
        ctl = self._control()
        if ctl.paused(now):
            return "paused"
        if ctl.snoozed(now):
            return "snoozed"
        if self.quiet(now):
            return "quiet hours"
        if not self.working(now):
            return "outside working hours"
        return ""

    def open_now(self) -> tuple[bool, str]:
        """Would a nudge be shown now (no daily cap counted, nothing held)? For a notice that
        is only worth showing at once (the way of sitting learned just now): (yes, why not)."""
        shut = self._shut(self.clock.now())
        if shut:
            return False, shut
        if self.cfg.dnd.enabled and self.dnd is not None:
            busy, why = self.dnd.active()
            if busy:
                return False, why or "do not disturb"
        return True, ""

    def release(self, still_applies: Callable[[Event], bool],
                at_most: int | None = None) -> list[Event]:
        """Held nudges that may go out now: do-not-disturb is over and they still apply.
        ``at_most``: only so many (the first held first); the others that still apply stay
        held for a later turn (nudges keep their spacing after do-not-disturb too)."""
        if not self.held:
            return []
        t = self.clock.monotonic()
        self.held = [h for h in self.held if t - h.t <= HOLD_AT_MOST]
        if self.dnd is not None and self.dnd.active()[0]:
            return []
        out: list[Event] = []
        later: list[Event] = []
        for h in self.held:
            if not still_applies(h):
                continue
            if at_most is not None and len(out) >= at_most:
                later.append(h)
            elif self.decide_again(h):
                out.append(h)
        self.held = later
        return out

    def decide_again(self, ev: Event) -> bool:
        held, self.held = self.held, []
        try:
            return self.decide(ev).action == DELIVER
        finally:
            self.held = held


def _inside(m: int, a: int, b: int) -> bool:
    """Minute ``m`` of the day inside the window [a, b) (which may wrap past midnight)."""
    return a <= m < b if a <= b else m >= a or m < b
