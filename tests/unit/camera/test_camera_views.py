"""The eval's transformed views (sitwatch.evaluation.camera.View) give what the real pose
model gives: moved landmarks, and nobody once the face has left the picture (measured with the
model on a photo moved out of the frame step by step: docs/camera.md, "Out of the picture")."""

from __future__ import annotations

import numpy as np

from sitwatch.evaluation.camera import View
from tests.helpers.camera import pose


def test_a_view_moves_every_landmark():
    lm = pose()
    out = View("lower", shift=(0.0, 0.1)).apply(lm, 1.0)
    assert out is not None
    assert np.allclose(out[:, 1], lm[:, 1] + 0.1) and np.allclose(out[:, 0], lm[:, 0])
    assert np.array_equal(out[:, 3], lm[:, 3])  # visibility as recorded
    closer = View("closer", 1.4).apply(lm, 1.4)
    assert closer is not None and np.allclose(closer[:, :2], 0.5 + 1.4 * (lm[:, :2] - 0.5))


def test_the_pose_is_lost_once_the_face_has_left_the_picture():
    """Before, a head pushed wholly below the picture kept its landmarks (nose at y 1.2, full
    visibility), which the real model never gives: it finds the pose from the face."""
    lm = pose(nose=(0.5, 0.5), ears=((0.58, 0.45), (0.42, 0.45)),
              eyes=((0.54, 0.44), (0.46, 0.44)), ls=(0.7, 0.8), rs=(0.3, 0.8))
    assert View("x", shift=(0.0, 0.5)).apply(lm, 1.0) is not None  # the ears still in
    assert View("x", shift=(0.0, 0.7)).apply(lm, 1.0) is None  # the whole face below
    assert View("x", shift=(0.0, -0.5)).apply(lm, 1.0) is not None
    assert View("x", shift=(0.0, -0.6)).apply(lm, 1.0) is None  # out of the top
    assert View("x", shift=(0.6, 0.0)).apply(lm, 1.0) is None  # out of a side
    assert View("x").apply(None, 1.0) is None
