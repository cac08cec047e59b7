"""Do not disturb: is now a bad moment to put a nudge on the screen?

Each probe answers "on" (busy: hold the nudge), "off" or "unknown" (cannot tell here), by asking
a small desktop tool, with a 2-second limit per call:

- ``screensaver``: the screen is locked or blanked. ``gdbus`` asks the session bus,
  ``org.freedesktop.ScreenSaver.GetActive`` (KDE, Xfce, Cinnamon, MATE ...), then
  ``org.gnome.ScreenSaver.GetActive`` (GNOME).
- ``logind``: systemd-logind's ``LockedHint`` of the session
  (``loginctl show-session $XDG_SESSION_ID -p LockedHint``; ``auto`` without that variable).
  Desktops that lock through logind set it; some lockers do not.
- ``fullscreen``: the active window is fullscreen (a film, a presentation, a game). X11 only:
  ``xprop -root _NET_ACTIVE_WINDOW``, then ``_NET_WM_STATE`` of that window contains
  ``_NET_WM_STATE_FULLSCREEN``. Needs an EWMH window manager (every common one). Under Wayland
  only XWayland windows can be seen here; ``wayland_fullscreen`` asks sway about the rest.
- ``microphone``: a call is probably going on because some program records from a microphone
  (``pactl list source-outputs``; PulseAudio or PipeWire's pulse server). A heuristic: dictation,
  voice assistants or a recording also count; a call with the microphone stream paused (corked)
  does not; recordings of a "monitor" source (screen recorders) and the mixers in
  :data:`DEFAULT_IGNORED_RECORDERS` are ignored.
- ``call_window``: a known call window is visible (``xdotool search --onlyvisible --name``, X11
  only; the titles in :data:`DEFAULT_CALL_WINDOWS` are a heuristic that follows the apps' own
  naming, which changes).

The probes beyond X11 (``notifications``, ``show_banners``, ``camera``, ``screen_share``,
``wayland_fullscreen``: the desktop's own do-not-disturb, another program using the camera,
screen sharing, fullscreen Wayland windows) are in :mod:`sitwatch.nudging.dnd_desktop`.

A missing tool, no session bus, no display or no sound server makes a probe "unknown": that is
logged once per probe and reason, and it never counts as busy. :class:`DoNotDisturb` asks the
probes in order, stops at the first "on", and keeps the answer for ``cache_seconds``.

The probes are subprocesses (up to 2 s each), so they never run on the daemon's loop: a
background thread asks them every ``cache_seconds`` (at least every second), and sooner when an
answer older than that is read. :meth:`DoNotDisturb.active` only reads the last answer and never
waits; :meth:`DoNotDisturb.answer` also says how old it is. Until the first round is done the
answer is "not busy", as when no probe can tell.

:class:`DndGate` wraps a sink (the desktop, say) so that it gets no nudges while busy.

Probes call a :data:`Runner`; tests inject one that returns canned output.
"""

from __future__ import annotations

import logging
import math
import os
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from sitwatch.config import (
    DEFAULT_CALL_WINDOWS,
    DEFAULT_DND_PROBES,
    DEFAULT_IGNORED_RECORDERS,
    Dnd,
)
from sitwatch.core.clock import Clock
from sitwatch.core.events import NUDGE, Event
from sitwatch.nudging.dnd_base import (
    OFF,
    ON,
    PROBE_TIMEOUT,
    TOOL_PACKAGES,
    UNKNOWN,
    CommandRunner,
    Completed,
    Probe,
    Reading,
    Runner,
    State,
    ToolMissing,
    ToolTimeout,
    _first_line,
    session_bus,
)

__all__ = [  # the shared parts are used from here too
    "OFF",
    "ON",
    "PROBE_TIMEOUT",
    "TOOL_PACKAGES",
    "UNKNOWN",
    "Answer",
    "CallWindowProbe",
    "CommandRunner",
    "Completed",
    "DndGate",
    "DoNotDisturb",
    "FullscreenProbe",
    "LogindProbe",
    "MicrophoneProbe",
    "Probe",
    "Reading",
    "Runner",
    "ScreenSaverProbe",
    "State",
    "ToolMissing",
    "ToolTimeout",
    "default_probes",
    "parse_source_outputs",
    "session_bus",
]

