"""The zero follows the empty seat, with or without a calibration profile (issue #10's drift).

A sensor's zero wanders: a load cell's with warmth, a velostat pad's with warmth and damp, and
over the weeks a profile is used its tare goes stale. Before, a profile's tare was never looked
at again, so a side whose zero had crept up read as a lean for good; and without a profile the
tare did follow the empty seat, but the learned upright was then measured on the new tare, so
the same drift came back from the other side (the upright moved, the frames did not). Now each
empty spell (10 s) tells how far every channel's zero has moved from the tare, the frames are
moved back by that much, and the calibrated upright and all that was learned on top of it keep
their meaning."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from sitwatch.config import Config
from sitwatch.sensing import calibration, layout
from sitwatch.sensing.pipeline import Pipeline

# four pads at the corners (0 and 2 on the left, 1 and 3 on the right)
PADS = replace(layout.load("load-cells-4"), name="pads-4", plate=None, full_scale=4095.0)
TARE = np.full(4, 200.0)
UP = np.array([1000.0, 1000, 800, 800])  # the calibrated upright's load on each pad
SIDE = np.array([-1.0, 1, -1, 1])
# the sitter's usual upright sits 0.13 to the left (balanced: the threshold is 0.25)...
USUAL = UP * (1 - 0.13 * SIDE)
# ... and the zeros have drifted by 15% of that load, up on the left and down on the right:
# with nobody seated the seat reads 7% of its upright load (empty), seated 0.28 to the left
DRIFT = -0.15 * UP * SIDE
HZ = 2.0


def frames(pl: Pipeline, t0: float, seconds: float, reading: np.ndarray,
           seed: int = 0) -> tuple[float, list]:
    """Feed ``reading`` (plus a little noise) for ``seconds``; the time after, the events."""
    rng = np.random.default_rng(seed)
    out = []
    t = t0
    while t < t0 + seconds:
        out += pl.process(t, reading + rng.normal(0, 3, reading.shape))
        t += 1 / HZ
    return t, out


def balance_over(pl: Pipeline, t0: float, seconds: float, reading: np.ndarray) -> set[str]:
    """The balance states read while sitting ``reading`` for ``seconds`` (after a dwell)."""
    seen = set()
    t = t0
    rng = np.random.default_rng(1)
    while t < t0 + seconds:
        pl.process(t, reading + rng.normal(0, 3, reading.shape))
        if t > t0 + 15:
            seen.add(str(pl.balance.state))
        t += 1 / HZ
    return seen


def profiled() -> Pipeline:
    prof = calibration.from_arrays(PADS, tare=TARE, upright=TARE + UP, method="recording")
    return Pipeline(PADS, Config(), prof)


def test_with_a_profile_the_zero_follows_the_empty_seat() -> None:
    """The profile's tare was taken weeks ago; the left pads now read 150 and 120 more with
    nobody on them, the right ones as much less. After the first empty spell the same upright
    reads balanced again (before: a profile's tare was final, and this read "left" for good)."""
    pl = profiled()
    t, _ = frames(pl, 0.0, 20.0, TARE + DRIFT)  # the seat empty, as it reads now
    assert np.allclose(pl.zero, DRIFT, atol=5)
    assert balance_over(pl, t, 60.0, TARE + DRIFT + USUAL) == {"balanced"}
    # what the daemon keeps in the profile is still the calibration's tare and upright
    prof = pl.learned_profile()
    assert prof is not None
    assert np.allclose(prof.array("tare"), TARE)
    assert np.allclose(prof.array("upright"), TARE + UP)


def test_a_stale_zero_reads_as_a_lean_until_the_seat_is_empty() -> None:
    """What the follow is for: with the drift and no empty seat yet, the same upright is a lean
    (the test above would pass without the fix if it were not)."""
    pl = profiled()
    frames(pl, 0.0, 5.0, TARE)  # a few empty frames at the old zero
    assert "left" in balance_over(pl, 5.0, 60.0, TARE + DRIFT + USUAL)


def test_without_a_profile_the_learned_upright_keeps_its_meaning() -> None:
    """No profile: the tare and the upright are learned (the first empty spell, the first
    settled minute). When the seat empties again with the zeros moved, the tare followed before
    too, but the learned upright was then re-measured on the new tare: the drift moved the
    reference instead of the frames. Now the reference stays, and a frame on the drifted zeros
    reads as the same frame did before the drift."""
    pl = Pipeline(PADS, Config())
    t, ev = frames(pl, 0.0, 20.0, TARE)
    assert [e.data for e in ev if e.state == "tare"] == [{"method": "auto"}]
    t, ev = frames(pl, t, 150.0, TARE + USUAL)
    assert pl.baseline is not None
    ref = pl.baseline.f
    before = pl.ex(TARE + USUAL)  # a frame's features before the drift
    drift = np.array([100.0, -40, 80, -30])  # (the empty seat reads 4% of the upright load)
    t, _ = frames(pl, t, 20.0, TARE + drift)
    assert np.allclose(pl.zero, drift, atol=5)
    assert pl.baseline.f.cop_x == ref.cop_x and pl.baseline.f.seat_load == ref.seat_load
    pl.process(t, TARE + USUAL + drift)
    assert pl.f is not None
    assert abs(pl.f.cop_x - before.cop_x) < 0.01


def test_a_large_move_is_told_and_a_small_one_is_not() -> None:
    """The event (`calibration` `tare`, method `follow`) comes only when a zero moved by more
    than 3% of full scale; and once followed, the zero goes back when the drift does."""
    pl = profiled()
    fs = PADS.full_scale
    _, ev = frames(pl, 0.0, 20.0, TARE + np.array([0.02 * fs, 0, 0, 0]))
    assert not [e for e in ev if e.state == "tare"]
    assert pl.zero[0] > 0.01 * fs  # followed, silently
    t, ev = frames(pl, 20.0, 20.0, TARE + DRIFT)
    assert [e.data for e in ev if e.state == "tare"] == [{"method": "follow", "moved": 0.037}]
    frames(pl, t, 20.0, TARE)
    assert np.allclose(pl.zero, 0, atol=5)


def test_without_auto_nothing_is_followed() -> None:
    """``[calibration] auto = false``: nothing is learned while sitting, the zero included."""
    prof = calibration.from_arrays(PADS, tare=TARE, upright=TARE + UP, method="recording")
    cfg = Config.model_validate({"calibration": {"auto": False}})
    pl = Pipeline(PADS, cfg, prof)
    frames(pl, 0.0, 20.0, TARE + DRIFT)
    assert not pl.zero.any()


def test_zeros_are_not_followed_while_one_sits_on_its_floor() -> None:
    """A sensor that reads nothing with nobody seated (an FSR's open contact, a reading clipped
    at zero) may have sunk by any amount: following the others alone would take the drifts that
    rose off the sitter's load and leave those that sank, and read their load low. The
    simulated population's sitter 90 (zeros drifting both ways on a chair whose pads rest at
    zero) read upright as leaning forward 34% of an hour that way."""
    pl = profiled()
    floor = TARE + DRIFT
    floor[3] = 0.0
    frames(pl, 0.0, 20.0, floor)
    assert not pl.zero.any()
    # a pad that died under the sitter (left out as broken) does not hold the others back
    pl = profiled()
    t, _ = frames(pl, 0.0, 30.0, TARE + UP)
    dead = TARE + UP
    dead[3] = 0.0
    t, _ = frames(pl, t, 10.0, dead)
    assert pl.health.bad[3]
    frames(pl, t, 20.0, floor)
    assert np.allclose(pl.zero[:3], DRIFT[:3], atol=5)
