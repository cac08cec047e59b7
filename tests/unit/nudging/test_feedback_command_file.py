"""Which feedback file `sitwatch feedback` reads and writes: the one the daemon uses, as its
status file names it (it may run with `--layout`, `--port` or `--calibration` the config does
not name), else the config's; a note says so when the two differ. The real command, in-process;
the end-to-end case with a real daemon is in tests/e2e/test_feedback_e2e.py."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta

import pytest

from sitwatch.cli.main import main
from sitwatch.config import Config
from sitwatch.nudging import feedback as fb
from sitwatch.runtime.files import feedback_path, status_path

CFG = Config()  # what `--no-user-config` loads: the default layout
STEPS = {"asymmetric_load": 1}


def status(**d: object) -> None:
    now = datetime.now().astimezone()
    path = status_path(CFG)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": 1, "pid": os.getpid(), "updated": now.isoformat(),
                                **d}))


def saved(path, steps) -> None:
    fb.save(fb.State(steps=steps), path)


def show(capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    assert main(["--no-user-config", "feedback", "show", "--json"]) == 0
    out, note = capsys.readouterr()
    return json.loads(out)["file"], " ".join(note.split())


def test_without_a_status_file_the_configs_file(capsys) -> None:
    assert show(capsys) == (str(feedback_path(CFG)), "")


def test_the_daemon_using_the_configs_file_needs_no_note(capsys) -> None:
    status(feedback_file=str(feedback_path(CFG)), stopped=datetime.now().astimezone().isoformat())
    assert show(capsys) == (str(feedback_path(CFG)), "")


def test_the_running_daemons_file_and_a_note(tmp_path, capsys) -> None:
    theirs = tmp_path / "feedback-load-cells-4.json"
    saved(theirs, STEPS)
    status(feedback_file=str(theirs))  # this process: alive
    file, note = show(capsys)
    assert file == str(theirs)
    assert f"note: the running sitwatch keeps its feedback in {theirs}; this config alone " \
           f"would use {feedback_path(CFG)}" in note


def test_the_last_daemons_file_once_it_stopped(tmp_path, capsys) -> None:
    theirs = tmp_path / "feedback-load-cells-4.json"
    saved(theirs, STEPS)
    saved(feedback_path(CFG), {})
    stopped = (datetime.now().astimezone() - timedelta(days=2)).isoformat()
    status(feedback_file=str(theirs), stopped=stopped)
    assert main(["--no-user-config", "feedback", "show"]) == 0
    out, note = capsys.readouterr()
    assert "lopsided: 1 of 3 steps" in out and f"({theirs})" in out
    assert "the last sitwatch that ran kept its feedback in" in " ".join(note.split())
    assert main(["--no-user-config", "feedback", "reset"]) == 0
    assert fb.load(theirs).steps == {}


def test_the_configured_thresholds_are_those_of_the_layout_the_daemon_ran(tmp_path,
                                                                            capsys) -> None:
    """`sitwatch run --layout ethz-wheelchair-24` (its own lopsided threshold 0.1) with the
    config naming the default layout (0.25): "configured" and the steps from it are the
    wheelchair's, as the daemon eased them, not the config layout's."""
    theirs = tmp_path / "feedback-ethz-wheelchair-24.json"
    saved(theirs, STEPS)
    status(feedback_file=str(theirs), layout="ethz-wheelchair-24",
           stopped=datetime.now().astimezone().isoformat())
    assert main(["--no-user-config", "feedback", "show", "--json"]) == 0
    moved = {c["threshold"]: (c["configured"], c["now"])
             for c in json.loads(capsys.readouterr().out)["changes"]}
    assert moved["detect.balance.threshold"] == (0.1, 0.115)
    assert moved["detect.balance.release"] == (0.06, 0.069)
    assert main(["--no-user-config", "feedback", "show"]) == 0
    assert "balance threshold 0.1 -> 0.115" in capsys.readouterr().out
    assert main(["--no-user-config", "feedback", "wrong", "lopsided", "--force"]) == 0
    assert "balance threshold 0.1 -> 0.132" in capsys.readouterr().out


def test_a_status_file_without_a_layout_keeps_the_configs(tmp_path, capsys) -> None:
    """An older daemon's status file names no layout: the config's, as before."""
    theirs = tmp_path / "feedback-load-cells-4.json"
    saved(theirs, STEPS)
    status(feedback_file=str(theirs), stopped=datetime.now().astimezone().isoformat())
    assert main(["--no-user-config", "feedback", "show", "--json"]) == 0
    moved = {c["threshold"]: c["configured"]
             for c in json.loads(capsys.readouterr().out)["changes"]}
    assert moved["detect.balance.threshold"] == 0.25


def tuned_profile(path, threshold: float) -> None:
    """A load-cells-4 profile whose reference leans lowered the lateral threshold."""
    import numpy as np

    from sitwatch.sensing import calibration, layout

    lay = layout.load("load-cells-4")
    plain = calibration.from_arrays(lay, tare=np.full(lay.n, 40.0),
                                    upright=np.array([20000.0, 20500.0, 9000.0, 9200.0]),
                                    method="recording")
    plain.model_copy(update={"tuned": {"balance.threshold": threshold,
                                       "balance.release": round(threshold * 0.6, 3)}}).save(path)


def test_the_configured_thresholds_are_those_the_daemons_profile_tuned(tmp_path,
                                                                        capsys) -> None:
    """`sitwatch run --calibration mine.json` (or the simulator's profile in the data dir's
    simulated/ folder), whose reference leans lowered the lopsided threshold to 0.2: the
    daemon eased 0.2 -> 0.23, while `feedback` worked "configured" out from the config's
    profile location (none there: 0.25 -> 0.287). The status file names the profile."""
    theirs = tmp_path / "mine.json"
    tuned_profile(theirs, 0.2)
    saved(feedback_path(CFG), STEPS)
    status(feedback_file=str(feedback_path(CFG)), layout="load-cells-4",
           profile_file=str(theirs), stopped=datetime.now().astimezone().isoformat())
    assert main(["--no-user-config", "feedback", "show", "--json"]) == 0
    out, note = capsys.readouterr()
    moved = {c["threshold"]: (c["configured"], c["now"]) for c in json.loads(out)["changes"]}
    assert moved["detect.balance.threshold"] == (0.2, 0.23)
    assert note == ""  # the same feedback file: nothing to say
    assert main(["--no-user-config", "feedback", "wrong", "lopsided", "--force"]) == 0
    assert "balance threshold 0.2 -> 0.264" in capsys.readouterr().out


def test_a_profile_the_daemon_named_but_had_not_saved_yet_tunes_nothing(tmp_path,
                                                                         capsys) -> None:
    """The daemon was learning its profile (none saved yet where it keeps it): nothing was
    tuned, whatever the config's own location holds (the simulator's run, a real profile)."""
    from sitwatch.runtime.files import profile_path

    tuned_profile(profile_path(CFG), 0.2)  # the config's: not the one the daemon ran
    saved(feedback_path(CFG), STEPS)
    status(feedback_file=str(feedback_path(CFG)), profile_file=str(tmp_path / "learning.json"),
           stopped=datetime.now().astimezone().isoformat())
    assert main(["--no-user-config", "feedback", "show", "--json"]) == 0
    moved = {c["threshold"]: c["configured"]
             for c in json.loads(capsys.readouterr().out)["changes"]}
    assert moved["detect.balance.threshold"] == 0.25


def test_a_profile_the_daemon_only_read_is_not_changed_while_none_runs(tmp_path,
                                                                       capsys) -> None:
    """`run --calibration mine.json` never writes mine.json (keep_learned): neither may a
    "Not right" about a learned way, or its reset, given while no daemon runs."""
    from tests.e2e.test_learned_feedback_cli import profile_with_ways

    mine = tmp_path / "mine.json"
    profile_with_ways(1).save(mine)
    before = mine.read_bytes()
    stopped = (datetime.now().astimezone() - timedelta(hours=1)).isoformat()
    status(feedback_file=str(tmp_path / "feedback-smartchair-12.json"), layout="smartchair-12",
           profile_file=str(mine), profile_read_only=True, stopped=stopped)
    for action in ("wrong", "reset"):
        assert main(["--no-user-config", "feedback", action, "learned"]) == 2
        said = capsys.readouterr().err
        assert f"would change {mine}, which the last `sitwatch run --calibration` only read" \
            in " ".join(said.split())
        assert mine.read_bytes() == before
    # a reset of every kind resets the thresholds, and leaves the profile's rejected ways
    from sitwatch.sensing import calibration
    from sitwatch.sensing.detectors.baseline import REJECTED_KEPT

    prof = calibration.load(mine)
    assert prof.learned is not None
    prof.model_copy(update={"learned": prof.learned.rejecting_last(REJECTED_KEPT)}).save(mine)
    rejected = mine.read_bytes()
    assert main(["--no-user-config", "feedback", "reset"]) == 0
    assert "the ways of sitting rejected in it stay rejected" in " ".join(
        capsys.readouterr().err.split())
    assert mine.read_bytes() == rejected
    # a daemon that saves into its profile (the config's, or none named): as before
    mine.write_bytes(before)
    status(feedback_file=str(tmp_path / "feedback-smartchair-12.json"), layout="smartchair-12",
           profile_file=str(mine), profile_read_only=False, stopped=stopped)
    assert main(["--no-user-config", "feedback", "wrong", "learned"]) == 0
    assert mine.read_bytes() != before


def test_a_camera_only_setup_has_its_own_file_and_no_thresholds_to_show(tmp_path,
                                                                        capsys) -> None:
    """A camera and no cushion: "Not right" moves no threshold (it is recorded only), so its
    file is named after no cushion layout (it was feedback-load-cells-4.json, the default
    layout's), and `show` says why nothing moves instead of "as configured"."""
    from sitwatch.runtime.files import CAMERA_FEEDBACK

    mine = feedback_path(CFG, camera_only=True)
    assert mine.name == CAMERA_FEEDBACK
    status(feedback_file=str(mine), sensor={"port": "camera:/dev/video0", "online": True})
    assert show(capsys)[0] == str(mine)  # a note: this config alone names no camera
    assert json.loads((main(["--no-user-config", "feedback", "show", "--json"]),
                       capsys.readouterr().out)[1])["camera_only"] is True
    assert main(["--no-user-config", "feedback", "show"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("A camera-only setup has no thresholds that \"Not right\" moves")
    assert "No thresholds moved" not in out and f"({mine})" in out
