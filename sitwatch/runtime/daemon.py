"""The daemon: sources feed the pipelines, a snapshot feeds the nudger, events go everywhere.

    cushion source.poll() -> Reading | Status | Diagnosis -> Pipeline -> events + Snapshot
    camera source.poll()  -> PoseReading | Status | ...   -> CameraPipeline -> events + Snapshot
        (both: Fusion -> the fused Snapshot; rule O2 hands camera presence to the cushion)
    Snapshot -> Nudger (policy + gate + held nudges) -> nudge events
    every event -> sinks (if delivered) ; Store (events) ; StatusWriter ; listeners
    Snapshot -> describe table -> Store minute rollups ; status file ; MQTT state

:class:`Daemon` is one step of that loop at a time, so tests, the demo and the real service drive
it the same way; only ``sitwatch run`` (:mod:`sitwatch.cli.run`) touches signals, systemd and the
real clock, and :func:`sitwatch.runtime.assemble.build_daemon` builds it from the config. The
daemon reads sensor state only through snapshots, never detector internals.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from sitwatch.config import Config, for_layout
from sitwatch.core import events as E
from sitwatch.core.clock import Clock
from sitwatch.core.events import Event
from sitwatch.core.kinds import FeedbackKind, NudgeAction, Occupancy, SensorState
from sitwatch.core.private import private_dir
from sitwatch.nudging.nudger import Nudger
from sitwatch.runtime import describe
from sitwatch.runtime.notices import SensorNotices, SilenceNotice
from sitwatch.sensing.calibration import Profile
from sitwatch.sensing.detectors.occupancy import OCCUPIED
from sitwatch.sensing.layout import Layout, absolute_spec
from sitwatch.sensing.pipeline import Pipeline
from sitwatch.sensing.snapshot import Snapshot
from sitwatch.sinks.actions import Answer
from sitwatch.sinks.base import Fanout
from sitwatch.sinks.buzzer import BuzzerSink
from sitwatch.sources.base import Diagnosis, Reading, Source, Status

if TYPE_CHECKING:
    from sitwatch.camera.fusion import Fusion
    from sitwatch.camera.pipeline import CameraPipeline
    from sitwatch.camera.source import CameraItem
    from sitwatch.history.diary import SymptomEntry
    from sitwatch.history.store import Store
    from sitwatch.nudging.gate import ControlSource, NudgeGate
    from sitwatch.runtime.learning import Learner
    from sitwatch.runtime.status import StatusWriter
    from sitwatch.sinks.actions import ActionInbox
    from sitwatch.sinks.base import Sink

log = logging.getLogger("sitwatch")
BATCH_SECONDS = 0.2
BACKUP_FIRST = 3600.0  # first copy (and tidy) of the history an hour after start, then daily
BACKUP_EVERY = 86400.0
SUSPEND_SEEN = 1.0  # a sleep shorter than this is noise between reading two clocks
DIARY_EVERY = 1.0  # seconds between looks for diary entries other processes stored
TIDY_EVERY = 3600.0  # old history folded a week at most per hour: never a long pause
O2_TAGS = {"source": "camera", "rule": "O2"}  # occupancy the camera decided (docs/camera.md)


class CameraFeed(Protocol):
    """The webcam as the daemon polls it (:class:`sitwatch.camera.source.CameraSource`)."""

    name: str

    def poll(self, max_wait: float) -> Sequence[CameraItem]: ...

    def stats(self) -> dict[str, object]: ...

    def hold(self, on: bool) -> None:
        """Stop looking (camera closed, model released) while sitwatch is paused."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Camera:
    """A camera: its source and its pipeline."""

    source: CameraFeed
    pipeline: CameraPipeline


@runtime_checkable
class StatePublisher(Protocol):
    """A channel that also publishes the live state (the MQTT sink)."""

    def state_due(self) -> bool: ...

    def publish_state(self, snapshot: Mapping[str, object]) -> None: ...


@runtime_checkable
class CommandAnswers(Protocol):
    """A channel that tells whoever sent a command what became of it (the MQTT sink): the
    command's event carries the ``reply`` the channel gave it, and the daemon hands it back
    with the :class:`Answer` once the command is done or refused."""

    def answer(self, reply: str, answer: Answer) -> None: ...


@runtime_checkable
class ClickAnswers(Protocol):
    """A channel whose notifications have buttons (the desktop sink): told in words what
    became of a "Not right" clicked on one of them, the words `sitwatch feedback wrong` prints,
    so the click is not met with silence."""

    def answer_click(self, nudge: Event, text: str) -> None: ...


class SeatWatcher(Protocol):
    """A channel that follows the seat's snapshot as well as the events (presence on D-Bus,
    Workrave): given it about once a second, with whether sitwatch is paused."""

    def live(self, snap: Snapshot, paused: bool) -> None: ...


