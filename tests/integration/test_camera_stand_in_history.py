"""`sitwatch report` counts the spell `sitwatch status` showed when the camera stood in for an
offline cushion (fusion rule O2), and the time it saw the seat occupied as sitting, even when it
was blind for a short while.

The daemon `sitwatch run` builds (``build_daemon``) on a load-cell cushion on a pseudo-terminal
that goes silent, and a webcam (a scripted pose source: ``build_camera`` is the seam, the pose
model the only part left out) unplugged for 100 s meanwhile, in accelerated time (a
ManualClock), with a real history file and status file; then `sitwatch report` in a
subprocess. The live timer left the 100 s out of the spell; nothing recorded them, so the report
counted a spell of 6 min where the status had said 4 (the silence before the cushion
counted as offline was left in too). And the history counted a seat as occupied only while the
cushion was online: the report said "Sitting 2 min" beside "Longest spell 4 min (from 09:00,
with short absences)", absences the sitter never took."""

from __future__ import annotations

import json
from collections.abc import Callable
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
from tests.helpers.report_text import rows_joined
from tests.integration.test_nudge_accounting import SEATED, Chair
from tests.integration.test_restart_spells import report, row

pytestmark = pytest.mark.integration


def stand_in(serial_pty: tuple[int, str], monkeypatch: pytest.MonkeyPatch,
             webcam: UnpluggedCamera,
             on_cushion: Callable[[Chair], object] = lambda chair: chair.play(SEATED, 120),
             ) -> tuple[Chair, dict[str, Any]]:
    """Seated 2 min on the cushion in view of ``webcam`` (as ``on_cushion`` plays it), then the
    cushion silent until 6 min and the camera standing in; the daemon's status at the end, and
    the chair (stopped)."""
    master, port = serial_pty
    clock = webcam.clock

    def build_camera(cfg: Config, clk: Any, *, with_cushion: bool) -> Camera:
        assert with_cushion and clk is clock
        return Camera(webcam, CameraPipeline(cfg.camera, camera_profile(), owns_occupancy=False))

    monkeypatch.setattr(assemble, "build_camera", build_camera)
    chair = Chair(master, port, {}, clock=clock)
    try:
        on_cushion(chair)  # seated on the cushion, in view of the camera
        while clock.monotonic() < 360:  # the cushion silent: the camera stands in
            clock.advance(0.5)
            chair.daemon.step(0)
        assert chair.daemon.status is not None
        chair.daemon.status.write()
        st = read_status(status_path(chair.cfg), clock)
    finally:
        chair.close()
    return chair, st


def test_a_short_blind_gap_of_the_stand_in_camera_is_left_out_of_the_report(
        serial_pty, monkeypatch) -> None:
    clock = ManualClock()  # 2026-01-05 09:00 UTC
    webcam = UnpluggedCamera(clock, 200, 300)  # unplugged 100 s, under min_break (120 s)
    chair, st = stand_in(serial_pty, monkeypatch, webcam)
    # seated 360 s, of which nothing saw 10 s (the cushion's silence before it counts as
    # offline, from its last frame) and 103 s (the camera unplugged, then its presence dwell)
    assert st["spell_seconds"] == pytest.approx(245, abs=4), st

    text = report(history_path(chair.cfg), "2026-01-05")
    assert "Longest spell    4 min (from 09:00)" in rows_joined(text), text  # it said 6 min
    # the seated time seen (the cushion's 2 min, the camera's 2 min); it said 2 min
    assert row(text, "Sitting").split()[-2:] == ["4", "min"], text
    assert row(text, "Breaks").split()[-1] == "0", text


