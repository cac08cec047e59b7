"""A recording from another device than your own cushion, replayed as the issue's readers did:
``sitwatch calibrate --recording FILE --upright A:B -o profile.json`` then ``sitwatch replay
FILE --calibration profile.json --json``, with no --layout and no --hz.

The smartchair's and fsr-cushion-9's files name their channels in their first row (p00 ... p11,
fsr1 ... fsr9) and carry no time column. Before, both commands stopped with exit 2 ("pass
--layout smartchair-12", then "no time column and no rate") on a fresh account whose
cushion.layout is the default load-cells-4. Now the one built-in layout the columns name is
used, and its rate (hz in the layout), each said once on stderr; the events are the same as
with ``--layout ... --hz ...`` spelled out."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.cli import scratch_env

pytestmark = pytest.mark.datasets


def _run(*argv: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sitwatch", *argv], capture_output=True,
                          text=True, timeout=300, env=env)


def _calibrate_and_replay(csv: Path, upright: str, tmp: Path, *extra: str) -> tuple[str, str]:
    env = scratch_env(tmp)
    prof = tmp / "profile.json"
    cal = _run("calibrate", "--recording", str(csv), "--upright", upright, "-o", str(prof),
               *extra, env=env)
    assert cal.returncode == 0, cal.stderr
    assert "Traceback" not in cal.stderr
    rep = _run("replay", str(csv), "--calibration", str(prof), "--json", *extra, env=env)
    assert rep.returncode == 0, rep.stderr
    assert "Traceback" not in rep.stderr
    return rep.stdout, cal.stderr + rep.stderr


@pytest.mark.parametrize(("folder", "name", "upright", "layout", "hz"), [
    ("smartchair-ml", "scripted_almir.csv", "10:70", "smartchair-12", "2"),
    ("fsr-cushion-9", "session2.csv", "144:184", "fsr-cushion-9", "10"),
])
def test_a_recording_whose_columns_name_a_built_in_layout_is_read_with_it(
        datasets_dir: Path, tmp_path: Path, folder: str, name: str, upright: str, layout: str,
        hz: str) -> None:
    csv = datasets_dir / folder / name
    (tmp_path / "bare").mkdir()
    (tmp_path / "spelled").mkdir()
    bare, said = _calibrate_and_replay(csv, upright, tmp_path / "bare")
    spelled, _ = _calibrate_and_replay(csv, upright, tmp_path / "spelled", "--layout", layout,
                                       "--hz", hz)
    assert (f"{name}: its columns are layout {layout}'s channels, not load-cells-4's "
            f"(cushion.layout): read with {layout} (--layout picks another)") in said
    assert (f"{name} has no time column: read at {hz} rows a second, layout {layout}'s rate "
            "(--hz sets another)") in said
    assert bare == spelled
    summary = json.loads(bare.splitlines()[-1])
    assert summary["event"] == "summary"
    assert summary["occupied_seconds"] > 0.8 * summary["seconds"]  # session2 ends empty
    assert summary["posture_seconds"].get("slouched", 0) > 0  # each has its slump found


def test_a_layout_named_on_the_command_line_still_wins(datasets_dir: Path,
                                                        tmp_path: Path) -> None:
    """--layout load-cells-4 on a smartchair file: the user's choice is not overruled; the
    refusal names the built-in layout whose channels the file names."""
    env = scratch_env(tmp_path)
    csv = datasets_dir / "smartchair-ml" / "scripted_almir.csv"
    proc = _run("replay", str(csv), "--layout", "load-cells-4", "--auto", env=env)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "pass --layout smartchair-12: its channels have these names" in proc.stderr
    assert "read with smartchair-12" not in proc.stderr


def test_a_configured_layout_that_reads_the_file_is_kept(datasets_dir: Path,
                                                         tmp_path: Path) -> None:
    """A config naming a layout of one's own whose channels the file names too (a copy of
    fsr-cushion-9 with the pads placed otherwise): that layout is kept, and the built-in one is
    not put in its place."""
    env = scratch_env(tmp_path)
    mine = tmp_path / "mine.toml"
    chans = "".join(
        f'[[channels]]\nlabel = "fsr{i + 1}"\nsurface = "seat"\nx = {x}\ny = {y}\n\n'
        for i, (y, x) in enumerate((y, x) for y in (-0.5, 0.0, 0.5) for x in (-0.5, 0.0, 0.5)))
    mine.write_text(f'name = "mine"\nfull_scale = 1023\ntransform = "inverted"\n\n{chans}',
                    encoding="utf-8")
    conf = Path(env["XDG_CONFIG_HOME"]) / "sitwatch"
    conf.mkdir(parents=True)
    (conf / "sitwatch.toml").write_text(f'[cushion]\nlayout = "{mine}"\n', encoding="utf-8")
    csv = datasets_dir / "fsr-cushion-9" / "session2.csv"
    proc = _run("replay", str(csv), "--auto", "--hz", "10", "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "its columns are layout" not in proc.stderr
    assert "calibration: learned from the recording (session2.csv)" in proc.stderr


def test_a_header_naming_a_layout_this_machine_lacks_says_to_pass_the_file(
        tmp_path: Path) -> None:
    """A recording made elsewhere with a layout file of its own (``layout=my-velostat`` in its
    header) said only "unknown layout 'my-velostat'": that the name came from the file's
    header, and what to pass, were left to the user."""
    env = scratch_env(tmp_path)
    rec = tmp_path / "velostat.rec"
    rec.write_text("# sitwatch-recording v1 layout=my-velostat hz=10\n"
                   + ("200," * 149 + "200\n") * 30, encoding="utf-8")
    for argv in (("replay", str(rec), "--auto"),
                 ("calibrate", "--recording", str(rec), "--upright", "0:2", "-o",
                  str(tmp_path / "p.json"))):
        proc = _run(*argv, env=env)
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr
        assert (f"{rec}: its header names layout 'my-velostat', which cannot be loaded here"
                in proc.stderr)
        assert "pass --layout with the layout file it was recorded with" in proc.stderr
    ok = _run("replay", str(rec), "--auto", "--layout", "grid:10x15", "--json", env=env)
    assert ok.returncode == 0, ok.stderr


@pytest.mark.parametrize("clock", ["epoch-ms", "date-time", "ms-from-0"])
def test_a_csv_timed_by_a_clock_reads_as_seconds_from_its_start(
        datasets_dir: Path, tmp_path: Path, clock: str) -> None:
    """almir's session with a time column another logger would write: milliseconds since 1970
    (read as seconds, the session took 19 days and read 1896 breaks, every posture unknown),
    ISO date-times (every line dropped: "none of its 3819 lines could be read"), or
    milliseconds from 0 (read as seconds). `--upright 10:70` means seconds into the recording
    either way, and the events are those of the file without a time column."""
    from datetime import datetime, timedelta

    src = (datasets_dir / "smartchair-ml" / "scripted_almir.csv").read_text().splitlines()
    t0 = datetime(2026, 1, 5, 9, 0, 0)
    stamp = {"epoch-ms": lambda i: str(1767603600000 + 500 * i),
             "date-time": lambda i: (t0 + timedelta(seconds=0.5 * i)).isoformat(),
             "ms-from-0": lambda i: str(500 * i)}[clock]
    timed = tmp_path / "timed.csv"
    timed.write_text("timestamp," + src[0] + "\n"
                     + "".join(f"{stamp(i)},{row}\n" for i, row in enumerate(src[1:])))
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    got, said = _calibrate_and_replay(timed, "10:70", tmp_path / "a")
    want, _ = _calibrate_and_replay(datasets_dir / "smartchair-ml" / "scripted_almir.csv",
                                    "10:70", tmp_path / "b")
    assert "timed.csv: column 'timestamp'" in said
    assert got == want


def _simulated_matrix(tmp: Path, env: dict[str, str]) -> Path:
    """Half an hour of the demo script on a simulated 10x15 matrix at 2 Hz, as sitwatch
    records it (a header naming grid:10x15, a time column)."""
    out = tmp / "matrix.rec"
    sim = _run("simulate", "--layout", "grid:10x15", "--hz", "2", "--script", "demo",
               "--duration", "1800", "--speed", "1000", "-o", str(out), env=env)
    assert sim.returncode == 0, sim.stderr
    return out


def test_a_matrix_whose_cells_are_named_is_read_as_that_grid(tmp_path: Path) -> None:
    """A matrix logged by someone else's sketch: a CSV whose first row names the cells r0c0 ...
    r9c14 (here in reverse order, the time last), no sitwatch header. Before: exit 2 (its 150
    columns are not load-cells-4's four). Now it is read as grid:10x15, said on stderr with
    what that layout assumes, and gives the events of the same frames replayed from
    sitwatch's own recording. A matrix sending 0-1023 that falls under load is not silently
    read: nothing is read, and stderr points to a layout file."""
    env = scratch_env(tmp_path)
    rec = _simulated_matrix(tmp_path, env)
    rows = [line.split(",") for line in rec.read_text().splitlines()
            if line and not line.startswith("#")]
    names = [f"r{r}c{c}" for r in range(10) for c in range(15)]
    csv = tmp_path / "velostat.csv"
    csv.write_text(",".join([*reversed(names), "time"]) + "\n" + "".join(
        ",".join([*reversed(row[1:]), row[0]]) + "\n" for row in rows))
    theirs = _run("replay", str(csv), "--auto", "--json", env=env)
    ours = _run("replay", str(rec), "--auto", "--json", env=env)
    assert theirs.returncode == 0 and "Traceback" not in theirs.stderr, theirs.stderr
    assert ("velostat.csv: its columns are layout grid:10x15's channels, not load-cells-4's "
            "(cushion.layout): read with grid:10x15") in theirs.stderr
    assert "values 0-255 that rise with the load" in theirs.stderr
    assert theirs.stdout == ours.stdout
    summary = json.loads(theirs.stdout.splitlines()[-1])
    assert summary["posture_seconds"].get("slouched", 0) > 0
    falling = tmp_path / "falling.csv"
    falling.write_text(",".join(names) + "\n" + "".join(
        ",".join(str(1023 - 4 * int(v)) for v in row[1:]) + "\n" for row in rows))
    proc = _run("replay", str(falling), "--auto", "--hz", "2", env=env)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "a matrix wired otherwise needs a layout file (`sitwatch docs protocol`)" in proc.stderr
    assert "none of its 3600 lines could be read (3600 range)" in proc.stderr
