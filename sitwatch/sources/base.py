"""What every source hands the pipeline: readings and online/offline changes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from sitwatch.core.frozen import quick_init

if TYPE_CHECKING:  # a reading's values; `sitwatch bridge` never makes one, nor loads numpy
    import numpy as np


@quick_init  # one a frame
@dataclass(frozen=True)
class Reading:
    """One valid frame: raw channel values, when it arrived (the source clock's monotonic
    seconds), and the device's own timestamp if the line carried one."""

    t: float
    values: np.ndarray
    device_t: float | None = None


@dataclass(frozen=True, slots=True)
class Status:
    """The source went online or offline; ``reason`` says why in words a user understands.
    ``gone``: offline because the device itself is not there (unplugged: its port vanished),
    not merely silent or unreachable."""

    t: float
    online: bool
    reason: str = ""
    gone: bool = False


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """No valid frame for a while: the best guess at why ("wrong baud rate?"). ``since``: no
    valid frame has come since then (the last one, or when the stream started), while the
    link is up; the daemon takes the cushion as silent from then (None: a diagnosis about
    no such stream, e.g. the camera's)."""

    t: float
    message: str
    since: float | None = None


Item = Reading | Status | Diagnosis


class Source(Protocol):
    """A source is polled by the daemon loop; it never raises for device trouble."""

    name: str

    def poll(self, max_wait: float) -> list[Item]:
        """Return what arrived, waiting at most ``max_wait`` seconds for something."""
        ...

    def close(self) -> None: ...

    def stats(self) -> dict[str, object]:
        """Counters for status and doctor (frames, drops by reason, reconnects ...)."""
        ...