def test_the_time_the_camera_stands_in_is_sitting_time_in_the_report(
        serial_pty, monkeypatch) -> None:
    """Seated 6 min, the last 4 seen by the camera alone: `sitwatch report` says 6 min of
    sitting and a spell of 6 min with no note, as `sitwatch status` counted it, and the posture
    the camera saw. It said "Sitting 2 min" and "Longest spell 6 min (from 09:00, with short
    absences)", and the posture shares were the cushion's 2 min only."""
    clock = ManualClock()  # 2026-01-05 09:00 UTC
    chair, st = stand_in(serial_pty, monkeypatch, UnpluggedCamera(clock, 1e6, 1e6))
    assert st["spell_seconds"] == pytest.approx(348, abs=4), st  # 10 s of silence unseen

    history = history_path(chair.cfg)
    text = report(history, "2026-01-05")
    assert row(text, "Sitting").split()[-2:] == ["6", "min"], text
    assert "Longest spell    6 min (from 09:00)\n" in rows_joined(text), text
    assert row(text, "Cushion offline").split()[-2:] == ["4", "min"], text
    week = json.loads(report(history, "2026-01-05", "--week", "--format", "json"))
    monday = next(d for d in week["days"] if d["date"] == "2026-01-05")
    assert monday["sitting_minutes"] == pytest.approx(st["spell_seconds"] / 60, abs=0.15)
    assert monday["longest_spell_minutes"] == pytest.approx(monday["sitting_minutes"], abs=0.1)
    assert monday["posture_share"]["upright"] >= 0.95, monday  # the camera's upright counts


def test_the_console_tells_the_stand_ins_return_from_the_cameras_own(serial_pty, monkeypatch,
                                                                     capsys) -> None:
    """`sitwatch run` without --json (the console's lines), same scene: the camera coming back
    is "sensor: online (camera)"; a few seconds later, standing in, it sees the seat again (the
    ``sensor`` ``online`` event with ``rule`` O2 and ``unseen``), and the console said "sensor:
    online (camera)" a second time. It says what that one means: the time nothing saw the seat
    is left out of the spell. The event itself (JSON, history) is as it was."""
    master, port = serial_pty
    clock = ManualClock()
    webcam = UnpluggedCamera(clock, 200, 300)

    def build_camera(cfg: Config, clk: Any, *, with_cushion: bool) -> Camera:
        return Camera(webcam, CameraPipeline(cfg.camera, camera_profile(), owns_occupancy=False))

    monkeypatch.setattr(assemble, "build_camera", build_camera)
    chair = Chair(master, port, {"console": True}, clock=clock)
    try:
        chair.play(SEATED, 120)
        while clock.monotonic() < 360:
            clock.advance(0.5)
            chair.events += chair.daemon.step(0)
    finally:
        chair.close()
    lines = [ln.split(" · ", 1)[1] for ln in capsys.readouterr().out.splitlines() if " · " in ln]
    assert lines.count("sensor: online (camera)") == 1, lines  # the camera's own return
    stand_in = [e for e in chair.events if e.event == "sensor" and e.get("rule") == "O2"]
    # when the silent cushion counted as offline (its 10 s of silence), and after the gap
    assert [e.get("unseen") for e in stand_in] == pytest.approx([10, 103], abs=2)
    said = [f"camera stands in for the offline cushion: {e.get('unseen'):.0f} s unseen, left "
            "out of the sitting spell" for e in stand_in]
    assert [ln for ln in lines if ln.startswith("camera stands in")] == said, lines
    assert lines.index(said[1]) == lines.index("sensor: online (camera)") + 1, lines


