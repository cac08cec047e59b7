"""`sitwatch eval` replays every labelled dataset and prints the figures in docs/accuracy.md."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sitwatch.evaluation import datasets, reorder, scoring, stillness
from sitwatch.evaluation.robustness import ROBUSTNESS, margins
from sitwatch.evaluation.tuning import milder
from sitwatch.evaluation.variants import reshape

pytestmark = pytest.mark.datasets

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def quick_run(datasets_dir) -> subprocess.CompletedProcess[str]:
    """`sitwatch eval --quick --markdown` through the real command, once for this module."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "sitwatch", "eval", "--quick", "--markdown", "--shared",
         str(datasets_dir.parent)],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=900, check=False)


def table(text: str, first_header: str) -> list[list[str]]:
    """The rows (cells stripped) of the markdown table whose header starts with
    ``first_header``."""
    lines = text.splitlines()
    start = next(i for i, x in enumerate(lines) if x.startswith(f"| {first_header} |"))
    out = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        out.append([c.strip() for c in line.strip("|").split("|")])
    return out


#: the recordings free use and the working days replay, in order
FREE_USE = (
    "smartchair-ml/almir", "smartchair-ml/vanessa",
    "smartchair-ml/almir (sits upright away from the backrest)",
    "smartchair-ml/vanessa (sits upright away from the backrest)",
    "smartchair-ml/almir/seat8", "smartchair-ml/almir/cells4",
    "smartchair-ml/vanessa/seat8", "smartchair-ml/vanessa/cells4",
    "fsr-cushion-9/session1", "fsr-cushion-9/session2")


def test_eval_report_covers_every_dataset(quick_run, datasets_dir) -> None:
    assert quick_run.returncode == 0, quick_run.stderr[-2000:]
    text = quick_run.stdout
    for title in ("smartchair-ml", "ethz-wheelchair", "technion-smart-chair", "fsr-cushion-9",
                  "webcam-landmarks", "Static sitting (weight shifts)", "Simulated population",
                  "Free use from the scripted sessions", "A working day of free use"):
        assert f"## {title}" in text
    rows = [r for r in text.splitlines() if r.startswith("| almir | defaults, profile")]
    assert rows and rows[0].split("|")[3].strip() == "100.0%"  # occupancy
    # 97.6% after issue #10 dropped the nose's frame position; 99.6% since a face seen from
    # above is judged against the remembered shoulder line (5 of those 6 head-down rows)
    assert "upright vs head down, balanced accuracy (per sample) | 99.6%" in text
    # Issue #14: every step is announced before it runs, one per person, variant or file.
    ethz = sorted((datasets_dir / "ethz-wheelchair").glob("user*_s*.csv"))
    said = [x.removeprefix("sitwatch eval: ").removesuffix("...")
            for x in quick_run.stderr.splitlines()]
    # first which datasets it reads, then the steps
    assert said[0] == (f"datasets in {datasets_dir}: smartchair-ml, ethz-wheelchair, "
                       "technion-smart-chair, fsr-cushion-9, webcam-landmarks"), said[0]
    # then every file of the folders it scans by columns, read or skipped
    assert [x.split(" (")[0] for x in said[1:6]] == [
        "reads smartchair-ml/scripted_almir.csv", "reads smartchair-ml/scripted_vanessa.csv",
        "reads fsr-cushion-9/session1.csv", "reads fsr-cushion-9/session2.csv",
        "reads webcam-landmarks/dev_runs_01-16.csv"], said[1:6]
    steps = said[6:]
    assert steps[:-1] == [
        "smartchair-ml (1/2): almir",
        "smartchair-ml (2/2): vanessa",
        "smartchair-ml seat only (1/2): almir",
        "smartchair-ml seat only (2/2): vanessa",
        "smartchair-ml margins (1/2): almir",
        "smartchair-ml margins (2/2): vanessa",
        *(f"smartchair-ml robustness ({i}/{len(ROBUSTNESS)}): {what}"
          for i, (what, _) in enumerate(ROBUSTNESS, 1)),
        "smartchair-ml robustness: sat on by someone else",
        *(f"ethz-wheelchair ({i}/{len(ethz)}): {f.stem}" for i, f in enumerate(ethz, 1)),
        "technion-smart-chair",
        "fsr-cushion-9 (1/2): session1",
        "fsr-cushion-9 (2/2): session2",
        "fsr-cushion-9 at 5 Hz",
        "fsr-cushion-9 at 20 Hz",
        '"Not right" replays',
        *(f"free use, {reorder.QUICK} orders: {name}" for name in FREE_USE),
        *(f"working days, {reorder.QUICK_DAYS} of {reorder.DAY} orders: {name}"
          for name in FREE_USE),
        "working weeks, what each day taught kept, the notices of ways learned unanswered and "
        f"answered: {len(FREE_USE)} recordings, {reorder.QUICK_DAYS} weeks each",
        "webcam-landmarks",
        *(f"static sitting, ethz-wheelchair ({i}/{len(ethz)}): {f.stem}"
          for i, f in enumerate(ethz, 1)),
        *(f"static sitting, simulated sitters on {lay}" for lay in stillness.SIM_LAYOUTS),
        *(f"simulated population ({a}-{a + 4}/20)" for a in (1, 6, 11, 16)),
        *(f"simulated population, a seat pad {way} ({a}-{a + 4}/20)"
          for way in ("dead", "shorted") for a in (1, 6, 11, 16)),
    ]
    assert steps[-1].startswith("done in ") and "simulated population" in steps[-1]
    assert len(ethz) == 12
    # fsr-cushion-9: both sessions at the assumed 10 Hz (the half-lying cues from the other
    # session, which need no search, the naive rule and the layout read linearly, as it was
    # shipped before it declared its divider), then 5 and 20 Hz
    fsr = [r.split("|")[1:3] for r in text.splitlines()
           if r.startswith(("| session1", "| session2"))]
    got = [(p.strip(), k.strip()) for p, k in fsr]
    assert [(p, k.split(" (")[0] if k.startswith("loso") else k) for p, k in got] == [
        *((f"session{i}", what) for i in (1, 2)
          for what in ("defaults, profile, 10 Hz",
                       f"loso, half-lying cues from session{3 - i}",
                       "naive stand-in, profile, 10 Hz",
                       "layout read linearly (divider = 0, as shipped before), profile, "
                       "10 Hz")),
        *((f"session{i}", f"defaults, profile, {hz} Hz") for hz in (5, 20) for i in (1, 2))]


