"""SerialSource against loop:// and a fake port, on a ManualClock: nothing really sleeps."""

from __future__ import annotations

import errno
import logging
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import serial
from hypothesis import given, settings
from hypothesis import strategies as st

from sitwatch.config import Cushion
from sitwatch.core.clock import ManualClock
from sitwatch.sensing import wire
from sitwatch.sensing.layout import grid
from sitwatch.sources.base import Diagnosis, Reading, Status
from sitwatch.sources.serial import SerialSource, open_failure_reason

L4 = grid(2, 2)  # 4 channels, full scale 255
L16 = grid(4, 4)
NOT_FOUND = "/dev/ttyACM0: no such device: is the cushion plugged in?"


class FakePort:
    """Just enough of a pyserial port; ``device`` answers writes (a polled reader)."""

    def __init__(self, device: Callable[[FakePort, bytes], None] | None = None) -> None:
        self.rx = bytearray()
        self.written: list[tuple[float | None, bytes]] = []
        self.timeout: float | None = None
        self.closed = False
        self.fail: BaseException | None = None
        self.device = device
        self.flushes = 0
        self.clock: ManualClock | None = None
        self.after_read: bytes = b""  # bytes that "arrive late", after each read

    def _check(self) -> None:
        if self.fail is not None:
            raise self.fail

    @property
    def in_waiting(self) -> int:
        self._check()
        return len(self.rx)

    def read(self, size: int = 1) -> bytes:
        self._check()
        out = bytes(self.rx[:size])
        del self.rx[:size]
        self.rx += self.after_read
        return out

    def write(self, data: bytes) -> int:
        self._check()
        self.written.append((self.clock.monotonic() if self.clock else None, bytes(data)))
        if self.device is not None:
            self.device(self, bytes(data))
        return len(data)

    def reset_input_buffer(self) -> None:
        self._check()
        self.flushes += 1
        self.rx.clear()

    def close(self) -> None:
        self.closed = True

    def feed(self, data: bytes) -> None:
        self.rx += data


class Opener:
    """Returns ports or raises errors from a script; records when and how it was called."""

    def __init__(self, clock: ManualClock, *results: Any) -> None:
        self.clock = clock
        self.results = list(results)
        self.calls: list[float] = []
        self.kwargs: list[dict[str, Any]] = []

    def __call__(self, url: str, **kw: Any) -> Any:
        self.calls.append(self.clock.monotonic())
        self.kwargs.append(kw)
        r = self.results.pop(0) if len(self.results) > 1 else self.results[0]
        if isinstance(r, BaseException):
            raise r
        if isinstance(r, FakePort):
            r.closed = False
            r.fail = None
        return r


def enoent(port: str = "/dev/ttyACM0") -> serial.SerialException:
    return serial.SerialException(
        errno.ENOENT, f"could not open port {port}: [Errno 2] No such file or directory: '{port}'")


def make(*results: Any, layout: Any = L4, clock: ManualClock | None = None,
         **cfg: Any) -> tuple[SerialSource, ManualClock, Opener]:
    clock = clock or ManualClock()
    opts = {"port": "/dev/ttyACM0", "reconnect_min": 0.5, "reconnect_max": 4.0, **cfg}
    opener = Opener(clock, *results)
    src = SerialSource(Cushion(**opts), layout, clock, sleep=clock.advance, opener=opener)
    return src, clock, opener


def readings(items: list[Any]) -> list[Reading]:
    return [i for i in items if isinstance(i, Reading)]


def values(items: list[Any]) -> list[list[float]]:
    return [r.values.tolist() for r in readings(items)]


@pytest.fixture
def text() -> tuple[SerialSource, ManualClock, FakePort]:
    port = FakePort()
    src, clock, _ = make(port, time_unit="ms")
    items = src.poll(0)
    assert items == [Status(0.0, True, "/dev/ttyACM0: open (text, 115200 baud)")]
    return src, clock, port


# -- text mode -------------------------------------------------------------------------

