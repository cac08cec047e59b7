"""The snapshot is made for every frame with a quicker ``__init__`` than dataclasses writes for a
frozen class; it must behave exactly like the dataclass it is."""

import dataclasses
import inspect

import pytest

from sitwatch.core.kinds import Occupancy, Posture
from sitwatch.sensing.snapshot import Snapshot


def test_arguments_and_defaults_are_the_fields() -> None:
    params = list(inspect.signature(Snapshot).parameters.values())
    fields = dataclasses.fields(Snapshot)
    assert [p.name for p in params] == [f.name for f in fields]
    for p, f in zip(params, fields, strict=True):
        want = inspect.Parameter.empty if f.default is dataclasses.MISSING else f.default
        assert p.default == want, f.name


def test_every_field_is_set_positionally_and_by_name() -> None:
    names = [f.name for f in dataclasses.fields(Snapshot)]
    values = [object() for _ in names]
    by_pos = Snapshot(*values)
    by_name = Snapshot(**dict(zip(names, values, strict=True)))
    for n, v in zip(names, values, strict=True):
        assert getattr(by_pos, n) is v
        assert getattr(by_name, n) is v
    assert by_pos == by_name


def test_still_frozen_comparable_and_replaceable() -> None:
    s = Snapshot(t=5.0, source="cushion", online=True, occupancy=Occupancy.OCCUPIED,
                 posture=Posture.SLOUCHED, posture_since=2.0, loads=(0.1, 0.2))
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.posture = Posture.UPRIGHT  # type: ignore[misc]
    assert s.occupied and s.posture_for == 3.0
    r = dataclasses.replace(s, posture=Posture.UPRIGHT)
    assert r.posture == Posture.UPRIGHT and r.loads == (0.1, 0.2) and r != s
    assert dataclasses.replace(r, posture=Posture.SLOUCHED) == s
    assert hash(s) == hash(dataclasses.replace(s))
    assert repr(s).startswith("Snapshot(t=5.0, source='cushion'")
    with pytest.raises(TypeError):
        Snapshot(t=1.0, source="cushion")  # type: ignore[call-arg]
