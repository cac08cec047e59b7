"""`sitwatch status` shows a webcam-only sitter's spell so far while they are briefly away, and
the spell carried over a restart before the camera has decided, as it does with a cushion (the
spell stands still during a short absence, and is 0 during a break: docs/presence.md).

The daemon `sitwatch run` builds with only a camera (as in test_restart_spells_camera.py: a
scripted pose source through the ``build_camera`` seam, a ManualClock, the real status file),
and the `sitwatch status` command (``--json`` for scripts, ``--waybar`` for a status bar) run
while it runs. The spell read 0 whenever nobody was in view, as after a break, and the status
bar's share of the sitting limit with it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sitwatch.core.clock import ManualClock
from tests.integration.test_nudge_accounting import cli
from tests.integration.test_restart_spells_camera import Webcam, restarted

pytestmark = pytest.mark.integration


def steps_until(cam: Webcam, t: float) -> None:
    """The daemon's loop until its clock reaches ``t`` (a step a second), the status written."""
    while cam.clock.monotonic() < t - 1e-9:
        cam.clock.advance(1.0)
        cam.events += cam.daemon.step(0)
    assert cam.daemon.status is not None
    cam.daemon.status.write()


def status(tmp_path: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """`sitwatch status --json` and `sitwatch status --waybar`, as the sitter runs them."""
    code, out, err = cli(tmp_path, "status", "--json")
    assert code == 0 and "Traceback" not in err, (out, err)
    code, bar, err = cli(tmp_path, "status", "--waybar")
    assert code == 0 and "Traceback" not in err, (bar, err)
    return json.loads(out), json.loads(bar)


def test_camera_only_a_short_absence_shows_the_spell_so_far(monkeypatch, tmp_path) -> None:
    """Seated 15 min of a 30 min limit, then up for a minute (under min_break): the spell so
    far, 15 min, half the limit on the bar (it said 0 and 0%); after a break, 0."""
    # the wall clock at 960 s is now: the status bar reads the status as fresh, not stuck
    clock = ManualClock(start=datetime.now(UTC) - timedelta(seconds=955))
    cam = Webcam(monkeypatch, clock, [(900, True), (60, False), (200, False)])
    try:
        steps_until(cam, 960)
        st, bar = status(tmp_path)
        assert st["occupancy"] == "empty", st
        assert st["spell_seconds"] == pytest.approx(900, abs=8), st
        assert st["spell_seconds"] == st["left_spell_seconds"], st
        assert bar["alt"] == "empty" and bar["percentage"] == 50, bar

        steps_until(cam, 1160)  # away past min_break: a break
        st, _bar = status(tmp_path)
        assert st["spell_seconds"] == 0, st
    finally:
        cam.daemon.close()


def test_camera_only_a_spell_carried_over_a_restart_shows_before_the_camera_decides(
        monkeypatch, tmp_path) -> None:
    """Restarted after 10 min seated (stopped 30 s): until the camera has seen who sits (its
    presence dwell), the status shows the 10 min carried on, standing still as a cushion's does
    before its first frames (it said 0); once it has, the spell goes on from there, the time
    stopped included."""
    clock = ManualClock()
    Webcam(monkeypatch, clock, [(600, True)]).play()
    clock = restarted(clock, 30)
    cam = Webcam(monkeypatch, clock, [(60, True)])
    try:
        steps_until(cam, 1)
        st, _bar = status(tmp_path)
        assert st["occupancy"] is None, st
        assert st["spell_seconds"] == pytest.approx(600, abs=8), st
        steps_until(cam, 30)
        st, _bar = status(tmp_path)
        assert st["occupancy"] == "occupied", st
        assert st["spell_seconds"] == pytest.approx(600 + 30 + 30, abs=8), st
    finally:
        cam.daemon.close()
