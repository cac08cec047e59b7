"""The free-use stress test's reordering (sitwatch.evaluation.reorder): the same frames, the
calibration minute first, postures kept apart, and the same order for the same seed."""

from __future__ import annotations

from collections import Counter
from itertools import pairwise

import numpy as np

from sitwatch.evaluation import datasets, reorder
from sitwatch.evaluation.reorder import Pooled, _pool, reordered
from sitwatch.evaluation.scoring import Scores
from sitwatch.sensing.layout import load


def scripted(seconds: list[tuple[int, float]], hz: float = 2.0) -> datasets.Labelled:
    """A recording of labelled runs, each frame holding its own index (to follow it)."""
    lab = np.concatenate([np.full(round(s * hz), label) for label, s in seconds])
    n = len(lab)
    values = np.tile(np.arange(n, dtype=float)[:, None], (1, 12))
    return datasets.Labelled("test/one", "one", load("smartchair-12"), np.arange(n) / hz,
                             values, lab, {})


def test_the_same_frames_in_another_order_with_the_calibration_minute_first() -> None:
    d = scripted([(0, 60), (1, 300), (7, 200), (4, 180), (1, 120), (12, 90)])
    x = reordered(d, 3)
    # frames are moved, never made up or lost (a tail under SHORTEST seconds is folded in)
    assert sorted(x.values[:, 0]) == sorted(d.values[:, 0])
    assert Counter(x.label) == Counter(d.label)
    # the first upright segment's first 80 s open the order, in their recorded order
    head = round(reorder.OPENING * 2)
    start = int(np.flatnonzero(d.label == 1)[0])
    assert list(x.values[:head, 0]) == list(range(start, start + head))
    # the time runs on at the recording's rate
    assert np.allclose(np.diff(x.t), 0.5)
    # no two pieces of one posture meet (there are enough others to keep them apart), and
    # every piece is at least SHORTEST long
    segs = x.segments()
    assert all(a[0] != b[0] for a, b in pairwise(segs))
    assert min(b - a for _, a, b in segs[1:]) >= reorder.SHORTEST
    # seeded: the same order again; another seed, another order
    assert np.array_equal(reordered(d, 3).values, x.values)
    assert not np.array_equal(reordered(d, 4).values, x.values)


def test_pooling_counts_pieces_not_orders() -> None:
    a = Scores(occupancy=1.0, slouch_recall=1.0, lopsided_recall=0.5, lopsided_false=0.1,
               slouch_false=0.0, forward_recall=0.5,
               counts={"slouch_segments": 1, "lopsided_segments": 4, "forward_segments": 2})
    b = Scores(occupancy=0.98, slouch_recall=0.5, lopsided_recall=1.0, lopsided_false=0.0,
               slouch_false=0.02, forward_recall=1.0,
               counts={"slouch_segments": 2, "lopsided_segments": 2, "forward_segments": 1})
    p = _pool([a, b])
    assert isinstance(p, Pooled) and p.orders == 2
    assert p.slumps == (2, 3) and p.lopsided == (4, 6) and p.forward == (2, 3)
    assert p.occupancy_worst == 0.98
    assert p.false_lopsided == 0.05 and p.false_lopsided_worst == 0.1
    assert p.false_slouch == 0.01 and p.false_slouch_worst == 0.02
