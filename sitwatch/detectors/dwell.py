"""A state that changes only after a candidate has held for its dwell time."""

from __future__ import annotations

from collections.abc import Mapping


class Dwell:
    """Debounce a stream of candidate states.

    ``dwell`` is either one number of seconds or a per-target-state mapping. ``step`` returns
    True when the state changed.
    """

    __slots__ = ("_cand", "_default", "_dwell", "_since", "changed_at", "state")

    def __init__(self, state: str | None, dwell: float | Mapping[str | None, float]) -> None:
        self.state = state
        self._dwell = dwell
        self._default = dwell if isinstance(dwell, int | float) else 0.0
        self._cand: str | None = state
        self._since = 0.0
        self.changed_at = 0.0

    def need(self, target: str | None) -> float:
        d = self._dwell
        return float(d) if isinstance(d, int | float) else float(d.get(target, self._default))

    def step(self, candidate: str | None, t: float) -> bool:
        if candidate == self.state:
            self._cand = candidate
            return False
        if candidate != self._cand:
            self._cand = candidate
            self._since = t
        if t - self._since >= self.need(candidate):
            self.state = candidate
            self.changed_at = t
            return True
        return False

    def reset(self, state: str | None, t: float) -> None:
        self.state = self._cand = state
        self._since = self.changed_at = t
