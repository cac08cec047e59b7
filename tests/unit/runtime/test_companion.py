"""`sitwatch companion`'s mapping: another sitwatch's events as published on MQTT -> what the
desktop sink shows; clicks -> the commands that sitwatch takes. No broker and no paho here (a
client stand-in records what would go out); tests/e2e/test_companion_e2e.py has the real ones."""

from __future__ import annotations

import json
import logging
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from sitwatch.config import RESPOND_WITHIN
from sitwatch.core.clock import ManualClock
from sitwatch.core.events import CALIBRATION, NOTICE, NUDGE, POSTURE, SYMPTOM, Event
from sitwatch.core.kinds import FeedbackKind, NudgeAction, NudgeKind
from sitwatch.nudging.feedback import kind_of, parse_kind
from sitwatch.runtime.companion import (
    LATE_QUIET,
    SKEW,
    Companion,
    command_for,
    event_from,
    skew_line,
)
from sitwatch.runtime.service import (
    COMPANION_UNIT,
    autostart_path,
    plan_user_install,
    plan_user_uninstall,
    user_unit_path,
)
from sitwatch.sinks.mqtt import (
    MqttConfig,
    MqttSink,
    machine_tag,
    parse_control,
    parse_done,
    parse_feedback,
    parse_snooze,
)

LOG = logging.getLogger("sitwatch.test.companion")
SLOUCH = Event(1019.0, NUDGE, None, {
    "kind": "slouch", "title": "Sit back in your chair", "message": "Let the backrest \"take\" "
    "your weight: it's easier on the back", "why": "...", "posture": "leaning_forward",
    "seen_by": ["cushion"], "level": "gentle"})
LOPSIDED = Event(5.0, NUDGE, None, {"kind": "asymmetric_load", "title": "Even out",
                                     "message": "More weight on the left", "side": "left"})
MOVE = Event(6.0, NUDGE, None, {"kind": "prolonged_sitting", "title": "Time to move",
                                 "message": "50 min seated", "minutes": 50})
LEARNED = Event(7.0, CALIBRATION, "learned", {"ways": 1, "was": 0, "title": "Learned",
                                               "message": "a new way", "feedback_kind": "learned"})


def published(event: Event, base: str = "sitwatch",
              clock: ManualClock | None = None) -> tuple[str, bytes]:
    """(topic, payload) exactly as the daemon's MQTT sink publishes ``event`` (at the time of
    ``clock``: by default, the time the companion's clock starts at)."""
    sink = MqttSink(MqttConfig(enabled=True, base_topic=base), clock or ManualClock(), log=LOG)
    sink.handle(event)  # not connected: it waits in the sink's queue, as it would go out
    topic, payload = sink._queue[0]
    return topic, payload.encode()


@dataclass
class Msg:
    topic: str
    payload: bytes
    retain: bool = False


class Code:
    """paho's ReasonCode, as far as the companion reads it."""

    def __init__(self, value: int, text: str = "") -> None:
        self.value = value
        self.is_failure = value >= 128
        self.text = text or str(value)

    def __str__(self) -> str:
        return self.text


