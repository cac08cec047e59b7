"""Desktop sink: nudges as desktop notifications.

On Linux we do not let plyer pick its backend, because each of its choices has a trap: the
Flatpak portal path (taken whenever ``/app`` exists) builds a GVariant by hand and breaks on an
apostrophe; its ``notify-send`` path ignores the timeout (notifications never expire) and stays
silent when there is no session bus; and with neither dbus-python nor notify-send it does nothing
at all. Instead, on Linux:

1. we look for the session bus ourselves (``$DBUS_SESSION_BUS_ADDRESS``, else
   ``$XDG_RUNTIME_DIR/bus`` or ``/run/user/$UID/bus``); without one we say so once and look again
   only every ``retry_after`` seconds;
2. we deliver with ``notify-send -a sitwatch -t MS -- TITLE BODY`` (Debian: libnotify-bin), run
   with an argument list so quotes and non-ASCII text pass untouched (backslashes in the body
   are doubled: notify-send unescapes the body, not the title), under a UTF-8 locale; else with
   ``gdbus call ... Notify`` (libglib2.0-bin) with properly quoted GVariant strings; else through
   plyer's dbus-python class (when dbus-python is installed), never through the portal path.

Elsewhere (macOS, Windows) plyer's ``notification.notify`` is used, imported lazily.

Expected trouble (no bus, no notification server, a backend that fails) is logged once per
distinct problem and never raised; when notifications work again that is logged once too.
Delivery is bounded by ``run_timeout`` (5 s) per helper process. It is synchronous unless the
sink is built with ``background=True`` (as the daemon does): then :meth:`DesktopSink.handle`
queues the nudge for a background thread (:class:`~sitwatch.sinks.worker.BackgroundWorker`;
when ``max_pending`` wait, the oldest is dropped, counted and logged once) and returns at once,
so a slow notification server never holds up the daemon's loop.

Buttons ("Snooze 30 min", "Done", and "Not right" on the nudges about posture; see
:mod:`sitwatch.sinks.actions`): given an ``on_action``
callback, a nudge goes out as ``notify-send --action=snooze=... --action=done=... -p`` (under
``stdbuf -oL`` when available, so the notification id arrives at once and delivery is confirmed
as before) when the server advertises the ``actions`` capability (``GetCapabilities`` through
gdbus, cached for ``caps_ttl`` seconds; unknown counts as yes, notify-send checks again) and the
notify-send has ``--action``. The process then waits for the click in a background thread, for
at most ``action_wait`` seconds (default: the notification timeout + 10 s), after which it is
interrupted (it closes its notification) and, if need be, killed. One waits per nudge kind: a
newer nudge of a kind closes the older notification. ``on_action(name, event)`` runs on that
thread. Any other backend, an old notify-send or a server without buttons gives the plain
notification, silently.
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sitwatch.core.events import NUDGE, Event
from sitwatch.data import icon
from sitwatch.sinks.actions import (
    DEFAULT_ACTIONS,
    NOT_SUPPORTED,
    Helper,
    OnAction,
    PopenHelper,
    Spawn,
    Waiter,
    Waiters,
    action_argv,
    actions_for,
    check_actions,
    learned_notice,
    notify_send_options,
    parse_capabilities,
    parse_output,
)
from sitwatch.sinks.base import Problems, device_notice, seek_care
from sitwatch.sinks.worker import BackgroundWorker

APP_NAME = "sitwatch"
ICON = str(icon())  # our own PNG: dunst and others warned "No icon found" without it
NOTIFICATIONS = "org.freedesktop.Notifications"
NOTIFICATIONS_PATH = "/org/freedesktop/Notifications"

# What is missing and the fix; what happens to the nudges meanwhile is each caller's to say
# (the daemon logs them, a companion loses them, doctor adds its own words).
NO_BUS_MESSAGE = (
    "no desktop session bus: run sitwatch inside your desktop session or as a systemd --user "
    "service"
)
NO_SERVER_MESSAGE = (
    "no notification server is running (nothing owns org.freedesktop.Notifications on the "
    "session bus): start your desktop's notification daemon (e.g. dunst or mako); nudges go "
    "to the console/log meanwhile"
)
NO_BACKEND_MESSAGE = (
    "no way to show desktop notifications: install notify-send (Debian/Ubuntu: "
    "libnotify-bin; Fedora: libnotify)"
)
CONSOLE_ONLY = "nudges go to the console/log only"

Notify = Callable[..., Any]

ACTION_MARGIN = 10.0  # a helper waits this much longer than the notification is meant to show
SAID_SECONDS = 8.0  # how long the answer to a click stays up (it needs no answer itself)
SAID_TITLE = "sitwatch: noted"


class DesktopSink:
    """Shows nudge events as desktop notifications, and the seek-care advice of a symptom
    diary entry with a red flag (:func:`~sitwatch.sinks.base.seek_care`) and the notice that a
    way of sitting upright was learned (:func:`~sitwatch.sinks.actions.learned_notice`, with a
    "Not right" button) or that sensors of the cushion stopped working
    (:func:`~sitwatch.sinks.base.device_notice`); other events are ignored.

    ``timeout``: seconds a notification stays up. ``env``: the environment to look for the bus
    in and to run helpers with. ``notify``: a plyer-style ``notify(title=, message=, app_name=,
    timeout=)`` callable to use instead of the built-in backends (tests, other front ends).

    Buttons: ``on_action(name, nudge_event)`` is called (on a helper thread) when the sitter
    clicks one of ``action_labels`` ((name, label) pairs; default ``snooze`` "Snooze 30 min" and
    ``done`` "Done"); ``actions=False`` or no ``on_action`` means plain notifications.
    ``action_wait``: seconds a click is waited for (default ``timeout`` + 10). ``spawn``: starts
    a helper (tests); ``caps_ttl``: seconds the server's capabilities are cached.

    ``background``: deliver on a worker thread (at most ``max_pending`` nudges wait; ``close()``
    gives them up to ``close_timeout`` seconds); False: :meth:`handle` delivers before it returns.
    """

    name = "desktop"

    def __init__(
        self,
        timeout: float,
        log: logging.Logger,
        *,
        env: Mapping[str, str] = os.environ,
        notify: Notify | None = None,
        retry_after: float = 300.0,
        run_timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        platform: str = sys.platform,
        actions: bool = True,
        on_action: OnAction | None = None,
        action_labels: Sequence[tuple[str, str]] = DEFAULT_ACTIONS,
        action_wait: float | None = None,
        caps_ttl: float = 600.0,
        spawn: Spawn | None = None,
        background: bool = False,
        max_pending: int = 10,
        close_timeout: float = 5.0,
    ) -> None:
        self.timeout = timeout
        self.log = log
        self.env = env
        self._notify = notify
        self.retry_after = retry_after
        self.run_timeout = run_timeout
        self.clock = clock
        self.platform = platform
        self.linux = platform.startswith("linux")
        self._backend: tuple[str, str] | None = None  # (name, executable or "")
        self._retry_at = -math.inf
        self.problems = Problems(self.log)
        self.sent = 0
        self.skipped = 0
        self.failed = 0
        # buttons
        self.actions = actions
        self.on_action = on_action
        self.action_labels = check_actions(action_labels)
        self.action_wait = timeout + ACTION_MARGIN if action_wait is None else action_wait
        self.caps_ttl = caps_ttl
        self._spawn: Spawn = spawn or PopenHelper
        self._caps: tuple[str | None, frozenset[str] | None, float] | None = None
        self._options: dict[str, frozenset[str]] = {}
        self._waiters = Waiters(self._helper_done, clock=clock, on_error=self._action_problem)
        self._notes = Problems(self.log)
        self._closed = False
        self.with_buttons = 0  # nudges shown with buttons
        self.clicks = 0  # actions handed to on_action
        # (nudge, notification id) of the latest clicks, for the answer to take its place
        self._clicked: deque[tuple[Event, int | None]] = deque(maxlen=8)
        # delivery off the caller's thread
        self.close_timeout = close_timeout
        self.dropped = 0  # nudges not shown because too many waited (or after close)
        self.worker = (BackgroundWorker("desktop", log, max_pending=max_pending,
                                        on_drop=self._dropped) if background else None)

    # -- the Sink protocol ----------------------------------------------------------------------

    def handle(self, event: Event) -> None:
        notice = learned_notice(event)
        if (event.event != NUDGE and not seek_care(event) and not notice
                and not device_notice(event)):
            return
        title = str(event.get("title") or "sitwatch")
        message = str(event.get("message") or "")
        # seek-care advice and a device notice get no buttons; the notice of a learned way gets
        # "Not right"
        nudge = event if event.event == NUDGE or notice else None
        self._show(lambda: self.send(title, message, event=nudge))

    def _show(self, send: Callable[[], object]) -> None:
        """Run ``send`` off the caller's thread when there is a worker (inline without one);
        one that comes after close is counted as dropped."""
        if self.worker is None:
            send()
        elif not self.worker.submit(send):
            self.dropped += 1  # closed: shutting down

    def flush(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s until queued nudges have been shown (tests, shutdown)."""
        return self.worker.drain(timeout) if self.worker is not None else True

    def _dropped(self) -> None:
        self.dropped += 1
        assert self.worker is not None
        # a note, not a delivery problem: the next notification shown is no news
        self._note("busy", logging.WARNING, f"desktop: {self.worker.max_pending} nudges already "
                   "wait to be shown; the oldest of them is dropped")

    def close(self) -> None:
        """Show what is still queued (plainly, for up to ``close_timeout`` s; the rest is
        dropped), then close the notifications still waiting for a click and stop their helpers
        (bounded: a few seconds at worst); no callback runs after this."""
        self._closed = True
        if self.worker is not None:
            self.worker.close(self.close_timeout)
        try:
            if not self._waiters.close():
                self.log.warning("desktop: some notification helpers did not exit")
        except Exception as e:  # never raise into the daemon's shutdown
            self.log.warning("desktop: closing notification helpers failed: %s", e)

    # -- buttons ---------------------------------------------------------------------------------

    def waiting(self) -> dict[str, int | None]:
        """Nudge kind -> notification id (None if unknown) of each notification with buttons
        whose helper still waits for a click."""
        return {k: w.ident for k, w in self._waiters.active().items()}

    def helper_pids(self) -> list[int]:
        return [w.helper.pid for w in self._waiters.active().values()]

    def dismiss(self, kind: str | None = None) -> None:
        """Close the waiting notification of ``kind`` (all when None), e.g. after a snooze."""
        self._waiters.stop(kind)

    def server_capabilities(self, bus: str | None) -> frozenset[str] | None:
        """The notification server's capabilities (cached), None when they cannot be asked."""
        now = self.clock()
        cached = self._caps
        if cached is not None and cached[0] == bus and now < cached[2]:
            return cached[1]
        caps = None
        if bus is not None:
            out = self._gdbus_call(bus, NOTIFICATIONS, NOTIFICATIONS_PATH,
                                   f"{NOTIFICATIONS}.GetCapabilities")
            caps = parse_capabilities(out) if out is not None else None
        self._caps = (bus, caps, now + self.caps_ttl)
        return caps

    def notify_send_options(self, exe: str) -> frozenset[str]:
        """Which of ``--action``/``--print-id`` this notify-send has (from --help; cached)."""
        opts = self._options.get(exe)
        if opts is None:
            try:
                proc = subprocess.run(
                    [exe, "--help"], env=self.child_env(None), stdin=subprocess.DEVNULL,
                    capture_output=True, text=True, errors="replace", timeout=self.run_timeout,
                    check=False)
                opts = notify_send_options(proc.stdout + proc.stderr)
            except (OSError, subprocess.TimeoutExpired):
                opts = frozenset()
            self._options[exe] = opts
        return opts

    def _buttons_wanted(self, bus: str | None, exe: str) -> bool:
        if not (self.actions and self.on_action is not None and self.action_labels) \
                or self._closed:
            return False
        if "--action" not in self.notify_send_options(exe):
            return False
        caps = self.server_capabilities(bus)
        return caps is None or "actions" in caps

    def _try_buttons(self, exe: str, bus: str | None, title: str, body: str, ms: int,
                     event: Event) -> bool:
        """True: shown (with buttons if the server has them). False: show it plainly."""
        try:
            return self._buttons_wanted(bus, exe) and \
                self._show_with_buttons(exe, bus, title, body, ms, event)
        except DeliveryError:
            raise
        except Exception as e:  # a bug here must not cost the nudge
            self._action_problem(f"desktop buttons off for this nudge: {type(e).__name__}: {e}")
            return False

    def _show_with_buttons(self, exe: str, bus: str | None, title: str, body: str, ms: int,
                           event: Event) -> bool:
        """Show ``event`` with buttons; False: show it plainly instead. Raises DeliveryError."""
        opts = self.notify_send_options(exe)
        stdbuf = self._which("stdbuf") if "--print-id" in opts else None
        argv = action_argv(exe, title=title, body=body, ms=ms, app_name=APP_NAME, icon=ICON,
                           actions=actions_for(event, self.action_labels),
                           print_id="--print-id" in opts,
                           prefix=(stdbuf, "-oL") if stdbuf else ())
        key = str(event.get("kind") or event.event)
        self._waiters.stop(key, "replaced")  # its notification closes before the new one shows
        try:
            helper = self._spawn(argv, self.child_env(bus))
        except OSError as e:
            self._backend = None
            raise DeliveryError(f"cannot run {argv[0]}: {e.strerror}") from None
        ident = None
        if stdbuf:  # confirm delivery as the plain path does: wait for the id, bounded
            try:
                line = helper.first_line(self.run_timeout)
            except subprocess.TimeoutExpired:
                self._reap(helper)
                raise DeliveryError(
                    f"notify-send did not finish within {self.run_timeout:g} s") from None
            if line is None or line.strip() == "0":
                # it exited without an id, or printed id 0 (libnotify's when no server took
                # the notification: none on the bus); it ends by itself, and said why
                out, err = self._ended(helper)
                rc = helper.returncode
                if rc:  # notify-send fails only when nothing was shown
                    raise DeliveryError(failure("notify-send", rc, err or out))
                if NOT_SUPPORTED in err:
                    self._no_buttons(bus)
                return True
            ident = int(line) if line.strip().isdigit() else None
        try:
            self._waiters.start(key, helper, event, self.action_wait, ident)
        except RuntimeError as e:  # no thread: start() closed the helper; show it plainly
            self._action_problem(f"cannot wait for a click: {e}")
            return False
        if self._closed:  # close() ran meanwhile (on another thread): no helper may outlive it
            self._waiters.stop(key, "closed")
        self.with_buttons += 1
        return True

    def _ended(self, helper: Helper) -> tuple[str, str]:
        """What a helper that ends by itself said (bounded; stopped if it lingers)."""
        try:
            return helper.output(min(self.run_timeout, 2.0))
        except subprocess.TimeoutExpired:
            return self._reap(helper)

    def _reap(self, helper: Helper) -> tuple[str, str]:
        """Stop a helper we gave up on and collect what it said (bounded)."""
        helper.interrupt()
        for step in (helper.kill, None):
            try:
                return helper.output(min(self.run_timeout, 2.0))
            except subprocess.TimeoutExpired:
                if step is not None:
                    step()
        return "", ""

    def _helper_done(self, w: Waiter, out: str, err: str) -> None:
        """A helper is gone (runs on its thread): hand the click on, learn, report."""
        ident, action = parse_output(out, (name for name, _ in self.action_labels))
        w.ident = w.ident if w.ident is not None else ident
        rc = w.helper.returncode
        if NOT_SUPPORTED in err:
            self._no_buttons(self.session_bus()[0])
        elif action is None and w.reason is None and rc:
            lines = err.strip().splitlines()
            self._action_problem(
                f"desktop notification with buttons failed: notify-send exited with {rc}"
                + (f": {lines[-1]}" if lines else ""))
        if rc is not None and rc < 0 and w.ident is not None:
            # killed, not interrupted: its notification may still be up, with dead buttons
            bus, _ = self.session_bus()
            if bus is not None:
                self._gdbus_call(bus, NOTIFICATIONS, NOTIFICATIONS_PATH,
                                 f"{NOTIFICATIONS}.CloseNotification", str(w.ident))
        if action is None:
            return
        if self._closed or w.reason == "closed" or self.on_action is None:
            self.log.debug("desktop: %r clicked while closing: ignored", action)
            return
        self.clicks += 1
        self._clicked.append((w.event, w.ident))
        try:
            self.on_action(action, w.event)
        except Exception as e:
            self._action_problem(f"desktop action {action!r} failed: {type(e).__name__}: {e}")

    def answer_click(self, nudge: Event, text: str) -> None:
        """Say what became of a click on ``nudge``'s notification (the daemon's answer to a
        "Not right", the words `sitwatch feedback wrong` prints): a short notice without
        buttons that takes the clicked notification's place (its id as ``replaces_id``, where
        the backend can pass it), so a click is never met with silence. It is marked
        transient: a passing notice, for the server not to keep in its history."""
        ident = next((i for ev, i in reversed(self._clicked) if ev is nudge), None)
        self._show(lambda: self.send(SAID_TITLE, text, replaces=ident, seconds=SAID_SECONDS,
                                     transient=True))

    def _no_buttons(self, bus: str | None) -> None:
        """notify-send found the server without the actions capability: stop asking for a
        while (the nudge was shown plainly)."""
        caps = self._caps[1] if self._caps and self._caps[1] is not None else frozenset()
        self._caps = (bus, caps - {"actions"}, self.clock() + self.caps_ttl)
        self._note("no-actions", logging.INFO,
                   "the notification server shows no buttons: nudges come without "
                   "Snooze/Done")

    def _action_problem(self, text: str) -> None:
        self._note(text, logging.WARNING, text)

    def _note(self, key: str, level: int, text: str) -> None:
        """Log ``text`` once per key, then at debug level (button troubles never clear)."""
        self._notes.report(key, text, level)

    # -- delivery --------------------------------------------------------------------------------

    def send(self, title: str, message: str, *, event: Event | None = None,
             replaces: int | None = None, seconds: float | None = None,
             transient: bool = False) -> bool:
        """Show one notification; False if it was skipped or failed (already logged). With the
        nudge ``event`` (and ``on_action``), the notification gets buttons where possible.
        ``replaces``: the id of a notification this one takes the place of; ``transient``: the
        ``transient`` hint (a passing notice the server need not keep); both on the freedesktop
        backends (notify-send, gdbus, dbus-python), not through plyer (macOS, Windows) or a
        ``notify`` of the caller's. ``seconds``: how long it stays up (default ``timeout``)."""
        now = self.clock()
        if now < self._retry_at:
            self.skipped += 1
            return False
        bus = None
        if self.linux:
            bus, where = self.session_bus()
            if bus is None:
                self._retry_at = now + self.retry_after
                self.skipped += 1
                self.problems.report("no-bus", f"{NO_BUS_MESSAGE} ({where}); {CONSOLE_ONLY}")
                return False
            self.problems.solved(
                f"desktop session bus found ({where}): desktop nudges are back on", "no-bus"
            )
        backend, exe = self.backend()
        if backend == "none":
            self._retry_at = now + self.retry_after
            self.skipped += 1
            self.problems.report("no-backend", f"{NO_BACKEND_MESSAGE}; {CONSOLE_ONLY}")
            return False
        try:
            self._deliver(backend, exe, bus, title, message, event, replaces=replaces,
                          seconds=seconds, transient=transient)
        except DeliveryError as e:
            self.failed += 1
            self._caps = None  # the server may have changed: ask again
            self.problems.report(f"{backend}: {e}", f"desktop notification failed ({backend}): {e}")
            return False
        self.sent += 1
        self.problems.solved(f"desktop notifications work again ({backend})")
        return True

    def _deliver(self, backend: str, exe: str, bus: str | None, title: str, body: str,
                 event: Event | None = None, *, replaces: int | None = None,
                 seconds: float | None = None, transient: bool = False) -> None:
        ms = max(1, round((self.timeout if seconds is None else seconds) * 1000))
        secs = max(1, math.ceil(ms / 1000))  # plyer's timeouts are whole seconds
        if backend == "custom":
            assert self._notify is not None
            self._wrap(lambda: self._notify(  # type: ignore[misc]
                title=title, message=body, app_name=APP_NAME, timeout=self.timeout))
        elif backend == "plyer":
            from plyer import notification

            self._wrap(lambda: notification.notify(
                title=title, message=body, app_name=APP_NAME, app_icon=ICON, timeout=secs))
        elif backend == "dbus-python":
            # plyer's dbus class directly: its own chooser would take the Flatpak path if /app
            # exists. dbus-python finds the bus itself (same variables as ours).
            # Its _notify, where plyer's classes implement notify: the public notify() passes
            # no replaces_id on.
            from plyer.platforms.linux.notification import NotifyDbus

            self._wrap(lambda: NotifyDbus()._notify(
                title=title, message=body, app_name=APP_NAME, app_icon=ICON, timeout=secs,
                replaces_id=replaces or 0, hints={"transient": True} if transient else {}))
        elif backend == "notify-send":
            if event is not None and self._try_buttons(exe, bus, title, body, ms, event):
                return
            # notify-send runs the body (not the summary) through g_strcompress(), which eats
            # backslashes: double them so the text arrives as written.
            again = (["-r", str(replaces)] if replaces is not None
                     and "--replace-id" in self.notify_send_options(exe) else [])
            hints = ["-h", "boolean:transient:true"] if transient else []
            self._run([exe, "-a", APP_NAME, "-i", ICON, "-t", str(ms), *again, *hints, "--",
                       title, body.replace("\\", "\\\\")], bus)
        elif backend == "gdbus":
            self._run([
                exe, "call", "--session", "--timeout", str(max(1, math.ceil(self.run_timeout))),
                "--dest", NOTIFICATIONS, "--object-path", NOTIFICATIONS_PATH,
                "--method", f"{NOTIFICATIONS}.Notify",
                gvariant_string(APP_NAME), str(replaces or 0), gvariant_string(ICON),
                gvariant_string(title), gvariant_string(body), "@as []",
                "@a{sv} {'transient': <true>}" if transient else "@a{sv} {}", str(ms),
            ], bus)
        else:  # pragma: no cover - backend() returns only the names above
            raise DeliveryError(f"unknown backend {backend}")

    @staticmethod
    def _wrap(call: Callable[[], Any]) -> None:
        try:
            call()
        except Exception as e:
            raise DeliveryError(f"{type(e).__name__}: {e}") from e

    def _run(self, args: list[str], bus: str | None) -> subprocess.CompletedProcess[str]:
        try:
            proc = subprocess.run(
                args, env=self.child_env(bus), stdin=subprocess.DEVNULL, capture_output=True,
                text=True, errors="replace", timeout=self.run_timeout, check=False,
            )
        except subprocess.TimeoutExpired:
            raise DeliveryError(
                f"{Path(args[0]).name} did not finish within {self.run_timeout:g} s") from None
        except OSError as e:
            self._backend = None  # the program went away: choose again next time
            raise DeliveryError(f"cannot run {args[0]}: {e.strerror}") from None
        if proc.returncode != 0:
            raise DeliveryError(failure(Path(args[0]).name, proc.returncode,
                                        proc.stderr or proc.stdout))
        return proc

    # -- environment -----------------------------------------------------------------------------

    def session_bus(self) -> tuple[str | None, str]:
        """(bus address or None, where it came from or why there is none)."""
        addr = self.env.get("DBUS_SESSION_BUS_ADDRESS", "").strip()
        if addr:
            paths = [
                part.removeprefix("unix:path=").split(",")[0]
                for part in addr.split(";")
                if part.startswith("unix:path=")
            ]
            if paths and len(paths) == len(addr.split(";")) and \
                    not any(os.path.exists(p) for p in paths):
                return None, f"DBUS_SESSION_BUS_ADDRESS names {paths[0]}, which does not exist"
            return addr, "DBUS_SESSION_BUS_ADDRESS"
        runtime = self.env.get("XDG_RUNTIME_DIR") or f"/run/user/{os.getuid()}"
        sock = Path(runtime) / "bus"
        if sock.exists():
            return f"unix:path={sock}", str(sock)
        return None, f"DBUS_SESSION_BUS_ADDRESS is not set and {sock} does not exist"

    def child_env(self, bus: str | None) -> dict[str, str]:
        env = dict(self.env)
        if bus:
            env["DBUS_SESSION_BUS_ADDRESS"] = bus
        # GLib tools convert argv from the locale's charset: make sure that is UTF-8.
        ctype = env.get("LC_ALL") or env.get("LC_CTYPE") or env.get("LANG") or ""
        if "utf-8" not in ctype.lower() and "utf8" not in ctype.lower():
            if env.get("LC_ALL"):
                env["LC_ALL"] = "C.UTF-8"
            else:
                env["LC_CTYPE"] = "C.UTF-8"
        return env

    def _which(self, program: str) -> str | None:
        return shutil.which(program, path=self.env.get("PATH") or os.defpath)

    def backend(self) -> tuple[str, str]:
        """(name, executable or ""); names: custom plyer notify-send gdbus dbus-python none."""
        if self._backend is not None:
            return self._backend
        chosen = self._choose_backend()
        if chosen[0] != "none":  # keep looking: something may get installed
            self._backend = chosen
        return chosen

    def _choose_backend(self) -> tuple[str, str]:
        if self._notify is not None:
            return "custom", ""
        if not self.linux:
            return "plyer", ""
        for program in ("notify-send", "gdbus"):
            exe = self._which(program)
            if exe:
                return program, exe
        try:
            import dbus  # noqa: F401
        except ImportError:
            return "none", ""
        return "dbus-python", ""

    # -- doctor ----------------------------------------------------------------------------------

    def check(self) -> tuple[bool, str]:
        """Can nudges reach the desktop? (ok, a one-line explanation) for ``sitwatch doctor``."""
        self._backend = None
        self._caps = None
        self._options.clear()
        backend, exe = self.backend()
        used = f"backend: {backend}" + (f" ({exe})" if exe else "")
        if not self.linux:
            return True, f"{used} on {self.platform}"
        bus, where = self.session_bus()
        if bus is None:
            return False, f"{NO_BUS_MESSAGE} ({where})"
        parts = [f"session bus: {where}"]
        ok = True
        owned = self._gdbus_call(
            bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
            "org.freedesktop.DBus.NameHasOwner", gvariant_string(NOTIFICATIONS))
        if owned is None:
            parts.append("notification server: not checked (gdbus not found or bus unreachable)")
        elif "true" in owned:
            info = self._gdbus_call(bus, NOTIFICATIONS, NOTIFICATIONS_PATH,
                                    f"{NOTIFICATIONS}.GetServerInformation")
            server = _server_name(info) if info else ""
            parts.append(f"notification server: {server or 'running'}")
            buttons = self._buttons_summary(bus, backend, exe)
            if buttons:
                parts.append(buttons)
        else:
            names = self._gdbus_call(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                     "org.freedesktop.DBus.ListActivatableNames")
            if names and f"'{NOTIFICATIONS}'" in names:
                parts.append("notification server: not running, D-Bus will start it on demand")
            else:
                ok = False
                parts.append(
                    f"notification server: none ({NOTIFICATIONS} has no owner; start your "
                    "desktop's notification daemon, e.g. dunst or mako)")
        if backend == "none":
            ok = False
            parts.append(NO_BACKEND_MESSAGE)
        else:
            parts.append(used)
        return ok, "; ".join(parts)

    def _buttons_summary(self, bus: str, backend: str, exe: str) -> str:
        """'buttons: ...' for doctor ('' when there is nothing to say)."""
        if backend != "notify-send":
            return ""
        if "--action" not in self.notify_send_options(exe):
            return "buttons: no (this notify-send has no --action: libnotify 0.7.10 or newer)"
        caps = self.server_capabilities(bus)
        if caps is None:
            return ""
        return "buttons: yes" if "actions" in caps else "buttons: no (the server shows none)"

    def _gdbus_call(self, bus: str, dest: str, path: str, method: str, *args: str) -> str | None:
        exe = self._which("gdbus")
        if not exe:
            return None
        try:
            proc = subprocess.run(
                [exe, "call", "--session", "--timeout", str(max(1, math.ceil(self.run_timeout))),
                 "--dest", dest, "--object-path", path, "--method", method, *args],
                env=self.child_env(bus), stdin=subprocess.DEVNULL, capture_output=True,
                text=True, errors="replace", timeout=self.run_timeout + 1, check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return proc.stdout.strip() if proc.returncode == 0 else None


class DeliveryError(Exception):
    """A backend could not show a notification (the message says why, for the log)."""


def failure(program: str, rc: int, said: str) -> str:
    """Why a notification program failed: no server, in words with the fix; else its exit
    status and last line."""
    if "org.freedesktop.DBus.Error.ServiceUnknown" in said:
        return NO_SERVER_MESSAGE
    lines = said.strip().splitlines()
    return f"{program} exited with {rc}" + (f": {lines[-1]}" if lines else "")


def gvariant_string(s: str) -> str:
    """``s`` as a GVariant text-format string literal (for ``gdbus call`` arguments)."""
    out = []
    for ch in s:
        if ch in "\\'":
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "'" + "".join(out) + "'"


def _server_name(info: str) -> str:
    # gdbus prints ('dunst', 'knopwob', '1.9.0 (2022-06-27)', '1.2')
    fields = [f.strip().strip("'") for f in info.strip("()").split("',")]
    if len(fields) >= 3 and fields[0]:
        return f"{fields[0]} {fields[2]}".strip()
    return fields[0] if fields else ""
