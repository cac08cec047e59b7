"""CameraSource: duty cycle on a ManualClock with a fake camera, and camera trouble."""

from __future__ import annotations

import numpy as np
import pytest

from sitwatch.camera.capture import CaptureError, LiveCapture
from sitwatch.camera.detector import Activity
from sitwatch.camera.pipeline import CameraPipeline
from sitwatch.camera.pose import PoseError
from sitwatch.camera.source import CameraSource, PoseReading, ScreenLock
from sitwatch.config.camera import CameraConfig
from sitwatch.core.clock import ManualClock
from sitwatch.sources.base import Status
from tests.helpers.camera import pose


class FakeCamera:
    """A live camera that counts what is done to it; ``fail`` makes open/read raise."""

    live = True
    name = "fake"

    def __init__(self) -> None:
        self.opened = False
        self.opens = self.releases = self.reads = 0
        self.fail: str | None = None

    @property
    def is_open(self) -> bool:
        return self.opened

    def open(self, t: float) -> None:
        if self.fail:
            raise CaptureError(self.fail)
        if not self.opened:
            self.opened = True
            self.opens += 1

    def read(self, t: float) -> np.ndarray:
        if self.fail:
            self.release()
            raise CaptureError(self.fail)
        self.reads += 1
        return np.zeros((48, 64, 3), np.uint8)

    def release(self) -> None:
        if self.opened:
            self.releases += 1
        self.opened = False


class FakePose:
    """Landmarks by time: ``script(t)`` -> "up" | "down" | None."""

    def __init__(self, script) -> None:
        self.script = script
        self.times: list[float] = []

    def __call__(self, rgb, t):
        self.times.append(t)
        s = self.script(t)
        if s is None:
            return None
        return pose(nose=(0.5, 0.45 if s == "down" else 0.3))

    def close(self) -> None:
        pass


def run(src: CameraSource, clock: ManualClock, until: float, pl: CameraPipeline | None = None):
    """Drive the source like the daemon does: poll, process, repeat (the clock only moves
    through the source's own sleep)."""
    items = []
    while clock.monotonic() < until:
        for it in src.poll(1.0):
            items.append(it)
            if pl is not None and isinstance(it, PoseReading):
                pl.process(it)
            elif pl is not None and isinstance(it, Status):
                pl.sensor(it.t, it.online, it.reason)
    return items


def make(script, **cfg_kw):
    cfg = CameraConfig(device=0, pause_when_locked=False, auto_calibrate=False, **cfg_kw)
    clock = ManualClock()
    cam = FakeCamera()
    est = FakePose(script)
    return cfg, clock, cam, est


def gaps(times):
    return np.round(np.diff(times), 6).tolist()


def test_slow_when_stable_fast_while_confirming_and_released_between_samples():
    cfg, clock, cam, est = make(lambda t: "down" if 60 <= t < 200 else "up")
    from sitwatch.camera import baseline as B
    from sitwatch.camera import features as F

    base = B.from_features([F.extract(pose())] * 3, method="example")
    pl = CameraPipeline(cfg, base)
    src = CameraSource(cfg, clock, sleep=clock.advance, capture=cam, estimator=est,
                       advisor=pl.activity)
    run(src, clock, 200.0, pl)
    t = np.array(est.times)
    # Arriving: fast until presence and the first posture are confirmed ...
    assert gaps(t[t < 13]) == [1.0] * len(gaps(t[t < 13]))
    # ... then slow while upright ...
    stable = t[(t > 20) & (t < 60)]
    assert set(gaps(stable)) == {5.0}
    # ... fast as soon as the slouch is seen, until the slouch is reported (dwell 10 s) ...
    first_down = t[t >= 60][0]
    confirming = t[(t >= first_down) & (t <= first_down + 10)]
    assert set(gaps(confirming)) == {1.0}
    assert pl.posture == "slouched"
    # ... and slow again afterwards.
    assert set(gaps(t[(t > first_down + 12) & (t < 200)])) == {5.0}
    # The camera was released after every slow sample and never held open between them.
    assert cam.releases >= len(stable)
    assert not cam.is_open or src.activity == Activity.FAST


def test_kept_open_while_sampling_fast():
    cfg, clock, cam, est = make(lambda t: "up")
    src = CameraSource(cfg, clock, sleep=clock.advance, capture=cam, estimator=est,
                       advisor=lambda t: Activity.FAST)
    run(src, clock, 10.0)
    assert cam.reads == 11 and cam.opens == 1  # t = 0, 1, ... 10


def test_pauses_when_nobody_is_there():
    cfg, clock, cam, est = make(lambda t: "up" if t < 10 else None)
    pl = CameraPipeline(cfg, None)
    src = CameraSource(cfg, clock, sleep=clock.advance, capture=cam, estimator=est,
                       advisor=pl.activity)
    run(src, clock, 400.0, pl)
    t = np.array(est.times)
    late = t[t > 10 + cfg.absent_after + cfg.absent_interval]
    assert len(late) >= 5 and set(gaps(late)) == {cfg.absent_interval}
    assert pl.detector.present is False


