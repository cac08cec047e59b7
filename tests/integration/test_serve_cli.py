"""``sitwatch serve`` as a command, without a browser: what it says when it cannot start, and
that it serves from a missing history and a stopped daemon."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

ROOT = Path(__file__).resolve().parents[2]


def _env(tmp: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "XDG_DATA_HOME": str(tmp / "data"),
            "XDG_CONFIG_HOME": str(tmp / "cfg"), "XDG_RUNTIME_DIR": str(tmp / "run")}


def serve(tmp: Path, *args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sitwatch", "serve", "--no-user-config", *args],
                          capture_output=True, text=True, env=_env(tmp), timeout=timeout)


def test_a_busy_port_is_named(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        r = serve(tmp_path, "--port", str(port))
    assert r.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in r.stderr and "--port" in r.stderr
    assert "Traceback" not in r.stderr


def test_a_host_that_is_not_loopback_is_a_config_mistake(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[web]\nhost = "0.0.0.0"\n', encoding="utf-8")
    r = serve(tmp_path, "--config", str(cfg))
    assert r.returncode == 2
    assert "web.host" in r.stderr and "web.lan = true" in r.stderr
    assert "Traceback" not in r.stderr


def test_serves_without_history_or_daemon(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[status]\nfile = "{tmp_path / "status.json"}"\n', encoding="utf-8")
    proc, base = _served(tmp_path, "--config", str(cfg), "--history",
                         str(tmp_path / "none.sqlite"))
    try:
        status = json.loads(urllib.request.urlopen(base + "/api/status", timeout=10).read())
        assert status["running"] is False and status["state"] == "off"
        for page in ("/today", "/week", "/weeks"):
            html = urllib.request.urlopen(base + page, timeout=10).read().decode()
            assert "No history yet" in html, page
        diary = urllib.request.urlopen(base + "/diary", timeout=10).read().decode()
        assert "How do you feel?" in diary and "your first entry starts it" in diary
        assert not (tmp_path / "none.sqlite").exists()  # reading never creates it
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)


def test_web_port_0_in_the_config_means_any_free_port(tmp_path: Path) -> None:
    """`sitwatch serve --help` says 0 means any free port, but web.port = 0 in the config was
    refused ("Input should be greater than 0")."""
    cfg = tmp_path / "c.toml"
    cfg.write_text("[web]\nport = 0\n", encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "sitwatch", "serve", "--no-user-config", "--config", str(cfg)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(tmp_path),
        start_new_session=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("sitwatch: serving on http://127.0.0.1:"), proc.stderr
        port = int(line.rsplit(":", 1)[1].strip().rstrip("/"))
        assert port > 0
        assert _get(f"http://127.0.0.1:{port}/api/status")[0] == 200
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)


def _served(tmp: Path, *args: str,
            env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "sitwatch", "serve", "--no-user-config", "--port", "0", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env or _env(tmp),
        start_new_session=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("sitwatch: serving on http://127.0.0.1:"), proc.stderr
    return proc, line.split("serving on ", 1)[1].strip().rstrip("/")


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_a_damaged_history_shows_what_can_still_be_read(tmp_path: Path) -> None:
    """A few bad pages (an SD card dying a little): `sitwatch report` read what was left, but
    the web pages answered "Internal Server Error". Now they show what can be read and say
    so, and leave the file for the daemon to repair."""
    sys.path.insert(0, str(ROOT))
    from tests.e2e.test_cli_edges import _damaged_history

    hist = tmp_path / "history.sqlite"
    _damaged_history(hist)  # 3 days from 2026-03-02, three pages overwritten
    before = hist.read_bytes()
    proc, base = _served(tmp_path, "--history", str(hist))
    try:
        for page in ("/week/2026-03-05", "/month/2026-03"):  # they read the damaged pages
            code, html = _get(base + page)
            assert code == 200, (page, html[-600:])
            assert "is damaged" in html and "could still be read from it: recovered" in html, page
            assert "are lost" in html, page
            assert "Mon 2" in html or "2 March" in html or "Monday" in html, page
        for page in ("/weeks", "/diary", "/today"):  # the others still answer
            code, html = _get(base + page)
            assert code == 200, (page, html[-600:])
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)
    assert hist.read_bytes() == before  # the pages never change it


def test_the_copy_of_a_damaged_history_is_removed_when_serve_stops(tmp_path: Path) -> None:
    """The app's lifespan removes the private copy, but uvicorn ran with the lifespan off: each
    `sitwatch serve` left a sitwatch-salvage-* folder (a copy of the history) in /tmp."""
    sys.path.insert(0, str(ROOT))
    from tests.e2e.test_cli_edges import _damaged_history

    hist = tmp_path / "history.sqlite"
    _damaged_history(hist)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    proc, base = _served(tmp_path, "--history", str(hist),
                         env={**_env(tmp_path), "TMPDIR": str(tmp)})
    try:
        code, html = _get(base + "/week/2026-03-05")
        assert code == 200 and "is damaged" in html
        assert [p.name[:17] for p in tmp.iterdir()] == ["sitwatch-salvage-"]
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        _, err = proc.communicate(timeout=10)
    assert "Traceback" not in err
    assert not list(tmp.iterdir())


def test_a_history_that_cannot_be_read_at_all_says_so(tmp_path: Path) -> None:
    hist = tmp_path / "history.sqlite"
    hist.write_text("these are not the minutes you are looking for\n" * 200)
    proc, base = _served(tmp_path, "--history", str(hist))
    try:
        for page in ("/today", "/week", "/diary"):
            code, html = _get(base + page)
            assert code == 503, (page, code)
            assert "The history cannot be read" in html and "nothing could be read" in html
            assert "set the damaged file aside and start a fresh one" in html
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        _, err = proc.communicate(timeout=10)
    assert "Traceback" not in err


def test_dates_beyond_the_calendar_are_no_such_page(tmp_path: Path) -> None:
    """/week/9999-12-31 and /month/0001-01 answered 500 (the week before or the month after
    fell off the calendar)."""
    proc, base = _served(tmp_path, "--history", str(tmp_path / "none.sqlite"))
    try:
        for page in ("/week/9999-12-31", "/week/0001-01-03", "/month/9999-12", "/month/0001-01"):
            code, html = _get(base + page)
            assert code == 404, (page, code)
            assert "reports cover the years 1970 to 9998" in html, page
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        _, err = proc.communicate(timeout=10)
    assert "Traceback" not in err


def _get_with(url: str, token: str) -> int:
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return int(r.status)
    except urllib.error.HTTPError as e:
        return int(e.code)


def test_new_token_locks_old_links_out_of_the_server_already_running(tmp_path: Path) -> None:
    """`serve --lan --new-token` while the service serves on the port: it cannot listen, but it
    says the running server takes the new token, and that server does from its next request:
    the old token stops working there, as the help promises."""
    proc, url = _served(tmp_path, "--lan")
    try:
        token_file = next((tmp_path / "data").rglob("web-token"))
        old = token_file.read_text().strip()
        assert _get_with(url + "/api/status", old) == 200
        port = url.rsplit(":", 1)[1]
        r = serve(tmp_path, "--lan", "--new-token", "--port", port)
        new = token_file.read_text().strip()
        assert new != old
        assert r.returncode == 1 and "Traceback" not in r.stderr
        assert "old links and phones stop working there" in r.stderr and new in r.stderr
        assert _get_with(url + "/api/status", old) == 401
        assert _get_with(url + "/api/status", new) == 200
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.communicate(timeout=20)


def test_the_live_page_on_the_lan_does_not_show_the_process_id(tmp_path: Path) -> None:
    """`sitwatch serve --lan`: the Live page (and the status it polls) showed "pid 1234" to any
    phone holding the token, which tells another machine about this one and is of no use in a
    browser. The daemon is stood in for by its status file (this process's pid, so it runs)."""
    from datetime import datetime

    run = tmp_path / "run" / "sitwatch"
    run.mkdir(parents=True)
    now = datetime.now().astimezone().isoformat()
    (run / "status.json").write_text(json.dumps(
        {"version": 1, "pid": os.getpid(), "started": now, "updated": now,
         "occupancy": "occupied", "spell_seconds": 400.0, "sit_limit": 2700.0}))
    proc, url = _served(tmp_path, "--lan")
    try:
        assert proc.stdout is not None
        said = proc.stdout.readline() + proc.stdout.readline()
        lan = said.split("\n")[1].strip()  # the address other devices open, token and all
        assert "?token=" in lan, said
        token = lan.split("?token=", 1)[1]
        got = []
        for path in ("/api/status", "/"):
            req = urllib.request.Request(lan.split("/?", 1)[0] + path,
                                         headers={"Authorization": f"Bearer {token}"})
            with urllib.request.urlopen(req, timeout=30) as r:
                got.append(r.read().decode())
        status, page = json.loads(got[0]), got[1]
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.communicate(timeout=20)
    assert status["running"] and "sitting for 7 min" in status["headline"], status
    assert "Occupied" in page and "sitting for 7 min" in page
    for shown in (json.dumps(status), page):
        assert "pid" not in shown and str(os.getpid()) not in shown


def test_the_lan_pages_write_the_home_directory_as_a_tilde(tmp_path: Path) -> None:
    """`sitwatch serve --lan`: the Settings page (and "No history yet") showed the history's
    path, /home/alice/.local/share/sitwatch/history.sqlite, the user's name to every device
    holding the token. On the LAN the home is "~"."""
    home = tmp_path / "home" / "alice"
    home.mkdir(parents=True)
    env = {**_env(tmp_path), "HOME": str(home)}
    env.pop("XDG_DATA_HOME")  # the usual place, under the home
    proc, _ = _served(tmp_path, "--lan", env=env)
    try:
        assert proc.stdout is not None
        lan = (proc.stdout.readline() + proc.stdout.readline()).split("\n")[1].strip()
        token = lan.split("?token=", 1)[1]
        pages = {}
        for path in ("/settings", "/today"):
            req = urllib.request.Request(lan.split("/?", 1)[0] + path,
                                         headers={"Authorization": f"Bearer {token}"})
            with urllib.request.urlopen(req, timeout=30) as r:
                pages[path] = r.read().decode()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.communicate(timeout=20)
    assert "History: <code>~/.local/share/sitwatch/history.sqlite</code>" in pages["/settings"]
    assert "There is no history at <code>~/.local/share/sitwatch/history.sqlite</code>" \
        in pages["/today"]
    for page in pages.values():
        assert "alice" not in page and str(home) not in page


def test_an_older_history_is_shown_from_an_upgraded_copy(tmp_path: Path) -> None:
    """After an upgrade, before the daemon has run: the pages upgraded the user's file in place
    (while an older daemon may still be writing it). Now they read a private upgraded copy,
    say so, and leave the file as it was."""
    sys.path.insert(0, str(ROOT))
    import sqlite3
    from datetime import date

    from sitwatch.history.schema import SCHEMA_VERSION, user_version
    from tests.helpers.history import older_history

    hist = tmp_path / "history.sqlite"
    older_history(hist, date(2026, 3, 4))
    before = hist.read_bytes()
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    proc, base = _served(tmp_path, "--history", str(hist),
                         env={**_env(tmp_path), "TMPDIR": str(tmp), "TZ": "Europe/Berlin"})
    try:
        for page in ("/week/2026-03-04", "/month/2026-03", "/weeks", "/today", "/diary"):
            code, html = _get(base + page)
            assert code == 200, (page, html[-600:])
            assert html.count("is from an older sitwatch") == 1, page
            assert "upgrade the file itself" in html, page
        for page in ("/week/2026-03-04", "/month/2026-03"):
            assert "2 h 15 min" in _get(base + page)[1], page
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        _, err = proc.communicate(timeout=10)
    assert "Traceback" not in err
    assert hist.read_bytes() == before
    conn = sqlite3.connect(f"file:{hist}?mode=ro", uri=True)
    assert user_version(conn) == SCHEMA_VERSION - 1
    conn.close()
    assert not list(tmp.iterdir())


def test_the_live_page_says_a_daemon_just_started(tmp_path: Path) -> None:
    """Right after `sitwatch run` started, the live page said "up 0 s" (then "up 5 s", "up 10 s"
    as it updated itself). A real daemon (its cushion not plugged in: it waits and says so) and
    the real server, the page read as soon as the daemon's status is there."""
    import time

    env = _env(tmp_path)
    daemon = subprocess.Popen(
        [sys.executable, "-m", "sitwatch", "run", "--no-user-config", "--headless",
         "--port", str(tmp_path / "no-cushion"), "--layout", "smartchair-12"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, start_new_session=True)
    proc, base = _served(tmp_path)
    try:
        deadline = time.monotonic() + 30
        status: dict[str, object] = {}
        while time.monotonic() < deadline and not status.get("running"):
            status = json.loads(_get(base + "/api/status")[1])
            if daemon.poll() is not None:
                pytest.fail(f"the daemon ended (exit {daemon.returncode})")
        assert status.get("running"), status
        code, html = _get(base + "/")
        assert code == 200
        assert "no nudges yet · just started</li>" in html, html
        assert "up 0 s" not in html and " s</li>" not in html
        assert status["detail"] == ["not calibrated yet · no nudges yet · just started"]
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        os.killpg(daemon.pid, signal.SIGTERM)
        proc.wait(10)
        daemon.wait(10)


def test_the_pages_say_where_the_simulators_history_is_after_a_diary_entry(
        tmp_path: Path) -> None:
    """The README: while the daemon watches the simulator its history is kept apart, and "the
    pages then say where". They did only while no history of your own existed: one diary
    entry (the Diary page's form, or `sitwatch log`) made one, and Today said "No sitting
    recorded" with no word of where the sitting was."""
    sys.path.insert(0, str(ROOT))
    from datetime import datetime

    from sitwatch.core.clock import ManualClock
    from sitwatch.history.store import Store
    from tests.helpers.history import TZ, Sitter

    kept = tmp_path / "data" / "sitwatch" / "simulated" / "history.sqlite"
    kept.parent.mkdir(parents=True)
    clock = ManualClock(datetime(2026, 11, 23, 8, tzinfo=TZ))
    with Store(kept, clock) as store:  # what `sitwatch run` kept while watching the simulator
        sitter = Sitter(store, clock)
        sitter.at(clock.now().date(), 9)
        sitter.sit(50)
        store.end_run()
    logged = subprocess.run([sys.executable, "-m", "sitwatch", "log", "ache", "--no-user-config"],
                            capture_output=True, text=True, env=_env(tmp_path), timeout=60)
    assert logged.returncode == 0, logged.stderr
    real = tmp_path / "data" / "sitwatch" / "history.sqlite"
    proc, base = _served(tmp_path)
    try:
        for page in ("/today", "/week", "/month"):
            code, html = _get(base + page)
            assert code == 200, (page, html[-600:])
            assert f"sitwatch serve --history {kept}" in html, (page, html[-1500:])
        with Store(real, ManualClock(datetime(2026, 11, 24, 9, tzinfo=TZ))) as store:
            store.begin_run("smartchair-12", "/dev/ttyACM0")  # a seat of your own, watched
            store.end_run()
        code, html = _get(base + "/today")
        assert code == 200 and "simulator" not in html, html[-1500:]
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)


def test_today_watched_with_nobody_sitting_says_so(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The Today page of a day sitwatch watched an empty seat: it said "Posture upright 0%,
    slouched 0% ..."; now it says that nobody sat and for how long the seat was watched."""
    from datetime import datetime

    from sitwatch.core.clock import ManualClock
    from sitwatch.history.store import Store
    from tests.helpers.history import TZ, Sitter

    monkeypatch.setenv("TZ", "Europe/Berlin")  # the server's today is the history's
    midnight = datetime.now(TZ).replace(hour=0, minute=0, second=0, microsecond=0)
    db = tmp_path / "history.sqlite"
    clock = ManualClock(midnight)
    with Store(db, clock) as store:
        sitter = Sitter(store, clock)
        sitter.at(midnight.date(), 0, 5)
        sitter.away(45)
        store.end_run()
    proc, base = _served(tmp_path, "--history", str(db))
    try:
        code, html = _get(base + "/today")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)
    assert code == 200, html[-1500:]
    assert "No sitting recorded today: sitwatch watched an empty seat for 45 min." in html, \
        html[-2000:]
    assert "0%" not in html and "Posture" not in html


def test_today_with_a_nudge_and_no_watched_time_lists_it(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The Today page of a history holding a nudge but no minute of today (its minutes lost,
    or a nudge with no sitting sample): it said "No sitting recorded today yet" and dropped
    the nudge; now it lists the nudge and when it came."""
    from datetime import datetime

    from sitwatch.core.clock import ManualClock
    from sitwatch.history.store import Store
    from tests.helpers.history import TZ, Sitter

    monkeypatch.setenv("TZ", "Europe/Berlin")  # the server's today is the history's
    midnight = datetime.now(TZ).replace(hour=0, minute=0, second=0, microsecond=0)
    db = tmp_path / "history.sqlite"
    clock = ManualClock(midnight)
    with Store(db, clock) as store:
        sitter = Sitter(store, clock)
        sitter.at(midnight.date(), 0, 5)
        sitter.nudge("time_to_move", responded=False)
        store.end_run()
    proc, base = _served(tmp_path, "--history", str(db))
    try:
        code, html = _get(base + "/today")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)
    assert code == 200, html[-1500:]
    assert "No sitting recorded today: the history holds no time sitwatch watched" in html, \
        html[-2000:]
    assert "acted on 0 of 1: time to move 1" in html and "00:05 time to move" in html, \
        html[-2000:]