class FakeClient:
    """What Companion asks of a paho client; ``connect`` raises ``fail`` when given one."""

    def __init__(self, fail: BaseException | None = None) -> None:
        self.fail = fail
        self.published: list[tuple[str, str]] = []
        self.properties: list[Any] = []  # each publish's MQTT 5 properties (None: none)
        self.subscribed: list[str] = []
        self.calls: list[str] = []
        #: the broker answers a subscription at once (its SUBACK, with these codes: None,
        #: each granted), or not until the test calls ``suback``
        self.acks: list[Code] | None = None
        self.hold = False
        self.on_subscribe: Callable[..., None] | None = None

    def reconnect_delay_set(self, **kw: Any) -> None: ...

    def connect(self, host: str, port: int, keepalive: int, **kw: Any) -> None:
        self.calls.append("connect")
        if self.fail is not None:
            raise self.fail

    def connect_async(self, host: str, port: int, keepalive: int, **kw: Any) -> None:
        self.calls.append("connect_async")

    def loop_start(self) -> None:
        self.calls.append("loop_start")

    def loop_stop(self) -> None: ...

    def disconnect(self) -> None:
        self.calls.append("disconnect")

    def subscribe(self, topics: list[tuple[str, int]]) -> tuple[int, int]:
        self.subscribed += [t for t, _ in topics]
        self._asked = topics
        if not self.hold:
            self.suback(self.acks)
        return 0, 1

    def suback(self, codes: list[Code] | None = None) -> None:
        """The broker's answer to the last subscription (paho's on_subscribe)."""
        assert self.on_subscribe is not None
        self.on_subscribe(self, None, 1, codes or [Code(q) for _t, q in self._asked], None)

    def publish(self, topic: str, payload: str, qos: int = 0, retain: bool = False,
                properties: Any = None) -> None:
        self.published.append((topic, payload))
        self.properties.append(properties)


class Shown(list[Event]):
    def handle(self, event: Event) -> None:
        self.append(event)


def companion(client: FakeClient | None = None, *, base: str = "sitwatch",
              machine: str = "thisdesktop1", clock: ManualClock | None = None,
              here_synced: bool | None = None,
              answer_click: Callable[[Event, str], None] | None = None, **cfg: Any
              ) -> tuple[Companion, Shown, list[str], FakeClient]:
    shown, said = Shown(), []
    fake = client or FakeClient()
    c = Companion(MqttConfig(**cfg), shown, base=base, snooze_minutes=30, say=said.append,
                  log=LOG, machine=machine, client_factory=lambda *a, **k: fake,
                  respond_within=RESPOND_WITHIN, clock=clock or ManualClock(),
                  here_synced=here_synced, answer_click=answer_click)
    c.start()
    return c, shown, said, fake


def connected(c: Companion, client: FakeClient) -> None:
    c._on_connect(client, None, None, Code(0), None)


# -- events in -----------------------------------------------------------------------------------

@pytest.mark.parametrize("event", [SLOUCH, LOPSIDED, MOVE, LEARNED,
                                   Event(9.0, NOTICE, "sensor_failed", {"title": "A sensor",
                                                                        "message": "p08"})])
def test_an_event_comes_back_as_the_daemon_had_it(event: Event) -> None:
    _topic, payload = published(event)
    assert event_from(payload) == event


def test_the_day_summary_comes_back_as_the_nudge_it_was() -> None:
    summary = Event(3.0, NUDGE, None, {"kind": "daily_budget", "stage": "summary",
                                       "level": "summary", "title": "Your day",
                                       "message": "5 h seated", "budget_minutes": 300})
    topic, payload = published(summary)
    assert topic == "sitwatch/event/day_summary"
    assert event_from(payload) == summary  # its event_type is the MQTT sink's, not the event's


@pytest.mark.parametrize("payload", [b"", b"not json", b"[1, 2]", b'{"t": 1}', b"\xff\xfe"])
def test_what_is_not_an_event_is_none(payload: bytes) -> None:
    assert event_from(payload) is None


def test_each_published_nudge_is_shown_once_and_nothing_else_is_subscribed() -> None:
    c, shown, said, client = companion()
    connected(c, client)
    assert set(client.subscribed) == {"sitwatch/node", "sitwatch/clock", "sitwatch/event/nudge",
                                      "sitwatch/event/day_summary", "sitwatch/event/notice",
                                      "sitwatch/event/calibration", "sitwatch/event/symptom"}
    topic, payload = published(SLOUCH)
    c._on_message(client, None, Msg(topic, payload))
    c._on_message(client, None, Msg(topic, payload, retain=True))  # a leftover: not news
    c._on_message(client, None, Msg(topic, b"garbage"))
    assert list(shown) == [SLOUCH]
    assert said == ["connected to localhost:1883 with MQTT 5: showing the nudges published under "
                    "sitwatch/ (Ctrl-C stops)"]


