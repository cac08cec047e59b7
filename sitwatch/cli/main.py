"""``sitwatch COMMAND``: parse the command line and dispatch through an explicit table.

Every command's arguments are defined in :mod:`sitwatch.cli.parser`; its handler imports the
command's module (``sitwatch/cli/<command>.py``, with ``run(args) -> int``) only when that
command runs, so ``sitwatch --help`` imports no machinery and cushion-only runs never load the
camera stack.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

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


def _parser_reached(top: argparse.ArgumentParser, words: Sequence[str]) -> argparse.ArgumentParser:
    """The parser of the (sub)command that ``words`` name: `service install ...` is install's."""
    current = top
    for word in words:
        subs = next((a for a in current._actions if isinstance(a, argparse._SubParsersAction)),
                    None)
        if subs is None:
            break
        if word in subs.choices:
            current = subs.choices[word]
    return current


def _refuse_unknown(where: argparse.ArgumentParser, extras: list[str]) -> NoReturn:
    """A usage error (exit 2) under the command the words went to, naming what it did not take
    and the option meant (argparse alone said `sitwatch: error: unrecognized arguments` under
    the usage of `sitwatch` itself)."""
    helps = f"`{where.prog} --help` lists what it takes"
    flag = next((w.split("=", 1)[0] for w in extras if w.startswith("-") and w != "-"), None)
    if flag is None:
        where.error(f"unexpected {', '.join(repr(w) for w in extras)}: {helps}")
    options = [o for a in where._actions for o in a.option_strings if o.startswith("--")]
    meant = difflib.get_close_matches(flag, options, n=1, cutoff=0.6)
    where.error(f"unknown option {flag}: " + (f"did you mean {meant[0]}?" if meant else helps))


def _takes_value(parser: argparse.ArgumentParser, flag: str) -> bool:
    """``flag`` is one of ``parser``'s options and takes its value as the next word."""
    action = parser._option_string_actions.get(flag)
    return action is not None and action.nargs not in (0, "?", "*")


def _refuse_mistyped_command(top: argparse.ArgumentParser, words: Sequence[str]) -> None:
    """A usage error (exit 2) naming the command meant when a command word is spelt nearly
    right (`sitwatch reprot`, `sitwatch service instal`); argparse alone listed every command
    and left the user to find it. A word like none is left to argparse's list."""
    current, i = top, 0
    while True:
        subs = next((a for a in current._actions if isinstance(a, argparse._SubParsersAction)
                     or (not a.option_strings and a.choices)), None)  # `service install`
        if subs is None or subs.choices is None:
            return
        while i < len(words) and words[i].startswith("-"):
            i += 1 + _takes_value(current, words[i])  # `--port /tmp/cushion`: not a word
        if i >= len(words):
            return
        word = words[i]
        if word not in subs.choices:
            meant = difflib.get_close_matches(word, list(subs.choices), n=1, cutoff=0.6)
            what = ("command" if isinstance(subs, argparse._SubParsersAction)
                    else subs.dest.replace("_", " "))
            if meant:
                current.error(f"unknown {what} {word!r}: did you mean {meant[0]}?")
            return
        if not isinstance(subs, argparse._SubParsersAction):
            return
        current, i = subs.choices[word], i + 1


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    words = sys.argv[1:] if argv is None else argv
    _refuse_mistyped_command(parser, words)
    args, extras = parser.parse_known_args(words)
    if extras:
        _refuse_unknown(_parser_reached(parser, words), extras)
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
