"""The MQTT broker's password, found one way for everyone who logs in with the ``[mqtt]``
section: the MQTT sink and a wireless cushion on the same broker (``sitwatch run``,
``sitwatch record``, ``sitwatch doctor``).

The order is ``mqtt.password``, else the first line of the file ``mqtt.password_file`` names,
else the systemd credential ``mqtt_password`` (``LoadCredential=mqtt_password:/path`` puts it in
``$CREDENTIALS_DIRECTORY``). The password is never logged."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

#: The systemd credential (LoadCredential=mqtt_password:...) read when no password is set.
PASSWORD_CREDENTIAL = "mqtt_password"


class BrokerLogin(Protocol):
    """What the password lookup reads (the ``[mqtt]`` section, or an equal one)."""

    @property
    def username(self) -> str: ...

    @property
    def password(self) -> str: ...

    @property
    def password_file(self) -> str: ...


def broker_password(cfg: BrokerLogin) -> str:
    """The broker password: ``password``, else the file ``password_file`` names, else the
    systemd credential ``mqtt_password`` (``$CREDENTIALS_DIRECTORY``); "" when none is found."""
    if cfg.password:
        return cfg.password
    candidates = []
    if getattr(cfg, "password_file", ""):
        candidates.append(Path(cfg.password_file).expanduser())
    creds = os.environ.get("CREDENTIALS_DIRECTORY")
    if creds:
        candidates.append(Path(creds) / PASSWORD_CREDENTIAL)
    for path in candidates:
        try:
            return path.read_text(encoding="utf-8").strip("\r\n")
        except (OSError, UnicodeDecodeError):
            continue
    return ""


def password_hint(cfg: BrokerLogin) -> str:
    """What to add when the broker refused a login made with ``cfg``: why no password was
    sent, or "" when one was."""
    if not cfg.username or cfg.password:
        return ""
    if cfg.password_file and not broker_password(cfg):
        return (f"; mqtt.password_file {cfg.password_file} cannot be read: fix the path "
                "or its permissions")
    if not broker_password(cfg):
        return ("; no password is set: set mqtt.password or mqtt.password_file, or pass "
                f"the systemd credential {PASSWORD_CREDENTIAL}")
    return ""


#: What to check when the broker refused the ``[mqtt]`` section's user and password.
CHECK_LOGIN = "check mqtt.username and its password (mqtt.password or mqtt.password_file)"


def login_fix(cfg: BrokerLogin, *, also: str = "") -> str:
    """What to change when the broker refused a login made with the ``[mqtt]`` section
    ``cfg`` for who we are (a wrong user name or password, not authorised), as "; ..." to add
    to the refusal: why no password was sent; else, with a user, to check it and its password
    (``also``: who else logs in with them); else that the broker wants a login. One wording
    for the MQTT sink (its log, ``sitwatch status``, doctor) and the wireless cushion."""
    if not cfg.username:
        return ("; the broker wants a login: set mqtt.username and mqtt.password (or "
                "mqtt.password_file)")
    return password_hint(cfg) or f"; {CHECK_LOGIN}{also}"
