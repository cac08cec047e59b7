"""How to install an optional part, worded for the way sitwatch itself was installed.

pipx users cannot ``pip install`` into sitwatch's environment; they need ``pipx inject``. Every
"install X to use Y" message takes its command from :func:`install_hint`.
"""

from __future__ import annotations

import sys
from pathlib import Path

#: The extra of pyproject.toml behind each optional part, and the packages it brings.
EXTRAS: dict[str, tuple[str, ...]] = {
    "camera": ("mediapipe",),
    "mqtt": ("paho-mqtt",),
    "push": ("apprise",),
    "demo": ("rich",),
    "web": ("starlette", "uvicorn", "qrcode"),
    "dbus": ("jeepney",),
}


def installed_with_pipx(prefix: str | None = None) -> bool:
    """sitwatch runs from a pipx-managed environment (…/pipx/venvs/sitwatch)."""
    parts = Path(prefix or sys.prefix).parts
    return "venvs" in parts and any("pipx" in p for p in parts)


def install_hint(extra: str, *, prefix: str | None = None) -> str:
    """The command that adds ``extra``: ``pipx inject sitwatch apprise`` under pipx,
    ``pip install 'sitwatch[push]'`` otherwise."""
    if installed_with_pipx(prefix):
        return f"pipx inject sitwatch {' '.join(EXTRAS.get(extra, (extra,)))}"
    return f"pip install 'sitwatch[{extra}]'"
