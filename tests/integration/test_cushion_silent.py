"""The whole cushion goes quiet while someone sits on it, through the daemon `sitwatch run`
builds: vanessa's real session (SmartChair-ML) sent down a pseudo-terminal in accelerated time
(a ManualClock stamps the frames), then nothing more. The desktop (dunst on a private D-Bus
under Xvfb) shows one notice two minutes later; a cushion that is unplugged instead (its port
vanishes) gets none. A wireless cushion on a real broker (mosquitto on 127.0.0.1) that drops
off the network, its last will saying so, is told in its own words. Before, a flat battery or a
hung firmware left sitwatch watching nothing, and only `sitwatch status` said so."""

from __future__ import annotations

import json
import os
import pty
import time
from typing import Any

import pytest

from sitwatch.core.clock import ManualClock
from sitwatch.evaluation import datasets
from sitwatch.runtime.assemble import build_daemon
from sitwatch.runtime.files import profile_path, status_path
from sitwatch.runtime.notices import SILENT_AFTER
from sitwatch.runtime.status import format_status, read_status
from sitwatch.sensing import calibration
from sitwatch.sinks.desktop import DesktopSink
from tests.helpers.virtual_cushion import (
    battery_dies,
    recording_daemon_config,
    send_frame,
    sit_on_wireless,
    wireless_cushion,
)

pytestmark = [pytest.mark.integration, pytest.mark.datasets]
SAT = 120.0  # seconds of her upright sitting sent before the cushion goes quiet
QUIET = 240.0  # seconds the daemon then runs with nothing coming


def session(datasets_dir: Any) -> Any:
    return datasets.smartchair(datasets_dir / "smartchair-ml" / "scripted_vanessa.csv")


def sit_then(daemon: Any, master: int, d: Any, clock: ManualClock) -> list[tuple[float, Any]]:
    """Her first SAT seconds down the pty, one daemon step a frame, the clock following the
    recording's: (seconds from the start, event) of everything the daemon said."""
    dt, out = float(d.t[1] - d.t[0]), []
    for t, values in zip(d.t[d.t < SAT], d.values[d.t < SAT], strict=True):
        send_frame(master, values)
        clock.advance(dt)
        out += [(float(t), e) for e in daemon.step(0.05)]
    return out


def run_quiet(daemon: Any, clock: ManualClock, t0: float) -> list[tuple[float, Any]]:
    """QUIET seconds of daemon steps with nothing sent (half a second each, the clock moved by
    hand: a step that waited would wait in real time on a clock that does not move)."""
    out, t = [], t0
    while t < t0 + QUIET:
        clock.advance(0.5)
        t += 0.5
        out += [(t, e) for e in daemon.step(0)]
    return out


def test_a_cushion_gone_quiet_under_her_is_told_on_the_desktop_once(
        serial_pty, datasets_dir, dunst, monkeypatch) -> None:
    for key in ("DISPLAY", "DBUS_SESSION_BUS_ADDRESS"):
        monkeypatch.setenv(key, dunst.env[key])
    master, port = serial_pty
    d = session(datasets_dir)
    cfg = recording_daemon_config(port, d).model_copy(deep=True)
    cfg.nudges.desktop = True
    clock = ManualClock()
    daemon = build_daemon(cfg, d.layout, calibration.load(profile_path(cfg)), clock,
                          headless=False)
    try:
        said = sit_then(daemon, master, d, clock)
        assert any(e.event == "occupancy" and e.state == "occupied" for _, e in said)
        said += run_quiet(daemon, clock, SAT)
        desktop = daemon.sinks.find(DesktopSink)  # type: ignore[union-attr]
        assert desktop is not None and desktop.flush(10)
    finally:
        daemon.close()
    told = [(t, e) for t, e in said if e.event == "notice"]
    assert len(told) == 1, told
    at, ev = told[0]
    assert SAT + SILENT_AFTER <= at <= SAT + SILENT_AFTER + 2, at
    assert ev.state == "cushion_silent"
    shown = [h["body"] for h in dunst.wait_history(1)
             if h["summary"] == "The cushion has gone quiet"]
    assert len(shown) == 1, shown
    body = shown[0]
    assert "Nothing has come from the cushion for 2 minutes" in body, body
    assert "its cable sits firmly" in body, body
    assert "The connection says:" in body, body  # the serial line's own diagnosis


