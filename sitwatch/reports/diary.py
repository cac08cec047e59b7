"""The symptom diary read against the sitting before each entry, the red flags, and the
pattern in plain words.

For every entry this module looks at the two hours before it (:data:`WINDOW`) in the history:
the longest unbroken sitting spell in them, the minutes with the weight on one side, and the
minutes a wallet (something in a back pocket) was suspected. Once there are :data:`MIN_ENTRIES`
entries of one kind with sitting data before them, it counts how many followed each of these
(:func:`patterns`), for example "6 of your 8 numbness entries came after more than an hour of
unbroken sitting". Only the cushion measures the weight on one side: sitting only a camera saw
(alone, or standing in for an offline cushion) is neither lopsided nor even, and an entry whose
window it could tip either way is not counted as one or the other (:attr:`Before.lopsided_known`).

Five is the minimum because with fewer, one entry more or less moves a share by 25 points or
more: "3 of 4" says little. Five entries is also about what someone with frequent symptoms logs
in a week or two, so the pattern shows up while it is still useful. The pattern looks at the
last :data:`PATTERN_DAYS` days.

The red flags (:func:`red_flags`) are the posture guide's list of signs that need care rather
than a report; the words for them are ours. Nothing here diagnoses: counts of how someone sat
before they felt something cannot say why they felt it, and every pattern says so
(:data:`NOT_A_DIAGNOSIS`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sitwatch.core.kinds import (
    AlsoNoticed,
    Balance,
    BodyArea,
    BodySide,
    EventName,
    RedFlag,
    SymptomKind,
    WalletState,
    label,
)
from sitwatch.history.diary import SymptomEntry, entries_between
from sitwatch.history.queries import Reader, events_between, minutes_between, run_end
from sitwatch.history.queries import spells_between as _spells
from sitwatch.nudging import guidance
from sitwatch.reports.words import cushion_part, fmt_minutes, lopsided_text

#: How far back before an entry the history is read.
WINDOW = timedelta(hours=2)
#: Entries of one kind (with sitting data before them) needed before a pattern is stated.
MIN_ENTRIES = 5
#: How many days of entries the pattern counts.
PATTERN_DAYS = 56
#: "More than an hour of unbroken sitting".
LONG_SPELL_MINUTES = 60.0
#: Minutes with the weight on one side (in the two hours) that count as lopsided sitting.
LOPSIDED_MINUTES = 15.0
#: Minutes with a suspected wallet (in the two hours) that count.
POCKET_MINUTES = 5.0
#: How far before the window a wallet event is looked for (it may have started earlier).
_POCKET_LOOKBACK = timedelta(hours=12)

NOT_A_DIAGNOSIS = (
    "This is not a diagnosis. These are counts of how you sat before you felt something; "
    "they cannot tell what causes it. Only a doctor or physiotherapist can."
)
SEE_A_DOCTOR_HEAD = "See a doctor or physiotherapist if you notice:"

SEEK_CARE_HEAD = "Please get medical care now"
_RED_FLAG_REASON: dict[RedFlag, str] = {
    RedFlag.SADDLE_NUMBNESS: "You noted numbness in the saddle area (the inner thighs, the "
                             "groin or around the anus).",
    RedFlag.BLADDER_BOWEL: "You noted a change in bladder or bowel control.",
    RedFlag.LEG_WEAKNESS: "You noted weakness in a leg.",
    RedFlag.FEVER: "You noted a fever along with your symptoms.",
    RedFlag.BOTH_LEGS: "You noted symptoms in both legs.",
    RedFlag.SEVERE_BACK_PAIN: "You noted severe pain in your back.",
    RedFlag.INJURY: "You noted a recent serious injury, such as a fall or an accident.",
    RedFlag.WEIGHT_LOSS_CANCER: "You noted weight loss you cannot explain, or a history of "
                                "cancer.",
}
#: Lower back pain (or ache) rated this high counts as severe back pain, ticked or not.
SEVERE_PAIN = 8
SEEK_CARE_ACTION = (
    "This is a warning sign for a doctor to check today, not something to wait out: call "
    "your doctor or an urgent care service now, or emergency services if it came on suddenly "
    "or is getting worse quickly. Getting care early can prevent lasting nerve damage. "
    "sitwatch cannot judge this for you."
)


# -- red flags ------------------------------------------------------------------------------

def red_flags(entry: SymptomEntry) -> tuple[RedFlag, ...]:
    """The red flags in an entry, in :class:`RedFlag`'s order."""
    found: set[RedFlag] = set()
    if entry.area == BodyArea.SADDLE and entry.kind in (SymptomKind.NUMBNESS,
                                                        SymptomKind.TINGLING):
        found.add(RedFlag.SADDLE_NUMBNESS)
    if AlsoNoticed.BLADDER in entry.also or AlsoNoticed.BOWEL in entry.also:
        found.add(RedFlag.BLADDER_BOWEL)
    if AlsoNoticed.LEG_WEAKNESS in entry.also:
        found.add(RedFlag.LEG_WEAKNESS)
    if AlsoNoticed.FEVER in entry.also:
        found.add(RedFlag.FEVER)
    if entry.side == BodySide.BOTH and entry.area in (BodyArea.LEG, BodyArea.THIGH):
        found.add(RedFlag.BOTH_LEGS)
    if AlsoNoticed.SEVERE_BACK_PAIN in entry.also or (
            entry.area == BodyArea.LOWER_BACK and entry.kind in (SymptomKind.PAIN, SymptomKind.ACHE)
            and (entry.severity or 0) >= SEVERE_PAIN):
        found.add(RedFlag.SEVERE_BACK_PAIN)
    if AlsoNoticed.INJURY in entry.also:
        found.add(RedFlag.INJURY)
    if AlsoNoticed.WEIGHT_LOSS in entry.also or AlsoNoticed.CANCER in entry.also:
        found.add(RedFlag.WEIGHT_LOSS_CANCER)
    return tuple(f for f in RedFlag if f in found)


