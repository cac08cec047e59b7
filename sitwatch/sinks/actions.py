"""Buttons on desktop notifications ("Snooze 30 min", "Done", and "Not right" on the nudges about
posture) and the helpers that wait for a click.

How a click gets back to us: the notification is sent by ``notify-send --action=NAME=Label ...``
(libnotify-bin >= 0.7.10; Debian 12 has 0.8.1), which then stays running until the notification is
closed and prints the name of the chosen action on stdout. One such helper process waits per
nudge kind, in a background thread, for a bounded time; the daemon never blocks on it.

Why not ``gdbus call ... Notify`` plus ``gdbus monitor`` for ``ActionInvoked``: servers may send
the ``ActionInvoked``/``NotificationClosed`` signals to the connection that called ``Notify``
only (dunst 1.9 does: checked on Debian 12), and that ``gdbus call`` connection is gone by the
time anybody clicks, so a separate monitor never sees the click. notify-send sends the
notification and listens for its signals on one connection, which works with every server.

Facts about notify-send 0.8.1 that shape :class:`PopenHelper` and the sink (all checked):

- ``SIGINT`` makes it close its notification and exit 0 ("Wait cancelled, closing notification");
  ``SIGTERM``/``SIGKILL`` leave the notification up with buttons nobody listens to any more.
- ``--print-id`` prints the id before waiting, but stdout is a pipe, so the line only arrives
  at exit unless the helper runs under ``stdbuf -oL`` (coreutils).
- When the server lacks the ``actions`` capability it shows the notification without buttons,
  prints "Actions are not supported by this notifications server ..." and exits 1.
- It never gives up waiting on its own (with ``-t`` and even with ``--wait``), e.g. while dunst
  is paused or the server ignores expiry: hence our own bound on every helper.

The callback runs on the helper's thread. To handle clicks on the daemon's thread (the history
store is an SQLite connection bound to its thread), pass ``ActionInbox().put`` as the callback and
``drain()`` the inbox in the daemon loop.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import select
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from sitwatch.core.events import Event, new_way_learned
from sitwatch.core.kinds import NudgeAction, NudgeKind

SNOOZE = NudgeAction.SNOOZE
DONE = NudgeAction.DONE
WRONG = NudgeAction.WRONG
WRONG_LABEL = "Not right"
DEFAULT_ACTIONS: tuple[tuple[str, str], ...] = (
    (SNOOZE, "Snooze 30 min"), (DONE, "Done"), (WRONG, WRONG_LABEL))
#: The nudges that are a guess about posture, on which "Not right" makes sense ("time to move"
#: is a timer: it is never wrong, only untimely, which Snooze is for). "Shift your weight" is a
#: guess too: that no shift was big enough to see.
POSTURE_NUDGES = frozenset({NudgeKind.SLOUCH, NudgeKind.ASYMMETRIC_LOAD, NudgeKind.WALLET,
                            NudgeKind.STATIC_SITTING})

NOT_SUPPORTED = "Actions are not supported"  # notify-send's stderr when the server has no buttons

OnAction = Callable[[str, Event], None]

log = logging.getLogger(__name__)


# -- pure helpers --------------------------------------------------------------------------------

_GV_STRING = re.compile(r"'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\"")


def parse_capabilities(text: str) -> frozenset[str]:
    """The capabilities in ``gdbus call ... GetCapabilities`` output: ``(['actions', 'body'],)``."""
    return frozenset(a or b for a, b in _GV_STRING.findall(text))


def notify_send_options(help_text: str) -> frozenset[str]:
    """Which of the options we use a notify-send's ``--help`` lists."""
    return frozenset(o for o in ("--action", "--print-id", "--replace-id")
                     if re.search(rf"{o}\b", help_text))


