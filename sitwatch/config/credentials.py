"""The MQTT broker's password, found one way for everyone who logs in with the ``[mqtt]``
section: the MQTT sink and a wireless cushion on the same broker (``sitwatch run``,
``sitwatch record``, ``sitwatch doctor``), the bridge and the companion; and what to change
when the broker refuses the login (:func:`login_fix`).

The order is ``mqtt.password``, else the first line of the file ``mqtt.password_file`` names,
else the systemd credential ``mqtt_password`` (``LoadCredential=mqtt_password:/path`` puts it in
``$CREDENTIALS_DIRECTORY``). The password is never logged."""

from __future__ import annotations

import os
from dataclasses import dataclass
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


@dataclass(frozen=True)
class UrlLogin:
    """A broker given as an ``mqtt://`` URL, which can carry the login itself
    (``mqtt://USER:PASSWORD@HOST/...``): the setting or option it is given in
    (``cushion.port``, ``--to``), its host, and whether it named a user."""

    key: str
    host: str
    user: bool


def login_fix(cfg: BrokerLogin | None, *, also: str = "", url: UrlLogin | None = None) -> str:
    """What to change when the broker refused a login for who we are (a wrong user name or
    password, not authorised), as "; ..." to add to the refusal. ``cfg``: the ``[mqtt]``
    section the login came from (None: it lent none); ``url``: the broker's URL, for the
    clients given one (the wireless cushion, the bridge).

    A user in the URL: check it and its password there. Else, with the section's user: why no
    password was sent, or to check the user and its password (``also``: who else logs in with
    them). Else the broker wants a login: where to write it (and ``also``, as above). One
    wording for the MQTT sink (its log, ``sitwatch status``, doctor), the wireless cushion, the
    bridge and the companion."""
    if url is not None and url.user:
        return f"; check the user name and password in {url.key}"
    if cfg is None or not cfg.username:
        if url is not None:
            return (f"; the broker wants a login: write it in {url.key} (mqtt://USER:PASSWORD@"
                    f"{url.host}/...), or set mqtt.username and mqtt.password with "
                    f'mqtt.host = "{url.host}"')
        return ("; the broker wants a login: set mqtt.username and mqtt.password (or "
                f"mqtt.password_file){also}")
    return password_hint(cfg) or f"; {CHECK_LOGIN}{also}"