def test_headless_under_the_chair_the_phone_hears_of_it(serial_pty, datasets_dir,
                                                       http_server) -> None:
    """On a Pi under the chair (no desktop) the push channel is where the sitter hears of it:
    the daemon `sitwatch run --headless` builds posts the notice once (apprise's json://
    against a server on 127.0.0.1)."""
    pytest.importorskip("apprise", reason="needs apprise (pip install apprise)")
    from sitwatch.sinks.push import PushSink

    master, port = serial_pty
    d = session(datasets_dir)
    cfg = recording_daemon_config(port, d).model_copy(deep=True)
    cfg.nudges.push.urls = [f"json://127.0.0.1:{http_server.port}/phone"]
    clock = ManualClock()
    daemon = build_daemon(cfg, d.layout, calibration.load(profile_path(cfg)), clock,
                          headless=True)
    try:
        sit_then(daemon, master, d, clock)
        run_quiet(daemon, clock, SAT)
        push = daemon.sinks.find(PushSink)  # type: ignore[union-attr]
        assert push is not None and push.flush(15)
    finally:
        daemon.close()
    sent = [json.loads(r.body) for r in http_server.requests]
    told = [b for b in sent if b["title"] == "The cushion has gone quiet"]
    assert len(told) == 1, sent
    assert "Nothing has come from the cushion for 2 minutes" in told[0]["message"]


def test_an_unplugged_cushion_is_not_a_silence(datasets_dir) -> None:
    """Unplugged (the port vanishes, as a USB cushion's does when a laptop leaves its dock):
    no notice, and `sitwatch status` still says why nothing comes."""
    master, slave = pty.openpty()
    port = os.ttyname(slave)
    d = session(datasets_dir)
    cfg = recording_daemon_config(port, d)
    clock = ManualClock()
    daemon = build_daemon(cfg, d.layout, calibration.load(profile_path(cfg)), clock,
                          headless=True)
    try:
        said = sit_then(daemon, master, d, clock)
        os.close(master)
        os.close(slave)
        assert not os.path.exists(port)
        said += run_quiet(daemon, clock, SAT)
        daemon.status.write()  # type: ignore[union-attr]
        text = format_status(read_status(status_path(cfg), clock))  # as `sitwatch status`
    finally:
        daemon.close()
    assert [e for _, e in said if e.event == "notice"] == []
    assert any(e.event == "sensor" and e.state == "offline" for _, e in said)
    assert "offline" in text and port in text, text


def test_a_wireless_cushion_that_drops_off_the_network_is_told(broker, tmp_path) -> None:
    """A cushion on MQTT whose link dies while someone sits (the broker publishes its last
    will): the notice names power and range, and quotes what the connection said."""
    pytest.importorskip("paho.mqtt.client", reason="needs paho-mqtt>=2")
    from sitwatch.config import Config, for_layout
    from sitwatch.sensing import layout as layouts

    topic = "home/chair/cushion"
    lay = layouts.load("load-cells-4")
    cfg = for_layout(Config.model_validate({
        "cushion": {"port": f"mqtt://{broker.host}:{broker.port}/{topic}",
                    "layout": "load-cells-4"},
        "nudges": {"desktop": False, "dnd": {"enabled": False}},
        "history": {"enabled": False}}), lay)
    pub = wireless_cushion(broker.host, broker.port, topic)
    clock = ManualClock()
    daemon = build_daemon(cfg, lay, None, clock, headless=True)
    said: list[Any] = []
    try:
        said += sit_on_wireless(pub, topic, daemon, clock, 30)
        assert any(e.event == "occupancy" and e.state == "occupied" for e in said), said
        battery_dies(pub)
        end = time.monotonic() + 20
        while daemon.pipeline.online and time.monotonic() < end:
            said += daemon.step(0.2)
        assert not daemon.pipeline.online
        for _ in range(int(SILENT_AFTER / 0.5) + 4):
            clock.advance(0.5)
            said += daemon.step(0)
    finally:
        daemon.close()
    told = [e for e in said if e.event == "notice"]
    assert len(told) == 1, told
    message = told[0].get("message")
    assert "charged or powered and within reach of the network" in message, message
    assert "The connection says: the cushion says it is offline" in message, message



