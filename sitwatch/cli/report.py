"""``sitwatch report``: a day or a week from the history, as text or one HTML page."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sitwatch.cli.common import (
    EXIT_CONFIG,
    EXIT_FAIL,
    EXIT_OK,
    config_errors,
    err,
    follow_running_daemon,
    load_config,
)

if TYPE_CHECKING:
    from datetime import tzinfo


def run(args: argparse.Namespace) -> int:
    import sqlite3
    from datetime import date

    from sitwatch import config
    from sitwatch.core.clock import SystemClock
    from sitwatch.history.store import Store, StoreError
    from sitwatch.reports.text import daily_text, weekly_text
    from sitwatch.runtime.files import history_path

    follow_running_daemon()
    try:
        cfg = load_config(args)
    except config.ConfigError as e:
        return config_errors(e)
    hp = Path(args.history).expanduser() if args.history else history_path(cfg)
    if not hp.exists():
        if args.history:
            err(f"{hp}: no such history file")
        else:
            err(f"no history yet ({hp}): it fills while the daemon runs (`sitwatch run`). To see "
                "what the reports look like first: `sitwatch demo --plain --days 7 --history "
                "/tmp/demo.sqlite`, then `sitwatch report --week --html --history "
                "/tmp/demo.sqlite`")
        return EXIT_FAIL
    try:
        day = date.fromisoformat(args.day) if args.day else date.today()
    except ValueError:
        err(f"--day {args.day!r}: write YYYY-MM-DD")
        return EXIT_CONFIG
    tz = _local_zone()
    lim = cfg.detect.sit_limit

    def render(store: Store) -> int:
        if args.html is not None:
            from sitwatch.reports.html import write_week

            out = Path(args.html or f"sitwatch-week-{day}.html")
            try:
                write_week(store, day, tz, out, sit_limit=lim)
            except OSError as e:
                err(f"{out}: {e.strerror or e}")
                return EXIT_FAIL
            print(f"wrote {out}")
            return EXIT_OK
        print(
            weekly_text(store, day, tz, sit_limit=lim)
            if args.week
            else daily_text(store, day, tz, sit_limit=lim)
        )
        return EXIT_OK

    damage = ""
    try:
        store = Store(hp, SystemClock(), readonly=True)
        try:
            return render(store)
        finally:
            store.close()
    except StoreError as e:
        if not _damaged(e):
            err(str(e))
            return EXIT_FAIL
        damage = str(e)
    except sqlite3.DatabaseError as e:
        if not _damaged(e):
            raise
        damage = str(e)
    return _report_what_can_be_read(hp, damage, render)


def _damaged(e: Exception) -> bool:
    text = str(e).lower()
    return "malformed" in text or "not a database" in text or "corrupt" in text


def _report_what_can_be_read(hp: Path, damage: str, render: Callable[[Any], int]) -> int:
    """The history file is damaged: report from a private copy of what can still be read,
    and say what was lost. The file itself is left for the daemon, which repairs it the same
    way when it next opens it."""
    import sqlite3
    import tempfile

    from sitwatch.core.clock import SystemClock
    from sitwatch.history.salvage import salvage
    from sitwatch.history.store import Store, StoreError

    with tempfile.TemporaryDirectory(prefix="sitwatch-salvage-") as tmp:
        copy = Path(tmp) / "history.sqlite"
        conn = sqlite3.connect(copy, isolation_level=None)
        try:
            result = salvage(hp, conn)
        except sqlite3.Error as e:
            err(f"the history database {hp} is damaged and nothing could be read from it ({e})")
            return EXIT_FAIL
        finally:
            conn.close()
        err(f"note: the history database {hp} is damaged ({damage}); this report shows what "
            f"could still be read: {result.summary()}. The daemon repairs the file the same "
            "way when it next starts.")
        try:
            store = Store(copy, SystemClock(), readonly=True)
        except StoreError as e:
            err(str(e))
            return EXIT_FAIL
        try:
            return render(store)
        finally:
            store.close()


def _local_zone() -> tzinfo:
    """The local time zone with its DST rules when we can name it, else the current offset."""
    import os
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    name = os.environ.get("TZ", "")
    if not name:
        try:
            name = str(Path("/etc/localtime").resolve()).split("zoneinfo/", 1)[1]
        except (OSError, IndexError):
            name = ""
    offset = datetime.now().astimezone().tzinfo or UTC  # astimezone() always sets one
    try:
        return ZoneInfo(name) if name else offset
    except (ZoneInfoNotFoundError, ValueError):
        return offset
