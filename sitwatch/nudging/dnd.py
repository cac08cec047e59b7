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
  only XWayland windows can be seen, so a native Wayland window never counts.
- ``microphone``: a call is probably going on because some program records from a microphone
  (``pactl list source-outputs``; PulseAudio or PipeWire's pulse server). A heuristic: dictation,
  voice assistants or a recording also count; a call with the microphone stream paused (corked)
  does not; recordings of a "monitor" source (screen recorders) and the mixers in
  :data:`DEFAULT_IGNORED_RECORDERS` are ignored.
- ``call_window``: a known call window is visible (``xdotool search --onlyvisible --name``, X11
  only; the titles in :data:`DEFAULT_CALL_WINDOWS` are a heuristic that follows the apps' own
  naming, which changes).

A missing tool, no session bus, no display or no sound server makes a probe "unknown": that is
logged once per probe and reason, and it never counts as busy. :class:`DoNotDisturb` asks the
probes in order, stops at the first "on", and keeps the answer for ``cache_seconds``.
:class:`DndGate` wraps a sink (the desktop, say) so that it gets no nudges while busy.

Probes call a :data:`Runner`; tests inject one that returns canned output.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from sitwatch.config import DEFAULT_CALL_WINDOWS, DEFAULT_IGNORED_RECORDERS
from sitwatch.core.clock import Clock
from sitwatch.core.events import NUDGE, Event

State = Literal["on", "off", "unknown"]
ON: State = "on"
OFF: State = "off"
UNKNOWN: State = "unknown"

PROBE_TIMEOUT = 2.0

# Debian packages that provide each tool, for the "not installed" hint.
TOOL_PACKAGES = {
    "gdbus": "libglib2.0-bin",
    "loginctl": "systemd",
    "xprop": "x11-utils",
    "pactl": "pulseaudio-utils",
    "xdotool": "xdotool",
}


PROBE_NAMES = ("screensaver", "logind", "fullscreen", "microphone", "call_window")


@dataclass(frozen=True)
class Reading:
    state: State
    reason: str


@dataclass(frozen=True)
class Completed:
    returncode: int
    stdout: str
    stderr: str = ""


class ToolMissing(Exception):
    """The program is not installed (or cannot be started)."""


class ToolTimeout(Exception):
    """The program did not answer within the probe's time limit."""


Runner = Callable[[Sequence[str]], Completed]


class CommandRunner:
    """Runs a tool with a time limit, in the C locale, with ``env``; raises ToolMissing or
    ToolTimeout. Output is text (undecodable bytes replaced)."""

    def __init__(self, env: Mapping[str, str] | None = None, *,
                 timeout: float = PROBE_TIMEOUT) -> None:
        self.env = dict(os.environ if env is None else env)
        self.env["LC_ALL"] = "C"
        self.timeout = timeout

    def __call__(self, argv: Sequence[str]) -> Completed:
        exe = shutil.which(argv[0], path=self.env.get("PATH") or os.defpath)
        if exe is None:
            raise ToolMissing(_missing(argv[0]))
        try:
            proc = subprocess.run(
                [exe, *argv[1:]], env=self.env, stdin=subprocess.DEVNULL, capture_output=True,
                text=True, errors="replace", timeout=self.timeout, check=False,
            )
        except subprocess.TimeoutExpired:
            raise ToolTimeout(f"{argv[0]} did not answer within {self.timeout:g} s") from None
        except OSError as e:
            raise ToolMissing(f"cannot run {argv[0]}: {e.strerror or e}") from None
        return Completed(proc.returncode, proc.stdout, proc.stderr)


def _missing(program: str) -> str:
    pkg = TOOL_PACKAGES.get(program)
    return f"{program} is not installed" + (f" (Debian: {pkg})" if pkg else "")


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


class Probe(Protocol):
    name: str

    def read(self) -> Reading:
        """One look; may raise ToolMissing / ToolTimeout (DoNotDisturb makes those unknown)."""
        ...


def session_bus(env: Mapping[str, str]) -> str | None:
    """The session bus address from ``env`` ($DBUS_SESSION_BUS_ADDRESS or
    $XDG_RUNTIME_DIR/bus), or None."""
    addr = env.get("DBUS_SESSION_BUS_ADDRESS", "").strip()
    if addr:
        return addr
    runtime = env.get("XDG_RUNTIME_DIR") or f"/run/user/{os.getuid()}"
    sock = Path(runtime) / "bus"
    return f"unix:path={sock}" if sock.exists() else None


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
            return Reading(UNKNOWN, "no X display ($DISPLAY is not set; Wayland windows "
                                    "cannot be checked)")
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
) -> list[Probe]:
    """The named probes (in the given order), sharing one runner."""
    env = dict(os.environ if env is None else env)
    run = run or CommandRunner(env)
    makers: dict[str, Callable[[], Probe]] = {
        "screensaver": lambda: ScreenSaverProbe(run, env),
        "logind": lambda: LogindProbe(run, env),
        "fullscreen": lambda: FullscreenProbe(run, env),
        "microphone": lambda: MicrophoneProbe(run, ignore=ignored_recorders),
        "call_window": lambda: CallWindowProbe(run, env, titles=call_windows),
    }
    out = []
    for name in names:
        if name not in makers:
            raise ValueError(f"unknown do-not-disturb probe {name!r} "
                             f"(known: {', '.join(PROBE_NAMES)})")
        out.append(makers[name]())
    return out


