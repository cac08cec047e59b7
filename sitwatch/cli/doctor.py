"""``sitwatch doctor``: check every part sitwatch depends on and say what to do about each.

A check returns (level, what, detail): ``ok``, ``warn`` (sitwatch works, with less) or ``fail``
(that part does not work). The daemon itself keeps going without any single optional part;
doctor is where the user finds out which ones are missing.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sitwatch.cli.common import load_config

OK, WARN, FAIL = "ok", "warn", "fail"
MARK = {OK: "ok  ", WARN: "warn", FAIL: "FAIL"}

Check = tuple[str, str, str]
SMALL_SHARE = 0.03  # readings all below this share of full_scale: units or full_scale mismatch


class _HeldLog(logging.Handler):
    """The log of a source doctor listens to, held back until its check line is written: a
    record that line already says (a wireless cushion's "cannot reach the MQTT broker") is
    dropped, so the reason is told once, on the line; any other goes out as it would have."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []
        self.logger = logging.getLogger(name)
        self.logger.propagate = False  # its level still comes from sitwatch's (-v)
        self.logger.addHandler(self)

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def pass_on(self, line: str) -> None:
        """Let out what ``line`` does not say (a record's text, or its part after the source's
        own prefix such as "cushion over MQTT: ")."""
        self.logger.removeHandler(self)
        self.logger.propagate = True
        for rec in self.records:
            text = rec.getMessage()
            said = text.partition(": ")[2]
            if text in line or (said and said in line):
                continue
            self.logger.handle(rec)
        self.records.clear()


def check_cushion(
    cfg: Any,
    layout: Any,
    clock: Any,
    listen: float = 3.0,
    sleep: Callable[[float], object] | None = None,
) -> Check:
    import time

    from sitwatch.core.mqtt_url import redact
    from sitwatch.core.mqtt_version import helper_client_id
    from sitwatch.sources.cushion import open_cushion
    from sitwatch.sources.serial import not_a_device

    port = cfg.cushion.port
    if not port:
        return (
            WARN,
            "cushion",
            "no port configured (cushion.port); try `sitwatch demo` without hardware",
        )
    if "://" not in port and not Path(port).exists():
        return (
            FAIL,
            "cushion",
            f"{port} does not exist: is the cushion plugged in? "
            "(ls /dev/serial/by-id/ lists USB serial devices)",
        )
    if "://" not in port and not os.access(port, os.R_OK | os.W_OK):
        return (
            FAIL,
            "cushion",
            f"no permission to open {port}: add yourself to the dialout group "
            "(sudo usermod -aG dialout $USER) and log in again",
        )
    hopeless = not_a_device(port)
    if hopeless:
        return FAIL, "cushion", hopeless
    held = _HeldLog("sitwatch.doctor.cushion")
    try:
        src = open_cushion(cfg.cushion, layout, clock, broker=cfg.mqtt,
                           client_id=helper_client_id("doctor"), sink_runs=cfg.mqtt.enabled,
                           sleep=sleep or time.sleep, log=held.logger)
        check = _listen(src, redact(port), layout, clock, listen)
    except BaseException:
        held.pass_on("")
        raise
    held.pass_on(check[2])
    return check


def _listen(src: Any, port: str, layout: Any, clock: Any, listen: float) -> Check:
    """The cushion check from ``listen`` seconds of ``src`` (``port``: as it may be printed)."""
    from sitwatch.sources.base import Diagnosis, Reading, Status

    frames, offline, diag = 0, "", ""
    peak = 0.0
    start = clock.monotonic()
    try:
        while clock.monotonic() - start < listen:
            for item in src.poll(0.2):
                if isinstance(item, Reading):
                    frames += 1
                    peak = max(peak, float(item.values.max()))
                elif isinstance(item, Status) and not item.online:
                    offline = item.reason
                elif isinstance(item, Diagnosis):
                    diag = item.message
        stats = src.stats()
    finally:
        src.close()
    if frames == 0:
        diagnose = getattr(src, "diagnose", None)
        why = offline or diag or (diagnose() if diagnose else "")
        return FAIL, "cushion", f"{port}: no valid frame in {listen:g} s: {why}"
    rate = frames / listen
    dropped = stats.get("dropped_total", 0)
    level = WARN if dropped else OK
    detail = (
        f"{port}: {frames} frames in {listen:g} s (~{rate:.0f}/s), {dropped} dropped, "
        f"layout {layout.name}"
    )
    if stats.get("protocol"):  # a wireless cushion: the MQTT version it was read with
        detail += f", over {stats['protocol']}"
    if peak < SMALL_SHARE * layout.full_scale:
        # Until it is calibrated, sitwatch judges "someone sits here" against full_scale: a
        # device sending small units would look empty forever (and be tared as empty).
        level = WARN
        detail += (
            f"; the largest reading was {peak:g}, under {SMALL_SHARE:.0%} of full_scale "
            f"({layout.full_scale:g}): if someone was sitting, give a layout file a full_scale "
            "near the largest reading you expect (`sitwatch docs protocol`), or run "
            "`sitwatch calibrate`"
        )
    return level, "cushion", detail


def check_calibration(cfg: Any, layout: Any) -> Check:
    from sitwatch.runtime.files import find_profile, profile_path, simulated
    from sitwatch.sensing import calibration

    path = find_profile(cfg, layout) or profile_path(cfg)
    # the simulator's own profile, whatever calibration.profile names (runtime.files): say so
    apart = (f" (the simulator's own: your cushion's, calibration.profile = "
             f"{cfg.calibration.profile}, is left alone)"
             if cfg.calibration.profile and simulated(cfg) else "")
    if not path.exists():
        auto = (
            "sitwatch will learn one during your first minutes of sitting"
            if cfg.calibration.auto
            else "and calibration.auto is off: run `sitwatch calibrate`"
        )
        return WARN, "calibration", f"no profile at {path}{apart}; {auto}"
    try:
        prof = calibration.load(path)
        prof.check_layout(layout, path)
    except calibration.CalibrationError as e:
        return FAIL, "calibration", f"{e}"
    said = f"{path}{apart} ({prof.method}, {prof.created:%Y-%m-%d}, layout {prof.layout})"
    from sitwatch import config
    from sitwatch.sensing import references, upright_check

    if prof.tuned:
        said += "; made more sensitive by your reference postures: " + ", ".join(
            f"detect.{k} {v:g}" for k, v in prof.tuned.items())
    if prof.learned is not None and prof.learned.ways:
        n = prof.learned.ways
        said += (f"; learned while you sat: {n} way{'s' if n > 1 else ''} of sitting upright "
                 f"clear of the backrest (last {prof.learned.updated:%Y-%m-%d}; `sitwatch "
                 "calibrate --forget-learned` drops them)")
    if prof.learned is not None and prof.learned.rejected:
        n = len(prof.learned.rejected)
        said += (f"; {n} learned way{'s' if n > 1 else ''} you answered \"Not right\" to, "
                 "never learned again (`sitwatch feedback reset learned` lets "
                 f"{'it' if n == 1 else 'them'} be learned again)")
    said += _zero_followed(cfg, layout, prof)
    if references.sides_swapped(layout, config.for_layout(cfg, layout), prof):
        return WARN, "calibration", f"{said}: {references.swapped_fix(layout)}"
    if references.front_rear_swapped(layout, prof):
        return WARN, "calibration", f"{said}: {references.reversed_fix(layout)}"

    found = upright_check.restless_profile(layout, prof,
                                           *upright_check.balance_limits(cfg, layout))
    if found:
        return WARN, "calibration", (
            f"{said}: {upright_check.CUES[found[0].cue]} moved sideways during the upright "
            f"minute about as far as a lean takes it, so a lean is reported only once it is "
            f"{found[0].factor:.1f} times the usual size; run `sitwatch calibrate` again and "
            "sit still and evenly for that step")
    notes = upright_check.notes(layout, prof)
    if notes:
        return WARN, "calibration", f"{said}: {' '.join(notes)}"
    return OK, "calibration", said


def _zero_followed(cfg: Any, layout: Any, prof: Any) -> str:
    """Load cells whose calibration read 0 with nobody seated: a zero that drifts with warmth
    cannot be followed on the empty seat (sensing/pipeline.py), which a firmware offset fixes.
    (Pads read nothing unloaded, and their zero does not drift: nothing to say.)"""
    if layout.plate is None or prof.tare is None or not cfg.calibration.auto:
        return ""
    import numpy as np

    from sitwatch.sensing.pipeline import zeros_seen

    if zeros_seen(layout.to_load(np.asarray(prof.tare, dtype=float)), layout.full_scale):
        return "; a zero that drifts is followed on the empty seat"
    return ("; a load cell read 0 with nobody seated, so a zero that drifts with warmth cannot "
            "be followed: tare the cells in firmware to about 2% of full scale, not 0 "
            "(`sitwatch docs protocol`, \"A zero that drifts\")")


def check_notifications(cfg: Any, headless: bool = False) -> Check:
    """Desktop notifications: the desktop row of the sink table (sitwatch.sinks.registry)."""
    from sitwatch.sinks.registry import SinkContext, spec

    found = spec("desktop").check(cfg, SinkContext(headless=headless))
    assert found is not None  # the desktop always has something to say
    return found.level, found.what, found.detail


def check_channels(cfg: Any, clock: Any, headless: bool = False) -> list[Check]:
    """Every other configured channel in the sink table (push, MQTT ...; the desktop is
    :func:`check_notifications`), then do-not-disturb. ``headless`` (a box under the chair):
    no desktop to ask is how it should be, not a warning."""
    from sitwatch.runtime.assemble import build_dnd
    from sitwatch.sinks.registry import SINKS, SinkContext, check_all

    specs = [s for s in SINKS if s.name != "desktop"]
    out: list[Check] = [(c.level, c.what, c.detail)
                        for c in check_all(cfg, SinkContext(clock=clock), specs)]
    status = _daemon_status(cfg, clock)
    # the running daemon saw another sitwatch under its base topic (the broker keeps only the
    # last one to announce itself, which may be ours), or moved off a client id another took
    notes = [str(n).removeprefix("mqtt: ") for n in (status.get("mqtt_shared"),
                                                     status.get("mqtt_client_id")) if n]
    failing = status.get("channels")
    failing = failing if isinstance(failing, dict) else {}
    for i, (level, what, detail) in enumerate(out):
        # the settings can be right while the service refuses (a wrong token, a full
        # mailbox): the running daemon says what its last delivery met
        problem = failing.get(what)
        if level == OK and isinstance(problem, str) and problem:
            out[i] = (WARN, what, f"{detail}; but the running daemon's last try: {problem}")
            continue
        if what == "mqtt" and level == OK and notes:
            out[i] = (WARN, what, f"{detail}; but {'; and '.join(notes)}")
    if cfg.nudges.dnd.enabled:
        dnd = build_dnd(cfg, clock, start=False)  # asked once, here: no background thread
        if dnd is not None:
            ok, text = dnd.check()
            text = text.removeprefix("do-not-disturb: ")
            if not ok and headless:
                # nobody works at this box: the nudges go to MQTT, push or the buzzer at any
                # time inside the schedule; a desktop elsewhere has its own do-not-disturb
                ok, text = True, ("nothing to ask on a headless box (nudges go out when due, "
                                  "inside [nudges.schedule] if you set one); "
                                  + text.removeprefix("no probe works here; "))
            out.append((OK if ok else WARN, "dnd", text))
    return out


def check_history(cfg: Any, now: object = None) -> Check:
    """The history file as doctor finds it; ``now``: why the running daemon cannot write it at
    the moment (its status file's ``history_problem``), which outranks a file that looks fine
    from here (another program holding it locked, a disk that filled and may have some room
    again)."""
    checks = _check_history(cfg)
    if isinstance(now, str) and now and checks[0] != FAIL:
        return WARN, "history", f"the running daemon cannot write it now: {now}"
    return checks


def _check_history(cfg: Any) -> Check:
    import sqlite3

    from sitwatch.history import diagnose
    from sitwatch.history.store import keep_private
    from sitwatch.runtime.files import history_path

    if not cfg.history.enabled:
        return OK, "history", "disabled in the config"
    path = history_path(cfg)
    d = path.parent
    if not path.exists():
        probe = d
        while not probe.exists():
            probe = probe.parent
        why = diagnose.not_writable(path)
        if why is not None:
            return FAIL, "history", f"cannot create the history: {why}"
        if not os.access(probe, os.W_OK):
            return FAIL, "history", f"cannot create {path}: {probe} is not writable"
        return OK, "history", f"{path} will be created on the first run"
    try:
        ident = diagnose.identify(path)
    except (OSError, sqlite3.Error) as e:
        return FAIL, "history", f"{path}: {e}"
    if ident.kind == diagnose.Kind.FOREIGN:
        return FAIL, "history", diagnose.foreign_message(path, ident.detail, daemon=False)
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2)
        try:
            res = con.execute("PRAGMA quick_check").fetchone()[0]
            ver = con.execute("PRAGMA user_version").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error as e:
        return FAIL, "history", f"{path}: {e}"
    if ident.kind == diagnose.Kind.OURS:
        keep_private(path)  # and the -wal/-shm the check made beside one an older sitwatch left
    if res != "ok":
        return FAIL, "history", f"{path}: integrity problem ({res}); the daemon will set it aside"
    why = diagnose.not_writable(path)
    if why is not None:
        return FAIL, "history", f"the daemon cannot write the history: {why}"
    size = path.stat().st_size / 1e6
    free = diagnose.free_bytes(path)
    if free is not None and free < diagnose.LOW_SPACE_BYTES:
        return WARN, "history", (
            f"{path} (schema v{ver}, {size:.1f} MB): only {diagnose.human(free)} free on "
            f"{diagnose.mount_point(path)}; when it is full the history pauses (the nudges go "
            "on): free some space")
    return OK, "history", f"{path} (schema v{ver}, {size:.1f} MB)"


