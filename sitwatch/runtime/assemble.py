"""Building a daemon's parts from the config: sinks, camera, do-not-disturb, the profile.

Optional channels are imported only when configured; a channel that cannot start is reported and
left out, and the daemon goes on with the others.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sitwatch.config import Config
from sitwatch.runtime.files import find_profile
from sitwatch.sensing.calibration import Profile
from sitwatch.sensing.layout import Layout

if TYPE_CHECKING:  # the sinks and probes themselves are imported when they are built
    from sitwatch.core.clock import Clock
    from sitwatch.nudging.dnd import DoNotDisturb
    from sitwatch.sinks.base import Fanout

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
    if cfg.nudges.buttons and spec("desktop").enabled(cfg, ctx):
        ctx = replace(ctx, inbox=ActionInbox())
    return Fanout(build_all(cfg, ctx, log), logging.getLogger("sitwatch.sinks"), inbox=ctx.inbox)


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


def build_dnd(cfg: Config, clock: Clock, *, start: bool = True) -> DoNotDisturb | None:
    """Do-not-disturb probes (screen lock, fullscreen, calls), when enabled. They run on a
    background thread, started here unless ``start`` is False (doctor asks them directly)."""
    d = cfg.nudges.dnd
    if not d.enabled:
        return None
    from sitwatch.nudging.dnd import DoNotDisturb, default_probes

    try:
        probes = default_probes(
            d.probes, call_windows=d.call_windows, ignored_recorders=d.ignored_recorders
        )
        dnd = DoNotDisturb(
            probes, clock, cache_seconds=d.cache_seconds,
            log=logging.getLogger("sitwatch.nudging.dnd"),
        )
    except Exception as e:  # probes are a nicety; never a reason not to start
        log.info("do-not-disturb detection unavailable: %s", e)
        return None
    if start:
        dnd.start()
    return dnd
