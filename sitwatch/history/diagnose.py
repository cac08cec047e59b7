"""What is at the history path, and what is wrong with where it lives, in plain words.

Two questions the store asks before it changes anything, and ``sitwatch doctor`` asks too:

* :func:`identify`: is the file at the history path sitwatch's own (or nothing yet), another
  program's SQLite database, or not a database at all? It only reads: a file that is not ours
  is never changed, not even its mode.
* :func:`explain`: an error from opening or writing the file, as one sentence that says what
  is wrong, where, and what to do (a full disk, a read-only filesystem, a folder that is not
  writable ...).
"""

from __future__ import annotations

import errno
import os
import re
import sqlite3
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from urllib.parse import quote

from sitwatch.history.schema import APPLICATION_ID, CORE_TABLES

SQLITE_MAGIC = b"SQLite format 3\x00"
#: :func:`identify`'s word for a file without SQLite's header: a note, a report, garbage.
NOT_SQLITE = "not an SQLite file"
#: Below this much free space on the history's filesystem, doctor warns.
LOW_SPACE_BYTES = 50 * 1024 * 1024

_SQLITE_READONLY = 8
_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6
_SQLITE_IOERR = 10
_SQLITE_FULL = 13
_SQLITE_CANTOPEN = 14
_SQLITE_PERM = 3


class Kind(StrEnum):
    NEW = "new"  # nothing there yet (or an empty file): sitwatch may create its history
    OURS = "ours"  # a sitwatch history (marked, or from before the mark)
    FOREIGN = "foreign"  # another program's SQLite database: never touched
    DAMAGED = "damaged"  # not readable as SQLite: set aside by the store, byte-identical


@dataclass(frozen=True)
class Identity:
    kind: Kind
    detail: str = ""  # for FOREIGN: what it holds; for DAMAGED: the error


