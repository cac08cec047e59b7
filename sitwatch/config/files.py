"""Settings that name a file: a folder at that path is a config mistake, said at load time.

The daemon would otherwise start, fail to open the folder as a file, and retry for ever; a
one-shot command would report a misleading error. Checking here makes `sitwatch config
validate`, `sitwatch run` and `sitwatch doctor` name the key and the file it came from."""

from __future__ import annotations

from pathlib import Path

from pydantic import AfterValidator


def file_path(example: str) -> AfterValidator:
    """A validator for a path setting (empty: the default) that must not be a folder;
    ``example`` is a file name to suggest inside the folder."""

    def check(v: str) -> str:
        if v and Path(v).expanduser().is_dir():
            inside = Path(v).expanduser() / example
            raise ValueError(
                f"{v} is a folder, not a file: name a file (e.g. {inside}), or leave it "
                "empty for the default")
        return v

    return AfterValidator(check)
