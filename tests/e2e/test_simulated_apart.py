"""Trying sitwatch on its simulator, as the README's "No hardware yet?" says, leaves your own
history and profile alone: `sitwatch simulate --link L` and `sitwatch run --port L`, real
commands in a fresh home. Before, the simulated sitting went into the real history and a
calibration of the simulator became the profile every later replay of a real recording with
that layout used."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sitwatch.sim.script import Script, away, sit
from sitwatch.sim.simulator import Simulator
from tests.helpers.virtual_cushion import read_until

pytest.importorskip("serial")
pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
DEADLINE = 30.0


def _env(home: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / "config"), "XDG_DATA_HOME": str(home / "data"),
            "XDG_STATE_HOME": str(home / "state"), "XDG_RUNTIME_DIR": str(home / "run"),
            "DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent"}


def _simulator(env: dict[str, str], link: Path, layout: str) -> subprocess.Popen[str]:
    """`sitwatch simulate --link LINK` playing the demo script on ``layout``, in a session of
    its own (stopped with its group)."""
    return subprocess.Popen(
        [sys.executable, "-m", "sitwatch", "simulate", "--no-user-config", "--layout", layout,
         "--link", str(link), "--script", "demo"],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env,
        start_new_session=True)


def _wait(cond, what: str) -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + DEADLINE
    while not cond():
        assert time.monotonic() < end, what
        time.sleep(0.05)  # polling real processes, bounded by the deadline


def test_the_simulator_keeps_its_history_and_profile_apart(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "run").mkdir(parents=True)
    env = _env(home)
    link = tmp_path / "cushion"
    sim = _simulator(env, link, "load-cells-4")
    run = None
    try:
        assert sim.stderr is not None
        said = read_until(sim.stderr, "connect with:")
        assert "a simulated/ folder of its own" in said
        run = subprocess.Popen(
            [sys.executable, "-m", "sitwatch", "run", "--no-user-config", "--headless",
             "--port", str(link), "--layout", "load-cells-4"],
            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env,
            start_new_session=True)
        apart = home / "data" / "sitwatch" / "simulated"
        assert run.stderr is not None
        log = ""
        while "is sitwatch's simulator" not in log:  # said once it is running
            line = run.stderr.readline()
            assert line, log
            log += line
        _wait(lambda: (apart / "history.sqlite").exists(), "no simulated history")
        os.killpg(run.pid, signal.SIGTERM)
        log += run.communicate(timeout=DEADLINE)[1]
        assert run.returncode == 0, log
        # A config that names the simulator as its cushion, working on a recording (not the
        # simulator): calibrate --recording saved into simulated/ and replay used the
        # simulator's profile for real data. The recording's profile is the real one.
        cfg = tmp_path / "cfg.toml"
        cfg.write_text(f'[cushion]\nport = "{link}"\nlayout = "load-cells-4"\n')
        rec = tmp_path / "real.csv"
        sitter = Simulator("load-cells-4", Script([away(10), sit(60)]), hz=5.0, seed=4)
        rec.write_text("p1,p2,p3,p4\n" + "\n".join(sitter.lines()) + "\n")
        mine = ["--no-user-config", "--config", str(cfg)]
        env2 = {**env, "XDG_DATA_HOME": str(tmp_path / "data2")}  # the same simulator running
        cal = subprocess.run(
            [sys.executable, "-m", "sitwatch", *mine, "calibrate", "--recording", str(rec),
             "--layout", "load-cells-4", "--hz", "5", "--upright", "20:60"],
            capture_output=True, text=True, env=env2, timeout=DEADLINE)
        real = tmp_path / "data2" / "sitwatch" / "calibration-load-cells-4.json"
        assert cal.returncode == 0 and real.exists(), cal.stdout + cal.stderr
        assert not (real.parent / "simulated").exists()
        rep = subprocess.run(
            [sys.executable, "-m", "sitwatch", *mine, "replay", str(rec), "--layout",
             "load-cells-4", "--hz", "5"], capture_output=True, text=True, env=env2,
            timeout=DEADLINE)
        assert rep.returncode == 0 and str(real) in rep.stdout + rep.stderr, rep.stdout
    finally:
        if run is not None and run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
        os.killpg(sim.pid, signal.SIGINT)
        sim.communicate(timeout=DEADLINE)
    assert "is sitwatch's simulator" in log and str(apart) in log, log
    assert not (home / "data" / "sitwatch" / "history.sqlite").exists()
    assert not list((home / "data" / "sitwatch").glob("calibration-*.json"))
    # the simulator tidied up its note: the same path is an ordinary port again
    assert not list((home / "run" / "sitwatch" / "simulators").glob("*.json"))


def test_a_config_naming_your_profile_keeps_it_from_the_simulator(tmp_path: Path) -> None:
    """A config that names its files (calibration.profile, history.database), run on the
    simulator: the daemon said both were kept apart, yet it read (and would have learned into)
    your cushion's profile and wrote the simulated sitting into your history. Now it runs from
    the simulator's own profile and says it leaves yours alone (so does doctor); a history the
    config names is written to, as named, and the note says that instead of "kept apart"."""
    import json

    home = tmp_path / "home"
    (home / "run").mkdir(parents=True)
    env = _env(home)
    rec = tmp_path / "real.csv"
    sitter = Simulator("load-cells-4", Script([away(10), sit(60)]), hz=5.0, seed=4)
    rec.write_text("p1,p2,p3,p4\n" + "\n".join(sitter.lines()) + "\n")
    mine, mine_db = tmp_path / "mine.json", tmp_path / "mine.sqlite"
    cal = subprocess.run(
        [sys.executable, "-m", "sitwatch", "calibrate", "--no-user-config", "--recording",
         str(rec), "--layout", "load-cells-4", "--hz", "5", "--upright", "20:60", "-o",
         str(mine)], capture_output=True, text=True, env=env, timeout=DEADLINE)
    assert cal.returncode == 0 and mine.exists(), cal.stdout + cal.stderr
    before = mine.read_bytes()
    link = tmp_path / "cushion"
    cfg = tmp_path / "cfg.toml"
    cfg.write_text(f'[cushion]\nport = "{link}"\nlayout = "load-cells-4"\n'
                   f'[calibration]\nprofile = "{mine}"\n[history]\ndatabase = "{mine_db}"\n')
    sim = _simulator(env, link, "load-cells-4")
    run = None
    apart = home / "data" / "sitwatch" / "simulated"
    try:
        assert sim.stderr is not None
        read_until(sim.stderr, "connect with:")
        doctor = subprocess.run(
            [sys.executable, "-m", "sitwatch", "doctor", "--config", str(cfg)],
            capture_output=True, text=True, env=env, timeout=DEADLINE)
        calib = next(ln for ln in doctor.stdout.splitlines() if "calibration" in ln)
        assert str(apart / "calibration-load-cells-4.json") in calib, doctor.stdout
        assert f"calibration.profile = {mine}, is left alone" in calib
        run = subprocess.Popen(
            [sys.executable, "-m", "sitwatch", "run", "--config", str(cfg), "--headless"],
            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env,
            start_new_session=True)
        assert run.stderr is not None
        log = ""
        while "is sitwatch's simulator" not in log:
            line = run.stderr.readline()
            assert line, log
            log += line
        status = home / "run" / "sitwatch" / "status.json"
        _wait(lambda: status.exists() and "profile_file" in status.read_text(), "no status")
        assert json.loads(status.read_text())["profile_file"] == str(
            apart / "calibration-load-cells-4.json")
        _wait(lambda: mine_db.exists(), "no history where the config names it")
        os.killpg(run.pid, signal.SIGTERM)
        log += run.communicate(timeout=DEADLINE)[1]
        assert run.returncode == 0, log
    finally:
        if run is not None and run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
        os.killpg(sim.pid, signal.SIGINT)
        sim.communicate(timeout=DEADLINE)
    assert f"your own, calibration.profile ({mine}), is left alone" in log, log
    assert f"the simulated sitting goes into history.database ({mine_db})" in log, log
    assert "are left alone" not in log
    assert mine.read_bytes() == before and not (apart / "history.sqlite").exists()


def test_report_points_to_the_simulators_history_until_a_seat_of_its_own_is_watched(
        tmp_path: Path, in_berlin: None) -> None:
    """The README: with the simulator stopped, `sitwatch report` points to the history kept
    while it watched the simulator. It did so only while no history of your own existed: a
    diary entry (`sitwatch log`, which the README suggests trying) made one, and the report
    then said "No sitting recorded" with no word of where the sitting was. The commands run
    in Berlin time, the history's (west of UTC-9, its Monday 09:00 was a Sunday evening)."""
    import json
    from datetime import date, datetime

    from sitwatch.core.clock import ManualClock
    from sitwatch.history.store import Store
    from tests.helpers.cli import sitwatch_ok, sitwatch_ok_both
    from tests.helpers.history import TZ, Sitter

    day = date(2026, 11, 23)
    kept = tmp_path / "data" / "sitwatch" / "simulated" / "history.sqlite"
    kept.parent.mkdir(parents=True)
    clock = ManualClock(datetime(2026, 11, 23, 8, tzinfo=TZ))
    with Store(kept, clock) as store:  # what `sitwatch run` kept while watching the simulator
        sitter = Sitter(store, clock)
        sitter.at(day, 9)
        sitter.sit(50)
        store.end_run()
    logged = sitwatch_ok("log", "numbness", "--side", "left", "--where", "buttock",
                         home=tmp_path)
    # sitwatch did run, on the simulator: not "sitwatch was not running"
    assert "not running" not in logged and f"--history {kept}" in logged, logged
    real = tmp_path / "data" / "sitwatch" / "history.sqlite"
    assert real.exists()  # the diary entry made a history of your own

    out, said = sitwatch_ok_both("report", home=tmp_path)
    assert "No sitting recorded" in out  # the report itself is still shown
    assert f"`--history {kept}`" in said, said
    shown = sitwatch_ok("report", "--history", str(kept), "--day", day.isoformat(),
                        home=tmp_path)
    assert "50 min" in shown, shown  # where it points is where the sitting is
    # an export for a physiotherapist says so too, rather than write empty minutes unsaid
    out, said = sitwatch_ok_both("export", "--since", day.isoformat(), "--json", home=tmp_path)
    assert json.loads(out)["minutes"] == []
    assert f"--history {kept}" in said, said

    with Store(real, ManualClock(datetime(2026, 11, 24, 9, tzinfo=TZ))) as store:
        store.begin_run("smartchair-12", "/dev/ttyACM0")  # a cushion of your own, watched
        store.end_run()
    for argv in (["report"], ["export", "--since", day.isoformat(), "--json"]):
        _, said = sitwatch_ok_both(*argv, home=tmp_path)
        assert "simulator" not in said, (argv, said)


