"""MqttSink against a real mosquitto on 127.0.0.1 (Debian: mosquitto; TLS test: openssl).

Every wait is bounded by a deadline; nothing sleeps to wait out a timer.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sitwatch.core.clock import ManualClock
from sitwatch.core.events import NUDGE, NUDGE_KINDS, Event
from sitwatch.sinks.mqtt import MqttConfig, MqttSink, default_client_id

try:
    from tests.helpers.servers import Broker, Relay, Watcher, free_port, start_broker, stop
except ImportError:  # pytest started without the repository root on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.helpers.servers import Broker, Relay, Watcher, free_port, start_broker, stop

pytest.importorskip("paho.mqtt.client", reason="needs paho-mqtt>=2 (pip install paho-mqtt)")
pytestmark = pytest.mark.integration

LOG = logging.getLogger("sitwatch.test.mqtt")
ROOT = Path(__file__).resolve().parents[2]


def nudge(kind: str = "slouch", t: float = 12.5) -> Event:
    return Event(t, NUDGE, None, {"kind": kind, "title": "Sit back — café",
                                  "message": "Slide your hips back", "why": "because"})


#: an event's ``at`` by the sinks' clock (a ManualClock's start)
AT = "2026-01-05T09:00:00+00:00"


def make_sink(port: int, clock: ManualClock | None = None, **kw: object) -> MqttSink:
    cfg = MqttConfig(enabled=True, host="127.0.0.1", port=port, node_id="testnode", **kw)
    return MqttSink(cfg, clock or ManualClock(), log=LOG)


@pytest.fixture
def sink(broker: Broker):
    s = make_sink(broker.port)
    s.start()
    assert s.wait_connected(10), broker.log()
    yield s
    s.close()


def test_discovery_availability_state_and_events(broker, sink, watch):
    events = watch("sitwatch/event/#", "sitwatch/state/cushion")
    sink.handle(nudge())
    sink.handle(Event(13.0, "posture", "slouched", {"source": "cushion"}))
    sink.publish_state({"occupancy": "occupied", "posture": "slouched", "balance": None,
                        "sitting_seconds": 1234.6, "cushion": "online", "static": True})

    (ev,) = events.wait_topic("sitwatch/event/nudge")
    assert not ev.retain
    body = ev.json()
    assert body == {"t": 12.5, "event": "nudge", "kind": "slouch", "title": "Sit back — café",
                    "message": "Slide your hips back", "why": "because", "event_type": "slouch",
                    "at": AT}
    (posture,) = events.wait_topic("sitwatch/event/posture")
    assert posture.json() == {"t": 13.0, "event": "posture", "state": "slouched",
                              "source": "cushion", "at": AT}

    # The broker handles a client's messages in order: once the last state value has come
    # through, it holds all of them. A newcomer (Home Assistant starting later) gets everything
    # that matters, retained.
    events.wait_topic("sitwatch/state/cushion", "online")
    late = watch("#")
    late.settle()
    retained = {m.topic: m for m in late.messages if m.retain}
    assert retained["sitwatch/status"].text == "online"
    assert retained["sitwatch/state/occupancy"].text == "occupied"
    assert retained["sitwatch/state/posture"].text == "slouched"
    assert retained["sitwatch/state/balance"].text == "None"
    assert retained["sitwatch/state/sitting_seconds"].text == "1235"
    assert retained["sitwatch/state/cushion"].text == "online"
    assert retained["sitwatch/state/static"].text == "ON"  # a weight shift is due
    assert not [t for t in retained if t.startswith("sitwatch/event/")]

    configs = {t: m.json() for t, m in retained.items() if t.startswith("homeassistant/")}
    assert set(configs) == {
        "homeassistant/binary_sensor/testnode/occupancy/config",
        "homeassistant/sensor/testnode/sitting_time/config",
        "homeassistant/sensor/testnode/posture/config",
        "homeassistant/sensor/testnode/balance/config",
        "homeassistant/binary_sensor/testnode/cushion/config",
        "homeassistant/event/testnode/nudge/config",
        "homeassistant/event/testnode/day_summary/config",
        "homeassistant/event/testnode/notice/config",
        "homeassistant/sensor/testnode/sitting_today/config",
        "homeassistant/sensor/testnode/nudges_today/config",
        "homeassistant/sensor/testnode/upright_today/config",
        "homeassistant/binary_sensor/testnode/over_limit/config",
        "homeassistant/binary_sensor/testnode/static/config",
        "homeassistant/sensor/testnode/mode/config",
    }
    ids = [c["unique_id"] for c in configs.values()]
    assert len(set(ids)) == len(ids) and all(i.startswith("testnode_") for i in ids)
    for c in configs.values():
        assert c["availability_topic"] == "sitwatch/status"
        assert c["device"]["identifiers"] == ["testnode"]
        assert {"name", "model", "sw_version"} <= set(c["device"])
        assert (c["state_topic"] in retained
                or c["state_topic"] in ("sitwatch/event/nudge", "sitwatch/event/notice",
                                        "sitwatch/event/day_summary")
                or c["state_topic"].endswith(("_today", "over_limit", "mode", "static")))
    occ = configs["homeassistant/binary_sensor/testnode/occupancy/config"]
    assert (occ["device_class"], occ["payload_on"], occ["payload_off"]) == (
        "occupancy", "occupied", "empty")
    sit = configs["homeassistant/sensor/testnode/sitting_time/config"]
    assert (sit["device_class"], sit["unit_of_measurement"]) == ("duration", "s")
    posture_cfg = configs["homeassistant/sensor/testnode/posture/config"]
    assert posture_cfg["device_class"] == "enum" and "slouched" in posture_cfg["options"]
    evt = configs["homeassistant/event/testnode/nudge/config"]
    assert evt["event_types"] == list(NUDGE_KINDS)
    assert evt["state_topic"] == "sitwatch/event/nudge"
    notice = configs["homeassistant/event/testnode/notice/config"]
    assert (notice["event_types"], notice["state_topic"]) == (
        ["sensor_failed", "cushion_silent"], "sitwatch/event/notice")


def test_the_days_summary_is_its_own_event_not_a_nudge(broker, sink, watch):
    """Regression: the day's summary went out on sitwatch/event/nudge with event_type
    daily_budget, so Home Assistant's Nudge entity fired for it and an automation on "a nudge
    came" (or on daily_budget, the budget nudges) ran for a notice that asks nothing. It now
    has its own topic, entity and event type; the budget nudges stay on the Nudge entity."""
    events = watch("sitwatch/event/#")
    summary = {"kind": "daily_budget", "stage": "summary", "level": "summary",
               "title": "Today at the desk", "message": "3 h 10 min in the chair today.",
               "budget_minutes": 240}
    sink.handle(Event(100.0, NUDGE, None, summary))
    sink.handle(Event(101.0, NUDGE, None, {**summary, "stage": "reached", "level": "firm",
                                           "title": "Budget reached"}))
    (day,) = events.wait_topic("sitwatch/event/day_summary")
    (budget,) = events.wait_topic("sitwatch/event/nudge")
    assert day.json() == {"t": 100.0, "event": "nudge", **summary, "event_type": "day_summary",
                          "at": AT}
    assert not day.retain
    assert budget.json()["event_type"] == "daily_budget"  # a budget nudge is still a nudge
    assert budget.json()["stage"] == "reached"
    late = watch("homeassistant/#")
    late.settle()
    configs = {m.topic: m.json() for m in late.messages if m.retain}
    entity = configs["homeassistant/event/testnode/day_summary/config"]
    assert (entity["name"], entity["event_types"], entity["state_topic"]) == (
        "Day summary", ["day_summary"], "sitwatch/event/day_summary")
    assert configs["homeassistant/event/testnode/nudge/config"]["event_types"] == list(
        NUDGE_KINDS)


def test_a_sensor_failing_reaches_home_assistant_as_an_event(broker, sink, watch):
    """The notice that a cushion sensor stopped working, on the event entity's topic with the
    event_type Home Assistant reads (an automation can forward it anywhere)."""
    events = watch("sitwatch/event/#")
    sink.handle(Event(610.0, "notice", "sensor_failed", {
        "title": "A cushion sensor stopped working", "message": "Sensor p08 ...",
        "channels": ["p08 (dropped to zero on its own)"]}))
    (ev,) = events.wait_topic("sitwatch/event/notice")
    body = ev.json()
    assert body["event_type"] == "sensor_failed" and not ev.retain
    assert body["channels"] == ["p08 (dropped to zero on its own)"]


def test_state_follows_events_at_once(sink, watch):
    w = watch("sitwatch/state/#")
    sink.handle(Event(1.0, "occupancy", "empty"))
    sink.handle(Event(2.0, "balance", "left"))
    sink.handle(Event(3.0, "sensor", "offline", {"reason": "unplugged"}))
    w.wait_topic("sitwatch/state/occupancy", "empty")
    w.wait_topic("sitwatch/state/posture", "None")  # unknown once the seat is empty
    w.wait_topic("sitwatch/state/balance", "left")
    w.wait_topic("sitwatch/state/cushion", "offline")
    sink.handle(Event(4.0, "occupancy", "occupied"))
    sink.handle(Event(5.0, "posture", "upright", {"source": "cushion"}))
    w.wait_topic("sitwatch/state/posture", "upright")


def test_the_clock_goes_out_on_connect_and_with_the_state_never_kept(broker, watch):
    """``<base>/clock`` is our wall time as it is sent (a companion elsewhere learns from it
    how far our clock is from its own): on connecting, before the events that waited, and with
    every state update; never retained, so a newcomer never gets an old time as if it were
    now."""
    clock = ManualClock()  # the Pi's clock: 2026-01-05 09:00 UTC, whatever the real one says
    s = make_sink(broker.port, clock)
    s.handle(nudge())  # not connected yet: it waits in the queue
    clock.advance(90)
    w = watch("sitwatch/clock", "sitwatch/event/#")
    s.start()
    try:
        assert s.wait_connected(10), broker.log()
        w.wait_topic("sitwatch/event/nudge")
        topics = [m.topic for m in w.messages]
        assert topics.index("sitwatch/clock") < topics.index("sitwatch/event/nudge"), topics
        (first,) = w.on("sitwatch/clock")
        assert first.text == "2026-01-05T09:01:30.000+00:00" and not first.retain
        assert w.on("sitwatch/event/nudge")[0].json()["at"] == AT  # when it happened
        clock.advance(30)
        s.publish_state({"occupancy": "occupied"})
        (_, later) = w.wait_topic("sitwatch/clock", count=2)
        assert datetime.fromisoformat(later.text) == datetime(2026, 1, 5, 9, 2, tzinfo=UTC)
        newcomer = watch("sitwatch/#")
        newcomer.settle()
        assert not newcomer.on("sitwatch/clock")  # nothing kept by the broker
    finally:
        s.close()


def test_state_is_due_every_state_interval_and_kept_until_connected(broker, watch):
    clock = ManualClock()
    cfg = MqttConfig(enabled=True, host="127.0.0.1", port=broker.port, state_interval=30)
    s = MqttSink(cfg, clock, log=LOG)  # not started yet: state waits for the first connect
    assert s.state_due()
    s.publish_state({"sitting_seconds": 10, "occupancy": "occupied"})
    clock.advance(29.9)
    assert not s.state_due()
    clock.advance(0.1)
    assert s.state_due()
    early = watch("sitwatch/state/#")
    s.start()
    try:
        assert s.wait_connected(10)
        early.wait_topic("sitwatch/state/sitting_seconds", "10")
        early.wait_topic("sitwatch/state/occupancy", "occupied")
        w = watch("sitwatch/state/#")  # the broker has them now: a newcomer gets them retained
        w.settle()
        assert {(m.topic, m.text, m.retain) for m in w.messages} == {
            ("sitwatch/state/sitting_seconds", "10", True),
            ("sitwatch/state/occupancy", "occupied", True)}
    finally:
        s.close()


def test_offline_before_a_clean_disconnect(broker, watch):
    s = make_sink(broker.port)
    s.start()
    assert s.wait_connected(10)
    w = watch("sitwatch/status")
    w.wait_topic("sitwatch/status", "online")
    s.close()
    w.wait_topic("sitwatch/status", "offline")
    assert not s.connected
    late = watch("sitwatch/status")
    late.settle()
    assert [(m.text, m.retain) for m in late.messages if m.topic == "sitwatch/status"] == [
        ("offline", True)]


def test_last_will_when_the_process_dies(broker, watch, tmp_path):
    script = textwrap.dedent(f"""
        import logging, sys, threading
        from sitwatch.core.clock import SystemClock
        from sitwatch.sinks.mqtt import MqttConfig, MqttSink, default_client_id
        cfg = MqttConfig(enabled=True, host="127.0.0.1", port={broker.port}, node_id="dying",
                         base_topic="dying", keepalive=60)
        sink = MqttSink(cfg, SystemClock(), log=logging.getLogger("child"))
        sink.start()
        if not sink.wait_connected(10):
            sys.exit(3)
        print("ready", flush=True)
        threading.Event().wait()
    """)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    w = watch("dying/status")
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, cwd=ROOT)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # the child exits (3) if it cannot connect: no hang
        assert line.strip() == b"ready", proc.stderr.read() if proc.stderr else ""
        w.wait_topic("dying/status", "online")
        proc.kill()  # no DISCONNECT packet: the broker must send the will
        proc.wait(10)
        w.wait_topic("dying/status", "offline")
    finally:
        stop(proc)
    late = watch("dying/status")
    late.settle()
    assert [(m.text, m.retain) for m in late.on("dying/status")] == [("offline", True)]


def test_discovery_again_when_home_assistant_comes_online(sink, watch):
    w = watch("homeassistant/+/+/+/config")
    # the sink may still be publishing its discovery when we subscribe: some come retained,
    # the rest live (a settle alone once saw 4 of 12 under a loaded CI)
    want = len(sink.discovery_messages())
    assert w.wait_for(lambda ms: len(ms) >= want), [m.topic for m in w.messages]
    w.settle()
    first = len(w.messages)
    assert first == want == 14 and sink.discoveries == 1
    w.client.publish("homeassistant/status", b"offline", qos=1)
    w.client.publish("homeassistant/status", b"online", qos=1)
    assert w.wait_for(lambda ms: len(ms) >= 2 * first), [m.topic for m in w.messages]
    again = w.messages[first:]
    assert all(not m.retain for m in again)  # live copies for the subscriber already there
    assert {m.topic for m in again} == {m.topic for m in w.messages[:first]}
    assert sink.discoveries == 2


def test_no_discovery_when_disabled(broker, watch):
    s = make_sink(broker.port, discovery=False)
    s.start()
    try:
        assert s.wait_connected(10)
        w = watch("#")
        s.publish_state({"balance": "right"})  # after all that the sink sent on connecting
        w.wait_topic("sitwatch/state/balance", "right")
        assert w.on("sitwatch/status")[0].text == "online"
        assert not [m for m in w.messages if m.topic.startswith("homeassistant/")]
    finally:
        s.close()


def test_events_wait_while_the_broker_is_unreachable(broker, watch, caplog):
    relay = Relay(broker.port)  # not open yet: connections are refused
    clock = ManualClock()
    s = make_sink(relay.port, clock, queue_size=2, qos=1)
    w = watch("sitwatch/event/#", "sitwatch/status")
    try:
        with caplog.at_level(logging.WARNING, logger=LOG.name):
            s.start()
            for i in range(3):
                s.handle(nudge(t=float(i)))
            clock.advance(30)  # (drops are summed up once a minute: not yet)
            s.handle(nudge(t=3.0))
        clock.advance(3600)  # an hour without the broker
        assert not s.connected
        assert s.dropped == 2
        drops = [r for r in caplog.records if "dropped" in r.getMessage()]
        assert len(drops) == 1  # the first drop is logged; the rest are summed up later

        relay.open()  # the network comes back; paho's backoff retries within a few seconds
        assert s.wait_connected(20), "the sink did not reconnect"
        got = w.wait_topic("sitwatch/event/nudge", count=2)
        assert [m.json()["t"] for m in got] == [2.0, 3.0]  # the oldest went first
        # each says when it happened, not when it could be sent at last
        assert [m.json()["at"] for m in got] == [AT, "2026-01-05T09:00:30+00:00"]

        # The line drops: the broker sends our will; paho reconnects and says online again.
        online_before = len(w.on("sitwatch/status"))
        relay.cut()
        w.wait_topic("sitwatch/status", "offline")
        w.wait_for(lambda ms: len([m for m in ms if m.topic == "sitwatch/status"])
                   > online_before + 1, 30)
        assert w.on("sitwatch/status")[-1].text == "online"
        assert s.wait_connected(20) and s.connects >= 2
    finally:
        s.close()
        relay.close()


def test_a_config_that_cannot_work_is_logged_not_raised(tmp_path, caplog):
    s = make_sink(free_port(), tls=True, tls_ca=str(tmp_path / "missing-ca.pem"))
    with caplog.at_level(logging.ERROR, logger=LOG.name):
        assert s.start() is False
    assert "cannot start" in caplog.records[0].getMessage()
    s.handle(nudge())  # nothing to send it with: ignored, no exception
    s.publish_state({"occupancy": "occupied"})
    s.close()


def test_check_reports_success_and_failure(broker):
    ok, text = make_sink(broker.port).check(timeout=5)
    assert ok, text
    assert "connected" in text
    ok, text = make_sink(free_port()).check(timeout=5)
    assert not ok
    assert "cannot connect" in text


def test_username_and_password(tmp_path):
    pw = tmp_path / "passwd"
    if subprocess.run(["mosquitto_passwd", "-b", "-c", str(pw), "sitter", "s3cret"],
                      capture_output=True, check=False).returncode != 0:
        pytest.skip("mosquitto_passwd failed (Debian: mosquitto)")
    pw.chmod(0o600)
    b = start_broker(tmp_path / "auth", extra=["allow_anonymous false", f"password_file {pw}"])
    try:
        ok, text = make_sink(b.port, username="sitter", password="wrong").check(timeout=5)
        assert not ok and "refused" in text, text
        good = make_sink(b.port, username="sitter", password="s3cret")
        ok, text = good.check(timeout=5)
        assert ok, text
        good.start()
        assert good.wait_connected(10)
        good.close()
    finally:
        stop(b.proc)


def _self_signed(where: Path) -> tuple[Path, Path]:
    key, cert = where / "key.pem", where / "cert.pem"
    where.mkdir(exist_ok=True)
    made = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", str(key), "-out", str(cert)], capture_output=True, check=False)
    assert made.returncode == 0, made.stderr
    return key, cert


def test_password_from_a_file_or_a_systemd_credential_never_logged(tmp_path, monkeypatch,
                                                                   caplog):
    pw = tmp_path / "passwd"
    if subprocess.run(["mosquitto_passwd", "-b", "-c", str(pw), "sitter", "s3cret-é"],
                      capture_output=True, check=False).returncode != 0:
        pytest.skip("mosquitto_passwd failed (Debian: mosquitto)")
    pw.chmod(0o600)
    b = start_broker(tmp_path / "auth", extra=["allow_anonymous false", f"password_file {pw}"])
    secret = tmp_path / "secret"
    secret.write_text("s3cret-é\n", encoding="utf-8")
    creds = tmp_path / "credentials"
    creds.mkdir()
    (creds / "mqtt_password").write_text("s3cret-é", encoding="utf-8")
    try:
        with caplog.at_level(logging.DEBUG):
            monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
            ok, text = make_sink(b.port, username="sitter").check(timeout=5)
            assert not ok and "no password is set" in text, text
            ok, text = make_sink(b.port, username="sitter",
                                 password_file=str(tmp_path / "nope")).check(timeout=5)
            assert not ok and "cannot be read" in text and "nope" in text, text
            ok, text = make_sink(b.port, username="sitter", password_file=str(secret)).check(5)
            assert ok, text
            monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))  # as systemd sets it
            s = make_sink(b.port, username="sitter")
            ok, text = s.check(timeout=5)
            assert ok, text
            s.start()
            assert s.wait_connected(10), b.log()
            s.close()
        assert "s3cret" not in caplog.text
    finally:
        stop(b.proc)


def test_a_restarted_broker_gets_everything_again(tmp_path, watch):
    """mosquitto restarts (an update, a reboot of the hub) and forgets every retained message:
    the sink reconnects by itself and announces itself, its entities and its state again."""
    first = start_broker(tmp_path / "b1")
    s = make_sink(first.port)
    try:
        s.start()
        assert s.wait_connected(10), first.log()
        s.publish_state({"occupancy": "occupied", "posture": "upright", "balance": "balanced",
                         "sitting_seconds": 60.0, "cushion": "online"})
        stop(first.proc)
        second = start_broker(tmp_path / "b2", port=first.port)
        try:
            w = Watcher(second, "sitwatch/#", "homeassistant/#")
            try:
                w.wait_topic("sitwatch/status", "online", timeout=30)
                w.wait_topic("sitwatch/state/occupancy", "occupied")
                w.wait_topic("homeassistant/binary_sensor/testnode/occupancy/config")
                assert s.connects >= 2
            finally:
                w.close()
        finally:
            stop(second.proc)
    finally:
        s.close()


def test_tls(tmp_path):
    if shutil.which("openssl") is None:
        pytest.skip("needs openssl (Debian: openssl)")
    key, cert = _self_signed(tmp_path / "server")
    _, other = _self_signed(tmp_path / "other")
    b = start_broker(tmp_path / "tls", extra=[
        "allow_anonymous true", f"certfile {cert}", f"keyfile {key}"])
    try:
        ok, text = make_sink(b.port, tls=True, tls_ca=str(cert)).check(timeout=5)
        assert ok and "TLS" in text, text
        ok, text = make_sink(b.port, tls=True, tls_ca=str(other)).check(timeout=5)
        assert not ok and "certificate verify failed" in text, text  # an untrusted broker
        ok, text = make_sink(b.port).check(timeout=3)
        assert not ok, text  # plain MQTT to a TLS listener
        s = make_sink(b.port, tls=True, tls_ca=str(cert))
        s.start()
        assert s.wait_connected(10), b.log()
        s.handle(nudge())
        s.close()
        assert s.published == 1
    finally:
        stop(b.proc)


def test_not_right_commands_reach_on_command_and_discovery_has_the_button(broker, watch):
    """Issue #10: "Not right" over MQTT (Home Assistant's button, or anyone publishing to
    <base>/command/feedback) reaches on_command; a retained or garbled command does not."""
    import threading

    from sitwatch.core.kinds import NudgeAction
    from sitwatch.sinks.mqtt import parse_feedback

    got: list[tuple[str, Event]] = []
    cv = threading.Condition()

    def on_command(action: str, ev: Event) -> None:
        with cv:
            got.append((action, ev))
            cv.notify_all()

    w = watch("homeassistant/#")
    # an old command the broker kept: delivered as retained when the sink subscribes, ignored
    w.client.publish("sitwatch/command/feedback", b"slouch", qos=1, retain=True).wait_for_publish(5)
    cfg = MqttConfig(enabled=True, host="127.0.0.1", port=broker.port, node_id="testnode")
    s = MqttSink(cfg, ManualClock(), log=LOG, on_command=on_command)
    s.start()
    try:
        assert s.wait_connected(10), broker.log()
        (button,) = w.wait_topic("homeassistant/button/testnode/not_right/config")
        doc = button.json()
        assert doc["command_topic"] == "sitwatch/command/feedback"
        assert doc["payload_press"] == "wrong" and doc["name"] == "Not right"
        # the answer to the notice of a way of sitting learned has a button of its own
        (learned,) = w.wait_topic("homeassistant/button/testnode/not_right_learned/config")
        assert learned.json()["payload_press"] == "wrong learned"
        assert learned.json()["command_topic"] == "sitwatch/command/feedback"
        w.client.publish("sitwatch/command/feedback", b"what is this now", qos=1)  # ignored
        w.client.publish("sitwatch/command/feedback", b"wrong", qos=1)
        w.client.publish("sitwatch/command/feedback", b"wrong lopsided", qos=1)
        w.client.publish("sitwatch/command/feedback", learned.json()["payload_press"].encode(),
                         qos=1)
        with cv:
            assert cv.wait_for(lambda: len(got) >= 3, 10), got
        w.settle()
        assert [(a, e.get("feedback_kind"), e.get("via")) for a, e in got] == [
            (NudgeAction.WRONG, None, "mqtt"), (NudgeAction.WRONG, "lopsided", "mqtt"),
            (NudgeAction.WRONG, "learned", "mqtt")]
        assert s.commands == 3
    finally:
        w.client.publish("sitwatch/command/feedback", b"", qos=1, retain=True)  # clear it
        s.close()
    # without a receiver, no subscription and no button
    plain = make_sink(broker.port)
    assert not any("button" in t for t, _ in plain.discovery_messages())
    assert parse_feedback(b"") is None and parse_feedback(b"WRONG  slouch ") == "slouch"
    assert parse_feedback(b"\xff") is False


#: What Home Assistant's MQTT platforms require (and what a valid value is) for the kinds of
#: entity sitwatch announces: its schema's required keys, and the enumerations it checks.
HA_REQUIRED = {
    "binary_sensor": {"state_topic"},
    "sensor": {"state_topic"},
    "event": {"state_topic", "event_types"},
    "button": {"command_topic"},
    "select": {"command_topic", "options"},
}
HA_STATE_CLASSES = {"measurement", "total", "total_increasing"}
HA_DEVICE_CLASSES = {
    "binary_sensor": {"occupancy", "connectivity", "problem"},
    "sensor": {"duration", "enum"},
}


def test_every_discovery_document_has_what_home_assistant_requires(broker):
    s = MqttSink(MqttConfig(enabled=True, host="127.0.0.1", port=broker.port, node_id="n1"),
                 ManualClock(), log=LOG, on_command=lambda a, e: None)
    docs = s.discovery_messages()
    kinds = {t.split("/")[1] for t, _ in docs}
    assert kinds == set(HA_REQUIRED)
    for topic, doc in docs:
        component, node, object_id = topic.split("/")[1:4]
        assert node == "n1" and topic.endswith("/config")
        assert HA_REQUIRED[component] <= set(doc), (topic, doc)
        assert doc["unique_id"] == f"n1_{object_id}" and doc["name"]
        assert doc["availability_topic"] == "sitwatch/status"
        if "state_class" in doc:
            assert doc["state_class"] in HA_STATE_CLASSES
            assert component == "sensor" and doc.get("device_class") != "enum"
        if "device_class" in doc and component in HA_DEVICE_CLASSES:
            assert doc["device_class"] in HA_DEVICE_CLASSES[component], doc
        if doc.get("device_class") == "enum":
            assert doc["options"] and "unit_of_measurement" not in doc
        if doc.get("device_class") == "duration":
            assert doc["unit_of_measurement"] in {"s", "min", "h", "d"}
        if component in ("button", "select"):
            assert doc["command_topic"].startswith("sitwatch/command/")
        if component == "select":
            assert doc["options"] == ["watching", "snoozed", "paused"]
    totals = {t.split("/")[3]: d for t, d in docs if d.get("state_class") == "total_increasing"}
    assert set(totals) == {"sitting_today", "nudges_today"}


def test_snooze_pause_resume_commands_and_the_day_state(broker, watch):
    """The Home Assistant buttons (or any publisher) reach on_command with the duration; bad
    payloads and retained leftovers do not; the day's figures are published as numbers."""
    import threading

    from sitwatch.core.kinds import NudgeAction
    from sitwatch.sinks.mqtt import parse_control

    got: list[tuple[str, Event]] = []
    cv = threading.Condition()

    def on_command(action: str, ev: Event) -> None:
        with cv:
            got.append((action, ev))
            cv.notify_all()

    w = watch("sitwatch/state/#")
    w.client.publish("sitwatch/command/pause", b"", qos=1, retain=True).wait_for_publish(5)
    s = MqttSink(MqttConfig(enabled=True, host="127.0.0.1", port=broker.port, node_id="t2"),
                 ManualClock(), log=LOG, on_command=on_command)
    s.start()
    try:
        assert s.wait_connected(10), broker.log()
        # connected is not yet subscribed: knock until the first command gets through
        with cv:
            for _ in range(50):
                w.client.publish("sitwatch/command/resume", b"", qos=1)
                if cv.wait_for(lambda: got, 0.2):
                    break
            got.clear()
        for topic, payload in (("snooze", b"PRESS"), ("snooze", b"45m"), ("pause", b"soon"),
                               ("pause", b"1h"), ("resume", b"PRESS"),
                               # Home Assistant's Mode select
                               ("mode", b"paused"), ("mode", b"asleep"), ("mode", b"snoozed"),
                               ("mode", b"watching")):
            w.client.publish(f"sitwatch/command/{topic}", payload, qos=1)
        with cv:
            assert cv.wait_for(lambda: len(got) >= 8, 10), got
        w.settle()
        got = [g for g in got if not (g[0] == NudgeAction.RESUME and g is got[0])]
        assert [(a, e.get("minutes")) for a, e in got] == [
            (NudgeAction.SNOOZE, None), (NudgeAction.SNOOZE, 45.0), (NudgeAction.PAUSE, 60.0),
            (NudgeAction.RESUME, None), (NudgeAction.PAUSE, None),
            (NudgeAction.RESUME, None), (NudgeAction.SNOOZE, None),  # snoozed ends the pause
            (NudgeAction.RESUME, None)]
        assert "bad-mode" in s.problems  # "asleep" is no mode: reported, not acted on
        s.publish_state({"sitting_today": 123.456, "nudges_today": 4, "upright_today": 81.26,
                         "over_limit": True, "mode": "snoozed"})
        w.wait_topic("sitwatch/state/mode", "snoozed")
        state = {m.topic.rsplit("/", 1)[1]: m.text for m in w.messages}
        assert state["sitting_today"] == "123.5" and state["nudges_today"] == "4"
        assert state["upright_today"] == "81.3" and state["over_limit"] == "ON"
    finally:
        w.client.publish("sitwatch/command/pause", b"", qos=1, retain=True)
        s.close()
    assert parse_control(b"") is None and parse_control(b"90") == 90.0
    assert parse_control(b"8d") is False and parse_control(b"\xff") is False


