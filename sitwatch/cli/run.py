"""``sitwatch run``: the daemon, with its real clock, signals and systemd notifications."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sitwatch.cli.common import (
    EXIT_CONFIG,
    EXIT_FAIL,
    EXIT_OK,
    config_errors,
    err,
    load_config,
)

if TYPE_CHECKING:
    from sitwatch.runtime.single import Kept


def run(args: argparse.Namespace) -> int:
    import logging
    import signal
    import time

    from sitwatch import config
    from sitwatch.core.clock import SystemClock
    from sitwatch.core.mqtt_url import redact
    from sitwatch.runtime import sdnotify

    log = logging.getLogger("sitwatch")

    from sitwatch.runtime.assemble import NothingToWatch, build_daemon, load_profile
    from sitwatch.runtime.daemon import BATCH_SECONDS
    from sitwatch.runtime.files import (
        data_home,
        history_path,
        left_alone,
        simulated,
        status_path,
    )
    from sitwatch.sensing import calibration, layout, references

    try:
        mine = cfg = load_config(args)
        lay = layout.load(cfg.cushion.layout)
        cfg = config.for_layout(cfg, lay)  # fail here, before anything starts
        profile = load_profile(cfg, lay, getattr(args, "calibration", None), set_aside=True)
        # what the calibration's reference postures made more sensitive (a key set in the
        # config file wins); "Not right" eases from there
        cfg, tuned = references.apply(cfg, profile.tuned if profile else None, mine)
        for key, (was, now) in tuned.items():
            log.info("calibration: detect.%s %g -> %g (your reference postures)", key, was, now)
    except config.ConfigError as e:
        return config_errors(e)
    except layout.LayoutError as e:
        err(f"cushion.layout: {e}")
        return EXIT_CONFIG
    except calibration.CalibrationError as e:
        err(
            f"{e}\n  fix: run `sitwatch calibrate`, or delete the file to let sitwatch learn "
            "a new one"
        )
        return EXIT_CONFIG
    if not cfg.cushion.port and not cfg.camera.enabled:
        err(
            "nothing to watch: set cushion.port (or camera.device) in "
            "~/.config/sitwatch/sitwatch.toml, or pass --port / --camera "
            "(try `sitwatch demo` to see sitwatch without hardware)"
        )
        return EXIT_CONFIG
    unplayable = _unplayable_recording(args, cfg)
    if unplayable:
        if getattr(args, "camera", None) is not None:
            err(f"--camera {unplayable}")
            return EXIT_CONFIG
        return config_errors(config.ConfigError([f"{_config_file(args)}: camera.device: "
                                                 f"{unplayable}"]))
    missing = _missing_model(args, cfg)
    if missing:
        return config_errors(config.ConfigError([missing]))
    clock = SystemClock()
    other = _already_running(cfg, clock)
    if other:
        err(other)
        return EXIT_FAIL
    kept, other = _only_one(cfg)
    if not other and kept is not None:
        # once more now that the lock is ours: a daemon whose lock file went with its folder
        # may have written its status again meanwhile; it takes its lock back at its next
        # write (single.Kept), and this one would stop then: stop now
        other = _already_running(cfg, clock)
        if other:
            kept.close()
    if other:
        err(other)
        return EXIT_FAIL
    stop = {"now": False}
    code = EXIT_OK

    def _stop(signum: int, _frame: Any) -> None:
        stop["now"] = True

    # before the daemon is built: building it writes the status file, and a SIGTERM from then
    # on (systemctl stop, a quick logout) must stop it cleanly, not kill it
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        daemon = build_daemon(
            cfg, lay, profile, clock, headless=args.headless, json_lines=args.json,
            keep_learned=not getattr(args, "calibration", None),
            profile_file=Path(args.calibration) if getattr(args, "calibration", None) else None,
        )
    except NothingToWatch as e:
        err(str(e))
        return EXIT_FAIL
    try:
        log.info(
            "sitwatch running: %s on %s, status in %s", lay.summary(),
            redact(cfg.cushion.port), status_path(cfg),  # an mqtt:// password never
        )
        if simulated(cfg) and cfg.history.database:
            # the config names a history: it is written there, simulator or not (runtime.files)
            err(f"note: {cfg.cushion.port} is sitwatch's simulator: the calibration learned "
                f"while watching it is kept apart in {data_home(cfg)}, and your own"
                + (f", {named}," if (named := left_alone(cfg)) else "") + " is left alone; "
                f"the simulated sitting goes into history.database ({history_path(cfg)}), as "
                "your config names it")
        elif simulated(cfg):
            err(f"note: {cfg.cushion.port} is sitwatch's simulator: the calibration and history "
                f"learned while watching it are kept apart in {data_home(cfg)} (see them with "
                f"`sitwatch report --history {history_path(cfg)}`), and your own"
                + (f", {named}," if (named := left_alone(cfg)) else "") + " are left alone")
        sdnotify.ready()
        watching = [f"{redact(cfg.cushion.port)} ({lay.name})"] if daemon.source is not None else []
        if daemon.camera is not None:
            watching.append(f"camera {cfg.camera.device}")
        sdnotify.status("watching " + (" and ".join(watching) or "nothing (camera unusable)"))
        if sys.stderr.isatty():  # a terminal; a service's stderr is its journal: no Ctrl-C there
            err(f"running, watching {' and '.join(watching) or 'nothing'}; `sitwatch status` "
                "shows what it sees. Ctrl-C stops it.")
        wd = sdnotify.watchdog_interval()
        next_wd = clock.monotonic()
        seen = 0
        if kept is not None and daemon.status is not None:
            daemon.status.may_write = kept.keeps  # the lock is looked after at each write
        while not stop["now"]:
            daemon.step(0.5)
            if kept is not None and kept.winner:
                err(_taken_over_words(kept.winner, kept.path, status_path(cfg)))
                code = EXIT_FAIL
                break
            # Let a few frames gather before the next read: 5 wake-ups a second instead of one
            # per frame keeps the daemon near idle on a Pi, and 0.2 s is nothing for posture.
            # A fast matrix would overflow the 4 KiB tty buffer meanwhile, so not for those.
            total = int(getattr(daemon.source, "bytes", 0))
            got, seen = total - seen, total
            if got < 1024:
                time.sleep(BATCH_SECONDS)
            if wd and clock.monotonic() >= next_wd:
                sdnotify.watchdog()
                next_wd = clock.monotonic() + wd
    finally:
        sdnotify.stopping()
        daemon.close()
        if kept is not None:
            kept.close()
    return code


def _missing_model(args: argparse.Namespace, cfg: Any) -> str:
    """The config mistake, file and key, when the camera alone is to watch and the pose model
    ``camera.model`` names is not there (a typo, a file moved); empty otherwise.

    Without it the daemon said only "camera disabled" and "nothing to watch" (exit 1). An empty
    ``camera.model`` (the data dir's model, not fetched yet) is no mistake in the file: the
    camera's own message says how to get it. With a cushion too the daemon starts and the
    camera's warning says the same, as for any camera that cannot be used."""
    cam = cfg.camera
    if not cam.enabled or cfg.cushion.port or not cam.model or cam.model_path().exists():
        return ""
    return (f"{_config_file(args)}: camera.model: {cam.model_path()} does not exist: correct "
            "the path, or `sitwatch model fetch` saves the official model there")


def _unplayable_recording(args: argparse.Namespace, cfg: Any) -> str:
    """What is wrong with a recording given as the camera (a path that is not there, a landmark
    file), beginning with the path; empty when the device is a webcam, a video or a folder.

    The daemon retries a camera that does not open, as a webcam may be plugged in later; a file
    that is not there or is no video never starts to work, so it is said once, before the
    daemon starts (it used to wait for ever, "sensor: offline")."""
    from pathlib import Path

    from sitwatch.camera.landmarks import is_landmark_file

    if cfg.camera.device_kind() != "video":
        return ""
    path = Path(str(cfg.camera.device)).expanduser()
    if not path.exists():
        return (f"{path}: no such video file or image folder (a webcam is 0, 1, ... or "
                "/dev/videoN)")
    if is_landmark_file(path):
        return (f"{path}: a landmark file, not a video: `sitwatch replay {path}` runs it "
                "through the detectors")
    return ""


def _config_file(args: argparse.Namespace) -> str:
    """The config file the settings came from (--config, else the user's file)."""
    from sitwatch import config

    given = getattr(args, "config", None)
    return str(given) if given else str(config.user_config_path())


def _already_running(cfg: Any, clock: Any) -> str:
    """What to say when another daemon already runs with this config's files (its status file
    names a live process that keeps it up to date); empty when none does. Two would share the
    status file, the history and the nudges, and fight over the cushion's port."""
    import os

    from sitwatch.runtime.files import status_path, status_stale_after
    from sitwatch.runtime.status import read_status

    path = status_path(cfg)
    d = read_status(path, clock, stale_after=status_stale_after(cfg))
    if not d.get("running") or d.get("stale") or d.get("pid") == os.getpid():
        return ""
    return _running_words(d.get("pid"), path)


def _running_words(pid: object, status: Path) -> str:
    return (f"sitwatch is already running (pid {pid}, status in {status}): stop it "
            "first (`systemctl --user stop sitwatch`, or Ctrl-C where it runs); "
            "`sitwatch status` shows what it is doing")


def _taken_over_words(pid: str, lock: Path, status: Path) -> str:
    return (f"sitwatch is already running (pid {pid}, status in {status}): this one started "
            f"while {lock.parent} was removed, so it did not see it at first, and stops now")


def _only_one(cfg: Any) -> tuple[Kept | None, str]:
    """Hold the lock beside the status file for as long as this daemon runs: (it, "")
    or (None, what to say) when another daemon with the same status file holds it (one started
    at the same moment, before either wrote a status). A lock that cannot be made (a read-only
    folder) is said and not waited for: watching matters more."""
    import logging
    import time

    from sitwatch.runtime.files import status_path
    from sitwatch.runtime.single import Kept, hold

    status = status_path(cfg)
    path = status.with_name(status.name + ".lock")
    since = time.time()
    try:
        fh, pid = hold(path, since)
    except OSError as e:
        logging.getLogger("sitwatch").warning(
            "cannot make sure sitwatch runs only once (%s: %s)", path, e.strerror or e)
        return None, ""
    if fh is None:
        return None, _running_words(pid, status)
    return Kept(path, fh, since), ""
