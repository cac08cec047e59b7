"""Read a plain-text report the way a test wants it: one line per row.

`sitwatch report` wraps a row's value at 80 columns under its own start
(:func:`sitwatch.reports.period.text_row`), so ``Posture          upright 84% · ...`` may go on
over a second line. Tests that read a row as one line (``startswith("Posture")``, ``[17:]``)
read :func:`rows_joined` of the report instead of the report itself.
"""

from __future__ import annotations

import re

from sitwatch.reports.period import KEY_WIDTH

# A row's first line: its name (no leading space) padded to KEY_WIDTH, then its value.
_ROW = re.compile(rf"^\S.{{{KEY_WIDTH - 1}}} \S")
# A row's continuation: the value's column, then more of it.
_MORE = re.compile(rf"^ {{{KEY_WIDTH + 1}}}\S")


def rows_joined(text: str) -> str:
    """``text`` with each row's continuation lines joined back onto it (one space between, as
    the value read before it was wrapped); every other line as it is."""
    out: list[str] = []
    row = False
    for line in text.split("\n"):
        if row and _MORE.match(line):
            out[-1] += " " + line.strip()
            continue
        row = bool(_ROW.match(line))
        out.append(line)
    return "\n".join(out)


def row_value(text: str, key: str) -> str:
    """The whole value of the row named ``key`` (joined), or raise if there is none."""
    for line in rows_joined(text).splitlines():
        if line.startswith(key) and line[:KEY_WIDTH].rstrip() == key:
            return line[KEY_WIDTH + 1:]
    raise AssertionError(f"no {key!r} row in:\n{text}")
