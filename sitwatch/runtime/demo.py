"""``sitwatch demo``: the real daemon against a virtual cushion, a whole office day in seconds.

The virtual sitter (sitwatch.sim) follows a scripted day; its frames go through the wire
format and the same Daemon that ``sitwatch run`` uses (pipeline, nudges, SQLite history), with a
clock that jumps ahead instead of waiting. The nudge rules that do not depend on the desktop hold
as they do there (the daily cap, quiet hours, the schedule); a nudge they keep back is said. A
live view shows what sitwatch sees next to what the sitter is really doing; at the end come the
day's summary and the report from the history.
Nothing is written outside a temporary folder, and no desktop notification is sent unless asked.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from sitwatch.config import Config
from sitwatch.core import durations
from sitwatch.core import events as E
from sitwatch.core.clock import ManualClock
from sitwatch.core.events import Event
from sitwatch.core.kinds import Occupancy, Posture, WalletState, label
from sitwatch.nudging.gate import NudgeGate
from sitwatch.runtime.daemon import Daemon
from sitwatch.runtime.tally import Tally
from sitwatch.sensing.layout import Layout
from sitwatch.sources.sim import SimSource


class DemoView:
    """The demo's own sink: every delivered event with its (simulated) wall time."""

    name = "demo"

    def __init__(self) -> None:
        self.log: list[tuple[datetime, Event]] = []
        self.clock: ManualClock | None = None
        self._known = False  # the seat's first state has been reported

    def handle(self, ev: Event) -> None:
        assert self.clock is not None
        if ev.event == E.OCCUPANCY and not self._known:
            self._known = True
            if ev.state == Occupancy.EMPTY:
                return  # how the seat was found at the start, not someone getting up
        self.log.append((self.clock.now(), ev))

    def kept_back(self, ev: Event) -> None:
        """A nudge the gate did not send (the daily cap, quiet hours): the sinks never see
        one, the demo says so in its place."""
        assert self.clock is not None
        if ev.event == E.NUDGE and not ev.get("delivered", True):
            self.log.append((self.clock.now(), ev))

    def close(self) -> None:
        pass


