"""After an upgrade, before the daemon has run (or with a history copied from another machine):
`sitwatch report` and `sitwatch export` read a history of an older schema through a private
upgraded copy, say so once, and leave the file exactly as it was."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from sitwatch.history.schema import SCHEMA_VERSION, user_version
from tests.e2e.test_cli_edges import _fresh_home, _sitwatch
from tests.helpers.history import older_history
from tests.helpers.report_text import rows_joined

pytestmark = pytest.mark.integration

DAY = date(2026, 3, 4)


def _home_with_old_history(tmp_path: Path) -> tuple[dict[str, str], Path]:
    env = {**_fresh_home(tmp_path), "TZ": "Europe/Berlin", "TMPDIR": str(tmp_path / "tmp")}
    (tmp_path / "tmp").mkdir()
    data = tmp_path / "home/.local/share/sitwatch"
    data.mkdir(parents=True)
    older_history(data / "history.sqlite", DAY)
    return env, data / "history.sqlite"


def _version(path: Path) -> int:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return user_version(conn)
    finally:
        conn.close()


def test_report_reads_a_history_the_daemon_has_not_upgraded_yet(tmp_path: Path) -> None:
    """It refused: "has schema version 5, this sitwatch reads version 6; start the daemon once
    to upgrade it", so an upgrade hid every week until the service restarted."""
    env, hist = _home_with_old_history(tmp_path)
    before = hist.read_bytes()
    proc = _sitwatch("report", "--day", str(DAY), "--no-user-config", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "Sitting          2 h 15 min" in rows_joined(proc.stdout)
    assert "Longest spell    1 h 30 min (from 09:00)" in rows_joined(proc.stdout)
    assert proc.stderr.count("older sitwatch") == 1, proc.stderr
    assert str(hist) in proc.stderr
    assert "it will upgrade the file itself when it starts" in proc.stderr, proc.stderr
    assert hist.read_bytes() == before
    assert _version(hist) == SCHEMA_VERSION - 1
    assert not list((tmp_path / "tmp").iterdir())  # the copy is gone


def test_the_weekly_json_report_and_export_read_it_too(tmp_path: Path) -> None:
    env, hist = _home_with_old_history(tmp_path)
    before = hist.read_bytes()
    proc = _sitwatch("report", "--week", "2026-W10", "--format", "json", "--no-user-config",
                     env=env)
    assert proc.returncode == 0, proc.stderr
    totals = json.loads(proc.stdout)["totals"]
    assert totals["sitting_minutes"] == 90 + 45 and totals["longest_spell_minutes"] == 90
    out = tmp_path / "export.json"
    proc = _sitwatch("export", "--json", "--since", str(DAY), "--until", str(DAY), "-o",
                     str(out), "--no-user-config", env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("older sitwatch") == 1, proc.stderr
    minutes = json.loads(out.read_text())["minutes"]
    assert sum(m["seconds_seated"] for m in minutes) == (90 + 45) * 60
    assert hist.read_bytes() == before and _version(hist) == SCHEMA_VERSION - 1
    assert not list((tmp_path / "tmp").iterdir())


def test_a_newer_schema_still_says_upgrade_sitwatch(tmp_path: Path) -> None:
    env, hist = _home_with_old_history(tmp_path)
    conn = sqlite3.connect(hist, isolation_level=None)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    before = hist.read_bytes()
    proc = _sitwatch("report", "--day", str(DAY), "--no-user-config", env=env)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert f"has schema version {SCHEMA_VERSION + 1}" in proc.stderr
    assert "upgrade sitwatch" in proc.stderr and "older sitwatch" not in proc.stderr
    assert hist.read_bytes() == before
    assert not list((tmp_path / "tmp").iterdir())
