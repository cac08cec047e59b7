"""What every do-not-disturb probe shares: the readings ("on", "off", "unknown"), the runner that
starts a desktop tool with a time limit, and the session bus address. :mod:`sitwatch.nudging.dnd`
(the X11 and sound probes, and the background thread that asks them all) and
:mod:`sitwatch.nudging.dnd_desktop` (the probes beyond X11) build on it."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

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
    "gsettings": "libglib2.0-bin",
    "pw-dump": "pipewire-bin",
    "swaymsg": "sway",
}




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
