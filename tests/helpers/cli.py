"""The ``sitwatch`` command in a subprocess, as a user runs it, with a private home."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any


def scratch_env(tmp: Path) -> dict[str, str]:
    """This environment with a home and XDG folders of its own under ``tmp`` (made here), no
    session bus, and unbuffered output (a daemon's lines as they come)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    for var, sub in (("HOME", "home"), ("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"),
                     ("XDG_STATE_HOME", "state"), ("XDG_RUNTIME_DIR", "run")):
        (tmp / sub).mkdir()
        env[var] = str(tmp / sub)
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    return env


def sitwatch_ok(*argv: str, home: Path) -> str:
    """``sitwatch ARGV --no-user-config`` with HOME and the XDG folders under ``home``; it must
    succeed without a traceback. Returns what it printed."""
    return sitwatch_ok_both(*argv, home=home)[0]


def sitwatch_ok_both(*argv: str, home: Path) -> tuple[str, str]:
    """As :func:`sitwatch_ok`, returning what it printed and what it said on stderr."""
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / "config"),
           "XDG_DATA_HOME": str(home / "data"), "XDG_STATE_HOME": str(home / "state")}
    proc = subprocess.run([sys.executable, "-m", "sitwatch", *argv, "--no-user-config"],
                          capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return proc.stdout, proc.stderr


def as_cushions(rec: Path) -> Path:
    """``rec``, a recording of ``sitwatch simulate -o``, without the header's ``source=simulate``
    mark: read as a cushion's, as every recording made before the mark was (calibrate and
    replay then use the real profile, not the simulator's)."""
    lines = rec.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[0] = lines[0].replace(" source=simulate", "")
    rec.write_text("".join(lines), encoding="utf-8")
    return rec


def calibrated_replay(d: Any, tmp: Path, *extra: str, later: Any = None) -> list[dict[str, Any]]:
    """A labelled recording ``d`` (sitwatch.evaluation.datasets.Labelled) as a user replays
    it: written to a file, `sitwatch calibrate --recording` on its first upright minute (and
    its first empty stretch, if it has one), then `sitwatch replay --calibration --json`.
    ``extra``: more arguments for both (``--layout FILE``); ``later``: replay this recording
    instead, on the calibration taken from ``d`` (the same cushion some weeks on). The
    events, the summary last."""
    import json

    from sitwatch.evaluation import scoring

    _, (a, b) = scoring.first_upright_profile(d)
    rec = d.write(tmp / "recording.rec")
    cal = tmp / "cal.json"
    empty = next(((s, e) for code, s, e in d.segments() if code == 0), None)
    tare = ["--empty", f"{empty[0] + 2:g}:{empty[1] - 2:g}"] if empty else []
    sitwatch_ok("calibrate", *extra, "--recording", str(rec), *tare, "--upright", f"{a:g}:{b:g}",
                "-o", str(cal), home=tmp)
    if later is not None:
        rec = later.write(tmp / "later.rec")
    out = sitwatch_ok("replay", *extra, str(rec), "--calibration", str(cal), "--json", home=tmp)
    events = [json.loads(line) for line in out.splitlines()]
    assert events[-1]["event"] == "summary"
    return events


def state_at(events: list[dict[str, Any]], name: str, t: float) -> str | None:
    """The state of the ``name`` events (``balance``, ``posture``) last reported at or before
    ``t``; None before the first one and once the seat is reported empty."""
    state = None
    for e in events:
        if e["t"] > t:
            break
        if e["event"] == name:
            state = e["state"]
        elif e["event"] == "occupancy" and e["state"] == "empty":
            state = None
    return state