def test_the_held_out_summary_comes_first_and_reflects_the_tables(quick_run) -> None:
    """Issue #10: one table of the targets against the held-out rows, at the top, made of the
    figures the tables below it show (not typed in), with the naive stand-in beside ours."""
    text = quick_run.stdout
    assert text.startswith("## Held-out summary\n")
    summary = table(text, "target")
    assert text.index("| target |") < text.index("## smartchair-ml")
    by = {(r[0], r[1].split(" (")[0]): r for r in summary}
    # technion: the loso row of its table
    tech = table(text, "thresholds")
    loso = next(r for r in tech if r[0].startswith("loso"))
    row = by[(">= 95% of lopsided segments flagged", "technion-smart-chair")]
    assert row[2] == f"leg lifted {loso[3]}"
    assert row[3] == ("yes" if float(loso[3].rstrip("%")) >= 95 else "**no**")
    # webcam: the other-session splits of its held-out table, per sample, met at 97%
    cam = table(text, "baseline from")
    other = [r for r in cam if r[1].startswith("the other session")]
    assert len(other) == 2
    row = by[("webcam upright vs head down >= 97%, incl. another distance", "webcam-landmarks")]
    for r in other:
        assert f" {r[3]} ({r[4]} after the dwell)" in row[2]
        assert f" {r[8]}" in row[4]  # the naive rule on the same samples
    met = all(float(r[3].rstrip("%")) >= 97 for r in other)
    assert row[3] == ("yes" if met else "**no**")
    # the simulated population: the shares of its "all layouts" rows
    pop = table(text, "device")
    ours = next(r for r in pop if r[0] == "all layouts" and r[2] == "ours")
    naive = next(r for r in pop if r[0] == "all layouts" and r[2] == "naive")
    head = next(line for line in text.splitlines() if line.startswith("| device |"))
    col = [c.strip() for c in head.strip("|").split("|")].index("every slump found within 30 s")
    row = by[("every slump found within 30 s", "simulated population")]
    assert row[2].startswith(f"{ours[col]} of sitters")
    assert row[4].startswith(f"{naive[col]} of sitters")
    assert row[3] == ("yes" if float(ours[col].rstrip("%")) >= 95 else "**no**")
    # every target of the issue has a row; --quick says which held-out rows it leaves out
    targets = {r[0] for r in summary}
    assert {"occupancy >= 99%", "every slump found within 30 s",
            "false slouch < 3% of upright time", ">= 95% of lopsided segments flagged",
            "false lopsided < 3% of upright time"} <= targets
    assert "Quick run: no lopo/loso threshold search" in text


