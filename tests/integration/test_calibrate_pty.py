"""Live `sitwatch calibrate` against a cushion on a real pseudo-terminal (issue #14 items 2, 10).

The fake cushion streams at 50 Hz the whole time, as a real one does, including while the
person reads the prompt; it switches from an empty seat to a seated one when they press Enter
for the upright step. What queued up before Enter must not end up in the profile.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import tty
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sitwatch.cli import calibrate_live
from sitwatch.config import Config
from sitwatch.core.clock import SystemClock
from sitwatch.sensing import calibration
from sitwatch.sensing.layout import grid
from sitwatch.sensing.layout import load as load_layout
from sitwatch.sources.serial import SerialSource
from tests.helpers.virtual_cushion import press, start_steered

pytestmark = pytest.mark.integration

LAY = grid(2, 2)  # four cells, full_scale 255
EMPTY = [12, 10, 11, 13]
SEATED = [180, 170, 150, 160]
SLUMPED = [80, 90, 200, 190]


class StreamingCushion:
    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.path = os.ttyname(self.slave)
        self.values = EMPTY
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.wait(0.02):
            try:
                os.write(self.master, (",".join(map(str, self.values)) + "\n").encode())
            except OSError:
                return

    def close(self) -> None:
        self.stop.set()
        self.thread.join(2)
        os.close(self.master)
        os.close(self.slave)


@pytest.fixture
def cushion() -> Iterator[StreamingCushion]:
    c = StreamingCushion()
    yield c
    c.close()


@pytest.fixture(autouse=True)
def short_steps(monkeypatch) -> None:
    monkeypatch.setattr(calibrate_live, "STEPS",
                        {k: (text, 1.0) for k, (text, _) in calibrate_live.STEPS.items()})


def _run(cushion: StreamingCushion | Path, tmp_path: Path, answers, lay=LAY,
         name: str = "grid:2x2", sleep=lambda s: None) -> tuple[int, str]:
    """The guided session on ``cushion`` (a fake one, or the path of a port; layout ``lay``,
    called ``name`` in the config), ``answers`` giving each prompt's answer, ``sleep`` the
    countdown's: (exit code, what it printed)."""
    port = str(cushion if isinstance(cushion, Path) else cushion.path)
    cfg = Config.model_validate({"cushion": {"port": port, "layout": name}})
    clock = SystemClock()
    source = SerialSource(cfg.cushion, lay, clock)

    def answer(prompt: str) -> str:
        return str(answers(prompt))

    class Out:
        text = ""

        def write(self, s: str) -> None:
            Out.text += s

        def flush(self) -> None:
            pass

    code = calibrate_live.interactive(cfg, lay, tmp_path / "cal.json", source=source,
                                      clock=clock, input_fn=answer, out=Out(),
                                      sleep=sleep, extra=None)
    return code, Out.text


def test_a_step_measures_what_happens_after_enter_not_the_backlog(cushion, tmp_path) -> None:
    steps = iter(["n", "empty", "upright"])

    def answers(prompt: str) -> str:
        if prompt.startswith("Also record"):
            return next(steps)
        step = next(steps)
        time.sleep(1.5)  # reading the prompt, getting into position: 75 frames queue up
        cushion.values = EMPTY if step == "empty" else SEATED
        return ""

    code, text = _run(cushion, tmp_path, answers)
    assert code == 0, text
    prof = calibration.load(tmp_path / "cal.json")
    np.testing.assert_allclose(prof.array("upright"), SEATED, rtol=0.02)
    np.testing.assert_allclose(prof.array("tare"), EMPTY, atol=1.5)
    assert (tmp_path / "cal.json").stat().st_mode & 0o777 == 0o600


