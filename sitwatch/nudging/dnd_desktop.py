"""Do-not-disturb probes beyond X11: the desktop's own do-not-disturb, the camera, screen sharing
and fullscreen windows on Wayland. :mod:`sitwatch.nudging.dnd` runs them like its own probes
(background thread, cache, "unknown" never counts as busy).

- ``notifications``: the notification server's own do-not-disturb. First the ``Inhibited``
  property of ``org.freedesktop.Notifications`` (KDE Plasma; the specification's optional
  property), then dunst's pause (``paused`` on its ``org.dunstproject.cmd0`` interface: dunst
  1.9 has no ``Inhibited``; ``dunstctl set-paused true`` sets it). Both are read with
  ``gdbus`` (``org.freedesktop.DBus.Properties.Get``). Other servers (GNOME Shell, mako, xfce4-
  notifyd ...) say neither: "unknown", naming the server.
- ``show_banners``: GNOME's do-not-disturb switch, the ``show-banners`` key of
  ``org.gnome.desktop.notifications`` (``gsettings get``; false = do not disturb). Asked only in
  a GNOME session (``$XDG_CURRENT_DESKTOP``), since other desktops leave the key alone.
- ``camera``: another program holds a camera device open (``/dev/video*``): probably a call.
  Every readable ``/proc/<pid>/fd`` link is compared with the devices; sitwatch's own processes
  (this one, and any other whose command is sitwatch) never count. Processes of other users
  cannot be seen unless sitwatch runs as root.
- ``screen_share``: a screen is being shared or recorded. On GNOME, mutter keeps a D-Bus object
  per screen-cast session (the portal's screen sharing, remote desktop, the screen recorder)
  under ``/org/gnome/Mutter/ScreenCast/Session``: any child there is a session (``gdbus``,
  ``Introspect``). Elsewhere, a running PipeWire video stream whose name is one of
  ``screen_share_streams`` (``pw-dump``); GNOME's streams are named ``meta-screen-cast-src``,
  other compositors name theirs differently, so add what ``pw-dump`` shows while you share.
  Without either (X11 screen grabbers) this cannot be told.
- ``wayland_fullscreen``: the focused window is fullscreen, asked of the compositor. sway (and
  other i3-IPC compositors) through ``swaymsg -t get_tree`` (``fullscreen_mode``). GNOME Shell
  does not tell other programs (its ``Eval`` is closed since GNOME 41), nor do most other
  Wayland compositors: "unknown" there, saying so.
"""

from __future__ import annotations

import glob
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from sitwatch.nudging.dnd_base import (
    OFF,
    ON,
    UNKNOWN,
    Reading,
    Runner,
    ToolMissing,
    _first_line,
    session_bus,
)

NOTIFY = ("org.freedesktop.Notifications", "/org/freedesktop/Notifications")
DUNST_IFACE = "org.dunstproject.cmd0"
DEFAULT_CAMERA_DEVICES = ("/dev/video*",)
DEFAULT_SCREEN_SHARE_STREAMS = ("meta-screen-cast-src",)


def _desktops(env: Mapping[str, str]) -> list[str]:
    return [d.strip().lower() for d in env.get("XDG_CURRENT_DESKTOP", "").split(":") if d.strip()]


def _bool_variant(text: str) -> bool | None:
    """gdbus's printing of a boolean property, ``(<true>,)``; None for anything else."""
    m = re.fullmatch(r"\(<(true|false)>,\)", text.strip())
    return None if m is None else m.group(1) == "true"


class NotificationServerProbe:
    """The notification server's own do-not-disturb: ``Inhibited`` (KDE), or dunst's pause."""

    name = "notifications"

    def __init__(self, run: Runner, env: Mapping[str, str]) -> None:
        self.run = run
        self.env = env

    def _get(self, iface: str, prop: str) -> tuple[bool | None, str]:
        dest, path = NOTIFY
        out = self.run(["gdbus", "call", "--session", "--timeout", "1", "--dest", dest,
                        "--object-path", path, "--method",
                        "org.freedesktop.DBus.Properties.Get", iface, prop])
        if out.returncode != 0:
            return None, out.stderr
        return _bool_variant(out.stdout), ""

    def read(self) -> Reading:
        if session_bus(self.env) is None:
            return Reading(UNKNOWN, "no desktop session bus")
        inhibited, err = self._get(NOTIFY[0], "Inhibited")
        if inhibited is not None:
            return (Reading(ON, "the notification server's do-not-disturb is on") if inhibited
                    else Reading(OFF, "the notification server's do-not-disturb is off"))
        if "ServiceUnknown" in err or "NameHasNoOwner" in err:
            return Reading(UNKNOWN, "no notification server on the session bus")
        paused, _ = self._get(DUNST_IFACE, "paused")
        if paused is not None:
            return (Reading(ON, "dunst is paused") if paused
                    else Reading(OFF, "dunst is not paused"))
        return Reading(UNKNOWN, f"the notification server ({self._server()}) does not say "
                                "whether do-not-disturb is on")

    def _server(self) -> str:
        dest, path = NOTIFY
        out = self.run(["gdbus", "call", "--session", "--timeout", "1", "--dest", dest,
                        "--object-path", path, "--method", f"{dest}.GetServerInformation"])
        m = re.match(r"\('([^']*)'", out.stdout.strip()) if out.returncode == 0 else None
        return m.group(1) if m and m.group(1) else "unnamed"


