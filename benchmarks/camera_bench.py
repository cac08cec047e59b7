"""Camera cost and speed on a recorded clip (make one from a real photo, 640x480).

    python benchmarks/camera_bench.py [--seconds 60] [--model PATH]

Prints:
- ms per pose inference at 640x480 (median of consecutive frames, and of the duty-cycled samples);
- the average CPU share of one core used by the camera source at default settings over
  ``--seconds`` of real time (process CPU time / wall time, all threads), next to the same
  measure for pose on every frame at 30 fps (what an always-on posture app does);
- peak RSS (VmHWM);
- detection latency from the posture change in the clip to the posture event: in simulated
  time (a replay) and in the real-time run.

The clip: scikit-image's astronaut on a 640x480 canvas, upright for 20 s, her head dropped
towards her shoulders from 20 s to 50 s, upright again until 90 s; 30 fps MJPG in a temp dir
that is deleted afterwards.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

W, H, FPS = 640, 480, 30.0
CHANGE_AT, BACK_AT, LENGTH = 20.0, 50.0, 90.0


def vm(field: str) -> float:
    """A /proc/self/status figure in MiB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def make_clip(path: Path) -> Path:
    import cv2
    import skimage.data

    ast = np.ascontiguousarray(skimage.data.astronaut()[:, :, ::-1])

    def canvas(img: np.ndarray) -> np.ndarray:
        c = np.full((H, W, 3), 90, np.uint8)
        im = cv2.resize(img, None, fx=0.9, fy=0.9)
        h, w = im.shape[:2]
        x0 = (W - w) // 2
        c[0:min(H, h), x0:x0 + w] = im[:min(H, h)]
        return c

    dropped = ast.copy()
    head = ast[0:220, 150:370].copy()
    dropped[0:120, 150:370] = 200
    dropped[120:340, 150:370] = head
    up, down = canvas(ast), canvas(dropped)
    vw = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (W, H))
    for i in range(int(LENGTH * FPS)):
        t = i / FPS
        vw.write(down if CHANGE_AT <= t < BACK_AT else up)
    vw.release()
    return path


def per_inference_ms(clip: Path, model: Path, n: int = 60) -> tuple[float, float]:
    """Median ms of consecutive frames (VIDEO mode tracks between them) and of single frames
    a few seconds apart (as the duty cycle sees them)."""
    import cv2

    from sitwatch.camera.pose import PoseLandmarker, bgr_to_rgb

    cap = cv2.VideoCapture(str(clip))
    frames = []
    for _ in range(n):
        ok, f = cap.read()
        if not ok:
            break
        frames.append(bgr_to_rgb(f))
    cap.release()
    est = PoseLandmarker(model)
    est(frames[0], 0.0)  # warm-up
    seq = []
    for i, f in enumerate(frames):
        t0 = time.perf_counter()
        est(f, 1.0 + i / FPS)
        seq.append((time.perf_counter() - t0) * 1000)
    spaced = []
    for i, f in enumerate(frames[:20]):
        t0 = time.perf_counter()
        est(f, 100.0 + 5.0 * i)
        spaced.append((time.perf_counter() - t0) * 1000)
    est.close()
    return statistics.median(seq), statistics.median(spaced)


def every_frame_cpu(clip: Path, model: Path, seconds: float) -> float:
    """CPU share of pose on every frame at 30 fps, for ``seconds`` of real time."""
    import cv2

    from sitwatch.camera.pose import PoseLandmarker, bgr_to_rgb

    est = PoseLandmarker(model)
    cap = cv2.VideoCapture(str(clip))
    est(bgr_to_rgb(cap.read()[1]), 0.0)
    w0, c0 = time.monotonic(), time.process_time()
    i = 0
    while time.monotonic() - w0 < seconds:
        ok, f = cap.read()
        if not ok:
            break
        est(bgr_to_rgb(f), 1.0 + i / FPS)
        i += 1
        nxt = w0 + i / FPS
        delay = nxt - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    share = (time.process_time() - c0) / (time.monotonic() - w0)
    cap.release()
    est.close()
    return share


def simulated_latency(clip: Path, model: Path) -> tuple[float | None, float | None, int]:
    from sitwatch.camera.replay import replay
    from sitwatch.cli.camera import calibrate_from_recording
    from sitwatch.config.camera import CameraConfig

    cfg = CameraConfig(model=str(model), pause_when_locked=False)
    prof = calibrate_from_recording(clip, cfg, (2.0, 15.0))
    readings: list[object] = []
    slouch = back = None
    for ev in replay(clip, cfg, prof, on_reading=readings.append):
        if ev.event == "posture" and ev.state == "slouched" and slouch is None:
            slouch = ev.t - CHANGE_AT
        if ev.event == "posture" and ev.state == "upright" and ev.t > BACK_AT and back is None:
            back = ev.t - BACK_AT
    return slouch, back, len(readings)


