"""``sitwatch companion``: show the nudges of a sitwatch on another machine (a Raspberry Pi
under the chair) as this desktop's notifications, with their buttons
(:mod:`sitwatch.runtime.companion`).

It reads the broker from ``[mqtt]`` (host, port, credentials, TLS, base_topic; ``enabled`` is
the daemon's switch for publishing and does not matter here) and the look of the notifications
from ``[nudges]`` (timeout, buttons, snooze_minutes), as the daemon would; ``respond_within``
is how old a nudge may be and still be shown, by the other machine's clock.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import IO, Any

from sitwatch.cli.common import (
    EXIT_CONFIG,
    EXIT_FAIL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    config_errors,
    err,
    input_problem,
    load_config,
    say_line,
)

LOCK_FILE = "companion.lock"


def say(line: str) -> None:
    """What the companion tells the person (the terminal, or the journal as a service)."""
    say_line(f"sitwatch companion: {line}")


def _lock() -> tuple[IO[str] | None, str]:
    """Hold this user's companion lock: (its file, "") or (None, why another runs)."""
    from sitwatch.core.paths import runtime_dir
    from sitwatch.runtime.single import hold

    path = runtime_dir() / LOCK_FILE
    try:
        fh, pid = hold(path)
    except OSError as e:  # no lock is no reason not to show nudges
        say(f"cannot make sure it runs only once ({path}: {e.strerror or e})")
        return None, ""
    if fh is None:
        return None, (f"sitwatch companion is already running (pid {pid}): one shows each nudge "
                      "once; stop it first (`systemctl --user stop sitwatch-companion`, or "
                      "Ctrl-C where it runs)")
    return fh, ""


def run(args: argparse.Namespace) -> int:
    import logging
    import signal
    import ssl

    from sitwatch import config
    from sitwatch.core import timesync
    from sitwatch.core.clock import SystemClock
    from sitwatch.nudging import dnd
    from sitwatch.runtime.companion import Companion
    from sitwatch.sinks.mqtt import MqttUnavailable, tls_why
    from sitwatch.sinks.registry import desktop_sink

    try:
        cfg = load_config(args)
    except config.ConfigError as e:
        return config_errors(e)
    base = (args.base_topic or cfg.mqtt.base_topic).strip().rstrip("/")
    if not base or "#" in base or "+" in base:
        err(f"--base-topic {args.base_topic!r}: give the other sitwatch's mqtt.base_topic, "
            "for example sitwatch (no + or #)")
        return EXIT_CONFIG
    if cfg.mqtt.tls and cfg.mqtt.tls_ca:
        problem = input_problem(Path(cfg.mqtt.tls_ca).expanduser(), "mqtt.tls_ca",
                                "a CA certificate")
        if problem:
            err(problem)
            return EXIT_CONFIG
    held, other = _lock()
    if other:
        err(other)
        return EXIT_FAIL
    log = logging.getLogger("sitwatch.companion")
    # the sink calls the companion back with the clicks; the companion hands it the events
    desktop = desktop_sink(cfg, lambda action, event: companion.on_action(action, event))
    # this desktop's do-not-disturb (a call, a fullscreen film, the screen locked): the other
    # machine cannot see it, so its nudges are held back here, as a local daemon holds its own
    clock = SystemClock()
    busy = dnd.from_config(cfg.nudges.dnd, clock)
    shown: Any = desktop if busy is None else dnd.DndGate(desktop, busy, log=log)
    # a nudge older than its response window is not shown (the Pi's windows, unless this
    # desktop's config says otherwise: the defaults are the same), its age measured on the
    # Pi's clock; whether this one keeps network time says which of the two is off
    companion = Companion(cfg.mqtt, shown, base=base,
                          snooze_minutes=cfg.nudges.snooze_minutes, say=say, log=log,
                          respond_within=cfg.nudges.respond_within, clock=clock,
                          here_synced=timesync.probe().synced,
                          # the other sitwatch's answer to a "Not right", as its own desktop
                          # shows it
                          answer_click=desktop.answer_click)

    def _stop(signum: int, _frame: Any) -> None:  # systemd stops us with SIGTERM
        companion.done.set()

    signal.signal(signal.SIGTERM, _stop)
    try:
        try:
            companion.start()
        except MqttUnavailable as e:
            err(f"sitwatch companion needs the mqtt extra: {e}")
            return EXIT_FAIL
        except ssl.SSLError as e:  # set up before any connection: the CA file is no CA
            err(f"mqtt.tls_ca {cfg.mqtt.tls_ca}: not a CA certificate in PEM form "
                f"({tls_why(e)})")
            return EXIT_CONFIG
        except (OSError, ValueError) as e:
            err(f"cannot connect to the MQTT broker {cfg.mqtt.host}:{cfg.mqtt.port}: "
                f"{getattr(e, 'strerror', None) or e}")
            return EXIT_CONFIG
        # showing notifications is all a companion is for: a desktop it cannot reach (run
        # over ssh, no notification server) is said at once, not at the first nudge
        ok, why = desktop.check()
        if not ok:
            say(f"cannot show notifications on this desktop yet ({why}); nudges that come "
                "meanwhile are lost (it tries again with each one)")
        try:
            while not companion.done.wait(1.0):
                companion.tick()  # how many nudges came too late, once their burst is over
        except KeyboardInterrupt:
            return EXIT_INTERRUPTED
        if companion.fatal:
            err(companion.fatal)
            return EXIT_CONFIG
        return EXIT_OK
    finally:
        companion.close()
        shown.close()
        if busy is not None:
            busy.close()
        if held is not None:
            held.close()
