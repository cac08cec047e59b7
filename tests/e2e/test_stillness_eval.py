"""Static sitting on the real ETHZ wheelchair recordings and through ``sitwatch eval``'s
section (issue #13). The layout's defaults are used as shipped: nothing was tuned on these."""

from __future__ import annotations

from pathlib import Path

from sitwatch.evaluation import stillness
from sitwatch.reports.tables import render


def test_steering_leans_are_found_and_nobody_steering_is_called_static(datasets_dir) -> None:
    rows = stillness.ethz_stillness(datasets_dir / "ethz-wheelchair")
    assert len(rows) == 12
    pushes, found = sum(r.pushes for r in rows), sum(r.found for r in rows)
    assert pushes > 100
    assert found / pushes >= 0.6  # 91 of 133 when written
    assert sum(r.false_static for r in rows) == 0  # the reminder at 60 s, while leaning
    minutes = sum(r.minutes for r in rows)
    assert 2 <= sum(r.shifts for r in rows) / minutes <= 10  # a driver shifts all the time


def test_the_eval_section_prints_both_checks(datasets_dir, tmp_path: Path) -> None:
    """With a wheelchair folder and one simulated run per sitter: the tables and the lines
    that sum them up, with the still sitter told every time and the one who relieves pressure
    never."""
    out: list[str] = []

    def table(header, rows) -> None:
        out.extend(render(header, rows, markdown=False))

    stillness.section(out, table, datasets_dir, "", seeds=1)
    text = "\n".join(out)
    assert text.startswith("Static sitting (weight shifts)")
    assert "steering leans of 2 s or more found as shifts" in text
    n = len(stillness.SIM_LAYOUTS)
    assert f"the still sitter was told in {n} of {n} runs" in text
    relief = next(line for line in out if line.startswith("simulated:"))
    assert f"0 static alarms in {n} runs" in relief

    none: list[str] = []
    stillness.section(none, table, tmp_path, "", seeds=0)
    assert none == []  # no recordings and no simulated sitters: no section
