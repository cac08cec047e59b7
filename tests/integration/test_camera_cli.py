"""The camera commands the main CLI hooks in: calibrate (recording and live) and replay."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest

from sitwatch.camera import baseline as B
from sitwatch.camera.capture import VideoFileCapture
from sitwatch.cli.camera import (
    cmd_calibrate_camera,
    cmd_replay_camera,
    is_camera_input,
    live_calibrate,
)
from sitwatch.cli.camera_flags import add_calibrate_camera_flags, add_replay_flags
from sitwatch.cli.camera_flags import register_model as add_model_parser
from sitwatch.config.camera import CameraConfig
from sitwatch.core.clock import ManualClock
from sitwatch.core.spans import recording_span as parse_span


def ns(**kw):
    base = dict(no_user_config=True, recording=None, upright=None, output=None, preview=False,
                seconds=10.0, camera=None)
    base.update(kw)
    return argparse.Namespace(**base)


def test_calibrate_from_the_landmark_csv(landmarks_csv, tmp_path, capsys):
    out = tmp_path / "cam.json"
    rc = cmd_calibrate_camera(ns(recording=str(landmarks_csv), upright="0:25", output=str(out)))
    assert rc == 0, capsys.readouterr().err
    prof = B.load(out)
    assert prof.method == "recording" and prof.samples == 50
    assert prof.get("head_drop") == pytest.approx(0.79, abs=0.02)
    # ... and the replay with that profile finds the head-down runs.
    buf = io.StringIO()
    assert cmd_replay_camera(landmarks_csv, calibration=out, json_lines=True, out=buf) == 0
    first = [json.loads(x) for x in buf.getvalue().splitlines()
             if json.loads(x)["event"] == "posture"][:2]
    assert [p["state"] for p in first] == ["upright", "slouched"]


@pytest.mark.parametrize(("kw", "words"), [
    (dict(recording="x.csv"), "--upright START:END is required"),
    (dict(recording="x.csv", upright="9:3"), "write START:END"),
    (dict(), "which camera?"),
])
def test_calibrate_usage_errors(kw, words, capsys):
    assert cmd_calibrate_camera(ns(**kw)) == 2
    assert words in capsys.readouterr().err


def test_calibrate_outside_the_recording(landmarks_csv, tmp_path, capsys):
    rc = cmd_calibrate_camera(ns(recording=str(landmarks_csv), upright="5000:5010",
                                 output=str(tmp_path / "c.json")))
    assert rc == 1 and "nothing between 5000 and 5010" in capsys.readouterr().err


def test_live_calibration_on_a_clip(slouch_clip, estimator):
    clock = ManualClock()
    said = []
    prof = live_calibrate(CameraConfig(device=str(slouch_clip)), seconds=8.0, countdown=2,
                          clock=clock, sleep=clock.advance, capture=VideoFileCapture(slouch_clip),
                          estimator=estimator, say=said.append)
    assert prof.method == "interactive" and prof.samples >= 30
    assert prof.aspect == pytest.approx(4 / 3)
    assert any("upright" in s for s in said)


def test_preview_needs_a_display(monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    with pytest.raises(B.CameraCalibrationError, match="DISPLAY"):
        live_calibrate(CameraConfig(device=0), preview=True)


def test_spans():
    assert parse_span("30:90") == (30.0, 90.0)
    assert parse_span("1:00-1:30") == (60.0, 90.0)
    with pytest.raises(ValueError):
        parse_span("90:30")


def test_camera_inputs(tmp_path, landmarks_csv):
    (tmp_path / "a.mp4").write_bytes(b"")
    rec = tmp_path / "cushion.rec"
    rec.write_text("# sitwatch recording\n0.0,1,2,3,4\n")
    assert is_camera_input(tmp_path) and is_camera_input(tmp_path / "a.mp4")
    assert is_camera_input(landmarks_csv)
    assert not is_camera_input(rec)


def test_parsers_hook_into_a_main_cli():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd")
    add_model_parser(sub)
    cal = sub.add_parser("calibrate")
    cal.add_argument("target", nargs="?", choices=["cushion", "camera"], default="cushion")
    add_calibrate_camera_flags(cal)
    rp = sub.add_parser("replay")
    add_replay_flags(rp)
    a = p.parse_args(["model", "fetch", "--variant", "lite"])
    assert a.action == "fetch" and a.variant == "lite" and callable(a.func)
    a = p.parse_args(["calibrate", "camera", "--preview", "--seconds", "5"])
    assert a.target == "camera" and a.preview and a.seconds == 5
    a = p.parse_args(["replay", "--every", "2"])
    assert a.every == 2.0


def test_calibrate_with_no_such_camera_says_so_before_the_countdown(tmp_path, model_path,
                                                                    capsys):
    """The user's command: one line (the one `run` and `doctor` give), exit 1, and no countdown
    asking them to sit still for a camera that is not there."""
    from sitwatch.camera.capture import open_failure_reason
    from sitwatch.cli.main import main

    missing = Path("/dev/video99")  # a webcam's device node
    if missing.exists():
        pytest.skip(f"{missing} exists here")
    cfg = tmp_path / "cam.toml"
    cfg.write_text(f'[cushion]\nport = ""\n[camera]\nmodel = "{model_path}"\n')
    rc = main(["--config", str(cfg), "calibrate", "camera", "--camera", str(missing)])
    cap = capsys.readouterr()
    assert rc == 1
    assert "Traceback" not in cap.err and "..." not in cap.err and "Sit upright" not in cap.err
    assert [ln for ln in cap.err.splitlines() if ln.startswith("sitwatch:")] == \
        [f"sitwatch: {open_failure_reason(str(missing))}"]
    assert not (tmp_path / "camera_calibration.json").exists()


def _sitwatch(tmp_path, *args, env_extra=None):
    import os
    import subprocess
    import sys

    env = dict(os.environ, **(env_extra or {}))
    for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"),
                     ("XDG_STATE_HOME", "state"), ("XDG_RUNTIME_DIR", "run")):
        (tmp_path / sub).mkdir(exist_ok=True)
        env[var] = str(tmp_path / sub)
    return subprocess.run([sys.executable, "-m", "sitwatch", "--no-user-config", *args],
                          env=env, capture_output=True, text=True, timeout=120)


def _noise(stderr: str) -> list[str]:
    import re

    return [ln for ln in stderr.splitlines()
            if re.match(r"(INFO: |WARNING: |[IW]\d{4} \d\d:\d\d:\d\d)", ln)]


def test_camera_commands_are_not_drowned_in_mediapipes_log(slouch_clip, model_path, tmp_path):
    """MediaPipe's native code printed ~45 lines at every model load ("Sparsity tensors may not
    yet be fully supported" x38, LiteRT INFO lines, "Logging before InitGoogle()"): the user
    sees sitwatch's own lines only; a broken model still gets sitwatch's clear message."""
    cfg = tmp_path / "cam.toml"
    cfg.write_text(f'[camera]\nmodel = "{model_path}"\n')
    out = _sitwatch(tmp_path, "--config", str(cfg), "calibrate", "camera", "--recording",
                    str(slouch_clip), "--upright", "0:10", "-o", str(tmp_path / "c.json"))
    assert out.returncode == 0, out.stderr
    assert "camera calibration saved" in out.stdout
    assert not _noise(out.stderr), out.stderr
    rep = _sitwatch(tmp_path, "--config", str(cfg), "replay", str(slouch_clip))
    assert rep.returncode == 0, rep.stderr
    assert "sitwatch: camera profile: learned from the recording" in rep.stderr.splitlines()
    assert not _noise(rep.stderr), rep.stderr
    bad = tmp_path / "bad.task"
    bad.write_bytes(b"PK\x03\x04 not really a zip archive")
    cfg.write_text(f'[camera]\nmodel = "{bad}"\n')
    broken = _sitwatch(tmp_path, "--config", str(cfg), "replay", str(slouch_clip))
    assert f"{bad}: MediaPipe cannot load this model" in broken.stdout + broken.stderr


def test_calibrating_from_a_video_with_a_broken_model_reports_the_model_alone(slouch_clip,
                                                                             model_path,
                                                                             tmp_path):
    """Regression: with a truncated copy of the real model, `sitwatch calibrate camera
    --recording` warned that MediaPipe cannot load it, then said "the recording covers no
    poses". Now one line about the model, exit 1, no calibration written."""
    broken = tmp_path / "pose_landmarker_full.task"
    broken.write_bytes(model_path.read_bytes()[:100_000])  # a zip cut short: "PK" and all
    cfg = tmp_path / "cam.toml"
    cfg.write_text(f'[camera]\nmodel = "{broken}"\n')
    out = _sitwatch(tmp_path, "--config", str(cfg), "calibrate", "camera", "--recording",
                    str(slouch_clip), "--upright", "0:10", "-o", str(tmp_path / "c.json"))
    assert out.returncode == 1, out.stderr
    lines = out.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"sitwatch: {broken}: MediaPipe cannot "
                                                   "load this model"), out.stderr
    assert "Traceback" not in out.stderr and not out.stdout
    assert not (tmp_path / "c.json").exists()


