"""The real landmark recordings (../shared/datasets/webcam-landmarks): calibrated on the first
upright run only, measured on the other runs. The figures asserted are the ones measured
(docs/camera.md), with a small margin."""

from __future__ import annotations

import io
import json
import math
from collections import Counter

import pytest

from sitwatch.camera import baseline as B
from sitwatch.camera import features as F
from sitwatch.camera import landmarks as LM
from sitwatch.camera.detector import classify
from sitwatch.cli.camera import cmd_replay_camera
from sitwatch.config.camera import CameraConfig
from sitwatch.core.kinds import Posture
from sitwatch.evaluation.camera import (
    NAIVE_THRESHOLD,
    distance_rows,
    evaluate,
    held_out_splits,
    report_lines,
)

pytestmark = pytest.mark.datasets


@pytest.fixture(scope="module")
def result(landmarks_csv):
    return evaluate(landmarks_csv)


def test_the_file_has_16_runs_and_is_read_unmirrored(landmarks_csv):
    frames = list(LM.read_csv(landmarks_csv))
    runs = LM.label_runs([f.label for f in frames])
    assert len(frames) == 777 and len(runs) == 16
    # Unmirrored: the person's left shoulder is on the right of the picture.
    lm = frames[0].landmarks
    assert lm[LM.LEFT_SHOULDER, 0] > lm[LM.RIGHT_SHOULDER, 0]


def test_upright_vs_head_down(result):
    # Measured: 99.6% balanced accuracy per sample on 79 upright and 126 head-down samples of
    # other runs (issue 5 asks for >= 97%), 100% for the detector after its dwell. It was 100%
    # per sample before issue #10: 6 head-down rows of run 12 (the shoulders below the picture,
    # the face seen from above) were called slouched from the nose's position in the frame,
    # the cue that also read an upright sitter framed lower as slouched; issue #10 left them
    # unjudged (97.6%). Now a face seen from above (eyes crowded, nose at or above the ears)
    # is judged against the shoulder line remembered from upright sitting: 5 of the 6 read
    # slouched; the sixth keeps its eyes apart (it looks tipped back) and stays unjudged.
    assert result["n_upright"] == 79 and result["n_head_down"] == 126
    assert result["headdown_balanced_accuracy"] >= 0.97
    assert result["detector_headdown_balanced_accuracy"] >= 0.97
    assert result["headdown_balanced_accuracy"] == pytest.approx(0.996, abs=0.003)
    assert result["detector_headdown_balanced_accuracy"] == pytest.approx(1.0, abs=0.01)
    # The margin around the 0.70 threshold: upright never below 0.77, head down never above 0.61.
    assert result["margin_upright_min_drop"] > 0.75
    assert result["margin_headdown_max_drop"] < 0.63


def test_head_down_holds_whichever_upright_run_calibrates(landmarks_csv):
    """Calibrated on the later upright run (sat ~20% farther away), head down is still told
    from upright; leaning back is never called reclined by the camera since issue #10 (it was
    45.8%: leaning back looked like sitting at the calibrated distance), which
    docs/accuracy.md states."""
    far = evaluate(landmarks_csv, cal_run=1)
    assert far["calibration_rows"] == (552, 631)
    assert far["headdown_balanced_accuracy"] >= 0.97
    assert far["detector_headdown_balanced_accuracy"] >= 0.97
    assert far["reclined_recall"] == pytest.approx(0.0, abs=0.05)


def test_leaning_back(result):
    # Since issue #10 apparent size is not a posture cue: leaning back (was 96.9% reclined)
    # and the later upright run sat ~20% farther away (was 32.9% reclined) both read upright;
    # the camera no longer reports reclined. The shoulders still look narrower leaning back
    # (the distance estimate), which is what re-anchors the size reference.
    assert result["reclined_recall"] == pytest.approx(0.0, abs=0.03)
    assert result["upright_false_reclined"] == pytest.approx(0.0, abs=0.05)
    assert result["recline_balanced_accuracy"] == pytest.approx(0.5, abs=0.03)
    assert result["confusion"]["leaning back"] == {"upright": 131}
    scales = {r["label"]: [] for r in result["runs"]}
    for r in result["runs"]:
        scales[r["label"]].append(r["median_scale"])
    assert max(scales[2]) < 0.71 < min(scales[0])  # leaning back: shoulders look narrower


