"""Replay a recording through the full pipeline, as fast as possible, in simulated time."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from sitwatch.config import Config
from sitwatch.core.events import Event
from sitwatch.runtime.tally import Tally
from sitwatch.sensing.calibration import Profile
from sitwatch.sensing.layout import Layout
from sitwatch.sensing.pipeline import Pipeline
from sitwatch.sensing.wire import LineParser
from sitwatch.sources import recording

GAP = 10.0  # seconds without frames in a recording that count as the sensor being offline


def replay(
    path: Path,
    layout: Layout,
    cfg: Config,
    profile: Profile | None = None,
    hz: float | None = None,
    tally: Tally | None = None,
    parser: LineParser | None = None,
) -> Iterator[Event]:
    pl = Pipeline(layout, cfg, profile)
    parser = parser or LineParser(layout.n, layout.full_scale, time_unit="s")
    last: float | None = None
    for t, values in recording.frames(path, layout, hz, parser):
        if last is not None and t - last > GAP:
            yield from pl.sensor(last, False, "no frames in the recording")
            if tally:
                tally.gap(t - last)
        last = t
        for ev in pl.process(t, values):
            if tally:
                tally.event(ev)
            yield ev
        if tally:
            tally.frame(t, pl)
