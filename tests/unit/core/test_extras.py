import tomllib
from pathlib import Path

from sitwatch.core.extras import EXTRAS, install_hint, installed_with_pipx

ROOT = Path(__file__).resolve().parents[3]


def test_pipx_installs_are_told_to_inject():
    pipx = "/home/u/.local/share/pipx/venvs/sitwatch"
    assert installed_with_pipx(pipx)
    assert install_hint("push", prefix=pipx) == "pipx inject sitwatch 'apprise>=1.6'"
    assert install_hint("mqtt", prefix=pipx) == "pipx inject sitwatch 'paho-mqtt>=2.0'"


def _bin(folder: Path, *names: str) -> Path:
    folder.mkdir(parents=True)
    for name in names:
        (folder / name).write_text("#!/bin/sh\n")
        (folder / name).chmod(0o755)
    return folder


def test_other_installs_are_told_the_packages_not_sitwatch_from_pypi(tmp_path, monkeypatch):
    """`pip install 'sitwatch[camera]'` fetches PyPI's `sitwatch`, another project, wherever
    this one is not installed: the hint names the packages themselves."""
    venv = _bin(tmp_path / "sw" / "bin", "python", "pip")
    monkeypatch.setenv("PATH", str(venv))  # the venv is activated
    assert not installed_with_pipx(str(venv.parent))
    assert install_hint("camera", prefix=str(venv.parent), python=str(venv / "python")) \
        == "pip install 'mediapipe>=0.10.14'"
    assert "sitwatch[" not in install_hint("web", prefix=str(venv.parent),
                                           python=str(venv / "python"))


def test_a_venv_run_without_activating_it_is_told_its_own_pip(tmp_path, monkeypatch):
    """~/sw/bin/sitwatch run by its path: the `pip` on PATH is another Python's, which would
    install where this sitwatch never looks, so the hint names the venv's Python."""
    venv = _bin(tmp_path / "my venv" / "bin", "python", "pip")
    system = _bin(tmp_path / "usr" / "bin", "python3", "pip")
    monkeypatch.setenv("PATH", str(system))
    assert install_hint("mqtt", prefix=str(venv.parent), python=str(venv / "python")) == (
        f"'{venv / 'python'}' -m pip install 'paho-mqtt>=2.0'")
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))  # no pip on PATH at all
    assert install_hint("mqtt", prefix=str(venv.parent), python=str(venv / "python")) \
        .endswith("python' -m pip install 'paho-mqtt>=2.0'")


def test_the_extras_are_the_ones_pyproject_declares():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {k: tuple(v) for k, v in deps["optional-dependencies"].items()
                if k not in ("test", "dev")}
    assert declared == EXTRAS
