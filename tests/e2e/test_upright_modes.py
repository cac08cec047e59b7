"""Issue #10's classes of sitter we have no recording of, made from the real SmartChair-ML
sessions (sitwatch.evaluation.variants) and replayed through the real commands: `sitwatch
calibrate --recording` then `sitwatch replay --calibration --json`, as the held-out check does.

- away_sitter: a light, wandering backrest contact in upright sitting, and the seat's centre
  0.26 off when upright away from the backrest. Before issue #10 this read lopsided 87%
  (almir) and 76% (vanessa) of upright time; the held-out chair's person read 67-93%. Its
  forward leans were never reported: the light backrest left the chair little load to lose.
- resettled: on a seat-only device, a later upright stretch sat further forward; it read
  leaning forward 52% / 49% of upright time before (the velostat matrix: 50%).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sitwatch.cli.main import main
from sitwatch.evaluation import datasets, scoring, variants
from sitwatch.sensing import calibration

pytestmark = pytest.mark.datasets


@pytest.fixture(scope="module", params=["almir", "vanessa"])
def person(request, datasets_dir: Path) -> datasets.Labelled:
    return datasets.smartchair(datasets_dir / "smartchair-ml" / f"scripted_{request.param}.csv")


def states(d: datasets.Labelled, events: list[dict], kind: str) -> np.ndarray:
    """The ``kind`` state after every frame of ``d``, from the replay's events."""
    out = np.full(len(d.t), None, dtype=object)
    evs = [e for e in events if e["event"] == kind]
    idx = np.searchsorted([e["t"] for e in evs], d.t, side="right") - 1
    for i, k in enumerate(idx):
        if k >= 0:
            out[i] = evs[k]["state"]
    return out


def layout_file(d: datasets.Labelled, tmp: Path) -> Path:
    """The variant's layout as a layout file (a seat-only copy is no shipped layout)."""
    lay = d.layout
    lines = [f'name = "{lay.name}"', f"full_scale = {lay.full_scale:g}", ""]
    for c in lay.channels:
        lines += ["[[channels]]", f'label = "{c.label}"', f'surface = "{c.surface}"',
                  f"x = {c.x:g}", f"y = {c.y:g}", ""]
    path = tmp / f"{lay.name}.toml"
    path.write_text("\n".join(lines))
    return path


def calibrate_and_replay(d: datasets.Labelled, tmp: Path, capsys, *extra: str) -> list[dict]:
    rec = d.write(tmp / "rec.rec")
    _, (a, b) = scoring.first_upright_profile(d)
    lay = ["--layout", str(layout_file(d, tmp))]
    args = ["calibrate", *lay, "--recording", str(rec), "--upright", f"{a:g}:{b:g}"]
    empty = next((s for s in d.segments() if s[0] == 0), None)
    if empty is not None:
        args += ["--empty", f"{empty[1] + 2:g}:{empty[2] - 2:g}"]
    cal = tmp / "cal.json"
    assert main([*args, *extra, "-o", str(cal)]) == 0
    capsys.readouterr()
    assert main(["replay", "--no-user-config", *lay, str(rec), "--calibration", str(cal),
                 "--json"]) == 0
    return [json.loads(x) for x in capsys.readouterr().out.splitlines()][:-1]


def test_an_upright_away_sitter_with_a_light_wandering_backrest_is_not_lopsided(
    person, tmp_path, capsys
) -> None:
    d = variants.away_sitter(person)
    evs = calibrate_and_replay(d, tmp_path, capsys)
    bal = states(d, evs, "balance")
    _, (a, b) = scoring.first_upright_profile(d)
    upright = np.isin(d.label, (1, 2)) & ~((d.t >= a) & (d.t < b))
    false = float(np.isin(bal[upright], ["left", "right"]).mean())
    assert false < 0.03, f"false lopsided {false:.1%} of upright time"
    # the lopsided postures the seat and the thighs see are still flagged (30 s or more);
    # the ones only the backrest saw are not: this person's backrest cue is noise
    for lab, a, b in d.segments():
        m = (d.t >= a) & (d.t < b)
        held = float(np.isin(bal[m], ["left", "right"]).sum()) * 0.5
        if lab in (8,) or (lab == 9 and d.person == "vanessa") or (
            lab == 5 and d.person == "almir"
        ):
            assert held >= 30, f"label {lab} flagged only {held:.0f} s"


