"""The camera's commands, for :mod:`sitwatch.cli.main` to hook in.

- ``sitwatch model fetch [--variant V] [-o FILE] [--url U] [--sha256 H] [--force]`` and
  ``sitwatch model path``: :func:`cmd_model`;
- ``sitwatch calibrate camera [--preview] [--seconds S]`` (live) or ``sitwatch calibrate camera
  --recording FILE --upright A:B`` (a video, an image folder or a landmark file):
  :func:`cmd_calibrate_camera`;
- ``sitwatch replay FILE`` where FILE is a video, an image folder or a landmark file:
  :func:`cmd_replay_camera` (:func:`is_camera_input` tells which replay a file needs).

Every command takes the camera section from the main configuration when it has one
(``cfg.camera``) and the defaults otherwise; nothing here imports OpenCV or MediaPipe before a
command needs them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from sitwatch.cli.common import EXIT_CONFIG, EXIT_FAIL, EXIT_OK, err
from sitwatch.config.camera import CameraConfig
from sitwatch.core.kinds import EventName, SensorState
from sitwatch.core.spans import recording_span


def camera_config(args: argparse.Namespace | None = None) -> tuple[CameraConfig, Any]:
    """(camera section, main config or None) from --config / the user's file."""
    from sitwatch import config

    main = None
    if args is not None:
        main = config.load(getattr(args, "config", None),
                           use_user_file=not getattr(args, "no_user_config", False))
    else:
        main = config.load()
    cam = getattr(main, "camera", None)
    if not isinstance(cam, CameraConfig):
        cam = CameraConfig()
    device = getattr(args, "camera", None) if args is not None else None
    if device is not None:
        cam = cam.model_copy(update={"device": CameraConfig(device=device).device})
    return cam, main


def camera_input_problem(path: Path, flag: str = "") -> str | None:
    """What stops ``path`` from being read as a camera recording (missing, unreadable, a folder
    without images); None when it can be."""
    from sitwatch.camera.capture import IMAGE_SUFFIXES
    from sitwatch.cli.common import input_problem

    p = Path(path)
    if not p.is_dir():
        return input_problem(p, flag, "a recording")
    try:
        images = any(c.suffix.lower() in IMAGE_SUFFIXES and c.is_file() for c in p.iterdir())
    except OSError as e:
        return f"{f'{flag} ' if flag else ''}{p}: cannot read the folder ({e.strerror or e})"
    if images:
        return None
    return (f"{f'{flag} ' if flag else ''}{p}: is a folder without camera images "
            f"({', '.join(IMAGE_SUFFIXES)}): name a recording file, or a folder of a camera's "
            "images")


def is_camera_input(path: Path) -> bool:
    """A video, an image folder or a landmark file (not a cushion recording)."""
    from sitwatch.camera.landmarks import is_landmark_file
    from sitwatch.camera.replay import VIDEO_SUFFIXES

    p = Path(path)
    return p.is_dir() or p.suffix.lower() in VIDEO_SUFFIXES or (p.is_file() and is_landmark_file(p))


# -- model ---------------------------------------------------------------------------------

def cmd_model(args: argparse.Namespace) -> int:
    return cmd_model_fetch(args) if getattr(args, "action", "fetch") == "fetch" else \
        cmd_model_path(args)


def _model_dest(args: argparse.Namespace, cam: CameraConfig) -> tuple[str, Path]:
    variant = getattr(args, "variant", None) or cam.variant
    if getattr(args, "output", None):
        return variant, Path(args.output).expanduser()
    if cam.model and variant == cam.variant:
        return variant, cam.model_path()
    return variant, cam.model_copy(update={"variant": variant, "model": ""}).model_path()


def cmd_model_path(args: argparse.Namespace) -> int:
    from sitwatch import config
    from sitwatch.camera.pose import check_model

    try:
        cam, _ = camera_config(args)
    except config.ConfigError as e:
        err("invalid configuration: " + "; ".join(e.problems))
        return EXIT_CONFIG
    path = cam.model_path()
    print(path)
    problem = check_model(path)
    if problem:
        err(problem)
        return EXIT_FAIL
    return EXIT_OK


