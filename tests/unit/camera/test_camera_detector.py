"""The camera's posture/presence state machine, the pipeline around it, and the fusion rules."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sitwatch import config
from sitwatch.camera import baseline as B
from sitwatch.camera import features as F
from sitwatch.camera.detector import REANCHOR_LIMIT, Activity, CameraDetector, classify
from sitwatch.camera.fusion import (
    Fusion,
    PostureFusion,
    fuse_posture,
    occupancy_owner,
    seen_by,
)
from sitwatch.camera.pipeline import CameraPipeline
from sitwatch.camera.source import PoseReading
from sitwatch.config.camera import CameraConfig
from sitwatch.core.kinds import Posture
from sitwatch.nudging.nudger import Nudger
from tests.helpers.camera import pose

UPRIGHT, SLOUCHED, FORWARD, RECLINED = (
    Posture.UPRIGHT, Posture.SLOUCHED, Posture.LEANING_FORWARD, Posture.RECLINED)


def feats(nose_y=0.3, scale=1.0, face=1.0, shoulders=True):
    """Features of a synthetic pose: nose height, distance scale, face size."""
    half = 0.2 * scale
    ls, rs = (0.5 + half, 0.6), (0.5 - half, 0.6)
    fw = 0.08 * scale * face
    lm = pose(nose=(0.5, 0.6 - (0.6 - nose_y) * scale), ls=ls, rs=rs,
              ears=((0.5 + fw, 0.28), (0.5 - fw, 0.28)))
    if not shoulders:
        lm[11:13, 3] = 0.0
    return F.extract(lm)


@pytest.fixture
def base():
    return B.from_features([feats()] * 5, method="example")


CFG = CameraConfig(dwell=10.0, presence_dwell=3.0)


@pytest.mark.parametrize(("f", "want"), [
    (dict(), UPRIGHT),
    (dict(nose_y=0.45), SLOUCHED),  # head drop ratio 0.5
    (dict(nose_y=0.36), UPRIGHT),  # ratio 0.8
    # Issue #10 changed these two: apparent size is no longer a posture cue, so sitting
    # closer is not leaning forward (was FORWARD) and farther is not reclined (was RECLINED).
    (dict(scale=1.25), UPRIGHT),  # closer to the screen
    (dict(face=1.3), FORWARD),  # head forward: face larger than the shoulders say
    (dict(face=1.3, scale=1.25), FORWARD),  # ... at any distance
    (dict(scale=0.7), UPRIGHT),  # farther away
    (dict(nose_y=0.5, scale=0.7), SLOUCHED),  # a dropped head wins
])
def test_classify(base, f, want):
    assert classify(feats(**f), base, CFG) == want


def test_hysteresis_keeps_a_borderline_posture(base):
    border = feats(nose_y=0.6 - 0.3 * 0.72)  # ratio 0.72: above 0.70, inside the margin
    assert classify(border, base, CFG) == UPRIGHT
    assert classify(border, base, CFG, current=SLOUCHED) == SLOUCHED


def test_without_shoulders_the_head_pitch_stands_in(base):
    down = feats(nose_y=0.55, shoulders=False)
    assert not down.shoulders_ok and down.present
    assert classify(down, base, CFG) == SLOUCHED
    assert classify(feats(shoulders=False), base, CFG) == UPRIGHT


def moved(lm, scale=1.0, centre=(0.5, 0.5), shift=(0.0, 0.0)):
    """The pose as the camera sees it from another distance (scaled about ``centre``) or with
    another framing (shifted)."""
    out = lm.copy()
    out[:, :2] = np.array(centre) + scale * (lm[:, :2] - np.array(centre)) + np.array(shift)
    return out


@settings(max_examples=150, deadline=None)
@given(nose_y=st.floats(0.25, 0.55), face=st.sampled_from([1.0, 1.3]),
       scale=st.floats(0.6, 1.6), centre=st.tuples(st.floats(0.3, 0.7), st.floats(0.2, 0.6)),
       shift=st.tuples(st.floats(-0.15, 0.15), st.floats(-0.15, 0.15)))
def test_distance_and_framing_do_not_change_the_posture(nose_y, face, scale, centre, shift):
    """Issue #10: the posture of a pose is the same seen closer, farther or framed otherwise
    (the old rules read a closer upright sitter as leaning_forward, a farther one reclined)."""
    base = B.from_features([feats()] * 5, method="example")
    lm = pose(nose=(0.5, nose_y), ears=((0.5 + 0.08 * face, 0.28), (0.5 - 0.08 * face, 0.28)))
    m = moved(lm, scale, centre, shift)
    assume(((m[lm[:, 3] > 0, :2] > 0) & (m[lm[:, 3] > 0, :2] < 1)).all())
    assert classify(F.extract(m), base, CFG) == classify(F.extract(lm), base, CFG)


@settings(max_examples=150, deadline=None)
@given(nose_y=st.floats(0.2, 0.6), face=st.floats(0.6, 1.6), scale=st.floats(0.4, 1.8),
       shift=st.tuples(st.floats(-0.2, 0.2), st.floats(-0.2, 0.6)))
def test_the_camera_never_reports_reclined(nose_y, face, scale, shift):
    """A camera cannot see reclining (leaning back looks like moving the chair back): no pose
    reads reclined, close or far, framed high or low. The fusion has no rule for a camera's
    reclined (P2 went with it), and the history counts a camera's seated time as time nothing
    could see reclining in."""
    base = B.from_features([feats()] * 5, method="example")
    lm = pose(nose=(0.5, nose_y), ears=((0.5 + 0.08 * face, 0.28), (0.5 - 0.08 * face, 0.28)))
    f = F.extract(moved(lm, scale, (0.5, 0.4), shift))
    d = CameraDetector(CFG)
    for t in range(40):
        d.step(float(t), f, base)
    assert classify(f, base, CFG) != "reclined" and d.state != "reclined"


def test_a_closer_upright_sitter_is_not_leaning_forward(base):
    """Issue #10: 30-40% closer than at calibration, sitting upright, read leaning_forward."""
    for k in (1.3, 1.4):
        for centre in ((0.5, 0.5), (0.5, 0.3)):  # the image centre, the face
            d = CameraDetector(CFG)
            states = set()
            for t in range(60):
                d.step(float(t), F.extract(moved(pose(), k, centre)), base)
                states.add(d.state)
            assert states == {None, UPRIGHT}, (k, centre)


