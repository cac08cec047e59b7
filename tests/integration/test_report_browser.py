"""The weekly HTML report in a real browser (Debian's headless ``chromium``).

The history comes from the real daemon fed by the simulated cushion (the same pieces as
``sitwatch demo``), one simulated day per date. Chromium loads the page, dumps its DOM, takes
screenshots in light and dark mode, and shows that the page asks the network for nothing.
Every browser run is bounded; the tests skip when /usr/bin/chromium is missing
(``apt-get install chromium``).
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import signal
import struct
import subprocess
import threading
import zlib
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest

pytestmark = pytest.mark.integration

CHROMIUM = Path("/usr/bin/chromium")
TZ = ZoneInfo("Europe/Berlin")
SUN = date(2026, 3, 15)  # the week Mon 9 - Sun 15 March 2026
DAYS = (date(2026, 3, 9), date(2026, 3, 10), date(2026, 3, 12))
PREVIOUS = (date(2026, 3, 4),)
WIDTH, HEIGHT = 1100, 2400
BROWSER_TIMEOUT = 25.0

if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
    pytest.skip("no /usr/bin/chromium: install Debian's chromium package to run the browser "
                "tests of the HTML report", allow_module_level=True)
pytest.importorskip("jinja2")

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run", "--hide-scrollbars", "--no-proxy-server",
    # Nothing resolves: the page has to render from itself alone.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
# Chromium's own services (clock sync, account check, component updates) try to reach these
# even with --disable-background-networking; the resolver rule above stops them. They come from
# the browser, not the page. Font and CDN hosts are deliberately not in this list.
BROWSER_SERVICE_HOSTS = {"clients2.google.com", "accounts.google.com", "update.googleapis.com",
                         "redirector.gvt1.com", "optimizationguide-pa.googleapis.com",
                         "safebrowsingohttpgateway.googleapis.com", "www.google.com"}


def chromium(tmp: Path, *args: str, timeout: float = BROWSER_TIMEOUT) -> tuple[str, str]:
    """Run headless Chromium with a fresh profile; kill its whole process group on timeout."""
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    env = {**os.environ, "HOME": str(tmp)}
    proc = subprocess.Popen([str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"chromium did not finish within {timeout:.0f} s: {' '.join(args)}")
    return out, err


# -- a week of history from the real daemon ------------------------------------------------

def simulate_days(db: Path, days: tuple[date, ...], seed0: int) -> None:
    from sitwatch.config import Config
    from sitwatch.core.clock import ManualClock
    from sitwatch.history.store import Store
    from sitwatch.runtime.daemon import Daemon
    from sitwatch.sensing import layout as layouts
    from sitwatch.sim.script import script_by_name
    from sitwatch.sim.simulator import Simulator
    from sitwatch.sources.sim import SimSource
    from tests.helpers.doubles import Collect

    lay = layouts.load("smartchair-12")
    for i, day in enumerate(days):
        seed = seed0 + i
        sim = Simulator(lay, script_by_name("demo", seed), 2.0, seed)
        clock = ManualClock(datetime(day.year, day.month, day.day, 8 + i, 5 * i, tzinfo=TZ))
        src = SimSource(sim, clock)
        sinks = Collect()
        sinks.clock = clock
        daemon = Daemon(Config(), lay, src, clock, sinks=sinks, store=Store(db, clock))
        while not src.done:
            daemon.step(0)
        daemon.close()


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from sitwatch.core.clock import ManualClock
    from sitwatch.core.private import write_private
    from sitwatch.history.queries import day_summary
    from sitwatch.history.store import Store
    from sitwatch.reports.html import render_week

    tmp = tmp_path_factory.mktemp("week")
    db = tmp / "history.sqlite"
    simulate_days(db, PREVIOUS, 40)
    simulate_days(db, DAYS, 7)
    store = Store(db, ManualClock(datetime(2026, 3, 16, 9, 0, tzinfo=TZ)), readonly=True)
    try:
        page = tmp / "week.html"
        write_private(page, render_week(store, SUN, TZ, now=datetime(2026, 3, 16, 9, 0, tzinfo=TZ)))
        summaries = [day_summary(store, SUN - timedelta(days=k), TZ) for k in range(6, -1, -1)]
    finally:
        store.close()
    return {"dir": tmp, "page": page, "summaries": summaries}


# -- reading what the browser produced ------------------------------------------------------

class Dom(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.svgs: list[dict[str, str | None]] = []
        self.counts: dict[str, int] = {}
        self.ids: dict[str, str] = {}
        self.text: list[str] = []
        self._id: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.counts[tag] = self.counts.get(tag, 0) + 1
        if tag == "svg":
            self.svgs.append(a)
        self._id = a.get("id")

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._id and data.strip():
            self.ids[self._id] = data.strip()
            self._id = None

    @property
    def plain(self) -> str:
        return " ".join(" ".join(self.text).split())


def read_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """(width, height, RGB rows) of an 8-bit RGB or RGBA PNG: just enough of a decoder."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, ihdr = 8, [], None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    assert ihdr is not None
    w, h, depth, ctype, _, _, interlace = ihdr
    assert depth == 8 and ctype in (2, 6) and interlace == 0, ihdr
    bpp = 3 if ctype == 2 else 4
    stride = w * bpp
    raw = zlib.decompress(b"".join(idat))
    assert len(raw) == (stride + 1) * h
    prev = bytearray(stride)
    rows = []
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if f == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif f == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev, strict=True))
        elif f == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + (left + prev[i]) // 2) & 255
        elif f == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b, c = prev[i], (prev[i - bpp] if i >= bpp else 0)
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line) if bpp == 3 else
                    b"".join(bytes(line[i:i + 3]) for i in range(0, stride, 4)))
        prev = line
    return w, h, rows