#: the share of lines dropped past which doctor warns about the daemon's cushion
DROPPED_SHARE = 0.05


def _daemon_status(cfg: Any, clock: Any) -> dict[str, Any]:
    """The running daemon's status file (empty when none runs)."""
    from sitwatch.runtime.files import status_path, status_stale_after
    from sitwatch.runtime.status import read_status

    d = read_status(status_path(cfg), clock, stale_after=status_stale_after(cfg))
    return d if d.get("running") and not d.get("stale") else {}


def check_daemon(cfg: Any, clock: Any) -> Check:
    from sitwatch.runtime.files import status_path, status_stale_after
    from sitwatch.runtime.status import read_status

    d = read_status(status_path(cfg), clock, stale_after=status_stale_after(cfg))
    if d.get("running") and d.get("stale") and d.get("unwritable"):
        return (WARN, "daemon",
                f"pid {d.get('pid')} is running but cannot update {d['path']}: "
                f"{d['unwritable']}. It writes it again by itself once the folder is writable "
                "(or set `[status] file` to a writable place and restart sitwatch); until "
                "then `sitwatch status` shows an old state")
    if d.get("running") and d.get("stale"):
        from sitwatch.runtime.service import restart_hint

        age = d.get("age")
        since = f"for {age:.0f} s" if age is not None else "(no time in the status file)"
        pid = d.get("pid")
        # the pid may be another program's now: the hint names no pid to kill
        hint = restart_hint(cfg, "start afresh", stuck=pid if isinstance(pid, int) else 0,
                            show_pid=False)
        return (
            WARN,
            "daemon",
            f"pid {pid} is alive but has not updated {d['path']} {since}: stuck, or "
            f"the pid now belongs to another program. {hint}",
        )
    if d.get("running"):
        return OK, "daemon", f"running (pid {d.get('pid')}){_watches_another(cfg, clock, d)}"
    from sitwatch.runtime.service import start_hint

    hint = start_hint()
    return WARN, "daemon", f"not running: {hint[:1].lower()}{hint[1:].rstrip('.')}"