def test_another_framing_is_not_a_slouch(base):
    """Issue #10: an upright run framed lower (the shoulders below the picture) read slouched,
    because the nose's position in the frame stood in for the missing shoulders."""
    low = F.extract(moved(pose(), shift=(0.0, 0.55)))  # shoulders at 1.15: out of the picture
    assert low.present and not low.shoulders_ok
    assert classify(low, base, CFG) == UPRIGHT
    head_down = F.extract(moved(pose(nose=(0.5, 0.4)), shift=(0.0, 0.55)))
    assert classify(head_down, base, CFG) == SLOUCHED


def test_the_size_reference_re_anchors_at_a_new_distance(base, caplog):
    d = CameraDetector(CFG)
    for t in range(30):
        d.step(float(t), feats(), base)
    assert d.distance_scale == pytest.approx(1.0) and d.reanchors == 0
    caplog.set_level("INFO", logger="sitwatch.camera.detector")
    for t in range(30, 60):  # sat 35% closer, upright
        d.step(float(t), F.extract(moved(pose(), 1.35, (0.5, 0.6))), base)
    assert d.reanchors == 1 and d.distance_scale == pytest.approx(1.35)
    assert "re-anchored" in caplog.text and d.state == UPRIGHT
    for t in range(60, 90):  # back where calibrated: 0.74 of the new reference
        d.step(float(t), feats(), base)
    assert d.reanchors == 2 and d.distance_scale == pytest.approx(1.0)


