"""`sitwatch bridge` and `sitwatch companion` speak MQTT as the daemon does: MQTT 5 with real
mosquitto, MQTT 3.1.1 with a broker that speaks only that (it refuses MQTT 5, or closes the
connection without a word), and what `mqtt.protocol` sets; their "connected" line names the
version. Through the real commands; every wait is bounded by a deadline.

Debian packages: mosquitto (skipped, naming it, where it is missing).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.test_bridge_e2e import TOPIC, PlugCushion, ended, pi_config, sitwatch
from tests.e2e.test_end_to_end import env_for
from tests.helpers.servers import Broker, Mqtt311Broker

pytest.importorskip("paho.mqtt.client", reason="needs paho-mqtt>=2 (the mqtt extra)")
pytestmark = pytest.mark.integration


def companion_config(tmp_path: Path, port: int, protocol: str = "auto") -> Path:
    cfg = tmp_path / "desk.toml"
    cfg.write_text(f'[mqtt]\nhost = "127.0.0.1"\nport = {port}\nprotocol = "{protocol}"\n'
                   "[nudges.dnd]\nenabled = false\n")
    return cfg


@pytest.mark.parametrize("on_v5", ["connack", "close"])
def test_the_bridge_falls_back_to_3_1_1_and_its_lines_arrive(tmp_path: Path, on_v5: str) -> None:
    b = Mqtt311Broker(on_v5=on_v5)
    cushion = PlugCushion(tmp_path / "sitwatch-cushion")
    bridge, said = sitwatch(env_for(tmp_path), pi_config(tmp_path, cushion.link), "bridge",
                            "--to", f"mqtt://127.0.0.1:{b.port}/{TOPIC}")
    try:
        assert said.wait(f"connected to 127.0.0.1:{b.port} with MQTT 3.1.1 (the broker "), \
            said.text
        assert b.wait_for(lambda: len(b.on(TOPIC)) >= 5), said.text  # the cushion's lines
        assert b.levels[:2] == [5, 4], b.levels  # MQTT 5 first, then 3.1.1
        assert f"{TOPIC}/command" in b.subscribed and not b.errors
        assert bridge.poll() is None
    finally:
        ended(bridge)
        b.close()
        cushion.unplug()
    assert "Traceback" not in said.text and "cannot reach" not in said.text, said.text


def test_the_bridge_speaks_mqtt_5_to_mosquitto(tmp_path: Path, broker: Broker) -> None:
    cushion = PlugCushion(tmp_path / "sitwatch-cushion")
    bridge, said = sitwatch(env_for(tmp_path), pi_config(tmp_path, cushion.link), "bridge",
                            "--to", f"mqtt://127.0.0.1:{broker.port}/{TOPIC}")
    try:
        assert said.wait(f"connected to 127.0.0.1:{broker.port} with MQTT 5: "), said.text
    finally:
        ended(bridge)
        cushion.unplug()


@pytest.mark.parametrize("on_v5", ["connack", "close"])
def test_the_companion_falls_back_to_3_1_1_and_subscribes(tmp_path: Path, on_v5: str) -> None:
    b = Mqtt311Broker(on_v5=on_v5)
    comp, said = sitwatch(env_for(tmp_path), companion_config(tmp_path, b.port), "companion")
    try:
        assert said.wait(f"connected to 127.0.0.1:{b.port} with MQTT 3.1.1 (the broker "), \
            said.text
        assert b.wait_for(lambda: "sitwatch/event/nudge" in b.subscribed), b.subscribed
        assert b.levels[:2] == [5, 4] and not b.errors, (b.levels, b.errors)
        assert comp.poll() is None
    finally:
        ended(comp)
        b.close()
    assert "Traceback" not in said.text and "cannot reach" not in said.text, said.text


def test_the_companion_honours_mqtt_protocol(tmp_path: Path) -> None:
    """``protocol = "3.1.1"``: straight to 3.1.1; ``"5"`` at a 3.1.1 broker: one line naming
    the setting, exit 2 (no retry mends it)."""
    b = Mqtt311Broker()
    try:
        comp, said = sitwatch(env_for(tmp_path), companion_config(tmp_path, b.port, "3.1.1"),
                              "companion")
        try:
            assert said.wait(f"connected to 127.0.0.1:{b.port} with MQTT 3.1.1:"), said.text
            assert b.levels == [4], b.levels
        finally:
            ended(comp)
        comp, said = sitwatch(env_for(tmp_path), companion_config(tmp_path, b.port, "5"),
                              "companion")
        assert comp.wait(30) == 2, said.text
        assert said.wait('it speaks only MQTT 3.1.1: set mqtt.protocol = "auto" or "3.1.1"'), \
            said.text
    finally:
        b.close()


def test_the_companion_speaks_mqtt_5_to_mosquitto(tmp_path: Path, broker: Broker) -> None:
    comp, said = sitwatch(env_for(tmp_path), companion_config(tmp_path, broker.port),
                          "companion")
    try:
        assert said.wait(f"connected to 127.0.0.1:{broker.port} with MQTT 5: "), said.text
    finally:
        ended(comp)
