"""The frozen state of a seat sensor at one moment: what the pipelines hand everyone else.

A pipeline (cushion or camera) turns readings into events *and* keeps a current state. The rest
of sitwatch (the nudger, the status file, the history's minute rollups, MQTT, the demo's live
view, the replay's totals) reads that state only through a :class:`Snapshot`: a frozen value,
typed with the vocabulary of :mod:`sitwatch.core.kinds`, so no consumer reaches into detector
internals and a fused view (cushion + camera) is just another snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass

from sitwatch.core.frozen import quick_init
from sitwatch.core.kinds import Balance, Occupancy, Posture, Sensor


@quick_init
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
    # when the seat emptied at the end of the current spell, while the sitter is away (a short
    # absence or a break not yet ended by sitting down); None while seated or before a spell.
    # The next daemon carries the absence on from it (runtime/assemble.py:previous_spell)
    left_at: float | None = None
    # since when no sensor sees the seat (the cushion offline, no camera standing in for it);
    # None while one does. The spell stands still meanwhile, and what is known of the seat is
    # as it was last seen
    unseen_since: float | None = None
    posture: Posture | None = None
    posture_since: float = 0.0
    # the sensors whose reading gave ``posture`` (empty while it is unknown): a single sensor's
    # own, or, fused, the one or both behind the rule that decided it (camera/fusion.py). The
    # nudge's words follow it: a slouch only the camera saw is about the head, not the hips.
    seen_by: tuple[Sensor, ...] = ()
    balance: Balance | None = None
    balance_since: float = 0.0
    shift: float = 0.0  # the sideways load shift behind ``balance``
    # a lean (``balance`` left or right) that the shift no longer reads: the state is waiting
    # out its dwell before it ends, so its nudge is not due (the lean is over, or nearly)
    balance_leaving: bool = False
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
    # a backrest sensor watches the seat, so reclining can be seen (a seat alone reads it as
    # upright, and a camera does not report it): the history counts the seated time without
    # one apart, and the reports take the reclined share over the rest
    sees_recline: bool = False
    # on a chair with backrest sensors, "leaning forward" is a perch on the front edge of the
    # seat (its rear emptied, the backrest free): the nudge gets words for that
    perched: bool = False

    @property
    def occupied(self) -> bool:
        return self.occupancy == Occupancy.OCCUPIED

    @property
    def seen(self) -> bool:
        """A sensor sees the seat now (see ``unseen_since``)."""
        return self.unseen_since is None

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


#: ``seen_by`` of a single sensor's known posture (one tuple each, not one a frame).
CUSHION_SAW: tuple[Sensor, ...] = (Sensor.CUSHION,)
CAMERA_SAW: tuple[Sensor, ...] = (Sensor.CAMERA,)
BOTH_SAW: tuple[Sensor, ...] = (Sensor.CUSHION, Sensor.CAMERA)


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
