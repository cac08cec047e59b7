"""One process at a time (runtime/single.py): the lock, and the holder's pid in the words."""

from __future__ import annotations

import fcntl
import os
import stat
import threading
from pathlib import Path

from sitwatch.runtime.single import hold


def test_the_first_holds_the_lock_and_writes_its_pid(tmp_path: Path) -> None:
    path = tmp_path / "run" / "x.lock"
    fh, said = hold(path)
    assert fh is not None and said == ""
    assert path.read_text() == f"{os.getpid()}\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    again, pid = hold(path)  # a second open file: flock tells them apart in one process too
    assert again is None and pid == str(os.getpid())
    fh.close()
    after, _ = hold(path)  # let go: the next one gets it
    assert after is not None
    after.close()


def test_a_holder_that_has_not_written_its_pid_yet_is_waited_for(tmp_path: Path) -> None:
    """Two daemons started together: the other took the lock a moment ago and is about to
    write its pid. Read at once, the file is empty and the words said "pid ?"."""
    path = tmp_path / "x.lock"
    other = path.open("a+")
    fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)  # held, nothing written yet
    writes = threading.Timer(0.05, lambda: (other.write("4242\n"), other.flush()))
    writes.start()
    try:
        fh, pid = hold(path)
    finally:
        writes.join()
        other.close()
    assert fh is None and pid == "4242"
