"""The read side of the history: typed records and the numbers the reports show.

Everything here reads; nothing writes. The functions take any open store (the daemon's own, or
a read-only one in another process, see :class:`Reader`) and return frozen records:

* rows as stored: :class:`StoredEvent`, :class:`MinuteRow`, :class:`RunRow`;
* rebuilt from events: sitting spells (:class:`SpellRow`) and breaks (:class:`BreakRow`);
* the summaries the reports are made of: :class:`DaySummary` for one local day and
  :class:`WeekSummary` for seven of them.

Ranges are half-open ``[start, end)`` of timezone-aware datetimes. Rows the daemon still batches
in memory become visible after its next commit.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import cached_property
from typing import Any, Protocol

from sitwatch.core.events import Event, is_day_summary
from sitwatch.core.kinds import (
    CAMERA_SOURCE_PREFIX,
    NUDGE_KINDS,
    Balance,
    EventName,
    Occupancy,
    Posture,
    Stillness,
    WalletState,
)
from sitwatch.core.simulated import DEMO_SOURCE
from sitwatch.history.schema import (
    BALANCE_COLUMNS,
    CUSHION_COLUMN,
    POSTURE_COLUMNS,
    RECLINE_UNSEEN_COLUMN,
)

log = logging.getLogger(__name__)

#: What a nudge event without a ``kind`` is counted as.
OTHER_KIND = "other"


class Reader(Protocol):
    """What the queries need from an open store."""

    @property
    def connection(self) -> sqlite3.Connection: ...

    @property
    def run_id(self) -> str | None:
        """The run this process is recording (it has not ended: it runs until now)."""
        ...

    def now(self) -> datetime: ...


def aware(dt: datetime, what: str) -> datetime:
    """``dt`` if it has a time zone; a ValueError naming ``what`` if not."""
    if dt.tzinfo is None or dt.tzinfo.utcoffset(dt) is None:
        raise ValueError(f"{what} must be a timezone-aware datetime (got {dt!r})")
    return dt


def day_bounds(day: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """The local day ``day`` in ``tz`` as a half-open range (23 or 25 hours on DST days)."""
    return (datetime.combine(day, time.min, tzinfo=tz),
            datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz))


def week_days(week_ending: date) -> list[date]:
    """The seven days ending on ``week_ending``, oldest first."""
    return [week_ending - timedelta(days=i) for i in range(6, -1, -1)]


# -- records as stored ------------------------------------------------------------------------

@dataclass(frozen=True)
class StoredEvent:
    ts: datetime
    t: float | None
    run_id: str
    event: str
    state: str | None
    data: dict[str, Any]

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def as_event(self) -> Event:
        return Event(self.t if self.t is not None else 0.0, self.event, self.state, dict(self.data))


@dataclass(frozen=True)
class MinuteRow:
    """One wall minute of one run."""

    minute: datetime
    run_id: str
    seconds_present: float
    seconds_occupied: float
    posture: Mapping[Posture, float]  # seconds per posture (while occupied), UNKNOWN included
    balance: Mapping[Balance, float]  # seconds per balance state (while occupied)
    seat_load_mean: float | None
    cop_x_mean: float | None
    cop_y_mean: float | None
    frames: int
    dropped: int
    sensor_online_seconds: float
    # of ``seconds_occupied``, the time the cushion itself saw (the rest a camera saw, alone or
    # standing in for it): balance, load and centre of pressure are measured over this
    seconds_occupied_cushion: float
    # of ``seconds_occupied``, the time nothing could see reclining (no backrest sensor saw the
    # seat); 0 in rows from before it was recorded
    seconds_recline_unseen: float = 0.0

    @property
    def seconds_seat_alone(self) -> float:
        """Of ``seconds_occupied``, the time a seat alone saw (:data:`SEAT_ALONE_SQL`)."""
        return max(0.0, self.seconds_recline_unseen
                   - (self.seconds_occupied - self.seconds_occupied_cushion))


@dataclass(frozen=True)
class RunRow:
    """One daemon session."""

    run_id: str
    started: datetime
    ended: datetime | None  # None while it runs (or until a crash is noticed)
    layout: str | None
    source: str | None
    version: str | None

    @property
    def camera_only(self) -> bool:
        """The camera watched alone, with no cushion (the daemon names a run by its sources, a
        cushion's first: :data:`_CAMERA_ONLY_RUNS`); its :attr:`layout` is None."""
        return is_camera_only(self.source)


def is_camera_only(source: str | None) -> bool:
    """A run's ``source`` names the camera alone (``camera:0``, not ``/dev/ttyACM0 +
    camera:0``)."""
    return (source or "").startswith(CAMERA_SOURCE_PREFIX)


@dataclass(frozen=True)
class SpellRow:
    """A stretch of sitting without a break."""

    start: datetime
    seconds: float
    restarts: int = 0  # daemon restarts it went on through (the time stopped counts in it)
    # absences shorter than min_break it went on through (the time away counts in it, not in
    # the day's sitting time: why a spell can be longer than the sitting of its day)
    absences: int = 0

    @property
    def minutes(self) -> float:
        return self.seconds / 60


@dataclass(frozen=True)
class BreakRow:
    """A finished break: it ended (the sitter came back) at ``end``."""

    end: datetime
    seconds: float


@dataclass(frozen=True)
class NudgeOutcomes:
    """Of the nudges followed up (``measured``), how many were acted on."""

    acted: int = 0
    measured: int = 0

    def __add__(self, other: NudgeOutcomes) -> NudgeOutcomes:
        return NudgeOutcomes(self.acted + other.acted, self.measured + other.measured)


def _zero_postures() -> dict[Posture, float]:
    return dict.fromkeys(POSTURE_COLUMNS, 0.0)


def _zero_balances() -> dict[Balance, float]:
    return dict.fromkeys(BALANCE_COLUMNS, 0.0)


def _zero_nudges() -> dict[str, int]:
    return dict.fromkeys(NUDGE_KINDS, 0)


#: The postures a sensor must see the backrest for: a seat alone (and a camera) reads reclining
#: as sitting upright, so their share is taken over the seated time a backrest sensor saw.
NEEDS_BACKREST: tuple[Posture, ...] = (Posture.RECLINED,)

#: Of a minute's seated seconds, those a seat alone saw: a cushion (or load cells) without
#: backrest sensors, alone or with a camera beside it. Of the seconds nothing could see reclining
#: in, the cushion's own (a camera's, alone or standing in, are never the cushion's). There
#: ``leaning_forward`` means the weight went to the front of the seat, a perch or a slump (the
#: daemon's "weight forward" nudge): leaning forward onto the thighs is not seen at all.
SEAT_ALONE_SQL = (f"max(0, {RECLINE_UNSEEN_COLUMN} - (seconds_occupied - {CUSHION_COLUMN}))")
#: Of a minute's ``leaning_forward`` seconds, those a seat alone saw: all of them when it saw
#: all of the minute's sitting, in proportion when it saw part (a minute the device changed in).
WEIGHT_FORWARD_SQL = (f"CASE WHEN seconds_occupied > 0 THEN {Posture.LEANING_FORWARD.value} * "
                      f"min(1.0, {SEAT_ALONE_SQL} / seconds_occupied) ELSE 0 END")


def _shares(minutes: Mapping[Posture, float],
            recline_unseen: float = 0.0) -> dict[Posture, float | None]:
    """Each posture's share of the seated time it could be seen in: all of it, but for
    :data:`NEEDS_BACKREST`, over the time a backrest sensor saw (None when none did, for half
    a minute or more of sitting: not measured, not 0%)."""
    total = sum(minutes.values())
    out: dict[Posture, float | None] = {}
    for p, v in minutes.items():
        seen = total - recline_unseen if p in NEEDS_BACKREST else total
        if seen < 0.5 and total - seen >= 0.5:
            out[p] = None
        else:
            out[p] = v / seen if seen > 0 else 0.0
    return out


def _known(minutes: Mapping[Posture, float]) -> float:
    return sum(v for p, v in minutes.items() if p != Posture.UNKNOWN)


# -- summaries --------------------------------------------------------------------------------

@dataclass(frozen=True)
class DaySummary:
    """The numbers of one local day. Durations are minutes unless a name says otherwise.

    ``DaySummary(day)`` is a day without data."""

    day: date
    sitting_minutes: float = 0.0
    present_minutes: float = 0.0  # time sitwatch was watching
    spells: tuple[SpellRow, ...] = ()  # sitting spells that ended this day, oldest first
    break_rows: tuple[BreakRow, ...] = ()
    posture_minutes: Mapping[Posture, float] = field(default_factory=_zero_postures)
    balance_minutes: Mapping[Balance, float] = field(default_factory=_zero_balances)
    # delivered, by kind; the day's summary (a notice, see is_day_summary) is not one
    nudges: Mapping[str, int] = field(default_factory=_zero_nudges)
    outcomes: Mapping[str, NudgeOutcomes] = field(default_factory=dict)  # by kind
    wallet_suspected: int = 0
    sensor_offline_minutes: float = 0.0  # sitwatch watching, the seat's sensor not working
    camera_offline_minutes: float = 0.0  # the part of it when the camera watched alone
    frames: int = 0
    dropped: int = 0
    # of the sitting, the time the cushion saw: what its figures (balance, weight shifts) are
    # measured over; a camera saw the rest (alone, or standing in for an offline cushion)
    cushion_minutes: float = 0.0
    # of the sitting, the time a camera saw while standing in for the offline cushion (fusion
    # rule O2): part of the cushion's offline time, and counted as sitting all the same
    stand_in_minutes: float = 0.0
    # of the sitting, the time nothing could see reclining (no backrest sensor watched: a seat
    # alone, or a camera); the reclined share is over the rest
    recline_unseen_minutes: float = 0.0
    # of the sitting, the time a seat alone saw (:data:`SEAT_ALONE_SQL`), and of the leaning
    # forward time, the part it saw: weight on the front of the seat ("weight forward")
    seat_alone_minutes: float = 0.0
    weight_forward_minutes: float = 0.0
    weight_shifts: int = 0  # ``stillness`` shifts: the cushion felt the weight move
    static_stretches: int = 0  # ``stillness`` static: sat past detect.stillness.after unmoved
    # the delivered nudges as (local time, kind), oldest first: a report of a time with no
    # sitting still says when it nudged
    nudge_times: tuple[tuple[datetime, str], ...] = ()

    @property
    def has_data(self) -> bool:
        """Something was recorded this day: watched time, or a nudge (a history whose minutes
        were lost, or a nudge with no sitting sample of its own, still has its nudges)."""
        return self.watched or self.nudges_total > 0

    @property
    def watched(self) -> bool:
        """sitwatch watched the seat this day (it has minutes)."""
        return self.present_minutes > 0 or self.sitting_minutes > 0

    @property
    def sat(self) -> bool:
        """Someone sat this day (half a minute or more). A day sitwatch watched an empty seat
        has data but no sitting: it is not a day sat, and the figures a day leave it out."""
        return self.sitting_minutes >= 0.5

    @property
    def cushion_offline_minutes(self) -> float:
        return max(0.0, self.sensor_offline_minutes - self.camera_offline_minutes)

    @property
    def offline_throughout(self) -> bool:
        """sitwatch ran this day, nobody was seen sitting, and its sensor was offline all the
        time it ran (a cushion unplugged): nothing could see the seat, so this is no day
        watched empty."""
        return (not self.sat and self.present_minutes >= 0.5
                and self.present_minutes - self.sensor_offline_minutes < 0.5)

    @property
    def longest_spell(self) -> SpellRow | None:
        return max(self.spells, key=lambda s: s.seconds) if self.spells else None

    @property
    def longest_spell_minutes(self) -> float:
        s = self.longest_spell
        return s.minutes if s is not None else 0.0

    @property
    def longest_spell_start(self) -> datetime | None:
        s = self.longest_spell
        return s.start if s is not None else None

    @property
    def breaks(self) -> int:
        return len(self.break_rows)

    @property
    def break_minutes(self) -> float:
        return sum(b.seconds for b in self.break_rows) / 60

    @property
    def posture_shares(self) -> dict[Posture, float | None]:
        """Shares of the seated time, per posture (UNKNOWN included); they add up to 1 when
        a backrest sensor saw all of it. Reclined is over :attr:`recline_seen_minutes` only,
        None when that is none (a seat alone, a camera: they cannot see it)."""
        return _shares(self.posture_minutes, self.recline_unseen_minutes)

    @property
    def upright_share(self) -> float:
        """The share of the seated time sat upright (every sensor sees that)."""
        return _shares(self.posture_minutes)[Posture.UPRIGHT] or 0.0

    @property
    def recline_seen_minutes(self) -> float:
        """Of the sitting, the time a backrest sensor saw: what reclining is measured over."""
        return max(0.0, self.sitting_minutes - self.recline_unseen_minutes)

    @property
    def known_posture_minutes(self) -> float:
        """Seated time whose posture is known."""
        return _known(self.posture_minutes)

    @property
    def lopsided_left_minutes(self) -> float:
        return self.balance_minutes.get(Balance.LEFT, 0.0)

    @property
    def lopsided_right_minutes(self) -> float:
        return self.balance_minutes.get(Balance.RIGHT, 0.0)

    @property
    def lopsided_minutes(self) -> float:
        return self.lopsided_left_minutes + self.lopsided_right_minutes

    @property
    def balance_measured(self) -> bool:
        """Whether left/right balance was measured while seated (a webcam alone cannot: its
        seated time has no balance state, and "lopsided 0 min" would claim it was even). It
        is measured over :attr:`cushion_minutes` only."""
        return sum(self.balance_minutes.values()) >= 0.5 or self.sitting_minutes < 0.5

    @property
    def shifts_measured(self) -> bool:
        """Whether weight shifts could be felt: only the cushion feels them, so not when a
        camera alone saw the sitting ("0 shifts" would claim the sitter sat still)."""
        return self.cushion_minutes >= 0.5 or self.sitting_minutes < 0.5

    @property
    def shifts_per_hour(self) -> float | None:
        return per_sitting_hour(self.weight_shifts, self.cushion_minutes)

    @property
    def lopsided_share(self) -> float | None:
        """Lopsided time as a share of the seated time the cushion saw (None: it saw none)."""
        return self.lopsided_minutes / self.cushion_minutes if self.cushion_minutes > 0 else None

    @property
    def nudges_total(self) -> int:
        return sum(self.nudges.values())

    @property
    def nudges_acted(self) -> int:
        return sum(o.acted for o in self.outcomes.values())

    @property
    def nudges_measured(self) -> int:
        return sum(o.measured for o in self.outcomes.values())

    @property
    def break_lengths(self) -> tuple[int, ...]:
        """Breaks per length class (:data:`BREAK_EDGES`)."""
        return break_lengths(self.break_rows)

    def sitting_debt(self, sit_limit: float) -> float:
        """Minutes the day's spells ran past ``sit_limit`` seconds."""
        return sitting_debt_minutes(self.spells, sit_limit)

    def spells_over(self, sit_limit: float) -> int:
        """How many spells ran past ``sit_limit`` seconds."""
        return sum(1 for s in self.spells if s.seconds > sit_limit)


@dataclass(frozen=True)
class WeekSummary:
    """Seven (or any number of) days added up. Durations are minutes.

    ``under_way``: the day still going on (today) when it is one of ``days``. Its figures so
    far count in the totals, but not in the figures per day while whole days are there to
    average: two hours of a morning are not a day, and counted as one they pulled "sitting a
    day" down (and "39 min less than last week") every morning."""

    days: tuple[DaySummary, ...]
    under_way: date | None = None

    @cached_property
    def active(self) -> tuple[DaySummary, ...]:
        """The days with data."""
        return tuple(d for d in self.days if d.has_data)

    @cached_property
    def sat_days(self) -> tuple[DaySummary, ...]:
        """The days someone sat (:attr:`DaySummary.sat`): not the days sitwatch only watched
        an empty seat, which once counted as days "with sitting" and pulled "a day" down."""
        return tuple(d for d in self.days if d.sat)

    @property
    def days_sat(self) -> int:
        return len(self.sat_days)

    @property
    def days_watched_empty(self) -> int:
        """The days watched but nobody sitting (not a day with nudges alone, nor one its
        sensor was offline throughout)."""
        return sum(1 for d in self.days if d.watched and not d.sat and not d.offline_throughout)

    @cached_property
    def averaged(self) -> tuple[DaySummary, ...]:
        """The days the figures per day are taken over: the days sat, but the one under way,
        unless it is the only one."""
        whole = tuple(d for d in self.sat_days if d.day != self.under_way)
        return whole or self.sat_days

    @property
    def today_left_out(self) -> bool:
        """The day under way was sat in and is left out of the figures per day."""
        return len(self.averaged) < len(self.sat_days)

    @property
    def has_data(self) -> bool:
        return bool(self.active)

    @property
    def active_days(self) -> int:
        return len(self.active)

    @property
    def sitting_minutes(self) -> float:
        return sum(d.sitting_minutes for d in self.days)

    @property
    def sitting_per_day(self) -> float:
        """Per day sat (:attr:`averaged`)."""
        days = self.averaged
        return sum(d.sitting_minutes for d in days) / len(days) if days else 0.0

    @property
    def longest_day(self) -> DaySummary | None:
        """The day with the longest spell (the first of equals)."""
        return max(self.days, key=lambda d: d.longest_spell_minutes) if self.days else None

    @property
    def longest_spell_minutes(self) -> float:
        d = self.longest_day
        return d.longest_spell_minutes if d is not None else 0.0

    @property
    def longest_spell_start(self) -> datetime | None:
        d = self.longest_day
        return d.longest_spell_start if d is not None else None

    @property
    def breaks(self) -> int:
        return sum(d.breaks for d in self.days)

    @property
    def breaks_per_day(self) -> float:
        """Per day sat (:attr:`averaged`)."""
        days = self.averaged
        return sum(d.breaks for d in days) / len(days) if days else 0.0

    @cached_property
    def posture_minutes(self) -> dict[Posture, float]:
        return {p: sum(d.posture_minutes.get(p, 0.0) for d in self.days)
                for p in POSTURE_COLUMNS}

    @property
    def recline_unseen_minutes(self) -> float:
        return sum(d.recline_unseen_minutes for d in self.days)

    @property
    def seat_alone_minutes(self) -> float:
        return sum(d.seat_alone_minutes for d in self.days)

    @property
    def weight_forward_minutes(self) -> float:
        return sum(d.weight_forward_minutes for d in self.days)

    @property
    def recline_seen_minutes(self) -> float:
        """Of the sitting, the time a backrest sensor saw (see :class:`DaySummary`)."""
        return max(0.0, self.sitting_minutes - self.recline_unseen_minutes)

    @property
    def posture_shares(self) -> dict[Posture, float | None]:
        """As :attr:`DaySummary.posture_shares`, over the week's sitting."""
        return _shares(self.posture_minutes, self.recline_unseen_minutes)

    @property
    def upright_share(self) -> float:
        return _shares(self.posture_minutes)[Posture.UPRIGHT] or 0.0

    @property
    def known_posture_minutes(self) -> float:
        return _known(self.posture_minutes)

    @property
    def lopsided_left_minutes(self) -> float:
        return sum(d.lopsided_left_minutes for d in self.days)

    @property
    def lopsided_right_minutes(self) -> float:
        return sum(d.lopsided_right_minutes for d in self.days)

    @property
    def balance_measured(self) -> bool:
        return any(d.balance_measured and d.sitting_minutes >= 0.5 for d in self.days) or all(
            d.sitting_minutes < 0.5 for d in self.days)

    @property
    def weight_shifts(self) -> int:
        return sum(d.weight_shifts for d in self.days)

    @property
    def static_stretches(self) -> int:
        return sum(d.static_stretches for d in self.days)

    @property
    def shifts_measured(self) -> bool:
        return any(d.shifts_measured and d.sitting_minutes >= 0.5 for d in self.days) or all(
            d.sitting_minutes < 0.5 for d in self.days)

    @property
    def shifts_per_hour(self) -> float | None:
        return per_sitting_hour(self.weight_shifts, self.cushion_minutes)

    @property
    def lopsided_minutes(self) -> float:
        return sum(d.lopsided_minutes for d in self.days)

    @property
    def cushion_minutes(self) -> float:
        """Of the sitting, the time the cushion saw (:attr:`DaySummary.cushion_minutes`)."""
        return sum(d.cushion_minutes for d in self.days)

    @property
    def stand_in_minutes(self) -> float:
        """Of the sitting, the time a camera saw in the offline cushion's stead
        (:attr:`DaySummary.stand_in_minutes`)."""
        return sum(d.stand_in_minutes for d in self.days)

    @cached_property
    def nudges(self) -> dict[str, int]:
        """Delivered nudges by kind: every known kind, then the others as they came."""
        out = _zero_nudges()
        for d in self.days:
            for k, n in d.nudges.items():
                out[k] = out.get(k, 0) + n
        return out

    @property
    def nudges_total(self) -> int:
        return sum(self.nudges.values())

    @property
    def nudge_times(self) -> tuple[tuple[datetime, str], ...]:
        return tuple(t for d in self.days for t in d.nudge_times)

    @cached_property
    def outcomes(self) -> dict[str, NudgeOutcomes]:
        out: dict[str, NudgeOutcomes] = {}
        for d in self.days:
            for k, o in d.outcomes.items():
                out[k] = out.get(k, NudgeOutcomes()) + o
        return out

    @property
    def nudges_acted(self) -> int:
        return sum(d.nudges_acted for d in self.days)

    @property
    def nudges_measured(self) -> int:
        return sum(d.nudges_measured for d in self.days)

    @property
    def sensor_offline_minutes(self) -> float:
        return sum(d.sensor_offline_minutes for d in self.days)

    @property
    def camera_offline_minutes(self) -> float:
        return sum(d.camera_offline_minutes for d in self.days)

    @property
    def cushion_offline_minutes(self) -> float:
        return sum(d.cushion_offline_minutes for d in self.days)

    @property
    def break_lengths(self) -> tuple[int, ...]:
        """Breaks per length class (:data:`BREAK_EDGES`), all days added up."""
        return tuple(sum(x) for x in zip(*(d.break_lengths for d in self.days), strict=True)) \
            if self.days else break_lengths(())

    def sitting_debt(self, sit_limit: float) -> float:
        """Minutes the spells ran past ``sit_limit`` seconds, all days added up."""
        return sum(d.sitting_debt(sit_limit) for d in self.days)

    def spells_over(self, sit_limit: float) -> int:
        return sum(d.spells_over(sit_limit) for d in self.days)


# -- reading rows -----------------------------------------------------------------------------

def _stored(r: sqlite3.Row) -> StoredEvent:
    try:
        data = json.loads(r["data"]) if r["data"] else {}
    except ValueError:
        data = {}
    return StoredEvent(datetime.fromisoformat(r["ts"]), r["t"], r["run_id"], r["event"],
                       r["state"], data if isinstance(data, dict) else {"value": data})


def events_between(reader: Reader, start: datetime, end: datetime,
                   event: str | None = None) -> list[StoredEvent]:
    """Events in ``[start, end)`` (only those named ``event`` if given), oldest first."""
    a = aware(start, "start").timestamp()
    b = aware(end, "end").timestamp()
    sql = "SELECT ts, t, run_id, event, state, data FROM events WHERE epoch >= ? AND epoch < ?"
    args: list[object] = [a, b]
    if event is not None:
        sql += " AND event = ?"
        args.append(event)
    sql += " ORDER BY epoch, id"
    return [_stored(r) for r in reader.connection.execute(sql, args)]


#: The longest span a stored row covers (an hour: see ``minutes.span`` in schema.py).
MAX_SPAN = 3600


def _spread(r: sqlite3.Row) -> list[MinuteRow]:
    """A stored row as minute rows: a row of more than a minute (a stretch of empty seat, or
    an hour folded after ``history.detail_weeks``) spread evenly over its minutes."""
    start = datetime.fromisoformat(r["minute"])
    span = int(r["span"] or 60)
    n = max(1, span // 60)
    frames, dropped = int(r["frames"]), int(r["dropped"])
    out = []
    for i in range(n):
        out.append(MinuteRow(
            minute=start + timedelta(minutes=i), run_id=r["run_id"],
            seconds_present=r["seconds_present"] / n, seconds_occupied=r["seconds_occupied"] / n,
            posture={p: r[p] / n for p in POSTURE_COLUMNS},
            balance={b_: r[b_] / n for b_ in BALANCE_COLUMNS},
            seat_load_mean=r["seat_load_mean"], cop_x_mean=r["cop_x_mean"],
            cop_y_mean=r["cop_y_mean"],
            frames=frames // n + (1 if i < frames % n else 0),
            dropped=dropped // n + (1 if i < dropped % n else 0),
            sensor_online_seconds=r["sensor_online_seconds"] / n,
            seconds_occupied_cushion=r[CUSHION_COLUMN] / n,
            seconds_recline_unseen=r[RECLINE_UNSEEN_COLUMN] / n,
        ))
    return out


def minutes_between(reader: Reader, start: datetime, end: datetime) -> list[MinuteRow]:
    """Minute rollups starting in ``[start, end)``, by time, then run.

    Rows stored for longer than a minute come back spread over their minutes (see
    :func:`_spread`), so every row returned is one minute and the sums stay right."""
    a = aware(start, "start").timestamp()
    b = aware(end, "end").timestamp()
    rows = reader.connection.execute(
        "SELECT * FROM minutes WHERE epoch > ? AND epoch < ? ORDER BY epoch, run_id",
        (a - MAX_SPAN, b))
    out = [m for r in rows for m in _spread(r) if a <= m.minute.timestamp() < b]
    out.sort(key=lambda m: (m.minute.timestamp(), m.run_id))
    return out


def runs(reader: Reader) -> list[RunRow]:
    """Every run, oldest first (rows whose times cannot be read are left out)."""
    out = []
    for r in reader.connection.execute("SELECT * FROM runs ORDER BY started"):
        try:
            started = datetime.fromisoformat(r["started"])
            ended = datetime.fromisoformat(r["ended"]) if r["ended"] else None
        except (TypeError, ValueError):
            log.debug("run %s has unreadable times; left out", r["run_id"])
            continue
        # a camera-only run of an older sitwatch stored the config's cushion layout, of a
        # cushion that did not run: read as it is stored now, without one
        lay = None if is_camera_only(r["source"]) else r["layout"]
        out.append(RunRow(r["run_id"], started, ended, lay, r["source"], r["version"]))
    return out


def demo_days(reader: Reader, tz: tzinfo) -> tuple[date, date] | None:
    """The first and the last day of a history ``sitwatch demo`` wrote (every run its virtual
    cushion's), in ``tz``; None for any other history, or one with no run. The demo plays
    today from 08:30: read after local midnight, "today" is not its day."""
    rs = runs(reader)
    if not rs or any(r.source != DEMO_SOURCE for r in rs):
        return None
    return rs[0].started.astimezone(tz).date(), rs[-1].started.astimezone(tz).date()


#: The runs in which the camera watched alone (no cushion), whose sensor is the camera: the
#: daemon names a run by its sources, the cushion first (``camera:0``; with a cushion too
#: ``/dev/ttyACM0 + camera:0``), so a report can say which sensor was offline.
_CAMERA_ONLY_RUNS = (f"SELECT run_id FROM runs WHERE substr(source, 1, "
                     f"{len(CAMERA_SOURCE_PREFIX)}) = '{CAMERA_SOURCE_PREFIX}'")


def last_data(conn: sqlite3.Connection, run_id: str) -> datetime | None:
    """The end of the last event or minute of a run."""
    ev = conn.execute("SELECT max(epoch) FROM events WHERE run_id = ?", (run_id,)).fetchone()[0]
    mi = conn.execute("SELECT max(epoch + span) FROM minutes WHERE run_id = ?",
                      (run_id,)).fetchone()[0]
    candidates = [x for x in (ev, mi) if x is not None]
    return datetime.fromtimestamp(max(candidates), UTC) if candidates else None


def run_before(reader: Reader, run_id: str) -> str | None:
    """The run that started last, ``run_id`` left out (None: there is none)."""
    r = reader.connection.execute(
        "SELECT run_id FROM runs WHERE run_id IS NOT ? ORDER BY started DESC LIMIT 1",
        (run_id,)).fetchone()
    return str(r[0]) if r is not None else None


def run_end(reader: Reader, run_id: str) -> datetime | None:
    """When a run ended: its ``ended``, now for the live run, else its last data."""
    if run_id == reader.run_id:
        return reader.now()
    r = reader.connection.execute("SELECT ended FROM runs WHERE run_id = ?",
                                  (run_id,)).fetchone()
    if r is not None and r["ended"]:
        return datetime.fromisoformat(r["ended"])
    return last_data(reader.connection, run_id)


# -- spells and summaries ---------------------------------------------------------------------

@dataclass(frozen=True)
class _Mark:
    """A moment of a run on both clocks: the wall time and the run's monotonic time."""

    ts: datetime
    t: float | None


def _secs(a: _Mark, b: _Mark) -> float:
    """Seconds from ``a`` to ``b``: on the run's monotonic clock when both moments have it (a
    wall-clock step in between changes nothing), else on the wall clock."""
    if a.t is not None and b.t is not None and b.t >= a.t:
        return b.t - a.t
    return (b.ts - a.ts).total_seconds()


def _unseen(e: StoredEvent) -> float:
    """Seconds nothing saw the seat before ``e``, as the live timer took them
    (:meth:`sitwatch.sensing.detectors.occupancy.SittingTimer.seen_again`): on a ``sensor``
    ``online`` or ``screen`` ``unlocked`` event, left out of the spell under way; on an
    ``occupancy`` ``empty`` one, the spell ended when the seat went out of sight."""
    try:
        return max(0.0, float(e.get("unseen") or 0.0))
    except (TypeError, ValueError):
        return 0.0


def _out_of_sight(m: _Mark, unseen: float) -> _Mark:
    """``m`` moved back to when the seat went out of sight ``unseen`` seconds before it."""
    if not unseen:
        return m
    return _Mark(m.ts - timedelta(seconds=unseen), None if m.t is None else m.t - unseen)


def _run_stop(reader: Reader, run_id: str) -> _Mark | None:
    """Where a run stops: now for the run this process records, else its last write."""
    if run_id == reader.run_id:
        mono = getattr(reader, "monotonic", None)
        return _Mark(reader.now(), float(mono()) if callable(mono) else None)
    r = reader.connection.execute(
        "SELECT ended, last_t, last_epoch FROM runs WHERE run_id = ?", (run_id,)).fetchone()
    if r is not None and r["last_t"] is not None and r["last_epoch"] is not None:
        wall, t = datetime.fromtimestamp(r["last_epoch"], UTC), float(r["last_t"])
        if not r["ended"]:  # live in another process: its last commit was seconds ago
            extra = (reader.now() - wall).total_seconds()
            if 0 < extra <= 60:
                wall, t = wall + timedelta(seconds=extra), t + extra
        return _Mark(wall, t)
    end = run_end(reader, run_id)
    return _Mark(end, None) if end is not None else None


def _carried(e: StoredEvent) -> tuple[_Mark, _Mark] | None:
    """Where a ``spell_resumed`` event puts the spell it carries on, on both clocks of the run
    that wrote it: (the spell's start, when the last daemon last saw the seat occupied). This is
    the daemon's own timer (``Pipeline.resume_spell``), so the time no daemon ran counts in the
    spell when the sitter is back within ``min_break``, as the timer counted it."""
    spell = float(e.get("spell") or 0.0)
    away = float(e.get("away") or 0.0)
    if spell <= 0 or away < 0:
        return None
    left = _Mark(e.ts - timedelta(seconds=away), e.t - away if e.t is not None else None)
    began = _Mark(left.ts - timedelta(seconds=spell), left.t - spell if left.t is not None
                  else None)
    return began, left


def _not_before(mark: _Mark, start: datetime) -> _Mark:
    """``mark``, or ``start`` on the same clocks if it is earlier (the range is cut there)."""
    if mark.ts >= start:
        return mark
    ahead = (start - mark.ts).total_seconds()
    return _Mark(start, mark.t + ahead if mark.t is not None else None)


def _restarts_in(restarts: int, resumed: tuple[datetime, int] | None, left: datetime) -> int:
    """The restarts a spell that ended at ``left`` went through: the run's restart
    (``resumed``: when, and the restarts before it) only if the sitter sat again after it; one
    who had got up before it and came back after a break ended the spell before it."""
    if resumed is None or left >= resumed[0]:
        return restarts
    return resumed[1]


def spells_between(reader: Reader, start: datetime, end: datetime) -> list[SpellRow]:
    """Sitting spells that ended in [start, end), oldest first.

    A spell ends with a ``break`` event (whose ``spell`` is authoritative), when its run
    ends, or at ``end``; the spell still open at ``end`` is cut there, as is the part of an open
    spell before ``start``. A spell that ended before ``start`` is not counted again when the
    ``break`` after it comes in the range (away over midnight, or over a restart the night
    before). Spells are rebuilt from ``occupancy`` and ``break`` events, per run,
    in the order they were written, and measured on the run's monotonic clock (the events'
    ``t``): a wall-clock step in the middle of a spell neither stretches nor hides it.

    A restart is not a break: a run that carried on the spell of the run before it (its
    ``spell_resumed`` event names that run) starts with that spell, and the spell the run before
    left open is not counted on its own, so a spell across restarts is one spell with its
    length, counted once.
    Time nothing saw the seat is left out as the live timer left it out (the ``unseen``
    seconds of ``sensor``, ``screen`` and ``occupancy`` events).
    """
    tz = aware(start, "start").tzinfo
    aware(end, "end")
    names = (EventName.OCCUPANCY, EventName.BREAK, EventName.SPELL_RESUMED, EventName.SENSOR,
             EventName.SCREEN)
    rows = reader.connection.execute(
        "SELECT ts, t, run_id, event, state, data FROM events "
        f"WHERE epoch >= ? AND epoch < ? AND event IN ({', '.join('?' * len(names))}) "
        "ORDER BY id", (start.timestamp(), end.timestamp(), *names))
    evs = [_stored(r) for r in rows]
    # A run that was occupied when the range began starts its spell at ``start``.
    before = reader.connection.execute(
        "SELECT ts, t, run_id, event, state, data FROM events "
        "WHERE event = ? AND epoch < ? ORDER BY epoch DESC, id DESC LIMIT 1",
        (EventName.OCCUPANCY, start.timestamp())).fetchone()
    by_run: dict[str, list[StoredEvent]] = {}
    if before is not None and before["state"] == Occupancy.OCCUPIED:
        prev = _stored(before)
        ended = run_end(reader, prev.run_id)
        if ended is None or ended > start:
            by_run[prev.run_id] = [StoredEvent(start, None, prev.run_id, EventName.OCCUPANCY,
                                               Occupancy.OCCUPIED, {})]
    for e in evs:
        by_run.setdefault(e.run_id, []).append(e)

    spells: list[SpellRow] = []
    left_open: dict[str, SpellRow] = {}  # per run, the spell still going when it stopped
    carried_on: set[str] = set()  # the runs whose open spell a later run carried on
    for run_id, items in by_run.items():
        spell_start: _Mark | None = None
        seated_since: _Mark | None = None
        left_at: _Mark | None = None
        restarts = 0
        # the restart this run carried the spell over: when, and the spell's restarts before
        # it (the spell went through it only if the sitter came back before the break)
        resumed: tuple[datetime, int] | None = None
        unseen = 0.0  # seconds of the spell nothing saw the seat (not counted in it)
        # short absences: the returns to the seat within the spell; the last one is the
        # spell's end instead when a break follows it (``back``: the seat was just sat on again)
        absences, gone, back = 0, False, False
        for e in items:
            mark = _Mark(e.ts, e.t)
            if e.event in (EventName.SENSOR, EventName.SCREEN):  # a sensor back, a screen
                if seated_since is not None:  # unlocked: the time nothing saw the seat
                    unseen += _unseen(e)
            elif e.event == EventName.OCCUPANCY and e.state == Occupancy.OCCUPIED:
                seated_since = mark
                if spell_start is None:
                    spell_start = mark
                back, gone = gone, False
                absences += int(back)
            elif e.event == EventName.OCCUPANCY and e.state == Occupancy.EMPTY:
                if seated_since is not None:
                    # after a suspend the seat emptied when the computer went to sleep (the
                    # monotonic clock stood still meanwhile, so only the wall time moves back)
                    slept = float(e.get("suspended") or 0.0)
                    left_at = _Mark(e.ts - timedelta(seconds=slept), e.t) if slept else mark
                    left_at = _out_of_sight(left_at, _unseen(e))
                    gone = True
                seated_since = None
            elif e.event == EventName.BREAK:
                spell = float(e.get("spell") or 0.0)
                away = float(e.get("duration") or 0.0)
                # a spell that ended before the range (the seat emptied before midnight, or
                # before a restart the night before) is the range before's: it counted it
                left = e.ts - timedelta(seconds=away)
                if spell > 0 and left >= start:
                    began = spell_start.ts if spell_start is not None and spell_start.t \
                        is not None else e.ts - timedelta(seconds=away + spell)
                    spells.append(SpellRow(began.astimezone(tz), spell,
                                           _restarts_in(restarts, resumed, left),
                                           absences - int(back)))
                spell_start, left_at, restarts, unseen, resumed = mark, None, 0, 0.0, None
                absences, gone, back = 0, False, False
            elif e.event == EventName.SPELL_RESUMED:
                carried = _carried(e)
                if carried is not None:  # the seat counts as empty until it is seen again
                    spell_start, left_at = carried
                    unseen = 0.0
                    seated_since = None
                    before_run = str(e.get("continues") or "")
                    carried_on.add(before_run)
                    was = left_open.get(before_run)
                    restarts = 1 + (was.restarts if was is not None else 0)
                    resumed = (e.ts, restarts - 1)
                    absences = was.absences if was is not None else 0
                    # away when the last daemon stopped: sitting again is a return (or a break)
                    gone = e.state == Occupancy.EMPTY
        if spell_start is None:
            continue
        if seated_since is not None:  # still seated when the run (or the range) ended
            stop = _run_stop(reader, run_id)
            first = _not_before(spell_start, start)
            if stop is not None and stop.ts < end:
                secs = _secs(first, stop)
            else:  # cut at the end of the range
                secs = (end - first.ts).total_seconds()
                if stop is not None and first.t is not None and stop.t is not None:
                    secs = min(secs, _secs(first, stop))
        else:
            first = _not_before(spell_start, start)
            secs = _secs(first, _not_before(left_at, start) if left_at is not None else first)
            if left_at is not None:
                restarts = _restarts_in(restarts, resumed, left_at.ts)
        secs -= unseen
        if secs > 0:
            left_open[run_id] = SpellRow(first.ts.astimezone(tz), secs, restarts, absences)
    spells += [s for run_id, s in left_open.items() if run_id not in carried_on]
    spells.sort(key=lambda s: s.start)
    return spells


@dataclass
class _EventCounts:
    """What a day's summary counts from its events: its breaks, the nudges delivered and
    followed up (by kind), suspected wallets, weight shifts and static stretches."""

    breaks: list[BreakRow] = field(default_factory=list)
    nudges: dict[str, int] = field(default_factory=_zero_nudges)
    nudge_times: list[tuple[datetime, str]] = field(default_factory=list)
    outcomes: dict[str, NudgeOutcomes] = field(default_factory=dict)
    wallets: int = 0
    shifts: int = 0
    static: int = 0

    @property
    def has_any(self) -> bool:
        """Breaks, nudges or outcomes: a day with them has spells to look for."""
        return bool(self.breaks or any(self.nudges.values()) or self.outcomes)


#: The events :class:`_EventCounts` counts.
_COUNTED = (EventName.BREAK, EventName.NUDGE, EventName.NUDGE_OUTCOME, EventName.WALLET,
            EventName.STILLNESS)


def _event_counts(reader: Reader, edges: list[float]) -> list[_EventCounts]:
    """Per local day (between consecutive epochs of ``edges``), the events it counts (for
    :func:`days_summaries`, which :func:`day_summary` is for one day)."""
    per = [_EventCounts() for _ in range(len(edges) - 1)]
    if not per:
        return per
    cur = reader.connection.cursor()
    cur.row_factory = None
    # SQLite picks the few fields out of each event's JSON (a malformed one reads as NULLs)
    cur.execute(
        "SELECT epoch, ts, event, state, "
        "CASE WHEN json_valid(data) THEN json_extract(data, '$.duration') END, "
        "CASE WHEN json_valid(data) THEN json_extract(data, '$.kind') END, "
        "CASE WHEN json_valid(data) THEN json_extract(data, '$.delivered') END, "
        "CASE WHEN json_valid(data) THEN json_extract(data, '$.responded') END, "
        "CASE WHEN json_valid(data) THEN json_extract(data, '$.stage') END "
        "FROM events WHERE epoch >= ? AND epoch < ? "
        f"AND event IN ({', '.join('?' * len(_COUNTED))}) ORDER BY epoch, id",
        (edges[0], edges[-1], *_COUNTED))
    for epoch, ts, event, state, duration, kind_, delivered, responded, stage in cur:
        acc = per[bisect_right(edges, epoch) - 1]
        if event == EventName.BREAK:
            try:
                secs = float(duration or 0.0)
            except (TypeError, ValueError):
                secs = 0.0
            acc.breaks.append(BreakRow(datetime.fromisoformat(ts), secs))
        elif (event == EventName.NUDGE and (delivered is None or delivered)
              and not is_day_summary({"stage": stage})):
            kind = str(kind_ or OTHER_KIND)
            acc.nudges[kind] = acc.nudges.get(kind, 0) + 1
            acc.nudge_times.append((datetime.fromisoformat(ts), kind))
        elif event == EventName.NUDGE_OUTCOME:
            kind = str(kind_ or OTHER_KIND)
            acc.outcomes[kind] = acc.outcomes.get(kind, NudgeOutcomes()) \
                + NudgeOutcomes(int(bool(responded)), 1)
        elif event == EventName.WALLET and state == WalletState.SUSPECTED:
            acc.wallets += 1
        elif event == EventName.STILLNESS:
            acc.shifts += state == Stillness.SHIFT
            acc.static += state == Stillness.STATIC
    return per


def day_summary(reader: Reader, day: date, tz: tzinfo) -> DaySummary:
    """The numbers of the local day ``day`` in ``tz``: :func:`days_summaries` for that day
    alone (one builder, so a day's report and the week's row of that day cannot differ)."""
    return days_summaries(reader, day, day, tz)[0]


def week_summary(reader: Reader, week_ending: date, tz: tzinfo,
                 today: date | None = None) -> WeekSummary:
    """The seven local days ending on ``week_ending`` (``today``: the day under way)."""
    days = week_days(week_ending)
    return WeekSummary(tuple(days_summaries(reader, days[0], days[-1], tz)), today)



# -- breaks by length and sitting debt (issue #13) ----------------------------------------------

#: Where one break length class ends and the next begins, in minutes: under 5, 5 to 15, 15 to 30,
#: 30 or more. Only breaks are counted: the daemon writes a ``break`` event only after the seat
#: was empty for at least ``detect.occupancy.min_break``, so shorter absences never get here.
BREAK_EDGES: tuple[float, ...] = (5.0, 15.0, 30.0)


def break_lengths(breaks: Iterable[BreakRow]) -> tuple[int, ...]:
    """How many breaks fall in each length class of :data:`BREAK_EDGES` (one more class than
    edges; a break of exactly an edge goes to the longer class)."""
    out = [0] * (len(BREAK_EDGES) + 1)
    for b in breaks:
        out[bisect_right(BREAK_EDGES, b.seconds / 60)] += 1
    return tuple(out)


def sitting_debt_minutes(spells: Iterable[SpellRow], sit_limit: float) -> float:
    """Minutes of sitting past ``sit_limit`` seconds, summed over the spells that ran past it."""
    return sum(max(0.0, s.seconds - sit_limit) for s in spells) / 60


# -- many days at once --------------------------------------------------------------------------

_SUM_COLUMNS = ("seconds_present", "seconds_occupied", *POSTURE_COLUMNS, *BALANCE_COLUMNS,
                "max(0, seconds_present - sensor_online_seconds)", "frames", "dropped",
                # the offline time of camera-only runs
                f"CASE WHEN run_id IN ({_CAMERA_ONLY_RUNS}) "
                "THEN max(0, seconds_present - sensor_online_seconds) ELSE 0 END",
                CUSHION_COLUMN,
                # the seated time a camera saw in an offline cushion's stead: while the
                # cushion is online it sees all of the seated time itself
                # (describe.cushion_sees_seated), so the rest fell while it was offline
                f"CASE WHEN run_id IN ({_CAMERA_ONLY_RUNS}) "
                f"THEN 0 ELSE max(0, seconds_occupied - {CUSHION_COLUMN}) END",
                RECLINE_UNSEEN_COLUMN, SEAT_ALONE_SQL, WEIGHT_FORWARD_SQL)


def _day_edges(first: date, last: date, tz: tzinfo) -> list[float]:
    """The epochs where the local days ``first`` .. ``last`` begin, and where the last ends."""
    n = (last - first).days + 1
    return [day_bounds(first + timedelta(days=i), tz)[0].timestamp() for i in range(n)] \
        + [day_bounds(last, tz)[1].timestamp()]


#: SQLite adds the minutes up in buckets of this many seconds; every UTC offset in use is a
#: whole number of quarter hours, so a local day always begins on a bucket's edge.
_BUCKET = 900


def _minute_sums(reader: Reader, edges: list[float]) -> list[list[float]]:
    """Per local day (between consecutive ``edges``), the sums of :data:`_SUM_COLUMNS`.

    The same numbers as adding up :func:`minutes_between` day by day (a row longer than a
    minute counts evenly over its minutes, each minute in the day it starts in), without a
    record per minute: SQLite adds up the one-minute rows per quarter hour, and only the
    longer rows (folded hours, stretches of empty seat) are spread here. A year takes a
    fraction of a second."""
    days = len(edges) - 1
    ncol = len(_SUM_COLUMNS)
    out = [[0.0] * ncol for _ in range(days)]
    if days <= 0:
        return out
    a, b = edges[0], edges[-1]
    cur = reader.connection.cursor()
    cur.row_factory = None
    if all(e % _BUCKET == 0 for e in edges):
        cur.execute(
            f"SELECT CAST(epoch / {_BUCKET} AS INTEGER), "
            f"{', '.join(f'sum({c})' for c in _SUM_COLUMNS)} FROM minutes "
            "WHERE epoch >= ? AND epoch < ? AND coalesce(span, 60) <= 60 GROUP BY 1",
            (a, b))
        for row in cur:
            acc = out[bisect_right(edges, row[0] * _BUCKET) - 1]
            for j in range(ncol):
                acc[j] += row[1 + j] or 0.0
        cur.execute(f"SELECT epoch, span, {', '.join(_SUM_COLUMNS)} FROM minutes "
                    "WHERE epoch > ? AND epoch < ? AND span > 60", (a - MAX_SPAN, b))
    else:  # a zone with an offset in seconds (times before about 1900): row by row
        cur.execute(f"SELECT epoch, span, {', '.join(_SUM_COLUMNS)} FROM minutes "
                    "WHERE epoch > ? AND epoch < ?", (a - MAX_SPAN, b))
    for row in cur:
        e0 = float(row[0])
        n = max(1, int(row[1] or 60) // 60)
        i = 0
        while i < n:  # the row's minutes, day by day
            t = e0 + 60 * i
            if t < a:
                i += 1
                continue
            if t >= b:
                break
            d = bisect_right(edges, t) - 1
            stop = min(n, i + max(1, int((edges[d + 1] - t + 59) // 60)))
            share = (stop - i) / n
            acc = out[d]
            for j in range(ncol):
                acc[j] += row[2 + j] * share
            i = stop
    return out


def days_summaries(reader: Reader, first: date, last: date, tz: tzinfo) -> list[DaySummary]:
    """The :class:`DaySummary` of every local day from ``first`` to ``last`` (both included),
    with the minutes and events read once for the whole range (a month or a year stays quick).
    The one builder of a day's figures: :func:`day_summary` is this for one day."""
    if last < first:
        return []
    edges = _day_edges(first, last, tz)
    sums = _minute_sums(reader, edges)
    p0, b0 = 2, 2 + len(POSTURE_COLUMNS)
    o0 = b0 + len(BALANCE_COLUMNS)
    per = _event_counts(reader, edges)
    out = []
    for i, s in enumerate(sums):
        day = first + timedelta(days=i)
        a, b = day_bounds(day, tz)
        ev = per[i]
        spells = tuple(spells_between(reader, a, b)) if (s[0] or s[1] or ev.has_any) else ()
        out.append(DaySummary(
            day=day,
            sitting_minutes=s[1] / 60,
            present_minutes=s[0] / 60,
            spells=spells,
            break_rows=tuple(ev.breaks),
            posture_minutes={p: s[p0 + j] / 60 for j, p in enumerate(POSTURE_COLUMNS)},
            balance_minutes={x: s[b0 + j] / 60 for j, x in enumerate(BALANCE_COLUMNS)},
            nudges=ev.nudges,
            outcomes=ev.outcomes,
            wallet_suspected=ev.wallets,
            sensor_offline_minutes=s[o0] / 60,
            camera_offline_minutes=s[o0 + 3] / 60,
            frames=round(s[o0 + 1]),
            dropped=round(s[o0 + 2]),
            cushion_minutes=s[o0 + 4] / 60,
            stand_in_minutes=s[o0 + 5] / 60,
            recline_unseen_minutes=s[o0 + 6] / 60,
            seat_alone_minutes=s[o0 + 7] / 60,
            weight_forward_minutes=s[o0 + 8] / 60,
            weight_shifts=ev.shifts,
            static_stretches=ev.static,
            nudge_times=tuple((t.astimezone(tz), k) for t, k in ev.nudge_times),
        ))
    return out


def daily_sitting_minutes(reader: Reader, first: date, last: date,
                          tz: tzinfo) -> dict[date, float]:
    """Minutes seated on each local day from ``first`` to ``last`` (the heatmap's numbers)."""
    if last < first:
        return {}
    sums = _minute_sums(reader, _day_edges(first, last, tz))
    return {first + timedelta(days=i): s[1] / 60 for i, s in enumerate(sums)}

@dataclass(frozen=True)
class ShiftRate:
    """Weight shifts on one local day (issue #13): how often the sitter really moved their
    weight while sitting, from the ``stillness`` events the history keeps.

    Only the cushion feels a weight shift: the rate is taken over the seated time it saw
    (``cushion_minutes``), not over the time a camera saw the seat, alone or standing in for
    an offline cushion, in which no shift can be seen (the rate read low)."""

    day: date
    shifts: int  # real weight shifts while sitting (a lean, a lift of one side ...)
    sitting_minutes: float
    static: int  # stretches that ran past detect.stillness.after without a shift
    cushion_minutes: float = 0.0  # of the sitting, the time the cushion saw

    @property
    def per_hour(self) -> float | None:
        """Shifts per hour of the sitting the cushion saw; None with less than a minute of it."""
        return per_sitting_hour(self.shifts, self.cushion_minutes)


def per_sitting_hour(shifts: int, cushion_minutes: float) -> float | None:
    """Weight shifts per hour of the sitting the cushion saw (the only time a shift can be
    felt); None with less than a minute of it."""
    if cushion_minutes < 1:
        return None
    return shifts / (cushion_minutes / 60)


def shifts_per_sitting_hour(reader: Reader, day: date, tz: tzinfo) -> ShiftRate:
    """The local day ``day`` in ``tz``: weight shifts, sitting time (all of it, and the
    cushion's) and static stretches, as :func:`day_summary` counts them."""
    s = day_summary(reader, day, tz)
    return ShiftRate(day, s.weight_shifts, s.sitting_minutes, s.static_stretches,
                     s.cushion_minutes)
