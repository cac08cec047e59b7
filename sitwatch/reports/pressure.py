"""The seat pressure picture of the weekly page (issue #11): this week's average load on each
sensor against last week's, and one picture per posture, drawn as SVG from the layout's sensor
positions (``sitwatch/data/layouts/``).

The numbers are the history's pressure maps (:mod:`sitwatch.history.pressure`): per channel, the
mean load as a share of full scale while someone sat. All pictures of one card share a colour
scale, so darker always means more load. The seat is drawn as you look down on it while sitting:
its front edge at the top, your left on the left; a backrest, when the layout has one, below it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta, tzinfo
from html import escape
from itertools import pairwise
from typing import TYPE_CHECKING

from sitwatch.core.kinds import POSTURES, WEIGHT_FORWARD, Posture, label
from sitwatch.history.pressure import PressureMap, maps_between
from sitwatch.history.queries import Reader

if TYPE_CHECKING:
    from sitwatch.sensing.layout import Layout

MIN_POSTURE_SECONDS = 600.0  # a posture's own picture needs 10 minutes of sitting in it
BOX = 132.0  # px: the side of one surface's picture
PAD = 10.0
# light to dark; the same in light and dark page themes (a picture, not text)
STOPS = ((0.0, (255, 247, 222)), (0.35, (253, 174, 97)), (0.7, (215, 48, 39)),
         (1.0, (120, 0, 30)))


def colour(share: float) -> str:
    """``share`` (0..1 of the card's largest mean) as a colour on the light-to-dark scale."""
    v = min(1.0, max(0.0, share))
    for (a, ca), (b, cb) in pairwise(STOPS):
        if v <= b:
            f = (v - a) / (b - a) if b > a else 0.0
            rgb = (round(x + (y - x) * f) for x, y in zip(ca, cb, strict=True))
            return "#" + "".join(f"{c:02x}" for c in rgb)
    return "#" + "".join(f"{c:02x}" for c in STOPS[-1][1])


def _cell(xs: Sequence[float], ys: Sequence[float]) -> float:
    """The side of a sensor's square in layout units: most of the gap to its nearest
    neighbour, at most half the surface."""
    best = 1.0
    pts = list(zip(xs, ys, strict=True))
    for i, (x1, y1) in enumerate(pts):
        for x2, y2 in pts[i + 1:]:
            d = max(abs(x1 - x2), abs(y1 - y2))
            if d > 1e-9:
                best = min(best, d)
    return 0.9 * best


def _surface(lay: Layout, means: Sequence[float], vmax: float, surface: str,
             top: float) -> tuple[list[str], float]:
    idx = [i for i, c in enumerate(lay.channels) if c.surface == surface]
    if not idx:
        return [], top
    xs = [lay.channels[i].x for i in idx]
    ys = [lay.channels[i].y for i in idx]
    side = _cell(xs, ys) * BOX / 2  # layout coordinates run from -1 to 1
    parts = [f'<rect x="{PAD - 4}" y="{top - 4}" width="{BOX + 8}" height="{BOX + 8}" rx="10" '
             f'fill="none" stroke="currentColor" stroke-opacity=".35"/>']
    for i, x, y in zip(idx, xs, ys, strict=True):
        inner = BOX - side  # the squares stay inside the outline
        cx = PAD + side / 2 + (x + 1) / 2 * inner
        cy = top + side / 2 + (1 - (y + 1) / 2) * inner  # the front (y > 0) at the top
        m = means[i] if i < len(means) else 0.0
        tip = f"{lay.channels[i].label}: {100 * m:.0f}% of full scale"
        parts.append(
            f'<rect x="{cx - side / 2:.1f}" y="{cy - side / 2:.1f}" width="{side:.1f}" '
            f'height="{side:.1f}" rx="{min(6.0, side / 4):.1f}" '
            f'fill="{colour(m / vmax if vmax > 0 else 0.0)}"><title>{escape(tip)}</title></rect>')
    return parts, top + BOX + 2 * PAD


def svg(lay: Layout, m: PressureMap, vmax: float, caption: str) -> str:
    """One map: the seat (and the backrest below it), with ``caption`` underneath."""
    body: list[str] = []
    top = PAD + 14.0
    body.append(f'<text x="{PAD}" y="{PAD + 4}" font-size="11" fill="currentColor" '
                'fill-opacity=".7">front</text>')
    seat, top = _surface(lay, m.means, vmax, "seat", top)
    body += seat
    back, after = _surface(lay, m.means, vmax, "back", top + 12)
    if back:
        body.append(f'<text x="{PAD}" y="{top + 6}" font-size="11" fill="currentColor" '
                    'fill-opacity=".7">backrest</text>')
        body += back
        top = after
    height = top + 8
    width = BOX + 2 * PAD
    body.append(f'<text x="{width / 2}" y="{height - 2}" font-size="12" text-anchor="middle" '
                f'fill="currentColor">{escape(caption)}</text>')
    label_ = f"Seat pressure, {caption}: darker squares carried more of your weight"
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="pressure-map" role="img" '
            f'aria-label="{escape(label_)}" width="{width:.0f}" height="{height + 6:.0f}" '
            f'viewBox="0 0 {width:.0f} {height + 6:.0f}">' + "".join(body) + "</svg>")


