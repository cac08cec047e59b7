"""``sitwatch serve`` as a command, without a browser: what it says when it cannot start, and
that it serves from a missing history and a stopped daemon."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

ROOT = Path(__file__).resolve().parents[2]


def _env(tmp: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "XDG_DATA_HOME": str(tmp / "data"),
            "XDG_CONFIG_HOME": str(tmp / "cfg"), "XDG_RUNTIME_DIR": str(tmp / "run")}


def serve(tmp: Path, *args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sitwatch", "serve", "--no-user-config", *args],
                          capture_output=True, text=True, env=_env(tmp), timeout=timeout)


def test_a_busy_port_is_named(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        r = serve(tmp_path, "--port", str(port))
    assert r.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in r.stderr and "--port" in r.stderr
    assert "Traceback" not in r.stderr


def test_a_host_that_is_not_loopback_is_a_config_mistake(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[web]\nhost = "0.0.0.0"\n', encoding="utf-8")
    r = serve(tmp_path, "--config", str(cfg))
    assert r.returncode == 2
    assert "web.host" in r.stderr and "web.lan = true" in r.stderr
    assert "Traceback" not in r.stderr


def test_serves_without_history_or_daemon(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[status]\nfile = "{tmp_path / "status.json"}"\n', encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "sitwatch", "serve", "--no-user-config", "--port", "0",
         "--config", str(cfg), "--history", str(tmp_path / "none.sqlite")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(tmp_path),
        start_new_session=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("sitwatch: serving on http://127.0.0.1:"), proc.stderr
        base = line.split("serving on ", 1)[1].strip().rstrip("/")
        status = json.loads(urllib.request.urlopen(base + "/api/status", timeout=10).read())
        assert status["running"] is False and status["state"] == "off"
        for page in ("/today", "/week", "/weeks"):
            html = urllib.request.urlopen(base + page, timeout=10).read().decode()
            assert "No history yet" in html, page
        diary = urllib.request.urlopen(base + "/diary", timeout=10).read().decode()
        assert "How do you feel?" in diary and "your first entry starts it" in diary
        assert not (tmp_path / "none.sqlite").exists()  # reading never creates it
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)
