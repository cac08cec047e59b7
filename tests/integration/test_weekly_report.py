"""The weekly timer's two steps as the units run them: `sitwatch report --week --html FILE`, then
`sitwatch report-send FILE`, in subprocesses against a real history file, sending through the
real apprise to a recording HTTP server on 127.0.0.1 (apprise's json:// service)."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest

from sitwatch.core.clock import ManualClock
from sitwatch.core.kinds import Posture
from sitwatch.history.store import Store
from tests.helpers.history import TZ, Sitter
from tests.helpers.report_text import row_value

pytestmark = pytest.mark.integration

DAY = date(2026, 11, 22)  # a Sunday: the timer's evening


def _history(tmp_path: Path) -> Path:
    path = tmp_path / "history.sqlite"
    clock = ManualClock(datetime(2026, 11, 16, 8, 0, tzinfo=TZ))
    store = Store(path, clock)
    s = Sitter(store, clock)
    s.at(date(2026, 11, 18), 9)
    s.sit(50, Posture.UPRIGHT)
    s.away(10)
    s.sit(70, Posture.SLOUCHED)
    for _ in range(30):  # what the daemon keeps for the seat pressure picture
        clock.advance(60)
        store.add_pressure(60, "upright", [0.2] * 4 + [0.4, 0.4, 0.3, 0.3, 0.2, 0.2, 0.1, 0.1])
    store.end_run()
    store.close()
    return path


def _sitwatch(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "SITWATCH_"))}
    env.update(HOME=str(tmp_path / "home"), TZ="Europe/Berlin")
    return subprocess.run([sys.executable, "-m", "sitwatch", *argv], capture_output=True,
                          text=True, timeout=120, env=env)


def _config(tmp_path: Path, urls: list[str]) -> Path:
    cfg = tmp_path / "cfg.toml"
    cfg.write_text("[nudges.push]\nreport_urls = " + json.dumps(urls) + "\n")
    return cfg


def test_the_timers_two_steps_write_the_page_and_send_it(tmp_path, http_server):
    pytest.importorskip("apprise")
    hist = _history(tmp_path)
    page = tmp_path / "reports" / "sitwatch-week.html"
    page.parent.mkdir()
    cfg = _config(tmp_path, [f"json://127.0.0.1:{http_server.port}/weekly"])
    common = ("--no-user-config", "--config", str(cfg))
    wrote = _sitwatch(tmp_path, "report", *common, "--week", "--day", str(DAY), "--html",
                      str(page), "--history", str(hist))
    assert wrote.returncode == 0, wrote.stderr
    assert page.is_file() and "<html" in page.read_text().lower()
    assert 'id="pressure"' in page.read_text()  # the seat pressure card (issue #11)

    sent = _sitwatch(tmp_path, "report-send", *common, str(page), "--day", str(DAY),
                     "--history", str(hist))
    assert sent.returncode == 0, sent.stderr
    assert "sent the week's report to 1 of 1 service(s)" in sent.stdout
    (req,) = http_server.wait(1)
    assert (req.method, req.path) == ("POST", "/weekly")
    body = json.loads(req.body)
    assert body["title"] == "sitwatch: your week to Sun 22 Nov"
    # the text of `sitwatch report --week`: 2 h of sitting on the Wednesday
    week = _sitwatch(tmp_path, "report", *common, "--week", "--day", str(DAY), "--history",
                     str(hist))
    assert body["message"].strip() == week.stdout.strip()
    assert "2 h" in body["message"] or "120 min" in body["message"], body["message"]
    (att,) = body["attachments"]
    assert base64.b64decode(att["base64"]) == page.read_bytes()


def test_nothing_configured_nothing_sent_and_no_failure(tmp_path, http_server):
    page = tmp_path / "week.html"
    page.write_text("<html></html>")
    cfg = _config(tmp_path, [])
    proc = _sitwatch(tmp_path, "report-send", "--no-user-config", "--config", str(cfg),
                     str(page))
    assert proc.returncode == 0, proc.stderr
    assert "not sent" in proc.stdout and str(page) in proc.stdout
    assert http_server.requests == []


def test_bad_input_is_named_and_exits_2_or_1(tmp_path, http_server):
    pytest.importorskip("apprise")
    hist = _history(tmp_path)
    cfg = _config(tmp_path, [f"json://127.0.0.1:{http_server.port}/x"])
    missing = _sitwatch(tmp_path, "report-send", "--no-user-config", "--config", str(cfg),
                        str(tmp_path / "nope.html"), "--history", str(hist))
    assert missing.returncode == 2 and "nope.html" in missing.stderr
    assert "Traceback" not in missing.stderr

    http_server.status = 500
    broken = _config(tmp_path, [f"json://user:secret@127.0.0.1:{http_server.port}/x",
                                "nosuchscheme://what"])
    failed = _sitwatch(tmp_path, "report-send", "--no-user-config", "--config", str(broken),
                       "--history", str(hist), "--day", str(DAY))
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "0 of 2" in failed.stdout
    assert "secret" not in failed.stdout + failed.stderr  # the URL is masked
    assert "does not understand nosuchscheme://" in failed.stderr
    assert "Traceback" not in failed.stderr


def test_the_units_own_lines_caught_up_two_days_late_still_give_that_week(tmp_path,
                                                                            http_server):
    """The computer was off on Sunday evening: the timer (Persistent=) runs at Tuesday's login.
    The shipped unit's two ExecStart lines, as written there (`--week last`), still give the
    week that ended on Sunday, page and message alike; not the seven days to Tuesday."""
    import shlex

    from sitwatch.runtime.service import shipped

    pytest.importorskip("apprise")
    hist = _history(tmp_path)
    cfg = _config(tmp_path, [f"json://127.0.0.1:{http_server.port}/weekly"])
    unit = shipped("systemd", "sitwatch-weekly.service").read_text(encoding="utf-8")
    lines = [shlex.split(ln.removeprefix("ExecStart=").replace("%S", str(tmp_path)))
             for ln in unit.splitlines() if ln.startswith("ExecStart=")]
    (tmp_path / "sitwatch" / "reports").mkdir(parents=True)
    tuesday = ("--day", "2026-11-24", "--history", str(hist), "--no-user-config", "--config",
               str(cfg))
    for argv in lines:
        assert argv[0].endswith("/sitwatch")
        done = _sitwatch(tmp_path, *argv[1:], *tuesday)
        assert done.returncode == 0, (argv, done.stderr)
    page = (tmp_path / "sitwatch" / "reports" / "sitwatch-week.html").read_text()
    assert "<h1>Mon 16 – Sun 22 November 2026</h1>" in page
    (req,) = http_server.wait(1)
    body = json.loads(req.body)
    assert body["title"] == "sitwatch: your week to Sun 22 Nov"
    assert "2 h" in body["message"] or "120 min" in body["message"], body["message"]


@pytest.mark.parametrize("command", ["report", "report-send"])
def test_a_bad_day_or_week_is_named_with_how_to_write_it(tmp_path, command):
    cfg = _config(tmp_path, [])
    common = ("--no-user-config", "--config", str(cfg))
    bad_day = _sitwatch(tmp_path, command, *common, "--day", "2026-11-31")
    assert bad_day.returncode == 2 and "--day '2026-11-31': there is no such day" in bad_day.stderr
    bad_week = _sitwatch(tmp_path, command, *common, "--week", "lastweek")
    assert bad_week.returncode == 2 and "or last (the last week that is over)" in bad_week.stderr
    assert "Traceback" not in bad_day.stderr + bad_week.stderr


def test_a_camera_alone_does_not_claim_even_sitting(tmp_path):
    """A webcam sees no weight: its seated time has no balance state. The reports said
    "Lopsided 0 min" for a camera-only week, as if the sitter had sat even; they now say it
    was not measured, and a cushion's week still gives its minutes."""
    path = tmp_path / "camera.sqlite"
    clock = ManualClock(datetime(2026, 11, 16, 8, 0, tzinfo=TZ))
    store = Store(path, clock)
    s = Sitter(store, clock)
    s.at(date(2026, 11, 18), 9, layout="camera")
    s.sit(40, Posture.UPRIGHT, None)  # what a camera-only daemon stores: no balance
    store.end_run()
    store.close()
    page = tmp_path / "week.html"
    for argv in (["report", "--day", "2026-11-18"], ["report", "--week", "2026-W47"],
                 ["report", "--week", "2026-W47", "--html", str(page)]):
        r = _sitwatch(tmp_path, *argv, "--history", str(path))
        assert r.returncode == 0, r.stderr
        text = r.stdout + (page.read_text() if "--html" in argv else "")
        assert "not measured (a cushion measures it)" in text, (argv, text[-1500:])
    cushion = _sitwatch(tmp_path, "report", "--day", "2026-11-18",
                        "--history", str(_history(tmp_path)))
    line = row_value(cushion.stdout, "Lopsided")
    assert "not measured" not in line and "0 min" in line, line


