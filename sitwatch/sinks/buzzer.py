"""Buzzer sink: a nudge the sitter feels, sent back to the cushion over its serial line.

For each nudge the sink writes one command line to the cushion (docs/channels.md, "Buzzer",
is the firmware side):

- ``BUZZ <n>\\n``: ``n`` short beeps or pulses, 1 to 9;
- ``VIBE <on>,<off>,<on>...\\n``: a pattern of durations in milliseconds, starting with "on",
  1 to 16 values, each 10 to 5000.

The command for each nudge kind is configurable (:data:`DEFAULT_PATTERNS`); a kind without one is
not sent. ``write`` is whatever puts bytes on the cushion's line (the serial source's port).
A write that fails (cushion unplugged, write timeout) is logged once per distinct problem and
never raised; the next nudge tries again.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping

from sitwatch.config import Buzzer as BuzzerConfig
from sitwatch.core.events import NUDGE, Event
from sitwatch.core.kinds import NUDGE_KINDS, NudgeKind
from sitwatch.sinks.base import Problems

#: The command per kind when none is configured: the config's own defaults.
DEFAULT_PATTERNS: Mapping[NudgeKind, str] = BuzzerConfig().patterns

_MS = r"(?:[1-9]\d{1,2}|[1-4]\d{3}|5000)"  # 10 .. 5000
# The whole grammar in one regular expression (for a pydantic ``Field(pattern=...)``).
COMMAND_PATTERN = rf"^(?:BUZZ [1-9]|VIBE {_MS}(?:,{_MS}){{0,15}})$"
_BUZZ = re.compile(r"BUZZ ([1-9])")
_VIBE = re.compile(r"VIBE (\d{1,4}(?:,\d{1,4}){0,15})")
VIBE_MIN_MS, VIBE_MAX_MS = 10, 5000


def command_line(text: str) -> bytes:
    """A validated command as the bytes to send (with its newline); ValueError says why not."""
    s = text.strip()
    if _BUZZ.fullmatch(s):
        return (s + "\n").encode("ascii")
    m = _VIBE.fullmatch(s)
    if m:
        values = [int(v) for v in m.group(1).split(",")]
        if all(VIBE_MIN_MS <= v <= VIBE_MAX_MS for v in values):
            return (s + "\n").encode("ascii")
        raise ValueError(f"{text!r}: VIBE durations must be {VIBE_MIN_MS}..{VIBE_MAX_MS} ms")
    raise ValueError(f"{text!r}: expected 'BUZZ <1-9>' or 'VIBE <ms>[,<ms>...]' "
                     "(at most 16 durations)")


def parse_patterns(patterns: Mapping[NudgeKind, str] | Mapping[str, str]) -> dict[str, bytes]:
    """Config form ({kind: "VIBE 200,100,200"}) to the sink's form, keyed by
    :class:`~sitwatch.core.kinds.NudgeKind`; ValueError on a bad entry. An empty string turns a
    kind off."""
    out: dict[str, bytes] = {}
    for name, text in patterns.items():
        try:
            kind = NudgeKind(name)
        except ValueError:
            raise ValueError(f"{name!r} is not a nudge kind ({', '.join(NUDGE_KINDS)})") from None
        if text.strip():
            out[kind] = command_line(text)
    return out


class BuzzerSink:
    """Writes ``patterns[kind]`` to the cushion for every nudge; other events are ignored."""

    name = "buzzer"

    def __init__(
        self,
        write: Callable[[bytes], object],
        *,
        patterns: Mapping[str, bytes] | None = None,
        log: logging.Logger,
    ) -> None:
        self.write = write
        self.patterns = dict(patterns) if patterns is not None else parse_patterns(
            DEFAULT_PATTERNS)
        for kind, command in self.patterns.items():
            if not command.endswith(b"\n") or b"\n" in command[:-1]:
                raise ValueError(f"buzzer command for {kind} must be one line ending in \\n")
        self.log = log
        self.problems = Problems(self.log)
        self.sent = 0
        self.failed = 0

    def handle(self, event: Event) -> None:
        if event.event != NUDGE:
            return
        command = self.patterns.get(str(event.get("kind")))
        if command is None:
            return
        try:
            self.write(command)
        except (OSError, ValueError) as e:  # SerialException is an OSError; closed port: either
            self.failed += 1
            key = f"{type(e).__name__}: {e}"
            self.problems.report(key, f"buzzer: cannot write to the cushion ({key}); nudges "
                                 "still go to the other channels")
            return
        self.sent += 1
        self.problems.solved("buzzer: the cushion takes commands again")

    def close(self) -> None:
        pass
