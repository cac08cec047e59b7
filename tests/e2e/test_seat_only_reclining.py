"""A seat without backrest sensors cannot see reclining (docs/accuracy.md, "Reclining, seen from
below"; `sitwatch doctor` says so). Before, every report of its history said "reclined 0%" as if
measured. Here the real daemon (`sitwatch demo`, the Daemon of `sitwatch run` on the virtual
cushion in accelerated time) writes a real SQLite history on the fsr-cushion-9 layout; then
`sitwatch report` in each format, `sitwatch export` and the web app's pages (`sitwatch serve` in
headless Chromium) say reclining was not seen, and a chair with a backrest still gets its share.
Its leaning forward is weight on the front of the seat, as the daemon's nudge says: the reports
call it "weight forward" there (a chair's stays "leaning forward"), and the charts' legends leave
out the reclining nothing could see."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.history import first_day
from tests.helpers.report_text import row_value

ROOT = Path(__file__).resolve().parents[2]
NOT_SEEN = "reclined not seen (needs backrest sensors)"
# the weekly table's lines: as wide as its columns
TABLE = (*(f"{d} " for d in ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")),
         " " * 16 + "sitting ")


def _env(tmp: Path, tz: str = "Europe/Berlin") -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TZ": tz, "HOME": str(tmp / "home"),
           "XDG_CONFIG_HOME": str(tmp / "cfg"), "XDG_DATA_HOME": str(tmp / "data"),
           "XDG_STATE_HOME": str(tmp / "state"), "XDG_RUNTIME_DIR": str(tmp / "run")}
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    return env


def sitwatch(env: dict[str, str], *argv: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "sitwatch", *argv, "--no-user-config"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    return proc.stdout


def demo_history(tmp: Path, layout: str, env: dict[str, str]) -> Path:
    """The demo's day (today, from 08:30) in a history file; the reports below name that day
    with ``--day``: the tests run on for minutes, and past midnight "today" is the next day."""
    db = tmp / f"{layout}.sqlite"
    sitwatch(env, "demo", "--layout", layout, "--speed", "0", "--plain", "--script", "demo",
             "--history", str(db))
    return db


@pytest.fixture(scope="module")
def seat_only(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    tmp = tmp_path_factory.mktemp("seat")
    env = _env(tmp)
    return demo_history(tmp, "fsr-cushion-9", env), env


def test_the_daemon_records_that_the_seat_could_not_see_reclining(
        seat_only: tuple[Path, dict[str, str]]) -> None:
    db, _ = seat_only
    conn = sqlite3.connect(db)
    sat, unseen, reclined = conn.execute(
        "SELECT sum(seconds_occupied), sum(seconds_recline_unseen), sum(reclined) "
        "FROM minutes").fetchone()
    conn.close()
    assert sat > 3600 and unseen == pytest.approx(sat, abs=1.0) and reclined == 0


def test_every_report_says_reclining_was_not_seen(seat_only: tuple[Path, dict[str, str]],
                                                  tmp_path: Path) -> None:
    db, env = seat_only
    h = ["--history", str(db), "--day", str(first_day(db))]
    day = sitwatch(env, "report", *h)
    assert NOT_SEEN in day and "reclined 0%" not in day
    week = sitwatch(env, "report", "--week", *h)
    assert NOT_SEEN in week and "reclined 0%" not in week
    md = sitwatch(env, "report", "--week", "--format", "md", *h)
    assert NOT_SEEN in md and "reclined 0%" not in md
    sitwatch(env, "report", "--week", "--format", "html", "-o", str(tmp_path / "w.html"), *h)
    page = (tmp_path / "w.html").read_text()
    assert "not seen" in page and "reclined 0%" not in page
    doc = json.loads(sitwatch(env, "report", "--week", "--format", "json", *h))
    sat = doc["totals"]["sitting_minutes"]
    assert doc["totals"]["posture_share"]["reclined"] is None
    assert doc["totals"]["recline_unseen_minutes"] == pytest.approx(sat, abs=0.2)
    assert doc["totals"]["posture_share"]["upright"] > 0.5  # the rest is still measured
    days = [d for d in doc["days"] if d["sitting_minutes"]]
    assert days and all(d["posture_share"]["reclined"] is None for d in days)
    rows = sitwatch(env, "report", "--week", "--format", "csv", *h).splitlines()
    head = rows[0].split(",")
    sat_row = next(r.split(",") for r in rows[1:] if r.split(",")[head.index("sitting_minutes")]
                   not in ("", "0", "0.0"))
    assert sat_row[head.index("reclined_share")] == ""


def test_every_report_says_weight_forward(seat_only: tuple[Path, dict[str, str]],
                                          tmp_path: Path) -> None:
    db, env = seat_only
    h = ["--history", str(db), "--day", str(first_day(db))]
    for argv in ([], ["--week"], ["--week", "--format", "md"]):
        text = sitwatch(env, "report", *argv, *h)
        assert "weight forward " in text and "leaning forward" not in text, text
    sitwatch(env, "report", "--week", "--format", "html", "-o", str(tmp_path / "w.html"), *h)
    page = (tmp_path / "w.html").read_text()
    assert '<span class="sw fw"></span>weight forward' in page
    assert "leaning forward" not in page and '<span class="sw rc">' not in page
    doc = json.loads(sitwatch(env, "report", "--week", "--format", "json", *h))
    lf = doc["totals"]["posture_share"]["leaning_forward"]  # the field keeps its name
    assert lf > 0
    assert doc["totals"]["weight_forward_minutes"] == pytest.approx(
        lf * doc["totals"]["sitting_minutes"], abs=0.5)


def test_the_text_reports_keep_within_80_columns(seat_only: tuple[Path, dict[str, str]]) -> None:
    """Its Posture row ran to 126 columns, the Nudges row to 93 (the text also goes out by
    e-mail): each row wraps under its value, between items; the weekly table is left as is."""
    db, env = seat_only
    for argv in ([], ["--week"], ["--month"]):
        text = sitwatch(env, "report", *argv, "--history", str(db), "--day", str(first_day(db)))
        lines = [ln for ln in text.splitlines() if not ln.startswith(TABLE)]
        assert max(len(ln) for ln in lines) <= 80, text
        posture = next(i for i, ln in enumerate(lines) if ln.startswith("Posture"))
        assert lines[posture + 1].startswith(" " * 17 + "reclined not seen"), text
        assert lines[posture].endswith(" ·"), text
        assert NOT_SEEN in row_value(text, "Posture")


def test_the_export_leaves_reclining_empty_where_it_was_not_seen(
        seat_only: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    db, env = seat_only
    out = tmp_path / "export.json"
    sitwatch(env, "export", "--since", "2000-01-01", "--json", "-o", str(out),
             "--history", str(db))
    minutes = [m for m in json.loads(out.read_text())["minutes"] if m["seconds_seated"]]
    assert minutes
    assert all(m["seconds_reclined"] is None for m in minutes)
    assert all(m["seconds_seated_recline_unseen"] == pytest.approx(m["seconds_seated"], abs=0.2)
               for m in minutes)


def test_a_chair_with_a_backrest_still_gets_its_share(tmp_path: Path) -> None:
    env = _env(tmp_path)
    db = demo_history(tmp_path, "smartchair-12", env)
    h = ["--history", str(db), "--day", str(first_day(db))]
    day = sitwatch(env, "report", *h)
    assert "not seen" not in day and "reclined " in day
    assert "leaning forward " in day and "weight forward" not in day
    doc = json.loads(sitwatch(env, "report", "--format", "json", *h))
    assert doc["totals"]["posture_share"]["reclined"] > 0
    assert doc["totals"]["recline_unseen_minutes"] == 0


def test_the_web_pages_say_reclining_was_not_seen(tmp_path: Path) -> None:
    """`sitwatch serve` on the daemon's seat-only history, in Chromium: Today and the week,
    at a desktop's and a phone's width."""
    from tests.helpers.cdp import browser
    from tests.integration.test_web_browser import DESKTOP, PHONE, Server, near_noon

    tz = near_noon()  # the demo's day (from 08:30) is over by then, and today where served
    sitwatch(_env(tmp_path, tz), "demo", "--layout", "fsr-cushion-9", "--speed", "0",
             "--plain", "--script", "demo", "--history", str(tmp_path / "history.sqlite"))
    srv = Server(tmp_path)
    try:
        with browser(tmp_path) as b:
            for width, height in (DESKTOP, PHONE):
                b.size(width, height, mobile=width < 600)
                b.open(srv.base + "/today")
                today = b.text()
                assert "not seen (needs backrest sensors)" in today, today
                assert "reclined 0%" not in today
                b.open(srv.base + "/week")
                week = b.text()
                assert NOT_SEEN in week and "reclined 0%" not in week
                cells = b.js("Array.from(document.querySelectorAll('td')).map("
                             "function (c) { return c.textContent; }).join('|')")
                assert "not seen" in cells
                assert "weight forward" in week and "leaning forward" not in week
                legends = b.js("Array.from(document.querySelectorAll('ul.legend li')).map("
                               "function (li) { return li.textContent; }).join('|')")
                assert "weight forward" in legends and "reclined" not in legends, legends
    finally:
        srv.stop()