def test_the_working_day_table_shows_the_held_out_class_even_all_day(quick_run) -> None:
    """The quick run's two working days start at orders 0 and 4; on the second, issue #10's
    held-out class (vanessa) learned her elbows-on-thighs lean as her upright clear of the
    backrest, and every later hour read lopsided 55-64% of her upright time (session 11)."""
    lines = quick_run.stdout.splitlines()
    at = lines.index(next(x for x in lines if x.startswith("## A working day of free use")))
    head = next(i for i in range(at, len(lines)) if lines[i].startswith("| recording |"))
    end = next(i for i in range(head, len(lines)) if not lines[i].startswith("|"))
    rows = [[c.strip() for c in x.strip("|").split("|")] for x in lines[head + 2:end]]
    cols = [c.strip() for c in lines[head].strip("|").split("|")]
    late = cols.index("worst hour after the first two")
    got = {(r[0], r[1]): r for r in rows}
    assert len(got) == len(FREE_USE)
    row = got[("smartchair-ml/vanessa", "issue #10's held-out class")]
    assert float(row[late].rstrip("%")) < 3.0, row
    assert row[cols.index("slumps found in 30 s")].split("/")[0] == (
        row[cols.index("slumps found in 30 s")].split("/")[1])


def test_the_working_days_as_a_week_start_from_what_the_days_before_taught(quick_run) -> None:
    """The same days as weeks, each day first in one, the others starting from the ways of
    sitting upright clear of the backrest the days before taught (what the daemon keeps in the
    profile). vanessa's day from order 4, learning from the calibration alone, read lopsided
    17.9% of its fifth hour (a backrest contact on one side, the seat centred); kept from the
    day before, no hour read over 3%. Since a backrest contact with the seat and thighs centred
    must go a tenth past the threshold (session 14) the day reads under 3% alone too, and
    keeping must not undo that; no more lopsided pieces go unflagged than on the days
    alone."""
    lines = quick_run.stdout.splitlines()
    at = lines.index(next(x for x in lines if x.startswith("## A working day of free use")))
    head = next(i for i in range(at, len(lines)) if lines[i].startswith("| recording |"))
    end = next(i for i in range(head, len(lines)) if not lines[i].startswith("|"))
    rows = {(r[0], r[1]): r for r in ([c.strip() for c in x.strip("|").split("|")]
                                      for x in lines[head + 2:end])}
    cols = [c.strip() for c in lines[head].strip("|").split("|")]
    worst = cols.index("worst hour")
    assert cols[worst - 1] == "day 2 of each week, alone -> kept: false lopsided (worst day)"
    alone, kept = (float(x.strip().rstrip("%"))
                   for x in rows[("smartchair-ml/vanessa", "12 sensors")][worst].split("->"))
    assert alone < 3.0 and kept < 3.0, (alone, kept)
    for row in rows.values():
        pooled = row[worst + 1].split(";")[0]  # "a/n -> b/n; worst week ..."
        if pooled.strip() != "-":
            a, b = (int(x.strip().split("/")[0]) for x in pooled.split("->"))
            assert b >= a, row
    # the same weeks with the notices of the ways learned answered: only a chair with backrest
    # sensors learns such ways, so only its rows have figures there
    answered = cols.index("kept, every notice of a way learned answered: false lopsided "
                          "(worst day)")
    for (_name, device), row in rows.items():
        backrest = device in ("12 sensors", "issue #10's held-out class")
        assert (row[answered].strip() != "-") == backrest, row
        assert (row[answered + 1].strip() != "-") == backrest, row


def test_eval_command_reports_on_stdout_and_its_progress_on_stderr(
    datasets_dir, tmp_path, capsys
) -> None:
    """Issue #14: `sitwatch eval` said nothing until it had finished. Each step now goes to
    stderr as it starts, and the time each part took at the end; stdout carries the report
    alone (docs/accuracy.md is made of it)."""
    from sitwatch.cli.main import main

    # Only the small Technion dataset and no simulated sitters, so it runs in a moment.
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "technion-smart-chair").symlink_to(
        datasets_dir / "technion-smart-chair"
    )
    assert main(["eval", "--quick", "--sitters", "0", "--shared", str(tmp_path)]) == 0
    got = capsys.readouterr()
    err = got.err.splitlines()
    assert err[0].startswith(f"sitwatch eval: datasets in {tmp_path / 'datasets'}: "
                             "technion-smart-chair; not there: ")  # which it reads, first
    assert err[1] == "sitwatch eval: technion-smart-chair..."
    assert err[2].startswith("sitwatch eval: done in ") and "(technion-smart-chair " in err[2]
    assert len(err) == 3
    assert got.out.startswith("Held-out summary\n")
    assert "\ntechnion-smart-chair (5 sensors, 1 person," in got.out
    assert "sitwatch eval:" not in got.out
    assert "Simulated population" not in got.out  # --sitters 0
    # plain text: no markdown in the summary's "met" column
    assert "**" not in got.out and "  no  " in got.out