def test_a_spell_longer_than_the_days_sitting_says_why(tmp_path):
    """A spell counts the short absences within it (under detect.occupancy.min_break), the
    day's sitting does not: "Sitting 3 min" beside "Longest spell 5 min" read as a mistake."""
    path = tmp_path / "short.sqlite"
    clock = ManualClock(datetime(2026, 11, 16, 8, 0, tzinfo=TZ))
    store = Store(path, clock)
    s = Sitter(store, clock)
    s.at(date(2026, 11, 18), 9)
    s.sit(2, Posture.UPRIGHT)
    s.away(1)  # under the 2-minute break: the spell goes on
    s.sit(2, Posture.UPRIGHT)
    store.end_run()
    store.close()
    r = _sitwatch(tmp_path, "report", "--day", "2026-11-18", "--history", str(path))
    assert r.returncode == 0, r.stderr
    line = row_value(r.stdout, "Longest spell")
    assert "with short absences" in line, r.stdout


def test_the_week_of_an_older_history_is_sent_before_the_daemon_upgrades_it(tmp_path,
                                                                            http_server):
    """The weekly timer runs `report-send` on its own: after an upgrade, before the service
    restarted, it sent nothing ("start the daemon once to upgrade it")."""
    pytest.importorskip("apprise")
    import sqlite3

    from sitwatch.history.schema import SCHEMA_VERSION, user_version
    from tests.helpers.history import older_history

    hist = tmp_path / "history.sqlite"
    older_history(hist, date(2026, 11, 18))  # 1 h 30 min upright, then 45 min slouched
    before = hist.read_bytes()
    cfg = _config(tmp_path, [f"json://127.0.0.1:{http_server.port}/weekly"])
    sent = _sitwatch(tmp_path, "report-send", "--no-user-config", "--config", str(cfg),
                     "--day", str(DAY), "--history", str(hist))
    assert sent.returncode == 0, sent.stderr
    assert sent.stderr.count("is from an older sitwatch") == 1, sent.stderr
    (req,) = http_server.wait(1)
    assert "2 h 15 min" in json.loads(req.body)["message"]
    assert hist.read_bytes() == before
    assert user_version(sqlite3.connect(f"file:{hist}?mode=ro", uri=True)) == SCHEMA_VERSION - 1


