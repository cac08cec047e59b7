import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sitwatch.sensing import wire
from sitwatch.sensing.wire import LineParser


def p12() -> LineParser:
    return LineParser(12, 4095)


@pytest.mark.parametrize(
    "line",
    [
        "1,2,3,4,5,6,7,8,9,10,11,12",
        "1;2;3;4;5;6;7;8;9;10;11;12",
        "1 2 3 4 5 6 7 8 9 10 11 12",
        "1\t2\t3\t4\t5\t6\t7\t8\t9\t10\t11\t12",
        "DATA:1,2,3,4,5,6,7,8,9,10,11,12",
        "P,1,2,3,4,5,6,7,8,9,10,11,12",
        "  1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 \r\n",
        "1,2,3,4,5,6,7,8,9,10,11,12,",
    ],
)
def test_separators_and_tags(line: str) -> None:
    p = p12().feed(line)
    assert p is not None
    assert p.values.tolist() == list(map(float, range(1, 13)))
    assert p.timestamp is None


def test_bytes_and_timestamp_column() -> None:
    parser = LineParser(4, 1000, time_unit="ms")
    p = parser.feed(b"1500,1,2,3,4\n")
    assert p is not None and p.timestamp == pytest.approx(1.5)
    assert p.values.tolist() == [1, 2, 3, 4]
    parser.feed("# time=s")
    assert parser.feed("2.5,1,2,3,4").timestamp == pytest.approx(2.5)


def test_comments_and_shape_declarations() -> None:
    parser = LineParser(256, 255)
    assert parser.feed("# rows=16 cols=16") is None
    assert parser.declared == 256
    parser.feed("# channels=12")
    assert parser.declared == 12
    assert parser.stats.comments == 2


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("hello world", wire.GARBAGE),
        ("\x00\xff\x13garbage", wire.GARBAGE),
        ("1,2,3", wire.COUNT),
        ("1,2,3,4,5,6,7,8,9,10,11,nan", wire.NAN),
        ("1,2,3,4,5,6,7,8,9,10,11,inf", wire.NAN),
        ("1,2,3,4,5,6,7,8,9,10,11,-1", wire.NEGATIVE),
        ("1,2,3,4,5,6,7,8,9,10,11,5000", wire.RANGE),
        ("1,2,x3,4,5,6,7,8,9,10,11,12", wire.GARBAGE),
        ("9" * 10000, wire.TOO_LONG),
    ],
)
def test_bad_lines_are_dropped_and_counted(line: str, reason: str) -> None:
    parser = p12()
    assert parser.feed(line) is None
    assert parser.stats.dropped[reason] == 1
    assert parser.stats.frames == 0


def test_invalid_utf8_bytes_are_garbage() -> None:
    parser = p12()
    assert parser.feed(b"\xff\xfe\xfd\n") is None
    assert parser.stats.dropped[wire.GARBAGE] == 1


def test_packed_digit_line() -> None:
    parser = LineParser(150, 9)
    p = parser.feed("0123456789" * 15)
    assert p is not None and p.values[:10].tolist() == list(range(10))


def test_binary_frame() -> None:
    parser = LineParser(4, 255)
    assert parser.feed_bytes_frame(bytes([0, 10, 255, 3])).values.tolist() == [0, 10, 255, 3]
    assert parser.feed_bytes_frame(b"\x01\x02") is None
    assert parser.stats.dropped[wire.COUNT] == 1


def test_long_frames_use_the_numpy_checks() -> None:
    parser = LineParser(100, 255)
    assert parser.feed(",".join(["1"] * 99 + ["nan"])) is None
    assert parser.feed(",".join(["1"] * 99 + ["-3"])) is None
    assert parser.feed(",".join(["1"] * 99 + ["256"])) is None
    assert dict(parser.stats.dropped) == {wire.NAN: 1, wire.NEGATIVE: 1, wire.RANGE: 1}
    assert parser.feed(",".join(["7"] * 100)).values.sum() == 700


