"""`sitwatch eval` replays every labelled dataset and prints the figures in docs/accuracy.md."""

import pytest

from sitwatch import datasets, evaluate

pytestmark = pytest.mark.datasets


def test_eval_report_covers_every_dataset(datasets_dir) -> None:
    text = evaluate.report(datasets_dir.parent, markdown=True, lopo=False)
    for title in ("smartchair-ml", "ethz-wheelchair", "technion-smart-chair", "webcam-landmarks"):
        assert f"## {title}" in text
    rows = [r for r in text.splitlines() if r.startswith("| almir | defaults, profile")]
    assert rows and rows[0].split("|")[3].strip() == "100.0%"  # occupancy
    assert "upright vs head down, balanced accuracy (per sample) | 100.0%" in text


def test_milder_copy_moves_postures_towards_upright(datasets_dir) -> None:
    d = datasets.smartchair(datasets_dir / "smartchair-ml" / "scripted_almir.csv")
    m = evaluate.milder(d, 0.5)
    prof, _ = evaluate.first_upright_profile(d)
    up = prof.array("upright")
    slump = d.label == 7
    before = abs(d.values[slump] - up).mean()
    after = abs(m.values[slump] - up).mean()
    assert after == pytest.approx(before / 2, rel=1e-6)
    assert (m.values[d.label == 0] == d.values[d.label == 0]).all()
