"""Does this machine's clock follow network time? ``sitwatch doctor``'s clock line, and how
``sitwatch companion`` tells which of two clocks that disagree is off.

A Raspberry Pi has no clock that runs while it is off: booted without network time, its clock
can be hours or days behind, and every time sitwatch writes down is too.

``timedatectl show -p NTPSynchronized --value`` asks systemd-timedated, which reads the
kernel's own flag, so it answers for chrony and ntpd as well as systemd-timesyncd. Where it is
missing or cannot answer (no systemd as init, a container), systemd-timesyncd's flag file
``/run/systemd/timesync/synchronized`` (made once it has set the clock right since boot) says
yes. Otherwise there is no telling (:attr:`TimeSync.synced` is None).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sitwatch.core.paths import system_root

#: systemd-timesyncd's flag file, under :func:`~sitwatch.core.paths.system_root`
FLAG = "run/systemd/timesync/synchronized"
TIMEOUT = 5.0  # seconds timedatectl may take (it asks over D-Bus)
ASK = ("timedatectl", "show", "-p", "NTPSynchronized", "--value")
#: What turns network time on and shows that it took (systemd's; Raspberry Pi OS's too).
FIX = ('`sudo timedatectl set-ntp true`; `timedatectl` then says "System clock synchronized: '
       'yes"')


@dataclass(frozen=True)
class TimeSync:
    """``synced``: True, False or None (cannot tell); ``by``: what said so."""

    synced: bool | None
    by: str = ""


def probe(run: Callable[..., Any] = subprocess.run, flag: Path | None = None) -> TimeSync:
    """Whether the system clock is synchronised with network time (never raises)."""
    try:
        done = run(list(ASK), capture_output=True, text=True, timeout=TIMEOUT, check=False)
    except (OSError, subprocess.SubprocessError):  # not there, or no answer in time
        done = None
    answer = done.stdout.strip() if done is not None and done.returncode == 0 else ""
    if answer in ("yes", "no"):
        return TimeSync(answer == "yes", "timedatectl")
    if (flag or system_root() / FLAG).exists():
        return TimeSync(True, "systemd-timesyncd")
    return TimeSync(None)
