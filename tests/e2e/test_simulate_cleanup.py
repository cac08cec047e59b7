"""`sitwatch simulate --link PATH` removed its symlink on Ctrl-C only: a `kill` (SIGTERM) or a
closed terminal (SIGHUP) left it pointing at a pty that no longer exists. And `simulate -o`
wrote its recording 0644 where every other file sitwatch writes about a sitter is 0600."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_every_normal_stop_removes_the_link(tmp_path, sig: signal.Signals) -> None:
    link = tmp_path / "cushion"
    proc = subprocess.Popen([sys.executable, "-m", "sitwatch", "simulate", "--link", str(link),
                             "--no-user-config"], stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "HOME": str(tmp_path)})
    try:
        assert proc.stderr is not None
        for line in proc.stderr:  # it says how to connect once the link is in place
            if "connect with:" in line:
                break
        else:
            pytest.fail("simulate ended without announcing its pty")
        assert os.path.islink(link) and os.path.exists(link)
        proc.send_signal(sig)
        rest = proc.communicate(timeout=30)[1]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, rest
    assert "Traceback" not in rest
    assert "stopped" in rest
    assert not os.path.lexists(link)


def test_a_simulated_recording_is_owner_only(tmp_path) -> None:
    out = tmp_path / "sub" / "sim.rec"
    old = os.umask(0o022)
    try:
        proc = subprocess.run([sys.executable, "-m", "sitwatch", "simulate", "--duration", "10",
                               "-o", str(out), "--no-user-config"], capture_output=True,
                              text=True, timeout=60)
    finally:
        os.umask(old)
    assert proc.returncode == 0, proc.stderr
    assert out.stat().st_mode & 0o777 == 0o600
    assert out.read_text().startswith("# sitwatch-recording v1 layout=smartchair-12")
    assert [p.name for p in out.parent.iterdir()] == ["sim.rec"]  # no temporary file left
