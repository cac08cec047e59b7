"""``sitwatch eval``'s report: every labelled dataset found in shared/datasets, as tables.

Each dataset present gets its section (plain text, or markdown for docs/accuracy.md, whose
tables from "Held-out summary" on are this output), then the simulated population. The figures
come from the modules beside this one: :mod:`~sitwatch.evaluation.scoring` and
:mod:`~sitwatch.evaluation.tuning` (defaults and held-out thresholds),
:mod:`~sitwatch.evaluation.naive` (the stand-in beside them),
:mod:`~sitwatch.evaluation.robustness` (seat-only devices, margins, changed recordings),
:mod:`~sitwatch.evaluation.ethz`, :mod:`~sitwatch.evaluation.technion`,
:mod:`~sitwatch.evaluation.fsr`, :mod:`~sitwatch.evaluation.camera` and
:mod:`~sitwatch.evaluation.population`. Each section hands its held-out figures to a
:class:`~sitwatch.evaluation.summary.Summary`, printed first. ``progress`` hears of each step
before it starts, since the whole run takes minutes.

A new section is a function ``_name(out, table, ..., summary)`` called from :func:`report` in
its turn; it appends its lines to ``out`` and, if it has held-out rows, adds them to
``summary``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from sitwatch.evaluation import camera, datasets, population, reorder, stillness
from sitwatch.evaluation.camera import report_lines  # numpy only: no OpenCV or MediaPipe
from sitwatch.evaluation.ethz import EthzRow, ethz_rows
from sitwatch.evaluation.fsr import fsr_table
from sitwatch.evaluation.robustness import STRONGER, margins, robustness, seat_only_table
from sitwatch.evaluation.scoring import RELEASE_S, Progress, Rows, Scores, quiet
from sitwatch.evaluation.summary import FALSE_LOPSIDED, LOPSIDED, WEBCAM, WHEELCHAIR, Summary
from sitwatch.evaluation.technion import technion_rows
from sitwatch.evaluation.tuning import HELD_OUT, NAIVE, other_chair_table, smartchair_table
from sitwatch.evaluation.variants import SEAT_ONLY, away_sitter, seat_only
from sitwatch.reports.tables import render
from sitwatch.reports.words import plural

Table = Callable[[list[str], Iterable[list[str]]], None]


def _pct(v: float | None) -> str:
    return "  -  " if v is None else f"{100 * v:5.1f}%"


def _share(v: float | None) -> str:
    return "never (fails as recorded)" if v is None else f"{100 * v:.0f}%"


def _sec(v: float | None) -> str:
    return "  - " if v is None else f"{v:4.0f}s"


#: The slump cells of every score row (see :mod:`~sitwatch.evaluation.scoring`): a slump is
#: found by a "sit back" state (on a seat alone, "weight forward" too), and the strict figures
#: count ``slouched`` alone; "cleared after": how long the state outlasts a found slump.
SLUMP_HEADER = [
    "slump found (sit-back nudge)",
    "latency",
    "read as slouched (strict)",
    "false sit-back",
    "false slouched (strict)",
    "cleared after",
]

SCORE_HEADER = [
    "person",
    "thresholds, calibration",
    "occupancy",
    *SLUMP_HEADER,
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
            _pct(s.slouch_recall_strict), _pct(s.slouch_false), _pct(s.slouch_false_strict),
            _sec(s.slouch_release), _pct(s.lopsided_recall), _sec(s.lopsided_latency),
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


def held_out(rows: Rows, contains: str = "") -> list[tuple[str, Scores]]:
    """The held-out rows (lopo/loso) of a table, as (fold, scores); ``contains``: only rows
    whose setting names it (a device)."""
    return [(p, s) for p, k, s in held_out_rows(rows, contains)]


def held_out_rows(rows: Rows, contains: str = "") -> Rows:
    """The held-out rows (lopo/loso) of a table with their settings; ``contains`` as
    :func:`held_out`."""
    return [(p, k, s) for p, k, s in rows if k.startswith(HELD_OUT) and contains in k]


def _fsr_folds(rows: Rows) -> list[tuple[str, Scores]]:
    """fsr-cushion-9's held-out rows, two per session (the thresholds and the half-lying cues
    each taken from the other session), named so that the summary tells them apart."""
    return [(f"{p} ({'cues' if 'half-lying' in k else 'thresholds'})", s) for p, k, s in rows]


def naive_rows(rows: Rows, contains: str = "") -> list[tuple[str, Scores]]:
    """The naive stand-in's rows of a table, as (fold, scores)."""
    return [(p, s) for p, k, s in rows if NAIVE in k and contains in k]


