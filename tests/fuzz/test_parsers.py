"""Every parser of a file sitwatch reads either parses it or raises its own documented error,
whose message names the file and the line or key (issue #15: parsers fuzzed).

A fixed, derandomized budget per parser (tests/fuzz/strategies.py) keeps CI deterministic;
``SITWATCH_FUZZ_EXAMPLES=5000`` runs the same properties longer. The atheris target for the
wire parser is ``fuzz/wire_atheris.py`` (``make fuzz``).
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sitwatch.camera import landmarks as LM
from sitwatch.config import ConfigError
from sitwatch.core.clock import ManualClock
from sitwatch.nudging import control
from sitwatch.runtime.status import format_status, read_status
from sitwatch.sensing import calibration, layout
from sitwatch.sensing.wire import LineParser
from sitwatch.sources import recording
from tests.fuzz.strategies import (
    BUDGET,
    JSON_VALUES,
    ODD_SCALARS,
    damaged,
    file_bytes,
    retyped_toml,
)

ROOT = Path(__file__).resolve().parents[2]
LAYOUTS = ROOT / "sitwatch" / "data" / "layouts"
SMARTCHAIR = layout.load("smartchair-12")


@pytest.fixture(scope="module")
def spot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One file path reused by every example (hypothesis runs many examples per test)."""
    yield tmp_path_factory.mktemp("fuzz") / "input"


def _names_file(msg: str, path: Path) -> None:
    assert str(path) in msg, f"the error does not name the file: {msg!r}"
    assert len(msg) > len(str(path)) + 5, f"the error says nothing about the problem: {msg!r}"


# -- wire ------------------------------------------------------------------------------------

@BUDGET
@given(st.lists(st.binary(max_size=200) | st.text(max_size=200), max_size=30),
       st.sampled_from([1, 4, 12, 24, 256]))
def test_wire_parser_never_raises(lines: list[bytes | str], n: int) -> None:
    parser = LineParser(n, 4095)
    for line in lines:
        p = parser.feed(line)
        if p is not None:
            assert p.values.shape == (n,)
            assert np.isfinite(p.values).all() and (p.values >= 0).all()
            assert (p.values <= 4095).all()
            assert p.timestamp is None or np.isfinite(p.timestamp)
    assert parser.stats.frames + parser.stats.dropped_total + parser.stats.comments <= len(lines)
    parser.diagnose(sum(len(x) for x in lines))


# -- recordings ------------------------------------------------------------------------------

RECORDING = (
    b"# sitwatch-recording v1 layout=smartchair-12 hz=2\n"
    + b"".join(f"{i / 2:.3f},".encode() + b",".join(b"%d" % (100 + i + c) for c in range(12))
               + b"\n" for i in range(20))
)
CSV_RECORDING = (b"t," + b",".join(c.label.encode() for c in SMARTCHAIR.channels) + b",pose\n"
                 + b"".join(f"{i / 2},".encode() + b",".join(b"%d" % (100 + c) for c in range(12))
                            + b",upright\n" for i in range(20)))


@BUDGET
@given(file_bytes(RECORDING) | damaged(CSV_RECORDING))
def test_recording_reader(spot: Path, data: bytes) -> None:
    spot.write_bytes(data)
    try:
        recording.read_header(spot)
        last = -np.inf
        for t, values in recording.frames(spot, SMARTCHAIR, hz=None):
            assert t >= last and np.isfinite(t)
            assert values.shape == (12,) and np.isfinite(values).all()
            last = t
    except recording.RecordingError as e:
        _names_file(str(e), spot)


# -- landmarks -------------------------------------------------------------------------------

_LM_ROW = [[0.5, 0.4, -0.1, 0.99]] * LM.N_LANDMARKS
LANDMARKS = ("\n".join(
    [json.dumps({"sitwatch": "landmarks", "version": 1, "mirrored": False})]
    + [json.dumps({"t": i * 0.5, "landmarks": _LM_ROW, "label": 1, "aspect": 1.33})
       for i in range(6)]) + "\n").encode()
LANDMARK_CSV = ("label," + ",".join(f"{a}{i}" for i in range(33) for a in "xyzv") + "\n"
                + "".join("1," + ",".join(["0.5"] * 132) + "\n" for _ in range(4))).encode()


