"""Sensor layouts: where each channel of a cushion or chair sits.

A layout maps channel ``i`` to a surface (``seat`` or ``back``) and a position on it.
On the seat ``x`` runs from -1 (the sitter's left) to +1 (their right) and ``y`` from -1 (rear,
next to the backrest) to +1 (front edge). On the backrest ``x`` is the same and ``y`` runs from
-1 (bottom, lumbar) to +1 (top, shoulders).

Layouts are TOML files (see ``calibration/layouts/``), a built-in name (the file name without
``.toml``), or ``grid:RxC`` for a seat matrix with row 0 at the rear and column 0 at the left.

Readings and loads. Most devices send a reading that rises with the load. Some fall instead (a
force-sensing resistor at the bottom of a voltage divider reads about full scale on an empty
seat, near 0 under a heavy one); their layout says ``transform = "inverted"``, and
:meth:`Layout.to_load` turns a reading into ``full_scale - reading``. The cushion pipeline calls
it once on every frame, before channel health, features, calibration and the detectors, so
nothing downstream knows the difference. What is stored stays as the device sent it: a layout's
``full_scale`` and ``zero`` and a calibration profile's arrays are readings, converted where
they are read (the inversion is its own inverse, so :meth:`Layout.to_reading` is the same map).

Pads read through a divider. An FSR's or a velostat cell's conductance follows the force, and a
voltage divider turns it into a reading that is steep under a light load and flat under a heavy
one: a sideways lean that moves weight between two loaded pads barely moves their readings
(fsr-cushion-9's second session: leans of 0.16-0.18 against a threshold of 0.25; simulated
sitters on such pads: 10 of 23 had their leans flagged). A layout says ``divider = k`` (the
load, as a share of full scale, that reads half scale) and :meth:`Layout.to_load` undoes the
curve, ``x = k y / (1 + k - y)``, after any inversion. The result stays on the 0..full_scale
range (an unloaded pad 0, one at full scale full scale), so the wire's range check and every
load-relative constant (occupancy before calibration, contact, health, the wallet's floor) hold
as they are; a pad at full scale is still a saturated one. Unlike a bare conductance
``(full_scale - reading) / reading``, it needs no cap. The shipped fsr-cushion-9 layout
declares ``divider = 0.1`` (the nominal figure, not fitted): its leans are all found that way,
and the seat-only half-lying rule reads the undone loads (docs/accuracy.md).

Load cells under a plate. Pads and matrix cells lie under the body: each reads the pressure where
it sits, and "the whole load on one side's sensors" is a full sideways shift. Load cells at the
corners of a rigid seat plate (or under a chair's legs) lie outside the body: each carries a
share of the *whole* load by the lever rule, so together they give the body's own centre of
pressure, and that centre can only move as far as the body's load reaches, a fraction of the way
to the cells. A ``[plate]`` table says so (:class:`Plate`): ``body_x`` and ``body_y`` are how far
out a sitter's load lies, as a share of the way from the middle to the cells, and the detectors
measure sideways and fore-aft moves on that scale instead of the cells' own positions.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeGuard

if TYPE_CHECKING:  # imported where the arrays are made: `sitwatch bridge` only loads a layout
    import numpy as np

Surface = Literal["seat", "back"]
SURFACES: tuple[Surface, ...] = ("seat", "back")
Transform = Literal["none", "inverted"]
TRANSFORMS: tuple[Transform, ...] = ("none", "inverted")


#: A typical sitter's load between corner load cells (``[plate]``'s defaults): on a seat plate
#: about 44 cm square with a cell under each corner (22 cm from the middle), the sit bones sit
#: 6-7 cm either side of the middle and the thighs' centres about 10 cm, the buttocks carrying
#: more than the thighs: the load's mean distance from the middle is about 9 cm sideways (0.4)
#: and 10-11 cm front to back (0.5). The simulator's average body gives 0.42 and 0.45.
PLATE_BODY_X, PLATE_BODY_Y = 0.4, 0.5


class LayoutError(ValueError):
    """A layout file or name that cannot be used; the message says what to fix."""


@dataclass(frozen=True)
class Channel:
    index: int
    surface: Surface
    x: float
    y: float
    label: str


@dataclass(frozen=True)
class Plate:
    """The seat channels are load cells under a rigid plate (``[plate]`` in a layout file), and
    where a sitter's load lies between them: ``body_x`` (sideways) and ``body_y`` (front to
    back), each the load's mean distance from the middle as a share of the way to the cells."""

    body_x: float = PLATE_BODY_X
    body_y: float = PLATE_BODY_Y


