"""Files that ship with sitwatch: layouts, the report template, and (in a built wheel) copies of
the repository's ``systemd/``, ``calibration/`` and ``docs/`` folders."""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent


def shipped(folder: str, *parts: str) -> Path:
    """A shipped file or folder: the installed copy in a wheel, else the repository's own (a
    source checkout or an editable install)."""
    installed = _HERE.joinpath(folder, *parts)
    if installed.exists():
        return installed
    return _HERE.parents[1].joinpath(folder, *parts)


def icon() -> Path:
    """sitwatch's own notification icon (a PNG, so every notification server can show it)."""
    return _HERE / "icons" / "sitwatch.png"
