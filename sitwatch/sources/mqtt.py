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

It speaks MQTT as the MQTT sink does (:mod:`sitwatch.core.mqtt_version`): MQTT 5, and 3.1.1 for
the rest of the run when the broker refuses MQTT 5 (or closes the first connection without an
answer). ``mqtt.protocol`` (``"auto"``, ``"5"``, ``"3.1.1"``) governs it when the ``[mqtt]``
section names the same broker host, as for the login; another broker is spoken to with
``"auto"``. A refusal (a wrong password, not authorised, MQTT 5 required of a 3.1.1 broker) is
told once, with the broker's reason and what to change; paho closing that connection adds
nothing, and it keeps retrying (1 to 30 s apart).

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
import threading
from dataclasses import replace
from typing import Any

from sitwatch.config import Cushion, Mqtt
from sitwatch.config.credentials import UrlLogin, broker_password, login_fix
from sitwatch.core.clock import Clock
from sitwatch.core.extras import install_hint
from sitwatch.core.mqtt_url import Endpoint, MqttUrlError, is_mqtt, parse_url
from sitwatch.core.mqtt_version import (
    FallsBack,
    MqttUnavailable,
    Negotiation,
    Outcome,
    closed_why,
    paho,
    refused_for_good,
)
from sitwatch.sensing import wire
from sitwatch.sensing.layout import Layout
from sitwatch.sources.base import Item, Reading, Status
from sitwatch.sources.watch import FrameWatch

__all__ = ["INSTALL_HINT", "SAME_LOGIN", "MqttSource", "is_mqtt", "shares_login", "with_broker"]

INSTALL_HINT = f"reading a cushion over MQTT needs paho-mqtt: {install_hint('mqtt')}"
KEEPALIVE = 30  # seconds: the broker notices a sitwatch gone within 45 s


def lends_login(ep: Endpoint, broker: Mqtt | None) -> bool:
    """The ``[mqtt]`` section's user and password are the ones to log in with: the URL names
    no user, and the section names the same broker host."""
    return broker is not None and broker.host == ep.host and not ep.username


#: What the cushion's refusal says when the MQTT sink logs in to the same broker the same way
#: (the ``[mqtt]`` section's user, or none when it names none): the sink's refusal names the
#: settings to check or to set, for both (said once, not twice).
SAME_LOGIN = ("; the MQTT sink logs in the same way (its mqtt: message says what to change, "
              "for both)")


def shares_login(port: str, broker: Mqtt | None) -> bool:
    """The wireless cushion on ``port`` and the MQTT sink (``broker``, enabled) log in to the
    same broker with the ``[mqtt]`` section's login: one refusal, one fix for both."""
    if broker is None or not broker.enabled or not is_mqtt(port):
        return False
    try:
        url = parse_url(port)
    except MqttUrlError:
        return False
    return lends_login(url, broker) and url.port == broker.port


def with_broker(ep: Endpoint, broker: Mqtt | None) -> Endpoint:
    """Without a user in the URL, take the ``[mqtt]`` section's credentials (its password,
    password_file or systemd credential, as the MQTT sink does); and its CA file and MQTT
    version (``protocol``) when it names the same broker host."""
    if broker is None or broker.host != ep.host:
        return ep
    if lends_login(ep, broker):
        ep = replace(ep, username=broker.username, password=broker_password(broker))
    return replace(ep, tls_ca=broker.tls_ca, protocol=broker.protocol)


