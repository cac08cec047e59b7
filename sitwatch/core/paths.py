"""Where sitwatch keeps things (XDG via platformdirs; systemd's directories when set)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def _dirs() -> Any:
    from platformdirs import PlatformDirs

    return PlatformDirs("sitwatch", appauthor=False)


def config_dir() -> Path:
    env = os.environ.get("CONFIGURATION_DIRECTORY")
    return Path(env.split(":")[0]) if env else Path(_dirs().user_config_dir)


def data_dir() -> Path:
    env = os.environ.get("STATE_DIRECTORY")
    return Path(env.split(":")[0]) if env else Path(_dirs().user_data_dir)


def state_dir() -> Path:
    env = os.environ.get("STATE_DIRECTORY")
    return Path(env.split(":")[0]) if env else Path(_dirs().user_state_dir)


def runtime_dir() -> Path:
    env = os.environ.get("RUNTIME_DIRECTORY")
    if env:
        return Path(env.split(":")[0])
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    return Path(xdg) / "sitwatch" if xdg else state_dir()