def identify(path: Path) -> Identity:
    """What is at ``path``, read without changing it (or anything beside it)."""
    try:
        with open(path, "rb") as f:
            head = f.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        return Identity(Kind.NEW)
    if not head:
        return Identity(Kind.NEW)  # created by us a moment before a crash, or by `touch`
    if head != SQLITE_MAGIC:
        return Identity(Kind.DAMAGED, NOT_SQLITE)
    uri = f"file:{quote(str(Path(path).resolve()))}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=5)
        try:
            app = int(conn.execute("PRAGMA application_id").fetchone()[0])
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            names = [str(r[0]) for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")]
            tables = {str(r[0]) for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            conn.close()
    except sqlite3.DatabaseError as e:
        code = getattr(e, "sqlite_errorcode", 0) & 0xFF
        if code in (11, 26):  # SQLITE_CORRUPT, SQLITE_NOTADB
            return Identity(Kind.DAMAGED, str(e))
        raise
    if app == APPLICATION_ID:
        return Identity(Kind.OURS)
    if app == 0 and not names:
        return Identity(Kind.NEW)  # a database without anything in it
    if app == 0 and version >= 1 and tables >= CORE_TABLES:
        return Identity(Kind.OURS)  # written by a sitwatch from before the mark
    what = ", ".join(sorted(tables)[:6]) or "no tables"
    if app:
        what += f"; application id 0x{app:08x}"
    return Identity(Kind.FOREIGN, what)


def foreign_message(path: Path, detail: str, daemon: bool = True) -> str:
    """What to say of another program's database where the history belongs; ``daemon``: the
    daemon is the one that found it (it carries on without a history; a one-shot command
    simply stops)."""
    return (
        f"{path} is an SQLite database that sitwatch did not create ({detail}). sitwatch leaves "
        "it exactly as it is and keeps no history until it is moved away or `[history] "
        "database` in the config names another file"
        + ("; the nudges go on meanwhile." if daemon else ".")
    )


def folder_message(path: Path) -> str:
    return (
        f"{path} is a folder, not a history file: give `[history] database` (or --history) "
        f"the path of a file, e.g. {path / 'history.sqlite'}"
    )


def free_bytes(path: Path) -> int | None:
    """Free space for an unprivileged writer on the filesystem holding ``path``."""
    p = Path(path)
    while not p.exists() and p != p.parent:
        p = p.parent
    try:
        st = os.statvfs(p)
    except OSError:
        return None
    return st.f_bavail * st.f_frsize


def read_only_fs(path: Path) -> bool:
    p = Path(path)
    while not p.exists() and p != p.parent:
        p = p.parent
    try:
        return bool(os.statvfs(p).f_flag & os.ST_RDONLY)
    except OSError:
        return False


#: The mounts this process sees, one a line (Linux): ``man 5 proc``, "/proc/pid/mountinfo".
MOUNTINFO = Path("/proc/self/mountinfo")
_OCTAL = re.compile(rb"\\([0-7]{3})")


def mount_point(path: Path, mountinfo: Path = MOUNTINFO) -> Path:
    """The mount point holding ``path`` (or the nearest folder of it that exists), the one to
    name in ``mount -o remount,rw``. From :data:`MOUNTINFO` where there is one: a bind mount
    within one filesystem has the device number of its source, so walking up until it changes
    named "/" for it. Elsewhere that walk."""
    p = Path(path).resolve()
    while not p.exists() and p != p.parent:
        p = p.parent
    try:
        found = mount_point_in(mountinfo.read_bytes(), str(p))
    except OSError:
        found = None
    if found is not None:
        return Path(found)
    while not os.path.ismount(p) and p != p.parent:
        p = p.parent
    return p


def mount_point_in(mountinfo: bytes, path: str) -> str | None:
    """The longest mount point in ``mountinfo`` (the text of :data:`MOUNTINFO`) holding the
    real, absolute ``path``; of two mounted on one point the later, which hides the earlier.
    None when the text names none (unreadable or empty)."""
    best: str | None = None
    for line in mountinfo.splitlines():
        fields = line.split(b" ")
        if len(fields) < 5:
            continue
        # the kernel writes a space, tab, newline or backslash in a path as \040 and so on
        point = os.fsdecode(_OCTAL.sub(lambda m: bytes([int(m.group(1), 8)]), fields[4]))
        inside = path == point or path.startswith(point.rstrip("/") + "/")
        if inside and (best is None or len(point) >= len(best)):
            best = point
    return best


def human(n: int | None) -> str:
    if n is None:
        return "unknown"
    if n < 1024 * 1024:
        return f"{n / 1024:.0f} kB"
    return f"{n / 1024 / 1024:.1f} MB"


def _code(e: BaseException) -> int:
    return int(getattr(e, "sqlite_errorcode", 0) or 0) & 0xFF


def is_full(e: BaseException) -> bool:
    return _code(e) == _SQLITE_FULL or getattr(e, "errno", None) == errno.ENOSPC \
        or "disk is full" in str(e).lower()


def is_busy(e: BaseException) -> bool:
    """Another connection holds the file's write lock (longer than the busy timeout)."""
    return _code(e) in (_SQLITE_BUSY, _SQLITE_LOCKED) or "database is locked" in str(e).lower()


def needs_reopen(e: BaseException) -> bool:
    """An error after which the connection is not to be trusted: open the file again."""
    return _code(e) in (_SQLITE_READONLY, _SQLITE_IOERR, _SQLITE_CANTOPEN, _SQLITE_PERM) \
        or isinstance(e, OSError)


def not_writable(path: Path) -> str | None:
    """Why ``path`` (or the folder it would be created in) cannot be written, or None."""
    path = Path(path)
    if read_only_fs(path):
        mnt = mount_point(path)
        return (f"{path} is on a read-only filesystem ({mnt}): make it writable again "
                f"(`sudo mount -o remount,rw {mnt}`, or check the SD card: Linux turns a "
                "failing card read-only) or set `[history] database` to a writable place")
    folder = path.parent
    for target in ((path,) if path.exists() else ()) + (folder,):
        if target.exists() and not os.access(target, os.W_OK):
            st = target.stat()
            return (f"{target} is not writable for this user (uid {os.getuid()}; it belongs "
                    f"to uid {st.st_uid}, mode {st.st_mode & 0o777:o}): fix it with `sudo "
                    f"chown -R $USER {folder}` or set `[history] database` to a writable place")
    return None


#: An I/O error with less than this free is the disk filling up (SQLite says "disk I/O error"
#: when its shared-memory file cannot grow).
NEARLY_FULL_BYTES = 1024 * 1024


#: What the daemon's words add after the cause: what it does meanwhile, that it tries again.
_PROMISE = re.compile(r"\. sitwatch (goes on|tries again)\b.*$", re.S)


def cause(text: str) -> str:
    """:func:`explain`'s words without the daemon's promise to keep and retry: what to say
    when the run ends with the fault still there."""
    return _PROMISE.sub("", text)


def explain(path: Path, e: BaseException, *, retry: bool = True) -> str:
    """One sentence for an error opening or writing the history at ``path``.

    ``retry``: the daemon, which keeps what it measures and tries again; a one-shot command
    (``sitwatch log``, imports) does not, so its words promise nothing of the kind."""
    path = Path(path)
    free = free_bytes(path)
    if is_full(e) or (_code(e) == _SQLITE_IOERR and free is not None
                      and free < NEARLY_FULL_BYTES):
        full = (f"cannot write {path}: the disk is full (only {human(free)} free on "
                f"{mount_point(path)})")
        if not retry:
            return full + ": free some space and run the command again"
        return (full + ". sitwatch goes on watching and nudging and keeps the last day in "
                "memory; free some space and the history is written again by itself")
    if is_busy(e):
        held = (f"cannot write {path}: another program holds it locked (an open `sqlite3` "
                "session or a sync or backup tool writing to it?)")
        if not retry:
            return held + ": close it and run the command again"
        return (held + ". sitwatch goes on watching and nudging, keeps what it measures in "
                "memory and writes it once the lock is released")
    why = not_writable(path)
    if why is not None:
        if not retry:
            return f"cannot write the history: {why}"
        return (f"cannot write the history: {why}. sitwatch goes on watching and nudging "
                "and tries again by itself")
    if not retry:
        return f"cannot use the history database {path}: {e}"
    return f"cannot use the history database {path}: {e}. sitwatch tries again by itself"