class ShowBannersProbe:
    """GNOME's do-not-disturb: ``org.gnome.desktop.notifications show-banners`` is false."""

    name = "show_banners"
    SCHEMA = "org.gnome.desktop.notifications"

    def __init__(self, run: Runner, env: Mapping[str, str]) -> None:
        self.run = run
        self.env = env

    def read(self) -> Reading:
        if "gnome" not in _desktops(self.env):
            desk = self.env.get("XDG_CURRENT_DESKTOP", "") or "unset"
            return Reading(UNKNOWN, f"not a GNOME session ($XDG_CURRENT_DESKTOP is {desk})")
        out = self.run(["gsettings", "get", self.SCHEMA, "show-banners"])
        answer = out.stdout.strip()
        if out.returncode == 0 and answer in ("true", "false"):
            if answer == "false":
                return Reading(ON, "GNOME's do-not-disturb is on")
            return Reading(OFF, "GNOME's do-not-disturb is off")
        why = _first_line(out.stderr) or answer or f"gsettings exited with {out.returncode}"
        if "No such schema" in why:
            why = f"no {self.SCHEMA} settings (Debian: gsettings-desktop-schemas)"
        return Reading(UNKNOWN, f"gsettings: {why}")


class CameraProbe:
    """Another program holds a camera device open: probably a call."""

    name = "camera"

    def __init__(self, devices: Iterable[str] = DEFAULT_CAMERA_DEVICES, *,
                 proc: Path = Path("/proc")) -> None:
        self.patterns = [d for d in devices if d]
        self.proc = proc

    def _devices(self) -> set[str]:
        found: set[str] = set()
        for pattern in self.patterns:
            found.update(os.path.realpath(p) for p in glob.glob(pattern))
        return found

    def _holders(self, devices: set[str]) -> Iterator[tuple[int, str]]:
        proc = str(self.proc)
        try:
            pids = [e.name for e in os.scandir(proc) if e.name.isdigit()]
        except OSError:
            return
        readlink = os.readlink
        for pid in pids:
            fd_dir = f"{proc}/{pid}/fd"
            try:
                fds = os.listdir(fd_dir)
            except OSError:  # gone, or another user's
                continue
            for fd in fds:
                try:
                    target = readlink(f"{fd_dir}/{fd}")
                except OSError:
                    continue
                if target in devices:
                    yield int(pid), target
                    break

    def _command(self, pid: int) -> list[str]:
        try:
            raw = (self.proc / str(pid) / "cmdline").read_bytes()
        except OSError:
            return []
        return [a.decode(errors="replace") for a in raw.split(b"\0") if a]

    @staticmethod
    def _is_sitwatch(pid: int, argv: list[str]) -> bool:
        """This process, or another sitwatch (``sitwatch ...``, ``python -m sitwatch ...``)."""
        if pid == os.getpid():
            return True
        names = [os.path.basename(a) for a in argv[:3]]
        if names and names[0] == "sitwatch":
            return True
        return (len(names) > 1 and names[0].startswith("python")
                and (names[1] == "sitwatch" or argv[1:3] == ["-m", "sitwatch"]))

    def read(self) -> Reading:
        if not self.patterns:
            return Reading(UNKNOWN, "no camera devices configured")
        devices = self._devices()
        if not devices:
            return Reading(UNKNOWN, f"no camera found ({', '.join(self.patterns)})")
        users = []
        for pid, dev in self._holders(devices):
            argv = self._command(pid)
            if self._is_sitwatch(pid, argv):
                continue
            users.append(f"{os.path.basename(argv[0]) if argv else pid} on {dev}")
        if users:
            return Reading(ON, f"camera in use by {', '.join(sorted(set(users)))}")
        return Reading(OFF, "no other program uses the camera")


MUTTER_SESSIONS = ("org.gnome.Mutter.ScreenCast", "/org/gnome/Mutter/ScreenCast/Session")