def node_of(desktop: bool) -> bytes:
    """``<base>/node`` as a sitwatch on this machine announces itself (``desktop``: it shows
    desktop notifications itself)."""
    sink = MqttSink(MqttConfig(enabled=True), ManualClock(), log=LOG, desktop=desktop)
    return sink.node_payload().encode()


def test_a_sitwatch_here_that_shows_notifications_is_left_to_show_its_own() -> None:
    c, shown, said, client = companion(machine=machine_tag())
    connected(c, client)
    c._on_message(client, None, Msg("sitwatch/node", node_of(desktop=True), retain=True))
    c._on_message(client, None, Msg(*published(SLOUCH)))
    assert list(shown) == [] and "runs on this computer" in said[-1]


def test_a_headless_sitwatch_here_has_its_nudges_shown() -> None:
    """`sitwatch run --headless` (a system service) on this machine shows none itself."""
    c, shown, said, client = companion(machine=machine_tag())
    connected(c, client)
    c._on_message(client, None, Msg("sitwatch/node", node_of(desktop=False), retain=True))
    c._on_message(client, None, Msg(*published(SLOUCH)))
    assert list(shown) == [SLOUCH] and said[-1].startswith("nudges come from sitwatch on ")


def test_a_sitwatch_on_this_very_machine_shows_its_own_so_the_companion_shows_none() -> None:
    c, shown, said, client = companion()
    connected(c, client)
    node = {"node_id": "sitwatch_desk", "host": "desk", "machine": "thisdesktop1",
            "instance": "run1"}  # an older sitwatch: no word on "desktop", taken as shown
    c._on_message(client, None, Msg("sitwatch/node", json.dumps(node).encode(), retain=True))
    c._on_message(client, None, Msg(*published(SLOUCH)))
    c._on_message(client, None, Msg("sitwatch/node", json.dumps(node).encode()))  # again
    assert list(shown) == [] and c.skipped == 1
    told = [s for s in said if "runs on this computer" in s]
    assert len(told) == 1 and "--base-topic" in told[0]
    # the Pi takes over the topic (its node is announced): its nudges show
    pi = {**node, "host": "raspberrypi", "machine": "0123456789ab", "instance": "run2"}
    c._on_message(client, None, Msg("sitwatch/node", json.dumps(pi).encode()))
    c._on_message(client, None, Msg(*published(SLOUCH)))
    assert list(shown) == [SLOUCH] and said[-1] == "nudges come from sitwatch on raspberrypi"


# -- clicks out ----------------------------------------------------------------------------------

def test_snooze_names_the_minutes_its_button_promised_and_its_nudge() -> None:
    cmd = command_for(NudgeAction.SNOOZE, MOVE, 30)
    assert cmd is not None and (cmd.name, cmd.payload) == ("snooze", "30m prolonged_sitting")
    # what the other sitwatch reads from it: the minutes, and the nudge the click was on
    assert parse_snooze(cmd.payload) == (30, NudgeKind.PROLONGED_SITTING)
    cmd = command_for(NudgeAction.SNOOZE, LOPSIDED, 7.5)
    assert cmd is not None and parse_snooze(cmd.payload) == (7.5, NudgeKind.ASYMMETRIC_LOAD)


@pytest.mark.parametrize(("payload", "read"), [
    ("", (None, None)), ("PRESS", (None, None)), ("45m", (45, None)),
    ("slouch", (None, NudgeKind.SLOUCH)), ("1h wallet", (60, NudgeKind.WALLET)),
    ("45m sideways", (False, None)), ("forever slouch", (False, NudgeKind.SLOUCH)),
])
def test_a_snooze_reads_its_minutes_and_the_nudge_it_may_name(payload, read) -> None:
    assert parse_snooze(payload) == read
    if not payload.endswith(("slouch", "wallet")):
        assert read[0] == parse_control(payload)  # as before: a duration, or nothing


