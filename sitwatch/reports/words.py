"""Every word the reports use: names of postures and nudges, durations, shares, suggestions.

The plain-text reports (:mod:`sitwatch.reports.text`) and the HTML page
(:mod:`sitwatch.reports.html`) both take their words from here, so they never disagree. The
names of the kinds come from :func:`sitwatch.core.kinds.label` (the status line and the
notifications use the same); this module adds only what is particular to reports: headings,
short column names, and the sentences of the suggestions.

sitwatch is a wellness tool: the words describe how you sat, they never diagnose.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from operator import attrgetter
from typing import NamedTuple

from sitwatch.core import durations
from sitwatch.core.kinds import POSTURES, WEIGHT_FORWARD, Balance, Posture, label
from sitwatch.history.queries import NEEDS_BACKREST, DaySummary, WeekSummary
from sitwatch.nudging.guidance import CATALOG, HEAD_DOWN

DEFAULT_SIT_LIMIT = 2700.0  # seconds; config detect.sit_limit

#: Every posture the reports show, in the order charts stack them: those a detector reports,
#: then the time it could not tell.
ALL_POSTURES: tuple[Posture, ...] = (*POSTURES, Posture.UNKNOWN)

#: A minute whose seat was empty, on the timeline.
SEAT_EMPTY = "seat empty"
#: A minute with the weight on one side (either), on the timeline.
ONE_SIDE = "more weight on one side"
#: Lopsided time when nothing measured balance (a webcam alone sees no weight).
NOT_MEASURED = "not measured (a cushion measures it)"
#: A posture the sensors could not see (reclining without backrest sensors): not 0%.
NOT_SEEN = "not seen (needs backrest sensors)"

#: Below this share of the seated time with a known posture, the reports do not say how you
#: "mostly" sat: too little is known.
MIN_KNOWN_SHARE = 0.5
#: A posture is what you "mostly" did when it holds more than this share of the known time.
MOSTLY_SHARE = 0.5
#: The postures a report never praises, and what it says helps with them.
SLUMPED = (Posture.SLOUCHED, Posture.LEANING_FORWARD)
SIT_BACK = ("Sliding your hips back until the backrest carries your lower back makes sitting "
            "tall easier.")
#: What helps with a slump only a camera saw: a head dropped towards the desk, not the hips it
#: cannot see (the camera's slouch nudge says the same: ``sitwatch guidance head_down``).
HEAD_UP = CATALOG[HEAD_DOWN].actions[1]

# Column headings for the postures, where a table has little room.
_HEADING = {Posture.LEANING_FORWARD: "forward"}
_NARROW = {Posture.SLOUCHED: "slouch", Posture.LEANING_FORWARD: "forward",
           Posture.RECLINED: "recline"}


# -- kinds ------------------------------------------------------------------------------------

def posture(p: Posture | str) -> str:
    """``upright``, ``leaning forward``, ``unknown`` ..."""
    return label(p)


def posture_heading(p: Posture) -> str:
    """A table heading: ``Upright``, ``Slouched``, ``Forward``, ``Reclined``."""
    return _HEADING.get(p, label(p)).capitalize()


def posture_column(p: Posture) -> str:
    """A narrow plain-text column: ``upright``, ``slouch``, ``forward``, ``recline``."""
    return _NARROW.get(p, label(p))


def nudge(kind: str) -> str:
    """A kind of nudge in running text: ``time to move``, ``posture``, ``lopsided`` ..."""
    return label(kind)


def nudge_title(kind: str) -> str:
    """A kind of nudge as a name on its own: ``Time to move``, ``Posture`` ..."""
    return nudge(kind).capitalize()


def weight_on(side: Balance) -> str:
    """``more weight on the left`` / ``... right``."""
    return label(side)


def forward_split(s: DaySummary | WeekSummary) -> list[tuple[str, float]]:
    """The leaning forward minutes of ``s`` by what saw them, as (words, minutes): ``leaning
    forward`` where backrest sensors or a camera saw the sitting, :data:`WEIGHT_FORWARD` where
    a seat alone did; only the words for what watched (both in a period with both)."""
    total = s.posture_minutes.get(Posture.LEANING_FORWARD, 0.0)
    seat = min(total, s.weight_forward_minutes)
    alone = s.seat_alone_minutes >= 0.5
    out = []
    if not alone or s.sitting_minutes - s.seat_alone_minutes >= 0.5:
        out.append((posture(Posture.LEANING_FORWARD), total - seat))
    if alone:
        out.append((WEIGHT_FORWARD, seat))
    return out


def forward_word(s: DaySummary | WeekSummary, sep: str = " or ") -> str:
    """``leaning forward``, ``weight forward`` (a seat alone saw the sitting), or both joined
    by ``sep`` (:func:`forward_split`): a chart's legend and its pointer titles."""
    return sep.join(words for words, _ in forward_split(s))


