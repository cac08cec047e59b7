"""Which MQTT version sitwatch speaks to a broker, and what a broker's answer (or silence)
means: one place for the MQTT sink (:mod:`sitwatch.sinks.mqtt`) and the wireless cushion
(:mod:`sitwatch.sources.mqtt`), so both connect alike.

``mqtt.protocol`` (:class:`~sitwatch.core.kinds.MqttProtocol`) chooses: ``"auto"`` connects with
MQTT 5 and, when the broker does not take it on the first connection of the run, with MQTT 3.1.1
until sitwatch restarts; ``"5"`` or ``"3.1.1"`` that one only. A broker that speaks only 3.1.1
(Mosquitto before 1.6, some embedded brokers) answers an MQTT 5 CONNECT with the 3.1.1 CONNACK
"unacceptable protocol version" (MQTT-3.1.2-2), which paho-mqtt 2 hands to ``on_connect`` as
the MQTT 5 reason "Unsupported protocol version" (0x84); some close the connection without a
CONNACK instead. paho cannot change the version of a client: whoever falls back makes a new one
(:meth:`Negotiation.fall_back` only keeps the account; :class:`FallsBack` is the fallback the
sink, the wireless cushion, ``sitwatch bridge`` and ``sitwatch companion`` share, each saying
only how it makes its new client).

After a refused CONNACK paho closes the connection itself; :meth:`Negotiation.closed` says that
close is :attr:`Outcome.SAID` (the refusal said why), so a refusal is told once, never again as
"cannot reach" or "lost the broker".

paho-mqtt is imported lazily (:func:`paho`): the ``mqtt`` extra.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import socket
from collections.abc import Callable
from contextlib import AbstractContextManager
from enum import StrEnum
from typing import Any

from sitwatch.core.kinds import MqttProtocol

__all__ = [
    "DROPPED", "UNSUPPORTED_VERSION", "VERSION_NAMES", "FallsBack", "MqttUnavailable",
    "Negotiation", "Outcome", "Takeover", "closed_why", "paho", "refused_for_good",
]

#: paho-mqtt 2's reason for a 3.1.1 broker's "unacceptable protocol version" to MQTT 5.
UNSUPPORTED_VERSION = 0x84
#: The MQTT version named in the log and in ``sitwatch doctor``.
VERSION_NAMES = {MqttProtocol.V5: "MQTT 5", MqttProtocol.V311: "MQTT 3.1.1"}
#: What a refusal of MQTT 5 adds when ``mqtt.protocol = "5"`` keeps us from falling back.
V5_ONLY_HINT = ' (it speaks only MQTT 3.1.1: set mqtt.protocol = "auto" or "3.1.1")'

#: CONNACK reason codes (as paho 2 names them for MQTT 3.1.1 too) that another try will not
#: change: the broker does not take our user name and password, or not our client at all.
REFUSED_FOR_GOOD = (134, 135)  # Bad user name or password, Not authorized


def refused_for_good(reason_code: Any) -> bool:
    """Did the broker refuse us for who we are (credentials), not for a passing reason?"""
    return getattr(reason_code, "value", None) in REFUSED_FOR_GOOD


#: What paho says of a connection that ended without a word from the broker (the socket closed
#: or broke), in plain words: "Unspecified error" sent people looking for a fault.
DROPPED = "the connection dropped: the broker stopped, or the network to it failed"
#: paho's names of the reasons it makes up itself (no DISCONNECT came), said in plain words.
_PAHO_REASONS = {
    "Unspecified error": DROPPED,
    "Keep alive timeout": "the broker stopped answering (keepalive timeout)",
}


def closed_why(flags: Any, reason_code: Any) -> str:
    """Why a connection ended, for the log: the broker's own reason when it sent one (an MQTT 5
    DISCONNECT: "Session taken over", "Server shutting down" ...), else paho's reason for what
    it saw, in plain words (paho calls a dropped connection "Unspecified error")."""
    text = str(reason_code)
    if getattr(flags, "is_disconnect_packet_from_server", False):
        return f"the broker closed it: {text}"
    return _PAHO_REASONS.get(text, text)


#: MQTT 5's reason for a DISCONNECT that ends a connection because another client connected
#: with its client id ("Session taken over"). mosquitto 2.0 sends none: the socket just closes.
SESSION_TAKEN_OVER = 0x8E
#: paho's reason for a connection whose socket the other end closed ("Unspecified error"): what
#: a takeover looks like from here. A keepalive timeout (a network gone quiet) is not one.
CLOSED = 0x80
#: Connections in a row that the broker dropped soon after accepting them, without a word: a
#: broker that keeps only the newest of two clients with one id, and the other one reconnecting
#: (paho waits 1 s) each time it loses the connection to us.
TAKEOVER_DROPS = 3
#: Seconds within which a dropped connection counts as dropped "at once".
TAKEOVER_WITHIN = 10.0
#: Seconds to wait before reconnecting after a further takeover: longer each time, so that two
#: clients with one id stop taking the connection from each other every second.
TAKEOVER_WAITS = (30, 60, 120, 300)


class Takeover:
    """Is another client taking our connection? The classic pattern of two clients with one
    client id: the broker accepts us, then drops us again within a second or two, over and
    over, each time the other reconnects (a session takeover). mosquitto 2.0 sends no
    DISCONNECT then (MQTT 5's "Session taken over" comes from other brokers), so the drop reads
    like a network fault: this counts the drops that came soon after a connection was accepted.
    Fed from paho's thread; times are the caller's clock's monotonic seconds."""

    def __init__(self) -> None:
        self.streak = 0  # connections in a row dropped within TAKEOVER_WITHIN of being taken
        self.since: float | None = None  # when the current connection was accepted
        self.waits = 0  # longer waits asked for since the pattern began (backing off)
        self.said = False  # the last drop came with the broker's "Session taken over"

    def up(self, now: float) -> None:
        """The broker accepted a connection."""
        self.since = now

    def down(self, now: float, flags: Any, reason_code: Any) -> bool:
        """A connection that was up ended (paho's ``on_disconnect`` arguments): True when it
        looks taken over (the broker said so, or the :data:`TAKEOVER_DROPS`-th drop in a row
        soon after connecting). A DISCONNECT with another reason (the broker's own: not
        authorised, shutting down) is not the pattern."""
        since, self.since = self.since, None
        if getattr(flags, "is_disconnect_packet_from_server", False):
            self.said = getattr(reason_code, "value", None) == SESSION_TAKEN_OVER
            self.streak = TAKEOVER_DROPS if self.said else 0
            return self.said
        self.said = False
        soon = (since is not None and now - since < TAKEOVER_WITHIN
                and getattr(reason_code, "value", None) == CLOSED)
        self.streak = self.streak + 1 if soon else 0
        if not soon:
            self.waits = 0
        return self.streak >= TAKEOVER_DROPS

    def unreachable(self) -> None:
        """A try to connect failed: the broker is away, which no other client does."""
        self.streak = 0

    def wait(self) -> int:
        """Seconds to wait before the next try, longer at each takeover in a row."""
        self.waits += 1
        return TAKEOVER_WAITS[min(self.waits, len(TAKEOVER_WAITS)) - 1]

    @property
    def backing_off(self) -> bool:
        return self.waits > 0

    def held(self, now: float) -> bool:
        """Has the current connection lasted long enough that nobody is taking it? Ends the
        backing off (True, once) when it is."""
        if self.waits and self.since is not None and now - self.since >= TAKEOVER_WITHIN:
            self.waits = self.streak = 0
            return True
        return False


def id_tag(*parts: object) -> str:
    """Six hex digits naming ``parts`` (a machine's tag, a user id ...): stable across runs,
    and telling apart what they tell apart."""
    return hashlib.sha256(":".join(str(p) for p in parts).encode()).hexdigest()[:6]


def helper_client_id(role: str) -> str:
    """A client id of its own for ``role`` (``bridge``, ``companion``, ``doctor``) beside the
    daemon, never the daemon's: a broker drops the older of two connections with one id."""
    host = socket.gethostname().split(".")[0] or "localhost"
    return f"sitwatch-{role}-{host}-{secrets.token_hex(3)}"


class MqttUnavailable(RuntimeError):
    """paho-mqtt (2.x) cannot be imported; the message says how to add it."""


def paho(missing: str) -> Any:
    """The paho-mqtt client module, or :class:`MqttUnavailable` with ``missing`` (what to
    install, in the caller's words) or the upgrade an old paho needs."""
    try:
        import paho.mqtt.client as mqtt
    except ImportError:
        raise MqttUnavailable(missing) from None
    if not hasattr(mqtt, "CallbackAPIVersion"):
        raise MqttUnavailable("paho-mqtt is older than 2.0: pip install 'paho-mqtt>=2'")
    return mqtt


class Outcome(StrEnum):
    """What a broker's answer to a connection, or its end, means to the one connecting."""

    CONNECTED = "connected"
    REFUSED = "refused"  # say it, with the broker's reason (paho retries)
    FALL_BACK = "fall back"  # connect again at once with MQTT 3.1.1 (a new client)
    SAID = "said"  # paho closing a connection the broker refused: the refusal said why
    LOST = "lost"  # a connection that was up went away
    UNREACHABLE = "unreachable"  # no connection came of this try


class Negotiation:
    """The MQTT version to speak now, for one client's run against one broker, and what each
    answer means. Called from paho's network thread; one at a time (one client's callbacks)."""

    def __init__(self, setting: MqttProtocol | str) -> None:
        self.setting = MqttProtocol(setting)
        self.version = MqttProtocol.V311 if self.setting == MqttProtocol.V311 else MqttProtocol.V5
        #: why we fell back to 3.1.1 (said once when 3.1.1 is accepted), or ""
        self.fell_back = ""
        self.acked = False  # the broker answered the current connection attempt (CONNACK)
        self.connected_once = False  # a connection was accepted in this run

    @property
    def name(self) -> str:
        """The version spoken now, as the log and doctor say it (``MQTT 5``)."""
        return VERSION_NAMES[self.version]

    @property
    def spoken(self) -> str:
        """The version spoken now, and why when it is not the one asked for first."""
        return f"{self.name} (the broker {self.fell_back})" if self.fell_back else self.name

    def new_client(self, mqtt: Any, client_id: str, **kw: Any) -> Any:
        """A paho client (callback API 2) speaking the version of now; ``kw`` goes to paho."""
        protocol = mqtt.MQTTv5 if self.version == MqttProtocol.V5 else mqtt.MQTTv311
        return mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id,
                           protocol=protocol, **kw)

    def session(self) -> dict[str, Any]:
        """What ``connect`` or ``connect_async`` is given for a clean session: MQTT 5's
        ``clean_start``; with 3.1.1 a clean session is the client's own default."""
        return {"clean_start": True} if self.version == MqttProtocol.V5 else {}

    def connect_async(self, client: Any, host: str, port: int, keepalive: int) -> None:
        """Start connecting ``client`` in the background with a clean session (paho's thread
        retries with backoff)."""
        client.connect_async(host, port, keepalive=keepalive, **self.session())
        client.loop_start()

    def can_fall_back(self) -> bool:
        return self.setting == MqttProtocol.AUTO and self.version == MqttProtocol.V5

    def answered(self, reason_code: Any) -> Outcome:
        """The broker's CONNACK (paho's reason code): connected, refused, or refused MQTT 5
        where we may fall back."""
        self.acked = True
        if not reason_code.is_failure:
            self.connected_once = True
            return Outcome.CONNECTED
        if reason_code == UNSUPPORTED_VERSION and self.can_fall_back():
            return Outcome.FALL_BACK
        return Outcome.REFUSED

    def closed(self, was_connected: bool) -> Outcome:
        """The connection closed (``was_connected``: it had been accepted)."""
        acked, self.acked = self.acked, False
        if was_connected:
            return Outcome.LOST
        if acked:
            return Outcome.SAID
        # closed with no answer to our first MQTT 5 CONNECT: a 3.1.1 broker that does not send
        # the CONNACK the standard asks for. Once connected in this run, a broker that closes
        # has gone away or restarted: not a matter of version.
        if not self.connected_once and self.can_fall_back():
            return Outcome.FALL_BACK
        return Outcome.UNREACHABLE

    def fall_back(self, why: str) -> None:
        """From now on MQTT 3.1.1 (``why``: what the broker did with MQTT 5)."""
        self.version = MqttProtocol.V311
        self.fell_back = why
        self.acked = False

    def switch(self, old: Any, why: str, make: Callable[[], Any], host: str, port: int,
               keepalive: int) -> Any:
        """Fall back to MQTT 3.1.1 (``why``: what the broker did with MQTT 5): ``old`` stops
        (called on its thread, which ends after the callback) and the client ``make()`` gives
        (speaking the version of now) starts connecting in the background; it is returned.
        Raises what ``make`` raises. For ``sitwatch bridge`` and ``sitwatch companion``."""
        self.fall_back(why)
        old.loop_stop()
        new = make()
        self.connect_async(new, host, port, keepalive)
        return new

    def refusal_hint(self, reason_code: Any) -> str:
        """What a refusal adds: with MQTT 5 required, that the broker speaks only 3.1.1."""
        if self.setting == MqttProtocol.V5 and reason_code == UNSUPPORTED_VERSION:
            return V5_ONLY_HINT
        return ""

    def check_again(self, reason_code: Any, closed: bool) -> bool:
        """For a one-off check (``sitwatch doctor``): should a try whose answer was
        ``reason_code`` (None: none came; ``closed``: the broker closed the connection) be
        made again with 3.1.1, as the daemon would? If so, the version is 3.1.1 now."""
        if self.can_fall_back() and (reason_code == UNSUPPORTED_VERSION
                                     or (reason_code is None and closed)):
            self.fall_back("refused MQTT 5")
            return True
        return False


