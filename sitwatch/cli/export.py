"""``sitwatch export``: the history between two dates as CSV files or one JSON document.

What a person can keep or hand to a physiotherapist: every minute's sitting (seconds seated,
per posture and per side), the events (breaks, postures, nudges ...) and the symptom diary.
The fields are documented in docs/reports.md. The files are written owner-only.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from sitwatch.cli.common import (
    EXIT_CONFIG,
    EXIT_FAIL,
    EXIT_OK,
    config_errors,
    err,
    flag_date,
    input_problem,
    load_config,
    output_problem,
)

SCHEMA = "sitwatch-export/1"


def run(args: argparse.Namespace) -> int:
    from datetime import date

    from sitwatch import config
    from sitwatch.cli.report import _local_zone, render_history, simulator_note
    from sitwatch.core.private import write_private
    from sitwatch.runtime.files import history_path, simulated_history

    try:
        cfg = load_config(args)
    except config.ConfigError as e:
        return config_errors(e)
    try:
        since = flag_date("--since", args.since, "write a date as YYYY-MM-DD, e.g. 2026-11-02")
        until = (flag_date("--until", args.until, "write a date as YYYY-MM-DD, e.g. 2026-11-29")
                 if args.until else date.today())
    except ValueError as e:
        err(str(e))
        return EXIT_CONFIG
    if until < since:
        err(f"--until {until} is before --since {since}: swap them")
        return EXIT_CONFIG
    where = _destination(args, since, until)
    if isinstance(where, str):
        err(where)
        return EXIT_CONFIG
    hp = Path(args.history).expanduser() if args.history else history_path(cfg)
    problem = args.history and input_problem(hp, "--history", "a history file")
    if problem:
        err(problem)
        return EXIT_CONFIG
    if not hp.exists():
        kept = None if args.history else simulated_history(cfg)
        err(f"no history yet ({hp}): it fills while the daemon runs (`sitwatch run`)" if kept
            is None else f"no history yet ({hp}); what sitwatch recorded while it watched the "
            f"simulator is kept apart: add `--history {kept}`")
        return EXIT_FAIL
    tz = _local_zone()
    got: list[dict[str, Table]] = []

    def gather(store: Any) -> int:
        note = None if args.history else simulator_note(cfg, store)
        if note is not None:
            err(note)
        got.append(collect(store, since, until, tz))
        return EXIT_OK

    code = render_history(cfg, hp, gather, "this export")
    if code != EXIT_OK:
        return code
    tables = got[-1]
    try:
        if args.json:
            text = as_json(tables, since, until, tz)
            if where is None:
                sys.stdout.write(text)
                return EXIT_OK
            write_private(where, text)
            print(f"wrote {where}")
            return EXIT_OK
        stem = where or Path(default_name(since, until))
        for name, (columns, rows) in tables.items():
            out = stem.with_name(f"{stem.name}-{name}.csv")
            write_private(out, as_csv(columns, rows))
            print(f"wrote {out} ({len(rows)} row{'s' if len(rows) != 1 else ''})")
    except OSError as e:
        err(f"{getattr(e, 'filename', None) or args.output}: {e.strerror or e}")
        return EXIT_FAIL
    return EXIT_OK


def default_name(since: Any, until: Any) -> str:
    """The files' name without -o (and inside a folder -o names): the CSV files' common stem,
    the JSON file's name without ``.json``."""
    return f"sitwatch-export-{since}-{until}"


def _destination(args: argparse.Namespace, since: Any, until: Any) -> Path | str | None:
    """Where to write: the JSON file, or the CSV files' common stem (``NAME`` for
    ``NAME-minutes.csv`` ...); None for JSON on the terminal. ``-o`` naming a folder writes
    the default-named file(s) inside it. A str: what is wrong with ``-o``."""
    if not args.output:
        return None if args.json else Path(default_name(since, until))
    out = Path(args.output).expanduser()
    if out.is_dir():
        name = default_name(since, until)
        return out / (f"{name}.json" if args.json else name)
    if args.output.endswith(("/", os.sep)):
        return f"-o {args.output}: no such folder: create it first, or name a file"
    problem = output_problem(out, "-o", default_name(since, until))
    if problem:
        return problem
    if not args.json and out.suffix.lower() == ".csv":
        out = out.with_suffix("")
    return out


Table = tuple[list[str], list[list[Any]]]


