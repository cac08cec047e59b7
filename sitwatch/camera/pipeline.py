"""The camera pipeline: pose readings -> calibration -> detectors -> events (source "camera")
+ a snapshot.

Like :mod:`sitwatch.sensing.pipeline` for the cushion it does no I/O and reads no clock: every call
carries its time. It owns the camera baseline (a profile, or one it learns from the first
settled stretch in view), the :class:`~sitwatch.camera.detector.CameraDetector` and, when the
camera is the only seat sensor (``owns_occupancy``), the sitting timer. Its state is read as the
same :class:`~sitwatch.sensing.snapshot.Snapshot` a cushion gives, so a camera-only setup gets
its breaks, sitting-time and slouch nudges from the same nudger (:mod:`sitwatch.nudging`).
"""

from __future__ import annotations

from collections.abc import Callable

from sitwatch.camera.baseline import AutoCalibrator, CameraProfile
from sitwatch.camera.detector import SOURCE, Activity, CameraDetector
from sitwatch.camera.source import PoseReading
from sitwatch.config import Config
from sitwatch.config.camera import CameraConfig
from sitwatch.core import events as E
from sitwatch.core.events import Event
from sitwatch.core.kinds import Occupancy, SensorState
from sitwatch.sensing import snapshot as S
from sitwatch.sensing.detectors.occupancy import SittingTimer
from sitwatch.sensing.snapshot import Snapshot


class CameraPipeline:
    def __init__(
        self,
        cfg: CameraConfig,
        profile: CameraProfile | None = None,
        *,
        owns_occupancy: bool = True,
        main: Config | None = None,
        on_profile: Callable[[CameraProfile], None] | None = None,
    ) -> None:
        """``main``: the main :class:`sitwatch.config.Config`; with ``owns_occupancy`` its
        ``detect.occupancy.min_break`` drives the sitting timer. ``on_profile`` receives a
        profile learned automatically."""
        self.cfg = cfg
        self.profile = profile
        self.calibrated: str | None = profile.method if profile else None
        self.auto = AutoCalibrator(cfg.auto_settle) if profile is None and cfg.auto_calibrate \
            else None
        self.detector = CameraDetector(cfg, owns_occupancy=owns_occupancy)
        self.on_profile = on_profile
        self.online = True
        self.readings = 0
        self.timer: SittingTimer | None = None
        if owns_occupancy and main is not None:
            self.timer = SittingTimer(main.detect.occupancy.min_break)

    @property
    def posture(self) -> str | None:
        return self.detector.state

    def activity(self, t: float) -> Activity:
        """For the source's duty cycle (pass as its ``advisor``)."""
        if self.profile is None and self.auto is not None and self.detector.present:
            return Activity.FAST  # learning the baseline wants samples
        return self.detector.activity(t)

    def set_profile(self, profile: CameraProfile) -> None:
        self.profile = profile
        self.calibrated = profile.method
        self.auto = None

    def sensor(self, t: float, online: bool, reason: str = "") -> list[Event]:
        if online == self.online:
            return []
        self.online = online
        out: list[Event] = []
        data: dict[str, object] = {"source": SOURCE}
        if reason:
            data["reason"] = reason
        out.append(Event(t, E.SENSOR, SensorState.ONLINE if online else SensorState.OFFLINE, data))
        if not online:
            was_present = self.detector.present
            self.detector.reset(t)
            if self.timer is not None and was_present:
                self.timer.leave(t)
        return out

    def suspended(self, t: float, seconds: float) -> list[Event]:
        """The machine slept ``seconds`` before ``t``: as :meth:`Pipeline.suspended
        <sitwatch.sensing.pipeline.Pipeline.suspended>` when the camera owns the sitting timer
        (a long sleep is a break); the pose seen before it is forgotten either way."""
        if self.timer is None:
            return []
        out: list[Event] = []
        if seconds >= self.timer.min_break and self.detector.present:
            self.detector.reset(t)
            self.timer.leave(t)
            out.append(Event(t, E.OCCUPANCY, Occupancy.EMPTY,
                             {"source": SOURCE, "reason": "suspend",
                              "suspended": round(seconds, 1)}))
        self.timer.suspended(t, seconds)
        return out

    def process(self, r: PoseReading) -> list[Event]:
        t, f = r.t, r.features
        out: list[Event] = []
        self.readings += 1
        if not self.online:
            out += self.sensor(t, True)
        if self.profile is None and self.auto is not None:
            learned = self.auto.step(t, f)
            if learned is not None:
                self.set_profile(learned)
                out.append(Event(t, E.CALIBRATION, "baseline",
                                 {"method": "auto", "source": SOURCE}))
                if self.on_profile is not None:
                    self.on_profile(learned)
        for ev in self.detector.step(t, f, self.profile):
            out.append(ev)
            if ev.event == E.OCCUPANCY and self.timer is not None:
                if ev.state == Occupancy.OCCUPIED:
                    brk = self.timer.sit(t)
                    if brk is not None:
                        out.append(brk)
                else:
                    self.timer.leave(t)
        return out

    def snapshot(self, t: float) -> Snapshot:
        """What the camera sees now: presence as the occupancy, the posture, and (when it owns
        occupancy) the sitting spell. Balance, wallet and load are a cushion's: unknown here."""
        present = self.detector.present
        timer = self.timer
        return Snapshot(
            t=t,
            source=SOURCE,
            online=self.online,
            occupancy=None if present is None
            else Occupancy.OCCUPIED if present else Occupancy.EMPTY,
            spell=timer.spell(t) if timer is not None and present else 0.0,
            spell_start=timer.spell_start if timer is not None else None,
            left_at=timer.away_since if timer is not None else None,
            posture=S.posture(self.detector.state),
            posture_since=self.detector.posture.changed_at,
            seen_by=S.CAMERA_SAW if self.detector.state is not None else (),
            calibrated=self.calibrated,
        )
