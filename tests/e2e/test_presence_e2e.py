"""The presence signal as other programs meet it: `sitwatch run` on a cushion over a pty, with
`[presence] dbus = true` on a private session bus, read back with gdbus, and `sitwatch status
--watch` as a script runs it (Ctrl-C, and a reader that goes away after one line).

The cushion's frames are the simulated sitter's own (its empty seat and its upright sitting),
written by this test so it decides when the seat is taken and left."""

from __future__ import annotations

import itertools
import json
import os
import pty
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sitwatch.sensing import layout
from sitwatch.sensing.calibration import from_arrays, robust_mean
from sitwatch.sensing.wire import format_lines
from sitwatch.sim.script import short_demo
from sitwatch.sim.simulator import Simulator
from tests.helpers.notify_server import NotificationServer, missing_programs

pytestmark = pytest.mark.integration

MIN_BREAK = 4.0


class Cushion:
    """Writes the sitter's frames to a pty at 10 Hz from a thread: ``seated`` says which."""

    def __init__(self, tmp: Path) -> None:
        lay = layout.load("smartchair-12")
        sim = Simulator(lay, short_demo(0), 10, 0)
        self.upright = sim.frames_at(np.arange(60, 150, 0.5))
        self.tare = sim.frames_at(np.arange(2, 28, 0.5))
        self.cal = tmp / "cal.json"
        from_arrays(lay, tare=robust_mean(self.tare), upright=robust_mean(self.upright),
                    method="recording").save(self.cal)
        self.master, self.slave = pty.openpty()
        self.port = os.ttyname(self.slave)
        self.seated = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        i = 0
        while not self._stop.wait(0.1):
            frames = self.upright if self.seated else self.tare
            line = format_lines(frames[i % len(frames)][None, :])[0]
            try:
                os.write(self.master, line.encode() + b"\n")
            except OSError:
                return
            i += 1

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        os.close(self.master)
        os.close(self.slave)


def env_for(tmp: Path, bus_env: dict[str, str] | None) -> dict[str, str]:
    env = dict(os.environ)
    for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"),
                     ("XDG_STATE_HOME", "state"), ("XDG_RUNTIME_DIR", "run")):
        (tmp / sub).mkdir(exist_ok=True)
        env[var] = str(tmp / sub)
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    if bus_env:
        env["DBUS_SESSION_BUS_ADDRESS"] = bus_env["DBUS_SESSION_BUS_ADDRESS"]
    env["PYTHONUNBUFFERED"] = "1"
    return env


def write_config(tmp: Path, cushion: Cushion) -> Path:
    cfg = tmp / "c.toml"
    cfg.write_text(
        f'[cushion]\nport = "{cushion.port}"\nlayout = "smartchair-12"\n'
        f'[calibration]\nprofile = "{cushion.cal}"\n'
        "[detect.occupancy]\nenter_dwell = 0.3\nexit_dwell = 0.3\n"
        f"min_break = {MIN_BREAK}\n"
        "[status]\ninterval = 0.5\n[nudges.dnd]\nenabled = false\n"
        "[presence]\ndbus = true\n")
    return cfg


def sitwatch(*args: str) -> list[str]:
    return [sys.executable, "-m", "sitwatch", *args]