def _watches_another(cfg: Any, clock: Any, d: dict[str, Any]) -> str:
    """When the running daemon watches another cushion than the one these checks are about (it
    was started with --port and --layout, as the README's simulator is): which, and the doctor
    command that checks that one; '' when it watches this one. The checks above it spoke of the
    config's cushion (often none: "no port configured"), its calibration and history, while
    the daemon read the simulator and kept its own apart."""
    import shlex

    from sitwatch.runtime.status import camera_only

    port = str((d.get("sensor") or {}).get("port") or "")
    if not port or camera_only(d) or (cfg.cushion.port and _daemon_reads(cfg, clock)):
        return ""
    layout = d.get("layout")
    flags = f"--port {shlex.quote(port)}" + (
        f" --layout {shlex.quote(layout)}" if isinstance(layout, str) and layout else "")
    return (f", watching {port}{f' ({layout})' if layout else ''}, not the cushion this "
            f"config names ({cfg.cushion.port or 'none'}): `sitwatch doctor {flags}` checks "
            "the one it watches")


def _daemon_reads(cfg: Any, clock: Any) -> bool:
    """The running daemon reads the cushion this check is about (``cushion.port``, or the
    ``--port`` given): the same device, or a link to it. A daemon on another port leaves
    this one to be listened to."""
    import os

    from sitwatch.core.mqtt_url import MqttUrlError, is_mqtt, parse_url, redact

    port = str((_daemon_status(cfg, clock).get("sensor") or {}).get("port") or "")
    if not port:
        return True  # a status file that does not say: as before, trust the daemon
    want = str(cfg.cushion.port)
    if is_mqtt(want) and is_mqtt(port):
        # the same broker and topic, however each is written (the daemon says
        # mqtt://host:1883/topic for mqtt://user@HOST/topic)
        try:
            a, b = parse_url(want), parse_url(port)
        except MqttUrlError:
            return port in (redact(want), want)
        return (a.host.lower(), a.port, a.topic) == (b.host.lower(), b.port, b.topic)
    if "://" in want or "://" in port:
        return port in (redact(want), want)
    return os.path.realpath(os.path.expanduser(want)) == os.path.realpath(port)