def test_eval_refuses_a_negative_number_of_sitters(tmp_path, capsys) -> None:
    from sitwatch.cli.main import main

    assert main(["eval", "--sitters", "-1", "--shared", str(tmp_path)]) == 2
    assert "--sitters -1" in capsys.readouterr().err


def test_milder_copy_moves_postures_towards_upright(datasets_dir) -> None:
    d = datasets.smartchair(datasets_dir / "smartchair-ml" / "scripted_almir.csv")
    m = milder(d, 0.5)
    prof, _ = scoring.first_upright_profile(d)
    up = prof.array("upright")
    slump = d.label == 7
    before = abs(d.values[slump] - up).mean()
    after = abs(m.values[slump] - up).mean()
    assert after == pytest.approx(before / 2, rel=1e-6)
    assert (m.values[d.label == 0] == d.values[d.label == 0]).all()


def test_reshape_touches_only_the_named_postures_and_stays_in_range(datasets_dir) -> None:
    d = datasets.smartchair(datasets_dir / "smartchair-ml" / "scripted_almir.csv")
    x = reshape(d, 3.0, scoring.LOPSIDED_LABELS)
    lop = np.isin(d.label, scoring.LOPSIDED_LABELS)
    assert (x.values[~lop] == d.values[~lop]).all()
    assert (x.values[lop] != d.values[lop]).any()
    assert x.values.min() >= 0 and x.values.max() <= d.layout.full_scale


def test_margins_of_the_shipped_defaults(datasets_dir) -> None:
    """A guard on how much room the defaults leave (docs/accuracy.md, "margins"): tightening a
    threshold so that a slightly milder slump or lean is missed, or loosening one so that an
    exaggerated upright posture of almir's reads slumped or lopsided, fails here."""
    people = [datasets.smartchair(f)
              for f in sorted((datasets_dir / "smartchair-ml").glob("scripted_*.csv"))]
    got = {m.person: m for m in margins(people)}
    assert set(got) == {"almir", "vanessa"}
    for m in got.values():
        assert m.slouch_down_to is not None and m.slouch_down_to <= 1.0
        assert m.lopsided_down_to is not None and m.lopsided_down_to <= 0.9
    assert got["vanessa"].slouch_down_to <= 0.9
    assert got["almir"].false_slouch_stronger == 0.0
    assert got["almir"].false_lopsided_stronger == 0.0


def test_eval_sees_what_replay_sees(datasets_dir, tmp_path) -> None:
    """The eval's figures come from the same pipeline as `sitwatch replay`: the recording,
    written in the wire format and replayed from the file, gives the same events."""
    from sitwatch import config
    from sitwatch.runtime.replay import replay

    d = datasets.smartchair(datasets_dir / "smartchair-ml" / "scripted_vanessa.csv")
    prof, _ = scoring.first_upright_profile(d)
    cfg = config.Config()
    direct = [(e.t, e.event, e.state) for e in scoring.run_pipeline(d, cfg, prof).events]
    path = d.write(tmp_path / "vanessa.csv")
    replayed = [(e.t, e.event, e.state) for e in replay(path, d.layout, cfg, prof)]
    assert len(direct) > 50
    assert replayed == direct


def test_the_calibration_minute_stays_inside_a_short_upright_segment(datasets_dir) -> None:
    """fsr-cushion-9 session 2's upright block lasts 53 s at 10 Hz (26 s at 20 Hz): the
    calibration took 10..70 s from its start, a stretch of the next block (a right lean) with
    it. It now stops at the segment's end; long segments keep 10..70 s."""
    d = datasets.fsr_cushion(datasets_dir / "fsr-cushion-9" / "session2.csv", 20.0)
    _, a, b = next(s for s in d.segments() if s[0] == 1)
    _, (lo, hi) = scoring.first_upright_profile(d)
    assert a < lo < hi == b and hi - lo >= 20
    almir = datasets.smartchair(datasets_dir / "smartchair-ml" / "scripted_almir.csv")
    assert scoring.first_upright_profile(almir)[1] == (10.0, 70.0)
