"""Where sitwatch keeps things (XDG via platformdirs; systemd's directories when set).

Two kinds of instance exist. A **user instance** (``sitwatch run`` in a terminal, or the user
unit) keeps its files in the user's XDG folders. The **system instance** (the hardened
``sitwatch-pi`` unit on a Raspberry Pi) gets ``/etc/sitwatch``, ``/var/lib/sitwatch`` and
``/run/sitwatch`` from systemd, but only as environment variables inside the unit. So that
``sitwatch status``, ``report`` and ``snooze`` typed in a shell on the Pi find it, a command that
runs outside a unit and reads or steers a running daemon (:func:`follow_system_instance`) uses
the system instance's folders when the system instance is there and is more recent than
anything of the user's own (:func:`system_instance`). ``SITWATCH_INSTANCE=user|system``
overrides the guess. ``sitwatch run`` never follows: it is an instance of its own.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

_UNIT_VARS = ("CONFIGURATION_DIRECTORY", "STATE_DIRECTORY", "RUNTIME_DIRECTORY")
_follow = False


def follow_system_instance(on: bool = True) -> None:
    """For commands that read or steer a running daemon (status, report, snooze, pause,
    resume): look for the system instance too."""
    global _follow
    _follow = on


def _dirs() -> Any:
    from platformdirs import PlatformDirs

    return PlatformDirs("sitwatch", appauthor=False)


def system_root() -> Path:
    """``/``; packagers and tests may move the system instance's tree (SITWATCH_SYSTEM_ROOT)."""
    return Path(os.environ.get("SITWATCH_SYSTEM_ROOT") or "/")


def system_config_dir() -> Path:
    return system_root() / "etc/sitwatch"


def system_state_dir() -> Path:
    return system_root() / "var/lib/sitwatch"


def system_runtime_dir() -> Path:
    return system_root() / "run/sitwatch"


def _user_runtime_dir() -> Path:
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    return Path(xdg) / "sitwatch" if xdg else Path(_dirs().user_state_dir)


def _mtime(p: Path) -> float | None:
    try:
        return p.stat().st_mtime
    except OSError:
        return None


def system_instance() -> bool:
    """True when this command should look at the system unit's files: it runs outside any
    unit, SITWATCH_INSTANCE is not ``user``, and the system instance has a status file or a
    history that is newer than the user's own (or the user has none)."""
    choice = os.environ.get("SITWATCH_INSTANCE", "")
    if choice == "system":
        return True
    if not _follow or choice == "user" or any(os.environ.get(v) for v in _UNIT_VARS):
        return False
    for sys_file, own_file in (
        (system_runtime_dir() / "status.json", _user_runtime_dir() / "status.json"),
        (system_state_dir() / "history.sqlite", Path(_dirs().user_data_dir) / "history.sqlite"),
    ):
        theirs = _mtime(sys_file)
        if theirs is None:
            continue
        mine = _mtime(own_file)
        return mine is None or theirs > mine
    return False


def config_dir() -> Path:
    env = os.environ.get("CONFIGURATION_DIRECTORY")
    if env:
        return Path(env.split(":")[0])
    own = Path(_dirs().user_config_dir)
    if not (own / "sitwatch.toml").exists() and system_instance():
        return system_config_dir()
    return own


def data_dir() -> Path:
    env = os.environ.get("STATE_DIRECTORY")
    if env:
        return Path(env.split(":")[0])
    return system_state_dir() if system_instance() else Path(_dirs().user_data_dir)


def state_dir() -> Path:
    env = os.environ.get("STATE_DIRECTORY")
    if env:
        return Path(env.split(":")[0])
    return system_state_dir() if system_instance() else Path(_dirs().user_state_dir)


def runtime_dir() -> Path:
    env = os.environ.get("RUNTIME_DIRECTORY")
    if env:
        return Path(env.split(":")[0])
    if system_instance():
        return system_runtime_dir()
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    return Path(xdg) / "sitwatch" if xdg else state_dir()