class FallsBack:
    """The MQTT 5 -> 3.1.1 fallback of one who keeps one paho client at a time (the MQTT sink,
    the wireless cushion, ``sitwatch bridge`` and ``sitwatch companion``): when the broker did
    not take MQTT 5 and ``mqtt.protocol`` is "auto", give up the client the broker answered and
    connect with a new one speaking 3.1.1 for the rest of the run (paho cannot change the
    version of a client). Each says how it makes and starts the new client
    (:meth:`_to_v311`) and what a failure to make one means (:meth:`_v311_failed`); this is
    the rest, said once."""

    link: Negotiation
    _lock: AbstractContextManager[Any]  # guards _client and _closed
    _client: Any
    _closed: bool

    def _fall_back(self, client: Any, why: str) -> bool:
        """The broker did not take our MQTT 5 connection (``why``): fall back unless the
        setting forbids it, we are closing, or ``client`` was given up already. Runs on the old
        client's thread, which ends after this callback. True when we fell back."""
        if not self.link.can_fall_back():
            return False
        with self._lock:
            if self._closed or client is not self._client:
                return False
            try:
                self._to_v311(client, why)
            except (MqttUnavailable, OSError, ValueError) as e:  # worked a moment ago
                if not self._v311_failed(f"cannot connect with MQTT 3.1.1: {e}"):
                    return False
        log, where = self._v311_log()
        log.debug("%s %s; trying MQTT 3.1.1", where, why)
        return True

    def _to_v311(self, old: Any, why: str) -> None:
        """Speak 3.1.1 from now on (``self.link.fall_back``), stop ``old`` and start a new
        client; under the lock. May raise what making a client raises."""
        raise NotImplementedError

    def _v311_failed(self, text: str) -> bool:
        """No 3.1.1 client could be made (``text`` says why): say so; True when that counts
        as having fallen back (the caller ends), False to treat the answer as a refusal."""
        raise NotImplementedError

    def _v311_log(self) -> tuple[logging.Logger, str]:
        """The log for the fallback's debug line, and who and where, as its start."""
        raise NotImplementedError
