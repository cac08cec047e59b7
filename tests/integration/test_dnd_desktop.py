"""The do-not-disturb probes beyond X11 against real programs: dunst paused on a private D-Bus
session under Xvfb, GNOME's show-banners in a real dconf database, a camera device held open by
another process, a headless sway with a fullscreen foot terminal, and ``sitwatch doctor`` in a
subprocess reporting them. KDE Plasma's ``Inhibited`` is a small stand-in service (jeepney):
Debian has no Plasma notification server that runs without Plasma.

Debian packages: xvfb dbus dunst libglib2.0-bin (the shared NotificationServer helper),
dconf-service gsettings-desktop-schemas, sway foot. Each test skips, naming what is missing.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sitwatch.nudging.dnd import OFF, ON, UNKNOWN, CommandRunner, Reading
from sitwatch.nudging.dnd_desktop import (
    CameraProbe,
    NotificationServerProbe,
    ScreenShareProbe,
    ShowBannersProbe,
    WaylandFullscreenProbe,
)

try:
    from tests.helpers.notify_server import NotificationServer, missing_programs
except ImportError:  # pytest started without the repository root on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.helpers.notify_server import NotificationServer, missing_programs

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
DCONF_SERVICE = "/usr/libexec/dconf-service"


def need(*programs: str, dunst: bool = True) -> None:
    base = [p for p in missing_programs() if dunst or p not in ("dunst", "dunstctl")]
    missing = base + [p for p in programs if shutil.which(p) is None and not Path(p).exists()]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (Debian: xvfb dbus dunst libglib2.0-bin "
                    "dconf-service gsettings-desktop-schemas sway foot)")


def until(read: Callable[[], Reading], ok: Callable[[Reading], bool],
          timeout: float = 10.0) -> Reading:
    """Poll a probe against a real service (which settles asynchronously) until ``ok``."""
    deadline = time.monotonic() + timeout
    while True:
        r = read()
        if ok(r) or time.monotonic() > deadline:
            return r
        time.sleep(0.05)


@pytest.fixture
def dunst(tmp_path: Path) -> Iterator[NotificationServer]:
    need()
    with NotificationServer(tmp_path / "notify") as srv:
        yield srv


def dunstctl(srv: NotificationServer, *args: str) -> str:
    return subprocess.run(["dunstctl", *args], env=srv.env, capture_output=True, text=True,
                          timeout=5, check=True).stdout.strip()


# -- the notification server's own do-not-disturb -------------------------------------------------

def test_dunst_paused_is_do_not_disturb(dunst):
    probe = NotificationServerProbe(CommandRunner(dunst.env), dunst.env)
    assert probe.read() == Reading(OFF, "dunst is not paused")
    dunstctl(dunst, "set-paused", "true")
    assert until(probe.read, lambda r: r.state == ON) == Reading(ON, "dunst is paused")
    dunstctl(dunst, "set-paused", "false")
    assert until(probe.read, lambda r: r.state == OFF) == Reading(OFF, "dunst is not paused")


def test_a_bus_without_a_notification_server(tmp_path):
    need(dunst=False)
    with NotificationServer(tmp_path / "bus", dunst=False) as srv:
        r = NotificationServerProbe(CommandRunner(srv.env), srv.env).read()
    assert r == Reading(UNKNOWN, "no notification server on the session bus")


PLASMA = textwrap.dedent("""
    # A stand-in for Plasma's notification server: owns org.freedesktop.Notifications and answers
    # Properties.Get(Inhibited) with the word in the file argv[1] ("true"/"false").
    import sys
    from pathlib import Path
    from jeepney import HeaderFields, MessageType, new_error, new_method_return
    from jeepney.bus_messages import message_bus
    from jeepney.io.blocking import open_dbus_connection

    state = Path(sys.argv[1])
    conn = open_dbus_connection(bus=sys.argv[2])
    conn.send_and_get_reply(message_bus.RequestName("org.freedesktop.Notifications"))
    print("ready", flush=True)
    while True:
        msg = conn.receive()
        if msg.header.message_type != MessageType.method_call:
            continue
        member = msg.header.fields.get(HeaderFields.member)
        if member == "Get" and msg.body == ("org.freedesktop.Notifications", "Inhibited"):
            on = state.read_text().strip() == "true"
            conn.send(new_method_return(msg, "v", (("b", on),)))
        elif member == "GetServerInformation":
            conn.send(new_method_return(msg, "ssss", ("Plasma", "KDE", "6.0", "1.2")))
        else:
            conn.send(new_error(msg, "org.freedesktop.DBus.Error.UnknownMethod", "s",
                                (f"no {member} here",)))
