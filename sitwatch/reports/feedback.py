"""The reports' words for "Not right": how many false alarms were reported in a period, per kind,
and what that eased (from the history's ``feedback`` table, :mod:`sitwatch.history.feedback`)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo

from sitwatch.core.kinds import FEEDBACK_KINDS, FeedbackKind
from sitwatch.history.feedback import FeedbackRow, FeedbackSummary, summary
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


def _since_reset(s: FeedbackSummary, kind: str) -> tuple[list[FeedbackRow], bool]:
    """(The applied "Not right" of ``kind`` that moved thresholds and are still in force at the
    end of the period, whether earlier ones in the period were undone by a reset of the kind or
    of every kind)."""
    rows: list[FeedbackRow] = []
    undone = False
    for r in s.rows:
        if r.action == "reset" and r.kind in (kind, None):
            undone = undone or bool(rows)
            rows = []
        elif r.kind == kind and r.action == "wrong" and r.applied and r.changes:
            rows.append(r)
    return rows, undone


def eased(s: FeedbackSummary) -> list[str]:
    """One phrase per kind eased in the period and still eased at its end: its main threshold
    from -> to (a reset later in the period undoes what came before it)."""
    out = []
    for kind in FEEDBACK_KINDS:
        rows, _ = _since_reset(s, kind)
        if not rows:
            continue
        knob = next(iter(rows[0].changes))
        first = rows[0].changes[knob][0]
        last = next((r.changes[knob][1] for r in reversed(rows) if knob in r.changes), first)
        steps = rows[-1].steps
        out.append(f"{label(kind)} {_knob(knob)} {first:g} → {last:.2g} "
                   f"({steps} step{'s' if steps != 1 else ''})")
    return out


def undone(s: FeedbackSummary) -> list[str]:
    """The kinds eased in the period and then reset (back to the configured thresholds) with
    nothing eased since."""
    return [label(k) for k in FEEDBACK_KINDS
            if _since_reset(s, k) == ([], True)]


def feedback_line(s: FeedbackSummary) -> str:
    """``3 (lopsided 2, slouching 1); eased: ...; 1 recorded only (...); reset once`` or '' when
    there was none. "eased" is what is in force at the end of the period; what a reset undid is
    said apart, and so are the answers that eased nothing."""
    if not s.rows:
        return ""
    parts = []
    if s.total:
        kinds = ", ".join(f"{label(k)} {s.wrong[k]}" for k in FEEDBACK_KINDS if s.wrong.get(k))
        parts.append(f"{s.total} ({kinds})")
    ch = eased(s)
    forgot = sum(1 for r in s.rows if r.kind == FeedbackKind.LEARNED and r.action == "wrong"
                 and r.applied)
    back = undone(s)
    # why an answer eases nothing: the feedback table does not say which, each is possible;
    # "the camera alone saw it" is a camera-only setup's every answer, and, with a cushion too,
    # an answer to a slouch the cushion did not see
    why = "at the limit, learning is off, or the camera alone saw it"
    recorded = sum(1 for r in s.rows if r.action == "wrong" and not r.applied
                   and r.kind != FeedbackKind.LEARNED)
    if ch:
        parts.append("eased: " + ", ".join(ch))
    if back:
        parts.append(f"eased, then reset to the configured thresholds: {', '.join(back)}")
    if not ch and not back and s.total and not forgot:
        parts.append(f"nothing eased ({why})")
    elif recorded:
        parts.append(f"{recorded} recorded only ({why})")
    if forgot:
        parts.append(("a learned way of sitting" if forgot == 1
                      else f"{forgot} learned ways of sitting") + " forgotten")
    if s.resets:
        parts.append("reset " + ("once" if s.resets == 1 else f"{s.resets} times"))
    return "; ".join(parts)