@pytest.mark.parametrize("event", [SLOUCH, LOPSIDED, LEARNED])
def test_not_right_names_the_kind_the_daemon_would_take_from_the_button(event: Event) -> None:
    cmd = command_for(NudgeAction.WRONG, event, 30)
    assert cmd is not None and cmd.name == "feedback"
    named = parse_feedback(cmd.payload)  # the other sitwatch's side
    assert isinstance(named, str)
    want = FeedbackKind.LEARNED if event is LEARNED else kind_of(event.data)
    assert parse_kind(named) == want


@pytest.mark.parametrize("event", [SLOUCH, LOPSIDED, MOVE])
def test_done_names_the_nudge_so_the_other_sitwatch_counts_it_as_acted_on(event: Event) -> None:
    cmd = command_for(NudgeAction.DONE, event, 30)
    assert cmd is not None and cmd.name == "done"
    assert parse_done(cmd.payload) == event.get("kind")  # the other sitwatch's side


def test_done_on_what_is_no_nudge_sends_nothing() -> None:
    assert command_for(NudgeAction.DONE, LEARNED, 30) is None
    assert parse_done("") is None and parse_done("sideways") is None  # no kind of nudge


def test_a_click_goes_to_the_followed_sitwatchs_command_topic() -> None:
    c, _shown, _said, client = companion(base="sitwatch/pi/")
    c.on_action(NudgeAction.WRONG, SLOUCH)
    c.on_action(NudgeAction.SNOOZE, MOVE)
    c.on_action(NudgeAction.DONE, MOVE)
    assert client.published == [("sitwatch/pi/command/feedback", "wrong leaning_forward"),
                                ("sitwatch/pi/command/snooze", "30m prolonged_sitting"),
                                ("sitwatch/pi/command/done", "prolonged_sitting")]


def answer(payload: dict[str, Any], base: str = "sitwatch") -> Msg:
    return Msg(f"{base}/command/result", json.dumps(payload).encode())


def test_the_answer_to_not_right_is_shown_in_the_clicked_notifications_place() -> None:
    """The daemon answers on <base>/command/result with the command's correlation data as
    ``id``: the answer to this companion's click goes to the desktop with the clicked event
    (whose notification it replaces), once; anybody else's answers are not ours."""
    told: list[tuple[Event, str]] = []
    c, _shown, _said, client = companion(answer_click=lambda e, t: told.append((e, t)))
    connected(c, client)
    assert "sitwatch/command/result" in client.subscribed
    c.on_action(NudgeAction.SNOOZE, SLOUCH)
    c.on_action(NudgeAction.WRONG, LOPSIDED)
    assert client.properties[0] is None  # a snooze asks for no answer
    token = client.properties[1].CorrelationData.decode()
    said = "Noted: that lopsided nudge was not right."
    c._on_message(client, None, answer({"command": "feedback", "ok": True, "message": "x",
                                        "id": "hass-42"}))  # Home Assistant's
    c._on_message(client, None, Msg("sitwatch/command/result", b"not json"))
    assert told == []
    c._on_message(client, None, answer({"command": "feedback", "value": "wrong lopsided",
                                        "ok": True, "message": said, "id": token}))
    assert told == [(LOPSIDED, said)] and told[0][0] is LOPSIDED
    c._on_message(client, None, answer({"ok": True, "message": said, "id": token}))
    assert len(told) == 1  # answered once


def test_over_mqtt_3_the_click_asks_no_answer_it_could_not_tell_apart() -> None:
    told: list[tuple[Event, str]] = []
    c, _shown, _said, client = companion(answer_click=lambda e, t: told.append((e, t)),
                                         protocol="3.1.1")
    connected(c, client)
    assert "sitwatch/command/result" not in client.subscribed
    c.on_action(NudgeAction.WRONG, LOPSIDED)
    assert client.published == [("sitwatch/command/feedback", "wrong lopsided")]
    assert client.properties == [None]


