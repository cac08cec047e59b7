from sitwatch.core.extras import install_hint, installed_with_pipx


def test_pipx_users_are_told_to_inject() -> None:
    pipx = "/home/ann/.local/share/pipx/venvs/sitwatch"
    assert installed_with_pipx(pipx)
    assert install_hint("push", prefix=pipx) == "pipx inject sitwatch apprise"
    assert install_hint("mqtt", prefix=pipx) == "pipx inject sitwatch paho-mqtt"
    venv = "/home/ann/venvs/sitwatch"
    assert not installed_with_pipx(venv)
    assert install_hint("camera", prefix=venv) == "pip install 'sitwatch[camera]'"
