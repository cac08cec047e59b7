"""sitwatch as a user runs it: real processes, a real pty, real files."""

from __future__ import annotations

import io
import itertools
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from sitwatch.runtime.demo import run_demo
from sitwatch.sensing import layout
from sitwatch.sensing.calibration import from_arrays, robust_mean
from sitwatch.sim.script import short_demo
from sitwatch.sim.simulator import Simulator
from tests.helpers.virtual_cushion import start_cushion

pytestmark = pytest.mark.integration


def env_for(tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    for var, sub in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_STATE_HOME", "state"),
        ("XDG_RUNTIME_DIR", "run"),
    ):
        (tmp / sub).mkdir(exist_ok=True)
        env[var] = str(tmp / sub)
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def test_demo_matches_what_the_virtual_sitter_did() -> None:
    out = io.StringIO()
    res = run_demo(layout=layout.load("smartchair-12"), seed=7, live=False, out=out)
    text = out.getvalue()
    assert "What sitwatch measured" in text and "The day's report" in text
    outcomes = [e for e in res["events"] if e.event == "nudge_outcome"]
    acted = sum(bool(e.get("responded")) for e in outcomes)
    assert f"acted on {acted} of {len(outcomes)}" in text
    kinds = {e.get("kind") for e in res["events"] if e.event == "nudge"}
    assert kinds == {"prolonged_sitting", "slouch", "asymmetric_load", "wallet"}
    scr = res["script"]
    seated = sum(b - a for a, b in scr.episodes(lambda b: b.present))
    assert abs(res["tally"].occupied - seated) / seated < 0.02
    slouched = sum(b - a for a, b in scr.episodes(lambda b: b.present and b.posture == "slouched"))
    measured = res["tally"].posture["slouched"]
    assert abs(measured - slouched) / slouched < 0.15
    breaks = [e for e in res["events"] if e.event == "break"]
    assert len(breaks) == len(scr.spells(120.0)) - 1


def test_make_demo_command_runs_plain(tmp_path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "sitwatch", "demo", "--plain"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env_for(tmp_path),
    )
    assert proc.returncode == 0, proc.stderr
    assert "NUDGE" in proc.stdout and "Real breaks" in proc.stdout
    assert not list((tmp_path / "data").rglob("*")), "the demo must not touch the user's data dir"
    # the day starts with someone sitting down, not "got up" before anyone sat (the seat's
    # first state, empty, is how it was found)
    events = [ln[7:] for ln in proc.stdout.splitlines() if ln[:2].isdigit() and ln[2] == ":"]
    assert events[0] == "sat down", events[:3]
    # one nudge at a time: two kinds due together ("Still sitting" and "Bring the screen to
    # you" at 09:31) come at least nudges.spacing (2 min) apart
    sent = [int(ln[:2]) * 60 + int(ln[3:5]) for ln in proc.stdout.splitlines()
            if ln[:2].isdigit() and ln[2] == ":" and ln[7:].startswith("NUDGE")]
    assert len(sent) > 5 and min(b - a for a, b in itertools.pairwise(sent)) >= 2, sent


def read_events(proc: subprocess.Popen, until, deadline: float) -> list[dict]:
    import selectors

    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    got: list[dict] = []
    buf = b""
    while time.monotonic() < deadline:
        if not sel.select(timeout=0.2):
            continue
        chunk = os.read(proc.stdout.fileno(), 65536)
        if not chunk:
            break
        buf += chunk
        *lines, buf = buf.split(b"\n")
        for line in lines:
            if line.strip():
                got.append(json.loads(line))
        if until(got):
            break
    return got


def calibrated_and_quick(tmp_path: Path, extra: str = "") -> tuple[Path, Path]:
    """A profile of the virtual sitter of the demo script (its empty seat and its first upright
    minutes), and a config with short dwell times so a test need not wait long."""
    lay = layout.load("smartchair-12")
    sim = Simulator(lay, short_demo(0), 10, 0)
    upright = robust_mean(sim.frames_at(np.arange(60, 150, 0.5)))
    tare = robust_mean(sim.frames_at(np.arange(2, 28, 0.5)))
    cal = tmp_path / "cal.json"
    from_arrays(lay, tare=tare, upright=upright, method="recording").save(cal)
    cfg = tmp_path / "fast.toml"
    cfg.write_text(extra + "[detect.occupancy]\nenter_dwell = 0.3\nexit_dwell = 0.3\n"
                   "[status]\ninterval = 0.5\n")
    return cal, cfg


