"""The virtual cushion: determinism, ranges, per-posture physics, scripted days."""

from __future__ import annotations

import io
import math
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sitwatch.core.kinds import POSTURES, Posture
from sitwatch.sensing.detectors.wallet import Zones
from sitwatch.sensing.features import Extractor
from sitwatch.sensing.layout import Layout, load
from sitwatch.sensing.wire import COUNT, GARBAGE, LineParser
from sitwatch.sim import pty
from sitwatch.sim.body import EMPTY, Body, is_load_cells
from sitwatch.sim.script import (
    Script,
    Segment,
    away,
    default_day,
    script_by_name,
    short_demo,
    sit,
)
from sitwatch.sim.simulator import RAMP_S, Simulator
from sitwatch.sources import recording

UPRIGHT, SLOUCHED, RECLINED = Posture.UPRIGHT, Posture.SLOUCHED, Posture.RECLINED
FORWARD = Posture.LEANING_FORWARD
PHYSICS_LAYOUTS = ("smartchair-12", "load-cells-4", "matrix-16x16")
ALL_LAYOUTS = (*PHYSICS_LAYOUTS, "technion-5", "ethz-wheelchair-24", "grid:4x4",
               "fsr-cushion-9")  # the last one inverted: its reading falls as the load rises
HOLD = 30.0  # seconds per pose in the pose scripts


def pose_script(bodies: list[Body]) -> Script:
    return Script([Segment(HOLD, b) for b in bodies], "poses")


def mean_features(lay: Layout, bodies: list[Body], seed: int = 1) -> list[dict[str, float]]:
    """Features of the average of 40 noisy frames in the middle of each pose (no ramps)."""
    sim = Simulator(lay, pose_script(bodies), hz=10, seed=seed)
    ex = Extractor(lay)
    out = []
    for i in range(len(bodies)):
        t = i * HOLD + 8.0 + np.arange(40) * 0.5
        fr = sim.frames_at(t).astype(float)
        f = ex.batch(fr.mean(axis=0, keepdims=True))
        out.append({k: float(v[0]) for k, v in f.items()})
    return out


# -- determinism, ranges, types -------------------------------------------------------------

@pytest.mark.parametrize("name", ALL_LAYOUTS)
def test_frames_are_deterministic_for_a_seed_and_a_time(name: str) -> None:
    lay = load(name)
    scr = short_demo(3)
    a = Simulator(lay, scr, hz=20, seed=5)
    b = Simulator(lay, scr, hz=20, seed=5)
    ts = np.array([0.0, 31.0, 300.05, 1234.5, 5000.0, scr.duration - 1])
    fa = a.frames_at(ts)
    assert np.array_equal(fa, b.frames_at(ts))
    # alone or in a batch, in any order: the same frame
    for k in (4, 1, 3):
        assert np.array_equal(a.frame_at(float(ts[k])), fa[k])
    c = Simulator(lay, scr, hz=20, seed=6)
    assert not np.array_equal(fa[1:4], c.frames_at(ts)[1:4])


@pytest.mark.parametrize("name", ALL_LAYOUTS)
def test_values_are_integers_within_full_scale(name: str) -> None:
    lay = load(name)
    scr = short_demo(0)
    sim = Simulator(lay, scr, hz=1, seed=2)
    seen = 0
    for ts, fr in sim.frames(0, scr.duration, block=1000):
        assert fr.dtype.kind == "i"
        assert fr.shape == (len(ts), lay.n)
        assert fr.min() >= 0 and fr.max() <= lay.full_scale
        seen += len(ts)
    assert seen == math.ceil(scr.duration)


def test_gain_mismatch_is_within_ten_percent_and_fixed_per_seed() -> None:
    lay = load("matrix-16x16")
    g = Simulator(lay, Script([sit(10)]), seed=4).gain
    assert np.all(np.abs(g - 1) <= 0.1) and g.std() > 0.03
    assert np.array_equal(g, Simulator(lay, Script([sit(99)]), seed=4).gain)
    assert not np.array_equal(g, Simulator(lay, Script([sit(10)]), seed=5).gain)


