"""`--history FILE` naming a file that is no history at all (a note, a report), given to a
command that writes one: the real `sitwatch` command refuses and leaves the file as it was.
Before, the store took it for a damaged history: the file was renamed to
`FILE.corrupt-DATE` and a fresh database put under its name, and the command went on."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.cli import scratch_env

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("argv", [("log", "pain"), ("demo", "--plain", "--script", "demo")])
def test_a_file_that_is_no_history_is_left_alone(tmp_path: Path, argv) -> None:
    env = scratch_env(tmp_path)
    notes = tmp_path / "notes.html"
    notes.write_text("<p>my notes</p>\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "sitwatch", *argv, "--history", str(notes),
                           "--no-user-config"], capture_output=True, text=True, timeout=120,
                          env=env)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 2, done.stderr
    line = done.stderr.strip().splitlines()[-1]
    assert line.startswith(f"sitwatch: --history {notes}: not a sitwatch history"), line
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("notes")) == \
        ["notes.html"]
    assert notes.read_text(encoding="utf-8") == "<p>my notes</p>\n"
    assert done.stdout == "" or argv[0] == "log"  # the demo did not start


def test_a_new_file_is_still_made_a_history(tmp_path: Path) -> None:
    env = scratch_env(tmp_path)
    hist = tmp_path / "diary.sqlite"
    done = subprocess.run([sys.executable, "-m", "sitwatch", "log", "ache", "--history",
                           str(hist), "--no-user-config"], capture_output=True, text=True,
                          timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    assert hist.read_bytes().startswith(b"SQLite format 3\x00")
