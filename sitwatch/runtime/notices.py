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

:class:`SilenceNotice` tells them that the whole cushion went quiet under them (``cushion_silent``):
no reading for :data:`SILENT_AFTER` seconds while its seat last read occupied. Until then a dead
battery, a firmware that hung or a cable pulled half out by the chair's castors left sitwatch
watching nothing, and only `sitwatch status` said so. Not for a seat that was empty when it
went quiet (a cushion that sleeps when nobody sits, a laptop carried away), nor for a device
that was unplugged (its port vanished: undocking a laptop is done on purpose, and daily), nor
after the computer slept (whoever sat there then may have gone). Once per silence, at most one
every :data:`SILENT_GAP` seconds (a wireless link that drops in and out), held like the other.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sitwatch.core import events as E
from sitwatch.core.events import Event
from sitwatch.core.kinds import NoticeKind
from sitwatch.nudging.guidance import sensor_notice, silence_notice
from sitwatch.sensing.layout import Layout

RETRY = 60.0  # s between tries while a notice is held back
SILENT_AFTER = 120.0  # s without a reading from the cushion, its seat last read occupied
SILENT_GAP = 3600.0  # s: at most one silence notice in this long
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


class SilenceNotice:
    """Whether the cushion went quiet under the sitter (see the module's notes): the daemon
    tells it of every reading (:meth:`reading`) and the source's word on the connection
    (:meth:`status`, :meth:`diagnosis`), and asks :meth:`due` each turn of its loop."""

    def __init__(self, *, wireless: bool = False, after: float = SILENT_AFTER,
                 gap: float = SILENT_GAP) -> None:
        self.wireless = wireless  # a cushion on the network (its words name power and range)
        self.after = after
        self.gap = gap
        self.last: float | None = None  # when the last reading came
        self.seated = False  # its seat read occupied then
        self.gone = False  # the source says the device was unplugged
        self.why = ""  # the source's latest word on why nothing comes
        self.told = False  # this silence has had its notice
        self._told_at = float("-inf")
        self._next_try = float("-inf")

    def reading(self, t: float, seated: bool) -> None:
        self.last, self.seated = t, seated
        self.gone, self.why, self.told = False, "", False

    def status(self, online: bool, reason: str, gone: bool) -> None:
        if not online:
            self.gone, self.why = gone, reason

    def diagnosis(self, message: str) -> None:
        self.why = message

    def slept(self) -> None:
        """The computer slept: whoever sat there may have left; wait for the seat to say so."""
        self.seated = False

    def quiet_for(self, now: float) -> float:
        return 0.0 if self.last is None else now - self.last

    def due(self, now: float) -> bool:
        return (self.seated and not self.gone and not self.told
                and self.quiet_for(now) >= self.after
                and now - self._told_at >= self.gap and now >= self._next_try)

    def hold(self, now: float) -> None:
        """It could not be shown at ``now``: try again in :data:`RETRY` s."""
        self._next_try = now + RETRY

    def take(self, t: float, camera: bool) -> Event:
        """The notice (``camera``: a camera still watches the posture)."""
        minutes = max(1, int(self.quiet_for(t) // 60))
        title, message = silence_notice(minutes, wireless=self.wireless, camera=camera,
                                        why=self.why)
        self.told, self._told_at = True, t
        data: dict[str, object] = {"title": title, "message": message,
                                   "quiet_s": round(self.quiet_for(t))}
        if self.why:
            data["reason"] = self.why
        return Event(t, E.NOTICE, NoticeKind.CUSHION_SILENT, data)
