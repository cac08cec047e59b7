"""Pydantic models kept as JSON files (calibration profiles): atomic saves, loads whose errors
name the file and the key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from sitwatch.core.private import write_private

M = TypeVar("M", bound=BaseModel)


def save(model: BaseModel, path: Path) -> None:
    """Atomically, owner-only (a profile describes a person)."""
    write_private(Path(path), model.model_dump_json(indent=2) + "\n")


def load(cls: type[M], path: Path, error: type[Exception], what: str) -> M:
    """``cls`` from ``path``; any problem raises ``error`` with one line per bad key."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{path}: {what} not found") from None
    except IsADirectoryError:
        raise error(f"{path}: is a folder, not a {what}") from None
    except UnicodeDecodeError:
        raise error(f"{path}: not a {what} (not UTF-8 text; damaged?)") from None
    except json.JSONDecodeError as e:
        raise error(f"{path}: not valid JSON ({e})") from None
    except RecursionError:
        raise error(f"{path}: not valid JSON (nested too deeply)") from None
    except OSError as e:
        raise error(f"{path}: cannot read: {e.strerror or e}") from None
    try:
        return cls.model_validate(data)
    except ValidationError as e:
        lines = [f"{path}: {'.'.join(map(str, er['loc']))}: {er['msg']}" for er in e.errors()]
        raise error("\n".join(lines)) from None