@pytest.mark.parametrize("name", ALL_LAYOUTS)
def test_a_typical_sitter_uses_a_good_part_of_the_range(name: str) -> None:
    lay = load(name)
    sim = Simulator(lay, Script([sit(10)]), gain_spread=0.0)
    span = lay.full_scale - lay.zero_load
    for w in (60.0, 75.0, 95.0):
        peak = (lay.to_load(sim.expected(Body(weight=w))).max() - lay.zero_load) / span
        assert 0.2 <= peak <= 0.65, (w, peak)


@pytest.mark.parametrize("name", ALL_LAYOUTS)
def test_empty_seat_reads_zero_plus_noise(name: str) -> None:
    lay = load(name)
    sim = Simulator(lay, Script([away(60), sit(60)]), hz=10, seed=3)
    # in loads (an inverted layout's readings fall from ``zero`` as the load rises)
    fr = lay.to_load(sim.frames_at(np.arange(5, 55, 0.1)).astype(float)) - lay.zero_load
    span = lay.full_scale - lay.zero_load
    assert abs(fr.mean()) < 0.01 * span
    assert np.abs(fr).max() < 0.05 * span
    assert fr.std() > 0  # noise, not a constant
    sitting = lay.to_load(sim.frames_at(np.arange(70, 110, 0.1)).astype(float)) - lay.zero_load
    assert sitting.sum(axis=1).min() > 20 * np.abs(fr).sum(axis=1).mean()


def test_frame_generation_is_fast_for_a_16x16_matrix() -> None:
    sim = Simulator(load("matrix-16x16"), default_day(0), hz=20, seed=0)
    sim.frame_at(100.0)  # warm the pattern caches
    best = math.inf
    for rep in range(3):
        t0 = time.perf_counter()
        for k in range(200):
            sim.frame_at(1000.0 + rep * 50 + k * 0.05)
        best = min(best, (time.perf_counter() - t0) / 200)
    assert best < 1e-3, f"{best * 1e6:.0f} us per frame"


# -- physics per posture ----------------------------------------------------------------------

def poses(**kw: object) -> list[Body]:
    return [Body(posture=p, **kw) for p in POSTURES]  # type: ignore[arg-type]


@pytest.mark.parametrize("name", PHYSICS_LAYOUTS)
def test_slouch_unloads_the_rear_of_the_seat(name: str) -> None:
    lay = load(name)
    up, sl, _, _ = mean_features(lay, poses())
    assert sl["rear_share"] < 0.4 * up["rear_share"]
    assert sl["cop_y"] > up["cop_y"] + 0.35  # the pelvis slid forward
    if lay.back_mask.any():  # ... and the lower back rests on the backrest
        assert sl["back_load"] > up["back_load"]
        assert sl["back_y"] < up["back_y"] - 0.5


@pytest.mark.parametrize("name", PHYSICS_LAYOUTS)
def test_leaning_forward_unloads_the_backrest_and_moves_forward(name: str) -> None:
    lay = load(name)
    up, _, fw, _ = mean_features(lay, poses())
    if lay.back_mask.any():
        assert fw["back_load"] < 0.1 * up["back_load"]
    assert fw["seat_load"] < 0.85 * up["seat_load"]  # weight on the desk and the feet
    assert fw["cop_y"] > up["cop_y"] + 0.3
    assert fw["rear_share"] > 0.45 * up["rear_share"]  # the sit bones stay: not a slouch


@pytest.mark.parametrize("name", PHYSICS_LAYOUTS)
def test_reclining_loads_the_backrest_lower_and_keeps_the_rear_loaded(name: str) -> None:
    lay = load(name)
    up, _, _, rc = mean_features(lay, poses())
    assert rc["rear_share"] > 0.85 * up["rear_share"]
    if lay.back_mask.any():
        assert rc["back_load"] > 1.6 * up["back_load"]
        assert rc["back_y"] < up["back_y"] - 0.3


@pytest.mark.parametrize("name", PHYSICS_LAYOUTS)
@pytest.mark.parametrize("posture", POSTURES)
def test_lateral_lean_moves_the_centre_of_pressure_to_that_side(name: str, posture: str) -> None:
    lay = load(name)
    mid, left, right = mean_features(lay, [Body(posture=posture, lean=v)
                                           for v in (0.0, -0.8, 0.8)])
    assert left["cop_x"] < mid["cop_x"] - 0.2
    assert right["cop_x"] > mid["cop_x"] + 0.2
    assert abs(mid["cop_x"]) < 0.1  # centred, give or take the gain mismatch
    if lay.back_mask.any() and posture != FORWARD:
        assert left["back_x"] < mid["back_x"] < right["back_x"]