def test_sitwatch_eval_section(landmarks_csv):
    text = "\n".join(report_lines(landmarks_csv.parent, markdown=True))
    assert "| upright vs head down, balanced accuracy (per sample) | 99.6% |" in text
    assert "transformed dev data, not held out" in text


@pytest.fixture(scope="module")
def views(landmarks_csv):
    return {r["view"].name: r for r in distance_rows(landmarks_csv)}


def test_closer_and_farther_than_at_calibration(views):
    """Issue #10: 30-40% closer read leaning_forward (measured before the fix: 100% of the
    upright samples about the face, 71-79% about the image centre). Now no distance reads
    leaning_forward or slouched in upright sitting, and head down is told from upright at
    >= 97% whenever the head stays in the picture."""
    for name, r in views.items():
        if "framed" in name or name.startswith("seen from"):  # (another angle: below)
            continue
        assert r["upright_called_forward"] == 0.0, name
        assert r["upright_called_slouched"] == 0.0, name
        if r["headdown_out_of_picture"] == 0.0:
            assert r["headdown_balanced_accuracy"] >= 0.97, name
        assert r["headdown_balanced_accuracy"] >= r["naive_headdown_balanced_accuracy"], name
    assert views["1.4x, about the face"]["headdown_balanced_accuracy"] >= 0.97


def test_a_head_that_leaves_the_picture_is_judged_from_what_is_left_or_not_at_all(views):
    """About the image centre at 1.3-1.4x the dropped head leaves the bottom of the frame
    (17-23% of the head-down samples), and framed 0.3 lower over half of them. What is left
    of the head is judged from the eyes against the ears (only ever slouched); a head seen
    down at the bottom edge that then leaves the picture is held down until it comes back
    (HeadGone). Measured before it: 96.0% / 94.8% / 92.1% per sample (every sample not judged
    a miss); with the views made as the real model sees them (the pose lost once the face has
    left the picture) 95.6% / 94.4% / 75.4%. Now 100% / 100% / 89.7%: framed 0.3 lower, the
    head of run 12 is out of the picture from its first sample, never seen going down, so
    nothing is filled in (26 samples not judged). Every judged sample is right, upright is
    never called slouched, and the detector after its dwell is 100% in every view."""
    for name, r in views.items():
        if name.startswith("seen from"):  # another camera angle: test_another_camera_angle
            continue
        assert r["detector_headdown_balanced_accuracy"] == 1.0, name
        assert r["headdown_judged_balanced_accuracy"] == 1.0, name
        assert r["upright_called_slouched"] == 0.0, name
    centre = [r for name, r in views.items() if "about the image centre" in name
              and name.startswith(("1.3x", "1.4x"))]
    lower = views["framed lower (shifted down 0.3: upright shoulders leave the picture)"]
    assert len(centre) == 2
    for r in centre:
        assert r["headdown_out_of_picture"] >= 0.15
        assert r["headdown_balanced_accuracy"] == 1.0  # every head gone below was seen going
    assert lower["headdown_judged_share"] == pytest.approx(100 / 126, abs=0.01)
    assert lower["headdown_balanced_accuracy"] == pytest.approx(0.897, abs=0.003)


