"""The simulated population of the stress test: deterministic, every class present."""

from dataclasses import replace

import numpy as np
import pytest

from sitwatch.evaluation import population as P
from sitwatch.evaluation.scoring import first_upright_profile
from sitwatch.sim.script import Script, Segment
from sitwatch.sim.simulator import Simulator


def test_the_same_seed_gives_the_same_sitters_whatever_the_population_size() -> None:
    assert P.population(12) == P.population(12)
    assert P.population(30)[:12] == P.population(12)
    assert P.population(12, seed=1) != P.population(12)


def test_a_sitters_recording_is_deterministic() -> None:
    s = P.sitter(3)
    a, b = P.recording(s), P.recording(s)
    assert (a.values == b.values).all() and (a.label == b.label).all()
    assert not (P.recording(P.sitter(8)).values[:100] == a.values[:100]).all()


def test_the_full_population_covers_every_class_of_sitter_and_device() -> None:
    people = P.population(P.FULL)
    seen = {c for s in people for c in s.classes()}
    assert seen == set(P.CLASS_ORDER)
    assert {s.layout for s in people} == {k for k, _ in P.LAYOUTS}
    for key, _ in P.LAYOUTS:
        assert sum(s.layout == key for s in people) == P.FULL // len(P.LAYOUTS)
    w = [s.weight for s in people]
    assert min(w) < 50 and max(w) > 125 and all(45 <= x <= 130 for x in w)
    assert min(s.gain_spread for s in people) < 0.05 < 0.25 < max(s.gain_spread for s in people)
    quick = {c for s in P.population(P.QUICK) for c in s.classes()}
    assert len(quick) >= 12  # --quick still meets most classes


def test_a_recording_follows_the_real_recordings_protocol() -> None:
    d = P.recording(P.sitter(0))
    codes = set(d.label.tolist())
    assert codes == {0, 1, 3, 4, 5, 7, 8, 12}  # sitter 0 sits against the backrest (code 1)
    # the calibration: the first upright minute and the empty seat before it
    prof, (a, b) = first_upright_profile(d)
    assert d.label[d.t < 30].tolist() == [0] * int(30 * P.HZ)
    assert (d.label[(d.t >= a) & (d.t < b)] == 1).all()
    assert prof.tare is not None


def test_habits_and_faults_show_in_the_readings() -> None:
    people = P.population(60)
    stuck = next(s for s in people if s.stuck and s.layout == "smartchair-12")
    d = P.recording(stuck)
    late = d.values[d.t >= P.STUCK_FROM]
    assert (late.max(axis=0) == late.min(axis=0)).sum() == 1  # one channel frozen
    fsr = next(s for s in people if s.layout == "fsr-cushion-9")
    d = P.recording(fsr)
    assert fsr.inverted and d.layout.inverted
    assert d.values[d.label == 0].mean() > 0.9 * d.layout.full_scale  # empty reads high
    away = next(s for s in people if s.away and s.layout == "smartchair-12")
    d = P.recording(away)
    back = ~d.layout.seat_mask
    cal = d.values[(d.label == 1) & (d.t > 40) & (d.t < 100)][:, back].mean()
    usual = d.values[d.label == 2][:, back].mean()
    assert usual < 0.5 * cal  # clear of the backrest after calibrating against it


def test_population_run_scores_ours_and_the_naive_rule() -> None:
    res = P.run(2)
    assert [r.sitter.index for r in res] == [0, 1]
    for r in res:
        assert r.ours.occupancy is not None and r.naive.occupancy is not None
        assert r.naive.forward_recall is None
    rows = P.layout_rows(res)
    assert rows[-2][:3] == ["all layouts", "2", "ours"]
    assert rows[-1][2] == "naive"


@pytest.mark.parametrize("depth", [0.5, 0.75])
def test_a_gentler_slump_sits_between_upright_and_the_full_slump(depth: float) -> None:
    from sitwatch.core.kinds import Posture
    from sitwatch.sensing.layout import load
    from sitwatch.sim.body import Body, PressureModel

    m = PressureModel(load("smartchair-12"))
    rear = [4, 5]
    up = m(Body())[rear].sum()
    full = m(Body(posture=Posture.SLOUCHED))[rear].sum()
    gentle = m(replace(Body(posture=Posture.SLOUCHED), depth=depth))[rear].sum()
    assert full < gentle < up
    assert np.allclose(m(Body(posture=Posture.SLOUCHED, depth=1.0)), m(Body(posture="slouched")))


