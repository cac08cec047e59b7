"""`sitwatch bridge`'s core (:class:`~sitwatch.runtime.bridge.Bridge`) with a fake cushion and
a fake paho client: what it publishes, what it writes back, and what it says (once)."""

from __future__ import annotations

import logging
import socket
import ssl
from typing import Any

import pytest

from sitwatch.config import Cushion as CushionCfg
from sitwatch.config import Mqtt
from sitwatch.config.credentials import CHECK_LOGIN
from sitwatch.core.clock import ManualClock
from sitwatch.core.mqtt_url import parse_url
from sitwatch.runtime.bridge import Bridge, Login
from sitwatch.sensing.layout import grid
from sitwatch.sources.base import Diagnosis, Item, Status
from sitwatch.sources.mqtt import with_broker
from sitwatch.sources.serial import SerialSource
from tests.unit.runtime.test_companion import Code
from tests.unit.sources.test_serial_source import FakePort, Opener

LOG = logging.getLogger("test.bridge")
URL = "mqtt://192.168.1.20/home/office/cushion"
TOPIC, STATUS, COMMAND = "home/office/cushion", "home/office/cushion/status", \
    "home/office/cushion/command"


class Info:
    def __init__(self, rc: int = 0) -> None:
        self.rc = rc

    def wait_for_publish(self, timeout: float) -> None: ...


class FakeClient:
    """What the bridge asks of a paho client."""

    def __init__(self, fail: BaseException | None = None) -> None:
        self.fail = fail
        self.published: list[tuple[str, bytes | str, bool]] = []
        self.will: tuple[str, str, bool] | None = None
        self.subscribed: list[str] = []
        self.calls: list[str] = []
        self.rc = 0  # what publish answers (4: not connected)
        self.hold = False  # the broker's SUBACK held back (the test answers for it)
        self.on_subscribe: Any = None

    def will_set(self, topic: str, payload: str, qos: int = 0, retain: bool = False) -> None:
        self.will = (topic, payload, retain)

    def reconnect_delay_set(self, **kw: Any) -> None: ...

    def connect(self, host: str, port: int, keepalive: int, **kw: Any) -> None:
        self.calls.append("connect")
        if self.fail is not None:
            raise self.fail

    def connect_async(self, host: str, port: int, keepalive: int, **kw: Any) -> None:
        self.calls.append("connect_async")

    def loop_start(self) -> None: ...

    def loop_stop(self) -> None: ...

    def disconnect(self) -> None:
        self.calls.append("disconnect")

    def subscribe(self, topics: list[tuple[str, int]]) -> tuple[int, int]:
        self.subscribed += [t for t, _ in topics]
        if not self.hold:  # the broker answers at once (its SUBACK)
            self.on_subscribe(self, None, 1, [Code(q) for _t, q in topics], None)
        return 0, 1

    def publish(self, topic: str, payload: bytes | str, qos: int = 0,
                retain: bool = False) -> Info:
        self.published.append((topic, payload, retain))
        return Info(self.rc)

    def on(self, topic: str) -> list[bytes | str]:
        return [p for t, p, _r in self.published if t == topic]


class FakeCushion:
    """The serial source as the bridge sees it: a script of what each poll returns."""

    def __init__(self) -> None:
        self.next: list[Item] = []
        self.written: list[bytes] = []
        self.online = False
        self.closed = False
        self.during_poll: Any = lambda: None

    def poll(self, max_wait: float) -> list[Item]:
        out, self.next = self.next, []
        self.during_poll()
        self.during_poll = lambda: None
        return out

    def write(self, data: bytes) -> None:
        if not self.online:
            raise OSError("cushion not connected")
        self.written.append(data)

    def close(self) -> None:
        self.closed = True

    def send(self, b: Bridge, *items: Item | bytes) -> None:
        """What the next poll brings: items, and text lines (bytes) handed to the bridge."""
        self.next = [i for i in items if not isinstance(i, bytes)]
        for i in items:
            if isinstance(i, bytes):
                b.line(i)


class Msg:
    def __init__(self, topic: str, payload: bytes, retain: bool = False) -> None:
        self.topic, self.payload, self.retain = topic, payload, retain