@st.composite
def landmark_rows(draw: st.DrawFn) -> bytes:
    """Well-formed JSON lines whose values have odd types (``"label": {}``, ``"aspect":
    "wide"``, a label of ``inf`` ...)."""
    rows = []
    for i in range(draw(st.integers(1, 4))):
        row: dict[str, object] = {"t": i, "landmarks": _LM_ROW}
        key = draw(st.sampled_from(["t", "landmarks", "label", "aspect", "mirrored"]))
        value = draw(JSON_VALUES | st.lists(st.lists(ODD_SCALARS, min_size=4, max_size=4),
                                            min_size=33, max_size=33))
        if key == "mirrored":
            rows.append(json.dumps({"sitwatch": "landmarks", "mirrored": value}))
        row[key] = value
        rows.append(json.dumps(row))
    return ("\n".join(rows) + "\n").encode()


def _read_landmarks(path: Path) -> None:
    for fr in LM.read(path):
        assert np.isfinite(fr.t)
        assert fr.landmarks is None or (fr.landmarks.shape == (33, 4)
                                        and np.isfinite(fr.landmarks).all())
        assert fr.label is None or isinstance(fr.label, int)
        assert np.isfinite(fr.aspect) and fr.aspect > 0


@BUDGET
@given(file_bytes(LANDMARKS) | damaged(LANDMARK_CSV) | landmark_rows())
def test_landmark_reader(spot: Path, data: bytes) -> None:
    spot.write_bytes(data)
    try:
        _read_landmarks(spot)
    except LM.LandmarkFileError as e:
        _names_file(str(e), spot)


@pytest.mark.parametrize("row, says", [
    ({"t": 0, "landmarks": _LM_ROW, "label": {}}, '"label" is not a number'),
    ({"t": 0, "landmarks": _LM_ROW, "aspect": "wide"}, '"aspect" is not a number'),
    ({"t": 0, "landmarks": _LM_ROW, "label": float("inf")}, '"label" = inf is not a finite'),
    ({"t": float("nan"), "landmarks": _LM_ROW}, '"t" = nan is not a finite'),
    ({"t": 0, "landmarks": _LM_ROW, "label": 1.5}, "not a whole number"),
])
def test_landmark_values_of_the_wrong_type_name_line_and_key(tmp_path: Path, row: dict[str, object],
                                                             says: str) -> None:
    """The issue's examples: TypeError, ValueError and OverflowError escaped before."""
    p = tmp_path / "poses.jsonl"
    good = json.dumps({"t": 0, "landmarks": _LM_ROW})
    p.write_text(good + "\n" + good + "\n" + json.dumps(row) + "\n")
    with pytest.raises(LM.LandmarkFileError, match=re.escape(f"{p}:3: ") + ".*" + re.escape(says)):
        list(LM.read(p))


def test_landmark_file_damaged_after_the_first_block_names_the_line(tmp_path: Path) -> None:
    """Binary damage past the first read block was a UnicodeDecodeError (line 87 in the issue)."""
    p = tmp_path / "poses.jsonl"
    p.write_bytes(b"".join(json.dumps({"t": i, "landmarks": _LM_ROW}).encode() + b"\n"
                           for i in range(86)) + b"\xff\xfe\x00garbage\n")
    with pytest.raises(LM.LandmarkFileError, match=re.escape(f"{p}:87: not UTF-8")):
        list(LM.read(p))


# -- layouts ---------------------------------------------------------------------------------

LAYOUT_TEXTS = {p.name: p.read_text() for p in sorted(LAYOUTS.glob("*.toml"))}
_SMALL = LAYOUT_TEXTS["load-cells-4.toml"]


@BUDGET
@given(st.sampled_from(sorted(LAYOUT_TEXTS)).flatmap(
    lambda name: retyped_toml(LAYOUT_TEXTS[name]) | damaged(LAYOUT_TEXTS[name].encode()))
    | file_bytes(_SMALL.encode()))
def test_layout_file(spot: Path, data: bytes) -> None:
    path = spot.with_suffix(".toml")
    path.write_bytes(data)
    try:
        lay = layout.load(path)
    except layout.LayoutError as e:
        _names_file(str(e), path)
        return
    assert lay.n >= 1 and np.isfinite(lay.full_scale) and lay.full_scale > 0
    assert np.isfinite(lay.x).all() and np.isfinite(lay.y).all()


@pytest.mark.parametrize("value", ['"high"', "[1, 2]", "{ a = 1 }", "inf", "nan", "true"])
def test_layout_full_scale_of_the_wrong_type_names_the_key(tmp_path: Path, value: str) -> None:
    path = tmp_path / "chair.toml"
    path.write_text(_SMALL.replace("full_scale = ", f"full_scale = {value}\n# was ", 1)
                    if "full_scale = " in _SMALL else f"full_scale = {value}\n" + _SMALL)
    with pytest.raises(layout.LayoutError, match=re.escape(f"{path}: full_scale = ")):
        layout.load(path)


# -- config ----------------------------------------------------------------------------------

