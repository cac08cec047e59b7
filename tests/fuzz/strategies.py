"""Inputs for the parser fuzz tests: damaged copies of real files, random bytes, and
well-formed documents whose values have the wrong types.

Damage is what an SD card, a half-finished copy or a text editor leaves: bytes flipped,
inserted, deleted or cut off, lines doubled or dropped, a Latin-1 comment. Every strategy draws
from a fixed budget (``BUDGET``) and derandomized, so CI sees the same inputs on every run;
``SITWATCH_FUZZ_EXAMPLES`` raises the count for a longer local run.
"""

from __future__ import annotations

import json
import math
import os
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

BUDGET = settings(
    max_examples=int(os.environ.get("SITWATCH_FUZZ_EXAMPLES", "150")),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.filter_too_much],
)

#: awkward scalars: what a hand-edited or damaged file holds instead of the right value
ODD_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([0, -1, 2**63, -(2**63), 10**400, 1e308, -1e308]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["", "inf", "-inf", "nan", "NaN", "1e999", "wide", "high", "0x10", "１"]),
)

JSON_VALUES = st.recursive(
    ODD_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner,
                                                               max_size=4),
    max_leaves=12,
)


@st.composite
def damaged(draw: st.DrawFn, original: bytes) -> bytes:
    """``original`` with a few random edits, the way files get damaged."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "dup_line",
                                   "drop_line", "latin1", "nul", "nest"]))
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        if op == "flip" and data:
            data[pos] = draw(st.integers(0, 255))
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=16))
        elif op == "delete":
            del data[pos : pos + draw(st.integers(1, 64))]
        elif op == "truncate":
            del data[pos:]
        elif op in ("dup_line", "drop_line"):
            lines = bytes(data).split(b"\n")
            i = draw(st.integers(0, max(0, len(lines) - 1)))
            if op == "dup_line":
                lines.insert(i, lines[i])
            else:
                del lines[i]
            data = bytearray(b"\n".join(lines))
        elif op == "latin1":
            data[pos:pos] = "# café crème\n".encode("latin-1")
        elif op == "nul":
            data[pos:pos] = b"\x00" * draw(st.integers(1, 512))
        elif op == "nest":
            data[pos:pos] = b"[" * draw(st.sampled_from([5, 2000, 20000]))
    return bytes(data)


def file_bytes(original: bytes) -> st.SearchStrategy[bytes]:
    """Random bytes, random text and damaged copies of ``original``, in one strategy."""
    return st.one_of(
        st.binary(max_size=2000),
        st.text(max_size=400).map(lambda s: s.encode("utf-8", "surrogatepass")),
        damaged(original),
        damaged(original),
    )


def toml_value(v: Any) -> str:
    """A Python value as a TOML value (inline), as far as TOML can hold it."""
    if v is None:
        return '""'
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(max(min(v, 2**63 - 1), -(2**63)))
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(type(v))


@st.composite
def retyped_toml(draw: st.DrawFn, original: str) -> bytes:
    """``original`` TOML with one ``key = value`` line's value replaced by an odd one."""
    lines = original.splitlines()
    keyed = [i for i, ln in enumerate(lines) if "=" in ln and not ln.lstrip().startswith("#")]
    if not keyed:
        return original.encode()
    i = draw(st.sampled_from(keyed))
    key = lines[i].split("=", 1)[0]
    lines[i] = f"{key}= {toml_value(draw(JSON_VALUES))}"
    return ("\n".join(lines) + "\n").encode()
