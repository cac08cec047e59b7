"""Console sink: nudges (and optionally state changes) as short lines on a text stream.

Human mode prints ``14:05 · Time to get up — Stand up and walk ...`` with the local wall time;
``json_lines=True`` prints each event's JSON (the docs/events.md contract), one per line, for
pipes and the journal, with ``at``: the wall time it happened, as the MQTT channel adds it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime
from typing import TextIO

from sitwatch.core import durations
from sitwatch.core.events import BREAK, DIAGNOSIS, NUDGE, SENSOR, SPELL_RESUMED, Event
from sitwatch.core.kinds import Occupancy
from sitwatch.sinks.actions import learned_notice
from sitwatch.sinks.base import device_notice


def _local_now() -> datetime:
    return datetime.now().astimezone()


class ConsoleSink:
    """Writes events to ``stream`` (flushed per line, so the journal sees them at once).

    ``states``: in human mode, also print non-nudge events (occupancy, posture, sensor ...);
    in JSON mode every event is printed regardless. ``now`` gives the local wall time
    (event times are monotonic, so they cannot be shown as a time of day): the time of day in
    human mode, each event's ``at`` in JSON mode.
    """

    name = "console"

    def __init__(
        self,
        stream: TextIO,
        *,
        json_lines: bool = False,
        states: bool = False,
        now: Callable[[], datetime] = _local_now,
    ) -> None:
        self.stream = stream
        self.json_lines = json_lines
        self.states = states
        self.now = now

    def handle(self, event: Event) -> None:
        if self.json_lines:
            line = event.to_json(at=self.now())
        else:
            shown = (event.event == NUDGE or learned_notice(event) or device_notice(event)
                     or self.states)
            text = format_event(event) if shown else None
            if text is None:
                return
            line = f"{self.now().strftime('%H:%M')} · {text}"
        self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        # A closed stream or a broken pipe at shutdown: nothing left to keep.
        with contextlib.suppress(OSError, ValueError):
            self.stream.flush()


def _minutes(seconds: object) -> str:
    try:
        return f"{round(float(seconds) / 60)} min"  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "?"


def _words(seconds: object) -> str:
    try:
        return durations.words(float(seconds))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "?"


def _seconds(seconds: object) -> str:
    try:
        return f"{float(seconds):.0f} s"  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "?"


def format_event(event: Event) -> str:
    """One short human line for an event (without the time)."""
    if event.event == NUDGE or learned_notice(event) or device_notice(event):
        title = str(event.get("title") or "sitwatch")
        message = str(event.get("message") or "")
        return f"{title} — {message}" if message else title
    if event.event == BREAK:
        return (f"break: {_minutes(event.get('duration'))} after "
                f"{_minutes(event.get('spell'))} of sitting")
    if event.event == DIAGNOSIS:
        return f"cushion: {event.get('message', '')}"
    if event.event == SPELL_RESUMED:
        if event.state == Occupancy.EMPTY:  # the last daemon saw the sitter get up
            return (f"restarted while you were away: away {_words(event.get('away'))} so far, "
                    f"after {_minutes(event.get('spell'))} of sitting")
        return (f"a restart is not a break: the sitting spell of "
                f"{_minutes(event.get('spell'))} goes on")
    if event.event == SENSOR and event.get("rule") and event.get("unseen") is not None:
        # not the camera's own return ("sensor: online (camera)", maybe just before): the
        # camera standing in for the offline cushion (fusion rule O2) sees the seat again
        # after a short gap in which nothing did
        return (f"camera stands in for the offline cushion: {_seconds(event.get('unseen'))} "
                "unseen, left out of the sitting spell")
    text = f"{event.event}: {event.state}" if event.state is not None else event.event
    if event.event == SENSOR and event.get("silent"):
        text += ", connected but silent"  # its link is up: not unplugged
    detail = event.get("reason") if event.event == SENSOR else None
    detail = detail or event.get("side") or event.get("source") or event.get("method")
    return f"{text} ({detail})" if detail else text
