"""What sitting teaches survives the night: the daemon keeps the ways of sitting upright clear of
the backrest it learned in the profile (``learned``), and the next day starts from them.

vanessa's working days (sitwatch.evaluation.reorder.working_day: six orders of her scripted
session back to back, about 5 hours) through the daemon itself: a real SQLite history, the real
status file, her profile saved where `sitwatch calibrate` saves it and kept by the daemon's own
writer (sitwatch.runtime.assemble.ProfileKeeper), a clock that moves with the frames. Day one
learns; day two is a new daemon started from the profile on disk. Each day learning from the
calibration alone, the day starting at order 4 read lopsided 17.9% of the upright time of its
fifth hour (docs/accuracy.md, "A working day of free use"): her upright clear of the backrest,
learned again only by the hours that day. Started from what the first day taught, no hour of
it reads over 3%. (Since session 14 a backrest contact with the seat centred must go a quarter
past the threshold, and that day reads under 1% of any hour alone too; keeping must not undo
that.)"""

from __future__ import annotations

import json
import stat
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from sitwatch.cli.main import main
from sitwatch.config import Config, for_layout
from sitwatch.core.clock import ManualClock
from sitwatch.core.events import Event
from sitwatch.core.kinds import NudgeAction
from sitwatch.evaluation import datasets, reorder, scoring
from sitwatch.history.store import Store
from sitwatch.runtime.assemble import ProfileKeeper
from sitwatch.runtime.daemon import Daemon
from sitwatch.runtime.learning import Learner
from sitwatch.runtime.status import StatusWriter, format_status, read_status
from sitwatch.sensing import calibration
from sitwatch.sinks.actions import ActionInbox, learned_notice
from sitwatch.sources.base import Reading
from tests.helpers.doubles import Collect

pytestmark = pytest.mark.datasets

HOUR = 3600.0
BATCH = 10  # frames handed over per poll (5 s at the recording's 2 Hz)


class DaySource:
    """A labelled recording's frames, a batch per poll; the clock moves with them."""

    name = "recording"

    def __init__(self, clock: ManualClock, d: datasets.Labelled) -> None:
        self.clock, self.d, self.i = clock, d, 0
        self.t0 = clock.monotonic()

    def poll(self, max_wait: float) -> list[Reading]:
        j = min(self.i + BATCH, len(self.d.t))
        out = [Reading(self.t0 + float(self.d.t[k]), self.d.values[k]) for k in range(self.i, j)]
        self.i = j
        if out:
            self.clock.advance(out[-1].t - self.clock.monotonic())
        return out

    @property
    def done(self) -> bool:
        return self.i >= len(self.d.t)

    def close(self) -> None:
        pass

    def stats(self) -> dict[str, object]:
        return {"port": "recording", "online": True, "frames": self.i, "dropped_total": 0}


def a_day(d: datasets.Labelled, path: Path, tmp: Path, clock: ManualClock,
          *, answer: bool = False) -> Collect:
    """One day through a daemon started from the profile at ``path``. ``answer``: the sitter
    answers each notice of a way of sitting learned as the desktop button does (through the
    daemon's click inbox), "Not right" when the recording is not labelled upright then."""
    prof = calibration.load(path)
    cfg = for_layout(Config(), d.layout)
    sink = Collect()
    source = DaySource(clock, d)
    inbox = ActionInbox()
    daemon = Daemon(cfg, d.layout, source, clock, profile=prof, sinks=sink,
                    store=Store(tmp / "history.sqlite", clock),
                    status=StatusWriter(tmp / "status.json", clock),
                    save_profile=ProfileKeeper(path, prof), inbox=inbox,
                    learner=Learner(cfg, tmp / "feedback.json", clock))

    def answered(ev: Event) -> None:
        if answer and learned_notice(ev):
            label = d.label[np.searchsorted(d.t, ev.t - source.t0, side="right") - 1]
            if label not in d.classes.upright:
                inbox.put(NudgeAction.WRONG, ev)

    daemon.listeners.append(answered)
    while not source.done:
        daemon.step(0)
    daemon.step(0)
    daemon.status.write()  # type: ignore[union-attr]
    st = read_status(tmp / "status.json", clock)
    sink.status = (st, format_status(st))  # type: ignore[attr-defined]  # as the day ends
    daemon.close()
    sink.t0 = source.t0  # type: ignore[attr-defined]
    return sink


