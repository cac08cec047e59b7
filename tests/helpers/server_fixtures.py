"""Fixtures for the headless-channel tests (the helpers are in support.py)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

try:
    from tests.helpers.servers import Broker, RecordingServer, Watcher, start_broker, stop
except ImportError:  # pytest started without the repository root on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.helpers.servers import Broker, RecordingServer, Watcher, start_broker, stop

@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    """A fresh anonymous mosquitto on 127.0.0.1 for each test (no retained leftovers)."""
    b = start_broker(tmp_path / "broker")
    try:
        yield b
    finally:
        stop(b.proc)

@pytest.fixture
def watch(broker: Broker) -> Iterator[Callable[..., Watcher]]:
    made: list[Watcher] = []

    def make(*topics: str) -> Watcher:
        w = Watcher(broker, *topics)
        made.append(w)
        return w

    yield make
    for w in made:
        w.close()

@pytest.fixture
def http_server() -> Iterator[RecordingServer]:
    srv = RecordingServer()
    try:
        yield srv
    finally:
        srv.close()



@pytest.fixture
def dunst(tmp_path: Path) -> Iterator[Any]:
    """A real notification server: dunst on a private D-Bus session under Xvfb (skips, naming
    the Debian packages, where they are missing)."""
    import shutil

    from tests.helpers.notify_server import NotificationServer, missing_programs

    missing = [p for p in missing_programs() if shutil.which(p) is None]
    if missing:
        pytest.skip(
            f"needs {', '.join(missing)} (Debian: xvfb dbus dunst libnotify-bin libglib2.0-bin)"
        )
    with NotificationServer(tmp_path / "notify") as srv:
        yield srv
