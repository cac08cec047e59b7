"""Reports of any period (a day, a week, a month) as data: the JSON, CSV and Markdown exports
of ``sitwatch report``, the month's text, and the period names people type.

The numbers come from :mod:`sitwatch.history.queries` (``days_summaries`` reads a month or a
year in one pass); the field names are the contract documented in ``docs/reports.md``. Breaks by
length and sitting debt (issue #13) are here too: a break is an absence of at least
``detect.occupancy.min_break`` (the history only records those), and sitting debt is the time
spells ran past ``detect.sit_limit``.
"""

from __future__ import annotations

import csv
import io
import json
import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from itertools import pairwise
from typing import Any

from sitwatch.core.kinds import Posture
from sitwatch.history.queries import (
    BREAK_EDGES,
    DaySummary,
    Reader,
    WeekSummary,
    days_summaries,
)
from sitwatch.history.schema import POSTURE_COLUMNS
from sitwatch.reports.words import (
    DEFAULT_SIT_LIMIT,
    cushion_part,
    fmt_limit,
    fmt_minutes,
    lopsided_text,
    no_sitting_day_text,
    no_sitting_rows,
    no_sitting_text,
    nudge_times_text,
    offline_rows,
    offline_texts,
    pct,
    plural,
    posture_shares_text,
    shifts_text,
    suggestions,
    watched_empty_text,
)

SCHEMA = "sitwatch-report/1"


class PeriodError(ValueError):
    """A period name that cannot be read; the message says what to write instead."""


#: The years a report can be about: a history starts at the earliest with the Unix epoch (a
#: Raspberry Pi's clock before its first sync), and a report reaches a little past its period
#: (the week before, the month after), which the calendar must still hold.
YEARS = (1970, 9998)


def check_day(day: date, what: str = "") -> date:
    """``day``, or :class:`PeriodError` when it lies outside :data:`YEARS`."""
    if not YEARS[0] <= day.year <= YEARS[1]:
        raise PeriodError(f"{what or day.isoformat()}: reports cover the years {YEARS[0]} to "
                          f"{YEARS[1]}")
    return day


# -- periods ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    """Local days ``first`` .. ``last`` (both included), and what to call them."""

    kind: str  # day | week | month
    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def name(self) -> str:
        """The short name people type back: 2026-11-23, 2026-W47 (ISO week), 2026-11."""
        if self.kind == "month":
            return f"{self.first:%Y-%m}"
        if self.kind == "week" and self.first.weekday() == 0 and self.days == 7:
            y, w, _ = self.first.isocalendar()
            return f"{y}-W{w:02d}"
        if self.kind == "week":
            return f"{self.first}..{self.last}"
        return self.first.isoformat()

    @property
    def title(self) -> str:
        if self.kind == "month":
            return f"{self.first:%B %Y}"
        if self.kind == "day":
            return f"{self.first:%A} {self.first.day} {self.first:%B %Y}"
        a, b = self.first, self.last
        return f"{a:%a} {a.day} {a:%b} – {b:%a} {b.day} {b:%b %Y}"

    def previous(self) -> Period:
        if self.kind == "month":
            return month_period(self.first - timedelta(days=1))
        return Period(self.kind, self.first - timedelta(days=self.days),
                      self.first - timedelta(days=1))


def month_period(day: date) -> Period:
    """The calendar month ``day`` is in."""
    first = day.replace(day=1)
    nxt = (first + timedelta(days=32)).replace(day=1)
    return Period("month", first, nxt - timedelta(days=1))


def week_ending(day: date) -> Period:
    """The seven days ending on ``day`` (the weekly report's week)."""
    return Period("week", day - timedelta(days=6), day)


_WEEK = re.compile(r"(\d{4})-?W(\d{1,2})", re.IGNORECASE)
_MONTH = re.compile(r"(\d{4})-(\d{1,2})")


def last_week_over(day: date) -> Period:
    """The last ISO week that is over by ``day``'s evening: ``day``'s own week on a Sunday, the
    week before on any other day (the weekly timer runs on Sunday evening, or at the next
    start when the computer was off then: the same week either way)."""
    sunday = day - timedelta(days=(day.isoweekday() % 7))
    return Period("week", sunday - timedelta(days=6), sunday)


