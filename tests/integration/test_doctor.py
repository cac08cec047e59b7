"""``sitwatch doctor`` against real parts: config and layout files on disk, pseudo-terminals
standing in for the cushion, a real SQLite history, a real status file, and (when installed)
a real dunst on a private D-Bus session under Xvfb.

Every test runs with its own XDG directories under ``tmp_path`` and with
``DBUS_SESSION_BUS_ADDRESS`` pointing nowhere unless it starts a bus itself. The cushion checks
listen for ``LISTEN`` real seconds (doctor's own listen window, shortened through
``run_checks(..., listen=...)`` / ``check_cushion``); nothing sleeps to wait out a timer.
Do-not-disturb is switched off in these configs: its probes are tested in tests/sinks.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import shutil
import sqlite3
import sys
import threading
import tty
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import serial

from sitwatch import config
from sitwatch.camera.pose import MISSING_PACKAGE, missing_model_message
from sitwatch.cli.doctor import (
    FAIL,
    MARK,
    OK,
    WARN,
    check_calibration,
    check_camera,
    check_channels,
    check_cushion,
    check_daemon,
    check_history,
    check_notifications,
    layout_detail,
    run_checks,
    seat_only_limits,
)
from sitwatch.cli.main import main
from sitwatch.core.clock import SystemClock
from sitwatch.history.store import SCHEMA_VERSION, Store
from sitwatch.sensing import calibration, layout
from sitwatch.sinks.desktop import NO_BUS_MESSAGE

try:
    from tests.helpers.notify_server import NotificationServer, missing_programs
except ImportError:  # pytest started without the repository root on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.helpers.notify_server import NotificationServer, missing_programs

pytestmark = pytest.mark.integration

LISTEN = 0.4  # real seconds doctor listens to a pty
SEATED = b"20000,21000,9000,9500\n"  # one valid load-cells-4 frame (docs/protocol.md)
NO_BUS = "unix:path=/nonexistent"
ORDER = ["config", "layout", "calibration", "cushion", "notifications", "history", "daemon",
         "autostart", "clock", "camera"]
LEVEL = {mark: level for level, mark in MARK.items()}
LINE = re.compile(r"^(ok  |warn|FAIL)  (\S+)\s+(.*)$")
PACKAGES = "xvfb dbus dunst libnotify-bin libglib2.0-bin"
SEAT = '[[channels]]\nsurface="seat"\nx=-0.5\ny=0\n[[channels]]\nsurface="seat"\nx=0.5\ny=0\n'


# -- isolation and helpers --------------------------------------------------------------------

@pytest.fixture(autouse=True)
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Private config/data/state/runtime dirs and no session bus, display or systemd dirs."""
    root = tmp_path / "xdg"
    for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"),
                     ("XDG_STATE_HOME", "state"), ("XDG_RUNTIME_DIR", "run")):
        (root / sub).mkdir(parents=True)
        monkeypatch.setenv(var, str(root / sub))
    for var in ("STATE_DIRECTORY", "CONFIGURATION_DIRECTORY", "RUNTIME_DIRECTORY",
                "NOTIFY_SOCKET", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", NO_BUS)
    monkeypatch.setenv("SITWATCH_SYSTEM_ROOT", str(root / "system"))
    return root


def write_config(tmp_path: Path, body: str) -> Path:
    f = tmp_path / "sitwatch.toml"
    f.write_text(body + "\n[nudges.dnd]\nenabled = false\n")
    return f


def load_cfg(**keys: Any) -> config.Config:
    """Defaults plus dotted keys (``cushion__port=...``), do-not-disturb off."""
    ov = {"nudges.dnd.enabled": False, **{k.replace("__", "."): v for k, v in keys.items()}}
    return config.load(use_user_file=False, overrides=ov)


def doctor(capsys: pytest.CaptureFixture[str], *args: str
           ) -> tuple[int, list[tuple[str, str, str]], str, str]:
    """``sitwatch doctor --no-user-config ARGS``: exit code, parsed check lines, stdout, stderr."""
    rc = main(["doctor", "--no-user-config", *args])
    cap = capsys.readouterr()
    checks = []
    for line in cap.out.splitlines():
        m = LINE.match(line)
        if m:
            checks.append((LEVEL[m.group(1)], m.group(2), m.group(3)))
    return rc, checks, cap.out, cap.err


def only(checks: list[tuple[str, str, str]], what: str) -> tuple[str, str]:
    found = [(level, detail) for level, name, detail in checks if name == what]
    assert len(found) == 1, (what, checks)
    return found[0]


class FakeCushion:
    """A pty: sitwatch opens ``path``; a background thread writes lines into the master end."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)  # no echo, no newline translation before sitwatch opens it
        os.set_blocking(self.master, False)  # a full buffer must never hang the writer
        self.path = os.ttyname(self.slave)
        self.written = 0

    @contextlib.contextmanager
    def streaming(self, *lines: bytes, hz: float = 100.0) -> Iterator[FakeCushion]:
        stop = threading.Event()

        def run() -> None:
            i = 0
            while lines and not stop.is_set():
                with contextlib.suppress(BlockingIOError):
                    os.write(self.master, lines[i % len(lines)])
                    self.written += 1
                    i += 1
                stop.wait(1 / hz)

        t = threading.Thread(target=run, name="fake-cushion", daemon=True)
        t.start()
        try:
            yield self
        finally:
            stop.set()
            t.join(5)
            assert not t.is_alive()

    def close(self) -> None:
        os.close(self.master)
        os.close(self.slave)


@pytest.fixture
def cushion() -> Iterator[FakeCushion]:
    c = FakeCushion()
    try:
        yield c
    finally:
        c.close()


L4 = layout.load("load-cells-4")


# -- 1. a missing serial device ----------------------------------------------------------------

@pytest.mark.parametrize("via", ["config", "--port"])
def test_missing_serial_device_fails_the_cushion_and_the_other_checks_still_run(
        tmp_path, xdg, capsys, via):
    missing = tmp_path / "dev" / "ttyACM7"
    port_key = f'port = "{missing}"\n' if via == "config" else 'port = ""\n'
    cfg = write_config(tmp_path, f'[cushion]\n{port_key}layout = "load-cells-4"\n')
    extra = ["--port", str(missing)] if via == "--port" else []

    rc, checks, _out, err = doctor(capsys, "--config", str(cfg), *extra)

    assert rc == 1
    assert [name for _, name, _ in checks] == ORDER  # every check ran and printed its line
    level, detail = only(checks, "cushion")
    assert level == FAIL
    assert detail.startswith(f"{missing} does not exist: is the cushion plugged in?")
    assert [name for lvl, name, _ in checks if lvl == FAIL] == ["cushion"]  # the only problem
    assert only(checks, "layout")[1].startswith("load-cells-4: 4 channels")
    history = xdg / "data" / "sitwatch" / "history.sqlite"
    assert only(checks, "history") == (OK, f"{history} will be created on the first run")
    assert not history.exists()  # doctor only looks
    level, detail = only(checks, "notifications")
    assert level == WARN and "/nonexistent, which does not exist" in detail
    assert "1 problem(s)" in err


# -- 2. a real pty: valid frames, garbage and other trouble ------------------------------------

def test_pty_streaming_valid_frames_is_ok_with_count_and_rate(cushion):
    cfg = load_cfg(cushion__port=cushion.path, cushion__layout="load-cells-4")
    with cushion.streaming(SEATED, hz=100):
        checks = run_checks(cfg, L4, SystemClock(), listen=LISTEN)
    level, what, detail = next(c for c in checks if c[1] == "cushion")
    assert (level, what) == (OK, "cushion"), detail
    m = re.fullmatch(rf"{re.escape(cushion.path)}: (\d+) frames in {LISTEN:g} s "
                     r"\(~(\d+)/s\), 0 dropped, layout load-cells-4", detail)
    assert m, detail
    frames, rate = int(m.group(1)), int(m.group(2))
    assert 2 <= frames <= cushion.written  # never more frames than were sent
    assert rate == round(frames / LISTEN)


@pytest.mark.parametrize(("lines", "why"), [
    ((b"?! line noise !?\n",), "lines are not numbers (e.g. '?! line noise !?'): wrong baud rate?"),
    ((b"1,2,3\n",), "wrong layout: got 3 values, layout has 4"),
    ((b"70000,21000,9000,9500\n",), "values above the layout's full scale (65535)"),
    ((b"20000,21000,9000,9500",), "data arrives but no complete line"),  # no line ending
    ((), "no data at all from the device: is it powered and sending? right port?"),
], ids=["garbage", "wrong-count", "above-full-scale", "no-newline", "silent"])
def test_pty_without_a_valid_frame_fails_and_says_what_it_saw(cushion, lines, why):
    cfg = load_cfg(cushion__port=cushion.path, cushion__layout="load-cells-4")
    with cushion.streaming(*lines, hz=100):
        level, what, detail = check_cushion(cfg, L4, SystemClock(), listen=LISTEN)
    assert (level, what) == (FAIL, "cushion")
    assert detail.startswith(f"{cushion.path}: no valid frame in {LISTEN:g} s: "), detail
    assert why in detail


def test_a_ten_bit_matrix_on_grid_rxc_is_told_where_full_scale_goes(cushion, capsys):
    """A maker's 10x15 matrix sends analogRead values (0..1023) while the config says
    ``grid:10x15``, which allows 255 and is not a file: doctor's advice must name a layout file
    and the page that shows one, not "the layout" the user cannot edit."""
    line = (",".join(["1023"] * 140 + ["400"] * 10) + "\r\n").encode()
    with cushion.streaming(line, hz=20):
        rc, checks, _, _ = doctor(capsys, "--port", cushion.path, "--layout", "grid:10x15",
                                  "--listen", "1", "--headless")
    level, detail = only(checks, "cushion")
    assert rc == 1 and level == FAIL, detail
    assert detail.endswith("no valid frame in 1 s: values above the layout's full scale (255): "
                           "set full_scale in a layout file (`sitwatch docs protocol`, \"A matrix "
                           "of your own: a layout file\")"), detail


def test_non_ascii_garbage_is_shown_once_quoted(cushion):
    cfg = load_cfg(cushion__port=cushion.path, cushion__layout="load-cells-4")
    with cushion.streaming(b"\xff\xfe\x80\x81\n", hz=100):
        level, _, detail = check_cushion(cfg, L4, SystemClock(), listen=LISTEN)
    assert level == FAIL and "lines are not numbers" in detail
    assert r"(e.g. b'\xff\xfe\x80\x81')" in detail, detail


def test_pty_with_some_garbage_among_valid_frames_is_a_warning(cushion):
    cfg = load_cfg(cushion__port=cushion.path, cushion__layout="load-cells-4")
    with cushion.streaming(SEATED, b"?! noise\n", hz=100):
        level, _, detail = check_cushion(cfg, L4, SystemClock(), listen=LISTEN)
    assert level == WARN, detail
    m = re.search(r": (\d+) frames in .*, (\d+) dropped, layout load-cells-4$", detail)
    assert m, detail
    assert int(m.group(1)) >= 1 and int(m.group(2)) >= 1


def test_port_held_by_another_program_is_reported_as_in_use(cushion):
    """What doctor says while e.g. a running daemon holds the port (exclusive open)."""
    held = serial.serial_for_url(cushion.path, exclusive=True)
    try:
        cfg = load_cfg(cushion__port=cushion.path, cushion__layout="load-cells-4")
        level, _, detail = check_cushion(cfg, L4, SystemClock(), listen=LISTEN)
    finally:
        held.close()
    assert level == FAIL
    assert f"{cushion.path}: in use by another program" in detail


def test_a_path_that_is_not_a_serial_device_fails_naming_it(tmp_path):
    plain = tmp_path / "not-a-tty"
    plain.write_bytes(SEATED * 10)
    cfg = load_cfg(cushion__port=str(plain), cushion__layout="load-cells-4")
    level, _, detail = check_cushion(cfg, L4, SystemClock(), listen=LISTEN)
    assert level == FAIL
    assert detail.startswith(f"{plain}: is a regular file, not a serial device")
    cfg = load_cfg(cushion__port="/dev/null", cushion__layout="load-cells-4")
    level, _, detail = check_cushion(cfg, L4, SystemClock(), listen=LISTEN)
    assert level == FAIL
    assert "/dev/null: not a serial device" in detail and "Inappropriate ioctl" not in detail


# -- 3. the layout line ------------------------------------------------------------------------

def test_layout_line_for_load_cells_says_what_cannot_be_seen(tmp_path, capsys):
    cfg = write_config(tmp_path, '[cushion]\nport = ""\n')
    rc, checks, _, _ = doctor(capsys, "--config", str(cfg), "--layout", "load-cells-4")
    assert rc == 0  # warnings only: no port, no calibration, no daemon, no autostart
    level, detail = only(checks, "layout")
    assert level == OK
    assert detail.startswith("load-cells-4: 4 channels, 4 seat + 0 backrest")
    assert "no backrest sensors" in detail
    assert "reclining and leaning forward onto the thighs do not" in detail
    assert detail.endswith("(the camera can add them)")
    assert "the layout sets" not in detail
    # with a camera configured, doctor no longer suggests adding one
    with_cam = load_cfg(camera__device=str(tmp_path / "clip.mp4"))
    assert "camera can add" not in layout_detail(with_cam, L4)
    assert "no backrest sensors" in layout_detail(with_cam, L4)


def test_seat_only_layouts_say_what_the_seat_cannot_tell_apart(tmp_path, capsys):
    """Issue #10: without backrest sensors doctor says plainly that a perch and a deep slump
    look the same (both read leaning forward, never a slump), and whether this device can see
    half lying: the 3x3 FSR cushion has a sensor on the middle of the seat's rear, four corner
    load cells do not."""
    cfg = write_config(tmp_path, '[cushion]\nport = ""\n')
    said = {}
    for name in ("fsr-cushion-9", "load-cells-4", "grid:15x10"):
        rc, checks, _, _ = doctor(capsys, "--config", str(cfg), "--layout", name)
        assert rc == 0
        level, said[name] = only(checks, "layout")
        assert level == OK
    for detail in said.values():
        assert "no backrest sensors" in detail
        assert ("perching on the front edge and a deep slump against the backrest look the same "
                "from below, so both read leaning forward and get the sit-back nudge, never the "
                "slump one") in detail
    assert "half lying (hips slid forward, back leaning back) shows" in said["fsr-cushion-9"]
    assert "half lying (hips slid forward, back leaning back) shows" in said["grid:15x10"]
    # four load cells under a plate: a slump is the plate's forward move; a crossed leg is unseen
    assert "a slump shows as the plate's centre moving forward" in said["load-cells-4"]
    assert "crossing a leg (one thigh lifted) does not show" in said["load-cells-4"]
    # a chair with a backrest says none of it
    _, checks, _, _ = doctor(capsys, "--config", str(cfg), "--layout", "smartchair-12")
    assert "perching" not in only(checks, "layout")[1]


def test_layout_line_for_the_wheelchair_lists_its_detection_defaults(tmp_path, capsys):
    cfg = write_config(tmp_path, '[cushion]\nport = ""\nlayout = "ethz-wheelchair-24"\n')
    rc, checks, _, _ = doctor(capsys, "--config", str(cfg))
    assert rc == 0
    level, detail = only(checks, "layout")
    assert level == OK
    assert detail.startswith("ethz-wheelchair-24: 24 channels, 12 seat + 12 backrest")
    assert "detect.balance.threshold = 0.1" in detail
    assert ("the layout sets detect.balance.threshold = 0.1, detect.balance.release = 0.06, "
            "detect.balance.dwell = 0.0") in detail
    assert "no backrest sensors" not in detail


# -- 4. and 5. configs doctor cannot use -------------------------------------------------------

@pytest.mark.parametrize(("body", "says"), [
    ('[cushion]\nlayoutt = "load-cells-4"\n', ["cushion.layoutt: unknown key",
                                              "allowed here: baud, layout"]),
    ("[nudges]\ntimeout = -1\n", ["nudges.timeout: Input should be greater than 0", "(got -1)"]),
    ("[cushion\nport = 1\n", ["not valid TOML"]),
], ids=["unknown-key", "bad-value", "not-toml"])
def test_broken_config_is_a_config_failure_with_exit_2(tmp_path, capsys, body, says):
    f = tmp_path / "broken.toml"
    f.write_text(body)
    rc, checks, out, _ = doctor(capsys, "--config", str(f))
    assert rc == 2
    assert out.startswith("FAIL  config ")
    assert [(lvl, name) for lvl, name, _ in checks] == [(FAIL, "config")]
    assert f"{f}: " in out
    for text in says:
        assert text in out


def test_missing_config_file_is_a_config_failure(tmp_path, capsys):
    rc, checks, _, _ = doctor(capsys, "--config", str(tmp_path / "nope.toml"))
    assert rc == 2
    assert checks == [(FAIL, "config", f"{tmp_path / 'nope.toml'}: file not found")]


def test_layout_defaults_clashing_with_the_users_config_exit_2(tmp_path, capsys):
    lay = tmp_path / "chair.toml"
    lay.write_text('name = "chair"\n[detect.balance]\nthreshold = 0.12\n' + SEAT)
    cfg = write_config(tmp_path, f'[cushion]\nport = ""\nlayout = "{lay}"\n'
                                 "[detect.balance]\nrelease = 0.2\n")
    rc, checks, out, _ = doctor(capsys, "--config", str(cfg))
    assert rc == 2
    assert [(lvl, name) for lvl, name, _ in checks] == [(FAIL, "config")]
    assert "your config: detect.balance: release must be smaller than threshold" in out
    assert f"the layout ({lay}) sets detect.balance.threshold = 0.12" in out


def test_layout_defaults_are_checked_against_the_defaults_too(tmp_path, capsys):
    """threshold = 0.12 alone clashes with the default release (0.15) even when the user set
    nothing; doctor then blames the layout file. With its own release the layout is fine."""
    lay = tmp_path / "chair.toml"
    lay.write_text('name = "chair"\n[detect.balance]\nthreshold = 0.12\n' + SEAT)
    cfg = write_config(tmp_path, f'[cushion]\nport = ""\nlayout = "{lay}"\n')
    rc, checks, out, _ = doctor(capsys, "--config", str(cfg))
    assert rc == 2
    assert checks[0][:2] == (FAIL, "config")
    assert f"{lay} [detect]: detect.balance: release must be smaller than threshold" in out
    lay.write_text('name = "chair"\n[detect.balance]\nthreshold = 0.12\nrelease = 0.05\n' + SEAT)
    rc, checks, _, _ = doctor(capsys, "--config", str(cfg))
    assert rc == 0
    assert only(checks, "layout")[1] == (
        "chair: 2 channels, 2 seat + 0 backrest; " + seat_only_limits(layout.load(lay))
        + " (the camera can "
        "add them); the layout sets detect.balance.threshold = 0.12, "
        "detect.balance.release = 0.05")


def test_missing_layout_file_is_a_layout_failure(tmp_path, capsys):
    cfg = write_config(tmp_path, '[cushion]\nport = ""\n')
    gone = tmp_path / "gone.toml"
    rc, checks, _, _ = doctor(capsys, "--config", str(cfg), "--layout", str(gone))
    assert rc == 2
    assert checks == [(FAIL, "layout", f"layout file {gone} does not exist")]


# -- 6. the camera -----------------------------------------------------------------------------

@pytest.mark.parametrize(("port", "level"), [("", FAIL), ("/dev/ttyACM0", WARN)],
                         ids=["camera-only", "with-cushion"])
def test_camera_with_a_missing_pose_model_names_the_model_path(tmp_path, port, level):
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\0" * 64)
    model = tmp_path / "models" / "pose_landmarker_full.task"
    cfg = load_cfg(cushion__port=port, camera__device=str(clip), camera__model=str(model))
    lines = check_camera(cfg)
    assert {what for _, what, _ in lines} == {"camera"}
    model_lines = [(lvl, d) for lvl, _, d in lines if str(model) in d]
    assert model_lines == [(level, missing_model_message(model))]
    assert "sitwatch model fetch" in model_lines[0][1]
    assert (OK, "camera", f"{clip} (video)") in lines  # the device itself is there
    # the check itself needs neither OpenCV nor MediaPipe; it says whether MediaPipe is there
    if importlib.util.find_spec("mediapipe") is not None:
        assert (OK, "camera", "MediaPipe installed") in lines
    else:
        assert (level, "camera", MISSING_PACKAGE) in lines


def test_camera_model_that_is_not_a_task_bundle(tmp_path):
    model = tmp_path / "pose.task"
    model.write_text("not a zip")
    cfg = load_cfg(cushion__port="", camera__device=str(tmp_path), camera__model=str(model))
    lines = check_camera(cfg)
    assert (FAIL, "camera", f"{model}: not a MediaPipe .task bundle (expected a zip archive)") \
        in lines
    assert (OK, "camera", f"{tmp_path} (folder)") in lines


def test_doctor_camera_flag_names_the_default_model_path(tmp_path, xdg, capsys):
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\0" * 64)
    cfg = write_config(tmp_path, '[cushion]\nport = ""\n')
    rc, checks, _, _ = doctor(capsys, "--config", str(cfg), "--camera", str(clip))
    assert rc == 1
    default = xdg / "data" / "sitwatch" / "pose_landmarker_full.task"
    cams = [(lvl, d) for lvl, name, d in checks if name == "camera"]
    assert (FAIL, missing_model_message(default)) in cams
    assert (OK, f"{clip} (video)") in cams
    # camera-only: no layout line (it was the default cushion's, suggesting a camera)
    assert "layout" not in {name for _, name, _ in checks}


def test_camera_only_doctor_leaves_the_cushion_it_does_not_use_alone(tmp_path, xdg, capsys):
    """A new user with a webcam and no cushion (`[camera] device = 0`, no cushion.port) was
    warned about the cushion's calibration ("no profile at .../calibration-load-cells-4.json;
    sitwatch will learn one during your first minutes of sitting"), told "no port configured
    (cushion.port); try `sitwatch demo` without hardware" and shown the default cushion
    layout's limits: three lines about hardware they do not have. Now one line says the
    cushion is not used; the camera's own lines say what the camera needs."""
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\0" * 64)
    cfg = write_config(tmp_path, f'[camera]\ndevice = "{clip}"\n')
    rc, checks, out, _ = doctor(capsys, "--config", str(cfg))
    assert only(checks, "cushion") == (OK, "not used (cushion.port is empty): the camera "
                                           "watches alone")
    names = [name for _, name, _ in checks]
    assert "layout" not in names and "calibration" not in names
    assert "load-cells-4" not in out and "sitwatch demo" not in out
    assert (OK, "camera", f"{clip} (video)") in checks
    assert any(name == "camera" and "calibration" in d for _, name, d in checks)
    # a cushion beside the camera is still checked as before
    both = write_config(tmp_path, f'[camera]\ndevice = "{clip}"\n[cushion]\n'
                        f'port = "{tmp_path / "no-such-tty"}"\n')
    _, checks, _, _ = doctor(capsys, "--config", str(both))
    assert only(checks, "cushion")[0] == FAIL
    assert {"layout", "calibration"} <= {name for _, name, _ in checks}


# -- 7. notifications --------------------------------------------------------------------------

def test_notifications_without_a_session_bus_warn():
    level, what, detail = check_notifications(load_cfg())
    assert (level, what) == (WARN, "notifications")
    assert detail == (f"{NO_BUS_MESSAGE} (DBUS_SESSION_BUS_ADDRESS names /nonexistent, which does "
                      "not exist) (nudges still go to the console/journal)")
    assert detail.count("console") == 1, detail  # said once, not twice in other words


def test_notifications_switched_off_in_the_config_are_ok():
    assert check_notifications(load_cfg(nudges__desktop=False)) == (
        OK, "notifications", "desktop notifications off (console/log only)")


def _need(*exclude: str) -> None:
    missing = [p for p in missing_programs() if p not in exclude]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (Debian: apt-get install {PACKAGES})")


def test_doctor_reports_a_real_dunst_ok(tmp_path, monkeypatch, capsys):
    _need()
    with NotificationServer(tmp_path / "notify") as srv:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", srv.env["DBUS_SESSION_BUS_ADDRESS"])
        monkeypatch.setenv("DISPLAY", srv.display)
        cfg = write_config(tmp_path, '[cushion]\nport = ""\n')
        rc, checks, _, _ = doctor(capsys, "--config", str(cfg))
    assert rc == 0
    level, detail = only(checks, "notifications")
    assert level == OK, detail
    assert "session bus: DBUS_SESSION_BUS_ADDRESS" in detail
    assert "notification server: dunst" in detail
    if shutil.which("notify-send"):
        assert "backend: notify-send" in detail


def test_bus_without_a_notification_server_warns(tmp_path, monkeypatch):
    _need("dunst", "dunstctl")
    with NotificationServer(tmp_path / "bare", dunst=False) as srv:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", srv.env["DBUS_SESSION_BUS_ADDRESS"])
        level, _, detail = check_notifications(load_cfg())
    assert level == WARN
    assert "notification server: none (org.freedesktop.Notifications has no owner" in detail
    assert detail.endswith("(nudges still go to the console/journal)")


def test_channels_come_from_the_sink_table_with_dnd_last():
    """Push, MQTT (and any channel with a doctor check) from sitwatch.sinks.registry, in its
    order; the desktop is the notifications line; unconfigured channels say nothing."""
    import socket

    with socket.socket() as s:  # a port nobody listens on: refused at once
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = load_cfg(nudges__push__urls=["nonsense://what"], mqtt__enabled=True,
                   mqtt__host="127.0.0.1", mqtt__port=port, nudges__dnd__enabled=True,
                   nudges__dnd__probes=["fullscreen"])
    checks = check_channels(cfg, SystemClock())
    assert [what for _, what, _ in checks] == ["push", "mqtt", "dnd"]
    push, mqtt, dnd = checks
    assert push[0] == FAIL and "not understood by apprise" in push[2]
    assert mqtt[0] == FAIL and mqtt[2].startswith(f"mqtt: cannot connect to 127.0.0.1:{port}")
    assert dnd[0] == WARN and dnd[2].startswith("no probe works here")  # no $DISPLAY here
    assert not [t for t in threading.enumerate() if t.name == "sitwatch-dnd"]  # asked directly
    assert check_channels(load_cfg(), SystemClock()) == []


def test_a_headless_box_with_no_desktop_to_ask_is_not_warned_about_do_not_disturb():
    """A Pi under the chair has no desktop: no do-not-disturb probe working there is expected,
    and `doctor --headless` says so without a warning; on a desktop it is still a warning."""
    cfg = load_cfg(nudges__dnd__enabled=True, nudges__dnd__probes=["fullscreen"])
    (desk,) = check_channels(cfg, SystemClock())
    (box,) = check_channels(cfg, SystemClock(), headless=True)
    assert desk[0] == WARN
    assert box[0] == OK and box[2].startswith("nothing to ask on a headless box")
    assert "fullscreen (no X display" in box[2]  # what could not be asked is still shown



@pytest.mark.parametrize("program, says", [
    ("/nonexistent/on-nudge", "/nonexistent/on-nudge does not exist: fix the path"),
    ("no-such-program-sitwatch", "'no-such-program-sitwatch' is not found on PATH: install it, "
                                 "or write its full path"),
    ("~/bin/on-nudge", "no shell runs the command, so ~ is not expanded: write the full path"),
    ("bin/on-nudge", "is a relative path"),
    ("NOTEXEC", "is not executable: chmod +x"),
])
def test_doctor_fails_a_hook_program_that_cannot_run(tmp_path, capsys, program, says):
    if program == "NOTEXEC":
        program = str(tmp_path / "on-nudge")
        Path(program).write_text("#!/bin/sh\n")
    cfg = write_config(tmp_path, f'[nudges.hook]\ncommand = ["{program}", "{{kind}}"]')
    rc, checks, _, err = doctor(capsys, "--config", str(cfg), "--headless")
    level, detail = only(checks, "hook")
    assert level == FAIL and detail.startswith("[nudges.hook] command: ")
    assert says in detail, detail
    assert rc != 0 and "Traceback" not in err


def test_doctor_says_which_hook_program_runs(tmp_path, capsys):
    script = tmp_path / "on-nudge"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    for program, full in ((str(script), script), ("sh", Path(shutil.which("sh") or "sh"))):
        cfg = write_config(tmp_path, f'[nudges.hook]\ncommand = ["{program}"]\ntimeout = 3')
        _, checks, _, _ = doctor(capsys, "--config", str(cfg), "--headless")
        assert only(checks, "hook") == (OK, f"runs {full} for every nudge (killed after 3 s)")
    _, checks, _, _ = doctor(capsys, "--config", str(write_config(tmp_path, "")), "--headless")
    assert not [c for c in checks if c[1] == "hook"]  # no hook configured: nothing to say



def test_doctor_hides_the_topic_of_an_ntfy_url(tmp_path, capsys):
    pytest.importorskip("apprise", reason="needs apprise (pip install apprise)")
    cfg = write_config(tmp_path, '[nudges.push]\n'
                            'urls = ["ntfy://ntfy.sh/my-long-unguessable-topic"]')
    cfg.chmod(0o600)
    _, checks, out, err = doctor(capsys, "--config", str(cfg), "--headless")
    assert only(checks, "push") == (OK, "push: 1 service(s); ntfy://(hidden)")
    assert "unguessable" not in out + err


# -- history, daemon, calibration --------------------------------------------------------------

def test_history_that_is_not_a_database_fails(tmp_path):
    db = tmp_path / "history.sqlite"
    db.write_bytes(b"this is not sqlite" * 100)
    level, what, detail = check_history(load_cfg(history__database=str(db)))
    assert (level, what) == (FAIL, "history")
    assert detail.startswith(f"{db}: ") and "not a database" in detail


def test_history_written_by_the_store_is_ok_with_its_schema(tmp_path):
    db = tmp_path / "history.sqlite"
    Store(db, SystemClock()).close()
    level, _, detail = check_history(load_cfg(history__database=str(db)))
    assert level == OK
    assert detail.startswith(f"{db} (schema v{SCHEMA_VERSION}, ")
    with sqlite3.connect(db) as con:  # doctor opened it read-only and left it as it was
        assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_daemon_status_file_with_a_live_pid_is_running(tmp_path):
    status = tmp_path / "status.json"
    now = datetime.now(UTC).isoformat()
    status.write_text(json.dumps({"pid": os.getpid(), "updated": now}))
    cfg = load_cfg(status__file=str(status))
    assert check_daemon(cfg, SystemClock()) == (OK, "daemon", f"running (pid {os.getpid()})")
    status.write_text(json.dumps({"pid": os.getpid(), "updated": now, "stopped": True}))
    level, _, detail = check_daemon(cfg, SystemClock())
    assert level == WARN and detail.startswith("not running")


def test_a_status_file_that_stopped_updating_is_not_called_running(tmp_path):
    status = tmp_path / "status.json"
    old = datetime(2020, 1, 1, tzinfo=UTC).isoformat()
    status.write_text(json.dumps({"pid": os.getpid(), "updated": old}))
    level, _, detail = check_daemon(load_cfg(status__file=str(status)), SystemClock())
    assert level == WARN
    assert f"pid {os.getpid()} is alive but has not updated {status}" in detail


def checks_with_the_daemon_running(cushion, tmp_path, port=None, **status_extra):
    """Doctor's checks while a daemon (this process, by its status file with ``status_extra``)
    holds the cushion's port exclusively, as the daemon does; ``port``: the one doctor is asked
    about (default the daemon's)."""
    status = tmp_path / "status.json"
    status.write_text(json.dumps({"pid": os.getpid(), "updated": datetime.now(UTC).isoformat(),
                                  **status_extra}))
    held = serial.serial_for_url(cushion.path, exclusive=True)
    try:
        cfg = load_cfg(cushion__port=port or cushion.path, cushion__layout="load-cells-4",
                       status__file=str(status), nudges__desktop=False)
        return run_checks(cfg, L4, SystemClock(), listen=LISTEN)
    finally:
        held.close()


def test_with_the_daemon_running_doctor_leaves_its_port_alone(cushion, tmp_path):
    """The running daemon holds the port exclusively: doctor must not call that a failure."""
    checks = checks_with_the_daemon_running(cushion, tmp_path)
    level, detail = only(checks, "cushion")
    assert level == OK and "read by the running daemon" in detail, detail
    assert only(checks, "daemon")[0] == OK


def test_doctor_listens_to_a_port_the_running_daemon_does_not_read(cushion, tmp_path):
    """`sitwatch doctor --port OTHER` while the daemon reads another port said "ok ... read by
    the running daemon" about OTHER, a port nobody had read (a wrong layout on it went
    unnoticed). It listens to it instead."""
    other = FakeCushion()
    try:
        with other.streaming(b"1,2,3\n", hz=100):  # 3 values: not load-cells-4's four
            checks = checks_with_the_daemon_running(
                cushion, tmp_path, port=other.path,
                sensor={"online": True, "port": cushion.path})
    finally:
        other.close()
    level, detail = only(checks, "cushion")
    assert level == FAIL and "read by the running daemon" not in detail, detail
    assert "got 3 values" in detail or "layout" in detail, detail


def test_with_the_daemon_running_doctor_names_the_sensors_it_left_out(cushion, tmp_path):
    """A sensor the running daemon has left out (a pad that died under the sitter) is a
    warning on the cushion's line, with what to check; a saturated one, still counted, is not."""
    checks = checks_with_the_daemon_running(cushion, tmp_path, sensor={
        "online": True,
        "excluded": ["front-left (dropped to zero on its own)", "rear-right (saturated)"]})
    level, detail = only(checks, "cushion")
    assert level == WARN, detail
    assert "left out front-left (dropped to zero on its own): check" in detail, detail
    assert "rear-right" not in detail


def test_with_the_daemon_running_doctor_says_it_drops_many_lines(cushion, tmp_path):
    """A daemon that drops a good share of what its cushion sends (a loose cable, a wrong
    baud rate) was "ok, read by the running daemon": now a warning with the count."""
    checks = checks_with_the_daemon_running(cushion, tmp_path, sensor={
        "online": True, "frames": 900, "dropped": 100, "last_frame_age": 0.1})
    level, detail = only(checks, "cushion")
    assert level == WARN, detail
    assert "dropped 100 of 1000 lines" in detail, detail
    checks = checks_with_the_daemon_running(cushion, tmp_path, sensor={
        "online": True, "frames": 9990, "dropped": 10, "last_frame_age": 0.1})
    assert only(checks, "cushion")[0] == OK  # a few in ten thousand: a cushion's usual


def test_a_diagnosis_the_daemon_got_over_is_not_repeated(cushion, tmp_path):
    """The status keeps the daemon's last diagnosis after frames come back; doctor names it
    only while no frame arrives."""
    diag = "wrong layout: got 3 values, layout has 4"
    checks = checks_with_the_daemon_running(cushion, tmp_path, sensor={
        "online": True, "frames": 500, "dropped": 0, "last_frame_age": 0.1, "diagnosis": diag})
    assert only(checks, "cushion")[0] == OK
    checks = checks_with_the_daemon_running(cushion, tmp_path, sensor={
        "online": True, "frames": 500, "dropped": 0, "last_frame_age": 60, "diagnosis": diag})
    level, detail = only(checks, "cushion")
    assert level == FAIL and f"gets no frames from it: {diag}" in detail, detail


def test_layout_line_says_which_layout_defaults_your_config_overrides(tmp_path, capsys):
    cfg = write_config(tmp_path, '[cushion]\nport = ""\nlayout = "ethz-wheelchair-24"\n'
                       '[detect.balance]\nthreshold = 0.3\n')
    rc, checks, _, _ = doctor(capsys, "--config", str(cfg))
    assert rc == 0
    _, detail = only(checks, "layout")
    assert "the layout sets detect.balance.release = 0.06, detect.balance.dwell = 0.0" in detail
    assert "your config sets detect.balance.threshold = 0.3 (the layout's 0.1)" in detail


def test_calibration_for_another_layout_fails(xdg):
    """This layout's own profile with the wrong channel count is a failure that names the file."""
    prof = calibration.from_arrays(layout.load("smartchair-12"), tare=None,
                                   upright=np.ones(12), method="recording")
    path = xdg / "data" / "sitwatch" / "calibration-load-cells-4.json"
    prof.save(path)
    level, _, detail = check_calibration(load_cfg(), L4)
    assert level == FAIL
    assert f"{path}: calibration has 12 channels but layout load-cells-4 has 4" in detail
    calibration.from_arrays(L4, tare=None, upright=np.ones(4), method="recording").save(path)
    level, _, detail = check_calibration(load_cfg(), L4)
    assert level == OK and detail.startswith(f"{path} (recording, ")
    assert "learned while you sat" not in detail
    prof = calibration.load(path)
    prof.learned = calibration.Learned(upright_away=[2.0] * 4, upright_away2=[3.0] * 4)
    prof.save(path)
    level, _, detail = check_calibration(load_cfg(), L4)
    assert level == OK and ("learned while you sat: 2 ways of sitting upright clear of the "
                            "backrest") in detail
    assert "sitwatch calibrate --forget-learned" in detail


def test_an_old_single_profile_is_used_only_for_its_own_layout(xdg):
    """sitwatch 0.1 kept one calibration.json; a profile taken with another layout (the
    simulator's smartchair-12, say) must not block a run with the real cushion (issue #14 #11)."""
    legacy = xdg / "data" / "sitwatch" / "calibration.json"
    calibration.from_arrays(layout.load("smartchair-12"), tare=None, upright=np.ones(12),
                            method="auto").save(legacy)
    level, _, detail = check_calibration(load_cfg(), L4)
    assert level == WARN and "no profile at" in detail and "learn one" in detail
    calibration.from_arrays(L4, tare=None, upright=np.ones(4), method="recording").save(legacy)
    level, _, detail = check_calibration(load_cfg(), L4)
    assert level == OK and detail.startswith(f"{legacy} (recording, ")


def test_readings_far_below_full_scale_get_a_hint_about_units(cushion):
    """Load cells sending kilograms x10 against load-cells-4's full_scale of 65535: until it is
    calibrated sitwatch would take the sitter for an empty seat, so doctor says so."""
    cfg = load_cfg(cushion__port=cushion.path, cushion__layout="load-cells-4")
    with cushion.streaming(b"180,190,160,170\n", hz=100):
        level, _, detail = check_cushion(cfg, L4, SystemClock(), listen=LISTEN)
    assert level == WARN, detail
    assert "the largest reading was 190, under 3% of full_scale (65535)" in detail
    assert "give a layout file a full_scale near the largest reading" in detail


def test_listen_and_headless_flags(cushion, tmp_path, capsys):
    cfg = write_config(tmp_path, f'[cushion]\nport = "{cushion.path}"\nlayout = "load-cells-4"\n')
    with cushion.streaming(SEATED, hz=100):
        rc, checks, _, _ = doctor(capsys, "--config", str(cfg), "--listen", "0.4", "--headless")
    level, detail = only(checks, "cushion")
    assert level == OK and " in 0.4 s " in detail, detail
    assert only(checks, "notifications") == (OK, "desktop notifications off (console/log only)")
    rc, _, out, _ = doctor(capsys, "--config", str(cfg), "--listen", "0")
    # it said "between 0 and 600" while refusing 0
    assert rc == 2 and "--listen must be more than 0 and at most 600 seconds" in out
    assert "--listen 5" in out


def test_a_config_holding_secrets_that_others_can_read_is_a_warning(tmp_path, capsys):
    """Issue #15: no warning when the config holding the MQTT password was world-readable."""
    cfg = write_config(tmp_path, '[cushion]\nport = ""\n[mqtt]\nenabled = false\n'
                       'username = "me"\npassword = "hunter2"\n')
    cfg.chmod(0o644)
    rc, checks, out, _ = doctor(capsys, "--config", str(cfg), "--headless")
    level, detail = only(checks, "config")
    assert level == WARN
    assert f"{cfg} holds the MQTT password" in detail and f"chmod 600 {cfg}" in detail
    assert "hunter2" not in out  # the secret itself is never shown
    cfg.chmod(0o600)
    rc, checks, _, _ = doctor(capsys, "--config", str(cfg), "--headless")
    assert only(checks, "config")[0] == OK


def test_history_that_is_another_programs_database_fails_and_is_left_alone(tmp_path):
    """Issue #15: a foreign SQLite file at the history path is named, not taken over."""
    db = tmp_path / "history.sqlite"
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE contacts (name TEXT)")
    before = db.read_bytes()
    level, what, detail = check_history(load_cfg(history__database=str(db)))
    assert (level, what) == (FAIL, "history")
    assert "did not create" in detail and "contacts" in detail
    assert db.read_bytes() == before


def test_history_the_running_daemon_cannot_write_now_is_said_over_a_file_that_looks_fine(
        tmp_path):
    """A lock another program holds, or a disk that filled: the file itself checks out, and
    doctor said "ok" while nothing was being saved. The daemon's status says why; a file
    doctor finds broken keeps its own words."""
    db = tmp_path / "history.sqlite"
    Store(db, SystemClock()).close()
    cfg = load_cfg(history__database=str(db))
    why = f"cannot write {db}: another program holds it locked"
    assert check_history(cfg)[0] == OK
    assert check_history(cfg, why) == (
        WARN, "history", f"the running daemon cannot write it now: {why}")
    db.write_bytes(b"not a database at all, long enough to be read as one" * 20)
    assert check_history(cfg, why)[0] == FAIL


def test_history_on_a_read_only_or_nearly_full_filesystem(tmp_path):
    import subprocess

    if os.geteuid() != 0:
        pytest.skip("needs root to mount a small tmpfs")
    fs = tmp_path / "fs"
    fs.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(fs)]).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        db = fs / "history.sqlite"
        Store(db, SystemClock()).close()
        level, _, detail = check_history(load_cfg(history__database=str(db)))
        assert level == WARN and "free on" in detail and "free some space" in detail
        subprocess.run(["mount", "-o", "remount,ro", str(fs)], check=True)
        level, _, detail = check_history(load_cfg(history__database=str(db)))
        assert level == FAIL and "read-only filesystem" in detail
        assert f"mount -o remount,rw {fs}" in detail
    finally:
        subprocess.run(["umount", "-l", str(fs)], check=False)


