"""``sitwatch replay FILE``: a recording through the full pipeline, as fast as it goes.

It uses the profile ``sitwatch run`` would use (the saved calibration for the recording's
layout, the saved camera profile for a video), so a replay shows what the daemon would have
said; ``--auto`` learns one from the recording instead, and ``--calibration`` names one (for a
camera recording, the camera's; ``--camera-calibration`` too). Which profile it used goes to
stderr.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from sitwatch.cli.common import (
    EXIT_CONFIG,
    EXIT_OK,
    config_errors,
    err,
    event_line,
    layout_spec,
    load_config,
    output_problem,
    resolve_layout,
)

if TYPE_CHECKING:
    from sitwatch.config import Config
    from sitwatch.sensing.calibration import Profile
    from sitwatch.sensing.layout import Layout


def run(args: argparse.Namespace) -> int:
    import json

    from sitwatch import config
    from sitwatch.cli.camera import (
        camera_input_problem,
        cmd_replay_camera,
        csv_period,
        is_camera_input,
    )
    from sitwatch.nudging.feedback import FeedbackError
    from sitwatch.runtime.replay import replay
    from sitwatch.runtime.tally import Tally
    from sitwatch.sensing import calibration, layout, references
    from sitwatch.sensing.wire import LineParser
    from sitwatch.sources import recording

    path = Path(args.file)
    problem = camera_input_problem(path)  # a file, or a folder of a camera's images
    if problem:
        err(problem)
        return EXIT_CONFIG
    if args.auto and (args.calibration or args.camera_calibration):
        flag = "--calibration" if args.calibration else "--camera-calibration"
        err(f"--auto learns a profile from the recording and {flag} names one: pass one of them")
        return EXIT_CONFIG
    if is_camera_input(path):
        # a camera recording has only the camera's profile to name: --calibration names it
        # too (it used to be ignored, the saved profile replayed instead of the one named)
        if args.calibration and args.camera_calibration:
            err("--calibration and --camera-calibration both name the camera profile of a "
                "camera recording: pass one of them")
            return EXIT_CONFIG
        named = args.camera_calibration or args.calibration
        period = csv_period(args)
        if period is None:
            return EXIT_CONFIG
        try:
            cfg = load_config(args)
        except config.ConfigError as e:
            return config_errors(e)
        problem = args.landmarks_out and output_problem(Path(args.landmarks_out),
                                                        "--landmarks-out", "landmarks.jsonl")
        if problem:
            err(problem)
            return EXIT_CONFIG
        return cmd_replay_camera(path, cam=cfg.camera, main=cfg,
                                 calibration=Path(named) if named else None,
                                 saved=None if args.auto else cfg.camera.calibration_path(),
                                 json_lines=args.json, every=args.every, period=period,
                                 landmarks_out=args.landmarks_out)
    try:
        mine = cfg = load_config(args)
        lay = resolve_layout(args, cfg, path)
        cfg = config.for_layout(cfg, lay)
        profile, used = _profile(args, cfg, lay, path)
        cfg, tuned = references.apply(cfg, profile.tuned if profile else None, mine)
        if tuned:
            used += " (with the thresholds its reference postures set: " + ", ".join(
                f"detect.{k} {a:g} -> {b:g}" for k, (a, b) in tuned.items()) + ")"
        cfg, fb_used = _feedback(args, cfg, lay, path)
    except config.ConfigError as e:
        return config_errors(e)
    except (layout.LayoutError, recording.RecordingError) as e:
        err(str(e))
        return EXIT_CONFIG
    except calibration.CalibrationError as e:
        err(f"{e}\n  fix: pass --auto to learn a profile from the recording, or --calibration "
            "FILE")
        return EXIT_CONFIG
    except FeedbackError as e:
        err(f"{e}\n  fix: pass --no-feedback, or `sitwatch feedback reset` to start afresh")
        return EXIT_CONFIG
    err(f"calibration: {used}")
    err(f"feedback: {fb_used}")
    tally = Tally()
    out = sys.stdout
    parser = LineParser(lay.n, lay.full_scale, time_unit="s")
    try:
        for ev in replay(path, lay, cfg, profile, args.hz, tally, parser, said=err):
            if args.json:
                out.write(ev.to_json() + "\n")
            else:
                out.write(event_line(ev) + "\n")
    except recording.RecordingError as e:
        err(str(e))
        return EXIT_CONFIG
    except BrokenPipeError:
        return EXIT_OK
    st = parser.stats
    if st.dropped_total and st.dropped_total >= 0.05 * (st.frames + st.dropped_total):
        err(f"note: {st.dropped_total} of {st.frames + st.dropped_total} lines of {path} were "
            f"not usable frames ({recording.unread_reasons(st, lay.n)})")
    if args.json:
        out.write(
            json.dumps({"t": round(tally._last or 0.0, 3), "event": "summary", **tally.as_dict()})
            + "\n"
        )
    else:
        out.write("\n" + tally.text() + "\n")
    return EXIT_OK


def _profile(
    args: argparse.Namespace, cfg: Config, lay: Layout, path: Path
) -> tuple[Profile | None, str]:
    """(the profile to replay with or None to learn one, what to say about it): --calibration,
    else (without --auto) the one ``sitwatch run`` would load for the recording's layout."""
    from sitwatch.runtime.assemble import load_profile
    from sitwatch.runtime.files import find_profile, not_live

    learned = f"learned from the recording ({path.name})"
    if args.auto:
        return None, learned
    cfg = not_live(cfg)  # a recording: the real calibration, whatever cushion.port names
    if not args.calibration:
        cfg = _configured_for(cfg, lay, args, path)
    found = Path(args.calibration) if args.calibration else find_profile(cfg, lay)
    profile = load_profile(cfg, lay, args.calibration)
    return profile, (str(found) if profile is not None and found is not None else learned)


