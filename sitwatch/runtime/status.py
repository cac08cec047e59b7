"""The live status file: the daemon publishes its state, ``sitwatch status`` reads it.

The file is JSON, replaced atomically (temporary file + ``os.replace``), so a reader never sees
half a file. The daemon writes at once when something a person would notice changes (occupancy,
posture, balance, wallet, the cushion going on- or offline, a diagnosis, a calibration, a
nudge), at most every ``interval`` seconds when anything else it shows changed (the sitting
spell, channels left out, the first frame ...), and otherwise every :data:`HEARTBEAT` seconds,
so that readers can tell it is alive. Values that move on their own (:data:`_TICKING`: the frame
and dropped-line counters, the frame rate, the ages, the time away) are brought up to date with
every write but are no reason for one: an empty seat with the cushion streaming is one write in
ten seconds, not one every two. Layout (``version`` 1)::

    {"version": 1, "pid": 1234, "started": ISO, "updated": ISO, "stopped": ISO | absent,
     "occupancy": "occupied" | "empty" | null, "spell_seconds": 2220.0, "sit_limit": 2700.0,
     "timer_paused": false, "unseen_seconds": null, "away_seconds": null,
     "left_spell_seconds": null,
     "posture": "upright" | ... | null, "balance": "balanced" | "left" | "right" | null,
     "seat_only": false (true: the posture comes from the seat alone; its "leaning_forward"
                  is the weight on the front of the seat, said "weight forward"),
     "wallet": {"state": "suspected" | "clear", "side": "left"} | null,
     "sensor": {"online": true, "silent": false, "port": "/dev/ttyACM0", "frames": 7211,
                "dropped": 3, "rate": 20.0, "last_frame_age": 0.05, "diagnosis": null},
     "camera": {"online": true, "device": "camera:0", "reason": null, "every": 5.0,
                "paused": false} | absent (no camera),
     "calibration": {"method": "auto" | "profile" | ... | null, "at": ISO | null, "age": s,
                     "learned": ways of sitting upright clear of the backrest learned (0-2)},
     "nudges": {"slouch": {"at": ISO, "title": "...", "message": "...", "posture": "slouched",
                           "seen_by": ["camera"]}, ...} (the last shown of each kind, those
                shown today before a restart too, at their time, from the history; the day's
                summary is a notice, not one of them),
     "channels": {"push": "push to ntfy://(hidden) failed: ..."} | absent (none failing),
     "mqtt_shared": "mqtt: another sitwatch ... publishes under the same base topic ..." | null,
     "mqtt_client_id": "mqtt: another MQTT client uses the client id ... so sitwatch connects
                        as ... instead ..." | null (connected with the configured id),
     "history_problem": "cannot write ...: the disk is full. ..." | null (written fine),
     "last_break": {"seconds": 300.0, "ended": ISO} | absent,
     "history_run": "20260105T090000Z-1a2b3c" | null (no history) | absent (older daemons),
     "layout": "smartchair-12" | "/home/me/chair.toml" | absent (camera only, older daemons),
     "feedback_file": "/home/me/.local/share/sitwatch/feedback-smartchair-12.json" | absent,
     "profile_file": "/home/me/.local/share/sitwatch/calibration-smartchair-12.json" | absent
                     (camera only, older daemons),
     "profile_read_only": false | absent (older daemons)}

``timer_paused`` is true while no sensor sees the seat (the cushion offline, no camera standing
in for it; camera-only, the camera offline or the screen locked), for ``unseen_seconds``: the
spell stands still at ``spell_seconds``, and ``occupancy`` is the seat as last seen. While the
cushion is online ``spell_seconds`` counts up to its last frame, so it does not step back when
a cushion that stopped sending is declared silent ``cushion.no_data_timeout`` later. ``sensor``
is the cushion's; in a camera-only setup it is the camera's, and its ``port`` is ``camera:``
and the device (:data:`CAMERA_PORT`). With both, each sensor's events change its own section
only: the camera going offline is ``camera.online``, never ``sensor.online``. ``sensor.silent``
is true while the cushion is offline because it sends nothing though its link is up (a firmware
that hung): ``sensor.online`` is false then too, as for any cushion whose frames do not come.
``away_seconds`` is how long ago the seat emptied at the end of a sitting spell of
``left_spell_seconds``, while the sitter is away (a short absence, or a break not yet ended by
sitting down again); both are null while seated and before the first spell. The next daemon
carries that absence on, so a break across a restart is counted
(:func:`sitwatch.runtime.assemble.previous_spell`).
``layout`` is the sensor layout the daemon runs (``sitwatch run --layout`` may name another
than the config's: a built-in name, ``grid:RxC`` or a layout file's absolute path), and
``feedback_file`` the file it keeps "Not right" in (camera-only, ``feedback-camera.json``: its
answers are recorded only), and ``profile_file`` (absolute) the
calibration profile it runs from: ``run --calibration``'s, the simulator's in the data dir's
``simulated/`` folder, else the config's (a daemon with no profile yet names the file it saves
the one it learns to, which may not exist yet); a camera alone names neither a layout nor a
profile (it has no cushion). ``sitwatch feedback`` reads all three, so that
the thresholds it calls configured are the ones that daemon starts from: that layout's, with
what the profile's reference postures tuned. ``profile_read_only`` is true when the daemon
never writes that profile (one named with ``run --calibration``): ``sitwatch feedback`` then
refuses to change the ways of sitting learned in it while no daemon runs.
``camera.every`` is the seconds between two looks at the moment, ``camera.paused`` true while
the screen is locked (no picture taken).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sitwatch.core import durations, moments
from sitwatch.core.clock import Clock
from sitwatch.core.events import (
    BALANCE,
    BREAK,
    CALIBRATION,
    DIAGNOSIS,
    NUDGE,
    OCCUPANCY,
    POSTURE,
    SENSOR,
    WALLET,
    Event,
    is_day_summary,
)
from sitwatch.core.kinds import (
    CAMERA_SOURCE_PREFIX,
    FEEDBACK_LABELS,
    Balance,
    FeedbackKind,
    NudgeKind,
    Occupancy,
    Posture,
    Presence,
    Sensor,
    SensorState,
    WalletState,
    label,
    posture_label,
)
from sitwatch.core.private import write_private

log = logging.getLogger(__name__)

STATUS_VERSION = 1
CAMERA_PORT = CAMERA_SOURCE_PREFIX  # how a camera-only setup's sensor.port starts
START_HINT = "Start it with `sitwatch run`, or `systemctl --user start sitwatch` for the service."

_TOP = (
    "occupancy",
    "spell_seconds",
    "sit_limit",
    "posture",
    "seat_only",  # the posture comes from the seat alone (leaning forward: "weight forward")
    "balance",
    "wallet",
    "paused",
    "snoozed",
    "held",
    "feedback_file",  # where the daemon keeps "Not right" (sitwatch feedback reads it there)
    "layout",  # the layout it runs (`run --layout` may differ from the config's): name or file
    "profile_file",  # the calibration profile it runs from (`run --calibration`, the simulator's)
    "profile_read_only",  # ... never written by it (`run --calibration`): nor by `feedback`
    "last_break",  # the last verified break: {"seconds": 300.0, "ended": ISO}
    "timer_paused",  # no sensor sees the seat: the sitting timer stands still
    "unseen_seconds",  # ... since this many seconds (null while a sensor sees it)
    "away_seconds",  # the seat emptied this long ago, ending a spell (null while seated)
    "left_spell_seconds",  # ... after a spell this long (the next daemon carries both on)
    "still_seconds",  # since the last real weight shift (static sitting, issue #13)
    "static",  # a weight shift is due: no shift for detect.stillness.after
    "mqtt_shared",  # another sitwatch publishes under our MQTT base topic: what to do about it
    "mqtt_client_id",  # another client took our MQTT client id: the id we use instead, the fix
    "channels",  # {channel: its latest problem} while a channel (push, hook ...) fails
    "history_problem",  # why the history cannot be written now (a full disk, a lock ...)
    "camera",  # the camera's own state, beside the cushion's "sensor" (see the layout)
    "history_run",  # the run the history records (the next daemon's spell_resumed names it)
)
_NESTED = ("sensor", "calibration")
# Changes a person would notice: written at once, not on the next interval.
_IMPORTANT = (
    "paused",
    "snoozed",
    "occupancy",
    "posture",
    "balance",
    "wallet",
    "timer_paused",
    "sensor.online",
    "sensor.silent",
    "sensor.diagnosis",
    "camera.online",
    "camera.paused",
    "calibration.method",
    "calibration.learned",
    "last_break",
    "history_problem",
    "mqtt_client_id",
)

# Values that move on their own: written with everything else, but no reason for a write.
_TICKING = {"sensor": ("frames", "dropped", "rate", "last_frame_age"), "calibration": ("age",)}
#: ... and at the top level: the time away grows with every frame of an empty seat
_TICKING_TOP = ("away_seconds",)
#: Seconds between writes when nothing but the ticking values changed (at least ``interval``;
#: well under the 15 s after which readers call the daemon stuck: runtime/files.py)
HEARTBEAT = 10.0


def human_duration(seconds: float) -> str:
    """``42 s``, ``37 min``, ``1 h 5 min``, ``2 h`` (:func:`sitwatch.core.durations.words`)."""
    return durations.words(seconds)


def _default_state(pid: int, started: str, sit_limit: float | None) -> dict[str, Any]:
    return {
        "version": STATUS_VERSION,
        "pid": pid,
        "started": started,
        "updated": None,
        "occupancy": None,
        "spell_seconds": 0.0,
        "timer_paused": False,
        "unseen_seconds": None,
        "away_seconds": None,
        "left_spell_seconds": None,
        "sit_limit": sit_limit,
        "posture": None,
        "balance": None,
        "wallet": None,
        "still_seconds": 0.0,
        "static": False,
        "sensor": {
            "online": False,
            "silent": False,
            "port": "",
            "frames": 0,
            "dropped": 0,
            "rate": None,
            "last_frame_age": None,
            "diagnosis": None,
        },
        "calibration": {"method": None, "at": None, "age": None, "learned": 0},
        "nudges": {},
    }


def _shown_nudge(data: Mapping[str, Any]) -> bool:
    """A nudge event the sitter was shown: not held or dropped (``delivered`` false), and not
    the day's summary (a notice of the day's figures, not the last nudge)."""
    return bool(data.get("delivered", True)) and not is_day_summary(data)


def _nudge_entry(at: datetime, title: str | None, message: str | None, posture: str | None,
                 seen_by: list[str] | None) -> dict[str, Any]:
    """One kind's entry in ``nudges`` (the layout above)."""
    return {
        "at": at.isoformat(timespec="seconds"),
        "title": title,
        "message": message,
        **({"posture": posture} if posture else {}),
        **({"seen_by": list(seen_by)} if seen_by is not None else {}),
    }


