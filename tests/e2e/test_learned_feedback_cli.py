"""`sitwatch feedback wrong learned` through the real command: with no daemon it changes the
profile on disk itself; with the daemon running (`sitwatch run` on a pty) the daemon forgets the
way, keeps it rejected in the profile and answers the command. `reset learned` undoes it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from sitwatch.sensing import calibration, layout
from tests.e2e.test_end_to_end import env_for, read_events
from tests.unit.sensing.test_baseline_modes import UPRIGHT, away_frame

CHAIR = layout.load("smartchair-12")
PROFILE = "calibration-smartchair-12.json"


def profile_with_ways(ways: int) -> calibration.Profile:
    """A calibration against the backrest and the ways of sitting clear of it kept from an
    earlier day (readings; a tare of zeros, so loads and readings are the same)."""
    prof = calibration.from_arrays(CHAIR, tare=np.zeros(12), upright=UPRIGHT, method="recording")
    first = [round(float(v), 2) for v in away_frame(0.3)]
    second = [round(float(v), 2) for v in away_frame(0.0)]
    prof.learned = calibration.Learned(upright_away=first,
                                       upright_away2=second if ways > 1 else None)
    return prof


def sitwatch(env: dict[str, str], cfg: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sitwatch", "--no-user-config", "--config",
                           str(cfg), *args], env=env, capture_output=True, text=True, timeout=60)


def test_without_a_daemon_the_command_changes_the_profile_and_reset_undoes_it(
        tmp_path: Path) -> None:
    env = env_for(tmp_path)
    cfg = tmp_path / "c.toml"
    cfg.write_text('[cushion]\nlayout = "smartchair-12"\n')
    path = tmp_path / "data" / "sitwatch" / PROFILE
    path.parent.mkdir(parents=True)
    profile_with_ways(2).save(path)
    second = calibration.load(path).learned.upright_away2  # type: ignore[union-attr]

    out = sitwatch(env, cfg, "feedback", "wrong", "learned")
    assert out.returncode == 0, out.stderr
    assert "forgotten and will not be learned again (1 of 3" in out.stdout
    assert "sitwatch is not running" in out.stdout
    got = calibration.load(path).learned
    assert got is not None and got.ways == 1 and got.rejected == [second]  # the last one
    assert path.stat().st_mode & 0o777 == 0o600

    assert sitwatch(env, cfg, "feedback", "wrong", "way").returncode == 0  # an alias
    got = calibration.load(path).learned
    assert got is not None and got.ways == 0 and len(got.rejected) == 2
    feedback = path.parent / "feedback-smartchair-12.json"
    answers = json.loads(feedback.read_text())["log"]
    nothing = sitwatch(env, cfg, "feedback", "wrong", "learned")
    assert nothing.returncode == 2, nothing  # nothing to answer, as with no nudge shown
    assert "nothing to forget" in nothing.stderr and nothing.stdout == ""
    assert json.loads(feedback.read_text())["log"] == answers  # an answer about nothing: not kept

    shown = sitwatch(env, cfg, "feedback", "show")
    assert "learned way of sitting: 2 of 3 rejected" in shown.stdout, shown.stdout
    doctor = sitwatch(env, cfg, "doctor")
    assert "2 learned ways you answered \"Not right\" to" in doctor.stdout, doctor.stdout

    undo = sitwatch(env, cfg, "feedback", "reset", "learned")
    assert undo.returncode == 0 and "may be learned again" in undo.stdout
    assert calibration.load(path).learned is None  # nothing learned, nothing rejected
    assert json.loads((path.parent / "feedback-smartchair-12.json").read_text())["steps"] == {}


def test_with_nothing_learned_the_answer_is_refused_and_not_recorded(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    cfg = tmp_path / "c.toml"
    cfg.write_text('[cushion]\nlayout = "smartchair-12"\n')
    data = tmp_path / "data" / "sitwatch"
    data.mkdir(parents=True)
    calibration.from_arrays(CHAIR, tare=np.zeros(12), upright=UPRIGHT,
                            method="recording").save(data / PROFILE)  # calibrated, none learned
    from sitwatch.core.clock import SystemClock
    from sitwatch.history.store import Store

    Store(data / "history.sqlite", SystemClock()).close()

    out = sitwatch(env, cfg, "feedback", "wrong", "learned")
    assert out.returncode == 2, out
    assert out.stderr.startswith("sitwatch: nothing to forget: sitwatch has learned no way")
    assert not (data / "feedback-smartchair-12.json").exists()
    import sqlite3

    con = sqlite3.connect(data / "history.sqlite")
    assert con.execute("SELECT COUNT(*) FROM feedback").fetchone() == (0,)
    shown = sitwatch(env, cfg, "feedback", "show")
    assert "Recent" not in shown.stdout, shown.stdout


class Chair:
    """A 12-sensor chair on a pty, sending one frame 10 times a second."""

    def __init__(self, frame: np.ndarray) -> None:
        import pty

        self.master, self.slave = pty.openpty()
        self.port = os.ttyname(self.slave)
        self.line = (",".join(f"{v:g}" for v in frame) + "\n").encode()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                os.write(self.master, self.line)
            except OSError:
                return
            self._stop.wait(0.1)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        os.close(self.master)
        os.close(self.slave)


@pytest.mark.integration
def test_the_running_daemon_forgets_the_way_and_keeps_it_rejected(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    path = tmp_path / "data" / "sitwatch" / PROFILE
    path.parent.mkdir(parents=True)
    profile_with_ways(1).save(path)
    chair = Chair(UPRIGHT)
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[cushion]\nport = "{chair.port}"\nlayout = "smartchair-12"\n'
                   "[nudges.dnd]\nenabled = false\n[status]\ninterval = 0.5\n")
    daemon = subprocess.Popen([sys.executable, "-m", "sitwatch", "--no-user-config", "--config",
                               str(cfg), "run", "--headless", "--json"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        evs = read_events(daemon, lambda g: any(e["event"] == "occupancy" for e in g),
                          time.monotonic() + 30)
        assert evs, daemon.stderr.read1().decode() if daemon.poll() is not None else "no events"
        said = sitwatch(env, cfg, "feedback", "wrong", "learned")
        assert said.returncode == 0, said.stderr
        assert "forgotten and will not be learned again" in said.stdout
        assert "not running" not in said.stdout
        evs = read_events(daemon, lambda g: any(e["event"] == "calibration" for e in g),
                          time.monotonic() + 10)
        (dropped,) = [e for e in evs if e["event"] == "calibration"]
        assert (dropped["state"], dropped["ways"], dropped["rejected"]) == ("learned", 0, 1)
        kept = calibration.load(path).learned
        assert kept is not None and kept.ways == 0 and len(kept.rejected) == 1
        # a second answer finds nothing left to forget: refused, and not recorded below
        status = Path(env["XDG_RUNTIME_DIR"]) / "sitwatch" / "status.json"
        deadline = time.monotonic() + 10
        while json.loads(status.read_text())["calibration"]["learned"] != 0:
            assert time.monotonic() < deadline, status.read_text()
            time.sleep(0.05)  # the daemon writes the status right after the event
        again = sitwatch(env, cfg, "feedback", "wrong", "learned")
        assert again.returncode == 2 and "nothing to forget" in again.stderr, again
        # the answer is in the history too
        daemon.terminate()
        assert daemon.wait(15) == 0
        import sqlite3

        con = sqlite3.connect(tmp_path / "data" / "sitwatch" / "history.sqlite")
        assert con.execute("SELECT kind, action, steps, applied, source FROM feedback"
                           ).fetchall() == [("learned", "wrong", 1, 1, "cli")]
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait(5)
        chair.close()


@pytest.mark.integration
def test_a_profile_named_with_run_calibration_is_not_changed_once_the_daemon_stopped(
        tmp_path: Path) -> None:
    """`sitwatch run --calibration mine.json` never writes mine.json; the status file named it,
    and `feedback wrong learned` with no daemon running then changed it on disk. Now it is
    refused (exit 2, one line saying why and what to do) and the file stays as it was; a reset
    of every kind resets the thresholds and leaves the file alone too."""
    env = env_for(tmp_path)
    mine = tmp_path / "mine.json"
    profile_with_ways(1).save(mine)
    before = mine.read_bytes()
    chair = Chair(UPRIGHT)
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[cushion]\nport = "{chair.port}"\nlayout = "smartchair-12"\n'
                   "[nudges.dnd]\nenabled = false\n[status]\ninterval = 0.5\n")
    daemon = subprocess.Popen([sys.executable, "-m", "sitwatch", "--no-user-config", "--config",
                               str(cfg), "run", "--headless", "--json", "--calibration",
                               str(mine)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        evs = read_events(daemon, lambda g: any(e["event"] == "occupancy" for e in g),
                          time.monotonic() + 30)
        assert evs, daemon.stderr.read1().decode() if daemon.poll() is not None else "no events"
        daemon.terminate()
        assert daemon.wait(15) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait(5)
        chair.close()
    for action in ("wrong", "reset"):
        out = sitwatch(env, cfg, "feedback", action, "learned")
        assert out.returncode == 2, out
        assert len(out.stderr.splitlines()) == 1 and "Traceback" not in out.stderr, out.stderr
        assert f"would change {mine}, which the last `sitwatch run --calibration` only read" \
            in out.stderr and f'calibration.profile = "{mine}"' in out.stderr, out.stderr
        assert mine.read_bytes() == before
    out = sitwatch(env, cfg, "feedback", "reset")
    assert out.returncode == 0, out
    assert mine.read_bytes() == before