def test_what_only_the_cushion_measures_is_over_the_time_it_saw(serial_pty, monkeypatch) -> None:
    """Seated 6 min, the first 2 on the cushion (the weight on the left for one of them, and
    shifted back and forth), the last 4 seen by the camera standing in: `sitwatch report` takes
    the lopsided minutes and the weight shifts per hour over the cushion's 2 min, and says so.
    It read them over the 6 min of sitting: the shifts per hour a third of what they were, and
    the camera's minutes counted as sat evenly (and JSON had nothing to tell them apart)."""
    from tests.integration.test_nudge_accounting import LEFT

    def lopsided_then_even(chair: Chair) -> None:
        for _ in range(3):  # three leans to the left and back: six shifts
            chair.play(LEFT, 10)
            chair.play(SEATED, 10)
        chair.play(LEFT, 60)

    clock = ManualClock()  # 2026-01-05 09:00 UTC
    chair, _st = stand_in(serial_pty, monkeypatch, UnpluggedCamera(clock, 1e6, 1e6),
                          lopsided_then_even)
    shifts = [e for e in chair.events if e.event == "stillness" and e.state == "shift"]
    assert len(shifts) >= 2, chair.events

    history = history_path(chair.cfg)
    day = report(history, "2026-01-05")
    assert row(day, "Sitting").split()[-2:] == ["6", "min"], day
    lopsided = row(day, "Lopsided")
    assert lopsided.endswith("of the 2 min the cushion saw (more weight on the left)"), day

    week = report(history, "2026-01-05", "--week")
    words = row(week, "Weight shifts")
    assert words.endswith(" an hour seated (over the 2 min the cushion saw)"), week
    rate = int(words.split("about ")[1].split()[0])  # it said a third: over 6 min
    assert rate == pytest.approx(len(shifts) / (2 / 60), rel=0.05), week

    doc = json.loads(report(history, "2026-01-05", "--format", "json"))
    (monday,) = doc["days"]
    assert monday["sitting_minutes"] == pytest.approx(6, abs=0.3)
    assert monday["cushion_minutes"] == pytest.approx(2, abs=0.1)
    assert 0.5 <= monday["lopsided_left_minutes"] <= monday["cushion_minutes"]



def test_the_report_says_what_became_of_the_time_the_camera_stood_in(
        serial_pty, monkeypatch, tmp_path) -> None:
    """Seated 6 min, the last 4 seen by the camera standing in for the silent cushion:
    `sitwatch report` said the cushion's offline time was "missing from these numbers"
    (Markdown, the weekly page), of minutes it counted as sitting. Now it says a camera saw you
    seated all that time, and that it counts."""
    clock = ManualClock()  # 2026-01-05 09:00 UTC
    chair, _st = stand_in(serial_pty, monkeypatch, UnpluggedCamera(clock, 1e6, 1e6))
    history = history_path(chair.cfg)

    md = report(history, "2026-01-05", "--format", "md")
    offline = row(md, "- **Cushion offline:**")
    assert offline == ("- **Cushion offline:** 4 min (a camera saw you seated all that time, "
                       "and it counts as sitting here)"), md  # "(missing from these numbers)"
    page = tmp_path / "week.html"
    report(history, "2026-01-05", "--week", "--format", "html", "-o", str(page))
    assert ("The cushion was offline for 4 min this week; a camera saw you seated all that "
            "time, and it counts as sitting here.") in page.read_text()


def test_the_diary_reads_the_balance_over_the_time_the_cushion_saw(serial_pty,
                                                                   monkeypatch) -> None:
    """Same scene, then a numbness entry in the diary: the week's report said "weight on one
    side 0 min" for the two hours before it, over the 4 min only the camera saw as well (an
    even balance nobody measured); now it is over the 2 min the cushion saw."""
    import sqlite3

    from sitwatch.core.kinds import SymptomKind
    from sitwatch.history.diary import SymptomEntry, add_entry

    clock = ManualClock()  # 2026-01-05 09:00 UTC
    chair, _st = stand_in(serial_pty, monkeypatch, UnpluggedCamera(clock, 1e6, 1e6))
    history = history_path(chair.cfg)
    with sqlite3.connect(history) as conn:  # as `sitwatch log` keeps it, when the 6 min end
        add_entry(conn, SymptomEntry(at=clock.now(), kind=SymptomKind.NUMBNESS))

    week = " ".join(report(history, "2026-01-05", "--week").split())  # the lines unwrapped
    assert ("Mon 09:06 Numbness in the two hours before: longest unbroken sitting 6 min, weight "
            "on one side 0 min of the 2 min the cushion saw, something") in week, week