class StatusWriter:
    """Publishes the daemon's live state. Never raises on I/O errors (they are logged)."""

    def __init__(
        self,
        path: Path | str,
        clock: Clock,
        *,
        interval: float = 2.0,
        sit_limit: float | None = None,
        pid: int | None = None,
    ) -> None:
        self.path = Path(path)
        self.clock = clock
        self.interval = interval
        self.state = _default_state(
            pid if pid is not None else os.getpid(),
            clock.now().isoformat(timespec="seconds"),
            sit_limit,
        )
        self._last_write: float | None = None
        self._written: str | None = None  # what the last write said, ticking values aside
        self._rate_ref: tuple[float, int] | None = None  # (monotonic, frames) for fr/s
        self._explicit_rate = False
        self._error: str | None = None
        self._folder_ready = False  # written once: the folder is made and owner-only
        #: asked before each write: may this daemon still write the file? (False: another
        #: daemon runs with it now, and it is never written again, not even "stopped" at the
        #: end, which would say of the daemon that runs that it stopped; cli/run.py asks the
        #: run lock, single.Kept)
        self.may_write: Callable[[], bool] | None = None
        self.handed_over = False
        self.writes = 0

    # -- changing the state -------------------------------------------------------------------

    def update(self, **fields: Any) -> bool:
        """Merge fields into the state; write if it is time or something important changed.

        Top-level keys: occupancy, spell_seconds, sit_limit, posture, balance, wallet.
        ``sensor=`` and ``calibration=`` take dicts merged into their sections
        (``calibration={"method": "auto", "at": datetime}``: the age is worked out at each
        write). Returns True if the file was written.
        """
        before = {k: self._get(k) for k in _IMPORTANT}
        for key, value in fields.items():
            if key in _TOP:
                self.state[key] = value
            elif key in _NESTED:
                if not isinstance(value, dict):
                    raise TypeError(f"{key}= takes a dict")
                section = self.state[key]
                for k, v in value.items():
                    section[k] = v.isoformat() if isinstance(v, datetime) else v
                if key == "sensor" and "rate" in value:
                    self._explicit_rate = value["rate"] is not None
            else:
                raise TypeError(f"unknown status field {key!r}")
        important = any(self._get(k) != before[k] for k in _IMPORTANT)
        return self.maybe_write(force=important)

    def note_nudge(
        self, kind: str, *, title: str | None = None, message: str | None = None,
        posture: str | None = None, seen_by: list[str] | None = None,
    ) -> bool:
        """Remember the last nudge of this kind and write at once (``posture``: the one a
        slouch nudge was about, and ``seen_by``: the sensors that saw it, which ``sitwatch
        feedback wrong`` needs: one only the camera saw eases no cushion threshold)."""
        self.state["nudges"][kind] = _nudge_entry(self.clock.now(), title, message, posture,
                                                  seen_by)
        return self.write()

    def seed_nudges(self, shown: Iterable[tuple[datetime, Mapping[str, Any]]]) -> None:
        """The last nudge of each kind shown earlier today, from the history (``(when,
        event data)``, oldest first), at the time it was shown: after a restart ``sitwatch
        status`` and the Live page said "no nudges yet" while Today listed the day's nudges.
        Held or dropped ones and the day's summary are left out, as :meth:`on_event` leaves
        them. Not written here: the daemon's first write carries them."""
        now = self.clock.now()
        for at, data in shown:
            if not _shown_nudge(data):
                continue
            seen_by = data.get("seen_by")
            self.state["nudges"][str(data.get("kind") or "other")] = _nudge_entry(
                at.astimezone(now.tzinfo), data.get("title"), data.get("message"),
                data.get("posture"), seen_by if isinstance(seen_by, list) else None)

    def on_event(self, ev: Event) -> bool:
        """Fold a detector event into the state (writes at once when it matters)."""
        if ev.event == OCCUPANCY:
            return self.update(occupancy=ev.state)
        if ev.event == POSTURE:
            if ev.get("fused_in"):  # a sensor's own, with both fused: the fused one is the seat's
                return False
            return self.update(posture=ev.state)
        if ev.event == BALANCE:
            return self.update(balance=ev.state)
        if ev.event == WALLET:
            return self.update(wallet={"state": ev.state, "side": ev.get("side")})
        if ev.event == SENSOR:
            return self._sensor_event(ev)
        if ev.event == DIAGNOSIS:
            return self.update(sensor={"diagnosis": ev.get("message")})
        if ev.event == CALIBRATION:
            if ev.state == "learned":  # a way of sitting upright clear of the backrest
                return self.update(calibration={"learned": ev.get("ways")})
            if ev.state not in ("tare", "baseline"):
                return False  # channels set aside: not a calibration of the sitter
            return self.update(
                calibration={"method": ev.get("method") or ev.state, "at": self.clock.now()}
            )
        if ev.event == BREAK:
            return self.update(last_break={
                "seconds": float(ev.get("duration") or 0.0),
                "ended": self.clock.now().isoformat(timespec="seconds"),
            })
        if ev.event == NUDGE:
            if not _shown_nudge(ev.data):
                return False
            return self.note_nudge(
                str(ev.get("kind") or "other"), title=ev.get("title"), message=ev.get("message"),
                posture=ev.get("posture"), seen_by=ev.get("seen_by"),
            )
        return False

    def _sensor_event(self, ev: Event) -> bool:
        """A sensor came or went: its own section. The camera's (its events say ``source``) is
        ``camera``; ``sensor`` is the cushion's, or in a camera-only setup the camera's too."""
        online = ev.state == SensorState.ONLINE
        sensor: dict[str, Any] = {"online": online, "silent": bool(ev.get("silent"))}
        if online:
            sensor["diagnosis"] = None
        elif ev.get("reason"):
            sensor["diagnosis"] = ev.get("reason")
        if ev.get("source") != Sensor.CAMERA:
            return self.update(sensor=sensor)
        cam = self.state.get("camera")
        camera = {**(cam if isinstance(cam, dict) else {}), "online": online,
                  "reason": None if online else ev.get("reason")}
        if camera_only(self.state):
            return self.update(camera=camera, sensor=sensor)
        return self.update(camera=camera)

    def _get(self, dotted: str) -> Any:
        cur: Any = self.state
        for part in dotted.split("."):
            cur = cur.get(part) if isinstance(cur, dict) else None
        return cur

    # -- writing ------------------------------------------------------------------------------

    def maybe_write(self, force: bool = False) -> bool:
        """Write if ``force``, if something shown changed and ``interval`` has passed, or if the
        heartbeat is due (see the module's notes)."""
        now = self.clock.monotonic()
        if force or self._last_write is None:
            return self.write()
        since = now - self._last_write
        if since >= max(self.interval, HEARTBEAT):
            return self.write()
        if since >= self.interval and self._content() != self._written:
            return self.write()
        return False

    def _content(self) -> str:
        """The state without the ticking values (and without ``updated``), to compare."""
        st = self.state
        out = {k: v for k, v in st.items()
               if k != "updated" and k not in _TICKING and k not in _TICKING_TOP}
        for section, ticking in _TICKING.items():
            out[section] = {k: v for k, v in st[section].items() if k not in ticking}
        out["sensor"]["frames"] = bool(st["sensor"].get("frames"))  # the first frame shows
        return json.dumps(out, ensure_ascii=False, default=str)

    def _refresh_derived(self) -> None:
        mono = self.clock.monotonic()
        sensor = self.state["sensor"]
        frames = int(sensor.get("frames") or 0)
        if not self._explicit_rate:
            if self._rate_ref is None or frames < self._rate_ref[1]:
                self._rate_ref = (mono, frames)
            elif mono - self._rate_ref[0] >= 1.0:
                sensor["rate"] = round((frames - self._rate_ref[1]) / (mono - self._rate_ref[0]), 1)
                self._rate_ref = (mono, frames)
        cal = self.state["calibration"]
        if cal.get("at"):
            try:
                at = datetime.fromisoformat(cal["at"])
                cal["age"] = round((self.clock.now() - at).total_seconds(), 1)
            except (TypeError, ValueError):
                pass

    def write(self) -> bool:
        """Write the file now (atomically). Returns False (and logs once) on an I/O error."""
        if self.handed_over or (self.may_write is not None and not self.may_write()):
            self.handed_over = True
            return False
        self._refresh_derived()
        self.state["updated"] = self.clock.now().isoformat(timespec="milliseconds")
        self._last_write = self.clock.monotonic()
        self._written = self._content()
        try:
            self._atomic_write(json.dumps(self.state, ensure_ascii=False, default=str))
        except OSError as e:
            msg = f"cannot write the status file {self.path}: {e.strerror or e}"
            if msg != self._error:
                log.warning("%s", msg)
            self._error = msg
            return False
        if self._error is not None:
            log.warning("status file %s is written again", self.path)
        self._error = None
        self.writes += 1
        return True

    def _atomic_write(self, text: str) -> None:
        """Atomically and owner-only: whether someone is sitting is nobody else's business (the
        system service's status is read with `sudo sitwatch status`). The folder is made
        owner-only at the first write only (a stat of each parent and a mkdir at every write
        were 1% of the daemon loop's instructions), and again if it was removed since (a
        cleaned runtime folder)."""
        try:
            write_private(self.path, text, folder_ready=self._folder_ready)
        except FileNotFoundError:
            if not self._folder_ready:
                raise
            self._folder_ready = False
            write_private(self.path, text)
        self._folder_ready = True

    def close(self) -> None:
        """Mark the daemon stopped (so `sitwatch status` can say so) and write."""
        self.state["stopped"] = self.clock.now().isoformat(timespec="seconds")
        self.write()


