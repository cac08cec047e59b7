"""Adapters for the public chair recordings in ``shared/datasets`` (for replay and evaluation).

Each adapter turns a dataset file into sitwatch recordings (wire format with a time column and a
header naming the layout) plus per-frame ground truth, without changing the readings.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sitwatch.sensing.layout import Layout, load
from sitwatch.sources.recording import Writer


@dataclass
class Labelled:
    name: str  # e.g. "smartchair-ml/almir"
    person: str
    layout: Layout
    t: np.ndarray  # seconds
    values: np.ndarray  # frames x channels
    label: np.ndarray  # dataset's own label per frame (int); -1 when unlabelled
    extra: dict[str, np.ndarray]

    def write(self, path: Path) -> Path:
        hz = 1.0 / float(np.median(np.diff(self.t))) if len(self.t) > 1 else None
        with path.open("w", encoding="utf-8") as f:
            w = Writer(f, self.layout, round(hz, 3) if hz else None, source=self.name)
            for t, v in zip(self.t, self.values, strict=True):
                w.write(float(t), v)
        return path

    def segments(self) -> list[tuple[int, float, float]]:
        """(label, start, end) runs of equal labels."""
        out: list[tuple[int, float, float]] = []
        if len(self.label) == 0:
            return out
        cut = np.flatnonzero(np.diff(self.label)) + 1
        starts = np.r_[0, cut]
        ends = np.r_[cut, len(self.label)]
        dt = float(np.median(np.diff(self.t))) if len(self.t) > 1 else 1.0
        for s, e in zip(starts, ends, strict=True):
            out.append((int(self.label[s]), float(self.t[s]), float(self.t[e - 1] + dt)))
        return out


def smartchair(path: Path) -> Labelled:
    """SmartChair-ML: p00..p11 at 2 Hz, ``pose`` label (0 empty, 1/2 upright, 7 slumped...)."""
    d = np.loadtxt(path, delimiter=",", skiprows=1)
    person = path.stem.split("_")[-1]
    return Labelled(
        f"smartchair-ml/{person}",
        person,
        load("smartchair-12"),
        np.arange(len(d)) * 0.5,
        d[:, :12],
        d[:, 12].astype(int),
        {},
    )


def ethz(path: Path) -> Labelled:
    """ETHZ wheelchair: 12 seat + 12 backrest cells at 10 Hz; joystick as the intended lean."""
    rows = []
    with path.open(encoding="utf-8") as f:
        next(f)  # the first line is broken (dataset README)
        for line in csv.reader(f):
            if len(line) != 32:
                continue
            try:
                rows.append([float(x) for x in line[:31]])
            except ValueError:
                continue
    d = np.array(rows)
    person = path.stem
    return Labelled(
        f"ethz-wheelchair/{person}",
        person.split("_")[0],
        load("ethz-wheelchair-24"),
        np.arange(len(d)) * 0.1,
        np.clip(d[:, :24], 0, 255),
        np.full(len(d), -1),
        {"joy_lateral": d[:, 29], "joy_forward": d[:, 30]},
    )


def technion(path: Path) -> list[Labelled]:
    """Technion: one 4-s average per posture and session; expanded to 60 s per posture at 1 Hz
    so dwell times apply (each posture is held, as in the sessions)."""
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    out = []
    lay = load("technion-5")
    sessions = [rows[i : i + 6] for i in range(0, len(rows), 6)]
    for k, sess in enumerate(sessions):
        vals, labels = [], []
        base = [float(sess[0][f"b{i}"]) for i in range(1, 6)]
        for r in [None, *sess]:
            v = base if r is None else [float(r[f"s{i}"]) for i in range(1, 6)]
            lab = 1 if r is None else int(r["label"])
            for _ in range(60):
                vals.append(v)
                labels.append(lab)
        out.append(
            Labelled(
                f"technion/{k + 1:02d}",
                "technion",
                lay,
                np.arange(len(vals), dtype=float),
                np.array(vals),
                np.array(labels),
                {},
            )
        )
    return out
