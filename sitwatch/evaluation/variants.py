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


def seat_only(d: datasets.Labelled, kind: str) -> datasets.Labelled:
    """The smartchair recording as a seat-only device would have recorded it.

    ``seat8``: the 8 seat sensors alone (backrest channels dropped). ``cells4``: four load cells
    under the seat corners, each the sum of the sensors above it (rear: p04 | p05; front:
    p08+p10 | p09+p11). p06/p07 are left out of the sums because p07 is faulty in vanessa's
    recording and a load cell has no faulty sub-sensor; leaving out the pair keeps left and
    right alike. Readings are unchanged otherwise."""
    lay = d.layout
    if kind == "seat8":
        keep = [c for c in lay.channels if c.surface == "seat"]
        chans = tuple(Channel(i, "seat", c.x, c.y, c.label) for i, c in enumerate(keep))
        new = Layout("smartchair-seat-8", chans, lay.full_scale, "smartchair seat sensors only")
        vals = d.values[:, [c.index for c in keep]]
    elif kind == "cells4":
        cells = load_layout("load-cells-4")
        new = Layout("smartchair-as-4-cells", cells.channels, 2 * lay.full_scale,
                     "smartchair seat summed into four corner cells")
        v = d.values
        vals = np.stack([v[:, 4], v[:, 5], v[:, 8] + v[:, 10], v[:, 9] + v[:, 11]], axis=1)
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
