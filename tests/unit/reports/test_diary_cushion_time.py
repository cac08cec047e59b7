"""The symptom diary reads the weight on one side before an entry over the sitting the cushion
saw: sitting only a camera saw (alone, or standing in for an offline cushion, fusion rule O2)
has no balance. It said "weight on one side 0 min" for it, which read as sat evenly, and the
pattern counted such an entry as not lopsided. Over real SQLite stores filled as the daemon does
(tests/helpers/history.py); through the daemon and `sitwatch report`:
tests/integration/test_camera_stand_in_history.py."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from sitwatch.core.clock import ManualClock
from sitwatch.core.kinds import Balance, BodyArea, BodySide, SymptomKind
from sitwatch.history.diary import SymptomEntry, add_entry
from sitwatch.history.store import Store
from sitwatch.reports import diary
from sitwatch.reports.words import NOT_MEASURED
from tests.helpers.history import STANDING_IN, TZ, Sitter

MON = date(2026, 1, 5)


def _entry(at: datetime) -> SymptomEntry:
    return SymptomEntry(at=at, kind=SymptomKind.NUMBNESS, side=BodySide.LEFT,
                        area=BodyArea.BUTTOCK, severity=4)


def _days(tmp_path: Path, sittings: list[tuple[int, int, int]]) -> tuple[Store, list[datetime]]:
    """One day each from Monday, a numbness entry after: ``(on the cushion, of it lopsided,
    then the camera standing in)`` minutes."""
    clock = ManualClock(datetime(2026, 1, 5, 8, 0, tzinfo=TZ), monotonic=0.0)
    s = Store(tmp_path / "history.sqlite", clock)
    p = Sitter(s, clock)
    times = []
    for i, (cushion, lopsided, camera) in enumerate(sittings):
        p.at(MON + timedelta(days=i), 9)
        if lopsided:
            p.sit(lopsided, balance=Balance.LEFT)
        if cushion > lopsided:
            p.sit(cushion - lopsided)
        if camera:
            p.sit(camera, camera=STANDING_IN)
        times.append(clock.now())
        s.end_run()
    s.flush()
    for at in times:
        add_entry(s.connection, _entry(at))
    return s, times


def test_the_window_before_an_entry_says_lopsided_of_what_the_cushion_saw(
        tmp_path: Path) -> None:
    s, times = _days(tmp_path, [(0, 0, 60), (30, 0, 60), (60, 20, 0)])
    camera_only, part, cushion = (diary.before(s, at) for at in times)
    # it said "weight on one side 0 min": an even balance nobody measured
    assert camera_only.text() == (
        "in the two hours before: longest unbroken sitting 1 h, weight on one side "
        f"{NOT_MEASURED}, something in a back pocket 0 min")
    assert "weight on one side 0 min of the 30 min the cushion saw," in part.text()
    assert "weight on one side 20 min," in cushion.text()  # the cushion saw it all: as before
    assert (camera_only.lopsided_known, part.lopsided_known, cushion.lopsided_known) == \
        (False, False, True)
    s.close()


def test_the_pattern_leaves_out_entries_the_cushion_saw_too_little_before(
        tmp_path: Path) -> None:
    """Two entries after 20 lopsided minutes, one after 30 even minutes on the cushion, two
    after 60 min only the camera saw (which could have been lopsided), one after 5 cushion
    minutes and 5 of the camera's (lopsided or not, under 15 min: not lopsided)."""
    s, times = _days(tmp_path, [(40, 20, 0), (40, 20, 0), (30, 0, 0), (0, 0, 60),
                                (10, 0, 60), (5, 0, 5)])
    items = diary.items_between(s, times[0] - timedelta(hours=3), times[-1] + timedelta(hours=1))
    sentences = diary.patterns(items).sentences
    # it said "2 of your 6", counting the camera's hours as sat evenly, with nothing to tell
    assert sentences[1] == ("2 of your 6 numbness entries came after 15 minutes or more with "
                            "your weight on one side; for 2 others the cushion saw too little "
                            "of the sitting before them to tell.")
    s.close()
