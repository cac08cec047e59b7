"""A real notification server for tests: Xvfb + a private D-Bus session bus + dunst.

Debian packages: xvfb, dbus (dbus-daemon), dunst (dunst, dunstctl), libglib2.0-bin (gdbus);
libnotify-bin (notify-send) for the sink's preferred backend.

    with NotificationServer(tmp_path) as server:   # dunst=False: a bus without a server
        ...  # server.env has DISPLAY and DBUS_SESSION_BUS_ADDRESS
        server.history()  # what dunst showed: [{"appname", "summary", "body", "timeout"}, ...]

Every wait is bounded; ``close()`` stops all three processes (it runs on any error in start).
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REQUIRED = ("Xvfb", "dbus-daemon", "dunst", "dunstctl", "gdbus")


def missing_programs() -> list[str]:
    return [p for p in REQUIRED if shutil.which(p) is None]


DBUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>{address}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


class ServerError(RuntimeError):
    pass


class NotificationServer:
    def __init__(self, workdir: Path, *, start_timeout: float = 20.0, dunst: bool = True) -> None:
        self.workdir = Path(workdir)
        self.start_dunst = dunst  # False: a session bus with no notification server on it
        self.start_timeout = start_timeout
        self.procs: list[subprocess.Popen[bytes]] = []
        self.env: dict[str, str] = {}
        self.display = ""
        self._sockdir: str | None = None
        self._dunst: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> NotificationServer:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- start -----------------------------------------------------------------------------------

    def _log(self, name: str) -> Any:
        return (self.workdir / f"{name}.log").open("wb")

    def _spawn(self, args: list[str], name: str, **kw: Any) -> subprocess.Popen[bytes]:
        with self._log(name) as log:
            p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                 start_new_session=True, **kw)
        self.procs.append(p)
        return p

    def _tail(self, name: str) -> str:
        try:
            return (self.workdir / f"{name}.log").read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def start(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        self.workdir.mkdir(parents=True, exist_ok=True)
        home = self.workdir / "home"
        (home / ".config").mkdir(parents=True, exist_ok=True)
        runtime = self.workdir / "run"
        runtime.mkdir(mode=0o700, exist_ok=True)

        # Xvfb picks a free display itself and writes its number to the pipe (-displayfd).
        r, w = os.pipe()
        try:
            xvfb = self._spawn(
                ["Xvfb", "-displayfd", str(w), "-nolisten", "tcp", "-screen", "0", "800x600x24"],
                "xvfb", pass_fds=(w,),
            )
            os.close(w)
            w = -1
            number = b""
            while not number.endswith(b"\n"):
                left = deadline - time.monotonic()
                if left <= 0 or xvfb.poll() is not None:
                    raise ServerError(f"Xvfb did not start: {self._tail('xvfb')}")
                ready, _, _ = select.select([r], [], [], min(left, 0.5))
                if ready:
                    chunk = os.read(r, 16)
                    if not chunk:
                        raise ServerError(f"Xvfb closed -displayfd: {self._tail('xvfb')}")
                    number += chunk
        finally:
            os.close(r)
            if w >= 0:
                os.close(w)
        self.display = ":" + number.decode().strip()

        # A short directory for the socket: AF_UNIX paths are limited to 107 bytes.
        self._sockdir = tempfile.mkdtemp(prefix="sw-bus-")
        bus_path = Path(self._sockdir) / "bus"
        address = f"unix:path={bus_path}"
        # Our own bus config: like the session bus, minus service activation (nothing but the
        # processes started here may own names, so "no server" tests are deterministic).
        conf = self.workdir / "dbus-session.conf"
        conf.write_text(DBUS_CONFIG.format(address=address))
        self._spawn(["dbus-daemon", f"--config-file={conf}", "--nofork", "--nopidfile"], "dbus")
        self.env = {
            "PATH": os.environ.get("PATH", os.defpath),
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_RUNTIME_DIR": str(runtime),
            "LANG": "C.UTF-8",
            "DISPLAY": self.display,
            "DBUS_SESSION_BUS_ADDRESS": address,
        }
        self._wait(lambda: bus_path.exists() and self._gdbus_ok(), deadline, "dbus-daemon", "dbus")

        if self.start_dunst:
            self.start_notifications(deadline)

    def start_notifications(self, deadline: float | None = None) -> None:
        """dunst on the bus (again, after stop_notifications), once it owns the name."""
        if deadline is None:
            deadline = time.monotonic() + self.start_timeout
        # An empty config file: dunst's built-in defaults, whatever /etc/xdg/dunst says.
        dunstrc = self.workdir / "dunstrc"
        # the tests run whole days in seconds, so two nudges with the same words can both still
        # be on screen, where dunst would stack them into one ("(2)") and keep one in history
        # and a notification sent with the transient hint is marked in the history (category
        # "transient"), which keeps no other trace of the hint ([global] last: MenuServer adds
        # to it)
        dunstrc.write_text("[transient]\n    match_transient = yes\n"
                           '    set_category = "transient"\n'
                           "[global]\n    monitor = 0\n    stack_duplicates = false\n")
        self._dunst = self._spawn(["dunst", "-config", str(dunstrc)], "dunst", env=self.env)
        self._wait(self.server_running, deadline, "dunst", "dunst")

    def stop_notifications(self) -> None:
        """dunst ends (killed, or crashed) and the bus has no notification server, until
        start_notifications."""
        assert self._dunst is not None, "dunst was not started"
        self._dunst.terminate()
        self._dunst.wait(5)
        self.procs.remove(self._dunst)
        self._dunst = None
        deadline = time.monotonic() + self.start_timeout
        while self.server_running():
            assert time.monotonic() < deadline, "dunst's name stayed on the bus"
            time.sleep(0.05)

    def _wait(self, ready: Any, deadline: float, what: str, log: str) -> None:
        while not ready():
            dead = [p.args[0] for p in self.procs if p.poll() is not None]
            if dead:
                raise ServerError(f"{', '.join(map(str, dead))} exited: {self._tail(log)}")
            if time.monotonic() > deadline:
                raise ServerError(f"{what} not ready within {self.start_timeout:g} s: "
                                  f"{self._tail(log)}")
            time.sleep(0.05)

    # -- queries ---------------------------------------------------------------------------------

    def _run(self, args: list[str], timeout: float = 5.0) -> subprocess.CompletedProcess[str]:
        return subprocess.run(args, env=self.env, capture_output=True, text=True,
                              timeout=timeout, check=False, stdin=subprocess.DEVNULL)

    def _gdbus_ok(self) -> bool:
        return self._gdbus_name_has_owner("org.freedesktop.DBus") is True

    def _gdbus_name_has_owner(self, name: str) -> bool | None:
        try:
            p = self._run(["gdbus", "call", "--session", "--timeout", "2",
                           "--dest", "org.freedesktop.DBus", "--object-path",
                           "/org/freedesktop/DBus", "--method",
                           "org.freedesktop.DBus.NameHasOwner", name], timeout=4)
        except subprocess.TimeoutExpired:
            return None
        if p.returncode != 0:
            return None
        return "true" in p.stdout

    def server_running(self) -> bool:
        return self._gdbus_name_has_owner("org.freedesktop.Notifications") is True

    def close_all(self) -> None:
        self._run(["dunstctl", "close-all"]).check_returncode()

    def history(self) -> list[dict[str, Any]]:
        """Closed notifications, newest first, as plain dicts (close_all() first)."""
        p = self._run(["dunstctl", "history"])
        p.check_returncode()
        doc = json.loads(p.stdout)
        return [{k: v.get("data") for k, v in n.items()} for n in doc["data"][0]]

    def wait_history(self, count: int = 1, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Close what is shown and poll the history until ``count`` entries are there."""
        deadline = time.monotonic() + timeout
        while True:
            self.close_all()
            items = self.history()
            if len(items) >= count or time.monotonic() > deadline:
                return items
            time.sleep(0.05)

    # -- stop ------------------------------------------------------------------------------------

    def close(self) -> None:
        for p in reversed(self.procs):
            if p.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(p.pid, signal.SIGTERM)
        for p in reversed(self.procs):
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=5)
        self.procs.clear()
        if self._sockdir:
            shutil.rmtree(self._sockdir, ignore_errors=True)
            self._sockdir = None


