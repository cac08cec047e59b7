"""Helpers for the headless-channel tests: a real mosquitto broker, an MQTT watcher, a TCP relay
that can cut the line between a client and the broker, a tiny broker that speaks only MQTT 3.1.1
(mosquitto cannot be told to refuse MQTT 5), and a recording HTTP server.

Debian packages: mosquitto (the broker), openssl (TLS test certificates). Tests that need them
skip with the package name when they are missing; CI installs them.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import select
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

MOSQUITTO_PACKAGES = "mosquitto mosquitto-clients"


def mosquitto_binary() -> str | None:
    return shutil.which("mosquitto") or shutil.which(
        "mosquitto", path="/usr/sbin:/usr/local/sbin:/sbin")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return True
        time.sleep(0.02)  # polling a real server's port, bounded by the deadline
    return False


@dataclass
class Broker:
    host: str
    port: int
    workdir: Path
    proc: subprocess.Popen[bytes] | None = None
    extra: list[str] = field(default_factory=list)

    def log(self) -> str:
        p = self.workdir / "mosquitto.log"
        return p.read_text(errors="replace") if p.exists() else ""


def start_broker(workdir: Path, *, extra: list[str] | None = None, port: int | None = None,
                 tls_port: bool = False) -> Broker:
    exe = mosquitto_binary()
    if exe is None:
        pytest.skip(f"needs mosquitto (Debian: apt-get install {MOSQUITTO_PACKAGES})")
    workdir.mkdir(parents=True, exist_ok=True)
    last = ""
    for _ in range(3):  # a free port can be taken between choosing and binding
        p = port or free_port()
        conf = workdir / "mosquitto.conf"
        lines = [
            f"listener {p} 127.0.0.1",
            "persistence false",
            f"user {pwd.getpwuid(os.getuid()).pw_name}",
            "log_type error",
            "log_type warning",
            "log_type notice",
            "log_dest stderr",
            *(extra or ["allow_anonymous true"]),
        ]
        conf.write_text("\n".join(lines) + "\n")
        log = (workdir / "mosquitto.log").open("ab")
        proc = subprocess.Popen([exe, "-c", str(conf)], stdin=subprocess.DEVNULL, stdout=log,
                                stderr=log)
        log.close()
        if wait_port(p, 10.0, proc):
            return Broker("127.0.0.1", p, workdir, proc, extra or [])
        stop(proc)
        last = (workdir / "mosquitto.log").read_text(errors="replace")
        if port is not None:
            break
    raise RuntimeError(f"mosquitto did not start:\n{last}")


def stop(proc: subprocess.Popen[Any] | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


# -- watching the broker -------------------------------------------------------------------------

@dataclass
class Message:
    topic: str
    payload: bytes
    retain: bool
    correlation: bytes | None = None  # MQTT 5 correlation data (a ``v5`` watcher's)

    @property
    def text(self) -> str:
        return self.payload.decode()

    def json(self) -> Any:
        return json.loads(self.payload)


MARKER = "watcher-marker/"


class Watcher:
    """A paho client that records every message on ``topics``; waits are bounded. ``v5``:
    speak MQTT 5 (to send a command with a response topic and correlation data)."""

    def __init__(self, broker: Broker, *topics: str, client_id: str = "",
                 v5: bool = False) -> None:
        import paho.mqtt.client as mqtt

        self.messages: list[Message] = []
        self._markers: list[Message] = []
        self._cv = threading.Condition()
        self._subscribed = threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2,
                                  client_id=client_id or f"watcher-{id(self)}",
                                  protocol=mqtt.MQTTv5 if v5 else mqtt.MQTTv311)
        self.topics = topics

        def on_connect(client: Any, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
            client.subscribe([(t, 1) for t in topics])

        def on_subscribe(client: Any, userdata: Any, mid: Any, rcs: Any, props: Any) -> None:
            self._subscribed.set()

        def on_message(client: Any, userdata: Any, msg: Any) -> None:
            with self._cv:
                corr = getattr(msg.properties, "CorrelationData", None)
                m = Message(msg.topic, bytes(msg.payload), bool(msg.retain),
                            bytes(corr) if corr else None)
                (self._markers if m.topic.startswith(MARKER) else self.messages).append(m)
                self._cv.notify_all()

        self.client.on_connect = on_connect
        self.client.on_subscribe = on_subscribe
        self.client.on_message = on_message
        self.client.connect(broker.host, broker.port, keepalive=30)
        self.client.loop_start()
        if not self._subscribed.wait(10):
            self.close()
            raise RuntimeError(f"watcher could not subscribe to {topics}")

    def wait_for(self, pred: Callable[[list[Message]], bool], timeout: float = 10.0) -> bool:
        with self._cv:
            return self._cv.wait_for(lambda: pred(list(self.messages)), timeout)

    def on(self, topic: str) -> list[Message]:
        with self._cv:
            return [m for m in self.messages if m.topic == topic]

    def wait_topic(self, topic: str, text: str | None = None, *, count: int = 1,
                   timeout: float = 10.0) -> list[Message]:
        def ok(ms: list[Message]) -> bool:
            hits = [m for m in ms if m.topic == topic and (text is None or m.text == text)]
            return len(hits) >= count

        assert self.wait_for(ok, timeout), (
            f"no {count}x {topic!r}={text!r} within {timeout} s; got "
            f"{[(m.topic, m.text[:60]) for m in self.messages]}")
        return [m for m in self.on(topic) if text is None or m.text == text]

    def settle(self, timeout: float = 10.0) -> None:
        """Round-trip a marker through the broker: everything sent to us before it has
        arrived (retained messages come right after the subscription)."""
        marker = f"{MARKER}{id(self)}/{len(self._markers)}"
        self.client.subscribe(marker, qos=1)
        self.client.publish(marker, b"x", qos=1)
        with self._cv:
            assert self._cv.wait_for(
                lambda: any(m.topic == marker for m in self._markers), timeout), "no marker"

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


# -- a TCP relay that can cut the line ------------------------------------------------------------

class Relay:
    """Forwards 127.0.0.1:port to the broker while open; ``close()`` refuses new connections
    and cuts the open ones (what a network failure looks like to both sides)."""

    def __init__(self, target_port: int, port: int | None = None) -> None:
        self.target = target_port
        self.port = port or free_port()
        self._listener: socket.socket | None = None
        self._socks: list[socket.socket] = []
        self._lock = threading.Lock()
        self.accepted = 0

    def open(self) -> None:
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", self.port))
        s.listen(8)
        self._listener = s
        threading.Thread(target=self._accept, args=(s,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target), 5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._socks += [client, upstream]
                self.accepted += 1
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        upstream = bytearray()  # what the client sent that was not passed on yet
        try:
            while True:
                ready, _, _ = select.select([a, b], [], [], 1.0)
                for s in ready:
                    data = s.recv(65536)
                    if not data:
                        return
                    if s is a:
                        self._to_broker(upstream, data, b)
                    else:
                        a.sendall(data)
        except (OSError, ValueError):
            return
        finally:
            for s in (a, b):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()

    def _to_broker(self, pending: bytearray, data: bytes, broker: socket.socket) -> None:
        """Pass what the client sent on to the broker (a subclass may look at it first)."""
        broker.sendall(data)

    def cut(self) -> None:
        """Drop the open connections (the listener stays as it is)."""
        with self._lock:
            socks, self._socks = self._socks, []
        for s in socks:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        self.cut()


class SlowSubscribeRelay(Relay):
    """A relay on a line that is slow for subscriptions: each SUBSCRIBE a client sends reaches
    the broker ``delay`` seconds late (a busy broker, a congested Wi-Fi), with what follows it;
    the rest goes straight through. A client that says it is ready before the broker has its
    subscriptions (its SUBACK) is caught out: what is published meanwhile never reaches it.
    ``subscribes``: how many SUBSCRIBE packets went through."""

    def __init__(self, target_port: int, delay: float, port: int | None = None) -> None:
        super().__init__(target_port, port)
        self.delay = delay
        self.subscribes = 0

    def _to_broker(self, pending: bytearray, data: bytes, broker: socket.socket) -> None:
        pending += data
        while True:
            size = _whole_packet(pending)
            if size is None:
                return
            packet = bytes(pending[:size])
            del pending[:size]
            if packet[0] & 0xF0 == 0x80:  # SUBSCRIBE
                time.sleep(self.delay)  # the slow line itself, not a wait of the test's
                self.subscribes += 1
            broker.sendall(packet)


def _whole_packet(buf: bytearray) -> int | None:
    """The length of the MQTT packet at the start of ``buf`` when all of it is there, else
    None."""
    length, shift = 0, 0
    for i in range(1, min(len(buf), 5)):
        length |= (buf[i] & 0x7F) << shift
        shift += 7
        if not buf[i] & 0x80:
            size = i + 1 + length
            return size if len(buf) >= size else None
    return None


# -- a broker that speaks only MQTT 3.1.1 ----------------------------------------------------------

def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        n, digit = divmod(n, 128)
        out.append(digit | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _packet(header: int, body: bytes) -> bytes:
    return bytes([header]) + _varint(len(body)) + body


def _utf8(text: str) -> bytes:
    raw = text.encode()
    return len(raw).to_bytes(2, "big") + raw


def topic_matches(pattern: str, topic: str) -> bool:
    """MQTT topic filter matching (``+`` one level, ``#`` the rest)."""
    want, have = pattern.split("/"), topic.split("/")
    for i, word in enumerate(want):
        if word == "#":
            return True
        if i >= len(have) or (word != "+" and word != have[i]):
            return False
    return len(want) == len(have)


class Mqtt311Broker:
    """A tiny broker on 127.0.0.1 that speaks only MQTT 3.1.1, as Mosquitto before 1.6 or an
    embedded broker: a CONNECT of another protocol level (MQTT 5's is 5) gets a 3.1.1 CONNACK
    with return code 1, "unacceptable protocol version", and the connection is closed
    (MQTT-3.1.2-2); ``on_v5="close"``: closed without a word, as some brokers do. A 3.1.1
    client is accepted; its SUBSCRIBEs are acknowledged (one with MQTT 5 subscription options,
    which 3.1.1 reserves, is a malformed packet: noted in ``errors``, and the connection
    closed), its PUBLISHes acknowledged, recorded in ``published`` and passed on (QoS 0, not
    retained, to every subscription that matches, the sender's too: 3.1.1 has no no_local).
    Nothing is kept for later subscribers. ``levels``: the protocol level of every CONNECT;
    ``subscribed``: every topic filter subscribed to."""

    def __init__(self, *, on_v5: str = "connack") -> None:
        self.host = "127.0.0.1"
        self.on_v5 = on_v5
        self.levels: list[int] = []
        self.published: list[Message] = []
        self.errors: list[str] = []
        self.subscribed: list[str] = []  # every topic filter subscribed to, in order
        self._subs: dict[socket.socket, list[str]] = {}
        self._cv = threading.Condition()
        self._sending = threading.Lock()  # one packet at a time on any connection
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((self.host, 0))
        self._listener.listen(8)
        self.port = int(self._listener.getsockname()[1])
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _write(self, conn: socket.socket, data: bytes) -> None:
        with self._sending:
            conn.sendall(data)

    @staticmethod
    def _read(conn: socket.socket, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = conn.recv(n - len(data))
            if not chunk:
                raise ConnectionError("closed")
            data += chunk
        return data

    def _next(self, conn: socket.socket) -> tuple[int, bytes]:
        header = self._read(conn, 1)[0]
        length, shift = 0, 0
        while True:
            digit = self._read(conn, 1)[0]
            length += (digit & 0x7F) << shift
            shift += 7
            if not digit & 0x80:
                break
        return header, self._read(conn, length)

    def _serve(self, conn: socket.socket) -> None:
        try:
            header, body = self._next(conn)
            if header != 0x10:
                return
            level = body[2 + int.from_bytes(body[:2], "big")]
            with self._cv:
                self.levels.append(level)
                self._cv.notify_all()
            if level != 4:
                if self.on_v5 == "connack":
                    self._write(conn, bytes([0x20, 0x02, 0x00, 0x01]))
                return
            self._write(conn, bytes([0x20, 0x02, 0x00, 0x00]))
            with self._cv:
                self._subs[conn] = []
            while self._handle(conn, *self._next(conn)):
                pass
        except (OSError, ConnectionError, IndexError):
            return
        finally:
            with self._cv:
                self._subs.pop(conn, None)
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()

    def _handle(self, conn: socket.socket, header: int, body: bytes) -> bool:
        kind = header & 0xF0
        if kind == 0x80:  # SUBSCRIBE
            pid, rest, granted = body[:2], body[2:], bytearray()
            while rest:
                n = int.from_bytes(rest[:2], "big")
                topic, options, rest = rest[2:2 + n].decode(), rest[2 + n], rest[3 + n:]
                if options & ~0x03:
                    with self._cv:
                        self.errors.append(f"SUBSCRIBE {topic}: options {options:#04x}")
                        self._cv.notify_all()
                    return False
                with self._cv:
                    self._subs[conn].append(topic)
                    self.subscribed.append(topic)
                    self._cv.notify_all()
                granted.append(options)
            self._write(conn, _packet(0x90, pid + bytes(granted)))
        elif kind == 0x30:  # PUBLISH
            qos, n = (header >> 1) & 0x03, int.from_bytes(body[:2], "big")
            topic, at = body[2:2 + n].decode(), 2 + n
            pid = body[at:at + 2] if qos else b""
            message = Message(topic, body[at + len(pid):], bool(header & 0x01))
            with self._cv:  # recorded and passed on before it is acknowledged, in one go:
                # once a test sees it here, its subscribers have it before anything later
                self.published.append(message)
                self._cv.notify_all()
                self.send(message.topic, message.payload)
            if qos == 1:
                self._write(conn, _packet(0x40, pid))
            elif qos == 2:
                self._write(conn, _packet(0x50, pid))
        elif kind == 0x60:  # PUBREL
            self._write(conn, _packet(0x70, body[:2]))
        elif kind == 0xA0:  # UNSUBSCRIBE
            self._write(conn, _packet(0xB0, body[:2]))
        elif kind == 0xC0:  # PINGREQ
            self._write(conn, bytes([0xD0, 0x00]))
        elif kind == 0xE0:  # DISCONNECT
            return False
        return True

    def send(self, topic: str, payload: bytes) -> None:
        """Publish ``payload`` (QoS 0, not retained) to the subscribers of ``topic``."""
        with self._cv:
            for c, subs in self._subs.items():
                if any(topic_matches(s, topic) for s in subs):
                    with contextlib.suppress(OSError):
                        self._write(c, _packet(0x30, _utf8(topic) + payload))

    def wait_for(self, pred: Callable[[], bool], timeout: float = 10.0) -> bool:
        with self._cv:
            return self._cv.wait_for(pred, timeout)

    def on(self, topic: str) -> list[Message]:
        with self._cv:
            return [m for m in self.published if m.topic == topic]

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        with self._cv:
            conns = list(self._subs)
        for c in conns:
            with contextlib.suppress(OSError):
                c.shutdown(socket.SHUT_RDWR)


# -- a recording HTTP server -----------------------------------------------------------------------

@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class RecordingServer:
    """HTTP on 127.0.0.1 that records requests and answers ``status`` (settable)."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.status = 200
        self._cv = threading.Condition()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                with outer._cv:
                    outer.requests.append(Request(self.command, self.path,
                                                  {k.lower(): v for k, v in self.headers.items()},
                                                  body))
                    outer._cv.notify_all()
                reply = b'{"ok": true}' if outer.status < 400 else b'{"error": "nope"}'
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            do_POST = do_PUT = do_GET = _any

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.httpd.server_address[1])
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    def wait(self, n: int, timeout: float = 10.0) -> list[Request]:
        with self._cv:
            assert self._cv.wait_for(lambda: len(self.requests) >= n, timeout), (
                f"{len(self.requests)} requests, expected {n}")
            return list(self.requests)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