def test_re_anchoring_needs_the_baseline_geometry_and_is_bounded(base):
    d = CameraDetector(CFG)
    for t in range(60):  # closer but slouched: the geometry is not at its baseline
        d.step(float(t), F.extract(moved(pose(nose=(0.5, 0.45)), 1.35, (0.5, 0.6))), base)
    assert d.state == SLOUCHED and d.reanchors == 0 and d.distance_scale == 1.0
    small = B.from_features([feats(scale=0.45)] * 5, method="example")  # calibrated far away
    d = CameraDetector(CFG)
    for t in range(60):  # now 2.2x as large, upright: the reference stops at the limit
        d.step(float(t), feats(), small)
    assert d.state == UPRIGHT and d.reanchors == 1
    assert d.distance_scale == pytest.approx(REANCHOR_LIMIT)
    for t in range(60, 120):  # 2.4x: 1.2x the bounded reference, but it cannot move further
        d.step(float(t), feats(scale=1.08), small)
    assert d.reanchors == 1 and d.distance_scale == pytest.approx(REANCHOR_LIMIT)


def test_posture_events_need_the_dwell(base):
    d = CameraDetector(CFG)
    evs = []
    for t in range(0, 40):
        f = feats(nose_y=0.45) if t >= 20 else feats()
        evs += [e.as_dict() for e in d.step(float(t), f, base)]
    assert evs == [
        {"t": 3.0, "event": "occupancy", "state": "occupied", "source": "camera"},
        {"t": 13.0, "event": "posture", "state": "upright", "source": "camera"},
        {"t": 30.0, "event": "posture", "state": "slouched", "source": "camera"},
    ]


def test_absence_empties_and_forgets_the_posture(base):
    d = CameraDetector(CFG)
    for t in range(20):
        d.step(float(t), feats(), base)
    assert d.state == UPRIGHT and d.present
    evs = []
    for t in range(20, 30):
        evs += d.step(float(t), F.ABSENT, base)
    assert [(e.event, e.state) for e in evs] == [("occupancy", "empty")]
    assert d.state is None and d.present is False


def test_a_short_miss_changes_nothing(base):
    d = CameraDetector(CFG)
    for t in range(20):
        d.step(float(t), feats(), base)
    assert d.step(20.0, F.ABSENT, base) == []
    assert d.step(21.0, feats(), base) == []
    assert d.state == UPRIGHT


def test_no_occupancy_events_when_the_cushion_owns_it(base):
    d = CameraDetector(CFG, owns_occupancy=False)
    evs = [e for t in range(20) for e in d.step(float(t), feats(), base)]
    assert [e.event for e in evs] == ["posture"]


def test_activity_drives_the_duty_cycle(base):
    d = CameraDetector(CFG)
    assert d.activity(0.0) == Activity.FAST  # presence unknown
    for t in range(20):
        d.step(float(t), feats(), base)
    assert d.activity(20.0) == Activity.STABLE
    d.step(20.0, feats(nose_y=0.45), base)
    assert d.activity(20.0) == Activity.FAST  # a slouch is being confirmed
    for t in range(21, 40):
        d.step(float(t), F.ABSENT, base)
    assert d.activity(40.0) == Activity.STABLE  # gone, but not for long yet
    assert d.activity(20.0 + CFG.absent_after + 1) == Activity.ABSENT


def reading(t, f):
    return PoseReading(t, f, f.present)


def test_pipeline_learns_the_baseline_and_nudges_a_camera_only_sitter():
    main = config.Config()
    main.nudges.slouch_after = 30.0
    cam = CameraConfig(auto_settle=10.0)
    learned = []
    pl = CameraPipeline(cam, None, owns_occupancy=True, main=main, on_profile=learned.append)
    nudger = Nudger(main.nudges, main.detect.sit_limit)  # the daemon's, fed the camera snapshot
    assert pl.activity(0.0) == Activity.FAST
    evs = []
    for t in range(0, 120):
        f = feats(nose_y=0.45) if t >= 40 else feats()
        evs += [e.as_dict() for e in pl.process(reading(float(t), f))]
        evs += [e.as_dict() for e in nudger.observe(pl.snapshot(float(t)))]
    kinds = [(e["event"], e.get("state") or e.get("kind")) for e in evs]
    assert ("calibration", "baseline") in kinds and learned
    assert learned[0].method == "auto"
    assert ("posture", "slouched") in kinds
    assert ("nudge", "slouch") in kinds
    assert all(e["source"] == "camera" for e in evs if e["event"] in ("posture", "occupancy"))