def check_actions(actions: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """Validate (name, label) pairs for ``--action=NAME=Label``; raises ValueError."""
    out = []
    for name, label in actions:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", name):
            # no "=", no spaces (notify-send splits and strips), not a number (the id line)
            raise ValueError(f"action name {name!r}: use letters, digits, _ . -")
        if not label.strip() or "\n" in label:
            raise ValueError(f"action {name!r}: the label must be one non-empty line")
        out.append((name, label))
    if len({n for n, _ in out}) != len(out):
        raise ValueError("action names must be distinct")
    return tuple(out)


def action_argv(
    exe: str,
    *,
    title: str,
    body: str,
    ms: int,
    app_name: str,
    actions: Sequence[tuple[str, str]],
    print_id: bool,
    prefix: Sequence[str] = (),
    icon: str = "",
) -> list[str]:
    """The notify-send command line for a notification with buttons.

    An argument list (no shell): quotes and non-ASCII pass untouched. Backslashes in the body are
    doubled because notify-send runs the body (not the summary) through ``g_strcompress()``.
    ``--action`` implies ``--wait``; ``--wait`` itself is not given (it adds nothing here).
    """
    argv = [*prefix, exe, "-a", app_name, *(["-i", icon] if icon else []), "-t", str(ms)]
    if print_id:
        argv.append("-p")
    argv += [f"--action={name}={label}" for name, label in actions]
    return [*argv, "--", title, body.replace("\\", "\\\\")]


def learned_notice(event: Event) -> bool:
    """The notice that a way of sitting upright was learned (a ``calibration`` / ``learned``
    event the daemon gave words, :func:`sitwatch.nudging.guidance.learned_notice`): shown like
    a nudge, with "Not right" as its only button."""
    return new_way_learned(event) and bool(event.get("title"))


def actions_for(event: Event, actions: Sequence[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """The buttons for this nudge: "Not right" only on the nudges that are about posture, and
    alone on the notice of a learned way of sitting (nothing to snooze or do)."""
    if learned_notice(event):
        return tuple((n, lab) for n, lab in actions if n == WRONG)
    posture = event.get("kind") in POSTURE_NUDGES
    return tuple((n, lab) for n, lab in actions if n != WRONG or posture)


def parse_output(out: str, names: Iterable[str]) -> tuple[int | None, str | None]:
    """(notification id or None, chosen action or None) from a helper's stdout."""
    known = set(names)
    ident: int | None = None
    action: str | None = None
    for line in out.splitlines():
        line = line.strip()
        if ident is None and action is None and line.isdigit():
            ident = int(line)
        elif line in known:
            action = line
    return ident, action


# -- the click inbox -----------------------------------------------------------------------------


class ActionInbox:
    """Thread-safe hand-over of clicks to the daemon's thread: ``on_action=inbox.put``, then
    ``for action, event in inbox.drain(): ...`` once per loop turn. Bounded (oldest dropped)."""

    def __init__(self, maxlen: int = 100) -> None:
        self._items: deque[tuple[str, Event]] = deque(maxlen=maxlen)
        self._lock = threading.Lock()

    def put(self, action: str, event: Event) -> None:
        with self._lock:
            self._items.append((action, event))

    def drain(self) -> list[tuple[str, Event]]:
        with self._lock:
            items = list(self._items)
            self._items.clear()
        return items

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


@dataclass(frozen=True)
class Answer:
    """What became of a command sent from afar (MQTT), the other way round from the inbox:
    whether sitwatch did what was asked, and in words what it did or why not (the command
    line's own words where there is a command for it). The channel that handed the command over
    sends it back to whoever asked (:meth:`sitwatch.sinks.mqtt.MqttSink.answer`)."""

    ok: bool
    message: str


# -- helper processes ----------------------------------------------------------------------------


class Helper(Protocol):
    """One running notify-send (a fake in tests)."""

    pid: int

    @property
    def returncode(self) -> int | None: ...

    def first_line(self, timeout: float) -> str | None:
        """The first stdout line; None if stdout closed first; TimeoutExpired if none in time."""
        ...

    def output(self, timeout: float) -> tuple[str, str]:
        """Wait for the exit: (all stdout, stderr); raises subprocess.TimeoutExpired."""
        ...

    def interrupt(self) -> None:
        """SIGINT: notify-send closes its notification and exits."""
        ...

    def kill(self) -> None: ...


Spawn = Callable[[list[str], Mapping[str, str]], Helper]


class PopenHelper:
    """A real helper process. stdout is unbuffered on our side (``bufsize=0``) so that what
    ``first_line`` read by hand and what ``communicate`` reads later add up."""

    def __init__(self, argv: list[str], env: Mapping[str, str]) -> None:
        self.proc = subprocess.Popen(
            argv, env=dict(env), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, bufsize=0,
        )
        self.pid = self.proc.pid
        self._head = b""

    @property
    def returncode(self) -> int | None:
        return self.proc.returncode

    def first_line(self, timeout: float) -> str | None:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._head:
            left = deadline - time.monotonic()
            if left <= 0:
                raise subprocess.TimeoutExpired(self.proc.args, timeout)
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 4096)
                if not chunk:
                    return None
                self._head += chunk
        return self._head.split(b"\n", 1)[0].decode("utf-8", "replace")

    def output(self, timeout: float) -> tuple[str, str]:
        out, err = self.proc.communicate(timeout=timeout)
        return ((self._head + (out or b"")).decode("utf-8", "replace"),
                (err or b"").decode("utf-8", "replace"))

    def interrupt(self) -> None:
        with contextlib.suppress(OSError):
            self.proc.send_signal(signal.SIGINT)

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.proc.kill()


@dataclass
class Waiter:
    """A helper waiting for a click on one notification."""

    key: str
    helper: Helper
    event: Event
    deadline: float
    ident: int | None = None
    reason: str | None = None  # why we stopped it: expired | replaced | dismissed | closed
    thread: threading.Thread | None = None
    done: threading.Event = field(default_factory=threading.Event)


Finished = Callable[[Waiter, str, str], None]


class Waiters:
    """At most one waiting helper per key (nudge kind), each with a bounded lifetime.

    A helper still waiting at its deadline is interrupted (SIGINT: it closes its notification),
    then killed if it does not exit within ``grace`` seconds. ``finished(waiter, stdout, stderr)``
    runs on the helper's thread when it is gone; it must not raise (it is guarded anyway).
    """

    def __init__(
        self,
        finished: Finished,
        *,
        clock: Callable[[], float] = time.monotonic,
        grace: float = 2.0,
        max_waiters: int = 8,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        self.finished = finished
        self.clock = clock
        self.grace = grace
        self.max_waiters = max_waiters
        self.on_error = on_error or (lambda text: log.warning("%s", text))
        self._lock = threading.Lock()
        self._active: dict[str, Waiter] = {}
        self._running: dict[threading.Thread, Waiter] = {}

    def active(self) -> dict[str, Waiter]:
        with self._lock:
            return dict(self._active)

    def start(self, key: str, helper: Helper, event: Event, lifetime: float,
              ident: int | None = None) -> Waiter:
        w = Waiter(key, helper, event, self.clock() + max(0.0, lifetime), ident)
        with self._lock:
            old = self._active.pop(key, None)
            stale: list[Waiter] = [old] if old is not None else []
            while len(self._active) >= self.max_waiters:
                oldest = min(self._active.values(), key=lambda x: x.deadline)
                stale.append(self._active.pop(oldest.key))
            self._active[key] = w
            t = threading.Thread(target=self._run, args=(w,), name=f"sitwatch-action-{key}",
                                 daemon=True)
            w.thread = t
            self._running[t] = w
        for s in stale:
            self._stop(s, "replaced")
        try:
            t.start()
        except RuntimeError:  # cannot start a thread: do not leave the helper behind
            with self._lock:
                self._active.pop(key, None)
                self._running.pop(t, None)
            self._stop(w, "closed")
            try:
                helper.output(self.grace)
            except subprocess.TimeoutExpired:
                helper.kill()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    helper.output(self.grace)
            raise
        return w

    def stop(self, key: str | None = None, reason: str = "dismissed") -> None:
        """Close the notification waiting under ``key`` (all when None); no callback follows
        unless the click came first."""
        with self._lock:
            if key is None:
                gone = list(self._active.values())
                self._active.clear()
            else:
                one = self._active.pop(key, None)
                gone = [one] if one is not None else []
        for w in gone:
            self._stop(w, reason)

    def close(self, timeout: float | None = None) -> bool:
        """Stop every helper and wait for them: ``timeout`` (default ``grace``) seconds after
        SIGINT, then as long again after SIGKILL. True if all are gone."""
        self.stop(None, "closed")
        limit = self.grace if timeout is None else timeout
        if self.join(limit):
            return True
        with self._lock:
            running = list(self._running.values())
        for w in running:
            w.helper.kill()
        return self.join(limit)

    def join(self, timeout: float) -> bool:
        """Wait until no helper thread runs (tests); True if none is left."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                threads = [t for t in self._running if t.is_alive()]
            if not threads:
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            threads[0].join(left)

    # -- internals ---------------------------------------------------------------------------

    def _stop(self, w: Waiter, reason: str) -> None:
        if w.reason is None:
            w.reason = reason
        w.deadline = min(w.deadline, self.clock())  # the thread escalates to kill after grace
        w.helper.interrupt()

    def _run(self, w: Waiter) -> None:
        out = err = ""
        try:
            out, err = self._wait(w)
        except Exception as e:  # never let a helper thread die noisily
            self.on_error(f"desktop action helper failed: {type(e).__name__}: {e}")
        finally:
            with self._lock:
                if self._active.get(w.key) is w:
                    del self._active[w.key]
        try:
            self.finished(w, out, err)
        except Exception as e:
            self.on_error(f"desktop action handling failed: {type(e).__name__}: {e}")
        finally:
            w.done.set()
            with self._lock:
                self._running.pop(threading.current_thread(), None)

    def _wait(self, w: Waiter) -> tuple[str, str]:
        h = w.helper
        while True:
            try:
                return h.output(max(0.0, w.deadline - self.clock()))
            except subprocess.TimeoutExpired:
                if self.clock() >= w.deadline:
                    break
                # stop() moved the deadline while we waited: loop to re-read it
        if w.reason is None:
            w.reason = "expired"
        h.interrupt()
        try:
            return h.output(self.grace)
        except subprocess.TimeoutExpired:
            pass
        h.kill()
        try:
            return h.output(self.grace)
        except subprocess.TimeoutExpired:  # unkillable (uninterruptible sleep): give up on it
            self.on_error(f"desktop action helper {h.pid} did not exit after SIGKILL")
            return "", ""
