"""MQTT 5 or 3.1.1 (``mqtt.protocol``): what the sink does differently without MQTT 5, and how
it reads a broker's refusal of MQTT 5, on packets and messages as paho hands them over, with a
client that records what is sent (no broker: tests/integration/test_mqtt_sink_v311.py has a
real socket with a broker that speaks only 3.1.1)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

import pytest

from sitwatch import config
from sitwatch.core.clock import ManualClock
from sitwatch.core.kinds import MqttProtocol
from sitwatch.sinks.mqtt import UNSUPPORTED_VERSION, MqttConfig, MqttSink

pytest.importorskip("paho.mqtt.client", reason="needs paho-mqtt>=2 (the mqtt extra)")
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

RESULT = "sitwatch/command/result"
LOG = "sitwatch.test.mqtt_protocol"


@dataclass
class Msg:
    topic: str
    payload: bytes
    retain: bool = False
    properties: Any = None


@dataclass
class RecordingClient:
    """Records publish and subscribe calls with what paho would put on the wire."""

    sent: list[tuple[str, Any]] = field(default_factory=list)  # (topic, properties)
    subscriptions: list[tuple[Any, dict[str, Any]]] = field(default_factory=list)

    def publish(self, topic: str, payload: Any, qos: int = 0, retain: bool = False,
                properties: Any = None) -> None:
        self.sent.append((topic, properties))

    def subscribe(self, topic: Any, qos: int = 0, options: Any = None) -> None:
        self.subscriptions.append((topic, {"qos": qos, "options": options}))


def sink(protocol: str = "auto", **kw: Any) -> tuple[MqttSink, RecordingClient, list[str]]:
    got: list[str] = []
    s = MqttSink(MqttConfig(enabled=True, node_id="desk", protocol=protocol, **kw),
                 ManualClock(), log=logging.getLogger(LOG),
                 on_command=lambda action, ev: got.append(action))
    client = RecordingClient()
    s._client = client
    return s, client, got


def refused_v5() -> ReasonCode:
    """What paho 2 hands on_connect when a 3.1.1 broker answers an MQTT 5 CONNECT with the
    3.1.1 CONNACK "unacceptable protocol version" (return code 1)."""
    from paho.mqtt._packet import decode_connack  # paho's own reading of the packet
    from paho.mqtt.client import MQTTv5

    return decode_connack(0x20, bytes([0x00, 0x01]), MQTTv5).reason


def v5_command(payload: bytes = b"30m") -> Msg:
    props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
    props.ResponseTopic = "my/replies"
    props.CorrelationData = b"req-1"
    return Msg("sitwatch/command/snooze", payload, properties=props)


# -- the setting ---------------------------------------------------------------------------------


def test_the_protocol_is_auto_by_default_and_takes_5_as_a_number() -> None:
    assert config.Config().mqtt.protocol == MqttProtocol.AUTO
    assert MqttConfig(protocol=5).protocol == MqttProtocol.V5  # protocol = 5 in TOML
    assert MqttConfig(protocol="3.1.1").protocol == MqttProtocol.V311
    assert 'protocol = "auto"' in config.render()


@pytest.mark.parametrize("bad", ["4", "3.1", "v5", 311, True])
def test_an_unknown_protocol_is_refused_naming_the_choices(bad: Any) -> None:
    with pytest.raises(ValueError, match=re.escape("'auto', '5' or '3.1.1'")):
        MqttConfig(protocol=bad)


# -- reading the broker's refusal -----------------------------------------------------------------


def test_paho_reports_a_3_1_1_brokers_refusal_as_unsupported_protocol_version() -> None:
    rc = refused_v5()
    assert rc.is_failure and rc == UNSUPPORTED_VERSION


def test_with_mqtt_5_required_the_refusal_says_the_broker_speaks_only_3_1_1(caplog) -> None:
    s, client, _ = sink("5")
    with caplog.at_level(logging.WARNING, logger=LOG):
        s._on_connect(client, None, None, refused_v5(), None)
    assert s.version == MqttProtocol.V5 and not s.fell_back and not s.connected
    assert "refused the connection: Unsupported protocol version (it speaks only MQTT " \
           '3.1.1: set mqtt.protocol = "auto" or "3.1.1"); retrying' in caplog.text


def test_another_refusal_is_no_reason_to_change_the_version(caplog) -> None:
    s, client, _ = sink()
    with caplog.at_level(logging.WARNING, logger=LOG):
        s._on_connect(client, None, None, ReasonCode(PacketTypes.CONNACK, "Not authorized"),
                      None)
    assert s.version == MqttProtocol.V5 and not s.fell_back
    assert ("refused the connection: Not authorized; the broker wants a login: set "
            "mqtt.username and mqtt.password (or mqtt.password_file); retrying") in caplog.text
    assert "3.1.1" not in caplog.text


def disconnected(s: MqttSink, client: RecordingClient) -> None:
    """What paho calls when the connection closes (after a refused CONNACK, paho closes it
    itself and says "Unspecified error")."""
    s._on_disconnect(client, None, None, ReasonCode(PacketTypes.DISCONNECT, "Unspecified error"),
                     None)


@pytest.mark.parametrize("refusal", ["Bad user name or password", "Not authorized"])
def test_a_refusal_is_said_once_not_again_as_a_host_that_cannot_be_reached(refusal,
                                                                           caplog) -> None:
    """paho disconnects after a refused CONNACK: the refusal, with its reason, is the one
    warning, and the problem the status file and doctor show."""
    s, client, _ = sink("5")
    with caplog.at_level(logging.DEBUG, logger=LOG):
        s._on_connect(client, None, None, ReasonCode(PacketTypes.CONNACK, refusal), None)
        disconnected(s, client)
    said = [r.getMessage() for r in caplog.records]
    assert said == [f"mqtt: localhost:1883 refused the connection: {refusal}; the broker "
                    "wants a login: set mqtt.username and mqtt.password (or "
                    "mqtt.password_file); retrying"], said
    assert s.problems.current == said[0]


def test_a_host_that_cannot_be_reached_and_a_lost_broker_are_still_said(caplog) -> None:
    s, client, _ = sink()
    with caplog.at_level(logging.DEBUG, logger=LOG):
        s.link.acked = True  # an answer came: the connection was about to be accepted
        s._on_connect(client, None, None, ReasonCode(PacketTypes.CONNACK, "Success"), None)
        disconnected(s, client)  # a broker that was connected went away
        disconnected(s, client)  # ... and no answer to the next try
        s._on_connect_fail(client, None)  # ... nor to the one after
    said = [(r.levelno, r.getMessage()) for r in caplog.records if "mqtt: " in r.getMessage()
            and "connected to" not in r.getMessage()]
    assert [lv for lv, _ in said] == [logging.WARNING, logging.DEBUG, logging.DEBUG], said
    assert "lost the broker" in said[0][1] and "cannot reach" in said[1][1], said


def test_a_broker_never_reached_is_a_warning_and_its_return_is_said(caplog) -> None:
    """After "lost the broker" the failed reconnect tries are part of the same outage (debug
    lines); without it, "cannot reach" is the warning."""
    s, client, _ = sink()
    with caplog.at_level(logging.WARNING, logger=LOG):
        s._on_connect_fail(client, None)
        s._on_connect_fail(client, None)
        s._on_connect(client, None, None, ReasonCode(PacketTypes.CONNACK, "Success"), None)
    said = [r.getMessage() for r in caplog.records]
    assert len(said) == 2 and "cannot reach" in said[0] and "again" in said[1], said


def test_a_client_given_up_is_not_listened_to() -> None:
    s, client, _ = sink()
    s._on_connect(RecordingClient(), None, None, ReasonCode(PacketTypes.CONNACK, "Success"),
                  None)  # the MQTT 5 client left behind after falling back
    assert not s.connected and s.connects == 0


# -- without MQTT 5 ------------------------------------------------------------------------------


def test_with_3_1_1_commands_are_subscribed_without_mqtt_5_options() -> None:
    s, client, _ = sink("3.1.1")
    assert s.version == MqttProtocol.V311
    s._on_connect(client, None, None, ReasonCode(PacketTypes.CONNACK, "Success"), None)
    assert s.connected
    ((topic, how),) = [(t, h) for t, h in client.subscriptions if t == "sitwatch/command/+"]
    assert how == {"qos": 1, "options": None}  # 3.1.1 reserves the option bits: no no_local


def test_with_mqtt_5_commands_are_subscribed_with_no_local() -> None:
    s, client, _ = sink()
    s._on_connect(client, None, None, ReasonCode(PacketTypes.CONNACK, "Success"), None)
    ((topic, how),) = [(t, h) for t, h in client.subscriptions if t == "sitwatch/command/+"]
    assert how["options"].noLocal is True


def test_with_3_1_1_answers_go_to_the_result_topic_only_without_properties() -> None:
    s, client, got = sink("3.1.1")
    s._on_message(client, None, v5_command(b"bogus-duration"))  # refused here, at once
    assert [t for t, _ in client.sent] == [RESULT]  # not my/replies
    assert all(props is None for _, props in client.sent)
    s._on_message(client, None, v5_command())
    assert got == ["snooze"]


def test_with_mqtt_5_the_same_command_is_answered_on_its_response_topic_too() -> None:
    s, client, _ = sink()
    s._on_message(client, None, v5_command(b"bogus-duration"))
    assert [t for t, _ in client.sent] == [RESULT, "my/replies"]
    assert client.sent[0][1].CorrelationData == b"req-1"


def test_our_own_answers_coming_back_are_not_commands() -> None:
    """3.1.1 has no no_local: the broker sends our answers on <base>/command/result back to
    us, under the command/ prefix we subscribe to."""
    s, client, got = sink("3.1.1")
    s._on_message(client, None, Msg(RESULT, b'{"command":"snooze","ok":false}'))
    assert got == [] and client.sent == [] and s.refused == 0


def test_a_tls_failure_is_told_by_its_reason_or_its_own_words() -> None:
    import ssl

    from sitwatch.sinks.mqtt import tls_why

    verify = ssl.SSLError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    verify.reason = "CERTIFICATE_VERIFY_FAILED"
    assert tls_why(verify) == "CERTIFICATE_VERIFY_FAILED"
    # no ``reason`` (made without OpenSSL), and str() would be a tuple's repr
    assert tls_why(ssl.SSLCertVerificationError("self-signed certificate")) == (
        "self-signed certificate")
    assert tls_why(ssl.SSLError(1, "no start line")) == "no start line"
    assert tls_why(ConnectionResetError(104, "Connection reset by peer")) == (
        "Connection reset by peer")
    assert tls_why(ssl.SSLZeroReturnError()) == "SSLZeroReturnError"
