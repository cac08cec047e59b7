"""What the daemon `sitwatch run` builds counts about its nudges: the daily cap across a restart
(from the history), which nudge "Not right" is about (only one that was shown), one answer per
nudge, and the cooldown of a nudge held for do-not-disturb (from when it was shown). A
load-cell cushion on a pseudo-terminal in accelerated time (a ManualClock stamps the frames),
with a real history file."""

from __future__ import annotations

import json
import math
import os
import select
import sqlite3
import subprocess
from datetime import timedelta
from typing import Any

import numpy as np
import pytest

from sitwatch.config import Config
from sitwatch.core.clock import ManualClock
from sitwatch.core.events import NUDGE, Event
from sitwatch.runtime.assemble import build_daemon
from sitwatch.runtime.files import history_path
from sitwatch.sensing import calibration, layout

pytestmark = pytest.mark.integration
LAY = layout.load("load-cells-4")
EMPTY = [40, 35, 30, 45]
SEATED = [20000, 20500, 9000, 9200]
LEFT = [19000, 15500, 11700, 9800]  # lopsided to the left at the default threshold
SLUMP = [9000, 9200, 20000, 20500]  # the rear of the seat emptied: slouched
HZ = 2


def frame(values: list[int]) -> bytes:
    return (",".join(str(v) for v in values) + "\n").encode()


class Chair:
    """The daemon on the pty, driven frame by frame with the clock moved by hand."""

    def __init__(self, master: int, port: str, nudges: dict[str, Any],
                 clock: ManualClock | None = None, **extra: Any) -> None:
        self.master = master
        self.cfg = Config.model_validate({
            "cushion": {"port": port, "layout": "load-cells-4"},
            "detect": {"sit_limit": 60, "occupancy": {"enter_dwell": 0.2, "exit_dwell": 0.2},
                       "balance": {"dwell": 0.5}},
            # spacing 0: these tests run nudges seconds apart on short cooldowns (the spacing
            # between two nudges has its own tests, a test below included)
            "nudges": {"desktop": False, "console": False, "dnd": {"enabled": False},
                       "spacing": 0, **nudges},
            **extra,
        })
        self.clock = clock or ManualClock()
        prof = calibration.from_arrays(LAY, tare=np.array(EMPTY, float),
                                       upright=np.array(SEATED, float), method="recording")
        self.daemon = build_daemon(self.cfg, LAY, prof, self.clock,
                                   headless=not self.cfg.nudges.desktop)
        self.events: list[Event] = []
        self.at: list[float] = []  # the monotonic time each event came out of the daemon

    def play(self, values: list[int], seconds: float) -> list[Event]:
        out: list[Event] = []
        for _ in range(int(seconds * HZ)):
            os.write(self.master, frame(values))
            self.clock.advance(1 / HZ)
            evs = self.daemon.step(0.05)
            out += evs
            self.at += [self.clock.monotonic()] * len(evs)
            while select.select([self.master], [], [], 0)[0]:
                os.read(self.master, 4096)  # the pty's echo
        self.events += out
        return out

    def when(self, ev: Event) -> float:
        return next(t for t, e in zip(self.at, self.events, strict=True) if e is ev)

    def hold_with(self, srv: Any) -> Any:
        """Do-not-disturb from the real notifications probe asking ``srv`` (dunst), asked when
        :meth:`DoNotDisturb.refresh` is called (no background rounds racing the clock)."""
        from sitwatch.nudging.dnd import CommandRunner, DoNotDisturb
        from sitwatch.nudging.dnd_desktop import NotificationServerProbe

        gate = self.daemon.nudger.gate
        assert gate is not None and gate.dnd is not None
        gate.dnd.close()  # the probes built from this test's (desktop-less) session
        gate.dnd = DoNotDisturb([NotificationServerProbe(CommandRunner(srv.env), srv.env)],
                                self.clock, cache_seconds=math.inf, poll=False)
        return gate.dnd

    def close(self) -> None:
        self.daemon.close()


