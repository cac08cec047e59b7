"""The held-out summary: issue #10's targets, and where the held-out rows stand against them.

Every section of ``sitwatch eval`` that has held-out rows adds its figures here
(:class:`Summary`); the report prints them first, grouped by target, with the naive stand-in's
figure beside ours (:mod:`~sitwatch.evaluation.naive`) and whether each meets the target. A
dataset meets a target when every one of its held-out folds (person, session, split) does;
the simulated population meets it when at least :data:`POPULATION_SHARE` of its sitters do.

The slump targets read the figures the user meets: a slump is found by a "sit back" nudge, which
on a seat alone also comes for "weight forward" (:mod:`~sitwatch.evaluation.scoring`); where the
strict figure (read as ``slouched``) differs, the cell says it too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sitwatch.evaluation.scoring import Scores


@dataclass(frozen=True)
class Target:
    key: str
    text: str
    field: str  # the Scores attribute it reads
    ok: Callable[[float], bool]
    latency: str | None = None  # the Scores attribute shown beside it (seconds)
    seconds: str | None = None  # ... or the false-alarm seconds
    strict: str | None = None  # the strict figure, shown beside it where it differs


OCCUPANCY = Target("occupancy", "occupancy >= 99%", "occupancy", lambda v: v >= 0.99)
SLUMP = Target("slump", "every slump found within 30 s", "slouch_recall",
               lambda v: v >= 1.0 - 1e-9, latency="slouch_latency",
               strict="slouch_recall_strict")
FALSE_SLOUCH = Target("false_slouch", "false slouch < 3% of upright time", "slouch_false",
                      lambda v: v < 0.03, seconds="slouch_false_s",
                      strict="slouch_false_strict")
LOPSIDED = Target("lopsided", ">= 95% of lopsided segments flagged", "lopsided_recall",
                  lambda v: v >= 0.95, latency="lopsided_latency")
FALSE_LOPSIDED = Target("false_lopsided", "false lopsided < 3% of upright time",
                        "lopsided_false", lambda v: v < 0.03, seconds="lopsided_false_s")
WEBCAM = Target("webcam", "webcam upright vs head down >= 97%, incl. another distance",
                "webcam", lambda v: v >= 0.97)
WHEELCHAIR = Target("wheelchair", "wheelchair lateral state agrees with the joystick >= 90% "
                    "(its own target, not issue #10's)", "wheelchair", lambda v: v >= 0.90)
SCORE_TARGETS = (OCCUPANCY, SLUMP, FALSE_SLOUCH, LOPSIDED, FALSE_LOPSIDED)
ORDER = (*SCORE_TARGETS, WEBCAM, WHEELCHAIR)
POPULATION_SHARE = 0.95  # of the simulated sitters, for the population to meet a target

HEADER = ["target", "held-out rows", "ours", "met", "naive stand-in", "met"]


def pct(v: float) -> str:
    return f"{100 * v:.1f}%"


def met(ok: bool | None) -> str:
    return "n/a" if ok is None else "yes" if ok else "no"


def _cell(t: Target, name: str, s: Scores) -> tuple[str, bool | None]:
    v = getattr(s, t.field)
    if v is None:
        return f"{name} -", None
    notes = []
    if t.latency is not None and getattr(s, t.latency) is not None:
        notes.append(f"{getattr(s, t.latency):.0f} s")
    elif t.seconds is not None and getattr(s, t.seconds) is not None:
        notes.append(f"{getattr(s, t.seconds):.0f} s")
    strict = getattr(s, t.strict) if t.strict is not None else None
    if strict is not None and abs(strict - v) > 1e-9:
        notes.append(f"read as slouched: {pct(strict)}")
    extra = f" ({'; '.join(notes)})" if notes else ""
    return f"{name} {pct(v)}{extra}", bool(t.ok(v))


def _all(oks: Sequence[bool | None]) -> bool | None:
    known = [x for x in oks if x is not None]
    return all(known) if known else None


@dataclass
class Summary:
    """The rows of the held-out summary, in the order the sections add them."""

    rows: list[tuple[Target, list[str]]] = field(default_factory=list)

    def add(self, t: Target, what: str, ours: str, ours_met: bool | None,
            naive: str = "-", naive_met: bool | None = None) -> None:
        self.rows.append((t, [t.text, what, ours, met(ours_met), naive, met(naive_met)]))

    def scores(self, what: str, folds: Sequence[tuple[str, Scores]],
               naive: Sequence[tuple[str, Scores]] = (),
               targets: Sequence[Target] = SCORE_TARGETS) -> None:
        """One row per target for a dataset's held-out folds (fold name, scores): the figure
        of every fold, met when every fold meets it; the same for the naive rule's folds."""
        for t in targets:
            ours = [_cell(t, n, s) for n, s in folds]
            if all(ok is None for _, ok in ours):
                continue
            nv = [_cell(t, n, s) for n, s in naive]
            self.add(t, what, "; ".join(c for c, _ in ours), _all([ok for _, ok in ours]),
                     "; ".join(c for c, _ in nv) or "-",
                     _all([ok for _, ok in nv]) if nv else None)

    def table(self, markdown: bool = False) -> tuple[list[str], list[list[str]]]:
        """Header and rows, grouped by target in :data:`ORDER` (a target not met in bold, in
        markdown)."""
        order = {t.key: i for i, t in enumerate(ORDER)}
        rows = sorted(self.rows, key=lambda r: order.get(r[0].key, len(order)))

        def bold(cells: list[str]) -> list[str]:
            return [f"**{c}**" if markdown and i in (3, 5) and c == "no" else c
                    for i, c in enumerate(cells)]

        return HEADER, [bold(r) for _, r in rows]
