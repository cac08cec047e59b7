"""Recordings: the wire format with a leading time column, behind a one-line header.

    # sitwatch-recording v1 layout=smartchair-12 hz=2
    0.000,2224,2073,...
    0.500,2234,2082,...

Files without a time column are read at a fixed rate (``hz=`` in the header or ``--hz``).
A recording of sitwatch's own simulator says so in its header (``source=simulate``:
``sitwatch simulate -o``, or ``sitwatch record`` on the simulator's pty), so a calibration
taken from it goes to the simulator's profile, not your cushion's; files without it are read
as a real cushion's, as before.
Any other ``#`` line is a comment; bad lines are dropped and counted like on the wire.

Plain CSV files whose first row names the columns (``p00,p01,...,p11,pose``) are read too: the
columns named like the layout's channels are the channels, in the layout's order; a column named
``t``, ``time``, ``timestamp`` or ``seconds`` is the time; the others (labels, notes) are left
out. A header row that does not name the layout's channels is refused with a message that says
so, rather than read as something it is not.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

from sitwatch.sensing.layout import Layout, LayoutError, builtin_names, load
from sitwatch.sensing.wire import LineParser

MAGIC = "# sitwatch-recording v1"
#: ``source=`` in the header of a recording of sitwatch's simulator
SIMULATOR = "simulate"
_KV = re.compile(r"(\w+)=(\S+)")


class RecordingError(ValueError):
    pass


@dataclass
class Header:
    layout: str | None = None
    hz: float | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def line(self) -> str:
        parts = [MAGIC]
        if self.layout:
            parts.append(f"layout={self.layout}")
        if self.hz:
            parts.append(f"hz={self.hz:g}")
        parts += [f"{k}={v}" for k, v in self.extra.items()]
        return " ".join(parts)

    @property
    def simulated(self) -> bool:
        """The recording came from sitwatch's simulator, not a cushion."""
        return self.extra.get("source") == SIMULATOR