def nudges(evs: list[Event], *, delivered: bool = True) -> list[Event]:
    return [e for e in evs if e.event == NUDGE and bool(e.get("delivered", True)) == delivered]


def test_the_daily_cap_counts_the_nudges_delivered_before_a_restart(serial_pty) -> None:
    """Four nudges in a first run; restarted with daily_cap = 3 the same day, the next one is
    dropped at once (before, the count started at 0 again: 7 delivered against a cap of 3)."""
    master, port = serial_pty
    often = {"cooldown": {"prolonged_sitting": 10}, "per_episode": 5}
    first = Chair(master, port, often)
    try:
        first.play(SEATED, 95)  # time to move at 60 s, then every 10 s
    finally:
        first.close()
    assert len(nudges(first.events)) == 4
    con = sqlite3.connect(history_path(first.cfg))
    stored = con.execute("SELECT count(*) FROM events WHERE event = 'nudge'").fetchone()[0]
    con.close()
    assert stored == 4

    second = Chair(master, port, {**often, "daily_cap": 3},
                   clock=ManualClock(start=first.clock.now()))
    try:
        second.play(SEATED, 60)
    finally:
        second.close()
    assert nudges(second.events) == []
    dropped = nudges(second.events, delivered=False)
    assert dropped and {e.get("dropped") for e in dropped} == {"daily cap reached"}


def test_setting_one_kinds_cooldown_leaves_the_others_at_their_defaults(serial_pty) -> None:
    """cooldown = { slouch = 60 }: lopsided nudges stay 1200 s apart, their own default (before,
    every kind not named fell back to 900 s)."""
    chair = Chair(*serial_pty, {"cooldown": {"slouch": 60}, "imbalance_after": 1,
                                "per_episode": 5, "adapt": False})
    try:
        chair.play(SEATED, 3)
        t0 = chair.clock.monotonic()
        chair.play(LEFT, 1250)
    finally:
        chair.close()
    times = [e.t - t0 for e in nudges(chair.events) if e.get("kind") == "asymmetric_load"]
    assert len(times) == 2, times
    assert 1199 <= times[1] - times[0] <= 1202


def dunstctl(srv: Any, *args: str) -> None:
    subprocess.run(["dunstctl", *args], env=srv.env, timeout=5, check=True)


def test_after_do_not_disturb_the_cooldown_runs_from_when_the_nudge_was_shown(
        serial_pty, dunst) -> None:
    """A lopsided nudge held while dunst is paused goes out when it resumes; the firmer
    follow-up comes a full cooldown (60 s) after that, not 60 s after the nudge was held (it
    came 25 s after it was shown)."""
    chair = Chair(*serial_pty, {"cooldown": {"asymmetric_load": 60}, "imbalance_after": 1,
                                "adapt": False, "dnd": {"enabled": True,
                                                         "probes": ["notifications"]}})
    try:
        dnd = chair.hold_with(dunst)
        dunstctl(dunst, "set-paused", "true")
        assert dnd.refresh()[0]
        chair.play(SEATED, 3)
        chair.play(LEFT, 35)
        dunstctl(dunst, "set-paused", "false")
        assert not dnd.refresh()[0]
        chair.play(LEFT, 120)
    finally:
        chair.close()
    held = nudges(chair.events, delivered=False)
    shown = [e for e in nudges(chair.events) if e.get("kind") == "asymmetric_load"]
    assert [e.get("held") for e in held] == ["notifications: dunst is paused"]
    assert [e.get("level") for e in shown] == ["gentle", "firm"]
    out = chair.when(shown[0])
    assert out - chair.when(held[0]) >= 30
    assert 60 <= chair.when(shown[1]) - out <= 62
    assert shown[0].t == out  # stamped when it was shown


def cli(tmp_path: Any, *args: str) -> tuple[int, str, str]:
    """The real `sitwatch` command in this process (the test's folders), on the chair's config."""
    import contextlib
    import io

    from sitwatch.cli.main import main

    cfg = tmp_path / "c.toml"
    cfg.write_text('[cushion]\nlayout = "load-cells-4"\n')
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--no-user-config", "--config", str(cfg), *args])
    return code, out.getvalue(), err.getvalue()


