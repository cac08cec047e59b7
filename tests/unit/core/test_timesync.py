"""Whether the system clock follows network time: timedatectl's answer first, then
systemd-timesyncd's flag file, else "cannot tell". A stand-in for subprocess.run here;
tests/integration/test_doctor.py runs `sitwatch doctor` with a real program on PATH."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from sitwatch.core import timesync
from sitwatch.core.timesync import TimeSync, probe


def answers(stdout: str = "", rc: int = 0, raises: BaseException | None = None) -> Any:
    def run(cmd: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
        assert cmd == list(timesync.ASK) and kw["timeout"] == timesync.TIMEOUT
        if raises is not None:
            raise raises
        return subprocess.CompletedProcess(cmd, rc, stdout, "")
    return run


@pytest.mark.parametrize(("said", "synced"), [("yes\n", True), ("no\n", False)])
def test_timedatectl_says(tmp_path: Path, said: str, synced: bool) -> None:
    flag = tmp_path / "synchronized"
    flag.touch()  # timesyncd set the clock once; timedatectl knows better about now
    assert probe(answers(said), flag) == TimeSync(synced, "timedatectl")


@pytest.mark.parametrize("run", [
    answers(raises=FileNotFoundError("timedatectl")),  # not installed
    answers("", rc=1),  # "System has not been booted with systemd as init system"
    answers(raises=subprocess.TimeoutExpired("timedatectl", 5)),
    answers("maybe\n"),
])
def test_without_an_answer_the_timesyncd_flag_says_yes_or_nothing_tells(
        tmp_path: Path, run: Any) -> None:
    flag = tmp_path / "synchronized"
    assert probe(run, flag) == TimeSync(None)
    flag.touch()
    assert probe(run, flag) == TimeSync(True, "systemd-timesyncd")


def test_the_flag_file_is_under_the_system_root(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SITWATCH_SYSTEM_ROOT", str(tmp_path))
    (tmp_path / timesync.FLAG).parent.mkdir(parents=True)
    (tmp_path / timesync.FLAG).touch()
    assert probe(answers(raises=FileNotFoundError("timedatectl"))) == TimeSync(
        True, "systemd-timesyncd")
