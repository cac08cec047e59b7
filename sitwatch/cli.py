"""Command line: ``sitwatch COMMAND``. Imports stay inside the commands so ``--help`` is quick
and cushion-only runs never load the camera stack."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_FAIL, EXIT_CONFIG = 0, 1, 2


def _err(msg: str) -> None:
    print(f"sitwatch: {msg}", file=sys.stderr)


def _load_config(args: argparse.Namespace, overrides: dict[str, Any] | None = None) -> Any:
    from sitwatch import config

    ov = dict(overrides or {})
    for flag, key in (
        ("port", "cushion.port"),
        ("layout", "cushion.layout"),
        ("baud", "cushion.baud"),
        ("camera", "camera.device"),
    ):
        v = getattr(args, flag, None)
        if v is not None:
            ov[key] = int(v) if key == "camera.device" and str(v).isdigit() else v
    return config.load(
        getattr(args, "config", None), ov, use_user_file=not getattr(args, "no_user_config", False)
    )


def _config_errors(e: Exception) -> int:
    _err("invalid configuration:")
    for line in getattr(e, "problems", [str(e)]):
        print(f"  {line}", file=sys.stderr)
    return EXIT_CONFIG


# -- config ------------------------------------------------------------------------------


def cmd_config(args: argparse.Namespace) -> int:
    from sitwatch import config

    if args.action == "show" and args.defaults:
        sys.stdout.write(config.render())
        return EXIT_OK
    from sitwatch import layout

    try:
        cfg = config.load(args.file or getattr(args, "config", None))
        lay = layout.load(cfg.cushion.layout)
        cfg = config.for_layout(cfg, lay)  # what the daemon will use
    except config.ConfigError as e:
        return _config_errors(e)
    except layout.LayoutError as e:
        return _config_errors(config.ConfigError([f"cushion.layout: {e}"]))
    if args.action == "validate":
        src = args.file or args.config or config.user_config_path()
        print(f"{src}: ok" if Path(src).exists() else "defaults: ok (no config file)")
        return EXIT_OK
    sys.stdout.write(config.render(cfg))
    return EXIT_OK


# -- layouts and guidance ------------------------------------------------------------------


def cmd_layouts(args: argparse.Namespace) -> int:
    from sitwatch import layout

    if args.name:
        try:
            lay = layout.load(args.name)
        except layout.LayoutError as e:
            _err(str(e))
            return EXIT_CONFIG
        print(lay.summary())
        if lay.description:
            print(lay.description)
        for sec, kv in lay.detect.items():
            for k, v in kv.items():
                print(f"  detection default: detect.{sec}.{k} = {v!r} (your config can override)")
        if not lay.is_grid:
            for c in lay.channels:
                print(f"  {c.index:3d}  {c.label:<12} {c.surface:<5} x={c.x:+.2f} y={c.y:+.2f}")
        return EXIT_OK
    for name in layout.builtin_names():
        print(layout.load(name).summary())
    print("grid:RxC: any seat matrix, e.g. grid:16x16 (row 0 at the rear, column 0 on the left)")
    return EXIT_OK


def cmd_guidance(args: argparse.Namespace) -> int:
    from sitwatch import guidance

    if args.kind:
        adv = guidance.CATALOG.get(args.kind)
        if adv is None:
            _err(f"unknown kind {args.kind!r}; one of: {', '.join(guidance.CATALOG)}")
            return EXIT_CONFIG
        print(adv.titles[0])
        print(f"Why: {adv.why}")
        print("What to do:")
        for a in adv.actions:
            print(f"  - {a}")
        if args.kind == "prolonged_sitting":
            print("Stretches for your break:")
            for s in guidance.STRETCHES:
                print(f"  - {s}")
        print()
        print(guidance.care_text())
        return EXIT_OK
    for kind, adv in guidance.CATALOG.items():
        print(f"{kind:<18} {adv.titles[0]}: {adv.actions[0]}")
    print("\nsitwatch guidance KIND shows the full advice and when to see a doctor.")
    return EXIT_OK


# -- replay ------------------------------------------------------------------------------


def _resolve_layout(args: argparse.Namespace, cfg: Any, path: Path | None = None) -> Any:
    from sitwatch import layout, recording

    spec = getattr(args, "layout", None)
    if spec is None and path is not None:
        spec = recording.read_header(path).layout
    return layout.load(spec or cfg.cushion.layout)


def cmd_replay(args: argparse.Namespace) -> int:
    import json

    from sitwatch import calibration, config, layout, recording
    from sitwatch.replay import replay
    from sitwatch.tally import Tally

    path = Path(args.file)
    if not path.exists():
        _err(f"{path}: no such recording")
        return EXIT_FAIL
    from sitwatch.camera.cli import cmd_replay_camera, is_camera_input

    if is_camera_input(path):
        try:
            cfg = _load_config(args)
        except config.ConfigError as e:
            return _config_errors(e)
        return cmd_replay_camera(path, cam=cfg.camera, main=cfg,
                                 calibration=Path(args.camera_calibration)
                                 if args.camera_calibration else None,
                                 json_lines=args.json, every=args.every, period=args.period,
                                 landmarks_out=args.landmarks_out)
    try:
        cfg = _load_config(args)
        lay = _resolve_layout(args, cfg, path)
        cfg = config.for_layout(cfg, lay)
        profile = calibration.load(Path(args.calibration)) if args.calibration else None
        if profile:
            profile.check_layout(lay)
    except config.ConfigError as e:
        return _config_errors(e)
    except (layout.LayoutError, calibration.CalibrationError, recording.RecordingError) as e:
        _err(str(e))
        return EXIT_CONFIG
    tally = Tally()
    out = sys.stdout
    try:
        for ev in replay(path, lay, cfg, profile, args.hz, tally):
            if args.json:
                out.write(ev.to_json() + "\n")
            else:
                out.write(_human(ev) + "\n")
    except recording.RecordingError as e:
        _err(str(e))
        return EXIT_CONFIG
    except BrokenPipeError:
        return EXIT_OK
    if args.json:
        out.write(
            json.dumps({"t": round(tally._last or 0.0, 3), "event": "summary", **tally.as_dict()})
            + "\n"
        )
    else:
        out.write("\n" + tally.text() + "\n")
    return EXIT_OK


def _human(ev: Any) -> str:
    t = ev.t
    stamp = f"{int(t // 3600):02d}:{int(t % 3600 // 60):02d}:{int(t % 60):02d}"
    if ev.event == "nudge":
        return f"{stamp}  NUDGE  {ev.get('title')}: {ev.get('message')}"
    extra = ""
    if ev.event == "break":
        extra = (
            f" {ev.get('duration', 0) / 60:.0f} min after {ev.get('spell', 0) / 60:.0f} min seated"
        )
    elif ev.event == "calibration" and ev.get("excluded") is not None:
        extra = " excluded: " + (", ".join(ev.get("excluded")) or "none")
    elif ev.get("reason"):
        extra = f" ({ev.get('reason')})"
    if ev.get("source") and ev.get("source") != "cushion":
        extra += f" [{ev.get('source')}]"
    state = ev.state or ""
    return f"{stamp}  {ev.event:<11} {state.replace('_', ' ')}{extra}"


# -- calibrate -----------------------------------------------------------------------------


def _span(text: str) -> tuple[float, float]:
    def secs(s: str) -> float:
        parts = [float(p) for p in s.split(":")] if s.count(":") <= 2 else []
        if not parts:
            raise ValueError
        v = 0.0
        for p in parts:
            v = v * 60 + p
        return v

    if "-" in text and ":" not in text.replace("-", "", 1):
        a, b = text.split("-", 1)
    elif ".." in text:
        a, b = text.split("..", 1)
    else:
        # A:B in seconds, or mm:ss-mm:ss
        if "-" in text:
            a, b = text.split("-", 1)
        else:
            a, b = text.split(":", 1)
    lo, hi = secs(a), secs(b)
    if hi <= lo:
        raise ValueError
    return lo, hi


def cmd_calibrate(args: argparse.Namespace) -> int:
    from sitwatch import calibration, config, layout, paths, recording

    if getattr(args, "target", "cushion") == "camera":
        return int(_lazy("sitwatch.camera.cli", "cmd_calibrate_camera")(args))

    try:
        cfg = _load_config(args)
        lay = _resolve_layout(args, cfg, Path(args.recording) if args.recording else None)
    except config.ConfigError as e:
        return _config_errors(e)
    except layout.LayoutError as e:
        _err(str(e))
        return EXIT_CONFIG
    out = (
        Path(args.output)
        if args.output
        else (
            Path(cfg.calibration.profile)
            if cfg.calibration.profile
            else paths.data_dir() / "calibration.json"
        )
    )
    if args.recording:
        import numpy as np

        ranges: dict[str, tuple[float, float]] = {}
        for name in ("empty", "upright", "slouch", "lean_left", "lean_right"):
            v = getattr(args, name)
            if v:
                try:
                    ranges[name] = _span(v)
                except ValueError:
                    _err(
                        f"--{name.replace('_', '-')} {v!r}: write START:END in seconds (e.g. 30:90)"
                    )
                    return EXIT_CONFIG
        if "upright" not in ranges:
            _err("--upright START:END is required with --recording")
            return EXIT_CONFIG
        try:
            frames = list(recording.frames(Path(args.recording), lay, args.hz))
        except recording.RecordingError as e:
            _err(str(e))
            return EXIT_CONFIG
        ts = np.array([t for t, _ in frames])
        vals = np.array([v for _, v in frames]) if frames else np.zeros((0, lay.n))
        means: dict[str, Any] = {}
        for name, (lo, hi) in ranges.items():
            sel = (ts >= lo) & (ts < hi)
            if sel.sum() < 3:
                first, last = (ts.min(), ts.max()) if len(ts) else (0.0, 0.0)
                _err(
                    f"--{name.replace('_', '-')} {lo:g}:{hi:g}: only {int(sel.sum())} frames "
                    f"in that range (the recording covers {first:g}-{last:g} s)"
                )
                return EXIT_CONFIG
            means[name] = calibration.robust_mean(vals[sel])
        prof = calibration.from_arrays(
            lay,
            tare=means.pop("empty", None),
            upright=means.pop("upright"),
            method="recording",
            **means,
        )
        prof.note = f"from {Path(args.recording).name}"
        prof.save(out)
        print(f"calibration saved to {out}")
        return EXIT_OK
    from sitwatch.calibrate_live import interactive

    return interactive(cfg, lay, out)


# -- parser --------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="sitwatch",
        description="Watch how you sit on a pressure-sensing cushion and get nudged at the right "
        "moment. A wellness tool, not a medical device.",
    )
    p.add_argument("--version", action="version", version="%(prog)s 0.1.0")
    p.set_defaults(config=None, no_user_config=False, verbose=0)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        metavar="FILE",
        default=argparse.SUPPRESS,
        help="config file (default: ~/.config/sitwatch/sitwatch.toml)",
    )
    common.add_argument(
        "--no-user-config",
        action="store_true",
        default=argparse.SUPPRESS,
        help="ignore the user's config file",
    )
    common.add_argument(
        "-v", "--verbose", action="count", default=argparse.SUPPRESS, help="more log output"
    )
    for a in common._actions:
        p._add_action(a)
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    _add = sub.add_parser

    def add_parser(name: str, **kw: Any) -> argparse.ArgumentParser:
        return _add(name, parents=[common], **kw)

    sub.add_parser = add_parser  # type: ignore[method-assign]

    def cushion_flags(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--port", help="serial device or URL (overrides cushion.port)")
        sp.add_argument("--layout", help="layout name, grid:RxC or TOML file")
        sp.add_argument("--baud", type=int, help="baud rate")

    sp = sub.add_parser("run", help="run the daemon")
    cushion_flags(sp)
    sp.add_argument("--camera", help="webcam index, /dev/videoN or a video file (camera.device)")
    sp.add_argument("--headless", action="store_true", help="no desktop notifications")
    sp.add_argument("--calibration", help="calibration profile (JSON)")
    sp.add_argument("--json", action="store_true", help="print events as JSON lines")
    sp.set_defaults(func=lambda a: _lazy("sitwatch.daemon", "cmd_run")(a))

    sp = sub.add_parser("demo", help="the daemon against a virtual cushion in accelerated time")
    sp.add_argument(
        "--speed",
        type=float,
        default=0,
        help="simulated seconds per second (0: as fast as the display allows)",
    )
    sp.add_argument("--layout", default="smartchair-12")
    sp.add_argument("--seed", type=int, default=7)
    sp.add_argument("--plain", action="store_true", help="no live display; print events")
    sp.add_argument("--script", choices=["day", "demo"], default="day",
                    help="day: an 8-hour office day; demo: a 2-hour compressed one")
    sp.set_defaults(func=lambda a: _lazy("sitwatch.demo", "cmd_demo")(a))

    sp = sub.add_parser("replay", help="run a recording through the pipeline")
    sp.add_argument("file")
    sp.add_argument("--layout")
    sp.add_argument(
        "--calibration", help="calibration profile (default: learn it from the recording)"
    )
    sp.add_argument("--hz", type=float, help="frame rate for files without a time column")
    sp.add_argument("--json", action="store_true", help="one JSON object per line (docs/events.md)")
    _lazy("sitwatch.camera.flags", "add_replay_flags")(sp)
    sp.set_defaults(func=cmd_replay)

    sp = sub.add_parser("record", help="save what the cushion sends to a recording")
    cushion_flags(sp)
    sp.add_argument("-o", "--output", required=True)
    sp.add_argument("--duration", type=float, help="seconds to record (default: until Ctrl-C)")
    sp.set_defaults(func=lambda a: _lazy("sitwatch.daemon", "cmd_record")(a))

    sp = sub.add_parser("simulate", help="stream a virtual cushion on a pseudo-terminal")
    sp.add_argument("--layout", default="smartchair-12")
    sp.add_argument("--hz", type=float, default=20.0)
    sp.add_argument("--speed", type=float, default=1.0, help="simulated seconds per second")
    sp.add_argument("--duration", type=float, help="simulated seconds (default: the whole script)")
    sp.add_argument("--script", choices=["day", "demo"], default="day")
    sp.add_argument("--seed", type=int, default=0)
    sp.add_argument("--link", help="also make this symlink to the pty")
    sp.add_argument("--garbage", type=float, default=0.0, help="share of lines to corrupt")
    sp.add_argument("--unplug", action="append", default=[], metavar="AT:SECONDS",
                    help="unplug the virtual cushion at simulated second AT for SECONDS of real "
                    "time (repeatable)")
    sp.add_argument("-o", "--output", help="write a recording file instead of streaming")
    sp.set_defaults(func=lambda a: _lazy("sitwatch.daemon", "cmd_simulate")(a))

    sp = sub.add_parser("calibrate", help="take your empty-seat and upright readings")
    sp.add_argument("target", nargs="?", choices=["cushion", "camera"], default="cushion",
                    help="what to calibrate (default: the cushion)")
    cushion_flags(sp)
    _lazy("sitwatch.camera.flags", "add_calibrate_camera_flags")(sp)
    sp.add_argument("--recording", help="calibrate from time ranges of a recording")
    sp.add_argument("--hz", type=float)
    sp.add_argument("--empty", metavar="A:B", help="seconds of the recording with the seat empty")
    sp.add_argument("--upright", metavar="A:B", help="seconds sitting upright")
    sp.add_argument("--slouch", metavar="A:B")
    sp.add_argument("--lean-left", dest="lean_left", metavar="A:B")
    sp.add_argument("--lean-right", dest="lean_right", metavar="A:B")
    sp.add_argument(
        "-o", "--output", help="where to save (default: calibration.json in the data dir)"
    )
    sp.set_defaults(func=cmd_calibrate)

    sp = sub.add_parser("status", help="the running daemon's live state")
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=lambda a: _lazy("sitwatch.daemon", "cmd_status")(a))

    sp = sub.add_parser("snooze", help="no nudges for a while (e.g. 30m); watching goes on")
    sp.add_argument("duration", help="30m, 1h, 1h30m ...")
    sp.set_defaults(func=lambda a: _lazy("sitwatch.daemon", "cmd_control")(a))
    sp = sub.add_parser("pause", help="stop watching for a while (or until resume)")
    sp.add_argument("duration", nargs="?", help="30m, 1h ... (default: until resume)")
    sp.set_defaults(func=lambda a: _lazy("sitwatch.daemon", "cmd_control")(a))
    sp = sub.add_parser("resume", help="end a pause or a snooze")
    sp.set_defaults(func=lambda a: _lazy("sitwatch.daemon", "cmd_control")(a))

    sp = sub.add_parser("doctor", help="check the cushion, notifications, storage and config")
    cushion_flags(sp)
    sp.add_argument("--camera", help="webcam index, /dev/videoN or a video file (camera.device)")
    sp.add_argument("--listen", type=float, default=3.0, metavar="SECONDS",
                    help="how long to listen to the cushion (default 3)")
    sp.add_argument("--headless", action="store_true",
                    help="no desktop: do not count a missing notification service as a problem")
    sp.set_defaults(func=lambda a: _lazy("sitwatch.doctor", "cmd_doctor")(a))

    sp = sub.add_parser("report", help="a summary of a day or a week from the history")
    sp.add_argument("--day", help="YYYY-MM-DD (default: today)")
    sp.add_argument("--week", action="store_true", help="the seven days ending on --day")
    sp.add_argument("--html", nargs="?", const="", metavar="FILE",
                    help="the week as a self-contained HTML page (implies --week; default "
                    "sitwatch-week-YYYY-MM-DD.html)")
    sp.set_defaults(func=lambda a: _lazy("sitwatch.daemon", "cmd_report")(a))

    _lazy("sitwatch.camera.flags", "add_model_parser")(sub)

    sp = sub.add_parser(
        "eval", help="measure the detectors on the labelled recordings in shared/datasets"
    )
    sp.add_argument("--shared", help="the shared folder (default: ../shared beside the project)")
    sp.add_argument("--markdown", action="store_true", help="markdown tables (docs/accuracy.md)")
    sp.add_argument("--quick", action="store_true", help="skip the leave-one-person-out search")
    sp.set_defaults(func=lambda a: _lazy("sitwatch.evaluate", "cmd_eval")(a))

    sp = sub.add_parser("config", help="validate or show the configuration")
    sp.add_argument("action", choices=["validate", "show"])
    sp.add_argument("file", nargs="?", help="config file to check")
    sp.add_argument("--defaults", action="store_true", help="show: the documented defaults")
    sp.set_defaults(func=cmd_config)

    sp = sub.add_parser("layouts", help="list built-in sensor layouts or show one")
    sp.add_argument("name", nargs="?")
    sp.set_defaults(func=cmd_layouts)

    sp = sub.add_parser("guidance", help="the advice behind each nudge")
    sp.add_argument("kind", nargs="?")
    sp.set_defaults(func=cmd_guidance)
    return p


def _lazy(module: str, name: str) -> Any:
    import importlib

    return getattr(importlib.import_module(module), name)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_OK
    import logging

    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130
