"""A wireless cushion on a broker that wants a login: the ``[mqtt]`` section's user and password
(``password``, ``password_file`` or the systemd credential ``mqtt_password``) serve the cushion
as they serve the MQTT sink, in `sitwatch run`, `sitwatch record` and `sitwatch doctor`; and
when the broker refuses, each of them says so."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sitwatch import config
from sitwatch.core.clock import SystemClock
from sitwatch.sensing import layout as layouts
from sitwatch.sources.base import Reading, Status
from sitwatch.sources.mqtt import MqttSource

try:
    from helpers.servers import Broker, start_broker, stop
except ImportError:  # pragma: no cover - run from the repository root
    from tests.helpers.servers import Broker, start_broker, stop

mqtt = pytest.importorskip("paho.mqtt.client", reason="needs paho-mqtt>=2")

pytestmark = pytest.mark.integration
TOPIC = "home/office/cushion"
USER, SECRET = "sitwatch", "s3cret-pw"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def auth_broker(tmp_path: Path) -> Iterator[Broker]:
    """A mosquitto that lets in only sitwatch / s3cret-pw."""
    pw = tmp_path / "passwd"
    if subprocess.run(["mosquitto_passwd", "-b", "-c", str(pw), USER, SECRET],
                      capture_output=True, check=False).returncode != 0:
        pytest.skip("mosquitto_passwd failed (Debian: mosquitto)")
    pw.chmod(0o600)
    b = start_broker(tmp_path / "auth", extra=["allow_anonymous false", f"password_file {pw}"])
    try:
        yield b
    finally:
        stop(b.proc)


class Cushion:
    """The cushion's side: publishes frames ten times a second, logged in, until closed."""

    def __init__(self, broker: Broker, line: str = "4000,4000,4000,4000") -> None:
        self.c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="cushion-esp32")
        self.c.username_pw_set(USER, SECRET)
        self.c.connect(broker.host, broker.port, keepalive=5)
        self.c.loop_start()
        self._stop = threading.Event()
        self._line = line
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self) -> None:
        while not self._stop.wait(0.1):  # the cushion's own pace, not a wait for our timers
            self.c.publish(TOPIC, self._line, qos=0)

    def close(self) -> None:
        self._stop.set()
        self._t.join(5)
        self.c.loop_stop()
        self.c.disconnect()


def write_config(tmp_path: Path, broker: Broker, password_file: Path) -> Path:
    cfg = tmp_path / "sitwatch.toml"
    cfg.write_text(
        "[cushion]\n"
        f'port = "mqtt://{broker.host}:{broker.port}/{TOPIC}"\n'
        'layout = "load-cells-4"\n'
        "[mqtt]\n"
        "enabled = true\n"
        f'host = "{broker.host}"\nport = {broker.port}\n'
        f'username = "{USER}"\npassword = ""\n'
        f'password_file = "{password_file}"\n'
        "[nudges.dnd]\nenabled = false\n"
        "[history]\nenabled = false\n")
    return cfg


def env_for(tmp_path: Path, **more: str) -> dict[str, str]:
    return {"XDG_RUNTIME_DIR": str(tmp_path / "run"), "XDG_STATE_HOME": str(tmp_path / "state"),
            "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
            "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), **more}


def sitwatch(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sitwatch", *args], capture_output=True,
                          text=True, env=env_for(tmp_path, **env), timeout=60, check=False)


def secret_file(tmp_path: Path) -> Path:
    f = tmp_path / "mqtt-password"
    f.write_text(SECRET + "\n", encoding="utf-8")
    f.chmod(0o600)
    return f


def test_sitwatch_run_reads_the_cushion_with_the_password_file(auth_broker, tmp_path):
    """The new-user report: the MQTT sink connected, the cushion was 'refused us: Not
    authorized', because the cushion took mqtt.password (empty) and not mqtt.password_file."""
    cfg = write_config(tmp_path, auth_broker, secret_file(tmp_path))
    proc = subprocess.Popen([sys.executable, "-m", "sitwatch", "run", "--headless", "--json",
                             "--config", str(cfg)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env_for(tmp_path))
    out: queue.SimpleQueue[str] = queue.SimpleQueue()
    assert proc.stdout is not None
    threading.Thread(target=lambda: [out.put(ln) for ln in proc.stdout],  # type: ignore[union-attr]
                     daemon=True).start()
    cushion = Cushion(auth_broker)
    events: list[dict[str, Any]] = []
    try:
        end = time.monotonic() + 30
        while time.monotonic() < end:
            with contextlib.suppress(queue.Empty):
                events.append(json.loads(out.get(timeout=0.5)))
            if any(e.get("event") == "occupancy" for e in events):
                break
        # frames came through: someone sits on the (constantly loaded) cushion
        assert events and events[-1].get("state") == "occupied", events
        assert not [e for e in events if e.get("event") == "sensor" and e["state"] != "online"]
    finally:
        cushion.close()
        proc.terminate()
        _, err = proc.communicate(timeout=20)
    assert "refused" not in err and "Traceback" not in err, err
    assert SECRET not in err


def test_the_systemd_credential_serves_the_cushion_too(auth_broker, tmp_path, monkeypatch):
    creds = tmp_path / "credentials"
    creds.mkdir()
    (creds / "mqtt_password").write_text(SECRET, encoding="utf-8")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))  # as systemd sets it
    broker = config.Mqtt(host=auth_broker.host, port=auth_broker.port, username=USER)
    cfg = config.Cushion(port=f"mqtt://{auth_broker.host}:{auth_broker.port}/{TOPIC}",
                         layout="load-cells-4")
    src = MqttSource(cfg, layouts.load("load-cells-4"), SystemClock(), broker=broker,
                     client_id="sitwatch-cred-test")
    cushion = Cushion(auth_broker)
    try:
        got: list[Any] = []
        end = time.monotonic() + 20
        while time.monotonic() < end and not any(isinstance(i, Reading) for i in got):
            got += src.poll(0.2)
        assert any(isinstance(i, Reading) for i in got), got
        assert not [s for s in got if isinstance(s, Status) and not s.online], got
    finally:
        cushion.close()
        src.close()


