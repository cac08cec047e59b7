"""`sitwatch run` with a broker that refuses it (a wrong password, MQTT 5 where the broker
speaks only 3.1.1), as a user meets it in the journal: the refusal, with its reason, is said
once. Regression: paho closes a refused connection itself, and the sink said a second warning,
"cannot reach 127.0.0.1:PORT (Unspecified error)", which sent people looking for a network
problem. Every wait is bounded by a deadline."""

from __future__ import annotations

import contextlib
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.e2e.test_end_to_end import env_for
from tests.e2e.test_feedback_e2e import Cushion
from tests.helpers.servers import Mqtt311Broker, start_broker, stop

pytest.importorskip("paho.mqtt.client", reason="needs paho-mqtt>=2 (the mqtt extra)")
pytestmark = pytest.mark.integration
REFUSED = "refused the connection: "


def run_until_refused_twice(tmp_path: Path, mqtt: str) -> str:
    """`sitwatch run -vv` with the ``[mqtt]`` table ``mqtt``, until the broker has refused two
    connections (the second refusal is a debug line: by then paho has closed the first
    connection), then stopped: its log."""
    cushion = Cushion()
    conf = tmp_path / "sitwatch.toml"
    conf.write_text(f'[cushion]\nport = "{cushion.port}"\nlayout = "load-cells-4"\n'
                    f"[mqtt]\nenabled = true\nnode_id = \"refused\"\n{mqtt}"
                    "[nudges]\ndesktop = false\n[nudges.dnd]\nenabled = false\n")
    proc = subprocess.Popen([sys.executable, "-m", "sitwatch", "run", "--no-user-config",
                             "--config", str(conf), "--headless", "-vv"], env=env_for(tmp_path),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines: queue.SimpleQueue[str] = queue.SimpleQueue()
    assert proc.stderr is not None
    reader = threading.Thread(target=lambda: [lines.put(x) for x in proc.stderr],  # type: ignore[union-attr]
                              daemon=True)
    reader.start()
    log = ""
    try:
        end = time.monotonic() + 30
        while log.count(REFUSED) < 2:
            assert time.monotonic() < end and proc.poll() is None, log
            with contextlib.suppress(queue.Empty):
                log += lines.get(timeout=0.5)
        proc.terminate()
        assert proc.wait(15) == 0, log
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
        cushion.close()
    reader.join(5)
    while not lines.empty():
        log += lines.get()
    return log


def warnings(log: str) -> list[str]:
    return [x for x in log.splitlines() if "WARNING" in x and "mqtt" in x]


def test_a_wrong_password_is_said_once(tmp_path: Path) -> None:
    pw = tmp_path / "passwd"
    if subprocess.run(["mosquitto_passwd", "-b", "-c", str(pw), "sitter", "s3cret"],
                      capture_output=True, check=False).returncode != 0:
        pytest.skip("mosquitto_passwd failed (Debian: mosquitto)")
    pw.chmod(0o600)
    b = start_broker(tmp_path / "auth", extra=["allow_anonymous false", f"password_file {pw}"])
    try:
        log = run_until_refused_twice(tmp_path, f'host = "127.0.0.1"\nport = {b.port}\n'
                                      'username = "sitter"\npassword = "wrong"\n')
    finally:
        stop(b.proc)
    assert "Traceback" not in log
    assert "cannot reach" not in log, log
    (said,) = warnings(log)
    assert (f"127.0.0.1:{b.port} {REFUSED}Not authorized; check mqtt.username and its "
            "password (mqtt.password or mqtt.password_file); retrying") in said, log


def test_mqtt_5_refused_by_a_3_1_1_broker_is_said_once(tmp_path: Path) -> None:
    b = Mqtt311Broker()
    try:
        log = run_until_refused_twice(tmp_path, f'host = "127.0.0.1"\nport = {b.port}\n'
                                      'protocol = "5"\n')
    finally:
        b.close()
    assert "cannot reach" not in log, log
    (said,) = warnings(log)
    assert f"{REFUSED}Unsupported protocol version (it speaks only MQTT 3.1.1" in said, log
