"""Replays of real photos made into a clip, through the real model; and the privacy promise."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import numpy as np

from sitwatch.camera import baseline as B
from sitwatch.camera.replay import kind_of, replay, samples
from sitwatch.camera.source import PoseReading
from sitwatch.cli.camera import calibrate_from_recording, cmd_replay_camera
from sitwatch.config.camera import CameraConfig
from tests.helpers.camera import astronaut_bgr, on_canvas

IMAGE_OR_VIDEO = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff", ".ppm", ".pgm",
                  ".gif", ".avi", ".mp4", ".mkv", ".mov", ".webm", ".mjpg", ".yuv", ".raw"}


def cam_cfg(model_path: Path, **kw) -> CameraConfig:
    return CameraConfig(model=str(model_path), pause_when_locked=False, **kw)


def test_calibrate_from_the_clips_upright_stretch_then_replay(slouch_clip, model_path):
    cfg = cam_cfg(model_path)
    prof = calibrate_from_recording(slouch_clip, cfg, (2.0, 15.0))
    assert prof.method == "recording" and prof.samples >= 20
    evs = [e.as_dict() for e in replay(slouch_clip, cfg, prof)]
    postures = [(e["t"], e["state"]) for e in evs if e["event"] == "posture"]
    assert all(e["source"] == "camera" for e in evs if e["event"] in ("posture", "occupancy"))
    assert [s for _, s in postures] == ["upright", "slouched", "upright"]
    # The head drops at 20 s; reported after the slow-sample wait and the 10 s dwell.
    t_slouch = postures[1][0]
    assert 30.0 <= t_slouch <= 36.0
    assert 60.0 + 10.0 <= postures[2][0] <= 60.0 + 16.0


def test_duty_cycle_spares_most_frames(slouch_clip, model_path):
    cfg = cam_cfg(model_path)
    prof = calibrate_from_recording(slouch_clip, cfg, (2.0, 15.0))
    readings = []
    list(replay(slouch_clip, cfg, prof, on_reading=readings.append))
    # 90 s at 5 fps = 450 frames; the duty cycle looks at a small share of them.
    assert 20 <= len(readings) <= 60


def test_auto_calibration_on_a_clip(slouch_clip, model_path):
    evs = [e.as_dict() for e in replay(slouch_clip, cam_cfg(model_path, auto_settle=8.0))]
    kinds = [(e["event"], e.get("state")) for e in evs]
    assert kinds[0] == ("occupancy", "occupied")
    assert ("calibration", "baseline") in kinds
    assert ("posture", "slouched") in kinds


def test_an_image_folder_replays_too(tmp_path, model_path):
    import cv2

    ast = astronaut_bgr()
    folder = tmp_path / "frames"
    folder.mkdir()
    cv2.imwrite(str(folder / "000.png"), on_canvas(ast))
    cv2.imwrite(str(folder / "001.png"), np.full((480, 640, 3), 90, np.uint8))
    assert kind_of(folder) == "folder"
    got = [r for r in samples(folder, cam_cfg(model_path, image_period=10.0), every=5.0)
           if isinstance(r, PoseReading)]
    assert [r.t for r in got] == [0.0, 5.0, 10.0, 15.0]
    assert [r.features.present for r in got] == [True, True, False, False]


def test_cli_replay_prints_json_lines(slouch_clip, model_path, tmp_path):
    out = io.StringIO()
    lm = tmp_path / "poses.jsonl"
    rc = cmd_replay_camera(slouch_clip, cam=cam_cfg(model_path, auto_settle=8.0),
                           json_lines=True, out=out, landmarks_out=lm)
    assert rc == 0
    lines = [json.loads(x) for x in out.getvalue().splitlines()]
    assert lines[-1]["event"] == "summary"
    assert any(x["event"] == "posture" and x["source"] == "camera" for x in lines)
    # The poses went to a landmark file (numbers only) that replays to the same postures.
    again = io.StringIO()
    assert cmd_replay_camera(lm, cam=cam_cfg(model_path, auto_settle=8.0), json_lines=True,
                             out=again) == 0
    post = [x["state"] for x in lines if x["event"] == "posture"]
    post2 = [json.loads(x)["state"] for x in again.getvalue().splitlines()
             if json.loads(x)["event"] == "posture"]
    assert post == post2


def test_replay_without_a_model_says_how_to_get_one(slouch_clip, tmp_path, capsys):
    rc = cmd_replay_camera(slouch_clip, cam=CameraConfig(model=str(tmp_path / "none.task")))
    assert rc == 1 and "sitwatch model fetch" in capsys.readouterr().err


def _listing(*roots: Path) -> set[str]:
    out = set()
    for root in roots:
        for dirpath, _dirs, files in os.walk(root):
            out.update(os.path.join(dirpath, f) for f in files)
    return out


def test_frames_are_never_written_anywhere(slouch_clip, model_path, tmp_path, monkeypatch):
    """A capture + pose run in a temp working directory creates no image or video file (in the
    cwd, the temp dirs or sitwatch's own dirs), and never calls an OpenCV writer."""
    import tempfile

    import cv2

    work = tmp_path / "cwd"
    private_tmp = tmp_path / "tmp"
    work.mkdir()
    private_tmp.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("TMPDIR", str(private_tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    system_tmp = Path("/tmp")
    watched = (tmp_path, system_tmp, Path(os.environ["XDG_DATA_HOME"]),
               Path(os.environ["XDG_STATE_HOME"]), Path(os.environ["XDG_RUNTIME_DIR"]))

    def listing() -> set[str]:
        # Other pytest sessions may run beside this one: their tmp dirs are not ours to judge.
        return {p for p in _listing(*watched)
                if not (p.startswith(str(system_tmp / "pytest-of-"))
                        and not p.startswith(str(tmp_path)))}

    before = listing()

    def forbidden(*a, **k):
        raise AssertionError("a frame was about to be written")

    monkeypatch.setattr(cv2, "imwrite", forbidden)
    monkeypatch.setattr(cv2, "VideoWriter", forbidden)
    monkeypatch.setattr(cv2, "imencode", forbidden)
    cfg = cam_cfg(model_path, device=str(slouch_clip), auto_settle=8.0)
    evs = list(replay(slouch_clip, cfg))
    prof = calibrate_from_recording(slouch_clip, cfg, (2.0, 15.0))
    prof.save(work / "camera_calibration.json")  # derived numbers are allowed
    assert evs and prof.samples
    new = listing() - before
    media = sorted(p for p in new if Path(p).suffix.lower() in IMAGE_OR_VIDEO)
    assert media == []
    assert {str(Path(p).relative_to(tmp_path)) for p in new if p.startswith(str(tmp_path))} == {
        "cwd/camera_calibration.json"}
    profile = B.load(work / "camera_calibration.json")
    assert set(profile.model_dump()) >= {"features", "samples"}


def test_the_callers_model_outlives_a_calibration_and_a_replay(slouch_clip, estimator,
                                                               model_path):
    """A pose model handed to the calibration from a recording is the caller's: the camera
    source the calibration read the clip with closed it, so the replay that followed with the
    same model failed ('NoneType' object has no attribute 'detect_for_video')."""
    cfg = cam_cfg(model_path)
    prof = calibrate_from_recording(slouch_clip, cfg, (2.0, 15.0), estimator=estimator)
    readings: list[PoseReading] = []
    evs = [e.as_dict() for e in replay(slouch_clip, cfg, prof, estimator=estimator,
                                       on_reading=readings.append)]
    assert readings and ("posture", "slouched") in [(e["event"], e.get("state")) for e in evs]
    assert estimator(np.zeros((48, 64, 3), np.uint8), 1000.0) is None  # still open