def _open(path: Path, mode: str = "r") -> IO[Any]:
    """``path`` opened for reading; a RecordingError that says why when it cannot be."""
    try:
        if mode == "rb":
            return Path(path).open("rb")
        return Path(path).open("r", encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise RecordingError(f"{path}: no such recording") from None
    except IsADirectoryError:
        raise RecordingError(f"{path}: is a folder, not a recording") from None
    except OSError as e:
        raise RecordingError(f"{path}: cannot read it ({e.strerror or e})") from None


def read_header(path: Path) -> Header:
    """The header of a recording (empty when the file has none)."""
    with _open(path) as f:
        for line in f:
            s = line.strip()
            if not s:
                continue
            if s.startswith(MAGIC):
                kv = dict(_KV.findall(s[len(MAGIC) :]))
                hz = kv.pop("hz", None)
                try:
                    hz_f = float(hz) if hz else None
                except ValueError:
                    raise RecordingError(f"{path}: bad hz={hz!r} in the header") from None
                return Header(kv.pop("layout", None), hz_f, kv)
            if not s.startswith("#"):
                break
    return Header()


#: a CSV's time column, by its name: in milliseconds ...
MS_NAMES = ("time_ms", "timestamp_ms", "t_ms", "ms", "millis", "milliseconds")
#: ... or in seconds, unless its values say otherwise (:func:`time_column`)
TIME_NAMES = ("t", "time", "timestamp", "seconds", "time_s", "datetime", "date_time", *MS_NAMES)
EPOCH_S = 1e8  # a time this large is a clock's (seconds since 1970, 1973 on), not from the start
EPOCH_MS = 1e11  # ... and this large, milliseconds since 1970
MS_STEP = 5.0  # rows this many "seconds" apart (a cushion sending every 5 s) are milliseconds
TIME_SCAN = 200  # rows read ahead to tell a time column's unit


@dataclass(frozen=True)
class TimeColumn:
    """How a CSV's time column turns into seconds from the start: ``scale`` seconds a unit,
    ``origin`` (seconds) taken off, ``iso``: date-times (``2026-01-05T09:00:00.5``) rather than
    numbers; ``why``: what to tell the user when it is read any other way than seconds."""

    scale: float = 1.0
    origin: float = 0.0
    iso: bool = False
    why: str = ""

    def seconds(self, token: str) -> str:
        """``token`` as seconds from the start, for the wire parser (as it was when unreadable:
        the parser then counts the line)."""
        v = _iso_seconds(token) if self.iso else _number(token)
        return token if v is None else f"{v * self.scale - self.origin:.6f}"


def _number(token: str) -> float | None:
    try:
        v = float(token)
    except ValueError:
        return None
    return v if np.isfinite(v) else None


def _iso_seconds(token: str) -> float | None:
    from datetime import UTC, datetime

    try:
        d = datetime.fromisoformat(token.strip().strip('"'))
    except ValueError:
        return None
    if d.tzinfo is None:
        d = d.replace(tzinfo=UTC)  # only differences count
    return d.timestamp()


def time_column(name: str, tokens: list[str]) -> TimeColumn:
    """How to read a time column called ``name`` whose first rows hold ``tokens``. Seconds, as
    written, unless: the name says milliseconds (``time_ms``); the values are date-times, or
    seconds or milliseconds since 1970 (counted from the first row, so that ``--upright 10:70``
    means seconds into the recording); or the rows are :data:`MS_STEP` or more apart, which no
    cushion sends in seconds."""
    low = name.strip().strip('"').lower()
    nums = [v for v in map(_number, tokens) if v is not None]
    if not nums:
        isos = [v for v in map(_iso_seconds, tokens) if v is not None]
        if isos:
            return TimeColumn(1.0, isos[0], True, f"column {name!r} holds date-times: read as "
                              "seconds from the first row")
        return TimeColumn()
    first = nums[0]
    if low in MS_NAMES or first >= EPOCH_MS:
        origin = first / 1000 if first / 1000 >= EPOCH_S else 0.0
        since = ", counted from the first row" if origin else ""
        return TimeColumn(0.001, origin, False, f"column {name!r} read as milliseconds{since}")
    if first >= EPOCH_S:
        return TimeColumn(1.0, first, False, f"column {name!r} holds clock times (seconds since "
                          "1970): read as seconds from the first row")
    steps = np.diff(nums)
    if len(steps) and float(np.median(steps)) >= MS_STEP:
        return TimeColumn(0.001, 0.0, False, f"column {name!r} read as milliseconds (its rows "
                          f"are {float(np.median(steps)):g} apart, far too slow for seconds)")
    return TimeColumn()
_CSV_SPLIT = re.compile(r"\s*[,;\t]\s*|\s+")


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def column_map(path: Path, names: list[str], layout: Layout) -> tuple[int | None, list[int]]:
    """(time column or None, channel columns in layout order) for a CSV header row."""
    low = [n.strip().strip('"').lower() for n in names]
    time_col = next((i for i, n in enumerate(low) if n in TIME_NAMES), None)
    labels = [c.label.lower() for c in layout.channels]
    if all(lab in low for lab in labels):
        return time_col, [low.index(lab) for lab in labels]
    rest = [i for i in range(len(low)) if i != time_col]
    if len(rest) == layout.n:
        return time_col, rest
    shown = ", ".join(names[:16]) + (", ..." if len(names) > 16 else "")
    want = ", ".join(labels[:16]) + (", ..." if len(labels) > 16 else "")
    fits = _builtin_fitting(low)
    hint = (f"--layout {fits[0]}: its channels have these names" if len(fits) == 1 else
            f"--layout with the device that made it ({' or '.join(fits)} name these columns)"
            if fits else "--layout for the device that made it")
    raise RecordingError(
        f"{path}: its first row names {len(names)} columns ({shown}) and layout {layout.name} "
        f"has {layout.n} channels named {want}: name the channel columns like the layout's "
        f"(other columns are then left out), or pass {hint}"
    )


_GRID_CELL = re.compile(r"r(0|[1-9]\d{0,2})c(0|[1-9]\d{0,2})")


def grid_fitting(columns: list[str]) -> str | None:
    """``grid:RxC`` when ``columns`` (lower case) name every cell of an R x C matrix as that
    layout names them (``r0c0`` ... ``r9c14``), and no other cell: a matrix recorded with its
    cells named. None otherwise (a gap, or one cell named twice, is not a matrix this can
    place)."""
    cells = [m for c in columns if (m := _GRID_CELL.fullmatch(c))]
    if len(cells) < 2:
        return None
    at = {(int(m[1]), int(m[2])) for m in cells}
    rows = 1 + max(r for r, _ in at)
    cols = 1 + max(c for _, c in at)
    if len(at) != len(cells) or len(at) != rows * cols or rows > 128 or cols > 128:
        return None
    return f"grid:{rows}x{cols}"


def _builtin_fitting(columns: list[str]) -> list[str]:
    """The built-in layouts whose every channel is named among ``columns`` (lower case); a
    matrix's cells (``r0c0`` ...) fit a built-in matrix of their exact shape, which says its
    scale and wiring (matrix-16x16), else the plain ``grid:RxC``."""
    g = grid_fitting(columns)
    out = []
    for name in builtin_names():
        try:
            lay = load(name)
        except LayoutError:  # a built-in that cannot load is doctor's to report
            continue
        if lay.is_grid and g != f"grid:{lay.rows}x{lay.cols}":
            continue  # a bigger matrix names these cells too
        labels = [c.label.lower() for c in lay.channels]
        if labels and all(lab in columns for lab in labels):
            out.append(name)
    if g and not any(load(n).is_grid for n in out):
        out.append(g)
    return out


def _header_row(path: Path) -> list[str] | None:
    """The first data row's tokens when they are all column names (a wire line such as
    ``DATA: 1,2,3`` has numbers in it, so it is not taken for one)."""
    with _open(path) as f:
        for line in f:
            s = line.strip()
            if not s or s.startswith("#"):
                continue
            tokens = [x for x in _CSV_SPLIT.split(s) if x]
            named = len(tokens) >= 2 and not any(_is_number(x) for x in tokens)
            return tokens if named else None
    return None


def columns_layout(path: Path, configured: Layout) -> str | None:
    """The built-in layout a recording's first row names, when ``configured`` cannot read it:
    a file whose columns are ``p00 ... p11`` is the smartchair's, whatever layout the config
    names for your own cushion. None when the file says its layout in its header, has no row
    of names, fits ``configured``, or names no built-in layout (or more than one)."""
    if read_header(path).layout:
        return None
    names = _header_row(path)
    if not names:
        return None
    try:
        column_map(path, names, configured)
    except RecordingError:
        fits = _builtin_fitting([n.strip().strip('"').lower() for n in names])
        return fits[0] if len(fits) == 1 else None
    return None


def frames(
    path: Path, layout: Layout, hz: float | None = None, parser: LineParser | None = None,
    said: Callable[[str], None] | None = None,
) -> Iterator[tuple[float, np.ndarray]]:
    """Yield (t seconds, values) for every valid frame of a recording. Frames with no time are
    spaced by ``hz``, else the header's ``hz=``, else the layout's own rate (then ``said`` is
    told so, once)."""
    header = read_header(path)
    rate = hz or header.hz or layout.hz or None
    by_layout = not (hz or header.hz) and rate is not None
    parser = parser or LineParser(layout.n, layout.full_scale, time_unit="s")
    names = None if header.layout else _header_row(path)
    columns = column_map(path, names, layout) if names else None
    clock = _time_of(path, names, columns[0]) if names and columns else None
    if clock is not None and clock.why and said is not None:
        said(f"{path.name}: {clock.why}")
    i = 0
    last_t = -np.inf
    with _open(path, "rb") as f:
        if columns is not None:
            f.readline()  # the row of names
        for raw in f:
            if columns is not None:
                raw = _select(raw, *columns, clock)
            p = parser.feed(raw)
            if p is None:
                continue
            if p.timestamp is not None:
                t = p.timestamp
                if t < last_t:  # time going backwards: keep order, count it
                    parser.stats.dropped["time"] += 1
                    continue
            elif rate:
                if by_layout and said is not None and i == 0:
                    said(f"{path.name} has no time column: read at {rate:g} rows a second, "
                         f"layout {layout.name}'s rate (--hz sets another)")
                t = i / rate
            else:
                raise RecordingError(
                    f"{path}: no time column and no rate: add hz= to the header or pass --hz"
                )
            last_t = t
            i += 1
            yield t, p.values
    if i == 0:
        st = parser.stats
        seen = st.frames + st.dropped_total
        why = (f": none of its {seen} line{'s' if seen != 1 else ''} could be read "
               f"({unread_reasons(st, layout.n)})" if st.dropped_total else "")
        raise RecordingError(f"{path}: the recording holds no frames{why}")


def unread_reasons(stats: Any, n: int) -> str:
    """Why lines were dropped, for people: ``300 garbage`` or ``2 count; some lines have 3
    values, the layout takes 4 (5 with a time first)`` (``stats``: a LineParser's). A line's
    count includes its time, so both counts the layout takes are said: "151 values, the layout
    12" read as if the time were a reading."""
    reasons = ", ".join(f"{k} {why}" for why, k in stats.dropped.most_common())
    if stats.last_count_seen is not None and stats.last_count_seen not in (n, n + 1):
        reasons += (f"; some lines have {stats.last_count_seen} values, the layout takes {n} "
                    f"({n + 1} with a time first)")
    return reasons


def _tokens(raw: bytes) -> list[str]:
    return [x for x in _CSV_SPLIT.split(raw.decode("utf-8", "replace").strip()) if x != ""]


def _time_of(path: Path, names: list[str], time_col: int | None) -> TimeColumn | None:
    """How to read the time column ``time_col`` of a CSV (:func:`time_column`, from its first
    :data:`TIME_SCAN` rows); None without one."""
    if time_col is None:
        return None
    tokens: list[str] = []
    with _open(path, "rb") as f:
        f.readline()  # the row of names
        for raw in f:
            row = _tokens(raw)
            if len(row) > time_col and not row[0].startswith("#"):
                tokens.append(row[time_col])
            if len(tokens) >= TIME_SCAN:
                break
    return time_column(names[time_col], tokens)


def _select(raw: bytes, time_col: int | None, channels: list[int],
            clock: TimeColumn | None = None) -> bytes:
    """A CSV row cut down to [time,] channels, as a wire line (its time in seconds from the
    start, by ``clock``)."""
    tokens = _tokens(raw)
    if not tokens:
        return b""
    if tokens[0].startswith("#"):
        return raw  # a comment: the parser counts it
    try:
        picked = [tokens[time_col]] if time_col is not None else []
        picked += [tokens[c] for c in channels]
    except IndexError:
        return b"short row\n"  # counted as a bad line by the parser
    if clock is not None and picked:
        picked[0] = clock.seconds(picked[0])
    return (",".join(picked) + "\n").encode()


class Writer:
    """Append frames to a recording file (used by ``sitwatch record`` and the simulator)."""

    def __init__(
        self, out: IO[str], layout: Layout, hz: float | None = None, decimals: int = 3, **extra: str
    ) -> None:
        self.out = out
        self.decimals = decimals
        out.write(Header(layout.name, hz, dict(extra)).line() + "\n")

    def write(self, t: float, values: np.ndarray) -> None:
        vals = ",".join(f"{v:g}" for v in np.round(values, 2))
        self.out.write(f"{t:.{self.decimals}f},{vals}\n")