def test_doctor_names_the_refusal_not_an_unspecified_error(auth_broker, tmp_path):
    """A password file that is not there: both the cushion and the MQTT line say the broker
    refused (not 'lost the MQTT broker ... (Unspecified error)'), and why no password went
    (once, on the mqtt line: the MQTT sink logs in with the same login)."""
    cfg = write_config(tmp_path, auth_broker, tmp_path / "no-such-file")
    done = sitwatch(tmp_path, "doctor", "--headless", "--listen", "2", "--config", str(cfg))
    line = next(ln for ln in done.stdout.splitlines() if ln.split()[1:2] == ["cushion"])
    assert "refused us: Not authorized; the MQTT sink logs in the same way" in line, done.stdout
    assert "Unspecified error" not in line and "lost the MQTT broker" not in line
    line = next(ln for ln in done.stdout.splitlines() if ln.split()[1:2] == ["mqtt"])
    assert "refused the connection: Not authorized" in line, done.stdout
    assert done.stdout.count("no-such-file cannot be read") == 1, done.stdout
    assert "no-such-file cannot be read" in line
    assert "Traceback" not in done.stderr


def test_record_uses_the_mqtt_login(auth_broker, tmp_path):
    cfg = write_config(tmp_path, auth_broker, secret_file(tmp_path))
    rec = tmp_path / "out.rec"
    cushion = Cushion(auth_broker)
    try:
        done = sitwatch(tmp_path, "record", "--config", str(cfg), "-o", str(rec),
                        "--duration", "2")
    finally:
        cushion.close()
    assert done.returncode == 0, done.stderr
    assert "recorded" in done.stderr and rec.exists()
    assert "4000,4000,4000,4000" in rec.read_text()


@pytest.mark.parametrize("case", ["refused", "silent"])
def test_record_says_why_nothing_was_recorded(auth_broker, tmp_path, case):
    """'nothing recorded (the warnings above ... say why)' had no warning above it."""
    pw = tmp_path / "no-such-file" if case == "refused" else secret_file(tmp_path)
    cfg = write_config(tmp_path, auth_broker, pw)
    done = sitwatch(tmp_path, "record", "--config", str(cfg), "-o", str(tmp_path / "o.rec"),
                    "--duration", "2")
    assert done.returncode == 1
    said = done.stderr.split("nothing recorded")[0]
    if case == "refused":
        assert "refused us: Not authorized" in said, done.stderr
        assert "no-such-file cannot be read" in said
    else:
        assert f"nothing arrives on {TOPIC}" in said, done.stderr
    assert "Traceback" not in done.stderr
    assert not os.path.exists(tmp_path / "o.rec")


def refusals(broker: Broker) -> int:
    """How many logins the broker has refused so far (its own log says each)."""
    return broker.log().count("not authorised")


