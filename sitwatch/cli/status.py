"""``sitwatch status``: the running daemon's live state, from its status file."""

from __future__ import annotations

import argparse
import os

from sitwatch.cli.common import (
    EXIT_FAIL,
    EXIT_NOT_RUNNING,
    EXIT_OK,
    access_hint,
    config_errors,
    err,
    follow_running_daemon,
    load_config,
)


def run(args: argparse.Namespace) -> int:
    import json

    from sitwatch import config
    from sitwatch.core.clock import SystemClock
    from sitwatch.runtime.files import status_path, status_stale_after
    from sitwatch.runtime.status import format_status, read_status

    follow_running_daemon()
    try:
        cfg = load_config(args)
    except config.ConfigError as e:
        return config_errors(e)
    path = status_path(cfg)
    d = read_status(path, SystemClock(), stale_after=status_stale_after(cfg))
    if d.get("error") and path.exists() and not os.access(path, os.R_OK):
        err(f"cannot read {path}: {access_hint(path, 'status')}")
        return EXIT_FAIL
    if args.json:
        print(json.dumps(d, indent=2, default=str))
    else:
        print(format_status(d))
    return EXIT_OK if d.get("running") else EXIT_NOT_RUNNING
