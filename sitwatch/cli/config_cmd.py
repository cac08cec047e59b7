"""``sitwatch config init | validate | show``: start a config file, check one, or print it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from sitwatch.cli.common import (
    EXIT_CONFIG,
    EXIT_FAIL,
    EXIT_OK,
    config_errors,
    config_source,
    err,
)

if TYPE_CHECKING:
    from sitwatch.config import Config


def init(dest: Path, *, force: bool) -> int:
    """Write the documented sample, creating the folder (owner-only: it may hold a password)."""
    from sitwatch import config
    from sitwatch.core.private import write_private

    if dest.exists() and not force:
        err(f"{dest} exists already; edit it, or pass --force to replace it with the sample")
        return EXIT_CONFIG
    try:
        write_private(dest, config.render())
    except OSError as e:
        err(f"cannot write {dest}: {e.strerror or e}")
        return EXIT_FAIL
    print(f"wrote {dest}")
    print("next: set cushion.port and cushion.layout in it (or camera.device), then "
          "`sitwatch config validate` and `sitwatch doctor`")
    return EXIT_OK


def run(args: argparse.Namespace) -> int:
    from sitwatch import config

    if args.action == "init":
        dest = Path(args.file or getattr(args, "config", None) or config.user_config_path())
        return init(dest.expanduser(), force=args.force)
    if args.action == "show" and args.defaults:
        sys.stdout.write(config.render())
        return EXIT_OK
    from sitwatch.sensing import layout

    src = args.file or config_source(args)
    try:
        cfg = config.load(src, use_user_file=False) if src else config.load(use_user_file=False)
        lay = layout.load(cfg.cushion.layout)
        cfg = config.for_layout(cfg, lay)  # what the daemon will use
    except config.ConfigError as e:
        return config_errors(e)
    except layout.LayoutError as e:
        return config_errors(config.ConfigError([f"{src or 'defaults'}: cushion.layout: {e}"]))
    if args.action == "validate":
        print(f"{src}: ok" if src else "defaults: ok (no config file)")
        return EXIT_OK
    sys.stdout.write(show(cfg, src, secrets=bool(getattr(args, "secrets", False))))
    return EXIT_OK


def show(cfg: Config, src: str | None, *, secrets: bool) -> str:
    """The config in force as TOML, saying where its values come from; secrets hidden unless
    ``secrets`` (the output ends up in terminals, bug reports and screen shares)."""
    import textwrap

    from sitwatch import config
    from sitwatch.config.redact import HIDDEN, SECRETS, redacted_config

    header = [
        "# The sitwatch configuration in force, from "
        + (f"{src}:" if src else "the defaults (no config file):"),
        "# every key with the value sitwatch uses (the default where the file sets none, or a",
        "# layout's own [detect] value). `sitwatch config show --defaults` prints the sample.",
    ]
    shown = cfg if secrets else redacted_config(cfg)
    if shown != cfg:
        note = (f'Secrets are shown as "{HIDDEN}": {SECRETS}. `sitwatch config show --secrets` '
                "shows them.")
        header += ["# " + line for line in textwrap.wrap(note, 88)]
    return config.render(shown, header=header)
