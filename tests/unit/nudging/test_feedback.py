"""Learning from "Not right" (sitwatch.nudging.feedback): bounded steps, reset, persistence,
kinds, and a config the detectors read unchanged."""

from __future__ import annotations

import json
import stat

import pytest

from sitwatch import config
from sitwatch.config import Config
from sitwatch.config import Feedback as FeedbackCfg
from sitwatch.core.kinds import FEEDBACK_KINDS, FeedbackKind, NudgeKind, Posture
from sitwatch.nudging import feedback as fb
from sitwatch.sensing import layout

AT = "2026-11-28T10:00:00+00:00"
LOPSIDED = FeedbackKind.ASYMMETRIC_LOAD


def steps(state: fb.State, kind: FeedbackKind, n: int, cfg: FeedbackCfg | None = None) -> fb.State:
    for _ in range(n):
        state, _entry = fb.wrong(state, kind, cfg or FeedbackCfg(), at=AT)
    return state


def test_every_kind_has_knobs_that_exist_in_the_config_and_limits_it_accepts() -> None:
    det = Config().detect
    for kind in FEEDBACK_KINDS:
        # every kind about a nudge moves thresholds; a learned way of sitting is forgotten
        assert bool(fb.KNOBS[kind]) == (kind != FeedbackKind.LEARNED), kind
        for knob in fb.KNOBS[kind]:
            section = getattr(det, knob.section)
            assert knob.key in type(section).model_fields, knob.name
            value = getattr(section, knob.key)
            assert (knob.limit > value) == knob.up, f"{knob.name}: the limit is on the easy side"
        # the limits themselves, all at once, are a valid config
        for sec in {k.section for k in fb.KNOBS[kind]}:
            section = getattr(det, sec)
            limits = {k.key: k.limit for k in fb.KNOBS[kind] if k.section == sec}
            type(section).model_validate({**section.model_dump(), **limits})


def test_one_step_makes_each_threshold_a_fixed_share_harder_to_reach() -> None:
    cfg = Config()
    out = fb.adapt(cfg, steps(fb.State(), LOPSIDED, 1))
    assert out.detect.balance.threshold == pytest.approx(0.25 * 1.15)
    assert out.detect.balance.release == pytest.approx(0.15 * 1.15)
    assert out.detect.balance.front_threshold == pytest.approx(0.4 * 1.15)
    # the other kinds and the input are untouched
    assert out.detect.posture == cfg.detect.posture
    assert cfg.detect.balance.threshold == 0.25
    # a slump eases downward (a smaller share of the rear of the seat) and forward (a longer
    # move of the centre of pressure); a forward lean's thresholds stay
    slumped = fb.adapt(cfg, steps(fb.State(), FeedbackKind.SLOUCH, 1)).detect.posture
    assert slumped.slouch_rear_ratio == pytest.approx(0.30 / 1.15)
    assert slumped.slouch_shift == pytest.approx(0.35 * 1.15)
    assert slumped.forward_shift == cfg.detect.posture.forward_shift


def test_steps_stop_at_the_cap_and_never_pass_the_hard_limit() -> None:
    s = steps(fb.State(), LOPSIDED, 7)
    assert s.steps_of(LOPSIDED) == 3
    assert [e.applied for e in s.log] == [True] * 3 + [False] * 4  # recorded all the same
    thr = fb.adapt(Config(), s).detect.balance.threshold
    assert thr == pytest.approx(0.25 * 1.15**3)
    # the largest step and cap stop at the limit and keep release < threshold
    wide = FeedbackCfg(step=0.5, max_steps=5)
    out = fb.adapt(Config(feedback=wide), steps(fb.State(), LOPSIDED, 9, wide)).detect.balance
    assert out.threshold == 0.6 and out.release < out.threshold
    slump = fb.adapt(Config(feedback=wide),
                     steps(fb.State(), FeedbackKind.SLOUCH, 9, wide)).detect.posture
    assert slump.slouch_rear_ratio == 0.15 and slump.slouch_shift == 0.8
    # a value the user set beyond the limit stays where it is
    cfg = config.load(use_user_file=False, overrides={"detect.balance.threshold": 0.8,
                                                      "detect.balance.release": 0.3})
    assert fb.adapt(cfg, s).detect.balance.threshold == 0.8