def test_a_nudge_nobody_saw_is_not_the_last_nudge_nor_answered_not_right(
        serial_pty, tmp_path) -> None:
    """A lopsided nudge is shown, then a slouch nudge is dropped (snoozed). `sitwatch status`
    says the last nudge was the lopsided one, and "Not right" (the daemon's, as MQTT's `wrong`
    asks it, and the command's) is about it, once; the slouch thresholds stay (before, the
    dropped slouch nudge was "the last nudge" of the status file and the command eased it)."""
    from datetime import timedelta

    from sitwatch.core.events import FEEDBACK
    from sitwatch.nudging import control
    from sitwatch.runtime.files import control_path, status_path
    from sitwatch.runtime.status import format_status, read_status

    chair = Chair(*serial_pty, {"imbalance_after": 1, "slouch_after": 1})
    try:
        chair.play(SEATED, 3)
        chair.play(LEFT, 10)
        path = control_path(chair.cfg)
        control.write(path, control.change(control.read(path), "snooze", chair.clock.now(),
                                           timedelta(minutes=30)))
        chair.play(SEATED, 5)
        chair.play(SLUMP, 30)
        text = format_status(read_status(status_path(chair.cfg), chair.clock,
                                         stale_after=math.inf))
        first = chair.daemon.feedback("wrong", None, source="mqtt")
        again = chair.daemon.feedback("wrong", None, source="mqtt")
    finally:
        chair.close()
    assert [e.get("kind") for e in nudges(chair.events)] == ["asymmetric_load"]
    assert [(e.get("kind"), e.get("dropped")) for e in nudges(chair.events, delivered=False)
            ] == [("slouch", "snoozed")]
    assert "last nudge: lopsided" in text, text
    assert [(e.event, e.get("kind")) for e in first] == [(FEEDBACK, "asymmetric_load")]
    assert again == []  # one nudge, one answer
    code, out, err = cli(tmp_path, "feedback", "wrong")
    assert code == 0, err
    assert out.startswith("Already noted: you said the lopsided nudge of"), out
    code, out, _ = cli(tmp_path, "feedback", "show")
    assert "lopsided: 1 of 3 steps" in out and "slouching" not in out


def test_after_a_restart_the_next_nudge_does_not_repeat_the_last_ones_words(serial_pty) -> None:
    """Each kind's texts take turns; a restart started them again from the first, so the
    first nudge after it said what the one before the restart had said. The turn now goes on
    from today's nudges in the history."""
    master, port = serial_pty
    often = {"cooldown": {"prolonged_sitting": 10}, "per_episode": 5}
    first = Chair(master, port, often)
    try:
        first.play(SEATED, 65)  # one "time to move" nudge at 60 s
    finally:
        first.close()
    (before,) = nudges(first.events)
    second = Chair(master, port, often, clock=ManualClock(start=first.clock.now()))
    try:
        second.play(SEATED, 65)
    finally:
        second.close()
    after = nudges(second.events)[0]
    assert (after.get("title"), after.get("message")) != (before.get("title"),
                                                           before.get("message"))


def test_doctor_says_when_the_daemons_pushes_fail(serial_pty, http_server) -> None:
    """Doctor checks a push URL's form; a service that refuses every delivery (a wrong token,
    403) was still "ok push" while the daemon's journal said each one failed. The daemon puts
    a channel's latest problem in its status, and doctor shows it on that channel's line."""
    pytest.importorskip("apprise")
    from sitwatch.cli.doctor import WARN, check_channels

    http_server.status = 403
    master, port = serial_pty
    chair = Chair(master, port, {"cooldown": {"prolonged_sitting": 10},
                                 "push": {"urls": [f"json://127.0.0.1:{http_server.port}/p"]}})
    try:
        chair.play(SEATED, 62)  # a time-to-move nudge at 60 s, pushed and refused
        push = next(s for s in chair.daemon.sinks.sinks if s.name == "push")
        assert push.flush(15)
        chair.play(SEATED, 12)  # the daemon's next status write (a heartbeat at most)
        line = next(c for c in check_channels(chair.cfg, chair.clock) if c[1] == "push")
    finally:
        chair.close()
    level, _, detail = line
    assert level == WARN and "the running daemon's last try" in detail, line
    assert "403" in detail and f"127.0.0.1:{http_server.port}/p" not in detail, detail


