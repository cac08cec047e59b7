"""``sitwatch feedback wrong [KIND] | reset [KIND] | show``: tell sitwatch a nudge was a false
alarm, undo what that changed, or see it.

While the daemon runs, ``wrong`` and ``reset`` are handed to it as a request in the control file
(the way ``snooze`` reaches it), because it has the seat's state at hand to record with the
report; the command waits a few seconds for the answer in the feedback file and shows it. With
no daemon running the command changes the feedback file itself (and the history), and the
thresholds apply at the next start.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from sitwatch.cli.common import (
    EXIT_CONFIG,
    EXIT_FAIL,
    EXIT_OK,
    access_hint,
    config_errors,
    err,
    follow_running_daemon,
    load_config,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from sitwatch.config import Config
    from sitwatch.core.kinds import FeedbackKind
    from sitwatch.nudging.feedback import Entry, State

ANSWER_WITHIN = 6.0  # seconds the command waits for the running daemon's answer


def run(args: argparse.Namespace) -> int:
    from sitwatch import config
    from sitwatch.nudging import feedback as fb

    follow_running_daemon()
    try:
        cfg = load_config(args)
    except config.ConfigError as e:
        return config_errors(e)
    path, ran = _feedback_file(cfg)
    try:
        # the config as the daemon ran it (`run --layout`, `--calibration`, the simulator): the
        # thresholds it started from are that layout's, as its profile's references tuned them
        over = ran.overrides(cfg)
        if over:
            cfg = load_config(args, over)
    except config.ConfigError as e:
        return config_errors(e)
    try:
        state = fb.load(path)
    except fb.FeedbackError as e:
        if args.action != "reset" or getattr(args, "kind", None):
            err(f"{e}\n  fix: `sitwatch feedback reset` starts afresh (your thresholds go back "
                "to the configured ones)")
            return EXIT_CONFIG
        state = fb.State()
    if args.action == "show":
        return _show(cfg, state, path, as_json=args.json, camera_only=ran.camera_only(cfg))
    kind: FeedbackKind | None = None
    if args.kind:
        try:
            kind = fb.parse_kind(args.kind)
        except ValueError as e:
            err(str(e))
            return EXIT_CONFIG
    refused = _read_only_refusal(cfg, ran, args.action, kind)
    if refused:
        err(refused)
        return EXIT_CONFIG
    nudge: Shown | None = None
    if args.action == "wrong":
        picked = _which_nudge(cfg, kind, state, force=getattr(args, "force", False))
        if isinstance(picked, int):
            return picked
        kind, nudge = picked
    try:
        return _apply(cfg, args.action, kind, state, path, nudge,
                      profile_writable=not ran.read_only)
    except PermissionError as e:
        err(f"cannot write {e.filename or path}: {e.strerror or e}; "
            f"{access_hint(Path(e.filename or path), 'feedback ' + args.action)}")
        return EXIT_FAIL
    except OSError as e:
        err(f"cannot write {e.filename or path}: {e.strerror or e}")
        return EXIT_FAIL


class Ran(NamedTuple):
    """How the daemon whose feedback file is used ran, where its status file says so (None:
    as the config says, or not named by an older daemon)."""

    layout: str | None = None  # the layout spec (`run --layout`)
    profile: Path | None = None  # its calibration profile (`run --calibration`, the simulator's)
    read_only: bool = False  # ... which it never writes (`run --calibration`): nor may we
    camera: bool | None = None  # it ran with a camera and no cushion (None: not known)

    def camera_only(self, cfg: Config) -> bool:
        """That daemon had no cushion (else, not known: the config has none), so no threshold
        "Not right" moves: its answers are recorded only."""
        from sitwatch.runtime.files import camera_alone

        return self.camera if self.camera is not None else camera_alone(cfg)

    def overrides(self, cfg: Config) -> dict[str, str]:
        """The config keys to load the config with, so that it is the one the daemon ran."""
        from sitwatch.runtime.files import profile_path

        over: dict[str, str] = {}
        if self.layout is not None and self.layout != cfg.cushion.layout:
            over["cushion.layout"] = self.layout
        if self.profile is not None and self.profile != profile_path(cfg).absolute():
            over["calibration.profile"] = str(self.profile)
        return over


def _read_only_refusal(cfg: Config, ran: Ran, action: str,
                       kind: FeedbackKind | None) -> str | None:
    """Why a "Not right" about a learned way of sitting, or its reset, is refused while no
    daemon runs: the last daemon ran from a profile named with ``run --calibration``, which it
    only reads (``keep_learned``), so this command must not write it either (the next
    ``run --calibration`` would start from ways the sitter never saw it forget, or the sitter's
    own file would change behind their back). None: nothing against it. A running daemon
    takes the request itself and keeps the change in memory."""
    from sitwatch.core.clock import SystemClock
    from sitwatch.core.kinds import FeedbackKind
    from sitwatch.runtime.files import status_path, status_stale_after
    from sitwatch.runtime.status import read_status

    if kind != FeedbackKind.LEARNED or not ran.read_only or ran.profile is None:
        return None
    if read_status(status_path(cfg), SystemClock(),
                   stale_after=status_stale_after(cfg)).get("running"):
        return None
    return (f"`sitwatch feedback {action} learned` would change {ran.profile}, which the last "
            "`sitwatch run --calibration` only read (sitwatch never writes a profile named "
            "there); say it while that sitwatch runs (the change then lasts until it stops), "
            f"or set calibration.profile = \"{ran.profile}\" in the config and run sitwatch "
            "without --calibration to let it keep what it learns in that file")


def _named(d: Mapping[str, Any], key: str) -> str | None:
    value = d.get(key)
    return value if isinstance(value, str) and value else None


def _feedback_file(cfg: Config) -> tuple[Path, Ran]:
    """The feedback file the daemon uses: the running one's, else the last one's, as its status
    file names it, else the config's; and how that daemon ran (:class:`Ran`). The daemon may run
    with other flags than this command (`run --layout`, `--port`, `--calibration`, the
    simulator's folder): the config alone then names a file it never reads, a layout whose own
    defaults are not the config layout's, and a profile whose reference postures tuned other
    thresholds. A note says so when the files differ (on stderr: `show --json` stays JSON)."""
    from sitwatch.core.clock import SystemClock
    from sitwatch.runtime.files import camera_alone, feedback_path, status_path
    from sitwatch.runtime.status import camera_only, read_status

    mine = feedback_path(cfg, camera_only=camera_alone(cfg))
    d = read_status(status_path(cfg), SystemClock(), stale_after=float("inf"))
    named = _named(d, "feedback_file")
    if named is None:
        return mine, Ran()
    profile = _named(d, "profile_file")
    ran = Ran(_named(d, "layout"), Path(profile) if profile else None,
              read_only=d.get("profile_read_only") is True,
              camera=camera_only(d) if isinstance(d.get("sensor"), dict) else None)
    if Path(named) == mine:
        return mine, ran
    theirs = Path(named)
    if d.get("running"):
        err(f"note: the running sitwatch keeps its feedback in {theirs}; this config alone "
            f"would use {mine} (sitwatch was started with another layout, cushion, camera "
            "or calibration file). Using the running sitwatch's.")
    else:
        err(f"note: the last sitwatch that ran kept its feedback in {theirs}; this config "
            f"alone would use {mine} (that run had another layout, cushion, camera or "
            "calibration file). Using the last run's, which `sitwatch run` started the same way "
            "uses.")
    return theirs, ran


# -- which nudge -------------------------------------------------------------------------------


class Shown(NamedTuple):
    """A posture nudge that was shown: when (ISO time), and the sensors that saw its posture
    as the nudge named them (() for none named: the cushion's; None: not known)."""

    at: str
    seen_by: tuple[str, ...] | None = None


def _sensors(info: Mapping[str, Any]) -> tuple[str, ...]:
    """The sensors a nudge (its event data, or its entry in the status file) names."""
    seen = info.get("seen_by")
    return tuple(str(x) for x in seen) if isinstance(seen, list) else ()


def shown_nudges(cfg: Config) -> dict[FeedbackKind, Shown]:
    """When the last nudge of each posture kind was shown, and what saw it: from the status file
    (the daemon writes each nudge there as it is shown), else from the history. Nudges that were
    held or dropped were not shown, and count in neither."""
    from sitwatch.core.clock import SystemClock
    from sitwatch.nudging import feedback as fb
    from sitwatch.runtime.files import history_path, status_path
    from sitwatch.runtime.status import read_status

    d = read_status(status_path(cfg), SystemClock(), stale_after=float("inf"))
    found = _from_history(history_path(cfg))
    for kind, info in (d.get("nudges") or {}).items():
        if not isinstance(info, dict) or not info.get("at"):
            continue
        fk = fb.kind_of({"kind": kind, **({"posture": info["posture"]}
                                          if info.get("posture") else {})})
        if fk is not None and _later(str(info["at"]), found.get(fk)):
            at, earlier = str(info["at"]), found.get(fk)
            # an older daemon's status file names no sensors: the history's, for the same nudge
            seen = _sensors(info) if "seen_by" in info else None
            if seen is None and earlier is not None and fb.same_nudge(earlier.at, at):
                seen = earlier.seen_by
            found[fk] = Shown(at, seen)
    return found


def _later(at: str, than: Shown | None) -> bool:
    from datetime import datetime

    if than is None:
        return True
    try:
        return datetime.fromisoformat(at) >= datetime.fromisoformat(than.at)
    except (TypeError, ValueError):
        return True


def last_posture_nudge(cfg: Config) -> tuple[FeedbackKind, Shown] | None:
    """(kind, when shown and what saw it) of the last posture nudge shown, or None."""
    shown = shown_nudges(cfg)
    if not shown:
        return None
    return max(shown.items(), key=lambda kv: _epoch(kv[1].at))


def _epoch(at: str) -> float:
    from datetime import datetime

    try:
        return datetime.fromisoformat(at).timestamp()
    except (TypeError, ValueError):
        return 0.0


def _from_history(path: Path) -> dict[FeedbackKind, Shown]:
    """When the last nudge of each posture kind was shown (and what saw it), from the history's
    last nudges."""
    import sqlite3

    from sitwatch.core.events import NUDGE
    from sitwatch.nudging import feedback as fb

    if not path.is_file():
        return {}
    import json
    from datetime import datetime
    from urllib.parse import quote

    try:
        con = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True)
        try:
            rows = con.execute("SELECT ts, data FROM events WHERE event = ? ORDER BY epoch DESC, "
                               "id DESC LIMIT 200", (str(NUDGE),)).fetchall()
        finally:
            con.close()
    except sqlite3.Error:
        return {}
    out: dict[FeedbackKind, Shown] = {}
    for ts, text in rows:
        try:
            data = json.loads(text)
            at = datetime.fromisoformat(ts).isoformat(timespec="seconds")
        except (TypeError, ValueError):
            continue
        if isinstance(data, dict) and data.get("delivered", True):
            kind = fb.kind_of(data)
            if kind is not None and kind not in out:
                out[kind] = Shown(at, _sensors(data))
    return out


def _which_nudge(cfg: Config, kind: FeedbackKind | None, state: State, *,
                 force: bool) -> tuple[FeedbackKind, Shown] | int:
    """The nudge a "Not right" answers: (its kind, when it was shown, '' for none in particular
    with ``force``, and what saw it), or the exit status after saying why there is none to
    answer (none shown, or already answered: one nudge, one answer)."""
    from sitwatch.core.kinds import FeedbackKind
    from sitwatch.nudging import feedback as fb

    if kind == FeedbackKind.LEARNED:  # a notice, not a nudge: the daemon's profile decides
        if _nothing_learned(cfg, state):
            from sitwatch.nudging.answers import NOTHING_LEARNED

            err(NOTHING_LEARNED)
            return EXIT_CONFIG
        return kind, Shown("")
    if kind is None:
        last = last_posture_nudge(cfg)
        if last is None:
            # a kind named without a nudge of it shown needs --force: say so, or the advice
            # given here was refused on the next try
            kinds = ", ".join(k for k in fb.TYPED if k != FeedbackKind.LEARNED)
            err("no nudge about posture yet that could be wrong; to make one kind less "
                f"sensitive anyway: `sitwatch feedback wrong KIND --force` ({kinds}); for a way "
                "of sitting upright it said it learned: `sitwatch feedback wrong learned`")
            return EXIT_CONFIG
        kind, shown = last
    else:
        found = shown_nudges(cfg).get(kind)
        if found is None:
            if force:
                return kind, Shown("")
            err(f"sitwatch has not shown a {fb.label(kind)} nudge lately, so there is none to "
                f"answer. To make {fb.label(kind)} less sensitive anyway, add --force: "
                f"`sitwatch feedback wrong {fb.typed(kind)} --force`")
            return EXIT_CONFIG
        shown = found
    at = shown.at
    earlier = state.answer_to(kind, at)
    if earlier is None:
        return kind, shown
    if force:
        return kind, Shown("")
    from datetime import datetime

    from sitwatch.nudging.answers import already_noted

    said = already_noted(kind, at, earlier.at, datetime.now().astimezone())
    print(f"{said.removesuffix('.')}; `sitwatch feedback wrong {fb.typed(kind)} --force` eases "
          "it one more step.")
    return EXIT_OK


def _nothing_learned(cfg: Config, state: State) -> bool:
    """Would a "Not right" about a learned way of sitting find nothing to forget? Asked before
    anything is recorded, because an answer about nothing is not one to keep (exit 2, like a
    "Not right" with no nudge shown). Only when it could otherwise change something: learning
    on, the cap not reached, a cushion. The ways learned are the running daemon's (its status
    file), else the saved profile's."""
    from sitwatch.core.clock import SystemClock
    from sitwatch.core.kinds import FeedbackKind
    from sitwatch.runtime.files import status_path, status_stale_after
    from sitwatch.runtime.status import camera_only, read_status

    if not cfg.feedback.enabled or state.steps_of(FeedbackKind.LEARNED) >= cfg.feedback.max_steps:
        return False
    running = read_status(status_path(cfg), SystemClock(), stale_after=status_stale_after(cfg))
    if running.get("running"):
        ways = (running.get("calibration") or {}).get("learned")
        return not camera_only(running) and isinstance(ways, int) and ways == 0
    cushion = bool(cfg.cushion.port) or cfg.camera.device == ""
    return cushion and _profile_change(cfg, "reject") is None


# -- doing it ----------------------------------------------------------------------------------


def _apply(cfg: Config, action: str, kind: FeedbackKind | None, state: State, path: Path,
           nudge: Shown | None = None, *, profile_writable: bool = True) -> int:
    from sitwatch.core.clock import SystemClock
    from sitwatch.nudging import feedback as fb
    from sitwatch.nudging.answers import feedback_said
    from sitwatch.runtime.files import control_path, status_path, status_stale_after
    from sitwatch.runtime.status import camera_only, read_status

    clock = SystemClock()
    running = read_status(status_path(cfg), clock, stale_after=status_stale_after(cfg))
    base = _base(cfg)
    # a camera and no cushion (the running daemon's setup, else the config's; with neither
    # configured the cushion may come from `run --port`): nothing to ease, recorded only
    cushion = (not camera_only(running) if running.get("running")
               else bool(cfg.cushion.port) or cfg.camera.device == "")
    if running.get("running"):
        import time
        import uuid

        from sitwatch.nudging import control

        rid = uuid.uuid4().hex[:12]
        control.add_request(control_path(cfg), control.Request(
            rid, action, kind, clock.now(), None if nudge is None else nudge.at,
            None if nudge is None else nudge.seen_by))
        deadline = time.monotonic() + ANSWER_WITHIN
        while time.monotonic() < deadline:
            try:
                after = fb.load(path)
            except fb.FeedbackError:
                after = None
            entry = after.answered(rid) if after is not None else None
            if after is not None and entry is not None:
                print(feedback_said(base, entry, state, after, cushion=cushion))
                return EXIT_OK
            time.sleep(0.1)  # the daemon looks at the control file once a second
        err(f"the running sitwatch did not answer within {ANSWER_WITHIN:g} s; the request "
            f"stays in {control_path(cfg)} for 5 minutes (see `sitwatch status` and the log)")
        return EXIT_FAIL
    entry, after = _offline(cfg, action, kind, state, path, nudge or Shown(""), cushion=cushion,
                            profile_writable=profile_writable)
    print(feedback_said(base, entry, state, after, cushion=cushion))
    from sitwatch.core.kinds import FeedbackKind

    if action == "wrong" and (not cushion or entry.camera_alone):
        pass  # nothing to apply at the next start
    elif kind != FeedbackKind.LEARNED:
        print("(sitwatch is not running: this applies when it starts)")
    elif _changed_learned(entry, state):
        print("(sitwatch is not running: the saved profile is changed, and it starts from it)")
    return EXIT_OK


def _changed_learned(entry: Entry, before: State) -> bool:
    """A "Not right" about a learned way, or its reset, changed the profile."""
    from sitwatch.core.kinds import FeedbackKind

    if entry.action == "wrong":
        return entry.applied
    return before.steps_of(FeedbackKind.LEARNED) > 0


def _offline(cfg: Config, action: str, kind: FeedbackKind | None, state: State,
             path: Path, nudge: Shown, *, cushion: bool = True,
             profile_writable: bool = True) -> tuple[Entry, State]:
    """No daemon: change the file, and add the row to the history if there is one. Without a
    ``cushion``, or on a ``nudge`` only the camera saw, a "Not right" is recorded and changes
    nothing (as the daemon does). Without ``profile_writable`` (a profile the daemon only
    reads) a reset of every kind leaves the profile's rejected ways as they are."""
    from datetime import datetime

    from sitwatch.core.kinds import FeedbackKind
    from sitwatch.nudging import feedback as fb
    from sitwatch.runtime.files import profile_path

    now = datetime.now().astimezone()
    at = now.isoformat(timespec="seconds")
    learned = kind == FeedbackKind.LEARNED
    if action == "wrong":
        assert kind is not None
        change = _profile_change(cfg, "reject") if learned and cushion else None
        after, entry = fb.wrong(state, kind, cfg.feedback, at=at, source="cli",
                                possible=cushion and (not learned or change is not None),
                                nudge=nudge.at, seen_by=nudge.seen_by or ())
        if change is not None and entry.applied:
            change()
    else:
        after, entry = fb.reset(state, kind, at=at, source="cli")
        change = _profile_change(cfg, "forget") if learned or kind is None else None
        if change is not None and not profile_writable:
            err(f"note: {profile_path(cfg)} is left as it is (the last sitwatch ran with it "
                "named by --calibration, and only read it): the ways of sitting rejected in "
                "it stay rejected")
        elif change is not None:
            change()
    fb.save(after, path)
    _history(cfg, entry, state, after, now)
    return entry, after


def _profile_change(cfg: Config, what: str) -> Callable[[], None] | None:
    """What a "Not right" about a learned way of sitting (``reject``) or a reset of it
    (``forget`` the rejected ways) does to the saved profile while no daemon runs: a function
    that saves the changed profile, or None when there is nothing to change (no profile, an
    unreadable one: `sitwatch doctor` says so, no learned way)."""
    from sitwatch.runtime.files import profile_path
    from sitwatch.sensing import calibration
    from sitwatch.sensing.detectors.baseline import REJECTED_KEPT

    p = profile_path(cfg)
    try:
        prof = calibration.load(p) if p.is_file() else None
    except calibration.CalibrationError:
        return None
    if prof is None or prof.learned is None:
        return None
    if what == "reject":
        new = prof.learned.rejecting_last(REJECTED_KEPT)
    else:
        new = prof.learned.model_copy(update={"rejected": []}) if prof.learned.rejected \
            else None
    if new is None:
        return None
    changed = prof.model_copy(update={"learned": None if new.empty else new})
    return lambda: changed.save(p)


def _history(cfg: Config, entry: Entry, before: State, after: State, now: Any) -> None:
    from sitwatch.core.clock import SystemClock
    from sitwatch.history.feedback import FeedbackRow, record
    from sitwatch.history.store import Store, StoreError
    from sitwatch.nudging import feedback as fb
    from sitwatch.runtime.files import history_path

    hp = history_path(cfg)
    if not cfg.history.enabled or not hp.exists():
        return
    moved = fb.moves(_base(cfg), before, after, cfg.feedback)
    try:
        with Store(hp, SystemClock()) as store:
            record(store, FeedbackRow(now, entry.kind, entry.action, entry.steps, entry.applied,
                                      "cli", changes=moved))
    except (StoreError, OSError) as e:
        err(f"note: the history was not updated ({e})")


# -- words -------------------------------------------------------------------------------------


def _base(cfg: Config) -> Config:
    """The config the detectors start from, as `sitwatch run` builds it: the layout's own
    defaults in, and the thresholds the calibration's reference postures tuned, where each
    loads."""
    from sitwatch.config import for_layout
    from sitwatch.runtime.assemble import load_profile
    from sitwatch.sensing import layout, references

    try:
        lay = layout.load(cfg.cushion.layout)
        base = for_layout(cfg, lay)
    except Exception:  # a broken layout (or its [detect] table) is `doctor`'s business
        return cfg
    try:
        prof = load_profile(base, lay, None)
    except Exception:  # so is a broken profile
        return base
    return references.apply(base, prof.tuned if prof else None, cfg)[0]


def _show(cfg: Config, state: State, path: Path, *, as_json: bool, camera_only: bool) -> int:
    """The thresholds "Not right" moved and the last answers. ``camera_only``: the setup has
    no cushion, whose thresholds are the only ones feedback moves: it says so instead of
    calling thresholds it has none of "as configured"."""
    import json

    from sitwatch.core.kinds import FEEDBACK_KINDS
    from sitwatch.nudging import feedback as fb
    from sitwatch.nudging.answers import knob

    base = _base(cfg)
    changes = fb.changes(base, state, cfg.feedback)
    if as_json:
        print(json.dumps({
            "file": str(path),
            "enabled": cfg.feedback.enabled,
            "camera_only": camera_only,
            "steps": dict(state.steps),
            "changes": [{"kind": c.kind, "threshold": c.knob, "configured": c.before,
                         "now": round(c.after, 4), "steps": c.steps} for c in changes],
            "log": [e.model_dump() for e in state.log[-20:]],
        }, indent=2))
        return EXIT_OK
    out = sys.stdout
    if camera_only and not changes:
        out.write("A camera-only setup has no thresholds that \"Not right\" moves (those are "
                  "a cushion's): each answer is recorded only.\n")
    elif not changes:
        out.write("No thresholds moved: they are as configured"
                  + ("" if cfg.feedback.enabled else " (learning from \"Not right\" is off)")
                  + ".\n")
    for kind in FEEDBACK_KINDS:
        mine = [c for c in changes if c.kind == kind]
        if not mine:
            continue
        last = next((e for e in reversed(state.log)
                     if e.kind == kind and e.action == "wrong" and e.applied), None)
        since = f", last on {last.at[:16].replace('T', ' ')}" if last else ""
        out.write(f"{fb.label(kind)}: {mine[0].steps} of {cfg.feedback.max_steps} steps"
                  f"{since}\n")
        for c in mine:
            out.write(f"  {knob(c)}\n")
    from sitwatch.core.kinds import FeedbackKind

    rejected = state.steps_of(FeedbackKind.LEARNED) if cfg.feedback.enabled else 0
    if rejected:
        out.write(f"{fb.label(FeedbackKind.LEARNED)}: {rejected} of {cfg.feedback.max_steps} "
                  "rejected, never learned again (`sitwatch feedback reset learned` lets "
                  f"{'it' if rejected == 1 else 'them'} be learned again)\n")
    recent = state.log[-10:]
    if recent:
        out.write("\nRecent \"Not right\" and resets:\n")
        for e in recent:
            what = fb.label(e.kind) if e.kind else "every kind"
            verb = "not right" if e.action == "wrong" else "reset"
            note = "" if e.applied else (" (recorded only: the camera alone saw it)"
                                         if e.action == "wrong" and e.camera_alone
                                         else " (recorded only)")
            out.write(f"  {e.at[:16].replace('T', ' ')}  {verb:<9} {what} [{e.source}]{note}\n")
    out.write(f"\n({path})\n")
    return EXIT_OK
