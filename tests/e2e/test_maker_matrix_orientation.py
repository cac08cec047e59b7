"""A maker's own velostat matrix, wired the other way round: row 0 at the front edge, column 0
on the sitter's right, the reading falling as the load rises (a pull-up divider, 0..1023). Its
layout file says so (``[grid] first_row = "front"``, ``first_col = "right"``, ``transform =
"inverted"``), and sitwatch must then read it exactly as it reads the same sitter on a matrix
wired the usual way (row 0 at the rear, column 0 on the left), through the commands a user runs
(`sitwatch calibrate --recording`, `sitwatch replay --json`, `sitwatch layouts FILE`, each in
a subprocess).

The wallet detector pools a matrix into 4x4 zones and compares each rear zone with its mirror:
it must find the rear and the left where the layout puts them, not by row and column number."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sitwatch.core.kinds import Balance, Posture
from sitwatch.evaluation import datasets
from sitwatch.evaluation.population import CLASSES, EMPTY_SEAT, FORWARD, SLUMP, UPRIGHT_BACK
from sitwatch.sensing.layout import load
from sitwatch.sim.body import EMPTY, Body
from sitwatch.sim.script import Script, Segment
from sitwatch.sim.simulator import Simulator
from tests.helpers.cli import calibrated_replay, sitwatch_ok

MAKER = """name = "velostat-10x15"
full_scale = 1023
transform = "inverted"

