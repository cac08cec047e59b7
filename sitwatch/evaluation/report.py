"""``sitwatch eval``'s report: every labelled dataset found in shared/datasets, as tables.

Each dataset present gets its section (plain text, or markdown for docs/accuracy.md, whose
tables from "smartchair-ml" on are this output). The figures come from the modules beside this
one: :mod:`~sitwatch.evaluation.scoring` and :mod:`~sitwatch.evaluation.tuning` (defaults and
held-out thresholds), :mod:`~sitwatch.evaluation.robustness` (seat-only devices, margins,
changed recordings), :mod:`~sitwatch.evaluation.ethz`, :mod:`~sitwatch.evaluation.technion`,
:mod:`~sitwatch.evaluation.fsr` and :mod:`~sitwatch.evaluation.camera`. ``progress`` hears of
each step before it starts, since the whole run takes minutes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from sitwatch.evaluation import datasets
from sitwatch.evaluation.camera import report_lines  # numpy only: no OpenCV or MediaPipe
from sitwatch.evaluation.ethz import EthzRow, ethz_rows
from sitwatch.evaluation.fsr import fsr_table
from sitwatch.evaluation.robustness import STRONGER, margins, robustness, seat_only_table
from sitwatch.evaluation.scoring import Progress, Rows, Scores, quiet
from sitwatch.evaluation.technion import technion_row
from sitwatch.evaluation.tuning import smartchair_table
from sitwatch.reports.tables import render

Table = Callable[[list[str], Iterable[list[str]]], None]


def _pct(v: float | None) -> str:
    return "  -  " if v is None else f"{100 * v:5.1f}%"


def _share(v: float | None) -> str:
    return "never (fails as recorded)" if v is None else f"{100 * v:.0f}%"


def _sec(v: float | None) -> str:
    return "  - " if v is None else f"{v:4.0f}s"


SCORE_HEADER = [
    "person",
    "thresholds, calibration",
    "occupancy",
    "slouch found",
    "latency",
    "false slouch",
    "lopsided found",
    "latency",
    "false lopsided",
    "forward found",
    "latency",
    "false forward",
]


def _seat_cells(p: str, k: str, s: Scores) -> list[str]:
    """The cells every score row starts with: who, which setting, occupancy, slouch, lopsided."""
    return [p, k, _pct(s.occupancy), _pct(s.slouch_recall), _sec(s.slouch_latency),
            _pct(s.slouch_false), _pct(s.lopsided_recall), _sec(s.lopsided_latency),
            _pct(s.lopsided_false)]


def score_table(
    table: Table, rows: Rows, second: str = SCORE_HEADER[1]
) -> None:
    table(
        [SCORE_HEADER[0], second, *SCORE_HEADER[2:]],
        [
            [*_seat_cells(p, k, s), _pct(s.forward_recall), _sec(s.forward_latency),
             _pct(s.forward_false)]
            for p, k, s in rows
        ],
    )


def _smartchair(
    out: list[str], table: Table, sc_dir: Path, h: str, lopo: bool, progress: Progress
) -> None:
    people = [datasets.smartchair(f) for f in sorted(sc_dir.glob("scripted_*.csv"))]
    out.append(f"{h}smartchair-ml (12 force sensors, 2 people, 2 Hz)")
    out.append("")
    score_table(table, smartchair_table(people, lopo, progress))
    out.append(
        "Seat only, as a cushion without backrest sensors would have recorded the same "
        "sessions (the backrest channels dropped, or the seat summed into four corner "
        "load cells):"
    )
    out.append("")
    score_table(table, seat_only_table(people, progress), "seat-only device, calibration")
    out.append(
        "Margins of the shipped defaults: the slumps, lopsided and forward postures made "
        "milder (a share of each frame's distance from upright), and the upright and reclined "
        f"postures exaggerated {STRONGER:g}x:"
    )
    out.append("")
    table(
        [
            "person",
            "slumps still all found down to",
            "lopsided still all flagged down to",
            "forward leans still all flagged down to",
            f"false slouch, calm postures x{STRONGER:g}",
            f"false lopsided, upright x{STRONGER:g}",
            f"false forward, upright x{STRONGER:g}",
        ],
        [
            [
                m.person,
                _share(m.slouch_down_to),
                _share(m.lopsided_down_to),
                _share(m.forward_down_to),
                _pct(m.false_slouch_stronger),
                _pct(m.false_lopsided_stronger),
                _pct(m.false_forward_stronger),
            ]
            for m in margins(people, progress)
        ],
    )
    out.append(
        "Robustness: the same sessions as a different device or a failing sensor would "
        "have sent them (defaults, profile calibration):"
    )
    out.append("")
    score_table(table, robustness(people, progress), "sent as")


def _ethz(out: list[str], table: Table, ethz_dir: Path, h: str, progress: Progress) -> None:
    out.append(f"{h}ethz-wheelchair (24 cells, 6 people, 10 Hz; steering leans)")
    out.append("")
    er = ethz_rows(ethz_dir, progress)
    table(
        [
            "file",
            "seconds with joystick past ±0.5",
            "state agrees (layout defaults)",
            "shift sign agrees",
            "state agrees (lopo)",
            "lopo threshold/dwell",
        ],
        [
            [
                r.file,
                str(r.seconds),
                _pct(r.state_agrees),
                _pct(r.sign_agrees),
                _pct(r.lopo_agrees),
                r.lopo_choice,
            ]
            for r in er
        ],
    )

    def figure(r: EthzRow, k: str) -> float:
        return float(getattr(r, k))

    keys = ("state_agrees", "sign_agrees", "lopo_agrees")
    med = {k: _pct(float(np.median([figure(r, k) for r in er]))) for k in keys}
    secs = np.array([r.seconds for r in er], dtype=float)
    pooled = {k: _pct(float(np.dot([figure(r, k) for r in er], secs) / secs.sum())) for k in keys}
    out.append(
        f"median: state agrees {med['state_agrees']} with the layout's defaults, "
        f"{med['lopo_agrees']} held out (lopo); shift sign agrees {med['sign_agrees']}"
    )
    out.append("")
    out.append(
        f"all those seconds pooled: state agrees {pooled['state_agrees']} with the layout's "
        f"defaults, {pooled['lopo_agrees']} held out (lopo); shift sign agrees "
        f"{pooled['sign_agrees']}"
    )
    out.append("")


def _technion(out: list[str], table: Table, path: Path, h: str) -> None:
    r = technion_row(path)
    out.append(
        f"{h}technion-smart-chair (5 sensors, 1 person, {r.sessions} sessions; "
        "calibrated on each session's baseline)"
    )
    out.append("")
    table(
        ["reclined found", "forward found", "leg lifted -> lopsided", "false lopsided"],
        [
            [
                _pct(r.reclined_found),
                _pct(r.forward_found),
                _pct(r.leg_lift_lopsided),
                _pct(r.false_lopsided),
            ]
        ],
    )


FSR_HEADER = [
    "session",
    "thresholds, calibration, rate",
    "occupancy",
    "slouch (half lying) found",
    "latency",
    "false slouch",
    "lopsided flagged",
    "latency",
    "false lopsided",
    "perch read as slouched",
    "perch read as leaning forward",
]


def _fsr(
    out: list[str], table: Table, folder: Path, h: str, lopo: bool, progress: Progress
) -> None:
    out.append(
        f"{h}fsr-cushion-9 (9 force-sensing resistors, seat only, 1 person, 2 sessions; "
        "readings fall with the load; rate unknown, taken as 10 Hz)"
    )
    out.append("")
    rows = fsr_table(folder, lopo, progress)
    table(
        FSR_HEADER,
        [
            [*_seat_cells(p, k, s), _pct(s.perch_slouched), _pct(s.perch_forward)]
            for p, k, s in rows
        ],
    )


def _not_right(
    out: list[str], table: Table, sc_dir: Path, fsr_dir: Path, h: str, lopo: bool,
    progress: Progress,
) -> None:
    """Learning from "Not right" (sitwatch.evaluation.feedback): false alarms answered by a
    simulated sitter, before and after."""
    from sitwatch.evaluation.feedback import HEADER, MAX_EVENTS, eval_rows, table_rows
    from sitwatch.evaluation.fsr import fsr_files

    progress('"Not right" replays')
    people = [datasets.smartchair(f) for f in sorted(sc_dir.glob("scripted_*.csv"))] \
        if sc_dir.is_dir() else []
    fsr = [datasets.fsr_cushion(f) for f in fsr_files(fsr_dir)] if fsr_dir.is_dir() else []
    out.append(f'{h}"Not right" replays (a sitter who answers false alarms)')
    out.append("")
    out.append(
        "A simulated sitter answers \"Not right\" to each false posture nudge (one that "
        "goes out while the labels say upright, or perched, or reclined for a slump), "
        f"replaying the recording day after day while they come, at most {MAX_EVENTS} "
        "answers; the thresholds move as the daemon moves them. Then the recording (or the "
        "sitter's other session) is replayed with what was learned. The \"at the cap\" "
        "rows ease a kind as far as feedback goes, false alarm or not. Before -> after:"
    )
    out.append("")
    table(HEADER, table_rows(eval_rows(people, fsr, lopo=lopo)))


def report(
    shared: Path, *, markdown: bool = False, lopo: bool = True, progress: Progress = quiet
) -> str:
    """The whole report for the datasets under ``shared/datasets`` (``lopo``: with the
    leave-one-person-out search, the slow part)."""
    ds = shared / "datasets"
    out: list[str] = []
    h = "## " if markdown else ""

    def table(header: list[str], rows: Iterable[list[str]]) -> None:
        out.extend(render(header, rows, markdown=markdown))
        out.append("")

    sc_dir = ds / "smartchair-ml"
    if sc_dir.is_dir():
        _smartchair(out, table, sc_dir, h, lopo, progress)
    ethz_dir = ds / "ethz-wheelchair"
    if ethz_dir.is_dir():
        _ethz(out, table, ethz_dir, h, progress)
    tf = ds / "technion-smart-chair" / "sensor_samples.csv"
    if tf.is_file():
        progress("technion-smart-chair")
        _technion(out, table, tf, h)
    fsr_dir = ds / "fsr-cushion-9"
    if fsr_dir.is_dir():
        _fsr(out, table, fsr_dir, h, lopo, progress)
    if sc_dir.is_dir() or fsr_dir.is_dir():
        _not_right(out, table, sc_dir, fsr_dir, h, lopo, progress)
    cam = ds / "webcam-landmarks"
    if cam.is_dir():
        progress("webcam-landmarks")
        out.append(f"{h}webcam-landmarks (MediaPipe landmarks, runs split by label)")
        out.append("")
        out.extend(report_lines(cam, markdown=markdown))
        out.append("")
    if not out:
        out.append(f"no datasets found under {ds}")
    return "\n".join(out)


def default_shared() -> Path:
    """$SITWATCH_SHARED, else a ``shared`` folder with datasets beside the project or above the
    working directory."""
    env = os.environ.get("SITWATCH_SHARED")
    if env:
        return Path(env)
    here = Path.cwd()
    for p in (here, *here.parents):
        if (p / "shared" / "datasets").is_dir():
            return p / "shared"
        if (p.parent / "shared" / "datasets").is_dir() and (p / "sitwatch").is_dir():
            return p.parent / "shared"
    return Path(__file__).resolve().parents[3] / "shared"
