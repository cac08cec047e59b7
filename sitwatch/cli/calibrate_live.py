"""``sitwatch calibrate``: an interactive calibration on the live cushion.

It asks for an empty seat (tare), then upright sitting (baseline), optionally upright sitting
away from the backrest (the second way most people sit upright, e.g. typing: sitwatch then
measures your balance from whichever of the two you are nearer), and optionally a slouch and a
lean to each side; each step has a countdown, a progress bar and a check that the readings
make sense before the profile is saved. The upright step's spread (how still you sat) is saved
too.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from sitwatch.cli.common import EXIT_INTERRUPTED, err
from sitwatch.config import Config
from sitwatch.core.clock import Clock, SystemClock
from sitwatch.sensing import calibration
from sitwatch.sensing.layout import Layout
from sitwatch.sources.base import Diagnosis, Reading, Status

STEPS = {
    "empty": ("Get up and leave the seat empty.", 5.0),
    "upright": (
        "Sit as you mean to: hips back against the backrest, feet flat on the floor, "
        "shoulders loose. Take everything out of your back pockets.",
        10.0,
    ),
    "upright_away": (
        "Now sit upright the other way you usually do: away from the backrest, as when you "
        "type, back straight, feet flat.",
        10.0,
    ),
    "slouch": ("Now slump: slide your hips forward and sink into the backrest.", 8.0),
    "lean_left": ("Lean to your left, onto your left buttock.", 6.0),
    "lean_right": ("Lean to your right, onto your right buttock.", 6.0),
}


REQUIRED = ("empty", "upright")  # the rest sharpen detection but can be skipped


class Aborted(Exception):
    code = 1


class CannotRead(Aborted):
    """The cushion cannot be calibrated as set up (wrong layout, port held by another
    program): said before any step, since waiting will not help."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


PROBE_SECONDS = 3.0  # at most this long for the cushion's first frame before the first question


def probe(source: Any, clock: Clock, layout: Layout, cfg: Config) -> None:
    """Listen briefly before asking anything: raise :class:`CannotRead` when the lines do not
    fit ``layout`` or the port is held by another program (the running daemon, say); return at
    the first frame, or after ``PROBE_SECONDS`` of silence (the steps then say so)."""
    from sitwatch.sources.recorder import layout_mismatch

    serial_log = logging.getLogger("sitwatch.serial")
    serial_log.addFilter(_said_here)  # the port's own warning would come before ours
    try:
        start = clock.monotonic()
        while clock.monotonic() - start < PROBE_SECONDS:
            for item in source.poll(0.1):
                if isinstance(item, Reading):
                    return
                if isinstance(item, Status) and not item.online and BUSY in item.reason:
                    raise CannotRead(_busy(item.reason, cfg, clock), 1)
            mismatch = layout_mismatch(source, layout, 0, clock.monotonic() - start)
            if mismatch:
                raise CannotRead(f"cannot calibrate: {mismatch}", 2)
    finally:
        serial_log.removeFilter(_said_here)


BUSY = "in use by"  # in the serial port's reason when another program holds it


def _said_here(record: logging.LogRecord) -> bool:
    """Leaves out the serial port's "in use by another program" warning at default verbosity:
    :func:`probe` says it in its own words, naming the program and what to do (``-v`` keeps
    it)."""
    return BUSY not in record.getMessage() or logging.getLogger().isEnabledFor(logging.INFO)


def _busy(reason: str, cfg: Config, clock: Clock) -> str:
    """What to say when the cushion's port is held by another program."""
    from sitwatch.runtime.files import status_path
    from sitwatch.runtime.status import read_status

    d = read_status(status_path(cfg), clock)
    port = cfg.cushion.port
    if d.get("running"):
        return (f"cannot calibrate: {port} is held by `sitwatch run` (pid {d.get('pid')}), "
                "which reads the cushion. Stop it first (systemctl --user stop sitwatch, or "
                "Ctrl-C where it runs), calibrate, then start it again")
    return (f"cannot calibrate: {reason}. If `sitwatch run` is running, stop it first "
            "(systemctl --user stop sitwatch), then calibrate")


def _bar(done: float, width: int = 30) -> str:
    n = round(done * width)
    return "[" + "#" * n + "." * (width - n) + f"] {100 * done:3.0f}%"


