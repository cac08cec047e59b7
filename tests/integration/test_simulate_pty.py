"""The virtual cushion on a real pseudo-terminal, read with pyserial like the daemon does.

No test sleeps to wait out a timer: readers block on the pty with short read timeouts, every
loop has a deadline, and the replug is awaited with an event set by the streamer.
"""

from __future__ import annotations

import io
import os
import threading
import time
from pathlib import Path

import numpy as np
import pytest

serial = pytest.importorskip("serial")

from sitwatch.core.clock import ManualClock  # noqa: E402
from sitwatch.sensing.layout import load  # noqa: E402
from sitwatch.sensing.wire import LineParser  # noqa: E402
from sitwatch.sim.pty import PtyStreamer, StreamStats, simulate_command  # noqa: E402
from sitwatch.sim.script import Script, away, sit  # noqa: E402
from sitwatch.sim.simulator import Simulator  # noqa: E402

pytestmark = pytest.mark.integration

LAY = load("smartchair-12")
DEADLINE = 10.0  # seconds any single test may spend reading


class Reader:
    """Reads lines from a port with pyserial and feeds them to a LineParser."""

    def __init__(self, port: str, n: int = LAY.n, full_scale: float = LAY.full_scale) -> None:
        self.ser = serial.Serial(port, timeout=0.1)
        self.parser = LineParser(n, full_scale)
        self.buf = b""
        self.lines: list[bytes] = []

    def pump(self) -> int:
        """Read what is there (waiting at most the read timeout); returns bytes read."""
        chunk = self.ser.read(max(1, self.ser.in_waiting))
        self.buf += chunk
        *lines, self.buf = self.buf.split(b"\n")
        for line in lines:
            self.lines.append(line)
            self.parser.feed(line)
        return len(chunk)

    def until_done(self, thread: threading.Thread) -> None:
        """Read until the streamer has finished and the pty is drained."""
        end = time.monotonic() + DEADLINE
        while time.monotonic() < end:
            if self.pump() == 0 and not thread.is_alive():
                return
        raise AssertionError("the stream did not finish in time")

    def close(self) -> None:
        self.ser.close()


def start(st: PtyStreamer) -> tuple[threading.Thread, list[StreamStats]]:
    out: list[StreamStats] = []
    th = threading.Thread(target=lambda: out.append(st.run()), daemon=True)
    th.start()
    return th, out


def stream_all(st: PtyStreamer, path: str | None = None
               ) -> tuple[Reader, list[StreamStats]]:
    """Open the reader (before streaming: pyserial flushes what is already queued), stream the
    whole script, read it all, clean up. ``path``: the pty if already opened."""
    r = Reader(path or st.open())
    th, stats = start(st)
    try:
        r.until_done(th)
    finally:
        th.join(timeout=DEADLINE)
        r.close()
        st.close()
    return r, stats


def test_streams_wire_lines_readable_with_pyserial() -> None:
    scr = Script([away(2), sit(18)])
    st = PtyStreamer(LAY, scr, hz=20, speed=0, seed=1)  # unpaced: as fast as we read
    path = st.open()
    assert path.startswith("/dev/") and os.path.exists(path)
    r, stats = stream_all(st, path)
    assert stats and stats[0].frames == 400
    p = r.parser
    assert p.stats.frames == 400 and not p.stats.dropped
    assert r.lines[0] == b"# channels=12" and p.declared == LAY.n
    # the same frames as the simulator's, in order
    sim = Simulator(LAY, scr, hz=20, seed=1)
    assert r.lines[1].decode() == next(iter(sim.lines(0.0, 0.05)))
    assert r.lines[-1].decode() == next(iter(sim.lines(19.95, 20.0)))


def test_garbage_is_injected_and_every_bad_line_is_counted() -> None:
    st = PtyStreamer(LAY, Script([sit(30)]), hz=20, speed=0, seed=2, garbage_rate=0.15)
    r, _ = stream_all(st)
    s = st.stats
    assert s.frames + s.garbage_total == 600
    assert 40 <= s.garbage_total <= 140
    assert set(s.garbage) == {"junk", "binary", "truncated", "count"}
    assert r.parser.stats.frames == s.frames
    assert r.parser.stats.dropped == s.expected_drops()


