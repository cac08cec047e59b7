"""Camera fixtures: the real pose model from ../shared/models, real photos from scikit-image,
short clips made from them in a temp dir (frames only ever in temp dirs of the tests)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.camera import (
    LANDMARKS_CSV,
    MODEL,
    astronaut_bgr,
    head_dropped,
    on_canvas,
    write_clip,
)


@pytest.fixture(scope="session")
def model_path() -> Path:
    if not MODEL.is_file():
        pytest.skip(f"pose model not found at {MODEL} (clone with ../shared beside the repo)")
    pytest.importorskip("mediapipe", reason="the camera extra is not installed "
                        "(pip install '.[camera]' in the source folder)")
    return MODEL


@pytest.fixture(scope="session")
def landmarks_csv() -> Path:
    if not LANDMARKS_CSV.is_file():
        pytest.skip(f"webcam landmark recordings not found at {LANDMARKS_CSV}")
    return LANDMARKS_CSV


@pytest.fixture
def estimator(model_path: Path):
    from sitwatch.camera.pose import PoseLandmarker

    est = PoseLandmarker(model_path)
    yield est
    est.close()


@pytest.fixture(scope="session")
def slouch_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20 s upright, 40 s head dropped, 30 s upright again (5 fps, 640x480)."""
    pytest.importorskip("cv2")
    ast = astronaut_bgr()
    up, down = on_canvas(ast), on_canvas(head_dropped(ast))
    d = tmp_path_factory.mktemp("clip")
    return write_clip(d / "slouch.avi", [(up, 20.0), (down, 40.0), (up, 30.0)])
