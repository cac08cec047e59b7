"""Occupancy (occupied | empty) with hysteresis and dwell, and the sitting-spell timer."""

from __future__ import annotations

from dataclasses import dataclass, field

from sitwatch.config import Occupancy as OccupancyCfg
from sitwatch.core.events import BREAK, OCCUPANCY, Event
from sitwatch.sensing.detectors.dwell import Dwell

OCCUPIED, EMPTY = "occupied", "empty"

#: Getting up, read from the fall of the load rather than its level: the seat counts as left
#: when it keeps less than this share of what it has carried while sat on (a slow average,
#: :data:`SEATED_TAU`). The empty seat's own reading is taken off the frames only once the seat
#: is seen empty (the pipeline's zero follows it there), so pads whose zeros drift up during a
#: long sitting made the empty seat read above ``exit_fraction`` and the sitter never left:
#: a velostat matrix of 150 pads drifting 7% of full scale an hour read 0.14-0.19 of a light
#: sitter's upright load empty after 28 minutes (the simulated population, seed 2028: a
#: development draw; the held-out one is 2027). Sitting, the load keeps far more of its
#: average: 0.42 at the least over any 3 s of the recordings (smartchair-ml's leans and
#: slumps, the same as 8 seat sensors or 4 load cells; fsr-cushion-9 0.60), so 0.25 leaves
#: them a wide margin while a drifted empty seat (0.15 of a seated 1.13) is read as left.
LEFT_KEEPS = 0.25
SEATED_TAU = 60.0  # seconds: the time constant of the seated load's average


class OccupancyDetector:
    """``ratio`` is the seat load as a share of the sitter's upright seat load."""

    def __init__(self, cfg: OccupancyCfg) -> None:
        self.cfg = cfg
        self.d = Dwell(None, {OCCUPIED: cfg.enter_dwell, EMPTY: cfg.exit_dwell})
        self.seated: float | None = None  # the seated load's slow average (ratio), while sat on
        self._t: float | None = None

    @property
    def state(self) -> str | None:
        return self.d.state

    def step(self, ratio: float, t: float) -> Event | None:
        cur = self.d.state
        if cur == OCCUPIED:
            self._follow(ratio, t)
        if ratio >= self.cfg.enter_fraction:
            cand = OCCUPIED
        elif ratio < self.cfg.exit_fraction or (
            cur == OCCUPIED and self.seated is not None and ratio < LEFT_KEEPS * self.seated
        ):
            cand = EMPTY
        else:
            cand = cur if cur is not None else EMPTY
        if self.d.step(cand, t):
            if cand == EMPTY:
                self.seated = self._t = None
            return Event(t, OCCUPANCY, cand)
        return None

    def _follow(self, ratio: float, t: float) -> None:
        """The seated load's average, over :data:`SEATED_TAU` (from the first frame sat on)."""
        if self.seated is None or self._t is None:
            self.seated = ratio
        else:
            k = min(max(t - self._t, 0.0) / SEATED_TAU, 1.0)
            self.seated += k * (ratio - self.seated)
        self._t = t

    def force(self, state: str, t: float) -> None:
        """Take ``state`` as decided now (another sensor decided it: fusion rule O2)."""
        self.d.reset(state, t)
        self.seated = self._t = None


@dataclass(frozen=True)
class Seen:
    """What seeing the seat again brings (:meth:`SittingTimer.seen_again`): ``data`` for the
    event that says the seat is seen again (``unseen``: the seconds left out of the spell), or
    ``emptied``: the ``occupancy`` ``empty`` event to emit once the caller has emptied the
    seat (it was out of sight too long to carry the spell on)."""

    data: dict[str, object] = field(default_factory=dict)
    emptied: Event | None = None


