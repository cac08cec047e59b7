"""The same restart advice everywhere: `sitwatch report` and the web pages on a history from an
older sitwatch, the web page for a history that cannot be read, and `sitwatch doctor` on a
daemon that stopped updating its status file say how sitwatch takes up the change in the words
`sitwatch calibrate` uses for the situation at hand (restart the service, stop and start a
`sitwatch run`, start the stopped service, nothing running). They said "systemctl --user
restart sitwatch" in every case, also to a user who had installed no service.

Through the real commands in a subprocess, with the stand-in ``systemctl`` of
test_calibrate_restart_hint.py where a service is installed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from tests.e2e.test_calibrate_restart_hint import _env, _sitwatch
from tests.helpers.history import older_history
from tests.integration.test_serve_cli import _get

pytestmark = pytest.mark.integration

NOTHING_RUNNING = ("sitwatch is not running; it will upgrade the file itself when it starts "
                   "(`sitwatch run`, or `sitwatch service install` to start it at every login).")


def _installed(tmp: Path, active: str) -> dict[str, str]:
    env = _env(tmp, systemctl=active)
    done = _sitwatch(env, "service", "install", "--no-start", "--no-weekly", "--no-user-config")
    assert done.returncode == 0, done.stderr
    return env


def test_a_report_on_an_older_history_with_nothing_running_says_the_next_start_upgrades_it(
        tmp_path: Path) -> None:
    hist = tmp_path / "history.sqlite"
    older_history(hist, date(2026, 3, 4))
    done = _sitwatch(_env(tmp_path), "report", "--no-user-config", "--history", str(hist),
                     "--week", "2026-W10")
    assert done.returncode == 0, done.stderr
    assert (f"note: the history {hist} is from an older sitwatch, so it is read through an "
            f"up-to-date copy. {NOTHING_RUNNING}") in done.stderr
    assert "systemctl" not in done.stderr


def test_a_report_on_an_older_history_names_the_running_service(tmp_path: Path) -> None:
    hist = tmp_path / "history.sqlite"
    older_history(hist, date(2026, 3, 4))
    env = _installed(tmp_path, "active")
    done = _sitwatch(env, "report", "--no-user-config", "--history", str(hist),
                     "--week", "2026-W10")
    assert done.returncode == 0, done.stderr
    assert ("sitwatch runs as a service: `systemctl --user restart sitwatch` makes it upgrade "
            "the file itself.") in done.stderr


def _served(env: dict[str, str], hist: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "sitwatch", "serve", "--no-user-config", "--port", "0",
         "--history", str(hist)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        start_new_session=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("sitwatch: serving on http://127.0.0.1:"), proc.stderr
    return proc, line.split("serving on ", 1)[1].strip().rstrip("/")


def test_the_pages_name_the_stopped_service_for_an_older_or_unreadable_history(
        tmp_path: Path) -> None:
    env = _installed(tmp_path, "inactive")
    older = tmp_path / "older.sqlite"
    older_history(older, date(2026, 3, 4))
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"this is not a database, just some bytes " * 200)
    pages = {}
    for hist in (older, garbage):
        proc, base = _served(env, hist)
        try:
            pages[hist] = _get(base + "/week/2026-03-04")
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            _, err = proc.communicate(timeout=20)
        assert "Traceback" not in err
    code, html = pages[older]
    assert code == 200
    assert ("up-to-date copy. The sitwatch service is installed but not running: "
            "\u201csystemctl --user start sitwatch\u201d starts it, and it will upgrade the file "
            "itself.") in html
    code, html = pages[garbage]
    assert code == 503
    assert ("The sitwatch service is installed but not running: \u201csystemctl --user start "
            "sitwatch\u201d starts it, and it will set the damaged file aside and start a fresh "
            "one.") in html
    assert "restart sitwatch" not in html


def test_doctor_on_a_stuck_daemon_started_by_hand_says_to_stop_and_start_it(
        tmp_path: Path) -> None:
    """No service installed: the daemon is one started by hand. The pid may be another
    program's by now, so the advice names no pid to kill."""
    env = _env(tmp_path)
    status = tmp_path / "status.json"
    # a live pid (this test's) whose status file stopped updating long ago
    status.write_text(json.dumps({"pid": os.getpid(),
                                  "updated": datetime(2020, 1, 1, tzinfo=UTC).isoformat()}))
    conf = tmp_path / "sitwatch.toml"
    conf.write_text(f'[status]\nfile = "{status}"\n[history]\nenabled = false\n')
    done = _sitwatch(env, "doctor", "--config", str(conf))
    assert "Traceback" not in done.stderr
    out = done.stdout + done.stderr
    assert f"pid {os.getpid()} is alive but has not updated {status}" in out
    assert ("the pid now belongs to another program. sitwatch is running: stop it (Ctrl-C in its "
            "terminal) and start it again with `sitwatch run` to start afresh.") in out
    assert "systemctl" not in out.split("daemon", 1)[1].split("\n", 1)[0]
    assert "kill" not in out


