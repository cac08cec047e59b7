"""Pipeline.retune (the thresholds "Not right" moved, applied mid-run) and Pipeline.cues (the
numbers a "Not right" is recorded with)."""

from __future__ import annotations

import numpy as np
import pytest

from sitwatch.config import Config
from sitwatch.core.kinds import FeedbackKind
from sitwatch.nudging import feedback as fb
from sitwatch.sensing import calibration, layout
from sitwatch.sensing.pipeline import Pipeline

LAY = layout.load("load-cells-4")
SEATED = np.array([20000.0, 20500, 9000, 9200])
EMPTY = np.array([40.0, 35, 30, 45])
# a sideways shift of about 0.27 (the plate's centre 0.11 of the way to the cells, on the body's
# span between them: the layout's [plate] body_x = 0.4)
LEFT = np.array([19000.0, 15500, 11700, 9800])


def run(pl: Pipeline, frames: np.ndarray, t0: float, seconds: float) -> float:
    t = t0
    while t < t0 + seconds:
        pl.process(t, frames)
        t += 0.2
    return t


def test_retuned_mid_run_the_detectors_use_the_new_thresholds_and_keep_their_state() -> None:
    prof = calibration.from_arrays(LAY, tare=EMPTY, upright=SEATED, method="recording")
    pl = Pipeline(LAY, Config(detect={"balance": {"dwell": 1.0}}), prof)
    assert pl.cues() == {}
    t = run(pl, EMPTY, 0.0, 3)
    t = run(pl, LEFT, t, 5)
    assert pl.snapshot(t).balance == "left"
    cues = pl.cues()
    assert 0.25 < abs(cues["side_shift"]) < 0.2875 and "rear_ratio" in cues
    state = fb.State(steps={FeedbackKind.ASYMMETRIC_LOAD: 1, FeedbackKind.WALLET: 1})
    eased = fb.adapt(pl.cfg, state)
    pl.retune(eased)
    assert pl.cfg is eased and pl.balance.cfg.threshold == 0.2875
    assert pl.balance.front_weight == pytest.approx(0.25 / 0.4)  # the two move together
    assert pl.wallet is not None and pl.wallet.cfg.spot_ratio == eased.detect.wallet.spot_ratio
    # the state is kept (hysteresis: still "left" above the moved release)...
    t = run(pl, LEFT, t, 3)
    assert pl.snapshot(t).balance == "left"
    # ...and a new sitting the same way is judged with the new threshold
    t = run(pl, EMPTY, t, 5)
    t = run(pl, LEFT, t, 5)
    assert pl.snapshot(t).balance == "balanced"
    # back to the configured thresholds: lopsided again
    pl.retune(Config(detect={"balance": {"dwell": 1.0}}))
    t = run(pl, EMPTY, t, 5)
    t = run(pl, LEFT, t, 5)
    assert pl.snapshot(t).balance == "left"