# -- reading --------------------------------------------------------------------------------


def pid_alive(pid: Any) -> bool:
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:
        return True  # it exists, it is someone else's
    except OSError:
        return False
    return True


def read_status(path: Path | str, clock: Clock, stale_after: float = 15.0) -> dict[str, Any]:
    """The status file as a dict, plus ``exists``, ``age`` (s), ``stale`` and ``running``.

    ``running``: the daemon's pid is alive and it did not say it stopped. ``stale``: the last
    update is older than ``stale_after`` seconds (or the daemon stopped, or there is no file).
    A missing or unreadable file gives ``running=False, stale=True`` and ``error`` if unreadable.
    """
    path = Path(path)
    base: dict[str, Any] = {"path": str(path)}
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(d, dict):
            raise ValueError("not a JSON object")
    except FileNotFoundError:
        return {**base, "exists": False, "running": False, "stale": True, "age": None}
    except RecursionError:
        return {**base, "exists": True, "error": "not valid JSON (nested too deeply)",
                "running": False, "stale": True, "age": None}
    except (OSError, ValueError) as e:
        return {
            **base,
            "exists": True,
            "error": str(e),
            "running": False,
            "stale": True,
            "age": None,
        }
    age: float | None = None
    try:
        updated = datetime.fromisoformat(str(d.get("updated")))
        if updated.tzinfo is not None:
            age = (clock.now() - updated).total_seconds()
    except ValueError:
        pass
    stopped = bool(d.get("stopped"))
    d.update(base)
    d["exists"] = True
    d["age"] = age
    d["running"] = not stopped and pid_alive(d.get("pid"))
    d["stale"] = stopped or age is None or age > stale_after
    if d["running"] and d["stale"]:
        d["unwritable"] = unwritable(path.parent)
    return d


