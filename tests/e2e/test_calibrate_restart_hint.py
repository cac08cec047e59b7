"""After `sitwatch calibrate`, how sitwatch takes up the new profile, in words that fit the
situation, through the real command in a subprocess: the user service running (restart it), a
`sitwatch run` started by hand (stop and start it), the service installed but stopped (start
it), nothing running (the next start does). It said "(systemctl --user restart sitwatch)" in
every case, also to a new user who had installed no service and was running nothing.

systemd does not run in this container: where the command asks it, it meets a stand-in
``systemctl`` on PATH (as in test_service_install.py); the daemon started by hand is the real
one, reading the simulator's pty.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sitwatch.evaluation import population as P
from sitwatch.evaluation import scoring

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]

SYSTEMCTL = """#!/bin/sh
echo "$*" >> "${{0%/*}}/systemctl.log"  # no dirname: PATH holds only bin/
case "$*" in
  *is-enabled*) echo enabled ;;
  *is-active*) echo {active} ;;
esac
exit 0
"""


def _env(tmp: Path, *, systemctl: str | None = None) -> dict[str, str]:
    """A private home; ``systemctl``: a stand-in that says the units are ``active`` or
    ``inactive`` (None: no systemctl at all, a session without systemd), and logs each call
    (its arguments, a line in ``bin/systemctl.log``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "SITWATCH_"))}
    env.update(HOME=str(tmp / "home"), XDG_CONFIG_HOME=str(tmp / "home/.config"),
               XDG_DATA_HOME=str(tmp / "home/data"), XDG_STATE_HOME=str(tmp / "home/state"),
               XDG_RUNTIME_DIR=str(tmp / "run"), PYTHONPATH=str(ROOT))
    bin_ = tmp / "bin"
    bin_.mkdir(exist_ok=True)
    if systemctl is not None:
        tool = bin_ / "systemctl"
        tool.write_text(SYSTEMCTL.format(active=systemctl))
        tool.chmod(0o755)
    # systemctl only where we put it: PATH without the system's folders that hold one
    env["PATH"] = os.pathsep.join([str(bin_), str(Path(sys.executable).parent)])
    return env


def _sitwatch(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sitwatch", *argv], capture_output=True,
                          text=True, timeout=120, env=env)


def _calibrate(tmp: Path, env: dict[str, str], *extra: str) -> str:
    """Saved where sitwatch reads it (no ``-o`` in ``extra``: the default for the layout)."""
    d = P.recording(P.sitter(15))
    _, (a, b) = scoring.first_upright_profile(d)
    rec = d.write(tmp / "sitter.rec")
    done = _sitwatch(env, "calibrate", *extra, "--recording", str(rec), "--upright",
                     f"{a:g}:{b:g}")
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    return done.stdout


def test_saved_elsewhere_it_says_how_to_use_that_file_not_to_restart(tmp_path: Path) -> None:
    """`calibrate -o other.json` told the user to restart sitwatch "to use the new
    calibration", which a restart would not do: sitwatch reads its own file."""
    env = _env(tmp_path, systemctl="active")
    installed = _sitwatch(env, "service", "install", "--no-start", "--no-weekly",
                          "--no-user-config")
    assert installed.returncode == 0, installed.stderr
    other = tmp_path / "other cal.json"
    out = _calibrate(tmp_path, env, "--no-user-config", "-o", str(other))
    assert other.exists()
    assert "restart" not in out, out
    assert ", not this file: to use this one, set `profile = " + f'"{other}"`' in out, out
    assert f"`sitwatch run --calibration '{other}'`" in out, out
    used = tmp_path / "home/data/sitwatch"
    assert f"sitwatch reads its calibration from {used}/calibration-" in out, out


def test_with_nothing_running_it_says_the_next_start_uses_it(tmp_path: Path) -> None:
    out = _calibrate(tmp_path, _env(tmp_path), "--no-user-config")
    assert ("sitwatch is not running; it will use the new calibration when it starts "
            "(`sitwatch run`, or `sitwatch service install` to start it at every login).") in out
    assert "systemctl" not in out