def test_declining_an_optional_step_keeps_the_finished_ones(cushion, tmp_path) -> None:
    """A slouch that reads like upright sitting is refused; saying no to a retry skips it
    (and the leans still run), it does not throw away the empty and upright steps."""
    plan = {"empty": EMPTY, "upright": SEATED, "slouch": SEATED,  # a slouch nobody did
            "lean_left": SLUMPED[::-1], "lean_right": SLUMPED}
    order = iter(plan)

    def answers(prompt: str) -> str:
        if prompt.startswith("Also record"):
            return "y"
        if "again" in prompt:
            return "n"
        cushion.values = plan[next(order)]
        time.sleep(0.1)
        return ""

    code, text = _run(cushion, tmp_path, answers)
    assert code == 0, text
    assert "Skipping this step" in text
    prof = calibration.load(tmp_path / "cal.json")
    np.testing.assert_allclose(prof.array("upright"), SEATED, rtol=0.02)
    assert prof.array("slouch") is None
    assert prof.array("lean_right") is not None


CHAIR = load_layout("smartchair-12")
CHAIR_EMPTY = [0] * 12
# p00..p03 backrest, p04.. seat rear to front
CHAIR_UP = [2400, 1800, 350, 1100, 1550, 1280, 300, 360, 630, 470, 290, 770]
CHAIR_AWAY = [0, 0, 0, 0, 2015, 1664, 390, 468, 819, 611, 377, 1001]  # backrest free


def test_a_chair_with_a_backrest_offers_the_upright_away_step(cushion, tmp_path) -> None:
    """Issue #10: on a chair with backrest sensors, calibration asks whether you also sit
    upright away from the backrest; saying yes adds that step, and the profile keeps it (and
    the upright minute's spread) for the detectors."""
    cushion.values = CHAIR_EMPTY
    plan = iter([CHAIR_EMPTY, CHAIR_UP, CHAIR_AWAY])
    asked: list[str] = []

    def answer(prompt: str) -> str:
        asked.append(prompt)
        if prompt.startswith("Do you also sit upright away"):
            return "y"
        if prompt.startswith("Also record"):
            return "n"
        cushion.values = next(plan)
        time.sleep(0.2)  # getting into position; what queued up before Enter is dropped
        return ""

    code, text = _run(cushion, tmp_path, answer, CHAIR, "smartchair-12")
    assert code == 0, text
    assert "Step 3/3" in text and "away from the backrest" in text
    prof = calibration.load(tmp_path / "cal.json")
    np.testing.assert_allclose(prof.array("upright"), CHAIR_UP, rtol=0.02)
    np.testing.assert_allclose(prof.array("upright_away"), CHAIR_AWAY, rtol=0.02)
    assert prof.spread is not None and set(prof.spread) >= {"cop_x", "back_x", "front_x"}


def test_a_seat_only_cushion_is_not_asked_about_the_backrest(cushion, tmp_path) -> None:
    steps = iter(["empty", "upright"])
    asked: list[str] = []

    def answers(prompt: str) -> str:
        asked.append(prompt)
        if prompt.startswith("Also record"):
            return "n"
        cushion.values = EMPTY if next(steps) == "empty" else SEATED
        time.sleep(0.1)
        return ""

    code, text = _run(cushion, tmp_path, answers)
    assert code == 0, text
    assert not any("backrest" in p for p in asked)
    assert calibration.load(tmp_path / "cal.json").upright_away is None


LEANED = [250, 100, 215, 85]  # the same load, shifted onto the first column


def test_a_sideways_move_during_the_upright_step_is_caught_and_the_step_retaken(
        cushion, tmp_path) -> None:
    """Half of the upright step sat leaning to one side (the total load unchanged, so the
    old steadiness check passed). Saved as it was, its spread would have raised the lean
    threshold several times over and leans would go unreported; the step says so and is taken
    again, still this time."""
    plan = iter(["empty", "upright-moving", "upright"])
    timers: list[threading.Timer] = []

    def answers(prompt: str) -> str:
        if prompt.startswith("Also record"):
            return "n"
        if "again" in prompt:
            return "y"
        step = next(plan)
        cushion.values = EMPTY if step == "empty" else SEATED
        if step == "upright-moving":  # half way through the 1 s step, lean to one side

            def lean() -> None:
                cushion.values = LEANED

            timers.append(threading.Timer(0.5, lean))
            timers[-1].start()
        time.sleep(0.1)
        return ""

    code, text = _run(cushion, tmp_path, answers)
    for t in timers:
        t.cancel()
    assert code == 0, text
    assert "That did not look right: the seat's centre moved sideways" in text, text
    assert text.count("Step 2/2") == 2  # asked again
    prof = calibration.load(tmp_path / "cal.json")
    np.testing.assert_allclose(prof.array("upright"), SEATED, rtol=0.02)


