"""`sitwatch eval` reads every labelled recording in the folders it scans, whatever its name, and
names each file it skips with the reason. It used to read fixed names only (scripted_*.csv,
session*.csv, dev_runs_01-16.csv), so a recording dropped in beside them was silently not
scored."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sitwatch.evaluation import camera, datasets
from sitwatch.evaluation.fsr import fsr_files

CHAIR = ",".join(datasets.SMARTCHAIR_COLUMNS)


def chair_rows(n: int = 40, pose: int = 1) -> str:
    return "".join(",".join([*(str(100 + i + k) for i in range(12)), str(pose)]) + "\n"
                   for k in range(n))


def write(folder: Path, name: str, text: str | bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / name
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text, encoding="utf-8")
    return p


def landmark_rows(labels: list[int]) -> str:
    vals = ",".join(["0.5", "0.5", "0.0", "0.9"] * 33)
    return "".join(f"{lab},{vals}\n" for lab in labels)


def test_every_chair_file_with_its_columns_is_read_in_its_role(tmp_path: Path) -> None:
    sc = tmp_path / "smartchair-ml"
    write(sc, "scripted_ann.csv", CHAIR + "\n" + chair_rows())
    # a spreadsheet's export: a byte-order mark and spaces after the commas
    write(sc, "free_use_bob.csv", "\ufeff" + CHAIR.replace(",", ", ") + "\n" + chair_rows())
    # the same columns in another order: read by name
    cols = list(datasets.SMARTCHAIR_COLUMNS)
    write(sc, "later_cy.csv", ",".join(reversed(cols)) + "\n" + "".join(
        ",".join(reversed(r.split(","))) + "\n" for r in chair_rows().splitlines()))
    f = datasets.find(tmp_path)
    assert [p.name for p in f.scripted] == ["scripted_ann.csv"]
    assert [p.name for p in f.chair_other] == ["free_use_bob.csv", "later_cy.csv"]
    assert datasets.person_of(f.chair_other[0]) == "bob"
    later = datasets.smartchair(f.chair_other[1])
    plain = datasets.smartchair(f.scripted[0])
    np.testing.assert_array_equal(later.values, plain.values)
    np.testing.assert_array_equal(later.label, plain.label)
    assert any('free_use_bob.csv (another recording' in s and 'person "bob"' in s
               for s in f.said)
    assert not any(s.startswith("skips") for s in f.said)


@pytest.mark.parametrize(("name", "text", "why"), [
    ("empty.csv", "", "empty"),
    ("blank.csv", "\n\n", "empty"),
    ("header_only.csv", CHAIR + "\n", "empty (a header and no rows)"),
    ("other.csv", "a,b,c\n1,2,3\n", "unknown columns (no p00, p01, p02 and 10 more"),
    ("words.csv", CHAIR + "\n" + chair_rows(2) + "1,2,x,4,5,6,7,8,9,10,11,12,1\n",
     "unreadable (could not convert string 'x'"),
    ("short_row.csv", CHAIR + "\n" + chair_rows(2) + "1,2,3\n", "unreadable ("),
    ("latin1.csv", b"p00,\xe9\xff\n", "unreadable ("),
])
def test_a_file_that_cannot_be_read_is_skipped_with_the_reason(
    tmp_path: Path, name: str, text: str | bytes, why: str,
) -> None:
    sc = tmp_path / "smartchair-ml"
    write(sc, "scripted_ann.csv", CHAIR + "\n" + chair_rows())
    write(sc, name, text)
    f = datasets.find(tmp_path)  # never raises
    assert [p.name for p in f.scripted] == ["scripted_ann.csv"] and not f.chair_other
    said = [s for s in f.said if name in s]
    assert len(said) == 1 and said[0].startswith(f"skips smartchair-ml/{name}: {why}"), said
    assert "Traceback" not in said[0] and str(tmp_path) not in said[0]


def test_fsr_sessions_are_every_file_with_the_cushion_columns(tmp_path: Path) -> None:
    fsr = tmp_path / "fsr-cushion-9"
    head = ",".join(("sample", *datasets.FSR9_COLUMNS)) + "\n"
    row = ",".join(["1022"] * 9)
    write(fsr, "session1.csv", head + f"0,empty,{row}\n1,upright,{row}\n")
    write(fsr, "later_day.csv", head + f"0,empty,{row}\n")
    write(fsr, "odd_label.csv", head + f"0,dancing,{row}\n")
    f = datasets.find(tmp_path)
    assert [p.name for p in f.fsr] == ["later_day.csv", "session1.csv"] == \
        [p.name for p in fsr_files(fsr)]
    assert "skips fsr-cushion-9/odd_label.csv: unreadable (unknown label 'dancing')" in f.said


def test_webcam_files_need_the_landmark_columns_and_an_upright_run(tmp_path: Path) -> None:
    cam = tmp_path / "webcam-landmarks"
    head = ",".join(datasets.WEBCAM_COLUMNS) + "\n"
    write(cam, "runs_17-30.csv", head + landmark_rows([0, 0, 1, 1]))
    write(cam, datasets.WEBCAM_DEV_FILE, head + landmark_rows([0, 1]))
    write(cam, "all_down.csv", head + landmark_rows([1, 1]))
    cols = list(datasets.WEBCAM_COLUMNS)
    cols[1], cols[2] = cols[2], cols[1]
    write(cam, "swapped.csv", ",".join(cols) + "\n" + landmark_rows([0]))
    write(cam, "nan.csv", head + "0," + ",".join(["x"] * 132) + "\n")
    f = datasets.find(tmp_path)
    assert [p.name for p in f.webcam] == [datasets.WEBCAM_DEV_FILE, "runs_17-30.csv"]
    said = "\n".join(f.said)
    assert "skips webcam-landmarks/all_down.csv: no upright run (label 0)" in said
    assert "skips webcam-landmarks/swapped.csv: unknown columns (this folder's files start " \
           "label, x0, ... v32, in that order)" in said
    assert "skips webcam-landmarks/nan.csv: unreadable (" in said
    assert "reads webcam-landmarks/runs_17-30.csv (its sessions are not known" in said


def test_the_sessions_of_a_webcam_file_other_than_the_dev_runs_are_one() -> None:
    labels = [0, 1, 2, 3, 4, 5, 4, 3, 2, 1, 0, 1]
    assert camera.session_starts(Path("x") / datasets.WEBCAM_DEV_FILE) == camera.SESSION_STARTS
    starts = camera.session_starts(Path("runs_17-30.csv"))
    plan = camera.split_plan(labels, starts)
    # one session: every split is within the file, none claims another session
    assert [(cal, same) for cal, _, same in plan] == [(0, True), (10, True)]
    assert plan[0][1] == [1, 9, 10, 11]