# -- two sitwatch on one broker ------------------------------------------------------------------

def _until(cond: Callable[[], object], timeout: float = 15.0) -> bool:
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            return False
        time.sleep(0.05)  # polling the sinks' network threads, bounded by the deadline
    return True


def another_box(port: int, node: str, host: str = "pi-desk", **kw: object) -> MqttSink:
    """A sitwatch on another machine (its machine tag and host name are not ours, and so
    neither is its default client id)."""
    s = MqttSink(MqttConfig(enabled=True, host="127.0.0.1", port=port, node_id=node, **kw),
                 ManualClock(), log=logging.getLogger("sitwatch.test.mqtt.other"))
    s.machine, s.host = "0ther0machin", host
    if not s.cfg.client_id:
        s.client_id = default_client_id(node, s.machine)
    return s


def _warnings(caplog: pytest.LogCaptureFixture, logger: str) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == logger and r.levelno >= logging.WARNING]


def test_two_sitwatch_under_one_base_topic_each_name_the_other(broker, watch, caplog):
    """A desk chair's Pi and a sofa cushion's daemon left on the default base topic: their
    state, events and commands would mix. The one that comes second finds the first's
    announcement kept by the broker; the first hears the second's as it arrives."""
    caplog.set_level(logging.WARNING)
    desk = another_box(broker.port, "desk")
    sofa = MqttSink(MqttConfig(enabled=True, host="127.0.0.1", port=broker.port,
                               node_id="sofa"), ManualClock(), log=LOG)
    kept = watch("sitwatch/node")
    desk.start()
    try:
        assert desk.wait_connected(10), broker.log()
        kept.wait_topic("sitwatch/node")  # the broker holds the desk's announcement
        sofa.start()
        assert sofa.wait_connected(10)
        assert _until(lambda: sofa.shared_with and desk.shared_with), (
            sofa.shared_with, desk.shared_with)
    finally:
        sofa.close()
        desk.close()
    assert sofa.shared_with == {"node_id": "desk", "host": "pi-desk"}
    assert desk.shared_with == {"node_id": "sofa", "host": sofa.host}
    (said,) = _warnings(caplog, LOG.name)
    assert "another sitwatch (desk on pi-desk) publishes under the same base topic " \
           "'sitwatch'" in said and 'base_topic = "sitwatch/sofa"' in said
    (heard,) = _warnings(caplog, "sitwatch.test.mqtt.other")
    assert f"another sitwatch (sofa on {sofa.host})" in heard