def test_text_frames_over_loop_url() -> None:
    clock = ManualClock()
    ports: list[Any] = []

    def opener(url: str, **kw: Any) -> Any:
        ports.append(serial.serial_for_url("loop://", **kw))
        return ports[-1]

    src = SerialSource(Cushion(port="loop://"), L4, clock, sleep=clock.advance, opener=opener)
    assert [i.online for i in src.poll(0) if isinstance(i, Status)] == [True]
    ports[0].write(b"1,2,3,4\n10 20 30 40\n")
    clock.advance(0.25)
    items = src.poll(0.05)
    assert values(items) == [[1, 2, 3, 4], [10, 20, 30, 40]]
    assert all(r.t == 0.25 and r.device_t is None for r in readings(items))
    assert src.poll(0.01) == []  # nothing more: waits (really) at most 10 ms
    src.close()
    assert not ports[0].is_open


def test_opens_with_exclusive_and_nonblocking_timeout() -> None:
    port = FakePort()
    src, _, opener = make(port, baud=9600)
    src.poll(0)
    assert opener.kwargs[0] == {"baudrate": 9600, "timeout": 0, "write_timeout": 1.0,
                                "exclusive": True}


def test_partial_lines_across_reads(text: Any) -> None:
    src, _, port = text
    port.feed(b"1,2,")
    assert src.poll(0) == []
    port.feed(b"3,4\n5,6")
    assert values(src.poll(0)) == [[1, 2, 3, 4]]
    port.feed(b",7,8\n")
    assert values(src.poll(0)) == [[5, 6, 7, 8]]
    assert src.stats()["dropped_total"] == 0


def test_crlf_tags_and_timestamps(text: Any) -> None:
    src, _, port = text
    port.feed(b"1,2,3,4\r\nDATA:5,6,7,8\r\nP,9;10;11;12\r\n# comment\r\n2500,1,1,1,1\r\n")
    items = src.poll(0)
    assert values(items) == [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [1, 1, 1, 1]]
    assert [r.device_t for r in readings(items)] == [None, None, None, 2.5]  # time_unit=ms
    assert src.stats()["comments"] == 1


def test_garbage_and_wrong_count_are_counted(text: Any) -> None:
    src, _, port = text
    port.feed(b"1,2,3,4\nhello world\n\xff\xfe\x00\n1,2,3\n1,2,3,4,5,6\n300,1,1,1\n-1,0,0,0\n")
    assert values(src.poll(0)) == [[1, 2, 3, 4]]
    s = src.stats()
    assert s["dropped"] == {"garbage": 2, "count": 2, "range": 1, "negative": 1}
    assert s["dropped_total"] == 6
    assert s["frames"] == 1


def test_partial_first_line_after_open_is_not_counted(text: Any) -> None:
    src, _, port = text
    port.feed(b",3,4\n1,2,3,4\n")
    assert values(src.poll(0)) == [[1, 2, 3, 4]]
    assert src.stats()["dropped_total"] == 0


def test_first_line_may_be_a_declaration(text: Any) -> None:
    src, _, port = text
    port.feed(b"# rows=2 cols=2\n1,2,3,4\n")
    assert values(src.poll(0)) == [[1, 2, 3, 4]]
    assert src.parser.declared == 4


def test_overlong_line_without_newline_is_dropped_once(text: Any) -> None:
    src, _, port = text
    port.feed(b"1,2,3,4\n")
    src.poll(0)
    port.feed(b"7" * (wire.MAX_LINE + 10))
    assert src.poll(0) == []
    port.feed(b"7" * 100)
    assert src.poll(0) == []
    port.feed(b"77,\n5,6,7,8\n")
    assert values(src.poll(0)) == [[5, 6, 7, 8]]
    assert src.stats()["dropped"] == {"too_long": 1}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=80), max_size=12), st.booleans())
def test_chunk_boundaries_do_not_matter(cuts: list[int], crlf: bool) -> None:
    end = b"\r\n" if crlf else b"\n"
    frames = [[i, i + 1, 200 - i, 7] for i in range(12)]
    stream = b"".join(",".join(map(str, f)).encode() + end for f in frames)
    port = FakePort()
    src, _, _ = make(port)
    src.poll(0)
    got: list[list[float]] = []
    pos = 0
    for c in [*sorted(cuts), len(stream)]:
        port.feed(stream[pos:c])
        pos = max(pos, c)
        got += values(src.poll(0))
    assert got == frames
    assert src.stats()["bytes"] == len(stream)


# -- binary mode -----------------------------------------------------------------------

def test_binary_polls_at_poll_hz_and_reads_one_byte_per_channel() -> None:
    frame = bytes(range(16))

    def device(port: FakePort, data: bytes) -> None:
        if data == b"A":
            port.feed(frame)

    port = FakePort(device)
    src, clock, _ = make(port, layout=L16, mode="binary", poll_byte=0x41, poll_hz=10)
    port.clock = clock
    assert [i.online for i in src.poll(1.0)] == [True]
    got = []
    for _ in range(5):
        got += readings(src.poll(1.0))
    assert [r.values.tolist() for r in got] == [list(range(16))] * 5
    assert [t for t, _ in port.written] == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4])
    assert port.flushes == 5
    assert src.stats()["frames"] == 5


def test_binary_poll_waits_no_longer_than_max_wait() -> None:
    port = FakePort(lambda p, d: p.feed(bytes(16)))
    src, clock, _ = make(port, layout=L16, mode="binary", poll_hz=2)
    port.clock = clock
    src.poll(0)
    assert len(readings(src.poll(0))) == 1  # first poll right after opening
    assert src.poll(0.1) == [] and clock.monotonic() == pytest.approx(0.1)
    assert src.poll(0) == []
    assert src.poll(0.3) == [] and clock.monotonic() == pytest.approx(0.4)
    assert len(readings(src.poll(1.0))) == 1 and clock.monotonic() == pytest.approx(0.5)


def test_binary_short_reply_counted_and_late_bytes_flushed() -> None:
    replies = [bytes(10), bytes([5] * 16), bytes([6] * 16), b""]

    def device(port: FakePort, data: bytes) -> None:
        port.feed(replies.pop(0))

    port = FakePort(device)
    port.after_read = b"\x99\x99"  # a late tail arriving after every read: must not shift frames
    src, _, _ = make(port, layout=L16, mode="binary", poll_hz=50)
    src.poll(0)
    got = []
    for _ in range(4):
        got += readings(src.poll(1.0))
    assert [r.values.tolist() for r in got] == [[5] * 16, [6] * 16]
    s = src.stats()
    assert s["dropped"] == {"count": 1}
    assert s["no_reply"] == 1


def test_binary_frames_for_the_bridge_are_text_lines_and_bad_ones_counted() -> None:
    """With ``lines`` (`sitwatch bridge`) a polled frame is handed on as the line a cushion
    would send, not made into a reading; a short reply is dropped and counted here as ever."""
    replies = [bytes(10), bytes([0, 17, 200, 255] * 4), b""]
    port = FakePort(lambda p, d: p.feed(replies.pop(0)))
    clock = ManualClock()
    sent: list[bytes] = []
    src = SerialSource(Cushion(port="/dev/ttyACM0", mode="binary", poll_hz=50), L16, clock,
                       sleep=clock.advance, opener=Opener(clock, port), lines=sent.append)
    src.poll(0)
    items = [i for _ in range(3) for i in src.poll(1.0)]
    assert readings(items) == []
    assert sent == [b"0,17,200,255," * 3 + b"0,17,200,255"]
    assert src.stats()["dropped"] == {"count": 1} and src.stats()["frames"] == 1
    assert src.parser.frames is False  # nothing on this path makes a frame (nor loads numpy)


def test_the_bridge_judges_a_first_matrix_line_as_the_daemon_would() -> None:
    """The first line after opening is dropped unseen when it is the tail of a line; a whole
    one, a 16-value line here as a 16x16 matrix's 256, is passed on."""
    for layout, whole in ((L16, b",".join([b"9"] * 16)), (grid(16, 16), b",".join([b"9"] * 256))):
        port = FakePort()
        clock = ManualClock()
        sent: list[bytes] = []
        src = SerialSource(Cushion(port="/dev/ttyACM0"), layout, clock, sleep=clock.advance,
                           opener=Opener(clock, port), lines=sent.append)
        src.poll(0)
        port.feed(b"9,9,9\n" + whole + b"\r\n" + b"# noise\n")
        src.poll(0)
        assert sent == [whole, b"# noise"]
        assert src.stats()["dropped_total"] == 0


def test_binary_no_reply_diagnosis() -> None:
    port = FakePort()
    src, _, _ = make(port, layout=L16, mode="binary", poll_hz=10, poll_byte=0x50,
                         no_data_timeout=2)
    diags = []
    for _ in range(30):
        diags += [i for i in src.poll(0.1) if isinstance(i, Diagnosis)]
    assert len(diags) == 1
    assert diags[0].message.startswith("no reply to poll byte 0x50")
    assert diags[0].t == pytest.approx(2.0)


