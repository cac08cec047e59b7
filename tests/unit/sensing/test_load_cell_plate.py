"""Four load cells under a seat plate (issue #10): leans and slumps at the scale a body moves.

Corner cells sit outside the body. Each carries a share of the whole load by the lever rule, so
together they give the body's own centre of pressure, which moves only as far as the body's load
reaches (a fraction of the way to the cells). The layout's ``[plate]`` table says where the load
lies (``body_x``, ``body_y``); the detectors measure moves on that span. The frames here come
from the simulator's body on the shipped ``load-cells-4`` layout (sitwatch.sim.body), whose
cells follow the statics of a rigid plate.
"""

from __future__ import annotations

import numpy as np
import pytest

from sitwatch.config import Balance as BalanceCfg
from sitwatch.config import Posture as PostureCfg
from sitwatch.core.kinds import Posture
from sitwatch.evaluation import datasets, variants
from sitwatch.sensing import layout
from sitwatch.sensing.detectors.balance import shift
from sitwatch.sensing.detectors.baseline import Baseline
from sitwatch.sensing.detectors.posture import classify
from sitwatch.sensing.features import Extractor
from sitwatch.sensing.layout import LayoutError
from sitwatch.sim.body import Body, PressureModel, is_load_cells

CELLS = layout.load("load-cells-4")
MODEL = PressureModel(CELLS)
EX = Extractor(CELLS, np.zeros(CELLS.n))


UPRIGHT = Body()


def baseline(body: Body = UPRIGHT) -> Baseline:
    return Baseline.from_raw(EX, MODEL(body))


def posture(body: Body, up: Body = UPRIGHT) -> str:
    return classify(EX(MODEL(body)), baseline(up), PostureCfg())


# -- the layout says what the cells are -------------------------------------------------------

def test_the_shipped_load_cell_layout_is_a_plate_with_a_typical_sitter() -> None:
    assert CELLS.plate is not None
    assert (CELLS.plate.body_x, CELLS.plate.body_y) == (0.4, 0.5)
    assert CELLS.summary().endswith("load cells under a plate (body_x 0.4, body_y 0.5)")
    for name in layout.builtin_names():
        if name != "load-cells-4":
            assert layout.load(name).plate is None, name


CHANNELS = "".join(
    f'[[channels]]\nsurface = "seat"\nx = {x}\ny = {y}\n'
    for x, y in ((-0.8, -0.8), (0.8, -0.8), (-0.8, 0.8), (0.8, 0.8)))


def test_a_plate_table_is_read_with_defaults(tmp_path) -> None:
    p = tmp_path / "mine.toml"
    p.write_text("[plate]\nbody_x = 0.3\n" + CHANNELS)
    lay = layout.load(p)
    assert lay.plate == layout.Plate(0.3, 0.5)
    p.write_text("[plate]\n" + CHANNELS)
    assert layout.load(p).plate == layout.Plate(0.4, 0.5)
    # the simulator treats it as load cells, though its cells are not at the corners
    assert is_load_cells(layout.load(p))


@pytest.mark.parametrize(
    ("text", "msg"),
    [
        ("plate = 0.4\n" + CHANNELS, "plate must be a table"),
        ("[plate]\nbody_z = 0.4\n" + CHANNELS, "[plate]: unknown key(s) ['body_z']"),
        ("[plate]\nbody_x = 1.5\n" + CHANNELS, "[plate] body_x = 1.5: must be a number above 0"),
        ("[plate]\nbody_y = 0\n" + CHANNELS, "[plate] body_y = 0: must be a number above 0"),
        ('[plate]\nbody_x = "wide"\n' + CHANNELS, "[plate] body_x = 'wide'"),
        ("[plate]\n[grid]\nrows = 4\ncols = 4\n", "not a [grid] matrix"),
        ('[plate]\n[[channels]]\nsurface = "seat"\nx = -1\ny = 0\n'
         '[[channels]]\nsurface = "seat"\nx = 1\ny = 0\n', "three or more seat channels"),
    ],
)
def test_a_bad_plate_table_names_the_file_the_key_and_the_fix(tmp_path, text, msg) -> None:
    p = tmp_path / "bad.toml"
    p.write_text(text)
    with pytest.raises(LayoutError) as e:
        layout.load(p)
    assert str(p) in str(e.value) and msg in str(e.value)


