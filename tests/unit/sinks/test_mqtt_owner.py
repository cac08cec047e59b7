"""Who else publishes under our base topic (``<base>/node``): MqttSink._owner's rules, on
messages as paho hands them over (no broker: tests/integration/test_mqtt_sink.py has the real
one)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import pytest

from sitwatch.core.clock import ManualClock
from sitwatch.sinks.mqtt import ONLINE, MqttConfig, MqttSink, machine_tag


@dataclass
class Msg:
    topic: str
    payload: bytes
    retain: bool = False


def sink(node: str = "desk") -> MqttSink:
    return MqttSink(MqttConfig(enabled=True, node_id=node), ManualClock(),
                    log=logging.getLogger("sitwatch.test.mqtt_owner"))


def node_msg(s: MqttSink, *, retain: bool, **over: str) -> Msg:
    body = {"node_id": "sofa", "host": "pi-sofa", "machine": "0123456789ab",
            "instance": "feedfacecafe", "version": "1", **over}
    return Msg(s.node_topic, json.dumps(body).encode(), retain)


def test_our_own_run_is_not_another(caplog: pytest.LogCaptureFixture) -> None:
    s = sink()
    assert not s._owner(Msg(s.node_topic, s.node_payload().encode(), True), ONLINE)
    assert not s._owner(Msg(s.node_topic, s.node_payload().encode(), False), ONLINE)
    assert s.shared_with is None and not caplog.records


def test_kept_by_the_broker_from_this_machine_or_from_one_gone_offline_is_not(caplog):
    s = sink()
    # this machine's earlier run (the broker has not noticed it went): not another
    assert not s._owner(node_msg(s, retain=True, machine=s.machine), ONLINE)
    # another machine's, but the broker kept its status as offline: it stopped
    assert not s._owner(node_msg(s, retain=True), "offline")
    assert not s._owner(node_msg(s, retain=True), None)  # no status kept at all
    assert s.shared_with is None and not caplog.records


def test_another_machine_online_under_our_base_is_named_once(caplog):
    s = sink()
    with caplog.at_level(logging.WARNING):
        assert s._owner(node_msg(s, retain=True), ONLINE)
        assert s._owner(node_msg(s, retain=True), ONLINE)  # the next reconnect: told already
    assert s.shared_with == {"node_id": "sofa", "host": "pi-sofa"}
    (rec,) = caplog.records
    text = rec.getMessage()
    assert "another sitwatch (sofa on pi-sofa)" in text
    assert "same base topic 'sitwatch'" in text and 'base_topic = "sitwatch/desk"' in text


def test_one_arriving_while_we_are_connected_is_another_wherever_it_runs(caplog):
    """A live message (not kept) comes from a sitwatch that connected after us: another one,
    even on this machine (a second daemon)."""
    s = sink()
    with caplog.at_level(logging.WARNING):
        assert s._owner(node_msg(s, retain=False, machine=s.machine), None)
    assert len(caplog.records) == 1


def test_the_same_node_id_says_they_are_one_device_to_home_assistant(caplog):
    """Two Pis called raspberrypi: one node id, but each its own client id (the default one
    carries a tag of the machine), so they no longer take each other's connection: what is
    left to say is that Home Assistant sees one device and their state mixes."""
    s = sink("sitwatch_raspberrypi")
    with caplog.at_level(logging.WARNING):
        assert s._owner(node_msg(s, retain=True, node_id="sitwatch_raspberrypi",
                                 host="raspberrypi"), ONLINE)
    text = caplog.records[0].getMessage()
    assert "same node id (sitwatch_raspberrypi)" in text
    assert "Home Assistant sees one device" in text and "connection" not in text
    assert 'node_id = "sitwatch_raspberrypi_desk"' in text


@pytest.mark.parametrize("payload", [b"", b"not json", b"[1, 2]", b'{"node_id": "x"}',
                                     b"\xff\xfe"])
def test_what_cannot_be_read_is_ignored(payload, caplog):
    s = sink()
    assert not s._owner(Msg(s.node_topic, payload, False), ONLINE)
    assert s.shared_with is None and not caplog.records


def test_the_check_names_the_other_without_logging(caplog):
    s = sink()
    assert s._owner(node_msg(s, retain=True), ONLINE, tell=False)
    assert not caplog.records
    assert s.shared_text().startswith("mqtt: another sitwatch (sofa on pi-sofa)")


def test_the_machine_tag_hides_the_machine_id(tmp_path):
    f = tmp_path / "machine-id"
    f.write_text("0f1e2d3c4b5a69788796a5b4c3d2e1f0\n")
    tag = machine_tag((str(f),))
    assert len(tag) == 12 and tag not in f.read_text()
    assert machine_tag((str(f),)) == tag  # stable
    assert machine_tag((str(tmp_path / "none"),)) != tag  # no file: the MAC address's
    assert machine_tag() == machine_tag()


def test_on_a_reconnect_a_kept_one_that_is_not_ours_came_after_us(caplog):
    """We announced ourselves when we first connected; finding another run's announcement kept
    on a later connection means it came after ours, even if the broker says offline for both
    (two with one node id: each takes the other's connection and the broker sends the last
    will of the one it drops)."""
    s = sink("sitwatch_raspberrypi")
    kept = node_msg(s, retain=True, node_id="sitwatch_raspberrypi", host="raspberrypi")
    assert not s._owner(kept, "offline")  # the first connection: an owner that stopped
    with caplog.at_level(logging.WARNING):
        assert s._owner(kept, "offline", again=True)
        assert s._owner(node_msg(s, retain=True, machine=s.machine), None, again=True)
    assert len(caplog.records) == 1  # the same other run: told once


# -- discovery documents of ours that this sitwatch no longer offers ----------------------------

class Client:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, bool]] = []

    def publish(self, topic: str, payload: bytes, qos: int = 0, retain: bool = False) -> None:
        self.sent.append((topic, payload, retain))


def test_a_kept_document_not_offered_now_is_cleared_and_nothing_else(caplog):
    s = sink("desk")
    c = Client()
    s._publish_discovery(c)
    offered = [t for t, _, _ in c.sent]
    c.sent.clear()
    old = "homeassistant/sensor/desk/posture_v0/config"
    with caplog.at_level(logging.INFO):
        assert s._stale_entity(c, Msg(old, b'{"name": "x"}', True))
    assert c.sent == [(old, b"", True)] and s.cleared == 1
    assert "removed the Home Assistant entity sensor posture_v0" in caplog.text
    c.sent.clear()
    for msg in (Msg(offered[0], b"{}", True),  # one we offer
                Msg(old, b"{}", False),  # a live copy, not what the broker kept
                Msg(old, b"", True),  # already cleared
                Msg("homeassistant/sensor/sofa/posture/config", b"{}", True),  # not ours
                Msg("homeassistant/sensor/desk/config", b"{}", True)):  # not an entity's
        assert not s._stale_entity(c, msg)
    assert c.sent == []


def test_with_discovery_off_every_kept_document_of_ours_is_cleared(caplog):
    s = MqttSink(MqttConfig(enabled=True, node_id="desk", discovery=False), ManualClock(),
                 log=logging.getLogger("sitwatch.test.mqtt_owner"))
    c = Client()
    with caplog.at_level(logging.INFO):
        assert s._stale_entity(c, Msg("homeassistant/sensor/desk/posture/config", b"{}", True))
    assert c.sent == [("homeassistant/sensor/desk/posture/config", b"", True)]
    assert "(discovery is off)" in caplog.text


def test_a_sensors_own_posture_with_both_fused_does_not_set_the_state() -> None:
    """Home Assistant's posture is the seat's, the fused one: a sensor's own posture event
    (``fused_in``) goes out on the event topic but leaves the state alone. It used to set it, so
    the camera's "upright" showed for up to state_interval while the cushion still read a slump
    and the fused posture (status, history, nudges) stayed slouched."""
    from sitwatch.core.events import Event

    s = sink()
    s.handle(Event(1.0, "posture", "slouched", {"source": "fused", "cushion": "slouched",
                                                 "camera": "slouched", "rule": "P4"}))
    s.handle(Event(2.0, "posture", "upright", {"source": "camera", "fused_in": True}))
    assert s._state["posture"] == "slouched"
    s.handle(Event(3.0, "posture", "upright", {"source": "camera"}))  # a camera alone
    assert s._state["posture"] == "upright"


def test_the_default_client_id_is_this_machines_and_users_own() -> None:
    """Two Raspberry Pis both called raspberrypi, or two users of one machine: the same node
    id, but never the same client id (the broker would drop one each time the other connects).
    The same on every run, so a restart takes over what the last run left."""
    from sitwatch.sinks.mqtt import default_client_id

    pi = default_client_id("sitwatch_raspberrypi", "0123456789ab", 1000)
    assert pi.startswith("sitwatch-sitwatch_raspberrypi-")
    assert pi == default_client_id("sitwatch_raspberrypi", "0123456789ab", 1000)
    assert pi != default_client_id("sitwatch_raspberrypi", "ba9876543210", 1000)  # another Pi
    assert pi != default_client_id("sitwatch_raspberrypi", "0123456789ab", 1001)  # another user
    s = sink("desk")
    assert s.client_id == default_client_id("desk", machine_tag())
    configured = MqttSink(MqttConfig(enabled=True, node_id="desk", client_id="chair"),
                          ManualClock(), log=logging.getLogger("sitwatch.test.mqtt_owner"))
    assert configured.client_id == "chair"
    assert configured.own_client_id() is not None and s.own_client_id() is None
    assert str(configured.own_client_id()).startswith("chair-")  # a broker's prefix rule holds
