"""The weekly posture report as one self-contained HTML page.

Everything the page shows is computed here from the history store (``Store.daily_summary``,
``minutes_between``, ``events_between``) and drawn as inline SVG in Python; the Jinja2
template (``sitwatch/data/report.html.j2``, autoescaped) only lays the pieces out. The page
has no JavaScript, no external fonts, styles or images, and a Content-Security-Policy that
forbids every network request: it can be opened from disk, mailed or printed, and it never
calls home.

The wording and the suggestions come from :mod:`sitwatch.reports.text` (the plain-text reports), so
both say the same thing. sitwatch is a wellness tool: the page describes how you sat and never
diagnoses; its footer says when to see a doctor instead.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sitwatch.core.events import BREAK, NUDGE_KINDS, NUDGE_OUTCOME
from sitwatch.history.store import POSTURES, MinuteRow, Store
from sitwatch.nudging import guidance
from sitwatch.reports.text import (
    _NUDGE_WORDS,
    _POSTURE_WORDS,
    DEFAULT_SIT_LIMIT,
    _has_data,
    fmt_minutes,
    fmt_short,
    suggestions,
)

if TYPE_CHECKING:
    from markupsafe import Markup

TEMPLATE = "report.html.j2"

#: Words for the postures (the text report's, plus ``unknown``), in the order they stack.
POSTURE_LABELS: dict[str, str] = {**dict(_POSTURE_WORDS), "unknown": "unknown"}
#: CSS class of each posture (short: they repeat on every SVG shape).
_CSS = {"upright": "up", "slouched": "sl", "leaning_forward": "fw", "reclined": "rc",
        "unknown": "un"}
#: Names of the nudge kinds: the text report's words, capitalised ("Time to move", "Posture").
NUDGE_LABELS: dict[str, str] = {k: w.capitalize() for k, w in _NUDGE_WORDS.items()}

# Seconds of a minute that decide how the timeline colours it.
_SEATED_SHARE = 0.5  # seated at least half of the time watched -> coloured by posture
_LOPSIDED_SHARE = 0.5  # weight on one side at least half of the seated time -> marked


# -- collecting the numbers -----------------------------------------------------------------

@dataclass
class MinuteCell:
    """One wall minute of one day, all runs added up."""

    present: float = 0.0
    occupied: float = 0.0
    posture: dict[str, float] = field(default_factory=lambda: dict.fromkeys(POSTURES, 0.0))
    lopsided: float = 0.0

    def add(self, r: MinuteRow) -> None:
        self.present += r.seconds_present
        self.occupied += r.seconds_occupied
        for p in POSTURES:
            self.posture[p] += r.posture.get(p, 0.0)
        self.lopsided += r.balance.get("left", 0.0) + r.balance.get("right", 0.0)

    @property
    def state(self) -> str:
        """``empty`` or the posture held most of the seated time."""
        if self.occupied <= 0 or self.occupied < _SEATED_SHARE * self.present:
            return "empty"
        return max(POSTURES, key=lambda p: (self.posture[p], p == "upright"))

    @property
    def is_lopsided(self) -> bool:
        return self.occupied > 0 and self.lopsided >= _LOPSIDED_SHARE * self.occupied


@dataclass
class Day:
    summary: dict[str, Any]
    minutes: dict[int, MinuteCell]  # minute of the (wall-clock) day -> cell
    breaks: list[tuple[float, float]]  # (from, to) in minutes of the day
    spells: list[tuple[float, float]]  # (from, to) in minutes of the day
    future: bool = False  # after the day the report was made

    @property
    def missing(self) -> str:
        """What an empty day says."""
        return "not yet" if self.future else "no data"

    @property
    def day(self) -> date:
        d: date = self.summary["day"]
        return d

    @property
    def has_data(self) -> bool:
        return _has_data(self.summary)

    @property
    def label(self) -> str:
        return f"{self.day:%a} {self.day.day}"


def _wall_minutes(dt: datetime, day: date, tz: tzinfo) -> float:
    """Minutes from the start of ``day`` on the wall clock of ``tz`` (DST days keep their
    clock positions; a time on another day is counted from that day's distance)."""
    local = dt.astimezone(tz)
    return (local.date() - day).days * 1440 + local.hour * 60 + local.minute + local.second / 60


def _day_bounds(day: date, tz: tzinfo) -> tuple[datetime, datetime]:
    return (datetime.combine(day, time.min, tzinfo=tz),
            datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz))


