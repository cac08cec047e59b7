"""Adapters for the public chair recordings in ``shared/datasets`` (for replay and evaluation).

Each adapter turns a dataset file into sitwatch recordings (wire format with a time column and a
header naming the layout) plus per-frame ground truth, without changing the readings. The ground
truth is the dataset's own label codes; its :class:`Classes` say which of them the evaluation
scores as which posture (each dataset's README says what its labels mean).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sitwatch.sensing.layout import Layout, load
from sitwatch.sources.recording import Writer

#: The datasets ``sitwatch eval`` reads, by folder name under ``shared/datasets``, each with
#: the file or folder that must be there for it to be read.
NAMES = {
    "smartchair-ml": "smartchair-ml",
    "ethz-wheelchair": "ethz-wheelchair",
    "technion-smart-chair": "technion-smart-chair/sensor_samples.csv",
    "fsr-cushion-9": "fsr-cushion-9",
    "webcam-landmarks": "webcam-landmarks",
}


def present(folder: Path) -> dict[str, bool]:
    """Which of :data:`NAMES` are in ``folder`` (a ``datasets`` folder)."""
    return {name: (folder / where).exists() for name, where in NAMES.items()}


@dataclass(frozen=True)
class Classes:
    """Which of a dataset's label codes the evaluation scores as which posture. Codes in none of
    these are not scored (a posture a seat cannot see, or one sitwatch has no state for). Every
    dataset puts the empty seat at 0 and sitting upright at 1 (the calibration takes them)."""

    upright: tuple[int, ...]
    slouch: tuple[int, ...]
    lopsided: tuple[int, ...]
    forward: tuple[int, ...] = ()
    recline: tuple[int, ...] = ()
    # Perched on the front of the seat: must not read slouched (a seat-only slump rule's trap).
    perch: tuple[int, ...] = ()
    # Lopsided postures whose side the label names: flagged only when read on that side.
    left: tuple[int, ...] = ()
    right: tuple[int, ...] = ()
    names: tuple[str, ...] = ()  # the label of each code, where the dataset's labels are words


#: SmartChair-ML: 0 empty; 1/2 upright (against / away from the backrest); 3/6 leaning forward;
#: 7 slumped; 4/5/8/9 lopsided (leaning sideways, ankle on knee, legs crossed); 12 reclined;
#: 10/11 (twisted) not scored.
SMARTCHAIR = Classes(
    upright=(1, 2), slouch=(7,), lopsided=(4, 5, 8, 9), forward=(3, 6), recline=(12,)
)

#: fsr-cushion-9's labels, coded by position here (its README's table says what each means).
FSR9_LABELS = (
    "empty",
    "upright",
    "hunched",
    "half_lying",
    "front_third",
    "lean_left",
    "lean_right",
    "left_leg_crossed",
    "right_leg_crossed",
    "cross_legged",
)
#: half lying (pelvis slid forward, back leaning back) is the slump; perching on the front third
#: is not a slump; leans (on their side) and crossed legs (either side) are lopsided; hunched
#: (the upper back, which a seat cannot see) and cross-legged are not scored.
FSR9 = Classes(
    upright=(1,),
    slouch=(3,),
    lopsided=(5, 6, 7, 8),
    perch=(4,),
    left=(5,),
    right=(6,),
    names=FSR9_LABELS,
)
FSR9_HZ = 10.0  # the rate is not recorded: 5-20 rows a second is plausible (README)


@dataclass
class Labelled:
    name: str  # e.g. "smartchair-ml/almir"
    person: str
    layout: Layout
    t: np.ndarray  # seconds
    values: np.ndarray  # frames x channels
    label: np.ndarray  # dataset's own label per frame (int); -1 when unlabelled
    extra: dict[str, np.ndarray]
    classes: Classes = field(default=SMARTCHAIR)

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


def fsr_cushion(path: Path, hz: float = FSR9_HZ) -> Labelled:
    """fsr-cushion-9: one sitter, 9 FSRs under a seat-only cushion, ``label`` words (coded as in
    :data:`FSR9_LABELS`). The readings fall as the load rises; the layout says so and the
    pipeline turns them into loads, so they are kept here as recorded. The sampling rate was not
    recorded: the rows are taken as ``hz`` a second."""
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    code = {name: i for i, name in enumerate(FSR9_LABELS)}
    try:
        labels = np.array([code[r["label"]] for r in rows], dtype=int)
    except KeyError as e:
        raise ValueError(f"{path}: unknown label {e.args[0]!r}") from None
    lay = load("fsr-cushion-9")
    vals = np.array([[float(r[c.label]) for c in lay.channels] for r in rows], dtype=float)
    return Labelled(
        f"fsr-cushion-9/{path.stem}",
        path.stem,
        lay,
        np.arange(len(rows)) / hz,
        vals,
        labels,
        {},
        FSR9,
    )
