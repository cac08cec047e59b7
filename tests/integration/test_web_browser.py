"""The web app as people meet it: the real ``sitwatch serve`` in a subprocess on a free port,
opened in real headless Chromium (driven over the DevTools pipe, tests/helpers/cdp.py) at a
desktop's and a phone's width. Screenshots go to the test's tmp folder
(``SITWATCH_KEEP_SCREENSHOTS=DIR`` keeps copies). Skips without /usr/bin/chromium."""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from calendar import monthrange
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.helpers.cdp import CHROMIUM, browser
from tests.helpers.report_text import rows_joined

pytestmark = pytest.mark.integration

if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
    pytest.skip("no /usr/bin/chromium: install Debian's chromium package to run the browser "
                "tests of the web app", allow_module_level=True)
pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

from tests.integration.test_report_browser import colours, read_png  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
DESKTOP = (1200, 900)
PHONE = (390, 844)
PAGES = ("/", "/today", "/week", "/weeks", "/month", "/diary", "/settings")


def _sitter(db: Path) -> tuple[Any, Any, Any, datetime]:
    """A history at ``db`` and a sitter who sits down 105 minutes ago (UTC): (the store, its
    clock, the sitter, when)."""
    from sitwatch.core.clock import ManualClock
    from sitwatch.history.store import Store
    from tests.helpers.history import Sitter

    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=105)
    clock = ManualClock(start, monotonic=0.0)
    store = Store(db, clock)
    p = Sitter(store, clock)
    p.at(start.date(), start.hour, start.minute, tz=UTC)
    return store, clock, p, start


def _history(db: Path) -> datetime:
    """75 minutes of sitting that ended 30 minutes ago, the last 20 lopsided."""
    from sitwatch.core.kinds import Balance, Posture

    s, _, p, start = _sitter(db)
    p.sit(55)
    p.sit(20, Posture.SLOUCHED, Balance.LEFT)
    s.close()
    return start


def near_noon() -> str:
    """A time zone in which it is now around noon (the server's TZ): the history's spell, 105
    minutes back, then lies in one local day, week and month whatever the hour CI runs at.
    Under UTC, just after midnight it straddled two days, and the month page's sitting debt
    read 19 min for 30 (each day counts its own part of a spell)."""
    h = 12 - datetime.now(UTC).hour  # -11 .. +12
    return "UTC" if h == 0 else f"Etc/GMT{'-' if h > 0 else '+'}{abs(h)}"  # POSIX signs


class Server:
    started: datetime
    day: date

    def __init__(self, tmp: Path, *extra: str, history: bool = True) -> None:
        """``history=False``: no ``--history``, the config's (the data dir's) is read."""
        self.tmp = tmp
        self.db = tmp / "history.sqlite"
        self.status = tmp / "status.json"
        cfg = tmp / "sitwatch.toml"
        cfg.write_text(f'[status]\nfile = "{self.status}"\n[mqtt]\npassword = "hunter2-x"\n',
                       encoding="utf-8")
        self.tz = near_noon()
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), "TZ": self.tz,
                    "XDG_DATA_HOME": str(tmp / "data"), "XDG_CONFIG_HOME": str(tmp / "cfg"),
                    "XDG_RUNTIME_DIR": str(tmp / "run")}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sitwatch", "serve", "--port", "0",
             *(["--history", str(self.db)] if history else []),
             "--config", str(cfg), "--no-user-config", *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=self.env,
            start_new_session=True)
        # A thread reads the output: select() on the pipe cannot see lines already buffered.
        self._lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        self.out = self._line()
        assert self.out.startswith("sitwatch: serving on http://127.0.0.1:"), self.out
        self.base = self.out.split("serving on ", 1)[1].strip().rstrip("/")

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line)
        self._lines.put("")

    def _line(self, timeout: float = 30.0) -> str:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            self.stop()
            pytest.fail("sitwatch serve printed nothing within 30 s")
        if not line:
            self.proc.wait(5)
            assert self.proc.stderr is not None
            pytest.fail(f"sitwatch serve exited: {self.proc.stderr.read()}")
        return line

    def more_output(self, lines: int) -> str:
        return "".join(self._line() for _ in range(lines))

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("web")
    started = _history(tmp / "history.sqlite")
    srv = Server(tmp)
    srv.started = started
    srv.day = started.astimezone(ZoneInfo(srv.tz)).date()  # the spell's day, where it is served
    assert srv.day == datetime.now(ZoneInfo(srv.tz)).date()
    try:
        yield srv
    finally:
        srv.stop()


def _keep(path: Path) -> None:
    keep = os.environ.get("SITWATCH_KEEP_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / path.name)


def _write_status(path: Path, **fields: Any) -> None:
    now = datetime.now(UTC).isoformat(timespec="seconds")
    d = {"version": 1, "pid": os.getpid(), "started": now, "updated": now, "occupancy": "empty",
         "spell_seconds": 0.0, "sit_limit": 2700.0, "posture": None, "balance": None,
         "sensor": {"online": True, "port": "/dev/ttyACM0", "frames": 10, "dropped": 0},
         "calibration": {"method": "auto", "at": now, "age": 0}, "nudges": {}}
    d.update(fields)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(d), encoding="utf-8")
    tmp.replace(path)


def test_every_page_renders_from_this_server_only(served: Server) -> None:
    with browser(served.tmp) as b:
        for width, height in (DESKTOP, PHONE):
            b.size(width, height, mobile=width < 600)
            for page in PAGES:
                b.requests.clear()
                b.open(served.base + page)
                text = b.text()
                assert "Traceback" not in text and "Internal Server Error" not in text, page
                assert "sitwatch" in text.lower()
                others = [u for u in b.requests
                          if not u.startswith(served.base) and not u.startswith("data:")]
                assert others == [], (page, others)
                # Nothing wider than the screen (the weekly charts scroll inside their cards).
                wide = b.js("document.documentElement.scrollWidth")
                assert wide <= width, (page, width, wide)
        b.size(*DESKTOP)
        b.open(served.base + "/week")
        week = b.text()
        assert "Your days, minute by minute" in week and "1 h 15 min" in week
        b.open(served.base + "/settings")
        settings = b.text()
        assert "[web]" in settings and "hunter2-x" not in settings and "(hidden)" in settings
        # which file to change: the one `sitwatch serve` read (it said "your config file")
        source = b.js("document.getElementById('config-source').textContent")
        assert f"They come from {served.tmp / 'sitwatch.toml'}: change them there" in source
        b.open(served.base + "/today")
        today = b.js("Array.from(document.querySelectorAll('.numbers div')).map(function (d) "
                     "{ return d.firstChild.textContent + '=' + d.lastChild.textContent; })")
        assert "Sitting=1 h 15 min" in today and "Weight on one side=20 min" in today


