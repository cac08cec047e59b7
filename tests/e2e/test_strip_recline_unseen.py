"""The minute strip of the weekly page (`sitwatch report --format html`) in a week that a chair
with backrest sensors watched on one day and a seat alone on another. The legend shows
"reclined" (the chair could see it), and the seat alone's hour was drawn and named "upright":
read against that legend, it said you never reclined then, which a seat cannot see. Now its
stretches say reclining was not seen there, and a line above the strip names the time."""

from __future__ import annotations

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

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
MON, TUE = date(2026, 11, 16), date(2026, 11, 17)


def _page(tmp: Path, *, chair: bool) -> str:
    """The week's page: Monday (``chair``: a chair with backrest sensors, 40 min upright and
    20 reclined; else the seat alone too), Tuesday an hour upright on a seat alone."""
    db = tmp / "h.sqlite"
    clock = ManualClock(datetime(2026, 11, 16, 8, tzinfo=TZ))
    with Store(db, clock) as store:
        s = Sitter(store, clock)
        s.at(MON, 9, layout="smartchair-12" if chair else "fsr-cushion-9")
        s.sit(40, back=chair)
        if chair:
            s.sit(20, Posture.RECLINED)
        s.away(10)
        s.at(TUE, 9, layout="fsr-cushion-9")
        s.sit(60, back=False)
        s.away(10)
        store.end_run()
    out = tmp / "week.html"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TZ": "Europe/Berlin"}
    proc = subprocess.run([sys.executable, "-m", "sitwatch", "report", "--no-user-config",
                           "--week", "2026-W47", "--format", "html", "-o", str(out),
                           "--history", str(db)], capture_output=True, text=True, env=env,
                          timeout=120)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    html = out.read_text(encoding="utf-8")
    start = html.index('id="timeline-title"')
    return html[start:html.index("</section>", start)]


def _stretches(card: str, day: str) -> list[str]:
    row = re.search(rf'<g class="day-row" aria-label="{day}">(.*?)</g>', card, re.S)
    assert row is not None, card
    return re.findall(r"<rect class=\"[a-z]+\"[^>]*><title>([^<]*)</title>", row[1])


def test_a_seat_alones_stretch_says_reclining_was_not_seen(tmp_path: Path) -> None:
    card = _page(tmp_path, chair=True)
    assert "09:40–10:00 reclined" in _stretches(card, "Mon 16")
    assert not any("not seen" in t for t in _stretches(card, "Mon 16"))
    assert "09:00–10:00 upright · reclining not seen (needs backrest sensors)" in \
        _stretches(card, "Tue 17"), card
    note = re.search(r'id="recline-unseen">([^<]*)<', card)
    assert note is not None and "1 h on Tue 17" in note[1] and "Mon" not in note[1]


def test_a_week_nothing_could_see_reclining_in_has_no_such_words(tmp_path: Path) -> None:
    """The legend then leaves reclined out: the strip has nothing to qualify."""
    card = _page(tmp_path, chair=False)
    assert "reclined" not in card and "not seen" not in card and "recline-unseen" not in card
    assert "09:00–10:00 upright" in _stretches(card, "Tue 17")