def unwritable(folder: Path) -> str | None:
    """Why nobody can write a status file in ``folder`` now (a read-only mount, a folder not
    writable for this user), None when it could be: a running daemon whose status is old is
    then not stuck, it cannot say."""
    from sitwatch.history.diagnose import read_only_fs

    if read_only_fs(folder):
        return f"{folder} is on a read-only filesystem"
    if folder.is_dir() and not os.access(folder, os.W_OK):
        return f"{folder} is not writable"
    return None


def _clock_time(iso: Any, d: dict[str, Any]) -> str:
    """When ``iso`` is, for people: the time alone today, with the day (and the year when it is
    more than a week away) otherwise. "Today" is the moment the status is read (the file's
    ``updated`` time plus its age), so that a test or a stale file gives the same words."""
    try:
        moment = datetime.fromisoformat(str(iso))
    except ValueError:
        return "?"
    try:
        now = datetime.fromisoformat(str(d.get("updated"))) + timedelta(
            seconds=float(d.get("age") or 0.0))
    except (ValueError, TypeError):
        now = datetime.now().astimezone()
    return moments.when(moment, now)


def _since(iso: Any, d: dict[str, Any]) -> float | None:
    """Seconds from ``iso`` to the status file's ``updated`` time plus its age."""
    try:
        then = datetime.fromisoformat(str(iso))
        ref = datetime.fromisoformat(str(d.get("updated")))
    except ValueError:
        return None
    return (ref - then).total_seconds() + float(d.get("age") or 0.0)


