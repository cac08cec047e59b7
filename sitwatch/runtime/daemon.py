"""The daemon: a source feeds the pipeline, events go to the sinks, the store and the status file.

    source.poll() -> Reading | Status | Diagnosis
        -> Pipeline.process()/sensor() -> events
        -> Fanout(console, desktop) ; Store (events + per-minute rollups) ; StatusWriter

:class:`Daemon` is one step of that loop at a time, so tests, the demo and the real service drive
it the same way; only :func:`cmd_run` touches signals, systemd and the real clock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from sitwatch.config import Config
from sitwatch.core import events as E
from sitwatch.core.clock import Clock
from sitwatch.core.events import Event
from sitwatch.sensing.calibration import Profile
from sitwatch.sensing.layout import Layout
from sitwatch.sensing.pipeline import Pipeline
from sitwatch.sources.base import Diagnosis, Reading, Source, Status

log = logging.getLogger("sitwatch")
BATCH_SECONDS = 0.2
BACKUP_FIRST = 3600.0  # first copy of the history an hour after start, then daily
BACKUP_EVERY = 86400.0
BACKUPS_KEPT = 7


class Daemon:
    def __init__(
        self,
        cfg: Config,
        layout: Layout,
        source: Source | None,
        clock: Clock,
        *,
        profile: Profile | None = None,
        sinks: Any = None,
        store: Any = None,
        status: Any = None,
        save_profile: Callable[[Profile], None] | None = None,
        gate: Any = None,
        backup_dir: Path | None = None,
        camera: Any = None,
    ) -> None:
        """``source`` is the cushion (None for a camera-only setup); ``camera`` is a
        (CameraSource, CameraPipeline) pair or None."""
        self.cfg = cfg
        self.layout = layout
        self.source = source
        self.clock = clock
        self.pipeline = Pipeline(layout, cfg, profile)
        self.sinks = sinks
        self.store = store
        self.status = status
        self.save_profile = save_profile
        self.gate = gate
        self.backup_dir = backup_dir
        self.control_file: Path | None = getattr(getattr(gate, "control", None), "path", None)
        self.camera_source: Any = camera[0] if camera is not None else None
        self.camera: Any = camera[1] if camera is not None else None
        self.fusion = None
        if self.camera is not None and source is not None:
            from sitwatch.camera.fusion import PostureFusion

            self.fusion = PostureFusion()
            self._fused_since = clock.monotonic()
        self._next_backup = clock.monotonic() + BACKUP_FIRST
        self.listeners: list[Callable[[Event], None]] = []
        self._last_sample: float | None = None
        self._dropped_seen = 0
        self._next_publish = -1e18
        self.events = 0
        if store is not None:
            names = [getattr(s, "name", "?") for s in (source, self.camera_source) if s is not None]
            store.begin_run(layout.name, " + ".join(names) or "none")
        if status is not None:
            cal: dict[str, Any] = {"method": self.pipeline.calibrated}
            if profile is not None and self.pipeline.calibrated:
                cal["at"] = profile.created
            status.update(sit_limit=cfg.detect.sit_limit, calibration=cal)

    # -- one turn of the loop ------------------------------------------------------------
    def paused(self) -> bool:
        if self.gate is None or self.gate.control is None:
            return False
        return bool(self.gate.control.get().paused(self.clock.now()))

    def step(self, max_wait: float = 0.5) -> list[Event]:
        out: list[Event] = []
        paused = self.paused()
        items = self.source.poll(max_wait) if self.source is not None else []
        for item in items:
            if isinstance(item, Reading) and paused:
                continue  # paused: nothing is watched or kept
            if isinstance(item, Reading):
                evs = self.pipeline.process(item.t, item.values)
                self._sample(item.t, online=True)
                if self.pipeline.units_hint:
                    log.warning("cushion: %s", self.pipeline.units_hint)
                    self.pipeline.units_hint = None
            elif isinstance(item, Status):
                evs = self.pipeline.sensor(item.t, item.online, item.reason)
                if item.online and not evs:
                    evs = []
            elif isinstance(item, Diagnosis):
                evs = [Event(item.t, E.DIAGNOSIS, None, {"message": item.message})]
            else:  # pragma: no cover - protocol violation
                continue
            for ev in evs:
                self._dispatch(ev)
            out += evs
        if self.camera_source is not None:
            out += self._camera_step(paused)
        out += self._clicks()
        now = self.clock.monotonic()
        if self.gate is not None:
            for ev in self.gate.release(self._still_applies):
                self._deliver(ev)
                self.pipeline.policy.track(str(ev.get("kind")), now)
        if not self.pipeline.online and not paused:
            self._sample(now, online=False)
        if now >= self._next_publish:
            self._next_publish = now + min(1.0, self.cfg.status.interval)
            self._publish(now)
        return out

    def _clicks(self) -> list[Event]:
        """Buttons pressed on desktop notifications (handed over from the sink's threads)."""
        inbox = getattr(self.sinks, "inbox", None)
        if inbox is None or not len(inbox):
            return []
        from datetime import timedelta

        from sitwatch.nudging import control

        out: list[Event] = []
        t = self.clock.monotonic()
        for action, nudge in inbox.drain():
            kind = str(nudge.get("kind"))
            ev = Event(t, E.NUDGE_ACK, None, {"kind": kind, "action": action})
            evs = [ev]
            if action == "snooze" and self.control_file is not None:
                cur = control.read(self.control_file)
                until = self.clock.now() + timedelta(minutes=self.cfg.nudges.snooze_minutes)
                try:
                    control.write(self.control_file, control.Control(until, cur.paused_until))
                except OSError as e:
                    log.warning("cannot snooze: %s", e)
            elif action == "done":
                evs += self.pipeline.policy.acknowledge(kind, t)
            for ack in evs:
                self._dispatch(ack)
            out += evs
        return out

    def _camera_step(self, paused: bool) -> list[Event]:
        from sitwatch.camera.source import PoseReading

        assert self.camera_source is not None and self.camera is not None
        out: list[Event] = []
        for item in self.camera_source.poll(0):
            if isinstance(item, PoseReading):
                if paused:
                    continue
                evs = self.camera.process(item)
                if self.source is None:
                    self._sample(item.t, online=True)
            elif isinstance(item, Status):
                evs = self.camera.sensor(item.t, item.online, item.reason)
            elif isinstance(item, Diagnosis):
                evs = [
                    Event(item.t, E.DIAGNOSIS, None, {"message": item.message, "source": "camera"})
                ]
            else:
                continue
            for ev in evs:
                self._dispatch(ev)
            out += evs
        if self.fusion is not None:
            out += self._fuse()
        return out

    def _fuse(self) -> list[Event]:
        """Cushion + camera: one posture by the documented rules (sitwatch.camera.fusion)."""
        assert self.fusion is not None and self.camera is not None
        pl = self.pipeline
        t = self.clock.monotonic()
        occupied = pl.occ.state == "occupied" and pl.online
        cushion = pl.posture.state if occupied else None
        camera = self.camera.posture if occupied and self.camera.online else None
        before = self.fusion.state
        ev = self.fusion.update(t, cushion=cushion, camera=camera)
        if self.fusion.state != before:
            self._fused_since = t
        pl.posture_override = (self.fusion.state, self._fused_since)
        if ev is None:
            return []
        self._dispatch(ev)
        return [ev]

    def _still_applies(self, ev: Event) -> bool:
        pl = self.pipeline
        if pl.occ.state != "occupied":
            return False
        kind = ev.get("kind")
        if kind == "slouch":
            return bool(pl.posture.state == ev.get("posture", "slouched"))
        if kind == "asymmetric_load":
            return pl.balance.state in ("left", "right")
        if kind == "wallet":
            return bool(pl.wallet and pl.wallet.suspected)
        return True

    def _deliver(self, ev: Event) -> None:
        if self.sinks is not None:
            self.sinks.handle(ev)

    def _dispatch(self, ev: Event) -> None:
        self.events += 1
        if ev.event == E.NUDGE and not self.cfg.nudges.enabled:
            return
        if ev.event == E.NUDGE and self.gate is not None:
            from sitwatch.nudging.gate import DELIVER, HOLD

            d = self.gate.decide(ev)
            if d.action != DELIVER:
                self.pipeline.policy.forget(str(ev.get("kind")), ev.t)
                ev = Event(
                    ev.t,
                    ev.event,
                    ev.state,
                    {
                        **ev.data,
                        "delivered": False,
                        "held" if d.action == HOLD else "dropped": d.reason,
                    },
                )
        if self.sinks is not None and ev.get("delivered", True):
            self.sinks.handle(ev)
        if self.store is not None:
            try:
                self.store.add_event(ev)
            except Exception as e:  # a broken disk must not stop the nudges
                log.warning("history: cannot store an event: %s", e)
        if self.status is not None:
            self.status.on_event(ev)
        if ev.event == E.CALIBRATION and ev.state == "baseline" and self.save_profile:
            self._save_learned()
        for fn in self.listeners:
            fn(ev)

    def _save_learned(self) -> None:
        from sitwatch.sensing.calibration import from_arrays

        pl = self.pipeline
        if pl.upright_raw is None or self.save_profile is None:
            return
        prof = from_arrays(self.layout, tare=pl.ex.tare, upright=pl.upright_raw, method="auto")
        prof.note = "learned automatically while you sat"
        try:
            self.save_profile(prof)
        except OSError as e:
            log.warning("cannot save the learned calibration: %s", e)

    def _sample(self, t: float, *, online: bool) -> None:
        if self.store is None:
            return
        last = self._last_sample
        self._last_sample = t
        if last is None:
            return
        dt = max(0.0, t - last)
        pl = self.pipeline
        f = pl.f
        if self.source is None and self.camera is not None:
            snap = self.camera.snapshot(t)
            try:
                self.store.add_sample(
                    dt,
                    occupied=online and snap.present is True,
                    posture=snap.posture,
                    balance=None,
                    seat_load=None,
                    cop_x=None,
                    cop_y=None,
                    online=online,
                )
            except Exception as e:
                log.warning("history: cannot store a sample: %s", e)
            return
        try:
            self.store.add_sample(
                dt,
                occupied=online and pl.occ.state == "occupied",  # offline: we do not know
                posture=pl.posture.state,
                balance=pl.balance.state,
                seat_load=f.seat_load if f else None,
                cop_x=f.cop_x if f else None,
                cop_y=f.cop_y if f else None,
                online=online,
            )
        except Exception as e:
            log.warning("history: cannot store a sample: %s", e)

    def _mqtt(self) -> Any:
        for s in getattr(self.sinks, "sinks", ()):
            if getattr(s, "name", "") == "mqtt":
                return s
        return None

    def _backup(self, now: float) -> None:
        """A daily copy of the history (SD cards fail), keeping the last BACKUPS_KEPT."""
        if self.store is None or self.backup_dir is None or now < self._next_backup:
            return
        self._next_backup = now + BACKUP_EVERY
        dest = self.backup_dir / f"history-{self.clock.now():%Y-%m-%d}.sqlite"
        try:
            self.backup_dir.mkdir(parents=True, exist_ok=True)
            self.store.backup(dest)
            old = sorted(self.backup_dir.glob("history-*.sqlite"))[:-BACKUPS_KEPT]
            for f in old:
                f.unlink(missing_ok=True)
        except Exception as e:
            log.warning("history backup to %s failed: %s", dest, e)

    def _publish(self, now: float) -> None:
        """Once a second: dropped-line counts into the history, live state into the status."""
        self._backup(now)
        src = self.source if self.source is not None else self.camera_source
        stats = src.stats() if src is not None else {}
        pl = self.pipeline
        if self.store is not None and self.source is not None:
            total = int(str(stats.get("dropped_total", 0) or 0))
            if total > self._dropped_seen:
                try:
                    self.store.add_sample(
                        0.0,
                        occupied=pl.occ.state == "occupied",
                        posture=pl.posture.state,
                        balance=pl.balance.state,
                        seat_load=None,
                        cop_x=None,
                        cop_y=None,
                        online=pl.online,
                        dropped=total - self._dropped_seen,
                        frames=0,
                    )
                except Exception as e:
                    log.warning("history: cannot store a sample: %s", e)
            self._dropped_seen = total
        snap = pl.snapshot(now)
        mqtt = self._mqtt()
        if self.status is None and mqtt is None:
            return
        if self.source is None and self.camera is not None:  # camera only
            cs = self.camera.snapshot(now)
            occ = None if cs.present is None else ("occupied" if cs.present else "empty")
            snap = replace(
                snap, occupancy=occ, posture=cs.posture, spell=cs.spell or 0.0, balance=None
            )
        elif self.fusion is not None:
            snap = replace(snap, posture=self.fusion.state)
        if mqtt is not None and mqtt.state_due():
            mqtt.publish_state(
                {
                    "occupancy": snap.occupancy,
                    "posture": snap.posture,
                    "balance": snap.balance,
                    "sitting_seconds": round(snap.spell),
                    "cushion": "online" if pl.online else "offline",
                }
            )
        if self.status is None:
            return
        ctl = self.gate.control.get() if self.gate is not None and self.gate.control else None
        now_wall = self.clock.now()
        self.status.update(
            paused=(ctl.as_dict()["paused_until"] if ctl and ctl.paused(now_wall) else None),
            snoozed=(ctl.as_dict()["snoozed_until"] if ctl and ctl.snoozed(now_wall) else None),
            held=len(self.gate.held) if self.gate is not None else 0,
            occupancy=snap.occupancy,
            spell_seconds=round(snap.spell, 1),
            posture=snap.posture,
            balance=snap.balance,
            sensor={
                "online": (pl.online or self.source is None) and bool(stats.get("online", True)),
                "port": stats.get("port") or getattr(src, "name", None),
                "frames": stats.get("frames"),
                "dropped": stats.get("dropped_total"),
                "last_frame_age": stats.get("last_frame_age"),
                "excluded": snap.bad_channels,
            },
        )

    def close(self) -> None:
        try:
            for src in (self.source, self.camera_source):
                if src is not None:
                    src.close()
        finally:
            if self.store is not None:
                self.store.end_run()
                self.store.close()
            if self.status is not None:
                self.status.close()
            if self.sinks is not None:
                self.sinks.close()


# -- building a daemon from the config -------------------------------------------------------