def _sit(cushion: StreamingCushion, tmp_path: Path, seated: list[int]) -> tuple[int, str]:
    """The two required steps, sitting with ``seated`` readings for the upright one."""
    steps = iter(["empty", "upright"])

    def answers(prompt: str) -> str:
        if prompt.startswith("Also record"):
            return "n"
        cushion.values = EMPTY if next(steps) == "empty" else seated
        time.sleep(0.1)
        return ""

    return _run(cushion, tmp_path, answers)


def test_staying_seated_for_the_empty_step_is_caught_and_calibration_restarts_from_it(
    cushion, tmp_path
) -> None:
    """Sitting through step 1 ("leave the seat empty") makes step 2 read as empty against that
    tare, and retrying step 2 can never help: sitwatch says step 1 was probably not empty and
    starts again from it."""
    steps = iter(["seated", "upright", "empty", "upright"])
    asked: list[str] = []

    def answers(prompt: str) -> str:
        asked.append(prompt)
        if prompt.startswith("Also record"):
            return "n"
        if "again" in prompt:
            return ""
        cushion.values = EMPTY if next(steps) == "empty" else SEATED
        time.sleep(0.1)
        return ""

    code, text = _run(cushion, tmp_path, answers)
    assert code == 0, text
    assert "Step 1 was probably not taken on an empty seat" in text
    assert "  Start again from step 1? (Y/n) " in asked
    assert "Try this step again? (Y/n)" not in "".join(asked)
    assert text.count("Step 1/2") == 2
    prof = calibration.load(tmp_path / "cal.json")
    np.testing.assert_allclose(prof.array("tare"), EMPTY, atol=1.5)
    np.testing.assert_allclose(prof.array("upright"), SEATED, rtol=0.02)


def test_pads_near_the_end_of_their_range_get_a_divider_hint(cushion, tmp_path) -> None:
    """Seated, the four cells read 89-92% of the way up their range: a layout that reads them
    linearly is told that a voltage divider may be flattening them, and how to undo it."""
    code, text = _sit(cushion, tmp_path, [230, 228, 222, 232])
    assert code == 0, text
    assert "Note: under you the loaded pads read 89% of the way" in text, text
    assert "divider = 0.1" in text


def test_pads_in_the_middle_of_their_range_get_no_divider_hint(cushion, tmp_path) -> None:
    code, text = _sit(cushion, tmp_path, SEATED)
    assert code == 0 and "divider" not in text, text


def test_the_reference_postures_are_read_and_tune_the_thresholds(cushion, tmp_path) -> None:
    """The optional slump and leans are no longer stored and forgotten: the session reads each
    one through the detectors, says what it read as, and saves thresholds made more sensitive
    for leans and a slump subtler than the shipped ones expect."""
    lay = CHAIR
    up = np.array(CHAIR_UP, float)
    left = lay.x < 0

    def lean(k: float) -> list[int]:
        f = up.copy()
        for mask in (lay.seat_mask, lay.back_mask):
            f[mask & left] *= 1 + k
            f[mask & ~left & (lay.x > 0)] *= 1 - k
        return [int(x) for x in f]

    slump = up.copy()
    slump[[4, 5]] *= 0.3  # the rear row
    slump[[10, 11]] *= 2.4  # the front row
    plan = iter([CHAIR_EMPTY, CHAIR_UP, [int(x) for x in slump], lean(0.25), lean(-0.25)])

    def answer(prompt: str) -> str:
        if prompt.startswith("Do you also sit upright away"):
            return "n"
        if prompt.startswith("Also record"):
            assert "checks that each reads as it should" in prompt
            return "y"
        cushion.values = next(plan)
        time.sleep(0.2)
        return ""

    cushion.values = CHAIR_EMPTY
    code, text = _run(cushion, tmp_path, answer, lay, "smartchair-12")
    assert code == 0, text
    assert "Step 5/5" in text
    assert ("slump              reads upright, not slouched; with your thresholds it reads "
            "slouched") in text, text
    assert "lean to the left   reads balanced" in text, text
    assert "made more sensitive for you: detect.balance.threshold 0.25 -> " in text
    prof = calibration.load(tmp_path / "cal.json")
    assert prof.tuned is not None
    assert 0.15 <= prof.tuned["balance.threshold"] < 0.25
    assert prof.tuned["posture.slouch_rear_ratio"] > 0.3


