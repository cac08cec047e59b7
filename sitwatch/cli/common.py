"""What every command shares: exit codes, the error line, loading the config, finding the layout.

Kept free of heavy imports (pydantic and numpy load inside the functions) so that building the
parser for ``sitwatch --help`` stays quick.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datetime import date

    from sitwatch.config import Config
    from sitwatch.sensing.layout import Layout

EXIT_OK = 0
EXIT_FAIL = 1  # something outside the user's words went wrong (a device, a file, a disk)
EXIT_CONFIG = 2  # the user's words: a config, a flag, a layout, a calibration
EXIT_NOT_RUNNING = 3  # `sitwatch status`: no daemon is running
EXIT_INTERRUPTED = 130


_SPEAKING = threading.Lock()


def say_line(text: str) -> None:
    """``text`` as one whole line on stderr, flushed: one write, under a lock. The bridge and the
    companion speak from paho's thread and their own, and print's two writes (the text, then
    its newline) ran two lines together ("...with each one)sitwatch companion: connected")."""
    with _SPEAKING:
        sys.stderr.write(text + "\n")
        sys.stderr.flush()


def err(msg: str) -> None:
    """One line on stderr, prefixed with the program's name."""
    print(f"sitwatch: {msg}", file=sys.stderr)


def positive(text: str) -> float:
    """An argparse ``type``: a number above 0 (a rate, a duration)."""
    import math

    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"{text!r}: give a number above 0")
    return value


def input_problem(path: Path, flag: str = "", what: str = "a file") -> str | None:
    """What stops ``path`` (given with ``flag``) from being read as ``what``: missing, a folder,
    unreadable. None when it can be read."""
    name = f"{flag} {path}" if flag else str(path)
    if not path.exists():
        return f"{name}: no such file: check the path"
    if path.is_dir():
        return f"{name}: is a folder, not {what}: name a file inside it"
    if not os.access(path, os.R_OK):
        return f"{name}: cannot be read: check its permissions"
    return None


def missing_port(port: str, flag: bool) -> str | None:
    """What to say when the cushion's device ``port`` does not exist (unplugged, or a typo), for
    a command that is no use without it (``record``, ``calibrate``); None for a URL or a path
    that exists. ``flag``: it came from ``--port``, not from ``cushion.port``."""
    if not port or "://" in port or Path(port).exists():
        return None
    named = f"--port {port}" if flag else f"cushion.port {port}"
    return (f"{named}: no such device: is the cushion plugged in? (ls /dev/serial/by-id/ "
            "lists USB serial devices)")


def output_problem(path: Path, flag: str, example: str) -> str | None:
    """What stops ``path`` (given with ``flag``) from being written as a file: it is a folder,
    or a file stands where a folder should be. None when it can be written (missing folders
    are created). ``example``: a file name to suggest inside a folder."""
    name = f"{flag} {path}" if flag else str(path)
    if path.is_dir():
        return f"{name}: is a folder: name the file to write, e.g. {path / example}"
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                return f"{name}: {parent} is a file, not a folder: choose another path"
            break
    return None


def not_a_history(path: Path, flag: str = "--history") -> str | None:
    """What to say when ``path``, given with ``flag`` to a command that writes a history (log,
    demo), is a file that is not even SQLite (a note, a report): the store would take it for a
    damaged history, rename it to ``FILE.corrupt-DATE`` and start a fresh database under its
    name. A history the daemon keeps is set aside that way; a file someone named by mistake is
    left alone. None for a missing or empty file, or an SQLite one."""
    import sqlite3

    from sitwatch.history import diagnose

    try:
        ident = diagnose.identify(path)
    except (OSError, sqlite3.Error):
        return None  # the store says what is wrong
    if ident.kind == diagnose.Kind.DAMAGED and ident.detail == diagnose.NOT_SQLITE:
        return (f"{flag} {path}: not a sitwatch history (not even an SQLite file), so it is "
                "left as it is: name your history file, or a new file for one")
    return None