def cmd_model_fetch(args: argparse.Namespace, *, opener: Callable[..., Any] | None = None) -> int:
    from sitwatch import config
    from sitwatch.camera import model

    try:
        cam, _ = camera_config(args)
    except config.ConfigError as e:
        err("invalid configuration: " + "; ".join(e.problems))
        return EXIT_CONFIG
    variant, dest = _model_dest(args, cam)
    from sitwatch.cli.common import output_problem

    problem = output_problem(dest, "-o" if getattr(args, "output", None) else "camera.model",
                             f"pose_landmarker_{variant}.task")
    if problem:
        err(problem)
        return EXIT_CONFIG
    info = model.MODELS.get(variant)
    url = getattr(args, "url", None) or (info.url if info else None)
    print(f"fetching the {variant} pose model from {url}\n  to {dest}", file=sys.stderr)
    last = [0.0]

    def progress(n: int) -> None:
        now = time.monotonic()
        if now - last[0] >= 1.0 and sys.stderr.isatty():
            last[0] = now
            print(f"\r  {n / 1e6:.1f} MB", end="", file=sys.stderr, flush=True)

    kw: dict[str, Any] = {"url": url, "sha256": getattr(args, "sha256", None),
                          "force": bool(getattr(args, "force", False)), "progress": progress}
    if opener is not None:
        kw["opener"] = opener
    try:
        path = model.fetch(variant, dest, **kw)
    except model.FetchError as e:
        err(str(e))
        return EXIT_FAIL
    digest = model.sha256_of(path)
    print(f"\nsaved {path} (sha256 {digest})", file=sys.stderr)
    if cam.model_path() != path:
        print(f"set camera.model = \"{path}\" in your config to use it", file=sys.stderr)
    return EXIT_OK


def csv_period(args: argparse.Namespace) -> float | None:
    """Seconds between the rows of a landmark CSV (it has no time column): ``--period``, or one
    over ``--hz`` (both flags say it; each used to be ignored by one of the commands), 0.5 by
    default; None after saying that both were given."""
    period, hz = getattr(args, "period", None), getattr(args, "hz", None)
    if period and hz:
        err("--hz and --period both say how far apart a landmark CSV's rows are: pass one")
        return None
    return period or (1.0 / hz if hz else 0.5)


# -- calibrate -------------------------------------------------------------------------------

def cmd_calibrate_camera(args: argparse.Namespace) -> int:
    from sitwatch import config
    from sitwatch.camera import baseline as B
    from sitwatch.camera.landmarks import LandmarkFileError
    from sitwatch.camera.pose import PoseError
    from sitwatch.camera.replay import ReplayError

    try:
        cam, _ = camera_config(args)
    except config.ConfigError as e:
        err("invalid configuration: " + "; ".join(e.problems))
        return EXIT_CONFIG
    out = (Path(args.output).expanduser() if getattr(args, "output", None)
           else cam.calibration_path())
    from sitwatch.cli.common import output_problem

    problem = output_problem(out, "-o", "camera_calibration.json")
    if problem:
        err(problem)
        return EXIT_CONFIG
    try:
        if getattr(args, "recording", None):
            if not getattr(args, "upright", None):
                err("--upright START:END is required with --recording")
                return EXIT_CONFIG
            try:
                span = recording_span(args.upright)
            except ValueError:
                err(f"--upright {args.upright!r}: write START:END in seconds (e.g. 5:25)")
                return EXIT_CONFIG
            problem = camera_input_problem(Path(args.recording), "--recording")
            if problem:
                err(problem)
                return EXIT_CONFIG
            period = csv_period(args)
            if period is None:
                return EXIT_CONFIG
            prof = calibrate_from_recording(Path(args.recording), cam, span, period=period)
        else:
            if cam.device == "":
                err("which camera? set camera.device (0 for the first webcam) or pass --camera")
                return EXIT_CONFIG
            prof = live_calibrate(cam, seconds=float(getattr(args, "seconds", 10.0) or 10.0),
                                  preview=bool(getattr(args, "preview", False)))
    except LandmarkFileError as e:  # the recording is the user's file: say which line
        err(str(e))
        return EXIT_CONFIG
    except (B.CameraCalibrationError, ReplayError, PoseError) as e:
        err(str(e))
        return EXIT_FAIL
    prof.save(out)
    f = prof.features
    print(f"camera calibration saved to {out} ({prof.samples} poses: head drop "
          f"{f['head_drop']:.2f} shoulder widths, shoulders {f['shoulder_width']:.2f} of the "
          "frame height)")
    return EXIT_OK