# -- opening, unplugging, backoff ------------------------------------------------------

def test_backoff_schedule_min_doubling_cap() -> None:
    src, clock, opener = make(enoent())
    sleeps: list[float] = []

    def sleep(s: float) -> None:
        sleeps.append(s)
        clock.advance(s)

    src._sleep = sleep
    statuses = []
    while clock.monotonic() < 20:
        statuses += src.poll(1.0)
    assert opener.calls == pytest.approx([0, 0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5])
    assert sleeps and max(sleeps) <= 1.0  # never past max_wait
    assert statuses == [Status(0.0, False, NOT_FOUND, gone=True)]  # not there: not silent
    assert src.stats()["online"] is False
    assert "plugged in" in str(src.stats()["reason"])


def test_nonblocking_poll_while_offline_does_not_sleep() -> None:
    src, clock, opener = make(enoent())
    src.poll(0)
    for _ in range(5):
        assert src.poll(0) == []
    assert clock.monotonic() == 0 and opener.calls == [0]


@pytest.mark.parametrize(("exc", "expect"), [
    (serial.SerialException(errno.EACCES, "could not open port x: [Errno 13] Permission denied"),
     "permission denied: add yourself to the dialout group"),
    (serial.SerialException(11, "Could not exclusively lock port"), "in use by another program"),
    (serial.SerialException("could not open port: [Errno 2] No such file"), "no such device"),
    (ValueError("invalid URL, protocol 'bogus' not known"), "not a serial device or pyserial URL"),
    (serial.SerialException("Could not open port socket://x:1: refused"), "cannot open"),
])
def test_open_failure_reasons(exc: BaseException, expect: str) -> None:
    assert expect in open_failure_reason("/dev/ttyACM0", exc)
    src, _, _ = make(exc)
    (status,) = src.poll(0)
    assert isinstance(status, Status) and not status.online and expect in status.reason


def test_no_port_configured() -> None:
    src, _, opener = make(FakePort(), port="")
    (status,) = src.poll(0)
    assert isinstance(status, Status) and "no cushion port configured" in status.reason
    assert opener.calls == []


def test_unplug_backoff_and_replug() -> None:
    port = FakePort()
    src, clock, opener = make(port, enoent(), enoent(), enoent(), port)
    src.poll(0)
    port.feed(b"1,2,3,4\n")
    assert len(readings(src.poll(0))) == 1
    clock.advance(2.0)
    port.fail = OSError(errno.EIO, "Input/output error")
    (lost,) = src.poll(0)
    assert isinstance(lost, Status) and not lost.online and lost.t == 2.0
    assert "connection lost" in lost.reason and "unplugged" in lost.reason
    assert port.closed
    items = []
    while not any(isinstance(i, Status) and i.online for i in items):
        items += src.poll(1.0)
    # first retry reconnect_min after the unplug, then doubling
    assert opener.calls == pytest.approx([0.0, 2.5, 3.5, 5.5, 9.5])
    offline = [i for i in items if isinstance(i, Status) and not i.online]
    assert [s.reason for s in offline] == [NOT_FOUND]
    assert src.stats()["reconnects"] == 1
    port.feed(b"5,6,7,8\n")
    assert values(src.poll(0)) == [[5, 6, 7, 8]]
    # after a successful open the backoff starts again from reconnect_min
    port.fail = serial.SerialException("device reports readiness to read but returned no data")
    (lost,) = src.poll(0)
    assert isinstance(lost, Status) and not lost.online
    (back,) = src.poll(5.0)
    assert isinstance(back, Status) and back.online
    assert opener.calls[-1] == pytest.approx(9.5 + 0.5)
    assert src.stats()["reconnects"] == 2


@pytest.mark.parametrize("there", [False, True])
def test_a_lost_connection_says_whether_the_device_went(monkeypatch: Any, there: bool) -> None:
    """The daemon tells a cushion that went quiet under the sitter from one that was unplugged
    (runtime/notices.py): a read that fails while the port's path is still there is not."""
    port = FakePort()
    src, _, _ = make(port)
    src.poll(0)
    monkeypatch.setattr("sitwatch.sources.serial.os.path.exists", lambda _p: there)
    port.fail = OSError(errno.EIO, "Input/output error")
    (lost,) = src.poll(0)
    assert isinstance(lost, Status) and not lost.online and lost.gone is not there


