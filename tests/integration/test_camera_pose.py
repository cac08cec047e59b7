"""The real pose model (../shared/models/pose_landmarker_full.task) on real photos."""

from __future__ import annotations

import numpy as np
import pytest

from sitwatch.camera import features as F
from sitwatch.camera.pose import PoseError, PoseLandmarker, bgr_to_rgb, check_model
from sitwatch.core.kinds import Posture
from tests.helpers.camera import astronaut_bgr, head_dropped, on_canvas


def test_astronaut_has_one_pose_with_the_nose_where_the_model_readme_says(estimator):
    lm = estimator(bgr_to_rgb(astronaut_bgr()), 0.0)
    assert lm is not None and lm.shape == (33, 4)
    nose = lm[0]
    assert nose[0] == pytest.approx(0.435, abs=0.01)
    assert nose[1] == pytest.approx(0.25, abs=0.015)
    assert nose[3] > 0.9
    f = F.extract(lm, 1.0)
    assert f.present and f.shoulders_ok
    # Measured: head drop 0.62 shoulder widths, shoulders 0.39 of the frame height.
    assert f.head_drop == pytest.approx(0.62, abs=0.04)
    assert f.shoulder_width == pytest.approx(0.39, abs=0.03)


def test_a_blank_picture_has_nobody(estimator):
    blank = np.full((480, 640, 3), 90, np.uint8)
    assert estimator(blank, 0.0) is None
    assert not F.extract(None).present


def test_a_dropped_head_lowers_the_head_drop_feature(estimator):
    ast = astronaut_bgr()
    up = F.extract(estimator(bgr_to_rgb(on_canvas(ast)), 0.0), 4 / 3)
    down = F.extract(estimator(bgr_to_rgb(on_canvas(head_dropped(ast))), 1.0), 4 / 3)
    assert up.shoulders_ok and down.shoulders_ok
    # Measured: 0.56 -> 0.28 shoulder widths, a ratio of about 0.5 (slouched below 0.70).
    assert down.head_drop / up.head_drop == pytest.approx(0.5, abs=0.1)


def test_video_mode_timestamps_only_go_up(estimator):
    img = bgr_to_rgb(astronaut_bgr())
    for t in (5.0, 5.0, 4.0, 5.0005):  # equal or earlier times must not upset MediaPipe
        assert estimator(img, t) is not None
    assert estimator.calls == 4


def test_missing_and_broken_models_are_explained(tmp_path):
    missing = tmp_path / "none.task"
    assert "sitwatch model fetch" in check_model(missing)
    with pytest.raises(PoseError, match="sitwatch model fetch"):
        PoseLandmarker(missing)
    junk = tmp_path / "junk.task"
    junk.write_bytes(b"hello world")
    assert "not a MediaPipe .task bundle" in check_model(junk)


def test_mediapipe_loads_without_matplotlib_until_something_draws(model_path):
    """Issue #12 (camera mode's memory): MediaPipe imports matplotlib.pyplot for drawing
    helpers sitwatch never calls (~26 MiB). The landmarker loads it deferred, the pose model
    works, and matplotlib still works for whoever touches it. A fresh process, so the test
    process's own imports do not matter."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    code = f"""
import sys
from pathlib import Path
import numpy as np
from sitwatch.camera.pose import PoseLandmarker, _Deferred
est = PoseLandmarker(Path({str(model_path)!r}))
assert "mediapipe" in sys.modules
assert isinstance(sys.modules["matplotlib.pyplot"], _Deferred), "matplotlib was loaded"
assert est(np.full((240, 320, 3), 90, np.uint8), 0.0) is None
est.close()  # trims the heap: must not fail
import matplotlib.pyplot as plt
fig = plt.figure()
assert not isinstance(sys.modules["matplotlib"], _Deferred)
print("ok", type(fig).__name__)
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=120, check=False,
                       env={**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(root)})
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.split() == ["ok", "Figure"]


def test_a_head_that_drops_out_of_the_picture_is_not_an_empty_chair(estimator):
    """Sitting close (the photo 1.3x, low in the frame), the dropped head slides down and out
    of the bottom of the picture, then stays there. The model squeezes the face into the
    bottom edge while it can, then finds nobody. Before, the camera said the chair was empty
    3 s later; now it stays present (the posture held, not judged from nothing)."""
    from sitwatch.camera import baseline as B
    from sitwatch.camera.detector import CameraDetector
    from sitwatch.config.camera import CameraConfig

    ast = astronaut_bgr()
    down = head_dropped(ast)
    frames = ([on_canvas(ast, 150, 1.3)] * 20
              + [on_canvas(down, dy, 1.3) for dy in range(150, 480, 30)]
              + [on_canvas(down, 479, 1.3)] * 40)
    poses = [estimator(bgr_to_rgb(img), float(t)) for t, img in enumerate(frames)]
    feats = [F.extract(lm, 4 / 3) for lm in poses]
    assert poses[-1] is None  # the face has left: nobody found
    lost = next(i for i, lm in enumerate(poses) if lm is None)
    assert poses[lost - 1][0, 1] > 0.9  # found last with the nose at the bottom edge
    base = B.from_features(feats[:20], method="example")
    det = CameraDetector(CameraConfig(dwell=10.0, presence_dwell=3.0))
    evs = []
    for t, f in enumerate(feats):
        evs += det.step(float(t), f, base)
    assert ("occupancy", "empty") not in [(e.event, e.state) for e in evs]
    assert det.present


def test_a_head_seen_going_down_out_of_the_picture_is_down_until_it_comes_back(estimator):
    """Sitting close and low in the frame, the head drops to the bottom edge (seen there for
    about 3 s, less than the 10 s dwell), slides out of the picture and stays out for half a
    minute, then the sitter sits up. The real model finds nobody while the face is out.
    Before: the camera stayed on upright the whole time (nothing judged once the head was
    gone). Now the head gone below counts as down: slouched after the dwell, present all
    along, and upright again once the head is back (HeadGone)."""
    from sitwatch.camera import baseline as B
    from sitwatch.camera.detector import CameraDetector
    from sitwatch.config.camera import CameraConfig

    ast = astronaut_bgr()
    down = head_dropped(ast)
    frames = ([on_canvas(ast, 230)] * 20 + [on_canvas(down, 230)] * 3
              + [on_canvas(down, dy) for dy in range(290, 480, 60)]
              + [on_canvas(down, 479)] * 30 + [on_canvas(ast, 230)] * 15)
    poses = [estimator(bgr_to_rgb(img), float(t)) for t, img in enumerate(frames)]
    assert all(lm is None for lm in poses[30:56])  # the face is out: nobody found
    feats = [F.extract(lm, 4 / 3) for lm in poses]
    base = B.from_features(feats[:20], method="example")
    det = CameraDetector(CameraConfig(dwell=10.0, presence_dwell=3.0))
    evs = []
    for t, f in enumerate(feats):
        evs += [(e.t, e.event, e.state) for e in det.step(float(t), f, base)]
        if 40 <= t < 57:
            assert det.state == Posture.SLOUCHED and det.present, t
    postures = [(t, s) for t, e, s in evs if e == "posture"]
    assert [s for _, s in postures] == [Posture.UPRIGHT, Posture.SLOUCHED, Posture.UPRIGHT]
    assert 30 <= postures[1][0] <= 36  # the head dropped at 20 s, left at about 26 s
    assert ("occupancy", "empty") not in [(e, s) for _, e, s in evs]