SATURATED = " (saturated)"  # how the pipeline's channel events name a saturated channel


def split_channels(excluded: list[str]) -> tuple[list[str], list[str]]:
    """The channels left out of everything (with why), and the saturated ones by label (left
    out of left/right only)."""
    out = [c for c in excluded if not c.endswith(SATURATED)]
    sat = [c[: -len(SATURATED)] for c in excluded if c.endswith(SATURATED)]
    return out, sat


def camera_only(d: dict[str, Any]) -> bool:
    """The status is a camera-only setup's (no cushion)."""
    sensor = d.get("sensor")
    return isinstance(sensor, dict) and str(sensor.get("port") or "").startswith(CAMERA_PORT)


def _camera_text(c: dict[str, Any]) -> str:
    """``camera online (a pose every 5 s)``, ``camera offline: REASON``; ``camera starting``
    before its first look."""
    if c.get("paused"):
        return "camera paused while the screen is locked"
    if c.get("online"):
        every = c.get("every")
        return (f"camera online (a pose every {float(every):g} s)" if every is not None
                else "camera online")
    reason = c.get("reason") or c.get("diagnosis")
    return f"camera offline: {reason}" if reason else "camera starting"


def _sensors_text(d: dict[str, Any]) -> str:
    """The cushion's part of the main line and the camera's (one of them in a setup with one)."""
    sensor = d.get("sensor") or {}
    cam = d.get("camera")
    if camera_only(d):
        # the camera's own section when the daemon wrote one; the sensor's otherwise
        return _camera_text(cam if isinstance(cam, dict) else sensor)
    text = _sensor_text(sensor)
    if isinstance(cam, dict):
        text += " · " + _camera_text(cam)
    return text