def test_initial_failure_then_success_is_not_a_reconnect() -> None:
    port = FakePort()
    src, _, _ = make(enoent(), port)
    assert not src.poll(0)[0].online  # type: ignore[union-attr]
    assert src.poll(1.0)[0].online  # type: ignore[union-attr]
    assert src.stats()["reconnects"] == 0


def test_close_closes_the_port_and_stops() -> None:
    port = FakePort()
    src, _, _ = make(port)
    src.poll(0)
    src.close()
    assert port.closed
    port.feed(b"1,2,3,4\n")
    assert src.poll(1.0) == []
    assert src.stats()["online"] is False


# -- drop logging and diagnosis --------------------------------------------------------

def test_drop_summary_is_rate_limited(caplog: pytest.LogCaptureFixture) -> None:
    port = FakePort()
    src, clock, _ = make(port, layout=L16, no_data_timeout=1000)
    src.poll(0)
    port.feed(b",".join([b"1"] * 16) + b"\n")
    assert len(readings(src.poll(0))) == 1
    caplog.set_level(logging.WARNING, logger="sitwatch.serial")
    port.feed(b"1,2,3,4,5,6,7,8,9,10,11,12\n" * 30 + b"junk!\n" * 7)
    src.poll(0)
    clock.advance(5)
    src.poll(0)
    assert not caplog.records
    clock.advance(5)
    src.poll(0)
    (rec,) = caplog.records
    assert rec.levelno == logging.WARNING
    assert rec.getMessage() == (
        "/dev/ttyACM0: dropped 37 lines in the last 10 s: "
        "count 30 (got 12 values, layout has 16), garbage 7 (e.g. 'junk!')")
    # more drops right away: summarised no sooner than 10 s later
    caplog.clear()
    port.feed(b"1,2\n")
    src.poll(0)
    clock.advance(9)
    src.poll(0)
    assert not caplog.records
    clock.advance(1)
    src.poll(0)
    (rec,) = caplog.records
    assert ("dropped 1 line in the last 10 s: count 1 (got 2 values, layout has 16)"
            in rec.getMessage())
    # nothing new: nothing logged
    caplog.clear()
    clock.advance(30)
    src.poll(0)
    assert not caplog.records


def test_diagnosis_wrong_layout_repeats_every_60_s_and_resets(text: Any) -> None:
    src, clock, port = text  # no_data_timeout defaults to 10 s
    port.feed(b"1,2,3,4\n")
    src.poll(0)

    def diags() -> list[str]:
        return [i.message for i in src.poll(0) if isinstance(i, Diagnosis)]

    port.feed(b"1,2,3,4,5,6,7,8,9,10,11,12\n" * 5)
    assert diags() == []
    clock.advance(9.9)
    assert diags() == []
    clock.advance(0.1)
    assert diags() == ["wrong layout: got 12 values, layout has 4"]
    for _ in range(5):
        clock.advance(10)
        assert diags() == []
    clock.advance(10)
    assert diags() == ["wrong layout: got 12 values, layout has 4"]
    # frames flow again: the timer restarts, and only drops since the last frame count
    port.feed(b"1,2,3,4\n")
    src.poll(0)
    port.feed(b"\xc3\x28\x00garbage\n" * 3)
    clock.advance(9)
    assert diags() == []
    clock.advance(1)
    (msg,) = diags()
    assert msg.endswith("wrong baud rate?")


def test_diagnosis_wrong_layout_16() -> None:
    port = FakePort()
    src, clock, _ = make(port, layout=L16, no_data_timeout=5)
    src.poll(0)
    port.feed(b"1,2,3,4,5,6,7,8,9,10,11,12\n" * 3)
    src.poll(0)
    clock.advance(5)
    (d,) = src.poll(0)
    # the wait began when the port opened: no frame since
    assert d == Diagnosis(5.0, "wrong layout: got 12 values, layout has 16", since=0.0)


def test_diagnosis_garbage_means_baud_rate(text: Any) -> None:
    src, clock, port = text
    rng = np.random.default_rng(1)
    port.feed(bytes(rng.integers(128, 256, 200, dtype=np.uint8)) + b"\n" + b"\xf0\x0f\n" * 4)
    src.poll(0)
    clock.advance(10)
    (d,) = src.poll(0)
    assert isinstance(d, Diagnosis) and "wrong baud rate?" in d.message