def posture_legend(s: DaySummary | WeekSummary) -> list[tuple[Posture, str]]:
    """The postures a chart of ``s`` can show, with their words: leaning forward as
    :func:`forward_word` has it, and reclined left out when nothing could see it."""
    shares = s.posture_shares
    return [(p, forward_word(s, " / ") if p == Posture.LEANING_FORWARD else posture(p))
            for p in ALL_POSTURES if not (p in NEEDS_BACKREST and shares.get(p, 0.0) is None)]


def posture_shares_text(s: DaySummary | WeekSummary, sep: str = " · ") -> str:
    """``upright 75% · slouched 15% · leaning forward 0% · reclined 10%``, and the unknown
    share when it shows as at least 1%. Reclining only a backrest sensor sees: without one
    (a seat alone, a camera) ``reclined not seen (needs backrest sensors)``, and over the time
    one saw when it saw part of the sitting (:func:`recline_part`). Leaning forward where a
    seat alone saw it is ``weight forward`` (:func:`forward_split`)."""
    shares = s.posture_shares
    parts = []
    for p in POSTURES:
        v = shares.get(p, 0.0)
        if v is None:
            parts.append(f"{posture(p)} {NOT_SEEN}")
            continue
        if p == Posture.LEANING_FORWARD:
            total = s.posture_minutes.get(p, 0.0)
            parts += [f"{words} {pct(v * m / total if total > 0 else 0.0)}"
                      for words, m in forward_split(s)]
            continue
        over = recline_part(s.recline_seen_minutes, s.sitting_minutes) \
            if p in NEEDS_BACKREST else ""
        parts.append(f"{posture(p)} {pct(v)}" + (f" (of {over})" if over else ""))
    unknown = pct(shares.get(Posture.UNKNOWN) or 0.0)
    if unknown != "0%":
        parts.append(f"{posture(Posture.UNKNOWN)} {unknown}")
    return sep.join(parts)


def share_cell(share: float | None) -> str:
    """A posture's share in a table cell: ``75%``, or ``not seen`` (:data:`NOT_SEEN`)."""
    return "not seen" if share is None else pct(share)


def recline_unseen_days(w: WeekSummary) -> str:
    """The days of ``w`` nothing could see reclining for part or all of the sitting, when the
    week's charts show reclining at all (something saw it some of the week): ``1 h on Tue 17
    · 20 min on Thu 19``; '' otherwise. A minute strip there shows the posture the seat or
    camera saw, which may have been reclining."""
    if w.posture_shares.get(Posture.RECLINED) is None:
        return ""
    return " · ".join(f"{fmt_minutes(d.recline_unseen_minutes)} on {d.day:%a} {d.day.day}"
                      for d in w.days if d.sat and d.recline_unseen_minutes >= 0.5)


def recline_part(seen: float, sitting: float) -> str:
    """The seated time the reclined share is taken over, when backrest sensors saw only part
    of the sitting: ``the 2 h 10 min backrest sensors saw``; '' when they saw all of it (or
    none: then there is no share)."""
    if sitting - seen < 0.5 or seen < 0.5:
        return ""
    return f"the {fmt_minutes(seen)} backrest sensors saw"


