"""The calibration's reference postures (sitwatch.sensing.references): each is held in front of
the real pipeline and read; where a person's leans or slump are subtler than the rules expect,
the thresholds are made more sensitive for them, within bounds, and only ever that way.

The guided calibration offered these steps "to sharpen detection", and nothing read them."""

from __future__ import annotations

import numpy as np
import pytest

from sitwatch import config
from sitwatch.sensing import calibration
from sitwatch.sensing import references as R
from sitwatch.sensing.layout import load as load_layout

CHAIR = load_layout("smartchair-12")
# p00..p03 backrest (p00, p02 left; p01, p03 right), p04.. seat rear to front
UPRIGHT = np.array([2400, 1800, 350, 1100, 1550, 1280, 300, 360, 630, 470, 290, 770], float)
LEFT = CHAIR.x < 0
REAR = CHAIR.seat_mask & (CHAIR.y == CHAIR.y[CHAIR.seat_mask].min())
FRONT = CHAIR.seat_mask & (CHAIR.y == CHAIR.y[CHAIR.seat_mask].max())
CFG = config.Config()


def lean(k: float) -> np.ndarray:
    """UPRIGHT with a share ``k`` of every right-hand sensor's load handed to the left
    (negative: to the right), on the seat and the backrest."""
    f = UPRIGHT.copy()
    for mask in (CHAIR.seat_mask, CHAIR.back_mask):
        f[mask & LEFT] *= 1 + k
        f[mask & ~LEFT & (CHAIR.x > 0)] *= 1 - k
    return f


def slump(k: float) -> np.ndarray:
    """The rear seat row unloaded by ``k``, the front row loaded by ``2k``."""
    f = UPRIGHT.copy()
    f[REAR] *= 1 - k
    f[FRONT] *= 1 + 2 * k
    return f


def profile(**refs: np.ndarray) -> calibration.Profile:
    return calibration.from_arrays(CHAIR, tare=np.zeros(CHAIR.n), upright=UPRIGHT,
                                   method="recording", **refs)


def test_clear_leans_and_slump_change_nothing() -> None:
    t = R.assess(CHAIR, CFG, profile(lean_left=lean(0.5), lean_right=lean(-0.5),
                                     slouch=slump(0.9)))
    assert t.before["lean_left"].balance == "left" and t.before["lean_right"].balance == "right"
    assert t.before["slouch"].posture == "slouched"
    assert t.changes == {} and t.problems == ()


def test_subtle_leans_lower_the_lateral_threshold_until_both_read_with_room() -> None:
    """Leans of 0.25 read balanced against the shipped 0.25 (they need the dwell and a little
    more); the threshold comes down, the release with it, until both read lopsided on their
    side with LEAN_ROOM to spare, and no further."""
    p = profile(lean_left=lean(0.25), lean_right=lean(-0.25))
    t = R.assess(CHAIR, CFG, p)
    assert t.before["lean_left"].balance == "balanced"
    thr, rel = t.changes["balance.threshold"], t.changes["balance.release"]
    assert R.BALANCE_FLOOR <= thr < 0.25 and rel == pytest.approx(thr * 0.6, abs=0.002)
    assert t.was == {"balance.threshold": 0.25, "balance.release": 0.15}
    for step, side in R.LEANS.items():
        assert t.after[step].balance == side
        assert abs(t.after[step].shift) >= R.LEAN_ROOM * thr
    # one step less sensitive would not have left that room
    assert abs(t.after["lean_left"].shift) < R.LEAN_ROOM * thr * R.STEP
    lines = R.describe(t)
    assert any("made more sensitive for you: detect.balance.threshold 0.25 -> " in x
               for x in lines), lines


def test_leans_too_small_for_the_floor_are_said_not_tuned() -> None:
    t = R.assess(CHAIR, CFG, profile(lean_left=lean(0.1), lean_right=lean(-0.1)))
    assert t.changes == {}
    assert len(t.problems) == 1 and "too little to be reported" in t.problems[0]


def test_swapped_sides_are_named_and_nothing_is_tuned() -> None:
    p = profile(lean_left=lean(-0.5), lean_right=lean(0.5))
    t = R.assess(CHAIR, CFG, p)
    assert t.swapped and t.changes == {} and t.problems == (R.SWAPPED_FIX,)
    assert R.sides_swapped(CHAIR, CFG, p)
    assert not R.sides_swapped(CHAIR, CFG, profile(lean_left=lean(0.5), lean_right=lean(-0.5)))


def test_one_lean_on_the_other_side_asks_for_it_again() -> None:
    t = R.assess(CHAIR, CFG, profile(lean_left=lean(-0.5), lean_right=lean(-0.5)))
    assert not t.swapped and t.changes == {}
    assert t.problems and "lean to the left read as a lean to the right" in t.problems[0]


def test_a_slump_the_rules_miss_eases_the_slump_rule_within_its_limits() -> None:
    p = profile(slouch=slump(0.7))
    t = R.assess(CHAIR, CFG, p)
    assert t.before["slouch"].posture == "upright"
    assert t.after["slouch"].posture == "slouched"
    rr, sh = t.changes["posture.slouch_rear_ratio"], t.changes["posture.slouch_shift"]
    assert 0.3 < rr <= R.SLOUCH_LIMITS["slouch_rear_ratio"]
    assert R.SLOUCH_LIMITS["slouch_shift"] <= sh < 0.35
    # a slump SLUMP_ROOM of the way reads as one too
    tuned = R._with(CFG, t.changes)
    assert R.milder_slump_reads(CHAIR, tuned, p, seat_only=False)
    assert t.problems == ()