def test_pipeline_sensor_events_and_offline_reset(base):
    pl = CameraPipeline(CameraConfig(), base)
    for t in range(15):
        pl.process(reading(float(t), feats()))
    assert pl.posture == UPRIGHT
    evs = pl.sensor(15.0, False, "camera 0: unplugged")
    assert [e.as_dict() for e in evs] == [{"t": 15.0, "event": "sensor", "state": "offline",
                                           "source": "camera", "reason": "camera 0: unplugged"}]
    assert pl.posture is None
    assert [e.state for e in pl.process(reading(16.0, feats()))] == ["online"]


# -- fusion ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("cushion", "camera", "want", "rule"), [
    (None, None, None, "P0"),
    ("upright", None, "upright", "P1"),
    ("reclined", "slouched", "slouched", "P3"),
    ("reclined", "leaning_forward", "slouched", "P3"),
    ("upright", "slouched", "slouched", "P4"),
    ("slouched", "upright", "slouched", "P4"),
    ("leaning_forward", "slouched", "slouched", "P4"),
    ("reclined", "upright", "reclined", "P4"),
    ("upright", "leaning_forward", "leaning_forward", "P4"),
])
def test_fusion_rules(cushion, camera, want, rule):
    assert fuse_posture(cushion, camera) == (want, rule)


def test_fusion_is_symmetric_in_time():
    """The same two states give the same answer whichever arrived last."""
    a, b = PostureFusion(), PostureFusion()
    a.update(0.0, cushion="upright", camera=None)
    ea = a.update(1.0, cushion="upright", camera="slouched")
    b.update(0.0, cushion=None, camera="slouched")
    eb = b.update(1.0, cushion="upright", camera="slouched")
    assert a.state == b.state == "slouched"
    assert ea is not None and ea.state == "slouched"  # upright -> slouched: reported
    assert eb is None  # b was slouched already: the cushion's upright does not undo it


def test_fusion_reports_changes_only():
    fu = PostureFusion()
    e = fu.update(0.0, cushion="upright", camera="upright")
    assert e.as_dict() == {"t": 0.0, "event": "posture", "state": "upright", "source": "fused",
                           "cushion": "upright", "camera": "upright", "rule": "P4"}
    assert fu.update(1.0, cushion="upright", camera="upright") is None
    assert fu.update(2.0, cushion="upright", camera="slouched").state == "slouched"


@pytest.mark.parametrize(("cushion", "camera", "want"), [
    (None, None, ()),
    ("upright", None, ("cushion",)),
    (None, "slouched", ("camera",)),
    ("reclined", "slouched", ("cushion", "camera")),  # P3: the slump is both readings
    ("upright", "slouched", ("camera",)),  # P4: the head rolled forward, the pelvis put
    ("slouched", "upright", ("cushion",)),
    ("leaning_forward", "slouched", ("camera",)),
    ("slouched", "slouched", ("cushion", "camera")),
    ("upright", "upright", ("cushion", "camera")),
])
def test_the_fused_posture_names_the_sensors_that_saw_it(cushion, camera, want):
    assert seen_by(cushion, camera) == want


def test_each_sensors_own_posture_is_marked_as_fused_in():
    from sitwatch.core.events import Event

    evs = [Event(1.0, "posture", "upright", {"source": "cushion"}),
           Event(1.0, "occupancy", "occupied", {"source": "camera"}),
           Event(1.0, "posture", "slouched", {"source": "camera"}),
           Event(1.0, "posture", "slouched", {"source": "fused"})]
    assert [e.get("fused_in") for e in Fusion.fused_in(evs)] == [True, None, True, None]


def test_occupancy_owner():
    assert occupancy_owner(True, True) == ("cushion", "O1")
    assert occupancy_owner(False, True) == ("camera", "O2")
    assert occupancy_owner(False, False)[0] is None


def _snap(source, online, occupancy, posture=None, balance=None):
    from sitwatch.sensing.snapshot import Snapshot

    return Snapshot(t=10.0, source=source, online=online, occupancy=occupancy, posture=posture,
                    balance=balance)