def parse_week(text: str, day: date | None = None) -> Period:
    """``2026-W47`` (an ISO week, Monday to Sunday), or ``last``: :func:`last_week_over`
    ``day`` (default today)."""
    if text.strip().lower() == "last":
        return last_week_over(day or date.today())
    m = _WEEK.fullmatch(text.strip())
    if m is None:
        raise PeriodError(f"{text!r} is not a week: write it as an ISO week, e.g. 2026-W47, "
                          "or last (the last week that is over)")
    year, week = int(m[1]), int(m[2])
    try:
        monday = date.fromisocalendar(year, week, 1)
    except ValueError:
        raise PeriodError(f"{text!r}: {year} has no week {week} (ISO weeks run from 1 to 52 "
                          "or 53)") from None
    check_day(monday, repr(text))
    return Period("week", monday, monday + timedelta(days=6))


def parse_month(text: str) -> Period:
    """``2026-11``."""
    m = _MONTH.fullmatch(text.strip())
    if m is None or not 1 <= int(m[2]) <= 12 or int(m[1]) < 1:
        raise PeriodError(f"{text!r} is not a month: write YYYY-MM, e.g. 2026-11")
    return month_period(check_day(date(int(m[1]), int(m[2]), 1), repr(text)))


# -- breaks by length and sitting debt -----------------------------------------------------------

def break_classes() -> list[str]:
    """Words for the length classes of :data:`BREAK_EDGES`: under 5 min, 5–15 min, ..."""
    e = [fmt_minutes(x) for x in BREAK_EDGES]
    out = [f"under {e[0]}"]
    out += [f"{a.split(' ')[0]}–{b}" for a, b in pairwise(e)]
    out.append(f"{e[-1]} or more")
    return out


def _class_keys() -> list[str]:
    edges = [f"{x:g}" for x in BREAK_EDGES]
    return [f"under_{edges[0]}", *(f"{a}_{b}" for a, b in pairwise(edges)),
            f"{edges[-1]}_plus"]


def breaks_text(counts: Sequence[int]) -> str:
    """``3 under 5 min · 6 of 5–15 min · 1 of 30 min or more`` (empty classes left out)."""
    if not sum(counts):
        return "none"
    parts = []
    for n, name in zip(counts, break_classes(), strict=True):
        if n:
            parts.append(f"{n} {name}" if name.startswith("under") else f"{n} of {name}")
    return " · ".join(parts)


def debt_text(debt: float, over: int, sit_limit: float) -> str:
    if over == 0:
        return f"none: no spell ran past {fmt_limit(sit_limit)}"
    return (f"{fmt_minutes(debt)} past your {fmt_limit(sit_limit)} limit, "
            f"over {plural(over, 'spell')}")


# -- as data --------------------------------------------------------------------------------------

def _r(x: float) -> float:
    return round(x, 1)


def _share_key(p: Posture) -> str:
    return str(p)


def _lopsided(minutes: float, measured: bool) -> float | None:
    """Lopsided minutes, or None (not known) when no balance was measured (a camera alone)."""
    return _r(minutes) if measured else None


def _shifts(s: DaySummary | WeekSummary) -> dict[str, Any]:
    """The weight shifts (cushion only, as the balance): their count, the stretches without
    one for too long, and the shifts per hour of the sitting the cushion saw; null where not
    measured (only a camera saw the sitting; for the rate, less than a minute of cushion)."""
    rate = s.shifts_per_hour
    return {
        "weight_shifts": s.weight_shifts if s.shifts_measured else None,
        "static_stretches": s.static_stretches if s.shifts_measured else None,
        "weight_shifts_per_hour": _r(rate) if rate is not None else None,
    }


def day_record(d: DaySummary, sit_limit: float) -> dict[str, Any]:
    """One day's documented fields (docs/reports.md)."""
    at = d.longest_spell_start
    return {
        "date": d.day.isoformat(),
        "has_data": d.has_data,
        "sitting_minutes": _r(d.sitting_minutes),
        "watched_minutes": _r(d.present_minutes),
        "longest_spell_minutes": _r(d.longest_spell_minutes),
        "longest_spell_start": at.isoformat(timespec="seconds") if at is not None else None,
        "breaks": d.breaks,
        "break_minutes": _r(d.break_minutes),
        "breaks_by_length": dict(zip(_class_keys(), d.break_lengths, strict=True)),
        "spells_over_limit": d.spells_over(sit_limit),
        "sitting_debt_minutes": _r(d.sitting_debt(sit_limit)),
        "posture_share": _posture_share(d.posture_shares),
        "recline_unseen_minutes": _r(d.recline_unseen_minutes),
        "weight_forward_minutes": _r(d.weight_forward_minutes),
        "cushion_minutes": _r(d.cushion_minutes),
        "lopsided_left_minutes": _lopsided(d.lopsided_left_minutes, d.balance_measured),
        "lopsided_right_minutes": _lopsided(d.lopsided_right_minutes, d.balance_measured),
        **_shifts(d),
        "nudges": d.nudges_total,
        "nudges_acted": d.nudges_acted,
        "nudges_followed_up": d.nudges_measured,
        "wallet_suspected": d.wallet_suspected,
        "sensor_offline_minutes": _r(d.sensor_offline_minutes),
        "camera_offline_minutes": _r(d.camera_offline_minutes),
    }


