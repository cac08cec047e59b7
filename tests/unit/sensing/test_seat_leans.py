"""Sideways leans on a seat without a backrest (issue #10): the rear third's (sit bones') lateral
cue, weighed by the load the rear third carries and checked against the whole seat's centre."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from sitwatch.config import Balance
from sitwatch.sensing import layout
from sitwatch.sensing.detectors.balance import REAR_CAP, BalanceDetector, strongest
from sitwatch.sensing.detectors.baseline import Baseline, rear_say
from sitwatch.sensing.features import Extractor

FSR9 = layout.load("fsr-cushion-9")  # 3x3; fsr1-3 the right column, rear to front


def seat(rear: tuple[float, float, float], mid: tuple[float, float, float],
         front: tuple[float, float, float]) -> np.ndarray:
    """Loads on the 3x3 cushion, each row given (left, middle, right)."""
    rows = (rear, mid, front)
    right = [r[2] for r in rows]
    middle = [r[1] for r in rows]
    left = [r[0] for r in rows]
    return np.array(right + middle + left, dtype=float)


UP = seat((300, 400, 300), (200, 200, 200), (150, 100, 150))


def fsr9(spread: dict[str, float] | None = None) -> tuple[Extractor, Baseline]:
    ex = Extractor(FSR9, tare=np.zeros(FSR9.n))
    return ex, Baseline.from_raw(ex, UP, spread)


def seat_shift(ex: Extractor, b: Baseline, frame: np.ndarray) -> float:
    return (ex(frame).cop_x - b.f.cop_x) / b.x_scale


def rear_shift(ex: Extractor, b: Baseline, frame: np.ndarray) -> float:
    """The rear third's move on the threshold's scale, before any weight or check."""
    return (ex(frame).rear_x - b.f.rear_x) / b.rear_x_scale


def state(ex: Extractor, b: Baseline, frame: np.ndarray) -> tuple[str | None, str]:
    det = BalanceDetector(Balance(dwell=0))
    det.step(ex(frame), b, 0.0)
    return det.state, det.cue


def test_a_seat_only_cushion_has_a_rear_third() -> None:
    ex, b = fsr9()
    assert b.has_rear and not b.has_back
    assert b.rear_x_scale == pytest.approx(2 * 0.667 / 3)
    # four pads at a cushion's corners: the rear pair; a backrest chair's seat has one too.
    # Load cells under a plate do not: each carries a share of the whole load.
    lc = layout.load("load-cells-4")
    up = np.array([1000.0, 1000, 800, 800])
    assert Baseline.from_raw(Extractor(replace(lc, plate=None)), up).has_rear
    assert not Baseline.from_raw(Extractor(lc), up).has_rear


def test_a_lean_the_seats_centre_shows_only_in_part_reads_lopsided_from_the_sit_bones() -> None:
    """The sit bones' load moves across, the thighs stay put: the whole seat's centre moves by
    under the threshold, the rear third's by well over it."""
    ex, b = fsr9()
    for side, frame in (("left", seat((420, 400, 180), (200, 200, 200), (150, 100, 150))),
                        ("right", seat((180, 400, 420), (200, 200, 200), (150, 100, 150)))):
        assert abs(seat_shift(ex, b, frame)) < 0.2
        assert state(ex, b, frame) == (side, "rear")


def test_a_barely_loaded_rear_third_has_no_say() -> None:
    """Perched on the front: a few percent of the load left on the rear row, lopsided there,
    would read a lean (it moves the same way as the seat's centre); it has no say."""
    ex, b = fsr9()
    perch = seat((40, 15, 5), (350, 300, 250), (700, 500, 500))
    f = ex(perch)
    assert f.rear_load < 0.05 * f.seat_load and rear_say(f) == 0.0
    assert abs(rear_shift(ex, b, perch)) > 0.5
    assert 0 > seat_shift(ex, b, perch) > -0.25
    assert state(ex, b, perch) == ("balanced", "seat")