def collect(store: Any, since: Any, until: Any, tz: Any) -> dict[str, Table]:
    """The three tables, each as (columns, rows): minutes, events, symptoms."""
    import json

    from sitwatch.core.kinds import Posture
    from sitwatch.history.diary import entries_between
    from sitwatch.history.queries import (
        NEEDS_BACKREST,
        day_bounds,
        events_between,
        minutes_between,
    )
    from sitwatch.history.schema import BALANCE_COLUMNS, POSTURE_COLUMNS

    start, _ = day_bounds(since, tz)
    _, end = day_bounds(until, tz)

    def r(x: float | None, n: int = 1) -> float | None:
        return None if x is None else round(x, n)

    m_cols = ["minute", "run", "seconds_watched", "seconds_seated",
              *(f"seconds_{p}" for p in POSTURE_COLUMNS),
              *(f"seconds_weight_{b}" for b in BALANCE_COLUMNS),
              "seat_load_mean", "cop_x_mean", "cop_y_mean", "seconds_sensor_online",
              "seconds_seated_cushion", "seconds_seated_recline_unseen"]

    def posture_seconds(m: Any, p: Posture) -> float | None:
        """The minute's seconds in ``p``; none (not 0) for reclining when nothing that
        watched could see it (no backrest sensor) in any of the minute's sitting."""
        if (p in NEEDS_BACKREST and m.seconds_occupied > 0
                and m.seconds_recline_unseen >= m.seconds_occupied - 0.05):
            return None
        return r(m.posture[p])

    minutes = [[m.minute.astimezone(tz).isoformat(), m.run_id, r(m.seconds_present),
                r(m.seconds_occupied), *(posture_seconds(m, p) for p in POSTURE_COLUMNS),
                *(r(m.balance[b]) for b in BALANCE_COLUMNS), r(m.seat_load_mean, 2),
                r(m.cop_x_mean, 3), r(m.cop_y_mean, 3), r(m.sensor_online_seconds),
                r(m.seconds_occupied_cushion), r(m.seconds_recline_unseen)]
               for m in minutes_between(store, start, end)]
    e_cols = ["time", "event", "state", "data"]
    events = [[e.ts.astimezone(tz).isoformat(timespec="seconds"), e.event, e.state or "",
               json.dumps(e.data, sort_keys=True, ensure_ascii=False)]
              for e in events_between(store, start, end)]
    s_cols = ["time", "kind", "side", "where", "severity", "also", "note", "source"]
    symptoms = [[s.at.astimezone(tz).isoformat(timespec="seconds"), str(s.kind),
                 str(s.side or ""), str(s.area or ""),
                 s.severity if s.severity is not None else "",
                 " ".join(str(a) for a in s.also), s.note, s.source]
                for s in entries_between(store, start, end)]
    return {"minutes": (m_cols, minutes), "events": (e_cols, events),
            "symptoms": (s_cols, symptoms)}


#: A spreadsheet takes a cell that starts with one of these as a formula to run.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(v: Any) -> Any:
    """A value as a CSV cell: text that a spreadsheet would run as a formula (a diary note
    such as ``=HYPERLINK(...)``) gets a leading apostrophe, which makes it plain text there.
    Numbers stay numbers, negative ones included."""
    if v is None:
        return ""
    if isinstance(v, str) and v.startswith(FORMULA_STARTS):
        return "'" + v
    return v


def as_csv(columns: list[str], rows: list[list[Any]]) -> str:
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    w.writerows([_cell(v) for v in row] for row in rows)
    return buf.getvalue()


def as_json(tables: dict[str, Table], since: Any, until: Any, tz: Any) -> str:
    import json

    doc: dict[str, Any] = {"schema": SCHEMA, "first": since.isoformat(),
                           "last": until.isoformat(),
                           "timezone": str(getattr(tz, "key", None) or tz)}
    for name, (columns, rows) in tables.items():
        items = [dict(zip(columns, row, strict=True)) for row in rows]
        if name == "events":
            for it in items:
                it["data"] = json.loads(it["data"])
                it["state"] = it["state"] or None
        if name == "symptoms":
            for it in items:
                it["also"] = it["also"].split() if it["also"] else []
                for k in ("side", "where", "severity"):
                    it[k] = it[k] if it[k] != "" else None
        doc[name] = items
    return json.dumps(doc, indent=1, ensure_ascii=False) + "\n"
