import tomllib
from pathlib import Path

from sitwatch.core.extras import EXTRAS, install_hint, installed_with_pipx

ROOT = Path(__file__).resolve().parents[3]


def test_pipx_installs_are_told_to_inject():
    pipx = "/home/u/.local/share/pipx/venvs/sitwatch"
    assert installed_with_pipx(pipx)
    assert install_hint("push", prefix=pipx) == "pipx inject sitwatch 'apprise>=1.6'"
    assert install_hint("mqtt", prefix=pipx) == "pipx inject sitwatch 'paho-mqtt>=2.0'"


def test_other_installs_are_told_the_packages_not_sitwatch_from_pypi():
    """`pip install 'sitwatch[camera]'` fetches PyPI's `sitwatch`, another project, wherever
    this one is not installed: the hint names the packages themselves."""
    venv = "/home/u/venvs/sw"
    assert not installed_with_pipx(venv)
    assert install_hint("camera", prefix=venv) == "pip install 'mediapipe>=0.10.14'"
    assert "sitwatch[" not in install_hint("web", prefix=venv)


def test_the_extras_are_the_ones_pyproject_declares():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {k: tuple(v) for k, v in deps["optional-dependencies"].items()
                if k not in ("test", "dev")}
    assert declared == EXTRAS
