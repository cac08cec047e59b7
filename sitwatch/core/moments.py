"""A moment in words for people, as precise as its distance from now needs.

One rule for every place that says when something ends or happened: the snooze and pause
commands' confirmation, ``sitwatch status``, the status bar's tooltip and the web's live page.
Machine-readable output (``--json``, the status file) keeps ISO 8601."""

from __future__ import annotations

from datetime import datetime

#: Within this many days of today (either way) the weekday and date tell the day apart
#: without the year; further, the year is said too.
NEAR_DAYS = 6


def when(moment: datetime, now: datetime) -> str:
    """``18:08`` today, ``Mon 30 Nov 18:08`` within a week of today, ``Tue 27 Apr 2038 13:08``
    further off (either way). ``moment`` is shown in its own time zone, and ``now`` is taken
    there too to decide which day it is."""
    if moment.tzinfo is not None:
        now = now.astimezone(moment.tzinfo)
    days = abs((moment.date() - now.date()).days)
    if days == 0:
        return f"{moment:%H:%M}"
    day = f"{moment:%a} {moment.day} {moment:%b}"
    if days <= NEAR_DAYS:
        return f"{day} {moment:%H:%M}"
    return f"{day} {moment.year} {moment:%H:%M}"
