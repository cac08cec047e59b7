"""One process at a time (runtime/single.py): the lock, and the holder's pid in the words."""

from __future__ import annotations

import fcntl
import os
import shutil
import stat
import threading
from pathlib import Path
from typing import IO

from sitwatch.runtime.single import Kept, hold


def test_the_first_holds_the_lock_and_writes_its_pid(tmp_path: Path) -> None:
    path = tmp_path / "run" / "x.lock"
    fh, said = hold(path)
    assert fh is not None and said == ""
    assert path.read_text().splitlines()[0] == str(os.getpid())
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


def _kept(path: Path, since: float = 1000.0) -> Kept:
    fh, _ = hold(path, since)
    assert fh is not None
    return Kept(path, fh, since)


def _other(path: Path, pid: int, since: float | None) -> IO[str]:
    """Another daemon holding a new lock file at ``path`` (``since``: when it says it first
    took it; None: it says nothing, as an older sitwatch)."""
    other = path.open("a+")
    fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
    other.write(f"{pid}\n" + (f"{since}\n" if since is not None else ""))
    other.flush()
    return other


def test_the_lock_file_says_who_holds_it_and_since_when(tmp_path: Path) -> None:
    path = tmp_path / "x.lock"
    fh, _ = hold(path, 1234.5)
    assert fh is not None
    assert path.read_text() == f"{os.getpid()}\n1234.500\n"
    again, pid = hold(path)
    assert again is None and pid == str(os.getpid())  # the pid alone, for the words
    fh.close()


def test_a_lock_removed_with_its_folder_is_taken_again(tmp_path: Path) -> None:
    path = tmp_path / "run" / "status.json.lock"
    kept = _kept(path)
    try:
        assert not kept.lost() and kept.check() == ""
        shutil.rmtree(path.parent)
        assert kept.lost()
        assert kept.check() == ""
        assert not kept.lost() and path.read_text() == f"{os.getpid()}\n1000.000\n"
        other, pid = hold(path)  # the file at the path is held again: a second start is refused
        assert other is None and pid == str(os.getpid())
    finally:
        kept.close()


def test_a_lock_file_made_anew_is_taken_again(tmp_path: Path) -> None:
    path = tmp_path / "status.json.lock"
    kept = _kept(path)
    try:
        path.unlink()
        path.write_text("")  # another file at the path, held by nobody
        assert kept.lost() and kept.check() == "" and not kept.lost()
    finally:
        kept.close()


def test_a_daemon_that_slipped_in_meanwhile_has_the_lock_taken_from_it(tmp_path: Path) -> None:
    """The runtime folder removed, a second daemon started and took a new lock before this one
    wrote its status again: this one, the older, takes the lock back (a file of its own at
    the path); the newcomer's lock is on a file no longer there."""
    path = tmp_path / "status.json.lock"
    kept = _kept(path, since=1000.0)
    try:
        path.unlink()
        newcomer = _other(path, 4242, since=2000.0)
        try:
            assert kept.check() == "" and not kept.lost()
            assert path.read_text() == f"{os.getpid()}\n1000.000\n"
            assert os.fstat(newcomer.fileno()).st_nlink == 0  # it holds a removed file
        finally:
            newcomer.close()
    finally:
        kept.close()


def test_the_newcomer_whose_lock_was_taken_back_is_told_to_stop(tmp_path: Path) -> None:
    path = tmp_path / "status.json.lock"
    newcomer = _kept(path, since=2000.0)
    try:
        path.unlink()
        older = _other(path, 4242, since=1000.0)  # as the older daemon's check leaves it
        try:
            assert newcomer.check() == "4242"  # at once: the older one keeps watching
        finally:
            older.close()
    finally:
        newcomer.close()


def test_a_holder_that_says_nothing_of_its_start_is_said_at_the_second_look(
        tmp_path: Path) -> None:
    """An older sitwatch, which writes its pid only: the first look may meet one about to let
    go (a second start that saw this one's status); one still there a status write later runs,
    and this one stops."""
    path = tmp_path / "status.json.lock"
    kept = _kept(path)
    try:
        path.unlink()
        other = _other(path, 4242, since=None)
        assert kept.check() == ""
        assert kept.check() == "4242"
        other.close()  # it stopped after all: the lock is ours again
        assert kept.check() == "" and not kept.lost() and kept.taken == ""
    finally:
        kept.close()


def test_one_that_let_go_after_the_first_look_is_not_said(tmp_path: Path) -> None:
    path = tmp_path / "status.json.lock"
    kept = _kept(path)
    try:
        path.unlink()
        other = _other(path, 4242, since=None)
        assert kept.check() == ""
        other.close()  # it saw this daemon's status and stopped
        assert kept.check() == "" and not kept.lost()
    finally:
        kept.close()


def test_a_folder_that_cannot_be_made_again_keeps_what_is_held(tmp_path: Path) -> None:
    path = tmp_path / "gone" / "status.json.lock"
    kept = _kept(path)
    try:
        shutil.rmtree(path.parent)
        path.parent.write_text("a file where the folder was")
        assert kept.lost() and kept.check() == ""  # cannot make it: said nothing, goes on
        assert kept.fh is not None
    finally:
        kept.close()