def _sensor_text(s: dict[str, Any]) -> str:
    port = s.get("port") or ""
    if s.get("online"):
        bits = []
        if s.get("rate") is not None:
            bits.append(f"{float(s['rate']):.1f} fr/s")
        bits.append(f"{int(s.get('dropped') or 0)} dropped")
        age = s.get("last_frame_age")
        if age is not None and float(age) >= 5:
            bits.append(f"last frame {durations.ago(float(age))}")
        out, sat = split_channels(s.get("excluded") or [])
        if out:
            bits.append("left out: " + ", ".join(out))
        if sat:
            # a saturated channel still counts in the load and the fore-aft centre
            bits.append("at full scale (not used for left/right): " + ", ".join(sat))
        return f"cushion online ({', '.join(bits)})"
    where = f" on {port}" if port else ""
    if s.get("silent"):  # its link is up, but nothing comes over it
        age = s.get("last_frame_age")
        quiet = (f"no frame for {human_duration(float(age))}" if age is not None
                 else "no frame yet")
        text = f"cushion silent{where} (connected, {quiet})"
    else:
        text = f"cushion offline{where}"
    if s.get("diagnosis"):
        said = str(s["diagnosis"])
        if port and said.startswith(f"{port}: "):  # the source names its port: once is enough
            said = said[len(port) + 2:]
        text += f": {said}"
    return text


def _spell_words(spell: float) -> str:
    return human_duration(spell) if spell >= 60 else "under a minute"


def _unseen_line(d: dict[str, Any]) -> str:
    """The seat's part of the main line while no sensor sees it: as it was last seen, and the
    sitting timer standing still until a sensor sees it again."""
    occ = d.get("occupancy")
    unseen = d.get("unseen_seconds")
    ago = f" {durations.ago(float(unseen))}" if unseen is not None else ""
    back = _seen_again_when(d)
    if occ == Occupancy.OCCUPIED:
        limit = d.get("sit_limit")
        text = (f"Occupied when last seen{ago} — sitting timer paused at "
                f"{_spell_words(float(d.get('spell_seconds') or 0.0))}")
        if limit:
            text += f" (limit {durations.setting(float(limit))})"
        return f"{text} until {back}"
    if occ == Occupancy.EMPTY:
        return f"{'Nobody in view' if camera_only(d) else 'Seat empty'} when last seen{ago}"
    return "Waiting for the camera" if camera_only(d) else "Waiting for the cushion"


def _screen_locked(d: dict[str, Any]) -> bool:
    cam = d.get("camera")
    return isinstance(cam, dict) and bool(cam.get("paused"))


def _seen_again_when(d: dict[str, Any]) -> str:
    """What brings the seat back in sight: the cushion, the camera, or the screen unlocked
    (a camera-only setup takes no picture while it is locked)."""
    if camera_only(d):
        return "the screen is unlocked" if _screen_locked(d) else "the camera is back"
    if isinstance(d.get("camera"), dict):
        return "the cushion or the camera sees the seat again"
    return "the cushion is back"


def _main_line(d: dict[str, Any]) -> str:
    if d.get("paused"):
        # nothing is watched meanwhile: the seat, the timer and the posture as they were when
        # it paused are not news (they stood there as if current, for as long as the pause)
        until = _clock_time(d["paused"], d) if d["paused"] != "forever" else "you resume"
        return (f"PAUSED until {until}: nothing is watched meanwhile (`sitwatch resume` "
                f"carries on) · {_sensors_text(d)}")
    parts = []
    occ = d.get("occupancy")
    spell = float(d.get("spell_seconds") or 0.0)
    limit = d.get("sit_limit")
    if d.get("timer_paused"):
        parts.append(_unseen_line(d))
        occ = None  # what the seat was last seen doing is not news: no posture or balance
    elif occ == Occupancy.OCCUPIED:
        text = f"Occupied — sitting for {_spell_words(spell)}"
        if limit:
            text += f" (limit {durations.setting(float(limit))})"
        parts.append(text)
    elif occ == Occupancy.EMPTY:
        parts.append("Nobody in view" if camera_only(d) else "Seat empty")
    else:
        parts.append("Waiting for the camera" if camera_only(d) else "Waiting for the cushion")
    if occ == Occupancy.OCCUPIED:
        if d.get("posture"):
            parts.append(f"posture {posture_label(d['posture'], bool(d.get('seat_only')))}")
        if d.get("balance"):
            parts.append(label(d["balance"]))
    wallet = d.get("wallet")
    if isinstance(wallet, dict) and wallet.get("state") == WalletState.SUSPECTED:
        side = f" ({wallet['side']})" if wallet.get("side") else ""
        parts.append(f"something in a back pocket?{side}")
    if d.get("snoozed"):
        parts.append(f"nudges snoozed until {_clock_time(d['snoozed'], d)}")
    parts.append(_sensors_text(d))
    return " · ".join(parts)


def nudge_name(kind: str, entry: Mapping[str, Any]) -> str:
    """A nudge in plain words, by its status entry: a slouch nudge by the posture it was
    about (``slouching``, ``leaning forward``: its kind alone read "posture"), the others by
    their kind (``lopsided``, ``time to move`` ...)."""
    if kind == NudgeKind.SLOUCH:
        leaning = entry.get("posture") == Posture.LEANING_FORWARD
        return FEEDBACK_LABELS[FeedbackKind.LEANING_FORWARD if leaning else FeedbackKind.SLOUCH]
    return label(kind)