def test_the_same_figures_on_one_worker_or_several(monkeypatch) -> None:
    monkeypatch.setenv("SITWATCH_EVAL_JOBS", "1")
    one = P.run(3)
    monkeypatch.setenv("SITWATCH_EVAL_JOBS", "2")
    two = P.run(3)
    assert one == two


def test_drift_and_a_stuck_channel_leave_a_plain_simulation_alone() -> None:
    from sitwatch.sim.body import EMPTY
    from sitwatch.sim.script import Script, Segment
    from sitwatch.sim.simulator import Simulator

    script = Script([Segment(3600.0, EMPTY)])
    plain = Simulator("load-cells-4", script, hz=1, seed=4)
    same = Simulator("load-cells-4", script, hz=1, seed=4, drift=0.0, stuck=None)
    t = plain.times()
    assert (plain.frames_at(t) == same.frames_at(t)).all()
    drifting = Simulator("load-cells-4", script, hz=1, seed=4, drift=0.05)
    moved = drifting.frames_at(t).astype(float) - plain.frames_at(t)
    rate = drifting.drift * 3600 / drifting.layout.full_scale  # share of full scale an hour
    assert (np.abs(rate) <= 0.05).all() and np.abs(rate).max() > 0.01
    up = rate > 0  # a zero that drifts up shows; one that drifts down is clipped at 0
    assert up.any()
    assert np.allclose(moved[-1, up], drifting.drift[up] * t[-1], atol=4 * drifting.sigma)
    stuck = Simulator("load-cells-4", script, hz=1, seed=4, stuck=(2, 600.0, 1234.0))
    fr = stuck.frames_at(t)
    assert (fr[t >= 600, 2] == 1234).all() and (fr[t < 600, 2] != 1234).all()
    with pytest.raises(ValueError, match="stuck channel 9"):
        Simulator("load-cells-4", script, stuck=(9, 0.0, 1.0))


def test_perchers_show_both_sides_of_the_seat_only_trade() -> None:
    """Half the sitters perch on the front of the seat for a while. On a seat alone the naive
    rule (an emptied rear is a slump) calls the perch slouched; ours reads it weight forward,
    never slouched; both bring a "sit back" nudge, and both find the percher's slump by it."""
    people = P.population(20)
    assert 5 <= sum(s.perch for s in people) <= 15
    assert P.PERCHERS in P.CLASS_ORDER
    s = next(s for s in people if s.perch and s.layout == "seat-8")
    d = P.recording(s)
    assert (d.label == P.PERCH).sum() == int(P.PERCH_S * P.HZ)
    r = P.replay(s)
    assert r.naive.perch_slouched is not None and r.naive.perch_slouched > 0.8
    assert r.ours.perch_slouched == 0.0
    assert r.ours.perch_sit_back is not None and r.ours.perch_sit_back > 0.8
    assert r.ours.slouch_recall == 1.0  # found by the sit-back nudge ...
    assert r.ours.slouch_recall_strict == 0.0  # ... as weight forward, not as a slump
    head = P.TABLE_HEAD
    row = next(x for x in P.layout_rows([r]) if x[2] == "naive")
    assert row[head.index("perch time read as slouched")] != "0.0%"