def bridge(client: FakeClient | None = None, url: str = URL, **kw: Any
           ) -> tuple[Bridge, FakeCushion, FakeClient, list[str]]:
    said: list[str] = []
    cushion, fake = FakeCushion(), client or FakeClient()
    b = Bridge(lambda _lines: cushion, parse_url(url), say=said.append, log=LOG,
               client_factory=lambda *a, **k: fake, **kw)
    b.start()
    return b, cushion, fake, said


def up(b: Bridge, client: FakeClient) -> None:
    b._on_connect(client, None, None, Code(0), None)
    b.step(0)


def test_lines_go_out_as_read_with_the_state_retained_and_the_will_offline() -> None:
    b, cushion, client, said = bridge()
    assert client.will == (STATUS, "offline", True)
    up(b, client)
    assert client.subscribed == [COMMAND]
    assert client.published == [(STATUS, "offline", True)]  # no cushion yet
    cushion.online = True
    cushion.send(b, Status(0.0, True, "/dev/ttyACM0: open (text, 115200 baud)"),
                 b"# channels=4 time=ms", b"48213,512,498,530,601",
                 b"\x8f\x1e garbage too: the reader counts it")
    b.step(0.5)
    assert client.published[1:] == [
        (STATUS, "online", True),
        (TOPIC, b"# channels=4 time=ms\n48213,512,498,530,601\n"
                b"\x8f\x1e garbage too: the reader counts it", False)]
    assert b.forwarded == 3 and b.dropped == 0
    assert said[-1] == ("/dev/ttyACM0: open (text, 115200 baud): forwarding its lines to "
                        f"{TOPIC} on 192.168.1.20:1883")


def test_the_bridge_is_up_once_the_broker_has_its_command_subscription() -> None:
    """The "connected" line (and forwarding) waits for the broker's SUBACK: a command for the
    cushion sent after that line reaches it (it came with the CONNACK, and one sent at once was
    lost). A command subscription the broker refuses is said."""
    client = FakeClient()
    client.hold = True
    b, _cushion, client, said = bridge(client)
    up(b, client)
    assert client.subscribed == [COMMAND] and not any("connected" in s for s in said)
    client.on_subscribe(client, None, 1, [Code(135, "Not authorized")], None)
    b.step(0)
    assert said[-2].startswith("connected to 192.168.1.20:1883 with MQTT 5"), said
    assert said[-1] == (f"the MQTT broker 192.168.1.20:1883 would not let us subscribe to "
                        f"{COMMAND} (Not authorized): check what its access rules allow this "
                        "login")


def test_the_newest_state_is_published_whichever_comes_first() -> None:
    """The cushion opened while paho's thread was connecting: its on_connect published the
    old state; the new one must still go out (it did not: the broker kept `offline`)."""
    b, cushion, client, _ = bridge()
    cushion.send(b, Status(0.0, True, "open"))
    # paho's thread connects while the cushion is being read
    cushion.during_poll = lambda: b._on_connect(client, None, None, Code(0), None)
    b.step(0)
    assert client.on(STATUS) == ["offline", "online"]
    b2, cushion2, client2, _ = bridge()
    cushion2.send(b2, Status(0.0, True, "open"))
    b2.step(0)
    b2._on_connect(client2, None, None, Code(0), None)
    assert client2.on(STATUS) == ["online"]


def test_an_unplugged_cushion_is_said_once_and_offline_published_at_each_change() -> None:
    b, cushion, client, said = bridge()
    up(b, client)
    cushion.next = [Status(0.0, True, "/dev/ttyACM0: open (text, 115200 baud)")]
    b.step(0)
    n = len(said)
    cushion.next = [Status(1.0, False, "/dev/ttyACM0: connection lost (Input/output error): "
                           "was the cushion unplugged?", True)]
    b.step(0)
    cushion.next = [Status(1.5, False, "/dev/ttyACM0: no such device: is the cushion "
                           "plugged in?", True)]
    b.step(0)
    assert said[n:] == ["/dev/ttyACM0: connection lost (Input/output error): was the cushion "
                        f"unplugged? (said on {STATUS}); waiting for it"]
    assert client.on(STATUS)[-1] == "offline"
    cushion.next = [Status(9.0, True, "/dev/ttyACM0: open (text, 115200 baud)")]
    b.step(0)
    assert client.on(STATUS)[-1] == "online" and "forwarding" in said[-1]


