"""The diary and the web app beside the real daemon: `sitwatch simulate` streams on a pty,
`sitwatch run` watches it and keeps its history, `sitwatch serve` shows its live state, and
`sitwatch log` writes an entry into the history the daemon holds open."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from sitwatch.core.clock import SystemClock
from sitwatch.history.diary import entries_between
from sitwatch.history.store import Store
from tests.e2e.test_end_to_end import calibrated_and_quick, env_for
from tests.helpers.virtual_cushion import Processes, wait_status

pytestmark = pytest.mark.integration
pytest.importorskip("starlette")
pytest.importorskip("uvicorn")


def test_log_and_serve_beside_the_running_daemon(tmp_path: Path) -> None:
    history = tmp_path / "data" / "sitwatch" / "history.sqlite"
    # the simulator stands in for a real cushion here: a history named in the config is the
    # one used (by default what is learned on the simulator is kept apart from yours)
    cal, cfg = calibrated_and_quick(tmp_path, f'[history]\ndatabase = "{history}"\n')
    env = env_for(tmp_path)
    link = tmp_path / "cushion"
    status_file = tmp_path / "run" / "sitwatch" / "status.json"
    with Processes(env) as procs:
        procs.cushion(link, speed=20)
        daemon = procs.start("run", "--no-user-config", "--config", str(cfg), "--port", str(link),
                             "--layout", "smartchair-12", "--calibration", str(cal), "--headless")
        d = wait_status(status_file, lambda d: d.get("pid") == daemon.pid
                        and d.get("occupancy") == "occupied" and history.exists())
        assert d.get("occupancy") == "occupied", d

        web = procs.start("serve", "--no-user-config", "--config", str(cfg), "--port", "0",
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert web.stdout is not None
        line = web.stdout.readline()
        assert line.startswith("sitwatch: serving on "), line
        base = line.split("serving on ", 1)[1].strip().rstrip("/")
        live = json.loads(urllib.request.urlopen(base + "/api/status", timeout=10).read())
        assert live["running"] is True and live["headline"].startswith("Occupied")

        log = subprocess.run(
            [sys.executable, "-m", "sitwatch", "log", "numbness", "--where", "saddle",
             "--no-user-config", "--config", str(cfg)],
            env=env, capture_output=True, text=True, timeout=60)
        assert log.returncode == 0, log.stderr
        assert log.stdout.startswith("!! PLEASE GET MEDICAL CARE NOW !!")
        assert "Logged at" in log.stdout
        assert daemon.poll() is None  # the daemon carried on

        diary = urllib.request.urlopen(base + "/diary", timeout=10).read().decode()
        assert "Numbness, saddle area" in diary and "Please get medical care now" in diary
    now = datetime.now().astimezone()
    store = Store(history, SystemClock(), readonly=True)
    try:
        (e,) = entries_between(store, now - timedelta(minutes=5), now + timedelta(minutes=1))
        runs = store.connection.execute("SELECT count(*) FROM runs").fetchone()[0]
    finally:
        store.close()
    assert (e.kind, e.area, e.source) == ("numbness", "saddle", "cli")
    assert runs == 1