def _feedback(
    args: argparse.Namespace, cfg: Config, lay: Layout, path: Path
) -> tuple[Config, str]:
    """(the config with the sitter's "Not right" adaptations, what to say about them):
    --feedback FILE, else (without --no-feedback) the saved file ``sitwatch run`` would use."""
    from sitwatch.nudging import feedback as fb
    from sitwatch.runtime.files import feedback_path

    if args.no_feedback:
        return cfg, "not used (--no-feedback)"
    if args.feedback:
        file = Path(args.feedback)
        if not file.is_file():
            raise fb.FeedbackError(f"{file}: feedback file not found")
    else:
        file = feedback_path(_configured_for(cfg, lay, args, path))
        if not file.is_file():
            return cfg, "none saved (the configured thresholds)"
    state = fb.load(file)
    moved = fb.changes(cfg, state, cfg.feedback)
    if not moved:
        return cfg, f"{file}: nothing eased"
    said = ", ".join(f"{c.knob.removeprefix('detect.')} {c.before:g} -> {c.after:.3g}"
                     for c in moved)
    return fb.adapt(cfg, state), f"{file}: {said}"


def _configured_for(cfg: Config, lay: Layout, args: argparse.Namespace, path: Path) -> Config:
    """The config as ``sitwatch run`` would have it for the recording's layout: the profile
    files are per layout (runtime.files.profile_path), named after cushion.layout; for a
    recording of the simulator, the simulator's (where `calibrate --recording` saved it)."""
    from sitwatch.runtime.files import for_simulator
    from sitwatch.sensing import layout
    from sitwatch.sources import recording

    header = recording.read_header(path)
    spec = layout_spec(args, cfg, path)
    same = not spec or spec == cfg.cushion.layout
    if not same:
        import contextlib

        with contextlib.suppress(layout.LayoutError):
            # the configured layout (a TOML file's path, say) by another name
            same = layout.load(cfg.cushion.layout).name == lay.name
    if not same:
        cfg = cfg.model_copy(update={"cushion": cfg.cushion.model_copy(update={"layout": spec})})
    return for_simulator(cfg) if header.simulated else cfg
