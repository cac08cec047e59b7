"""The web app's routes: pages, the status endpoint, the diary form.

:func:`create_app` builds a Starlette application from :class:`Settings`. Every page is rendered
on the server from the history (opened read-only for each request) and the status file; the
live status page polls ``/api/status`` with a few lines of script served from here. Nothing is
loaded from anywhere else: the Content-Security-Policy says so to the browser.

Security (SECURITY.md): with a token (LAN mode), a request needs ``?token=`` (which is swapped
for an HttpOnly, SameSite=Strict cookie and redirected away from the address bar), the cookie,
or an ``Authorization: Bearer`` header; anything else gets a bare 401. The diary form also needs
its per-server form key and, when the browser sends one, an Origin (or Referer) of this site.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import secrets
import sqlite3
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlencode, urlsplit

import jinja2
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sitwatch.config import Config
from sitwatch.config.redact import redacted_config
from sitwatch.core.clock import Clock
from sitwatch.core.kinds import AlsoNoticed, BodyArea, BodySide, SymptomKind, label
from sitwatch.history.diary import MAX_NOTE, DiaryError, SymptomEntry, add_entry
from sitwatch.history.queries import daily_sitting_minutes, day_bounds, day_summary, demo_days
from sitwatch.history.readable import (
    PrivateCopy,
    ReadableCopy,
    Unreadable,
    UpgradedCopy,
    is_damage,
)
from sitwatch.history.store import OlderSchema, Store, StoreError
from sitwatch.reports import diary
from sitwatch.reports.calendar import heatmap_legend, heatmap_svg, heatmap_weeks
from sitwatch.reports.html import render_month, render_week, week_title
from sitwatch.reports.period import PeriodError, check_day, debt_text, parse_month
from sitwatch.reports.words import (
    back_pocket_text,
    cushion_part,
    demo_days_text,
    fmt_minutes,
    longest_spell_text,
    lopsided_text,
    no_sitting_rows,
    no_sitting_text,
    nudges_text,
    offline_texts,
    posture_shares_text,
    shifts_text,
)
from sitwatch.runtime.files import simulated_history, simulated_history_instead
from sitwatch.runtime.service import Installed, installed, restart_hint
from sitwatch.runtime.status import DAMAGED, bar_state, format_status, read_status
from sitwatch.web.token import TokenFile, current, matches

log = logging.getLogger(__name__)

COOKIE = "sitwatch_token"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; "
       "frame-ancestors 'none'")
DIARY_DAYS = 28  # the diary page lists the entries of the last four weeks
SENT_KEPT = 256  # diary forms remembered as saved (a double click sends one twice)
PAST_WEEKS = 26
STATUS_POLL_MS = 2000
#: How long the pages keep systemd's answer to how sitwatch runs here (for the words of their
#: restart advice): asking spawns systemctl, ~9 ms, which no page view should wait for.
INSTALLED_TTL = 30.0
#: Above the settings page's TOML: what it shows (not the sample's "with its default").
SETTINGS_HEADER = (
    "# The sitwatch configuration in force: every key with the value sitwatch uses.",
    '# Secrets (passwords, push URLs, the hook\'s arguments) are shown as "(hidden)".',
)


@dataclass
class Settings:
    """What the app reads and how it is guarded."""

    cfg: Config
    history: Path
    status: Path
    tz: tzinfo
    clock: Clock
    stale_after: float = 15.0
    token: str | TokenFile | None = None  # None: no token needed (loopback only)
    #: the history was named (``--history``): no other file is suggested when it has none
    history_named: bool = False
    #: the file the configuration was read from (None: the defaults alone), and where
    #: ``sitwatch config init`` writes one: the settings page says which to edit
    config_file: str | None = None
    user_config: str = "~/.config/sitwatch/sitwatch.toml"
    form_key: str = field(default_factory=lambda: secrets.token_urlsafe(24))


# -- templates ------------------------------------------------------------------------------

def _asset(name: str) -> str:
    return resources.files("sitwatch.data").joinpath("web", name).read_text(encoding="utf-8")


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(lambda name: _asset(name)),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.globals["label"] = label
    return env


# -- reading the history ----------------------------------------------------------------------

@contextlib.contextmanager
def _reader(s: Settings) -> Iterator[Store | None]:
    """The history read-only, or None when there is none yet. Raises what :class:`Store`
    raises (:class:`OlderSchema` for a file the daemon has not upgraded yet)."""
    if not s.history.is_file():
        yield None
        return
    with Store(s.history, s.clock, readonly=True) as store:
        yield store


T = TypeVar("T")
C = TypeVar("C", bound=PrivateCopy)


def _file_state(path: Path) -> tuple[tuple[int, int] | None, ...]:
    """(modified, size) of the history and its write-ahead log (where a daemon still running
    commits): a copy made before either changed is out of date."""
    out: list[tuple[int, int] | None] = []
    for p in (path, path.with_name(path.name + "-wal")):
        try:
            st = os.stat(p)
            out.append((st.st_mtime_ns, st.st_size))
        except FileNotFoundError:
            out.append(None)
    return tuple(out)


class Installs:
    """What :func:`~sitwatch.runtime.service.installed` says (the service, autostart entries,
    systemd's state of each), asked at most once per ``ttl`` seconds of the app's clock: the
    pages word their restart advice with it. Whether a daemon runs is read afresh each time
    (the status file, no process)."""

    def __init__(self, clock: Clock, ttl: float = INSTALLED_TTL) -> None:
        self.clock, self.ttl = clock, ttl
        self._lock = threading.Lock()  # the pages run on a thread pool: one asks, the rest wait
        self._asked: tuple[float, list[Installed]] | None = None

    def __call__(self) -> list[Installed]:
        with self._lock:
            now = self.clock.monotonic()
            if self._asked is None or not 0 <= now - self._asked[0] < self.ttl:
                self._asked = (now, installed())
            return self._asked[1]


class Copied:
    """The pages read a private copy when the history file cannot be read as it is: what can
    still be read of a damaged one (:class:`~sitwatch.history.readable.ReadableCopy`), or one
    of an older schema brought up to date (:class:`~sitwatch.history.readable.UpgradedCopy`).
    Made once per state of the file, and removed when the file changes or the app stops. The
    file itself is left for the daemon, which repairs or upgrades it when it next opens it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # the pages run on a thread pool
        self._copy: tuple[tuple[object, ...], PrivateCopy] | None = None

    def read(self, s: Settings, kind: type[C], fn: Callable[[Store], T]) -> tuple[T, C]:
        """``fn`` on a copy of ``kind`` (raises what making one raises) and the copy."""
        key = (kind, _file_state(s.history))
        with self._lock:
            if self._copy is None or self._copy[0] != key:
                if self._copy is not None:
                    self._copy[1].close()
                    self._copy = None
                self._copy = (key, kind(s.history, s.clock))
            copy = self._copy[1]
        assert isinstance(copy, kind)
        store = copy.open()
        try:
            return fn(store), copy
        finally:
            store.close()

    def close(self) -> None:
        with self._lock:
            if self._copy is not None:
                self._copy[1].close()
                self._copy = None


def _quoted(text: str) -> str:
    """Words for a terminal in a page: `commands` in backticks read as quoted."""
    return re.sub(r"`([^`]+)`", "\u201c\\1\u201d", text)


# -- the pages --------------------------------------------------------------------------------

NAV = (("/", "Live", "live"), ("/today", "Today", "today"), ("/week", "This week", "week"),
       ("/weeks", "Past weeks", "weeks"), ("/month", "Month", "month"),
       ("/diary", "Diary", "diary"), ("/settings", "Settings", "settings"))


class Pages:
    def __init__(self, s: Settings) -> None:
        self.s = s
        self.env = _environment()
        self.copied = Copied()
        self.installs = Installs(s.clock)
        #: the diary forms already saved (each page's form has its own id) -> the entry's id:
        #: a double click, or the browser sending the form again, saves one entry, not two
        self.sent: OrderedDict[str, int] = OrderedDict()

    def read(self, fn: Callable[[Store | None], T]) -> tuple[T, str]:
        """``fn`` on the history (None when there is none yet), and a note to show with the
        page: empty, unless the file is of an older schema (an upgraded copy is shown) or
        damaged (what can still be read of it is shown; raises
        :class:`~sitwatch.history.readable.Unreadable` when nothing can)."""
        try:
            try:
                with _reader(self.s) as store:
                    return fn(store), self.kept_apart(store)
            except OlderSchema:
                got, upgraded = self.copied.read(self.s, UpgradedCopy, fn)
                note = upgraded.note
                return got, f"{note[:1].upper()}{note[1:]}. {self.restart(UpgradedCopy.upgrade)}"
        except (StoreError, sqlite3.DatabaseError) as e:
            if not is_damage(e):
                raise
            log.warning("history %s is damaged: %s; showing what can still be read",
                        self.s.history, e)
            got, salvaged = self.copied.read(self.s, ReadableCopy, fn)
            return got, (
                f"The history file {self.s.history} is damaged ({e}), so these pages show "
                f"what could still be read from it: {salvaged.salvaged.summary()}. sitwatch "
                "repairs the file the same way when the daemon next starts.")

    def kept_apart(self, store: Store | None) -> str:
        """The note for a history with no sitting of its own yet (a diary entry made it) while
        the daemon kept one apart when it watched the simulator, as ``sitwatch report`` says;
        empty otherwise."""
        if store is None or self.s.history_named:
            return ""
        kept = simulated_history_instead(self.s.cfg, store)
        return "" if kept is None else (
            "sitwatch has not watched a seat of its own yet. What it recorded while it watched "
            f"the simulator is kept apart, in {kept}: to see it here, start the web app with "
            f"sitwatch serve --history {kept}")

    def unreadable(self, request: Request, exc: Exception) -> Response:
        return self.page("message.html.j2", "", status_code=503,
                         title="The history cannot be read",
                         text=self.shown(
                             f"{str(exc)[:1].upper()}{str(exc)[1:]}. " + self.restart(
                                 "set the damaged file aside and start a fresh one")))

    def restart(self, what: str) -> str:
        """How to have sitwatch do ``what``, for the situation at hand (restart_hint), in a
        page's words: no pid (of no use in a browser, and on the LAN it tells others about this
        computer), no backticks."""
        return _quoted(restart_hint(self.s.cfg, what, show_pid=False, found=self.installs()))

    def not_found(self, request: Request, exc: Exception) -> Response:
        """An address that is no page (a typo, an old bookmark): the app's page saying so,
        with its pages above it, instead of a bare "Not Found"."""
        return self.page("message.html.j2", "", status_code=404, title="No such page",
                         text=f"There is no page at {request.url.path}: the pages are listed "
                              "at the top.")

    def full_page(self, html: str, active: str, note: str) -> HTMLResponse:
        """A report page (its own HTML document) with the app's pages above it."""
        top = self.env.get_template("weeknav.html.j2").render(nav=NAV, active=active,
                                                              note=self.shown(note))
        return HTMLResponse(html.replace("<body>", "<body>" + top, 1))

    def no_history(self, active: str) -> HTMLResponse:
        """The page for a history that does not exist yet; it names the simulator's history
        when that one has data (the daemon keeps it apart while it watches the simulator),
        as ``sitwatch report`` does."""
        kept = None if self.s.history_named else simulated_history(self.s.cfg)
        return self.page("nohistory.html.j2", active, path=self.shown(str(self.s.history)),
                         kept=self.shown(str(kept)) if kept is not None else "")

    def now(self) -> datetime:
        return self.s.clock.now().astimezone(self.s.tz)

    def shown(self, text: str) -> str:
        """``text`` (a path, or words naming one) as the pages show it: on the LAN (with a
        token) the home directory is written ``~``, because its name is most often the
        user's, and the other devices need no more than where under it the file is. This
        computer's own view (loopback, no token) keeps the whole path."""
        return text if self.s.token is None else home_as_tilde(text)

    def page(self, template: str, active: str, status_code: int = 200, note: str = "",
             **ctx: Any) -> HTMLResponse:
        html = self.env.get_template(template).render(
            nav=NAV, active=active, lan=self.s.token is not None, note=self.shown(note), **ctx)
        return HTMLResponse(html, status_code=status_code)

    # -- live status --

    def status_view(self) -> dict[str, Any]:
        d = read_status(self.s.status, self.s.clock, stale_after=self.s.stale_after)
        # no process id: of no use in a browser, and on the LAN it tells others about this
        # computer (`sitwatch status` in a terminal keeps it)
        text = format_status(d, pid=False, restart=self.restart)
        lines = _quoted(text).splitlines()  # the status file's words are for a terminal
        try:
            state = bar_state(d)
            spell = float(d.get("spell_seconds") or 0.0) if d.get("running") else 0.0
        except DAMAGED:  # the file's values are not what sitwatch writes: the text says so
            state, spell = "error", 0.0
        return {
            "running": bool(d.get("running")),
            "state": state,
            "headline": lines[0] if lines else "",
            "detail": lines[1:] if len(lines) > 1 else [],
            "spell_seconds": spell,
            "updated": d.get("updated"),
        }

    async def live(self, request: Request) -> Response:
        return self.page("live.html.j2", "live", status=self.status_view(),
                         poll_ms=STATUS_POLL_MS)

    async def api_status(self, request: Request) -> Response:
        return JSONResponse(self.status_view(), headers={"Cache-Control": "no-store"})

    # -- today --

    def today(self, request: Request) -> Response:
        now = self.now()

        def get(store: Store | None) -> tuple[Any, diary.DiarySection, Any] | None:
            if store is None:
                return None
            start, end = day_bounds(now.date(), self.s.tz)
            s = day_summary(store, now.date(), self.s.tz)
            # a demo's history read after midnight: its day is not today (nor is `sitwatch run`
            # what fills it)
            demo = None if s.has_data else demo_days(store, self.s.tz)
            return s, diary.section(store, start, end), demo

        got, note = self.read(get)
        if got is None:
            return self.no_history("today")
        s, sec, demo = got
        rows = []
        empty = (f"No sitting recorded today. {demo_days_text(*demo)}.".replace("`", "")
                 if demo else "")  # the page's words have no code spans
        if s.has_data and not s.sat:  # watched, nobody sat yet: no row of 0%
            empty = no_sitting_text(s, "today")
            rows = no_sitting_rows(s)
        elif s.has_data:
            rows = [
                ("Sitting", fmt_minutes(s.sitting_minutes)),
                ("Longest spell", longest_spell_text(s)),
                ("Breaks", str(s.breaks)),
                ("Posture", posture_shares_text(s, ", ")),
                ("Weight on one side", lopsided_text(
                    s.lopsided_left_minutes, s.lopsided_right_minutes,
                    measured=s.balance_measured, sides=False,
                    over=cushion_part(s.cushion_minutes, s.sitting_minutes))),
                ("Nudges", nudges_text(s)),
                *offline_texts(s),  # "Cushion offline", as `sitwatch report` has them
            ]
            # as `sitwatch report` has them for the day (the page left them out)
            lim = self.s.cfg.detect.sit_limit
            if s.spells_over(lim):
                rows.append(("Sitting debt", debt_text(s.sitting_debt(lim), s.spells_over(lim),
                                                       lim)))
            shifts = shifts_text(s)
            if shifts:
                rows.append(("Weight shifts", shifts))
            if s.wallet_suspected:
                rows.append(("Back pocket", back_pocket_text(s.wallet_suspected)))
        return self.page("today.html.j2", "today", title=f"{now:%A} {now.day} {now:%B}",
                         rows=rows, empty=empty, diary=diary.view(sec), note=note)

    # -- weeks --

    def week(self, request: Request) -> Response:
        now = self.now()
        text = request.path_params.get("day")
        if text:
            try:
                day = check_day(date.fromisoformat(text), repr(text))
            except PeriodError as e:
                return self.page("message.html.j2", "weeks", status_code=404,
                                 title="No such week", text=f"{e}.")
            except ValueError:
                return self.page("message.html.j2", "weeks", status_code=404,
                                 title="No such week", text=f"{text!r} is not a date.")
        else:
            # this calendar week, Monday to Sunday (the days to come are shown as such), as
            # "Past weeks" lists them: the seven days to today overlapped two of those
            day = now.date() + timedelta(days=6 - now.weekday())
        html, note = self.read(lambda store: None if store is None else render_week(
            store, day, self.s.tz, sit_limit=self.s.cfg.detect.sit_limit, now=now))
        if html is None:
            return self.no_history("week")
        return self.full_page(html, "week" if not text else "weeks", note)

    def weeks(self, request: Request) -> Response:
        now = self.now()
        today = now.date()
        last_sunday = today - timedelta(days=(today.weekday() + 1) % 7)
        first, _ = heatmap_weeks(today)

        def get(store: Store | None) -> tuple[list[dict[str, str]], dict[date, float]] | None:
            if store is None:
                return None
            rows = []
            for k in range(PAST_WEEKS):
                end_day = last_sunday - timedelta(weeks=k)
                a, _ = day_bounds(end_day - timedelta(days=6), self.s.tz)
                _, b = day_bounds(end_day, self.s.tz)
                secs = store.connection.execute(
                    "SELECT coalesce(sum(seconds_occupied), 0) FROM minutes "
                    "WHERE epoch >= ? AND epoch < ?", (a.timestamp(), b.timestamp())
                ).fetchone()[0]
                rows.append({"href": f"/week/{end_day.isoformat()}",
                             "title": week_title(end_day),
                             "sitting": fmt_minutes(secs / 60) if secs else ""})
            return rows, daily_sitting_minutes(store, first, today, self.s.tz)

        got, note = self.read(get)
        if got is None:
            return self.no_history("weeks")
        rows, sitting = got
        while rows and not rows[-1]["sitting"]:
            rows.pop()  # before the first week with data
        heatmap = Markup(heatmap_svg(sitting, today, today=today)) \
            if any(v > 0 for v in sitting.values()) else None
        return self.page("weeks.html.j2", "weeks", rows=rows, heatmap=heatmap,
                         heatmap_legend=heatmap_legend(), note=note)

    # -- months (issue #11) --

    def month(self, request: Request) -> Response:
        now = self.now()
        text = request.path_params.get("month")
        day = now.date()
        if text:
            try:
                day = parse_month(text).first
            except PeriodError as e:
                return self.page("message.html.j2", "month", status_code=404,
                                 title="No such month", text=str(e))
        html, note = self.read(lambda store: None if store is None else render_month(
            store, day, self.s.tz, sit_limit=self.s.cfg.detect.sit_limit,
            min_break=self.s.cfg.detect.occupancy.min_break, now=now, links=True))
        if html is None:
            return self.no_history("month")
        return self.full_page(html, "month", note)

    # -- the diary --

    def diary_page(self, request: Request, *, error: str = "", form: dict[str, Any] | None = None,
                   status_code: int = 200, invalid: str | None = None) -> Response:
        """The diary and its form; ``error`` above the form, and ``invalid`` (a field's name)
        the field it is about, marked for screen readers."""
        now = self.now()
        sec, note = self.read(lambda store: None if store is None else diary.section(
            store, now - timedelta(days=DIARY_DAYS), now + timedelta(seconds=1)))
        wanted = request.query_params.get("saved")
        saved = None if sec is None else next(
            (i for i in sec.items if str(i.entry.id) == wanted), None)
        view = diary.view(sec) if sec is not None else None
        if view is not None:
            view["items"] = list(reversed(view["items"]))  # type: ignore[call-overload]
        return self.page(
            "diary.html.j2", "diary", status_code=status_code, diary=view, error=error,
            invalid=invalid or "",
            form=form or {}, form_key=self.s.form_key, form_id=secrets.token_urlsafe(12),
            kinds=list(SymptomKind),
            sides=list(BodySide), areas=list(BodyArea), also=list(AlsoNoticed),
            max_note=MAX_NOTE, saved=saved,
            saved_care=diary.seek_care_lines(saved.flags) if saved else [], note=note,
            side_words={BodySide.LEFT: "left", BodySide.RIGHT: "right",
                        BodySide.BOTH: "both sides"})

    def diary_get(self, request: Request) -> Response:
        return self.diary_page(request)

    async def diary_post(self, request: Request) -> Response:
        body = (await request.body())[:8192].decode("utf-8", "replace")
        fields = {k: v[-1] for k, v in parse_qs(body, keep_blank_values=True).items()}
        also_given = parse_qs(body).get("also", [])
        # what comes back with an error, as typed: the boxes ticked too (warning signs)
        typed: dict[str, Any] = {**fields, "also": also_given}
        if not _same_origin(request):
            return PlainTextResponse("403: this form was not sent from this page; reload the "
                                     "diary page and try again", status_code=403)
        if not matches(fields.get("form_key"), self.s.form_key):
            # from this site, but a page served before `sitwatch serve` last started (its
            # form key is new each start): nothing is saved, and what was typed comes back
            # with a fresh key, to send again
            typed.pop("form_key", None)
            return self.diary_page(
                request, status_code=409, form=typed,
                error="this page was opened before sitwatch's web app last started, so the "
                      "entry was not saved: it is below as you typed it; send it again")
        def pick(kind: type[Any], value: str, what: str, name: str) -> Any:
            try:
                return kind(value)
            except ValueError:
                raise DiaryError(f"choose {what} from the list", name) from None

        try:
            sev = fields.get("severity", "").strip()
            if sev and not (sev.isascii() and sev.isdigit()):
                raise DiaryError("give the severity as a number from 1 to 10", "severity")
            entry = SymptomEntry(
                at=self.now(),
                kind=pick(SymptomKind, fields.get("kind", ""), "what you felt", "kind"),
                side=pick(BodySide, fields["side"], "the side", "side")
                if fields.get("side") else None,
                area=pick(BodyArea, fields["area"], "where", "area")
                if fields.get("area") else None,
                severity=int(sev) if sev else None,
                # one character as the browser counts it: an accent typed as a letter and a
                # combining mark is one (the form's maxlength agrees)
                note=unicodedata.normalize("NFC", fields.get("note", "").strip()),
                also=tuple(pick(AlsoNoticed, a, "what else you noticed", "also")
                           for a in also_given),
                source="web",
            )
        except DiaryError as e:
            return self.diary_page(request, error=str(e), form=typed, status_code=400,
                                   invalid=e.field)
        form_id = fields.get("form_id", "")
        if form_id in self.sent:  # this very form was saved already: show that entry
            return RedirectResponse(f"/diary?saved={self.sent[form_id]}#saved", status_code=303)
        try:
            store = Store(self.s.history, self.s.clock)
            try:
                new_id = add_entry(store.connection, entry)
            finally:
                store.close()
        except (StoreError, sqlite3.Error) as e:
            log.warning("diary entry not saved: %s", e)
            return self.diary_page(request, error=f"could not save the entry: {e}", form=typed,
                                   status_code=500)
        if form_id:
            self.sent[form_id] = new_id
            while len(self.sent) > SENT_KEPT:
                self.sent.popitem(last=False)
        return RedirectResponse(f"/diary?saved={new_id}#saved", status_code=303)

    # -- settings --

    async def settings(self, request: Request) -> Response:
        from sitwatch import config

        return self.page("settings.html.j2", "settings",
                         text=self.shown(config.render(redacted_config(self.s.cfg),
                                                       header=SETTINGS_HEADER)),
                         config_file=self.shown(self.s.config_file or ""),
                         user_config=self.shown(self.s.user_config),
                         history=self.shown(str(self.s.history)),
                         status_file=self.shown(str(self.s.status)),
                         restart=self.restart("use the changed settings"))

    async def asset(self, request: Request) -> Response:
        name = request.path_params["name"]
        media = {"live.js": "text/javascript", "style.css": "text/css"}.get(name)
        if media is None:
            return PlainTextResponse("404", status_code=404)
        return Response(_asset(name), media_type=media,
                        headers={"Cache-Control": "no-cache"})


def home_as_tilde(text: str, home: str | None = None) -> str:
    """``text`` with the home directory (``home``, default the user's) written ``~`` wherever
    a path starts with it: ``/home/alice/.local/share/sitwatch/history.sqlite`` becomes
    ``~/.local/share/sitwatch/history.sqlite``; ``/home/alicia`` is another folder and stays.
    A home of ``/`` (or none known) changes nothing."""
    home = (home if home is not None else os.path.expanduser("~")).rstrip("/")
    if not home or home == "~":
        return text
    return re.sub(r"(?<![\w./~-])" + re.escape(home) + r"(?=/|$|[\s\"'<>,;:)])", "~", text)


def _same_origin(request: Request) -> bool:
    """The browser's Origin (else Referer), when it sends one, names this site."""
    host = request.headers.get("host", "")
    origin = request.headers.get("origin")
    if origin is not None:
        return origin != "null" and urlsplit(origin).netloc == host
    referer = request.headers.get("referer")
    if referer is not None:
        return urlsplit(referer).netloc == host
    return True  # neither sent (not a browser): the form key alone decides


# -- the guards -------------------------------------------------------------------------------

class Guard:
    """Security headers on every response; the token, when one is set, on every request."""

    def __init__(self, app: ASGIApp, token: str | TokenFile | None) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                for k, v in (
                    (b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                    (b"x-frame-options", b"DENY"),
                ):
                    if k not in names:
                        headers.append((k, v))
                message = {**message, "headers": headers}
            await send(message)

        if self.token is None and not _loopback_host(scope):
            # No token: only this computer may ask, by a loopback name. A page on another
            # site whose name was made to point at 127.0.0.1 (DNS rebinding) sends its own
            # name as Host, and its Origin agrees with it, so it would pass every other check.
            refused = PlainTextResponse(
                "421: this is sitwatch's web app on this computer only: open it as "
                "http://127.0.0.1 (or http://localhost) with its port", status_code=421)
            await refused(scope, receive, send_with_headers)
            return
        if self.token is not None:
            token = current(self.token)  # a changed token file counts from the next request
            request = Request(scope)
            from_query = request.query_params.get("token")
            auth = request.headers.get("authorization", "")
            bearer = auth[7:] if auth.lower().startswith("bearer ") else None
            given = from_query or request.cookies.get(COOKIE) or bearer
            if not matches(given, token):
                response: Response = PlainTextResponse(
                    "401 Unauthorized", status_code=401,
                    headers={"WWW-Authenticate": 'Bearer realm="sitwatch"'})
                await response(scope, receive, send_with_headers)
                return
            if from_query and request.method == "GET":
                # Out of the address bar (and the history, and any Referer): into a cookie.
                rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
                query = urlencode(rest)
                target = request.url.path + (f"?{query}" if query else "")
                response = RedirectResponse(target, status_code=303)
                response.set_cookie(COOKIE, token, max_age=400 * 86400, httponly=True,
                                    samesite="strict", path="/")
                await response(scope, receive, send_with_headers)
                return
        await self.app(scope, receive, send_with_headers)


#: The names a browser on this computer uses for it (without a token, the only ones answered).
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1", "localhost.localdomain"})


def _loopback_host(scope: Scope) -> bool:
    """The request's Host header names this computer's loopback (any port); a request with no
    Host (HTTP/1.0, not a browser) is let through to the other checks."""
    host = next((v.decode("latin-1") for k, v in scope.get("headers", ()) if k == b"host"), None)
    if host is None:
        return True
    name = host.rsplit("]", 1)[0].lstrip("[") if host.startswith("[") else host.split(":")[0]
    name = name.lower().rstrip(".")
    return name in LOOPBACK_NAMES or name.startswith("127.")


def create_app(s: Settings) -> ASGIApp:
    p = Pages(s)
    routes = [
        Route("/", p.live),
        Route("/api/status", p.api_status),
        Route("/today", p.today),
        Route("/week", p.week),
        Route("/week/{day}", p.week),
        Route("/weeks", p.weeks),
        Route("/month", p.month),
        Route("/month/{month}", p.month),
        Route("/diary", p.diary_get, methods=["GET"]),
        Route("/diary", p.diary_post, methods=["POST"]),
        Route("/settings", p.settings),
        Route("/static/{name}", p.asset),
        Route("/favicon.ico", lambda r: Response(status_code=204)),
    ]
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        p.copied.close()  # the copy of a damaged or older history, if one was made

    app = Starlette(routes=routes, exception_handlers={Unreadable: p.unreadable, 404: p.not_found},
                    lifespan=lifespan)
    return Guard(app, s.token)

