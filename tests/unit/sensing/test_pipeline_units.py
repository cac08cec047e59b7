"""The uncalibrated pipeline hints (for the daemon's log) when a device's readings are far too
small for its layout's full_scale (load cells in kilograms against 65535): otherwise the sitter
is silently taken for an empty seat and tared away."""

from dataclasses import asdict

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
    # online, the spell counts up to the last frame (29.5 s), never ahead of what the cushion
    # saw: a cushion that hangs is declared silent from that frame on (no step back then)
    assert snap.spell == pytest.approx(29.5 - snap.spell_start)
    assert pl.follow(31.0, False, {"source": "camera"}) == []  # online: its own readings rule
    pl.sensor(31.0, False, "unplugged")
    evs = pl.follow(40.0, False, {"source": "camera", "rule": "O2"})
    assert [e.as_dict() for e in evs] == [  # the 9 s nobody saw are not in the spell
        {"t": 40.0, "event": "sensor", "state": "online", "source": "camera", "rule": "O2",
         "unseen": 9.0},
        {"t": 40.0, "event": "occupancy", "state": "empty", "source": "camera", "rule": "O2"}]
    assert pl.follow(41.0, False, {}) == []  # no change, no event
    evs = pl.follow(400.0, True, {"source": "camera"})
    assert [e.event for e in evs] == ["occupancy", "break"]
    assert evs[1].get("duration") == 360.0
    assert pl.snapshot(410.0).spell == 10.0


FALLS = layout.parse(
    'name = "falls"\nfull_scale = 1023\ntransform = "inverted"\nzero = 1022\n'
    + "".join(f'[[channels]]\nsurface = "seat"\nx = {x}\ny = {y}\n'
              for x, y in ((-1, -1), (1, -1), (-1, 1), (1, 1))),
    "falls.toml",
)
RISES = layout.parse(
    'name = "falls"\nfull_scale = 1023\nzero = 1\n'
    + "".join(f'[[channels]]\nsurface = "seat"\nx = {x}\ny = {y}\n'
              for x, y in ((-1, -1), (1, -1), (-1, 1), (1, 1))),
    "rises.toml",
)


def day(seed: int = 3) -> np.ndarray:
    """Loads (rising with force) for an empty seat, upright sitting, a left lean, a slump
    forward and an empty seat again, at 2 Hz, with noise."""
    rng = np.random.default_rng(seed)
    parts = [(60, [1, 1, 1, 1]), (240, [700, 690, 520, 530]), (120, [900, 380, 700, 300]),
             (120, [150, 160, 860, 850]), (300, [1, 1, 1, 1])]
    out = [np.asarray(v, float) * (1 + 0.02 * rng.standard_normal((2 * n, 4))) for n, v in parts]
    return np.clip(np.vstack(out), 0, 1023)


def test_an_inverted_cushion_is_seen_as_its_loads() -> None:
    """A cushion whose reading falls as the load rises (transform = "inverted"): the pipeline
    sees full_scale - reading everywhere (health, tare, the learned baseline, the detectors),
    so it reports exactly what a rising cushion with those loads reports; a profile holds the
    readings as the device sent them, in and out."""
    loads = day()
    readings = 1023 - loads
    for prof_falls, prof_rises in (
        (None, None),
        (calibration.from_arrays(FALLS, tare=np.full(4, 1022.0), method="recording",
                                 upright=1023 - np.array([700.0, 690, 520, 530])),
         calibration.from_arrays(RISES, tare=np.full(4, 1.0), method="recording",
                                 upright=np.array([700.0, 690, 520, 530]))),
    ):
        falls, rises = Pipeline(FALLS, Config(), prof_falls), Pipeline(RISES, Config(), prof_rises)
        a = [e.as_dict() for e in feed(falls, readings)]
        b = [e.as_dict() for e in feed(rises, loads)]
        assert a == b
        assert {(e["event"], e["state"]) for e in a} >= {
            ("occupancy", "occupied"), ("balance", "left"), ("posture", "slouched"),
            ("occupancy", "empty")}
        fa, ri = asdict(falls.snapshot(900.0)), asdict(rises.snapshot(900.0))
        assert fa.pop("loads") == pytest.approx(ri.pop("loads"))  # per channel, as loads
        assert {k: v for k, v in fa.items() if not isinstance(v, float)} == {
            k: v for k, v in ri.items() if not isinstance(v, float)}
        assert {k: v for k, v in fa.items() if isinstance(v, float)} == pytest.approx(
            {k: v for k, v in ri.items() if isinstance(v, float)})
    # the profile's readings come back out as readings (loads only inside the pipeline)
    back = falls.learned_profile()
    assert back is not None and prof_falls is not None
    assert back.upright == prof_falls.upright and back.tare == prof_falls.tare
    falls, rises = Pipeline(FALLS, Config()), Pipeline(RISES, Config())
    feed(falls, readings)
    feed(rises, loads)
    learned_f, learned_r = falls.learned_profile(), rises.learned_profile()
    assert learned_f is not None and learned_r is not None
    # the learned profile of the falling cushion holds readings: 1023 - the rising one's loads
    assert np.allclose(learned_f.array("upright"), 1023 - learned_r.array("upright"), atol=0.01)
    assert np.allclose(learned_f.array("tare"), 1023 - learned_r.array("tare"), atol=0.01)
    assert learned_f.array("upright").max() < 600  # readings fall under a sitter


def test_an_unloaded_sensor_of_an_inverted_cushion_is_not_saturated() -> None:
    """An inverted cushion reads about full scale where nobody presses: a sensor the sitter
    does not reach reads ~1022 for as long as they sit, and is not called saturated."""
    rng = np.random.default_rng(5)
    n = 2 * 1200  # 20 minutes at 2 Hz
    loads = np.array([700.0, 690, 520, 0]) * (1 + 0.02 * rng.standard_normal((n, 4)))
    pl = Pipeline(FALLS, Config())
    evs = feed(pl, np.clip(1023 - loads, 0, 1023))
    assert any(e.event == "occupancy" and e.state == "occupied" for e in evs)
    assert not [e for e in evs if e.event == "calibration" and e.state == "channels"]