def test_diagnosis_no_data(text: Any) -> None:
    src, clock, _ = text
    clock.advance(10)
    (d,) = src.poll(0)
    assert isinstance(d, Diagnosis) and d.message.startswith("no data at all")


def test_a_silent_device_that_starts_talking_is_diagnosed_again_within_seconds(text: Any) -> None:
    """"No data at all" was repeated for a minute after bytes came (a cable plugged in at the
    wrong baud rate): doctor kept telling the user to check the power. Once bytes have come for
    RETHINK seconds, what they are is said, once; then every minute as before."""
    from sitwatch.sources.watch import DIAGNOSIS_REPEAT, RETHINK

    src, clock, port = text

    def diags() -> list[str]:
        return [i.message for i in src.poll(0) if isinstance(i, Diagnosis)]

    clock.advance(10)
    [first] = diags()
    assert first.startswith("no data at all")
    clock.advance(5)
    assert diags() == []  # still nothing: no new words before the minute
    port.feed(b"\xf0\x0f\x99\n" * 3)
    assert diags() == []
    clock.advance(RETHINK - 0.5)
    port.feed(b"\xf0\x0f\x99\n" * 3)
    assert diags() == []  # give the lines a few seconds to say what they are
    clock.advance(0.5)
    [second] = diags()
    assert second.endswith("wrong baud rate?"), second
    for _ in range(int(DIAGNOSIS_REPEAT) - 1):  # then the usual minute, not every few seconds
        clock.advance(1)
        port.feed(b"\xf0\x0f\x99\n")
        assert diags() == []
    clock.advance(1)
    assert diags() == [second]


def test_no_diagnosis_while_offline() -> None:
    src, _, _ = make(enoent(), no_data_timeout=1)
    for _ in range(20):
        assert not any(isinstance(i, Diagnosis) for i in src.poll(1.0))


def test_stats_fields(text: Any) -> None:
    src, clock, port = text
    port.feed(b"1,2,3,4\nx\n")
    src.poll(0)
    clock.advance(1.5)
    s = src.stats()
    assert s["port"] == "/dev/ttyACM0" and s["online"] is True
    assert s["frames"] == 1 and s["dropped"] == {"garbage": 1} and s["dropped_total"] == 1
    assert s["reconnects"] == 0 and s["bytes"] == 10
    assert s["last_frame_age"] == pytest.approx(1.5)
    assert src.name == "serial:/dev/ttyACM0"


# -- record() --------------------------------------------------------------------------

class HangupPort(FakePort):
    """Delivers what was fed, then reports a hangup like an unplugged tty."""

    def read(self, size: int = 1) -> bytes:
        if not self.rx and self.hangup:
            raise serial.SerialException("device reports readiness to read but returned no data")
        return super().read(size)

    hangup = True


def lines(start: int, n: int) -> bytes:
    return b"".join(f"{k},{k + 1},{k + 2},{k + 3}\n".encode() for k in range(start, start + n))


def test_record_survives_an_unplug(tmp_path: Any) -> None:
    from sitwatch.sources.recorder import record
    from sitwatch.sources.recording import frames, read_header

    clock = ManualClock()
    first, second = HangupPort(), HangupPort()
    second.hangup = False
    first.feed(lines(0, 10))
    second.feed(lines(10, 10))
    opener = Opener(clock, first, enoent(), enoent(), second)
    out = tmp_path / "rec.csv"
    n = record("/dev/ttyACM0", out, L4, baud=57600, clock=clock, opener=opener,
               sleep=clock.advance, hz=5, stop=lambda frames: frames >= 20,
               cushion=Cushion(reconnect_min=0.5, reconnect_max=4))
    assert n == 20
    assert opener.calls == pytest.approx([0.0, 0.5, 1.5, 3.5])
    assert opener.kwargs[0]["baudrate"] == 57600
    text = out.read_text()
    assert text.splitlines()[0] == (
        "# sitwatch-recording v1 layout=grid:2x2 hz=5 started=2026-01-05T09:00:00+00:00")
    assert "# 0.000 offline: /dev/ttyACM0: connection lost (" in text
    assert "# 0.500 offline: /dev/ttyACM0: no such device: is the cushion plugged in?" in text
    assert "# 3.500 online: /dev/ttyACM0: open (text, 57600 baud)" in text
    rows = list(frames(out, L4))
    assert [v.tolist() for _, v in rows] == [[k, k + 1, k + 2, k + 3] for k in range(20)]
    assert [t for t, _ in rows] == [0.0] * 10 + [3.5] * 10
    assert read_header(out).hz == 5


