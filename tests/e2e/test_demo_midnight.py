"""`sitwatch demo --history FILE` begun shortly before local midnight, read back with
`sitwatch report --history FILE` after it, while the demo still runs.

The demo plays today from 08:30; past midnight the report's "today" is the next day, which
the demo's history has none of. The report said "No sitting recorded. (sitwatch keeps history
while `sitwatch run` is running.)": about a daemon that has nothing to do with that history,
and silent about the day it does hold. It now names the demo's day and how to see it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from tests.helpers.history import first_day

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
LEAD = 12.0  # seconds from now to local midnight: the demo starts before it


def _midnight_in(seconds: float) -> str:
    """A POSIX TZ (``XXX+h:mm:ss``, west of UTC positive) whose local midnight falls
    ``seconds`` from now."""
    at = datetime.now(UTC) + timedelta(seconds=seconds)
    east = 86400 - (at.hour * 3600 + at.minute * 60 + at.second)  # local = UTC + east
    if east > 12 * 3600:
        east -= 86400
    sign = "-" if east >= 0 else "+"
    a = abs(east)
    return f"XXX{sign}{a // 3600}:{a % 3600 // 60:02d}:{a % 60:02d}"


def test_a_report_after_midnight_names_the_demos_day(tmp_path: Path) -> None:
    tz = _midnight_in(LEAD)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TZ": tz, "HOME": str(tmp_path),
           "XDG_CONFIG_HOME": str(tmp_path / "cfg"), "XDG_DATA_HOME": str(tmp_path / "data"),
           "XDG_RUNTIME_DIR": str(tmp_path / "run")}
    db = tmp_path / "demo.sqlite"
    started = time.monotonic()
    # the short script (2 simulated hours) at x100: it runs for over a minute
    demo = subprocess.Popen(
        [sys.executable, "-m", "sitwatch", "demo", "--plain", "--script", "demo", "--speed",
         "100", "--history", str(db), "--no-user-config"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        start_new_session=True)
    try:
        report = ""
        deadline = started + LEAD + 45
        while time.monotonic() < deadline:  # until the report's "today" is past midnight
            if db.exists():
                proc = subprocess.run(
                    [sys.executable, "-m", "sitwatch", "report", "--history", str(db),
                     "--no-user-config"], capture_output=True, text=True, env=env, timeout=60)
                assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
                report = proc.stdout
                if db.exists() and not report.startswith(_title(first_day(db))):
                    break
            time.sleep(0.5)
        running = demo.poll() is None
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGTERM)
        demo.wait(20)
    day = first_day(db)  # in the demo's local time: the day before midnight
    assert running, "the demo ended before the report was read"
    assert not report.startswith(_title(day)), (tz, report)
    text = " ".join(report.split())
    assert "sitwatch run" not in text, report
    assert (f"No sitting recorded. This history holds a simulated day from `sitwatch demo`, "
            f"{day:%A} {day.day} {day:%B}: add `--day {day.isoformat()}` to see it.") in text, \
        report
    # and what it points to is there
    shown = subprocess.run(
        [sys.executable, "-m", "sitwatch", "report", "--history", str(db), "--no-user-config",
         "--day", day.isoformat()], capture_output=True, text=True, env=env, timeout=60)
    assert shown.stdout.startswith(_title(day)) and "Sitting" in shown.stdout, shown.stdout


def _title(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def test_the_pages_of_a_time_a_demos_history_has_none_of_name_its_days(tmp_path: Path) -> None:
    """The week's and the month's pages and the web app's Today said history is kept while
    `sitwatch run` is running, of a history only `sitwatch demo` wrote: they name its days."""
    pytest.importorskip("starlette")
    pytest.importorskip("uvicorn")
    from sitwatch.core.clock import ManualClock
    from sitwatch.core.simulated import DEMO_SOURCE
    from sitwatch.history.store import Store
    from tests.helpers.history import TZ, Sitter
    from tests.integration.test_serve_cli import _get, _served

    db = tmp_path / "demo.sqlite"
    clock = ManualClock(datetime(2026, 11, 17, 8, tzinfo=TZ))
    with Store(db, clock) as store:  # as fill_history and the demo write it
        s = Sitter(store, clock)
        for day in (17, 18):
            s.at(date(2026, 11, day), 8, 30, source=DEMO_SOURCE)
            s.sit(50)
            s.away(10)
            store.end_run()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TZ": "Europe/Berlin"}
    said = "This history holds simulated days from sitwatch demo, Tue 17 Nov to Wed 18 Nov."
    page = tmp_path / "page.html"
    for argv in (("--week", "2026-W49"), ("--month", "2026-12")):
        proc = subprocess.run(
            [sys.executable, "-m", "sitwatch", "report", *argv, "--format", "html", "-o",
             str(page), "--history", str(db), "--no-user-config"],
            capture_output=True, text=True, env=env, timeout=60)
        assert proc.returncode == 0, proc.stderr
        html = page.read_text(encoding="utf-8")
        plain = " ".join(html.replace("<code>", "").replace("</code>", "").split())
        assert said in plain and "sitwatch run" not in plain, (argv, html[-3000:])
    server, base = _served(tmp_path, "--history", str(db),
                           env={**env, "XDG_DATA_HOME": str(tmp_path / "data"),
                                "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
                                "XDG_RUNTIME_DIR": str(tmp_path / "run")})
    try:
        code, html = _get(base + "/today")  # today: long after the demo's days
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(10)
    assert code == 200, html[-1500:]
    assert f"No sitting recorded today. {said}" in " ".join(html.split()), html[-2000:]
    assert "sitwatch run" not in html
