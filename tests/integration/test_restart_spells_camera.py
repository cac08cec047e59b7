"""A webcam-only sitter's spell and breaks go on through a restart of the daemon, as a cushion
sitter's do (tests/integration/test_restart_spells.py).

The daemon `sitwatch run` builds (``build_daemon``: the status file of the last daemon read,
the spell carried on, the real status file and SQLite history) with only a camera, in
accelerated time (a ManualClock per run). The webcam is a scripted pose source standing in for
the real one (``build_camera`` is the seam: the pose model is the only part left out). Then
`sitwatch report` in a subprocess on that history, as the sitter runs it.

Before, a camera-only daemon carried nothing over a restart: the spell started again from zero
(the "time to get up" nudge came as late as the time sat before the restart), the history split
the spell in two, and a break taken across the restart was never counted.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from typing import Any

import pytest

from sitwatch.camera.pipeline import CameraPipeline
from sitwatch.config import Config
from sitwatch.core.clock import ManualClock
from sitwatch.core.events import Event
from sitwatch.runtime import assemble
from sitwatch.runtime.daemon import Camera, Daemon
from sitwatch.runtime.files import history_path, status_path
from sitwatch.runtime.status import read_status
from sitwatch.sensing import layout
from tests.helpers.doubles import ScriptedCamera, camera_profile
from tests.helpers.report_text import rows_joined
from tests.integration.test_restart_spells import report, row

pytestmark = pytest.mark.integration

CFG = Config.model_validate({
    "detect": {"sit_limit": 1800, "occupancy": {"min_break": 120}},
    "nudges": {"desktop": False, "console": False, "dnd": {"enabled": False}},
})
LAY = layout.load(CFG.cushion.layout)  # what `sitwatch run` passes without a cushion


class Webcam:
    """`sitwatch run` with only a webcam, in a ManualClock's time: one run of the daemon."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, clock: ManualClock,
                 schedule: list[tuple[float, bool]]) -> None:
        self.clock = clock
        cam = ScriptedCamera(clock, schedule, advance=False)

        def build_camera(cfg: Config, clk: Any, *, with_cushion: bool) -> Camera:
            assert not with_cushion and clk is clock
            return Camera(cam, CameraPipeline(cfg.camera, camera_profile(), main=cfg))

        monkeypatch.setattr(assemble, "build_camera", build_camera)
        self.daemon: Daemon = assemble.build_daemon(CFG, LAY, None, clock, headless=True)
        self.events: list[Event] = []
        self.end = clock.monotonic() + cam.ends[-1][0]

    def play(self) -> None:
        """The whole schedule, a daemon step a second, then the daemon stopped."""
        try:
            while self.clock.monotonic() < self.end - 1e-9:
                self.clock.advance(1.0)
                self.events += self.daemon.step(0)
            assert self.daemon.status is not None
            self.daemon.status.write()
        finally:
            self.daemon.close()


def restarted(clock: ManualClock, after: float) -> ManualClock:
    """The clock of a daemon started ``after`` seconds after the last one stopped."""
    return ManualClock(start=clock.now() + timedelta(seconds=after), monotonic=0.0)


def status_now() -> dict[str, Any]:
    return read_status(status_path(CFG), ManualClock(), stale_after=float("inf"))


def test_camera_only_a_spell_goes_on_through_a_short_restart(monkeypatch) -> None:
    """Seated 10 min in front of the webcam, sitwatch restarted (stopped 1 min), 5 more
    minutes: the live timer says 16 min (the minute stopped counted, as for a cushion), and
    `sitwatch report` one spell of 16 min, no break. It said 5 min, and two spells."""
    clock = ManualClock()  # 2026-01-05 09:00 UTC
    Webcam(monkeypatch, clock, [(600, True)]).play()
    st = status_now()
    assert st["occupancy"] == "occupied" and st["running"] is False, st

    clock = restarted(clock, 60)
    second = Webcam(monkeypatch, clock, [(300, True)])
    second.play()
    st = status_now()
    # seated from 09:00:0x to 09:16, the minute stopped included
    assert st["spell_seconds"] == pytest.approx(960, abs=8), st
    assert not [e for e in second.events if e.event == "break"]

    text = report(history_path(CFG), "2026-01-05")
    assert "Longest spell    16 min (from 09:00, with sitwatch restarts)" \
        in rows_joined(text), text
    assert row(text, "Breaks").split()[-1] == "0", text
    week = json.loads(report(history_path(CFG), "2026-01-05", "--week", "--format", "json"))
    monday = next(d for d in week["days"] if d["date"] == "2026-01-05")
    assert 15.8 <= monday["longest_spell_minutes"] <= 16.1, monday
    assert monday["breaks"] == 0, monday
    with sqlite3.connect(history_path(CFG)) as conn:
        said = conn.execute("SELECT state, data FROM events WHERE event = 'spell_resumed'")
        (state, data), = said.fetchall()
    assert state == "occupied" and json.loads(data)["source"] == "camera", data


def test_camera_only_a_break_over_a_restart_with_nobody_in_view_is_counted(monkeypatch) -> None:
    """Seated 5 min, got up (nobody in view) 30 s before sitwatch stopped, started again 10
    min later with the sitter back: one break of 10.5 min after a spell of 5 min, the time no
    daemon ran included (it said "Breaks 0", and the spell was 7 min)."""
    clock = ManualClock()
    Webcam(monkeypatch, clock, [(300, True), (30, False)]).play()
    st = status_now()
    assert st["occupancy"] == "empty" and st["away_seconds"] == pytest.approx(30, abs=5), st

    clock = restarted(clock, 600)
    second = Webcam(monkeypatch, clock, [(120, True)])
    second.play()
    (brk,) = [e for e in second.events if e.event == "break"]
    assert brk.get("duration") == pytest.approx(630, abs=8)
    assert brk.get("spell") == pytest.approx(300, abs=8)
    assert status_now()["spell_seconds"] == pytest.approx(120, abs=8)

    text = report(history_path(CFG), "2026-01-05")
    assert row(text, "Breaks").split()[-1] == "1", text
    assert "Longest spell    5 min (from 09:00)" in rows_joined(text), text
    week = json.loads(report(history_path(CFG), "2026-01-05", "--week", "--format", "json"))
    monday = next(d for d in week["days"] if d["date"] == "2026-01-05")
    assert monday["breaks"] == 1, monday
    assert 10.4 <= monday["break_minutes"] <= 10.6, monday


def test_camera_only_a_restart_after_min_break_seated_starts_a_new_spell(monkeypatch) -> None:
    """Stopped for 5 min while seated (over min_break): nobody knows whether the sitter left,
    so nothing is carried on, as for a cushion."""
    clock = ManualClock()
    Webcam(monkeypatch, clock, [(600, True)]).play()
    clock = restarted(clock, 300)
    second = Webcam(monkeypatch, clock, [(120, True)])
    second.play()
    assert not [e for e in second.events if e.event in ("spell_resumed", "break")]
    assert status_now()["spell_seconds"] == pytest.approx(120, abs=8)