def load_config(args: argparse.Namespace, overrides: dict[str, Any] | None = None) -> Config:
    """The config from --config (or the user's file), with the command line's flags on top."""
    from sitwatch import config

    ov = dict(overrides or {})
    for flag, key in (
        ("port", "cushion.port"),
        ("layout", "cushion.layout"),
        ("baud", "cushion.baud"),
        ("camera", "camera.device"),
    ):
        v = getattr(args, flag, None)
        if v is not None:
            ov[key] = int(v) if key == "camera.device" and str(v).isdigit() else v
    return config.load(
        getattr(args, "config", None), ov, use_user_file=not getattr(args, "no_user_config", False)
    )


def config_source(args: argparse.Namespace) -> str | None:
    """The file :func:`load_config` reads (``--config``, else the user's file when there is
    one and it is not ignored); None: the defaults alone."""
    from sitwatch import config

    src = getattr(args, "config", None)
    if src is None and not getattr(args, "no_user_config", False):
        user = config.user_config_path()
        src = str(user) if user.is_file() else None
    return str(src) if src is not None else None


def config_errors(e: Exception) -> int:
    """Report a ConfigError, one problem a line; the exit code for the user's mistake."""
    err("invalid configuration:")
    for line in getattr(e, "problems", [str(e)]):
        print(f"  {line}", file=sys.stderr)
    return EXIT_CONFIG


def flag_date(flag: str, text: str, shape: str) -> date:
    """``text``, given with ``flag``, as a date; a ValueError holds what to say: ``shape`` (how
    to write one) for text in another shape, or, for a date written as YYYY-MM-DD that is no day
    of the calendar (2026-02-30), that it is none and why: "write YYYY-MM-DD" of a date written
    just so did not say what was wrong."""
    import re
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError as e:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError(f"{flag} {text!r}: there is no such day ({e})") from None
        raise ValueError(f"{flag} {text!r}: {shape}") from None


def day_arg(args: argparse.Namespace) -> date | None:
    """``--day YYYY-MM-DD`` (today without it); None after saying how to write it."""
    from datetime import date

    from sitwatch.reports.period import PeriodError, check_day

    try:
        day = flag_date("--day", args.day, "write YYYY-MM-DD") if args.day else date.today()
    except ValueError as e:
        err(str(e))
        return None
    try:
        return check_day(day, f"--day {args.day!r}" if args.day else "")
    except PeriodError as e:
        err(str(e))
        return None


def layout_spec(args: argparse.Namespace, cfg: Config, path: Path | None = None) -> str | None:
    """The layout a command reads ``path`` with when it is not cushion.layout: --layout, else
    the recording's header, else the one built-in layout its columns name when cushion.layout
    cannot read them (a recording from another device than your own cushion)."""
    return _layout_spec(args, cfg, path)[0]


def _layout_spec(
    args: argparse.Namespace, cfg: Config, path: Path | None
) -> tuple[str | None, bool]:
    """(:func:`layout_spec`, whether the recording's columns named it)."""
    from sitwatch.sensing import layout
    from sitwatch.sources import recording

    spec: str | None = getattr(args, "layout", None)
    if spec is not None or path is None:
        return spec, False
    spec = recording.read_header(path).layout
    if spec is not None:
        return spec, False
    try:
        mine = layout.load(cfg.cushion.layout)
        named = recording.columns_layout(path, mine)
    except (layout.LayoutError, recording.RecordingError):
        return None, False  # reported where the layout or the file is read
    return named, named is not None