# -- autostart -------------------------------------------------------------------------------

def test_autostart_line_follows_service_install(tmp_path, capsys):
    cfg = write_config(tmp_path, '[cushion]\nport = ""\n')
    _, checks, _, _ = doctor(capsys, "--config", str(cfg))
    level, detail = only(checks, "autostart")
    assert level == WARN and "sitwatch service install" in detail

    from sitwatch.runtime import service

    plan = service.plan_user_install([sys.executable], systemd=False)
    service.carry_out(plan, say=lambda _s: None)
    _, checks, _, _ = doctor(capsys, "--config", str(cfg))
    level, detail = only(checks, "autostart")
    assert level == OK and "autostart entry" in detail

    # the venv it pointed at was removed since: say so, this is why nothing starts at login
    plan = service.plan_user_install([str(tmp_path / "old-venv/bin/sitwatch")], systemd=False)
    service.carry_out(plan, say=lambda _s: None)
    rc, checks, _, _ = doctor(capsys, "--config", str(cfg))
    level, detail = only(checks, "autostart")
    assert level == FAIL and "old-venv/bin/sitwatch" in detail and "not there any more" in detail


def test_load_cells_tared_at_zero_hear_that_a_drifting_zero_cannot_be_followed(xdg):
    """sitwatch follows a sensor's zero on the empty seat only while every sensor reads above
    its floor there; load cells tared to 0 in firmware never do, so doctor says how to fix it
    (and, tared to an offset, that the zero is followed)."""
    path = xdg / "data" / "sitwatch" / "calibration-load-cells-4.json"
    up = np.array([20000.0, 21000, 9000, 9500])
    calibration.from_arrays(L4, tare=np.zeros(4), upright=up, method="recording").save(path)
    level, _, detail = check_calibration(load_cfg(), L4)
    assert level == OK
    assert "a zero that drifts with warmth cannot be followed" in detail
    assert "tare the cells in firmware to about 2% of full scale" in detail
    calibration.from_arrays(L4, tare=np.full(4, 1300.0), upright=up + 1300,
                            method="recording").save(path)
    level, _, detail = check_calibration(load_cfg(), L4)
    assert level == OK and "a zero that drifts is followed on the empty seat" in detail
    assert "cannot be followed" not in detail


