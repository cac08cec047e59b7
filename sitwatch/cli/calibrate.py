"""``sitwatch calibrate [cushion|camera]``: your empty-seat and upright readings, live or from
a recording."""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path
from typing import Any

from sitwatch.cli.common import (
    EXIT_CONFIG,
    EXIT_FAIL,
    EXIT_OK,
    config_errors,
    err,
    input_problem,
    layout_spec,
    load_config,
    missing_port,
    output_problem,
    resolve_layout,
)


def run(args: argparse.Namespace) -> int:
    from sitwatch import config
    from sitwatch.core.spans import recording_span
    from sitwatch.runtime.files import profile_path
    from sitwatch.sensing import calibration, layout
    from sitwatch.sources import recording

    if getattr(args, "target", "cushion") == "camera":
        from sitwatch.cli.camera import cmd_calibrate_camera

        return cmd_calibrate_camera(args)

    problem = (args.recording and input_problem(Path(args.recording), "--recording",
                                                "a recording")) or \
        (args.output and output_problem(Path(args.output), "-o", "calibration.json"))
    if problem:
        err(problem)
        return EXIT_CONFIG
    try:
        cfg = load_config(args)
        lay = resolve_layout(args, cfg, Path(args.recording) if args.recording else None)
        header = recording.read_header(Path(args.recording)) if args.recording else None
    except config.ConfigError as e:
        return config_errors(e)
    except (layout.LayoutError, recording.RecordingError) as e:
        err(str(e))
        return EXIT_CONFIG
    # The profile belongs to the layout it was taken with: --layout, else the recording's own
    # (its header), else cushion.layout; `run` and `replay` look for it under that name.
    simulated = ""
    spec = layout_spec(args, cfg, Path(args.recording) if args.recording else None)
    if spec:
        cfg = cfg.model_copy(update={"cushion": cfg.cushion.model_copy(update={"layout": spec})})
    if args.recording:  # a recording: the real profile, whatever cushion.port names
        from sitwatch.runtime.files import for_simulator, not_live

        cfg = not_live(cfg)
        if header is not None and header.simulated and not args.output:
            # never your cushion's profile from a simulated sitter; -o names a file at will
            real = profile_path(cfg)
            cfg = for_simulator(cfg)
            simulated = (f"{Path(args.recording).name} is a recording of sitwatch's simulator "
                         "(its header says source=simulate), so the calibration goes to the "
                         f"simulator's profile and your cushion's, {real}, is left alone "
                         "(`-o FILE` saves it where you say).\n")
    out = Path(args.output) if args.output else profile_path(cfg)
    if getattr(args, "forget_learned", False):
        return _forget_learned(out, cfg)
    blocked = not args.output and output_problem(out, "", "calibration.json")
    if blocked:  # said before the first question, not after a session it could not save
        err(f"{blocked} (-o FILE saves the calibration elsewhere); nothing was calibrated")
        return EXIT_CONFIG
    if args.recording:
        import numpy as np

        ranges: dict[str, tuple[float, float]] = {}
        for name in ORDER:
            v = getattr(args, name, None)
            if v:
                try:
                    ranges[name] = recording_span(v)
                except ValueError:
                    err(
                        f"--{name.replace('_', '-')} {v!r}: write START:END in seconds (e.g. 30:90)"
                    )
                    return EXIT_CONFIG
        if "upright" not in ranges:
            err("--upright START:END is required with --recording")
            return EXIT_CONFIG
        try:
            frames = list(recording.frames(Path(args.recording), lay, args.hz, said=err))
        except recording.RecordingError as e:
            err(str(e))
            return EXIT_CONFIG
        ts = np.array([t for t, _ in frames])
        vals = np.array([v for _, v in frames]) if frames else np.zeros((0, lay.n))
        problem = _check_ranges(ranges, ts)
        if problem:
            err(problem)
            return EXIT_CONFIG
        from sitwatch.cli.calibrate_live import (
            EMPTY_NOT_EMPTY,
            check_step,
            save_profile,
            seat_loads,
            seated_load,
        )

        means: dict[str, Any] = {}
        taken: dict[str, Any] = {}
        kept_ts: dict[str, Any] = {}
        ulo, uhi = ranges["upright"]
        upright_load = seated_load(seat_loads(vals[(ts >= ulo) & (ts < uhi)], lay))
        for name, (lo, hi) in sorted(ranges.items(), key=lambda kv: ORDER.index(kv[0])):
            sel = (ts >= lo) & (ts < hi)
            if sel.sum() < 3:
                first, last = (ts.min(), ts.max()) if len(ts) else (0.0, 0.0)
                err(
                    f"--{name.replace('_', '-')} {lo:g}:{hi:g}: only {int(sel.sum())} frames "
                    f"in that range (the recording covers {first:g}-{last:g} s)"
                )
                return EXIT_CONFIG
            sel, problem = _leave_out(name, (lo, hi), ts, vals, sel, lay, means.get("empty"),
                                      upright_load, cfg.detect.occupancy.exit_fraction)
            if problem:
                err(problem)
                return EXIT_CONFIG
            mean = calibration.robust_mean(vals[sel])
            problem = check_step(name, mean, means, lay)
            if problem == EMPTY_NOT_EMPTY:
                elo, ehi = ranges["empty"]
                err(f"--empty {elo:g}:{ehi:g}: the seat was not empty then: it carried about "
                    f"as much load as in --upright {lo:g}:{hi:g}. Give --empty a stretch of the "
                    "recording where nobody sat on the cushion.")
                return EXIT_CONFIG
            if problem:
                err(f"--{name.replace('_', '-')} {lo:g}:{hi:g}: {problem}")
                return EXIT_CONFIG
            means[name] = mean
            taken[name] = vals[sel]
            kept_ts[name] = ts[sel]
        upright_frames = taken["upright"]
        # the means, and how still you sat in the upright range (its spread)
        prof = calibration.from_frames(
            lay,
            tare=taken.pop("empty", None),
            upright=taken.pop("upright"),
            method="recording",
            **taken,
        )
        prof.note = f"from {Path(args.recording).name}"
        from sitwatch.sensing import references

        prof, tuning = references.tune(lay, cfg, prof)
        if not save_profile(prof, out):
            return EXIT_FAIL
        from sitwatch.runtime.service import calibration_hint

        print(f"{simulated}calibration saved to {out}. {calibration_hint(cfg, out)}")
        for line in references.describe(tuning):
            print(line)
        # a sideways move says more (and where it was steady) than a change of load
        warning = (_restless_warning(cfg, lay, kept_ts["upright"], upright_frames, prof.tare,
                                     args.upright)
                   or _unsteady_warning(lay, upright_frames, args.upright))
        if warning:
            err(warning)
        _calibration_notes(lay, prof)
        return EXIT_OK
    missing = missing_port(cfg.cushion.port, bool(args.port))
    if missing:  # said before the first question: no step could read anything
        err(f"{missing}; nothing was calibrated")
        return EXIT_FAIL
    from sitwatch.cli.calibrate_live import interactive

    return interactive(cfg, lay, out)


