"""Wire format v1: turning lines (or polled bytes) from a cushion into frames.

See docs/protocol.md for the format. The parser never raises on bad input: every line either
yields a frame, updates the declared shape, is a comment, or is dropped and counted by reason.

numpy is imported where a frame is made, not with the module: ``sitwatch bridge`` judges lines
here (``frames=False``) and passes them on without ever loading it (a Pi Zero's memory).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sitwatch.core.frozen import quick_init

if TYPE_CHECKING:
    import numpy as np

# An optional non-numeric tag before the numbers: "DATA:", "P,", "frame ", "S=" ...
_TAG = re.compile(r"^[A-Za-z_][\w.-]*\s*[:=,;\s]\s*")
_SPLIT = re.compile(r"[,;\s]+")
_DECL = re.compile(r"(\w+)\s*=\s*([^\s,;]+)")

# Drop reasons (stable names: they appear in status, logs and history).
GARBAGE = "garbage"  # not numbers at all (wrong baud rate, binary noise)
COUNT = "count"  # wrong number of values for the layout
NAN = "nan"  # NaN or infinite values
NEGATIVE = "negative"
RANGE = "range"  # above the layout's full scale
TOO_LONG = "too_long"
REASONS = (GARBAGE, COUNT, NAN, NEGATIVE, RANGE, TOO_LONG)

MAX_LINE = 8192
# The first bytes of a line that starts with a number (no tag, no comment, no blank)
_PLAIN_START = frozenset(bytes([c]) for c in b"0123456789+-.")
# A byte as an int: `bytes in bytes` first tries the needle as an int and swallows a TypeError
_MINUS = ord("-")
_DOT = ord(".")


@dataclass
class ParseStats:
    frames: int = 0
    comments: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    last_count_seen: int | None = None  # value count of the last line dropped for COUNT
    last_garbage: str = ""  # text as read, or the repr of bytes that were not ASCII

    @property
    def garbage_example(self) -> str:
        """The last garbage line, quoted once, for messages."""
        g = self.last_garbage
        return g if g.startswith(("b'", 'b"')) else repr(g)

    @property
    def dropped_total(self) -> int:
        return sum(self.dropped.values())

    def as_dict(self) -> dict[str, object]:
        return {
            "frames": self.frames,
            "comments": self.comments,
            "dropped": dict(self.dropped),
            "dropped_total": self.dropped_total,
        }


@quick_init  # one a frame
@dataclass(frozen=True)
class Parsed:
    values: np.ndarray
    timestamp: float | None  # seconds, from an optional leading time column


def _whole(line: bytes, parts: list[bytes]) -> list[float] | None:
    """Each part as a float if every one is a whole number without a sign: read by int(),
    several times faster than float(), and so known finite and not negative. None otherwise
    (the line goes the general way, which also reads a number too large for a float as
    infinite, where float(int()) raises)."""
    if _MINUS in line:  # (int() would make "-0" 0.0, where float() gives -0.0)
        return None
    if _DOT in line:  # a decimal point: int() refuses it (an exception costs ~1 us a line)
        return None
    try:
        return [*map(float, map(int, parts))]
    except (ValueError, OverflowError):
        return None


def _floats(parts: list[bytes]) -> list[float] | None:
    try:
        return [float(p) for p in parts]
    except ValueError:
        return None


class LineParser:
    """Stateful parser for one stream: it remembers shape declarations and counts drops.

    ``expected`` is the layout's channel count. A line with one value more than that carries a
    leading timestamp (seconds, or milliseconds after ``# time=ms``).

    ``frames=False``: lines are judged and counted as ever (``stats.frames`` counts those that
    would be frames) but no frame is made, so :meth:`feed` and :meth:`feed_bytes_frame` always
    return None and numpy is never imported (``sitwatch bridge`` passes the lines on as read).
    """

    def __init__(self, expected: int, full_scale: float, time_unit: str = "s", *,
                 frames: bool = True) -> None:
        self.expected = expected
        self.frames = frames
        self.full_scale = float(full_scale)
        self.time_scale = 1e-3 if time_unit == "ms" else 1.0
        self.stats = ParseStats()
        self.declared: int | None = None  # channel count declared by the stream
        self.header: dict[str, str] = {}

    # -- lines -----------------------------------------------------------------
    def feed(self, line: str | bytes) -> Parsed | None:
        if type(line) is bytes and len(line) <= MAX_LINE and line[:1] in _PLAIN_START:
            # The usual line (numbers and commas, as bytes from a port): float() reads bytes,
            # so there is no decoding. Any line this does not take whole, in the same way as
            # the general path below would, goes that way.
            n = line.count(b",") + 1  # (counted before splitting: a matrix goes the other way)
            if (n == self.expected or n == self.expected + 1) and 1 < n <= 64:
                fields = line.split(b",")
                whole = _whole(line, fields)
                if whole is not None:
                    return self._short(whole, n, whole=True)
                nums = _floats(fields)
                if nums is not None:
                    return self._short(nums, n)
        if isinstance(line, bytes):
            if len(line) > MAX_LINE:
                return self._drop(TOO_LONG)
            try:
                line = line.decode("ascii")
            except UnicodeDecodeError:
                self.stats.last_garbage = repr(line[:40])
                return self._drop(GARBAGE)
        elif len(line) > MAX_LINE:
            return self._drop(TOO_LONG)
        s = line.strip()
        if not s:
            return None
        if s[0] == "#":
            self._comment(s)
            return None
        c0 = s[0]
        if not (c0.isdigit() or c0 in "+-."):
            m = _TAG.match(s)
            if m is None:
                self.stats.last_garbage = s[:40]
                return self._drop(GARBAGE)
            s = s[m.end() :]
        if ";" in s or " " in s or "\t" in s:
            parts = _SPLIT.split(s)
        else:
            parts = s.split(",")
            if "" in parts:  # a run of separators counts as one, as with the other separators
                parts = [p for p in parts if p]
        if parts and parts[-1] == "":
            parts.pop()
        n = len(parts)
        if n == 1 and self.expected >= 4 and len(parts[0]) == self.expected and parts[0].isdigit():
            # One packed digit per channel (e.g. a 10x15 matrix as a 150-digit line).
            if not self.frames:
                return self._short([float(d) for d in parts[0]], self.expected)
            import numpy as np

            vals = np.frombuffer(parts[0].encode(), dtype=np.uint8).astype(float) - 48.0
            return self._accept(vals, None)
        if n > 64 and self.frames:
            return self._long(parts, s)
        try:
            nums = [float(p) for p in parts]
        except ValueError:
            self.stats.last_garbage = s[:40]
            return self._drop(GARBAGE)
        return self._short(nums, n)

    def _short(self, nums: list[float], n: int, whole: bool = False) -> Parsed | None:
        """The numbers of a line of at most 64 values (a timestamp first, if there is one more
        than the layout's channels). ``whole``: they are whole numbers without a sign
        (:func:`_whole`), so they need no check for NaN or for being negative."""
        ts = None
        if n == self.expected + 1:
            ts = nums.pop(0) * self.time_scale
        elif n != self.expected:
            self.stats.last_count_seen = n
            return self._drop(COUNT)
        # plain Python is quicker than numpy for short frames
        if not whole:
            if not math.isfinite(sum(nums)) or (ts is not None and not math.isfinite(ts)):
                return self._drop(NAN)
            if min(nums) < 0:
                return self._drop(NEGATIVE)
        if max(nums) > self.full_scale:
            return self._drop(RANGE)
        self.stats.frames += 1
        if not self.frames:
            return None
        import numpy as np  # (once loaded, about 0.1 us a frame)

        return Parsed(np.array(nums), ts)

    def _long(self, parts: list[str], s: str) -> Parsed | None:
        """Matrix frames: numpy converts integer text about twice as fast as float()."""
        import numpy as np

        whole = True  # read as integers: known finite
        try:
            vals = np.array(parts, dtype=np.int64).astype(float)
        except (ValueError, OverflowError):
            whole = False
            try:
                vals = np.array(parts, dtype=float)
            except ValueError:
                self.stats.last_garbage = s[:40]
                return self._drop(GARBAGE)
        n = len(vals)
        ts = None
        if n == self.expected + 1:
            ts = float(vals[0]) * self.time_scale
            vals = vals[1:]
        elif n != self.expected:
            self.stats.last_count_seen = n
            return self._drop(COUNT)
        return self._accept(vals, ts, finite=whole)

    def feed_bytes_frame(self, data: bytes) -> Parsed | None:
        """A binary frame: one unsigned byte per channel (polled matrix readers)."""
        if len(data) != self.expected:
            self.stats.last_count_seen = len(data)
            return self._drop(COUNT)
        if not self.frames:
            return self._short([float(b) for b in data], self.expected)
        import numpy as np

        return self._accept(np.frombuffer(data, dtype=np.uint8).astype(float), None,
                            finite=True, unsigned=True)

    # -- internals -------------------------------------------------------------
    def _accept(self, vals: np.ndarray, ts: float | None, *, finite: bool = False,
                unsigned: bool = False) -> Parsed | None:
        """A frame of values if they are in range. ``finite``: read from integers, so known
        finite (timestamp too); ``unsigned``: from unsigned bytes, so known not negative. A
        matrix's pass over its cells is saved for each (of a 16x16 frame's instructions, bytes
        to events: 2% for text, 10% for binary)."""
        import numpy as np

        if not finite:
            if ts is not None and not np.isfinite(ts):
                return self._drop(NAN)
            if not np.isfinite(vals).all():
                return self._drop(NAN)
        if not unsigned and vals.min() < 0:
            return self._drop(NEGATIVE)
        if vals.max() > self.full_scale:
            return self._drop(RANGE)
        self.stats.frames += 1
        return Parsed(vals, ts)

    def _drop(self, reason: str) -> Parsed | None:
        """Count a dropped line; always None (so callers can ``return self._drop(...)``)."""
        self.stats.dropped[reason] += 1
        return None

    def _comment(self, s: str) -> None:
        self.stats.comments += 1
        decl = dict(_DECL.findall(s))
        if not decl:
            return
        self.header.update(decl)
        try:
            if "rows" in decl and "cols" in decl:
                self.declared = int(decl["rows"]) * int(decl["cols"])
            elif "channels" in decl:
                self.declared = int(decl["channels"])
        except ValueError:
            pass
        if decl.get("time") in ("ms", "s"):
            self.time_scale = 1e-3 if decl["time"] == "ms" else 1.0

    def diagnose(self, bytes_seen: int) -> str:
        """Explain why no valid frame arrived (used after the no-data timeout)."""
        st = self.stats
        if bytes_seen == 0:
            return "no data at all from the device: is it powered and sending? right port?"
        if self.declared is not None and self.declared != self.expected:
            return (
                f"wrong layout: the device declares {self.declared} channels, "
                f"the layout has {self.expected}"
            )
        if not st.dropped:
            return "data arrives but no complete line: check the line ending (\\n) and baud rate"
        reason, _ = st.dropped.most_common(1)[0]
        if reason in (GARBAGE, TOO_LONG):
            return f"lines are not numbers (e.g. {st.garbage_example}): wrong baud rate?"
        if reason == COUNT:
            return f"wrong layout: got {st.last_count_seen} values, layout has {self.expected}"
        if reason == RANGE:
            return (
                f"values above the layout's full scale ({self.full_scale:g}): "
                "set full_scale in a layout file (`sitwatch docs protocol`, \"A matrix of your "
                "own: a layout file\")"
            )
        if reason == NEGATIVE:
            return "negative values: the device sends signed readings; tare it in firmware"
        return "values are NaN or infinite: check the sensor firmware"


def byte_line(frame: bytes) -> bytes:
    """A binary frame (one byte per channel) as the text line a cushion would send for it."""
    return ",".join(map(str, frame)).encode("ascii")


def format_lines(frames: np.ndarray) -> list[str]:
    """Frames as wire-format v1 lines (whole numbers, comma-separated): what a cushion sends."""
    import numpy as np

    return [",".join(row) for row in np.asarray(frames, dtype=np.int64).astype(str).tolist()]