# -- numbers ----------------------------------------------------------------------------------

def fmt_minutes(minutes: float) -> str:
    """``0 min``, ``37 min``, ``3 h 12 min``, ``2 h``."""
    m = round(max(0.0, minutes))
    if m < 60:
        return f"{m} min"
    h, m = divmod(m, 60)
    return f"{h} h {m} min" if m else f"{h} h"


#: Each sensor's offline time (a DaySummary's or WeekSummary's), its name, what to check, and
#: the part of it a camera saw you seated in its stead (None: nothing stands in for it): a
#: camera-only setup's offline time is the camera's, never a cushion it does not have.
OFFLINE_SENSORS: tuple[tuple[str, str, str, str | None], ...] = (
    ("cushion", "cushion_offline_minutes", "Check its cable", "stand_in_minutes"),
    ("camera", "camera_offline_minutes",
     "Check that it is plugged in and that no other program holds it", None),
)


class Offline(NamedTuple):
    sensor: str  # "cushion" or "camera"
    minutes: float
    # of them, the minutes a camera saw you seated in the sensor's stead (fusion rule O2):
    # sitting time in the figures all the same
    seen_seated: float = 0.0

    @property
    def label(self) -> str:
        """The report's row: "Cushion offline", "Camera offline"."""
        return f"{self.sensor.capitalize()} offline"

    @property
    def counted(self) -> str:
        """What became of the offline time in the figures, as a clause after "offline for 40
        min". The history keeps the seated time a camera saw meanwhile (counted), not the time
        it saw the seat empty, so the rest is said as what it surely is: any sitting then went
        unseen."""
        if self.seen_seated < 0.5:
            return "that time is missing from these numbers"
        if self.minutes - self.seen_seated < 0.5:
            return "a camera saw you seated all that time, and it counts as sitting here"
        return (f"a camera saw you seated for {fmt_minutes(self.seen_seated)} of it, which "
                "counts as sitting here; any other sitting in that time is missing from these "
                "numbers")


def offline_rows(s: DaySummary | WeekSummary) -> list[Offline]:
    """Each sensor offline for half a minute or more of ``s`` (a day's or a week's summary)."""
    rows = [Offline(name, float(getattr(s, attr)),
                    float(getattr(s, seen)) if seen is not None else 0.0)
            for name, attr, _, seen in OFFLINE_SENSORS]
    return [r for r in rows if r.minutes >= 0.5]


def offline_texts(s: DaySummary | WeekSummary) -> list[tuple[str, str]]:
    """The report's offline rows as (label, value): ``("Cushion offline", "40 min")``; the
    plain-text reports and the web app's Today page show the same."""
    return [(o.label, fmt_minutes(o.minutes)) for o in offline_rows(s)]


def fmt_limit(sit_limit: float) -> str:
    """The sitting limit (seconds) as the user set it: ``45 min``, ``1 min 30 s`` (a short
    limit rounded to whole minutes would read as another setting)."""
    return durations.setting(sit_limit)


def fmt_short(minutes: float) -> str:
    """Compact durations for tables: ``0m``, ``37m``, ``3h12``, ``2h00``."""
    m = round(max(0.0, minutes))
    if m < 60:
        return f"{m}m"
    h, m = divmod(m, 60)
    return f"{h}h{m:02d}"


def pct(share: float) -> str:
    """``75%``."""
    return f"{round(share * 100)}%"


def per_day(x: float) -> str:
    """A count per day: ``2``, ``0.7``."""
    r = round(x, 1)
    return f"{r:.0f}" if abs(r - round(r)) < 0.05 else f"{r:.1f}"


def cushion_part(cushion: float, sitting: float) -> str:
    """The seated time a figure only the cushion measures (balance, weight shifts) is taken
    over, when a camera saw part of the sitting (alone, or standing in for an offline
    cushion): ``the 2 h 10 min the cushion saw``; '' when the cushion saw all of it."""
    if sitting - cushion < 0.5:
        return ""
    return f"the {fmt_minutes(cushion)} the cushion saw"


