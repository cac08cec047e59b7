"""`sitwatch run` with a camera: alone, and together with a cushion (fusion), using the real
pose model on a clip made from a real photo, and the virtual cushion on a real pty."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from sitwatch.sensing import layout
from sitwatch.sensing.calibration import from_arrays, robust_mean
from sitwatch.sim.script import short_demo
from sitwatch.sim.simulator import Simulator
from tests.helpers.virtual_cushion import start_cushion

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("SITWATCH_SHARED", ROOT.parent / "shared"))
MODEL = SHARED / "models" / "pose_landmarker_full.task"


@pytest.fixture
def clip(tmp_path) -> Path:
    pytest.importorskip("mediapipe", reason="the camera extra (mediapipe) is not installed")
    if not MODEL.exists():
        pytest.skip(f"pose model not found at {MODEL}")
    sys.path.insert(0, str(ROOT))
    from tests.helpers.camera import astronaut_bgr, head_dropped, on_canvas, write_clip

    img = astronaut_bgr()
    up, down = on_canvas(img), on_canvas(head_dropped(img))
    return write_clip(tmp_path / "clip.avi", [(up, 15), (down, 14), (up, 4)], fps=5)


def env_for(tmp: Path) -> dict[str, str]:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"),
                     ("XDG_STATE_HOME", "state"), ("XDG_RUNTIME_DIR", "run")):
        (tmp / sub).mkdir(exist_ok=True)
        env[var] = str(tmp / sub)
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    return env


def events_until(proc: subprocess.Popen, done, seconds: float) -> list[dict]:
    import selectors

    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    got, buf, deadline = [], b"", time.monotonic() + seconds
    while time.monotonic() < deadline and not done(got):
        if not sel.select(timeout=0.2):
            continue
        chunk = os.read(proc.stdout.fileno(), 65536)
        if not chunk:
            break
        buf += chunk
        *lines, buf = buf.split(b"\n")
        got += [json.loads(x) for x in lines if x.strip()]
    return got


def stop(*procs) -> None:
    for p in procs:
        if p is not None and p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)


def start_camera_only(tmp_path: Path, clip: Path
                      ) -> tuple[dict[str, str], Path, Path, subprocess.Popen]:
    """`sitwatch run --camera CLIP --headless --json` with no cushion and a history of its own:
    (env, config, history file, the daemon)."""
    env = env_for(tmp_path)
    cfg = camera_cfg(tmp_path)
    db = tmp_path / "history.sqlite"
    cfg.write_text(cfg.read_text() + f'[history]\ndatabase = "{db}"\n')
    proc = subprocess.Popen(
        [sys.executable, "-m", "sitwatch", "run", "--no-user-config", "--config", str(cfg),
         "--camera", str(clip), "--headless", "--json"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    return env, cfg, db, proc


def camera_cfg(tmp_path: Path) -> Path:
    cfg = tmp_path / "cam.toml"
    cfg.write_text(f'[camera]\nmodel = "{MODEL}"\ndwell = 3.0\nauto_settle = 4.0\n'
                   "[detect.posture]\ndwell = 1.0\n[detect.occupancy]\nenter_dwell = 0.3\n")
    return cfg


def fused_setup(tmp_path: Path) -> tuple[dict[str, str], Path, Path, subprocess.Popen]:
    """A cushion (the virtual one, upright all along) calibrated on smartchair-12, a config
    with quick slouch nudges and a history file: (env, config, history, the cushion)."""
    lay = layout.load("smartchair-12")
    sim = Simulator(lay, short_demo(0), 10, 0)
    from_arrays(lay, tare=robust_mean(sim.frames_at(np.arange(2, 28, 0.5))),
                upright=robust_mean(sim.frames_at(np.arange(60, 150, 0.5))),
                method="recording").save(tmp_path / "cal.json")
    env = env_for(tmp_path)
    cfg = camera_cfg(tmp_path)
    db = tmp_path / "history.sqlite"
    cfg.write_text(cfg.read_text() + "[nudges]\nslouch_after = 2.0\n[nudges.dnd]\nenabled = false\n"
                   f'[history]\ndatabase = "{db}"\n')
    return env, cfg, db, start_cushion(env, tmp_path / "cushion", speed=10)


def start_fused(env: dict[str, str], cfg: Path, tmp_path: Path, clip: Path) -> subprocess.Popen:
    """`sitwatch run` on the virtual cushion of :func:`fused_setup` and the camera clip."""
    return subprocess.Popen(
        [sys.executable, "-m", "sitwatch", "run", "--no-user-config", "--config", str(cfg),
         "--port", str(tmp_path / "cushion"), "--layout", "smartchair-12", "--calibration",
         str(tmp_path / "cal.json"), "--camera", str(clip), "--headless", "--json"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)


def test_camera_only_daemon_reports_a_head_drop(tmp_path, clip) -> None:
    env = env_for(tmp_path)
    before = {p for p in tmp_path.rglob("*")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "sitwatch", "run", "--no-user-config", "--config",
         str(camera_cfg(tmp_path)), "--camera", str(clip), "--headless", "--json"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        evs = events_until(proc, lambda g: any(e["event"] == "posture" and e["state"] == "slouched"
                                               for e in g), 40)
        # what the user reads meanwhile: a camera, never a cushion they do not have
        shown = {}
        for flag in ([], ["--waybar"]):
            out = subprocess.run([sys.executable, "-m", "sitwatch", "status", *flag], env=env,
                                 capture_output=True, text=True, timeout=30)
            shown[bool(flag)] = out.stdout
        # "Not right" through the running daemon: recorded, nothing of a cushion claimed
        # (no nudge came in these seconds: --force, as for a kind not shown lately)
        said = subprocess.run([sys.executable, "-m", "sitwatch", "feedback", "wrong", "slouch",
                               "--force"], env=env, capture_output=True, text=True, timeout=30)
        # the file it keeps them in is a camera's, not the default cushion layout's
        st = json.loads(subprocess.run([sys.executable, "-m", "sitwatch", "status", "--json"],
                                       env=env, capture_output=True, text=True,
                                       timeout=30).stdout)
        listed = subprocess.run([sys.executable, "-m", "sitwatch", "feedback", "show"], env=env,
                                capture_output=True, text=True, timeout=30)
    finally:
        stop(proc)
    assert said.returncode == 0, said.stderr
    assert "the camera's thresholds stay as configured" in said.stdout
    assert "->" not in said.stdout and "step" not in said.stdout
    assert Path(st["feedback_file"]).name == "feedback-camera.json", st
    assert Path(st["feedback_file"]).is_file()  # the answer above is recorded there
    assert not list(tmp_path.rglob("feedback-load-cells-4.json"))
    # no cushion runs, so the status file names no cushion layout nor a cushion's profile (it
    # named the config's, load-cells-4), and feedback above found its file without them
    assert "layout" not in st and "profile_file" not in st, st
    assert "load-cells" not in json.dumps(st) + shown[False] + shown[True]
    assert listed.stdout.startswith("A camera-only setup has no thresholds that \"Not right\" "
                                    "moves"), listed.stdout
    assert f"({st['feedback_file']})" in listed.stdout
    main_line = shown[False].splitlines()[0]
    assert "camera online (a pose every" in main_line, shown[False]
    assert "cushion" not in shown[False]
    assert "camera online" in json.loads(shown[True])["tooltip"]
    kinds = [(e["event"], e.get("state"), e.get("source")) for e in evs]
    assert ("occupancy", "occupied", "camera") in kinds
    assert ("posture", "upright", "camera") in kinds
    assert ("posture", "slouched", "camera") in kinds
    # privacy: the run left numbers (history, status, calibration), never pictures
    new = {p for p in tmp_path.rglob("*")} - before
    pictures = [p for p in new if p.suffix.lower() in {".png", ".jpg", ".jpeg", ".bmp", ".avi",
                                                        ".mp4", ".webp", ".ppm"}]
    assert not pictures


def test_camera_only_the_webcam_going_stands_the_sitting_timer_still(tmp_path, clip) -> None:
    """Regression: `sitwatch run` with only a webcam (the clip, which ends: the camera goes
    offline, as an unplugged one does). The seat was emptied, as if the sitter had left; now
    the timer stands still on the seat as last seen, `sitwatch status` says so and why, and the
    history records no occupancy change the camera did not see."""
    import sqlite3

    env, cfg, db, proc = start_camera_only(tmp_path, clip)
    try:
        evs = events_until(proc, lambda g: any(e["event"] == "sensor" and
                                               e["state"] == "offline" for e in g), 60)

        def status(*flag: str) -> str:
            return subprocess.run([sys.executable, "-m", "sitwatch", "--no-user-config",
                                   "--config", str(cfg), "status", *flag], env=env,
                                  capture_output=True, text=True, timeout=30).stdout

        deadline = time.monotonic() + 15  # the status file follows within a second
        st = json.loads(status("--json"))
        while not st.get("timer_paused") and time.monotonic() < deadline:
            st = json.loads(status("--json"))
        shown = status()
    finally:
        stop(proc)
    kinds = [(e["event"], e.get("state")) for e in evs]
    assert ("occupancy", "occupied") in kinds and ("sensor", "offline") in kinds, kinds
    main_line = shown.splitlines()[0]
    assert main_line.startswith("Occupied when last seen"), shown
    assert "sitting timer paused at under a minute" in main_line, shown
    assert "until the camera is back" in main_line and "camera offline" in main_line, shown
    assert "cushion" not in shown
    assert st["timer_paused"] is True and st["occupancy"] == "occupied", st
    assert st["spell_seconds"] > 20, st
    with sqlite3.connect(db) as conn:
        seat = conn.execute("SELECT state FROM events WHERE event = 'occupancy'").fetchall()
    assert seat == [("occupied",)]


def test_cushion_and_camera_fuse_by_the_documented_rules(tmp_path, clip) -> None:
    lay = layout.load("smartchair-12")
    sim = Simulator(lay, short_demo(0), 10, 0)
    cal = tmp_path / "cal.json"
    from_arrays(lay, tare=robust_mean(sim.frames_at(np.arange(2, 28, 0.5))),
                upright=robust_mean(sim.frames_at(np.arange(60, 150, 0.5))),
                method="recording").save(cal)
    env = env_for(tmp_path)
    link = tmp_path / "cushion"
    simp = start_cushion(env, link, speed=10)
    daemon = None
    try:
        daemon = subprocess.Popen(
            [sys.executable, "-m", "sitwatch", "run", "--no-user-config", "--config",
             str(camera_cfg(tmp_path)), "--port", str(link), "--layout", "smartchair-12",
             "--calibration", str(cal), "--camera", str(clip), "--headless", "--json"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        evs = events_until(daemon, lambda g: any(e["event"] == "posture" and
                                                 e.get("source") == "fused" and
                                                 e["state"] == "slouched" for e in g), 45)
        status = subprocess.run([sys.executable, "-m", "sitwatch", "status"], env=env,
                                capture_output=True, text=True, timeout=30).stdout
    finally:
        stop(daemon, simp)
    # the cushion's line and the camera's, both
    assert " · cushion online (" in status and " · camera online (a pose every " in status, status
    fused = [e for e in evs if e["event"] == "posture" and e.get("source") == "fused"]
    assert any(e["state"] == "upright" for e in fused)
    slump = next(e for e in fused if e["state"] == "slouched")
    # the cushion still says upright (the virtual sitter's pelvis has not moved); the camera
    # sees the head drop; rule P4 takes the more serious of the two
    assert slump["cushion"] == "upright" and slump["camera"] == "slouched" and slump["rule"] == "P4"
    occupancy = [e for e in evs if e["event"] == "occupancy"]
    assert occupancy and all(e.get("source") != "camera" for e in occupancy)  # rule O1


def test_pause_closes_the_camera_and_releases_the_model(tmp_path, clip) -> None:
    """`sitwatch pause` through the real command while a camera-only daemon runs with the real
    model: the daemon says the camera is closed and the model let go, and `resume` brings the
    camera back (its events carry on)."""
    import selectors

    env = env_for(tmp_path)
    cfg = camera_cfg(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "sitwatch", "-v", "run", "--no-user-config", "--config", str(cfg),
         "--camera", str(clip), "--headless", "--json"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    sel = selectors.DefaultSelector()
    assert proc.stderr is not None
    sel.register(proc.stderr, selectors.EVENT_READ)
    log = b""

    def wait_log(text: bytes, seconds: float = 30) -> bool:
        nonlocal log
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and text not in log:
            if sel.select(timeout=0.2):
                chunk = os.read(proc.stderr.fileno(), 65536)  # type: ignore[union-attr]
                if not chunk:
                    break
                log += chunk
        return text in log

    def sitwatch(*argv: str) -> None:
        done = subprocess.run([sys.executable, "-m", "sitwatch", *argv, "--no-user-config",
                               "--config", str(cfg)], env=env, capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0, done.stderr

    try:
        evs = events_until(proc, lambda g: any(e["event"] == "occupancy" for e in g), 40)
        assert evs, log.decode(errors="replace")[-2000:]
        sitwatch("pause")
        assert wait_log(b"camera closed and pose model released"), log.decode()[-2000:]
        sitwatch("resume")
        assert wait_log(b"camera back on"), log.decode()[-2000:]
    finally:
        stop(proc)


def test_camera_only_slouch_nudge_is_about_the_head(tmp_path, clip) -> None:
    """The camera's slouch is a head dropped towards the desk: the nudge `sitwatch run` sends
    speaks of the head, not of the hips the camera cannot see."""
    from sitwatch.nudging.guidance import CATALOG, HEAD_DOWN

    env = env_for(tmp_path)
    cfg = camera_cfg(tmp_path)
    cfg.write_text(cfg.read_text() + "[nudges]\nslouch_after = 2.0\n"
                   "[nudges.dnd]\nenabled = false\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "sitwatch", "run", "--no-user-config", "--config", str(cfg),
         "--camera", str(clip), "--headless", "--json"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        evs = events_until(proc, lambda g: any(e["event"] == "nudge" and e.get("kind") == "slouch"
                                               for e in g), 45)
    finally:
        stop(proc)
    nudge = next(e for e in evs if e["event"] == "nudge" and e.get("kind") == "slouch")
    assert nudge["title"] in CATALOG[HEAD_DOWN].titles, nudge
    assert "hips" not in nudge["message"] and nudge["why"] == CATALOG[HEAD_DOWN].why


def test_a_slouch_only_the_camera_saw_gets_the_heads_words_with_a_cushion_too(tmp_path,
                                                                             clip) -> None:
    """Regression: with a cushion and a camera, a slouch only the camera saw (the head dropped,
    the virtual sitter's pelvis where it was: the cushion reads upright) got the cushion's words
    about sliding the hips back. `sitwatch run` now sends the head's words and says the camera
    saw it, in its output and in the history."""
    import sqlite3

    from sitwatch.nudging.guidance import CATALOG, HEAD_DOWN

    env, cfg, db, simp = fused_setup(tmp_path)
    daemon = None
    try:
        daemon = start_fused(env, cfg, tmp_path, clip)
        evs = events_until(daemon, lambda g: any(e["event"] == "nudge" and
                                                 e.get("kind") == "slouch" for e in g), 60)
    finally:
        stop(daemon, simp)
    nudge = next((e for e in evs if e["event"] == "nudge" and e.get("kind") == "slouch"), None)
    assert nudge is not None, [e for e in evs if e["event"] in ("posture", "nudge")]
    fused = [e for e in evs if e["event"] == "posture" and e.get("source") == "fused"
             and e["t"] <= nudge["t"]]
    assert fused[-1]["state"] == "slouched" and fused[-1]["cushion"] == "upright", fused
    assert nudge["title"] in CATALOG[HEAD_DOWN].titles, nudge
    assert "hips" not in nudge["message"] and nudge["why"] == CATALOG[HEAD_DOWN].why
    assert nudge["seen_by"] == ["camera"]
    # each sensor's own posture is an input of the fused one, and says so (the live state, MQTT
    # and `sitwatch status`, follows the fused posture alone)
    own = [e for e in evs if e["event"] == "posture" and e.get("source") != "fused"]
    assert {e["source"] for e in own} == {"cushion", "camera"}
    assert all(e.get("fused_in") is True for e in own) and not any("fused_in" in e for e in fused)
    with sqlite3.connect(db) as conn:
        stored = [json.loads(d) for (d,) in conn.execute(
            "SELECT data FROM events WHERE event = 'nudge'")]
    assert [(s.get("kind"), s.get("title"), s.get("seen_by")) for s in stored][:1] == [
        ("slouch", nudge["title"], ["camera"])]


def test_with_a_cushion_too_not_right_on_a_slouch_only_the_camera_saw_eases_nothing(
        tmp_path, clip) -> None:
    """Regression: the running daemon sends a slouch only the camera saw (the head dropped, the
    virtual sitter's pelvis put: the cushion reads upright), and `sitwatch feedback wrong`
    answers it. It eased the cushion's slouch thresholds (slouch rear ratio 0.3 -> 0.261); the
    answer is now recorded, the command says plainly that nothing is adapted, and the
    thresholds and the feedback file's steps stay as they were."""
    import sqlite3

    env, cfg, db, simp = fused_setup(tmp_path)
    daemon = None
    try:
        daemon = start_fused(env, cfg, tmp_path, clip)
        evs = events_until(daemon, lambda g: any(e["event"] == "nudge" and
                                                 e.get("kind") == "slouch" for e in g), 60)
        said = subprocess.run([sys.executable, "-m", "sitwatch", "--no-user-config", "--config",
                               str(cfg), "feedback", "wrong"], env=env, capture_output=True,
                              text=True, timeout=30)
        evs += events_until(daemon, lambda g: any(e["event"] == "feedback" for e in g), 10)
    finally:
        stop(daemon, simp)
    nudge = next((e for e in evs if e["event"] == "nudge" and e.get("kind") == "slouch"), None)
    assert nudge is not None and nudge["seen_by"] == ["camera"], nudge
    assert said.returncode == 0, said.stderr
    assert said.stdout.startswith("Noted: that slouching nudge was not right. It is recorded")
    assert "Only the camera saw that posture, so nothing is adapted" in said.stdout
    assert "->" not in said.stdout and "step" not in said.stdout, said.stdout
    fb = next(e for e in evs if e["event"] == "feedback")
    assert fb["applied"] is False and "changes" not in fb and fb["seen_by"] == ["camera"], fb
    (file,) = tmp_path.rglob("feedback-*.json")  # beside the calibration profile
    assert json.loads(file.read_text())["steps"] == {}
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT kind, action, applied FROM feedback").fetchall() == [
            ("slouch", "wrong", 0)]


def test_with_a_cushion_too_the_webcam_going_is_the_cameras_state_on_mqtt(tmp_path, clip,
                                                                          broker) -> None:
    """Regression: `sitwatch run` with the virtual cushion and a webcam (the clip, which ends:
    the camera goes offline) publishing to a real mosquitto. The camera's going reached Home
    Assistant as the Cushion going offline; it is now the Camera entity's state, the cushion's
    stays online, and `sitwatch status` says the same."""
    pytest.importorskip("paho.mqtt.client", reason="needs paho-mqtt>=2")
    from tests.helpers.servers import Watcher

    w = Watcher(broker, "sitwatch/state/cushion", "sitwatch/state/camera",
                "homeassistant/binary_sensor/#")
    env, cfg, _db, simp = fused_setup(tmp_path)
    cfg.write_text(cfg.read_text() + f'[mqtt]\nenabled = true\nhost = "{broker.host}"\n'
                   f'port = {broker.port}\nnode_id = "desk"\n')
    daemon = None
    try:
        daemon = start_fused(env, cfg, tmp_path, clip)
        # the clip's end, told either way (as the cushion's going, before the fix)
        assert w.wait_for(lambda ms: any(m.topic.startswith("sitwatch/state/") and
                                         m.text == "offline" for m in ms), 60), w.messages
        w.settle()
        status = subprocess.run([sys.executable, "-m", "sitwatch", "--no-user-config",
                                 "--config", str(cfg), "status"], env=env, capture_output=True,
                                text=True, timeout=30).stdout
    finally:
        stop(daemon, simp)
        w.close()
    cushion = [m.text for m in w.messages if m.topic == "sitwatch/state/cushion"]
    assert cushion and set(cushion) == {"online"}, cushion
    assert [m.text for m in w.messages if m.topic == "sitwatch/state/camera"][-1] == "offline"
    assert "homeassistant/binary_sensor/desk/camera/config" in {m.topic for m in w.messages}
    assert " · cushion online (" in status and " · camera offline: " in status, status
