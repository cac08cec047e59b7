"""What a user or packager downloads: the sdist is the whole project, and the wheel carries the
files the commands point to (issue #14 item 20). Built for real with `python -m build`."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
SKIP = shutil.ignore_patterns(".git", ".venv", "__pycache__", "*.pyc", "build", "dist",
                              "*.egg-info", ".pytest_cache", ".hypothesis", ".mypy_cache",
                              ".ruff_cache", ".import_linter_cache")


@pytest.fixture(scope="module")
def dists(tmp_path_factory) -> tuple[set[str], set[str]]:
    src = tmp_path_factory.mktemp("src") / "sitwatch"
    shutil.copytree(ROOT, src, ignore=SKIP)
    out = src / "dist"
    proc = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(src)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")  # built from the sdist: proves the sdist is complete
    with tarfile.open(sdist) as tf:
        sd = {n.split("/", 1)[1] for n in tf.getnames() if "/" in n}
    with zipfile.ZipFile(wheel) as zf:
        wh = set(zf.namelist())
    return sd, wh


def test_the_sdist_is_the_whole_project(dists) -> None:
    sd, _ = dists
    for path in ("systemd/sitwatch.service", "systemd/sitwatch-pi.service", "systemd/README.md",
                 "systemd/99-sitwatch-cushion.rules", "docs/architecture.md", "docs/events.md",
                 "config/sitwatch.toml", "calibration/README.md", "tests/conftest.py",
                 "Makefile", "CHANGELOG.md", "README.md", "SECURITY.md", "LICENSE", "setup.py"):
        assert path in sd, path
    assert not any("__pycache__" in n for n in sd)


def test_the_wheel_carries_what_the_commands_point_to(dists) -> None:
    _, wh = dists
    for path in ("sitwatch/data/systemd/sitwatch.service", "sitwatch/data/systemd/README.md",
                 "sitwatch/data/systemd/sitwatch-pi.service",
                 "sitwatch/data/calibration/README.md", "sitwatch/data/docs/events.md",
                 "sitwatch/data/layouts/smartchair-12.toml", "sitwatch/data/report.html.j2",
                 "sitwatch/data/web/base.html.j2", "sitwatch/data/web/live.js",
                 "sitwatch/data/web/style.css", "sitwatch/data/systemd/sitwatch-serve.service",
                 "sitwatch/data/systemd/sitwatch-pi-serve.service",
                 "sitwatch/py.typed"):
        assert path in wh, path
    assert not any(n.startswith("tests/") for n in wh)


def test_doctor_points_at_files_that_exist() -> None:
    from sitwatch.cli.doctor import check_systemd

    _, _, detail = check_systemd()
    if "installed" in detail:
        pytest.skip("a user unit is installed here")
    shown = [w.strip("()") for w in detail.split() if "/" in w and w.endswith(
        (".service", ".md", ".md)"))]
    assert shown and all(Path(p.rstrip(")")).exists() for p in shown), detail
