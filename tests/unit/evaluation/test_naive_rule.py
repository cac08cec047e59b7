"""The naive fixed-threshold stand-in that every eval table puts beside ours (issue #10)."""

from dataclasses import replace

import numpy as np

from sitwatch.core.kinds import Balance, Occupancy, Posture
from sitwatch.evaluation import datasets, naive
from sitwatch.evaluation.scoring import first_upright_profile
from sitwatch.sensing.layout import Channel, Layout

# four seat sensors: rear-left, rear-right, front-left, front-right
LAYOUT = Layout("four-pads", tuple(
    Channel(i, "seat", x, y, f"c{i}")
    for i, (x, y) in enumerate([(-0.5, -0.75), (0.5, -0.75), (-0.5, 0.75), (0.5, 0.75)])),
    full_scale=1000)
CLASSES = datasets.Classes(upright=(1,), slouch=(7,), lopsided=(4,), left=(4,))

# (label, seconds, frame)
PLAN = [
    (0, 20, [0, 0, 0, 0]),
    (1, 100, [100, 100, 100, 100]),  # rear share 0.5, left share 0.5
    (7, 60, [20, 20, 180, 180]),  # rear share 0.1: below half of 0.5
    (1, 60, [100, 100, 100, 100]),
    (4, 60, [130, 70, 130, 70]),  # left share 0.65: 0.15 above upright
    (1, 60, [100, 100, 100, 100]),
    (-1, 60, [110, 90, 110, 90]),  # left share 0.55: inside the band
    (-1, 60, [30, 30, 170, 170]),  # rear share 0.15... just above half of 0.5 is 0.26
    (-1, 60, [27, 27, 73, 73]),  # rear share 0.27 (above 0.25), 200 of 400: still occupied
    (-1, 60, [20, 20, 20, 20]),  # 80 of 400: below 30% of the upright load
]


def recording(layout: Layout = LAYOUT) -> datasets.Labelled:
    t, v, lab = [], [], []
    now = 0.0
    for code, secs, frame in PLAN:
        for _ in range(secs):
            t.append(now)
            v.append(frame)
            lab.append(code)
            now += 1.0
    values = np.array(v, dtype=float)
    return datasets.Labelled("naive/test", "tester", layout, np.array(t), values,
                             np.array(lab), {}, CLASSES)


def state_at(d: datasets.Labelled, tr, t: float) -> tuple:
    i = int(np.searchsorted(d.t, t))
    return tr.occupancy[i], tr.posture[i], tr.balance[i]


def start_of(k: int) -> float:
    return float(sum(secs for _, secs, _ in PLAN[:k]))


def test_rear_row_is_the_rear_third_of_the_seat() -> None:
    assert naive.rear_row(LAYOUT).tolist() == [True, True, False, False]


def test_fixed_thresholds_frame_by_frame() -> None:
    d = recording()
    prof, _ = first_upright_profile(d)
    tr = naive.naive_trace(d, prof)
    mid = [start_of(k) + 40 for k in range(len(PLAN))]  # well past the 5 s smoothing
    assert state_at(d, tr, mid[1]) == (Occupancy.OCCUPIED, Posture.UPRIGHT, Balance.BALANCED)
    assert state_at(d, tr, mid[2])[1] == Posture.SLOUCHED
    assert state_at(d, tr, mid[4])[2] == Balance.LEFT
    assert state_at(d, tr, mid[6])[2] == Balance.BALANCED  # 0.05 off: inside +-0.12
    assert state_at(d, tr, mid[7])[1] == Posture.SLOUCHED  # rear share 0.15 < 0.25
    assert state_at(d, tr, mid[8])[:2] == (Occupancy.OCCUPIED, Posture.UPRIGHT)  # 0.27
    assert state_at(d, tr, mid[9])[0] == Occupancy.EMPTY  # 20% of the upright load
    assert state_at(d, tr, 10.0)[0] == Occupancy.EMPTY


def test_an_inverted_cushion_reads_the_same() -> None:
    """A cushion whose reading falls as the load rises gives the naive rule the same states."""
    d = recording()
    inv = replace(LAYOUT, name="four-pads-inverted", transform="inverted", zero=1000)
    di = replace(d, layout=inv, values=inv.to_reading(d.values))
    a = naive.naive_trace(d, first_upright_profile(d)[0])
    b = naive.naive_trace(di, first_upright_profile(di)[0])
    assert (a.posture == b.posture).all() and (a.balance == b.balance).all()
    assert (a.occupancy == b.occupancy).all()


def test_naive_scores_through_the_common_scoring() -> None:
    s = naive.naive_scores(recording())
    assert s.slouch_recall == 1.0 and s.lopsided_recall == 1.0
    assert s.slouch_latency is not None and s.slouch_latency <= naive.SMOOTH_S
    assert s.forward_recall is None and s.forward_false is None  # no forward rule
    # The few seconds the 5 s moving mean carries the slump into the next upright stretch are
    # its release, not a false alarm: left out of the false slouch, reported as cleared-after.
    assert s.slouch_false_s == 0.0
    assert s.slouch_release is not None and 0 < s.slouch_release <= naive.SMOOTH_S
    # scored with no release window, the same seconds are false slouch
    raw = naive.naive_scores(recording(), release=0.0)
    assert raw.slouch_false_s is not None and 0 < raw.slouch_false_s <= naive.SMOOTH_S
