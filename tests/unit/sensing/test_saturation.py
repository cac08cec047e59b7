"""A sensor at full scale reads a lower bound on its load, not garbage (issue #10).

Heavy sitters and small FSRs drive a healthy sensor to full scale, for minutes or for good.
Channel health tells such a *saturated* channel apart from a broken one (stuck below full scale,
or at full scale with nobody seated); the features keep counting a saturated channel (where the
upright baseline read it below full scale) and leave it out only of the left/right features,
with its mirror."""

from __future__ import annotations

import numpy as np
import pytest

from sitwatch.config import Config
from sitwatch.sensing import layout
from sitwatch.sensing.calibration import from_arrays
from sitwatch.sensing.features import Extractor
from sitwatch.sensing.health import ChannelHealth
from sitwatch.sensing.pipeline import Pipeline

FS = 4095.0
LAY = layout.load("smartchair-12")  # p00-p03 backrest, p04/p05 rear row .. p10/p11 front row


def seated(rng: np.random.Generator, n: int, level: np.ndarray) -> np.ndarray:
    return np.clip(level * (1 + 0.03 * rng.standard_normal((n, len(level)))), 0, FS)


def test_full_scale_while_seated_is_saturated_and_full_scale_while_empty_is_broken() -> None:
    rng = np.random.default_rng(3)
    h = ChannelHealth(4, FS)
    for raw in seated(rng, 1200, np.array([1500.0, 1500, 1500, 1500])):  # 10 minutes seated
        raw[1] = FS  # a heavy sitter: channel 1 sits at full scale
        h.step(raw, 0.5, True)
    assert list(h.clipped) == [False, True, False, False]
    assert not h.bad.any()  # counted at full scale, not left out
    assert h.describe_clipped(["a", "b", "c", "d"]) == ["b (saturated)"]
    # the sitter leaves and channel 1 stays at full scale: no load can do that, it is shorted
    for raw in seated(rng, 240, np.array([5.0, 5, 5, 5])):
        raw[1] = FS
        h.step(raw, 0.5, False)
    assert list(h.bad) == [False, True, False, False] and not h.clipped.any()
    assert h.describe(["a", "b", "c", "d"]) == ["b (full scale with nobody seated)"]


def test_a_channel_out_of_left_right_only_still_counts_front_to_back() -> None:
    ex = Extractor(LAY)
    raw = np.zeros(12)
    raw[4:12] = [1000, 1000, 2000, FS, 800, 800, 500, 500]
    clipped = np.zeros(12, bool)
    clipped[7] = True
    ex.set_usable(np.ones(12, bool), clipped)
    f = ex(raw)
    assert f.seat_load == pytest.approx(raw[4:12].sum())  # never less than it reads
    assert f.cop_y == pytest.approx((raw[4:12] * LAY.y[4:12]).sum() / raw[4:12].sum())
    assert f.cop_x == pytest.approx(0.0)  # p07 and its mirror p06 out of left/right
    b = ex.batch(raw[None, :])
    assert b["seat_load"][0] == pytest.approx(f.seat_load)
    assert b["cop_x"][0] == pytest.approx(0.0, abs=1e-9)


def heavy_chair(rng: np.random.Generator, n: int, away: bool, mid: float = 4600) -> np.ndarray:
    """A heavy sitter on the 12-sensor chair: the mid-seat pair (p06, p07) pressed with
    ``mid`` (over full scale: saturated). ``away``: sitting upright clear of the backrest; what
    the backrest carried goes onto the mid seat, which cannot show it."""
    level = np.array([1000.0, 1000, 1000, 1000, 1500, 1500, mid, mid, 800, 800, 400, 400])
    if away:
        level[0:4] = 25.0
        level[6:8] += 2000
    return np.asarray(np.minimum(seated(rng, n, level), FS))