def test_what_the_cushion_sent_before_calibration_opened_it_is_not_a_step(
        cushion, tmp_path) -> None:
    """Someone sat on the cushion while it streamed into a port nobody had open yet (the
    device keeps what it was sent); then they start the calibration, get up and press Enter
    for the empty step. The frames from before must not become the empty seat's reading."""
    cushion.values = SEATED
    time.sleep(1.0)  # 50 frames wait in the port before sitwatch opens it
    steps = iter(["n", "empty", "upright"])

    def answers(prompt: str) -> str:
        if prompt.startswith("Also record"):
            return next(steps)
        step = next(steps)
        cushion.values = EMPTY if step == "empty" else SEATED
        return ""

    code, text = _run(cushion, tmp_path, answers)
    assert code == 0, text
    prof = calibration.load(tmp_path / "cal.json")
    np.testing.assert_allclose(prof.array("tare"), EMPTY, atol=1.5)
    np.testing.assert_allclose(prof.array("upright"), SEATED, rtol=0.02)


def test_a_guided_calibration_against_the_simulator_steered_by_keys(tmp_path) -> None:
    """The scripted simulator plays its own day and did not follow the calibration's prompts
    (its upright step landed in an away segment and failed). `sitwatch simulate --interactive`
    takes a key per posture: e for the empty step, u for the upright one, and the calibration
    reads what was asked. The real command on a real pty, the session in this process."""
    link = tmp_path / "cushion"
    root = Path(__file__).resolve().parents[2]
    sim = start_steered(
        {**os.environ, "PYTHONPATH": str(root), "XDG_RUNTIME_DIR": str(tmp_path / "run")},
        link, "load-cells-4")
    try:
        assert sim.stdin is not None and sim.stderr is not None
        lay = load_layout("load-cells-4")
        keys = iter(["e", "u"])

        def answer(prompt: str) -> str:
            if prompt.startswith("Also record"):
                return "n"
            if "in position" in prompt:
                press(sim, next(keys))
            return ""

        code, text = _run(link, tmp_path, answer, lay=lay, name="load-cells-4",
                          sleep=time.sleep)
        assert code == 0, text
        press(sim, "q")
        err = sim.communicate(timeout=20)[1].decode()
    finally:
        if sim.poll() is None:
            os.killpg(sim.pid, 15)
            sim.wait(10)
    assert "now the seat empty" in err and "now sitting upright against the backrest" in err
    prof = calibration.load(tmp_path / "cal.json")
    tare, upright = prof.array("tare"), prof.array("upright")
    assert tare is not None and upright is not None
    # each load cell carries a good share of a sitter: far above what the empty seat reads
    assert (upright - tare).min() > 0.05 * lay.full_scale, (tare, upright)
    assert not link.exists()  # q stopped it the way Ctrl-C does


def _simulator(tmp_path: Path, layout: str) -> tuple[Any, Path]:
    """`sitwatch simulate --layout LAYOUT` on a real pty, its path linked at tmp/cushion."""
    import subprocess
    import sys

    link = tmp_path / "cushion"
    root = Path(__file__).resolve().parents[2]
    sim = subprocess.Popen(
        [sys.executable, "-m", "sitwatch", "simulate", "--no-user-config", "--layout", layout,
         "--hz", "10", "--link", str(link)],
        stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(root), "XDG_RUNTIME_DIR": str(tmp_path / "simrun")},
        start_new_session=True)
    for _ in range(200):  # it makes the link once its pty is open
        if link.exists():
            break
        time.sleep(0.05)
    assert link.exists()
    return sim, link


