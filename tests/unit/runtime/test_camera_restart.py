"""A camera-only daemon carries the sitting spell and the sitter's absence over a restart, as a
cushion's does (``Daemon.resume_spell``; through ``build_daemon`` and `sitwatch report` in
tests/integration/test_restart_spells_camera.py). Before, it returned at once without a cushion:
the spell started again from zero and a break across the restart was lost."""

from __future__ import annotations

import pytest

from sitwatch.camera.pipeline import CameraPipeline
from sitwatch.camera.source import PoseReading
from sitwatch.config import Config
from sitwatch.core.clock import ManualClock
from sitwatch.core.kinds import Occupancy
from sitwatch.history.store import Store
from sitwatch.runtime.daemon import Camera, Daemon
from sitwatch.sensing import layout
from tests.helpers.doubles import Collect, ScriptedCamera, camera_profile, upright_pose

CFG = Config(detect={"sit_limit": 1800, "occupancy": {"min_break": 120}})
LAY = layout.load("load-cells-4")


def seated(pl: CameraPipeline, start: float, end: float) -> list:
    return [ev for t in range(int(start), int(end))
            for ev in pl.process(PoseReading(float(t), upright_pose(), True))]


def test_the_camera_pipeline_carries_a_spell_on_as_the_cushion_s_does() -> None:
    pl = CameraPipeline(CFG.camera, camera_profile(), main=CFG)
    (ev,) = pl.resume_spell(1000.0, spell=1500.0, away=30.0)
    assert (ev.event, ev.state) == ("spell_resumed", Occupancy.OCCUPIED)
    assert ev.data == {"spell": 1500.0, "away": 30.0, "source": "camera"}
    evs = seated(pl, 1000, 1100)  # back in view: no break, the spell goes on
    assert not [e for e in evs if e.event == "break"]
    assert pl.snapshot(1100.0).spell == pytest.approx(1500.0 + 30.0 + 100.0)


def test_the_camera_pipeline_ends_a_carried_absence_in_a_break() -> None:
    pl = CameraPipeline(CFG.camera, camera_profile(), main=CFG)
    (ev,) = pl.resume_spell(1000.0, spell=1500.0, away=300.0, seat=Occupancy.EMPTY)
    assert ev.state == Occupancy.EMPTY
    (brk,) = [e for e in seated(pl, 1000, 1010) if e.event == "break"]
    assert brk.get("spell") == 1500.0
    assert brk.get("duration") == pytest.approx(300.0 + 3.0, abs=1.0)  # the presence dwell
    assert pl.snapshot(1010.0).spell < 10


def test_with_a_cushion_the_camera_carries_nothing() -> None:
    """Fused, the cushion's pipeline owns the timer and carries the spell."""
    pl = CameraPipeline(CFG.camera, camera_profile(), owns_occupancy=False)
    assert pl.resume_spell(1000.0, spell=1500.0, away=30.0) == []
    owner = CameraPipeline(CFG.camera, camera_profile(), main=CFG)
    assert owner.resume_spell(1000.0, spell=0.0, away=30.0) == []
    assert owner.resume_spell(1000.0, spell=10.0, away=-1.0) == []


def test_a_camera_only_daemon_resumes_the_spell_and_tells_the_history(tmp_path) -> None:
    clock = ManualClock(monotonic=50.0)
    sink = Collect()
    store = Store(tmp_path / "h.sqlite", clock)
    cam = ScriptedCamera(clock, [(100, True)], advance=False)
    d = Daemon(CFG, LAY, None, clock, sinks=sink, store=store,
               camera=Camera(cam, CameraPipeline(CFG.camera, camera_profile(), main=CFG)))
    d.resume_spell(1500.0, 30.0, "r0")
    (ev,) = [e for e in sink.events if e.event == "spell_resumed"]
    assert ev.get("continues") == "r0" and ev.get("source") == "camera"
    while clock.monotonic() < 150:
        clock.advance(1.0)
        d.step(0)
    assert d.snapshot().spell == pytest.approx(1500.0 + 30.0 + 100.0, abs=1.5)
    assert not [e for e in sink.events if e.event == "break"]
    d.close()


