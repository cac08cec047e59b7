"""The serial cushion: frames from a device path or pyserial URL, surviving unplugs.

Text mode reads whatever bytes have arrived, cuts them into lines and hands each line to
:class:`sitwatch.sensing.wire.LineParser`. Binary mode (polled matrix readers) writes
``poll_byte`` at ``poll_hz`` and reads exactly one byte per channel back.

Device trouble never raises: a failed open or a lost device becomes an offline
:class:`~sitwatch.sources.base.Status` and the port is reopened with capped exponential backoff
(``reconnect_min`` doubling up to ``reconnect_max``), scheduled on the injected clock. A stream
that carries no valid frame for ``no_data_timeout`` seconds gets a
:class:`~sitwatch.sources.base.Diagnosis` saying why (wrong baud rate, wrong layout ...).

The first line after each open may be the tail of a line the device was already sending; if it
does not parse it is discarded without being counted.

With ``lines`` (``sitwatch bridge``), text lines are handed to it as read instead of being
parsed (the sitwatch at the other end parses and counts them), and any line then counts as data
for the no-data diagnosis. A binary frame is checked as ever and handed to it as the text line
a cushion would send (:func:`~sitwatch.sensing.wire.byte_line`). No frame is made then, so
numpy is never imported: the bridge runs on a Pi Zero's 512 MB.
"""

from __future__ import annotations

import errno
import io
import logging
import os
import re
import select
import stat
import time
from collections.abc import Callable
from typing import Any

import serial

from sitwatch.config import Cushion
from sitwatch.core.clock import Clock
from sitwatch.sensing import wire
from sitwatch.sensing.layout import Layout
from sitwatch.sources.base import Item, Reading, Status
from sitwatch.sources.watch import DIAGNOSIS_REPEAT, DROP_LOG_INTERVAL, FrameWatch

__all__ = ["DIAGNOSIS_REPEAT", "DROP_LOG_INTERVAL", "SerialSource", "not_a_device",
           "open_failure_reason"]

CHUNK = 4096  # bytes asked for per read in text mode (more when in_waiting says so)
_EPS = 1e-9
WATCH_INTERVAL = 0.25  # seconds between looks for an unplugged device's path to come back
_ERRNO_IN_TEXT = re.compile(r"\[Errno (\d+)\]|\((\d+), '")

Opener = Callable[..., Any]


def open_failure_reason(port: str, exc: BaseException) -> str:
    """What to tell the user when ``port`` cannot be opened."""
    if not port:
        return "no cushion port configured: set cushion.port (e.g. /dev/ttyACM0)"
    code = getattr(exc, "errno", None)
    if code is None:
        m = _ERRNO_IN_TEXT.search(str(exc))
        code = int(m.group(1) or m.group(2)) if m else None
    if code == errno.ENOTTY:
        return (f"{port}: not a serial device (it does not answer terminal settings); "
                "set cushion.port to the cushion's device, e.g. /dev/ttyACM0")
    if code in (errno.ENOENT, errno.ENODEV, errno.ENXIO):
        return f"{port}: no such device: is the cushion plugged in?"
    if code in (errno.EACCES, errno.EPERM):
        return (f"{port}: permission denied: add yourself to the dialout group "
                "(sudo usermod -aG dialout $USER, then log out and in again)")
    if code in (errno.EBUSY, errno.EAGAIN):
        return (f"{port}: in use by another program "
                "(a serial monitor, ModemManager or another sitwatch?)")
    if isinstance(exc, ValueError) and not isinstance(exc, OSError):
        return f"{port}: not a serial device or pyserial URL ({exc})"
    detail = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return f"{port}: cannot open: {detail}"


def not_a_device(port: str) -> str | None:
    """Why ``port`` can never be a cushion, judged from the file system, or None.

    A folder or a regular file is a mistake no retry will mend (a recording belongs to
    ``sitwatch replay``). URLs (``socket://``, ``loop://``, ``rfc2217://``) and paths that do not
    exist yet (a cushion not plugged in) are left to the opener."""
    if not port or "://" in port:
        return None
    try:
        st = os.stat(port)
    except OSError:
        return None
    if stat.S_ISDIR(st.st_mode):
        return f"{port}: is a folder, not a serial device; set cushion.port to the cushion's device"
    if stat.S_ISREG(st.st_mode):
        return (f"{port}: is a regular file, not a serial device (to play back a recording, use "
                "`sitwatch replay FILE`)")
    return None


def _identity(port: str) -> tuple[int, int, int] | None:
    """What is at ``port`` now (type, inode, device number): a change means it is worth trying
    again (the device was plugged in, a symlink was pointed elsewhere)."""
    try:
        st = os.stat(port)
    except OSError:
        return None
    return st.st_mode, st.st_ino, st.st_rdev


