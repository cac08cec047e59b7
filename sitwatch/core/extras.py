"""How to install an optional part, worded for the way sitwatch itself was installed.

pipx users cannot ``pip install`` into sitwatch's environment; they need ``pipx inject``. Every
"install X to use Y" message takes its command from :func:`install_hint`. The command names the
extra's packages, not ``sitwatch[extra]``: sitwatch is not on PyPI, and the package of that name
there is another project, which ``pip install 'sitwatch[mqtt]'`` would fetch wherever this
sitwatch is not installed.
"""

from __future__ import annotations

import sys
from pathlib import Path

#: The extra of pyproject.toml behind each optional part, and the packages it brings (as
#: pyproject.toml requires them: a test keeps the two the same).
EXTRAS: dict[str, tuple[str, ...]] = {
    "camera": ("mediapipe>=0.10.14",),
    "mqtt": ("paho-mqtt>=2.0",),
    "push": ("apprise>=1.6",),
    "demo": ("rich>=13",),
    "web": ("starlette>=0.37", "uvicorn>=0.29", "qrcode>=7.4"),
    "dbus": ("jeepney>=0.8",),
}


def installed_with_pipx(prefix: str | None = None) -> bool:
    """sitwatch runs from a pipx-managed environment (…/pipx/venvs/sitwatch)."""
    parts = Path(prefix or sys.prefix).parts
    return "venvs" in parts and any("pipx" in p for p in parts)


def install_hint(extra: str, *, prefix: str | None = None) -> str:
    """The command that adds ``extra``: ``pipx inject sitwatch 'apprise>=1.6'`` under pipx,
    ``pip install 'apprise>=1.6'`` otherwise (into the environment sitwatch runs from)."""
    packages = " ".join(f"'{p}'" if ">" in p else p for p in EXTRAS.get(extra, (extra,)))
    if installed_with_pipx(prefix):
        return f"pipx inject sitwatch {packages}"
    return f"pip install {packages}"
