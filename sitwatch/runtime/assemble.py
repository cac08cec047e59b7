"""Building a daemon from the config: its sources, sinks, camera, nudge gate, history and
status file (:func:`build_daemon`), and the parts on their own.

Optional channels are imported only when configured; a channel that cannot start is reported and
left out, and the daemon goes on with the others. When set-up fails half way, what was already
opened (the history database, the serial line, the camera, the channels) is closed again.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sitwatch.config import Config
from sitwatch.core.clock import Clock
from sitwatch.runtime.daemon import Camera, Daemon, StatePublisher
from sitwatch.runtime.files import control_path, history_path, profile_path, status_path
from sitwatch.sensing.calibration import Profile
from sitwatch.sensing.layout import Layout

if TYPE_CHECKING:
    from sitwatch.history.store import Store
    from sitwatch.nudging.dnd import DoNotDisturb

log = logging.getLogger("sitwatch")


class NothingToWatch(RuntimeError):
    """Neither a cushion nor a usable camera: the daemon has no reason to run."""


def load_profile(cfg: Config, layout: Layout, explicit: str | None = None) -> Profile | None:
    """The sitter's profile, or None to learn one. Raises CalibrationError when unusable."""
    from sitwatch.sensing import calibration

    path = Path(explicit) if explicit else profile_path(cfg)
    if not path.exists():
        if explicit:
            raise calibration.CalibrationError(f"{path}: calibration file not found")
        return None
    prof = calibration.load(path)
    prof.check_layout(layout)
    return prof


def build_sinks(
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


def build_dnd(cfg: Config, clock: Clock) -> DoNotDisturb | None:
    """Do-not-disturb probes (screen lock, fullscreen, calls), when enabled."""
    d = cfg.nudges.dnd
    if not d.enabled:
        return None
    from sitwatch.nudging.dnd import DoNotDisturb, default_probes

    try:
        probes = default_probes(
            d.probes, call_windows=d.call_windows, ignored_recorders=d.ignored_recorders
        )
        return DoNotDisturb(
            probes, clock, cache_seconds=d.cache_seconds,
            log=logging.getLogger("sitwatch.nudging.dnd"),
        )
    except Exception as e:  # probes are a nicety; never a reason not to start
        log.info("do-not-disturb detection unavailable: %s", e)
        return None


def _open_store(cfg: Config, clock: Clock) -> Store | None:
    """The history database, or None when it is disabled or cannot be opened (it is useful,
    not essential)."""
    if not cfg.history.enabled:
        return None
    from sitwatch.history.store import Store

    hp = history_path(cfg)
    try:
        hp.parent.mkdir(parents=True, exist_ok=True)
        return Store(hp, clock)
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
) -> Daemon:
    """The daemon ``sitwatch run`` runs, with everything the config asks for.

    ``cfg`` has the layout's detection defaults applied already (``config.for_layout``) and
    ``profile`` is the loaded calibration (None: learn one and save it). Raises
    :class:`NothingToWatch` when there is no cushion and the camera cannot be used. Whatever was
    opened before a failure is closed before the exception leaves."""
    from sitwatch.nudging.control import Watcher
    from sitwatch.nudging.gate import NudgeGate
    from sitwatch.runtime.status import StatusWriter
    from sitwatch.sinks.actions import ActionInbox
    from sitwatch.sources.serial import SerialSource

    with contextlib.ExitStack() as opened:
        store = _open_store(cfg, clock)
        if store is not None:
            opened.callback(store.close)
        status = StatusWriter(
            status_path(cfg), clock, interval=cfg.status.interval, sit_limit=cfg.detect.sit_limit
        )
        source = SerialSource(cfg.cushion, layout, clock) if cfg.cushion.port else None
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
        gate = NudgeGate(
            cfg.nudges,
            clock,
            dnd=build_dnd(cfg, clock),
            control=Watcher(control_path(cfg), clock.monotonic),
        )
        sinks = build_sinks(
            cfg, headless=headless, json_lines=json_lines, clock=clock, source=source
        )
        opened.callback(sinks.close)
        inbox = getattr(sinks, "inbox", None)
        publisher = next(
            (s for s in getattr(sinks, "sinks", ()) if isinstance(s, StatePublisher)), None
        )
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
            save_profile=(lambda p: p.save(pp)) if profile is None else None,
            gate=gate,
            backup_dir=history_path(cfg).parent / "backups" if store is not None else None,
            camera=camera,
            inbox=inbox if isinstance(inbox, ActionInbox) else None,
            publisher=publisher,
        )
        opened.pop_all()  # the daemon owns them now: Daemon.close closes them
    return daemon