def test_a_wireless_cushion_offline_mid_spell_pauses_the_sitting_timer(broker) -> None:
    """A wireless cushion's battery dies under a sitter (the broker sends its last will) and it
    comes back a minute later, through the daemon `sitwatch run` builds with a real history:
    meanwhile `sitwatch status` says the sitting timer is paused and why, and no "time to
    move" goes out; back, the spell carries on without the minute nobody saw, so the nudge
    comes after a minute of seen sitting. Before, the timer counted the dark minute, and the
    nudge went out with the first frame back."""
    pytest.importorskip("paho.mqtt.client", reason="needs paho-mqtt>=2")
    from datetime import timedelta

    from sitwatch.config import Config, for_layout
    from sitwatch.history import queries
    from sitwatch.runtime.status import bar_view
    from sitwatch.sensing import layout as layouts

    topic = "home/chair/cushion"
    lay = layouts.load("load-cells-4")
    cfg = for_layout(Config.model_validate({
        "cushion": {"port": f"mqtt://{broker.host}:{broker.port}/{topic}",
                    "layout": "load-cells-4"},
        "detect": {"sit_limit": "60 s", "occupancy": {"min_break": "120 s"}},
        "nudges": {"desktop": False, "console": False, "dnd": {"enabled": False}}}), lay)

    def cushion() -> Any:
        pub = wireless_cushion(broker.host, broker.port, topic)
        return pub

    clock = ManualClock()
    daemon = build_daemon(cfg, lay, None, clock, headless=True)
    assert daemon.pipeline is not None and daemon.status is not None

    def status() -> tuple[str, dict[str, Any]]:
        daemon.status.write()  # type: ignore[union-attr]
        d = read_status(status_path(cfg), clock)
        return format_status(d), d

    said: list[Any] = []
    try:
        pub = cushion()
        said += sit_on_wireless(pub, topic, daemon, clock, 40)
        assert any(e.event == "occupancy" and e.state == "occupied" for e in said), said
        sat = daemon.snapshot().spell
        assert 30 < sat < 45, sat
        battery_dies(pub)
        end = time.monotonic() + 20
        while daemon.pipeline.online and time.monotonic() < end:
            said += daemon.step(0.2)
        assert not daemon.pipeline.online
        dark_from = clock.monotonic()
        for _ in range(124):  # a minute in the dark, the clock moved by hand
            clock.advance(0.5)
            said += daemon.step(0)
        text, st = status()
        assert st["timer_paused"] is True and st["unseen_seconds"] == pytest.approx(61, abs=1.5)
        assert st["spell_seconds"] == pytest.approx(sat, abs=1)
        assert text.startswith("Occupied when last seen 1 min ago — sitting timer paused at "
                               "under a minute (limit 1 min) until the cushion is back · "
                               "cushion offline"), text
        assert bar_view(st)["class"] == "offline"
        assert [e for e in said if e.event == "nudge"] == []

        back_at = clock.monotonic()
        said += sit_on_wireless(cushion(), topic, daemon, clock, 30, away_s=0)
        text, st = status()
        assert st["timer_paused"] is False and text.startswith("Occupied — sitting for"), text
        (nudge,) = [e for e in said if e.event == "nudge"]
        assert nudge.get("kind") == "prolonged_sitting"
        # a minute of seen sitting: what was left before the dark minute, after it
        assert nudge.t - back_at == pytest.approx(60 - sat, abs=3)
        assert daemon.snapshot().spell == pytest.approx(sat + 30, abs=2)
        (online,) = [e for e in said if e.event == "sensor" and e.state == "online"]
        assert online.get("unseen") == pytest.approx(back_at - dark_from, abs=1)
        # the history's spell, as the live timer counts it
        assert daemon.store is not None
        spells = queries.spells_between(daemon.store, clock.now() - timedelta(hours=1),
                                        clock.now() + timedelta(seconds=1))
        assert [round(s.seconds) for s in spells] == [pytest.approx(sat + 30, abs=3)]
    finally:
        daemon.close()