def hourly_false_lopsided(d: datasets.Labelled, sink: Collect) -> list[float]:
    """The share of each hour's scored upright time the daemon reported lopsided."""
    bal = [e for e in sink.events if e.event == "balance"]
    at = np.searchsorted([e.t - sink.t0 for e in bal], d.t, side="right") - 1  # type: ignore[attr-defined]
    state = np.array([bal[k].state if k >= 0 else None for k in at], dtype=object)
    _, win = scoring.first_upright_profile(d)
    up = np.isin(d.label, d.classes.upright) & scoring.scored(d, win)
    lop = np.isin(state, ("left", "right"))
    hours = int(d.t[-1] // HOUR) + 1
    return [float(lop[up & (d.t // HOUR == h)].mean()) for h in range(hours)
            if (up & (d.t // HOUR == h)).any()]


def test_the_next_day_starts_from_what_the_first_one_taught(datasets_dir, tmp_path) -> None:
    person = datasets.smartchair(datasets_dir / "smartchair-ml" / "scripted_vanessa.csv")
    first, second = reorder.working_day(person, 0), reorder.working_day(person, 4)
    prof, _ = scoring.first_upright_profile(first)  # both days open with the same minute
    path = tmp_path / "calibration-smartchair-12.json"
    prof.save(path)
    calibrated = calibration.load(path)
    assert calibrated.learned is None

    clock = ManualClock(start=calibrated.created + timedelta(minutes=1))
    day1 = a_day(first, path, tmp_path, clock)
    learned = [e for e in day1.events if e.event == "calibration" and e.state == "learned"]
    assert learned, "day one learned no way of sitting upright clear of the backrest"
    kept = calibration.load(path)
    assert kept.learned is not None and kept.learned.ways == learned[-1].get("ways")
    # the calibration itself is untouched; only the learned part was added
    assert (kept.created, kept.upright, kept.tare, kept.spread) == (
        calibrated.created, calibrated.upright, calibrated.tare, calibrated.spread)
    # when, by the daemon's clock: in day one's first hours
    assert timedelta(0) < kept.learned.updated - calibrated.created < timedelta(hours=5)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # it describes a person
    status, text = day1.status  # type: ignore[attr-defined]
    assert status["calibration"]["learned"] == kept.learned.ways
    assert "of sitting upright clear of the backrest learned" in text, text

    clock.advance(15 * HOUR)  # the night
    day2 = a_day(second, path, tmp_path, clock)
    hours = hourly_false_lopsided(second, day2)
    print("day two, false lopsided by hour:", [round(h, 3) for h in hours])
    assert len(hours) >= 5 and max(hours) < 0.03, hours
    # what is lopsided still reads so: one leg crossed over the other
    bal = [e for e in day2.events if e.event == "balance" and e.state in ("left", "right")]
    assert len(bal) > 20

    # forgetting it keeps the calibration
    assert main(["calibrate", "--forget-learned", "-o", str(path)]) == 0
    after = calibration.load(path)
    assert after.learned is None and after.upright == calibrated.upright
    assert json.loads(path.read_text())["created"] == json.loads(
        kept.model_dump_json())["created"]


@pytest.mark.parametrize("answer", [True, False], ids=["answered", "not answered"])
def test_a_lean_learned_as_a_way_and_answered_not_right_is_gone_the_next_days(
        datasets_dir, tmp_path, answer) -> None:
    """vanessa's day from order 8 learns her forward lean (elbows on the thighs, label 3) as her
    way of sitting upright clear of the backrest, 37 minutes in, and the daemon says so while
    she still leans. Answered "Not right" on the notice (through the daemon's click inbox, as
    the desktop button does), the way is forgotten, kept rejected in the profile and not
    learned again the next day (order 16); unanswered, the lean stays her upright clear of the
    backrest. Before a backrest contact with the seat centred had to go a quarter past the
    threshold, the day from order 16 measured from that lean read lopsided 19.8% of one hour;
    now neither does over 3% (what the kept lean still costs, forward leans, is in
    docs/accuracy.md, "Told, and answered")."""
    person = datasets.smartchair(datasets_dir / "smartchair-ml" / "scripted_vanessa.csv")
    first, second = reorder.working_day(person, 8), reorder.working_day(person, 16)
    prof, _ = scoring.first_upright_profile(first)
    path = tmp_path / "calibration-smartchair-12.json"
    prof.save(path)
    clock = ManualClock(start=prof.created + timedelta(minutes=1))
    day1 = a_day(first, path, tmp_path, clock, answer=answer)
    notices = [e for e in day1.events if learned_notice(e)]
    assert notices, "day one learned no way of sitting"
    at = notices[0].t - day1.t0  # type: ignore[attr-defined]
    assert first.label[np.searchsorted(first.t, at) - 1] in first.classes.forward
    kept = calibration.load(path).learned
    feedback = [e for e in day1.events if e.event == "feedback"]
    if answer:
        assert [(e.get("kind"), e.get("applied")) for e in feedback] == [("learned", True)]
        assert kept is not None and kept.ways == 0 and len(kept.rejected) == 1
    else:
        assert feedback == [] and kept is not None and kept.ways == 1 and not kept.rejected
    clock.advance(15 * HOUR)
    day2 = a_day(second, path, tmp_path, clock, answer=answer)
    hours = hourly_false_lopsided(second, day2)
    print("answered" if answer else "not answered", "day two, false lopsided by hour:",
          [round(h, 3) for h in hours])
    assert max(hours) < 0.03, hours
    after = calibration.load(path).learned
    if answer:  # the lean is not learned again: no notice, nothing learned
        assert not [e for e in day2.events if learned_notice(e)]
        assert after is not None and after.ways == 0 and len(after.rejected) == 1
    else:  # the lean is still the way the day is measured from
        assert after is not None and after.upright_away == kept.upright_away