def test_head_gone_fills_only_head_down_samples(landmarks_csv):
    """With the head-gone memory switched off (a hold of 0 s), the views lose exactly the
    head-down samples it filled, and no upright sample changes: it never invents a slump."""
    from sitwatch.camera import detector

    with_memory = {r["view"].name: r for r in distance_rows(landmarks_csv)}
    mp = pytest.MonkeyPatch()
    mp.setattr(detector, "LOST_BELOW_HOLD", 0.0)
    mp.setattr(detector.HeadGone.__init__, "__defaults__", (0.0,))
    try:
        without = {r["view"].name: r for r in distance_rows(landmarks_csv)}
    finally:
        mp.undo()
    gained = 0
    for name, r in with_memory.items():
        if name.startswith("seen from"):
            continue  # another camera angle: see test_another_camera_angle
        w = without[name]
        assert r["upright_called_slouched"] == w["upright_called_slouched"] == 0.0, name
        assert r["headdown_recall"] >= w["headdown_recall"], name
        gained += r["headdown_recall"] > w["headdown_recall"]
    assert gained >= 4  # 1.3x, 1.4x, framed lower 0.15 and 0.3, 1.35x framed lower 0.1


def test_another_framing(views):
    """Issue #10: an upright run framed otherwise read slouched (measured before the fix:
    72% with the shoulders pushed below the picture). Now never."""
    for name, r in views.items():
        if "framed" not in name:
            continue
        assert r["upright_called_slouched"] == 0.0, name
        assert r["upright_called_forward"] == 0.0, name
    assert views["framed aside (shifted right 0.25)"]["headdown_balanced_accuracy"] >= 0.97
    assert views["framed higher (shifted up 0.15)"]["headdown_balanced_accuracy"] >= 0.97


def test_another_camera_angle(views):
    """A camera that looks from higher or lower than at calibration (a laptop lid tilted), or
    from one side, foreshortens the picture: measured, not tuned for. About 25 degrees keeps
    the target per sample; about 37 degrees reads a fifth of the upright samples slouched
    (docs/camera.md: recalibrate after changing the camera's angle), though the detector's
    state, after its dwell, still tells upright from head down."""
    tilt25 = views["seen from higher or lower (vertical distances 0.9x: about 25 degrees of tilt)"]
    assert tilt25["headdown_balanced_accuracy"] >= 0.97
    assert tilt25["upright_called_slouched"] < 0.03
    tilt37 = views["seen from higher or lower (vertical distances 0.8x: about 37 degrees of tilt)"]
    assert tilt37["detector_headdown_balanced_accuracy"] >= 0.97
    assert tilt37["upright_called_forward"] == 0.0
    side = views["seen from one side (horizontal distances 0.8x: about 37 degrees off-axis)"]
    assert side["headdown_balanced_accuracy"] >= 0.95
    assert side["upright_called_slouched"] == 0.0


def test_the_naive_rule_is_fixed_not_tuned(views):
    assert pytest.approx(0.515) == NAIVE_THRESHOLD
    assert views["as recorded"]["naive_headdown_balanced_accuracy"] == pytest.approx(0.976,
                                                                                     abs=0.01)


def test_replay_of_the_csv_emits_camera_events(landmarks_csv):
    out = io.StringIO()
    assert cmd_replay_camera(landmarks_csv, cam=CameraConfig(), json_lines=True, out=out) == 0
    lines = [json.loads(x) for x in out.getvalue().splitlines()]
    c = Counter((x["event"], x.get("state")) for x in lines[:-1])
    assert c[("occupancy", "occupied")] == 1 and c[("calibration", "baseline")] == 1
    assert c[("posture", "slouched")] >= 3  # three head-down runs
    assert all(x.get("source") == "camera" for x in lines)


def test_held_out_by_session_meets_the_target_both_ways(landmarks_csv):
    """Issue #10's held-out webcam rows: calibrated in one session, scored on the other (sat
    0.70-0.79x / 1.18-1.26x the calibrated size). Measured before the face-from-above rule:
    96.1% (session 1 -> 2; 6 head-down rows of run 12 unjudged) and 100%; now 99.3% and 100%
    per sample, 100% after the dwell both ways. The rule was made on these runs: the split is
    by session and distance, not by person."""
    splits = held_out_splits(landmarks_csv)
    other = [s for s in splits if s.other_distance]
    assert len(other) == 2
    for s in other:
        assert s.figures["headdown_balanced_accuracy"] >= 0.97, s.short
        assert s.figures["detector_headdown_balanced_accuracy"] == 1.0, s.short
        assert s.figures["upright_called_slouched"] == 0.0, s.short
        assert s.figures["upright_called_forward"] == 0.0, s.short
    assert min(s.figures["headdown_balanced_accuracy"] for s in other) == \
        pytest.approx(0.993, abs=0.003)