def test_a_slump_out_of_reach_is_said_not_tuned() -> None:
    t = R.assess(CHAIR, CFG, profile(slouch=slump(0.4)))
    assert t.changes == {}
    assert "your slump reads upright, not slouched, even at the most sensitive" in t.problems[0]


def test_an_eased_slump_rule_must_not_take_the_upright_clear_of_the_backrest_for_a_slump() -> None:
    """The deepest easing would read the recorded upright clear of the backrest as slouched:
    the easing stops a step where it still reads as it did, and says the slump only just
    reads."""
    away = slump(0.6)
    away[CHAIR.back_mask] *= 0.1
    p = profile(slouch=slump(0.7), upright_away=away)
    t = R.assess(CHAIR, CFG, p)
    assert t.changes["posture.slouch_rear_ratio"] < R.SLOUCH_LIMITS["slouch_rear_ratio"]
    tuned = R._with(CFG, t.changes)
    assert R.read(CHAIR, tuned, p, "upright_away").posture != "slouched"
    assert any("only just reads as one" in x for x in t.problems)
    deepest = R._with(CFG, {"posture.slouch_rear_ratio": 0.483, "posture.slouch_shift": 0.217})
    assert R.read(CHAIR, deepest, p, "upright_away").posture == "slouched"


def test_apply_only_makes_thresholds_more_sensitive_and_a_configured_key_wins() -> None:
    tuned = {"balance.threshold": 0.2, "balance.release": 0.12,
             "posture.slouch_rear_ratio": 0.4, "posture.slouch_shift": 0.3}
    cfg, moved = R.apply(CFG, tuned)
    assert cfg.detect.balance.threshold == 0.2 and cfg.detect.balance.release == 0.12
    assert cfg.detect.posture.slouch_rear_ratio == 0.4 and cfg.detect.posture.slouch_shift == 0.3
    assert moved["balance.threshold"] == (0.25, 0.2)
    # a threshold set in the person's own config wins, and the release stays with it
    mine = config.Config.model_validate({"detect": {"balance": {"threshold": 0.3}}})
    cfg, moved = R.apply(mine, tuned, mine)
    assert cfg.detect.balance.threshold == 0.3 and cfg.detect.balance.release == 0.15
    assert "balance.threshold" not in moved and "balance.release" not in moved
    assert cfg.detect.posture.slouch_rear_ratio == 0.4
    # never less sensitive than the value in force (a layout's own, here 0.1)
    low = config.Config.model_validate({"detect": {"balance": {"threshold": 0.1,
                                                               "release": 0.05}}})
    cfg, moved = R.apply(low, tuned)
    assert cfg.detect.balance.threshold == 0.1 and "balance.threshold" not in moved
    assert R.apply(CFG, None) == (CFG, {})


def test_a_profile_names_only_thresholds_the_references_may_tune() -> None:
    with pytest.raises(ValueError, match=r"unknown thresholds: balance\.dwell"):
        calibration.Profile.model_validate(
            {**profile().model_dump(), "tuned": {"balance.dwell": 1.0}})
    with pytest.raises(ValueError, match="finite and positive"):
        calibration.Profile.model_validate(
            {**profile().model_dump(), "tuned": {"balance.threshold": -1.0}})
    ok = calibration.Profile.model_validate(
        {**profile().model_dump(), "tuned": {"balance.threshold": 0.2}})
    assert ok.tuned == {"balance.threshold": 0.2}


def test_tune_stores_the_changes_in_the_profile() -> None:
    p, t = R.tune(CHAIR, CFG, profile(lean_left=lean(0.25), lean_right=lean(-0.25)))
    assert p.tuned == t.changes and p.tuned
    p, t = R.tune(CHAIR, CFG, profile())
    assert p.tuned is None and t.before == {}


def backward(k: float) -> np.ndarray:
    """A slump on a seat whose front and rear rows are swapped: the front row unloaded by
    ``k``, the rear row loaded by ``2k``."""
    f = UPRIGHT.copy()
    f[FRONT] *= 1 - k
    f[REAR] *= 1 + 2 * k
    return f


def test_a_slump_that_moves_the_weight_back_says_front_and_rear_are_swapped() -> None:
    p = profile(slouch=backward(0.9))
    assert R.front_rear_swapped(CHAIR, p)
    t = R.assess(CHAIR, CFG, p)
    assert t.changes == {} and t.problems == (R.reversed_fix(CHAIR),)
    assert "Turn it so that its front edge is under your thighs" in t.problems[0]
    # a slump that moves it forward, however little, is the sitter's own
    assert not R.front_rear_swapped(CHAIR, profile(slouch=slump(0.9)))
    assert not R.front_rear_swapped(CHAIR, profile(slouch=slump(0.05)))
    assert not R.front_rear_swapped(CHAIR, profile(lean_left=lean(0.5)))  # no slump recorded