# -- leans -----------------------------------------------------------------------------------

@pytest.mark.parametrize("lean", [0.35, 0.45, 0.9])
def test_a_sideways_lean_crosses_the_threshold_on_corner_cells(lean) -> None:
    """Issue #10, sitter 57: a lean of 0.45 moved the plate's centre 0.17 of the way to the
    cells, which the cells' own span (1.0) read as a shift of 0.17 against a 0.25 threshold.
    On the body's span (0.4) it is 0.43. Fails without the plate's scale."""
    b = baseline()
    thr = BalanceCfg().threshold
    for side in (-1, 1):
        s = shift(EX(MODEL(Body(lean=side * lean))), b)
        assert s * side >= thr, (lean, side, s)


def test_upright_sitting_a_little_to_one_side_stays_balanced() -> None:
    """The population's usual sitting leans up to 0.15 either way: below the release."""
    b = baseline()
    for lean in (-0.15, 0.15):
        assert abs(shift(EX(MODEL(Body(lean=lean))), b)) < BalanceCfg().release


def test_no_pair_of_cells_is_a_cue_of_its_own() -> None:
    """Each pair carries the lever share of the whole load: no pair isolates the thighs (the
    crossed-leg cue) or the sit bones (the rear cue)."""
    b = baseline()
    assert b.plate and not b.has_front and not b.has_rear


# -- slumps ----------------------------------------------------------------------------------

@pytest.mark.parametrize("depth", [0.5, 0.75, 1.0])
def test_a_slump_that_keeps_the_weight_reads_slouched(depth) -> None:
    """The pelvis slides forward: the plate's centre moves 0.37-0.74 half-depths, the seat
    keeps ~90% of the load. The rear pair keeps its lever share until the centre nears the front
    cells, so the rear-emptied test of pads missed every gentle slump. Fails without the plate
    rule."""
    assert posture(Body(posture=Posture.SLOUCHED, depth=depth)) == "slouched"
    # sitting upright clear of the backrest, the slump measured from that upright
    away = Body(backrest=0.1)
    assert posture(Body(posture=Posture.SLOUCHED, depth=depth, backrest=0.1), away) == "slouched"


def test_what_is_not_a_slump_on_corner_cells() -> None:
    """Upright away from the backrest, reclining, a forward lean (weight to the desk and feet)
    and a perch (the feet carry ~40%) are not slumps; the last two read weight forward."""
    assert posture(Body()) == "upright"
    assert posture(Body(backrest=0.1)) == "upright"
    assert posture(Body(posture=Posture.RECLINED)) == "upright"
    assert posture(Body(posture=Posture.LEANING_FORWARD)) == "leaning_forward"
    assert posture(Body(variant="perch", backrest=0.0)) == "leaning_forward"


# -- the smartchair's 4-cell copy --------------------------------------------------------------

def test_the_smartchair_cell_copy_carries_each_sensor_by_the_lever_rule() -> None:
    """A plate's cells give the load's own centre of pressure (sensors where they are), not one
    with every sensor moved to a corner as quarter sums did (twice as far sideways for the
    sensors at x = +-0.5). p07, faulty in both recordings, is taken as its mirror p06. Fails
    with the summed copy."""
    chair = layout.load("smartchair-12")
    rng = np.random.default_rng(4)
    v = rng.uniform(0, 4000, (20, chair.n))
    d = datasets.Labelled("smartchair-ml/x", "x", chair, np.arange(20) * 0.5, v,
                          np.ones(20, int), {})
    x = variants.seat_only(d, "cells4")
    assert x.layout.plate == CELLS.plate and x.layout.n == 4
    seat = [4, 5, 6, 7, 8, 9, 10, 11]
    p = v[:, seat].copy()
    p[:, 3] = p[:, 2]  # p07 as p06
    ex = Extractor(x.layout, np.zeros(4))
    for row, frame in zip(p, x.values, strict=True):
        f = ex(frame)
        assert f.seat_load == pytest.approx(row.sum())  # every sensor's load carried, once
        assert f.cop_x == pytest.approx(row @ chair.x[seat] / row.sum())
        assert f.cop_y == pytest.approx(row @ chair.y[seat] / row.sum())