def test_long_frames_read_as_integers_still_check_range_and_sign() -> None:
    """A matrix line of whole numbers skips the NaN check (integers are finite), a binary
    frame the sign check too (bytes are not negative): what they still drop, and what a
    timestamp that is not a whole number still gets."""
    parser = LineParser(100, 255)
    assert parser.feed(",".join(["-1"] + ["1"] * 99)) is None
    assert parser.feed(",".join(["1"] * 99 + ["300"])) is None
    assert parser.feed(",".join(["1e400"] + ["1"] * 100)) is None  # a timestamp, not finite
    assert parser.feed(",".join(["-nan"] + ["1"] * 100)) is None
    assert dict(parser.stats.dropped) == {wire.NEGATIVE: 1, wire.RANGE: 1, wire.NAN: 2}
    p = parser.feed(",".join(["1500"] + ["2"] * 100))
    assert p is not None and p.timestamp == 1500.0 and p.values.tolist() == [2.0] * 100
    p = parser.feed(",".join(["1.5"] + ["2"] * 100))
    assert p is not None and p.timestamp == 1.5 and p.values.tolist() == [2.0] * 100
    binary = LineParser(4, 200)
    assert binary.feed_bytes_frame(bytes([0, 1, 201, 3])) is None
    assert dict(binary.stats.dropped) == {wire.RANGE: 1}
    assert binary.feed_bytes_frame(bytes([0, 1, 200, 3])).values.tolist() == [0, 1, 200, 3]


@pytest.mark.parametrize(
    ("lines", "seen", "expect"),
    [
        ([], 0, "no data at all"),
        (["1,2,3"] * 5, 30, "wrong layout: got 3 values, layout has 12"),
        (["\x13\x88junk"] * 5, 30, "wrong baud rate?"),
        (["# rows=16 cols=16"], 20, "declares 256 channels"),
        (["1,2,3,4,5,6,7,8,9,10,11,9999"], 30, "full scale"),
    ],
)
def test_diagnosis(lines: list[str], seen: int, expect: str) -> None:
    parser = p12()
    for line in lines:
        parser.feed(line)
    assert expect in parser.diagnose(seen)


@given(st.binary(max_size=300))
def test_parser_never_raises_on_arbitrary_bytes(data: bytes) -> None:
    parser = p12()
    for line in data.split(b"\n"):
        r = parser.feed(line)
        if r is not None:
            assert r.values.shape == (12,)
            assert (
                np.isfinite(r.values).all() and (r.values >= 0).all() and (r.values <= 4095).all()
            )
    st_ = parser.stats
    assert st_.frames + st_.dropped_total + st_.comments <= len(data.split(b"\n"))


@given(st.text(max_size=200))
def test_parser_never_raises_on_arbitrary_text(text: str) -> None:
    parser = p12()
    for line in text.splitlines():
        parser.feed(line)


@given(
    st.lists(st.floats(min_value=0, max_value=4095, allow_nan=False), min_size=12, max_size=12),
    st.sampled_from([",", ";", " ", "\t", ", "]),
    st.sampled_from(["", "DATA:", "P,", "S "]),
)
def test_valid_frames_round_trip(values: list[float], sep: str, tag: str) -> None:
    line = tag + sep.join(repr(v) for v in values)
    p = p12().feed(line)
    assert p is not None
    assert all(math.isclose(a, b) for a, b in zip(p.values, values, strict=True))


def _outcome(p: LineParser, line: str | bytes) -> tuple[object, ...]:
    got = p.feed(line)
    st = p.stats
    vals = None if got is None else (repr(got.values.tolist()), got.timestamp)  # -0.0 too
    return vals, st.frames, dict(st.dropped), st.last_count_seen, st.last_garbage


