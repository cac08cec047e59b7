"""The daily sitting budget: a nudge as the day's sitting nears ``nudges.daily_budget_hours``,
another when it is used up, and a short summary of the day at its end.

Pure and clock-free like the policy: every call carries the monotonic time and the local date
(the nudger reads them from the gate's clock). A gap longer than :data:`MAX_DT` between two
looks (a suspend, a paused daemon) is not counted as sitting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sitwatch.core.kinds import BudgetStage

MAX_DT = 5.0
NEAR, REACHED, SUMMARY = BudgetStage.NEAR, BudgetStage.REACHED, BudgetStage.SUMMARY


@dataclass
class DailyBudget:
    budget: float  # seconds of sitting in a day; 0: no budget
    warn_before: float  # seconds before the budget for the first nudge
    day: date | None = None
    seated: float = 0.0  # seconds seated today
    longest: float = 0.0  # the day's longest sitting spell, seconds
    warned: bool = False
    reached: bool = False
    summarised: bool = False
    _last: float | None = None

    def seed(self, day: date, seated: float, *, longest: float = 0.0,
             summarised: bool = False) -> None:
        """Start from what the history already holds for today (a restart mid-day): the time
        seated, the longest spell, and whether the day's summary has gone out (it is once a
        day: a restart after its time sent it again)."""
        self._new_day(day)
        self.seated = max(0.0, seated)
        self.longest = max(0.0, longest)
        self.summarised = summarised
        self.warned = self.budget > 0 and self.seated >= self.budget - self.warn_before
        self.reached = self.budget > 0 and self.seated >= self.budget

    def _new_day(self, day: date) -> None:
        self.day, self.seated, self.longest = day, 0.0, 0.0
        self.warned = self.reached = self.summarised = False

    def step(self, t: float, day: date, *, occupied: bool, spell: float,
             may_nudge: bool = True) -> str | None:
        """Count the time since the last look; NEAR or REACHED when a threshold is crossed
        while seated, else None. ``may_nudge`` False (another nudge went out moments ago: the
        spacing): the time is counted and a threshold crossed waits for a later look."""
        if day != self.day:
            self._new_day(day)
        if self._last is not None and occupied:
            self.seated += min(max(0.0, t - self._last), MAX_DT)
        self._last = t
        if occupied:
            self.longest = max(self.longest, spell)
        if self.budget <= 0 or not occupied or not may_nudge:
            return None
        if not self.reached and self.seated >= self.budget:
            self.reached = self.warned = True
            return REACHED
        if not self.warned and self.seated >= self.budget - self.warn_before:
            self.warned = True
            return NEAR
        return None

    def summary_due(self, minute_of_day: int, at: int | None) -> bool:
        """True once a day, at the first look from minute ``at`` on (when the day had any
        sitting)."""
        if at is None or self.summarised or minute_of_day < at or self.seated < 60:
            return False
        self.summarised = True
        return True
