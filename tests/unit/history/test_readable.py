"""Reading a history of an older schema without writing it: the store says which version it
met, and :class:`UpgradedCopy` / :func:`reading` read a private migrated copy, removed after."""

from __future__ import annotations

import contextlib
import sqlite3
import stat
import tempfile
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from sitwatch.core.clock import ManualClock
from sitwatch.history import readable
from sitwatch.history.readable import UpgradedCopy, reading
from sitwatch.history.schema import SCHEMA_VERSION, user_version
from sitwatch.history.store import ForeignFile, OlderSchema, Store, StoreError
from tests.helpers.history import TZ, older_history

DAY = date(2026, 3, 4)


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The temporary folder the copies go to, to see that none is left behind."""
    where = tmp_path / "tmp"
    where.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(where))
    yield where


@pytest.fixture
def old(tmp_path: Path) -> Path:
    path = tmp_path / "history.sqlite"
    older_history(path, DAY)
    return path


def clock() -> ManualClock:
    return ManualClock(datetime(2026, 3, 5, 9, tzinfo=TZ))


def sat(store: Store) -> float:
    start = datetime(2026, 3, 4, tzinfo=TZ)
    return sum(m.seconds_occupied for m in store.minutes_between(start,
                                                                  start + timedelta(days=1)))


def test_a_reader_names_the_older_version_it_met(old: Path) -> None:
    with pytest.raises(OlderSchema) as e:
        Store(old, clock(), readonly=True)
    assert e.value.version == SCHEMA_VERSION - 1
    assert "upgrades it when it next starts" in str(e.value)


def test_a_newer_schema_is_not_an_older_one(old: Path) -> None:
    sqlite3.connect(old, isolation_level=None).execute(
        f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="upgrade sitwatch") as e:
        Store(old, clock(), readonly=True)
    assert not isinstance(e.value, OlderSchema)


def test_another_programs_database_is_not_read_as_an_old_history(tmp_path: Path) -> None:
    path = tmp_path / "contacts.sqlite"
    sqlite3.connect(path, isolation_level=None).execute("CREATE TABLE people (name TEXT)")
    with pytest.raises(ForeignFile, match="did not create"):
        Store(path, clock(), readonly=True)


@pytest.mark.parametrize("version", [0, SCHEMA_VERSION])
def test_another_programs_database_keeps_its_mode(tmp_path: Path, version: int) -> None:
    """Readers tighten a history an older sitwatch left 0644, never someone else's file (one
    whose user_version happens to be this schema's is read, all the same)."""
    path = tmp_path / "contacts.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE people (name TEXT)")
    conn.execute(f"PRAGMA user_version = {version}")
    conn.close()
    path.chmod(0o644)
    with contextlib.suppress(StoreError):
        Store(path, clock(), readonly=True).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    for side in (path.with_name(path.name + s) for s in ("-wal", "-shm")):
        assert not side.exists() or stat.S_IMODE(side.stat().st_mode) == 0o644


def test_the_copy_is_migrated_private_and_removed(old: Path, private_tmp: Path) -> None:
    before = old.read_bytes()
    with UpgradedCopy(old, clock()) as copy:
        assert copy.version == SCHEMA_VERSION - 1
        assert copy.copy.parent.parent == private_tmp
        assert stat.S_IMODE(copy.copy.parent.stat().st_mode) == 0o700
        assert stat.S_IMODE(copy.copy.stat().st_mode) == 0o600
        with copy.open() as store:
            assert user_version(store.connection) == SCHEMA_VERSION
            assert sat(store) == (90 + 45) * 60
        assert str(old) in copy.note and "older sitwatch" in copy.note
    assert not list(private_tmp.iterdir())
    assert old.read_bytes() == before
    assert user_version(sqlite3.connect(old)) == SCHEMA_VERSION - 1


def test_a_copy_that_cannot_be_made_leaves_nothing(old: Path, private_tmp: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(conn: sqlite3.Connection) -> int:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(readable, "migrate", broken)
    with pytest.raises(sqlite3.OperationalError):
        UpgradedCopy(old, clock())
    assert not list(private_tmp.iterdir())


def test_reading_says_once_and_cleans_up_after_an_error(old: Path, private_tmp: Path) -> None:
    said: list[str] = []
    with reading(old, clock(), said.append) as store:
        assert sat(store) == (90 + 45) * 60
    assert len(said) == 1 and "older sitwatch" in said[0]
    with pytest.raises(KeyError), reading(old, clock(), said.append):
        raise KeyError("a report that failed")
    assert not list(private_tmp.iterdir())


def test_reading_a_current_history_makes_no_copy(tmp_path: Path, private_tmp: Path) -> None:
    path = tmp_path / "history.sqlite"
    Store(path, clock()).close()
    said: list[str] = []
    with reading(path, clock(), said.append) as store:
        assert store.path == path
        assert not list(private_tmp.iterdir())
    assert said == []
