"""A pad that dies under the sitter, through the daemon ``sitwatch run`` builds: vanessa's real
session (SmartChair-ML, 12 sensors) sent as serial lines down a pseudo-terminal in accelerated
time (a ManualClock stamps the frames), her calibration where `sitwatch calibrate` saves it, and
p08 (mid seat) reading nothing from minute 10 on, as a cracked lead would. The daemon names the
pad in its status within seconds (what `sitwatch status` prints) and her upright sitting goes on
reading balanced, and `sitwatch doctor` asks to check that pad's lead; before, the dead pad was
never noticed and pulled her to the other side."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sitwatch.cli.doctor import FAIL, WARN, check_cushion_in_use
from sitwatch.core.clock import ManualClock
from sitwatch.evaluation import datasets, variants
from sitwatch.runtime.assemble import build_daemon
from sitwatch.runtime.files import profile_path, status_path
from sitwatch.runtime.status import format_status, read_status
from sitwatch.sensing import calibration
from sitwatch.sinks.desktop import DesktopSink
from tests.helpers.virtual_cushion import recording_daemon_config, send_frame

pytestmark = [pytest.mark.integration, pytest.mark.datasets]
FAILS = 600.0
TO = 836.0  # the end of her upright sitting clear of the backrest (336-836 s)
AROUND = (FAILS - 60, FAILS + 120)  # the minutes around the failure the channels' tests send


def dead_p08(datasets_dir: Any, port: str) -> tuple[Any, Any]:
    """Her session with p08 dead from FAILS, and a headless daemon's config for the pty."""
    session = datasets.smartchair(datasets_dir / "smartchair-ml" / "scripted_vanessa.csv")
    d = variants.breaks(session, 8, 0.0, after=FAILS)
    return d, recording_daemon_config(port, d).model_copy(deep=True)


def feed(daemon: Any, master: int, d: Any, clock: ManualClock,
         span: tuple[float, float]) -> list[tuple[float, Any]]:
    """Send the frames within ``span`` (s) down the pty, one daemon step each, the clock
    following the recording's; (time in the recording, event) of everything the daemon said."""
    dt = float(d.t[1] - d.t[0])
    keep = (d.t >= span[0]) & (d.t < span[1])
    out = []
    for t, values in zip(d.t[keep], d.values[keep], strict=True):
        send_frame(master, values)
        clock.advance(dt)
        out += [(float(t), e) for e in daemon.step(0.05)]
    return out


def test_the_daemon_names_a_dead_pad_at_once_and_keeps_her_balanced(
        serial_pty, datasets_dir) -> None:
    master, port = serial_pty
    session = datasets.smartchair(datasets_dir / "smartchair-ml" / "scripted_vanessa.csv")
    d = variants.breaks(session, 8, 0.0, after=FAILS)
    cfg = recording_daemon_config(port, d)
    clock = ManualClock()
    daemon = build_daemon(cfg, d.layout, calibration.load(profile_path(cfg)), clock,
                          headless=True)
    dt = float(d.t[1] - d.t[0])
    sides, named_at, t = [], None, 0.0
    try:
        for values in d.values[d.t < TO]:
            send_frame(master, values)
            clock.advance(dt)
            t += dt
            for e in daemon.step(0.05):
                if e.event == "balance" and e.state in ("left", "right"):
                    sides.append((t, e.state))
                if (named_at is None and e.event == "calibration"
                        and "p08 (dropped to zero on its own)" in (e.get("excluded") or [])):
                    named_at = t
        daemon.status.write()  # type: ignore[union-attr]
        text = format_status(read_status(status_path(cfg), clock))  # as `sitwatch status`
        doctor = check_cushion_in_use(cfg, clock)  # as `sitwatch doctor`, the daemon running
    finally:
        daemon.close()
    assert named_at is not None and named_at <= FAILS + 5, named_at
    assert "left out: p08 (dropped to zero on its own)" in text, text
    level, what, detail = doctor
    assert (level, what) == (WARN, "cushion"), doctor
    assert "p08 (dropped to zero on its own)" in detail and "p07" not in detail, detail
    assert not sides, sides  # before: a lean to one side from 10 s after, 83-100% of each minute


