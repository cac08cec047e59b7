"""The same labelled sessions, changed: what the robustness and margin tables replay.

Each function returns a new :class:`~sitwatch.evaluation.datasets.Labelled` with the labels
kept: postures held more or less strongly (:func:`reshape`), the seat alone as a cushion without
backrest sensors or as four load cells would have recorded it (:func:`seat_only`), another frame
rate (:func:`resampled`), a lighter or heavier sitter (:func:`heavier`), a sensor failing
mid-session (:func:`breaks`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import numpy as np

from sitwatch.evaluation import datasets
from sitwatch.evaluation.scoring import first_upright_profile
from sitwatch.sensing.layout import Channel, Layout
from sitwatch.sensing.layout import load as load_layout

FAULTY = {"vanessa": (7,)}  # channels broken in the recording itself (p07 reads full scale)


def reshape(
    d: datasets.Labelled, share: float, labels: Iterable[int] | None = None
) -> datasets.Labelled:
    """The same recording with postures held more or less strongly: each frame (of ``labels``,
    or every occupied frame) moved to ``share`` of its distance from the person's upright mean,
    clipped to the sensors' range. Below 1 a milder posture, above 1 an exaggerated one."""
    prof, _ = first_upright_profile(d)
    up = prof.array("upright")
    assert up is not None
    v = d.values.copy()
    move = d.label != 0 if labels is None else np.isin(d.label, list(labels))
    v[move] = np.clip(up + share * (v[move] - up), 0, d.layout.full_scale)
    return replace(d, name=d.name + f"~{share:g}", values=v)


SEAT_ONLY = {"seat8": "8 seat sensors", "cells4": "4 corner load cells"}


#: The smartchair's seat sensors a corner-cell copy carries (p04-p11; see seat_only).
CELL_SOURCES = (4, 5, 6, 7, 8, 9, 10, 11)


def lever_shares(lay: Layout, sources: tuple[int, ...], cells: Layout) -> np.ndarray:
    """(sources x cells): the share of each source sensor's load each cell of ``cells`` carries
    under a rigid plate. A plate on equally stiff cells tilts as a plane, so each cell's force is
    a + b x + c y of its position, and the three follow from statics (the forces add up to the
    load, and so do their moments about both axes): the minimum-norm solution of those three
    equations, the same as the simulator's load cells. For two cells it is the lever rule; on
    four at the corners, each pair (left, right, rear, front) carries exactly the lever-rule
    share of the centre of pressure between them."""
    seat = np.flatnonzero(cells.seat_mask)
    a = np.vstack([np.ones(seat.size), cells.x[seat], cells.y[seat]])
    pts = np.vstack([np.ones(len(sources)), lay.x[list(sources)], lay.y[list(sources)]])
    out = np.zeros((len(sources), cells.n))
    out[:, seat] = (np.linalg.pinv(a) @ pts).T
    return out


def seat_only(d: datasets.Labelled, kind: str) -> datasets.Labelled:
    """The smartchair recording as a seat-only device would have recorded it.

    ``seat8``: the 8 seat sensors alone (backrest channels dropped). ``cells4``: four load cells
    under the corners of a rigid seat plate (``load-cells-4``), each carrying its lever-rule
    share of every sensor's load (:func:`lever_shares`). Until issue #10's load-cell work each
    cell was the sum of the sensors in its quarter, as if each sensor stood on a cell: that put
    the body's load at the corners and made every lean and slide look twice as large as four
    corner cells can see it. p07 is faulty (near full scale much of the time, in both
    recordings) and a plate has no faulty sub-sensor: it carries the load on that spot anyway,
    so the copy takes p07's mirror p06 for it. That row then adds nothing sideways but keeps its
    share of the load front to back; leaving the pair out (as the summed copy did) dropped the
    load under the middle of the seat and made every forward move look larger (a recline read as
    a slump). Readings are unchanged otherwise."""
    lay = d.layout
    if kind == "seat8":
        keep = [c for c in lay.channels if c.surface == "seat"]
        chans = tuple(Channel(i, "seat", c.x, c.y, c.label) for i, c in enumerate(keep))
        new = Layout("smartchair-seat-8", chans, lay.full_scale, "smartchair seat sensors only")
        vals = d.values[:, [c.index for c in keep]]
    elif kind == "cells4":
        cells = load_layout("load-cells-4")
        new = Layout("smartchair-as-4-cells", cells.channels, 2 * lay.full_scale,
                     "smartchair seat carried by four corner cells", plate=cells.plate)
        v = d.values.copy()
        v[:, 7] = v[:, 6]  # p07 faulty: its mirror's reading (see above)
        vals = np.clip(v[:, CELL_SOURCES] @ lever_shares(lay, CELL_SOURCES, cells), 0,
                       new.full_scale)
    else:
        raise ValueError(kind)
    return replace(d, name=f"{d.name}/{kind}", layout=new, values=vals)


def _like(d: datasets.Labelled, t: np.ndarray, v: np.ndarray, lab: np.ndarray,
          what: str) -> datasets.Labelled:
    return replace(d, name=f"{d.name} ({what})", t=t, values=v, label=lab)