def check_cushion_in_use(cfg: Any, clock: Any) -> Check:
    """The serial cushion the running daemon reads (it holds the port): what its status file
    says of it: no frames (a failure, with the daemon's own reason, such as lines with the
    wrong number of values for the layout), many lines dropped, sensors left out (warnings)."""
    from sitwatch.core.mqtt_url import redact

    s = _daemon_status(cfg, clock).get("sensor") or {}
    port = redact(cfg.cushion.port)
    if not s:
        return OK, "cushion", f"{port}: read by the running daemon (its status says no more)"
    age = s.get("last_frame_age")
    quiet = not s.get("frames") or age is None or float(age) >= cfg.cushion.no_data_timeout
    if not s.get("online") or (quiet and s.get("diagnosis")):
        # a diagnosis outlives the silence it explains: only while no frame comes
        why = s.get("diagnosis") or (
            "nothing has arrived yet" if not s.get("frames") else "it stopped sending")
        # FAIL as for a cushion doctor listens to itself (serial, or over MQTT beside the
        # daemon): no frames means sitwatch cannot watch, and scripts read the exit status
        return (FAIL, "cushion", f"{port}: the running daemon holds it but gets no frames "
                f"from it: {why}{'' if why.endswith(('.', '?', '!')) else '.'} "
                f"{_silent_serial_advice(cfg.cushion)}")
    problems = _daemon_problems(cfg, s)
    if problems:
        return WARN, "cushion", f"{port}: " + "; ".join(problems)
    return (OK, "cushion", f"{port}: read by the running daemon; "
            "`sitwatch status` shows what it receives")


