"""While the cushion is offline, Home Assistant must not be told that someone sits upright for
ever longer: the seat's state topics become unknown ("None") as soon as the cushion's last will
fires, and known again with its frames. Through the daemon `sitwatch run` builds, on a real
mosquitto, its clock moved by hand."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from sitwatch.core.clock import ManualClock
from sitwatch.runtime.assemble import build_daemon
from sitwatch.sensing import layout as layouts
from tests.helpers.virtual_cushion import battery_dies, sit_on_wireless, wireless_cushion

try:
    from helpers.servers import Message, Watcher
except ImportError:  # pragma: no cover - run from the repository root
    from tests.helpers.servers import Message, Watcher

pytest.importorskip("paho.mqtt.client", reason="needs paho-mqtt>=2")

pytestmark = pytest.mark.integration
TOPIC = "home/office/cushion"
SEAT = ("occupancy", "posture", "balance", "sitting_seconds", "static", "over_limit")


def latest(w: Watcher, key: str) -> str | None:
    got = w.on(f"sitwatch/state/{key}")
    return got[-1].text if got else None


def test_the_seat_state_is_unknown_while_the_cushion_is_offline(broker, tmp_path) -> None:
    from sitwatch.config import Config, for_layout

    lay = layouts.load("load-cells-4")
    cfg = for_layout(Config.model_validate({
        "cushion": {"port": f"mqtt://{broker.host}:{broker.port}/{TOPIC}",
                    "layout": "load-cells-4"},
        "mqtt": {"enabled": True, "host": broker.host, "port": broker.port,
                 "node_id": "desk", "state_interval": 30},
        "nudges": {"desktop": False, "dnd": {"enabled": False}},
        "history": {"enabled": False}}), lay)
    watcher = Watcher(broker, "sitwatch/state/#")
    pub = wireless_cushion(broker.host, broker.port, TOPIC)
    clock = ManualClock()
    daemon = build_daemon(cfg, lay, None, clock, headless=True)
    assert daemon.pipeline is not None and daemon.silence is not None

    def step_until(done: Callable[[], bool], what: str, timeout: float = 20) -> None:
        end = time.monotonic() + timeout
        while not done():
            assert time.monotonic() < end, f"{what}: {watcher.messages[-12:]!r}"
            clock.advance(0.5)
            daemon.step(0.05)

    said: list[Any] = []
    try:
        said += sit_on_wireless(pub, TOPIC, daemon, clock, 40)
        assert any(e.event == "occupancy" and e.state == "occupied" for e in said), said
        step_until(lambda: latest(watcher, "occupancy") == "occupied", "never occupied")

        battery_dies(pub)
        step_until(lambda: not daemon.pipeline.online, "the will never came")  # type: ignore[union-attr]
        # at once, not state_interval (30 s) later
        step_until(lambda: latest(watcher, "cushion") == "offline"
                   and all(latest(watcher, k) == "None" for k in SEAT), "still stale", 10)
        # and it stays so: the sitting timer's count is not published while nobody can tell
        cut = len(watcher.messages)
        clock.advance(cfg.mqtt.state_interval + 1)
        step_until(lambda: len(watcher.messages) > cut, "no periodic state")
        later: list[Message] = watcher.messages[cut:]
        assert {m.text for m in later if m.topic.rsplit("/", 1)[1] in SEAT} == {"None"}, later
    finally:
        daemon.close()
        watcher.close()
