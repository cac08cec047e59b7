"""The virtual cushion as the e2e tests start it: ``sitwatch simulate`` in a subprocess, its
pseudo-terminal at ``link``, ready for a daemon to open."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

LINK_WAIT = 15.0  # seconds the simulator may take to create its pty


def start_cushion(env: dict[str, str], link: Path, *, speed: float, hz: float = 10,
                  script: str = "demo", layout: str = "smartchair-12") -> subprocess.Popen[str]:
    """``sitwatch simulate --script SCRIPT`` at ``speed`` times real time, its output thrown
    away; returns once ``link`` exists (and fails the test if it never does)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "sitwatch", "simulate", "--script", script, "--layout", layout,
         "--hz", f"{hz:g}", "--speed", f"{speed:g}", "--link", str(link)],
        env=env, text=True, start_new_session=True, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + LINK_WAIT
    while not link.exists() and time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    assert link.exists(), f"the simulator made no pty at {link} (exit {proc.poll()})"
    return proc


def start_steered(env: dict[str, str], link: Path, layout: str) -> subprocess.Popen[bytes]:
    """``sitwatch simulate --interactive --layout LAYOUT`` on a pty at ``link``, steered by
    :func:`press`; returns once it has printed its keys (stderr stays open for the caller)."""
    sim = subprocess.Popen(
        [sys.executable, "-m", "sitwatch", "simulate", "--no-user-config", "--interactive",
         "--layout", layout, "--link", str(link)],
        stdin=subprocess.PIPE, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, env=env,
        start_new_session=True)
    assert sim.stdin is not None and sim.stderr is not None
    said = ""
    while "keys:" not in said:
        line = sim.stderr.readline().decode()
        assert line, said
        said += line
    return sim


def press(sim: subprocess.Popen[bytes], key: str) -> None:
    """One key to a :func:`start_steered` simulator: the sitter takes that posture."""
    assert sim.stdin is not None
    sim.stdin.write(key.encode())
    sim.stdin.flush()


class Processes:
    """``sitwatch`` subprocesses of one test, each in its own session, all stopped at the end
    (SIGTERM to the group, SIGKILL after 10 s), newest first."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.procs: list[subprocess.Popen[str]] = []

    def start(self, *args: str, stdout: object = subprocess.DEVNULL,
              stderr: object = subprocess.DEVNULL) -> subprocess.Popen[str]:
        p = subprocess.Popen([sys.executable, "-m", "sitwatch", *args], env=self.env, text=True,
                             start_new_session=True, stdout=stdout,  # type: ignore[arg-type]
                             stderr=stderr)  # type: ignore[arg-type]
        self.procs.append(p)
        return p

    def cushion(self, link: Path, **kw: object) -> subprocess.Popen[str]:
        p = start_cushion(self.env, link, **kw)  # type: ignore[arg-type]
        self.procs.append(p)
        return p

    def __enter__(self) -> Processes:
        return self

    def __exit__(self, *exc: object) -> None:
        import os
        import signal

        for p in reversed(self.procs):
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait(5)


def wait_status(path: Path, ready: object, timeout: float = 40.0) -> dict[str, object]:
    """The daemon's status file once ``ready(status)`` holds (or the last one read, for the
    test's own assertion to show)."""
    import json

    deadline = time.monotonic() + timeout
    d: dict[str, object] = {}
    while time.monotonic() < deadline:
        try:
            d = json.loads(path.read_text())
        except (OSError, ValueError):
            d = {}
        if ready(d):  # type: ignore[operator]
            return d
        time.sleep(0.1)
    return d


def recording_daemon_config(port: str, d: Any, *, console: bool = False) -> Any:
    """The config of a headless daemon reading a labelled recording ``d`` (a
    :class:`~sitwatch.evaluation.datasets.Labelled`) from the pty at ``port``: no desktop,
    do-not-disturb or history, the console channel on request; the sitter's calibration (the
    recording's first settled upright minute) saved where `sitwatch calibrate` saves it."""
    from sitwatch.config import Config, for_layout
    from sitwatch.evaluation import scoring
    from sitwatch.runtime.files import profile_path

    cfg = for_layout(Config.model_validate({
        "cushion": {"port": port, "layout": d.layout.name},
        "nudges": {"desktop": False, "console": console, "dnd": {"enabled": False}},
        "history": {"enabled": False},
    }), d.layout)
    scoring.first_upright_profile(d)[0].save(profile_path(cfg))
    return cfg


def send_frame(fd: int, values: Any) -> None:
    """One frame of readings down a pty, as a cushion's text line."""
    os.write(fd, (",".join(f"{v:g}" for v in values) + "\n").encode())


def wireless_cushion(host: str, port: int, topic: str) -> Any:
    """A wireless cushion's MQTT client, connected and looping, with the last will an ESP32's
    firmware sets (``<topic>/status`` ``offline``, retained), so a lost link is told."""
    import paho.mqtt.client as mqtt

    pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="cushion-esp32")
    pub.will_set(f"{topic}/status", "offline", qos=1, retain=True)
    pub.connect(host, port, keepalive=2)
    pub.loop_start()
    return pub


def _sit(send: Any, daemon: Any, clock: Any, sit_s: float, away_s: float) -> list[Any]:
    """A simulated sitter (``away_s`` away, then ``sit_s`` seated) on four load cells at 10
    frames/s, each line handed to ``send`` and taken in by the daemon before the next (it steps
    until it has it); what the daemon said."""
    from sitwatch.sim.script import Script, away, sit
    from sitwatch.sim.simulator import Simulator

    said: list[Any] = []
    script = Script([away(away_s), sit(sit_s)] if away_s > 0 else [sit(sit_s)])
    sim = Simulator("load-cells-4", script, hz=10.0, seed=3)
    for line in sim.lines():
        send(line)
        clock.advance(0.1)
        end = time.monotonic() + 5
        while True:  # until the daemon has this frame
            said += daemon.step(0.05)
            if daemon.silence.last == clock.monotonic() or time.monotonic() > end:
                break
    return said


def sit_on_wireless(pub: Any, topic: str, daemon: Any, clock: Any, sit_s: float, *,
                    away_s: float = 3) -> list[Any]:
    """A simulated sitter sent by a wireless cushion's MQTT client ``pub`` on ``topic``, each
    frame handed over by the broker before the next (:func:`_sit`)."""
    return _sit(lambda line: pub.publish(topic, line, qos=1).wait_for_publish(5), daemon,
                clock, sit_s, away_s)


def sit_on_pty(master: int, daemon: Any, clock: Any, sit_s: float, *,
               away_s: float = 3) -> list[Any]:
    """A simulated sitter sent down the pty whose master end is ``master``, each frame read by
    the daemon before the next (:func:`_sit`)."""
    return _sit(lambda line: os.write(master, (line if line.endswith("\n") else line + "\n")
                                      .encode()), daemon, clock, sit_s, away_s)


def battery_dies(pub: Any) -> None:
    """The wireless cushion stops with no goodbye: the broker sends its last will."""
    sock = pub.socket()
    pub.loop_stop()
    if sock is not None:
        sock.close()


def read_until(stream: Any, marker: str) -> str:
    """Lines of ``stream`` (a process's text stderr) up to and including the one that holds
    ``marker``; fails with what was said if the stream ends first (the process died)."""
    said = ""
    while marker not in said:
        line = stream.readline()
        assert line, said
        said += line
    return said
