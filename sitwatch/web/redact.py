"""The config in force, fit to show on a page: secrets replaced by a placeholder."""

from __future__ import annotations

from urllib.parse import urlsplit

from sitwatch.config import Config
from sitwatch.core.mqtt_url import redact

HIDDEN = "(hidden)"


def _push_url(url: str) -> str:
    """An apprise URL keeps tokens and passwords anywhere after the scheme: show the scheme."""
    scheme = urlsplit(url).scheme
    return f"{scheme}://{HIDDEN}" if scheme else HIDDEN


def redacted_config(cfg: Config) -> Config:
    """A copy of ``cfg`` without the MQTT password, push URLs' secrets, a cushion URL's
    password and the hook's arguments (which may carry a token)."""
    mqtt = cfg.mqtt.model_copy(update={"password": HIDDEN} if cfg.mqtt.password else {})
    push = cfg.nudges.push.model_copy(update={"urls": [_push_url(u) for u in cfg.nudges.push.urls]})
    hook_cmd = cfg.nudges.hook.command
    hook = cfg.nudges.hook.model_copy(
        update={"command": [hook_cmd[0], HIDDEN] if len(hook_cmd) > 1 else list(hook_cmd)})
    nudges = cfg.nudges.model_copy(update={"push": push, "hook": hook})
    cushion = cfg.cushion.model_copy(update={"port": redact(cfg.cushion.port)})
    return cfg.model_copy(update={"mqtt": mqtt, "nudges": nudges, "cushion": cushion})