def test_the_sit_bones_moving_on_their_own_are_not_a_lean() -> None:
    """The pelvis rolling or sliding (half lying, a twist) moves the sit bones' centre while the
    whole seat's stays near upright: the rear cue counts at most REAR_CAP times the seat's
    shift, and not at all when the seat's centre moves the other way."""
    ex, b = fsr9()
    rolled = seat((400, 400, 200), (200, 200, 200), (120, 100, 180))
    assert rear_shift(ex, b, rolled) < -0.25
    assert -0.25 / REAR_CAP < seat_shift(ex, b, rolled) < 0
    assert strongest(ex(rolled), b, 0.0, 0.25)[0] != "rear"
    assert state(ex, b, rolled)[0] == "balanced"
    _, s = strongest(ex(rolled), b, 0.0, 0.0)  # counted at any size: capped
    assert s == pytest.approx(REAR_CAP * seat_shift(ex, b, rolled))
    twisted = seat((400, 400, 200), (100, 200, 350), (150, 100, 150))  # right +50: seat moves right
    assert rear_shift(ex, b, twisted) < -0.25 and seat_shift(ex, b, twisted) > 0
    assert state(ex, b, twisted) == ("balanced", "seat")


def test_the_rear_cue_weighs_by_the_rear_thirds_share_of_the_load() -> None:
    """The pelvis slid forward: the rear third carries half its upright share; the same lateral
    move counts half."""
    ex, b = fsr9()
    lean = seat((420, 400, 180), (230, 200, 170), (150, 100, 150))
    slid = seat((210, 200, 90), (330, 300, 270), (200, 200, 200))
    share = lambda f: f.rear_load / f.seat_load  # noqa: E731
    assert share(ex(slid)) == pytest.approx(share(b.f) / 2)
    assert rear_shift(ex, b, slid) == pytest.approx(rear_shift(ex, b, lean))
    full = strongest(ex(lean), b, 0.0, 0.0)
    half = strongest(ex(slid), b, 0.0, 0.0)
    assert full == ("rear", pytest.approx(rear_shift(ex, b, lean)))
    assert half == ("rear", pytest.approx(rear_shift(ex, b, lean) / 2))


def test_the_rear_cue_starts_a_lean_but_never_holds_one() -> None:
    """Below the threshold the rear third has no say, so the release band is the other cues':
    after a lean, sitting with the sit bones a little to that side (as some people's usual
    sitting does) while the seat's centre is back under the release ends the lean."""
    ex, b = fsr9()
    lean = seat((180, 400, 420), (200, 200, 200), (150, 100, 150))
    usual = seat((240, 400, 360), (200, 200, 200), (150, 100, 150))
    assert 0.15 < rear_shift(ex, b, usual) < 0.25 and seat_shift(ex, b, usual) < 0.15
    det = BalanceDetector(Balance())  # threshold 0.25, release 0.15, dwell 10 s, end 3 s
    got = []
    for t in range(60):
        ev = det.step(ex(lean if t < 20 else usual), b, float(t))
        if ev is not None:
            got.append((ev.t, ev.state))
    assert got == [(10.0, "right"), (23.0, "balanced")]


def test_a_restless_sitters_rear_cue_needs_a_bigger_move() -> None:
    """The calibration minute's spread of the rear third's centre sets this person's own
    threshold for it, as for the other cues."""
    lean = seat((420, 400, 180), (200, 200, 200), (150, 100, 150))
    ex, still = fsr9({"rear_x": 0.005})
    _, restless = fsr9({"rear_x": 0.15 * 2 * 0.667 / 3})  # 0.15 shift units: 4 sd = 0.6
    assert state(ex, still, lean)[0] == "left"
    assert state(ex, restless, lean)[0] == "balanced"


def test_a_chair_with_a_backrest_keeps_its_own_cues() -> None:
    """With backrest sensors the backrest's cue does this job; the rear third adds nothing (the
    12-sensor chair's figures stay as they were)."""
    chair = layout.load("smartchair-12")
    up = np.array([2400, 1800, 350, 1100, 1550, 1280, 300, 360, 630, 470, 290, 770], float)
    ex = Extractor(chair)
    b = Baseline.from_raw(ex, up)
    assert b.has_back and b.has_rear
    rear_only = up.copy()
    rear_only[4:6] = [2300, 530]  # only the rear pair moves
    cue, s = strongest(ex(rear_only), b, 0.0, 0.25)
    assert cue != "rear"
