"""The do-not-disturb probes beyond X11, on canned tool output (the real services are in
tests/integration/test_dnd_desktop.py)."""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from sitwatch.config import Config
from sitwatch.nudging.dnd import OFF, ON, UNKNOWN, Completed, Reading, default_probes
from sitwatch.nudging.dnd_desktop import (
    CameraProbe,
    NotificationServerProbe,
    ScreenShareProbe,
    ShowBannersProbe,
    WaylandFullscreenProbe,
    screen_streams,
    sway_fullscreen,
)

BUS = {"DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent/bus"}
GNOME = {**BUS, "XDG_CURRENT_DESKTOP": "ubuntu:GNOME"}
# Recorded from a real sway 1.7 (headless) with foot fullscreen and focused.
SWAY_TREE = json.loads((Path(__file__).parent / "sway_tree_fullscreen_foot.json").read_text())


class Canned:
    """Answers by the first argv prefix that matches (checked against the whole argv joined);
    records the calls."""

    def __init__(self, rules: dict[str, Completed]) -> None:
        self.rules = rules
        self.calls: list[list[str]] = []

    def __call__(self, argv: Sequence[str]) -> Completed:
        self.calls.append(list(argv))
        line = " ".join(argv)
        for key, answer in self.rules.items():
            if key in line:
                return answer
        return Completed(1, "", f"no rule for {line}")


def ok(out: str) -> Completed:
    return Completed(0, out + "\n")


def err(text: str) -> Completed:
    return Completed(1, "", text + "\n")


UNKNOWN_PROP = err("Error: GDBus.Error:org.freedesktop.DBus.Error.InvalidArgs: No such property "
                   "“Inhibited”")


# -- the notification server ----------------------------------------------------------------------

@pytest.mark.parametrize(("rules", "expected"), [
    ({"Notifications Inhibited": ok("(<true>,)")},
     Reading(ON, "the notification server's do-not-disturb is on")),
    ({"Notifications Inhibited": ok("(<false>,)")},
     Reading(OFF, "the notification server's do-not-disturb is off")),
    ({"Notifications Inhibited": UNKNOWN_PROP, "cmd0 paused": ok("(<true>,)")},
     Reading(ON, "dunst is paused")),
    ({"Notifications Inhibited": UNKNOWN_PROP, "cmd0 paused": ok("(<false>,)")},
     Reading(OFF, "dunst is not paused")),
    ({"Notifications Inhibited": err("Error: GDBus.Error:org.freedesktop.DBus.Error."
                                     "ServiceUnknown: The name is not activatable")},
     Reading(UNKNOWN, "no notification server on the session bus")),
    ({"Notifications Inhibited": UNKNOWN_PROP,
      "GetServerInformation": ok("('gnome-shell', 'GNOME', '44.9', '1.2')")},
     Reading(UNKNOWN, "the notification server (gnome-shell) does not say whether "
                      "do-not-disturb is on")),
])
def test_notification_server(rules, expected):
    assert NotificationServerProbe(Canned(rules), BUS).read() == expected


def test_notification_server_without_a_bus_asks_nothing(tmp_path):
    run = Canned({})
    r = NotificationServerProbe(run, {"XDG_RUNTIME_DIR": str(tmp_path)}).read()
    assert r == Reading(UNKNOWN, "no desktop session bus") and run.calls == []


def test_inhibited_wins_over_dunst_pause():
    """A server with Inhibited is believed; its other interfaces are not asked."""
    run = Canned({"Notifications Inhibited": ok("(<false>,)"), "cmd0 paused": ok("(<true>,)")})
    assert NotificationServerProbe(run, BUS).read().state == OFF
    assert len(run.calls) == 1


# -- GNOME's show-banners -------------------------------------------------------------------------

@pytest.mark.parametrize(("answer", "expected"), [
    (ok("false"), Reading(ON, "GNOME's do-not-disturb is on")),
    (ok("true"), Reading(OFF, "GNOME's do-not-disturb is off")),
    (err("No such schema “org.gnome.desktop.notifications”"),
     Reading(UNKNOWN, "gsettings: no org.gnome.desktop.notifications settings (Debian: "
                      "gsettings-desktop-schemas)")),
])
def test_show_banners(answer, expected):
    run = Canned({"gsettings get org.gnome.desktop.notifications show-banners": answer})
    assert ShowBannersProbe(run, GNOME).read() == expected


