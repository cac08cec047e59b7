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

**Strict mode** (``nudges.buzzer.strict``, off by default): once a time-to-move nudge has gone
out, the buzzer repeats its command every ``strict_every`` seconds until the seat is empty (an
``occupancy`` event, state ``empty``). A snooze or a pause stops it as well: the daemon calls
:meth:`BuzzerSink.tick` on every turn of its loop with the time and whether nudges are held back
(snoozed or paused), since neither shows up as an event. The next time-to-move nudge arms it
again.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping

from sitwatch.config import Buzzer as BuzzerConfig
from sitwatch.core.events import NUDGE, NUDGE_ACK, OCCUPANCY, Event
from sitwatch.core.kinds import NUDGE_KINDS, NudgeAction, NudgeKind, Occupancy
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
        strict_every: float = 0.0,
    ) -> None:
        """``strict_every`` > 0: strict mode, repeating the time-to-move command that often
        (seconds) until the seat is empty."""
        self.write = write
        self.strict_every = strict_every
        self._strict_next: float | None = None  # strict mode armed: when to buzz again
        self.repeats = 0
        self.patterns = dict(patterns) if patterns is not None else parse_patterns(
            DEFAULT_PATTERNS)
        for kind, command in self.patterns.items():
            if not command.endswith(b"\n") or b"\n" in command[:-1]:
                raise ValueError(f"buzzer command for {kind} must be one line ending in \\n")
        self.log = log
        self.problems = Problems(self.log)
        self.sent = 0
        self.failed = 0

    @property
    def insisting(self) -> bool:
        """Strict mode is buzzing until the seat is empty."""
        return self._strict_next is not None

    def handle(self, event: Event) -> None:
        if event.event == OCCUPANCY and event.state == Occupancy.EMPTY:
            self._strict_next = None  # up: that is what the buzzing asked for
            return
        if event.event == NUDGE_ACK and event.get("action") in (NudgeAction.SNOOZE,
                                                                  NudgeAction.PAUSE):
            self._strict_next = None
            return
        if event.event != NUDGE:
            return
        kind = str(event.get("kind"))
        if self.strict_every > 0 and kind == NudgeKind.PROLONGED_SITTING:
            self._strict_next = event.t + self.strict_every
        self._send(self.patterns.get(kind))

    def tick(self, now: float, holding: bool = False) -> None:
        """Strict mode's clock: buzz again when due. ``holding``: nudges are snoozed or paused,
        which ends the buzzing (until the next time-to-move nudge)."""
        if self._strict_next is None:
            return
        if holding:
            self._strict_next = None
            return
        if now < self._strict_next:
            return
        self._strict_next = now + self.strict_every
        self.repeats += 1
        self._send(self.patterns.get(NudgeKind.PROLONGED_SITTING))

    def _send(self, command: bytes | None) -> None:
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