def back_pocket_text(times: int) -> str:
    """How often a day's sitting showed something in a back pocket: ``something under one
    side 2x``."""
    return f"something under one side {times}x"


def nudges_text(s: DaySummary | WeekSummary) -> str:
    """The nudges of a day or a week, by kind, and how many of those followed up were acted
    on: ``3, acted on 1 of 2: time to move 2 · posture 1``; ``none``. The report and the web
    app's Today page both say it so. No brackets round the kinds: a text row wraps between
    `` · `` items (:func:`sitwatch.reports.period.text_row`), and wrapped inside brackets the
    row read as two half lists."""
    total = sum(s.nudges.values())
    if not total:
        return "none"
    kinds = [f"{nudge(k)} {n}" for k, n in s.nudges.items() if n]
    acted = f", acted on {s.nudges_acted} of {s.nudges_measured}" if s.nudges_measured else ""
    return f"{total}{acted}: {' · '.join(kinds)}"


def lopsided_text(left: float, right: float, *, measured: bool = True, over: str = "",
                  sides: bool = True) -> str:
    """The minutes with more weight on one side: ``12 min of the 2 h 10 min the cushion saw
    (more weight on the left)``; :data:`NOT_MEASURED` when no balance was measured. ``over``:
    :func:`cushion_part`; ``sides``: say which side held most of it."""
    if not measured:
        return NOT_MEASURED
    total = left + right
    text = fmt_minutes(total) + (f" of {over}" if over else "")
    if sides and total >= 0.5:
        if left >= 2 * right:
            text += f" ({weight_on(Balance.LEFT)})"
        elif right >= 2 * left:
            text += f" ({weight_on(Balance.RIGHT)})"
    return text


def shifts_text(s: DaySummary | WeekSummary) -> str | None:
    """How often the sitter shifted their weight in ``s`` (a day's or a week's summary), in
    words: ``42 weight shifts, about 9 an hour seated (over the 4 h 40 min the cushion saw);
    1 stretch without one for too long``. None when it has no weight shifts counted (a camera
    alone, a history from before they were). The rate is per hour of the sitting the cushion
    saw, and says so when a camera saw part of it: no shift can be felt then."""
    shifts, static = s.weight_shifts, s.static_stretches
    if not shifts and not static:
        return None
    text = plural(shifts, "weight shift")
    rate = s.shifts_per_hour
    if rate is not None:
        text += f", about {rate:.0f} an hour seated"
        over = cushion_part(s.cushion_minutes, s.sitting_minutes)
        if over:
            text += f" (over {over})"
    if static:
        text += f"; {static} {'stretch' if static == 1 else 'stretches'} without one for too long"
    return text


def longest_spell_text(s: DaySummary) -> str:
    """A day's longest sitting spell, when it began and, when it is longer than the day's
    sitting time, why: ``1 h 15 min (from 09:30, with short absences)``. The day's report and
    the web app's Today page both say it so.

    A spell ends with a break (an absence of min_break or more): the shorter absences within
    it count in the spell but not as sitting, and so does the time sitwatch was stopped in a
    spell it carried on over a restart. Only what the spell had is said: the note once said
    "with short absences" of a spell a camera standing in for the cushion saw whole, whose
    time the sitting total left out."""
    longest = s.longest_spell
    text = fmt_minutes(s.longest_spell_minutes)
    why = ""
    if longest is not None and s.longest_spell_minutes >= s.sitting_minutes + 0.5:
        why = " and ".join(w for w, had in (("short absences", longest.absences),
                                            ("sitwatch restarts", longest.restarts)) if had)
    at = s.longest_spell_start
    if at is not None:
        return f"{text} (from {at:%H:%M}{f', with {why}' if why else ''})"
    return f"{text} (with {why})" if why else text


