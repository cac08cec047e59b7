"""A cell of the seat's rear third that sticks must not make a sideways lean (issue #10).

The sit bones' cue (detectors/balance.py) is made by two or three cells, so one cell that stops
following the load moves it on its own. Channel health leaves such a cell out only after two
minutes of proof; until then it is *suspected* after a few seconds, and the cue keeps quiet."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from sitwatch.config import Config
from sitwatch.evaluation.scoring import first_upright_profile
from sitwatch.sensing.detectors.balance import strongest
from sitwatch.sensing.health import SUSPECT_SECONDS, ChannelHealth
from sitwatch.sensing.pipeline import Pipeline
from tests.helpers.seat_sim import stuck_sitter

REAR = np.array([True, True, False, False])


def frames(health: ChannelHealth, seconds: float, stuck: float | None, rng: np.random.Generator,
           hz: float = 2.0) -> None:
    for _ in range(int(seconds * hz)):
        raw = 20000 + rng.normal(0, 50, 4)
        if stuck is not None:
            raw[1] = stuck
        health.step(raw, 1 / hz, True)


def test_a_repeating_loaded_channel_is_suspected_within_seconds_before_it_is_left_out() -> None:
    rng = np.random.default_rng(1)
    h = ChannelHealth(4, 65535, watch=REAR)
    frames(h, 30, None, rng)
    assert not h.watched_suspect and not h.suspect.any()
    frames(h, SUSPECT_SECONDS - 1.5, 25000.0, rng)
    assert not h.watched_suspect  # a few repeats are nothing yet
    frames(h, 2.0, 25000.0, rng)
    assert h.watched_suspect and list(h.suspect) == [False, True, False, False]
    assert not h.bad.any()  # suspected, not left out
    frames(h, 1.0, None, rng)  # it moves again: no longer suspected
    assert not h.watched_suspect


def test_a_channel_at_full_scale_is_suspected_too_and_only_watched_ones_count() -> None:
    rng = np.random.default_rng(2)
    h = ChannelHealth(4, 65535, watch=REAR)
    frames(h, 10, 65535.0, rng)  # saturated: the exact same reading at full scale
    assert h.suspect[1] and h.watched_suspect
    front = ChannelHealth(4, 65535, watch=~REAR)
    frames(front, 10, 65535.0, rng)
    assert front.suspect[1] and not front.watched_suspect


def test_a_still_seat_or_an_unloaded_channel_is_not_suspected() -> None:
    h = ChannelHealth(4, 65535, watch=REAR)
    for _ in range(100):  # nothing moves at all (a still sitter, firmware averaging)
        h.step(np.full(4, 20000.0), 0.5, True)
    assert not h.suspect.any()
    rng = np.random.default_rng(3)
    frames(h, 30, 0.0, rng)  # an unloaded cell reading zero throughout
    assert not h.suspect.any()


@pytest.mark.parametrize("plate", [False, True], ids=["pads", "plate"])
def test_a_stuck_rear_cell_does_not_make_a_lean(plate) -> None:
    """The same readings as four pads at a cushion's corners (the sit bones' cue is the rear
    pair's) and as load cells under a plate (no rear cue: each cell carries a share of the whole
    load, so one stuck cell moves the whole seat's centre, and the balance holds while any cell
    is suspected)."""
    d = stuck_sitter()
    if not plate:
        d = replace(d, layout=replace(d.layout, name="pads-4", plate=None))
    assert (d.layout.plate is not None) == plate
    prof, _ = first_upright_profile(d)
    cfg = Config()
    pl = Pipeline(d.layout, cfg, prof)
    thr = pl.cfg.detect.balance.threshold
    fw = thr / pl.cfg.detect.balance.front_threshold
    states, faked = set(), 0.0
    for t, v in zip(d.t, d.values, strict=True):
        pl.process(float(t), v)
        states.add(pl.balance.state)
        if pl.f is not None and pl.baseline is not None and t > 240 and not pl.health.bad[1]:
            cue, s = strongest(pl.f, pl.baseline, fw, thr, pl.cfg.detect.balance.spread)
            if cue == ("seat" if plate else "rear"):
                faked = max(faked, abs(s))
    # the stuck cell does move the sit bones' cue (the plate's centre) past the threshold on
    # its own...
    assert faked >= thr
    # ...yet no lean is reported, before (or after) the cell is left out
    assert pl.health.bad[1]
    assert states <= {None, "balanced"}, states
