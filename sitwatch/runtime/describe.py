"""What the daemon reports about the seat, read from a snapshot through one table.

The status file, the history's minute rollups (``Store.add_sample``) and the MQTT state all
describe the same :class:`~sitwatch.sensing.snapshot.Snapshot`. Each reported quantity is one
:class:`Row` here: its key (the name its consumers know it by), a label in words and a function
of the snapshot, plus which consumers take it. A new quantity is a new row; no consumer reads
the detectors.

Status keys may be dotted (``sensor.excluded``): they land in that section of the status file.
History rows are the keywords of ``Store.add_sample`` (:class:`SampleFields`).

While the cushion is offline (and no camera watches the seat in its place) nobody knows who
sits there: the MQTT rows about the seat are then None, which Home Assistant shows as
"unknown", rather than the last values seen, which automations would act on as current
(docs/channels.md). The status file keeps them, next to its ``sensor.online``, and says that
the sitting timer stands still meanwhile (``timer_paused``, ``unseen_seconds``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Flag, auto
from typing import TypedDict, cast

from sitwatch.core.kinds import Sensor, SensorState
from sitwatch.sensing.snapshot import Snapshot

Value = str | float | bool | list[str] | None


class To(Flag):
    """Who takes a row."""

    STATUS = auto()
    HISTORY = auto()
    MQTT = auto()


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    value: Callable[[Snapshot], Value]
    to: To


def _sensor_state(s: Snapshot) -> str:
    return SensorState.ONLINE if s.online else SensorState.OFFLINE


def seat_known(s: Snapshot) -> bool:
    """Something watches the seat: the cushion is online, or a camera takes its place (a fused
    snapshot's occupancy and posture then come from the camera) and sees it."""
    return s.seen and (s.online or s.source == "fused")


def cushion_sees_seated(s: Snapshot) -> bool:
    """Someone sits and the cushion itself sees it (online, not a camera alone or standing in
    for it): the seated time its figures are measured over (balance, weight shifts, load).
    (Online, the seat is known while it is seen: :func:`seat_known`.)"""
    return s.online and s.occupied and s.seen and s.source != Sensor.CAMERA


def seated_seen(s: Snapshot) -> bool:
    """Someone sits, and a sensor sees the seat (:func:`seat_known`): sitting time."""
    return s.occupied and seat_known(s)


def _recline_unseen(s: Snapshot) -> bool:
    """Someone sits (:func:`seated_seen`) and nothing can see reclining: not the cushion with
    a backrest sensor."""
    return seated_seen(s) and not (s.sees_recline and cushion_sees_seated(s))


def _unseen_seconds(s: Snapshot) -> float | None:
    return None if s.unseen_since is None else round(max(0.0, s.t - s.unseen_since), 1)


def _away_seconds(s: Snapshot) -> float | None:
    return None if s.left_at is None else round(max(0.0, s.t - s.left_at), 1)


def _left_spell_seconds(s: Snapshot) -> float | None:
    """The spell the sitter got up from, while away (:attr:`Snapshot.left_at`)."""
    if s.left_at is None or s.spell_start is None:
        return None
    return round(max(0.0, s.left_at - s.spell_start), 1)


def _while_known(value: Callable[[Snapshot], Value]) -> Callable[[Snapshot], Value]:
    """``value``, or None while nothing watches the seat (:func:`seat_known`)."""
    return lambda s: value(s) if seat_known(s) else None


ROWS: tuple[Row, ...] = (
    Row("occupancy", "seat", lambda s: s.occupancy, To.STATUS),
    Row("occupancy", "seat", _while_known(lambda s: s.occupancy), To.MQTT),
    # sitting time is the time a sensor saw the seat occupied: the cushion, or a camera (alone
    # or standing in for an offline cushion, whose posture the fused snapshot then carries)
    Row("occupied", "someone sits (while a sensor sees the seat)", seated_seen, To.HISTORY),
    # of that, the cushion's own: its figures are measured over this time, not a camera's
    Row("cushion", "someone sits and the cushion sees it", cushion_sees_seated, To.HISTORY),
    # of that, the time nothing could see reclining: the reclined share is over the rest
    Row("recline_unseen", "someone sits and nothing can see reclining", _recline_unseen,
        To.HISTORY),
    Row("spell_seconds", "sitting for (s)", lambda s: round(s.spell, 1), To.STATUS),
    # the sitting timer stands still while no sensor sees the seat (docs/presence.md)
    Row("timer_paused", "sitting timer paused: nothing sees the seat",
        lambda s: not s.seen, To.STATUS),
    Row("unseen_seconds", "nothing has seen the seat for (s)", _unseen_seconds, To.STATUS),
    # the absence under way, so that the next daemon carries it on (a break across a restart)
    Row("away_seconds", "away from the seat for (s)", _away_seconds, To.STATUS),
    Row("left_spell_seconds", "after sitting for (s)", _left_spell_seconds, To.STATUS),
    Row("sitting_seconds", "sitting for (s)", _while_known(lambda s: round(s.spell)), To.MQTT),
    Row("posture", "posture", lambda s: s.posture, To.STATUS | To.HISTORY),
    Row("posture", "posture", _while_known(lambda s: s.posture), To.MQTT),
    # the posture comes from the seat alone: its leaning forward is "weight forward"
    Row("seat_only", "posture from the seat alone", lambda s: s.seat_only, To.STATUS),
    Row("balance", "balance", lambda s: s.balance, To.STATUS | To.HISTORY),
    Row("balance", "balance", _while_known(lambda s: s.balance), To.MQTT),
    Row("seat_load", "load on the seat", lambda s: s.seat_load, To.HISTORY),
    Row("cop_x", "centre of pressure, sideways", lambda s: s.cop_x, To.HISTORY),
    Row("cop_y", "centre of pressure, front to back", lambda s: s.cop_y, To.HISTORY),
    Row("online", "sensor online", lambda s: s.online, To.HISTORY),
    Row("cushion", "sensor", _sensor_state, To.MQTT),
    Row("sensor.excluded", "channels left out", lambda s: list(s.bad_channels), To.STATUS),
    # static sitting (issue #13): how long since the last real weight shift, and whether that
    # is past detect.stillness.after (a pressure relief is due)
    Row("still_seconds", "no weight shift for (s)", lambda s: round(s.still_for, 1), To.STATUS),
    Row("static", "a weight shift is due", lambda s: s.occupied and s.static, To.STATUS),
    Row("static", "a weight shift is due", _while_known(lambda s: s.occupied and s.static),
        To.MQTT),
)


class SampleFields(TypedDict):
    """The keywords ``Store.add_sample`` takes from a snapshot."""

    occupied: bool
    posture: str | None
    balance: str | None
    seat_load: float | None
    cop_x: float | None
    cop_y: float | None
    online: bool
    cushion: bool
    recline_unseen: bool


_Rows = tuple[tuple[str, Callable[[Snapshot], Value]], ...]
# The rows for each consumer, picked once: the history takes a sample every frame, and asking
# a Flag for membership is slow (hashing one too: the history's rows are looked up once).
_FOR: dict[To, _Rows] = {to: tuple((r.key, r.value) for r in ROWS if to in r.to) for to in To}
_HISTORY_ROWS = _FOR[To.HISTORY]


def values(snap: Snapshot, to: To) -> dict[str, Value]:
    """Every row for ``to``, by key."""
    return {key: value(snap) for key, value in _FOR[to]}


def status_fields(snap: Snapshot) -> dict[str, dict[str, Value] | Value]:
    """Keyword arguments for ``StatusWriter.update`` (dotted keys become sections)."""
    out: dict[str, dict[str, Value] | Value] = {}
    for key, value in values(snap, To.STATUS).items():
        section, _, name = key.partition(".")
        if name:
            sub = out.setdefault(section, {})
            assert isinstance(sub, dict)
            sub[name] = value
        else:
            out[key] = value
    return out


def history_fields(snap: Snapshot) -> SampleFields:
    """Keyword arguments for ``Store.add_sample`` (:func:`values` for the history, a frame's)."""
    return cast(SampleFields, {key: value(snap) for key, value in _HISTORY_ROWS})


def mqtt_state(snap: Snapshot) -> dict[str, Value]:
    """The live state for ``MqttSink.publish_state``."""
    return values(snap, To.MQTT)
