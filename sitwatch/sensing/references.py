"""The calibration's reference postures, put to use: a slump and a lean to each side.

``sitwatch calibrate`` may record them (the guided session's optional steps, or ``--slouch``,
``--lean-left`` and ``--lean-right`` with ``--recording``). They show what this person's own
slump and leans look like, so each is checked against the rules, and where the rules would
not report it, the thresholds are made more sensitive for this person, within bounds:

- Each reference is held in front of the real pipeline (:class:`~sitwatch.sensing.pipeline.
  Pipeline`, with the profile's tare and upright): :data:`SETTLE` seconds of the upright
  reading, then :data:`HOLD` seconds of the reference, past every dwell. What the detectors
  say at the end is what the daemon would say of that posture.
- **Leans.** Each must read lopsided on its own side with room to spare: its shift at least
  :data:`LEAN_ROOM` times the threshold, since a lean held on request is larger than the ones
  people drift into. Otherwise the lateral threshold is lowered step by step (and its release
  in proportion, so the hysteresis keeps its shape) until both leans do, never under
  :data:`BALANCE_FLOOR`. A cue that was noisy while the person sat still counts in proportion
  to the threshold (:meth:`~sitwatch.sensing.detectors.baseline.Baseline.reliability`), so a
  restless sitter gains nothing by a lower threshold and none is taken.
- **Sides swapped.** A lean to the left that reads as one to the right, and the other way
  round: the cushion is turned around or its channels are crossed. Nothing is tuned then; the
  calibration and ``sitwatch doctor`` say what to do.
- **Slump.** It must read slouched (on a seat without backrest sensors, "weight forward",
  which gets the same sit-back advice, counts: a seat alone cannot tell a slump from a perch).
  Otherwise the two slump thresholds are eased toward it step by step, up to
  :data:`SLOUCH_LIMITS`, and a step counts only while the upright clear of the backrest, when
  the profile has one, still reads upright.

Only ever more sensitive, never less: quieting a rule is what "Not right" is for
(:mod:`sitwatch.nudging.feedback`), and it eases from these values. The result is stored in the
profile (``tuned``); :func:`apply` puts it into the config the daemon and ``sitwatch replay``
use, except for a key the person set in their own config file, which wins. Pure: no clock, no
I/O.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np

from sitwatch.config import Config
from sitwatch.core.kinds import Balance, Posture
from sitwatch.sensing.calibration import TUNABLE, Profile
from sitwatch.sensing.layout import Layout

SETTLE = 20.0  # seconds of upright sitting before a reference posture is held
HOLD = 40.0  # seconds it is held: past every dwell (10 s) and the shift's smoothing
HZ = 2.0  # frames per second of that replay (the dwells are in seconds, not frames)
#: A lean held on request must read at least this many thresholds to one side: everyday leans
#: are milder. 1.5 took almir's threshold (his leans recorded as references) to 0.17 and his
#: false lopsided time in free use (10 orders) from 0% to 0.5%, worst order 4.2%; 1.25 takes
#: it to 0.21: 6 more of his 147 lopsided pieces found in 20 orders, false lopsided 0.2% ->
#: 0.3% (worst order 1.1% as before). docs/accuracy.md, "Reference postures".
LEAN_ROOM = 1.25
#: The lowest lateral threshold the leans may set: under it a person's ordinary shifting in the
#: seat starts to read lopsided (the population's sitters at 0.15-0.2 on four load cells under a
#: plate: up to 20% of upright time; docs/accuracy.md, "Four load cells under a plate").
BALANCE_FLOOR = 0.15
#: How far the slump may ease the slump rule: the rear of the seat must still lose half its
#: upright share, and the centre of pressure move 0.2 seat half-depths forward.
SLOUCH_LIMITS = {"slouch_rear_ratio": 0.5, "slouch_shift": 0.2}
#: ...and a slump this share of the way to the recorded one must read as one (a slump held on
#: request is deeper than the ones people sink into). 0.75 eased vanessa's slump rule (her
#: recorded slump reads slouched with the shipped one) until her reclining read slouched: 3.9%
#: false slouch of her calm time, over the 3% target. At 0.9 hers is left alone.
SLUMP_ROOM = 0.9
STEP = 1.1  # each step moves a threshold by this factor toward its limit
STEPS = 6  # the slump's: 0.3 -> 0.5 and 0.35 -> 0.2 take 5.4 and 5.9 steps

#: the reference steps, what each must read as, and how people call them
LEANS = {"lean_left": Balance.LEFT, "lean_right": Balance.RIGHT}
NAMES = {"slouch": "slump", "lean_left": "lean to the left", "lean_right": "lean to the right"}

#: What to do about swapped sides, for the calibration and ``sitwatch doctor``
#: (:func:`swapped_fix` says it for a matrix).
SWAPPED_FIX = (
    "the calibration's lean to the left reads as a lean to the right, and the other way "
    "round: the cushion lies turned around or its channels are wired the other way round, "
    "so every lean is reported on the wrong side. Turn it so that its left side is under "
    "your left side (or swap the channels' positions in your layout file), then run "
    "`sitwatch calibrate` again")


def swapped_fix(layout: Layout) -> str:
    """:data:`SWAPPED_FIX` in the words of the layout: a matrix has no channel positions to
    swap, its ``[grid]`` table says which side column 0 is on."""
    if not layout.is_grid:
        return SWAPPED_FIX
    said = "right" if layout.channels[0].x > 0 else "left"
    other = "left" if said == "right" else "right"
    return (
        "the calibration's lean to the left reads as a lean to the right, and the other way "
        f"round: the matrix's column 0 is on your {other} side, not your {said}, so every "
        f"lean is reported on the wrong side. Set first_col = \"{other}\" in the [grid] table "
        "of your layout file (`sitwatch docs protocol`, \"A matrix of your own: a layout "
        "file\"), then run `sitwatch calibrate` again")


#: A recorded slump that moves the seat's centre of pressure this far toward the rear (in seat
#: half-depths) moved it the wrong way round: a slump slides the pelvis forward. Every slump
#: recorded on the real chairs and cushions moved it forward (by 0.03-0.55), and every
#: simulated sitter's (by 0.38-0.83, on each device); at the most sensitive the slump rule asks
#: for 0.2 forward (:data:`SLOUCH_LIMITS`).
REVERSED_SHIFT = 0.2


def front_rear_swapped(layout: Layout, profile: Profile) -> bool:
    """Does the profile's recorded slump move the seat's centre of pressure back by
    :data:`REVERSED_SHIFT` or more? (Then the layout has the seat's front and rear the wrong
    way round.) False without a recorded slump."""
    from sitwatch.sensing.features import Extractor

    up, slump, tare = (profile.array(s) for s in ("upright", "slouch", "tare"))
    if up is None or slump is None:
        return False
    ex = Extractor(layout, None if tare is None else layout.to_load(np.asarray(tare, float)))
    moved = (ex(layout.to_load(np.asarray(slump, float))).cop_y
             - ex(layout.to_load(np.asarray(up, float))).cop_y)
    return bool(moved <= -REVERSED_SHIFT)


def reversed_fix(layout: Layout) -> str:
    """What to do when :func:`front_rear_swapped`, in the words of the layout (a matrix's
    ``[grid]`` table says where row 0 is)."""
    said = "your slump moved your weight toward the rear of the seat, where a slump moves it "
    said += "forward: "
    if layout.is_grid:
        was = "front" if layout.channels[0].y > 0 else "rear"
        other = "rear" if was == "front" else "front"
        return (said + f"the matrix's row 0 is at the {other} of the seat, not the {was}, so "
                f"slumps go unreported. Set first_row = \"{other}\" in the [grid] table of your "
                "layout file (`sitwatch docs protocol`, \"A matrix of your own: a layout "
                "file\"), then run `sitwatch calibrate` again")
    return (said + "the cushion lies turned around or its front and rear channels are wired the "
            "other way round, so slumps go unreported. Turn it so that its front edge is under "
            "your thighs (or swap the channels' front and rear positions, y, in your layout "
            "file), then run `sitwatch calibrate` again")


@dataclass(frozen=True)
class Reading:
    """What one reference posture reads as."""

    step: str  # slouch | lean_left | lean_right
    posture: str | None
    balance: str | None
    shift: float  # the lateral shift, on the threshold's scale (negative: to the left)

    def shows(self, threshold: float, *, seat_only: bool) -> bool:
        """Does it read as what it is? A lean: on its side, ``LEAN_ROOM`` thresholds out."""
        if self.step == "slouch":
            ok = {Posture.SLOUCHED} | ({Posture.LEANING_FORWARD} if seat_only else set())
            return self.posture in ok
        return self.balance == LEANS[self.step] and abs(self.shift) >= LEAN_ROOM * threshold


@dataclass(frozen=True)
class Tuning:
    """What :func:`assess` found: each reference's reading before (``before``) and with the
    tuned thresholds (``after``), the thresholds it set (``changes``: ``section.key`` -> value,
    with the value in force in ``was``), and what it could not fix (``problems``, user-facing
    sentences)."""

    before: dict[str, Reading] = field(default_factory=dict)
    after: dict[str, Reading] = field(default_factory=dict)
    changes: dict[str, float] = field(default_factory=dict)
    was: dict[str, float] = field(default_factory=dict)
    problems: tuple[str, ...] = ()
    swapped: bool = False
    threshold: float = 0.0  # the lateral threshold in force when they were read


def _value(cfg: Config, key: str) -> float:
    section, name = key.split(".")
    return float(getattr(getattr(cfg.detect, section), name))


def _with(cfg: Config, values: Mapping[str, float]) -> Config:
    """``cfg`` with ``values`` (``section.key``) set; no validation (the callers keep release
    under the threshold)."""
    det = cfg.detect
    update: dict[str, object] = {}
    for key, v in values.items():
        section, name = key.split(".")
        part = update.get(section, getattr(det, section))
        update[section] = part.model_copy(update={name: float(v)})  # type: ignore[attr-defined]
    return cfg.model_copy(update={"detect": det.model_copy(update=update)})


def held_frames(reading: np.ndarray, up: np.ndarray) -> Iterator[tuple[float, np.ndarray]]:
    """(time, frame): :data:`SETTLE` seconds of ``up``, then :data:`HOLD` of ``reading``."""
    n_up, n_hold = int(SETTLE * HZ), int(HOLD * HZ)
    for i in range(n_up + n_hold):
        yield i / HZ, (up if i < n_up else reading)


def read(layout: Layout, cfg: Config, profile: Profile, step: str) -> Reading:
    """Hold the profile's reference ``step`` in front of the pipeline (see the module
    docstring) and say what it reads as."""
    from sitwatch.sensing.pipeline import Pipeline

    reading, up = profile.array(step), profile.array("upright")
    assert reading is not None and up is not None
    pl = Pipeline(layout, cfg, profile)
    for t, frame in held_frames(reading, up):
        pl.process(t, frame)
    b = pl.balance
    return Reading(step, pl.posture.state, b.state, b.shift)


def assess(layout: Layout, cfg: Config, profile: Profile) -> Tuning:
    """Read the profile's reference postures with ``cfg`` (the config in force, the layout's
    defaults in) and find the least change of thresholds that makes them read as what they
    are. A profile without references gives an empty :class:`Tuning`."""
    steps = [s for s in ("slouch", "lean_left", "lean_right") if profile.array(s) is not None]
    if not steps or profile.array("upright") is None:
        return Tuning()
    seat_only = not layout.back_mask.any()
    before = {s: read(layout, cfg, profile, s) for s in steps}
    changes: dict[str, float] = {}
    problems: list[str] = []
    swapped = _swapped(before)
    if swapped:
        problems.append(swapped_fix(layout))
    leans = [s for s in LEANS if s in before]
    thr = _value(cfg, "balance.threshold")
    wrong = [s for s in leans if before[s].balance not in (Balance.BALANCED, LEANS[s], None)]
    if wrong and not swapped:
        problems += [
            f"your {NAMES[s]} read as a lean to the {before[s].balance}: the readings follow "
            "where your weight goes, so either it went that way, or the cushion's left and right "
            "are swapped; record it again to be sure" for s in wrong]
    elif leans and not swapped and not all(before[s].shows(thr, seat_only=seat_only)
                                           for s in leans):
        all_read = all(before[s].balance == LEANS[s] for s in leans)
        got, problem = _outcome(
            _tune_balance(layout, cfg, profile, leans, seat_only, fallback=not all_read),
            all_read,
            just="your leans are reported, but only just: leans milder than the ones you "
            "recorded may go unreported, and a lower threshold would not help, since the "
            "readings wandered about as much while you sat still",
            never="your leans moved the readings too little to be reported even at the most "
            f"sensitive setting sitwatch allows (a lateral threshold of {BALANCE_FLOOR:g}), or "
            "about as much as they wandered while you sat still: lean further onto one buttock "
            "when you record them, and check that the cushion lies flat under both sides",
            thin="your leans only just pass the threshold sitwatch set for you: leans milder "
            "than the ones you recorded may go unreported")
        changes.update(got)
        problems += [problem] if problem else []
    reversed_rows = "slouch" in before and front_rear_swapped(layout, profile)
    if reversed_rows:  # no tuning: a slump read back to front never reads as one
        problems.append(reversed_fix(layout))
    elif "slouch" in before and not milder_slump_reads(layout, cfg, profile, seat_only):
        got, problem = _outcome(
            _tune_slouch(layout, cfg, profile, seat_only),
            before["slouch"].shows(thr, seat_only=seat_only),
            just="your slump is reported, but only just: slumps milder than the one you "
            "recorded may go unreported",
            never=f"your slump {_says(before['slouch'], thr)}, even at the most sensitive "
            "setting sitwatch allows: slide your hips further forward and sink into the "
            "backrest when you record it; slumps like it may go unreported",
            thin="your slump only just reads as one with the thresholds sitwatch set for "
            "you: slumps milder than the one you recorded may go unreported")
        changes.update(got)
        problems += [problem] if problem else []
    tuned = _with(cfg, changes) if changes else cfg
    after = {s: read(layout, tuned, profile, s) for s in steps} if changes else dict(before)
    was = {k: _value(cfg, k) for k in changes}
    return Tuning(before, after, changes, was, tuple(problems), swapped, thr)


def _outcome(found: tuple[dict[str, float], bool] | None, reads_now: bool, *, just: str,
             never: str, thin: str) -> tuple[dict[str, float], str | None]:
    """What a threshold search found, as (the thresholds to set, what to tell the person):
    nothing found, and the posture already reads (``just``) or does not (``never``); found,
    with room (nothing to say) or only just (``thin``)."""
    if found is None:
        return {}, just if reads_now else never
    return found[0], None if found[1] else thin


def _swapped(before: Mapping[str, Reading]) -> bool:
    """Both leans recorded, and each reads lopsided to the other side."""
    left, right = before.get("lean_left"), before.get("lean_right")
    if left is None or right is None:
        return False
    return left.balance == Balance.RIGHT and right.balance == Balance.LEFT


def _tune_balance(layout: Layout, cfg: Config, profile: Profile, leans: list[str],
                  seat_only: bool, *, fallback: bool) -> tuple[dict[str, float], bool] | None:
    """The lateral threshold (and release, in proportion) at which every recorded lean reads on
    its side ``LEAN_ROOM`` thresholds out: the largest such one down to the floor (True).
    Failing that, with ``fallback`` (some lean does not read lopsided with the thresholds in
    force), the largest at which every lean at least does (False). None when lowering does not
    help: the leans read with no more room at a lower threshold (a cue that was noisy at
    calibration counts in proportion to the threshold), or not even at the floor."""
    thr0, rel0 = _value(cfg, "balance.threshold"), _value(cfg, "balance.release")
    thr, first_read = thr0, None
    while thr > BALANCE_FLOOR:
        thr = max(BALANCE_FLOOR, thr / STEP)
        values = {"balance.threshold": round(thr, 3),
                  "balance.release": round(thr * rel0 / thr0, 3)}
        got = [read(layout, _with(cfg, values), profile, s) for s in leans]
        if all(r.shows(thr, seat_only=seat_only) for r in got):
            return values, True
        if fallback and first_read is None and all(r.balance == LEANS[r.step] for r in got):
            first_read = values
    return None if first_read is None else (first_read, False)


def milder(profile: Profile, step: str, share: float) -> Profile:
    """``profile`` with its reference ``step`` moved to ``share`` of its way from the upright
    reading: the same posture, held less far."""
    up, ref = profile.array("upright"), profile.array(step)
    assert up is not None and ref is not None
    return profile.model_copy(update={step: [float(x) for x in up + share * (ref - up)]})


def _slump_reads(layout: Layout, cfg: Config, profile: Profile, seat_only: bool,
                 away: str | None = None) -> bool:
    """The slump reads as one, and the upright clear of the backrest (if recorded) reads as it
    did with the thresholds in force (``away``: its posture then), or upright: an eased slump
    rule must not take it for a slump."""
    if not read(layout, cfg, profile, "slouch").shows(0.0, seat_only=seat_only):
        return False
    if profile.array("upright_away") is None:
        return True
    now = read(layout, cfg, profile, "upright_away").posture
    return now == away or now not in (Posture.SLOUCHED, Posture.LEANING_FORWARD)


def milder_slump_reads(layout: Layout, cfg: Config, profile: Profile, seat_only: bool) -> bool:
    """A slump :data:`SLUMP_ROOM` of the way to the recorded one reads as one."""
    return read(layout, cfg, milder(profile, "slouch", SLUMP_ROOM), "slouch").shows(
        0.0, seat_only=seat_only)


def _tune_slouch(layout: Layout, cfg: Config, profile: Profile,
                 seat_only: bool) -> tuple[dict[str, float], bool] | None:
    """The slump thresholds, eased step by step toward :data:`SLOUCH_LIMITS`, at which a slump
    :data:`SLUMP_ROOM` of the way to the recorded one reads as one (True); failing that, the
    first at which the recorded one does (False); None when not even at the limits."""
    start = {k: _value(cfg, f"posture.{k}") for k in SLOUCH_LIMITS}
    mild = milder(profile, "slouch", SLUMP_ROOM)
    away = (read(layout, cfg, profile, "upright_away").posture
            if profile.array("upright_away") is not None else None)
    first_read = None
    for k in range(1, STEPS + 1):
        values = {
            "posture.slouch_rear_ratio": round(
                min(SLOUCH_LIMITS["slouch_rear_ratio"],
                    max(start["slouch_rear_ratio"], start["slouch_rear_ratio"] * STEP**k)), 3),
            "posture.slouch_shift": round(
                max(SLOUCH_LIMITS["slouch_shift"],
                    min(start["slouch_shift"], start["slouch_shift"] / STEP**k)), 3),
        }
        values = {k: v for k, v in values.items() if not math.isclose(v, _value(cfg, k))}
        tuned = _with(cfg, values)
        if _slump_reads(layout, tuned, mild, seat_only, away):
            return values, True
        if first_read is None and _slump_reads(layout, tuned, profile, seat_only, away):
            first_read = values
    return None if first_read is None else (first_read, False)


def _more_sensitive(key: str, value: float, now: float) -> bool:
    return value > now if key == "posture.slouch_rear_ratio" else value < now


def apply(cfg: Config, tuned: Mapping[str, float] | None,
          mine: Config | None = None) -> tuple[Config, dict[str, tuple[float, float]]]:
    """``cfg`` (the config in force, the layout's defaults in) with a profile's ``tuned``
    thresholds, each where it is more sensitive than the value in force and the person's own
    config (``mine``: as loaded, before the layout's defaults) does not set it. Also what moved
    (key -> (before, after)), to log."""
    if not tuned:
        return cfg, {}
    set_by_me = _set_keys(mine) if mine is not None else set()
    values = {k: v for k, v in tuned.items()
              if k in TUNABLE and k not in set_by_me and _more_sensitive(k, v, _value(cfg, k))}
    # the release moves with the threshold, never on its own, and stays under it
    thr = values.get("balance.threshold")
    if thr is None or values.get("balance.release", thr) >= thr:
        values.pop("balance.release", None)
    if thr is not None and "balance.release" not in values and _value(
            cfg, "balance.release") >= thr:
        values["balance.release"] = round(thr * 0.6, 3)  # the shipped shape: 0.15 of 0.25
    if not values:
        return cfg, {}
    return _with(cfg, values), {k: (_value(cfg, k), v) for k, v in values.items()}


def _set_keys(cfg: Config) -> set[str]:
    """The ``section.key`` detection thresholds a config sets itself (in a file or a flag)."""
    mine = cfg.model_dump(exclude_unset=True).get("detect", {})
    return {f"{s}.{k}" for s, kv in mine.items() if isinstance(kv, dict) for k in kv}


# -- words ---------------------------------------------------------------------------------------


def _says(r: Reading, threshold: float) -> str:
    if r.step == "slouch":
        said = {Posture.SLOUCHED: "reads slouched",
                Posture.LEANING_FORWARD: "reads as weight forward (the sit-back advice)",
                Posture.RECLINED: "reads reclined, not slouched"}
        return said.get(Posture(r.posture or Posture.UPRIGHT), "reads upright, not slouched")
    side = {Balance.LEFT: "to the left", Balance.RIGHT: "to the right"}.get(
        Balance(r.balance or Balance.BALANCED))
    size = f"shift {abs(r.shift):.2f}, reported from {threshold:.2f}"
    return f"reads lopsided {side} ({size})" if side else f"reads balanced ({size})"


def describe(t: Tuning) -> list[str]:
    """Lines for the person who calibrated: each reference's reading, what was tuned, and what
    could not be."""
    if not t.before:
        return []
    thr0 = t.threshold
    thr1 = t.changes.get("balance.threshold", thr0)
    out = ["reference postures:"]
    for step, r in t.before.items():
        line = f"  {NAMES[step]:<18} {_says(r, thr0)}"
        a = t.after.get(step)
        if t.changes and a is not None and _says(a, thr1) != _says(r, thr0):
            line += f"; with your thresholds it {_says(a, thr1)}"
        out.append(line)
    if t.changes:
        moved = ", ".join(f"detect.{k} {t.was[k]:g} -> {v:g}" for k, v in t.changes.items())
        out.append(f"  made more sensitive for you: {moved} (saved with the calibration; "
                   "a \"Not right\" still eases them, and calibrating without these steps "
                   "undoes it)")
    out += [f"  warning: {p}" for p in t.problems]
    return out


def tune(layout: Layout, cfg: Config, profile: Profile) -> tuple[Profile, Tuning]:
    """``profile`` with the thresholds its reference postures set (``tuned``; None when they
    set none), and what :func:`assess` found. ``cfg``: the config in force."""
    from sitwatch.config import for_layout

    t = assess(layout, for_layout(cfg, layout), profile)
    return profile.model_copy(update={"tuned": dict(t.changes) or None}), t


def sides_swapped(layout: Layout, cfg: Config, profile: Profile) -> bool:
    """Do the profile's recorded leans read on the other sides (see :func:`assess`)? False
    without both of them."""
    if any(profile.array(s) is None for s in (*LEANS, "upright")):
        return False
    return _swapped({s: read(layout, cfg, profile, s) for s in LEANS})

