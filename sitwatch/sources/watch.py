"""Watching a cushion's stream of lines for trouble, the same way for a serial cushion
(:mod:`sitwatch.sources.serial`) and a wireless one (:mod:`sitwatch.sources.mqtt`).

Two things are told, both on the injected clock:

- a :class:`~sitwatch.sources.base.Diagnosis` once no valid frame has come for
  ``no_data_timeout`` seconds (since the last frame, or since the stream started), saying why
  from what did arrive since (wrong layout, garbage ...); repeated every
  :data:`DIAGNOSIS_REPEAT` seconds while it lasts, so a cushion that went bad after good frames
  is not taken for a fine one. One that said nothing arrived is said again, in its new words, once
  bytes have arrived for :data:`RETHINK` seconds (a cable plugged in, a board that starts talking at
  the wrong baud rate): ``sitwatch doctor`` should not say "no data at all" for a minute after
  data came. It carries when the wait began (``since``): the daemon takes
  a cushion that is connected but silent that long as one that went offline then, so its
  sitting timer stands still (``docs/presence.md``);
- a log line summing up the lines dropped, at most once every :data:`DROP_LOG_INTERVAL`
  seconds ("dropped 12 lines in the last 10 s: count 12 (got 7 values, layout has 9)").
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable

from sitwatch.sensing import wire
from sitwatch.sensing.layout import Layout
from sitwatch.sources.base import Diagnosis, Item

DROP_LOG_INTERVAL = 10.0  # seconds of clock time between two "dropped N lines" summaries
DIAGNOSIS_REPEAT = 60.0  # seconds between two diagnoses while the stream stays useless
RETHINK = 5.0  # seconds of bytes after a "nothing arrives" diagnosis before saying what they are
_EPS = 1e-9


class FrameWatch:
    """The no-frame diagnosis and the drop summary for one source's parser.

    ``label`` starts each log line (the port, or "cushion over MQTT"); ``unit`` is what is
    dropped ("line", or "frame" for a binary cushion)."""

    def __init__(self, parser: wire.LineParser, layout: Layout, no_data_timeout: float,
                 log: logging.Logger, label: str, unit: str = "line") -> None:
        self.parser = parser
        self.layout = layout
        self.no_data_timeout = no_data_timeout
        self.log = log
        self.label = label
        self.unit = unit
        self.last_frame_t: float | None = None
        self.quiet_since: float | None = None  # None: not watching (no stream)
        self.bytes_since_frame = 0
        self._dropped_at_frame: Counter[str] = Counter()
        self._last_diag_t: float | None = None
        self._told_nothing = False  # the last diagnosis was given while no byte had come
        self._bytes_seen_t: float | None = None  # when check() first saw bytes after that
        self._drops_logged: Counter[str] = Counter()
        self._drops_logged_total = 0
        self._drop_window: float | None = None

    # -- the stream ----------------------------------------------------------------------
    def start(self, now: float) -> None:
        """The stream (re)starts (a port opened, a broker connected): the wait for a frame
        starts now, and only what arrives from now on explains its absence."""
        self.quiet_since = now
        self.bytes_since_frame = 0
        self._dropped_at_frame = Counter(self.parser.stats.dropped)
        self._last_diag_t = None

    def stop(self) -> None:
        """No stream to wait on (the link is down: its own Status says why)."""
        self.quiet_since = None

    def got(self, n: int) -> None:
        """``n`` bytes arrived."""
        self.bytes_since_frame += n

    def frame(self, now: float) -> None:
        """A valid frame arrived."""
        self.last_frame_t = now
        self.quiet_since = now
        self.bytes_since_frame = 0
        self._last_diag_t = None
        dropped = self.parser.stats.dropped
        if dropped != self._dropped_at_frame:
            self._dropped_at_frame = Counter(dropped)

    @property
    def told(self) -> bool:
        """A diagnosis was given since the last frame (or start)."""
        return self._last_diag_t is not None

    # -- telling ---------------------------------------------------------------------------
    def check(self, now: float, items: list[Item], explain: Callable[[], str]) -> None:
        """Append a Diagnosis (``explain()``'s words) when no frame came for
        ``no_data_timeout``, and again every DIAGNOSIS_REPEAT while none comes."""
        if self.quiet_since is None:
            return
        if now - self.quiet_since < self.no_data_timeout - _EPS:
            return
        if self._last_diag_t is not None and now - self._last_diag_t < DIAGNOSIS_REPEAT - _EPS:
            if not self._told_nothing or self.bytes_since_frame == 0:
                return
            if self._bytes_seen_t is None:
                self._bytes_seen_t = now
            if now - self._bytes_seen_t < RETHINK - _EPS:
                return
        self._last_diag_t = now
        self._told_nothing = self.bytes_since_frame == 0
        self._bytes_seen_t = None
        message = explain()
        self.log.warning("%s: no valid frame for %.0f s: %s",
                         self.label, now - self.quiet_since, message)
        items.append(Diagnosis(now, message, self.quiet_since))

    def lines_diagnosis(self) -> str:
        """Why the lines since the last frame (or start) were not frames."""
        p = self.parser
        view = wire.LineParser(p.expected, p.full_scale)
        view.declared = p.declared
        view.stats = wire.ParseStats(
            dropped=p.stats.dropped - self._dropped_at_frame,
            last_count_seen=p.stats.last_count_seen,
            last_garbage=p.stats.last_garbage,
        )
        return view.diagnose(self.bytes_since_frame)

    def dropped_since_frame(self) -> Counter[str]:
        return self.parser.stats.dropped - self._dropped_at_frame

    def log_drops(self, now: float, force: bool = False) -> None:
        """Log the lines dropped since the last summary, at most once per DROP_LOG_INTERVAL
        (``force``: now, e.g. on closing)."""
        dropped = self.parser.stats.dropped
        total = sum(dropped.values())
        if total == self._drops_logged_total:
            return
        if self._drop_window is None:
            self._drop_window = now
        span = now - self._drop_window
        if span < DROP_LOG_INTERVAL - _EPS and not force:
            return
        delta = dropped - self._drops_logged
        n = total - self._drops_logged_total
        unit = self.unit + ("" if n == 1 else "s")
        details = ", ".join(self._drop_detail(reason, k) for reason, k in delta.most_common())
        self.log.warning("%s: dropped %d %s in the last %.0f s: %s",
                         self.label, n, unit, span, details)
        self._drops_logged = Counter(dropped)
        self._drops_logged_total = total
        self._drop_window = None

    def _drop_detail(self, reason: str, k: int) -> str:
        st = self.parser.stats
        if reason == wire.COUNT:
            return f"count {k} (got {st.last_count_seen} values, layout has {self.layout.n})"
        if reason == wire.GARBAGE and st.last_garbage:
            return f"garbage {k} (e.g. {st.garbage_example})"
        if reason == wire.RANGE:
            return f"range {k} (above full scale {self.layout.full_scale:g})"
        return f"{reason} {k}"
