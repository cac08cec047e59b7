"""Every command over MQTT gets an answer on ``<base>/command/result``: the payload's parsing
(:func:`unwrap`), the answer's JSON (:func:`answer_payload`), and the sink's side on messages
as paho hands them over, with a client that records what is published (no broker:
tests/integration/test_mqtt_daemon_commands.py has the real one, with the daemon)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sitwatch.core.clock import ManualClock
from sitwatch.core.events import Event
from sitwatch.core.kinds import NudgeAction
from sitwatch.sinks.actions import Answer
from sitwatch.sinks.mqtt import Asked, MqttConfig, MqttSink, answer_payload, unwrap

RESULT = "sitwatch/command/result"


@dataclass
class Props:
    CorrelationData: bytes | None = None
    ResponseTopic: str | None = None


@dataclass
class Msg:
    topic: str
    payload: bytes
    retain: bool = False
    properties: Props | None = None


@dataclass
class Published:
    topic: str
    payload: str
    qos: int
    retain: bool
    correlation: bytes | None


@dataclass
class RecordingClient:
    sent: list[Published] = field(default_factory=list)

    def publish(self, topic: str, payload: str, qos: int = 0, retain: bool = False,
                properties: Any = None) -> None:
        if "+" in topic or "#" in topic:
            raise ValueError("Publish topic cannot contain wildcards.")  # as paho does
        self.sent.append(Published(topic, payload, qos, retain,
                                   getattr(properties, "CorrelationData", None)))

    def answers(self, topic: str = RESULT) -> list[dict[str, Any]]:
        return [json.loads(p.payload) for p in self.sent if p.topic == topic]


def sink() -> tuple[MqttSink, RecordingClient, list[tuple[str, Event]]]:
    got: list[tuple[str, Event]] = []
    s = MqttSink(MqttConfig(enabled=True, node_id="desk"), ManualClock(),
                 log=logging.getLogger("sitwatch.test.mqtt_answers"),
                 on_command=lambda action, ev: got.append((action, ev)))
    client = RecordingClient()
    s._client = client
    return s, client, got


def send(s: MqttSink, name: str, payload: bytes, **kw: Any) -> None:
    s._on_message(s._client, None, Msg(f"sitwatch/command/{name}", payload, **kw))


# -- the payload ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("payload", "plain", "caller"), [
    (b"wrong learned", b"wrong learned", None),  # plain, as Home Assistant's buttons send
    (b"", b"", None),
    (b'{"value": "wrong learned", "id": "hass-42"}', b"wrong learned", "hass-42"),
    (b'{"id": 7}', b"", 7),  # the command's default (a snooze of snooze_minutes ...)
    (b'{"value": "30m"}', b"30m", None),
    # log's own JSON: the id is taken out, the rest is the entry
    (b'{"kind": "numbness", "side": "left", "id": "n1"}',
     b'{"kind": "numbness", "side": "left"}', "n1"),
])
def test_a_payload_may_carry_a_correlation_id_in_json(payload, plain, caller) -> None:
    assert unwrap(payload) == (plain, caller)


@pytest.mark.parametrize(("payload", "words"), [
    (b"{not json", "not valid JSON"),
    (b'{"value": 30}', "\"value\" must be a text"),
    (b'{"value": "30m", "id": {"a": 1}}', "\"id\" must be a text or a number"),
    (b'{"id": true}', "\"id\" must be a text or a number"),
])
def test_a_payload_that_opens_json_and_is_not_usable_says_why(payload, words) -> None:
    with pytest.raises(ValueError, match=words):
        unwrap(payload)


def test_the_answer_names_the_command_its_outcome_and_the_callers_id() -> None:
    asked = Asked("feedback", "wrong learned", id="hass-42")
    assert answer_payload(asked, Answer(False, "nothing to forget")) == {
        "command": "feedback", "value": "wrong learned", "ok": False,
        "message": "nothing to forget", "event_type": "refused", "id": "hass-42"}
    done = answer_payload(Asked("snooze", "45m"), Answer(True, "nudges snoozed until 10:45"))
    assert done["event_type"] == "done" and done["ok"] is True and "id" not in done
    # MQTT 5 correlation data stands in for the id when the payload named none
    v5 = answer_payload(Asked("pause", "", correlation=b"req-9"), Answer(True, "paused"))
    assert v5["id"] == "req-9"
    assert "id" not in answer_payload(Asked("pause", "", correlation=b"\xff\xfe"),
                                      Answer(True, "paused"))  # not text: property only


# -- the sink ------------------------------------------------------------------------------------


def test_a_command_taken_is_answered_once_the_daemon_says_what_became_of_it() -> None:
    s, client, got = sink()
    send(s, "feedback", b'{"value": "wrong learned", "id": "hass-42"}')
    ((action, ev),) = got
    assert action == NudgeAction.WRONG and ev.get("feedback_kind") == "learned"
    assert client.answers() == []  # the daemon has not done it yet
    s.answer(str(ev.get("reply")), Answer(False, "nothing to forget"))
    (ans,) = client.answers()
    assert ans == {"command": "feedback", "value": "wrong learned", "ok": False,
                   "message": "nothing to forget", "event_type": "refused", "id": "hass-42"}
    (pub,) = client.sent
    assert pub.qos == 1 and pub.retain is False
    s.answer(str(ev.get("reply")), Answer(True, "again"))  # answered once only
    assert len(client.answers()) == 1


def test_a_mode_choice_is_answered_once_for_its_two_steps() -> None:
    s, client, got = sink()
    send(s, "mode", b"snoozed")
    assert [a for a, _ in got] == [NudgeAction.RESUME, NudgeAction.SNOOZE]
    assert got[0][1].get("reply") is None  # only the last step answers
    s.answer(str(got[-1][1].get("reply")), Answer(True, "nudges snoozed until 10:30"))
    assert [(a["command"], a["value"], a["ok"]) for a in client.answers()] == [
        ("mode", "snoozed", True)]


@pytest.mark.parametrize(("name", "payload", "says"), [
    ("feedback", b"what is this now", "send 'wrong' or 'wrong KIND'"),
    ("snooze", b"forever and ever", "send nothing or a duration such as 30m"),
    ("mode", b"asleep", "send one of watching, snoozed, paused"),
    ("log", b"{}", "send a symptom word"),
    ("pause", b'{"value": 5}', "\"value\" must be a text"),
    ("snooze", b"45m sideways", "send nothing or a duration such as 30m, and after it the "
                                "kind of the nudge it answers, if one (30m slouch)"),
    ("done", b"", "send the kind of the nudge that was done: prolonged_sitting, slouch, "
                  "asymmetric_load, wallet, daily_budget, static_sitting"),
    ("done", b"sideways", "send the kind of the nudge that was done"),
    ("reboot", b"now", "unknown command 'reboot': sitwatch takes feedback, done, snooze, pause, "
                       "resume, log and mode under sitwatch/command/"),
])
def test_a_malformed_or_unknown_command_is_refused_at_once_and_counted(
        name, payload, says, caplog) -> None:
    s, client, got = sink()
    with caplog.at_level(logging.WARNING):
        send(s, name, payload)
    assert got == [] and s.commands == 0 and s.refused == 1
    (ans,) = client.answers()
    assert ans["command"] == name and ans["ok"] is False and ans["event_type"] == "refused"
    assert says in ans["message"]
    assert ans["value"] == payload.decode()[:40]
    assert [r.getMessage() for r in caplog.records] == [
        f"mqtt: sitwatch/command/{name}: ignored {payload.decode()!r}: {ans['message']}"]


def test_done_and_a_snooze_that_names_its_nudge_reach_the_daemon_with_the_kind() -> None:
    s, client, got = sink()
    send(s, "done", b"slouch")
    send(s, "snooze", b'{"value": "45m asymmetric_load", "id": "desk"}')
    ((done, ev1), (snooze, ev2)) = got
    assert (done, ev1.get("kind"), ev1.get("via")) == (NudgeAction.DONE, "slouch", "mqtt")
    assert (snooze, ev2.get("kind"), ev2.get("minutes")) == (NudgeAction.SNOOZE,
                                                              "asymmetric_load", 45)
    for ev in (ev1, ev2):
        s.answer(str(ev.get("reply")), Answer(True, "ok"))
    assert [(a["command"], a["value"]) for a in client.answers()] == [
        ("done", "slouch"), ("snooze", "45m asymmetric_load")]


def test_retained_commands_and_our_own_answers_are_not_taken_nor_answered() -> None:
    s, client, got = sink()
    send(s, "pause", b"", retain=True)  # kept by the broker from an earlier session
    s._on_message(client, None, Msg(RESULT, b'{"ok": true}'))  # an answer is no command
    assert got == [] and client.sent == [] and s.refused == 0


def test_an_mqtt5_response_topic_gets_the_answer_with_the_correlation_data() -> None:
    s, client, got = sink()
    props = Props(CorrelationData=b"req-1", ResponseTopic="my/replies")
    send(s, "snooze", b"45m", properties=props)
    ((_, ev),) = got
    assert ev.get("minutes") == 45
    s.answer(str(ev.get("reply")), Answer(True, "nudges snoozed until 10:45"))
    assert [(p.topic, p.correlation) for p in client.sent] == [
        (RESULT, b"req-1"), ("my/replies", b"req-1")]
    assert client.answers("my/replies") == client.answers()
    assert client.answers()[0]["value"] == "45m" and client.answers()[0]["id"] == "req-1"
    # a response topic that cannot be published to still leaves the usual answer
    send(s, "resume", b"", properties=Props(b"req-2", "bad/+/topic"))
    s.answer(str(got[-1][1].get("reply")), Answer(True, "resumed"))
    assert [a["id"] for a in client.answers()] == ["req-1", "req-2"]


def test_answers_wait_for_the_daemon_only_for_the_last_hundred_commands() -> None:
    s, client, got = sink()
    for _ in range(101):
        send(s, "resume", b"")
    s.answer(str(got[0][1].get("reply")), Answer(True, "resumed"))  # forgotten: dropped
    s.answer(str(got[-1][1].get("reply")), Answer(True, "resumed"))
    assert len(client.answers()) == 1


@settings(max_examples=200, deadline=None)
@given(name=st.sampled_from(["feedback", "done", "snooze", "pause", "resume", "mode", "log",
                             "x"]),
       payload=st.one_of(st.binary(max_size=80),
                         st.dictionaries(st.sampled_from(["id", "value", "kind", "side"]),
                                         st.one_of(st.none(), st.booleans(), st.integers(),
                                                   st.text(max_size=20)),
                                         max_size=4).map(lambda d: json.dumps(d).encode())))
def test_any_payload_on_any_command_is_survived_and_answered_or_handed_on(name, payload) -> None:
    s, client, got = sink()
    send(s, name, payload)
    for _, ev in got:
        if ev.get("reply"):
            s.answer(str(ev.get("reply")), Answer(True, "done"))
    (ans,) = client.answers()  # exactly one answer, whatever came
    assert ans["command"] == name and isinstance(ans["ok"], bool) and ans["message"]


@pytest.mark.parametrize(("payload", "kind"), [
    (b"asymmetric_load", "asymmetric_load"), (b"lopsided", "asymmetric_load"),
    (b"Static", "static_sitting"), (b"time-to-move", "prolonged_sitting"), (b"slouch", "slouch"),
])
def test_done_takes_a_nudge_by_the_words_feedback_takes(payload, kind) -> None:
    """`feedback wrong lopsided` works, so `done lopsided` must too (it was refused: only the
    event's own ``asymmetric_load`` was taken); snooze names its nudge the same way."""
    s, _client, got = sink()
    send(s, "done", payload)
    assert [(a, e.get("kind")) for a, e in got] == [(NudgeAction.DONE, kind)]
    s2, _client2, got2 = sink()
    send(s2, "snooze", b"20m " + payload)
    assert [(a, e.get("kind"), e.get("minutes")) for a, e in got2] == [
        (NudgeAction.SNOOZE, kind, 20)]
