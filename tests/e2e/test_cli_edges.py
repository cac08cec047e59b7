"""The `sitwatch` command at its edges, as a new user meets them (issue #14)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration


def _closed_reader(*argv: str) -> subprocess.CompletedProcess[str]:
    """Run sitwatch with its stdout a pipe whose reader has already gone (like `| head -c 0`)."""
    r, w = os.pipe()
    os.close(r)  # nobody will read: the first write fails with EPIPE
    try:
        proc = subprocess.run([sys.executable, "-m", "sitwatch", *argv, "--no-user-config"],
                              stdout=w, stderr=subprocess.PIPE, text=True, timeout=60)
    finally:
        os.close(w)
    return subprocess.CompletedProcess(proc.args, proc.returncode, "", proc.stderr)


@pytest.mark.parametrize("argv", [("layouts", "smartchair-12"), ("status", "--json"),
                                  ("guidance",), ("config", "show", "--defaults")])
def test_a_closed_pipe_is_not_a_traceback(argv) -> None:
    proc = _closed_reader(*argv)
    assert "Traceback" not in proc.stderr
    assert "BrokenPipeError" not in proc.stderr
    assert proc.stderr == ""
