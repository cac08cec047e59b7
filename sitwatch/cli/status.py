"""``sitwatch status``: the running daemon's live state, from its status file (``--waybar``: one
JSON line for a status bar; ``--follow``: a new line whenever it changes)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from typing import Any

from sitwatch.cli.common import (
    EXIT_CONFIG,
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
    from sitwatch.runtime.status import bar_view, format_status, read_status

    waybar = getattr(args, "waybar", False)
    if getattr(args, "follow", False) and not waybar:
        err("--follow goes with --waybar (for plain text, try `watch sitwatch status`)")
        return EXIT_CONFIG
    follow_running_daemon()
    try:
        cfg = load_config(args)
    except config.ConfigError as e:
        if waybar:  # a bar shows what is wrong instead of going blank
            print(json.dumps({"text": "config?", "alt": "error", "class": "error",
                              "tooltip": str(e), "percentage": 0}), flush=True)
        return config_errors(e) if not waybar else EXIT_OK
    path = status_path(cfg)
    stale_after = status_stale_after(cfg)
    clock = SystemClock()
    if waybar:
        return _bar(lambda: bar_view(read_status(path, clock, stale_after=stale_after)), args)
    d = read_status(path, clock, stale_after=stale_after)
    if d.get("error") and path.exists() and not os.access(path, os.R_OK):
        err(f"cannot read {path}: {access_hint(path, 'status')}")
        return EXIT_FAIL
    if args.json:
        print(json.dumps(d, indent=2, default=str))
    else:
        print(format_status(d))
    return EXIT_OK if d.get("running") else EXIT_NOT_RUNNING


def _bar(view: Callable[[], dict[str, Any]], args: argparse.Namespace) -> int:
    """Print the bar's line; with --follow, again whenever it changes (a bar reads each line as
    the new state). Exit 0 always: a bar hides a module whose command fails."""
    import json
    import time

    last = None
    while True:
        line = json.dumps(view(), ensure_ascii=False)
        if line != last:
            try:
                print(line, flush=True)
            except BrokenPipeError:  # the bar went away
                return EXIT_OK
            last = line
        if not args.follow:
            return EXIT_OK
        time.sleep(max(0.2, float(args.interval)))
