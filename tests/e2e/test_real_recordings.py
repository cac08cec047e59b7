"""The detectors on real chairs and real people (../shared/datasets), through the same
pipeline as ``sitwatch replay``. Figures asserted here are the ones measured, with a margin."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from sitwatch import config
from sitwatch.cli.main import main
from sitwatch.evaluation import datasets, scoring
from sitwatch.evaluation.ethz import ethz_profile
from sitwatch.evaluation.variants import seat_only
from sitwatch.sensing import calibration
from sitwatch.sensing.detectors.balance import shift
from sitwatch.sensing.detectors.posture import classify
from sitwatch.sensing.pipeline import Pipeline

pytestmark = pytest.mark.datasets


def run(d: datasets.Labelled, profile, cfg=None):
    """The same pipeline as ``sitwatch replay`` and ``sitwatch eval``; states after each frame."""
    tr = scoring.run_pipeline(d, cfg or config.Config(), profile)
    return tr.occupancy, tr.posture, tr.balance, tr.events


def first_upright_profile(d: datasets.Labelled) -> calibration.Profile:
    """Calibrate only from the first upright segment and the first empty one."""
    return scoring.first_upright_profile(d)[0]


@pytest.fixture(scope="module", params=["almir", "vanessa"])
def smartchair(request, datasets_dir: Path) -> datasets.Labelled:
    return datasets.smartchair(datasets_dir / "smartchair-ml" / f"scripted_{request.param}.csv")


def segment_shares(d, states, labels):
    out = {}
    for lab, a, b in d.segments():
        if lab in labels:
            m = (d.t >= a) & (d.t < b)
            out.setdefault(lab, []).append(states[m])
    return out


def test_smartchair_occupancy(smartchair) -> None:
    d = smartchair
    occ, _, _, _ = run(d, first_upright_profile(d))
    truth = np.where(d.label == 0, "empty", "occupied")
    far = np.ones(len(d.t), bool)
    for t in d.t[np.flatnonzero(np.diff((d.label == 0).astype(int))) + 1]:
        far &= np.abs(d.t - t) > 5
    far &= d.t > 5
    assert (occ[far] == truth[far]).mean() >= 0.99


def test_smartchair_slouch_found_fast_and_not_in_upright(smartchair) -> None:
    d = smartchair
    _, post, _, _ = run(d, first_upright_profile(d))
    for lab, a, b in d.segments():
        m = (d.t >= a) & (d.t < b)
        slouched = post[m] == "slouched"
        if lab == 7:
            first = d.t[m][slouched][0] - a
            assert first <= 30, f"slouch found after {first:.0f} s"
            assert slouched.mean() >= 0.85
        elif lab in (1, 2):
            assert slouched.mean() < 0.03


def test_smartchair_lopsided_postures_flagged(smartchair) -> None:
    d = smartchair
    _, _, bal, _ = run(d, first_upright_profile(d))
    shares = {
        lab: float(np.mean([np.isin(s, ["left", "right"]).mean() for s in v]))
        for lab, v in segment_shares(d, bal, {1, 2, 4, 5, 8, 9}).items()
    }
    lopsided = [shares[k] for k in (4, 5, 8, 9) if k in shares]
    assert np.mean(lopsided) >= 0.6, shares
    assert min(lopsided) >= 0.3, shares
    assert max(shares.get(1, 0), shares.get(2, 0)) < 0.05, shares


def test_smartchair_leaning_forward_found(smartchair) -> None:
    d = smartchair
    _, post, _, _ = run(d, first_upright_profile(d))
    forward = segment_shares(d, post, {3, 6})
    # every forward segment is flagged: 30 s of it or more read leaning forward
    assert all(np.sum(s == "leaning_forward") * 0.5 >= 30 for v in forward.values() for s in v)
    # vanessa's elbows-on-thighs lean keeps her seat as loaded as her upright clear of the
    # backrest (1.31 and 1.36 of her calibrated seat load): only its lighter moments read
    # forward, since a seat that took the backrest's share back is someone sitting up clear of
    # it (posture.SEAT_GAIN). Almir's leans keep 0.92-0.98 of it and read forward throughout.
    share = np.mean([np.mean(s == "leaning_forward") for v in forward.values() for s in v])
    assert share >= (0.15 if d.person == "vanessa" else 0.8)
    # ...and sitting upright clear of the backrest does not read forward (vanessa: 12.5% of her
    # upright time once her saturated p07 was set aside from the start, before SEAT_GAIN)
    calm = np.isin(d.label, [1, 2]) & (d.t > 90)
    assert (post[calm] == "leaning_forward").mean() < 0.05


def test_stuck_channel_is_excluded_and_detection_survives(datasets_dir) -> None:
    d = datasets.smartchair(datasets_dir / "smartchair-ml" / "scripted_vanessa.csv")
    _, post, _, evs = run(d, first_upright_profile(d))
    excluded = [e for e in evs if e.event == "calibration" and e.state == "channels"]
    assert excluded and any("p07" in x for x in excluded[0].get("excluded"))
    m = d.label == 7
    assert (post[m] == "slouched").mean() >= 0.85


def test_auto_calibration_without_profile(datasets_dir) -> None:
    d = datasets.smartchair(datasets_dir / "smartchair-ml" / "scripted_almir.csv")
    _, post, _, evs = run(d, None)
    assert any(e.event == "calibration" and e.get("method") == "auto" for e in evs)
    m = d.label == 7
    assert (post[m] == "slouched").mean() >= 0.8
    m = np.isin(d.label, [1, 2]) & (d.t > 120)
    assert (post[m] == "slouched").mean() < 0.03


@pytest.mark.parametrize("person", ["almir", "vanessa"])
@pytest.mark.parametrize("scale", [0.6, 1.5])
def test_body_weight_does_not_matter(datasets_dir, scale, person) -> None:
    d = datasets.smartchair(datasets_dir / "smartchair-ml" / f"scripted_{person}.csv")
    broken = d.values[:, 7].copy()  # vanessa's faulty p07 reads full scale whoever sits
    d.values = np.clip(d.values * scale, 0, 4095)
    if person == "vanessa":
        d.values[:, 7] = broken
    prof, win = scoring.first_upright_profile(d)
    s = scoring.score(d, scoring.run_pipeline(d, config.Config(), prof), win)
    assert s.slouch_recall == 1.0 and s.slouch_false < 0.03, s
    assert s.lopsided_recall == 1.0 and s.lopsided_false < 0.03, s
    assert s.forward_recall == 1.0 and s.occupancy >= 0.99, s


@pytest.mark.parametrize("hz", [1.0, 20.0, 50.0])
def test_sampling_rate_does_not_matter(datasets_dir, hz) -> None:
    d = datasets.smartchair(datasets_dir / "smartchair-ml" / "scripted_almir.csv")
    t = np.arange(0, d.t[-1], 1 / hz)
    idx = np.minimum(np.searchsorted(d.t, t, side="right") - 1, len(d.t) - 1)
    d.t, d.values, d.label = t, d.values[idx], d.label[idx]
    _, post, _, _ = run(d, first_upright_profile(d))
    m = d.label == 7
    assert (post[m] == "slouched").mean() >= 0.8
    assert d.t[m][post[m] == "slouched"][0] - d.t[m][0] <= 30


def test_ethz_lateral_shift_follows_the_joystick(datasets_dir) -> None:
    """The wheelchair driver steers by leaning: with the wheelchair layout's own lateral rule
    (steering leans are small and last seconds) the state agrees with the joystick sign when it
    is pushed past half way (the issue's target: >= 90%)."""
    cfg = config.load(use_user_file=False)  # the layout's [detect] defaults apply in Pipeline
    agree, sign, seconds = [], [], []
    for f in sorted((datasets_dir / "ethz-wheelchair").glob("user*_s*.csv")):
        d = datasets.ethz(f)
        joy = d.extra["joy_lateral"]
        prof = ethz_profile(d)
        pl = Pipeline(d.layout, cfg, prof)
        states, shifts = [], []
        for t, v in zip(d.t, d.values, strict=True):
            pl.process(float(t), v)
            states.append(pl.balance.state)
            shifts.append(pl.balance.shift)
        m = np.abs(joy) > 0.5
        want = np.where(joy > 0, "right", "left")
        agree.append((np.array(states, object)[m] == want[m]).mean())
        sign.append((np.sign(np.array(shifts)[m]) == np.sign(joy[m])).mean())
        seconds.append(m.sum())
    assert len(agree) == 12
    assert np.dot(agree, seconds) / np.sum(seconds) >= 0.9  # all those seconds pooled
    assert np.median(sign) >= 0.95 and sum(s >= 0.85 for s in sign) >= 11, sign
    assert np.median(agree) >= 0.9, agree
    assert sum(a >= 0.9 for a in agree) >= 8, agree


def test_technion_recline_and_leg_lift(datasets_dir) -> None:
    cfg = config.Config()
    post, mags = Counter(), {}
    for d in datasets.technion(datasets_dir / "technion-smart-chair" / "sensor_samples.csv"):
        prof = calibration.from_arrays(d.layout, tare=None, upright=d.values[0], method="recording")
        pl = Pipeline(d.layout, cfg, prof)
        for lab, a, _ in d.segments()[1:]:
            f = pl.ex(d.values[d.t == a][0])
            post[(lab, classify(f, pl.baseline, cfg.detect.posture))] += 1
            mags.setdefault(lab, []).append(abs(shift(f, pl.baseline, pl.balance.front_weight)))
    assert post[(5, "reclined")] >= 22  # measured 25/25
    assert post[(1, "slouched")] + post[(4, "slouched")] == 0
    lifted = np.array(mags[2] + mags[3])
    assert (lifted >= cfg.detect.balance.threshold).mean() >= 0.5  # measured 0.64
    assert (np.array(mags[4]) >= cfg.detect.balance.threshold).mean() <= 0.1


def test_replay_cli_json_contract(datasets_dir, tmp_path, capsys) -> None:
    d = datasets.smartchair(datasets_dir / "smartchair-ml" / "scripted_almir.csv")
    rec = d.write(tmp_path / "almir.rec")
    cal = tmp_path / "cal.json"
    assert main(["calibrate", "--recording", str(rec), "--upright", "10:70", "-o", str(cal)]) == 0
    capsys.readouterr()
    assert main(["replay", str(rec), "--calibration", str(cal), "--json"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert lines[-1]["event"] == "summary"
    evs = lines[:-1]
    assert all(isinstance(e["t"], float | int) and "event" in e for e in evs)
    assert [e["t"] for e in evs] == sorted(e["t"] for e in evs)
    kinds = {e["event"] for e in evs}
    assert {"occupancy", "posture", "balance", "nudge"} <= kinds
    slouch = [e for e in evs if e["event"] == "posture" and e["state"] == "slouched"]
    seg7 = next((a, b) for lab, a, b in d.segments() if lab == 7)
    assert slouch and seg7[0] <= slouch[0]["t"] <= seg7[0] + 30
    assert all(e["source"] == "cushion" for e in evs if e["event"] == "posture")
    for e in evs:
        if e["event"] == "nudge":
            assert e["kind"] in ("prolonged_sitting", "slouch", "asymmetric_load", "wallet")
            assert e["message"] and e["title"] and e["why"]


@pytest.mark.parametrize("kind", ["seat8", "cells4"])
def test_seat_only_cushion_on_the_real_sessions(datasets_dir, kind) -> None:
    """The seat-only rules (no backrest: 4 load cells, a matrix, a cushion) on real sittings:
    the smartchair sessions with the backrest channels dropped, or summed into corner cells.
    Both people's slumps hand ~40% of the seat load to the backrest and empty the rear of the
    seat: from below that is a perch, so it reads "leaning forward" (weight forward, the "sit
    back" advice), never slouched (issue #10; docs/accuracy.md)."""
    for f in sorted((datasets_dir / "smartchair-ml").glob("scripted_*.csv")):
        d = seat_only(datasets.smartchair(f), kind)
        assert not d.layout.back_mask.any()
        prof, win = scoring.first_upright_profile(d)
        tr = scoring.run_pipeline(d, config.Config(), prof)
        s = scoring.score(d, tr, win)
        assert s.occupancy >= 0.99
        # read "weight forward", never slouched: found by the sit-back nudge, not as a slump
        assert s.slouch_recall_strict == 0.0, (f.stem, s)
        assert s.slouch_recall == 1.0 and s.slouch_latency is not None, (f.stem, s)
        assert s.slouch_latency <= 30, (f.stem, s)
        slump = d.label == 7
        assert (tr.posture[slump] == "leaning_forward").mean() > 0.9
        # upright sitting never reads slouched nor weight forward; vanessa's reclining does
        # read weight forward part of the time, a wrong "sit back" counted as false sit-back
        assert s.slouch_false_strict == 0.0 and s.forward_false == 0.0, (f.stem, s)
        if d.person == "almir":
            assert s.slouch_false == 0.0, (f.stem, s)
        assert s.lopsided_false < 0.03, (f.stem, s)
        if d.person == "almir" and kind == "seat8":
            # ankle on knee: the seat's centre hardly moves, the front of the seat does (four
            # corner cells under a plate have no front cue: each carries the whole load's share)
            m = d.label == 8
            lop = np.isin(tr.balance[m], ["left", "right"]).mean()
            assert lop > 0.5, lop
            cues = {e.get("cue") for e in tr.events if e.event == "balance"
                    and e.state != "balanced" and d.label[np.searchsorted(d.t, e.t)] == 8}
            assert cues == {"front"}, cues


def test_a_rear_sensor_that_jumps_to_full_scale_is_left_out_at_once(datasets_dir) -> None:
    """p05 (rear row) jumps to full scale at the 10th minute while almir sits, with nothing else
    changing: no load does that (a pad pressed to full scale takes its load from the others),
    so it is left out within seconds as shorted and read as its share of its mirror p04, and
    his slump is found. Before session 15 almir, who never leaves the seat, could not have it
    told from a saturated sensor: it was counted at full scale, held the rear of the seat
    loaded, and his slump was missed."""
    d = datasets.smartchair(datasets_dir / "smartchair-ml" / "scripted_almir.csv")
    prof, win = scoring.first_upright_profile(d)
    d.values[d.t >= 600, 5] = 4095
    tr = scoring.run_pipeline(d, config.Config(), prof)
    excluded = [(e.t, e.get("excluded")) for e in tr.events
                if e.event == "calibration" and e.state == "channels"]
    assert [ex for _, ex in excluded] == [["p05 (jumped to full scale on its own)"]]
    assert 600 < excluded[0][0] <= 605
    s = scoring.score(d, tr, win)
    assert s.slouch_recall == 1.0 and s.slouch_latency is not None and s.slouch_latency <= 30
    assert s.slouch_false == 0.0
    assert s.lopsided_recall == 1.0 and s.lopsided_false == 0.0


def test_a_rear_sensor_at_full_scale_with_nobody_seated_is_left_out(datasets_dir) -> None:
    """vanessa's p05 jumps to full scale at minute 10 while she sits: left out within seconds
    (before session 15, only at her first break after it, when it read full scale with nobody
    seated: until then she read lopsided 22.6% of her upright time and her slump was missed)."""
    d = datasets.smartchair(datasets_dir / "smartchair-ml" / "scripted_vanessa.csv")
    prof, win = scoring.first_upright_profile(d)
    d.values[d.t >= 600, 5] = 4095
    tr = scoring.run_pipeline(d, config.Config(), prof)
    excluded = [(e.t, e.get("excluded")) for e in tr.events
                if e.event == "calibration" and e.state == "channels"]
    named = [t for t, ex in excluded if "p05 (jumped to full scale on its own)" in ex]
    assert named and 600 < named[0] <= 605, excluded
    s = scoring.score(d, tr, win)
    assert s.occupancy > 0.98 and s.lopsided_false == 0.0
    assert s.slouch_recall == 1.0
    # the price (docs/accuracy.md, "A sensor that fails while you sit"): with p05 read from its
    # mirror, the first minute of her recline, on the slump's boundary even with every sensor
    # sound, reads slumped for 4.1% of her calm time (the same with p05 dead before)
    assert s.slouch_false < 0.05


# -- fsr-cushion-9: a seat-only cushion of 9 FSRs whose reading falls as the load rises --------

def fsr(datasets_dir: Path, session: str, hz: float = datasets.FSR9_HZ) -> datasets.Labelled:
    return datasets.fsr_cushion(datasets_dir / "fsr-cushion-9" / f"{session}.csv", hz)


def test_fsr_cushion_adapter_keeps_the_readings_and_codes_the_labels(datasets_dir) -> None:
    one, two = fsr(datasets_dir, "session1"), fsr(datasets_dir, "session2")
    assert (len(one.t), len(two.t)) == (37496, 6021)  # the README's row counts
    assert one.layout.name == "fsr-cushion-9" and one.layout.inverted
    assert one.values[0].tolist() == [111.24, 126.28, 69.65, 91.48, 227.8, 349.99, 73.25,
                                      277.05, 953.12]  # the file's first row, unchanged
    assert one.t[10] == pytest.approx(1.0)  # 10 rows a second, by assumption
    names = [datasets.FSR9_LABELS[lab] for lab, _, _ in one.segments()]
    assert len(names) == 10 and names[0] == "left_leg_crossed" and names[4] == "empty"
    assert names[names.index("lean_left") + 1] == "lean_right"
    assert len(two.segments()) == 10 and set(two.label) == set(one.label)
    assert np.median(one.values[one.label == 0]) > 1015  # ~1022 empty: readings fall with load
    assert one.classes is datasets.FSR9 and datasets.FSR9.perch == (4,)
    assert 4 not in datasets.FSR9.slouch  # perching on the front third is not a slump


@pytest.mark.parametrize("hz", [5.0, 10.0, 20.0])
def test_fsr_cushion_a_right_lean_straight_after_a_left_one(datasets_dir, hz) -> None:
    """Issue #10: in session 1 a lean to the right follows a lean to the left directly. The
    state stayed "left" for the whole 340 s of the right lean (at 10 Hz) and the nudge about
    the left lean was logged as ignored. Now the left lean ends after the dwell. The right lean
    itself moved the seat's centre only +0.15..+0.24 with the pads read linearly (their
    dividers flatten the reading near full scale), under the 0.25 threshold; the sit bones'
    centre (the rear row) moved +0.25..+0.41, and since that cue it reads right, straight from
    left. The layout now undoes the divider too (docs/accuracy.md)."""
    d = fsr(datasets_dir, "session1", hz)
    prof, _ = scoring.first_upright_profile(d)
    tr = scoring.run_pipeline(d, config.Config(), prof)
    segs = d.segments()
    i = next(k for k, s in enumerate(segs) if datasets.FSR9_LABELS[s[0]] == "lean_left")
    (_, a, b), (right, _, c) = segs[i], segs[i + 1]
    assert datasets.FSR9_LABELS[right] == "lean_right"
    left = (d.t >= a) & (d.t < b)
    assert (tr.balance[left] == "left").mean() >= 0.9
    dwell = config.Config().detect.balance.dwell
    # The state goes straight from left to right after the dwell, at every rate. (With the pads
    # read linearly, the right lean's first seconds sat right at the threshold at 20 Hz, and
    # the state went through balanced; with the divider undone they read clearly right.)
    by = b + dwell + 1
    after = (d.t >= by) & (d.t < c)
    assert not (tr.balance[after] == "left").any()
    assert (tr.balance[after] == "right").mean() > 0.85  # the sit bones' cue (see above)
    ended = [(e.t, e.state) for e in tr.events if e.event == "balance" and b <= e.t < c]
    assert ended and ended[0][0] <= by and ended[-1][1] == "right"
    assert [x[1] for x in ended] == ["right"]
    if hz == 10.0:
        outcomes = [e for e in tr.events if e.event == "nudge_outcome"
                    and e.get("kind") == "asymmetric_load" and a <= e.t < c]
        # the left lean's nudge: not answered by sitting level, since the sitter leaned right
        # straight away and stayed lopsided (before the sit bones' cue the right lean read
        # balanced, which counted as an answer)
        assert [o.get("responded") for o in outcomes] == [False]


def test_fsr_cushion_figures(datasets_dir) -> None:
    """What docs/accuracy.md says of this cushion, with the defaults, calibrated as a user
    would (the first settled upright minute and the empty block), at 10 Hz."""
    got = {}
    for session in ("session1", "session2"):
        d = fsr(datasets_dir, session)
        got[session] = s = scoring.replay_scores(d, config.Config())
        assert s.occupancy >= 0.99
        # session 2 has no upright time outside the calibration minute and the releases
        assert (s.lopsided_false is None) == (session == "session2"), (session, s)
        assert s.lopsided_false is None or s.lopsided_false < 0.03, (session, s)
        # Issue #10: the slump (half lying) is found from the sacrum on the rear midline, and
        # perching on the front third reads weight forward, never slouched. These rules were
        # set on these sessions: dev figures (docs/accuracy.md).
        assert s.slouch_recall == 1.0 and s.slouch_latency <= 30, (session, s)
        assert s.perch_slouched == 0.0 and s.perch_forward > 0.8, (session, s)
        # False slouch: only within one dwell after the half-lying block (session 2's upright
        # time outside the calibration minute is the 8.8 s right after that block, the slump's
        # release, which the scoring leaves out: no false-slouch figure at all).
        if session == "session2":
            assert s.slouch_false is None and s.slouch_release is not None
            assert s.slouch_release <= config.Config().detect.posture.dwell + 1
        tr = scoring.run_pipeline(d, config.Config(), scoring.first_upright_profile(d)[0])
        a = next(a for lab, a, _ in d.segments() if lab == 1)
        dwell = config.Config().detect.posture.dwell
        late = (d.label == 1) & (d.t >= a + dwell + 0.5)
        assert not (tr.posture[late] == "slouched").any(), session
    assert got["session1"].lopsided_recall == 1.0  # both crossed legs and both leans
    assert got["session2"].lopsided_recall >= 0.25


def test_fsr_cushion_calibrate_and_replay_from_the_recording(datasets_dir, tmp_path,
                                                              capsys) -> None:
    """The inverted cushion through the commands a user runs: its recording (readings as the
    device sent them), `sitwatch calibrate --recording`, `sitwatch replay`: the same profile and
    the same events as the eval."""
    d = fsr(datasets_dir, "session2")
    prof, win = scoring.first_upright_profile(d)
    empty = next((a, b) for lab, a, b in d.segments() if lab == 0)
    rec = d.write(tmp_path / "session2.rec")
    cal = tmp_path / "cal.json"
    assert main(["calibrate", "--recording", str(rec), "--empty",
                 f"{empty[0] + 2}:{empty[1] - 2}", "--upright", f"{win[0]}:{win[1]}",
                 "-o", str(cal)]) == 0
    saved = calibration.load(cal)
    assert saved.layout == "fsr-cushion-9" and saved.upright == prof.upright
    assert saved.tare == prof.tare and min(saved.tare) > 1000  # readings, not loads
    capsys.readouterr()
    assert main(["replay", str(rec), "--calibration", str(cal), "--json"]) == 0
    replayed = [json.loads(x) for x in capsys.readouterr().out.splitlines()][:-1]
    direct = scoring.run_pipeline(d, config.Config(), prof).events
    assert len(direct) >= 10
    assert [(e["t"], e["event"], e.get("state")) for e in replayed] == [
        (pytest.approx(e.t), e.event, e.state) for e in direct]