def _week_days(week_ending: date) -> list[date]:
    return [week_ending - timedelta(days=i) for i in range(6, -1, -1)]


def collect_days(store: Store, week_ending: date, tz: tzinfo,
                 sit_limit: float = DEFAULT_SIT_LIMIT, today: date | None = None) -> list[Day]:
    """The seven days ending on ``week_ending``: summaries plus what the timeline needs.
    Days after ``today`` are marked as not there yet."""
    days = _week_days(week_ending)
    start, _ = _day_bounds(days[0], tz)
    _, end = _day_bounds(days[-1], tz)
    cells: dict[date, dict[int, MinuteCell]] = {d: {} for d in days}
    for row in store.minutes_between(start, end):
        local = row.minute.astimezone(tz)
        by_minute = cells.setdefault(local.date(), {})
        by_minute.setdefault(local.hour * 60 + local.minute, MinuteCell()).add(row)
    breaks: dict[date, list[tuple[float, float]]] = {d: [] for d in days}
    for e in store.events_between(start, end, BREAK):
        away = float(e.get("duration") or 0.0)
        back = e.ts.astimezone(tz)
        d = back.date()
        if d in breaks and away > 0:
            b = _wall_minutes(back, d, tz)
            breaks[d].append((max(0.0, b - away / 60), b))
    out = []
    limit_min = sit_limit / 60
    for d in days:
        s = store.daily_summary(d, tz)
        spells = [(a, a + m) for a, m in
                  ((_wall_minutes(st, d, tz), m) for st, m in s["spells"]) if m > limit_min]
        future = today is not None and d > today and not _has_data(s)
        out.append(Day(s, cells.get(d, {}), breaks[d], spells, future))
    return out


def _nudge_outcomes(store: Store, week_ending: date, tz: tzinfo) -> dict[str, tuple[int, int]]:
    """(acted, measured) per nudge kind over the week."""
    days = _week_days(week_ending)
    start, _ = _day_bounds(days[0], tz)
    _, end = _day_bounds(days[-1], tz)
    out: dict[str, tuple[int, int]] = {}
    for e in store.events_between(start, end, NUDGE_OUTCOME):
        kind = str(e.get("kind") or "other")
        acted, measured = out.get(kind, (0, 0))
        out[kind] = (acted + bool(e.get("responded")), measured + 1)
    return out


def _week_totals(summaries: Sequence[dict[str, Any]]) -> dict[str, Any]:
    active = [s for s in summaries if _has_data(s)]
    sitting = sum(s["sitting_minutes"] for s in summaries)
    posture = {p: sum(s["posture_minutes"][p] for s in summaries) for p in POSTURES}
    total = sum(posture.values())
    nudges: dict[str, int] = dict.fromkeys(NUDGE_KINDS, 0)
    for s in summaries:
        for k, n in s["nudges"].items():
            nudges[k] = nudges.get(k, 0) + n
    longest = max(summaries, key=lambda s: s["longest_spell_minutes"]) if summaries else None
    return {
        "active_days": len(active),
        "sitting": sitting,
        "sitting_per_day": sitting / len(active) if active else 0.0,
        "longest": longest["longest_spell_minutes"] if longest else 0.0,
        "longest_start": longest["longest_spell_start"] if longest else None,
        "breaks": sum(s["breaks"] for s in summaries),
        "breaks_per_day": sum(s["breaks"] for s in summaries) / len(active) if active else 0.0,
        "posture_minutes": posture,
        "shares": {p: (v / total if total > 0 else 0.0) for p, v in posture.items()},
        "lopsided": sum(s["lopsided_minutes"] for s in summaries),
        "nudges": nudges,
        "nudges_total": sum(nudges.values()),
        "nudges_acted": sum(s.get("nudges_acted", 0) for s in summaries),
        "nudges_measured": sum(s.get("nudges_measured", 0) for s in summaries),
        "offline": sum(s["sensor_offline_minutes"] for s in summaries),
    }


def pct(share: float) -> str:
    return f"{round(share * 100)}%"


def _per_day(x: float) -> str:
    r = round(x, 1)
    return f"{r:.0f}" if abs(r - round(r)) < 0.05 else f"{r:.1f}"


