"""Static sitting (issue #13): are real weight shifts found, and is nobody who shifts told to?

Two checks, printed by ``sitwatch eval`` (its "static sitting" section) and by
``python -m sitwatch.evaluation.stillness [SHARED]``:

- **ETHZ wheelchair sessions.** The driver steers by leaning, so every push of the joystick past
  half way is a real lean of the whole body: a weight shift we know the time of. Found: the
  pushes of at least :data:`LONG_PUSH` seconds with a ``shift`` event between their start and
  :data:`GRACE` seconds after their end (a lean shorter than ``detect.stillness.hold`` is a
  fidget by design, so shorter pushes are shown apart). False static alarms: with the
  reminder set to :data:`SHORT_AFTER` seconds (the sessions last 2 to 7 minutes, shorter than
  the layout's 20 minutes), the ``static`` events that came while the driver had leaned within
  that time. The layout's own defaults are used (no threshold is tuned here), so these are
  figures on data no threshold was chosen on.
- **Simulated sitters** (:mod:`sitwatch.sim`) on several layouts: one who does not move at all
  (the reminder must come, on time), everyday sitters who fidget (it must not) and one who
  relieves pressure every five minutes (each lean and return found, no reminder).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sitwatch import config
from sitwatch.core.events import STILLNESS, Event
from sitwatch.core.kinds import Stillness
from sitwatch.evaluation import datasets
from sitwatch.evaluation.ethz import PUSHED, ethz_profile
from sitwatch.evaluation.scoring import Progress, quiet
from sitwatch.sensing.layout import load as load_layout
from sitwatch.sensing.pipeline import Pipeline
from sitwatch.sim.script import Script, away, sit
from sitwatch.sim.simulator import Simulator

LONG_PUSH = 2.0  # seconds: a push this long is a lean that must be found
GRACE = 3.0  # seconds after a push's end in which its shift may still be reported
SHORT_AFTER = 60.0  # the reminder's time for the false-alarm check on the short sessions

Table = Callable[[list[str], Iterable[list[str]]], None]


@dataclass(frozen=True)
class EthzStill:
    file: str
    minutes: float
    pushes: int  # pushes of LONG_PUSH seconds or more
    found: int  # of those, with a shift
    short_pushes: int
    short_found: int
    shifts: int  # shift events in the session
    static: int  # static events with after = SHORT_AFTER
    false_static: int  # of those, with a push past half way in the SHORT_AFTER before


def _events(d: datasets.Labelled, overrides: dict[str, object]) -> list[Event]:
    cfg = config.load(use_user_file=False, overrides=overrides)
    pl = Pipeline(d.layout, cfg, ethz_profile(d))
    out = []
    for t, v in zip(d.t, d.values, strict=True):
        out += [e for e in pl.process(float(t), v) if e.event == STILLNESS]
    return out


def ethz_stillness(folder: Path, progress: Progress = quiet) -> list[EthzStill]:
    rows = []
    files = sorted(folder.glob("user*_s*.csv"))
    for i, f in enumerate(files, 1):
        progress(f"static sitting, ethz-wheelchair ({i}/{len(files)}): {f.stem}")
        d = datasets.ethz(f)
        joy = np.abs(d.extra["joy_lateral"]) > PUSHED
        evs = _events(d, {"detect.stillness.after": SHORT_AFTER})
        shift_t = np.array([e.t for e in evs if e.state == Stillness.SHIFT])
        edges = np.flatnonzero(np.diff(np.r_[0, joy.astype(int), 0]))
        long_n = long_f = short_n = short_f = 0
        for a, b in zip(edges[::2], edges[1::2], strict=True):
            t0, t1 = d.t[a], d.t[b - 1]
            hit = bool(((shift_t >= t0) & (shift_t <= t1 + GRACE)).any())
            if t1 - t0 >= LONG_PUSH:
                long_n, long_f = long_n + 1, long_f + hit
            else:
                short_n, short_f = short_n + 1, short_f + hit
        pushed_t = d.t[joy]
        static = [e.t for e in evs if e.state == Stillness.STATIC]
        false = sum(bool(((pushed_t > t - SHORT_AFTER) & (pushed_t <= t)).any()) for t in static)
        rows.append(EthzStill(f.stem, float(d.t[-1]) / 60, long_n, long_f, short_n, short_f,
                              len(shift_t), len(static), false))
    return rows


@dataclass(frozen=True)
class SimStill:
    sitter: str
    layout: str
    minutes: float
    changes: int  # scripted changes of posture or lean (real shifts)
    shifts: int
    static: int  # static events (after = 20 min)
    first_static: float | None  # minutes from sitting down


AFTER = 1200.0
SIM_LAYOUTS = ("smartchair-12", "load-cells-4", "fsr-cushion-9", "ethz-wheelchair-24")


def _sitters() -> dict[str, tuple[Script, int]]:
    """Name -> (script, scripted changes); each starts with 30 s of empty seat."""
    relief = [seg for x in (0.6, -0.6, 0.6, -0.6, 0.6, -0.6)
              for seg in (sit(240, fidget=0.0), sit(60, lean=x, fidget=0.0))]
    return {
        "still (no fidgets)": (Script([away(30), sit(1800, fidget=0.0)]), 0),
        "everyday (fidget 0.3)": (Script([away(30), sit(1800, fidget=0.3)]), 0),
        "restless (fidget 0.7)": (Script([away(30), sit(1800, fidget=0.7)]), 0),
        "relief every 5 min": (Script([away(30), *relief]), 11),
    }


def sim_stillness(progress: Progress = quiet, seeds: int = 2) -> list[SimStill]:
    cfg = config.load(use_user_file=False, overrides={"detect.stillness.after": AFTER})
    rows = []
    for lay_name in SIM_LAYOUTS:
        lay = load_layout(lay_name)
        progress(f"static sitting, simulated sitters on {lay_name}")
        for name, (script, changes) in _sitters().items():
            for seed in range(seeds):
                sim = Simulator(lay, script, 5, seed)
                pl = Pipeline(lay, cfg)
                evs = []
                for tb, fb in sim.frames():
                    for t, v in zip(tb, fb, strict=True):
                        evs += [e for e in pl.process(float(t), v) if e.event == STILLNESS]
                static = [e.t for e in evs if e.state == Stillness.STATIC]
                rows.append(SimStill(name, lay_name, (script.duration - 30) / 60, changes,
                                     sum(e.state == Stillness.SHIFT for e in evs), len(static),
                                     (static[0] - 30) / 60 if static else None))
    return rows


def section(out: list[str], table: Table, ds: Path, h: str, progress: Progress = quiet,
            seeds: int = 2) -> None:
    """``sitwatch eval``'s static-sitting section: ETHZ when present, then the simulator
    (``seeds`` runs per sitter and layout; 0: none). Nothing when there is neither."""
    folder = ds / "ethz-wheelchair"
    if not folder.is_dir() and seeds <= 0:
        return
    out.append(f"{h}Static sitting (weight shifts)")
    out.append("")
    if folder.is_dir():
        er = ethz_stillness(folder, progress)
        table(["file", "minutes", f"leans ≥{LONG_PUSH:g} s found", f"leans <{LONG_PUSH:g} s found",
               "shifts", f"static alarms at {SHORT_AFTER:g} s (while leaning)"],
              [[r.file, f"{r.minutes:.1f}", f"{r.found}/{r.pushes}",
                f"{r.short_found}/{r.short_pushes}", str(r.shifts),
                f"{r.static} ({r.false_static})"] for r in er])
        pushes, found = sum(r.pushes for r in er), sum(r.found for r in er)
        out.append(
            f"ethz-wheelchair, the layout's defaults: {found} of {pushes} steering leans of "
            f"{LONG_PUSH:g} s or more found as shifts ({found / max(1, pushes):.0%}); "
            f"{sum(r.false_static for r in er)} static alarms while the driver was leaning, "
            f"with the reminder at {SHORT_AFTER:g} s")
        out.append("")
    if seeds <= 0:
        return
    sim = sim_stillness(progress, seeds)
    table(["sitter", "layout", "runs", "scripted shifts", "shifts found",
           f"static alarms ({AFTER / 60:g} min)", "first alarm (min)"],
          _sim_rows(sim))
    still = [r for r in sim if r.sitter.startswith("still")]
    relief = [r for r in sim if r.changes > 0]
    fidget = [r for r in sim if r not in still and r not in relief]
    out.append(
        f"simulated: the still sitter was told in {sum(r.static > 0 for r in still)} of "
        f"{len(still)} runs; sitters who relieve pressure every 5 min: "
        f"{sum(r.shifts for r in relief)} of {sum(r.changes for r in relief)} scripted shifts "
        f"found, {sum(r.static for r in relief)} static alarms in {len(relief)} runs; sitters "
        f"who only fidget (2-6 s moves, no change of posture in 30 min): "
        f"{sum(r.static for r in fidget)} alarms in {len(fidget)} runs")
    out.append("")


def _sim_rows(sim: list[SimStill]) -> list[list[str]]:
    rows = []
    keys = list(dict.fromkeys((r.sitter, r.layout) for r in sim))
    for sitter, lay in keys:
        rs = [r for r in sim if (r.sitter, r.layout) == (sitter, lay)]
        firsts = [r.first_static for r in rs if r.first_static is not None]
        rows.append([sitter, lay, str(len(rs)), str(rs[0].changes * len(rs)),
                     str(sum(r.shifts for r in rs)), str(sum(r.static for r in rs)),
                     f"{min(firsts):.1f}-{max(firsts):.1f}" if firsts else "-"])
    return rows


def main(argv: list[str] | None = None) -> int:
    """``python -m sitwatch.evaluation.stillness [SHARED]``: the section alone, in plain text
    (SHARED: the folder holding ``datasets/``; default ``../shared``)."""
    from sitwatch.reports.tables import render

    args = sys.argv[1:] if argv is None else argv
    shared = Path(args[0]) if args else Path("..") / "shared"

    out: list[str] = []

    def table(header: list[str], rows: Iterable[list[str]]) -> None:
        out.extend(render(header, rows, markdown=False))
        out.append("")

    section(out, table, shared / "datasets", "",
            lambda s: print(s, file=sys.stderr))
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
