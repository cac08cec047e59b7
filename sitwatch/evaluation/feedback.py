"""Does "Not right" help? Replayed recordings with a simulated sitter who answers false alarms.

For a labelled recording and the thresholds it is measured with, :func:`learn` replays it
through the same pipeline and nudger as ``sitwatch replay``. Whenever a posture nudge goes out
while the labels say the sitter sits in a calm posture, and did when the nudge's episode began
(:func:`calm`: a slouch nudge while upright, reclined or perched; a forward one while upright
or perched; a lopsided one while upright), the sitter says "Not right", at most
``max_events`` times: the thresholds move (:mod:`sitwatch.nudging.feedback`, the daemon's own
rule and defaults), the pipeline is retuned at once and the nudger drops that episode, exactly
as the daemon does. A nudge during
any other posture (one the labels leave open, such as hunched or twisted, or a lopsided reading
while reclined) is left alone: the sitter might well agree.

:func:`evaluate` replays the recording again and again, as the same sitting on the following
days, while false nudges come and are answered (at most ``max_events`` answers in all), then
once more with what was learned, and compares with the first replay: false nudges, false-alarm
time, and whether every real slump and lopsided segment is still found.
Two ways of measuring "after":

- on the *same* recording (``same``): the sitter who said "Not right" yesterday and sits the
  same way today. The feedback saw these false alarms, so this is not a held-out figure for
  the feedback (it is for the thresholds it started from, where those are held out);
- on *another* session of the same sitter (``next session``, fsr-cushion-9): held out for the
  feedback too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from sitwatch import config
from sitwatch.core.events import BALANCE, NUDGE, POSTURE, Event
from sitwatch.core.kinds import FeedbackKind, Posture
from sitwatch.evaluation import datasets
from sitwatch.evaluation.scoring import Scores, first_upright_profile, run_pipeline, score
from sitwatch.nudging import feedback as fb
from sitwatch.nudging.nudger import Nudger
from sitwatch.sensing import calibration
from sitwatch.sensing.pipeline import Pipeline
from sitwatch.sensing.snapshot import Snapshot

MAX_EVENTS = 3  # "Not right" answers the simulated sitter gives per recording


def calm(cls: datasets.Classes, kind: FeedbackKind) -> tuple[int, ...]:
    """The labels during which a nudge of ``kind`` is a false alarm: the time the tables count
    as false-alarm time (upright and reclined for a slump, upright for a lopsided or forward
    reading), plus a perch for both slump and forward lean (the tables report a perch read as
    either apart: it is the seat-only rules' trap)."""
    if kind == FeedbackKind.SLOUCH:
        return (*cls.upright, *cls.recline, *cls.perch)
    if kind == FeedbackKind.LEANING_FORWARD:
        return (*cls.upright, *cls.perch)
    if kind == FeedbackKind.ASYMMETRIC_LOAD:
        return cls.upright
    return ()


def _label(d: datasets.Labelled, t: float) -> int:
    return int(d.label[int(np.clip(np.searchsorted(d.t, t), 0, len(d.t) - 1))])


def is_false(d: datasets.Labelled, ev: Event, since: float | None = None) -> FeedbackKind | None:
    """The kind of a nudge the labels say is a false alarm: the sitter is in a calm posture
    (:func:`calm`) when it goes out and was when its episode began (``since``; a lean that
    has just ended is not a false alarm). None for a right nudge, one not about posture, or
    one during a posture the labels leave open (hunched, twisted, reclined for a lean ...)."""
    kind = fb.kind_of(ev.data)
    if kind is None:
        return None
    ok = calm(d.classes, kind)
    if _label(d, ev.t) not in ok or (since is not None and _label(d, since) not in ok):
        return None
    return kind


@dataclass
class Learned:
    state: fb.State
    false_nudges: int  # during the learning replay (each answered, up to max_events)
    answered: list[tuple[float, FeedbackKind]] = field(default_factory=list)


def learn(
    d: datasets.Labelled,
    cfg: config.Config,
    profile: calibration.Profile | None,
    *,
    max_events: int = MAX_EVENTS,
    start: fb.State | None = None,
) -> Learned:
    """Replay ``d`` with a sitter who says "Not right" to the false nudges (at most
    ``max_events`` of them), as the daemon would take it."""
    pl = Pipeline(d.layout, cfg, profile)
    base = pl.cfg
    state = start or fb.State()
    pl.retune(fb.adapt(base, state, base.feedback))
    nudger = Nudger(base.nudges, base.detect.sit_limit)
    out = Learned(state, 0)
    for t, v in zip(d.t, d.values, strict=True):
        pl.process(float(t), v)
        snap = pl.snapshot(float(t))
        for ev in nudger.observe(snap):
            if ev.event != NUDGE:
                continue
            kind = is_false(d, ev, _since(ev, snap))
            if kind is None:
                continue
            out.false_nudges += 1
            if len(out.answered) >= max_events:
                continue
            out.state, _ = fb.wrong(out.state, kind, base.feedback, at=f"t={float(t):.0f}s",
                                    source="replay")
            out.answered.append((float(t), kind))
            pl.retune(fb.adapt(base, out.state, base.feedback))
            nudger.dismiss(str(ev.get("kind")))
    return out


def _since(ev: Event, snap: Snapshot) -> float | None:
    """When the episode of a nudge began."""
    kind = fb.kind_of(ev.data)
    if kind == FeedbackKind.ASYMMETRIC_LOAD:
        return snap.balance_since
    if kind in (FeedbackKind.SLOUCH, FeedbackKind.LEANING_FORWARD):
        return snap.posture_since
    return snap.wallet_since


@dataclass(frozen=True)
class NudgeCount:
    """A replay's nudges about how the sitter sits, as the labels judge them."""

    sent: int = 0  # posture nudges (slump, forward, lopsided, wallet, static)
    wrong: int = 0  # ... sent in a calm posture (:func:`is_false`), a perch aside
    late: int = 0  # ... sent in a calm posture just after the posture they were for ended
    perch: int = 0  # ... sent while perched (a sit-back nudge there counts as right)
    hours: float = 0.0  # time seated, hours

    def __add__(self, o: NudgeCount) -> NudgeCount:
        return NudgeCount(self.sent + o.sent, self.wrong + o.wrong, self.late + o.late,
                          self.perch + o.perch, self.hours + o.hours)


def nudge_count(d: datasets.Labelled, events: Sequence[Event], hz: float) -> NudgeCount:
    """The posture nudges of a replay's ``events``: how many went out, how many the labels say
    came in a calm posture that the episode began in too (wrong), or just after the posture it
    was for ended (late: the state outlasts it by its release), and how many during a perch
    (the population's tables count the sit-back nudge there as right: perched on the front
    edge, the lower back is unsupported too); ``hz``: the recording's rate, for the seated
    hours."""
    sent = wrong = late = perch = 0
    began: dict[str, float] = {}  # when the last posture / balance state began
    for ev in events:
        if ev.event in (POSTURE, BALANCE):
            began[ev.event] = ev.t
        kind = fb.kind_of(ev.data) if ev.event == NUDGE else None
        if kind is None:
            continue
        sent += 1
        # a nudge for a lean that has just ended is late, not wrong: judged where it began
        since = began.get(BALANCE if kind == FeedbackKind.ASYMMETRIC_LOAD else POSTURE)
        if _label(d, ev.t) in d.classes.perch:
            perch += 1
        elif is_false(d, ev, since) is not None:
            wrong += 1
        elif is_false(d, ev) is not None:
            late += 1
    return NudgeCount(sent, wrong, late, perch, float((d.label != 0).sum()) / hz / 3600)


def false_nudges(d: datasets.Labelled, events: Sequence[Event]) -> int:
    """Nudges that went out in a calm posture (judged at the nudge; a replay's trace keeps no
    episode starts)."""
    return sum(ev.event == NUDGE and is_false(d, ev) is not None for ev in events)


@dataclass
class Outcome:
    person: str
    setting: str
    learned_on: str
    answered: int
    changed: str  # what the feedback moved, in words
    false_nudges: tuple[int, int]  # before, after
    before: Scores
    after: Scores
    #: share of slump time read leaning forward (a seat alone reads a deep slump as "weight
    #: forward"), before and after; None without slumps
    slump_forward: tuple[float | None, float | None] = (None, None)


Measured = tuple[Scores, int, float | None]  # scores, false nudges, slump time read forward
_MEASURED: dict[tuple[str, str], Measured] = {}


def _measure(d: datasets.Labelled, cfg: config.Config) -> Measured:
    """``d`` replayed with ``cfg``, calibrated on its first upright minute, and scored
    (remembered: the table measures the same "before" several times)."""
    key = (d.name, cfg.model_dump_json())
    if key not in _MEASURED:
        _MEASURED[key] = _replay(d, cfg)
    return _MEASURED[key]


def _replay(d: datasets.Labelled, cfg: config.Config) -> Measured:
    prof, win = first_upright_profile(d)
    tr = run_pipeline(d, cfg, prof)
    slump = np.isin(d.label, d.classes.slouch)
    forward = float((tr.posture[slump] == Posture.LEANING_FORWARD).mean()) if slump.any() \
        else None
    return score(d, tr, win), false_nudges(d, tr.events), forward


def _changed(d: datasets.Labelled, cfg: config.Config, state: fb.State) -> str:
    base = config.for_layout(cfg, d.layout)
    ch = fb.changes(base, state, base.feedback)
    if not ch:
        return "nothing"
    return "; ".join(f"{c.knob.rsplit('.', 1)[1]} {c.before:g}->{c.after:.3g}" for c in ch)


def evaluate(
    d: datasets.Labelled, cfg: config.Config, setting: str,
    *, learn_on: datasets.Labelled | None = None, max_events: int = MAX_EVENTS,
) -> Outcome:
    """``d`` measured with ``cfg`` before and after the feedback learned on ``learn_on`` (the
    same recording by default), calibrated on its own first upright minute either way."""
    src = learn_on or d
    prof, _ = first_upright_profile(src)
    state, answered = fb.State(), 0
    for _day in range(max_events):  # the same sitting, day after day, while it is answered
        got = learn(src, cfg, prof, max_events=max_events - answered, start=state)
        state, answered = got.state, answered + len(got.answered)
        if not got.answered or answered >= max_events:
            break
    before, fn_before, fwd_before = _measure(d, cfg)
    adapted = fb.adapt(config.for_layout(cfg, d.layout), state)
    after, fn_after, fwd_after = _measure(d, adapted)
    return Outcome(d.name, setting, "same" if learn_on is None else src.person,
                   answered, _changed(d, cfg, state), (fn_before, fn_after), before, after,
                   (fwd_before, fwd_after))


def at_the_cap(d: datasets.Labelled, kind: FeedbackKind, cfg: config.Config | None = None,
               ) -> Outcome:
    """``d`` with ``kind`` eased as far as feedback goes (``max_steps``), whether or not a false
    alarm called for it: what the bound costs when someone keeps saying "Not right"."""
    cfg = cfg or config.Config()
    n = cfg.feedback.max_steps
    state = fb.State(steps={kind: n})
    before, fn_before, fwd_before = _measure(d, cfg)
    after, fn_after, fwd_after = _measure(d, fb.adapt(config.for_layout(cfg, d.layout), state))
    return Outcome(d.name, f"defaults, {fb.label(kind)} at the cap", "-", n,
                   _changed(d, cfg, state), (fn_before, fn_after), before, after,
                   (fwd_before, fwd_after))


def feedback_table(
    people: Sequence[datasets.Labelled], fsr: Sequence[datasets.Labelled],
    lopo: Sequence[tuple[datasets.Labelled, config.Config, str]] = (),
) -> list[Outcome]:
    """The rows of ``sitwatch eval``'s "Not right" table: each smartchair person with the
    shipped defaults and (given) held-out thresholds, each fsr-cushion-9 session with the
    defaults, learned on itself and on the other session; then everyone with slouch, lopsided
    and leaning forward eased to the cap, and each smartchair person as a seat-only device
    with leaning forward at the cap (a seat alone reads their slumps as weight forward, so that
    is what easing it costs)."""
    from sitwatch.evaluation.variants import SEAT_ONLY, seat_only

    rows = []
    default = config.Config()
    for d in people:
        rows.append(evaluate(d, default, "defaults"))
    for d, cfg, label in lopo:
        rows.append(evaluate(d, cfg, label))
    for d in fsr:
        rows.append(evaluate(d, default, "defaults"))
        for other in fsr:
            if other is not d:
                rows.append(evaluate(d, default, "defaults", learn_on=other))
    for d in [*people, *fsr]:
        for kind in (FeedbackKind.SLOUCH, FeedbackKind.ASYMMETRIC_LOAD,
                     FeedbackKind.LEANING_FORWARD):
            rows.append(at_the_cap(d, kind))
    for d in people:
        for variant in SEAT_ONLY:
            rows.append(at_the_cap(seat_only(d, variant), FeedbackKind.LEANING_FORWARD))
    return rows


# -- the table in `sitwatch eval` --------------------------------------------------------------

HEADER = [
    "recording",
    "thresholds",
    "learned on",
    '"Not right"',
    "what moved",
    "false nudges",
    "false slouch",
    "perch read slouched",
    "perch read forward",
    "false lopsided",
    "slumps found",
    "slumps read forward",
    "lopsided found",
    "forward leans found",
]


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{100 * v:.1f}%"


def _pair(a: float | None, b: float | None) -> str:
    return "-" if a is None and b is None else f"{_pct(a)} -> {_pct(b)}"


def table_rows(rows: Sequence[Outcome]) -> list[list[str]]:
    return [
        [
            r.person, r.setting, r.learned_on, str(r.answered), r.changed,
            f"{r.false_nudges[0]} -> {r.false_nudges[1]}",
            # strict (``slouched`` alone): this table shows "read forward" in columns of its own
            _pair(r.before.slouch_false_strict, r.after.slouch_false_strict),
            _pair(r.before.perch_slouched, r.after.perch_slouched),
            _pair(r.before.perch_forward, r.after.perch_forward),
            _pair(r.before.lopsided_false, r.after.lopsided_false),
            _pair(r.before.slouch_recall_strict, r.after.slouch_recall_strict),
            _pair(*r.slump_forward),
            _pair(r.before.lopsided_recall, r.after.lopsided_recall),
            _pair(r.before.forward_recall, r.after.forward_recall),
        ]
        for r in rows
    ]


def eval_rows(
    people: Sequence[datasets.Labelled], fsr: Sequence[datasets.Labelled], *, lopo: bool = True,
) -> list[Outcome]:
    """The table's rows; with ``lopo``, each smartchair person also with the thresholds the
    leave-one-person-out search picks on the others (the held-out rows of the main table)."""
    from sitwatch.evaluation.tuning import config_for, tune

    held: list[tuple[datasets.Labelled, config.Config, str]] = []
    if lopo and len(people) > 1:
        for d in people:
            ov = tune([o for o in people if o is not d])
            label = "lopo (" + ", ".join(f"{k.rsplit('.', 1)[1]}={v}" for k, v in ov.items()
                                         if k.endswith("threshold")) + ")"
            held.append((d, config_for(ov), label))
    return feedback_table(people, fsr, held)
