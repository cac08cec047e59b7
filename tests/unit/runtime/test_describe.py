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
