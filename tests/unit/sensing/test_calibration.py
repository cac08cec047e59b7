import json
from pathlib import Path

import numpy as np
import pytest

from sitwatch.cli.calibrate_live import interactive
from sitwatch.cli.main import main
from sitwatch.config import Config
from sitwatch.core.clock import ManualClock
from sitwatch.sensing import calibration, layout
from sitwatch.sources.base import Reading
from sitwatch.sources.recording import Writer

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("name", ["example-smartchair-12.json", "example-load-cells-4.json"])
def test_example_profiles_load_and_match_their_layout(name) -> None:
    prof = calibration.load(ROOT / "calibration" / name)
    prof.check_layout(layout.load(prof.layout))


def test_profile_rejects_wrong_lengths_and_layouts(tmp_path) -> None:
    f = tmp_path / "p.json"
    f.write_text(json.dumps({"version": 1, "layout": "x", "channels": 4, "upright": [1, 2, 3]}))
    with pytest.raises(calibration.CalibrationError, match="upright has 3 values"):
        calibration.load(f)
    good = calibration.from_arrays(
        layout.load("load-cells-4"), tare=None, upright=np.ones(4), method="recording"
    )
    with pytest.raises(calibration.CalibrationError, match="recalibrate"):
        good.check_layout(layout.load("smartchair-12"))
    f.write_text("{not json")
    with pytest.raises(calibration.CalibrationError, match="not valid JSON"):
        calibration.load(f)


def test_what_sitting_taught_is_validated_like_the_rest(tmp_path) -> None:
    f = tmp_path / "p.json"
    base = {"version": 1, "layout": "x", "channels": 4, "upright": [1, 2, 3, 4]}
    f.write_text(json.dumps({**base, "learned": {"upright_away": [1, 2, 3]}}))
    with pytest.raises(calibration.CalibrationError) as e:
        calibration.load(f)
    assert "learned.upright_away must hold 4 finite values" in str(e.value)
    assert "sitwatch calibrate --forget-learned" in str(e.value)  # the fix
    f.write_text(json.dumps({**base, "learned": {"upright_away": [1, 2, 3, 4], "extra": 1}}))
    with pytest.raises(calibration.CalibrationError, match=r"learned\.extra"):
        calibration.load(f)
    f.write_text(json.dumps({**base, "learned": {"upright_away2": [5, 6, 7, 8]}}))
    got = calibration.load(f)
    assert got.learned is not None and got.learned.ways == 1
    assert got.learned_array("upright_away") is None
    assert list(got.learned_array("upright_away2")) == [5, 6, 7, 8]


@pytest.mark.parametrize("case", ["none", "nothing learned", "damaged"])
def test_forget_learned_with_nothing_to_forget(tmp_path, capsys, case) -> None:
    f = tmp_path / "p.json"
    if case == "nothing learned":
        calibration.from_arrays(layout.load("load-cells-4"), tare=None, upright=np.ones(4),
                                method="recording").save(f)
    elif case == "damaged":
        f.write_text("{half a fi")
    before = f.read_text() if f.exists() else None
    code = main(["calibrate", "--no-user-config", "--forget-learned", "-o", str(f)])
    out, errs = capsys.readouterr()
    if case == "damaged":
        assert code == 2 and "not valid JSON" in errs and "sitwatch calibrate" in errs
    else:
        assert code == 0 and "nothing learned to forget" in out
    assert (f.read_text() if f.exists() else None) == before  # left as it was


def test_robust_mean_ignores_spikes() -> None:
    frames = np.full((20, 3), 100.0)
    frames[3] = [5000, 5000, 5000]
    assert calibration.robust_mean(frames).tolist() == [100, 100, 100]


def write_rec(path: Path, lay, segments) -> Path:
    with path.open("w") as f:
        w = Writer(f, lay, 2)
        t = 0.0
        for seconds, values in segments:
            for _ in range(int(seconds * 2)):
                w.write(t, np.asarray(values, float))
                t += 0.5
    return path


