"""One process at a time: an exclusive lock (``flock``) on a small owner-only file, held for
the life of the process and let go by the kernel however it ends (a crash, SIGKILL). The file
holds the holder's pid, for the words that name it, and when it first took the lock. The
daemon's lock sits beside its status file (two daemons with their own status files may run side
by side); the companion's is one per user.

A check of the status file alone left a gap: two daemons started together both found no fresh
status and both ran, sharing the history and taking the MQTT client id from each other every
second. A lock file removed with its folder left another (:class:`Kept`)."""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path
from typing import IO

from sitwatch.core.private import FILE_MODE, make_private, private_dir


def hold(path: Path, since: float | None = None) -> tuple[IO[str] | None, str]:
    """Take the lock at ``path``: (its open file, to keep until the end, "") or (None, the
    holder's pid as it wrote it, "?" when it wrote none). ``since``: when this process first
    took it (now, unless it takes it again), written under the pid. Raises OSError when the
    file cannot be made or opened (a read-only folder): the caller decides whether to go on
    without."""
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
    fh.write(f"{os.getpid()}\n{time.time() if since is None else since:.3f}\n")
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
        pid = fh.readline().strip()
        if pid or time.monotonic() >= deadline:
            return pid or "?"
        time.sleep(0.01)


def _since(path: Path) -> float | None:
    """When the holder of the lock at ``path`` first took it, as it wrote; None if unsaid (an
    older sitwatch) or unreadable."""
    try:
        with open(path, encoding="utf-8") as f:
            f.readline()
            return float(f.readline())
    except (OSError, ValueError):
        return None


class Kept:
    """The daemon's lock, kept while the folder it is in may be cleaned away under it (a
    runtime folder removed by hand, a cleaner, a logout's cleanup): the kernel's lock stays on
    the deleted file, where no other start looks, so another `sitwatch run` started before the
    status file was written again found no lock and no status, and ran too.

    :meth:`check`, called before each write of the status file, takes the lock again at its
    path when the file there is not the one held (gone, or made anew). Found held by another
    daemon that started since (one that slipped in meanwhile), it is taken from it: the file
    is replaced by one of its own. That one, finding its lock gone and held by a daemon that
    ran before it, is told to stop (:meth:`check` gives that daemon's pid): the older one,
    which holds the cushion's port, keeps watching."""

    def __init__(self, path: Path, fh: IO[str], since: float) -> None:
        self.path = path
        self.fh: IO[str] | None = fh
        self.since = since  # when this process first took the lock (wall clock)
        self.taken: str = ""  # the pid of an older daemon found holding it at the last look
        self.winner: str = ""  # the pid of the daemon that runs on, once this one is to stop

    def lost(self) -> bool:
        """Is the file at :attr:`path` no longer the one locked (removed, or made anew)?"""
        if self.fh is None:
            return True
        try:
            here = os.stat(self.path)
        except (FileNotFoundError, NotADirectoryError):
            return True
        except OSError:
            return False  # cannot tell (a folder we may not search): keep what we hold
        held = os.fstat(self.fh.fileno())
        return (here.st_dev, here.st_ino) != (held.st_dev, held.st_ino)

    def check(self) -> str:
        """Keep the lock: "" while this process holds it (again), else the pid of a daemon
        that ran before this one and holds it now: this one is to stop. One that does not say
        when it started (an older sitwatch) is taken to be older when found at two looks in a
        row (the first may find one about to let go). A lock that cannot be made again (a
        read-only folder) is let be: the status file just written tells a second start that
        this one runs."""
        if not self.lost():
            self.taken = ""
            return ""
        older = False  # the holder says it ran before this one
        try:
            fh, pid = hold(self.path, self.since)
            if fh is None:
                theirs = _since(self.path)
                older = theirs is not None and theirs < self.since
                if theirs is not None and theirs > self.since:  # a newcomer: ours to take
                    self.path.unlink(missing_ok=True)
                    fh, pid = hold(self.path, self.since)  # held still: a third, look again
        except OSError:
            return ""
        if fh is not None:
            self.close()
            self.fh, self.taken = fh, ""
            return ""
        if older:
            return pid  # it keeps watching
        was, self.taken = self.taken, pid
        return pid if pid == was else ""

    def keeps(self) -> bool:
        """:meth:`check`, as the status writer asks before each write: may this daemon go on
        (and write its status)? Once not, :attr:`winner` names the one that runs on."""
        if not self.winner:
            self.winner = self.check()
        return not self.winner

    def close(self) -> None:
        if self.fh is not None:
            self.fh.close()
            self.fh = None