class MqttSource(FallsBack):
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
        sink_runs: bool = False,
    ) -> None:
        """``sink_runs``: the MQTT sink runs beside this cushion (``sitwatch run``), so when
        both log in with the ``[mqtt]`` login a refusal points to the sink's (:data:`SAME_LOGIN`)
        instead of saying the same fix twice."""
        self.cfg = cfg
        self.layout = layout
        self.clock = clock
        url = parse_url(cfg.port)
        self.ep = with_broker(url, broker)
        # why a refused login sent no password (a password_file that cannot be read ...)
        self._login = broker if lends_login(url, broker) else None
        self._sink_says = sink_runs and shares_login(cfg.port, broker)
        self.name = f"mqtt:{self.ep.where}/{self.ep.topic}"
        self.parser = wire.LineParser(layout.n, layout.full_scale, cfg.time_unit)
        self._log = log or logging.getLogger("sitwatch.mqtt-source")
        self._inbox: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        self._online = False
        self._offline_reason: str | None = None
        self._broker_up = False  # as poll() has heard it
        self._device_says: str | None = None  # "online" | "offline" from the status topic
        self._closed = False
        #: the MQTT version spoken now, and what the broker's answers mean (as for the sink)
        self.link = Negotiation(self.ep.protocol)
        self._lock = threading.Lock()  # the client (replaced on falling back) and _closed
        self._client: Any = None
        self._up = False  # the broker accepted the current connection (paho's thread)
        self._client_id = client_id
        self.watch = FrameWatch(self.parser, layout, cfg.no_data_timeout, self._log,
                                "cushion over MQTT")
        self.messages = 0
        self.bytes = 0
        self.connects = 0
        self._start()

    # -- connecting (paho's thread only queues) ----------------------------------------------

    def _start(self) -> None:
        with self._lock:
            client = self._new_client()
            if client is not None:
                self._connect(client)

    def _new_client(self) -> Any:
        """A paho client speaking the version of now, with the login, TLS and our callbacks,
        made the current one; None when it cannot work (said as a "fatal" item)."""
        try:
            client = self.link.new_client(paho(INSTALL_HINT), self._client_id)
        except MqttUnavailable as e:
            self._inbox.put(("fatal", str(e)))
            return None
        if self.ep.username:
            client.username_pw_set(self.ep.username, self.ep.password or None)
        if self.ep.tls:
            try:
                client.tls_set(ca_certs=self.ep.tls_ca or None)
            except (OSError, ValueError) as e:
                self._inbox.put(("fatal", f"cannot set up TLS for {self.ep.where}: {e}"))
                return None
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_connect_fail = self._on_connect_fail
        client.on_message = self._on_message
        self._client = client
        return client

    def _connect(self, client: Any) -> None:
        try:
            self.link.connect_async(client, self.ep.host, self.ep.port, KEEPALIVE)
        except (OSError, ValueError) as e:
            self._inbox.put(("fatal", f"cannot connect to {self.ep.where}: {e}"))

    def _to_v311(self, old: Any, why: str) -> None:
        self.link.fall_back(why)
        old.loop_stop()  # on its own thread: only tells it to stop
        new = self._new_client()  # says itself what keeps it from making one
        if new is not None:
            self._connect(new)

    def _v311_failed(self, text: str) -> bool:
        self._inbox.put(("fatal", text))
        return True

    def _v311_log(self) -> tuple[logging.Logger, str]:
        return self._log, f"cushion over MQTT: {self.ep.where}"

    def _on_connect(self, client: Any, _u: Any, _f: Any, rc: Any, _p: Any) -> None:
        if client is not self._client:
            return  # a client given up for MQTT 3.1.1
        outcome = self.link.answered(rc)
        if outcome == Outcome.FALL_BACK and self._fall_back(client, "refused MQTT 5"):
            return
        if outcome != Outcome.CONNECTED:
            self._inbox.put(("refused", self._refusal(rc)))
            return
        self._up = True
        client.subscribe([(self.ep.topic, 0), (self.ep.status_topic, 1)])
        self._inbox.put(("broker", None))

    def _refusal(self, rc: Any) -> str:
        """What a refused connection is told: the broker's reason, and what to change."""
        text = f"the broker at {self.ep.where} refused us: {rc}{self.link.refusal_hint(rc)}"
        if not refused_for_good(rc):
            return text
        if self._sink_says:
            return text + SAME_LOGIN
        return text + login_fix(self._login, also=", which the cushion logs in with too",
                                url=UrlLogin("cushion.port", self.ep.host, bool(self.ep.username)
                                             and self._login is None))

    def _on_disconnect(self, client: Any, _u: Any, flags: Any, rc: Any, _p: Any) -> None:
        if client is not self._client:
            return  # a client given up for MQTT 3.1.1
        was, self._up = self._up, False
        outcome = self.link.closed(was)
        if self._closed or outcome == Outcome.SAID:
            return  # paho closing the connection the broker refused: the refusal said why
        if outcome == Outcome.FALL_BACK and self._fall_back(
                client, "closed our MQTT 5 connection without an answer"):
            return
        what = "lost" if outcome == Outcome.LOST else "cannot reach"
        self._inbox.put(("lost", f"{what} the MQTT broker at {self.ep.where} "
                                 f"({closed_why(flags, rc)})"))

    def _on_connect_fail(self, client: Any, _u: Any) -> None:
        if client is self._client:
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
        with self._lock:
            if self._closed:
                return
            self._closed = True
            client = self._client
        self._online = False
        self.watch.log_drops(self.clock.monotonic(), force=True)
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
            "protocol": self.link.spoken,  # the MQTT version spoken now (and why)
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
                   "does the firmware publish frames as `sitwatch docs protocol` says?")
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
                self.connects += 1
                self._log.info("cushion over MQTT: connected to %s with %s, reading %s",
                               self.ep.where, self.link.spoken, self.ep.topic)
                self.watch.start(now)
            else:
                self._broker_up = False
                self.watch.stop()
                self._set_online(False, now, str(payload), items)
        elif kind in ("refused", "lost"):
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
