"""Getting the pose model: ``sitwatch model fetch``.

The official MediaPipe PoseLandmarker bundles live in Google's model storage (pinned to version
1 of each variant below). A download goes to a temporary file beside the destination, is checked
(size, zip signature, SHA-256 when one is known) and only then renamed into place, so a failed or
corrupted download never leaves a file that looks like a model. ``file://`` URLs work too (an
offline machine can install a copy it was given).

Checksums: pass ``sha256`` (or ``--sha256``) to pin one; the table below carries the digests
that have been verified; without one the digest is printed and stored beside the model
(``<model>.sha256``) so a later change of the file is noticed.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sitwatch.core.private import private_dir, write_private

PUBLIC_MODE = 0o644  # the model and its checksum: public files
BASE = "https://storage.googleapis.com/mediapipe-models/pose_landmarker"


@dataclass(frozen=True)
class ModelInfo:
    variant: str
    url: str
    sha256: str | None  # None: not pinned yet (see the module doc)
    approx_mb: float


MODELS: dict[str, ModelInfo] = {
    v: ModelInfo(v, f"{BASE}/pose_landmarker_{v}/float16/1/pose_landmarker_{v}.task", None, mb)
    for v, mb in (("lite", 5.5), ("full", 9.0), ("heavy", 29.0))
}
# The offline bundle in ../shared/models (same networks as the official "full" model, repacked).
SHARED_FULL_SHA256 = "e1bcd44e019d5df28c075eb8706679d58b42eb2751ffe70f411a687aa3fd85d9"
MAX_BYTES = 200 * 1024 * 1024
CHUNK = 1 << 16

Opener = Callable[..., Any]


class FetchError(RuntimeError):
    pass


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def _copy(src: IO[bytes], dst: IO[bytes],
          progress: Callable[[int], None] | None) -> tuple[int, str]:
    h = hashlib.sha256()
    n = 0
    while True:
        chunk = src.read(CHUNK)
        if not chunk:
            break
        n += len(chunk)
        if n > MAX_BYTES:
            raise FetchError(f"download larger than {MAX_BYTES // (1 << 20)} MiB: not a pose model")
        h.update(chunk)
        dst.write(chunk)
        if progress is not None:
            progress(n)
    return n, h.hexdigest()


def fetch(variant: str, dest: Path, *, url: str | None = None, sha256: str | None = None,
          opener: Opener = urllib.request.urlopen, timeout: float = 60.0,
          progress: Callable[[int], None] | None = None, force: bool = False) -> Path:
    """Download ``variant`` (lite | full | heavy) to ``dest``, verified; returns ``dest``.

    Raises :class:`FetchError` with a message for the user; nothing is left at ``dest`` (or
    beside it) on failure, and an existing good file is kept.
    """
    info = MODELS.get(variant)
    if info is None and url is None:
        raise FetchError(f"unknown model variant {variant!r}: choose lite, full or heavy")
    url = url or info.url  # type: ignore[union-attr]
    want = (sha256 or (info.sha256 if info else None) or "").lower() or None
    if want is not None and (len(want) != 64 or any(c not in "0123456789abcdef" for c in want)):
        raise FetchError(f"--sha256 {sha256!r}: expected 64 hex digits")
    dest = Path(dest).expanduser()
    if dest.exists() and not force and (want is None or sha256_of(dest) == want):
        return dest
    private_dir(dest.parent)  # sitwatch's data dir, owner-only like every folder it makes
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        try:
            resp = opener(url, timeout=timeout)
        except urllib.error.HTTPError as e:
            raise FetchError(f"{url}: the server answered {e.code} {e.reason}") from None
        except urllib.error.URLError as e:
            raise FetchError(f"{url}: cannot download ({e.reason}); no network? You can also "
                             "copy a .task file by hand and set camera.model to it") from None
        except (OSError, ValueError) as e:
            raise FetchError(f"{url}: cannot download ({e})") from None
        with resp, os.fdopen(fd, "wb") as out:
            fd = -1
            try:
                n, digest = _copy(resp, out, progress)
            except (OSError, urllib.error.URLError) as e:
                raise FetchError(f"{url}: download interrupted ({e})") from None
            out.flush()
            os.fsync(out.fileno())
        if n == 0:
            raise FetchError(f"{url}: empty download")
        with tmp.open("rb") as f:
            if f.read(2) != b"PK":
                raise FetchError(f"{url}: not a MediaPipe .task bundle (no zip signature)")
        if want is not None and digest != want:
            raise FetchError(f"{url}: checksum mismatch: expected sha256 {want}, got {digest}; "
                             "the file was not installed")
        # The model is public and says nothing about anyone: readable by all (0644), so a
        # service account can use one an administrator fetched; the data dir around it stays
        # owner-only.
        os.chmod(tmp, PUBLIC_MODE)
        tmp.replace(dest)
        sums = dest.with_name(dest.name + ".sha256")
        write_private(sums, f"{digest}  {dest.name}\n")
        os.chmod(sums, PUBLIC_MODE)
        return dest
    finally:
        if fd >= 0:
            os.close(fd)
        if tmp.exists():
            tmp.unlink()


def verify(path: Path) -> str | None:
    """A problem with an installed model against its ``.sha256`` note, or None."""
    note = Path(str(path) + ".sha256")
    if not note.exists():
        return None
    want = note.read_text(encoding="utf-8").split()[0]
    got = sha256_of(path)
    return None if got == want else f"{path}: changed since it was downloaded (sha256 {got})"

