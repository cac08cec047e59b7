"""Files written about a person: owner-only, whole or not at all."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sitwatch.core.private import write_private


def test_write_private_makes_missing_folders_and_replaces_the_file_whole(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        dest = tmp_path / "out" / "deeper" / "week.html"
        write_private(dest, "<p>first</p>")
        assert dest.read_text(encoding="utf-8") == "<p>first</p>"
        assert [f.name for f in dest.parent.iterdir()] == ["week.html"]  # no temporary left
        assert dest.stat().st_mode & 0o777 == 0o600
        assert dest.parent.stat().st_mode & 0o777 == 0o700
        assert (tmp_path / "out").stat().st_mode & 0o777 == 0o700
        inode = dest.stat().st_ino
        write_private(dest, b"<p>second</p>")  # a reader sees the old page or the new one
        assert dest.read_text(encoding="utf-8") == "<p>second</p>"
        assert dest.stat().st_ino != inode
    finally:
        os.umask(old)


def test_write_private_leaves_nothing_behind_when_it_cannot_finish(tmp_path: Path) -> None:
    dest = tmp_path / "week.html"
    dest.mkdir()  # a folder is in the way
    with pytest.raises(IsADirectoryError) as e:
        write_private(dest, "<p>page</p>")
    assert e.value.filename == str(dest)
    assert [f.name for f in tmp_path.iterdir()] == ["week.html"]
    assert dest.is_dir() and not any(dest.iterdir())
