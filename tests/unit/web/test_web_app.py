"""The web app through Starlette's test client: pages, the status endpoint, the token, the
diary form's guards and redaction. The browser tests (tests/integration/test_web_browser.py)
drive the real `sitwatch serve`."""

from __future__ import annotations

import json
import warnings
from datetime import datetime
from pathlib import Path

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

with warnings.catch_warnings():  # starlette 1.x prefers httpx2 for its test client
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from sitwatch.config import Config
from sitwatch.core.clock import ManualClock
from sitwatch.history.diary import entries_between
from sitwatch.history.store import Store
from sitwatch.web.app import COOKIE, Settings, create_app
from sitwatch.web.token import load_or_create
from tests.helpers.history import TZ, Sitter

NOW = datetime(2026, 2, 4, 12, 0, tzinfo=TZ)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    clock = ManualClock(datetime(2026, 2, 4, 8, 0, tzinfo=TZ), monotonic=0.0)
    db = tmp_path / "history.sqlite"
    s = Store(db, clock)
    p = Sitter(s, clock)
    p.at(NOW.date(), 9)
    p.sit(75)
    s.close()
    clock.advance((NOW - clock.now()).total_seconds())
    cfg = Config.model_validate({
        "mqtt": {"password": "hunter2-secret"},
        "nudges": {"push": {"urls": ["ntfys://tok_abc123@ntfy.sh/x"],
                            "report_urls": ["mailtos://alice:SuperSecretPass@mail.example.com"]}},
        "camera": {"device": "rtsp://cam:CamSecret9@192.168.1.20/stream"}})
    return Settings(cfg=cfg, history=db, status=tmp_path / "status.json", tz=TZ, clock=clock)


def client(s: Settings) -> TestClient:
    return TestClient(create_app(s), base_url="http://127.0.0.1:8765")


def test_pages_render(settings: Settings) -> None:
    c = client(settings)
    for path, needle in (("/", "sitwatch is not running"), ("/today", "1 h 15 min"),
                         ("/week", "Your days, minute by minute"), ("/weeks", "Past weeks"),
                         ("/diary", "How do you feel?"), ("/settings", "[web]")):
        r = c.get(path)
        assert r.status_code == 200, path
        assert needle in r.text, path
        assert "default-src 'none'" in r.headers["content-security-policy"]
        assert "http://" not in r.text.replace("http://127.0.0.1", ""), path
        assert "https://" not in r.text, path


def test_settings_hide_secrets(settings: Settings) -> None:
    text = client(settings).get("/settings").text
    assert "hunter2-secret" not in text and "tok_abc123" not in text
    assert "SuperSecretPass" not in text and "CamSecret9" not in text
    assert 'password = &#34;(hidden)&#34;' in text or 'password = "(hidden)"' in text
    assert "ntfys://(hidden)" in text and "mailtos://(hidden)" in text
    assert "rtsp://cam:(hidden)@192.168.1.20/stream" in text
    # it shows the values in force, not the sample's defaults
    assert "The sitwatch configuration in force" in text and "with its default" not in text


def test_settings_say_where_they_come_from(settings: Settings) -> None:
    """"Change them in your config file" named no file; without one, say so and where
    `sitwatch config init` writes it."""
    import dataclasses

    text = client(settings).get("/settings").text
    assert "There is no config file, so these are the defaults" in text
    assert "~/.config/sitwatch/sitwatch.toml" in text
    mine = dataclasses.replace(settings, config_file="/etc/sitwatch/mine.toml")
    text = client(mine).get("/settings").text
    assert "They come from <code>/etc/sitwatch/mine.toml</code>" in text
    assert "no config file" not in text


def test_status_endpoint_follows_the_file(settings: Settings) -> None:
    import os

    c = client(settings)
    assert c.get("/api/status").json()["state"] == "off"
    settings.status.write_text(json.dumps({
        "version": 1, "pid": os.getpid(), "started": NOW.isoformat(), "updated": NOW.isoformat(),
        "occupancy": "occupied", "spell_seconds": 1500.0, "sit_limit": 2700.0,
        "posture": "upright", "balance": "balanced", "sensor": {"online": True}}))
    d = c.get("/api/status").json()
    assert d["running"] and d["state"] == "sitting"
    assert d["headline"].startswith("Occupied — sitting for 25 min")
    # the daemon's process id is for a terminal: not on the page, nor in what it polls
    assert f"pid {os.getpid()}" not in json.dumps(d) and "pid" not in c.get("/").text
    assert d["detail"][-1].endswith("no nudges yet · just started"), d["detail"]