def watched_empty_text(w: WeekSummary) -> str:
    """The days of a week or a month sitwatch watched with nobody sitting, which are not days
    sat and which the figures a day leave out: ``3 more days watched with no sitting``; ''
    when there were none. The text reports and the pages add it after the days sat."""
    n = w.days_watched_empty
    return f"{plural(n, 'more day')} watched with no sitting" if n else ""


def no_sitting_text(s: DaySummary | WeekSummary, when: str = "") -> str:
    """What a report of a day or a period that sitwatch watched but nobody sat in says instead
    of its figures (a row of 0% says nothing): ``No sitting recorded this week: sitwatch
    watched an empty seat for 2 h.``; ``when`` (``this week``, ``today``) after "recorded".
    The time a sensor was offline is not said to be empty; the offline rows say it. A period
    with nudges but no watched time at all (its minutes lost, or a nudge with no sitting sample
    of its own) says so: its nudges follow (:func:`no_sitting_rows`)."""
    days = s.days if isinstance(s, WeekSummary) else (s,)
    watched = sum(d.present_minutes for d in days)
    seen = watched - s.sensor_offline_minutes
    head = f"No sitting recorded{f' {when}' if when else ''}"
    if seen >= 0.5:
        n = sum(1 for d in days if d.watched)
        on = f" over {n} days" if n > 1 else ""
        return f"{head}: sitwatch watched an empty seat for {fmt_minutes(seen)}{on}."
    if watched < 0.5:
        if s.nudges_total:
            return (f"{head}: the history holds no time sitwatch watched the seat, "
                    "only the nudges below.")
        return f"{head}."
    sensors, was = _offline_sensors(s)
    return (f"{head}: {sensors} {was} offline all the {fmt_minutes(watched)} sitwatch ran, so "
            "it could not see the seat.")


def _offline_sensors(s: DaySummary | WeekSummary) -> tuple[str, str]:
    """The sensors offline in ``s`` and the verb: ``("the cushion", "was")``, ``("the cushion
    and the camera", "were")``."""
    names = [f"the {o.sensor}" for o in offline_rows(s)] or ["its sensor"]
    return " and ".join(names), "were" if len(names) > 1 else "was"


def no_sitting_heading(s: DaySummary | WeekSummary, when: str) -> str:
    """A page's heading for a period nobody was seen sitting in (:func:`no_sitting_text` says
    more): ``Nobody sat this week`` when sitwatch watched the empty seat, ``Cushion offline
    this week`` when its sensor was offline all the time it ran (nobody was seen, which is
    not nobody sat), ``Only nudges recorded this week`` when the nudges are all it holds."""
    days = s.days if isinstance(s, WeekSummary) else (s,)
    if not any(d.watched for d in days):
        return f"Only nudges recorded {when}"
    if all(d.offline_throughout for d in days if d.watched):
        sensors, _ = _offline_sensors(s)
        return f"{sensors.replace('the ', '').capitalize()} offline {when}"
    return f"Nobody sat {when}"


def no_sitting_day_text(d: DaySummary) -> str:
    """A day without sitting in a table of days: ``no sitting`` (an empty seat watched),
    ``cushion offline 1 h 30 min`` (nothing could see the seat), ``1 nudge, no time watched``
    (its nudges alone); ``—`` for a day without data."""
    if d.offline_throughout:
        return " and ".join(f"{o.sensor} offline {fmt_minutes(o.minutes)}"
                            for o in offline_rows(d)) or "offline"
    if d.watched:
        return "no sitting"
    if d.nudges_total:
        return f"{plural(d.nudges_total, 'nudge')}, no time watched"
    return "—"


#: The most nudge times a report of a period nobody sat in lists (:func:`nudge_times_text`).
MAX_NUDGE_TIMES = 12


