"""Everything sitwatch writes about a person is owner-only (0600 files, 0700 folders), even
under the usual umask 022: the history and the -wal/-shm files SQLite puts beside it (whether a
reader such as `sitwatch report` makes them first or the daemon does), the status file, a
calibration profile, the diary, exports, reports, recordings, the web app's token, the pose
model, the companion's lock, and any folder sitwatch makes on the way. Every command runs as a
user runs it, in a scratch home; `model fetch` left the data dir 0755 with a 0644 model in it,
and `companion` its lock 0644."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import stat
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_history_faults_e2e import Lines
from tests.helpers.servers import RecordingServer
from tests.helpers.virtual_cushion import start_cushion

pytestmark = pytest.mark.integration

XDG = {"XDG_CONFIG_HOME": "config", "XDG_DATA_HOME": "data", "XDG_STATE_HOME": "state",
       "XDG_CACHE_HOME": "cache", "XDG_RUNTIME_DIR": "run"}


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The umask most desktops start with (files 0644, folders 0755 unless asked otherwise);
    the commands below inherit it."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    env.update({"HOME": str(home), "PYTHONUNBUFFERED": "1", "SITWATCH_INSTANCE": "user"})
    for var, sub in XDG.items():
        d = home / sub
        d.mkdir(exist_ok=True)  # the user's own folders, 0755 as usual (0700 for the runtime)
        d.chmod(0o700 if var == "XDG_RUNTIME_DIR" else 0o755)
        env[var] = str(d)
    return env


def _sitwatch(env: dict[str, str], *argv: str, ok: tuple[int, ...] = (0,)) -> str:
    proc = subprocess.run([sys.executable, "-m", "sitwatch", *argv, "--no-user-config"],
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode in ok, (argv, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.stdout


def _readable_by_others(*roots: Path) -> list[str]:
    """Every file or folder under ``roots`` (not the roots themselves) that group or others
    may read, write or enter, with its mode."""
    found = []
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            for name in dirnames + filenames:
                p = Path(dirpath, name)
                mode = p.lstat().st_mode
                if name.endswith((".task", ".task.sha256")):  # the public pose model
                    continue
                if not stat.S_ISLNK(mode) and mode & 0o077:
                    found.append(f"{oct(mode & 0o777)} {p.relative_to(root.parent)}")
    return sorted(found)


class Daemon:
    """`sitwatch run` on the virtual cushion at ``link``, its history in the data dir."""

    def __init__(self, env: dict[str, str], cfg: Path, link: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sitwatch", "run", "--no-user-config", "--config", str(cfg),
             "--port", str(link), "--layout", "smartchair-12", "--headless", "--json"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        self.events = Lines(self.proc)

    def until(self, event: str, seconds: float = 60) -> None:
        assert self.events.until(lambda g: any(e["event"] == event for e in g), seconds), \
            self.events.got[-5:]

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.events.until(lambda g: False, 1)
        assert self.proc.wait(20) == 0
        err = self.proc.stderr.read().decode()  # type: ignore[union-attr]
        assert "Traceback" not in err, err

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)


def _serve_pages(env: dict[str, str], db: Path, *pages: str) -> None:
    """`sitwatch serve --lan` (so it keeps its token), each page fetched once."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "sitwatch", "serve", "--no-user-config", "--port", "0", "--lan",
         "--history", str(db)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True)
    try:
        assert proc.stdout is not None
        line = ""
        for line in proc.stdout:  # the address line comes first, then the LAN one
            if "serving on http://" in line:
                break
        port = int(line.split("serving on http://", 1)[1].split(":", 1)[1].split("/")[0])
        token = (Path(env["XDG_DATA_HOME"]) / "sitwatch" / "web-token").read_text().strip()
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        for page in pages:  # the token is swapped for a cookie
            url = f"http://127.0.0.1:{port}{page}?token={token}"
            with browser.open(url, timeout=30) as r:
                assert r.status == 200, page
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)