def test_a_restart_sends_neither_time_to_move_nor_the_days_summary_again(serial_pty) -> None:
    """Restarted on a sitter who never left, each start sent "time to move" at once, whatever
    its cooldown, and the day's summary again after its time (seen 5 times in 17 minutes).
    Both now go on from what the history says was shown today."""
    master, port = serial_pty
    clock = ManualClock()
    at = (clock.now() + timedelta(seconds=30)).strftime("%H:%M")
    if at < clock.now().strftime("%H:%M"):  # (midnight between: not this test's subject)
        pytest.skip("the summary time would fall on the next day")
    settings = {"day_summary_at": at}
    first = Chair(master, port, settings, clock=clock)
    try:
        first.play(SEATED, 95)  # time to move at 60 s; the summary once its minute came
    finally:
        first.close()
    kinds = [(e.get("kind"), e.get("stage")) for e in nudges(first.events)]
    assert any(k == "prolonged_sitting" for k, _ in kinds), kinds
    assert any(s == "summary" for _, s in kinds), kinds
    second = Chair(master, port, settings, clock=ManualClock(start=first.clock.now()))
    try:
        second.play(SEATED, 120)  # well inside time to move's 15-minute cooldown
    finally:
        second.close()
    assert nudges(second.events) == [], [(e.get("kind"), e.get("stage"))
                                         for e in nudges(second.events)]


def test_a_notice_kept_back_says_why_in_the_journal(serial_pty, caplog) -> None:
    """docs/channels.md promises that when a notice (a way of sitting learned, a sensor that
    stopped working) cannot be shown, "the journal says why": it was an info line, which the
    journal never gets at the daemon's default level."""
    import logging

    master, port = serial_pty
    chair = Chair(master, port, {"quiet_hours": ["08:00-10:00"]})  # the clock says 09:00
    try:
        with caplog.at_level(logging.WARNING, logger="sitwatch"):
            assert chair.daemon._notice_now("a way of sitting upright was learned") is False
    finally:
        chair.close()
    said = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("a way of sitting upright was learned; no notice now" in m and "quiet" in m
               for m in said), said


def test_the_days_summary_is_not_the_last_nudge_in_status(serial_pty, tmp_path) -> None:
    """"Time to move" is shown, then the day's summary goes out at `day_summary_at`: `sitwatch
    status` (and the status bar's tooltip, and the web app's live page, which show the same
    text) still says the last nudge was "time to move". Before, the summary, a notice of the
    day's figures, read "last nudge: sitting budget"."""
    import json
    from datetime import datetime

    from sitwatch.core.events import is_day_summary

    master, port = serial_pty
    clock = ManualClock(datetime(2026, 1, 7, 9, 58, 45).astimezone())
    chair = Chair(master, port, {"day_summary_at": "10:00"}, clock=clock)
    try:
        chair.play(SEATED, 80)  # time to move at 60 s (09:59:45), the summary at 10:00
        code, text, _ = cli(tmp_path, "status")
        _, bar, _ = cli(tmp_path, "status", "--waybar")
    finally:
        chair.close()
    shown = nudges(chair.events)
    assert [e.get("kind") for e in shown] == ["prolonged_sitting", "daily_budget"], shown
    assert not is_day_summary(shown[0].data) and is_day_summary(shown[1].data)
    assert code == 0, text
    assert "last nudge: time to move" in text, text
    assert "sitting budget" not in text, text
    assert "last nudge: time to move" in json.loads(bar)["tooltip"]


