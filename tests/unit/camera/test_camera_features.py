"""Features from landmarks: pure numbers, with visibility and mirroring handled."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sitwatch.camera import features as F
from sitwatch.camera import landmarks as L
from tests.helpers.camera import pose


def test_upright_numbers():
    f = F.extract(pose())
    assert f.present and f.shoulders_ok
    assert f.head_drop == pytest.approx(0.3 / 0.4)
    assert f.shoulder_width == pytest.approx(0.4)
    assert f.face_width == pytest.approx(0.16)
    assert f.face_ratio == pytest.approx(0.4)
    assert f.shoulder_tilt == pytest.approx(0.0)
    assert f.lateral_lean == pytest.approx(0.0)
    assert f.head_yaw == pytest.approx(0.0)


def test_head_drop_falls_when_the_nose_comes_down():
    assert F.extract(pose(nose=(0.5, 0.5))).head_drop == pytest.approx(0.1 / 0.4)


def test_signs_are_the_persons_left():
    # Left shoulder higher (smaller y) -> positive tilt; nose towards the left -> positive lean.
    f = F.extract(pose(ls=(0.7, 0.55), rs=(0.3, 0.65), nose=(0.6, 0.3)))
    assert f.shoulder_tilt > 5
    assert f.lateral_lean > 0.2


def test_aspect_puts_x_and_y_in_one_unit():
    f = F.extract(pose(), aspect=4 / 3)
    assert f.shoulder_width == pytest.approx(0.4 * 4 / 3)
    assert f.head_drop == pytest.approx(0.3 / (0.4 * 4 / 3))


def test_invisible_shoulders_leave_shoulder_features_unknown():
    lm = pose()
    lm[L.LEFT_SHOULDER, 3] = 0.2
    f = F.extract(lm)
    assert f.present and not f.shoulders_ok  # the eyes still show somebody is there
    assert math.isnan(f.head_drop) and math.isnan(f.shoulder_width)
    assert f.nose_y == pytest.approx(0.3)


def test_crossed_shoulders_are_not_trusted():
    assert not F.extract(pose(ls=(0.3, 0.6), rs=(0.7, 0.6))).shoulders_ok


def test_far_out_of_frame_does_not_count():
    assert not F.extract(pose(ls=(0.7, 1.3), rs=(0.3, 1.3))).shoulders_ok
    assert F.extract(pose(ls=(0.7, 1.05), rs=(0.3, 1.05))).shoulders_ok  # just below the edge


def test_nobody():
    assert F.extract(None) is F.ABSENT
    assert not F.extract(pose(vis=0.1)).present
    assert F.ABSENT.as_dict()["present"] is False


def test_as_dict_is_json_ready():
    lm = pose()
    lm[L.LEFT_EAR, 3] = 0.0
    d = F.extract(lm).as_dict()
    assert d["face_width"] is None and isinstance(d["head_drop"], float)


def test_unmirror_swaps_sides_back():
    lm = pose(nose=(0.6, 0.3))
    m = lm.copy()
    m[:, 0] = 1 - m[:, 0]  # what a mirrored picture gives: positions flipped ...
    m = m[L._SWAP]  # ... and MediaPipe names the sides as it sees them
    back = L.unmirror(m)
    np.testing.assert_allclose(back, lm)
    assert F.extract(back).lateral_lean > 0


def test_every_spec_has_a_unique_name():
    assert len(set(F.NAMES)) == len(F.SPECS)


# -- issue #10: posture features do not depend on distance or framing -------------------------

FRAME_FEATURES = {"shoulder_width", "face_width", "nose_x", "nose_y", "shoulder_y"}


def test_only_apparent_size_and_position_are_frame_features():
    assert {s.name for s in F.SPECS if s.kind == F.FRAME} == FRAME_FEATURES
    assert set(F.POSTURE_NAMES) == set(F.NAMES) - FRAME_FEATURES


def _upper_body(draw):
    """A random plausible front view: shoulders, a head above them, ears and eyes around the
    nose (person's left on the right of the picture), all well inside the frame."""
    u = st.floats(-1.0, 1.0)
    cx, cy = draw(st.floats(0.35, 0.65)), draw(st.floats(0.55, 0.7))
    half = draw(st.floats(0.08, 0.2))
    tilt = draw(u) * 0.3 * half
    ls, rs = (cx + half, cy - tilt), (cx - half, cy + tilt)
    nose = (cx + draw(u) * 0.5 * half, cy - draw(st.floats(0.1, 1.0)) * 1.2 * half)
    fw = draw(st.floats(0.25, 0.6)) * half
    ear_y = nose[1] + draw(u) * 0.4 * fw
    ears = ((nose[0] + fw * draw(st.floats(0.3, 0.7)), ear_y),
            (nose[0] - fw * draw(st.floats(0.3, 0.7)), ear_y + draw(u) * 0.1 * fw))
    eyes = ((nose[0] + 0.3 * fw, nose[1] - 0.2 * fw), (nose[0] - 0.3 * fw, nose[1] - 0.2 * fw))
    lm = pose(nose=nose, ls=ls, rs=rs, ears=ears, eyes=eyes)
    mouth_y = nose[1] + draw(st.floats(0.2, 0.5)) * fw
    lm[9:11, :2] = [(nose[0] + 0.2 * fw, mouth_y), (nose[0] - 0.2 * fw, mouth_y)]
    lm[9:11, 3] = 1.0
    return lm


upper_bodies = st.composite(_upper_body)


@settings(max_examples=200, deadline=None)
@given(lm=upper_bodies(), scale=st.floats(0.55, 1.8), centre=st.tuples(st.floats(0, 1),
       st.floats(0, 1)), shift=st.tuples(st.floats(-0.3, 0.3), st.floats(-0.3, 0.3)),
       aspect=st.sampled_from([1.0, 4 / 3, 16 / 9]))
def test_posture_features_ignore_distance_and_framing(lm, scale, centre, shift, aspect):
    """Scaling the whole body about any point (closer / farther) and moving it in the frame
    (another framing) leaves every posture feature as it was; the apparent shoulder width
    scales with it (the distance estimate)."""
    moved = lm.copy()
    moved[:, :2] = np.array(centre) + scale * (lm[:, :2] - np.array(centre)) + np.array(shift)
    seen = [i for i in range(33) if lm[i, 3] > 0]
    assume(((moved[seen, :2] > 0.0) & (moved[seen, :2] < 1.0)).all())
    a, b = F.extract(lm, aspect), F.extract(moved, aspect)
    assert a.present and b.present and a.shoulders_ok == b.shoulders_ok
    for name in F.POSTURE_NAMES:
        assert b.get(name) == pytest.approx(a.get(name), rel=1e-6, abs=1e-6), name
    assert b.shoulder_width == pytest.approx(scale * a.shoulder_width)


def test_head_pitch_falls_when_the_head_tips_down():
    up = F.extract(pose())  # nose 0.02 below the ears, face 0.16 wide
    assert up.head_pitch == pytest.approx(-0.02 / 0.16)
    down = F.extract(pose(nose=(0.5, 0.38)))
    assert down.head_pitch == pytest.approx(-0.10 / 0.16)


def test_a_nose_below_the_picture_is_somebody_whose_head_left_it():
    """Sitting close to the camera, a dropped head leaves the bottom of the frame: the pose
    model still places the nose, below the picture. Before, that read as nobody in view."""
    lm = pose(nose=(0.5, 1.2), ls=(0.7, 1.5), rs=(0.3, 1.5), ears=((0.58, 0.95), (0.42, 0.95)),
              eyes=((0.54, 0.97), (0.46, 0.97)))
    f = F.extract(lm)
    assert f.present and f.head_below and not f.shoulders_ok
    assert math.isnan(f.head_drop) and math.isnan(f.head_pitch)
    assert f.eye_pitch == pytest.approx(-0.02 / 0.16)
    assert f.eye_yaw == pytest.approx(0.0)
    assert f.as_dict()["head_below"] is True


def test_a_nose_not_seen_inside_the_picture_is_still_nobody():
    lm = pose()
    lm[L.NOSE, 3] = 0.0
    lm[L.LEFT_SHOULDER:L.RIGHT_SHOULDER + 1, 3] = 0.0
    lm[L.LEFT_EYE, 3] = 0.0
    assert not F.extract(lm).present
    assert not F.extract(pose(nose=(0.5, -0.3))).present  # above the picture: not a head drop


def test_eye_pitch_and_yaw_read_the_head_without_the_nose():
    up = F.extract(pose())
    assert up.eye_pitch == pytest.approx(0.01 / 0.16)
    turned = F.extract(pose(eyes=((0.58, 0.27), (0.50, 0.27))))
    assert turned.eye_yaw == pytest.approx(0.04 / 0.16)  # towards the person's left