class ScreenShareProbe:
    """A screen is shared or recorded: GNOME's screen-cast sessions, else a running PipeWire
    video stream with a known name."""

    name = "screen_share"

    def __init__(self, run: Runner, *,
                 streams: Iterable[str] = DEFAULT_SCREEN_SHARE_STREAMS,
                 env: Mapping[str, str] | None = None) -> None:
        self.run = run
        self.streams = [s.lower() for s in streams if s]
        self.env = env or {}

    def read(self) -> Reading:
        gnome = self._mutter()
        if gnome is not None:
            return gnome
        if not self.streams:
            return Reading(UNKNOWN, "no screen-sharing stream names configured")
        out = self.run(["pw-dump", "--no-colors"])
        if out.returncode != 0:
            why = _first_line(out.stderr) or f"pw-dump exited with {out.returncode}"
            return Reading(UNKNOWN, f"no PipeWire to ask ({why})")
        try:
            objects = json.loads(out.stdout or "[]")
        except ValueError:
            return Reading(UNKNOWN, "pw-dump printed something that is not JSON")
        hit = screen_streams(objects, self.streams)
        if hit:
            return Reading(ON, f"screen shared ({', '.join(hit)})")
        return Reading(OFF, "no screen-sharing stream running")

    def _mutter(self) -> Reading | None:
        """GNOME (mutter) keeps one D-Bus object per screen-cast session (screen sharing through
        the portal, remote desktop, the screen recorder) under MUTTER_SESSIONS; None when there
        is no GNOME to ask."""
        if session_bus(self.env) is None:
            return None
        dest, path = MUTTER_SESSIONS
        try:
            out = self.run(["gdbus", "call", "--session", "--timeout", "1", "--dest", dest,
                            "--object-path", path, "--method",
                            "org.freedesktop.DBus.Introspectable.Introspect"])
        except ToolMissing:
            return None
        if out.returncode != 0:
            return None
        # child nodes (a root node may carry its own path as its name: not a session)
        sessions = re.findall(r"<node name=\\?[\"']([^/\"'\\][^\"'\\]*)", out.stdout)
        if sessions:
            n = len(sessions)
            return Reading(ON, f"GNOME is sharing or recording the screen ({n} screen-cast "
                               f"session{'s' if n > 1 else ''})")
        return Reading(OFF, "GNOME has no screen-cast session")


def screen_streams(objects: Any, names: Iterable[str]) -> list[str]:
    """The running video streams in ``pw-dump``'s output whose media or node name contains one
    of ``names`` (lower case)."""
    wanted = list(names)
    hit = []
    for obj in objects if isinstance(objects, list) else []:
        if not isinstance(obj, dict) or obj.get("type") != "PipeWire:Interface:Node":
            continue
        info = obj.get("info") or {}
        props = info.get("props") or {}
        if not isinstance(props, dict) or info.get("state") != "running":
            continue
        if "Video" not in str(props.get("media.class", "")):
            continue
        label = " ".join(str(props.get(k, "")) for k in ("media.name", "node.name")).lower()
        if any(n in label for n in wanted):
            hit.append(str(props.get("node.name") or props.get("media.name")))
    return hit


class WaylandFullscreenProbe:
    """The focused Wayland window is fullscreen, where the compositor tells (sway)."""

    name = "wayland_fullscreen"

    def __init__(self, run: Runner, env: Mapping[str, str]) -> None:
        self.run = run
        self.env = env

    def _sway_socket(self) -> str | None:
        sock = self.env.get("SWAYSOCK", "").strip()
        if sock:
            return sock
        runtime = self.env.get("XDG_RUNTIME_DIR") or f"/run/user/{os.getuid()}"
        found = glob.glob(os.path.join(glob.escape(runtime), f"sway-ipc.{os.getuid()}.*.sock"))
        return max(found, key=os.path.getmtime) if found else None

    def read(self) -> Reading:
        desktops = _desktops(self.env)
        sock = self._sway_socket()
        if sock is not None:
            return self._sway(sock)
        if not self.env.get("WAYLAND_DISPLAY"):
            return Reading(UNKNOWN, "not a Wayland session")
        if "gnome" in desktops:
            return Reading(UNKNOWN, "GNOME Shell does not tell other programs which window is "
                                    "fullscreen (closed since GNOME 41)")
        desk = self.env.get("XDG_CURRENT_DESKTOP", "") or "unknown"
        return Reading(UNKNOWN, f"this Wayland compositor ({desk}) cannot be asked")

    def _sway(self, sock: str) -> Reading:
        out = self.run(["swaymsg", "-s", sock, "-r", "-t", "get_tree"])
        if out.returncode != 0:
            why = _first_line(out.stderr) or _first_line(out.stdout) or "failed"
            return Reading(UNKNOWN, f"swaymsg: {why}")
        try:
            tree = json.loads(out.stdout)
        except ValueError:
            return Reading(UNKNOWN, "swaymsg printed something that is not JSON")
        return sway_fullscreen(tree)


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if not isinstance(node, dict):
        return
    yield node
    for key in ("nodes", "floating_nodes"):
        for child in node.get(key) or []:
            yield from _walk(child)


def _has_focus(node: dict[str, Any]) -> bool:
    return any(n.get("focused") is True for n in _walk(node))


def sway_fullscreen(tree: Any) -> Reading:
    """``swaymsg -t get_tree`` to a reading: on if the focused window is fullscreen or inside a
    fullscreen container (``fullscreen_mode`` 1 = on its output, 2 = across all outputs)."""
    if not isinstance(tree, dict):
        return Reading(UNKNOWN, "swaymsg: unexpected tree")
    for node in _walk(tree):
        if node.get("type") not in ("con", "floating_con"):
            continue
        if node.get("fullscreen_mode") in (1, 2) and _has_focus(node):
            app = node.get("app_id") or (node.get("window_properties") or {}).get("class")
            return Reading(ON, f"fullscreen window ({app or node.get('name') or '?'})")
    return Reading(OFF, "the focused window is not fullscreen")
