"""Working hours by weekday and the sitter's own texts (issue #13)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from sitwatch import config
from sitwatch.cli.main import main
from sitwatch.core.clock import ManualClock
from sitwatch.core.events import NUDGE, Event
from sitwatch.core.spans import weekdays
from sitwatch.nudging.gate import DELIVER, DROP, NudgeGate
from sitwatch.nudging.guidance import CATALOG, STRETCH_TITLE, catalog

TZ = timezone(timedelta(hours=1))
MONDAY = datetime(2026, 1, 5, 0, 0, tzinfo=TZ)


@pytest.mark.parametrize(
    ("spec", "days"),
    [("mon-fri", {0, 1, 2, 3, 4}), ("fri-mon", {4, 5, 6, 0}), ("weekend", {5, 6}),
     ("Monday,wed", {0, 2}), ("sun", {6}), ("daily", set(range(7)))],
)
def test_weekday_specs(spec: str, days: set[int]) -> None:
    assert weekdays(spec) == days


@pytest.mark.parametrize("bad", ["mo", "xyz", "mon-", "monx-fri", ""])
def test_bad_weekday_specs(bad: str) -> None:
    with pytest.raises(ValueError, match="mon-fri"):
        weekdays(bad)


def _decide(schedule: dict[str, list[str]], at: datetime) -> str:
    clock = ManualClock(at)
    gate = NudgeGate(config.Nudges(schedule=schedule, dnd={"enabled": False}), clock)
    return gate.decide(Event(0.0, NUDGE, None, {"kind": "slouch"})).action


def test_working_hours_by_weekday() -> None:
    sched = {"mon-fri": ["09:00-12:30", "13:15-17:30"], "sat": ["22:00-02:00"]}
    mon = MONDAY
    assert _decide(sched, mon.replace(hour=9)) == DELIVER
    assert _decide(sched, mon.replace(hour=12, minute=45)) == DROP  # lunch
    assert _decide(sched, mon.replace(hour=17, minute=30)) == DROP  # the end is exclusive
    assert _decide(sched, mon + timedelta(days=5, hours=23)) == DELIVER  # Saturday night
    assert _decide(sched, mon + timedelta(days=6, hours=1)) == DELIVER  # ... into Sunday
    assert _decide(sched, mon + timedelta(days=6, hours=23)) == DROP  # Sunday is not named
    assert _decide({}, mon.replace(hour=3)) == DELIVER  # no schedule: any time


def test_overlapping_days_and_bad_hours_are_config_errors() -> None:
    with pytest.raises(config.ConfigError, match="both name Friday"):
        config.load(use_user_file=False,
                    overrides={"nudges.schedule": {"mon-fri": ["09:00-17:00"], "fri": []}})
    with pytest.raises(config.ConfigError, match="not HH:MM-HH:MM"):
        config.load(use_user_file=False, overrides={"nudges.schedule": {"mon": ["9-5"]}})
    with pytest.raises(config.ConfigError, match="not a day"):
        config.load(use_user_file=False, overrides={"nudges.schedule": {"someday": []}})


def test_own_texts_take_turns_with_the_built_in_ones() -> None:
    cfg = config.Nudges(texts=[{"kind": "slouch", "title": "Mine", "action": "Do my thing."}],
                        stretches=["Reach for the ceiling."])
    adv = catalog(cfg)
    n = len(CATALOG["slouch"].actions)
    picks = [adv["slouch"].pick(i) for i in range(n + 1)]
    assert picks[:n] == [CATALOG["slouch"].pick(i) for i in range(n)]
    assert picks[n] == ("Mine", "Do my thing.")
    assert adv["slouch"].pick(n + 1) == CATALOG["slouch"].pick(0)  # and round again
    assert adv["slouch"].pick(0, "firm") == CATALOG["slouch"].firm
    moves = [adv["prolonged_sitting"].pick(i) for i in range(4)]
    assert (STRETCH_TITLE, "Get up and stretch: Reach for the ceiling.") in moves
    alone = catalog(config.Nudges(texts=cfg.texts, only_own_texts=True))
    assert {alone["slouch"].pick(i) for i in range(5)} == {("Mine", "Do my thing.")}
    assert alone["wallet"] == CATALOG["wallet"]  # kinds without own texts keep theirs


def test_sample_round_trip_with_own_texts_and_a_schedule(tmp_path) -> None:
    cfg = config.load(use_user_file=False, overrides={
        "nudges.texts": [{"kind": "leaning_forward", "title": "T", "action": "A \"quoted\" one"}],
        "nudges.schedule": {"mon,wed": ["08:00-12:00"], "weekend": []},
    })
    f = tmp_path / "c.toml"
    f.write_text(config.render(cfg))
    assert config.load(f, use_user_file=False) == cfg


def test_guidance_command_shows_own_texts(tmp_path, capsys) -> None:
    f = tmp_path / "c.toml"
    f.write_text('[[nudges.texts]]\nkind = "wallet"\ntitle = "Phone!"\n'
                 'action = "Move your phone to the desk."\n'
                 '[nudges]\nstretches = ["Ankle circles."]\n')
    assert main(["guidance", "--config", str(f), "wallet"]) == 0
    out = capsys.readouterr().out
    assert "Phone!: Move your phone to the desk." in out
    assert main(["guidance", "--config", str(f), "prolonged_sitting"]) == 0
    assert "Ankle circles. (yours)" in capsys.readouterr().out
    f.write_text('[[nudges.texts]]\nkind = "nap"\ntitle = "x"\naction = "y"\n')
    assert main(["guidance", "--config", str(f)]) == 2
    assert "nudges.texts.0.kind" in capsys.readouterr().err
