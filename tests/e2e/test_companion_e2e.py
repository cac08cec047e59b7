"""`sitwatch companion` through the real command: a real daemon (`sitwatch run --headless` on a
virtual cushion, as on a Raspberry Pi) publishes its nudges to a real mosquitto; the companion,
another process, shows them on a real notification server (dunst on a private D-Bus under
Xvfb); a click on its buttons goes back over the broker, and the daemon acts on it.

Debian packages: mosquitto, xvfb dbus dunst libnotify-bin libglib2.0-bin (skipped, naming them,
where they are missing).
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

import numpy as np
import pytest

from sitwatch.core.clock import ManualClock
from sitwatch.core.events import NUDGE, Event
from sitwatch.sensing import calibration
from sitwatch.sinks.mqtt import MqttConfig, MqttSink
from tests.e2e.test_end_to_end import env_for
from tests.e2e.test_feedback_e2e import EMPTY, LAY, LEFT, SEATED, Cushion
from tests.helpers.notify_server import MenuServer, missing_programs
from tests.helpers.servers import Broker, SlowSubscribeRelay, Watcher, start_broker, stop

pytest.importorskip("paho.mqtt.client", reason="needs paho-mqtt>=2 (the mqtt extra)")
pytestmark = pytest.mark.integration

WAIT = 30.0  # seconds any one expectation may take (a nudge needs a few seconds of sitting)
PACKAGES = "xvfb dbus dunst libnotify-bin libglib2.0-bin"


@pytest.fixture
def dunst(tmp_path: Path) -> Iterator[MenuServer]:
    missing = [p for p in (*missing_programs(), "notify-send", "stdbuf")
               if shutil.which(p) is None]
    if missing:
        pytest.skip(f"needs {', '.join(sorted(set(missing)))} (Debian: apt-get install "
                    f"{PACKAGES})")
    with MenuServer(tmp_path / "notify") as srv:
        yield srv


class Lines:
    """A process's stderr, read on a thread so the test can wait for a line."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.lines: list[str] = []
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[bytes]) -> None:
        for raw in stream:
            with self._cond:
                self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
                self._cond.notify_all()

    def wait(self, text: str, count: int = 1, timeout: float = WAIT) -> bool:
        with self._cond:
            return self._cond.wait_for(
                lambda: sum(text in ln for ln in self.lines) >= count, timeout)

    @property
    def text(self) -> str:
        with self._cond:
            return "\n".join(self.lines)


def until(check: Callable[[], Any], timeout: float = WAIT) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)  # polling a real server (dunst), bounded by the deadline


#: a broker whose log names each subscription it takes (``<client id> <qos> <topic>``)
SUBSCRIBE_LOG = ["allow_anonymous true", "log_type subscribe"]


def subscribed(broker: Broker, topic: str, count: int = 1) -> bool:
    """Has ``broker`` taken the companion's subscription to ``topic`` (``count`` times: once a
    connection)? The broker's log is the proof (the companion's "connected" line waits for the
    broker's answer too: test_a_nudge_published_at_the_connected_line_is_shown)."""
    line = re.compile(rf": sitwatch-companion-\S+ \d {re.escape(topic)}$", re.M)
    return bool(until(lambda: len(line.findall(broker.log())) >= count))