class Daemon:
    def __init__(
        self,
        cfg: Config,
        layout: Layout,
        source: Source | None,
        clock: Clock,
        *,
        profile: Profile | None = None,
        sinks: Sink | None = None,
        store: Store | None = None,
        status: StatusWriter | None = None,
        save_profile: Callable[[Profile], None] | None = None,
        gate: NudgeGate | None = None,
        backup_dir: Path | None = None,
        camera: Camera | None = None,
        inbox: ActionInbox | None = None,
        publisher: StatePublisher | None = None,
        learner: Learner | None = None,
        answers: CommandAnswers | None = None,
        profile_file: Path | None = None,
    ) -> None:
        """``source`` is the cushion (None for a camera-only setup). ``inbox`` holds clicks on
        notification buttons and commands over MQTT; ``publisher`` gets the live state (MQTT);
        ``answers`` is told what became of each command that asks for an answer (MQTT);
        ``learner`` keeps the sitter's "Not right" feedback (:mod:`sitwatch.runtime.learning`).
        ``profile_file``: the file ``profile`` is read from (or a learned one saved to), named
        in the status file for ``sitwatch feedback``, with whether this daemon leaves it as it
        is (a profile and no ``save_profile``: one named with ``run --calibration``)."""
        self.cfg = cfg
        self.layout = layout
        self.source = source
        self.clock = clock
        # the cushion's pipeline; a camera-only setup has none
        self.pipeline: Pipeline | None = None
        if source is not None or camera is None:
            self.pipeline = Pipeline(layout, cfg, profile)
        self.camera = camera
        self.sinks = sinks
        self.store = store
        self.status = status
        self.save_profile = save_profile
        self.control: ControlSource | None = gate.control if gate is not None else None
        self._gate = gate
        self.backup_dir = backup_dir
        if inbox is None and isinstance(sinks, Fanout):
            inbox = sinks.inbox  # the clicks on the buttons of the Fanout's desktop sink
        self.inbox = inbox
        # the cushion's buzzer, for strict mode's repeats (sinks/buzzer.py)
        self._buzzer = sinks.find(BuzzerSink) if isinstance(sinks, Fanout) else None
        # the channels a "Not right" button is clicked on, told what the click did
        self._click_answers = ([s for s in sinks.sinks if isinstance(s, ClickAnswers)]
                               if isinstance(sinks, Fanout) else [])
        self.publisher = publisher
        self.answers = answers
        self.learner = learner
        # when to tell the sitter that sensors of the cushion stopped working (notices.py)
        self.notices = SensorNotices(layout) if self.pipeline is not None else None
        # ... and that the whole cushion went quiet while they sat on it
        self.silence = (
            SilenceNotice(wireless=source.name.startswith("mqtt:"))
            if source is not None and self.pipeline is not None else None)
        if learner is not None:
            self._retune()
        sit_limit = for_layout(cfg, layout).detect.sit_limit
        self.nudger = Nudger(cfg.nudges, sit_limit, gate,
                             min_break=for_layout(cfg, layout).detect.occupancy.min_break)
        self.fusion: Fusion | None = None
        if camera is not None and self.pipeline is not None:
            from sitwatch.camera.fusion import Fusion

            self.fusion = Fusion(since=clock.monotonic())
        self._next_backup = clock.monotonic() + BACKUP_FIRST
        self._next_tidy = clock.monotonic() + BACKUP_FIRST
        self.listeners: list[Callable[[Event], None]] = []
        self.watchers: list[SeatWatcher] = []  # given the snapshot in _publish
        self._last_sample: float | None = None
        self._dropped_seen = 0
        self._state_now = False  # publish the MQTT state at the next _publish, due or not
        self._next_publish = -1e18
        self._mode_shown: str | None = None  # the mode last published (MQTT)
        self._slept = clock.suspended()
        # symptom diary entries written by `sitwatch log` or the web page: the last id seen
        # (None: not looked yet), and the ids this daemon stored itself (MQTT)
        self._diary_seen: int | None = None
        self._diary_mine: set[int] = set()
        self._next_diary = -1e18
        if store is not None:
            names = [s.name for s in (source, camera.source if camera else None) if s is not None]
            # what ran: a camera alone has no cushion layout (the config's names none it has)
            store.begin_run(layout.name if source is not None else None,
                            " + ".join(names) or "none")
        if status is not None:
            snap = self.snapshot()
            cal: dict[str, object] = {"method": snap.calibrated, "learned": (
                self.pipeline.ways_learned() if self.pipeline is not None else 0)}
            if profile is not None and self.pipeline is not None and snap.calibrated:
                cal["at"] = profile.created
            # the run the history records: a restart that carries on the spell names it
            status.update(sit_limit=sit_limit, calibration=cal,
                          history_run=store.run_id if store is not None else None)
            if source is not None:  # a camera alone has no cushion layout (nor profile)
                status.update(layout=absolute_spec(cfg.cushion.layout))
            if learner is not None and learner.path is not None:
                status.update(feedback_file=str(learner.path))
            if profile_file is not None and source is not None:
                # its reference postures tuned the thresholds; read only (`run --calibration`):
                # `sitwatch feedback` must not change it either
                status.update(profile_file=str(profile_file.absolute()),
                              profile_read_only=profile is not None and save_profile is None)

    # -- the state everyone reads --------------------------------------------------------
    def resume_spell(self, spell: float, away: float, run: str | None = None,
                     seat: Occupancy = Occupancy.OCCUPIED) -> None:
        """A restart is not a break: carry on the spell the last daemon left (see
        :func:`sitwatch.runtime.assemble.previous_spell`), and say so to the history and the
        channels (a ``spell_resumed`` event naming ``run``, the history run the spell was in),
        so the history counts one spell, not one per run. ``seat``: as the last daemon left it
        (empty: the sitter's absence goes on, and sitting down ends it, with a break when it
        was long enough).

        Without ``run`` (the last daemon's status file predates it) it is the run the history
        holds before this one. The pipeline that owns the sitting timer carries it: the
        cushion's, or camera-only, the camera's."""
        owner: Pipeline | CameraPipeline | None = self.pipeline
        if owner is None and self.camera is not None:
            owner = self.camera.pipeline
        if owner is None:
            return
        for ev in owner.resume_spell(self.clock.monotonic(), spell, away, seat):
            before = run if run is not None else self._run_before()
            self._dispatch(Event(ev.t, ev.event, ev.state,
                                 {**ev.data, **({"continues": before} if before else {})}))

    def _run_before(self) -> str | None:
        """The history's latest run but this one's (None: no history, or no such run)."""
        if self.store is None or self.store.run_id is None:
            return None
        from sitwatch.history import queries

        try:
            return queries.run_before(self.store, self.store.run_id)
        except Exception as e:  # a history that cannot be read is reported where it is opened
            log.debug("history: cannot tell which run the spell was in: %s", e)
            return None

    def snapshot(self, t: float | None = None) -> Snapshot:
        """The seat as the daemon sees it at ``t`` (default: now): the cushion's, the camera's
        when it is the only sensor, or both fused."""
        t = self.clock.monotonic() if t is None else t
        cam = self.camera.pipeline.snapshot(t) if self.camera is not None else None
        if self.pipeline is None:
            assert cam is not None
            return cam
        snap = self.pipeline.snapshot(t)
        return snap if self.fusion is None else self.fusion.view(snap)

    def _observe(self, t: float) -> tuple[Snapshot, list[Event]]:
        """The snapshot at ``t`` after letting the fusion rules act: O2 hands the camera's
        presence to an offline cushion; the fused posture may change."""
        if self.fusion is None or self.pipeline is None or self.camera is None:
            return self.snapshot(t), []
        cam = self.camera.pipeline.snapshot(t)
        cushion = self.pipeline.snapshot(t)
        # None: the camera does not know either, and the cushion's timer stands still
        out = self.pipeline.follow(t, self.fusion.presence(cushion, cam), O2_TAGS)
        if out:
            cushion = self.pipeline.snapshot(t)
        ev = self.fusion.update(cushion, cam)
        if ev is not None:
            out.append(ev)
        return self.fusion.view(cushion), out

    # -- one turn of the loop ------------------------------------------------------------
    def paused(self) -> bool:
        if self.control is None:
            return False
        return bool(self.control.get().paused(self.clock.now()))

    def _notice_now(self, what: str) -> bool:
        """A notice may be shown now (the gate's view; without a gate, unless held)."""
        if self._gate is not None:
            shown, why = self._gate.open_now()
            if not shown:
                log.warning("%s; no notice now (%s)", what, why)  # the journal must say
            return shown
        return not self._holding()

    def _holding(self) -> bool:
        """Nudges are snoozed or paused (strict buzzing stops)."""
        if self.control is None:
            return False
        ctl, now = self.control.get(), self.clock.now()
        return bool(ctl.paused(now) or ctl.snoozed(now))

    def step(self, max_wait: float = 0.5) -> list[Event]:
        out: list[Event] = self._after_suspend()
        paused = self.paused()
        if self.source is not None:
            for item in self.source.poll(max_wait):
                out += self._cushion_item(item, paused)
        if self.camera is not None:
            self.camera.source.hold(paused)  # paused: no frame is even taken
            out += self._camera_step(paused)
        out += self._clicks()
        out += self._feedback_requests()
        out += self._new_diary_entries()
        now = self.clock.monotonic()
        snap, evs = self._observe(now)
        evs += self.nudger.release(snap, now)
        evs += self._sensor_notice(now)
        evs += self._silence_notice(now)
        for ev in evs:
            self._dispatch(ev)
        out += evs
        if self._buzzer is not None and self._buzzer.insisting:
            self._buzzer.tick(now, self._holding())
        if (not snap.online or not snap.seen) and not paused:
            self._sample(now, snap)  # count the time out of sight (as not sitting)
        if now >= self._next_publish:
            self._next_publish = now + min(1.0, self.cfg.status.interval)
            self._publish(now, snap)
        return out

    def _after_suspend(self) -> list[Event]:
        """The machine slept since the last step (the monotonic clock stood still): tell the
        pipelines, which treat a sleep of ``min_break`` or more as a break."""
        slept = self.clock.suspended()
        gap, self._slept = slept - self._slept, slept
        if gap < SUSPEND_SEEN:
            self._slept -= gap  # keep small gaps adding up
            return []
        now = self.clock.monotonic()
        log.info("the computer slept for %.0f s", gap)
        if self.silence is not None:
            self.silence.slept()
        out: list[Event] = []
        if self.pipeline is not None:
            out += self.pipeline.suspended(now, gap)
        if self.camera is not None:
            out += self.camera.pipeline.suspended(now, gap)
        for ev in out:
            self._dispatch(ev)
        return out

    def _cushion_item(self, item: Reading | Status | Diagnosis, paused: bool) -> list[Event]:
        assert self.pipeline is not None and self.silence is not None  # (both: a cushion)
        silence = self.silence
        if isinstance(item, Reading):
            if paused:
                silence.reading(item.t, silence.seated)  # the cushion still speaks
                return []  # paused: nothing is watched or kept
            evs = self.pipeline.process(item.t, item.values)
            if self.fusion is not None:
                evs = self.fusion.fused_in(evs)
            silence.reading(item.t, self.pipeline.occ.state == OCCUPIED)
            hint = self.pipeline.take_units_hint()
            if hint:
                log.warning("cushion: %s", hint)
            snap, fused = self._observe(item.t)
            evs += fused
            evs += self.nudger.observe(snap)
            self._sample(item.t, snap)
        elif isinstance(item, Status):
            evs = self.pipeline.sensor(item.t, item.online, item.reason)
            silence.status(item.online, item.reason, item.gone)
            # the seat's MQTT state turns unknown (or known again) with the sensor, not up
            # to state_interval later (describe.py)
            self._state_now = self._state_now or bool(evs)
        elif isinstance(item, Diagnosis):
            evs = [Event(item.t, E.DIAGNOSIS, None, {"message": item.message})]
            silence.diagnosis(item.message)
            if item.since is not None:  # connected, yet silent: nothing sees the seat
                went = self.pipeline.silent(item.t, item.since, item.message)
                self._state_now = self._state_now or bool(went)
                if went and not paused:
                    # nothing saw the seat since the cushion's last frame: into the history
                    # as such now, before a camera standing in makes the seat seen again (the
                    # next sample would count that silence as sitting, the spell leaves it out)
                    self._sample(item.t, self.pipeline.snapshot(item.t))
                evs += went
        else:  # pragma: no cover - protocol violation
            return []
        for ev in evs:
            self._dispatch(ev)
        return evs

    def _camera_step(self, paused: bool) -> list[Event]:
        from sitwatch.camera.source import PoseReading, ScreenLock

        assert self.camera is not None
        cam = self.camera.pipeline
        out: list[Event] = []
        for item in self.camera.source.poll(0):
            if isinstance(item, PoseReading):
                if paused:
                    continue
                evs = cam.process(item)
                if self.fusion is not None:
                    evs = self.fusion.fused_in(evs)
                snap, fused = self._observe(item.t)
                evs += fused
                evs += self.nudger.observe(snap)
                if self.pipeline is None:
                    self._sample(item.t, snap)
            elif isinstance(item, Status):
                evs = cam.sensor(item.t, item.online, item.reason)
                # the camera's MQTT state at once (and, camera-only, the seat's: describe.py)
                self._state_now = self._state_now or bool(evs)
            elif isinstance(item, ScreenLock):  # the seat out of sight, or seen again
                evs = cam.screen(item.t, item.locked)
                self._state_now = self._state_now or bool(evs)
            elif isinstance(item, Diagnosis):
                evs = [
                    Event(item.t, E.DIAGNOSIS, None, {"message": item.message, "source": "camera"})
                ]
            else:
                continue
            for ev in evs:
                self._dispatch(ev)
            out += evs
        return out

    def _clicks(self) -> list[Event]:
        """Buttons pressed on desktop notifications and commands sent over MQTT (handed over
        from the sinks' threads). A command that carries a ``reply`` is answered: done, or
        why not (:class:`CommandAnswers`)."""
        inbox = self.inbox
        if inbox is None or not len(inbox):
            return []
        out: list[Event] = []
        t = self.clock.monotonic()
        for action, nudge in inbox.drain():
            if action == NudgeAction.WRONG:
                evs, answer = self._wrong_clicked(nudge)
            elif action == NudgeAction.LOG:  # a diary entry from afar (MQTT)
                evs, answer = self._log_symptom(nudge.get("symptom") or {}, t)
            elif nudge.get("via") == "mqtt" and action == NudgeAction.DONE:  # a Done afar
                evs, answer = self._remote_done(_kind_of(nudge), t)
            elif nudge.get("via") == "mqtt":  # snooze / pause / resume from afar
                # a snooze that names its nudge is that nudge's Snooze button, elsewhere
                evs = (self._ack(action, _kind_of(nudge), t, source="mqtt")
                       if action == NudgeAction.SNOOZE and _kind_of(nudge) else [])
                answer = self._remote_control(action, nudge.get("minutes"))
            else:
                out += self._button(action, nudge, t)
                continue
            out += evs
            reply = nudge.get("reply")
            if reply and self.answers is not None:
                self.answers.answer(str(reply), answer)
            elif action == NudgeAction.WRONG and not nudge.get("via"):  # a button here
                for channel in self._click_answers:
                    channel.answer_click(nudge, answer.message)
        return out

    def _button(self, action: str, nudge: Event, t: float) -> list[Event]:
        """Snooze or Done on a desktop notification (``nudge``: the one it was on)."""
        from sitwatch.nudging import control

        evs = self._ack(action, _kind_of(nudge), t)
        if action == NudgeAction.SNOOZE and self.control is not None:
            path = self.control.path
            snooze = timedelta(minutes=self.cfg.nudges.snooze_minutes)
            try:
                control.write(path, control.change(control.read(path), "snooze",
                                                   self.clock.now(), snooze))
            except OSError as e:
                log.warning("cannot snooze: %s", e)
            else:
                self._control_changed()
        return evs

    def _ack(self, action: str, kind: str, t: float, *, source: str = "") -> list[Event]:
        """The click on a nudge's Snooze or Done, wherever the notification was (here, or a
        ``sitwatch companion`` over MQTT: ``source`` mqtt): a ``nudge_ack`` event, and for Done
        the nudges of that kind waiting for an answer settled as acted on (their
        ``nudge_outcome``, which the reports count). ``kind`` empty: a notification of no
        nudge (the notice of a learned way): the ack leaves ``kind`` out and settles nothing."""
        data: dict[str, object] = {"kind": kind} if kind else {}
        data["action"] = action
        if source:
            data["source"] = source
        evs = [Event(t, E.NUDGE_ACK, None, data)]
        if action == NudgeAction.DONE and kind:
            evs += self.nudger.acknowledge(kind, t)
        for ev in evs:
            self._dispatch(ev)
        return evs

    def _remote_done(self, kind: str, t: float) -> tuple[list[Event], Answer]:
        """Done on a nudge's notification elsewhere (``<base>/command/done``, ``sitwatch
        companion``'s button): recorded as the local button records it, and said."""
        from sitwatch.nudging.answers import done_said

        evs = self._ack(NudgeAction.DONE, kind, t, source="mqtt")
        settled = any(ev.event == E.NUDGE_OUTCOME for ev in evs)
        log.info("Done on a %s nudge, over MQTT%s", kind,
                 "" if settled else " (none was waiting for an answer)")
        return evs, Answer(True, done_said(kind, settled=settled))

    def _mode(self) -> str:
        """Whether sitwatch is watching, snoozed or paused (Home Assistant's Mode)."""
        now = self.clock.now()
        ctl = self.control.get() if self.control is not None else None
        return ("paused" if ctl is not None and ctl.paused(now)
                else "snoozed" if ctl is not None and ctl.snoozed(now) else "watching")

    def _control_changed(self) -> None:
        """The daemon changed the control file itself (a button, a command over MQTT): read it
        again and publish the new mode in this very step, not a second later."""
        if self.control is not None:
            self.control.refresh()
        self._next_publish = 0.0

    def _day_state(self, snap: Snapshot, mode: str) -> dict[str, object]:
        """What Home Assistant shows beside the live state: the day so far (from the history,
        the same figures as `sitwatch report`), whether the spell is past the sitting limit, and
        the ``mode`` (watching, snoozed or paused)."""
        now = self.clock.now()
        out: dict[str, object] = {
            "mode": mode,
            # unknown while nothing watches the seat, as the seat's own rows (describe.py)
            "over_limit": (bool(snap.occupied and snap.spell >= self.cfg.detect.sit_limit)
                           if describe.seat_known(snap) else None),
        }
        if self.store is None:
            return out
        from sitwatch.core.clock import day_zone
        from sitwatch.history import queries

        try:  # local midnight, also on the days the clocks change
            day = queries.day_summary(self.store, now.date(), day_zone(now))
        except Exception as e:  # the history's own trouble is reported where it happens
            log.debug("history: no day figures for MQTT: %s", e)
            return out
        out["sitting_today"] = day.sitting_minutes
        out["nudges_today"] = day.nudges_total
        out["upright_today"] = (100 * day.upright_share
                                if day.known_posture_minutes > 0 else None)
        return out

    def _log_symptom(self, fields: Mapping[str, object],
                     t: float) -> tuple[list[Event], Answer]:
        """A symptom diary entry sent over MQTT: stored like `sitwatch log` stores one, and a
        ``symptom`` event (with the seek-care advice for a red flag) for every channel. The
        answer says what `sitwatch log` says: the advice first, then what was logged."""
        import sqlite3

        from sitwatch.history.diary import DiaryError, add_entry, entry_from
        from sitwatch.history.store import StoreError
        from sitwatch.reports import diary

        try:
            entry = entry_from(fields, self.clock.now(), "mqtt")
        except DiaryError as e:
            log.warning("a symptom sent over MQTT was not logged: %s", e)
            return [], Answer(False, str(e))
        said = f"Logged at {entry.at:%H:%M}: {diary.describe(entry)}."
        ok = True
        if self.store is None:
            ok, said = False, "Not logged: the history is off ([history] enabled), so there " \
                              "is no diary to keep it in."
        else:
            try:
                self._diary_mine.add(add_entry(self.store.connection, entry))
            except (sqlite3.Error, StoreError) as e:
                log.warning("a symptom sent over MQTT could not be stored: %s", e)
                ok, said = False, f"cannot write the diary into the history: {e}"
        ev = self._symptom_event(entry, t)
        self._dispatch(ev)
        advice = diary.seek_care_paragraph([str(x) for x in ev.get("advice") or ()])
        return [ev], Answer(ok, f"{advice} {said}" if advice else said)

    def _symptom_event(self, entry: SymptomEntry, t: float) -> Event:
        """The ``symptom`` event for a diary entry. A red flag brings the seek-care advice, also
        as ``title`` and ``message``: the desktop and push channels show it like a nudge, at
        once (no gate: advice to seek care is never snoozed or held)."""
        from sitwatch.reports import diary

        flags = diary.red_flags(entry)
        advice = diary.seek_care_lines(flags) if flags else []
        via = {"mqtt": "over MQTT", "web": "on the web page"}.get(entry.source, "")
        if advice:
            log.warning("symptom logged %s with a warning sign: %s", via or "in the diary",
                        diary.seek_care_paragraph(advice))
        data: dict[str, object] = {"kind": str(entry.kind), "said": diary.describe(entry),
                                   "red_flags": [str(f) for f in flags], "advice": advice,
                                   "source": entry.source}
        if advice:
            data.update(title=advice[0], message=" ".join(advice[1:]))
        return Event(t, E.SYMPTOM, None, data)

    def _new_diary_entries(self) -> list[Event]:
        """Once a second: diary entries other processes stored (`sitwatch log`, the web page's
        form) become ``symptom`` events, so a red flag reaches the desktop and the phone through
        the running daemon, not only the terminal or the page it was typed into."""
        t = self.clock.monotonic()
        if self.store is None or t < self._next_diary:
            return []
        self._next_diary = t + DIARY_EVERY
        from sitwatch.history.diary import entries_after, last_id

        try:
            if self._diary_seen is None:  # start from what is there now: old news stays old
                self._diary_seen = last_id(self.store)
                return []
            entries, self._diary_seen = entries_after(self.store, self._diary_seen)
        except Exception as e:  # the history's own trouble is reported where it happens
            log.debug("history: cannot look for new diary entries: %s", e)
            return []
        out: list[Event] = []
        for entry in entries:
            if entry.id in self._diary_mine:
                self._diary_mine.discard(entry.id)  # stored from MQTT: already announced
                continue
            ev = self._symptom_event(entry, t)
            self._dispatch(ev)
            out.append(ev)
        return out

    def _remote_control(self, action: str, minutes: object) -> Answer:
        """Snooze, pause or resume asked for over MQTT: the control file, as the commands of
        the same names write it (so `sitwatch status` and every channel agree), and their
        words."""
        from sitwatch.nudging import control
        from sitwatch.nudging.answers import control_said

        if self.control is None or action not in (NudgeAction.RESUME, NudgeAction.SNOOZE,
                                                  NudgeAction.PAUSE):
            return Answer(False, f"this sitwatch cannot {action}: it has no control file")
        path = self.control.path
        if isinstance(minutes, int | float):
            length: timedelta | None = timedelta(minutes=float(minutes))
        elif action == NudgeAction.SNOOZE:
            length = timedelta(minutes=self.cfg.nudges.snooze_minutes)
        else:
            length = None  # a pause until resumed
        now = self.clock.now()
        new = control.change(control.read(path), str(action), now, length)
        try:
            control.write(path, new)
        except OSError as e:
            log.warning("cannot %s (asked over MQTT): %s", action, e)
            return Answer(False, f"cannot write {path}: {e.strerror or e}")
        log.info("%s, asked over MQTT", {"resume": "resumed", "snooze": "nudges snoozed",
                                          "pause": "paused"}[str(action)])
        self._control_changed()  # Home Assistant shows the new mode at once
        return Answer(True, control_said(str(action), new, now))

    def _wrong_clicked(self, nudge: Event) -> tuple[list[Event], Answer]:
        """"Not right" on a notification (the nudge it was on), or from MQTT (which may name a
        kind in ``feedback_kind``, or none: the last posture nudge)."""
        from sitwatch.nudging.feedback import kind_of, parse_kind

        kind = kind_of(nudge.data)
        named = nudge.get("feedback_kind")
        if kind is None and named:
            try:
                kind = parse_kind(str(named))
            except ValueError as e:
                log.warning("\"Not right\" ignored: %s", e)
                return [], Answer(False, str(e))
        source = str(nudge.get("via") or "button")
        if kind == FeedbackKind.LEARNED and self._nothing_learned(source):
            from sitwatch.nudging.answers import NOTHING_LEARNED

            return [], Answer(False, NOTHING_LEARNED)
        # the button's own nudge (one nudge, one answer, and the sensors it names); MQTT: the
        # last one shown of the kind
        own = self.learner is not None and kind_of(nudge.data) is not None
        shown = self.learner.shown_at(nudge) if own and self.learner is not None else None
        seen = tuple(str(x) for x in nudge.get("seen_by") or ()) if own else None
        return self._feedback("wrong", kind, source=source, nudge=shown, seen_by=seen)

    def _nothing_learned(self, source: str) -> bool:
        """A "Not right" about a learned way of sitting while none is learned: nothing to
        forget, so it is not recorded (no feedback row or event, no step), and the journal says
        why, as `sitwatch feedback wrong learned` refuses it (exit 2); a sender over MQTT is
        answered in that command's words.
        Only when it could otherwise change something (feedback on, the cap not reached, a
        cushion), as there; otherwise it is recorded as changing nothing."""
        lr, pl = self.learner, self.pipeline
        if lr is None or pl is None or pl.ways_learned() > 0:
            return False
        if (not lr.settings.enabled
                or lr.state.steps_of(FeedbackKind.LEARNED) >= lr.settings.max_steps):
            return False
        from sitwatch.runtime.learning import said_via

        log.warning("feedback: \"Not right\" %s about the way of sitting learned was not "
                    "recorded: sitwatch has learned no way of sitting upright clear of the "
                    "backrest, so there is nothing to forget (`sitwatch doctor` shows what it "
                    "learned)", said_via(source))
        return True

    # -- "Not right" ---------------------------------------------------------------------
    def _retune(self) -> None:
        """The detectors take the thresholds the sitter's feedback gives (at once)."""
        if self.learner is not None and self.pipeline is not None:
            self.pipeline.retune(self.learner.adapted())

    def _feedback_requests(self) -> list[Event]:
        """``sitwatch feedback`` requests in the control file, and a feedback file changed by
        someone else (taken as it is)."""
        if self.learner is None:
            return []
        reqs, reloaded = self.learner.poll()
        if reloaded:
            self._retune()
        out: list[Event] = []
        for r in reqs:
            from sitwatch.nudging.feedback import parse_kind

            try:
                kind = parse_kind(r.kind) if r.kind else None
            except ValueError as e:
                log.warning("feedback request %s ignored: %s", r.id, e)
                continue
            out += self.feedback(r.action, kind, source="cli", request_id=r.id, nudge=r.nudge,
                                 seen_by=r.seen_by)
        return out

    def feedback(self, action: str, kind: FeedbackKind | None, *, source: str,
                 request_id: str = "", nudge: str | None = None,
                 seen_by: tuple[str, ...] | None = None) -> list[Event]:
        """A "Not right" (``action`` wrong; ``kind`` None: the last posture nudge shown) or a
        reset (``kind`` None: every kind): the thresholds move at once, the episode it was
        about gets no more nudges, and the event and the history row are kept. ``nudge``: when
        the nudge it answers was shown (:meth:`Learner.apply`); a nudge is answered once, and
        one only the camera saw eases nothing (``seen_by``: its sensors, when the command
        found them; else the learner remembers them from when it was shown). A
        "Not right" about a learned way of sitting (:attr:`FeedbackKind.LEARNED`) forgets the
        way learned last and never learns it again; a reset of it (or of every kind) lets such
        ways be learned again. The profile is saved either way."""
        return self._feedback(action, kind, source=source, request_id=request_id, nudge=nudge,
                              seen_by=seen_by)[0]

    def _feedback(self, action: str, kind: FeedbackKind | None, *, source: str,
                  request_id: str = "", nudge: str | None = None,
                  seen_by: tuple[str, ...] | None = None) -> tuple[list[Event], Answer]:
        """:meth:`feedback`, and what it did in `sitwatch feedback`'s words."""
        if self.learner is None:
            return [], Answer(False, "this sitwatch keeps no \"Not right\" feedback")
        t = self.clock.monotonic()
        pl = self.pipeline
        learned = kind == FeedbackKind.LEARNED
        done = self.learner.apply(
            action, kind, t=t, source=source, snap=self.snapshot(t),
            cues=pl.cues() if pl is not None else {},
            request_id=request_id, nudge=nudge, seen_by=seen_by, cushion=pl is not None,
            # a camera-only setup has no cushion whose thresholds could move: recorded only
            possible=pl is not None and (not (action == "wrong" and learned)
                                         or pl.ways_learned() > 0),
        )
        if isinstance(done, Answer):
            return [], done
        if done.retune:
            self._retune()
        after: list[Event] = []
        if pl is not None and done.row.applied and (learned or done.kind is None):
            after = pl.reject_learned(t) if action == "wrong" else pl.forget_rejected(t)
        if action == "wrong" and done.kind is not None:
            from sitwatch.runtime.learning import nudge_kind

            nk = nudge_kind(done.kind)
            if nk is not None:
                self.nudger.dismiss(nk)
        if self.store is not None:
            from sitwatch.history.feedback import record

            try:
                record(self.store, done.row)
            except Exception as e:  # a broken disk must not stop the nudges
                log.warning("history: cannot store the feedback: %s", e)
        for ev in (done.event, *after):
            self._dispatch(ev)
        return [done.event, *after], Answer(True, done.said)

    def _dispatch(self, ev: Event) -> None:
        """One event to the sinks (unless it is a nudge that was not delivered), the history,
        the status file and the listeners. A way of sitting newly learned gets the words of a
        notice the sitter may answer "Not right" to, when a nudge could be shown now (not
        paused, snoozed, in quiet or off hours, or while do-not-disturb holds nudges: the
        question is about how they sit at this moment, so it is not held for later)."""
        if E.new_way_learned(ev) and self._notice_now("a way of sitting upright was learned"):
            from sitwatch.nudging.guidance import learned_notice

            title, message = learned_notice(int(ev.get("ways")))
            ev = Event(ev.t, ev.event, ev.state, {**ev.data, "title": title, "message": message,
                                                   "feedback_kind": str(FeedbackKind.LEARNED)})
        if self.sinks is not None and ev.get("delivered", True):
            self.sinks.handle(ev)
        if self.store is not None:
            try:
                self.store.add_event(ev)
            except Exception as e:  # a broken disk must not stop the nudges
                log.warning("history: cannot store an event: %s", e)
        if self.status is not None:
            self.status.on_event(ev)
        if self.learner is not None:
            self.learner.note(ev)
        if self.notices is not None:
            self.notices.note(ev)
        if (ev.event == E.CALIBRATION and ev.state in ("baseline", "learned")
                and self.save_profile):
            self._save_learned()
        for fn in self.listeners:
            fn(ev)

    def _sensor_notice(self, now: float) -> list[Event]:
        """The notice that sensors of the cushion stopped working, when one is due and could be
        shown now; else it waits (:class:`~sitwatch.runtime.notices.SensorNotices`)."""
        n = self.notices
        if n is None or not n.due(now):
            return []
        if not self._notice_now("a cushion sensor stopped working"):
            n.hold(now)
            return []
        return [n.take(now)]

    def _silence_notice(self, now: float) -> list[Event]:
        """The notice that the cushion went quiet while the sitter sat on it, when it is due
        and could be shown now; else it waits (:class:`~sitwatch.runtime.notices.SilenceNotice`)."""
        n = self.silence
        if n is None or not n.due(now):
            return []
        if not self._notice_now("the cushion has gone quiet"):
            n.hold(now)
            return []
        log.warning("no reading from the cushion for %.0f s while its seat was occupied",
                    n.quiet_for(now))
        return [n.take(now, camera=self.camera is not None)]

    def _save_learned(self) -> None:
        """The profile with what sitting taught (a baseline learned without one, a way of
        sitting upright clear of the backrest), so a restart starts from it."""
        prof = (self.pipeline.learned_profile(self.clock.now()) if self.pipeline is not None
                else None)
        if prof is None or self.save_profile is None:
            return
        try:
            self.save_profile(prof)
        except OSError as e:
            log.warning("cannot save the learned calibration: %s", e)

    # -- history, status, MQTT -----------------------------------------------------------
    def _sample(self, t: float, snap: Snapshot) -> None:
        """The time since the last sample into the history's minute rollups."""
        if self.store is None:
            return
        last = self._last_sample
        self._last_sample = t
        if last is None:
            return
        try:  # a seated frame's loads go to the pressure maps with it
            self.store.add_sample(max(0.0, t - last), **describe.history_fields(snap),
                                  loads=snap.loads if snap.occupied and snap.online else None)
        except Exception as e:
            log.warning("history: cannot store a sample: %s", e)

    def _tidy(self, now: float) -> None:
        """Once an hour: fold detail older than ``history.detail_weeks`` into hourly summaries
        and drop old events no report reads, a bounded amount at a time."""
        if self.store is None or now < self._next_tidy:
            return
        self._next_tidy = now + TIDY_EVERY
        try:
            self.store.tidy(self.cfg.history.detail_weeks, max_chunks=1, max_events=20_000)
        except Exception as e:
            log.warning("history: tidying failed: %s", e)

    def _backup(self, now: float) -> None:
        """Once a day: copy the history (SD cards fail), keeping ``history.backups`` copies
        under ``history.backup_max_mb``; no copy when it would leave the disk nearly full."""
        self._tidy(now)
        if self.store is None or now < self._next_backup:
            return
        self._next_backup = now + BACKUP_EVERY
        h = self.cfg.history
        if self.backup_dir is None or h.backups <= 0:
            return
        from sitwatch.history.diagnose import free_bytes, human

        dest = self.backup_dir / f"history-{self.clock.now():%Y-%m-%d}.sqlite"
        try:
            size = self.store.path.stat().st_size
            free = free_bytes(self.backup_dir)
            if free is not None and free < 2 * size + 32 * 1024 * 1024:
                log.warning("history backup skipped: only %s free beside %s; free some space",
                            human(free), self.backup_dir)
                return
            private_dir(self.backup_dir)
            self.store.backup(dest)
            prune_backups(self.backup_dir, h.backups, int(h.backup_max_mb * 1024 * 1024))
        except Exception as e:
            log.warning("history backup to %s failed: %s", dest, e)

    def _publish(self, now: float, snap: Snapshot) -> None:
        """Once a second: dropped-line counts into the history, live state into the status."""
        self._backup(now)
        src: Source | CameraFeed | None = self.source
        if src is None and self.camera is not None:
            src = self.camera.source
        stats = src.stats() if src is not None else {}
        if self.store is not None and self.source is not None:
            total = int(str(stats.get("dropped_total", 0) or 0))
            if total > self._dropped_seen:
                try:
                    self.store.add_sample(
                        0.0, **describe.history_fields(snap),
                        dropped=total - self._dropped_seen, frames=0,
                    )
                except Exception as e:
                    log.warning("history: cannot store a sample: %s", e)
            self._dropped_seen = total
        if self.publisher is not None:
            # the whole state every state_interval; at once when the seat's state becomes known
            # or unknown (the cushion going on- or offline) and when the mode changes (a snooze
            # from Home Assistant's select, `sitwatch pause`, a button, a snooze running out),
            # or Home Assistant would show the old one until then
            mode = self._mode()
            if self._state_now or self.publisher.state_due() or mode != self._mode_shown:
                self._state_now = False
                self.publisher.publish_state({**describe.mqtt_state(snap),
                                              **self._day_state(snap, mode),
                                              **self._camera_state()})
                self._mode_shown = mode
        if self.watchers:
            paused = self.paused()
            for w in self.watchers:
                try:
                    w.live(snap, paused)
                except Exception as e:  # a channel is never a reason to stop
                    log.warning("%s: cannot follow the seat: %s: %s",
                                getattr(w, "name", type(w).__name__), type(e).__name__, e)
        if self.status is None:
            return
        ctl = self.control.get() if self.control is not None else None
        now_wall = self.clock.now()
        fields = describe.status_fields(snap)
        sensor = fields.pop("sensor", None)
        self.status.update(
            mqtt_shared=self._publisher_note("shared_text"),
            mqtt_client_id=self._publisher_note("client_id_text"),
            channels=self._channel_problems() or None,
            history_problem=self.store.problem if self.store is not None else None,
            paused=(ctl.as_dict()["paused_until"] if ctl and ctl.paused(now_wall) else None),
            snoozed=(ctl.as_dict()["snoozed_until"] if ctl and ctl.snoozed(now_wall) else None),
            held=self.nudger.held,
            **fields,
            sensor={
                **(sensor if isinstance(sensor, dict) else {}),
                "online": snap.online and bool(stats.get("online", True)),
                "port": stats.get("port") or (src.name if src is not None else None),
                "frames": stats.get("frames"),
                "dropped": stats.get("dropped_total"),
                "last_frame_age": stats.get("last_frame_age"),
            },
            camera=self._camera_status(),
        )

    def _publisher_note(self, name: str) -> str | None:
        """What the MQTT sink's method ``name`` says about its link (another sitwatch under our
        topics, our client id taken), or None: nothing to say, or no MQTT sink."""
        note = getattr(self.publisher, name, None)
        return (note() or None) if callable(note) else None

    def _channel_problems(self) -> dict[str, str]:
        """Each channel's latest problem while it still has one (a push service refusing, a
        hook that fails): `sitwatch doctor` shows them beside its own checks, which only see
        the settings."""
        out: dict[str, str] = {}
        for s in getattr(self.sinks, "sinks", ()):  # a Fanout's channels
            problems = getattr(s, "problems", None)
            text = getattr(problems, "current", None)
            if isinstance(text, str) and text:
                out[str(getattr(s, "name", type(s).__name__))] = text
        return out
    def _camera_state(self) -> dict[str, str]:
        """The camera's connection for MQTT, beside the seat's (whose ``cushion`` is the fused
        snapshot's: the cushion's); nothing without a camera."""
        if self.camera is None:
            return {}
        on = self.camera.pipeline.online
        return {"camera": SensorState.ONLINE if on else SensorState.OFFLINE}

    def _camera_status(self) -> dict[str, object] | None:
        """The camera's part of the status file (None without a camera)."""
        if self.camera is None:
            return None
        st = self.camera.source.stats()
        return {"online": bool(st.get("online")), "device": self.camera.source.name,
                "reason": st.get("reason"), "every": st.get("every"),
                "paused": bool(st.get("paused"))}

    def close(self) -> None:
        try:
            for src in (self.source, self.camera.source if self.camera else None):
                if src is not None:
                    src.close()
        finally:
            if self.store is not None:
                self.store.end_run()
                self.store.close()
            if self.status is not None:
                self.status.close()
            if self.sinks is not None:
                self.sinks.close()
            dnd = self._gate.dnd if self._gate is not None else None
            if dnd is not None and hasattr(dnd, "close"):
                dnd.close()  # the do-not-disturb probes' thread


def _kind_of(nudge: Event) -> str:
    """The kind of the nudge a click was on; "" for a notification of no nudge (the notice of
    a learned way), never the word "None"."""
    kind = nudge.get("kind")
    return str(kind) if kind else ""


def prune_backups(folder: Path, keep: int, max_bytes: int) -> list[Path]:
    """Remove the oldest ``history-*.sqlite`` copies beyond ``keep`` or beyond ``max_bytes``
    together (the newest always stays); returns what was removed."""
    files = sorted(folder.glob("history-*.sqlite"), reverse=True)  # newest first (dated names)
    kept: list[Path] = []
    removed: list[Path] = []
    total = 0
    for f in files:
        try:
            size = f.stat().st_size
        except OSError:
            continue
        if kept and (len(kept) >= keep or total + size > max_bytes):
            f.unlink(missing_ok=True)
            removed.append(f)
            continue
        kept.append(f)
        total += size
    return removed
