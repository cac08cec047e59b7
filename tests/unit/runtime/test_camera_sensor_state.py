"""With a cushion and a camera, each sensor's coming and going changes its own state only: the
webcam going offline is the camera's state on MQTT (and Home Assistant's Camera entity) and in
the status file's ``camera`` section, never the cushion's."""

from __future__ import annotations

import json
import logging
from typing import Any

from sitwatch.camera.pipeline import CameraPipeline
from sitwatch.config import Config
from sitwatch.core.clock import ManualClock
from sitwatch.core.events import SENSOR, Event
from sitwatch.runtime.daemon import Camera, Daemon
from sitwatch.runtime.status import StatusWriter
from sitwatch.sinks.mqtt import MqttConfig, MqttSink
from tests.helpers.doubles import UnpluggedCamera, camera_profile
from tests.unit.runtime.test_daemon import LAY, SEATED, ScriptSource


class Published(MqttSink):
    """The MQTT sink (not connected: its state is kept to send on connecting), remembering
    every ``publish_state`` the daemon gave it."""

    def __init__(self, clock: ManualClock) -> None:
        super().__init__(MqttConfig(enabled=True, node_id="desk", state_interval=600), clock,
                         log=logging.getLogger("test"))
        self.states: list[dict[str, Any]] = []

    def publish_state(self, snapshot: Any) -> None:
        self.states.append(dict(snapshot))
        super().publish_state(snapshot)


def sink(**camera: bool) -> MqttSink:
    return MqttSink(MqttConfig(enabled=True, node_id="desk"), ManualClock(),
                    log=logging.getLogger("test"), **camera)


def test_a_camera_sensor_event_changes_the_cameras_state_topic_not_the_cushions() -> None:
    """Regression: every sensor event went to <base>/state/cushion, whatever its source."""
    s = sink()
    s.handle(Event(1.0, SENSOR, "online"))  # the cushion's: no source
    s.handle(Event(2.0, SENSOR, "offline", {"source": "camera", "reason": "camera unplugged"}))
    assert s._state == {"cushion": "online", "camera": "offline"}
    s.handle(Event(3.0, SENSOR, "online", {"source": "camera"}))
    assert s._state == {"cushion": "online", "camera": "online"}


def test_home_assistant_gets_a_camera_entity_only_with_a_camera() -> None:
    def entity(s: MqttSink) -> dict[str, Any] | None:
        return next((doc for topic, doc in s.discovery_messages()
                     if topic == "homeassistant/binary_sensor/desk/camera/config"), None)

    assert entity(sink()) is None
    cam = entity(sink(camera=True))
    assert cam is not None
    assert (cam["name"], cam["device_class"], cam["entity_category"]) == (
        "Camera", "connectivity", "diagnostic")
    assert (cam["state_topic"], cam["payload_on"], cam["payload_off"]) == (
        "sitwatch/state/camera", "online", "offline")


def test_the_status_file_keeps_each_sensors_own_section(tmp_path) -> None:
    clock = ManualClock()
    st = StatusWriter(tmp_path / "status.json", clock)
    st.update(sensor={"online": True, "port": "/dev/ttyACM0"},
              camera={"online": True, "device": "camera:0"})
    st.on_event(Event(1.0, SENSOR, "offline", {"source": "camera", "reason": "unplugged"}))
    d = json.loads((tmp_path / "status.json").read_text())
    assert d["sensor"]["online"] is True and d["sensor"]["diagnosis"] is None
    assert d["camera"] == {"online": False, "device": "camera:0", "reason": "unplugged"}
    # camera-only: `sensor` is the camera's (docs: status layout), and follows it too
    solo = StatusWriter(tmp_path / "solo.json", clock)
    solo.update(sensor={"online": True, "port": "camera:0"}, camera={"online": True})
    solo.on_event(Event(1.0, SENSOR, "offline", {"source": "camera", "reason": "unplugged"}))
    d = json.loads((tmp_path / "solo.json").read_text())
    assert d["sensor"]["online"] is False and d["camera"]["online"] is False


def test_with_both_the_webcam_unplugged_leaves_the_cushion_online(tmp_path) -> None:
    """The daemon with a cushion and a webcam that is pulled out at 30 s and back at 60 s: the
    MQTT state says the camera went away and came back at once (not state_interval later),
    the cushion online throughout; the status file likewise."""
    cfg = Config()
    clock = ManualClock()
    status = StatusWriter(tmp_path / "status.json", clock)
    mqtt = pub = Published(clock)
    d = Daemon(cfg, LAY, ScriptSource(clock, [(100, SEATED)]), clock, sinks=mqtt,
               status=status, publisher=pub,
               camera=Camera(UnpluggedCamera(clock, 30, 60),
                             CameraPipeline(cfg.camera, camera_profile(), owns_occupancy=False)))
    seen: list[tuple[float, Any, Any, Any, Any]] = []
    while clock.monotonic() < 80:
        d.step(0)
        st = json.loads((tmp_path / "status.json").read_text())
        seen.append((clock.monotonic(), mqtt._state.get("cushion"), mqtt._state.get("camera"),
                     st["sensor"]["online"], (st.get("camera") or {}).get("online")))
    d.close()
    gone = [x for x in seen if 31 <= x[0] < 59]
    back = [x for x in seen if x[0] >= 62]
    assert gone and all(x[1:] == ("online", "offline", True, False) for x in gone), gone[:3]
    assert back and all(x[1:] == ("online", "online", True, True) for x in back), back[:3]
    # the published state names the camera too, at once with its change
    assert any(s.get("camera") == "offline" and s.get("cushion") == "online" for s in pub.states)
    assert not any(s.get("cushion") == "offline" for s in pub.states)