def test_a_cushion_that_hangs_with_its_port_open_pauses_the_sitting_timer(serial_pty) -> None:
    """The cushion's firmware hangs under a sitter: its port stays open, and nothing comes down
    the pty for a minute; then it sends again. Through the daemon `sitwatch run` builds, with a
    real history: once no frame came for `cushion.no_data_timeout` (10 s), `sitwatch status`
    says the sitting timer is paused and that the cushion is connected but silent (not offline:
    nobody unplugged it), and no "time to move" goes out; back, the spell carries on without
    the minute nobody saw. Before, only a diagnosis said so: the timer counted the dark minute,
    and the nudge went out with the first frame back."""
    from datetime import timedelta

    from sitwatch.config import Config, for_layout
    from sitwatch.history import queries
    from sitwatch.runtime.status import bar_view
    from sitwatch.sensing import layout as layouts
    from tests.helpers.virtual_cushion import sit_on_pty

    master, port = serial_pty
    lay = layouts.load("load-cells-4")
    cfg = for_layout(Config.model_validate({
        "cushion": {"port": port, "layout": "load-cells-4"},
        "detect": {"sit_limit": "60 s", "occupancy": {"min_break": "120 s"}},
        "nudges": {"desktop": False, "console": False, "dnd": {"enabled": False}}}), lay)
    clock = ManualClock()
    daemon = build_daemon(cfg, lay, None, clock, headless=True)
    assert daemon.pipeline is not None and daemon.status is not None

    def status() -> tuple[str, dict[str, Any]]:
        daemon.status.write()  # type: ignore[union-attr]
        d = read_status(status_path(cfg), clock)
        return format_status(d), d

    try:
        said = list(daemon.step(0))  # opens the port
        said += sit_on_pty(master, daemon, clock, 40)
        assert any(e.event == "occupancy" and e.state == "occupied" for e in said), said
        sat = daemon.snapshot().spell
        assert 30 < sat < 45, sat
        last_frame = clock.monotonic()
        for _ in range(124):  # a minute with nothing on the line, the clock moved by hand
            clock.advance(0.5)
            said += daemon.step(0)
        text, st = status()
        assert st["timer_paused"] is True and st["unseen_seconds"] == pytest.approx(62, abs=1)
        assert st["spell_seconds"] == pytest.approx(sat, abs=1)
        assert text.startswith("Occupied when last seen 1 min ago — sitting timer paused at "
                               "under a minute (limit 1 min) until the cushion is back · "
                               f"cushion silent on {port} (connected, no frame for 1 min): no "
                               "data at all from the device"), text
        assert "offline" not in text, text
        assert (bar_view(st)["class"], bar_view(st)["text"]) == ("offline", "<1 min · silent")
        assert [e for e in said if e.event == "nudge"] == []
        (went,) = [e for e in said if e.event == "sensor"]
        assert went.state == "offline" and went.get("silent") is True
        assert went.t - last_frame == pytest.approx(cfg.cushion.no_data_timeout, abs=0.6)
        assert daemon.source is not None and daemon.source.stats()["online"] is True  # open

        back_at = clock.monotonic()
        said += sit_on_pty(master, daemon, clock, 30, away_s=0)
        text, st = status()
        assert st["timer_paused"] is False and text.startswith("Occupied — sitting for"), text
        assert "cushion online" in text, text
        (nudge,) = [e for e in said if e.event == "nudge"]
        assert nudge.get("kind") == "prolonged_sitting"
        assert nudge.t - back_at == pytest.approx(60 - sat, abs=3)  # a minute of seen sitting
        assert daemon.snapshot().spell == pytest.approx(sat + 30, abs=2)
        (online,) = [e for e in said if e.event == "sensor" and e.state == "online"]
        assert online.get("unseen") == pytest.approx(back_at - last_frame, abs=1)
        assert daemon.store is not None
        spells = queries.spells_between(daemon.store, clock.now() - timedelta(hours=1),
                                        clock.now() + timedelta(seconds=1))
        assert [round(s.seconds) for s in spells] == [pytest.approx(sat + 30, abs=3)]
    finally:
        daemon.close()


def test_the_minutes_shown_never_go_back_when_the_cushion_hangs(serial_pty) -> None:
    """Through the daemon `sitwatch run` builds, on a pty: the sitter sits 55 s, then the
    cushion's firmware hangs (port open, nothing on it). For the 10 s until the silence was
    declared `sitwatch status` counted on ("sitting for 1 min"), then stepped back to the last
    frame ("paused at under a minute", 62 s -> 53 s, found by hand). The spell shown stops at
    the last frame now, and never goes back."""
    from sitwatch.config import Config, for_layout
    from sitwatch.sensing import layout as layouts
    from tests.helpers.virtual_cushion import sit_on_pty

    master, port = serial_pty
    lay = layouts.load("load-cells-4")
    cfg = for_layout(Config.model_validate({
        "cushion": {"port": port, "layout": "load-cells-4"},
        "nudges": {"desktop": False, "console": False, "dnd": {"enabled": False}}}), lay)
    clock = ManualClock()
    daemon = build_daemon(cfg, lay, None, clock, headless=True)
    assert daemon.status is not None
    try:
        daemon.step(0)  # opens the port
        sit_on_pty(master, daemon, clock, 55)
        sat = daemon.snapshot().spell
        assert 50 < sat < 60, sat
        shown: list[tuple[float, str]] = []
        for _ in range(40):  # 20 s with nothing on the line, the clock moved by hand
            clock.advance(0.5)
            daemon.step(0)
            daemon.status.write()
            d = read_status(status_path(cfg), clock)
            shown.append((d["spell_seconds"], format_status(d).split(" · ")[0]))
        last = shown[-1][1]
        assert last.startswith("Occupied when last seen ") and \
            "sitting timer paused at under a minute" in last, last
        seconds = [s for s, _ in shown]
        assert seconds == sorted(seconds), seconds  # never back
        assert max(seconds) == pytest.approx(sat, abs=0.3)
        assert not any("1 min" in text for _, text in shown), shown
    finally:
        daemon.close()
