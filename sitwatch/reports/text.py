"""Plain-text reports of a day or a week, from the history.

Plain words, numbers the reader can check, and one or two suggestions picked from the data.
The numbers come from :mod:`sitwatch.history.queries`, the words and the suggestions from
:mod:`sitwatch.reports.words` (the HTML page uses the same). sitwatch is a wellness tool: the
reports describe how you sat, they never diagnose.
"""

from __future__ import annotations

import re
import textwrap
from datetime import date, timedelta, tzinfo

from sitwatch.core.kinds import POSTURES
from sitwatch.history.queries import (
    DaySummary,
    Reader,
    day_bounds,
    day_summary,
    demo_days,
    week_summary,
)
from sitwatch.reports import diary, period
from sitwatch.reports.feedback import feedback_line, week_feedback
from sitwatch.reports.words import (
    DEFAULT_SIT_LIMIT,
    back_pocket_text,
    cushion_part,
    fmt_minutes,
    fmt_short,
    longest_spell_text,
    lopsided_text,
    no_history_text,
    no_sitting_rows,
    no_sitting_text,
    nudges_text,
    offline_texts,
    pct,
    posture_column,
    posture_shares_text,
    shifts_text,
    suggestions,
    week_heading,
)

_BLOCKS = "▏▎▍▌▋▊▉█"


def bar(value: float, top: float, width: int = 8) -> str:
    """A left-aligned bar of unicode blocks, ``width`` cells for ``top``; padded to width."""
    if top <= 0 or value <= 0:
        return " " * width
    eighths = max(1, round(min(value / top, 1.0) * width * 8))
    full, rest = divmod(eighths, 8)
    s = "█" * full + (_BLOCKS[rest - 1] if rest else "")
    return s.ljust(width)


# Weekly table: header and width (right-aligned), after the day label and the bar.
_COLUMNS = (("sitting", 7), ("longest", 7), ("breaks", 6),
            *zip((posture_column(p) for p in POSTURES), (7, 6, 7, 7), strict=True),
            ("lopsided", 8), ("nudges", 6))
_BAR_WIDTH = 3  # 24 steps in eighths; the table then keeps within period.TEXT_WIDTH


def _table_row(label: str, bar_text: str, cells: list[str]) -> str:
    out = f"{label:<6} {bar_text:<{_BAR_WIDTH}}"
    for (_, width), cell in zip(_COLUMNS, cells, strict=False):
        out += f" {cell:>{width}}"
    return out.rstrip()


def _bullets(tips: list[str], width: int = 80) -> list[str]:
    out: list[str] = []
    for tip in tips:
        out += textwrap.wrap(tip, width, initial_indent="• ", subsequent_indent="  ")
    return out


def _row(key: str, value: str) -> str:
    return period.text_row(key, value)


