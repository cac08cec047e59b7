"""A real Workrave (Debian package ``workrave``) on the private bus and X display of a
:class:`~tests.helpers.notify_server.NotificationServer`, asked over D-Bus with gdbus.

Workrave keeps its own clock (real seconds), so a test shortens its micro-break: it resets
after ``auto_reset`` seconds without activity (Workrave's default is 30 s)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from tests.helpers.notify_server import NotificationServer

CORE = ("-d", "org.workrave.Workrave", "-o", "/org/workrave/Workrave/Core")


def missing() -> list[str]:
    from tests.helpers.notify_server import missing_programs

    return [p for p in ("workrave",) if shutil.which(p) is None] + [
        p for p in missing_programs() if p not in ("dunst", "dunstctl")]


class Workrave:
    def __init__(self, server: NotificationServer, workdir: Path) -> None:
        self.env = dict(server.env)
        self.server = server
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> None:
        home = self.workdir / "workrave-home"
        home.mkdir(parents=True, exist_ok=True)
        # its settings in memory: nothing of the machine's (or a previous test's) is read
        self.env.update(HOME=str(home), GSETTINGS_BACKEND="memory")
        with (self.workdir / "workrave.log").open("wb") as log:
            self.proc = subprocess.Popen(["workrave"], env=self.env, stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=log, start_new_session=True)
        deadline = time.monotonic() + timeout
        while self.server._gdbus_name_has_owner("org.workrave.Workrave") is not True:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"workrave did not start: {self.log()}")
            time.sleep(0.1)

    def log(self) -> str:
        try:
            return (self.workdir / "workrave.log").read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def call(self, iface: str, method: str, *args: str) -> str:
        p = subprocess.run(["gdbus", "call", "--session", *CORE, "-m", f"{iface}.{method}",
                            *args], env=self.env, capture_output=True, text=True, timeout=10)
        if p.returncode != 0:
            raise RuntimeError(f"{method}: {p.stderr.strip()} ({self.log()})")
        return p.stdout.strip()

    def core(self, method: str, *args: str) -> str:
        return self.call("org.workrave.CoreInterface", method, *args)

    def number(self, method: str, timer: str = "microbreak") -> int:
        """GetTimerElapsed / GetTimerIdle of a timer, in seconds: ``(12,)`` -> 12."""
        return int(self.core(method, timer).strip("(),"))

    def active(self) -> bool:
        return self.core("IsActive") == "(true,)"

    def set_int(self, key: str, value: int) -> None:
        out = self.call("org.workrave.ConfigInterface", "SetInt", key, str(value))
        assert out == "(true,)", out

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)


@contextlib.contextmanager
def running_workrave(tmp: Path, micro_reset: int = 3) -> Iterator[Workrave]:
    """Xvfb, a private session bus and Workrave with a micro-break that resets after
    ``micro_reset`` idle seconds (its limit far away, so no break window opens)."""
    with NotificationServer(tmp / "bus", dunst=False) as server:
        wr = Workrave(server, tmp)
        try:
            wr.start()
            wr.set_int("timers/micro_pause/auto_reset", micro_reset)
            wr.set_int("timers/micro_pause/limit", 3600)
            wr.set_int("timers/rest_break/limit", 7200)
            yield wr
        finally:
            wr.stop()


def wait_until(pred, timeout: float = 30.0, what: str = "") -> None:  # type: ignore[no-untyped-def]
    """Poll ``pred`` (Workrave's timers move in its own real seconds)."""
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.2)
