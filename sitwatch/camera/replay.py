"""Replay a landmark file, a video file or an image folder into camera events, as fast as
possible, in simulated time.

A landmark file (JSON lines or the dataset CSV, :mod:`sitwatch.camera.landmarks`) is fed row by
row: its poses were already sampled. A video or image folder goes through the same
:class:`~sitwatch.camera.source.CameraSource` as a live camera, on a
:class:`~sitwatch.core.clock.ManualClock` whose ``sleep`` advances the clock: the duty cycle decides
which frames get a pose, exactly as it would live, only without waiting. ``every`` forces a
fixed sampling interval instead (calibration, evaluation).

``observe`` sees the pipeline's snapshot after every pose and may add events: that is how a
replay is nudged (:func:`sitwatch.runtime.replay.replay_camera`) without detection knowing about
nudges.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from sitwatch.camera import features as F
from sitwatch.camera import landmarks as LM
from sitwatch.camera.baseline import CameraProfile
from sitwatch.camera.capture import Capture, FolderCapture, VideoFileCapture
from sitwatch.camera.detector import Activity
from sitwatch.camera.pipeline import CameraPipeline
from sitwatch.camera.pose import Estimator
from sitwatch.camera.source import Advisor, CameraSource, PoseReading
from sitwatch.config import Config
from sitwatch.config.camera import CameraConfig
from sitwatch.core.clock import ManualClock
from sitwatch.core.events import Event
from sitwatch.sensing.snapshot import Snapshot
from sitwatch.sources.base import Status

VIDEO_SUFFIXES = (".mp4", ".avi", ".mkv", ".mov", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv")


class ReplayError(ValueError):
    pass


def kind_of(path: Path) -> str:
    """landmarks | folder | video"""
    p = Path(path)
    if p.is_dir():
        return "folder"
    if not p.exists():
        raise ReplayError(f"{p}: no such file or folder")
    if LM.is_landmark_file(p):
        return "landmarks"
    if p.suffix.lower() in VIDEO_SUFFIXES:
        return "video"
    try:
        with p.open("rb") as f:
            head = f.read(1)
    except OSError as e:
        raise ReplayError(f"{p}: cannot read ({e.strerror})") from None
    return "landmarks" if head in (b"{", b"l", b"x", b"#") else "video"


def _media_capture(path: Path, cfg: CameraConfig) -> Capture:
    return FolderCapture(path, cfg.image_period) if Path(path).is_dir() else VideoFileCapture(path)


def media_samples(path: Path, cfg: CameraConfig, *, estimator: Estimator | None = None,
                  advisor: Advisor | None = None, every: float | None = None,
                  start: float = 0.0) -> Iterator[PoseReading | Status]:
    """Duty-cycled (or every ``every`` seconds) pose readings of a video or image folder, times
    starting at ``start``; a Status when something goes wrong (not for the normal end, but for
    an end before the first pose: a file that cannot be read)."""
    if every is not None:
        cfg = cfg.model_copy(update={"fast_interval": every, "slow_interval": every,
                                     "absent_interval": every})
        advisor = (lambda t: Activity.FAST)  # noqa: E731 - every sample at the fixed interval
    clock = ManualClock(monotonic=start)
    src = CameraSource(cfg, clock, sleep=clock.advance, capture=_media_capture(path, cfg),
                       estimator=estimator, advisor=advisor, locked=lambda: False)
    try:
        while not src.finished:
            for item in src.poll(3600.0):
                if isinstance(item, PoseReading):
                    yield item
                elif isinstance(item, Status) and (not src.finished or src.samples == 0):
                    # (the normal end is no news; a file that ends before its first pose,
                    # one OpenCV cannot read, is: its reason says why)
                    yield item
                    if not item.online and src.samples == 0 and src.failures >= 1:
                        return  # the file cannot even be opened: no point retrying
    finally:
        src.close()


def landmark_samples(path: Path, cfg: CameraConfig, *,
                     period: float = 0.5) -> Iterator[PoseReading]:
    for fr in LM.read(path, period=period):
        lm = fr.landmarks
        if lm is not None and cfg.mirrored:
            lm = LM.unmirror(lm)
        feats = F.extract(lm, fr.aspect, cfg.min_visibility)
        yield PoseReading(fr.t, feats, lm is not None, lm)


def samples(path: Path, cfg: CameraConfig, *, estimator: Estimator | None = None,
            advisor: Advisor | None = None, every: float | None = None,
            period: float = 0.5) -> Iterator[PoseReading | Status]:
    if kind_of(path) == "landmarks":
        yield from landmark_samples(path, cfg, period=period)
    else:
        yield from media_samples(path, cfg, estimator=estimator, advisor=advisor, every=every)


def replay(path: Path, cfg: CameraConfig, profile: CameraProfile | None = None, *,
           main: Config | None = None, estimator: Estimator | None = None,
           every: float | None = None, period: float = 0.5,
           on_reading: Callable[[PoseReading], None] | None = None,
           observe: Callable[[Snapshot], list[Event]] | None = None) -> Iterator[Event]:
    """Events of a camera-only run over ``path`` (the camera owns occupancy; with ``main``, the
    main config, it keeps the sitting timer too)."""
    pl = CameraPipeline(cfg, profile, owns_occupancy=True, main=main)
    for item in samples(path, cfg, estimator=estimator, advisor=pl.activity, every=every,
                        period=period):
        if isinstance(item, PoseReading):
            if on_reading is not None:
                on_reading(item)
            yield from pl.process(item)
            if observe is not None:
                yield from observe(pl.snapshot(item.t))
        else:
            yield from pl.sensor(item.t, item.online, item.reason)