def resolve_layout(args: argparse.Namespace, cfg: Config, path: Path | None = None) -> Layout:
    """--layout, else the recording's header, else the built-in layout the recording's columns
    name (said on stderr), else cushion.layout."""
    from sitwatch.sensing import layout

    spec, named = _layout_spec(args, cfg, path)
    if named and path is not None:
        grid = spec is not None and spec.startswith("grid:")
        plain = ("; it reads values 0-255 that rise with the load, row 0 at the rear and "
                 "column 0 on the sitter's left: a matrix wired otherwise needs a layout file "
                 "(`sitwatch docs protocol`)") if grid else ""
        err(f"{path.name}: its columns are layout {spec}'s channels, not {cfg.cushion.layout}'s "
            f"(cushion.layout): read with {spec} (--layout picks another){plain}")
    try:
        return layout.load(spec or cfg.cushion.layout)
    except layout.LayoutError as e:
        if path is None or spec is None or named or getattr(args, "layout", None) is not None:
            raise
        # the recording's header names a layout this machine does not have (a layout file on
        # the machine that recorded it)
        raise layout.LayoutError(
            f"{path}: its header names layout {spec!r}, which cannot be loaded here ({e}): "
            "pass --layout with the layout file it was recorded with (or grid:RxC for a plain "
            "matrix)") from None


def follow_running_daemon() -> None:
    """For commands that read or steer a running daemon: find the system unit's files too
    (a Raspberry Pi's sitwatch-pi service), not only the user's own."""
    from sitwatch.core import paths

    paths.follow_system_instance()


def access_hint(path: Path, command: str) -> str:
    """What to add when ``path`` cannot be read or written: whose file it is, what to run."""
    from sitwatch.core import paths

    if paths.system_instance():
        return (f"{path} belongs to the system service (sitwatch-pi), whose files only its own "
                f"user can open: run `sudo sitwatch {command}`")
    return f"check the permissions of {path}"


def cushion_flags(sp: argparse.ArgumentParser) -> None:
    """--port, --layout, --baud: the cushion's config keys on the command line."""
    sp.add_argument("--port", help="serial device or URL (overrides cushion.port)")
    sp.add_argument("--layout", help="layout name, grid:RxC or TOML file")
    sp.add_argument("--baud", type=int, help="baud rate")


def event_line(ev: Any) -> str:
    """One event as a line for people: ``00:12:05  posture     slouched``."""
    from sitwatch.core.kinds import EventName

    t = ev.t
    stamp = f"{int(t // 3600):02d}:{int(t % 3600 // 60):02d}:{int(t % 60):02d}"
    if ev.event == EventName.NUDGE:
        return f"{stamp}  NUDGE  {ev.get('title')}: {ev.get('message')}"
    extra = ""
    if ev.event == EventName.BREAK:
        extra = (
            f" {ev.get('duration', 0) / 60:.0f} min after {ev.get('spell', 0) / 60:.0f} min seated"
        )
    elif ev.event == EventName.NUDGE_OUTCOME:
        # the nudge of that kind was followed (the posture it was about ended) or not, in time
        what = str(ev.get("kind", "nudge")).replace("_", " ")
        after = float(ev.get("after", 0) or 0)
        extra = (f"{what}: followed after {after:.0f} s" if ev.get("responded")
                 else f"{what}: not followed within {after:.0f} s")
    elif ev.event == EventName.CALIBRATION and ev.get("excluded") is not None:
        extra = " excluded: " + (", ".join(ev.get("excluded")) or "none")
    elif ev.event == EventName.CALIBRATION and ev.get("method") == "follow":
        extra = (f": a sensor's zero has moved {float(ev.get('moved') or 0):.0%} of full scale "
                 "since calibration (seen on the empty seat); readings corrected")
    elif ev.event == EventName.CALIBRATION and ev.state == "tare":
        extra = ": learned on the empty seat"
    elif ev.get("reason"):
        extra = f" ({ev.get('reason')})"
    if ev.get("source") and ev.get("source") != "cushion":
        extra += f" [{ev.get('source')}]"
    state = ev.state or ""
    return f"{stamp}  {ev.event:<11} {state.replace('_', ' ')}{extra}"