def test_daemon_on_a_simulated_cushion_over_a_pty(tmp_path) -> None:
    """`sitwatch simulate` streams on a pty; `sitwatch run` watches it; `status` reports it."""
    cal, cfg = calibrated_and_quick(tmp_path, "[detect.posture]\ndwell = 1.0\n")
    env = env_for(tmp_path)
    link = tmp_path / "cushion"
    speed = 60
    simp = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sitwatch",
            "simulate",
            "--script",
            "demo",
            "--layout",
            "smartchair-12",
            "--hz",
            "10",
            "--speed",
            str(speed),
            "--link",
            str(link),
            "--unplug",
            "240:2",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    daemon = None
    try:
        deadline = time.monotonic() + 15
        while not link.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert link.exists(), "the simulator did not create its pty"
        daemon = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sitwatch",
                "run",
                "--no-user-config",
                "--config",
                str(cfg),
                "--port",
                str(link),
                "--layout",
                "smartchair-12",
                "--calibration",
                str(cal),
                "--headless",
                "--json",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        t0 = time.monotonic()
        evs = read_events(
            daemon,
            lambda g: any(e["event"] == "posture" and e["state"] == "slouched" for e in g),
            t0 + 40,
        )
        kinds = [(e["event"], e.get("state")) for e in evs]
        assert ("occupancy", "occupied") in kinds
        assert ("posture", "upright") in kinds
        assert ("posture", "slouched") in kinds, kinds
        # the cushion unplugged at simulated minute 4 for 2 s: reported, then back
        offline = kinds.index(("sensor", "offline"))
        assert ("sensor", "online") in kinds[offline:]
        assert kinds.index(("posture", "slouched")) > offline
        # each line says when it happened, by the wall clock with its offset, as on MQTT
        ats = [datetime.fromisoformat(e["at"]) for e in evs]
        assert all(a.tzinfo is not None for a in ats) and ats == sorted(ats)
        assert abs((datetime.now(UTC) - ats[-1]).total_seconds()) < 60
        status = subprocess.run(
            [sys.executable, "-m", "sitwatch", "status", "--json", "--no-user-config"],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        st = json.loads(status.stdout)
        assert st["running"] and st["occupancy"] == "occupied"
        assert st["sensor"]["online"] and st["sensor"]["frames"] > 50
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(15) == 0
        # on the simulator, what the daemon keeps goes to a folder of its own
        hist = tmp_path / "data" / "sitwatch" / "simulated" / "history.sqlite"
        assert hist.exists() and not (tmp_path / "data" / "sitwatch" / "history.sqlite").exists()
        # everything written about the sitter is owner-only, in owner-only folders (#14 item 16)
        written = [p for sub in ("data", "state", "run")
                   for p in (tmp_path / sub).rglob("*") if "sitwatch" in p.parts]
        assert hist in written and any(p.name == "status.json" for p in written)
        loose = [f"{p} {p.stat().st_mode & 0o777:o}" for p in written
                 if p.stat().st_mode & 0o077]
        assert not loose, loose
        after = subprocess.run(
            [sys.executable, "-m", "sitwatch", "status", "--no-user-config"],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert after.returncode == 3 and "stopped" in after.stdout.lower()
    finally:
        for p in (daemon, simp):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait(5)


def test_a_daemon_killed_and_restarted_carries_on_the_sitting_spell(tmp_path) -> None:
    """Issue #15: after `kill -9` and a restart the spell started from zero (0 of 31 continued),
    so a crash-looping daemon never reached sit_limit. A restart within min_break is no break."""
    cal, cfg = calibrated_and_quick(tmp_path)
    env = env_for(tmp_path)
    link = tmp_path / "cushion"
    simp = start_cushion(env, link, speed=20)
    run = [sys.executable, "-m", "sitwatch", "run", "--no-user-config", "--config", str(cfg),
           "--port", str(link), "--layout", "smartchair-12", "--calibration", str(cal),
           "--headless"]
    status_file = tmp_path / "run" / "sitwatch" / "status.json"

    def spell_when(pid: int, pred, deadline: float) -> float:
        while time.monotonic() < deadline:
            try:
                d = json.loads(status_file.read_text())
            except (OSError, ValueError):
                d = {}
            if (d.get("pid") == pid and d.get("occupancy") == "occupied"
                    and pred(d.get("spell_seconds") or 0.0)):
                return float(d["spell_seconds"])
            time.sleep(0.1)
        raise AssertionError(f"status never got there: {status_file.read_text()}")

    daemon = second = None
    try:
        daemon = subprocess.Popen(run, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        before = spell_when(daemon.pid, lambda s: s >= 6.0, time.monotonic() + 40)
        daemon.kill()  # kill -9: no clean stop, the status file says it was still running
        daemon.wait(10)
        second = subprocess.Popen(run, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True)
        after = spell_when(second.pid, lambda s: s > 0, time.monotonic() + 30)
        assert after >= before, (before, after)  # carried on, not started again from zero
    finally:
        for p in (second, daemon, simp):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait(5)


def test_the_status_folder_removed_under_a_running_daemon_is_made_again_owner_only(
        tmp_path) -> None:
    """The daemon makes its status file's folder owner-only at its first write only (it did a
    stat of each parent and a mkdir at every write); a runtime folder cleaned under it is made
    again, 0700, with the file 0600, and `sitwatch status` goes on reading it."""
    import shutil

    cal, cfg = calibrated_and_quick(tmp_path)
    env = env_for(tmp_path)
    link = tmp_path / "cushion"
    simp = start_cushion(env, link, speed=20)
    folder = tmp_path / "run" / "sitwatch"
    status_file = folder / "status.json"

    def written_by(pid: int, deadline: float) -> dict:
        while time.monotonic() < deadline:
            try:
                d = json.loads(status_file.read_text())
            except (OSError, ValueError):
                d = {}
            if d.get("pid") == pid and (d.get("sensor") or {}).get("frames"):
                return d
            time.sleep(0.1)
        raise AssertionError(f"no status file from the daemon in {folder}")

    daemon = None
    try:
        daemon = subprocess.Popen(
            [sys.executable, "-m", "sitwatch", "run", "--no-user-config", "--config", str(cfg),
             "--port", str(link), "--layout", "smartchair-12", "--calibration", str(cal),
             "--headless"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        written_by(daemon.pid, time.monotonic() + 40)
        shutil.rmtree(folder)
        d = written_by(daemon.pid, time.monotonic() + 30)  # (at the latest, the heartbeat)
        assert oct(folder.stat().st_mode & 0o777) == "0o700"
        assert oct(status_file.stat().st_mode & 0o777) == "0o600"
        assert not [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]
        st = subprocess.run([sys.executable, "-m", "sitwatch", "status", "--json"], env=env,
                            capture_output=True, text=True, timeout=30)
        assert st.returncode == 0, st.stderr
        assert json.loads(st.stdout)["running"] and d["pid"] == daemon.pid
    finally:
        for p in (daemon, simp):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait(5)


def test_run_in_a_terminal_says_it_is_running_on_what_and_how_to_stop(tmp_path) -> None:
    """`sitwatch run` in a terminal said nothing until the first change of state, so a new
    user could not tell it was watching. Now one line on stderr (a pty here, as in a terminal)
    names the port and layout and says Ctrl-C stops it; with --json, stdout stays JSON lines
    only, and Ctrl-C ends it cleanly."""
    import pty
    import select

    cal, cfg = calibrated_and_quick(tmp_path, "")
    env = env_for(tmp_path)
    link = tmp_path / "cushion"
    sim = start_cushion(env, link, speed=60)
    master, slave = pty.openpty()
    daemon = None
    try:
        daemon = subprocess.Popen(
            [sys.executable, "-m", "sitwatch", "run", "--no-user-config", "--config", str(cfg),
             "--port", str(link), "--layout", "smartchair-12", "--calibration", str(cal),
             "--headless", "--json"],
            env=env, stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL, text=True)
        os.close(slave)
        said = ""
        deadline = time.monotonic() + 30
        while "Ctrl-C" not in said and time.monotonic() < deadline:
            if select.select([master], [], [], 0.2)[0]:
                try:
                    said += os.read(master, 4096).decode()
                except OSError:
                    break
        assert (f"sitwatch: running, watching {link} (smartchair-12); `sitwatch status` shows "
                "what it sees. Ctrl-C stops it.") in said, said
        assert daemon.stdout is not None
        assert select.select([daemon.stdout], [], [], 30)[0], "no event on stdout"
        first = daemon.stdout.readline()
        daemon.send_signal(signal.SIGINT)
        out, _ = daemon.communicate(timeout=20)
        assert daemon.returncode == 0
        lines = [ln for ln in (first + out).splitlines() if ln.strip()]
        assert lines and all(isinstance(json.loads(ln), dict) for ln in lines), out
        assert "Traceback" not in said
    finally:
        os.close(master)
        if daemon is not None and daemon.poll() is None:
            daemon.kill()
            daemon.wait(5)
        os.killpg(sim.pid, signal.SIGTERM)
        sim.wait(10)
