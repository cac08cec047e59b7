"""The charts of the weekly page, as inline SVG markup.

Each function takes the week's numbers (:mod:`sitwatch.reports.week`) and returns one
``<svg>`` element: no script, no external reference, a ``role="img"`` with an ``aria-label``
that says in words what the chart shows, and a ``<title>`` on every shape for the pointer.
Colours come from the page's stylesheet through short classes (:data:`CSS_CLASS`), so light,
dark and print modes restyle the charts without redrawing them. Every word comes from
:mod:`sitwatch.reports.words`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TypeVar

from sitwatch.core.kinds import POSTURES, WEIGHT_FORWARD, Occupancy, Posture
from sitwatch.history.queries import NudgeOutcomes, WeekSummary
from sitwatch.reports.week import Day, MinuteCell
from sitwatch.reports.words import (
    ALL_POSTURES,
    NOT_SEEN,
    ONE_SIDE,
    SEAT_EMPTY,
    fmt_limit,
    fmt_minutes,
    fmt_short,
    forward_split,
    forward_word,
    nudge_title,
    pct,
    plural,
    posture,
    posture_legend,
    share_cell,
)

#: CSS class of each posture and of the empty seat (short: they repeat on every SVG shape).
CSS_CLASS: dict[str, str] = {
    Posture.UPRIGHT: "up", Posture.SLOUCHED: "sl", Posture.LEANING_FORWARD: "fw",
    Posture.RECLINED: "rc", Posture.UNKNOWN: "un", Occupancy.EMPTY: "em",
}

_T = TypeVar("_T")


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
    highest = max((d.summary.sitting_minutes for d in days), default=0.0)
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
        shares = s.posture_shares
        for p in ALL_POSTURES:
            m = s.posture_minutes.get(p, 0.0)
            if m <= 0:
                continue
            bh = m / ymax * plot_h
            y -= bh
            named = [(posture(p), m)]
            if p == Posture.LEANING_FORWARD:  # "weight forward" where a seat alone saw it
                named = ([(words, part) for words, part in forward_split(s) if part >= 0.5]
                         or [(forward_word(s), m)])
            sh = shares[p]
            what = ", ".join(f"{words} {fmt_minutes(part)} "
                             f"({share_cell(None if sh is None else sh * part / m)})"
                             for words, part in named)
            parts.append(
                f'<rect class="{CSS_CLASS[p]}" x="{_n(x)}" y="{_n(y)}" width="{_n(bar_w)}" '
                f'height="{_n(max(bh, 0.4))}"><title>{_esc(d.label)}: '
                f'{_esc(what)}</title></rect>')
        if d.has_data:
            parts.append(f'<text class="val" x="{_n(cx)}" y="{_n(y - 5)}" '
                         f'text-anchor="middle">{_esc(fmt_short(s.sitting_minutes))}</text>')
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
        bits.append(f"{d.label}: {fmt_minutes(s.sitting_minutes)} seated, "
                    f"{pct(s.upright_share)} {posture(Posture.UPRIGHT)}")
    return "Seated time per day by posture. " + "; ".join(bits) + "."


def spell_chart(days: Sequence[Day], sit_limit: float) -> str:
    """Per day, the longest sitting spell as a bar, with the sit limit as a dashed line."""
    w, h, left, top, bottom = 460.0, 240.0, 40.0, 24.0, 34.0
    plot_h = h - top - bottom
    limit = sit_limit / 60
    highest = max([d.summary.longest_spell_minutes for d in days] + [limit])
    step = _nice_step(highest * 1.1)
    ymax = max(step, math.ceil(highest * 1.08 / step) * step)
    col = (w - left - 8) / len(days)
    bar_w = min(26.0, col * 0.5)
    over = [d for d in days if d.summary.longest_spell_minutes > limit]
    label = (f"Longest sitting spell per day against the {fmt_limit(sit_limit)} limit. "
             + "; ".join(f"{d.label}: {fmt_minutes(d.summary.longest_spell_minutes)}"
                         if d.has_data else f"{d.label}: {d.missing}" for d in days)
             + f". {len(over)} day{'s' if len(over) != 1 else ''} over the limit.")
    parts = [_svg_open("spells", w, h, label, "Longest spell per day")]
    parts += _y_grid(ymax, step, left=left, top=top, plot_h=plot_h, w=w)
    for i, d in enumerate(days):
        cx = left + col * (i + 0.5)
        m = d.summary.longest_spell_minutes
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
                 f'text-anchor="start">limit {_esc(fmt_limit(sit_limit))}</text>')
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


def _runs(cells: dict[int, MinuteCell],
          key: Callable[[MinuteCell], _T | None]) -> list[tuple[int, int, _T]]:
    """Consecutive minutes with the same ``key(cell)`` (not None) as (first, end, value)."""
    out: list[tuple[int, int, _T]] = []
    for m in sorted(cells):
        v = key(cells[m])
        if v is None:
            continue
        if out and out[-1][1] == m and out[-1][2] == v:
            out[-1] = (out[-1][0], m + 1, v)
        else:
            out.append((m, m + 1, v))
    return out


def _watched_state(c: MinuteCell) -> tuple[Posture | Occupancy, bool, bool] | None:
    """What the minute is coloured by, whether a seat alone saw it (its leaning forward is
    then weight forward), and whether nothing that sees reclining saw it; None when nothing
    watched."""
    return (c.state, c.seat_alone_saw, c.recline_unseen_most) if c.present > 0 else None


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
    # the postures in the words of what saw them (reclined only when something could see it)
    legend = posture_legend(WeekSummary(tuple(d.summary for d in days)))
    names = [words for p, words in legend if p in POSTURES]
    # reclined in the legend, yet some minutes nothing could see it: their words say so
    recline_shown = any(p == Posture.RECLINED for p, _ in legend)
    seated = ", ".join(names[:-1]) + f" or {names[-1]}"
    label = (f"Each day from {_hhmm(lo)} to {_hhmm(hi)}, minute by minute: seated {seated}, "
             f"the {SEAT_EMPTY}, breaks, minutes with {ONE_SIDE}, and sitting spells longer "
             f"than {fmt_limit(sit_limit)}. The table below has the same numbers.")
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
        for m0, m1, (state, alone, unseen) in _runs(d.minutes, _watched_state):
            cls = CSS_CLASS[state]
            what = (SEAT_EMPTY if state == Occupancy.EMPTY
                    else WEIGHT_FORWARD if alone and state == Posture.LEANING_FORWARD
                    else posture(state))
            if unseen and recline_shown and state != Occupancy.EMPTY:
                what += f" · reclining {NOT_SEEN}"
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
                         f'<title>{_hhmm(m0)}–{_hhmm(m1)} {ONE_SIDE}</title></rect>')
        for a, b in d.spells:
            ya = y0 - 3.5
            cut = a + limit
            tip = (f"sitting spell {_hhmm(a)}–{_hhmm(b)}: {fmt_minutes(b - a)}, "
                   f"{fmt_minutes(b - cut)} past the {fmt_limit(sit_limit)} limit")
            parts.append(f'<g class="long"><title>{_esc(tip)}</title>'
                         f'<line class="spell" x1="{_n(x(a))}" x2="{_n(x(cut))}" '
                         f'y1="{_n(ya)}" y2="{_n(ya)}"/>'
                         f'<line class="spell-over" x1="{_n(x(cut))}" x2="{_n(x(b))}" '
                         f'y1="{_n(ya)}" y2="{_n(ya)}"/></g>')
        parts.append(f'<text class="val side" x="{_n(w - right + 8)}" '
                     f'y="{_n(y0 + strip_h - 4)}">'
                     f'{_esc(fmt_short(d.summary.sitting_minutes))}</text>')
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)


def nudge_chart(week: WeekSummary) -> str:
    """One bar per kind of nudge; the darker part of the bar is the share acted on. As narrow
    as the breaks chart beside it: 940 wide, a phone drew its words 4 px high."""
    nudges, outcomes = week.nudges, week.outcomes
    kinds = [k for k, n in nudges.items() if n]
    w, left, right, row_h = 400.0, 110.0, 150.0, 28.0
    h = row_h * max(1, len(kinds)) + 8
    top_n = max((nudges[k] for k in kinds), default=1)
    plot_w = w - left - right
    bits = []
    for k in kinds:
        o = outcomes.get(k, NudgeOutcomes())
        bits.append(f"{nudge_title(k)} {nudges[k]}"
                    + (f", acted on {o.acted} of {o.measured}" if o.measured else ""))
    label = "Nudges by kind: " + ("; ".join(bits) if bits else "none") + "."
    parts = [_svg_open("nudges", w, h, label, "Nudges by kind and how many you acted on")]
    for i, k in enumerate(kinds):
        n = nudges[k]
        o = outcomes.get(k, NudgeOutcomes())
        y = 4 + i * row_h
        bw = n / top_n * plot_w
        parts.append(f'<text class="day" x="{_n(left - 8)}" y="{_n(y + 14)}" '
                     f'text-anchor="end">{_esc(nudge_title(k))}</text>')
        parts.append(f'<rect class="nudge" x="{_n(left)}" y="{_n(y + 3)}" width="{_n(bw)}" '
                     f'height="15" rx="2"><title>{_esc(nudge_title(k))}: '
                     f'{_esc(plural(n, "nudge"))}</title></rect>')
        if o.measured:
            aw = bw * o.acted / o.measured
            if aw > 0:
                parts.append(f'<rect class="acted" x="{_n(left)}" y="{_n(y + 3)}" '
                             f'width="{_n(aw)}" height="15" rx="2"><title>acted on {o.acted} '
                             f'of {o.measured}</title></rect>')
            note = f"{n} · acted on {pct(o.acted / o.measured)}"
        else:
            note = f"{n}"
        parts.append(f'<text class="val" x="{_n(left + bw + 6)}" y="{_n(y + 14)}">'
                     f'{_esc(note)}</text>')
    parts.append("</svg>")
    return "".join(parts)