def test_the_broker_going_away_is_said_once_and_the_lines_meanwhile_counted() -> None:
    b, cushion, client, said = bridge()
    up(b, client)
    for _ in range(3):  # paho tries again and again
        b._on_disconnect(client, None, None, "Unspecified error", None)
        b._on_connect_fail(client, None)
        cushion.send(b, b"1,2,3,4", b"1,2,3,4")
        b.step(0)
    assert b.dropped == 6 and client.on(TOPIC) == []
    assert [s for s in said if "broker" in s] == [
        "lost the MQTT broker 192.168.1.20:1883 (the connection dropped: the broker stopped, or "
        "the network to it failed); reconnecting, the cushion's lines are dropped until it is "
        "back"]
    up(b, client)
    assert said[-1] == ("connected to 192.168.1.20:1883 again; 6 lines read while it was away "
                        "were dropped")
    cushion.send(b, b"1,2,3,4")
    b.step(0)
    assert client.on(TOPIC) == [b"1,2,3,4"]


def test_a_publish_paho_refuses_counts_as_dropped() -> None:
    b, cushion, client, _ = bridge()
    up(b, client)
    client.rc = 4  # MQTT_ERR_NO_CONN: the link went before paho told us
    cushion.send(b, b"1,2,3,4")
    b.step(0)
    assert b.dropped == 1 and b.forwarded == 0


def test_commands_are_written_to_the_cushion_and_a_retained_one_never() -> None:
    b, cushion, client, said = bridge()
    up(b, client)
    cushion.online = True
    b._on_message(client, None, Msg(COMMAND, b"VIBE 400\n"))
    b._on_message(client, None, Msg(COMMAND, b"BUZZ 3\n", retain=True))
    b.step(0)
    assert cushion.written == [b"VIBE 400\n"] and b.commands == 1
    cushion.online = False
    for _ in range(2):
        b._on_message(client, None, Msg(COMMAND, b"BUZZ 1\n"))
        b.step(0)
    assert b.commands_lost == 2
    assert [s for s in said if s.startswith("a command")] == [
        f"a command for the cushion came on {COMMAND} while it cannot be written to "
        "(cushion not connected): dropped"]


@pytest.mark.parametrize(("url", "login", "fix"), [
    ("mqtt://pi:pw@192.168.1.20/home/office/cushion", None,
     "; check the user name and password in --to"),
    (URL, Mqtt(host="192.168.1.20", username="pi", password="pw"),
     f"; {CHECK_LOGIN}, which the bridge logs in with (--to names no user)"),
    (URL, None,
     "; the broker wants a login: write it in --to (mqtt://USER:PASSWORD@192.168.1.20/...), "
     'or set mqtt.username and mqtt.password with mqtt.host = "192.168.1.20"'),
])
def test_credentials_the_broker_refuses_end_it_with_the_reason_and_the_fix(
        url: str, login: Mqtt | None, fix: str) -> None:
    """The fix in login_fix's words, as the sink and the wireless cushion say it: the user in
    --to, the [mqtt] section's lent to it, or none at all."""
    b, _, client, _ = bridge(url=url, login=login)
    b._on_connect(client, None, None, Code(134, "Bad user name or password"), None)
    b.step(0)
    assert b.done.is_set()
    assert b.fatal == ("the MQTT broker 192.168.1.20:1883 refused the connection: Bad user name "
                       f"or password{fix}")


def test_a_refusal_after_it_worked_once_is_retried() -> None:
    b, _, client, said = bridge()
    up(b, client)
    b._on_connect(client, None, None, Code(135, "Not authorized"), None)
    b.step(0)
    assert not b.done.is_set() and "refused: Not authorized" in said[-1]


@pytest.mark.parametrize(("fail", "fatal"), [
    (socket.gaierror(socket.EAI_NONAME, "Name or service not known"),
     "cannot find the broker's host '192.168.1.20' (Name or service not known): check the "
     "host in --to"),
    (ssl.SSLError(1, "CERTIFICATE_VERIFY_FAILED"), "TLS with 192.168.1.20:1883 failed"),
])
def test_what_no_retry_mends_ends_it(fail: BaseException, fatal: str) -> None:
    b, _, client, _ = bridge(FakeClient(fail))
    assert b.done.is_set() and b.fatal is not None and b.fatal.startswith(fatal)


