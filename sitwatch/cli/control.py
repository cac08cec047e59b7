"""``sitwatch snooze | pause | resume``: write the control file the daemon reads."""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sitwatch.cli.common import (
    EXIT_CONFIG,
    EXIT_FAIL,
    EXIT_OK,
    access_hint,
    config_errors,
    err,
    follow_running_daemon,
    load_config,
)

if TYPE_CHECKING:
    from sitwatch.config import Config
    from sitwatch.nudging.control import Control


def run(args: argparse.Namespace) -> int:
    """sitwatch snooze DURATION | pause [DURATION] | resume"""
    from sitwatch import config
    from sitwatch.core.spans import duration
    from sitwatch.nudging import control
    from sitwatch.nudging.answers import control_said
    from sitwatch.runtime.files import control_path

    follow_running_daemon()
    try:
        cfg = load_config(args)
    except config.ConfigError as e:
        return config_errors(e)
    path = control_path(cfg)
    now = datetime.now().astimezone()
    cur = control.read(path)
    text = getattr(args, "duration", None)
    if text and text.strip().startswith("-"):
        err(f"{args.command} {text}: a duration counts from now, so it cannot be negative: "
            f"write it like 30m, 1h or 1h30m")
        return EXIT_CONFIG
    running = _daemon_running(cfg)
    try:
        new = control.change(cur, args.command, now, duration(text) if text else None)
        msg = control_said(args.command, new, now) if running else _kept(args.command, new, now)
    except ValueError as e:
        err(str(e))
        return EXIT_CONFIG
    try:
        control.write(path, new)
        _give_to_daemon(path)
    except PermissionError as e:
        err(f"cannot write {path}: {e.strerror or e}; {access_hint(path, args.command)}")
        return EXIT_FAIL
    except OSError as e:
        err(f"cannot write {path}: {e.strerror or e}")
        return EXIT_FAIL
    taken = not running or _taken_up(cfg, new, now)
    print(msg)
    if not taken:
        err(f"note: the running sitwatch has not taken it up within {TAKEN_UP_WITHIN:g} s; "
            "`sitwatch status` shows it once it has (if it never does, `sitwatch doctor` says "
            "why)")
    return EXIT_OK


TAKEN_UP_WITHIN = 5.0  # seconds the command waits for the running daemon to show the change


def _taken_up(cfg: Config, new: Control, now: datetime) -> bool:
    """Wait until the running daemon's status file shows ``new`` (it looks at the control file
    once a second), so that this command's answer and the next `sitwatch status`, the status
    bar and the web app agree; False when it has not within :data:`TAKEN_UP_WITHIN`."""
    import time

    from sitwatch.core.clock import SystemClock
    from sitwatch.runtime.files import status_path, status_stale_after
    from sitwatch.runtime.status import read_status

    shown = new.as_dict()
    want = (shown["paused_until"] if new.paused(now) else None,
            shown["snoozed_until"] if new.snoozed(now) else None)
    deadline = time.monotonic() + TAKEN_UP_WITHIN
    while True:
        d = read_status(status_path(cfg), SystemClock(), stale_after=status_stale_after(cfg))
        if (d.get("paused"), d.get("snoozed")) == want:
            return True
        if not d.get("running") or time.monotonic() >= deadline:
            return False
        time.sleep(0.05)  # the daemon writes its status file at once when it sees the change


def _kept(what: str, new: Control, now: datetime) -> str:
    """What a ``resume``, ``snooze`` or ``pause`` did while no sitwatch runs: it is kept in the
    control file for when one starts (a running one's words: :func:`control_said`)."""
    from sitwatch.core.moments import when

    if what == "resume":
        return ("resumed: any pause or snooze is over (sitwatch is not running now: "
                "`sitwatch run` starts it)")
    if what == "snooze" and new.snoozed_until is not None:
        return (f"nudges snoozed until {when(new.snoozed_until, now)}; sitwatch is not running "
                "now, so the snooze is kept and applies if it starts before then")
    if isinstance(new.paused_until, datetime):
        return (f"paused until {when(new.paused_until, now)}; sitwatch is not running now, so "
                "the pause is kept and applies if it starts before then")
    return ("paused until `sitwatch resume`; sitwatch is not running now, so the pause is kept "
            "and applies when it starts")


def _daemon_running(cfg: Config) -> bool:
    """Whether a daemon is running now (its status file says so and its process lives)."""
    from sitwatch.core.clock import SystemClock
    from sitwatch.runtime.files import status_path, status_stale_after
    from sitwatch.runtime.status import read_status

    d = read_status(status_path(cfg), SystemClock(), stale_after=status_stale_after(cfg))
    return bool(d.get("running"))


def _give_to_daemon(path: Path) -> None:
    """Written as root (``sudo sitwatch snooze`` on a Pi): hand the file to the owner of its
    folder, the service's user, or the daemon could not read it."""
    import os

    if os.geteuid() != 0:
        return
    st = path.parent.stat()
    if st.st_uid != 0:
        os.chown(path, st.st_uid, st.st_gid)