""")


MUTTER = textwrap.dedent("""
    # A stand-in for GNOME's mutter: owns org.gnome.Mutter.ScreenCast and answers Introspect on
    # /org/gnome/Mutter/ScreenCast/Session with one child node per line of the file argv[1] (the
    # session objects mutter exports while a screen is shared).
    import sys
    from pathlib import Path
    from jeepney import HeaderFields, MessageType, new_error, new_method_return
    from jeepney.bus_messages import message_bus
    from jeepney.io.blocking import open_dbus_connection

    state = Path(sys.argv[1])
    conn = open_dbus_connection(bus=sys.argv[2])
    conn.send_and_get_reply(message_bus.RequestName("org.gnome.Mutter.ScreenCast"))
    print("ready", flush=True)
    while True:
        msg = conn.receive()
        if msg.header.message_type != MessageType.method_call:
            continue
        fields = msg.header.fields
        if (fields.get(HeaderFields.member) == "Introspect"
                and fields.get(HeaderFields.path) == "/org/gnome/Mutter/ScreenCast/Session"):
            kids = "".join(f'  <node name="{n}"/>\\n' for n in state.read_text().split())
            xml = ('<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection '
                   '1.0//EN"\\n "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">'
                   f'\\n<node>\\n{kids}</node>\\n')
            conn.send(new_method_return(msg, "s", (xml,)))
        else:
            conn.send(new_error(msg, "org.freedesktop.DBus.Error.UnknownMethod", "s",
                                ("not here",)))
