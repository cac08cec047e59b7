"""Which ports sitwatch's own simulator serves (``sitwatch simulate``).

A running simulator leaves a small file in the runtime dir naming its pseudo-terminal and the
link to it; the daemon, a calibration and the commands that find files for them ask
:func:`is_simulated` about the configured port, and keep the simulator's calibration and
history apart from the real ones (``runtime.files``): trying sitwatch out on the simulator
must not leave simulated sitting in your history, nor a simulated profile where your cushion's
belongs. A simulator that died without tidying up is ignored (its process is gone).
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

from sitwatch.core import paths

SUBDIR = "simulators"
#: The source the demo's virtual cushion records its runs under (``sitwatch demo``, whose
#: history holds only simulated days).
DEMO_SOURCE = "virtual cushion"


def _dir() -> Path:
    return paths.runtime_dir() / SUBDIR


def register(pty: str, link: str | None = None) -> Path:
    """Note that this process serves ``pty`` (and ``link`` to it); returns the note's path, for
    :func:`unregister`."""
    from sitwatch.core.private import private_dir, write_private

    d = private_dir(_dir())  # and its parents owner-only, as every folder sitwatch makes
    note = d / f"{os.getpid()}.json"
    write_private(note, json.dumps({"pid": os.getpid(), "pty": pty, "link": link}))
    return note


def unregister(note: Path) -> None:
    with contextlib.suppress(OSError):
        note.unlink()


def _alive(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_simulated(port: str) -> bool:
    """Whether ``port`` (a device path or a link to one) is served by a running simulator."""
    if not port or "://" in port:
        return False
    d = _dir()
    if not d.is_dir():
        return False
    real = os.path.realpath(os.path.expanduser(port))
    for note in d.glob("*.json"):
        try:
            data = json.loads(note.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(data, dict) or not _alive(data.get("pid")):
            continue
        if os.path.realpath(str(data.get("pty", ""))) == real:
            return True
    return False
