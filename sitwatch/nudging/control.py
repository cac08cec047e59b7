"""Pause, snooze and resume: a small JSON file the commands write and the daemon reads.

``sitwatch snooze 30m`` holds nudges for 30 minutes (sitwatch keeps watching and keeping
history); ``sitwatch pause 1h`` stops watching altogether (someone else is in the chair, you are
exercising on it ...); ``sitwatch resume`` ends either. The file lives in the runtime dir next to
the status file and is written atomically.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sitwatch.core.private import write_private

FOREVER = "forever"


@dataclass(frozen=True)
class Control:
    snoozed_until: datetime | None = None
    paused_until: datetime | str | None = None  # a time, FOREVER, or None

    def snoozed(self, now: datetime) -> bool:
        return self.snoozed_until is not None and now < self.snoozed_until

    def paused(self, now: datetime) -> bool:
        if self.paused_until == FOREVER:
            return True
        return isinstance(self.paused_until, datetime) and now < self.paused_until

    def as_dict(self) -> dict[str, Any]:
        def iso(v: Any) -> Any:
            return v.isoformat(timespec="seconds") if isinstance(v, datetime) else v

        return {"snoozed_until": iso(self.snoozed_until), "paused_until": iso(self.paused_until)}


def change(cur: Control, what: str, now: datetime, length: timedelta | None = None) -> Control:
    """The control after ``resume``, ``snooze`` (for ``length``) or ``pause`` (for ``length``,
    or until resumed): one rule for the commands, the notification's Snooze button and MQTT.
    A snooze keeps a pause and a pause keeps a snooze."""
    if what == "resume":
        return Control()
    if what == "snooze":
        if length is None:
            raise ValueError("a snooze needs a length")
        return Control(now + length, cur.paused_until)
    if what == "pause":
        return Control(cur.snoozed_until, now + length if length is not None else FOREVER)
    raise ValueError(f"unknown control {what!r}")


def read(path: Path) -> Control:
    """The control file; never raises: a missing, unreadable or damaged file (not JSON, not an
    object, values that are not times) means nothing is snoozed or paused."""
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return Control()
    if not isinstance(d, dict):
        return Control()

    def when(v: Any) -> Any:
        if v == FOREVER:
            return FOREVER
        try:
            dt = datetime.fromisoformat(v) if isinstance(v, str) else None
        except ValueError:
            return None
        return dt if dt is not None and dt.tzinfo is not None else None

    return Control(when(d.get("snoozed_until")), when(d.get("paused_until")))


def write(path: Path, control: Control) -> None:
    """Atomically, owner-only. Requests to the daemon in the file (:func:`add_request`) stay."""
    d = control.as_dict()
    pending = _raw(path).get("requests")
    if pending:
        d["requests"] = pending
    write_private(path, json.dumps(d) + "\n")


# -- requests to the running daemon ("Not right" and its reset, from `sitwatch feedback`) -----

REQUESTS_KEPT = 20
REQUEST_TTL = 300.0  # seconds after which a request nobody took is stale


@dataclass(frozen=True)
class Request:
    """``sitwatch feedback wrong|reset [KIND]`` asking the running daemon, which has the seat's
    state at hand, to do it. ``id`` lets the command find the answer in the feedback file."""

    id: str
    action: str  # wrong | reset
    kind: str | None
    at: datetime
    #: when the nudge a "Not right" answers was shown (ISO time); '' for none in particular
    #: (``--force``); None: the daemon's own last nudge of the kind
    nudge: str | None = None
    #: the sensors that saw that nudge, as the status file or the history has them (a daemon
    #: started since does not know them); None: not known, the daemon's own memory decides
    seen_by: tuple[str, ...] | None = None

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "action": self.action, "kind": self.kind,
                             "at": self.at.isoformat(timespec="seconds")}
        if self.nudge is not None:
            d["nudge"] = self.nudge
        if self.seen_by is not None:
            d["seen_by"] = list(self.seen_by)
        return d


def _raw(path: Path) -> dict[str, Any]:
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return d if isinstance(d, dict) else {}


def requests(path: Path, now: datetime) -> list[Request]:
    """The requests in the control file that are not stale, oldest first."""
    out = []
    for r in _raw(path).get("requests") or []:
        try:
            at = datetime.fromisoformat(r["at"])
            nudge = r.get("nudge")
            seen = r.get("seen_by")
            req = Request(str(r["id"]), str(r["action"]), r.get("kind"), at,
                          None if nudge is None else str(nudge),
                          tuple(str(x) for x in seen) if isinstance(seen, list) else None)
        except (KeyError, TypeError, ValueError):
            continue
        if at.tzinfo is not None and 0 <= (now - at).total_seconds() <= REQUEST_TTL:
            out.append(req)
    return out


def add_request(path: Path, req: Request) -> None:
    """Add ``req`` to the control file (keeping snooze and pause), dropping stale ones."""
    d = _raw(path)
    kept = [r.as_dict() for r in requests(path, req.at)][-(REQUESTS_KEPT - 1):]
    d["requests"] = [*kept, req.as_dict()]
    write_private(path, json.dumps(d) + "\n")


class Watcher:
    """Re-reads the control file when it changes (checked at most once a second)."""

    def __init__(self, path: Path, monotonic: Any) -> None:
        self.path = path
        self.monotonic = monotonic
        self.control = Control()
        self._mtime: float | None = None
        self._next = -1e18

    def get(self) -> Control:
        now = self.monotonic()
        if now >= self._next:
            self._next = now + 1.0
            try:
                mtime = self.path.stat().st_mtime_ns
            except OSError:
                mtime = None
            if mtime != self._mtime:
                self._mtime = mtime
                self.control = read(self.path) if mtime is not None else Control()
        return self.control

    def refresh(self) -> None:
        """Read the file again at the next :meth:`get` (the daemon wrote it itself)."""
        self._next = -1e18
        self._mtime = None