""")


def stand_in(script: str, state: Path, srv: NotificationServer) -> subprocess.Popen[str]:
    fake = subprocess.Popen([sys.executable, "-c", script, str(state),
                             srv.env["DBUS_SESSION_BUS_ADDRESS"]],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert fake.stdout is not None and fake.stdout.readline().strip() == "ready", (
        fake.stderr.read() if fake.stderr else "")
    return fake


def need_jeepney() -> None:
    need(dunst=False)
    if importlib.util.find_spec("jeepney") is None:
        pytest.skip("needs the jeepney Python package (the test extra)")


def test_plasma_inhibited_property(tmp_path):
    need_jeepney()
    state = tmp_path / "inhibited"
    state.write_text("false")
    with NotificationServer(tmp_path / "bus", dunst=False) as srv:
        fake = stand_in(PLASMA, state, srv)
        try:
            probe = NotificationServerProbe(CommandRunner(srv.env), srv.env)
            assert probe.read() == Reading(OFF, "the notification server's do-not-disturb is off")
            state.write_text("true")
            assert probe.read() == Reading(ON, "the notification server's do-not-disturb is on")
        finally:
            fake.kill()
            fake.wait(5)


def test_gnome_screen_cast_sessions(tmp_path):
    """The screen_share probe reads mutter's session objects through the real gdbus and bus;
    with no mutter on the bus it turns to PipeWire (not installed here: cannot tell)."""
    need_jeepney()
    state = tmp_path / "sessions"
    state.write_text("")
    with NotificationServer(tmp_path / "bus", dunst=False) as srv:
        env = {**srv.env, "PATH": f"{tmp_path / 'nopw'}:{srv.env['PATH']}"}
        (tmp_path / "nopw").mkdir()
        (tmp_path / "nopw" / "pw-dump").write_text("#!/bin/sh\necho 'no pipewire' >&2\nexit 1\n")
        (tmp_path / "nopw" / "pw-dump").chmod(0o755)
        probe = ScreenShareProbe(CommandRunner(env), env=env)
        assert probe.read() == Reading(UNKNOWN, "no PipeWire to ask (no pipewire)")
        fake = stand_in(MUTTER, state, srv)
        try:
            assert probe.read() == Reading(OFF, "GNOME has no screen-cast session")
            state.write_text("u3\n")
            assert probe.read() == Reading(
                ON, "GNOME is sharing or recording the screen (1 screen-cast session)")
        finally:
            fake.kill()
            fake.wait(5)


# -- GNOME's show-banners in a real dconf database -----------------------------------------------

def test_gnome_show_banners_in_dconf(tmp_path):
    need("gsettings", DCONF_SERVICE, dunst=False)
    schemas = Path("/usr/share/glib-2.0/schemas/org.gnome.desktop.notifications.gschema.xml")
    if not schemas.exists():
        pytest.skip("needs the org.gnome.desktop.notifications schema "
                    "(Debian: gsettings-desktop-schemas)")
    with NotificationServer(tmp_path / "bus", dunst=False) as srv:
        env = {**srv.env, "GSETTINGS_BACKEND": "dconf", "XDG_CURRENT_DESKTOP": "GNOME"}
        service = subprocess.Popen([DCONF_SERVICE], env=env, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            def gsettings(value: str) -> None:
                subprocess.run(["gsettings", "set", "org.gnome.desktop.notifications",
                                "show-banners", value], env=env, check=True, timeout=10,
                               capture_output=True)

            probe = ShowBannersProbe(CommandRunner(env), env)
            assert probe.read() == Reading(OFF, "GNOME's do-not-disturb is off")  # the default
            gsettings("false")
            assert (Path(env["XDG_CONFIG_HOME"]) / "dconf" / "user").exists()  # the real database
            r = until(probe.read, lambda r: r.state == ON)
            assert r == Reading(ON, "GNOME's do-not-disturb is on")
            gsettings("true")
            assert until(probe.read, lambda r: r.state == OFF).state == OFF
            kde = {**env, "XDG_CURRENT_DESKTOP": "KDE"}
            gsettings("false")
            assert ShowBannersProbe(CommandRunner(kde), kde).read().state == UNKNOWN
        finally:
            service.terminate()
            service.wait(5)


# -- the camera -----------------------------------------------------------------------------------

HOLD = "import sys, time\nf = open(sys.argv[1], 'rb')\nprint('open', flush=True)\ntime.sleep(60)\n"


@pytest.fixture
def camera(tmp_path: Path) -> Iterator[tuple[Path, Callable[[], subprocess.Popen[str]]]]:
    """A stand-in device file, and a way to start another process that holds it open."""
    dev = tmp_path / "video7"
    dev.write_bytes(b"")
    procs: list[subprocess.Popen[str]] = []

    def hold() -> subprocess.Popen[str]:
        p = subprocess.Popen([sys.executable, "-c", HOLD, str(dev)], stdout=subprocess.PIPE,
                             text=True)
        procs.append(p)
        assert p.stdout is not None and p.stdout.readline().strip() == "open"
        return p

    yield dev, hold
    for p in procs:
        p.kill()
        p.wait(5)


def test_another_process_holding_the_camera(camera):
    dev, hold = camera
    probe = CameraProbe([str(dev.parent / "video*")])
    assert probe.read() == Reading(OFF, "no other program uses the camera")
    with dev.open("rb"):  # sitwatch's own use never counts
        assert probe.read().state == OFF
    call = hold()
    r = probe.read()
    assert r.state == ON and str(dev) in r.reason and "python" in r.reason
    call.kill()
    call.wait(5)
    assert probe.read().state == OFF


def test_doctor_reports_which_probes_work(camera, dunst, tmp_path):
    """``sitwatch doctor`` in a subprocess on the private desktop: dunst paused and a camera in
    use are seen; the probes this desktop cannot answer are listed as such."""
    dev, hold = camera
    cfg = tmp_path / "sitwatch.toml"
    cfg.write_text(textwrap.dedent(f"""
        [nudges.dnd]
        probes = ["notifications", "camera", "show_banners", "wayland_fullscreen"]
        camera_devices = ["{dev.parent}/video*"]
    """))
    hold()
    dunstctl(dunst, "set-paused", "true")
    env = {**dunst.env, "PYTHONPATH": str(ROOT), "XDG_CURRENT_DESKTOP": "dunst-on-X"}
    p = subprocess.run([sys.executable, "-m", "sitwatch", "doctor", "--config", str(cfg),
                        "--listen", "0.1", "--port", "/nonexistent/tty"],
                       env=env, capture_output=True, text=True, timeout=120, check=False)
    line = next((ln for ln in p.stdout.splitlines() if " dnd " in f" {ln} "), "")
    assert "notifications: on" in line and "camera: on" in line, p.stdout + p.stderr
    assert "cannot tell here: show_banners (not a GNOME session" in line
    assert "wayland_fullscreen (not a Wayland session)" in line
    assert "Traceback" not in p.stderr


# -- sway (headless) with a fullscreen foot -------------------------------------------------------

class Sway:
    """A headless sway on its own runtime directory. sway refuses to run as root, so as root
    it runs as nobody (65534)."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="sw-sway-"))  # short: socket paths
        self.run_dir = self.dir / "run"
        self.run_dir.mkdir(mode=0o700)
        (self.dir / "config").write_text("output HEADLESS-1 resolution 800x600\nxwayland disable\n")
        self.prefix: list[str] = []
        if os.getuid() == 0:
            for p in (self.dir, self.run_dir):
                os.chown(p, 65534, 65534)
            self.dir.chmod(0o755)
            self.prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        self.env = {"PATH": os.environ.get("PATH", os.defpath), "HOME": str(self.dir),
                    "XDG_RUNTIME_DIR": str(self.run_dir), "WLR_BACKENDS": "headless",
                    "WLR_LIBINPUT_NO_DEVICES": "1", "WLR_RENDERER": "pixman", "LANG": "C.UTF-8"}
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, timeout: float = 20.0) -> None:
        log = (self.dir / "sway.log").open("wb")
        self.procs.append(subprocess.Popen([*self.prefix, "sway", "-c", str(self.dir / "config")],
                                           env=self.env, stdout=log, stderr=log,
                                           stdin=subprocess.DEVNULL))
        deadline = time.monotonic() + timeout
        while not (socks := list(self.run_dir.glob("sway-ipc.*.sock"))):
            if self.procs[0].poll() is not None or time.monotonic() > deadline:
                pytest.fail("sway did not start: " + (self.dir / "sway.log").read_text()[-2000:])
            time.sleep(0.05)
        wayland = sorted(p.name for p in self.run_dir.glob("wayland-*") if "." not in p.name)
        self.env.update(SWAYSOCK=str(socks[0]), WAYLAND_DISPLAY=wayland[0])

    def spawn(self, *args: str) -> None:
        with (self.dir / f"{Path(args[0]).name}.log").open("wb") as log:
            self.procs.append(subprocess.Popen([*self.prefix, *args], env=self.env,
                                               stdin=subprocess.DEVNULL, stdout=log, stderr=log))

    def logs(self) -> str:
        return "\n".join(f"{p.name}: {p.read_text(errors='replace')[-1500:]}"
                          for p in sorted(self.dir.glob("*.log")))

    def msg(self, *args: str) -> str:
        return subprocess.run(["swaymsg", *args], env=self.env, capture_output=True, text=True,
                              timeout=10, check=True).stdout

    def close(self) -> None:
        for p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(5)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def sway() -> Iterator[Sway]:
    missing = [f"{p} (Debian: {pkg})" for p, pkg in
               (("sway", "sway"), ("swaymsg", "sway"), ("foot", "foot"))
               if shutil.which(p) is None]
    if os.getuid() == 0 and shutil.which("setpriv") is None:
        missing.append("setpriv (Debian: util-linux)")
    if missing:
        pytest.skip(f"needs {', '.join(missing)}")
    s = Sway()
    try:
        s.start()
        yield s
    finally:
        s.close()


def test_sway_fullscreen_window(sway):
    probe = WaylandFullscreenProbe(CommandRunner(sway.env), sway.env)
    assert probe.read() == Reading(OFF, "the focused window is not fullscreen")  # empty desktop
    sway.spawn("foot", "--title", "film", "--fullscreen", "sleep", "60")  # nobody has no shell
    r = until(probe.read, lambda r: r.state == ON, timeout=20)
    assert r == Reading(ON, "fullscreen window (foot)"), sway.logs()
    sway.msg("fullscreen", "disable")  # on the focused window: foot
    r = until(probe.read, lambda r: r.state == OFF)
    assert r == Reading(OFF, "the focused window is not fullscreen")
    tree = json.loads(sway.msg("-t", "get_tree"))
    assert "foot" in json.dumps(tree)  # still open, only no longer fullscreen