def realtime_run(clip: Path, model: Path, seconds: float) -> dict[str, object]:
    """The camera source at default settings on the clip, in real time, like the daemon."""
    from sitwatch.camera.capture import VideoFileCapture
    from sitwatch.camera.pipeline import CameraPipeline
    from sitwatch.camera.source import CameraSource, PoseReading
    from sitwatch.cli.camera import calibrate_from_recording
    from sitwatch.config.camera import CameraConfig
    from sitwatch.core.clock import SystemClock
    from sitwatch.sources.base import Status

    cfg = CameraConfig(device=str(clip), model=str(model), pause_when_locked=False)
    prof = calibrate_from_recording(clip, cfg, (2.0, 15.0))
    pl = CameraPipeline(cfg, prof)
    clock = SystemClock()
    src = CameraSource(cfg, clock, capture=VideoFileCapture(clip), advisor=pl.activity,
                       locked=lambda: False)
    events = []
    start = None
    w0, c0 = time.monotonic(), time.process_time()
    while time.monotonic() - w0 < seconds:
        for item in src.poll(0.5):
            if isinstance(item, PoseReading):
                if start is None:
                    start = item.t  # the clip's time 0
                events += [(ev.t - start, ev.state) for ev in pl.process(item)
                           if ev.event == "posture"]
            elif isinstance(item, Status):
                pl.sensor(item.t, item.online, item.reason)
        time.sleep(0.2)  # the daemon's batching pause
    wall = time.monotonic() - w0
    cpu = time.process_time() - c0
    src.close()
    lat = next((t - CHANGE_AT for t, s in events if s == "slouched"), None)
    return {"cpu_share": cpu / wall, "wall": wall, "samples": src.samples,
            "infer_ms": statistics.median(src.infer_ms) if src.infer_ms else None,
            "latency": lat, "events": events}