def test_show_banners_only_in_gnome():
    run = Canned({"gsettings": ok("false")})  # a left-over GNOME setting on KDE: not believed
    r = ShowBannersProbe(run, {**BUS, "XDG_CURRENT_DESKTOP": "KDE"}).read()
    assert r == Reading(UNKNOWN, "not a GNOME session ($XDG_CURRENT_DESKTOP is KDE)")
    assert run.calls == []


# -- screen sharing -------------------------------------------------------------------------------

def node(state: str, cls: str, media: str, name: str) -> dict[str, object]:
    return {"id": 40, "type": "PipeWire:Interface:Node",
            "info": {"state": state, "props": {"media.class": cls, "media.name": media,
                                               "node.name": name}}}


def test_screen_streams():
    dump = [
        {"id": 0, "type": "PipeWire:Interface:Core", "info": {}},
        node("running", "Stream/Output/Video", "meta-screen-cast-src", "gnome-shell"),
        node("suspended", "Stream/Output/Video", "meta-screen-cast-src", "gnome-shell"),
        node("running", "Video/Source", "v4l2", "camera"),
        node("running", "Stream/Input/Audio", "meta-screen-cast-src", "odd"),
        "garbage",
    ]
    assert screen_streams(dump, ["meta-screen-cast-src"]) == ["gnome-shell"]
    assert screen_streams(dump, ["xdpw"]) == []
    assert screen_streams({"not": "a list"}, ["x"]) == []


MUTTER = "/org/gnome/Mutter/ScreenCast/Session --method org.freedesktop.DBus.Introspectable"


def introspection(*children: str) -> Completed:
    """gdbus's printing of an Introspect answer (a string in a tuple)."""
    xml = "<!DOCTYPE node>\\n<node name=\"/org/gnome/Mutter/ScreenCast/Session\">\\n" + "".join(
        f'  <node name="{c}"/>\\n' for c in children) + "</node>\\n"
    return ok(f"('{xml}',)")


def test_screen_share_on_gnome_counts_mutter_sessions():
    run = Canned({MUTTER: introspection("u1", "u2"), "pw-dump": ok("[]")})
    r = ScreenShareProbe(run, env=BUS).read()
    assert r == Reading(ON, "GNOME is sharing or recording the screen (2 screen-cast sessions)")
    run = Canned({MUTTER: introspection(), "pw-dump": ok("[]")})
    r = ScreenShareProbe(run, env=BUS).read()
    assert r == Reading(OFF, "GNOME has no screen-cast session")
    assert not any(c[0] == "pw-dump" for c in run.calls)  # GNOME answered: enough
    # no mutter on the bus (or no bus): PipeWire is asked instead
    run = Canned({MUTTER: err("Error: GDBus.Error:org.freedesktop.DBus.Error.ServiceUnknown"),
                  "pw-dump": ok("[]")})
    assert ScreenShareProbe(run, env=BUS).read() == Reading(OFF, "no screen-sharing stream running")
    run = Canned({"pw-dump": ok("[]")})
    assert ScreenShareProbe(run, env={}).read().state == OFF and len(run.calls) == 1


def test_screen_share_probe():
    running = json.dumps([node("running", "Stream/Output/Video", "meta-screen-cast-src",
                               "gnome-shell")])
    r = ScreenShareProbe(Canned({"pw-dump": ok(running)})).read()
    assert r == Reading(ON, "screen shared (gnome-shell)")
    assert ScreenShareProbe(Canned({"pw-dump": ok("[]")})).read().state == OFF
    assert ScreenShareProbe(Canned({"pw-dump": ok("[{")})).read().state == UNKNOWN
    r = ScreenShareProbe(Canned({"pw-dump": err("pw.core: can't connect: Host is down")})).read()
    assert r == Reading(UNKNOWN, "no PipeWire to ask (pw.core: can't connect: Host is down)")
    own = ScreenShareProbe(Canned({"pw-dump": ok(running.replace("meta-screen-cast-src", "x"))}),
                           streams=["X"])
    assert own.read().state == ON


# -- Wayland fullscreen ---------------------------------------------------------------------------

def test_sway_tree_recorded_from_a_real_sway():
    assert sway_fullscreen(SWAY_TREE) == Reading(ON, "fullscreen window (foot)")


def _find(tree: dict, name: str) -> dict:
    stack = [tree]
    while stack:
        n = stack.pop()
        if n.get("name") == name:
            return n
        stack += n.get("nodes", []) + n.get("floating_nodes", [])
    raise KeyError(name)


