"""``sitwatch bridge --to mqtt://HOST[:PORT]/TOPIC``: the serial cushion of ``[cushion]``
(port, baud, mode, layout) published to an MQTT broker as a wireless cushion publishes
(:mod:`sitwatch.runtime.bridge`), for the sitwatch on another machine to read with
``cushion.port = "mqtt://HOST[:PORT]/TOPIC"``.

``--to`` is written as that reader's ``cushion.port`` (docs/protocol.md): ``mqtts://`` for TLS,
the user and password in the URL or, without a user there, those of ``[mqtt]`` when its
``host`` is the same broker (its ``tls_ca`` too).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sitwatch.cli.common import (
    EXIT_CONFIG,
    EXIT_FAIL,
    EXIT_OK,
    config_errors,
    err,
    input_problem,
    load_config,
    say_line,
)

STEP = 0.5  # seconds the loop waits for the cushion at most, between looks at the broker


def say(line: str) -> None:
    """What the bridge tells the person (the terminal, or the journal as a service)."""
    say_line(f"sitwatch bridge: {line}")


def run(args: argparse.Namespace) -> int:
    import logging
    import signal
    import ssl

    from sitwatch import config
    from sitwatch.core.clock import SystemClock
    from sitwatch.core.mqtt_url import MqttUrlError, is_mqtt, publish_url, redact
    from sitwatch.runtime.bridge import Bridge
    from sitwatch.sensing import layout
    from sitwatch.sinks.mqtt import MqttUnavailable, tls_why
    from sitwatch.sources.mqtt import lends_login, with_broker
    from sitwatch.sources.serial import SerialSource, not_a_device

    try:
        cfg = load_config(args)
        lay = layout.load(cfg.cushion.layout)
    except config.ConfigError as e:
        return config_errors(e)
    except layout.LayoutError as e:
        err(str(e))
        return EXIT_CONFIG
    to = args.to.strip()
    if not is_mqtt(to):
        err(f"--to {redact(to)!r}: give the broker and topic the other sitwatch reads, "
            "mqtt://HOST[:PORT]/TOPIC (mqtts:// for TLS), e.g. "
            "mqtt://192.168.1.20/home/office/cushion")
        return EXIT_CONFIG
    try:
        url = publish_url(to)
    except MqttUrlError as e:
        err(f"--to: {str(e).replace(to, redact(to))}")
        return EXIT_CONFIG
    port = cfg.cushion.port
    if not port:
        err("which cushion? set cushion.port (e.g. /dev/ttyACM0) or pass --port")
        return EXIT_CONFIG
    if is_mqtt(port):
        err(f"cushion.port {redact(port)} is already a cushion on the network: the bridge "
            "reads a cushion wired to this machine (/dev/ttyACM0, /dev/serial/by-id/...)")
        return EXIT_CONFIG
    hopeless = not_a_device(port)
    if hopeless:
        err(hopeless)
        return EXIT_CONFIG
    ep = with_broker(url, cfg.mqtt)
    if ep.tls and ep.tls_ca:
        problem = input_problem(Path(ep.tls_ca).expanduser(), "mqtt.tls_ca", "a CA certificate")
        if problem:
            err(problem)
            return EXIT_CONFIG
    log = logging.getLogger("sitwatch.bridge")
    # the cushion's own log says each retry's reason; the bridge says each change once
    cushion_log = logging.getLogger("sitwatch.bridge.cushion")
    if not getattr(args, "verbose", 0):
        cushion_log.setLevel(logging.ERROR)
    bridge = Bridge(
        lambda lines: SerialSource(cfg.cushion, lay, SystemClock(), log=cushion_log, lines=lines),
        ep, say=say, log=log, keepalive=cfg.mqtt.keepalive,
        login=cfg.mqtt if lends_login(url, cfg.mqtt) else None)

    def _stop(signum: int, _frame: Any) -> None:  # systemd stops us with SIGTERM
        bridge.done.set()

    signal.signal(signal.SIGTERM, _stop)
    try:
        try:
            bridge.start()
        except MqttUnavailable as e:
            err(f"sitwatch bridge needs the mqtt extra: {e}")
            return EXIT_FAIL
        except ssl.SSLError as e:  # set up before any connection: the CA file is no CA
            err(f"mqtt.tls_ca {ep.tls_ca}: not a CA certificate in PEM form ({tls_why(e)})")
            return EXIT_CONFIG
        except (OSError, ValueError) as e:
            err(f"cannot connect to the MQTT broker {ep.where}: "
                f"{getattr(e, 'strerror', None) or e}")
            return EXIT_CONFIG
        while not bridge.done.is_set():
            bridge.step(STEP)  # Ctrl-C: KeyboardInterrupt, exit 130 (cli.main)
        if bridge.fatal:
            err(bridge.fatal)
            return EXIT_CONFIG
        return EXIT_OK
    finally:
        bridge.close()
