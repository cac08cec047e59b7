"""``sitwatch demo``: the real daemon against a virtual cushion, a whole office day in seconds
(:mod:`sitwatch.runtime.demo`)."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from sitwatch.cli.common import (
    EXIT_CONFIG,
    EXIT_FAIL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    config_errors,
    err,
    load_config,
    not_a_history,
    output_problem,
)


def run(args: argparse.Namespace) -> int:
    """The demo runs with the user's settings (--config, else their config file; the sitting
    limit, detection and nudge settings), on the virtual cushion of --layout."""
    from sitwatch import config
    from sitwatch.core import durations
    from sitwatch.runtime.demo import run_demo
    from sitwatch.sensing import layout as layouts

    try:
        lay = layouts.load(args.layout)
    except layouts.LayoutError as e:
        err(str(e))
        return EXIT_CONFIG
    try:
        cfg = load_config(args)
    except config.ConfigError as e:
        return config_errors(e)
    speed = args.speed
    if speed == 0 and sys.stdout.isatty() and not args.plain:
        speed = 900.0  # a day in about half a minute: fast, but the live view stays readable
    if not 1 <= args.days <= 60:
        err("--days: between 1 and 60")
        return EXIT_CONFIG
    if args.days > 1 and not args.history:
        err("--days needs --history FILE (where to keep the simulated days)")
        return EXIT_CONFIG
    history = Path(args.history).expanduser() if args.history else None
    from sitwatch.runtime.files import history_path

    if history is not None and history.resolve() == history_path(cfg).resolve():
        err(f"{history} is your real history: pick another file for simulated days")
        return EXIT_CONFIG
    problem = history is not None and (output_problem(history, "--history", "demo.sqlite")
                                       or not_a_history(history))
    if problem:
        err(problem)
        return EXIT_CONFIG
    from sitwatch.history.store import StoreError
    from sitwatch.runtime.demo import DemoInterrupted

    src, flags = _settings_source(args)
    try:
        run_demo(
            layout=lay,
            seed=args.seed,
            script=args.script,
            speed=speed,
            live=False if args.plain else None,
            history=history,
            days=args.days,
            cfg=cfg,
            settings=_with_limit(src, durations.setting(cfg.detect.sit_limit)),
        )
    except StoreError as e:  # its folder cannot be made or written in
        err(str(e))
        return EXIT_FAIL
    except DemoInterrupted as e:  # Ctrl-C: say what is in the file, so the user knows
        err(_interrupted(history, e.reached))
        return EXIT_INTERRUPTED
    if history is not None:
        # the report takes its sitting limit from the config too: name the same one
        print(f"\nThe simulated history is in {history}; see it with "
              f"`sitwatch report --week --html --history {history}{flags}`.")
    return EXIT_OK


def _interrupted(history: Path | None, reached: datetime | None) -> str:
    """What a Ctrl-C left: the simulated time kept in ``history`` so far, or nothing."""
    from sitwatch.core.moments import when

    if history is None:
        return "stopped: nothing was kept (the demo's history was in a temporary folder)"
    if reached is None:
        return f"stopped before the simulated day began: nothing was written to {history}"
    return (f"stopped: {history} keeps the simulated time up to "
            f"{when(reached, datetime.now().astimezone())}, not the whole demo: `sitwatch "
            f"report --history {history}` shows it; delete the file to start afresh")


def _with_limit(src: str, limit: str) -> str:
    """The settings' source with the sitting limit in force, in one pair of brackets."""
    if src.endswith(")"):
        return f"{src[:-1]}; sitting limit {limit})"
    return f"{src} (sitting limit {limit})"


def _settings_source(args: argparse.Namespace) -> tuple[str, str]:
    """Where the demo's settings come from, in words, and the flags that give a later command
    the same ones ('' for the user's config file, as every command reads it by default)."""
    import shlex

    from sitwatch import config

    if getattr(args, "config", None):
        path = Path(args.config).expanduser()
        return f"the settings of {path}", f" --config {shlex.quote(str(path))}"
    if getattr(args, "no_user_config", False):
        return "the default settings", " --no-user-config"
    user = config.user_config_path()
    if user.is_file():
        return f"your settings from {user}", ""
    return "the default settings (no config file)", ""
