"""The nudger: the one owner of the path from a snapshot to a nudge that goes out (or not).

    Snapshot -> NudgePolicy (which nudge is due, how firmly, did the last one work)
             -> NudgeGate (deliver now, hold for after do-not-disturb, or drop)
             -> events to dispatch, annotated when not delivered

Everything that used to be spread over the pipelines and the daemon lives here: the policy, the
gate, the held nudges and whether a held nudge still applies when do-not-disturb ends (judged from
the snapshot, by kind, through :data:`STILL_APPLIES`), and the bookkeeping that keeps the
outcomes honest (a nudge that was not delivered is forgotten, one delivered late is measured from
then, a "Done" click counts as acted on). A cushion, a camera alone or both fused: the caller hands
in one snapshot and gets events back, so every setup is nudged and measured the same way.

Pure like the detectors: no clock of its own (times come with the snapshot, or are passed in);
the gate reads the wall clock for its own rules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sitwatch.config import Nudges as NudgesCfg
from sitwatch.core.events import NUDGE, Event
from sitwatch.core.kinds import Balance, NudgeKind, Posture, Sensor
from sitwatch.core.spans import clock_window
from sitwatch.nudging.budget import DailyBudget
from sitwatch.nudging.gate import DELIVER, HOLD, NudgeGate
from sitwatch.nudging.policy import NudgePolicy
from sitwatch.sensing.snapshot import CAMERA_SAW, Snapshot

SLOW_PERIOD = 1.0  # seconds between two looks of the policy at the snapshot

#: Does a held nudge of this kind still apply? (Only asked while the seat is occupied.)
STILL_APPLIES: Mapping[str, Callable[[Event, Snapshot], bool]] = {
    NudgeKind.PROLONGED_SITTING: lambda ev, s: True,
    NudgeKind.SLOUCH: lambda ev, s: s.posture == ev.get("posture", Posture.SLOUCHED),
    NudgeKind.ASYMMETRIC_LOAD: lambda ev, s: s.balance in (Balance.LEFT, Balance.RIGHT),
    NudgeKind.WALLET: lambda ev, s: s.wallet,
    NudgeKind.DAILY_BUDGET: lambda ev, s: True,
    NudgeKind.STATIC_SITTING: lambda ev, s: s.static,
}


def still_applies(ev: Event, snap: Snapshot) -> bool:
    """A held nudge is worth delivering now: somebody sits and its cause is still there."""
    if not snap.occupied:
        return False
    check = STILL_APPLIES.get(str(ev.get("kind")))
    return True if check is None else check(ev, snap)


class Nudger:
    def __init__(self, cfg: NudgesCfg, sit_limit: float, gate: NudgeGate | None = None,
                 min_break: float | None = None) -> None:
        """``gate`` None: every due nudge is delivered (replays). ``min_break``: the
        time-to-move nudge says how long a break must last to count."""
        self.cfg = cfg
        self.policy = NudgePolicy(cfg, sit_limit, min_break=min_break)
        self.gate = gate
        self._looked_at = float("-inf")
        self.budget = DailyBudget(cfg.daily_budget_hours * 3600, cfg.budget_warn_minutes * 60)
        self._summary_at = (clock_window(f"{cfg.day_summary_at}-00:00")[0]
                            if cfg.day_summary_at else None)
        if self._summary_at is None and gate is not None and gate.hours and cfg.daily_budget_hours:
            self._summary_at = -1  # the end of the day's last working window

    def _day_nudges(self, snap: Snapshot) -> list[Event]:
        """The daily budget's nudges and the day's summary (they need the local date: only
        with a gate, whose clock gives it)."""
        if self.gate is None or (not self.budget.budget and self._summary_at is None):
            return []
        now = self.gate.clock.now()
        stage = self.budget.step(snap.t, now.date(), occupied=snap.occupied, spell=snap.spell,
                                 may_nudge=self.policy.spaced(snap.t))
        out: list[Event] = []
        if stage is not None:
            out.append(self.policy.daily(snap.t, stage, seated=self.budget.seated,
                                         budget=self.budget.budget))
        at = self._summary_at
        if at == -1:
            # five minutes before the last working window ends, so it is still inside it
            ends = [b if b > a else 24 * 60 for a, b in self.gate.hours_of(now)]
            at = max(ends) - 5 if ends else None
        if self.budget.summary_due(now.hour * 60 + now.minute, at):
            out.append(self.policy.summary(snap.t, seated=self.budget.seated,
                                           budget=self.budget.budget,
                                           longest=self.budget.longest))
        return out

    @property
    def held(self) -> int:
        """Nudges waiting for do-not-disturb to end."""
        return len(self.gate.held) if self.gate is not None else 0

    def observe(self, snap: Snapshot) -> list[Event]:
        """Call after every reading: at most once per :data:`SLOW_PERIOD` the policy looks at
        the snapshot, unless no sensor sees the seat (:attr:`Snapshot.unseen_since`). Returns
        outcomes and the nudges due, each already through the gate (a nudge not delivered
        carries ``delivered: false`` and why it was ``held`` or ``dropped``)."""
        t = snap.t
        if not snap.seen:  # nothing sees the seat: no nudge, outcome or seated time is known
            self.policy.unseen()
            return []
        if t - self._looked_at < SLOW_PERIOD:
            return []
        self._looked_at = t
        cushion_saw = Sensor.CUSHION in snap.seen_by
        evs = self.policy.step(
            t,
            spell=snap.spell,
            spell_start=snap.spell_start,
            occupied=snap.occupied,
            posture=snap.posture,
            posture_for=snap.posture_for,
            balance=snap.balance,
            balance_for=snap.balance_for,
            balance_leaving=snap.balance_leaving,
            wallet=snap.wallet,
            wallet_since=snap.wallet_since,
            static=snap.static,
            still_since=snap.still_since,
            # the words fit the sensor that saw the posture: the cushion's whenever it did
            # (alone or with the camera), the head's when only a camera did (alone or fused)
            seat_only=snap.seat_only and cushion_saw,
            perched=snap.perched and cushion_saw,
            head_down=snap.seen_by == CAMERA_SAW,
            seen_by=snap.seen_by,
        )
        evs += self._day_nudges(snap)
        out: list[Event] = []
        for ev in evs:
            if ev.event != NUDGE:
                out.append(ev)
            elif self.cfg.enabled:
                out.append(self._gated(ev))
        return out

    def _gated(self, ev: Event) -> Event:
        if self.gate is None:
            return ev
        d = self.gate.decide(ev)
        if d.action == DELIVER:
            return ev
        self.policy.forget(str(ev.get("kind")), ev.t)  # nothing to measure for it
        why = "held" if d.action == HOLD else "dropped"
        return Event(ev.t, ev.event, ev.state, {**ev.data, "delivered": False, why: d.reason})

    def release(self, snap: Snapshot, now: float) -> list[Event]:
        """Held nudges that go out now (do-not-disturb is over and they still apply to
        ``snap``), stamped ``now``: their response and their kind's cooldown run from now. Call
        every turn of the loop: it also notices the seat going out of sight (no outcome can be
        told for the nudges before it)."""
        if not snap.seen:
            self.policy.unseen()
            return []  # held until the seat is seen again
        if self.gate is None or not self.gate.held or not self.policy.spaced(now):
            return []
        # one at a time: the others still held wait out the spacing (and HOLD_AT_MOST)
        out = self.gate.release(lambda ev: still_applies(ev, snap), at_most=1)
        for ev in out:
            self.policy.track(NudgeKind(ev.get("kind")), now)
        return [Event(now, ev.event, ev.state, ev.data) for ev in out]

    def dismiss(self, kind: str) -> None:
        """"Not right" on a nudge of this kind: its episode gets no further nudge."""
        self.policy.dismiss(kind)

    def acknowledge(self, kind: str, t: float) -> list[Event]:
        """The sitter pressed "Done" on a nudge of this kind: its outcome, acted on."""
        return self.policy.acknowledge(kind, t)
