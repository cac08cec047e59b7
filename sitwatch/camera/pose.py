"""MediaPipe PoseLandmarker (Tasks API, VIDEO mode) behind a small interface.

MediaPipe and OpenCV are imported inside the functions that need them, so importing this module
costs nothing. Timestamps handed to MediaPipe are whole milliseconds that always increase (VIDEO
mode rejects anything else), derived from the caller's monotonic seconds.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import os
import re
import sys
import tempfile
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from sitwatch.core.extras import install_hint


class PoseError(RuntimeError):
    """The pose model cannot run (missing package, missing or broken model file)."""


class Estimator(Protocol):
    def __call__(self, rgb: np.ndarray, t: float) -> np.ndarray | None:
        """33x4 landmarks [x, y, z, visibility] of the most prominent person, or None."""
        ...

    def close(self) -> None: ...


MISSING_PACKAGE = (f"the camera needs MediaPipe: {install_hint('camera')} "
                   "(it brings its own OpenCV; do not install opencv-python beside it)")


def missing_model_message(path: Path) -> str:
    return (f"no pose model at {path}: run `sitwatch model fetch` (downloads the official "
            "MediaPipe pose_landmarker bundle), or set camera.model to a .task file you have")


def check_model(path: Path) -> str | None:
    """A problem with the model file in words, or None when it looks usable."""
    p = Path(path)
    if not p.exists():
        return missing_model_message(p)
    if not p.is_file():
        return f"{p}: not a file"
    try:
        with p.open("rb") as f:
            head = f.read(8)
    except OSError as e:
        return f"{p}: cannot read ({e.strerror or e})"
    if head[:2] != b"PK" and head[4:8] != b"TFL3":
        # .task bundles are zip archives of TFLite models.
        return f"{p}: not a MediaPipe .task bundle (expected a zip archive)"
    return None


class _Deferred(types.ModuleType):
    """Stands in for a module until something actually uses it; then the real one is imported
    (and takes its place in ``sys.modules``) and every attribute comes from it."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.__dict__["_real"] = None

    def __getattr__(self, attr: str) -> Any:
        real = self.__dict__["_real"]
        if real is None:
            for n in [k for k in sys.modules if k == self.__name__ or
                      k.startswith(self.__name__ + ".")]:
                if isinstance(sys.modules[n], _Deferred):
                    del sys.modules[n]
            real = importlib.import_module(self.__name__)
            self.__dict__["_real"] = real
        return getattr(real, attr)


def defer_matplotlib() -> bool:
    """MediaPipe 1.x imports ``matplotlib.pyplot`` when it is imported, for drawing helpers
    sitwatch never calls: about 40 MB of RSS for nothing (measured: ``make bench-camera``).
    Before MediaPipe is imported, put placeholders in ``sys.modules`` that import the real
    matplotlib the moment anything touches it. False when matplotlib was already imported."""
    if "matplotlib" in sys.modules:
        return False
    mpl, plt = _Deferred("matplotlib"), _Deferred("matplotlib.pyplot")
    mpl.__dict__["pyplot"] = plt  # `import matplotlib.pyplot as plt` finds it without loading
    sys.modules["matplotlib"], sys.modules["matplotlib.pyplot"] = mpl, plt
    return True


def trim_heap() -> None:
    """Hand memory freed by the pose model back to the system (glibc keeps it otherwise):
    called after the model is released, while paused."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _quiet() -> None:
    # MediaPipe's C++ logging is chatty on stderr; keep warnings and errors only.
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


#: What MediaPipe's native code (LiteRT, TFLite, absl) writes to stderr while the model loads,
#: runs the first time and is released, none of it for the user: "INFO: ...", "WARNING: ..."
#: (38 "Sparsity tensors may not yet be fully supported" for the full model, an unaligned
#: buffer, "Logging before InitGoogle()") and absl's "I0000 ..."/"W0000 ..." lines. The
#: environment variables above do not reach these loggers (checked with MediaPipe 0.10 and the
#: full model). Errors ("ERROR: ...", "E0000 ...", "F0000 ...") and anything else stay.
NATIVE_NOISE = re.compile(rb"^(?:INFO: |WARNING: |[IW]\d{4} \d\d:\d\d:\d\d)")


@contextlib.contextmanager
def native_stderr_filtered() -> Iterator[None]:
    """Run the block with the process's stderr (fd 2) going to a temporary file, then pass on
    what it got except :data:`NATIVE_NOISE`: anything else written meanwhile (an error, another
    thread's log line) still arrives, a moment late."""
    with contextlib.suppress(AttributeError, ValueError, OSError):
        sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no stderr at all: nothing to keep quiet
        yield
        return
    try:
        tmp = tempfile.TemporaryFile()  # noqa: SIM115 (the "with tmp" below closes it)
    except OSError:
        os.close(saved)
        yield
        return
    with tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            yield
        finally:
            with contextlib.suppress(AttributeError, ValueError, OSError):
                sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            kept = [ln for ln in tmp.read().splitlines(keepends=True)
                    if not NATIVE_NOISE.match(ln)]
            if kept:
                with contextlib.suppress(OSError):
                    os.write(2, b"".join(kept))


class PoseLandmarker:
    """One MediaPipe PoseLandmarker in VIDEO mode. ``__call__`` takes an RGB uint8 image."""

    def __init__(self, model_path: Path, *, min_detection: float = 0.5,
                 min_presence: float = 0.5, min_tracking: float = 0.5) -> None:
        problem = check_model(model_path)
        if problem:
            raise PoseError(problem)
        _quiet()
        if "mediapipe" not in sys.modules:
            defer_matplotlib()
        try:
            from mediapipe.tasks.python import vision
            from mediapipe.tasks.python.core.base_options import BaseOptions
        except ImportError as e:
            raise PoseError(f"{MISSING_PACKAGE} ({e})") from None
        opts = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(model_path)),
            running_mode=vision.RunningMode.VIDEO,
            num_poses=1,
            min_pose_detection_confidence=min_detection,
            min_pose_presence_confidence=min_presence,
            min_tracking_confidence=min_tracking,
            output_segmentation_masks=False,
        )
        try:
            with native_stderr_filtered():
                self._lm: Any = vision.PoseLandmarker.create_from_options(opts)
        except (RuntimeError, ValueError) as e:
            raise PoseError(f"{model_path}: MediaPipe cannot load this model ({e})") from None
        self._last_ms = -1
        self.calls = 0

    def _ts(self, t: float) -> int:
        ms = round(t * 1000.0)
        if ms <= self._last_ms:
            ms = self._last_ms + 1
        self._last_ms = ms
        return ms

    def __call__(self, rgb: np.ndarray, t: float) -> np.ndarray | None:
        import mediapipe as mp

        img = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        with native_stderr_filtered():  # the first run logs its setup, later ones may warn
            res = self._lm.detect_for_video(img, self._ts(t))
        self.calls += 1
        if not res.pose_landmarks:
            return None
        pose = res.pose_landmarks[0]
        return np.array([[p.x, p.y, p.z, p.visibility if p.visibility is not None else 0.0]
                         for p in pose], dtype=float)

    def close(self) -> None:
        lm, self._lm = self._lm, None
        if lm is not None:
            with native_stderr_filtered():
                lm.close()
            trim_heap()


def bgr_to_rgb(frame: np.ndarray) -> np.ndarray:
    """OpenCV frames are BGR; MediaPipe wants RGB. (A reversed view, copied contiguous.)"""
    return np.ascontiguousarray(frame[:, :, ::-1])