def _posture_share(shares: Mapping[Posture, float | None]) -> dict[str, float | None]:
    """Per posture its share, null for one no sensor could see (reclining without backrest
    sensors: not 0)."""
    return {_share_key(p): None if v is None else round(v, 4) for p, v in shares.items()}


def totals_record(w: WeekSummary, sit_limit: float) -> dict[str, Any]:
    return {
        "days_with_data": w.active_days,
        "days_sat": w.days_sat,
        "sitting_minutes": _r(w.sitting_minutes),
        "sitting_minutes_per_day": _r(w.sitting_per_day),
        "watched_minutes": _r(sum(d.present_minutes for d in w.days)),
        "longest_spell_minutes": _r(w.longest_spell_minutes),
        "longest_spell_start": (w.longest_spell_start.isoformat(timespec="seconds")
                                if w.longest_spell_start is not None else None),
        "breaks": w.breaks,
        "break_minutes": _r(sum(d.break_minutes for d in w.days)),
        "breaks_by_length": dict(zip(_class_keys(), w.break_lengths, strict=True)),
        "spells_over_limit": w.spells_over(sit_limit),
        "sitting_debt_minutes": _r(w.sitting_debt(sit_limit)),
        "posture_share": _posture_share(w.posture_shares),
        "recline_unseen_minutes": _r(w.recline_unseen_minutes),
        "weight_forward_minutes": _r(w.weight_forward_minutes),
        "cushion_minutes": _r(w.cushion_minutes),
        "lopsided_left_minutes": _lopsided(w.lopsided_left_minutes, w.balance_measured),
        "lopsided_right_minutes": _lopsided(w.lopsided_right_minutes, w.balance_measured),
        **_shifts(w),
        "nudges": w.nudges_total,
        "nudges_acted": w.nudges_acted,
        "nudges_followed_up": w.nudges_measured,
        "wallet_suspected": sum(d.wallet_suspected for d in w.days),
        "sensor_offline_minutes": _r(w.sensor_offline_minutes),
        "camera_offline_minutes": _r(w.camera_offline_minutes),
    }


@dataclass(frozen=True)
class PeriodReport:
    period: Period
    tz_name: str
    generated: datetime
    sit_limit: float
    min_break: float
    summary: WeekSummary
    previous: WeekSummary

    def data(self) -> dict[str, Any]:
        """The JSON document (docs/reports.md)."""
        return {
            "schema": SCHEMA,
            "period": {"kind": self.period.kind, "name": self.period.name,
                       "first": self.period.first.isoformat(),
                       "last": self.period.last.isoformat(), "timezone": self.tz_name},
            "generated": self.generated.isoformat(timespec="seconds"),
            "sit_limit_minutes": _r(self.sit_limit / 60),
            "min_break_minutes": _r(self.min_break / 60),
            "break_classes": dict(zip(_class_keys(), break_classes(), strict=True)),
            "totals": totals_record(self.summary, self.sit_limit),
            "previous": totals_record(self.previous, self.sit_limit),
            "days": [day_record(d, self.sit_limit) for d in self.summary.days],
        }

    def json(self) -> str:
        return json.dumps(self.data(), indent=2, ensure_ascii=False) + "\n"

    def csv(self) -> str:
        """One row per day, the columns of :data:`CSV_COLUMNS`."""
        buf = io.StringIO()
        wr = csv.writer(buf, lineterminator="\n")
        wr.writerow(CSV_COLUMNS)
        for d in self.summary.days:
            wr.writerow(csv_row(day_record(d, self.sit_limit)))
        return buf.getvalue()

    def markdown(self) -> str:
        return markdown(self)

    def text(self) -> str:
        return period_text(self)


def _flat_columns() -> list[str]:
    return ["date", "has_data", "sitting_minutes", "watched_minutes", "longest_spell_minutes",
            "longest_spell_start", "breaks", "break_minutes",
            *(f"breaks_{k}" for k in _class_keys()), "spells_over_limit",
            "sitting_debt_minutes", *(f"{p}_share" for p in POSTURE_COLUMNS),
            "lopsided_left_minutes", "lopsided_right_minutes", "nudges", "nudges_acted",
            "nudges_followed_up", "wallet_suspected", "sensor_offline_minutes",
            "camera_offline_minutes", "cushion_minutes",
            # added later, so at the end: a spreadsheet reading the columns by place keeps them
            "weight_shifts", "static_stretches", "weight_shifts_per_hour",
            "recline_unseen_minutes", "weight_forward_minutes"]


