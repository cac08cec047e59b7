"""Detectors are pure state machines: plain data in, events out, time passed in."""

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sitwatch.config import Balance, Config, Occupancy, Posture, Wallet
from sitwatch.sensing import layout
from sitwatch.sensing.detectors.balance import BalanceDetector
from sitwatch.sensing.detectors.baseline import Baseline
from sitwatch.sensing.detectors.dwell import Dwell
from sitwatch.sensing.detectors.occupancy import LEFT_KEEPS, OccupancyDetector, SittingTimer
from sitwatch.sensing.detectors.posture import PostureDetector, classify
from sitwatch.sensing.detectors.wallet import WalletDetector, Zones
from sitwatch.sensing.features import Extractor

LAY = layout.load("smartchair-12")
# Upright, leaning on the upper backrest: p00..p03 backrest, p04.. seat rear to front.
UPRIGHT = np.array([2400, 1800, 350, 1100, 1550, 1280, 300, 360, 630, 470, 290, 770], float)
SLOUCH = np.array([0, 0, 2500, 4000, 0, 0, 430, 510, 430, 345, 605, 870], float)
FORWARD = np.array([0, 0, 0, 0, 1050, 940, 340, 400, 1270, 940, 900, 800], float)
LEAN_L = np.array([2600, 0, 900, 0, 1600, 700, 400, 300, 900, 300, 400, 600], float)


def base() -> tuple[Extractor, Baseline]:
    ex = Extractor(LAY)
    return ex, Baseline.from_raw(ex, UPRIGHT)


def test_dwell_needs_the_candidate_to_hold() -> None:
    d = Dwell(None, 10)
    assert not d.step("a", 0)
    assert not d.step("a", 9.9)
    assert d.step("a", 10.0) and d.state == "a"
    assert not d.step("b", 11)
    assert not d.step("a", 12)  # interrupted: b must start again
    assert not d.step("b", 13)
    assert not d.step("b", 22.9)
    assert d.step("b", 23)


@settings(max_examples=200)
@given(
    st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.floats(0, 30)), max_size=60),
    st.floats(0, 20),
)
def test_dwell_property_every_change_was_held_long_enough(steps, dwell) -> None:
    d = Dwell(None, dwell)
    t = 0.0
    inputs: list[tuple[float, str]] = []
    for cand, dt in steps:
        t += dt
        inputs.append((t, cand))
        before = d.state
        if d.step(cand, t):
            # Either the run of equal candidates ending here lasted the dwell time, or the old
            # state had not been the candidate for twice the dwell time (flickering inputs).
            i = len(inputs) - 1
            while i > 0 and inputs[i - 1][1] == cand:
                i -= 1
            held = t - inputs[i][0]
            last_old = max((ts for ts, c in inputs[:-1] if c == before), default=None)
            gone = (t - inputs[0][0]) if last_old is None else (t - last_old)
            assert held >= dwell - 1e-9 or (before is not None and gone >= 2 * dwell - 1e-9)