def test_calibrate_from_recording(tmp_path, capsys) -> None:
    lay = layout.load("load-cells-4")
    rec = write_rec(
        tmp_path / "r.rec", lay, [(20, [10, 10, 10, 10]), (60, [9000, 9100, 5000, 5100])]
    )
    out = tmp_path / "cal.json"
    assert (
        main(
            [
                "calibrate",
                "--recording",
                str(rec),
                "--empty",
                "2:18",
                "--upright",
                "25:75",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    prof = calibration.load(out)
    assert prof.method == "recording" and prof.layout == "load-cells-4"
    assert prof.tare == [10, 10, 10, 10]
    assert prof.upright == [9000, 9100, 5000, 5100]


@pytest.mark.parametrize(
    ("argv", "msg"),
    [
        (["--upright", "200:300"], "is not inside the recording (it covers 0-19.5 s)"),
        (["--upright", "10:40"], "is not inside the recording"),  # runs past the end
        (["--empty", "0:8", "--upright", "5:15"], "overlap"),
        (["--empty", "0:8", "--upright", "10:18"], "--upright 10:18: the seat reads as almost"),
        (["--upright", "abc"], "write START:END"),
        ([], "--upright START:END is required"),
    ],
)
def test_calibrate_from_recording_errors(tmp_path, capsys, argv, msg) -> None:
    lay = layout.load("load-cells-4")
    rec = write_rec(tmp_path / "r.rec", lay, [(20, [10, 10, 10, 10])])
    assert main(["calibrate", "--recording", str(rec), "-o", str(tmp_path / "c.json"), *argv]) == 2
    assert msg in capsys.readouterr().err
    assert not (tmp_path / "c.json").exists()


def test_calibrate_from_recording_refuses_an_empty_range_with_a_sitter(tmp_path, capsys) -> None:
    """An --empty range where somebody sat would become a tare as large as the upright reading:
    every posture would then read as an empty seat. The command names --empty and saves
    nothing."""
    lay = layout.load("load-cells-4")
    rec = write_rec(tmp_path / "r.rec", lay, [(20, [8000, 8200, 4500, 4600]),
                                              (60, [9000, 9100, 5000, 5100])])
    out = tmp_path / "cal.json"
    code = main(["calibrate", "--recording", str(rec), "--empty", "2:18", "--upright", "25:75",
                 "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "--empty 2:18: the seat was not empty" in err and "Traceback" not in err
    assert not out.exists()


@pytest.mark.datasets
def test_calibrate_refuses_a_sitter_in_the_empty_range_of_a_real_recording(
    tmp_path, capsys, datasets_dir
) -> None:
    rec = datasets_dir / "smartchair-ml" / "scripted_vanessa.csv"
    out = tmp_path / "cal.json"
    argv = ["calibrate", "--recording", str(rec), "--hz", "2", "--layout", "smartchair-12",
            "--upright", "100:200", "-o", str(out)]
    assert main([*argv, "--empty", "10:30"]) == 2
    assert "--empty 10:30: the seat was not empty" in capsys.readouterr().err
    assert not out.exists()
    assert main([*argv, "--empty", "320:335"]) == 0  # the sitter stood up there: a real tare
    assert out.exists()


class ScriptedCushion:
    """Hands out frames that depend on what the user was asked to do."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.now = np.array([5.0, 5, 5, 5])
        self.closed = False

    def poll(self, max_wait: float):
        self.clock.advance(0.1)
        return [Reading(self.clock.monotonic(), self.now.copy())]

    def close(self) -> None:
        self.closed = True


def test_interactive_calibration_walks_through_the_steps(tmp_path) -> None:
    clock = ManualClock()
    cushion = ScriptedCushion(clock)
    answers = iter(["", "", ""])
    seats = iter([np.array([5.0, 5, 5, 5]), np.array([20000.0, 21000, 9000, 9500])])

    def answer(prompt: str) -> str:
        if "Enter" in prompt:
            cushion.now = next(seats)
        return next(answers)

    lines: list[str] = []

    class Out:
        def write(self, s):
            lines.append(s)

        def flush(self):
            pass

    dest = tmp_path / "cal.json"
    rc = interactive(
        Config(),
        layout.load("load-cells-4"),
        dest,
        source=cushion,
        clock=clock,
        input_fn=answer,
        out=Out(),
        sleep=lambda s: None,
        extra=False,
    )
    assert rc == 0 and cushion.closed
    prof = calibration.load(dest)
    assert prof.method == "interactive"
    assert prof.tare == [5, 5, 5, 5] and prof.upright[0] == 20000
    text = "".join(lines)
    assert "Step 1/2" in text and "Step 2/2" in text and "100%" in text


def test_interactive_calibration_rejects_an_empty_upright_step(tmp_path) -> None:
    clock = ManualClock()
    cushion = ScriptedCushion(clock)
    answers = iter(["", "", "n"])  # empty step, upright step (still empty), then give up
    out_lines: list[str] = []

    class Out:
        def write(self, s):
            out_lines.append(s)

        def flush(self):
            pass

    rc = interactive(
        Config(),
        layout.load("load-cells-4"),
        tmp_path / "c.json",
        source=cushion,
        clock=clock,
        input_fn=lambda p: next(answers),
        out=Out(),
        sleep=lambda s: None,
        extra=False,
    )
    assert rc == 1
    assert "almost empty" in "".join(out_lines)
    assert not (tmp_path / "c.json").exists()


def test_ctrl_c_during_the_guided_calibration_exits_130_and_saves_nothing(tmp_path) -> None:
    """Ctrl-C is an interrupt: 130, as `calibrate camera` and `serve` exit (it was 1, the code
    of a failure); a "no" to a required step stays 1."""
    clock = ManualClock()
    cushion = ScriptedCushion(clock)
    said: list[str] = []

    class Out:
        def write(self, s):
            said.append(s)

        def flush(self):
            pass

    def ctrl_c(prompt: str) -> str:
        raise KeyboardInterrupt

    rc = interactive(Config(), layout.load("load-cells-4"), tmp_path / "c.json", source=cushion,
                     clock=clock, input_fn=ctrl_c, out=Out(), sleep=lambda s: None, extra=False)
    assert rc == 130 and cushion.closed
    assert "Calibration cancelled; nothing was saved." in "".join(said)
    assert not (tmp_path / "c.json").exists()


def test_the_calibration_checks_read_an_inverted_cushion_as_loads() -> None:
    """fsr-cushion-9 reads ~1022 empty and falls under a sitter: the step checks compare loads,
    so a real sitter is accepted and an empty seat is still caught."""
    from sitwatch.cli.calibrate_live import check_step

    lay = layout.load("fsr-cushion-9")
    empty = np.full(9, 1022.0)
    upright = np.array([184.0, 188, 98, 121, 279, 422, 74, 75, 80])  # session 1, upright
    assert check_step("upright", upright, {"empty": empty}, lay) is None
    assert "almost empty" in check_step("upright", empty - 3, {"empty": empty}, lay)
    lean = np.array([705.0, 491, 263, 197, 351, 404, 36, 48, 67])  # session 1, lean_left
    done = {"empty": empty, "upright": upright}
    assert check_step("lean_left", lean, done, lay) is None
    assert "looks the same" in check_step("lean_left", upright + 2, done, lay)


def test_recorded_step_frames_that_show_another_posture() -> None:
    from sitwatch.cli.calibrate_live import off_step, seat_loads, seated_load

    lay = layout.load("load-cells-4")
    empty, seated = np.full(4, 10.0), np.array([9000.0, 9100, 5000, 5100])
    frames = np.array([empty] * 4 + [seated * 0.5] + [seated] * 10)
    kw = {"tare": empty, "exit_fraction": 0.12}
    # an empty seat in a sitting step is marked; getting half-way down is sitting (steadiness
    # speaks of it); the step's seated load is not pulled down by the empty frames
    up = seated_load(seat_loads(frames, lay))
    assert off_step("upright", frames, lay, upright_load=up, **kw).tolist() == \
        [True] * 4 + [False] * 11
    assert off_step("slouch", frames, lay, upright_load=up, **kw).sum() == 4
    # every frame empty: nothing is marked, check_step says what the whole step reads as
    assert not off_step("upright", frames[:4], lay, upright_load=up, **kw).any()
    # the empty step: a frame carrying a quarter of the upright load had somebody on it
    tare_frames = np.array([empty] * 6 + [seated * 0.3, seated * 0.2])
    assert off_step("empty", tare_frames, lay, upright_load=up, **kw).tolist() == \
        [False] * 6 + [True, False]
    assert not off_step("empty", tare_frames, lay, upright_load=0.0, **kw).any()


def test_calibrate_from_recording_leaves_out_an_empty_seat_in_upright(tmp_path, capsys) -> None:
    lay = layout.load("load-cells-4")
    seated = [9000, 9100, 5000, 5100]
    rec = write_rec(tmp_path / "r.rec", lay, [(20, [10, 10, 10, 10]), (40, seated)])
    out = tmp_path / "cal.json"
    assert main(["calibrate", "--recording", str(rec), "--upright", "10:40", "-o", str(out)]) == 0
    assert "left out 20 of 60 frames of --upright 10:40: the seat read empty there " \
        "(10.0-20.0 s)" in capsys.readouterr().err
    assert calibration.load(out).upright == seated
    # too little sitting left (under the guided step's 10 s): refused, nothing saved
    out.unlink()
    assert main(["calibrate", "--recording", str(rec), "--upright", "5:28", "-o", str(out)]) == 2
    said = capsys.readouterr().err
    assert "--upright 5:28: the seat read empty there (5.0-20.0 s), and the rest holds only " \
        "8 s of sitting; a calibration takes at least 10 s of it" in said
    assert not out.exists()


def test_calibrate_from_recording_warns_of_an_upright_range_that_is_not_steady(
        tmp_path, capsys) -> None:
    lay = layout.load("load-cells-4")
    rec = write_rec(tmp_path / "r.rec", lay, [(20, [10, 10, 10, 10]),
                                              (30, [9000, 9100, 5000, 5100]),
                                              (30, [4000, 4100, 2000, 2100])])
    out = tmp_path / "cal.json"
    argv = ["calibrate", "--recording", str(rec), "--empty", "2:18", "-o", str(out)]
    assert main([*argv, "--upright", "25:75"]) == 0
    assert "warning: --upright 25:75: the seat's load changed a lot between its start and its " \
        "end" in capsys.readouterr().err
    assert main([*argv, "--upright", "25:48"]) == 0  # a steady one: no word
    assert "warning" not in capsys.readouterr().err


def test_stretches_of_left_out_frames_are_named() -> None:
    from sitwatch.cli.calibrate import _stretches

    ts = np.arange(0, 10, 0.5)
    mask = np.zeros(len(ts), dtype=bool)
    mask[[0, 1, 2, 6, 10, 14, 15]] = True
    assert _stretches(ts, mask, 0.5) == "0.0-1.5 s, 3.0-3.5 s, 5.0-5.5 s and 1 more"
    assert _stretches(ts, mask, 0.5, most=4) == "0.0-1.5 s, 3.0-3.5 s, 5.0-5.5 s, 7.0-8.0 s"