MENU_SCRIPT = """\
import os, sys
here = os.path.dirname(os.path.abspath(sys.argv[0]))
menu = sys.stdin.read()
with open(os.path.join(here, "menus.log"), "a", encoding="utf-8") as f:
    f.write(menu + "\\n--\\n")
try:
    with open(os.path.join(here, "choice"), encoding="utf-8") as f:
        choice = f.read().strip()
except FileNotFoundError:
    choice = ""
for line in menu.splitlines():
    if choice and line.rstrip().endswith(choice):
        print(line)
        break
"""


class MenuServer(NotificationServer):
    """The test notification server, with dunst's ``dmenu`` set to our menu script, so that
    buttons can be clicked.

    How the click is made: dunst 1.9 shows actions in its context menu, which it asks ``dmenu``
    to draw. Here its ``dmenu`` setting points at a script that picks the menu line of one
    notification and action (lines look like ``#Snooze 30 min (Don't slouch) [3,snooze]``),
    then ``dunstctl context`` opens the menu, just as a user's shortcut or middle click would.
    dunst then sends ``ActionInvoked`` to the notification's client (our notify-send), as for
    a real click. (``dunstctl action N`` invokes the *default* action, or opens the same menu
    when there are several; ``gdbus emit`` cannot fake the signal: it would not come from the
    server's name.)"""

    def __init__(self, workdir: Path, **kw: Any) -> None:
        super().__init__(workdir, **kw)
        self.menu_dir = Path(workdir) / "menu"

    def _spawn(self, args: list[str], name: str, **kw: Any) -> subprocess.Popen[bytes]:
        if name == "dunst":
            self.menu_dir.mkdir(parents=True, exist_ok=True)
            script = self.menu_dir / "dmenu"
            script.write_text(f"#!{sys.executable}\n{MENU_SCRIPT}", encoding="utf-8")
            script.chmod(0o755)
            rc = Path(args[args.index("-config") + 1])
            rc.write_text(rc.read_text() + f'    dmenu = "{shlex.quote(str(script))} -p dunst"\n')
        return super()._spawn(args, name, **kw)

    def dunstctl(self, *args: str) -> str:
        p = self._run(["dunstctl", *args])
        p.check_returncode()
        return p.stdout.strip()

    def displayed(self) -> int:
        return int(self.dunstctl("count", "displayed"))

    def click(self, ident: int, action: str) -> None:
        """Choose ``action`` of notification ``ident`` in dunst's context menu."""
        (self.menu_dir / "choice").write_text(f"[{ident},{action}]", encoding="utf-8")
        self.dunstctl("context")

    def click_any(self, action: str) -> None:
        """Choose ``action`` of the first notification that has it (one shown by another
        process, whose notification id the test does not know)."""
        (self.menu_dir / "choice").write_text(f",{action}]", encoding="utf-8")
        self.dunstctl("context")

    def menus(self) -> str:
        try:
            return (self.menu_dir / "menus.log").read_text(encoding="utf-8")
        except FileNotFoundError:
            return ""