@pytest.mark.parametrize(("configured", "daemon", "same"), [
    ("mqtt://sitwatch@Broker.lan/home/cushion", "mqtt://broker.lan:1883/home/cushion", True),
    ("MQTT://broker.lan:1883/home/cushion?status=x", "mqtt://broker.lan:1883/home/cushion",
     True),
    ("mqtt://broker.lan/home/cushion", "mqtt://broker.lan:1883/home/sofa", False),
    ("mqtt://broker.lan:1884/home/cushion", "mqtt://broker.lan:1883/home/cushion", False),
])
def test_doctor_knows_the_daemons_wireless_cushion_however_it_is_written(
        tmp_path, configured, daemon, same) -> None:
    """The daemon writes its cushion as mqtt://host:1883/topic; a config with a user name, no
    port, a query or capitals never matched as text, so doctor listened to the broker itself
    instead of reporting what the daemon receives."""
    from sitwatch.cli.doctor import _daemon_reads

    status = tmp_path / "status.json"
    status.write_text(json.dumps({"pid": os.getpid(), "updated": datetime.now(UTC).isoformat(),
                                  "sensor": {"online": True, "port": daemon}}))
    cfg = load_cfg(cushion__port=configured, status__file=str(status))
    assert _daemon_reads(cfg, SystemClock()) is same


