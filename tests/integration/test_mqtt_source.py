"""A cushion on the network: MqttSource against a real mosquitto on 127.0.0.1 (frames, garbage,
the cushion's last will, the broker going away and coming back, buzzer lines back), and
`sitwatch run` reading a wireless cushion through the real command."""

from __future__ import annotations

import contextlib
import json
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sitwatch import config
from sitwatch.core.clock import ManualClock, SystemClock
from sitwatch.sensing import layout as layouts
from sitwatch.sources.base import Diagnosis, Item, Reading, Status
from sitwatch.sources.mqtt import MqttSource

try:
    from helpers.servers import Broker, start_broker, stop
except ImportError:  # pragma: no cover - run from the repository root
    from tests.helpers.servers import Broker, start_broker, stop

mqtt = pytest.importorskip("paho.mqtt.client", reason="needs paho-mqtt>=2")

pytestmark = pytest.mark.integration
TOPIC = "home/chair/cushion"
L4 = layouts.load("load-cells-4")


class Publisher:
    """The cushion's side: a paho client publishing to the broker (like the ESP32 would)."""

    def __init__(self, broker: Broker, *, will: bool = False) -> None:
        self.c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="cushion-esp32")
        self.commands: list[bytes] = []
        self.c.on_message = lambda _c, _u, m: self.commands.append(bytes(m.payload))
        if will:
            self.c.will_set(f"{TOPIC}/status", "offline", qos=1, retain=True)
        self.c.connect(broker.host, broker.port, keepalive=5)
        self.c.subscribe(f"{TOPIC}/command", qos=1)
        self.c.loop_start()

    def send(self, payload: str, topic: str = TOPIC, retain: bool = False) -> None:
        self.c.publish(topic, payload, qos=1, retain=retain).wait_for_publish(5)

    def vanish(self) -> None:
        """Drop off the network without a goodbye: the broker sends the last will."""
        sock = self.c.socket()
        self.c.loop_stop()
        if sock is not None:
            sock.close()

    def close(self) -> None:
        self.c.loop_stop()
        self.c.disconnect()


def collect(src: MqttSource, until: Callable[[list[Item]], bool],
            timeout: float = 10.0) -> list[Item]:
    """Poll until ``until(all items so far)`` (waiting on arrivals, bounded by ``timeout``)."""
    got: list[Item] = []
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got += src.poll(0.2)
        if until(got):
            return got
    raise AssertionError(f"timed out; got {got!r}")


def readings(items: list[Item]) -> list[Reading]:
    return [i for i in items if isinstance(i, Reading)]


def connected(src: MqttSource) -> None:
    collect(src, lambda _i: src._broker_up)


@pytest.fixture
def make_source(broker: Broker) -> Iterator[Callable[..., MqttSource]]:
    made: list[MqttSource] = []

    def make(clock: Any = None, port: str | None = None, **cushion: Any) -> MqttSource:
        cfg = config.Cushion(port=port or f"mqtt://{broker.host}:{broker.port}/{TOPIC}",
                             layout="load-cells-4", **cushion)
        src = MqttSource(cfg, L4, clock or SystemClock(), client_id=f"sitwatch-test-{len(made)}")
        made.append(src)
        return src

    yield make
    for s in made:
        s.close()


def test_frames_garbage_and_buzzer_lines(broker, make_source):
    src = make_source()
    connected(src)
    pub = Publisher(broker)
    try:
        pub.send("100,200,300,400\n110,210,310,410")  # two frames in one message
        pub.send("not a frame at all")
        pub.send("5,6,7")  # wrong count
        pub.send("120,220,320,420")
        items = collect(src, lambda i: len(readings(i)) == 3)
        vals = [r.values.tolist() for r in readings(items)]
        assert vals == [[100, 200, 300, 400], [110, 210, 310, 410], [120, 220, 320, 420]]
        assert [s.online for s in items if isinstance(s, Status)] == [True]
        st = src.stats()
        assert st["frames"] == 3 and st["dropped_total"] == 2 and st["messages"] == 4
        assert st["online"] is True

        src.write(b"buzz 200\n")  # what the buzzer sink does with a serial cushion
        end = time.monotonic() + 5
        while not pub.commands and time.monotonic() < end:
            time.sleep(0.05)  # waiting on the broker's delivery, not on a timer of ours
        assert pub.commands == [b"buzz 200\n"]
    finally:
        pub.close()


