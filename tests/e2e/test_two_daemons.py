"""Two `sitwatch run` started at the same moment (a login's service and a terminal, a double
click on a launcher): before either had written a status file, both found none and both ran,
sharing the history and the status file, and taking the MQTT client id from each other every
second. The lock beside the status file lets one run; the other says who runs and exits 1."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from sitwatch.core.clock import ManualClock
from sitwatch.history.store import Store
from tests.helpers.cli import scratch_env
from tests.helpers.virtual_cushion import Processes, wait_status

pytestmark = pytest.mark.integration


def test_two_daemons_started_together_one_runs_the_other_says_who(tmp_path: Path) -> None:
    env = scratch_env(tmp_path)
    status = tmp_path / "status.json"
    cfg = tmp_path / "sitwatch.toml"
    link = tmp_path / "cushion"
    db = tmp_path / "history.sqlite"
    cfg.write_text(f'[cushion]\nport = "{link}"\nlayout = "smartchair-12"\n'
                   f'[status]\nfile = "{status}"\n[history]\ndatabase = "{db}"\n'
                   "[nudges.dnd]\nenabled = false\n")
    Store(db, ManualClock()).close()
    with Processes(env) as procs:
        procs.cushion(link, speed=1)
        # the history held by another program for a moment: a daemon's start (its first run
        # row) waits for it, so neither has written a status when the other looks for one
        holder = sqlite3.connect(db, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        both = [procs.start("run", "--headless", "--config", str(cfg), stderr=subprocess.PIPE)
                for _ in range(2)]
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline and all(p.poll() is None for p in both):
            time.sleep(0.1)
        holder.execute("COMMIT")
        holder.close()
        ended = []
        for p in both:
            try:
                p.wait(15)
                ended.append(p)
            except subprocess.TimeoutExpired:
                pass
        assert len(ended) == 1, "both daemons ran" if not ended else "neither ran"
        [loser] = ended
        [winner] = [p for p in both if p is not loser]
        assert loser.returncode == 1
        said = loser.stderr.read()  # type: ignore[union-attr]
        assert f"sitwatch is already running (pid {winner.pid}, status in {status})" in said, said
        assert "Traceback" not in said, said
        d = wait_status(status, lambda d: d.get("sensor", {}).get("frames"))
        assert d.get("pid") == winner.pid


def _daemon_config(tmp: Path) -> tuple[Path, Path]:
    """A config whose status file (and so the lock beside it) is in a folder of its own, as
    the runtime folder holds them: (the config, the status file)."""
    status = tmp / "runtime" / "status.json"
    cfg = tmp / "sitwatch.toml"
    cfg.write_text(f'[cushion]\nport = "{tmp / "cushion"}"\nlayout = "smartchair-12"\n'
                   f'[status]\nfile = "{status}"\n[history]\nenabled = false\n'
                   "[nudges.dnd]\nenabled = false\n")
    return cfg, status


def _locked_by(lock: Path) -> str:
    """The pid of the process holding a lock (flock) on the file at ``lock`` now, else "",
    from /proc/locks: looked at, never taken (a probe that took it would be seen by a daemon
    as another holder)."""
    try:
        st = lock.stat()
        table = Path("/proc/locks").read_text()
    except OSError:
        return ""
    where = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    for line in table.splitlines():
        fields = line.split()  # 1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF
        if len(fields) > 5 and fields[1] == "FLOCK" and fields[5] == where:
            return fields[4]
    return ""


def test_a_removed_runtime_folder_has_the_lock_taken_again(tmp_path: Path) -> None:
    """`rm -r` of the runtime folder under a running daemon took its lock file with it: the
    kernel's lock stayed on the deleted file, where no other start looks. The daemon takes it
    again at its path when it writes its status file again (every 10 s at the latest)."""
    env = scratch_env(tmp_path)
    cfg, status = _daemon_config(tmp_path)
    lock = status.with_name("status.json.lock")
    with Processes(env) as procs:
        procs.cushion(tmp_path / "cushion", speed=1)
        first = procs.start("run", "--headless", "--config", str(cfg))
        assert wait_status(status, lambda d: d.get("sensor", {}).get("frames")).get("pid") \
            == first.pid
        assert _locked_by(lock) == str(first.pid)
        shutil.rmtree(status.parent)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and _locked_by(lock) != str(first.pid):
            time.sleep(0.2)  # polling the real daemon's files, bounded by the deadline
        assert _locked_by(lock) == str(first.pid), "the lock was not taken again"
        second = procs.start("run", "--headless", "--config", str(cfg), stderr=subprocess.PIPE)
        assert second.wait(30) == 1
        said = second.stderr.read()  # type: ignore[union-attr]
        assert f"sitwatch is already running (pid {first.pid}" in said, said
        assert first.poll() is None


def test_a_second_daemon_started_while_the_runtime_folder_is_gone_stops_and_says_who_runs(
        tmp_path: Path) -> None:
    """The runtime folder removed, and a second `sitwatch run` started at once, before the
    first wrote its status file again: it found neither a status nor a lock and ran beside
    the first, for good (the cushion's port held by the first, the history and the MQTT
    client id shared). Now, whichever gets to the lock first, the second stops within a
    couple of status writes and names the first, which watches on."""
    env = scratch_env(tmp_path)
    cfg, status = _daemon_config(tmp_path)
    with Processes(env) as procs:
        procs.cushion(tmp_path / "cushion", speed=1)
        first = procs.start("run", "--headless", "--config", str(cfg))
        wait_status(status, lambda d: d.get("sensor", {}).get("frames"))
        shutil.rmtree(status.parent)
        second = procs.start("run", "--headless", "--config", str(cfg), stderr=subprocess.PIPE)
        try:
            assert second.wait(45) == 1  # two status writes: 10 s apart at the most
        except subprocess.TimeoutExpired:
            pytest.fail("both daemons ran on")
        said = second.stderr.read()  # type: ignore[union-attr]
        assert f"sitwatch is already running (pid {first.pid}, status in {status})" in said, said
        assert "Traceback" not in said, said
        assert first.poll() is None
        frames = wait_status(status, lambda d: d.get("pid") == first.pid)["sensor"]["frames"]
        d = wait_status(status, lambda d: d["sensor"]["frames"] > frames, timeout=15)
        assert d["pid"] == first.pid and d["sensor"]["online"] and not d.get("stopped"), d
        assert _locked_by(status.with_name("status.json.lock")) == str(first.pid)
