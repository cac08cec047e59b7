"""`sitwatch run` and `sitwatch doctor` with a broker that speaks only MQTT 3.1.1 (Mosquitto
before 1.6, some embedded brokers; here the tests' own on 127.0.0.1, since mosquitto cannot be
told to refuse MQTT 5), as a user upgrading from a sitwatch that spoke 3.1.1 meets it.

Regression: the sink and doctor's check connected with MQTT 5 only, so such a broker refused
them for ever: Home Assistant lost sitwatch, and doctor failed."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.test_end_to_end import env_for
from tests.e2e.test_feedback_e2e import Cushion
from tests.helpers.servers import Mqtt311Broker

pytestmark = pytest.mark.integration
RESULT = "sitwatch/command/result"


def write_config(tmp_path: Path, cushion: Cushion, port: int) -> Path:
    conf = tmp_path / "sitwatch.toml"
    conf.write_text(
        f'[cushion]\nport = "{cushion.port}"\nlayout = "load-cells-4"\n'
        f'[mqtt]\nenabled = true\nhost = "127.0.0.1"\nport = {port}\nnode_id = "old"\n'
        '[nudges]\ndesktop = false\n[nudges.dnd]\nenabled = false\n')
    return conf


def test_the_daemon_and_doctor_work_with_a_3_1_1_broker(tmp_path):
    pytest.importorskip("paho.mqtt", reason="paho-mqtt (the mqtt extra) is not installed")
    broker = Mqtt311Broker()
    cushion = Cushion()
    conf = write_config(tmp_path, cushion, broker.port)
    env = env_for(tmp_path)
    doctor = subprocess.run([sys.executable, "-m", "sitwatch", "doctor", "--no-user-config",
                             "--config", str(conf), "--headless", "--listen", "0.5"],
                            env=env, capture_output=True, text=True, timeout=60)
    (line,) = [x for x in doctor.stdout.splitlines() if x[6:].startswith("mqtt ")]
    assert line.startswith("ok"), doctor.stdout + doctor.stderr
    assert "with MQTT 3.1.1 (the broker does not speak MQTT 5" in line, line

    proc = subprocess.Popen([sys.executable, "-m", "sitwatch", "run", "--no-user-config",
                             "--config", str(conf), "--headless", "-v"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        assert broker.wait_for(lambda: "online" in [m.text for m in broker.on("sitwatch/status")],
                               30), broker.levels
        assert broker.wait_for(lambda: "sitwatch/command/+" in broker.subscribed, 10)
        broker.send("sitwatch/command/pause", b"30m")  # the daemon answers it
        assert broker.wait_for(lambda: bool(broker.on(RESULT)), 15)
        (answer,) = broker.on(RESULT)
        assert answer.json()["command"] == "pause" and answer.json()["ok"] is True, answer.text
        assert proc.poll() is None
        proc.terminate()
        assert proc.wait(15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
        broker.close()
        cushion.close()
    err = proc.stderr.read() if proc.stderr else ""
    assert "Traceback" not in err
    assert broker.levels[-2:] == [5, 4] and broker.errors == []
    assert err.count("speaks only MQTT 3.1.1") == 1, err
    assert broker.on("sitwatch/status")[-1].text == "offline"


TOPIC = "home/office/cushion"


def cushion_config(tmp_path: Path, port: int, mqtt: str = "") -> Path:
    """A wireless cushion on the broker at ``port`` (``mqtt``: more of the [mqtt] table, for
    the same host; the sink stays off)."""
    conf = tmp_path / "sitwatch.toml"
    conf.write_text(
        f'[cushion]\nport = "mqtt://127.0.0.1:{port}/{TOPIC}"\nlayout = "load-cells-4"\n'
        f'[mqtt]\nhost = "127.0.0.1"\nport = {port}\n{mqtt}'
        '[nudges]\ndesktop = false\n[nudges.dnd]\nenabled = false\n'
        '[history]\nenabled = false\n')
    return conf


def test_doctor_reads_a_wireless_cushion_on_a_3_1_1_broker_and_names_the_version(tmp_path):
    """Regression: the cushion spoke 3.1.1 only; now it tries MQTT 5 as the sink does, falls
    back, and doctor says which version it read the cushion with."""
    pytest.importorskip("paho.mqtt", reason="paho-mqtt (the mqtt extra) is not installed")
    broker = Mqtt311Broker()
    conf = cushion_config(tmp_path, broker.port)
    proc = subprocess.Popen([sys.executable, "-m", "sitwatch", "doctor", "--no-user-config",
                             "--config", str(conf), "--headless", "--listen", "2"],
                            env=env_for(tmp_path), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        while proc.poll() is None:  # a cushion publishing at 10 frames/s while doctor listens
            broker.send(TOPIC, b"4000,4000,4000,4000")
            time.sleep(0.1)  # the cushion's own pace, not a wait for a timer of ours
        out, err = proc.communicate(timeout=30)
    finally:
        broker.close()
    (line,) = [x for x in out.splitlines() if x.split()[1:2] == ["cushion"]]
    assert line.startswith("ok") and "frames in 2 s" in line, out + err
    assert line.endswith(", over MQTT 3.1.1 (the broker refused MQTT 5)"), line
    assert broker.levels == [5, 4]
    assert "Traceback" not in err


def test_run_says_once_that_the_broker_refuses_the_mqtt_5_the_config_asks_for(tmp_path):
    """mqtt.protocol = "5" for the cushion's broker, which speaks only 3.1.1: `sitwatch run`
    says it once, with the fix, and keeps retrying; `sitwatch status` says the same."""
    pytest.importorskip("paho.mqtt", reason="paho-mqtt (the mqtt extra) is not installed")
    broker = Mqtt311Broker()
    conf = cushion_config(tmp_path, broker.port, 'protocol = "5"\n')
    env = env_for(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "sitwatch", "run", "--no-user-config",
                             "--config", str(conf), "--headless"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        assert broker.wait_for(lambda: len(broker.levels) >= 3, 30), broker.levels  # 2 retries
        status = subprocess.run([sys.executable, "-m", "sitwatch", "status", "--no-user-config",
                                 "--config", str(conf)], env=env, capture_output=True,
                                text=True, timeout=60)
        assert proc.poll() is None
        proc.terminate()
        assert proc.wait(15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
        broker.close()
    err = proc.stderr.read() if proc.stderr else ""
    fix = (f"the broker at 127.0.0.1:{broker.port} refused us: Unsupported protocol version "
           '(it speaks only MQTT 3.1.1: set mqtt.protocol = "auto" or "3.1.1")')
    warned = [x for x in err.splitlines() if "WARNING" in x or "ERROR" in x]
    assert warned == [f"WARNING sitwatch.mqtt-source: cushion over MQTT: {fix}"], err
    assert set(broker.levels) == {5}
    assert fix in status.stdout, status.stdout + status.stderr
