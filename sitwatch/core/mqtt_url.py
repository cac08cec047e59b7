"""``mqtt://`` cushion addresses: parsed in one place, so the config check (at load time) and
the MQTT source (:mod:`sitwatch.sources.mqtt`) read them alike."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from sitwatch.core.kinds import MqttProtocol

SCHEMES = ("mqtt://", "mqtts://")


class MqttUrlError(ValueError):
    """``cushion.port`` is an mqtt:// URL that cannot work; the message says how to write it."""


class NoTopic(MqttUrlError):
    """The URL names a broker but no topic (the message is a reader's: frames to read).

    A publisher (``sitwatch bridge --to``) says what it needs instead: :func:`publish_url`."""


def is_mqtt(port: str) -> bool:
    """``port`` is an ``mqtt://`` or ``mqtts://`` URL (a URL's scheme is case-insensitive, so
    ``MQTT://`` too)."""
    return port[:8].lower().startswith(SCHEMES)


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int
    tls: bool
    topic: str
    status_topic: str
    command_topic: str
    username: str = ""
    password: str = ""
    tls_ca: str = ""
    #: the MQTT version to speak: the ``[mqtt]`` section's for the same host, else "auto"
    protocol: MqttProtocol = MqttProtocol.AUTO

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


def parse_url(url: str) -> Endpoint:
    """``mqtt://user:pw@host:1883/sitwatch/cushion?status=...&command=...`` -> Endpoint."""
    example = "mqtt://HOST[:PORT]/TOPIC, e.g. mqtt://192.168.1.20:1883/sitwatch/cushion"
    try:
        u = urlsplit(url)
        port = u.port
    except ValueError as e:
        raise MqttUrlError(f"{url!r} is not a valid MQTT URL ({e}); write {example}") from None
    if "#" in url:  # a URL fragment to urlsplit, a wildcard to MQTT: either way not a topic
        raise MqttUrlError(f"{url!r}: '#' is a wildcard; name one topic")
    if u.scheme not in ("mqtt", "mqtts"):
        raise MqttUrlError(f"{url!r}: the scheme must be mqtt:// or mqtts://")
    if not u.hostname:
        raise MqttUrlError(f"{url!r} names no broker host; write {example}")
    topic = unquote(u.path.lstrip("/"))
    if not topic:
        raise NoTopic(f"{url!r} names no topic to read frames from; write {example}")
    query = parse_qs(u.query)
    unknown = sorted(set(query) - {"status", "command"})
    if unknown:
        raise MqttUrlError(f"{url!r}: unknown option {unknown[0]!r} (known: status, command)")
    status = query.get("status", [f"{topic}/status"])[-1]
    command = query.get("command", [f"{topic}/command"])[-1]
    for name, t in (("topic", topic), ("status topic", status), ("command topic", command)):
        if "#" in t or "+" in t:
            raise MqttUrlError(f"{url!r}: the {name} {t!r} has a wildcard (+ or #): name one "
                               "topic, e.g. home/chair/cushion")
    tls = u.scheme == "mqtts"
    return Endpoint(u.hostname, port or (8883 if tls else 1883), tls, topic, status, command,
                    unquote(u.username or ""), unquote(u.password or ""))


def publish_url(url: str) -> Endpoint:
    """:func:`parse_url` for a URL the cushion is published to (``sitwatch bridge --to``): one
    with no topic is told that it needs the topic the other machine's ``cushion.port`` reads,
    not one "to read frames from" (a bridge reads none)."""
    try:
        return parse_url(url)
    except NoTopic:
        u = urlsplit(url)
        where = u.hostname or "HOST"
        if u.port:
            where += f":{u.port}"
        raise NoTopic(
            f"{url!r} names no topic to publish the cushion's lines on; add the topic the "
            "desktop's cushion.port reads (the same URL there), e.g. "
            f"{u.scheme}://{where}/home/office/cushion") from None


def redact(port: str, hidden: str = "***") -> str:
    """``port`` fit to print: an mqtt:// URL's password replaced by ``hidden``."""
    if not is_mqtt(port):
        return port
    u = urlsplit(port)
    if u.password is None:
        return port
    netloc = u.netloc.rsplit("@", 1)[1]
    return u._replace(netloc=f"{u.username}:{hidden}@{netloc}").geturl()
