"""Is the screen locked? (Then the camera takes no pictures.)

Asks systemd-logind through ``loginctl`` for the session's ``LockedHint``, which GNOME, KDE and
most lockers (through ``loginctl lock-session`` or light-locker) keep up to date. Unknown
(no logind, no session, a locker that does not set the hint) counts as not locked. Answers are
cached for ``ttl`` seconds of the injected clock so a fast duty cycle does not spawn a process
per sample.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable

from sitwatch.core.clock import Clock


def logind_locked(session: str | None = None, timeout: float = 1.0) -> bool | None:
    """``LockedHint`` of ``session`` (default: $XDG_SESSION_ID, else the user's display
    session); None when it cannot be told."""
    exe = shutil.which("loginctl")
    if exe is None:
        return None
    sid = session or os.environ.get("XDG_SESSION_ID")
    args = [exe, "show-session", sid, "-p", "LockedHint", "--value"] if sid else \
        [exe, "show-user", str(os.getuid()), "-p", "Display", "--value"]
    try:
        r = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if r.returncode != 0:
        return None
    out = r.stdout.strip()
    if not sid:
        if not out:
            return None
        return logind_locked(out, timeout)
    if out in ("yes", "no"):
        return out == "yes"
    return None


class LockProbe:
    """A cached ``() -> bool``: True only when the screen is known to be locked."""

    def __init__(self, clock: Clock, ttl: float = 10.0,
                 probe: Callable[[], bool | None] = logind_locked) -> None:
        self.clock = clock
        self.ttl = ttl
        self.probe = probe
        self._at: float | None = None
        self._value = False

    def __call__(self) -> bool:
        now = self.clock.monotonic()
        if self._at is None or now - self._at >= self.ttl:
            self._at = now
            self._value = bool(self.probe())
        return self._value
