"""A virtual sitter you steer from the keyboard (``sitwatch simulate --interactive``).

The scripted day plays on whatever sitwatch asks, so it cannot follow ``sitwatch calibrate``'s
prompts ("leave the seat empty", "sit upright"). Here each key puts the virtual sitter in a
posture until the next key: the cushion streams that posture (with its noise, breathing and
sway) on the pty as the scripted one would, and a guided calibration, or a look at how the
daemon reads each posture, works against it.

:class:`Steered` stands in for the :class:`~sitwatch.sim.simulator.Simulator` that
:class:`~sitwatch.sim.pty.PtyStreamer` reads: one simulator per posture, each a single long
segment, and the frames of whichever posture is current. Keys come from a file (the terminal,
read one key at a time when it is one; a pipe works the same).
"""

from __future__ import annotations

import contextlib
import io
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO

import numpy as np

from sitwatch.core.kinds import Posture
from sitwatch.sensing.layout import Layout
from sitwatch.sim.body import EMPTY, Body
from sitwatch.sim.script import Script, Segment
from sitwatch.sim.simulator import Simulator

LONG = 12 * 3600.0  # seconds one run can last


@dataclass(frozen=True)
class Key:
    key: str
    words: str
    body: Body


KEYS: tuple[Key, ...] = (
    Key("e", "the seat empty", EMPTY),
    Key("u", "sitting upright against the backrest", Body()),
    Key("a", "sitting upright away from the backrest", Body(backrest=0.0)),
    Key("s", "slumped (hips forward)", Body(posture=Posture.SLOUCHED)),
    Key("f", "leaning forward", Body(posture=Posture.LEANING_FORWARD)),
    Key("b", "leaning back in the chair", Body(posture=Posture.RECLINED)),
    Key("l", "leaning to the left", Body(lean=-0.8)),
    Key("r", "leaning to the right", Body(lean=0.8)),
)
BY_KEY = {k.key: k for k in KEYS}


def help_text() -> str:
    keys = ", ".join(f"{k.key} {k.words}" for k in KEYS)
    return f"keys: {keys}; q stops"


class Steered:
    """The frames of the posture chosen last (:meth:`press`); what PtyStreamer reads of a
    Simulator: ``layout``, ``hz``, ``script.duration``, ``times`` and ``frames_at``."""

    def __init__(self, layout: Layout, hz: float = 20.0, seed: int = 0,
                 start: str = "e") -> None:
        self.layout = layout
        self.hz = hz
        self.seed = seed
        self.script = Script([Segment(LONG, EMPTY)], "interactive")
        self._sims: dict[str, Simulator] = {}
        self._lock = threading.Lock()
        self.current = BY_KEY[start]

    def _sim(self, key: Key) -> Simulator:
        sim = self._sims.get(key.key)
        if sim is None:
            sim = Simulator(self.layout, Script([Segment(LONG, key.body)], key.key), self.hz,
                            self.seed)
            self._sims[key.key] = sim
        return sim

    def press(self, key: str) -> Key | None:
        """Switch to ``key``'s posture; None for a key that names none."""
        k = BY_KEY.get(key.lower())
        if k is not None:
            with self._lock:
                self.current = k
        return k

    def times(self, t0: float = 0.0, t1: float | None = None) -> np.ndarray:
        return self._sim(self.current).times(t0, LONG if t1 is None else t1)

    def frames_at(self, t: np.ndarray) -> np.ndarray:
        with self._lock:
            key = self.current
        return self._sim(key).frames_at(t)


def keys(stream: IO[bytes]) -> Iterator[str]:
    """Characters from ``stream``, one at a time, until it ends. A file with a descriptor (the
    terminal) is read beneath its buffer: the reader's thread, waiting for a key, held stdin's
    buffer lock, and Python aborted at exit when Ctrl-C stopped the simulator ("Fatal Python
    error: _enter_buffered_busy", SIGABRT)."""
    try:
        fd: int | None = stream.fileno()
    except (OSError, ValueError, io.UnsupportedOperation):
        fd = None
    while True:
        b = stream.read(1) if fd is None else os.read(fd, 1)
        if not b:
            return
        yield b.decode("utf-8", "replace")


@contextlib.contextmanager
def one_key_at_a_time(fd: int) -> Iterator[None]:
    """A terminal that hands over each key as it is pressed (no Enter needed), restored after;
    anything else is left as it is."""
    try:
        import termios
        import tty

        old = termios.tcgetattr(fd)
    except (ImportError, OSError, ValueError):
        yield
        return
    try:
        tty.setcbreak(fd)
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, old)


def steer(sim: Steered, stream: IO[bytes], say: Callable[[str], object],
          stop: Callable[[], object]) -> threading.Thread:
    """Read keys from ``stream`` on a thread: each posture key switches ``sim``, ``q`` (or the
    end of the stream) calls ``stop``."""

    def run() -> None:
        for ch in keys(stream):
            if ch.lower() == "q":
                break
            k = sim.press(ch)
            if k is not None:
                say(f"now {k.words}")
            elif not ch.isspace():
                say(f"{ch!r} names no posture; {help_text()}")
        stop()

    t = threading.Thread(target=run, name="simulate-keys", daemon=True)
    t.start()
    return t
