"""The config in force, fit to show: secrets replaced by a placeholder.

Used by `sitwatch config show` (unless --secrets) and the web app's settings page; the push
channel, `sitwatch doctor` and `sitwatch report-send` show push URLs through :func:`push_url`
and :func:`scrub` too, so a secret is hidden the same way everywhere."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from sitwatch.config import Config
from sitwatch.core.mqtt_url import redact

HIDDEN = "(hidden)"


def push_url(url: str) -> str:
    """An apprise URL keeps its secret anywhere after the scheme (a token, a password, the
    topic of an ntfy URL, which is all it takes to read and send): show the scheme only."""
    scheme = urlsplit(url).scheme if "://" in url else ""
    return f"{scheme}://{HIDDEN}" if scheme else HIDDEN


_PARTS = re.compile(r"[:/@?&=#,]+")


def scrub(text: str, urls: Iterable[str]) -> str:
    """``text`` (a service's error message, say) with every part of ``urls`` after the scheme
    (host, user, password, path, query values) replaced by the placeholder, longest first."""
    parts: set[str] = set()
    for url in urls:
        rest = url.split("://", 1)[1] if "://" in url else url
        parts.add(rest.split("?", 1)[0].rstrip("/"))
        parts.update(p for p in _PARTS.split(rest) if len(p) >= 3)
    for part in sorted(parts, key=len, reverse=True):
        if part:
            text = text.replace(part, HIDDEN)
    return text


def _camera(device: int | str) -> int | str:
    """A network camera's URL (``rtsp://user:password@host/...``) without its password."""
    if not isinstance(device, str) or "://" not in device:
        return device
    u = urlsplit(device)
    if u.password is None:
        return device
    return u._replace(netloc=f"{u.username}:{HIDDEN}@{u.netloc.rsplit('@', 1)[1]}").geturl()


#: What :func:`redacted_config` hides, in words for the note that says so.
SECRETS = ("the MQTT password, the push URLs (nudges.push.urls and report_urls), a password in "
           "the cushion's or the camera's URL, and the hook's arguments")


def redacted_config(cfg: Config) -> Config:
    """A copy of ``cfg`` without the MQTT password, the secrets of the push URLs (the nudges'
    and the weekly report's), a cushion or network camera URL's password and the hook's
    arguments (which may carry a token)."""
    mqtt = cfg.mqtt.model_copy(update={"password": HIDDEN} if cfg.mqtt.password else {})
    push = cfg.nudges.push.model_copy(update={
        "urls": [push_url(u) for u in cfg.nudges.push.urls],
        "report_urls": [push_url(u) for u in cfg.nudges.push.report_urls]})
    hook_cmd = cfg.nudges.hook.command
    hook = cfg.nudges.hook.model_copy(
        update={"command": [hook_cmd[0], HIDDEN] if len(hook_cmd) > 1 else list(hook_cmd)})
    nudges = cfg.nudges.model_copy(update={"push": push, "hook": hook})
    cushion = cfg.cushion.model_copy(update={"port": redact(cfg.cushion.port, HIDDEN)})
    camera = cfg.camera.model_copy(update={"device": _camera(cfg.camera.device)})
    return cfg.model_copy(update={"mqtt": mqtt, "nudges": nudges, "cushion": cushion,
                                  "camera": camera})
