"""MqttSink against a broker that speaks only MQTT 3.1.1 (Mosquitto before 1.6, some embedded
brokers), on a real socket on 127.0.0.1: the installed mosquitto cannot be told to refuse MQTT 5,
so a tiny broker of the tests' own plays it (tests.helpers.servers.Mqtt311Broker).

Regression: the sink connected with MQTT 5 only, so after the upgrade to MQTT 5 such a broker
refused it for ever: no state, no events, no Home Assistant, no commands. Every wait is bounded
by a deadline; nothing sleeps to wait out a timer.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

from sitwatch.core.clock import ManualClock
from sitwatch.core.events import NUDGE, Event
from sitwatch.core.kinds import MqttProtocol
from sitwatch.sinks.mqtt import MqttConfig, MqttSink

try:
    from tests.helpers.servers import Broker, Mqtt311Broker
except ImportError:  # pytest started without the repository root on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.helpers.servers import Broker, Mqtt311Broker

pytest.importorskip("paho.mqtt.client", reason="needs paho-mqtt>=2 (pip install paho-mqtt)")
pytestmark = pytest.mark.integration

LOG = "sitwatch.test.mqtt_v311"
MQTT5, MQTT311 = 5, 4  # the protocol level in a CONNECT
RESULT = "sitwatch/command/result"


def make_sink(port: int, **kw: object) -> MqttSink:
    cfg = MqttConfig(enabled=True, host="127.0.0.1", port=port, node_id="old", **kw)
    return MqttSink(cfg, ManualClock(), log=logging.getLogger(LOG),
                    on_command=lambda action, ev: None)


@pytest.fixture
def old_broker():
    b = Mqtt311Broker()
    yield b
    b.close()


@pytest.mark.parametrize("on_v5", ["connack", "close"])
def test_the_sink_falls_back_to_3_1_1_and_says_so_once(on_v5, caplog):
    """The broker answers MQTT 5 with "unacceptable protocol version" (as the standard asks),
    or just closes the connection: the sink connects again with 3.1.1 and keeps it."""
    b = Mqtt311Broker(on_v5=on_v5)
    s = make_sink(b.port)
    try:
        with caplog.at_level(logging.DEBUG, logger=LOG):
            s.start()
            assert s.wait_connected(10), (b.levels, caplog.text)
            assert b.wait_for(lambda: "online" in [m.text for m in b.on("sitwatch/status")])
            s.handle(Event(12.5, NUDGE, None, {"kind": "slouch", "title": "Sit back"}))
            assert b.wait_for(lambda: bool(b.on("sitwatch/event/nudge")))
            s.publish_state({"occupancy": "occupied"})
            assert b.wait_for(lambda: bool(b.on("sitwatch/state/occupancy")))
        assert b.levels == [MQTT5, MQTT311]
        assert s.version == MqttProtocol.V311
        assert b.errors == []  # no MQTT 5 subscription options on a 3.1.1 connection
        assert "sitwatch/command/+" in b.subscribed
        assert b.on("homeassistant/sensor/old/posture/config")  # Home Assistant is told
        said = [r for r in caplog.records if "speaks only MQTT 3.1.1" in r.getMessage()]
        assert len(said) == 1 and said[0].levelno == logging.INFO
        assert "commands are answered on sitwatch/command/result only" in said[0].getMessage()
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
    finally:
        s.close()
        b.close()
    assert b.on("sitwatch/status")[-1].text == "offline"


def test_commands_over_3_1_1_are_answered_and_our_answers_are_not_commands(old_broker):
    """3.1.1 has no no_local: the broker hands our own answers on <base>/command/result back
    to us, under the command/ prefix; they are no commands (or each would be refused again)."""
    got: list[str] = []
    cfg = MqttConfig(enabled=True, host="127.0.0.1", port=old_broker.port, node_id="old")
    s = MqttSink(cfg, ManualClock(), log=logging.getLogger(LOG),
                 on_command=lambda action, ev: got.append(action))
    s.start()
    try:
        assert s.wait_connected(10)
        assert old_broker.wait_for(lambda: "sitwatch/command/+" in old_broker.subscribed)
        old_broker.send("sitwatch/command/shout", b"x")  # unknown: answered at once
        assert old_broker.wait_for(lambda: bool(old_broker.on(RESULT)))
        # the broker sent the answer back to the sink before this one
        old_broker.send("sitwatch/command/snooze", b"30m")
        assert old_broker.wait_for(lambda: got == ["snooze"])
        (answer,) = old_broker.on(RESULT)
        assert answer.json()["command"] == "shout" and answer.json()["ok"] is False
        assert s.refused == 1 and s.commands == 1  # its own answer came back: not refused
    finally:
        s.close()


def test_3_1_1_configured_never_tries_mqtt_5(old_broker):
    s = make_sink(old_broker.port, protocol="3.1.1")
    s.start()
    try:
        assert s.wait_connected(10)
        assert old_broker.wait_for(lambda: bool(old_broker.on("sitwatch/status")))
    finally:
        s.close()
    assert old_broker.levels == [MQTT311]


def test_mqtt_5_required_does_not_fall_back_and_says_why(old_broker, caplog):
    s = make_sink(old_broker.port, protocol="5")
    with caplog.at_level(logging.WARNING, logger=LOG):
        s.start()
        try:
            assert old_broker.wait_for(lambda: len(old_broker.levels) >= 1)
            assert old_broker.wait_for(lambda: "speaks only MQTT 3.1.1" in caplog.text, 5)
        finally:
            s.close()
    assert set(old_broker.levels) == {MQTT5} and not s.connected
    assert 'set mqtt.protocol = "auto" or "3.1.1"' in caplog.text


def test_check_says_which_version_the_broker_speaks(old_broker, broker: Broker):
    ok, text = make_sink(old_broker.port).check(timeout=5)
    assert ok, text
    assert f"connected to 127.0.0.1:{old_broker.port} with MQTT 3.1.1 (the broker does not " \
           "speak MQTT 5" in text
    ok, text = make_sink(old_broker.port, protocol="5").check(timeout=5)
    assert not ok and "speaks only MQTT 3.1.1" in text, text
    ok, text = make_sink(broker.port).check(timeout=5)  # a real mosquitto 2: MQTT 5
    assert ok and f"connected to 127.0.0.1:{broker.port} with MQTT 5;" in text, text


def test_a_broker_that_speaks_mqtt_5_keeps_mqtt_5(broker: Broker):
    s = make_sink(broker.port)
    s.start()
    try:
        assert s.wait_connected(10), broker.log()
        assert s.version == MqttProtocol.V5 and not s.fell_back
    finally:
        s.close()