def run_until_refused(tmp_path: Path, cfg: Path, broker: Broker, times: int = 3
                      ) -> tuple[str, subprocess.CompletedProcess[str],
                                 subprocess.CompletedProcess[str]]:
    """`sitwatch run --headless` on ``cfg`` until ``broker`` has refused ``times`` logins, then
    `sitwatch status` and `sitwatch doctor` beside it (it must still run, retrying), then
    stopped (exit 0): its stderr, and what the two said."""
    proc = subprocess.Popen([sys.executable, "-m", "sitwatch", "run", "--headless",
                             "--config", str(cfg)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, env=env_for(tmp_path))
    try:
        end = time.monotonic() + 30
        while refusals(broker) < times:
            assert time.monotonic() < end and proc.poll() is None, broker.log()
            time.sleep(0.2)  # polling the broker's log, not waiting out a timer of ours
        status = sitwatch(tmp_path, "status", "--config", str(cfg))
        doctor = sitwatch(tmp_path, "doctor", "--headless", "--config", str(cfg))
        assert proc.poll() is None  # still running, still retrying
        proc.terminate()
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=5)
    assert proc.returncode == 0, err
    return err, status, doctor


def test_a_refused_login_is_said_once_with_the_fix_and_the_daemon_retries(auth_broker,
                                                                        tmp_path):
    """A wrong password in cushion.port, as a user meets it: one warning in the log with the
    broker's reason and what to change (not again as "cannot reach" or "lost the broker"
    when paho closes the refused connection, nor at each retry); `sitwatch status` and
    `sitwatch doctor` (reading the running daemon) say the same; the daemon keeps retrying."""
    cfg = tmp_path / "sitwatch.toml"
    cfg.write_text(
        "[cushion]\n"
        f'port = "mqtt://{USER}:not-the-pw@{auth_broker.host}:{auth_broker.port}/{TOPIC}"\n'
        'layout = "load-cells-4"\n[nudges.dnd]\nenabled = false\n[history]\nenabled = false\n')
    fix = (f"the broker at {auth_broker.host}:{auth_broker.port} refused us: Not authorized; "
           "check the user name and password in cushion.port")
    # the first try and two retries (1 s, then 2 s on)
    err, status, doctor = run_until_refused(tmp_path, cfg, auth_broker)
    warned = [ln for ln in err.splitlines() if "WARNING" in ln or "ERROR" in ln]
    assert warned == [f"WARNING sitwatch.mqtt-source: cushion over MQTT: {fix}"], err
    assert "Traceback" not in err and "not-the-pw" not in err
    assert fix in status.stdout, status.stdout + status.stderr
    line = next(ln for ln in doctor.stdout.splitlines() if ln.split()[1:2] == ["cushion"])
    assert fix in line, doctor.stdout
    assert "not-the-pw" not in status.stdout + doctor.stdout


def test_doctor_says_to_check_the_login_the_mqtt_section_lends(auth_broker, tmp_path):
    """The [mqtt] section's user with a wrong password serves the cushion: the fix names
    those settings, not the URL; said once, on the mqtt line (the MQTT sink logs in with them
    too), the cushion's line pointing to it."""
    pw = tmp_path / "mqtt-password"
    pw.write_text("not-the-pw\n", encoding="utf-8")
    pw.chmod(0o600)
    cfg = write_config(tmp_path, auth_broker, pw)
    done = sitwatch(tmp_path, "doctor", "--headless", "--listen", "2", "--config", str(cfg))
    line = next(ln for ln in done.stdout.splitlines() if ln.split()[1:2] == ["cushion"])
    assert ("refused us: Not authorized; the MQTT sink logs in the same way (its mqtt: "
            "message says what to change, for both)") in line, done.stdout
    line = next(ln for ln in done.stdout.splitlines() if ln.split()[1:2] == ["mqtt"])
    assert ("refused the connection: Not authorized; check mqtt.username and its password "
            "(mqtt.password or mqtt.password_file), which the MQTT sink and the wireless "
            "cushion both log in with") in line, done.stdout
    assert done.stdout.count("check mqtt.username") == 1, done.stdout
    assert "Traceback" not in done.stderr and "not-the-pw" not in done.stdout + done.stderr


def test_no_login_for_the_sink_and_the_cushion_names_both(auth_broker, tmp_path):
    """The MQTT sink and the wireless cushion on a broker that wants a login, with no user in
    [mqtt]: the sink's line said only "set mqtt.username and mqtt.password", and the cushion's
    "the same login as the MQTT sink (... what to check)", a login there is none of. The fix
    names both users of it, once, and the cushion's line says it is the sink's way in."""
    cfg = tmp_path / "sitwatch.toml"
    cfg.write_text(
        "[cushion]\n"
        f'port = "mqtt://{auth_broker.host}:{auth_broker.port}/{TOPIC}"\n'
        'layout = "load-cells-4"\n'
        f'[mqtt]\nenabled = true\nhost = "{auth_broker.host}"\nport = {auth_broker.port}\n'
        "[nudges.dnd]\nenabled = false\n[history]\nenabled = false\n")
    done = sitwatch(tmp_path, "doctor", "--headless", "--listen", "2", "--config", str(cfg))
    line = next(ln for ln in done.stdout.splitlines() if ln.split()[1:2] == ["cushion"])
    assert ("refused us: Not authorized; the MQTT sink logs in the same way (its mqtt: "
            "message says what to change, for both)") in line, done.stdout
    line = next(ln for ln in done.stdout.splitlines() if ln.split()[1:2] == ["mqtt"])
    assert ("refused the connection: Not authorized; the broker wants a login: set "
            "mqtt.username and mqtt.password (or mqtt.password_file), which the MQTT sink "
            "and the wireless cushion both log in with") in line, done.stdout
    assert done.stdout.count("set mqtt.username") == 1, done.stdout
    assert "Traceback" not in done.stderr


