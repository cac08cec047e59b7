"""A state that changes only after a candidate has held for its dwell time."""

from __future__ import annotations

from collections.abc import Mapping


class Dwell:
    """Debounce a stream of candidate states.

    ``dwell`` is either one number of seconds or a per-target-state mapping. ``step`` returns
    True when the state changed. A new state must be the candidate without interruption for its
    dwell time. When the current state has not been the candidate for a whole dwell time but the
    candidates keep flickering between others (a sitter between two postures), the state moves
    to the candidate seen longest in that time, so it never sticks to something plainly over.
    """

    __slots__ = (
        "_absent_since",
        "_cand",
        "_dwell",
        "_fixed",
        "_last_t",
        "_since",
        "_votes",
        "changed_at",
        "state",
    )

    def __init__(self, state: str | None, dwell: float | Mapping[str | None, float]) -> None:
        self.state = state
        # one number for every state, or one per state (told apart once, not on each frame)
        self._fixed: float | None = None
        self._dwell: Mapping[str | None, float] = {}
        if isinstance(dwell, int | float):
            self._fixed = float(dwell)
        else:
            self._dwell = dwell
        self._cand: str | None = state
        self._since = 0.0
        self._absent_since: float | None = None
        self._votes: dict[str | None, float] = {}
        self._last_t: float | None = None
        self.changed_at = 0.0

    def need(self, target: str | None) -> float:
        if self._fixed is not None:
            return self._fixed
        return float(self._dwell.get(target, 0.0))

    def step(self, candidate: str | None, t: float, need: float | None = None) -> bool:
        """One frame's candidate at ``t``; ``need``: this frame's dwell for it, when it is not
        the candidate's usual one."""
        last = self._last_t
        self._last_t = t
        if candidate == self.state:  # the usual frame: nothing changes
            self._cand = candidate
            self._absent_since = None
            if self._votes:
                self._votes.clear()
            return False
        dt = 0.0 if last is None else max(0.0, t - last)
        if self._absent_since is None:
            self._absent_since = t
        self._votes[candidate] = self._votes.get(candidate, 0.0) + dt
        if candidate != self._cand:
            self._cand = candidate
            self._since = t
        hold = self.need(candidate) if need is None else need
        if t - self._since >= hold:
            return self._switch(candidate, t)
        if self.state is not None and t - self._absent_since >= 2 * hold:
            best = max(self._votes, key=lambda k: self._votes[k])
            return self._switch(best, t)
        return False

    def _switch(self, state: str | None, t: float) -> bool:
        self.state = state
        self.changed_at = t
        self._absent_since = None
        self._votes.clear()
        if self._cand != state:
            self._since = t
        return True

    def reset(self, state: str | None, t: float) -> None:
        self.state = self._cand = state
        self._since = self.changed_at = t
        self._absent_since = None
        self._votes.clear()
        self._last_t = None
