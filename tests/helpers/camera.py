"""Helpers shared by the camera tests (a module of its own: test files import it, never
conftest)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from sitwatch.camera import landmarks as L

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("SITWATCH_SHARED", ROOT.parent / "shared"))
MODEL = SHARED / "models" / "pose_landmarker_full.task"
LANDMARKS_CSV = SHARED / "datasets" / "webcam-landmarks" / "dev_runs_01-16.csv"
W, H = 640, 480


def pose(nose=(0.5, 0.3), ls=(0.7, 0.6), rs=(0.3, 0.6), ears=((0.58, 0.28), (0.42, 0.28)),
         eyes=((0.54, 0.27), (0.46, 0.27)), vis=1.0) -> np.ndarray:
    """A front-facing upper body as the camera sees it (person's left on the right)."""
    lm = np.zeros((33, 4))
    lm[:, 3] = 0.0  # everything invisible unless set
    for i, p in ((L.NOSE, nose), (L.LEFT_SHOULDER, ls), (L.RIGHT_SHOULDER, rs),
                 (L.LEFT_EAR, ears[0]), (L.RIGHT_EAR, ears[1]),
                 (L.LEFT_EYE, eyes[0]), (L.RIGHT_EYE, eyes[1])):
        lm[i, :2] = p
        lm[i, 3] = vis
    return lm


def astronaut_bgr() -> np.ndarray:
    skd = pytest.importorskip("skimage.data", reason="scikit-image provides the test photos")
    return np.ascontiguousarray(skd.astronaut()[:, :, ::-1])


def on_canvas(img: np.ndarray, dy: int = 0, scale: float = 0.9) -> np.ndarray:
    """The photo on a 640x480 grey canvas (a laptop camera's frame), shifted down by ``dy``."""
    import cv2

    c = np.full((H, W, 3), 90, np.uint8)
    im = cv2.resize(img, None, fx=scale, fy=scale) if scale != 1 else img
    h, w = im.shape[:2]
    x0, y0 = (W - w) // 2, dy
    ys, ye, xs, xe = max(0, y0), min(H, y0 + h), max(0, x0), min(W, x0 + w)
    c[ys:ye, xs:xe] = im[ys - y0:ye - y0, xs - x0:xe - x0]
    return c


def head_dropped(img: np.ndarray, drop: int = 120) -> np.ndarray:
    """The astronaut with her head moved ``drop`` px down towards her shoulders (a head drop)."""
    out = img.copy()
    head = img[0:220, 150:370].copy()
    out[0:drop, 150:370] = 200
    out[drop:220 + drop, 150:370] = head
    return out


def write_clip(path: Path, segments: list[tuple[np.ndarray, float]], fps: float = 5.0) -> Path:
    """An MJPG clip: each (frame, seconds) segment repeats its frame."""
    import cv2

    vw = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (W, H))
    assert vw.isOpened()
    for frame, secs in segments:
        for _ in range(round(secs * fps)):
            vw.write(frame)
    vw.release()
    return path
