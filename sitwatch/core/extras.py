"""How to install an optional part, worded for the way sitwatch itself was installed.

pipx users cannot ``pip install`` into sitwatch's environment; they need ``pipx inject``. Every
"install X to use Y" message takes its command from :func:`install_hint`. The command names the
extra's packages, not ``sitwatch[extra]``: sitwatch is not on PyPI, and the package of that name
there is another project, which ``pip install 'sitwatch[mqtt]'`` would fetch wherever this
sitwatch is not installed.
"""

from __future__ import annotations

import shlex
import shutil
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


def _pip(python: str | None = None) -> str:
    """``pip`` when the one on PATH is this Python's (an activated venv, the system's own),
    else this Python's by its path (``/home/u/sw/bin/python -m pip``): a venv's sitwatch run
    by its path, without activating the venv, would otherwise be told to install into
    whichever Python owns the ``pip`` on PATH, where it never sees the package."""
    python = python or sys.executable
    found = shutil.which("pip")
    if found and Path(found).parent == Path(python).parent:
        return "pip"
    return f"{shlex.quote(python)} -m pip"


def install_hint(extra: str, *, prefix: str | None = None, python: str | None = None) -> str:
    """The command that adds ``extra``: ``pipx inject sitwatch 'apprise>=1.6'`` under pipx,
    ``pip install 'apprise>=1.6'`` otherwise, into the environment sitwatch runs from
    (``python``, by default this one; see :func:`_pip`)."""
    packages = " ".join(f"'{p}'" if ">" in p else p for p in EXTRAS.get(extra, (extra,)))
    if installed_with_pipx(prefix):
        return f"pipx inject sitwatch {packages}"
    return f"{_pip(python)} install {packages}"