MIN_POLL = 1.0  # seconds between two background rounds at the least (cache_seconds may be 0)

PROBE_NAMES: tuple[str, ...] = DEFAULT_DND_PROBES  # the config's default order


# -- probes ------------------------------------------------------------------------------------

SCREENSAVERS = (
    ("org.freedesktop.ScreenSaver", "/org/freedesktop/ScreenSaver"),
    ("org.gnome.ScreenSaver", "/org/gnome/ScreenSaver"),
)


class ScreenSaverProbe:
    """The screen is locked or blanked, says the desktop's screensaver service."""

    name = "screensaver"

    def __init__(self, run: Runner, env: Mapping[str, str]) -> None:
        self.run = run
        self.env = env

    def read(self) -> Reading:
        bus = session_bus(self.env)
        if bus is None:
            return Reading(UNKNOWN, "no desktop session bus")
        for dest, path in SCREENSAVERS:
            out = self.run(["gdbus", "call", "--session", "--timeout", "1", "--dest", dest,
                            "--object-path", path, "--method", f"{dest}.GetActive"])
            if out.returncode == 0:
                answer = out.stdout.strip().lower()
                if answer.startswith("(true"):
                    return Reading(ON, f"screen locked ({dest})")
                if answer.startswith("(false"):
                    return Reading(OFF, f"screen not locked ({dest})")
        return Reading(UNKNOWN, "no screensaver service answers on the session bus")


class LogindProbe:
    """systemd-logind's LockedHint for the session."""

    name = "logind"

    def __init__(self, run: Runner, env: Mapping[str, str]) -> None:
        self.run = run
        self.session = env.get("XDG_SESSION_ID") or "auto"

    def read(self) -> Reading:
        out = self.run(["loginctl", "show-session", self.session, "-p", "LockedHint"])
        if out.returncode != 0:
            why = _first_line(out.stderr) or f"loginctl exited with {out.returncode}"
            return Reading(UNKNOWN, f"logind: {why}")
        m = re.search(r"^LockedHint=(\w+)", out.stdout, re.MULTILINE)
        if m is None:
            return Reading(UNKNOWN, "logind does not report LockedHint")
        if m.group(1) == "yes":
            return Reading(ON, f"session {self.session} is locked")
        return Reading(OFF, f"session {self.session} is not locked")


class FullscreenProbe:
    """The active X11 window is fullscreen (EWMH)."""

    name = "fullscreen"

    def __init__(self, run: Runner, env: Mapping[str, str]) -> None:
        self.run = run
        self.display = env.get("DISPLAY", "")

    def read(self) -> Reading:
        if not self.display:
            return Reading(UNKNOWN, "no X display ($DISPLAY is not set; Wayland windows are "
                                    "wayland_fullscreen's)")
        root = self.run(["xprop", "-display", self.display, "-root", "_NET_ACTIVE_WINDOW",
                         "_NET_SUPPORTING_WM_CHECK"])
        if root.returncode != 0:
            return Reading(UNKNOWN, f"xprop: {_first_line(root.stderr) or 'failed'}")
        m = re.search(r"^_NET_ACTIVE_WINDOW\(WINDOW\): window id # (0x[0-9a-fA-F]+)",
                      root.stdout, re.MULTILINE)
        if m is None:
            if "_NET_SUPPORTING_WM_CHECK(WINDOW)" in root.stdout:
                return Reading(OFF, "no active window")  # an EWMH window manager, no focus yet
            return Reading(UNKNOWN, "no EWMH window manager publishes the active window")
        wid = m.group(1)
        if int(wid, 16) == 0:
            return Reading(OFF, "no active window")
        win = self.run(["xprop", "-display", self.display, "-id", wid, "_NET_WM_STATE",
                        "WM_CLASS"])
        if win.returncode != 0:  # the window closed between the two calls
            return Reading(OFF, "the active window went away")
        state = re.search(r"^_NET_WM_STATE\(ATOM\) = (.*)$", win.stdout, re.MULTILINE)
        if state and "_NET_WM_STATE_FULLSCREEN" in state.group(1).split(", "):
            cls = re.search(r'^WM_CLASS\(STRING\) = (.*)$', win.stdout, re.MULTILINE)
            app = cls.group(1).split(", ")[-1].strip('"') if cls else wid
            return Reading(ON, f"fullscreen window ({app})")
        return Reading(OFF, "the active window is not fullscreen")


