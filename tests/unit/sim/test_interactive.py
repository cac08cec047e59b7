"""The virtual sitter steered by keys (`sitwatch simulate --interactive`)."""

from __future__ import annotations

import io
import threading

import numpy as np

from sitwatch.sensing.layout import load
from sitwatch.sim.interactive import KEYS, Steered, help_text, steer

LAY = load("load-cells-4")


def test_each_key_streams_its_posture_from_then_on() -> None:
    sim = Steered(LAY, hz=10.0)
    t = sim.times(0.0, 2.0)
    assert len(t) == 20 and sim.current.key == "e"
    empty = sim.frames_at(t).mean(axis=0)
    sim.press("U")  # either case
    upright = sim.frames_at(t).mean(axis=0)
    assert (upright - empty).min() > 0.05 * LAY.full_scale
    sim.press("l")
    left = sim.frames_at(t).mean(axis=0)
    # a lean to the left loads the left cells (rear-left, front-left) more than upright did
    assert left[[0, 2]].sum() / left.sum() > upright[[0, 2]].sum() / upright.sum() + 0.05
    assert sim.press("?") is None and sim.current.key == "l"


def test_keys_from_a_stream_switch_and_q_stops() -> None:
    sim = Steered(LAY)
    said: list[str] = []
    stopped = threading.Event()
    steer(sim, io.BytesIO(b"ux a\nq"), said.append, stopped.set).join(5)
    assert stopped.is_set()
    assert said[0] == "now sitting upright against the backrest"
    assert said[1].startswith("'x' names no posture; keys: e the seat empty")
    assert said[2] == "now sitting upright away from the backrest"
    assert sim.current.key == "a" and len(said) == 3


def test_every_key_is_in_the_help_and_none_is_taken_twice() -> None:
    text = help_text()
    assert all(f"{k.key} {k.words}" in text for k in KEYS)
    assert len({k.key for k in KEYS}) == len(KEYS) and "q" not in {k.key for k in KEYS}
    assert np.isfinite(Steered(LAY).script.duration)