def _silent_serial_advice(cushion: Any) -> str:
    """What brings back a serial cushion the daemon holds but hears nothing from. The daemon
    keeps the port open and reads whatever comes (sources/serial.py): a fix on the device side
    needs no restart, and a cushion unplugged and plugged back in (which resets its board) is
    reopened by itself. Only a change to the config or the layout, read at start, needs one."""
    sends = ("prints one line per frame" if cushion.mode == "text"
             else f"answers poll byte 0x{cushion.poll_byte:02x}")
    return (f"Check the cable, and that the device {sends} at {cushion.baud} baud "
            "(cushion.baud). The daemon reads frames as soon as they come, and reopens the "
            "port if you unplug the cushion and plug it back in (which resets its board): no "
            "restart needed, except after changing the config or the layout. "
            "`sitwatch status` shows what it receives")


def check_cushion_beside_daemon(
    cfg: Any,
    layout: Any,
    clock: Any,
    listen: float = 3.0,
    sleep: Callable[[float], object] | None = None,
) -> Check:
    """A wireless cushion the running daemon reads too. A topic has room for more readers, so
    doctor listens itself (with a client id of its own) and adds what only the daemon's status
    knows: the lines it has dropped, the sensors it has left out."""
    level, what, detail = check_cushion(cfg, layout, clock, listen, sleep)
    problems = _daemon_problems(cfg, _daemon_status(cfg, clock).get("sensor") or {})
    if not problems:
        return level, what, detail
    return (FAIL if level == FAIL else WARN), what, f"{detail}; " + "; ".join(problems)