def _day_title(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


# -- reports --------------------------------------------------------------------------------

def _day_block(s: DaySummary) -> list[str]:
    rows = [
        ("Sitting", fmt_minutes(s.sitting_minutes)),
        ("Longest spell", longest_spell_text(s)),
        ("Breaks", str(s.breaks)),
        ("Posture", posture_shares_text(s)),
        ("Lopsided", lopsided_text(s.lopsided_left_minutes, s.lopsided_right_minutes,
                                   measured=s.balance_measured,
                                   over=cushion_part(s.cushion_minutes, s.sitting_minutes))),
        ("Nudges", nudges_text(s)),
    ]
    rows += offline_texts(s)
    if s.wallet_suspected:
        rows.append(("Back pocket", back_pocket_text(s.wallet_suspected)))
    return [_row(k, v) for k, v in rows]


def daily_text(store: Reader, day: date, tz: tzinfo, *,
               sit_limit: float = DEFAULT_SIT_LIMIT) -> str:
    s = day_summary(store, day, tz)
    title = _day_title(day)
    lines = [title, "─" * len(title)]
    if not s.has_data:
        lines += textwrap.wrap("No sitting recorded. " + no_history_text(demo_days(store, tz)),
                               period.TEXT_WIDTH)
        return "\n".join(lines) + "\n"
    if not s.sat:  # watched, nobody sat: no row of 0%
        lines += textwrap.wrap(no_sitting_text(s), period.TEXT_WIDTH)
        lines += [_row(k, v) for k, v in no_sitting_rows(s)]
        return "\n".join(lines) + "\n"
    lines += _day_block(s)
    if s.spells_over(sit_limit):
        lines.append(_row("Sitting debt", period.debt_text(
            s.sitting_debt(sit_limit), s.spells_over(sit_limit), sit_limit)))
    shifts = shifts_text(s)
    if shifts:
        lines.append(_row("Weight shifts", shifts))
    tips = suggestions([s], sit_limit, weekly=False, limit=2)
    if tips:
        lines.append("")
        lines += _bullets(tips)
    return "\n".join(lines) + "\n"


def weekly_text(store: Reader, week_ending: date, tz: tzinfo, *,
                sit_limit: float = DEFAULT_SIT_LIMIT, today: date | None = None) -> str:
    """The week ending on ``week_ending`` as plain text (``today``: the day under way, which
    counts in the totals but not yet in the figures per day)."""
    week = week_summary(store, week_ending, tz, today)
    first = week_ending - timedelta(days=6)
    dates = (f"{first:%a} {first.day} {first:%b} – "
             f"{week_ending:%a} {week_ending.day} {week_ending:%b %Y}")
    title = week_heading(dates, week_ending, today)
    if title == dates:  # a calendar week gone by
        title = f"Week {dates}"
    lines = [title, "─" * len(title)]
    if not week.has_data:
        lines += textwrap.wrap("No sitting recorded this week. "
                               + no_history_text(demo_days(store, tz)), period.TEXT_WIDTH)
        lines += _diary_block(store, first, week_ending, tz)
        return "\n".join(lines) + "\n"
    if not week.days_sat:  # watched, nobody sat: no table of 0%
        lines += textwrap.wrap(no_sitting_text(week, "this week"), period.TEXT_WIDTH)
        lines += [_row(k, v) for k, v in no_sitting_rows(week)]
        lines += _diary_block(store, first, week_ending, tz)
        return "\n".join(lines) + "\n"

    top = max(d.sitting_minutes for d in week.days)
    lines.append(_table_row("", "", [h for h, _ in _COLUMNS]))
    for d in week.days:
        label = f"{d.day:%a} {d.day.day:>2}"
        if not d.has_data:
            lines.append(_table_row(label, "", ["—"]))
            continue
        if not d.watched:  # its nudges alone: no time watched, the nudges' column only
            lines.append(_table_row(label, "", ["—", *[""] * (len(_COLUMNS) - 2),
                                                str(d.nudges_total)]))
            continue
        if d.offline_throughout:  # nothing could see the seat: no day watched empty
            lines.append(_table_row(label, "", ["offline"]))
            continue
        if not d.sat:  # watched an empty seat: no shares to give
            lines.append(_table_row(label, "", [fmt_short(d.sitting_minutes)]))
            continue
        sh = d.posture_shares
        lines.append(_table_row(label, bar(d.sitting_minutes, top, _BAR_WIDTH), [
            fmt_short(d.sitting_minutes), fmt_short(d.longest_spell_minutes),
            str(d.breaks), *("—" if sh[p] is None else pct(sh[p] or 0.0) for p in POSTURES),
            fmt_short(d.lopsided_minutes), str(d.nudges_total),
        ]))

    lines.append("")
    lines.append(_row("Sitting", period.sitting_words(week)))
    at = week.longest_spell_start
    if at is not None:
        lines.append(_row("Longest spell", f"{fmt_minutes(week.longest_spell_minutes)} "
                                           f"({at:%A} {at:%H:%M})"))
    lines.append(_row("Breaks", str(week.breaks)))
    if week.breaks:
        lines.append(_row("Break lengths", period.breaks_text(week.break_lengths)))
    lines.append(_row("Sitting debt", period.debt_text(
        week.sitting_debt(sit_limit), week.spells_over(sit_limit), sit_limit)))
    shifts = shifts_text(week)
    if shifts:
        lines.append(_row("Weight shifts", shifts))
    lines.append(_row("Posture", posture_shares_text(week)))
    lines.append(_row("Lopsided", lopsided_text(
        week.lopsided_left_minutes, week.lopsided_right_minutes,
        measured=week.balance_measured,
        over=cushion_part(week.cushion_minutes, week.sitting_minutes))))
    lines.append(_row("Nudges", nudges_text(week)))
    not_right = feedback_line(week_feedback(store, week_ending, tz))
    if not_right:
        lines.append(_row('"Not right"', not_right))
    lines += [_row(k, v) for k, v in offline_texts(week)]

    tips = suggestions(week.days, sit_limit, weekly=True, limit=2)
    if tips:
        lines.append("")
        lines += _bullets(tips)
    lines += _diary_block(store, first, week_ending, tz)
    return "\n".join(lines) + "\n"


def _diary_block(store: Reader, first: date, last: date, tz: tzinfo) -> list[str]:
    """The symptom diary of the week (issue #11), wrapped; nothing when it is empty."""
    sec = diary.section(store, day_bounds(first, tz)[0], day_bounds(last, tz)[1])
    lines = diary.text_lines(sec)
    if not lines:
        return []
    out = [""]
    for ln in lines:
        indent = len(ln) - len(ln.lstrip(" "))
        glued = re.sub(r"(\d) (h|min)\b", "\\1\u00a0\\2", ln.lstrip(" "))  # "20 min" stays whole
        out += [w.replace("\u00a0", " ") for w in textwrap.wrap(
            glued, period.TEXT_WIDTH, initial_indent=" " * indent,
            subsequent_indent=" " * (indent + 2))] or [""]
    return out