def test_an_upright_away_sitter_with_a_light_wandering_backrest_is_seen_leaning_forward(
    person, tmp_path
) -> None:
    """The `sitwatch` command itself (a subprocess): calibrate on the first upright minute,
    replay with that profile; every forward lean is reported for 30 s or more (both people's
    leans were never reported before: the light backrest left the chair too little load to
    lose). Vanessa's elbows-on-thighs lean keeps all the seat load of her upright away from
    the backrest and moves its centre nowhere from there: only its moments ahead of her
    calibrated upright showed it, and since a sitter who sits down again further forward is no
    longer taken for leaning forward (the population's resettle class) nothing tells it from
    her upright; kept as a miss (docs/accuracy.md), so her run checks no false forward only."""
    d = variants.away_sitter(person)
    rec = d.write(tmp_path / "rec.rec")
    _, (a, b) = scoring.first_upright_profile(d)
    lay = ["--layout", str(layout_file(d, tmp_path))]
    cal = tmp_path / "cal.json"

    def sitwatch(*argv: str) -> str:
        done = subprocess.run([sys.executable, "-m", "sitwatch", *argv], capture_output=True,
                              text=True, timeout=300, env=dict(os.environ))
        assert done.returncode == 0, done.stderr
        return done.stdout

    empty = next((s for s in d.segments() if s[0] == 0), None)
    tare = [] if empty is None else ["--empty", f"{empty[1] + 2:g}:{empty[2] - 2:g}"]
    sitwatch("calibrate", "--no-user-config", *lay, "--recording", str(rec),
             "--upright", f"{a:g}:{b:g}", *tare, "-o", str(cal))
    out = sitwatch("replay", "--no-user-config", *lay, str(rec), "--calibration", str(cal),
                   "--json")
    evs = [json.loads(x) for x in out.splitlines()][:-1]
    post = states(d, evs, "posture")
    leans = [s for s in d.segments() if s[0] in (3, 6)]
    assert leans
    for lab, a0, b0 in leans if person.person == "almir" else []:
        m = (d.t >= a0) & (d.t < b0)
        held = float((post[m] == "leaning_forward").sum()) * 0.5
        assert held >= 30, f"forward lean (label {lab}) reported for only {held:.0f} s"
    upright = np.isin(d.label, (1, 2)) & ~((d.t >= a) & (d.t < b))
    assert float((post[upright] == "leaning_forward").mean()) < 0.03


def test_an_upright_away_step_in_the_calibration_reads_that_upright_from_its_start(
    person, tmp_path, capsys
) -> None:
    d = variants.away_sitter(person)
    away = next(s for s in d.segments() if s[0] == 2)
    start = away[1] + 10
    evs = calibrate_and_replay(d, tmp_path, capsys, "--upright-away", f"{start:g}:{start + 60:g}")
    prof = calibration.load(tmp_path / "cal.json")
    assert prof.upright_away is not None and prof.spread and prof.spread["back_x"] > 0.1
    bal = states(d, evs, "balance")
    m = (d.t >= away[1]) & (d.t < away[2])
    assert not np.isin(bal[m], ["left", "right"]).any()


def test_a_seat_only_sitter_who_sat_down_further_forward_does_not_read_leaning_forward(
    person, tmp_path, capsys
) -> None:
    d = variants.resettled(variants.seat_only(person, "seat8"))
    evs = calibrate_and_replay(d, tmp_path, capsys)
    post = states(d, evs, "posture")
    later = next(s for s in d.segments() if s[0] == 2)  # the resettled upright stretch
    m = (d.t >= later[1]) & (d.t < later[2])
    assert float((post[m] == "leaning_forward").mean()) < 0.03
    # the slump is still seen within 30 s: on a seat alone a deep slump reads "weight forward"
    # (leaning_forward, the sit-back nudge), since from below it looks like a perch (issue #10)
    slump = next(s for s in d.segments() if s[0] == 7)
    m = (d.t >= slump[1]) & (d.t < slump[1] + 30)
    assert np.isin(post[m], ["slouched", "leaning_forward"]).any()


