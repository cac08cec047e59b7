"""Issue #15 as a user meets it: `sitwatch run` with its history on a disk that is full when it
starts, or held locked by another program while it runs. It watches and nudges anyway, says
once what is wrong and what to do, and writes the history (with what it measured meanwhile) as
soon as it can again."""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from sitwatch.sensing import layout
from sitwatch.sensing.calibration import from_arrays, robust_mean
from sitwatch.sim.script import short_demo
from sitwatch.sim.simulator import Simulator
from tests.helpers.history import fill
from tests.helpers.virtual_cushion import start_cushion

pytestmark = pytest.mark.integration


def env_for(tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"),
                     ("XDG_STATE_HOME", "state"), ("XDG_RUNTIME_DIR", "run")):
        (tmp / sub).mkdir(exist_ok=True)
        env[var] = str(tmp / sub)
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    env["PYTHONUNBUFFERED"] = "1"
    return env


class Lines:
    """The daemon's JSON events, read as they come."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.proc, self.got, self.buf = proc, [], b""
        self.sel = selectors.DefaultSelector()
        assert proc.stdout is not None
        self.sel.register(proc.stdout, selectors.EVENT_READ)

    def until(self, pred, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if pred(self.got):
                return True
            if not self.sel.select(timeout=0.2):
                continue
            chunk = os.read(self.proc.stdout.fileno(), 65536)  # type: ignore[union-attr]
            if not chunk:
                break
            self.buf += chunk
            *lines, self.buf = self.buf.split(b"\n")
            self.got += [json.loads(ln) for ln in lines if ln.strip()]
        return pred(self.got)




def rows(db: Path, sql: str) -> list[tuple]:
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=2)
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()
    except sqlite3.Error:
        return []


@contextlib.contextmanager
def writing_daemon(tmp: Path, cfg: Path, db: Path
                   ) -> Iterator[tuple[subprocess.Popen[bytes], Lines, dict[str, str]]]:
    """`sitwatch run` with ``cfg`` on a virtual cushion in real time, once it has written its
    first minute into ``db``: (the daemon, its events, its environment). Whatever still runs at
    the end is killed."""
    env = env_for(tmp)
    link = tmp / "cushion"
    simp = daemon = None
    try:
        simp = start_cushion(env, link, speed=1)
        daemon = subprocess.Popen(
            [sys.executable, "-m", "sitwatch", "run", "--no-user-config", "--config", str(cfg),
             "--port", str(link), "--layout", "smartchair-12", "--headless", "--json"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        ev = Lines(daemon)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not rows(db, "SELECT 1 FROM minutes"):
            ev.until(lambda g: False, 0.2)
        assert rows(db, "SELECT 1 FROM minutes"), "the daemon wrote no history"
        yield daemon, ev, env
    finally:
        for p in (daemon, simp):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait(5)


def stopped(daemon: subprocess.Popen[bytes], ev: Lines) -> str:
    """Stop the daemon as systemd would; what it said on stderr."""
    daemon.send_signal(signal.SIGTERM)
    ev.until(lambda g: False, 1)
    assert daemon.wait(15) == 0
    return daemon.stderr.read().decode()  # type: ignore[union-attr]


def test_run_with_a_full_disk_nudges_on_and_writes_the_history_when_space_returns(
        tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a small tmpfs")
    fs = tmp_path / "fs"
    fs.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", str(fs)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    simp = daemon = None
    try:
        filler = fill(fs, 49152)
        db = fs / "history.sqlite"
        lay = layout.load("smartchair-12")
        sim = Simulator(lay, short_demo(0), 10, 0)
        cal = tmp_path / "cal.json"
        from_arrays(lay, tare=robust_mean(sim.frames_at(np.arange(2, 28, 0.5))),
                    upright=robust_mean(sim.frames_at(np.arange(60, 150, 0.5))),
                    method="recording").save(cal)
        cfg = tmp_path / "fast.toml"
        cfg.write_text(f'[history]\ndatabase = "{db}"\n[detect]\nsit_limit = 20\n'
                       "[detect.occupancy]\nenter_dwell = 0.3\nexit_dwell = 0.3\n")
        env = env_for(tmp_path)
        link = tmp_path / "cushion"
        simp = start_cushion(env, link, speed=30)
        daemon = subprocess.Popen(
            [sys.executable, "-m", "sitwatch", "run", "--no-user-config", "--config", str(cfg),
             "--port", str(link), "--layout", "smartchair-12", "--calibration", str(cal),
             "--headless", "--json"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        ev = Lines(daemon)
        # watching and nudging while nothing can be written
        assert ev.until(lambda g: any(e["event"] == "nudge" for e in g), 60), ev.got[-5:]
        assert not rows(db, "SELECT event FROM events")
        filler.unlink()
        freed = time.time()
        # the history comes back by itself (the retry waits at most a minute)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not rows(
                db, "SELECT 1 FROM events WHERE event = 'nudge'"):
            ev.until(lambda g: False, 0.5)
        daemon.send_signal(signal.SIGTERM)
        ev.until(lambda g: False, 1)
        assert daemon.wait(15) == 0
        err = daemon.stderr.read().decode()  # type: ignore[union-attr]
        assert "cannot rollback" not in err
        assert err.count("the disk is full") == 1, err
        assert "free some space" in err and "can be written again" in err, err
        stored = rows(db, "SELECT event, epoch FROM events ORDER BY id")
        names = [e for e, _ in stored]
        assert "nudge" in names and "occupancy" in names
        assert min(t for _, t in stored) < freed  # what was measured before there was room
        assert rows(db, "PRAGMA integrity_check") == [("ok",)]
    finally:
        for p in (daemon, simp):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait(5)
        subprocess.run(["umount", "-l", str(fs)], check=False)


def test_a_history_locked_by_another_program_keeps_the_daemon_going_and_loses_nothing(
        tmp_path: Path) -> None:
    """An `sqlite3` session holding a write transaction open on the history for 25 s. Before,
    every commit waited out SQLite's 5 s busy timeout and the next was due at once, so the loop
    stood still: no status update for minutes (`sitwatch status`: "may be stuck"), frames read in
    bursts, then "no reading from the cushion" blamed on the cushion. Now the status stays fresh
    throughout, the lock is said once in plain words, and the seconds measured meanwhile are
    written once it is released."""
    from sitwatch.core.clock import SystemClock
    from sitwatch.runtime.status import read_status

    db = tmp_path / "history.sqlite"
    status = tmp_path / "status.json"
    cfg = tmp_path / "lock.toml"
    cfg.write_text(f'[history]\ndatabase = "{db}"\n[status]\nfile = "{status}"\n')
    with writing_daemon(tmp_path, cfg, db) as (daemon, ev, env):
        holder = sqlite3.connect(db, isolation_level=None, timeout=5)
        holder.execute("BEGIN EXCLUSIVE")
        held_until = time.monotonic() + 25
        told = None  # `sitwatch status` while the lock is held, once the daemon has met it
        while time.monotonic() < held_until:
            d = read_status(status, SystemClock())
            assert not d.get("stale"), f"the daemon stood still while the history was locked: {d}"
            if told is None and d.get("history_problem"):
                told = subprocess.run(
                    [sys.executable, "-m", "sitwatch", "status", "--no-user-config", "--config",
                     str(cfg)], env=env, capture_output=True, text=True, timeout=60)
            ev.until(lambda g: False, 0.2)
        # status said why nothing is being written (it showed a daemon doing fine)
        assert told is not None, "the status file never said the history could not be written"
        assert "\nhistory: cannot write " in told.stdout, told.stdout
        assert "another program holds it locked" in told.stdout, told.stdout
        holder.execute("COMMIT")
        holder.close()
        released = time.time()

        deadline = time.monotonic() + 60  # the next try comes within RETRY_MAX
        while time.monotonic() < deadline and not rows(
                db, f"SELECT 1 FROM runs WHERE last_epoch > {released}"):
            ev.until(lambda g: False, 0.2)
        # written again: the status says so at its next write (the commit that cleared the
        # problem can land just after one, so reading it at once raced)
        deadline = time.monotonic() + 10
        while (read_status(status, SystemClock()).get("history_problem")
               and time.monotonic() < deadline):
            ev.until(lambda g: False, 0.2)
        assert not read_status(status, SystemClock()).get("history_problem")
        err = stopped(daemon, ev)
    assert err.count("another program holds it locked") == 1, err
    assert "writes it once the lock is released" in err and "can be written again" in err, err
    assert "no reading from the cushion" not in err and "Traceback" not in err, err
    # every second of the run is in the file, those measured under the lock too
    [(began, ended)] = rows(db, "SELECT started, ended FROM runs")
    ran = (datetime.fromisoformat(ended) - datetime.fromisoformat(began)).total_seconds()
    [(seen,)] = rows(db, "SELECT sum(seconds_present) FROM minutes")
    assert ran > 40 and seen >= ran - 5, (seen, ran)


def test_a_history_deleted_under_the_running_daemon_starts_again_by_itself(
        tmp_path: Path) -> None:
    """`rm history.sqlite` (to start afresh, or a cleaner) while `sitwatch run` runs. Before,
    the daemon wrote on into the deleted file until it stopped: no history from then on, and
    not a word. Now it says so once and the file is back within a commit, with this run in it."""
    db = tmp_path / "history.sqlite"
    cfg = tmp_path / "rm.toml"
    cfg.write_text(f'[history]\ndatabase = "{db}"\n')
    with writing_daemon(tmp_path, cfg, db) as (daemon, ev, _):
        [(run,)] = rows(db, "SELECT run_id FROM runs")
        for suffix in ("", "-wal", "-shm"):
            db.with_name(db.name + suffix).unlink(missing_ok=True)
        deleted = time.time()
        deadline = time.monotonic() + 30  # a commit every 5 s
        while time.monotonic() < deadline and not rows(
                db, f"SELECT 1 FROM minutes WHERE run_id = '{run}'"):
            ev.until(lambda g: False, 0.2)
        err = stopped(daemon, ev)
    assert err.count("was deleted while sitwatch was running") == 1, err
    assert "starts a new one there" in err and "Traceback" not in err, err
    assert rows(db, "SELECT run_id FROM runs") == [(run,)]
    [(last,)] = rows(db, "SELECT max(epoch) FROM minutes")
    assert last >= int(deleted) // 60 * 60  # the minutes since are in the new file
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]


@contextlib.contextmanager
def read_only_bind(tmp: Path) -> Iterator[Path]:
    """A folder of ``tmp`` bound read-only onto another of the same filesystem (as a container
    or a backup setup binds one); unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.skip("needs root to bind-mount a folder")
    src, mnt = tmp / "kept", tmp / "bound"
    src.mkdir()
    mnt.mkdir()
    r = subprocess.run(["mount", "--bind", str(src), str(mnt)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot bind-mount here: {r.stderr.strip()}")
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(mnt)], check=True)
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_a_history_on_a_read_only_bind_mount_names_that_mount(tmp_path: Path) -> None:
    """A bind mount shares its device number with the filesystem it comes from, so the advice
    named "/" (`sudo mount -o remount,rw /`), a mount that was fine, and never the one to fix.
    Both the running daemon and doctor now name the bind mount."""
    with read_only_bind(tmp_path) as mnt:
        db = mnt / "history.sqlite"
        cfg = tmp_path / "ro.toml"
        cfg.write_text(f'[history]\ndatabase = "{db}"\n')
        env = env_for(tmp_path)
        link = tmp_path / "cushion"
        fix = f"`sudo mount -o remount,rw {mnt}`"
        simp = daemon = None
        try:
            simp = start_cushion(env, link, speed=1)
            daemon = subprocess.Popen(
                [sys.executable, "-m", "sitwatch", "run", "--no-user-config", "--config",
                 str(cfg), "--port", str(link), "--layout", "smartchair-12", "--headless",
                 "--json"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            ev = Lines(daemon)
            assert ev.until(lambda g: any(e["event"] == "occupancy" for e in g), 30), ev.got
            doctor = subprocess.run(
                [sys.executable, "-m", "sitwatch", "doctor", "--no-user-config", "--config",
                 str(cfg), "--headless"],
                env=env, capture_output=True, text=True, timeout=120)
            err = stopped(daemon, ev)
        finally:
            for p in (daemon, simp):
                if p is not None and p.poll() is None:
                    p.kill()
                    p.wait(5)
    assert f"on a read-only filesystem ({mnt})" in err and fix in err, err
    assert "remount,rw /`" not in err and "Traceback" not in err, err
    said = doctor.stdout + doctor.stderr
    assert f"on a read-only filesystem ({mnt})" in said and fix in said, said
    assert "Traceback" not in said, said