class SittingTimer:
    """Continuous sitting, where absences shorter than ``min_break`` do not count as a break.

    While no sensor sees the seat (the cushion offline, nothing standing in for it: :meth:`hide`)
    a spell stands still: sitwatch cannot tell whether anyone still sits, and a sitting-limit
    nudge for time it did not see is one the sitter learns to ignore. :meth:`show` says how the
    time out of sight counts once the seat is seen again."""

    def __init__(self, min_break: float) -> None:
        self.min_break = min_break
        self.spell_start: float | None = None  # start of the current sitting spell
        self.left_at: float | None = None  # when the seat emptied, during an absence
        self.unseen_since: float | None = None  # when the seat went out of sight, while it is
        self.breaks = 0

    def sit(self, t: float) -> Event | None:
        ev = None
        if self.left_at is not None and self.spell_start is not None:
            away = t - self.left_at
            if away >= self.min_break:
                ev = Event(
                    t,
                    BREAK,
                    None,
                    {
                        "duration": round(away, 1),
                        "spell": round(self.left_at - self.spell_start, 1),
                    },
                )
                self.spell_start = t
                self.breaks += 1
        if self.spell_start is None:
            self.spell_start = t
        self.left_at = None
        return ev

    def resume(self, t: float, spell: float, away: float) -> bool:
        """Carry on a spell from before a restart of the daemon: ``spell`` seconds long when
        the seat was last seen occupied, ``away`` seconds before ``t``. The seat counts as left
        then, so sitting again within ``min_break`` of it continues the spell (the time no
        daemon ran counts in it) and later ends it with a break of the whole absence. Returns
        False (nothing carried) for a spell or an absence that cannot be."""
        if spell <= 0 or away < 0:
            return False
        self.left_at = t - away
        self.spell_start = t - away - spell
        return True

    def leave(self, t: float) -> None:
        if self.left_at is None:  # an absence already under way (a suspend) keeps its start
            # out of sight, the seat was last seen occupied when it went out of sight
            self.left_at = t if self.unseen_since is None else min(t, self.unseen_since)

    @property
    def seated(self) -> bool:
        """A spell is under way and the seat was occupied when last seen."""
        return self.spell_start is not None and self.left_at is None

    def hide(self, t: float) -> None:
        """No sensor sees the seat from ``t`` on: a spell under way stands still."""
        if self.unseen_since is None:
            self.unseen_since = t

    def show(self, t: float) -> bool:
        """The seat is seen again at ``t``. Out of sight while seated for less than
        ``min_break``: the spell carries on, without the time out of sight. For ``min_break`` or
        more: as after a suspend that long, the seat counts as empty from when it went out of
        sight (returns True: the caller empties it), so sitting down again ends the spell with
        a break. Out of sight during an absence: the absence goes on through it."""
        since, self.unseen_since = self.unseen_since, None
        if since is None or not self.seated:
            return False
        assert self.spell_start is not None
        gap = max(0.0, t - since)
        if gap >= self.min_break:
            self.left_at = since
            return True
        self.spell_start += gap
        return False

    def seen_again(self, t: float, occupied: bool, reason: str) -> Seen:
        """The seat is seen again at ``t`` (the sensor back, another sensor standing in, the
        screen unlocked), last seen ``occupied`` or not: how the time out of sight counts
        (:meth:`show`), for every sensor alike. Seated and out of sight for ``min_break`` or
        more: the seat counts as empty from when it went out of sight, and ``emptied`` says so
        (``reason``, ``unseen``: seconds), so sitting on ends the spell with a ``break``.
        Shorter: the spell carries on without that time, and ``data`` says how much was left
        out (``unseen``), for the event that says the seat is seen again and the history."""
        since = self.unseen_since
        if since is None:
            return Seen()
        gap = round(max(0.0, t - since), 1)
        seated = self.seated and occupied
        if not self.show(t):
            return Seen({"unseen": gap} if seated and gap > 0 else {})
        return Seen(emptied=Event(t, OCCUPANCY, EMPTY, {"reason": reason, "unseen": gap}))

    def suspended(self, t: float, seconds: float) -> None:
        """The machine slept ``seconds`` just before ``t`` (monotonic time, which stood still).

        Nobody sits at a sleeping computer, so when the seat was empty at ``t`` (the caller
        empties it after a long suspend) the sleep is part of the absence: the absence and the
        spell before it are moved back by ``seconds``, and coming back is a break when the whole
        absence reached ``min_break``. A short suspend while seated is left alone: the spell
        goes on and the sleep is not counted in it."""
        if self.spell_start is None or self.left_at is None:
            return
        self.left_at -= seconds
        self.spell_start -= seconds
        if self.unseen_since is not None:  # still out of sight: the sleep was part of it
            self.unseen_since -= seconds

    def spell(self, t: float) -> float:
        """Seconds of the current spell (0 during a real break); it stands still while the
        seat is out of sight."""
        if self.spell_start is None:
            return 0.0
        if self.left_at is not None and t - self.left_at >= self.min_break:
            return 0.0
        end = self.left_at if self.left_at is not None else t
        if self.unseen_since is not None:
            end = min(end, self.unseen_since)
        return max(0.0, end - self.spell_start)

    @property
    def away_since(self) -> float | None:
        """When the seat emptied at the end of a spell, while the sitter is away (a short
        absence, or a break that sitting down will end); None while seated or before a spell."""
        return self.left_at if self.spell_start is not None else None

    def on_break(self, t: float) -> bool:
        return self.left_at is not None and t - self.left_at >= self.min_break