def test_replaying_a_video_with_a_broken_model_reports_the_model_alone(slouch_clip, model_path,
                                                                       tmp_path):
    """Regression: `sitwatch replay clip.avi` with a truncated copy of the real model printed
    "sensor offline (... cannot load this model)" as if it were the recording's event, logged a
    warning, and exited 0. Now, as `calibrate camera --recording` does: the model is loaded
    before the video is read, one line about it, exit 1, no events."""
    broken = tmp_path / "pose_landmarker_full.task"
    broken.write_bytes(model_path.read_bytes()[:100_000])  # a zip cut short: "PK" and all
    cfg = tmp_path / "cam.toml"
    cfg.write_text(f'[camera]\nmodel = "{broken}"\n')
    for flags in ([], ["--json"]):
        out = _sitwatch(tmp_path, "--config", str(cfg), "replay", *flags, str(slouch_clip))
        assert out.returncode == 1, out.stderr
        assert out.stderr.splitlines() == [
            f"sitwatch: {broken}: MediaPipe cannot load this model (Unable to open zip archive.)"
        ], out.stderr
        assert not out.stdout


def test_replaying_a_file_opencv_cannot_read_says_so(model_path, tmp_path):
    """A `.avi` that is no video printed nothing at all and exited 0: the reason the camera
    source gave (and swallowed as the normal end of a file) is now the error, exit 1."""
    junk = tmp_path / "clip.avi"
    junk.write_bytes(bytes(range(256)) * 20)
    cfg = tmp_path / "cam.toml"
    cfg.write_text(f'[camera]\nmodel = "{model_path}"\n')
    out = _sitwatch(tmp_path, "--config", str(cfg), "replay", str(junk))
    assert out.returncode == 1, out.stderr
    assert out.stderr.splitlines()[-1] == f"sitwatch: {junk}: not a video OpenCV can read"
    assert not out.stdout