def test_sway_tree_not_fullscreen_or_not_focused():
    tree = copy.deepcopy(SWAY_TREE)
    _find(tree, "film")["fullscreen_mode"] = 0  # workspaces carry fullscreen_mode too: ignored
    assert sway_fullscreen(tree) == Reading(OFF, "the focused window is not fullscreen")
    tree = copy.deepcopy(SWAY_TREE)
    _find(tree, "film")["focused"] = False  # a film on the other output, you work on this one
    assert sway_fullscreen(tree).state == OFF
    assert sway_fullscreen([]).state == UNKNOWN


def test_wayland_probe_asks_sway_on_its_socket():
    run = Canned({"swaymsg -s /run/sway.sock -r -t get_tree": ok(json.dumps(SWAY_TREE))})
    r = WaylandFullscreenProbe(run, {"SWAYSOCK": "/run/sway.sock"}).read()
    assert r.state == ON
    run = Canned({"swaymsg": Completed(1, "", "Unable to connect to /run/sway.sock\n")})
    r = WaylandFullscreenProbe(run, {"SWAYSOCK": "/run/sway.sock"}).read()
    assert r == Reading(UNKNOWN, "swaymsg: Unable to connect to /run/sway.sock")


def test_wayland_probe_finds_the_sway_socket_without_swaysock(tmp_path):
    import os

    sock = tmp_path / f"sway-ipc.{os.getuid()}.123.sock"
    sock.touch()
    run = Canned({f"swaymsg -s {sock}": ok(json.dumps(SWAY_TREE))})
    assert WaylandFullscreenProbe(run, {"XDG_RUNTIME_DIR": str(tmp_path)}).read().state == ON


@pytest.mark.parametrize(("env", "reason"), [
    ({}, "not a Wayland session"),
    ({"WAYLAND_DISPLAY": "wayland-0", "XDG_CURRENT_DESKTOP": "GNOME"},
     "GNOME Shell does not tell other programs which window is fullscreen (closed since "
     "GNOME 41)"),
    ({"WAYLAND_DISPLAY": "wayland-0", "XDG_CURRENT_DESKTOP": "KDE"},
     "this Wayland compositor (KDE) cannot be asked"),
])
def test_wayland_probe_says_where_it_cannot_tell(tmp_path, env, reason):
    run = Canned({})
    r = WaylandFullscreenProbe(run, {"XDG_RUNTIME_DIR": str(tmp_path), **env}).read()
    assert r == Reading(UNKNOWN, reason) and run.calls == []


# -- the camera (a fake /proc; the real one is in the integration tests) ---------------------------

def fake_proc(root: Path, procs: dict[int, tuple[bytes, list[str]]]) -> Path:
    for pid, (cmdline, targets) in procs.items():
        d = root / str(pid)
        (d / "fd").mkdir(parents=True)
        (d / "cmdline").write_bytes(cmdline)
        for i, t in enumerate(targets):
            (d / "fd" / str(i)).symlink_to(t)
    return root


def test_camera(tmp_path):
    dev = tmp_path / "video0"
    dev.touch()
    other = str(tmp_path / "other")
    proc = fake_proc(tmp_path / "proc", {
        10: (b"/usr/bin/zoom\0--call\0", ["/dev/null", str(dev)]),
        11: (b"/usr/bin/python3\0-m\0sitwatch\0run\0", [str(dev)]),
        12: (b"/home/me/.local/bin/sitwatch\0camera\0", [str(dev)]),
        13: (b"cat\0", [other]),
    })
    probe = CameraProbe([str(tmp_path / "video*")], proc=proc)
    assert probe.read() == Reading(ON, f"camera in use by zoom on {dev}")
    (proc / "10" / "fd" / "1").unlink()
    assert probe.read() == Reading(OFF, "no other program uses the camera")
    assert CameraProbe([str(tmp_path / "nothing*")], proc=proc).read() == Reading(
        UNKNOWN, f"no camera found ({tmp_path / 'nothing*'})")
    assert CameraProbe([], proc=proc).read().state == UNKNOWN


def test_new_probes_by_name_and_config():
    names = ["notifications", "show_banners", "camera", "screen_share", "wayland_fullscreen"]
    probes = default_probes(names, run=Canned({}), env={}, camera_devices=["/dev/x*"],
                            screen_share_streams=["y"])
    assert [p.name for p in probes] == names
    assert probes[2].patterns == ["/dev/x*"] and probes[3].streams == ["y"]
    d = Config().nudges.dnd
    assert set(names) <= set(d.probes)
    assert d.camera_devices == ["/dev/video*"] and d.screen_share_streams == [
        "meta-screen-cast-src"]
    with pytest.raises(ValueError, match="camera_devices"):
        Config(nudges={"dnd": {"camera_devices": ["video*"]}})