def _daemon_problems(cfg: Any, s: dict[str, Any]) -> list[str]:
    """What the running daemon's status (``s``: its "sensor") says is wrong with a cushion
    that sends frames: many lines dropped, sensors left out."""
    from sitwatch.core.mqtt_url import is_mqtt
    from sitwatch.runtime.status import split_channels

    wireless = is_mqtt(cfg.cushion.port)
    problems = []
    frames, dropped = int(s.get("frames") or 0), int(s.get("dropped") or 0)
    if dropped and dropped >= DROPPED_SHARE * (frames + dropped):
        check = ("check that the cushion's firmware sends as many values as the layout has "
                 "channels, and the cushion's Wi-Fi" if wireless
                 else "check the cable, the baud rate and the layout")
        problems.append(f"the running daemon has dropped {dropped} of {frames + dropped} "
                        "lines (the journal says why: `journalctl --user -u sitwatch`); "
                        + check)
    out, _ = split_channels(s.get("excluded") or [])
    if out:
        problems.append(f"the running daemon has left out {', '.join(out)}: check those "
                        "sensors' leads and connectors (sitwatch goes on with the others, and "
                        "takes a sensor back once it reads a load again)")
    return problems


def check_camera(cfg: Any) -> list[Check]:
    if not cfg.camera.enabled:
        return [(OK, "camera", "not used (camera.device is empty); OpenCV/MediaPipe not loaded")]
    from sitwatch.cli.camera import check

    level = FAIL if not cfg.cushion.port else WARN  # with a cushion, sitwatch still works
    return [
        (OK if ok else level, "camera", msg.removeprefix("camera: "))
        for ok, msg in check(cfg.camera)
    ]


def check_systemd() -> Check:
    from sitwatch.runtime import service

    found = service.installed()
    if not found:
        return (
            WARN,
            "autostart",
            "not installed: `sitwatch service install` starts sitwatch at every login "
            "(`--system` at every boot on a headless box)",
        )
    gone = [i for i in found if not i.exec_ok]
    if gone:
        i = gone[0]
        return (
            FAIL,
            "autostart",
            f"{i.path} starts {i.exec_path or '(nothing)'}, which is not there any more: run "
            "`sitwatch service install` again with the sitwatch you use now",
        )
    parts = []
    for i in found:
        state = f" ({i.enabled}, {i.active})" if i.enabled is not None else ""
        parts.append(f"{i.kind} {i.path}{state}")
    return OK, "autostart", "; ".join(parts)


def check_clock(probe: Callable[[], Any] | None = None) -> Check:
    """Whether the system clock follows network time (a Raspberry Pi has no clock that runs
    while it is off): a warning when it does not, never a failure."""
    from sitwatch.core import timesync

    got = (probe or timesync.probe)()
    if got.synced:
        return OK, "clock", f"synchronised with network time ({got.by})"
    if got.synced is None:
        return (OK, "clock", "cannot tell whether it follows network time (timedatectl did not "
                "answer, no systemd-timesyncd)")
    return (WARN, "clock", f"not synchronised with network time ({got.by}): the times in the "
            "history, the reports and the nudges sent over MQTT may be off, on a Raspberry Pi "
            f"by hours or days. Turn it on: {timesync.FIX}")


def seat_only_limits(layout: Any) -> str:
    """What a seat without backrest sensors can and cannot tell apart (issue #10)."""
    from sitwatch.sensing.features import has_rear_midline

    if getattr(layout, "plate", None) is not None:
        half = ("load cells under a plate each carry part of the whole body, so a slump shows "
                "as the plate's centre moving forward with your weight kept, while crossing a "
                "leg (one thigh lifted) does not show")
    elif has_rear_midline(layout):
        where = ("the cells along the middle of the seat's rear" if layout.is_grid
                 else "the sensor on the middle of the seat's rear")
        half = f"half lying (hips slid forward, back leaning back) shows, from {where}"
    else:
        half = ("half lying (hips slid a little forward, back leaning back) does not show: no "
                "sensor sits on the middle of the seat's rear")
    return (
        "no backrest sensors: lopsided sitting and a slump that keeps your weight on the seat "
        f"show; {half}; perching on the front edge and a deep slump against the backrest look "
        "the same from below, so both read leaning forward and get the sit-back nudge, never "
        "the slump one; reclining and leaning forward onto the thighs do not show"
    )


