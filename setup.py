"""Build hook: the wheel carries the files the commands point people to.

pyproject.toml holds all metadata; this only adds a copy of ``systemd/`` (the unit files and
their README), ``calibration/`` (example profiles and layouts) and ``docs/`` to the built
package as ``sitwatch/data/{systemd,calibration,docs}``, so a pipx install can find them
(``sitwatch doctor`` names them). The repository keeps one copy of each, at the top level.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
SHIPPED = ("systemd", "calibration", "docs")


class BuildWithShippedFiles(build_py):  # type: ignore[misc]
    def run(self) -> None:
        super().run()
        for name in SHIPPED:
            src = HERE / name
            if not src.is_dir():  # building from an sdist made without them: nothing to add
                continue
            dest = Path(self.build_lib) / "sitwatch" / "data" / name
            shutil.rmtree(dest, ignore_errors=True)
            shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildWithShippedFiles})
