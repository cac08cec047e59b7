"""The daemon: a source feeds the pipeline, events go to the sinks, the store and the status file.

    source.poll() -> Reading | Status | Diagnosis
        -> Pipeline.process()/sensor() -> events
        -> Fanout(console, desktop) ; Store (events + per-minute rollups) ; StatusWriter

:class:`Daemon` is one step of that loop at a time, so tests, the demo and the real service drive
it the same way; only :func:`cmd_run` touches signals, systemd and the real clock.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from sitwatch import events as E
from sitwatch.calibration import Profile
from sitwatch.clock import Clock
from sitwatch.config import Config
from sitwatch.events import Event
from sitwatch.layout import Layout
from sitwatch.pipeline import Pipeline
from sitwatch.sources.base import Diagnosis, Reading, Source, Status

log = logging.getLogger("sitwatch")
BATCH_SECONDS = 0.2
BACKUP_FIRST = 3600.0  # first copy of the history an hour after start, then daily
BACKUP_EVERY = 86400.0
BACKUPS_KEPT = 7


class Daemon:
    def __init__(
        self,
        cfg: Config,
        layout: Layout,
        source: Source | None,
        clock: Clock,
        *,
        profile: Profile | None = None,
        sinks: Any = None,
        store: Any = None,
        status: Any = None,
        save_profile: Callable[[Profile], None] | None = None,
        gate: Any = None,
        backup_dir: Path | None = None,
        camera: Any = None,
    ) -> None:
        """``source`` is the cushion (None for a camera-only setup); ``camera`` is a
        (CameraSource, CameraPipeline) pair or None."""
        self.cfg = cfg
        self.layout = layout
        self.source = source
        self.clock = clock
        self.pipeline = Pipeline(layout, cfg, profile)
        self.sinks = sinks
        self.store = store
        self.status = status
        self.save_profile = save_profile
        self.gate = gate
        self.backup_dir = backup_dir
        self.control_file: Path | None = getattr(getattr(gate, "control", None), "path", None)
        self.camera_source: Any = camera[0] if camera is not None else None
        self.camera: Any = camera[1] if camera is not None else None
        self.fusion = None
        if self.camera is not None and source is not None:
            from sitwatch.camera.fusion import PostureFusion

            self.fusion = PostureFusion()
            self._fused_since = clock.monotonic()
        self._next_backup = clock.monotonic() + BACKUP_FIRST
        self.listeners: list[Callable[[Event], None]] = []
        self._last_sample: float | None = None
        self._dropped_seen = 0
        self._next_publish = -1e18
        self.events = 0
        if store is not None:
            names = [getattr(s, "name", "?") for s in (source, self.camera_source) if s is not None]
            store.begin_run(layout.name, " + ".join(names) or "none")
        if status is not None:
            cal: dict[str, Any] = {"method": self.pipeline.calibrated}
            if profile is not None and self.pipeline.calibrated:
                cal["at"] = profile.created
            status.update(sit_limit=cfg.detect.sit_limit, calibration=cal)

    # -- one turn of the loop ------------------------------------------------------------
    def paused(self) -> bool:
        if self.gate is None or self.gate.control is None:
            return False
        return bool(self.gate.control.get().paused(self.clock.now()))

    def step(self, max_wait: float = 0.5) -> list[Event]:
        out: list[Event] = []
        paused = self.paused()
        items = self.source.poll(max_wait) if self.source is not None else []
        for item in items:
            if isinstance(item, Reading) and paused:
                continue  # paused: nothing is watched or kept
            if isinstance(item, Reading):
                evs = self.pipeline.process(item.t, item.values)
                self._sample(item.t, online=True)
                if self.pipeline.units_hint:
                    log.warning("cushion: %s", self.pipeline.units_hint)
                    self.pipeline.units_hint = None
            elif isinstance(item, Status):
                evs = self.pipeline.sensor(item.t, item.online, item.reason)
                if item.online and not evs:
                    evs = []
            elif isinstance(item, Diagnosis):
                evs = [Event(item.t, E.DIAGNOSIS, None, {"message": item.message})]
            else:  # pragma: no cover - protocol violation
                continue
            for ev in evs:
                self._dispatch(ev)
            out += evs
        if self.camera_source is not None:
            out += self._camera_step(paused)
        out += self._clicks()
        now = self.clock.monotonic()
        if self.gate is not None:
            for ev in self.gate.release(self._still_applies):
                self._deliver(ev)
                self.pipeline.policy.track(str(ev.get("kind")), now)
        if not self.pipeline.online and not paused:
            self._sample(now, online=False)
        if now >= self._next_publish:
            self._next_publish = now + min(1.0, self.cfg.status.interval)
            self._publish(now)
        return out

    def _clicks(self) -> list[Event]:
        """Buttons pressed on desktop notifications (handed over from the sink's threads)."""
        inbox = getattr(self.sinks, "inbox", None)
        if inbox is None or not len(inbox):
            return []
        from datetime import timedelta

        from sitwatch import control

        out: list[Event] = []
        t = self.clock.monotonic()
        for action, nudge in inbox.drain():
            kind = str(nudge.get("kind"))
            ev = Event(t, E.NUDGE_ACK, None, {"kind": kind, "action": action})
            evs = [ev]
            if action == "snooze" and self.control_file is not None:
                cur = control.read(self.control_file)
                until = self.clock.now() + timedelta(minutes=self.cfg.nudges.snooze_minutes)
                try:
                    control.write(self.control_file, control.Control(until, cur.paused_until))
                except OSError as e:
                    log.warning("cannot snooze: %s", e)
            elif action == "done":
                evs += self.pipeline.policy.acknowledge(kind, t)
            for ack in evs:
                self._dispatch(ack)
            out += evs
        return out

    def _camera_step(self, paused: bool) -> list[Event]:
        from sitwatch.camera.source import PoseReading

        assert self.camera_source is not None and self.camera is not None
        out: list[Event] = []
        for item in self.camera_source.poll(0):
            if isinstance(item, PoseReading):
                if paused:
                    continue
                evs = self.camera.process(item)
                if self.source is None:
                    self._sample(item.t, online=True)
            elif isinstance(item, Status):
                evs = self.camera.sensor(item.t, item.online, item.reason)
            elif isinstance(item, Diagnosis):
                evs = [
                    Event(item.t, E.DIAGNOSIS, None, {"message": item.message, "source": "camera"})
                ]
            else:
                continue
            for ev in evs:
                self._dispatch(ev)
            out += evs
        if self.fusion is not None:
            out += self._fuse()
        return out

    def _fuse(self) -> list[Event]:
        """Cushion + camera: one posture by the documented rules (sitwatch.camera.fusion)."""
        assert self.fusion is not None and self.camera is not None
        pl = self.pipeline
        t = self.clock.monotonic()
        occupied = pl.occ.state == "occupied" and pl.online
        cushion = pl.posture.state if occupied else None
        camera = self.camera.posture if occupied and self.camera.online else None
        before = self.fusion.state
        ev = self.fusion.update(t, cushion=cushion, camera=camera)
        if self.fusion.state != before:
            self._fused_since = t
        pl.posture_override = (self.fusion.state, self._fused_since)
        if ev is None:
            return []
        self._dispatch(ev)
        return [ev]

    def _still_applies(self, ev: Event) -> bool:
        pl = self.pipeline
        if pl.occ.state != "occupied":
            return False
        kind = ev.get("kind")
        if kind == "slouch":
            return bool(pl.posture.state == ev.get("posture", "slouched"))
        if kind == "asymmetric_load":
            return pl.balance.state in ("left", "right")
        if kind == "wallet":
            return bool(pl.wallet and pl.wallet.suspected)
        return True

    def _deliver(self, ev: Event) -> None:
        if self.sinks is not None:
            self.sinks.handle(ev)

    def _dispatch(self, ev: Event) -> None:
        self.events += 1
        if ev.event == E.NUDGE and not self.cfg.nudges.enabled:
            return
        if ev.event == E.NUDGE and self.gate is not None:
            from sitwatch.gate import DELIVER, HOLD

            d = self.gate.decide(ev)
            if d.action != DELIVER:
                self.pipeline.policy.forget(str(ev.get("kind")), ev.t)
                ev = Event(
                    ev.t,
                    ev.event,
                    ev.state,
                    {
                        **ev.data,
                        "delivered": False,
                        "held" if d.action == HOLD else "dropped": d.reason,
                    },
                )
        if self.sinks is not None and ev.get("delivered", True):
            self.sinks.handle(ev)
        if self.store is not None:
            try:
                self.store.add_event(ev)
            except Exception as e:  # a broken disk must not stop the nudges
                log.warning("history: cannot store an event: %s", e)
        if self.status is not None:
            self.status.on_event(ev)
        if ev.event == E.CALIBRATION and ev.state == "baseline" and self.save_profile:
            self._save_learned()
        for fn in self.listeners:
            fn(ev)

    def _save_learned(self) -> None:
        from sitwatch.calibration import from_arrays

        pl = self.pipeline
        if pl.upright_raw is None or self.save_profile is None:
            return
        prof = from_arrays(self.layout, tare=pl.ex.tare, upright=pl.upright_raw, method="auto")
        prof.note = "learned automatically while you sat"
        try:
            self.save_profile(prof)
        except OSError as e:
            log.warning("cannot save the learned calibration: %s", e)

    def _sample(self, t: float, *, online: bool) -> None:
        if self.store is None:
            return
        last = self._last_sample
        self._last_sample = t
        if last is None:
            return
        dt = max(0.0, t - last)
        pl = self.pipeline
        f = pl.f
        if self.source is None and self.camera is not None:
            snap = self.camera.snapshot(t)
            try:
                self.store.add_sample(
                    dt,
                    occupied=online and snap.present is True,
                    posture=snap.posture,
                    balance=None,
                    seat_load=None,
                    cop_x=None,
                    cop_y=None,
                    online=online,
                )
            except Exception as e:
                log.warning("history: cannot store a sample: %s", e)
            return
        try:
            self.store.add_sample(
                dt,
                occupied=online and pl.occ.state == "occupied",  # offline: we do not know
                posture=pl.posture.state,
                balance=pl.balance.state,
                seat_load=f.seat_load if f else None,
                cop_x=f.cop_x if f else None,
                cop_y=f.cop_y if f else None,
                online=online,
            )
        except Exception as e:
            log.warning("history: cannot store a sample: %s", e)

    def _mqtt(self) -> Any:
        for s in getattr(self.sinks, "sinks", ()):
            if getattr(s, "name", "") == "mqtt":
                return s
        return None

    def _backup(self, now: float) -> None:
        """A daily copy of the history (SD cards fail), keeping the last BACKUPS_KEPT."""
        if self.store is None or self.backup_dir is None or now < self._next_backup:
            return
        self._next_backup = now + BACKUP_EVERY
        dest = self.backup_dir / f"history-{self.clock.now():%Y-%m-%d}.sqlite"
        try:
            self.backup_dir.mkdir(parents=True, exist_ok=True)
            self.store.backup(dest)
            old = sorted(self.backup_dir.glob("history-*.sqlite"))[:-BACKUPS_KEPT]
            for f in old:
                f.unlink(missing_ok=True)
        except Exception as e:
            log.warning("history backup to %s failed: %s", dest, e)

    def _publish(self, now: float) -> None:
        """Once a second: dropped-line counts into the history, live state into the status."""
        self._backup(now)
        src = self.source if self.source is not None else self.camera_source
        stats = src.stats() if src is not None else {}
        pl = self.pipeline
        if self.store is not None and self.source is not None:
            total = int(str(stats.get("dropped_total", 0) or 0))
            if total > self._dropped_seen:
                try:
                    self.store.add_sample(
                        0.0,
                        occupied=pl.occ.state == "occupied",
                        posture=pl.posture.state,
                        balance=pl.balance.state,
                        seat_load=None,
                        cop_x=None,
                        cop_y=None,
                        online=pl.online,
                        dropped=total - self._dropped_seen,
                        frames=0,
                    )
                except Exception as e:
                    log.warning("history: cannot store a sample: %s", e)
            self._dropped_seen = total
        snap = pl.snapshot(now)
        mqtt = self._mqtt()
        if self.status is None and mqtt is None:
            return
        if self.source is None and self.camera is not None:  # camera only
            cs = self.camera.snapshot(now)
            occ = None if cs.present is None else ("occupied" if cs.present else "empty")
            snap = replace(
                snap, occupancy=occ, posture=cs.posture, spell=cs.spell or 0.0, balance=None
            )
        elif self.fusion is not None:
            snap = replace(snap, posture=self.fusion.state)
        if mqtt is not None and mqtt.state_due():
            mqtt.publish_state(
                {
                    "occupancy": snap.occupancy,
                    "posture": snap.posture,
                    "balance": snap.balance,
                    "sitting_seconds": round(snap.spell),
                    "cushion": "online" if pl.online else "offline",
                }
            )
        if self.status is None:
            return
        ctl = self.gate.control.get() if self.gate is not None and self.gate.control else None
        now_wall = self.clock.now()
        self.status.update(
            paused=(ctl.as_dict()["paused_until"] if ctl and ctl.paused(now_wall) else None),
            snoozed=(ctl.as_dict()["snoozed_until"] if ctl and ctl.snoozed(now_wall) else None),
            held=len(self.gate.held) if self.gate is not None else 0,
            occupancy=snap.occupancy,
            spell_seconds=round(snap.spell, 1),
            posture=snap.posture,
            balance=snap.balance,
            sensor={
                "online": (pl.online or self.source is None) and bool(stats.get("online", True)),
                "port": stats.get("port") or getattr(src, "name", None),
                "frames": stats.get("frames"),
                "dropped": stats.get("dropped_total"),
                "last_frame_age": stats.get("last_frame_age"),
                "excluded": snap.bad_channels,
            },
        )

    def close(self) -> None:
        try:
            for src in (self.source, self.camera_source):
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


# -- building a daemon from the config -------------------------------------------------------


def profile_path(cfg: Config) -> Path:
    from sitwatch import paths

    return (
        Path(cfg.calibration.profile).expanduser()
        if cfg.calibration.profile
        else (paths.data_dir() / "calibration.json")
    )


def status_stale_after(cfg: Config) -> float:
    """Seconds without a status update after which the daemon counts as stuck or gone."""
    return max(15.0, 5 * cfg.status.interval)


def status_path(cfg: Config) -> Path:
    from sitwatch import paths

    return (
        Path(cfg.status.file).expanduser()
        if cfg.status.file
        else (paths.runtime_dir() / "status.json")
    )


def control_path(cfg: Config) -> Path:
    return status_path(cfg).with_name("control.json")


def history_path(cfg: Config) -> Path:
    from sitwatch import paths

    return (
        Path(cfg.history.database).expanduser()
        if cfg.history.database
        else (paths.data_dir() / "history.sqlite")
    )


def load_profile(cfg: Config, layout: Layout, explicit: str | None = None) -> Profile | None:
    """The sitter's profile, or None to learn one. Raises CalibrationError when unusable."""
    from sitwatch import calibration

    path = Path(explicit) if explicit else profile_path(cfg)
    if not path.exists():
        if explicit:
            raise calibration.CalibrationError(f"{path}: calibration file not found")
        return None
    prof = calibration.load(path)
    prof.check_layout(layout)
    return prof


def _sinks(
    cfg: Config, *, headless: bool, json_lines: bool, clock: Any = None, source: Any = None
) -> Any:
    """Every configured channel behind one Fanout; optional ones are imported only when used.
    A channel that cannot start is reported and left out; the others go on."""
    from sitwatch.sinks.base import Fanout
    from sitwatch.sinks.console import ConsoleSink

    n = cfg.nudges
    sinks: list[Any] = []
    if n.console or json_lines:
        sinks.append(ConsoleSink(sys.stdout, json_lines=json_lines, states=True))
    if n.desktop and not headless:
        from sitwatch.sinks.actions import DEFAULT_ACTIONS, DONE, SNOOZE, ActionInbox
        from sitwatch.sinks.desktop import DesktopSink

        inbox = ActionInbox() if n.buttons else None
        labels = ((SNOOZE, f"Snooze {n.snooze_minutes} min"), (DONE, "Done"))
        sinks.append(
            DesktopSink(
                n.timeout,
                logging.getLogger("sitwatch.desktop"),
                actions=n.buttons,
                on_action=inbox.put if inbox else None,
                action_labels=labels if n.buttons else DEFAULT_ACTIONS,
            )
        )
    if n.push.urls:
        try:
            from sitwatch.sinks.push import PushSink

            sinks.append(PushSink(n.push.urls, log=logging.getLogger("sitwatch.push")))
        except ImportError as e:
            log.warning("push notifications off: %s (pip install 'sitwatch[push]')", e)
    if n.hook.command:
        from sitwatch.sinks.hook import CommandHookSink

        sinks.append(
            CommandHookSink(
                n.hook.command, timeout=n.hook.timeout, log=logging.getLogger("sitwatch.hook")
            )
        )
    if n.buzzer.enabled:
        if source is None or not hasattr(source, "write"):
            log.warning("buzzer off: it needs a cushion on a serial line (cushion.port)")
        else:
            from sitwatch.sinks.buzzer import BuzzerSink, parse_patterns

            sinks.append(
                BuzzerSink(
                    source.write,
                    patterns=parse_patterns({str(k): v for k, v in n.buzzer.patterns.items()}),
                    log=logging.getLogger("sitwatch.buzzer"),
                )
            )
    if cfg.mqtt.enabled and clock is not None:
        try:
            from sitwatch.sinks.mqtt import MqttSink

            mqtt = MqttSink(cfg.mqtt, clock, log=logging.getLogger("sitwatch.mqtt"))
            mqtt.start()  # never blocks or raises; a failure is logged and retried by paho
            sinks.append(mqtt)
        except ImportError as e:
            log.warning("MQTT off: %s (pip install 'sitwatch[mqtt]')", e)
    fan = Fanout(sinks, logging.getLogger("sitwatch.sinks"))
    fan.inbox = locals().get("inbox")  # type: ignore[attr-defined]  # clicks on buttons
    return fan


def cmd_run(args: argparse.Namespace) -> int:
    from sitwatch import calibration, config, layout, sdnotify
    from sitwatch.cli import _config_errors, _err, _load_config
    from sitwatch.clock import SystemClock
    from sitwatch.sources.serial_source import SerialSource
    from sitwatch.status import StatusWriter
    from sitwatch.store import Store

    try:
        cfg = _load_config(args)
        lay = layout.load(cfg.cushion.layout)
        cfg = config.for_layout(cfg, lay)  # fail here, before anything starts
        profile = load_profile(cfg, lay, getattr(args, "calibration", None))
    except config.ConfigError as e:
        return _config_errors(e)
    except layout.LayoutError as e:
        _err(f"cushion.layout: {e}")
        return 2
    except calibration.CalibrationError as e:
        _err(
            f"{e}\n  fix: run `sitwatch calibrate`, or delete the file to let sitwatch learn "
            "a new one"
        )
        return 2
    if not cfg.cushion.port and not cfg.camera.enabled:
        _err(
            "nothing to watch: set cushion.port (or camera.device) in "
            "~/.config/sitwatch/sitwatch.toml, or pass --port / --camera "
            "(try `sitwatch demo` to see sitwatch without hardware)"
        )
        return 2
    clock = SystemClock()
    store = None
    if cfg.history.enabled:
        try:
            hp = history_path(cfg)
            hp.parent.mkdir(parents=True, exist_ok=True)
            store = Store(hp, clock)
        except Exception as e:  # history is useful, not essential
            log.warning("history disabled: cannot open %s: %s", history_path(cfg), e)
    sp = status_path(cfg)
    status = StatusWriter(sp, clock, interval=cfg.status.interval, sit_limit=cfg.detect.sit_limit)
    source = SerialSource(cfg.cushion, lay, clock) if cfg.cushion.port else None
    camera = _camera(cfg, clock, with_cushion=source is not None)
    if source is None and camera is None:
        _err(
            "nothing to watch: the camera cannot be used (see the warning above and "
            "`sitwatch doctor`) and no cushion is configured"
        )
        if store is not None:
            store.close()
        return 1
    pp = profile_path(cfg)
    from sitwatch.control import Watcher
    from sitwatch.gate import NudgeGate

    gate = NudgeGate(
        cfg.nudges, clock, dnd=_dnd(cfg, clock), control=Watcher(control_path(cfg), clock.monotonic)
    )
    daemon = Daemon(
        cfg,
        lay,
        source,
        clock,
        profile=profile,
        sinks=_sinks(cfg, headless=args.headless, json_lines=args.json, clock=clock, source=source),
        store=store,
        status=status,
        save_profile=(lambda p: p.save(pp)) if profile is None else None,
        gate=gate,
        backup_dir=history_path(cfg).parent / "backups" if store is not None else None,
        camera=camera,
    )
    stop = {"now": False}

    def _stop(signum: int, _frame: Any) -> None:
        stop["now"] = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    log.info("sitwatch running: %s on %s, status in %s", lay.summary(), cfg.cushion.port, sp)
    sdnotify.ready()
    watching = [f"{cfg.cushion.port} ({lay.name})"] if source is not None else []
    if camera is not None:
        watching.append(f"camera {cfg.camera.device}")
    sdnotify.status("watching " + (" and ".join(watching) or "nothing (camera unusable)"))
    wd = sdnotify.watchdog_interval()
    next_wd = clock.monotonic()
    try:
        seen = 0
        while not stop["now"]:
            daemon.step(0.5)
            # Let a few frames gather before the next read: 5 wake-ups a second instead of one
            # per frame keeps the daemon near idle on a Pi, and 0.2 s is nothing for posture.
            # A fast matrix would overflow the 4 KiB tty buffer meanwhile, so not for those.
            total = int(source.bytes) if source is not None else 0
            got, seen = total - seen, total
            if got < 1024:
                time.sleep(BATCH_SECONDS)
            if wd and clock.monotonic() >= next_wd:
                sdnotify.watchdog()
                next_wd = clock.monotonic() + wd
    finally:
        sdnotify.stopping()
        daemon.close()
    return 0


def _camera(cfg: Config, clock: Any, *, with_cushion: bool) -> Any:
    """(CameraSource, CameraPipeline) when a camera is configured and usable, else None.

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
    return CameraSource(cfg.camera, clock, advisor=pl.activity), pl


def _dnd(cfg: Config, clock: Any) -> Any:
    """Do-not-disturb probes (screen lock, fullscreen, calls), when enabled."""
    d = cfg.nudges.dnd
    if not d.enabled:
        return None
    from sitwatch.dnd import DoNotDisturb, default_probes

    try:
        probes = default_probes(
            d.probes, call_windows=d.call_windows, ignored_recorders=d.ignored_recorders
        )
        return DoNotDisturb(
            probes, clock, cache_seconds=d.cache_seconds, log=logging.getLogger("sitwatch.dnd")
        )
    except Exception as e:  # probes are a nicety; never a reason not to start
        log.info("do-not-disturb detection unavailable: %s", e)
        return None


def cmd_control(args: argparse.Namespace) -> int:
    """sitwatch snooze DURATION | pause [DURATION] | resume"""
    from datetime import datetime

    from sitwatch import config, control
    from sitwatch.cli import _config_errors, _err, _load_config

    try:
        cfg = _load_config(args)
    except config.ConfigError as e:
        return _config_errors(e)
    path = control_path(cfg)
    now = datetime.now().astimezone()
    cur = control.read(path)
    try:
        if args.command == "resume":
            new = control.Control()
            msg = "resumed: watching and nudging again"
        elif args.command == "snooze":
            until = now + control.parse_duration(args.duration)
            new = control.Control(snoozed_until=until, paused_until=cur.paused_until)
            msg = f"nudges snoozed until {until:%H:%M} (sitwatch keeps watching)"
        elif args.duration:
            until = now + control.parse_duration(args.duration)
            new = control.Control(cur.snoozed_until, until)
            msg = f"paused until {until:%H:%M}: nothing is watched or kept meanwhile"
        else:
            new = control.Control(cur.snoozed_until, control.FOREVER)
            msg = "paused until `sitwatch resume`: nothing is watched or kept meanwhile"
    except ValueError as e:
        _err(str(e))
        return 2
    try:
        control.write(path, new)
    except OSError as e:
        _err(f"cannot write {path}: {e.strerror or e}")
        return 1
    print(msg)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    import json

    from sitwatch import config
    from sitwatch.cli import _config_errors, _load_config
    from sitwatch.clock import SystemClock
    from sitwatch.status import format_status, read_status

    try:
        cfg = _load_config(args)
    except config.ConfigError as e:
        return _config_errors(e)
    d = read_status(status_path(cfg), SystemClock(), stale_after=status_stale_after(cfg))
    if args.json:
        print(json.dumps(d, indent=2, default=str))
    else:
        print(format_status(d))
    return 0 if d.get("running") else 3


def cmd_record(args: argparse.Namespace) -> int:
    from sitwatch import config, layout
    from sitwatch.cli import _config_errors, _err, _load_config
    from sitwatch.clock import SystemClock
    from sitwatch.record import record

    try:
        cfg = _load_config(args)
        lay = layout.load(cfg.cushion.layout)
    except config.ConfigError as e:
        return _config_errors(e)
    except layout.LayoutError as e:
        _err(str(e))
        return 2
    if not cfg.cushion.port:
        _err("which port? pass --port or set cushion.port")
        return 2
    try:
        n = record(
            cfg.cushion.port,
            args.output,
            lay,
            baud=cfg.cushion.baud,
            duration=args.duration,
            clock=SystemClock(),
            cushion=cfg.cushion,
        )
    except OSError as e:
        _err(f"{args.output}: {e.strerror or e}")
        return 1
    print(f"recorded {n} frames to {args.output}", file=sys.stderr)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from datetime import date

    from sitwatch import config
    from sitwatch.cli import _config_errors, _err, _load_config
    from sitwatch.clock import SystemClock
    from sitwatch.report import daily_text, weekly_text
    from sitwatch.store import Store, StoreError

    try:
        cfg = _load_config(args)
    except config.ConfigError as e:
        return _config_errors(e)
    hp = history_path(cfg)
    if not hp.exists():
        _err(f"no history yet ({hp}): run the daemon (sitwatch run) or the demo first")
        return 1
    try:
        day = date.fromisoformat(args.day) if args.day else date.today()
    except ValueError:
        _err(f"--day {args.day!r}: write YYYY-MM-DD")
        return 2
    tz = _local_zone()
    try:
        store = Store(hp, SystemClock(), readonly=True)
    except StoreError as e:
        _err(str(e))
        return 1
    try:
        lim = cfg.detect.sit_limit
        if args.html is not None:
            from sitwatch.report_html import write_week

            out = Path(args.html or f"sitwatch-week-{day}.html")
            try:
                write_week(store, day, tz, out, sit_limit=lim)
            except OSError as e:
                _err(f"{out}: {e.strerror or e}")
                return 1
            print(f"wrote {out}")
            return 0
        print(
            weekly_text(store, day, tz, sit_limit=lim)
            if args.week
            else daily_text(store, day, tz, sit_limit=lim)
        )
    finally:
        store.close()
    return 0


def _local_zone() -> Any:
    """The local time zone with its DST rules when we can name it, else the current offset."""
    import os
    from datetime import datetime
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    name = os.environ.get("TZ", "")
    if not name:
        try:
            name = str(Path("/etc/localtime").resolve()).split("zoneinfo/", 1)[1]
        except (OSError, IndexError):
            name = ""
    try:
        return ZoneInfo(name) if name else datetime.now().astimezone().tzinfo
    except (ZoneInfoNotFoundError, ValueError):
        return datetime.now().astimezone().tzinfo


def cmd_simulate(args: argparse.Namespace) -> int:
    from sitwatch import layout
    from sitwatch.cli import _err
    from sitwatch.simulate import simulate_command

    try:
        lay = layout.load(args.layout)
    except layout.LayoutError as e:
        _err(str(e))
        return 2
    unplug = []
    for spec in args.unplug:
        try:
            at, down = (float(x) for x in spec.split(":"))
        except ValueError:
            _err(f"--unplug {spec!r}: write AT:SECONDS, e.g. 120:5")
            return 2
        unplug.append((at, down))
    return int(
        simulate_command(
            lay,
            hz=args.hz,
            speed=args.speed,
            duration=args.duration,
            link=args.link,
            script_name=args.script,
            seed=args.seed,
            garbage_rate=args.garbage,
            out=args.output,
            unplug=unplug,
        )
        or 0
    )
