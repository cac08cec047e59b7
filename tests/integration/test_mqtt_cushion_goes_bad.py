"""A wireless cushion that goes bad after good frames (garbage, then lines with the wrong number
of values) is told as a serial one is: a diagnosis per reason, repeated every minute while no
valid frame comes, a "dropped N lines" summary in the log, and the daemon's status carrying the
diagnosis; `sitwatch doctor` then words its advice for a wireless cushion. Through the daemon
`sitwatch run` builds, on a real mosquitto, its clock moved by hand."""

from __future__ import annotations

import json
import logging
import os
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from sitwatch.core.clock import ManualClock, SystemClock
from sitwatch.runtime.assemble import build_daemon
from sitwatch.runtime.status import read_status
from sitwatch.sensing import layout as layouts
from sitwatch.sources.watch import DIAGNOSIS_REPEAT

mqtt = pytest.importorskip("paho.mqtt.client", reason="needs paho-mqtt>=2")

pytestmark = pytest.mark.integration
TOPIC = "home/office/cushion"
LAYOUT = "fsr-cushion-9"
GOOD = ",".join(["900"] * 9)
SEVEN = ",".join(["900"] * 7)


def test_a_cushion_gone_bad_after_good_frames_is_diagnosed_and_repeated(broker, tmp_path,
                                                                         caplog) -> None:
    from sitwatch.config import Config, for_layout

    lay = layouts.load(LAYOUT)
    status_file = tmp_path / "status.json"
    cfg = for_layout(Config.model_validate({
        "cushion": {"port": f"mqtt://{broker.host}:{broker.port}/{TOPIC}", "layout": LAYOUT},
        "nudges": {"desktop": False, "dnd": {"enabled": False}},
        "status": {"file": str(status_file)},
        "history": {"enabled": False}}), lay)
    pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="cushion-esp32")
    pub.connect(broker.host, broker.port, keepalive=5)
    pub.loop_start()
    clock = ManualClock()
    daemon = build_daemon(cfg, lay, None, clock, headless=True)
    assert daemon.source is not None
    stats = daemon.source.stats
    said: list[Any] = []

    def send(line: str) -> None:
        """One message, stepped until the daemon has it (the broker's delivery is real time;
        the daemon's clock moves only by hand)."""
        before = stats()["messages"]
        for _ in range(5):  # again only if the broker had not yet taken the subscription
            pub.publish(TOPIC, line, qos=1).wait_for_publish(5)
            end = time.monotonic() + 1
            while stats()["messages"] == before and time.monotonic() < end:
                said.extend(daemon.step(0.05))
            if stats()["messages"] > before:
                return
        raise AssertionError(f"the daemon never got {line!r}")

    def run_for(seconds: float, line: str) -> None:
        """``seconds`` of the cushion sending ``line`` twice a second."""
        for _ in range(int(seconds * 2)):
            send(line)
            clock.advance(0.5)
            said.extend(daemon.step(0))

    def diagnoses() -> list[str]:
        return [e.get("message") for e in said if e.event == "diagnosis"]

    try:
        with caplog.at_level(logging.INFO):
            run_for(3, GOOD)
            assert stats()["frames"] >= 6 and not diagnoses()
            good = stats()["frames"]

            run_for(cfg.cushion.no_data_timeout + 1, "g@rbage")  # garbage
            [garbage] = diagnoses()
            assert f"messages arrive on {TOPIC}, but no frame for the layout {LAYOUT}" in garbage
            assert "not numbers (e.g. 'g@rbage')" in garbage, garbage
            assert "baud" not in garbage

            run_for(DIAGNOSIS_REPEAT, SEVEN)  # now the firmware sends 7 values of 9
            assert len(diagnoses()) == 2, diagnoses()
            assert "wrong layout: got 7 values, layout has 9" in diagnoses()[1]
            run_for(DIAGNOSIS_REPEAT, SEVEN)  # still bad: said again a minute later
            assert len(diagnoses()) == 3 and diagnoses()[2] == diagnoses()[1]
            clock.advance(cfg.status.interval + 1)
            said.extend(daemon.step(0))

            # the daemon's status, as `sitwatch status --json` reads it
            status = read_status(status_file, clock)
            assert "wrong layout: got 7 values, layout has 9" in status["sensor"]["diagnosis"]

            run_for(1, GOOD)  # good frames again
            assert stats()["frames"] == good + 2
    finally:
        daemon.close()
        pub.loop_stop()
        pub.disconnect()
    logged = [r.getMessage() for r in caplog.records if r.name.startswith("sitwatch")]
    drops = [m for m in logged if "dropped" in m]
    assert any("cushion over MQTT: dropped" in m and "garbage" in m for m in drops), logged
    assert any("count" in m and "(got 7 values, layout has 9)" in m for m in drops), drops
    assert sum("no valid frame for" in m for m in logged) == 3, logged


def test_doctor_words_dropped_lines_for_a_wireless_cushion(tmp_path, broker) -> None:
    """With the daemon running, its dropped lines were to be fixed with 'the cable, the baud
    rate': a wireless cushion has neither."""
    from sitwatch import config
    from sitwatch.cli.doctor import check_cushion_in_use

    status = tmp_path / "status.json"
    port = f"mqtt://me:s3cret@{broker.host}:{broker.port}/{TOPIC}"
    status.write_text(json.dumps({
        "pid": os.getpid(), "updated": datetime.now(UTC).isoformat(),
        "sensor": {"online": True, "frames": 900, "dropped": 100, "last_frame_age": 0.1,
                   "port": f"mqtt://{broker.host}:{broker.port}/{TOPIC}"}}))
    cfg = config.load(use_user_file=False, overrides={
        "cushion.port": port, "cushion.layout": LAYOUT, "status.file": str(status)})
    level, _, detail = check_cushion_in_use(cfg, SystemClock())
    assert level == "warn" and "dropped 100 of 1000 lines" in detail, detail
    assert "cable" not in detail and "baud" not in detail
    assert "firmware sends as many values as the layout has channels" in detail
    assert "Wi-Fi" in detail and "s3cret" not in detail
