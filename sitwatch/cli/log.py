"""``sitwatch log``: write how you feel into the symptom diary, see what came before it, and
get the seek-care advice at once for a red flag."""

from __future__ import annotations

import argparse
from pathlib import Path

from sitwatch.cli.common import (
    EXIT_CONFIG,
    EXIT_FAIL,
    EXIT_OK,
    access_hint,
    config_errors,
    err,
    follow_running_daemon,
    load_config,
    not_a_history,
    output_problem,
)


def run(args: argparse.Namespace) -> int:
    import sqlite3
    import textwrap
    from datetime import datetime

    from sitwatch import config
    from sitwatch.core.clock import SystemClock
    from sitwatch.core.kinds import AlsoNoticed, BodyArea, BodySide, SymptomKind
    from sitwatch.history.diary import DiaryError, SymptomEntry, add_entry
    from sitwatch.history.store import Store, StoreError
    from sitwatch.reports import diary
    from sitwatch.runtime.files import history_path, simulated_history_instead

    follow_running_daemon()
    try:
        cfg = load_config(args)
    except config.ConfigError as e:
        return config_errors(e)
    hp = Path(args.history).expanduser() if args.history else history_path(cfg)
    try:
        entry = SymptomEntry(
            at=datetime.now().astimezone(),
            kind=SymptomKind(args.kind),
            side=BodySide(args.side) if args.side else None,
            area=BodyArea(args.where.replace("-", "_")) if args.where else None,
            severity=args.severity,
            note=(args.note or "").strip(),
            also=tuple(AlsoNoticed(w.replace("-", "_")) for w in (args.also or ())),
        )
    except DiaryError as e:
        err(str(e))
        return EXIT_CONFIG
    flags = diary.red_flags(entry)

    def wrap(text: str) -> str:
        return textwrap.fill(text, 78)

    # The seek-care advice comes first, before anything that could fail.
    if flags:
        lines = diary.seek_care_lines(flags)
        print("!! " + lines[0].upper() + " !!")
        for ln in lines[1:]:
            print(wrap(ln))
        print()
    problem = args.history and (output_problem(hp, "--history", "history.sqlite")
                                or not_a_history(hp))
    if problem:
        err(f"{problem}; nothing logged")
        return EXIT_CONFIG
    try:
        store = Store(hp, SystemClock())  # a second connection beside the daemon's (WAL)
    except StoreError as e:
        err(f"cannot write the diary into {hp}: {e}")
        return EXIT_FAIL
    try:
        try:
            add_entry(store.connection, entry)
        except sqlite3.Error as e:
            hint = access_hint(hp, "log") if "readonly" in str(e).lower() else "try again"
            err(f"cannot write the diary into {hp}: {e} ({hint})")
            return EXIT_FAIL
        print(f"Logged at {entry.at:%H:%M}: {diary.describe(entry)}.")
        before = diary.before(store, entry.at)
        kept = None if before.has_data or args.history else simulated_history_instead(cfg, store)
        print(wrap(before.text().capitalize() + "."))
        if kept is not None:
            print(wrap("sitwatch has watched only its simulator so far, and keeps what it saw "
                       "there apart:"))
            print(f"  sitwatch report --history {kept}")
    finally:
        store.close()
    if not flags:
        print(wrap("If it keeps coming back, lasts more than a week or spreads down a leg, see "
                   "a doctor or physiotherapist. `sitwatch report --week` shows your entries "
                   "against how you sat."))
    return EXIT_OK