def test_the_cushions_last_will_takes_it_offline_at_once(broker, make_source):
    src = make_source()
    connected(src)
    pub = Publisher(broker, will=True)
    pub.send("online", topic=f"{TOPIC}/status", retain=True)
    pub.send("100,200,300,400")
    collect(src, lambda i: len(readings(i)) == 1)
    pub.vanish()  # the broker notices within 1.5 x keepalive and publishes the will
    items = collect(src, lambda i: any(isinstance(s, Status) and not s.online for s in i),
                    timeout=20)
    off = [s for s in items if isinstance(s, Status)][-1]
    assert "went offline" in off.reason and f"{TOPIC}/status" in off.reason
    assert src.online is False


def test_silence_is_explained_and_repeated_each_minute(broker, make_source):
    """As for a serial cushion: once after no_data_timeout, then every DIAGNOSIS_REPEAT while
    nothing comes (not at every poll)."""
    from sitwatch.sources.watch import DIAGNOSIS_REPEAT

    clock = ManualClock()
    src = make_source(clock, no_data_timeout=10.0)
    connected(src)
    clock.advance(11)
    items = collect(src, lambda i: any(isinstance(d, Diagnosis) for d in i))
    [diag] = [d for d in items if isinstance(d, Diagnosis)]
    assert "nothing arrives on home/chair/cushion" in diag.message
    clock.advance(DIAGNOSIS_REPEAT - 1)
    assert not [d for d in src.poll(0.1) if isinstance(d, Diagnosis)]
    clock.advance(1)
    assert [d.message for d in src.poll(0.1) if isinstance(d, Diagnosis)] == [diag.message]


def test_broker_restart_is_survived(tmp_path, make_source):
    b = start_broker(tmp_path / "b1")
    try:
        src = make_source(port=f"mqtt://{b.host}:{b.port}/{TOPIC}")
        connected(src)
        stop(b.proc)
        items = collect(src, lambda i: any(isinstance(s, Status) and not s.online and
                                           "lost the MQTT broker" in s.reason for s in i)
                        or not src._broker_up)
        assert not src._broker_up
        del items
        b = start_broker(tmp_path / "b2", port=b.port)  # same port, back again
        connected(src)  # paho reconnects by itself (within its 1-30 s backoff)
        pub = Publisher(b)
        try:
            pub.send("1,2,3,4")
            got = collect(src, lambda i: len(readings(i)) == 1, timeout=20)
            assert readings(got)[0].values.tolist() == [1, 2, 3, 4]
            assert src.stats()["reconnects"] == 1
        finally:
            pub.close()
    finally:
        stop(b.proc)


def test_unreachable_broker_is_reported_not_raised(make_source):
    from tests.helpers.servers import free_port

    src = make_source(port=f"mqtt://127.0.0.1:{free_port()}/{TOPIC}")
    items = collect(src, lambda i: any(isinstance(s, Status) for s in i))
    [st] = [s for s in items if isinstance(s, Status)]
    assert not st.online and "cannot reach the MQTT broker at 127.0.0.1" in st.reason


