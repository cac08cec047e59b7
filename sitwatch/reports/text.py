"""Plain-text reports of a day or a week, from the history store.

Plain words, numbers the reader can check, and one or two suggestions picked from the data.
sitwatch is a wellness tool: the reports describe how you sat, they never diagnose.
"""

from __future__ import annotations

import textwrap
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from sitwatch.history.store import Store

DEFAULT_SIT_LIMIT = 2700.0  # seconds; config detect.sit_limit

_BLOCKS = "▏▎▍▌▋▊▉█"
_POSTURE_WORDS = (
    ("upright", "upright"),
    ("slouched", "slouched"),
    ("leaning_forward", "leaning forward"),
    ("reclined", "reclined"),
)
_NUDGE_WORDS = {
    "prolonged_sitting": "time to move",
    "slouch": "posture",
    "asymmetric_load": "lopsided",
    "wallet": "wallet",
}


# -- formatting helpers ---------------------------------------------------------------------

def fmt_minutes(minutes: float) -> str:
    """``0 min``, ``37 min``, ``3 h 12 min``, ``2 h``."""
    m = round(max(0.0, minutes))
    if m < 60:
        return f"{m} min"
    h, m = divmod(m, 60)
    return f"{h} h {m} min" if m else f"{h} h"


def bar(value: float, top: float, width: int = 8) -> str:
    """A left-aligned bar of unicode blocks, ``width`` cells for ``top``; padded to width."""
    if top <= 0 or value <= 0:
        return " " * width
    eighths = max(1, round(min(value / top, 1.0) * width * 8))
    full, rest = divmod(eighths, 8)
    s = "█" * full + (_BLOCKS[rest - 1] if rest else "")
    return s.ljust(width)


def fmt_short(minutes: float) -> str:
    """Compact durations for tables: ``0m``, ``37m``, ``3h12``, ``2h00``."""
    m = round(max(0.0, minutes))
    if m < 60:
        return f"{m}m"
    h, m = divmod(m, 60)
    return f"{h}h{m:02d}"


# Weekly table: header and width (right-aligned), after the day label and the bar.
_COLUMNS = (("sitting", 7), ("longest", 7), ("breaks", 6), ("upright", 7), ("slouch", 6),
            ("forward", 7), ("recline", 7), ("lopsided", 8), ("nudges", 6))
_BAR_WIDTH = 8


def _table_row(label: str, bar_text: str, cells: list[str]) -> str:
    out = f"{label:<6} {bar_text:<{_BAR_WIDTH}}"
    for (_, width), cell in zip(_COLUMNS, cells, strict=False):
        out += f" {cell:>{width}}"
    return out.rstrip()


def _bullets(tips: list[str], width: int = 80) -> list[str]:
    out: list[str] = []
    for tip in tips:
        out += textwrap.wrap(tip, width, initial_indent="• ", subsequent_indent="  ")
    return out


def part_of_day(dt: datetime) -> str:
    h = dt.hour
    if 5 <= h < 12:
        return "morning"
    if 12 <= h < 17:
        return "afternoon"
    if 17 <= h < 22:
        return "evening"
    return "night"


def _pct(share: float) -> str:
    return f"{round(share * 100)}%"


