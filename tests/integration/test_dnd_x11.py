"""The fullscreen probe against a real X server: Xvfb, the openbox window manager and a real
Tk window that asks to be fullscreen.

Debian packages: xvfb, dbus, libglib2.0-bin (the shared test display helper), openbox (an EWMH
window manager: without one nobody publishes the active window or applies fullscreen),
x11-utils (xprop); Python's tkinter. Skipped, naming what is missing, otherwise.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sitwatch.core.clock import ManualClock
from sitwatch.nudging.dnd import OFF, ON, CommandRunner, DoNotDisturb, FullscreenProbe, Reading

try:
    from tests.helpers.notify_server import NotificationServer
except ImportError:  # pytest started without the repository root on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.helpers.notify_server import NotificationServer

pytestmark = pytest.mark.integration

PROGRAMS = {"Xvfb": "xvfb", "dbus-daemon": "dbus", "gdbus": "libglib2.0-bin",
            "openbox": "openbox", "xprop": "x11-utils"}

WINDOW = textwrap.dedent("""
    import sys, tkinter as tk
    root = tk.Tk(className="Sitfilm")
    root.title("A film")
    root.geometry("300x200+10+10")
    if sys.argv[1] == "fullscreen":
        root.attributes("-fullscreen", True)
    root.mainloop()
""")


class Desktop:
    def __init__(self, server: NotificationServer) -> None:
        self.env = dict(server.env)
        self.procs: list[subprocess.Popen[bytes]] = []
        self.dnd = DoNotDisturb([FullscreenProbe(CommandRunner(self.env), self.env)],
                                ManualClock(), cache_seconds=0, poll=False)

    def answer(self) -> tuple[bool, str]:
        """What the gate reads once the background round this read asks for is done."""
        self.dnd.active()
        assert self.dnd.wait_idle(10)
        return self.dnd.active()

    def spawn(self, *args: str) -> subprocess.Popen[bytes]:
        p = subprocess.Popen(args, env=self.env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.procs.append(p)
        return p

    def xprop_root(self) -> str:
        return subprocess.run(["xprop", "-root", "_NET_SUPPORTING_WM_CHECK"], env=self.env,
                              capture_output=True, text=True, timeout=5, check=False).stdout

    def wait_reading(self, ok: Callable[[Reading], bool], timeout: float = 20.0) -> Reading:
        """Poll the probe (a real X server settles asynchronously) until ``ok(reading)``;
        the last reading either way."""
        deadline = time.monotonic() + timeout
        while True:
            (_, r), = self.dnd.readings()
            if ok(r) or time.monotonic() > deadline:
                return r
            time.sleep(0.05)

    def window(self, mode: str) -> subprocess.Popen[bytes]:
        return self.spawn(sys.executable, "-c", WINDOW, mode)

    def close(self) -> None:
        self.dnd.close()
        for p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(5)


@pytest.fixture
def desktop(tmp_path: Path) -> Iterator[Desktop]:
    missing = [f"{prog} (Debian: {pkg})" for prog, pkg in PROGRAMS.items()
               if shutil.which(prog) is None]
    if importlib.util.find_spec("tkinter") is None:
        missing.append("tkinter (Debian: python3-tk, or a Python built with Tk)")
    if missing:
        pytest.skip(f"needs {', '.join(missing)}")
    with NotificationServer(tmp_path / "x", dunst=False) as server:
        d = Desktop(server)
        try:
            wm = d.spawn("openbox", "--sm-disable")
            deadline = time.monotonic() + 20
            while "window id #" not in d.xprop_root():
                assert wm.poll() is None, wm.stderr.read() if wm.stderr else "openbox exited"
                assert time.monotonic() < deadline, "openbox did not come up"
                time.sleep(0.05)
            yield d
        finally:
            d.close()


def test_fullscreen_window_is_detected_and_forgotten_when_it_closes(desktop):
    assert desktop.wait_reading(lambda r: r.state == OFF, 5) == Reading(OFF, "no active window")

    plain = desktop.window("normal")  # once it has the focus, the probe looks at it
    r = desktop.wait_reading(lambda r: r.reason != "no active window")
    assert r == Reading(OFF, "the active window is not fullscreen")
    plain.terminate()
    plain.wait(10)

    film = desktop.window("fullscreen")
    r = desktop.wait_reading(lambda r: r.state == ON)
    assert r == Reading(ON, "fullscreen window (Sitfilm)"), (
        film.stderr.read() if film.poll() is not None and film.stderr else r)
    assert desktop.answer() == (True, "fullscreen: fullscreen window (Sitfilm)")

    film.terminate()
    film.wait(10)
    r = desktop.wait_reading(lambda r: r.state == OFF)
    assert r.state == OFF, r
    assert desktop.answer() == (False, "")