def nudge_times_text(s: DaySummary | WeekSummary) -> str:
    """When the nudges of a day or a period came, and what they were: ``14:05 time to move ·
    15:05 posture`` (a period of several days names the day: ``Wed 18 14:05 time to move``);
    the first :data:`MAX_NUDGE_TIMES`, then how many more."""
    times = s.nudge_times
    several = isinstance(s, WeekSummary) and len(s.days) > 1
    shown = [f"{f'{t:%a} {t.day} ' if several else ''}{t:%H:%M} {nudge(k)}"
             for t, k in times[:MAX_NUDGE_TIMES]]
    if len(times) > MAX_NUDGE_TIMES:
        shown.append(f"{len(times) - MAX_NUDGE_TIMES} more")
    return " · ".join(shown)  # a text row wraps between these (period.ITEM_SEP)


def no_sitting_rows(s: DaySummary | WeekSummary) -> list[tuple[str, str]]:
    """The rows a report of a period nobody sat in keeps under :func:`no_sitting_text`: the
    offline rows, and the nudges when there were any (a nudge acted on from a companion, whose
    sitting was recorded elsewhere, or one whose minutes were lost), and when they came. The
    text reports and the pages show the same."""
    rows = offline_texts(s)
    if s.nudges_total:
        rows.append(("Nudges", nudges_text(s)))
        rows.append(("Nudged at", nudge_times_text(s)))
    return rows


def demo_days_text(first: date, last: date) -> str:
    """The days a history ``sitwatch demo`` wrote holds (:func:`~sitwatch.history.queries.
    demo_days`): ``This history holds a simulated day from `sitwatch demo`, Monday 30
    November``."""
    if first == last:
        held = f"a simulated day from `sitwatch demo`, {last:%A} {last.day} {last:%B}"
    else:
        held = (f"simulated days from `sitwatch demo`, {first:%a} {first.day} {first:%b} to "
                f"{last:%a} {last.day} {last:%b}")
    return f"This history holds {held}"


def no_history_text(demo: tuple[date, date] | None) -> str:
    """Where a text report of a time with no history at all points: to the daemon, which keeps
    it while it runs; in a history ``sitwatch demo`` wrote (``demo``: its first and last day),
    to its simulated days, which a report of "today" misses once local midnight has passed
    since the demo began (the daemon has nothing to do with that history)."""
    if demo is None:
        return "(sitwatch keeps history while `sitwatch run` is running.)"
    return f"{demo_days_text(*demo)}: add `--day {demo[1].isoformat()}` to see it."


def week_heading(dates: str, last: date, today: date | None) -> str:
    """The heading of a report of the seven days ending on ``last`` (``dates``: them as the
    report writes them). The web app's "This week" is the calendar week under way and
    ``sitwatch report --week`` the seven days to today, so the heading says which:
    ``This week, Mon 23 – Sun 29 November 2026`` (the calendar week ``today`` is in),
    ``Last 7 days, ...`` (seven days to today that are not a calendar week), ``7 days, ...``
    (seven other days); another calendar week is its dates alone."""
    first = last - timedelta(days=6)
    if first.weekday() == 0:
        inside = today is not None and first <= today <= last
        return f"This week, {dates}" if inside else dates
    return f"{'Last 7 days' if last == today else '7 days'}, {dates}"


def plural(n: int, word: str) -> str:
    """``1 break``, ``3 breaks``."""
    return f"{n} {word}{'s' if n != 1 else ''}"


def part_of_day(dt: datetime) -> str:
    h = dt.hour
    if 5 <= h < 12:
        return "morning"
    if 12 <= h < 17:
        return "afternoon"
    if 17 <= h < 22:
        return "evening"
    return "night"


# -- how you mostly sat -----------------------------------------------------------------------

def mostly(minutes: Mapping[Posture, float]) -> Posture | None:
    """The posture held for more than half of the known seated time, if enough of the seated
    time is known (:data:`MIN_KNOWN_SHARE`) to say so; else None."""
    total = sum(minutes.values())
    known = {p: minutes.get(p, 0.0) for p in POSTURES}
    known_total = sum(known.values())
    if total <= 0 or known_total < MIN_KNOWN_SHARE * total:
        return None
    top = max(POSTURES, key=lambda p: known[p])
    return top if known[top] > MOSTLY_SHARE * known_total else None


