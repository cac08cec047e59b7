"""The virtual cushion as a :class:`~sitwatch.sources.base.Source`, in simulated time.

Frames from :mod:`sitwatch.sim` go through the wire format like a real cushion's, and the clock is
moved to each frame's time, so a day runs in seconds (``sitwatch demo``, tests).
"""

from __future__ import annotations

from typing import Any

from sitwatch.core.clock import ManualClock
from sitwatch.core.simulated import DEMO_SOURCE
from sitwatch.sensing.wire import LineParser, format_lines
from sitwatch.sources.base import Item, Reading

CHUNK = 2.0  # simulated seconds handed over per poll


class SimSource:
    """A Source over the simulator: frames go through the wire format like real ones."""

    name = DEMO_SOURCE

    def __init__(self, sim: Any, clock: ManualClock, t1: float | None = None) -> None:
        self.sim = sim
        self.clock = clock
        self.t = 0.0
        self.t1 = sim.script.duration if t1 is None else t1
        self.parser = LineParser(sim.layout.n, sim.layout.full_scale)
        self.frames = 0

    @property
    def done(self) -> bool:
        return self.t >= self.t1

    def poll(self, max_wait: float) -> list[Item]:
        if self.done:
            return []
        t0, t1 = self.t, min(self.t + CHUNK, self.t1)
        self.t = t1
        times = self.sim.times(t0, t1)
        out: list[Item] = []
        if not len(times):
            return out
        for t, line in zip(times, format_lines(self.sim.frames_at(times)), strict=True):
            p = self.parser.feed(line)
            if p is None:
                continue
            self.clock.set(max(self.clock.monotonic(), float(t)))  # simulated time is the clock
            out.append(Reading(self.clock.monotonic(), p.values))
            self.frames += 1
        return out

    def close(self) -> None:
        pass

    def stats(self) -> dict[str, object]:
        st = self.parser.stats
        return {
            "port": "virtual",
            "online": True,
            "frames": st.frames,
            "dropped_total": st.dropped_total,
            "last_frame_age": 0.0,
        }
