"""The static-sitting detector: real weight shifts count, noise, breathing and fidgets do not."""

from __future__ import annotations

import numpy as np

from sitwatch.config import Config, Stillness, for_layout
from sitwatch.core.kinds import NudgeKind
from sitwatch.nudging.nudger import Nudger
from sitwatch.nudging.policy import NudgePolicy
from sitwatch.sensing import layout
from sitwatch.sensing.detectors.stillness import StillnessDetector
from sitwatch.sensing.features import NAMES, Features
from sitwatch.sensing.pipeline import Pipeline
from sitwatch.sim.script import Script, away, sit
from sitwatch.sim.simulator import Simulator

HZ = 5.0
BASE = {"seat_load": 1000.0, "back_load": 300.0, "cop_x": 0.0, "cop_y": -0.1,
        "left_share": 0.5, "right_share": 0.5, "front_share": 0.3, "rear_share": 0.5}


def feats(**over: float) -> Features:
    v = {n: 0.0 for n in NAMES} | BASE | over
    return Features([v[n] for n in NAMES], np.zeros(1), (np.zeros(0, int), 0.0, 1))


def play(det: StillnessDetector, seconds: float, t0: float = 0.0, seed: int = 0,
         move=lambda t: {}, noise: float = 0.01):
    """Frames at HZ with sensor noise and breathing; ``move(t)`` adds to the cues."""
    rng = np.random.default_rng(seed)
    evs = []
    for k in range(int(seconds * HZ)):
        t = t0 + k / HZ
        breath = 0.02 * np.sin(2 * np.pi * t / 4.0)
        m = move(t)
        x = rng.normal(0, noise, 3)
        f = feats(cop_x=x[0] + m.get("cop_x", 0.0), cop_y=-0.1 + x[1] + m.get("cop_y", 0.0),
                  left_share=0.5 - x[0] / 2 - m.get("cop_x", 0.0) / 2,
                  seat_load=1000 * (1 + breath + x[2] + m.get("load", 0.0)))
        ev = det.step(f, t)
        if ev is not None:
            evs.append(ev)
    return evs


def states(evs):
    return [str(e.state) for e in evs]


def test_noise_and_breathing_are_not_shifts_and_sitting_still_turns_static() -> None:
    det = StillnessDetector(Stillness(after=1200))
    evs = play(det, 1300)
    assert states(evs) == ["static"]
    assert 1200 <= evs[0].t < 1201 and evs[0].get("minutes") == 20.0
    assert det.static and det.shifts == 0


def test_a_lean_and_back_is_one_shift_and_ends_the_static_stretch() -> None:
    det = StillnessDetector(Stillness(after=600))
    evs = play(det, 700)
    assert states(evs) == ["static"]
    lean = lambda t: {"cop_x": 0.25} if 700 < t < 706 else {}  # noqa: E731
    evs = play(det, 60, t0=700, move=lean)
    assert states(evs) == ["shift"]
    assert evs[0].get("cue") in ("cop_x", "left_share") and evs[0].get("was_static")
    assert evs[0].get("still_for") >= 700
    assert not det.static and det.shifts == 1
    assert det.still_for(760) < 60


def test_a_fidget_shorter_than_hold_is_not_a_shift() -> None:
    det = StillnessDetector(Stillness(after=0, hold=2.0))
    jerk = lambda t: {"cop_x": 0.3} if 100 < t < 101.2 else {}  # noqa: E731
    assert play(det, 300, move=jerk) == []
    held = lambda t: {"cop_x": 0.3} if 100 < t < 105 else {}  # noqa: E731
    assert states(play(StillnessDetector(Stillness(after=0)), 300, move=held)) == ["shift"]


def test_a_lift_of_one_side_counts_by_the_seat_load() -> None:
    det = StillnessDetector(Stillness())
    lift = lambda t: {"load": -0.3} if 100 < t < 110 else {}  # noqa: E731
    evs = play(det, 200, move=lift)
    assert states(evs) == ["shift"] and evs[0].get("cue") == "seat_load"


def test_a_restless_calibration_widens_the_threshold() -> None:
    small = lambda t: {"cop_x": 0.12} if 100 < t < 106 else {}  # noqa: E731
    assert states(play(StillnessDetector(Stillness()), 200, move=small)) == ["shift"]
    wide = StillnessDetector(Stillness(), spread={"cop_x": 0.05, "left_share": 0.05})
    assert play(wide, 200, move=small) == []  # 0.12 < 3 x 0.05


def test_slow_drift_is_not_a_shift() -> None:
    det = StillnessDetector(Stillness(after=0))
    creep = lambda t: {"cop_x": 0.15 * t / 1800}  # noqa: E731
    assert play(det, 1800, move=creep) == []