def _smartchair(
    out: list[str], table: Table, found: datasets.Found, h: str, lopo: bool,
    progress: Progress, summary: Summary,
) -> None:
    people = [datasets.smartchair(f) for f in found.scripted]
    who = ("no scripted people" if not people else "1 person" if len(people) == 1
           else f"{len(people)} people")
    out.append(f"{h}smartchair-ml (12 force sensors, {who}, 2 Hz)")
    out.append("")
    if people:
        rows = smartchair_table(people, lopo, progress)
        score_table(table, rows)
        summary.scores("smartchair-ml, 12 sensors (lopo: each person on thresholds from the "
                       "other)", held_out(rows), naive_rows(rows))
    _chair_other(out, table, found, people, lopo, progress, summary)
    if not people:
        return
    out.append(
        "Seat only, as a cushion without backrest sensors would have recorded the same "
        "sessions (the backrest channels dropped, or the seat carried by four corner "
        "load cells under a plate):"
    )
    out.append("")
    rows = seat_only_table(people, progress, lopo)
    score_table(table, rows, "seat-only device, calibration")
    for title in SEAT_ONLY.values():
        summary.scores(f"smartchair-ml as {title} (lopo)", held_out(rows, title),
                       naive_rows(rows, title))
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


def _chair_other(
    out: list[str], table: Table, found: datasets.Found, people: list[datasets.Labelled],
    lopo: bool, progress: Progress, summary: Summary,
) -> None:
    """The chair's other recordings (free use, more people), each as rows of its own."""
    if not found.chair_other:
        return
    others = [datasets.smartchair(f, f"smartchair-ml/{f.stem}") for f in found.chair_other]
    out.append(
        "Other recordings of the same chair (every other CSV in the folder with its columns; "
        "the person is the file name after its last \"_\"). Calibrated on the recording's "
        "first upright minute as the scripted people are (\"auto\" alone when none is "
        "labelled); the lopo thresholds are picked on the scripted people who are not the "
        "recording's person:"
    )
    out.append("")
    rows = other_chair_table(others, people, lopo, progress)
    score_table(table, [(f"{d.person} ({d.name.split('/')[-1]})", k, sc) for d, k, sc in rows])
    summary.scores("smartchair-ml, other recordings (lopo: on thresholds from the scripted "
                   "people who are not the recording's)",
                   [(d.name, sc) for d, k, sc in rows if k.startswith(HELD_OUT)],
                   [(d.name, sc) for d, k, sc in rows if NAIVE in k])


