"""A new user's first hour, the real `sitwatch` command in a fresh home: what one command
advises, the next one takes."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.cli import scratch_env

pytestmark = pytest.mark.integration


def _sitwatch(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "sitwatch", *argv, "--no-user-config"],
                          capture_output=True, text=True, timeout=120, env=env)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def test_feedback_wrong_before_any_nudge_advises_a_command_that_works(tmp_path: Path) -> None:
    """`sitwatch feedback wrong` with no posture nudge yet said "name the kind: `sitwatch
    feedback wrong KIND`", and `sitwatch feedback wrong slouch` then refused: a kind not shown
    lately needs --force."""
    env = scratch_env(tmp_path)
    first = _sitwatch(env, "feedback", "wrong")
    assert first.returncode == 2, first.stderr
    advised = re.search(r"`(sitwatch feedback wrong KIND[^`]*)` \(([^)]*)\)", first.stderr)
    assert advised, first.stderr
    kinds = advised.group(2).split(", ")
    assert "slouch" in kinds and "learned" not in kinds  # learned is said apart
    command = advised.group(1).replace("KIND", "slouch").split()[1:]
    second = _sitwatch(env, *command)
    assert second.returncode == 0, second.stderr
    assert "slouching" in second.stdout, second.stdout
    # the options every command takes, after the subcommand as after any other command
    shown = _sitwatch(env, "feedback", "show", "--json")
    assert shown.returncode == 0, shown.stderr
    assert '"slouch"' in shown.stdout
