"""Text tables for reports on a terminal or in markdown (``sitwatch eval``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def render(header: Sequence[str], rows: Iterable[Sequence[str]], *, markdown: bool) -> list[str]:
    """The table as lines: a markdown table, or columns padded to their widest cell."""
    body = [list(r) for r in rows]
    if markdown:
        return [
            "| " + " | ".join(header) + " |",
            "|" + "---|" * len(header),
            *("| " + " | ".join(r) + " |" for r in body),
        ]
    widths = [max(len(x) for x in col) for col in zip(header, *body, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(x.ljust(n) for x, n in zip(cells, widths, strict=True)).rstrip()

    return [line(header), *(line(r) for r in body)]
