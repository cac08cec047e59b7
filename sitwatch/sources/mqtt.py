"""A cushion on the network: frames arrive as MQTT messages (an ESP32 with ESPHome or the
reference firmware, a smart-home chair behind a bridge).

``cushion.port = "mqtt://[user[:password]@]host[:port]/TOPIC"`` (``mqtts://`` for TLS, port
8883 by default). Each message on ``TOPIC`` carries one or more frames in wire format v1
(``docs/protocol.md``), exactly the lines a USB cushion would send. Two more topics, both
optional, belong to the cushion:

- ``TOPIC/status``: ``online`` / ``offline`` (retained; the firmware's last will says
  ``offline`` when it drops off the network), so sitwatch knows at once that the cushion is
  gone rather than waiting out ``no_data_timeout``;
- ``TOPIC/command``: what sitwatch sends back (the buzzer's lines), like writes on a serial port.

Other names can be given in the URL's query: ``?status=other/topic&command=other/topic``.
Without a user in the URL, the credentials (and ``tls_ca``) of the ``[mqtt]`` section are used
when it names the same broker host, so a password need not sit in the URL: its ``password``,
``password_file`` or the systemd credential ``mqtt_password``, found as the MQTT sink finds them
(:func:`sitwatch.config.credentials.broker_password`).

Like every source it never raises for trouble on the line: a missing paho-mqtt, an unreachable
broker, a cushion that went silent or garbage in a message become Status / Diagnosis items and
counters. As for a serial cushion (:class:`~sitwatch.sources.watch.FrameWatch`), while the
broker is connected and no valid frame comes for ``no_data_timeout``, a Diagnosis says why
(nothing published, the wrong number of values, lines that are not numbers ...) and is repeated
every minute while it lasts; dropped lines are summed up in the log every 10 s. paho's network
thread only queues what arrives; all parsing happens in :meth:`poll`.
"""

from __future__ import annotations

import logging
import queue
from dataclasses import replace
from typing import Any

from sitwatch.config import Cushion, Mqtt
from sitwatch.config.credentials import broker_password, password_hint
from sitwatch.core.clock import Clock
from sitwatch.core.extras import install_hint
from sitwatch.core.mqtt_url import Endpoint, is_mqtt, parse_url
from sitwatch.sensing import wire
from sitwatch.sensing.layout import Layout
from sitwatch.sources.base import Item, Reading, Status
from sitwatch.sources.watch import FrameWatch

__all__ = ["INSTALL_HINT", "MqttSource", "is_mqtt", "with_broker"]

INSTALL_HINT = f"reading a cushion over MQTT needs paho-mqtt: {install_hint('mqtt')}"


def lends_login(ep: Endpoint, broker: Mqtt | None) -> bool:
    """The ``[mqtt]`` section's user and password are the ones to log in with: the URL names
    no user, and the section names the same broker host."""
    return broker is not None and broker.host == ep.host and not ep.username


def with_broker(ep: Endpoint, broker: Mqtt | None) -> Endpoint:
    """Without a user in the URL, take the ``[mqtt]`` section's credentials (its password,
    password_file or systemd credential, as the MQTT sink does) and CA file when it names the
    same broker host."""
    if broker is None or broker.host != ep.host:
        return ep
    if lends_login(ep, broker):
        ep = replace(ep, username=broker.username, password=broker_password(broker))
    return replace(ep, tls_ca=broker.tls_ca)