class MicrophoneProbe:
    """Some program records from a microphone: probably a call (a heuristic)."""

    name = "microphone"

    def __init__(self, run: Runner, *,
                 ignore: Iterable[str] = DEFAULT_IGNORED_RECORDERS) -> None:
        self.run = run
        self.ignore = {s.lower() for s in ignore}

    def read(self) -> Reading:
        out = self.run(["pactl", "list", "source-outputs"])
        if out.returncode != 0:
            why = _first_line(out.stderr) or f"pactl exited with {out.returncode}"
            return Reading(UNKNOWN, f"no sound server to ask ({why})")
        streams = parse_source_outputs(out.stdout)
        if not streams:
            return Reading(OFF, "nothing records from a microphone")
        monitors: set[str] = set()
        if any(s.get("source") for s in streams):
            src = self.run(["pactl", "list", "short", "sources"])
            if src.returncode == 0:
                monitors = {
                    cols[0] for cols in (line.split("\t") for line in src.stdout.splitlines())
                    if len(cols) > 1 and cols[1].endswith(".monitor")
                }
        users = []
        for s in streams:
            app = s.get("application.name") or s.get("application.process.binary") or "?"
            names = {s.get("application.name", "").lower(),
                     s.get("application.process.binary", "").lower()}
            if s.get("corked") == "yes" or s.get("source") in monitors or names & self.ignore:
                continue
            users.append(app)
        if users:
            return Reading(ON, f"microphone in use by {', '.join(sorted(set(users)))}")
        return Reading(OFF, "nothing records from a microphone")


def parse_source_outputs(text: str) -> list[dict[str, str]]:
    """``pactl list source-outputs`` (C locale) to one dict per stream: source, corked and
    the properties (application.name ...)."""
    streams: list[dict[str, str]] = []
    cur: dict[str, str] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("Source Output #"):
            cur = {"id": line.removeprefix("Source Output #")}
            streams.append(cur)
        elif cur is None:
            continue
        elif line.startswith("Source:"):
            cur["source"] = line.partition(":")[2].strip()
        elif line.startswith("Corked:"):
            cur["corked"] = line.partition(":")[2].strip()
        elif " = " in line:
            key, _, value = line.partition(" = ")
            if key.count(".") >= 1 and " " not in key:
                cur.setdefault(key, value.strip().strip('"'))
    return streams


class CallWindowProbe:
    """A visible window whose title names a call (X11, xdotool)."""

    name = "call_window"

    def __init__(self, run: Runner, env: Mapping[str, str], *,
                 titles: Iterable[str] = DEFAULT_CALL_WINDOWS) -> None:
        self.run = run
        self.display = env.get("DISPLAY", "")
        self.titles = [t for t in titles if t]
        # xdotool matches POSIX extended regexes (case-insensitive); titles are literal text.
        self.pattern = "|".join(_ere_escape(t) for t in self.titles)

    def read(self) -> Reading:
        if not self.display:
            return Reading(UNKNOWN, "no X display ($DISPLAY is not set)")
        if not self.titles:
            return Reading(OFF, "no call window titles configured")
        out = self.run(["xdotool", "search", "--onlyvisible", "--name", self.pattern])
        ids = out.stdout.split()
        if out.returncode == 0 and ids:
            name = self.run(["xdotool", "getwindowname", ids[0]])
            title = _first_line(name.stdout) if name.returncode == 0 else ids[0]
            return Reading(ON, f"call window open ({title})")
        if out.returncode == 1 and not out.stderr.strip():
            return Reading(OFF, "no call window open")
        return Reading(UNKNOWN, f"xdotool: {_first_line(out.stderr) or 'failed'}")