def seek_care_lines(flags: Sequence[RedFlag]) -> list[str]:
    """The seek-care advice for ``flags`` (empty when there are none): a heading, one reason a
    flag, and what to do."""
    if not flags:
        return []
    return [SEEK_CARE_HEAD, *(_RED_FLAG_REASON[f] for f in flags), SEEK_CARE_ACTION]


def seek_care_paragraph(lines: Sequence[str]) -> str:
    """:func:`seek_care_lines` as one paragraph of sentences, for a line in the journal or an
    answer over MQTT: the heading, which has no full stop on its own, gets one."""
    return " ".join(x if x.endswith((".", "!", "?")) else f"{x}." for x in lines)


# -- describing an entry ----------------------------------------------------------------------

_SIDE = {BodySide.LEFT: "left", BodySide.RIGHT: "right", BodySide.BOTH: "both sides"}


def describe(entry: SymptomEntry) -> str:
    """``numbness, left buttock, 6/10`` (with what was noticed along with it)."""
    kind = label(entry.kind)
    where = label(entry.area) if entry.area else ""
    if entry.side is not None:
        side = _SIDE[entry.side]
        where = (f"{where}, {side}" if entry.side == BodySide.BOTH else f"{side} {where}") \
            if where else side
    bits = [kind.capitalize()]
    if where:
        bits.append(where)
    if entry.severity is not None:
        bits.append(f"{entry.severity}/10")
    text = ", ".join(bits)
    if entry.also:
        text += " — with " + ", ".join(label(a) for a in entry.also)
    return text


# -- what came before an entry ------------------------------------------------------------------