def test_status_names_a_slouch_nudge_by_its_posture(serial_pty, tmp_path) -> None:
    """A slouch nudge is shown: `sitwatch status` (and the web app's Live page and the status
    bar's tooltip, which show the same text) says "last nudge: slouching", the posture it was
    about. Before it said "last nudge: posture", which named no nudge the sitter had seen."""
    import json
    from datetime import datetime

    master, port = serial_pty
    chair = Chair(master, port, {"slouch_after": 1},
                  clock=ManualClock(datetime.now().astimezone()))
    try:
        chair.play(SEATED, 3)
        chair.play(SLUMP, 30)
        code, text, _ = cli(tmp_path, "status")
        _, bar, _ = cli(tmp_path, "status", "--waybar")
    finally:
        chair.close()
    assert [(e.get("kind"), e.get("posture")) for e in nudges(chair.events)] == [
        ("slouch", "slouched")]
    assert code == 0, text
    assert "last nudge: slouching" in text, text
    assert "posture" not in text.split("last nudge:")[1].split("·")[0], text
    assert "last nudge: slouching" in json.loads(bar)["tooltip"]


def test_home_assistants_nudge_entity_does_not_fire_for_the_days_summary(serial_pty,
                                                                          broker) -> None:
    """`sitwatch run` publishing to a real mosquitto: "time to move" fires the Nudge entity's
    topic, the day's summary at `day_summary_at` its own (Day summary, event type
    `day_summary`). Before, the summary came on the Nudge entity's topic as a `daily_budget`
    nudge, so an automation on "a nudge came" ran for it."""
    from datetime import datetime

    from sitwatch.sinks.mqtt import MqttSink
    from tests.helpers.servers import Watcher

    w = Watcher(broker, "sitwatch/event/#")
    master, port = serial_pty
    clock = ManualClock(datetime(2026, 1, 7, 9, 58, 45).astimezone())
    chair = Chair(master, port, {"day_summary_at": "10:00"}, clock=clock,
                  mqtt={"enabled": True, "host": broker.host, "port": broker.port,
                        "node_id": "desk"})
    try:
        (sink,) = [s for s in chair.daemon.sinks.sinks if isinstance(s, MqttSink)]
        assert sink.wait_connected(10), broker.log()
        chair.play(SEATED, 80)  # time to move at 60 s (09:59:45), the summary at 10:00
        assert w.wait_for(lambda ms: any(m.topic.endswith("/day_summary") for m in ms), 10), \
            [m.topic for m in w.messages]
        w.settle()
    finally:
        chair.close()
        w.close()
    kinds = [m.json()["event_type"] for m in w.on("sitwatch/event/nudge")]
    assert kinds == ["prolonged_sitting"], kinds
    (day,) = [m.json() for m in w.on("sitwatch/event/day_summary")]
    assert day["event_type"] == "day_summary" and day["stage"] == "summary", day


def test_two_kinds_due_together_come_spacing_apart_across_a_restart(serial_pty) -> None:
    """Time to move and a slump's nudge due in the same seconds came as two notifications at
    once. With spacing = 30 the daemon on the pty sends one, then the other 30 s on if the slump
    still holds; a restart in between does not send the second at once (the history's last
    nudge counts). Read back from the real SQLite history, by wall time."""
    master, port = serial_pty
    opts = {"spacing": 30, "slouch_after": 1}
    first = Chair(master, port, opts)
    try:
        first.play(SEATED, 55)
        first.play(SLUMP, 10)  # the sitting limit (60 s) comes while slumped
    finally:
        first.close()
    assert len(nudges(first.events)) == 1, [e.get("kind") for e in nudges(first.events)]
    second = Chair(master, port, opts, clock=ManualClock(start=first.clock.now()))
    try:
        second.play(SLUMP, 40)
    finally:
        second.close()
    con = sqlite3.connect(history_path(first.cfg))
    rows = con.execute("SELECT epoch, data FROM events WHERE event = 'nudge' ORDER BY epoch"
                       ).fetchall()
    con.close()
    kinds = [json.loads(d)["kind"] for _, d in rows]
    assert sorted(kinds) == ["prolonged_sitting", "slouch"], kinds
    gap = rows[1][0] - rows[0][0]
    assert 30 <= gap < 36, gap