def test_the_week_of_a_damaged_history_is_sent_as_far_as_it_can_be_read(tmp_path,
                                                                         http_server):
    """A few bad pages in the history (an SD card failing): the weekly timer's `report-send`
    ended in a "database disk image is malformed" traceback and sent nothing; now it sends
    what can still be read and says what was lost, as `sitwatch report` does."""
    pytest.importorskip("apprise")
    from tests.e2e.test_cli_edges import _damaged_history

    hist = tmp_path / "history.sqlite"
    _damaged_history(hist)  # three days of upright sitting from Mon 2 March 2026
    before = hist.read_bytes()
    cfg = _config(tmp_path, [f"json://127.0.0.1:{http_server.port}/weekly"])
    sent = _sitwatch(tmp_path, "report-send", "--no-user-config", "--config", str(cfg),
                     "--day", "2026-03-08", "--history", str(hist))
    assert sent.returncode == 0, sent.stderr
    assert "Traceback" not in sent.stderr
    assert f"note: the history database {hist} is damaged" in sent.stderr
    assert "this week's report shows what could still be read" in sent.stderr
    (req,) = http_server.wait(1)
    message = json.loads(req.body)["message"]
    assert re.search(r"^Sitting +\d+ h \d+ min on 4 days", message, re.M), message
    assert hist.read_bytes() == before  # sending never changes it
