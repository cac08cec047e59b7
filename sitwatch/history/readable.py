"""Reading a history the reports and the web pages cannot read as it is, through a private,
owner-only temporary copy opened read-only:

* a damaged file: a copy of what can still be read (:class:`ReadableCopy`,
  :func:`~sitwatch.history.salvage.salvage`);
* a file of an older schema (sitwatch was upgraded, the daemon has not started since, or the
  file was copied from another machine): a copy brought up to date (:class:`UpgradedCopy`).

The file itself is never written here (an older daemon may still be writing it): the daemon
repairs or migrates it when it next opens it (:class:`~sitwatch.history.store.Store`).
``sitwatch report``, ``sitwatch export`` and the web app use this meanwhile, so a few bad pages
on an SD card, or an upgrade, do not hide every week.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Self
from urllib.parse import quote

from sitwatch.core.clock import Clock
from sitwatch.history.salvage import Salvage, salvage
from sitwatch.history.schema import migrate, user_version
from sitwatch.history.store import OlderSchema, Store


def is_damage(e: BaseException) -> bool:
    """Whether SQLite's (or the store's) error says the file is damaged, not missing, locked
    or of another program."""
    text = str(e).lower()
    return "malformed" in text or "not a database" in text or "corrupt" in text


class Unreadable(Exception):
    """Nothing at all could be read from the damaged history (the message says so)."""


class PrivateCopy:
    """A private temporary copy (:attr:`copy`, owner-only in a folder of its own) of the
    history ``path``, filled by :meth:`_fill`; :meth:`open` opens the copy read-only (one store
    per thread: SQLite's connections stay in theirs), :meth:`close` removes it. Nothing is
    left behind when filling it fails."""

    prefix = "sitwatch-copy-"

    def __init__(self, path: Path, clock: Clock) -> None:
        self.path = Path(path)
        self.clock = clock
        self._dir = tempfile.mkdtemp(prefix=self.prefix)  # mode 0700
        self.copy = Path(self._dir) / "history.sqlite"
        try:
            os.close(os.open(self.copy, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
            conn = sqlite3.connect(self.copy, isolation_level=None)
            try:
                self._fill(conn)
            finally:
                conn.close()
        except BaseException:
            shutil.rmtree(self._dir, ignore_errors=True)
            raise

    def _fill(self, conn: sqlite3.Connection) -> None:
        raise NotImplementedError

    def open(self) -> Store:
        return Store(self.copy, self.clock, readonly=True)

    def close(self) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ReadableCopy(PrivateCopy):
    """What can still be read from the damaged history ``path``; :attr:`salvaged` says what was
    copied and what was lost. Raises :class:`Unreadable`."""

    prefix = "sitwatch-salvage-"
    salvaged: Salvage

    def _fill(self, conn: sqlite3.Connection) -> None:
        try:
            self.salvaged = salvage(self.path, conn)
        except sqlite3.Error as e:
            raise Unreadable(f"the history database {self.path} is damaged and nothing "
                             f"could be read from it ({e})") from e
        if not self.salvaged.total_copied and self.salvaged.unreadable:
            raise Unreadable(f"the history database {self.path} is damaged and nothing "
                             "could be read from it (it may not be a database at all)")


class UpgradedCopy(PrivateCopy):
    """The history ``path`` of an older schema, copied as it is now (SQLite's backup: what an
    older daemon still running has committed too) and migrated to this sitwatch's schema;
    :attr:`version` is the file's, :attr:`note` says so in words. Raises
    :class:`sqlite3.Error` when the file cannot be read."""

    prefix = "sitwatch-upgrade-"
    version: int

    def _fill(self, conn: sqlite3.Connection) -> None:
        src = sqlite3.connect(f"file:{quote(str(self.path.resolve()))}?mode=ro", uri=True)
        try:
            src.backup(conn)
        finally:
            src.close()
        self.version = user_version(conn)
        migrate(conn)

    @property
    def note(self) -> str:
        return (f"the history {self.path} is from an older sitwatch, so it is read through an "
                "up-to-date copy")

    #: what the daemon does to the file when it next starts, for the caller's restart hint
    #: (this layer cannot tell whether a service or a `sitwatch run` is the one to restart)
    upgrade = "upgrade the file itself"


@contextlib.contextmanager
def reading(path: Path, clock: Clock, say: Callable[[str], None]) -> Iterator[Store]:
    """The history ``path`` read-only; one of an older schema through an :class:`UpgradedCopy`
    (``say`` gets its note), removed afterwards. Raises what :class:`Store` raises (a newer
    schema, a damaged file: see :func:`is_damage`)."""
    try:
        store = Store(path, clock, readonly=True)
    except OlderSchema:
        with UpgradedCopy(path, clock) as copy:
            say(copy.note)
            with copy.open() as store:
                yield store
        return
    with store:
        yield store