def colours(rows: list[bytes]) -> dict[bytes, int]:
    out: dict[bytes, int] = {}
    for r in rows:
        for i in range(0, len(r), 3):
            px = r[i:i + 3]
            out[px] = out.get(px, 0) + 1
    return out


def rgb(hexcolour: str) -> bytes:
    return bytes.fromhex(hexcolour.lstrip("#"))


# -- the tests -------------------------------------------------------------------------------

def test_dom_has_the_charts_and_the_numbers(week: dict[str, Any]) -> None:
    from sitwatch.core.kinds import Posture
    from sitwatch.reports.words import fmt_minutes

    out, _ = chromium(week["dir"], "--dump-dom", week["page"].as_uri())
    dom = Dom(out)
    charts = {str(s.get("class")).split()[-1]: s for s in dom.svgs}
    assert set(charts) == {"timeline", "postures", "spells", "nudges", "breaks", "heatmap",
                           "pressure-map"}  # the week came from a cushion: its pressure maps
    maps = [str(s.get("aria-label")) for s in dom.svgs if s.get("class") == "pressure-map"]
    assert any(label.startswith("Seat pressure, this week") for label in maps), maps
    assert all(s.get("role") == "img" and s.get("aria-label") for s in charts.values())
    assert dom.counts.get("rect", 0) > 60  # minutes, bars, breaks, lopsided marks
    assert dom.counts.get("table") == 1 and dom.counts.get("script", 0) == 0

    days = week["summaries"]
    sitting = sum(d.sitting_minutes for d in days)
    upright = sum(d.posture_minutes[Posture.UPRIGHT] for d in days) \
        / sum(sum(d.posture_minutes.values()) for d in days)
    longest = max(d.longest_spell_minutes for d in days)
    assert dom.ids["stat-sitting"] == fmt_minutes(sitting)
    assert dom.ids["stat-upright"] == f"{round(upright * 100)}%"
    assert dom.ids["stat-longest"] == fmt_minutes(longest)
    assert dom.ids["stat-breaks"] == str(sum(d.breaks for d in days))
    assert dom.ids["stat-nudges"] == str(sum(d.nudges_total for d in days))
    debt = sum(max(0.0, s.seconds - 2700.0) for d in days for s in d.spells) / 60
    assert dom.ids["stat-debt"] == fmt_minutes(debt)  # sitting debt (issue #13)
    for d in days:
        label = f"{d.day:%a} {d.day.day} {d.day:%b}"
        if d.sitting_minutes > 0:
            assert f"{label} {fmt_minutes(d.sitting_minutes)}" in dom.plain
        else:
            assert f"{label} no data" in dom.plain
    assert "Compared with last week" in dom.plain
    assert "When to see a doctor" in dom.plain