def test_a_wireless_cushion_whose_broker_is_down_is_told_once_on_its_line(tmp_path, xdg):
    """Regression: `sitwatch doctor` with a cushion at mqtt://127.0.0.1:<closed port>/... printed
    its reason twice, as a WARNING on stderr and on the cushion's check line. Now once, on the
    line (the real command: its logging goes to the terminal's stderr)."""
    import socket
    import subprocess

    with socket.socket() as s:  # a port nobody listens on: refused at once
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"mqtt://127.0.0.1:{port}/home/office/cushion"
    cfg = write_config(tmp_path, f'[cushion]\nport = "{url}"\nlayout = "load-cells-4"\n')

    done = subprocess.run([sys.executable, "-m", "sitwatch", "doctor", "--no-user-config",
                           "--config", str(cfg)], capture_output=True, text=True, timeout=120)

    assert done.returncode == 1, done.stderr
    reason = f"cannot reach the MQTT broker at 127.0.0.1:{port}"
    assert f"FAIL  cushion        {url}: no valid frame in 3 s: {reason}" in done.stdout
    assert reason not in done.stderr, done.stderr
    assert (done.stdout + done.stderr).count(reason) == 1


def test_doctor_passes_on_the_cushion_log_its_line_does_not_say(caplog):
    from sitwatch.cli.doctor import _HeldLog

    held = _HeldLog("sitwatch.doctor.cushion")
    held.logger.warning("cushion over MQTT: %s", "cannot reach the MQTT broker at h:1")
    held.logger.warning("the device declares 13 channels, the layout has 12")
    assert not caplog.records  # held while the cushion is listened to
    held.pass_on("mqtt://h:1/t: no valid frame in 3 s: cannot reach the MQTT broker at h:1")
    assert [r.getMessage() for r in caplog.records] == [
        "the device declares 13 channels, the layout has 12"]
    assert held.logger.propagate and held not in held.logger.handlers