# -- comparison with the previous week ------------------------------------------------------

@dataclass(frozen=True)
class Change:
    label: str
    value: str
    text: str  # "12 percentage points more than last week (70%)"
    tone: str  # better | worse | same
    arrow: str  # ▲ ▼ or =


def _change(label: str, value: str, now: float, before: float, *, better: str,
            diff: Any, shown: Any, same_within: float, more: str, less: str) -> Change:
    """``diff`` formats the difference, ``shown`` last week's value."""
    d = now - before
    if abs(d) < same_within:
        return Change(label, value, f"about the same as last week ({shown(before)})", "same",
                      "=")
    up = d > 0
    return Change(label, value, f"{diff(abs(d))} {more if up else less} than last week "
                                f"({shown(before)})",
                  "better" if up == (better == "up") else "worse", "▲" if up else "▼")


def _points(x: float) -> str:
    n = round(x * 100)
    return f"{n} percentage point{'s' if n != 1 else ''}"


def compare(cur: dict[str, Any], prev: dict[str, Any]) -> list[Change]:
    """This week against the previous one: upright share, sitting and breaks per day with
    data, the longest spell and the share of nudges acted on."""
    out = [
        _change("Upright", pct(cur["shares"]["upright"]) + " of sitting time",
                cur["shares"]["upright"], prev["shares"]["upright"], better="up", diff=_points,
                shown=pct, same_within=0.005, more="more upright", less="less upright"),
        _change("Sitting a day", fmt_minutes(cur["sitting_per_day"]), cur["sitting_per_day"],
                prev["sitting_per_day"], better="down", diff=fmt_minutes, shown=fmt_minutes,
                same_within=0.5, more="more", less="less"),
        _change("Longest spell", fmt_minutes(cur["longest"]), cur["longest"], prev["longest"],
                better="down", diff=fmt_minutes, shown=fmt_minutes, same_within=0.5,
                more="longer", less="shorter"),
        _change("Breaks a day", _per_day(cur["breaks_per_day"]), cur["breaks_per_day"],
                prev["breaks_per_day"], better="up", diff=_per_day, shown=_per_day,
                same_within=0.05, more="more", less="fewer"),
    ]
    if cur["nudges_measured"] and prev["nudges_measured"]:
        a = cur["nudges_acted"] / cur["nudges_measured"]
        b = prev["nudges_acted"] / prev["nudges_measured"]
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


# -- SVG --------------------------------------------------------------------------------------

def _esc(s: object) -> str:
    from markupsafe import escape

    return str(escape(str(s)))


def _n(x: float) -> str:
    """A compact SVG number."""
    r = round(x, 1)
    return str(int(r)) if r == int(r) else f"{r:.1f}"


def _hhmm(minute: float) -> str:
    m = round(minute) % 1440
    return f"{m // 60:02d}:{m % 60:02d}"


def _svg_open(cls: str, width: float, height: float, label: str, title: str) -> str:
    return (f'<svg class="chart {cls}" viewBox="0 0 {_n(width)} {_n(height)}" '
            f'preserveAspectRatio="xMinYMin meet" role="img" aria-label="{_esc(label)}">'
            f'<title>{_esc(title)}</title>')


def _nice_step(top: float, target: int = 4) -> float:
    """A round gridline step (in minutes) for an axis up to ``top`` minutes."""
    for step in (5, 10, 15, 30, 60, 120, 180, 240, 360, 480, 720):
        if top / step <= target:
            return step
    return 720


def _axis_label(minutes: float) -> str:
    """``0``, ``30 min``, ``1 h``, ``1 h 30``."""
    h, m = divmod(round(minutes), 60)
    if not h:
        return f"{m} min" if m else "0"
    return f"{h} h {m:02d}" if m else f"{h} h"


def _y_grid(ymax: float, step: float, *, left: float, top: float, plot_h: float,
            w: float) -> list[str]:
    """Horizontal grid lines with their minute labels, shared by the bar charts."""
    out = []
    for k in range(int(ymax / step) + 1):
        y = top + plot_h - k * step / ymax * plot_h
        out.append(f'<line class="grid" x1="{_n(left)}" x2="{_n(w - 4)}" y1="{_n(y)}" '
                   f'y2="{_n(y)}"/>')
        out.append(f'<text class="tick" x="{_n(left - 6)}" y="{_n(y + 3.5)}" '
                   f'text-anchor="end">{_esc(_axis_label(k * step))}</text>')
    return out