@pytest.mark.parametrize(("name", "size"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_screenshots(served: Server, name: str, size: tuple[int, int]) -> None:
    with browser(served.tmp) as b:
        b.size(*size, mobile=size[0] < 600)
        for page in ("/", "/diary", "/week", "/month"):
            b.open(served.base + page)
            shot = served.tmp / f"web-{name}-{page.strip('/') or 'live'}.png"
            w, h, rows = read_png(b.screenshot(shot))
            _keep(shot)
            assert (w, h) == size
            seen = colours(rows)
            assert len(seen) > 40, page  # text, cards and colours: not a blank page
            assert max(seen.values()) < 0.95 * w * h, page


def test_month_page_and_heatmap(served: Server) -> None:
    """The month view (issue #11): the month's numbers, a calendar cell per day, breaks by
    length and sitting debt (#13), the 12-week heatmap; at a phone's width nothing overflows.
    The history: 75 minutes in one spell ending 30 minutes ago, no break, limit 45 min."""
    day = served.day
    month = f"{day:%Y-%m}"
    with browser(served.tmp) as b:
        for width, height in (DESKTOP, PHONE):
            b.size(width, height, mobile=width < 600)
            b.requests.clear()
            b.open(f"{served.base}/month/{month}")
            text = b.text()
            assert "Traceback" not in text
            assert f"{day:%B %Y}" in b.js("document.querySelector('h1').textContent")
            assert b.js("document.getElementById('stat-sitting').textContent") == "1 h 15 min"
            assert b.js("document.getElementById('stat-breaks').textContent") == "0"
            # one spell of 75 min against the 45-minute limit: 30 min of sitting debt
            assert b.js("document.getElementById('stat-debt').textContent") == "30 min"
            cell = b.js(f"document.querySelector('table.cal td[data-day=\"{day}\"]').title")
            assert "1 h 15 min seated, 0 breaks, 30 min past the limit" in cell
            cells = b.js("document.querySelectorAll('table.cal td[data-day]').length")
            assert cells == monthrange(day.year, day.month)[1]
            square = b.js(f"document.querySelector('#heatmap rect[data-day=\"{day}\"]')"
                          ".textContent")
            assert "1 h 15 min seated" in square
            assert b.js("document.querySelectorAll('#heatmap rect').length") == 84
            assert b.js("document.documentElement.scrollWidth") <= width
            assert [u for u in b.requests if not u.startswith(served.base)
                    and not u.startswith("data:")] == []
        b.open(served.base + "/weeks")
        assert b.js("document.querySelectorAll('#heatmap rect').length") == 84
        b.open(served.base + "/month/2026-13")
        assert "not a month" in b.text()


def test_live_status_follows_the_status_file(served: Server) -> None:
    served.status.unlink(missing_ok=True)
    with browser(served.tmp) as b:
        b.open(served.base + "/")
        head = "document.getElementById('status-headline').textContent"
        assert "not running" in b.js(head)
        _write_status(served.status, occupancy="occupied", spell_seconds=1500.0,
                      posture="slouched", balance="balanced")
        b.wait_for(f"{head}.indexOf('Occupied — sitting for 25 min') >= 0", timeout=15)
        assert "posture slouched" in b.js(head)
        assert b.js("document.getElementById('live').dataset.state") == "posture"
        _write_status(served.status, occupancy="empty")
        b.wait_for(f"{head}.indexOf('Seat empty') >= 0", timeout=15)
        _write_status(served.status, stopped=datetime.now(UTC).isoformat())
        b.wait_for(f"{head}.indexOf('not running') >= 0", timeout=15)


def test_the_live_page_says_when_the_web_app_stops_answering(tmp_path: Path) -> None:
    """The Live page went on showing the last state, as if current, after `sitwatch serve`
    stopped. It said so where a screen reader did not hear it: now the words are in a live
    region, written once however many polls fail."""
    srv = Server(tmp_path)
    try:
        _write_status(srv.status, occupancy="occupied", spell_seconds=600.0, posture="upright",
                      balance="balanced")
        with browser(tmp_path) as b:
            b.open(srv.base + "/")
            updated = "document.getElementById('status-updated').textContent"
            b.wait_for(f"{updated}.indexOf('checked') >= 0", timeout=15)
            # a 24-hour clock, as every other time sitwatch shows (it said "1:20:46 AM")
            checked = b.js(updated)
            assert re.search(r"checked \d\d:\d\d:\d\d\)", checked), checked
            b.js("""(function () {
                window.written = 0;
                new MutationObserver(function (m) { window.written += m.length; }).observe(
                    document.getElementById('status-gone'), {subtree: true, childList: true,
                                                             characterData: true});
                return true; })()""")
            srv.stop()
            said = "document.getElementById('status-gone')"
            b.wait_for(f"{said}.textContent.indexOf('not answering') >= 0", timeout=15)
            gone = b.js(f"{said}.textContent")
            assert "`" not in gone and "\u201csitwatch serve\u201d" in gone, gone
            assert b.js(f"{said}.closest('[aria-live], [role=status], [role=alert]') "
                        "!== null")  # a screen reader hears it
            assert b.js("document.querySelector('#live p.sub').textContent") == (
                f"Updates by itself every few seconds{gone}.")  # in place of "checked"
            written = b.js("window.written")
            polls = "window.performance.getEntriesByName(location.origin + '/api/status')"
            asked = b.js(f"{polls}.length")
            b.wait_for(f"{polls}.length >= {asked} + 2", timeout=15)  # two more that fail
            assert b.js("window.written") == written  # heard once, not at every poll
            assert "Occupied" in b.js("document.getElementById('status-headline').textContent")
            assert b.js("document.getElementById('live').dataset.stale") == "true"
    finally:
        srv.stop()


def test_on_a_phone_nothing_runs_off_the_screen(tmp_path: Path) -> None:
    """A diary note of 500 letters without a space ran out of its card and made the whole page
    scroll sideways; the nudge chart's counts sat off-screen in a box that scrolled with no sign
    of it, then, fitted to the screen, were 4 px high."""
    from sitwatch.core.clock import SystemClock
    from sitwatch.core.kinds import NudgeKind, SymptomKind
    from sitwatch.history.diary import SymptomEntry, add_entry
    from sitwatch.history.store import Store

    _history(tmp_path / "history.sqlite")
    store = Store(tmp_path / "history.sqlite", SystemClock())
    try:
        add_entry(store.connection, SymptomEntry(at=datetime.now(UTC) - timedelta(minutes=20),
                                                 kind=SymptomKind("ache"), note="W" * 500,
                                                 source="cli"))
        from sitwatch.core.events import NUDGE, Event

        store.begin_run("smartchair-12", "test")
        for kind in (NudgeKind.PROLONGED_SITTING, NudgeKind.SLOUCH, NudgeKind.SLOUCH):
            store.add_event(Event(SystemClock().monotonic() - 1200, NUDGE, None,
                                  {"kind": str(kind)}))
        store.end_run()
    finally:
        store.close()
    srv = Server(tmp_path)
    try:
        with browser(tmp_path) as b:
            b.size(*PHONE, mobile=True)
            for page in ("/diary", "/week", "/today", "/settings"):  # settings: a long path
                b.open(srv.base + page)
                assert b.js("document.documentElement.scrollWidth") <= PHONE[0], page
            b.open(srv.base + "/settings")  # the configuration, every line of it in view
            assert b.js("document.querySelector('pre.config').scrollWidth") <= b.js(
                "document.querySelector('pre.config').clientWidth")
            b.open(srv.base + "/week")
            outside = b.js("Array.from(document.querySelectorAll('svg.chart'))"
                           ".filter(function (s) { return !s.closest('.scroll'); })"
                           ".filter(function (s) { return s.getBoundingClientRect().right > "
                           "window.innerWidth + 1; }).length")
            assert outside == 0
            assert b.js("document.querySelector('svg.chart.nudges') !== null")
            # and their words stay readable: the nudge chart, 940 wide, drew them 4 px high
            tiny = b.js("Array.from(document.querySelectorAll('svg.chart text'))"
                        ".filter(function (t) { return !t.closest('.scroll'); })"
                        ".filter(function (t) { return t.getBoundingClientRect().height < 9; })"
                        ".map(function (t) { return t.closest('svg').getAttribute('class') + "
                        "': ' + t.textContent; })")
            assert tiny == []
    finally:
        srv.stop()


def test_symptom_entry_round_trip_through_the_form(served: Server) -> None:
    from sitwatch.core.clock import SystemClock
    from sitwatch.history.diary import entries_between
    from sitwatch.history.store import Store

    with browser(served.tmp) as b:
        b.size(*PHONE, mobile=True)
        b.open(served.base + "/diary")
        b.js("""(function () {
            var f = document.querySelector('form.entry-form');
            f.kind.value = 'numbness'; f.area.value = 'saddle'; f.side.value = 'left';
            f.severity.value = '7'; f.note.value = 'after the long meeting';
            f.querySelector('input[value="leg_weakness"]').checked = true;
            f.querySelector('button').click(); return true; })()""")
        b.wait_for("location.search.indexOf('saved=') >= 0 && document.readyState == "
                   "'complete'")
        care = b.js("document.getElementById('seek-care').innerText")
        assert "Please get medical care now" in care
        assert "numbness in the saddle area" in care and "weakness in a leg" in care
        saved = b.js("document.getElementById('saved').innerText")
        assert "Numbness, left saddle area, 7/10 — with leg weakness" in saved
        assert "longest unbroken sitting 1 h 15 min" in saved
        assert "after the long meeting" in b.text()
        shot = served.tmp / "web-phone-diary-saved.png"
        read_png(b.screenshot(shot))
        _keep(shot)
    now = datetime.now(UTC)
    store = Store(served.db, SystemClock(), readonly=True)
    try:
        entries = entries_between(store, now - timedelta(minutes=10), now + timedelta(minutes=1))
    finally:
        store.close()
    assert [(e.kind, e.area, e.side, e.severity, e.source) for e in entries] == [
        ("numbness", "saddle", "left", 7, "web")]


def test_lan_mode_needs_the_token(tmp_path: Path) -> None:
    _history(tmp_path / "history.sqlite")
    srv = Server(tmp_path, "--lan")
    try:
        rest = srv.more_output(2)
        port = srv.base.rsplit(":", 1)[1]
        url = rest.split("\n")[1].strip()
        assert url.startswith("http://") and f":{port}/?token=" in url
        token = url.split("token=", 1)[1]
        token_file = tmp_path / "data" / "sitwatch" / "web-token"
        assert token_file.read_text().strip() == token
        assert token_file.stat().st_mode & 0o777 == 0o600
        qr = srv.more_output(5)
        assert "█" in qr or "▀" in qr or "▄" in qr  # the QR code, drawn in the terminal
        local = f"http://127.0.0.1:{port}"
        for path in (*PAGES, "/api/status", "/static/style.css"):
            with pytest.raises(urllib.error.HTTPError) as e:
                urllib.request.urlopen(local + path, timeout=10)
            assert e.value.code == 401
            assert e.value.read() == b"401 Unauthorized"
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(urllib.request.Request(
                local + "/diary", data=b"kind=ache", method="POST"), timeout=10)
        assert e.value.code == 401
        with browser(tmp_path) as b:
            b.open(local + "/diary")
            assert b.text().strip() == "401 Unauthorized"
            b.open(f"{local}/?token={token}")
            assert b.js("location.search") == ""  # the token left the address bar
            assert "Right now" in b.text()
            b.open(local + "/diary")  # the cookie carries on
            assert "How do you feel?" in b.text()
    finally:
        srv.stop()


def test_the_request_check_sees_a_page_that_calls_out(served: Server) -> None:
    """The check above would fail for a page with an outside font or image."""
    with browser(served.tmp) as b:
        b.open("data:text/html,<link rel=stylesheet href='https://fonts.example/a.css'>"
               "<img src='http://cdn.example/x.png'>")
        assert "https://fonts.example/a.css" in b.requests
        assert "http://cdn.example/x.png" in b.requests


def test_a_rebinding_site_is_not_answered(tmp_path: Path) -> None:
    """Without a token the pages answer anyone who reaches 127.0.0.1. A site whose name was
    made to point there (DNS rebinding) sends its own name as Host, and its Origin agrees:
    `sitwatch serve` answered it, history and diary, and stored its diary entry. Only
    loopback names are answered now; this computer's browser is unaffected."""
    import http.client
    from urllib.parse import urlsplit

    srv = Server(tmp_path)
    port = urlsplit(srv.base).port
    try:
        def ask(method: str, path: str, host: str, body: str = "") -> tuple[int, str]:
            con = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            con.request(method, path, body=body or None, headers={
                "Host": host, "Origin": f"http://{host}",
                "Content-Type": "application/x-www-form-urlencoded"})
            r = con.getresponse()
            text = r.read().decode()
            con.close()
            return r.status, text

        status, page = ask("GET", "/diary", f"127.0.0.1:{port}")
        assert status == 200
        key = page.split('name="form_key" value="', 1)[1].split('"', 1)[0]
        for path in ("/today", "/api/status", "/diary"):
            assert ask("GET", path, f"evil.example:{port}")[0] == 421, path
        status, _ = ask("POST", "/diary", f"evil.example:{port}",
                        f"form_key={key}&kind=ache&note=rebinding")
        assert status == 421
        assert ask("GET", "/today", f"localhost:{port}")[0] == 200
        assert ask("GET", "/today", f"[::1]:{port}")[0] == 200
    finally:
        srv.stop()
    if srv.db.exists():
        import sqlite3

        con = sqlite3.connect(srv.db)
        assert con.execute("SELECT count(*) FROM symptoms").fetchone()[0] == 0
        con.close()


def test_a_form_sent_back_keeps_the_warning_signs_ticked(tmp_path: Path) -> None:
    """A diary form sent back (a page opened before `sitwatch serve` last restarted, or a
    mistake) said "it is below as you typed it" but came back with every "also noticed" box
    unticked: sent again, the entry was saved without its warning signs and without the advice
    to get care."""
    _history(tmp_path / "history.sqlite")
    srv = Server(tmp_path)
    try:
        with browser(tmp_path) as b:
            b.size(*PHONE, mobile=True)
            b.open(srv.base + "/diary")
            b.js("""(function () {
                var f = document.querySelector('form.entry-form');
                f.form_key.value = 'from-before-the-restart';
                f.kind.value = 'ache'; f.note.value = 'since lunch';
                f.querySelector('input[value="bladder"]').checked = true;
                f.querySelector('input[value="fever"]').checked = true;
                f.querySelector('button').click(); return true; })()""")
            b.wait_for("document.getElementById('form-error') !== null "
                       "&& document.readyState == 'complete'")
            assert "send it again" in b.js("document.getElementById('form-error').textContent")
            ticked = b.js("Array.from(document.querySelectorAll('input[name=also]:checked'))"
                          ".map(function (i) { return i.value; })")
            assert ticked == ["bladder", "fever"]
            assert b.js("document.querySelector('form.entry-form').note.value") == "since lunch"
            b.js("document.querySelector('form.entry-form button').click()")
            b.wait_for("location.search.indexOf('saved=') >= 0 && document.readyState == "
                       "'complete'")
            care = b.js("document.getElementById('seek-care').innerText")
            assert "Please get medical care now" in care and "fever" in care, care
    finally:
        srv.stop()


def test_no_history_yet_names_the_simulators(tmp_path: Path) -> None:
    """Someone trying sitwatch on the simulator (README, First run) opened the web app while
    the daemon ran and read "No history yet ... It fills while `sitwatch run` is running":
    it was running, and its history went to the simulator's folder, which the pages never
    named (`sitwatch report` does)."""
    kept = tmp_path / "data" / "sitwatch" / "simulated" / "history.sqlite"
    kept.parent.mkdir(parents=True)
    _history(kept)
    srv = Server(tmp_path, history=False)
    try:
        with browser(tmp_path) as b:
            for width, height in (DESKTOP, PHONE):
                b.size(width, height, mobile=width < 600)
                for page in ("/today", "/week", "/weeks", "/month"):
                    b.open(srv.base + page)
                    text = b.text()
                    assert "No history yet" in text, page
                    assert f"sitwatch serve --history {kept}" in text, (page, text)
                    assert b.js("document.documentElement.scrollWidth") <= width, page
        srv.stop()
        named = Server(tmp_path)  # --history names a file that has none: nothing else offered
        try:
            with browser(tmp_path) as b:
                b.open(named.base + "/today")
                assert "No history yet" in b.text() and str(kept) not in b.text()
        finally:
            named.stop()
    finally:
        srv.stop()


#: Every piece of text on the page whose colour stands out from its background by less than
#: WCAG's 4.5:1 (3:1 for large text), the opacity of its boxes counted: "TAG "words" ratio".
LOW_CONTRAST = r"""(function () {
  function rgb(s) {
    var m = s.match(/[\d.]+/g).map(Number);
    return {r: m[0], g: m[1], b: m[2], a: m.length > 3 ? m[3] : 1};
  }
  function lum(c) {
    function f(v) {
      v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  }
  function bg(el) {
    for (var e = el; e; e = e.parentElement) {
      var c = rgb(getComputedStyle(e).backgroundColor);
      if (c.a > 0.5) { return c; }
    }
    return rgb(getComputedStyle(document.documentElement).backgroundColor);
  }
  function opacity(el) {
    var o = 1;
    for (var e = el; e; e = e.parentElement) { o *= parseFloat(getComputedStyle(e).opacity); }
    return o;
  }
  var out = [];
  document.querySelectorAll('body *').forEach(function (el) {
    var own = Array.from(el.childNodes).some(function (n) {
      return n.nodeType === 3 && n.textContent.trim(); });
    if (!own || !el.getClientRects().length) { return; }
    var st = getComputedStyle(el), fg = rgb(st.color), b = bg(el), o = opacity(el) * fg.a;
    fg = {r: fg.r * o + b.r * (1 - o), g: fg.g * o + b.g * (1 - o), b: fg.b * o + b.b * (1 - o)};
    var l1 = lum(fg), l2 = lum(b), ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    var size = parseFloat(st.fontSize), bold = parseInt(st.fontWeight, 10) >= 700;
    if (ratio < (size >= 24 || (size >= 18.66 && bold) ? 3 : 4.5)) {
      out.push(el.tagName + ' "' + el.textContent.trim().slice(0, 30) + '" ' + ratio.toFixed(2));
    }
  });
  return out;
})()"""


def test_words_stand_out_in_light_and_dark(served: Server) -> None:
    """The diary's "Save entry" button had white words on light green (3.4:1; 2.2:1 in dark
    mode) and the "sitwatch" name in the corner 3.1:1: hard to read in sunlight on a phone.
    An address that is no page was a bare "Not Found", black on black in dark mode. The report
    pages (the same HTML as `sitwatch report --html`) had grey words at 3.1:1 ("not yet", the
    line saying when the page was made). The month's days still to come were drawn at half
    opacity, their dates 3.2:1; the test passed on the last day of a month only (it was written
    on 30 November), so next month's page, all of it to come, is read too."""
    after = (served.day.replace(day=28) + timedelta(days=4)).replace(day=1)
    with browser(served.tmp) as b:
        b.size(*PHONE, mobile=True)
        for scheme in ("light", "dark"):
            b.call("Emulation.setEmulatedMedia", session=True,
                   features=[{"name": "prefers-color-scheme", "value": scheme}])
            for page in ("/", "/today", "/week", "/weeks", "/month", f"/month/{after:%Y-%m}",
                         "/diary", "/settings", "/nowhere"):
                b.open(served.base + page)
                assert b.js(LOW_CONTRAST) == [], (scheme, page)
            assert "There is no page at /nowhere" in b.text()
            assert b.js("document.querySelectorAll('nav a').length") == len(PAGES)
            b.open(served.base + "/diary")
            b.js("document.querySelector('form.entry-form').severity.value = '11'; "
                 "document.querySelector('form.entry-form').noValidate = true; "
                 "document.querySelector('form.entry-form button').click()")
            b.wait_for("document.getElementById('form-error') !== null "
                       "&& document.readyState == 'complete'")
            assert b.js(LOW_CONTRAST) == [], (scheme, "the diary's error")


def test_the_diary_asks_what_was_felt(served: Server) -> None:
    """The form opened with "numbness" chosen: a note typed and saved without a look at the
    list became a numbness entry, and counted in the numbness pattern. Now nothing is chosen,
    the browser asks for it, and a form sent without it says what is missing and keeps the
    note."""
    with browser(served.tmp) as b:
        b.size(*PHONE, mobile=True)
        b.open(served.base + "/diary")
        assert b.js("document.querySelector('form.entry-form').kind.value") == ""
        assert b.js("document.querySelector('form.entry-form').checkValidity()") is False
        b.js("var f = document.querySelector('form.entry-form'); f.noValidate = true; "
             "f.note.value = 'stiff after the train'; f.querySelector('button').click()")
        b.wait_for("document.getElementById('form-error') !== null "
                   "&& document.readyState == 'complete'")
        assert "choose what you felt" in b.js("document.getElementById('form-error')"
                                              ".textContent")
        f = "document.querySelector('form.entry-form')"
        assert b.js(f + ".note.value") == "stiff after the train"
        assert b.js(f + ".kind.value") == ""


def test_a_diary_error_marks_the_field_it_is_about(served: Server) -> None:
    """A form sent back with an error said what was wrong above the form, but a screen reader
    did not hear it (a role="alert" already in a page as it loads is not read out) and no
    field was marked: now the error has the focus, and the field it is about is invalid and
    described by it, the others not."""
    f = "document.querySelector('form.entry-form')"
    marked = ("Array.from(document.querySelectorAll('form.entry-form [aria-invalid]'))"
              ".map(function (e) { return [e.name, e.getAttribute('aria-invalid'), "
              "document.getElementById(e.getAttribute('aria-describedby')).textContent]; })")
    loaded = "document.getElementById('form-error') !== null && document.readyState == 'complete'"
    with browser(served.tmp) as b:
        b.size(*PHONE, mobile=True)
        b.open(served.base + "/diary")
        assert b.js(marked) == []
        b.js(f"var f = {f}; f.noValidate = true; f.note.value = 'stiff'; "
             "f.querySelector('button').click()")  # nothing chosen under "What"
        b.wait_for(loaded)
        assert b.js(marked) == [["kind", "true", "choose what you felt from the list"]]
        assert b.js("document.activeElement.id") == "form-error"
        # the browser's own check let through (an old browser): 11 of 10
        b.js(f"window.before = true; var f = {f}; f.noValidate = true; f.kind.value = 'ache'; "
             "f.severity.value = '11'; f.querySelector('button').click()")
        b.wait_for(f"!window.before && {loaded}")  # the page sent back
        assert b.js(marked) == [["severity", "true",
                                 "severity must be a whole number from 1 to 10 (got 11)"]]
        assert b.js("document.activeElement.id") == "form-error"


def test_a_screen_reader_hears_the_live_page_only_when_it_changes(tmp_path: Path) -> None:
    """The whole Live card was a live region, and every poll rewrote it ("checked 10:41:07",
    the list of details rebuilt): a screen reader read it out every two seconds. Now only
    the headline is one, and it is written only when it changes."""
    srv = Server(tmp_path)
    try:
        _write_status(srv.status, occupancy="occupied", spell_seconds=600.0,
                      posture="upright", balance="balanced")
        with browser(tmp_path) as b:
            b.open(srv.base + "/")
            updated = "document.getElementById('status-updated').textContent"
            b.wait_for(f"{updated}.indexOf('checked') >= 0", timeout=15)
            regions = b.js("Array.from(document.querySelectorAll('[aria-live], [role=status]'))"
                           ".map(function (e) { return e.id; })")
            assert regions == ["status-headline", "status-gone"]  # that one says it stopped
            b.js("""(function () {
                window.heard = 0;
                var seen = new MutationObserver(function (m) { window.heard += m.length; });
                document.querySelectorAll('[aria-live], [role=status], [role=alert]')
                    .forEach(function (e) { seen.observe(e, {subtree: true, childList: true,
                                                               characterData: true}); });
                window.polls = 0;
                new MutationObserver(function () { window.polls += 1; }).observe(
                    document.getElementById('status-updated'), {childList: true});
                return true; })()""")
            b.wait_for("window.polls >= 2", timeout=15)  # two more answers, nothing new
            assert b.js("window.heard") == 0
            _write_status(srv.status, occupancy="occupied", spell_seconds=600.0,
                          posture="slouched", balance="balanced")
            b.wait_for("window.heard > 0", timeout=15)  # news is still read out
            assert "posture slouched" in b.js(
                "document.getElementById('status-headline').textContent")
    finally:
        srv.stop()


def test_on_a_phone_the_links_are_big_enough_to_tap(served: Server) -> None:
    """The pages' links above the report pages were 22 px high, the month's weeks and its
    link to the month before 16-18 px, and the list of past weeks 19 px: under the 24 px a
    finger needs (WCAG 2.5.8). Links inside a sentence are exempt and left alone."""
    small = ("Array.from(document.querySelectorAll('nav a, ul.weeks a, table.weeks a, a[rel]'))"
             ".map(function (a) { var r = a.getBoundingClientRect(); return [a.textContent, "
             "Math.round(r.height)]; }).filter(function (x) { return x[1] < 24; })")
    with browser(served.tmp) as b:
        b.size(*PHONE, mobile=True)
        for page in PAGES:
            b.open(served.base + page)
            assert b.js("document.querySelectorAll('nav a').length") == len(PAGES), page
            assert b.js(small) == [], page
        b.open(f"{served.base}/month/{served.day:%Y-%m}")
        assert b.js("document.querySelectorAll('table.weeks a, a[rel]').length") > 1
        assert b.js(small) == []


def _edge_shades(b: Any, box: str, tmp: Path) -> tuple[int, int]:
    """How far the left and the right edge of ``box`` (a JS expression for the element) stand
    out from the card behind it, in a screenshot: its own painting only (what it holds is
    hidden), along its middle row (the sum of the three channels' differences)."""
    b.js(f"(function (w) {{ w.firstElementChild.style.visibility = 'hidden'; "
         f"w.scrollIntoView({{block: 'center'}}); return true; }})({box})")
    r = b.js(f"(function (r) {{ return [r.left, r.top, r.width, r.height]; }})"
             f"({box}.getBoundingClientRect())")
    x, y, w, h = (round(v) for v in r)
    width, _, rows = read_png(b.screenshot(tmp / "edges.png"))
    row = rows[y + h // 2]

    def px(at: int) -> tuple[int, ...]:
        return tuple(row[at * 3:at * 3 + 3])

    card = px(x + w // 2)

    def shade(at: int) -> int:
        return sum(abs(a - c) for a, c in zip(px(at), card, strict=True))
    return shade(x + 1), shade(x + w - 2)


def test_on_a_phone_a_table_cut_off_shows_that_it_scrolls(served: Server) -> None:
    """At 390 px "The numbers" (868 px wide) and "Week by week" (589 px) scrolled sideways
    inside their cards with nothing to say that more columns were there. Now an edge behind
    which more is hidden is shaded, and the shade goes once that end is reached."""
    measured = []
    with browser(served.tmp) as b:
        b.size(*PHONE, mobile=True)
        for page in ("/week", f"/month/{served.day:%Y-%m}"):
            b.open(served.base + page)
            n = b.js("document.querySelectorAll('.table-wrap').length")
            assert n >= 1, page
            for i in range(n):
                box = f"document.querySelectorAll('.table-wrap')[{i}]"
                hidden = b.js(f"{box}.scrollWidth - {box}.clientWidth")
                if hidden <= 1:
                    continue  # it fits: nothing to show
                measured.append((page, hidden))
                left, right = _edge_shades(b, box, served.tmp)
                assert right >= 30 and left <= 6, (page, i, left, right)
                b.js(f"{box}.scrollLeft = {box}.scrollWidth; true")  # to the last column
                left, right = _edge_shades(b, box, served.tmp)
                assert left >= 30 and right <= 6, (page, i, left, right)
    # the tables measured: both are wider than a phone (else this test checks nothing)
    assert [p for p, _ in measured] == ["/week", f"/month/{served.day:%Y-%m}"], measured


def test_the_live_page_while_paused(tmp_path: Path) -> None:
    """Paused, the Live page showed "Occupied — sitting for 20 min · posture slouched" as it
    was when the pause began, for as long as the pause: nothing is watched meanwhile."""
    srv = Server(tmp_path)
    try:
        until = datetime.now(UTC) + timedelta(hours=1)
        _write_status(srv.status, occupancy="occupied", spell_seconds=1200.0,
                      posture="slouched", balance="left",
                      paused=until.isoformat(timespec="seconds"))
        with browser(tmp_path) as b:
            b.size(*PHONE, mobile=True)
            b.open(srv.base + "/")
            head = b.js("document.getElementById('status-headline').textContent")
            assert "nothing is watched meanwhile" in head, head
            assert "\u201csitwatch resume\u201d carries on" in head, head
            assert "Occupied" not in head and "slouched" not in head, head
            assert b.js("document.getElementById('live').dataset.state") == "paused"
            assert b.js("document.documentElement.scrollWidth") <= PHONE[0]
    finally:
        srv.stop()


def _report_rows(srv: Server) -> dict[str, str]:
    """The rows of the real `sitwatch report` for today from the server's history."""
    out = subprocess.run(
        [sys.executable, "-m", "sitwatch", "report", "--history", str(srv.db), "--config",
         str(srv.tmp / "sitwatch.toml"), "--no-user-config"],
        capture_output=True, text=True, env=srv.env, timeout=60, check=True).stdout
    report = {}
    for line in rows_joined(out).splitlines()[2:]:
        if not line.strip():
            break
        key, _, value = line.partition("  ")
        report[key.strip()] = value.strip()
    return report


def _today_rows(srv: Server) -> dict[str, str]:
    """The rows of the Today page as a phone shows them."""
    with browser(srv.tmp) as b:
        b.size(*PHONE, mobile=True)
        b.open(srv.base + "/today")
        return dict(b.js("Array.from(document.querySelectorAll('.numbers div')).map("
                         "function (d) { return [d.firstChild.textContent, "
                         "d.lastChild.textContent]; })"))


def _report_and_today(tmp_path: Path) -> tuple[dict[str, str], dict[str, str]]:
    """The real `sitwatch report` rows and a served Today page's, from the history in
    ``tmp_path`` (the server stopped afterwards)."""
    srv = Server(tmp_path)
    try:
        return _report_rows(srv), _today_rows(srv)
    finally:
        srv.stop()


def test_today_agrees_with_sitting_report(served: Server) -> None:
    """The Today page and `sitwatch report` for the same day, from the same history: each
    number the page shows is the report's, and it shows the sitting debt the report has (it
    left it out: 75 minutes in one spell read as fine on the page)."""
    report = _report_rows(served)
    page = _today_rows(served)
    assert page["Sitting debt"] == "30 min past your 45 min limit, over 1 spell"
    for key in ("Sitting", "Longest spell", "Breaks", "Sitting debt", "Nudges"):
        assert page[key] == report[key], (key, page[key], report[key])
    assert page["Posture"] == report["Posture"].replace(" · ", ", ")
    assert report["Lopsided"].startswith(page["Weight on one side"])
    assert page["Nudges"] == "none"


def test_today_says_the_nudges_as_the_report_does(tmp_path: Path) -> None:
    """The Today page's Nudges row was a bare count ("3") while `sitwatch report` for the day
    said which kinds and how many of them were acted on: the same words now, from one
    place."""
    from sitwatch.core.clock import ManualClock
    from sitwatch.core.kinds import NudgeKind
    from sitwatch.history.store import Store
    from tests.helpers.history import Sitter

    start = _history(tmp_path / "history.sqlite")  # the nudges come in its last minutes
    clock = ManualClock(start + timedelta(minutes=70), monotonic=0.0)
    store = Store(tmp_path / "history.sqlite", clock)
    try:
        p = Sitter(store, clock)
        store.begin_run("smartchair-12", "/dev/ttyACM0")
        p.nudge(NudgeKind.PROLONGED_SITTING, responded=True)
        p.nudge(NudgeKind.SLOUCH, responded=False)
        p.nudge(NudgeKind.SLOUCH)  # not followed up: counted, not measured
    finally:
        store.close()
    report, page = _report_and_today(tmp_path)
    assert report["Nudges"] == "3, acted on 1 of 2: time to move 1 · posture 2", report
    assert page["Nudges"] == report["Nudges"], (page, report)


def test_today_says_when_a_sensor_was_offline_as_the_report_does(tmp_path: Path) -> None:
    """`sitwatch report` for the day had "Cushion offline" and "Camera offline" rows; the
    Today page left them out, so a day with a gap in the figures read as complete."""
    from tests.helpers.history import STANDING_IN

    store, clock, p, _ = _sitter(tmp_path / "history.sqlite")
    try:
        p.sit(55)
        p.sit(10, camera=STANDING_IN)  # the cushion offline, a camera seeing the sitter
        store.end_run()
        now = clock.now()
        p.at(now.date(), now.hour, now.minute, tz=UTC, source="camera:0")  # camera alone
        for _ in range(12 * 6):  # 12 min of a camera that does not work
            clock.advance(10)
            store.add_sample(10.0, occupied=False, posture=None, balance=None, seat_load=None,
                             cop_x=None, cop_y=None, online=False)
        store.end_run()
    finally:
        store.close()
    report, page = _report_and_today(tmp_path)
    assert report["Cushion offline"] == "10 min", report
    assert report["Camera offline"] == "12 min", report
    for key in ("Cushion offline", "Camera offline", "Sitting", "Longest spell", "Breaks",
                "Nudges"):
        assert page.get(key) == report[key], (key, page, report)
    # in the report's order, after the Nudges row
    keys = list(page)
    assert keys.index("Nudges") < keys.index("Cushion offline") < keys.index("Camera offline")


def test_a_relative_history_is_named_in_full(tmp_path: Path) -> None:
    """`sitwatch serve --history demo.sqlite` showed "History: demo.sqlite" on the settings
    page and "no history at demo.sqlite" elsewhere: where is that?"""
    _history(tmp_path / "history.sqlite")
    relative = os.path.relpath(tmp_path / "history.sqlite")  # from the server's folder
    assert not relative.startswith("/")
    srv = Server(tmp_path, "--history", relative, history=False)
    try:
        with browser(tmp_path) as b:
            b.open(srv.base + "/settings")
            named = b.js("Array.from(document.querySelectorAll('p.sub code'))"
                         ".map(function (c) { return c.textContent; })")
            assert str(tmp_path / "history.sqlite") in named, named
            b.open(srv.base + "/today")
            assert "No history yet" not in b.text()
    finally:
        srv.stop()


def test_today_has_the_reports_weight_shifts_and_longest_spell_note(tmp_path: Path) -> None:
    """`sitwatch report` for the day had a "Weight shifts" row and said why the longest spell
    was longer than the day's sitting ("with short absences"); the Today page had neither. The
    same words now, from the report's own functions."""
    from sitwatch.core.events import STILLNESS, Event
    from sitwatch.core.kinds import Stillness

    store, clock, p, _ = _sitter(tmp_path / "history.sqlite")
    try:
        p.sit(30)
        for _ in range(4):
            store.add_event(Event(clock.monotonic(), STILLNESS, Stillness.SHIFT))
        store.add_event(Event(clock.monotonic(), STILLNESS, Stillness.STATIC))
        p.away(1)  # shorter than a break: the spell goes on, the minute is not sitting
        p.sit(30)
        store.end_run()
    finally:
        store.close()
    report, page = _report_and_today(tmp_path)
    assert report["Weight shifts"].startswith("4 weight shifts, about 4 an hour seated; 1 "
                                              "stretch without one"), report
    assert report["Longest spell"].endswith(", with short absences)"), report
    for key in ("Weight shifts", "Longest spell"):
        assert page.get(key) == report[key], (key, page, report)


def test_the_live_page_says_just_now_right_after_a_nudge(tmp_path: Path) -> None:
    """Right after a nudge (or a calibration) the Live page said "last nudge: posture 0 s
    ago"; now "just now", both as served and as its script updates it, and the seconds once
    there are a few."""
    srv = Server(tmp_path)
    detail = "document.getElementById('status-detail').textContent"
    try:
        with browser(tmp_path) as b:
            now = datetime.now(UTC)  # the browser is up: the page is a moment away
            _write_status(srv.status, occupancy="occupied", spell_seconds=600.0,
                          nudges={"slouch": {"at": now.isoformat()}})
            b.open(srv.base + "/")
            served = b.js(detail)
            assert "last nudge: slouching just now" in served, served
            assert "calibrated (auto, just now)" in served and "0 s ago" not in served
            earlier = (now - timedelta(seconds=30)).isoformat(timespec="seconds")
            _write_status(srv.status, occupancy="occupied", spell_seconds=600.0,
                          nudges={"slouch": {"at": earlier}},
                          calibration={"method": "auto", "at": earlier})
            b.wait_for(f"{detail}.indexOf('last nudge: slouching 3') >= 0", timeout=15)
            assert "just now" not in b.js(detail)
            _write_status(srv.status, occupancy="occupied", spell_seconds=600.0,
                          nudges={"slouch": {"at": datetime.now(UTC).isoformat()}})
            b.wait_for(f"{detail}.indexOf('last nudge: slouching just now') >= 0", timeout=15)
    finally:
        srv.stop()


def test_the_month_counts_days_sat_not_days_watched(tmp_path: Path) -> None:
    """The month page said "about 24 min a day on 5 days" for two hours sat on two of them:
    days sitwatch watched an empty seat counted as days with sitting. The page and
    `sitwatch report --month` now say the days sat and, apart, the days only watched."""
    from sitwatch.core.clock import ManualClock
    from sitwatch.history.store import Store
    from tests.helpers.history import Sitter

    srv = Server(tmp_path)
    try:
        tz = ZoneInfo(srv.tz)
        clock = ManualClock(datetime(2025, 10, 5, tzinfo=tz), monotonic=0.0)
        store = Store(srv.db, clock)
        try:
            p = Sitter(store, clock)
            for day in range(6, 11):
                p.at(date(2025, 10, day), 9, tz=tz)
                p.sit(60) if day <= 7 else p.away(30)
                store.end_run()
        finally:
            store.close()
        report = subprocess.run(
            [sys.executable, "-m", "sitwatch", "report", "--month", "2025-10", "--history",
             str(srv.db), "--config", str(tmp_path / "sitwatch.toml"), "--no-user-config"],
            capture_output=True, text=True, env=srv.env, timeout=60, check=True).stdout
        with browser(tmp_path) as b:
            b.open(f"{srv.base}/month/2025-10")
            stat = b.js("document.getElementById('stat-sitting').parentNode.textContent")
    finally:
        srv.stop()
    sitting = next(ln for ln in rows_joined(report).splitlines() if ln.startswith("Sitting"))
    assert sitting.endswith("2 h on 2 days (about 1 h a day); 3 more days watched with no "
                            "sitting"), report
    assert "about 1 h a day on 2 days; 3 more days watched with no sitting" in stat, stat



def test_the_pages_of_a_time_nobody_sat_say_what_the_report_says(tmp_path: Path) -> None:
    """A nudge acted on from a companion, on days nobody sat here: `sitwatch report` said "No
    sitting recorded" and listed the nudge; This week said only the first, and the month's
    page showed "Sitting 0 min, about 0 min a day on 0 days" and no nudge. The pages now say
    both, in the report's words, and Today lists the nudge under its "No sitting" line."""
    from sitwatch.core.kinds import NudgeKind

    store, clock, p, _ = _sitter(tmp_path / "history.sqlite")
    try:
        p.away(30)
        p.nudge(NudgeKind.PROLONGED_SITTING, responded=True)
        p.away(30)
        store.end_run()
    finally:
        store.close()
    srv = Server(tmp_path)
    try:
        day = datetime.now(ZoneInfo(srv.tz)).date()
        sunday = day + timedelta(days=6 - day.weekday())
        texts = {}
        for argv in (("--week", f"{day:%G-W%V}"), ("--month", f"{day:%Y-%m}")):
            texts[argv[0]] = rows_joined(subprocess.run(
                [sys.executable, "-m", "sitwatch", "report", *argv, "--history", str(srv.db),
                 "--config", str(tmp_path / "sitwatch.toml"), "--no-user-config"],
                capture_output=True, text=True, env=srv.env, timeout=60, check=True).stdout)
        pages = {}
        with browser(tmp_path) as b:
            for key, path in (("--week", f"/week/{sunday.isoformat()}"),
                              ("--month", f"/month/{day:%Y-%m}")):
                b.open(srv.base + path)
                pages[key] = b.js("document.getElementById('no-sitting') ? document"
                                  ".getElementById('no-sitting').textContent : ''")
                assert b.js("document.getElementById('stat-sitting') === null"), path
        today = _today_rows(srv)
    finally:
        srv.stop()
    nudges = "1, acted on 1 of 1: time to move 1"
    for key, text in texts.items():
        said = next(ln for ln in text.splitlines() if ln.startswith("No sitting recorded"))
        assert re.search(rf"^Nudges +{re.escape(nudges)}$", text, re.MULTILINE), text
        page = " ".join(pages[key].split())
        assert said in page and f"Nudges: {nudges}." in page, (key, page, text)
        assert "0 min" not in page, page
    assert today.get("Nudges") == nudges, today


def test_this_week_and_the_weekly_report_name_their_days(served: Server) -> None:
    """"This week" on the web is the calendar week, `sitwatch report --week` the seven days to
    today: both headings showed bare dates, so the two seemed to disagree. The page now says
    "This week, Mon 23 – Sun 29 November 2026" and the report "Last 7 days, ..." (on a
    Sunday the two are the same week, and both say "This week")."""
    from sitwatch.reports.html import week_title

    today = datetime.now(ZoneInfo(served.tz)).date()
    sunday = today + timedelta(days=6 - today.weekday())
    first = today - timedelta(days=6)
    report = subprocess.run(
        [sys.executable, "-m", "sitwatch", "report", "--week", "--history", str(served.db),
         "--config", str(served.tmp / "sitwatch.toml"), "--no-user-config"],
        capture_output=True, text=True, env=served.env, timeout=60, check=True).stdout
    with browser(served.tmp) as b:
        b.open(served.base + "/week")
        page = b.js("document.querySelector('h1').textContent")
        b.open(f"{served.base}/week/{sunday - timedelta(days=7)}")
        past = b.js("document.querySelector('h1').textContent")
    assert page == f"This week, {week_title(sunday)}", page
    assert past == week_title(sunday - timedelta(days=7)), past  # a past week: its dates
    dates = f"{first:%a} {first.day} {first:%b} – {today:%a} {today.day} {today:%b %Y}"
    said = "This week" if today == sunday else "Last 7 days"
    assert report.splitlines()[0] == f"{said}, {dates}", report


def test_pages_of_a_time_the_cushion_was_offline_throughout_say_so(tmp_path: Path) -> None:
    """sitwatch ran with the cushion unplugged: This week and the month headed their page
    "Nobody sat" and Today said "sitwatch ran for 1 h 30 min, but nothing could see the seat".
    Nobody was seen, which is not nobody sat: the pages say the cushion was offline, and for
    how long, in the words of `sitwatch report`."""
    store, clock, _, _ = _sitter(tmp_path / "history.sqlite")
    try:
        for _ in range(90 * 6):  # the cushion unplugged all the time sitwatch ran
            clock.advance(10)
            store.add_sample(10.0, occupied=False, posture=None, balance=None, seat_load=None,
                             cop_x=None, cop_y=None, online=False)
        store.end_run()
    finally:
        store.close()
    srv = Server(tmp_path)
    try:
        day = datetime.now(ZoneInfo(srv.tz)).date()
        pages = {path: " ".join(urllib.request.urlopen(srv.base + path, timeout=30).read()
                                .decode().split())
                 for path in ("/today", "/week", f"/month/{day:%Y-%m}")}
        report = " ".join(subprocess.run(
            [sys.executable, "-m", "sitwatch", "report", "--history", str(srv.db),
             "--config", str(tmp_path / "sitwatch.toml"), "--no-user-config"],
            capture_output=True, text=True, env=srv.env, timeout=60, check=True).stdout.split())
    finally:
        srv.stop()
    said = "the cushion was offline all the 1 h 30 min sitwatch ran, so it could not see the seat."
    assert f"No sitting recorded: {said}" in report, report
    assert f"No sitting recorded today: {said}" in pages["/today"], pages["/today"]
    for path, when in (("/week", "this week"), (f"/month/{day:%Y-%m}", "this month")):
        page = pages[path]
        assert f">Cushion offline {when}</h2>" in page and said in page, (path, page)
        assert "Nobody sat" not in page and "empty seat" not in page, (path, page)