def companion(config: Path, env: dict[str, str], *extra: str
              ) -> tuple[subprocess.Popen[bytes], Lines]:
    proc = subprocess.Popen([sys.executable, "-m", "sitwatch", "--no-user-config", "--config",
                             str(config), "companion", *extra], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    return proc, Lines(proc.stderr)


def ended(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait(5)


def desktop_env(tmp_path: Path, server: MenuServer) -> dict[str, str]:
    env = env_for(tmp_path)
    env.update(DISPLAY=server.env["DISPLAY"],
               DBUS_SESSION_BUS_ADDRESS=server.env["DBUS_SESSION_BUS_ADDRESS"])
    return env


def pi_config(tmp_path: Path, broker: Broker, cushion: Cushion) -> Path:
    """The config of the Pi (a headless daemon on ``cushion``, publishing to ``broker``, its
    history in ``tmp_path``/history.sqlite) and of the companion: a lopsided seat is nudged
    about within seconds."""
    cal = tmp_path / "cal.json"
    calibration.from_arrays(LAY, tare=np.array(EMPTY, float), upright=np.array(SEATED, float),
                            method="recording").save(cal)
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        f'[cushion]\nport = "{cushion.port}"\nlayout = "load-cells-4"\n'
        f'[calibration]\nprofile = "{cal}"\n'
        "[detect.occupancy]\nenter_dwell = 0.3\nexit_dwell = 0.3\n[detect.balance]\ndwell = 0.5\n"
        # one nudge per lopsided spell (no firmer one a second later): a click is on that one
        "[nudges]\nimbalance_after = 1.0\nsnooze_minutes = 45\nper_episode = 1\nspacing = 0\n"
        "[nudges.cooldown]\nasymmetric_load = 1.0\n[nudges.dnd]\nenabled = false\n"
        f'[history]\ndatabase = "{tmp_path / "history.sqlite"}"\n'
        f'[mqtt]\nenabled = true\nhost = "127.0.0.1"\nport = {broker.port}\n'
        'node_id = "chair"\n'
    )
    return cfg


def the_pi(cfg: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """The Pi: headless, so it shows nothing itself (its <base>/node says so)."""
    return subprocess.Popen([sys.executable, "-m", "sitwatch", "--no-user-config", "--config",
                             str(cfg), "run", "--headless"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def test_the_pis_nudge_shows_here_and_its_buttons_snooze_and_correct_the_pi(
        tmp_path: Path, broker: Broker, dunst: MenuServer) -> None:
    env = desktop_env(tmp_path, dunst)
    cushion = Cushion()
    cfg = pi_config(tmp_path, broker, cushion)
    w = Watcher(broker, "sitwatch/#")
    pi = the_pi(cfg, env)
    desk, said = companion(cfg, env)
    try:
        assert w.wait_topic("sitwatch/node", timeout=20), "the daemon never announced itself"
        # subscribed (the broker hands over <base>/node right after the subscription)
        assert said.wait("nudges come from sitwatch on"), said.text

        cushion.frame = LEFT
        assert w.wait_for(lambda ms: any(m.topic == "sitwatch/event/nudge" for m in ms), WAIT)
        nudge = next(m.json() for m in w.messages if m.topic == "sitwatch/event/nudge")
        assert nudge["kind"] == "asymmetric_load"
        assert until(lambda: dunst.displayed() == 1), said.text
        dunst.click_any("snooze")
        (snooze,) = w.wait_topic("sitwatch/command/snooze", timeout=10)
        # what the button said ("Snooze 45 min"), and the nudge it was on
        assert snooze.text == "45m asymmetric_load"
        assert w.wait_topic("sitwatch/state/mode", "snoozed", timeout=10), "the Pi did not snooze"
        # the click counts as the same click on the Pi's own notification
        (ack,) = w.wait_topic("sitwatch/event/nudge_ack", timeout=10)
        assert (ack.json()["kind"], ack.json()["action"]) == ("asymmetric_load", "snooze")
        # the notification was the daemon's words, with the buttons the daemon's own has
        menu = dunst.menus()
        assert f"Snooze 45 min ({nudge['title']})" in menu and f"Not right ({nudge['title']})" \
            in menu and f"Done ({nudge['title']})" in menu, menu

        # Home Assistant resumes; the sitter gets up and sits down lopsided again
        w.client.publish("sitwatch/command/resume", b"", qos=1)
        assert w.wait_topic("sitwatch/state/mode", "watching", count=2, timeout=10)
        cushion.frame = EMPTY
        assert w.wait_topic("sitwatch/state/occupancy", "empty", timeout=WAIT)
        cushion.frame = LEFT
        assert w.wait_for(lambda ms: sum(m.topic == "sitwatch/event/nudge" for m in ms) >= 2,
                          WAIT), "no second nudge"
        assert until(lambda: dunst.displayed() == 1), said.text
        dunst.click_any("wrong")
        (wrong,) = w.wait_topic("sitwatch/command/feedback", timeout=10)
        assert wrong.text == "wrong lopsided"
        (fb,) = w.wait_topic("sitwatch/event/feedback", timeout=10)
        got = fb.json()
        assert (got["state"], got["kind"], got["source"], got["steps"]) == (
            "wrong", "asymmetric_load", "mqtt", 1)
        # the Pi's answer is shown here as on the Pi's own desktop: the words `sitwatch
        # feedback wrong` prints, under "sitwatch: noted", in the clicked notification's place
        assert w.wait_for(lambda ms: any(m.topic == "sitwatch/command/result"
                                         and m.json()["command"] == "feedback" for m in ms), 10)
        (result,) = [m for m in w.on("sitwatch/command/result")
                     if m.json()["command"] == "feedback"]
        assert result.json()["id"].startswith("sitwatch-companion"), result.text

        def noted() -> list[dict[str, Any]] | None:
            shown = dunst.wait_history(0, timeout=0)  # closes what is up, then its history
            return shown if any(n["summary"] == "sitwatch: noted" for n in shown) else None

        history = until(noted)
        assert history, dunst.history()
        noted = [n for n in history if n["summary"] == "sitwatch: noted"]
        assert len(noted) == 1, history
        assert noted[0]["body"] == result.json()["message"]
        assert noted[0]["body"].startswith("Noted: that lopsided nudge was not right.")
        second = [m.json() for m in w.on("sitwatch/event/nudge")][1]  # the one clicked
        clicked = next(n for n in history if n["summary"] == second["title"])
        assert noted[0]["id"] == clicked["id"], [(n["id"], n["summary"]) for n in history]

        desk.send_signal(signal.SIGINT)  # Ctrl-C
        assert desk.wait(10) == 130
        assert "Traceback" not in said.text
        pi.terminate()
        assert pi.wait(15) == 0
    finally:
        ended(desk)
        ended(pi)
        w.close()
        cushion.close()


def test_done_on_the_companion_counts_the_pis_nudge_as_acted_on(
        tmp_path: Path, broker: Broker, dunst: MenuServer) -> None:
    """Done here is Done on the Pi: its history keeps the click (``nudge_ack``), and its
    `sitwatch report` counts the nudge as acted on, as for a click on its own notification."""
    env = desktop_env(tmp_path, dunst)
    cushion = Cushion()
    cfg = pi_config(tmp_path, broker, cushion)
    w = Watcher(broker, "sitwatch/#")
    pi = the_pi(cfg, env)
    desk, said = companion(cfg, env)
    try:
        assert said.wait("nudges come from sitwatch on"), said.text
        cushion.frame = LEFT  # and the sitter stays lopsided: only Done can settle the nudge
        assert w.wait_topic("sitwatch/event/nudge", timeout=WAIT), "no nudge"
        assert until(lambda: dunst.displayed() == 1), said.text
        dunst.click_any("done")
        (done,) = w.wait_topic("sitwatch/command/done", timeout=10)
        assert done.text == "asymmetric_load"
        (result,) = w.wait_topic("sitwatch/command/result", timeout=10)
        assert result.json() == {"command": "done", "value": "asymmetric_load", "ok": True,
                                 "message": "Done: the \"lopsided\" nudge counts as acted on.",
                                 "event_type": "done"}
        (outcome,) = w.wait_topic("sitwatch/event/nudge_outcome", timeout=10)
        assert (outcome.json()["kind"], outcome.json()["responded"]) == ("asymmetric_load", True)
        pi.terminate()
        assert pi.wait(15) == 0
        with sqlite3.connect(tmp_path / "history.sqlite") as db:
            acks = db.execute("SELECT data FROM events WHERE event = 'nudge_ack'").fetchall()
        assert [json.loads(d) for (d,) in acks] == [
            {"kind": "asymmetric_load", "action": "done", "source": "mqtt"}]
        report = subprocess.run([sys.executable, "-m", "sitwatch", "--no-user-config",
                                 "--config", str(cfg), "report"], env=env, capture_output=True,
                                text=True, timeout=60)
        assert report.returncode == 0, report.stderr
        assert "acted on 1 of 1" in report.stdout, report.stdout
        assert "Traceback" not in said.text
    finally:
        ended(desk)
        ended(pi)
        w.close()
        cushion.close()


def as_queued(event: Event, ago: float) -> bytes:
    """``event`` as the Pi's MQTT sink publishes it when it happened ``ago`` seconds before now
    and waited in its queue for the broker meanwhile (its ``at`` is when it happened)."""
    clock = ManualClock(datetime.now().astimezone() - timedelta(seconds=ago))
    sink = MqttSink(MqttConfig(enabled=True, base_topic="pi"), clock,
                    log=logging.getLogger("sitwatch.test.companion"))
    sink.handle(event)  # not connected: kept in the queue, as it was
    return sink._queue[0][1].encode()


def test_a_nudge_kept_while_the_broker_was_away_is_not_shown_an_hour_late(
        tmp_path: Path, broker: Broker, dunst: MenuServer) -> None:
    env = desktop_env(tmp_path, dunst)
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[mqtt]\nhost = "127.0.0.1"\nport = {broker.port}\nbase_topic = "pi"\n')
    desk, said = companion(cfg, env)
    w = Watcher(broker, "pi/#")
    try:
        w.client.publish("pi/node", json.dumps({"host": "raspberrypi", "machine": "elsewhere",
                                                "instance": "run1"}), qos=1, retain=True)
        assert said.wait("nudges come from sitwatch on raspberrypi"), said.text
        # the broker is back: the Pi sends what it kept, an hour old, then a nudge of now
        for ago, title in ((3600, "Old"), (3000, "Older news"), (5, "Now")):
            event = Event(12.0, NUDGE, None, {"kind": "prolonged_sitting", "title": title,
                                               "message": "m", "level": "gentle"})
            w.client.publish("pi/event/nudge", as_queued(event, ago), qos=1)
        assert until(lambda: dunst.displayed() == 1), said.text
        assert said.wait("did not show 2 nudges from sitwatch on raspberrypi, published 50 min "
                         "to 1 h ago: too late to act on"), said.text
        assert until(lambda: "(Now)" in menu_after_open(dunst)), said.text
        menu = dunst.menus()
        assert "(Old)" not in menu and "(Older news)" not in menu, menu
        assert said.text.count("did not show") == 1
    finally:
        w.close()
        ended(desk)


def test_a_pi_whose_clock_is_3_hours_behind_has_its_live_nudge_shown(
        tmp_path: Path, dunst: MenuServer) -> None:
    """A Pi booted without network time: its clock is 3 hours behind. The companion learns
    that from ``<base>/clock`` (the Pi's MQTT sink sends it on connecting), says so once, shows
    the nudge sent now, and still leaves out the one the Pi kept for an hour."""
    broker = start_broker(tmp_path / "broker", extra=SUBSCRIBE_LOG)
    env = desktop_env(tmp_path, dunst)
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[mqtt]\nhost = "127.0.0.1"\nport = {broker.port}\nbase_topic = "pi"\n')
    desk, said = companion(cfg, env)
    # the Pi's clock: 4 hours behind the real one when it kept a nudge, 3 when it connects
    pi_clock = ManualClock(datetime.now().astimezone() - timedelta(hours=4))
    pi = MqttSink(MqttConfig(enabled=True, host="127.0.0.1", port=broker.port,
                             base_topic="pi", node_id="raspberrypi"), pi_clock,
                  log=logging.getLogger("sitwatch.test.companion.pi"))
    try:
        assert said.wait("connected to 127.0.0.1"), said.text
        # the clock the Pi sends on connecting is not retained: it reached the companion only
        # when the broker had its subscription by then (once in a while it had not)
        assert subscribed(broker, "pi/clock") and subscribed(broker, "pi/event/nudge"), \
            broker.log()
        pi.handle(Event(12.0, NUDGE, None, {"kind": "prolonged_sitting", "title": "Kept",
                                             "message": "m", "level": "gentle"}))
        pi_clock.advance(3600)  # an hour without the broker
        assert pi.start() and pi.wait_connected(10), broker.log()
        host = pi.host
        assert said.wait("3 h behind"), said.text
        # "<host>'s is 3 h behind this one's", or with this desktop on network time:
        # "the clock of <host> is 3 h behind this computer's"
        assert f"{host}'s is 3 h behind" in said.text or f"of {host} is 3 h behind" in said.text
        assert said.wait(f"did not show 1 nudge from sitwatch on {host}, published 1 h ago "
                         "by its own clock"), said.text
        pi.handle(Event(13.0, NUDGE, None, {"kind": "slouch", "title": "Now", "message": "m",
                                             "level": "gentle"}))
        assert until(lambda: dunst.displayed() == 1), said.text
        assert until(lambda: "(Now)" in menu_after_open(dunst)), said.text
        assert "(Kept)" not in dunst.menus()
        text = said.text
        assert text.count("3 h behind") == 1 and "Traceback" not in text, text
        assert "sudo timedatectl set-ntp true" in text, text
    finally:
        pi.close()
        ended(desk)
        stop(broker.proc)


def nudge_payload(kind: str, title: str) -> bytes:
    """A nudge as the daemon's MQTT sink publishes it (docs/events.md, plus event_type)."""
    ev = Event(12.0, NUDGE, None, {"kind": kind, "title": title, "message": "m",
                                   "level": "gentle"})
    return json.dumps({**ev.as_dict(), "event_type": kind}).encode()


def test_a_nudge_published_at_the_connected_line_is_shown(
        tmp_path: Path, broker: Broker, dunst: MenuServer) -> None:
    """"connected to ..." is the companion's ready line: a nudge the Pi publishes the moment it
    is said is shown. Regression: the line came with the broker's CONNACK, before the broker
    had the companion's subscriptions, so on a line slow for subscriptions a nudge published
    meanwhile (not retained) never reached it."""
    relay = SlowSubscribeRelay(broker.port, delay=1.5)
    relay.open()
    env = desktop_env(tmp_path, dunst)
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[mqtt]\nhost = "127.0.0.1"\nport = {relay.port}\nbase_topic = "pi"\n')
    w = Watcher(broker, "pi/#")
    desk, said = companion(cfg, env)
    try:
        assert said.wait("connected to 127.0.0.1"), said.text
        w.client.publish("pi/event/nudge", nudge_payload("slouch", "Right away"),
                         qos=1).wait_for_publish(10)
        assert until(lambda: dunst.displayed() == 1), said.text
        assert relay.subscribes == 1 and "Traceback" not in said.text, said.text
    finally:
        ended(desk)
        w.close()
        relay.close()


def test_the_broker_goes_away_and_comes_back(tmp_path: Path, dunst: MenuServer) -> None:
    broker = start_broker(tmp_path / "broker", extra=SUBSCRIBE_LOG)
    env = desktop_env(tmp_path, dunst)
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[mqtt]\nhost = "127.0.0.1"\nport = {broker.port}\nbase_topic = "pi"\n')
    desk, said = companion(cfg, env)
    w: Watcher | None = None
    try:
        assert said.wait("connected to 127.0.0.1"), said.text
        w = Watcher(broker, "pi/#")
        # the Pi announces itself (retained); the companion names it once subscribed
        w.client.publish("pi/node", json.dumps({"host": "raspberrypi", "machine": "elsewhere",
                                                "instance": "run1"}), qos=1, retain=True)
        assert said.wait("nudges come from sitwatch on raspberrypi"), said.text
        w.client.publish("pi/event/nudge", nudge_payload("slouch", "First"), qos=1)
        assert until(lambda: dunst.displayed() == 1), said.text
        w.close()
        w = None
        stop(broker.proc)
        assert said.wait("lost the MQTT broker"), said.text
        broker = start_broker(tmp_path / "broker", port=broker.port, extra=SUBSCRIBE_LOG)
        assert said.wait("again", timeout=90), said.text  # paho's backoff: 1, 2, 4 ... s
        # subscribed anew (the restarted broker knows nothing of before): the nudge below is
        # not retained, so it reaches the companion only once the broker has that
        assert subscribed(broker, "pi/event/nudge", count=2), broker.log()
        w = Watcher(broker, "pi/#")
        w.client.publish("pi/event/nudge", nudge_payload("prolonged_sitting", "Second"), qos=1)
        assert until(lambda: "(Second)" in menu_after_open(dunst)), said.text
        text = said.text
        assert text.count("lost the MQTT broker") == 1 and text.count("again") == 1, text
        assert desk.poll() is None
    finally:
        if w is not None:
            w.close()
        ended(desk)
        stop(broker.proc)


def menu_after_open(server: MenuServer) -> str:
    """What dunst's context menu lists now (it names each notification's title)."""
    (server.menu_dir / "choice").write_text("nothing-matches", encoding="utf-8")
    server.dunstctl("context")
    return server.menus()


def test_wrong_credentials_host_or_ca_are_one_line_and_exit_2(tmp_path: Path) -> None:
    pw = tmp_path / "passwd"
    if subprocess.run(["mosquitto_passwd", "-b", "-c", str(pw), "me", "s3cret"],
                      capture_output=True, check=False).returncode != 0:
        pytest.skip("mosquitto_passwd failed (Debian: mosquitto)")
    pw.chmod(0o600)
    secured = start_broker(tmp_path / "broker", extra=["allow_anonymous false",
                                                       f"password_file {pw}"])
    env = env_for(tmp_path)
    try:
        cfg = tmp_path / "c.toml"
        for conf, want in (
            (f'host = "127.0.0.1"\nport = {secured.port}\nusername = "me"\npassword = "nope"\n',
             "refused the connection: "),
            ('host = "no-such-host.invalid"\n', "cannot find the broker's host "
             "'no-such-host.invalid'"),
            (f'port = {secured.port}\ntls = true\ntls_ca = "{tmp_path / "none.pem"}"\n',
             f"mqtt.tls_ca {tmp_path / 'none.pem'}: no such file"),
            (f'port = {secured.port}\ntls = true\ntls_ca = "{pw}"\n',
             f"mqtt.tls_ca {pw}: not a CA certificate in PEM form"),
        ):
            cfg.write_text("[mqtt]\n" + conf)
            proc = subprocess.run([sys.executable, "-m", "sitwatch", "--no-user-config",
                                   "--config", str(cfg), "companion"], env=env,
                                  capture_output=True, text=True, timeout=60)
            assert proc.returncode == 2, proc.stderr
            errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("sitwatch:")]
            assert len(errors) == 1 and want in errors[0], proc.stderr
            assert "Traceback" not in proc.stderr
    finally:
        stop(secured.proc)


def test_without_the_mqtt_extra_it_says_how_to_get_it(tmp_path: Path) -> None:
    fake = tmp_path / "nopaho" / "paho"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('No module named paho')\n")
    env = {**env_for(tmp_path), "PYTHONPATH": f"{fake.parent}{os.pathsep}"
           f"{Path(__file__).resolve().parents[2]}"}
    proc = subprocess.run([sys.executable, "-m", "sitwatch", "--no-user-config", "companion"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    (line,) = proc.stderr.strip().splitlines()
    # with this venv's bin off PATH, the pip to use is named by its Python (core/extras.py)
    assert line.startswith("sitwatch: sitwatch companion needs the mqtt extra: paho-mqtt is not "
                           "installed: ")
    assert line.endswith("pip install 'paho-mqtt>=2.0'"), line


def test_without_a_desktop_to_show_them_on_it_says_so_at_once(tmp_path: Path) -> None:
    """Started over ssh or before the desktop: no session bus. Nudges cannot be shown, and the
    person is told when the companion starts, not left waiting for a nudge that never shows."""
    broker = start_broker(tmp_path / "broker")
    env = env_for(tmp_path)  # no DBUS_SESSION_BUS_ADDRESS, an empty XDG_RUNTIME_DIR
    env.pop("DISPLAY", None)
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[mqtt]\nhost = "127.0.0.1"\nport = {broker.port}\n')
    desk, said = companion(cfg, env)
    try:
        assert said.wait("cannot show notifications on this desktop yet"), said.text
        assert "no desktop session bus" in said.text, said.text
        # what happens to the nudges, once and in the companion's own words: not the daemon's
        # "console/log only", which a companion does not do, and a sentence that ends
        (line,) = [t for t in said.text.splitlines() if "cannot show notifications" in t]
        assert "console" not in line, line
        assert line.endswith("(it tries again with each one)"), line
        assert desk.poll() is None  # it keeps running: the desktop may come
    finally:
        ended(desk)
        stop(broker.proc)