def posture_chart(days: Sequence[Day]) -> str:
    """Per day, a stacked bar of seated time by posture."""
    w, h, left, top, bottom = 460.0, 240.0, 40.0, 24.0, 34.0
    plot_h = h - top - bottom
    highest = max((d.summary["sitting_minutes"] for d in days), default=0.0)
    step = _nice_step(highest or 60)
    ymax = max(step, math.ceil(highest / step) * step)
    col = (w - left - 8) / len(days)
    bar_w = min(34.0, col * 0.62)
    parts = [_svg_open("postures", w, h, _posture_chart_label(days),
                       "Seated time per day, by posture")]
    parts += _y_grid(ymax, step, left=left, top=top, plot_h=plot_h, w=w)
    for i, d in enumerate(days):
        cx = left + col * (i + 0.5)
        x = cx - bar_w / 2
        y = top + plot_h
        s = d.summary
        for p in POSTURES:
            m = s["posture_minutes"][p]
            if m <= 0:
                continue
            bh = m / ymax * plot_h
            y -= bh
            parts.append(
                f'<rect class="{_CSS[p]}" x="{_n(x)}" y="{_n(y)}" width="{_n(bar_w)}" '
                f'height="{_n(max(bh, 0.4))}"><title>{_esc(d.label)}: '
                f'{_esc(POSTURE_LABELS[p])} {_esc(fmt_minutes(m))} '
                f'({pct(s["posture_shares"][p])})</title></rect>')
        if d.has_data:
            parts.append(f'<text class="val" x="{_n(cx)}" y="{_n(y - 5)}" '
                         f'text-anchor="middle">{_esc(fmt_short(s["sitting_minutes"]))}</text>')
        else:
            parts.append(f'<text class="tick none" x="{_n(cx)}" y="{_n(top + plot_h - 5)}" '
                         f'text-anchor="middle">—</text>')
        parts.append(f'<text class="day" x="{_n(cx)}" y="{_n(h - bottom + 16)}" '
                     f'text-anchor="middle">{_esc(d.label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _posture_chart_label(days: Sequence[Day]) -> str:
    bits = []
    for d in days:
        if not d.has_data:
            bits.append(f"{d.label}: {d.missing}")
            continue
        s = d.summary
        bits.append(f"{d.label}: {fmt_minutes(s['sitting_minutes'])} seated, "
                    f"{pct(s['posture_shares']['upright'])} upright")
    return "Seated time per day by posture. " + "; ".join(bits) + "."


def spell_chart(days: Sequence[Day], sit_limit: float) -> str:
    """Per day, the longest sitting spell as a bar, with the sit limit as a dashed line."""
    w, h, left, top, bottom = 460.0, 240.0, 40.0, 24.0, 34.0
    plot_h = h - top - bottom
    limit = sit_limit / 60
    highest = max([d.summary["longest_spell_minutes"] for d in days] + [limit])
    step = _nice_step(highest * 1.1)
    ymax = max(step, math.ceil(highest * 1.08 / step) * step)
    col = (w - left - 8) / len(days)
    bar_w = min(26.0, col * 0.5)
    over = [d for d in days if d.summary["longest_spell_minutes"] > limit]
    label = (f"Longest sitting spell per day against the {fmt_minutes(limit)} limit. "
             + "; ".join(f"{d.label}: {fmt_minutes(d.summary['longest_spell_minutes'])}"
                         if d.has_data else f"{d.label}: {d.missing}" for d in days)
             + f". {len(over)} day{'s' if len(over) != 1 else ''} over the limit.")
    parts = [_svg_open("spells", w, h, label, "Longest spell per day")]
    parts += _y_grid(ymax, step, left=left, top=top, plot_h=plot_h, w=w)
    for i, d in enumerate(days):
        cx = left + col * (i + 0.5)
        m = d.summary["longest_spell_minutes"]
        if d.has_data and m > 0:
            bh = m / ymax * plot_h
            y = top + plot_h - bh
            cls = "over" if m > limit else "ok"
            parts.append(f'<rect class="{cls}" x="{_n(cx - bar_w / 2)}" y="{_n(y)}" '
                         f'width="{_n(bar_w)}" height="{_n(bh)}" rx="2"><title>{_esc(d.label)}: '
                         f'longest spell {_esc(fmt_minutes(m))}</title></rect>')
            parts.append(f'<text class="val" x="{_n(cx)}" y="{_n(y - 5)}" '
                         f'text-anchor="middle">{_esc(fmt_short(m))}</text>')
        else:
            parts.append(f'<text class="tick none" x="{_n(cx)}" y="{_n(top + plot_h - 5)}" '
                         f'text-anchor="middle">—</text>')
        parts.append(f'<text class="day" x="{_n(cx)}" y="{_n(h - bottom + 16)}" '
                     f'text-anchor="middle">{_esc(d.label)}</text>')
    ly = top + plot_h - limit / ymax * plot_h
    parts.append(f'<line class="limit" x1="{_n(left)}" x2="{_n(w - 4)}" y1="{_n(ly)}" '
                 f'y2="{_n(ly)}"/>')
    # Label at the left, over the axis gap, so a tall bar on the last day cannot hide it.
    parts.append(f'<text class="limit-label" x="{_n(left + 4)}" y="{_n(ly - 5)}" '
                 f'text-anchor="start">limit {_esc(fmt_minutes(limit))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _time_range(days: Sequence[Day]) -> tuple[int, int]:
    """Whole hours from the first to the last activity of the week (wall clock)."""
    firsts, lasts = [], []
    for d in days:
        active = [m for m, c in d.minutes.items() if c.present > 0]
        if active:
            firsts.append(min(active))
            lasts.append(max(active) + 1)
        for a, b in d.breaks + d.spells:
            firsts.append(int(a))
            lasts.append(math.ceil(b))
    if not firsts:
        return 8 * 60, 18 * 60
    lo = max(0, min(firsts) // 60 * 60)
    hi = min(1440, math.ceil(max(lasts) / 60) * 60)
    if hi - lo < 180:  # at least three hours, so a short day is still readable
        hi = min(1440, lo + 180)
        lo = max(0, hi - 180)
    return lo, hi


def _runs(cells: dict[int, MinuteCell], key: Any) -> list[tuple[int, int, str]]:
    """Consecutive minutes with the same ``key(cell)`` (not None) as (first, end, value)."""
    out: list[tuple[int, int, str]] = []
    for m in sorted(cells):
        v = key(cells[m])
        if v is None:
            continue
        if out and out[-1][1] == m and out[-1][2] == v:
            out[-1] = (out[-1][0], m + 1, v)
        else:
            out.append((m, m + 1, v))
    return out


def timeline_chart(days: Sequence[Day], sit_limit: float) -> str:
    """One strip per day: every minute coloured by what happened, breaks, lopsided minutes and
    spells past the sit limit."""
    lo, hi = _time_range(days)
    w, left, right, top = 940.0, 64.0, 64.0, 22.0
    row_h, strip_h = 34.0, 16.0
    h = top + row_h * len(days) + 8
    plot_w = w - left - right

    def x(minute: float) -> float:
        return left + (min(max(minute, lo), hi) - lo) / (hi - lo) * plot_w

    limit = sit_limit / 60
    label = (f"Each day from {_hhmm(lo)} to {_hhmm(hi)}, minute by minute: seated upright, "
             "slouched, leaning forward or reclined, the seat empty, breaks, minutes with "
             f"more weight on one side, and sitting spells longer than {fmt_minutes(limit)}. "
             "The table below has the same numbers.")
    parts = [_svg_open("timeline", w, h, label, "Your days, minute by minute")]
    step = 60 if hi - lo <= 14 * 60 else 120
    for m in range(lo, hi + 1, step):
        parts.append(f'<line class="hour" x1="{_n(x(m))}" x2="{_n(x(m))}" y1="{_n(top - 4)}" '
                     f'y2="{_n(h - 6)}"/>')
        parts.append(f'<text class="tick" x="{_n(x(m))}" y="{_n(top - 8)}" '
                     f'text-anchor="middle">{_hhmm(m)}</text>')
    parts.append(f'<text class="tick" x="{_n(w - 2)}" y="{_n(top - 8)}" '
                 'text-anchor="end">seated</text>')
    for i, d in enumerate(days):
        y0 = top + i * row_h + (row_h - strip_h) / 2
        parts.append(f'<g class="day-row" aria-label="{_esc(d.label)}">')
        parts.append(f'<text class="day" x="{_n(left - 10)}" y="{_n(y0 + strip_h - 4)}" '
                     f'text-anchor="end">{_esc(d.label)}</text>')
        parts.append(f'<rect class="track" x="{_n(left)}" y="{_n(y0)}" width="{_n(plot_w)}" '
                     f'height="{_n(strip_h)}" rx="3"/>')
        if not d.has_data:
            parts.append(f'<text class="tick none" x="{_n(left + plot_w / 2)}" '
                         f'y="{_n(y0 + strip_h - 4)}" text-anchor="middle">{d.missing}</text>')
            parts.append("</g>")
            continue
        for m0, m1, state in _runs(d.minutes, lambda c: c.state if c.present > 0 else None):
            cls = "em" if state == "empty" else _CSS[state]
            what = "seat empty" if state == "empty" else POSTURE_LABELS[state]
            parts.append(f'<rect class="{cls}" x="{_n(x(m0))}" y="{_n(y0)}" '
                         f'width="{_n(max(x(m1) - x(m0), 0.6))}" height="{_n(strip_h)}">'
                         f'<title>{_hhmm(m0)}–{_hhmm(m1)} {_esc(what)}</title></rect>')
        for a, b in d.breaks:
            parts.append(f'<rect class="brk" x="{_n(x(a))}" y="{_n(y0)}" '
                         f'width="{_n(max(x(b) - x(a), 1.5))}" height="{_n(strip_h)}">'
                         f'<title>break {_hhmm(a)}–{_hhmm(b)} ({_esc(fmt_minutes(b - a))})'
                         '</title></rect>')
        for m0, m1, _ in _runs(d.minutes, lambda c: "lop" if c.is_lopsided else None):
            parts.append(f'<rect class="lop" x="{_n(x(m0))}" y="{_n(y0 + strip_h + 1.5)}" '
                         f'width="{_n(max(x(m1) - x(m0), 1.2))}" height="3">'
                         f'<title>{_hhmm(m0)}–{_hhmm(m1)} more weight on one side</title></rect>')
        for a, b in d.spells:
            ya = y0 - 3.5
            cut = a + limit
            tip = (f"sitting spell {_hhmm(a)}–{_hhmm(b)}: {fmt_minutes(b - a)}, "
                   f"{fmt_minutes(b - cut)} past the {fmt_minutes(limit)} limit")
            parts.append(f'<g class="long"><title>{_esc(tip)}</title>'
                         f'<line class="spell" x1="{_n(x(a))}" x2="{_n(x(cut))}" '
                         f'y1="{_n(ya)}" y2="{_n(ya)}"/>'
                         f'<line class="spell-over" x1="{_n(x(cut))}" x2="{_n(x(b))}" '
                         f'y1="{_n(ya)}" y2="{_n(ya)}"/></g>')
        parts.append(f'<text class="val side" x="{_n(w - right + 8)}" '
                     f'y="{_n(y0 + strip_h - 4)}">'
                     f'{_esc(fmt_short(d.summary["sitting_minutes"]))}</text>')
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)


def nudge_chart(totals: dict[str, Any], outcomes: dict[str, tuple[int, int]]) -> str:
    """One bar per kind of nudge; the darker part of the bar is the share acted on."""
    kinds = [k for k, n in totals["nudges"].items() if n]
    w, left, right, row_h = 940.0, 110.0, 150.0, 28.0
    h = row_h * max(1, len(kinds)) + 8
    top_n = max((totals["nudges"][k] for k in kinds), default=1)
    plot_w = w - left - right
    bits = []
    for k in kinds:
        acted, measured = outcomes.get(k, (0, 0))
        bits.append(f"{NUDGE_LABELS.get(k, k)} {totals['nudges'][k]}"
                    + (f", acted on {acted} of {measured}" if measured else ""))
    label = "Nudges by kind: " + ("; ".join(bits) if bits else "none") + "."
    parts = [_svg_open("nudges", w, h, label, "Nudges by kind and how many you acted on")]
    for i, k in enumerate(kinds):
        n = totals["nudges"][k]
        acted, measured = outcomes.get(k, (0, 0))
        y = 4 + i * row_h
        bw = n / top_n * plot_w
        parts.append(f'<text class="day" x="{_n(left - 8)}" y="{_n(y + 14)}" '
                     f'text-anchor="end">{_esc(NUDGE_LABELS.get(k, k))}</text>')
        parts.append(f'<rect class="nudge" x="{_n(left)}" y="{_n(y + 3)}" width="{_n(bw)}" '
                     f'height="15" rx="2"><title>{_esc(NUDGE_LABELS.get(k, k))}: {n} '
                     f'nudge{"s" if n != 1 else ""}</title></rect>')
        if measured:
            aw = bw * acted / measured
            if aw > 0:
                parts.append(f'<rect class="acted" x="{_n(left)}" y="{_n(y + 3)}" '
                             f'width="{_n(aw)}" height="15" rx="2"><title>acted on {acted} '
                             f'of {measured}</title></rect>')
            note = f"{n} · acted on {pct(acted / measured)}"
        else:
            note = f"{n}"
        parts.append(f'<text class="val" x="{_n(left + bw + 6)}" y="{_n(y + 14)}">'
                     f'{_esc(note)}</text>')
    parts.append("</svg>")
    return "".join(parts)


# -- the page --------------------------------------------------------------------------------

def _tip_html(text: str) -> Markup:
    """A suggestion, escaped, with `code` spans."""
    from markupsafe import Markup, escape

    return Markup(re.sub(r"`([^`<>]+)`", r"<code>\1</code>", str(escape(text))))


def _runs_in_week(store: Store, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Runs that overlap the week, for the "recorded with" line."""
    out = []
    for r in store.runs():
        try:
            began = datetime.fromisoformat(r["started"])
            ended = datetime.fromisoformat(r["ended"]) if r.get("ended") else None
        except (TypeError, ValueError):
            continue
        if began < end and (ended is None or ended >= start):
            out.append(r)
    return out


def _uniq(xs: Iterable[object]) -> list[str]:
    seen: dict[str, None] = {}
    for x in xs:
        if x:
            seen.setdefault(str(x), None)
    return list(seen)


def _day_rows(days: Sequence[Day]) -> list[dict[str, Any]]:
    rows = []
    for d in days:
        s = d.summary
        if not d.has_data:
            rows.append({"label": f"{d.day:%a} {d.day.day} {d.day:%b}", "has_data": False,
                         "missing": d.missing})
            continue
        acted = (f"{s['nudges_acted']} of {s['nudges_measured']}"
                 if s.get("nudges_measured") else "—")
        rows.append({
            "label": f"{d.day:%a} {d.day.day} {d.day:%b}",
            "has_data": True,
            "sitting": fmt_minutes(s["sitting_minutes"]),
            "longest": fmt_minutes(s["longest_spell_minutes"]),
            "longest_at": (f"{s['longest_spell_start']:%H:%M}"
                           if s["longest_spell_start"] is not None else ""),
            "breaks": s["breaks"],
            "shares": {p: pct(s["posture_shares"][p]) for p in POSTURES},
            "lopsided": fmt_minutes(s["lopsided_minutes"]),
            "nudges": s["nudges_total"],
            "acted": acted,
        })
    return rows


def week_title(week_ending: date) -> str:
    first = week_ending - timedelta(days=6)
    if first.year != week_ending.year:
        return (f"{first:%a} {first.day} {first:%b %Y} – "
                f"{week_ending:%a} {week_ending.day} {week_ending:%b %Y}")
    if first.month != week_ending.month:
        return (f"{first:%a} {first.day} {first:%b} – "
                f"{week_ending:%a} {week_ending.day} {week_ending:%b %Y}")
    return f"{first:%a} {first.day} – {week_ending:%a} {week_ending.day} {week_ending:%B %Y}"


def week_context(store: Store, week_ending: date, tz: tzinfo, *,
                 sit_limit: float = DEFAULT_SIT_LIMIT,
                 now: datetime | None = None) -> dict[str, Any]:
    """Everything the template shows (numbers as words, charts as SVG markup)."""
    from markupsafe import Markup

    now = (now or datetime.now(tz)).astimezone(tz)
    days = collect_days(store, week_ending, tz, sit_limit, today=now.date())
    summaries = [d.summary for d in days]
    totals = _week_totals(summaries)
    start, _ = _day_bounds(days[0].day, tz)
    _, end = _day_bounds(days[-1].day, tz)
    runs = _runs_in_week(store, start, end)
    ctx: dict[str, Any] = {
        "title": week_title(week_ending),
        "week_start": days[0].day,
        "week_ending": week_ending,
        "generated": now,
        "timezone": str(getattr(tz, "key", None) or now.tzname() or ""),
        "sit_limit": fmt_minutes(sit_limit / 60),
        "has_data": totals["active_days"] > 0,
        "layouts": _uniq(r.get("layout") for r in runs),
        "sources": _uniq(r.get("source") for r in runs),
        "see_a_doctor": guidance.SEE_A_DOCTOR,
        "red_flags": guidance.RED_FLAGS,
        "posture_legend": [(POSTURE_LABELS[p], _CSS[p]) for p in POSTURES],
    }
    if not ctx["has_data"]:
        return ctx

    prev_summaries = [store.daily_summary(d, tz)
                      for d in _week_days(week_ending - timedelta(days=7))]
    changes: list[Change] = []
    if any(_has_data(s) for s in prev_summaries):
        changes = compare(totals, _week_totals(prev_summaries))
    outcomes = _nudge_outcomes(store, week_ending, tz)
    t = totals
    acted_share = t["nudges_acted"] / t["nudges_measured"] if t["nudges_measured"] else None
    ctx.update({
        "totals": t,
        "sitting": fmt_minutes(t["sitting"]),
        "sitting_per_day": fmt_minutes(t["sitting_per_day"]),
        "active_days": t["active_days"],
        "longest": fmt_minutes(t["longest"]),
        "longest_when": (f"{t['longest_start']:%A} from {t['longest_start']:%H:%M}"
                         if t["longest_start"] is not None else ""),
        "longest_over": t["longest"] > sit_limit / 60,
        "breaks": t["breaks"],
        "breaks_per_day": _per_day(t["breaks_per_day"]),
        "upright": pct(t["shares"]["upright"]),
        "shares": {p: pct(v) for p, v in t["shares"].items()},
        "lopsided": fmt_minutes(t["lopsided"]),
        "offline": fmt_minutes(t["offline"]) if t["offline"] >= 0.5 else None,
        "nudges_total": t["nudges_total"],
        "nudges_acted": t["nudges_acted"],
        "nudges_measured": t["nudges_measured"],
        "acted_share": pct(acted_share) if acted_share is not None else None,
        "changes": changes,
        "headline_change": headline_change(changes),
        "tips": [_tip_html(s) for s in suggestions(summaries, sit_limit, weekly=True,
                                                    limit=3)],
        "rows": _day_rows(days),
        "timeline_svg": Markup(timeline_chart(days, sit_limit)),
        "posture_svg": Markup(posture_chart(days)),
        "spell_svg": Markup(spell_chart(days, sit_limit)),
        "nudge_svg": Markup(nudge_chart(t, outcomes)) if t["nudges_total"] else None,
    })
    return ctx


def _environment() -> Any:
    try:
        import jinja2
    except ImportError as e:  # a core dependency; say so plainly if it went missing
        raise ImportError("the HTML report needs Jinja2: pip install jinja2") from e
    return jinja2.Environment(
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _template_text() -> str:
    return resources.files("sitwatch.data").joinpath(TEMPLATE).read_text(encoding="utf-8")


def render_week(store: Store, week_ending: date, tz: tzinfo, *,
                sit_limit: float = DEFAULT_SIT_LIMIT, now: datetime | None = None) -> str:
    """The weekly report of the seven days ending on ``week_ending`` (in ``tz``) as HTML."""
    template = _environment().from_string(_template_text())
    ctx = week_context(store, week_ending, tz, sit_limit=sit_limit, now=now)
    html: str = template.render(**ctx)
    return html


def write_week(store: Store, week_ending: date, tz: tzinfo, path: Path | str,
               **kw: Any) -> Path:
    """Render the week and write it to ``path`` atomically (a reader never sees half a page).

    The file is created readable by its owner only: it is a record of how you sat.
    """
    path = Path(path)
    html = render_week(store, week_ending, tz, **kw)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(html)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


__all__ = ["collect_days", "compare", "render_week", "week_context", "write_week"]