@dataclass(frozen=True)
class Layout:
    name: str
    channels: tuple[Channel, ...]
    full_scale: float = 4095.0
    description: str = ""
    rows: int | None = None  # set for seat matrices
    cols: int | None = None
    source: str = field(default="", compare=False)
    zero: float = 0.0  # the reading of an unloaded sensor (the tare until calibration finds one)
    # Detection defaults that suit this device better than the office-chair ones (a ``[detect]``
    # table shaped like the config's); the user's own config still wins, key by key.
    detect: dict[str, Any] = field(default_factory=dict, compare=False)
    # "inverted": the reading falls as the load rises (load = full_scale - reading)
    transform: Transform = "none"
    # The seat channels are load cells under a plate, and where a body's load lies between them
    plate: Plate | None = None
    # The pads are read through a voltage divider: the load (a share of full scale) that reads
    # half scale; 0: the reading follows the load linearly (see to_load)
    divider: float = 0.0
    # Rows a second this device sends: the rate of one of its recordings that has no time
    # column and no ``hz=`` (0: unknown; then --hz must say it)
    hz: float = 0.0

    def __post_init__(self) -> None:
        if not self.channels:
            raise LayoutError(f"layout {self.name!r} has no channels")
        if self.full_scale <= 0:
            raise LayoutError(f"layout {self.name!r}: full_scale must be > 0")
        if self.transform not in TRANSFORMS:
            raise LayoutError(
                f"layout {self.name!r}: transform = {self.transform!r}: must be one of "
                f"{', '.join(repr(t) for t in TRANSFORMS)}"
            )
        if not 0.0 <= self.divider <= 1.0:
            raise LayoutError(f"layout {self.name!r}: divider = {self.divider:g}: must be "
                              "between 0 (linear) and 1")
        if not any(c.surface == "seat" for c in self.channels):
            raise LayoutError(f"layout {self.name!r} has no seat channel; at least one is needed")
        if self.plate is not None and (
            self.is_grid or sum(c.surface == "seat" for c in self.channels) < 3
        ):
            raise LayoutError(
                f"layout {self.name!r}: [plate] is for three or more load cells under a seat "
                "plate; a matrix or fewer seat channels cannot be one (remove [plate])"
            )

    @property
    def n(self) -> int:
        return len(self.channels)

    @property
    def inverted(self) -> bool:
        return self.transform == "inverted"

    @property
    def converts(self) -> bool:
        """Whether readings need :meth:`to_load` at all (inverted, or read through a divider)."""
        return self.transform != "none" or self.divider > 0

    def to_load(self, reading: np.ndarray) -> np.ndarray:
        """The device's readings (one frame, or frames x channels) as loads that rise with the
        force: unchanged (the same array) unless the layout is inverted or says ``divider``.

        ``divider = k``: the pads (FSRs, velostat) are read through a voltage divider, whose
        reading follows their conductance as ``y = x (1 + k) / (x + k)`` (``x`` the load, ``y``
        the reading, both as shares of full scale): steep under a light load, flat under a
        heavy one, where a sideways lean barely moves a loaded pad. Its inverse,
        ``x = k y / (1 + k - y)``, gives the load back on the same 0..full_scale range (an
        empty pad 0, one at full scale full scale), so every load-relative constant still
        holds."""
        import numpy as np

        out = np.asarray(reading, dtype=float)
        if self.transform == "inverted":
            out = self.full_scale - out
        elif not self.divider:
            return reading
        if self.divider:
            fs, k = self.full_scale, self.divider
            y = np.clip(out / fs, 0.0, 1.0)
            out = fs * k * y / (1.0 + k - y)
        return out

    def to_reading(self, load: np.ndarray) -> np.ndarray:
        """The inverse of :meth:`to_load`: loads back to what the device would send (what a
        calibration profile stores)."""
        if not self.divider:
            return self.to_load(load)  # inverting is its own inverse
        import numpy as np

        fs, k = self.full_scale, self.divider
        x = np.clip(np.asarray(load, dtype=float) / fs, 0.0, 1.0)
        out = fs * x * (1.0 + k) / (x + k)
        return self.full_scale - out if self.transform == "inverted" else out

    @property
    def zero_load(self) -> float:
        """The load an unloaded sensor reports: ``zero`` taken through :meth:`to_load`."""
        import numpy as np

        return float(self.to_load(np.asarray(self.zero, dtype=float)))

    @property
    def is_grid(self) -> bool:
        return self.rows is not None and self.cols is not None

    def where(self, label: str) -> str:
        """Where a channel sits, in words a person can find it by: ``"seat, rear left"``,
        ``"backrest, lower right"``, ``"seat, rear centre"``, ``"seat, centre"`` (thirds front
        to back, the middle fifth across; the sitter's left and right). An unknown label:
        ``""``."""
        ch = next((c for c in self.channels if c.label == label), None)
        if ch is None:
            return ""
        along = ("rear", "middle", "front") if ch.surface == "seat" else ("lower", "middle",
                                                                           "upper")
        row = along[0] if ch.y < -1 / 3 else along[2] if ch.y > 1 / 3 else ""
        side = "left" if ch.x < -0.2 else "right" if ch.x > 0.2 else ""
        spot = (f"{row or 'middle'} {side}" if side else f"{row} centre" if row else "centre")
        return f"{'seat' if ch.surface == 'seat' else 'backrest'}, {spot}"

    @cached_property
    def seat_mask(self) -> np.ndarray:
        import numpy as np

        return np.array([c.surface == "seat" for c in self.channels])

    @cached_property
    def back_mask(self) -> np.ndarray:
        return ~self.seat_mask

    @cached_property
    def x(self) -> np.ndarray:
        import numpy as np

        return np.array([c.x for c in self.channels], dtype=float)

    @cached_property
    def y(self) -> np.ndarray:
        import numpy as np

        return np.array([c.y for c in self.channels], dtype=float)

    @cached_property
    def mirror(self) -> np.ndarray:
        """Index of each channel's left/right mirror on the same surface (-1 when none)."""
        import numpy as np

        out = np.full(self.n, -1, dtype=int)
        for c in self.channels:
            if abs(c.x) < 1e-6:
                continue
            best, best_d = -1, 0.35
            for o in self.channels:
                if o.surface != c.surface or o.index == c.index or (o.x > 0) == (c.x > 0):
                    continue
                d = abs(o.x + c.x) + abs(o.y - c.y)
                if d < best_d:
                    best, best_d = o.index, d
            out[c.index] = best
        return out

    def summary(self) -> str:
        seat = int(self.seat_mask.sum())
        back = self.n - seat
        shape = ""
        if self.is_grid:
            first = self.channels[0]  # a [grid] file may number it from the front or the right
            where = [f"{self.rows}x{self.cols} matrix"]
            if self.rows != 1:
                where.append(f"row 0 at the {'front' if first.y > 0 else 'rear'}")
            if self.cols != 1:
                where.append(f"column 0 on the sitter's {'right' if first.x > 0 else 'left'}")
            shape = f" ({', '.join(where)})"
        falls = ", reading falls as the load rises" if self.inverted else ""
        if self.divider:
            falls += f", read through a divider (half scale at {self.divider:g} of full scale)"
        cells = "" if self.plate is None else (
            f", load cells under a plate (body_x {self.plate.body_x:g}, body_y "
            f"{self.plate.body_y:g})")
        return f"{self.name}: {self.n} channels, {seat} seat + {back} backrest{shape}{falls}{cells}"


