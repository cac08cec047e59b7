"""CameraConfig: the [camera] section's schema, and that it stays light to import."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from pydantic import ValidationError

from sitwatch.config.camera import CameraConfig

LIGHT_MODULES = [
    "sitwatch.camera", "sitwatch.config.camera", "sitwatch.camera.features",
    "sitwatch.camera.landmarks", "sitwatch.camera.baseline", "sitwatch.camera.detector",
    "sitwatch.camera.fusion", "sitwatch.camera.pipeline", "sitwatch.camera.source",
    "sitwatch.camera.capture", "sitwatch.camera.pose", "sitwatch.camera.replay",
    "sitwatch.camera.model", "sitwatch.cli.camera", "sitwatch.evaluation.camera",
    "sitwatch.camera.screen",
]


def test_importing_the_camera_package_loads_neither_opencv_nor_mediapipe():
    code = (
        "import importlib, json, sys\n"
        f"for m in {LIGHT_MODULES!r}: importlib.import_module(m)\n"
        "from sitwatch.config.camera import CameraConfig\n"
        "CameraConfig(device=0).model_path()\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('cv2', 'mediapipe'))))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(r.stdout) == []


def test_defaults_are_valid_and_off():
    c = CameraConfig()
    assert c.device == "" and not c.enabled and c.device_kind() == "none"
    assert c.fast_interval <= c.slow_interval <= c.absent_interval


def test_every_field_is_described():
    for name, field in CameraConfig.model_fields.items():
        assert field.description, name


def test_unknown_keys_are_rejected():
    with pytest.raises(ValidationError, match="extra"):
        CameraConfig.model_validate({"devcie": 0})


@pytest.mark.parametrize(("given", "kind"), [(0, "index"), ("2", "index"), ("/dev/video0", "v4l"),
                                             ("clip.mp4", "video")])
def test_device_forms(given, kind):
    c = CameraConfig(device=given)
    assert c.device_kind() == kind
    if kind == "index":
        assert isinstance(c.device, int)


def test_a_folder_device(tmp_path):
    assert CameraConfig(device=str(tmp_path)).device_kind() == "folder"


@pytest.mark.parametrize("bad", [
    {"device": -1},
    {"device": True},
    {"fast_interval": 10, "slow_interval": 5},
    {"absent_interval": 1},
    {"reconnect_min": 10, "reconnect_max": 1},
    {"slouch_drop_ratio": 1.2},
    {"forward_scale": 0.9},
])
def test_invalid_values_are_rejected(bad):
    with pytest.raises(ValidationError):
        CameraConfig(**bad)


def test_model_and_calibration_default_to_the_data_dir(tmp_path):
    c = CameraConfig()
    assert c.model_path().name == "pose_landmarker_full.task"
    assert c.model_path().parent == c.calibration_path().parent
    assert CameraConfig(variant="lite").model_path().name == "pose_landmarker_lite.task"
    assert CameraConfig(model=str(tmp_path / "m.task")).model_path() == tmp_path / "m.task"
