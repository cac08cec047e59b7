"""Building a daemon's parts from the config: sinks, camera, do-not-disturb, the profile.

Optional channels are imported only when configured; a channel that cannot start is reported and
left out, and the daemon goes on with the others.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

from sitwatch.config import Config
from sitwatch.runtime.files import find_profile
from sitwatch.sensing.calibration import Profile
from sitwatch.sensing.layout import Layout

log = logging.getLogger("sitwatch")


def load_profile(cfg: Config, layout: Layout, explicit: str | None = None) -> Profile | None:
    """The sitter's profile, or None to learn one. Raises CalibrationError when unusable."""
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
    prof = calibration.load(path)
    prof.check_layout(layout, path)
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


def build_camera(cfg: Config, clock: Any, *, with_cushion: bool) -> Any:
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


def build_dnd(cfg: Config, clock: Any) -> Any:
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
