"""How the ETHZ scoring tells a wrong side from a push the seat never shows."""

from pathlib import Path

import numpy as np

from sitwatch.core.kinds import Balance
from sitwatch.evaluation import ethz
from sitwatch.evaluation.scoring import Trace


def test_misses_splits_the_other_side_from_a_push_without_a_lean() -> None:
    # 10 Hz: a 2 s right push the shift follows but the state reads left for its first second,
    # then a 1 s left push the shift never follows (no lean on the seat)
    joy = np.r_[np.zeros(5), np.full(20, 0.8), np.zeros(5), np.full(10, -0.8), np.zeros(5)]
    n = len(joy)
    shift = np.zeros(n)
    shift[5:25] = 0.3
    shift[30:40] = -0.05  # the right way, but under the threshold
    state = np.full(n, Balance.BALANCED, object)
    state[5:15] = Balance.LEFT
    state[15:25] = Balance.RIGHT
    s = ethz._Session(Path("x.csv"), None, joy, None)  # type: ignore[arg-type]
    tr = Trace(np.arange(n) * 0.1, state, state, state, shift, [])
    wrong, unseen = ethz.misses(s, tr, threshold=0.1)
    assert wrong == 10 / 30  # 1 s of the 3 pushed seconds on the other side
    assert unseen == 1.0  # the left push: its shift never reached 0.1 to the left