CSV_COLUMNS: list[str] = _flat_columns()


def csv_row(rec: dict[str, Any]) -> list[object]:
    flat: dict[str, object] = {}
    for k, v in rec.items():
        if k == "breaks_by_length":
            flat.update({f"breaks_{c}": n for c, n in v.items()})
        elif k == "posture_share":
            flat.update({f"{p}_share": "" if s is None else s for p, s in v.items()})
        elif isinstance(v, bool):
            flat[k] = int(v)
        else:
            flat[k] = "" if v is None else v
    return [flat[c] for c in CSV_COLUMNS]


def build(store: Reader, period: Period, tz: tzinfo, *, sit_limit: float = DEFAULT_SIT_LIMIT,
          min_break: float = 120.0, now: datetime | None = None) -> PeriodReport:
    prev = period.previous()
    now = (now or datetime.now(tz)).astimezone(tz)
    cur = WeekSummary(tuple(days_summaries(store, period.first, period.last, tz)), now.date())
    before = WeekSummary(tuple(days_summaries(store, prev.first, prev.last, tz)))
    return PeriodReport(period, str(getattr(tz, "key", None) or now.tzname() or ""), now,
                        sit_limit, min_break, cur, before)


# -- Markdown and text ----------------------------------------------------------------------

def _md_cell(s: object) -> str:
    return str(s).replace("|", "\\|")


def sitting_words(w: WeekSummary) -> str:
    """The time seated, on how many days, and about how much a day."""
    note = "; today counts once it is over" if w.today_left_out else ""
    empty = watched_empty_text(w)
    return (f"{fmt_minutes(w.sitting_minutes)} on {plural(w.days_sat, 'day')} "
            f"(about {fmt_minutes(w.sitting_per_day)} a day{note})"
            + (f"; {empty}" if empty else ""))


def before_words(title: str, p: WeekSummary, sit_limit: float) -> str:
    """The period before, in one line: how many days it had, and its figures per day."""
    return (f"{title} ({plural(p.days_sat, 'day')} with sitting): "
            f"{fmt_minutes(p.sitting_per_day)} a day, {plural(p.breaks, 'break')}, "
            f"{fmt_minutes(p.sitting_debt(sit_limit))} sitting debt")


#: A period's name after "No sitting recorded" (:func:`no_sitting_text`).
_THIS = {"day": "", "week": "this week", "month": "this month"}


def _nudges_md(w: WeekSummary) -> str:
    return (f"- **Nudges:** {w.nudges_total}"
            + (f", acted on {w.nudges_acted} of {w.nudges_measured}" if w.nudges_measured
               else ""))


def markdown(r: PeriodReport) -> str:
    w, lim = r.summary, r.sit_limit
    lines = [f"# sitwatch: {r.period.title}", ""]
    if not w.has_data:
        lines += ["No sitting recorded in this period.", ""]
        return "\n".join(lines)
    if not w.days_sat:  # watched, nobody sat: no list of 0%
        lines += [no_sitting_text(w, _THIS[r.period.kind]), ""]
        lines += [f"- **{o.label}:** {fmt_minutes(o.minutes)} ({o.counted})"
                  for o in offline_rows(w)]
        if w.nudges_total:  # a nudge acted on from a companion, with no sitting of its own
            lines.append(_nudges_md(w))
            lines.append(f"- **Nudged at:** {nudge_times_text(w)}")
        return "\n".join(lines).rstrip("\n") + "\n"
    lines += [
        f"- **Sitting:** {sitting_words(w)}",
        f"- **Longest spell:** {fmt_minutes(w.longest_spell_minutes)}",
        f"- **Breaks:** {w.breaks} ({breaks_text(w.break_lengths)})",
        f"- **Sitting debt:** {debt_text(w.sitting_debt(lim), w.spells_over(lim), lim)}",
    ]
    shifts = shifts_text(w)
    if shifts:
        lines.append(f"- **Weight shifts:** {shifts}")
    lines += [
        f"- **Posture:** {posture_shares_text(w, ', ')}",
        "- **Weight on one side:** " + lopsided_text(
            w.lopsided_left_minutes, w.lopsided_right_minutes, measured=w.balance_measured,
            sides=False, over=cushion_part(w.cushion_minutes, w.sitting_minutes)),
        _nudges_md(w),
    ]
    lines += [f"- **{o.label}:** {fmt_minutes(o.minutes)} ({o.counted})"
              for o in offline_rows(w)]
    if r.previous.has_data:
        p = r.previous
        lines.append(f"- **Before:** {before_words(r.period.previous().title, p, lim)}")
    lines += ["", "| Day | Sitting | Longest spell | Breaks | Sitting debt | Upright |",
              "|---|---:|---:|---:|---:|---:|"]
    for d in w.days:
        label = f"{d.day:%a} {d.day.isoformat()}"
        if not d.sat:  # no row of 0%: what the day was instead
            lines.append(f"| {label} | {no_sitting_day_text(d)} | | | | |")
            continue
        lines.append(
            f"| {label} | {fmt_minutes(d.sitting_minutes)} | "
            f"{fmt_minutes(d.longest_spell_minutes)} | {d.breaks} | "
            f"{fmt_minutes(d.sitting_debt(lim))} | {pct(d.upright_share)} |")
    tips = suggestions(w.days, lim, weekly=True, limit=3)
    if tips:
        lines += ["", "## For next time", ""]
        lines += [f"- {_md_cell(t)}" for t in tips]
    lines += ["", "_sitwatch is a wellness tool, not a medical device: it shows how you sat "
              "and cannot diagnose._", ""]
    return "\n".join(lines)


