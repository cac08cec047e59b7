"""``sitwatch bridge``: a cushion wired to this machine (a Raspberry Pi under the chair), read
by the sitwatch on another one (the desktop with the webcam) as a wireless cushion.

The cushion is opened exactly as ``sitwatch run`` opens it (:class:`~sitwatch.sources.serial.
SerialSource`: the same port, baud rate, reconnects, and the same watch for a device path that
comes back), but with ``lines``: each text line is passed on as the device sent it, not
parsed, so the reader at the other end sees the wire format itself (declarations, a timestamp
column, garbage to count and explain). A binary-mode cushion (polled bytes, no lines) is checked
there and each frame handed on as a text line, the only form the MQTT cushion reads. No frame
is made, so the bridge never imports numpy (about a third of its memory; docs/raspberry-pi.md).

It publishes what a wireless cushion publishes (docs/protocol.md, "Over the network: MQTT"):

- the lines on ``TOPIC``, those read together in one message (they arrived together, and the
  reader times a message's frames alike, as a serial reader times one read's lines);
- ``online`` / ``offline`` on ``TOPIC/status``, retained, with ``offline`` as the last will: the
  reader reports the cushion offline as soon as the cushion is unplugged here, or this bridge
  (or the Pi) is gone;
- and it writes what arrives on ``TOPIC/command`` (the buzzer's lines) to the cushion.

Trouble is said once, not per line or per retry: a broker that goes away (paho reconnects with
backoff; lines read meanwhile are dropped and counted, and the count is said on its return), a
cushion unplugged (it is waited for). What no retry can mend (a host name that does not exist,
credentials the broker refuses, TLS that fails, MQTT 5 required of a broker that speaks only
3.1.1) ends the bridge with one line (:attr:`Bridge.fatal`).

It speaks MQTT as the sink and the wireless cushion do (:mod:`sitwatch.core.mqtt_version`):
MQTT 5, and 3.1.1 for the rest of the run when the broker refuses MQTT 5 or closes the first
connection without an answer; ``mqtt.protocol`` governs it when ``[mqtt]`` names the same broker
host (:func:`~sitwatch.sources.mqtt.with_broker`). The "connected" line names the version, and
comes once the broker has the bridge's subscription to the command topic (its SUBACK): a command
sent after it reaches the cushion.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sitwatch.config import Mqtt
from sitwatch.config.credentials import UrlLogin, login_fix
from sitwatch.core.kinds import SensorState
from sitwatch.core.mqtt_url import Endpoint
from sitwatch.core.mqtt_version import Negotiation, Outcome, closed_why, helper_client_id
from sitwatch.runtime.broker_client import BrokerClient
from sitwatch.sinks.mqtt import new_client
from sitwatch.sources.base import Diagnosis, Item, Status


class Cushion(Protocol):
    """The serial cushion as the bridge uses it (a :class:`SerialSource` whose ``lines`` is
    :meth:`Bridge.line`)."""

    @property
    def online(self) -> bool: ...

    def poll(self, max_wait: float) -> list[Item]: ...

    def write(self, data: bytes) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Login:
    """How to log in to the broker of an ``mqtt://`` URL (what
    :func:`~sitwatch.sinks.mqtt.new_client` reads): the URL's user, or the ``[mqtt]`` section's
    when it names the same host (:func:`~sitwatch.sources.mqtt.with_broker` lent them)."""

    host: str
    port: int
    username: str
    password: str
    tls: bool
    tls_ca: str
    password_file: str = ""  # the password is already found: with_broker read it

    @classmethod
    def of(cls, ep: Endpoint) -> Login:
        return cls(ep.host, ep.port, ep.username, ep.password, ep.tls, ep.tls_ca)


class Bridge(BrokerClient):
    """Forwards ``cushion``'s lines to ``ep.topic`` and ``ep.command_topic``'s messages back.

    ``cushion`` opens the cushion given where its text lines go (:meth:`line`). :meth:`start`,
    then :meth:`step` in a
    loop until :attr:`done`; :meth:`close` says
    ``offline`` and disconnects. ``say`` gets the lines worth telling (the terminal, or the
    journal as a service); ``login`` is the ``[mqtt]`` section whose user was lent, to say
    what to change when the broker refuses the login
    (:func:`~sitwatch.config.credentials.login_fix`, as the sink and the wireless cushion do).
    """

    host_key = "the host in --to"
    while_away = ", the cushion's lines are dropped meanwhile"

    def __init__(self, cushion: Callable[[Callable[[bytes], object]], Cushion], ep: Endpoint,
                 *, say: Callable[[str], None],
                 log: logging.Logger, keepalive: int = 30, login: Mqtt | None = None,
                 client_factory: Callable[..., Any] = new_client) -> None:
        self._lines: list[bytes] = []
        self.cushion = cushion(self.line)  # it hands its text lines to :meth:`line`
        self.ep = ep
        self.say = say
        self.log = log
        self.keepalive = keepalive
        self._login = login
        self._factory = client_factory
        self.where = ep.where + (" (TLS)" if ep.tls else "")
        self.client_id = helper_client_id("bridge")
        self._client: Any = None
        #: the MQTT version spoken now, and what the broker's answers mean (as for the sink)
        self.link = Negotiation(ep.protocol)
        self._inbox: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        # the status topic (our last word, and its publishing) and the client (replaced when
        # falling back to MQTT 3.1.1)
        self._lock = threading.Lock()
        self._status: SensorState = SensorState.OFFLINE
        self._linked = False  # paho's view of the link (under the lock, unlike _up)
        self.done = threading.Event()  # set when the bridge should end (fatal, closed)
        self.fatal: str | None = None
        self.connects = 0
        self._up = False  # the broker took us and has not been lost since (main thread's view)
        self._down_said = False  # the loss (or the unreachable broker) was said
        self._cushion_said: bool | None = None  # the cushion's last state that was said
        self._closed = False
        self.forwarded = 0  # lines published
        self.dropped = 0  # lines read while the broker was away
        self._dropped_at_loss = 0
        self.commands = 0  # command messages written to the cushion
        self.commands_lost = 0  # ... that could not be (the cushion was not there)
        self._command_lost_said = False

    # -- lifecycle ------------------------------------------------------------------------

    def _broker(self) -> tuple[str, int, int]:
        return self.ep.host, self.ep.port, self.keepalive

    def _new_client(self) -> Any:
        """A paho client speaking the version of now, with our last will and callbacks, made
        the current one."""
        client = self._factory(Login.of(self.ep), self.client_id, self.link)
        client.will_set(self.ep.status_topic, str(SensorState.OFFLINE), qos=1, retain=True)
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        client.on_connect = self._on_connect
        client.on_connect_fail = self._on_connect_fail
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        self._client = client
        return client

    def _to_v311(self, old: Any, why: str) -> None:
        self.link.switch(old, why, self._new_client, self.ep.host, self.ep.port, self.keepalive)

    def _v311_failed(self, text: str) -> bool:
        self._inbox.put(("fatal", text))
        return True

    def _v311_log(self) -> tuple[logging.Logger, str]:
        return self.log, f"bridge: {self.where}"

    def close(self) -> None:
        """Close the cushion, say ``offline`` on the status topic (it can no longer be read),
        give that a moment to leave, disconnect."""
        with self._lock:
            self._status = SensorState.OFFLINE
        client = self._stop()
        self.cushion.close()
        if client is None:
            return
        if self._up:
            try:
                info = client.publish(self.ep.status_topic, str(SensorState.OFFLINE), qos=1,
                                      retain=True)
                info.wait_for_publish(2.0)
            except (RuntimeError, ValueError):  # not queued, or the link went on the way
                pass
        client.disconnect()
        client.loop_stop()

    # -- the loop (the main thread) -------------------------------------------------------

    def step(self, max_wait: float) -> None:
        """Read what the cushion sent (waiting at most ``max_wait`` s) and pass it on; take in
        what paho's thread queued (the broker came or went, commands for the cushion)."""
        self._take_inbox()
        for item in self.cushion.poll(max_wait):  # its lines come to :meth:`line`
            if isinstance(item, Status):
                self._cushion_status(item)
            elif isinstance(item, Diagnosis):
                self.say(f"the cushion: {item.message}")
        lines, self._lines = self._lines, []
        if lines:
            self._forward(lines)
        self._take_inbox()

    def line(self, data: bytes) -> None:
        """A text line the cushion sent (the serial source's ``lines``), passed on at the end of
        this step with the others read with it."""
        self._lines.append(data)

    def _forward(self, lines: list[bytes]) -> None:
        if self._up and self._client is not None:
            info = self._client.publish(self.ep.topic, b"\n".join(lines), qos=0)
            if getattr(info, "rc", 0) == 0:
                self.forwarded += len(lines)
                return
        self.dropped += len(lines)

    def _cushion_status(self, st: Status) -> None:
        """Publish the cushion's state; say it when it changes (not each reason a retry gives:
        an unplugged device is "connection lost", then "no such device" at each retry)."""
        state = SensorState.ONLINE if st.online else SensorState.OFFLINE
        with self._lock:  # either paho's on_connect or this publishes the newest state
            self._status = state
            if self._linked and self._client is not None:
                self._client.publish(self.ep.status_topic, str(state), qos=1, retain=True)
        if self._cushion_said == st.online:
            self.log.info("bridge: %s", st.reason)
            return
        self._cushion_said = st.online
        if st.online:
            self._command_lost_said = False
            self.say(f"{st.reason}: forwarding its lines to {self.ep.topic} on {self.where}"
                     if self._up else f"{st.reason}: its lines go to {self.ep.topic} once the "
                     f"broker {self.where} answers")
        else:
            self.say(f"{st.reason} (said on {self.ep.status_topic}); waiting for it")

    def _take_inbox(self) -> None:
        while True:
            try:
                kind, payload = self._inbox.get_nowait()
            except queue.Empty:
                return
            if kind == "up":
                self._broker_up(str(payload or ""))
            elif kind == "down":
                self._broker_down(str(payload))
            elif kind == "fatal":
                self._end(str(payload))
            elif kind == "command":
                self._command(bytes(payload))

    def _broker_up(self, refused: str = "") -> None:
        self._up = True
        self.connects += 1
        lost = self.dropped - self._dropped_at_loss
        if self.connects == 1:
            self.say(f"connected to {self.where} with {self.link.spoken}: the cushion's lines go "
                     f"to {self.ep.topic}, its "
                     f"state to {self.ep.status_topic}, and {self.ep.command_topic} is written "
                     "to it (Ctrl-C stops)")
        elif self._down_said:
            self.say(f"connected to {self.where} again"
                     + (f"; {lost} line{'s' if lost != 1 else ''} read while it was away "
                        "were dropped" if lost else ""))
        self._down_said = False
        if refused:
            self.say(refused)

    def _broker_down(self, why: str) -> None:
        was, self._up = self._up, False
        if was:
            self._dropped_at_loss = self.dropped
        if self._down_said:
            return
        self._down_said = True
        self.say(f"lost the MQTT broker {self.where} ({why}); reconnecting, the cushion's lines "
                 "are dropped until it is back" if was else
                 f"cannot reach the MQTT broker {self.where} ({why}); trying again until it "
                 "answers, the cushion's lines are dropped meanwhile")

    def _command(self, data: bytes) -> None:
        try:
            self.cushion.write(data)
        except OSError as e:
            self.commands_lost += 1
            if not self._command_lost_said:
                self._command_lost_said = True
                self.say(f"a command for the cushion came on {self.ep.command_topic} while it "
                         f"cannot be written to ({e}): dropped")
            return
        self.commands += 1

    # -- paho's callbacks (its network thread: they only queue, or publish our state) ---------

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason_code: Any,
                    properties: Any) -> None:
        if client is not self._client:
            return  # a client given up for MQTT 3.1.1
        outcome = self.link.answered(reason_code)
        if outcome == Outcome.FALL_BACK and self._fall_back(client, "refused MQTT 5"):
            return
        if outcome != Outcome.CONNECTED:
            fatal = self._for_good(reason_code, self.connects)
            if fatal is not None:
                self._inbox.put(("fatal", fatal))
                client.disconnect()
                return
            self._inbox.put(("down", f"refused: {reason_code}"))
            return
        self._subscribe(client, [(self.ep.command_topic, 1)])
        with self._lock:
            self._linked = True
            if not self._closed:
                client.publish(self.ep.status_topic, str(self._status), qos=1, retain=True)

    def _ready(self, client: Any, refused: str) -> None:
        self._inbox.put(("up", refused))  # the broker has our subscription: commands reach us

    def _login_fix(self) -> str:
        return login_fix(self._login, also=", which the bridge logs in with (--to names no user)",
                         url=UrlLogin("--to", self.ep.host,
                                      self._login is None and bool(self.ep.username)))

    def _on_connect_fail(self, client: Any, userdata: Any) -> None:
        if not self._closed and client is self._client:
            self._inbox.put(("down", "no answer"))

    def _on_disconnect(self, client: Any, userdata: Any, flags: Any, reason_code: Any,
                       properties: Any) -> None:
        if client is not self._client:
            return  # a client given up for MQTT 3.1.1
        with self._lock:
            was, self._linked = self._linked, False
        outcome = self.link.closed(was)
        if outcome == Outcome.FALL_BACK and self._fall_back(
                client, "closed our MQTT 5 connection without an answer"):
            return
        if not self._closed and outcome != Outcome.SAID:  # a refusal said why itself
            self._inbox.put(("down", closed_why(flags, reason_code)))

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        if message.topic != self.ep.command_topic or message.retain:
            return  # a retained command is somebody's leftover: never buzz for it on connect
        self._inbox.put(("command", bytes(message.payload)))
