"""Commands over MQTT answered by the real `sitwatch run` (a cushion on a pty, a real
mosquitto), in the same words as the command line: a "Not right" about a learned way of
sitting with none learned is refused as `sitwatch feedback wrong learned` refuses it (exit 2),
a resume is done as `sitwatch resume` says, and a payload that is not JSON is refused without
harm to the daemon."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.test_end_to_end import env_for
from tests.e2e.test_feedback_e2e import Cushion
from tests.helpers.servers import Watcher

pytestmark = pytest.mark.integration
RESULT = "sitwatch/command/result"


def cli(conf: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sitwatch", "--no-user-config", "--config",
                           str(conf), *args], env=env, capture_output=True, text=True, timeout=60)


def test_commands_over_mqtt_are_answered_in_the_words_of_the_command_line(tmp_path, broker):
    pytest.importorskip("paho.mqtt", reason="paho-mqtt (the mqtt extra) is not installed")
    cushion = Cushion()
    conf = tmp_path / "sitwatch.toml"
    conf.write_text(
        f'[cushion]\nport = "{cushion.port}"\nlayout = "load-cells-4"\n'
        '[calibration]\nauto = true\n'
        f'[mqtt]\nenabled = true\nhost = "127.0.0.1"\nport = {broker.port}\n'
        'node_id = "answers"\n[nudges]\ndesktop = false\n[nudges.dnd]\nenabled = false\n')
    env = env_for(tmp_path)
    w = Watcher(broker, "sitwatch/status", RESULT)
    proc = subprocess.Popen([sys.executable, "-m", "sitwatch", "run", "--no-user-config",
                             "--config", str(conf), "--headless"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        # "online" goes out after the daemon's subscription to its commands (one connection,
        # handled in order): from here on, a command is heard
        w.wait_topic("sitwatch/status", "online", timeout=30)
        w.client.publish("sitwatch/command/feedback",
                         b'{"value": "wrong learned", "id": "ha-1"}', qos=1)
        (refused,) = w.wait_topic(RESULT, timeout=15)
        said = cli(conf, env, "feedback", "wrong", "learned")
        assert said.returncode == 2, said
        assert refused.json() == {"command": "feedback", "value": "wrong learned", "ok": False,
                                  "message": said.stderr.strip().removeprefix("sitwatch: "),
                                  "event_type": "refused", "id": "ha-1"}

        w.client.publish("sitwatch/command/snooze", b"{oops", qos=1)  # not JSON: refused
        w.client.publish("sitwatch/command/resume", b"", qos=1)
        answers = [m.json() for m in w.wait_topic(RESULT, count=3, timeout=15)][1:]
        bad = next(a for a in answers if a["command"] == "snooze")
        assert bad["ok"] is False and bad["value"] == "{oops"
        assert bad["message"].startswith("the payload opens a JSON object but is not valid JSON")
        resumed = next(a for a in answers if a["command"] == "resume")
        again = cli(conf, env, "resume")
        assert again.returncode == 0, again
        assert resumed["ok"] is True and resumed["message"] == again.stdout.strip()
        assert proc.poll() is None  # the daemon took it all in its stride
        proc.terminate()
        assert proc.wait(15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
        w.close()
        cushion.close()
    assert b"Traceback" not in proc.stderr.read()
