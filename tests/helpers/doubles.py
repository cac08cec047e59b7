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


class ScriptedCamera:
    """A camera source double: one pose a second, a person in view or not by a schedule of
    ``(seconds, present)``. With ``advance`` it moves the clock itself (a camera-only daemon has
    no cushion source to do that); otherwise it reads whenever the clock has moved on."""

    name = "camera:script"

    def __init__(self, clock: Any, schedule: list[tuple[float, bool]], *,
                 advance: bool, period: float = 1.0) -> None:
        self.clock = clock
        self.advance = advance
        self.period = period
        self.t0 = clock.monotonic()
        self.ends: list[tuple[float, bool]] = []
        end = 0.0
        for seconds, present in schedule:
            end += seconds
            self.ends.append((end, present))
        self._next = self.t0
        self.readings = 0
        self.held = False

    @property
    def done(self) -> bool:
        return self.clock.monotonic() - self.t0 >= self.ends[-1][0]

    def present_at(self, t: float) -> bool:
        return next((p for end, p in self.ends if t - self.t0 < end), self.ends[-1][1])

    def hold(self, on: bool) -> None:
        self.held = on

    def poll(self, max_wait: float) -> list[Any]:
        from sitwatch.camera import features as F
        from sitwatch.camera.source import PoseReading

        if self.advance:
            self.clock.advance(self.period)
        t = self.clock.monotonic()
        if t < self._next:
            return []
        self._next = t + self.period
        self.readings += 1
        present = self.present_at(t)
        return [PoseReading(t, upright_pose() if present else F.ABSENT, present)]

    def stats(self) -> dict[str, object]:
        return {"online": True, "frames": self.readings}

    def close(self) -> None:
        pass


class UnpluggedCamera(ScriptedCamera):
    """A webcam pulled out between ``gone`` and ``back`` (seconds): offline, then online."""

    def __init__(self, clock: Any, gone: float, back: float) -> None:
        super().__init__(clock, [(1e6, True)], advance=False)
        self.gone, self.back = gone, back
        self.online = True

    def poll(self, max_wait: float) -> list[Any]:
        t = self.clock.monotonic()
        online = not (self.gone <= t < self.back)
        if online != self.online:
            self.online = online
            from sitwatch.sources.base import Status

            return [Status(t, online, "" if online else "camera unplugged")]
        return super().poll(max_wait) if online else []

    def stats(self) -> dict[str, object]:
        return {**super().stats(), "online": self.online}


class LockedScreenCamera(ScriptedCamera):
    """A webcam whose screen is locked between ``lock`` and ``unlock`` (seconds): no picture is
    taken meanwhile, and the lock and the unlock are told as CameraSource tells them."""

    def __init__(self, clock: Any, lock: float, unlock: float,
                 schedule: list[tuple[float, bool]] | None = None) -> None:
        super().__init__(clock, schedule or [(1e6, True)], advance=False)
        self.lock, self.unlock = lock, unlock
        self.locked = False

    def poll(self, max_wait: float) -> list[Any]:
        from sitwatch.camera.source import ScreenLock

        t = self.clock.monotonic()
        locked = self.lock <= t < self.unlock
        told: list[Any] = []
        if locked != self.locked:
            self.locked = locked
            told.append(ScreenLock(t, locked))
        return told + ([] if locked else super().poll(max_wait))

    def stats(self) -> dict[str, object]:
        return {**super().stats(), "paused": self.locked}


def upright_pose() -> Any:
    """The features of a front-facing upright sitter (see tests/camera/camsupport.py)."""
    from sitwatch.camera import features as F
    from tests.helpers.camera import pose

    return F.extract(pose())


def camera_profile() -> Any:
    """A camera baseline made from :func:`upright_pose`."""
    from sitwatch.camera import baseline as B

    return B.from_features([upright_pose()] * 5, method="example")
