"""The sink protocol and :class:`Fanout`, which hands every event to every sink.

A sink that raises never stops the daemon: the fanout logs the error (once per sink and distinct
error, with a reminder while it keeps happening), then goes on delivering to the other sinks.
Slow sinks (desktop, push, hook) queue their work on a background thread, so
:meth:`Fanout.handle` returns at once.

The fanout also carries what the daemon needs from the channels besides delivery: the
:class:`~sitwatch.sinks.actions.ActionInbox` that clicks on notification buttons arrive in, and
:meth:`Fanout.find` to reach one kind of sink (``find(MqttSink)`` for the live state).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from sitwatch.core.events import Event
from sitwatch.core.kinds import EventName
from sitwatch.sinks.actions import ActionInbox


class Sink(Protocol):
    """Somewhere events go: the console, the desktop, a file, MQTT ..."""

    name: str

    def handle(self, event: Event) -> None:
        """Deliver one event. May raise; :class:`Fanout` contains the damage."""
        ...

    def close(self) -> None: ...


def seek_care(event: Event) -> bool:
    """A ``symptom`` event for a diary entry with a red flag: its ``title`` and ``message`` are
    the seek-care advice, which the channels that show nudges show too (docs/events.md)."""
    return (event.event == EventName.SYMPTOM and bool(event.get("red_flags"))
            and bool(event.get("title")))


def device_notice(event: Event) -> bool:
    """A ``notice`` event with its words (sensors of the cushion stopped working): the channels
    that show nudges show it too, without buttons (docs/events.md)."""
    return event.event == EventName.NOTICE and bool(event.get("title"))


class Problems:
    """What a channel has already complained about: each distinct problem is a warning once
    (then debug lines, so a dead broker does not flood the journal), and the first success
    afterwards is worth one line saying it works again, as loud as the complaint was (a journal
    read at the default level showed "failed" and never "works again")."""

    LIMIT = 20  # distinct problems remembered; beyond that they go to the debug log

    def __init__(self, log: logging.Logger) -> None:
        self.log = log
        self.keys: set[str] = set()
        self._levels: dict[str, int] = {}  # each remembered problem's level when first said
        self._lock = threading.Lock()  # helper threads report too (desktop buttons)
        self._last: str | None = None  # the latest warning, until the channel works again

    @property
    def current(self) -> str | None:
        """The latest problem warned about while one is still remembered (for the daemon's
        status, which `sitwatch doctor` reads), else None."""
        return self._last if self.keys else None

    def report(self, key: str, text: str, level: int = logging.WARNING) -> None:
        with self._lock:
            first = key not in self.keys and len(self.keys) < self.LIMIT
            if first:
                self.keys.add(key)
                self._levels[key] = level
            if level >= logging.WARNING:
                self._last = text
        self.log.log(level if first else logging.DEBUG, "%s", text)

    def solved(self, text: str, prefix: str = "") -> bool:
        """Forget the problems (those whose key starts with ``prefix``); log ``text`` if any
        were remembered. True when there were some."""
        with self._lock:
            gone = {k for k in self.keys if k.startswith(prefix)}
            self.keys -= gone
            level = max((self._levels.pop(k, logging.INFO) for k in gone),
                        default=logging.INFO)
        if gone:
            self.log.log(max(level, logging.INFO), "%s", text)
        return bool(gone)

    def __contains__(self, key: str) -> bool:
        return key in self.keys

    def __bool__(self) -> bool:
        return bool(self.keys)


S = TypeVar("S")


@dataclass
class _Failure:
    first: float
    last_logged: float
    count: int = 1  # occurrences since the last log line


class Fanout:
    """Calls every sink for every event; a failing sink is logged, never fatal.

    The first occurrence of a distinct error (sink, exception type, message) is logged with its
    traceback; repeats are counted and summarised at most every ``repeat_after`` seconds. When a
    sink that was failing delivers again, that is logged once too.

    ``inbox``: where clicks on notification buttons arrive (the desktop sink puts them there from
    its helper threads; the daemon drains it on its own thread); None without buttons.
    """

    name = "fanout"
    MAX_DISTINCT = 20  # distinct errors remembered per sink; more are folded into one key

    def __init__(
        self,
        sinks: Iterable[Sink],
        log: logging.Logger,
        *,
        inbox: ActionInbox | None = None,
        repeat_after: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sinks: list[Sink] = list(sinks)
        self.log = log
        self.inbox = inbox
        self.repeat_after = repeat_after
        self.clock = clock
        self._failures: dict[str, dict[tuple[str, str], _Failure]] = {}
        self.errors: dict[str, int] = {}  # total errors per sink, for status and doctor

    def add(self, sink: Sink) -> None:
        self.sinks.append(sink)

    def find(self, kind: type[S]) -> S | None:
        """The first sink that is a ``kind`` (``find(MqttSink)``, ``find(DesktopSink)``), or
        None when that channel is not configured or could not start."""
        for sink in self.sinks:
            if isinstance(sink, kind):
                return sink
        return None

    def handle(self, event: Event) -> None:
        for sink in self.sinks:
            try:
                sink.handle(event)
            except Exception as e:
                self._failed(sink, e)
            else:
                self._succeeded(sink)

    def close(self) -> None:
        for sink in self.sinks:
            try:
                sink.close()
            except Exception as e:
                self._failed(sink, e, action="closing")

    # -- bookkeeping ---------------------------------------------------------------------------

    def _failed(self, sink: Sink, e: Exception, action: str = "delivering to") -> None:
        name = _sink_name(sink)
        self.errors[name] = self.errors.get(name, 0) + 1
        now = self.clock()
        known = self._failures.setdefault(name, {})
        key = (type(e).__name__, str(e))
        if key not in known and len(known) >= self.MAX_DISTINCT:
            key = ("*", "other errors")
        f = known.get(key)
        if f is None:
            known[key] = _Failure(first=now, last_logged=now)
            self.log.error(
                "sink %s failed %s an event (%s: %s); other sinks still get events",
                name, action, type(e).__name__, e, exc_info=e,
            )
            return
        f.count += 1
        if now - f.last_logged >= self.repeat_after:
            self.log.warning(
                "sink %s still failing: %s: %s (%d more times in the last %.0f s)",
                name, key[0], key[1], f.count - 1, now - f.last_logged,
            )
            f.last_logged = now
            f.count = 1

    def _succeeded(self, sink: Sink) -> None:
        if not self._failures:
            return
        name = _sink_name(sink)
        if self._failures.pop(name, None):
            self.log.info("sink %s delivers events again", name)


def _sink_name(sink: object) -> str:
    return str(getattr(sink, "name", None) or type(sink).__name__)