def test_an_earlier_owner_that_stopped_is_not_another(broker, watch, caplog):
    """sitwatch moved to a new box: the old one said offline when it stopped, and its
    announcement is still kept by the broker. Nothing to warn about."""
    caplog.set_level(logging.WARNING)
    old = another_box(broker.port, "desk")
    kept = watch("sitwatch/status")
    old.start()
    assert old.wait_connected(10)
    old.close()
    kept.wait_topic("sitwatch/status", "offline")
    new = MqttSink(MqttConfig(enabled=True, host="127.0.0.1", port=broker.port,
                              node_id="desk"), ManualClock(), log=LOG)
    seen = watch("sitwatch/node")
    new.start()
    try:
        assert new.wait_connected(10)
        # our own announcement coming back means the broker has handed over what it kept
        seen.wait_for(lambda ms: any(new.instance in m.text for m in ms))
        ok, line = new.check(timeout=5)
    finally:
        new.close()
    assert new.shared_with is None and not _warnings(caplog, LOG.name)
    assert ok and "another" not in line, line


def test_two_boxes_with_one_name_keep_their_connections_and_are_told(broker, caplog):
    """Two Raspberry Pis both called raspberrypi: the same node id, but each its own client id
    (it carries a tag of the machine), so the broker drops neither; their state would still
    mix under one base topic and be one device to Home Assistant, and each says so."""
    caplog.set_level(logging.WARNING)
    cfg = MqttConfig(enabled=True, host="127.0.0.1", port=broker.port,
                     node_id="sitwatch_raspberrypi")
    one = MqttSink(cfg, ManualClock(), log=LOG)
    two = another_box(broker.port, "sitwatch_raspberrypi", host="raspberrypi")
    assert one.client_id != two.client_id
    one.start()
    try:
        assert one.wait_connected(10)
        two.start()
        assert _until(lambda: one.shared_with and two.shared_with, 30), broker.log()
        assert one.connected and two.connected and (one.connects, two.connects) == (1, 1)
    finally:
        two.close()
        one.close()
    said = _warnings(caplog, LOG.name) + _warnings(caplog, "sitwatch.test.mqtt.other")
    told = [s for s in said if "same node id (sitwatch_raspberrypi)" in s]
    assert len(told) == 2 and "Home Assistant sees one device" in told[0], said
    assert "already connected" not in broker.log()  # no session was taken over