[grid]
rows = 10
cols = 15
first_row = "front"
first_col = "right"
"""
USUAL = MAKER.replace('first_row = "front"', 'first_row = "rear"').replace(
    'first_col = "right"', 'first_col = "left"')


def _wallet_session(layout_file: Path) -> datasets.Labelled:
    """An empty seat, two minutes upright with empty pockets, then 22 minutes with a wallet in
    the left back pocket across three postures, on the matrix ``layout_file`` describes."""
    lay = load(layout_file)
    w = Balance.LEFT

    def b(**kw: object) -> Body:
        return Body(backrest=0.6, fidget=0.2, **kw)  # type: ignore[arg-type]

    plan = [(30.0, EMPTY_SEAT, EMPTY), (120.0, UPRIGHT_BACK, b()),
            (300.0, UPRIGHT_BACK, b(wallet=w)),
            (240.0, SLUMP, b(posture=Posture.SLOUCHED, wallet=w)),
            (300.0, UPRIGHT_BACK, b(wallet=w)),
            (180.0, FORWARD, b(posture=Posture.LEANING_FORWARD, wallet=w)),
            (300.0, UPRIGHT_BACK, b(wallet=w))]
    script = Script([Segment(d, body) for d, _, body in plan], "wallet")
    sim = Simulator(lay, script, hz=2.0, seed=5)
    t = sim.times()
    ends = np.cumsum([d for d, _, _ in plan])
    label = np.array([plan[int(np.searchsorted(ends, x, side="right"))][1] for x in t])
    return datasets.Labelled("wallet", "wallet", lay, t, sim.frames_at(t).astype(float), label,
                             {}, CLASSES)


def _wallets(events: list[dict[str, object]]) -> list[tuple[object, ...]]:
    return [(e["state"], e.get("side")) for e in events if e["event"] == "wallet"]


@pytest.mark.parametrize("text", [USUAL, MAKER], ids=["usual", "front-right"])
def test_a_wallet_is_found_on_its_own_side_however_the_matrix_is_wired(text, tmp_path) -> None:
    layout_file = tmp_path / "my-matrix.toml"
    layout_file.write_text(text, encoding="utf-8")
    events = calibrated_replay(_wallet_session(layout_file), tmp_path, "--layout",
                               str(layout_file))
    assert ("suspected", "left") in _wallets(events)
    assert not any(side == "right" for _, side in _wallets(events))
    assert any(e["event"] == "nudge" and e["kind"] == "wallet" for e in events)


def test_sitwatch_layouts_says_where_row_0_and_column_0_lie(tmp_path) -> None:
    layout_file = tmp_path / "my-matrix.toml"
    layout_file.write_text(MAKER, encoding="utf-8")
    out = sitwatch_ok("layouts", str(layout_file), home=tmp_path)
    assert out.splitlines()[0] == (
        "velostat-10x15: 150 channels, 150 seat + 0 backrest (10x15 matrix, row 0 at the front, "
        "column 0 on the sitter's right), reading falls as the load rises")
    usual = tmp_path / "usual.toml"
    usual.write_text(USUAL, encoding="utf-8")
    assert "(10x15 matrix, row 0 at the rear, column 0 on the sitter's left)" in sitwatch_ok(
        "layouts", str(usual), home=tmp_path)


def test_the_list_of_layouts_says_where_a_matrix_of_another_kind_is_described(tmp_path) -> None:
    last = sitwatch_ok("layouts", home=tmp_path).splitlines()[-1]
    assert last.startswith("grid:RxC: any seat matrix, e.g. grid:16x16 (values 0-255, row 0 at "
                           "the rear, column 0 on the left; ")
    assert "`sitwatch docs protocol`, \"A matrix of your own\"" in last
    # the page it names has the maker's file, and that file reads back as the page says
    doc = sitwatch_ok("docs", "protocol", home=tmp_path)
    section = doc.split("### A matrix of your own: a layout file", 1)[1]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "my-velostat.toml").write_text(example, encoding="utf-8")
    said = sitwatch_ok("layouts", str(tmp_path / "my-velostat.toml"), home=tmp_path)
    assert said.startswith("my-velostat: 150 channels, 150 seat + 0 backrest (10x15 matrix, row 0 "
                           "at the front, column 0 on the sitter's right), reading falls as the "
                           "load rises")
    assert "(\"10x15 matrix, row 0 at the front, column 0 on the sitter's right\")" in section


STEPS = {"empty": EMPTY, "upright": Body(backrest=0.6, fidget=0.0),
         "slouch": Body(posture=Posture.SLOUCHED, backrest=0.6, fidget=0.0),
         "lean-left": Body(lean=-0.6, backrest=0.6, fidget=0.0),
         "lean-right": Body(lean=0.6, backrest=0.6, fidget=0.0)}


def _calibration_session(layout_file: Path) -> tuple[datasets.Labelled, list[str]]:
    """The guided calibration's steps, 40 s each, on the matrix ``layout_file`` describes, and
    the `sitwatch calibrate --recording` arguments naming each."""
    lay = load(layout_file)
    plan = list(STEPS.items())
    script = Script([Segment(40.0, body) for _, body in plan], "leans")
    sim = Simulator(lay, script, hz=2.0, seed=7)
    t = sim.times()
    label = np.where(t < 40, EMPTY_SEAT, UPRIGHT_BACK)
    ranges = [x for i, (name, _) in enumerate(plan)
              for x in (f"--{name}", f"{40 * i + 10}:{40 * i + 35}")]
    return datasets.Labelled("steps", "steps", lay, t, sim.frames_at(t).astype(float), label,
                             {}, CLASSES), ranges


def _calibrated_on(wrong_text: str, tmp_path: Path) -> tuple[str, str]:
    """The maker's guided steps recorded on the matrix as wired, calibrated (`sitwatch
    calibrate --recording`) with a layout file reading ``wrong_text``; what it printed, and the
    calibration line of `sitwatch doctor` with that file and profile."""
    real = tmp_path / "as-wired.toml"
    real.write_text(MAKER, encoding="utf-8")
    d, ranges = _calibration_session(real)
    rec = d.write(tmp_path / "steps.rec")
    wrong = tmp_path / "my-matrix.toml"
    wrong.write_text(wrong_text, encoding="utf-8")
    out = sitwatch_ok("calibrate", "--recording", str(rec), "--layout", str(wrong), *ranges,
                      "-o", str(tmp_path / "cal.json"), home=tmp_path)
    config = tmp_path / "sitwatch.toml"
    config.write_text(f'[cushion]\nlayout = "{wrong}"\n[calibration]\nprofile = '
                      f'"{tmp_path / "cal.json"}"\n', encoding="utf-8")
    doctor = sitwatch_ok("--config", str(config), "doctor", "--headless", home=tmp_path)
    return out, next(x for x in doctor.splitlines() if x.split()[1:2] == ["calibration"])


def test_a_matrix_whose_columns_run_the_other_way_is_told_to_set_first_col(tmp_path) -> None:
    # the maker's file, with column 0 put on the left by mistake
    out, doctor = _calibrated_on(MAKER.replace('first_col = "right"', 'first_col = "left"'),
                                 tmp_path)
    assert "lean to the left   reads lopsided to the right" in out
    assert ("the matrix's column 0 is on your right side, not your left, so every lean is "
            "reported on the wrong side. Set first_col = \"right\" in the [grid] table of your "
            "layout file") in out
    assert "swap the channels' positions" not in out  # a [grid] file lists no channels
    assert doctor.startswith("warn") and 'Set first_col = "right"' in doctor, doctor


def test_a_matrix_whose_rows_run_the_other_way_is_told_to_set_first_row(tmp_path) -> None:
    # the maker's file, with row 0 put at the rear by mistake: the slump reads back to front
    out, doctor = _calibrated_on(MAKER.replace('first_row = "front"', 'first_row = "rear"'),
                                 tmp_path)
    assert ("your slump moved your weight toward the rear of the seat, where a slump moves it "
            "forward: the matrix's row 0 is at the front of the seat, not the rear, so slumps go "
            "unreported. Set first_row = \"front\" in the [grid] table of your layout file") in out
    assert "slide your hips further forward" not in out  # not the sitter's doing
    assert "made more sensitive" not in out
    assert doctor.startswith("warn") and 'Set first_row = "front"' in doctor, doctor


def test_the_matrix_as_wired_reads_every_step_as_it_was_taken(tmp_path) -> None:
    out, doctor = _calibrated_on(MAKER, tmp_path)
    assert "slump              reads slouched" in out
    assert "lean to the left   reads lopsided to the left" in out
    assert "lean to the right  reads lopsided to the right" in out
    assert "warning" not in out
    assert doctor.startswith("ok"), doctor


def test_doctor_speaks_of_the_matrix_s_cells_not_of_one_sensor(tmp_path) -> None:
    layout_file = tmp_path / "my-matrix.toml"
    layout_file.write_text(MAKER, encoding="utf-8")
    config = tmp_path / "sitwatch.toml"
    config.write_text(f'[cushion]\nlayout = "{layout_file}"\n', encoding="utf-8")
    out = sitwatch_ok("--config", str(config), "doctor", "--headless", home=tmp_path)
    line = next(x for x in out.splitlines() if x.split()[1:2] == ["layout"])
    assert ("half lying (hips slid forward, back leaning back) shows, from the cells along the "
            "middle of the seat's rear;") in line, line
    assert "the sensor on" not in line
