"""What ``sitwatch bridge`` and ``sitwatch companion`` do alike as clients of a broker they
reach over the network: the first connection tried at once, so that what no retry mends (a host
name that does not exist, TLS that fails) ends the command with one line naming the setting
to check, and a broker that is not up yet is said once and waited for; the end of the command
(:meth:`BrokerClient._end`) and the stop of its client; and the subscriptions of each connection,
asked for with :meth:`BrokerClient._subscribe`: each is ready (:meth:`BrokerClient._ready`, where
it says "connected") only once the broker has them (its SUBACK), since a command or an event
published before that never reaches it. Each says where its broker is set (``host_key``) and
what waiting costs it (``while_away``); how each takes a broker's answers stays its own.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable
from typing import Any

from sitwatch.core.mqtt_version import FallsBack, refused_for_good
from sitwatch.sinks.mqtt import tls_why

#: Host names that cannot be found now but may be soon (no network yet at boot or at login):
#: retried.
LATER = {getattr(socket, "EAI_AGAIN", -3)}


class BrokerClient(FallsBack):
    """The shared part of the bridge and the companion (each a :class:`FallsBack` that keeps
    one paho client). The subclass sets the attributes below in its ``__init__`` and makes its
    client in :meth:`_new_client`."""

    host_key: str  # where the broker's host is set, as the fix names it ("mqtt.host")
    while_away: str  # what waiting for the broker costs, after "trying again until it answers"
    say: Callable[[str], None]
    where: str  # host:port, and " (TLS)"
    done: threading.Event
    fatal: str | None
    _down_said: bool  # the loss (or the unreachable broker) was said
    _client: Any  # paho's client of now
    #: the topics this connection asked for whose SUBACK has not come yet (paho's thread)
    _subscribing: tuple[str, ...] = ()

    def _new_client(self) -> Any:
        raise NotImplementedError

    def _subscribe(self, client: Any, topics: list[tuple[str, int]]) -> None:
        """Ask for this connection's subscriptions (``topics``: topic and QoS); the broker's
        answer (its SUBACK) makes this ready (:meth:`_ready`). Called from ``on_connect``."""
        self._subscribing = tuple(t for t, _qos in topics)
        client.on_subscribe = self._on_subscribe
        client.subscribe(topics)

    def _on_subscribe(self, client: Any, userdata: Any, mid: Any, reason_codes: Any,
                      properties: Any) -> None:
        if client is not self._client or not self._subscribing:
            return  # a client given up for MQTT 3.1.1, or no subscription of ours
        asked, self._subscribing = self._subscribing, ()
        refused = [f"{topic} ({rc})" for topic, rc in zip(asked, reason_codes, strict=False)
                   if getattr(rc, "is_failure", False)]
        self._ready(client, (f"the MQTT broker {self.where} would not let us subscribe to "
                             f"{', '.join(refused)}: check what its access rules allow this "
                             "login") if refused else "")

    def _ready(self, client: Any, refused: str) -> None:
        """The broker answered this connection's subscriptions (paho's thread): say
        "connected"; ``refused``: the line saying which it refused, if any."""
        raise NotImplementedError

    def _broker(self) -> tuple[str, int, int]:
        """The broker's host and port, and the keepalive to connect with."""
        raise NotImplementedError

    def start(self) -> None:
        """Connect (the first try at once, so that a wrong host or TLS set-up is told apart from
        a broker that is not up yet) and start paho's thread, which reconnects from then on.
        Raises MqttUnavailable (no paho-mqtt), OSError or ValueError (a CA or password file
        that cannot be read); what cannot work sets :attr:`fatal` and :attr:`done`."""
        client = self._new_client()
        host, port, keepalive = self._broker()
        session = self.link.session()
        try:
            client.connect(host, port, keepalive=keepalive, **session)
        except socket.gaierror as e:
            if e.errno not in LATER:
                self._end(f"cannot find the broker's host {host!r} ({e.strerror}): "
                          f"check {self.host_key}")
                return
            self._unreachable(e.strerror or str(e))
            client.connect_async(host, port, keepalive=keepalive, **session)
        except ssl.SSLError as e:
            self._end(f"TLS with {self.where} failed: {tls_why(e)}: check mqtt.tls_ca (the "
                      f"CA that signed the broker's certificate) and {self.host_key} (the name "
                      "the certificate is for)")
            return
        except OSError as e:
            self._unreachable(e.strerror or str(e))
            client.connect_async(host, port, keepalive=keepalive, **session)
        client.loop_start()

    def _end(self, why: str) -> None:
        """End the command: ``why`` is its one line."""
        self.fatal = why
        self.done.set()

    def _unreachable(self, why: str) -> None:
        """The broker cannot be reached (``why``): said once until it answers."""
        if not self._down_said:
            self._down_said = True
            self.say(f"cannot reach the MQTT broker {self.where} ({why}); trying again until it "
                     f"answers{self.while_away}")

    def _stop(self) -> Any:
        """Mark this closed (under the lock) and done: the client of now, to stop, or None."""
        with self._lock:
            self._closed = True
            client = self._client
        self.done.set()
        return client

    def _login_fix(self) -> str:
        """What to change when the broker refuses who we are
        (:func:`~sitwatch.config.credentials.login_fix`, in this command's words)."""
        raise NotImplementedError

    def _for_good(self, reason_code: Any, connects: int) -> str | None:
        """The line that ends the command when the broker refused us for what no retry mends
        (our login, or MQTT 5 required of a broker that speaks only 3.1.1) before we ever
        connected (``connects``); None when it is worth trying again."""
        v5_only = self.link.refusal_hint(reason_code)
        if not (refused_for_good(reason_code) or v5_only) or connects:
            return None
        return (f"the MQTT broker {self.where} refused the connection: {reason_code}"
                f"{v5_only or self._login_fix()}")
