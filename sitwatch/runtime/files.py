"""Where a running daemon keeps its files, from the config (or the XDG/systemd defaults).

The commands (status, snooze, report, doctor) and the daemon's assembly find the same files
through these functions.
"""

from __future__ import annotations

from pathlib import Path

from sitwatch.config import Config


def profile_path(cfg: Config) -> Path:
    from sitwatch.core import paths

    return (
        Path(cfg.calibration.profile).expanduser()
        if cfg.calibration.profile
        else (paths.data_dir() / "calibration.json")
    )


def status_stale_after(cfg: Config) -> float:
    """Seconds without a status update after which the daemon counts as stuck or gone."""
    return max(15.0, 5 * cfg.status.interval)


def status_path(cfg: Config) -> Path:
    from sitwatch.core import paths

    return (
        Path(cfg.status.file).expanduser()
        if cfg.status.file
        else (paths.runtime_dir() / "status.json")
    )


def control_path(cfg: Config) -> Path:
    return status_path(cfg).with_name("control.json")


def history_path(cfg: Config) -> Path:
    from sitwatch.core import paths

    return (
        Path(cfg.history.database).expanduser()
        if cfg.history.database
        else (paths.data_dir() / "history.sqlite")
    )
