"""Telling the sitter that part of the cushion stopped working.

Channel health (:mod:`sitwatch.sensing.health`) leaves out a sensor that dies, shorts or sticks,
and the pipeline says so in a ``calibration`` / ``channels`` event; `sitwatch status` and
`sitwatch doctor` name it. Someone who runs neither would learn of it only from the journal,
while their nudges get less sure. :class:`SensorNotices` follows those events and decides when a
``notice`` event (``sensor_failed``, with words for the desktop and push channels) is due:

- once per sensor per run of the daemon: a pad that fails, comes back and fails again is not news
  twice, and the next day's first failure is (the daemon starts again at login);
- a saturated sensor is not a failure (a heavy sitter on a pad's top reading; it is still
  counted), so it never gets a notice;
- one that reads again before the notice could be shown is dropped from it;
- when a notice could not be shown (paused, snoozed, quiet hours, do-not-disturb) it waits and
  is tried again every :data:`RETRY` seconds, so it is seen once nudges could be.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sitwatch.core import events as E
from sitwatch.core.events import Event
from sitwatch.core.kinds import NoticeKind
from sitwatch.nudging.guidance import sensor_notice
from sitwatch.sensing.layout import Layout

RETRY = 60.0  # s between tries while a notice is held back
NOT_FAILED = frozenset({"saturated"})  # reasons that are not a sensor failing
_ITEM = re.compile(r"^(?P<label>.*) \((?P<why>[^()]*)\)$")


def failed_channels(excluded: Iterable[str]) -> dict[str, str]:
    """{label: reason} of the failed sensors in a ``channels`` event's ``excluded`` list
    (``"p08 (dropped to zero on its own)"``), saturated ones left out."""
    out = {}
    for item in excluded:
        m = _ITEM.match(str(item))
        if m is not None and m["why"] not in NOT_FAILED:
            out[m["label"]] = m["why"]
    return out


class SensorNotices:
    """Follows the ``channels`` events (:meth:`note`) and gives the ``notice`` event when one is
    due (:meth:`due`, :meth:`take`, or :meth:`hold` when it cannot be shown now)."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.told: set[str] = set()  # labels a notice named this run
        self.pending: dict[str, str] = {}  # label -> reason: failed and not yet told
        self._next_try = float("-inf")

    def note(self, ev: Event) -> None:
        if ev.event != E.CALIBRATION or ev.state != "channels":
            return
        failed = failed_channels(ev.get("excluded") or ())
        self.pending = {k: v for k, v in failed.items() if k not in self.told}

    def due(self, now: float) -> bool:
        return bool(self.pending) and now >= self._next_try

    def hold(self, now: float) -> None:
        """It could not be shown at ``now``: try again in :data:`RETRY` s."""
        self._next_try = now + RETRY

    def take(self, t: float) -> Event:
        """The notice naming every sensor pending; they count as told."""
        failed = [(label, self.layout.where(label), why) for label, why in self.pending.items()]
        title, message = sensor_notice(failed)
        self.told |= set(self.pending)
        self.pending = {}
        return Event(t, E.NOTICE, NoticeKind.SENSOR_FAILED, {
            "title": title, "message": message,
            "channels": [f"{label} ({why})" for label, _, why in failed]})
