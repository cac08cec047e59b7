"""The daemon tells the sitter when it learns a way of sitting upright clear of the backrest,
and a "Not right" on that notice (its button, `sitwatch feedback wrong learned`, MQTT) forgets
the way, keeps it from being learned again and saves the profile; a reset undoes that."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest

from sitwatch.config import Config, for_layout
from sitwatch.core.clock import ManualClock
from sitwatch.nudging import control
from sitwatch.nudging import feedback as fb
from sitwatch.nudging.gate import NudgeGate
from sitwatch.runtime.daemon import Daemon
from sitwatch.runtime.learning import Learner
from sitwatch.sensing import calibration
from sitwatch.sinks.actions import DEFAULT_ACTIONS, ActionInbox, actions_for, learned_notice
from sitwatch.sinks.console import format_event
from sitwatch.sources.base import Reading
from tests.helpers.doubles import Collect
from tests.unit.sensing.test_baseline_modes import CHAIR, UPRIGHT, away_frame, chair_profile


class Frames:
    """5 Hz frames from a schedule of (seconds, frame); the clock advances with every poll."""

    name = "frames"

    def __init__(self, clock: ManualClock, schedule: list[tuple[float, np.ndarray]]) -> None:
        self.clock = clock
        self.todo = [(round(s / 0.2), f) for s, f in schedule]

    def poll(self, max_wait: float) -> list[Reading]:
        while self.todo and self.todo[0][0] <= 0:
            self.todo.pop(0)
        if not self.todo:
            return []
        n, frame = self.todo[0]
        self.todo[0] = (n - 1, frame)
        self.clock.advance(0.2)
        return [Reading(self.clock.monotonic(), frame)]

    def add(self, seconds: float, frame: np.ndarray) -> None:
        self.todo.append((round(seconds / 0.2), frame))

    def close(self) -> None:
        pass

    def stats(self) -> dict[str, object]:
        return {"port": "frames", "online": True}


LEAN = away_frame(0.0)  # elbows on the thighs: the seat's load and centre kept, still


class Busy:
    """Do-not-disturb that is on (a call, a shared screen)."""

    def active(self) -> tuple[bool, str]:
        return True, "screen shared"


def build(tmp_path, schedule, *, snoozed=False, busy=False, cfg=None, learn=None):
    clock = ManualClock(datetime(2026, 1, 5, 10, 0).astimezone())
    cpath = tmp_path / "control.json"
    if snoozed:
        control.write(cpath, control.change(control.read(cpath), "snooze", clock.now(),
                                            timedelta(hours=2)))
    gate = NudgeGate((cfg or Config()).nudges, clock,
                     control=control.Watcher(cpath, clock.monotonic),
                     dnd=Busy() if busy else None)
    saved: list[calibration.Profile] = []
    sink, inbox = Collect(), ActionInbox()
    learner = Learner(for_layout(learn or Config(), CHAIR), tmp_path / "feedback.json", clock,
                      control_path=cpath)
    src = Frames(clock, schedule)
    d = Daemon(Config(), CHAIR, src, clock, profile=chair_profile(), sinks=sink, inbox=inbox,
               learner=learner, gate=gate, save_profile=saved.append)
    return d, src, sink, inbox, saved


def drive(d: Daemon, src: Frames) -> None:
    while src.todo:
        d.step(0)
    d.step(0)


def learned_events(sink, since=0):
    return [e for e in sink.events[since:] if e.event == "calibration" and e.state == "learned"]


def test_a_learned_way_is_a_notice_with_one_button_and_not_right_forgets_it(tmp_path) -> None:
    d, src, sink, inbox, saved = build(tmp_path, [(90, UPRIGHT), (150, LEAN)])
    drive(d, src)
    (notice,) = learned_events(sink)
    assert learned_notice(notice) and notice.get("feedback_kind") == "learned"
    assert "upright" in notice.get("title") and "Not right" in notice.get("message")
    assert "sitwatch feedback wrong learned" in notice.get("message")
    assert actions_for(notice, DEFAULT_ACTIONS) == (("wrong", "Not right"),)
    assert notice.get("title") in format_event(notice)  # the console shows it too
    assert saved[-1].learned is not None and saved[-1].learned.ways == 1
    # the button: the way is forgotten, kept rejected in the saved profile, the feedback logged
    inbox.put("wrong", notice)
    src.add(1, LEAN)
    drive(d, src)
    fbk = [e for e in sink.events if e.event == "feedback"]
    assert [(e.state, e.get("kind"), e.get("steps"), e.get("applied"), e.get("source"))
            for e in fbk] == [("wrong", "learned", 1, True, "button")]
    assert "changes" not in fbk[0].data  # no threshold moves
    dropped = learned_events(sink)[-1]
    assert (dropped.get("ways"), dropped.get("rejected")) == (0, 1)
    assert not learned_notice(dropped)
    assert d.pipeline.ways_learned() == 0
    assert saved[-1].learned is not None
    assert saved[-1].learned.ways == 0 and len(saved[-1].learned.rejected) == 1
    assert fb.load(tmp_path / "feedback.json").steps == {"learned": 1}
    # sat again the same way for a long while: not learned again, no notice
    mark = len(sink.events)
    src.add(400, LEAN)
    drive(d, src)
    assert learned_events(sink, mark) == []
    # a reset of every kind lets it be learned again
    d.feedback("reset", None, source="cli")
    assert saved[-1].learned is None
    mark = len(sink.events)
    src.add(200, LEAN)
    drive(d, src)
    assert [learned_notice(e) for e in learned_events(sink, mark)] == [True]


def test_a_not_right_with_nothing_learned_is_recorded_and_changes_nothing(tmp_path) -> None:
    d, src, sink, _inbox, saved = build(tmp_path, [(30, UPRIGHT)])
    drive(d, src)
    evs = d.feedback("wrong", fb.parse_kind("learned"), source="cli")
    assert [(e.event, e.get("applied")) for e in evs] == [("feedback", False)]
    assert saved == [] and fb.load(tmp_path / "feedback.json").steps == {}


@pytest.mark.parametrize("why", ["snoozed", "do not disturb", "quiet hours"])
def test_no_notice_when_a_nudge_could_not_be_shown_now(tmp_path, why) -> None:
    """The way is learned and saved all the same; the sitter is not interrupted, and the
    question (about how they sit at this moment) is not held for later."""
    quiet = Config(nudges={"quiet_hours": ["09:00-11:00"]})
    d, src, sink, _inbox, saved = build(
        tmp_path, [(90, UPRIGHT), (150, LEAN)], snoozed=why == "snoozed",
        busy=why == "do not disturb", cfg=quiet if why == "quiet hours" else None)
    drive(d, src)
    (ev,) = learned_events(sink)
    assert not learned_notice(ev) and ev.get("title") is None
    assert saved[-1].learned is not None and saved[-1].learned.ways == 1


def test_an_mqtt_wrong_learned_forgets_the_way_too(tmp_path) -> None:
    """Home Assistant's "Not right: the way of sitting just learned" button publishes `wrong
    learned`; the MQTT sink hands it to the daemon's inbox as this event."""
    from sitwatch.core.events import NUDGE, Event

    d, src, sink, inbox, saved = build(tmp_path, [(90, UPRIGHT), (150, LEAN)])
    drive(d, src)
    assert d.pipeline.ways_learned() == 1
    inbox.put("wrong", Event(0.0, NUDGE, None, {"via": "mqtt", "feedback_kind": "learned"}))
    src.add(1, LEAN)
    drive(d, src)
    fbk = [e for e in sink.events if e.event == "feedback"]
    assert [(e.get("kind"), e.get("source"), e.get("applied")) for e in fbk] == [
        ("learned", "mqtt", True)]
    assert d.pipeline.ways_learned() == 0 and len(saved[-1].learned.rejected) == 1


def mqtt_wrong_learned():
    from sitwatch.core.events import NUDGE, Event

    return Event(0.0, NUDGE, None, {"via": "mqtt", "feedback_kind": "learned"})


def test_an_mqtt_wrong_learned_with_nothing_learned_is_not_recorded(tmp_path, caplog) -> None:
    """As `sitwatch feedback wrong learned` refuses it (exit 2): nothing to forget, so no
    feedback event, no step in the feedback file, no profile saved; the journal says why.
    After a first answer forgot the only way learned, a second finds nothing either."""
    import logging

    d, src, sink, inbox, saved = build(tmp_path, [(30, UPRIGHT)])
    drive(d, src)
    assert d.pipeline.ways_learned() == 0
    with caplog.at_level(logging.WARNING, logger="sitwatch"):
        inbox.put("wrong", mqtt_wrong_learned())
        src.add(1, UPRIGHT)
        drive(d, src)
    assert [e for e in sink.events if e.event == "feedback"] == []
    assert not (tmp_path / "feedback.json").exists() and saved == []
    (line,) = [r.getMessage() for r in caplog.records if "learned" in r.getMessage()]
    assert line.startswith("feedback: \"Not right\" over MQTT (Home Assistant) about the way "
                           "of sitting learned was not recorded: sitwatch has learned no way")

    d, src, sink, inbox, saved = build(tmp_path / "again", [(90, UPRIGHT), (150, LEAN)])
    drive(d, src)
    for _ in range(2):
        inbox.put("wrong", mqtt_wrong_learned())
        src.add(1, LEAN)
        drive(d, src)
    fbk = [e for e in sink.events if e.event == "feedback"]
    assert [(e.get("kind"), e.get("applied")) for e in fbk] == [("learned", True)]
    assert fb.load(tmp_path / "again" / "feedback.json").steps == {"learned": 1}


def test_an_mqtt_wrong_learned_that_could_change_nothing_anyway_is_recorded(tmp_path) -> None:
    """With feedback off, an answer is recorded as changing nothing whatever it is about, as
    the command line does: the refusal is only for an answer that would otherwise count."""
    (tmp_path / "off").mkdir()
    d, src, sink, inbox, _saved = build(tmp_path / "off", [(30, UPRIGHT)],
                                        learn=Config(feedback={"enabled": False}))
    drive(d, src)
    inbox.put("wrong", mqtt_wrong_learned())
    src.add(1, UPRIGHT)
    drive(d, src)
    fbk = [e for e in sink.events if e.event == "feedback"]
    assert [(e.get("kind"), e.get("applied")) for e in fbk] == [("learned", False)]