def _takeovers(broker: Broker) -> int:
    """Connections mosquitto closed because another client connected with the same id."""
    return broker.log().count("already connected, closing old connection")


def _stays(cond: Callable[[], bool], seconds: float) -> bool:
    """``cond`` holds throughout ``seconds`` (polling real processes: paho reconnects a second
    after a drop, so a fight shows within that)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if not cond():
            return False
        time.sleep(0.05)
    return True


def _retained(broker: Broker, *topics: str) -> dict[str, str]:
    """What the broker keeps on ``topics`` now, as a newcomer (Home Assistant) reads it."""
    w = Watcher(broker, *topics)
    try:
        w.settle()
        return {m.topic: m.text for m in w.messages if m.retain}
    finally:
        w.close()


def test_one_client_id_set_on_two_machines_one_moves_to_its_own(broker, caplog):
    """mqtt.client_id = "chair" on two machines: mosquitto 2.0 drops the older connection each
    time the other connects, without a word, and each took it back a second later, each status
    "offline" in turn. Now whichever sees the pattern says so once, naming the id and its
    setting, and connects with an id of its own: both stay connected, both "online"."""
    caplog.set_level(logging.WARNING)
    desk = MqttSink(MqttConfig(enabled=True, host="127.0.0.1", port=broker.port,
                               node_id="desk", base_topic="desk", client_id="chair"),
                    ManualClock(), log=LOG)
    sofa = another_box(broker.port, "sofa", base_topic="sofa", client_id="chair")
    desk.start()
    try:
        assert desk.wait_connected(10), broker.log()
        sofa.start()
        assert _until(lambda: desk.client_id != "chair" or sofa.client_id != "chair", 30), \
            broker.log()
        assert _until(lambda: desk.connected and sofa.connected)
        fights = _takeovers(broker)
        assert fights >= 3  # the pattern, as mosquitto saw it
        assert _stays(lambda: desk.connected and sofa.connected, 3.0), broker.log()
        assert _takeovers(broker) == fights
        assert _retained(broker, "desk/status", "sofa/status") == {
            "desk/status": "online", "sofa/status": "online"}
    finally:
        sofa.close()
        desk.close()
    said = [s for s in _warnings(caplog, LOG.name) + _warnings(caplog, "sitwatch.test.mqtt.other")
            if "another MQTT client" in s]
    assert len(said) == 1, said
    moved = desk if desk.client_id != "chair" else sofa
    assert said[0].startswith('mqtt: another MQTT client uses our client id "chair" '
                              "(mqtt.client_id): the broker 127.0.0.1:"), said
    assert f'connects as "{moved.client_id}" for now' in said[0], said
    assert "give each client its own mqtt.client_id" in said[0], said
    # and for as long as it lasts, in the status and doctor (the log said it once)
    kept = sofa if moved is desk else desk
    assert moved.client_id_text() == (
        f'mqtt: another MQTT client uses the client id "chair" (mqtt.client_id), so sitwatch '
        f'connects as "{moved.client_id}" instead: give each client its own mqtt.client_id, '
        "or leave it empty here")
    assert kept.client_id_text() == ""


def test_one_default_client_id_twice_backs_off_and_the_status_ends_online(broker, caplog):
    """Two sitwatch of one user on one machine with one node id (two configs): one default
    client id. Nothing of their own to move to, so the one that sees the pattern says so once,
    naming mqtt.node_id, and waits 30 s before its next try instead of 1 s; the other keeps
    the connection, and the status they share ends "online", not the loser's last will."""
    caplog.set_level(logging.WARNING)
    cfg = MqttConfig(enabled=True, host="127.0.0.1", port=broker.port, node_id="pi")
    one = MqttSink(cfg, ManualClock(), log=LOG)
    two = MqttSink(cfg, ManualClock(), log=logging.getLogger("sitwatch.test.mqtt.other"))
    one.start()
    try:
        assert one.wait_connected(10), broker.log()
        two.start()
        assert _until(lambda: one.takeover.backing_off or two.takeover.backing_off, 30), \
            broker.log()
        waiting, keeping = (one, two) if one.takeover.backing_off else (two, one)
        assert _until(lambda: keeping.connected)
        fights = _takeovers(broker)
        assert _stays(lambda: keeping.connected and not waiting.connected, 3.0), broker.log()
        assert _takeovers(broker) == fights and waiting.takeover.waits == 1
        assert _retained(broker, "sitwatch/status") == {"sitwatch/status": "online"}
        # what the status file's channels and doctor show while it waits: the same words
        assert "another MQTT client uses our client id" in str(waiting.problems.current)
        assert keeping.problems.current is None and waiting.client_id_text() == ""
    finally:
        two.close()
        one.close()
    said = [s for s in _warnings(caplog, LOG.name) + _warnings(caplog, "sitwatch.test.mqtt.other")
            if "another MQTT client" in s]
    assert len(said) == 1, said
    assert f'client id "{one.client_id}" (made from mqtt.node_id "pi")' in said[0], said
    assert "give each sitwatch its own mqtt.node_id" in said[0]
    assert "waits 30 s, and longer each time" in said[0], said