def test_replaying_a_camera_recording_uses_the_profile_named_by_calibration(landmarks_csv,
                                                                            tmp_path):
    """The README's `sitwatch replay FILE --calibration C` on a camera recording silently used
    the saved camera profile instead of C (even a C that did not exist): a new user checking
    the profile `calibrate camera -o C` wrote saw the saved one's events. For a camera
    recording, --calibration names the camera profile, as --camera-calibration does."""
    saved = _sitwatch(tmp_path, "calibrate", "camera", "--recording", str(landmarks_csv),
                      "--upright", "0:25")
    assert saved.returncode == 0, saved.stderr
    mine = tmp_path / "mine.json"
    made = _sitwatch(tmp_path, "calibrate", "camera", "--recording", str(landmarks_csv),
                     "--upright", "30:45", "-o", str(mine))  # head down
    assert made.returncode == 0, made.stderr
    out = _sitwatch(tmp_path, "replay", str(landmarks_csv), "--calibration", str(mine))
    assert out.returncode == 0, out.stderr
    assert out.stderr.splitlines() == [f"sitwatch: camera profile: {mine}"]
    same = _sitwatch(tmp_path, "replay", str(landmarks_csv), "--camera-calibration", str(mine))
    assert (same.returncode, same.stdout) == (0, out.stdout)
    missing = tmp_path / "none.json"
    gone = _sitwatch(tmp_path, "replay", str(landmarks_csv), "--calibration", str(missing))
    assert gone.returncode == 2
    assert gone.stderr.splitlines() == [f"sitwatch: {missing}: camera calibration not found"]
    assert not gone.stdout
    cushion = Path(__file__).resolve().parents[2] / "calibration" / "example-load-cells-4.json"
    mixed = _sitwatch(tmp_path, "replay", str(landmarks_csv), "--calibration", str(cushion))
    assert mixed.returncode == 2 and not mixed.stdout
    assert mixed.stderr.splitlines() == [
        f"sitwatch: {cushion}: a cushion's calibration (layout load-cells-4), not the camera's: "
        "name the profile `sitwatch calibrate camera` saved (camera_calibration.json in the "
        "data dir, or its -o FILE)"]
    both = _sitwatch(tmp_path, "replay", str(landmarks_csv), "--calibration", str(mine),
                     "--camera-calibration", str(mine))
    assert both.returncode == 2 and not both.stdout
    assert "Traceback" not in both.stderr and "pass one of them" in both.stderr


