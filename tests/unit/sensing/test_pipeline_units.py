"""The uncalibrated pipeline hints (for the daemon's log) when a device's readings are far too
small for its layout's full_scale (load cells in kilograms against 65535): otherwise the sitter
is silently taken for an empty seat and tared away."""

import numpy as np
import pytest

from sitwatch.config import Config
from sitwatch.sensing import calibration, layout
from sitwatch.sensing.pipeline import SMALL_AFTER, Pipeline

LAY = layout.load("load-cells-4")  # full_scale 65535


def feed(pl: Pipeline, frames: np.ndarray, hz: float = 2.0, t0: float = 0.0) -> list:
    out = []
    for i, v in enumerate(frames):
        out += pl.process(t0 + i / hz, v)
    return out


def sitter(n: int, level: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return level * np.array([1.0, 1.05, 0.8, 0.85]) * (1 + 0.05 * rng.standard_normal((n, 4)))


def test_a_sitter_in_small_units_gets_a_hint() -> None:
    pl = Pipeline(LAY, Config())
    n = int(SMALL_AFTER * 2) - 2
    evs = feed(pl, sitter(n, 180.0))  # ~70 kg as kg x 10
    assert pl.units_hint is None  # not before SMALL_AFTER seconds
    evs += feed(pl, sitter(40, 180.0, seed=1), t0=n / 2)
    msg = pl.units_hint
    assert msg and "under 3% of full_scale" in msg and "of 65535" in msg
    assert "sitwatch calibrate" in msg
    assert not any(e.event == "occupancy" and e.state == "occupied" for e in evs)


def test_no_diagnosis_when_someone_is_seen_or_a_profile_exists() -> None:
    n = int(SMALL_AFTER * 2) + 40
    pl = Pipeline(LAY, Config())
    evs = feed(pl, sitter(n, 18000.0))  # units that fit full_scale
    assert any(e.event == "occupancy" and e.state == "occupied" for e in evs)
    assert pl.units_hint is None
    prof = calibration.from_arrays(LAY, tare=np.zeros(4), upright=np.full(4, 180.0),
                                   method="recording")
    pl = Pipeline(LAY, Config(), prof)
    evs = feed(pl, sitter(n, 180.0))
    assert any(e.event == "occupancy" and e.state == "occupied" for e in evs)
    assert pl.units_hint is None


def test_the_snapshot_and_presence_from_another_sensor_while_offline() -> None:
    """The pipeline's state is read as a frozen snapshot; while the cushion is offline another
    sensor's presence drives its occupancy and sitting timer (fusion rule O2)."""
    pl = Pipeline(LAY, Config())
    feed(pl, sitter(60, 18000.0))
    snap = pl.snapshot(30.0)
    assert snap.occupied and snap.online and snap.source == "cushion"
    assert snap.spell == pytest.approx(30.0 - snap.spell_start)
    assert pl.follow(31.0, False, {"source": "camera"}) == []  # online: its own readings rule
    pl.sensor(31.0, False, "unplugged")
    evs = pl.follow(40.0, False, {"source": "camera", "rule": "O2"})
    assert [e.as_dict() for e in evs] == [
        {"t": 40.0, "event": "occupancy", "state": "empty", "source": "camera", "rule": "O2"}]
    assert pl.follow(41.0, False, {}) == []  # no change, no event
    evs = pl.follow(400.0, True, {"source": "camera"})
    assert [e.event for e in evs] == ["occupancy", "break"]
    assert evs[1].get("duration") == 360.0
    assert pl.snapshot(410.0).spell == 10.0
