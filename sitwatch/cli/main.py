"""``sitwatch COMMAND``: parse the command line and dispatch through an explicit table.

Every command's arguments are defined in :mod:`sitwatch.cli.parser`; its handler imports the
command's module (``sitwatch/cli/<command>.py``, with ``run(args) -> int``) only when that
command runs, so ``sitwatch --help`` imports no machinery and cushion-only runs never load the
camera stack.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import Any

from sitwatch import __version__
from sitwatch.cli import camera_flags, parser
from sitwatch.cli.common import EXIT_INTERRUPTED, EXIT_OK

# In the order `sitwatch --help` lists them. Each adds its parser (sitwatch/cli/parser.py) and
# points it at a handler that imports the command's own module (sitwatch/cli/<command>.py).
COMMANDS: tuple[Callable[[Any], None], ...] = (
    parser.add_run,
    parser.add_demo,
    parser.add_replay,
    parser.add_record,
    parser.add_simulate,
    parser.add_calibrate,
    parser.add_status,
    parser.add_control,  # snooze, pause, resume
    parser.add_feedback,  # feedback wrong | reset | show
    parser.add_doctor,
    parser.add_service,
    parser.add_companion,  # another machine's nudges on this desktop, over MQTT
    parser.add_bridge,  # this machine's serial cushion, for another machine's sitwatch
    parser.add_report,
    parser.add_export,  # per-minute rollups, events and the diary as CSV/JSON (issue #11)
    parser.add_log,  # the symptom diary (issue #11)
    parser.add_report_send,  # the weekly timer's sending half (issue #11)
    parser.add_serve,  # the local web app (issue #11)
    camera_flags.register_model,  # model fetch | path
    parser.add_eval,
    parser.add_config,
    parser.add_layouts,
    parser.add_guidance,
    parser.add_docs,  # `sitwatch docs NAME`, as messages name documents, wherever installed
)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="sitwatch",
        description="Watch how you sit on a pressure-sensing cushion and get nudged at the right "
        "moment. A wellness tool, not a medical device.",
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    p.set_defaults(config=None, no_user_config=False, verbose=0)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        metavar="FILE",
        default=argparse.SUPPRESS,
        help="config file (default: ~/.config/sitwatch/sitwatch.toml)",
    )
    common.add_argument(
        "--no-user-config",
        action="store_true",
        default=argparse.SUPPRESS,
        help="ignore the user's config file",
    )
    common.add_argument(
        "-v", "--verbose", action="count", default=argparse.SUPPRESS, help="more log output"
    )
    for a in common._actions:
        p._add_action(a)
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    _add = sub.add_parser

    def add_parser(name: str, **kw: Any) -> argparse.ArgumentParser:
        return _add(name, parents=[common], **kw)

    sub.add_parser = add_parser  # type: ignore[method-assign]
    for register in COMMANDS:
        register(sub)
    # a command's own subcommands (`feedback wrong`) take them too: `sitwatch feedback show
    # --config F` was a usage error while `sitwatch report --config F` worked
    for cmd in sub.choices.values():
        for action in cmd._actions:
            if isinstance(action, argparse._SubParsersAction):
                for nested in action.choices.values():
                    for a in common._actions:
                        nested._add_action(a)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_OK
    import logging

    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    try:
        code = int(args.func(args))
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
        return code
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`sitwatch status --json | head -c 10`): not an error of ours.
        # Point stdout at /dev/null so the interpreter's last flush does not complain either.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
