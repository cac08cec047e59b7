"""Pydantic models kept as JSON files (calibration profiles): atomic saves, loads whose errors
name the file and the key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


def save(model: BaseModel, path: Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(model.model_dump_json(indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


def load(cls: type[M], path: Path, error: type[Exception], what: str) -> M:
    """``cls`` from ``path``; any problem raises ``error`` with one line per bad key."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{path}: {what} not found") from None
    except json.JSONDecodeError as e:
        raise error(f"{path}: not valid JSON ({e})") from None
    try:
        return cls.model_validate(data)
    except ValidationError as e:
        lines = [f"{path}: {'.'.join(map(str, er['loc']))}: {er['msg']}" for er in e.errors()]
        raise error("\n".join(lines)) from None