def test_without_an_advisor_it_tracks_presence_itself():
    cfg, clock, cam, est = make(lambda t: "up" if t < 30 else None)
    src = CameraSource(cfg, clock, sleep=clock.advance, capture=cam, estimator=est)
    run(src, clock, 300.0)
    t = np.array(est.times)
    assert set(gaps(t[t < 30])) == {5.0}
    assert set(gaps(t[t > 100])) == {cfg.absent_interval}


def test_no_pictures_while_the_screen_is_locked():
    cfg, clock, cam, est = make(lambda t: "up")
    locked = {"now": False}
    src = CameraSource(cfg, clock, sleep=clock.advance, capture=cam, estimator=est,
                       locked=lambda: locked["now"])
    run(src, clock, 20.0)
    n = len(est.times)
    locked["now"] = True
    told = run(src, clock, 120.0)
    assert len(est.times) == n and src.paused and not cam.is_open
    assert src.stats()["paused"] is True
    locked["now"] = False
    told += run(src, clock, 130.0)
    assert len(est.times) > n and not src.paused
    # the lock and the unlock are told (the seat is out of sight meanwhile), the unlock before
    # the first picture after it
    locks = [(i, it.locked) for i, it in enumerate(told) if isinstance(it, ScreenLock)]
    assert [lk for _, lk in locks] == [True, False]
    assert isinstance(told[locks[1][0] + 1], PoseReading)


def test_poll_zero_never_waits():
    cfg, clock, cam, est = make(lambda t: "up")
    slept = []
    src = CameraSource(cfg, clock, sleep=slept.append, capture=cam, estimator=est)
    assert any(isinstance(i, PoseReading) for i in src.poll(0))
    assert src.poll(0) == [] and slept == []


def test_an_unplugged_camera_is_reported_once_and_retried_with_backoff():
    cfg, clock, cam, est = make(lambda t: "up", reconnect_min=2.0, reconnect_max=16.0)
    src = CameraSource(cfg, clock, sleep=clock.advance, capture=cam, estimator=est)
    items = run(src, clock, 10.0)
    assert [i.online for i in items if isinstance(i, Status)] == [True]
    cam.fail = "fake: stopped delivering frames (unplugged?)"
    attempts = []
    orig = cam.open

    def counting_open(t):
        attempts.append(t)
        orig(t)

    cam.open = counting_open
    items = run(src, clock, 100.0)
    statuses = [i for i in items if isinstance(i, Status)]
    assert len(statuses) == 1 and not statuses[0].online
    assert "unplugged" in statuses[0].reason
    assert gaps(attempts)[:4] == [2.0, 4.0, 8.0, 16.0]
    assert set(gaps(attempts)[4:]) == {16.0}
    cam.fail = None
    items = run(src, clock, 130.0)
    assert [i.online for i in items if isinstance(i, Status)] == [True]


def test_a_missing_model_is_reported_not_raised():
    cfg, clock, cam, _ = make(lambda t: "up")

    def no_model():
        raise PoseError("no pose model at /x.task: run `sitwatch model fetch`")

    src = CameraSource(cfg, clock, sleep=clock.advance, capture=cam, estimator_factory=no_model)
    items = run(src, clock, 200.0)
    assert len(items) == 1 and not items[0].online and "model fetch" in items[0].reason
    assert not cam.opens


@pytest.mark.parametrize(("device", "words"), [
    (99, "/dev/video99"),
    ("/dev/video-sitwatch-nonexistent", "no such camera"),
    ("/nonexistent/clip.mp4", "no such video file"),
])
def test_missing_cameras_are_offline_with_a_reason_and_retried(device, words, tmp_path):
    pytest.importorskip("cv2")
    cfg = CameraConfig(device=device, pause_when_locked=False, reconnect_min=1.0,
                       reconnect_max=8.0)
    clock = ManualClock()
    tried = []
    src = CameraSource(cfg, clock, sleep=clock.advance, estimator=FakePose(lambda t: "up"))
    real = src._sample

    def spy(now):
        tried.append(now)
        return real(now)

    src._sample = spy
    items = run(src, clock, 60.0)
    assert len(items) == 1 and isinstance(items[0], Status) and not items[0].online
    assert words in items[0].reason
    assert gaps(tried)[:3] == [1.0, 2.0, 4.0] and max(gaps(tried)) == 8.0
    assert src.stats()["online"] is False and src.stats()["reason"] == items[0].reason


def test_live_capture_reasons():
    pytest.importorskip("cv2")
    with pytest.raises(CaptureError, match="is a webcam plugged in"):
        LiveCapture(99).open(0.0)


