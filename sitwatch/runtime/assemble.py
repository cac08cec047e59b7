"""Building a daemon from the config: its sources, sinks, camera, nudge gate, history and
status file (:func:`build_daemon`), and the parts on their own.

Optional channels are imported only when configured; a channel that cannot start is reported and
left out, and the daemon goes on with the others. When set-up fails half way, what was already
opened (the history database, the serial line, the camera, the channels) is closed again.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, cast

from sitwatch.config import Config
from sitwatch.core.clock import Clock
from sitwatch.core.kinds import Occupancy
from sitwatch.runtime.daemon import Camera, CommandAnswers, Daemon, SeatWatcher, StatePublisher
from sitwatch.runtime.files import (
    control_path,
    feedback_path,
    find_profile,
    history_path,
    profile_path,
    status_path,
)
from sitwatch.sensing.calibration import Profile
from sitwatch.sensing.layout import Layout

if TYPE_CHECKING:  # the sinks, probes and store are imported when they are built
    from sitwatch.history.store import Store
    from sitwatch.nudging.dnd import DoNotDisturb
    from sitwatch.runtime.learning import Learner
    from sitwatch.sinks.base import Fanout

log = logging.getLogger("sitwatch")


class NothingToWatch(RuntimeError):
    """Neither a cushion nor a usable camera: the daemon has no reason to run."""


def load_profile(
    cfg: Config, layout: Layout, explicit: str | None = None, *, set_aside: bool = False
) -> Profile | None:
    """The sitter's profile, or None to learn one. Raises CalibrationError when unusable.

    With ``set_aside`` (``sitwatch run``), a saved profile that cannot be read (bytes an SD card
    mangled, a half-written file, a hand edit gone wrong) is renamed next to where it was, kept
    for a look, and None is returned so the daemon learns a new one instead of refusing to start
    (which systemd would turn into a restart loop). A profile named with ``--calibration`` is
    the user's own choice and is never moved; a readable profile taken with another layout is
    an error either way."""
    from sitwatch.sensing import calibration

    if explicit:
        path = Path(explicit)
        if not path.exists():
            raise calibration.CalibrationError(f"{path}: calibration file not found")
    else:
        found = find_profile(cfg, layout)
        if found is None:
            return None
        path = found
    try:
        prof = calibration.load(path)
    except calibration.CalibrationError as e:
        if explicit or not set_aside or not path.is_file():
            raise
        kept = _set_aside(path)
        problem = str(e).splitlines()[0].removeprefix(f"{path}: ")
        log.warning(
            "calibration profile %s is damaged (%s): %s; sitwatch learns a new one from the next "
            "minutes you sit (or run `sitwatch calibrate`)", path, problem,
            f"kept it as {kept}" if kept else "could not move it aside, so it is left in place",
        )
        return None
    prof.check_layout(layout, path)
    return prof


def _set_aside(path: Path) -> Path | None:
    """Rename a damaged file to ``NAME.damaged-YYYYMMDD-HHMMSS`` beside it (never over another
    file); None when it cannot be moved (a read-only disk)."""
    import time

    stamp = time.strftime("%Y%m%d-%H%M%S")
    for n in range(100):
        kept = path.with_name(f"{path.name}.damaged-{stamp}" + (f"-{n}" if n else ""))
        if kept.exists():
            continue
        try:
            path.rename(kept)
        except OSError:
            return None
        return kept
    return None


class ProfileKeeper:
    """Saves the profile the daemon learned into (``path``), but never over one that replaced
    it while the daemon ran: a `sitwatch calibrate` taken meanwhile wins, and the daemon says
    to restart it to use the new profile."""

    def __init__(self, path: Path, started_with: Profile | None) -> None:
        self.path = path
        #: the profile the file should still hold (its calibration, not what was learned)
        self._mine = _identity(started_with)
        self._warned = False

    def __call__(self, prof: Profile) -> None:
        from sitwatch.sensing import calibration

        on_disk: tuple[object, ...] | None = None
        if self.path.exists():
            try:
                on_disk = _identity(calibration.load(self.path))
            except calibration.CalibrationError:
                on_disk = ("unreadable",)
        if on_disk is not None and on_disk != self._mine:
            if not self._warned:
                self._warned = True
                log.warning(
                    "calibration profile %s changed since sitwatch started (a new "
                    "calibration?): what sitting taught is not written over it; restart "
                    "sitwatch to use the new profile", self.path)
            return
        prof.save(self.path)
        self._mine = _identity(prof)


def _identity(prof: Profile | None) -> tuple[object, ...] | None:
    """What makes a profile the same calibration (not what was learned on top of it)."""
    if prof is None:
        return None
    return (prof.created, prof.method, prof.tare, prof.upright)


def build_sinks(
    cfg: Config,
    *,
    headless: bool,
    json_lines: bool,
    clock: Clock | None = None,
    source: object | None = None,
) -> Fanout:
    """Every configured channel behind one Fanout (sitwatch.sinks.registry is the table);
    optional ones are imported only when used. A channel that cannot start is reported and left
    out; the others go on. Clicks on notification buttons arrive in the Fanout's ``inbox``."""
    from dataclasses import replace

    from sitwatch.sinks.actions import ActionInbox
    from sitwatch.sinks.base import Fanout
    from sitwatch.sinks.registry import SinkContext, build_all, spec

    ctx = SinkContext(headless=headless, json_lines=json_lines, clock=clock, source=source)
    buttons = cfg.nudges.buttons and spec("desktop").enabled(cfg, ctx)
    if buttons or spec("mqtt").enabled(cfg, ctx):
        ctx = replace(ctx, inbox=ActionInbox())  # button clicks and MQTT commands
    return Fanout(build_all(cfg, ctx, log), logging.getLogger("sitwatch.sinks"), inbox=ctx.inbox)