def test_pads_creep_and_some_sitters_resettle_after_the_break() -> None:
    people = P.population(P.FULL)
    creep = [s for s in people if s.creep]
    assert {s.layout for s in creep} == {k for k, _ in P.LAYOUTS} - {"load-cells-4"}
    assert 0.3 < len(creep) / sum(s.layout != "load-cells-4" for s in people) < 0.7
    for s in creep:
        lo, hi = (0.03, 0.10) if s.layout == "matrix-10x15" else (0.01, 0.05)
        assert lo <= s.creep <= hi
    moved = [s.resettle for s in people if s.resettle]
    assert 0.2 < len(moved) / len(people) < 0.45
    assert all(0.03 <= abs(x) <= 0.12 for x in moved) and min(moved) < 0 < max(moved)
    # the late upright stretch (about an hour's session) only where something changes slowly
    for s in people[:20]:
        script, codes = P.session(s)
        long = bool(s.creep or s.resettle)
        assert (script.segments[-3].duration_s == P.LATE_S) == long
        assert codes[-2] == P.CROSSED and script.segments[-2].body.leg == P.LEGS[s.index % 2]
        assert (script.duration > 3000) == long
        after = script.segments[-2 if long else -1].body
        assert after.shift == s.resettle and codes[-1] in (P.UPRIGHT_BACK, P.UPRIGHT_AWAY)


def test_a_creeping_cushion_reads_more_late_in_the_session_for_the_same_sitting() -> None:
    people = P.population(P.FULL)

    def late_over_early(s: P.Sitter) -> float:
        d = P.recording(s)
        seat = d.values[:, d.layout.seat_mask].sum(axis=1)
        early = (d.t > 140) & (d.t < 270)  # their usual upright, after the calibration minute
        end = d.t[-1] - P.CROSSED_S - 60  # the late upright stretch's end
        late = (d.t > end - 100) & (d.t < end)
        return float(seat[late].mean() / seat[early].mean())  # the last upright

    def plain(s: P.Sitter) -> bool:
        return (not (s.inverted or s.drift or s.stuck or s.resettle or s.divider)
                and s.layout != "seat-8")

    s = next(s for s in people if s.creep > 0.03 and plain(s))
    assert late_over_early(s) > 1 + s.creep  # 1000 s and more of creep on top
    calm = next(x for x in people if x.layout == s.layout and x.away == s.away and plain(x)
                and not x.creep)
    assert abs(late_over_early(calm) - 1) < 0.5 * s.creep


def test_every_session_ends_with_a_leg_crossed_after_everything_else() -> None:
    """Every sitter crosses a leg at the very end (left or right by their index): that side's
    thigh leaves the seat, so the front of the seat on that side unloads while the sit bones
    stay level. At the end, so that every frame before it is what it was without it."""
    s = P.sitter(4)  # the 10x15 matrix: every cell sees its part of the seat
    d = P.recording(s)
    lay = d.layout
    loads = lay.to_load(d.values) if lay.converts else d.values
    front, rear = lay.y > 0.3, lay.y < -0.3
    side = lay.x < 0 if P.LEGS[s.index % 2] == "left" else lay.x > 0
    leg, up = d.label == P.CROSSED, d.label == P.UPRIGHT_BACK

    def share(mask: np.ndarray, rows: np.ndarray, of: np.ndarray = lay.seat_mask) -> float:
        return float(loads[rows][:, mask].sum() / loads[rows][:, of].sum())

    assert share(front & side, leg) < 0.5 * share(front & side, up)
    # the sit bones stay level: that side's part of the rear's load is as upright
    assert abs(share(rear & side, leg, rear) - share(rear & side, up, rear)) < 0.03
    # the frames before it are those of the same session without it
    script, _ = P.session(s)
    shorter = Script([Segment(x.duration_s, x.body) for x in script.segments[:-2]], "without")
    sim = Simulator(lay, shorter, hz=P.HZ, seed=P.SEED * 100_000 + s.index, noise=s.noise,
                    gain_spread=s.gain_spread, drift=s.drift, creep=s.creep, divider=s.divider)
    t = sim.times()
    assert len(t) < len(d.t) and np.array_equal(sim.frames_at(t), d.values[: len(t)])


def test_a_light_sitter_on_a_drifting_matrix_is_seen_to_get_up() -> None:
    """Seed 2028's sitter 184 (a development draw): 46 kg on a velostat matrix whose zeros
    drift up 7% of full scale an hour. After 28 minutes the empty seat read 0.14-0.19 of their
    upright load, above exit_fraction, and the minute-long break was sat through; it is seen
    now, from the fall of the load."""
    s = P.sitter(184, 2028)
    assert s.layout == "matrix-10x15" and s.weight < 50 and s.drift > 0.05
    assert P.replay(s, 2028).ours.occupancy == 1.0
