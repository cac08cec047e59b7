"""``sitwatch status``: the running daemon's live state, from its status file (``--waybar``: one
JSON line for a status bar; ``--follow``: a new line whenever it changes; ``--watch``: JSON lines
for scripts, one now and one per change of the presence state)."""

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
    from sitwatch.runtime.status import WATCH_KEY, bar_view, format_status, read_status, watch_view

    waybar = getattr(args, "waybar", False)
    watch = getattr(args, "watch", False)
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

    def restart(what: str) -> str:  # for a damaged status file: asked only then
        from sitwatch.runtime.service import restart_hint

        return restart_hint(cfg, what)

    if waybar:
        return _follow(lambda: bar_view(read_status(path, clock, stale_after=stale_after),
                                        restart=restart),
                       follow=bool(args.follow), interval=args.interval or 5.0)
    if watch:
        def line() -> dict[str, Any]:
            return watch_view(read_status(path, clock, stale_after=stale_after))

        return _follow(line, follow=True, interval=args.interval or 1.0,
                       key=lambda v: [v.get(k) for k in WATCH_KEY])
    d = read_status(path, clock, stale_after=stale_after)
    if d.get("error") and path.exists() and not os.access(path, os.R_OK):
        err(f"cannot read {path}: {access_hint(path, 'status')}")
        return EXIT_FAIL
    if args.json:
        print(json.dumps(d, indent=2, default=str))
    elif d.get("running"):
        print(format_status(d, restart=restart))
    else:  # how to start it, for what is installed here
        from sitwatch.runtime.service import start_hint

        print(format_status(d, start=start_hint(), restart=restart))
    return EXIT_OK if d.get("running") else EXIT_NOT_RUNNING


def _follow(view: Callable[[], dict[str, Any]], *, follow: bool, interval: float,
            key: Callable[[dict[str, Any]], Any] | None = None) -> int:
    """Print ``view()`` as a JSON line; with ``follow``, again whenever it changes (``key``: the
    part whose change counts; default the whole line), looking every ``interval`` seconds.
    A bar (--waybar --follow) and a script (--watch) read each line as the new state. Ends when
    the reader goes away (exit 0) or on Ctrl-C (main's exit code for an interrupt)."""
    import json
    import time

    last: Any = None
    while True:
        v = view()
        k = key(v) if key is not None else v
        if k != last:
            try:
                print(json.dumps(v, ensure_ascii=False), flush=True)
            except BrokenPipeError:  # the bar or the script went away
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, 1)  # so the interpreter's last flush does not complain
                return EXIT_OK
            last = k
        if not follow:
            return EXIT_OK
        time.sleep(max(0.2, float(interval)))