#: The plain-text reports' width (they also go out by e-mail, `sitwatch report-send`), and
#: the width of a row's name: its value starts one column after it.
TEXT_WIDTH = 80
KEY_WIDTH = 16
#: Between the items of a row's value: a row wraps between items where it can.
ITEM_SEP = " · "


def text_row(key: str, value: str, width: int = TEXT_WIDTH) -> str:
    """``Posture          upright 84% · slouched 10% ...``: the name, then the value, wrapped
    at ``width`` columns under its own start, between `` · `` items where it can (the dot
    ends the line), inside an item too long for a line between its words."""
    indent = " " * (KEY_WIDTH + 1)
    room = max(20, width - len(indent))
    lines: list[str] = []
    cur = ""
    for item in value.split(ITEM_SEP):
        joined = f"{cur}{ITEM_SEP}{item}" if cur else item
        if len(joined) <= room or not cur:
            cur = joined
        else:
            lines.append(cur + ITEM_SEP.rstrip())
            cur = item
        if len(cur) > room:  # one item longer than a line: between its words
            *done, cur = textwrap.wrap(cur, room, break_long_words=False,
                                       break_on_hyphens=False) or [""]
            lines += done
    lines.append(cur)
    return "\n".join(f"{key:<{KEY_WIDTH}} {ln}" if i == 0 else indent + ln
                     for i, ln in enumerate(lines))


def period_text(r: PeriodReport) -> str:
    """The month (or any period) as plain text: totals, breaks by length, debt, and one line a
    day."""
    w, lim = r.summary, r.sit_limit
    title = r.period.title
    lines = [title, "─" * len(title)]
    if not w.has_data:
        lines.append("No sitting recorded in this period.")
        return "\n".join(lines) + "\n"
    row = text_row
    if not w.days_sat:  # watched, nobody sat: no rows of 0%
        lines += textwrap.wrap(no_sitting_text(w, _THIS[r.period.kind]), TEXT_WIDTH)
        lines += [row(k, v) for k, v in no_sitting_rows(w)]
        return "\n".join(lines) + "\n"
    lines += [
        row("Sitting", sitting_words(w)),
        row("Longest spell", fmt_minutes(w.longest_spell_minutes)),
        row("Breaks", f"{w.breaks}: {breaks_text(w.break_lengths)}"),
        row("Sitting debt", debt_text(w.sitting_debt(lim), w.spells_over(lim), lim)),
    ]
    shifts = shifts_text(w)
    if shifts:
        lines.append(row("Weight shifts", shifts))
    lines.append(row("Posture", posture_shares_text(w)))
    lines += [row(k, v) for k, v in offline_texts(w)]
    lines.append("")
    for d in w.days:
        if not d.has_data:
            continue
        if not d.sat:  # no line of 0 min: what the day was instead
            lines.append(f"{d.day:%a %d}  {no_sitting_day_text(d)}")
            continue
        lines.append(f"{d.day:%a %d}  {fmt_minutes(d.sitting_minutes):>11}  "
                     f"longest {fmt_minutes(d.longest_spell_minutes):>11}  "
                     f"{plural(d.breaks, 'break'):>10}  "
                     f"debt {fmt_minutes(d.sitting_debt(lim))}")
    return "\n".join(lines) + "\n"
