"""A pad that fails under the sitter is not a weight shift.

Channel health takes ``RAIL_HOLD`` (3 s) to call a lone step to a rail a failure, and the
stillness detector counts a move held for ``hold`` (2 s): before, the failure's step counted as
the sitter shifting their weight (and restarted their still clock), and then the features'
change when the pad was left out could count again. Now stillness looks away while channel
health judges such a step (taking up where it was if the pad comes back) and starts afresh
from the features once the pad is left out, keeping its clock. On the healthy smartchair
sessions health judges 2 and 4 frames and the shifts counted are unchanged (51, 122)."""

from __future__ import annotations

import numpy as np
import pytest

from sitwatch.config import Config
from sitwatch.sensing.pipeline import Pipeline
from tests.unit.sensing.test_baseline_modes import CHAIR, UPRIGHT, away_frame, chair_profile

HZ = 10.0


def run(p: Pipeline, rows: np.ndarray, t0: float) -> tuple[list[tuple[float, str]], float]:
    out, t = [], t0
    for raw in rows:
        t += 1 / HZ
        out += [(t, str(e.state)) for e in p.process(t, raw) if e.event == "stillness"]
    return out, t


def noisy(rng: np.random.Generator, frame: np.ndarray, seconds: float) -> np.ndarray:
    n = int(seconds * HZ)
    return np.clip(frame * (1 + 0.02 * rng.standard_normal((n, len(frame)))), 0, 4095)


@pytest.mark.parametrize("value", [0.0, 4095.0])
def test_a_failing_pad_is_no_shift_and_keeps_the_still_clock(value: float) -> None:
    rng = np.random.default_rng(3)
    p = Pipeline(CHAIR, Config(), chair_profile())
    seated, t = run(p, noisy(rng, UPRIGHT, 120), 0.0)
    assert seated == [] and p.occ.state == "occupied"
    since, shifts = p.stillness.still_since, p.stillness.shifts
    broken = noisy(rng, UPRIGHT, 120)
    broken[:, 8] = value  # p08 (seat, middle left) dies or shorts
    failing, t = run(p, broken, t)
    assert p.health.bad[8], "the pad was not left out"
    assert failing == [], failing  # before: a shift 2-3 s after the failure
    assert (p.stillness.still_since, p.stillness.shifts) == (since, shifts)
    # the sitter really moves afterwards: that still counts
    away = away_frame(0.3)
    away[8] = value
    moved, _ = run(p, noisy(rng, away, 30), t)
    assert [s for _, s in moved] == ["shift"], moved


def test_a_pad_that_drops_out_for_a_moment_is_no_shift() -> None:
    """A connector that loses contact for 2.5 s (longer than a shift's hold, shorter than a
    failure's): neither a failure nor the sitter moving. (A guard: stillness looks away while
    the step is judged and must take up where it was, not count the return as a move.)"""
    rng = np.random.default_rng(4)
    p = Pipeline(CHAIR, Config(), chair_profile())
    _, t = run(p, noisy(rng, UPRIGHT, 120), 0.0)
    since = p.stillness.still_since
    rows = noisy(rng, UPRIGHT, 60)
    rows[:25, 8] = 0.0
    events, _ = run(p, rows, t)
    assert not p.health.bad.any()
    assert events == [] and p.stillness.still_since == since, events