def _hm(s: float) -> str:
    m = int(s // 60)
    return f"{m // 60}:{m % 60:02d}"


def describe(ev: Event) -> str | None:
    if ev.event == E.NUDGE and not ev.get("delivered", True):
        why = ev.get("dropped") or ev.get("held") or "kept back"
        return f"(not sent, {why}) {ev.get('title')}"
    if ev.event == E.NUDGE:
        return f"NUDGE  {ev.get('title')}: {ev.get('message')}"
    if ev.event == E.OCCUPANCY:
        return "sat down" if ev.state == Occupancy.OCCUPIED else "got up"
    if ev.event == E.POSTURE:
        return f"posture: {label(ev.state)}"
    if ev.event == E.BALANCE:
        return f"balance: {ev.state}"
    if ev.event == E.BREAK:
        away, spell = ev.get("duration", 0) / 60, ev.get("spell", 0) / 60
        return f"break of {away:.0f} min after {spell:.0f} min seated"
    if ev.event == E.WALLET:
        return f"wallet {ev.state}" + (
            f" ({ev.get('side')} back pocket?)" if ev.get("side") else ""
        )
    if ev.event == E.CALIBRATION and ev.state == "baseline":
        return "learned your upright posture (automatic calibration)"
    return None


class DemoInterrupted(Exception):
    """Ctrl-C during the demo, once the daemon was closed (what it wrote is whole):
    ``reached`` is the simulated moment it had got to (None: before the first)."""

    def __init__(self, reached: datetime | None) -> None:
        super().__init__("the demo was interrupted")
        self.reached = reached


def run_demo(
    *,
    layout: Layout,
    seed: int = 7,
    script: str = "day",
    hz: float = 5.0,
    speed: float = 0.0,
    out: TextIO = sys.stdout,
    live: bool | None = None,
    workdir: Path | None = None,
    cfg: Config | None = None,
    history: Path | None = None,
    days: int = 1,
    settings: str | None = None,
) -> dict[str, Any]:
    """A simulated office day through the real daemon, printed as it goes, then its report.

    ``history``: keep the history in this SQLite file (created owner-only if new) instead of a
    temporary folder, so that ``sitwatch report --history FILE`` can show it; ``days`` > 1 first
    fills it with that many earlier simulated days (quietly), for the weekly report.
    ``settings``: where ``cfg`` came from, said under the title ("Using ...")."""
    from sitwatch.history.store import Store
    from sitwatch.reports.text import daily_text
    from sitwatch.sim.script import script_by_name
    from sitwatch.sim.simulator import Simulator

    cfg = cfg or Config()
    scr = script_by_name(script, seed)
    sim = Simulator(layout, scr, hz, seed)
    start = datetime.now().astimezone().replace(hour=8, minute=30, second=0, microsecond=0)
    clock = ManualClock(start)
    src = SimSource(sim, clock)
    view = DemoView()
    view.clock = clock
    tmp = (tempfile.TemporaryDirectory(prefix="sitwatch-demo-")
           if workdir is None and history is None else None)
    wd = Path(tmp.name) if tmp else Path(workdir or ".")
    db = history if history is not None else wd / "history.sqlite"
    if days > 1:
        fill_history(db, layout, start, days - 1, seed, cfg, script=script)
    try:
        store = Store(db, clock)
    except KeyboardInterrupt:
        raise DemoInterrupted(None) from None
    tally = Tally()
    daemon = Daemon(cfg, layout, src, clock, sinks=view, store=store, gate=_gate(cfg, clock))
    use_live = (out.isatty() if live is None else live) and _has_rich()
    printed = 0
    wall0 = time.monotonic()

    def flush_plain() -> None:
        nonlocal printed
        for when, ev in view.log[printed:]:
            text = describe(ev)
            if text:
                out.write(f"{when:%H:%M}  {text}\n")
        printed = len(view.log)

    using = f"Using {settings}.\n" if settings else ""
    try:
        if use_live:
            if using:
                out.write(using)
            _run_live(daemon, src, view, tally, scr, clock, cfg, out, speed)
        else:
            out.write(f"sitwatch demo: a simulated office day on a virtual {layout.name} "
                      f"cushion\n{using}\n")
            while not src.done:
                for ev in daemon.step(0):
                    tally.event(ev)
                    view.kept_back(ev)
                tally.frame(daemon.snapshot())
                flush_plain()
                if speed > 0:
                    _pace(wall0, src.t, speed)
    except KeyboardInterrupt:
        daemon.close()  # the run closed as a stopped daemon closes it
        if tmp:
            tmp.cleanup()
        raise DemoInterrupted(clock.now() if src.frames else None) from None
    daemon.close()
    wall = time.monotonic() - wall0
    day = start.date()
    store_r = Store(db, clock, readonly=True)
    try:
        report = daily_text(store_r, day, start.tzinfo, sit_limit=cfg.detect.sit_limit)  # type: ignore[arg-type]
    finally:
        store_r.close()
    out.write("\n" + "=" * 72 + "\n")
    out.write(
        f"Simulated {_hm(src.t)} h of sitting life in {wall:.1f} s "
        f"({src.frames} frames, x{src.t / max(wall, 1e-9):.0f} real time).\n\n"
    )
    out.write("What sitwatch measured:\n" + _indent(tally.text()) + "\n\n")
    out.write("What the virtual sitter really did:\n" + _indent(_truth(scr)) + "\n\n")
    out.write("The day's report, read back from the history database:\n" + _indent(report) + "\n")
    if tmp:
        tmp.cleanup()
    return {"tally": tally, "events": [ev for _, ev in view.log], "script": scr, "wall": wall}


def fill_history(db: Path, layout: Layout, today: datetime, days: int, seed: int,
                 cfg: Config, *, script: str = "day") -> None:
    """``days`` simulated office days before ``today`` into the history at ``db``, one script
    per day (a different seed each), through the real daemon and nothing else."""
    from datetime import timedelta

    from sitwatch.history.store import Store
    from sitwatch.sim.script import script_by_name
    from sitwatch.sim.simulator import Simulator

    for back in range(days, 0, -1):
        day_seed = seed + back
        clock = ManualClock(today - timedelta(days=back))
        src = SimSource(Simulator(layout, script_by_name(script, day_seed), 5.0, day_seed), clock)
        daemon = Daemon(cfg, layout, src, clock, store=Store(db, clock), gate=_gate(cfg, clock))
        try:
            while not src.done:
                daemon.step(0)
        except KeyboardInterrupt:
            raise DemoInterrupted(clock.now()) from None
        finally:
            daemon.close()


def _gate(cfg: Config, clock: ManualClock) -> NudgeGate:
    """The nudge rules that hold whatever the desktop does, as ``sitwatch run`` applies them:
    the daily cap, quiet hours, the working schedule. No do-not-disturb (the demo's desktop is
    not the sitter's) and no control file (a real snooze or pause must not silence the demo,
    nor the demo touch them)."""
    return NudgeGate(cfg.nudges, clock)


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


def _truth(scr: Any) -> str:
    spells = scr.spells(120.0)
    longest = max((b - a for a, b in spells), default=0.0)
    seated = sum(b - a for a, b in scr.episodes(lambda b: b.present))

    def total(pred: Any) -> float:
        return float(sum(b - a for a, b in scr.episodes(pred)))

    def minutes(pred: Any) -> str:
        return f"{total(lambda b: b.present and pred(b)) / 60:.0f} min"

    lines = [
        f"Seated            {_hm(seated)} h in {len(spells)} spells, "
        f"longest {longest / 60:.0f} min",
        f"Slouched          {minutes(lambda b: b.posture == Posture.SLOUCHED)}",
        f"Leaning forward   {minutes(lambda b: b.posture == Posture.LEANING_FORWARD)}",
        f"Reclined          {minutes(lambda b: b.posture == Posture.RECLINED)}",
        f"Leaning sideways  {minutes(lambda b: abs(getattr(b, 'lean', 0.0)) > 0.3)}",
        f"Wallet in pocket  {minutes(lambda b: getattr(b, 'wallet', None) is not None)}"
        " (it tilts the pelvis, so it can read as lopsided too)",
    ]
    return "\n".join(lines)


def _pace(wall0: float, sim_t: float, speed: float) -> None:
    ahead = sim_t / speed - (time.monotonic() - wall0)
    if ahead > 0:
        time.sleep(min(ahead, 0.5))


def _has_rich() -> bool:
    try:
        import rich  # noqa: F401
    except ImportError:
        return False
    return True


def _run_live(
    daemon: Daemon,
    src: SimSource,
    view: DemoView,
    tally: Tally,
    scr: Any,
    clock: ManualClock,
    cfg: Config,
    out: TextIO,
    speed: float,
) -> None:
    from rich.console import Console, Group
    from rich.live import Live
    from rich.panel import Panel
    from rich.progress_bar import ProgressBar
    from rich.table import Table
    from rich.text import Text

    console = Console(file=out)
    wall0 = time.monotonic()
    last_draw = 0.0
    limit = cfg.detect.sit_limit

    def render() -> Any:
        snap = daemon.snapshot()
        truth = scr.truth_at(src.t)
        state = Table.grid(padding=(0, 2))
        state.add_column(style="bold")
        state.add_column()
        state.add_column(style="dim")
        seated = snap.occupied
        state.add_row(
            "time",
            clock.now().strftime("%H:%M"),
            f"x{src.t / max(time.monotonic() - wall0, 1e-9):.0f} real time",
        )
        state.add_row(
            "seat",
            Occupancy.OCCUPIED if seated else (snap.occupancy or "..."),
            "sitter: " + (truth.describe() if hasattr(truth, "describe") else ""),
        )
        bar = ProgressBar(
            total=limit,
            completed=min(snap.spell, limit),
            width=30,
            complete_style="red" if snap.spell >= limit else "green",
        )
        spell = Table.grid()
        spell.add_row(bar, Text(f" {durations.words(snap.spell)} / {durations.setting(limit)}"))
        state.add_row("sitting", spell, "")
        state.add_row(
            "posture",
            label(snap.posture) or "-",
            f"calibration: {snap.calibrated or 'learning'}",
        )
        state.add_row("balance", snap.balance or "-", f"shift {snap.shift:+.2f}")
        state.add_row("wallet", WalletState.SUSPECTED if snap.wallet else "-", "")
        log = Table.grid(padding=(0, 1))
        recent = [(w, e) for w, e in view.log if describe(e)][-9:]
        for when, ev in recent:
            text = describe(ev) or ""
            style = "bold yellow" if ev.event == E.NUDGE else ""
            log.add_row(Text(when.strftime("%H:%M"), style="dim"), Text(text, style=style))
        return Group(
            Panel(state, title="sitwatch demo: what the cushion tells us"),
            Panel(log, title="events and nudges"),
        )

    with Live(render(), console=console, refresh_per_second=12, transient=False) as live:
        while not src.done:
            for ev in daemon.step(0):
                tally.event(ev)
                view.kept_back(ev)
            tally.frame(daemon.snapshot())
            now = time.monotonic()
            if now - last_draw > 1 / 15:
                live.update(render())
                last_draw = now
            if speed > 0:
                _pace(wall0, src.t, speed)
        live.update(render())


