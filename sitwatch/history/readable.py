"""Reading a damaged history for the reports and the web pages: a private copy of what can
still be read (:func:`~sitwatch.history.salvage.salvage`), opened read-only.

The damaged file itself is never written here: the daemon sets it aside and repairs it the same
way when it next opens it (:class:`~sitwatch.history.store.Store`). ``sitwatch report`` and the
web app use this meanwhile, so a few bad pages on an SD card do not hide every week.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from pathlib import Path

from sitwatch.core.clock import Clock
from sitwatch.history.salvage import Salvage, salvage
from sitwatch.history.store import Store


def is_damage(e: BaseException) -> bool:
    """Whether SQLite's (or the store's) error says the file is damaged, not missing, locked
    or of another program."""
    text = str(e).lower()
    return "malformed" in text or "not a database" in text or "corrupt" in text


class Unreadable(Exception):
    """Nothing at all could be read from the damaged history (the message says so)."""


class ReadableCopy:
    """What can still be read from the damaged history ``path``, copied into a private
    temporary file (:attr:`copy`); :attr:`salvaged` says what was copied and what was lost,
    :meth:`open` opens the copy read-only (one store per thread: SQLite's connections stay in
    theirs), :meth:`close` removes it. Raises :class:`Unreadable`."""

    def __init__(self, path: Path, clock: Clock) -> None:
        self.path = Path(path)
        self.clock = clock
        self._dir = tempfile.mkdtemp(prefix="sitwatch-salvage-")
        self.copy = Path(self._dir) / "history.sqlite"
        try:
            conn = sqlite3.connect(self.copy, isolation_level=None)
            try:
                self.salvaged: Salvage = salvage(self.path, conn)
            except sqlite3.Error as e:
                raise Unreadable(f"the history database {self.path} is damaged and nothing "
                                 f"could be read from it ({e})") from e
            finally:
                conn.close()
            if not self.salvaged.total_copied and self.salvaged.unreadable:
                raise Unreadable(f"the history database {self.path} is damaged and nothing "
                                 "could be read from it (it may not be a database at all)")
        except BaseException:
            shutil.rmtree(self._dir, ignore_errors=True)
            raise

    def open(self) -> Store:
        return Store(self.copy, self.clock, readonly=True)

    def close(self) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> ReadableCopy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
