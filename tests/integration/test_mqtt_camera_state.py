"""With a cushion and a webcam, Home Assistant is told which of the two went away: the webcam
unplugged is ``<base>/state/camera`` (the Camera entity) going ``offline``, while
``<base>/state/cushion`` stays ``online``. Through the sinks `sitwatch run` builds from the
config, on a real mosquitto, the daemon's clock moved by hand."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from sitwatch.camera.pipeline import CameraPipeline
from sitwatch.config import Config
from sitwatch.core.clock import ManualClock
from sitwatch.runtime.assemble import build_sinks
from sitwatch.runtime.daemon import Camera, Daemon
from sitwatch.runtime.status import StatusWriter
from sitwatch.sinks.mqtt import MqttSink
from tests.helpers.doubles import UnpluggedCamera, camera_profile
from tests.unit.runtime.test_daemon import LAY, SEATED, ScriptSource

try:
    from helpers.servers import Watcher
except ImportError:  # pragma: no cover - run from the repository root
    from tests.helpers.servers import Watcher

pytest.importorskip("paho.mqtt.client", reason="needs paho-mqtt>=2")
pytestmark = pytest.mark.integration


def latest(w: Watcher, key: str) -> str | None:
    got = w.on(f"sitwatch/state/{key}")
    return got[-1].text if got else None


def test_the_webcam_unplugged_is_the_cameras_state_not_the_cushions(broker, tmp_path) -> None:
    """Regression: every sensor event went to the cushion's topic, so unplugging the webcam of a
    fused setup showed the Cushion entity offline until the next periodic publish (and the
    status file said the cushion was offline)."""
    cfg = Config.model_validate({
        "camera": {"device": str(tmp_path / "webcam.avi")},
        "mqtt": {"enabled": True, "host": broker.host, "port": broker.port, "node_id": "desk",
                 "state_interval": 600},
        "nudges": {"desktop": False, "dnd": {"enabled": False}},
        "history": {"enabled": False}})
    watcher = Watcher(broker, "sitwatch/state/#", "homeassistant/#")
    clock = ManualClock()
    sinks = build_sinks(cfg, headless=True, json_lines=False, clock=clock)
    mqtt = next(s for s in sinks.sinks if isinstance(s, MqttSink))
    assert mqtt.wait_connected(10), broker.log()
    status = StatusWriter(tmp_path / "status.json", clock)
    d = Daemon(cfg, LAY, ScriptSource(clock, [(200, SEATED)]), clock, sinks=sinks,
               status=status, publisher=mqtt,
               camera=Camera(UnpluggedCamera(clock, 30, 60),
                             CameraPipeline(cfg.camera, camera_profile(), owns_occupancy=False)))

    def step_until(t: float, done: Callable[[], bool], what: str) -> None:
        while clock.monotonic() < t:
            d.step(0)
        assert watcher.wait_for(lambda ms: done()), f"{what}: {watcher.messages[-12:]!r}"

    def cushion_said_offline(since: int) -> bool:
        watcher.settle()  # everything published so far has arrived
        return "offline" in {m.text for m in watcher.messages[since:]
                             if m.topic == "sitwatch/state/cushion"}

    try:
        step_until(20, lambda: latest(watcher, "cushion") == "online", "never online")
        cut = len(watcher.messages)
        # the camera's offline arrives (the sink publishes in order, so anything it said about
        # the cushion before that has arrived too; a settle alone round-trips only our marker)
        step_until(32, lambda: latest(watcher, "camera") == "offline", "camera never offline")
        assert not cushion_said_offline(cut), "the webcam's going showed as the cushion's"
        got = json.loads((tmp_path / "status.json").read_text())
        assert got["sensor"]["online"] is True and got["camera"]["online"] is False, got
        step_until(62, lambda: latest(watcher, "camera") == "online", "camera never back")
        assert not cushion_said_offline(cut)
        cam = next(m.json() for m in watcher.messages
                   if m.topic == "homeassistant/binary_sensor/desk/camera/config")
        assert (cam["name"], cam["state_topic"]) == ("Camera", "sitwatch/state/camera")
    finally:
        d.close()
        watcher.close()
