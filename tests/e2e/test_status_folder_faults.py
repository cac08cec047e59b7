"""The running daemon's status folder turned read-only (a remount, a failing SD card), as a
user meets it: `sitwatch status` and `sitwatch doctor` say the daemon cannot update its status
file and why, not that it may be stuck (with advice to restart it); the daemon writes the file
again by itself once the folder is writable, and says so."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers.cli import scratch_env
from tests.helpers.virtual_cushion import Processes, wait_status

pytestmark = pytest.mark.integration


def sitwatch(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sitwatch", *argv], env=env,
                          capture_output=True, text=True, timeout=120)


def test_a_read_only_status_folder_is_named_not_called_stuck(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root for a read-only bind mount")
    env = scratch_env(tmp_path)
    folder = tmp_path / "st"
    folder.mkdir()
    status = folder / "status.json"
    cfg = tmp_path / "sitwatch.toml"
    link = tmp_path / "cushion"
    cfg.write_text(f'[cushion]\nport = "{link}"\nlayout = "smartchair-12"\n'
                   f'[status]\nfile = "{status}"\n[history]\nenabled = false\n'
                   "[nudges.dnd]\nenabled = false\n")
    mounted = False
    with Processes(env) as procs:
        procs.cushion(link, speed=1)
        daemon = procs.start("run", "--headless", "--config", str(cfg), stderr=subprocess.PIPE)
        assert wait_status(status, lambda d: d.get("sensor", {}).get("frames")).get("pid")
        try:
            for args in (["--bind", str(folder), str(folder)],
                         ["-o", "remount,ro,bind", str(folder)]):
                r = subprocess.run(["mount", *args], capture_output=True, text=True)
                if r.returncode:
                    pytest.skip(f"cannot bind-mount read-only here: {r.stderr.strip()}")
                mounted = True
            deadline = time.monotonic() + 60  # the status counts as old after 15 s
            while True:
                said = sitwatch(env, "status", "--config", str(cfg))
                if "cannot update" in said.stdout or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            assert (f"is running but cannot update its status file: {folder} is on a "
                    "read-only filesystem.") in said.stdout, said.stdout
            assert "writes it again by itself once the folder is writable" in said.stdout
            assert "stuck" not in said.stdout and said.returncode == 0
            doctor = sitwatch(env, "doctor", "--headless", "--config", str(cfg))
            [line] = [ln for ln in doctor.stdout.splitlines() if " daemon " in ln]
            assert line.startswith("warn") and f"cannot update {status}: " in line, line
            assert "stuck" not in line and "start it again" not in line, line
        finally:
            if mounted:
                subprocess.run(["umount", str(folder)], check=False)
        fresh = wait_status(status, lambda d: d.get("updated") and not sitwatch(
            env, "status", "--config", str(cfg)).stdout.startswith("sitwatch ("))
        assert fresh.get("pid") == daemon.pid
        daemon.terminate()
        _, err = daemon.communicate(timeout=20)
    assert err.count("cannot write the status file") == 1, err
    assert err.count(f"status file {status} is written again") == 1, err
    assert "Traceback" not in err + said.stderr + doctor.stderr
