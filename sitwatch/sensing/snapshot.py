"""The frozen state of a seat sensor at one moment: what the pipelines hand everyone else.

A pipeline (cushion or camera) turns readings into events *and* keeps a current state. The rest
of sitwatch (the nudger, the status file, the history's minute rollups, MQTT, the demo's live
view, the replay's totals) reads that state only through a :class:`Snapshot`: a frozen value,
typed with the vocabulary of :mod:`sitwatch.core.kinds`, so no consumer reaches into detector
internals and a fused view (cushion + camera) is just another snapshot.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, fields
from typing import TypeVar

from sitwatch.core.kinds import Balance, Occupancy, Posture


_C = TypeVar("_C", bound=type)


def _quick_init(cls: _C) -> _C:
    """Give a frozen dataclass (without slots) an ``__init__`` with the same arguments and
    defaults that fills the instance's ``__dict__`` directly. The one dataclasses writes for a
    frozen class calls ``object.__setattr__`` for each field, which makes a snapshot (one a
    frame, two dozen fields) about twice as dear. Assigning to a field afterwards still raises
    ``FrozenInstanceError``."""
    names: list[str] = []
    defaults: dict[str, object] = {}
    for f in fields(cls):
        assert f.default_factory is MISSING and f.init, f.name  # not needed so far
        if f.default is MISSING:
            names.append(f.name)
        else:
            names.append(f"{f.name}=_default_{f.name}")
            defaults[f"_default_{f.name}"] = f.default
    body = "".join(f"    d[{f.name!r}] = {f.name}\n" for f in fields(cls))
    src = f"def __init__(self, {', '.join(names)}):\n    d = self.__dict__\n{body}"
    exec(src, defaults)  # noqa: S102 - code made above from the class's own field names
    init = defaults["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"  # type: ignore[attr-defined]
    cls.__init__ = init  # type: ignore[misc]
    return cls


@_quick_init
@dataclass(frozen=True)
class Snapshot:
    """One sensor's (or the fused) state at time ``t`` (monotonic seconds, as in events).

    ``source`` is ``cushion``, ``camera`` or ``fused``. States are None while unknown (not yet
    decided, nobody in view, not calibrated). ``*_since`` are the times the state last changed.
    """

    t: float
    source: str
    online: bool
    occupancy: Occupancy | None = None
    spell: float = 0.0  # seconds of the current sitting spell (0 during a real break)
    spell_start: float | None = None
    posture: Posture | None = None
    posture_since: float = 0.0
    balance: Balance | None = None
    balance_since: float = 0.0
    shift: float = 0.0  # the sideways load shift behind ``balance``
    wallet: bool = False  # a wallet (something hard) is suspected in a back pocket
    wallet_since: float | None = None
    static: bool = False  # no real weight shift for detect.stillness.after (static sitting)
    still_since: float | None = None  # the last real weight shift (or sitting down)
    shifts: int = 0  # real weight shifts counted since the pipeline started
    calibrated: str | None = None  # how the baseline was made (profile method, "auto"), or None
    bad_channels: tuple[str, ...] = ()  # channels left out as stuck or saturated
    seat_load: float | None = None
    cop_x: float | None = None
    cop_y: float | None = None
    # each channel's load as a share of the layout's full scale, in layout order (the cushion's
    # last frame; None without one): the history's seat pressure maps
    loads: tuple[float, ...] | None = None
    # the posture comes from the seat alone (no backrest channel carries load): "leaning
    # forward" then means weight forward, a perch or a deep slump, which a seat cannot tell apart
    seat_only: bool = False

    @property
    def occupied(self) -> bool:
        return self.occupancy == Occupancy.OCCUPIED

    @property
    def posture_for(self) -> float:
        """Seconds the current posture has held."""
        return self.t - self.posture_since

    @property
    def balance_for(self) -> float:
        return self.t - self.balance_since

    @property
    def still_for(self) -> float:
        """Seconds since the last real weight shift (0 while nobody sits)."""
        return 0.0 if self.still_since is None else max(0.0, self.t - self.still_since)


# Detectors keep their states as the plain strings; these turn them into members (by a dict
# lookup: a snapshot is taken for every frame, and calling the enum is ten times slower).
_OCCUPANCY: dict[str, Occupancy] = {m.value: m for m in Occupancy}
_POSTURE: dict[str, Posture] = {m.value: m for m in Posture}
_BALANCE: dict[str, Balance] = {m.value: m for m in Balance}


def occupancy(state: str | None) -> Occupancy | None:
    return None if state is None else _OCCUPANCY[state]


def posture(state: str | None) -> Posture | None:
    return None if state is None else _POSTURE[state]


def balance(state: str | None) -> Balance | None:
    return None if state is None else _BALANCE[state]
