"""mqtt:// cushion addresses: parsing, the credentials lent by [mqtt], printing without the
password, and the config check that names the key."""

from __future__ import annotations

import pytest

from sitwatch import config
from sitwatch.core.mqtt_url import MqttUrlError, is_mqtt, parse_url, publish_url, redact
from sitwatch.sources.mqtt import with_broker


def test_defaults_and_topics() -> None:
    ep = parse_url("mqtt://192.168.1.20/sitwatch/cushion")
    assert (ep.host, ep.port, ep.tls) == ("192.168.1.20", 1883, False)
    assert ep.topic == "sitwatch/cushion"
    assert ep.status_topic == "sitwatch/cushion/status"
    assert ep.command_topic == "sitwatch/cushion/command"
    tls = parse_url("mqtts://u:p%40ss@broker.lan/chair?status=chair/avail&command=chair/cmd")
    assert (tls.port, tls.tls, tls.username, tls.password) == (8883, True, "u", "p@ss")
    assert (tls.status_topic, tls.command_topic) == ("chair/avail", "chair/cmd")


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("mqtt://host", "names no topic"),
        ("mqtt:///topic", "names no broker host"),
        ("mqtt://host:99999/t", "not a valid MQTT URL"),
        ("mqtt://host/a/#", "wildcard"),
        ("mqtt://host/t?qos=1", "unknown option 'qos'"),
    ],
)
def test_bad_urls_say_how_to_write_them(url: str, says: str) -> None:
    with pytest.raises(MqttUrlError, match=says):
        parse_url(url)


def test_a_url_published_to_asks_for_the_topic_the_reader_reads() -> None:
    """A bridge publishes: the reader's words ("no topic to read frames from") do not fit it.
    The example keeps the host and port, never the password."""
    with pytest.raises(MqttUrlError) as e:
        publish_url("mqtt://pi:s3cret@desk:1884/")
    said = str(e.value)
    assert "names no topic to publish the cushion's lines on" in said
    assert "e.g. mqtt://desk:1884/home/office/cushion" in said and "read frames" not in said
    assert publish_url("mqtt://desk/a/b").topic == "a/b"
    with pytest.raises(MqttUrlError, match="wildcard"):
        publish_url("mqtt://desk/a/+")


def test_broker_section_lends_credentials_for_the_same_host_only() -> None:
    broker = config.Mqtt(host="broker.lan", username="me", password="secret", tls_ca="/ca.pem")
    lent = with_broker(parse_url("mqtt://broker.lan/t"), broker)
    assert (lent.username, lent.password, lent.tls_ca) == ("me", "secret", "/ca.pem")
    own = with_broker(parse_url("mqtt://other:pw@broker.lan/t"), broker)
    assert (own.username, own.password) == ("other", "pw")
    elsewhere = with_broker(parse_url("mqtt://elsewhere/t"), broker)
    assert elsewhere.username == ""


def test_redact_hides_only_the_password() -> None:
    assert redact("mqtt://me:secret@host:1883/t") == "mqtt://me:***@host:1883/t"
    assert redact("mqtt://host/t") == "mqtt://host/t"
    assert redact("/dev/ttyACM0") == "/dev/ttyACM0"


def test_config_rejects_a_bad_mqtt_port_naming_the_key() -> None:
    with pytest.raises(config.ConfigError) as e:
        config.load(use_user_file=False, overrides={"cushion.port": "mqtt://host"})
    assert "cushion.port" in str(e.value) and "names no topic" in str(e.value)


@pytest.mark.parametrize("port", ["MQTT://broker.lan/chair", "Mqtts://broker.lan/chair"])
def test_the_scheme_is_case_insensitive_as_in_any_url(port: str) -> None:
    """'MQTT://host/x' was taken for a serial device path: no URL check at load time, and a
    serial port that could never open."""
    from sitwatch.core.clock import ManualClock
    from sitwatch.sensing import layout
    from sitwatch.sources.cushion import open_cushion

    assert is_mqtt(port)
    ep = parse_url(port)
    assert (ep.host, ep.topic, ep.tls) == ("broker.lan", "chair", port.lower().startswith("mqtts"))
    with pytest.raises(config.ConfigError, match="names no topic"):
        config.load(use_user_file=False, overrides={"cushion.port": port.rsplit("/", 1)[0]})
    cushion = config.Cushion(port=port, layout="load-cells-4")
    src = open_cushion(cushion, layout.load("load-cells-4"), ManualClock())
    try:
        assert src.name == "mqtt:" + f"{ep.where}/chair"
    finally:
        src.close()
    assert redact(port.replace("//", "//me:pw@")).endswith("me:***@broker.lan/chair")