# -- late events ---------------------------------------------------------------------------------

def pi_clock(ago: float) -> ManualClock:
    """The Pi's clock ``ago`` seconds before the companion's starts: when it published."""
    return ManualClock(ManualClock().now() - timedelta(seconds=ago))


def test_an_event_carries_when_it_happened_and_keeps_it_while_it_waits() -> None:
    clock = ManualClock()
    sink = MqttSink(MqttConfig(enabled=True), clock, log=LOG)
    sink.handle(SLOUCH)
    clock.advance(3600)  # an hour without the broker: the event waited in the queue
    obj = json.loads(sink._queue[0][1])
    assert obj["at"] == "2026-01-05T09:00:00+00:00"  # ISO 8601 with the UTC offset
    assert event_from(sink._queue[0][1].encode()) == SLOUCH  # ``at`` is no data of the event


def test_a_nudge_older_than_its_response_window_is_not_shown_and_said_once() -> None:
    clock = ManualClock()
    c, shown, said, client = companion(clock=clock)
    connected(c, client)
    c._on_message(client, None, Msg("sitwatch/node", json.dumps(
        {"host": "raspberrypi", "machine": "0123456789ab", "instance": "run1"}).encode()))
    del said[:]
    # the broker is back: what the Pi kept for an hour comes at once
    for ago, event in ((3600, MOVE), (2400, SLOUCH), (1200, LOPSIDED)):
        c._on_message(client, None, Msg(*published(event, clock=pi_clock(ago))))
    assert list(shown) == [] and c.late == 3
    c.tick()
    assert said == []  # the burst may not be over
    clock.advance(LATE_QUIET)
    c.tick()
    c.tick()
    assert said == ["did not show 3 nudges from sitwatch on raspberrypi, published 20 min to "
                    "1 h ago: too late to act on (past nudges.respond_within), most likely kept "
                    "while the broker could not be reached. If they were sent just now, the "
                    "clocks of the two computers disagree: set both to network time"]


def test_a_nudge_within_its_window_is_shown_and_the_late_ones_are_said_first() -> None:
    clock = ManualClock()
    c, shown, said, client = companion(clock=clock)
    connected(c, client)
    slouch_window = RESPOND_WITHIN[NudgeKind.SLOUCH]
    c._on_message(client, None, Msg(*published(SLOUCH, clock=pi_clock(slouch_window + 60))))
    c._on_message(client, None, Msg(*published(SLOUCH, clock=pi_clock(slouch_window - 10))))
    assert list(shown) == [SLOUCH] and c.late == 1
    assert said[-1].startswith("did not show 1 nudge from sitwatch on the other machine, "
                               "published 4 min ago: ")
    assert "If it was sent just now" in said[-1]
    # a wallet has longer to be acted on: 10 minutes is not too late for it
    wallet = Event(8.0, NUDGE, None, {"kind": "wallet", "title": "Wallet", "message": "m"})
    c._on_message(client, None, Msg(*published(wallet, clock=pi_clock(600))))
    assert list(shown) == [SLOUCH, wallet]


def test_what_stays_true_is_shown_however_late_and_no_at_is_news() -> None:
    c, shown, said, client = companion()
    connected(c, client)
    notice = Event(9.0, NOTICE, "sensor_failed", {"title": "A sensor", "message": "p08"})
    summary = Event(3.0, NUDGE, None, {"kind": "daily_budget", "stage": "summary",
                                       "level": "summary", "title": "Your day", "message": "5 h"})
    advice = Event(4.0, SYMPTOM, None, {"kind": "numbness", "title": "Get care now",
                                        "message": "..."})
    for event in (notice, summary, advice):
        c._on_message(client, None, Msg(*published(event, clock=pi_clock(7200))))
    # the question about a way of sitting just learned is about now: not after an hour
    c._on_message(client, None, Msg(*published(LEARNED, clock=pi_clock(3600))))
    # a sitwatch older than ``at``: taken as news
    old_style = json.dumps(SLOUCH.as_dict()).encode()
    c._on_message(client, None, Msg("sitwatch/event/nudge", old_style))
    assert list(shown) == [notice, summary, advice, SLOUCH] and c.late == 1


