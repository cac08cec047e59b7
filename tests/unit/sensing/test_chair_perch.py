"""A chair with backrest sensors tells a perch from a slump: both empty the rear of the seat
and move its centre far forward, but a slump rests the lower back on the backrest and a perch
leaves it free (issue #10; the simulated population's perchers showed the 12-sensor chair
calling their perch a slump)."""

import pytest

from sitwatch.config import Posture as PostureCfg
from sitwatch.core.kinds import Posture
from sitwatch.sensing.detectors.baseline import Baseline
from sitwatch.sensing.detectors.posture import classify, perched
from sitwatch.sensing.features import Extractor
from sitwatch.sensing.layout import load
from sitwatch.sim.body import Body, PressureModel

CHAIR = load("smartchair-12")


def judge(body: Body, upright: Body) -> str:
    model = PressureModel(CHAIR)
    ex = Extractor(CHAIR)
    b = Baseline.from_raw(ex, model(upright))
    assert b.has_back
    return classify(ex(model(body)), b, PostureCfg())


@pytest.mark.parametrize("weight", [50.0, 75.0, 120.0])
def test_a_perch_reads_leaning_forward_and_a_slump_still_slouched(weight: float) -> None:
    up = Body(weight=weight)
    assert judge(Body(variant="perch", weight=weight, backrest=0.0), up) == Posture.LEANING_FORWARD
    assert judge(Body(posture=Posture.SLOUCHED, weight=weight), up) == Posture.SLOUCHED
    # a slump with the lower back only lightly on the backrest is still one
    light = Body(posture=Posture.SLOUCHED, weight=weight, backrest=0.3)
    assert judge(light, Body(weight=weight, backrest=0.4)) == Posture.SLOUCHED


@pytest.mark.parametrize("weight", [50.0, 75.0, 120.0])
def test_a_perch_is_told_as_one_for_its_words(weight: float) -> None:
    """The snapshot's ``perched`` (the nudge's words for a perch): a perch, not a slump, not a
    forward lean with the sit bones still loaded, not on a seat without a backrest."""
    model, ex = PressureModel(CHAIR), Extractor(CHAIR)
    up = model(Body(weight=weight))
    b = Baseline.from_raw(ex, up)
    cfg = PostureCfg()
    assert perched(ex(model(Body(variant="perch", weight=weight, backrest=0.0))), b, cfg)
    assert not perched(ex(model(Body(posture=Posture.SLOUCHED, weight=weight))), b, cfg)
    assert not perched(ex(model(Body(posture=Posture.LEANING_FORWARD, weight=weight))), b, cfg)
    assert not perched(ex(up), b, cfg)
    seat = load("fsr-cushion-9")
    sm, sx = PressureModel(seat), Extractor(seat)
    alone = Baseline.from_raw(sx, sm(Body(weight=weight)))
    assert not perched(sx(sm(Body(variant="perch", weight=weight, backrest=0.0))), alone, cfg)
