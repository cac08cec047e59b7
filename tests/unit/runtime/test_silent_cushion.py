"""A cushion that stays connected but sends nothing (a firmware that hung, a wireless cushion
that stopped publishing without a last will): the sitting timer stands still as when it is
offline, through the daemon with the real SerialSource on ``loop://`` (what is written to the
port comes back as the cushion's lines), a ManualClock, a real SQLite history and the status file.

Before, only a diagnosis said the cushion had gone quiet: the pipeline stayed online, the spell
kept growing, and "time to move" went out with the first frame back, for sitting nobody saw.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from sitwatch.config import Config, Cushion
from sitwatch.core.clock import ManualClock
from sitwatch.history import queries
from sitwatch.history.store import Store
from sitwatch.runtime.daemon import Daemon
from sitwatch.runtime.status import StatusWriter, bar_view, format_status, read_status
from sitwatch.sensing import layout
from sitwatch.sensing.pipeline import Pipeline
from sitwatch.sources.serial import SerialSource
from tests.helpers.doubles import Collect

LAY = layout.load("load-cells-4")
SEATED = np.array([20000.0, 20500, 9000, 9200])
EMPTY = np.array([40.0, 35, 30, 45])
QUIET_AFTER = 10.0  # cushion.no_data_timeout's default
CFG = Config(cushion={"port": "loop://", "layout": "load-cells-4"},
             detect={"sit_limit": 1800, "occupancy": {"min_break": 120}})


class Rig:
    """The daemon reading a cushion on ``loop://`` at 5 Hz; the clock moves 0.2 s a step."""

    def __init__(self, tmp_path, cfg: Config = CFG) -> None:
        self.clock = ManualClock()
        self.sink = Collect()
        self.store = Store(tmp_path / "h.sqlite", self.clock)
        self.status_path = tmp_path / "status.json"
        self.source = SerialSource(Cushion.model_validate(cfg.cushion.model_dump()), LAY,
                                   self.clock, sleep=self.clock.advance)
        self.d = Daemon(cfg, LAY, self.source, self.clock, sinks=self.sink, store=self.store,
                        status=StatusWriter(self.status_path, self.clock))
        self.n = 0
        self.d.step(0)  # opens the port

    def send(self, seconds: float, values: np.ndarray | None) -> None:
        """``seconds`` of frames of ``values`` (None: nothing, the port open)."""
        for _ in range(round(seconds / 0.2)):
            if values is not None:
                self.n += 1
                noisy = values + np.random.default_rng(self.n).normal(0, 20, 4)
                line = ",".join(f"{v:.0f}" for v in np.clip(noisy, 0, None)) + "\n"
                self.source.write(line.encode())
            self.clock.advance(0.2)
            self.d.step(0)

    def status(self) -> tuple[str, dict]:
        assert self.d.status is not None
        self.d.status.write()
        st = read_status(self.status_path, self.clock)
        return format_status(st), st

    def named(self, event: str) -> list:
        return [e for e in self.sink.events if e.event == event]


def test_a_silent_cushion_stands_the_timer_still_from_its_last_frame(tmp_path) -> None:
    """10 min seated, 90 s with the port open and nothing on it, 5 min seated: one spell of 15
    min; meanwhile the status says the timer is paused and that the cushion is connected but
    silent (not offline: nobody unplugged it), and the port was never closed."""
    r = Rig(tmp_path)
    r.send(60, EMPTY)
    r.send(600, SEATED)
    last_frame = r.clock.monotonic()
    r.send(QUIET_AFTER - 1, None)
    assert r.d.snapshot().seen  # a few seconds without a frame are not a silence
    r.send(80 - QUIET_AFTER + 1, None)
    snap = r.d.snapshot()
    assert not snap.seen and snap.spell == pytest.approx(600, abs=3)
    assert snap.unseen_since == pytest.approx(last_frame, abs=0.3)  # from the last frame
    (went,) = r.named("sensor")
    assert went.state == "offline" and went.get("silent") is True
    assert went.t - last_frame == pytest.approx(QUIET_AFTER, abs=0.5)
    assert went.get("reason") == "no data at all from the device: is it powered and sending? " \
                                 "right port?"
    text, st = r.status()
    assert st["timer_paused"] is True and st["unseen_seconds"] == pytest.approx(80, abs=1)
    assert st["sensor"]["silent"] is True and st["sensor"]["online"] is False
    assert text.startswith("Occupied when last seen 1 min ago — sitting timer paused at 10 min "
                           "(limit 30 min) until the cushion is back · cushion silent on "
                           "loop:// (connected, no frame for 1 min): no data at all"), text
    assert "offline" not in text, text
    assert (bar_view(st)["class"], bar_view(st)["text"]) == ("offline", "10 min · silent")

    r.send(10, None)
    r.send(300, SEATED)
    snap = r.d.snapshot()
    assert snap.seen and snap.spell == pytest.approx(900, abs=5)
    text, st = r.status()
    assert st["timer_paused"] is False and st["sensor"]["silent"] is False
    assert text.startswith("Occupied — sitting for 15 min"), text
    assert "cushion online" in text, text
    (back,) = [e for e in r.named("sensor") if e.state == "online"]
    assert back.get("unseen") == pytest.approx(90, abs=1)
    assert r.named("break") == [] and r.named("nudge") == []
    assert r.source.online and r.source.reconnects == 0  # the port stayed open throughout
    r.send(200, EMPTY)
    spells = queries.spells_between(r.store, r.clock.now() - timedelta(hours=1),
                                    r.clock.now() + timedelta(seconds=1))
    assert [round(s.seconds) for s in spells] == [pytest.approx(903, abs=5)]  # + exit dwell
    r.d.close()


