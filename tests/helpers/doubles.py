"""Test doubles shared by the tests (never shipped in the package)."""

from __future__ import annotations

from typing import Any


class Collect:
    """A sink that keeps every event it is handed."""

    name = "collect"

    def __init__(self) -> None:
        self.events: list[Any] = []
        self.clock: Any = None

    def handle(self, ev: Any) -> None:
        self.events.append(ev)

    def close(self) -> None:
        pass
