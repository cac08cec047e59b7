"""The camera's command-line flags and the ``model`` command, kept apart from
:mod:`sitwatch.cli.camera` (which needs pydantic and, for some commands, OpenCV and MediaPipe) so
that building the main parser (``sitwatch --help``) imports nothing but argparse."""

from __future__ import annotations

import argparse
from typing import Any

from sitwatch.cli.common import positive


def _cmd_model(args: argparse.Namespace) -> int:
    from sitwatch.cli.camera import cmd_model

    return cmd_model(args)


def register_model(sub: Any) -> None:
    """``sitwatch model fetch|path`` on the main CLI's subparsers."""
    sp: argparse.ArgumentParser = sub.add_parser(
        "model", help="get or locate the camera's pose model")
    sp.add_argument("action", choices=["fetch", "path"],
                    help="fetch: download the official model (checked against its SHA-256); "
                    "path: print where sitwatch looks for it")
    sp.add_argument("--variant", choices=["lite", "full", "heavy"],
                    help="which official model (default: camera.variant)")
    sp.add_argument("-o", "--output", help="where to save (default: camera.model, or the data dir)")
    sp.add_argument("--url", help="download from here instead (http(s):// or file://)")
    sp.add_argument("--sha256", help="expected SHA-256 of the file")
    sp.add_argument("--force", action="store_true", help="download even if the file exists")
    sp.set_defaults(func=_cmd_model)


def add_calibrate_camera_flags(sp: argparse.ArgumentParser) -> None:
    """Extra flags for ``sitwatch calibrate camera`` (``--recording``, ``--upright`` and
    ``-o`` are shared with the cushion's calibrate)."""
    sp.add_argument("--preview", action="store_true",
                    help="camera: show the picture with the landmarks while calibrating")
    sp.add_argument("--seconds", type=positive, default=10.0,
                    help="camera: seconds of upright sitting to record (live)")
    sp.add_argument("--camera", help="camera: device (index, /dev/videoN, video file) "
                    "overriding camera.device")
    sp.add_argument("--period", type=positive,
                    help="camera --recording: seconds between the rows of a landmark CSV "
                    "(default 0.5; or --hz)")


def add_replay_flags(sp: argparse.ArgumentParser) -> None:
    """Extra flags for ``sitwatch replay`` when FILE is a camera input."""
    sp.add_argument("--camera-calibration", dest="camera_calibration",
                    help="camera profile, as --calibration names it for a camera recording "
                    "(default: the saved one, as `sitwatch run`; --auto learns it from the "
                    "recording)")
    sp.add_argument("--every", type=positive,
                    help="camera: a pose every N seconds instead of the duty cycle")
    sp.add_argument("--period", type=positive,
                    help="landmark CSV without a time column: seconds between rows (default "
                    "0.5; or --hz)")
    sp.add_argument("--landmarks-out", dest="landmarks_out",
                    help="also write the poses as landmark JSON lines (numbers only)")