def test_with_an_autostart_entry_and_nothing_running_it_says_the_next_login_does(
        tmp_path: Path) -> None:
    """Without systemd, `service install` writes an autostart entry: the hint does not offer to
    install it again."""
    env = {**_env(tmp_path), "XDG_CURRENT_DESKTOP": "sitwatch-test"}  # a desktop session
    assert _sitwatch(env, "service", "install", "--no-user-config").returncode == 0
    out = _calibrate(tmp_path, env, "--no-user-config")
    assert ("sitwatch is not running; it will use the new calibration when it starts "
            "(`sitwatch run`, or at your next login).") in out


@pytest.mark.parametrize(("active", "said"), [
    ("active", "sitwatch runs as a service: `systemctl --user restart sitwatch` makes it use "
               "the new calibration."),
    ("inactive", "The sitwatch service is installed but not running: `systemctl --user start "
                 "sitwatch` starts it"),
])
def test_with_the_service_installed_it_names_the_systemctl_command(
        tmp_path: Path, active: str, said: str) -> None:
    env = _env(tmp_path, systemctl=active)
    installed = _sitwatch(env, "service", "install", "--no-start", "--no-weekly",
                          "--no-user-config")
    assert installed.returncode == 0, installed.stderr
    out = _calibrate(tmp_path, env, "--no-user-config")
    assert said in out


def test_with_a_daemon_started_by_hand_it_says_to_stop_and_start_it(tmp_path: Path) -> None:
    env = _env(tmp_path)
    link = tmp_path / "cushion"
    sim = subprocess.Popen(
        [sys.executable, "-m", "sitwatch", "simulate", "--no-user-config", "--layout",
         "load-cells-4", "--hz", "10", "--link", str(link)],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**env, "XDG_RUNTIME_DIR": str(tmp_path / "simrun")}, start_new_session=True)
    daemon = None
    try:
        deadline = time.monotonic() + 20
        while not link.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert link.exists()
        conf = tmp_path / "sitwatch.toml"
        conf.write_text(f'[cushion]\nport = "{link}"\nlayout = "load-cells-4"\n'
                        "[nudges.dnd]\nenabled = false\n[history]\nenabled = false\n")
        daemon = subprocess.Popen(
            [sys.executable, "-m", "sitwatch", "run", "--headless", "--config", str(conf)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env=env, start_new_session=True)
        status = tmp_path / "run" / "sitwatch" / "status.json"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if json.loads(status.read_text()).get("pid") == daemon.pid:
                    break
            except (OSError, ValueError):
                pass
            time.sleep(0.05)
        else:
            raise AssertionError("the daemon wrote no status file")
        out = _calibrate(tmp_path, env, "--config", str(conf))
    finally:
        if daemon is not None:
            daemon.terminate()
            daemon.wait(20)
        os.killpg(sim.pid, 15)
        sim.wait(10)
    assert (f"sitwatch is running (pid {daemon.pid}): stop it (Ctrl-C in its terminal, or "
            f"`kill {daemon.pid}`) and start it again with `sitwatch run` to use the new "
            "calibration.") in out
    assert "systemctl" not in out


@pytest.mark.parametrize("installed", ["nothing", "service", "autostart"])
def test_status_and_doctor_say_how_to_start_it_for_what_is_installed(
        tmp_path: Path, installed: str) -> None:
    """`sitwatch status` and `doctor` with nothing running told everyone to `systemctl --user
    start sitwatch`, also a new user who had installed no service; they name the service only
    where there is one, and offer to install one only where there is none."""
    env = _env(tmp_path, systemctl="inactive" if installed == "service" else None)
    if installed == "autostart":
        env["XDG_CURRENT_DESKTOP"] = "sitwatch-test"  # a desktop session without systemd
    if installed != "nothing":
        done = _sitwatch(env, "service", "install", "--no-start", "--no-weekly",
                         "--no-user-config")
        assert done.returncode == 0, done.stderr
    status = _sitwatch(env, "status", "--no-user-config")
    doctor = _sitwatch(env, "doctor", "--headless", "--no-user-config")
    assert status.returncode == 3, status.stdout + status.stderr  # not running
    line = next(ln for ln in doctor.stdout.splitlines() if ln.split()[1:2] == ["daemon"])
    for said in (status.stdout, line):
        if installed == "service":
            assert "`systemctl --user start sitwatch` (the service installed here)" in said, said
        else:
            assert "systemctl" not in said, said
        if installed == "nothing":
            assert "`sitwatch service install` starts it at every login" in said, said
        if installed == "autostart":
            assert "starts by itself at your next login" in said, said
    assert "Traceback" not in status.stderr + doctor.stderr