def resampled(d: datasets.Labelled, hz: float) -> datasets.Labelled:
    """The recording as a device sending ``hz`` frames a second would have sent it (each frame
    repeats the latest reading)."""
    t = np.arange(0, d.t[-1], 1 / hz)
    idx = np.minimum(np.searchsorted(d.t, t, side="right") - 1, len(d.t) - 1)
    return _like(d, t, d.values[idx], d.label[idx], f"{hz:g} Hz")


def heavier(d: datasets.Labelled, k: float) -> datasets.Labelled:
    """Every load ``k`` times larger (a lighter or heavier sitter), clipped at full scale; a
    channel broken in the recording stays as it was (it reads the same whoever sits). A reading
    already clipped at full scale scales to a constant below it, which the health check may
    briefly call stuck (almir's p03 at x0.6, for 27 s): an artefact of the scaling."""
    v = np.clip(d.values * k, 0, d.layout.full_scale)
    for ch in FAULTY.get(d.person, ()):
        v[:, ch] = d.values[:, ch]
    return _like(d, d.t, v, d.label, f"x{k:g}")


def breaks(d: datasets.Labelled, ch: int, value: float, after: float = 600.0) -> datasets.Labelled:
    """Channel ``ch`` reads ``value`` from ``after`` seconds on (a sensor failing mid-session)."""
    v = d.values.copy()
    v[d.t >= after, ch] = value
    return _like(d, d.t, v, d.label, f"ch{ch}={value:g}")


def calibrated_away(d: datasets.Labelled) -> datasets.Labelled:
    """The same session, calibrated on its first minute of upright sitting *clear of* the
    backrest (a user whose first upright minute is that one): its labels 1 and 2 swapped, both
    scored as upright, since the calibration takes the first segment coded 1."""
    lab = np.where(d.label == 1, 2, np.where(d.label == 2, 1, d.label))
    return _like(d, d.t, d.values, lab, "calibrated clear of the backrest")


# -- a class of sitter we have no recording of (issue #10) ------------------------------------

AWAY_SHIFT = 0.26  # the seat centre's move sitting upright away from the backrest (issue #10)
LIGHT_BACK = 0.3  # the backrest's load in upright sitting, as a share of the recorded one
WANDER = 0.6  # how far that light contact swings between the backrest's sides (share of it)
WANDER_PERIOD = 90.0  # seconds for one swing


def _broken_labels(d: datasets.Labelled) -> set[str]:
    """The labels of the channels broken in the recording itself (they keep their label in a
    seat-only copy, where their index changes)."""
    return {f"p{i:02d}" for i in FAULTY.get(d.person, ())}


def _move_seat(
    d: datasets.Labelled, v: np.ndarray, rows: np.ndarray, s: float
) -> None:
    """Move each of ``rows``' seat centre of pressure by ``s`` shift units (1.0: the whole load
    on one side's sensors), by handing load from one side of every mirror pair of seat sensors
    to the other (pairs with a channel broken in the recording are left alone)."""
    lay = d.layout
    broken = set(FAULTY.get(d.person, ()))
    pairs = [
        (i, int(lay.mirror[i]))
        for i in range(lay.n)
        if lay.seat_mask[i] and lay.x[i] < 0 and lay.mirror[i] >= 0
        and i not in broken and int(lay.mirror[i]) not in broken
    ]
    if not pairs or not rows.any():
        return
    left = np.array([p[0] for p in pairs])
    right = np.array([p[1] for p in pairs])
    absx = np.abs(lay.x[right])
    x_scale = float(np.abs(lay.x[lay.seat_mask & (lay.mirror >= 0)]).mean())
    sub = v[rows]
    tot = sub[:, left] + sub[:, right]  # per pair
    all_seat = sub[:, lay.seat_mask].sum(axis=1)
    # a share ``delta`` of every pair's load handed to the right moves the centre by
    # 2 delta sum(|x| T) / sum(seat): solve for the wanted move
    moment = 2 * (tot * absx).sum(axis=1)
    delta = np.divide(s * x_scale * all_seat, moment, out=np.zeros(len(sub)), where=moment > 0)
    hand = delta[:, None] * tot
    hand = np.clip(hand, -sub[:, right], sub[:, left])  # no side goes below zero
    sub[:, left] -= hand
    sub[:, right] += hand
    v[rows] = sub


