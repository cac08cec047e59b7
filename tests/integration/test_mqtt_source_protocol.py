"""The wireless cushion speaks MQTT as the MQTT sink does (sitwatch.core.mqtt_version): MQTT 5,
and 3.1.1 for the rest of the run when the broker refuses MQTT 5; ``mqtt.protocol`` governs it
when the ``[mqtt]`` section names the cushion's broker. On real sockets on 127.0.0.1: the
tests' own broker that speaks only MQTT 3.1.1 (tests.helpers.servers.Mqtt311Broker: mosquitto
cannot be told to refuse MQTT 5) and a real mosquitto.

Regression: the source spoke MQTT 3.1.1 only, whatever mqtt.protocol said. Every wait is
bounded by a deadline; nothing sleeps to wait out a timer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from sitwatch import config
from sitwatch.core.clock import SystemClock
from sitwatch.sensing import layout as layouts
from sitwatch.sources.base import Item, Reading, Status
from sitwatch.sources.mqtt import MqttSource
from tests.helpers.servers import Broker, Mqtt311Broker
from tests.integration.test_mqtt_source import collect

pytest.importorskip("paho.mqtt.client", reason="needs paho-mqtt>=2 (the mqtt extra)")
pytestmark = pytest.mark.integration

TOPIC = "home/office/cushion"
LOG = "sitwatch.test.mqtt_source_protocol"
MQTT5, MQTT311 = 5, 4  # the protocol level in a CONNECT
L4 = layouts.load("load-cells-4")


@pytest.fixture
def old_broker() -> Iterator[Mqtt311Broker]:
    b = Mqtt311Broker()
    yield b
    b.close()


@pytest.fixture
def make_source() -> Iterator[Callable[..., MqttSource]]:
    made: list[MqttSource] = []

    def make(port: int, broker: config.Mqtt | None = None) -> MqttSource:
        cfg = config.Cushion(port=f"mqtt://127.0.0.1:{port}/{TOPIC}", layout="load-cells-4")
        src = MqttSource(cfg, L4, SystemClock(), broker=broker, log=logging.getLogger(LOG),
                         client_id=f"cushion-test-{len(made)}")
        made.append(src)
        return src

    yield make
    for s in made:
        s.close()


def poll_until(src: MqttSource, until: Callable[[list[Item]], bool],
               timeout: float = 15.0) -> list[Item]:
    return collect(src, until, timeout)


def offline(items: list[Item]) -> list[Status]:
    return [s for s in items if isinstance(s, Status) and not s.online]


@pytest.mark.parametrize("on_v5", ["connack", "close"])
def test_the_cushion_falls_back_to_3_1_1_and_reads_frames(on_v5, make_source, caplog):
    """The broker answers MQTT 5 with "unacceptable protocol version", or closes the
    connection without a word: the cushion connects again with 3.1.1 and its frames come."""
    b = Mqtt311Broker(on_v5=on_v5)
    try:
        with caplog.at_level(logging.INFO, logger=LOG):
            src = make_source(b.port)
            poll_until(src, lambda _i: src._broker_up
                       and b.wait_for(lambda: TOPIC in b.subscribed, 0))
            b.send(TOPIC, b"100,200,300,400")
            items = poll_until(src, lambda i: any(isinstance(r, Reading) for r in i))
        assert b.levels == [MQTT5, MQTT311]
        assert src.stats()["protocol"].startswith("MQTT 3.1.1 (the broker ")  # doctor says it
        assert [r.values.tolist() for r in items if isinstance(r, Reading)] == [
            [100, 200, 300, 400]]
        assert not offline(items), items  # falling back is no trouble to report
        (said,) = [r.getMessage() for r in caplog.records if "connected to" in r.getMessage()]
        assert f"connected to 127.0.0.1:{b.port} with MQTT 3.1.1 (the broker " in said, said
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
    finally:
        b.close()


def test_mqtt_5_required_is_refused_once_with_the_fix(old_broker, make_source, caplog):
    """``mqtt.protocol = "5"`` in the [mqtt] section of the same broker: no fall-back; the
    refusal is said once (not again when paho closes the connection, nor at each retry),
    naming the version the broker speaks and the setting that allows it; retried."""
    lent = config.Mqtt(host="127.0.0.1", port=old_broker.port, protocol="5")
    with caplog.at_level(logging.DEBUG, logger=LOG):
        src = make_source(old_broker.port, lent)
        items = poll_until(src, lambda i: bool(offline(i)))
        assert old_broker.wait_for(lambda: len(old_broker.levels) >= 2, 15)  # paho retried
        items += poll_until(src, lambda _i: True, timeout=0.5)  # what the retry brought
    assert set(old_broker.levels) == {MQTT5}
    (status,) = offline(items)
    assert status.reason == (f"the broker at 127.0.0.1:{old_broker.port} refused us: Unsupported "
                             'protocol version (it speaks only MQTT 3.1.1: set mqtt.protocol = '
                             '"auto" or "3.1.1")')
    warned = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warned == [f"cushion over MQTT: {status.reason}"], caplog.text
    assert src.stats()["reason"] == status.reason  # what status and doctor show


def test_3_1_1_from_the_mqtt_section_of_the_same_broker_is_spoken_at_once(old_broker,
                                                                          make_source):
    lent = config.Mqtt(host="127.0.0.1", port=old_broker.port, protocol="3.1.1")
    src = make_source(old_broker.port, lent)
    poll_until(src, lambda _i: src._broker_up)
    assert old_broker.levels == [MQTT311] and src.stats()["protocol"] == "MQTT 3.1.1"


def test_a_broker_that_speaks_mqtt_5_is_read_with_mqtt_5(broker: Broker, make_source):
    """A real mosquitto 2; an [mqtt] section for another host lends no version."""
    src = make_source(broker.port, config.Mqtt(host="localhost", protocol="3.1.1"))
    poll_until(src, lambda _i: src._broker_up)
    st: dict[str, Any] = src.stats()
    assert st["protocol"] == "MQTT 5" and st["online"] is False  # connected, no frame yet
