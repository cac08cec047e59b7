"""``sitwatch simulate``: the virtual cushion streamed on a pseudo-terminal, like a real one.

:class:`PtyStreamer` writes a :class:`~sitwatch.sim.simulator.Simulator`'s frames as wire-format
lines on a pty (opened in raw mode, its path announced), paced in simulated time or as fast as
the reader takes them. It can play the faults a real cable has: garbage lines (:func:`corrupt`,
each kind counted the way :class:`sitwatch.sensing.wire.LineParser` counts it) and unplugs (the
pty closed and, after a while, a new one opened). A ``link`` symlink follows the current pty,
so a daemon can keep one port name across unplugs. :func:`simulate_command` is the command:
stream on a pty, or write a recording file instead.
"""

from __future__ import annotations

import contextlib
import math
import os
import select
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Protocol

import numpy as np

from sitwatch.core.clock import SystemClock
from sitwatch.core.simulated import register, unregister
from sitwatch.sensing.layout import Layout
from sitwatch.sensing.wire import COUNT, GARBAGE, format_lines
from sitwatch.sim.interactive import Steered, help_text, one_key_at_a_time, steer
from sitwatch.sim.script import Script, script_by_name
from sitwatch.sim.simulator import Simulator, write_recording


class Monotonic(Protocol):
    """What the streamer needs of a clock."""

    def monotonic(self) -> float: ...


# ---------------------------------------------------------------------------------------------
# Garbage on the wire
# ---------------------------------------------------------------------------------------------

JUNK = ("ERR sensor timeout", "Booting cushion fw 1.2.0 ...", "??", "ovf!", "nan",
        "HX711 not ready", "~~~", "reset cause: brownout")
# What the wire parser should call each kind of injected garbage.
GARBAGE_REASON = {"junk": GARBAGE, "binary": GARBAGE, "truncated": COUNT, "count": COUNT}


def corrupt(line: str, n: int, rng: np.random.Generator) -> tuple[str, bytes]:
    """Corrupt one frame line: returns (kind, bytes without newline). Every kind is dropped by
    :class:`sitwatch.sensing.wire.LineParser` (as GARBAGE_REASON[kind])."""
    kinds = ["junk", "binary", "count"] + (["truncated"] if n >= 3 else [])
    kind = kinds[int(rng.integers(len(kinds)))]
    if kind == "junk":
        return kind, JUNK[int(rng.integers(len(JUNK)))].encode()
    if kind == "binary":
        return kind, bytes(rng.integers(0x80, 0x100, int(rng.integers(4, 40))).tolist())
    parts = line.split(",")
    if kind == "truncated":
        # keep 2..n-1 values, the last one possibly cut: never n, n+1 or a packed-digit line
        keep = int(rng.integers(2, n))
        head = ",".join(parts[:keep])
        cut = int(rng.integers(len(",".join(parts[:keep - 1])) + 2, len(head) + 1))
        return kind, head[:cut].encode()
    if n >= 3 and rng.random() < 0.5:
        return kind, ",".join(parts[:-1]).encode()  # one value missing
    return kind, ",".join([*parts, "0", "0"]).encode()  # two extra (one extra is a timestamp)


# ---------------------------------------------------------------------------------------------
# Pseudo-terminal streaming
# ---------------------------------------------------------------------------------------------

@dataclass
class StreamStats:
    frames: int = 0  # frame lines written
    garbage: Counter[str] = field(default_factory=Counter)  # injected, by kind
    dropped: int = 0  # frames not written because nobody read the pty (buffer full)
    unplugs: int = 0
    bytes: int = 0
    paths: list[str] = field(default_factory=list)  # every slave path used, in order
    sim_t: float = 0.0  # simulated time reached

    @property
    def garbage_total(self) -> int:
        return sum(self.garbage.values())

    def expected_drops(self) -> Counter[str]:
        """What a LineParser reading every line should count as dropped, by reason."""
        out: Counter[str] = Counter()
        for kind, k in self.garbage.items():
            out[GARBAGE_REASON[kind]] += k
        return out


MAX_PENDING = 256 * 1024  # bytes queued for a slow reader before paced frames are dropped


