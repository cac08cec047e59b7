"""Recordings: the wire format with a leading time column, behind a one-line header.

    # sitwatch-recording v1 layout=smartchair-12 hz=2
    0.000,2224,2073,...
    0.500,2234,2082,...

Files without a time column are read at a fixed rate (``hz=`` in the header or ``--hz``).
Any other ``#`` line is a comment; bad lines are dropped and counted like on the wire.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import numpy as np

from sitwatch.sensing.layout import Layout
from sitwatch.sensing.wire import LineParser

MAGIC = "# sitwatch-recording v1"
_KV = re.compile(r"(\w+)=(\S+)")


class RecordingError(ValueError):
    pass


@dataclass
class Header:
    layout: str | None = None
    hz: float | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def line(self) -> str:
        parts = [MAGIC]
        if self.layout:
            parts.append(f"layout={self.layout}")
        if self.hz:
            parts.append(f"hz={self.hz:g}")
        parts += [f"{k}={v}" for k, v in self.extra.items()]
        return " ".join(parts)


def read_header(path: Path) -> Header:
    """The header of a recording (empty when the file has none)."""
    with Path(path).open("r", encoding="utf-8", errors="replace") as f:
        for line in f:
            s = line.strip()
            if not s:
                continue
            if s.startswith(MAGIC):
                kv = dict(_KV.findall(s[len(MAGIC) :]))
                hz = kv.pop("hz", None)
                try:
                    hz_f = float(hz) if hz else None
                except ValueError:
                    raise RecordingError(f"{path}: bad hz={hz!r} in the header") from None
                return Header(kv.pop("layout", None), hz_f, kv)
            if not s.startswith("#"):
                break
    return Header()


def frames(
    path: Path, layout: Layout, hz: float | None = None, parser: LineParser | None = None
) -> Iterator[tuple[float, np.ndarray]]:
    """Yield (t seconds, values) for every valid frame of a recording."""
    header = read_header(path)
    rate = hz or header.hz
    parser = parser or LineParser(layout.n, layout.full_scale, time_unit="s")
    i = 0
    last_t = -np.inf
    with Path(path).open("rb") as f:
        for raw in f:
            p = parser.feed(raw)
            if p is None:
                continue
            if p.timestamp is not None:
                t = p.timestamp
                if t < last_t:  # time going backwards: keep order, count it
                    parser.stats.dropped["time"] += 1
                    continue
            elif rate:
                t = i / rate
            else:
                raise RecordingError(
                    f"{path}: no time column and no rate: add hz= to the header or pass --hz"
                )
            last_t = t
            i += 1
            yield t, p.values


class Writer:
    """Append frames to a recording file (used by ``sitwatch record`` and the simulator)."""

    def __init__(
        self, out: IO[str], layout: Layout, hz: float | None = None, decimals: int = 3, **extra: str
    ) -> None:
        self.out = out
        self.decimals = decimals
        out.write(Header(layout.name, hz, dict(extra)).line() + "\n")

    def write(self, t: float, values: np.ndarray) -> None:
        vals = ",".join(f"{v:g}" for v in np.round(values, 2))
        self.out.write(f"{t:.{self.decimals}f},{vals}\n")
