"""When `sitwatch record` / `calibrate` give up on a cushion whose lines do not fit the layout
(sitwatch.sources.recorder.layout_mismatch)."""

from __future__ import annotations

from types import SimpleNamespace

from sitwatch.sensing import layout, wire
from sitwatch.sources.recorder import DECLARE_WAIT, MISMATCH_LINES, layout_mismatch


def _source(lines: list[bytes]) -> SimpleNamespace:
    parser = wire.LineParser(4, 4095)
    for line in lines:
        parser.feed(line)
    return SimpleNamespace(parser=parser)


MATRIX = b",".join([b"500"] * 150) + b"\n"


def test_an_undeclared_device_gets_time_to_declare_its_shape() -> None:
    """A board that does not reset when the port opens repeats `# rows=R cols=C` every few
    seconds: giving up after ten lines (half a second at 20 Hz) lost the declaration, and the
    advice named no grid (a flaky e2e, and a real board's user told "use grid:RxC")."""
    cells = layout.load("load-cells-4")
    src = _source([MATRIX] * MISMATCH_LINES)
    assert layout_mismatch(src, cells, 0, waited=DECLARE_WAIT / 2) is None
    said = layout_mismatch(src, cells, 0, waited=DECLARE_WAIT)
    assert said is not None and "150 values per line but layout load-cells-4 has 4" in said
    assert "no built-in layout has 150" in said


def test_a_declared_shape_is_named_at_once() -> None:
    cells = layout.load("load-cells-4")
    src = _source([b"# rows=10 cols=15\n"] + [MATRIX] * MISMATCH_LINES)
    said = layout_mismatch(src, cells, 0, waited=0.5)
    assert said is not None and "the device says it is a 10x15 matrix: --layout grid:10x15" in said


def test_too_few_lines_or_any_frame_say_nothing() -> None:
    cells = layout.load("load-cells-4")
    assert layout_mismatch(_source([MATRIX] * (MISMATCH_LINES - 1)), cells, 0) is None
    assert layout_mismatch(_source([MATRIX] * 50), cells, 1) is None
