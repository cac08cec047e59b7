"""Saving what a cushion sends as a recording (the heart of ``sitwatch record``; the format is
:mod:`sitwatch.sources.recording`).

The time column is seconds since the recording started (arrival time on the injected clock),
so a recording survives unplugs: the source reconnects and the time column simply shows the
gap. Status changes and diagnoses are kept as ``#`` comment lines (without ``=``, so a reader
never takes them for shape declarations).
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import serial

from sitwatch.config import Cushion, Mqtt
from sitwatch.core.clock import Clock
from sitwatch.core.kinds import SensorState
from sitwatch.core.mqtt_url import is_mqtt
from sitwatch.core.private import make_private, private_dir
from sitwatch.data import shipped
from sitwatch.sensing import layout as layouts
from sitwatch.sensing import wire
from sitwatch.sensing.layout import Layout
from sitwatch.sources.base import Diagnosis, Reading, Status
from sitwatch.sources.mqtt import MqttSource
from sitwatch.sources.recording import Writer
from sitwatch.sources.serial import Opener, SerialSource

RATE_WINDOW = 2.0  # seconds of frames used to estimate hz= for the header (text mode)
MISMATCH_LINES = 10  # lines with the wrong number of values, before any frame: wrong layout
#: ...and this many seconds of them when the device has not declared its shape yet: a board that
#: does not reset when the port opens repeats ``# rows=R cols=C`` every few seconds
#: (docs/protocol.md), and the advice is better for waiting for it
DECLARE_WAIT = 2.0
FLUSH_EVERY = 1.0  # seconds between flushes of the output file

_Pending = tuple[float, np.ndarray] | str
_EPS = 1e-9


class LayoutMismatch(Exception):
    """The cushion sends a different number of values than the layout has channels."""


def mismatch_message(lay: Layout, seen: int | None,
                     grid: tuple[int, int] | None = None) -> str:
    """What to say when every line has ``seen`` values and the layout wants ``lay.n``;
    ``grid``: the rows and columns the device declared (``# rows=10 cols=15``), if any."""
    fits = [name for name in layouts.builtin_names() if layouts.load(name).n == seen]
    if grid is not None and grid[0] * grid[1] == seen:
        spec = f"grid:{grid[0]}x{grid[1]}"
        hint = (f"the device says it is a {grid[0]}x{grid[1]} matrix: --layout {spec} reads "
                "values 0-255 with row 0 at the rear and column 0 on your left; for another "
                "scale or corner write a layout file (`sitwatch docs protocol`, \"A matrix of "
                "your own\")")
    elif fits:
        hint = f"built-in layouts with {seen} channels: {', '.join(fits)}"
    else:
        hint = (f"no built-in layout has {seen}; use grid:RxC or a layout file "
                f"(examples in {shipped('calibration', 'layouts')})")
    return (f"the cushion sends {seen} values per line but layout {lay.name} has {lay.n}: "
            f"pass --layout ({hint})")


def layout_mismatch(source: object, lay: Layout, frames: int,
                    waited: float = math.inf) -> str | None:
    """What to say when ``source`` (a cushion source) has sent only lines with the wrong number
    of values for ``lay`` (``MISMATCH_LINES`` of them, and ``frames`` == 0 frames): the layout
    is wrong, and waiting longer will not help. ``waited``: seconds since the source opened; a
    device that has declared no shape yet gets :data:`DECLARE_WAIT` of them to do so. None
    otherwise (also for a source that parses no lines). Shared by ``sitwatch record`` and
    ``sitwatch calibrate``."""
    parser = getattr(source, "parser", None)
    if frames or parser is None:
        return None
    stats = parser.stats
    if stats.dropped.get(wire.COUNT, 0) < MISMATCH_LINES:
        return None
    grid = declared_grid(parser)
    if grid is None and waited < DECLARE_WAIT:
        return None
    return mismatch_message(lay, stats.last_count_seen, grid)


def declared_grid(parser: object) -> tuple[int, int] | None:
    """The rows and columns a device declared in its stream (``# rows=R cols=C``), if any."""
    header = getattr(parser, "header", None) or {}
    try:
        rows, cols = int(header["rows"]), int(header["cols"])
    except (KeyError, ValueError):
        return None
    return (rows, cols) if rows > 0 and cols > 0 else None


def nice_rate(times: list[float]) -> float | None:
    """The frame rate for the header from arrival times, to two significant digits.

    Frames that arrived in the same read share a time, so count the frames after the first
    arrival over the time since it (not frames - 1). None when it cannot be told.
    """
    if not times:
        return None
    span = times[-1] - times[0]
    after = sum(1 for t in times if t > times[0])
    if span <= 0 or after == 0:
        return None
    return float(f"{after / span:.2g}")


def record(
    port_url: str,
    out_path: str | Path,
    layout: Layout | str,
    *,
    baud: int,
    duration: float | None = None,
    clock: Clock,
    cushion: Cushion | None = None,
    broker: Mqtt | None = None,
    hz: float | None = None,
    stop: Callable[[int], bool] | None = None,
    sleep: Callable[[float], object] = time.sleep,
    opener: Opener = serial.serial_for_url,
    poll_wait: float = 0.1,
    log: logging.Logger | None = None,
    progress: Callable[[float, int], object] | None = None,
    header: dict[str, str] | None = None,
) -> int:
    """Record frames from ``port_url`` into ``out_path``; return the number of frames.

    Stops after ``duration`` seconds of clock time, on KeyboardInterrupt, or when
    ``stop(frames_so_far)`` returns True (checked after every poll). ``cushion`` supplies the
    other serial settings (mode, poll_byte, poll_hz, time_unit, reconnect_*); ``port_url``
    and ``baud`` override its port and baud. ``hz`` goes into the header; without it binary
    mode writes ``poll_hz`` and text mode the rate measured over the first frames.
    Errors creating the output file are raised (OSError); device trouble never is, except
    a cushion whose lines all have the wrong number of values for the layout: that raises
    :class:`LayoutMismatch` at once instead of recording nothing for the whole duration.
    ``progress(seconds, frames)`` is called about once a second. ``broker`` (the ``[mqtt]``
    section) lends an ``mqtt://`` cushion its credentials, as in ``sitwatch run``. When no frame
    came, the reason (the source's own words) is logged at warning level before returning.
    ``header``: more ``key=value`` pairs for the header (``source=simulate`` on the
    simulator's pty).
    """
    lay = layout if isinstance(layout, Layout) else layouts.load(layout)
    base = cushion or Cushion()
    cfg = base.model_copy(update={"port": port_url, "baud": baud, "layout": lay.name})
    if hz is None and cfg.mode == "binary":
        hz = cfg.poll_hz
    source: SerialSource | MqttSource
    if is_mqtt(cfg.port):
        source = MqttSource(cfg, lay, clock, broker=broker, log=log)
    else:
        source = SerialSource(cfg, lay, clock, sleep=sleep, opener=opener, log=log)
    start = clock.monotonic()
    started = clock.now().isoformat(timespec="seconds")
    frames = 0
    said = ""  # the source's last word on why no frame comes (offline, a diagnosis)
    private_dir(Path(out_path).parent)  # a folder not made yet, owner-only like the file
    fd = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # about a person
    make_private(Path(out_path))  # a file that was there keeps its mode through O_TRUNC
    with open(fd, "w", encoding="utf-8", newline="\n") as out:
        writer: Writer | None = None
        pending: list[_Pending] = []
        first_t: float | None = None
        last_t = 0.0
        last_flush = start
        last_progress = start

        def open_writer(rate: float | None) -> Writer:
            w = Writer(out, lay, rate, 3, **{"started": started, **(header or {})})
            for p in pending:
                if isinstance(p, str):
                    out.write(p)
                else:
                    w.write(*p)
            pending.clear()
            return w

        try:
            while True:
                wait = poll_wait
                if duration is not None:
                    wait = max(0.0, min(wait, start + duration - clock.monotonic()))
                for item in source.poll(wait):
                    if isinstance(item, Reading):
                        t = item.t - start
                        frames += 1
                        if writer is not None:
                            writer.write(t, item.values)
                            continue
                        pending.append((t, item.values))
                        if first_t is None:
                            first_t = t
                        last_t = t
                    else:
                        if isinstance(item, Diagnosis):
                            said = item.message
                        elif not item.online:
                            said = item.reason
                        line = _comment(item, item.t - start)
                        if writer is not None:
                            out.write(line)
                        else:
                            pending.append(line)
                if writer is None and first_t is not None:
                    if hz is not None:
                        writer = open_writer(hz)
                    elif last_t - first_t >= RATE_WINDOW:
                        writer = open_writer(nice_rate(_times(pending)))
                mismatch = layout_mismatch(source, lay, frames, clock.monotonic() - start)
                if mismatch:
                    raise LayoutMismatch(mismatch)
                now = clock.monotonic()
                if progress is not None and now - last_progress >= 1.0:
                    progress(now - start, frames)
                    last_progress = now
                if writer is not None and now - last_flush >= FLUSH_EVERY:
                    out.flush()
                    last_flush = now
                if duration is not None and now - start >= duration - _EPS:
                    break
                if stop is not None and stop(frames):
                    break
        except KeyboardInterrupt:
            pass
        finally:
            if frames == 0 and not said:
                # too short a try for the source to have said why (it waits no_data_timeout
                # before explaining a silence): ask it now, so the caller's "nothing recorded"
                # has a reason above it
                (log or logging.getLogger("sitwatch.record")).warning(
                    "no frame: %s", source.diagnose())
            source.close()
            if writer is None:
                open_writer(hz or nice_rate(_times(pending)))
    return frames


def _times(pending: list[_Pending]) -> list[float]:
    return [p[0] for p in pending if not isinstance(p, str)]


def _comment(item: Status | Diagnosis, t: float) -> str:
    if isinstance(item, Status):
        text: str = SensorState.ONLINE if item.online else SensorState.OFFLINE
        if item.reason:
            text += f": {item.reason}"
    else:
        text = f"diagnosis: {item.message}"
    text = text.replace("=", ":").replace("\n", " ").replace("\r", " ")
    return f"# {t:.3f} {text}\n"