def test_a_camera_only_run_is_stored_without_a_cushion_layout(tmp_path) -> None:
    """The history's run row of a camera alone names the camera and no layout: it stored the
    config's cushion layout (load-cells-4 here), of a cushion that did not run. A run with a
    cushion keeps the cushion's."""
    import sqlite3

    from tests.unit.runtime.test_daemon import SEATED, ScriptSource

    clock = ManualClock()
    cam = ScriptedCamera(clock, [(10, True)], advance=False)
    Daemon(CFG, LAY, None, clock, store=Store(tmp_path / "h.sqlite", clock),
           camera=Camera(cam, CameraPipeline(CFG.camera, camera_profile(), main=CFG))).close()
    Daemon(CFG, LAY, ScriptSource(clock, [(10, SEATED)]), clock,
           store=Store(tmp_path / "h.sqlite", clock)).close()
    with sqlite3.connect(tmp_path / "h.sqlite") as conn:
        rows = conn.execute("SELECT layout, source FROM runs ORDER BY started").fetchall()
    assert [r[0] for r in rows] == [None, "load-cells-4"], rows
    assert rows[0][1].startswith("camera:"), rows


def test_a_fused_daemon_still_resumes_on_the_cushion_s_timer() -> None:
    from tests.unit.runtime.test_daemon import SEATED, ScriptSource

    clock = ManualClock()
    cfg = Config()
    cam_pl = CameraPipeline(cfg.camera, camera_profile(), owns_occupancy=False)
    sink = Collect()
    d = Daemon(cfg, LAY, ScriptSource(clock, [(60, SEATED)]), clock, sinks=sink,
               camera=Camera(ScriptedCamera(clock, [(60, True)], advance=False), cam_pl))
    d.resume_spell(1500.0, 30.0, "r0")
    (ev,) = [e for e in sink.events if e.event == "spell_resumed"]
    assert ev.get("source") is None  # the cushion's, as before
    assert d.pipeline is not None and d.pipeline.timer.spell(clock.monotonic()) == 1500.0
    assert cam_pl.timer is None
    d.close()


# -- the spell the status shows while the sitter is briefly away ---------------------------------

def away(pl: CameraPipeline, start: float, end: float) -> list:
    """Nobody in view, a look a second."""
    from sitwatch.camera import features as F

    return [ev for t in range(int(start), int(end))
            for ev in pl.process(PoseReading(float(t), F.ABSENT, False))]


def test_camera_only_a_short_absence_shows_the_spell_so_far_as_a_cushion_does() -> None:
    """Up for a minute (under min_break): the spell stands still at what was sat, as a
    cushion's timer shows it (docs/presence.md); it read 0, so `sitwatch status`, the status bar
    and Home Assistant said the sitter had not been sitting at all. After a break it is 0."""
    pl = CameraPipeline(CFG.camera, camera_profile(), main=CFG)
    seated(pl, 0, 600)
    left = [e for e in away(pl, 600, 660) if e.event == "occupancy"]
    assert [e.state for e in left] == [Occupancy.EMPTY]
    snap = pl.snapshot(660.0)
    assert snap.occupancy == Occupancy.EMPTY
    assert snap.spell == pytest.approx(left[0].t - snap.spell_start)  # type: ignore[operator]
    assert snap.spell == pytest.approx(600, abs=5)
    assert pl.snapshot(600.0 + 200).spell == 0.0  # away past min_break: a break


def test_camera_only_the_spell_carried_over_a_restart_shows_before_the_camera_decides() -> None:
    """Just started, the camera not sure yet whether anyone sits: the carried spell, as the
    cushion shows it before its first frames (it read 0 until the camera's presence dwell)."""
    pl = CameraPipeline(CFG.camera, camera_profile(), main=CFG)
    pl.resume_spell(1000.0, spell=1500.0, away=30.0)
    assert pl.snapshot(1000.0).occupancy is None
    assert pl.snapshot(1000.0).spell == pytest.approx(1500.0)
