"""The time a camera sees the seat occupied is sitting time in the history, as the live timer
counts it: camera-only, and standing in for an offline cushion (fusion rule O2). Through the
daemon with a ManualClock and a real SQLite history (`sitwatch report` on such a history:
tests/integration/test_camera_stand_in_history.py).

Before, the history's minute rows counted a seat as occupied only while the cushion was online,
so the minutes the camera stood in were neither sitting nor posture: the report said "Sitting
2 min" beside "Longest spell 4 min", and explained the difference with short absences the sitter
never took."""

from __future__ import annotations

from datetime import UTC

import pytest

from sitwatch.core.clock import ManualClock
from sitwatch.core.kinds import Balance, Occupancy, Posture
from sitwatch.history import queries
from sitwatch.history.store import Store
from sitwatch.runtime import describe
from sitwatch.sensing.snapshot import CAMERA_SAW, Snapshot
from tests.helpers.doubles import ScriptedCamera, UnpluggedCamera
from tests.unit.runtime.test_camera_unseen import fused_stand_in


def day(store: Store, clock: ManualClock) -> queries.DaySummary:
    store.flush()
    return queries.day_summary(store, clock.now().date(), UTC)


def test_the_minutes_the_camera_stands_in_are_sitting_time_with_its_posture(tmp_path) -> None:
    """Seated 60 s on the cushion, then 9 min seen by the camera standing in: 10 min of
    sitting, as the spell; the camera's posture for the stand-in, no balance (a camera cannot
    measure it). It counted 1 min of sitting."""
    clock = ManualClock()
    d, _sink, store = fused_stand_in(tmp_path, ScriptedCamera(clock, [(1e6, True)],
                                                              advance=False))
    while clock.monotonic() < 600:
        d.step(0)
    live = d.snapshot().spell
    s = day(store, clock)
    assert s.sitting_minutes == pytest.approx(live / 60, abs=0.1)
    assert s.longest_spell_minutes == pytest.approx(live / 60, abs=0.1)
    assert s.posture_minutes[Posture.UPRIGHT] >= 9.5, s.posture_minutes
    assert sum(s.balance_minutes.values()) <= 1.05  # the cushion's minute only
    assert s.sensor_offline_minutes == pytest.approx(9, abs=0.2)  # the cushion still was
    d.close()


def test_a_blind_gap_of_the_stand_in_is_neither_sitting_nor_in_the_spell(tmp_path) -> None:
    """The camera unplugged for a minute meanwhile: nothing saw the seat, so that minute is
    left out of the sitting time as it is of the spell."""
    clock = ManualClock()
    d, _sink, store = fused_stand_in(tmp_path, UnpluggedCamera(clock, 300, 360))
    while clock.monotonic() < 600:
        d.step(0)
    live = d.snapshot().spell
    assert live == pytest.approx(600 - 60 - 3, abs=4)
    s = day(store, clock)
    assert s.sitting_minutes == pytest.approx(live / 60, abs=0.1)
    assert s.longest_spell is not None and s.longest_spell.absences == 0
    d.close()


class GoesSilent:
    """A cushion seated for ``seated`` s at 5 Hz that then goes quiet, connected: the source
    says so ``quiet`` s after its last frame (``Diagnosis`` with ``since``), as a serial
    source does after its no_data_timeout. The clock advances with every poll."""

    name = "serial:/dev/ttyX"

    def __init__(self, clock: ManualClock, seated: float, quiet: float) -> None:
        self.clock, self.seated, self.quiet = clock, seated, quiet
        self.t0 = clock.monotonic()
        self.last: float | None = None
        self.told = False

    def poll(self, max_wait: float) -> list[object]:
        from sitwatch.sources.base import Diagnosis, Reading
        from tests.unit.runtime.test_daemon import SEATED

        self.clock.advance(0.2)
        t = self.clock.monotonic()
        if t - self.t0 <= self.seated:
            self.last = t
            return [Reading(t, SEATED)]
        if not self.told and self.last is not None and t - self.last >= self.quiet:
            self.told = True
            return [Diagnosis(t, "no data at all from the device", since=self.last)]
        return []

    def stats(self) -> dict[str, object]:
        return {"port": self.name, "online": True}

    def close(self) -> None:
        pass


def test_the_silence_before_the_cushion_counts_as_offline_is_not_sitting(tmp_path) -> None:
    """The cushion quiet for 30 s before it counts as offline, the camera standing in from
    then: nothing saw the seat in those 30 s, so the spell leaves them out, and the sitting time
    too (the first sample of the stand-in counted them as sitting)."""
    from sitwatch.camera.pipeline import CameraPipeline
    from sitwatch.runtime.daemon import Camera, Daemon
    from sitwatch.sensing import calibration
    from tests.helpers.doubles import Collect, camera_profile
    from tests.unit.runtime.test_camera_unseen import CFG, LAY
    from tests.unit.runtime.test_daemon import EMPTY, SEATED

    clock = ManualClock()
    store = Store(tmp_path / "h.sqlite", clock)
    prof = calibration.from_arrays(LAY, tare=EMPTY, upright=SEATED, method="recording")
    cam = ScriptedCamera(clock, [(1e6, True)], advance=False)
    d = Daemon(CFG, LAY, GoesSilent(clock, 60, 30), clock, profile=prof, sinks=Collect(),
               store=store, camera=Camera(cam, CameraPipeline(CFG.camera, camera_profile(),
                                                              owns_occupancy=False)))
    while clock.monotonic() < 300:
        d.step(0)
    live = d.snapshot().spell
    assert live == pytest.approx(300 - 30, abs=3)
    assert day(store, clock).sitting_minutes * 60 == pytest.approx(live, abs=2)
    d.close()


# -- the history's sample of one snapshot -------------------------------------------------------

def fused(*, online: bool, unseen_since: float | None = None) -> Snapshot:
    return Snapshot(t=100.0, source="fused", online=online, occupancy=Occupancy.OCCUPIED,
                    unseen_since=unseen_since, posture=Posture.SLOUCHED, seen_by=CAMERA_SAW,
                    balance=Balance.BALANCED if online else None)


def test_a_seat_seen_occupied_by_any_sensor_is_sat_on_in_the_history() -> None:
    assert describe.history_fields(fused(online=True))["occupied"] is True
    standing_in = describe.history_fields(fused(online=False))
    assert standing_in["occupied"] is True and standing_in["posture"] == Posture.SLOUCHED
    assert standing_in["online"] is False  # the cushion's time offline is still told apart
    camera = Snapshot(t=1.0, source="camera", online=True, occupancy=Occupancy.OCCUPIED)
    assert describe.history_fields(camera)["occupied"] is True


def test_a_seat_nothing_sees_is_not_sat_on_in_the_history() -> None:
    assert describe.history_fields(fused(online=False, unseen_since=90.0))["occupied"] is False
    assert describe.history_fields(fused(online=True, unseen_since=90.0))["occupied"] is False
    cushion = Snapshot(t=1.0, source="cushion", online=False, occupancy=Occupancy.OCCUPIED)
    assert describe.history_fields(cushion)["occupied"] is False  # offline, no camera
    camera = Snapshot(t=1.0, source="camera", online=False, occupancy=Occupancy.OCCUPIED)
    assert describe.history_fields(camera)["occupied"] is False
