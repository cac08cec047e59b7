"""Reports and exports from a history the real daemon filled from the simulator in accelerated
time (issues #11 and #13): a week with a sensor gap and the end of summer time in Berlin
(Sunday 2026-10-25, a 25-hour day). ``sitwatch report`` and ``sitwatch export`` run as
subprocesses; every figure is checked against numbers this file works out itself from the raw
SQLite rows (the ``sqlite3`` module and ``zoneinfo``), not through sitwatch's queries."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import fields
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from sitwatch.config import Config
from sitwatch.core.clock import ManualClock
from sitwatch.core.kinds import BodyArea, BodySide, SymptomKind
from sitwatch.history.diary import SymptomEntry, add_entry
from sitwatch.history.queries import DaySummary, day_summary, days_summaries
from sitwatch.history.store import Store
from sitwatch.runtime.daemon import Daemon
from sitwatch.sensing.layout import load
from sitwatch.sim.script import default_day
from sitwatch.sim.simulator import Simulator
from sitwatch.sources.base import Status
from sitwatch.sources.sim import SimSource
from tests.helpers.report_text import row_value, rows_joined

ROOT = Path(__file__).resolve().parents[2]
BERLIN = ZoneInfo("Europe/Berlin")
HZ = 2.0
LIMIT = 2700.0  # the default detect.sit_limit
GAP = (3 * 3600.0, 3 * 3600.0 + 20 * 60)  # simulated seconds of the Friday with the cushion off
#: (UTC start of the simulated day, seed, with a sensor gap)
DAYS = [
    (datetime(2026, 10, 23, 6, 30, tzinfo=UTC), 11, True),  # Friday, 08:30 summer time
    (datetime(2026, 10, 25, 14, 0, tzinfo=UTC), 12, False),  # Sunday 15:00 CET, ends ~23:30
]
SYMPTOM_AT = datetime(2026, 10, 25, 21, 30, tzinfo=UTC)  # 22:30 CET


class GappySource(SimSource):
    """The virtual cushion, unplugged for ``gap`` simulated seconds: no frames, and the
    offline/online changes a serial source reports."""

    def __init__(self, *a: Any, gap: tuple[float, float] | None = None, **kw: Any) -> None:
        super().__init__(*a, **kw)
        self.gap = gap
        self.state = "before"

    def poll(self, max_wait: float) -> list[Any]:
        items = super().poll(max_wait)
        if self.gap is None:
            return items
        g0, g1 = self.gap
        out: list[Any] = []
        for it in items:
            if g0 <= it.t < g1:
                if self.state == "before":
                    out.append(Status(it.t, False, "unplugged"))
                    self.state = "off"
                continue
            if self.state == "off":
                out.append(Status(it.t, True))
                self.state = "after"
            out.append(it)
        return out


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("seeded")
    db = tmp / "history.sqlite"
    layout = load("smartchair-12")
    cfg = Config()
    for start, seed, gap in DAYS:
        clock = ManualClock(start)
        src = GappySource(Simulator(layout, default_day(seed), HZ, seed), clock,
                          gap=GAP if gap else None)
        daemon = Daemon(cfg, layout, src, clock, store=Store(db, clock))
        try:
            while not src.done:
                daemon.step(0)
        finally:
            daemon.close()
    store = Store(db, ManualClock(SYMPTOM_AT))
    add_entry(store.connection, SymptomEntry(at=SYMPTOM_AT, kind=SymptomKind.NUMBNESS,
                                             side=BodySide.LEFT, area=BodyArea.BUTTOCK,
                                             severity=4, note="after the film", source="cli"))
    store.close()
    return db


def _sitwatch(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TZ": "Europe/Berlin"}
    return subprocess.run([sys.executable, "-m", "sitwatch", *argv, "--no-user-config"],
                          capture_output=True, text=True, timeout=120, env=env, cwd=cwd)


# -- the independent computation ------------------------------------------------------------

def _local_day(epoch: float) -> date:
    return datetime.fromtimestamp(epoch, UTC).astimezone(BERLIN).date()


def expected(db: Path) -> dict[date, dict[str, Any]]:
    """Per Berlin day, from the raw rows: seated and offline minutes (a row of more than a
    minute counted evenly over its minutes), breaks and their lengths, the spells (from each
    ``break`` event's ``spell``, and the last one of a run from the break before it to the
    last time the seat emptied, on the run's own clock) and the debt past 45 minutes."""
    conn = sqlite3.connect(db)
    out: dict[date, dict[str, Any]] = defaultdict(lambda: {
        "sitting": 0.0, "offline": 0.0, "breaks": [], "spells": []})
    for epoch, span, occupied, present, online in conn.execute(
            "SELECT epoch, span, seconds_occupied, seconds_present, sensor_online_seconds "
            "FROM minutes"):
        n = max(1, int(span or 60) // 60)
        for i in range(n):
            d = out[_local_day(epoch + 60 * i)]
            d["sitting"] += occupied / n / 60
            d["offline"] += max(0.0, present - online) / n / 60
    runs = [r for (r,) in conn.execute("SELECT run_id FROM runs ORDER BY started")]
    for run in runs:
        evs = conn.execute("SELECT epoch, t, event, state, data FROM events WHERE run_id = ? "
                           "AND event IN ('break', 'occupancy') ORDER BY id", (run,)).fetchall()
        spell_from: tuple[float, float] | None = None
        last_empty: tuple[float, float] | None = None
        for epoch, t, event, state, data in evs:
            if event == "break":
                info = json.loads(data)
                day = out[_local_day(epoch)]
                day["breaks"].append(info["duration"])
                day["spells"].append(info["spell"])
                spell_from, last_empty = (epoch, t), None
            elif state == "occupied" and spell_from is None:
                spell_from = (epoch, t)
            elif state == "empty" and spell_from is not None:
                last_empty = (epoch, t)
        if spell_from is not None and last_empty is not None:
            out[_local_day(last_empty[0])]["spells"].append(last_empty[1] - spell_from[1])
    for d in out.values():
        mins = [b / 60 for b in d["breaks"]]
        d["lengths"] = [sum(1 for m in mins if m < 5), sum(1 for m in mins if 5 <= m < 15),
                        sum(1 for m in mins if 15 <= m < 30), sum(1 for m in mins if m >= 30)]
        d["debt"] = sum(max(0.0, s - LIMIT) for s in d["spells"]) / 60
        d["over"] = sum(1 for s in d["spells"] if s > LIMIT)
        d["longest"] = max(d["spells"], default=0.0) / 60
    conn.close()
    return dict(out)


# -- the tests --------------------------------------------------------------------------------

FRI, SUN = date(2026, 10, 23), date(2026, 10, 25)


def test_the_seeded_history_is_what_the_tests_need(seeded: Path) -> None:
    exp = expected(seeded)
    assert set(d for d, v in exp.items() if v["sitting"] > 0) == {FRI, SUN}
    assert exp[FRI]["offline"] >= 15  # the 20-minute gap, seen as the cushion offline
    assert exp[SUN]["offline"] == 0
    assert exp[SUN]["debt"] > 0 and exp[SUN]["over"] >= 1  # spells ran past 45 minutes
    # the Sunday's last hour is after 22:00 UTC: on Sunday in Berlin (CET), on Monday if the
    # day were cut with the summer-time offset
    conn = sqlite3.connect(seeded)
    late = conn.execute("SELECT sum(seconds_occupied) FROM minutes WHERE epoch >= ?",
                        (datetime(2026, 10, 25, 22, 0, tzinfo=UTC).timestamp(),)).fetchone()[0]
    conn.close()
    assert late and late > 600


def test_week_as_json_matches_the_raw_rows(seeded: Path) -> None:
    proc = _sitwatch("report", "--week", "2026-W43", "--format", "json", "--history",
                     str(seeded))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["period"] == {"kind": "week", "name": "2026-W43", "first": "2026-10-19",
                             "last": "2026-10-25", "timezone": "Europe/Berlin"}
    exp = expected(seeded)
    days = {d["date"]: d for d in doc["days"]}
    assert list(days) == [str(date(2026, 10, 19) + timedelta(days=i)) for i in range(7)]
    for day in (FRI, SUN):
        got, e = days[str(day)], exp[day]
        assert got["sitting_minutes"] == round(e["sitting"], 1), day
        assert got["sensor_offline_minutes"] == round(e["offline"], 1), day
        assert got["breaks"] == len(e["breaks"]), day
        assert list(got["breaks_by_length"].values()) == e["lengths"], day
        assert got["spells_over_limit"] == e["over"], day
        assert got["sitting_debt_minutes"] == round(e["debt"], 1), day
        assert got["longest_spell_minutes"] == round(e["longest"], 1), day
    assert not days["2026-10-24"]["has_data"] and days["2026-10-24"]["sitting_minutes"] == 0
    tot = doc["totals"]
    assert tot["days_with_data"] == 2
    assert tot["breaks"] == len(exp[FRI]["breaks"]) + len(exp[SUN]["breaks"])
    assert tot["sitting_debt_minutes"] == round(exp[FRI]["debt"] + exp[SUN]["debt"], 1)
    assert tot["sitting_minutes"] == round(exp[FRI]["sitting"] + exp[SUN]["sitting"], 1)
    assert list(tot["breaks_by_length"].values()) == [
        a + b for a, b in zip(exp[FRI]["lengths"], exp[SUN]["lengths"], strict=True)]


def test_week_as_json_has_the_weight_shifts_the_text_tells(seeded: Path) -> None:
    """The cushion-only figures of the text report's "Weight shifts" line are in the JSON too,
    as numbers: counted from the raw ``stillness`` rows, the rate over the cushion's minutes."""
    conn = sqlite3.connect(seeded)
    shifts: dict[date, int] = defaultdict(int)
    static: dict[date, int] = defaultdict(int)
    for epoch, state in conn.execute("SELECT epoch, state FROM events WHERE event = 'stillness'"):
        (shifts if state == "shift" else static if state == "static" else {})[
            _local_day(epoch)] += 1
    cushion: dict[date, float] = defaultdict(float)
    for epoch, span, seen in conn.execute(
            "SELECT epoch, span, seconds_occupied_cushion FROM minutes"):
        n = max(1, int(span or 60) // 60)
        for i in range(n):
            cushion[_local_day(epoch + 60 * i)] += seen / n / 60
    conn.close()
    assert shifts[FRI] > 0 and shifts[SUN] > 0  # the simulated sitter moves
    proc = _sitwatch("report", "--week", "2026-W43", "--format", "json", "--history",
                     str(seeded))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    days = {d["date"]: d for d in doc["days"]}
    for day in (FRI, SUN):
        got = days[str(day)]
        assert (got["weight_shifts"], got["static_stretches"]) == (shifts[day], static[day])
        assert got["weight_shifts_per_hour"] == round(shifts[day] / (cushion[day] / 60), 1)
    # a day nobody sat: nothing to feel, so none (not unknown), and no rate
    assert (days["2026-10-24"]["weight_shifts"], days["2026-10-24"]["weight_shifts_per_hour"]) \
        == (0, None)
    tot = doc["totals"]
    total, seen = shifts[FRI] + shifts[SUN], cushion[FRI] + cushion[SUN]
    assert tot["weight_shifts"] == total
    assert tot["static_stretches"] == static[FRI] + static[SUN]
    assert tot["weight_shifts_per_hour"] == round(total / (seen / 60), 1)
    text = _sitwatch("report", "--week", "2026-W43", "--history", str(seeded))
    assert f"{total} weight shifts, about {total / (seen / 60):.0f} an hour seated" \
        in text.stdout, text.stdout


def _raw_shifts(db: Path, day: date) -> tuple[int, int, float]:
    """``day``'s weight shifts, static stretches and minutes the cushion saw, from the raw
    rows (a row of more than a minute counted evenly over its minutes)."""
    conn = sqlite3.connect(db)
    states = [state for epoch, state in conn.execute(
        "SELECT epoch, state FROM events WHERE event = 'stillness'") if _local_day(epoch) == day]
    cushion = 0.0
    for epoch, span, seen in conn.execute(
            "SELECT epoch, span, seconds_occupied_cushion FROM minutes"):
        n = max(1, int(span or 60) // 60)
        cushion += sum(seen / n / 60 for i in range(n) if _local_day(epoch + 60 * i) == day)
    conn.close()
    return states.count("shift"), states.count("static"), cushion


def _line(text: str, key: str) -> str:
    return next(ln for ln in rows_joined(text).splitlines() if ln.startswith(key))[16:].strip()


def test_the_day_report_has_the_weight_shifts_the_week_has(seeded: Path) -> None:
    """``sitwatch report`` (a day) says "Weight shifts" in the week's words: the seven days
    ending on Friday hold only Friday's sitting, so the week's line and the day's are the
    same, and both are the raw rows' count over the cushion's minutes. Before, only the week
    had the line: the day, the default report, never showed it."""
    shifts, static, cushion = _raw_shifts(seeded, FRI)
    assert shifts > 0 and cushion > 60  # the simulated sitter moves
    want = f"{shifts} weight shifts, about {shifts / (cushion / 60):.0f} an hour seated"
    if static:
        want += f"; {static} {'stretch' if static == 1 else 'stretches'} without one for too long"
    day = _sitwatch("report", "--day", str(FRI), "--history", str(seeded))
    week = _sitwatch("report", "--week", "--day", str(FRI), "--history", str(seeded))
    assert day.returncode == 0 and week.returncode == 0, day.stderr + week.stderr
    # no camera here: the cushion saw all the sitting it saw, so no "(over ...)"
    assert _line(day.stdout, "Weight shifts") == want, day.stdout
    assert _line(week.stdout, "Weight shifts") == want, week.stdout
    md = _sitwatch("report", "--day", str(FRI), "--format", "md", "--history", str(seeded))
    assert md.returncode == 0, md.stderr
    assert f"- **Weight shifts:** {want}\n" in md.stdout, md.stdout


def test_the_month_page_has_the_weight_shifts_the_text_has(seeded: Path, tmp_path: Path) -> None:
    """``sitwatch report --month --format html`` says "Weight shifts" as the week's page, the
    month's text and its Markdown do: the raw rows' count over the cushion's minutes of the
    month's two days with sitting. Before, the month's page had no such line."""
    counts = [_raw_shifts(seeded, d) for d in (FRI, SUN)]
    shifts, static = sum(c[0] for c in counts), sum(c[1] for c in counts)
    cushion = sum(c[2] for c in counts)
    want = f"{shifts} weight shifts, about {shifts / (cushion / 60):.0f} an hour seated"
    if static:
        want += f"; {static} {'stretch' if static == 1 else 'stretches'} without one for too long"
    out = tmp_path / "october.html"
    page = _sitwatch("report", "--month", "2026-10", "--format", "html", "-o", str(out),
                     "--history", str(seeded))
    text = _sitwatch("report", "--month", "2026-10", "--history", str(seeded))
    assert page.returncode == 0 and text.returncode == 0, page.stderr + text.stderr
    assert _line(text.stdout, "Weight shifts") == want, text.stdout
    html = out.read_text(encoding="utf-8")
    assert f'<p class="sub" id="shifts">Weight shifts: {want}.</p>' in html, html


def test_the_csv_has_the_weight_shifts_at_the_end(seeded: Path, tmp_path: Path) -> None:
    """``--format csv`` ends each row with the day's weight shifts, static stretches and rate
    (the raw rows' counts over the cushion's minutes), after every column it had before."""
    out = tmp_path / "w43.csv"
    proc = _sitwatch("report", "--week", "2026-W43", "--format", "csv", "-o", str(out),
                     "--history", str(seeded))
    assert proc.returncode == 0, proc.stderr
    header, *lines = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    # (then what no backrest sensor saw and a seat alone's leaning forward, added after them:
    # none on this chair)
    assert header[-6:] == ["cushion_minutes", "weight_shifts", "static_stretches",
                           "weight_shifts_per_hour", "recline_unseen_minutes",
                           "weight_forward_minutes"]
    rows = {ln[0]: ln for ln in lines}
    for day in (FRI, SUN):
        shifts, static, cushion = _raw_shifts(seeded, day)
        assert rows[str(day)][-5:] == [str(shifts), str(static),
                                       str(round(shifts / (cushion / 60), 1)), "0.0", "0.0"], day
    assert rows["2026-10-24"][-5:] == ["0", "0", "", "0.0", "0.0"]  # nobody sat: no rate


def test_the_two_day_builders_agree_on_a_real_history(seeded: Path) -> None:
    """``day_summary`` (the day report, the web app's day, the daemon's day summary) and
    ``days_summaries`` (weeks, months, the exports) give the same figures for every day of a
    history the daemon filled, the 25-hour day and the one with the cushion unplugged too."""
    store = Store(seeded, ManualClock(SYMPTOM_AT), readonly=True)
    try:
        first = date(2026, 10, 19)
        many = days_summaries(store, first, first + timedelta(days=7), BERLIN)
        for got in many:
            one = day_summary(store, got.day, BERLIN)
            for f in fields(DaySummary):
                a, b = getattr(one, f.name), getattr(got, f.name)
                if isinstance(a, float):
                    assert a == pytest.approx(b, abs=1e-6), (got.day, f.name)
                elif isinstance(a, Mapping):
                    assert a.keys() == b.keys(), (got.day, f.name)
                    assert all(a[k] == pytest.approx(b[k], abs=1e-6) for k in a), (
                        got.day, f.name)
                else:
                    assert a == b, (got.day, f.name)
        fri, sun = (many[(d - first).days] for d in (FRI, SUN))
        assert fri.weight_shifts and sun.weight_shifts and fri.breaks and sun.spells
    finally:
        store.close()


def test_month_as_csv_and_text(seeded: Path, tmp_path: Path) -> None:
    out = tmp_path / "october.csv"
    proc = _sitwatch("report", "--month", "2026-10", "--format", "csv", "-o", str(out),
                     "--history", str(seeded))
    assert proc.returncode == 0, proc.stderr
    assert out.stat().st_mode & 0o777 == 0o600
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert len(rows) == 31 and rows[0]["date"] == "2026-10-01"
    exp = expected(seeded)
    sun = next(r for r in rows if r["date"] == "2026-10-25")
    assert float(sun["sitting_minutes"]) == round(exp[SUN]["sitting"], 1)
    assert float(sun["sitting_debt_minutes"]) == round(exp[SUN]["debt"], 1)
    assert [int(sun[f"breaks_{k}"]) for k in ("under_5", "5_15", "15_30", "30_plus")] \
        == exp[SUN]["lengths"]
    assert sum(float(r["sitting_minutes"]) for r in rows) == pytest.approx(
        round(exp[FRI]["sitting"], 1) + round(exp[SUN]["sitting"], 1))

    text = _sitwatch("report", "--month", "2026-10", "--history", str(seeded))
    assert text.returncode == 0, text.stderr
    total_debt = exp[FRI]["debt"] + exp[SUN]["debt"]
    debt_line = row_value(text.stdout, "Sitting debt")
    h, m = divmod(round(total_debt), 60)
    assert (f"{h} h {m} min" if h else f"{m} min") in debt_line
    assert "October 2026" in text.stdout

    md = _sitwatch("report", "--week", "2026-W43", "--format", "md", "--history", str(seeded))
    assert md.returncode == 0 and md.stdout.startswith("# sitwatch: Mon 19 Oct")
    assert "| Sun 2026-10-25 |" in md.stdout and "**Sitting debt:**" in md.stdout


def test_week_page_and_month_page(seeded: Path, tmp_path: Path) -> None:
    week = tmp_path / "week.html"
    proc = _sitwatch("report", "--week", "2026-W43", "--format", "html", "-o", str(week),
                     "--open", "--history", str(seeded))
    assert proc.returncode == 0, proc.stderr
    html = week.read_text(encoding="utf-8")
    assert 'id="breaks"' in html and 'id="debt"' in html and 'id="heatmap"' in html
    assert 'data-day="2026-10-25"' in html
    month = tmp_path / "month.html"
    proc = _sitwatch("report", "--month", "2026-10", "--format", "html", "-o", str(month),
                     "--history", str(seeded))
    assert proc.returncode == 0, proc.stderr
    page = month.read_text(encoding="utf-8")
    assert "October 2026" in page and page.count('<td class="') >= 31
    assert "https://" not in page and "http://" not in page and "<script" not in page


@pytest.mark.parametrize("argv", [
    ("--week", "2026-W54"), ("--week", "47"), ("--month", "2026-13"), ("--month", "Nov"),
    ("--format", "csv", "--open"),
])
def test_a_bad_period_is_a_clear_error(seeded: Path, argv: tuple[str, ...]) -> None:
    proc = _sitwatch("report", *argv, "--history", str(seeded))
    assert proc.returncode == 2, proc.stdout
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("sitwatch: ") and ("write" in proc.stderr
                                                     or "--open" in proc.stderr
                                                     or "ISO weeks" in proc.stderr)


def test_export_for_a_physiotherapist(seeded: Path, tmp_path: Path) -> None:
    proc = _sitwatch("export", "--since", "2026-10-23", "--until", "2026-10-25", "--csv",
                     "-o", str(tmp_path / "oct"), "--history", str(seeded))
    assert proc.returncode == 0, proc.stderr
    files = {n: tmp_path / f"oct-{n}.csv" for n in ("minutes", "events", "symptoms")}
    for f in files.values():
        assert f.stat().st_mode & 0o777 == 0o600, f
    conn = sqlite3.connect(seeded)
    a = datetime(2026, 10, 23, tzinfo=BERLIN).timestamp()
    b = datetime(2026, 10, 26, tzinfo=BERLIN).timestamp()
    n_minutes = sum(max(1, (span or 60) // 60) for epoch, span in conn.execute(
        "SELECT epoch, span FROM minutes") if a <= epoch < b)
    n_events = conn.execute("SELECT count(*) FROM events WHERE epoch >= ? AND epoch < ?",
                            (a, b)).fetchone()[0]
    seated = conn.execute("SELECT sum(seconds_occupied) FROM minutes").fetchone()[0]
    conn.close()
    minutes = list(csv.DictReader(files["minutes"].open(encoding="utf-8")))
    assert len(minutes) == n_minutes
    assert sum(float(r["seconds_seated"]) for r in minutes) == pytest.approx(seated, abs=1)
    events = list(csv.DictReader(files["events"].open(encoding="utf-8")))
    assert len(events) == n_events
    assert {"break", "occupancy", "posture", "nudge"} <= {e["event"] for e in events}
    symptoms = list(csv.DictReader(files["symptoms"].open(encoding="utf-8")))
    assert symptoms == [{"time": "2026-10-25T22:30:00+01:00", "kind": "numbness",
                         "side": "left", "where": "buttock", "severity": "4", "also": "",
                         "note": "after the film", "source": "cli"}]

    js = _sitwatch("export", "--since", "2026-10-25", "--json", "--until", "2026-10-25",
                   "--history", str(seeded))
    assert js.returncode == 0, js.stderr
    doc = json.loads(js.stdout)
    assert doc["schema"] == "sitwatch-export/1" and doc["timezone"] == "Europe/Berlin"
    assert doc["symptoms"][0]["severity"] == 4 and doc["symptoms"][0]["also"] == []
    sun = expected(seeded)[SUN]
    assert sum(m["seconds_seated"] for m in doc["minutes"]) / 60 == pytest.approx(
        sun["sitting"], abs=0.05)
    assert sorted(e["data"]["duration"] for e in doc["events"] if e["event"] == "break") \
        == sorted(sun["breaks"])
    # the 25-hour day: its minutes run from 00:00 CEST (22:00 UTC the day before) to 24:00 CET
    firsts = [m["minute"] for m in doc["minutes"]]
    assert all(m.startswith("2026-10-25T") for m in firsts)

    bad = _sitwatch("export", "--since", "2026-10-25", "--until", "2026-10-01", "--json",
                    "--history", str(seeded))
    assert bad.returncode == 2 and "swap them" in bad.stderr
    bad = _sitwatch("export", "--since", "yesterday", "--json", "--history", str(seeded))
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr
