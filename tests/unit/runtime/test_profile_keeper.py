"""The daemon keeps what sitting taught in the profile's file (sitwatch.runtime.assemble.
ProfileKeeper), never over a profile that replaced it while it ran."""

from __future__ import annotations

import logging
import stat
from datetime import UTC, datetime

import numpy as np
import pytest

from sitwatch.runtime.assemble import ProfileKeeper
from sitwatch.sensing import calibration, layout

LAY = layout.load("smartchair-12")


def profile(upright: float = 500.0, when: int = 1) -> calibration.Profile:
    p = calibration.from_arrays(LAY, tare=np.zeros(12), upright=np.full(12, upright),
                                method="recording")
    return p.model_copy(update={"created": datetime(2026, 11, when, 9, tzinfo=UTC)})


def learned(p: calibration.Profile, ways: int = 1) -> calibration.Profile:
    way = [600.0] * 12
    return p.model_copy(update={"learned": calibration.Learned(
        upright_away=way, upright_away2=[650.0] * 12 if ways > 1 else None)})


def test_what_was_learned_is_written_beside_the_calibration(tmp_path) -> None:
    path = tmp_path / "calibration-smartchair-12.json"
    start = profile()
    start.save(path)
    keep = ProfileKeeper(path, calibration.load(path))
    keep(learned(start))
    keep(learned(start, ways=2))  # a second way later that day: written again
    got = calibration.load(path)
    assert got.learned is not None and got.learned.ways == 2
    assert (got.created, got.upright) == (start.created, start.upright)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_profile_learned_from_nothing_is_saved_where_none_was(tmp_path) -> None:
    path = tmp_path / "sub" / "calibration-smartchair-12.json"
    keep = ProfileKeeper(path, None)
    auto = profile().model_copy(update={"method": "auto"})
    keep(auto)
    keep(learned(auto))  # its later learning goes into the same file
    assert calibration.load(path).learned is not None


@pytest.mark.parametrize("started_with", ["a profile", "none"])
def test_a_calibration_taken_while_the_daemon_runs_is_never_written_over(
    tmp_path, caplog, started_with
) -> None:
    path = tmp_path / "calibration-smartchair-12.json"
    start = profile() if started_with == "a profile" else None
    if start is not None:
        start.save(path)
    keep = ProfileKeeper(path, start)
    new = profile(upright=700.0, when=2)  # `sitwatch calibrate` meanwhile
    new.save(path)
    with caplog.at_level(logging.WARNING, logger="sitwatch"):
        keep(learned(start or profile()))
        keep(learned(start or profile(), ways=2))
    got = calibration.load(path)
    assert got.upright == new.upright and got.learned is None
    warned = [r.getMessage() for r in caplog.records]
    assert len(warned) == 1 and "changed since sitwatch started" in warned[0]
    assert "restart sitwatch" in warned[0]
