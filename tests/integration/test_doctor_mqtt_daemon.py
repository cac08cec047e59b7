"""`sitwatch doctor` while `sitwatch run` reads a wireless cushion: a topic has room for more
readers, so doctor listens itself (frames, rate, the MQTT version, or why nothing comes) beside
the daemon, with a client id of its own, instead of repeating the daemon's status in the words
meant for a serial port it holds ("holds it but gets no frames ... check the cable"). The
real commands in subprocesses, on a real mosquitto; the cushion is a paho client publishing at
its own pace."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

try:
    from helpers.servers import Broker
except ImportError:  # pragma: no cover - run from the repository root
    from tests.helpers.servers import Broker

mqtt = pytest.importorskip("paho.mqtt.client", reason="needs paho-mqtt>=2")

pytestmark = pytest.mark.integration
TOPIC = "home/office/cushion"
LISTEN = "2"


class Cushion:
    """The cushion's side: publishes ``line`` 20 times a second until stopped."""

    def __init__(self, broker: Broker, lines: list[str]) -> None:
        self.c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="cushion-esp32")
        self.c.connect(broker.host, broker.port, keepalive=5)
        self.c.loop_start()
        self.lines = lines
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self) -> None:
        i = 0
        while not self._stop.wait(0.05):  # the cushion's own pace, not a wait for our timers
            self.c.publish(TOPIC, self.lines[i % len(self.lines)], qos=0)
            i += 1

    def stop(self) -> None:
        self._stop.set()
        self._t.join(5)
        self.c.disconnect()
        self.c.loop_stop()


def sitwatch(*args: str) -> subprocess.CompletedProcess[str]:
    """The command as a user runs it (the XDG folders are this test's own)."""
    return subprocess.run([sys.executable, "-m", "sitwatch", *args], capture_output=True,
                          text=True, timeout=60, check=False)


def cushion_line(out: str) -> str:
    return next(ln for ln in out.splitlines() if ln.split()[1:2] == ["cushion"])


@pytest.fixture
def daemon(broker: Broker, tmp_path: Path) -> Iterator[Path]:
    """`sitwatch run --headless` reading the cushion's topic; yields its config file."""
    cfg = tmp_path / "sitwatch.toml"
    cfg.write_text(
        "[cushion]\n"
        f'port = "mqtt://{broker.host}:{broker.port}/{TOPIC}"\n'
        'layout = "load-cells-4"\n[nudges.dnd]\nenabled = false\n[history]\nenabled = false\n')
    proc = subprocess.Popen([sys.executable, "-m", "sitwatch", "run", "--headless", "--config",
                             str(cfg)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    try:
        yield cfg
        assert proc.poll() is None, proc.communicate()[1]
        assert "already connected" not in broker.log()  # nobody took the daemon's client id
    finally:
        proc.terminate()
        try:
            proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate(timeout=5)


def wait_status(cfg: Path, text: str) -> str:
    """`sitwatch status` once it says ``text`` (polling the real daemon, with a deadline)."""
    end = time.monotonic() + 30
    while True:
        out = sitwatch("status", "--config", str(cfg)).stdout
        if text in out:
            return out
        assert time.monotonic() < end, out
        time.sleep(0.3)


class Device:
    """A serial cushion's side of a pty: once started, writes ``line`` every 50 ms, at its own
    pace (not a wait for our timers), until closed."""

    def __init__(self, master: int, line: bytes) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._send, args=(master, line), daemon=True)

    def _send(self, master: int, line: bytes) -> None:
        while not self._stop.wait(0.05):
            os.write(master, line)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)


