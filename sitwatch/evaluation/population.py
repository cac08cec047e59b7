"""The population stress test: a few hundred simulated sitters nobody tuned anything on.

Two people cannot say how the next hundred will fare, so ``sitwatch eval`` also replays
simulated sitters (:mod:`sitwatch.sim`) drawn across the ways people and devices differ:

- the person: weight 45-130 kg, body size (sit bones and thighs spread wider with weight),
  backrest contact while calibrating (light to full), their usual upright sitting (against the
  backrest, or clear of it: the trunk's weight moves onto the seat and the pelvis forward; and
  a little to one side, where the calibration minute sits even),
  gentle or strong slumps, small or large sideways leans, a right lean directly after a left
  one or after sitting upright in between, a leg crossed over the other at the very end (one
  thigh off the seat), restlessness, and for half of them a spell perched
  on the front of the seat (the feet carrying much of the weight): not a slump, but on a seat
  alone it looks like a deep one, so a rule that reads an emptied rear as slouched calls it one;
- the device: each sitter on one of the shipped layouts in turn (:data:`LAYOUTS`: the 12-sensor
  chair, its 8 seat sensors alone, four load cells, the inverted 9-FSR cushion, a 10x15 velostat
  matrix, every other one wired so its reading falls), per-channel gain mismatch up to +-30%,
  noise 0.5-3x the simulator's, for some a slow drift of every channel's zero, for some a seat
  channel stuck at one reading from minute 8;
- slow change over a longer session (about an hour): for half the sitters on pressure pads
  (every layout but the load cells) the pads creep, their reading rising under a constant load
  by 1-5% a decade of time on the FSR layouts and 3-10% on the velostat matrix, with the
  hysteresis that comes with it (:class:`~sitwatch.sim.simulator.Simulator`'s ``creep``); and a
  third of all sitters sit down again a little further forward or back (0.03-0.12 seat
  half-depths) after the short absence near the end. Both get a 30-minute upright stretch at
  the end of the session, where what creeps or resettled has had time to show.

Every sitter follows the same protocol as the real recordings: an empty seat, a calibration
minute sitting upright against the backrest, then their own habits (:func:`session`), scored by
:func:`~sitwatch.evaluation.scoring.score` exactly as a recording is (calibration on the first
upright minute, :func:`~sitwatch.evaluation.scoring.first_upright_profile`). The naive stand-in
(:mod:`~sitwatch.evaluation.naive`) is scored on the same sitters. Everything is drawn from
``numpy.random.default_rng([seed, sitter])``: the same seed gives the same population, and a
sitter is the same whether the population is large or small.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cache, partial

import numpy as np

from sitwatch import config
from sitwatch.core.kinds import Balance, Posture
from sitwatch.evaluation import datasets
from sitwatch.evaluation.feedback import NudgeCount, nudge_count
from sitwatch.evaluation.naive import naive_scores
from sitwatch.evaluation.parallel import pmap
from sitwatch.evaluation.scoring import (
    RELEASE_S,
    Progress,
    Scores,
    first_upright_profile,
    quiet,
    run_pipeline,
    score,
)
from sitwatch.evaluation.summary import POPULATION_SHARE, SCORE_TARGETS, Summary, pct
from sitwatch.sensing.layout import Channel, Layout, grid, load
from sitwatch.sim.body import EMPTY, Body
from sitwatch.sim.script import Script, Segment
from sitwatch.sim.simulator import Simulator

#: The development population: its sitters were looked at one by one while the detectors were
#: built (several defaults name one of them), and the tests replay them. Not held out.
SEED = 10  # issue #10
#: The population ``sitwatch eval`` reports: first drawn on 2026-11-30, after the detectors were
#: built, and never looked at sitter by sitter to change one. Diagnose on :data:`SEED` (``sitwatch
#: eval --seed 10``); once a detector is changed for one of these sitters, draw a new seed.
HELD_OUT_SEED = 2027
FULL = 200  # sitters in a full ``sitwatch eval``
QUICK = 20  # ... and with --quick (four on each layout)
HZ = 2.0  # the rate the smartchair recordings have; rate changes nothing (robustness table)
STUCK_FROM = 480.0  # seconds: a stuck channel's reading freezes from minute 8
#: A seat pad that fails under the sitter from STUCK_FROM (the pad the stuck class uses; for a
#: sitter of that class, in place of its sticking): a cracked lead or a loose connector (it reads
#: what an unloaded pad reads) or a short (what a pad at full load reads). Replayed for the
#: first FAILING sitters (twenty on each device), each way, beside the population's tables.
FAILS = (("dead", "a seat pad dies at minute 8 (reads nothing)"),
         ("short", "a seat pad shorts at minute 8 (full scale)"))
FAILING = 100

# Label codes (as the smartchair's where they mean the same)
EMPTY_SEAT, UPRIGHT_BACK, UPRIGHT_AWAY, FORWARD, LEFT, RIGHT, SLUMP, RECLINED = (
    0, 1, 2, 3, 4, 5, 7, 12)
PERCH = 13  # perched on the front of the seat (the smartchair has no such label)
CROSSED = 8  # a leg crossed over the other (the smartchair's "legs crossed": either side)
CROSSED_S = 120.0  # seconds of it, at the very end of every session
PERCH_S = 100.0  # seconds a percher perches
PERCHERS = "perch on the front of the seat for a while"
CREEPS = "pressure pads creep (reading rises under load)"
RESETTLES = "sit down a little further forward or back after a break"
DIVIDERS = "pads read through a voltage divider (compressive)"
LEGS = (Balance.LEFT, Balance.RIGHT)  # the crossed leg's side: by the sitter's index
LATE_S = 1800.0  # the late upright stretch of a session with creep or a resettle
CLASSES = datasets.Classes(
    upright=(UPRIGHT_BACK, UPRIGHT_AWAY), slouch=(SLUMP,), lopsided=(LEFT, RIGHT, CROSSED),
    forward=(FORWARD,), recline=(RECLINED,), left=(LEFT,), right=(RIGHT,), perch=(PERCH,),
)

#: The layouts the sitters are spread over, in turn: (key, title).
LAYOUTS: tuple[tuple[str, str], ...] = (
    ("smartchair-12", "12-sensor chair (smartchair-12)"),
    ("seat-8", "8 seat sensors (smartchair seat only)"),
    ("load-cells-4", "4 load cells"),
    ("fsr-cushion-9", "9-FSR cushion, reading falls with load"),
    ("matrix-10x15", "10x15 velostat matrix"),
)


#: The divider a population layout declares for pads read through one (the device's nominal
#: figure; each sitter's real pads lie anywhere in 0.05-0.2, see _divider)
DIVIDER = 0.1


@cache
def layout_for(key: str, inverted: bool = False, divider: float = 0.0) -> Layout:
    """A population layout by key (``inverted``: the same device wired so its reading falls
    as the load rises, a conductance-style cushion; ``divider``: its layout says its pads are
    read through a voltage divider)."""
    if key == "seat-8":
        chair = load("smartchair-12")
        keep = [c for c in chair.channels if c.surface == "seat"]
        lay = Layout("smartchair-seat-8",
                     tuple(Channel(i, "seat", c.x, c.y, c.label) for i, c in enumerate(keep)),
                     chair.full_scale, "smartchair seat sensors only")
    elif key == "matrix-10x15":
        lay = grid(10, 15)
    else:
        lay = load(key)
    if inverted and not lay.inverted:
        lay = replace(lay, name=lay.name + " (inverted)", transform="inverted",
                      zero=lay.full_scale)
    if divider != lay.divider:
        # the shipped fsr-cushion-9 layout declares the divider its pads are read through: a
        # sitter whose pads are linear gets the same layout without it
        tag = f" (divider {divider:g})" if divider else " (linear pads)"
        lay = replace(lay, name=lay.name + tag, divider=divider)
    return lay


@dataclass(frozen=True)
class Sitter:
    """One simulated sitter on one device: everything the stress test varies."""

    index: int
    layout: str  # a key of LAYOUTS
    inverted: bool  # the device's reading falls as the load rises
    weight: float  # kg
    size: float
    calibration_backrest: float  # backrest contact while calibrating
    away: bool  # usually sits upright clear of the backrest
    slump: float  # depth of their slumps (0.5 gentle .. 1 full)
    lean: float  # size of their sideways leans (0..1)
    direct: bool  # a right lean directly after a left one
    fidget: float
    gain_spread: float
    noise: float
    drift: float  # share of full scale an hour (0: none)
    stuck: bool  # a seat channel stuck from STUCK_FROM
    offset: float = 0.0  # their usual upright sitting leans this much (calibration sits even)
    perch: bool = False  # perches on the front of the seat for a while
    creep: float = 0.0  # the pads' creep, a share of the load a decade of time (0: none)
    resettle: float = 0.0  # after the break, the usual upright sits this far forward (+)/back
    divider: float = 0.0  # pads read through a voltage divider (its half-scale load; 0: linear)

    def classes(self) -> list[str]:
        """The groups this sitter falls in, for the breakdown table."""
        out = ["light (< 60 kg)" if self.weight < 60 else
               "heavy (> 100 kg)" if self.weight > 100 else "60-100 kg"]
        out.append("sits upright clear of the backrest" if self.away
                   else "sits upright against the backrest")
        out.append("gentle slumps (depth < 0.75)" if self.slump < 0.75 else "strong slumps")
        out.append("small leans (< 0.5)" if self.lean < 0.5 else "large leans")
        if abs(self.offset) > 0.1:
            out.append("sits a little to one side (offset > 0.1)")
        if self.perch:
            out.append(PERCHERS)
        if self.creep:
            out.append(CREEPS)
        if self.resettle:
            out.append(RESETTLES)
        if self.divider:
            out.append(DIVIDERS)
        if self.direct:
            out.append("right lean directly after a left one")
        if self.gain_spread > 0.2:
            out.append("gain mismatch > 20%")
        if self.noise > 2:
            out.append("noise > 2x")
        if self.drift:
            out.append("slow drift")
        if self.stuck:
            out.append("a stuck seat channel")
        if self.inverted:
            out.append("reading falls with load")
        return out


def sitter(index: int, seed: int = SEED) -> Sitter:
    """Sitter number ``index`` of the population ``seed`` (its own generator: the same sitter
    whatever the population's size)."""
    rng = np.random.default_rng([seed, index])
    key = LAYOUTS[index % len(LAYOUTS)][0]
    weight = float(rng.uniform(45, 130))
    size = float(np.clip(0.85 + 0.3 * (weight - 45) / 85 + rng.normal(0, 0.04), 0.8, 1.25))
    strong = rng.random() < 0.5
    return Sitter(
        index=index,
        layout=key,
        inverted=key == "fsr-cushion-9" or (key == "matrix-10x15" and index // 5 % 2 == 1),
        weight=round(weight, 1),
        size=round(size, 3),
        calibration_backrest=round(float(rng.uniform(0.4, 1.0)), 2),
        away=bool(rng.random() < 0.5),
        slump=round(float(rng.uniform(0.8, 1.0) if strong else rng.uniform(0.5, 0.75)), 2),
        lean=round(float(rng.uniform(0.3, 0.9)), 2),
        direct=bool(rng.random() < 0.5),
        fidget=round(float(rng.uniform(0.1, 0.6)), 2),
        gain_spread=round(float(rng.uniform(0.0, 0.3)), 3),
        noise=round(float(rng.uniform(0.5, 3.0)), 2),
        drift=round(float(rng.uniform(0.02, 0.08)), 3) if rng.random() < 1 / 3 else 0.0,
        stuck=bool(rng.random() < 1 / 6),
        offset=round(float(rng.uniform(-0.15, 0.15)), 3),
        perch=bool(rng.random() < 0.5),  # drawn after the rest: the others stay as they were
        # ... and so are these two (issue #10's slow change over a session)
        creep=_creep(rng, key),
        resettle=_resettle(rng),
        divider=_divider(rng, key),  # drawn last as well
    )


def _creep(rng: np.random.Generator, key: str) -> float:
    """Half the sitters on pressure pads get pads that creep: FSRs 1-5% a decade of time
    (datasheets give < 1-5%), the velostat matrix 3-10% (no datasheet; assumed about twice an
    FSR). Load cells creep far less (a few hundredths of a percent): none."""
    creeps = rng.random() < 0.5
    lo, hi = (0.03, 0.10) if key == "matrix-10x15" else (0.01, 0.05)
    rate = float(rng.uniform(lo, hi))
    return round(rate, 3) if creeps and key != "load-cells-4" else 0.0


def _resettle(rng: np.random.Generator) -> float:
    """A third of the sitters sit down again 0.03-0.12 seat half-depths (a few centimetres)
    further forward or back after the short absence."""
    moves = rng.random() < 1 / 3
    size = float(rng.uniform(0.03, 0.12)) * (1 if rng.random() < 0.5 else -1)
    return round(size, 3) if moves else 0.0


def _divider(rng: np.random.Generator, key: str) -> float:
    """Half the sitters on the FSR cushion and the velostat matrix have pads read through a
    voltage divider (compressive: see :mod:`sitwatch.sim.simulator`), its half-scale load 5-20%
    of full scale (fsr-cushion-9's readings fit about 10%). The chair's sensors and load cells
    stay linear (an amplifier, or a datasheet curve already applied)."""
    compressive = rng.random() < 0.5
    k = float(rng.uniform(0.05, 0.2))
    return round(k, 3) if compressive and key in ("fsr-cushion-9", "matrix-10x15") else 0.0


def population(n: int, seed: int = SEED) -> list[Sitter]:
    return [sitter(i, seed) for i in range(n)]


def session(s: Sitter) -> tuple[Script, list[int]]:
    """The sitter's session (about 30 minutes, an hour with creep or a resettle) and each
    segment's label code."""
    def body(posture: Posture = Posture.UPRIGHT, *, lean: float = 0.0,
             backrest: float | None = None, depth: float = 1.0,
             fidget: float | None = None, variant: str | None = None,
             shift: float = 0.0, leg: Balance | None = None) -> Body:
        if backrest is None:
            backrest = 0.1 if s.away else s.calibration_backrest
        return Body(posture=posture, lean=lean, weight=s.weight, size=s.size,
                    backrest=backrest, depth=depth,
                    fidget=s.fidget if fidget is None else fidget, variant=variant,
                    shift=shift, leg=leg)

    usual = UPRIGHT_AWAY if s.away else UPRIGHT_BACK
    calm = s.offset  # their usual sitting's own slight lean
    plan: list[tuple[float, Body, int]] = [
        (30, EMPTY, EMPTY_SEAT),
        (100, body(backrest=s.calibration_backrest, fidget=0.1), UPRIGHT_BACK),
        (150, body(lean=calm), usual),
        (120, body(Posture.SLOUCHED, lean=calm, depth=s.slump), SLUMP),
        (120, body(lean=calm), usual),
        (120, body(lean=-s.lean), LEFT),
    ]
    if not s.direct:
        plan.append((120, body(lean=calm), usual))
    plan += [
        (120, body(lean=s.lean), RIGHT),
        (120, body(lean=calm), usual),
        (100, body(Posture.LEANING_FORWARD, lean=calm), FORWARD),
        (120, body(lean=calm), usual),
    ]
    if s.perch:
        plan += [(PERCH_S, body(lean=calm, variant="perch", backrest=0.0), PERCH),
                 (120, body(lean=calm), usual)]
    plan += [
        (100, body(Posture.RECLINED, lean=calm), RECLINED),
        (120, body(lean=calm), usual),
        (60, EMPTY, EMPTY_SEAT),
        (120, body(lean=calm, shift=s.resettle), usual),
    ]
    if s.creep or s.resettle:
        # a late upright stretch, where creep and a resettle have had time to show
        plan.append((LATE_S, body(lean=calm, shift=s.resettle), usual))
    # Last, a leg crossed over the other (that thigh leaves the seat, the sit bones stay
    # level), then a minute as usual. At the very end, so that every frame before it is the
    # same as before it was added (the simulator's noise and fidgets run in time order).
    plan += [
        (CROSSED_S, body(lean=calm, shift=s.resettle, leg=LEGS[s.index % 2]), CROSSED),
        (60, body(lean=calm, shift=s.resettle), usual),
    ]
    script = Script([Segment(float(d), b) for d, b, _ in plan], f"sitter {s.index}")
    return script, [c for _, _, c in plan]


def recording(s: Sitter, seed: int = SEED, fails: str | None = None) -> datasets.Labelled:
    """The sitter's session as a labelled recording from their device (``fails``: with a seat
    pad failing, ``dead`` or ``short``, from :data:`STUCK_FROM`)."""
    lay = layout_for(s.layout, s.inverted, DIVIDER if s.divider else 0.0)
    script, codes = session(s)
    stuck = None
    if s.stuck or fails:
        seat = np.flatnonzero(lay.seat_mask)
        ch = int(seat[s.index * 7 % len(seat)])
        load = {None: 0.3, "dead": 0.0, "short": 1.0}[fails] * lay.full_scale
        stuck = (ch, STUCK_FROM, float(lay.to_reading(np.array(load))))
    sim = Simulator(lay, script, hz=HZ, seed=seed * 100_000 + s.index, noise=s.noise,
                    gain_spread=s.gain_spread, drift=s.drift, stuck=stuck, creep=s.creep,
                    divider=s.divider)
    t = sim.times()
    seg = np.clip(np.searchsorted(script.starts, t, side="right") - 1, 0, len(codes) - 1)
    return datasets.Labelled(
        f"population/{s.index}", f"sitter {s.index}", lay, t, sim.frames_at(t).astype(float),
        np.array(codes)[seg], {}, CLASSES)


@dataclass(frozen=True)
class Result:
    sitter: Sitter
    ours: Scores
    naive: Scores
    nudges: NudgeCount = field(default_factory=NudgeCount)  # ours: what the policy sent


def run(n: int, seed: int = SEED, progress: Progress = quiet,
        cfg: config.Config | None = None, fails: str | None = None) -> list[Result]:
    """The first ``n`` sitters of population ``seed``, each replayed through the pipeline with
    the shipped defaults (and scored with the naive rule too); ``fails``: each with a seat pad
    failing (:func:`recording`)."""
    cfg = cfg or config.Config()
    people = population(n, seed)
    out: list[Result] = []
    step = max(1, n // 4)
    what = f", a seat pad {'dead' if fails == 'dead' else 'shorted'}" if fails else ""
    for i in range(0, n, step):
        progress(f"simulated population{what} ({i + 1}-{min(i + step, n)}/{n})")
        out += pmap(partial(replay, seed=seed, cfg=cfg, fails=fails), people[i:i + step])
    return out


def replay(s: Sitter, seed: int = SEED, cfg: config.Config | None = None,
           fails: str | None = None) -> Result:
    """One sitter's recording replayed with ``cfg`` (the shipped defaults), and scored with the
    naive rule too."""
    d = recording(s, seed, fails)
    prof, win = first_upright_profile(d)
    tr = run_pipeline(d, cfg or config.Config(), prof)
    return Result(s, score(d, tr, win, RELEASE_S), naive_scores(d, RELEASE_S),
                  nudge_count(d, tr.events, HZ))


# -- the tables -------------------------------------------------------------------------------

def _ours(r: Result) -> Scores:
    return r.ours


def _naive(r: Result) -> Scores:
    return r.naive


RULES: tuple[tuple[str, Callable[[Result], Scores]], ...] = (("ours", _ours), ("naive", _naive))


def meets(s: Scores) -> dict[str, bool]:
    """Which of the five targets this sitter's scores meet (a figure the session has no data
    for counts as met)."""
    return {t.key: getattr(s, t.field) is None or bool(t.ok(getattr(s, t.field)))
            for t in SCORE_TARGETS}


def _share(xs: list[bool]) -> float:
    return float(np.mean(xs)) if xs else float("nan")


def _groups(results: list[Result]) -> list[tuple[str, list[Result]]]:
    out = [(title, [r for r in results if r.sitter.layout == key]) for key, title in LAYOUTS]
    return [(t, rs) for t, rs in out if rs] + [("all layouts", results)]


def _latency(rs: list[Scores]) -> str:
    lat = [s.slouch_latency if s.slouch_recall and s.slouch_latency is not None else np.inf
           for s in rs if s.slouch_recall is not None]
    if not lat:
        return "-"
    med, worst = np.percentile(lat, [50, 95], method="inverted_cdf")  # no inf arithmetic
    def f(v: float) -> str:
        return "missed" if not np.isfinite(v) else f"{v:.0f}s"
    return f"{f(med)} / {f(worst)}"


TABLE_HEAD = ["device", "sitters", "rule", *(t.text for t in SCORE_TARGETS),
              "slumps read as slouched (strict)", "slump latency, median / worst 5%",
              "forward leans flagged", "perch time read as slouched",
              "perch time nudged to sit back", "all five targets"]


def _mean(sc: list[Scores], name: str) -> str:
    """The mean of a figure over the sitters who have it ("-" when none does)."""
    v = [getattr(s, name) for s in sc if getattr(s, name) is not None]
    return pct(float(np.mean(v))) if v else "-"


def layout_rows(results: list[Result]) -> list[list[str]]:
    """Per layout (and all together): the share of sitters meeting each target, ours and the
    naive rule's."""
    rows = []
    for title, rs in _groups(results):
        for rule, pick in RULES:
            sc = [pick(r) for r in rs]
            m = [meets(s) for s in sc]
            fwd = [s.forward_recall for s in sc if s.forward_recall is not None]
            strict = [s.slouch_recall_strict is None or s.slouch_recall_strict >= 1 - 1e-9
                      for s in sc]
            rows.append([title, str(len(rs)), rule,
                         *(pct(_share([x[t.key] for x in m])) for t in SCORE_TARGETS),
                         pct(_share(strict)), _latency(sc),
                         pct(float(np.mean(fwd))) if fwd else "-",
                         _mean(sc, "perch_slouched"), _mean(sc, "perch_sit_back"),
                         pct(_share([all(x.values()) for x in m]))])
    return rows


WORST_HEAD = ["device", "rule", "occupancy", "slumps found", "false slouch",
              "lopsided flagged", "false lopsided", "false forward"]


def worst_rows(results: list[Result]) -> list[list[str]]:
    """The worst 5% of sitters, figure by figure (the 5th percentile of the shares found, the
    95th of the false-alarm shares)."""
    def q(sc: list[Scores], name: str, worst_high: bool) -> str:
        v = [getattr(s, name) for s in sc if getattr(s, name) is not None]
        if not v:
            return "-"
        return pct(float(np.percentile(v, 95 if worst_high else 5)))

    rows = []
    for title, rs in _groups(results):
        for rule, pick in RULES:
            sc = [pick(r) for r in rs]
            rows.append([title, rule, q(sc, "occupancy", False), q(sc, "slouch_recall", False),
                         q(sc, "slouch_false", True), q(sc, "lopsided_recall", False),
                         q(sc, "lopsided_false", True), q(sc, "forward_false", True)])
    return rows


NUDGE_HEAD = ["device", "sitters", "hours seated", "posture nudges sent",
              "wrong (a calm posture)", "wrong per 8 h seated", "sitters with a wrong nudge",
              "late (just after the posture ended)", "sent while perched (sit back: right)"]


def nudge_rows(results: list[Result]) -> list[list[str]]:
    """Per layout (and all together): the nudges about how the sitter sits that the daemon's
    policy sent (shipped defaults, nobody answering), and how many the labels call wrong."""
    rows = []
    for title, rs in _groups(results):
        n = sum((r.nudges for r in rs), NudgeCount())
        per_day = 8 * n.wrong / n.hours if n.hours else float("nan")
        rows.append([title, str(len(rs)), f"{n.hours:.0f}", str(n.sent), str(n.wrong),
                     f"{per_day:.2f}", str(sum(r.nudges.wrong > 0 for r in rs)), str(n.late),
                     str(n.perch)])
    return rows


FAIL_HEAD = ["device", "sitters", "no pad fails", *(what for _, what in FAILS)]


def fail_rows(base: list[Result], failed: list[list[Result]]) -> list[list[str]]:
    """Per layout (and all together): the share of sitters meeting all five targets as they
    sit, and with each way a seat pad can fail (``failed``: in :data:`FAILS`' order, the same
    sitters as ``base``), ours (the naive rule's)."""
    def cell(rs: list[Result]) -> str:
        return " / ".join(pct(_share([all(meets(pick(r)).values()) for r in rs]))
                          for _, pick in RULES)

    rows = []
    for (title, rs), *others in zip(_groups(base), *(_groups(f) for f in failed), strict=True):
        rows.append([title, str(len(rs)), cell(rs), *(cell(o[1]) for o in others)])
    return rows


CLASS_HEAD = ["sitters who / devices that", "sitters", *(t.text for t in SCORE_TARGETS),
              "upright time read leaning forward (ours, mean)", "all five (ours)",
              "all five (naive)"]


CLASS_ORDER = (
    "light (< 60 kg)", "60-100 kg", "heavy (> 100 kg)", "sits upright against the backrest",
    "sits upright clear of the backrest", "gentle slumps (depth < 0.75)", "strong slumps",
    "small leans (< 0.5)", "large leans", "sits a little to one side (offset > 0.1)",
    "right lean directly after a left one", PERCHERS,
    "gain mismatch > 20%", "noise > 2x", "slow drift", "a stuck seat channel",
    "reading falls with load", CREEPS, RESETTLES, DIVIDERS,
)


def class_rows(results: list[Result]) -> list[list[str]]:
    """The share of sitters meeting each target (ours), by class of sitter or device, and the
    share of upright time read leaning forward (no target, but the slow change a long session
    brings shows there first)."""
    seen = {c for r in results for c in r.sitter.classes()}
    names = [c for c in CLASS_ORDER if c in seen]
    rows = []
    for c in names:
        rs = [r for r in results if c in r.sitter.classes()]
        m = [meets(r.ours) for r in rs]
        nv = [meets(r.naive) for r in rs]
        rows.append([c, str(len(rs)), *(pct(_share([x[t.key] for x in m])) for t in SCORE_TARGETS),
                     _mean([r.ours for r in rs], "forward_false"),
                     pct(_share([all(x.values()) for x in m])),
                     pct(_share([all(x.values()) for x in nv]))])
    return rows


def summarise(results: list[Result], summary: Summary, seed: int = HELD_OUT_SEED) -> None:
    """The population's rows of the held-out summary: the share of sitters meeting each
    target, met when at least POPULATION_SHARE of them do."""
    n = len(results)
    for t in SCORE_TARGETS:
        cells = []
        for _, pick in RULES:
            share = _share([meets(pick(r))[t.key] for r in results])
            worst = min(((title, _share([meets(pick(r))[t.key] for r in rs]))
                         for title, rs in _groups(results)[:-1]), key=lambda x: x[1])
            note = f" (worst: {worst[0]}, {pct(worst[1])})" if worst[1] < 1 else ""
            cells.append((f"{pct(share)} of sitters{note}", share >= POPULATION_SHARE))
        which = "" if seed == HELD_OUT_SEED else ", not the held-out one"
        summary.add(t, f"simulated population ({n} sitters, {len(LAYOUTS)} devices, seed {seed}"
                    f"{which}; not real people)",
                    cells[0][0], cells[0][1], cells[1][0], cells[1][1])
