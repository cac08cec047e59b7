"""The camera pipeline: pose readings -> calibration -> detectors -> events (source "camera")
+ a snapshot.

Like :mod:`sitwatch.sensing.pipeline` for the cushion it does no I/O and reads no clock: every call
carries its time. It owns the camera baseline (a profile, or one it learns from the first
settled stretch in view), the :class:`~sitwatch.camera.detector.CameraDetector` and, when the
camera is the only seat sensor (``owns_occupancy``), the sitting timer. Its state is read as the
same :class:`~sitwatch.sensing.snapshot.Snapshot` a cushion gives, so a camera-only setup gets
its breaks, sitting-time and slouch nudges from the same nudger (:mod:`sitwatch.nudging`), and
the same rule for the time it does not see the seat (offline, or the screen locked: the timer
stands still, :meth:`SittingTimer.seen_again
<sitwatch.sensing.detectors.occupancy.SittingTimer.seen_again>`); an empty chair in view is the
sitter gone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from sitwatch.camera.baseline import AutoCalibrator, CameraProfile
from sitwatch.camera.detector import SOURCE, Activity, CameraDetector
from sitwatch.camera.source import PoseReading
from sitwatch.config import Config
from sitwatch.config.camera import CameraConfig
from sitwatch.core import events as E
from sitwatch.core.events import Event
from sitwatch.core.kinds import Occupancy, ScreenState, SensorState
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
        self.locked = False  # the screen is locked: no picture is taken (camera.pause_when_locked)
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
        """The camera went offline (unplugged, the device lost, a clip at its end) or came
        back. Not working is not the sitter leaving: when the camera owns the sitting timer,
        the timer stands still until the camera looks again, as for an offline cushion
        (docs/presence.md), and the ``online`` event carries what :meth:`_seen_again` says."""
        if online == self.online:
            return []
        self.online = online
        data: dict[str, object] = {"source": SOURCE}
        if reason:
            data["reason"] = reason
        if not online:
            self._look_away(t)
            return [Event(t, E.SENSOR, SensorState.OFFLINE, data)]
        if self.locked:  # (no picture is taken while locked: nothing to see again yet)
            return [Event(t, E.SENSOR, SensorState.ONLINE, data)]
        data_seen, events = self._seen_again(t, "offline")
        return [Event(t, E.SENSOR, SensorState.ONLINE, {**data, **data_seen}), *events]

    def screen(self, t: float, locked: bool) -> list[Event]:
        """The screen locked or unlocked at ``t``: the camera takes no picture meanwhile. A
        locked screen is the seat out of sight, not the sitter away (docs/camera.md): a locker
        also locks on its own at a desk where someone reads or phones, so the timer stands still
        as for a camera offline; unlocked after ``min_break`` or more, the seat counts as empty
        from the lock, as after a suspend that long."""
        if locked == self.locked:
            return []
        self.locked = locked
        data: dict[str, object] = {"source": SOURCE}
        state = ScreenState.LOCKED if locked else ScreenState.UNLOCKED
        if locked:
            if self.online:  # (offline, the seat is out of sight already)
                self._look_away(t)
            return [Event(t, E.SCREEN, state, data)]
        if not self.online:  # the camera is still to be seen again
            return [Event(t, E.SCREEN, state, data)]
        data_seen, events = self._seen_again(t, "locked")
        return [Event(t, E.SCREEN, state, {**data, **data_seen}), *events]

    def _look_away(self, t: float) -> None:
        """The camera stops seeing the seat at ``t``. Owning the sitting timer, it stands still
        on the seat as last seen (:meth:`SittingTimer.hide`); otherwise what the camera saw is
        forgotten, so it stands in for no offline cushion (fusion rule O2)."""
        if self.timer is None:
            self.detector.reset(t)
            return
        self.detector.blind(t)
        self.timer.hide(t)

    def _seen_again(self, t: float, reason: str) -> tuple[dict[str, object], list[Event]]:
        """The camera sees the seat again at ``t``: the time out of sight counts as for the
        cushion (:meth:`SittingTimer.seen_again`). Returns data for the event that says so and
        the events of a seat taken as empty from when it went out of sight (``reason``)."""
        if self.timer is None:
            return {}, []
        seen = self.timer.seen_again(t, bool(self.detector.present), reason)
        if seen.emptied is None:
            return seen.data, []
        self.detector.vacate(t)
        return {}, [replace(seen.emptied, data={**seen.emptied.data, "source": SOURCE})]

    def resume_spell(self, t: float, spell: float, away: float,
                     seat: Occupancy = Occupancy.OCCUPIED) -> list[Event]:
        """Carry on a sitting spell from before a restart, as :meth:`Pipeline.resume_spell
        <sitwatch.sensing.pipeline.Pipeline.resume_spell>` does for a cushion, when the camera
        owns the sitting timer (camera-only): the same rules, and the same ``spell_resumed``
        event (``source`` camera) so the history counts one spell. With a cushion the cushion's
        pipeline carries it (nothing here)."""
        if self.timer is None or not self.timer.resume(t, spell, away):
            return []
        return [Event(t, E.SPELL_RESUMED, seat, {"spell": round(spell, 1),
                                                  "away": round(away, 1), "source": SOURCE})]

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
        if self.locked:  # a picture: the screen is unlocked (its item came first, live)
            out += self.screen(t, False)
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
        occupancy) the sitting spell, as a cushion's timer gives it: during a short absence and
        before the camera has decided (just started, a spell carried over a restart), the spell
        so far, standing still; 0 during a break. While it does not look (offline, the screen
        locked) and owns the timer: the seat as last seen, the spell standing still
        (``unseen_since``). Balance, wallet and load are a cushion's: unknown here."""
        present = self.detector.present
        timer = self.timer
        return Snapshot(
            t=t,
            source=SOURCE,
            online=self.online,
            occupancy=None if present is None
            else Occupancy.OCCUPIED if present else Occupancy.EMPTY,
            spell=timer.spell(t) if timer is not None else 0.0,
            spell_start=timer.spell_start if timer is not None else None,
            left_at=timer.away_since if timer is not None else None,
            unseen_since=timer.unseen_since if timer is not None else None,
            posture=S.posture(self.detector.state),
            posture_since=self.detector.posture.changed_at,
            seen_by=S.CAMERA_SAW if self.detector.state is not None else (),
            calibrated=self.calibrated,
        )