class Lines:
    """A process's stdout lines, read on a thread, waited for without sleeping blind."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self._cv = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._cv:
                self.lines.append(line.rstrip("\n"))
                self._cv.notify_all()

    def wait(self, pred: Callable[[str], bool], timeout: float = 30.0, since: int = 0) -> str:
        """The first line from index ``since`` on that ``pred`` accepts."""
        deadline = time.monotonic() + timeout
        with self._cv:
            while True:
                for line in self.lines[since:]:
                    if pred(line):
                        return line
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no such line within {timeout} s: {self.lines}")
                self._cv.wait(left)


def watched(pred: Callable[[dict[str, Any]], bool]) -> Callable[[str], bool]:
    return lambda line: pred(json.loads(line))


def gdbus_get(env: dict[str, str], prop: str) -> str:
    p = subprocess.run(["gdbus", "call", "--session", "-d", "io.github.sitwatch", "-o",
                        "/io/github/sitwatch", "-m", "org.freedesktop.DBus.Properties.Get",
                        "io.github.sitwatch.Presence1", prop],
                       env=env, capture_output=True, text=True, timeout=10)
    assert p.returncode == 0, p.stderr
    return p.stdout.strip()


@pytest.mark.skipif(bool(missing_programs()), reason=f"needs {missing_programs()}")
def test_presence_on_dbus_and_status_watch_follow_the_seat(tmp_path: Path) -> None:
    pytest.importorskip("jeepney", reason="jeepney (the dbus extra) is not installed")
    cushion = Cushion(tmp_path)
    procs: list[subprocess.Popen[str]] = []
    with NotificationServer(tmp_path / "bus", dunst=False) as bus:
        env = env_for(tmp_path, bus.env)
        cfg = write_config(tmp_path, cushion)
        try:
            daemon = subprocess.Popen(sitwatch("run", "--no-user-config", "--config", str(cfg),
                                               "--headless"), env=env, text=True,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            procs.append(daemon)
            watch = subprocess.Popen(sitwatch("status", "--watch", "--interval", "0.2",
                                              "--no-user-config", "--config", str(cfg)),
                                     env=env, text=True, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
            procs.append(watch)
            lines = Lines(watch)
            lines.wait(watched(lambda d: d["state"] in ("away", "unknown")))
            deadline = time.monotonic() + 20
            while bus._gdbus_name_has_owner("io.github.sitwatch") is not True:
                assert daemon.poll() is None, daemon.stderr.read() if daemon.stderr else ""
                assert time.monotonic() < deadline, "the daemon never took io.github.sitwatch"
                time.sleep(0.05)
            monitor = subprocess.Popen(["gdbus", "monitor", "--session", "-d",
                                        "io.github.sitwatch"], env=env, text=True,
                                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            procs.append(monitor)
            signals = Lines(monitor)
            signals.wait(lambda s: "is owned by" in s)

            cushion.seated = True
            sitting = json.loads(lines.wait(watched(lambda d: d["state"] == "sitting")))
            assert sitting["sitting_since"] and sitting["last_break"] is None
            signals.wait(lambda s: "StateChanged ('sitting',)" in s)
            assert gdbus_get(env, "State") == "(<'sitting'>,)"

            cushion.seated = False  # up for a real break, longer than min_break
            lines.wait(watched(lambda d: d["state"] == "away"))
            signals.wait(lambda s: "StateChanged ('away',)" in s)
            # away for min_break: a real break under way, no spell any more (SittingSince 0)
            assert gdbus_get(env, "SittingSince") != "(<int64 0>,)"
            deadline = time.monotonic() + 30
            while gdbus_get(env, "SittingSince") != "(<int64 0>,)":
                assert time.monotonic() < deadline, gdbus_get(env, "SittingSince")
                time.sleep(0.1)
            cushion.seated = True
            back = json.loads(lines.wait(watched(lambda d: d["last_break"] is not None)))
            assert back["last_break"]["seconds"] >= MIN_BREAK
            brk = signals.wait(lambda s: "NaturalBreak" in s)
            assert int(brk.rsplit("uint32 ", 1)[1].rstrip(",)")) >= MIN_BREAK
            assert gdbus_get(env, "LastBreakSeconds").startswith("(<uint32 ")
            assert "uint32 0>" not in gdbus_get(env, "LastBreakSeconds")
            from sitwatch.runtime.status import WATCH_KEY

            keys = [[json.loads(ln)[k] for k in WATCH_KEY] for ln in lines.lines]
            assert all(a != b for a, b in itertools.pairwise(keys))  # only changes
            assert len(keys) <= 8  # seconds of sitting add no line

            # `sitwatch pause`: not looking at the seat, and saying so; resume: sitting again
            for cmd, state in (("pause", "paused"), ("resume", "sitting")):
                n_sig, n_line = len(signals.lines), len(lines.lines)
                done = subprocess.run(sitwatch(cmd, "--no-user-config", "--config", str(cfg)),
                                      env=env, capture_output=True, text=True, timeout=60)
                assert done.returncode == 0, done.stderr
                signals.wait(lambda s, st=state: f"StateChanged ('{st}',)" in s, since=n_sig)
                lines.wait(watched(lambda d, st=state: d["state"] == st), since=n_line)
            assert gdbus_get(env, "State") == "(<'sitting'>,)"

            # Ctrl-C: the watch ends without a traceback, with the usual code for it
            watch.send_signal(signal.SIGINT)
            assert watch.wait(10) == 130
            assert watch.stderr is not None and "Traceback" not in watch.stderr.read()

            # `| head -n 1`: the reader goes away; the next change ends the watch, quietly
            cmd = " ".join(f"'{a}'" for a in sitwatch(
                "status", "--watch", "--interval", "0.2", "--no-user-config", "--config",
                str(cfg)))
            piped = subprocess.Popen(
                ["bash", "-c", f"set -o pipefail; {cmd} 2>{tmp_path}/err | head -n 1; "
                 "echo rc=${PIPESTATUS[0]}"], env=env, text=True, stdout=subprocess.PIPE)
            procs.append(piped)
            out = Lines(piped)
            assert json.loads(out.wait(lambda s: s.startswith("{")))["state"] == "sitting"
            cushion.seated = False
            assert out.wait(lambda s: s.startswith("rc=")) == "rc=0"
            assert (tmp_path / "err").read_text() == ""
        finally:
            for p in reversed(procs):
                if p.poll() is None:
                    p.terminate()
                    try:
                        p.wait(10)
                    except subprocess.TimeoutExpired:
                        p.kill()
                        p.wait(5)
            cushion.close()
        assert daemon.returncode in (0, -signal.SIGTERM), daemon.returncode


def test_without_a_session_bus_the_daemon_runs_on_and_doctor_says_why(tmp_path: Path) -> None:
    pytest.importorskip("jeepney", reason="jeepney (the dbus extra) is not installed")
    cushion = Cushion(tmp_path)
    env = env_for(tmp_path, None)  # no DBUS_SESSION_BUS_ADDRESS, no $XDG_RUNTIME_DIR/bus
    cfg = write_config(tmp_path, cushion)
    status = tmp_path / "run" / "sitwatch" / "status.json"
    daemon = subprocess.Popen(sitwatch("run", "--no-user-config", "--config", str(cfg),
                                       "--headless"), env=env, text=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        cushion.seated = True
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if json.loads(status.read_text()).get("occupancy") == "occupied":
                    break
            except (OSError, ValueError):
                pass
            assert daemon.poll() is None, daemon.stderr.read() if daemon.stderr else ""
            time.sleep(0.1)
        else:
            raise AssertionError("the daemon never saw the seat taken")
    finally:
        daemon.terminate()
        _, err = daemon.communicate(timeout=15)
        cushion.close()
    assert "presence on D-Bus off: no session bus" in err
    doc = subprocess.run(sitwatch("doctor", "--no-user-config", "--config", str(cfg)),
                         env=env, capture_output=True, text=True, timeout=120)
    line = next(ln for ln in doc.stdout.splitlines() if "presence" in ln)
    assert "no session bus" in line and "sitwatch runs on without it" in line


def test_the_daemon_drives_a_real_workrave_from_the_seat(tmp_path: Path) -> None:
    """`[integrations.workrave]` in a running daemon, against Workrave under Xvfb: sitting
    still (reading, no key or mouse) keeps its break timer running; leaving the chair makes
    it idle at once, and its micro-break (shortened to 3 s here) resets: taken."""
    pytest.importorskip("jeepney", reason="jeepney (the dbus extra) is not installed")
    from tests.helpers.workrave import missing, running_workrave, wait_until

    if missing():
        pytest.skip(f"needs {missing()}")
    cushion = Cushion(tmp_path)
    with running_workrave(tmp_path, micro_reset=3) as wr:
        env = env_for(tmp_path, wr.env)
        cfg = write_config(tmp_path, cushion)
        cfg.write_text(cfg.read_text().replace("dbus = true", "dbus = false")
                       + "[integrations.workrave]\nenabled = true\nevery = 1.0\n")
        doc = subprocess.run(sitwatch("doctor", "--no-user-config", "--config", str(cfg)),
                             env=env, capture_output=True, text=True, timeout=120)
        assert "Workrave answers (mode normal" in doc.stdout, doc.stdout
        daemon = subprocess.Popen(sitwatch("run", "--no-user-config", "--config", str(cfg),
                                           "--headless"), env=env, text=True,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_until(lambda: wr.number("GetTimerIdle") >= 3, what="Workrave idle alone")
            cushion.seated = True
            wait_until(lambda: wr.number("GetTimerElapsed") >= 4, what="the timer running")
            assert wr.active() and wr.number("GetTimerIdle") == 0
            cushion.seated = False
            wait_until(lambda: not wr.active(), timeout=5, what="idle on leaving")
            wait_until(lambda: wr.number("GetTimerElapsed") == 0, timeout=15,
                       what="the micro-break timer reset")
            assert daemon.poll() is None
        finally:
            daemon.terminate()
            _, err = daemon.communicate(timeout=15)
            cushion.close()
        assert "Workrave" not in err, err  # no complaint: it answered all along
