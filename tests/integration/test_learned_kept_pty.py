"""The daemon ``sitwatch run`` builds keeps what sitting taught in the profile it found, and
never writes a profile named with ``--calibration``: vanessa's working day (the real
SmartChair-ML recording, free-use order 0) sent as serial lines down a pseudo-terminal in
accelerated time (a ManualClock stamps the frames), her calibration where `sitwatch calibrate`
saves it. Her upright clear of the backrest is learned after about 35 minutes of that day, and
the daemon's console channel says so."""

from __future__ import annotations

import pytest

from sitwatch.core.clock import ManualClock
from sitwatch.evaluation import datasets, reorder
from sitwatch.runtime.assemble import build_daemon
from sitwatch.runtime.files import profile_path
from sitwatch.sensing import calibration
from tests.helpers.virtual_cushion import recording_daemon_config, send_frame

pytestmark = [pytest.mark.integration, pytest.mark.datasets]
LEARNED_BY = 3 * 3600.0  # seconds of the day to give up after


@pytest.mark.parametrize("named", [False, True], ids=["found profile", "--calibration FILE"])
def test_the_daemon_keeps_what_it_learned_in_the_profile_it_found(
    serial_pty, datasets_dir, named, capsys
) -> None:
    master, port = serial_pty
    day = reorder.working_day(datasets.smartchair(
        datasets_dir / "smartchair-ml" / "scripted_vanessa.csv"), 0)
    cfg = recording_daemon_config(port, day, console=True)
    path = profile_path(cfg)
    prof = calibration.load(path)
    before = path.read_bytes()
    clock = ManualClock()
    daemon = build_daemon(cfg, day.layout, calibration.load(path), clock, headless=True,
                          keep_learned=not named)
    dt = float(day.t[1] - day.t[0])
    learned = []
    try:
        for values in day.values[: int(LEARNED_BY / dt)]:
            send_frame(master, values)
            clock.advance(dt)
            evs = daemon.step(0.05)
            learned += [e for e in evs if e.event == "calibration" and e.state == "learned"]
            if learned:
                break
    finally:
        daemon.close()
    assert learned, "no way of sitting upright clear of the backrest was learned"
    # the daemon's own console channel told the sitter, with how to answer it
    shown = [ln for ln in capsys.readouterr().out.splitlines() if "Learned how you sit" in ln]
    assert len(shown) == 1 and "sitwatch feedback wrong learned" in shown[0], shown
    if named:
        assert path.read_bytes() == before  # the user's own file is never written
        return
    kept = calibration.load(path)
    assert kept.learned is not None and kept.learned.ways == learned[0].get("ways") == 1
    assert kept.upright == prof.upright and kept.created == prof.created
