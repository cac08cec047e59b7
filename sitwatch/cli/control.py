"""``sitwatch snooze | pause | resume``: write the control file the daemon reads."""

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
)


def run(args: argparse.Namespace) -> int:
    """sitwatch snooze DURATION | pause [DURATION] | resume"""
    from datetime import datetime

    from sitwatch import config
    from sitwatch.core.moments import when
    from sitwatch.core.spans import duration
    from sitwatch.nudging import control
    from sitwatch.runtime.files import control_path

    follow_running_daemon()
    try:
        cfg = load_config(args)
    except config.ConfigError as e:
        return config_errors(e)
    path = control_path(cfg)
    now = datetime.now().astimezone()
    cur = control.read(path)
    try:
        text = getattr(args, "duration", None)
        new = control.change(cur, args.command, now, duration(text) if text else None)
        if args.command == "resume":
            msg = "resumed: watching and nudging again"
        elif args.command == "snooze" and new.snoozed_until is not None:
            msg = f"nudges snoozed until {when(new.snoozed_until, now)} (sitwatch keeps watching)"
        elif isinstance(new.paused_until, datetime):
            msg = (f"paused until {when(new.paused_until, now)}: nothing is watched or kept "
                   "meanwhile")
        else:
            msg = "paused until `sitwatch resume`: nothing is watched or kept meanwhile"
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
    print(msg)
    return EXIT_OK


def _give_to_daemon(path: Path) -> None:
    """Written as root (``sudo sitwatch snooze`` on a Pi): hand the file to the owner of its
    folder, the service's user, or the daemon could not read it."""
    import os

    if os.geteuid() != 0:
        return
    st = path.parent.stat()
    if st.st_uid != 0:
        os.chown(path, st.st_uid, st.st_gid)
