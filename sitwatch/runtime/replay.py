"""Replay a recording through the full pipeline, as fast as possible, in simulated time.

The same path as the daemon, minus the wall clock: frames -> :class:`Pipeline` -> events, and
its snapshot -> :class:`~sitwatch.nudging.nudger.Nudger` (without a gate: every nudge that would
have been sent is an event). A camera recording goes the same way through
:func:`replay_camera`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from sitwatch.config import Config
from sitwatch.core.events import Event
from sitwatch.nudging.nudger import Nudger
from sitwatch.runtime.tally import Tally
from sitwatch.sensing.calibration import Profile
from sitwatch.sensing.layout import Layout
from sitwatch.sensing.pipeline import Pipeline
from sitwatch.sensing.wire import LineParser
from sitwatch.sources import recording

if TYPE_CHECKING:
    from sitwatch.camera.baseline import CameraProfile
    from sitwatch.camera.pose import Estimator
    from sitwatch.camera.source import PoseReading
    from sitwatch.config.camera import CameraConfig

GAP = 10.0  # seconds without frames in a recording that count as the sensor being offline


def replay(
    path: Path,
    layout: Layout,
    cfg: Config,
    profile: Profile | None = None,
    hz: float | None = None,
    tally: Tally | None = None,
    parser: LineParser | None = None,
    said: Callable[[str], None] | None = None,
) -> Iterator[Event]:
    pl = Pipeline(layout, cfg, profile)
    nudger = Nudger(pl.cfg.nudges, pl.cfg.detect.sit_limit)
    parser = parser or LineParser(layout.n, layout.full_scale, time_unit="s")
    last: float | None = None
    for t, values in recording.frames(path, layout, hz, parser, said):
        if last is not None and t - last > GAP:
            yield from pl.sensor(last, False, "no frames in the recording")
            if tally:
                tally.gap(t - last)
        last = t
        evs = pl.process(t, values)
        snap = pl.snapshot(t)
        evs += nudger.observe(snap)
        for ev in evs:
            if tally:
                tally.event(ev)
            yield ev
        if tally:
            tally.frame(snap)


def replay_camera(
    path: Path,
    cam: CameraConfig,
    profile: CameraProfile | None = None,
    *,
    main: Config | None = None,
    estimator: Estimator | None = None,
    every: float | None = None,
    period: float = 0.5,
    on_reading: Callable[[PoseReading], None] | None = None,
) -> Iterator[Event]:
    """Events of a camera-only run over ``path``; with ``main`` (the main config) the camera
    owns occupancy and its snapshots are nudged like a cushion's."""
    from sitwatch.camera.replay import replay as camera_replay

    nudger = Nudger(main.nudges, main.detect.sit_limit) if main is not None else None
    yield from camera_replay(
        path, cam, profile, main=main, estimator=estimator, every=every, period=period,
        on_reading=on_reading, observe=nudger.observe if nudger is not None else None,
    )