@dataclass(frozen=True)
class Before:
    """The two hours before an entry, from the history. Minutes."""

    watched_minutes: float = 0.0  # minutes sitwatch was running (its minute rows)
    # minutes a sensor saw the seat: the cushion (or a camera-only setup's camera) online, or
    # a camera standing in for it while someone sat; the rest of ``watched_minutes`` it was
    # offline. Histories from the daemon record both, so the entry need not guess why nothing
    # was sat (sitwatch stopped, the cushion unplugged, an empty seat)
    seen_minutes: float = 0.0
    sitting_minutes: float = 0.0
    longest_spell_minutes: float = 0.0  # the longest unbroken sitting, within the two hours
    lopsided_minutes: float = 0.0  # weight on one side, while seated
    pocket_minutes: float = 0.0  # a wallet (something in a back pocket) suspected
    # of the sitting, what only a camera saw (alone, or standing in for an offline cushion):
    # no balance was measured in it, so none of it counts as lopsided, nor as sat evenly
    camera_minutes: float = 0.0

    @property
    def has_data(self) -> bool:
        """A sensor saw the seat for at least a minute of the two hours (sitwatch running with
        the cushion unplugged knows nothing of the sitting)."""
        return self.seen_minutes >= 1.0

    @property
    def offline_minutes(self) -> float:
        """Minutes sitwatch was running while nothing saw the seat."""
        return max(0.0, self.watched_minutes - self.seen_minutes)

    @property
    def long_spell(self) -> bool:
        return self.longest_spell_minutes > LONG_SPELL_MINUTES

    @property
    def lopsided(self) -> bool:
        return self.lopsided_minutes >= LOPSIDED_MINUTES

    @property
    def lopsided_known(self) -> bool:
        """Whether the window can be said lopsided or not: it is, or it would not have been
        even had all the sitting only a camera saw been on one side. Else the cushion saw too
        little of the sitting to tell, and "0 min" would read as sat evenly."""
        return self.lopsided or self.lopsided_minutes + self.camera_minutes < LOPSIDED_MINUTES

    def _lopsided_text(self) -> str:
        """``20 min``; ``5 min of the 40 min the cushion saw``; not measured when the cushion
        saw none of the sitting (the words of the day and week reports)."""
        cushion = max(0.0, self.sitting_minutes - self.camera_minutes)
        return lopsided_text(self.lopsided_minutes, 0.0, sides=False,
                             measured=cushion >= 0.5 or self.sitting_minutes < 0.5,
                             over=cushion_part(cushion, self.sitting_minutes))

    @property
    def pocket(self) -> bool:
        return self.pocket_minutes >= POCKET_MINUTES

    def text(self) -> str:
        """One line: what the two hours held, as far as the history knows: the one wording of
        ``sitwatch log``, the reports and the web app's diary. With nothing recorded it gives
        no reason it cannot know (sitwatch may have watched the simulator, into a history of
        its own); the seat's sensor offline while sitwatch ran, the minute rows do record."""
        if not self.has_data:
            if self.watched_minutes >= 1.0:
                return ("no sitting recorded in the two hours before: sitwatch was running, "
                        "but its sensor was offline, so it could not see the seat")
            return "no sitting recorded in the two hours before"
        parts = [f"longest unbroken sitting {fmt_minutes(self.longest_spell_minutes)}",
                 f"weight on one side {self._lopsided_text()}",
                 f"something in a back pocket {fmt_minutes(self.pocket_minutes)}"]
        if self.offline_minutes >= 1.0:
            parts.append(f"sensor offline {fmt_minutes(self.offline_minutes)} of it")
        return "in the two hours before: " + ", ".join(parts)


def _overlap(a0: datetime, a1: datetime, b0: datetime, b1: datetime) -> float:
    return max(0.0, (min(a1, b1) - max(a0, b0)).total_seconds())


def _pocket_seconds(reader: Reader, start: datetime, end: datetime) -> float:
    """Seconds in [start, end) with a wallet suspected: from each ``suspected`` to the next
    ``clear`` of the same run, the run's end, or ``end``."""
    evs = events_between(reader, start - _POCKET_LOOKBACK, end, EventName.WALLET)
    total = 0.0
    open_since: dict[str, datetime] = {}
    for e in evs:
        if e.state == WalletState.SUSPECTED:
            open_since.setdefault(e.run_id, e.ts)
        elif e.run_id in open_since:
            total += _overlap(open_since.pop(e.run_id), e.ts, start, end)
    for run_id, since in open_since.items():
        stop = run_end(reader, run_id) or end
        total += _overlap(since, min(stop, end), start, end)
    return total