class PtyStreamer:
    """Streams a script on a pseudo-terminal, paced by ``speed`` simulated seconds per second.

    ``speed`` <= 0 or infinite: as fast as the reader takes the lines (back-pressure, nothing
    dropped). ``clock`` needs ``monotonic()``; ``sleep(seconds)`` defaults to an interruptible
    wait, so :meth:`stop` ends a run at once. ``write`` receives human-readable notices (the pty
    path, unplugs). ``link``: a symlink kept pointing at the current pty. ``unplug``: (simulated
    time, seconds down) pairs: the pty is closed, the link removed, and after that many seconds
    (of ``clock``) a new pty is opened and the link re-pointed.
    """

    def __init__(self, layout: Layout | str, script: Script, *, hz: float = 20.0,
                 speed: float = 1.0, seed: int = 0, clock: Monotonic | None = None,
                 sleep: Callable[[float], object] | None = None,
                 write: Callable[[str], object] | None = None, link: str | Path | None = None,
                 garbage_rate: float = 0.0, unplug: Sequence[tuple[float, float]] = (),
                 t0: float = 0.0, t1: float | None = None,
                 on_open: Callable[[str], object] | None = None,
                 simulator: Simulator | Steered | None = None) -> None:
        self.sim = simulator or Simulator(layout, script, hz, seed)
        self.layout = self.sim.layout
        self.hz = self.sim.hz
        self.paced = bool(speed and speed > 0 and math.isfinite(speed))
        #: frames worked out at a time (a steered sitter wants few: its keys show at once)
        self.block = 64 if self.paced else 512
        self.speed = float(speed) if self.paced else math.inf
        self.clock: Monotonic = clock or SystemClock()
        self._stop = threading.Event()
        self.sleep = sleep or self._stop.wait
        self.write = write or (lambda s: None)
        self.link = Path(link) if link else None
        if not 0.0 <= garbage_rate <= 1.0:
            raise ValueError("garbage_rate must be between 0 and 1")
        self.garbage_rate = garbage_rate
        self.unplug = sorted((float(a), float(d)) for a, d in unplug)
        self.t0 = t0
        self.t1 = self.sim.script.duration if t1 is None else min(t1, self.sim.script.duration)
        self.on_open = on_open
        self.rng = np.random.default_rng([seed, 0x6A5B])
        self.stats = StreamStats()
        self.master: int | None = None
        self._slave: int | None = None
        self.slave_path: str | None = None
        self._pending = b""
        self._header = False
        self.drain_timeout = 5.0  # seconds to wait at the end for a reader to take the rest

    # -- pty management ------------------------------------------------------------------
    def open(self) -> str:
        """Open a new pty (raw mode), point the link at it and announce it. Returns its path."""
        import tty

        master, slave = os.openpty()
        tty.setraw(slave)
        os.set_blocking(master, False)
        self.master, self._slave = master, slave
        self.slave_path = os.ttyname(slave)
        self.stats.paths.append(self.slave_path)
        self._pending = b""
        if self.link is not None:
            _point_link(self.link, self.slave_path)
        self._header = True  # sent with the first frame, like a device that just booted
        self.write(f"pty: {self.slave_path}" + (f" (link {self.link})" if self.link else ""))
        if self.on_open is not None:
            self.on_open(self.slave_path)
        return self.slave_path

    def _close_pty(self) -> None:
        for fd in (self.master, self._slave):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.master = self._slave = None
        self._pending = b""

    def close(self) -> None:
        """Close the pty and remove the link if it still points at it."""
        path = self.slave_path
        self._close_pty()
        if self.link is not None and path is not None:
            with contextlib.suppress(OSError):
                if os.readlink(self.link) == path:
                    os.unlink(self.link)

    def stop(self) -> None:
        self._stop.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def _do_unplug(self, down: float) -> None:
        self.stats.unplugs += 1
        self.write(f"unplug: closing {self.slave_path} for {down:g} s")
        self._close_pty()
        if self.link is not None:
            with contextlib.suppress(OSError):
                os.unlink(self.link)
        if down > 0:
            self.sleep(down)
        if not self.stopped:
            self.open()

    # -- writing -------------------------------------------------------------------------
    def _emit(self, data: bytes, force: bool = False) -> bool:
        """Queue and write ``data``. Paced: never waits; when a slow or absent reader has let
        MAX_PENDING bytes pile up, the oldest queued lines are dropped (as a device's full
        buffer would lose them), so a reader that comes back gets fresh frames at once.
        Unpaced: waits for the reader (until stopped)."""
        if self.master is None:
            return False
        if self.paced and not force:
            self._flush(wait=False)  # a reader that came back drains the queue first
            if len(self._pending) > MAX_PENDING:
                self._drop_oldest()
        self._pending += data
        self._flush(wait=not self.paced)
        return True

    def _drop_oldest(self) -> None:
        """Keep the line being written (its start may be out already) and the newest half of
        the queue; the lines in between are lost and counted."""
        first = self._pending.find(b"\n") + 1  # the end of the line in flight
        keep_from = self._pending.find(b"\n", len(self._pending) - MAX_PENDING // 2) + 1
        if first <= 0 or keep_from <= first:
            return
        self.stats.dropped += self._pending.count(b"\n", first, keep_from)
        self._pending = self._pending[:first] + self._pending[keep_from:]

    def _flush(self, wait: bool, timeout: float | None = None) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._pending and self.master is not None:
            try:
                k = os.write(self.master, self._pending)
                self._pending = self._pending[k:]
                self.stats.bytes += k
                continue
            except BlockingIOError:
                pass
            except OSError:  # the other side is gone: keep the frames for nobody
                self._pending = b""
                return
            if not wait or self.stopped or (deadline is not None and time.monotonic() > deadline):
                return
            select.select([], [self.master], [], 0.05)

    # -- the loop ------------------------------------------------------------------------
    def run(self) -> StreamStats:
        """Stream until the script (or t1) ends or :meth:`stop`. Opens the pty if needed."""
        if self.master is None and not self.stopped:
            self.open()
        n = self.layout.n
        times = self.sim.times(self.t0, self.t1)
        unplugs = list(self.unplug)
        anchor_wall = self.clock.monotonic()
        anchor_t = float(times[0]) if len(times) else self.t0
        block = self.block
        lines: list[str] = []
        b0 = -1  # index of lines[0] in times
        i = 0
        while i < len(times) and not self.stopped:
            if not b0 <= i < b0 + len(lines):
                b0 = i
                lines = format_lines(self.sim.frames_at(times[i:i + block]))
            t = float(times[i])
            if unplugs and t >= unplugs[0][0]:
                _, down = unplugs.pop(0)
                self._do_unplug(down)
                if self.paced:  # simulated time passes while unplugged: those frames are lost
                    anchor_wall, anchor_t = self.clock.monotonic(), t + down * self.speed
                    i = int(np.searchsorted(times, anchor_t - 1e-9, side="left"))
                continue
            if self.paced:
                d = anchor_wall + (t - anchor_t) / self.speed - self.clock.monotonic()
                if d > 0.002:
                    self.sleep(d)
                    if self.stopped:
                        break
            if self._header:
                self._header = False
                self._emit(f"# channels={n}\n".encode(), force=True)
            line = lines[i - b0]
            if self.garbage_rate and self.rng.random() < self.garbage_rate:
                kind, data = corrupt(line, n, self.rng)
                if self._emit(data + b"\n"):
                    self.stats.garbage[kind] += 1
            elif self._emit((line + "\n").encode()):
                self.stats.frames += 1
            else:
                self.stats.dropped += 1
            self.stats.sim_t = t
            i += 1
        if not self.stopped:
            self._flush(wait=True, timeout=self.drain_timeout)
        return self.stats


def _point_link(link: Path, target: str) -> None:
    """Atomically make ``link`` a symlink to ``target``; never clobber a regular file."""
    if link.exists() and not link.is_symlink():
        raise FileExistsError(f"{link} exists and is not a symlink: not replacing it")
    link.parent.mkdir(parents=True, exist_ok=True)
    tmp = link.with_name(f".{link.name}.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)
    os.symlink(target, tmp)
    os.replace(tmp, link)


# ---------------------------------------------------------------------------------------------
# sitwatch simulate
# ---------------------------------------------------------------------------------------------

def _hm(seconds: float) -> str:
    m = round(seconds / 60)
    return f"{m // 60}h{m % 60:02d}m" if m >= 60 else f"{m}m"


def simulate_command(layout: Layout | str, *, hz: float = 20.0, speed: float = 1.0,
                     duration: float | None = None, link: str | Path | None = None,
                     script_name: str = "day", seed: int = 0, garbage_rate: float = 0.0,
                     out: str | Path | None = None, err: IO[str] | None = None,
                     unplug: Sequence[tuple[float, float]] = (),
                     fail: tuple[int, float, float] | None = None,
                     interactive: IO[bytes] | None = None) -> int:
    """``sitwatch simulate``: stream a scripted day on a pty (path printed on stderr) until it
    ends or Ctrl-C; with ``out`` write a recording file instead, as fast as possible.
    ``fail``: (channel, from second, reading): a sensor that fails then. ``interactive``: keys
    from this stream steer the virtual sitter instead of the script
    (:mod:`sitwatch.sim.interactive`). Returns the exit code."""
    err = err or sys.stderr
    spec = layout if isinstance(layout, str) else layout.name
    if isinstance(layout, str):
        from sitwatch.sensing.layout import LayoutError, load
        try:
            layout = load(layout)
        except LayoutError as e:
            print(f"sitwatch simulate: {e}", file=err)
            return 2
    try:
        script = script_by_name(script_name, seed)
    except ValueError as e:
        print(f"sitwatch simulate: {e}", file=err)
        return 2
    if hz <= 0:
        print("sitwatch simulate: --hz must be > 0", file=err)
        return 2
    if not 0.0 <= garbage_rate <= 1.0:
        print("sitwatch simulate: --garbage is a share of lines, between 0 and 1", file=err)
        return 2
    steered: Steered | None = None
    if interactive is not None:
        if out is not None:
            print("sitwatch simulate: --interactive streams on a pty; it cannot write a "
                  "recording (-o)", file=err)
            return 2
        steered = Steered(layout, hz, seed)
        script = steered.script
    t1 = script.duration if duration is None else min(float(duration), script.duration)
    sim = Simulator(layout, script, hz, seed, stuck=fail)
    what = (f"{layout.summary()}; script {script.name}, {_hm(t1)} simulated at {hz:g} Hz"
            if steered is None else f"{layout.summary()}; steered from the keyboard at "
            f"{hz:g} Hz, starting with {steered.current.words}")
    if fail is not None:
        ch, at, reading = fail
        what += (f"; {layout.channels[ch].label} fails at {_hm(at)}, reading {reading:g} from "
                 "then on")
    if out is not None:
        path = Path(out)
        if garbage_rate:
            print("sitwatch simulate: --garbage applies to the pty only; the recording is clean",
                  file=err)
        from sitwatch.core.private import open_private
        from sitwatch.sources.recording import SIMULATOR

        with open_private(path) as f:  # about a (virtual) person, like every recording: 0600
            n = write_recording(f, sim, 0.0, t1, source=SIMULATOR, script=script_name,
                                seed=str(seed))
        print(f"sitwatch simulate: {what}\nwrote {n} frames to {path}", file=err)
        return 0

    def say(msg: str) -> None:
        print(f"sitwatch simulate: {msg}", file=err, flush=True)

    unpaced = not speed or speed <= 0 or math.isinf(speed)
    pace = "as fast as the reader takes it" if unpaced else f"x{speed:g} real time"
    say(f"{what}, {pace}")
    note: Path | None = None
    st = PtyStreamer(layout, script, hz=hz, speed=speed, seed=seed, write=say, link=link,
                     garbage_rate=garbage_rate, unplug=unplug, t1=t1,
                     simulator=steered if steered is not None else sim)
    restore = _stop_on_signals()
    keyboard = contextlib.ExitStack()  # the terminal's mode, put back however this ends
    try:
        try:
            slave = st.open()
        except OSError as e:
            say(f"cannot set up the pty: {e}")
            return 1
        port = str(link) if link else slave
        # a daemon or a calibration pointed at this port keeps what it learns apart from
        # the real history and profile (sitwatch.core.simulated)
        note = register(slave, str(link) if link else None)
        say(f"connect with: sitwatch run --port {port} --layout {spec}  (Ctrl-C stops; what "
            "sitwatch learns and keeps while watching it goes to a simulated/ folder of its own, "
            "not your history)")
        if steered is not None and interactive is not None:
            st.block = 2  # a key shows in the stream at once, not 64 frames later
            with contextlib.suppress(OSError, ValueError):
                if os.isatty(interactive.fileno()):
                    keyboard.enter_context(one_key_at_a_time(interactive.fileno()))
            say(help_text())
            steer(steered, interactive, say, st.stop)
        stats = st.run()
        say(f"done: {stats.frames} frames, {stats.garbage_total} garbage lines, "
            f"{stats.dropped} dropped (nobody reading)")
    except KeyboardInterrupt:
        say("stopped")
    finally:
        keyboard.close()
        if note is not None:
            unregister(note)
        st.close()
        restore()
    return 0


def _stop_on_signals() -> Callable[[], None]:
    """Make SIGTERM and SIGHUP (a ``kill``, a closed terminal) stop the stream as Ctrl-C does,
    so that the pty is closed and the --link symlink removed instead of left dangling. Returns
    what puts the previous handlers back. Outside the main thread (a test's), nothing."""
    import signal

    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def interrupt(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    old = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGTERM, signal.SIGHUP)}

    def restore() -> None:
        for sig, handler in old.items():
            signal.signal(sig, handler)

    return restore
