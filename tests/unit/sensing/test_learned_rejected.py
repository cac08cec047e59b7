"""A learned way of sitting the sitter rejects ("Not right" on the notice that it was learned):
forgotten, never learned again, kept in the profile, and learning opens again so the real
upright clear of the backrest can still be learned."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sitwatch.config import Config
from sitwatch.core.events import Event, new_way_learned
from sitwatch.sensing import calibration
from sitwatch.sensing.detectors import baseline as B
from sitwatch.sensing.pipeline import Pipeline
from tests.unit.sensing.test_baseline_modes import (
    CHAIR,
    UPRIGHT,
    away_frame,
    chair_profile,
    learned_lean_first,
    run,
)


def events(pl: Pipeline, frame: np.ndarray, t0: float, seconds: float,
           dt: float = 0.5) -> tuple[list[Event], float]:
    out, t = [], t0
    while t < t0 + seconds:
        out += pl.process(t, frame)
        t += dt
    return out, t


def test_learning_a_way_is_a_notice_and_rejecting_it_is_not() -> None:
    pl = Pipeline(CHAIR, Config(), chair_profile())
    t = run(pl, UPRIGHT, 0, 90)
    got, t = events(pl, away_frame(0.0), t, 150)
    learned = [e for e in got if e.event == "calibration" and e.state == "learned"]
    assert [(e.get("ways"), e.get("was")) for e in learned] == [(1, 0)]
    assert new_way_learned(learned[0])
    dropped = pl.reject_learned(t)
    assert [(e.get("ways"), e.get("was"), e.get("rejected")) for e in dropped] == [(0, 1, 1)]
    assert not new_way_learned(dropped[0])


def test_a_rejected_lean_is_forgotten_and_never_learned_again_but_the_upright_is() -> None:
    """Issue #10's held-out class with its elbows-on-the-thighs lean learned first (centred on
    the calibrated upright): the sitter answers "Not right". The lean is dropped; sat again,
    however long, it is not learned; the real upright clear of the backrest (0.3 to the right)
    still is, and reads balanced."""
    pl, t = learned_lean_first()
    assert pl.reject_learned(t)
    assert pl.baseline.away is None and pl.baseline.away_open  # learning opens again
    assert pl.ways_learned() == 0 and len(pl.model.rejected) == 1
    got, t = events(pl, away_frame(0.0), t, 400)
    assert pl.baseline.away is None
    assert not any(new_way_learned(e) for e in got)
    got, t = events(pl, away_frame(0.3), t, 200)
    assert pl.baseline.away is not None and pl.ways_learned() == 1
    assert any(new_way_learned(e) for e in got)
    assert pl.balance.state == "balanced" and abs(pl.balance.shift) < 0.05


def test_rejecting_drops_the_way_learned_last_only() -> None:
    """With a second way learned, "Not right" drops the second: the first stays."""
    pl, t = learned_lean_first()
    t = run(pl, away_frame(0.3), t, 180)
    assert pl.ways_learned() == 2
    first = pl.baseline.away
    assert pl.reject_learned(t)
    assert pl.ways_learned() == 1 and pl.baseline.away2 is None
    assert pl.baseline.away is not None and first is not None
    assert pl.baseline.away.cop_x == pytest.approx(first.cop_x)
    run(pl, away_frame(0.3), t, 300)  # the rejected second way is not learned again
    assert pl.baseline.away2 is None


def test_nothing_learned_means_nothing_to_reject() -> None:
    """A calibrated way of sitting clear of the backrest is the sitter's own: "Not right" on a
    learned way never drops it (``sitwatch calibrate`` replaces it)."""
    pl = Pipeline(CHAIR, Config(), chair_profile(away=away_frame(0.3)))
    run(pl, UPRIGHT, 0, 30)
    assert pl.reject_learned(30.0) == []
    assert pl.baseline.away is not None and pl.model.rejected == []
    fresh = Pipeline(CHAIR, Config(), chair_profile())
    assert fresh.reject_learned(0.0) == []


def test_learning_opens_again_after_the_learning_hours() -> None:
    """Rejected late in a day (the learning hours over), the way is still dropped and learning
    opens again for as long: the real upright may be learned afterwards."""
    pl, t = learned_lean_first()
    pl.model.sat = B.LEARN_FOR + 600  # five hours of sitting later
    assert pl.reject_learned(t)
    assert pl.baseline.away_open
    run(pl, away_frame(0.3), t, 200)
    assert pl.baseline.away is not None


def test_rejections_are_kept_in_the_profile_and_bounded() -> None:
    pl, t = learned_lean_first()
    pl.reject_learned(t)
    prof = pl.learned_profile()
    assert prof is not None and prof.learned is not None
    assert prof.learned.ways == 0 and len(prof.learned.rejected) == 1
    # a restart starts with it rejected: the lean is not learned again
    again = Pipeline(CHAIR, Config(), calibration.Profile.model_validate_json(
        prof.model_dump_json()))
    assert len(again.model.rejected) == 1
    t = run(again, UPRIGHT, 0, 90)
    run(again, away_frame(0.0), t, 300)
    assert again.baseline.away is None
    # the model keeps the last few only
    model = B.UprightModel(0.25, 0.15, rejected=[UPRIGHT * k for k in range(1, 8)])
    assert len(model.rejected) == B.REJECTED_KEPT
    assert model.rejected[-1] == pytest.approx(UPRIGHT * 7)


def test_forgetting_the_rejections_lets_the_way_be_learned_again() -> None:
    pl, t = learned_lean_first()
    pl.reject_learned(t)
    evs = pl.forget_rejected(t)
    assert [e.state for e in evs] == ["learned"] and pl.model.rejected == []
    assert pl.forget_rejected(t) == []  # nothing left to forget
    run(pl, away_frame(0.0), t, 200)
    assert pl.baseline.away is not None


def test_a_damaged_rejected_reading_names_the_key_and_the_fix() -> None:
    prof = chair_profile()
    data = json.loads(prof.model_dump_json())
    data["learned"] = {"rejected": [[1.0, 2.0]]}
    with pytest.raises(ValueError) as e:
        calibration.Profile.model_validate(data)
    assert "learned.rejected[0]" in str(e.value)
    assert "sitwatch feedback reset learned" in str(e.value)


def test_the_profile_on_disk_rejects_the_way_learned_last() -> None:
    """What `sitwatch feedback wrong learned` does to the profile while no daemon runs."""
    a, b = [1.0] * 12, [2.0] * 12
    got = calibration.Learned(upright_away=a, upright_away2=b).rejecting_last(2)
    assert got is not None and got.upright_away == a and got.upright_away2 is None
    assert got.rejected == [b]
    got = got.rejecting_last(2)
    assert got is not None and got.ways == 0 and got.rejected == [b, a]
    assert got.rejecting_last(2) is None
    assert calibration.Learned(rejected=[a, b]).model_copy(
        update={"upright_away": a}).rejecting_last(2).rejected == [b, a]  # type: ignore[union-attr]
