"""The vocabulary (sitwatch.core.kinds): every word has a label, members and their strings are
interchangeable, and the kinds and postures are spelled in one place only."""

from __future__ import annotations

import ast
import tokenize
from enum import StrEnum
from pathlib import Path

import pytest

from sitwatch.core import kinds
from sitwatch.core.kinds import (
    NUDGE_KINDS,
    POSTURES,
    AlsoNoticed,
    Balance,
    BodyArea,
    BodySide,
    NudgeAction,
    NudgeKind,
    Occupancy,
    Posture,
    RedFlag,
    SensorState,
    SymptomKind,
    WalletState,
    label,
)

PACKAGE = Path(kinds.__file__).resolve().parents[1]

#: The states and kinds people read about (event names are not shown as words).
SHOWN: tuple[type[StrEnum], ...] = (
    Occupancy, Posture, Balance, WalletState, SensorState, NudgeKind, NudgeAction,
    SymptomKind, BodySide, BodyArea, AlsoNoticed, RedFlag,
)
MEMBERS = [m for enum in SHOWN for m in enum]

#: Literal strings equal to a nudge kind or a posture that mean something else, by (file under
#: sitwatch/, word), with the reason. Anything else spelling one of these words is a second
#: vocabulary: use the member of sitwatch.core.kinds instead.
ALLOWED: dict[tuple[str, str], str] = {
    # The calibration steps (and the keys of a calibration profile) are named after the poses
    # the sitter takes, not the postures a detector reports.
    ("cli/calibrate.py", "upright"): "calibration step",
    ("cli/calibrate.py", "slouch"): "calibration step",
    ("cli/calibrate_live.py", "upright"): "calibration step",
    ("cli/calibrate_live.py", "slouch"): "calibration step",
    ("sensing/calibration.py", "upright"): "calibration profile key",
    ("sensing/calibration.py", "slouch"): "calibration profile key",
    ("sensing/pipeline.py", "upright"): "calibration profile key",
    ("evaluation/variants.py", "upright"): "calibration profile key",
    ("sensing/upright_check.py", "upright"): "calibration profile key",
    ("sensing/references.py", "upright"): "calibration profile key",
    ("sensing/references.py", "slouch"): "calibration profile key",
    ("cli/camera.py", "upright"): "the --upright option of `sitwatch camera calibrate`",
    ("evaluation/camera.py", "upright"): "the webcam dataset's own label names",
    ("evaluation/datasets.py", "upright"): "fsr-cushion-9's own label names",
    ("reports/html.py", "upright"): "a variable of the report template",
    ("reports/words.py", "slouch"): "a word shown in a narrow report column",
    ("runtime/demo.py", "wallet"): "a row heading of the demo's live view",
    ("runtime/status.py", "wallet"): "a field of the status file",
    ("sim/body.py", "wallet"): "the name of Body's wallet attribute",
    ("nudging/feedback.py", "wallet"): "the config section detect.wallet",
}
#: Files being reworked elsewhere, not yet on the vocabulary; remove each once converted.
PENDING: frozenset[str] = frozenset({
    "sensing/detectors/posture.py",  # its posture constants: the detector rework converts them
})


def _spelled(path: Path, words: set[str]) -> list[tuple[int, str]]:
    """(line, word) for every plain string literal in ``path`` that is exactly one of ``words``
    (docstrings, comments and f-strings do not count)."""
    out = []
    with path.open(encoding="utf-8") as f:
        for tok in tokenize.generate_tokens(f.readline):
            if tok.type != tokenize.STRING:
                continue
            try:
                value = ast.literal_eval(tok.string)
            except (ValueError, SyntaxError):
                continue  # an f-string
            if isinstance(value, str) and value in words:
                out.append((tok.start[0], value))
    return out


@pytest.mark.parametrize("member", MEMBERS, ids=lambda m: f"{type(m).__name__}.{m.name}")
def test_every_shown_member_has_a_label(member: StrEnum) -> None:
    assert member in kinds._LABELS
    assert label(member).strip()


@pytest.mark.parametrize("member", MEMBERS, ids=lambda m: f"{type(m).__name__}.{m.name}")
def test_a_plain_string_reads_as_its_member(member: StrEnum) -> None:
    # What comes back from JSON, SQLite or the status file is a plain string.
    plain = str(member)
    assert type(plain) is str and plain == member.value
    assert label(plain) == label(member)
    assert type(member)(plain) is member


def test_label_of_unknown_and_none() -> None:
    assert label("some_new_kind") == "some new kind"
    assert label(None) == ""


def test_the_ordered_tuples_hold_every_member() -> None:
    assert set(NUDGE_KINDS) == set(NudgeKind)
    assert set(POSTURES) == set(Posture) - {Posture.UNKNOWN}


def test_kinds_and_postures_are_spelled_only_in_kinds_py() -> None:
    words = {str(w) for w in (*NUDGE_KINDS, *POSTURES)}
    found: set[tuple[str, str]] = set()
    stray = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel == "core/kinds.py" or rel in PENDING:
            continue
        for line, word in _spelled(path, words):
            found.add((rel, word))
            if (rel, word) not in ALLOWED:
                stray.append(f"sitwatch/{rel}:{line}: {word!r}")
    assert not stray, "use the members of sitwatch.core.kinds:\n" + "\n".join(stray)
    stale = sorted(set(ALLOWED) - found)
    assert not stale, f"no longer spelled there, drop from ALLOWED: {stale}"


def test_the_scan_sees_a_spelled_kind(tmp_path: Path) -> None:
    f = tmp_path / "m.py"
    f.write_text('"""slouched in a docstring"""\n# "reclined"\nA = "wallet"\nB = f"{A}"\n'
                 "C = 'leaning_forward'\n", encoding="utf-8")
    assert _spelled(f, {str(w) for w in (*NUDGE_KINDS, *POSTURES)}) == [
        (3, "wallet"), (5, "leaning_forward")]
