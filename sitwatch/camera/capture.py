"""Frames from a webcam, a video file or a folder of images, in memory only.

Nothing here writes a frame anywhere: frames are numpy arrays handed to the pose model and
dropped. OpenCV is imported inside the functions that use it.

- :class:`LiveCapture`: a camera index or device node. Opened for a sample and released after
  it when the duty cycle allows (the camera's light goes off); a few warm-up frames are dropped
  after each open so auto exposure can settle.
- :class:`VideoFileCapture`: a recorded clip played against the caller's clock (the frame at
  the elapsed time), so replays and tests follow the same duty cycle as a live camera.
- :class:`FolderCapture`: sorted images, each standing for ``period`` seconds.

Trouble raises :class:`CaptureError` with a reason a user understands; :class:`EndOfStream`
when a file or folder is used up (no retry).
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from sitwatch.config.camera import CameraConfig

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff", ".pgm", ".ppm")
SEEK_FORWARD_MAX = 60  # frames: grab forward instead of seeking when the target is this close


class CaptureError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class EndOfStream(CaptureError):
    pass


class Capture(Protocol):
    name: str
    live: bool  # a real camera: worth releasing between samples

    @property
    def is_open(self) -> bool: ...

    def open(self, t: float) -> None: ...

    def read(self, t: float) -> np.ndarray:
        """The BGR frame for time ``t`` (seconds on the caller's monotonic clock)."""
        ...

    def release(self) -> None: ...


def _cv2() -> Any:
    try:
        import cv2
    except ImportError as e:
        from sitwatch.camera.pose import MISSING_PACKAGE

        raise CaptureError(f"{MISSING_PACKAGE} ({e})") from None
    # OpenCV warns on stderr for every failed open; the reason is reported by us instead.
    with contextlib.suppress(AttributeError):  # older builds
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
    return cv2


def open_failure_reason(device: int | str) -> str:
    """Why a camera would not open, from what the system shows."""
    if isinstance(device, int):
        node = Path(f"/dev/video{device}")
        if sys.platform.startswith("linux") and not node.exists():
            return (f"camera {device}: there is no {node}: is a webcam plugged in? "
                    "(`ls /dev/video*` lists the cameras)")
        path = node
    else:
        path = Path(device)
    if sys.platform.startswith("linux") or path.exists():
        if not path.exists():
            return f"{path}: no such camera: is it plugged in?"
        if not os.access(path, os.R_OK | os.W_OK):
            return (f"{path}: permission denied: add yourself to the video group "
                    "(sudo usermod -aG video $USER, then log in again)")
        try:
            fd = os.open(path, os.O_RDWR | os.O_NONBLOCK)
            os.close(fd)
        except OSError as e:
            if e.errno == errno.EBUSY:
                return f"{path}: busy: another program (a video call?) is using the camera"
            return f"{path}: cannot open: {e.strerror}"
    return f"{device}: cannot open the camera (busy with another program, or not a camera?)"


class LiveCapture:
    live = True

    def __init__(self, device: int | str, *, width: int = 640, height: int = 480,
                 warmup: int = 4) -> None:
        self.device = device
        self.name = f"camera {device}" if isinstance(device, int) else str(device)
        self.width, self.height, self.warmup = width, height, warmup
        self._cap: Any = None
        self.opens = 0

    @property
    def is_open(self) -> bool:
        return self._cap is not None

    def open(self, t: float) -> None:
        if self._cap is not None:
            return
        cv2 = _cv2()
        if isinstance(self.device, int) and sys.platform.startswith("linux") and \
                not Path(f"/dev/video{self.device}").exists():
            raise CaptureError(open_failure_reason(self.device))
        if isinstance(self.device, str) and not Path(self.device).exists():
            raise CaptureError(open_failure_reason(self.device))
        backend = cv2.CAP_V4L2 if sys.platform.startswith("linux") else cv2.CAP_ANY
        cap = cv2.VideoCapture(self.device, backend)
        if not cap.isOpened():
            cap.release()
            raise CaptureError(open_failure_reason(self.device))
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        ok = cap.grab()
        for _ in range(self.warmup):
            if not ok:
                break
            ok = cap.grab()
        if not ok:
            cap.release()
            raise CaptureError(f"{self.name}: opened but delivers no frames (busy with another "
                               "program, or not a video capture device)")
        self._cap = cap
        self.opens += 1

    def read(self, t: float) -> np.ndarray:
        if self._cap is None:
            self.open(t)
        ok, frame = self._cap.read()
        if not ok or frame is None:
            self.release()
            raise CaptureError(f"{self.name}: stopped delivering frames (unplugged, or taken "
                               "by another program?)")
        return np.asarray(frame)

    def release(self) -> None:
        cap, self._cap = self._cap, None
        if cap is not None:
            cap.release()


class VideoFileCapture:
    """A clip played against the caller's clock, from the time of the first :meth:`open`."""

    live = False

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.name = str(path)
        self._cap: Any = None
        self._t0: float | None = None
        self._pos = 0  # index of the next frame the decoder returns
        self.fps = 0.0
        self.frames = 0

    @property
    def is_open(self) -> bool:
        return self._cap is not None

    @property
    def duration(self) -> float:
        return self.frames / self.fps if self.fps > 0 else 0.0

    def open(self, t: float) -> None:
        if self._cap is not None:
            return
        if not self.path.is_file():
            raise CaptureError(f"{self.path}: no such video file or camera")
        cv2 = _cv2()
        cap = cv2.VideoCapture(str(self.path))
        if not cap.isOpened():
            cap.release()
            raise EndOfStream(f"{self.path}: not a video OpenCV can read")
        self.fps = float(cap.get(cv2.CAP_PROP_FPS)) or 30.0
        self.frames = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        self._cap = cap
        self._pos = 0
        if self._t0 is None:
            self._t0 = t

    def read(self, t: float) -> np.ndarray:
        if self._cap is None:
            self.open(t)
        assert self._t0 is not None
        cv2 = _cv2()
        target = int((t - self._t0) * self.fps + 1e-6)
        if self.frames and target >= self.frames:
            raise EndOfStream(f"{self.path}: end of the video")
        if target < self._pos or target - self._pos > SEEK_FORWARD_MAX:
            self._cap.set(cv2.CAP_PROP_POS_FRAMES, target)
            self._pos = target
        while self._pos < target:
            if not self._cap.grab():
                raise EndOfStream(f"{self.path}: end of the video")
            self._pos += 1
        ok, frame = self._cap.read()
        if not ok or frame is None:
            raise EndOfStream(f"{self.path}: end of the video")
        self._pos += 1
        return np.asarray(frame)

    def release(self) -> None:
        cap, self._cap = self._cap, None
        if cap is not None:
            cap.release()


class FolderCapture:
    """Images in name order, image ``i`` standing for ``[i * period, (i + 1) * period)``."""

    live = False

    def __init__(self, path: Path, period: float = 1.0) -> None:
        self.path = Path(path)
        self.name = str(path)
        self.period = period
        self.files: list[Path] = []
        self._t0: float | None = None
        self._open = False

    @property
    def is_open(self) -> bool:
        return self._open

    @property
    def duration(self) -> float:
        return len(self.files) * self.period

    def open(self, t: float) -> None:
        if self._open:
            return
        if not self.path.is_dir():
            raise CaptureError(f"{self.path}: no such folder")
        self.files = sorted(p for p in self.path.iterdir()
                            if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
        if not self.files:
            raise EndOfStream(f"{self.path}: no images ({', '.join(IMAGE_SUFFIXES)})")
        self._open = True
        if self._t0 is None:
            self._t0 = t

    def read(self, t: float) -> np.ndarray:
        if not self._open:
            self.open(t)
        assert self._t0 is not None
        i = int((t - self._t0) / self.period + 1e-9)
        if i >= len(self.files):
            raise EndOfStream(f"{self.path}: no more images")
        cv2 = _cv2()
        frame = cv2.imread(str(self.files[i]), cv2.IMREAD_COLOR)
        if frame is None:
            raise CaptureError(f"{self.files[i]}: not an image OpenCV can read")
        return np.asarray(frame)

    def release(self) -> None:
        self._open = False


def make_capture(cfg: CameraConfig) -> Capture:
    kind = cfg.device_kind()
    if kind == "none":
        raise CaptureError("no camera configured: set camera.device (0 for the first webcam)")
    if kind in ("index", "v4l"):
        return LiveCapture(cfg.device, width=cfg.width, height=cfg.height,
                           warmup=cfg.warmup_frames)
    path = Path(str(cfg.device)).expanduser()
    if kind == "folder":
        return FolderCapture(path, cfg.image_period)
    return VideoFileCapture(path)
