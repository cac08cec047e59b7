"""``sitwatch report``: a day, a week or a month from the history, as text, Markdown, one HTML
page, JSON or CSV (docs/reports.md)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sitwatch.cli.common import (
    EXIT_CONFIG,
    EXIT_FAIL,
    EXIT_OK,
    config_errors,
    day_arg,
    err,
    follow_running_daemon,
    input_problem,
    load_config,
    output_problem,
)

if TYPE_CHECKING:
    from datetime import tzinfo

    from sitwatch.config import Config
    from sitwatch.history.store import Store


FORMATS = ("text", "md", "html", "json", "csv")


def run(args: argparse.Namespace) -> int:

    from sitwatch import config
    from sitwatch.reports.period import PeriodError
    from sitwatch.runtime.files import history_path, simulated_history

    follow_running_daemon()
    try:
        cfg = load_config(args)
    except config.ConfigError as e:
        return config_errors(e)
    day = day_arg(args)
    if day is None:
        return EXIT_CONFIG
    try:
        choice = _choose(args, day)
    except PeriodError as e:
        err(str(e))
        return EXIT_CONFIG
    except ValueError as e:
        err(str(e))
        return EXIT_CONFIG
    hp = Path(args.history).expanduser() if args.history else history_path(cfg)
    problem = (args.history and input_problem(hp, "--history", "a history file")) or \
        (choice.output and output_problem(
            choice.output, "--html" if getattr(args, "html", None) and not args.output else "-o",
            _default_name(choice)))
    if problem:
        err(problem)
        return EXIT_CONFIG
    if not hp.exists():
        kept = None if args.history else simulated_history(cfg)
        if kept is not None:
            err(f"no history yet ({hp}); what sitwatch recorded while it watched the simulator "
                f"is kept apart: `sitwatch report --history {kept}`")
            return EXIT_FAIL
        err(f"no history yet ({hp}): it fills while the daemon runs (`sitwatch run`). To see "
            "what the reports look like first: `sitwatch demo --plain --days 7 --history "
            "/tmp/demo.sqlite`, then `sitwatch report --week --html --history /tmp/demo.sqlite`")
        return EXIT_FAIL
    tz = _local_zone()
    lim = cfg.detect.sit_limit
    min_break = cfg.detect.occupancy.min_break

    def render(store: Store) -> int:
        note = None if args.history else simulator_note(cfg, store)
        if note is not None:
            err(note)
        text = _render(store, choice, tz, lim, min_break)
        out = choice.output
        if out is None:
            sys.stdout.write(text)
            return EXIT_OK
        from sitwatch.core.private import write_private

        try:
            write_private(out, text)
        except OSError as e:
            err(f"{out}: {e.strerror or e}")
            return EXIT_FAIL
        print(f"wrote {out}")
        if choice.open:
            _open(out)
        return EXIT_OK

    return render_history(cfg, hp, render)


def simulator_note(cfg: Config, store: Store) -> str | None:
    """Where the sitting is when ``store`` has none of its own but the daemon kept a history
    while it watched the simulator (:func:`~sitwatch.runtime.files.simulated_history_instead`);
    None: nothing to say."""
    from sitwatch.runtime.files import simulated_history_instead

    kept = simulated_history_instead(cfg, store)
    if kept is None:
        return None
    return ("note: sitwatch has not watched a seat of its own yet; what it recorded while it "
            f"watched the simulator is kept apart: add `--history {kept}`")


def render_history(cfg: Config, hp: Path, render: Callable[[Any], int],
                   what: str = "this report") -> int:
    """``render`` (a report, an export: ``what``) on the history ``hp`` read-only: one of an
    older schema through an upgraded private copy, a damaged one through a copy of what can
    still be read (:func:`_report_what_can_be_read`), each said on stderr; ``render``'s exit
    code, or EXIT_FAIL once the error is said."""
    import sqlite3

    from sitwatch.core.clock import SystemClock
    from sitwatch.history.readable import UpgradedCopy, is_damage, reading
    from sitwatch.history.store import StoreError
    from sitwatch.runtime.service import restart_hint

    def upgraded(note: str) -> None:
        err(f"note: {note}. {restart_hint(cfg, UpgradedCopy.upgrade)}")

    try:
        with reading(hp, SystemClock(), upgraded) as store:
            return render(store)
    except StoreError as e:
        if not is_damage(e):
            err(str(e))
            return EXIT_FAIL
        damage = str(e)
    except sqlite3.DatabaseError as e:
        if not is_damage(e):
            raise
        damage = str(e)
    return _report_what_can_be_read(hp, damage, render, what)


@dataclass(frozen=True)
class _Choice:
    kind: str  # day | week | month
    first: date
    last: date
    fmt: str
    output: Path | None
    open: bool


def _choose(args: argparse.Namespace, day: date) -> _Choice:
    """Which period, which format, where to: from the flags (old spellings still work:
    ``--week`` alone is the seven days ending on ``--day``, ``--html [FILE]`` the week as a
    page)."""
    from sitwatch.reports.period import month_period, parse_month, parse_week, week_ending

    week = getattr(args, "week", None)
    month = getattr(args, "month", None)
    if week is True:  # an older caller's Namespace
        week = ""
    if week is False:
        week = None
    if week is not None and month is not None:
        raise ValueError("choose one of --week and --month")
    fmt = getattr(args, "format", None)
    html_file = getattr(args, "html", None)
    if html_file is not None:
        if fmt not in (None, "html"):
            raise ValueError(f"--html and --format {fmt} ask for two formats; choose one")
        fmt = "html"
    fmt = fmt or "text"
    if month is not None:
        p = parse_month(month) if month else month_period(day)
    elif week:
        p = parse_week(week, day)
    elif week is not None or fmt == "html":
        p = week_ending(day)  # the weekly page is a week; --html has always meant one
    else:
        p = None
    kind = p.kind if p is not None else "day"
    first, last = (p.first, p.last) if p is not None else (day, day)
    out_text = getattr(args, "output", None) or html_file or None
    output = Path(out_text).expanduser() if out_text else None
    want_open = bool(getattr(args, "open", False))
    if want_open and fmt != "html":
        raise ValueError("--open opens the HTML page: add --format html")
    choice = _Choice(kind, first, last, fmt, output, want_open)
    if output is None and fmt == "html":
        choice = replace(choice, output=Path(_default_name(choice)))
    return choice


def _default_name(choice: _Choice) -> str:
    """The page's file name without -o (and the one suggested for -o naming a folder)."""
    ext = {"text": "txt"}.get(choice.fmt, choice.fmt)
    if choice.kind == "month":
        return f"sitwatch-month-{choice.first:%Y-%m}.{ext}"
    return f"sitwatch-{choice.kind}-{choice.last}.{ext}"