def drain(source: Any, clock: Clock, limit: float = 2.0) -> int:
    """Throw away what the cushion sent before now (it queues up while you read the prompt and
    get into position), so a step measures only what you do during it. Returns how many frames
    were dropped."""
    dropped = 0
    start = clock.monotonic()
    while clock.monotonic() - start < limit:
        items = source.poll(0)
        readings = sum(1 for i in items if isinstance(i, Reading))
        dropped += readings
        if not readings:
            break
    return dropped


def capture(
    source: Any,
    clock: Clock,
    seconds: float,
    out: TextIO,
    sleep: Callable[[float], object] = time.sleep,
    timeout: float = 15.0,
    layout: Layout | None = None,
) -> np.ndarray:
    """Collect frames for ``seconds`` of clock time, showing progress. Frames that arrived
    before the step began are dropped first. With ``layout``, lines that do not fit it stop
    the step at once."""
    from sitwatch.sources.recorder import layout_mismatch

    drain(source, clock)
    frames: list[np.ndarray] = []
    start = clock.monotonic()
    last_frame = start
    while True:
        now = clock.monotonic()
        if now - start >= seconds and len(frames) >= 3:
            break
        for item in source.poll(0.1):
            if isinstance(item, Reading):
                frames.append(item.values)
                last_frame = clock.monotonic()
            elif isinstance(item, Status) and not item.online:
                out.write(f"\n  cushion offline: {item.reason}\n")
            elif isinstance(item, Diagnosis):
                out.write(f"\n  no valid data: {item.message}\n")
        mismatch = (layout_mismatch(source, layout, len(frames), clock.monotonic() - start)
                    if layout else None)
        if mismatch:
            raise CannotRead(f"cannot calibrate: {mismatch}", 2)
        if clock.monotonic() - last_frame > timeout:
            raise Aborted("no frames from the cushion: check `sitwatch doctor`")
        done = min(1.0, (clock.monotonic() - start) / seconds)
        out.write(f"\r  {_bar(done)}  {len(frames)} frames")
        out.flush()
    out.write("\n")
    return np.array(frames)


def interactive(
    cfg: Config,
    layout: Layout,
    dest: Path,
    *,
    source: Any = None,
    clock: Clock | None = None,
    input_fn: Callable[[str], str] = input,
    out: TextIO = sys.stdout,
    sleep: Callable[[float], object] = time.sleep,
    extra: bool | None = None,
) -> int:
    if source is None:
        if not cfg.cushion.port:
            err("which cushion? pass --port or set cushion.port (or use --recording FILE)")
            return 2
        if not sys.stdin.isatty():
            err(
                "calibration asks you to sit in certain ways, so it needs a terminal; "
                "without one use --recording FILE --empty A:B --upright C:D"
            )
            return 2
        from sitwatch.sources.cushion import open_cushion

        clock = clock or SystemClock()
        source = open_cushion(cfg.cushion, layout, clock, broker=cfg.mqtt)
    clock = clock or SystemClock()
    out.write(
        f"Calibrating {layout.summary()}.\n"
        "Follow each prompt, press Enter when ready, and keep still while the bar fills.\n"
    )
    means: dict[str, np.ndarray] = {}
    taken: dict[str, np.ndarray] = {}
    steps = ["empty", "upright"]
    try:
        probe(source, clock, layout, cfg)
        if layout.back_mask.any():
            answer = (
                input_fn(
                    "Do you also sit upright away from the backrest (typing, leaning on "
                    "nothing)? One more step makes that read as upright too (y/N) "
                )
                .strip()
                .lower()
            )
            if answer.startswith("y"):
                steps.append("upright_away")
        if extra is None:
            answer = (
                input_fn(
                    "Also record a slump and a lean to each side? sitwatch then checks that "
                    "each reads as it should, and makes its thresholds more sensitive for you "
                    "where yours are subtle (y/N) "
                )
                .strip()
                .lower()
            )
            extra = answer.startswith("y")
        if extra:
            steps += ["slouch", "lean_left", "lean_right"]
        i = 0
        while i < len(steps):
            name = steps[i]
            i += 1
            prompt, seconds = STEPS[name]
            while True:
                out.write(f"\nStep {i}/{len(steps)}: {prompt}\n")
                input_fn("  Press Enter when you are in position... ")
                for k in (3, 2, 1):
                    out.write(f"\r  starting in {k}")
                    out.flush()
                    sleep(1.0)
                out.write("\r  hold still      \n")
                frames = capture(source, clock, seconds, out, sleep, layout=layout)
                mean = calibration.robust_mean(frames)
                problem = steady(frames, layout) or check_step(name, mean, means, layout)
                if problem is None and name == "upright":
                    problem = _sideways(frames, means.get("empty"), layout, cfg)
                if problem is None:
                    means[name] = mean
                    taken[name] = frames
                    break
                out.write(f"  That did not look right: {problem}\n")
                if problem == EMPTY_NOT_EMPTY:
                    out.write("  Step 1 was probably not taken on an empty seat.\n")
                    again = input_fn("  Start again from step 1? (Y/n) ").strip().lower()
                    if again.startswith("n"):
                        raise Aborted("calibration cancelled")
                    means.clear()
                    taken.clear()
                    i = 0
                    break
                again = input_fn("  Try this step again? (Y/n) ").strip().lower()
                if not again.startswith("n"):
                    continue
                if name in REQUIRED:
                    raise Aborted("calibration cancelled")
                out.write(f"  Skipping this step; the {len(means)} finished step(s) are kept.\n")
                break
    except (Aborted, EOFError, KeyboardInterrupt) as e:
        out.write(f"\n{str(e) or 'Calibration cancelled'}; nothing was saved.\n")
        source.close()
        if isinstance(e, KeyboardInterrupt):  # Ctrl-C: 130, as `calibrate camera` and `serve`
            return EXIT_INTERRUPTED
        return e.code if isinstance(e, Aborted) else 1
    source.close()
    prof = calibration.from_frames(
        layout, tare=taken.pop("empty"), upright=taken.pop("upright"), method="interactive",
        **taken,
    )
    from sitwatch.sensing import references

    prof, tuning = references.tune(layout, cfg, prof)
    if not save_profile(prof, dest):
        return 1
    from sitwatch.runtime.service import calibration_hint

    out.write(f"\nSaved to {dest}. {calibration_hint(cfg, dest)}\n")
    for line in references.describe(tuning):
        out.write(line + "\n")
    from sitwatch.sensing import upright_check

    for note in upright_check.notes(layout, prof):
        out.write(f"Note: {note}\n")
    return 0