def test_no_time_to_move_for_sitting_during_a_silence(tmp_path) -> None:
    """28 min seated, 100 s of silence, seated on: "time to move" comes after 30 min of sitting
    the cushion reported, not with its first frame back."""
    r = Rig(tmp_path)
    r.send(60, EMPTY)
    r.send(1680, SEATED)
    r.send(100, None)
    assert r.named("nudge") == []
    back = r.clock.monotonic()
    r.send(300, SEATED)
    (nudge,) = r.named("nudge")
    assert nudge.get("kind") == "prolonged_sitting"
    seated_at = next(e.t for e in r.named("occupancy") if e.state == "occupied")
    assert nudge.t >= back + 60  # not at once
    assert nudge.t - seated_at - 100 == pytest.approx(1800, abs=3)
    r.d.close()


def test_silent_for_min_break_or_more_is_taken_as_offline_that_long(tmp_path) -> None:
    """20 min seated, 10 min of silence, seated on: as after an unplug that long, the seat
    counts as empty from the last frame, and sitting on is a new spell after a break."""
    r = Rig(tmp_path)
    r.send(60, EMPTY)
    r.send(1200, SEATED)
    r.send(600, None)
    r.send(300, SEATED)
    (brk,) = r.named("break")
    assert brk.get("spell") == pytest.approx(1200, abs=5)
    assert r.named("nudge") == []
    assert r.d.snapshot().spell == pytest.approx(300, abs=5)
    r.d.close()


def test_the_bound_is_the_cushions_no_data_timeout(tmp_path) -> None:
    """A cushion set to be diagnosed after 30 s without a frame is taken as silent then, not
    before: the silence and the diagnosis are one moment."""
    cfg = CFG.model_copy(update={"cushion": Cushion(port="loop://", no_data_timeout=30)})
    r = Rig(tmp_path, cfg)
    r.send(60, SEATED)
    r.send(29, None)
    assert r.named("sensor") == [] and r.named("diagnosis") == []
    r.send(2, None)
    (diag,) = r.named("diagnosis")
    (went,) = r.named("sensor")
    assert went.t == diag.t and went.get("silent") is True
    r.d.close()


# -- the pipeline alone -----------------------------------------------------------------------

def test_pipeline_silent_then_unplugged_then_back() -> None:
    """Silent is offline with its link up: a second silence says nothing new; the link going
    down meanwhile is news (the status then says offline, not silent); frames bring it back."""
    pl = Pipeline(LAY, CFG)
    t = 0.0
    for _ in range(300):
        t += 0.2
        pl.process(t, SEATED)
    (ev,) = pl.silent(t + 10, t, "no data at all")
    assert (ev.state, ev.get("silent"), ev.get("quiet")) == ("offline", True, 10.0)
    assert not pl.online and pl.timer.unseen_since == t
    assert pl.silent(t + 70, t, "no data at all") == []
    (gone,) = pl.sensor(t + 80, False, "connection lost")
    assert gone.state == "offline" and not gone.get("silent")
    assert pl.sensor(t + 81, False, "connection lost") == []
    evs = pl.process(t + 90, SEATED)
    assert [(e.event, e.state) for e in evs][:1] == [("sensor", "online")]
    assert pl.online and pl.timer.unseen_since is None


def test_a_silence_while_offline_changes_nothing() -> None:
    pl = Pipeline(LAY, CFG)
    pl.sensor(1.0, False, "no such device")
    assert pl.silent(20.0, 1.0, "no data at all") == []


def test_the_spell_shown_never_goes_back_while_the_cushion_hangs(tmp_path) -> None:
    """A cushion that hangs is declared silent `no_data_timeout` (10 s) after its last frame,
    and the timer then stands still from that frame. Meanwhile the spell shown (`sitwatch
    status`, the Live page, MQTT) counted on, and stepped back when the silence was declared:
    "sitting for 10 min" went back to "9 min". It counts no further than the last frame now,
    and the history is as before."""
    r = Rig(tmp_path)
    r.send(60, EMPTY)
    r.send(565, SEATED)
    sat = r.d.snapshot().spell
    assert 560 < sat < 568  # "9 min"; ten seconds more read "10 min"
    spells, heads = [], []
    for _ in range(round((QUIET_AFTER + 5) / 0.2)):
        r.send(0.2, None)
        text, st = r.status()
        spells.append(st["spell_seconds"])
        heads.append(text.split(" · ")[0])
    assert r.named("sensor")[0].get("silent") is True  # declared within those 15 s
    assert spells == sorted(spells), spells  # never back
    assert max(spells) == pytest.approx(sat, abs=0.3)
    assert all("sitting for 9 min" in h or "paused at 9 min" in h for h in heads), set(heads)
    r.send(60, SEATED)
    assert r.d.snapshot().spell == pytest.approx(sat + 60, abs=1)  # on from where it stood
    r.send(200, EMPTY)
    history = queries.spells_between(r.store, r.clock.now() - timedelta(hours=1),
                                     r.clock.now() + timedelta(seconds=1))
    assert [round(s.seconds) for s in history] == [pytest.approx(sat + 60, abs=5)]
    r.d.close()