def serial_daemon(port: str, where: Path, baud: str = "") -> tuple[Path, subprocess.Popen[str]]:
    """`sitwatch run --headless` on a serial ``port`` (a pty) that says nothing after 1 s of
    silence; returns its config file and the process."""
    cfg = where / "sitwatch.toml"
    cfg.write_text(
        f'[cushion]\nport = "{port}"\n{baud}layout = "load-cells-4"\nno_data_timeout = 1\n'
        f'[status]\nfile = "{where / "status.json"}"\n'
        "[nudges.dnd]\nenabled = false\n[history]\nenabled = false\n")
    proc = subprocess.Popen([sys.executable, "-m", "sitwatch", "run", "--headless", "--config",
                             str(cfg)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    return cfg, proc


def test_doctor_listens_beside_the_running_daemon(broker: Broker, daemon: Path) -> None:
    """Frames flowing: an ok line with what doctor itself received; the publisher stopped: why
    nothing comes, in a wireless cushion's words; the daemon keeps its connection throughout."""
    cushion = Cushion(broker, ["4000,4000,4000,4000"])
    try:
        wait_status(daemon, "cushion online")
        flowing = sitwatch("doctor", "--headless", "--listen", LISTEN, "--config", str(daemon))
    finally:
        cushion.stop()
    line = cushion_line(flowing.stdout)
    assert line.startswith("ok"), flowing.stdout
    assert " frames in 2 s (~" in line and "/s), 0 dropped, layout load-cells-4, over MQTT 5" \
        in line, line
    assert "as sitwatch-doctor-" in broker.log()  # its own client id, not the daemon's

    stopped = sitwatch("doctor", "--headless", "--listen", LISTEN, "--config", str(daemon))
    line = cushion_line(stopped.stdout)
    assert line.startswith("FAIL"), stopped.stdout
    assert (f"no valid frame in 2 s: connected to {broker.host}:{broker.port}, but nothing "
            f"arrives on {TOPIC}: is the cushion powered") in line, line
    assert "holds it" not in line and "check the cable" not in line.lower()
    assert "Traceback" not in flowing.stderr + stopped.stderr


def test_doctor_adds_the_daemons_dropped_lines(broker: Broker, daemon: Path) -> None:
    """What only the daemon's status knows (lines dropped since it started) is added to what
    doctor heard itself, in a wireless cushion's words."""
    cushion = Cushion(broker, ["4000,4000,4000,4000"] * 3 + ["4000,4000,4000"])
    try:
        wait_status(daemon, "cushion online")
        done = sitwatch("doctor", "--headless", "--listen", LISTEN, "--config", str(daemon))
    finally:
        cushion.stop()
    line = cushion_line(done.stdout)
    assert line.startswith("warn"), done.stdout
    assert " frames in 2 s (~" in line and ", over MQTT 5; the running daemon has dropped " \
        in line, line
    assert "the cushion's Wi-Fi" in line and "cable" not in line, line


def test_a_silent_cushion_fails_doctor_whether_serial_or_wireless(
        broker: Broker, daemon: Path, serial_pty: tuple[int, str], tmp_path: Path) -> None:
    """A cushion that sends nothing while the daemon runs is a FAIL and exit status 1 either
    way: scripts read doctor's exit status. The wireless one doctor listens to itself; the
    serial one (a pty the daemon holds, nothing written to it) it judges by the daemon's
    status. Before, the serial one was only a warning (exit 0)."""
    wireless = sitwatch("doctor", "--headless", "--listen", LISTEN, "--config", str(daemon))
    assert cushion_line(wireless.stdout).startswith("FAIL"), wireless.stdout
    assert wireless.returncode == 1 and "1 problem(s)" in wireless.stderr, wireless.stderr

    _, port = serial_pty
    (tmp_path / "serial").mkdir()
    cfg, proc = serial_daemon(port, tmp_path / "serial")
    try:
        wait_status(cfg, "cushion silent")
        serial = sitwatch("doctor", "--headless", "--listen", LISTEN, "--config", str(cfg))
    finally:
        proc.terminate()
        proc.communicate(timeout=20)
    line = cushion_line(serial.stdout)
    assert line.startswith("FAIL"), serial.stdout
    assert f"{port}: the running daemon holds it but gets no frames from it" in line, line
    assert serial.returncode == 1 and "1 problem(s)" in serial.stderr, serial.stdout + serial.stderr
    assert "Traceback" not in wireless.stderr + serial.stderr


def test_a_silent_serial_cushion_comes_back_without_a_restart(serial_pty: tuple[int, str],
                                                             tmp_path: Path) -> None:
    """doctor, beside a daemon that holds a serial cushion and hears nothing, said "restart the
    daemon"; but the daemon keeps the port open and reads what comes. It says what to check
    (the cable, the baud rate) and that no restart is needed; then the device starts sending
    and the same daemon reads it: the advice holds."""
    master, port = serial_pty
    device = Device(master, b"20000,21000,9000,9500\n")
    cfg, proc = serial_daemon(port, tmp_path, baud="baud = 57600\n")
    try:
        wait_status(cfg, "cushion silent")
        silent = sitwatch("doctor", "--headless", "--config", str(cfg))
        line = cushion_line(silent.stdout)
        assert line.startswith("FAIL") and silent.returncode == 1, silent.stdout
        assert ("Check the cable, and that the device prints one line per frame at 57600 baud "
                "(cushion.baud)") in line, line
        assert "no restart needed, except after changing the config or the layout" in line
        assert "and restart the daemon" not in line, line
        # the device starts sending, at its own pace: the daemon that was told nothing reads it
        device.start()
        wait_status(cfg, "cushion online")
        back = sitwatch("doctor", "--headless", "--config", str(cfg))
        assert cushion_line(back.stdout).startswith("ok"), back.stdout
        assert proc.poll() is None  # the same daemon, never restarted
    finally:
        device.close()
        proc.terminate()
        _, err = proc.communicate(timeout=20)
    assert "Traceback" not in err + silent.stderr + back.stderr, err


def test_a_silent_cushion_that_starts_sending_garbage_is_diagnosed_again(
        serial_pty: tuple[int, str], tmp_path: Path) -> None:
    """A cable plugged in at the wrong baud rate: the daemon had said "no data at all", and
    kept saying it (status, doctor) for a minute after the garbage began. Now what the lines
    are is said within seconds."""
    master, port = serial_pty
    device = Device(master, b"\xf0\x0f\x99\x87\n")  # at the wrong baud rate
    cfg, proc = serial_daemon(port, tmp_path)
    try:
        silent = wait_status(cfg, "no data at all")
        device.start()
        talking = wait_status(cfg, "wrong baud rate?")  # 30 s at most; it took 60 s
        doctor = sitwatch("doctor", "--headless", "--config", str(cfg))
    finally:
        device.close()
        proc.terminate()
        _, err = proc.communicate(timeout=20)
    assert "lines are not numbers" in talking and "no data at all" not in talking, (silent, talking)
    line = cushion_line(doctor.stdout)
    assert line.startswith("FAIL") and "wrong baud rate?" in line, doctor.stdout
    assert "no data at all" not in line, line
    assert "Traceback" not in err + doctor.stderr, err
