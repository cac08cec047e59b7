"""docs/camera.md's setup steps run in the order given: it said `sitwatch calibrate camera`
before setting `camera.device`, and that command asks "which camera?" (exit 2) without one."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "camera.md"


def test_the_setup_sets_the_camera_before_calibrating() -> None:
    text = DOC.read_text(encoding="utf-8")
    setup = text[text.index("## Setting it up"):text.index("## How it works")]
    calibrate = re.search(r"^sitwatch calibrate camera(?! .*--camera)", setup, re.M)
    assert calibrate is not None, "the setup no longer shows the calibration step"
    device = setup.find("device = 0")
    assert 0 <= device < calibrate.start(), "set camera.device before `calibrate camera`"
