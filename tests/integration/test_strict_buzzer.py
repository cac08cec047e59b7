"""Strict buzzer mode (issue #13) through the daemon ``sitwatch run`` builds, with the cushion
on a pseudo-terminal in accelerated time (a ManualClock stamps the frames): once the
time-to-move nudge has gone out, the buzzer command comes back down the wire every
``strict_every`` seconds until the seat is empty; a snooze stops it too; off by default."""

from __future__ import annotations

import itertools
import os
import select
from datetime import timedelta

import pytest

from sitwatch.config import Config
from sitwatch.core.clock import ManualClock
from sitwatch.nudging import control
from sitwatch.runtime.assemble import build_daemon
from sitwatch.runtime.files import control_path
from sitwatch.sensing import layout

pytestmark = pytest.mark.integration
SEATED = b"20000,21000,9000,9500\n"
EMPTY = b"0,0,0,0\n"
HZ = 2


class Chair:
    """The daemon on the pty, and what came back on the wire, by simulated time."""

    def __init__(self, master: int, port: str, **buzzer: object) -> None:
        self.master = master
        self.cfg = Config.model_validate({
            "cushion": {"port": port, "layout": "load-cells-4"},
            "detect": {"sit_limit": 120, "occupancy": {"enter_dwell": 0.2}},
            "nudges": {"desktop": False, "console": False, "dnd": {"enabled": False},
                       "buzzer": {"enabled": True, **buzzer}},
            "history": {"enabled": False},
        })
        self.clock = ManualClock()
        self.daemon = build_daemon(self.cfg, layout.load("load-cells-4"), None, self.clock,
                                   headless=True)
        self.t0 = self.clock.monotonic()
        self.buzzes: list[tuple[float, bytes]] = []
        self._buf = b""

    def play(self, frame: bytes, seconds: float) -> None:
        for _ in range(int(seconds * HZ)):
            os.write(self.master, frame)
            self.clock.advance(1 / HZ)
            self.daemon.step(0.05)
            while select.select([self.master], [], [], 0)[0]:
                self._buf += os.read(self.master, 4096)
            *lines, self._buf = self._buf.split(b"\n")
            now = self.clock.monotonic() - self.t0
            # (the pty may echo our first frames before the daemon sets it raw)
            self.buzzes += [(now, ln) for ln in lines if ln.startswith((b"BUZZ", b"VIBE"))]

    def close(self) -> None:
        self.daemon.close()


def test_strict_mode_buzzes_until_the_seat_is_empty(serial_pty) -> None:
    chair = Chair(*serial_pty, strict=True, strict_every=60)
    try:
        chair.play(SEATED, 300)  # the nudge at 2 min, then three more minutes seated
        chair.play(EMPTY, 120)
        chair.play(SEATED, 60)  # back within min_break: the same spell, no new nudge yet
    finally:
        chair.close()
    times = [t for t, line in chair.buzzes if line == b"BUZZ 3"]
    assert len(times) == 4, chair.buzzes  # the nudge at ~2 min, then at 3, 4 and 5 min
    assert 120 <= times[0] <= 126
    assert all(59 <= b - a <= 61 for a, b in itertools.pairwise(times))
    assert times[-1] <= 303  # nothing once the seat emptied, nor after sitting down again


def test_a_snooze_stops_strict_buzzing(serial_pty) -> None:
    chair = Chair(*serial_pty, strict=True, strict_every=60)
    try:
        chair.play(SEATED, 190)  # the nudge and one repeat
        path = control_path(chair.cfg)
        control.write(path, control.change(control.read(path), "snooze", chair.clock.now(),
                                           timedelta(minutes=30)))
        chair.play(SEATED, 240)
    finally:
        chair.close()
    times = [t for t, line in chair.buzzes if line == b"BUZZ 3"]
    assert len(times) == 2 and times[-1] < 190, chair.buzzes


def test_without_strict_mode_the_nudge_buzzes_once(serial_pty) -> None:
    chair = Chair(*serial_pty)
    try:
        chair.play(SEATED, 400)
    finally:
        chair.close()
    assert [line for _, line in chair.buzzes] == [b"BUZZ 3"]
