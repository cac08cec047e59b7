"""Where sitwatch cannot write what a command makes (a file stands where its folder belongs, a
folder nobody can write in): the real `sitwatch` command says which file and what to do, and
never shows a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.cli import as_cushions, scratch_env

pytestmark = pytest.mark.integration

# A folder no one can create anything in, whoever runs the tests (root too).
NO_FOLDER_HERE = Path("/proc/sitwatch-test")


def _sitwatch(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "sitwatch", *argv, "--no-user-config"],
                          capture_output=True, text=True, timeout=120, env=env)
    assert "Traceback" not in done.stderr, done.stderr
    return done


@pytest.fixture(scope="module")
def cushion_rec(tmp_path_factory) -> Path:
    """A day of the virtual cushion as a recording of a real one."""
    tmp = tmp_path_factory.mktemp("rec")
    rec = tmp / "day.rec"
    done = _sitwatch(scratch_env(tmp), "simulate", "--layout", "technion-5", "--script", "demo",
                     "-o", str(rec))
    assert done.returncode == 0, done.stderr
    return as_cushions(rec)


def test_calibrate_when_the_data_folder_is_a_file_says_so_before_anything(tmp_path,
                                                                         cushion_rec) -> None:
    """It calibrated, then showed a NotADirectoryError traceback at the save: the profile's
    folder, `~/.local/share/sitwatch`, was a file."""
    env = scratch_env(tmp_path)
    blocker = Path(env["XDG_DATA_HOME"]) / "sitwatch"
    blocker.write_text("not a folder\n", encoding="utf-8")
    done = _sitwatch(env, "calibrate", "--recording", str(cushion_rec), "--upright", "60:120")
    assert done.returncode == 2, done.stderr
    line = done.stderr.strip()
    assert len(line.splitlines()) == 1, line
    assert str(blocker / "calibration-technion-5.json") in line, line
    assert f"{blocker} is a file, not a folder" in line and "-o FILE" in line, line
    assert blocker.read_text(encoding="utf-8") == "not a folder\n"
    # the same calibration goes where -o says
    out = tmp_path / "mine.json"
    ok = _sitwatch(env, "calibrate", "--recording", str(cushion_rec), "--upright", "60:120",
                   "-o", str(out))
    assert ok.returncode == 0, ok.stderr
    assert out.is_file()


def test_calibrate_into_a_folder_that_cannot_be_made_names_the_file(tmp_path,
                                                                    cushion_rec) -> None:
    """-o in a folder that cannot be created: a FileNotFoundError traceback at the save."""
    env = scratch_env(tmp_path)
    dest = NO_FOLDER_HERE / "c.json"
    done = _sitwatch(env, "calibrate", "--recording", str(cushion_rec), "--upright", "60:120",
                     "-o", str(dest))
    assert done.returncode == 1, done.stderr
    line = done.stderr.strip().splitlines()[-1]
    assert line.startswith(f"sitwatch: cannot save the calibration to {dest}: "), line
    assert "nothing was saved" in line, line


@pytest.mark.parametrize("where", ["blocked", "folder"])
def test_demo_history_where_no_file_can_be_is_one_line(tmp_path, where) -> None:
    """`sitwatch demo --history FILE` under a file, or naming a folder: a StoreError traceback
    after the demo's first lines."""
    env = scratch_env(tmp_path)
    blocker = tmp_path / "notes"
    if where == "blocked":
        blocker.write_text("mine\n", encoding="utf-8")
        history, says = blocker / "demo.sqlite", f"{blocker} is a file, not a folder"
    else:
        blocker.mkdir()
        history, says = blocker, "is a folder"
    done = _sitwatch(env, "demo", "--plain", "--script", "demo", "--history", str(history))
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"sitwatch: --history {history}: "), done.stderr
    assert says in done.stderr
    assert done.stdout == ""  # refused before the demo began


def test_demo_history_in_a_folder_that_cannot_be_made_says_so(tmp_path) -> None:
    env = scratch_env(tmp_path)
    history = NO_FOLDER_HERE / "demo.sqlite"
    done = _sitwatch(env, "demo", "--plain", "--script", "demo", "--history", str(history))
    assert done.returncode == 1, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(f"sitwatch: cannot use the history database {history}"), last