def _ere_escape(text: str) -> str:
    return re.sub(r"([.^$*+?()\[\]{}|\\])", r"\\\1", text)


def default_probes(
    names: Iterable[str] = PROBE_NAMES,
    *,
    env: Mapping[str, str] | None = None,
    run: Runner | None = None,
    call_windows: Iterable[str] = DEFAULT_CALL_WINDOWS,
    ignored_recorders: Iterable[str] = DEFAULT_IGNORED_RECORDERS,
    camera_devices: Iterable[str] | None = None,
    screen_share_streams: Iterable[str] | None = None,
) -> list[Probe]:
    """The named probes (in the given order), sharing one runner. Those beyond X11 live in
    :mod:`sitwatch.nudging.dnd_desktop`."""
    from sitwatch.nudging import dnd_desktop as desk

    env = dict(os.environ if env is None else env)
    run = run or CommandRunner(env)
    cameras = desk.DEFAULT_CAMERA_DEVICES if camera_devices is None else camera_devices
    shares = (desk.DEFAULT_SCREEN_SHARE_STREAMS if screen_share_streams is None
              else screen_share_streams)
    makers: dict[str, Callable[[], Probe]] = {
        "screensaver": lambda: ScreenSaverProbe(run, env),
        "logind": lambda: LogindProbe(run, env),
        "fullscreen": lambda: FullscreenProbe(run, env),
        "microphone": lambda: MicrophoneProbe(run, ignore=ignored_recorders),
        "call_window": lambda: CallWindowProbe(run, env, titles=call_windows),
        "notifications": lambda: desk.NotificationServerProbe(run, env),
        "show_banners": lambda: desk.ShowBannersProbe(run, env),
        "camera": lambda: desk.CameraProbe(cameras),
        "screen_share": lambda: desk.ScreenShareProbe(run, streams=shares, env=env),
        "wayland_fullscreen": lambda: desk.WaylandFullscreenProbe(run, env),
    }
    out = []
    for name in names:
        if name not in makers:
            raise ValueError(f"unknown do-not-disturb probe {name!r} "
                             f"(known: {', '.join(PROBE_NAMES)})")
        out.append(makers[name]())
    return out


# -- the decision ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Answer:
    """The last do-not-disturb answer: busy or not (``why`` names the probe and what it saw),
    and its ``age`` in seconds of ``clock.monotonic()`` time (None: no round has finished yet,
    which counts as not busy)."""

    busy: bool
    why: str
    age: float | None


