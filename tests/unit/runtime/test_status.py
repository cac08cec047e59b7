"""The live status file: atomic writes, rate limiting, stale/running detection, the human view."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from sitwatch.core.clock import ManualClock
from sitwatch.core.events import CALIBRATION, NUDGE, OCCUPANCY, POSTURE, SENSOR, WALLET, Event
from sitwatch.runtime.status import (
    StatusWriter,
    bar_view,
    format_status,
    human_duration,
    pid_alive,
    read_status,
)

TZ = timezone(timedelta(hours=1))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 1, 5, 9, 0, tzinfo=TZ), monotonic=500.0)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "run" / "status.json"


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def online(frames: int, dropped: int = 3) -> dict[str, object]:
    return {"online": True, "port": "/dev/ttyACM0", "frames": frames, "dropped": dropped,
            "last_frame_age": 0.05}


def test_write_and_read_round_trip(path: Path, clock: ManualClock) -> None:
    w = StatusWriter(path, clock, interval=2.0, sit_limit=2700.0)
    assert w.update(occupancy="occupied", spell_seconds=2220.0, posture="upright",
                    balance="balanced", sensor=online(0))
    d = read_status(path, clock)
    assert d["exists"] and d["running"] and not d["stale"]
    assert d["pid"] == os.getpid()
    assert d["occupancy"] == "occupied" and d["spell_seconds"] == 2220.0
    assert d["sensor"]["port"] == "/dev/ttyACM0" and d["sensor"]["dropped"] == 3
    assert d["started"] == "2026-01-05T09:00:00+01:00"
    assert datetime.fromisoformat(d["updated"]) == clock.now()
    assert d["age"] == 0.0
    assert oct(path.stat().st_mode & 0o777) == "0o600"  # owner-only (issue #14 #16, #15)
    assert [p.name for p in path.parent.iterdir()] == ["status.json"]  # no temp files left


def test_writes_are_rate_limited_except_for_important_changes(path: Path,
                                                             clock: ManualClock) -> None:
    w = StatusWriter(path, clock, interval=2.0)
    assert w.update(occupancy="occupied", spell_seconds=0.0)
    clock.advance(0.5)
    assert not w.update(spell_seconds=0.5)  # routine: waits for the interval
    assert json.loads(path.read_text())["spell_seconds"] == 0.0
    clock.advance(0.5)
    assert w.update(posture="slouched")  # important: at once
    assert json.loads(path.read_text())["posture"] == "slouched"
    assert not w.update(posture="slouched", spell_seconds=1.0)  # same posture: not important
    assert w.update(sensor={"online": True})  # the cushion came online: important
    clock.advance(2.0)
    assert w.update(spell_seconds=3.0)
    assert json.loads(path.read_text())["spell_seconds"] == 3.0
    assert w.writes == 4
    with pytest.raises(TypeError):
        w.update(bogus=1)


def test_pause_and_snooze_show_at_once(path: Path, clock: ManualClock) -> None:
    """A pause asked for from afar (MQTT, a bar's click) shows in `sitwatch status` at once,
    not at the next routine write."""
    w = StatusWriter(path, clock, interval=2.0)
    w.update(occupancy="occupied")
    clock.advance(0.1)
    assert w.update(paused="forever")
    assert json.loads(path.read_text())["paused"] == "forever"
    clock.advance(0.1)
    assert w.update(paused=None, snoozed="2026-01-05T10:00:00+01:00")
    assert json.loads(path.read_text())["snoozed"].startswith("2026-01-05T10:00")


def test_readers_never_see_a_partial_file(path: Path, clock: ManualClock) -> None:
    w = StatusWriter(path, clock, interval=0.0)
    w.update(occupancy="occupied", sensor={"diagnosis": "x" * 20000})
    stop = threading.Event()
    bad: list[str] = []
    reads = 0

    def reader() -> None:
        nonlocal reads
        while not stop.is_set():
            try:
                json.loads(path.read_text())
            except ValueError as e:
                bad.append(str(e))
            reads += 1

    t = threading.Thread(target=reader)
    t.start()
    try:
        for i in range(300):
            clock.advance(0.01)
            w.update(spell_seconds=float(i), sensor={"diagnosis": str(i) * (i % 50 * 200)})
    finally:
        stop.set()
        t.join()
    assert reads > 0 and bad == []
    assert json.loads(path.read_text())["spell_seconds"] == 299.0


def test_a_failed_write_keeps_the_old_file_and_does_not_raise(
        path: Path, clock: ManualClock, monkeypatch: pytest.MonkeyPatch) -> None:
    w = StatusWriter(path, clock)
    w.update(occupancy="empty")

    def fail(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    assert w.write() is False
    monkeypatch.undo()
    assert json.loads(path.read_text())["occupancy"] == "empty"
    assert [p.name for p in path.parent.iterdir()] == ["status.json"]


def test_stale_detection(path: Path, clock: ManualClock) -> None:
    w = StatusWriter(path, clock)
    w.update(occupancy="occupied")
    clock.advance(14)
    assert not read_status(path, clock)["stale"]
    clock.advance(2)
    d = read_status(path, clock)
    assert d["stale"] and d["running"] and d["age"] == pytest.approx(16.0)
    assert not read_status(path, clock, stale_after=30)["stale"]
    text = format_status(d)
    assert "has not updated its status for 16 s" in text and "stuck" in text
    assert "Occupied" in text  # the last known state is still shown


def test_a_dead_pid_is_not_running(path: Path, clock: ManualClock) -> None:
    pid = dead_pid()
    assert not pid_alive(pid) and pid_alive(os.getpid())
    assert not pid_alive(0) and not pid_alive("12") and not pid_alive(None)
    StatusWriter(path, clock, pid=pid).update(occupancy="occupied")
    d = read_status(path, clock)
    assert not d["running"] and not d["stale"]
    text = format_status(d)
    assert "not running" in text and "stopped unexpectedly" in text and "09:00" in text
    assert "`sitwatch run`" in text and "`systemctl --user start sitwatch`" in text


def test_a_clean_stop_is_reported(path: Path, clock: ManualClock) -> None:
    w = StatusWriter(path, clock)
    w.update(occupancy="occupied")
    clock.advance(65 * 60)
    w.close()
    d = read_status(path, clock)
    assert not d["running"] and d["stale"]  # our own pid is alive, but it said it stopped
    text = format_status(d)
    assert "not running (stopped at 10:05)" in text and "sitwatch run" in text


def test_missing_and_unreadable_files(tmp_path: Path, clock: ManualClock) -> None:
    d = read_status(tmp_path / "nope.json", clock)
    assert d == {"path": str(tmp_path / "nope.json"), "exists": False, "running": False,
                 "stale": True, "age": None}
    assert "sitwatch run" in format_status(d) and "nope.json" in format_status(d)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    d = read_status(bad, clock)
    assert d["exists"] and not d["running"] and "error" in d
    assert format_status(d).startswith("Cannot read the status file")


def test_a_damaged_value_says_how_to_get_a_new_file_for_the_situation(
        path: Path, clock: ManualClock) -> None:
    """It said "restart sitwatch to write a new one" whatever ran sitwatch; the caller knows
    (restart_hint) and is asked only for a damaged file. The bar ended in a traceback."""
    StatusWriter(path, clock, sit_limit=2700.0).update(occupancy="occupied")
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "spell_seconds": "lots"}))
    d = read_status(path, clock)
    asked: list[str] = []

    def restart(what: str) -> str:
        asked.append(what)
        return f"Do this to {what}."

    text = format_status(d, restart=restart)
    assert text == (f"Cannot read the status file {path}: a value is not what sitwatch writes "
                    "(ValueError: could not convert string to float: 'lots'). Do this to write a "
                    "new status file.")
    bar = bar_view(d, restart=restart)
    assert bar == {"text": "status?", "alt": "error", "class": "error", "percentage": 0,
                   "tooltip": text}
    assert asked == ["write a new status file"] * 2
    path.write_text(json.dumps(data))  # a sound file: nobody asks
    format_status(read_status(path, clock), restart=restart)
    bar_view(read_status(path, clock), restart=restart)
    assert len(asked) == 2


def test_format_status_shows_the_key_facts(path: Path, clock: ManualClock) -> None:
    w = StatusWriter(path, clock, interval=2.0, sit_limit=2700.0)
    w.update(occupancy="occupied", spell_seconds=0.0, posture="upright", balance="balanced",
             sensor=online(0), calibration={"method": "auto", "at": clock.now()})
    clock.advance(2.0)
    w.update(spell_seconds=37 * 60 + 10, sensor=online(40))  # 40 frames in 2 s
    text = format_status(read_status(path, clock))
    first, second = text.splitlines()
    assert first == ("Occupied — sitting for 37 min (limit 45 min) · posture upright · balanced · "
                     "cushion online (20.0 fr/s, 3 dropped)")
    assert "calibrated (auto, just now)" in second and "no nudges yet" in second
    assert f"pid {os.getpid()}" in second
    # a channel left out (stuck) is said on the sensor's part of the line; a saturated one is
    # not "left out" (it still counts in the load and the fore-aft centre), only of left/right
    clock.advance(2.0)
    w.update(sensor={**online(80), "excluded": ["p07 (saturated)"]})
    first = format_status(read_status(path, clock)).splitlines()[0]
    assert first.endswith("3 dropped, at full scale (not used for left/right): p07)"), first
    assert "left out" not in first
    clock.advance(2.0)
    w.update(sensor={**online(120), "excluded": ["p03 (stuck)", "p07 (saturated)"]})
    first = format_status(read_status(path, clock)).splitlines()[0]
    assert first.endswith(
        "left out: p03 (stuck), at full scale (not used for left/right): p07)"), first


def test_events_fold_into_the_status(path: Path, clock: ManualClock) -> None:
    w = StatusWriter(path, clock, sit_limit=2700.0)
    assert w.on_event(Event(1.0, OCCUPANCY, "occupied"))
    assert w.on_event(Event(2.0, POSTURE, "leaning_forward", {"source": "cushion"}))
    assert w.on_event(Event(3.0, NUDGE, None, {"kind": "slouch", "title": "Sit back",
                                               "message": "Slide your hips back"}))
    assert w.on_event(Event(4.0, WALLET, "suspected", {"side": "left"}))
    assert w.on_event(Event(5.0, CALIBRATION, "baseline", {"method": "auto"}))
    assert w.on_event(Event(6.0, SENSOR, "offline", {"reason": "permission denied"}))
    clock.advance(5 * 60)
    w.update(spell_seconds=600.0, sensor={"port": "/dev/ttyACM0"})
    w.write()
    d = read_status(path, clock)
    assert d["nudges"]["slouch"]["message"] == "Slide your hips back"
    assert d["calibration"]["method"] == "auto" and d["calibration"]["age"] == 300.0
    text = format_status(d)
    assert "posture leaning forward" in text
    assert "something in a back pocket? (left)" in text
    assert "cushion offline on /dev/ttyACM0: permission denied" in text
    assert "last nudge: slouching 5 min ago" in text
    assert "calibrated (auto, 5 min ago)" in text
    w.on_event(Event(7.0, SENSOR, "online"))
    assert read_status(path, clock)["sensor"]["diagnosis"] is None


def test_an_empty_seat_and_a_missing_cushion(path: Path, clock: ManualClock) -> None:
    w = StatusWriter(path, clock)
    w.write()
    assert format_status(read_status(path, clock)).startswith("Waiting for the cushion · "
                                                              "cushion offline")
    w.update(occupancy="empty", posture="slouched", sensor=online(10))
    first = format_status(read_status(path, clock)).splitlines()[0]
    assert first.startswith("Seat empty · cushion online")
    assert "slouched" not in first  # posture means nothing on an empty seat


def test_a_short_sitting_limit_is_said_as_set(path: Path, clock: ManualClock) -> None:
    """A 90 s limit read "limit 2 min": another limit than the one set."""
    w = StatusWriter(path, clock, interval=2.0, sit_limit=90.0)
    w.update(occupancy="occupied", spell_seconds=70.0, sensor=online(0))
    first = format_status(read_status(path, clock)).splitlines()[0]
    assert first.startswith("Occupied — sitting for 1 min (limit 1 min 30 s) · "), first
    # the same limit while the cushion is offline and the timer stands still
    w.update(timer_paused=True, unseen_seconds=20.0)
    first = format_status(read_status(path, clock)).splitlines()[0]
    assert "sitting timer paused at 1 min (limit 1 min 30 s) until" in first, first


def test_the_process_id_can_be_left_out_for_a_web_page(path: Path, clock: ManualClock) -> None:
    w = StatusWriter(path, clock, interval=2.0, sit_limit=2700.0)
    w.update(occupancy="empty", sensor=online(0))
    clock.advance(60.0)
    d = read_status(path, clock)
    assert f"pid {os.getpid()}, up 1 min" in format_status(d)  # the terminal's view keeps it
    assert format_status(d, pid=False).endswith("no nudges yet · up 1 min")
    clock.advance(600.0)  # stale: the warning names the process only for the terminal
    d = read_status(path, clock)
    assert format_status(d).startswith(f"sitwatch (pid {os.getpid()}) has not updated")
    assert format_status(d, pid=False).startswith("sitwatch has not updated its status for")
    assert "pid" not in format_status(d, pid=False)


def test_human_duration() -> None:
    assert human_duration(42) == "42 s"
    assert human_duration(37 * 60 + 10) == "37 min"
    assert human_duration(3600 + 5 * 60) == "1 h 5 min"
    assert human_duration(7200) == "2 h"
    assert human_duration(-3) == "0 s"


# -- the description table: status, history and MQTT read the snapshot through it -------------

def seated_snapshot():
    from sitwatch.core.kinds import Balance, Occupancy, Posture
    from sitwatch.sensing.snapshot import Snapshot

    return Snapshot(t=100.0, source="cushion", online=True, occupancy=Occupancy.OCCUPIED,
                    spell=1234.56, posture=Posture.LEANING_FORWARD, balance=Balance.LEFT,
                    bad_channels=("C3 (stuck)",), seat_load=0.9, cop_x=-0.1, cop_y=0.2)


def test_the_status_file_shows_a_snapshot_through_the_table(path, clock) -> None:
    from sitwatch.runtime import describe

    w = StatusWriter(path, clock)
    w.update(**describe.status_fields(seated_snapshot()))
    d = json.loads(path.read_text())
    assert (d["occupancy"], d["spell_seconds"], d["posture"], d["balance"]) == (
        "occupied", 1234.6, "leaning_forward", "left")
    assert d["sensor"]["excluded"] == ["C3 (stuck)"]
    assert "more weight on the left" in format_status({**d, "exists": True, "running": True})


def test_history_and_mqtt_take_exactly_their_keys_from_the_table() -> None:
    import inspect

    from sitwatch.history.store import Store
    from sitwatch.runtime import describe
    from sitwatch.sinks.mqtt import SNAPSHOT_KEYS

    snap = seated_snapshot()
    sample = describe.history_fields(snap)
    params = set(inspect.signature(Store.add_sample).parameters) - {"self", "dt", "dropped",
                                                                    "frames", "loads"}
    assert set(sample) == params
    assert sample["occupied"] is True and sample["seat_load"] == 0.9
    assert describe.history_fields(replace_online(snap, False))["occupied"] is False
    state = describe.mqtt_state(snap)
    assert set(state) == set(SNAPSHOT_KEYS)
    assert state["sitting_seconds"] == 1235 and state["cushion"] == "online"


def replace_online(snap, online):
    import dataclasses

    return dataclasses.replace(snap, online=online)


# -- the status bar's view (sitwatch status --waybar) -------------------------------------------


def _running(path: Path, clock: ManualClock, **fields: object) -> dict[str, object]:
    w = StatusWriter(path, clock, sit_limit=2700.0)
    if fields:
        w.update(**fields)
    w.write()
    return read_status(path, clock)


def test_bar_view_for_each_state(path: Path, clock: ManualClock) -> None:
    from sitwatch.runtime.status import bar_view

    off = bar_view(read_status(path, clock))
    assert (off["text"], off["class"], off["percentage"]) == ("off", "off", 0)
    assert "not running" in str(off["tooltip"])

    empty = bar_view(_running(path, clock, occupancy="empty"))
    assert (empty["text"], empty["class"]) == ("away", "empty")

    sitting = bar_view(_running(path, clock, occupancy="occupied", spell_seconds=1350.0,
                                posture="upright", balance="balanced"))
    assert (sitting["text"], sitting["class"], sitting["percentage"]) == ("23 min", "sitting", 50)
    assert "Occupied" in str(sitting["tooltip"])

    slouched = bar_view(_running(path, clock, occupancy="occupied", spell_seconds=90.0,
                                 posture="slouched", balance="balanced"))
    assert slouched["class"] == "posture" and slouched["text"] == "2 min · slouched"
    assert "sitting for 2 min" in str(slouched["tooltip"])  # the bar said 1 min beside it

    over = bar_view(_running(path, clock, occupancy="occupied", spell_seconds=3000.0,
                             posture="upright"))
    assert over["class"] == "over" and over["percentage"] == 100

    paused = bar_view(_running(path, clock, occupancy="occupied", paused="forever"))
    assert paused["class"] == "paused"

    clock.advance(600)  # nobody has written for ten minutes
    assert bar_view(read_status(path, clock))["class"] == "stale"


# -- the presence view for scripts (sitwatch status --watch) -----------------------------------


def test_watch_view_for_each_state(path: Path, clock: ManualClock) -> None:
    from sitwatch.runtime.status import watch_view

    def view(**fields: object) -> dict[str, object]:
        return watch_view(_running(path, clock, **fields))

    sitting = view(occupancy="occupied", spell_seconds=600.0, posture="slouched",
                   sensor=online(10))
    assert sitting["state"] == "sitting" and sitting["spell_seconds"] == 600.0
    assert sitting["posture"] == "slouched"
    assert sitting["sitting_since"] == "2026-01-05T08:50:00+01:00"  # updated - spell
    away = view(occupancy="empty", posture="slouched", sensor=online(10))
    assert away["state"] == "away" and away["posture"] is None and away["sitting_since"] is None
    assert view(occupancy="occupied", paused="forever")["state"] == "paused"
    assert view(occupancy=None, sensor=online(10))["state"] == "unknown"
    assert view(occupancy="occupied", sensor={"online": False})["state"] == "unknown"
    off = watch_view(read_status(path.parent / "none.json", clock))
    assert off == {"state": "off", "at": None, "sitting_since": None, "spell_seconds": None,
                   "posture": None, "balance": None, "snoozed": False, "paused": None,
                   "last_break": None}


def test_a_verified_break_is_written_at_once(path: Path, clock: ManualClock) -> None:
    from sitwatch.core.events import BREAK

    w = StatusWriter(path, clock, interval=60.0)
    w.update(occupancy="occupied")
    before = w.writes
    clock.advance(1.0)
    assert w.on_event(Event(clock.monotonic(), BREAK, None, {"duration": 300.0, "spell": 9.0}))
    assert w.writes == before + 1
    d = read_status(path, clock)
    assert d["last_break"] == {"seconds": 300.0, "ended": "2026-01-05T09:00:01+01:00"}


def test_values_that_only_tick_wait_for_the_heartbeat(path: Path, clock: ManualClock) -> None:
    """Counters and ages move every second by themselves: they alone do not rewrite the file
    every interval, only every HEARTBEAT seconds (so readers still see the daemon alive); a
    change of anything else shown is written at the next interval."""
    from sitwatch.runtime.status import HEARTBEAT

    w = StatusWriter(path, clock, interval=2.0)
    assert w.update(occupancy="empty", sensor=online(1))
    frames, start = 1, w.writes
    for _ in range(int(HEARTBEAT) - 1):  # frames arrive, the seat stays empty
        clock.advance(1.0)
        frames += 20
        assert not w.update(spell_seconds=0.0,
                            sensor={"frames": frames, "dropped": 3, "last_frame_age": 0.03})
    assert w.writes == start  # before: one every 2 s
    clock.advance(1.0)
    assert w.update(sensor={"frames": frames + 20})  # the heartbeat
    assert json.loads(path.read_text())["sensor"]["frames"] == frames + 20
    assert not w.update(sensor={"frames": frames + 40})
    clock.advance(2.0)
    assert w.update(spell_seconds=4.0)  # something shown changed: at the interval
    d = json.loads(path.read_text())
    assert d["spell_seconds"] == 4.0 and d["sensor"]["frames"] == frames + 40
    clock.advance(2.0)
    assert w.update(sensor={"excluded": ["C3 (stuck)"]})
    clock.advance(2.0)
    assert not w.update(sensor={"excluded": ["C3 (stuck)"]})  # the same again: no write


def test_the_first_frame_is_written_at_the_interval(path: Path, clock: ManualClock) -> None:
    w = StatusWriter(path, clock, interval=2.0)
    w.update(sensor=online(0))
    clock.advance(2.0)
    assert w.update(sensor={"frames": 1})
    assert json.loads(path.read_text())["sensor"]["frames"] == 1


def test_channels_set_aside_are_not_a_calibration_and_learned_ways_show(
    path: Path, clock: ManualClock
) -> None:
    """A channel left out is no calibration of the sitter: the status kept saying "calibrated
    (channels, ...)" after one. A way of sitting upright clear of the backrest learned shows
    beside the calibration."""
    w = StatusWriter(path, clock, sit_limit=2700.0)
    w.update(calibration={"method": "interactive", "at": clock.now()})
    w.on_event(Event(5.0, CALIBRATION, "channels", {"excluded": ["p03 (stuck)"]}))
    assert w.on_event(Event(6.0, CALIBRATION, "learned", {"ways": 2}))
    clock.advance(120)
    w.write()
    d = read_status(path, clock)
    assert d["calibration"]["method"] == "interactive" and d["calibration"]["age"] == 120.0
    assert d["calibration"]["learned"] == 2
    assert ("calibrated (interactive, 2 min ago; 2 ways of sitting upright clear of the "
            "backrest learned)") in format_status(d)



def test_a_snooze_or_pause_ending_on_another_day_says_the_day(path: Path,
                                                               clock: ManualClock) -> None:
    """After `sitwatch snooze 20h` status said "nudges snoozed until 05:00" (tomorrow's time,
    as if today); after 99999 h, a time in 2037 with no date at all."""
    from sitwatch.runtime.status import bar_view

    w = StatusWriter(path, clock)
    soon = clock.now() + timedelta(hours=2)
    w.update(occupancy="empty", snoozed=soon.isoformat(timespec="seconds"))
    assert "nudges snoozed until 11:00 ·" in format_status(read_status(path, clock))
    tomorrow = clock.now() + timedelta(hours=20)
    w.update(snoozed=tomorrow.isoformat(timespec="seconds"))
    d = read_status(path, clock)
    assert "nudges snoozed until Tue 6 Jan 05:00 ·" in format_status(d)
    assert "until Tue 6 Jan 05:00" in bar_view(d)["tooltip"]  # waybar, and the web live page
    assert d["snoozed"] == "2026-01-06T05:00:00+01:00"  # --json stays ISO
    far = clock.now() + timedelta(hours=99999)
    w.update(snoozed=None, paused=far.isoformat(timespec="seconds"))
    first = format_status(read_status(path, clock)).splitlines()[0]
    assert first.startswith("PAUSED until Wed 3 Jun 2037 00:00:"), first


def test_while_paused_the_seat_is_not_shown_as_news(path: Path, clock: ManualClock) -> None:
    """Paused, nothing is watched, yet status went on saying "Occupied — sitting for 20 min ·
    posture slouched" as it was when the pause began, for as long as the pause."""
    w = StatusWriter(path, clock)
    until = clock.now() + timedelta(hours=1)
    w.update(occupancy="occupied", spell_seconds=1200.0, posture="slouched",
             balance="left", paused=until.isoformat(timespec="seconds"))
    first = format_status(read_status(path, clock)).splitlines()[0]
    assert first.startswith("PAUSED until 10:00: nothing is watched meanwhile "
                            "(`sitwatch resume` carries on) · "), first
    assert "Occupied" not in first and "slouched" not in first and "left" not in first


def test_a_stop_days_ago_says_the_day(path: Path, clock: ManualClock) -> None:
    w = StatusWriter(path, clock)
    w.update(occupancy="occupied")
    w.close()
    clock.advance(3 * 86400)
    text = format_status(read_status(path, clock))
    assert "not running (stopped at Mon 5 Jan 09:00)" in text


def camera(online: bool = True, **kw: object) -> dict[str, object]:
    return {"online": online, "device": "camera:0", "reason": None, "every": 5.0,
            "paused": False, **kw}


def test_a_camera_only_setup_is_described_as_a_camera(path: Path, clock: ManualClock) -> None:
    """Camera-only: the sensor is the camera (port camera:DEVICE): no cushion anywhere."""
    cam_sensor = {"online": True, "port": "camera:/tmp/x.avi", "frames": None, "dropped": None,
                  "last_frame_age": None}
    w = StatusWriter(path, clock, sit_limit=2700.0)
    w.update(sensor={**cam_sensor, "online": False}, camera=camera(False))
    first = format_status(read_status(path, clock)).splitlines()[0]
    assert first == "Waiting for the camera · camera starting"
    clock.advance(3.0)
    w.update(occupancy="occupied", posture="slouched", sensor=cam_sensor,
             camera=camera(every=2.0))
    first = format_status(read_status(path, clock)).splitlines()[0]
    assert first == ("Occupied — sitting for under a minute (limit 45 min) · posture slouched · "
                     "camera online (a pose every 2 s)")
    clock.advance(3.0)
    w.update(occupancy="empty", camera=camera(every=10.0))
    first = format_status(read_status(path, clock)).splitlines()[0]
    assert first == "Nobody in view · camera online (a pose every 10 s)"
    clock.advance(3.0)
    w.on_event(Event(9.0, SENSOR, "offline", {"reason": "/tmp/x.avi: end of the video"}))
    w.update(occupancy=None, camera=camera(False, reason="/tmp/x.avi: end of the video"))
    first = format_status(read_status(path, clock)).splitlines()[0]
    assert first == "Waiting for the camera · camera offline: /tmp/x.avi: end of the video"
    # a status file written before the camera had its own section says the same from "sensor"
    d = read_status(path, clock)
    del d["camera"]
    assert format_status(d).splitlines()[0] == first
    assert "cushion" not in format_status(d)
    # the screen locked: the camera takes no picture
    w.update(occupancy="empty", sensor=cam_sensor, camera=camera(paused=True))
    assert format_status(read_status(path, clock)).splitlines()[0] == \
        "Nobody in view · camera paused while the screen is locked"


def test_with_a_cushion_and_a_camera_both_are_said(path: Path, clock: ManualClock) -> None:
    w = StatusWriter(path, clock, sit_limit=2700.0)
    w.update(occupancy="empty", sensor=online(0), camera=camera())
    clock.advance(2.0)
    w.update(sensor=online(40))
    first = format_status(read_status(path, clock)).splitlines()[0]
    assert first == ("Seat empty · cushion online (20.0 fr/s, 3 dropped) · "
                     "camera online (a pose every 5 s)")
    reason = "camera 0: there is no /dev/video0: is a webcam plugged in?"
    w.update(camera=camera(False, reason=reason))
    first = format_status(read_status(path, clock)).splitlines()[0]
    assert first.endswith(f"cushion online (20.0 fr/s, 3 dropped) · camera offline: {reason}")


def test_a_sensors_own_posture_with_both_fused_leaves_the_status_alone(path: Path,
                                                                       clock: ManualClock):
    """`sitwatch status` shows the seat's posture, the fused one, not a sensor's own view of it
    (``fused_in``), which the fused posture may overrule."""
    w = StatusWriter(path, clock, interval=0.0)
    w.on_event(Event(1.0, POSTURE, "slouched", {"source": "fused"}))
    assert w.on_event(Event(2.0, POSTURE, "upright", {"source": "camera", "fused_in": True})) \
        is False
    assert read_status(path, clock)["posture"] == "slouched"


def test_the_days_summary_is_not_the_last_nudge(path: Path, clock: ManualClock) -> None:
    """The day's summary goes out as a `daily_budget` event with stage `summary`, but it is a
    notice of the day's figures: status (and the bar's tooltip and the web page, which show
    the same text) keeps the last real nudge, or says there has been none."""
    from sitwatch.config import Config
    from sitwatch.nudging.policy import NudgePolicy
    from sitwatch.runtime.status import bar_view

    policy = NudgePolicy(Config().nudges, 2700.0)
    summary = policy.summary(10.0, seated=4200.0, budget=3600.0, longest=2400.0)
    w = StatusWriter(path, clock, sit_limit=2700.0)
    assert not w.on_event(summary)
    w.write()
    assert "no nudges yet" in format_status(read_status(path, clock))
    assert w.on_event(Event(3.0, NUDGE, None, {"kind": "prolonged_sitting", "title": "Move"}))
    clock.advance(10 * 60)
    assert not w.on_event(summary)
    w.write()
    d = read_status(path, clock)
    assert list(d["nudges"]) == ["prolonged_sitting"]
    text = format_status(d)
    assert "last nudge: time to move 10 min ago" in text, text
    assert "last nudge: time to move 10 min ago" in bar_view(d)["tooltip"]
    assert "sitting budget" not in text


def test_an_offline_cushion_names_its_port_once(path: Path, clock: ManualClock) -> None:
    """The serial source's reason starts with the port, which the line already names: it read
    "cushion offline on /dev/ttyACM0: /dev/ttyACM0: connection lost ..."."""
    w = StatusWriter(path, clock)
    w.update(sensor={"online": False, "port": "/dev/ttyACM0",
                     "diagnosis": "/dev/ttyACM0: connection lost (Input/output error)"})
    first = format_status(read_status(path, clock)).splitlines()[0]
    assert "cushion offline on /dev/ttyACM0: connection lost (Input/output error)" in first
    assert first.count("/dev/ttyACM0") == 1, first


def test_a_failing_channel_is_told_in_its_own_words_until_it_works(path: Path,
                                                                  clock: ManualClock) -> None:
    from sitwatch.runtime.status import format_status

    said = "mqtt: 127.0.0.1:1883 refused the connection: Not authorized; check mqtt.username"
    lines = format_status(_running(path, clock, occupancy="empty",
                                   channels={"mqtt": said})).splitlines()
    assert lines[-1] == said
    assert "mqtt" not in format_status(_running(path, clock, occupancy="empty", channels=None))
    # words that do not name their channel are led by its name
    lines = format_status(_running(path, clock, occupancy="empty",
                                   channels={"hook": "`notify.sh` exited 1"})).splitlines()
    assert lines[-1] == "hook: `notify.sh` exited 1"


def test_the_mqtt_links_notes_are_told_while_they_last(path: Path, clock: ManualClock) -> None:
    """Another client took our MQTT client id (the daemon moved to one of its own), another
    sitwatch publishes under our topics: the log said each once; status tells them while they
    last."""
    from sitwatch.runtime.status import format_status

    moved = ('mqtt: another MQTT client uses the client id "chair" (mqtt.client_id), so sitwatch '
             'connects as "chair-9b6ad8" instead: give each client its own mqtt.client_id')
    shared = "mqtt: another sitwatch (desk on pi) publishes under the same base topic"
    lines = format_status(_running(path, clock, occupancy="empty", mqtt_client_id=moved,
                                   mqtt_shared=shared)).splitlines()
    assert lines[-2:] == [shared, moved]
    quiet = format_status(_running(path, clock, occupancy="empty", mqtt_client_id=None,
                                   mqtt_shared=None))
    assert "another" not in quiet


def test_a_restart_names_the_last_nudges_shown_today_at_their_time(path: Path,
                                                                   clock: ManualClock) -> None:
    """Seeded from the history at start: the last shown of each kind, at the time it was shown
    (in the status file's offset), leaving out held and dropped ones and the day's summary,
    as the running daemon leaves them out; nothing is written until the daemon writes."""
    from datetime import UTC

    now = clock.now()
    ago = [now - timedelta(minutes=m) for m in (50, 40, 30, 20, 10)]
    w = StatusWriter(path, clock, sit_limit=2700.0)
    w.seed_nudges([
        (ago[0].astimezone(UTC), {"kind": "slouch", "title": "Sit back", "posture": "slouched",
                                  "seen_by": ["cushion"]}),
        (ago[1], {"kind": "prolonged_sitting", "title": "Time to move", "message": "Stand up"}),
        (ago[2], {"kind": "slouch", "title": "Held", "delivered": False, "held": "dnd"}),
        (ago[3], {"kind": "daily_budget", "stage": "summary", "title": "Your day"}),
        (ago[4], {"kind": "asymmetric_load", "delivered": False, "dropped": "daily cap"}),
    ])
    assert not path.exists()
    w.write()
    d = read_status(path, clock)
    assert d["nudges"] == {
        "slouch": {"at": ago[0].isoformat(timespec="seconds"), "title": "Sit back",
                   "message": None, "posture": "slouched", "seen_by": ["cushion"]},
        "prolonged_sitting": {"at": ago[1].isoformat(timespec="seconds"),
                              "title": "Time to move", "message": "Stand up"},
    }
    assert "last nudge: time to move 40 min ago" in format_status(d)


def test_a_nudge_a_moment_ago_is_just_now(path: Path, clock: ManualClock) -> None:
    """Right after a nudge `sitwatch status` and the web's live page said "last nudge: posture
    0 s ago"; a few seconds later it counts the seconds."""
    w = StatusWriter(path, clock, interval=2.0, sit_limit=2700.0)
    w.update(occupancy="occupied", spell_seconds=600.0, sensor=online(0),
             calibration={"method": "auto", "at": clock.now()})
    w.on_event(Event(clock.monotonic(), NUDGE, None, {"kind": "slouch", "title": "Sit back"}))
    w.write()
    text = format_status(read_status(path, clock))
    assert "last nudge: slouching just now" in text and "calibrated (auto, just now)" in text
    assert "0 s ago" not in text
    clock.advance(12.0)
    w.write()
    assert "last nudge: slouching 12 s ago" in format_status(read_status(path, clock))


def test_the_last_nudge_is_named_by_the_posture_it_was_about():
    """A slouch nudge's kind alone read "posture"; the entry's posture names it."""
    from sitwatch.runtime.status import nudge_name

    assert nudge_name("slouch", {"posture": "slouched"}) == "slouching"
    assert nudge_name("slouch", {"posture": "leaning_forward"}) == "leaning forward"
    assert nudge_name("slouch", {}) == "slouching"
    assert nudge_name("asymmetric_load", {}) == "lopsided"
    assert nudge_name("static_sitting", {}) == "shift your weight"


def test_a_seat_alones_leaning_forward_reads_weight_forward(path: Path,
                                                             clock: ManualClock) -> None:
    """A seat without backrest sensors cannot see leaning forward onto the thighs: its
    leaning_forward is the weight on the front of the seat, as the nudge and the reports say;
    `sitwatch status` said "posture leaning forward"."""
    w = StatusWriter(path, clock, sit_limit=2700.0)
    w.on_event(Event(1.0, OCCUPANCY, "occupied"))
    w.on_event(Event(2.0, POSTURE, "leaning_forward", {"source": "cushion"}))
    w.update(spell_seconds=60.0, seat_only=True, sensor={"port": "/dev/ttyACM0"})
    w.write()
    text = format_status(read_status(path, clock))
    assert "posture weight forward" in text and "leaning forward" not in text
    w.update(seat_only=False)  # the backrest carries load again: a chair's leaning forward
    w.write()
    assert "posture leaning forward" in format_status(read_status(path, clock))