def _damaged_status(tmp: Path) -> Path:
    """A config whose status file a live daemon (this test's pid, updating it just now) wrote
    with a value that is not what sitwatch writes."""
    status = tmp / "status.json"
    now = datetime.now(UTC).isoformat()
    status.write_text(json.dumps({"pid": os.getpid(), "updated": now, "started": now,
                                  "occupancy": "occupied", "spell_seconds": "lots"}))
    conf = tmp / "sitwatch.toml"
    conf.write_text(f'[status]\nfile = "{status}"\n[history]\nenabled = false\n')
    return conf


def test_status_on_a_damaged_status_file_names_the_running_service(tmp_path: Path) -> None:
    """It said "restart sitwatch to write a new one", whatever runs it."""
    env = _installed(tmp_path, "active")
    done = _sitwatch(env, "status", "--no-user-config", "--config", str(_damaged_status(tmp_path)))
    assert "Traceback" not in done.stderr
    assert "a value is not what sitwatch writes" in done.stdout, done.stdout
    assert ("sitwatch runs as a service: `systemctl --user restart sitwatch` makes it write a "
            "new status file.") in done.stdout, done.stdout
    assert "restart sitwatch to" not in done.stdout


def test_status_on_a_damaged_status_file_of_a_daemon_started_by_hand(tmp_path: Path) -> None:
    """And the bar (`status --waybar`), which ended in a traceback, says it in its tooltip."""
    env = _env(tmp_path)
    conf = _damaged_status(tmp_path)
    done = _sitwatch(env, "status", "--no-user-config", "--config", str(conf))
    hint = (f"sitwatch is running (pid {os.getpid()}): stop it (Ctrl-C in its terminal, or "
            f"`kill {os.getpid()}`) and start it again with `sitwatch run` to write a new status "
            "file.")
    assert hint in done.stdout, done.stdout
    assert "systemctl" not in done.stdout
    done = _sitwatch(env, "status", "--waybar", "--no-user-config", "--config", str(conf))
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    bar = json.loads(done.stdout)
    assert (bar["text"], bar["class"]) == ("status?", "error")
    assert bar["tooltip"].endswith(hint), bar


def test_the_pages_name_the_running_service_for_settings_and_a_damaged_status_file(
        tmp_path: Path) -> None:
    """The settings page said "change them there ... and restart sitwatch" and the live page
    "restart sitwatch to write a new one", to a user with no service as to one with it."""
    env = _installed(tmp_path, "active")
    conf = _damaged_status(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "sitwatch", "serve", "--no-user-config", "--config", str(conf),
         "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        start_new_session=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "serving on http://127.0.0.1:" in line, proc.stderr
        base = line.split("serving on ", 1)[1].strip().rstrip("/")
        settings, live = _get(base + "/settings"), _get(base + "/")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    assert "Traceback" not in err
    assert settings[0] == 200 and live[0] == 200
    assert (f"They come from <code>{conf}</code>: change them there and check the file with "
            "<code>sitwatch config validate</code>. sitwatch runs as a service: \u201csystemctl "
            "--user restart sitwatch\u201d makes it use the changed settings.") in settings[1], \
        settings[1]
    assert ("sitwatch runs as a service: \u201csystemctl --user restart sitwatch\u201d makes "
            "it write a new status file.") in live[1], live[1]
    for _, html in (settings, live):
        assert "restart sitwatch." not in html and "restart sitwatch to" not in html
        assert str(os.getpid()) not in html  # the pages name no pid


def test_the_pages_on_an_older_history_ask_systemd_once_not_at_every_view(
        tmp_path: Path) -> None:
    """Each page view of a history from an older sitwatch asked systemctl how sitwatch runs
    (a process or more each, ~9 ms), for the words of its restart advice."""
    env = _installed(tmp_path, "active")
    log = tmp_path / "bin" / "systemctl.log"
    log.unlink(missing_ok=True)  # what `service install` asked
    hist = tmp_path / "older.sqlite"
    older_history(hist, date(2026, 3, 4))
    proc, base = _served(env, hist)
    try:
        pages = [_get(base + p) for p in ("/today", "/week/2026-03-04", "/today", "/settings",
                                          "/week/2026-03-04")]
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    assert "Traceback" not in err
    assert all(code == 200 for code, _ in pages)
    assert all("upgrade the file itself" in html for _, html in pages[:3])
    asked = log.read_text().splitlines()
    # one look at systemd: is there a user manager, then the state of each unit installed
    assert sum("show-environment" in a for a in asked) == 1, asked