class MqttSource:
    """A :class:`~sitwatch.sources.base.Source` for a cushion that publishes to a broker."""

    def __init__(
        self,
        cfg: Cushion,
        layout: Layout,
        clock: Clock,
        *,
        broker: Mqtt | None = None,
        log: logging.Logger | None = None,
        client_id: str = "",
    ) -> None:
        self.cfg = cfg
        self.layout = layout
        self.clock = clock
        url = parse_url(cfg.port)
        self.ep = with_broker(url, broker)
        # why a refused login sent no password (a password_file that cannot be read ...)
        self._login = broker if lends_login(url, broker) else None
        self.name = f"mqtt:{self.ep.where}/{self.ep.topic}"
        self.parser = wire.LineParser(layout.n, layout.full_scale, cfg.time_unit)
        self._log = log or logging.getLogger("sitwatch.mqtt-source")
        self._inbox: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        self._online = False
        self._offline_reason: str | None = None
        self._broker_up = False
        self._refused = False  # the broker's last answer was a refusal (not a lost link)
        self._device_says: str | None = None  # "online" | "offline" from the status topic
        self._closed = False
        self._client: Any = None
        self.watch = FrameWatch(self.parser, layout, cfg.no_data_timeout, self._log,
                                "cushion over MQTT")
        self.messages = 0
        self.bytes = 0
        self.connects = 0
        self._start(client_id)

    # -- connecting (paho's thread only queues) ----------------------------------------------

    def _start(self, client_id: str) -> None:
        try:
            import paho.mqtt.client as mqtt
        except ImportError:
            self._inbox.put(("fatal", INSTALL_HINT))
            return
        if not hasattr(mqtt, "CallbackAPIVersion"):
            self._inbox.put(("fatal", "paho-mqtt is older than 2.0: pip install 'paho-mqtt>=2'"))
            return
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id,
                             protocol=mqtt.MQTTv311, clean_session=True)
        if self.ep.username:
            client.username_pw_set(self.ep.username, self.ep.password or None)
        if self.ep.tls:
            try:
                client.tls_set(ca_certs=self.ep.tls_ca or None)
            except (OSError, ValueError) as e:
                self._inbox.put(("fatal", f"cannot set up TLS for {self.ep.where}: {e}"))
                return
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_connect_fail = self._on_connect_fail
        client.on_message = self._on_message
        self._client = client
        try:
            client.connect_async(self.ep.host, self.ep.port, keepalive=30)
            client.loop_start()
        except (OSError, ValueError) as e:
            self._inbox.put(("fatal", f"cannot connect to {self.ep.where}: {e}"))

    def _on_connect(self, client: Any, _u: Any, _f: Any, rc: Any, _p: Any) -> None:
        if getattr(rc, "is_failure", False):
            hint = password_hint(self._login) if self._login is not None else ""
            self._inbox.put(("refused", f"the broker at {self.ep.where} refused us: {rc}{hint}"))
            return
        client.subscribe([(self.ep.topic, 0), (self.ep.status_topic, 1)])
        self._inbox.put(("broker", None))

    def _on_disconnect(self, _c: Any, _u: Any, _f: Any, rc: Any, _p: Any) -> None:
        if not self._closed:
            self._inbox.put(("lost", f"lost the MQTT broker at {self.ep.where} ({rc})"))

    def _on_connect_fail(self, _c: Any, _u: Any) -> None:
        self._inbox.put(("broker", f"cannot reach the MQTT broker at {self.ep.where}"))

    def _on_message(self, _c: Any, _u: Any, msg: Any) -> None:
        kind = "status" if msg.topic == self.ep.status_topic else "frames"
        self._inbox.put((kind, bytes(msg.payload)))

    # -- Source protocol ---------------------------------------------------------------------

    @property
    def online(self) -> bool:
        return self._online

    def poll(self, max_wait: float) -> list[Item]:
        if self._closed:
            return []
        items: list[Item] = []
        try:
            first = self._inbox.get(timeout=max(0.0, float(max_wait))) if max_wait > 0 \
                else self._inbox.get_nowait()
        except queue.Empty:
            first = None
        got = [first] if first is not None else []
        while True:
            try:
                got.append(self._inbox.get_nowait())
            except queue.Empty:
                break
        now = self.clock.monotonic()
        for kind, payload in got:
            self._take(kind, payload, now, items)
        self.watch.check(now, items, self.diagnose)  # only while the broker is connected
        self.watch.log_drops(now)
        return items

    def write(self, data: bytes) -> None:
        """Send bytes to the cushion's command topic (e.g. a buzzer line)."""
        if self._client is None or not self._broker_up:
            raise OSError(f"not connected to the MQTT broker at {self.ep.where}")
        info = self._client.publish(self.ep.command_topic, data, qos=0)
        if getattr(info, "rc", 0) != 0:
            raise OSError(f"the MQTT client refused the message (rc {info.rc})")

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._online = False
        self.watch.log_drops(self.clock.monotonic(), force=True)
        client = self._client
        if client is not None:
            try:
                client.disconnect()
                client.loop_stop()
            except Exception:
                pass

    def stats(self) -> dict[str, object]:
        st = self.parser.stats
        now = self.clock.monotonic()
        return {
            "port": f"mqtt://{self.ep.where}/{self.ep.topic}",  # never the password
            "mode": "mqtt",
            "online": self._online,
            "reason": "" if self._online else (self._offline_reason or ""),
            "frames": st.frames,
            "comments": st.comments,
            "dropped": dict(st.dropped),
            "dropped_total": st.dropped_total,
            "reconnects": max(0, self.connects - 1),
            "bytes": self.bytes,
            "messages": self.messages,
            "last_frame_age": (None if self.watch.last_frame_t is None
                               else now - self.watch.last_frame_t),
        }

    def diagnose(self) -> str:
        """Why no valid frame arrived since the last one (or since the broker connected)."""
        if not self._broker_up:
            return self._offline_reason or f"not connected to {self.ep.where}"
        if self._device_says == "offline":
            return f"the cushion says it is offline (on {self.ep.status_topic})"
        if self.messages == 0:
            return (f"connected to {self.ep.where}, but nothing arrives on {self.ep.topic}: is "
                    "the cushion powered, on the network, and publishing to that topic?")
        dropped = self.watch.dropped_since_frame()
        if not dropped:
            return (f"no frame on {self.ep.topic} for a while: the cushion stopped publishing "
                    "(is it powered, and in reach of the Wi-Fi?)")
        reason = dropped.most_common(1)[0][0]
        if reason in (wire.GARBAGE, wire.TOO_LONG):
            why = (f"lines that are not numbers (e.g. {self.parser.stats.garbage_example}): "
                   "does the firmware publish frames as in docs/protocol.md?")
        else:
            why = self.watch.lines_diagnosis()
        return (f"messages arrive on {self.ep.topic}, but no frame for the layout "
                f"{self.layout.name} ({self.layout.n} channels): {why}")

    # -- what arrived --------------------------------------------------------------------------

    def _take(self, kind: str, payload: Any, now: float, items: list[Item]) -> None:
        if kind == "fatal":
            self._set_online(False, now, str(payload), items, level=logging.ERROR)
        elif kind == "broker":
            if payload is None:
                self._broker_up = True
                self._refused = False
                self.connects += 1
                self._log.info("cushion over MQTT: connected to %s, reading %s",
                               self.ep.where, self.ep.topic)
                self.watch.start(now)
            else:
                self._broker_up = False
                self.watch.stop()
                self._set_online(False, now, str(payload), items)
        elif kind in ("refused", "lost"):
            if kind == "lost" and not self._broker_up and self._refused:
                # paho drops the link after a refusal: the refusal is what to tell
                return
            self._refused = kind == "refused"
            self._broker_up = False
            self.watch.stop()
            self._set_online(False, now, str(payload), items)
        elif kind == "status":
            said = bytes(payload).decode("utf-8", "replace").strip().lower()
            if said in ("online", "offline"):
                self._device_says = said
                if said == "offline":
                    self._set_online(False, now, "the cushion went offline (its status topic "
                                     f"{self.ep.status_topic} says so)", items)
                elif self._broker_up:
                    self._set_online(True, now, "", items)
        else:
            self.messages += 1
            data = bytes(payload)
            self.bytes += len(data)
            for line in data.split(b"\n"):
                if not line.strip():
                    continue
                self.watch.got(len(line) + 1)
                parsed = self.parser.feed(line)
                if parsed is None:
                    continue
                if not self._online:  # a frame is proof enough, whatever the status said
                    self._device_says = "online"
                    self._set_online(True, now, "", items)
                items.append(Reading(now, parsed.values, parsed.timestamp))
                self.watch.frame(now)

    def _set_online(self, on: bool, now: float, reason: str, items: list[Item],
                    level: int = logging.WARNING) -> None:
        """One Status per change, and per new reason while offline (not one per retry); a new
        reason is also logged, so `sitwatch record` and the journal say it too."""
        if on == self._online and (on or reason == self._offline_reason):
            return
        if not on:
            self._log.log(level, "cushion over MQTT: %s", reason)
        self._online = on
        self._offline_reason = None if on else reason
        items.append(Status(now, on, reason))
