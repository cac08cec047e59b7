"""The last nudge across a restart, as the sitter meets it: `sitwatch run` on a cushion (a
pty), a nudge, the daemon stopped and started again on the same history, and the real
`sitwatch status`. It said "no nudges yet" after the restart while the web app's Today page,
read from the history, listed the day's nudges."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.virtual_cushion import Processes

pytestmark = pytest.mark.integration

SEATED = b"20000,21000,9000,9500\n"
EMPTY = b"40,35,30,45\n"


def _status(env: dict[str, str], cfg: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sitwatch", "status", *flags,
                           "--no-user-config", "--config", str(cfg)],
                          env=env, capture_output=True, text=True, timeout=60)


def _feed_until(master: int, line: bytes, status_file: Path, pred: Any,
                seconds: float = 40.0) -> dict[str, Any]:
    """Write ``line`` to the cushion's pty until the daemon's status file satisfies ``pred``;
    the status then."""
    deadline = time.monotonic() + seconds
    d: dict[str, Any] = {}
    while time.monotonic() < deadline:
        os.write(master, line)
        while select.select([master], [], [], 0.05)[0]:
            os.read(master, 4096)  # the pty's echo
        try:
            d = json.loads(status_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if pred(d):
            return d
    raise AssertionError(f"the status never got there: {d}")


def test_the_last_nudge_survives_a_restart(tmp_path: Path, serial_pty) -> None:
    master, port = serial_pty
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        f'[cushion]\nport = "{port}"\nlayout = "load-cells-4"\n'
        '[detect]\nsit_limit = 3\n[detect.occupancy]\nenter_dwell = 0.2\nexit_dwell = 0.2\n'
        '[calibration]\nauto = true\n[status]\ninterval = 0.5\n[nudges.dnd]\nenabled = false\n',
        encoding="utf-8")
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "d"), XDG_RUNTIME_DIR=str(tmp_path / "r"),
               XDG_STATE_HOME=str(tmp_path / "s"), XDG_CONFIG_HOME=str(tmp_path / "c"))
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    status_file = tmp_path / "r" / "sitwatch" / "status.json"
    run = ("run", "--no-user-config", "--config", str(cfg), "--headless")
    with Processes(env) as procs:
        first = procs.start(*run)
        # sat on past the 3 s limit: the time-to-move nudge; then on a little, so that a time
        # stamped anew at the restart could not pass for the nudge's own
        shown = _feed_until(master, SEATED, status_file, lambda d: d.get("pid") == first.pid
                            and "prolonged_sitting" in (d.get("nudges") or {}))
        nudge = shown["nudges"]["prolonged_sitting"]
        at = datetime.fromisoformat(nudge["at"])
        _feed_until(master, SEATED, status_file, lambda d: d.get("pid") == first.pid and (
            datetime.fromisoformat(d["updated"]) - at).total_seconds() >= 3)
        first.terminate()
        assert first.wait(15) == 0

        second = procs.start(*run)
        # the seat empty now: the first daemon's nudge is the only one of the day
        _feed_until(master, EMPTY, status_file, lambda d: d.get("pid") == second.pid
                    and d.get("occupancy") == "empty")
        st = _status(env, cfg, "--json")
        text = _status(env, cfg)
    assert st.returncode == 0, st.stderr
    d = json.loads(st.stdout)
    assert d["running"] and d["pid"] == second.pid
    after = d["nudges"]["prolonged_sitting"]
    # the same nudge, at its own time (to the second; the history stamps it as it is stored)
    assert abs((datetime.fromisoformat(after["at"]) - at).total_seconds()) <= 1, (after, nudge)
    assert (after["title"], after["message"]) == (nudge["title"], nudge["message"])
    assert datetime.fromisoformat(after["at"]) < datetime.fromisoformat(d["started"])
    assert text.returncode == 0, text.stderr
    assert "no nudges yet" not in text.stdout
    assert "last nudge: time to move" in text.stdout, text.stdout