def test_a_recording_says_whether_it_came_from_the_simulator(tmp_path: Any) -> None:
    """`sitwatch record` on the simulator's pty marks the file (``source=simulate``), so that
    `calibrate --recording` keeps it off the cushion's profile; a file without it, as every
    older recording, is a real cushion's."""
    from sitwatch.sources.recorder import record
    from sitwatch.sources.recording import read_header

    for name, header, simulated in (("sim.rec", {"source": "simulate"}, True),
                                    ("real.rec", None, False)):
        clock = ManualClock()
        port = FakePort()
        port.feed(lines(0, 5))
        out = tmp_path / name
        record("/dev/pts/7", out, L4, baud=57600, clock=clock,
               opener=Opener(clock, port), sleep=clock.advance, hz=5,
               stop=lambda frames: frames >= 5, header=header)
        assert read_header(out).simulated is simulated
        assert ("source=simulate" in out.read_text().splitlines()[0]) is simulated


def test_record_duration_and_rate_estimate(tmp_path: Any) -> None:
    from sitwatch.sources.recorder import record

    clock = ManualClock(monotonic=100.0)
    port = FakePort()
    sent = 0

    def stop(frames: int) -> bool:  # a device sending 4 frames per 0.1 s poll: 40 Hz
        nonlocal sent
        port.feed(lines(sent, 4))
        sent += 4
        clock.advance(0.1)
        return False

    out = tmp_path / "rec.csv"
    shown: list[tuple[float, int]] = []
    n = record("/dev/ttyACM0", out, L4, baud=115200, clock=clock, opener=Opener(clock, port),
               sleep=clock.advance, duration=3.0, stop=stop,
               progress=lambda s, f: shown.append((round(s, 1), f)))
    assert n == 4 * 30  # nothing in the first poll (it opens the port), then 4 per poll
    assert [s for s, _ in shown] == [1.1, 2.2]  # about once a second (0.1 s polls)
    assert shown[-1][1] == 88
    head = out.read_text().splitlines()[0]
    assert head.startswith("# sitwatch-recording v1 layout=grid:2x2 hz=40 ")
    assert out.stat().st_mode & 0o777 == 0o600  # a recording of someone sitting: owner-only


def test_record_device_never_there(tmp_path: Any) -> None:
    from sitwatch.sources.recorder import record
    from sitwatch.sources.recording import RecordingError, frames

    clock = ManualClock()
    out = tmp_path / "rec.csv"
    n = record("/dev/ttyACM9", out, "grid:2x2", baud=9600, clock=clock,
               opener=Opener(clock, enoent("/dev/ttyACM9")), sleep=clock.advance, duration=5)
    assert n == 0 and clock.monotonic() == pytest.approx(5.0)
    assert out.read_text().splitlines() == [
        "# sitwatch-recording v1 layout=grid:2x2 started=2026-01-05T09:00:00+00:00",
        "# 0.000 offline: /dev/ttyACM9: no such device: is the cushion plugged in?",
    ]
    with pytest.raises(RecordingError, match="the recording holds no frames"):
        list(frames(out, L4, hz=1))  # nothing to replay or calibrate on: an error, not nothing


def test_record_stops_on_ctrl_c_and_binary_header(tmp_path: Any) -> None:
    from sitwatch.sources.recorder import record
    from sitwatch.sources.recording import frames

    clock = ManualClock()
    port = FakePort(lambda p, d: p.feed(bytes([9] * 16)))

    def stop(frames: int) -> bool:
        if frames >= 3:
            raise KeyboardInterrupt
        return False

    out = tmp_path / "rec.csv"
    n = record("/dev/ttyUSB0", out, L16, baud=115200, clock=clock, opener=Opener(clock, port),
               sleep=clock.advance, stop=stop, cushion=Cushion(mode="binary", poll_hz=25))
    assert n == 3 and port.closed
    assert out.read_text().startswith("# sitwatch-recording v1 layout=grid:4x4 hz=25 ")
    rows = list(frames(out, L16))
    assert [t for t, _ in rows] == pytest.approx([0.0, 0.04, 0.08])
    assert all(v.tolist() == [9] * 16 for _, v in rows)
