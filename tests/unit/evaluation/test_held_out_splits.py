"""Leave-one-out splitting: no held-out figure may use calibration or tuning data from the run,
session or person it scores."""

from dataclasses import replace

import pytest

from sitwatch.evaluation import camera, population, robustness, technion, tuning
from sitwatch.evaluation.tuning import HELD_OUT

# the webcam dataset's runs: session 1 (labels 0-5 in order), session 2 (starts over)
WEBCAM_LABELS = [0, 1, 2, 3, 4, 5, 4, 3, 2, 1, 0, 1, 3, 4, 5, 2]


def test_webcam_splits_never_score_their_calibration_run() -> None:
    plan = camera.split_plan(WEBCAM_LABELS)
    assert [(cal, same) for cal, _, same in plan] == [(0, False), (0, True), (10, False),
                                                      (10, True)]
    for cal, scored, same in plan:
        assert cal not in scored
        assert all(WEBCAM_LABELS[i] in (0, 1) for i in scored)
        sessions = {camera.session_of(i) for i in scored}
        assert sessions == {camera.session_of(cal)} if same else \
            camera.session_of(cal) not in sessions
    assert plan[0][1] == [9, 10, 11] and plan[2][1] == [0, 1]


def test_technion_picks_each_sessions_threshold_on_the_others_only() -> None:
    sessions = [technion.Session([(2, None, 0.1 * k)]) for k in range(5)]
    seen: list[list[technion.Session]] = []

    def spy(train: list[technion.Session]) -> float:
        seen.append(train)
        return 0.25

    assert technion.loso_picks(sessions, spy) == [0.25] * 5
    for s, train in zip(sessions, seen, strict=True):
        assert s not in train and len(train) == 4


def test_technion_pick_prefers_the_middle_of_the_best_thresholds() -> None:
    # lifted legs at 0.3 and 0.4, calm frames at 0.05: every threshold in 0.1..0.3 is perfect
    sessions = [technion.Session([(2, None, 0.3), (3, None, 0.4), (1, None, 0.05)])]
    assert technion._pick(sessions) == 0.2


@pytest.fixture(scope="module")
def people():
    """Two short simulated sitters on the 12-sensor chair, as the smartchair tables take them."""
    out = []
    for s in [x for x in population.population(10) if x.layout == "smartchair-12"][:2]:
        d = population.recording(s)
        keep = d.t < 700  # empty, calibration, upright, slump, upright, a lean
        out.append(replace(d, person=f"p{s.index}", t=d.t[keep], values=d.values[keep],
                           label=d.label[keep]))
    return out


def test_lopo_rows_tune_on_the_other_people_only(people, monkeypatch) -> None:
    calls: list[list[str]] = []

    def spy(train):
        calls.append([d.person for d in train])
        return {"detect.balance.threshold": 0.25}

    monkeypatch.setattr(tuning, "tune", spy)
    rows = tuning.smartchair_table(people, lopo=True)
    rows += robustness.seat_only_table(people, lopo=True)
    held = [(p, k) for p, k, _ in rows if k.startswith(HELD_OUT)]
    assert len(held) == 2 + 2 * len(robustness.SEAT_ONLY)
    assert len(calls) == len(held)
    for (person, _), train in zip(held, calls, strict=True):
        assert train and person not in train
    assert sum("naive stand-in" in k for _, k, _ in rows) == 2 + 2 * len(robustness.SEAT_ONLY)