def test_pacing_uses_the_injected_clock() -> None:
    """speed=60: two simulated minutes take two seconds of the (manual) clock, no real wait."""
    clock = ManualClock()
    sleeps: list[float] = []

    def sleep(dt: float) -> None:
        sleeps.append(dt)
        clock.advance(dt)

    st = PtyStreamer(LAY, Script([sit(120)]), hz=10, speed=60, clock=clock, sleep=sleep)
    wall = time.monotonic()
    r, _ = stream_all(st)
    assert time.monotonic() - wall < 5
    assert clock.monotonic() == pytest.approx(119.9 / 60, abs=0.01)
    assert len(sleeps) > 50 and max(sleeps) < 0.05
    assert r.parser.stats.frames == st.stats.frames == 1200 and st.stats.dropped == 0


def test_real_time_pacing_is_roughly_right() -> None:
    st = PtyStreamer(LAY, Script([sit(10)]), hz=20, speed=20)  # 0.5 s of wall time
    wall = time.monotonic()
    r, _ = stream_all(st)
    took = time.monotonic() - wall
    assert 0.4 <= took < 3.0
    assert r.parser.stats.frames == 200


def test_stop_ends_a_real_time_stream_at_once() -> None:
    st = PtyStreamer(LAY, Script([sit(3600)]), hz=20, speed=1)
    r = Reader(st.open())
    th, _ = start(st)
    try:
        end = time.monotonic() + DEADLINE
        while r.parser.stats.frames < 3 and time.monotonic() < end:
            r.pump()
        assert r.parser.stats.frames >= 3
        st.stop()
        th.join(timeout=2)
        assert not th.is_alive()
    finally:
        st.stop()
        r.close()
        st.close()


def test_unplug_closes_the_pty_and_replug_repoints_the_link(tmp_path: Path) -> None:
    link = tmp_path / "cushion"
    opened: list[str] = []
    replugged = threading.Event()

    def on_open(path: str) -> None:
        opened.append(path)
        if len(opened) == 2:
            replugged.set()

    notes: list[str] = []
    st = PtyStreamer(LAY, Script([sit(30)]), hz=20, speed=20, link=link, on_open=on_open,
                     unplug=[(10.0, 0.3)], write=notes.append)
    st.open()
    assert link.is_symlink() and os.readlink(link) == opened[0]
    r = Reader(str(link))
    th, _ = start(st)
    before = after = 0
    try:
        end = time.monotonic() + DEADLINE
        while time.monotonic() < end:  # read until the cushion goes away
            try:
                r.pump()
            except OSError:  # SerialException, or EIO from the in_waiting ioctl: pty gone
                break
        else:
            raise AssertionError("the unplug was never seen")
        before = r.parser.stats.frames
        r.close()
        assert replugged.wait(DEADLINE), "no new pty after the unplug"
        assert os.readlink(link) == opened[1] and os.path.exists(opened[1])
        r = Reader(str(link))
        r.until_done(th)
        after = r.parser.stats.frames
    finally:
        th.join(timeout=DEADLINE)
        r.close()
        st.close()
    assert st.stats.unplugs == 1 and st.stats.paths == opened
    # ~10 s at 20 Hz before the unplug (what the reader had not taken yet is lost with the pty)
    assert 100 <= before <= 201, (before, after)
    # 0.3 s down at speed 20 loses 6 simulated seconds: ~14 s are left after the replug (the
    # first lines may go by before the reader reopens the link)
    assert 100 <= after <= 281, (before, after)
    assert before + after <= st.stats.frames
    assert any("unplug" in n for n in notes)
    assert not link.exists()  # close() removes the link it made


def test_the_link_never_replaces_a_regular_file(tmp_path: Path) -> None:
    f = tmp_path / "cushion"
    f.write_text("precious")
    st = PtyStreamer(LAY, Script([sit(1)]), link=f)
    with pytest.raises(FileExistsError):
        st.open()
    st.close()
    assert f.read_text() == "precious"


