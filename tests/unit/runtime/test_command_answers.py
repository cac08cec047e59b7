"""The daemon answers every command sent over MQTT (the ones whose event carries a ``reply``):
done, or why not, in the words the command line uses for the same command; a click on a
notification's button asks for no answer and gets none."""

from __future__ import annotations

import logging
from datetime import datetime

from sitwatch.config import Config, for_layout
from sitwatch.core.clock import ManualClock
from sitwatch.core.events import NUDGE, Event
from sitwatch.core.kinds import NudgeAction
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
