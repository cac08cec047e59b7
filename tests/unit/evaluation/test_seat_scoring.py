"""Scoring what the user gets on a seat alone (issue #10): a slump the seat reports as "weight
forward" still brings a "sit back" nudge, so it counts as found, and the same state on upright
time counts against us; the strict figures (``slouched`` alone) stay beside them. The seconds
in which the detectors confirm that the sitter sat up after a slump are its release, reported
on their own, not false alarms."""

import numpy as np
import pytest

from sitwatch.core.kinds import Occupancy, Posture
from sitwatch.evaluation import datasets, population, scoring
from sitwatch.evaluation.summary import FALSE_SLOUCH, SLUMP, Summary
from sitwatch.sensing import layout

UP, SLUMP_CODE, PERCH = population.UPRIGHT_BACK, population.SLUMP, population.PERCH
# (label, start, end) in seconds, one frame a second
PLAN = [(UP, 0, 60), (SLUMP_CODE, 60, 120), (UP, 120, 200), (PERCH, 200, 260), (UP, 260, 300)]


def recording(lay: layout.Layout) -> tuple[datasets.Labelled, scoring.Trace]:
    t = np.arange(300, dtype=float)
    label = np.zeros(len(t), int)
    for code, a, b in PLAN:
        label[(t >= a) & (t < b)] = code
    d = datasets.Labelled("test/seat", "someone", lay, t, np.zeros((len(t), lay.n)), label, {},
                          population.CLASSES)
    post = np.full(len(t), Posture.UPRIGHT, dtype=object)
    post[(t >= 70) & (t < 128)] = Posture.LEANING_FORWARD  # the slump, read as weight forward
    post[(t >= 150) & (t < 160)] = Posture.LEANING_FORWARD  # 10 s of a false "sit back"
    post[(t >= 205) & (t < 262)] = Posture.LEANING_FORWARD  # the perch
    occ = np.full(len(t), Occupancy.OCCUPIED, dtype=object)
    return d, scoring.Trace(t, occ, post, np.full(len(t), "balanced", dtype=object),
                            np.zeros(len(t)), [])


def test_on_a_seat_alone_weight_forward_finds_the_slump_and_counts_against_upright() -> None:
    d, tr = recording(layout.grid(3, 3))
    s = scoring.score(d, tr)
    assert s.slouch_recall == 1.0 and s.slouch_latency == 10.0
    assert s.slouch_recall_strict == 0.0 and s.slouch_latency_strict is None
    # upright time: 180 s, less 15 s after the slump and after the perch = 150 s; 10 s false
    assert s.slouch_false == pytest.approx(10 / 150)
    assert s.slouch_false_s == pytest.approx(10.0)
    assert s.slouch_false_strict == 0.0
    assert s.slouch_release == 8.0  # weight forward held 8 s past the slump's end
    # a perch: weight forward all through, a "sit back" nudge, never a slump
    assert s.perch_slouched == 0.0 and s.perch_forward == pytest.approx(55 / 60)
    assert s.perch_sit_back == pytest.approx(55 / 60)


def test_with_backrest_sensors_only_slouched_is_a_slump() -> None:
    """A chair with backrest sensors tells a slump from a forward lean: there, leaning forward
    finds no slump and is no false slouch (it is a false forward lean)."""
    d, tr = recording(layout.load("smartchair-12"))
    s = scoring.score(d, tr)
    assert s.slouch_recall == s.slouch_recall_strict == 0.0
    assert s.slouch_false == s.slouch_false_strict == 0.0
    assert s.forward_false == pytest.approx(10 / 150)


def test_the_release_after_a_slump_is_no_false_alarm_but_is_reported() -> None:
    """Scored with no release window, the 8 s weight forward outlasts the slump are false
    alarms; by default they are left out and reported as how long the slump took to clear."""
    d, tr = recording(layout.grid(3, 3))
    raw = scoring.score(d, tr, release=0.0)
    assert raw.slouch_false_s == pytest.approx(10.0 + 8.0 + 2.0)  # + 2 s after the perch
    assert scoring.score(d, tr).slouch_release == raw.slouch_release == 8.0


def test_the_summary_shows_the_strict_figure_where_it_differs() -> None:
    d, tr = recording(layout.grid(3, 3))
    summary = Summary()
    summary.scores("a seat", [("someone", scoring.score(d, tr))], targets=(SLUMP, FALSE_SLOUCH))
    _, rows = summary.table()
    assert rows[0][2] == "someone 100.0% (10 s; read as slouched: 0.0%)" and rows[0][3] == "yes"
    assert rows[1][2] == "someone 6.7% (10 s; read as slouched: 0.0%)" and rows[1][3] == "no"


def test_the_summary_tells_fsr9s_two_held_out_rows_per_session_apart() -> None:
    """fsr-cushion-9 has two held-out rows per session (the thresholds, and the half-lying
    cues, from the other session): the summary named both "session1" alike."""
    from sitwatch.evaluation.report import _fsr_folds, held_out_rows

    d, tr = recording(layout.grid(3, 3))
    s = scoring.score(d, tr)
    rows = [("session1", "defaults, profile, 10 Hz", s),
            ("session1", "loso, profile, 10 Hz (threshold=0.3)", s),
            ("session1", "loso, half-lying cues from session2 (sit bones 0.7), 10 Hz", s),
            ("session1", "loso, profile, 5 Hz (threshold=0.3)", s)]
    summary = Summary()
    summary.scores("fsr", _fsr_folds(held_out_rows(rows, "10 Hz")), targets=(SLUMP,))
    _, table = summary.table()
    assert table[0][2].startswith("session1 (thresholds) 100.0%")
    assert "; session1 (cues) 100.0%" in table[0][2]
