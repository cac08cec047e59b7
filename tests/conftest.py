"""Shared fixtures. Real datasets live in ../shared/datasets beside the project root.

The tree mirrors the package: tests/unit/<package>/ (fakes, injected clocks; `make test-fast`),
tests/integration/ (real parts: ptys, dunst, mosquitto, SQLite, the pose model, Chromium) and
tests/e2e/ (whole commands against the recordings). Fixtures for real servers and the camera
live in tests/helpers/ and are loaded here for every folder.
"""

from __future__ import annotations

import os
import pty
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Speed is measured in benchmarks, not asserted by tests: Hypothesis's own timing checks (a
# 200 ms deadline per example, "input generation is slow") fail property tests on a loaded
# machine for reasons that say nothing about sitwatch.
settings.register_profile("sitwatch", deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("sitwatch")

pytest_plugins = ["tests.helpers.camera_fixtures", "tests.helpers.server_fixtures"]

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SITWATCH_SHARED", ROOT.parent / "shared"))
DATASETS = SHARED / "datasets"


@pytest.fixture
def in_berlin(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process's local time is Berlin's (TZ, read again by time.tzset), whatever the
    machine's: for what reads the local zone in-process (the report command, the real clock)."""
    import time

    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture(autouse=True)
def _isolated_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Never touch the developer's real config, data or runtime dirs."""
    home = tmp_path_factory.mktemp("home")
    for var, sub in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_STATE_HOME", "state"),
        ("XDG_RUNTIME_DIR", "run"),
    ):
        d = home / sub
        d.mkdir()
        monkeypatch.setenv(var, str(d))
    for var in ("STATE_DIRECTORY", "CONFIGURATION_DIRECTORY", "RUNTIME_DIRECTORY", "NOTIFY_SOCKET",
                "SITWATCH_INSTANCE"):
        monkeypatch.delenv(var, raising=False)
    # no system instance in tests unless one asks for it (a fake tree under tmp)
    monkeypatch.setenv("SITWATCH_SYSTEM_ROOT", str(home / "no-system-instance"))
    from sitwatch.core import paths

    monkeypatch.setattr(paths, "_follow", False)  # commands run in-process set it


@pytest.fixture(scope="session")
def datasets_dir() -> Path:
    if not DATASETS.is_dir():
        pytest.skip(
            f"real recordings not found at {DATASETS} (clone with ../shared beside the repo)"
        )
    return DATASETS


@pytest.fixture
def serial_pty() -> Iterator[tuple[int, str]]:
    """A pseudo-terminal for a cushion's serial line: (the fd to write its lines into, the path
    the daemon opens as its port)."""
    master, slave = pty.openpty()
    yield master, os.ttyname(slave)
    os.close(master)
    os.close(slave)

