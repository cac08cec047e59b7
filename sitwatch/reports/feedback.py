"""The reports' words for "Not right": how many false alarms were reported in a period, per kind,
and what that eased (from the history's ``feedback`` table, :mod:`sitwatch.history.feedback`)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo

from sitwatch.core.kinds import FEEDBACK_KINDS, FeedbackKind
from sitwatch.history.feedback import FeedbackSummary, summary
from sitwatch.history.queries import Reader, day_bounds
from sitwatch.nudging.feedback import label


def week_feedback(store: Reader, week_ending: date, tz: tzinfo) -> FeedbackSummary:
    start = day_bounds(week_ending - timedelta(days=6), tz)[0]
    end = day_bounds(week_ending, tz)[1]
    return period(store, start, end)


def period(store: Reader, start: datetime, end: datetime) -> FeedbackSummary:
    return summary(store.connection, start, end)


def _knob(name: str) -> str:
    section, key = name.split(".")[1:]
    return f"{section} {key.replace('_', ' ')}"


def eased(s: FeedbackSummary) -> list[str]:
    """One phrase per kind eased in the period: its main threshold from -> to."""
    out = []
    for kind in FEEDBACK_KINDS:
        rows = [r for r in s.rows if r.kind == kind and r.action == "wrong" and r.applied
                and r.changes]
        if not rows:
            continue
        knob = next(iter(rows[0].changes))
        first = rows[0].changes[knob][0]
        last = next((r.changes[knob][1] for r in reversed(rows) if knob in r.changes), first)
        steps = rows[-1].steps
        out.append(f"{label(kind)} {_knob(knob)} {first:g} → {last:.2g} "
                   f"({steps} step{'s' if steps != 1 else ''})")
    return out


def feedback_line(s: FeedbackSummary) -> str:
    """``3 (lopsided 2, slouching 1); eased: ...; reset once`` or '' when there was none."""
    if not s.rows:
        return ""
    parts = []
    if s.total:
        kinds = ", ".join(f"{label(k)} {s.wrong[k]}" for k in FEEDBACK_KINDS if s.wrong.get(k))
        parts.append(f"{s.total} ({kinds})")
    ch = eased(s)
    forgot = sum(1 for r in s.rows if r.kind == FeedbackKind.LEARNED and r.action == "wrong"
                 and r.applied)
    if ch:
        parts.append("eased: " + ", ".join(ch))
    elif s.total and not forgot:
        parts.append("nothing eased (at the limit, or learning is off)")
    if forgot:
        parts.append(("a learned way of sitting" if forgot == 1
                      else f"{forgot} learned ways of sitting") + " forgotten")
    if s.resets:
        parts.append("reset " + ("once" if s.resets == 1 else f"{s.resets} times"))
    return "; ".join(parts)