def test_a_guided_calibration_on_the_wrong_layout_stops_at_once(tmp_path) -> None:
    """The simulator sends 12 values a line; --layout fsr-cushion-9 wants 9. Before any question
    sitwatch names the count and the layouts that fit it, as `sitwatch record` does."""
    sim, link = _simulator(tmp_path, "smartchair-12")
    asked: list[str] = []
    try:
        began = time.monotonic()
        code, text = _run(link, tmp_path, lambda p: asked.append(p) or "",
                          lay=load_layout("fsr-cushion-9"), name="fsr-cushion-9")
        took = time.monotonic() - began
    finally:
        os.killpg(sim.pid, 15)
        sim.wait(10)
    assert code == 2, text
    assert asked == []
    assert "sends 12 values per line but layout fsr-cushion-9 has 9" in text
    assert "smartchair-12" in text and "frames" not in text and "no frames" not in text
    assert took < 5, took
    assert not (tmp_path / "cal.json").exists()


@contextlib.contextmanager
def _daemon_holding(tmp_path: Path, env: dict[str, str]) -> Iterator[tuple[Any, Path]]:
    """The simulator on load-cells-4 and `sitwatch run` reading it (exclusively), its XDG
    folders ``env`` under ``tmp_path``, from when it reports the cushion online (it holds the
    port then) until the block ends: (the daemon, the simulator's port)."""
    import json
    import subprocess
    import sys

    sim, link = _simulator(tmp_path, "load-cells-4")
    root = Path(__file__).resolve().parents[2]
    conf = tmp_path / "sitwatch.toml"
    conf.write_text(f'[cushion]\nport = "{link}"\nlayout = "load-cells-4"\n'
                    "[nudges.dnd]\nenabled = false\n[history]\nenabled = false\n")
    daemon = subprocess.Popen(
        [sys.executable, "-m", "sitwatch", "run", "--headless", "--config", str(conf)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, **env, "PYTHONPATH": str(root)}, start_new_session=True)
    status = tmp_path / "run" / "sitwatch" / "status.json"
    try:
        for _ in range(400):  # until it reports the cushion online: it holds the port then
            try:
                if json.loads(status.read_text())["sensor"]["online"] is True:
                    break
            except (OSError, ValueError, KeyError, TypeError):
                pass
            time.sleep(0.05)
        else:
            raise AssertionError("the daemon never read the cushion")
        yield daemon, link
    finally:
        daemon.terminate()
        daemon.wait(20)
        os.killpg(sim.pid, 15)
        sim.wait(10)


_XDG = (("XDG_RUNTIME_DIR", "run"), ("XDG_STATE_HOME", "state"), ("XDG_DATA_HOME", "data"),
        ("XDG_CONFIG_HOME", "cfg"))


def test_a_guided_calibration_while_the_daemon_holds_the_port_says_to_stop_it(
    tmp_path, monkeypatch
) -> None:
    """`sitwatch run` reads the simulator's pty (exclusively); a calibration on the same port
    says to stop it, with its pid, instead of waiting out 'no frames from the cushion'."""
    xdg = {var: str(tmp_path / sub) for var, sub in _XDG}
    for var, value in xdg.items():
        monkeypatch.setenv(var, value)
    with _daemon_holding(tmp_path, xdg) as (daemon, link):
        asked: list[str] = []
        code, text = _run(link, tmp_path, lambda p: asked.append(p) or "",
                          lay=load_layout("load-cells-4"), name="load-cells-4")
    assert code == 1, text
    assert asked == []
    assert f"held by `sitwatch run` (pid {daemon.pid})" in text and "Stop it first" in text
    assert "no frames" not in text


def _exit_and_text(cal: Any, master: int) -> tuple[int, str]:
    """A calibrate that ends by itself: its exit status and all it wrote on the terminal."""
    said = b""
    try:
        code = cal.wait(30)
        said += _the_rest(master)
    finally:
        _end(cal, master)
    return code, said.decode(errors="replace")


def test_the_real_command_on_a_port_the_daemon_holds_says_it_once(tmp_path) -> None:
    """The real `sitwatch calibrate` on a terminal, on the port `sitwatch run` holds: its own
    message alone, which names the daemon and what to do. A `WARNING sitwatch.serial: ... in
    use by another program` log line came before it, saying less."""
    xdg = {var: str(tmp_path / sub) for var, sub in _XDG}
    with _daemon_holding(tmp_path, xdg) as (daemon, link):
        cal, master = _calibrate_on_a_terminal(tmp_path, link, "load-cells-4")
        code, text = _exit_and_text(cal, master)
    assert code == 1, text
    assert f"held by `sitwatch run` (pid {daemon.pid})" in text and "Stop it first" in text
    assert "WARNING" not in text and "in use by another program" not in text, text
    assert "Traceback" not in text


