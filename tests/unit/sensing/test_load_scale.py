"""The sitter's load against the calibrated upright's (UprightModel.load_scale): someone
lighter or heavier than the calibrated sitter on a chair with backrest sensors."""

import numpy as np
import pytest

from sitwatch.core.kinds import Balance, Posture
from sitwatch.sensing.detectors.baseline import SCALE_MIN, SCALE_SETTLE, UprightModel
from sitwatch.sensing.features import Extractor
from sitwatch.sensing.layout import load

CHAIR = load("smartchair-12")  # p00-p03 backrest, p04-p11 seat (rear row first)
SEAT = np.array([1500.0, 1500, 900, 900, 1100, 1100, 700, 700])
UP = np.concatenate([np.full(4, 0.3 * SEAT.sum() / 4), SEAT])  # the backrest takes its share
CALM = ((Posture.UPRIGHT, 0.0), (Balance.BALANCED, 0.0))


def sit(model: UprightModel, ex: Extractor, frame: np.ndarray, start: float, seconds: float,
        hz: float = 2.0) -> list[float]:
    """Feed ``seconds`` of one frame from ``start``; the scale after each rebuild."""
    seen = []
    b = model.build(ex, UP, None)
    for t in np.arange(start, start + seconds, 1 / hz):
        if model.observe(float(t), frame, ex(frame), b, *CALM):
            b = model.build(ex, UP, None)
            seen.append(model.load_scale)
    return seen


def test_a_heavier_sitter_sat_as_calibrated_sets_the_scale_after_a_settled_minute() -> None:
    ex, model = Extractor(CHAIR), UprightModel(0.25, 0.3)
    model.sat_down(0.0)
    heavy = 1.3 * UP
    assert sit(model, ex, heavy, 0.0, SCALE_SETTLE + SCALE_MIN - 2) == []
    assert model.load_scale == 1.0  # not yet a minute of it
    assert sit(model, ex, heavy, SCALE_SETTLE + SCALE_MIN - 2, 10.0) == pytest.approx([1.3])
    b = model.build(ex, UP, None)
    assert abs(b.seat_load - ex(heavy).seat_load) < 1e-6
    assert abs(b.back_load - ex(heavy).back_load) < 1e-6
    # learned once a sitting: the rest of this one does not move it
    assert sit(model, ex, UP, 100.0, 200.0) == [] and model.load_scale == pytest.approx(1.3)
    # someone else sits down: their own settled minute sets it again
    model.sat_down(400.0)
    assert sit(model, ex, 0.8 * UP, 400.0, 80.0) == pytest.approx([0.8])
    # and the calibrated sitter, back, reads as calibrated
    model.sat_down(500.0)
    assert sit(model, ex, UP, 500.0, 80.0) == [1.0]


@pytest.mark.parametrize("k", [0.95, 1.03, 1.2])
def test_a_sitter_as_heavy_as_the_calibrated_one_reads_later_keeps_the_calibration(
    k: float,
) -> None:
    """The calibrated sitter's own later sittings read up to 1.2 of the calibration (pads
    creeping, settling in): that is not someone else."""
    ex, model = Extractor(CHAIR), UprightModel(0.25, 0.3)
    model.sat_down(0.0)
    assert sit(model, ex, k * UP, 0.0, 120.0) == [] and model.load_scale == 1.0


def test_a_lean_or_a_free_backrest_teaches_no_scale() -> None:
    ex = Extractor(CHAIR)
    lean = np.concatenate([np.zeros(4), SEAT * [0.5, 0.5, 0.8, 0.8, 1.1, 1.1, 1.4, 1.4]])
    sideways = np.concatenate([UP[:4], SEAT * [1.5, 0.5, 1.5, 0.5, 1.5, 0.5, 1.5, 0.5]])
    for frame in (lean, sideways, 0.7 * np.concatenate([np.zeros(4), SEAT])):
        model = UprightModel(0.25, 0.3)
        model.sat_down(0.0)
        assert sit(model, ex, frame, 0.0, 300.0) == [] and model.load_scale == 1.0


def test_a_seat_alone_never_learns_a_scale() -> None:
    """Its upright load changes with how much a backrest it cannot see takes."""
    ex, model = Extractor(CHAIR), UprightModel(0.25, 0.3)
    seat_only = np.concatenate([np.zeros(4), SEAT])
    model.sat_down(0.0)
    b = model.build(ex, seat_only, None)
    assert not b.has_back
    for t in np.arange(0.0, 300.0, 0.5):
        assert not model.observe(float(t), 1.3 * seat_only, ex(1.3 * seat_only), b, *CALM)
    assert model.load_scale == 1.0
