"""Where a running daemon keeps its files, from the config (or the XDG/systemd defaults).

The commands (status, snooze, report, doctor) and the daemon's assembly find the same files
through these functions.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sitwatch.config import Config
from sitwatch.sensing.layout import Layout

if TYPE_CHECKING:
    from sitwatch.history.queries import Reader


def layout_slug(spec: str) -> str:
    """A file-name-safe name for a layout spec: ``smartchair-12``, ``grid-16x16``, a TOML file's
    stem."""
    import re

    name = Path(spec).stem if spec.endswith(".toml") else spec
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "layout"


def simulated(cfg: Config) -> bool:
    """The configured cushion is sitwatch's own simulator (``sitwatch simulate``, running)."""
    from sitwatch.core.simulated import is_simulated

    return is_simulated(cfg.cushion.port)


def not_live(cfg: Config) -> Config:
    """``cfg`` for work on a recording (replay, calibrate --recording): no cushion port, so the
    profile and history are the real ones whatever port the config names (a config pointing at
    the simulator made `replay` of a real recording use the simulator's calibration)."""
    return cfg.model_copy(update={"cushion": cfg.cushion.model_copy(update={"port": ""})})


def for_simulator(cfg: Config) -> Config:
    """``cfg`` for a recording the simulator made (its header says so): the simulator's
    calibration profile (and feedback beside it) in :func:`data_home`'s ``simulated`` folder,
    whatever ``calibration.profile`` names, so a simulated sitter never becomes your cushion's
    calibration."""
    name = f"calibration-{layout_slug(cfg.cushion.layout)}.json"
    profile = str(_simulated_home() / name)
    return cfg.model_copy(
        update={"calibration": cfg.calibration.model_copy(update={"profile": profile})})


def simulator_file(path: Path) -> bool:
    """``path`` lies in the folder of what is kept while watching the simulator."""
    return path.expanduser().resolve().parent == _simulated_home().resolve()


def data_home(cfg: Config) -> Path:
    """Where the daemon keeps what it learns about you: the data dir, or its ``simulated``
    folder while the cushion is the simulator, so that trying sitwatch on it leaves your
    history and your cushion's profile alone."""
    from sitwatch.core import paths

    return _simulated_home() if simulated(cfg) else paths.data_dir()


def _simulated_home() -> Path:
    """The data dir's folder for what is learned while watching the simulator."""
    from sitwatch.core import paths

    return paths.data_dir() / "simulated"


def simulated_history(cfg: Config) -> Path | None:
    """The history kept while the daemon watched the simulator (:func:`data_home`), when the
    config's own history is another file and that one exists: once ``sitwatch simulate`` has
    stopped, the commands look for the real history, and someone trying sitwatch out finds
    none there."""
    if cfg.history.database:
        return None  # the history the config names is the one written, simulator or not
    kept = _simulated_home() / "history.sqlite"
    return kept if kept.exists() and kept != history_path(cfg) else None


def simulated_history_instead(cfg: Config, reader: Reader) -> Path | None:
    """:func:`simulated_history`, when the history ``reader`` reads has never had a daemon
    run of its own (a diary entry alone makes one): whatever was sat is all in that other
    file, and the reports and pages say where."""
    from sitwatch.history import queries

    kept = simulated_history(cfg)
    return kept if kept is not None and not queries.runs(reader) else None


def left_alone(cfg: Config) -> str:
    """Your own calibration, when the config names it, which a daemon watching the simulator
    leaves alone (:func:`profile_path`), as ``calibration.profile (/path)``; '' when it names
    none."""
    if not cfg.calibration.profile:
        return ""
    return f"calibration.profile ({Path(cfg.calibration.profile).expanduser()})"


def profile_path(cfg: Config) -> Path:
    """Where the cushion's calibration is saved: calibration.profile, or one file per layout in
    the data dir (``calibration-smartchair-12.json``), so a profile taken with one device never
    blocks another; the simulator's are kept apart (:func:`data_home`), whatever
    calibration.profile names: that is your cushion's, never a simulated sitter's."""
    if cfg.calibration.profile and not simulated(cfg):
        return Path(cfg.calibration.profile).expanduser()
    return data_home(cfg) / f"calibration-{layout_slug(cfg.cushion.layout)}.json"


def legacy_profile_path() -> Path:
    """Where sitwatch 0.1 kept the one profile it had."""
    from sitwatch.core import paths

    return paths.data_dir() / "calibration.json"


def find_profile(cfg: Config, layout: Layout) -> Path | None:
    """The profile file to use for this layout, or None to learn one: the configured or
    per-layout file when it exists, else a 0.1-era ``calibration.json`` taken with this same
    layout (one taken with another layout is left alone, not an error)."""
    path = profile_path(cfg)
    if cfg.calibration.profile or path.exists():
        return path if path.exists() else None
    if simulated(cfg):
        return None  # never a real cushion's old profile for the simulator
    legacy = legacy_profile_path()
    if not legacy.exists():
        return None
    from sitwatch.sensing import calibration

    try:
        prof = calibration.load(legacy)
    except calibration.CalibrationError:
        return None
    return legacy if prof.layout == layout.name and prof.channels == layout.n else None


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
    """history.database, or ``history.sqlite`` in :func:`data_home` (the simulator's own while
    the cushion is the simulator). A history the config names is used whatever the cushion:
    the tests, and someone who points the simulator at a scratch history on purpose, write
    there; the daemon's note says so (cli.run)."""
    if cfg.history.database:
        return Path(cfg.history.database).expanduser()
    return data_home(cfg) / "history.sqlite"


#: The feedback file of a camera-only setup: its answers are recorded only (no cushion threshold
#: to move), and named after no cushion layout it does not have.
CAMERA_FEEDBACK = "feedback-camera.json"


def feedback_path(cfg: Config, *, camera_only: bool = False) -> Path:
    """Where the sitter's "Not right" adaptations are kept: next to the calibration profile,
    one file per layout (``feedback-smartchair-12.json``); ``camera_only`` (no cushion, a
    camera), :data:`CAMERA_FEEDBACK`, so that nothing names a cushion layout there."""
    name = CAMERA_FEEDBACK if camera_only else f"feedback-{layout_slug(cfg.cushion.layout)}.json"
    return profile_path(cfg).with_name(name)


def camera_alone(cfg: Config) -> bool:
    """The config watches with a camera and no cushion (``sitwatch run --port`` may add one)."""
    return not cfg.cushion.port and cfg.camera.enabled
