"""Two `sitwatch run` started at the same moment (a login's service and a terminal, a double
click on a launcher): before either had written a status file, both found none and both ran,
sharing the history and the status file, and taking the MQTT client id from each other every
second. The lock beside the status file lets one run; the other says who runs and exits 1."""

from __future__ import annotations

import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from sitwatch.core.clock import ManualClock
from sitwatch.history.store import Store
from tests.helpers.cli import scratch_env
from tests.helpers.virtual_cushion import Processes, wait_status

pytestmark = pytest.mark.integration


def test_two_daemons_started_together_one_runs_the_other_says_who(tmp_path: Path) -> None:
    env = scratch_env(tmp_path)
    status = tmp_path / "status.json"
    cfg = tmp_path / "sitwatch.toml"
    link = tmp_path / "cushion"
    db = tmp_path / "history.sqlite"
    cfg.write_text(f'[cushion]\nport = "{link}"\nlayout = "smartchair-12"\n'
                   f'[status]\nfile = "{status}"\n[history]\ndatabase = "{db}"\n'
                   "[nudges.dnd]\nenabled = false\n")
    Store(db, ManualClock()).close()
    with Processes(env) as procs:
        procs.cushion(link, speed=1)
        # the history held by another program for a moment: a daemon's start (its first run
        # row) waits for it, so neither has written a status when the other looks for one
        holder = sqlite3.connect(db, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        both = [procs.start("run", "--headless", "--config", str(cfg), stderr=subprocess.PIPE)
                for _ in range(2)]
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline and all(p.poll() is None for p in both):
            time.sleep(0.1)
        holder.execute("COMMIT")
        holder.close()
        ended = []
        for p in both:
            try:
                p.wait(15)
                ended.append(p)
            except subprocess.TimeoutExpired:
                pass
        assert len(ended) == 1, "both daemons ran" if not ended else "neither ran"
        [loser] = ended
        [winner] = [p for p in both if p is not loser]
        assert loser.returncode == 1
        said = loser.stderr.read()  # type: ignore[union-attr]
        assert f"sitwatch is already running (pid {winner.pid}, status in {status})" in said, said
        assert "Traceback" not in said, said
        d = wait_status(status, lambda d: d.get("sensor", {}).get("frames"))
        assert d.get("pid") == winner.pid
