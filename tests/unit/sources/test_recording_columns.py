"""Which layout a recording's first row of names points to, and the rate of one with no time
column (sitwatch.sources.recording)."""

from __future__ import annotations

import pytest

from sitwatch.sensing import layout
from sitwatch.sources import recording

SMART = ",".join(f"p{i:02d}" for i in range(12))


def _csv(tmp_path, head: str, rows: int = 3, n: int = 12, extra: str = ""):
    f = tmp_path / "rec.csv"
    f.write_text(head + "\n" + "".join(",".join(["100"] * n) + extra + "\n"
                                       for _ in range(rows)))
    return f


def test_columns_naming_one_built_in_layout_point_to_it(tmp_path) -> None:
    f = _csv(tmp_path, SMART + ",pose", extra=",1")
    assert recording.columns_layout(f, layout.load("load-cells-4")) == "smartchair-12"


def test_a_configured_layout_that_reads_the_columns_is_kept(tmp_path) -> None:
    f = _csv(tmp_path, SMART + ",pose", extra=",1")
    assert recording.columns_layout(f, layout.load("smartchair-12")) is None
    # as many unnamed columns as the configured layout has channels: read by position
    g = _csv(tmp_path, "a,b,c,d", n=4)
    assert recording.columns_layout(g, layout.load("load-cells-4")) is None


def test_no_names_a_header_or_unknown_names_point_nowhere(tmp_path) -> None:
    cells = layout.load("load-cells-4")
    assert recording.columns_layout(_csv(tmp_path, "1,2,3,4,5,6,7,8,9,10,11,12"), cells) is None
    assert recording.columns_layout(_csv(tmp_path, "a,b,c,d,e,f,g,h,i,j,k,l"), cells) is None
    f = tmp_path / "h.csv"
    f.write_text("# sitwatch-recording v1 layout=grid:3x4 hz=5\n" + SMART + "\n"
                 + ",".join(["1"] * 12) + "\n")
    assert recording.columns_layout(f, cells) is None  # its header says its layout


def _cells(rows: int, cols: int) -> list[str]:
    return [f"r{r}c{c}" for r in range(rows) for c in range(cols)]


def test_a_matrix_whose_cells_are_named_points_to_its_grid(tmp_path) -> None:
    """r0c0 ... r9c14 name every cell of a 10x15 matrix as grid:10x15 names them (in any
    column order, a time column beside them); a 16x16 one is the built-in matrix-16x16, which
    says its scale, and a 20x20 one is not taken for it though it names all its cells."""
    cells = layout.load("load-cells-4")
    named = list(reversed(_cells(10, 15)))
    assert recording.columns_layout(_csv(tmp_path, "t," + ",".join(named), n=151), cells) \
        == "grid:10x15"
    assert recording.columns_layout(_csv(tmp_path, ",".join(_cells(16, 16)), n=256), cells) \
        == "matrix-16x16"
    assert recording.columns_layout(_csv(tmp_path, ",".join(_cells(20, 20)), n=400), cells) \
        == "grid:20x20"


@pytest.mark.parametrize("names", [
    _cells(3, 3)[:-1],  # a cell missing: no shape to place the rest in
    [*_cells(3, 3), "r1c1"],  # one cell twice
    [f"r0{r}c0{c}" for r in range(3) for c in range(3)],  # not the grid's names
    ["r0c0"],
])
def test_cells_that_make_no_whole_matrix_point_nowhere(names: list[str]) -> None:
    assert recording.grid_fitting(names) is None


def test_frames_with_no_time_take_the_layouts_rate_and_say_so_once(tmp_path) -> None:
    f = _csv(tmp_path, SMART, rows=5)
    smart = layout.load("smartchair-12")
    said: list[str] = []
    ts = [t for t, _ in recording.frames(f, smart, said=said.append)]
    assert ts == [0.0, 0.5, 1.0, 1.5, 2.0]
    assert said == ["rec.csv has no time column: read at 2 rows a second, layout "
                    "smartchair-12's rate (--hz sets another)"]
    said.clear()
    assert [t for t, _ in recording.frames(f, smart, 4, said=said.append)][1] == 0.25
    assert said == []  # --hz said it


def test_no_rate_anywhere_is_still_an_error_that_says_the_fix(tmp_path) -> None:
    f = _csv(tmp_path, "a,b,c,d", n=4)
    with pytest.raises(recording.RecordingError, match="no time column and no rate"):
        list(recording.frames(f, layout.load("load-cells-4")))


@pytest.mark.parametrize(("name", "tokens", "scale", "origin", "why"), [
    ("t", ["0", "0.5", "1.0"], 1.0, 0.0, ""),
    ("time", ["12.0", "12.05", "12.1"], 1.0, 0.0, ""),  # seconds that do not start at 0: kept
    ("time_ms", ["0", "50", "100"], 0.001, 0.0, "column 'time_ms' read as milliseconds"),
    ("timestamp", ["1700000000000", "1700000000500"], 0.001, 1700000000.0,
     "column 'timestamp' read as milliseconds, counted from the first row"),
    ("timestamp", ["1700000000.0", "1700000000.5"], 1.0, 1700000000.0,
     "column 'timestamp' holds clock times (seconds since 1970): read as seconds from the "
     "first row"),
    ("time", ["0", "500", "1000", "1500"], 0.001, 0.0,
     "column 'time' read as milliseconds (its rows are 500 apart, far too slow for seconds)"),
])
def test_a_time_columns_unit_and_origin(name, tokens, scale, origin, why) -> None:
    tc = recording.time_column(name, tokens)
    assert (tc.scale, tc.origin, tc.iso, tc.why) == (scale, origin, False, why)


def test_date_times_are_seconds_from_the_first_row() -> None:
    tc = recording.time_column("timestamp", ["2026-01-05T09:00:00", "2026-01-05T09:00:00.500",
                                             "2026-01-05T09:00:01Z"])
    assert tc.iso and "holds date-times" in tc.why
    assert [tc.seconds(x) for x in ("2026-01-05T09:00:00", "2026-01-05T09:00:00.500")] == [
        "0.000000", "0.500000"]
    assert tc.seconds("not a time") == "not a time"  # left for the parser to count


def test_a_csv_in_epoch_milliseconds_reads_as_seconds_from_its_start(tmp_path) -> None:
    f = tmp_path / "ms.csv"
    f.write_text("timestamp," + SMART + "\n" + "".join(
        f"{1700000000000 + 500 * i}," + ",".join(["100"] * 12) + "\n" for i in range(4)))
    said: list[str] = []
    ts = [t for t, _ in recording.frames(f, layout.load("smartchair-12"), said=said.append)]
    assert ts == [0.0, 0.5, 1.0, 1.5]
    assert said == ["ms.csv: column 'timestamp' read as milliseconds, counted from the first row"]