def rear_zone_ratio(lay: Layout, load_: np.ndarray, side: str) -> float:
    """Largest (wallet side / mirror) ratio over the rear seat zones."""
    z = Zones(lay)
    pooled = load_ @ z.pool + z.eps
    best = 0.0
    for (i, j), rear in zip(z.pairs, z.rear, strict=True):  # i is on the left
        if rear:
            r = pooled[i] / pooled[j] if side == "left" else pooled[j] / pooled[i]
            best = max(best, float(r))
    return best


@pytest.mark.parametrize("name", PHYSICS_LAYOUTS)
@pytest.mark.parametrize("posture", POSTURES)
@pytest.mark.parametrize("side", ["left", "right"])
def test_a_wallet_raises_a_rear_zone_on_its_side_in_every_posture(
        name: str, posture: str, side: str) -> None:
    lay = load(name)
    sim = Simulator(lay, Script([sit(10)]), seed=8)
    ex = Extractor(lay)
    plain = ex.load(sim.expected(Body(posture=posture)))
    wallet = ex.load(sim.expected(Body(posture=posture, wallet=side)))
    before, after = rear_zone_ratio(lay, plain, side), rear_zone_ratio(lay, wallet, side)
    # load cells only feel the small shift of the centre of pressure; pads and matrices see
    # the hard spot itself
    assert after > before * (1.01 if is_load_cells(lay) else 1.8), (before, after)
    # the wallet is not a lean: the whole-seat balance barely moves
    fp, fw = ex(plain), ex(wallet)
    assert abs(fw.cop_x - fp.cop_x) < 0.08


@pytest.mark.parametrize("side", ["left", "right"])
def test_a_crossed_leg_lifts_that_thigh_off_the_seat_and_leaves_the_sit_bones_level(
        side: str) -> None:
    """As fsr-cushion-9's crossed legs show: the front pad on the crossed leg's side empties,
    the rear stays balanced, and the seat's centre moves to the other side."""
    lay = load("matrix-16x16")
    sim = Simulator(lay, Script([sit(10)]), gain_spread=0.0)
    ex = Extractor(lay)
    plain, crossed = ex(sim.expected(Body())), ex(sim.expected(Body(leg=side)))
    sign = -1.0 if side == "left" else 1.0
    assert sign * (crossed.front_x - plain.front_x) < -0.3 * ex.layout.x.max()
    assert abs(crossed.rear_x - plain.rear_x) < 0.02
    assert sign * (crossed.cop_x - plain.cop_x) < 0
    assert Body(leg=side).describe() == f"upright, {side} leg crossed"
    with pytest.raises(ValueError, match="leg"):
        Body(leg="both")  # type: ignore[arg-type]


