"""Issue #15's storage faults on real small filesystems (tmpfs mounts) and real SQLite files.

Disk full at start used to hide the real error behind "cannot rollback - no transaction is
active" and leave the history off for good; read-only at start said only "unable to open
database file"; a foreign SQLite file at the history path was silently taken over. In every
case the daemon must keep watching and nudging, say once what is wrong and what to do, leave
a file that is not its own exactly as it was, and pick the history up when the fault clears.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from sitwatch.config import Config
from sitwatch.core.clock import ManualClock
from sitwatch.core.events import NUDGE, OCCUPANCY, Event
from sitwatch.history import schema
from sitwatch.history.store import RETRY_MAX, ForeignFile, Store, StoreError
from sitwatch.runtime.daemon import Daemon
from sitwatch.sensing import calibration, layout
from sitwatch.sources.base import Reading
from tests.helpers.doubles import Collect
from tests.helpers.history import fill

pytestmark = pytest.mark.integration


def _can_mount() -> str | None:
    if os.geteuid() != 0:
        return "needs root to mount a small tmpfs"
    if not Path("/proc/filesystems").exists() or "tmpfs" not in Path(
            "/proc/filesystems").read_text():
        return "no tmpfs in this kernel"
    return None


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    """A 512 kB tmpfs of our own, unmounted afterwards."""
    why = _can_mount()
    if why:
        pytest.skip(why)
    mnt = tmp_path / "fs"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k,mode=0700", "tmpfs", str(mnt)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)




def remount(mnt: Path, mode: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{mode}", str(mnt)], check=True)


def warnings(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.levelno >= logging.WARNING and text in r.getMessage()]


def sit(store: Store, clock: ManualClock, minutes: int) -> None:
    store.add_event(Event(clock.monotonic(), OCCUPANCY, "occupied"))
    for _ in range(minutes * 6):
        clock.advance(10)
        store.add_sample(10.0, occupied=True, posture="upright", balance="balanced",
                         seat_load=40.0, cop_x=0.0, cop_y=0.0, online=True)


def stored(db: Path, clock: ManualClock) -> tuple[int, float]:
    """(events, seconds seated) in the file."""
    conn = sqlite3.connect(db)
    try:
        ev = conn.execute("SELECT count(*) FROM events").fetchone()[0]
        occ = conn.execute("SELECT coalesce(sum(seconds_occupied), 0) FROM minutes").fetchone()[0]
    finally:
        conn.close()
    return ev, occ


@pytest.mark.parametrize("leave", [0, 16384, 49152], ids=["0k", "16k", "48k"])
def test_disk_full_at_start_names_the_real_error(small_fs: Path, leave: int) -> None:
    """With 48 kB left the migration's COMMIT fails, SQLite rolls back by itself, and the
    ROLLBACK after it said "cannot rollback - no transaction is active"; with 16 kB SQLite
    says "disk I/O error" (its -shm file cannot grow)."""
    fill(small_fs, leave)
    with pytest.raises(StoreError) as e:
        Store(small_fs / "history.sqlite", ManualClock())
    assert "cannot rollback" not in str(e.value)
    assert "disk is full" in str(e.value) and "free some space" in str(e.value)


def test_disk_full_at_start_keeps_measuring_and_writes_when_space_returns(
        small_fs: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    filler = fill(small_fs, 49152)
    clock = ManualClock()
    db = small_fs / "history.sqlite"
    store = Store(db, clock, retry=True)
    assert not store.available and "disk is full" in (store.problem or "")
    store.begin_run("load-cells-4", "test")
    sit(store, clock, 30)  # half an hour of tries while the disk stays full
    assert len(warnings(caplog, "disk is full")) == 1, "say it once"
    assert not warnings(caplog, "cannot rollback")
    filler.unlink()
    clock.advance(RETRY_MAX)
    sit(store, clock, 1)
    store.flush()
    assert store.available and store.problem is None
    assert warnings(caplog, "can be written again")
    store.close()
    events, occupied = stored(db, clock)
    assert events == 2 and occupied == pytest.approx(31 * 60)


def test_disk_filling_mid_run_then_space_returns(small_fs: Path,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    clock = ManualClock()
    db = small_fs / "history.sqlite"
    store = Store(db, clock, retry=True)
    store.begin_run("load-cells-4", "test")
    sit(store, clock, 5)
    filler = fill(small_fs)
    sit(store, clock, 60)
    assert len(warnings(caplog, "disk is full")) == 1
    filler.unlink()
    clock.advance(RETRY_MAX)
    sit(store, clock, 1)
    store.close()
    events, occupied = stored(db, clock)
    assert events == 3 and occupied == pytest.approx(66 * 60)


@pytest.mark.parametrize("leave", [0, 1000, 8192, 20000, 49152, 81920])
def test_every_second_is_kept_wherever_the_disk_fills(small_fs: Path, leave: int,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    """Whatever is left free when the disk fills, every second handed to the store is in the
    file once space returns. With 0 to 20 kB left every write fails (at a different frame of
    the log) until then; 48 and 80 kB are a nearly full disk. SQLite's write-ahead log used
    to keep growing (it is checkpointed only at ~4 MB) until it held all the free space, the
    space freed again included, so the minutes kept in memory could not go in and were
    dropped at the stop: from 20 s to the whole hour, depending on what was left."""
    clock = ManualClock()
    db = small_fs / "history.sqlite"
    store = Store(db, clock, retry=True)
    store.begin_run("load-cells-4", "test")
    sit(store, clock, 5)
    filler = fill(small_fs, leave)
    sit(store, clock, 60)
    filler.unlink()
    clock.advance(RETRY_MAX)
    sit(store, clock, 1)
    store.close()
    assert not warnings(caplog, "are lost")
    events, occupied = stored(db, clock)
    assert events == 3 and occupied == pytest.approx(66 * 60)
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT max(seconds_occupied), count(*) FROM minutes").fetchone()
    conn.close()
    assert rows == (pytest.approx(60), 66)


@pytest.mark.parametrize("hours", [6, 12])
def test_a_little_space_back_on_a_bigger_disk_takes_the_hours_kept_in_memory(
        tmp_path: Path, hours: int) -> None:
    """On a disk with room to spare SQLite lets its write-ahead log grow (it is checkpointed
    only at ~4 MB). When the disk fills, hours wait in memory; when a little space comes back
    (120 kB), the log has to give its own back before the batch goes in: else the batch takes
    the space a checkpoint needs, and the tries after it fail too."""
    why = _can_mount()
    if why:
        pytest.skip(why)
    mnt = tmp_path / "fs"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", str(mnt)],
                   check=True)
    try:
        clock = ManualClock()
        db = mnt / "history.sqlite"
        store = Store(db, clock, retry=True)
        store.begin_run("load-cells-4", "test")
        sit(store, clock, 5)
        assert (mnt / "history.sqlite-wal").stat().st_size > 100_000  # the log is big
        filler = fill(mnt)
        store.add_event(Event(clock.monotonic(), OCCUPANCY, "occupied"))
        for _ in range(hours * 60):  # a sample a minute: the same hours, fewer commits
            clock.advance(60)
            store.add_sample(60.0, occupied=True, posture="upright", balance="balanced",
                             seat_load=40.0, cop_x=0.0, cop_y=0.0, online=True)
        os.truncate(filler, filler.stat().st_size - 120_000)
        clock.advance(RETRY_MAX)
        sit(store, clock, 1)
        store.close()
        events, occupied = stored(db, clock)
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)
    assert events == 3 and occupied == pytest.approx((5 + hours * 60 + 1) * 60)


def test_a_stop_with_the_disk_still_full_says_what_is_lost(
        small_fs: Path, caplog: pytest.LogCaptureFixture) -> None:
    clock = ManualClock()
    store = Store(small_fs / "history.sqlite", clock, retry=True)
    store.begin_run("load-cells-4", "test")
    sit(store, clock, 1)
    fill(small_fs)
    sit(store, clock, 2)
    store.close()
    [end] = warnings(caplog, "120 s of measurements and 1 event are lost")
    assert "the disk is full" in end and "is written again by itself" not in end, end


def test_read_only_at_start_says_where_and_how_to_fix_it_then_recovers(
        small_fs: Path, caplog: pytest.LogCaptureFixture) -> None:
    clock = ManualClock()
    db = small_fs / "history.sqlite"
    with Store(db, clock) as s:  # a history from before
        s.begin_run("load-cells-4", "test")
        sit(s, clock, 2)
    remount(small_fs, "ro")
    try:
        store = Store(db, clock, retry=True)
        problem = store.problem or ""
        assert "unable to open database file" not in problem
        assert "read-only filesystem" in problem and str(small_fs) in problem
        assert f"mount -o remount,rw {small_fs}" in problem
        store.begin_run("load-cells-4", "test")
        sit(store, clock, 10)
        assert len(warnings(caplog, "read-only filesystem")) == 1
    finally:
        remount(small_fs, "rw")
    clock.advance(RETRY_MAX)
    sit(store, clock, 1)
    store.close()
    events, occupied = stored(db, clock)
    assert events == 3 and occupied == pytest.approx(13 * 60)


def test_read_only_without_a_history_yet(small_fs: Path) -> None:
    remount(small_fs, "ro")
    try:
        with pytest.raises(StoreError) as e:
            Store(small_fs / "sub" / "history.sqlite", ManualClock())
    finally:
        remount(small_fs, "rw")
    assert "read-only filesystem" in str(e.value)


def digest(p: Path) -> tuple[str, int]:
    return hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mode


def foreign_db(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE contacts (name TEXT, phone TEXT)")
    conn.execute("INSERT INTO contacts VALUES ('Ada', '123')")
    conn.commit()
    conn.close()
    path.chmod(0o644)


def test_a_foreign_sqlite_file_is_left_untouched_and_refused(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    db = tmp_path / "history.sqlite"
    foreign_db(db)
    before = digest(db)
    with pytest.raises(ForeignFile) as once:
        Store(db, ManualClock())
    # a one-shot command stops there: it has no nudges to go on with (it said it had)
    assert "nudges go on" not in str(once.value)
    clock = ManualClock()
    store = Store(db, clock, retry=True)
    assert "did not create" in (store.problem or "") and "contacts" in (store.problem or "")
    assert "the nudges go on meanwhile" in (store.problem or "")  # the daemon carries on
    store.begin_run("load-cells-4", "test")
    sit(store, clock, 20)
    store.flush()
    assert digest(db) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.sqlite"]  # no -wal, -shm
    assert len(warnings(caplog, "did not create")) == 1
    # the user moves it away: the history starts, with what was kept meanwhile
    moved = tmp_path / "contacts.sqlite"
    db.rename(moved)
    clock.advance(RETRY_MAX)
    sit(store, clock, 1)
    store.close()
    assert digest(moved) == before
    assert stored(db, clock) == (2, pytest.approx(21 * 60))
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == schema.APPLICATION_ID
    conn.close()


def test_a_history_from_before_the_mark_is_still_ours(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite"
    conn = sqlite3.connect(db, isolation_level=None)
    schema.migrate(conn, schema.MIGRATIONS[:1])  # what sitwatch 0.1 wrote: no application id
    conn.execute("INSERT INTO runs (run_id, started) VALUES ('old', '2026-01-01T09:00:00+00:00')")
    conn.close()
    with Store(db, ManualClock()) as s:
        assert s.problem is None
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == schema.APPLICATION_ID
    assert conn.execute("SELECT count(*) FROM runs WHERE run_id = 'old'").fetchone()[0] == 1
    conn.close()


class Seated:
    """A sitter who sits down and stays (5 frames a second)."""

    name = "seated"

    def __init__(self, clock: ManualClock) -> None:
        self.clock, self.frames = clock, 0

    def poll(self, max_wait):
        self.clock.advance(0.2)
        self.frames += 1
        return [Reading(self.clock.monotonic(), np.array([20000.0, 20500, 9000, 9200]))]

    def close(self) -> None:
        pass

    def stats(self):
        return {"port": "test", "online": True, "frames": self.frames, "dropped_total": 0}


def test_the_daemon_nudges_on_with_a_full_disk_and_keeps_the_history(small_fs: Path) -> None:
    filler = fill(small_fs)
    clock = ManualClock()
    lay = layout.load("load-cells-4")
    prof = calibration.from_arrays(lay, tare=np.array([40.0, 35, 30, 45]),
                                   upright=np.array([20000.0, 20500, 9000, 9200]),
                                   method="interactive")
    sink = Collect()
    db = small_fs / "history.sqlite"
    d = Daemon(Config(detect={"sit_limit": 600}), lay, Seated(clock), clock, profile=prof,
               sinks=sink, store=Store(db, clock, retry=True))
    for _ in range(5 * 700):  # 700 s: past the sit limit
        d.step(0)
    assert [e.get("kind") for e in sink.events if e.event == NUDGE] == ["prolonged_sitting"]
    filler.unlink()
    for _ in range(5 * int(RETRY_MAX + 10)):
        d.step(0)
    d.close()
    conn = sqlite3.connect(db)
    names = [r[0] for r in conn.execute("SELECT event FROM events")]
    conn.close()
    assert "nudge" in names and "occupancy" in names



def test_no_backup_when_it_would_leave_the_disk_nearly_full(
        small_fs: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    clock = ManualClock()
    lay = layout.load("load-cells-4")
    d = Daemon(Config(), lay, None, clock, store=Store(tmp_path / "history.sqlite", clock),
               backup_dir=small_fs / "backups")
    clock.advance(3600)
    d._backup(clock.monotonic())
    d.close()
    assert warnings(caplog, "history backup skipped: only")
    assert not (small_fs / "backups").exists() or not list((small_fs / "backups").iterdir())