def layout_detail(cfg: Any, layout: Any) -> str:
    """The layout, what it lets sitwatch see, and the detection defaults it brings."""
    out: str = layout.summary()
    if not layout.back_mask.any():
        out += "; " + seat_only_limits(layout) + (
            "" if cfg.camera.enabled else " (the camera can add them)")
    given, mine = [], []
    for sec, kv in layout.detect.items():
        for k, v in kv.items():
            used = getattr(getattr(cfg.detect, sec, None), k, v)
            if used == v:
                given.append(f"detect.{sec}.{k} = {v!r}")
            else:
                mine.append(f"detect.{sec}.{k} = {used!r} (the layout's {v!r})")
    if given:
        out += "; the layout sets " + ", ".join(given)
    if mine:
        out += "; your config sets " + ", ".join(mine)
    return out


def check_config_file(cfg: Any, path: Path | None) -> Check:
    """Valid (it loaded), and private when it holds secrets: the MQTT password and push URLs
    (their tokens) must not be readable by other users."""
    if path is None or not path.is_file():
        return OK, "config", "valid (defaults: no config file)"
    secrets = [name for name, there in (("the MQTT password", cfg.mqtt.password),
                                        ("push URLs (with their tokens)", cfg.nudges.push.urls))
               if there]
    mode = path.stat().st_mode & 0o777
    if secrets and mode & 0o077:
        return (WARN, "config", f"{path} holds {' and '.join(secrets)} and other users can read "
                f"it (mode {mode:o}): chmod 600 {path}")
    return OK, "config", f"{path}: valid"


def run_checks(
    cfg: Any, layout: Any, clock: Any, *, listen: float = 3.0, headless: bool = False,
    config_file: Path | None = None,
) -> list[Check]:
    from sitwatch.core.mqtt_url import is_mqtt

    checks: list[Check] = [check_config_file(cfg, config_file)]
    daemon = check_daemon(cfg, clock)
    if cfg.camera.enabled and not cfg.cushion.port:
        # camera-only: the default layout and its calibration are a cushion's the user does
        # not have (they were two warnings and a "try `sitwatch demo`" for no hardware)
        checks.append((OK, "cushion", "not used (cushion.port is empty): the camera watches "
                       "alone"))
    else:
        checks.append((OK, "layout", layout_detail(cfg, layout)))
        checks.append(check_calibration(cfg, layout))
        if daemon[0] == OK and cfg.cushion.port and _daemon_reads(cfg, clock):
            if is_mqtt(cfg.cushion.port):
                # a topic, not a port: doctor can listen beside the daemon
                checks.append(check_cushion_beside_daemon(cfg, layout, clock, listen))
            else:
                # The running daemon holds the port exclusively; it reports what it receives.
                checks.append(check_cushion_in_use(cfg, clock))
        else:
            checks.append(check_cushion(cfg, layout, clock, listen))
    checks.append(check_notifications(cfg, headless))
    checks += check_channels(cfg, clock, headless)
    checks.append(check_history(cfg, _daemon_status(cfg, clock).get("history_problem")))
    checks.append(daemon)
    checks.append(check_systemd())
    checks.append(check_clock())
    checks += check_camera(cfg)
    return checks


def run(args: argparse.Namespace) -> int:
    from sitwatch import config
    from sitwatch.core.clock import SystemClock
    from sitwatch.sensing import layout

    try:
        cfg = load_config(args)
    except config.ConfigError as e:
        print("FAIL  config         " + "\n                     ".join(e.problems))
        return 2
    try:
        lay = layout.load(cfg.cushion.layout)
    except layout.LayoutError as e:
        print(f"FAIL  layout         {e}")
        return 2
    try:
        cfg = config.for_layout(cfg, lay)
    except config.ConfigError as e:
        print("FAIL  config         " + "\n                     ".join(e.problems))
        return 2
    listen = float(getattr(args, "listen", 3.0))
    if not 0 < listen <= 600:
        print("FAIL  doctor         --listen must be more than 0 and at most 600 seconds "
              "(0 would hear nothing; try --listen 5)")
        return 2
    given = getattr(args, "config", None)
    if given:
        config_file: Path | None = Path(given).expanduser()
    elif getattr(args, "no_user_config", False):
        config_file = None
    else:
        config_file = config.user_config_path()
    checks = run_checks(cfg, lay, SystemClock(), listen=listen,
                        headless=bool(getattr(args, "headless", False)),
                        config_file=config_file)
    for level, what, detail in checks:
        print(f"{MARK[level]}  {what:<14} {detail}")
    fails = sum(1 for c in checks if c[0] == FAIL)
    warns = sum(1 for c in checks if c[0] == WARN)
    print(f"\n{fails} problem(s), {warns} warning(s).", file=sys.stderr)
    return 1 if fails else 0