def test_doctor_names_another_sitwatch_under_the_base_topic(broker, watch, tmp_path, capsys):
    """`sitwatch doctor`: from what the broker keeps (another box announced itself last), and
    from the running daemon's status (ours announced itself last, after it saw the other)."""
    from sitwatch.cli.main import main
    from sitwatch.config import Config, for_layout
    from sitwatch.runtime.assemble import build_daemon
    from sitwatch.sensing import layout as layouts

    status = tmp_path / "status.json"
    topic = "home/chair/cushion"
    body = {"cushion": {"port": f"mqtt://127.0.0.1:{broker.port}/{topic}",
                        "layout": "load-cells-4"},
            "mqtt": {"enabled": True, "host": "127.0.0.1", "port": broker.port,
                     "node_id": "sofa"},
            "status": {"file": str(status)},
            "nudges": {"desktop": False, "dnd": {"enabled": False}},
            "history": {"enabled": False}}
    conf = tmp_path / "sitwatch.toml"
    conf.write_text(textwrap.dedent(f"""\
        [cushion]
        port = "mqtt://127.0.0.1:{broker.port}/{topic}"
        layout = "load-cells-4"
        [mqtt]
        enabled = true
        host = "127.0.0.1"
        port = {broker.port}
        node_id = "sofa"
        [status]
        file = "{status}"
        [nudges]
        desktop = false
        [nudges.dnd]
        enabled = false
        [history]
        enabled = false
        """))

    def doctor_mqtt_line() -> str:
        main(["doctor", "--no-user-config", "--config", str(conf), "--listen", "0.2",
              "--headless"])
        out = capsys.readouterr().out
        (line,) = [x for x in out.splitlines() if x[6:].startswith("mqtt ")]
        return line

    desk = another_box(broker.port, "desk")
    kept = watch("sitwatch/node")
    desk.start()
    try:
        assert desk.wait_connected(10)
        kept.wait_topic("sitwatch/node")
        line = doctor_mqtt_line()  # no daemon of ours yet: the broker keeps the desk's word
        assert line.startswith("warn") and "another sitwatch (desk on pi-desk)" in line, line
        lay = layouts.load("load-cells-4")
        clock = ManualClock(datetime.now(UTC))
        daemon = build_daemon(for_layout(Config.model_validate(body), lay), lay, None, clock,
                              headless=True)
        try:
            assert _until(lambda: daemon.publisher.shared_with), broker.log()
            for _ in range(3):  # a few seconds of the daemon: its status file says it
                clock.advance(1.0)
                daemon.step(0)
            line = doctor_mqtt_line()  # the broker now keeps ours: the status file tells
        finally:
            daemon.close()
    finally:
        desk.close()
    assert line.startswith("warn") and "another sitwatch (desk on pi-desk)" in line, line
    assert 'base_topic = "sitwatch/sofa"' in line


