"""The numbers of the weekly page: seven days with their minute-by-minute timeline, and the
comparison with the week before.

The summaries come from :mod:`sitwatch.history.queries`; this module adds what only the page
shows: every wall minute of a day (all runs added up) with the posture held most of it, the
breaks and long spells as positions on the day's clock, and how this week did against the last.
The charts (:mod:`sitwatch.reports.charts`) draw these; the page
(:mod:`sitwatch.reports.html`) lays them out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo

from sitwatch.core.kinds import Balance, Occupancy, Posture
from sitwatch.history.queries import (
    DaySummary,
    MinuteRow,
    Reader,
    WeekSummary,
    day_bounds,
    days_summaries,
    minutes_between,
    week_days,
)
from sitwatch.reports.words import (
    ALL_POSTURES,
    DEFAULT_SIT_LIMIT,
    fmt_minutes,
    pct,
    per_day,
    posture_heading,
)

# Seconds of a minute that decide how the timeline colours it.
_SEATED_SHARE = 0.5  # seated at least half of the time watched -> coloured by posture
_LOPSIDED_SHARE = 0.5  # weight on one side at least half of the seated time -> marked


@dataclass
class MinuteCell:
    """One wall minute of one day, all runs added up."""

    present: float = 0.0
    occupied: float = 0.0
    cushion: float = 0.0  # of ``occupied``, what the cushion saw (balance is its alone)
    seat_alone: float = 0.0  # of ``occupied``, what a seat alone saw (MinuteRow.seconds_seat_alone)
    recline_unseen: float = 0.0  # of ``occupied``, what no backrest sensor saw (nor reclining)
    posture: dict[Posture, float] = field(default_factory=lambda: dict.fromkeys(ALL_POSTURES, 0.0))
    lopsided: float = 0.0

    def add(self, r: MinuteRow) -> None:
        self.present += r.seconds_present
        self.occupied += r.seconds_occupied
        self.cushion += r.seconds_occupied_cushion
        self.seat_alone += r.seconds_seat_alone
        self.recline_unseen += r.seconds_recline_unseen
        for p in ALL_POSTURES:
            self.posture[p] += r.posture.get(p, 0.0)
        self.lopsided += r.balance.get(Balance.LEFT, 0.0) + r.balance.get(Balance.RIGHT, 0.0)

    @property
    def state(self) -> Posture | Occupancy:
        """EMPTY or the posture held most of the seated time (upright wins a tie)."""
        if self.occupied <= 0 or self.occupied < _SEATED_SHARE * self.present:
            return Occupancy.EMPTY
        return max(ALL_POSTURES, key=lambda p: (self.posture[p], p == Posture.UPRIGHT))

    @property
    def seat_alone_saw(self) -> bool:
        """A seat alone saw most of the minute's sitting: its leaning forward is weight on the
        front of the seat (:data:`sitwatch.core.kinds.WEIGHT_FORWARD`)."""
        return self.occupied > 0 and self.seat_alone >= 0.5 * self.occupied

    @property
    def recline_unseen_most(self) -> bool:
        """Nothing that sees reclining (a backrest sensor) saw most of the minute's sitting:
        its posture is what a seat or a camera saw, which may have been reclining."""
        return self.occupied > 0 and self.recline_unseen >= 0.5 * self.occupied

    @property
    def is_lopsided(self) -> bool:
        """Weight on one side for at least half of the seated time the cushion saw (a camera
        cannot tell, alone or standing in for it)."""
        return self.cushion > 0 and self.lopsided >= _LOPSIDED_SHARE * self.cushion


@dataclass
class Day:
    summary: DaySummary
    minutes: dict[int, MinuteCell]  # minute of the (wall-clock) day -> cell
    breaks: list[tuple[float, float]]  # (from, to) in minutes of the day
    spells: list[tuple[float, float]]  # (from, to) in minutes of the day, past the sit limit
    future: bool = False  # after the day the report was made

    @property
    def missing(self) -> str:
        """What an empty day says."""
        return "not yet" if self.future else "no data"

    @property
    def day(self) -> date:
        return self.summary.day

    @property
    def has_data(self) -> bool:
        return self.summary.has_data

    @property
    def label(self) -> str:
        return f"{self.day:%a} {self.day.day}"


def wall_minutes(dt: datetime, day: date, tz: tzinfo) -> float:
    """Minutes from the start of ``day`` on the wall clock of ``tz`` (DST days keep their
    clock positions; a time on another day is counted from that day's distance)."""
    local = dt.astimezone(tz)
    return (local.date() - day).days * 1440 + local.hour * 60 + local.minute + local.second / 60


def collect_days(store: Reader, week_ending: date, tz: tzinfo,
                 sit_limit: float = DEFAULT_SIT_LIMIT, today: date | None = None) -> list[Day]:
    """The seven days ending on ``week_ending``: summaries plus what the timeline needs.
    Days after ``today`` are marked as not there yet."""
    days = week_days(week_ending)
    start, _ = day_bounds(days[0], tz)
    _, end = day_bounds(days[-1], tz)
    cells: dict[date, dict[int, MinuteCell]] = {d: {} for d in days}
    for row in minutes_between(store, start, end):
        local = row.minute.astimezone(tz)
        by_minute = cells.setdefault(local.date(), {})
        by_minute.setdefault(local.hour * 60 + local.minute, MinuteCell()).add(row)
    out = []
    limit_min = sit_limit / 60
    for d, s in zip(days, days_summaries(store, days[0], days[-1], tz), strict=True):
        breaks = []
        for b in s.break_rows:
            if b.seconds > 0:
                back = wall_minutes(b.end, d, tz)
                breaks.append((max(0.0, back - b.seconds / 60), back))
        spells = [(a, a + sp.minutes) for a, sp in
                  ((wall_minutes(sp.start, d, tz), sp) for sp in s.spells)
                  if sp.minutes > limit_min]
        future = today is not None and d > today and not s.has_data
        out.append(Day(s, cells.get(d, {}), breaks, spells, future))
    return out


# -- comparison with the previous week ------------------------------------------------------

@dataclass(frozen=True)
class Change:
    label: str
    value: str
    text: str  # "12 percentage points more than last week (70%)"
    tone: str  # better | worse | same
    arrow: str  # ▲ ▼ or =


def _change(label: str, value: str, now: float, before: float, *, better: str,
            diff: Callable[[float], str], shown: Callable[[float], str], same_within: float,
            more: str, less: str) -> Change:
    """``diff`` formats the difference, ``shown`` last week's value."""
    d = now - before
    if abs(d) < same_within or shown(now) == shown(before):
        # the same as far as the page shows it ("79%" both weeks is not "1 point more")
        return Change(label, value, f"about the same as last week ({shown(before)})", "same",
                      "=")
    up = d > 0
    return Change(label, value, f"{diff(abs(d))} {more if up else less} than last week "
                                f"({shown(before)})",
                  "better" if up == (better == "up") else "worse", "▲" if up else "▼")


def _points(x: float) -> str:
    n = round(x * 100)
    return f"{n} percentage point{'s' if n != 1 else ''}"


def compare(cur: WeekSummary, prev: WeekSummary) -> list[Change]:
    """This week against the previous one: upright share, sitting and breaks per day with
    data, the longest spell and the share of nudges acted on."""
    up_now = cur.upright_share
    up_before = prev.upright_share
    out = [
        _change(posture_heading(Posture.UPRIGHT), pct(up_now) + " of sitting time", up_now,
                up_before, better="up", diff=_points, shown=pct, same_within=0.005,
                more="more upright", less="less upright"),
        _change("Sitting a day", fmt_minutes(cur.sitting_per_day), cur.sitting_per_day,
                prev.sitting_per_day, better="down", diff=fmt_minutes, shown=fmt_minutes,
                same_within=0.5, more="more", less="less"),
        _change("Longest spell", fmt_minutes(cur.longest_spell_minutes),
                cur.longest_spell_minutes, prev.longest_spell_minutes, better="down",
                diff=fmt_minutes, shown=fmt_minutes, same_within=0.5, more="longer",
                less="shorter"),
        _change("Breaks a day", per_day(cur.breaks_per_day), cur.breaks_per_day,
                prev.breaks_per_day, better="up", diff=per_day, shown=per_day,
                same_within=0.05, more="more", less="fewer"),
    ]
    if cur.nudges_measured and prev.nudges_measured:
        a = cur.nudges_acted / cur.nudges_measured
        b = prev.nudges_acted / prev.nudges_measured
        out.append(_change("Nudges acted on", pct(a), a, b, better="up", diff=_points,
                           shown=pct, same_within=0.005, more="more", less="less"))
    return out


def headline_change(changes: list[Change]) -> str | None:
    """The upright comparison as one short phrase for the top of the page."""
    if not changes:
        return None
    up = changes[0]
    if up.tone == "same":
        return "About as upright as last week"
    points = up.text.split(" ", 1)[0]
    return f"{points}% {'more' if up.arrow == '▲' else 'less'} upright than last week"
