"""A recording of the simulator never becomes your cushion's calibration, through the real
commands in a fresh home. Before, `sitwatch simulate -o rec.csv` then `sitwatch calibrate
--recording rec.csv` saved a simulated sitter as the real profile without a word, and told a
user whose daemon watched the simulator to restart it to use a profile it would never read.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.cli import as_cushions, scratch_env
from tests.helpers.virtual_cushion import Processes, wait_status

pytestmark = pytest.mark.integration

RANGES = ("--empty", "0:20", "--upright", "30:90")  # the day script: empty, then upright


def _sitwatch(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "sitwatch", *argv, "--no-user-config"],
                          capture_output=True, text=True, timeout=120, env=env)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def _simulated(env: dict[str, str], path: Path) -> Path:
    done = _sitwatch(env, "simulate", "--duration", "120", "-o", str(path))
    assert done.returncode == 0, done.stderr
    return path


def test_a_simulated_recording_calibrates_the_simulator_not_your_cushion(
        tmp_path: Path) -> None:
    env = scratch_env(tmp_path)
    data = tmp_path / "data" / "sitwatch"
    real, sim = data / "calibration-smartchair-12.json", data / "simulated"
    rec = _simulated(env, tmp_path / "rec.csv")
    assert "source=simulate" in rec.read_text().splitlines()[0]

    done = _sitwatch(env, "calibrate", "--recording", str(rec), *RANGES)
    assert done.returncode == 0, done.stderr
    assert not real.exists()
    assert (sim / "calibration-smartchair-12.json").exists()
    assert ("rec.csv is a recording of sitwatch's simulator (its header says source=simulate), "
            "so the calibration goes to the simulator's profile and your cushion's, "
            f"{real}, is left alone (`-o FILE` saves it where you say).") in done.stdout
    # nothing runs: it names what does use it, not "the next start of sitwatch"
    assert ("sitwatch uses it while it watches the simulator: `sitwatch simulate --link "
            "/tmp/cushion --layout smartchair-12`, then `sitwatch run --port /tmp/cushion "
            "--layout smartchair-12`.") in done.stdout
    assert "when it starts" not in done.stdout
    # a replay of the same recording finds that profile, as `run` on the simulator does
    replay = _sitwatch(env, "replay", str(rec))
    assert f"calibration: {sim / 'calibration-smartchair-12.json'}" in replay.stderr

    # told so, it writes where it is told, the real profile too
    done = _sitwatch(env, "calibrate", "--recording", str(rec), *RANGES, "-o", str(real))
    assert done.returncode == 0, done.stderr
    assert real.exists() and "is a recording of sitwatch's simulator" not in done.stdout


def test_an_older_recording_without_the_mark_is_a_real_cushions(tmp_path: Path) -> None:
    env = scratch_env(tmp_path)
    rec = as_cushions(_simulated(env, tmp_path / "rec.csv"))  # as sitwatch wrote it before
    done = _sitwatch(env, "calibrate", "--recording", str(rec), *RANGES)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "data/sitwatch/calibration-smartchair-12.json").exists()
    assert not (tmp_path / "data/sitwatch/simulated").exists()
    assert "simulator" not in done.stdout


def test_with_a_daemon_on_the_simulator_the_advice_fits_what_runs(tmp_path: Path) -> None:
    """The daemon watching the simulator reads the simulator's profile: after calibrating your
    cushion from a real recording, restarting it would not use that; after calibrating from a
    simulated one, it would."""
    env = scratch_env(tmp_path)
    real_rec = as_cushions(_simulated(env, tmp_path / "real.csv"))  # as far as it can tell
    sim_rec = _simulated(env, tmp_path / "sim.csv")
    link = tmp_path / "cushion"
    status = tmp_path / "run" / "sitwatch" / "status.json"
    with Processes(env) as procs:
        procs.cushion(link, speed=1)
        daemon = procs.start("run", "--no-user-config", "--headless", "--port", str(link),
                             "--layout", "smartchair-12")
        # the first status may come before the daemon knows its profile file
        d = wait_status(status, lambda d: d.get("pid") == daemon.pid and d.get("profile_file"))
        assert d.get("pid") == daemon.pid, d
        ran = tmp_path / "data/sitwatch/simulated/calibration-smartchair-12.json"
        assert d.get("profile_file") == str(ran)

        mine = _sitwatch(env, "calibrate", "--recording", str(real_rec), *RANGES)
        assert mine.returncode == 0, mine.stderr
        assert (f"The sitwatch running now (pid {daemon.pid}) watches the simulator, which "
                f"keeps a calibration of its own ({ran}), so restarting it would not use this "
                "one: sitwatch uses it when it watches your cushion") in mine.stdout
        assert "start it again" not in mine.stdout

        theirs = _sitwatch(env, "calibrate", "--recording", str(sim_rec), *RANGES)
        assert theirs.returncode == 0, theirs.stderr
        assert f"calibration saved to {ran}." in theirs.stdout
        # ... with the command that watches the simulator again (a plain `sitwatch run`
        # watches the cushion in the config)
        assert (f"sitwatch is running (pid {daemon.pid}): stop it (Ctrl-C in its terminal, or "
                f"`kill {daemon.pid}`) and start it again with `sitwatch run --port {link} "
                "--layout smartchair-12` to use the new calibration") in theirs.stdout
