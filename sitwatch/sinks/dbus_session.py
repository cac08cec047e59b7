"""The session D-Bus through jeepney (the ``dbus`` extra), for the presence service and the
Workrave integration. jeepney is pure Python and imported only here, when one of them is on.

Calls never start a program the bus knows how to launch (``no_auto_start``): Workrave ships a
D-Bus service file, and sitwatch must not open a break reminder nobody asked for.
"""

from __future__ import annotations

import os
from typing import Any

DBUS_INSTALL_EXTRA = "dbus"


class NoSessionBus(Exception):
    """There is no session bus to talk to (the message says why)."""


def session_address() -> str | None:
    """Where the session bus is, from the environment (None: not known)."""
    addr = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
    if addr:
        return addr
    run = os.environ.get("XDG_RUNTIME_DIR")
    if run and os.path.exists(os.path.join(run, "bus")):
        return f"unix:path={os.path.join(run, 'bus')}"
    return None


def open_session(timeout: float = 2.0) -> Any:
    """A blocking jeepney connection to the session bus. ImportError without jeepney;
    :class:`NoSessionBus` when there is no bus or it does not answer."""
    from jeepney.io.blocking import open_dbus_connection

    addr = session_address()
    if addr is None:
        raise NoSessionBus("no session bus (DBUS_SESSION_BUS_ADDRESS is not set and there is "
                           "no $XDG_RUNTIME_DIR/bus)")
    try:
        return open_dbus_connection(addr, auth_timeout=timeout)
    except Exception as e:  # refused, not a bus, gone: all the same to us
        raise NoSessionBus(f"cannot connect to the session bus ({type(e).__name__}: {e})") from e


def call(conn: Any, dest: str, path: str, interface: str, member: str,
         signature: str | None = None, body: tuple[Any, ...] = (),
         timeout: float = 2.0) -> tuple[Any, ...]:
    """Call a method and return its reply's body; raises ``jeepney.DBusErrorResponse`` for an
    error reply (``.name`` is the D-Bus error name) and TimeoutError."""
    from jeepney import DBusAddress, new_method_call
    from jeepney.low_level import MessageFlag
    from jeepney.wrappers import unwrap_msg

    msg = new_method_call(DBusAddress(path, bus_name=dest, interface=interface), member,
                          signature, body)
    msg.header.flags |= MessageFlag.no_auto_start
    reply = conn.send_and_get_reply(msg, timeout=timeout)
    return tuple(unwrap_msg(reply))


def error_name(e: BaseException) -> str:
    """The D-Bus error name of a jeepney error reply ('' for anything else)."""
    return str(getattr(e, "name", "") or "")
