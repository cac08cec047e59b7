"""The camera as a :class:`~sitwatch.sources.base.Source`: duty-cycled pose samples.

``poll(max_wait)`` returns :class:`PoseReading` items (features of one pose sample, never the
picture) plus :class:`~sitwatch.sources.base.Status` when the camera goes offline or comes back
and :class:`ScreenLock` when the screen locks or unlocks.
It never raises for camera trouble.

Duty cycle. One pose every ``slow_interval`` seconds while nothing changes, every
``fast_interval`` while a change is being confirmed (the ``advisor`` says so: normally
:meth:`sitwatch.camera.pipeline.CameraPipeline.activity`), every ``absent_interval`` once nobody
has been in view for ``absent_after`` seconds, and none while the screen is locked. The next
sample time is worked out at each poll from the latest advice, so a reading processed between
two polls already counts. A live camera is released whenever the next sample is at least
``keep_open_below`` seconds away.

Trouble: a camera that cannot be opened or stops delivering frames is reported once as offline
(with the reason), released and retried after ``reconnect_min`` seconds, doubling up to
``reconnect_max``; a missing pose model is reported the same way. A video file or image folder
that has been played to the end is reported offline and not retried (``finished``).

Every wait uses the injected ``sleep`` and clock (tests pass a :class:`ManualClock` and its
``advance``), and never waits longer than ``max_wait``: ``poll(0)`` only samples when one is due.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sitwatch.camera import features as F
from sitwatch.camera.capture import Capture, CaptureError, EndOfStream, make_capture
from sitwatch.camera.detector import Activity
from sitwatch.camera.landmarks import unmirror
from sitwatch.camera.pose import Estimator, PoseError, PoseLandmarker, bgr_to_rgb
from sitwatch.config.camera import CameraConfig
from sitwatch.core.clock import Clock
from sitwatch.core.kinds import CAMERA_SOURCE_PREFIX
from sitwatch.sources.base import Item, Status

_EPS = 1e-9


@dataclass(frozen=True, slots=True)
class PoseReading:
    """One pose sample: when (the source clock's monotonic seconds), its features, whether a
    person was found, and the 33x4 landmarks (numbers only) when one was."""

    t: float
    features: F.PoseFeatures
    landmarks_present: bool
    landmarks: np.ndarray | None = None
    infer_ms: float = 0.0


@dataclass(frozen=True, slots=True)
class ScreenLock:
    """The screen locked (``locked``) or was unlocked at ``t`` (the source clock's monotonic
    seconds): no picture is taken while it is locked, so the seat is out of sight."""

    t: float
    locked: bool


CameraItem = PoseReading | ScreenLock | Item
Advisor = Callable[[float], Activity]


def default_estimator(cfg: CameraConfig) -> Estimator:
    return PoseLandmarker(cfg.model_path(), min_detection=cfg.min_detection_confidence,
                          min_presence=cfg.min_presence_confidence,
                          min_tracking=cfg.min_tracking_confidence)


class CameraSource:
    def __init__(
        self,
        cfg: CameraConfig,
        clock: Clock,
        *,
        sleep: Callable[[float], object] = time.sleep,
        capture: Capture | None = None,
        estimator: Estimator | None = None,
        estimator_factory: Callable[[], Estimator] | None = None,
        advisor: Advisor | None = None,
        locked: Callable[[], bool] | None = None,
        log: logging.Logger | None = None,
    ) -> None:
        self.cfg = cfg
        self.clock = clock
        self._sleep = sleep
        self._capture = capture
        self._estimator: Estimator | None = estimator
        # A model handed in is the caller's (calibration, a replay, a test may use it again):
        # kept through a pause or a locked screen and never closed here. The source closes
        # only the models it made (``estimator_factory``, else the configured model).
        self._owns_estimator = estimator is None
        self._make_estimator: Callable[[], Estimator] = (
            estimator_factory or (lambda: default_estimator(cfg)))
        self.advisor = advisor
        if locked is None and cfg.pause_when_locked:
            from sitwatch.camera.screen import LockProbe

            locked = LockProbe(clock)
        self._locked = locked
        self._log = log or logging.getLogger("sitwatch.camera")
        self.name = f"{CAMERA_SOURCE_PREFIX}{cfg.device}"

        self._closed = False
        self.finished = False  # a file or folder played to the end
        self._online: bool | None = None
        self._reason: str | None = None
        self._delay = cfg.reconnect_min
        self._retry_at: float | None = None
        self._last_sample: float | None = None
        self.paused = False  # the screen is locked
        self.held = False  # sitwatch is paused (`sitwatch pause`)
        self._absent_since: float | None = None
        self._seen_anyone = False
        self.activity = Activity.FAST
        # counters
        self.samples = 0
        self.poses_found = 0
        self.failures = 0
        self.infer_ms: list[float] = []

    # -- scheduling ----------------------------------------------------------------------
    def _own_activity(self, t: float) -> Activity:
        """Without an advisor: fast until somebody was seen, slow while present, slower once
        nobody has been in view for ``absent_after``."""
        if self._absent_since is not None and t - self._absent_since >= self.cfg.absent_after:
            return Activity.ABSENT
        return Activity.STABLE if self._seen_anyone else Activity.FAST

    def interval(self, t: float) -> float:
        act = self.advisor(t) if self.advisor is not None else self._own_activity(t)
        if act == Activity.FAST and self._absent_since is not None and self.advisor is not None \
                and t - self._absent_since >= self.cfg.absent_after:
            act = Activity.ABSENT  # nobody there for a while: nothing to confirm quickly
        self.activity = act
        return {Activity.FAST: self.cfg.fast_interval, Activity.STABLE: self.cfg.slow_interval,
                Activity.ABSENT: self.cfg.absent_interval}[act]

    def next_sample_at(self, t: float) -> float:
        if self._retry_at is not None:
            return self._retry_at
        if self._last_sample is None:
            return t
        return self._last_sample + self.interval(t)

    def hold(self, on: bool) -> None:
        """While sitwatch is paused the camera is not opened and no frame is taken, and the
        pose model the source loaded is let go (its memory is most of camera mode's); both
        come back on resume."""
        if on == self.held:
            return
        self.held = on
        if on:
            self._log.info("paused: camera closed%s", self._release_all())
        else:
            self._last_sample = None  # look again at once
            self._log.info("resumed: camera back on")

    def _release_all(self) -> str:
        """Let the camera go, and the pose model when the source made it (a model handed in
        stays open, the caller's to close). What became of the model, for the log line: " and
        pose model released", ", pose model kept (...)", or "" when none was loaded."""
        if self._capture is not None:
            self._capture.release()
        if self._estimator is None:
            return ""
        if not self._owns_estimator:
            return ", pose model kept (handed in: its caller closes it)"
        self._estimator.close()
        self._estimator = None
        return " and pose model released"

    # -- Source protocol -------------------------------------------------------------------
    def poll(self, max_wait: float) -> list[CameraItem]:
        if self._closed or self.finished or self.held:
            return []
        now = self.clock.monotonic()
        due = self.next_sample_at(now)
        cap = self._capture
        if cap is not None and cap.live and cap.is_open and due - now >= self.cfg.keep_open_below:
            cap.release()
        if now < due - _EPS:
            wait = min(max(max_wait, 0.0), due - now)
            if wait > 0:
                self._sleep(wait)
            now = self.clock.monotonic()
            if now < due - _EPS:
                return []
        return self._sample(now)

    def close(self) -> None:
        self._closed = True
        self._release_all()

    def stats(self) -> dict[str, object]:
        ms = sorted(self.infer_ms[-50:])
        return {
            "online": bool(self._online),
            "device": self.cfg.device,
            "reason": self._reason,
            "samples": self.samples,
            "poses": self.poses_found,
            "failures": self.failures,
            "paused": self.paused,
            "held": self.held,
            "model_loaded": self._estimator is not None,
            "activity": self.activity.value,
            "every": {Activity.FAST: self.cfg.fast_interval, Activity.STABLE:
                      self.cfg.slow_interval, Activity.ABSENT: self.cfg.absent_interval
                      }[self.activity],  # seconds between poses now
            "infer_ms": round(ms[len(ms) // 2], 1) if ms else None,
            "camera_open": bool(self._capture is not None and self._capture.is_open),
            "finished": self.finished,
        }

    # -- one sample ----------------------------------------------------------------------
    def _offline(self, now: float, reason: str, *, retry: bool) -> list[CameraItem]:
        out: list[CameraItem] = []
        if self._online is not False or reason != self._reason:
            out.append(Status(now, False, reason))
            (self._log.warning if retry else self._log.info)("camera offline: %s", reason)
        self._online = False
        self._reason = reason
        self.failures += 1
        if self._capture is not None:
            self._capture.release()
        if retry:
            self._retry_at = now + self._delay
            self._delay = min(self._delay * 2, self.cfg.reconnect_max)
        else:
            self.finished = True
        self._last_sample = now
        return out

    def _sample(self, now: float) -> list[CameraItem]:
        out: list[CameraItem] = []
        if self._locked is not None and self._locked():
            if not self.paused:
                self.paused = True
                self._log.info("screen locked: camera paused%s", self._release_all())
                out.append(ScreenLock(now, True))
            self._retry_at = now + min(self.cfg.slow_interval, 5.0)
            return out
        if self.paused:
            self.paused = False
            self._log.info("screen unlocked: camera resumed")
            out.append(ScreenLock(now, False))
        self._retry_at = None
        if self._estimator is None:
            try:
                self._estimator = self._make_estimator()
            except PoseError as e:
                self._delay = self.cfg.reconnect_max
                return out + self._offline(now, str(e), retry=True)
        if self._capture is None:
            try:
                self._capture = make_capture(self.cfg)
            except CaptureError as e:
                return out + self._offline(now, e.reason, retry=False)
        cap = self._capture
        try:
            cap.open(now)
            frame = cap.read(now)
        except EndOfStream as e:
            return out + self._offline(now, e.reason, retry=False)
        except CaptureError as e:
            return out + self._offline(now, e.reason, retry=True)
        if self._online is not True:
            out.append(Status(now, True, ""))
            if self._online is False:
                self._log.info("camera back online")
            self._online = True
            self._reason = None
        self._delay = self.cfg.reconnect_min
        self._last_sample = now
        h, w = frame.shape[:2]
        t0 = time.perf_counter()
        try:
            lm = self._estimator(bgr_to_rgb(frame), now)
        finally:
            del frame  # the picture goes no further than this function
        ms = (time.perf_counter() - t0) * 1000.0
        self.infer_ms.append(ms)
        del self.infer_ms[:-200]
        if lm is not None and self.cfg.mirrored:
            lm = unmirror(lm)
        feats = F.extract(lm, w / h, self.cfg.min_visibility)
        self.samples += 1
        if feats.present:
            self.poses_found += 1
            self._seen_anyone = True
            self._absent_since = None
        elif self._absent_since is None:
            self._absent_since = now
        out.append(PoseReading(now, feats, lm is not None, lm, round(ms, 2)))
        # Release right away when the next sample is far (the advice may still change it).
        if cap.live and self.interval(now) >= self.cfg.keep_open_below:
            cap.release()
        return out