class DoNotDisturb:
    """Asks the probes in order; busy at the first that says "on". Answers are cached for
    ``cache_seconds`` of ``clock.monotonic()`` time.

    The probes run on a background thread (started by :meth:`start`, or by the first read):
    every ``max(cache_seconds, MIN_POLL)`` seconds when ``poll`` is on, and whenever an answer
    older than ``cache_seconds`` is read. Reading (:meth:`active`, :meth:`answer`) never waits
    for them. :meth:`refresh` asks them on the caller's thread; :meth:`close` stops the thread.
    """

    def __init__(
        self,
        probes: Sequence[Probe],
        clock: Clock,
        *,
        cache_seconds: float = 10.0,
        log: logging.Logger | None = None,
        poll: bool = True,
    ) -> None:
        self.probes = list(probes)
        self.clock = clock
        self.cache_seconds = cache_seconds
        self.log = log or logging.getLogger("sitwatch.nudging.dnd")
        self.poll = poll
        self._cached: tuple[float, tuple[bool, str]] | None = None  # (asked at, answer)
        self._reported: set[tuple[str, str]] = set()
        self._report_lock = threading.Lock()
        self._cv = threading.Condition()
        self._wanted = False  # a round was asked for
        self._running = False  # a round is under way (on the background thread)
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.checks = 0  # times the probes were actually asked

    # -- reading the answer (never waits) ------------------------------------------------------

    def active(self) -> tuple[bool, str]:
        """(busy, why): why names the probe and what it saw; "" when not busy. The last answer;
        never waits for the probes."""
        a = self.answer()
        return a.busy, a.why

    def answer(self) -> Answer:
        """The last answer with its age. An answer older than ``cache_seconds`` (or none) asks
        the background thread for a new one; this call does not wait for it."""
        now = self.clock.monotonic()
        with self._cv:
            cached = self._cached
            if cached is None or now - cached[0] >= self.cache_seconds:
                self._want()
        if cached is None:
            return Answer(False, "", None)
        (busy, why), age = cached[1], max(0.0, now - cached[0])
        return Answer(busy, why, age)

    def invalidate(self) -> None:
        """Forget how fresh the answer is: the next read asks the probes again (in the
        background; until then it still returns the last answer)."""
        with self._cv:
            if self._cached is not None:
                self._cached = (-math.inf, self._cached[1])

    # -- asking the probes ---------------------------------------------------------------------

    def refresh(self) -> tuple[bool, str]:
        """Ask the probes now, on the caller's thread (up to 2 s per probe), and keep the
        answer. For doctor and tests; the daemon reads :meth:`active`."""
        at = self.clock.monotonic()
        result = self._ask()
        with self._cv:
            self._keep(at, result)
        return result

    def start(self) -> None:
        """Start the background thread (once) and ask for a first answer."""
        with self._cv:
            if self._cached is None:
                self._want()
            else:
                self._ensure_thread()

    def wait_idle(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s until no round is asked for or under way (tests, doctor);
        True if so."""
        with self._cv:
            return self._cv.wait_for(lambda: not (self._wanted or self._running), timeout)

    def close(self, timeout: float = PROBE_TIMEOUT + 1.0) -> None:
        """Stop the background thread; a round under way gets up to ``timeout`` s."""
        with self._cv:
            self._stopping = True
            thread = self._thread
            self._cv.notify_all()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _want(self) -> None:
        """Ask the background thread for a round, unless one is under way (call with _cv)."""
        if self._stopping or self._running:
            return
        if not self._ensure_thread():
            return
        self._wanted = True
        self._cv.notify_all()

    def _ensure_thread(self) -> bool:
        """The background thread runs (call with _cv held); False if it cannot."""
        if self._thread is not None:
            return True
        if self._stopping:
            return False
        t = threading.Thread(target=self._run, name="sitwatch-dnd", daemon=True)
        try:
            t.start()
        except RuntimeError as e:  # no thread to be had: the answer stays as it is
            self._report("thread", str(e), "do-not-disturb: cannot run the probes in the "
                         f"background ({e}); nudges are not held", logging.WARNING)
            return False
        self._thread = t
        return True

    def _run(self) -> None:
        interval = max(self.cache_seconds, MIN_POLL) if self.poll else None
        while True:
            with self._cv:
                self._cv.wait_for(lambda: self._wanted or self._stopping, interval)
                if self._stopping:
                    self._wanted = False
                    self._cv.notify_all()
                    return
                self._wanted = False
                self._running = True
                at = self.clock.monotonic()
            result: tuple[bool, str] | None = None
            try:
                result = self._ask()
            except Exception as e:  # _ask contains the probes' errors; this is a bug
                self.log.exception("do-not-disturb: a round of probes failed: %s", e)
            finally:
                with self._cv:
                    self._running = False
                    if result is not None:
                        self._keep(at, result)
                    self._cv.notify_all()

    def _keep(self, at: float, result: tuple[bool, str]) -> None:
        if self._cached is None or at >= self._cached[0]:  # never replace a newer answer
            self._cached = (at, result)

    def _ask(self) -> tuple[bool, str]:
        """One round: the probes in order, up to the first that says "on"."""
        self.checks += 1
        for probe in self.probes:
            reading = self.read(probe)
            if reading.state == ON:
                return True, f"{probe.name}: {reading.reason}"
        return False, ""

    def _report(self, probe: str, reason: str, text: str, level: int = logging.INFO) -> None:
        """Log ``text`` once per (probe, reason); the probes run on two threads (background
        rounds, and doctor's or a test's direct ones)."""
        key = (probe, reason)
        with self._report_lock:
            first = key not in self._reported and len(self._reported) < 40
            if first:
                self._reported.add(key)
        if first:
            self.log.log(level, "%s", text)

    def read(self, probe: Probe) -> Reading:
        """One probe's reading; errors become "unknown", logged once per probe and reason."""
        try:
            reading = probe.read()
        except (ToolMissing, ToolTimeout) as e:
            reading = Reading(UNKNOWN, str(e))
        except Exception as e:  # a probe must never stop a nudge or the daemon
            reading = Reading(UNKNOWN, f"{type(e).__name__}: {e}")
        if reading.state == UNKNOWN:
            self._report(probe.name, reading.reason, f"do-not-disturb: cannot check {probe.name} "
                         f"here ({reading.reason}); it is ignored")
        return reading

    def readings(self) -> list[tuple[str, Reading]]:
        """Every probe's reading now, uncached (doctor, status)."""
        return [(p.name, self.read(p)) for p in self.probes]

    def check(self) -> tuple[bool, str]:
        """For ``sitwatch doctor``: (at least one probe works, one line)."""
        rs = self.readings()
        if not rs:
            return True, "do-not-disturb: no probes configured"
        works = [f"{n}: {r.state} ({r.reason})" for n, r in rs if r.state != UNKNOWN]
        cannot = [f"{n} ({r.reason})" for n, r in rs if r.state == UNKNOWN]
        text = "do-not-disturb: " + ("; ".join(works) if works else "no probe works here")
        if cannot:
            text += "; cannot tell here: " + "; ".join(cannot)
        return bool(works), text


def from_config(d: Dnd, clock: Clock, *, start: bool = True) -> DoNotDisturb | None:
    """The probes ``[nudges.dnd]`` asks for, when it is enabled (the daemon's, and
    ``sitwatch companion``'s for another machine's nudges). They run on a background thread,
    started here unless ``start`` is False (doctor asks them directly)."""
    if not d.enabled:
        return None
    try:
        probes = default_probes(
            d.probes, call_windows=d.call_windows, ignored_recorders=d.ignored_recorders,
            camera_devices=d.camera_devices, screen_share_streams=d.screen_share_streams,
        )
        dnd = DoNotDisturb(
            probes, clock, cache_seconds=d.cache_seconds,
            log=logging.getLogger("sitwatch.nudging.dnd"),
        )
    except Exception as e:  # probes are a nicety; never a reason not to start
        logging.getLogger("sitwatch").info("do-not-disturb detection unavailable: %s", e)
        return None
    if start:
        dnd.start()
    return dnd


class Sink(Protocol):
    name: str

    def handle(self, event: Event) -> None: ...

    def close(self) -> None: ...


class DndGate:
    """A sink that passes events to ``sink`` but holds back nudges while ``dnd`` says busy.

    Held nudges are counted and logged (info, with the reason), not delivered later: a
    slouch nudge twenty minutes late is wrong; the nudge engine's cooldowns bring the
    reminder back if it still applies.
    """

    def __init__(self, sink: Sink, dnd: DoNotDisturb, *, log: logging.Logger) -> None:
        self.sink = sink
        self.dnd = dnd
        self.log = log
        self.name = str(getattr(sink, "name", type(sink).__name__))
        self.held = 0

    def handle(self, event: Event) -> None:
        if event.event == NUDGE:
            busy, why = self.dnd.active()
            if busy:
                self.held += 1
                self.log.info("do not disturb (%s): %s nudge not sent to %s", why,
                              event.get("kind"), self.name)
                return
        self.sink.handle(event)

    def close(self) -> None:
        self.sink.close()