def test_a_heavy_sitter_whose_mid_seat_saturates_does_not_read_leaning_forward() -> None:
    """Before: the saturated pair was set aside with its load, so when the sitter sat clear of
    the backrest the chair seemed to carry 40% less than upright: the forward rule's load ratio
    read leaning forward. Calibrated while the pair still read below full scale, it saturates
    later (the sitter settles in, the pads creep)."""
    rng = np.random.default_rng(7)
    calm = np.vstack([heavy_chair(rng, 240, away=False, mid=3600),  # calibration: 2 minutes
                      heavy_chair(rng, 1200, away=False)])  # 10 minutes: the pair saturates
    prof = from_arrays(LAY, tare=np.zeros(12), upright=np.median(calm[:120], axis=0),
                       method="recording")
    pl = Pipeline(LAY, Config(), prof)
    t = 0.0
    for raw in calm:
        pl.process(t, raw)
        t += 0.5
    assert not pl.ex.paired[6] and not pl.ex.paired[7]  # out of left/right by now
    states = []
    for raw in heavy_chair(rng, 1200, away=True):
        pl.process(t, raw)
        states.append(str(pl.posture.state))
        t += 0.5
    assert states.count("leaning_forward") / len(states) < 0.03, states[-1]


def test_a_channel_saturated_in_the_baseline_too_is_left_out_of_the_load_ratios() -> None:
    """Both sides of a load ratio would hold its unknown load: the ratio is taken over the
    others (vanessa's p07 reads near full scale whenever she sits)."""
    rng = np.random.default_rng(5)
    level = np.array([800.0, 800, 800, 800, 1500, 1500, 2000, 4600, 1200, 1200, 800, 800])
    up = np.minimum(level, FS)
    pl = Pipeline(LAY, Config(), from_arrays(LAY, tare=np.zeros(12), upright=up,
                                             method="recording"))
    t = 0.0
    for raw in seated(rng, 1200, level):
        pl.process(t, np.minimum(raw, FS))
        t += 0.5
    assert pl.health.clipped[7] and not pl.ex.usable[7]
    assert pl.baseline is not None
    assert pl.baseline.seat_load == pytest.approx(up[4:12].sum() - up[7])


def test_a_channel_the_calibration_read_at_full_scale_is_set_aside_from_the_first_frame() -> None:
    """The smartchair's second sitter saturates p07 (about 4000 of 4095, ten times its mirror)
    in her calibration minute and most postures. Channel health needs minutes of sitting to call
    it saturated; until then it dominated the seat's features and her slump kept half of its
    rear share, reading reclined (free use: the slump was missed whenever it came within the
    first minutes). The calibration already shows it: the channel is set aside at once."""
    rng = np.random.default_rng(5)
    seat = np.array([900.0, 900, 300, FS, 500, 500, 300, 300])
    up = np.concatenate([np.full(4, 800.0), seat])
    prof = from_arrays(LAY, tare=np.zeros(12), upright=up, method="recording")
    pl = Pipeline(LAY, Config(), prof)
    assert pl.health.clipped[7] and not pl.health.bad.any()
    assert not pl.ex.usable[7]  # the baseline read it at full scale too: no side knows its load
    # a slump straight away: the rear row empties, the lower back loads the backrest, p07 stays
    # at full scale
    slump = np.concatenate([np.full(4, 1200.0), [60, 60, 500, FS, 900, 900, 800, 800]])
    for i, raw in enumerate(seated(rng, 60, slump)):
        raw[7] = FS
        pl.process(i * 0.5, raw)
    assert pl.posture.state == "slouched"
    # channels the calibration read below full scale are left to channel health
    prof2 = from_arrays(LAY, tare=np.zeros(12), upright=np.concatenate(
        [np.full(4, 800.0), seat * [1, 1, 1, 0.5, 1, 1, 1, 1]]), method="recording")
    assert not Pipeline(LAY, Config(), prof2).health.clipped.any()


def test_rear_pads_the_sit_bones_fill_at_calibration_are_left_to_channel_health() -> None:
    """A heavy sitter's sit bones drive the rear pads to full scale, and their emptying is what
    a seat alone reads of a slide or a perch (a simulated 129 kg sitter on the 9-FSR cushion:
    both rear corners at full scale upright; set aside from the start, its perch read as half
    lying). Below full scale those pads read the load itself, so they stay in."""
    seat = np.array([FS, FS, 900, 900, 500, 500, 300, 300])  # p04/p05: the rear row
    up = np.concatenate([np.full(4, 800.0), seat])
    pl = Pipeline(LAY, Config(), from_arrays(LAY, tare=np.zeros(12), upright=up,
                                             method="recording"))
    assert not pl.health.clipped.any() and pl.ex.usable.all()