def _day_title(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def _posture_line(s: dict[str, Any]) -> str:
    shares = s["posture_shares"]
    text = " · ".join(f"{word} {_pct(shares[key])}" for key, word in _POSTURE_WORDS)
    if shares["unknown"] >= 0.005:
        text += f" · unknown {_pct(shares['unknown'])}"
    return text


def _nudge_line(s: dict[str, Any]) -> str:
    total = s["nudges_total"]
    if not total:
        return "none"
    kinds = [f"{_NUDGE_WORDS.get(k, k)} {n}" for k, n in s["nudges"].items() if n]
    text = f"{total} ({' · '.join(kinds)})"
    if s.get("nudges_measured"):
        text += f", acted on {s.get('nudges_acted', 0)} of {s['nudges_measured']}"
    return text


def _lopsided_text(left: float, right: float) -> str:
    total = left + right
    if total < 0.5:
        return "0 min"
    side = ""
    if left >= 2 * right:
        side = " (more weight on the left)"
    elif right >= 2 * left:
        side = " (more weight on the right)"
    return f"{fmt_minutes(total)}{side}"


def _has_data(s: dict[str, Any]) -> bool:
    return bool(s["present_minutes"] > 0 or s["sitting_minutes"] > 0)


# -- suggestions ----------------------------------------------------------------------------

def suggestions(days: list[dict[str, Any]], sit_limit: float = DEFAULT_SIT_LIMIT,
                weekly: bool = True, limit: int = 2) -> list[str]:
    """Up to ``limit`` suggestions, the most relevant first, from daily summaries."""
    out: list[tuple[float, str]] = []
    sitting = sum(d["sitting_minutes"] for d in days)
    if sitting <= 0:
        return []
    limit_min = sit_limit / 60
    limit_word = fmt_minutes(limit_min)

    # Long spells: where and when they cluster.
    long_spells = [(start, minutes) for d in days for start, minutes in d["spells"]
                   if minutes > limit_min]
    if long_spells:
        groups: dict[tuple[date, str], list[float]] = {}
        for start, minutes in long_spells:
            groups.setdefault((start.date(), part_of_day(start)), []).append(minutes)
        (day, part), spells = max(groups.items(), key=lambda kv: (sum(kv[1]), max(kv[1])))
        where = f"on {day:%A} {part}" if weekly else f"in the {part}"
        if len(spells) > 1:
            text = (f"Your longest spells were {where} (up to {fmt_minutes(max(spells))} "
                    "without a break).")
        else:
            text = f"Your longest spell was {where} ({fmt_minutes(spells[0])} without a break)."
        text += (f" Getting up for a few minutes every {limit_word} or so breaks up long "
                 "sitting; a walk to refill your water counts.")
        out.append((min(3.5, 1.5 + max(m for _, m in long_spells) / limit_min), text))

    # Slouching and leaning in.
    slumped = sum(d["posture_minutes"]["slouched"] + d["posture_minutes"]["leaning_forward"]
                  for d in days)
    share = slumped / sitting
    if share >= 0.25 and slumped >= 10:
        worst = max(days, key=lambda d: d["posture_minutes"]["slouched"]
                    + d["posture_minutes"]["leaning_forward"])
        when = f", most of it on {worst['day']:%A}" if weekly else ""
        text = (f"You slouched or leaned forward for {_pct(share)} of your sitting time{when}. "
                "Sliding your hips back until the backrest carries your lower back makes "
                "sitting tall easier.")
        out.append((min(3.0, share / 0.2), text))

    # Lopsided sitting.
    left = sum(d["lopsided_left_minutes"] for d in days)
    right = sum(d["lopsided_right_minutes"] for d in days)
    lop = left + right
    if lop >= 10 and lop / sitting >= 0.10:
        side = "left" if left >= right else "right"
        text = (f"You sat with more weight on the {side} for {fmt_minutes(lop)}. Emptying "
                "your back pockets and keeping both feet flat helps even it out.")
        out.append((min(3.0, lop / sitting / 0.2), text))

    # Few breaks for the time sat.
    breaks = sum(d["breaks"] for d in days)
    per_break = sitting / (breaks + 1)
    if per_break > 2 * limit_min and not long_spells:
        text = (f"You took {breaks} break{'s' if breaks != 1 else ''} in "
                f"{fmt_minutes(sitting)} of sitting. Short, regular breaks are easier to keep "
                "than long rare ones.")
        out.append((min(3.0, 0.5 + per_break / limit_min / 2), text))

    # The cushion itself.
    offline = sum(d["sensor_offline_minutes"] for d in days)
    if offline >= 30:
        worst = max(days, key=lambda d: d["sensor_offline_minutes"])
        when = f" (most on {worst['day']:%A})" if weekly else ""
        text = (f"The cushion was offline for {fmt_minutes(offline)}{when}, so these numbers "
                "miss that time. Check its cable, or run `sitwatch doctor`.")
        out.append((min(3.0, 1.2 + offline / 600), text))

    if not out:
        text = (f"Nice: your sitting spells stayed under {limit_word} and your posture was "
                "mostly upright. Keep it up.")
        out.append((0.0, text))
    out.sort(key=lambda x: -x[0])
    return [text for _, text in out[:limit]]


# -- reports --------------------------------------------------------------------------------

def _day_block(s: dict[str, Any]) -> list[str]:
    rows = [("Sitting", fmt_minutes(s["sitting_minutes"]))]
    if s["longest_spell_start"] is not None:
        rows.append(("Longest spell", f"{fmt_minutes(s['longest_spell_minutes'])} "
                                      f"(from {s['longest_spell_start']:%H:%M})"))
    else:
        rows.append(("Longest spell", fmt_minutes(s["longest_spell_minutes"])))
    rows += [
        ("Breaks", str(s["breaks"])),
        ("Posture", _posture_line(s)),
        ("Lopsided", _lopsided_text(s["lopsided_left_minutes"], s["lopsided_right_minutes"])),
        ("Nudges", _nudge_line(s)),
    ]
    if s["sensor_offline_minutes"] >= 0.5:
        rows.append(("Cushion offline", fmt_minutes(s["sensor_offline_minutes"])))
    if s["wallet_suspected"]:
        rows.append(("Back pocket", f"something under one side {s['wallet_suspected']}x"))
    return [f"{k:<16} {v}" for k, v in rows]


def daily_text(store: Store, day: date, tz: tzinfo, *,
               sit_limit: float = DEFAULT_SIT_LIMIT) -> str:
    s = store.daily_summary(day, tz)
    title = _day_title(day)
    lines = [title, "─" * len(title)]
    if not _has_data(s):
        lines.append("No sitting recorded. (sitwatch keeps history while `sitwatch run` is "
                     "running.)")
        return "\n".join(lines) + "\n"
    lines += _day_block(s)
    tips = suggestions([s], sit_limit, weekly=False, limit=2)
    if tips:
        lines.append("")
        lines += _bullets(tips)
    return "\n".join(lines) + "\n"


def weekly_text(store: Store, week_ending: date, tz: tzinfo, *,
                sit_limit: float = DEFAULT_SIT_LIMIT) -> str:
    days = [store.daily_summary(week_ending - timedelta(days=i), tz) for i in range(6, -1, -1)]
    first = days[0]["day"]
    title = (f"Week {first:%a} {first.day} {first:%b} – "
             f"{week_ending:%a} {week_ending.day} {week_ending:%b %Y}")
    lines = [title, "─" * len(title)]
    active = [d for d in days if _has_data(d)]
    if not active:
        lines.append("No sitting recorded this week. (sitwatch keeps history while "
                     "`sitwatch run` is running.)")
        return "\n".join(lines) + "\n"

    top = max(d["sitting_minutes"] for d in days)
    lines.append(_table_row("", "", [h for h, _ in _COLUMNS]))
    for d in days:
        label = f"{d['day']:%a} {d['day'].day:>2}"
        if not _has_data(d):
            lines.append(_table_row(label, "", ["—"]))
            continue
        sh = d["posture_shares"]
        lines.append(_table_row(label, bar(d["sitting_minutes"], top), [
            fmt_short(d["sitting_minutes"]), fmt_short(d["longest_spell_minutes"]),
            str(d["breaks"]), _pct(sh["upright"]), _pct(sh["slouched"]),
            _pct(sh["leaning_forward"]), _pct(sh["reclined"]),
            fmt_short(d["lopsided_minutes"]), str(d["nudges_total"]),
        ]))

    sitting = sum(d["sitting_minutes"] for d in days)
    breaks = sum(d["breaks"] for d in days)
    nudges = sum(d["nudges_total"] for d in days)
    longest = max(days, key=lambda d: d["longest_spell_minutes"])
    posture_min = {k: sum(d["posture_minutes"][k] for d in days)
                   for k in ("upright", "slouched", "leaning_forward", "reclined", "unknown")}
    posture_total = sum(posture_min.values())
    week_shares = {k: (v / posture_total if posture_total else 0.0)
                   for k, v in posture_min.items()}
    lop_left = sum(d["lopsided_left_minutes"] for d in days)
    lop_right = sum(d["lopsided_right_minutes"] for d in days)
    offline = sum(d["sensor_offline_minutes"] for d in days)

    lines.append("")
    lines.append(f"{'Sitting':<16} {fmt_minutes(sitting)} on {len(active)} "
                 f"day{'s' if len(active) != 1 else ''} "
                 f"(about {fmt_minutes(sitting / len(active))} a day)")
    if longest["longest_spell_start"] is not None:
        at = longest["longest_spell_start"]
        lines.append(f"{'Longest spell':<16} {fmt_minutes(longest['longest_spell_minutes'])} "
                     f"({at:%A} {at:%H:%M})")
    lines.append(f"{'Breaks':<16} {breaks}")
    lines.append(f"{'Posture':<16} " + _posture_line({"posture_shares": week_shares}))
    lines.append(f"{'Lopsided':<16} {_lopsided_text(lop_left, lop_right)}")
    nudge_kinds: dict[str, int] = {}
    for d in days:
        for k, n in d["nudges"].items():
            nudge_kinds[k] = nudge_kinds.get(k, 0) + n
    lines.append(f"{'Nudges':<16} "
                 + _nudge_line({"nudges_total": nudges, "nudges": nudge_kinds,
                                "nudges_acted": sum(d.get("nudges_acted", 0) for d in days),
                                "nudges_measured": sum(d.get("nudges_measured", 0) for d in days)}))
    if offline >= 0.5:
        lines.append(f"{'Cushion offline':<16} {fmt_minutes(offline)}")

    tips = suggestions(days, sit_limit, weekly=True, limit=2)
    if tips:
        lines.append("")
        lines += _bullets(tips)
    return "\n".join(lines) + "\n"