_EDGE_LINES = [
    "1,2,3,4,5,6,7,8,9,10,11,12",
    "1,2,3,4,5,6,7,8,9,10,11,12\n",
    "1,2,3,4,5,6,7,8,9,10,11,12\r\n",
    "1.5, 2,3 ,4,5,6,7,8,9,10,11,12",
    "1,2,3,4,5,6,7,8,9,10,11,12,",
    "1,,2,3,4,5,6,7,8,9,10,11,12",
    "1 2,3,4,5,6,7,8,9,10,11,12",
    "1;2,3,4,5,6,7,8,9,10,11,12",
    "123.4,1,2,3,4,5,6,7,8,9,10,11,12",
    "-1,2,3,4,5,6,7,8,9,10,11,12",
    "+1,2,3,4,5,6,7,8,9,10,11,nan",
    "1,2,3,4,5,6,7,8,9,10,11,inf",
    "inf,1,2,3,4,5,6,7,8,9,10,11,12",
    "nan,1,2,3,4,5,6,7,8,9,10,11,12",
    "1_0,2,3,4,5,6,7,8,9,10,11,12",
    "-0,2,3,4,5,6,7,8,9,10,11,12",
    "007,2,3,4,5,6,7,8,9,10,11,12\x1c",
    "1e3,2,3,4,5,6,7,8,9,10,11,5000",
    ".5,2,3,4,5,6,7,8,9,10,11,12",
    "1,2,3",
    "111111111111",
    " 1,2,3,4,5,6,7,8,9,10,11,12",
    "#channels=12",
    # whole numbers skip the NaN and sign checks on the quick path: a timestamp column, one
    # over full scale, a huge one and zeros must still come out as the general path has them
    "17,1,2,3,4,5,6,7,8,9,10,11,12",
    "1,2,3,4,5,6,7,8,9,10,11,4096",
    "99999999999999999999,1,2,3,4,5,6,7,8,9,10,11",
    "0,0,0,0,0,0,0,0,0,0,0,0",
    # too large for a float: the quick path's int() raised OverflowError out of the parser
    "1,2,3,4,5,6,7,8,9,10,11," + "9" * 400,
    # a decimal point (a recording's time column, a device that sends decimals) goes straight
    # to float(), not through int() first
    "12.250,1,2,3,4,5,6,7,8,9,10,11,12",
    "1.5,2,3,4,5,6,7,8,9,10,11,12.",
]


@pytest.mark.parametrize("line", _EDGE_LINES)
def test_bytes_take_the_same_way_as_text(line: str) -> None:
    """Bytes from a port have a quick path; it must accept, refuse and count exactly as the
    general path does for the same text."""
    assert _outcome(p12(), line.encode()) == _outcome(p12(), line)


@given(st.text(alphabet="0123456789.,;+-e _\t\r\x0b\x1cnaif#x", max_size=60))
def test_bytes_and_text_agree_on_anything(line: str) -> None:
    for n in (3, 12):
        a, b = LineParser(n, 4095), LineParser(n, 4095)
        assert _outcome(a, line.encode()) == _outcome(b, line)


def _judged(p: LineParser, line: str | bytes) -> tuple[object, ...]:
    """What a parser made of a line, but the frame itself (``frames=False`` makes none)."""
    p.feed(line)
    st = p.stats
    return (st.frames, st.comments, dict(st.dropped), st.last_count_seen, st.last_garbage,
            p.declared, p.time_scale)


_JUDGE_LINES = [
    *_EDGE_LINES,
    ",".join(["7"] * 100), ",".join(["1"] * 99 + ["nan"]), ",".join(["1"] * 99 + ["-3"]),
    ",".join(["1"] * 99 + ["256"]), ",".join(["1"] * 99 + ["x"]), ",".join(["9"] * 101),
    ",".join(["1"] * 99 + ["1e400"]), "0123456789" * 10, "# rows=10 cols=10 time=ms",
]


@pytest.mark.parametrize("line", _JUDGE_LINES)
def test_judging_without_frames_agrees_with_parsing(line: str) -> None:
    """``frames=False`` (`sitwatch bridge`: no numpy) takes, drops and counts each line exactly
    as the parser that makes frames, matrix lines (numpy's own checks) included."""
    for n, fs in ((12, 4095), (100, 255), (100, 9)):
        assert LineParser(n, fs, frames=False).feed(line) is None
        assert _judged(LineParser(n, fs, frames=False), line) == _judged(LineParser(n, fs), line)
        assert (_judged(LineParser(n, fs, frames=False), line.encode())
                == _judged(LineParser(n, fs), line.encode()))


@given(st.text(alphabet="0123456789.,;+-e _\t\r#xnaif", max_size=400))
def test_judging_without_frames_agrees_on_anything(line: str) -> None:
    for n in (3, 12, 70):
        assert _judged(LineParser(n, 255, frames=False), line) == _judged(LineParser(n, 255), line)


@given(st.binary(min_size=3, max_size=5))
def test_binary_frames_are_judged_alike_and_written_as_lines(data: bytes) -> None:
    judge, parse = LineParser(4, 200, frames=False), LineParser(4, 200)
    assert judge.feed_bytes_frame(data) is None
    made = parse.feed_bytes_frame(data)
    assert judge.stats.frames == parse.stats.frames
    assert dict(judge.stats.dropped) == dict(parse.stats.dropped)
    if made is not None:  # the line a cushion would send reads back as the same frame
        assert LineParser(4, 200).feed(wire.byte_line(data)).values.tolist() == list(data)