def _detail_line(d: dict[str, Any], pid: bool) -> str:
    bits = []
    cal = d.get("calibration") or {}
    if cal.get("method"):
        age = cal.get("age")
        when = f", {durations.ago(float(age))}" if age is not None else ""
        ways = cal.get("learned")
        if isinstance(ways, int) and ways > 0:
            when += (f"; {ways} way{'s' if ways > 1 else ''} of sitting upright clear of the "
                     "backrest learned")
        bits.append(f"calibrated ({cal['method']}{when})")
    else:
        bits.append("not calibrated yet")
    nudges = d.get("nudges") or {}
    if nudges:
        kind, info = max(nudges.items(), key=lambda kv: str((kv[1] or {}).get("at")))
        ago = _since((info or {}).get("at"), d)
        when = f" {durations.ago(ago)}" if ago is not None else ""
        bits.append(f"last nudge: {nudge_name(kind, info or {})}{when}")
    else:
        bits.append("no nudges yet")
    up = _since(d.get("started"), d)
    running = [f"pid {d.get('pid')}"] if pid else []
    if up is not None:
        running.append(durations.uptime(up))
    if running:
        bits.append(", ".join(running))
    return " · ".join(bits)


#: What reading a value of a status file damaged on disk raises (a string for a number ...).
DAMAGED = (TypeError, ValueError, AttributeError, KeyError, OverflowError)


def format_status(d: dict[str, Any], *, pid: bool = True, start: str = START_HINT,
                  restart: Callable[[str], str] | None = None) -> str:
    """A short human view of :func:`read_status`'s result (plain text); a file whose values
    are not what the daemon writes (damaged on disk) is reported, never a traceback. ``pid``
    False: leave out the daemon's process id, which is for this computer's terminal (`kill`,
    `journalctl`) and of no use on a web page, where it tells other machines about this one.
    ``start``: how to start a sitwatch that is not running (the command line says it for what
    is installed here, :func:`sitwatch.runtime.service.start_hint`). ``restart``: how to have
    sitwatch do something (:func:`sitwatch.runtime.service.restart_hint` for the situation at
    hand, given the words after "to"), for a damaged file."""
    try:
        return _format_status(d, pid, start)
    except DAMAGED as e:
        return damaged_text(d, e, restart)


def damaged_text(d: dict[str, Any], e: Exception,
                 restart: Callable[[str], str] | None = None) -> str:
    """What to say of a status file with a value sitwatch does not write (``e``: what reading
    it raised), and how to get a new one (``restart``: see :func:`format_status`)."""
    what = "write a new status file"
    hint = restart(what) if restart is not None else f"Start sitwatch again to {what}."
    return (f"Cannot read the status file {d.get('path')}: a value is not what sitwatch writes "
            f"({type(e).__name__}: {e}). {hint}")


def _format_status(d: dict[str, Any], pid: bool, start: str) -> str:
    if not d.get("exists"):
        return f"sitwatch is not running (no status file at {d.get('path')}).\n{start}"
    if d.get("error"):
        return f"Cannot read the status file {d.get('path')}: {d['error']}"
    if not d.get("running"):
        if d.get("stopped"):
            head = f"sitwatch is not running (stopped at {_clock_time(d['stopped'], d)})."
        else:
            head = (
                f"sitwatch is not running: it stopped unexpectedly (last update at "
                f"{_clock_time(d.get('updated'), d)}; see `journalctl --user -u sitwatch`)."
            )
        return f"{head}\n{start}"
    lines = []
    if d.get("stale") and d.get("unwritable"):
        age = d.get("age")
        who = f"sitwatch (pid {d.get('pid')})" if pid else "sitwatch"
        lines.append(
            f"{who} is running but cannot update its status file: {d['unwritable']}. It "
            "writes it again by itself once the folder is writable (or set `[status] file` "
            "to a writable place and restart sitwatch). Last known state, "
            f"{human_duration(float(age)) if age is not None else 'a while'} old:"
        )
    elif d.get("stale"):
        age = d.get("age")
        who = f"sitwatch (pid {d.get('pid')})" if pid else "sitwatch"
        lines.append(
            f"{who} has not updated its status for "
            f"{human_duration(float(age)) if age is not None else 'a while'}; it may "
            "be stuck (see `journalctl --user -u sitwatch`). Last known state:"
        )
    lines.append(_main_line(d))
    lines.append(_detail_line(d, pid))
    lines += _channel_lines(d)
    lines += [str(d[k]) for k in ("mqtt_shared", "mqtt_client_id") if d.get(k)]
    problem = d.get("history_problem")
    if isinstance(problem, str) and problem:
        lines.append(f"history: {problem}")
    return "\n".join(lines)


def _channel_lines(d: dict[str, Any]) -> list[str]:
    """Each channel's latest problem while it lasts (the MQTT broker refusing the login, a
    push service failing), in the channel's own words with the fix; led by the channel's name
    where those words do not start with it (a hook's "exited 1: ...")."""
    failing = d.get("channels")
    if not isinstance(failing, dict):
        return []
    return [str(text) if str(text).lower().startswith(str(name).lower()) else f"{name}: {text}"
            for name, text in failing.items() if text]


# -- a status bar's view ----------------------------------------------------------------------


def bar_state(d: dict[str, Any]) -> str:
    """One word for the bar's CSS class and icon: off | stale | paused | offline (no sensor
    sees the seat: the sitting timer stands still) | waiting | empty | sitting | posture |
    over."""
    if not d.get("exists") or d.get("error") or not d.get("running"):
        return "off"
    if d.get("stale"):
        return "stale"
    if d.get("paused"):
        return "paused"
    if d.get("timer_paused"):
        return "offline"
    occ = d.get("occupancy")
    if occ == Occupancy.EMPTY:
        return "empty"
    if occ != Occupancy.OCCUPIED:
        return "waiting"
    limit = d.get("sit_limit")
    if limit and float(d.get("spell_seconds") or 0.0) >= float(limit):
        return "over"
    posture, balance = d.get("posture"), d.get("balance")
    if (posture and posture != Posture.UPRIGHT) or (balance and balance != Balance.BALANCED):
        return "posture"
    return "sitting"


