"""sd_notify(3) in pure Python: tell systemd we are ready, alive, or stopping.

Without ``$NOTIFY_SOCKET`` (not started by systemd with ``Type=notify``) every call is a no-op
that returns False. Send errors are swallowed (False): readiness reporting never crashes us.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping


def notify(msg: str, env: Mapping[str, str] = os.environ) -> bool:
    """Send ``msg`` (e.g. ``"READY=1"``) to ``$NOTIFY_SOCKET``; True if it was sent."""
    addr = env.get("NOTIFY_SOCKET", "")
    if not addr.startswith(("/", "@")):
        return False  # unset, or a kind we do not speak (vsock:)
    if addr[0] == "@":
        addr = "\0" + addr[1:]  # Linux abstract namespace
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as s:
            s.connect(addr)
            s.sendall(msg.encode("utf-8"))
    except OSError:
        return False
    return True


def ready(env: Mapping[str, str] = os.environ) -> bool:
    return notify("READY=1", env)


def status(text: str, env: Mapping[str, str] = os.environ) -> bool:
    return notify("STATUS=" + text.replace("\n", " "), env)


def stopping(env: Mapping[str, str] = os.environ) -> bool:
    return notify("STOPPING=1", env)


def watchdog(env: Mapping[str, str] = os.environ) -> bool:
    return notify("WATCHDOG=1", env)


def watchdog_interval(env: Mapping[str, str] = os.environ) -> float | None:
    """Seconds between ``WATCHDOG=1`` pings (half of ``WatchdogSec=``), or None if not asked."""
    pid = env.get("WATCHDOG_PID")
    if pid and pid != str(os.getpid()):
        return None  # meant for another process (we were started by a wrapper)
    try:
        usec = int(env.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    return usec / 2e6 if usec > 0 else None