def test_entities_no_longer_offered_are_cleared_from_home_assistant(broker, watch):
    """An entity an older sitwatch announced and this one does not offer (a dropped or moved
    one) stays in Home Assistant for as long as the broker keeps its document: on connecting,
    the sink clears the ones of its own node that it does not offer now, and leaves every other
    node's alone. With discovery switched off, it clears all of its own."""
    seed = watch("homeassistant/#")
    old = "homeassistant/sensor/testnode/posture_v0/config"  # from an older version
    moved = "homeassistant/select/testnode/sitting_time/config"  # another component now
    foreign = "homeassistant/sensor/othernode/posture/config"
    for topic in (old, moved, foreign):
        seed.client.publish(topic, b'{"name": "kept"}', qos=1, retain=True).wait_for_publish(5)
    seed.wait_for(lambda ms: len(ms) >= 3)

    def kept_now() -> set[str]:
        late = watch("homeassistant/#")
        late.settle()
        return {m.topic for m in late.messages if m.retain and m.payload}

    s = make_sink(broker.port)
    s.start()
    try:
        assert s.wait_connected(10)
        assert _until(lambda: s.cleared == 2), (s.cleared, broker.log())
        offered = {t for t, _ in s.discovery_messages()}
    finally:
        s.close()
    assert kept_now() == offered | {foreign}

    off = make_sink(broker.port, discovery=False)
    off.start()
    try:
        assert off.wait_connected(10)
        assert _until(lambda: off.cleared == len(offered)), (off.cleared, broker.log())
    finally:
        off.close()
    assert kept_now() == {foreign}
