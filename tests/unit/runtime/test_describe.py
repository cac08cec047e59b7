"""The rows the daemon reports from a snapshot: static sitting reaches the status and MQTT."""

from __future__ import annotations

from sitwatch.core.kinds import Occupancy
from sitwatch.runtime.describe import To, values
from sitwatch.sensing.snapshot import Snapshot


def test_a_due_weight_shift_is_in_the_status_and_on_mqtt() -> None:
    snap = Snapshot(t=1300.0, source="cushion", online=True, occupancy=Occupancy.OCCUPIED,
                    static=True, still_since=100.0)
    status = values(snap, To.STATUS)
    assert status["static"] is True and status["still_seconds"] == 1200.0
    assert values(snap, To.MQTT)["static"] is True
    assert "static" not in values(snap, To.HISTORY)  # the history counts shifts as events


def test_no_weight_shift_is_due_on_an_empty_seat() -> None:
    snap = Snapshot(t=1300.0, source="cushion", online=True, occupancy=Occupancy.EMPTY,
                    static=True, still_since=None)
    status = values(snap, To.STATUS)
    assert status["static"] is False and status["still_seconds"] == 0.0


def test_the_history_sample_is_the_rows_as_first_written() -> None:
    """history_fields takes the history's rows through cheaper functions (one test a frame
    fewer): on every kind of snapshot they give what the rows first written gave."""
    from itertools import product

    from sitwatch.core.kinds import Posture, Sensor
    from sitwatch.runtime.describe import history_fields

    def seat_known(s: Snapshot) -> bool:
        return s.seen and (s.online or s.source == "fused")

    def cushion_sees_seated(s: Snapshot) -> bool:
        return seat_known(s) and s.occupied and s.online and s.source != Sensor.CAMERA

    for occ, unseen, online, source, recline in product(
            list(Occupancy), (None, 5.0), (True, False), ("cushion", Sensor.CAMERA, "fused"),
            (True, False)):
        snap = Snapshot(t=10.0, source=source, online=online, occupancy=occ,
                        unseen_since=unseen, sees_recline=recline, posture=Posture.UPRIGHT,
                        seat_load=0.5, cop_x=0.1, cop_y=-0.1)
        got = history_fields(snap)
        assert got == values(snap, To.HISTORY)
        want = {"occupied": seat_known(snap) and snap.occupied,
                "cushion": cushion_sees_seated(snap),
                "recline_unseen": seat_known(snap) and snap.occupied
                and not (cushion_sees_seated(snap) and snap.sees_recline)}
        assert {k: got[k] for k in want} == want, snap  # type: ignore[literal-required]
        assert all(type(got[k]) is bool for k in want), got  # type: ignore[literal-required]
