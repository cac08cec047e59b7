"""What sitwatch says back to a "Not right", a reset, a snooze, a pause or a resume.

One set of words for the command line (``sitwatch feedback``, ``sitwatch snooze`` ...) and for
the running daemon's answer to the same command sent over MQTT (``<base>/command/result``,
:mod:`sitwatch.sinks.mqtt`): a sitter who tries both reads the same sentence. Pure: the state
before and after, and the time, come in as arguments.
"""

from __future__ import annotations

from datetime import datetime

from sitwatch.config import Config
from sitwatch.core.kinds import FeedbackKind, label
from sitwatch.core.moments import when
from sitwatch.nudging import feedback as fb
from sitwatch.nudging.control import Control

#: A "Not right" about a learned way of sitting while none is learned: nothing to forget.
NOTHING_LEARNED = ("nothing to forget: sitwatch has learned no way of sitting upright clear of "
                   "the backrest, so there is no \"Not right\" to answer (`sitwatch doctor` "
                   "shows what it learned)")


def knob(change: fb.Change) -> str:
    """One threshold's move, as ``slouch rear ratio 0.5 -> 0.43``."""
    section, key = change.knob.split(".")[1:]
    return f"{section} {key.replace('_', ' ')} {change.before:g} -> {change.after:.3g}"


def feedback_said(base: Config, entry: fb.Entry, before: fb.State, after: fb.State, *,
                  cushion: bool = True) -> str:
    """The answer to a "Not right" or a reset that was recorded (``entry``), ``before`` and
    ``after`` the feedback state changed; ``cushion`` False: a camera-only setup."""
    settings = base.feedback
    if not cushion and entry.action == "wrong" and entry.kind is not None:
        what = (f"that {fb.label(entry.kind)} nudge" if entry.kind != FeedbackKind.LEARNED
                else "the way of sitting it learned")
        return (f"Noted: {what} was not right. It is recorded (`sitwatch feedback show` lists "
                "it, and so does the weekly report). With the camera alone nothing is "
                "adapted: the camera's thresholds stay as configured (only a cushion's are "
                "eased by \"Not right\").")
    if entry.action == "wrong" and entry.kind is not None and entry.camera_alone:
        return (f"Noted: that {fb.label(entry.kind)} nudge was not right. It is recorded "
                "(`sitwatch feedback show` lists it, and so does the weekly report). Only the "
                "camera saw that posture, so nothing is adapted: the camera's thresholds stay "
                "as configured, and the cushion's are eased only by \"Not right\" on a nudge "
                "the cushion saw.")
    if entry.kind == FeedbackKind.LEARNED:
        return _said_learned(entry, before, settings.max_steps, settings.enabled)
    if entry.action == "reset":
        what = fb.label(entry.kind) if entry.kind else "every kind"
        had = before.steps_of(entry.kind) if entry.kind else sum(before.steps.values())
        if not had:
            return ("Nothing to undo: " + (f"the {what} thresholds are" if entry.kind
                                            else "every threshold is") + " as configured.")
        again = (" Ways of sitting you rejected may be learned again."
                 if entry.kind is None and before.steps_of(FeedbackKind.LEARNED) else "")
        return f"Undone for {what}: back to the configured thresholds.{again}"
    assert entry.kind is not None
    name = fb.label(entry.kind)
    head = f"Noted: that {name} nudge was not right."
    if not settings.enabled:
        return head + " (Learning is off in [feedback]: recorded, nothing changes.)"
    if not entry.applied:
        return (f"{head} {name.capitalize()} is already eased as far as it goes "
                f"({settings.max_steps} of {settings.max_steps} steps), so nothing more changes. "
                f"`sitwatch feedback reset {fb.typed(entry.kind)}` starts over.")
    moved = [c for c in fb.changes(base, after, settings) if c.kind == entry.kind]
    what = ("It will count smaller moves as a shift of your weight from now on"
            if entry.kind == FeedbackKind.STATIC_SITTING
            else f"It will take a clearer {name} posture from now on")
    lines = [f"{head} {what} (step {entry.steps} of {settings.max_steps}):"]
    lines += [f"  {knob(c)}" for c in moved]
    lines.append(f"Undo with `sitwatch feedback reset {fb.typed(entry.kind)}`.")
    return "\n".join(lines)


def _said_learned(entry: fb.Entry, before: fb.State, cap: int, enabled: bool) -> str:
    """The answer to a "Not right" about a learned way of sitting, or to its reset."""
    undo = "`sitwatch feedback reset learned` lets it be learned again."
    if entry.action == "reset":
        if not before.steps_of(FeedbackKind.LEARNED):
            return "Nothing to undo: no learned way of sitting was rejected."
        return ("Undone: the ways of sitting you rejected may be learned again (the ways "
                "already learned stay).")
    head = "Noted: the way of sitting sitwatch learned last is not how you sit upright."
    if not enabled:
        return head + " (Learning is off in [feedback]: recorded, nothing changes.)"
    if entry.applied:
        return (f"{head} It is forgotten and will not be learned again ({entry.steps} of "
                f"{cap} such answers). {undo}")
    if before.steps_of(FeedbackKind.LEARNED) >= cap:
        return (f"{head} You have rejected {cap} learned ways already, as many as it takes "
                f"until a reset, so nothing more changes. {undo.replace('lets it', 'lets them')}")
    return ("Nothing to forget: sitwatch has learned no way of sitting upright clear of the "
            "backrest (`sitwatch doctor` shows what it learned).")


def clock_time(at: str, now: datetime) -> str:
    """``14:05`` (the day of ``now``) or ``Mon 3 Feb 14:05`` for an ISO time."""
    try:
        then = datetime.fromisoformat(at).astimezone(now.tzinfo)
    except (TypeError, ValueError):
        return at
    if then.date() == now.date():
        return then.strftime("%H:%M")
    return f"{then:%a} {then.day} {then:%b %H:%M}"


def already_noted(kind: FeedbackKind, at: str, earlier: str, now: datetime) -> str:
    """A "Not right" on the ``kind`` nudge shown ``at``, which was answered ``earlier`` (ISO
    times): one nudge counts once."""
    return (f"Already noted: you said the {fb.label(kind)} nudge of {clock_time(at, now)} was "
            f"not right (at {clock_time(earlier, now)}), so nothing more changes. One nudge "
            "counts once.")


def done_said(kind: str, *, settled: bool) -> str:
    """What Done on a ``kind`` nudge's notification did: it counted the nudges of that kind
    waiting for an answer as acted on (``settled``), or found none waiting (the response window
    had passed, or the sitter had already acted on it)."""
    name = f"\"{label(kind)}\" nudge"
    if settled:
        return f"Done: the {name} counts as acted on."
    return (f"Noted: Done on the {name}. None was waiting for an answer (it was already acted "
            "on, or its response window had passed), so nothing else changes.")


def control_said(what: str, new: Control, now: datetime) -> str:
    """What a ``resume``, ``snooze`` or ``pause`` that a running sitwatch takes did (``new``:
    the control after it, :func:`sitwatch.nudging.control.change`)."""
    if what == "resume":
        return "resumed: watching and nudging again"
    if what == "snooze" and new.snoozed_until is not None:
        return f"nudges snoozed until {when(new.snoozed_until, now)} (sitwatch keeps watching)"
    if isinstance(new.paused_until, datetime):
        return f"paused until {when(new.paused_until, now)}: nothing is watched or kept meanwhile"
    return "paused until `sitwatch resume`: nothing is watched or kept meanwhile"