def _posture_verdict(minutes: Mapping[Posture, float],
                     forward: str = label(Posture.LEANING_FORWARD),
                     helps: str = SIT_BACK) -> tuple[str, str]:
    """How the posture went, as (a clause that continues "your sitting spells stayed under
    ...", or "" when it needs a sentence of its own; that sentence, or ""). ``forward``: the
    words for leaning forward (:data:`WEIGHT_FORWARD` where a seat alone saw most of it);
    ``helps``: what helps with a slump (:data:`HEAD_UP` where only a camera saw the sitting)."""

    def posture(p: Posture) -> str:
        return forward if p == Posture.LEANING_FORWARD else label(p)

    total = sum(minutes.values())
    known_total = sum(minutes.get(p, 0.0) for p in POSTURES)
    top = mostly(minutes)
    if top is not None:
        if minutes.get(top, 0.0) > MOSTLY_SHARE * total:
            said = f"your posture was mostly {posture(top)}"
        else:
            said = (f"in the {pct(known_total / total)} of your sitting time where sitwatch "
                    f"could tell your posture, it was mostly {posture(top)}")
        if top in SLUMPED:  # never praised: a sentence of its own, with what helps
            return "", f"{said[0].upper()}{said[1:]}. {helps}"
        return (f" and {said}" if said.startswith("your") else f", and {said}"), ""
    if known_total <= 0:
        return "", "sitwatch could not tell your posture while you sat."
    if known_total < MIN_KNOWN_SHARE * total:
        return "", (f"sitwatch could tell your posture for only {pct(known_total / total)} of "
                    "your sitting time, too little to say how you mostly sat.")
    mix = ", ".join(f"{posture(p)} {pct(minutes[p] / known_total)}"
                    for p in sorted(POSTURES, key=lambda p: -minutes.get(p, 0.0))
                    if minutes.get(p, 0.0) > 0)
    where = " of the time sitwatch could tell it" if known_total < total else ""
    return "", f"Your posture was mixed: {mix}{where}."


# -- suggestions ------------------------------------------------------------------------------

