"""Features from landmarks: pure numbers, with visibility and mirroring handled."""

from __future__ import annotations

import math

import numpy as np
import pytest

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
