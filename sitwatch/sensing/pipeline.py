"""The cushion pipeline: raw frames -> features -> detectors -> events + a snapshot.

One :class:`Pipeline` per cushion. It owns the feature extractor, channel health, the
calibration (a profile, or one it learns: tare from empty periods, the upright baseline from the
first settled minute of sitting; either way, how far each channel's zero has since drifted, read
on the empty seat and taken off the frames: :meth:`Pipeline._learn_tare`) and the detectors. It
does no I/O and reads no clock: every call carries the time, so live runs, replays and tests
behave the same.

Frames come in as the device sent them; the first thing :meth:`Pipeline.process` does is turn
them into loads that rise with the force (:meth:`~sitwatch.sensing.layout.Layout.to_load`: a
no-op unless the layout is ``inverted``), so channel health, features, tare, the learned
baseline and the detectors all see loads. A calibration profile holds readings, as the device
sent them; they are converted the same way when the pipeline takes the profile, and back when it
hands out the profile it learned.

It emits events and keeps its state, which everyone else reads as a frozen
:class:`~sitwatch.sensing.snapshot.Snapshot` (:meth:`Pipeline.snapshot`). Deciding what
deserves a nudge is not detection: that is :mod:`sitwatch.nudging`, fed with snapshots.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from sitwatch.config import Config, for_layout
from sitwatch.core import events as E
from sitwatch.core.events import Event
from sitwatch.core.kinds import Occupancy, SensorState
from sitwatch.sensing import snapshot as S
from sitwatch.sensing.calibration import (
    Learned,
    Profile,
    feature_spread,
    from_arrays,
    robust_mean,
)
from sitwatch.sensing.detectors.balance import BalanceDetector
from sitwatch.sensing.detectors.baseline import Baseline, UprightModel
from sitwatch.sensing.detectors.occupancy import (
    EMPTY,
    OCCUPIED,
    OccupancyDetector,
    SittingTimer,
)
from sitwatch.sensing.detectors.posture import FORWARD, PostureDetector, perched
from sitwatch.sensing.detectors.stillness import StillnessDetector
from sitwatch.sensing.detectors.wallet import WalletDetector, Zones
from sitwatch.sensing.features import REAR_ROW, Extractor, Features
from sitwatch.sensing.health import ChannelHealth, full_at_calibration
from sitwatch.sensing.layout import Layout
from sitwatch.sensing.snapshot import Snapshot

SLOW_PERIOD = 1.0  # seconds between runs of the slow detector (wallet)
# Uncalibrated, "someone sits here" is judged against full_scale. If nobody has been seen for
# this long and every reading stayed under this share of it, say that the units may not match.
SMALL_AFTER, SMALL_SHARE = 600.0, 0.03
MAX_DT = 5.0  # a gap longer than this (unplug, paused replay) is not counted as sitting
#: An empty seat's channel reading under this share of full scale (as a load) sits on its
#: floor: its zero cannot be seen to sink, so the zeros are not followed (Pipeline._learn_tare)
FLOOR = 0.005


def zeros_seen(empty: np.ndarray, full_scale: float) -> bool:
    """Whether every channel of an empty seat's reading (loads) sits above its floor
    (:data:`FLOOR`), so that a zero sinking could be seen as well as one rising."""
    return float(np.min(empty, initial=np.inf)) > max(FLOOR * full_scale, 2.0)


class AutoBaseline:
    """Learns the upright baseline from the first settled stretch of sitting."""

    def __init__(self, settle: float, delay: float = 20.0, max_cop_std: float = 0.06) -> None:
        self.settle = settle
        self.delay = delay
        self.max_cop_std = max_cop_std
        self.frames: list[np.ndarray] = []
        self.cops: list[tuple[float, float]] = []
        self.times: list[float] = []
        self.sat_since: float | None = None
        self._next = 0.0
        self.best: tuple[float, np.ndarray] | None = None  # steadiest window so far
        self.used: np.ndarray | None = None  # the frames the learned baseline came from

    def step(self, t: float, raw: np.ndarray, f: Features, occupied: bool) -> np.ndarray | None:
        if not occupied:
            self.sat_since = None
            self.frames.clear()
            self.cops.clear()
            self.times.clear()
            return None
        if self.sat_since is None:
            self.sat_since = t
        if t - self.sat_since < self.delay or t < self._next:
            return None
        self._next = t + 0.2  # sample at most 5 Hz
        self.frames.append(raw.copy())
        self.cops.append((f.cop_x, f.cop_y))
        self.times.append(t)
        if self.times[-1] - self.times[0] < self.settle:
            return None
        cops = np.array(self.cops)
        spread = float(cops.std(axis=0).max())
        if spread <= self.max_cop_std:
            self.used = np.array(self.frames)
            return robust_mean(self.used)
        if self.best is None or spread < self.best[0]:
            self.best = (spread, robust_mean(np.array(self.frames)))
            self.used = np.array(self.frames)
        if t - self.sat_since >= self.delay + 3 * self.settle:
            # A restless sitter: settle for the steadiest minute seen.
            self.used = self.used if self.used is not None else np.array(self.frames)
            return self.best[1]
        half = len(self.frames) // 2  # not settled yet: slide the window
        del self.frames[:half], self.cops[:half], self.times[:half]
        return None


@dataclass(frozen=True)
class _Seen:
    """What seeing the seat again brings (:meth:`Pipeline._seen_again`): data for the event
    that says so, and events of its own."""

    data: dict[str, object] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)


class Pipeline:
    def __init__(
        self,
        layout: Layout,
        cfg: Config,
        profile: Profile | None = None,
        *,
        source: str = "cushion",
    ) -> None:
        self.layout = layout
        # a backrest to see reclining with (a seat alone cannot: snapshot ``sees_recline``)
        self._sees_back = bool(layout.back_mask.any())
        self.cfg = cfg = for_layout(cfg, layout)  # the device's own detection defaults
        det = cfg.detect
        if profile is not None:
            profile.check_layout(layout)
        self.profile = profile
        tare = self._loads(profile.array("tare")) if profile else None
        # the empty seat is watched for its tare (none known yet), and once there is one, for
        # how far each channel's zero has drifted from it since (:meth:`_learn_tare`)
        self.learn_tare = cfg.calibration.auto
        self.ex = Extractor(layout, tare)
        # watching the seat's rear third: the sit bones' lean cue keeps quiet while one of its
        # channels is suspected stuck (detectors/balance.py); under a plate, every load cell
        # (one cell that sticks moves the whole seat's centre: the balance state holds)
        self.health = ChannelHealth(
            layout.n, layout.full_scale,
            watch=layout.seat_mask & ((layout.y < REAR_ROW) | (layout.plate is not None)),
            steps=layout.seat_mask)
        self.occ = OccupancyDetector(det.occupancy)
        self.timer = SittingTimer(det.occupancy.min_break)
        self.posture = PostureDetector(det.posture, source)
        self.balance = BalanceDetector(det.balance)
        self.stillness = StillnessDetector(det.stillness)
        # The upright baseline, as loads (the profile holds it as readings).
        self.upright_raw = self._loads(profile.array("upright")) if profile else None
        self.calibrated: str | None = (
            profile.method if profile is not None and self.upright_raw is not None else None
        )
        # How still the sitter sat for calibration, and what settled sitting teaches on top of
        # it (an away-from-the-backrest upright, slow drift): detectors/baseline.py.
        self.spread = profile.spread if profile is not None else None
        # a calibrated upright clear of the backrest wins over one learned on an earlier day
        away = self._loads(profile.array("upright_away")) if profile else None
        learned = self._loads(profile.learned_array("upright_away")) if profile else None
        self.model = UprightModel(
            det.balance.threshold,
            det.posture.forward_shift,
            away if away is not None else learned,
            away_learned=away is None and learned is not None,
            away2_raw=self._loads(profile.learned_array("upright_away2")) if profile else None,
            rejected=[self.layout.to_load(np.asarray(r, float)) for r in (
                profile.learned.rejected if profile and profile.learned else ())],
        )
        self._ways = self.ways_learned()
        self.auto = (
            AutoBaseline(cfg.calibration.auto_settle)
            if self.upright_raw is None and cfg.calibration.auto
            else None
        )
        self.baseline: Baseline | None = None
        self.wallet: WalletDetector | None = None
        self.nominal = Baseline.nominal(self.ex)
        self._tell_channels = False  # the channels set aside changed: say so with the next frame
        if self.upright_raw is not None:
            self._saturated_at_calibration()
        self._rebuild()
        self.last_t: float | None = None
        self._slow_at = -np.inf
        self.online = True
        # offline because the cushion is connected but sends nothing (:meth:`silent`), not
        # because its link is down
        self.silent_since: float | None = None
        #: the cushion's latest word on the seat while online (its last frame, the link back,
        #: a resumed spell): the spell shown counts no further (:meth:`_spell`)
        self._seen_at: float | None = None
        self.f: Features | None = None
        self._empty_frames: list[np.ndarray] = []
        self._empty_since: float | None = None
        self._tared = tare is not None
        #: how far each channel's zero has moved from the tare (loads): what the empty seat
        #: read last, less the tare; taken off every frame before the features see it
        self.zero = np.zeros(layout.n)
        self._drifted = False  # any of it non-zero
        self.frames = 0
        self.units_hint: str | None = None  # set once if the readings look far too small
        # (first frame time, largest reading) while nobody has sat yet; None once settled
        self._small: tuple[float | None, float] | None = (
            (None, 0.0) if self.upright_raw is None else None
        )
        self._bad_channels: tuple[str, ...] = ()
        self._per_full_scale = 1.0 / max(float(layout.full_scale), 1e-9)
        self._loads_cache: tuple[Features, tuple[float, ...]] | None = None
        self._converts = layout.converts  # readings are not loads already (inverted or a divider)

    # -- calibration state -------------------------------------------------------------
    def _loads(self, reading: np.ndarray | None) -> np.ndarray | None:
        """A profile's readings as loads (see the module docstring)."""
        return None if reading is None else self.layout.to_load(reading)

    def _rebuild(self) -> None:
        """Recompute baseline features (after a tare, baseline or channel-health change)."""
        self.nominal = Baseline.nominal(self.ex)
        self.stillness.spread = self.spread  # the sitter's own stillness, when measured
        if self.upright_raw is None:
            self.baseline = None
            self.wallet = None
            return
        self.baseline = self.model.build(self.ex, self.upright_raw, self.spread)
        zones = Zones(self.layout, self.ex.paired)  # zones are compared with their mirror
        self.wallet = WalletDetector(self.cfg.detect.wallet, zones, self.ex.load(self.upright_raw))

    def _use_channels(self) -> None:
        """Hand channel health's verdict to the features. A broken channel is left out; where
        its mirror is sound and the upright baseline is known, it is read as its upright share
        of the mirror's load everywhere but left/right (with its mirror, out of left/right). A
        saturated one reads a lower bound on its load: where the upright baseline read it below
        full scale, it has gained at least that much since, and it keeps counting at what it
        reads in the load sums, centres and shares front to back (setting it aside took the load
        that moved onto it away: a heavy sitter read leaning forward); where the baseline read it
        at full scale too, neither side knows its load, and the features are taken over the
        others. Left/right, where its exact value against its mirror matters, the pair is left
        out."""
        h = self.health
        count = h.clipped.copy()
        stand: dict[int, tuple[int, float]] = {}
        if self.upright_raw is not None:
            count &= self.upright_raw < h.full
            # (the rear row keeps its depth: a dead rear pad no longer hides a slump)
            up = self.ex.load(self.upright_raw)
            mirror = self.layout.mirror
            for i in np.flatnonzero(h.bad):
                j = int(mirror[i])
                if j >= 0 and not h.bad[j] and not h.clipped[j] and up[j] > 0:
                    stand[int(i)] = (j, float(up[i] / up[j]))
        self.ex.set_usable(~(h.bad | (h.clipped & ~count)), h.clipped, stand)
        self.stillness.restart()  # the features changed, the sitter did not

    def _saturated_at_calibration(self) -> None:
        """A channel the upright baseline reads at full scale is saturated from the first frame
        (outside the seat's rear third: :func:`~sitwatch.sensing.health.full_at_calibration`):
        neither the baseline nor any frame knows its load. Waiting for minutes of sitting to
        show it (ChannelHealth) let it dominate the features meanwhile: the smartchair's p07
        reads about 4000 of 4095 under one sitter, ten times its mirror, and with it counted her
        slump kept half its rear share and read reclined until it was set aside, which took from
        2 to 8 minutes depending on what she did first."""
        assert self.upright_raw is not None
        full = full_at_calibration(self.layout, self.upright_raw)
        if self.health.saturated_from_start(full):
            self._use_channels()
            self._tell_channels = True

    def set_baseline(
        self, upright_raw: np.ndarray, method: str, spread: dict[str, float] | None = None
    ) -> None:
        """``upright_raw``: the upright baseline as loads (already through ``to_load``);
        ``spread``: its features' robust sds (None: not measured)."""
        self.upright_raw = np.asarray(upright_raw, dtype=float)
        self.calibrated = method
        self.spread = spread
        self._saturated_at_calibration()
        if self.health.clipped.any():
            self._use_channels()
        self._rebuild()

    def ways_learned(self) -> int:
        """Ways of sitting upright clear of the backrest that sitting taught (0-2), on this
        day or kept from earlier ones; a calibrated one is not counted."""
        m = self.model
        return int(m.away_learned and m.away_raw is not None) + int(m.away2_raw is not None)

    def learned(self, at: datetime | None = None) -> Learned | None:
        """What sitting taught, as the profile keeps it (readings, like the calibrated ones);
        None: nothing. ``at``: when (the daemon's clock)."""
        m = self.model
        lay = self.layout

        def reading(a: np.ndarray | None) -> list[float] | None:
            return None if a is None else [round(float(x), 2) for x in lay.to_reading(a)]

        first = m.away_raw if m.away_learned else None
        if first is None and m.away2_raw is None and not m.rejected:
            return None
        got = Learned(upright_away=reading(first), upright_away2=reading(m.away2_raw),
                      rejected=[reading(r) or [] for r in m.rejected])
        return got if at is None else got.model_copy(update={"updated": at})

    def reject_learned(self, t: float) -> list[Event]:
        """The sitter says the way of sitting learned last was not upright ("Not right" on the
        notice): it is dropped and never learned again (:meth:`UprightModel.reject`). The
        ``calibration`` / ``learned`` event says so (the daemon saves the profile); none when
        nothing learned was there to drop."""
        if not self.model.reject():
            return []
        return self._learned_changed(t, rejected=True)

    def forget_rejected(self, t: float) -> list[Event]:
        """Ways rejected before may be learned again (``sitwatch feedback reset``)."""
        if not self.model.rejected:
            return []
        self.model.rejected = []
        return self._learned_changed(t)

    def _learned_changed(self, t: float, *, rejected: bool = False) -> list[Event]:
        if self.upright_raw is not None:
            self.baseline = self.model.build(self.ex, self.upright_raw, self.spread)
        was, self._ways = self._ways, self.ways_learned()
        data: dict[str, object] = {"ways": self._ways, "was": was}
        if rejected:
            data["rejected"] = len(self.model.rejected)
        return [Event(t, E.CALIBRATION, "learned", data)]

    def learned_profile(self, at: datetime | None = None) -> Profile | None:
        """The profile to save: the one this pipeline was given with what sitting taught since
        (``learned``), or without one, the calibration learned so far (tare and upright
        baseline); None before a baseline exists."""
        if self.upright_raw is None:
            return None
        if self.profile is not None and self.profile.upright is not None:
            return self.profile.model_copy(update={"learned": self.learned(at)})
        lay = self.layout
        prof = from_arrays(
            lay,
            tare=lay.to_reading(self.ex.tare),
            upright=lay.to_reading(self.upright_raw),
            method="auto",
            spread=self.spread,
        )
        prof.learned = self.learned(at)
        prof.note = "learned automatically while you sat"
        return prof

    def resume_spell(self, t: float, spell: float, away: float,
                     seat: Occupancy = Occupancy.OCCUPIED) -> list[Event]:
        """Carry on a sitting spell from before a restart: ``spell`` seconds long when the seat
        was last seen occupied, ``away`` seconds before ``t``. Sitting again within ``min_break``
        of that continues it, as if the daemon had never stopped (the time it was stopped counts
        in the spell); a longer absence is a break, from when the seat was last seen occupied.
        ``seat`` is the seat as the last daemon left it (empty: it saw the sitter get up, so
        the absence may be a break already).

        The ``spell_resumed`` event says so, so that the history rebuilds one spell, not one
        per run of the daemon (:func:`sitwatch.history.queries.spells_between`)."""
        if not self.timer.resume(t, spell, away):
            return []
        self._seen_at = t
        return [Event(t, E.SPELL_RESUMED, seat, {"spell": round(spell, 1),
                                                  "away": round(away, 1)})]

    def suspended(self, t: float, seconds: float) -> list[Event]:
        """The machine slept ``seconds`` before ``t`` (the daemon saw the gap between the
        boot and monotonic clocks). A sleep of ``min_break`` or more is a break: the seat counts
        as empty from when the sleep began (an ``occupancy`` event with ``suspended``), and sitting
        down again after it ends the spell with a ``break``. A shorter sleep while seated leaves
        the spell alone (not counted in it); one while away adds to the absence."""
        out: list[Event] = []
        if seconds >= self.timer.min_break and self.occ.state == OCCUPIED:
            self.occ.force(EMPTY, t)
            out.append(Event(t, E.OCCUPANCY, EMPTY, {"reason": "suspend",
                                                     "suspended": round(seconds, 1)}))
            out += self._seat_changed(t, EMPTY)
        self.last_t = None  # the frames before and after are not one stretch
        self.timer.suspended(t, seconds)
        return out

    def take_units_hint(self) -> str | None:
        """The units hint (see :meth:`_check_units`), handed out once."""
        hint, self.units_hint = self.units_hint, None
        return hint

    # -- inputs ------------------------------------------------------------------------
    def sensor(self, t: float, online: bool, reason: str = "") -> list[Event]:
        """The cushion went offline or came back. Offline, nothing sees the seat (until another
        sensor stands in: :meth:`follow`), so the sitting timer stands still; back, the time out
        of sight counts as :meth:`_seen_again` says, and the ``online`` event carries it."""
        data: dict[str, object] = {"reason": reason} if reason else {}
        if online == self.online:
            if online or self.silent_since is None:
                return []
            self.silent_since = None  # silent, and now its link is down too: say that
            return [Event(t, E.SENSOR, "offline", data)]
        self.online = online
        self.silent_since = None
        self.last_t = None  # do not count the gap as sitting
        if not online:
            self.timer.hide(t)
            return [Event(t, E.SENSOR, "offline", data)]
        seen = self._seen_again(t)
        self._seen_at = t  # the timer goes on from here
        return [Event(t, E.SENSOR, "online", {**data, **seen.data}), *seen.events]

    def silent(self, t: float, since: float, reason: str = "") -> list[Event]:
        """The cushion is connected but no frame has come since ``since`` (told at ``t``, once
        its source's ``no_data_timeout`` passed): nothing sees the seat, exactly as when it is
        offline, and the sitting timer stands still from its last frame, not from ``t``. The
        ``offline`` event says ``silent`` (its link is up: a firmware that hung, a wireless
        cushion that stopped publishing); its next frame brings it back (:meth:`process`)."""
        if not self.online:
            return []
        since = min(since, t)
        self.online = False
        self.silent_since = since
        self.last_t = None
        self.timer.hide(since)
        data: dict[str, object] = {"silent": True, "quiet": round(t - since, 1)}
        if reason:
            data["reason"] = reason
        return [Event(t, E.SENSOR, "offline", data)]

    def follow(self, t: float, present: bool | None, tags: Mapping[str, str]) -> list[Event]:
        """Fusion rule O2: while this cushion is offline, another sensor's view of the seat is
        the occupancy, and drives the sitting timer (breaks included); ``present`` None: no
        other sensor sees the seat either, and the timer stands still (as with no camera).
        ``tags`` go into the occupancy event (which sensor, which rule). Nothing happens while
        the cushion is online: then its own readings own the occupancy.

        Standing in again after a blind gap shorter than ``min_break`` (the camera unplugged,
        the screen locked), the spell carries on without that gap: a ``sensor`` ``online``
        event in ``tags``'s name says so (``unseen``), as the cushion's own return does, so the
        history leaves it out of the spell too."""
        if self.online:
            return []
        if present is None:
            self.timer.hide(t)
            return []
        seen = self._seen_again(t)
        out = [Event(t, E.SENSOR, SensorState.ONLINE, {**tags, **seen.data})] if seen.data \
            else []
        out += seen.events
        state = OCCUPIED if present else EMPTY
        if self.occ.state == state:
            return out
        self.occ.force(state, t)
        return [*out, Event(t, E.OCCUPANCY, state, dict(tags)), *self._seat_changed(t, state)]

    def _seen_again(self, t: float) -> _Seen:
        """The seat is seen again at ``t`` (the cushion back, or another sensor standing in):
        how the time out of sight counts (:meth:`SittingTimer.show`). Seated and out of sight
        for ``min_break`` or more, the seat counts as empty from when it went out of sight, as
        after a suspend that long: an ``occupancy`` ``empty`` event says so (``reason``
        ``offline``, ``unseen``: seconds), and sitting on ends the spell with a ``break``.
        Shorter, the spell carries on without that time: ``data`` says how much was left out
        (``unseen``), for the ``online`` event and the history."""
        seen = self.timer.seen_again(t, self.occ.state == OCCUPIED, "offline")
        if seen.emptied is None:
            return _Seen(seen.data)
        self.occ.force(EMPTY, t)
        return _Seen(events=[seen.emptied, *self._seat_changed(t, EMPTY)])

    def _seat_changed(self, t: float, state: str) -> list[Event]:
        """The occupancy became ``state``: the sitting timer, and what a new sitter resets."""
        out: list[Event] = []
        if state == OCCUPIED:
            self.model.sat_down(t)
            brk = self.timer.sit(t)
            if brk is not None:
                out.append(brk)
                if self.wallet is not None:
                    w = self.wallet.reset(t)
                    if w is not None:
                        out.append(w)
        else:
            self.timer.leave(t)
            self.posture.reset(t)
            self.balance.reset(t)
            self.stillness.reset(t)
        return out

    def process(self, t: float, raw: np.ndarray) -> list[Event]:
        """One frame of readings, as the device sent them, at time ``t``."""
        if self._converts:
            raw = self.layout.to_load(raw)  # the one place readings become loads
        out: list[Event] = []
        self.frames += 1
        if not self.online:
            out += self.sensor(t, True)
        self._seen_at = t
        dt = 0.0 if self.last_t is None else min(max(t - self.last_t, 0.0), MAX_DT)
        self.last_t = t
        occupied = self.occ.state == OCCUPIED
        if self.health.step(raw, dt, occupied):
            self._use_channels()
            self._rebuild()
            self._tell_channels = True
        if self._tell_channels:
            self._tell_channels = False
            h = self.health
            labels = [c.label for c in self.layout.channels]
            excluded = h.describe(labels) + h.describe_clipped(labels)
            if tuple(excluded) != self._bad_channels:
                self._bad_channels = tuple(excluded)
                out.append(Event(t, E.CALIBRATION, "channels", {"excluded": excluded}))
        read = raw  # loads as they came: the empty seat's reading is learned from these
        if self._drifted:
            raw = raw - self.zero  # the tare's zero, where the empty seat now reads it
        f = self.f = self.ex(raw)
        base = self.baseline
        # against the calibrated seat load, not the one scaled to the sitter's weight: the
        # occupancy rule follows the seated load on its own
        ratio = f.seat_load / (base.seat_load / self.model.load_scale if base else self.nominal)
        ev = self.occ.step(ratio, t)
        if ev is not None:
            out.append(ev)
            out += self._seat_changed(t, str(ev.state))
        occupied = self.occ.state == OCCUPIED
        if occupied and not self.health.judging:  # (judging: perhaps a pad failing; if so,
            ev = self.stillness.step(f, t)  # it starts afresh once the pad is left out)
            if ev is not None:
                out.append(ev)
        if self._small is not None:
            self._check_units(t, read, occupied)
        if self.learn_tare:
            out += self._learn_tare(t, read, occupied)
        if self.auto is not None and self.upright_raw is None:
            learned = self.auto.step(t, raw, f, occupied)
            if learned is not None:
                used = self.auto.used
                lay = self.layout
                spread = (
                    None if used is None
                    else feature_spread(lay, lay.to_reading(used), lay.to_reading(self.ex.tare))
                )
                self.set_baseline(learned, "auto", spread or None)
                out.append(Event(t, E.CALIBRATION, "baseline", {"method": "auto"}))
                base = self.baseline
        if occupied and base is not None:
            ev = self.posture.step(f, base, t)
            if ev is not None:
                out.append(ev)
            self.balance.rear_quiet = self.health.watched_suspect
            # load cells under a plate: while a cell is suspected stuck the balance holds
            ev = None if base.plate and self.balance.rear_quiet else self.balance.step(f, base, t)
            if ev is not None:
                out.append(ev)
            if self.upright_raw is not None and self.model.observe(
                t, raw, f, base,
                (self.posture.state, self.posture.d.changed_at),
                (self.balance.state, self.balance.d.changed_at),
                settled=self.balance.settled_since,
                fits=lambda: self.balance.even_unlearned(f, base),
            ):
                # what settled sitting taught changed: the baseline only (the wallet's
                # reference and its timers stay)
                self.baseline = self.model.build(self.ex, self.upright_raw, self.spread)
                ways = self.ways_learned()
                if ways != self._ways:
                    # a way of sitting upright clear of the backrest learned (or dropped):
                    # the daemon keeps it in the profile, and tells the sitter of a new one
                    out.append(Event(t, E.CALIBRATION, "learned",
                                     {"ways": ways, "was": self._ways}))
                    self._ways = ways
        if t - self._slow_at >= SLOW_PERIOD:
            self._slow_at = t
            if occupied and self.wallet is not None:
                load = self.ex.load(raw)
                ev = self.wallet.step(load, (self.posture.state, self.balance.state), t)
                if ev is not None:
                    out.append(ev)
        return out

    def _check_units(self, t: float, raw: np.ndarray, occupied: bool) -> None:
        """Sets :attr:`units_hint` once, for the daemon's log (an empty seat looks the same, so
        it is a hint, not an event)."""
        assert self._small is not None
        if occupied or self.upright_raw is not None:
            self._small = None  # somebody sat down, or a baseline exists: the units work
            return
        start, peak = self._small
        start = t if start is None else start
        peak = max(peak, float(raw.max()))
        self._small = (start, peak)
        if t - start < SMALL_AFTER:
            return
        self._small = None
        fs = self.layout.full_scale
        if peak < SMALL_SHARE * fs:
            self.units_hint = (
                f"nobody seen sitting for {SMALL_AFTER / 60:.0f} min and every reading stayed "
                f"under {SMALL_SHARE:.0%} of full_scale (largest {peak:g} of {fs:g}): if "
                "someone did sit, the layout's full_scale is too large for this device's "
                "units; set it near the largest reading you expect, or run `sitwatch calibrate`"
            )

    def _learn_tare(self, t: float, raw: np.ndarray, occupied: bool) -> list[Event]:
        if occupied or self.occ.state is None:
            self._empty_since = None
            self._empty_frames.clear()
            return []
        if self._empty_since is None:
            self._empty_since = t
        if len(self._empty_frames) < 600:
            self._empty_frames.append(raw.copy())
        if t - self._empty_since >= 10.0 and len(self._empty_frames) >= 5:
            empty = np.median(np.array(self._empty_frames), axis=0)
            self._empty_frames.clear()
            self._empty_since = t
            fs = self.layout.full_scale
            if not self._tared:
                # the first tare: what every reference so far (a profile's upright, taken
                # with the layout's nominal zero) stood on as well
                if float(np.abs(empty - self.ex.tare).max()) > max(0.01 * fs, 2.0):
                    self._tared = True
                    self.ex.set_tare(empty)
                    self._rebuild()
                    return [Event(t, E.CALIBRATION, "tare", {"method": "auto"})]
                return []
            # Later, the zero follows the empty seat: the frames are moved back onto the tare,
            # so the calibrated upright and everything learned on top of it keep their meaning
            # (moving the tare instead moved them by the drift: the same error, the other way).
            # Only while every sound channel's zero can be seen: one that reads nothing with
            # nobody seated may have sunk by any amount, and following the others alone takes
            # the drifts that rose off the load and leaves those that sank (a sitter's load then
            # read low and their upright leaning forward)
            if not zeros_seen(empty[~self.health.bad], fs):
                return []
            zero = empty - self.ex.tare
            change = float(np.abs(zero - self.zero).max())
            if change > max(0.01 * fs, 2.0):
                self.zero = zero
                self._drifted = bool(np.any(zero))
                if change > 0.03 * fs:  # worth telling; small drifts are silent
                    moved = round(float(np.abs(zero).max()) / fs, 3)
                    return [Event(t, E.CALIBRATION, "tare", {"method": "follow", "moved": moved})]
        return []

    def snapshot(self, t: float) -> Snapshot:
        """The state after the last frame, as everyone else sees it, at time ``t``."""
        f = self.f
        wallet = self.wallet
        return Snapshot(
            t=t,
            source="cushion",
            online=self.online,
            occupancy=S.occupancy(self.occ.state),
            spell=self._spell(t),
            spell_start=self.timer.spell_start,
            left_at=self.timer.away_since,
            unseen_since=self.timer.unseen_since,
            posture=S.posture(self.posture.state),
            posture_since=self.posture.d.changed_at,
            seen_by=S.CUSHION_SAW if self.posture.state is not None else (),
            balance=S.balance(self.balance.state),
            balance_since=self.balance.d.changed_at,
            shift=self.balance.shift,
            balance_leaving=self.balance.leaving,
            wallet=bool(wallet and wallet.suspected),
            wallet_since=wallet.since if wallet else None,
            static=self.stillness.static,
            still_since=self.stillness.still_since,
            shifts=self.stillness.shifts,
            calibrated=self.calibrated,
            bad_channels=self._bad_channels,
            seat_load=f.seat_load if f else None,
            cop_x=f.cop_x if f else None,
            cop_y=f.cop_y if f else None,
            loads=self._loads_of(f) if f else None,
            seat_only=self.baseline is not None and not self.baseline.has_back,
            sees_recline=self._sees_back and (self.baseline is None or self.baseline.has_back),
            perched=bool(f is not None and self.baseline is not None
                         and self.posture.state == FORWARD
                         and perched(f, self.baseline, self.cfg.detect.posture)),
        )

    def _spell(self, t: float) -> float:
        """The spell at ``t``, counted no further than the cushion's last frame while it is
        online. A cushion that hangs is declared silent ``no_data_timeout`` after that frame,
        and the timer then stands still from it (:meth:`silent`): counted on meanwhile, the
        spell shown (status, the web page, MQTT) would step back by those seconds. A spell
        that ended (a break) reads 0 at once, as before; the history is not made from this."""
        spell = self.timer.spell(t)
        seen = self._seen_at
        if self.online and seen is not None and seen < t:
            spell = min(spell, self.timer.spell(seen))
        return spell

    def _loads_of(self, f: Features) -> tuple[float, ...]:
        """The frame's loads as shares of full scale, for the snapshot: worked out once per
        frame (fused runs take several snapshots of one frame), in plain floats for a chair's
        few channels (the same products numpy gives; numpy is quicker for a matrix)."""
        cached = self._loads_cache
        if cached is not None and cached[0] is f:
            return cached[1]
        k = self._per_full_scale
        load = f.load
        loads = (tuple([v * k for v in load.tolist()]) if len(load) <= 64
                 else tuple((load * k).tolist()))
        self._loads_cache = (f, loads)
        return loads

    # -- thresholds from the sitter's feedback -------------------------------------------
    def retune(self, cfg: Config) -> None:
        """Detect with ``cfg``'s thresholds from the next frame on (the sitter said "Not right":
        :mod:`sitwatch.nudging.feedback` moved them). ``cfg`` is whole, the layout's defaults
        already in. The detectors keep their states and dwell timers: a change of threshold is
        not a change of sitter."""
        self.cfg = cfg
        det = cfg.detect
        self.posture.cfg = det.posture
        self.balance.cfg = det.balance
        self.balance.front_weight = det.balance.threshold / det.balance.front_threshold
        if self.wallet is not None:
            self.wallet.cfg = det.wallet
        self.stillness.cfg = det.stillness

    def cues(self) -> dict[str, float]:
        """The posture cues of the last frame against the upright baseline, as numbers (what a
        "Not right" is recorded with): the rear of the seat's share against upright, the
        forward move of the seat's centre of pressure, the backrest's and the whole chair's
        load against upright, and the sideways shift. Empty before a baseline exists."""
        f, b = self.f, self.baseline
        if f is None or b is None:
            return {}
        out = {
            "rear_ratio": f.rear_share / b.f.rear_share if b.f.rear_share > 0.02 else 1.0,
            "forward_shift": f.cop_y - b.f.cop_y,
            "load_ratio": f.total / b.total,
            "side_shift": self.balance.shift,
        }
        if b.has_back:
            out["back_ratio"] = f.back_load / b.back_load
        return {k: round(float(v), 4) for k, v in out.items()}