def test_fused_snapshot_carries_the_fused_posture_and_o2_presence():
    fu = Fusion(since=0.0)
    cushion = _snap("cushion", True, "occupied", "upright", "left")
    camera = _snap("camera", True, "empty", "slouched")
    assert Fusion.presence(cushion, camera) is None  # O1: the cushion owns occupancy
    ev = fu.update(cushion, camera)
    assert ev is not None and ev.state == "slouched" and ev.get("rule") == "P4"
    view = fu.view(cushion)
    assert (view.source, view.posture, view.posture_since, view.balance) == (
        "fused", "slouched", 10.0, "left")
    assert view.seen_by == ("camera",)  # the cushion reads upright: only the camera saw it
    # the cushion goes offline: the camera's presence is the occupancy (O2), its posture the
    # posture (P1), and the cushion's balance is no longer known
    offline = _snap("cushion", False, "occupied", "upright", "left")
    assert Fusion.presence(offline, camera) is False
    assert Fusion.presence(offline, _snap("camera", True, None)) is None  # camera unsure
    assert Fusion.presence(offline, _snap("camera", False, "occupied")) is None
    camera = _snap("camera", True, "occupied", "upright")
    fu.update(offline, camera)
    view = fu.view(offline)
    assert (view.posture, fu.posture.rule, view.balance) == ("upright", "P1", None)


def test_profile_round_trip(tmp_path, base):
    p = tmp_path / "cam.json"
    base.save(p)
    back = B.load(p)
    assert back.features == base.features and back.kind == "camera"
    p.write_text('{"version": 1, "features": {"head_drop": 0}}')
    with pytest.raises(B.CameraCalibrationError, match="head_drop"):
        B.load(p)


def test_a_cushion_profile_given_as_the_camera_profile_is_named_as_such(tmp_path):
    """The likely mix-up (a cushion's calibration where the camera's belongs) is one line saying
    so, not a list of every key the camera profile lacks or does not know."""
    p = tmp_path / "calibration-load-cells-4.json"
    p.write_text('{"version": 1, "layout": "load-cells-4", "tare": [0, 0, 0, 0]}')
    with pytest.raises(B.CameraCalibrationError) as e:
        B.load(p)
    assert str(e.value) == (f"{p}: a cushion's calibration (layout load-cells-4), not the "
                            "camera's: name the profile `sitwatch calibrate camera` saved "
                            "(camera_calibration.json in the data dir, or its -o FILE)")
    p.write_text('{"kind": "camera", "layout": "x"}')  # a damaged camera profile: its keys
    with pytest.raises(B.CameraCalibrationError, match="features: Field required"):
        B.load(p)


def test_calibration_needs_usable_poses():
    with pytest.raises(B.CameraCalibrationError, match="usable poses"):
        B.from_features([F.ABSENT] * 10, method="recording")


def test_auto_calibrator_waits_for_a_steady_stretch():
    ac = B.AutoCalibrator(10.0)
    rng = np.random.default_rng(1)
    got = None
    t = 0.0
    while got is None and t < 100:
        jitter = 0.15 if t < 15 else 0.0  # restless first, then steady
        got = ac.step(t, feats(nose_y=0.3 + rng.uniform(-jitter, jitter)))
        t += 1.0
    assert got is not None and 25 <= t <= 31
    assert got.get("head_drop") == pytest.approx(0.75, rel=0.02)


def test_an_older_profile_without_head_pitch_still_loads_and_judges_by_the_shoulders(base):
    feats_ = {k: v for k, v in base.features.items() if k != "head_pitch"}
    old = B.CameraProfile(method="example", features=feats_)
    assert classify(feats(nose_y=0.45), old, CFG) == SLOUCHED
    assert classify(feats(), old, CFG) == UPRIGHT
    assert classify(feats(nose_y=0.55, shoulders=False), old, CFG) is None  # recalibrate


# -- a face seen from above (issue #10: the head dropped to the desk, shoulders out of view) --

