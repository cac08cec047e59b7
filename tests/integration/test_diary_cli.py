"""``sitwatch log`` through the real command: a subprocess writing a real SQLite history, beside
a writer that holds the file like the daemon does, with the seek-care advice for each red flag."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from sitwatch.core.clock import ManualClock
from sitwatch.core.kinds import RedFlag
from sitwatch.history.diary import entries_between
from sitwatch.history.store import Store
from sitwatch.reports import diary
from tests.helpers.history import TZ, Sitter

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def sitwatch(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CONFIG_HOME": str(tmp / "cfg"),
           "XDG_DATA_HOME": str(tmp / "data"), "XDG_RUNTIME_DIR": str(tmp / "run")}
    return subprocess.run([sys.executable, "-m", "sitwatch", *args, "--no-user-config"],
                          capture_output=True, text=True, env=env, timeout=60, cwd=tmp)


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_log_beside_a_running_writer(tmp_path: Path) -> None:
    """70 minutes of sitting end ten minutes ago; the writer (the daemon's stand-in) still
    holds the file open with a run going when the entry is logged."""
    db = tmp_path / "history.sqlite"
    now = datetime.now(TZ)
    clock = ManualClock(now.replace(second=0, microsecond=0) - timedelta(minutes=81),
                        monotonic=0.0)
    daemon = Store(db, clock)
    p = Sitter(daemon, clock)
    p.at(clock.now().date(), clock.now().hour, clock.now().minute)
    p.sit(70)
    p.away(1)
    daemon.flush()
    try:
        r = sitwatch(tmp_path, "log", "numbness", "--side", "left", "--where", "buttock",
                     "--severity", "5", "--note", "after lunch", "--history", str(db))
    finally:
        daemon.close()
    assert r.returncode == 0, r.stderr
    out = _flat(r.stdout)
    assert "Numbness, left buttock, 5/10." in out
    assert "In the two hours before: longest unbroken sitting 1 h 10 min" in out
    assert diary.SEEK_CARE_HEAD.upper() not in out
    check = Store(db, ManualClock(now), readonly=True)
    try:
        (e,) = entries_between(check, now - timedelta(minutes=5), now + timedelta(minutes=5))
    finally:
        check.close()
    assert (e.kind, e.side, e.area, e.severity, e.note, e.source) == (
        "numbness", "left", "buttock", 5, "after lunch", "cli")
    assert db.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(("args", "flag"), [
    (["numbness", "--where", "saddle"], RedFlag.SADDLE_NUMBNESS),
    (["ache", "--where", "lower-back", "--with", "bladder"], RedFlag.BLADDER_BOWEL),
    (["pain", "--with", "bowel"], RedFlag.BLADDER_BOWEL),
    (["tingling", "--where", "leg", "--with", "leg-weakness"], RedFlag.LEG_WEAKNESS),
    (["pain", "--where", "lower-back", "--with", "fever"], RedFlag.FEVER),
    (["numbness", "--side", "both", "--where", "leg"], RedFlag.BOTH_LEGS),
    # the guide's other urgent signs (a review: "severe back pain, fell off a ladder" in a
    # note got only "see a doctor if it keeps coming back")
    (["pain", "--where", "lower-back", "--severity", "10"], RedFlag.SEVERE_BACK_PAIN),
    (["numbness", "--where", "buttock", "--with", "severe-back-pain"],
     RedFlag.SEVERE_BACK_PAIN),
    (["numbness", "--with", "injury"], RedFlag.INJURY),
    (["numbness", "--with", "weight-loss"], RedFlag.WEIGHT_LOSS_CANCER),
    (["tingling", "--where", "buttock", "--with", "cancer"], RedFlag.WEIGHT_LOSS_CANCER),
])
def test_each_red_flag_gets_the_seek_care_advice(tmp_path: Path, args: list[str],
                                                  flag: RedFlag) -> None:
    db = tmp_path / "history.sqlite"  # no history yet: the entry starts one
    r = sitwatch(tmp_path, "log", *args, "--history", str(db))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == f"!! {diary.SEEK_CARE_HEAD.upper()} !!"  # before anything else
    out = _flat(r.stdout)
    for line in diary.seek_care_lines((flag,))[1:]:
        assert line in out
    # nothing in the history before it: said without a guessed reason
    assert "No sitting recorded in the two hours before." in out and "not running" not in out
    assert db.is_file()


def test_no_red_flag_for_ordinary_entries(tmp_path: Path) -> None:
    r = sitwatch(tmp_path, "log", "pain", "--side", "both", "--where", "buttock",
                 "--history", str(tmp_path / "h.sqlite"))
    assert r.returncode == 0
    assert "!!" not in r.stdout and "see a doctor or physiotherapist" in _flat(r.stdout)


@pytest.mark.parametrize("args", [
    ["numbness", "--severity", "0"],
    ["numbness", "--severity", "ten"],
    ["numbness", "--where", "knee"],
    ["itch"],
    ["pain", "--with", "headache"],
    ["pain", "--note", "x" * 600],
])
def test_user_mistakes_exit_2_without_a_traceback(tmp_path: Path, args: list[str]) -> None:
    db = tmp_path / "history.sqlite"
    r = sitwatch(tmp_path, "log", *args, "--history", str(db))
    assert r.returncode == 2
    assert "Traceback" not in r.stderr and r.stderr.strip()
    assert not db.exists()


def test_help_names_the_red_flags(tmp_path: Path) -> None:
    r = sitwatch(tmp_path, "log", "--help")
    text = _flat(r.stdout)
    for word in ("--with", "bladder", "bowel", "leg-weakness", "fever", "saddle",
                 "--side both", "severe-back-pain", "injury", "weight-loss", "cancer", "8/10"):
        assert word in text


def test_log_and_the_web_diary_say_the_cushion_was_offline(tmp_path: Path) -> None:
    """The daemon ran with its cushion unplugged for the two hours before an entry: `sitwatch
    log` and the web app's diary page say so in the same words (they said sitwatch was not
    running, or showed 0 min of sitting as if measured)."""
    pytest.importorskip("starlette")
    pytest.importorskip("uvicorn")
    import urllib.request

    db = tmp_path / "history.sqlite"
    now = datetime.now().astimezone()
    clock = ManualClock(now - timedelta(minutes=100), monotonic=0.0)
    with Store(db, clock) as store:  # what the daemon writes with its cushion unplugged
        store.begin_run("smartchair-12", "/dev/ttyACM0")
        for _ in range(95 * 6):
            clock.advance(10)
            store.add_sample(10.0, occupied=False, posture=None, balance=None, seat_load=None,
                             cop_x=None, cop_y=None, online=False)
        store.end_run()
    said = ("no sitting recorded in the two hours before: sitwatch was running, but its sensor "
            "was offline, so it could not see the seat")
    r = sitwatch(tmp_path, "log", "numbness", "--side", "left", "--where", "buttock",
                 "--history", str(db))
    assert r.returncode == 0, r.stderr
    assert said.capitalize() + "." in _flat(r.stdout), r.stdout
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
           "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_RUNTIME_DIR": str(tmp_path / "run")}
    web = subprocess.Popen([sys.executable, "-m", "sitwatch", "serve", "--port", "0",
                            "--history", str(db), "--no-user-config"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert web.stdout is not None
        line = web.stdout.readline()
        assert line.startswith("sitwatch: serving on "), line
        base = line.split("serving on ", 1)[1].strip().rstrip("/")
        page = urllib.request.urlopen(base + "/diary", timeout=10).read().decode()
    finally:
        web.terminate()
        web.communicate(timeout=10)
    assert _flat(said) in _flat(page) and "not running" not in page
