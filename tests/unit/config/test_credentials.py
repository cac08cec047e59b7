"""What a refused login is told to change (:func:`login_fix`): one wording for the MQTT sink,
the wireless cushion and the companion."""

from __future__ import annotations

from pathlib import Path

from sitwatch.config import Mqtt
from sitwatch.config.credentials import CHECK_LOGIN, login_fix


def test_without_a_user_the_broker_wants_a_login() -> None:
    assert login_fix(Mqtt()) == ("; the broker wants a login: set mqtt.username and "
                                 "mqtt.password (or mqtt.password_file)")


def test_a_password_sent_and_refused_names_the_settings_to_check() -> None:
    assert login_fix(Mqtt(username="me", password="wrong")) == f"; {CHECK_LOGIN}"
    assert login_fix(Mqtt(username="me", password="wrong"), also=", which X uses too") == \
        f"; {CHECK_LOGIN}, which X uses too"


def test_no_password_sent_says_why(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    gone = tmp_path / "no-such-file"
    assert login_fix(Mqtt(username="me", password_file=str(gone))) == (
        f"; mqtt.password_file {gone} cannot be read: fix the path or its permissions")
    assert login_fix(Mqtt(username="me")).startswith("; no password is set: set mqtt.password")