ORDER = ("empty", "upright", "upright_away", "slouch", "lean_left", "lean_right")


def _forget_learned(path: Path, cfg: Any) -> int:
    """``--forget-learned``: the profile at ``path`` without its ``learned`` part."""
    from sitwatch.sensing import calibration

    if not path.exists():
        print(f"no calibration profile at {path}: nothing learned to forget")
        return EXIT_OK
    try:
        prof = calibration.load(path)
    except calibration.CalibrationError as e:
        err(f"{e}\n  fix: run `sitwatch calibrate` to take a new profile")
        return EXIT_CONFIG
    if prof.learned is None or not prof.learned.ways:
        print(f"{path}: nothing learned to forget (the calibration is unchanged)")
        return EXIT_OK
    ways = prof.learned.ways
    # the ways the sitter rejected stay rejected (`sitwatch feedback reset learned` drops them)
    rejected = prof.learned.rejected
    prof.learned = (calibration.Learned(rejected=rejected, updated=prof.learned.updated)
                    if rejected else None)
    prof.save(path)
    from sitwatch.runtime.service import restart_hint

    print(f"{path}: forgot {ways} way{'s' if ways != 1 else ''} of sitting upright clear of "
          "the backrest that sitting had taught; the calibration is kept. "
          + restart_hint(cfg, f"forget {'it' if ways == 1 else 'them'} too"))
    return EXIT_OK


def _calibration_notes(lay: Any, prof: Any) -> None:
    """A word on what the saved upright reading shows: channels at full scale (set aside), pads
    that look read through a divider the layout does not undo."""
    from sitwatch.sensing import upright_check

    for note in upright_check.notes(lay, prof):
        err(f"note: {note}")


