"""Landmark files: the derived numbers a camera run may keep (never pictures).

Two layouts are read:

- **JSON lines** (sitwatch's own, written by :class:`Writer`): one object per pose sample,
  ``{"t": seconds, "landmarks": [[x, y, z, visibility] x 33]}``; ``"landmarks": null`` (or
  ``[]``) records a look that found nobody. Optional keys: ``"label"`` (an int, for evaluation),
  ``"aspect"`` (frame width / height), and a first line ``{"sitwatch": "landmarks",
  "mirrored": true}`` for files made from mirrored pictures.
- **the dataset CSV** of ``../shared/datasets/webcam-landmarks``: a ``label`` column then
  ``x0, y0, z0, v0 ... x32, y32, z32, v32``, no time column (rows are taken ``period`` seconds
  apart) and made from **mirrored** pictures, which :func:`unmirror` undoes.

Coordinates are MediaPipe's: x and y normalised to the frame (0..1, y down), z relative depth.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

N_LANDMARKS = 33

# MediaPipe pose landmark indices used by the features.
NOSE = 0
LEFT_EYE_INNER, LEFT_EYE, LEFT_EYE_OUTER = 1, 2, 3
RIGHT_EYE_INNER, RIGHT_EYE, RIGHT_EYE_OUTER = 4, 5, 6
LEFT_EAR, RIGHT_EAR = 7, 8
MOUTH_LEFT, MOUTH_RIGHT = 9, 10
LEFT_SHOULDER, RIGHT_SHOULDER = 11, 12
LEFT_HIP, RIGHT_HIP = 23, 24

# (left, right) pairs: swapped when a mirrored picture is turned back.
_PAIRS = [(1, 4), (2, 5), (3, 6), (7, 8), (9, 10)] + [(i, i + 1) for i in range(11, 33, 2)]
_SWAP = np.arange(N_LANDMARKS)
for _a, _b in _PAIRS:
    _SWAP[_a], _SWAP[_b] = _b, _a


class LandmarkFileError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class LandmarkFrame:
    """One pose sample: time (s), 33x4 landmarks or None (nobody found), optional label."""

    t: float
    landmarks: np.ndarray | None
    label: int | None = None
    aspect: float = 1.0


def unmirror(lm: np.ndarray) -> np.ndarray:
    """Landmarks of a mirrored picture as the camera saw them: x -> 1 - x and the person's
    left and right swapped back (MediaPipe names sides as it sees them in the picture)."""
    out = np.array(lm, dtype=float, copy=True)[_SWAP]
    out[:, 0] = 1.0 - out[:, 0]
    return out


def _as_landmarks(value: Any, where: str) -> np.ndarray | None:
    if value is None or (isinstance(value, list) and len(value) == 0):
        return None
    try:
        a = np.asarray(value, dtype=float)
    except (TypeError, ValueError, OverflowError, RecursionError):
        raise LandmarkFileError(f"{where}: landmarks are not numbers") from None
    if a.shape == (N_LANDMARKS, 3):
        a = np.concatenate([a, np.ones((N_LANDMARKS, 1))], axis=1)
    if a.shape != (N_LANDMARKS, 4):
        raise LandmarkFileError(f"{where}: expected 33 landmarks of [x, y, z, visibility], "
                                f"got an array of shape {a.shape}")
    if not np.isfinite(a).all():
        raise LandmarkFileError(f"{where}: landmarks must be finite numbers (NaN or infinity "
                                "found)")
    return a


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, text) of a file read as UTF-8; a line that is not names its number."""
    with Path(path).open("rb") as f:
        for n, raw in enumerate(f, 1):
            try:
                yield n, raw.decode("utf-8")
            except UnicodeDecodeError:
                raise LandmarkFileError(
                    f"{path}:{n}: not UTF-8 text (binary data or a damaged file)"
                ) from None


def _number(d: dict[str, Any], key: str, where: str, default: float | None = None) -> float:
    """``d[key]`` as a finite float, or a LandmarkFileError naming the line and the key."""
    v = d.get(key, default)
    if isinstance(v, bool) or not isinstance(v, (int, float, str)):
        raise LandmarkFileError(f"{where}: \"{key}\" is not a number (got {v!r:.40})")
    try:
        f = float(v)
    except ValueError:
        raise LandmarkFileError(f"{where}: \"{key}\" is not a number (got {v!r:.40})") from None
    except OverflowError:
        raise LandmarkFileError(f"{where}: \"{key}\" is far too large (got {v!r:.40})") from None
    if not np.isfinite(f):
        raise LandmarkFileError(f"{where}: \"{key}\" = {v!r:.40} is not a finite number")
    return f


def _label(v: Any, where: str) -> int | None:
    """An optional whole-number label."""
    if v is None:
        return None
    f = _number({"label": v}, "label", where)
    if f != int(f):
        raise LandmarkFileError(f"{where}: \"label\" = {v!r:.40} is not a whole number")
    return int(f)