# -- the decision ------------------------------------------------------------------------------

class DoNotDisturb:
    """Asks the probes in order; busy at the first that says "on". Answers are cached for
    ``cache_seconds`` of ``clock.monotonic()`` time."""

    def __init__(
        self,
        probes: Sequence[Probe],
        clock: Clock,
        *,
        cache_seconds: float = 10.0,
        log: logging.Logger | None = None,
    ) -> None:
        self.probes = list(probes)
        self.clock = clock
        self.cache_seconds = cache_seconds
        self.log = log or logging.getLogger("sitwatch.nudging.dnd")
        self._cached: tuple[float, tuple[bool, str]] | None = None
        self._reported: set[tuple[str, str]] = set()
        self.checks = 0  # times the probes were actually asked

    def active(self) -> tuple[bool, str]:
        """(busy, why): why names the probe and what it saw; "" when not busy."""
        now = self.clock.monotonic()
        if self._cached is not None and now - self._cached[0] < self.cache_seconds:
            return self._cached[1]
        self.checks += 1
        result = (False, "")
        for probe in self.probes:
            reading = self.read(probe)
            if reading.state == ON:
                result = (True, f"{probe.name}: {reading.reason}")
                break
        self._cached = (now, result)
        return result

    def read(self, probe: Probe) -> Reading:
        """One probe's reading; errors become "unknown", logged once per probe and reason."""
        try:
            reading = probe.read()
        except (ToolMissing, ToolTimeout) as e:
            reading = Reading(UNKNOWN, str(e))
        except Exception as e:  # a probe must never stop a nudge or the daemon
            reading = Reading(UNKNOWN, f"{type(e).__name__}: {e}")
        if reading.state == UNKNOWN:
            key = (probe.name, reading.reason)
            if key not in self._reported and len(self._reported) < 40:
                self._reported.add(key)
                self.log.info("do-not-disturb: cannot check %s here (%s); it is ignored",
                              probe.name, reading.reason)
        return reading

    def readings(self) -> list[tuple[str, Reading]]:
        """Every probe's reading now, uncached (doctor, status)."""
        return [(p.name, self.read(p)) for p in self.probes]

    def check(self) -> tuple[bool, str]:
        """For ``sitwatch doctor``: (at least one probe works, one line)."""
        rs = self.readings()
        if not rs:
            return True, "do-not-disturb: no probes configured"
        works = [f"{n}: {r.state}" for n, r in rs if r.state != UNKNOWN]
        cannot = [f"{n} ({r.reason})" for n, r in rs if r.state == UNKNOWN]
        text = "do-not-disturb: " + ("; ".join(works) if works else "no probe works here")
        if cannot:
            text += "; cannot check: " + "; ".join(cannot)
        return bool(works), text

    def invalidate(self) -> None:
        self._cached = None


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