def _calibrate_on_a_terminal(tmp_path: Path, port: Path, layout: str) -> tuple[Any, int]:
    """The real `sitwatch calibrate` on a pseudo-terminal, its XDG folders under ``tmp_path``:
    (the process, the terminal's other end to read it and answer it on)."""
    import pty
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    for var, sub in (("XDG_RUNTIME_DIR", "run"), ("XDG_STATE_HOME", "state"),
                     ("XDG_DATA_HOME", "data"), ("XDG_CONFIG_HOME", "cfg")):
        env[var] = str(tmp_path / sub)
    master, slave = pty.openpty()
    cal = subprocess.Popen(
        [sys.executable, "-m", "sitwatch", "calibrate", "--no-user-config", "--port", str(port),
         "--layout", layout],
        stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True)
    os.close(slave)
    return cal, master


def _the_rest(master: int) -> bytes:
    """What a command still has to say on its terminal (``master``), once it has ended."""
    import select

    said = b""
    while select.select([master], [], [], 0.2)[0]:
        try:
            said += os.read(master, 4096)
        except OSError:  # the command has gone and its end of the terminal with it
            break
    return said


def _end(cal: Any, master: int) -> None:
    """Stop the command if it is still running, and close its terminal."""
    if cal.poll() is None:
        cal.kill()
        cal.wait(5)
    os.close(master)


def test_ctrl_c_at_a_question_of_the_real_command_exits_130(tmp_path) -> None:
    """`sitwatch calibrate` on a terminal, the simulator as its cushion: Ctrl-C at its first
    question said "Calibration cancelled; nothing was saved." and exited 1, the code of a
    failure; an interrupted command exits 130, as `sitwatch calibrate camera` and `serve` do."""
    import select
    import signal

    sim, link = _simulator(tmp_path, "load-cells-4")
    cal, master = _calibrate_on_a_terminal(tmp_path, link, "load-cells-4")
    said = b""
    try:
        while b"(y/N)" not in said:
            assert select.select([master], [], [], 30)[0], said
            said += os.read(master, 4096)
        # press Ctrl-C once it waits for the answer, as a person would (a signal that lands
        # before the read starts would leave the read waiting for a line)
        wchan = Path(f"/proc/{cal.pid}/wchan")
        for _ in range(400):
            if wchan.read_text() == "wait_woken":
                break
            time.sleep(0.01)
        cal.send_signal(signal.SIGINT)
        code = cal.wait(20)
        said += _the_rest(master)
    finally:
        _end(cal, master)
        os.killpg(sim.pid, signal.SIGTERM)
        sim.wait(10)
    text = said.decode(errors="replace")
    assert code == 130, text
    assert "Calibration cancelled; nothing was saved." in text and "Traceback" not in text
    assert not list((tmp_path / "data").rglob("calibration-*.json"))


def test_the_real_command_on_a_port_that_does_not_exist_stops_before_any_question(
    tmp_path,
) -> None:
    """`sitwatch calibrate` on a terminal with a cushion that is not plugged in (or a typo in
    --port): it logged a warning, asked its questions, had the user leave the seat, and only
    after some 20 s said "no frames from the cushion" (exit 1). It says so at once now, in the
    words `sitwatch record` uses, and asks nothing."""

    port = tmp_path / "ttyACM9"
    began = time.monotonic()
    cal, master = _calibrate_on_a_terminal(tmp_path, port, "fsr-cushion-9")
    code, text = _exit_and_text(cal, master)
    took = time.monotonic() - began
    assert code == 1, text
    assert (f"--port {port}: no such device: is the cushion plugged in? (ls /dev/serial/by-id/ "
            "lists USB serial devices); nothing was calibrated") in text
    assert "(y/N)" not in text and "Step 1" not in text and "Traceback" not in text
    assert took < 15, took
    assert not list((tmp_path / "data").rglob("calibration-*.json"))
