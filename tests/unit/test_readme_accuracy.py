"""The README's "How well it detects" table quotes held-out figures; each must be one that
docs/accuracy.md's generated held-out summary gives, so that regenerating the evaluation
with other figures fails here until the README says them too."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PERCENT = re.compile(r"(\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?))?%")


def _section(text: str, heading: str) -> str:
    start = text.index(heading)
    end = text.find("\n## ", start + len(heading))
    return text[start:end if end >= 0 else None]


def _held_out_cells(readme: str) -> list[str]:
    """The second column (held out) of the README's table."""
    rows = [line for line in _section(readme, "## How well it detects").splitlines()
            if line.startswith("| ") and not line.startswith("| what")]
    return [row.split("|")[2] for row in rows]


def _figures(cell: str) -> set[float]:
    out: set[float] = set()
    for m in PERCENT.finditer(cell):
        out.update(float(g) for g in m.groups() if g is not None)
    return out


def test_the_readme_quotes_only_held_out_figures_from_docs_accuracy() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    summary = _section((ROOT / "docs" / "accuracy.md").read_text(encoding="utf-8"),
                       "## Held-out summary")
    table = summary.split("\n## ")[0]
    known = {float(m.group(1)) for m in PERCENT.finditer(table)}
    cells = _held_out_cells(readme)
    assert len(cells) == 6  # occupancy, slump, false slump, lopsided, false lopsided, webcam
    quoted = set().union(*(_figures(c) for c in cells))
    assert len(quoted) >= 8
    assert sorted(quoted - known) == [], \
        "the README quotes held-out figures the generated summary no longer gives"
