"""ETHZ wheelchair, person by person: the lateral (balance) state against the joystick, with the
wheelchair layout's shipped rule (the same rule every leave-one-person-out fold picks)."""

from __future__ import annotations

import numpy as np
import pytest

from sitwatch import config
from sitwatch.evaluation import datasets, scoring
from sitwatch.evaluation.ethz import PUSHED, ethz_profile

pytestmark = pytest.mark.datasets


def test_each_person_and_no_reading_against_the_seat(datasets_dir) -> None:
    """A steering lean to one side is never read as the other side (issue #10: the backrest's
    guessed cell positions read user6_s3's right leans as left 22% of the time), and at least
    five of the six people reach the 90% target with their sessions pooled (four before;
    user2's remaining misses are pushes the seat never shows: see docs/accuracy.md)."""
    cfg = config.load(use_user_file=False)  # the layout's [detect] defaults apply
    hits: dict[str, list[int]] = {}
    wrong = {}
    for f in sorted((datasets_dir / "ethz-wheelchair").glob("user*_s*.csv")):
        d = datasets.ethz(f)
        joy = d.extra["joy_lateral"]
        tr = scoring.run_pipeline(d, cfg, ethz_profile(d))
        m = np.abs(joy) > PUSHED
        want = np.where(joy > 0, "right", "left")[m]
        other = np.where(joy > 0, "left", "right")[m]
        got = tr.balance[m]
        h = hits.setdefault(d.person, [0, 0])
        h[0] += int((got == want).sum())
        h[1] += int(m.sum())
        wrong[f.stem] = float((got == other).mean())
    assert len(wrong) == 12
    assert max(wrong.values()) <= 0.05, wrong  # measured at most 3.3% (user2_s3)
    agree = {p: a / n for p, (a, n) in hits.items()}
    assert sum(a >= 0.9 for a in agree.values()) >= 5, agree