def run_command(tmp_path: Path, **kw: object) -> tuple[int, str, list[bytes]]:
    """simulate_command streaming to a pty, read through its link by another thread."""
    link = tmp_path / "sim-link"
    err = io.StringIO()
    got: list[bytes] = []
    rc: list[int] = []
    th = threading.Thread(target=lambda: rc.append(simulate_command(
        LAY, link=link, err=err, **kw)), daemon=True)  # type: ignore[arg-type]
    th.start()
    end = time.monotonic() + DEADLINE
    while not link.is_symlink() and th.is_alive() and time.monotonic() < end:
        th.join(timeout=0.01)
    r = Reader(str(link))
    try:
        while time.monotonic() < end:
            try:
                if r.pump() == 0 and not th.is_alive():
                    break
            except OSError:  # the command closed the pty at the end (SerialException or EIO)
                break
        got = r.lines
    finally:
        r.close()
        th.join(timeout=DEADLINE)
    assert rc, "simulate_command did not return"
    return rc[0], err.getvalue(), got


def test_simulate_command_streams_on_a_pty_and_says_where(tmp_path: Path) -> None:
    rc, err, lines = run_command(tmp_path, hz=20, speed=5, duration=3.0, script_name="demo")
    assert rc == 0
    assert "pty: /dev/" in err and "sim-link" in err and "--port" in err
    frames = [ln for ln in lines if ln and not ln.startswith(b"#")]
    assert 30 <= len(frames) <= 60  # the reader attaches a moment after the start



