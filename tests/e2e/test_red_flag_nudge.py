"""A red flag typed into `sitwatch log` while the daemon runs reaches the desktop through the
daemon: `sitwatch simulate` streams on a pty, `sitwatch run` (not headless) watches it and shows
notifications on a real dunst (a private D-Bus session under Xvfb), `sitwatch log numbness
--where saddle` runs in another process, and the seek-care advice is read back from dunst."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from sitwatch.reports.diary import SEEK_CARE_HEAD
from tests.e2e.test_end_to_end import calibrated_and_quick, env_for
from tests.helpers.virtual_cushion import Processes, wait_status

pytestmark = pytest.mark.integration


def test_sitwatch_log_saddle_numbness_pops_up_through_the_daemon(tmp_path: Path, dunst) -> None:
    history = tmp_path / "data" / "sitwatch" / "history.sqlite"
    # the simulator stands in for a real cushion here: a history named in the config is the
    # one used (by default what is learned on the simulator is kept apart from yours)
    cal, cfg = calibrated_and_quick(tmp_path, f'[history]\ndatabase = "{history}"\n')
    env = env_for(tmp_path)  # our own XDG folders; dunst's display and session bus
    env.update(DISPLAY=dunst.env["DISPLAY"],
               DBUS_SESSION_BUS_ADDRESS=dunst.env["DBUS_SESSION_BUS_ADDRESS"])
    link = tmp_path / "cushion"
    status_file = tmp_path / "run" / "sitwatch" / "status.json"
    daemon_log = (tmp_path / "daemon.log").open("w")
    with Processes(env) as procs:
        procs.cushion(link, speed=1)
        daemon = procs.start("run", "--no-user-config", "--config", str(cfg), "--port", str(link),
                             "--layout", "smartchair-12", "--calibration", str(cal),
                             stderr=daemon_log)

        # frames in the status file: a whole step has run, and every step looks at the
        # diary before it publishes, so the first look (old entries: none) is behind us
        def stepped(d: dict[str, object]) -> bool:
            sensor = d.get("sensor")
            return d.get("pid") == daemon.pid and history.exists() \
                and isinstance(sensor, dict) and (sensor.get("frames") or 0) > 0

        d = wait_status(status_file, stepped)
        assert d.get("pid") == daemon.pid, d

        log = subprocess.run(
            [sys.executable, "-m", "sitwatch", "log", "numbness", "--where", "saddle",
             "--no-user-config", "--config", str(cfg)],
            env=env, capture_output=True, text=True, timeout=60)
        assert log.returncode == 0, log.stderr
        assert log.stdout.startswith("!! PLEASE GET MEDICAL CARE NOW !!")

        deadline = time.monotonic() + 20
        shown: list[dict[str, object]] = []
        while time.monotonic() < deadline and not shown:
            shown = [n for n in dunst.wait_history(1, timeout=1)
                     if n.get("summary") == SEEK_CARE_HEAD]
        assert daemon.poll() is None  # the daemon carried on
    daemon_log.close()
    assert len(shown) == 1, (dunst.history(), (tmp_path / "daemon.log").read_text()[-2000:])
    body = str(shown[0]["body"])
    assert "saddle area" in body and "doctor" in body
    assert shown[0]["appname"] == "sitwatch"
