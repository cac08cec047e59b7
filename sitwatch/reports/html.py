"""The weekly posture report as one self-contained HTML page.

This module makes the page: it takes the week's numbers (:mod:`sitwatch.reports.week`, from
the history's :mod:`~sitwatch.history.queries`), the charts (:mod:`sitwatch.reports.charts`,
inline SVG drawn in Python) and the words (:mod:`sitwatch.reports.words`, shared with the
plain-text reports, so both say the same thing), and lays them out with the Jinja2 template
``sitwatch/data/report.html.j2`` (autoescaped). The page has no JavaScript, no external fonts,
styles or images, and a Content-Security-Policy that forbids every network request: it can be
opened from disk, mailed or printed, and it never calls home.

sitwatch is a wellness tool: the page describes how you sat and never diagnoses; its footer says
when to see a doctor instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from sitwatch.core.kinds import POSTURES, Posture
from sitwatch.history.queries import (
    Reader,
    RunRow,
    WeekSummary,
    daily_sitting_minutes,
    day_bounds,
    days_summaries,
    demo_days,
    runs,
    week_summary,
)
from sitwatch.nudging import guidance
from sitwatch.reports import calendar, diary, period
from sitwatch.reports.charts import (
    CSS_CLASS,
    nudge_chart,
    posture_chart,
    spell_chart,
    timeline_chart,
)
from sitwatch.reports.feedback import feedback_line, week_feedback
from sitwatch.reports.pressure import section as pressure_card  # the seat pressure card
from sitwatch.reports.week import Change, Day, collect_days, compare, headline_change
from sitwatch.reports.words import (
    DEFAULT_SIT_LIMIT,
    SEAT_EMPTY,
    cushion_part,
    demo_days_text,
    fmt_limit,
    fmt_minutes,
    lopsided_text,
    no_sitting_day_text,
    no_sitting_heading,
    no_sitting_text,
    nudge_times_text,
    nudges_text,
    offline_rows,
    pct,
    per_day,
    plural,
    posture_heading,
    posture_legend,
    posture_shares_text,
    recline_unseen_days,
    share_cell,
    shifts_text,
    suggestions,
    watched_empty_text,
    week_heading,
)

if TYPE_CHECKING:
    import jinja2
    from markupsafe import Markup

TEMPLATE = "report.html.j2"
MONTH_TEMPLATE = "month.html.j2"
DEFAULT_MIN_BREAK = 120.0  # seconds; config detect.occupancy.min_break


def _tip_html(text: str) -> Markup:
    """A suggestion, escaped, with `code` spans."""
    from markupsafe import Markup, escape

    return Markup(re.sub(r"`([^`<>]+)`", r"<code>\1</code>", str(escape(text))))


def _runs_in_week(store: Reader, start: datetime, end: datetime) -> list[RunRow]:
    """Runs that overlap the week, for the "recorded with" line."""
    return [r for r in runs(store)
            if r.started < end and (r.ended is None or r.ended >= start)]


def _uniq(xs: Iterable[object]) -> list[str]:
    seen: dict[str, None] = {}
    for x in xs:
        if x:
            seen.setdefault(str(x), None)
    return list(seen)


def _made_from(recorded: Sequence[RunRow]) -> str:
    """What watched the week, for the footer: ``the smartchair-12 cushion``, ``the camera``
    (a camera-only run has no layout, :func:`~sitwatch.history.queries.runs`)."""
    cushions = _uniq(r.layout for r in recorded if r.layout is not None)
    parts = [f"the {', '.join(cushions)} cushion{'s' if len(cushions) > 1 else ''}"] \
        if cushions else []
    if any(r.camera_only for r in recorded):
        parts.append("the camera")
    return " and ".join(parts)


@dataclass(frozen=True)
class DayRow:
    """One day in the table of numbers, as the words the cells show."""

    label: str
    has_data: bool
    missing: str = ""
    sitting: str = ""
    longest: str = ""
    longest_at: str = ""
    breaks: int = 0
    shares: Mapping[Posture, str] = field(default_factory=dict)
    lopsided: str = ""
    nudges: int = 0
    acted: str = ""


def _day_rows(days: Sequence[Day]) -> list[DayRow]:
    rows = []
    for d in days:
        s = d.summary
        label = f"{d.day:%a} {d.day.day} {d.day:%b}"
        if not d.has_data or not s.sat:  # a day watched with nobody sitting: no 0% cells
            rows.append(DayRow(label, False, missing=d.missing if not d.has_data
                               else no_sitting_day_text(s)))
            continue
        rows.append(DayRow(
            label, True,
            sitting=fmt_minutes(s.sitting_minutes),
            longest=fmt_minutes(s.longest_spell_minutes),
            longest_at=(f"{s.longest_spell_start:%H:%M}"
                        if s.longest_spell_start is not None else ""),
            breaks=s.breaks,
            shares={p: share_cell(v) for p, v in s.posture_shares.items()},
            lopsided=lopsided_text(s.lopsided_left_minutes, s.lopsided_right_minutes,
                                   measured=s.balance_measured, sides=False,
                                   over=cushion_part(s.cushion_minutes, s.sitting_minutes)),
            nudges=s.nudges_total,
            acted=f"{s.nudges_acted} of {s.nudges_measured}" if s.nudges_measured else "—",
        ))
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


def week_context(store: Reader, week_ending: date, tz: tzinfo, *,
                 sit_limit: float = DEFAULT_SIT_LIMIT, now: datetime | None = None,
                 min_break: float = DEFAULT_MIN_BREAK) -> dict[str, object]:
    """Everything the template shows (numbers as words, charts as SVG markup)."""
    from markupsafe import Markup

    now = (now or datetime.now(tz)).astimezone(tz)
    days = collect_days(store, week_ending, tz, sit_limit, today=now.date())
    week = WeekSummary(tuple(d.summary for d in days), under_way=now.date())
    start, _ = day_bounds(days[0].day, tz)
    _, end = day_bounds(days[-1].day, tz)
    recorded = _runs_in_week(store, start, end)
    ctx: dict[str, object] = {
        "title": week_title(week_ending),
        # the calendar week under way, or the last seven days, says so (`report --week`)
        "heading": week_heading(week_title(week_ending), week_ending, now.date()),
        "week_start": days[0].day,
        "week_ending": week_ending,
        "generated": now,
        "timezone": str(getattr(tz, "key", None) or now.tzname() or ""),
        "sit_limit": fmt_limit(sit_limit),
        "has_data": week.has_data,
        "no_sitting": "",
        "no_sitting_nudges": "",
        "no_sitting_nudged_at": "",
        "demo_days": "",
        "recline_unseen_days": "",
        "made_from": _made_from(recorded),
        "sources": _uniq(r.source for r in recorded),
        "see_a_doctor": guidance.SEE_A_DOCTOR,
        "red_flags": guidance.RED_FLAGS,
        # leaning forward in the words of what saw it; reclined left out when nothing could
        "posture_legend": [(words, CSS_CLASS[p]) for p, words in posture_legend(week)],
        "posture_columns": [(p, posture_heading(p)) for p in POSTURES],
        "seat_empty": SEAT_EMPTY,
        "diary": diary.view(diary.section(store, start, end)),  # issue #11
        "min_break": fmt_minutes(min_break / 60),
        "heatmap_legend": calendar.heatmap_legend(),
        "heatmap_svg": _heatmap(store, week_ending, tz, now.date()),
        # other sections (e.g. a pressure map) append Markup here; shown above the diary
        "extra_sections": [],
    }
    if not week.has_data:
        ctx["demo_days"] = _demo_days(store, tz)
        return ctx
    if not week.days_sat:  # watched, nobody sat: no charts and tables of 0%
        ctx.update(_no_sitting(week, "this week"))
        return ctx

    prev = week_summary(store, week_ending - timedelta(days=7), tz)
    changes: list[Change] = compare(week, prev) if prev.has_data else []
    measured = week.nudges_measured
    acted_share = week.nudges_acted / measured if measured else None
    shares = week.posture_shares
    longest_at = week.longest_spell_start
    ctx.update({
        "sitting": fmt_minutes(week.sitting_minutes),
        "sitting_per_day": fmt_minutes(week.sitting_per_day),
        "today_left_out": week.today_left_out,
        "days_sat": week.days_sat,
        "watched_empty": watched_empty_text(week),
        "longest": fmt_minutes(week.longest_spell_minutes),
        "longest_when": (f"{longest_at:%A} from {longest_at:%H:%M}"
                         if longest_at is not None else ""),
        "longest_over": week.longest_spell_minutes > sit_limit / 60,
        "breaks": week.breaks,
        "breaks_per_day": per_day(week.breaks_per_day),
        "upright": pct(week.upright_share),
        "shares": {p: share_cell(v) for p, v in shares.items()},
        "shares_text": posture_shares_text(week, ", "),
        "lopsided": lopsided_text(week.lopsided_left_minutes, week.lopsided_right_minutes,
                                  measured=week.balance_measured, sides=False,
                                  over=cushion_part(week.cushion_minutes,
                                                    week.sitting_minutes)),
        "offline": [(o.sensor, fmt_minutes(o.minutes), o.counted) for o in offline_rows(week)],
        "nudges_total": week.nudges_total,
        "nudges_acted": week.nudges_acted,
        "nudges_measured": measured,
        "acted_share": pct(acted_share) if acted_share is not None else None,
        "changes": changes,
        "headline_change": headline_change(changes),
        "tips": [_tip_html(s) for s in suggestions(week.days, sit_limit, weekly=True,
                                                    limit=3)],
        "rows": _day_rows(days),
        "recline_unseen_days": recline_unseen_days(week),
        "timeline_svg": Markup(timeline_chart(days, sit_limit)),
        "posture_svg": Markup(posture_chart(days)),
        "spell_svg": Markup(spell_chart(days, sit_limit)),
        "nudge_svg": Markup(nudge_chart(week)) if week.nudges_total else None,
        "not_right": feedback_line(week_feedback(store, week_ending, tz)),
        **_breaks_and_debt(week, sit_limit),
        "shifts_words": shifts_text(week),
    })
    return ctx


def _demo_days(store: Reader, tz: tzinfo) -> Markup | str:
    """The days of a history ``sitwatch demo`` wrote, for a page of a time it has none of
    (``sitwatch run`` has nothing to do with it); '' for any other history."""
    demo = demo_days(store, tz)
    return _tip_html(f"{demo_days_text(*demo)}.") if demo is not None else ""


def _no_sitting(w: WeekSummary, when: str) -> dict[str, object]:
    """What the week's or the month's page says when sitwatch watched but nobody sat, or it
    holds nudges alone: the text report's words (:func:`no_sitting_text`), the offline time and
    the nudges, if any (a nudge acted on from a companion, whose sitting was recorded
    elsewhere), and when they came."""
    return {
        "no_sitting_heading": no_sitting_heading(w, when),
        "no_sitting": no_sitting_text(w, when),
        "offline": [(o.sensor, fmt_minutes(o.minutes), o.counted) for o in offline_rows(w)],
        "no_sitting_nudges": nudges_text(w) if w.nudges_total else "",
        "no_sitting_nudged_at": nudge_times_text(w) if w.nudges_total else "",
    }


def _environment() -> jinja2.Environment:
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


def render_week(store: Reader, week_ending: date, tz: tzinfo, *,
                sit_limit: float = DEFAULT_SIT_LIMIT, now: datetime | None = None,
                min_break: float = DEFAULT_MIN_BREAK) -> str:
    """The weekly report of the seven days ending on ``week_ending`` (in ``tz``) as HTML."""
    template = _environment().from_string(_template_text())
    ctx = week_context(store, week_ending, tz, sit_limit=sit_limit, now=now,
                       min_break=min_break)
    card = pressure_card(store, week_ending, tz)  # the seat pressure maps (cushions only)
    if card:
        from markupsafe import Markup  # Jinja2's own; the card is built and escaped by us

        ctx["extra_sections"] = [Markup(card)]  # the only extra section so far
    return template.render(**ctx)


def write_week(store: Reader, week_ending: date, tz: tzinfo, path: Path | str, *,
               sit_limit: float = DEFAULT_SIT_LIMIT, now: datetime | None = None,
               min_break: float = DEFAULT_MIN_BREAK) -> Path:
    """Render the week and write it to ``path`` as ``sitwatch report --html`` does: whole or
    not at all, owner-only (a record of how you sat). Returns the path."""
    from sitwatch.core.private import write_private

    path = Path(path)
    write_private(path, render_week(store, week_ending, tz, sit_limit=sit_limit, now=now,
                                    min_break=min_break))
    return path


def _heatmap(store: Reader, ending: date, tz: tzinfo, today: date) -> Markup | None:
    """The 12-week heatmap ending with the week of ``ending``; None when none of it has data."""
    from markupsafe import Markup

    first, last = calendar.heatmap_weeks(ending)
    sitting = daily_sitting_minutes(store, first, min(last, today), tz)
    if not any(v > 0 for v in sitting.values()):
        return None
    return Markup(calendar.heatmap_svg(sitting, ending, today=today))


def _breaks_and_debt(w: WeekSummary, sit_limit: float) -> dict[str, object]:
    from markupsafe import Markup

    counts = w.break_lengths
    debt = w.sitting_debt(sit_limit)
    over = w.spells_over(sit_limit)
    names = period.break_classes()
    return {
        "breaks_svg": Markup(calendar.breaks_svg(counts, names)),
        "breaks_words": ("No breaks recorded" if not sum(counts)
                         else period.breaks_text(counts).capitalize()),
        "debt": fmt_minutes(debt),
        "debt_over": over > 0,
        "debt_note": (f"over {plural(over, 'spell')}, the longest "
                      f"{fmt_minutes(w.longest_spell_minutes)}" if over
                      else f"no spell ran past {fmt_limit(sit_limit)}"),
    }


def month_context(store: Reader, month: date, tz: tzinfo, *,
                  sit_limit: float = DEFAULT_SIT_LIMIT, min_break: float = DEFAULT_MIN_BREAK,
                  now: datetime | None = None, links: bool = False) -> dict[str, object]:
    """Everything the month page shows. ``links``: link the weeks and the months around it
    (the web app's pages; a file on its own has nothing to link to)."""
    now = (now or datetime.now(tz)).astimezone(tz)
    p = period.month_period(month)
    days = days_summaries(store, p.first, p.last, tz)
    m = WeekSummary(tuple(days), under_way=now.date())
    prev = p.previous()
    ctx: dict[str, object] = {
        "title": p.title, "generated": now,
        "timezone": str(getattr(tz, "key", None) or now.tzname() or ""),
        "has_data": m.has_data, "sit_limit": fmt_limit(sit_limit),
        "min_break": fmt_minutes(min_break / 60),
        "heatmap_svg": _heatmap(store, p.last, tz, now.date()),
        "heatmap_legend": calendar.heatmap_legend(),
        "nav_links": None,
        "no_sitting": "",
        "demo_days": "",
    }
    if links:
        nxt = period.month_period(p.last + timedelta(days=1))
        ctx["nav_links"] = {
            "prev": f"/month/{prev.name}", "prev_title": prev.title,
            "next": f"/month/{nxt.name}" if nxt.first <= now.date() else None,
            "next_title": nxt.title}
    if not m.has_data:
        ctx["demo_days"] = _demo_days(store, tz)
        return ctx
    if not m.days_sat:  # watched, nobody sat: no figures of 0 min
        ctx.update(_no_sitting(m, "this month"))
        return ctx
    at = m.longest_spell_start
    week_rows = []
    monday = p.first - timedelta(days=p.first.weekday())
    while monday <= p.last:
        sunday = monday + timedelta(days=6)
        inside = [d for d in days if monday <= d.day <= sunday]
        w = WeekSummary(tuple(inside))
        n = monday.isocalendar()[1]
        week_rows.append({
            "title": (f"Week {n} · {monday.day} {monday:%b} – {sunday.day} {sunday:%b}"
                      if monday.month != sunday.month else
                      f"Week {n} · {monday.day}–{sunday.day} {sunday:%b}"),
            "href": f"/week/{sunday.isoformat()}" if links else None,
            "sitting": fmt_minutes(w.sitting_minutes) if w.has_data else "—",
            "breaks": w.breaks, "over": w.spells_over(sit_limit),
            "debt": fmt_minutes(w.sitting_debt(sit_limit))})
        monday += timedelta(days=7)
    before = ""
    pm = WeekSummary(tuple(days_summaries(store, prev.first, prev.last, tz)))
    if pm.has_data:
        before = f"In {period.before_words(prev.title, pm, sit_limit)}."  # the text's words
    ctx.update({
        "sitting": fmt_minutes(m.sitting_minutes),
        "sitting_per_day": fmt_minutes(m.sitting_per_day),
        "today_left_out": m.today_left_out,
        "days_sat": m.days_sat,
        "watched_empty": watched_empty_text(m),
        "longest": fmt_minutes(m.longest_spell_minutes),
        "longest_when": f"{at:%A} {at.day} {at:%B}, from {at:%H:%M}" if at is not None else "",
        "breaks": m.breaks,
        "grid": calendar.month_grid(days, sit_limit, today=now.date()),
        "week_rows": week_rows,
        "before": before,
        "tips": suggestions(m.days, sit_limit, weekly=True, limit=3),
        **_breaks_and_debt(m, sit_limit),
        "shifts_words": shifts_text(m),
    })
    return ctx


def render_month(store: Reader, month: date, tz: tzinfo, *,
                 sit_limit: float = DEFAULT_SIT_LIMIT, min_break: float = DEFAULT_MIN_BREAK,
                 now: datetime | None = None, links: bool = False) -> str:
    """The month ``month`` is in, as one self-contained HTML page."""
    text = resources.files("sitwatch.data").joinpath(MONTH_TEMPLATE).read_text(
        encoding="utf-8")
    return _environment().from_string(text).render(**month_context(
        store, month, tz, sit_limit=sit_limit, min_break=min_break, now=now, links=links))


__all__ = ["render_month", "render_week", "week_context", "week_title", "write_week"]