def test_a_reader_that_comes_back_late_gets_fresh_frames():
    """Nobody read `simulate --link` for ten simulated minutes: once its queue filled, the old
    streamer dropped every later frame for good, so a daemon started then saw nothing
    (issue #14 item 3). Now the oldest queued lines give way and the stream goes on."""
    clock = ManualClock()
    paths: list[str] = []
    reader: dict[str, int] = {}
    got = {"after": 0}
    buf = bytearray()

    def read_all() -> None:
        while True:
            try:
                chunk = os.read(reader["fd"], 65536)
            except BlockingIOError:
                return
            if not chunk:
                return
            buf.extend(chunk)

    def sleep(dt: float) -> None:
        clock.advance(dt)
        t = clock.monotonic()
        if t >= 600 and "fd" not in reader:  # the daemon starts after ten minutes
            reader["fd"] = os.open(paths[0], os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
            import tty

            tty.setraw(reader["fd"])
        if "fd" in reader:
            before = buf.count(b"\n")
            read_all()
            if t > 660:
                got["after"] += buf.count(b"\n") - before

    script = Script([sit(900, "upright")])
    st = PtyStreamer(LAY, script, hz=20, speed=1.0, clock=clock, sleep=sleep,
                     on_open=paths.append)
    try:
        stats = st.run()
    finally:
        st.close()
        if "fd" in reader:
            os.close(reader["fd"])
    assert stats.dropped > 0  # the queue did overflow while nobody read
    # the last four minutes arrived as they were made (20 a second), not a trickle
    assert got["after"] >= 0.9 * 240 * 20, (got, stats)


# -- an inverted cushion (its reading falls as the load rises) -------------------------------

FSR = load("fsr-cushion-9")


def test_an_inverted_cushion_streams_what_such_a_cushion_sends() -> None:
    """`simulate --layout fsr-cushion-9` sent an empty seat as ~1022 and a sitter as readings
    clipped at full scale (the layout's zero taken as an offset): the pipeline saw nobody."""
    from sitwatch.config import Config
    from sitwatch.sensing.pipeline import Pipeline

    scr = Script([away(20), sit(40)])
    r, _ = stream_all(PtyStreamer(FSR, scr, hz=10, speed=0, seed=2))
    frames = [[int(v) for v in ln.split(b",")] for ln in r.lines
              if ln and not ln.startswith(b"#")]
    assert len(frames) == 600
    empty, sitting = frames[50:150], frames[350:]
    assert min(min(f) for f in empty) > 0.95 * FSR.full_scale  # unloaded: near full scale
    assert max(sum(f) for f in sitting) < 0.9 * FSR.n * FSR.full_scale  # loaded: lower
    pl = Pipeline(FSR, Config())
    states = [ev.state for k, f in enumerate(frames)
              for ev in pl.process(k / 10, np.array(f, dtype=float)) if ev.event == "occupancy"]
    assert states[-1] == "occupied"


def test_simulate_then_replay_an_inverted_cushion_sees_sitting_and_postures(
        tmp_path: Path) -> None:
    """`sitwatch simulate --layout fsr-cushion-9 -o FILE` then `sitwatch replay FILE --auto`:
    the simulated sitter is seen to sit down, get up, sit upright and slouch, each reported while
    the script has them (within the 10 s a state is held before it is reported)."""
    import json
    import subprocess
    import sys

    from sitwatch.sim.script import short_demo

    rec = tmp_path / "fsr.rec"
    sim = subprocess.run([sys.executable, "-m", "sitwatch", "simulate", "--layout",
                          "fsr-cushion-9", "--script", "demo", "--hz", "2", "--seed", "0",
                          "-o", str(rec)], capture_output=True, text=True, timeout=120)
    assert sim.returncode == 0, sim.stderr
    proc = subprocess.run([sys.executable, "-m", "sitwatch", "replay", str(rec), "--auto",
                           "--json", "--no-user-config"], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "calibration: learned from the recording" in proc.stderr
    evs = [json.loads(x) for x in proc.stdout.splitlines()][:-1]
    demo = short_demo(0)
    seen = {(e["event"], e.get("state")) for e in evs}
    assert {("occupancy", "occupied"), ("occupancy", "empty"), ("posture", "upright"),
            ("posture", "slouched")} <= seen
    for e in evs:
        before = [demo.truth_at(e["t"] - d) for d in range(11)]
        if e["event"] == "occupancy":
            assert any(b.present == (e["state"] == "occupied") for b in before), e
        if e["event"] == "posture" and e["state"] == "slouched":
            assert any(b.present and b.posture == "slouched" for b in before), e


@pytest.mark.parametrize(("layout", "spec", "named"), [
    ("smartchair-12", "p08:900", "p08 (dropped to zero on its own)"),
    ("fsr-cushion-9", "fsr2:900:short", "fsr2 (jumped to full scale on its own)"),
])
def test_simulate_a_sensor_failing_and_replay_names_it(tmp_path: Path, layout: str, spec: str,
                                                       named: str) -> None:
    """`sitwatch simulate --fail SENSOR:AT[:short] -o FILE` (what a user runs to see what
    sitwatch does when a pad breaks), then `sitwatch replay FILE --auto --json`: the sensor is
    left out within seconds of AT, named with why; on the inverted cushion a short is its
    lowest reading, which the layout turns into full load."""
    import json
    import subprocess
    import sys

    rec = tmp_path / "fail.rec"
    sim = subprocess.run([sys.executable, "-m", "sitwatch", "simulate", "--layout", layout,
                          "--script", "demo", "--hz", "5", "--duration", "1200", "--fail", spec,
                          "-o", str(rec)], capture_output=True, text=True, timeout=120)
    assert sim.returncode == 0, sim.stderr
    assert "fails at 15m" in sim.stderr
    proc = subprocess.run([sys.executable, "-m", "sitwatch", "replay", str(rec), "--auto",
                           "--json", "--no-user-config"], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    evs = [json.loads(x) for x in proc.stdout.splitlines()]
    told = [e["t"] for e in evs if e.get("state") == "channels" and named in e["excluded"]]
    assert told and 900 < told[0] <= 905, told


def test_simulate_fail_says_what_is_wrong(tmp_path: Path) -> None:
    import subprocess
    import sys

    def run(spec: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "sitwatch", "simulate", "--fail", spec,
                               "-o", str(tmp_path / "x.rec")], capture_output=True, text=True,
                              timeout=60)

    bad = run("p99:10")
    assert bad.returncode == 2 and "has no sensor 'p99'" in bad.stderr
    assert "p00, p01" in bad.stderr and "Traceback" not in bad.stderr
    worse = run("p08")
    assert worse.returncode == 2 and "write SENSOR:AT or SENSOR:AT:short" in worse.stderr
    assert not (tmp_path / "x.rec").exists()
