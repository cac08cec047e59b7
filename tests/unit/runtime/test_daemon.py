import json
import os
from datetime import timedelta

import numpy as np
import pytest

from sitwatch.cli.main import main
from sitwatch.config import Config
from sitwatch.core.clock import ManualClock
from sitwatch.history.store import Store
from sitwatch.runtime.daemon import Daemon
from sitwatch.runtime.files import history_path, profile_path, status_path
from sitwatch.runtime.status import read_status
from sitwatch.sensing import calibration, layout
from sitwatch.sources.base import Diagnosis, Reading, Status
from tests.helpers.doubles import Collect

LAY = layout.load("load-cells-4")
SEATED = np.array([20000.0, 20500, 9000, 9200])
EMPTY = np.array([40.0, 35, 30, 45])


class ScriptSource:
    """Frames at 5 Hz from a schedule; the clock advances with every poll."""

    name = "script"

    def __init__(self, clock: ManualClock, schedule) -> None:
        self.clock = clock
        self.schedule = schedule  # list of (seconds, values | "offline" | "diag")
        self.i = 0
        self.left = schedule[0][0]
        self.frames = 0

    def poll(self, max_wait):
        if self.i >= len(self.schedule):
            return []
        self.clock.advance(0.2)
        t = self.clock.monotonic()
        _secs, what = self.schedule[self.i]
        self.left -= 0.2
        if self.left <= 1e-9:
            self.i += 1
            if self.i < len(self.schedule):
                self.left = self.schedule[self.i][0]
        if isinstance(what, str):
            if what == "offline":
                return [Status(t, False, "unplugged")]
            return [Diagnosis(t, "wrong baud rate?")]
        self.frames += 1
        return [Reading(t, what + np.random.default_rng(self.frames).normal(0, 20, 4))]

    def close(self):
        pass

    def stats(self):
        return {"port": "script", "online": True, "frames": self.frames, "dropped_total": 3}


def make(tmp_path, schedule, cfg=None, profile=None):
    clock = ManualClock()
    cfg = cfg or Config()
    sink = Collect()
    store = Store(tmp_path / "h.sqlite", clock)
    from sitwatch.runtime.status import StatusWriter

    status = StatusWriter(tmp_path / "status.json", clock)
    saved = []
    d = Daemon(
        cfg,
        LAY,
        ScriptSource(clock, schedule),
        clock,
        profile=profile,
        sinks=sink,
        store=store,
        status=status,
        save_profile=saved.append,
    )
    return d, clock, sink, store, saved


def drive(d, seconds_total):
    steps = int(seconds_total / 0.2) + 5
    for _ in range(steps):
        d.step(0)


def test_events_flow_to_sinks_history_and_status(tmp_path) -> None:
    cfg = Config(detect={"sit_limit": 600})
    schedule = [(30, EMPTY), (900, SEATED), (10, "offline"), (5, "diag"), (60, SEATED)]
    d, clock, sink, _store, saved = make(tmp_path, schedule, cfg)
    drive(d, 1005)
    kinds = [(e.event, e.state) for e in sink.events]
    assert ("occupancy", "occupied") in kinds
    assert ("calibration", "baseline") in kinds  # learned while sitting
    assert ("sensor", "offline") in kinds and ("sensor", "online") in kinds
    assert ("diagnosis", None) in kinds
    nudges = [e for e in sink.events if e.event == "nudge"]
    assert [n.get("kind") for n in nudges] == ["prolonged_sitting"]
    assert 600 <= nudges[0].t - 30 <= 605
    # the learned profile was handed over for saving
    assert saved and saved[0].method == "auto" and saved[0].layout == "load-cells-4"
    # history: events and minute rollups in the real SQLite file
    d.close()
    st = Store(tmp_path / "h.sqlite", clock, readonly=True)
    start = clock.now() - timedelta(hours=2)
    evs = st.events_between(start, clock.now() + timedelta(minutes=1))
    assert {e.event for e in evs} >= {"occupancy", "nudge", "sensor"}
    minutes = st.minutes_between(start, clock.now() + timedelta(minutes=1))
    occupied = sum(m.seconds_occupied for m in minutes)
    assert 940 <= occupied <= 965
    st.close()
    status = json.loads((tmp_path / "status.json").read_text())
    assert status["occupancy"] == "occupied"
    assert status.get("stopped")


