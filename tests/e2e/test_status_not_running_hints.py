"""`sitwatch status` with no daemon running, as a new user meets it: it said "Start it with
`sitwatch run`" even when the config names no cushion port and no camera (then `sitwatch run`
stops at once: "nothing to watch"), and said nothing of a pause or snooze kept in the control
file that will still hold when the daemon starts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.cli import scratch_env

pytestmark = pytest.mark.integration


def _sitwatch(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sitwatch", *argv], capture_output=True,
                          text=True, timeout=60, env=env)


def test_status_with_nothing_to_watch_says_what_to_set(tmp_path: Path) -> None:
    env = scratch_env(tmp_path)
    before = _sitwatch(env, "status")  # no config file at all
    assert before.returncode == 3, before.stderr
    assert "`sitwatch config init`" in before.stdout
    assert "cushion.port" in before.stdout and "camera.device" in before.stdout
    assert "Start it with `sitwatch run`" not in before.stdout
    assert _sitwatch(env, "config", "init").returncode == 0
    cfg = tmp_path / "config/sitwatch/sitwatch.toml"
    after = _sitwatch(env, "status")  # the sample, which names no port
    assert after.returncode == 3, after.stderr
    assert f"set cushion.port (or camera.device) in {cfg}" in after.stdout
    assert "Start it with `sitwatch run`" not in after.stdout
    # the same command `sitwatch run` would refuse now agrees
    assert "nothing to watch" in _sitwatch(env, "run").stderr
    cfg.write_text(cfg.read_text().replace('port = ""', 'port = "/dev/ttyACM0"', 1))
    ready = _sitwatch(env, "status")
    assert "Start it with `sitwatch run`" in ready.stdout, ready.stdout
    assert "nothing to watch" not in ready.stdout
    assert "Traceback" not in before.stderr + after.stderr + ready.stderr


def test_status_names_a_kept_pause_or_snooze(tmp_path: Path) -> None:
    env = scratch_env(tmp_path)
    (tmp_path / "config/sitwatch").mkdir(parents=True)
    (tmp_path / "config/sitwatch/sitwatch.toml").write_text('[cushion]\nport = "/dev/ttyACM0"\n')
    assert "is kept" not in _sitwatch(env, "status").stdout
    assert _sitwatch(env, "snooze", "20m").returncode == 0
    out = _sitwatch(env, "status").stdout
    assert "A snooze is kept until " in out, out
    assert "`sitwatch resume` ends it" in out
    assert _sitwatch(env, "pause").returncode == 0
    out = _sitwatch(env, "status").stdout
    assert "A pause is kept until `sitwatch resume`" in out, out
    assert "A snooze is kept" in out  # a pause keeps the snooze
    assert _sitwatch(env, "resume").returncode == 0
    out = _sitwatch(env, "status").stdout
    assert "is kept" not in out, out