def face(y, *, crowded=True, nose_above_ears=True, shoulders_y=None):
    """A face around height ``y``: the eyes crowded together (seen edge-on) or apart, the nose
    at/above the ear line (seen from above, or tipped back) or below it (turned aside); the
    shoulders out of view unless ``shoulders_y`` is given."""
    ex = 0.005 if crowded else 0.04
    ear_y = y + 0.01 if nose_above_ears else y - 0.005
    nose_x = 0.5 if nose_above_ears else 0.53  # turned: the nose juts out sideways
    lm = pose(nose=(nose_x, y), eyes=((0.5 + ex, y - 0.02), (0.5 - ex, y - 0.02)),
              ears=((0.52, ear_y), (0.48, ear_y)))
    lm[9:11, :2] = [(0.51, y + 0.04), (0.49, y + 0.04)]
    lm[9:11, 3] = 1.0
    if shoulders_y is None:
        lm[11:13, 3] = 0.0
    else:
        lm[11:13, 1] = shoulders_y
    return lm


def upright_face(dy=0.0):
    """Upright, facing the camera, shoulders at 0.6 + dy (shoulder width 0.4)."""
    lm = pose()
    lm[9:11, :2] = [(0.53, 0.34), (0.47, 0.34)]
    lm[9:11, 3] = 1.0
    lm[:, 1] += dy
    return lm


@pytest.fixture
def face_base():
    return B.from_features([F.extract(upright_face())] * 5, method="example")


def test_eye_span_falls_when_the_face_is_seen_edge_on():
    up = F.extract(upright_face())
    assert up.eye_span == pytest.approx(0.08 / 0.07)
    assert up.shoulder_y == pytest.approx(0.6)
    assert F.extract(face(0.5)).eye_span == pytest.approx(0.01 / 0.06)


def test_a_face_seen_from_above_below_the_shoulder_line_is_slouched(face_base):
    """Before this rule these samples were not judged (None): the shoulders were out of view
    and the head-pitch stand-in read the face as turned or tipped back."""
    assert face_base.get("shoulder_y") == pytest.approx(0.6)
    assert classify(F.extract(face(0.62)), face_base, CFG) == SLOUCHED
    # at its upright height the same face says nothing (the rule only ever says slouched)
    assert classify(F.extract(face(0.3)), face_base, CFG) is None


@pytest.mark.parametrize("kw", [
    dict(crowded=True, nose_above_ears=False),  # turned aside: nose below the ears
    dict(crowded=False, nose_above_ears=True),  # tipped back: the eyes stay apart
])
def test_turned_or_tipped_back_low_in_the_frame_is_not_slouched(face_base, kw):
    assert classify(F.extract(face(0.62, **kw)), face_base, CFG) is None


def test_a_profile_without_the_shoulder_line_skips_the_rule(face_base):
    old = face_base.model_copy(update={"features": {**face_base.features, "shoulder_y": None}})
    assert classify(F.extract(face(0.62)), old, CFG) is None


def test_the_shoulder_line_follows_upright_sitting_at_a_new_framing(face_base):
    """Framed 0.25 lower than at calibration: after upright sitting there, the remembered
    shoulder line is the new one, so a face seen from above at 0.62 (below the calibrated
    line, well above the new one) is not called slouched."""
    det = CameraDetector(CFG)
    assert det.line is None
    for i in range(40):
        det.step(i * 0.5, F.extract(upright_face(0.25)), face_base)
    assert det.state == UPRIGHT
    y, w = det.line
    assert y == pytest.approx(0.85) and w == pytest.approx(0.4)
    low = F.extract(face(0.62))
    assert classify(low, face_base, CFG) == SLOUCHED  # against the calibrated line
    assert classify(low, face_base, CFG, line=det.line) is None
    assert classify(F.extract(face(0.9)), face_base, CFG, line=det.line) == SLOUCHED


# -- the head dropped out of the bottom of the picture (sitting close to the camera) --------

def below(eye_drop=0.04, *, eye_x=0.0, ears_y=0.95, nose_y=1.15):
    """Sitting close to the camera, the head has dropped out of the bottom of the picture:
    the nose (and the shoulders) below the frame; the eyes ``eye_drop`` below the ear line
    (0.04: 0.25 face widths, a head tipped down; negative: above it, as upright), shifted
    ``eye_x`` sideways (a turned head)."""
    ey = ears_y + eye_drop
    return pose(nose=(0.5, nose_y), ls=(0.7, 1.4), rs=(0.3, 1.4),
                ears=((0.58, ears_y), (0.42, ears_y)),
                eyes=((0.54 + eye_x, ey), (0.46 + eye_x, ey)))


