"""``sitwatch config validate | show``: check the configuration or print it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sitwatch.cli.common import EXIT_OK, config_errors


def register(sub: Any) -> None:
    sp = sub.add_parser("config", help="validate or show the configuration")
    sp.add_argument("action", choices=["validate", "show"])
    sp.add_argument("file", nargs="?", help="config file to check")
    sp.add_argument("--defaults", action="store_true", help="show: the documented defaults")
    sp.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sitwatch import config

    if args.action == "show" and args.defaults:
        sys.stdout.write(config.render())
        return EXIT_OK
    from sitwatch.sensing import layout

    try:
        cfg = config.load(args.file or getattr(args, "config", None))
        lay = layout.load(cfg.cushion.layout)
        cfg = config.for_layout(cfg, lay)  # what the daemon will use
    except config.ConfigError as e:
        return config_errors(e)
    except layout.LayoutError as e:
        return config_errors(config.ConfigError([f"cushion.layout: {e}"]))
    if args.action == "validate":
        src = args.file or args.config or config.user_config_path()
        print(f"{src}: ok" if Path(src).exists() else "defaults: ok (no config file)")
        return EXIT_OK
    sys.stdout.write(config.render(cfg))
    return EXIT_OK