def test_doctor_names_the_simulator_the_daemon_watches_and_how_to_check_it(
        tmp_path: Path) -> None:
    """README's "No hardware yet?": `sitwatch run --port L --layout smartchair-12`, then a
    plain `sitwatch doctor` spoke only of the config's cushion ("no port configured", the
    load-cells-4 calibration and the real history) beside "daemon: running": not that the
    daemon watched the simulator, nor where it kept what it learned."""
    import re
    import shlex

    home = tmp_path / "home"
    (home / "run").mkdir(parents=True)
    env = _env(home)
    link = tmp_path / "cushion"
    sim = _simulator(env, link, "smartchair-12")
    run = None
    try:
        assert sim.stderr is not None
        read_until(sim.stderr, "connect with:")
        run = subprocess.Popen(
            [sys.executable, "-m", "sitwatch", "run", "--no-user-config", "--headless",
             "--port", str(link), "--layout", "smartchair-12"],
            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env,
            start_new_session=True)
        assert run.stderr is not None
        read_until(run.stderr, "is sitwatch's simulator")

        def doctor(*argv: str) -> str:
            done = subprocess.run([sys.executable, "-m", "sitwatch", "doctor",
                                   "--no-user-config", "--listen", "1", *argv],
                                  capture_output=True, text=True, env=env, timeout=120)
            assert "Traceback" not in done.stderr, done.stderr
            return done.stdout

        said = doctor()
        line = next(x for x in said.splitlines() if x.split()[1:2] == ["daemon"])
        assert f"watching {link} (smartchair-12)" in line, said
        advised = re.search(r"`sitwatch doctor ([^`]+)`", line)
        assert advised, line
        assert shlex.split(advised.group(1)) == ["--port", str(link), "--layout",
                                                 "smartchair-12"]
        then = doctor(*shlex.split(advised.group(1)))
        history = next(x for x in then.splitlines() if x.split()[1:2] == ["history"])
        assert str(home / "data" / "sitwatch" / "simulated" / "history.sqlite") in history
        daemon = next(x for x in then.splitlines() if x.split()[1:2] == ["daemon"])
        assert "watching" not in daemon, daemon  # the one it watches: nothing more to say
    finally:
        for proc in (run, sim):
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.communicate(timeout=DEADLINE)