def _screenshot(week: dict[str, Any], name: str, *extra: str) -> tuple[int, int, list[bytes]]:
    shot = week["dir"] / name
    shot.unlink(missing_ok=True)
    chromium(week["dir"], f"--window-size={WIDTH},{HEIGHT}", f"--screenshot={shot}", *extra,
             week["page"].as_uri())
    assert shot.is_file(), "chromium wrote no screenshot"
    keep = os.environ.get("SITWATCH_KEEP_SCREENSHOTS")
    if keep:  # to look at them: SITWATCH_KEEP_SCREENSHOTS=/some/dir pytest ...
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / name)
    return read_png(shot.read_bytes())


def test_screenshot_is_a_real_picture(week: dict[str, Any]) -> None:
    w, h, rows = _screenshot(week, "week.png")
    assert (w, h) == (WIDTH, HEIGHT)
    seen = colours(rows)
    assert len(seen) > 300  # text, charts and cards, not a blank page
    page_bg = rgb("#f4f5f2")
    assert rows[2][:3] == page_bg
    assert seen.get(page_bg, 0) < 0.75 * w * h
    # The posture colours fill real areas (bars and timeline minutes).
    for colour in ("#009e73", "#d55e00", "#e69f00", "#56b4e9"):
        assert seen.get(rgb(colour), 0) > 200, colour


def test_dark_mode(week: dict[str, Any]) -> None:
    w, h, rows = _screenshot(week, "week-dark.png", "--force-dark-mode")
    assert (w, h) == (WIDTH, HEIGHT)
    seen = colours(rows)
    assert rows[2][:3] == rgb("#121618")
    assert seen.get(rgb("#2ec49b"), 0) > 200  # upright, in its dark-mode shade
    assert len(seen) > 300


class _Recorder(http.server.SimpleHTTPRequestHandler):
    seen: list[str]

    def log_message(self, format: str, *args: Any) -> None:
        self.seen.append(self.path)


@pytest.fixture
def server(week: dict[str, Any]) -> Iterator[tuple[str, list[str]]]:
    """A loopback HTTP server over the report's folder that records every request."""
    seen: list[str] = []
    handler = type("Handler", (_Recorder,), {"seen": seen})
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(week["dir"])))
    t = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    finally:
        httpd.shutdown()
        httpd.server_close()
        t.join(5)


def _requests(log: str) -> list[str]:
    return re.findall(r"NotifyBeforeURLRequest: (\S+)", log)


def _csp_violations(log: str) -> list[str]:
    return [ln for ln in log.splitlines() if "Content Security Policy" in ln]


def test_no_network_requests(week: dict[str, Any], server: tuple[str, list[str]]) -> None:
    base, seen = server
    out, log = chromium(week["dir"], "--enable-logging=stderr", "--v=1", "--dump-dom",
                        f"{base}/week.html")
    dom = Dom(out)
    # The page rendered completely with every name lookup failing ...
    charts = [s for s in dom.svgs if s.get("class") != "pressure-map"]
    assert len(charts) == 6 and "When to see a doctor" in dom.plain
    # ... it asked its own server for nothing but itself (not even a favicon) ...
    assert seen == ["/week.html"]
    # ... nothing was blocked by its Content-Security-Policy (so nothing was attempted) ...
    assert _csp_violations(log) == []
    # ... and the browser's network stack saw no other request from it.
    requests = _requests(log)
    assert f"{base}/week.html" in requests
    others = [u for u in requests if not u.startswith(base) and not u.startswith("file:")
              and urlsplit(u).hostname not in BROWSER_SERVICE_HOSTS]
    assert others == []
    assert [u for u in requests if u.startswith(base)] == [f"{base}/week.html"]


def test_the_checks_catch_a_page_that_calls_out(week: dict[str, Any],
                                                server: tuple[str, list[str]]) -> None:
    """The same page with a tracking pixel and a stylesheet added: the policy blocks both and
    the checks above would see it."""
    base, seen = server
    html = week["page"].read_text(encoding="utf-8")
    bad = html.replace("<body>", '<body><img src="/pixel.png" alt="">'
                                 '<link rel="stylesheet" href="/extra.css">', 1)
    (week["dir"] / "tampered.html").write_text(bad, encoding="utf-8")
    _, log = chromium(week["dir"], "--enable-logging=stderr", "--v=1", "--dump-dom",
                      f"{base}/tampered.html")
    assert seen == ["/tampered.html"]  # blocked before it left the browser
    blocked = " ".join(_csp_violations(log))
    assert "/pixel.png" in blocked and "/extra.css" in blocked