SAMPLE_CONFIG = (ROOT / "config" / "sitwatch.toml").read_text()
_CONFIG_SETTINGS = "\n".join(
    ln.lstrip("# ") if re.match(r"#\s*\w+ = ", ln) else ln for ln in SAMPLE_CONFIG.splitlines())


@BUDGET
@given(retyped_toml(_CONFIG_SETTINGS) | file_bytes(SAMPLE_CONFIG.encode()))
def test_config_file(spot: Path, data: bytes) -> None:
    from sitwatch.cli.common import load_config

    path = spot.with_suffix(".toml")
    path.write_bytes(data)
    try:
        load_config(argparse.Namespace(config=str(path)))
    except ConfigError as e:
        assert e.problems
        for line in e.problems:
            assert line.startswith(str(path)), f"a problem line does not name the file: {line!r}"


# -- calibration profiles --------------------------------------------------------------------

PROFILE = (ROOT / "calibration" / "example-smartchair-12.json").read_bytes()


@st.composite
def retyped_profile(draw: st.DrawFn) -> bytes:
    d = json.loads(PROFILE)
    key = draw(st.sampled_from([*sorted(d), "extra"]))
    d[key] = draw(JSON_VALUES)
    return json.dumps(d).encode()


@BUDGET
@given(file_bytes(PROFILE) | retyped_profile())
def test_calibration_profile(spot: Path, data: bytes) -> None:
    path = spot.with_suffix(".json")
    path.write_bytes(data)
    try:
        prof = calibration.load(path)
        prof.check_layout(SMARTCHAIR, path)
    except calibration.CalibrationError as e:
        for line in str(e).splitlines():
            _names_file(line, path)


# -- the control file and the status file ----------------------------------------------------

CONTROL = b'{"snoozed_until": "2026-01-05T10:00:00+00:00", "paused_until": "forever"}\n'


@st.composite
def retyped_json(draw: st.DrawFn, original: bytes) -> bytes:
    d = json.loads(original)
    d[draw(st.sampled_from(sorted(d)))] = draw(JSON_VALUES)
    return json.dumps(d).encode()


@BUDGET
@given(file_bytes(CONTROL) | retyped_json(CONTROL) | st.just(b"[" * 5000))
def test_control_file_never_raises(spot: Path, data: bytes) -> None:
    """The control file is the commands' note to the daemon: unreadable means no snooze."""
    spot.write_bytes(data)
    c = control.read(spot)
    now = ManualClock().now()
    c.snoozed(now), c.paused(now), c.as_dict()


STATUS = json.dumps({
    "pid": 1, "started": "2026-01-05T09:00:00+00:00", "updated": "2026-01-05T09:00:05+00:00",
    "occupancy": "occupied", "spell_seconds": 600, "sit_limit": 3000, "posture": "upright",
    "balance": "centered", "paused": None, "snoozed": None,
    "sensor": {"online": True, "rate": 2.0, "dropped": 0, "port": "/dev/ttyACM0"},
    "calibration": {"method": "auto", "age": 60}, "nudges": {},
}).encode()


@BUDGET
@given(file_bytes(STATUS) | retyped_json(STATUS) | st.just(b"[" * 5000))
def test_status_file_read_never_raises(spot: Path, data: bytes) -> None:
    """`sitwatch status` reads the daemon's file: a damaged one is reported, not a traceback."""
    spot.write_bytes(data)
    d = read_status(spot, ManualClock())
    assert isinstance(format_status(d), str)


@pytest.mark.parametrize("data, says", [
    ("[cushion]\n# caf\u00e9 au lait\nport = \"/dev/ttyACM0\"\n".encode("latin-1"),
     ": line 2: not UTF-8 text"),
    (b"x = " + b"[" * 2000 + b"\n", ": not valid TOML"),
])
def test_config_latin1_and_deep_nesting_through_the_command(tmp_path: Path, data: bytes,
                                                             says: str) -> None:
    """The issue's two config crashes (UnicodeDecodeError, RecursionError), through `sitwatch
    config validate` and `sitwatch run`: one line naming the file, exit 2, no traceback."""
    import subprocess
    import sys

    path = tmp_path / "sitwatch.toml"
    path.write_bytes(data)
    for argv in (["config", "validate", "--config", str(path)],
                 ["run", "--config", str(path), "--port", str(tmp_path / "none")]):
        proc = subprocess.run([sys.executable, "-m", "sitwatch", *argv], capture_output=True,
                              text=True, timeout=60)
        assert "Traceback" not in proc.stderr
        assert proc.returncode == 2, proc.stderr
        assert f"{path}{says}" in proc.stderr
