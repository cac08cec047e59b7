"""A lean on its way out gets no nudge (issue #10's wrong nudges): once the shift is back within
the threshold of where the sitter usually sits, the lean is over even while its state waits out
its dwell, and the lopsided nudge that falls due in those seconds is held, and dropped when the
state ends. A direct swing into a real lean the other way is not on its way out."""

from __future__ import annotations

from sitwatch.config import Balance
from sitwatch.sensing.detectors.balance import BalanceDetector
from tests.unit.nudging.test_nudges import nudges, policy
from tests.unit.sensing.test_balance_usual import cells, sit


def leaned(usual: float) -> tuple[BalanceDetector, float]:
    """Two and a half minutes of usual sitting at ``usual``, then a minute leaning left."""
    ex, b = cells()
    det = BalanceDetector(Balance())
    t, _ = sit(det, ex, b, [usual] * 300, 0.0)
    t, got = sit(det, ex, b, [-0.4] * 120, t)
    assert [s for _, s in got] == ["left"] and not det.leaving
    return det, t


def test_back_to_a_usual_sitting_on_the_other_side_is_a_lean_on_its_way_out() -> None:
    """Usual sitting 0.17 to the right: back there after a left lean the shift is past the
    release on the other side, a swing the state waits out for a whole dwell (10 s) before it
    says balanced. Those seconds are the lean's end, not a lean."""
    det, t = leaned(0.17)
    ex, b = cells()
    t, got = sit(det, ex, b, [0.17] * 4, t)
    assert det.state == "left" and det.leaving  # still "left", but on its way out
    t, got = sit(det, ex, b, [0.17] * 40, t)
    assert [s for _, s in got] == ["balanced"] and not det.leaving


def test_a_swing_into_a_real_lean_the_other_way_is_not() -> None:
    det, t = leaned(0.0)
    ex, b = cells()
    t, _ = sit(det, ex, b, [0.45] * 4, t)
    assert det.state == "left" and not det.leaving  # lopsided still (the other way)
    t, got = sit(det, ex, b, [0.45] * 40, t)
    assert [s for _, s in got] == ["right"]


def test_a_lean_easing_within_its_band_is_still_the_lean() -> None:
    det, t = leaned(0.0)
    ex, b = cells()
    t, _ = sit(det, ex, b, [-0.2] * 60, t)  # between release and threshold: hysteresis
    assert det.state == "left" and not det.leaving


def test_its_nudge_waits_and_is_dropped_when_the_lean_ends() -> None:
    p = policy()
    common = {"spell": 600.0, "spell_start": 0.0, "occupied": True, "posture": "upright",
              "posture_for": 0.0, "wallet": False}
    # due (two minutes of "left"), but the lean is on its way out: nothing
    assert not nudges(p.step(400, balance="left", balance_for=121, balance_leaving=True,
                             **common))
    # it ended: nothing later either
    assert not nudges(p.step(410, balance="balanced", balance_for=0.0, **common))
    # a lean that goes on is nudged at the next look (a frame that dipped is not its end)
    q = policy()
    assert not nudges(q.step(400, balance="left", balance_for=121, balance_leaving=True,
                             **common))
    got = nudges(q.step(401, balance="left", balance_for=122, **common))
    assert [e.get("kind") for e in got] == ["asymmetric_load"]