def _leave_out(name: str, span: tuple[float, float], ts: Any, vals: Any, sel: Any, lay: Any,
               tare: Any, upright_load: float, exit_fraction: float) -> tuple[Any, str | None]:
    """The frames of a range that show its posture (``sel`` without those that do not:
    :func:`sitwatch.cli.calibrate_live.off_step`), saying on stderr which were left out; or
    what to say when too few are left (the guided step's length, and 3 frames at least)."""
    import numpy as np

    from sitwatch.cli.calibrate_live import STEPS, off_step

    idx = np.flatnonzero(sel)
    off = off_step(name, vals[idx], lay, tare=tare, upright_load=upright_load,
                   exit_fraction=exit_fraction)
    if not off.any():
        return sel, None
    flag = f"--{name.replace('_', '-')} {span[0]:g}:{span[1]:g}"
    step = float(np.median(np.diff(ts))) if len(ts) > 1 else 0.0
    why = ("the seat carried somebody's load there" if name == "empty"
           else "the seat read empty there")
    where = _stretches(ts[idx], off, step)
    kept = sel.copy()
    kept[idx[off]] = False
    seconds, need = int(kept.sum()) * step, STEPS[name][1]
    if kept.sum() < 3 or seconds < need:
        posture = "an empty seat" if name == "empty" else "sitting"
        return kept, (f"{flag}: {why} ({where}), and the rest holds only {seconds:g} s of "
                      f"{posture}; a calibration takes at least {need:g} s of it, as the guided "
                      f"step does. Give {flag.split()[0]} a stretch of the recording that holds "
                      f"{posture} from start to end; nothing was calibrated")
    err(f"left out {int(off.sum())} of {len(idx)} frames of {flag}: {why} ({where})")
    return kept, None


def _stretches(ts: Any, mask: Any, step: float, most: int = 3) -> str:
    """The stretches of ``ts`` where ``mask`` holds, as ``A-B s`` (the first ``most``)."""
    runs: list[tuple[float, float]] = []
    for t, m in zip(ts, mask, strict=True):
        if not m:
            continue
        if runs and t - runs[-1][1] <= 1.5 * step:
            runs[-1] = (runs[-1][0], float(t))
        else:
            runs.append((float(t), float(t)))
    text = ", ".join(f"{a:.1f}-{b + step:.1f} s" for a, b in runs[:most])
    return text + (f" and {len(runs) - most} more" if len(runs) > most else "")


def _unsteady_warning(lay: Any, frames: Any, span: str) -> str | None:
    """What to say when the seat's load changed a lot through the upright range (the guided
    step's steadiness rule: :func:`sitwatch.cli.calibrate_live.steady`)."""
    from sitwatch.cli.calibrate_live import steady

    if steady(frames, lay) is None:
        return None
    return (f"warning: --upright {span}: the seat's load changed a lot between its start and "
            "its end (you moved, sat down or got up in it), so the upright reading is an "
            "average of two ways of sitting. Calibrate again on a stretch where you sat still.")


def _restless_warning(cfg: Any, lay: Any, ts: Any, frames: Any, tare: list[float] | None,
                      span: str) -> str | None:
    """What to say when the upright range holds a sideways move (it would make leans go
    unreported), and where it was steady; None when it was still enough."""
    import numpy as np

    from sitwatch.sensing import upright_check

    threshold, k = upright_check.balance_limits(cfg, lay)
    tare_arr = None if tare is None else np.asarray(tare, dtype=float)
    found = upright_check.restless(lay, frames, tare_arr, threshold, k)
    if not found:
        return None
    worst = found[0]
    text = (
        f"warning: --upright {span}: {upright_check.CUES[worst.cue]} moved sideways during it "
        "about as far as a lean takes it (you moved, or the readings are noisy), so a lean "
        f"would be reported only once it is {worst.factor:.1f} times the usual size."
    )
    part = upright_check.steady_part(lay, ts, frames, tare_arr, threshold, k)
    if part is not None:
        a, b = part
        return (f"{text} It was steady from {a:g} to {b:g} s: if that is how you sit upright, "
                f"calibrate again with --upright {np.ceil(a):g}:{np.floor(b):g}.")
    return f"{text} Calibrate again on a stretch where you sat still and evenly on both sides."


def _check_ranges(ranges: dict[str, tuple[float, float]], ts: Any) -> str | None:
    """Each range inside the recording, and no two ranges overlapping (each is one posture)."""
    import numpy as np

    if not len(ts):
        return "the recording holds no frames"
    first, last = float(ts.min()), float(ts.max())
    step = float(np.median(np.diff(ts))) if len(ts) > 1 else 0.0
    for name, (lo, hi) in ranges.items():
        if lo < first - step or hi > last + step:
            return (f"--{name.replace('_', '-')} {lo:g}:{hi:g} is not inside the recording "
                    f"(it covers {first:g}-{last:g} s)")
    items = sorted(ranges.items(), key=lambda kv: kv[1])
    for (a, (alo, ahi)), (b, (blo, bhi)) in itertools.pairwise(items):
        if blo < ahi:
            return (f"--{a.replace('_', '-')} {alo:g}:{ahi:g} and --{b.replace('_', '-')} "
                    f"{blo:g}:{bhi:g} overlap: each range must hold one posture only")
    return None