def test_a_head_tipped_down_out_of_the_picture_is_judged_from_the_eyes(base):
    """Before: these samples found nobody (the nose out of the picture), so the head-down
    runs seen 1.3-1.4x closer about the image centre read as absent."""
    f = F.extract(below())
    assert f.present and f.head_below and not f.shoulders_ok
    assert f.eye_pitch == pytest.approx(-0.25)
    assert classify(f, base, CFG) == SLOUCHED


@pytest.mark.parametrize("kw", [
    dict(eye_drop=-0.01),  # eyes above the ear line, as upright: nothing to say
    dict(eye_drop=0.0),  # a little tipped, less than the 0.25 face widths of the rule
    dict(eye_x=0.04),  # turned aside: the eyes off the ears' middle
])
def test_out_of_the_picture_says_slouched_or_nothing(base, kw):
    f = F.extract(below(**kw))
    assert f.present and f.head_below
    assert classify(f, base, CFG) is None


def test_nothing_of_the_head_in_the_picture_is_present_but_not_judged(base):
    f = F.extract(below(ears_y=1.2, nose_y=1.3))
    assert f.present and f.head_below
    assert classify(f, base, CFG) is None


def test_a_profile_without_the_eye_features_does_not_judge_out_of_the_picture(base):
    old = base.model_copy(update={"features": {
        k: v for k, v in base.features.items() if k not in ("eye_pitch", "eye_yaw")}})
    assert classify(F.extract(below()), old, CFG) is None


def test_a_head_that_drops_out_of_the_picture_does_not_empty_the_chair(base):
    """Upright, then the head tips down and leaves the bottom of the picture, eyes still in
    it, then wholly. Before: after presence_dwell the camera said the chair was empty and the
    posture unknown. Now it says slouched and holds it while nothing of the head is seen."""
    det = CameraDetector(CFG)
    evs = []
    t = 0.0
    for lm, n in ((pose(), 30), (below(), 30), (below(ears_y=1.2, nose_y=1.3), 60)):
        for _ in range(n):
            evs += det.step(t, F.extract(lm), base)
            t += 1.0
    got = [(e.event, e.state) for e in evs]
    assert ("occupancy", "empty") not in got
    assert got[-1] == ("posture", SLOUCHED)
    assert det.state == SLOUCHED and det.present


def test_a_pose_lost_at_the_bottom_edge_is_a_head_gone_down_not_an_empty_chair(base):
    """The real pose model finds nobody once the face leaves the picture. Lost right after the
    nose was at the bottom edge, that is a head gone down: present, posture held, for
    LOST_BELOW_HOLD seconds; lost from the middle of the picture, the chair empties as before."""
    from sitwatch.camera.detector import LOST_BELOW_HOLD

    def run(last_nose_y, n_low=1):
        # n_low = 1: the head is glimpsed low once, not seen down (HeadGone needs 1 s of it)
        det = CameraDetector(CFG)
        evs, t = [], 0.0
        for lm, n in ((pose(), 21), (pose(nose=(0.5, last_nose_y), ls=(0.7, 1.3),
                                          rs=(0.3, 1.3)), n_low)):
            for _ in range(n):
                evs += det.step(t, F.extract(lm), base)
                t += 1.0
        for _ in range(30):
            evs += det.step(t, F.extract(None), base)
            t += 1.0
        return det, [(e.event, e.state) for e in evs], t

    det, got, t = run(0.95)
    assert ("occupancy", "empty") not in got and det.present and det.state == UPRIGHT
    assert not det.head.holding
    while t <= 22 + LOST_BELOW_HOLD:  # lost at t = 22
        assert det.step(t, F.extract(None), base) == []
        t += 1.0
    later = []
    for _ in range(10):
        later += det.step(t, F.extract(None), base)
        t += 1.0
    assert [(e.event, e.state) for e in later] == [("occupancy", "empty")]

    det, got, _ = run(0.6)  # lost in the middle of the picture: gone
    assert ("occupancy", "empty") in got and not det.present