def test_diary_form_round_trip_and_red_flag(settings: Settings) -> None:
    c = client(settings)
    page = c.get("/diary").text
    key = page.split('name="form_key" value="', 1)[1].split('"', 1)[0]
    r = c.post("/diary", data={"form_key": key, "kind": "numbness", "area": "saddle",
                               "side": "both", "severity": "6", "note": "after the drive",
                               "also": "bladder"},
               headers={"Origin": "http://127.0.0.1:8765"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/diary?saved=")
    shown = c.get(r.headers["location"]).text
    assert 'id="seek-care"' in shown and "Please get medical care now" in shown
    assert "numbness in the saddle area" in shown and "bladder or bowel control" in shown
    assert "longest unbroken sitting 15 min" in shown  # 9:00-10:15, two hours before 12:00
    store = Store(settings.history, settings.clock, readonly=True)
    try:
        (e,) = entries_between(store, NOW.replace(hour=0), NOW.replace(hour=23))
    finally:
        store.close()
    assert (e.kind, e.area, e.side, e.severity, e.note, e.source) == (
        "numbness", "saddle", "both", 6, "after the drive", "web")


def test_a_diary_form_sent_twice_saves_one_entry(settings: Settings) -> None:
    """A double click on "Save entry" (or the browser sending the form again) saved two
    entries 8 ms apart, which then counted twice towards the diary's pattern. The same form
    sent again shows the entry it saved; a new page's form saves a new one."""
    c = client(settings)

    def form() -> dict[str, str]:
        page = c.get("/diary").text
        key = page.split('name="form_key" value="', 1)[1].split('"', 1)[0]
        fid = page.split('name="form_id" value="', 1)[1].split('"', 1)[0]
        return {"form_key": key, "form_id": fid, "kind": "ache", "area": "buttock"}

    first = form()
    r1 = c.post("/diary", data=first, follow_redirects=False)
    r2 = c.post("/diary", data=first, follow_redirects=False)
    assert r1.status_code == r2.status_code == 303
    assert r1.headers["location"] == r2.headers["location"]
    r3 = c.post("/diary", data=form(), follow_redirects=False)
    assert r3.status_code == 303 and r3.headers["location"] != r1.headers["location"]
    store = Store(settings.history, settings.clock, readonly=True)
    try:
        assert len(entries_between(store, NOW.replace(hour=0), NOW.replace(hour=23))) == 2
    finally:
        store.close()


def test_diary_form_guards(settings: Settings) -> None:
    c = client(settings)
    key = c.get("/diary").text.split('name="form_key" value="', 1)[1].split('"', 1)[0]
    good = {"form_key": key, "kind": "ache"}
    # Another site's page posting here.
    r = c.post("/diary", data=good, headers={"Origin": "http://evil.example"})
    assert r.status_code == 403
    # a key from before the server last started (or a guess): nothing saved, and what was
    # typed comes back to send again (a restarted server used to answer a bare 403)
    r = c.post("/diary", data={**good, "form_key": "guess", "note": "after the long call"})
    assert r.status_code == 409 and "send it again" in r.text
    assert 'value="after the long call"' in r.text and key in r.text
    r = c.post("/diary", data={**good, "severity": "12"})
    assert r.status_code == 400 and "from 1 to 10" in r.text
    r = c.post("/diary", data={**good, "kind": "itch"})
    assert r.status_code == 400 and "choose what you felt from the list" in r.text
    # each field that cannot be used is named (a bad side was called a bad severity)
    for field, value, says in (("side", "up", "choose the side from the list"),
                               ("area", "elbow", "choose where from the list"),
                               ("also", "hiccups", "choose what else you noticed"),
                               ("severity", "\u0665", "as a number from 1 to 10")):
        r = c.post("/diary", data={**good, field: value})
        assert r.status_code == 400 and says in r.text, (field, r.text[-400:])
    r = c.post("/diary", data={**good, "note": "x" * 501})
    assert r.status_code == 400 and "keep it to 500 at most" in r.text
    store = Store(settings.history, settings.clock, readonly=True)
    try:
        assert entries_between(store, NOW.replace(hour=0), NOW.replace(hour=23)) == []
    finally:
        store.close()


def test_token_gate(settings: Settings, tmp_path: Path) -> None:
    token = load_or_create(tmp_path / "data" / "web-token")
    assert (tmp_path / "data" / "web-token").stat().st_mode & 0o777 == 0o600
    assert load_or_create(tmp_path / "data" / "web-token") == token  # made once
    settings.token = token
    c = client(settings)
    for path in ("/", "/api/status", "/diary", "/settings", "/static/style.css"):
        r = c.get(path)
        assert r.status_code == 401 and r.text == "401 Unauthorized", path
    assert c.get("/", params={"token": "x" * 32}).status_code == 401
    assert c.get("/", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    r = c.get("/today", params={"token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/today"
    assert f"{COOKIE}={token}" in r.headers["set-cookie"]
    assert "httponly" in r.headers["set-cookie"].lower()
    assert "samesite=strict" in r.headers["set-cookie"].lower()
    c.cookies.set(COOKIE, token)
    assert c.get("/today").status_code == 200
    # A write needs the token too.
    fresh = client(settings)
    assert fresh.post("/diary", data={"kind": "ache"}).status_code == 401
    assert load_or_create(tmp_path / "data" / "web-token", renew=True) != token


def test_month_pages(settings: Settings) -> None:
    """/month is this month, /month/YYYY-MM any other; a bad name is a 404 that says how to
    write one; /weeks carries the 12-week heatmap."""
    c = client(settings)
    r = c.get("/month")
    assert r.status_code == 200
    assert "<h1>February 2026</h1>" in r.text and 'aria-current="page">Month<' in r.text
    assert 'id="stat-sitting">1 h 15 min<' in r.text and 'id="stat-debt">30 min<' in r.text
    assert 'href="/month/2026-01"' in r.text and 'href="/week/2026-02-08"' in r.text
    assert "http://" not in r.text.replace("http://127.0.0.1", "") and "https://" not in r.text
    assert 'href="/month/2026-01"' in c.get("/month/2026-02").text
    jan = c.get("/month/2026-01")
    assert jan.status_code == 200 and 'id="no-data"' in jan.text
    bad = c.get("/month/2026-13")
    assert bad.status_code == 404 and "write YYYY-MM" in bad.text
    weeks = c.get("/weeks").text
    assert 'id="heatmap"' in weeks and weeks.count("<rect") == 84
    assert "Wed 4 Feb: 1 h 15 min seated" in weeks


def test_month_needs_the_token_in_lan_mode(settings: Settings) -> None:
    settings.token = "t0ken-for-the-lan"
    c = client(settings)
    assert c.get("/month").status_code == 401
    assert c.get("/month/2026-02").text == "401 Unauthorized"
    ok = c.get("/month", headers={"Authorization": "Bearer t0ken-for-the-lan"})
    assert ok.status_code == 200 and "February 2026" in ok.text


def test_a_note_counts_characters_as_the_form_does(settings: Settings) -> None:
    """300 accented letters typed as a letter and a combining mark are 300 characters in the
    form (maxlength) and were 600 to the server, which refused them."""
    c = client(settings)
    key = c.get("/diary").text.split('name="form_key" value="', 1)[1].split('"', 1)[0]
    note = "e\u0301" * 300
    r = c.post("/diary", data={"form_key": key, "kind": "ache", "note": note},
               follow_redirects=False)
    assert r.status_code == 303, r.text[-400:]


def test_the_live_page_shows_commands_as_words(settings: Settings) -> None:
    """The status file's hint for a terminal ("Start it with `sitwatch run` ...") showed its
    backticks on the page."""
    d = client(settings).get("/api/status").json()
    text = " ".join([d["headline"], *d["detail"]])
    assert "`" not in text and "\u201csitwatch run\u201d" in text


def test_this_week_is_the_calendar_week_past_weeks_lists(settings: Settings) -> None:
    """On a Wednesday, "This week" was Thursday to Wednesday: seven days overlapping two of
    the Monday-to-Sunday weeks that "Past weeks" lists, with the current one out of reach."""
    c = client(settings)
    html = c.get("/week").text  # NOW is Wednesday 4 February 2026
    assert "Mon 2 – Sun 8 February 2026" in html, html[:2000]
    assert c.get("/week/2026-02-08").text.count("Mon 2 – Sun 8 February 2026") >= 1
    past = c.get("/weeks").text
    assert "/week/2026-02-04" not in past  # it lists whole weeks, the last one over


def test_on_the_lan_the_settings_write_the_home_directory_as_a_tilde(
        settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The LAN pages showed /home/alice/.local/share/sitwatch/history.sqlite: the user's name
    to any device with the token. There the home is "~"; this computer's own view (loopback, no
    token) keeps the whole path, to copy into a terminal."""
    home = tmp_path / "home" / "alice"
    monkeypatch.setenv("HOME", str(home))
    settings.history = home / ".local" / "share" / "sitwatch" / "history.sqlite"
    settings.status = home / ".sitwatch-status.json"
    settings.cfg = settings.cfg.model_copy(update={"calibration": settings.cfg.calibration
                                                   .model_copy(update={"profile": str(
                                                       home / "cal" / "mine.json")})})
    mine = client(settings).get("/settings").text
    assert f"<code>{settings.history}</code>" in mine and str(settings.status) in mine
    settings.token = "t0ken-for-the-lan"
    c = client(settings)
    auth = {"Authorization": "Bearer t0ken-for-the-lan"}
    lan = c.get("/settings", headers=auth).text
    assert "<code>~/.local/share/sitwatch/history.sqlite</code>" in lan
    assert "<code>~/.sitwatch-status.json</code>" in lan
    assert "~/cal/mine.json" in lan  # a path in the config in force too
    assert "alice" not in lan and str(home) not in lan
    empty = c.get("/today", headers=auth).text  # no history yet: it says where it will be
    assert "~/.local/share/sitwatch/history.sqlite" in empty and "alice" not in empty


@pytest.mark.parametrize(("text", "shown"), [
    ("/home/alice/.local/share/sitwatch/history.sqlite",
     "~/.local/share/sitwatch/history.sqlite"),
    ("/home/alice", "~"),
    ('profile = "/home/alice/cal.json"', 'profile = "~/cal.json"'),
    ("/home/alicia/x", "/home/alicia/x"),  # another folder
    ("/mnt/home/alice/x", "/mnt/home/alice/x"),  # not the home, though it ends the same
    ("/var/lib/sitwatch/history.sqlite", "/var/lib/sitwatch/history.sqlite"),
])
def test_home_as_tilde(text: str, shown: str) -> None:
    from sitwatch.web.app import home_as_tilde

    assert home_as_tilde(text, "/home/alice") == shown
    assert home_as_tilde(text, "/") == text  # a home of / names nobody


def test_today_says_lopsided_of_the_time_the_cushion_saw(settings: Settings) -> None:
    """The day's "Weight on one side" is measured over the seated time the cushion saw: the
    time a camera stood in for it says nothing of the balance (it read "0 min")."""
    from sitwatch.core.kinds import Balance
    from tests.helpers.history import STANDING_IN

    clock = ManualClock(datetime(2026, 2, 4, 10, 30, tzinfo=TZ), monotonic=10_000.0)
    with Store(settings.history, clock) as s:
        p = Sitter(s, clock)
        p.at(NOW.date(), 10, 30)
        p.sit(10, balance=Balance.LEFT)
        p.sit(30, camera=STANDING_IN)
    text = client(settings).get("/today").text
    assert "1 h 55 min" in text  # 75 min on the cushion, then 40 more
    assert "10 min of the 1 h 25 min the cushion saw" in text, text
