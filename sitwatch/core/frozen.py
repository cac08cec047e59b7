"""A quicker ``__init__`` for the frozen dataclasses made for every frame (a reading, a parsed
line, a snapshot)."""

from __future__ import annotations

from dataclasses import MISSING, fields
from typing import TypeVar

_C = TypeVar("_C", bound=type)


def quick_init(cls: _C) -> _C:
    """Give a frozen dataclass (without slots) an ``__init__`` with the same arguments and
    defaults that fills the instance's ``__dict__`` directly. The one dataclasses writes for a
    frozen class calls ``object.__setattr__`` for each field, which makes a snapshot (one a
    frame, two dozen fields) about twice as dear. Assigning to a field afterwards still raises
    ``FrozenInstanceError``."""
    if "__slots__" in cls.__dict__:
        raise TypeError(f"{cls.__name__}: quick_init fills __dict__; leave out slots=True")
    names: list[str] = []
    defaults: dict[str, object] = {}
    for f in fields(cls):
        assert f.default_factory is MISSING and f.init, f.name  # not needed so far
        if f.default is MISSING:
            names.append(f.name)
        else:
            names.append(f"{f.name}=_default_{f.name}")
            defaults[f"_default_{f.name}"] = f.default
    body = "".join(f"    d[{f.name!r}] = {f.name}\n" for f in fields(cls))
    src = f"def __init__(self, {', '.join(names)}):\n    d = self.__dict__\n{body}"
    exec(src, defaults)  # code made above from the class's own field names
    init = defaults["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"  # type: ignore[attr-defined]
    cls.__init__ = init  # type: ignore[misc]
    return cls
