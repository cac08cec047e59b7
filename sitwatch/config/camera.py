"""``[camera]``: the webcam pose source, as one pydantic model (schema, docs and defaults).

This module imports neither OpenCV nor MediaPipe: the daemon can validate a configuration with a
camera section on a machine without the ``camera`` extra.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sitwatch.config.files import file_path
from sitwatch.config.units import Seconds

Variant = Literal["lite", "full", "heavy"]


class CameraConfig(BaseModel):
    """The webcam: upper-body posture and presence from MediaPipe pose landmarks."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)

    device: int | str = Field(
        default="",
        description="Camera index (0 = first webcam), device path (/dev/video0), a video file or "
        "a folder of images (for tests and demos). Empty: no camera.",
    )
    model: Annotated[str, file_path("pose_landmarker_full.task")] = Field(
        default="",
        description="PoseLandmarker bundle (.task). Empty: pose_landmarker_<variant>.task in the "
        "data dir (get it with `sitwatch model fetch`).",
    )
    variant: Variant = Field(
        default="full",
        description="Which official model `sitwatch model fetch` downloads and which file "
        "name an empty `model` means: lite (fastest), full, heavy (most accurate)."
    )
    width: int = Field(
        default=640, ge=160, le=3840,
        description="Capture width asked of the camera (px).")
    height: int = Field(default=480, ge=120, le=2160,
                        description="Capture height asked of the camera (px).")
    mirrored: bool = Field(
        default=False,
        description="Frames are mirrored (a camera or driver that flips the picture); "
        "left and right are swapped back before features are computed."
    )

    # -- duty cycle ----------------------------------------------------------------------
    slow_interval: Seconds = Field(
        default=5.0, gt=0, le=600, description="Seconds between two poses while nothing changes."
    )
    fast_interval: Seconds = Field(
        default=1.0, gt=0, le=60, description="Seconds between two poses while a change is being "
        "confirmed, while you sit down or get up, and while the baseline is being learned."
    )
    absent_interval: Seconds = Field(
        default=20.0, gt=0, le=3600,
        description="Seconds between two looks while nobody has been in "
        "front of the camera for `absent_after` seconds."
    )
    absent_after: Seconds = Field(
        default=60.0, ge=0,
        description="Seconds without anybody in view before sampling slows down to "
        "`absent_interval`."
    )
    keep_open_below: Seconds = Field(
        default=3.0, ge=0,
        description="A live camera stays open between two samples closer than this "
        "(s); otherwise it is released (its light goes off) until the next sample."
    )
    warmup_frames: int = Field(
        default=4, ge=0, le=60,
        description="Frames dropped after opening a live camera (auto exposure "
        "needs a few frames to settle)."
    )
    pause_when_locked: bool = Field(
        default=True,
        description="Take no pictures while the screen is locked (logind's LockedHint)."
    )
    image_period: Seconds = Field(
        default=1.0, gt=0, description="An image folder as device: seconds each image stands for."
    )

    # -- trouble -----------------------------------------------------------------------------
    reconnect_min: Seconds = Field(default=2.0, gt=0, description="First retry delay when the "
                                   "camera cannot be opened or stops delivering frames (s).")
    reconnect_max: Seconds = Field(default=60.0, gt=0, description="Longest retry delay (s).")

    # -- pose model ----------------------------------------------------------------------
    min_detection_confidence: float = Field(
        default=0.5, ge=0, le=1, description="MediaPipe: minimum score for a person to be detected."
    )
    min_presence_confidence: float = Field(
        default=0.5, ge=0, le=1, description="MediaPipe: minimum pose presence score."
    )
    min_tracking_confidence: float = Field(
        default=0.5, ge=0, le=1,
        description="MediaPipe: minimum score to keep tracking between frames."
    )
    min_visibility: float = Field(
        default=0.5, gt=0, lt=1,
        description="Landmarks less visible than this are treated as missing."
    )

    # -- calibration -------------------------------------------------------------------------
    calibration: Annotated[str, file_path("camera_calibration.json")] = Field(
        default="",
        description="Camera calibration profile (JSON). Empty: camera_calibration.json in "
        "the data dir."
    )
    auto_calibrate: bool = Field(
        default=True,
        description="Without a profile, learn the upright baseline from the first settled "
        "stretch in front of the camera."
    )
    auto_settle: Seconds = Field(
        default=20.0, gt=0, description="Auto calibration: seconds of steady, visible sitting that "
        "become the upright baseline."
    )

    # -- detection ---------------------------------------------------------------------------
    dwell: Seconds = Field(
        default=10.0, ge=0,
        description="Seconds a new posture must hold to be reported.")
    presence_dwell: Seconds = Field(
        default=3.0, ge=0,
        description="Seconds somebody must be in view (or gone) to count as arrived "
        "(or left)."
    )
    slouch_drop_ratio: float = Field(
        default=0.70, gt=0, lt=1,
        description="Slouched (head dropped) when the nose's height above the "
        "shoulder line, in shoulder widths, falls below this share of your upright baseline."
    )
    forward_scale: float = Field(
        default=1.15, gt=1,
        description="Not a posture cue (apparent size is only a distance estimate): once your "
        "shoulders have looked this many times wider than the size reference for `dwell` "
        "seconds while your posture holds at its baseline, you sat closer to the camera and "
        "the reference moves there (re-anchoring)."
    )
    forward_face_ratio: float = Field(
        default=1.20, gt=1,
        description="Leaning forward (forward head) when your face looks this "
        "many times larger relative to your shoulders than in your baseline."
    )
    recline_scale: float = Field(
        default=0.75, gt=0, lt=1,
        description="Likewise farther from the camera: shoulders this share of the size "
        "reference or narrower for `dwell` seconds, posture at its baseline: the reference "
        "moves there. The camera does not report reclined (leaning back looks like moving "
        "the chair back); the cushion's backrest does."
    )
    hysteresis: float = Field(
        default=0.05, ge=0, lt=0.5,
        description="Margin a ratio must cross back before a reported posture "
        "is left (on top of `dwell`), so a borderline posture does not flicker."
    )

    @field_validator("device", mode="before")
    @classmethod
    def _device(cls, v: object) -> object:
        if isinstance(v, str) and v.strip().isdigit():
            return int(v.strip())
        if isinstance(v, bool):
            raise ValueError("device: a camera index, a path, or \"\" for none")
        return v

    @field_validator("device")
    @classmethod
    def _index(cls, v: int | str) -> int | str:
        if isinstance(v, int) and v < 0:
            raise ValueError("a camera index is 0 or more")
        return v

    @model_validator(mode="after")
    def _order(self) -> CameraConfig:
        if self.reconnect_max < self.reconnect_min:
            raise ValueError("reconnect_max must be >= reconnect_min")
        if self.fast_interval > self.slow_interval:
            raise ValueError("fast_interval must be <= slow_interval")
        if self.absent_interval < self.slow_interval:
            raise ValueError("absent_interval must be >= slow_interval")
        return self

    # -- helpers -------------------------------------------------------------------------
    @property
    def enabled(self) -> bool:
        return self.device != ""

    def device_kind(self) -> Literal["none", "index", "v4l", "video", "folder"]:
        """What ``device`` names: nothing, a camera index, a device node, a file or a folder."""
        d = self.device
        if d == "":
            return "none"
        if isinstance(d, int):
            return "index"
        p = Path(d).expanduser()
        if str(d).startswith("/dev/"):
            return "v4l"
        if p.is_dir():
            return "folder"
        return "video"

    def model_path(self) -> Path:
        """The pose model file: ``model`` or the default in the data dir."""
        if self.model:
            return Path(self.model).expanduser()
        from sitwatch.core import paths

        return paths.data_dir() / f"pose_landmarker_{self.variant}.task"

    def calibration_path(self) -> Path:
        if self.calibration:
            return Path(self.calibration).expanduser()
        from sitwatch.core import paths

        return paths.data_dir() / "camera_calibration.json"
