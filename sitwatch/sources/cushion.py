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
    cfg: Cushion, layout: Layout, clock: Clock, *, broker: Mqtt | None = None, **serial: Any
) -> Source:
    """A source for ``cfg.port``. ``serial`` goes to :class:`SerialSource` (``sleep``,
    ``opener``, ``log``); ``broker`` lends an MQTT cushion the ``[mqtt]`` credentials."""
    if is_mqtt(cfg.port):
        from sitwatch.sources.mqtt import MqttSource

        return MqttSource(cfg, layout, clock, broker=broker, log=serial.get("log"))
    from sitwatch.sources.serial import SerialSource

    return SerialSource(cfg, layout, clock, **serial)