def test_calibrated_clear_of_the_backrest_forward_leans_are_still_seen(datasets_dir, tmp_path):
    """Someone whose first upright minute is clear of the backrest (almir's label 2): the
    profile then has no backrest load, and the chair used to be read as a seat alone, which
    cannot see his forward leans (his seat keeps 0.72 of that load and its centre stays put):
    none was reported. Through the real commands, each now is, and his upright is not."""
    from tests.helpers.cli import sitwatch_ok

    d = datasets.smartchair(datasets_dir / "smartchair-ml" / "scripted_almir.csv")
    away = next((a, b) for lab, a, b in d.segments() if lab == 2)
    rec = d.write(tmp_path / "almir.rec")
    cal = tmp_path / "away.json"
    sitwatch_ok("calibrate", "--recording", str(rec), "--upright",
                f"{away[0] + 10:g}:{away[0] + 70:g}", "-o", str(cal), home=tmp_path)
    out = sitwatch_ok("replay", str(rec), "--calibration", str(cal), "--json", home=tmp_path)
    post = states(d, [json.loads(line) for line in out.splitlines()], "posture")
    for lab, a, b in d.segments():
        m = (d.t >= a) & (d.t < b)
        if lab in (3, 6):  # leaning forward: flagged for 30 s or more
            assert np.sum(post[m] == "leaning_forward") * 0.5 >= 30, (lab, a)
        if lab in (1, 2):
            assert np.mean(post[m & (d.t >= a + 15)] == "leaning_forward") < 0.05, (lab, a)


def test_free_use_a_forward_lean_first_is_not_taken_for_the_upright_clear_of_the_backrest(
        datasets_dir, tmp_path):
    """Issue #10's held-out class (a light, wandering backrest; upright clear of it 0.26 off) in
    free use: order 5 of almir's session brings a forward lean before any upright clear of the
    backrest. With the light backrest the chair's total hardly falls, the lean read upright and
    was learned as his upright clear of the backrest; the real one, measured from there, read
    lopsided 71% of its time. A minute is learned as that upright only if the seat carries at
    least its calibrated load (a forward lean hands weight on), so it reads balanced."""
    from sitwatch.evaluation import reorder
    from tests.helpers.cli import calibrated_replay

    d = reorder.reordered(variants.away_sitter(
        datasets.smartchair(datasets_dir / "smartchair-ml" / "scripted_almir.csv")), 5)
    segs = d.segments()
    first_away = next(a for lab, a, _ in segs if lab == 2)
    assert any(lab in (3, 6) and a < first_away for lab, a, _ in segs)  # a lean comes first
    bal = states(d, calibrated_replay(d, tmp_path), "balance")
    away = d.label == 2
    assert np.isin(bal[away], ["left", "right"]).mean() < 0.03


def test_free_use_a_forward_lean_that_keeps_the_seat_load_is_not_taken_for_that_upright(
        datasets_dir, tmp_path):
    """The same class, vanessa, order 16: her elbows-on-thighs forward lean comes right after
    the calibration, for 100 s. It keeps all the seat's load and its centre, as still as her
    upright clear of the backrest, and its one settled minute was learned as that upright;
    every later upright clear of the backrest (0.26 off) then read lopsided from it, 62% of her
    upright time. The upright is now learned only from two settled minutes that agree (in 1
    order of 20 her lean still recurs first: docs/accuracy.md, "Free use")."""
    from sitwatch.evaluation import reorder
    from tests.helpers.cli import calibrated_replay

    d = reorder.reordered(variants.away_sitter(
        datasets.smartchair(datasets_dir / "smartchair-ml" / "scripted_vanessa.csv")), 16)
    segs = d.segments()
    assert segs[1][0] == 3 and segs[1][2] - segs[1][1] > 60  # the lean comes first, a minute
    bal = states(d, calibrated_replay(d, tmp_path), "balance")
    _, (a, b) = scoring.first_upright_profile(d)
    upright = np.isin(d.label, (1, 2)) & (d.t >= b)
    assert np.isin(bal[upright], ["left", "right"]).mean() < 0.03