def grid(rows: int, cols: int, full_scale: float = 255.0) -> Layout:
    """A seat matrix, row 0 at the rear and column 0 at the sitter's left."""
    if not (1 <= rows <= 128 and 1 <= cols <= 128):
        raise LayoutError(f"grid:{rows}x{cols}: rows and cols must be 1..128")
    chans = []
    for r in range(rows):
        for c in range(cols):
            x = -1 + (2 * c + 1) / cols
            y = -1 + (2 * r + 1) / rows
            chans.append(Channel(r * cols + c, "seat", x, y, f"r{r}c{c}"))
    return Layout(
        name=f"grid:{rows}x{cols}",
        channels=tuple(chans),
        full_scale=full_scale,
        description=f"{rows}x{cols} seat matrix",
        rows=rows,
        cols=cols,
        source="built-in",
    )


def builtin_names() -> list[str]:
    files = resources.files("sitwatch.data").joinpath("layouts")
    return sorted(p.name[:-5] for p in files.iterdir() if p.name.endswith(".toml"))


def load(spec: str | Path) -> Layout:
    """Resolve a layout: ``grid:RxC``, a built-in name, or a path to a TOML file."""
    s = str(spec).strip()
    if s.startswith("grid:"):
        try:
            r, c = s[5:].lower().split("x")
            return grid(int(r), int(c))
        except ValueError:
            raise LayoutError(
                f"bad grid layout {s!r}: write grid:ROWSxCOLS, e.g. grid:16x16"
            ) from None
    path = Path(s).expanduser()
    if path.suffix == ".toml" or path.exists():
        if path.is_dir():
            raise LayoutError(f"{path} is a folder, not a layout file: name a .toml file "
                              "in it, a built-in layout (sitwatch layouts) or grid:RxC")
        if not path.is_file():
            raise LayoutError(f"layout file {path} does not exist")
        try:
            data = path.read_bytes()
        except OSError as e:
            raise LayoutError(f"{path}: cannot read: {e.strerror or e}") from None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            line = data[: e.start].count(b"\n") + 1
            raise LayoutError(
                f"{path}: line {line}: not UTF-8 text (byte 0x{data[e.start]:02x}); layout "
                "files are TOML, which is UTF-8: save it as UTF-8"
            ) from None
        return parse(text, str(path))
    res = resources.files("sitwatch.data").joinpath("layouts", f"{s}.toml")
    if res.is_file():
        return parse(res.read_text(encoding="utf-8"), f"built-in layout {s}")
    known = ", ".join(builtin_names())
    raise LayoutError(f"unknown layout {s!r}: use a file path, grid:RxC, or one of: {known}")