def test_the_sinks_refused_login_is_said_once_with_the_fix(auth_broker, tmp_path):
    """The MQTT sink's login refused while `sitwatch run --headless` runs (the cushion, with
    its own login in the URL, reads fine): one warning naming the settings to check, not one
    per retry; `sitwatch status` and `sitwatch doctor` say the same fix."""
    pw = tmp_path / "mqtt-password"
    pw.write_text("not-the-pw\n", encoding="utf-8")
    pw.chmod(0o600)
    cfg = tmp_path / "sitwatch.toml"
    cfg.write_text(
        "[cushion]\n"
        f'port = "mqtt://{USER}:{SECRET}@{auth_broker.host}:{auth_broker.port}/{TOPIC}"\n'
        'layout = "load-cells-4"\n'
        f'[mqtt]\nenabled = true\nhost = "{auth_broker.host}"\nport = {auth_broker.port}\n'
        f'username = "{USER}"\npassword_file = "{pw}"\n'
        "[nudges.dnd]\nenabled = false\n[history]\nenabled = false\n")
    fix = (f"mqtt: {auth_broker.host}:{auth_broker.port} refused the connection: Not "
           "authorized; check mqtt.username and its password (mqtt.password or "
           "mqtt.password_file)")
    # the cushion's login is the broker's first "not authorised"-free one; the sink's first
    # try and two retries (1 s, then 2 s on) are refused
    err, status, doctor = run_until_refused(tmp_path, cfg, auth_broker)
    # nobody publishes on the cushion's topic: on a slow machine its silence warning (after
    # 10 s) comes before the daemon stops, and is not this test's subject
    warned = [ln for ln in err.splitlines() if ("WARNING" in ln or "ERROR" in ln)
              and "no valid frame for" not in ln]
    assert warned == [f"WARNING sitwatch.mqtt: {fix}; retrying"], err
    assert "Traceback" not in err and "not-the-pw" not in err
    assert f"{fix}; retrying" in status.stdout.splitlines(), status.stdout + status.stderr
    line = next(ln for ln in doctor.stdout.splitlines() if ln.split()[1:2] == ["mqtt"])
    assert fix.removeprefix("mqtt: ") in line, doctor.stdout
    assert "not-the-pw" not in status.stdout + doctor.stdout


def test_one_refused_login_for_the_sink_and_the_cushion_is_said_once(auth_broker, tmp_path):
    """The MQTT sink and the wireless cushion on one broker with the [mqtt] section's user and
    a wrong password: the fix is said once, naming both (the sink's warning), and the
    cushion's warning points to it instead of repeating it; `sitwatch status` says the same.
    Before, each connection said the whole fix, as if two things were wrong."""
    pw = tmp_path / "mqtt-password"
    pw.write_text("not-the-pw\n", encoding="utf-8")
    pw.chmod(0o600)
    cfg = write_config(tmp_path, auth_broker, pw)
    where = f"{auth_broker.host}:{auth_broker.port}"
    fix = ("check mqtt.username and its password (mqtt.password or mqtt.password_file), which "
           "the MQTT sink and the wireless cushion both log in with")
    sink = f"mqtt: {where} refused the connection: Not authorized; {fix}; retrying"
    cushion = (f"cushion over MQTT: the broker at {where} refused us: Not authorized; the MQTT "
               "sink logs in the same way (its mqtt: message says what to change, for both)")
    err, status, doctor = run_until_refused(tmp_path, cfg, auth_broker, times=4)
    warned = sorted(ln for ln in err.splitlines() if "WARNING" in ln or "ERROR" in ln)
    assert warned == [f"WARNING sitwatch.mqtt-source: {cushion}",
                      f"WARNING sitwatch.mqtt: {sink}"], err
    assert err.count("check mqtt.username") == 1, err
    assert status.stdout.count("check mqtt.username") == 1, status.stdout
    assert sink in status.stdout.splitlines(), status.stdout
    assert cushion.removeprefix("cushion over MQTT: ") in status.stdout, status.stdout
    assert doctor.stdout.count("check mqtt.username") == 1, doctor.stdout  # beside the daemon
    assert "Traceback" not in err and "not-the-pw" not in err + status.stdout + doctor.stdout