def _ethz(out: list[str], table: Table, ethz_dir: Path, h: str, progress: Progress,
          summary: Summary) -> None:
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
            "latency (lopo)",
            "lopsided with the joystick centred (lopo)",
        ],
        [
            [
                r.file,
                str(r.seconds),
                _pct(r.state_agrees),
                _pct(r.sign_agrees),
                _pct(r.lopo_agrees),
                r.lopo_choice,
                _sec(r.latency),
                f"{_pct(r.false_lopsided)} ({r.false_seconds:.0f}s)",
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
    people = sorted({r.person for r in er})
    per = {p: [r for r in er if r.person == p] for p in people}
    agree = {p: float(np.dot([r.lopo_agrees for r in rs], [r.seconds for r in rs])
                      / max(1, sum(r.seconds for r in rs))) for p, rs in per.items()}
    summary.add(WHEELCHAIR, "ethz-wheelchair (lopo: each person on thresholds from the others; "
                "their seconds pooled)",
                "; ".join(f"{p} {_pct(v).strip()}" for p, v in agree.items()),
                all(v >= 0.9 for v in agree.values()))


def _technion(out: list[str], table: Table, path: Path, h: str, summary: Summary) -> None:
    rows = technion_rows(path)
    out.append(
        f"{h}technion-smart-chair (5 sensors, 1 person, {rows[0].sessions} sessions; "
        "calibrated on each session's baseline)"
    )
    out.append("")
    table(
        ["thresholds", "reclined found", "forward found", "leg lifted -> lopsided",
         "false lopsided (calm or forward)", "latency"],
        [
            [
                r.what,
                _pct(r.reclined_found),
                _pct(r.forward_found),
                _pct(r.leg_lift_lopsided),
                _pct(r.false_lopsided),
                "n/a (one averaged frame per posture)",
            ]
            for r in rows
        ],
    )
    ho = rows[-1]
    what = f"technion-smart-chair ({ho.what}: each session on the other 24)"
    summary.add(LOPSIDED, what, f"leg lifted {_pct(ho.leg_lift_lopsided).strip()}",
                ho.leg_lift_lopsided >= 0.95)
    summary.add(FALSE_LOPSIDED, what, _pct(ho.false_lopsided).strip(), ho.false_lopsided < 0.03)


FSR_HEADER = [
    "session",
    "thresholds, calibration, rate",
    "occupancy",
    *(h.replace("slump", "slump (half lying)") for h in SLUMP_HEADER),
    "lopsided flagged",
    "latency",
    "false lopsided",
    "perch read as slouched",
    "perch read as leaning forward",
    "perch nudged to sit back",
]


def _fsr(
    out: list[str], table: Table, files: list[Path], h: str, lopo: bool, progress: Progress,
    summary: Summary,
) -> None:
    out.append(
        f"{h}fsr-cushion-9 (9 force-sensing resistors, seat only, 1 person, "
        f"{plural(len(files), 'session')}; readings fall with the load; rate unknown, taken as "
        "10 Hz)"
    )
    out.append("")
    rows = fsr_table(files, lopo, progress)
    table(
        FSR_HEADER,
        [
            [*_seat_cells(p, k, s), _pct(s.perch_slouched), _pct(s.perch_forward),
             _pct(s.perch_sit_back)]
            for p, k, s in rows
        ],
    )
    hz = f"{datasets.FSR9_HZ:g} Hz"
    summary.scores(
        f"fsr-cushion-9 (loso: each session on thresholds, and on half-lying cues, from the "
        f"other; {hz})", _fsr_folds(held_out_rows(rows, hz)), naive_rows(rows, hz))


def _free_use_recordings(
    found: datasets.Found, held_out_class: str,
) -> list[tuple[str, str, datasets.Labelled]]:
    """What free use and the working days replay: (recording, device, the recording). Each
    smartchair session as recorded, as issue #10's held-out class (``held_out_class``: how the
    table names it) and through the seat alone; each fsr-cushion-9 session."""
    recs: list[tuple[str, str, datasets.Labelled]] = []
    if found.scripted:
        people = [datasets.smartchair(f) for f in found.scripted]
        recs += [(d.name, "12 sensors", d) for d in people]
        recs += [(d.name, held_out_class, away_sitter(d)) for d in people]
        recs += [(d.name, title, seat_only(d, kind)) for d in people
                 for kind, title in SEAT_ONLY.items()]
    recs += [(d.name, f"9 FSRs, {datasets.FSR9_HZ:g} Hz", d) for d in
             (datasets.fsr_cushion(f) for f in found.fsr)]
    return recs


def _free_use(out: list[str], table: Table, files: datasets.Found, h: str, orders: int,
              progress: Progress) -> None:
    recs = _free_use_recordings(
        files, "12 sensors; issue #10's held-out class: a light, wandering backrest "
        "and upright clear of it 0.26 off")
    if not recs:
        return
    out.append(f"{h}Free use from the scripted sessions ({orders} orders each; dev data)")
    out.append("")
    out.append(
        f"Each recording cut into pieces of {reorder.SHORTEST:g}-{reorder.LONGEST:g} s, the "
        "pieces played in random orders after the person's first upright minute (their "
        "calibration), with the shipped defaults and the naive stand-in (ours / naive). Pieces "
        "found out of all pieces; false alarms: the mean over the orders and the worst order. "
        "The readings are the recorded ones: these rows test what the detectors carry from one "
        "posture to the next, not how they meet a new person."
    )
    out.append("")

    def found(p: tuple[int, int]) -> str:
        return "  -  " if p[1] == 0 else f"{p[0]}/{p[1]} ({100 * p[0] / p[1]:.0f}%)"

    rows = []
    pooled = reorder.free_use([r for _, _, r in recs], orders, progress)
    for (name, device, _), (_, ours, naive) in zip(recs, pooled, strict=True):
        rows.append([
            name, device, _pct(ours.occupancy_worst),
            f"{found(ours.slumps)} / {found(naive.slumps)}", _sec(ours.slump_latency),
            f"{_pct(ours.false_slouch)} ({_pct(ours.false_slouch_worst).strip()})",
            f"{found(ours.lopsided)} / {found(naive.lopsided)}",
            f"{_pct(ours.false_lopsided)} ({_pct(ours.false_lopsided_worst).strip()}) / "
            f"{_pct(naive.false_lopsided).strip()}",
            found(ours.forward), _pct(ours.false_forward),
        ])
    table(
        ["recording", "device", "occupancy, worst order", "slumps found in 30 s (ours / naive)",
         "latency", "false sit-back (worst order)", "lopsided flagged (ours / naive)",
         "false lopsided (worst order) / naive", "forward leans flagged", "false forward"],
        rows,
    )


def _working_days(out: list[str], table: Table, files: datasets.Found, h: str, days: int,
                  progress: Progress) -> None:
    recs = _free_use_recordings(files, "issue #10's held-out class")
    if not recs:
        return
    later = "day 2" if days == 2 else f"days 2-{days}"
    out.append(f"{h}A working day of free use ({days} days of {reorder.DAY} orders each; "
               "dev data)")
    out.append("")
    out.append(
        f"{reorder.DAY} orders of free use played back to back (about 5 hours of sitting), one "
        "calibration on the first upright minute, and the day scored like a recording; the "
        "days start at orders 0, 4, 8 and so on. An hour of free use cannot show what the "
        "hours teach the baseline (an upright clear of the backrest learned in the first hour "
        "is what every later hour is measured from; on a seat alone, where the slow drift of "
        "the fore-aft baseline has taken it); these rows can. False lopsided: the "
        "share of the day's upright time, the mean over the days (the worst day), and the "
        "worst single hour after the first two, on the frames the day's score counts (not "
        f"the calibration minute or the {RELEASE_S:g} s after a slump or a lean). The last "
        f"columns play the same days as {days} weeks, each day first in one of them and the "
        f"others following in turn: {later} of each week on their own (alone) and each "
        "starting from the ways of sitting upright clear of the backrest the days before "
        "taught (kept: what the daemon saves in the profile, so a restart or the next morning "
        "starts from it), pooled over the weeks, with the worst hour of those days (first "
        "hours included) and, for the pieces flagged, the week where keeping cost most. The "
        "two columns after them keep the ways too, with a sitter who answers the notice of "
        "each way learned truthfully: \"Not right\" when it comes while their label is not "
        "upright, and the way is forgotten and never learned again (only a chair with "
        "backrest sensors learns such ways)."
    )
    out.append("")

    def hits(ds: list[reorder.Day], recall: str, count: str) -> tuple[int, int]:
        n = sum(d.scores.counts.get(count, 0) for d in ds)
        hit = sum(round((getattr(d.scores, recall) or 0.0) * d.scores.counts.get(count, 0))
                  for d in ds)
        return hit, n

    def found(ds: list[reorder.Day], recall: str, count: str) -> str:
        hit, n = hits(ds, recall, count)
        return "  -  " if not n else f"{hit}/{n}"

    def day_share(ds: list[reorder.Day]) -> str:
        fl = [d.scores.lopsided_false for d in ds if d.scores.lopsided_false is not None]
        return (f"{_pct(float(np.mean(fl)) if fl else None).strip()} "
                f"({_pct(max(fl) if fl else None).strip()})")

    def worst(ds: list[reorder.Day]) -> str:
        got = [d.worst for d in ds if d.worst is not None]
        return _pct(max(got) if got else None).strip()

    def pieces(got: reorder.Days, recall: str, count: str, answered: bool = False) -> str:
        """Pooled over the weeks' later days, alone -> kept (``answered``: kept -> kept with
        the notices answered); and the week where it cost most (or gained least)."""
        base = [(st, got.alone(st[1:])) for st, _ in got.weeks] if not answered else [
            (st, wk[1:]) for st, wk in got.weeks]
        new = got.answered if answered else got.weeks
        pairs = [(hits(a, recall, count), hits(wk[1:], recall, count))
                 for (_, a), (_, wk) in zip(base, new, strict=True)]
        n = sum(a[1] for a, _ in pairs)
        if not n:
            return "  -  "
        a, b = sum(x[0][0] for x in pairs), sum(x[1][0] for x in pairs)
        wa, wb = min(pairs, key=lambda p: p[1][0] - p[0][0])
        return f"{a}/{n} -> {b}/{n}; worst week {wa[0]} -> {wb[0]}/{wa[1]}"

    def asked(got: reorder.Days) -> bool:
        """The weeks were played with the notices answered (a chair with backrest sensors;
        a seat alone learns no way of sitting clear of the backrest)."""
        return any(w is not a for (_, w), (_, a) in zip(got.weeks, got.answered, strict=True))

    rows = []
    for (name, device, _), got in zip(recs, reorder.working_days(
            [r for _, _, r in recs], days, progress), strict=True):
        ds = list(got.fresh.values())
        late = [d.late for d in ds if d.late is not None]
        fs = [d.scores.slouch_false for d in ds if d.scores.slouch_false is not None]
        a = [d for st, _ in got.weeks for d in got.alone(st[1:])]  # the later days: alone
        b = [d for _, wk in got.weeks for d in wk[1:]]  # ... and kept
        c = [d for _, wk in got.answered for d in wk[1:]]  # ... with the notices answered
        rows.append([
            name, device, day_share(ds),
            _pct(max(late) if late else None),
            found(ds, "lopsided_recall", "lopsided_segments"),
            found(ds, "slouch_recall", "slouch_segments"),
            _pct(float(np.mean(fs)) if fs else None),
            f"{day_share(a)} -> {day_share(b)}", f"{worst(a)} -> {worst(b)}",
            pieces(got, "lopsided_recall", "lopsided_segments"),
            pieces(got, "forward_recall", "forward_segments"),
            f"{found(a, 'slouch_recall', 'slouch_segments')} -> "
            f"{found(b, 'slouch_recall', 'slouch_segments')}",
            f"{day_share(c)}; worst hour {worst(c)}" if asked(got) else "  -  ",
            pieces(got, "forward_recall", "forward_segments", answered=True)
            if asked(got) else "  -  ",
        ])
    table(["recording", "device", "false lopsided, day (worst day)",
           "worst hour after the first two", "lopsided pieces flagged", "slumps found in 30 s",
           "false sit-back", f"{later} of each week, alone -> kept: false lopsided (worst day)",
           "worst hour", "lopsided pieces flagged", "forward-lean pieces flagged",
           "slumps found in 30 s",
           "kept, every notice of a way learned answered: false lopsided (worst day)",
           "forward-lean pieces flagged, kept -> answered"], rows)


def _webcam(out: list[str], table: Table, path: Path, h: str, markdown: bool,
            summary: Summary) -> None:
    dev = path.name == camera.DATASET_FILE
    out.append(f"{h}webcam-landmarks" + ("" if dev else f": {path.name}")
               + " (MediaPipe landmarks, runs split by label)")
    out.append("")
    splits = camera.held_out_splits(path)
    sessions = ("sessions: runs 1-6 and 7-16" if dev else
                "sessions: not known for this file, so its runs count as one session")
    if splits:
        out.append(
            "Held out: the baseline from one upright run, scored only on runs of another "
            "session or of its own session's other runs ("
            f"{sessions}; "
            "\"another distance\": every scored run looks more than "
            f"{100 * camera.OTHER_DISTANCE:.0f}% larger or smaller than the calibration run). "
            "Latency runs from the start of a head-down run with the detector reset; false "
            "alarm time is settled upright time in any state but upright."
        )
        out.append("")
        table(camera.HELD_OUT_HEAD, camera.held_out_table(splits))
    else:
        out.append("No held-out split: the file has no other upright or head-down run to "
                   "score on besides its upright calibration run(s), so only the figures "
                   "below (the default protocol: baseline from the first upright run) are "
                   "given.")
        out.append("")
    far = [x for x in splits if x.other_distance and x.figures["n_upright"]]
    if far:
        def cell(key: str, dwell: bool) -> str:
            return "; ".join(
                f"{x.short} {100 * x.figures[key]:.1f}%"
                + (f" ({100 * x.figures['detector_headdown_balanced_accuracy']:.1f}% after "
                   "the dwell)" if dwell else "") for x in far)

        what = ("webcam-landmarks (baseline from one session's upright run, scored per sample "
                "on the other session, at another distance)" if dev else
                f"webcam-landmarks/{path.name} (baseline from one upright run, scored per "
                "sample on the file's other runs at another distance; sessions not known)")
        summary.add(WEBCAM, what, cell("headdown_balanced_accuracy", True),
                    all(x.figures["headdown_balanced_accuracy"] >= 0.97 for x in far),
                    cell("naive_headdown_balanced_accuracy", False),
                    all(x.figures["naive_headdown_balanced_accuracy"] >= 0.97 for x in far))
    out.extend(report_lines(path.parent, markdown=markdown, file=path.name))
    out.append("")


def _population(out: list[str], table: Table, h: str, sitters: int, progress: Progress,
                summary: Summary, seed: int) -> None:
    results = population.run(sitters, seed, progress=progress)
    which = ("held out: drawn after the detectors were built" if seed == population.HELD_OUT_SEED
             else "the one developed on" if seed == population.SEED else "your own")
    out.append(f"{h}Simulated population ({sitters} sitters, seed {seed}, {which}; "
               "not real people)")
    out.append("")
    out.append(
        "Simulated sitters of 45-130 kg and different sizes and habits on every shipped kind "
        "of device, with gain mismatch, noise, drift, a stuck channel or an inverted reading "
        "(see \"How to read it\"); shipped defaults, calibrated on each sitter's first upright "
        "minute, scored like the recordings. Each cell: the share of sitters meeting the "
        "target."
    )
    out.append("")
    table(population.TABLE_HEAD, population.layout_rows(results))
    out.append("The worst 5% of sitters, figure by figure (the 5th percentile of what is "
               "found, the 95th of false-alarm time):")
    out.append("")
    table(population.WORST_HEAD, population.worst_rows(results))
    out.append("By kind of sitter or device (ours, all devices together):")
    out.append("")
    table(population.CLASS_HEAD, population.class_rows(results))
    out.append("The nudges about how they sit that the daemon's policy sent them (shipped "
               "defaults, nobody answering or snoozing), and the ones the labels call wrong: "
               "sent while the sitter sat upright (or reclined, for a slump's). A sit-back "
               "nudge on a perch is counted apart, as right:")
    out.append("")
    table(population.NUDGE_HEAD, population.nudge_rows(results))
    population.summarise(results, summary, seed)
    n = min(sitters, population.FAILING)
    failed = [population.run(n, seed, progress=progress, fails=kind)
              for kind, _ in population.FAILS]
    out.append(f"A seat pad failing under the sitter at minute 8, the first {n} sitters (the "
               "pad the stuck class uses; for those sitters, in its place). Each cell: the "
               "share of sitters meeting all five targets, ours / the naive rule's:")
    out.append("")
    table(population.FAIL_HEAD, population.fail_rows(results[:n], failed))


def _not_right(
    out: list[str], table: Table, found: datasets.Found, h: str, lopo: bool,
    progress: Progress,
) -> None:
    """Learning from "Not right" (sitwatch.evaluation.feedback): false alarms answered by a
    simulated sitter, before and after."""
    from sitwatch.evaluation.feedback import HEADER, MAX_EVENTS, eval_rows, table_rows

    progress('"Not right" replays')
    people = [datasets.smartchair(f) for f in found.scripted]
    fsr = [datasets.fsr_cushion(f) for f in found.fsr]
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
    shared: Path, *, markdown: bool = False, lopo: bool = True, progress: Progress = quiet,
    sitters: int | None = None, seed: int = population.HELD_OUT_SEED,
    found: datasets.Found | None = None,
) -> str:
    """The whole report for the datasets under ``shared/datasets`` (``lopo``: with the
    leave-one-person-out search, the slow part), then the simulated population (``sitters``;
    by default :data:`~sitwatch.evaluation.population.FULL`, or
    :data:`~sitwatch.evaluation.population.QUICK` without ``lopo``), drawn with ``seed`` (the
    held-out population by default). The held-out summary comes first. ``found``: the files
    to read (:func:`~sitwatch.evaluation.datasets.find`, by default)."""
    ds = shared / "datasets"
    if found is None:
        found = datasets.find(ds)
    out: list[str] = []
    h = "## " if markdown else ""
    summary = Summary()

    def table(header: list[str], rows: Iterable[list[str]]) -> None:
        out.extend(render(header, rows, markdown=markdown))
        out.append("")

    have = datasets.present(ds)
    if found.scripted or found.chair_other:
        _smartchair(out, table, found, h, lopo, progress, summary)
    if have["ethz-wheelchair"]:
        _ethz(out, table, ds / datasets.NAMES["ethz-wheelchair"], h, progress, summary)
    if have["technion-smart-chair"]:
        progress("technion-smart-chair")
        _technion(out, table, ds / datasets.NAMES["technion-smart-chair"], h, summary)
    if found.fsr:
        _fsr(out, table, found.fsr, h, lopo, progress, summary)
    if found.scripted or found.fsr:
        _not_right(out, table, found, h, lopo, progress)
        _free_use(out, table, found, h, reorder.ORDERS if lopo else reorder.QUICK, progress)
        _working_days(out, table, found, h, reorder.DAYS if lopo else reorder.QUICK_DAYS,
                      progress)
    for i, path in enumerate(found.webcam):
        progress("webcam-landmarks" + ("" if i == 0 else f": {path.name}"))
        _webcam(out, table, path, h, markdown, summary)
    if not out:
        out.append(f"no datasets found under {ds}: give --shared FOLDER, the folder that holds "
                   "datasets/ (or set SITWATCH_SHARED)")
        out.append("")
    n = sitters if sitters is not None else population.FULL if lopo else population.QUICK
    stillness.section(out, table, ds, h, progress, seeds=0 if n <= 0 else 2 if lopo else 1)
    if n > 0:
        _population(out, table, h, n, progress, summary, seed)
    head, rows = summary.table(markdown)
    top = [f"{h}Held-out summary", "",
           "Issue #10's targets against the held-out rows only (which rows: the second "
           "column); a dataset meets a target when every held-out person, session or split "
           "does. Beside ours, the naive fixed-threshold stand-in on the same rows."
           + ("" if lopo else " Quick run: no lopo/loso threshold search, so the smartchair "
              "rows and fsr-cushion-9's threshold rows are missing (its half-lying cue rows "
              "are there); run `sitwatch eval` for them."), ""]
    top += render(head, rows, markdown=markdown) if rows else ["(no held-out rows)"]
    return "\n".join([*top, "", *out])


def default_shared() -> Path:
    """$SITWATCH_SHARED, else a ``shared`` folder with datasets in or above the working
    directory, else the one beside a source checkout this sitwatch runs from. An installed
    sitwatch (a wheel) has no checkout around it: then ``shared`` in the working directory,
    a folder the user can make sense of in "no datasets found under ...", where the one
    beside the package would name a folder inside their venv."""
    env = os.environ.get("SITWATCH_SHARED")
    if env:
        return Path(env)
    here = Path.cwd()
    for p in (here, *here.parents):
        if (p / "shared" / "datasets").is_dir():
            return p / "shared"
        if (p.parent / "shared" / "datasets").is_dir() and (p / "sitwatch").is_dir():
            return p.parent / "shared"
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "pyproject.toml").is_file():
        return checkout.parent / "shared"
    return here / "shared"
