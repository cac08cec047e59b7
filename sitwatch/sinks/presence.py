"""The presence signal on the session D-Bus: sitting, away, paused, and natural breaks, for the
tools people already use (docs/presence.md has the interface).

:class:`Seat` is the state other programs see, folded from the daemon's events (occupancy,
break) and its once-a-second snapshot; it is pure and shared with the Workrave integration.
:class:`PresenceSink` owns ``io.github.sitwatch`` on the session bus: a helper thread answers
property reads and introspection and sends the signals the daemon thread queues, so the daemon
never waits on the bus.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from dataclasses import dataclass
from typing import Any

from sitwatch.core.clock import Clock
from sitwatch.core.events import BREAK, OCCUPANCY, Event
from sitwatch.core.kinds import Occupancy, Presence
from sitwatch.sensing.detectors.occupancy import SittingTimer
from sitwatch.sensing.snapshot import Snapshot

BUS_NAME = "io.github.sitwatch"
OBJECT_PATH = "/io/github/sitwatch"
INTERFACE = "io.github.sitwatch.Presence1"

PROPERTIES = "org.freedesktop.DBus.Properties"
INTROSPECTABLE = "org.freedesktop.DBus.Introspectable"
PEER = "org.freedesktop.DBus.Peer"

# name -> D-Bus type; the order is the documented one
SIGNATURES: dict[str, str] = {
    "State": "s",
    "SittingSince": "x",
    "SpellSeconds": "u",
    "LastBreakSeconds": "u",
    "LastBreakEnded": "x",
    "MinBreakSeconds": "u",
}

INTROSPECTION = f"""<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">
<node name="{OBJECT_PATH}">
  <interface name="{INTERFACE}">
    <property name="State" type="s" access="read"/>
    <property name="SittingSince" type="x" access="read"/>
    <property name="SpellSeconds" type="u" access="read">
      <annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="false"/>
    </property>
    <property name="LastBreakSeconds" type="u" access="read"/>
    <property name="LastBreakEnded" type="x" access="read"/>
    <property name="MinBreakSeconds" type="u" access="read">
      <annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="const"/>
    </property>
    <signal name="StateChanged">
      <arg name="state" type="s"/>
    </signal>
    <signal name="NaturalBreak">
      <arg name="duration" type="u"/>
    </signal>
  </interface>
  <interface name="{PROPERTIES}">
    <method name="Get">
      <arg name="interface_name" type="s" direction="in"/>
      <arg name="property_name" type="s" direction="in"/>
      <arg name="value" type="v" direction="out"/>
    </method>
    <method name="GetAll">
      <arg name="interface_name" type="s" direction="in"/>
      <arg name="properties" type="a{{sv}}" direction="out"/>
    </method>
    <method name="Set">
      <arg name="interface_name" type="s" direction="in"/>
      <arg name="property_name" type="s" direction="in"/>
      <arg name="value" type="v" direction="in"/>
    </method>
    <signal name="PropertiesChanged">
      <arg name="interface_name" type="s"/>
      <arg name="changed_properties" type="a{{sv}}"/>
      <arg name="invalidated_properties" type="as"/>
    </signal>
  </interface>
  <interface name="{INTROSPECTABLE}">
    <method name="Introspect">
      <arg name="xml_data" type="s" direction="out"/>
    </method>
  </interface>
  <interface name="{PEER}">
    <method name="Ping"/>
  </interface>
