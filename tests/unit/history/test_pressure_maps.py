"""Seat pressure maps in the history (issue #11): per hour and posture, each channel's mean load,
merged across batches and runs; the figures checked against an independent computation, and
the size of a week of 8-hour days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest

from sitwatch.core.clock import ManualClock
from sitwatch.history.pressure import maps_between, pack, unpack
from sitwatch.history.schema import MIGRATIONS, SCHEMA_VERSION, user_version
from sitwatch.history.store import Store
from tests.helpers.history import TZ

START = datetime(2026, 11, 16, 9, 0, tzinfo=TZ)  # a Monday


def test_pack_round_trips_to_a_ten_thousandth_and_clips() -> None:
    vals = [0.0, 0.12345, 0.5, 1.0, 7.0, -0.2]
    back = unpack(pack(vals))
    assert back[:4] == pytest.approx([0.0, 0.1234, 0.5, 1.0], abs=1e-4)
    assert back[4] == pytest.approx(6.5535) and back[5] == 0.0
    assert len(pack(vals)) == 2 * len(vals)


def test_the_migration_is_appended_and_a_new_file_has_the_table(tmp_path) -> None:
    store = Store(tmp_path / "h.sqlite", ManualClock(START))
    assert user_version(store.connection) == SCHEMA_VERSION == len(MIGRATIONS) >= 5
    cols = [r[1] for r in store.connection.execute("PRAGMA table_info(pressure)")]
    assert cols == ["hour", "epoch", "run_id", "layout", "posture", "seconds", "loads"]
    store.close()


def test_means_per_hour_and_posture_match_an_independent_sum(tmp_path) -> None:
    clock = ManualClock(START)
    store = Store(tmp_path / "h.sqlite", clock, commit_interval=5.0)
    store.begin_run("load-cells-4", "test")
    rng = np.random.default_rng(3)
    expect: dict[str, list[np.ndarray]] = {"upright": [], "slouched": []}
    secs = {"upright": 0.0, "slouched": 0.0}
    for i in range(4 * 3600):  # two hours at 2 Hz, postures alternating every 15 minutes
        posture = "upright" if (i // 1800) % 2 == 0 else "slouched"
        loads = rng.uniform(0, 0.6, 4)
        clock.advance(0.5)
        store.add_pressure(0.5, posture, loads.tolist())
        expect[posture].append(loads * 0.5)
        secs[posture] += 0.5
    store.flush()
    maps = maps_between(store, START, START + timedelta(hours=2))["load-cells-4"]
    for posture in ("upright", "slouched"):
        want = np.sum(expect[posture], axis=0) / secs[posture]
        assert maps[posture].seconds == pytest.approx(secs[posture])
        assert maps[posture].means == pytest.approx(want.tolist(), abs=2e-4)
    everything = np.sum(expect["upright"] + expect["slouched"], axis=0) / 7200.0
    assert maps["all"].means == pytest.approx(everything.tolist(), abs=2e-4)
    rows = store.connection.execute("SELECT count(*) FROM pressure").fetchone()[0]
    assert rows == 4  # two hours x two postures, however many batches wrote them
    store.close()


def test_two_runs_in_one_hour_and_a_restart_keep_every_second(tmp_path) -> None:
    clock = ManualClock(START)
    path = tmp_path / "h.sqlite"
    store = Store(path, clock)
    store.begin_run("load-cells-4", "test")
    clock.advance(600)
    store.add_pressure(600, "upright", [0.2, 0.2, 0.0, 0.0])  # capped at max_sample_gap
    clock.advance(60)
    store.add_pressure(60, "upright", [0.2, 0.2, 0.0, 0.0])
    store.end_run()
    store.close()
    store = Store(path, clock)
    store.begin_run("load-cells-4", "test")
    clock.advance(180)
    store.add_pressure(180, None, [0.0, 0.0, 0.4, 0.4])  # None: unknown posture
    store.close()
    reader = Store(path, clock, readonly=True)
    m = maps_between(reader, START, START + timedelta(hours=1))["load-cells-4"]
    assert m["upright"].seconds == pytest.approx(180)
    assert m["unknown"].seconds == pytest.approx(120)
    assert m["all"].means == pytest.approx([0.12, 0.12, 0.16, 0.16], abs=1e-4)
    reader.close()


def test_a_week_of_8_hour_days_stays_far_under_a_megabyte(tmp_path) -> None:
    """Rows per (hour, posture): the table's share of the file for a 12-channel chair and a
    256-channel mat, a minute per sample (the row count does not depend on the rate)."""
    for layout, n in (("smartchair-12", 12), ("matrix-16x16", 256)):
        clock = ManualClock(START)
        store = Store(tmp_path / f"{layout}.sqlite", clock)
        store.begin_run(layout, "test")
        loads = [0.3] * n
        for day in range(7):
            clock.advance((START + timedelta(days=day) - clock.now()).total_seconds())
            for minute in range(8 * 60):
                clock.advance(60)
                store.add_pressure(60, ("upright", "slouched", "leaning_forward",
                                        "reclined")[minute % 4], loads)
        store.close()
        conn = Store(tmp_path / f"{layout}.sqlite", clock, readonly=True).connection
        used = conn.execute("SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'pressure%'"
                            ).fetchone()[0]
        rows = conn.execute("SELECT count(*) FROM pressure").fetchone()[0]
        assert rows == 7 * 8 * 4
        assert used < 200_000, (layout, used)  # well under 1 MB, even for 256 channels


def test_the_remembered_hour_is_the_one_worked_out_afresh(tmp_path) -> None:
    """The rollup remembers the minute of the last sample so as not to work out its hour on
    every frame. Whatever comes next (the next second, the next hour, the repeated hour of a
    clock change, the same moment in another zone), each sample must go to the hour the plain
    computation gives: the hour of the moment it began, in the zone it came with."""
    from zoneinfo import ZoneInfo

    from sitwatch.history.pressure import PressureRollup

    berlin = ZoneInfo("Europe/Berlin")  # 2026-10-25 03:00 CEST -> 02:00 CET
    first = datetime(2026, 10, 25, 1, 59, 59, 500_000, tzinfo=berlin)
    nows = [first, first + timedelta(seconds=0.2), first + timedelta(seconds=1),
            datetime(2026, 10, 25, 2, 30, 10, tzinfo=berlin),
            datetime(2026, 10, 25, 2, 30, 10, fold=1, tzinfo=berlin),
            datetime(2026, 10, 25, 3, 0, 0, 500_000, tzinfo=berlin)]
    nows.append(nows[-1].astimezone(UTC))  # the same moment, told in UTC
    nows.append(nows[-1] + timedelta(seconds=0.1))
    # the system clock's way: each time with a zone object of its own, same offset or not
    nows += [datetime(2026, 10, 25, 4, 0, 0, 200_000, tzinfo=timezone(timedelta(hours=h)))
             for h in (1, 1, 2, 1)]
    roll = PressureRollup()
    want: dict[tuple[str, int, str], float] = {}
    for now in nows:
        roll.add(now - timedelta(seconds=1), 1.0, "upright", [0.5, 0.25])
        hour = (now - timedelta(seconds=1)).replace(minute=0, second=0, microsecond=0)
        key = (hour.isoformat(), int(hour.timestamp()), "upright")
        want[key] = want.get(key, 0.0) + 1.0
    assert len(want) == 5  # 01:00 and 02:00 summer time, 01:00 UTC, 03:00 +1 and +2
    store = Store(tmp_path / "h.sqlite", ManualClock(START))
    with store.connection:
        roll.write(store.connection, "run", "two-channels")
    got = {(h, e, p): s for h, e, p, s in store.connection.execute(
        "SELECT hour, epoch, posture, seconds FROM pressure")}
    assert got == want
    store.close()


def _rows(store: Store) -> list[tuple[object, ...]]:
    return [tuple(r) for r in store.connection.execute(
        "SELECT hour, epoch, posture, seconds, loads FROM pressure ORDER BY hour, posture")]


def test_a_sample_with_loads_is_the_sample_and_the_pressure_call(tmp_path) -> None:
    """The daemon hands a seated frame's loads with its sample (one look at the clock): the
    minutes and the pressure maps are exactly those of the two calls it made before."""
    rng = np.random.default_rng(5)
    frames = [(float(rng.uniform(0.03, 0.09)), ["upright", "slouched", None][i // 700 % 3],
               rng.uniform(0, 0.7, 12).tolist(), i % 500 > 30) for i in range(5000)]
    got = []
    for together in (False, True):
        clock = ManualClock(START - timedelta(minutes=2))  # across 10:00 too
        store = Store(tmp_path / f"{together}.sqlite", clock, commit_interval=20.0)
        store.begin_run("smartchair-12", "test")
        for dt, posture, loads, seated in frames:
            clock.advance(dt)
            fields = dict(occupied=seated, posture=posture, balance="balanced", seat_load=1.0,
                          cop_x=0.1, cop_y=-0.2, online=True)
            if together:
                store.add_sample(dt, **fields, loads=loads if seated else None)
            else:
                store.add_sample(dt, **fields)
                if seated:
                    store.add_pressure(dt, posture, loads)
        store.flush()
        minutes = store.connection.execute(
            "SELECT * FROM minutes ORDER BY minute").fetchall()
        rows = [{k: v for k, v in zip(r.keys(), r, strict=True) if k != "run_id"}
                for r in minutes]
        got.append((_rows(store), rows))
        store.close()
    assert len(got[0][0]) >= 4
    assert got[0] == got[1]