def save_profile(prof: calibration.Profile, dest: Path) -> bool:
    """Save ``prof`` at ``dest``; False after saying which file could not be written and why
    (a folder that cannot be made or written in), where a traceback came."""
    try:
        prof.save(dest)
    except OSError as e:
        err(f"cannot save the calibration to {dest}: {e.strerror or e} (choose another file "
            "with -o FILE, or make its folder one you can write in); nothing was saved")
        return False
    return True


def steady(frames: np.ndarray, layout: Layout) -> str | None:
    """The seat's total load should hold still through a step; a big change between its first
    and last thirds means you moved (or the readings were not from this step)."""
    if len(frames) < 6:
        return None
    seat = layout.seat_mask
    third = len(frames) // 3
    first = float(np.median(frames[:third][:, seat].sum(axis=1)))
    last = float(np.median(frames[-third:][:, seat].sum(axis=1)))
    floor = 0.02 * layout.full_scale * int(seat.sum())  # small absolute changes do not count
    if abs(last - first) > max(0.25 * max(first, last), floor):
        return "the readings changed a lot during the step; hold still until the bar is full"
    return None


def _sideways(frames: np.ndarray, tare: np.ndarray | None, layout: Layout,
              cfg: Config) -> str | None:
    """The upright step should hold still sideways too: a move as large as a lean during it
    would make leans go unreported (see :mod:`sitwatch.sensing.upright_check`)."""
    from sitwatch.sensing import upright_check

    found = upright_check.restless(layout, frames, tare,
                                   *upright_check.balance_limits(cfg, layout))
    if not found:
        return None
    return (f"{upright_check.CUES[found[0].cue]} moved sideways about as far as a lean takes "
            "it; sit evenly on both sides and keep still until the bar is full")