def test_run_with_a_camera_model_that_is_not_there_is_a_config_error(tmp_path):
    """`camera.model = "/path/typo.task"` in a camera-only setup: `sitwatch run` logged "camera
    disabled: no pose model at ..." and exited 1 with "nothing to watch: the camera cannot be
    used (see the warning above ...)", naming neither the file nor the key. A path the user
    wrote that is not there is a mistake in the config: the file, the key, the fix, exit 2,
    before anything starts (an empty camera.model, the default path not fetched yet, is not)."""
    missing = tmp_path / "models" / "pose_landmarker_ful.task"
    cfg = tmp_path / "cam.toml"
    cfg.write_text(f'[camera]\ndevice = 0\nmodel = "{missing}"\n')
    out = _sitwatch(tmp_path, "--config", str(cfg), "run", "--headless")
    assert out.returncode == 2, out.stderr
    assert out.stderr.splitlines() == [
        "sitwatch: invalid configuration:",
        f"  {cfg}: camera.model: {missing} does not exist: correct the path, or `sitwatch "
        "model fetch` saves the official model there"]
    assert not out.stdout
    assert not (tmp_path / "data" / "sitwatch" / "history.sqlite").exists()


def test_reports_of_a_camera_only_history_say_the_camera_was_offline(tmp_path):
    """With a webcam and no cushion, the time the camera did not work (unplugged, a video
    that ended) was reported as "Cushion offline", and a long one as "The cushion was offline
    ... Check its cable". The history's runs say which sensor watched: now the camera's time
    is the camera's, in every format."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from sitwatch.core.clock import ManualClock
    from sitwatch.history.store import Store

    tz = ZoneInfo("Europe/Berlin")
    clock = ManualClock(datetime(2026, 1, 5, 9, 0, tzinfo=tz), monotonic=0.0)
    db = tmp_path / "history.sqlite"
    store = Store(db, clock)
    store.begin_run("load-cells-4", "camera:0")  # as `sitwatch run` names a camera-only run
    for minutes, online in ((20, True), (40, False)):
        for _ in range(minutes * 6):
            clock.advance(10.0)
            store.add_sample(10.0, occupied=online, posture="upright" if online else None,
                             balance=None, seat_load=None, cop_x=None, cop_y=None,
                             online=online)
    store.end_run()
    store.close()
    berlin = {"TZ": "Europe/Berlin"}
    day = _sitwatch(tmp_path, "report", "--day", "2026-01-05", "--history", str(db),
                    env_extra=berlin)
    assert day.returncode == 0, day.stderr
    assert "Camera offline   40 min" in day.stdout
    assert "Cushion offline" not in day.stdout and "cushion was offline" not in day.stdout
    week = _sitwatch(tmp_path, "report", "--week", "2026-W02", "--history", str(db),
                     env_extra=berlin)
    assert week.returncode == 0, week.stderr
    assert "Camera offline   40 min" in week.stdout
    assert "Cushion offline" not in week.stdout and "cushion was offline" not in week.stdout
    assert "The camera was offline for 40 min" in week.stdout
    for fmt in ("md", "html"):
        page = tmp_path / f"week.{fmt}"
        out = _sitwatch(tmp_path, "report", "--week", "2026-W02", "--format", fmt,
                        "--history", str(db), "-o", str(page), env_extra=berlin)
        assert out.returncode == 0, out.stderr
        said = page.read_text(encoding="utf-8").lower()
        assert "camera was offline for 40 min" in said, fmt
        assert "cushion offline" not in said and "cushion was offline" not in said, fmt
    js = _sitwatch(tmp_path, "report", "--week", "2026-W02", "--format", "json",
                   "--history", str(db), env_extra=berlin)
    totals = json.loads(js.stdout)["totals"]
    assert totals["sensor_offline_minutes"] == 40 and totals["camera_offline_minutes"] == 40


def test_a_landmark_csvs_row_rate_is_heard_by_calibrate_and_replay(landmarks_csv, tmp_path):
    """`sitwatch calibrate camera --recording FILE.csv --hz 1` (its help: "frame rate for files
    without a time column", which a landmark CSV is) silently read the rows 0.5 s apart anyway,
    so --upright 0:25 took 50 rows instead of 25; and calibrate had no --period, which
    docs/camera.md names for these files. Both now set the rows' spacing, in replay too."""
    made = {}
    for flags in ([], ["--hz", "1"], ["--period", "1"]):
        out = tmp_path / f"cam{len(made)}.json"
        run = _sitwatch(tmp_path, "calibrate", "camera", "--recording", str(landmarks_csv),
                        "--upright", "0:25", "-o", str(out), *flags)
        assert run.returncode == 0, run.stderr
        made[" ".join(flags)] = B.load(out).samples
    assert made == {"": 50, "--hz 1": 25, "--period 1": 25}
    played = {}
    for flags in (["--hz", "1"], ["--period", "1"], []):
        rep = _sitwatch(tmp_path, "replay", str(landmarks_csv), "--json", "--auto", *flags)
        assert rep.returncode == 0, rep.stderr
        played[" ".join(flags)] = [json.loads(x) for x in rep.stdout.splitlines()]
    assert played["--hz 1"] == played["--period 1"] != played[""]
    both = _sitwatch(tmp_path, "replay", str(landmarks_csv), "--hz", "1", "--period", "2")
    assert both.returncode == 2 and not both.stdout
    assert both.stderr.splitlines() == ["sitwatch: --hz and --period both say how far apart a "
                                        "landmark CSV's rows are: pass one"]


def test_run_on_a_recording_it_cannot_play_says_so_and_stops(landmarks_csv, tmp_path):
    """`sitwatch run --camera FILE` takes a video or an image folder (its help). Given the
    landmark CSV (a camera recording `sitwatch replay` plays), or a video path with a typo,
    the daemon started, printed "sensor: offline (... not a video OpenCV can read)" and waited
    for ever, retrying a file that can never work. Now: what is wrong and what to do, exit 2,
    before anything starts (a live camera that is not there yet is still waited for)."""
    out = _sitwatch(tmp_path, "run", "--headless", "--camera", str(landmarks_csv))
    assert out.returncode == 2, out.stderr
    assert out.stderr.splitlines() == [
        f"sitwatch: --camera {landmarks_csv}: a landmark file, not a video: `sitwatch replay "
        f"{landmarks_csv}` runs it through the detectors"]
    missing = tmp_path / "clip.mp4"
    cfg = tmp_path / "cam.toml"
    cfg.write_text(f'[camera]\ndevice = "{missing}"\n')
    out = _sitwatch(tmp_path, "--config", str(cfg), "run", "--headless")
    assert out.returncode == 2, out.stderr
    assert out.stderr.splitlines() == [
        "sitwatch: invalid configuration:",
        f"  {cfg}: camera.device: {missing}: no such video file or image folder (a webcam is "
        "0, 1, ... or /dev/videoN)"]
    assert not (tmp_path / "data" / "sitwatch" / "history.sqlite").exists()