@pytest.mark.parametrize(("timedatectl", "flag", "line"), [
    ("echo no", False, "warn  clock          not synchronised with network time (timedatectl): "
     "the times in the history, the reports and the nudges sent over MQTT may be off, on a "
     "Raspberry Pi by hours or days. Turn it on: `sudo timedatectl set-ntp true`; "
     '`timedatectl` then says "System clock synchronized: yes"'),
    ("echo yes", False, "ok    clock          synchronised with network time (timedatectl)"),
    # no systemd as init (a container): timedatectl cannot answer; timesyncd's flag can
    ("echo 'System has not been booted with systemd' >&2; exit 1", True,
     "ok    clock          synchronised with network time (systemd-timesyncd)"),
    ("exit 1", False, "ok    clock          cannot tell whether it follows network time "
     "(timedatectl did not answer, no systemd-timesyncd)"),
])
def test_doctor_says_in_one_line_whether_the_clock_keeps_network_time(
        tmp_path, xdg, timedatectl, flag, line):
    """The real command, with a stand-in timedatectl first on PATH and systemd-timesyncd's
    flag file under the system root: a clock off network time is a warning, not a failure."""
    import subprocess

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "timedatectl").write_text(f"#!/bin/sh\n{timedatectl}\n")
    (bin_dir / "timedatectl").chmod(0o755)
    if flag:
        (xdg / "system/run/systemd/timesync").mkdir(parents=True)
        (xdg / "system/run/systemd/timesync/synchronized").touch()
    cfg = write_config(tmp_path, f'[cushion]\nport = "{tmp_path / "none"}"\n')
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}

    done = subprocess.run([sys.executable, "-m", "sitwatch", "doctor", "--no-user-config",
                           "--config", str(cfg), "--listen", "0.2"], capture_output=True,
                          text=True, timeout=120, env=env)

    clock_lines = [ln for ln in done.stdout.splitlines() if LINE.match(ln)
                   and LINE.match(ln).group(2) == "clock"]  # type: ignore[union-attr]
    assert clock_lines == [line], done.stdout
    assert "Traceback" not in done.stderr
    # the missing cushion is the only failure: the clock never is one
    assert [ln for ln in done.stdout.splitlines() if ln.startswith("FAIL")] == [
        ln for ln in done.stdout.splitlines() if ln.startswith("FAIL  cushion")]