def _proc_mib(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def daemon_memory(clip: Path, model: Path, seconds: float) -> tuple[float, float, float]:
    """`sitwatch run --camera CLIP` as a user runs it: its peak RSS after ``seconds``, then its
    RSS once `sitwatch pause` has closed the camera and released the model (and the peak
    again, which pausing cannot lower)."""
    import subprocess

    with tempfile.TemporaryDirectory(prefix="sitwatch-bench-run-") as d:
        env = dict(os.environ, XDG_RUNTIME_DIR=d, XDG_STATE_HOME=d, XDG_DATA_HOME=d,
                   XDG_CONFIG_HOME=d, GLOG_minloglevel="2")
        cfg = Path(d) / "cam.toml"
        cfg.write_text(f'[camera]\ndevice = "{clip}"\nmodel = "{model}"\n'
                       "pause_when_locked = false\n[nudges.dnd]\nenabled = false\n")
        argv = [sys.executable, "-m", "sitwatch"]
        proc = subprocess.Popen([*argv, "run", "--headless", "--config", str(cfg)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(seconds)  # a benchmark: real time is what it measures
            peak = _proc_mib(proc.pid, "VmHWM")
            subprocess.run([*argv, "pause", "--config", str(cfg)], env=env, check=True,
                           capture_output=True)
            time.sleep(5)
            paused = _proc_mib(proc.pid, "VmRSS")
        finally:
            proc.terminate()
            proc.wait(20)
    return peak, paused, seconds


_STEPS = r"""
import json, sys
from pathlib import Path
def mib():
    d = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        k, _, v = line.partition(":")
        if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "Threads"):
            d[k] = int(v.split()[0]) // (1 if k == "Threads" else 1024)
    return d
model, variant = Path(sys.argv[1]), sys.argv[2]
out = {}
import numpy as np
import cv2
import sitwatch.camera.pose as P
if variant == "matplotlib":
    import matplotlib.pyplot  # what importing MediaPipe does without the deferral
if variant == "no-trim":
    P.trim_heap = lambda: None
out["imports"] = mib()
est = P.PoseLandmarker(model)
out["model loaded"] = mib()
import skimage.data
c = np.full((480, 640, 3), 90, np.uint8)
c[:, 64:576] = skimage.data.astronaut()[:480]
if variant == "320x240":
    c = cv2.resize(c, (320, 240), interpolation=cv2.INTER_AREA)
for i in range(20):
    found = est(c, 5.0 * i) is not None
out["20 poses"] = mib()
est.close()
out["released"] = mib()
out["found"] = found
print(json.dumps(out))
"""

#: (name, environment additions, variant for _STEPS)
MEMORY_VARIANTS = (
    ("as shipped (matplotlib deferred, heap trimmed on release)", {}, "shipped"),
    ("matplotlib imported as MediaPipe does", {}, "matplotlib"),
    ("no heap trim on release", {}, "no-trim"),
    ("MALLOC_ARENA_MAX=2", {"MALLOC_ARENA_MAX": "2"}, "shipped"),
    ("frames scaled to 320x240 before inference", {}, "320x240"),
)


def memory_steps(model: Path) -> list[tuple[str, dict[str, object]]]:
    """RSS step by step (imports, model loaded, after 20 poses, model released) in a fresh
    process for each of :data:`MEMORY_VARIANTS`: which measure helps, in MiB."""
    import json
    import subprocess

    out = []
    for name, env, variant in MEMORY_VARIANTS:
        r = subprocess.run([sys.executable, "-c", _STEPS, str(model), variant],
                           env=dict(os.environ, PYTHONPATH=str(ROOT), GLOG_minloglevel="2",
                                    **env),
                           capture_output=True, text=True, timeout=300, check=False)
        lines = r.stdout.strip().splitlines()
        if r.returncode != 0 or not lines:
            out.append((name, {"error": (r.stderr.strip().splitlines() or ["?"])[-1]}))
            continue
        out.append((name, json.loads(lines[-1])))
    return out


def print_memory_steps(rows: list[tuple[str, dict[str, object]]]) -> None:
    print("RSS step by step, one fresh process each (MiB: RSS, anonymous part in brackets):")
    for name, r in rows:
        if "error" in r:
            print(f"  {name}: failed ({r['error']})")
            continue

        def at(step: str, r: dict[str, object] = r) -> str:
            m = r[step]
            assert isinstance(m, dict)
            return f"{m['VmRSS']:4d} ({m['RssAnon']:3d})"

        last = r["20 poses"]
        assert isinstance(last, dict)
        print(f"  {name:58s} imports {at('imports')}, model loaded {at('model loaded')}, "
              f"20 poses {at('20 poses')} peak {last['VmHWM']:4d}, released "
              f"{at('released')}; {last['Threads']} threads")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=60.0,
                    help="real-time run of the duty-cycled source (default 60, clip is 90)")
    ap.add_argument("--every-frame-seconds", type=float, default=5.0)
    ap.add_argument("--model", default=str(ROOT.parent / "shared" / "models" /
                                           "pose_landmarker_full.task"))
    a = ap.parse_args()
    model = Path(a.model)
    if not model.is_file():
        print(f"no pose model at {model}: pass --model or run `sitwatch model fetch`")
        return 2
    os.environ.setdefault("GLOG_minloglevel", "2")
    print(f"camera benchmark (cpus: {os.cpu_count()}, model: {model.name})")
    lite = model.with_name("pose_landmarker_lite.task")
    if not lite.is_file():
        print(f"(no {lite.name} beside it: the lite model is not measured; pass --model to "
              "measure one)")
    print_memory_steps(memory_steps(model))
    with tempfile.TemporaryDirectory(prefix="sitwatch-bench-") as d:
        clip = make_clip(Path(d) / "clip.avi")
        seq_ms, spaced_ms = per_inference_ms(clip, model)
        print(f"pose inference at 640x480: {seq_ms:.1f} ms median on consecutive frames, "
              f"{spaced_ms:.1f} ms on frames 5 s apart")
        sl, back, n = simulated_latency(clip, model)
        print(f"detection latency (replay, simulated time): head drop -> slouched event "
              f"{sl:.1f} s, back upright -> upright event {back:.1f} s; "
              f"{n} poses for {LENGTH:.0f} s of clip ({n / (LENGTH * FPS):.1%} of the frames)")
        ef = every_frame_cpu(clip, model, a.every_frame_seconds)
        print(f"pose on every frame at 30 fps: {ef:.0%} of one core")
        r = realtime_run(clip, model, a.seconds)
        lat = r["latency"]
        print(f"camera source, default duty cycle, {r['wall']:.0f} s real time: "
              f"{r['cpu_share']:.1%} of one core, {r['samples']} poses "
              f"(median {r['infer_ms']:.1f} ms), latency to the slouched event "
              f"{f'{lat:.1f} s' if lat is not None else 'n/a (run shorter than the change)'}")
        peak, paused, secs = daemon_memory(clip, model, min(a.seconds, 40.0))
        print(f"`sitwatch run --camera` ({model.name}): peak RSS {peak:.0f} MiB after "
              f"{secs:.0f} s; "
              f"{paused:.0f} MiB once `sitwatch pause` released the camera and model "
              "(target: < 250 MiB)")
    print(f"this benchmark process's own peak RSS (several pose models at once): "
          f"{vm('VmHWM'):.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