def test_late_ones_not_said_yet_are_said_when_the_broker_goes_or_on_close() -> None:
    c, _shown, said, client = companion()
    connected(c, client)
    c._on_message(client, None, Msg(*published(MOVE, clock=pi_clock(3600))))
    c._on_disconnect(client, None, None, Code(7, "Unspecified error"), None)
    assert said[-2].startswith("did not show 1 nudge") and said[-1].startswith("lost the")
    c._on_message(client, None, Msg(*published(MOVE, clock=pi_clock(3600))))
    c.close()
    assert said[-1].startswith("did not show 1 nudge") and c.late == 2


# -- the Pi's clock -------------------------------------------------------------------------------

def pi_time(clock: ManualClock) -> Msg:
    """``<base>/clock`` as the Pi's MQTT sink sends it, by ``clock`` (the Pi's)."""
    sink = MqttSink(MqttConfig(enabled=True), clock, log=LOG)
    client = FakeClient()
    sink._send_clock(client)
    (topic, payload), = client.published
    return Msg(topic, payload.encode())


def test_a_pi_three_hours_behind_has_its_live_nudge_shown_and_its_clock_said_once() -> None:
    clock = ManualClock()  # this desktop's, on network time
    c, shown, said, client = companion(clock=clock, here_synced=True)
    connected(c, client)
    c._on_message(client, None, Msg("sitwatch/node", json.dumps(
        {"host": "raspberrypi", "machine": "0123456789ab", "instance": "run1"}).encode()))
    pi = pi_clock(3 * 3600)  # booted without network time: 3 hours behind
    c._on_message(client, None, pi_time(pi))
    assert c.peer.offset == -3 * 3600
    assert said[-1] == (
        "the clock of raspberrypi is 3 h behind this computer's, which keeps network time. Its "
        "nudges are shown all the same (their age is judged by its own clock); to keep the "
        "times in its history right, turn on network time on raspberrypi: `sudo timedatectl "
        'set-ntp true`; `timedatectl` then says "System clock synchronized: yes"')
    del said[:]
    clock.advance(30)
    pi.advance(30)
    c._on_message(client, None, pi_time(pi))  # the next state update: nothing new to say
    c._on_message(client, None, Msg(*published(SLOUCH, clock=pi)))  # sent just now
    assert list(shown) == [SLOUCH] and c.late == 0
    # one kept an hour while the broker was away is still left out, an hour late by its clock
    c._on_message(client, None, Msg(*published(MOVE, clock=pi_clock(4 * 3600 - 30))))
    assert list(shown) == [SLOUCH] and c.late == 1
    clock.advance(LATE_QUIET)
    c.tick()
    assert said == ["did not show 1 nudge from sitwatch on raspberrypi, published 1 h ago by "
                    "its own clock: too late to act on (past nudges.respond_within), kept "
                    "while the broker could not be reached"]
    # network time comes to the Pi: its clock jumps forward, said once
    clock.advance(30)
    c._on_message(client, None, pi_time(ManualClock(clock.now() + timedelta(seconds=0.2))))
    c._on_message(client, None, pi_time(ManualClock(clock.now())))
    assert said[1:] == ["the clocks of raspberrypi and this computer agree again"]
    assert c.peer.offset == pytest.approx(0.2)