def suggestions(days: Sequence[DaySummary], sit_limit: float = DEFAULT_SIT_LIMIT,
                weekly: bool = True, limit: int = 2) -> list[str]:
    """Up to ``limit`` suggestions, the most relevant first, from daily summaries."""
    out: list[tuple[float, str]] = []
    sitting = sum(d.sitting_minutes for d in days)
    if sitting <= 0:
        return []
    limit_min = sit_limit / 60
    limit_word = fmt_limit(sit_limit)

    # Long spells: where and when they cluster.
    long_spells = [s for d in days for s in d.spells if s.minutes > limit_min]
    if long_spells:
        groups: dict[tuple[date, str], list[float]] = {}
        for s in long_spells:
            groups.setdefault((s.start.date(), part_of_day(s.start)), []).append(s.minutes)
        (day, part), spells = max(groups.items(), key=lambda kv: (sum(kv[1]), max(kv[1])))
        span = (max(d.day for d in days) - min(d.day for d in days)).days if days else 0
        if not weekly:
            where = f"in the {part}"
        elif span >= 7:  # a month has four Wednesdays: name the date
            where = f"in the {part} of {day:%A} {day.day} {day:%B}"
        else:
            where = f"on {day:%A} {part}"
        if len(spells) > 1:
            # the part of a day with the most time in long spells: not always the longest one
            text = (f"Your long spells bunched up {where}: {len(spells)} of them over "
                    f"{limit_word}, the longest {fmt_minutes(max(spells))} without a break.")
        else:
            text = f"Your longest spell was {where} ({fmt_minutes(spells[0])} without a break)."
        text += (f" Getting up for a few minutes every {limit_word} or so breaks up long "
                 "sitting; a walk to refill your water counts.")
        out.append((min(3.5, 1.5 + max(s.minutes for s in long_spells) / limit_min), text))

    # Slouching and leaning in (on a seat alone: the weight forward, most of the time it saw).
    leaning = sum(d.posture_minutes.get(Posture.LEANING_FORWARD, 0.0) for d in days)
    seat_saw = sum(d.weight_forward_minutes for d in days) > leaning / 2
    # no cushion saw any of the sitting: the slumps are a camera's, a head dropped towards the
    # desk (docs/camera.md), and sliding the hips back is not what it saw
    helps = HEAD_UP if sum(d.cushion_minutes for d in days) < 0.5 else SIT_BACK

    def slumped_of(d: DaySummary) -> float:
        return sum(d.posture_minutes.get(p, 0.0) for p in SLUMPED)

    slumped = sum(slumped_of(d) for d in days)
    share = slumped / sitting
    if share >= 0.25 and slumped >= 10:
        worst = max(days, key=slumped_of)
        when = f", most of it on {worst.day:%A}" if weekly else ""
        did = "sat with your weight forward" if seat_saw else "leaned forward"
        text = f"You slouched or {did} for {pct(share)} of your sitting time{when}. {helps}"
        out.append((min(3.0, share / 0.2), text))

    # Lopsided sitting.
    # (a share of the time the cushion saw: a camera cannot tell, alone or standing in)
    left = sum(d.lopsided_left_minutes for d in days)
    right = sum(d.lopsided_right_minutes for d in days)
    lop = left + right
    cushion = sum(d.cushion_minutes for d in days)
    if lop >= 10 and cushion > 0 and lop / cushion >= 0.10:
        side = Balance.LEFT if left >= right else Balance.RIGHT
        over = cushion_part(cushion, sitting)
        text = (f"You sat with {weight_on(side)} for {fmt_minutes(lop)}"
                f"{f' of {over}' if over else ''}. Emptying your back pockets and keeping "
                "both feet flat helps even it out.")
        out.append((min(3.0, lop / cushion / 0.2), text))

    # Few breaks for the time sat.
    breaks = sum(d.breaks for d in days)
    per_break = sitting / (breaks + 1)
    if per_break > 2 * limit_min and not long_spells:
        text = (f"You took {plural(breaks, 'break')} in {fmt_minutes(sitting)} of sitting. "
                "Short, regular breaks are easier to keep than long rare ones.")
        out.append((min(3.0, 0.5 + per_break / limit_min / 2), text))

    # The sensors themselves.
    for name, attr, check, seen_attr in OFFLINE_SENSORS:
        minutes_of = attrgetter(attr)
        offline = sum(minutes_of(d) for d in days)
        if offline >= 30:
            worst = max(days, key=minutes_of)
            when = f" (most on {worst.day:%A})" if weekly else ""
            seen = sum(getattr(d, seen_attr) for d in days) if seen_attr is not None else 0.0
            counted = (", so these numbers miss that time" if seen < 0.5  # nothing stood in
                       else f"; {Offline(name, offline, seen).counted}")
            text = (f"The {name} was offline for {fmt_minutes(offline)}{when}{counted}. "
                    f"{check}, or run `sitwatch doctor`.")
            out.append((min(3.0, 1.2 + offline / 600), text))

    if not out:
        minutes: dict[Posture, float] = {}
        for d in days:
            for p, v in d.posture_minutes.items():
                minutes[Posture(p)] = minutes.get(Posture(p), 0.0) + v
        clause, sentence = _posture_verdict(
            minutes, WEIGHT_FORWARD if seat_saw else posture(Posture.LEANING_FORWARD), helps)
        text = f"Nice: your sitting spells stayed under {limit_word}{clause}"
        text += ". Keep it up." if not sentence else f"; keep it up. {sentence}"
        out.append((0.0, text))
    out.sort(key=lambda x: -x[0])
    return [text for _, text in out[:limit]]