# -- a head seen going down out of the bottom of the picture (HeadGone) ------------------------

def low_down():
    """Sitting close, the head dropped: the nose at the bottom edge of the picture, the
    shoulders below it, the nose far below the ear line (the head's pitch says head down)."""
    return pose(nose=(0.5, 0.95), ls=(0.7, 1.3), rs=(0.3, 1.3),
                ears=((0.58, 0.8), (0.42, 0.8)), eyes=((0.54, 0.84), (0.46, 0.84)))


def steps(det, base, seq, t=0.0, dt=1.0):
    evs = []
    for lm, n in seq:
        for _ in range(n):
            evs += det.step(t, F.extract(lm), base)
            t += dt
    return [(e.event, e.state) for e in evs], t


def test_a_head_seen_going_down_out_of_the_picture_is_down_until_it_comes_back(base):
    """Sitting close, the head drops, is seen down at the bottom edge for 3 s (less than the
    10 s dwell), then leaves the picture and the model finds nobody for a minute. Before: the
    camera stayed on upright (nothing judged after the head left). Now the samples with the
    head gone count as slouched: reported after the dwell and held; upright again once the
    head is back."""
    assert classify(F.extract(low_down()), base, CFG) == SLOUCHED
    det = CameraDetector(CFG)
    got, t = steps(det, base, [(pose(), 20), (low_down(), 3), (None, 60)])
    assert got[-1] == ("posture", SLOUCHED) and det.state == SLOUCHED and det.present
    assert ("occupancy", "empty") not in got
    got, _ = steps(det, base, [(pose(), 15)], t)
    assert got == [("posture", UPRIGHT)]


def test_head_gone_is_never_invented(base):
    """Nothing is filled in for a head not seen down before it went: last seen upright, seen
    slouched for a single sample (an upright face squeezed against the edge can read so),
    slouched away from the bottom edge (it left through the top or a side), or a face that
    came back anywhere but the bottom edge. And the hold ends after ``hold`` seconds."""
    from sitwatch.camera.detector import HeadGone

    up, down = F.extract(pose()), F.extract(low_down())
    mid_down = F.extract(pose(nose=(0.5, 0.45)))  # head dropped, mid-picture
    gone, top = F.extract(None), F.extract(pose(nose=(0.5, 0.05), ls=(0.7, 0.3),
                                                rs=(0.3, 0.3)))

    def run(seq, hold=120.0):
        h, out, t = HeadGone(hold), [], 0.0
        for f in seq:
            out.append(h.judge(t, f, classify(f, base, CFG)))
            t += 0.5
        return out

    assert run([down, down, down, gone, gone])[-2:] == [SLOUCHED, SLOUCHED]
    assert run([up, up, gone, gone])[-2:] == [None, None]
    assert run([up, down, gone, gone])[-2:] == [None, None]  # glimpsed once
    assert classify(mid_down, base, CFG) == SLOUCHED
    assert run([mid_down] * 4 + [gone, gone])[-2:] == [None, None]  # not at the bottom edge
    assert run([down] * 3 + [gone, top, gone])[-3:] == [SLOUCHED, UPRIGHT, None]  # came back
    turned = pose(nose=(0.6, 0.3))  # the head turned aside, the shoulders not seen
    turned[11:13, 3] = 0.0
    turned = F.extract(turned)
    assert turned.present and classify(turned, base, CFG) is None
    assert run([down] * 3 + [gone, turned, gone])[-3:] == [SLOUCHED, None, None]
    assert run([down] * 3 + [gone] * 4, hold=1.0)[-4:] == [SLOUCHED, SLOUCHED, None, None]


def test_head_gone_fills_only_what_cannot_be_judged(base):
    """A judged sample always wins: upright in view after the head was down is upright."""
    from sitwatch.camera.detector import HeadGone

    h = HeadGone()
    for t in range(4):
        h.judge(t * 0.5, F.extract(low_down()), SLOUCHED)
    assert h.holding
    assert h.judge(2.0, F.extract(pose()), UPRIGHT) == UPRIGHT
    assert not h.holding
