"""The daemon answers every command sent over MQTT (the ones whose event carries a ``reply``):
done, or why not, in the words the command line uses for the same command; a click on a
notification's button asks for no answer and gets none."""

from __future__ import annotations

import logging
from datetime import datetime

from sitwatch.config import Config, for_layout
from sitwatch.core.clock import ManualClock
from sitwatch.core.events import NUDGE, NUDGE_ACK, NUDGE_OUTCOME, Event
from sitwatch.core.kinds import NudgeAction, NudgeKind
from sitwatch.nudging import control
from sitwatch.nudging.answers import NOTHING_LEARNED
from sitwatch.nudging.gate import NudgeGate
from sitwatch.runtime.daemon import Daemon
from sitwatch.runtime.learning import Learner
from sitwatch.sinks.actions import ActionInbox, Answer
from tests.helpers.doubles import Collect
from tests.unit.runtime.test_learned_notice import Frames
from tests.unit.sensing.test_baseline_modes import CHAIR, UPRIGHT, chair_profile


class Answers:
    """The channel's side (:class:`sitwatch.runtime.daemon.CommandAnswers`): what it is told."""

    def __init__(self) -> None:
        self.got: list[tuple[str, Answer]] = []

    def answer(self, reply: str, answer: Answer) -> None:
        self.got.append((reply, answer))


def build(tmp_path):
    tmp_path.mkdir(parents=True, exist_ok=True)
    clock = ManualClock(datetime(2026, 1, 5, 10, 0).astimezone())
    cpath = tmp_path / "control.json"
    gate = NudgeGate(Config().nudges, clock, control=control.Watcher(cpath, clock.monotonic))
    inbox, answers = ActionInbox(), Answers()
    learner = Learner(for_layout(Config(), CHAIR), tmp_path / "feedback.json", clock,
                      control_path=cpath)
    d = Daemon(Config(), CHAIR, Frames(clock, [(1, UPRIGHT)]), clock, profile=chair_profile(),
               sinks=Collect(), inbox=inbox, learner=learner, gate=gate, answers=answers)
    return d, inbox, answers


def ask(d: Daemon, inbox: ActionInbox, answers: Answers, action: str,
        **data: object) -> Answer:
    """One command from MQTT with a reply token; the daemon's answer to it."""
    reply = str(len(answers.got) + 1)
    inbox.put(action, Event(0.0, NUDGE, None, {"via": "mqtt", "reply": reply, **data}))
    d.step(0)
    ((got, answer),) = answers.got[-1:]
    assert got == reply
    return answer


def test_not_right_is_answered_in_the_words_of_sitwatch_feedback(tmp_path) -> None:
    d, inbox, answers = build(tmp_path)
    # nothing learned: refused, as `sitwatch feedback wrong learned` refuses it (exit 2)
    assert ask(d, inbox, answers, NudgeAction.WRONG, feedback_kind="learned") == Answer(
        False, NOTHING_LEARNED)
    # no posture nudge yet, and none named: nothing it could be about
    no_nudge = ask(d, inbox, answers, NudgeAction.WRONG)
    assert no_nudge == Answer(False, "no nudge about posture yet that could be wrong; name the "
                                     "kind: \"wrong KIND\" (slouch, leaning_forward, lopsided, "
                                     "wallet, static, learned)")
    assert not ask(d, inbox, answers, NudgeAction.WRONG, feedback_kind="sideways").ok
    named = ask(d, inbox, answers, NudgeAction.WRONG, feedback_kind="slouch")
    assert named.ok
    assert named.message.startswith("Noted: that slouching nudge was not right. It will take a "
                                    "clearer slouching posture from now on (step 1 of 3):")
    assert named.message.endswith("Undo with `sitwatch feedback reset slouch`.")


def test_snooze_pause_resume_are_answered_in_the_words_of_the_commands(tmp_path) -> None:
    d, inbox, answers = build(tmp_path)
    assert ask(d, inbox, answers, NudgeAction.SNOOZE, minutes=45.0) == Answer(
        True, "nudges snoozed until 10:45 (sitwatch keeps watching)")
    assert ask(d, inbox, answers, NudgeAction.PAUSE) == Answer(
        True, "paused until `sitwatch resume`: nothing is watched or kept meanwhile")
    assert ask(d, inbox, answers, NudgeAction.RESUME) == Answer(
        True, "resumed: watching and nudging again")