def test_dwell_leaves_a_state_that_is_plainly_over() -> None:
    d = Dwell("slouched", 10)
    t = 0.0
    for i in range(40):  # flicker between two other candidates every 2 s
        t += 1
        d.step("upright" if (i // 2) % 3 else "reclined", t)
    assert d.state == "upright"


@settings(max_examples=200)
@given(st.lists(st.floats(0, 1.5), min_size=1, max_size=200))
def test_occupancy_hysteresis_property(ratios) -> None:
    cfg = Occupancy(enter_dwell=0, exit_dwell=0)
    det = OccupancyDetector(cfg)
    most = 0.0  # the most the seat carried since it was sat on: its average is no more
    for i, r in enumerate(ratios):
        before = det.state
        if before == "occupied":
            most = max(most, r)
        ev = det.step(r, float(i))
        # leaving: under exit_fraction, or under LEFT_KEEPS of the seated average
        floor = max(cfg.exit_fraction, LEFT_KEEPS * most)
        if ev is not None:
            assert ev.state != before
            if ev.state == "occupied":
                assert r >= cfg.enter_fraction
            elif before is None:
                assert r < cfg.enter_fraction  # the first report: not occupied
            else:
                assert r < floor
                most = 0.0
        if floor <= r < cfg.enter_fraction and before is not None:
            assert det.state == before  # the band between thresholds never flips the state


def test_getting_up_from_a_seat_whose_zeros_drifted_is_seen() -> None:
    """Pads whose zeros rose during a long sitting leave the empty seat reading above
    exit_fraction (0.15 of the upright load here): the fall from what the seat carried while
    sat on says the sitter left. A forward lean keeping half of it does not."""
    det = OccupancyDetector(Occupancy())
    t = 0.0
    for _ in range(1800):  # half an hour at 1.13 (the drift adds to the sitter's load)
        det.step(1.13, t)
        t += 1
    assert det.state == "occupied"
    for _ in range(60):  # a long forward lean: not leaving
        det.step(0.5, t)
        t += 1
    assert det.state == "occupied"
    evs = [det.step(0.15, t + k) for k in range(10)]
    assert [e.state for e in evs if e is not None] == ["empty"]
    assert det.step(0.15, t + 20) is None and det.state == "empty"  # stays empty
    assert det.step(1.1, t + 30) is None and det.step(1.1, t + 32).state == "occupied"


def test_occupancy_with_dwell() -> None:
    det = OccupancyDetector(Occupancy())  # enter 2 s, exit 3 s
    assert det.step(1.0, 0) is None
    assert det.step(1.0, 1.9) is None
    ev = det.step(1.0, 2.0)
    assert ev and ev.state == "occupied" and ev.t == 2.0
    assert det.step(0.05, 10) is None
    assert det.step(0.5, 11) is None  # back on the seat: the exit timer resets
    assert det.step(0.05, 12) is None
    assert det.step(0.05, 15).state == "empty"


def test_short_absences_do_not_reset_the_sitting_timer() -> None:
    timer = SittingTimer(min_break=120)
    assert timer.sit(0) is None
    timer.leave(1000)
    assert timer.spell(1060) == 1000  # away: the spell is paused, not reset
    assert timer.sit(1060) is None  # back after 60 s: same spell
    assert timer.spell(2000) == 2000
    timer.leave(2000)
    assert timer.on_break(2120) and timer.spell(2120) == 0
    brk = timer.sit(2300)
    assert brk is not None and brk.event == "break"
    assert brk.get("duration") == 300 and brk.get("spell") == 2000
    assert timer.spell(2400) == 100


def test_posture_rules_on_reference_frames() -> None:
    ex, b = base()
    cfg = Posture()
    assert classify(ex(UPRIGHT), b, cfg) == "upright"
    assert classify(ex(SLOUCH), b, cfg) == "slouched"
    assert classify(ex(FORWARD * 0.7), b, cfg) == "leaning_forward"
    recl = UPRIGHT.copy()
    recl[:4] = [0, 0, 2000, 3500]  # backrest loaded low, rear seat still loaded
    assert classify(ex(recl), b, cfg) == "reclined"


def test_posture_detector_reports_after_dwell_only() -> None:
    ex, b = base()
    det = PostureDetector(Posture(dwell=10))
    assert det.step(ex(UPRIGHT), b, 0) is None
    assert det.step(ex(UPRIGHT), b, 10).state == "upright"
    assert det.step(ex(SLOUCH), b, 20) is None
    assert det.step(ex(SLOUCH), b, 25) is None
    ev = det.step(ex(SLOUCH), b, 30)
    assert ev.state == "slouched" and ev.get("source") == "cushion"


def test_balance_detects_a_sideways_lean_with_hysteresis() -> None:
    ex, b = base()
    det = BalanceDetector(Balance(dwell=0))
    assert det.step(ex(UPRIGHT), b, 0).state == "balanced"
    ev = det.step(ex(LEAN_L), b, 1)
    assert ev is not None and ev.state == "left"
    assert det.shift < -0.25


# Four load cells, upright level: a frame whose seat centre of pressure sits ``s`` to the right
# (-s: to the left) of the baseline, on the balance threshold's scale (1.0: all on one side).
CELLS = layout.load("load-cells-4")
CELLS_UP = np.array([1000.0, 1000, 800, 800])


def cells_shifted(s: float) -> np.ndarray:
    """The load cells' centre ``s`` to the right on the threshold's scale (the body's span
    between the cells, the layout's [plate] body_x)."""
    assert CELLS.plate is not None
    k = s * CELLS.plate.body_x
    return CELLS_UP * np.array([1 - k, 1 + k, 1 - k, 1 + k])


def cells() -> tuple[Extractor, Baseline]:
    ex = Extractor(CELLS)
    return ex, Baseline.from_raw(ex, CELLS_UP)


def test_a_lean_to_the_other_side_ends_the_first_one() -> None:
    """Issue #10: a lean to the right straight after a lean to the left was never reported:
    the state stayed "left" for the whole right lean (340 s of fsr-cushion-9 session 1), because
    a shift between release and threshold kept the current side whichever side it was on. A
    shift past release on the *other* side ends the lean after the dwell (here 0.2: not past
    the threshold, so balanced, not right)."""
    ex, b = cells()
    det = BalanceDetector(Balance())  # threshold 0.25, release 0.15, dwell 10 s
    states = []
    for t in range(0, 30):
        ev = det.step(ex(cells_shifted(-0.4)), b, float(t))
        if ev is not None:
            states.append((ev.t, ev.state))
    assert det.state == "left"
    for t in range(30, 400):
        ev = det.step(ex(cells_shifted(0.2)), b, float(t))
        assert 0.19 < det.shift < 0.21
        if ev is not None:
            states.append((ev.t, ev.state))
    assert states == [(10.0, "left"), (40.0, "balanced")]


def test_sitting_evenly_ends_a_lean_after_the_end_dwell() -> None:
    """A lean is over after ``end_dwell`` (3 s) of sitting evenly, not the 10 s one takes to
    begin: those 10 s read lopsided while the sitter sat evenly again (free use: up to 4-7% of
    a recording's upright time). Never longer than ``dwell`` (a wheelchair's 0)."""
    ex, b = cells()
    for cfg, end in ((Balance(), 23.0), (Balance(dwell=0.0, end_dwell=3.0), 20.0),
                     (Balance(end_dwell=10.0), 30.0)):
        det = BalanceDetector(cfg)
        got = []
        for t in range(40):
            ev = det.step(ex(cells_shifted(-0.4 if t < 20 else 0.0)), b, float(t))
            if ev is not None:
                got.append((ev.t, ev.state))
        assert got == [(cfg.dwell, "left"), (end, "balanced")], (cfg, got)


def test_a_sustained_opposite_lean_is_reported_after_the_dwell_with_no_stop_between() -> None:
    ex, b = cells()
    det = BalanceDetector(Balance())
    got = []
    for t in range(0, 100):
        s = -0.4 if t < 30 else 0.4
        ev = det.step(ex(cells_shifted(s)), b, float(t))
        if ev is not None:
            got.append((ev.t, ev.state))
    assert got == [(10.0, "left"), (40.0, "right")]


def test_a_lean_wavering_inside_the_band_on_its_own_side_holds() -> None:
    """The hysteresis still does its job: a left lean easing to -0.16 and back, or a right one
    to +0.16, is still that lean (no extra flapping from the fix above)."""
    ex, b = cells()
    for side in (-1, 1):
        det = BalanceDetector(Balance())
        evs = [det.step(ex(cells_shifted(side * (0.3 if t < 20 or t % 7 == 0 else 0.16))), b,
                        float(t)) for t in range(200)]
        assert [e.state for e in evs if e] == ["left" if side < 0 else "right"]


@settings(max_examples=200)
@given(
    st.sampled_from([-1, 1]),
    st.floats(0.25, 0.8),
    st.lists(st.tuples(st.floats(0.0, 0.8), st.floats(0.1, 6)), min_size=1, max_size=40),
)
def test_balance_never_keeps_a_side_the_shift_has_left(side, lean, after) -> None:
    """A lean held past the dwell, then any shifts on the other side of the baseline (or on
    it) for two dwell times: the state is no longer the first side, whatever they were."""
    ex, b = cells()
    cfg = Balance()
    det = BalanceDetector(cfg)
    first = "left" if side < 0 else "right"
    for t in range(0, 15):
        det.step(ex(cells_shifted(side * lean)), b, float(t))
    assert det.state == first
    t = 15.0
    for s, dt in after:
        det.step(ex(cells_shifted(-side * s)), b, t)
        t += dt
    det.step(ex(cells_shifted(-side * after[-1][0])), b, max(t, 15.0 + 2 * cfg.dwell))
    assert det.state != first


def test_a_slump_straight_into_a_forward_lean_is_reported_after_the_dwell() -> None:
    """The posture detector has no such band: a slump followed directly by a forward lean
    (no upright between) is reported after the dwell, with no stop between."""
    ex, b = base()
    det = PostureDetector(Posture(dwell=10))
    got = []
    for t in range(0, 60):
        frame = SLOUCH if t < 30 else FORWARD * 0.7
        ev = det.step(ex(frame), b, float(t))
        if ev is not None:
            got.append((ev.t, ev.state))
    assert got == [(10.0, "slouched"), (40.0, "leaning_forward")]


def test_balance_ignores_a_barely_touched_backrest() -> None:
    ex, b = base()
    det = BalanceDetector(Balance(dwell=0))
    light = UPRIGHT.copy()
    light[:4] = [60, 0, 0, 0]  # a few grams on one corner of the backrest
    det.step(ex(light), b, 0)
    assert det.state == "balanced"


def test_balance_without_backrest_uses_the_seat() -> None:
    lay = layout.load("load-cells-4")
    ex = Extractor(lay)
    b = Baseline.from_raw(ex, np.array([1000.0, 1000, 800, 800]))
    det = BalanceDetector(Balance(dwell=0))
    assert det.step(ex(np.array([1500.0, 600, 1200, 500])), b, 0).state == "left"
    assert det.step(ex(np.array([600.0, 1500, 500, 1200])), b, 1).state == "right"


def test_a_crossed_leg_reads_lopsided_from_the_front_of_the_seat() -> None:
    """Four pads at the corners of a cushion: the left thigh comes off the front while the sit
    bones stay level, so the whole seat's centre barely moves but the front half tips to the
    right. (Load cells under a plate have no front cue: each carries a share of the whole
    load, so the front pair does not see the thighs alone.)"""
    cells = layout.load("load-cells-4")
    lay = replace(cells, name="pads-4", plate=None)
    ex = Extractor(lay)
    up = np.array([1000.0, 1000, 800, 800])
    b = Baseline.from_raw(ex, up)
    assert b.has_front
    assert not Baseline.from_raw(Extractor(cells), up).has_front
    crossed = np.array([1150.0, 1000, 420, 1030])  # rear level-ish, front 30/70
    f = ex(crossed)
    assert abs((f.cop_x - b.f.cop_x) / b.x_scale) < 0.15  # the seat alone would miss it
    det = BalanceDetector(Balance(dwell=0))
    ev = det.step(f, b, 0)
    assert ev is not None and ev.state == "right" and ev.get("cue") == "front"
    # 2 switches the front half off: the same sitting is balanced
    off = BalanceDetector(Balance(dwell=0, front_threshold=2))
    assert off.step(f, b, 0).state == "balanced"
    # feet a little uneven (a 60/40 front) is not lopsided
    assert BalanceDetector(Balance(dwell=0)).step(
        ex(np.array([1000.0, 1000, 640, 960])), b, 0).state == "balanced"


def test_the_front_cue_needs_front_sensors_on_both_sides() -> None:
    lay = layout.load("technion-5")  # one front sensor, in the middle
    ex = Extractor(lay, tare=np.full(5, 1200.0))
    b = Baseline.from_raw(ex, np.array([2844.0, 2521, 2882, 2458, 2856]))
    assert not b.has_front


def test_wallet_suspected_when_a_rear_spot_persists_across_postures() -> None:
    ex, _ = base()
    zones = Zones(LAY)
    det = WalletDetector(Wallet(min_duration=300, min_postures=2), zones, ex.load(UPRIGHT))
    wallet = UPRIGHT.copy()
    wallet[4] *= 3.0  # rear-left zone presses much harder than its mirror
    events = []
    for t in range(0, 400):
        posture = "upright" if t < 200 else "reclined"
        ev = det.step(ex.load(wallet), (posture, "balanced"), float(t))
        if ev:
            events.append(ev)
    assert [e.state for e in events] == ["suspected"]
    assert events[0].get("side") == "left"
    assert 300 <= events[0].t <= 301


def test_a_sideways_lean_is_not_a_wallet() -> None:
    ex, _ = base()
    det = WalletDetector(Wallet(min_duration=60), Zones(LAY), ex.load(UPRIGHT))
    lean = UPRIGHT.copy()
    lean[[4, 6, 8, 10]] *= 2.5  # the whole left side
    for t in range(0, 400):
        assert det.step(ex.load(lean), ("upright", "left"), float(t)) is None


def test_wallet_on_a_grid_is_pooled_into_zones() -> None:
    lay = layout.load("grid:16x16")
    ex = Extractor(lay)
    g = np.full((16, 16), 40.0)
    det = WalletDetector(Wallet(min_duration=10, min_postures=1), Zones(lay), ex.load(g.ravel()))
    g2 = g.copy()
    g2[2:6, 12:16] = 160  # rear right
    evs = [det.step(ex.load(g2.ravel()), ("upright", None), float(t)) for t in range(30)]
    got = [e for e in evs if e]
    assert got and got[0].get("side") == "right"


def test_full_config_defaults_are_consistent() -> None:
    cfg = Config()
    assert cfg.detect.occupancy.exit_fraction < cfg.detect.occupancy.enter_fraction
    assert cfg.detect.balance.release < cfg.detect.balance.threshold
    with pytest.raises(ValueError):
        Balance(threshold=0.1, release=0.2)