def test_a_clock_kept_by_the_broker_or_unreadable_is_not_taken() -> None:
    c, shown, said, client = companion()
    connected(c, client)
    old = pi_time(pi_clock(3 * 3600))
    c._on_message(client, None, Msg(old.topic, old.payload, retain=True))  # not ours to keep
    for bad in (b"garbage", b"2026-01-05T06:00:00", b"\xff"):  # no UTC offset: which time?
        c._on_message(client, None, Msg("sitwatch/clock", bad))
    assert c.peer.offset is None and len(said) == 1  # only "connected"
    # so a nudge is judged by this desktop's clock, as from a sitwatch that sends no time
    c._on_message(client, None, Msg(*published(SLOUCH, clock=pi_clock(3 * 3600))))
    assert list(shown) == [] and c.late == 1


@pytest.mark.parametrize(("offset", "said", "says"), [
    (-30.0, 0.0, None),  # the network's doing
    (-3 * 3600.0, 0.0, "raspberrypi's is 3 h behind this one's"),
    (2 * 86400.0, 0.0, "raspberrypi's is 48 h ahead of this one's"),
    (-3 * 3600.0 - SKEW + 1, -3 * 3600.0, None),  # moved, not by much: said already
    (-3 * 3600.0 - SKEW - 60, -3 * 3600.0, "raspberrypi's is 3 h 3 min behind"),
    (10.0, -3 * 3600.0, "agree again"),
])
def test_a_clock_off_is_said_once_and_again_when_it_moves_a_lot(offset, said, says) -> None:
    line = skew_line(offset, said, "raspberrypi", None)
    if says is None:
        assert line is None
        return
    assert line is not None and says in line, line
    if "agree" not in says:  # this desktop's own sync unknown: no blame, the likely one named
        assert "most likely on raspberrypi" in line and "sudo timedatectl set-ntp true" in line


# -- the broker ----------------------------------------------------------------------------------

def test_an_unknown_host_ends_it_with_one_line() -> None:
    fail = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    c, _shown, said, client = companion(FakeClient(fail), host="pi.lann")
    assert c.done.is_set() and said == []
    assert c.fatal == ("cannot find the broker's host 'pi.lann' (Name or service not known): "
                       "check mqtt.host")
    assert "loop_start" not in client.calls


def _reasoned(e: ssl.SSLError) -> ssl.SSLError:
    e.reason = "CERTIFICATE_VERIFY_FAILED"  # as OpenSSL's own errors have it
    return e


@pytest.mark.parametrize(("fail", "why"), [
    (_reasoned(ssl.SSLError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] ...")),
     "CERTIFICATE_VERIFY_FAILED"),
    # made without OpenSSL (a subclass, a library's own): no ``reason`` at all
    (ssl.SSLCertVerificationError("certificate verify failed: self-signed certificate"),
     "certificate verify failed: self-signed certificate"),
    (ssl.SSLEOFError(8, "EOF occurred in violation of protocol"),
     "EOF occurred in violation of protocol"),
])
def test_a_tls_failure_ends_it_with_what_went_wrong(fail: ssl.SSLError, why: str) -> None:
    c, _shown, said, client = companion(FakeClient(fail), host="pi.lan", tls=True)
    assert c.done.is_set() and said == []
    assert c.fatal == (f"TLS with pi.lan:1883 (TLS) failed: {why}: check mqtt.tls_ca (the CA that "
                       "signed the broker's certificate) and mqtt.host (the name the "
                       "certificate is for)")
    assert "loop_start" not in client.calls


def test_a_broker_not_up_yet_is_tried_again_and_said_once() -> None:
    c, _shown, said, client = companion(FakeClient(ConnectionRefusedError(111, "Connection "
                                                                                "refused")))
    assert client.calls == ["connect", "connect_async", "loop_start"] and not c.done.is_set()
    c._on_connect_fail(client, None)
    c._on_connect_fail(client, None)
    assert said == ["cannot reach the MQTT broker localhost:1883 (Connection refused); trying "
                    "again until it answers"]
    connected(c, client)
    assert said[-1].startswith("connected to localhost:1883 with MQTT 5: showing")