def test_nudges_can_be_switched_off(tmp_path) -> None:
    cfg = Config(detect={"sit_limit": 300}, nudges={"enabled": False})
    d, _clock, sink, *_ = make(tmp_path, [(400, SEATED)], cfg)
    drive(d, 400)
    assert not [e for e in sink.events if e.event == "nudge"]
    d.close()


def test_a_profile_skips_auto_calibration(tmp_path) -> None:
    prof = calibration.from_arrays(LAY, tare=EMPTY, upright=SEATED, method="interactive")
    d, _clock, sink, _store, saved = make(tmp_path, [(60, SEATED)], profile=prof)
    drive(d, 60)
    assert not saved
    assert any(e.event == "posture" and e.state == "upright" for e in sink.events)
    d.close()


def test_run_refuses_a_broken_config_before_touching_anything(tmp_path, capsys) -> None:
    bad = tmp_path / "c.toml"
    bad.write_text('[cushion]\nport = "/dev/null"\nbaud = -5\n')
    assert main(["run", "--config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "cushion.baud" in err and str(bad) in err
    cfg = Config()
    assert not history_path(cfg).exists()
    assert not status_path(cfg).exists()


def test_run_without_a_port_says_how_to_start(capsys) -> None:
    assert main(["run", "--no-user-config"]) == 2
    assert "cushion.port" in capsys.readouterr().err


def test_run_with_a_profile_for_another_layout_exits_2(tmp_path, capsys) -> None:
    prof = calibration.from_arrays(
        layout.load("smartchair-12"), tare=None, upright=np.ones(12), method="recording"
    )
    p = profile_path(Config())
    prof.save(p)
    assert main(["run", "--no-user-config", "--port", "loop://"]) == 2
    assert "recalibrate" in capsys.readouterr().err


def test_status_command_when_nothing_runs(capsys) -> None:
    assert main(["status", "--no-user-config"]) == 3
    out = capsys.readouterr().out
    assert "sitwatch run" in out
    d = read_status(status_path(Config()), ManualClock())
    assert not d["running"]


def test_history_is_backed_up_daily_and_old_copies_pruned(tmp_path) -> None:
    d, clock, sink, store, _ = make(tmp_path, [(4 * 86400, SEATED)])
    d.backup_dir = tmp_path / "backups"
    for _day in range(10):
        clock.advance(86400)
        d._backup(clock.monotonic())
    copies = sorted((tmp_path / "backups").glob("history-*.sqlite"))
    assert len(copies) == d.cfg.history.backups == 7
    assert copies[-1].name == f"history-{clock.now():%Y-%m-%d}.sqlite"
    st = Store(copies[-1], clock, readonly=True)
    st.close()
    d.close()


def test_notification_buttons_snooze_and_done(tmp_path) -> None:
    from sitwatch.nudging import control
    from sitwatch.nudging.gate import NudgeGate
    from sitwatch.sinks.actions import ActionInbox

    cfg = Config(detect={"sit_limit": 120}, nudges={"snooze_minutes": 20})
    clock = ManualClock()
    path = tmp_path / "control.json"
    gate = NudgeGate(cfg.nudges, clock, control=control.Watcher(path, clock.monotonic))
    sink = Collect()
    inbox = ActionInbox()
    d = Daemon(cfg, LAY, ScriptSource(clock, [(400, SEATED)]), clock, sinks=sink, gate=gate,
               inbox=inbox)
    drive(d, 200)
    nudge = next(e for e in sink.events if e.event == "nudge")
    inbox.put("done", nudge)
    d.step(0)
    acks = [e for e in sink.events if e.event == "nudge_ack"]
    assert acks and acks[0].get("action") == "done" and acks[0].get("kind") == "prolonged_sitting"
    outcome = [e for e in sink.events if e.event == "nudge_outcome"]
    assert outcome and outcome[-1].get("responded") is True
    inbox.put("snooze", nudge)
    d.step(0)
    snoozed = control.read(path).snoozed_until
    assert snoozed is not None
    assert abs((snoozed - clock.now()).total_seconds() - 20 * 60) < 5
    d.close()


def test_a_click_on_a_notification_of_no_nudge_records_no_kind(tmp_path) -> None:
    """Done or Snooze on a notification without a kind (the notice of a learned way) is
    recorded without one, in the events and in the history: never the word "None"."""
    import sqlite3

    from sitwatch.core.events import CALIBRATION, Event
    from sitwatch.nudging import control
    from sitwatch.nudging.gate import NudgeGate
    from sitwatch.sinks.actions import ActionInbox

    cfg = Config(detect={"sit_limit": 120})
    clock = ManualClock()
    gate = NudgeGate(cfg.nudges, clock,
                     control=control.Watcher(tmp_path / "control.json", clock.monotonic))
    sink, inbox = Collect(), ActionInbox()
    store = Store(tmp_path / "h.sqlite", clock)
    d = Daemon(cfg, LAY, ScriptSource(clock, [(400, SEATED)]), clock, sinks=sink, gate=gate,
               inbox=inbox, store=store)
    drive(d, 200)
    notice = Event(clock.monotonic(), CALIBRATION, "learned",
                   {"ways": 1, "was": 0, "title": "Learned a way of sitting upright"})
    inbox.put("done", notice)
    inbox.put("snooze", notice)
    d.step(0)
    acks = [e.data for e in sink.events if e.event == "nudge_ack"]
    assert acks == [{"action": "done"}, {"action": "snooze"}]
    assert not [e for e in sink.events if e.event == "nudge_outcome" and e.get("responded")]
    d.close()
    with sqlite3.connect(tmp_path / "h.sqlite") as db:
        stored = [json.loads(r[0]) for r in
                  db.execute("SELECT data FROM events WHERE event = 'nudge_ack' ORDER BY id")]
    assert stored == [{"action": "done"}, {"action": "snooze"}]


def test_readings_far_below_full_scale_are_logged_once(tmp_path, caplog) -> None:
    """A sitter in kilograms x 10 against load-cells-4's 65535 looks like an empty seat: the
    daemon says once, in its log, that the units may not match."""
    import logging

    small = np.array([180.0, 190, 160, 170])
    d, _, sink, store, _ = make(tmp_path, [(700, small)])
    with caplog.at_level(logging.WARNING, logger="sitwatch"):
        drive(d, 700)
    hints = [r.getMessage() for r in caplog.records if "full_scale" in r.getMessage()]
    assert len(hints) == 1 and hints[0].startswith("cushion: nobody seen sitting for 10 min")
    assert not any(e.event == "diagnosis" for e in sink.events)  # a hint, not an event
    store.close()


class FakeDnd:
    def __init__(self, on: bool = False) -> None:
        self.on = on

    def active(self):
        return self.on, "screen locked" if self.on else ""


def test_a_nudge_released_after_do_not_disturb_is_recorded(tmp_path) -> None:
    """Regression: a held nudge that went out after do-not-disturb reached the sinks but never
    the history or the status file."""
    from sitwatch.nudging.gate import NudgeGate
    from sitwatch.runtime.status import StatusWriter

    cfg = Config(detect={"sit_limit": 120})
    clock = ManualClock()
    dnd = FakeDnd(on=True)
    store = Store(tmp_path / "h.sqlite", clock)
    sink = Collect()
    d = Daemon(cfg, LAY, ScriptSource(clock, [(400, SEATED)]), clock, sinks=sink, store=store,
               status=StatusWriter(tmp_path / "status.json", clock),
               gate=NudgeGate(cfg.nudges, clock, dnd=dnd))
    drive(d, 200)
    assert not [e for e in sink.events if e.event == "nudge"]  # held
    dnd.on = False
    d.step(0)
    released_at = clock.now()
    assert [e.get("kind") for e in sink.events if e.event == "nudge"] == ["prolonged_sitting"]
    status = json.loads((tmp_path / "status.json").read_text())
    assert status["nudges"]["prolonged_sitting"]["at"] == released_at.isoformat(
        timespec="seconds")
    d.close()
    st = Store(tmp_path / "h.sqlite", clock, readonly=True)
    stored = [e for e in st.events_between(clock.now() - timedelta(hours=1),
                                           clock.now() + timedelta(minutes=1))
              if e.event == "nudge"]
    assert [e.get("held") for e in stored] == ["screen locked", None]
    from sitwatch.history.queries import day_summary

    assert day_summary(st, clock.now().date(), clock.now().tzinfo).nudges[
        "prolonged_sitting"] == 1  # the one that went out
    st.close()


def test_without_an_online_cushion_the_camera_owns_occupancy(tmp_path) -> None:
    """Regression (fusion rule O2, docs/camera.md): while the cushion is offline, a camera's
    presence is the occupancy and drives the sitting timer; it used to be ignored."""
    from sitwatch.camera.pipeline import CameraPipeline
    from sitwatch.runtime.daemon import Camera
    from tests.helpers.doubles import ScriptedCamera, camera_profile

    cfg = Config()
    clock = ManualClock()
    cushion = ScriptSource(clock, [(60, SEATED), (400, "offline"), (60, SEATED)])
    cam = ScriptedCamera(clock, [(100, True), (200, False), (300, True)], advance=False)
    sink = Collect()
    d = Daemon(cfg, LAY, cushion, clock, sinks=sink,
               camera=Camera(cam, CameraPipeline(cfg.camera, camera_profile(),
                                                 owns_occupancy=False)))
    while clock.monotonic() < 200:
        d.step(0)
    assert d.snapshot().occupancy == "empty"  # the camera sees nobody; the cushion is offline
    drive(d, 320)
    occupancy = [e for e in sink.events if e.event == "occupancy"]
    assert [(e.state, e.get("source"), e.get("rule")) for e in occupancy] == [
        ("occupied", None, None), ("empty", "camera", "O2"), ("occupied", "camera", "O2")]
    # the camera's presence dwell (3 s) after it saw the sitter leave at 100 s, come back at 300
    assert [e.t for e in occupancy[1:]] == pytest.approx([103, 303], abs=1.5)
    (brk,) = [e for e in sink.events if e.event == "break"]
    assert brk.get("duration") == pytest.approx(200, abs=1)
    assert d.snapshot().spell == pytest.approx(clock.monotonic() - occupancy[2].t)  # new spell
    d.close()


def test_run_closes_what_it_opened_when_set_up_fails(monkeypatch) -> None:
    """Regression: `sitwatch run` left the history database open when a later set-up step
    (here: the notification channels) failed."""
    from sitwatch.runtime import assemble

    closed: list[Store] = []
    real_close = Store.close

    def close(self: Store) -> None:
        closed.append(self)
        real_close(self)

    def broken_sinks(*a, **kw):
        raise RuntimeError("no channels today")

    monkeypatch.setattr(Store, "close", close)
    monkeypatch.setattr(assemble, "build_sinks", broken_sinks)
    with pytest.raises(RuntimeError, match="no channels today"):
        main(["run", "--no-user-config", "--port", "loop://", "--headless"])
    assert len(closed) == 1 and closed[0]._closed


def test_previous_spell_only_within_min_break_and_only_from_a_gone_daemon(tmp_path) -> None:
    from sitwatch.runtime.assemble import previous_spell

    clock = ManualClock()
    path = tmp_path / "status.json"

    def left(**d) -> None:
        path.write_text(json.dumps({"pid": 999999, "occupancy": "occupied",
                                    "spell_seconds": 1500.0, **d}))

    at = (clock.now() - timedelta(seconds=30)).isoformat()
    left(updated=at)  # killed 30 s ago while sitting
    assert previous_spell(path, clock, 120.0) == (1500.0, 30.0, None, "occupied")  # no run
    left(updated=(clock.now() - timedelta(seconds=300)).isoformat())
    assert previous_spell(path, clock, 120.0) is None  # down longer than min_break: a break
    left(updated=at, occupancy="empty")  # a status file from before away_seconds
    assert previous_spell(path, clock, 120.0) is None
    left(updated=at, pid=os.getpid())  # still running: not ours to continue
    assert previous_spell(path, clock, 120.0) is None
    path.write_text("not json")
    assert previous_spell(path, clock, 120.0) is None
    # stopped while the cushion was offline: the seat was last seen before that
    left(updated=at, timer_paused=True, unseen_seconds=60.0)
    assert previous_spell(path, clock, 120.0) == (1500.0, 90.0, None, "occupied")
    left(updated=at, timer_paused=True, unseen_seconds=100.0)
    assert previous_spell(path, clock, 120.0) is None  # out of sight min_break or more


def test_previous_spell_carries_on_an_absence_however_long_it_was_stopped(tmp_path) -> None:
    """Stopped with the sitter away: the absence goes on from when the seat emptied, so sitting
    down again ends a break of all of it (or, back within min_break, the spell goes on)."""
    from sitwatch.runtime.assemble import previous_spell

    clock = ManualClock()
    path = tmp_path / "status.json"

    def left(ago: float, **d) -> None:
        path.write_text(json.dumps({
            "pid": 999999, "occupancy": "empty", "spell_seconds": 0.0,
            "away_seconds": 300.0, "left_spell_seconds": 1500.0, "history_run": "r1",
            "stopped": (clock.now() - timedelta(seconds=ago)).isoformat(), **d}))

    left(30)
    assert previous_spell(path, clock, 120.0) == (1500.0, 330.0, "r1", "empty")
    left(14 * 3600)  # over night: a break as long, as a daemon running all night counts it
    assert previous_spell(path, clock, 120.0) == (1500.0, 14 * 3600 + 300.0, "r1", "empty")
    left(30, away_seconds=20.0)  # back within min_break of getting up: the spell goes on
    assert previous_spell(path, clock, 120.0) == (1500.0, 50.0, "r1", "empty")
    left(30, left_spell_seconds=None, away_seconds=None)  # empty before any sitting
    assert previous_spell(path, clock, 120.0) is None
    left(30, away_seconds="soon")
    assert previous_spell(path, clock, 120.0) is None


def test_a_resumed_spell_goes_on_or_ends_in_a_break() -> None:
    from sitwatch.sensing.pipeline import Pipeline

    pl = Pipeline(LAY, Config(), None)
    pl.resume_spell(1000.0, spell=1500.0, away=30.0)
    assert pl.timer.spell(1000.0) == 1500.0  # the spell as it was when the seat was last seen
    assert pl.timer.sit(1010.0) is None  # back within min_break: no break, the spell goes on
    assert pl.timer.spell(1100.0) == pytest.approx(1500.0 + 30.0 + 100.0)
    other = Pipeline(LAY, Config(), None)
    other.resume_spell(1000.0, spell=1500.0, away=30.0)
    brk = other.timer.sit(1000.0 + 200.0)  # back after 230 s away: that was a break
    assert brk is not None and brk.get("spell") == 1500.0


def test_the_status_file_names_the_layout_it_runs_loadable_from_anywhere(tmp_path,
                                                                          monkeypatch) -> None:
    """`sitwatch feedback` works the configured thresholds out from the layout the daemon ran
    (`run --layout` may name another than the config): the status file says which, a layout
    file by its absolute path, as the command may run in another folder."""
    d, *_ = make(tmp_path, [(1, EMPTY)], Config(cushion={"layout": "load-cells-4"}))
    d.close()
    assert json.loads((tmp_path / "status.json").read_text())["layout"] == "load-cells-4"
    from importlib import resources

    builtin = resources.files("sitwatch.data").joinpath("layouts", "load-cells-4.toml")
    (tmp_path / "chairs").mkdir()
    (tmp_path / "chairs" / "mine.toml").write_text(
        builtin.read_text().replace('name = "load-cells-4"', 'name = "mine"'))
    monkeypatch.chdir(tmp_path)
    d, *_ = make(tmp_path, [(1, EMPTY)], Config(cushion={"layout": "chairs/mine.toml"}))
    d.close()
    named = json.loads((tmp_path / "status.json").read_text())["layout"]
    assert named == str(tmp_path / "chairs" / "mine.toml")
    monkeypatch.chdir("/")
    assert layout.load(named).name == "mine"
