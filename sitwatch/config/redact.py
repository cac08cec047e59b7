"""The config in force, fit to show: secrets replaced by a placeholder.

Used by `sitwatch config show` (unless --secrets) and the web app's settings page."""

from __future__ import annotations

from urllib.parse import urlsplit

from sitwatch.config import Config
from sitwatch.core.mqtt_url import redact

HIDDEN = "(hidden)"


def _push_url(url: str) -> str:
    """An apprise URL keeps tokens and passwords anywhere after the scheme: show the scheme."""
    scheme = urlsplit(url).scheme
    return f"{scheme}://{HIDDEN}" if scheme else HIDDEN


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
        "urls": [_push_url(u) for u in cfg.nudges.push.urls],
        "report_urls": [_push_url(u) for u in cfg.nudges.push.report_urls]})
    hook_cmd = cfg.nudges.hook.command
    hook = cfg.nudges.hook.model_copy(
        update={"command": [hook_cmd[0], HIDDEN] if len(hook_cmd) > 1 else list(hook_cmd)})
    nudges = cfg.nudges.model_copy(update={"push": push, "hook": hook})
    cushion = cfg.cushion.model_copy(update={"port": redact(cfg.cushion.port, HIDDEN)})
    camera = cfg.camera.model_copy(update={"device": _camera(cfg.camera.device)})
    return cfg.model_copy(update={"mqtt": mqtt, "nudges": nudges, "cushion": cushion,
                                  "camera": camera})
