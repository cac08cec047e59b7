"""``sitwatch status``: the running daemon's live state, from its status file (``--waybar``: one
JSON line for a status bar; ``--follow``: a new line whenever it changes; ``--watch``: JSON lines
for scripts, one now and one per change of the presence state)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sitwatch.cli.common import (
    EXIT_CONFIG,
    EXIT_FAIL,
    EXIT_NOT_RUNNING,
    EXIT_OK,
    access_hint,
    config_errors,
    config_source,
    err,
    follow_running_daemon,
    load_config,
)

if TYPE_CHECKING:
    from sitwatch.config import Config


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
    else:
        print(format_status(d, start=_not_running(args, cfg), restart=restart))
    return EXIT_OK if d.get("running") else EXIT_NOT_RUNNING


def _not_running(args: argparse.Namespace, cfg: Config) -> str:
    """What to do while no sitwatch runs: how to start it, for what is installed here; or,
    when the config names neither a cushion port nor a camera (`sitwatch run` would stop at
    once: nothing to watch), what to set first. Then any pause or snooze kept in the control
    file, which holds when it starts."""
    from datetime import datetime

    from sitwatch.core.moments import when
    from sitwatch.nudging import control
    from sitwatch.runtime.files import control_path
    from sitwatch.runtime.service import start_hint

    hint = start_hint()
    if cfg.cushion.port or cfg.camera.enabled:
        lines = [hint]
    else:
        # what to set first, then how to start it for what is installed here (a service
        # installed before the config named a cushion is started the same way)
        then = f"Once it is set, {hint[:1].lower()}{hint[1:]}"
        if (src := config_source(args)) is not None:
            lines = [f"It has nothing to watch yet: set cushion.port (or camera.device) in "
                     f"{src} (`sitwatch doctor` checks the setup).", then]
        else:
            lines = ["It has nothing to watch yet: `sitwatch config init` writes a config "
                     "file; set cushion.port (or camera.device) in it (README, \"First run\"; "
                     "`sitwatch demo` shows sitwatch without hardware).", then]
    now = datetime.now().astimezone()
    kept = control.read(control_path(cfg))
    if isinstance(kept.paused_until, datetime) and kept.paused(now):
        lines.append(f"A pause is kept until {when(kept.paused_until, now)}: sitwatch watches "
                     "nothing till then, even once started (`sitwatch resume` ends it).")
    elif kept.paused(now):
        lines.append("A pause is kept until `sitwatch resume`: sitwatch watches nothing till "
                     "then, even once started.")
    if kept.snoozed(now) and kept.snoozed_until is not None:
        lines.append(f"A snooze is kept until {when(kept.snoozed_until, now)}: no nudges till "
                     "then, even once started (`sitwatch resume` ends it).")
    return "\n".join(lines)


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