def away_sitter(d: datasets.Labelled, shift: float = AWAY_SHIFT) -> datasets.Labelled:
    """The recording as a person of the class issue #10's held-out chair failed on would have
    made it: in upright sitting their backrest contact is light (``LIGHT_BACK`` of the recorded
    load) and wanders from side to side (``WANDER`` of it, over ``WANDER_PERIOD`` seconds), and
    sitting upright away from the backrest puts their seat's centre of pressure ``shift`` from
    where it was upright against it (in the calibration minute), on the side the person's own
    away sitting already leaned. Every other posture is kept as recorded, so the lopsided
    ones are still there to be found. Smartchair labels: 1 upright against, 2 away."""
    lay = d.layout
    v = d.values.astype(float).copy()
    upright = np.isin(d.label, (1, 2))
    swing = WANDER * np.sin(2 * np.pi * d.t / WANDER_PERIOD)
    back = lay.back_mask
    side = np.where(lay.x < 0, -1.0, np.where(lay.x > 0, 1.0, 0.0))
    gain = LIGHT_BACK * (1 + swing[:, None] * side[None, :])
    v[np.ix_(upright, back)] = v[np.ix_(upright, back)] * gain[np.ix_(upright, back)]
    away = d.label == 2
    if away.any():
        prof, _ = first_upright_profile(d)
        up = prof.array("upright")
        assert up is not None
        seat_pairs = lay.seat_mask & (lay.mirror >= 0)
        x = np.where(seat_pairs, lay.x, 0.0)

        def cop(rows: np.ndarray) -> np.ndarray:
            s = rows[:, seat_pairs].sum(axis=1)
            out: np.ndarray = np.divide(rows @ x, s, out=np.zeros(len(rows)), where=s > 0)
            return out

        # on the side the person's own away sitting already leaned, to ``shift`` in all
        x_scale = float(np.abs(lay.x[seat_pairs]).mean())
        natural = float(np.median(cop(v[away])) - cop(up[None, :])[0]) / x_scale
        _move_seat(d, v, away, float(np.sign(natural) or 1.0) * (shift - abs(natural)))
    v = np.clip(v, 0, lay.full_scale)
    return _like(d, d.t, v, d.label, "sits upright away from the backrest")


RESETTLE = 0.3  # seat-sensor spreads: where the seat-only forward rule starts (2 x 0.15)


def resettled(d: datasets.Labelled, move: float = RESETTLE) -> datasets.Labelled:
    """The recording as if the sitter had sat down again further forward on the seat (or the
    cushion had slid back) for the upright stretch after the calibration: every frame of the
    upright segments after the first one gets its seat centre of pressure moved forward, by
    handing load from the rear half of the seat to the front half, so that the stretch's median
    forward move from the calibration minute is ``move`` (in units of the seat sensors' mean
    distance from the seat's middle, the seat-only forward rule's scale). 0.3 is where that
    rule starts: such a stretch reads leaning forward about half of its time (issue #10's
    velostat matrix)."""
    lay = d.layout
    v = d.values.astype(float).copy()
    segs = [s for s in d.segments() if s[0] in d.classes.upright]
    rows = np.zeros(len(d.t), bool)
    for _, a, b in segs[1:]:
        rows |= (d.t >= a) & (d.t < b)
    if not rows.any():
        return _like(d, d.t, v, d.label, f"resettled {move:g} forward")
    seat = lay.seat_mask
    # a channel broken in the recording reads what it reads whoever sits (p07 in vanessa's)
    broken = np.array([c.label in _broken_labels(d) for c in lay.channels])
    rear = seat & (lay.y < 0) & ~broken
    front = seat & (lay.y > 0) & ~broken
    y_scale = float(np.abs(lay.y[seat]).mean())
    load = lay.to_load(v)
    prof, _ = first_upright_profile(d)
    upright = prof.array("upright")
    assert upright is not None
    up = lay.to_load(upright)
    tare = prof.array("tare")
    zero = lay.to_load(tare) if tare is not None else np.full(lay.n, lay.zero_load)

    def cop_y(x: np.ndarray) -> np.ndarray:
        x = np.maximum(np.atleast_2d(x) - zero, 0)[:, seat]
        s = x.sum(axis=1)
        out: np.ndarray = np.divide(x @ lay.y[seat], s, out=np.zeros(len(x)), where=s > 0)
        return out

    want = move * y_scale - (float(np.median(cop_y(load[rows]))) - float(cop_y(up)[0]))
    sub = np.maximum(load[rows] - zero, 0)
    total = sub[:, seat].sum(axis=1)
    r_load = sub[:, rear].sum(axis=1)
    f_load = sub[:, front].sum(axis=1)
    gap = (
        np.divide(sub[:, front] @ lay.y[front], f_load, out=np.zeros(len(sub)), where=f_load > 0)
        - np.divide(sub[:, rear] @ lay.y[rear], r_load, out=np.zeros(len(sub)), where=r_load > 0)
    )
    # a share ``delta`` of the rear load handed to the front moves the centre forward by
    # delta * rear * gap / total
    delta = np.clip(
        np.divide(want * total, r_load * gap, out=np.zeros(len(sub)), where=r_load * gap > 0),
        0, 0.9,
    )
    handed = delta * r_load
    sub[:, rear] *= (1 - delta)[:, None]
    share = np.divide(sub[:, front], f_load[:, None], out=np.zeros_like(sub[:, front]),
                      where=f_load[:, None] > 0)
    sub[:, front] += handed[:, None] * share
    load[rows] = sub + zero
    v = np.clip(lay.to_reading(load), 0, lay.full_scale)
    return _like(d, d.t, v, d.label, f"resettled {move:g} forward")