def check_step(
    name: str, mean: np.ndarray, done: dict[str, np.ndarray], layout: Layout
) -> str | None:
    """Does this step's mean reading plausibly show what was asked? ``done`` holds the earlier
    steps (empty first, then upright). None when it does, else what looks wrong."""
    seat = layout.seat_mask
    if name == "empty":
        return None
    mean, done = layout.to_load(mean), {k: layout.to_load(v) for k, v in done.items()}
    if name == "upright" and "empty" in done:
        raw = float(np.maximum(mean, 0)[seat].sum())
        if raw >= _almost_empty(layout) and _not_empty(done["empty"], mean, layout):
            return EMPTY_NOT_EMPTY
    tare = done.get("empty", np.zeros(layout.n))
    load = np.maximum(mean - tare, 0)[seat].sum()
    if load < _almost_empty(layout):
        return "the seat reads as almost empty; are you sitting on the cushion?"
    if name in ("upright", "upright_away"):
        return None  # the away upright may look much like the other one: that is fine
    up = np.maximum(done["upright"] - tare, 0)[seat]
    now = np.maximum(mean - tare, 0)[seat]
    change = np.abs(now / max(now.sum(), 1e-9) - up / max(up.sum(), 1e-9)).sum()
    if change < 0.05:
        return "this looks the same as sitting upright; exaggerate it a little"
    return None


def seat_loads(frames: np.ndarray, layout: Layout, tare: np.ndarray | None = None) -> np.ndarray:
    """Each frame's seat load (load units), over the empty seat's reading ``tare`` (a reading as
    the device sent it) when there is one: what :func:`check_step` measures of a step's mean."""
    loads = layout.to_load(np.asarray(frames, dtype=float))
    if tare is not None:
        loads = loads - layout.to_load(np.asarray(tare, dtype=float))
    out: np.ndarray = np.maximum(loads, 0)[:, layout.seat_mask].sum(axis=1)
    return out


def seated_load(loads: np.ndarray) -> float:
    """The load of a step someone sat through, from its frames' :func:`seat_loads`: its upper
    quartile, so that frames of an empty seat (up to half of them) do not pull it down."""
    return float(np.percentile(loads, 75)) if len(loads) else 0.0


def off_step(name: str, frames: np.ndarray, layout: Layout, *, tare: np.ndarray | None,
             upright_load: float, exit_fraction: float) -> np.ndarray:
    """Which of a step's frames (readings, as from a recording) do not show what the step asks,
    by the rules a step is judged by: in the empty step, a frame carrying load (as
    :func:`_not_empty` judges a whole step, against ``upright_load``, the raw seat load sitting
    upright); in any other, a frame whose seat reads empty (under what :func:`check_step` calls
    almost empty, or under ``exit_fraction`` of the step's seated load, as the daemon's
    occupancy detector reads an empty seat against your upright). Nothing is marked when every
    frame is: :func:`check_step` then says what the whole step reads as."""
    floor = _almost_empty(layout)
    if name == "empty":
        raw = seat_loads(frames, layout)
        off = (raw >= floor) & (raw >= NOT_EMPTY_SHARE * upright_load) & (upright_load > 0)
    else:
        loads = seat_loads(frames, layout, tare)
        off = loads < max(floor, exit_fraction * seated_load(loads))
    return off if not off.all() else np.zeros(len(off), dtype=bool)


EMPTY_NOT_EMPTY = (
    "the seat carried about as much load in the empty-seat step as it does now, so somebody "
    "(or something heavy) was on it then"
)

# An empty seat carries only the cushion's own weight and the sensors' offsets: a few percent
# of a sitter's load (about 2% in the SmartChair-ML recordings: ~180 against ~9000 counts).
# Any way of sitting puts much more on the seat than that: even perched on its front edge the
# thighs carry about half of what sitting upright does (the rest goes to the feet). A quarter of
# the upright load lies well between the two, so an "empty" reading carrying that much had
# somebody on it.
NOT_EMPTY_SHARE = 0.25


def _almost_empty(layout: Layout) -> float:
    """A seat load (in load units) below which nobody is sitting on the cushion."""
    return float(0.03 * layout.full_scale * max(1, int(layout.seat_mask.sum())) ** 0.5)


def _not_empty(empty: np.ndarray, upright: np.ndarray, layout: Layout) -> bool:
    """Was the empty-seat reading ``empty`` (load units) taken with somebody on the seat, going
    by the upright reading ``upright`` (load units)?"""
    seat = layout.seat_mask
    upright_load = float(np.maximum(upright, 0)[seat].sum())
    empty_load = float(np.maximum(empty, 0)[seat].sum())
    return upright_load > 0 and empty_load >= NOT_EMPTY_SHARE * upright_load