def read_jsonl(path: Path) -> Iterator[LandmarkFrame]:
    mirrored = False
    last_t = -np.inf
    for n, line in _lines(path):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{path}:{n}"
        try:
            d = json.loads(line)
        except json.JSONDecodeError as e:
            raise LandmarkFileError(f"{where}: not JSON ({e.msg})") from None
        except RecursionError:
            raise LandmarkFileError(f"{where}: not JSON (nested too deeply)") from None
        if not isinstance(d, dict):
            raise LandmarkFileError(f"{where}: expected an object")
        if "sitwatch" in d:
            mirrored = bool(d.get("mirrored", False))
            continue
        if "t" not in d or "landmarks" not in d:
            raise LandmarkFileError(f"{where}: needs \"t\" and \"landmarks\"")
        t = _number(d, "t", where)
        if t < last_t:
            raise LandmarkFileError(f"{where}: time goes backwards ({t} < {last_t})")
        last_t = t
        lm = _as_landmarks(d["landmarks"], where)
        if lm is not None and mirrored:
            lm = unmirror(lm)
        aspect = _number(d, "aspect", where, 1.0)
        if aspect <= 0:
            raise LandmarkFileError(f"{where}: \"aspect\" = {aspect:g} must be above 0 "
                                    "(frame width / height)")
        yield LandmarkFrame(t, lm, _label(d.get("label"), where), aspect)


def read_csv(path: Path, period: float = 0.5, mirrored: bool = True) -> Iterator[LandmarkFrame]:
    """The webcam-landmarks dataset layout; row ``i`` is at ``i * period`` seconds."""
    r = csv.reader(line for _, line in _lines(path))
    try:
        header = next(r)
    except StopIteration:
        return
    except csv.Error as e:
        raise LandmarkFileError(f"{path}:1: not CSV ({e})") from None
    if len(header) < 1 + 4 * N_LANDMARKS or header[1] != "x0":
        raise LandmarkFileError(f"{path}: not the landmark CSV layout "
                                "(label, x0, y0, z0, v0, ..., v32)")
    has_label = header[0] == "label"
    i = 0
    while True:
        try:
            row = next(r)
        except StopIteration:
            return
        except csv.Error as e:
            raise LandmarkFileError(f"{path}:{r.line_num}: not CSV ({e})") from None
        where = f"{path}:{r.line_num}"
        if not row:
            continue
        try:
            vals = np.asarray(row[1:1 + 4 * N_LANDMARKS], dtype=float)
        except ValueError:
            raise LandmarkFileError(f"{where}: not numbers") from None
        label = _label(row[0], where) if has_label else None
        if vals.size != 4 * N_LANDMARKS:
            raise LandmarkFileError(f"{where}: {vals.size} values, expected 132")
        if not np.isfinite(vals).all():
            raise LandmarkFileError(f"{where}: landmarks must be finite numbers")
        lm = vals.reshape(N_LANDMARKS, 4)
        yield LandmarkFrame(i * period, unmirror(lm) if mirrored else lm, label)
        i += 1


def is_landmark_file(path: Path) -> bool:
    p = Path(path)
    if p.suffix.lower() in (".jsonl", ".ndjson"):
        return True
    if p.suffix.lower() in (".csv", ".json"):
        try:
            with p.open(encoding="utf-8") as f:
                head = f.read(200)
        except (OSError, UnicodeDecodeError):
            return False
        return head.startswith(("label,x0", "x0,", "{"))
    return False


def read(path: Path, *, period: float = 0.5) -> Iterator[LandmarkFrame]:
    """Either layout, by its first characters. Any problem with the file raises
    :class:`LandmarkFileError` naming the file (and the line, when it is one line's)."""
    p = Path(path)
    try:
        with p.open("rb") as f:
            head = f.read(20).decode("utf-8", "replace").lstrip()
    except FileNotFoundError:
        raise LandmarkFileError(f"{p}: no such file") from None
    except IsADirectoryError:
        raise LandmarkFileError(f"{p}: is a folder, not a landmark file") from None
    except OSError as e:
        raise LandmarkFileError(f"{p}: cannot read: {e.strerror or e}") from None
    if head.startswith("{") or head.startswith("#"):
        return read_jsonl(p)
    return read_csv(p, period)


def label_runs(labels: list[int | None] | np.ndarray) -> list[tuple[int | None, int, int]]:
    """(label, first index, end index) of each run of equal labels."""
    out: list[tuple[int | None, int, int]] = []
    start = 0
    labs = list(labels)
    for i in range(1, len(labs) + 1):
        if i == len(labs) or labs[i] != labs[start]:
            out.append((labs[start], start, i))
            start = i
    return out


class Writer:
    """Writes landmark JSON lines: only numbers, rounded to what the features can use."""

    def __init__(self, f: IO[str], *, digits: int = 4) -> None:
        self.f = f
        self.digits = digits
        f.write(json.dumps({"sitwatch": "landmarks", "version": 1, "mirrored": False}) + "\n")

    def write(self, t: float, landmarks: np.ndarray | None, *, label: int | None = None,
              aspect: float | None = None) -> None:
        d: dict[str, Any] = {"t": round(float(t), 3)}
        d["landmarks"] = (None if landmarks is None else
                          np.round(np.asarray(landmarks, dtype=float), self.digits).tolist())
        if label is not None:
            d["label"] = int(label)
        if aspect is not None:
            d["aspect"] = round(float(aspect), 4)
        self.f.write(json.dumps(d, separators=(",", ":")) + "\n")
