"""The camera pipeline: pose readings -> calibration -> detectors -> events (source "camera").

Like :mod:`sitwatch.sensing.pipeline` for the cushion it does no I/O and reads no clock: every call
carries its time. It owns the camera baseline (a profile, or one it learns from the first
settled stretch in view), the :class:`~sitwatch.camera.detector.CameraDetector` and, when the
camera is the only seat sensor (``owns_occupancy``), the sitting timer and the nudge policy, so
a camera-only setup gets the same breaks, sitting-time and slouch nudges as a cushion.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sitwatch.camera.baseline import AutoCalibrator, CameraProfile
from sitwatch.camera.detector import SOURCE, Activity, CameraDetector
from sitwatch.camera.features import PoseFeatures
from sitwatch.camera.source import PoseReading
from sitwatch.config.camera import CameraConfig
from sitwatch.core import events as E
from sitwatch.core.events import Event

SLOW_PERIOD = 1.0


@dataclass
class CameraSnapshot:
    present: bool | None
    posture: str | None
    calibrated: str | None
    online: bool
    features: PoseFeatures | None
    spell: float | None  # sitting spell (s) when the camera owns occupancy


class CameraPipeline:
    def __init__(
        self,
        cfg: CameraConfig,
        profile: CameraProfile | None = None,
        *,
        owns_occupancy: bool = True,
        main: object | None = None,
        on_profile: Callable[[CameraProfile], None] | None = None,
    ) -> None:
        """``main``: the main :class:`sitwatch.config.Config`; with ``owns_occupancy`` its
        ``detect.occupancy.min_break``, ``detect.sit_limit`` and ``nudges`` drive the sitting
        timer and nudges. ``on_profile`` receives a profile learned automatically."""
        self.cfg = cfg
        self.profile = profile
        self.calibrated: str | None = profile.method if profile else None
        self.auto = AutoCalibrator(cfg.auto_settle) if profile is None and cfg.auto_calibrate \
            else None
        self.detector = CameraDetector(cfg, owns_occupancy=owns_occupancy)
        self.on_profile = on_profile
        self.online = True
        self.readings = 0
        self.timer = None
        self.policy = None
        self._slow_at = float("-inf")
        if owns_occupancy and main is not None:
            from sitwatch.nudging.policy import NudgePolicy
            from sitwatch.sensing.detectors.occupancy import SittingTimer

            det = main.detect  # type: ignore[attr-defined]
            self.timer = SittingTimer(det.occupancy.min_break)
            self.policy = NudgePolicy(main.nudges, det.sit_limit)  # type: ignore[attr-defined]

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
        out.append(Event(t, E.SENSOR, "online" if online else "offline", data))
        if not online:
            was_present = self.detector.present
            self.detector.reset(t)
            if self.timer is not None and was_present:
                self.timer.leave(t)
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
                if ev.state == "occupied":
                    brk = self.timer.sit(t)
                    if brk is not None:
                        out.append(brk)
                else:
                    self.timer.leave(t)
        if self.policy is not None and self.timer is not None and t - self._slow_at >= SLOW_PERIOD:
            self._slow_at = t
            occupied = self.detector.present is True
            d = self.detector.posture
            out += self.policy.step(
                t, spell=self.timer.spell(t) if occupied else 0.0, occupied=occupied,
                posture=d.state, posture_for=t - d.changed_at, balance=None, balance_for=0.0,
                wallet=False)
        return out

    def snapshot(self, t: float) -> CameraSnapshot:
        spell = self.timer.spell(t) if self.timer is not None and self.detector.present else None
        return CameraSnapshot(self.detector.present, self.detector.state, self.calibrated,
                              self.online, self.detector.last, spell)
