"""The channel health's level test reads a pad's last checks' mean and spread on its own
(:func:`mean_sd`, without numpy's generic machinery): the very same numbers numpy's methods
give, to the last bit, so no judgement of a failing pad can move."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sitwatch.sensing.health import mean_sd

READINGS = st.floats(min_value=0.0, max_value=70000.0, allow_nan=False)


@given(arrays(np.float64, st.tuples(st.integers(2, 40), st.integers(1, 24)), elements=READINGS),
       st.data())
def test_mean_and_spread_are_numpys_to_the_last_bit(checks: np.ndarray, data) -> None:
    c = data.draw(st.integers(0, checks.shape[1] - 1))
    for x in (checks[:, c], np.ascontiguousarray(checks[:, c]), checks.ravel()):
        mean, sd = mean_sd(x)
        assert (mean, sd) == (float(x.mean()), float(x.std(ddof=1)))


def test_whole_readings_and_a_level_with_no_spread() -> None:
    rng = np.random.default_rng(4)
    for n in (2, 7, 8, 9, 15, 16, 17, 129):  # (numpy sums in blocks of eight)
        x = rng.integers(0, 4096, n).astype(float)
        assert mean_sd(x) == (float(x.mean()), float(x.std(ddof=1)))
    assert mean_sd(np.full(5, 4095.0)) == (4095.0, 0.0)
