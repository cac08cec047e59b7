import numpy as np
import pytest

from sitwatch.sensing import layout
from sitwatch.sensing.features import NAMES, Extractor


def test_centre_of_pressure_and_shares_on_load_cells() -> None:
    ex = Extractor(layout.load("load-cells-4"))
    # rear-left, rear-right, front-left, front-right
    f = ex(np.array([30000.0, 10000.0, 0.0, 0.0]))
    assert f.seat_load == 40000
    assert f.cop_x == pytest.approx(-0.5)
    assert f.cop_y == pytest.approx(-1.0)
    assert f.left_share == pytest.approx(0.75)
    assert f.rear_share == pytest.approx(1.0)
    assert f.back_load == 0 and f.back_share == 0
    assert f.peak == 0
    assert f.contact == pytest.approx(0.5)  # two of four cells carry load


def test_tare_is_subtracted_and_clipped() -> None:
    ex = Extractor(layout.load("load-cells-4"), tare=np.array([50.0, 50, 50, 50]))
    f = ex(np.array([40.0, 150, 50, 50]))
    assert f.seat_load == 100
    assert f.cop_x == pytest.approx(1.0)


def test_empty_frame_gives_zero_shares_not_nan() -> None:
    ex = Extractor(layout.load("smartchair-12"))
    f = ex(np.zeros(12))
    assert all(np.isfinite(getattr(f, n)) for n in NAMES)
    assert f.peak == -1


def test_unusable_channel_takes_its_mirror_out_of_the_left_right_features_only() -> None:
    lay = layout.load("smartchair-12")
    ex = Extractor(lay)
    raw = np.zeros(12)
    raw[4], raw[5], raw[7] = 1000, 1000, 4095  # p07 stuck high
    raw[6] = 600
    assert ex(raw).cop_x > 0.2
    usable = np.ones(12, bool)
    usable[7] = False
    ex.set_usable(usable)
    assert ex.usable[6] and not ex.paired[6]  # its mirror leaves the left/right features
    f = ex(raw)
    assert f.cop_x == pytest.approx(0.0)  # p04 | p05 only: balanced
    assert f.left_share == pytest.approx(0.5)
    # ... but still counts front to back: p06 sits at y=-0.25, the rear row at y=-0.75
    assert f.seat_load == pytest.approx(2600)
    assert f.cop_y == pytest.approx((-0.75 * 2000 - 0.25 * 600) / 2600)
    # batch agrees
    b = ex.batch(raw[None, :])
    assert b["cop_y"][0] == pytest.approx(f.cop_y) and b["cop_x"][0] == pytest.approx(0.0)


def test_batch_matches_per_frame() -> None:
    rng = np.random.default_rng(1)
    lay = layout.load("smartchair-12")
    ex = Extractor(lay, tare=rng.uniform(0, 50, 12))
    frames = rng.uniform(0, 4095, (50, 12))
    b = ex.batch(frames)
    for i in (0, 17, 49):
        f = ex(frames[i])
        for name in NAMES:
            assert b[name][i] == pytest.approx(getattr(f, name))


def test_backrest_features() -> None:
    lay = layout.load("smartchair-12")
    ex = Extractor(lay)
    raw = np.zeros(12)
    raw[2:4] = 1000  # lower backrest row
    raw[4:12] = 500
    f = ex(raw)
    assert f.back_load == 2000
    assert f.back_y == pytest.approx(-0.5)
    assert f.back_share == pytest.approx(2000 / 6000)


@pytest.mark.parametrize("name", ["smartchair-12", "fsr-cushion-9", "load-cells-4",
                                  "ethz-wheelchair-24", "matrix-16x16"])
def test_a_frame_gives_the_numbers_of_the_plain_formula(name: str) -> None:
    """Each frame's loads and features are bit for bit those of ``np.maximum(raw - tare, 0.0)
    @ w`` and a division per share (what the quicker path stands for), readings under, at
    and over the tare (signed zeros too), with a channel left out and one read from its
    mirror."""
    lay = layout.load(name)
    rng = np.random.default_rng(5)
    tare = np.round(rng.uniform(0, 0.05, lay.n) * lay.full_scale, 1)
    tare[0], tare[-1] = -0.0, 0.0
    ex = Extractor(lay, tare)
    frames = rng.uniform(0, 1, (300, lay.n)) * lay.full_scale * rng.uniform(0, 1, (300, 1))
    frames[rng.uniform(0, 1, frames.shape) < 0.2] = 0.0
    frames[:, 1] = tare[1]  # at the tare exactly
    frames[::7, 0] = frames[::5, -1] = -0.0
    frames = np.round(frames, 1)
    usable = np.ones(lay.n, bool)
    usable[2] = False
    j = int(lay.mirror[3])
    for stand in ({}, {3: (j, 0.7)} if j >= 0 else {}):
        ex.set_usable(usable, None, stand)
        for raw in frames:
            f = ex(raw)
            load = np.maximum(raw - tare, 0.0)
            r = (load @ ex._w).tolist()
            want = [r[i] / r[d] if d >= 0 and r[d] > 1e-9 else (0.0 if d >= 0 else r[i])
                    for i, d in enumerate(ex._den)]
            assert np.array_equal(f.load, load)
            assert np.array_equal(np.signbit(f.load), np.signbit(load))
            assert [getattr(f, n) for n in NAMES] == want
