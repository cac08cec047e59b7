"""The calendar pictures: a 12-week heatmap of sitting time, the month as a grid of days, and
breaks by length as bars; inline SVG, no script, no external reference.

Colours are written on the shapes (not taken from a stylesheet), so the same markup works in
the self-contained report files and in ``sitwatch serve``'s pages. Every shape has a
``<title>`` with its numbers, and each picture an ``aria-label`` saying what it shows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from itertools import pairwise

from sitwatch.history.queries import DaySummary
from sitwatch.reports.words import fmt_minutes, fmt_short, plural

HEATMAP_WEEKS = 12
#: Hours a day where the heatmap moves to the next shade: none, under 2 h, 2-4 h, 4-6 h, 6 h+.
LEVEL_HOURS = (2.0, 4.0, 6.0)
#: Shades of the sitting-time colour, lightest first; no data is grey.
SHADES = ("#c6e9dc", "#7fcfb1", "#2fa57d", "#0b6e4f")
NO_DATA = "#d3d9dc"
DEBT = "#c2362b"


def _esc(s: object) -> str:
    from markupsafe import escape

    return str(escape(str(s)))


def level(minutes: float) -> int:
    """0 for no sitting, then 1..4 by :data:`LEVEL_HOURS`."""
    if minutes <= 0:
        return 0
    h = minutes / 60
    return 1 + sum(1 for x in LEVEL_HOURS if h >= x)


def heatmap_weeks(ending: date, weeks: int = HEATMAP_WEEKS) -> tuple[date, date]:
    """The first Monday and the last Sunday of the ``weeks`` calendar weeks ending with the
    week ``ending`` is in."""
    sunday = ending + timedelta(days=6 - ending.weekday())
    return sunday - timedelta(days=7 * weeks - 1), sunday


def heatmap_svg(sitting: Mapping[date, float], ending: date, today: date | None = None,
                weeks: int = HEATMAP_WEEKS) -> str:
    """Sitting time per day over ``weeks`` calendar weeks (columns, oldest left) by weekday
    (rows, Monday on top). ``sitting``: minutes seated per day; a day missing from it (or
    after ``today``) is drawn as no data."""
    first, _ = heatmap_weeks(ending, weeks)
    cell, gap, left, top = 18, 3, 30, 18
    width = left + weeks * (cell + gap)
    height = top + 7 * (cell + gap) + 4
    total = sum(v for d, v in sitting.items() if v > 0)
    active = sum(1 for v in sitting.values() if v > 0)
    label = (f"Sitting time per day over the {weeks} weeks from {first:%d %B %Y}: "
             f"{fmt_minutes(total)} on {plural(active, 'day')}")
    out = [f'<svg class="chart heatmap" viewBox="0 0 {width} {height}" '
           f'preserveAspectRatio="xMinYMin meet" role="img" aria-label="{_esc(label)}" '
           f'style="max-width:{round(width * 1.6)}px">']
    for i, name in enumerate(("Mon", "", "Wed", "", "Fri", "", "Sun")):
        if name:
            y = top + i * (cell + gap) + cell * 0.72
            out.append(f'<text x="0" y="{y:.1f}" font-size="10">{name}</text>')
    shown_month = None
    for w in range(weeks):
        monday = first + timedelta(days=7 * w)
        x = left + w * (cell + gap)
        if monday.month != shown_month and (w == 0 or monday.day <= 7):
            shown_month = monday.month
            out.append(f'<text x="{x}" y="11" font-size="10">{monday:%b}</text>')
        for i in range(7):
            d = monday + timedelta(days=i)
            y = top + i * (cell + gap)
            m = sitting.get(d)
            later = today is not None and d > today
            if m is None or later:
                fill, what = NO_DATA, "not yet" if later else "no data"
                opacity = ' fill-opacity="0.45"'
            else:
                lv = level(m)
                fill = SHADES[lv - 1] if lv else NO_DATA
                what = fmt_minutes(m) + " seated" if m > 0 else "no sitting"
                opacity = "" if lv else ' fill-opacity="0.8"'
            out.append(f'<rect x="{x}" y="{y}" width="{cell}" height="{cell}" rx="3" '
                       f'fill="{fill}"{opacity} data-day="{d.isoformat()}">'
                       f'<title>{d:%a} {d.day} {d:%b}: {_esc(what)}</title></rect>')
    out.append("</svg>")
    return "".join(out)


def heatmap_legend() -> list[tuple[str, str]]:
    """(colour, words) for the heatmap's key."""
    h = [f"{x:g} h" for x in LEVEL_HOURS]
    words = [f"under {h[0]}", *(f"{a.split()[0]}–{b}" for a, b in pairwise(h)),
             f"{h[-1]} or more"]
    return [(NO_DATA, "no data"), *zip(SHADES, words, strict=True)]


def breaks_svg(counts: Sequence[int], names: Sequence[str]) -> str:
    """Breaks by length as horizontal bars, one per length class."""
    top = max(counts) if counts and max(counts) > 0 else 1
    row, label_w, bar_w = 24, 120, 220
    height = row * len(counts) + 4
    width = label_w + bar_w + 40
    label = "Breaks by length: " + ", ".join(f"{n} {w}" for n, w in zip(counts, names,
                                                                          strict=True))
    out = [f'<svg class="chart breaks" viewBox="0 0 {width} {height}" '
           f'preserveAspectRatio="xMinYMin meet" role="img" aria-label="{_esc(label)}" '
           f'style="max-width:{width * 2}px">']
    for i, (n, name) in enumerate(zip(counts, names, strict=True)):
        y = i * row + 4
        w = bar_w * n / top
        out.append(f'<text x="0" y="{y + 13}" font-size="11">{_esc(name)}</text>')
        out.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="16" rx="3" '
                   f'fill="{SHADES[2]}"><title>{n} {_esc(name)}</title></rect>')
        out.append(f'<text x="{label_w + w + 6:.1f}" y="{y + 13}" font-size="11" '
                   f'font-weight="600">{n}</text>')
    out.append("</svg>")
    return "".join(out)


def month_grid(days: Sequence[DaySummary], sit_limit: float,
               today: date | None = None) -> list[list[dict[str, object] | None]]:
    """The month as calendar weeks (Monday first) of cells; None outside the month."""
    if not days:
        return []
    lead = days[0].day.weekday()
    cells: list[dict[str, object] | None] = [None] * lead
    for d in days:
        later = today is not None and d.day > today and not d.has_data
        lv = level(d.sitting_minutes) if d.has_data else 0
        debt = d.sitting_debt(sit_limit)
        cells.append({
            "day": d.day.day, "date": d.day.isoformat(), "has_data": d.has_data,
            "later": later,
            "sitting": fmt_minutes(d.sitting_minutes) if d.has_data else "",
            "hours": f"{d.sitting_minutes / 60:.1f} h" if d.has_data else "",
            "breaks": d.breaks, "debt": fmt_short(debt) if debt >= 0.5 else "",
            "colour": SHADES[lv - 1] if lv else "",
            "dark": lv >= 3,
            "title": (f"{d.day:%A} {d.day.day} {d.day:%B}: "
                      + (f"{fmt_minutes(d.sitting_minutes)} seated, "
                         f"{plural(d.breaks, 'break')}"
                         + (f", {fmt_minutes(debt)} past the limit" if debt >= 0.5 else "")
                         if d.has_data else ("not yet" if later else "no data"))),
        })
    cells += [None] * (-len(cells) % 7)
    return [cells[i:i + 7] for i in range(0, len(cells), 7)]
