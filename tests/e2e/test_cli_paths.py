"""Paths on the command line, as a user gets them wrong: an input file that is missing or a
folder, an output that names a folder. Each was a Python traceback (FileNotFoundError,
IsADirectoryError) or an error naming a temporary file the user never saw; now each is one line
naming the user's own flag and path, exit 2. `sitwatch export -o FOLDER` writes its
default-named files inside the folder instead of beside it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from tests.e2e.test_cli_edges import _fresh_home

pytestmark = pytest.mark.integration


def _sitwatch(*argv: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sitwatch", *argv, "--no-user-config"],
                          capture_output=True, text=True, timeout=60, env={**os.environ, **env})


def _recording(tmp_path: Path, env: dict[str, str]) -> Path:
    rec = tmp_path / "day.rec"
    proc = _sitwatch("simulate", "--layout", "load-cells-4", "--script", "demo", "--hz", "1",
                     "--duration", "120", "-o", str(rec), env=env)
    assert proc.returncode == 0, proc.stderr
    return rec


def _fails_clearly(proc: subprocess.CompletedProcess[str], *words: str) -> None:
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 2, proc.stderr
    for w in words:
        assert w in proc.stderr, proc.stderr


def test_a_recording_that_is_missing_or_a_folder(tmp_path: Path) -> None:
    env = _fresh_home(tmp_path)
    missing = tmp_path / "nonexist.csv"
    for argv, said in [
        (("calibrate", "--recording", str(missing), "--layout", "smartchair-12", "--upright",
          "20:300"), f"--recording {missing}: no such file"),
        (("calibrate", "--recording", str(tmp_path), "--layout", "smartchair-12", "--upright",
          "20:300"), f"--recording {tmp_path}: is a folder, not a recording"),
        (("calibrate", "camera", "--recording", str(missing), "--upright", "1:5"),
         f"--recording {missing}: no such file"),
        (("replay", str(missing)), f"{missing}: no such file"),
    ]:
        _fails_clearly(_sitwatch(*argv, env=env), said)


def test_an_output_that_is_a_folder(tmp_path: Path) -> None:
    env = _fresh_home(tmp_path)
    rec = _recording(tmp_path, env)
    folder = tmp_path / "out"
    folder.mkdir()
    for argv, flag in [
        (("calibrate", "--recording", str(rec), "--upright", "20:100"), "-o"),
        (("simulate", "--duration", "10"), "-o"),
        (("record", "--port", "/dev/ttyNOPE", "--duration", "3"), "-o"),
        (("model", "fetch", "--url", "file:///dev/null"), "-o"),
    ]:
        proc = _sitwatch(*argv, flag, str(folder), env=env)
        _fails_clearly(proc, f"{flag} {folder}: is a folder: name the file to write, e.g. "
                       f"{folder}/")
    assert list(folder.iterdir()) == []
    link = _sitwatch("simulate", "--duration", "10", "--link", str(folder), env=env)
    _fails_clearly(link, f"--link {folder}: is a folder, not a symlink")


def test_report_output_and_history_paths(tmp_path: Path) -> None:
    env = _fresh_home(tmp_path)
    hist = tmp_path / "history.sqlite"
    assert _sitwatch("log", "ache", "--history", str(hist), env=env).returncode == 0
    folder = tmp_path / "out"
    folder.mkdir()
    proc = _sitwatch("report", "--history", str(hist), "-o", str(folder), env=env)
    _fails_clearly(proc, f"-o {folder}: is a folder", f"{folder}/sitwatch-day-")
    proc = _sitwatch("report", "--history", str(hist), "--html", str(folder), env=env)
    _fails_clearly(proc, f"--html {folder}: is a folder", f"{folder}/sitwatch-week-")
    for command in ("report", "export"):
        extra = ("--since", "2026-01-01", "--json") if command == "export" else ()
        proc = _sitwatch(command, *extra, "--history", str(folder), env=env)
        _fails_clearly(proc, f"--history {folder}: is a folder, not a history file")
        proc = _sitwatch(command, *extra, "--history", str(tmp_path / "nope.sqlite"), env=env)
        _fails_clearly(proc, f"--history {tmp_path / 'nope.sqlite'}: no such file")


def test_export_into_a_folder_writes_the_default_names_there(tmp_path: Path) -> None:
    """`export --csv -o /tmp/` wrote /tmp-minutes.csv (beside the folder, in /); `--json -o
    /tmp` failed naming a hidden temporary file."""
    env = _fresh_home(tmp_path)
    hist = tmp_path / "history.sqlite"
    since = date.today().isoformat()
    assert _sitwatch("log", "ache", "--history", str(hist), env=env).returncode == 0
    folder = tmp_path / "exports"
    folder.mkdir()
    today = date.today().isoformat()  # since's next day if midnight passed meanwhile
    name = f"sitwatch-export-{since}-{today}"
    days = ["--since", since, "--until", today]  # (both written: the name says both)
    csv = _sitwatch("export", *days, "--csv", "-o", f"{folder}/", "--history",
                    str(hist), env=env)
    assert csv.returncode == 0, csv.stderr
    js = _sitwatch("export", *days, "--json", "-o", str(folder), "--history",
                   str(hist), env=env)
    assert js.returncode == 0, js.stderr
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [f"{name}-events.csv", f"{name}-minutes.csv", f"{name}-symptoms.csv", f"{name}.json"])
    assert json.loads((folder / f"{name}.json").read_text())["symptoms"][0]["kind"] == "ache"
    assert f"wrote {folder / name}-minutes.csv" in csv.stdout
    assert not list(tmp_path.glob("exports-*"))  # nothing beside the folder
    gone = tmp_path / "gone"
    proc = _sitwatch("export", "--since", today, "--json", "-o", f"{gone}/", "--history",
                     str(hist), env=env)
    _fails_clearly(proc, f"-o {gone}/: no such folder")
    assert "-o FILE" in _sitwatch("export", "--help", env=env).stdout
    assert "A folder: the default-named" in " ".join(
        _sitwatch("export", "--help", env=env).stdout.split())


def test_a_folder_without_images_is_not_taken_for_a_camera_recording(tmp_path: Path) -> None:
    """It was replayed as a camera's image folder and asked for the pose model."""
    folder = tmp_path / "somedir"
    folder.mkdir()
    (folder / "notes.txt").write_text("hello\n")
    env = _fresh_home(tmp_path)
    proc = _sitwatch("replay", str(folder), env=env)
    assert proc.returncode == 2
    assert f"{folder}: is a folder without camera images" in proc.stderr
    assert "pose model" not in proc.stderr
    cal = _sitwatch("calibrate", "camera", "--recording", str(folder), "--upright", "1:5",
                    env=env)
    assert cal.returncode == 2
    assert f"--recording {folder}: is a folder without camera images" in cal.stderr


def test_a_private_file_over_a_folder_names_the_folder(tmp_path: Path) -> None:
    """write_private renamed its temporary file onto the folder, and the error named the
    temporary file (/.tmp.mk5tt26l.tmp), not the path the user gave."""
    from sitwatch.core.private import write_private

    with pytest.raises(IsADirectoryError) as caught:
        write_private(tmp_path, "x")
    assert caught.value.filename == str(tmp_path)
    assert list(tmp_path.iterdir()) == []
