"""The real landmark recordings (../shared/datasets/webcam-landmarks): calibrated on the first
upright run only, measured on the other runs. The figures asserted are the ones measured
(docs/camera.md), with a small margin."""

from __future__ import annotations

import io
import json
from collections import Counter

import pytest

from sitwatch.camera import landmarks as LM
from sitwatch.cli.camera import cmd_replay_camera
from sitwatch.config.camera import CameraConfig
from sitwatch.evaluation.camera import evaluate, report_lines

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
    # Measured: 100% balanced accuracy on 79 upright and 126 head-down samples of other runs
    # (issue 5 asks for >= 97%), per sample and for the detector after its dwell.
    assert result["n_upright"] == 79 and result["n_head_down"] == 126
    assert result["headdown_balanced_accuracy"] >= 0.97
    assert result["detector_headdown_balanced_accuracy"] >= 0.97
    assert result["headdown_balanced_accuracy"] == pytest.approx(1.0, abs=0.01)
    # The margin around the 0.70 threshold: upright never below 0.77, head down never above 0.61.
    assert result["margin_upright_min_drop"] > 0.75
    assert result["margin_headdown_max_drop"] < 0.63


def test_head_down_holds_whichever_upright_run_calibrates(landmarks_csv):
    """Calibrated on the later upright run (sat ~20% farther away), head down is still told
    from upright every time; leaning back then looks like sitting at the calibrated distance
    (measured: 45.8% called reclined), which docs/accuracy.md states."""
    far = evaluate(landmarks_csv, cal_run=1)
    assert far["calibration_rows"] == (552, 631)
    assert far["headdown_balanced_accuracy"] >= 0.97
    assert far["detector_headdown_balanced_accuracy"] >= 0.97
    assert far["reclined_recall"] == pytest.approx(0.458, abs=0.05)


def test_leaning_back(result):
    # Measured: 96.9% of the leaning-back samples are called reclined; but 32.9% of the later
    # upright run too, because the user sat ~20% farther from the camera than at calibration.
    assert result["reclined_recall"] == pytest.approx(0.969, abs=0.03)
    assert result["upright_false_reclined"] == pytest.approx(0.329, abs=0.05)
    assert result["recline_balanced_accuracy"] == pytest.approx(0.82, abs=0.03)
    scales = {r["label"]: [] for r in result["runs"]}
    for r in result["runs"]:
        scales[r["label"]].append(r["median_scale"])
    assert max(scales[2]) < 0.71 < min(scales[0])  # leaning back: shoulders look narrower


def test_sitwatch_eval_section(landmarks_csv):
    text = "\n".join(report_lines(landmarks_csv.parent, markdown=True))
    assert "| upright vs head down, balanced accuracy (per sample) | 100.0% |" in text


def test_replay_of_the_csv_emits_camera_events(landmarks_csv):
    out = io.StringIO()
    assert cmd_replay_camera(landmarks_csv, cam=CameraConfig(), json_lines=True, out=out) == 0
    lines = [json.loads(x) for x in out.getvalue().splitlines()]
    c = Counter((x["event"], x.get("state")) for x in lines[:-1])
    assert c[("occupancy", "occupied")] == 1 and c[("calibration", "baseline")] == 1
    assert c[("posture", "slouched")] >= 3  # three head-down runs
    assert all(x.get("source") == "camera" for x in lines)
