"""`sitwatch bridge` through the real commands: a cushion on a pty (the USB cushion wired to a
Raspberry Pi), the real `sitwatch bridge` process publishing it to a real mosquitto, and a real
`sitwatch run --headless` (the desktop, with its SQLite history) reading it as a wireless
cushion (`mqtt://127.0.0.1:PORT/TOPIC`): the desktop sees the sitter, the buzzer's line of its
nudge comes out on the pty, unplugging the cushion shows as offline on the desktop at once (the
status topic, not the no-data timeout), and plugging it back in as online.

Debian packages: mosquitto (skipped, naming it, where it is missing).
"""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sitwatch.sensing import calibration
from tests.e2e.test_companion_e2e import Lines
from tests.e2e.test_end_to_end import env_for
from tests.e2e.test_feedback_e2e import EMPTY, LAY, LEFT, SEATED
from tests.helpers.servers import Broker, Relay, SlowSubscribeRelay, Watcher
from tests.helpers.virtual_cushion import wait_status

pytest.importorskip("paho.mqtt.client", reason="needs paho-mqtt>=2 (the mqtt extra)")
pytestmark = pytest.mark.integration

TOPIC = "home/office/cushion"
WAIT = 30.0  # seconds any one expectation may take (starting a daemon takes a few)


class PlugCushion:
    """A load-cell cushion on a pty behind a fixed path (``link``, as /dev/serial/by-id/...),
    sending ``frame`` 20 times a second; it can be unplugged (the pty and the path vanish) and
    plugged back in (a new pty behind the same path)."""

    def __init__(self, link: Path) -> None:
        self.link = link
        self.frame = EMPTY
        self.heard = b""  # what came back down the line (the buzzer's commands)
        self.sent = 0  # lines sent
        self.plug()

    def plug(self) -> None:
        self.master, self.slave = pty.openpty()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        os.symlink(os.ttyname(self.slave), self.link)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                os.write(self.master, (",".join(str(v) for v in self.frame) + "\n").encode())
            except OSError:
                return
            self.sent += 1
            self._stop.wait(0.05)  # the device's own rate

    def unplug(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.link.unlink()
        os.close(self.master)
        os.close(self.slave)

    def wait_heard(self, text: bytes, timeout: float = WAIT) -> bool:
        """Read what the bridge wrote to the cushion until ``text`` is among it."""
        deadline = time.monotonic() + timeout
        while text not in self.heard and time.monotonic() < deadline:
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if ready:
                self.heard += os.read(self.master, 4096)
        return text in self.heard


def sitwatch(env: dict[str, str], cfg: Path, *args: str) -> tuple[subprocess.Popen[bytes], Lines]:
    """A sitwatch command whose stderr the test reads; SIGINT as at a terminal (Ctrl-C), even
    when the tests run in the background (which ignores it)."""
    proc = subprocess.Popen([sys.executable, "-m", "sitwatch", "--no-user-config", "--config",
                             str(cfg), *args], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert proc.stderr is not None
    return proc, Lines(proc.stderr)


def ended(*procs: subprocess.Popen[bytes]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)


def numpy_loaded(pid: int) -> list[str]:
    """numpy's compiled parts mapped into a running process (what importing it costs: about a
    quarter of the bridge's memory)."""
    maps = Path(f"/proc/{pid}/maps").read_text()
    return sorted({ln.split()[-1] for ln in maps.splitlines()
                   if "/numpy" in ln and ".so" in ln.rsplit("/", 1)[-1]})


def pi_config(tmp_path: Path, port: Path) -> Path:
    cfg = tmp_path / "pi.toml"
    cfg.write_text(f'[cushion]\nport = "{port}"\nlayout = "load-cells-4"\n')
    return cfg


def desk_config(tmp_path: Path, broker_port: int) -> Path:
    """The desktop: the bridged cushion over MQTT, a calibration, short dwells, the buzzer on,
    and a no-data timeout far longer than any wait here (offline must come from the status
    topic)."""
    cal = tmp_path / "cal.json"
    calibration.from_arrays(LAY, tare=np.array(EMPTY, float), upright=np.array(SEATED, float),
                            method="recording").save(cal)
    cfg = tmp_path / "desk.toml"
    cfg.write_text(
        f'[cushion]\nport = "mqtt://127.0.0.1:{broker_port}/{TOPIC}"\nlayout = "load-cells-4"\n'
        "no_data_timeout = 120\n"
        f'[calibration]\nprofile = "{cal}"\n'
        "[detect.occupancy]\nenter_dwell = 0.3\nexit_dwell = 0.3\n[detect.balance]\ndwell = 0.5\n"
        "[nudges]\nimbalance_after = 1.0\n[nudges.cooldown]\nasymmetric_load = 1.0\n"
        "[nudges.buzzer]\nenabled = true\n[nudges.dnd]\nenabled = false\n"
        "[status]\ninterval = 0.5\n")
    return cfg


def sensor(d: dict[str, Any]) -> dict[str, Any]:
    s = d.get("sensor")
    return s if isinstance(s, dict) else {}


def test_the_desktop_reads_the_pis_usb_cushion_through_the_bridge(
        tmp_path: Path, broker: Broker) -> None:
    env = env_for(tmp_path)
    cushion = PlugCushion(tmp_path / "sitwatch-cushion")
    status = tmp_path / "run" / "sitwatch" / "status.json"
    w = Watcher(broker, f"{TOPIC}/#")
    bridge, said = sitwatch(env, pi_config(tmp_path, cushion.link), "bridge", "--to",
                            f"mqtt://127.0.0.1:{broker.port}/{TOPIC}")
    desk, desk_said = sitwatch(env, desk_config(tmp_path, broker.port), "run", "--headless")
    try:
        assert said.wait("open (text"), said.text
        w.wait_topic(f"{TOPIC}/status", "online", timeout=WAIT)
        # the lines as the cushion sent them (no parsing on the Pi)
        w.wait_topic(TOPIC, ",".join(str(v) for v in EMPTY), timeout=WAIT)

        cushion.frame = SEATED
        d = wait_status(status, lambda d: d.get("occupancy") == "occupied", WAIT)
        assert d.get("occupancy") == "occupied", (d, desk_said.text)
        assert sensor(d).get("online") is True, d
        # garbage on the line goes across as it is: the desktop counts it, as for a USB cushion
        os.write(cushion.master, b"\xfe\xff\x00 noise\n")
        d = wait_status(status, lambda d: (sensor(d).get("dropped") or 0) >= 1, WAIT)
        assert sensor(d).get("dropped") == 1 and d.get("occupancy") == "occupied", d

        # the desktop's nudge buzzes the cushion on the Pi: TOPIC/command, then the pty
        cushion.frame = LEFT
        assert cushion.wait_heard(b"VIBE 400\n"), (cushion.heard[-200:], said.text)

        # unplugged: offline on the desktop within seconds (its no-data timeout is 120 s)
        cushion.unplug()
        t0 = time.monotonic()
        d = wait_status(status, lambda d: sensor(d).get("online") is False, 10)
        assert sensor(d).get("online") is False, (d, said.text)
        assert time.monotonic() - t0 < 10
        assert said.wait("waiting for it"), said.text

        cushion.plug()
        d = wait_status(status, lambda d: sensor(d).get("online") is True, WAIT)
        assert sensor(d).get("online") is True, (d, said.text)
        assert said.wait("open (text", count=2), said.text
        # the unplug was said once, not once per retry while it was away
        assert sum("waiting for it" in ln for ln in said.lines) == 1, said.text

        bridge.send_signal(signal.SIGINT)  # Ctrl-C
        assert bridge.wait(10) == 130, said.text
        assert "Traceback" not in said.text, said.text
        # a bridge that stops says so: the desktop reports the cushion offline at once
        w.wait_topic(f"{TOPIC}/status", "offline", timeout=10)
        d = wait_status(status, lambda d: sensor(d).get("online") is False, 10)
        assert sensor(d).get("online") is False, d
    finally:
        ended(bridge, desk)
        w.close()
        if cushion.link.exists():
            cushion.unplug()


def test_a_command_sent_at_the_connected_line_reaches_the_cushion(
        tmp_path: Path, broker: Broker) -> None:
    """"connected to ..." is the bridge's ready line: a command for the cushion published the
    moment it is said reaches the cushion. Regression: the line came with the broker's CONNACK,
    before the broker had the bridge's subscription to TOPIC/command, so on a line slow for
    subscriptions the first command sent meanwhile (the buzzer's) was lost."""
    relay = SlowSubscribeRelay(broker.port, delay=1.5)
    relay.open()
    cushion = PlugCushion(tmp_path / "sitwatch-cushion")
    w = Watcher(broker, f"{TOPIC}/#")
    bridge, said = sitwatch(env_for(tmp_path), pi_config(tmp_path, cushion.link), "bridge",
                            "--to", f"mqtt://127.0.0.1:{relay.port}/{TOPIC}")
    try:
        assert said.wait("connected to 127.0.0.1"), said.text
        w.client.publish(f"{TOPIC}/command", b"VIBE 250\n", qos=1).wait_for_publish(10)
        assert cushion.wait_heard(b"VIBE 250\n"), (cushion.heard[-200:], said.text)
        assert relay.subscribes == 1 and "Traceback" not in said.text, said.text
    finally:
        ended(bridge)
        w.close()
        relay.close()
        cushion.unplug()


def test_a_binary_cushion_goes_across_as_text_lines(tmp_path: Path, broker: Broker) -> None:
    """A polled matrix reader (binary mode) sends no lines: the bridge polls it as `sitwatch
    run` would and publishes each frame as a text line, the only form a wireless cushion has."""
    env = env_for(tmp_path)
    master, slave = pty.openpty()
    link = tmp_path / "matrix"
    os.symlink(os.ttyname(slave), link)
    stop = threading.Event()

    def device() -> None:  # answers each poll byte with one byte per channel
        while not stop.is_set():
            if select.select([master], [], [], 0.1)[0] and b"A" in os.read(master, 64):
                os.write(master, bytes([0, 17, 200, 255]))

    thread = threading.Thread(target=device, daemon=True)
    thread.start()
    cfg = tmp_path / "pi.toml"
    cfg.write_text(f'[cushion]\nport = "{link}"\nlayout = "grid:2x2"\nmode = "binary"\n'
                   "poll_hz = 20\n")
    w = Watcher(broker, TOPIC)
    bridge, said = sitwatch(env, cfg, "bridge", "--to", f"mqtt://127.0.0.1:{broker.port}/{TOPIC}")
    try:
        w.wait_topic(TOPIC, "0,17,200,255", count=3, timeout=WAIT)
        assert "binary" in said.text, said.text  # "open (binary, 115200 baud)"
        assert numpy_loaded(bridge.pid) == [], said.text  # checked and sent, not parsed
    finally:
        ended(bridge)
        stop.set()
        thread.join(2)
        w.close()
        os.close(master)
        os.close(slave)


def test_the_bridge_never_loads_numpy(tmp_path: Path, broker: Broker) -> None:
    """A Pi Zero 2 W has 512 MB: the bridge passes lines on and makes no frame, so numpy (a
    quarter of its memory) must never be loaded, not at start, not with the first line judged,
    not after a replug. Its memory is read from the running process itself."""
    env = env_for(tmp_path)
    cushion = PlugCushion(tmp_path / "sitwatch-cushion")
    w = Watcher(broker, TOPIC)
    bridge, said = sitwatch(env, pi_config(tmp_path, cushion.link), "bridge", "--to",
                            f"mqtt://127.0.0.1:{broker.port}/{TOPIC}")
    try:
        w.wait_topic(TOPIC, ",".join(str(v) for v in EMPTY), count=5, timeout=WAIT)
        cushion.unplug()
        assert said.wait("waiting for it"), said.text
        cushion.plug()
        assert said.wait("open (text", count=2), said.text
        w.wait_topic(TOPIC, count=len(w.on(TOPIC)) + 5, timeout=WAIT)
        assert bridge.poll() is None, said.text
        assert numpy_loaded(bridge.pid) == [], said.text
        assert numpy_loaded(os.getpid()), "the check sees numpy where it is (this test has it)"
    finally:
        ended(bridge)
        w.close()
        if cushion.link.exists():
            cushion.unplug()


def test_a_broker_that_goes_away_is_said_once_and_the_lines_meanwhile_counted(
        tmp_path: Path, broker: Broker) -> None:
    env = env_for(tmp_path)
    cushion = PlugCushion(tmp_path / "sitwatch-cushion")
    relay = Relay(broker.port)
    relay.open()
    w = Watcher(broker, f"{TOPIC}/#")
    bridge, said = sitwatch(env, pi_config(tmp_path, cushion.link), "bridge", "--to",
                            f"mqtt://127.0.0.1:{relay.port}/{TOPIC}")
    try:
        assert said.wait("open (text"), said.text
        w.wait_topic(TOPIC, timeout=WAIT)
        relay.close()  # the broker's machine went away: the link is cut, reconnects fail
        assert said.wait("lost the MQTT broker"), said.text
        cut = len(w.on(TOPIC))
        sent = cushion.sent
        deadline = time.monotonic() + WAIT
        while cushion.sent < sent + 40 and time.monotonic() < deadline:
            time.sleep(0.05)  # the cushion sends 40 more lines (and paho retries meanwhile)
        relay.open()
        assert said.wait("again;"), said.text
        back = next(ln for ln in said.lines if "again;" in ln)
        assert "were dropped" in back and int(back.split("again; ")[1].split()[0]) >= 20, back
        assert sum("MQTT broker" in ln for ln in said.lines) == 1, said.text
        w.wait_topic(TOPIC, count=cut + 5, timeout=WAIT)
        assert bridge.poll() is None
    finally:
        ended(bridge)
        relay.close()
        w.close()
        cushion.unplug()


def test_a_wrong_to_url_is_one_line_and_exit_2(tmp_path: Path, broker: Broker) -> None:
    env = env_for(tmp_path)
    cushion = PlugCushion(tmp_path / "sitwatch-cushion")
    cfg = pi_config(tmp_path, cushion.link)
    try:
        for to, words in (("http://127.0.0.1/x", "mqtt://HOST[:PORT]/TOPIC"),
                          (f"mqtt://127.0.0.1:{broker.port}", "the desktop's cushion.port reads"),
                          (f"mqtt://127.0.0.1:{broker.port}/a/+/b", "wildcard")):
            out = subprocess.run([sys.executable, "-m", "sitwatch", "--no-user-config",
                                  "--config", str(cfg), "bridge", "--to", to], env=env,
                                 capture_output=True, text=True, timeout=60)
            assert out.returncode == 2, out
            assert len(out.stderr.strip().splitlines()) == 1 and words in out.stderr, out.stderr
    finally:
        cushion.unplug()


def test_a_refused_login_names_the_fix_in_the_cushions_words(tmp_path: Path) -> None:
    """`sitwatch bridge` at a mosquitto with a password file, as a user meets it: a wrong
    password in --to, the [mqtt] section's user lent to --to with a wrong password, and with a
    password file that is not there. Each ends with one line and exit 2, naming what to change
    in login_fix's words, the very words the wireless cushion and the sink use."""
    import paho.mqtt.client  # noqa: F401  (the bridge needs it)

    from sitwatch.config.credentials import CHECK_LOGIN
    from tests.helpers.servers import start_broker, stop

    pw = tmp_path / "passwd"
    if subprocess.run(["mosquitto_passwd", "-b", "-c", str(pw), "pi", "right"],
                      capture_output=True, check=False).returncode != 0:
        pytest.skip("mosquitto_passwd failed (Debian: mosquitto)")
    env = env_for(tmp_path)
    cushion = PlugCushion(tmp_path / "sitwatch-cushion")
    wrong = tmp_path / "mqtt-password"
    wrong.write_text("n0t-th1s\n", encoding="utf-8")
    gone = tmp_path / "no-such-file"
    auth = start_broker(tmp_path / "auth", extra=["allow_anonymous false",
                                                  f"password_file {pw}"])
    refused = f"the MQTT broker 127.0.0.1:{auth.port} refused the connection: Not authorized"
    try:
        for user, password_file, fix in (
                ("pi:n0t-th1s@", None, "; check the user name and password in --to"),
                ("", wrong, f"; {CHECK_LOGIN}, which the bridge logs in with (--to names no "
                            "user)"),
                ("", gone, f"; mqtt.password_file {gone} cannot be read: fix the path or its "
                           "permissions")):
            cfg = pi_config(tmp_path, cushion.link)
            if password_file is not None:
                with cfg.open("a", encoding="utf-8") as f:
                    f.write(f'[mqtt]\nhost = "127.0.0.1"\nusername = "pi"\n'
                            f'password_file = "{password_file}"\n')
            out = subprocess.run([sys.executable, "-m", "sitwatch", "--no-user-config",
                                  "--config", str(cfg), "bridge", "--to",
                                  f"mqtt://{user}127.0.0.1:{auth.port}/{TOPIC}"], env=env,
                                 capture_output=True, text=True, timeout=60)
            lines = [ln for ln in out.stderr.splitlines() if ln.startswith("sitwatch:")]
            assert out.returncode == 2, out
            assert lines == [f"sitwatch: {refused}{fix}"], out.stderr
            assert "n0t-th1s" not in out.stderr and "Traceback" not in out.stderr, out.stderr
    finally:
        stop(auth.proc)
        cushion.unplug()


def test_status_is_retained_so_a_desktop_started_later_knows_at_once(
        tmp_path: Path, broker: Broker) -> None:
    """The retained ``online`` is what a desktop that starts after the bridge reads first."""
    env = env_for(tmp_path)
    cushion = PlugCushion(tmp_path / "sitwatch-cushion")
    bridge, said = sitwatch(env, pi_config(tmp_path, cushion.link), "bridge", "--to",
                            f"mqtt://127.0.0.1:{broker.port}/{TOPIC}")
    try:
        assert said.wait("open (text"), said.text
        first = Watcher(broker, f"{TOPIC}/status")
        try:
            first.wait_topic(f"{TOPIC}/status", "online", timeout=10)
        finally:
            first.close()
        late = Watcher(broker, f"{TOPIC}/status")
        try:
            got = late.wait_topic(f"{TOPIC}/status", "online", timeout=10)
            assert got[0].retain
        finally:
            late.close()
    finally:
        ended(bridge)
        cushion.unplug()