def test_getting_up_restarts_the_still_clock() -> None:
    det = StillnessDetector(Stillness(after=600))
    play(det, 500)
    det.reset(500)
    assert det.still_since is None and det.still_for(500) == 0
    evs = play(det, 700, t0=600)
    assert states(evs) == ["static"] and 1200 <= evs[0].t < 1201


def test_after_zero_never_turns_static() -> None:
    det = StillnessDetector(Stillness(after=0))
    assert play(det, 3000) == [] and not det.static


def test_the_wheelchair_layout_turns_the_reminder_on() -> None:
    assert Config().detect.stillness.after == 0
    chair = for_layout(Config(), layout.load("ethz-wheelchair-24"))
    assert chair.detect.stillness.after == 1200
    mine = Config(detect={"stillness": {"after": 900}})
    assert for_layout(mine, layout.load("ethz-wheelchair-24")).detect.stillness.after == 900


def test_policy_nudges_static_sitting_once_per_still_stretch_and_sees_the_shift() -> None:
    p = NudgePolicy(Config().nudges, 2700)
    kw = dict(spell=1300, occupied=True, posture="upright", posture_for=100, balance="balanced",
              balance_for=100, wallet=False)
    evs = p.step(1300.0, static=True, still_since=100.0, **kw)
    (n,) = [e for e in evs if e.event == "nudge"]
    assert n.get("kind") == NudgeKind.STATIC_SITTING and n.get("level") == "gentle"
    assert n.get("minutes") == 20 and n.get("title") and n.get("why")
    assert [e for e in p.step(1310.0, static=True, still_since=100.0, **kw)
            if e.event == "nudge"] == []  # cooldown
    out = p.step(1320.0, static=False, still_since=1315.0, **kw)
    (o,) = [e for e in out if e.event == "nudge_outcome"]
    assert o.get("kind") == NudgeKind.STATIC_SITTING and o.get("responded") is True


def test_pipeline_and_nudger_a_still_sitter_is_nudged_a_shifting_one_is_not() -> None:
    """The simulator's sitter through the real pipeline: 30 min without a fidget gets the
    static-sitting nudge after detect.stillness.after; one who changes how they lean every
    five minutes does not, and each change is one shift."""
    lay = layout.load("smartchair-12")
    cfg = Config(detect={"stillness": {"after": 900}, "sit_limit": 99999})

    def run(script: Script):
        sim = Simulator(lay, script, 5)
        pl = Pipeline(lay, cfg)
        nudger = Nudger(pl.cfg.nudges, pl.cfg.detect.sit_limit)
        evs = []
        for tb, fb in sim.frames():
            for t, v in zip(tb, fb, strict=True):
                evs += pl.process(float(t), v)
                evs += nudger.observe(pl.snapshot(float(t)))
        return evs, pl.snapshot(float(sim.script.duration))

    evs, snap = run(Script([away(20), sit(1800, fidget=0.0)]))
    assert [e.state for e in evs if e.event == "stillness"] == ["static"]
    kinds = [e.get("kind") for e in evs if e.event == "nudge"]
    assert kinds and set(kinds) == {NudgeKind.STATIC_SITTING}
    first = next(e for e in evs if e.event == "nudge")
    assert 920 <= first.t <= 925  # 20 s away + 15 min still (+ sitting down, 1 s looks)
    assert snap.static and snap.shifts == 0

    leans = [sit(300, lean=x, fidget=0.0) for x in (0.0, 0.5, 0.0, -0.5, 0.0, 0.5)]
    evs, snap = run(Script([away(20), *leans]))
    shifts = [e for e in evs if e.event == "stillness" and e.state == "shift"]
    assert len(shifts) == 5 and snap.shifts == 5
    assert not [e for e in evs if e.event == "stillness" and e.state == "static"]
    assert NudgeKind.STATIC_SITTING not in [e.get("kind") for e in evs if e.event == "nudge"]


def test_after_a_not_right_a_move_just_under_the_shipped_size_counts_as_a_shift() -> None:
    """The detector the daemon retunes with the feedback's config: a slow sideways move of 0.07
    (under min_shift 0.08) is not a shift as shipped, and is one after one "Not right"."""
    from sitwatch.core.kinds import FeedbackKind
    from sitwatch.nudging import feedback as fb

    def lean(t: float) -> dict[str, float]:
        return {"cop_x": 0.07} if 300 <= t < 330 else {}

    shipped = Config().detect.stillness.model_copy(update={"after": 600.0})
    told, _ = fb.wrong(fb.State(), FeedbackKind.STATIC_SITTING, Config().feedback, at="t")
    eased = fb.adapt(Config(detect=Config().detect.model_copy(update={"stillness": shipped})),
                     told).detect.stillness
    before = StillnessDetector(shipped)
    assert "shift" not in states(play(before, 700, move=lean, noise=0.003))
    after = StillnessDetector(eased)
    evs = play(after, 700, move=lean, noise=0.003)
    assert "shift" in states(evs)
    assert after.shifts == 2  # over there (held 30 s, past ``settle``) and back again
