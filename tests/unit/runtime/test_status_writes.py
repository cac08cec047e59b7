"""The daemon's status file through its real loop (Daemon.step, an injected clock): written as
soon as the seat changes, kept fresh while someone sits, and not rewritten every tick while
nothing changes (an empty seat with the cushion streaming)."""

from __future__ import annotations

import json

import numpy as np

from sitwatch.config import Config
from sitwatch.core.clock import ManualClock
from sitwatch.runtime.daemon import Daemon
from sitwatch.runtime.status import HEARTBEAT, StatusWriter, read_status
from sitwatch.sensing import layout
from sitwatch.sources.base import Reading

LAY = layout.load("load-cells-4")
SEATED = np.array([20000.0, 20500, 9000, 9200])
EMPTY = np.array([40.0, 35, 30, 45])


class Cushion:
    """Frames at 5 Hz (the clock moves 0.2 s a poll) of whatever ``values`` holds."""

    name = "test"

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.values = EMPTY
        self.frames = 0

    def poll(self, max_wait: float) -> list[Reading]:
        self.clock.advance(0.2)
        self.frames += 1
        noise = np.random.default_rng(self.frames).normal(0, 20, 4)
        return [Reading(self.clock.monotonic(), self.values + noise)]

    def stats(self) -> dict[str, object]:
        return {"port": "test", "online": True, "frames": self.frames, "dropped_total": 0,
                "last_frame_age": 0.01}

    def close(self) -> None:
        pass


def test_written_when_the_seat_changes_not_every_tick_while_nothing_does(tmp_path) -> None:
    clock = ManualClock()
    path = tmp_path / "status.json"
    status = StatusWriter(path, clock, interval=2.0)
    cushion = Cushion(clock)
    d = Daemon(Config(), LAY, cushion, clock, status=status)

    def run(seconds: float) -> list[dict[str, object]]:
        seen = []
        for _ in range(round(seconds / 0.2)):
            d.step(0)
            seen.append(read_status(path, clock))
        return seen

    run(30.0)  # the empty seat is known
    assert read_status(path, clock)["occupancy"] == "empty"
    before = status.writes
    quiet = run(120.0)  # two minutes of empty seat, frames streaming
    assert status.writes - before <= 120 / HEARTBEAT + 1  # was 60: one every interval
    # never stale: the heartbeat, plus up to the second between two looks of the daemon
    assert max(float(s["age"]) for s in quiet) <= HEARTBEAT + 1.0 < 15.0
    assert not any(s["stale"] for s in quiet)
    assert quiet[-1]["sensor"]["frames"] >= cushion.frames - 5 * HEARTBEAT

    cushion.values = SEATED  # someone sits down: shown as soon as the detector says so
    before = status.writes
    for _ in range(100):
        d.step(0)
        if json.loads(path.read_text())["occupancy"] == "occupied":
            break
    assert json.loads(path.read_text())["occupancy"] == "occupied"
    assert d.snapshot().occupied
    seated = run(20.0)  # the sitting spell is shown, at most an interval behind
    spells = [float(s["spell_seconds"]) for s in seated]
    assert spells[-1] >= d.snapshot().spell - 2.0 - 1e-6
    assert status.writes - before >= 20 / 2.0 - 2  # about one an interval, as before
    d.close()


def test_the_folder_is_made_owner_only_once_and_again_when_it_was_removed(
        tmp_path, monkeypatch) -> None:
    """Every write checked and stat'ed the status file's folder and each of its parents (1%
    of the daemon loop's instructions). Now the first write does, and a write after the
    folder was removed (a cleaned runtime folder) makes it again, owner-only."""
    import shutil

    from sitwatch.core import private

    made = []
    real = private.private_dir
    monkeypatch.setattr(private, "private_dir", lambda p: made.append(p) or real(p))
    clock = ManualClock()
    folder = tmp_path / "run" / "sitwatch"
    path = folder / "status.json"
    status = StatusWriter(path, clock)
    for _ in range(5):
        clock.advance(HEARTBEAT)
        assert status.maybe_write()
    assert made == [folder]
    assert oct(folder.stat().st_mode & 0o777) == "0o700"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert not [p.name for p in folder.iterdir() if p.name != "status.json"]  # no temp files

    shutil.rmtree(folder)
    clock.advance(HEARTBEAT)
    assert status.maybe_write()
    assert made == [folder, folder]
    assert oct(folder.stat().st_mode & 0o777) == "0o700"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert read_status(path, clock)["exists"]
    clock.advance(HEARTBEAT)
    assert status.maybe_write() and made == [folder, folder]


def test_a_writer_told_another_daemon_runs_with_the_file_never_writes_it_again(
        tmp_path) -> None:
    """A second daemon that started while the runtime folder was gone, found to be the one to
    stop: its last words in the file would have been "running" (pid dead: "stopped
    unexpectedly" in `sitwatch status`) or "stopped", both of the daemon that runs on."""
    clock = ManualClock()
    path = tmp_path / "status.json"
    w = StatusWriter(path, clock, pid=4242)
    asked = []
    w.may_write = lambda: asked.append(1) is None and len(asked) < 3
    assert w.write() and w.write()
    path.write_text('{"pid": 1, "running": true}')  # the daemon that runs on, writing it
    assert not w.write() and w.handed_over
    clock.advance(HEARTBEAT)
    assert not w.maybe_write()
    w.close()
    assert json.loads(path.read_text()) == {"pid": 1, "running": True}
    assert len(asked) == 3  # not asked again once it said no
