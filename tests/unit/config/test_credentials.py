"""What a refused login is told to change (:func:`login_fix`): one wording for the MQTT sink,
the wireless cushion, the bridge and the companion."""

from __future__ import annotations

from pathlib import Path

from sitwatch.config import Mqtt
from sitwatch.config.credentials import CHECK_LOGIN, UrlLogin, login_fix


def test_without_a_user_the_broker_wants_a_login() -> None:
    assert login_fix(Mqtt()) == ("; the broker wants a login: set mqtt.username and "
                                 "mqtt.password (or mqtt.password_file)")


def test_without_a_user_the_login_to_set_names_who_else_uses_it() -> None:
    """The MQTT sink and the wireless cushion share the [mqtt] section's (missing) login: the
    settings to write serve both, and the fix says so (it named the sink's settings only)."""
    assert login_fix(Mqtt(), also=", which X and Y both log in with") == (
        "; the broker wants a login: set mqtt.username and mqtt.password (or "
        "mqtt.password_file), which X and Y both log in with")


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


def test_a_login_in_the_url_is_checked_there_whatever_the_section_says() -> None:
    """A broker given as a URL (the wireless cushion's cushion.port, the bridge's --to): a user
    in it is the one refused; without one, either place can hold a login."""
    url = UrlLogin("--to", "pi.local", user=True)
    assert login_fix(None, url=url) == "; check the user name and password in --to"
    assert login_fix(Mqtt(), url=UrlLogin("cushion.port", "pi.local", user=False)) == (
        "; the broker wants a login: write it in cushion.port (mqtt://USER:PASSWORD@pi.local/"
        '...), or set mqtt.username and mqtt.password with mqtt.host = "pi.local"')
    # the section's user, lent because the URL names none: the section's words, as the sink's
    lent = Mqtt(username="me", password="wrong")
    assert login_fix(lent, url=UrlLogin("--to", "pi.local", user=False)) == login_fix(lent)
