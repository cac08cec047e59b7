"""The daemon feeds the history's seat pressure maps from the snapshot's per-channel loads, only
while someone sits (issue #11)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sitwatch.core.clock import ManualClock
from sitwatch.history.pressure import maps_between
from sitwatch.history.store import Store
from tests.unit.runtime.test_daemon import EMPTY, SEATED, drive, make


def test_seated_frames_become_a_pressure_map_of_the_seated_time(tmp_path) -> None:
    d, clock, _sink, _store, _saved = make(tmp_path, [(60, EMPTY), (600, SEATED), (60, EMPTY)])
    drive(d, 720)
    d.close()
    st = Store(tmp_path / "h.sqlite", ManualClock(clock.now()), readonly=True)
    start, end = clock.now() - timedelta(hours=2), clock.now() + timedelta(minutes=1)
    maps = maps_between(st, start, end)
    occupied = sum(m.seconds_occupied for m in st.minutes_between(start, end))
    st.close()
    m = maps["load-cells-4"]["all"]
    assert m.seconds == pytest.approx(occupied, abs=1.0)  # the same seconds as the rollups
    assert 590 <= m.seconds <= 605
    full = 65535.0
    # each cell's load as a share of full scale (the empty seat's readings are near zero)
    for got, reading, empty in zip(m.means, SEATED, EMPTY, strict=True):
        assert got == pytest.approx((reading - empty) / full, abs=0.005)
    assert set(maps["load-cells-4"]) - {"all"}  # per posture too
