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
Delivery is synchronous and bounded by ``run_timeout`` (5 s) per helper process.
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from sitwatch.events import NUDGE, Event

APP_NAME = "sitwatch"
NOTIFICATIONS = "org.freedesktop.Notifications"
NOTIFICATIONS_PATH = "/org/freedesktop/Notifications"

NO_BUS_MESSAGE = (
    "no desktop session bus: nudges go to the console/log only; run sitwatch inside your "
    "desktop session or as a systemd --user service"
)
NO_BACKEND_MESSAGE = (
    "no way to show desktop notifications: install notify-send (Debian/Ubuntu: "
    "libnotify-bin; Fedora: libnotify); nudges go to the console/log only"
)

Notify = Callable[..., Any]


class DesktopSink:
    """Shows nudge events as desktop notifications; other events are ignored.

    ``timeout``: seconds a notification stays up. ``env``: the environment to look for the bus
    in and to run helpers with. ``notify``: a plyer-style ``notify(title=, message=, app_name=,
    timeout=)`` callable to use instead of the built-in backends (tests, other front ends).
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
        self._reported: set[str] = set()
        self.sent = 0
        self.skipped = 0
        self.failed = 0

    # -- the Sink protocol ----------------------------------------------------------------------

    def handle(self, event: Event) -> None:
        if event.event != NUDGE:
            return
        title = str(event.get("title") or "sitwatch")
        message = str(event.get("message") or "")
        self.send(title, message)

    def close(self) -> None:
        pass

    # -- delivery --------------------------------------------------------------------------------

    def send(self, title: str, message: str) -> bool:
        """Show one notification; False if it was skipped or failed (already logged)."""
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
                self._problem("no-bus", f"{NO_BUS_MESSAGE} ({where})")
                return False
            if "no-bus" in self._reported:
                self._reported.discard("no-bus")
                self.log.info("desktop session bus found (%s): desktop nudges are back on", where)
        backend, exe = self.backend()
        if backend == "none":
            self._retry_at = now + self.retry_after
            self.skipped += 1
            self._problem("no-backend", NO_BACKEND_MESSAGE)
            return False
        try:
            self._deliver(backend, exe, bus, title, message)
        except DeliveryError as e:
            self.failed += 1
            self._problem(f"{backend}: {e}", f"desktop notification failed ({backend}): {e}")
            return False
        self.sent += 1
        if self._reported:
            self._reported.clear()
            self.log.info("desktop notifications work again (%s)", backend)
        return True

    MAX_REPORTED = 20  # distinct problems remembered; beyond that they go to the debug log

    def _problem(self, key: str, text: str) -> None:
        if key not in self._reported and len(self._reported) < self.MAX_REPORTED:
            self._reported.add(key)
            self.log.warning("%s", text)
        else:
            self.log.debug("%s", text)

    def _deliver(self, backend: str, exe: str, bus: str | None, title: str, body: str) -> None:
        ms = max(1, round(self.timeout * 1000))
        if backend == "custom":
            assert self._notify is not None
            self._wrap(lambda: self._notify(  # type: ignore[misc]
                title=title, message=body, app_name=APP_NAME, timeout=self.timeout))
        elif backend == "plyer":
            from plyer import notification

            secs = max(1, math.ceil(self.timeout))
            self._wrap(lambda: notification.notify(
                title=title, message=body, app_name=APP_NAME, timeout=secs))
        elif backend == "dbus-python":
            # plyer's dbus class directly: its own chooser would take the Flatpak path if /app
            # exists. dbus-python finds the bus itself (same variables as ours).
            from plyer.platforms.linux.notification import NotifyDbus

            secs = max(1, math.ceil(self.timeout))
            self._wrap(lambda: NotifyDbus().notify(
                title=title, message=body, app_name=APP_NAME, timeout=secs))
        elif backend == "notify-send":
            # notify-send runs the body (not the summary) through g_strcompress(), which eats
            # backslashes: double them so the text arrives as written.
            self._run([exe, "-a", APP_NAME, "-t", str(ms), "--", title,
                       body.replace("\\", "\\\\")], bus)
        elif backend == "gdbus":
            self._run([
                exe, "call", "--session", "--timeout", str(max(1, math.ceil(self.run_timeout))),
                "--dest", NOTIFICATIONS, "--object-path", NOTIFICATIONS_PATH,
                "--method", f"{NOTIFICATIONS}.Notify",
                gvariant_string(APP_NAME), "0", gvariant_string(""),
                gvariant_string(title), gvariant_string(body), "@as []", "@a{sv} {}", str(ms),
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
            err = (proc.stderr or proc.stdout).strip().splitlines()
            raise DeliveryError(
                f"{Path(args[0]).name} exited with {proc.returncode}"
                + (f": {err[-1]}" if err else ""))
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
