"""BuzzerSink over pyserial's loop:// and over a real pseudo-terminal."""

from __future__ import annotations

import logging
import os
import re
import select
import time

import pytest
import serial

from sitwatch.core.events import NUDGE, NUDGE_KINDS, Event
from sitwatch.sinks.buzzer import (
    COMMAND_PATTERN,
    DEFAULT_PATTERNS,
     BuzzerSink,
    command_line,
    parse_patterns,
)

LOG = logging.getLogger("sitwatch.test.buzzer")


def nudge(kind: str) -> Event:
    return Event(5.0, NUDGE, None, {"kind": kind, "title": "t", "message": "m", "why": "w"})


@pytest.mark.parametrize("text", ["BUZZ 1", "BUZZ 9", " VIBE 200,100,200 ", "VIBE 10",
                                  "VIBE " + ",".join(["5000"] * 16)])
def test_valid_commands(text):
    assert command_line(text) == (text.strip() + "\n").encode()
    assert re.fullmatch(COMMAND_PATTERN, text.strip())


@pytest.mark.parametrize("text", ["BUZZ 0", "BUZZ 10", "buzz 2", "VIBE", "VIBE 5", "VIBE 6000",
                                  "VIBE 1,2,", "VIBE " + ",".join(["100"] * 17), "BEEP 2",
                                  "BUZZ 2\nBUZZ 3"])
def test_invalid_commands(text):
    with pytest.raises(ValueError):
        command_line(text)
    assert not re.fullmatch(COMMAND_PATTERN, text.strip())


def test_patterns_from_config():
    assert parse_patterns(DEFAULT_PATTERNS).keys() == set(NUDGE_KINDS)
    assert parse_patterns({"slouch": "BUZZ 2", "wallet": ""}) == {"slouch": b"BUZZ 2\n"}
    with pytest.raises(ValueError, match="not a nudge kind"):
        parse_patterns({"slouching": "BUZZ 2"})


def test_loop_url_receives_one_line_per_nudge():
    port = serial.serial_for_url("loop://", timeout=1)
    sink = BuzzerSink(port.write, patterns={"slouch": b"VIBE 200,100,200\n",
                                            "prolonged_sitting": b"BUZZ 2\n"}, log=LOG)
    sink.handle(Event(1.0, "posture", "slouched"))  # not a nudge
    sink.handle(nudge("slouch"))
    sink.handle(nudge("wallet"))  # no pattern for it: nothing sent
    sink.handle(nudge("prolonged_sitting"))
    assert port.read_until(b"\n") == b"VIBE 200,100,200\n"
    assert port.read_until(b"\n") == b"BUZZ 2\n"
    assert port.in_waiting == 0
    assert sink.sent == 2
    port.close()


def test_a_closed_port_is_logged_once_not_raised(caplog):
    port = serial.serial_for_url("loop://", timeout=1)
    sink = BuzzerSink(port.write, log=LOG)
    port.close()
    with caplog.at_level(logging.INFO, logger=LOG.name):
        sink.handle(nudge("slouch"))
        sink.handle(nudge("slouch"))
    assert sink.failed == 2
    assert len(caplog.records) == 1
    assert "cannot write to the cushion" in caplog.records[0].getMessage()


def test_real_pty_carries_the_command_to_the_firmware_side():
    master, slave = os.openpty()
    try:
        port = serial.Serial(os.ttyname(slave), 115200, timeout=1, write_timeout=1)
        sink = BuzzerSink(port.write, log=LOG)  # the default patterns
        sink.handle(nudge("slouch"))
        sink.handle(nudge("prolonged_sitting"))
        got = b""
        deadline = time.monotonic() + 5
        while got.count(b"\n") < 2 and time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], max(0.0, deadline - time.monotonic()))
            if ready:
                got += os.read(master, 1024)
        assert got == b"VIBE 200,100,200\nBUZZ 3\n"
        port.close()
    finally:
        os.close(master)
        os.close(slave)


def test_a_gone_device_is_logged_and_recovery_too(caplog):
    calls: list[bytes] = []
    broken = [True]

    def write(data: bytes) -> int:
        if broken[0]:
            raise serial.SerialException("write failed: [Errno 5] Input/output error")
        calls.append(data)
        return len(data)

    sink = BuzzerSink(write, log=LOG)
    with caplog.at_level(logging.INFO, logger=LOG.name):
        sink.handle(nudge("wallet"))
        broken[0] = False
        sink.handle(nudge("wallet"))
    assert calls == [b"BUZZ 1\n"]
    # its recovery as loud as its loss: the daemon's journal shows WARNING and up by default
    assert [r.levelname for r in caplog.records] == ["WARNING", "WARNING"]


def _strict(every: float = 60.0):
    sent: list[bytes] = []
    sink = BuzzerSink(sent.append, log=logging.getLogger("test.buzzer"), strict_every=every)
    return sink, sent


def test_strict_mode_repeats_the_time_to_move_command_until_the_seat_is_empty() -> None:
    sink, sent = _strict()
    sink.handle(Event(10.0, NUDGE, None, {"kind": "slouch"}))
    sink.tick(200.0)
    assert sent == [b"VIBE 200,100,200\n"] and not sink.insisting  # other kinds: once
    sink.handle(Event(100.0, NUDGE, None, {"kind": "prolonged_sitting"}))
    for t in (130.0, 159.0, 160.0, 200.0, 220.0):
        sink.tick(t)
    assert sent[1:] == [b"BUZZ 3\n"] * 3 and sink.repeats == 2  # at 100, 160 and 220
    sink.handle(Event(230.0, "occupancy", "empty"))
    sink.tick(400.0)
    assert len(sent) == 4 and not sink.insisting


@pytest.mark.parametrize("stop", ["ack_snooze", "ack_pause", "holding"])
def test_strict_mode_stops_for_a_snooze_or_a_pause(stop: str) -> None:
    sink, sent = _strict()
    sink.handle(Event(0.0, NUDGE, None, {"kind": "prolonged_sitting"}))
    if stop == "holding":
        sink.tick(60.0, holding=True)
    else:
        sink.handle(Event(30.0, "nudge_ack", None, {"kind": "prolonged_sitting",
                                                    "action": stop.split("_")[1]}))
    sink.tick(120.0)
    assert sent == [b"BUZZ 3\n"] and not sink.insisting


def test_strict_mode_is_off_by_default() -> None:
    sink = BuzzerSink(lambda b: None, log=logging.getLogger("test.buzzer"))
    sink.handle(Event(0.0, NUDGE, None, {"kind": "prolonged_sitting"}))
    assert not sink.insisting