def test_a_symptom_is_answered_with_what_was_logged_or_why_not(tmp_path, caplog) -> None:
    d, inbox, answers = build(tmp_path)
    bad = ask(d, inbox, answers, NudgeAction.LOG, symptom={"kind": "itch"})
    assert not bad.ok and "itch" in bad.message
    # this daemon keeps no history: told so, not "Logged"
    assert ask(d, inbox, answers, NudgeAction.LOG, symptom={"kind": "numbness"}) == Answer(
        False, "Not logged: the history is off ([history] enabled), so there is no diary to "
               "keep it in.")
    # a warning sign: the advice to seek care comes first, as sentences, whatever else
    with caplog.at_level(logging.WARNING, logger="sitwatch"):
        flag = ask(d, inbox, answers, NudgeAction.LOG,
                   symptom={"kind": "numbness", "where": "saddle"})
    assert flag.message.startswith("Please get medical care now. You noted numbness in the "
                                   "saddle area")
    # the journal says it in sentences too (the heading ran into the next one)
    warned = [r.getMessage() for r in caplog.records if "warning sign" in r.getMessage()]
    assert warned and "Please get medical care now. You noted" in warned[0]


def test_a_click_on_a_notification_asks_for_no_answer(tmp_path) -> None:
    d, inbox, answers = build(tmp_path)
    inbox.put(NudgeAction.WRONG, Event(0.0, NUDGE, None, {"feedback_kind": "learned"}))
    inbox.put(NudgeAction.RESUME, Event(0.0, NUDGE, None, {"via": "mqtt"}))  # no reply asked
    d.step(0)
    assert answers.got == []


def nudged(d: Daemon, kind: NudgeKind) -> None:
    """A ``kind`` nudge went out a minute ago and waits for the sitter's answer (after the
    cushion's last frame: no reading settles it meanwhile)."""
    while d.source.todo:  # type: ignore[union-attr]
        d.step(0)
    d.nudger.policy.track(kind, d.clock.monotonic())
    d.clock.advance(60)  # type: ignore[attr-defined]


def test_done_from_afar_is_recorded_as_the_local_button_records_it(tmp_path) -> None:
    """`sitwatch companion`'s Done (``<base>/command/done``) on the desktop, and Done on the
    daemon's own notification: the same ``nudge_ack``, the same nudge acted on."""
    here, here_inbox, _ = build(tmp_path / "here")
    afar, afar_inbox, answers = build(tmp_path / "afar")
    for d in (here, afar):  # still seated: time to move waits for the sitter to get up
        nudged(d, NudgeKind.PROLONGED_SITTING)
    here_inbox.put(NudgeAction.DONE, Event(1.0, NUDGE, None, {"kind": "prolonged_sitting",
                                                              "title": "Time to move"}))
    here.step(0)
    answer = ask(afar, afar_inbox, answers, NudgeAction.DONE, kind="prolonged_sitting")
    clicked, sent = ([e for e in d.sinks.events  # type: ignore[union-attr]
                      if e.event in (NUDGE_ACK, NUDGE_OUTCOME)] for d in (here, afar))
    assert [(e.event, e.get("kind"), e.get("action"), e.get("responded")) for e in clicked] == [
        (NUDGE_ACK, "prolonged_sitting", "done", None),
        (NUDGE_OUTCOME, "prolonged_sitting", None, True)]
    assert [(e.t, e.event, {k: v for k, v in e.data.items() if k != "source"})
            for e in sent] == [(e.t, e.event, e.data) for e in clicked]
    assert sent[0].get("source") == "mqtt"
    assert answer == Answer(True, "Done: the \"time to move\" nudge counts as acted on.")
    # a second Done: nothing waits for an answer any more; recorded, and said so
    again = ask(afar, afar_inbox, answers, NudgeAction.DONE, kind="prolonged_sitting")
    assert again.ok and again.message.startswith("Noted: Done on the \"time to move\" nudge. "
                                                 "None was waiting for an answer")


def test_a_snooze_from_afar_that_names_its_nudge_is_recorded_as_its_button(tmp_path) -> None:
    d, inbox, answers = build(tmp_path)
    nudged(d, NudgeKind.ASYMMETRIC_LOAD)
    answer = ask(d, inbox, answers, NudgeAction.SNOOZE, minutes=45.0, kind="asymmetric_load")
    assert answer == Answer(True, "nudges snoozed until 10:46 (sitwatch keeps watching)")
    acks = [e for e in d.sinks.events if e.event == NUDGE_ACK]  # type: ignore[union-attr]
    assert [e.data for e in acks] == [{"kind": "asymmetric_load", "action": "snooze",
                                       "source": "mqtt"}]
    # one that names none (Home Assistant's button, `mosquitto_pub`) is no click on a nudge
    ask(d, inbox, answers, NudgeAction.SNOOZE, minutes=10.0)
    assert len([e for e in d.sinks.events if e.event == NUDGE_ACK]) == 1  # type: ignore[union-attr]
