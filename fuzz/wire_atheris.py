"""Coverage-guided fuzzing of the wire parser (sensing/wire.py) with atheris: ``make fuzz``.

The hypothesis properties in tests/fuzz/ run on every test run with a fixed budget; this runs
the same contract for as long as you let it, steered by coverage: every line the cushion sends
either becomes a frame that is finite, non-negative and within full scale, or is counted as a
comment or a drop; the parser never raises. Each input is split into lines and fed to parsers
for a few channel counts (with and without a time column, as text and as bytes), then to the
recording reader as a file.

    make fuzz                         # 10 minutes, new inputs kept in build/fuzz-corpus/wire
    make fuzz FUZZ_SECONDS=3600
    .venv/bin/python fuzz/wire_atheris.py -runs=100000 build/fuzz-corpus/wire fuzz/seeds/wire

(libFuzzer writes new inputs into the first folder: keep fuzz/seeds/wire second.)

atheris is not needed by the test suite; ``make fuzz`` installs it. It ships wheels for CPython
3.11 on x86-64 Linux (no compiler needed); elsewhere (a Raspberry Pi) pip builds it, which needs
clang: ``apt-get install clang``.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports():
    import numpy as np

    from sitwatch.sensing import layout
    from sitwatch.sensing.wire import LineParser
    from sitwatch.sources import recording

COUNTS = (1, 4, 12, 150, 256)
SMARTCHAIR = layout.load("smartchair-12")
_TMP = Path(tempfile.mkdtemp(prefix="sitwatch-fuzz-")) / "input.rec"


def _check(p: object, n: int, full_scale: float) -> None:
    if p is None:
        return
    values = p.values  # type: ignore[attr-defined]
    ts = p.timestamp  # type: ignore[attr-defined]
    assert values.shape == (n,), values.shape
    assert np.isfinite(values).all() and (values >= 0).all() and (values <= full_scale).all()
    assert ts is None or np.isfinite(ts)


def test_one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    n = COUNTS[fdp.ConsumeIntInRange(0, len(COUNTS) - 1)]
    full_scale = float(fdp.ConsumeIntInRange(1, 70000))
    as_text = fdp.ConsumeBool()
    body = fdp.ConsumeBytes(fdp.remaining_bytes())
    parser = LineParser(n, full_scale, time_unit="ms" if len(body) % 2 else "s")
    lines = body.split(b"\n")
    for line in lines:
        _check(parser.feed(line.decode("utf-8", "replace") if as_text else line), n, full_scale)
    st = parser.stats
    assert st.frames + st.dropped_total + st.comments <= len(lines)
    assert isinstance(parser.diagnose(len(body)), str)
    _check(parser.feed_bytes_frame(body[:n]), n, full_scale)
    # the same bytes as a recording file: only RecordingError may come out
    _TMP.write_bytes(body)
    try:
        last = -np.inf
        for t, values in recording.frames(_TMP, SMARTCHAIR, hz=None):
            assert t >= last and np.isfinite(t) and values.shape == (12,)
            last = t
    except recording.RecordingError as e:
        assert str(_TMP) in str(e)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