</node>
"""


class NameTaken(Exception):
    """Another program (another sitwatch?) owns our bus name."""


@dataclass(frozen=True)
class Change:
    """What one event or snapshot changed: the new state (None: the same), a natural break that
    just ended (its length in seconds, None: none)."""

    state: Presence | None = None
    natural_break: float | None = None

    def __bool__(self) -> bool:
        return self.state is not None or self.natural_break is not None


class Seat:
    """The seat as other programs see it. Events give the changes at once; the snapshot (about
    once a second) corrects the spell (a restart carries it on) and says whether sitwatch is
    paused or the sensor is offline. Not thread-safe: the owner locks."""

    def __init__(self, clock: Clock, min_break: float) -> None:
        self.clock = clock
        self.min_break = min_break
        self.occupancy: str | None = None
        self.online = True
        self.paused = False
        self.timer = SittingTimer(min_break)
        self.last_break = 0.0
        self.last_break_ended = 0  # Unix seconds
        self._state = Presence.UNKNOWN

    def state(self) -> Presence:
        if self.paused:
            return Presence.PAUSED
        if not self.online or self.occupancy is None:
            return Presence.UNKNOWN
        return Presence.SITTING if self.occupancy == Occupancy.OCCUPIED else Presence.AWAY

    def on_event(self, ev: Event) -> Change:
        natural = None
        if ev.event == OCCUPANCY and ev.state in (Occupancy.OCCUPIED, Occupancy.EMPTY):
            self.occupancy = ev.state
            self.online = True
            if ev.state == Occupancy.OCCUPIED:
                self.timer.sit(ev.t)
            else:
                self.timer.leave(ev.t)
        elif ev.event == BREAK:
            natural = float(ev.get("duration") or 0.0)
            self.last_break = natural
            self.last_break_ended = int(self.clock.now().timestamp())
        return Change(self._moved(), natural)

    def on_snapshot(self, snap: Snapshot, paused: bool) -> Change:
        self.paused = paused
        self.online = snap.online and snap.seen  # (a locked screen: the camera looks away)
        if snap.occupancy is not None and snap.occupancy != self.occupancy:
            if snap.occupancy == Occupancy.OCCUPIED:
                self.timer.sit(snap.t)
            else:
                self.timer.leave(snap.t)
        self.occupancy = snap.occupancy
        if snap.spell_start is not None:
            self.timer.spell_start = snap.spell_start
        self.timer.unseen_since = snap.unseen_since  # the spell stands still out of sight
        return Change(self._moved())

    def _moved(self) -> Presence | None:
        now = self.state()
        if now == self._state:
            return None
        self._state = now
        return now

    def spell(self) -> float:
        return self.timer.spell(self.clock.monotonic())

    def sitting_since(self) -> int:
        """When the current spell began (Unix seconds); 0 when there is none."""
        mono = self.clock.monotonic()
        start = self.timer.spell_start
        if start is None or (self.timer.on_break(mono) and self.occupancy != Occupancy.OCCUPIED):
            return 0
        return int(self.clock.now().timestamp() - (mono - start))

    def properties(self) -> dict[str, tuple[str, Any]]:
        """Every property as a D-Bus variant (signature, value)."""
        values: dict[str, Any] = {
            "State": str(self.state()),
            "SittingSince": self.sitting_since(),
            "SpellSeconds": int(self.spell()),
            "LastBreakSeconds": round(self.last_break),
            "LastBreakEnded": self.last_break_ended,
            "MinBreakSeconds": round(self.min_break),
        }
        return {k: (SIGNATURES[k], values[k]) for k in SIGNATURES}


class PresenceSink:
    """Publishes :class:`Seat` as ``io.github.sitwatch`` on the session bus.

    Building it connects and takes the bus name; without a bus (or with the name taken by
    another sitwatch) it raises, and the registry leaves it out with a warning."""

    name = "presence"

    def __init__(self, clock: Clock, min_break: float, *, log: logging.Logger,
                 conn: Any = None) -> None:
        from sitwatch.sinks.dbus_session import open_session

        self.log = log
        self.seat = Seat(clock, min_break)
        self._lock = threading.Lock()
        self._out: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._stop = threading.Event()
        self.conn = conn if conn is not None else open_session()
        try:
            self._own_name()
        except Exception:
            self.conn.close()
            raise
        self._thread = threading.Thread(target=self._serve, name="sitwatch-presence",
                                        daemon=True)
        self._thread.start()

    def _own_name(self) -> None:
        from jeepney.bus_messages import message_bus

        do_not_queue = 4
        reply = self.conn.send_and_get_reply(message_bus.RequestName(BUS_NAME, do_not_queue),
                                             timeout=2.0)
        code = reply.body[0] if reply.body else 0
        if code not in (1, 4):  # primary owner, already owner
            raise NameTaken(f"{BUS_NAME} is already taken on the session bus (is another "
                                  "sitwatch running?)")

    # -- from the daemon thread ------------------------------------------------------------------

    def handle(self, event: Event) -> None:
        with self._lock:
            change = self.seat.on_event(event)
        self._announce(change)

    def live(self, snap: Snapshot, paused: bool) -> None:
        with self._lock:
            change = self.seat.on_snapshot(snap, paused)
        self._announce(change)

    def _announce(self, change: Change) -> None:
        if not change or not self._thread.is_alive():  # the bus went away: nobody to tell
            return
        from jeepney import DBusAddress, new_signal

        me = DBusAddress(OBJECT_PATH, interface=INTERFACE)
        with self._lock:
            props = self.seat.properties()
        if change.natural_break is not None:
            self._out.put(new_signal(me, "NaturalBreak", "u",
                                     (round(change.natural_break),)))
            changed = {k: props[k] for k in ("LastBreakSeconds", "LastBreakEnded",
                                              "SittingSince")}
            self._out.put(self._props_changed(changed))
        if change.state is not None:
            self._out.put(new_signal(me, "StateChanged", "s", (str(change.state),)))
            changed = {k: props[k] for k in ("State", "SittingSince")}
            self._out.put(self._props_changed(changed))

    @staticmethod
    def _props_changed(changed: dict[str, tuple[str, Any]]) -> Any:
        from jeepney import DBusAddress, new_signal

        return new_signal(DBusAddress(OBJECT_PATH, interface=PROPERTIES), "PropertiesChanged",
                          "sa{sv}as", (INTERFACE, changed, []))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=3.0)
        with contextlib.suppress(OSError):
            self.conn.close()

    # -- the helper thread -----------------------------------------------------------------------

    def _serve(self) -> None:
        from jeepney import MessageType

        while not self._stop.is_set():
            try:
                while True:
                    self.conn.send(self._out.get_nowait())
            except queue.Empty:
                pass
            except OSError as e:
                self.log.warning("presence on D-Bus stopped: the session bus went away (%s)", e)
                return
            try:
                msg = self.conn.receive(timeout=0.2)
            except TimeoutError:
                continue
            except (OSError, ValueError) as e:  # closed, or the bus sent garbage
                if not self._stop.is_set():
                    self.log.warning("presence on D-Bus stopped: %s: %s", type(e).__name__, e)
                return
            if msg.header.message_type == MessageType.method_call:
                try:
                    self.conn.send(self._answer(msg))
                except OSError:
                    return

    def _answer(self, msg: Any) -> Any:
        from jeepney import HeaderFields, new_error, new_method_return

        f = msg.header.fields
        path, iface, member = (f.get(HeaderFields.path), f.get(HeaderFields.interface),
                               f.get(HeaderFields.member))
        if iface == INTROSPECTABLE and member == "Introspect":
            return new_method_return(msg, "s", (_introspect(str(path)),))
        if iface == PEER and member == "Ping":
            return new_method_return(msg)
        if path != OBJECT_PATH:
            return new_error(msg, "org.freedesktop.DBus.Error.UnknownObject", "s",
                             (f"no object at {path}",))
        if iface == PROPERTIES and member in ("Get", "GetAll", "Set"):
            asked = msg.body[0] if msg.body else ""
            if asked not in (INTERFACE, ""):
                return new_error(msg, "org.freedesktop.DBus.Error.UnknownInterface", "s",
                                 (f"no interface {asked}",))
            if member == "Set":
                return new_error(msg, "org.freedesktop.DBus.Error.PropertyReadOnly", "s",
                                 ("these properties are read-only",))
            with self._lock:
                props = self.seat.properties()
            if member == "GetAll":
                return new_method_return(msg, "a{sv}", (props,))
            name = msg.body[1] if len(msg.body) > 1 else ""
            if name not in props:
                return new_error(msg, "org.freedesktop.DBus.Error.UnknownProperty", "s",
                                 (f"no property {name}",))
            return new_method_return(msg, "v", (props[name],))
        return new_error(msg, "org.freedesktop.DBus.Error.UnknownMethod", "s",
                         (f"no method {iface}.{member}",))


def _introspect(path: str) -> str:
    """Our object's interfaces, or for a parent path the next node down (``busctl tree``)."""
    if path == OBJECT_PATH:
        return INTROSPECTION
    parts = [p for p in OBJECT_PATH.split("/") if p]
    have = [p for p in path.split("/") if p]
    child = parts[len(have)] if parts[:len(have)] == have and len(have) < len(parts) else None
    inner = f'  <node name="{child}"/>\n' if child else ""
    return (f'<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"\n'
            f' "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">\n'
            f"<node>\n{inner}</node>\n")
