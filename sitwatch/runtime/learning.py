"""The daemon's side of "Not right": the sitter's feedback file, requests from the command, and
what each report does.

A "Not right" reaches the daemon three ways, and all end in :meth:`Learner.apply`:

- the desktop notification's button, through the sink's click inbox (like Snooze and Done);
- an MQTT command, through the same inbox;
- ``sitwatch feedback wrong|reset``, as a request in the control file
  (:func:`sitwatch.nudging.control.add_request`), which :meth:`Learner.requests` picks up.

:meth:`Learner.apply` updates the state (:mod:`sitwatch.nudging.feedback`: pure), saves it
owner-only next to the calibration profile, and hands back the event and the history row; the
daemon retunes its pipeline at once with :meth:`Learner.adapted`. A feedback file changed by
somebody else (``sitwatch feedback reset`` while the daemon ran) is noticed and applied too.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sitwatch.config import Config
from sitwatch.core.clock import Clock
from sitwatch.core.events import FEEDBACK, NUDGE, Event
from sitwatch.core.kinds import FeedbackKind, NudgeKind
from sitwatch.history.feedback import FeedbackRow
from sitwatch.nudging import control
from sitwatch.nudging import feedback as fb
from sitwatch.nudging.answers import already_noted, feedback_said
from sitwatch.sensing.snapshot import Snapshot
from sitwatch.sinks.actions import Answer

log = logging.getLogger("sitwatch")
#: A "Not right" over MQTT that names no kind before any posture nudge went out (the command
#: line's words, with what to send instead of what to type).
NO_NUDGE_YET = ("no nudge about posture yet that could be wrong; name the kind: \"wrong KIND\" ("
                + ", ".join(fb.TYPED) + ")")
CHECK_EVERY = 1.0  # seconds between two looks at the control and feedback files
SHOWN_KEPT = 50  # nudges remembered for the "Not right" on their notifications


def nudge_kind(kind: FeedbackKind) -> NudgeKind | None:
    """The nudge kind a feedback kind is about (both slouch postures share ``slouch``; a learned
    way of sitting is about no nudge)."""
    if kind == FeedbackKind.LEARNED:
        return None
    return NudgeKind.SLOUCH if kind == FeedbackKind.LEANING_FORWARD else NudgeKind(kind)


@dataclass(frozen=True)
class Applied:
    """What one "Not right" (or reset) did: the event, the history row, whether the thresholds
    moved, and what it did in words (`sitwatch feedback`'s, for the answer over MQTT)."""

    event: Event
    row: FeedbackRow
    retune: bool
    kind: FeedbackKind | None
    said: str = ""


def _trim(kept: dict[Any, Any]) -> None:
    """Keep the last :data:`SHOWN_KEPT` nudges a memory of shown nudges holds."""
    while len(kept) > SHOWN_KEPT:
        del kept[next(iter(kept))]


def _mtime(path: Path | None) -> int | None:
    if path is None:
        return None
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


def said_via(source: str) -> str:
    """Where a "Not right" came from, in the words of the journal's lines about it."""
    return {"mqtt": "over MQTT (Home Assistant)", "cli": "from `sitwatch feedback`",
            "button": "from a notification", "web": "from the web page"}.get(
                source, f"({source})")


class Learner:
    def __init__(
        self,
        base: Config,
        path: Path | None,
        clock: Clock,
        *,
        state: fb.State | None = None,
        control_path: Path | None = None,
    ) -> None:
        """``base``: the config the detectors start from (the layout's defaults in);
        ``path``: the feedback file (None: keep it in memory, as replays do)."""
        self.base = base
        self.settings = base.feedback
        self.path = path
        self.clock = clock
        self.control_path = control_path
        self.state = state if state is not None else fb.State()
        self.last: FeedbackKind | None = None  # the kind of the last posture nudge delivered
        #: when the last nudge of each kind was shown (ISO time): what a "Not right" answers
        self.shown: dict[FeedbackKind, str] = {}
        #: (kind, event time) of the nudges shown lately -> when shown, for their buttons
        self._shown_by_event: dict[tuple[FeedbackKind, float], str] = {}
        #: (kind, when shown) of the nudges shown lately -> the sensors that saw their posture
        #: (a slouch's ``seen_by``): a "Not right" on one only the camera saw eases nothing
        self._seen_by: dict[tuple[FeedbackKind, str], tuple[str, ...]] = {}
        self._seen: set[str] = set()
        self._started = clock.now()
        self._next = -1e18
        self._control_mtime = _mtime(control_path)
        self._file_mtime = _mtime(path)

    def adapted(self) -> Config:
        return fb.adapt(self.base, self.state, self.settings)

    def note(self, ev: Event) -> None:
        """Remember the last posture nudge that was shown (the default of a "Not right" that
        names none), when each was shown (one nudge, one answer) and which sensors saw it. A
        nudge held or dropped was not shown: it is not remembered (a held one is, when it goes
        out)."""
        if ev.event == NUDGE and ev.get("delivered", True):
            kind = fb.kind_of(ev.data)
            if kind is not None:
                at = self.clock.now().isoformat(timespec="seconds")
                self.last = kind
                self.shown[kind] = at
                self._shown_by_event[(kind, ev.t)] = at
                self._seen_by[(kind, at)] = tuple(str(s) for s in ev.get("seen_by") or ())
                _trim(self._shown_by_event)
                _trim(self._seen_by)

    def shown_at(self, nudge: Event) -> str | None:
        """When this nudge (a notification's, handed back by its button) was shown; None when
        it is not one the daemon remembers."""
        kind = fb.kind_of(nudge.data)
        return None if kind is None else self._shown_by_event.get((kind, nudge.t))

    def seen_by(self, kind: FeedbackKind, nudge: str) -> tuple[str, ...]:
        """The sensors that saw the ``kind`` nudge this daemon showed at ``nudge`` (ISO time, a
        hair off as the status file or the history has it); () when unknown."""
        if not nudge:
            return ()
        return next((seen for (k, at), seen in reversed(self._seen_by.items())
                     if k == kind and fb.same_nudge(at, nudge)), ())

    # -- the files ---------------------------------------------------------------------------

    def poll(self) -> tuple[list[control.Request], bool]:
        """At most once a second: (new requests from the command, whether the feedback file
        was changed by someone else and has been read again)."""
        now = self.clock.monotonic()
        if now < self._next:
            return [], False
        self._next = now + CHECK_EVERY
        reqs: list[control.Request] = []
        m = _mtime(self.control_path)
        if m != self._control_mtime and self.control_path is not None:
            self._control_mtime = m
            for r in control.requests(self.control_path, self.clock.now()):
                if r.id in self._seen or r.at < self._started.replace(microsecond=0):
                    continue
                self._seen.add(r.id)
                if self.state.answered(r.id) is None:
                    reqs.append(r)
        m = _mtime(self.path)
        reloaded = False
        if m != self._file_mtime and self.path is not None:
            self._file_mtime = m
            try:
                state = fb.load(self.path)
            except fb.FeedbackError as e:
                log.warning("feedback: %s (keeping the thresholds as they are)", e)
            else:
                reloaded = state.steps != self.state.steps
                self.state = state
        return reqs, reloaded

    def _save(self) -> None:
        if self.path is None:
            return
        try:
            fb.save(self.state, self.path)
        except OSError as e:
            log.warning("feedback: cannot save %s: %s", self.path, e)
        self._file_mtime = _mtime(self.path)

    # -- one report --------------------------------------------------------------------------

    def apply(
        self,
        action: str,
        kind: FeedbackKind | None,
        *,
        t: float,
        source: str,
        snap: Snapshot | None = None,
        cues: dict[str, float] | None = None,
        request_id: str = "",
        at: datetime | None = None,
        possible: bool = True,
        nudge: str | None = None,
        seen_by: Sequence[str] | None = None,
        cushion: bool = True,
    ) -> Applied | Answer:
        """A "Not right" (``action`` wrong) for ``kind`` (None: the last posture nudge), or a
        reset (``kind`` None: every kind). None when there is nothing it could be about, or
        when the nudge it answers was answered already (one nudge, one answer). ``nudge``: when
        the nudge it answers was shown ('' none in particular; None: the last nudge of the kind
        shown by this daemon, if any). ``possible`` False: recorded, but there is nothing it
        could change (no learned way of sitting to forget, or no cushion: a camera-only setup's
        thresholds stay as configured). ``seen_by``: the sensors that saw the nudge it answers
        (None: as this daemon noted them when it showed it); one the cushion did not see is
        recorded and eases nothing either. ``cushion`` False: a camera-only setup (for the
        words only). When nothing is recorded, the :class:`Answer` says why: none to answer
        (refused) or answered already (nothing more to do)."""
        at = at or self.clock.now()
        when = at.isoformat(timespec="seconds")
        before = self.state
        if action == "wrong":
            kind = kind or self.last
            if kind is None:
                log.warning("feedback: \"Not right\" %s changed nothing: no posture nudge has "
                            "gone out yet, so there is none it could be about; to correct a "
                            "posture sitwatch reads wrongly without a nudge, name it: \"wrong "
                            "slouch\" (or leaning_forward, lopsided, wallet, static)",
                            said_via(source))
                return Answer(False, NO_NUDGE_YET)
            if nudge is None:
                nudge = self.shown.get(kind, "")
            earlier = self.state.answer_to(kind, nudge)
            if earlier is not None:
                log.info("feedback: \"Not right\" (%s) ignored: that nudge (shown at %s) was "
                         "answered already, at %s", fb.label(kind), nudge, earlier.at)
                return Answer(True, already_noted(kind, nudge, earlier.at, at))
            if seen_by is None:
                seen_by = self.seen_by(kind, nudge)
            self.state, entry = fb.wrong(self.state, kind, self.settings, at=when, source=source,
                                         request_id=request_id, possible=possible, nudge=nudge,
                                         seen_by=seen_by)
        else:
            self.state, entry = fb.reset(self.state, kind, at=when, source=source,
                                         request_id=request_id)
        self._save()
        moved = fb.moves(self.base, before, self.state, self.settings)
        seat: dict[str, object] = {}
        if snap is not None:
            seat = {"posture": snap.posture, "balance": snap.balance, "shift": snap.shift,
                    "seat_load": snap.seat_load, "cop_x": snap.cop_x, "cop_y": snap.cop_y}
        data: dict[str, object] = {"kind": kind, "steps": entry.steps, "applied": entry.applied,
                                   "source": source}
        if entry.seen_by:
            data["seen_by"] = [str(x) for x in entry.seen_by]
        if moved:
            data["changes"] = {k: [round(a, 4), round(b, 4)] for k, (a, b) in moved.items()}
        if request_id:
            data["request"] = request_id
        ev = Event(t, FEEDBACK, entry.action, data)
        row = FeedbackRow(at, kind, entry.action, entry.steps, entry.applied, source, seat,
                          cues or {}, moved)
        verb = "not right" if action == "wrong" else "reset"
        log.info("feedback: %s (%s)%s", verb, fb.label(kind) if kind else "every kind",
                 "; " + ", ".join(f"{k} {a:g} -> {b:g}" for k, (a, b) in moved.items())
                 if moved else "; only the camera saw it: the cushion's thresholds stay as "
                 "they are" if entry.action == "wrong" and entry.camera_alone else "")
        return Applied(ev, row, bool(moved), kind,
                       feedback_said(self.base, entry, before, self.state, cushion=cushion))
