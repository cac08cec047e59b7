"""The cushion's source, whichever way it is connected: a serial line (USB, the Pi's UART, a
pyserial URL) or an MQTT broker (``mqtt://`` / ``mqtts://`` in ``cushion.port``)."""

from __future__ import annotations

from typing import Any

from sitwatch.config import Cushion, Mqtt
from sitwatch.core.clock import Clock
from sitwatch.core.mqtt_url import is_mqtt
from sitwatch.sensing.layout import Layout
from sitwatch.sources.base import Source


def open_cushion(
    cfg: Cushion, layout: Layout, clock: Clock, *, broker: Mqtt | None = None,
    client_id: str = "", sink_runs: bool = False, **serial: Any
) -> Source:
    """A source for ``cfg.port``. ``serial`` goes to :class:`SerialSource` (``sleep``,
    ``opener``, ``log``); ``broker`` lends an MQTT cushion the ``[mqtt]`` credentials, and
    ``client_id`` names its MQTT client (empty: the broker picks one); ``sink_runs``: the MQTT
    sink runs beside it (:class:`~sitwatch.sources.mqtt.MqttSource`)."""
    if is_mqtt(cfg.port):
        from sitwatch.sources.mqtt import MqttSource

        return MqttSource(cfg, layout, clock, broker=broker, log=serial.get("log"),
                          client_id=client_id, sink_runs=sink_runs)
    from sitwatch.sources.serial import SerialSource

    return SerialSource(cfg, layout, clock, **serial)
