"""Nudge policy: which finding deserves a nudge now, how firmly, and whether it worked.

Pure and clock-free like the detectors: every call carries the time. For each kind of nudge
(the event contract: prolonged_sitting, slouch, asymmetric_load, wallet, static_sitting) the
policy tracks

- the *episode* it belongs to (one sitting spell, one slouch, one lopsided stretch, one wallet
  suspicion). An episode gets at most ``per_episode`` nudges: a gentle one, a firmer one if the
  first is ignored, then quiet until the episode ends;
- a cooldown between two nudges of the same kind, stretched (up to 4x) for kinds the sitter
  keeps ignoring when ``adapt`` is on, and back to normal after they act on one;
- every nudge's outcome: did the sitter respond within ``respond_within`` (stand up, sit back,
  even out, empty the pocket)? That becomes a ``nudge_outcome`` event, which feeds the
  adaptation and the reports.

A long forward lean uses the ``slouch`` kind with ``"posture": "leaning_forward"``.
Nudges of different kinds keep ``spacing`` apart: one due sooner after another waits its turn, in
the order of the checks in :meth:`NudgePolicy.step` (time to move first).
Wall-clock rules (snooze, pause, quiet hours, the daily cap, do-not-disturb) are applied later,
by :class:`sitwatch.nudging.gate.NudgeGate` in the daemon.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sitwatch.config import Nudges as NudgesCfg
from sitwatch.core import durations
from sitwatch.core.events import NUDGE, NUDGE_OUTCOME, Event
from sitwatch.core.kinds import Balance, BudgetStage, NudgeKind, Posture
from sitwatch.nudging.guidance import (
    CATALOG,
    HEAD_DOWN,
    PERCHED,
    WEIGHT_FORWARD,
    Advice,
    catalog,
)

#: The postures the ``slouch`` kind is about, and the advice (:data:`CATALOG` key) for each.
SLUMPED: dict[str, str] = {
    Posture.SLOUCHED: NudgeKind.SLOUCH,
    Posture.LEANING_FORWARD: Posture.LEANING_FORWARD,
}
MAX_BACKOFF = 4.0
IGNORES_BEFORE_BACKOFF = 2


@dataclass
class _Kind:
    episode: float | None = None  # start time of the episode the last nudge belonged to
    in_episode: int = 0
    last: float | None = None
    sent: int = 0
    ignored_streak: int = 0
    backoff: float = 1.0


@dataclass
class _Pending:
    kind: NudgeKind
    t: float
    deadline: float


@dataclass
class NudgePolicy:
    cfg: NudgesCfg
    sit_limit: float
    kinds: dict[NudgeKind, _Kind] = field(default_factory=dict)
    pending: list[_Pending] = field(default_factory=list)
    advice: dict[str, Advice] = field(default_factory=lambda: CATALOG)
    min_break: float | None = None  # seconds up that count as a break: said in the nudge
    #: the last nudge of any kind (``spacing``), and the one before it (a nudge the gate did
    #: not deliver is forgotten: the spacing runs from the one before)
    last_any: float | None = None
    _any_before: float | None = None

    def __post_init__(self) -> None:
        self.advice = catalog(self.cfg)  # the built-in texts and the sitter's own

    def _k(self, kind: NudgeKind) -> _Kind:
        return self.kinds.setdefault(kind, _Kind())

    def seed_last(self, last: Mapping[str, float]) -> None:
        """When each kind was last shown (on this clock), from the history: a restart sent the
        time-to-move nudge again at once, whatever its cooldown."""
        for kind, t in last.items():
            if kind in NudgeKind.__members__.values():
                k = self._k(NudgeKind(kind))
                k.last = t if k.last is None else max(k.last, t)
                self.last_any = t if self.last_any is None else max(self.last_any, t)

    def spaced(self, t: float) -> bool:
        """A nudge may go out at ``t``: ``spacing`` has passed since the last one of any kind
        (two at once, "time to move" beside "sit back", is noise; the second waits its turn
        and goes out then if it still applies)."""
        gap = float(self.cfg.spacing)
        return gap <= 0 or self.last_any is None or t - self.last_any >= gap

    def seed_texts(self, sent: Mapping[str, int]) -> None:
        """Carry on each kind's turn through its texts from ``sent`` (today's delivered nudges
        by kind, from the history): after a restart the first nudge repeated the text of the
        one before it ("Sit back in your chair" twice in a row)."""
        for kind, n in sent.items():
            if kind in NudgeKind.__members__.values() and n > 0:
                self._k(NudgeKind(kind)).sent = max(self._k(NudgeKind(kind)).sent, int(n))

    def cooldown(self, kind: NudgeKind) -> float:
        base = float(self.cfg.cooldown.get(kind, 900.0))
        return base * (self._k(kind).backoff if self.cfg.adapt else 1.0)

    def _due(self, kind: NudgeKind, t: float, episode: float) -> str | None:
        """The level of the nudge due now for this episode, or None."""
        k = self._k(kind)
        if k.episode == episode and k.in_episode >= self.cfg.per_episode:
            return None
        if k.last is not None and t - k.last < self.cooldown(kind):
            return None
        n = k.in_episode if k.episode == episode else 0
        return "gentle" if n == 0 else "firm"

    def _nudge(
        self,
        kind: NudgeKind,
        t: float,
        episode: float,
        level: str,
        advice_key: str | None = None,
        suffix: str = "",
        prefix: str = "",
        **extra: object,
    ) -> Event:
        k = self._k(kind)
        if k.episode != episode:
            k.episode, k.in_episode = episode, 0
        k.in_episode += 1
        k.last = t
        self._any_before, self.last_any = self.last_any, t
        adv = self.advice[advice_key or kind]
        title, action = adv.pick(k.sent, level)
        k.sent += 1
        within = float(self.cfg.respond_within.get(kind, 300.0))
        self.pending.append(_Pending(kind, t, t + within))
        data: dict[str, object] = {
            "kind": kind, "title": title, "message": prefix + action + suffix, "why": adv.why,
            "level": level,
        }
        data.update(extra)
        return Event(t, NUDGE, None, data)

    def step(
        self,
        t: float,
        *,
        spell: float,
        spell_start: float | None = None,
        occupied: bool,
        posture: str | None,
        posture_for: float,
        balance: str | None,
        balance_for: float,
        wallet: bool,
        wallet_since: float | None = None,
        static: bool = False,
        still_since: float | None = None,
        seat_only: bool = False,
        balance_leaving: bool = False,
        perched: bool = False,
        head_down: bool = False,
        seen_by: tuple[str, ...] = (),
    ) -> list[Event]:
        """The outcomes and nudges due at ``t``. ``seat_only``: the posture comes from a seat
        alone, so leaning forward gets the words for weight on the front of the seat;
        ``perched``: leaning forward is a perch on a chair's front edge (its own words);
        ``head_down``: the posture is a camera's alone, so slouched is a dropped head (its own
        words); ``seen_by``: the sensors that saw the posture, which a slouch nudge names.
        ``balance_leaving``: the lean no longer shows and its state is waiting out its dwell
        (:attr:`~sitwatch.sensing.snapshot.Snapshot.balance_leaving`): its nudge waits too, and
        is dropped if the lean ends (population: 4 of 311 nudges came 11-12 s after the lean
        they were for, the sitter back on their usual side or swinging to the other)."""
        out = self._outcomes(t, occupied=occupied, posture=posture, balance=balance, wallet=wallet,
                             static=static)
        if not self.cfg.enabled or not occupied:
            return out
        if spell >= self.sit_limit and self.spaced(t):
            ep = spell_start if spell_start is not None else t - spell
            level = self._due(NudgeKind.PROLONGED_SITTING, t, ep)
            if level:
                if self.min_break:  # say how long a break must last to count as one
                    mins = max(1, round(self.min_break / 60))
                    suffix = (f" The timer starts again after {mins} minute"
                              f"{'s' if mins > 1 else ''} out of the chair.")
                    out.append(self._nudge(NudgeKind.PROLONGED_SITTING, t, ep, level, None,
                                           suffix, minutes=round(spell / 60),
                                           break_minutes=mins))
                else:
                    out.append(self._nudge(NudgeKind.PROLONGED_SITTING, t, ep, level,
                                           minutes=round(spell / 60)))
        advice = SLUMPED.get(posture) if posture is not None else None
        if seat_only and posture == Posture.LEANING_FORWARD:
            advice = WEIGHT_FORWARD
        elif perched and posture == Posture.LEANING_FORWARD:
            advice = PERCHED
        elif head_down and posture == Posture.SLOUCHED:
            advice = HEAD_DOWN
        if advice is not None and posture_for >= self.cfg.slouch_after and self.spaced(t):
            ep = t - posture_for
            level = self._due(NudgeKind.SLOUCH, t, ep)
            if level:
                out.append(self._nudge(NudgeKind.SLOUCH, t, ep, level, advice, posture=posture,
                                       seen_by=list(seen_by)))
        # A suspected wallet is the cause of the lopsided loading it makes (it tilts the
        # pelvis): its own nudge names the fix, so the generic one waits.
        if (
            balance in (Balance.LEFT, Balance.RIGHT)
            and balance_for >= self.cfg.imbalance_after
            and not wallet
            and not balance_leaving
            and self.spaced(t)
        ):
            ep = t - balance_for
            level = self._due(NudgeKind.ASYMMETRIC_LOAD, t, ep)
            if level:
                # which side is the heavy one: the advice alone left the sitter to guess
                heavy = f"More of your weight is on your {balance} side. "
                out.append(self._nudge(NudgeKind.ASYMMETRIC_LOAD, t, ep, level,
                                       prefix=heavy, side=balance))
        if wallet and self.spaced(t):
            ep = wallet_since if wallet_since is not None else 0.0
            level = self._due(NudgeKind.WALLET, t, ep)
            if level:
                out.append(self._nudge(NudgeKind.WALLET, t, ep, level))
        # Static sitting (the detector applied detect.stillness.after): one still stretch is
        # the episode, so a real shift ends it and the next stretch starts afresh.
        if static and self.spaced(t):
            ep = still_since if still_since is not None else 0.0
            level = self._due(NudgeKind.STATIC_SITTING, t, ep)
            if level:
                minutes = round((t - ep) / 60) if still_since is not None else None
                out.append(self._nudge(NudgeKind.STATIC_SITTING, t, ep, level,
                                       minutes=minutes))
        return out

    def daily(self, t: float, stage: str, *, seated: float, budget: float) -> Event:
        """The daily budget's nudge: ``near`` (gentle) or ``reached`` (firm). One episode a
        day: the day is the episode, so no cooldown applies. Its words start with the day's
        figures (a nudge about having sat too much says how much), before the advice, whose
        wording rotates or is the sitter's own."""
        from sitwatch.nudging.budget import NEAR

        level = "gentle" if stage == NEAR else "firm"
        figures = (f"{durations.words(seated)} in the chair today; your budget is "
                   f"{durations.setting(budget)}. ")
        return self._nudge(NudgeKind.DAILY_BUDGET, t, t, level, prefix=figures, stage=stage,
                           minutes=round(seated / 60), budget_minutes=round(budget / 60))

    def summary(self, t: float, *, seated: float, budget: float, longest: float) -> Event:
        """The day in one line; nothing to respond to, so no outcome is measured."""
        adv = self.advice[NudgeKind.DAILY_BUDGET]
        text = f"{durations.words(seated)} in the chair today"
        if budget > 0:
            text += f" (your budget: {durations.setting(budget)})"
        if longest >= 60:
            text += f"; the longest stretch was {durations.words(longest)}"
        return Event(t, NUDGE, None, {
            "kind": NudgeKind.DAILY_BUDGET, "title": "Your day in the chair",
            "message": text + ".", "why": adv.why, "level": "summary",
            "stage": BudgetStage.SUMMARY,
            "minutes": round(seated / 60),
        })

    def acknowledge(self, kind: str, t: float) -> list[Event]:
        """The sitter pressed "Done" on a nudge of this kind: count it as acted on."""
        mine = [p for p in self.pending if p.kind == kind]
        self.pending = [p for p in self.pending if p.kind != kind]
        return [self._settle(p, t, True) for p in mine]

    def dismiss(self, kind: str) -> None:
        """The sitter said the last nudge of this kind was wrong ("Not right"): no more nudges
        for its episode, and no outcome to measure (a false alarm is neither acted on nor
        ignored)."""
        k = self._k(NudgeKind(kind))
        k.in_episode = max(k.in_episode, self.cfg.per_episode)
        self.pending = [p for p in self.pending if p.kind != kind]

    def forget(self, kind: str, t: float) -> None:
        """The nudge was not delivered (held or dropped): no outcome to measure for it."""
        self.pending = [p for p in self.pending if not (p.kind == kind and p.t == t)]
        if self.last_any == t:  # the spacing runs from the nudge before, which was shown
            self.last_any = self._any_before

    def unseen(self) -> None:
        """No sensor sees the seat: whether the nudges waiting for their outcome were acted on
        cannot be told (an absence nobody saw, or the seat taken as empty after it, is not a
        response), so they get none."""
        self.pending.clear()

    def track(self, kind: NudgeKind, t: float) -> None:
        """A held nudge went out later, at ``t``: measure the response from then, and count the
        cooldown (and so the firmer follow-up) from then too, not from when it was held."""
        within = float(self.cfg.respond_within.get(kind, 300.0))
        self.pending.append(_Pending(kind, t, t + within))
        k = self._k(kind)
        k.last = t if k.last is None else max(k.last, t)
        self.last_any = t if self.last_any is None else max(self.last_any, t)

    def _outcomes(
        self, t: float, *, occupied: bool, posture: str | None, balance: str | None, wallet: bool,
        static: bool = False,
    ) -> list[Event]:
        if not self.pending:
            return []
        done = {
            NudgeKind.PROLONGED_SITTING: not occupied,
            NudgeKind.SLOUCH: not occupied or posture not in SLUMPED,
            NudgeKind.ASYMMETRIC_LOAD: not occupied or balance == Balance.BALANCED,
            NudgeKind.WALLET: not wallet,
            NudgeKind.DAILY_BUDGET: not occupied,
            NudgeKind.STATIC_SITTING: not occupied or not static,
        }
        out, keep = [], []
        for p in self.pending:
            responded = done.get(p.kind, False)
            if responded or t >= p.deadline:
                out.append(self._settle(p, t, responded))
            else:
                keep.append(p)
        self.pending = keep
        return out

    def _settle(self, p: _Pending, t: float, responded: bool) -> Event:
        k = self._k(p.kind)
        if responded:
            k.ignored_streak = 0
            k.backoff = 1.0
        else:
            k.ignored_streak += 1
            if k.ignored_streak >= IGNORES_BEFORE_BACKOFF:
                k.backoff = min(MAX_BACKOFF, k.backoff * 2)
        data: dict[str, object] = {
            "kind": p.kind,
            "responded": responded,
            "after": round(t - p.t, 1),
        }
        if self.cfg.adapt and k.backoff > 1:
            data["cooldown"] = round(self.cooldown(p.kind))
        return Event(t, NUDGE_OUTCOME, None, data)