def build_camera(cfg: Config, clock: Clock, *, with_cushion: bool) -> Camera | None:
    """The camera (its source and pipeline) when one is configured and usable, else None.

    Loads OpenCV and MediaPipe only here. A camera that cannot be used is reported and the
    daemon goes on with the cushion (camera trouble at run time is retried by the source)."""
    if not cfg.camera.enabled:
        return None
    import importlib.util

    from sitwatch.camera.pose import MISSING_PACKAGE, check_model

    if importlib.util.find_spec("mediapipe") is None:
        log.warning("camera disabled: %s", MISSING_PACKAGE)
        return None
    problem = check_model(cfg.camera.model_path())
    if problem:
        log.warning("camera disabled: %s", problem)
        return None
    import os

    # MediaPipe's native logging is chatty on stderr (the journal); keep warnings and errors.
    os.environ.setdefault("GLOG_minloglevel", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
    from sitwatch.camera import baseline
    from sitwatch.camera.pipeline import CameraPipeline
    from sitwatch.camera.source import CameraSource

    cal = cfg.camera.calibration_path()
    profile = None
    if cal.exists():
        try:
            profile = baseline.load(cal)
        except baseline.CameraCalibrationError as e:
            log.warning("camera calibration ignored (%s); learning a new one", e)
    pl = CameraPipeline(
        cfg.camera,
        profile,
        owns_occupancy=not with_cushion,
        main=None if with_cushion else cfg,
        on_profile=lambda p: p.save(cal),
    )
    return Camera(CameraSource(cfg.camera, clock, advisor=pl.activity), pl)


def build_dnd(cfg: Config, clock: Clock, *, start: bool = True) -> DoNotDisturb | None:
    """Do-not-disturb probes (screen lock, fullscreen, calls), when enabled. They run on a
    background thread, started here unless ``start`` is False (doctor asks them directly)."""
    from sitwatch.nudging import dnd

    return dnd.from_config(cfg.nudges.dnd, clock, start=start)


def build_learner(cfg: Config, layout: Layout, clock: Clock, *,
                  camera_only: bool = False) -> Learner:
    """The sitter's "Not right" feedback, from its file next to the calibration profile (a
    damaged one is reported and set aside in memory: the configured thresholds apply).
    ``camera_only``: no cushion, so no threshold it moves; its own file records the answers."""
    from sitwatch.config import for_layout
    from sitwatch.nudging import feedback as fb
    from sitwatch.runtime.learning import Learner

    path = feedback_path(cfg, camera_only=camera_only)
    try:
        state = fb.load(path)
    except fb.FeedbackError as e:
        log.warning("feedback ignored: %s; `sitwatch feedback reset` starts afresh", e)
        state = fb.State()
    learner = Learner(for_layout(cfg, layout), path, clock, state=state,
                      control_path=control_path(cfg))
    for ch in fb.changes(learner.base, state, learner.settings):
        log.info("feedback: %s %s -> %s (%s, %d step%s)", ch.knob, f"{ch.before:g}",
                 f"{ch.after:.3g}", fb.label(ch.kind), ch.steps, "s"[: ch.steps != 1])
    return learner


def _open_store(cfg: Config, clock: Clock) -> Store | None:
    """The history database, or None when it is disabled. A history that cannot be written
    now (a full disk, a read-only filesystem, another program's file at the path) is reported
    once and tried again while the daemon runs (``Store(retry=True)``): it is useful, not
    essential, and the nudges never wait for it."""
    if not cfg.history.enabled:
        return None
    from sitwatch.history.store import DAEMON_BUSY_TIMEOUT_MS, Store

    hp = history_path(cfg)
    try:
        return Store(hp, clock, retry=True, busy_timeout_ms=DAEMON_BUSY_TIMEOUT_MS)
    except Exception as e:
        log.warning("history disabled: cannot open %s: %s", hp, e)
        return None


def build_daemon(
    cfg: Config,
    layout: Layout,
    profile: Profile | None,
    clock: Clock,
    *,
    headless: bool = False,
    json_lines: bool = False,
    keep_learned: bool = True,
    profile_file: Path | None = None,
) -> Daemon:
    """The daemon ``sitwatch run`` runs, with everything the config asks for.

    ``cfg`` has the layout's detection defaults applied already (``config.for_layout``) and
    ``profile`` is the loaded calibration (None: learn one and save it). What sitting teaches
    on top of a profile (its ``learned`` part) is saved into the profile's file, unless
    ``keep_learned`` is False (a profile named with ``--calibration`` is never written).
    ``profile_file``: the file ``profile`` was read from when not the config's (``--calibration``);
    the status file names it, else the config's, for ``sitwatch feedback``. Raises
    :class:`NothingToWatch` when there is no cushion and the camera cannot be used. Whatever was
    opened before a failure is closed before the exception leaves."""
    from sitwatch.nudging.control import Watcher
    from sitwatch.nudging.gate import NudgeGate
    from sitwatch.runtime.status import StatusWriter
    from sitwatch.sources.cushion import open_cushion

    with contextlib.ExitStack() as opened:
        store = _open_store(cfg, clock)
        if store is not None:
            opened.callback(store.close)
        before = previous_spell(status_path(cfg), clock, cfg.detect.occupancy.min_break)
        status = StatusWriter(
            status_path(cfg), clock, interval=cfg.status.interval, sit_limit=cfg.detect.sit_limit
        )
        source = (
            open_cushion(cfg.cushion, layout, clock, broker=cfg.mqtt, sink_runs=cfg.mqtt.enabled)
            if cfg.cushion.port else None
        )
        if source is not None:
            opened.callback(source.close)
        camera = build_camera(cfg, clock, with_cushion=source is not None)
        if camera is not None:
            opened.callback(camera.source.close)
        if source is None and camera is None:
            raise NothingToWatch(
                "nothing to watch: the camera cannot be used (see the warning above and "
                "`sitwatch doctor`) and no cushion is configured"
            )
        dnd = build_dnd(cfg, clock)
        if dnd is not None:
            opened.callback(dnd.close)
        gate = NudgeGate(
            cfg.nudges,
            clock,
            dnd=dnd,
            control=Watcher(control_path(cfg), clock.monotonic),
        )
        sinks = build_sinks(
            cfg, headless=headless, json_lines=json_lines, clock=clock, source=source
        )
        opened.callback(sinks.close)
        inbox = sinks.inbox
        publisher = next((s for s in sinks.sinks if isinstance(s, StatePublisher)), None)
        answers = next((s for s in sinks.sinks if isinstance(s, CommandAnswers)), None)
        pp = profile_path(cfg)
        daemon = Daemon(
            cfg,
            layout,
            source,
            clock,
            profile=profile,
            sinks=sinks,
            store=store,
            status=status,
            save_profile=ProfileKeeper(pp, profile) if profile is None or keep_learned else None,
            gate=gate,
            backup_dir=history_path(cfg).parent / "backups" if store is not None else None,
            camera=camera,
            inbox=inbox,
            publisher=publisher,
            answers=answers,
            learner=build_learner(cfg, layout, clock, camera_only=source is None),
            profile_file=profile_file or find_profile(cfg, layout) or pp,
        )
        daemon.watchers = [cast(SeatWatcher, s) for s in sinks.sinks
                           if callable(getattr(s, "live", None))]
        opened.pop_all()  # the daemon owns them now: Daemon.close closes them
    if before is not None:
        daemon.resume_spell(*before)
    if store is not None:
        seed_day(daemon, store, clock)
    return daemon


def seed_day(daemon: Daemon, store: Store, clock: Clock) -> None:
    """A restart mid-day carries on the day from the history: the sitting budget, the nudges
    delivered toward the daily cap (every nudge the gate let through today, whatever its kind,
    as the gate counts them; held and dropped ones are not, nor is the day's summary, which is
    no nudge), where each kind's texts had got to, so the first nudge after a restart does
    not repeat the one before it, and the last nudge of each kind shown today, which the
    status file (`sitwatch status`, the web app's Live page) names as the Today page does."""
    from datetime import timedelta

    from sitwatch.core.clock import day_zone
    from sitwatch.history import queries

    now = clock.now()
    zone = day_zone(now)  # local midnight, also on the days the clocks change
    try:
        day = queries.day_summary(store, now.date(), zone)
    except Exception as e:  # a history that cannot be read is reported where it is opened
        log.debug("daily budget and cap: no history for today: %s", e)
        return
    # when each kind was last shown today, and whether the day's summary went out (delivered
    # or dropped, as the running daemon counts it): a restart sent them again at once
    from sitwatch.core.events import NUDGE, is_day_summary

    start, _ = queries.day_bounds(now.date(), zone)
    try:
        today = queries.events_between(store, start, now + timedelta(seconds=1), NUDGE)
    except Exception as err:
        log.debug("nudges today: cannot read the history: %s", err)
        today = []
    mono = clock.monotonic()
    last: dict[str, float] = {}
    summarised = False
    for ev in today:
        summarised = summarised or is_day_summary(ev.data)
        kind = ev.data.get("kind")
        # the day's summary is no nudge: it has its own flag, and holds no other nudge back
        if (ev.data.get("delivered", True) and isinstance(kind, str)
                and not is_day_summary(ev.data)):
            last[kind] = mono - (now - ev.ts).total_seconds()
    daemon.nudger.budget.seed(now.date(), day.sitting_minutes * 60,
                              longest=day.longest_spell_minutes * 60, summarised=summarised)
    gate = daemon.nudger.gate
    if gate is not None and daemon.cfg.nudges.daily_cap:
        gate.seed(now.date(), day.nudges_total)
    daemon.nudger.policy.seed_texts(day.nudges)
    daemon.nudger.policy.seed_last(last)
    if daemon.status is not None:  # what `sitwatch status` and the Live page call the last
        daemon.status.seed_nudges((ev.ts, ev.data) for ev in today)


class CarriedSpell(NamedTuple):
    """The sitting spell a restart carries on (see :func:`previous_spell`)."""

    spell: float  # seconds, when the last daemon last saw the seat occupied
    away: float  # seconds since then
    run: str | None  # the history run the last daemon recorded (None: not said)
    seat: Occupancy = Occupancy.OCCUPIED  # the seat when the last daemon stopped


def previous_spell(path: Path, clock: Clock, min_break: float) -> CarriedSpell | None:
    """The sitting spell the last daemon left in its status file, when it stopped (cleanly or
    not) less than ``min_break`` ago with the seat occupied: a crash or a restart is not a
    break, so the spell and its timer go on (and the history counts it as one spell). Stopped
    while no sensor saw the seat, "ago" counts from when the seat was last seen.

    Stopped while the sitter was away from a spell, the absence goes on from when the seat
    emptied, however long no daemon ran: back within ``min_break`` of getting up, the spell
    goes on; later, sitting down ends a break of the whole absence, the time stopped included,
    as a daemon that ran all along counts it (nothing said ``break`` across a restart, and the
    reports missed it). Stopped while seated for ``min_break`` or more is no break: nobody
    knows whether the sitter left."""
    from datetime import datetime

    from sitwatch.runtime.status import read_status

    d = read_status(path, clock, stale_after=float("inf"))
    seat = d.get("occupancy")
    if d.get("running") or seat not in (Occupancy.OCCUPIED, Occupancy.EMPTY):
        return None
    try:
        last = datetime.fromisoformat(str(d.get("stopped") or d.get("updated")))
        if seat == Occupancy.OCCUPIED:
            spell = float(d.get("spell_seconds") or 0.0)
            before = float(d.get("unseen_seconds") or 0.0) if d.get("timer_paused") else 0.0
        else:  # absent in older status files: nothing to carry on
            spell = float(d.get("left_spell_seconds") or 0.0)
            before = float(d.get("away_seconds") or 0.0)
    except (TypeError, ValueError):
        return None
    if last.tzinfo is None:
        return None
    # the cushion offline: the seat was last seen before that; away: it emptied before that
    away = (clock.now() - last).total_seconds() + before
    if away < 0 or spell <= 0 or (seat == Occupancy.OCCUPIED and away >= min_break):
        return None
    run = d.get("history_run")
    run = run if isinstance(run, str) and run else None
    if seat == Occupancy.OCCUPIED:
        log.info("continuing the sitting spell of %.0f min from before the restart (%.0f s ago)",
                 spell / 60, away)
        return CarriedSpell(spell, away, run)
    log.info("continuing the absence from before the restart: away %.0f min, after a sitting "
             "spell of %.0f min", away / 60, spell / 60)
    return CarriedSpell(spell, away, run, Occupancy.EMPTY)