def absolute_spec(spec: str) -> str:
    """``spec`` as :func:`load` finds it from any working directory: a layout file by its
    absolute path, a built-in name or ``grid:RxC`` as it is. The daemon's status file names its
    layout this way, for commands run elsewhere (``sitwatch feedback``)."""
    s = str(spec).strip()
    if s.startswith("grid:"):
        return s
    path = Path(s).expanduser()
    if path.suffix == ".toml" or path.exists():
        return str(path.absolute())
    return s


def _is_number(v: object) -> TypeGuard[int | float]:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _number(doc: dict[str, Any], key: str, origin: str, default: float, what: str) -> float:
    """A finite number from the layout's top level, or a LayoutError naming the key."""
    v = doc.get(key, default)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise LayoutError(f"{origin}: {key} = {v!r:.40}: must be a number ({what})")
    return float(v)


def _within(doc: dict[str, Any], key: str, origin: str, top: float, what: str,
            between: str) -> float:
    """An optional number from 0 (its default) to ``top``, or a LayoutError naming the key
    (``between``: the range in words, with an example)."""
    v = _number(doc, key, origin, 0.0, what)
    if not 0 <= v <= top:
        raise LayoutError(f"{origin}: {key} = {v:g}: must be between {between}")
    return v


def parse(text: str, origin: str = "<string>") -> Layout:
    """A layout from TOML text; any problem raises :class:`LayoutError` naming ``origin``
    and the key."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise LayoutError(f"{origin}: not valid TOML ({e})") from None
    except RecursionError:
        raise LayoutError(f"{origin}: not valid TOML (nested too deeply)") from None
    allowed = {"name", "description", "full_scale", "zero", "transform", "divider", "grid",
               "channels", "detect", "plate", "hz"}
    extra = set(doc) - allowed
    if extra:
        raise LayoutError(f"{origin}: unknown key(s) {sorted(extra)}; allowed: {sorted(allowed)}")
    name = doc.get("name") or Path(origin).stem
    if not isinstance(name, str):
        raise LayoutError(
            f"{origin}: name = {name!r:.40}: must be a string, e.g. name = \"my-chair\""
        )
    description = doc.get("description", "")
    if not isinstance(description, str):
        raise LayoutError(f"{origin}: description must be a string")
    full_scale = _number(doc, "full_scale", origin, 4095.0,
                         "the largest reading the device sends, e.g. full_scale = 4095")
    if full_scale <= 0:
        raise LayoutError(f"{origin}: full_scale = {full_scale:g}: must be above 0 (the largest "
                          "reading the device sends, e.g. 4095)")
    transform = doc.get("transform", "none")
    if transform not in TRANSFORMS:
        raise LayoutError(
            f"{origin}: transform = {transform!r}: must be \"none\" (the reading rises with the "
            "load) or \"inverted\" (it falls as the load rises: load = full_scale - reading)"
        )
    inverted: bool = transform == "inverted"
    kind: Transform = "inverted" if inverted else "none"
    # zero is the reading of an unloaded sensor: near 0 usually, near full_scale when inverted
    zero = _number(doc, "zero", origin, full_scale if inverted else 0.0,
                   "the reading of an unloaded sensor")
    if not (0 < zero <= full_scale if inverted else 0 <= zero < full_scale):
        raise LayoutError(
            f"{origin}: zero = {zero:g} must be between 0 and full_scale"
            + (" (the reading of an unloaded sensor; above 0 when inverted)" if inverted else "")
        )
    divider = _within(doc, "divider", origin, 1.0,
                      "the load, as a share of full scale, at which pads read through a voltage "
                      "divider read half scale, e.g. divider = 0.1; 0 for a linear reading",
                      "0 (the reading follows the load linearly) and 1, e.g. divider = 0.1")
    hz = _within(doc, "hz", origin, 10000.0,
                 "the rows a second the device sends, for its recordings with no time column, "
                 "e.g. hz = 10; 0 for unknown",
                 "0 (unknown) and 10000 rows a second, e.g. hz = 10")
    detect = doc.get("detect", {})
    if not isinstance(detect, dict) or not all(isinstance(v, dict) for v in detect.values()):
        raise LayoutError(
            f"{origin}: [detect] must hold tables shaped like the config's, "
            "e.g. [detect.balance] with threshold = 0.1"
        )
    plate = _plate(doc, origin)
    if "grid" in doc:
        if plate is not None:
            raise LayoutError(f"{origin}: [plate] is for load cells under a seat plate, not a "
                              "[grid] matrix (a matrix lies under the body): remove one of them")
        g = doc["grid"]
        if not isinstance(g, dict) or not all(
            isinstance(g.get(k), int) and not isinstance(g.get(k), bool) for k in ("rows", "cols")
        ):
            raise LayoutError(f"{origin}: [grid] needs integer rows and cols, e.g. rows = 16")
        bad = set(g) - {"rows", "cols", "first_row", "first_col"}
        if bad:
            raise LayoutError(f"{origin}: [grid]: unknown key(s) {sorted(bad)}; allowed: rows, "
                              "cols, first_row, first_col")
        for key, ok in (("first_row", ("rear", "front")), ("first_col", ("left", "right"))):
            if g.get(key, ok[0]) not in ok:
                raise LayoutError(f"{origin}: [grid] {key} = {g[key]!r:.40}: must be "
                                  f"{ok[0]!r} or {ok[1]!r}")
        base = grid(g["rows"], g["cols"], full_scale)
        chans = base.channels
        if g.get("first_row", "rear") == "front":
            chans = tuple(Channel(c.index, c.surface, c.x, -c.y, c.label) for c in chans)
        if g.get("first_col", "left") == "right":
            chans = tuple(Channel(c.index, c.surface, -c.x, c.y, c.label) for c in chans)
        return Layout(
            name,
            chans,
            full_scale,
            description,
            base.rows,
            base.cols,
            origin,
            zero,
            detect,
            kind,
            divider=divider,
            hz=hz,
        )
    raw = doc.get("channels")
    if not isinstance(raw, list) or not raw:
        raise LayoutError(f"{origin}: needs [[channels]] entries (surface, x, y) or a [grid] table")
    chans_l = []
    for i, ch in enumerate(raw):
        where = f"{origin}: channels[{i}]"
        if not isinstance(ch, dict):
            raise LayoutError(f"{where}: must be a table")
        bad = set(ch) - {"surface", "x", "y", "label"}
        if bad:
            raise LayoutError(
                f"{where}: unknown key(s) {sorted(bad)}; allowed: surface, x, y, label"
            )
        surface = ch.get("surface")
        if surface not in SURFACES:
            raise LayoutError(f"{where}.surface = {surface!r}: must be 'seat' or 'back'")
        x_, y_ = ch.get("x"), ch.get("y")
        if not (_is_number(x_) and _is_number(y_)):
            raise LayoutError(f"{where}: x and y must be numbers between -1 and 1")
        x, y = float(x_), float(y_)
        if not (-1 <= x <= 1 and -1 <= y <= 1):
            raise LayoutError(f"{where}: x={x}, y={y} out of range; both must be between -1 and 1")
        label = ch.get("label", f"ch{i}")
        if not isinstance(label, (str, int)) or isinstance(label, bool):
            raise LayoutError(f"{where}.label must be a string, e.g. label = \"left thigh\"")
        chans_l.append(Channel(i, surface, x, y, str(label)))
    if plate is not None and sum(c.surface == "seat" for c in chans_l) < 3:
        raise LayoutError(f"{origin}: [plate] needs three or more seat channels (the load cells "
                          "under the plate); remove [plate] for pads or sensors under the body")
    return Layout(
        name,
        tuple(chans_l),
        full_scale,
        description,
        source=origin,
        zero=zero,
        detect=detect,
        transform=kind,
        plate=plate,
        divider=divider,
        hz=hz,
    )


def _plate(doc: dict[str, Any], origin: str) -> Plate | None:
    """The ``[plate]`` table (None without one), or a LayoutError naming the key."""
    if "plate" not in doc:
        return None
    p = doc["plate"]
    if not isinstance(p, dict):
        raise LayoutError(f"{origin}: plate must be a table: [plate] with body_x = "
                          f"{PLATE_BODY_X} and body_y = {PLATE_BODY_Y} (or neither, for those)")
    bad = set(p) - {"body_x", "body_y"}
    if bad:
        raise LayoutError(f"{origin}: [plate]: unknown key(s) {sorted(bad)}; allowed: body_x, "
                          "body_y")
    vals = {}
    for key, default in (("body_x", PLATE_BODY_X), ("body_y", PLATE_BODY_Y)):
        v = p.get(key, default)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v <= 1:
            raise LayoutError(
                f"{origin}: [plate] {key} = {v!r:.40}: must be a number above 0 and at most 1 "
                "(how far out a sitter's load lies, as a share of the way from the seat's middle "
                f"to the cells; {default} for a typical chair)"
            )
        vals[key] = float(v)
    return Plate(vals["body_x"], vals["body_y"])
