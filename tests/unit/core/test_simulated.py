"""Which ports sitwatch's simulator serves: the notes a running simulator leaves."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sitwatch.core import simulated


def test_a_running_simulators_port_and_its_link_are_simulated(tmp_path: Path) -> None:
    pty = tmp_path / "pts-7"
    pty.write_text("")
    link = tmp_path / "cushion"
    link.symlink_to(pty)
    assert not simulated.is_simulated(str(link))
    note = simulated.register(str(pty), str(link))
    try:
        assert note.stat().st_mode & 0o777 == 0o600
        # the folders it made on the way are owner-only too (the runtime dir's parent was 755)
        for folder in (note.parent, note.parent.parent):
            assert folder.stat().st_mode & 0o777 == 0o700, folder
        assert simulated.is_simulated(str(link)) and simulated.is_simulated(str(pty))
        assert not simulated.is_simulated(str(tmp_path / "ttyACM0"))
        assert not simulated.is_simulated("mqtt://broker/cushion")
        assert not simulated.is_simulated("")
    finally:
        simulated.unregister(note)
    assert not simulated.is_simulated(str(link))


def test_a_simulator_that_died_without_tidying_up_is_ignored(tmp_path: Path) -> None:
    pty = tmp_path / "pts-9"
    pty.write_text("")
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    d = simulated._dir()
    d.mkdir(parents=True, exist_ok=True)
    (d / "stale.json").write_text(json.dumps({"pid": int(gone.stdout), "pty": str(pty)}))
    (d / "garbage.json").write_text("{not json")
    assert not simulated.is_simulated(str(pty))
    (d / "mine.json").write_text(json.dumps({"pid": os.getpid(), "pty": str(pty)}))
    assert simulated.is_simulated(str(pty))
