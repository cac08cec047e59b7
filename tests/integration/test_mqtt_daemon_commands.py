"""Commands from Home Assistant to the daemon as `sitwatch run` builds it (a cushion on a pty),
through a real mosquitto, with a manual clock.

Its Mode (watching / snoozed / paused) follows a change at once: the whole state goes out every
``state_interval`` (30 s here), and a change of mode must not wait for that, or Home
Assistant's Mode select jumps back to the old mode after a choice. Every command is answered
on ``<base>/command/result``: done, or why not.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sitwatch.core.clock import ManualClock
from sitwatch.core.events import NUDGE, Event
from sitwatch.core.kinds import NudgeAction

try:
    from tests.helpers.servers import Watcher
except ImportError:  # pytest started without the repository root on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.helpers.servers import Watcher

pytest.importorskip("paho.mqtt.client", reason="needs paho-mqtt>=2 (pip install paho-mqtt)")
pytestmark = pytest.mark.integration

MODE = "sitwatch/state/mode"
RESULT = "sitwatch/command/result"


def _last_mode(w: Watcher) -> str | None:
    modes = [m.text for m in w.on(MODE)]
    return modes[-1] if modes else None


def _step_until(daemon, w: Watcher, mode: str, timeout: float = 10.0) -> None:
    """Step the daemon (its clock stands still: no state_interval passes) until the broker
    has ``mode`` as the last mode; bounded by a real deadline (the broker's round trips)."""
    end = time.monotonic() + timeout
    while _last_mode(w) != mode:
        assert time.monotonic() < end, f"mode stayed {_last_mode(w)!r}, wanted {mode!r}"
        daemon.step(0)
        w.wait_for(lambda ms: [m.text for m in ms if m.topic == MODE][-1:] == [mode], 0.05)


def _config(tmp_path: Path, broker, pty: str, *, history: bool = False) -> Path:
    conf = tmp_path / "sitwatch.toml"
    conf.write_text(textwrap.dedent(f"""\
        [cushion]
        port = "{pty}"
        layout = "load-cells-4"
        [mqtt]
        enabled = true
        host = "127.0.0.1"
        port = {broker.port}
        node_id = "modetest"
        [status]
        file = "{tmp_path / 'status.json'}"
        [nudges]
        desktop = false
        [nudges.dnd]
        enabled = false
        [history]
        enabled = {str(history).lower()}
        database = "{tmp_path / 'history.sqlite'}"
        """))
    return conf


def _daemon(conf: Path, clock: ManualClock):
    from sitwatch.config import for_layout, load
    from sitwatch.runtime.assemble import build_daemon
    from sitwatch.sensing import layout as layouts

    cfg = load(conf, use_user_file=False)
    lay = layouts.load("load-cells-4")
    return build_daemon(for_layout(cfg, lay), lay, None, clock, headless=True)


def test_the_mode_is_published_as_soon_as_it_changes(broker, tmp_path):
    from sitwatch.cli.main import main
    from sitwatch.config import load

    master, slave = os.openpty()
    conf = _config(tmp_path, broker, os.ttyname(slave))
    cfg = load(conf, use_user_file=False)
    assert cfg.mqtt.state_interval == 30  # the default: what Home Assistant users have
    clock = ManualClock(datetime.now(UTC))
    w = Watcher(broker, MODE)
    daemon = _daemon(conf, clock)
    try:
        assert daemon.publisher is not None
        assert daemon.publisher.wait_connected(10), broker.log()
        _step_until(daemon, w, "watching")  # the first state goes out at once
        clock.advance(1.0)

        # Home Assistant: Snooze 45 min, then the Mode select
        w.client.publish("sitwatch/command/snooze", b"45m", qos=1)
        _step_until(daemon, w, "snoozed")
        w.client.publish("sitwatch/command/mode", b"paused", qos=1)
        _step_until(daemon, w, "paused")
        w.client.publish("sitwatch/command/mode", b"watching", qos=1)
        _step_until(daemon, w, "watching")

        # `sitwatch pause` in a terminal: seen within the second the control file is read in
        assert main(["pause", "--no-user-config", "--config", str(conf)]) == 0
        clock.advance(1.0)
        _step_until(daemon, w, "paused")
        assert main(["resume", "--no-user-config", "--config", str(conf)]) == 0
        clock.advance(1.0)
        _step_until(daemon, w, "watching")

        # Snooze on a desktop notification (the button's click arrives in the inbox)
        assert daemon.inbox is not None
        daemon.inbox.put(NudgeAction.SNOOZE,
                         Event(clock.monotonic(), NUDGE, None, {"kind": "slouch"}))
        _step_until(daemon, w, "snoozed")
    finally:
        daemon.close()
        w.close()
        os.close(master)
        os.close(slave)


def test_not_right_with_no_nudge_yet_says_why_nothing_changed(broker, tmp_path, caplog):
    """Home Assistant's "Not right" button before any posture nudge: nothing to correct, and
    the journal says so as a warning (it was an info line nobody saw)."""
    master, slave = os.openpty()
    conf = _config(tmp_path, broker, os.ttyname(slave))
    clock = ManualClock(datetime.now(UTC))
    w = Watcher(broker, MODE)
    daemon = _daemon(conf, clock)
    try:
        assert daemon.learner is not None and daemon.publisher is not None
        assert daemon.publisher.wait_connected(10), broker.log()
        _step_until(daemon, w, "watching")  # connected and subscribed
        with caplog.at_level(logging.WARNING, logger="sitwatch"):
            w.client.publish("sitwatch/command/feedback", b"wrong", qos=1)
            end = time.monotonic() + 10
            while not [r for r in caplog.records if "Not right" in r.getMessage()]:
                assert time.monotonic() < end, "no word about the \"Not right\""
                daemon.step(0)
                w.wait_for(lambda ms: False, 0.05)  # the broker's round trip, bounded
        (line,) = [r for r in caplog.records if "Not right" in r.getMessage()]
        assert line.levelno == logging.WARNING
        assert line.getMessage().startswith(
            "feedback: \"Not right\" over MQTT (Home Assistant) changed nothing: no posture "
            "nudge has gone out yet")
        assert "\"wrong slouch\"" in line.getMessage()
    finally:
        daemon.close()
        w.close()
        os.close(master)
        os.close(slave)


def test_not_right_on_a_learned_way_with_none_learned_is_not_recorded(broker, tmp_path,
                                                                      caplog):
    """Home Assistant's "Not right: the way of sitting just learned" (``wrong learned``) while
    sitwatch has learned none: nothing to forget, so nothing is recorded (no feedback event on
    the broker, no line in the feedback file or the history), as `sitwatch feedback wrong
    learned` refuses it with exit 2; the journal says why (and so does the answer on
    <base>/command/result, see below). A "wrong slouch" sent after it is recorded as usual (and
    shows the first was handled)."""
    import json
    import sqlite3

    master, slave = os.openpty()
    conf = _config(tmp_path, broker, os.ttyname(slave), history=True)
    clock = ManualClock(datetime.now(UTC))
    w = Watcher(broker, MODE, "sitwatch/event/feedback")
    daemon = _daemon(conf, clock)
    try:
        assert daemon.learner is not None and daemon.publisher is not None
        assert daemon.pipeline is not None and daemon.pipeline.ways_learned() == 0
        assert daemon.publisher.wait_connected(10), broker.log()
        _step_until(daemon, w, "watching")  # connected and subscribed
        with caplog.at_level(logging.WARNING, logger="sitwatch"):
            w.client.publish("sitwatch/command/feedback", b"wrong learned", qos=1)
            w.client.publish("sitwatch/command/feedback", b"wrong slouch", qos=1)
            end = time.monotonic() + 10
            while not w.on("sitwatch/event/feedback"):
                assert time.monotonic() < end, "no answer to \"wrong slouch\""
                daemon.step(0)
                w.wait_for(lambda ms: False, 0.05)  # the broker's round trip, bounded
        said = [json.loads(m.text) for m in w.on("sitwatch/event/feedback")]
        assert [e["kind"] for e in said] == ["slouch"], said
        (line,) = [r for r in caplog.records if "learned" in r.getMessage()]
        assert line.levelno == logging.WARNING
        assert line.getMessage() == (
            "feedback: \"Not right\" over MQTT (Home Assistant) about the way of sitting "
            "learned was not recorded: sitwatch has learned no way of sitting upright clear of "
            "the backrest, so there is nothing to forget (`sitwatch doctor` shows what it "
            "learned)")
        assert daemon.learner.path is not None
        kept = json.loads(daemon.learner.path.read_text())
        assert [e["kind"] for e in kept["log"]] == ["slouch"], kept
        assert "learned" not in kept["steps"]
    finally:
        daemon.close()
        w.close()
        os.close(master)
        os.close(slave)
    con = sqlite3.connect(tmp_path / "history.sqlite")
    rows = con.execute("SELECT kind FROM feedback").fetchall()
    con.close()
    assert rows == [("slouch",)]


def _answers(w: Watcher) -> list[dict]:
    import json

    return [json.loads(m.text) for m in w.on(RESULT)]


def _step_until_answered(daemon, w: Watcher, count: int, timeout: float = 10.0) -> list[dict]:
    """Step the daemon until ``count`` answers are on the broker; bounded by a real deadline
    (the broker's round trips), never a sleep."""
    end = time.monotonic() + timeout
    while len(w.on(RESULT)) < count:
        assert time.monotonic() < end, f"answers so far: {_answers(w)}"
        daemon.step(0)
        w.wait_for(lambda ms: len([m for m in ms if m.topic == RESULT]) >= count, 0.05)
    return _answers(w)


def test_every_command_is_answered_done_or_refused_with_the_senders_id(broker, tmp_path):
    """What a Home Assistant automation or a script with mosquitto_pub sees: a snooze that was
    done, a "Not right" about a learned way of sitting refused in `sitwatch feedback`'s words
    (none is learned), a Mode nobody has, each answered with the id the sender put in its
    JSON; and an MQTT 5 request with a response topic gets its answer there, with its
    correlation data. The daemon took the snooze (the Mode follows)."""
    from sitwatch.nudging.answers import NOTHING_LEARNED

    master, slave = os.openpty()
    conf = _config(tmp_path, broker, os.ttyname(slave))
    # local noon: a 45 min snooze ends the same day, whenever the suite runs (at 23:50 the
    # answer rightly names tomorrow's date, which this test does not look at)
    clock = ManualClock(datetime.now().astimezone().replace(hour=12, minute=0, second=0,
                                                             microsecond=0))
    w = Watcher(broker, MODE, RESULT)
    asker = Watcher(broker, "my/replies", v5=True)
    daemon = _daemon(conf, clock)
    try:
        assert daemon.publisher is not None and daemon.answers is daemon.publisher
        assert daemon.publisher.wait_connected(10), broker.log()
        _step_until(daemon, w, "watching")  # connected and subscribed

        w.client.publish("sitwatch/command/snooze", b'{"value": "45m", "id": "hass-1"}', qos=1)
        done, = _step_until_answered(daemon, w, 1)
        assert done["command"] == "snooze" and done["value"] == "45m" and done["ok"] is True
        assert re.fullmatch(r"nudges snoozed until \d\d:\d\d \(sitwatch keeps watching\)",
                            done["message"]), done
        assert done["id"] == "hass-1" and done["event_type"] == "done"
        _step_until(daemon, w, "snoozed")

        w.client.publish("sitwatch/command/feedback",
                         b'{"value": "wrong learned", "id": "hass-2"}', qos=1)
        w.client.publish("sitwatch/command/mode", b"asleep", qos=1)
        # the malformed one is answered at once, the other once the daemon has looked at it
        by_command = {a["command"]: a for a in _step_until_answered(daemon, w, 3)[1:]}
        refused, bad = by_command["feedback"], by_command["mode"]
        assert refused == {"command": "feedback", "value": "wrong learned", "ok": False,
                           "message": NOTHING_LEARNED, "event_type": "refused", "id": "hass-2"}
        assert bad == {"command": "mode", "value": "asleep", "ok": False,
                       "message": "send one of watching, snoozed, paused",
                       "event_type": "refused"}

        # MQTT 5 request/response: the answer goes to the response topic too
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        props = Properties(PacketTypes.PUBLISH)
        props.ResponseTopic = "my/replies"
        props.CorrelationData = b"req-7"
        asker.client.publish("sitwatch/command/resume", b"", qos=1, properties=props)
        *_, resumed = _step_until_answered(daemon, w, 4)
        (reply,) = asker.wait_topic("my/replies")
        assert reply.correlation == b"req-7"
        assert reply.json() == resumed == {
            "command": "resume", "value": "", "ok": True,
            "message": "resumed: watching and nudging again", "event_type": "done",
            "id": "req-7"}
        _step_until(daemon, w, "watching")
        assert not [m for m in w.messages if m.topic == RESULT and m.retain]
    finally:
        daemon.close()
        w.close()
        asker.close()
        os.close(master)
        os.close(slave)
