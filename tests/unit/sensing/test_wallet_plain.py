"""The wallet detector's look works in plain floats; its median is numpy's, to the bit."""

import numpy as np

from sitwatch.sensing.detectors.wallet import _median


def test_the_median_is_numpys_to_the_bit() -> None:
    rng = np.random.default_rng(7)
    for n in range(1, 30):
        for _ in range(200):
            v = (rng.normal(0, 1, n) * 10 ** rng.uniform(-6, 6)).tolist()
            assert _median(v) == float(np.median(v))