def before(reader: Reader, at: datetime) -> Before:
    """What the history holds for the :data:`WINDOW` before ``at``."""
    start = at - WINDOW
    mins = minutes_between(reader, start, at)
    longest = 0.0
    for s in _spells(reader, start, at):
        longest = max(longest, _overlap(s.start, s.start + timedelta(seconds=s.seconds),
                                        start, at))
    return Before(
        watched_minutes=sum(m.seconds_present for m in mins) / 60,
        seen_minutes=sum(min(m.seconds_present, max(m.sensor_online_seconds, m.seconds_occupied))
                         for m in mins) / 60,
        sitting_minutes=sum(m.seconds_occupied for m in mins) / 60,
        longest_spell_minutes=longest / 60,
        lopsided_minutes=sum(m.balance.get(Balance.LEFT, 0.0) + m.balance.get(Balance.RIGHT, 0.0)
                             for m in mins) / 60,
        pocket_minutes=_pocket_seconds(reader, start, at) / 60,
        camera_minutes=sum(max(0.0, m.seconds_occupied - m.seconds_occupied_cushion)
                           for m in mins) / 60,
    )


@dataclass(frozen=True)
class Item:
    """An entry, what came before it, and its red flags."""

    entry: SymptomEntry
    before: Before
    flags: tuple[RedFlag, ...]

    @property
    def description(self) -> str:
        return describe(self.entry)


def items_between(reader: Reader, start: datetime, end: datetime) -> list[Item]:
    return [Item(e, before(reader, e.at), red_flags(e))
            for e in entries_between(reader, start, end)]


# -- the pattern ----------------------------------------------------------------------------

def _entries(n: int, what: str = "") -> str:
    """``1 entry``, ``3 more numbness entries``."""
    return f"{n} {what + ' ' if what else ''}{'entry' if n == 1 else 'entries'}"


def _of(n: int, m: int, kind: SymptomKind) -> str:
    if n == 0:
        return f"None of your {m} {label(kind)} entries"
    if n == m:
        return f"All {m} of your {label(kind)} entries"
    return f"{n} of your {m} {label(kind)} entries"


@dataclass(frozen=True)
class Pattern:
    """What the diary shows so far: sentences, and what is missing for more."""

    sentences: tuple[str, ...]
    waiting: tuple[str, ...]  # "2 more numbness entries ... before sitwatch looks for a pattern"
    left_out: int  # entries with no sitting data before them

    @property
    def found(self) -> bool:
        return bool(self.sentences)


def patterns(items: Sequence[Item]) -> Pattern:
    """Per kind with at least :data:`MIN_ENTRIES` entries with data before them: how many came
    after a long spell, lopsided sitting and a suspected wallet. Pure: counts ``items`` only."""
    sentences: list[str] = []
    waiting: list[str] = []
    with_data = [i for i in items if i.before.has_data]
    for kind in SymptomKind:
        mine = [i for i in with_data if i.entry.kind == kind]
        if not mine:
            continue
        m = len(mine)
        if m < MIN_ENTRIES:
            more = MIN_ENTRIES - m
            waiting.append(f"{_entries(more, f'more {label(kind)}')} with sitwatch watching "
                           f"the seat before {'it' if more == 1 else 'them'}, and sitwatch "
                           "looks for a "
                           f"pattern in your {label(kind)} entries.")
            continue
        long_n = sum(i.before.long_spell for i in mine)
        sentences.append(f"{_of(long_n, m, kind)} came after more than an hour of unbroken "
                         "sitting.")
        lop_n = sum(i.before.lopsided for i in mine)
        if lop_n:
            unknown = sum(not i.before.lopsided_known for i in mine)
            tell = (f"; for {unknown} {'other' if unknown == 1 else 'others'} the cushion saw "
                    f"too little of the sitting before {'it' if unknown == 1 else 'them'} to "
                    "tell" if unknown else "")
            sentences.append(f"{_of(lop_n, m, kind)} came after {LOPSIDED_MINUTES:.0f} minutes "
                             f"or more with your weight on one side{tell}.")
        pocket_n = sum(i.before.pocket for i in mine)
        if pocket_n:
            sentences.append(f"{_of(pocket_n, m, kind)} came after sitting on something in a "
                             "back pocket.")
    return Pattern(tuple(sentences), tuple(waiting), len(items) - len(with_data))