def test_connected_is_said_once_the_broker_has_the_subscriptions() -> None:
    """"connected" tells the person (and a script) that nudges published from now on show: it
    waits for the broker's SUBACK (it came with the CONNACK, before the subscriptions existed,
    and a nudge sent at once was lost). A subscription the broker refuses is named."""
    client = FakeClient()
    client.hold = True
    c, shown, said, client = companion(client)
    connected(c, client)
    assert said == [] and c.connects == 0
    client.suback([Code(1), Code(0), Code(135, "Not authorized"),
                   *[Code(1)] * (len(client.subscribed) - 3)])
    assert said[0].startswith("connected to localhost:1883 with MQTT 5: showing") and \
        c.connects == 1
    assert said[1:] == [f"the MQTT broker localhost:1883 would not let us subscribe to "
                        f"{client.subscribed[2]} (Not authorized): check what its access rules "
                        "allow this login"]
    client.suback()  # nothing asked any more: a stray answer says nothing
    assert len(said) == 2


def test_losing_the_broker_and_getting_it_back_is_said_once_each() -> None:
    c, _shown, said, client = companion()
    connected(c, client)
    for _ in range(3):
        c._on_disconnect(client, None, None, Code(7, "Unspecified error"), None)
        c._on_connect_fail(client, None)
    connected(c, client)
    connected(c, client)  # a second reconnect with no loss between: nothing to say
    assert said[1:] == ["lost the MQTT broker localhost:1883 (the connection dropped: the broker "
                        "stopped, or the network to it failed); reconnecting, nudges published "
                        "meanwhile are not shown",
                        "connected to localhost:1883 again"]
    assert not c.done.is_set()


def test_credentials_the_broker_refuses_end_it_with_the_reason() -> None:
    c, _shown, _said, client = companion(username="me", password="wrong")
    c._on_connect(client, None, None, Code(134, "Bad user name or password"), None)
    assert c.done.is_set() and c.fatal is not None
    assert "refused the connection: Bad user name or password" in c.fatal
    assert "disconnect" in client.calls


def test_a_refusal_after_it_worked_once_is_retried() -> None:
    c, _shown, said, client = companion(username="me", password="pw")
    connected(c, client)
    c._on_connect(client, None, None, Code(135, "Not authorized"), None)
    assert not c.done.is_set() and "refused: Not authorized" in said[-1]


def test_posture_and_other_events_are_not_asked_for() -> None:
    c, shown, _said, client = companion()
    connected(c, client)
    assert not any(t.endswith(f"/{POSTURE}") for t in client.subscribed)


# -- the service ---------------------------------------------------------------------------------

def test_service_install_companion_installs_it_alone(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    plan = plan_user_install(["/x/sitwatch"], systemd=True, companion=True)
    written = [s.path for s in plan.steps if s.text is not None]
    assert written == [user_unit_path(COMPANION_UNIT)]
    text = plan.steps[0].text or ""
    assert "ExecStart=/x/sitwatch companion\n" in text
    assert ("systemctl", "--user", "enable", "--now", COMPANION_UNIT) in [s.argv for s in
                                                                         plan.steps]
    auto = plan_user_install(["/x/sitwatch"], systemd=False, companion=True)
    assert [s.path for s in auto.steps] == [autostart_path("sitwatch-companion.desktop")]
    assert "Exec=/x/sitwatch companion" in (auto.steps[0].text or "")


def test_service_uninstall_companion_leaves_the_daemons_unit(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    for p in (user_unit_path(), user_unit_path(COMPANION_UNIT)):
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("# Installed by `sitwatch service install`\n")
    only = plan_user_uninstall(systemd=True, companion=True)
    assert {s.path for s in only.steps if s.path} == {user_unit_path(COMPANION_UNIT)}
    every = plan_user_uninstall(systemd=True)
    assert {s.path for s in every.steps if s.path} == {user_unit_path(),
                                                       user_unit_path(COMPANION_UNIT)}
