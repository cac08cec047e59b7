"""A sitting spell the daemon carried over restarts is one spell in `sitwatch report`.

The daemon `sitwatch run` builds (``build_daemon``: the spell the last daemon left in its status
file is carried on) on a load-cell cushion on a pseudo-terminal, in accelerated time (a
ManualClock per run), with a real history file; stopped and started again while the sitter
stays seated. Then `sitwatch report` in a subprocess, as the sitter runs it. It said "Longest
spell 9 min" for 17 minutes sat in one go with restarts in between."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from sitwatch.core.clock import ManualClock
from sitwatch.runtime.files import history_path
from tests.helpers.report_text import rows_joined
from tests.integration.test_nudge_accounting import EMPTY, SEATED, Chair

pytestmark = pytest.mark.integration


def report(history: Path, day: str, *more: str) -> str:
    env = {**os.environ, "TZ": "UTC"}
    proc = subprocess.run(
        [sys.executable, "-m", "sitwatch", "report", "--no-user-config", "--day", day,
         "--history", str(history), *more],
        capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return proc.stdout


def row(text: str, name: str) -> str:
    return next(line for line in rows_joined(text).splitlines() if line.startswith(name))


def test_a_spell_carried_over_four_restarts_is_one_spell_in_the_report(serial_pty) -> None:
    master, port = serial_pty
    clock = ManualClock()  # 2026-01-05 09:00 UTC
    chair = Chair(master, port, {}, clock=clock)
    try:
        chair.play(EMPTY, 10)
        chair.play(SEATED, 290)  # seated from 09:00:10 to 09:05
    finally:
        chair.close()
    history = history_path(chair.cfg)
    for _ in range(4):  # stopped for 20 s (under min_break), then 3 more minutes seated
        clock = ManualClock(start=clock.now() + timedelta(seconds=20), monotonic=0.0)
        chair = Chair(master, port, {}, clock=clock)
        try:
            chair.play(SEATED, 180)
        finally:
            chair.close()
    assert clock.now().strftime("%H:%M:%S") == "09:18:20"

    text = report(history, "2026-01-05")
    # 09:00:10 to 09:18:20, the 4 x 20 s stopped counted in it as the daemon's timer counts
    # them; the seated time itself (the runs' minutes) is 16.8 min
    assert "Longest spell    18 min (from 09:00, with sitwatch restarts)" \
        in rows_joined(text), text
    assert row(text, "Sitting").split()[-2:] == ["17", "min"], text
    assert row(text, "Breaks").split()[-1] == "0", text
    # the week and the month read the days in one pass: the same one spell
    week = json.loads(report(history, "2026-01-05", "--week", "--format", "json"))
    monday = next(d for d in week["days"] if d["date"] == "2026-01-05")
    assert 18.0 <= monday["longest_spell_minutes"] <= 18.2, monday
    assert monday["breaks"] == 0, monday


def test_a_break_over_a_restart_with_the_seat_empty_is_in_the_report(serial_pty) -> None:
    """Got up at 09:05, the daemon stopped 30 s later and started 10 min after that, seated
    again: one break of 10.5 min, the time no daemon ran included (it said "Breaks 0")."""
    master, port = serial_pty
    clock = ManualClock()  # 2026-01-05 09:00 UTC
    chair = Chair(master, port, {}, clock=clock)
    try:
        chair.play(EMPTY, 10)
        chair.play(SEATED, 290)  # seated from 09:00:10 to 09:05
        chair.play(EMPTY, 30)
    finally:
        chair.close()
    history = history_path(chair.cfg)
    clock = ManualClock(start=clock.now() + timedelta(minutes=10), monotonic=0.0)
    chair = Chair(master, port, {}, clock=clock)
    try:
        chair.play(SEATED, 120)
    finally:
        chair.close()

    text = report(history, "2026-01-05")
    assert row(text, "Breaks").split()[-1] == "1", text
    assert "Longest spell    5 min (from 09:00)" in rows_joined(text), text
    week = json.loads(report(history, "2026-01-05", "--week", "--format", "json"))
    monday = next(d for d in week["days"] if d["date"] == "2026-01-05")
    assert monday["breaks"] == 1, monday
    assert 10.4 <= monday["break_minutes"] <= 10.6, monday
    assert monday["breaks_by_length"]["5_15"] == 1, monday
