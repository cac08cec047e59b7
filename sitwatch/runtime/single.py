"""One process at a time: an exclusive lock (``flock``) on a small owner-only file, held for
the life of the process and let go by the kernel however it ends (a crash, SIGKILL). The file
holds the holder's pid, for the words that name it. The daemon's lock sits beside its status
file (two daemons with their own status files may run side by side); the companion's is one
per user.

A check of the status file alone left a gap: two daemons started together both found no fresh
status and both ran, sharing the history and taking the MQTT client id from each other every
second."""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path
from typing import IO

from sitwatch.core.private import FILE_MODE, make_private, private_dir


def hold(path: Path) -> tuple[IO[str] | None, str]:
    """Take the lock at ``path``: (its open file, to keep until the end, "") or (None, the
    holder's pid as it wrote it, "?" when it wrote none). Raises OSError when the file cannot
    be made or opened (a read-only folder): the caller decides whether to go on without."""
    private_dir(path.parent)
    fh = os.fdopen(os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE), "a+", encoding="utf-8")
    try:
        make_private(path)  # one an older sitwatch made 0644
    except OSError:
        fh.close()
        raise
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        pid = _holder(fh)
        fh.close()
        return None, pid
    fh.seek(0)
    fh.truncate()
    fh.write(f"{os.getpid()}\n")
    fh.flush()
    return fh, ""


#: How long a process that found the lock taken waits for its holder to write its pid: one
#: started at the same moment may hold the lock and not have written it yet.
PID_WAIT = 1.0


def _holder(fh: IO[str]) -> str:
    """The pid the lock's holder wrote, "?" when it writes none within :data:`PID_WAIT`."""
    deadline = time.monotonic() + PID_WAIT
    while True:
        fh.seek(0)
        pid = fh.read().strip()
        if pid or time.monotonic() >= deadline:
            return pid or "?"
        time.sleep(0.01)
