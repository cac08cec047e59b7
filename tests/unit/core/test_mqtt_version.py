"""What a broker's answers mean to whoever connects (the MQTT sink, the wireless cushion): the
shared account of which MQTT version to speak, on reason codes as paho hands them over."""

from __future__ import annotations

import pytest

from sitwatch.core.kinds import MqttProtocol
from sitwatch.core.mqtt_version import DROPPED, Negotiation, Outcome, closed_why

pytest.importorskip("paho.mqtt.client", reason="needs paho-mqtt>=2 (the mqtt extra)")
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.reasoncodes import ReasonCode

OK = ReasonCode(PacketTypes.CONNACK, "Success")
NOT_AUTHORIZED = ReasonCode(PacketTypes.CONNACK, "Not authorized")
NO_V5 = ReasonCode(PacketTypes.CONNACK, "Unsupported protocol version")


def test_auto_starts_with_mqtt_5_and_falls_back_on_a_refusal_of_it() -> None:
    n = Negotiation("auto")
    assert n.version == MqttProtocol.V5 and n.name == "MQTT 5"
    assert n.answered(NO_V5) == Outcome.FALL_BACK
    n.fall_back("refused MQTT 5")
    assert n.name == "MQTT 3.1.1" and n.spoken == "MQTT 3.1.1 (the broker refused MQTT 5)"
    assert n.answered(NO_V5) == Outcome.REFUSED  # no further to fall


@pytest.mark.parametrize("setting", ["5", "3.1.1"])
def test_a_version_set_is_kept(setting: str) -> None:
    n = Negotiation(setting)
    assert n.version == setting and n.answered(NO_V5) == Outcome.REFUSED
    assert n.closed(False) == Outcome.SAID  # paho closing the refused connection
    assert n.closed(False) == Outcome.UNREACHABLE  # the next try: no answer at all
    hint = n.refusal_hint(NO_V5)
    assert ('set mqtt.protocol = "auto" or "3.1.1"' in hint) == (setting == "5")


def test_a_refused_login_is_refused_then_said_not_lost() -> None:
    n = Negotiation("auto")
    assert n.answered(NOT_AUTHORIZED) == Outcome.REFUSED and n.refusal_hint(NOT_AUTHORIZED) == ""
    assert n.closed(False) == Outcome.SAID


def test_a_close_without_an_answer_falls_back_only_before_the_first_connection() -> None:
    n = Negotiation("auto")
    assert n.closed(False) == Outcome.FALL_BACK
    assert n.answered(OK) == Outcome.CONNECTED
    assert n.closed(True) == Outcome.LOST
    assert n.closed(False) == Outcome.UNREACHABLE  # a broker restarting: not a matter of version


def test_why_a_connection_ended_is_said_in_plain_words_or_in_the_brokers() -> None:
    """paho calls a connection that simply broke "Unspecified error" (a broker that stopped,
    a network that went away); a DISCONNECT the broker sent carries a reason worth keeping."""
    from paho.mqtt.client import DisconnectFlags, convert_disconnect_error_code_to_reason_code
    from paho.mqtt.enums import MQTTErrorCode

    paho_only, from_broker = DisconnectFlags(False), DisconnectFlags(True)
    lost = convert_disconnect_error_code_to_reason_code(MQTTErrorCode.MQTT_ERR_CONN_LOST)
    assert closed_why(paho_only, lost) == DROPPED
    assert "Unspecified" not in DROPPED and "dropped" in DROPPED
    quiet = convert_disconnect_error_code_to_reason_code(MQTTErrorCode.MQTT_ERR_KEEPALIVE)
    assert closed_why(paho_only, quiet) == "the broker stopped answering (keepalive timeout)"
    bad = convert_disconnect_error_code_to_reason_code(MQTTErrorCode.MQTT_ERR_PROTOCOL)
    assert closed_why(paho_only, bad) == "Protocol error"  # paho's own words, when specific
    for reason in ("Session taken over", "Server shutting down", "Packet too large",
                   "Unspecified error"):
        sent = ReasonCode(PacketTypes.DISCONNECT, reason)
        assert closed_why(from_broker, sent) == f"the broker closed it: {reason}"
    assert closed_why(None, lost) == DROPPED  # a caller without flags (paho's API 1)


def test_drops_right_after_connecting_three_times_in_a_row_are_a_takeover() -> None:
    """Two clients with one client id: mosquitto 2.0 drops the older without a DISCONNECT,
    each time the other reconnects (a second later). A connection that lasted, or a broker
    that could not be reached in between, is an ordinary loss and starts the count again."""
    from paho.mqtt.client import DisconnectFlags, convert_disconnect_error_code_to_reason_code
    from paho.mqtt.enums import MQTTErrorCode

    from sitwatch.core.mqtt_version import TAKEOVER_DROPS, TAKEOVER_WITHIN, Takeover

    quiet = DisconnectFlags(False)
    lost = convert_disconnect_error_code_to_reason_code(MQTTErrorCode.MQTT_ERR_CONN_LOST)
    t = Takeover()
    now = 100.0
    seen = []
    for _ in range(TAKEOVER_DROPS):
        t.up(now)
        now += 1.0
        seen.append(t.down(now, quiet, lost))
    assert seen == [False] * (TAKEOVER_DROPS - 1) + [True] and not t.said

    t = Takeover()
    for lasted in (1.0, 1.0, TAKEOVER_WITHIN, 1.0, 1.0):  # the third lasted: count again
        t.up(now)
        now += lasted
        assert not t.down(now, quiet, lost)
    t.unreachable()  # the broker was away in between: not the pattern either
    t.up(now)
    assert not t.down(now + 1, quiet, lost)
    silent = convert_disconnect_error_code_to_reason_code(MQTTErrorCode.MQTT_ERR_KEEPALIVE)
    for _ in range(TAKEOVER_DROPS + 1):  # a network gone quiet, however soon: not a takeover
        t.up(now)
        assert not t.down(now + 1, quiet, silent)


def test_the_brokers_own_reason_decides_when_it_sends_one() -> None:
    from paho.mqtt.client import DisconnectFlags

    from sitwatch.core.mqtt_version import Takeover

    said = DisconnectFlags(True)
    t = Takeover()
    t.up(0.0)
    assert t.down(500.0, said, ReasonCode(PacketTypes.DISCONNECT, "Session taken over"))
    assert t.said  # at once, however long the connection lasted
    for _ in range(5):  # "Not authorized", "Server shutting down": the broker's own reasons
        t.up(0.0)
        assert not t.down(0.5, said, ReasonCode(PacketTypes.DISCONNECT, "Not authorized"))


def test_backing_off_waits_longer_each_time_until_a_connection_holds() -> None:
    from sitwatch.core.mqtt_version import TAKEOVER_WAITS, TAKEOVER_WITHIN, Takeover

    t = Takeover()
    assert not t.backing_off
    assert [t.wait() for _ in range(len(TAKEOVER_WAITS) + 2)] == [
        *TAKEOVER_WAITS, TAKEOVER_WAITS[-1], TAKEOVER_WAITS[-1]]
    assert t.backing_off
    t.up(10.0)
    assert not t.held(10.0 + TAKEOVER_WITHIN - 0.1)  # taken again within seconds, most likely
    assert t.held(10.0 + TAKEOVER_WITHIN) and not t.backing_off
    assert not t.held(10.0 + 2 * TAKEOVER_WITHIN)  # once
    assert t.wait() == TAKEOVER_WAITS[0]