def _unseen_word(d: dict[str, Any]) -> str:
    """Why nothing sees the seat, in the bar's one word: the cushion is silent (connected, no
    frame) or offline, or (camera-only) the screen is locked or the camera offline."""
    if camera_only(d) and _screen_locked(d):
        return "locked"
    sensor = d.get("sensor")
    return "silent" if isinstance(sensor, dict) and sensor.get("silent") else "offline"


def bar_view(d: dict[str, Any], *, restart: Callable[[str], str] | None = None
             ) -> dict[str, Any]:
    """What waybar's ``return-type: json`` reads (``text``, ``alt``, ``tooltip``, ``class``,
    ``percentage``); i3blocks and polybar take the ``text``. ``percentage`` is the share of the
    sitting limit used, for format-icons. A damaged status file is ``status?`` (class
    ``error``), its tooltip says what is wrong (``restart``: see :func:`format_status`)."""
    try:
        return _bar_view(d, restart)
    except DAMAGED as e:
        return {"text": "status?", "alt": "error", "tooltip": damaged_text(d, e, restart),
                "class": "error", "percentage": 0}


def _bar_view(d: dict[str, Any], restart: Callable[[str], str] | None) -> dict[str, Any]:
    state = bar_state(d)
    spell = float(d.get("spell_seconds") or 0.0)
    limit = d.get("sit_limit")
    # whole minutes rounded as the tooltip's (format_status) are: "1 min" beside "sitting
    # for 2 min" read as two clocks
    minutes = f"{int(spell // 60 + (spell % 60 >= 30))} min" if spell >= 60 else "<1 min"
    if state in ("sitting", "posture", "over"):
        text = minutes
        if state == "posture" and d.get("posture") and d["posture"] != Posture.UPRIGHT:
            text += f" · {label(d['posture'])}"
        elif state == "posture" and d.get("balance"):
            text += f" · {label(d['balance'])}"
    elif state == "offline" and d.get("occupancy") == Occupancy.OCCUPIED:
        text = f"{minutes} · {_unseen_word(d)}"  # the spell as last seen, standing still
    else:
        text = {"off": "off", "stale": "stuck?", "paused": "paused", "empty": "away",
                "waiting": "waiting", "offline": _unseen_word(d)}[state]
    if state != "off" and d.get("snoozed") and not d.get("paused"):
        text += " (snoozed)"
    pct = min(100, round(100 * spell / float(limit))) if limit and state != "off" else 0
    return {
        "text": text,
        "alt": state,
        "tooltip": format_status(d, restart=restart),
        "class": state,
        "percentage": pct,
    }


# -- presence, for scripts (sitwatch status --watch) ------------------------------------------


def presence_state(d: dict[str, Any]) -> Presence:
    """The one word other programs get (the D-Bus ``State`` too): sitting | away | paused |
    unknown (not decided, nothing sees the seat: the cushion offline, camera-only the screen
    locked; or the daemon stuck) | off (not running)."""
    if not d.get("exists") or d.get("error") or not d.get("running"):
        return Presence.OFF
    if d.get("paused"):
        return Presence.PAUSED
    sensor = d.get("sensor")
    if d.get("stale") or d.get("timer_paused") or (isinstance(sensor, dict)
                                                   and sensor.get("online") is False):
        return Presence.UNKNOWN
    occ = d.get("occupancy")
    if occ == Occupancy.OCCUPIED:
        return Presence.SITTING
    if occ == Occupancy.EMPTY:
        return Presence.AWAY
    return Presence.UNKNOWN


#: The fields of a watch line that make a new line when they change (the rest ride along).
WATCH_KEY = ("state", "posture", "balance", "snoozed", "last_break")


def watch_view(d: dict[str, Any]) -> dict[str, Any]:
    """One ``sitwatch status --watch`` line (docs/presence.md): the presence state with what a
    script wants beside it. Values the daemon did not write are null, never an error."""
    state = presence_state(d)
    live = state not in (Presence.OFF,)
    spell: float | None = None
    try:
        spell = round(float(d.get("spell_seconds") or 0.0), 1) if live else None
    except (TypeError, ValueError):
        spell = None
    since = None
    if state == Presence.SITTING and spell is not None:
        try:
            ref = datetime.fromisoformat(str(d.get("updated")))
            since = (ref - timedelta(seconds=spell)).isoformat(timespec="seconds")
        except ValueError:
            since = None
    last = d.get("last_break") if live else None
    return {
        "state": str(state),
        "at": d.get("updated") if live else None,
        "sitting_since": since,
        "spell_seconds": spell,
        "posture": d.get("posture") if state == Presence.SITTING else None,
        "balance": d.get("balance") if state == Presence.SITTING else None,
        "snoozed": bool(d.get("snoozed")) if live else False,
        "paused": d.get("paused") if live else None,
        "last_break": last if isinstance(last, dict) else None,
    }
