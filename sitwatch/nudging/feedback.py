"""Learning from "Not right": a false alarm the sitter reports eases that kind's thresholds.

Pure data and arithmetic, no clock and no I/O but :func:`load` / :func:`save` of the small JSON
file that keeps the result (owner-only, next to the calibration profile). Detectors never see
this module: the daemon, ``sitwatch replay`` and the evaluation hand the detectors a config whose
thresholds :func:`adapt` moved, so detection stays as pure as before.

How a threshold moves. Each feedback kind owns a few thresholds (:data:`KNOBS`), each with a
*hard limit* on the "fires less often" side. One "Not right" is one *step*: every threshold of
that kind becomes ``step`` (``[feedback] step``, 15% by default) harder to reach: a shift or a
ratio that fires above it is multiplied by 1.15, one that fires below it divided by 1.15, and
never past its limit. At most ``max_steps`` steps (3 by default) are taken per kind, so a
threshold moves at most 1.15³ = 1.52 times. Later reports are still recorded, and change
nothing. The step is relative because the shipped thresholds sit between the postures they
separate with roughly 10-20% room on each side (docs/accuracy.md): one step stays within that
room, and a real slump or lean a little stronger than the false alarm is still seen.

A slump is read when the rear of the seat empties *and* the centre of pressure moves forward;
slouch eases both. On a seat without backrest sensors a perch and a deep slump that hands its
weight to the backrest look the same from below and read "weight forward" (leaning_forward):
its forward move is measured against ``weight_forward``, so a "Not right" on it eases that
reading (two steps per answer, see :data:`KNOBS`), for a perch and for a slump no deeper than
it alike.

The state is the number of steps per kind, not the moved values: the steps are applied to
whatever the config and the layout say today, and ``sitwatch feedback reset`` (zero steps)
gives the thresholds back exactly.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from sitwatch.config import Config
from sitwatch.config import Feedback as FeedbackCfg
from sitwatch.core.kinds import (
    FEEDBACK_KINDS,
    FEEDBACK_LABELS,
    FeedbackKind,
    NudgeKind,
    Posture,
    Sensor,
)

LOG_KEPT = 200  # entries kept in the file's log (the history keeps every one)
SENSORS = frozenset(Sensor)
SOURCES = ("button", "cli", "mqtt", "replay")


class FeedbackError(Exception):
    """The feedback file cannot be used (names the file and the problem)."""


@dataclass(frozen=True)
class Knob:
    """One threshold a feedback kind moves: ``detect.<section>.<key>``, toward ``limit``."""

    section: Literal["posture", "balance", "wallet", "stillness"]
    key: str
    limit: float
    #: steps this threshold takes per answer (see KNOBS: weight forward takes two)
    per_answer: int = 1

    @property
    def up(self) -> bool:
        """Does this threshold fire less often as it grows? (Ratios below which something
        fires ease downward; shifts and spot ratios ease upward.)"""
        return self.key not in DOWNWARD

    @property
    def name(self) -> str:
        return f"detect.{self.section}.{self.key}"


#: Thresholds that fire less often as they *fall* (a share of upright below which ...).
DOWNWARD = frozenset({"slouch_rear_ratio", "forward_back_ratio", "forward_load_ratio",
                      # static sitting: the smaller a move that counts as a shift, the rarer
                      "min_shift", "min_load_change", "spread"})

#: The thresholds each kind eases, and the hard limit of each. Lower ratios / larger shifts fire
#: less often. The limits keep every rule alive: a slump must still empty the rear of the seat
#: to 15% of upright, a lean shift at most 0.6 of the whole load to one side, and on a seat
#: alone an emptied rear with the centre of pressure 0.65 seat half-depths forward (on a 3x3
#: grid, nearly all the load on its front row; see
#: sitwatch.sensing.detectors.posture.seat_only) is still weight forward.
#:
#: Weight forward takes two steps per answer. Every other threshold sits between two postures
#: it must keep apart, with 10-20% room on each side, which one step stays within. Weight
#: forward has no such neighbour: a perch and a deep slump are the same picture from below,
#: and a "Not right" says "this is how I sit". A perch reads 0.35-0.5 seat half-depths forward
#: on fsr-cushion-9 read linearly, but 0.5-0.6 with its pads' divider undone: up to twice the
#: default of 0.30, out of reach of three single steps (1.52 times).
KNOBS: dict[FeedbackKind, tuple[Knob, ...]] = {
    FeedbackKind.SLOUCH: (
        Knob("posture", "slouch_rear_ratio", 0.15),
        Knob("posture", "slouch_shift", 0.8),
    ),
    FeedbackKind.LEANING_FORWARD: (
        Knob("posture", "forward_back_ratio", 0.08),
        Knob("posture", "forward_shift", 0.25),
        Knob("posture", "weight_forward", 0.65, per_answer=2),
        # the chair's (and, away from the backrest, the seat's) load handed to the desk
        Knob("posture", "forward_load_ratio", 0.4),
    ),
    FeedbackKind.ASYMMETRIC_LOAD: (
        Knob("balance", "threshold", 0.6),
        Knob("balance", "release", 0.36),  # in step with the threshold: release < threshold
        Knob("balance", "front_threshold", 1.2),
    ),
    FeedbackKind.WALLET: (
        Knob("wallet", "spot_ratio", 3.5),
    ),
    # "Shift your weight" when the sitter did shift: the move was smaller than a shift had to
    # be. Smaller moves count (down to half the shipped sizes, still well above breathing and
    # sensor noise, and never under 1.5 of the sitter's own calibration spread); how long a
    # stretch without a shift may last (``after``) is the sitter's own choice, left alone.
    FeedbackKind.STATIC_SITTING: (
        Knob("stillness", "min_shift", 0.04),
        Knob("stillness", "min_load_change", 0.08),
        Knob("stillness", "spread", 1.5),
    ),
    # "Not right" on the notice that a way of sitting upright clear of the backrest was learned:
    # no threshold moves; the daemon forgets that way and never learns it again
    # (:meth:`sitwatch.sensing.pipeline.Pipeline.reject_learned`), a step per way, so at most
    # ``max_steps`` until a reset
    FeedbackKind.LEARNED: (),
}

#: What people may type for a kind (besides the kind itself), all lower case.
ALIASES: dict[str, FeedbackKind] = {
    Posture.SLOUCHED: FeedbackKind.SLOUCH,
    "slump": FeedbackKind.SLOUCH,
    "slouching": FeedbackKind.SLOUCH,
    "posture": FeedbackKind.SLOUCH,
    "forward": FeedbackKind.LEANING_FORWARD,
    "lean": FeedbackKind.LEANING_FORWARD,
    "lopsided": FeedbackKind.ASYMMETRIC_LOAD,
    "balance": FeedbackKind.ASYMMETRIC_LOAD,
    "static": FeedbackKind.STATIC_SITTING,
    "still": FeedbackKind.STATIC_SITTING,
    "stillness": FeedbackKind.STATIC_SITTING,
    "shift": FeedbackKind.STATIC_SITTING,
    "weight_shift": FeedbackKind.STATIC_SITTING,
    "way": FeedbackKind.LEARNED,
    "learned_way": FeedbackKind.LEARNED,
}


def parse_kind(text: str) -> FeedbackKind:
    """A kind from what someone typed (``slouch``, ``leaning-forward``, ``lopsided`` ...);
    ValueError names the kinds there are."""
    word = re.sub(r"[\s-]+", "_", text.strip().lower())
    if word in FEEDBACK_KINDS:
        return FeedbackKind(word)
    if word in ALIASES:
        return ALIASES[word]
    known = ", ".join(typed(k) for k in FEEDBACK_KINDS)
    raise ValueError(f"{text!r} is not a kind of nudge that can be wrong; use one of: {known} "
                     "('time to move' is a timer, not a guess: snooze it instead)")


def kind_of(nudge: Mapping[str, object]) -> FeedbackKind | None:
    """The feedback kind of a nudge event's data, or None for one that is not about posture
    (time to move)."""
    kind = nudge.get("kind")
    if kind == NudgeKind.SLOUCH:
        posture = nudge.get("posture", Posture.SLOUCHED)
        return FeedbackKind.LEANING_FORWARD if posture == Posture.LEANING_FORWARD \
            else FeedbackKind.SLOUCH
    if kind == NudgeKind.ASYMMETRIC_LOAD:
        return FeedbackKind.ASYMMETRIC_LOAD
    if kind == NudgeKind.WALLET:
        return FeedbackKind.WALLET
    if kind == NudgeKind.STATIC_SITTING:
        return FeedbackKind.STATIC_SITTING
    return None


def label(kind: str) -> str:
    return FEEDBACK_LABELS.get(kind, kind.replace("_", " "))


def typed(kind: str) -> str:
    """The word to type for a kind on the command line or over MQTT."""
    if kind == FeedbackKind.ASYMMETRIC_LOAD:
        return "lopsided"
    return "static" if kind == FeedbackKind.STATIC_SITTING else str(kind)


#: The words to type, in order (for help texts and errors).
TYPED = tuple(typed(k) for k in FEEDBACK_KINDS)


# -- the state ---------------------------------------------------------------------------------


class Entry(BaseModel):
    """One line of the feedback log."""

    model_config = ConfigDict(extra="ignore")

    at: str  # ISO time, with its zone
    kind: FeedbackKind | None  # None: a reset of every kind
    action: Literal["wrong", "reset"]
    steps: int = 0  # the kind's steps after this entry
    applied: bool = True  # False: recorded only (at the cap, or feedback.enabled off)
    source: str = "cli"
    id: str = ""  # a request's id (a command's request to the daemon), to answer it
    #: when the nudge this "Not right" answers was shown (ISO time); '' for none in particular
    nudge: str = ""
    #: the sensors that saw the posture of the nudge it answers, when the nudge named them (a
    #: slouch's ``seen_by``); empty: not known, or a kind only the cushion reads
    seen_by: list[Sensor] = Field(default_factory=list)

    @property
    def camera_alone(self) -> bool:
        """It answered a nudge only the camera saw: recorded, nothing of the cushion eased."""
        return not cushion_saw(self.seen_by)


#: Two times this close (seconds) name the same nudge: the status file, the daemon and the
#: history each note the moment a nudge is shown, to the second, a hair apart.
SAME_NUDGE = 2.0


def same_nudge(a: str, b: str) -> bool:
    """Do two ISO times name the same shown nudge?"""
    from datetime import datetime

    try:
        return abs((datetime.fromisoformat(a) - datetime.fromisoformat(b)).total_seconds()) \
            <= SAME_NUDGE
    except (TypeError, ValueError):
        return a == b


class State(BaseModel):
    """The adaptation of one sitter: steps per kind, and how they came about."""

    model_config = ConfigDict(extra="ignore")

    version: int = 1
    steps: dict[FeedbackKind, int] = Field(default_factory=dict)
    log: list[Entry] = Field(default_factory=list)

    def steps_of(self, kind: FeedbackKind) -> int:
        return int(self.steps.get(kind, 0))

    def last(self, kind: FeedbackKind) -> Entry | None:
        return next((e for e in reversed(self.log) if e.kind == kind or e.kind is None), None)

    def answered(self, request_id: str) -> Entry | None:
        return next((e for e in reversed(self.log) if request_id and e.id == request_id), None)

    def answer_to(self, kind: FeedbackKind, nudge: str) -> Entry | None:
        """The "Not right" already given to the ``kind`` nudge shown at ``nudge`` (one nudge,
        one answer), unless a reset of the kind (or of every kind) undid it since."""
        if not nudge:
            return None
        for e in reversed(self.log):
            if e.action == "reset" and e.kind in (kind, None):
                return None
            if e.action == "wrong" and e.kind == kind and e.nudge and same_nudge(e.nudge, nudge):
                return e
        return None


def cushion_saw(seen_by: Sequence[str]) -> bool:
    """Did the cushion see the posture of a nudge that names the sensors that saw it? A nudge
    that names none (older ones, every kind but slouch) is the cushion's. Only what the cushion
    saw eases its thresholds: a slouch only the camera saw (the head rolled forward, the pelvis
    put) says nothing about how the cushion reads the seat."""
    return not seen_by or Sensor.CUSHION in seen_by


def wrong(
    state: State, kind: FeedbackKind, settings: FeedbackCfg, *, at: str, source: str = "cli",
    request_id: str = "", possible: bool = True, nudge: str = "",
    seen_by: Sequence[str] = (),
) -> tuple[State, Entry]:
    """A "Not right" for ``kind``: one more step, unless the kind is at ``max_steps``, feedback
    is off or there is nothing it could change (``possible`` False: no cushion, or no learned
    way of sitting to forget; or the nudge it answers was seen by the camera alone, ``seen_by``
    without the cushion); then it is recorded and changes nothing. ``nudge``: when the nudge it
    answers was shown. Returns the new state."""
    n = state.steps_of(kind)
    applied = settings.enabled and n < settings.max_steps and possible and cushion_saw(seen_by)
    steps = dict(state.steps)
    if applied:
        steps[kind] = n + 1
    entry = Entry(at=at, kind=kind, action="wrong", steps=steps.get(kind, 0), applied=applied,
                  source=source, id=request_id, nudge=nudge,
                  seen_by=[Sensor(x) for x in seen_by if x in SENSORS])
    return State(steps=steps, log=[*state.log, entry][-LOG_KEPT:]), entry


def reset(
    state: State, kind: FeedbackKind | None, *, at: str, source: str = "cli",
    request_id: str = "",
) -> tuple[State, Entry]:
    """Back to the configured thresholds for ``kind`` (every kind when None)."""
    steps = {} if kind is None else {k: v for k, v in state.steps.items() if k != kind}
    entry = Entry(at=at, kind=kind, action="reset", steps=0, source=source, id=request_id)
    return State(steps=steps, log=[*state.log, entry][-LOG_KEPT:]), entry


# -- the thresholds ----------------------------------------------------------------------------


def moved(value: float, limit: float, steps: int, step: float, *, up: bool) -> float:
    """``value`` made ``step`` harder to reach ``steps`` times, never past ``limit``. ``up``: a
    larger value fires less often; a value already at or past the limit stays where it is."""
    if steps <= 0 or (value >= limit if up else value <= limit):
        return value
    f = (1 + step) ** steps
    return min(limit, value * f) if up else max(limit, value / f)


@dataclass(frozen=True)
class Change:
    """A threshold as configured and as the feedback has it now."""

    kind: FeedbackKind
    knob: str  # detect.<section>.<key>
    before: float
    after: float
    steps: int


def changes(cfg: Config, state: State, settings: FeedbackCfg) -> list[Change]:
    """Every threshold the feedback moves, against ``cfg`` (the config with the layout's
    defaults applied: :func:`sitwatch.config.for_layout`)."""
    if not settings.enabled:
        return []
    out = []
    for kind in FEEDBACK_KINDS:
        n = min(state.steps_of(kind), settings.max_steps)
        if n <= 0:
            continue
        for knob in KNOBS[kind]:
            base = float(getattr(getattr(cfg.detect, knob.section), knob.key))
            after = moved(base, knob.limit, n * knob.per_answer, settings.step, up=knob.up)
            out.append(Change(kind, knob.name, base, after, n))
    return out


def moves(cfg: Config, before: State, after: State,
          settings: FeedbackCfg) -> dict[str, tuple[float, float]]:
    """The thresholds that differ between two states: knob -> (value before, value after)."""
    def values(state: State) -> dict[str, float]:
        return {c.knob: c.after for c in changes(cfg, state, settings)}

    was, now = values(before), values(after)
    out = {}
    for kind in FEEDBACK_KINDS:
        for knob in KNOBS[kind]:
            base = float(getattr(getattr(cfg.detect, knob.section), knob.key))
            a, b = was.get(knob.name, base), now.get(knob.name, base)
            if a != b:
                out[knob.name] = (a, b)
    return out


def adapt(cfg: Config, state: State, settings: FeedbackCfg | None = None) -> Config:
    """``cfg`` with its thresholds moved by the feedback (``settings``: ``cfg.feedback``).
    The result is a new config; ``cfg`` is left alone."""
    settings = settings or cfg.feedback
    moves: dict[str, dict[str, float]] = {}
    for ch in changes(cfg, state, settings):
        _, section, key = ch.knob.split(".")
        if ch.after != ch.before:
            moves.setdefault(section, {})[key] = ch.after
    if not moves:
        return cfg
    det = cfg.detect
    update = {
        section: getattr(det, section).model_copy(update=values)
        for section, values in moves.items()
    }
    return cfg.model_copy(update={"detect": det.model_copy(update=update)})


# -- the file ----------------------------------------------------------------------------------


def load(path: Path) -> State:
    """The saved state; an absent file is no feedback yet. Raises :class:`FeedbackError`."""
    from sitwatch.core import jsonfile

    if not Path(path).exists():
        return State()
    return jsonfile.load(State, Path(path), FeedbackError, "feedback file")


def save(state: State, path: Path) -> None:
    """Atomically, owner-only: it says how someone sits."""
    from sitwatch.core import jsonfile

    jsonfile.save(state, Path(path))
