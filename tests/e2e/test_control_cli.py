"""`sitwatch snooze|pause|resume` as a user types them: with no daemon running, `snooze 10m`
said "(sitwatch keeps watching)" although nothing was watching; `snooze -5m` got argparse's
"the following arguments are required: duration"; with one running, `sitwatch status` right
after `pause` could still say it was watching (the daemon takes the change up on its next look
at the control file, up to a second later)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


def _sitwatch(*argv: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(tmp_path / "home"),
           "XDG_RUNTIME_DIR": str(tmp_path / "run")}
    return subprocess.run([sys.executable, "-m", "sitwatch", *argv, "--no-user-config"],
                          capture_output=True, text=True, timeout=60, env=env)


def test_snooze_without_a_daemon_says_so_and_keeps_it(tmp_path) -> None:
    proc = _sitwatch("snooze", "10m", tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "keeps watching" not in proc.stdout
    assert "sitwatch is not running now, so the snooze is kept and applies if it starts " \
           "before then" in proc.stdout
    ctl = json.loads((tmp_path / "run/sitwatch/control.json").read_text())
    assert ctl.get("snoozed_until")  # kept for the daemon to read when it starts
    pause = _sitwatch("pause", tmp_path=tmp_path)
    assert "sitwatch is not running now, so the pause is kept" in pause.stdout


def test_snooze_with_a_daemon_running_says_it_keeps_watching(tmp_path) -> None:
    from datetime import UTC, datetime

    run = tmp_path / "run/sitwatch"
    run.mkdir(parents=True)
    now = datetime.now(UTC).isoformat()
    (run / "status.json").write_text(json.dumps({"pid": os.getpid(), "started": now,
                                                 "updated": now}))
    proc = _sitwatch("snooze", "10m", tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.rstrip().endswith("(sitwatch keeps watching)")


@pytest.mark.parametrize("argv", [("snooze", "-5m"), ("snooze", "-5"), ("pause", "-1h")])
def test_a_negative_duration_is_a_clear_error(tmp_path, argv: tuple[str, str]) -> None:
    proc = _sitwatch(*argv, tmp_path=tmp_path)
    assert proc.returncode == 2
    assert f"{argv[0]} {argv[1]}: a duration counts from now, so it cannot be negative" \
        in proc.stderr
    assert "required" not in proc.stderr
    assert not (tmp_path / "run/sitwatch/control.json").exists()


def test_status_right_after_pause_snooze_resume_agrees_with_the_command(tmp_path) -> None:
    """The real daemon on the simulator and real commands, no waiting in the test: each
    command returns once the daemon shows what it said, so the status file `sitwatch status`
    reads agrees the moment the command is back (it lagged up to a second behind)."""
    from tests.helpers.cli import scratch_env
    from tests.helpers.virtual_cushion import Processes, wait_status

    env = scratch_env(tmp_path)
    link = tmp_path / "cushion"
    status_file = tmp_path / "run/sitwatch/status.json"

    def sitwatch(*argv: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([sys.executable, "-m", "sitwatch", *argv, "--no-user-config"],
                              capture_output=True, text=True, timeout=60, env=env)
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
        assert "not taken it up" not in done.stderr
        return done

    def shown() -> tuple[object, object]:  # read the moment the command returned
        d = json.loads(status_file.read_text())
        return d.get("paused"), d.get("snoozed")

    with Processes(env) as procs:
        procs.cushion(link, speed=1)
        daemon = procs.start("run", "--no-user-config", "--headless", "--port", str(link),
                             "--layout", "smartchair-12")
        d = wait_status(status_file, lambda d: d.get("pid") == daemon.pid)
        assert d.get("pid") == daemon.pid, d
        for _ in range(2):
            assert sitwatch("pause").stdout.startswith("paused until `sitwatch resume`")
            assert shown() == ("forever", None)
            assert sitwatch("status").stdout.startswith("PAUSED until you resume")
            sitwatch("resume")
            assert shown() == (None, None)
            assert sitwatch("snooze", "10m").stdout.startswith("nudges snoozed until")
            paused, snoozed = shown()
            assert paused is None and snoozed, (paused, snoozed)
            assert "nudges snoozed until" in sitwatch("status").stdout
            sitwatch("resume")
            assert shown() == (None, None)