def test_off_records_but_moves_nothing() -> None:
    off = FeedbackCfg(enabled=False)
    s, entry = fb.wrong(fb.State(), LOPSIDED, off, at=AT)
    assert not entry.applied and s.steps_of(LOPSIDED) == 0 and len(s.log) == 1
    on = steps(fb.State(), LOPSIDED, 2)
    assert fb.adapt(Config(feedback=off), on) == Config(feedback=off)


def test_reset_gives_back_the_configured_thresholds_exactly() -> None:
    cfg = Config()
    s = steps(steps(fb.State(), LOPSIDED, 2), FeedbackKind.SLOUCH, 1)
    s, entry = fb.reset(s, LOPSIDED, at=AT)
    assert entry.action == "reset" and entry.kind == LOPSIDED
    out = fb.adapt(cfg, s)
    assert out.detect.balance == cfg.detect.balance
    assert out.detect.posture != cfg.detect.posture
    s, _ = fb.reset(s, None, at=AT)
    assert fb.adapt(cfg, s) == cfg and s.steps == {}
    assert [e.action for e in s.log] == ["wrong", "wrong", "wrong", "reset", "reset"]


def test_changes_say_what_moved_and_by_how_much() -> None:
    ch = fb.changes(Config(), steps(fb.State(), FeedbackKind.WALLET, 2), FeedbackCfg())
    assert [(c.kind, c.knob, c.steps) for c in ch] == [
        (FeedbackKind.WALLET, "detect.wallet.spot_ratio", 2)]
    assert ch[0].before == 1.8 and ch[0].after == pytest.approx(1.8 * 1.15**2)


def test_the_layouts_own_defaults_are_the_starting_point_and_survive_the_pipeline() -> None:
    """The wheelchair layout ships balance.threshold 0.1: feedback moves from there, and the
    pipeline's own for_layout() keeps the moved value."""
    lay = layout.load("ethz-wheelchair-24")
    base = config.for_layout(Config(), lay)
    assert base.detect.balance.threshold == 0.1
    moved = fb.adapt(base, steps(fb.State(), LOPSIDED, 1))
    assert moved.detect.balance.threshold == pytest.approx(0.1 * 1.15)
    again = config.for_layout(moved, lay)
    assert again.detect.balance.threshold == moved.detect.balance.threshold


@pytest.mark.parametrize(("typed", "kind"), [
    ("slouch", FeedbackKind.SLOUCH), ("Slouched", FeedbackKind.SLOUCH),
    ("leaning-forward", FeedbackKind.LEANING_FORWARD), ("forward", FeedbackKind.LEANING_FORWARD),
    ("lopsided", LOPSIDED), ("asymmetric_load", LOPSIDED), ("wallet", FeedbackKind.WALLET),
    ("static", FeedbackKind.STATIC_SITTING), ("static-sitting", FeedbackKind.STATIC_SITTING),
    ("shift", FeedbackKind.STATIC_SITTING),
])
def test_kinds_people_type(typed: str, kind: FeedbackKind) -> None:
    assert fb.parse_kind(typed) == kind


@pytest.mark.parametrize("typed", ["prolonged_sitting", "time to move", "sneeze", ""])
def test_unknown_kinds_are_refused_with_the_list(typed: str) -> None:
    with pytest.raises(ValueError, match="leaning_forward"):
        fb.parse_kind(typed)


def test_the_kind_of_a_nudge() -> None:
    assert fb.kind_of({"kind": NudgeKind.SLOUCH, "posture": Posture.SLOUCHED}) == \
        FeedbackKind.SLOUCH
    assert fb.kind_of({"kind": NudgeKind.SLOUCH, "posture": Posture.LEANING_FORWARD}) == \
        FeedbackKind.LEANING_FORWARD
    assert fb.kind_of({"kind": NudgeKind.ASYMMETRIC_LOAD}) == LOPSIDED
    assert fb.kind_of({"kind": NudgeKind.WALLET}) == FeedbackKind.WALLET
    assert fb.kind_of({"kind": NudgeKind.STATIC_SITTING}) == FeedbackKind.STATIC_SITTING
    assert fb.kind_of({"kind": NudgeKind.PROLONGED_SITTING}) is None


