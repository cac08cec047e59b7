"""Helpers for the headless-channel tests: a real mosquitto broker, an MQTT watcher, a TCP relay
that can cut the line between a client and the broker, and a recording HTTP server.

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
        try:
            while True:
                ready, _, _ = select.select([a, b], [], [], 1.0)
                for s in ready:
                    data = s.recv(65536)
                    if not data:
                        return
                    (b if s is a else a).sendall(data)
        except (OSError, ValueError):
            return
        finally:
            for s in (a, b):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()

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