def test_the_sitter_is_told_on_the_desktop_once(serial_pty, datasets_dir, dunst, monkeypatch):
    """The daemon with its own channels (`build_daemon`, desktop on) and a real notification
    server: the dead pad gets one notice on the desktop, naming the sensor and where it sits,
    within seconds of failing; the minutes after add none (it stays dead). Before, nothing but
    `sitwatch status` and the journal said so."""
    for key in ("DISPLAY", "DBUS_SESSION_BUS_ADDRESS"):
        monkeypatch.setenv(key, dunst.env[key])
    master, port = serial_pty
    d, cfg = dead_p08(datasets_dir, port)
    cfg.nudges.desktop = True
    clock = ManualClock()
    daemon = build_daemon(cfg, d.layout, calibration.load(profile_path(cfg)), clock,
                          headless=False)
    try:
        notices = [(t, e) for t, e in feed(daemon, master, d, clock, (0.0, TO))
                   if e.event == "notice"]
        desktop = daemon.sinks.find(DesktopSink)  # type: ignore[union-attr]
        assert desktop is not None and desktop.flush(10)
    finally:
        daemon.close()
    assert len(notices) == 1, notices
    at, ev = notices[0]
    assert FAILS <= at <= FAILS + 5, at
    assert ev.state == "sensor_failed" and ev.get("channels") == [
        "p08 (dropped to zero on its own)"]
    shown = [h["body"] for h in dunst.wait_history(1)
             if h["summary"] == "A cushion sensor stopped working"]
    assert len(shown) == 1, shown  # (she is also told of her upright clear of the backrest)
    body = shown[0]
    assert "p08 (seat, middle left) stopped reading anything" in body, body
    assert "lead and connector" in body, body


def test_a_headless_daemon_sends_the_notice_to_the_phone(serial_pty, datasets_dir, http_server):
    """Headless under the chair (a Pi: no desktop), the push channel is where the sitter hears
    of it: the daemon `sitwatch run` builds posts the notice to the service (apprise's json://
    against a server on 127.0.0.1)."""
    pytest.importorskip("apprise", reason="needs apprise (pip install apprise)")
    from sitwatch.sinks.push import PushSink

    master, port = serial_pty
    d, cfg = dead_p08(datasets_dir, port)
    cfg.nudges.push.urls = [f"json://127.0.0.1:{http_server.port}/phone"]
    clock = ManualClock()
    daemon = build_daemon(cfg, d.layout, calibration.load(profile_path(cfg)), clock,
                          headless=True)
    try:
        feed(daemon, master, d, clock, AROUND)
        push = daemon.sinks.find(PushSink)  # type: ignore[union-attr]
        assert push is not None and push.flush(15)
    finally:
        daemon.close()
    sent = [json.loads(r.body) for r in http_server.requests]
    told = [b for b in sent if b["title"] == "A cushion sensor stopped working"]
    assert len(told) == 1, sent
    assert "p08 (seat, middle left) stopped reading anything" in told[0]["message"]


def test_home_assistant_hears_of_it(serial_pty, datasets_dir, broker, watch):
    """The daemon `sitwatch run` builds, with its MQTT channel on a real broker (mosquitto on
    127.0.0.1): the notice arrives once on `<base>/event/notice` with the event_type the
    "Cushion notice" entity of its discovery reads."""
    pytest.importorskip("paho.mqtt", reason="needs paho-mqtt (the mqtt extra)")
    from sitwatch.sinks.mqtt import MqttSink

    master, port = serial_pty
    d, cfg = dead_p08(datasets_dir, port)
    cfg.mqtt.enabled, cfg.mqtt.host, cfg.mqtt.port = True, "127.0.0.1", broker.port
    events = watch("sitwatch/event/notice", "homeassistant/event/+/notice/config")
    clock = ManualClock()
    daemon = build_daemon(cfg, d.layout, calibration.load(profile_path(cfg)), clock,
                          headless=True)
    mqtt = daemon.sinks.find(MqttSink)  # type: ignore[union-attr]
    assert mqtt is not None and mqtt.wait_connected(10), broker.log()
    try:
        feed(daemon, master, d, clock, AROUND)
        (ev,) = events.wait_topic("sitwatch/event/notice")
        events.settle()
    finally:
        daemon.close()
    (config,) = [m for m in events.messages if m.topic.endswith("/notice/config")]
    body = ev.json()
    assert body["event_type"] == "sensor_failed" in config.json()["event_types"]
    assert body["channels"] == ["p08 (dropped to zero on its own)"]
    assert body["title"] == "A cushion sensor stopped working"


def test_doctor_says_why_the_daemons_cushion_gives_no_frames(serial_pty, datasets_dir) -> None:
    """The daemon holds the port, so `sitwatch doctor` trusts what it reports. A cushion
    flashed for another layout (8 values a line where the layout has 12) gives the daemon no
    frame at all: doctor said "read by the running daemon" all the same; it now warns with the
    daemon's own diagnosis."""
    master, port = serial_pty
    d, cfg = dead_p08(datasets_dir, port)
    clock = ManualClock()
    daemon = build_daemon(cfg, d.layout, calibration.load(profile_path(cfg)), clock,
                          headless=True)
    try:
        for values in d.values[:200]:  # 100 s of lines that lack four values
            send_frame(master, values[:8])
            clock.advance(0.5)
            daemon.step(0.05)
        daemon.status.write()  # type: ignore[union-attr]
        doctor = check_cushion_in_use(cfg, clock)
    finally:
        daemon.close()
    level, what, detail = doctor
    assert (level, what) == (FAIL, "cushion"), doctor
    assert "8 values" in detail and "12" in detail, detail