def test_only_head_down_gains_slouched_calls(landmarks_csv, monkeypatch):
    """The face-from-above rule and the eyes' rule (the nose out of the picture) add
    "slouched" only to head-down samples: turned heads,
    leaning back and chin on hand keep their per-sample counts in every view (each run scaled
    by the view's factor), with the baseline from either session."""
    from sitwatch.camera import detector
    from sitwatch.evaluation.camera import VIEWS

    cfg = CameraConfig()
    frames = list(LM.read_csv(landmarks_csv))
    runs = LM.label_runs([f.label for f in frames])
    cal = [r for r in runs if r[0] == 0]

    def counts():
        out = Counter()
        for _, a, b in cal:
            prof = B.from_features([F.extract(f.landmarks) for f in frames[a:b]],
                                   method="recording")
            for view in VIEWS:
                for lab, a2, b2 in runs:
                    for f in frames[a2:b2]:
                        g = F.extract(view.apply(f.landmarks, view.size or 1.0))
                        out[lab] += classify(g, prof, cfg) == Posture.SLOUCHED
        return out

    now = counts()
    monkeypatch.setattr(detector, "EYE_FALL", math.inf)  # the eyes' rule off
    no_eyes = counts()
    monkeypatch.setattr(detector, "FACE_FROM_ABOVE", 0.0)  # the face-from-above rule off
    before = counts()
    assert now[1] > no_eyes[1] > before[1]  # head down gains from each rule
    for a, b in ((now, no_eyes), (no_eyes, before)):
        assert {k: v for k, v in a.items() if k != 1} == {k: v for k, v in b.items() if k != 1}


def test_sitwatch_replay_of_a_close_up_holds_a_head_gone_below(landmarks_csv, tmp_path):
    """Through the commands a user runs: session 2's upright run and head-down run as a camera
    1.9x closer would have seen them (about the image centre; the eval's view, so the pose is
    lost once the face has left the picture), the head then staying below the picture for
    30 s (the model finds nobody), then upright again. `sitwatch calibrate camera` on the
    upright minute, `sitwatch replay --json`. Before: only "upright" (the head was judged
    down for 3 s, less than the dwell, then never again). Now the head gone below counts as
    down: upright, slouched, upright, and the chair never reads empty."""
    from sitwatch.evaluation.camera import View
    from tests.helpers.cli import sitwatch_ok

    frames = list(LM.read_csv(landmarks_csv))
    close = View("close-up", 1.4)
    upright, head_down = frames[552:631], frames[631:638]  # run 11; run 12 until it is out
    seq = ([close.apply(f.landmarks, 1.9) for f in upright + head_down] + [None] * 60
           + [close.apply(f.landmarks, 1.9) for f in upright])
    assert seq[86] is None and seq[85] is not None  # the face left the picture at row 86
    path = tmp_path / "close-up.jsonl"
    with path.open("w") as fh:
        w = LM.Writer(fh)
        for i, lm in enumerate(seq):
            w.write(i * 0.5, lm)
    home = tmp_path / "home"
    prof = tmp_path / "camera.json"
    sitwatch_ok("calibrate", "camera", "--recording", str(path), "--upright", "0:30",
                "-o", str(prof), home=home)
    out = sitwatch_ok("replay", str(path), "--camera-calibration", str(prof), "--json",
                      home=home)
    evs = [json.loads(x) for x in out.splitlines()]
    postures = [(e["t"], e["state"]) for e in evs if e["event"] == "posture"]
    assert [s for _, s in postures] == ["upright", "slouched", "upright"]
    assert 39.5 + 10 <= postures[1][0] <= 39.5 + 12  # the head dropped at 39.5 s
    assert ("occupancy", "empty") not in [(e["event"], e.get("state")) for e in evs]