def test_saved_owner_only_and_read_back(tmp_path) -> None:
    s = steps(fb.State(), LOPSIDED, 2)
    s, _ = fb.wrong(s, FeedbackKind.SLOUCH, FeedbackCfg(), at=AT, source="button",
                    request_id="abc")
    path = tmp_path / "sitwatch" / "feedback-x.json"
    fb.save(s, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    back = fb.load(path)
    assert back == s and back.answered("abc").source == "button"
    assert fb.load(tmp_path / "none.json") == fb.State()


def test_a_damaged_file_is_a_clear_error_naming_the_file_and_key(tmp_path) -> None:
    path = tmp_path / "feedback.json"
    path.write_text("{not json")
    with pytest.raises(fb.FeedbackError, match=str(path)):
        fb.load(path)
    path.write_text(json.dumps({"steps": {"sneeze": 1}}))
    with pytest.raises(fb.FeedbackError, match=r"steps\.sneeze"):
        fb.load(path)


def test_the_log_stays_bounded() -> None:
    s = steps(fb.State(), LOPSIDED, fb.LOG_KEPT + 20)
    assert len(s.log) == fb.LOG_KEPT


def test_not_right_on_shift_your_weight_lets_smaller_moves_count_and_leaves_the_interval() -> None:
    """The sitter did shift: the move was smaller than a shift had to be. Each step lets a move
    15% smaller count, down to half the shipped size; how long a stretch may last is theirs."""
    cfg = config.load(use_user_file=False, overrides={"detect.stillness.after": 1200.0})
    still = FeedbackKind.STATIC_SITTING
    one = fb.adapt(cfg, steps(fb.State(), still, 1)).detect.stillness
    assert one.min_shift == pytest.approx(0.08 / 1.15)
    assert one.min_load_change == pytest.approx(0.15 / 1.15)
    assert one.spread == pytest.approx(3.0 / 1.15)
    assert one.after == 1200.0 and one.hold == cfg.detect.stillness.hold
    wide = FeedbackCfg(step=0.5, max_steps=5)
    most = fb.adapt(Config(feedback=wide), steps(fb.State(), still, 9, wide)).detect.stillness
    assert (most.min_shift, most.min_load_change, most.spread) == (0.04, 0.08, 1.5)
    assert fb.typed(still) == "static" and fb.label(still) == "static sitting"


def test_not_right_on_a_nudge_only_the_camera_saw_is_recorded_and_eases_nothing() -> None:
    """With a cushion and a camera, a slouch only the camera saw (the head rolled forward, the
    pelvis put) says nothing about how the cushion reads the seat: its answer is kept, with the
    sensors it names, and no step is taken. One the cushion saw, alone or with the camera, eases
    as ever; so does one that names no sensor (older nudges, the cushion's other kinds)."""
    s, SLOUCH = FeedbackCfg(), FeedbackKind.SLOUCH
    state, e = fb.wrong(fb.State(), SLOUCH, s, at="x", nudge="t", seen_by=("camera",))
    assert not e.applied and e.camera_alone and e.seen_by == ["camera"] and state.steps == {}
    for seen in (("cushion",), ("cushion", "camera"), ()):
        state, e = fb.wrong(fb.State(), SLOUCH, s, at="x", seen_by=seen)
        assert e.applied and not e.camera_alone and state.steps == {SLOUCH: 1}, seen


def test_the_sensors_a_not_right_answered_survive_the_file(tmp_path) -> None:
    state, _ = fb.wrong(fb.State(), FeedbackKind.SLOUCH, FeedbackCfg(), at="x",
                        seen_by=("camera",))
    fb.save(state, tmp_path / "f.json")
    (entry,) = fb.load(tmp_path / "f.json").log
    assert entry.seen_by == ["camera"] and entry.camera_alone
