"""The Workrave integration against the real Workrave (Debian's 1.10) under Xvfb on a private
session bus: the sink (its real D-Bus calls, a manual clock for the seat's events) makes
reading at the desk count as work, and a walk away from the chair a break Workrave takes."""

from __future__ import annotations

import logging

import pytest

from sitwatch.core.clock import ManualClock
from sitwatch.core.events import OCCUPANCY, Event
from sitwatch.core.kinds import Occupancy
from tests.helpers.workrave import missing, running_workrave, wait_until

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(bool(missing()), reason=f"needs {missing()}")]

LOG = logging.getLogger("test.workrave")


def test_the_seat_drives_workraves_break_timer(tmp_path, monkeypatch) -> None:
    pytest.importorskip("jeepney", reason="jeepney (the dbus extra) is not installed")
    from sitwatch.sinks.workrave import WorkraveSink, check

    with running_workrave(tmp_path, micro_reset=3) as wr:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", wr.env["DBUS_SESSION_BUS_ADDRESS"])
        # Workrave alone: someone reading (no key, no mouse) looks idle, a break in the making
        wait_until(lambda: wr.number("GetTimerIdle") >= 3, what="Workrave idle by itself")
        assert wr.number("GetTimerElapsed") == 0 and not wr.active()

        ok, line = check()
        assert ok and "Workrave answers (mode normal" in line

        clock = ManualClock()
        sink = WorkraveSink(clock, 120.0, who="sitwatch", every=1.0, log=LOG)
        try:
            sink.handle(Event(clock.monotonic(), OCCUPANCY, Occupancy.OCCUPIED))
            # seated and reading: Workrave counts it as work, its break timer runs on
            wait_until(lambda: wr.number("GetTimerElapsed") >= 5, what="the timer running")
            assert wr.active() and wr.number("GetTimerIdle") == 0
            before = wr.number("GetTimerElapsed")

            # up and away: idle at once (not 10 s later), and after Workrave's own break length
            # its timer is back at zero: the micro-break was taken
            sink.handle(Event(clock.monotonic(), OCCUPANCY, Occupancy.EMPTY))
            wait_until(lambda: not wr.active(), timeout=3, what="idle on leaving")
            wait_until(lambda: wr.number("GetTimerElapsed") == 0, timeout=15,
                       what="the micro-break timer reset")
            assert before >= 5
            assert sink.reports >= 5
        finally:
            sink.close()
        assert not wr.active()


def test_without_workrave_the_sink_says_so_once_and_finds_it_later(tmp_path, monkeypatch,
                                                                   caplog) -> None:
    pytest.importorskip("jeepney", reason="jeepney (the dbus extra) is not installed")
    from sitwatch.sinks.workrave import WorkraveSink, check
    from tests.helpers.notify_server import NotificationServer
    from tests.helpers.workrave import Workrave

    with NotificationServer(tmp_path / "bus", dunst=False) as server:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", server.env["DBUS_SESSION_BUS_ADDRESS"])
        ok, line = check()
        assert not ok and "Workrave is not running" in line
        clock = ManualClock()
        sink = WorkraveSink(clock, 120.0, log=LOG, start=False)
        sink.handle(Event(clock.monotonic(), OCCUPANCY, Occupancy.OCCUPIED))
        with caplog.at_level(logging.INFO, logger=LOG.name):
            sink.tick()
            sink.tick()
            wr = Workrave(server, tmp_path)
            try:
                wr.start()
                sink.tick()
                # sitwatch's report, not a key or the mouse (seen at Workrave's next beat)
                wait_until(wr.active, timeout=5, what="active")
            finally:
                sink.close()
                wr.stop()
        msgs = [r.getMessage() for r in caplog.records]
        assert sum("Workrave is not running" in m for m in msgs) == 1
        assert any("Workrave answers again" in m for m in msgs)
