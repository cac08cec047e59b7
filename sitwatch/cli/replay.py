"""``sitwatch replay FILE``: a recording through the full pipeline, as fast as it goes."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sitwatch.cli.common import (
    EXIT_CONFIG,
    EXIT_FAIL,
    EXIT_OK,
    config_errors,
    err,
    event_line,
    load_config,
    resolve_layout,
)


def run(args: argparse.Namespace) -> int:
    import json

    from sitwatch import config
    from sitwatch.runtime.replay import replay
    from sitwatch.runtime.tally import Tally
    from sitwatch.sensing import calibration, layout
    from sitwatch.sensing.wire import LineParser
    from sitwatch.sources import recording

    path = Path(args.file)
    if not path.exists():
        err(f"{path}: no such recording")
        return EXIT_FAIL
    from sitwatch.cli.camera import cmd_replay_camera, is_camera_input

    if is_camera_input(path):
        try:
            cfg = load_config(args)
        except config.ConfigError as e:
            return config_errors(e)
        return cmd_replay_camera(path, cam=cfg.camera, main=cfg,
                                 calibration=Path(args.camera_calibration)
                                 if args.camera_calibration else None,
                                 json_lines=args.json, every=args.every, period=args.period,
                                 landmarks_out=args.landmarks_out)
    try:
        cfg = load_config(args)
        lay = resolve_layout(args, cfg, path)
        cfg = config.for_layout(cfg, lay)
        profile = calibration.load(Path(args.calibration)) if args.calibration else None
        if profile:
            profile.check_layout(lay)
    except config.ConfigError as e:
        return config_errors(e)
    except (layout.LayoutError, calibration.CalibrationError, recording.RecordingError) as e:
        err(str(e))
        return EXIT_CONFIG
    tally = Tally()
    out = sys.stdout
    parser = LineParser(lay.n, lay.full_scale, time_unit="s")
    try:
        for ev in replay(path, lay, cfg, profile, args.hz, tally, parser):
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
        reasons = ", ".join(f"{n} {why}" for why, n in st.dropped.most_common())
        if st.last_count_seen is not None:
            reasons += f"; some lines have {st.last_count_seen} values, the layout {lay.n}"
        err(f"note: {st.dropped_total} of {st.frames + st.dropped_total} lines of {path} were "
            f"not usable frames ({reasons})")
    if args.json:
        out.write(
            json.dumps({"t": round(tally._last or 0.0, 3), "event": "summary", **tally.as_dict()})
            + "\n"
        )
    else:
        out.write("\n" + tally.text() + "\n")
    return EXIT_OK


