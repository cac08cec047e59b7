"""`sitwatch report` counts the spell `sitwatch status` showed when the camera standing in for
an offline cushion (fusion rule O2) was blind for a short while.

The daemon `sitwatch run` builds (``build_daemon``) on a load-cell cushion on a pseudo-terminal
that goes silent, and a webcam (a scripted pose source: ``build_camera`` is the seam, the pose
model the only part left out) unplugged for 100 s meanwhile, in accelerated time (a
ManualClock), with a real history file and status file; then `sitwatch report` in a
subprocess. The live timer left the 100 s out of the spell; nothing recorded them, so the report
counted a spell of 6 min where the status had said 4 (the silence before the cushion
counted as offline was left in too)."""

from __future__ import annotations

from typing import Any

import pytest

from sitwatch.camera.pipeline import CameraPipeline
from sitwatch.config import Config
from sitwatch.core.clock import ManualClock
from sitwatch.runtime import assemble
from sitwatch.runtime.daemon import Camera
from sitwatch.runtime.files import history_path, status_path
from sitwatch.runtime.status import read_status
from tests.helpers.doubles import UnpluggedCamera, camera_profile
from tests.integration.test_nudge_accounting import SEATED, Chair
from tests.integration.test_restart_spells import report, row

pytestmark = pytest.mark.integration


def test_a_short_blind_gap_of_the_stand_in_camera_is_left_out_of_the_report(
        serial_pty, monkeypatch) -> None:
    master, port = serial_pty
    clock = ManualClock()  # 2026-01-05 09:00 UTC
    webcam = UnpluggedCamera(clock, 200, 300)  # unplugged 100 s, under min_break (120 s)

    def build_camera(cfg: Config, clk: Any, *, with_cushion: bool) -> Camera:
        assert with_cushion and clk is clock
        return Camera(webcam, CameraPipeline(cfg.camera, camera_profile(), owns_occupancy=False))

    monkeypatch.setattr(assemble, "build_camera", build_camera)
    chair = Chair(master, port, {}, clock=clock)
    try:
        chair.play(SEATED, 120)  # seated on the cushion, in view of the camera
        while clock.monotonic() < 360:  # the cushion silent: the camera stands in
            clock.advance(0.5)
            chair.daemon.step(0)
        assert chair.daemon.status is not None
        chair.daemon.status.write()
        st = read_status(status_path(chair.cfg), clock)
    finally:
        chair.close()
    # seated 360 s, of which nothing saw 10 s (the cushion's silence before it counts as
    # offline, from its last frame) and 103 s (the camera unplugged, then its presence dwell)
    assert st["spell_seconds"] == pytest.approx(245, abs=4), st

    text = report(history_path(chair.cfg), "2026-01-05")
    assert "Longest spell    4 min (from 09:00" in text, text  # it said 6 min
    assert row(text, "Breaks").split()[-1] == "0", text