def test_a_broker_not_up_yet_is_waited_for() -> None:
    b, cushion, client, said = bridge(
        FakeClient(ConnectionRefusedError(111, "Connection refused")))
    assert client.calls == ["connect", "connect_async"] and not b.done.is_set()
    assert said == ["cannot reach the MQTT broker 192.168.1.20:1883 (Connection refused); "
                    "trying again until it answers, the cushion's lines are dropped meanwhile"]
    cushion.send(b, Status(0.0, True, "/dev/ttyACM0: open (text, 115200 baud)"))
    b.step(0)
    assert said[-1] == ("/dev/ttyACM0: open (text, 115200 baud): its lines go to "
                        f"{TOPIC} once the broker 192.168.1.20:1883 answers")
    up(b, client)
    assert said[-1].startswith("connected to 192.168.1.20:1883 with MQTT 5: the cushion's lines "
                               "go to")


def test_closing_says_offline() -> None:
    b, cushion, client, _ = bridge()
    up(b, client)
    cushion.next = [Status(0.0, True, "open")]
    b.step(0)
    b.close()
    assert client.on(STATUS)[-1] == "offline" and client.calls[-1] == "disconnect"
    assert cushion.closed


def test_the_login_is_the_urls_or_the_mqtt_sections_for_the_same_host() -> None:
    section = Mqtt(host="192.168.1.20", username="pi", password="s3cret", tls_ca="/etc/ca.pem")
    assert Login.of(with_broker(parse_url(URL), section)) == Login(
        "192.168.1.20", 1883, "pi", "s3cret", False, "/etc/ca.pem")
    own = parse_url("mqtts://desk:pw@192.168.1.20/home/office/cushion")
    assert Login.of(with_broker(own, section)) == Login(
        "192.168.1.20", 8883, "desk", "pw", True, "/etc/ca.pem")
    assert Login.of(with_broker(parse_url(URL), Mqtt(host="other"))).username == ""


# -- the serial source's raw mode, which the bridge reads with ------------------------------------

def test_the_serial_source_hands_raw_lines_on_unparsed() -> None:
    clock = ManualClock()
    port = FakePort()
    got: list[bytes] = []
    src = SerialSource(CushionCfg(port="/dev/ttyACM0"), grid(2, 2), clock, sleep=clock.advance,
                       opener=Opener(clock, port), lines=got.append)
    assert [type(i) for i in src.poll(0)] == [Status]
    port.feed(b"9,1\n1,2,3,4\r\n# channels=4\n\nnot numbers \xff\n5,6,7,8")
    assert src.poll(0) == []  # no frames: lines
    # the partial first line is dropped as `sitwatch run` drops it; the rest as sent, bar \r\n
    assert got == [b"1,2,3,4", b"# channels=4", b"not numbers \xff"]
    assert src.parser.stats.frames == 0 and src.parser.stats.dropped_total == 0
    clock.advance(9)
    port.feed(b"\n")
    assert src.poll(0) == [] and got[-1] == b"5,6,7,8"
    clock.advance(9)  # a line is data enough: the wait for the no-data diagnosis starts again
    assert src.poll(0) == []
    clock.advance(1)  # nothing for 10 s (no_data_timeout): said, as `sitwatch run` says it
    assert src.poll(0) == [Diagnosis(19.0, "no data at all from the device: is it powered and "
                                     "sending? right port?", 9.0)]


@pytest.mark.parametrize("to", ["mqtt://192.168.1.20/", "mqtt://192.168.1.20:1884"])
def test_a_to_url_without_a_topic_asks_for_the_one_the_desktop_reads(
        to: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The shared parser's words ("no topic to read frames from") were a reader's: the bridge
    reads no frames from the broker, it publishes the cushion for the desktop's cushion.port."""
    from sitwatch.cli.main import main

    assert main(["--no-user-config", "bridge", "--to", to]) == 2
    said = capsys.readouterr().err.strip()
    assert len(said.splitlines()) == 1, said
    assert "names no topic to publish the cushion's lines on" in said
    assert "the desktop's cushion.port reads" in said and "read frames" not in said
    assert f"e.g. {to.rstrip('/')}/home/office/cushion" in said