def _minutes(seconds: float) -> str:
    m = round(seconds / 60)
    return f"{m // 60} h {m % 60:02d} min" if m >= 60 else f"{m} min"


def _bounds(week_ending: date, tz: tzinfo) -> tuple[datetime, datetime]:
    first = week_ending - timedelta(days=6)
    end = week_ending + timedelta(days=1)
    return (datetime(first.year, first.month, first.day, tzinfo=tz),
            datetime(end.year, end.month, end.day, tzinfo=tz))


def section(store: Reader, week_ending: date, tz: tzinfo) -> str:
    """The card's HTML, or "" when the week has no pressure maps (a camera alone, a history
    from before they were kept, a layout file that is not at hand)."""
    start, end = _bounds(week_ending, tz)
    this = maps_between(store, start, end)
    if not this:
        return ""
    # the layout (and with it numpy) only when there is something to draw: a report of a
    # camera-only history stays light
    from sitwatch.sensing.layout import LayoutError
    from sitwatch.sensing.layout import load as load_layout

    name = max(this, key=lambda n: this[n]["all"].seconds if "all" in this[n] else 0.0)
    try:
        lay = load_layout(name)
    except (LayoutError, OSError, ValueError):
        return ""
    week = this[name]
    if "all" not in week:
        return ""
    last = maps_between(store, start - timedelta(days=7), start).get(name, {}).get("all")
    if last is not None and len(last.means) != lay.n:
        last = None
    postures = [(p, week[str(p)]) for p in (*POSTURES, Posture.UNKNOWN)
                if str(p) in week and week[str(p)].seconds >= MIN_POSTURE_SECONDS]
    shown = [week["all"], *([last] if last else []), *(m for _, m in postures)]
    if any(len(m.means) != lay.n for m in shown):
        return ""
    vmax = max((max(m.means, default=0.0) for m in shown), default=0.0)
    pics = [svg(lay, week["all"], vmax, f"this week · {_minutes(week['all'].seconds)}")]
    if last is not None:
        pics.append(svg(lay, last, vmax, f"last week · {_minutes(last.seconds)}"))
    # a seat alone's leaning forward is weight on the front of the seat (the reports' word)
    seat_alone = not lay.back_mask.any()
    per = [svg(lay, m, vmax, f"{name} · {_minutes(m.seconds)}") for p, m in postures
           for name in [WEIGHT_FORWARD if seat_alone and p == Posture.LEANING_FORWARD
                        else label(p)]]
    compare = ("This week beside last week" if last is not None
               else "This week (last week has no pressure readings to compare with)")
    out = [
        '<section class="card pressure" aria-labelledby="pressure-title" id="pressure">',
        '  <h2 id="pressure-title">Seat pressure</h2>',
        f'  <p class="sub">Where your weight went while you sat, on the {escape(name)} sensors: '
        "the average load on each, darker is more (the same scale in every picture). Seen from "
        "above as you sit: the front edge at the top, your left on the left.</p>",
        f'  <h3>{escape(compare)}</h3>',
        '  <div class="scroll pressure-row" style="display:flex;gap:16px;flex-wrap:wrap">'
        + "".join(pics) + "</div>",
    ]
    if len(per) > 1:
        out += ['  <h3>By posture, this week</h3>',
                '  <div class="scroll pressure-row" style="display:flex;gap:16px;'
                'flex-wrap:wrap">' + "".join(per) + "</div>"]
    out.append("</section>")
    return "\n".join(out) + "\n"