def calibrate_from_recording(path: Path, cam: CameraConfig, span: tuple[float, float], *,
                             period: float = 0.5, estimator: Any = None) -> Any:
    """A profile from the poses of ``path`` between ``span`` seconds.

    The pose model a video or image folder needs is loaded first: a missing or broken one
    raises :class:`~sitwatch.camera.pose.PoseError` saying so, and nothing else (it used to
    be followed by "the recording covers no poses", which sent the user to the recording)."""
    from sitwatch.camera import baseline as B
    from sitwatch.camera.replay import kind_of, samples
    from sitwatch.camera.source import PoseReading, default_estimator

    lo, hi = span
    kind = kind_of(path)
    picked = []
    aspect = 1.0
    seen = (float("inf"), float("-inf"))
    every = None if kind == "landmarks" else min(cam.fast_interval, 0.5)
    est = estimator if estimator is not None or kind == "landmarks" else default_estimator(cam)
    why_none = ""  # the source's reason when it went offline before the first pose
    try:
        for item in samples(path, cam, estimator=est, every=every, period=period):
            if not isinstance(item, PoseReading):
                if not item.online and seen[0] > seen[1]:
                    why_none = item.reason
                continue
            seen = (min(seen[0], item.t), max(seen[1], item.t))
            if item.t >= hi:
                break
            if item.t >= lo:
                picked.append(item.features)
    finally:
        if estimator is None and est is not None:
            est.close()
    if not picked and why_none:
        raise B.CameraCalibrationError(why_none)
    if not picked:
        where = f"{seen[0]:g}-{seen[1]:g} s" if seen[0] <= seen[1] else "no poses"
        raise B.CameraCalibrationError(f"{path}: nothing between {lo:g} and {hi:g} s "
                                       f"(the recording covers {where})")
    return B.from_features(picked, method="recording", aspect=aspect,
                           note=f"from {Path(path).name} {lo:g}-{hi:g} s")


def live_calibrate(cam: CameraConfig, *, seconds: float = 10.0, preview: bool = False,
                   countdown: int = 3, clock: Any = None,
                   sleep: Callable[[float], object] = time.sleep,
                   capture: Any = None, estimator: Any = None,
                   say: Callable[[str], None] | None = None) -> Any:
    """Watch the user sit upright for ``seconds`` and return the profile.

    With ``preview`` a window shows the camera picture with the landmarks drawn on it (on
    screen only; nothing is saved). Press q or Esc in it to stop early.
    """
    from sitwatch.camera import baseline as B
    from sitwatch.camera import features as F
    from sitwatch.camera.capture import CaptureError, make_capture
    from sitwatch.camera.pose import bgr_to_rgb
    from sitwatch.camera.source import default_estimator
    from sitwatch.core.clock import SystemClock

    say = say or (lambda s: print(s, file=sys.stderr))
    clock = clock or SystemClock()
    if preview and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise B.CameraCalibrationError("--preview needs a desktop session (no DISPLAY)")
    # The camera and the model first: nobody is asked to sit still for a camera that is not
    # there (a live camera keeps running through the countdown, as it would anyway).
    try:
        cap = capture or make_capture(cam)
        cap.open(clock.monotonic())
    except CaptureError as e:
        raise B.CameraCalibrationError(e.reason) from None
    picked: list[F.PoseFeatures] = []
    aspect = 1.0
    est: Any = None
    try:
        est = estimator or default_estimator(cam)
        say("Sit upright, facing the screen, both shoulders in the picture.")
        for i in range(countdown, 0, -1):
            say(f"  {i} ...")
            sleep(1.0)
        t0 = clock.monotonic()
        say(f"Hold still for {seconds:g} seconds.")
        while clock.monotonic() - t0 < seconds:
            now = clock.monotonic()
            try:
                frame = cap.read(now)
            except CaptureError as e:
                raise B.CameraCalibrationError(e.reason) from None
            h, w = frame.shape[:2]
            aspect = w / h
            lm = est(bgr_to_rgb(frame), now)
            f = F.extract(lm, aspect, cam.min_visibility)
            picked.append(f)
            if preview and _show(frame, lm, f):
                break
            del frame
            sleep(0.2)
    finally:
        cap.release()
        if preview:
            _close_preview()
        if estimator is None and est is not None:
            est.close()
    prof = B.from_features(picked, method="interactive", aspect=aspect,
                           note=f"live, {len(picked)} poses")
    return prof