def _render(store: Any, c: _Choice, tz: tzinfo, lim: float, min_break: float) -> str:
    from sitwatch.reports import html, period
    from sitwatch.reports.text import daily_text, weekly_text

    if c.fmt == "html":
        if c.kind == "month":
            return html.render_month(store, c.first, tz, sit_limit=lim, min_break=min_break)
        return html.render_week(store, c.last, tz, sit_limit=lim, min_break=min_break)
    if c.fmt == "text" and c.kind != "month":
        if c.kind == "week":
            return weekly_text(store, c.last, tz, sit_limit=lim,
                               today=datetime.now(tz).date())
        return daily_text(store, c.first, tz, sit_limit=lim)
    p = period.Period(c.kind, c.first, c.last)
    r = period.build(store, p, tz, sit_limit=lim, min_break=min_break)
    return {"text": r.text, "md": r.markdown, "json": r.json, "csv": r.csv}[c.fmt]()


def _open(path: Path) -> None:
    """Open the page with the desktop's opener; say so plainly where there is no desktop."""
    import os
    import shutil
    import subprocess

    opener = shutil.which("xdg-open") or shutil.which("open")
    desktop = os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") \
        or sys.platform == "darwin"
    if not opener or not desktop:
        print(f"no desktop to open it here; open {path.resolve()} in a browser")
        return
    try:
        subprocess.Popen([opener, str(path.resolve())], stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    except OSError as e:
        print(f"could not open it ({e}); open {path.resolve()} in a browser")


def _report_what_can_be_read(hp: Path, damage: str, render: Callable[[Any], int],
                             what: str = "this report") -> int:
    """The history file is damaged: ``render`` (a report, an export: ``what``) from a private
    copy of what can still be read, and say what was lost. The file itself is left for the
    daemon, which repairs it the same way when it next opens it."""
    from sitwatch.core.clock import SystemClock
    from sitwatch.history.readable import ReadableCopy, Unreadable
    from sitwatch.history.store import StoreError

    try:
        copy = ReadableCopy(hp, SystemClock())
    except Unreadable as e:
        err(str(e))
        return EXIT_FAIL
    with copy:
        err(f"note: the history database {hp} is damaged ({damage}); {what} shows what "
            f"could still be read: {copy.salvaged.summary()}. The daemon repairs the file the "
            "same way when it next starts.")
        try:
            store = copy.open()
        except StoreError as e:
            err(str(e))
            return EXIT_FAIL
        try:
            return render(store)
        finally:
            store.close()


def _local_zone() -> tzinfo:
    """The local time zone with its DST rules when we can name it, else the current offset."""
    from sitwatch.core.clock import local_zone

    return local_zone()
