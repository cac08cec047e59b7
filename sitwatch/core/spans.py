"""Spans of time as people write them, parsed in one place.

- :func:`recording_span`: a stretch of a recording in seconds (``30:90``, ``30-90``, ``1:00-2:30``,
  ``30..90``), for ``calibrate --recording`` and the camera's calibration;
- :func:`clock_window`: a window of the day (``22:00-07:00``, may wrap past midnight), for quiet
  hours;
- :func:`duration`: a length of time (``30m``, ``1h30m``, ``90s``, ``45`` = minutes), for snooze
  and pause.

Each raises :class:`ValueError` with a message that shows the expected form.
"""

from __future__ import annotations

import re
from datetime import timedelta

_UNITS = {"s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
          "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
          "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
          "d": 86400, "day": 86400, "days": 86400}
_DUR = re.compile(r"(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$")


def _seconds(text: str) -> float:
    """``90``, ``1:30`` or ``1:01:30`` as seconds."""
    parts = text.strip().split(":")
    if not text.strip() or len(parts) > 3:
        raise ValueError(text)
    v = 0.0
    for p in parts:
        v = v * 60 + float(p)
    return v


def recording_span(text: str) -> tuple[float, float]:
    """``A:B`` or ``A-B`` or ``A..B`` in seconds, or ``mm:ss-mm:ss``; the end after the start."""
    bad = ValueError(f"{text!r}: write START:END in seconds (e.g. 30:90) or mm:ss-mm:ss")
    if ".." in text:
        a, b = text.split("..", 1)
    elif "-" in text:
        a, b = text.split("-", 1)
    elif text.count(":") == 1:
        a, b = text.split(":", 1)
    else:
        raise bad
    try:
        lo, hi = _seconds(a), _seconds(b)
    except ValueError:
        raise bad from None
    if not (hi > lo >= 0):
        raise bad
    return lo, hi


def clock_window(spec: str, *, key: str = "quiet_hours") -> tuple[int, int]:
    """'HH:MM-HH:MM' -> (start, end) in minutes after midnight; may wrap past midnight."""
    try:
        a, b = spec.split("-")
        out = []
        for part in (a, b):
            h, m = part.strip().split(":")
            hh, mm = int(h), int(m)
            if not (0 <= hh <= 23 and 0 <= mm <= 59):
                raise ValueError
            out.append(hh * 60 + mm)
    except ValueError:
        raise ValueError(f"{key}: {spec!r} is not HH:MM-HH:MM (e.g. 22:00-07:00)") from None
    return out[0], out[1]


def duration(text: str) -> timedelta:
    """'30m', '1h', '90s', '2 hours', '45' (minutes)."""
    parts = re.findall(r"\d+(?:\.\d+)?\s*[a-zA-Z]*", text)
    if not parts or "".join(parts).replace(" ", "") != text.replace(" ", ""):
        raise ValueError(f"{text!r}: write a duration like 30m, 1h or 1h30m")
    total = 0.0
    for p in parts:
        m = _DUR.match(p)
        unit = (m.group(2) or "m").lower() if m else ""
        if not m or unit not in _UNITS:
            raise ValueError(f"{text!r}: write a duration like 30m, 1h or 1h30m")
        total += float(m.group(1)) * _UNITS[unit]
    if total <= 0:
        raise ValueError(f"{text!r}: the duration must be more than zero")
    return timedelta(seconds=total)


def span_seconds(text: str) -> float:
    """A length of time written with its units, in seconds: '90s', '30m', '1h30m', '2 hours',
    '0s'. Every number needs its unit (unlike :func:`duration`, whose bare number is minutes),
    so that a config key in seconds never reads '30' as half an hour. ValueError otherwise."""
    parts = re.findall(r"\d+(?:\.\d+)?\s*[a-zA-Z]*", text)
    if not parts or "".join(parts).replace(" ", "") != text.replace(" ", ""):
        raise ValueError(text)
    total = 0.0
    for p in parts:
        m = _DUR.match(p.strip())
        if not m or m.group(2).lower() not in _UNITS:
            raise ValueError(text)
        total += float(m.group(1)) * _UNITS[m.group(2).lower()]
    return total


DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY_WORDS = {"weekdays": "mon-fri", "weekend": "sat-sun", "daily": "mon-sun", "all": "mon-sun"}


def _day(token: str) -> int:
    """'mon', 'Tue', 'wednesday' -> 0..6; anything else -> -1."""
    t = token.strip().lower()
    if len(t) < 3:
        return -1
    return next((i for i, d in enumerate(DAYS) if d.startswith(t)), -1)


def weekdays(spec: str) -> frozenset[int]:
    """'mon-fri', 'sat', 'mon,wed,fri', 'fri-mon' (wraps), 'weekdays', 'weekend', 'daily' ->
    the days they name (0 = Monday, as ``datetime.weekday()``)."""
    out: set[int] = set()
    text = _DAY_WORDS.get(spec.strip().lower(), spec.strip().lower())
    for part in text.split(","):
        part = _DAY_WORDS.get(part.strip(), part.strip())
        a, sep, b = part.partition("-")
        i = _day(a)
        j = _day(b) if sep else i
        if i < 0 or j < 0:
            raise ValueError(
                f"{spec!r} is not a day or range of days (write mon-fri, sat, mon,wed,fri, "
                "weekdays or weekend)"
            )
        k = i
        while True:
            out.add(k)
            if k == j:
                break
            k = (k + 1) % 7
    return frozenset(out)
