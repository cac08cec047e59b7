"""Leaning forward, for a sitter whose backrest contact is light (issue #10's held-out chair).

Against the calibrated upright (taken against the backrest) a forward lean shows as the chair
losing the backrest's load; a light backrest has little to lose, so the chair keeps more than
``forward_load_ratio`` of its upright load and the lean was missed whenever the seat's centre
did not move forward (the smartchair's elbows-on-thighs leans move it back, if anything). Once
the sitter's upright away from the backrest is known, the seat's loss against it tells."""

import numpy as np
import pytest

from sitwatch.config import Posture as PostureCfg
from sitwatch.core.kinds import Posture
from sitwatch.sensing.detectors.baseline import Baseline
from sitwatch.sensing.detectors.posture import AWAY_KEEPS, classify
from sitwatch.sensing.features import Extractor
from sitwatch.sensing.layout import load

CHAIR = load("smartchair-12")  # p00-p03 backrest, p04-p11 seat (rear row first)
SEAT = np.array([1500.0, 1500, 900, 900, 1100, 1100, 700, 700])


def frame(seat: np.ndarray, back: float) -> np.ndarray:
    return np.concatenate([np.full(4, back / 4), seat])


def baselines(back_share: float) -> tuple[Extractor, Baseline, Baseline]:
    """The calibrated upright (the backrest carrying ``back_share`` of the seat's load), with
    and without the sitter's away upright (the backrest's load moved onto the seat)."""
    ex = Extractor(CHAIR)
    back = back_share * SEAT.sum()
    up = frame(SEAT, back)
    away = frame(SEAT * (1 + back_share), 0.0)
    return ex, Baseline.from_raw(ex, up), Baseline.from_raw(ex, up, away_raw=away)


@pytest.mark.parametrize("back_share", [0.15, 0.25, 0.4])
def test_a_light_backrest_sitter_leaning_forward_is_seen_against_the_away_upright(
    back_share: float,
) -> None:
    ex, plain, with_away = baselines(back_share)
    assert plain.has_back and with_away.away is not None
    # leaning forward from sitting away: the backrest stays free, the seat hands 30% of its
    # load to the desk and the feet, its centre stays where it was
    lean = ex(frame(SEAT * (1 + back_share) * 0.7, 0.0))
    assert lean.total / plain.total > PostureCfg().forward_load_ratio  # the old cue misses it
    assert classify(lean, with_away, PostureCfg()) == Posture.LEANING_FORWARD
    # the away upright itself, and a little less load on the seat than there, stay upright
    for keep in (1.0, AWAY_KEEPS + 0.05):
        still = ex(frame(SEAT * (1 + back_share) * keep, 0.0))
        assert classify(still, with_away, PostureCfg()) == Posture.UPRIGHT


def test_without_a_known_away_upright_the_load_cue_is_the_calibrated_one() -> None:
    ex, plain, _ = baselines(0.25)
    lean = ex(frame(SEAT * 1.25 * 0.7, 0.0))
    assert classify(lean, plain, PostureCfg()) == Posture.UPRIGHT  # nothing to judge it against
    # a backrest that carried a good share still shows a lean as the chair's loss
    ex, plain, _ = baselines(1.0)
    # (the seat keeping no more than upright: one that gained the backrest's share back is a
    # sitter clear of the backrest, see the test below)
    assert classify(ex(frame(SEAT * 2 * 0.5, 0.0)), plain, PostureCfg()) == Posture.LEANING_FORWARD


def test_a_not_right_on_a_forward_lean_eases_the_away_load_cue_too() -> None:
    """"Not right" on a forward lean eases forward_load_ratio, and the away cue moves with it:
    a seat keeping 0.7 of its away load is a lean as shipped, and not after one step."""
    from sitwatch.config import Config
    from sitwatch.core.kinds import FeedbackKind
    from sitwatch.nudging import feedback as fb

    ex, _, with_away = baselines(0.25)
    lean = ex(frame(SEAT * 1.25 * 0.7, 0.0))
    shipped = Config()
    told, _ = fb.wrong(fb.State(), FeedbackKind.LEANING_FORWARD, shipped.feedback, at="t")
    eased = fb.adapt(shipped, told).detect.posture
    assert eased.forward_load_ratio == pytest.approx(0.6 / 1.15)
    assert classify(lean, with_away, shipped.detect.posture) == Posture.LEANING_FORWARD
    assert classify(lean, with_away, eased) == Posture.UPRIGHT


@pytest.mark.parametrize("back_share", [1.0, 1.2, 1.5])
def test_sitting_up_clear_of_a_well_used_backrest_is_not_leaning_forward(back_share: float) -> None:
    """Calibrated leaning on the backrest, the chair's total falls as soon as the sitter sits up
    clear of it (its push is gone), while the seat takes part of the trunk's weight back. Before
    the away upright was learned that read leaning forward (the smartchair's second sitter, whose
    backrest carried over half her load: 12.5% of her upright time once her saturated p07 was
    set aside from the start). A forward lean, where the seat keeps no more than it did
    upright, still reads so."""
    ex, plain, _ = baselines(back_share)
    # the seat takes back a sixth of what the backrest carried (vanessa: her backrest carried
    # 1.17 times her seat's load; clear of it the seat read 1.06-1.51 of its upright load)
    up_clear = ex(frame(SEAT * (1 + 0.15 * back_share), 0.0))
    assert up_clear.total / plain.total < PostureCfg().forward_load_ratio  # the old cue fires
    assert classify(up_clear, plain, PostureCfg()) == Posture.UPRIGHT
    lean = ex(frame(SEAT * 1.0, 0.0))  # clear of the backrest, the seat no heavier than upright
    assert classify(lean, plain, PostureCfg()) == Posture.LEANING_FORWARD


def test_a_chair_calibrated_clear_of_its_backrest_still_sees_forward_leans() -> None:
    """Calibrated sitting up clear of the backrest, the chair has no backrest load to lose and
    was read as a seat alone: almir's forward leans from his first away-from-the-backrest
    minute were never reported (his seat keeps 0.72 of that load and its centre stays put).
    The calibration is then the away upright: a free backrest and a seat that lost a quarter
    of its load is leaning forward. Leaning back onto the backrest is not, nor is a seat alone
    (no backrest sensors) whose load falls: that may be a slump onto a backrest it cannot see."""
    ex = Extractor(CHAIR)
    away = Baseline.from_raw(ex, frame(SEAT * 1.3, 0.0))
    assert not away.has_back and away.back_sensors
    lean = ex(frame(SEAT * 1.3 * 0.7, 0.0))
    assert classify(lean, away, PostureCfg()) == Posture.LEANING_FORWARD
    assert classify(ex(frame(SEAT * 1.3 * 0.9, 0.0)), away, PostureCfg()) == Posture.UPRIGHT
    back = ex(frame(SEAT * 1.3 * 0.7, 0.4 * SEAT.sum()))  # leaning back onto it
    assert classify(back, away, PostureCfg()) != Posture.LEANING_FORWARD
    sx = Extractor(load("fsr-cushion-9"))  # loads straight in: no reading to undo
    pads = np.array([900.0, 600, 300, 1000, 700, 300, 900, 600, 300])
    alone = Baseline.from_raw(sx, pads)
    assert not alone.back_sensors
    assert classify(sx(pads * 0.7), alone, PostureCfg()) == Posture.UPRIGHT