def _show(frame: Any, lm: Any, f: Any) -> bool:
    """Draw the landmarks on a copy and show it; True when the user asks to stop."""
    import cv2

    img = frame.copy()
    h, w = img.shape[:2]
    if lm is not None:
        for i in (0, 2, 5, 7, 8, 11, 12):
            x, y, _, v = lm[i]
            if v >= 0.5:
                cv2.circle(img, (int(x * w), int(y * h)), 5, (0, 200, 0), -1)
    text = "nobody in view" if not f.present else f"head drop {f.get('head_drop'):.2f}"
    cv2.putText(img, text, (10, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (0, 200, 255), 2)
    cv2.imshow("sitwatch calibration (nothing is saved)", img)
    return (cv2.waitKey(1) & 0xFF) in (ord("q"), 27)


def _close_preview() -> None:
    import cv2

    with contextlib.suppress(cv2.error):  # no GUI backend
        cv2.destroyAllWindows()


# -- replay -----------------------------------------------------------------------------------

def cmd_replay_camera(path: Path, *, cam: CameraConfig | None = None, main: Any = None,
                      calibration: Path | None = None, saved: Path | None = None,
                      json_lines: bool = False,
                      every: float | None = None, period: float = 0.5,
                      landmarks_out: Path | None = None, out: IO[str] | None = None,
                      estimator: Any = None) -> int:
    """Print the events of ``path`` (one JSON object per line with ``json_lines``).

    The profile: ``calibration`` (an error when unusable), else ``saved`` (the saved camera
    profile ``sitwatch run`` would use) when it exists and is usable, else one learned from the
    recording; stderr says which."""
    from sitwatch.camera import baseline as B
    from sitwatch.camera.landmarks import Writer
    from sitwatch.camera.pose import PoseError, check_model
    from sitwatch.camera.replay import ReplayError, kind_of
    from sitwatch.camera.source import default_estimator

    out = out or sys.stdout
    cam = cam or CameraConfig()
    try:
        kind = kind_of(Path(path))
        profile = B.load(Path(calibration)) if calibration else None
    except (ReplayError, B.CameraCalibrationError) as e:
        err(str(e))
        return EXIT_CONFIG
    used = str(calibration) if calibration else "learned from the recording"
    if profile is None and saved is not None and saved.exists():
        try:  # as the daemon does (runtime.assemble.build_camera): unusable -> learn one
            profile, used = B.load(saved), str(saved)
        except B.CameraCalibrationError as e:
            err(f"camera profile ignored ({e}); learning one from the recording")
    with contextlib.ExitStack() as stack:
        if kind != "landmarks" and estimator is None:
            # the model is loaded before anything is read, as calibration does: a broken one
            # is the one line and exit 1, not a replay of "sensor offline" that exits 0
            problem = check_model(cam.model_path())
            if not problem:
                try:
                    estimator = default_estimator(cam)
                except PoseError as e:
                    problem = str(e)
            if problem:
                err(problem)
                return EXIT_FAIL
            stack.callback(estimator.close)
        err(f"camera profile: {used}")
        on_reading: Callable[[Any], None] | None = None
        if landmarks_out:
            fd = os.open(landmarks_out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            writer = Writer(stack.enter_context(open(fd, "w", encoding="utf-8")))

            def on_reading(r: Any) -> None:
                writer.write(r.t, r.landmarks)

        return _replay_out(path, cam, profile, main, estimator, every, period, on_reading,
                           json_lines, out)


def _replay_out(path: Path, cam: CameraConfig, profile: Any, main: Any, estimator: Any,
                every: float | None, period: float, on_reading: Callable[[Any], None] | None,
                json_lines: bool, out: IO[str]) -> int:
    from sitwatch.camera.landmarks import LandmarkFileError
    from sitwatch.camera.pose import PoseError
    from sitwatch.camera.replay import ReplayError
    from sitwatch.runtime.replay import replay_camera as replay

    counts: dict[str, int] = {}
    last_t = 0.0
    readings = 0

    def reading(r: Any) -> None:
        nonlocal readings
        readings += 1
        if on_reading is not None:
            on_reading(r)

    try:
        for ev in replay(Path(path), cam, profile, main=main, estimator=estimator, every=every,
                         period=period, on_reading=reading):
            if not readings and ev.event == EventName.SENSOR and ev.state == SensorState.OFFLINE:
                err(str(ev.get("reason") or f"{path}: cannot be read"))  # not one pose
                return EXIT_FAIL  # a file that failed, as a device does (cli/common.py)
            last_t = ev.t
            key = f"{ev.event}:{ev.state}" if ev.state else ev.event
            counts[key] = counts.get(key, 0) + 1
            out.write((ev.to_json() if json_lines else _human(ev)) + "\n")
    except (LandmarkFileError, ReplayError, PoseError) as e:
        err(str(e))
        return EXIT_CONFIG
    except BrokenPipeError:
        return EXIT_OK
    if json_lines:
        out.write(json.dumps({"t": round(last_t, 3), "event": "summary", "source": "camera",
                              "events": counts}) + "\n")
    else:
        out.write("\n" + ", ".join(f"{k} x{v}" for k, v in sorted(counts.items())) + "\n")
    return EXIT_OK


def _human(ev: Any) -> str:
    from sitwatch.cli.common import event_line as human

    return human(ev)


def check(cam: CameraConfig) -> list[tuple[bool, str]]:
    """For ``sitwatch doctor``: (ok, message) lines about the camera setup, without importing
    MediaPipe or opening the camera."""
    import importlib.util

    from sitwatch.camera.capture import open_failure_reason
    from sitwatch.camera.model import verify
    from sitwatch.camera.pose import MISSING_PACKAGE, check_model

    lines: list[tuple[bool, str]] = []
    if not cam.enabled:
        return [(True, "camera: not used (camera.device is empty)")]
    has_mp = importlib.util.find_spec("mediapipe") is not None
    lines.append((has_mp, "camera: MediaPipe installed" if has_mp
                  else f"camera: {MISSING_PACKAGE}"))
    path = cam.model_path()
    problem = check_model(path) or verify(path)
    lines.append((problem is None, f"camera: pose model {path}" if problem is None
                  else f"camera: {problem}"))
    kind = cam.device_kind()
    if kind in ("index", "v4l"):
        dev = cam.device
        node = Path(f"/dev/video{dev}") if isinstance(dev, int) else Path(str(dev))
        if node.exists() and os.access(node, os.R_OK | os.W_OK):
            lines.append((True, f"camera: {node} present"))
        else:
            lines.append((False, "camera: " + open_failure_reason(dev)))
    else:
        p = Path(str(cam.device)).expanduser()
        lines.append((p.exists(), f"camera: {p} ({kind})" if p.exists()
                      else f"camera: {p}: not found"))
    cal = cam.calibration_path()
    lines.append((True, f"camera: calibration {cal}" if cal.exists() else
                  "camera: no calibration yet (learned automatically, or `sitwatch calibrate "
                  "camera`)"))
    return lines
