"""The population's wrong-nudge count (docs/accuracy.md, the population's nudge table): a
posture nudge sent while the labels say the sitter sat calmly is wrong, unless the episode it
was for began in the posture it names (then it is late: the state outlasts a lean by its
release); a sit-back nudge on a perch is counted apart."""

from __future__ import annotations

import numpy as np

from sitwatch.core.events import BALANCE, NUDGE, POSTURE, Event
from sitwatch.core.kinds import NudgeKind, Posture
from sitwatch.evaluation import population
from sitwatch.evaluation.datasets import Labelled
from sitwatch.evaluation.feedback import NudgeCount, nudge_count

HZ = 2.0
UP, LEFT, PERCH = population.UPRIGHT_BACK, population.LEFT, population.PERCH


def labelled() -> Labelled:
    """An hour: 10 min upright, 10 min leaning left, 10 min upright, 10 min perched, 20 min
    upright."""
    t = np.arange(0, 3600, 1 / HZ)
    lab = np.full(len(t), UP)
    lab[(t >= 600) & (t < 1200)] = LEFT
    lab[(t >= 1800) & (t < 2400)] = PERCH
    lay = population.layout_for("smartchair-12")
    return Labelled("x", "x", lay, t, np.zeros((len(t), lay.n)), lab, {},
                    population.CLASSES)


def lopsided(t: float) -> Event:
    return Event(t, NUDGE, None, {"kind": NudgeKind.ASYMMETRIC_LOAD})


def sit_back(t: float) -> Event:
    return Event(t, NUDGE, None, {"kind": NudgeKind.SLOUCH, "posture": Posture.LEANING_FORWARD})


def test_right_wrong_late_and_perched() -> None:
    d = labelled()
    events = [
        Event(610, BALANCE, "left"), lopsided(730),  # right: during the lean
        lopsided(1205),  # late: the lean began at 610 and ended at 1200
        Event(1300, BALANCE, "right"), lopsided(1420),  # wrong: upright throughout
        Event(1810, POSTURE, "leaning_forward"), sit_back(1900),  # perched: apart
        Event(2500, POSTURE, "leaning_forward"), sit_back(2600),  # wrong: upright
        Event(2700, NUDGE, None, {"kind": NudgeKind.PROLONGED_SITTING}),  # not about posture
    ]
    n = nudge_count(d, events, HZ)
    assert (n.sent, n.wrong, n.late, n.perch) == (5, 2, 1, 1)
    assert n.hours == 1.0
    assert n + n == NudgeCount(10, 4, 2, 2, 2.0)


def test_the_population_sends_few_wrong_nudges() -> None:
    """Four sitters, one on each of four devices, replayed with the shipped defaults: nudges
    go out, and none of them in a calm posture."""
    rs = population.run(4)
    sent = sum(r.nudges.sent for r in rs)
    assert sent >= 4
    assert sum(r.nudges.wrong for r in rs) == 0
    rows = population.nudge_rows(rs)
    assert rows[-1][0] == "all layouts" and rows[-1][3] == str(sent)