def _fileno(port: Any) -> int | None:
    """The port's file descriptor when it has a real one (posix ttys, sockets)."""
    try:
        fd = port.fileno()
    except (AttributeError, io.UnsupportedOperation, ValueError, OSError):
        return None
    return fd if isinstance(fd, int) and fd >= 0 else None


class SerialSource:
    """A :class:`~sitwatch.sources.base.Source` reading a cushion on a serial line.

    ``sleep`` is used for every deliberate wait (backoff, the binary poll schedule) and never
    for longer than ``max_wait``; tests pass a function that advances a
    :class:`~sitwatch.core.clock.ManualClock`. In text mode, waiting for bytes uses ``select`` on
    the port (bounded by ``max_wait``). In binary mode a poll additionally waits up to
    ``reply_timeout`` for the device's answer. ``lines``: see the module's doc.
    """

    def __init__(
        self,
        cfg: Cushion,
        layout: Layout,
        clock: Clock,
        *,
        sleep: Callable[[float], object] = time.sleep,
        opener: Opener = serial.serial_for_url,
        log: logging.Logger | None = None,
        lines: Callable[[bytes], object] | None = None,
    ) -> None:
        self.cfg = cfg
        self._lines = lines
        self.layout = layout
        self.clock = clock
        self.name = f"serial:{cfg.port}"
        self.binary = cfg.mode == "binary"
        self.parser = wire.LineParser(layout.n, layout.full_scale, cfg.time_unit,
                                      frames=lines is None)
        self.reply_timeout = min(1.0, max(0.1, 2.0 * layout.n * 10 / cfg.baud + 0.02))
        self._sleep = sleep
        self._opener = opener
        self._log = log or logging.getLogger("sitwatch.serial")

        self._port: Any = None
        self._fd: int | None = None
        self._port_timeout: float | None = None
        self._closed = False
        self._online = False
        self._ever_online = False
        self._offline_reason: str | None = None  # last reason reported in a Status
        self._delay = cfg.reconnect_min
        self._next_open = clock.monotonic()
        # A port that can never work (a folder, a file, /dev/null) is tried again only once
        # what is at its path changes: (what was there, the reason).
        self._hopeless: tuple[tuple[int, int, int] | None, str] | None = None
        # The device path was missing at the last try (unplugged): watch for it to come back
        # and open it at once, instead of waiting out a backoff that may have grown to 30 s.
        self._missing = False
        self.reconnects = 0
        self.bytes = 0
        self.no_reply = 0  # binary mode: polls that got no answer at all

        # text mode line assembly
        self._buf = b""
        self._discarding = False  # inside an over-long line: skip to the next newline
        self._first_line = True
        self._declared_seen: int | None = None

        # binary mode schedule
        self._next_poll = 0.0

        # the no-data diagnosis and the rate-limited drop summary
        self.watch = FrameWatch(self.parser, layout, cfg.no_data_timeout, self._log, cfg.port,
                                "frame" if self.binary else "line")

    # -- Source protocol ---------------------------------------------------------------
    @property
    def online(self) -> bool:
        return self._online

    def poll(self, max_wait: float) -> list[Item]:
        """Return what arrived, waiting at most ``max_wait`` seconds (see the class doc)."""
        if self._closed:
            return []
        max_wait = max(0.0, float(max_wait))
        items: list[Item] = []
        if self._port is None:
            self._poll_offline(max_wait, items)
        elif self.binary:
            self._poll_binary(max_wait, items)
        else:
            self._poll_text(max_wait, items)
        now = self.clock.monotonic()
        if self._online:
            self.watch.check(now, items, self.diagnose)
        self.watch.log_drops(now)
        return items

    def write(self, data: bytes) -> None:
        """Send bytes back to the cushion (e.g. a buzzer command); OSError when unplugged."""
        if self._port is None:
            raise OSError("cushion not connected")
        self._port.write(data)

    def close(self) -> None:
        if self._closed:
            return
        self.watch.log_drops(self.clock.monotonic(), force=True)
        self._close_port()
        self._online = False
        self._closed = True

    def stats(self) -> dict[str, object]:
        now = self.clock.monotonic()
        st = self.parser.stats
        return {
            "port": self.cfg.port,
            "mode": self.cfg.mode,
            "online": self._online,
            "reason": "" if self._online else (self._offline_reason or ""),
            "frames": st.frames,
            "comments": st.comments,
            "dropped": dict(st.dropped),
            "dropped_total": st.dropped_total,
            "reconnects": self.reconnects,
            "bytes": self.bytes,
            "no_reply": self.no_reply,
            "last_frame_age": (None if self.watch.last_frame_t is None
                               else now - self.watch.last_frame_t),
        }

    # -- opening and losing the port ---------------------------------------------------
    def _poll_offline(self, max_wait: float, items: list[Item]) -> None:
        now = self.clock.monotonic()
        if self._hopeless is not None:
            if _identity(self.cfg.port) == self._hopeless[0]:
                if max_wait > 0:
                    self._sleep(min(max_wait, 0.5))
                return
            self._hopeless = None  # something else is there now: try it
            self._next_open = now
        wait = self._next_open - now
        if wait > _EPS and self._missing and os.path.exists(self.cfg.port):
            wait = 0.0  # it is back: no reason to wait for the next scheduled try
        if wait > _EPS:
            if max_wait <= 0:
                return
            deadline = now + min(wait, max_wait)
            back = False
            while True:  # in slices while the path is missing, so a replug is seen at once
                step = deadline - now
                if self._missing:
                    step = min(step, WATCH_INTERVAL)
                self._sleep(step)
                now = self.clock.monotonic()
                back = self._missing and os.path.exists(self.cfg.port)
                if back or now >= deadline - _EPS:
                    break
            if now < self._next_open - _EPS and not back:
                return
        self._try_open(now, items)

    def _try_open(self, now: float, items: list[Item]) -> None:
        timeout = self.reply_timeout if self.binary else 0
        hopeless = not_a_device(self.cfg.port)
        if hopeless is not None:
            self._give_up(now, hopeless, items)
            return
        try:
            if not self.cfg.port:
                raise ValueError("no port")
            port = self._opener(self.cfg.port, baudrate=self.cfg.baud, timeout=timeout,
                                write_timeout=1.0, exclusive=True)
        except (OSError, ValueError) as e:  # SerialException is an OSError
            reason = open_failure_reason(self.cfg.port, e)
            self._missing = ("://" not in self.cfg.port and "no such device" in reason
                             and not os.path.exists(self.cfg.port))
            if "not a serial device" in reason and "://" not in self.cfg.port:
                self._give_up(now, reason, items)
                return
            self._next_open = now + self._delay
            self._delay = min(self._delay * 2, self.cfg.reconnect_max)
            self._report_offline(now, reason, items, gone=self._missing)
            return
        self._port = port
        self._missing = False
        self._fd = None if self.binary else _fileno(port)
        self._port_timeout = timeout
        self._online = True
        self._delay = self.cfg.reconnect_min
        if self._ever_online:
            self.reconnects += 1
        self._ever_online = True
        self._offline_reason = None
        self._buf = b""
        self._discarding = False
        self._first_line = True
        self._next_poll = now
        self.watch.start(now)
        what = f"{self.cfg.mode}, {self.cfg.baud} baud"
        self._log.info("%s: open (%s)", self.cfg.port, what)
        items.append(Status(now, True, f"{self.cfg.port}: open ({what})"))

    def _give_up(self, now: float, reason: str, items: list[Item]) -> None:
        """Report a port that can never work, and stop trying until its path changes."""
        self._hopeless = (_identity(self.cfg.port), reason)
        self._report_offline(now, reason, items)

    def _disconnect(self, exc: BaseException, items: list[Item]) -> None:
        now = self.clock.monotonic()
        self._close_port()
        self._online = False
        self._delay = self.cfg.reconnect_min
        self._next_open = now + self._delay
        self._delay = min(self._delay * 2, self.cfg.reconnect_max)
        detail = getattr(exc, "strerror", None) or str(exc).split(" (")[0] or type(exc).__name__
        reason = f"{self.cfg.port}: connection lost ({detail}): was the cushion unplugged?"
        self._log.debug("%s: read/write failed: %r", self.cfg.port, exc)
        gone = "://" not in self.cfg.port and not os.path.exists(self.cfg.port)
        self._report_offline(now, reason, items, gone=gone)

    def _report_offline(self, now: float, reason: str, items: list[Item],
                        gone: bool = False) -> None:
        """One offline Status per distinct reason (not one per retry); ``gone``: the port's
        path has vanished (the device was unplugged)."""
        if reason == self._offline_reason:
            self._log.debug("%s (retrying)", reason)
            return
        self._offline_reason = reason
        self._log.warning("%s", reason)
        items.append(Status(now, False, reason, gone))

    def _close_port(self) -> None:
        port, self._port, self._fd = self._port, None, None
        if port is None:
            return
        try:
            port.close()
        except Exception:  # closing a vanished device may fail; we are done with it anyway
            self._log.debug("%s: error while closing", self.cfg.port, exc_info=True)

    def _set_timeout(self, value: float) -> None:
        if self._port_timeout != value:
            self._port.timeout = value
            self._port_timeout = value

    # -- text mode ---------------------------------------------------------------------
    def _poll_text(self, max_wait: float, items: list[Item]) -> None:
        try:
            data = self._read_text(max_wait)
        except (OSError, ValueError) as e:  # SerialException/OSError: device gone
            self._disconnect(e, items)
            return
        if data:
            self._feed_text(data, items)

    def _read_text(self, max_wait: float) -> bytes:
        port = self._port
        first = b""
        if max_wait > 0:
            if self._fd is not None:
                ready, _, _ = select.select([self._fd], [], [], max_wait)
                if not ready:
                    return b""
            elif port.in_waiting == 0:
                # No descriptor to select on (loop://, test doubles): a blocking read(1).
                self._set_timeout(max_wait)
                try:
                    first = port.read(1)
                finally:
                    self._set_timeout(0)
                if not first:
                    return b""
        data: bytes = port.read(max(port.in_waiting, CHUNK))
        return first + data if first else data

    def _feed_text(self, data: bytes, items: list[Item]) -> None:
        self.bytes += len(data)
        self.watch.got(len(data))
        if self._discarding:
            i = data.find(b"\n")
            if i < 0:
                return
            data = data[i + 1:]
            self._discarding = False
        chunk = self._buf + data if self._buf else data
        lines = chunk.split(b"\n")
        rest = lines.pop()
        if lines:
            now = self.clock.monotonic()
            for line in lines:
                self._feed_line(line, now, items)
        if len(rest) > wire.MAX_LINE:
            self.parser.stats.dropped[wire.TOO_LONG] += 1
            rest = b""
            self._discarding = True
        self._buf = rest

    def _feed_line(self, line: bytes, now: float, items: list[Item]) -> None:
        if self._first_line:
            if not line.strip():
                return
            self._first_line = False
            if not self._would_parse(line):
                self._log.debug("%s: discarded a partial first line %r", self.cfg.port, line[:40])
                return
        if self._lines is not None:
            if line.strip():
                self._lines(line[:-1] if line.endswith(b"\r") else line)
                self.watch.frame(now)
            return
        parsed = self.parser.feed(line)
        if parsed is None:
            if self.parser.declared != self._declared_seen:
                self._declared_seen = self.parser.declared
                if self._declared_seen is not None and self._declared_seen != self.layout.n:
                    self._log.warning("%s: the device declares %d channels, the layout %s has %d",
                                      self.cfg.port, self._declared_seen, self.layout.name,
                                      self.layout.n)
            return
        items.append(Reading(now, parsed.values, parsed.timestamp))
        self.watch.frame(now)

    def _would_parse(self, line: bytes) -> bool:
        scratch = wire.LineParser(self.parser.expected, self.parser.full_scale, frames=False)
        scratch.feed(line)
        return scratch.stats.dropped_total == 0

    # -- binary mode -------------------------------------------------------------------
    def _poll_binary(self, max_wait: float, items: list[Item]) -> None:
        now = self.clock.monotonic()
        wait = self._next_poll - now
        if wait > _EPS:
            if max_wait <= 0:
                return
            self._sleep(min(wait, max_wait))
            now = self.clock.monotonic()
            if now < self._next_poll - _EPS:
                return
        period = 1.0 / self.cfg.poll_hz
        self._next_poll += period
        if self._next_poll < now:  # fell behind (slow device, long pause): do not burst
            self._next_poll = now + period
        port = self._port
        try:
            port.reset_input_buffer()  # a late reply to the last poll must not shift this frame
            port.write(bytes((self.cfg.poll_byte,)))
            reply: bytes = port.read(self.layout.n)
        except (OSError, ValueError) as e:
            self._disconnect(e, items)
            return
        t = self.clock.monotonic()
        if not reply:
            self.no_reply += 1
            return
        self.bytes += len(reply)
        self.watch.got(len(reply))
        if self._lines is not None:
            frames = self.parser.stats.frames
            self.parser.feed_bytes_frame(bytes(reply))  # counted (and dropped) as ever
            if self.parser.stats.frames > frames:
                self._lines(wire.byte_line(reply))
                self.watch.frame(t)
            return
        parsed = self.parser.feed_bytes_frame(bytes(reply))
        if parsed is not None:
            items.append(Reading(t, parsed.values, None))
            self.watch.frame(t)

    # -- bookkeeping -------------------------------------------------------------------
    def diagnose(self) -> str:
        """Why no valid frame arrived since the last one (or since the port was opened)."""
        if self.binary and self.watch.bytes_since_frame == 0:
            return (f"no reply to poll byte 0x{self.cfg.poll_byte:02x}: is the device powered? "
                    "right port, poll_byte and baud rate?")
        return self.watch.lines_diagnosis()
