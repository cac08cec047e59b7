"""Adapters for the public chair recordings in ``shared/datasets`` (for replay and evaluation).

Each adapter turns a dataset file into sitwatch recordings (wire format with a time column and a
header naming the layout) plus per-frame ground truth, without changing the readings. The ground
truth is the dataset's own label codes; its :class:`Classes` say which of them the evaluation
scores as which posture (each dataset's README says what its labels mean).
"""

from __future__ import annotations

import csv
import warnings
from collections.abc import Callable
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


#: The columns each folder's reader needs in a file's header (webcam-landmarks: in this order).
SMARTCHAIR_COLUMNS = (*(f"p{i:02d}" for i in range(12)), "pose")
FSR9_COLUMNS = ("label", *(f"fsr{i}" for i in range(1, 10)))
WEBCAM_COLUMNS = ("label", *(f"{c}{i}" for i in range(33) for c in "xyzv"))
WEBCAM_DEV_FILE = "dev_runs_01-16.csv"  # runs 1-16, the ones the camera rules were built on


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


def person_of(path: Path) -> str:
    """Whose recording a smartchair-ml file is: its name after the last "_"
    (``scripted_almir.csv``, ``free_use_almir.csv``: almir)."""
    return path.stem.split("_")[-1]


def smartchair(path: Path, name: str | None = None) -> Labelled:
    """SmartChair-ML: p00..p11 at 2 Hz, ``pose`` label (0 empty, 1/2 upright, 7 slumped...),
    the columns found by name. ``name``: the recording's name (default
    ``smartchair-ml/<person>``, as the scripted people are named)."""
    with path.open(encoding="utf-8-sig") as f:
        header = [c.strip() for c in next(csv.reader(f), [])]
    d = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2,
                   usecols=[header.index(c) for c in SMARTCHAIR_COLUMNS])
    person = person_of(path)
    return Labelled(
        name or f"smartchair-ml/{person}",
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


# -- which files of each folder are read --------------------------------------------------------

#: What a webcam file's runs need for the held-out protocol: an upright run for a baseline.
WEBCAM_UPRIGHT = 0


@dataclass
class Found:
    """The recordings ``sitwatch eval`` reads in the folders whose files it scans (smartchair-ml,
    fsr-cushion-9, webcam-landmarks): every ``*.csv`` whose header has the columns the folder's
    reader needs and whose rows that reader takes. ``said``: one line per file, read (and in
    which role) or skipped (and why), for stderr."""

    scripted: list[Path] = field(default_factory=list)  # smartchair-ml people (lopo)
    chair_other: list[Path] = field(default_factory=list)  # other smartchair-ml recordings
    fsr: list[Path] = field(default_factory=list)
    webcam: list[Path] = field(default_factory=list)
    said: list[str] = field(default_factory=list)


def _header(path: Path) -> list[str] | str:
    """The file's header cells, or why there are none (empty, unreadable)."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            header = next(csv.reader(f), None)
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        return f"unreadable ({getattr(e, 'strerror', None) or e})"
    if not header or not any(c.strip() for c in header):
        return "empty"
    return [c.strip() for c in header]


def _lacks(header: list[str], needs: tuple[str, ...], ordered: bool = False) -> str | None:
    """Why ``header`` is not this folder's columns, or None when it is."""
    if ordered and tuple(header[: len(needs)]) == needs:
        return None
    missing = [c for c in needs if c not in header]
    if not ordered and not missing:
        return None
    want = f"{needs[0]}, {needs[1]}, ... {needs[-1]}" if len(needs) > 4 else ", ".join(needs)
    if not missing:
        return f"unknown columns (this folder's files start {want}, in that order)"
    lack = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
    return f"unknown columns (no {lack}; this folder's files have {want})"


def _webcam_check(path: Path) -> str | None:
    """Why a landmark file with the right header cannot be scored, or None."""
    from sitwatch.camera import landmarks as LM

    labels = [f.label for f in LM.read_csv(path)]
    if not labels:
        return "empty (a header and no rows)"
    if WEBCAM_UPRIGHT not in labels:
        return "no upright run (label 0) to take a baseline from"
    return None


def _try(read: Callable[[Path], object], path: Path) -> str | None:
    """None when ``read`` takes the file; else why not, in a few words (``read`` may say why
    itself, as a string)."""
    try:
        with warnings.catch_warnings():  # numpy's "no data": said as "empty" below
            warnings.simplefilter("ignore")
            got = read(path)
    except (OSError, UnicodeDecodeError) as e:
        return f"unreadable ({getattr(e, 'strerror', None) or e})"
    except (ValueError, IndexError, KeyError, csv.Error) as e:
        msg = str(e).replace(f"{path}: ", "").replace(f"{path}", path.name)
        return f"unreadable ({msg[:120]})"
    if isinstance(got, Labelled) and len(got.t) == 0:
        return "empty (a header and no rows)"
    return got if isinstance(got, str) else None


#: Per scanned folder: the columns its reader needs (in that order?) and the reader, which
#: takes a file or raises (or returns why not, as a string).
SCANNED: dict[str, tuple[tuple[str, ...], bool, Callable[[Path], object]]] = {
    "smartchair-ml": (SMARTCHAIR_COLUMNS, False, smartchair),
    "fsr-cushion-9": (FSR9_COLUMNS, False, fsr_cushion),
    "webcam-landmarks": (WEBCAM_COLUMNS, True, _webcam_check),
}


def scan(where: Path, name: str) -> list[tuple[Path, str | None]]:
    """Every ``*.csv`` in ``where`` (the folder of dataset ``name``), with why it cannot be
    read (None: it can)."""
    needs, ordered, read = SCANNED[name]
    files = sorted(where.glob("*.csv"))
    if name == "webcam-landmarks":  # the dev runs first, as they always were
        files.sort(key=lambda p: p.name != WEBCAM_DEV_FILE)
    out: list[tuple[Path, str | None]] = []
    for path in files:
        header = _header(path)
        why = header if isinstance(header, str) else _lacks(header, needs, ordered)
        out.append((path, why if why is not None else _try(read, path)))
    return out


def find(folder: Path) -> Found:
    """:class:`Found` for a ``datasets`` folder. A file that cannot be read is named with the
    reason and left out; it never stops the rest."""
    out = Found()
    for name in SCANNED:
        where = folder / NAMES[name]
        if not where.is_dir():
            continue
        for path, why in scan(where, name):
            shown = f"{name}/{path.name}"
            if why is not None:
                out.said.append(f"skips {shown}: {why}")
            elif name == "smartchair-ml" and path.name.startswith("scripted_"):
                out.scripted.append(path)
                out.said.append(f"reads {shown} (scripted: {person_of(path)}, one of the people "
                                "of the lopo split)")
            elif name == "smartchair-ml":
                out.chair_other.append(path)
                out.said.append(f"reads {shown} (another recording, scored as its own rows; "
                                f"person \"{person_of(path)}\": the file name after its last "
                                "\"_\")")
            elif name == "fsr-cushion-9":
                out.fsr.append(path)
                out.said.append(f"reads {shown} (session \"{path.stem}\", one fold of the "
                                "leave-one-session-out split)")
            else:
                out.webcam.append(path)
                out.said.append(f"reads {shown}" + (
                    "" if path.name == WEBCAM_DEV_FILE else
                    " (its sessions are not known: its runs are split as one session)"))
    return out

