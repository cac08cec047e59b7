"""The table of sinks: one row per channel, saying when it is on, how to build it and how
``sitwatch doctor`` checks it.

The daemon (``runtime.assemble.build_sinks``) and doctor walk the same table, so a channel is
added in one place. Optional channels import their module (and its extra: apprise, paho-mqtt)
inside ``build``/``check`` only, so an unused channel costs nothing. A channel that cannot be
built is reported (with the extra to install, when that is what is missing) and left out; the
others go on.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, NamedTuple

from sitwatch.config import Config
from sitwatch.core.clock import Clock
from sitwatch.core.extras import install_hint
from sitwatch.sinks.actions import ActionInbox, OnAction
from sitwatch.sinks.base import Sink

if TYPE_CHECKING:
    from sitwatch.sinks.desktop import DesktopSink

Level = Literal["ok", "warn", "fail"]


class ChannelCheck(NamedTuple):
    """One line of ``sitwatch doctor``: level, what was checked, what was found."""

    level: Level
    what: str
    detail: str


class SinkUnavailable(Exception):
    """This channel cannot work with what the daemon has (the message says why)."""


@dataclass(frozen=True)
class SinkContext:
    """What building (or checking) a sink may need besides the config.

    ``source``: the cushion's source (the buzzer writes to it when it has ``write``);
    ``inbox``: where clicks on notification buttons go; ``clock``: needed by MQTT, and dates the
    events of the console and the hook.
    """

    headless: bool = False
    json_lines: bool = False
    clock: Clock | None = None
    source: object | None = None
    inbox: ActionInbox | None = None


@dataclass(frozen=True)
class SinkSpec:
    """One channel. ``enabled`` and ``build`` serve the daemon; ``check`` serves doctor (None:
    nothing to say, e.g. the channel is not configured). ``label`` names the channel in "... off"
    lines; ``install`` is the hint shown when its optional extra is missing."""

    name: str
    label: str
    enabled: Callable[[Config, SinkContext], bool]
    build: Callable[[Config, SinkContext], Sink]
    check: Callable[[Config, SinkContext], ChannelCheck | None]
    install: str = ""


def _logger(name: str) -> logging.Logger:
    return logging.getLogger(f"sitwatch.{name}")


def _no_check(cfg: Config, ctx: SinkContext) -> ChannelCheck | None:
    return None


# -- console -------------------------------------------------------------------------------------

def _console(cfg: Config, ctx: SinkContext) -> Sink:
    from sitwatch.sinks.console import ConsoleSink

    if ctx.clock is None:
        return ConsoleSink(sys.stdout, json_lines=ctx.json_lines, states=True)
    # the daemon's clock: an event's ``at`` the same as on MQTT
    return ConsoleSink(sys.stdout, json_lines=ctx.json_lines, states=True, now=ctx.clock.now)


# -- desktop -------------------------------------------------------------------------------------

def _desktop(cfg: Config, ctx: SinkContext) -> Sink:
    # "is not None", not truth: an inbox has a length, so the new, empty one is falsy
    return desktop_sink(cfg, ctx.inbox.put if ctx.inbox is not None else None)


def desktop_sink(cfg: Config, on_action: OnAction | None) -> DesktopSink:
    """The desktop notifications as the config asks for them (timeout, buttons and their
    labels): the daemon's, and ``sitwatch companion``'s for another sitwatch's nudges, so the
    two look and answer alike. ``on_action`` gets the clicks (none without buttons)."""
    from sitwatch.sinks.actions import DEFAULT_ACTIONS, DONE, SNOOZE, WRONG, WRONG_LABEL
    from sitwatch.sinks.desktop import DesktopSink

    n = cfg.nudges
    labels = ((SNOOZE, f"Snooze {n.snooze_minutes} min"), (DONE, "Done"), (WRONG, WRONG_LABEL))
    return DesktopSink(
        n.timeout,
        _logger("desktop"),
        actions=n.buttons,
        on_action=on_action if n.buttons else None,
        action_labels=labels if n.buttons else DEFAULT_ACTIONS,
        background=True,
    )


def _check_desktop(cfg: Config, ctx: SinkContext) -> ChannelCheck:
    if ctx.headless or not cfg.nudges.desktop:
        return ChannelCheck("ok", "notifications", "desktop notifications off (console/log only)")
    from sitwatch.sinks.desktop import DesktopSink

    ok, detail = DesktopSink(cfg.nudges.timeout, _logger("desktop")).check()
    return ChannelCheck("ok" if ok else "warn", "notifications",
                        detail + ("" if ok else " (nudges still go to the console/journal)"))


# -- push ----------------------------------------------------------------------------------------

PUSH_INSTALL = install_hint("push")


def _push(cfg: Config, ctx: SinkContext) -> Sink:
    from sitwatch.sinks.push import PushSink

    return PushSink(cfg.nudges.push.urls, log=_logger("push"))


def _check_push(cfg: Config, ctx: SinkContext) -> ChannelCheck | None:
    if not cfg.nudges.push.urls:
        return None
    try:
        from sitwatch.sinks.push import PushSink

        ok, line = PushSink(cfg.nudges.push.urls, log=_logger("push")).check()
    except ImportError:
        return ChannelCheck("fail", "push", f"apprise is not installed: {PUSH_INSTALL}")
    return ChannelCheck("ok" if ok else "fail", "push", line)


# -- command hook --------------------------------------------------------------------------------

def _hook(cfg: Config, ctx: SinkContext) -> Sink:
    from sitwatch.sinks.hook import CommandHookSink

    h = cfg.nudges.hook
    return CommandHookSink(h.command, timeout=h.timeout, log=_logger("hook"),
                           now=ctx.clock.now if ctx.clock is not None else None)


def _check_hook(cfg: Config, ctx: SinkContext) -> ChannelCheck | None:
    h = cfg.nudges.hook
    if not h.command:
        return None
    from sitwatch.sinks.hook import check_command

    level, line = check_command(h.command, h.timeout)
    return ChannelCheck("ok" if level == "ok" else "fail", "hook", line)


# -- buzzer --------------------------------------------------------------------------------------

def _buzzer(cfg: Config, ctx: SinkContext) -> Sink:
    write = getattr(ctx.source, "write", None)
    if ctx.source is None or not callable(write):
        raise SinkUnavailable("it needs a cushion on a serial line (cushion.port)")
    from sitwatch.sinks.buzzer import BuzzerSink, parse_patterns

    b = cfg.nudges.buzzer
    patterns = parse_patterns(b.patterns)
    return BuzzerSink(write, patterns=patterns, log=_logger("buzzer"),
                      strict_every=b.strict_every if b.strict else 0.0)


# -- MQTT ----------------------------------------------------------------------------------------

MQTT_INSTALL = install_hint("mqtt")


def _mqtt(cfg: Config, ctx: SinkContext) -> Sink:
    from sitwatch.sinks.mqtt import MqttSink
    from sitwatch.sources.mqtt import shares_login

    assert ctx.clock is not None  # enabled() asks for one
    mqtt = MqttSink(cfg.mqtt, ctx.clock, log=_logger("mqtt"),
                    on_command=ctx.inbox.put if ctx.inbox is not None else None,
                    camera=cfg.camera.enabled, desktop=spec("desktop").enabled(cfg, ctx),
                    cushion_shares=shares_login(cfg.cushion.port, cfg.mqtt))
    mqtt.start()  # never blocks or raises; a failure is logged and retried by paho
    return mqtt


def _check_mqtt(cfg: Config, ctx: SinkContext) -> ChannelCheck | None:
    if not cfg.mqtt.enabled or ctx.clock is None:
        return None
    try:
        from sitwatch.sinks.mqtt import MqttSink
        from sitwatch.sources.mqtt import shares_login

        sink = MqttSink(cfg.mqtt, ctx.clock, log=_logger("mqtt"),
                        cushion_shares=shares_login(cfg.cushion.port, cfg.mqtt))
        ok, line = sink.check(5)
    except ImportError:
        return ChannelCheck("fail", "mqtt", f"paho-mqtt is not installed: {MQTT_INSTALL}")
    # another sitwatch under the same base topic: it connects, but the two would mix
    level: Level = "fail" if not ok else "warn" if sink.shared_with is not None else "ok"
    return ChannelCheck(level, "mqtt", line)


# -- presence on D-Bus, Workrave -----------------------------------------------------------------

DBUS_INSTALL = install_hint("dbus")


def _presence(cfg: Config, ctx: SinkContext) -> Sink:
    from sitwatch.sinks.dbus_session import NoSessionBus
    from sitwatch.sinks.presence import NameTaken, PresenceSink

    assert ctx.clock is not None  # enabled() asks for one
    try:
        return PresenceSink(ctx.clock, cfg.detect.occupancy.min_break, log=_logger("presence"))
    except (NoSessionBus, NameTaken) as e:
        raise SinkUnavailable(str(e)) from e


def _check_presence(cfg: Config, ctx: SinkContext) -> ChannelCheck | None:
    if not cfg.presence.dbus:
        return None
    try:
        import jeepney  # noqa: F401
    except ImportError:
        return ChannelCheck("fail", "presence", f"jeepney is not installed: {DBUS_INSTALL}")
    from sitwatch.sinks.dbus_session import NoSessionBus, open_session

    try:
        open_session().close()
    except NoSessionBus as e:
        return ChannelCheck("warn", "presence",
                            f"{e}: the presence signal stays off (sitwatch runs on without it)")
    from sitwatch.sinks.presence import BUS_NAME

    return ChannelCheck("ok", "presence", f"session bus found; sitwatch publishes {BUS_NAME}")


def _workrave(cfg: Config, ctx: SinkContext) -> Sink:
    import jeepney  # noqa: F401  (fail here, with the install hint, not on the first report)

    from sitwatch.sinks.workrave import WorkraveSink

    assert ctx.clock is not None
    w = cfg.integrations.workrave
    return WorkraveSink(ctx.clock, cfg.detect.occupancy.min_break, who=w.who, every=w.every,
                        log=_logger("workrave"))


def _check_workrave(cfg: Config, ctx: SinkContext) -> ChannelCheck | None:
    if not cfg.integrations.workrave.enabled:
        return None
    try:
        import jeepney  # noqa: F401
    except ImportError:
        return ChannelCheck("fail", "workrave", f"jeepney is not installed: {DBUS_INSTALL}")
    from sitwatch.sinks.workrave import check

    ok, line = check()
    return ChannelCheck("ok" if ok else "warn", "workrave", line)


# -- the table -----------------------------------------------------------------------------------

SINKS: tuple[SinkSpec, ...] = (
    SinkSpec("console", "console",
             lambda cfg, ctx: cfg.nudges.console or ctx.json_lines, _console, _no_check),
    SinkSpec("desktop", "desktop notifications",
             lambda cfg, ctx: cfg.nudges.desktop and not ctx.headless, _desktop, _check_desktop),
    SinkSpec("push", "push notifications",
             lambda cfg, ctx: bool(cfg.nudges.push.urls), _push, _check_push,
             install=PUSH_INSTALL),
    SinkSpec("hook", "command hook",
             lambda cfg, ctx: bool(cfg.nudges.hook.command), _hook, _check_hook),
    SinkSpec("buzzer", "buzzer",
             lambda cfg, ctx: cfg.nudges.buzzer.enabled, _buzzer, _no_check),
    SinkSpec("mqtt", "MQTT",
             lambda cfg, ctx: cfg.mqtt.enabled and ctx.clock is not None, _mqtt, _check_mqtt,
             install=MQTT_INSTALL),
    SinkSpec("presence", "presence on D-Bus",
             lambda cfg, ctx: cfg.presence.dbus and ctx.clock is not None, _presence,
             _check_presence, install=DBUS_INSTALL),
    SinkSpec("workrave", "Workrave integration",
             lambda cfg, ctx: cfg.integrations.workrave.enabled and ctx.clock is not None,
             _workrave, _check_workrave, install=DBUS_INSTALL),
)


def spec(name: str) -> SinkSpec:
    """The row of the channel called ``name``; KeyError if there is none."""
    for s in SINKS:
        if s.name == name:
            return s
    raise KeyError(name)


def build_all(cfg: Config, ctx: SinkContext, log: logging.Logger,
              specs: Iterable[SinkSpec] = SINKS) -> list[Sink]:
    """Every enabled channel, built in table order. One that cannot be built is logged
    ("<label> off: why", with the install hint when a module is missing) and left out."""
    out: list[Sink] = []
    for s in specs:
        if not s.enabled(cfg, ctx):
            continue
        try:
            out.append(s.build(cfg, ctx))
        except ImportError as e:
            log.warning("%s off: %s%s", s.label, e, f" ({s.install})" if s.install else "")
        except SinkUnavailable as e:
            log.warning("%s off: %s", s.label, e)
        except Exception as e:  # a channel is never a reason not to start
            log.warning("%s off: cannot start it: %s: %s", s.label, type(e).__name__, e)
    return out


def check_all(cfg: Config, ctx: SinkContext,
              specs: Iterable[SinkSpec] = SINKS) -> list[ChannelCheck]:
    """Doctor's line for every channel that has something to say, in table order."""
    return [c for c in (s.check(cfg, ctx) for s in specs) if c is not None]
