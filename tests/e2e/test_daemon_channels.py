"""The daemon with its headless channels switched on in the config: MQTT to a real broker,
a command hook, and a buzzer command written back to the cushion's (virtual) serial line."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers.servers import Watcher

pytestmark = pytest.mark.integration


def test_daemon_publishes_to_mqtt_runs_the_hook_and_buzzes(tmp_path: Path, broker) -> None:
    pytest.importorskip("paho.mqtt", reason="paho-mqtt (the mqtt extra) is not installed")
    master, slave = pty.openpty()
    port = os.ttyname(slave)
    hook_out = tmp_path / "hook.txt"
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        f'[cushion]\nport = "{port}"\nlayout = "load-cells-4"\n'
        '[detect]\nsit_limit = 3\n[detect.occupancy]\nenter_dwell = 0.2\n'
        '[calibration]\nauto = true\n'
        f'[mqtt]\nenabled = true\nhost = "127.0.0.1"\nport = {broker.port}\nnode_id = "testchair"\n'
        "state_interval = 1.0\n"
        f'[nudges.hook]\ncommand = ["sh", "-c", "echo {{kind}} >> {hook_out}"]\n'
        '[nudges.buzzer]\nenabled = true\n[nudges.dnd]\nenabled = false\n'
    )
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "d"), XDG_RUNTIME_DIR=str(tmp_path / "r"),
               XDG_STATE_HOME=str(tmp_path / "s"), XDG_CONFIG_HOME=str(tmp_path / "c"))
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    w = Watcher(broker, "sitwatch/#", "homeassistant/#")
    proc = subprocess.Popen([sys.executable, "-m", "sitwatch", "run", "--no-user-config",
                             "--config", str(cfg), "--headless"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    got = b""
    try:
        deadline = time.monotonic() + 30
        seated = b"20000,21000,9000,9500\n"
        while time.monotonic() < deadline and b"BUZZ" not in got:
            os.write(master, seated)
            r, _, _ = select.select([master], [], [], 0.05)
            if r:
                got += os.read(master, 4096)
        assert w.wait_topic("sitwatch/status", "online", timeout=10)
        assert w.wait_for(lambda ms: any(m.topic == "sitwatch/event/nudge" for m in ms), 10)
        assert w.wait_for(lambda ms: any(m.topic == "sitwatch/state/occupancy"
                                         and m.text == "occupied" for m in ms), 10)
        configs = [m for m in w.messages if m.topic.startswith("homeassistant/")]
        assert configs and all(json.loads(m.text)["unique_id"] for m in configs)
        nudge = json.loads(next(m for m in w.messages if m.topic == "sitwatch/event/nudge").text)
        assert nudge["kind"] == "prolonged_sitting" and nudge["message"]
        assert b"BUZZ 3" in got  # the prolonged-sitting pattern went back down the serial line
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not hook_out.exists():
            time.sleep(0.05)
        assert hook_out.read_text().split()[0] == "prolonged_sitting"

        # Home Assistant, the other way: its buttons pause and resume the daemon, and the day's
        # figures (from the history) and the mode come back as state.
        assert w.wait_for(lambda ms: any(m.topic == "sitwatch/state/sitting_today"
                                         and m.text not in ("None", "") for m in ms), 10)
        assert w.wait_topic("sitwatch/state/mode", "watching", timeout=10)
        assert w.wait_topic("sitwatch/state/over_limit", "ON", timeout=10)  # sit_limit = 3 s
        w.client.publish("sitwatch/command/pause", b"PRESS", qos=1)
        assert w.wait_topic("sitwatch/state/mode", "paused", timeout=15)
        status = subprocess.run([sys.executable, "-m", "sitwatch", "status", "--json",
                                 "--no-user-config", "--config", str(cfg)], env=env,
                                capture_output=True, text=True, timeout=60)
        assert json.loads(status.stdout)["paused"] == "forever"
        # a symptom logged from Home Assistant (an automation, a phone): stored in the diary,
        # and a warning sign comes straight back with the advice to seek care
        w.client.publish("sitwatch/command/log",
                         b'{"kind": "numbness", "where": "saddle", "severity": 3}', qos=1)
        assert w.wait_for(lambda ms: any(m.topic == "sitwatch/event/symptom" for m in ms), 15)
        sym = json.loads(next(m for m in w.messages if m.topic == "sitwatch/event/symptom").text)
        assert sym["kind"] == "numbness" and sym["red_flags"] and sym["advice"]
        w.client.publish("sitwatch/command/log", b'{"kind": "itch"}', qos=1)  # refused, logged
        # Home Assistant's Mode select: snoozed, then back to watching
        assert [json.loads(m.text)["options"] for m in configs
                if m.topic.startswith("homeassistant/select/")
                and m.topic.endswith("/mode/config")] == [["watching", "snoozed", "paused"]]
        w.client.publish("sitwatch/command/mode", b"snoozed", qos=1)
        assert w.wait_for(lambda ms: [m.text for m in ms
                                      if m.topic == "sitwatch/state/mode"][-1:] == ["snoozed"],
                          15)
        w.client.publish("sitwatch/command/mode", b"watching", qos=1)
        assert w.wait_for(lambda ms: [m.text for m in ms
                                      if m.topic == "sitwatch/state/mode"][-1:] == ["watching"],
                          15)
        proc.terminate()
        assert proc.wait(15) == 0
        import sqlite3

        with sqlite3.connect(tmp_path / "d" / "sitwatch" / "history.sqlite") as db:
            rows = db.execute("SELECT kind, area, severity, source FROM symptoms").fetchall()
        assert rows == [("numbness", "saddle", 3, "mqtt")]
        assert w.wait_topic("sitwatch/status", "offline", timeout=10)  # said before leaving
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
        w.close()
        os.close(master)
        os.close(slave)


def test_the_hook_gets_the_nudge_with_its_wall_time_as_run_json_prints_it(tmp_path: Path) -> None:
    """The hook's stdin is the same event as ``run --json`` prints and MQTT publishes: with
    ``at``, ISO 8601 with the UTC offset (docs/events.md)."""
    from datetime import datetime

    master, slave = pty.openpty()
    stdin_copy = tmp_path / "stdin.json"
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        f'[cushion]\nport = "{os.ttyname(slave)}"\nlayout = "load-cells-4"\n'
        '[detect]\nsit_limit = 3\n[detect.occupancy]\nenter_dwell = 0.2\n'
        '[calibration]\nauto = true\n[nudges.dnd]\nenabled = false\n'
        f'[nudges.hook]\ncommand = ["sh", "-c", "cat > \\"$0\\"", "{stdin_copy}"]\n'
    )
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "d"), XDG_RUNTIME_DIR=str(tmp_path / "r"),
               XDG_STATE_HOME=str(tmp_path / "s"), XDG_CONFIG_HOME=str(tmp_path / "c"))
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    proc = subprocess.Popen([sys.executable, "-m", "sitwatch", "run", "--no-user-config",
                             "--config", str(cfg), "--headless", "--json"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    out = b""
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (stdin_copy.exists()
                                                   and stdin_copy.read_bytes().endswith(b"\n")):
            os.write(master, b"20000,21000,9000,9500\n")
            r, _, _ = select.select([master, proc.stdout], [], [], 0.05)
            if master in r:
                os.read(master, 4096)
            if proc.stdout in r:
                out += os.read(proc.stdout.fileno(), 65536)
        hooked = json.loads(stdin_copy.read_text(encoding="utf-8"))
    finally:
        proc.terminate()
        proc.wait(15)
        os.close(master)
        os.close(slave)
    assert hooked["event"] == "nudge" and hooked["kind"] == "prolonged_sitting"
    at = datetime.fromisoformat(hooked["at"])
    assert at.utcoffset() is not None
    assert abs((datetime.now().astimezone() - at).total_seconds()) < 60
    printed = [json.loads(line) for line in out.decode().splitlines() if line.startswith("{")]
    same = [e for e in printed if e["event"] == "nudge" and e["t"] == hooked["t"]]
    assert same and abs((datetime.fromisoformat(same[0]["at"]) - at).total_seconds()) <= 1
