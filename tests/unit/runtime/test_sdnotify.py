"""sd_notify against real AF_UNIX datagram sockets (a path and an abstract name)."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from sitwatch.runtime import sdnotify


def _receiver(addr: str) -> socket.socket:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(addr)
    s.settimeout(5)
    return s


@pytest.fixture
def path_socket(tmp_path: Path) -> Iterator[tuple[socket.socket, dict[str, str]]]:
    path = tmp_path / "notify.sock"
    with _receiver(str(path)) as s:
        yield s, {"NOTIFY_SOCKET": str(path)}


@pytest.fixture
def abstract_socket() -> Iterator[tuple[socket.socket, dict[str, str]]]:
    name = f"sitwatch-test-{uuid.uuid4().hex}"
    with _receiver("\0" + name) as s:
        yield s, {"NOTIFY_SOCKET": "@" + name}


def test_notify_to_a_path_socket(path_socket):
    sock, env = path_socket
    assert sdnotify.notify("READY=1\nSTATUS=hello", env) is True
    assert sock.recv(4096) == b"READY=1\nSTATUS=hello"


def test_notify_to_an_abstract_socket(abstract_socket):
    sock, env = abstract_socket
    assert sdnotify.ready(env) is True
    assert sock.recv(4096) == b"READY=1"


def test_helpers_send_the_right_messages(path_socket):
    sock, env = path_socket
    assert sdnotify.status("sitting 12 min\nslouched · café", env)
    assert sdnotify.watchdog(env)
    assert sdnotify.stopping(env)
    assert [sock.recv(4096) for _ in range(3)] == [
        "STATUS=sitting 12 min slouched · café".encode(), b"WATCHDOG=1", b"STOPPING=1"]


def test_no_socket_is_a_quiet_no_op():
    assert sdnotify.notify("READY=1", {}) is False
    assert sdnotify.ready({}) is False
    assert sdnotify.notify("READY=1", {"NOTIFY_SOCKET": "vsock:2:1234"}) is False


def test_a_dead_socket_does_not_raise(tmp_path):
    assert sdnotify.notify("READY=1", {"NOTIFY_SOCKET": str(tmp_path / "nobody.sock")}) is False
    assert sdnotify.notify("READY=1", {"NOTIFY_SOCKET": f"@sitwatch-none-{uuid.uuid4().hex}"}) \
        is False


def test_watchdog_interval():
    assert sdnotify.watchdog_interval({"WATCHDOG_USEC": "60000000"}) == 30.0
    assert sdnotify.watchdog_interval(
        {"WATCHDOG_USEC": "60000000", "WATCHDOG_PID": str(os.getpid())}) == 30.0
    other = str(os.getpid() + 1)
    assert sdnotify.watchdog_interval({"WATCHDOG_USEC": "60000000", "WATCHDOG_PID": other}) is None
    assert sdnotify.watchdog_interval({}) is None
    assert sdnotify.watchdog_interval({"WATCHDOG_USEC": "0"}) is None
    assert sdnotify.watchdog_interval({"WATCHDOG_USEC": "soon"}) is None