def pattern_lines(p: Pattern) -> list[str]:
    """The pattern as lines for the text report and the terminal."""
    lines = list(p.sentences) or ["Not enough diary entries yet for a pattern."]
    lines += list(p.waiting)
    if p.left_out:
        verb, them = ("is", "it") if p.left_out == 1 else ("are", "them")
        lines.append(f"({_entries(p.left_out)} {verb} left out of these counts: no sitting was "
                     f"recorded in the two hours before {them}.)")
    return lines


@dataclass(frozen=True)
class DiarySection:
    """The diary part of a report: the entries of the period, and the pattern so far."""

    items: tuple[Item, ...]
    pattern: Pattern
    pattern_items: int  # entries the pattern looked at

    @property
    def shown(self) -> bool:
        return bool(self.items) or self.pattern_items > 0


def section(reader: Reader, start: datetime, end: datetime) -> DiarySection:
    """The entries in ``[start, end)`` and the pattern of the :data:`PATTERN_DAYS` to ``end``."""
    items = items_between(reader, start, end)
    since = end - timedelta(days=PATTERN_DAYS)
    older = items_between(reader, since, start) if since < start else []
    recent = [*older, *items] if since < start else [i for i in items if i.entry.at >= since]
    return DiarySection(tuple(items), patterns(recent), len(recent))


def text_lines(sec: DiarySection) -> list[str]:
    """The diary block of the text report (empty when there is nothing to show)."""
    if not sec.shown:
        return []
    lines = ["Symptom diary"]
    for i in sec.items:
        lines.append(f"  {i.entry.at:%a %H:%M}  {i.description}")
        lines.append(f"         {i.before.text()}")
        if i.flags:
            lines.append("         RED FLAG: " + " ".join(_RED_FLAG_REASON[f] for f in i.flags)
                         + " " + SEEK_CARE_ACTION.split(":")[0] + ".")
    if not sec.items:
        lines.append("  No entries this week.")
    lines.append("")
    lines += pattern_lines(sec.pattern)
    lines.append(NOT_A_DIAGNOSIS)
    lines.append(SEE_A_DOCTOR_HEAD + " " + "; ".join(guidance.SEE_A_DOCTOR) + ".")
    return lines


def view(sec: DiarySection) -> dict[str, object]:
    """What the weekly page and the web app show of the diary (plain strings; the template
    escapes them)."""
    return {
        "shown": sec.shown,
        "items": [{
            "when": f"{i.entry.at:%a} {i.entry.at.day} {i.entry.at:%b %H:%M}",
            "what": i.description,
            "note": i.entry.note,
            "before": i.before.text(),
            "long_spell": i.before.has_data and i.before.long_spell,
            "flags": [_RED_FLAG_REASON[f] for f in i.flags],
        } for i in sec.items],
        "pattern": pattern_lines(sec.pattern),
        "pattern_found": sec.pattern.found,
        "seek_care_head": SEEK_CARE_HEAD,
        "seek_care_action": SEEK_CARE_ACTION,
        "not_a_diagnosis": NOT_A_DIAGNOSIS,
        "see_a_doctor_head": SEE_A_DOCTOR_HEAD,
        "see_a_doctor": list(guidance.SEE_A_DOCTOR),
    }
