"""Files about a person, kept owner-only.

Everything sitwatch writes about someone (history, calibration, status, reports, the config that
may hold a password) goes through here: folders are created ``0700``, files are written
atomically (a temporary file in the same folder, then a rename) and created ``0600`` whatever the
umask, so no other account on the machine can read whether, how long or how someone sits.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) owner-only; an existing folder is tightened only if
    sitwatch created it earlier with looser bits (it is ours: it is named for sitwatch)."""
    path = Path(path)
    missing = [p for p in (path, *path.parents) if not p.exists()]
    path.mkdir(parents=True, exist_ok=True)
    for p in missing:
        with contextlib.suppress(OSError):
            p.chmod(DIR_MODE)
    if "sitwatch" in path.name:
        with contextlib.suppress(OSError):
            if path.stat().st_mode & 0o077:
                path.chmod(DIR_MODE)
    return path


def write_private(path: Path, data: str | bytes, *, folder_ready: bool = False) -> None:
    """Write ``data`` to ``path`` atomically, owner-only (0600).

    ``folder_ready``: the caller wrote to ``path`` before, so its folder was made owner-only
    then; the folder checks (a stat of every parent, a mkdir) are skipped. For a file rewritten
    every few seconds (the status file); a folder removed since is a FileNotFoundError."""
    with _private_tmp(path, folder_ready) as f:
        f.write(data.encode("utf-8") if isinstance(data, str) else data)


@contextlib.contextmanager
def open_private(path: Path) -> Iterator[IO[str]]:
    """A text file (UTF-8, ``\\n`` line ends) that becomes ``path``, owner-only (0600), when the
    block ends; when the block raises, ``path`` is left as it was. For files too big to hold
    in memory for :func:`write_private` (a recording)."""
    with _private_tmp(path) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="\n")
        try:
            yield text
            text.flush()
        finally:
            with contextlib.suppress(ValueError, OSError):
                text.detach()  # the binary file is closed by _private_tmp


@contextlib.contextmanager
def _private_tmp(path: Path, folder_ready: bool = False) -> Iterator[IO[bytes]]:
    """An owner-only temporary file beside ``path``, renamed to ``path`` when the block ends
    and removed when it raises. A folder at ``path`` is an IsADirectoryError that names
    ``path`` (not the temporary file). ``folder_ready``: see :func:`write_private`."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", str(path))
    if not folder_ready:
        private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), FILE_MODE)
            yield f
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def make_private(path: Path) -> None:
    """Tighten an existing file to owner-only (for files another library created, e.g. SQLite's)."""
    with contextlib.suppress(OSError):
        if Path(path).stat().st_mode & 0o077:
            Path(path).chmod(FILE_MODE)
