"""A length of time in words for people, written one way in every message: ``sitwatch
status``, the status bar, the web's live page, the demo, the reports and the nudges.

Two kinds of durations are written. A *measured* one (a sitting spell, an age, time sat today)
is rounded to what a glance needs: ``37 min``. A *setting* the user chose (the sitting limit,
the daily sitting budget) is said as it is, because a rounded setting reads as another one: a
limit of 90 s written ``2 min`` is not the limit the user set. From 10 minutes on, a limit is
set in minutes anyway, so whole minutes are honest there.
"""

from __future__ import annotations

#: Settings shorter than this (seconds) are written to the second: ``1 min 30 s``.
EXACT_UNDER = 600.0
#: Something younger than this (seconds) happened ``just now``: "0 s ago" reads as a glitch.
JUST_NOW = 5.0
#: A program running for less than this (seconds) has ``just started``.
JUST_STARTED = 60.0


def words(seconds: float) -> str:
    """A measured duration: ``42 s``, ``37 min``, ``1 h 5 min``, ``2 h`` (whole minutes, a half
    rounded up, from one minute on)."""
    seconds = max(0.0, float(seconds))
    if seconds < 60:
        return f"{int(seconds)} s"
    minutes = int(seconds // 60 + (1 if seconds % 60 >= 30 else 0))
    if minutes < 60:
        return f"{minutes} min"
    h, m = divmod(minutes, 60)
    return f"{h} h {m} min" if m else f"{h} h"


def ago(seconds: float) -> str:
    """How long ago something happened: ``just now`` under :data:`JUST_NOW`, else ``42 s
    ago``, ``37 min ago`` (:func:`words`)."""
    if float(seconds) < JUST_NOW:
        return "just now"
    return f"{words(seconds)} ago"


def uptime(seconds: float) -> str:
    """How long a program has been running: ``just started`` in its first minute (a count of
    seconds reads as a glitch, and on a page that updates itself it ticks for no reason), else
    ``up 37 min`` (:func:`words`)."""
    if float(seconds) < JUST_STARTED:
        return "just started"
    return f"up {words(seconds)}"


def setting(seconds: float) -> str:
    """A duration the user set, as set: ``45 s``, ``1 min 30 s``, ``2 min`` under
    :data:`EXACT_UNDER`; from there on as :func:`words` writes it (``45 min``, ``5 h``)."""
    seconds = max(0.0, float(seconds))
    if seconds >= EXACT_UNDER:
        return words(seconds)
    m, s = divmod(round(seconds), 60)
    if not m:
        return f"{s} s"
    return f"{m} min {s} s" if s else f"{m} min"