def test_paused_takes_no_frame_and_lets_the_model_go():
    """`sitwatch pause`: the daemon holds the camera; nothing is read, the camera is closed and
    the pose model is released (most of camera mode's memory); resume brings both back."""
    cfg, clock, cam, _ = make(lambda t: "up")
    made: list[FakePose] = []
    closed: list[FakePose] = []

    def factory() -> FakePose:
        est = FakePose(lambda t: "up")
        est.close = lambda est=est: closed.append(est)  # type: ignore[method-assign]
        made.append(est)
        return est

    src = CameraSource(cfg, clock, sleep=clock.advance, capture=cam, estimator_factory=factory,
                       advisor=lambda t: Activity.FAST)
    run(src, clock, 5.0)
    reads = cam.reads
    assert len(made) == 1 and src.stats()["model_loaded"] is True
    src.hold(True)
    assert closed == made and not cam.is_open
    assert src.stats()["model_loaded"] is False and src.stats()["held"] is True
    for _ in range(20):  # the daemon keeps polling while paused: nothing happens
        assert src.poll(1.0) == []
        clock.advance(1.0)
    assert cam.reads == reads
    src.hold(False)
    run(src, clock, clock.monotonic() + 3.0)
    assert len(made) == 2 and cam.reads > reads


class CountedPose(FakePose):
    """A FakePose that counts its closes and, once closed, fails as the real model does."""

    def __init__(self, script) -> None:
        super().__init__(script)
        self.closes = 0

    def __call__(self, rgb, t):
        assert not self.closes, "the pose model was used after it was closed"
        return super().__call__(rgb, t)

    def close(self) -> None:
        self.closes += 1


def test_a_model_handed_in_is_never_closed_by_the_source():
    """A pose model handed in belongs to the caller (calibration, a replay, a test may use it
    again): the source keeps it through a locked screen, a pause and its own close, and closes
    only the ones it made."""
    cfg, clock, cam, _ = make(lambda t: "up")
    est = CountedPose(lambda t: "up")
    locked = {"now": False}
    src = CameraSource(cfg, clock, sleep=clock.advance, capture=cam, estimator=est,
                       locked=lambda: locked["now"])
    run(src, clock, 20.0)
    locked["now"] = True
    run(src, clock, 40.0)
    locked["now"] = False
    src.hold(True)
    src.hold(False)
    n = len(est.times)
    run(src, clock, 80.0)
    assert len(est.times) > n  # the same model, still open, after the lock and the pause
    src.close()
    assert est.closes == 0
    made: list[CountedPose] = []

    def factory() -> CountedPose:
        made.append(CountedPose(lambda t: "up"))
        return made[-1]

    src = CameraSource(cfg, clock, sleep=clock.advance, capture=cam, estimator_factory=factory)
    run(src, clock, 100.0)
    src.hold(True)
    src.hold(False)
    run(src, clock, 120.0)
    src.close()
    assert len(made) == 2 and [m.closes for m in made] == [1, 1]


def test_the_log_says_what_became_of_the_pose_model(caplog):
    """A pause and a locked screen let the source's own pose model go, and the log says so; a
    model handed in stays loaded, and the log said "released" for it too."""
    import logging

    def lines() -> list[str]:
        said = [r.getMessage() for r in caplog.records
                if r.getMessage().startswith(("paused", "screen locked"))]
        caplog.clear()
        return said

    cfg, clock, cam, _ = make(lambda t: "up")
    locked = {"now": False}
    handed = CountedPose(lambda t: "up")
    src = CameraSource(cfg, clock, sleep=clock.advance, capture=cam, estimator=handed,
                       locked=lambda: locked["now"])
    with caplog.at_level(logging.INFO, logger="sitwatch.camera"):
        run(src, clock, 20.0)
        locked["now"] = True
        run(src, clock, 40.0)
        locked["now"] = False
        run(src, clock, 60.0)
        src.hold(True)
        assert lines() == [
            "screen locked: camera paused, pose model kept (handed in: its caller closes it)",
            "paused: camera closed, pose model kept (handed in: its caller closes it)"]
        src.close()
        made: list[CountedPose] = []

        def factory() -> CountedPose:
            made.append(CountedPose(lambda t: "up"))
            return made[-1]

        src = CameraSource(cfg, clock, sleep=clock.advance, capture=cam,
                           estimator_factory=factory, locked=lambda: locked["now"])
        src.hold(True)  # before any look: no model loaded yet
        src.hold(False)
        run(src, clock, 80.0)
        locked["now"] = True
        run(src, clock, 100.0)
        locked["now"] = False
        run(src, clock, 120.0)
        src.hold(True)
        assert lines() == ["paused: camera closed",
                           "screen locked: camera paused and pose model released",
                           "paused: camera closed and pose model released"]
        src.close()
    assert handed.closes == 0 and [m.closes for m in made] == [1, 1]
