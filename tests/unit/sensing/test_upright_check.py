"""Did the sitter keep still sideways while the upright baseline was taken? (upright_check)"""

import numpy as np

from sitwatch.sensing import upright_check
from sitwatch.sensing.layout import grid, load

G3 = grid(3, 3, full_scale=1023)
# rows from the rear, columns from the sitter's left
UP = np.array([850, 880, 850, 800, 650, 800, 600, 500, 600], float)
LEFT = np.array([1150, 880, 550, 1000, 650, 600, 750, 500, 450], float)  # the same load, left


def window(n_up: int, n_lean: int, seed: int = 1, lean_first: bool = False
           ) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    parts = [np.tile(UP, (n_up, 1)), np.tile(LEFT, (n_lean, 1))]
    frames = np.vstack(parts[::-1] if lean_first else parts)
    frames += rng.normal(0, 4, frames.shape)  # a still sitter's few counts of noise
    return np.arange(len(frames)) / 10.0, frames


def test_a_still_upright_minute_is_not_restless() -> None:
    t, frames = window(600, 0)
    assert upright_check.restless(G3, frames, None, 0.25) == []
    assert upright_check.steady_part(G3, t, frames, None, 0.25) is None


def test_a_lean_in_part_of_the_window_is_found_with_the_steady_part() -> None:
    t, frames = window(440, 160)  # 44 s upright, then 16 s leaning left
    found = upright_check.restless(G3, frames, None, 0.25)
    assert found and found[0].factor > 2
    assert {r.cue for r in found} <= set(upright_check.CUES)
    a, b = upright_check.steady_part(G3, t, frames, None, 0.25)
    assert a == 0.0 and 43.0 <= b <= 44.5
    # the lean first, then upright: the steady part is the later one
    t2, frames2 = window(440, 160, lean_first=True)
    a, b = upright_check.steady_part(G3, t2, frames2, None, 0.25)
    assert 15.5 <= a <= 17.0 and b == t2[-1]


def test_a_sitter_who_keeps_moving_gets_no_steady_part() -> None:
    """Back and forth all along: no single move explains it, so nothing is suggested."""
    rng = np.random.default_rng(3)
    frames = np.array([UP if (k // 50) % 2 == 0 else LEFT for k in range(600)], float)
    frames += rng.normal(0, 4, frames.shape)
    t = np.arange(600) / 10.0
    assert upright_check.restless(G3, frames, None, 0.25)
    assert upright_check.steady_part(G3, t, frames, None, 0.25) is None


def test_pads_far_up_their_range_suggest_a_divider_the_layout_does_not_undo() -> None:
    """fsr-cushion-9's sitter: loaded pads at 0.78-0.97 of full scale (after inversion), where
    a divider's reading is flat. A layout that reads them linearly gets the hint; one that
    already undoes a divider, or pads in the middle of their range, do not."""
    from dataclasses import replace


    fsr = replace(load("fsr-cushion-9"), divider=0.0)
    upright = 1023 - np.array([0.93, 0.85, 0.80, 0.97, 0.88, 0.78, 0.92, 0.86, 0.81]) * 1023
    level = upright_check.divider_level(fsr, upright, np.full(9, 1022.0))
    assert level is not None and 0.85 <= level <= 0.9
    assert "divider = 0.1" in upright_check.divider_hint(level)
    assert upright_check.divider_level(load("fsr-cushion-9"), upright, None) is None  # undone
    middle = 1023 - np.array([0.5, 0.4, 0.3, 0.55, 0.45, 0.3, 0.5, 0.4, 0.3]) * 1023
    assert upright_check.divider_level(fsr, middle, None) is None
    cells = load("load-cells-4")  # load cells under a plate: no divider, whatever they read
    assert upright_check.divider_level(cells, np.full(4, 0.95 * cells.full_scale), None) is None


def test_the_check_uses_the_configured_spread_factor() -> None:
    """``detect.balance.spread`` is how many spreads a cue must move: 0 turns the personal
    threshold off, and then a restless minute changes nothing, so there is nothing to say."""
    from sitwatch.config import Config

    t, frames = window(440, 160)
    assert upright_check.balance_limits(Config(), G3) == (0.25, 4.0)
    off = Config.model_validate({"detect": {"balance": {"spread": 0}}})
    threshold, k = upright_check.balance_limits(off, G3)
    assert k == 0 and upright_check.restless(G3, frames, None, threshold, k) == []
    assert upright_check.restless(G3, frames, None, threshold, 4.0)


def test_channels_at_full_scale_in_the_upright_reading_are_named() -> None:
    """The pipeline sets a channel the calibration read at full scale aside from the first
    frame; calibrating and `sitwatch doctor` say which, in one sentence, singular or plural."""
    chair = load("smartchair-12")
    up = np.full(12, 800.0)
    assert upright_check.saturated(chair, up) == []
    up[7] = 0.98 * chair.full_scale
    assert upright_check.saturated(chair, up) == ["p07"]
    assert upright_check.saturated_hint(["p07"]).startswith("p07 was at the end of its range")
    up[6] = chair.full_scale
    assert upright_check.saturated(chair, up) == ["p06", "p07"]
    assert upright_check.saturated_hint(["p06", "p07"]).startswith(
        "p06 and p07 were at the end of their range")
    # the seat's rear third is left in (the sit bones fill healthy pads there): not named,
    # as the pipeline does not set it aside
    up[4] = chair.full_scale
    assert upright_check.saturated(chair, up) == ["p06", "p07"]
    # a cushion whose reading falls with the load: full scale is a reading near zero (its
    # middle row here; the rear row, y < -1/3, is left in)
    fsr = load("fsr-cushion-9")
    reading = np.full(9, 600.0)
    reading[4] = 1.0
    assert upright_check.saturated(fsr, reading) == [fsr.channels[4].label]
    reading[0] = 1.0  # fsr1, a rear corner
    assert upright_check.saturated(fsr, reading) == [fsr.channels[4].label]
