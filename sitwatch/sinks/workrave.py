"""Workrave driven from the seat (``[integrations.workrave]``, docs/presence.md).

Workrave counts a break when the keyboard and mouse rest long enough, so reading or a video
call counts as a break and a walk away from a desk whose mouse got nudged does not. While the
seat is occupied, sitwatch tells Workrave "this person is active" (its D-Bus method
``org.workrave.CoreInterface.ReportActivity(who, true)``, which holds for 10 seconds, so it is
repeated every few seconds); the moment the seat empties it says so (``ReportActivity(who,
false)``). Away from the chair Workrave then sees no activity at all and, once its own break
length has passed, resets its timers: the break is taken. While sitwatch is paused, or the
cushion is offline, it reports nothing and Workrave goes by the keyboard and mouse alone.

The calls go out from a helper thread, paced in real time (Workrave's clock), never from the
daemon's loop. A Workrave that is not running is said once and tried again quietly; sitwatch
never starts it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from sitwatch.core.clock import Clock
from sitwatch.core.events import Event
from sitwatch.core.kinds import Presence
from sitwatch.sensing.snapshot import Snapshot
from sitwatch.sinks.base import Problems
from sitwatch.sinks.presence import Seat

BUS_NAME = "org.workrave.Workrave"
CORE_PATH = "/org/workrave/Workrave/Core"
CORE = "org.workrave.CoreInterface"

#: Workrave forgets a report of activity after 10 s; report well within that.
REPORT_EVERY = 4.0

Call = Callable[[str, str, tuple[Any, ...]], tuple[Any, ...]]


class WorkraveSink:
    """``call(member, signature, body)`` calls Workrave's core interface (the default opens the
    session bus through jeepney). ``every``: seconds between the reports while someone sits.
    ``start=False`` runs no thread: the owner calls :meth:`tick` (tests)."""

    name = "workrave"

    def __init__(self, clock: Clock, min_break: float, *, who: str = "sitwatch",
                 every: float = REPORT_EVERY, log: logging.Logger,
                 call: Call | None = None, start: bool = True) -> None:
        self.seat = Seat(clock, min_break)
        self.who = who
        self.every = every
        self.log = log
        self.problems = Problems(log)
        self._call = call or _SessionCaller().call
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._told: bool | None = None  # what Workrave last heard: active, idle, nothing yet
        self.reports = 0
        self._thread: threading.Thread | None = None
        if start:
            self._thread = threading.Thread(target=self._run, name="sitwatch-workrave",
                                            daemon=True)
            self._thread.start()

    # -- from the daemon thread ------------------------------------------------------------------

    def handle(self, event: Event) -> None:
        with self._lock:
            change = self.seat.on_event(event)
        if change.state is not None:
            self._wake.set()  # tell Workrave now, not at the next beat

    def live(self, snap: Snapshot, paused: bool) -> None:
        with self._lock:
            change = self.seat.on_snapshot(snap, paused)
        if change.state is not None:
            self._wake.set()

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
        if self._told:  # leave Workrave to the keyboard and mouse
            self._report(False)

    # -- the helper thread -----------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            self.tick()
            self._wake.wait(self.every)
            self._wake.clear()

    def tick(self) -> None:
        """One beat: while someone sits, report activity; on leaving (or a pause, or an offline
        cushion), take back the last report once."""
        with self._lock:
            sitting = self.seat.state() == Presence.SITTING
        if sitting:
            self._report(True)
        elif self._told:
            self._report(False)

    def _report(self, active: bool) -> None:
        try:
            self._call("ReportActivity", "sb", (self.who, active))
        except Exception as e:
            self._failed(e)
            return
        self._told = active
        self.reports += 1
        self.problems.solved("Workrave answers again: the seat drives its break timers")

    def _failed(self, e: Exception) -> None:
        from sitwatch.sinks.dbus_session import NoSessionBus, error_name

        name = error_name(e)
        if name in ("org.freedesktop.DBus.Error.ServiceUnknown",
                    "org.freedesktop.DBus.Error.NameHasNoOwner"):
            text = ("Workrave is not running; sitwatch will tell it about the seat once it "
                    "starts")
            key = "absent"
        elif isinstance(e, NoSessionBus):
            text, key = f"Workrave integration: {e}", "bus"
        else:
            text, key = f"Workrave did not take the report: {type(e).__name__}: {e}", "other"
        self.problems.report(key, text)
        self._told = None


class _SessionCaller:
    """Calls Workrave over one session-bus connection, opened on first use and again after
    the bus went away."""

    def __init__(self) -> None:
        self.conn: Any = None

    def call(self, member: str, signature: str, body: tuple[Any, ...]) -> tuple[Any, ...]:
        from sitwatch.sinks.dbus_session import call, open_session

        if self.conn is None:
            self.conn = open_session()
        try:
            return call(self.conn, BUS_NAME, CORE_PATH, CORE, member, signature, body)
        except (OSError, EOFError):
            try:
                self.conn.close()
            finally:
                self.conn = None
            raise


def check(timeout: float = 2.0) -> tuple[bool, str]:
    """For ``sitwatch doctor``: is Workrave on the session bus, and what does it say?"""
    from sitwatch.sinks.dbus_session import NoSessionBus, call, error_name, open_session

    try:
        conn = open_session(timeout)
    except NoSessionBus as e:
        return False, f"{e}; the Workrave integration needs the desktop's session bus"
    try:
        (mode,) = call(conn, BUS_NAME, CORE_PATH, CORE, "GetOperationMode", timeout=timeout)
        (elapsed,) = call(conn, BUS_NAME, CORE_PATH, CORE, "GetTimerElapsed", "s",
                          ("microbreak",), timeout=timeout)
    except Exception as e:
        if error_name(e) in ("org.freedesktop.DBus.Error.ServiceUnknown",
                             "org.freedesktop.DBus.Error.NameHasNoOwner"):
            return False, "Workrave is not running (start it; sitwatch drives it once it runs)"
        return False, f"Workrave does not answer: {type(e).__name__}: {e}"
    finally:
        conn.close()
    return True, (f"Workrave answers (mode {mode}, micro-break timer at {elapsed} s); the seat "
                  "reports activity to it")