def test_the_wallet_stays_put_when_the_sitter_moves() -> None:
    lay = load("matrix-16x16")
    sim = Simulator(lay, Script([sit(10)]), gain_spread=0.0)
    cells = []
    for p in POSTURES:
        diff = sim.expected(Body(posture=p, wallet="right")) - sim.expected(Body(posture=p))
        cells.append(int(np.argmax(diff)))
    rc = {(c // 16, c % 16) for c in cells}
    rows = {r for r, _ in rc}
    cols = {c for _, c in rc}
    assert max(rows) - min(rows) <= 1 and max(cols) - min(cols) <= 1
    r, c = rc.pop()
    assert r <= 4 and c >= 10  # under the right rear buttock


def test_weight_scales_the_load() -> None:
    lay = load("load-cells-4")
    sim = Simulator(lay, Script([sit(10)]), gain_spread=0.0)
    light, heavy = sim.expected(Body(weight=60)).sum(), sim.expected(Body(weight=90)).sum()
    assert heavy / light == pytest.approx(1.5, rel=0.02)


def test_breathing_sways_the_backrest_at_about_a_quarter_hertz() -> None:
    lay = load("smartchair-12")
    sim = Simulator(lay, Script([sit(130, fidget=0.0)]), hz=10, seed=1, noise=0.0)
    t = np.arange(5, 125, 0.1)
    back = sim.frames_at(t)[:, lay.back_mask].sum(axis=1).astype(float)
    spec = np.abs(np.fft.rfft(back - back.mean()))
    freqs = np.fft.rfftfreq(len(back), 0.1)
    peak = freqs[np.argmax(spec[freqs > 0.1]) + np.count_nonzero(freqs <= 0.1)]
    assert 0.2 <= peak <= 0.3
    assert back.std() / back.mean() < 0.08  # a sway, not a posture change


def test_transitions_ramp_instead_of_teleporting() -> None:
    lay = load("smartchair-12")
    scr = Script([sit(20), sit(20, SLOUCHED)])
    sim = Simulator(lay, scr, hz=20, noise=0.0, dynamics=False)
    a, b = sim.expected(Body()), sim.expected(Body(posture=SLOUCHED))
    mid = sim.frame_at(20.0 + RAMP_S / 2).astype(float)
    changed = np.abs(b - a) > 200
    assert changed.any()
    lo, hi = np.minimum(a, b)[changed], np.maximum(a, b)[changed]
    margin = 0.2 * (hi - lo)
    assert np.all(mid[changed] > lo + margin) and np.all(mid[changed] < hi - margin)
    assert np.allclose(sim.frame_at(20.0 + RAMP_S + 0.5), b, atol=1.5)


def test_fidgets_happen_and_pass() -> None:
    lay = load("smartchair-12")
    scr = Script([sit(600, fidget=1.0)])
    sim = Simulator(lay, scr, hz=10, seed=2, noise=0.0)
    assert len(sim._fidgets) >= 8  # about 2 a minute for a restless sitter
    seat = sim.frames_at(np.arange(5, 595, 0.1))[:, lay.seat_mask].sum(axis=1).astype(float)
    med = np.median(seat)
    assert np.mean(np.abs(seat - med) > 0.05 * med) < 0.3  # mostly still
    calm = Simulator(lay, Script([sit(600, fidget=0.0)]), hz=10, seed=2)
    assert not calm._fidgets


# -- bodies and scripts -----------------------------------------------------------------------

@pytest.mark.parametrize("kw", [{"posture": "lying"}, {"lean": 1.5}, {"wallet": "back"},
                                {"weight": 5.0}, {"fidget": -0.1}])
def test_body_rejects_nonsense(kw: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Body(**kw)  # type: ignore[arg-type]


def test_script_truth_and_segments() -> None:
    scr = Script([away(10), sit(20, note="a"), sit(30, SLOUCHED, wallet="left"), away(5)])
    assert scr.duration == 65
    assert [(s.start, s.end) for s in scr.segments] == [(0, 10), (10, 30), (30, 60), (60, 65)]
    assert scr.truth_at(0) == EMPTY and not scr.truth_at(9.99).present
    assert scr.truth_at(10).posture == UPRIGHT
    assert scr.truth_at(45) == Body(posture=SLOUCHED, wallet="left")
    assert scr.truth_at(1e9) == EMPTY
    assert scr.episodes(lambda b: b.wallet is not None) == [(30, 60)]
    assert scr.spells() == [(10, 60)]
    with pytest.raises(ValueError):
        Script([])
    with pytest.raises(ValueError):
        Script([sit(0)])


def test_spells_join_short_absences_but_not_breaks() -> None:
    scr = Script([sit(600), away(90), sit(600), away(200), sit(300)])
    assert scr.absences() == [(600, 690), (1290, 1490)]
    assert scr.spells(min_break=120) == [(0, 1290), (1490, 1790)]


def minutes(span: tuple[float, float]) -> float:
    return (span[1] - span[0]) / 60


@pytest.mark.parametrize("seed", range(6))
def test_default_day_has_the_promised_episodes(seed: int) -> None:
    day = default_day(seed)
    assert 8 * 3600 <= day.duration <= 9 * 3600
    first = day.segments[0]
    assert not first.body.present and not day.segments[-1].body.present
    spells = day.spells(min_break=120)
    assert all(20 <= minutes(s) <= 70.5 for s in spells), [minutes(s) for s in spells]
    assert sum(minutes(s) > 45 for s in spells) >= 3
    absences = day.absences()
    short = [a for a in absences if minutes(a) < 2]
    breaks = [a for a in absences if minutes(a) >= 2]
    assert len(short) >= 3
    assert len(breaks) == len(spells) - 1
    assert all(minutes(b) >= 3 for b in breaks)
    assert sum(3 <= minutes(b) <= 15 for b in breaks) >= len(breaks) - 1  # and one lunch
    # short absences sit inside spells (they do not count as a break)
    for a in short:
        assert any(s[0] < a[0] and a[1] < s[1] for s in spells)
    sitting = sum(s.duration_s for s in day.segments if s.body.present)
    upright = sum(s.duration_s for s in day.segments
                  if s.body.present and s.body.posture == UPRIGHT and abs(s.body.lean) < 0.3)
    assert upright > 0.6 * sitting
    slouches = day.episodes(lambda b: b.present and b.posture == SLOUCHED)
    assert len(slouches) >= 3 and all(minutes(e) >= 3 for e in slouches)
    assert day.episodes(lambda b: b.present and b.posture == FORWARD)
    assert day.episodes(lambda b: b.present and b.posture == RECLINED)
    lops = day.episodes(lambda b: b.present and abs(b.lean) >= 0.7)
    assert lops and all(3 <= minutes(e) <= 10 for e in lops)
    wallet = [s for s in day.segments if s.body.wallet]
    assert sum(s.duration_s for s in wallet) >= 20 * 60
    assert len({s.body.posture for s in wallet}) >= 2
    # the first minutes of sitting are calm and upright (the auto-baseline learns them), with
    # empty pockets
    settle = day.segments[1]
    assert settle.body.posture == UPRIGHT and settle.duration_s >= 120
    assert settle.body.wallet is None and settle.body.lean == 0
    assert {s.body.weight for s in day.segments if s.body.present} == {settle.body.weight}


def test_default_day_depends_on_the_seed() -> None:
    assert default_day(1).describe() == default_day(1).describe()
    assert default_day(1).describe() != default_day(2).describe()


@pytest.mark.parametrize("seed", range(4))
def test_short_demo_covers_every_detector(seed: int) -> None:
    demo = short_demo(seed)
    assert 2 * 3600 <= demo.duration <= 3 * 3600
    spells = demo.spells(min_break=120)
    assert max(minutes(s) for s in spells) > 47
    absences = demo.absences()
    assert any(minutes(a) < 2 for a in absences) and any(minutes(a) >= 3 for a in absences)
    for p in (SLOUCHED, FORWARD, RECLINED):
        eps = [(s.start, s.end) for s in demo.segments if s.body.present and s.body.posture == p]
        assert eps and max(minutes(e) for e in eps) >= 2.5
    assert demo.episodes(lambda b: b.present and b.lean >= 0.7)
    assert demo.episodes(lambda b: b.present and b.lean <= -0.7)
    wallet = [s for s in demo.segments if s.body.wallet]
    assert sum(s.duration_s for s in wallet) >= 15 * 60
    assert len({s.body.posture for s in wallet}) >= 2


def test_scripts_by_name() -> None:
    assert script_by_name("day", 3).describe() == default_day(3).describe()
    assert script_by_name("demo").duration == short_demo(0).duration
    with pytest.raises(ValueError, match="day"):
        script_by_name("nope")


# -- lines, garbage, recordings ---------------------------------------------------------------

def test_lines_are_wire_format_v1() -> None:
    lay = load("smartchair-12")
    sim = Simulator(lay, short_demo(0), hz=20, seed=0)
    lines = list(sim.lines(100.0, 110.0))
    assert len(lines) == 200
    p = LineParser(lay.n, lay.full_scale)
    vals = [p.feed(line) for line in lines]
    assert p.stats.frames == 200 and not p.stats.dropped
    assert np.array_equal(vals[0].values, sim.frame_at(100.0))  # type: ignore[union-attr]
    assert all("," in line and " " not in line and "\n" not in line for line in lines)


@settings(max_examples=300, deadline=None)
@given(n=st.integers(1, 300), seed=st.integers(0, 2**32 - 1))
def test_every_kind_of_garbage_is_dropped_for_the_expected_reason(n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    line = ",".join(str(v) for v in rng.integers(0, 4096, n))
    p = LineParser(n, 4095)
    kind, data = pty.corrupt(line, n, rng)
    assert b"\n" not in data
    assert p.feed(data) is None
    assert p.stats.dropped == Counter({pty.GARBAGE_REASON[kind]: 1})
    assert pty.GARBAGE_REASON[kind] in (GARBAGE, COUNT)


def test_recording_round_trip_with_ground_truth(tmp_path: Path) -> None:
    lay = load("smartchair-12")
    out = tmp_path / "demo.csv"
    err = io.StringIO()
    assert pty.simulate_command(lay, hz=2, script_name="demo", seed=1, out=out,
                                     err=err) == 0
    demo = short_demo(1)
    assert str(out) in err.getvalue()
    h = recording.read_header(out)
    assert h.layout == "smartchair-12" and h.hz == 2
    assert h.extra["script"] == "demo" and h.extra["seed"] == "1"
    assert h.simulated  # calibrate keeps a simulated sitter off your cushion's profile
    parser = LineParser(lay.n, lay.full_scale)
    got = list(recording.frames(out, lay, parser=parser))
    assert len(got) == math.ceil(demo.duration * 2)
    assert not parser.stats.dropped
    sim = Simulator(lay, demo, hz=2, seed=1)
    t, v = got[1000]
    assert t == pytest.approx(500.0) and np.array_equal(v, sim.frame_at(500.0))
    truth = [line for line in out.read_text().splitlines() if line.startswith("# truth")]
    assert len(truth) == len(demo.segments)
    assert "posture=slouched" in "".join(truth)


def test_simulate_command_reports_bad_arguments() -> None:
    err = io.StringIO()
    assert pty.simulate_command("no-such-layout", out="x.csv", err=err) == 2
    assert "unknown layout" in err.getvalue()
    err = io.StringIO()
    assert pty.simulate_command("smartchair-12", script_name="week", out="x.csv",
                                     err=err) == 2
    assert "unknown script" in err.getvalue()
    err = io.StringIO()
    assert pty.simulate_command("smartchair-12", garbage_rate=1.5, err=err) == 2
    assert "between 0 and 1" in err.getvalue()


# -- the demo makes every detector fire ------------------------------------------------------

@pytest.mark.parametrize("name", ["smartchair-12", "matrix-16x16"])
def test_short_demo_makes_every_detector_fire(name: str, tmp_path: Path) -> None:
    """End to end through the real pipeline (auto calibration, default config)."""
    from sitwatch.config import Config
    from sitwatch.runtime.replay import replay

    lay = load(name)
    out = tmp_path / "demo.csv"
    pty.simulate_command(lay, hz=2, script_name="demo", seed=0, out=out,
                              err=io.StringIO())
    demo = short_demo(0)
    seen: Counter[tuple[str, str | None]] = Counter()
    for ev in replay(out, lay, Config()):
        key = ev.get("kind") if ev.event == "nudge" else ev.state
        seen[(ev.event, key)] += 1
        truth = demo.truth_at(ev.t - 5)  # reported once held for the 10 s dwell
        if ev.event == "posture" and ev.state in (SLOUCHED, FORWARD, RECLINED):
            assert truth.posture == ev.state, ev
        if ev.event == "balance" and ev.state in ("left", "right"):
            sign = 1 if ev.state == "right" else -1
            if ev.get("cue") == "front" and truth.wallet is not None:
                # The modelled wallet lifts its hip, unloading that thigh: the front of the
                # seat tips to the other side (the guide: a wallet tilts the pelvis).
                assert truth.wallet == ("left" if sign > 0 else "right"), ev
            else:
                assert truth.lean * sign > 0.5, ev
        if ev.event == "wallet" and ev.state == "suspected":
            assert truth.wallet == ev.get("side"), ev
    expected = [("calibration", "baseline"), ("occupancy", "occupied"), ("occupancy", "empty"),
                ("break", None), ("posture", SLOUCHED), ("posture", FORWARD),
                ("balance", "left"), ("balance", "right"), ("wallet", "suspected"),
                ("nudge", "prolonged_sitting"), ("nudge", "slouch"),
                ("nudge", "asymmetric_load"), ("nudge", "wallet")]
    if lay.back_mask.any():
        expected.append(("posture", RECLINED))
    missing = [k for k in expected if not seen[k]]
    assert not missing, (missing, seen)
    assert seen[("nudge", "prolonged_sitting")] == 1
    assert seen[("break", None)] == len(demo.spells()) - 1