def test_sitwatch_run_reads_a_wireless_cushion(broker, tmp_path):
    """The daemon through the real command: frames published to the broker become occupancy
    and posture events on --json, and the status names the cushion without its password."""
    from sitwatch.sim.script import Script, away, sit
    from sitwatch.sim.simulator import Simulator

    cfg = tmp_path / "sitwatch.toml"
    cfg.write_text(
        "[cushion]\n"
        f'port = "mqtt://me:s3cret@{broker.host}:{broker.port}/{TOPIC}"\n'
        'layout = "load-cells-4"\n'
        "[nudges.dnd]\nenabled = false\n"
        "[history]\nenabled = false\n"
    )
    env = {"XDG_RUNTIME_DIR": str(tmp_path / "run"), "XDG_STATE_HOME": str(tmp_path / "state"),
           "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
           "PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    # systemd's notify socket: `systemctl status` shows the STATUS= the daemon sends there
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(tmp_path / "notify"))
    notify.settimeout(0)
    env["NOTIFY_SOCKET"] = str(tmp_path / "notify")
    # -v: the info lines (the cushion named as the daemon starts) must hide the password too
    proc = subprocess.Popen([sys.executable, "-m", "sitwatch", "run", "--headless", "--json",
                             "-v", "--config", str(cfg)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    lines_out: queue.SimpleQueue[str] = queue.SimpleQueue()
    assert proc.stdout is not None
    threading.Thread(target=lambda: [lines_out.put(ln) for ln in proc.stdout],  # type: ignore[union-attr]
                     daemon=True).start()
    pub = Publisher(broker)
    events: list[dict[str, Any]] = []

    def seen(event: str, state: str) -> bool:
        while True:
            try:
                events.append(json.loads(lines_out.get_nowait()))
            except queue.Empty:
                break
        return any(e.get("event") == event and e.get("state") == state for e in events)

    try:
        # A cushion publishes as it measures: ten frames a second, in real time (the detectors'
        # dwell times are real seconds for a live source). Empty for 3 s, then someone sits.
        sim = Simulator("load-cells-4", Script([away(3), sit(30)]), hz=10.0, seed=3)
        for line in sim.lines():
            pub.send(line)
            time.sleep(0.1)  # the cushion's own pace, not a wait for a timer of ours
            if seen("occupancy", "occupied"):
                break
        assert seen("occupancy", "occupied"), events
        status = json.loads((tmp_path / "run/sitwatch/status.json").read_text())
        assert status["sensor"]["online"] is True
        assert "s3cret" not in json.dumps(status)
    finally:
        pub.close()
        proc.terminate()
        _, err = proc.communicate(timeout=20)
    assert "Traceback" not in err
    assert "s3cret" not in err
    told = []
    with contextlib.suppress(BlockingIOError):
        while True:
            told.append(notify.recv(4096).decode())
    notify.close()
    watching = [m for m in told if m.startswith("STATUS=watching")]
    assert watching and f"mqtt://me:***@{broker.host}:{broker.port}/{TOPIC}" in watching[0], told
    assert not [m for m in told if "s3cret" in m], told


@pytest.mark.parametrize("scheme", ["mqtt", "MQTT"])  # a URL's scheme is case-insensitive
def test_doctor_listens_on_the_topic_and_hides_the_password(broker, tmp_path, scheme):
    cfg = tmp_path / "sitwatch.toml"
    cfg.write_text(
        "[cushion]\n"
        f'port = "{scheme}://me:s3cret@{broker.host}:{broker.port}/{TOPIC}"\n'
        'layout = "load-cells-4"\n[nudges.dnd]\nenabled = false\n'
    )
    env = {"XDG_RUNTIME_DIR": str(tmp_path / "run"), "XDG_STATE_HOME": str(tmp_path / "state"),
           "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
           "PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.Popen([sys.executable, "-m", "sitwatch", "doctor", "--headless",
                             "--listen", "3", "--config", str(cfg)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    pub = Publisher(broker)
    try:
        while proc.poll() is None:  # a cushion publishing at 10 frames/s while doctor listens
            pub.send("4000,4000,4000,4000")
            time.sleep(0.1)
        out, err = proc.communicate(timeout=30)
    finally:
        pub.close()
    line = next(ln for ln in out.splitlines() if "cushion" in ln and "frames in" in ln)
    assert f"mqtt://me:***@{broker.host}:{broker.port}/{TOPIC}" in line
    assert "s3cret" not in out + err and "Traceback" not in err