def _companion(env: dict[str, str], cfg: Path) -> None:
    """`sitwatch companion` until it has taken its lock and looks for its broker (none)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "sitwatch", "--no-user-config", "--config", str(cfg),
         "companion"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        start_new_session=True)
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            if "cannot reach the MQTT broker" in line:
                break
        else:
            pytest.fail(f"the companion ended (exit {proc.wait()})")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)


def _readers(env: dict[str, str], db: Path, out: Path) -> None:
    """What a person does with the history: reports, exports, status, the web app."""
    h = ("--history", str(db))
    _sitwatch(env, "report", *h)
    _sitwatch(env, "report", "--week", "--html", str(out / "pages" / "week.html"), *h)
    _sitwatch(env, "report", "--month", "--format", "html", "-o", str(out / "pages" / "m.html"),
              *h)
    _sitwatch(env, "export", "--since", "2020-01-01", "--csv", "-o", str(out / "csv" / "mine"),
              *h)
    _sitwatch(env, "export", "--since", "2020-01-01", "--json", "-o", str(out / "all.json"), *h)
    json.loads(_sitwatch(env, "status", "--json", ok=(0, 3)))  # 3: the daemon is not running
    _serve_pages(env, db, "/today", "/week", "/diary", "/api/status")


def test_every_file_about_the_sitter_is_owner_only_under_umask_022(
        tmp_path: Path, umask_022: None, http_server: RecordingServer) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = _env(home)
    out = tmp_path / "out"  # where the person asks for exports and pages
    cfg = tmp_path / "fast.toml"
    cfg.write_text("[detect]\nsit_limit = 20\n"
                   "[detect.occupancy]\nenter_dwell = 0.3\nexit_dwell = 0.3\n")
    # what the daemon learns from the simulator is kept apart (sitwatch run says so)
    db = home / "data" / "sitwatch" / "simulated" / "history.sqlite"
    wal, shm = (db.with_name(db.name + s) for s in ("-wal", "-shm"))
    link = tmp_path / "cushion"
    sim = start_cushion(env, link, speed=30)
    daemon: Daemon | None = None
    try:
        # a camera user's first step: the pose model into the data dir (a stand-in .task:
        # a zip signature and the checksum it is fetched against)
        model = tmp_path / "pose.task"
        model.write_bytes(b"PK\x03\x04 a stand-in pose model")
        _sitwatch(env, "model", "fetch", "--url", model.as_uri(),
                  "--sha256", hashlib.sha256(model.read_bytes()).hexdigest())
        assert _readable_by_others(home / "data") == []  # its folder too, before any other
        # the model itself is public (nothing about anyone): a service account may read one
        # an administrator fetched
        fetched = home / "data" / "sitwatch" / "pose_landmarker_full.task"
        assert fetched.stat().st_mode & 0o777 == 0o644
        assert fetched.parent.stat().st_mode & 0o777 == 0o700
        _sitwatch(env, "config", "init")
        # the daemon first: it makes the history, -wal and -shm
        daemon = Daemon(env, cfg, link)
        daemon.until("nudge")
        _readers(env, db, out)  # while it writes
        daemon.stop()
        # a reader first: with the daemon stopped and its -wal/-shm gone, report makes them
        for side in (wal, shm):
            side.unlink(missing_ok=True)
        _sitwatch(env, "report", "--history", str(db))
        assert wal.exists() or shm.exists(), "report made no -wal/-shm to check"
        assert _readable_by_others(db.parent) == []
        _sitwatch(env, "log", "numbness", "--where", "thigh", "--side", "left", "--severity", "3",
                  "--history", str(db))
        _readers(env, db, out)
        # then the daemon again, writing into what the readers made
        daemon = Daemon(env, cfg, link)
        daemon.until("occupancy")
        _sitwatch(env, "report", "--history", str(db))
        daemon.stop()
        _sitwatch(env, "record", "--port", str(link), "--layout", "smartchair-12",
                  "--duration", "1", "-o", str(out / "cushion.rec"))
        # a profile from a recording of the virtual sitter (empty, then upright)
        _sitwatch(env, "simulate", "--script", "demo", "--duration", "160", "--speed", "0",
                  "-o", str(out / "sim.rec"))
        _sitwatch(env, "calibrate", "--layout", "smartchair-12", "--recording",
                  str(out / "sim.rec"), "--empty", "2:28", "--upright", "60:150")
        # (the simulator's profile: the recording says it came from the simulator)
        assert (home / "data/sitwatch/simulated/calibration-smartchair-12.json").is_file()
        # the weekly timer's second step: the page and the week's text to a service
        weekly = tmp_path / "weekly.toml"
        weekly.write_text("[nudges.push]\nreport_urls = "
                          f'["json://127.0.0.1:{http_server.port}/weekly"]\n')
        _sitwatch(env, "report-send", "--config", str(weekly), "--history", str(db),
                  str(out / "pages" / "week.html"))
        http_server.wait(1)
        nobroker = tmp_path / "nobroker.toml"
        nobroker.write_text('[mqtt]\nhost = "127.0.0.1"\nport = 1\n')  # refused at once
        _companion(env, nobroker)
    finally:
        if daemon is not None:
            daemon.kill()
        os.killpg(sim.pid, signal.SIGTERM)
        sim.wait(10)
    assert db.is_file()
    written = [home / sub for sub in XDG.values()] + [out]
    assert _readable_by_others(*written) == []
    assert {p.name for p in out.rglob("*") if p.is_file()} >= {
        "week.html", "m.html", "all.json", "mine-minutes.csv", "cushion.rec", "sim.rec"}


def _modes(db: Path) -> dict[str, str]:
    """The mode of the history and of each -wal/-shm beside it."""
    return {p.name: oct(p.stat().st_mode & 0o777)
            for p in (db, *(db.with_name(db.name + s) for s in ("-wal", "-shm"))) if p.exists()}


def _left_by_an_older_sitwatch(db: Path, version: int, sidecars: bool) -> None:
    """A history an older sitwatch made under umask 022 (0644: it created it with SQLite's
    defaults), of schema ``version``; ``sidecars``: a reader of that sitwatch has left its -wal
    and -shm beside it, 0644 too."""
    import sqlite3
    from datetime import date

    from tests.helpers.history import older_history

    db.parent.mkdir(parents=True)
    older_history(db, date(2026, 3, 4), version)
    if sidecars:
        sqlite3.connect(f"file:{db}?mode=ro", uri=True).execute(
            "SELECT count(*) FROM minutes").fetchone()  # a reader leaves -wal and -shm
    assert set(_modes(db).values()) == {"0o644"}, _modes(db)
    assert len(_modes(db)) == (3 if sidecars else 1)


@pytest.mark.parametrize("older_schema", [False, True], ids=["this-schema", "older-schema"])
@pytest.mark.parametrize("sidecars", [False, True], ids=["alone", "with-wal-shm"])
def test_a_reader_tightens_a_history_an_older_sitwatch_left_0644(
        tmp_path: Path, umask_022: None, older_schema: bool, sidecars: bool) -> None:
    """`sitwatch report` opened it as it was and made -wal/-shm 0644 beside it (SQLite gives
    them the file's mode); only the daemon tightened them, when it next started."""
    from sitwatch.history.schema import SCHEMA_VERSION

    home = tmp_path / "home"
    home.mkdir()
    env = _env(home)
    db = home / "data" / "sitwatch" / "history.sqlite"
    _left_by_an_older_sitwatch(db, SCHEMA_VERSION - older_schema, sidecars)
    assert "Sitting" in _sitwatch(env, "report", "--day", "2026-03-04", "--history", str(db))
    modes = _modes(db)
    assert len(modes) == 3, modes  # the reader made its -wal and -shm, or kept them
    assert set(modes.values()) == {"0o600"}, modes


@pytest.mark.parametrize("argv", [
    ("export", "--since", "2026-03-04", "--json", "-o", "{out}"),
    ("doctor", "--headless", "--config", "{cfg}"),
], ids=["export", "doctor"])
def test_other_readers_tighten_it_too(tmp_path: Path, umask_022: None, argv: tuple[str, ...]
                                      ) -> None:
    from sitwatch.history.schema import SCHEMA_VERSION

    home = tmp_path / "home"
    home.mkdir()
    env = _env(home)
    db = home / "data" / "sitwatch" / "history.sqlite"
    _left_by_an_older_sitwatch(db, SCHEMA_VERSION, sidecars=False)
    cfg = tmp_path / "sitwatch.toml"
    cfg.write_text(f'[history]\ndatabase = "{db}"\n')
    args = [a.format(out=tmp_path / "all.json", cfg=cfg) for a in argv]
    _sitwatch(env, *args, *(("--history", str(db)) if argv[0] == "export" else ()),
              ok=(0, 1))  # doctor: 1, no cushion on this machine
    modes = _modes(db)
    assert len(modes) == 3 and set(modes.values()) == {"0o600"}, modes


@pytest.mark.parametrize("older_schema", [False, True], ids=["this-schema", "older-schema"])
def test_the_web_app_tightens_a_history_an_older_sitwatch_left_0644(
        tmp_path: Path, umask_022: None, older_schema: bool) -> None:
    from sitwatch.history.schema import SCHEMA_VERSION

    home = tmp_path / "home"
    home.mkdir()
    env = _env(home)
    db = home / "data" / "sitwatch" / "history.sqlite"
    _left_by_an_older_sitwatch(db, SCHEMA_VERSION - older_schema, sidecars=False)
    _serve_pages(env, db, "/today", "/week")
    modes = _modes(db)
    assert len(modes) == 3 and set(modes.values()) == {"0o600"}, modes


def test_a_history_of_another_account_is_left_as_it_is(tmp_path: Path, umask_022: None) -> None:
    """Readable by the reader, owned by someone else (the demo's as root, say): its mode is
    theirs to keep."""
    if os.geteuid() != 0:
        pytest.skip("needs root, to give the file to another account")
    from sitwatch.history.schema import SCHEMA_VERSION

    home = tmp_path / "home"
    home.mkdir()
    env = _env(home)
    db = home / "data" / "sitwatch" / "history.sqlite"
    _left_by_an_older_sitwatch(db, SCHEMA_VERSION, sidecars=True)
    for p in (db, *(db.with_name(db.name + s) for s in ("-wal", "-shm"))):
        os.chown(p, 65534, 65534)  # nobody's
    _sitwatch(env, "report", "--day", "2026-03-04", "--history", str(db))
    assert set(_modes(db).values()) == {"0o644"}, _modes(db)
