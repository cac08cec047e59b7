"""Installing sitwatch as a service: the user unit at login, or the hardened system unit on a
headless box (a Raspberry Pi under the chair).

Every install is a plan first: a list of :class:`Step` (write a file, run a command), shown as
is by ``--dry-run`` and carried out otherwise. The unit files are the shipped ones
(``systemd/``), with ``ExecStart=`` pointed at the sitwatch that runs this command, so a venv or
pipx install works without editing the unit.

Where no systemd user manager answers (a desktop without systemd user sessions, a container),
the user install writes an XDG autostart entry instead, which every freedesktop session starts
at login.

Beside the daemon's unit an install sets up the weekly report's timer (``sitwatch-weekly.timer``:
``sitwatch report --week last --format html``, then ``sitwatch report-send``; ``--no-weekly``
leaves it out)
and, when asked for with ``--with-web``, the web app's unit (``sitwatch serve``). The web app is
opt-in: it needs the ``web`` extra, and it opens a port (on the Pi, the LAN with a token), which
should be somebody's decision rather than a side effect of "start at login". The timer is on by
default: it only writes a page beside the history, and sends it only where
``nudges.push.report_urls`` says so.

Instead of the daemon, ``--companion`` installs ``sitwatch companion`` (a desktop showing the
nudges of a sitwatch elsewhere), and ``--bridge --to URL`` installs ``sitwatch bridge`` (a Pi
publishing its cushion for the sitwatch on the desktop), as a user unit or, with ``--system``,
the hardened system unit.

Files this module writes carry :data:`MARK` on their first line; it replaces or removes only
those, unless told to with ``force``, so a unit somebody wrote by hand is never lost.
"""

from __future__ import annotations

import os
import pwd
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sitwatch.core.paths import system_root
from sitwatch.data import shipped

if TYPE_CHECKING:
    from sitwatch.config import Config

MARK = "# Installed by `sitwatch service install`"
USER_UNIT = "sitwatch.service"
SYSTEM_UNIT = "sitwatch-pi.service"
SYSTEM_USER = "sitwatch"
UDEV_RULE = "99-sitwatch-cushion.rules"
AUTOSTART = "sitwatch.desktop"
SERVE_UNIT = "sitwatch-serve.service"
WEEKLY_UNIT = "sitwatch-weekly.service"
WEEKLY_TIMER = "sitwatch-weekly.timer"
SERVE_AUTOSTART = "sitwatch-serve.desktop"
#: ``sitwatch companion`` (another machine's nudges on this desktop), installed instead of the
#: daemon with ``--companion``
COMPANION_UNIT = "sitwatch-companion.service"
COMPANION_AUTOSTART = "sitwatch-companion.desktop"
#: ``sitwatch bridge`` (this machine's cushion published to MQTT for a sitwatch elsewhere),
#: installed instead of the daemon with ``--bridge``: a user unit, or with ``--system`` a system one
BRIDGE_UNIT = "sitwatch-bridge.service"
SYSTEM_BRIDGE_UNIT = "sitwatch-pi-bridge.service"
SYSTEM_SERVE_UNIT = "sitwatch-pi-serve.service"
SYSTEM_WEEKLY_UNIT = "sitwatch-pi-weekly.service"
SYSTEM_WEEKLY_TIMER = "sitwatch-pi-weekly.timer"
#: the guide to a headless box, as the messages name it (a pipx user has no ``docs/`` folder of
#: the repository at hand; this command prints the installed copy)
PI_DOC = "`sitwatch docs raspberry-pi`"


class ServiceError(Exception):
    """Something the person can fix (not root, a hand-written unit in the way ...): the
    message says what and how."""


@dataclass(frozen=True)
class Step:
    """One thing an install does: write ``text`` to ``path`` (with ``mode``), remove ``path``
    (``text is None`` and no ``argv``), or run ``argv``."""

    what: str
    path: Path | None = None
    text: str | None = None
    mode: int = 0o644
    argv: tuple[str, ...] = ()
    may_fail: bool = False  # e.g. `udevadm control --reload` where udev does not run

    def line(self) -> str:
        """The step as the command lists it: ``what: describe`` (``remove PATH`` alone: the
        word once)."""
        said = self.describe()
        return said if said.startswith(f"{self.what} ") else f"{self.what}: {said}"

    def describe(self) -> str:
        if self.argv:
            return f"run: {shlex.join(self.argv)}"
        if self.text is None:
            return f"remove {self.path}"
        return f"write {self.path} (mode {self.mode:o})"


@dataclass
class Plan:
    steps: list[Step] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # a dry run's plan of an install that would stop here: why, and where the steps shown
    # would be done instead (for the user to see what it writes)
    refused: str = ""
    shown_for: str = ""

    def refuse(self, why: str, shown_for: str) -> Plan:
        """This dry run's install would stop here, ``why``; its steps are those of an install
        in ``shown_for`` ("a desktop session")."""
        self.refused, self.shown_for = why, shown_for
        return self

    def add(self, step: Step) -> None:
        self.steps.append(step)


Runner = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]


def run_command(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), capture_output=True, text=True, timeout=60, check=False)


# --- where things go -------------------------------------------------------------------------


def _config_home() -> Path:
    xdg = os.environ.get("XDG_CONFIG_HOME")
    return Path(xdg) if xdg else Path.home() / ".config"


def user_unit_path(name: str = USER_UNIT) -> Path:
    return _config_home() / "systemd" / "user" / name


def autostart_path(name: str = AUTOSTART) -> Path:
    return _config_home() / "autostart" / name


def system_unit_path(name: str = SYSTEM_UNIT) -> Path:
    return system_root() / "etc/systemd/system" / name


def udev_rule_path() -> Path:
    return system_root() / "etc/udev/rules.d" / UDEV_RULE


def system_config_path() -> Path:
    return system_root() / "etc/sitwatch/sitwatch.toml"


def sitwatch_command() -> list[str]:
    """How to start this very sitwatch: its console script when there is one next to this
    Python (a venv or pipx install) or on PATH, else ``python -m sitwatch``."""
    here = Path(sys.executable).parent / "sitwatch"
    if here.is_file() and os.access(here, os.X_OK):
        return [str(here)]
    found = shutil.which("sitwatch")
    if found:
        return [str(Path(found).resolve())]
    return [str(Path(sys.executable).resolve()), "-m", "sitwatch"]


def _exec_line(cmd: Sequence[str], extra: Sequence[str]) -> str:
    # systemd splits ExecStart= like a shell (quotes allowed); '%' must be doubled.
    return " ".join(shlex.quote(a).replace("%", "%%") for a in [*cmd, *extra])


# --- the unit texts --------------------------------------------------------------------------


def _unit_text(name: str, exec_line: str) -> str:
    src = shipped("systemd", name).read_text(encoding="utf-8")
    body, n = re.subn(r"^ExecStart=.*$", f"ExecStart={exec_line}", src, count=1, flags=re.M)
    if n != 1:  # the shipped file is ours: a missing line is a packaging bug
        raise RuntimeError(f"shipped unit {name} has no ExecStart= line")
    return f"{MARK}; `sitwatch service uninstall` removes it.\n{body}"


def user_unit(cmd: Sequence[str], config: Path | None = None, desktop: bool = True) -> str:
    """The user unit; ``desktop`` False (no desktop session where it is installed, a login
    over SSH): tied to the user's service manager (default.target) instead of a graphical
    session that never starts there."""
    extra = ["run", *(["--config", str(config)] if config else [])]
    text = _unit_text(USER_UNIT, _exec_line(cmd, extra))
    if not desktop:
        text = re.sub(r"^(PartOf|After)=graphical-session\.target\n", "", text, flags=re.M)
        text = text.replace("# Run with the graphical session: started after it, stopped with "
                            "it.\n", "# No desktop session where this was installed: start "
                            "with the user's service manager.\n")
        text = re.sub(r"^WantedBy=graphical-session\.target$", "WantedBy=default.target", text,
                      flags=re.M)
    return text


def desktop_session(env: Mapping[str, str] | None = None) -> bool:
    """A desktop session is there (X11 or Wayland), not a login over SSH or a console."""
    env = os.environ if env is None else env
    return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")
                or env.get("XDG_CURRENT_DESKTOP")
                or env.get("XDG_SESSION_TYPE") in ("x11", "wayland"))


def system_unit(cmd: Sequence[str]) -> str:
    return _unit_text(SYSTEM_UNIT, _exec_line(cmd, ["run", "--headless"]))


def bridge_unit(name: str, cmd: Sequence[str], to: str, config: Path | None = None) -> str:
    """The bridge's unit (``name``: the user's or the system's), starting this sitwatch's
    ``bridge --to TO``."""
    extra = ["bridge", "--to", to, *(["--config", str(config)] if config else [])]
    return _unit_text(name, _exec_line(cmd, extra))


def check_bridge_url(to: str) -> None:
    """A ServiceError unless ``to`` is an ``mqtt://`` URL the bridge can publish to, with no
    password in it: the unit file that carries it can be read by every account."""
    from sitwatch.core.mqtt_url import MqttUrlError, is_mqtt, publish_url, redact

    if not is_mqtt(to):
        raise ServiceError(f"--to {redact(to)!r}: give the broker and topic the other sitwatch "
                           "reads, mqtt://HOST[:PORT]/TOPIC (mqtts:// for TLS)")
    try:
        ep = publish_url(to)
    except MqttUrlError as e:
        raise ServiceError(f"--to: {str(e).replace(to, redact(to))}") from None
    if ep.password:
        raise ServiceError(
            f"--to {redact(to)}: the unit file would show the password to every account on this "
            "machine; leave the user and password out of the URL and put them in the config's "
            f"[mqtt] section (host = \"{ep.host}\", username, password_file), which the bridge "
            "uses for the same broker")


_EXEC = re.compile(r"^ExecStart=(\S+)[ \t]+(\S+)(.*)$", flags=re.M)


def companion_unit(name: str, cmd: Sequence[str], config: Path | None = None) -> str:
    """A shipped unit beside the daemon's (the web app, the weekly report and its timer) with
    each ``ExecStart=`` pointed at this sitwatch (and ``--config``); the rest of each command
    line, systemd specifiers included, stays as shipped."""
    src = shipped("systemd", name).read_text(encoding="utf-8")
    extra = _exec_line([], ["--config", str(config)]) if config else ""

    def point(m: re.Match[str]) -> str:
        return f"ExecStart={_exec_line(cmd, [])} {m.group(2)}{' ' + extra if extra else ''}" \
            f"{m.group(3)}"

    body = _EXEC.sub(point, src)
    return f"{MARK}; `sitwatch service uninstall` removes it.\n{body}"


def autostart_entry(cmd: Sequence[str], config: Path | None = None, command: str = "run",
                    name: str = "sitwatch", comment: str = "Sitting-time and posture nudges"
                    ) -> str:
    argv = [*cmd, command, *(["--config", str(config)] if config else [])]
    # Desktop Entry Exec= quoting: double quotes around arguments with spaces; '%' doubled.
    exec_ = " ".join(
        (f'"{a}"' if re.search(r'[\s"\\`$]', a) else a).replace("%", "%%") for a in argv
    )
    return "\n".join(
        [
            f"{MARK}; `sitwatch service uninstall` removes it.",
            "[Desktop Entry]",
            "Type=Application",
            f"Name={name}",
            f"Comment={comment}",
            f"Exec={exec_}",
            "Icon=" + str(shipped_icon()),
            "Terminal=false",
            "NoDisplay=true",
            "X-GNOME-Autostart-enabled=true",
            "",
        ]
    )


def shipped_icon() -> Path:
    from sitwatch.data import icon

    return icon()


# --- guards ----------------------------------------------------------------------------------


def ours(path: Path) -> bool:
    try:
        with path.open(encoding="utf-8", errors="replace") as fh:
            return fh.readline().startswith(MARK)
    except OSError:
        return False


def _may_replace(path: Path, force: bool) -> None:
    if path.exists() and not ours(path) and not force:
        raise ServiceError(
            f"{path} exists and was not written by sitwatch; look at it, then pass --force to "
            "replace it (or remove it yourself)"
        )


def user_manager_running(run: Runner = run_command) -> bool:
    """True when a systemd user manager answers (``systemctl --user`` works)."""
    if shutil.which("systemctl") is None:
        return False
    try:
        return run(["systemctl", "--user", "show-environment"]).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


# --- plans -----------------------------------------------------------------------------------


def web_extra_missing() -> str | None:
    """Why `sitwatch serve` could not start here (the web extra is missing), or None."""
    import importlib.util

    from sitwatch.core.extras import install_hint

    missing = [m for m in ("starlette", "uvicorn", "jinja2")
               if importlib.util.find_spec(m) is None]
    if missing:
        return (f"--with-web needs the web app's packages ({', '.join(missing)} missing): "
                f"{install_hint('web')}, then run this again")
    return None


def plan_user_install(
    cmd: Sequence[str],
    *,
    systemd: bool,
    config: Path | None = None,
    start: bool = True,
    force: bool = False,
    web: bool = False,
    weekly: bool = True,
    desktop: bool = True,
    companion: bool = False,
    running: int | None = None,
    dry_run: bool = False,
) -> Plan:
    """The daemon at every login (``companion``: the companion instead). ``running``: the pid
    of a sitwatch that already runs with this config's files (started by hand, as the README's
    first run does): the daemon is then set to start at login but not started now, since a
    second one would only stop at once, "already running" (under systemd, again and again).
    ``dry_run``: the notes say what would happen (``--dry-run``), not what did."""
    if companion:
        return plan_companion_install(cmd, systemd=systemd, config=config, start=start,
                                      force=force, desktop=desktop, dry_run=dry_run)
    if web:
        why = web_extra_missing()
        if why:
            raise ServiceError(why)
    if not systemd and not desktop:
        # an autostart entry is started by a desktop session: on a box without one (a
        # Raspberry Pi reached over SSH) it would never run, while doctor called it fine
        why = ("no systemd user session and no desktop session here, so nothing would ever "
               "start sitwatch at login. On a headless machine (a Raspberry Pi under the chair) "
               "install the system service instead: sudo sitwatch service install --system "
               f"(see {PI_DOC}). On a desktop you log into later, run this again from a "
               "terminal in that desktop")
        if not dry_run:
            raise ServiceError(why)
        # a dry run still shows what the install writes on a desktop without systemd
        plan = plan_user_install(cmd, systemd=False, config=config, start=start, force=force,
                                 web=web, weekly=weekly, desktop=True, running=running,
                                 dry_run=True)
        return plan.refuse(why, "a desktop session without systemd")
    plan = Plan()
    if systemd:
        unit = user_unit_path()
        _may_replace(unit, force)
        files = [(unit, "the user unit", user_unit(cmd, config, desktop))]
        enable = [USER_UNIT]
        if weekly:
            for name, what in ((WEEKLY_UNIT, "the weekly report"),
                               (WEEKLY_TIMER, "its timer (Sundays, 20:00)")):
                files.append((user_unit_path(name), what, companion_unit(name, cmd, config)))
            enable.append(WEEKLY_TIMER)
        if web:
            files.append((user_unit_path(SERVE_UNIT), "the web app's unit",
                          companion_unit(SERVE_UNIT, cmd, config)))
            enable.append(SERVE_UNIT)
        for path, _what, _text in files[1:]:
            _may_replace(path, force)
        for path, what, text in files:
            plan.add(Step(what, path, text))
        plan.add(Step("reload", argv=("systemctl", "--user", "daemon-reload")))
        for name in enable:
            now = start and not (name == USER_UNIT and running)
            argv = ["systemctl", "--user", "enable", *(["--now"] if now else []), name]
            plan.add(Step("start at every login" if name == USER_UNIT else f"enable {name}",
                          argv=tuple(argv)))
        plan.notes.append(
            (f"sitwatch {_starts(dry_run, 'with your desktop session')}" if desktop else
             f"sitwatch {_starts(dry_run, _MANAGER)} (no desktop "
             "session here)")
            + (_running_now(dry_run) if start and not running else "")
            + ". Logs: journalctl --user -u sitwatch"
        )
        if running:
            plan.notes.append(
                f"sitwatch is running already (pid {running}), so the service "
                + ("would not be started" if dry_run else "was not started")
                + " now: a second one would stop at once. To hand over to the service now, stop "
                "that one (Ctrl-C where it runs), then: systemctl --user start sitwatch")
        if not desktop:
            plan.notes.append(
                "without a desktop, your user's services stop when you log out: `sudo loginctl "
                "enable-linger $USER` keeps them running, or on a headless box use the system "
                f"service (sudo sitwatch service install --system, {PI_DOC})")
        if weekly:
            plan.notes.append(
                "every Sunday evening the week's report is written to "
                "~/.local/state/sitwatch/reports/sitwatch-week.html (and sent to "
                "nudges.push.report_urls, if you set any); now: systemctl --user start "
                "sitwatch-weekly")
        if web:
            plan.notes.append("the web app runs beside it: sitwatch status shows where; logs: "
                              "journalctl --user -u sitwatch-serve")
    else:
        entry = autostart_path()
        _may_replace(entry, force)
        plan.add(Step("an autostart entry", entry, autostart_entry(cmd, config)))
        if web:
            web_entry = autostart_path(SERVE_AUTOSTART)
            _may_replace(web_entry, force)
            plan.add(Step("an autostart entry for the web app", web_entry, autostart_entry(
                cmd, config, "serve", "sitwatch web app",
                "sitwatch's pages: live status, reports, the symptom diary")))
        plan.notes.append(
            f"no systemd user session answered, so sitwatch {_will(dry_run)} start from your "
            "desktop's autostart at the next login. "
            + (f"It is running now already (pid {running})." if running else
               "To start it now: sitwatch run &")
        )
        if weekly:
            plan.notes.append("without systemd there is no weekly timer: `sitwatch report "
                              "--week last --format html -o week.html` writes last week's page "
                              "whenever you like")
    return plan


def plan_companion_install(cmd: Sequence[str], *, systemd: bool, config: Path | None = None,
                           start: bool = True, force: bool = False, desktop: bool = True,
                           dry_run: bool = False) -> Plan:
    """``sitwatch companion`` at every login, alone: this desktop shows the nudges of a
    sitwatch elsewhere (it has no cushion of its own, so no daemon and no weekly report)."""
    if not desktop:
        why = ("the companion shows desktop notifications, and there is no desktop session "
               "here: run this from a terminal in the desktop where the nudges should show")
        if not dry_run:
            raise ServiceError(why)
        # a dry run still shows what the install writes in a desktop session, as the daemon's
        plan = plan_companion_install(cmd, systemd=systemd, config=config, start=start,
                                      force=force, desktop=True, dry_run=True)
        return plan.refuse(why, "a desktop session" if systemd
                           else "a desktop session without systemd")
    plan = Plan()
    if systemd:
        unit = user_unit_path(COMPANION_UNIT)
        _may_replace(unit, force)
        plan.add(Step("the companion's unit", unit, companion_unit(COMPANION_UNIT, cmd, config)))
        plan.add(Step("reload", argv=("systemctl", "--user", "daemon-reload")))
        plan.add(Step("start at every login", argv=(
            "systemctl", "--user", "enable", *(["--now"] if start else []), COMPANION_UNIT)))
        plan.notes.append(
            f"the companion {_starts(dry_run, 'with your desktop session')}"
            + (_running_now(dry_run) if start else "")
            + ". Logs: journalctl --user -u sitwatch-companion")
    else:
        entry = autostart_path(COMPANION_AUTOSTART)
        _may_replace(entry, force)
        plan.add(Step("an autostart entry", entry, autostart_entry(
            cmd, config, "companion", "sitwatch companion",
            "Nudges of a sitwatch on another machine, as desktop notifications")))
        plan.notes.append(
            f"no systemd user session answered, so the companion {_will(dry_run)} start from "
            "your desktop's autostart at the next login. To start it now: sitwatch companion &")
    return plan


def plan_bridge_install(cmd: Sequence[str], to: str, *, system: bool, systemd: bool = True,
                        config: Path | None = None, start: bool = True, force: bool = False,
                        desktop: bool = False, dry_run: bool = False) -> Plan:
    """``sitwatch bridge --to TO`` at every boot (``system``: the hardened system unit, as on a
    headless Pi) or with the user's service manager, alone: the cushion's port is the
    bridge's, so no daemon and no weekly report (the sitwatch that reads it keeps the history)."""
    check_bridge_url(to)
    if system:
        plan = Plan()
        _check_system_exe(cmd)
        _add_system_user(plan)
        unit = system_unit_path(SYSTEM_BRIDGE_UNIT)
        _may_replace(unit, force)
        plan.add(Step("the bridge's system unit", unit, bridge_unit(SYSTEM_BRIDGE_UNIT, cmd, to)))
        _add_udev_rule(plan, force)
        _add_system_config(plan, "(cushion.port, cushion.baud, cushion.mode; a broker login in "
                           "[mqtt])", SYSTEM_BRIDGE_UNIT)
        plan.add(Step("reload", argv=("systemctl", "daemon-reload")))
        plan.add(Step("start at every boot", argv=(
            "systemctl", "enable", *(["--now"] if start else []), SYSTEM_BRIDGE_UNIT)))
        plan.notes.append(f"logs: journalctl -u {SYSTEM_BRIDGE_UNIT}")
        if system_unit_path().exists():
            plan.notes.append(
                f"{SYSTEM_UNIT} is installed too: both want the cushion's port; stop the daemon "
                f"here (sudo systemctl disable --now {SYSTEM_UNIT}) when the desktop reads it")
        return plan
    if not systemd:
        why = ("no systemd user session answered, and the bridge needs a service manager to "
               "start it at boot: on a headless machine (a Raspberry Pi under the chair) install "
               "the system service instead: sudo sitwatch service install --system --bridge "
               f"--to {shlex.quote(to)}")
        if not dry_run:
            raise ServiceError(why)
        # a dry run still shows what the install writes where a user manager runs
        plan = plan_bridge_install(cmd, to, system=False, systemd=True, config=config,
                                   start=start, force=force, desktop=desktop, dry_run=True)
        return plan.refuse(why, "a session with systemd's user manager")
    plan = Plan()
    unit = user_unit_path(BRIDGE_UNIT)
    _may_replace(unit, force)
    plan.add(Step("the bridge's unit", unit, bridge_unit(BRIDGE_UNIT, cmd, to, config)))
    plan.add(Step("reload", argv=("systemctl", "--user", "daemon-reload")))
    plan.add(Step("start with your service manager", argv=(
        "systemctl", "--user", "enable", *(["--now"] if start else []), BRIDGE_UNIT)))
    plan.notes.append(f"the bridge {_starts(dry_run, _MANAGER)}"
                      + (_running_now(dry_run) if start else "")
                      + ". Logs: journalctl --user -u sitwatch-bridge")
    if not desktop:
        plan.notes.append(
            "your user's services stop when you log out: `sudo loginctl enable-linger $USER` "
            "keeps the bridge running, or install the system service (sudo sitwatch service "
            f"install --system --bridge --to {shlex.quote(to)})")
    return plan


_MANAGER = "with your user's service manager"


def _starts(dry_run: bool, with_what: str) -> str:
    """What an install does to the next logins, in the tense of a ``--dry-run`` or not."""
    if dry_run:
        return f"would start {with_what} from then on"
    return f"starts {with_what} from now on"


def _running_now(dry_run: bool) -> str:
    return " and would be running at once" if dry_run else " and is running now"


def _will(dry_run: bool) -> str:
    return "would" if dry_run else "will"


def _user_files() -> list[tuple[Path, str | None]]:
    """Every file a user install may have written, with the unit systemctl stops for it."""
    return [(user_unit_path(), USER_UNIT),
            (user_unit_path(SERVE_UNIT), SERVE_UNIT),
            (user_unit_path(WEEKLY_TIMER), WEEKLY_TIMER),
            (user_unit_path(WEEKLY_UNIT), None),
            (user_unit_path(COMPANION_UNIT), COMPANION_UNIT),
            (user_unit_path(BRIDGE_UNIT), BRIDGE_UNIT),
            (autostart_path(), None),
            (autostart_path(SERVE_AUTOSTART), None),
            (autostart_path(COMPANION_AUTOSTART), None)]


def plan_user_uninstall(*, systemd: bool, force: bool = False, companion: bool = False,
                        bridge: bool = False) -> Plan:
    """Remove what a user install wrote (``companion``, ``bridge``: only that one's files)."""
    plan = Plan()
    mine = ({user_unit_path(COMPANION_UNIT), autostart_path(COMPANION_AUTOSTART)} if companion
            else {user_unit_path(BRIDGE_UNIT)} if bridge else None)
    present = [(p, unit) for p, unit in _user_files()
               if p.exists() and (mine is None or p in mine)]
    for path, _unit in present:
        if not ours(path) and not force:
            raise ServiceError(
                f"{path} was not written by sitwatch; pass --force to remove it anyway"
            )
    units = [unit for path, unit in present if unit and path.suffix in (".service", ".timer")]
    if systemd:
        for unit in units:
            plan.add(Step("stop and disable", argv=("systemctl", "--user", "disable", "--now",
                                                     unit), may_fail=True))
    for path, _unit in present:
        plan.add(Step("remove", path))
    if systemd and any(p.suffix in (".service", ".timer") for p, _u in present):
        plan.add(Step("reload", argv=("systemctl", "--user", "daemon-reload")))
    if not plan.steps:
        plan.notes.append("nothing to remove: sitwatch is not installed as a service")
    else:
        plan.notes.append(
            "your history, calibration, reports and config stay where they are (see "
            "`sitwatch doctor`)"
        )
    return plan


def plan_system_install(cmd: Sequence[str], *, start: bool = True, force: bool = False,
                        web: bool = False, weekly: bool = True) -> Plan:
    _check_system_exe(cmd)
    if web:
        why = web_extra_missing()
        if why:
            raise ServiceError(why)
    plan = Plan()
    _add_system_user(plan)
    unit = system_unit_path()
    companions: list[tuple[str, str]] = []
    if weekly:
        companions += [(SYSTEM_WEEKLY_UNIT, "the weekly report"),
                       (SYSTEM_WEEKLY_TIMER, "its timer (Sundays, 20:00)")]
    if web:
        companions.append((SYSTEM_SERVE_UNIT, "the web app's unit (LAN, with a token)"))
    for path in (unit, *(system_unit_path(n) for n, _w in companions)):
        _may_replace(path, force)
    plan.add(Step("the system unit", unit, system_unit(cmd)))
    for name, what in companions:
        plan.add(Step(what, system_unit_path(name), companion_unit(name, cmd)))
    _add_udev_rule(plan, force)
    _add_system_config(plan, "(cushion.port, cushion.layout)", SYSTEM_UNIT)
    plan.add(Step("reload", argv=("systemctl", "daemon-reload")))
    enable = [SYSTEM_UNIT, *([SYSTEM_WEEKLY_TIMER] if weekly else []),
              *([SYSTEM_SERVE_UNIT] if web else [])]
    for name in enable:
        argv = ["systemctl", "enable", *(["--now"] if start else []), name]
        plan.add(Step("start at every boot" if name == SYSTEM_UNIT else f"enable {name}",
                      argv=tuple(argv)))
    plan.notes.append(
        f"logs: journalctl -u {SYSTEM_UNIT}; live state: sudo sitwatch status (its files "
        "belong to the sitwatch user and are kept private)"
    )
    if weekly:
        plan.notes.append("every Sunday evening the week's report is written to "
                          "/var/lib/sitwatch/reports/sitwatch-week.html (and sent to "
                          "nudges.push.report_urls, if set)")
    if web:
        plan.notes.append(f"the web app's address with its token: journalctl -u "
                          f"{SYSTEM_SERVE_UNIT}")
    if system_unit_path(SYSTEM_BRIDGE_UNIT).exists():
        plan.notes.append(
            f"{SYSTEM_BRIDGE_UNIT} is installed too: both want the cushion's port; remove the "
            "bridge (sudo sitwatch service uninstall --system) and install this again when "
            "the daemon should read it here")
    return plan


def _check_system_exe(cmd: Sequence[str]) -> None:
    exe = Path(cmd[0])
    if exe.is_relative_to("/home") or exe.is_relative_to("/root"):
        raise ServiceError(
            f"the system unit cannot start {exe}: its sandbox (ProtectHome=yes) hides /home and "
            "/root. Install sitwatch outside them, e.g. "
            "`sudo PIPX_HOME=/opt/pipx PIPX_BIN_DIR=/usr/local/bin pipx install ./sitwatch` "
            "from the source folder (sitwatch is not on PyPI: the package of that name there "
            "is another project) or a venv in /opt/sitwatch, and run this again with that "
            "sitwatch"
        )


def _add_system_user(plan: Plan) -> None:
    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        groups = ",".join(g for g in ("dialout", "video") if _group_exists(g))
        plan.add(
            Step(
                "a system user for the service",
                argv=(
                    "useradd", "--system", "--no-create-home",
                    "--home-dir", "/var/lib/sitwatch",
                    "--shell", "/usr/sbin/nologin",
                    *(["--groups", groups] if groups else []),
                    "--comment", "sitwatch daemon",
                    SYSTEM_USER,
                ),
            )
        )


def _add_udev_rule(plan: Plan, force: bool) -> None:
    rule = udev_rule_path()
    if not rule.exists() or ours(rule) or force:
        text = shipped("systemd", UDEV_RULE).read_text(encoding="utf-8")
        plan.add(Step("a fixed name for the cushion", rule, f"{MARK}.\n{text}"))
        plan.add(Step("reload udev", argv=("udevadm", "control", "--reload"), may_fail=True))


def _add_system_config(plan: Plan, what: str, unit: str) -> None:
    """A config in /etc/sitwatch to edit (``what``: the keys that matter), unless one is there."""
    conf = system_config_path()
    if conf.exists():
        return
    from sitwatch import config

    # The service reads it as its own user (ConfigurationDirectory= is read-only to it);
    # 0640 root:sitwatch keeps a broker password from other accounts on the box.
    plan.add(Step("a config to edit", conf, config.render(), mode=0o640))
    plan.add(Step("let the service read it", argv=("chown", f"root:{SYSTEM_USER}", str(conf))))
    plan.notes.append(f"edit {conf} {what}, then `sudo systemctl restart {unit}`")


def plan_system_uninstall(*, force: bool = False, bridge: bool = False) -> Plan:
    """Remove what a system install wrote (``bridge``: only the bridge's unit)."""
    plan = Plan()
    rule = udev_rule_path()
    units = [(system_unit_path(), SYSTEM_UNIT),
             (system_unit_path(SYSTEM_SERVE_UNIT), SYSTEM_SERVE_UNIT),
             (system_unit_path(SYSTEM_WEEKLY_TIMER), SYSTEM_WEEKLY_TIMER),
             (system_unit_path(SYSTEM_WEEKLY_UNIT), None),
             (system_unit_path(SYSTEM_BRIDGE_UNIT), SYSTEM_BRIDGE_UNIT)]
    if bridge:
        units = units[-1:]
    present = [(p, u) for p, u in units if p.exists()]
    for path, _u in present:
        if not ours(path) and not force:
            raise ServiceError(f"{path} was not written by sitwatch; pass --force to remove it")
    for _path, name in present:
        if name:
            plan.add(Step("stop and disable",
                          argv=("systemctl", "disable", "--now", name), may_fail=True))
    for path, _u in present:
        plan.add(Step("remove", path))
    if present:
        plan.add(Step("reload", argv=("systemctl", "daemon-reload")))
    if rule.exists() and ours(rule) and not bridge:
        plan.add(Step("remove", rule))
    if not plan.steps:
        plan.notes.append("nothing to remove: the system service is not installed")
    else:
        plan.notes.append(
            f"kept: {system_config_path().parent}, {system_root() / 'var/lib/sitwatch'} (history "
            f"and reports) and the '{SYSTEM_USER}' user; remove them yourself if you want them "
            "gone"
        )
    return plan


def _group_exists(name: str) -> bool:
    import grp

    try:
        grp.getgrnam(name)
    except KeyError:
        return False
    return True


# --- carrying a plan out ---------------------------------------------------------------------


def carry_out(plan: Plan, run: Runner = run_command, say: Callable[[str], None] = print) -> None:
    """Do each step in order; stop at the first one that fails (unless it may fail) with a
    ServiceError naming it."""
    for step in plan.steps:
        if step.argv:
            try:
                proc = run(step.argv)
            except OSError as e:
                if step.may_fail:
                    continue
                raise ServiceError(f"{step.describe()}: {e.strerror or e}") from e
            if proc.returncode != 0 and not step.may_fail:
                detail = (proc.stderr or proc.stdout or "").strip().splitlines()
                raise ServiceError(
                    f"{step.describe()} failed (exit {proc.returncode})"
                    + (f": {detail[-1]}" if detail else "")
                )
        elif step.path is not None and step.text is None:
            step.path.unlink(missing_ok=True)
        elif step.path is not None and step.text is not None:
            step.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = step.path.with_name(step.path.name + ".tmp")
            tmp.unlink(missing_ok=True)  # born owner-only below, whatever a stale one was
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(step.text)
            os.chmod(tmp, step.mode)  # never looser than its mode, even for a moment
            os.replace(tmp, step.path)
        say(f"  {step.line()}")


# --- status ----------------------------------------------------------------------------------


@dataclass
class Installed:
    kind: str  # "user unit" | "web app unit" | "weekly report timer" | "autostart entry" ...
    path: Path
    exec_ok: bool
    exec_path: str
    enabled: str | None = None  # systemctl is-enabled's answer, when asked
    active: str | None = None
    system: bool = False  # a system unit (--system), not the user's own


def _exec_of(text: str, key: str) -> str:
    m = re.search(rf"^{key}=(.*)$", text, flags=re.M)
    if not m:
        return ""
    try:
        first = shlex.split(m.group(1))[0]
    except (ValueError, IndexError):
        return ""
    return first.replace("%h", str(Path.home())).replace("%%", "%")


def installed(run: Runner = run_command, *, systemd: bool | None = None) -> list[Installed]:
    """What is installed, whether its program still exists, and what systemd says of it. A
    timer's program is its service's."""
    found: list[Installed] = []
    if systemd is None:
        systemd = user_manager_running(run)
    table: list[tuple[str, Path, Path, str, list[str] | None]] = [
        # kind, the file, the file that names the program, its key, systemctl's scope
        ("user unit", user_unit_path(), user_unit_path(), "ExecStart", ["--user"]),
        ("web app unit", user_unit_path(SERVE_UNIT), user_unit_path(SERVE_UNIT), "ExecStart",
         ["--user"]),
        ("weekly report timer", user_unit_path(WEEKLY_TIMER), user_unit_path(WEEKLY_UNIT),
         "ExecStart", ["--user"]),
        ("companion unit", user_unit_path(COMPANION_UNIT), user_unit_path(COMPANION_UNIT),
         "ExecStart", ["--user"]),
        ("bridge unit", user_unit_path(BRIDGE_UNIT), user_unit_path(BRIDGE_UNIT), "ExecStart",
         ["--user"]),
        ("autostart entry", autostart_path(), autostart_path(), "Exec", None),
        ("companion autostart entry", autostart_path(COMPANION_AUTOSTART),
         autostart_path(COMPANION_AUTOSTART), "Exec", None),
        ("web app autostart entry", autostart_path(SERVE_AUTOSTART),
         autostart_path(SERVE_AUTOSTART), "Exec", None),
        ("system unit", system_unit_path(), system_unit_path(), "ExecStart", []),
        ("system web app unit", system_unit_path(SYSTEM_SERVE_UNIT),
         system_unit_path(SYSTEM_SERVE_UNIT), "ExecStart", []),
        ("system weekly report timer", system_unit_path(SYSTEM_WEEKLY_TIMER),
         system_unit_path(SYSTEM_WEEKLY_UNIT), "ExecStart", []),
        ("system bridge unit", system_unit_path(SYSTEM_BRIDGE_UNIT),
         system_unit_path(SYSTEM_BRIDGE_UNIT), "ExecStart", []),
    ]
    for kind, path, program_file, key, scope in table:
        if not path.exists():
            continue
        try:
            exe = _exec_of(program_file.read_text(encoding="utf-8", errors="replace"), key)
        except OSError:
            exe = ""
        item = Installed(kind, path, bool(exe) and os.access(exe, os.X_OK), exe,
                         system=scope == [])
        if scope is not None and (systemd or not scope) and shutil.which("systemctl"):
            name = path.name
            for attr, verb in (("enabled", "is-enabled"), ("active", "is-active")):
                try:
                    out = run(["systemctl", *scope, verb, name]).stdout.strip()
                except (OSError, subprocess.SubprocessError):
                    out = ""
                setattr(item, attr, out or "unknown")
        found.append(item)
    return found


def running_pid(cfg: Config) -> int | None:
    """The pid of a sitwatch daemon running with ``cfg``'s files (its status file says it is
    alive and fresh), else None."""
    pid = _running(cfg).get("pid")
    return pid if isinstance(pid, int) else None


def _running(cfg: Config) -> dict[str, Any]:
    """The status file of a sitwatch daemon running with ``cfg``'s files (alive and fresh),
    else {}."""
    from sitwatch.core.clock import SystemClock
    from sitwatch.runtime.files import status_path, status_stale_after
    from sitwatch.runtime.status import read_status

    d = read_status(status_path(cfg), SystemClock(), stale_after=status_stale_after(cfg))
    if not d.get("running") or d.get("stale") or not isinstance(d.get("pid"), int):
        return {}
    return d


def start_hint(found: Sequence[Installed] | None = None) -> str:
    """How to start a sitwatch that is not running, for what is installed here (``found``:
    :func:`installed`'s answer, asked when not given): the user service when there is one, else
    `sitwatch run` (with how to have it start at every login, unless an autostart entry does)."""
    found = installed() if found is None else found
    name = USER_UNIT.removesuffix(".service")
    if any(i.kind == "user unit" for i in found):
        return (f"Start it with `systemctl --user start {name}` (the service installed here), "
                "or `sitwatch run` in a terminal.")
    if any(i.kind == "autostart entry" for i in found):
        return "Start it with `sitwatch run`; it also starts by itself at your next login."
    return ("Start it with `sitwatch run` (`sitwatch service install` starts it at every "
            "login).")


def restart_hint(cfg: Config, what: str, *, stuck: int | None = None,
                 show_pid: bool = True, found: Sequence[Installed] | None = None,
                 start: str = "sitwatch run") -> str:
    """How to get sitwatch to ``what`` (e.g. "use the new profile") for the situation at hand:
    the user service running (restart it), a daemon started by hand (stop and start it), the
    service installed but stopped (start it), or nothing running (the next start does).

    ``stuck``: the pid of a daemon the caller found alive but not updating its status file
    (``sitwatch doctor``), taken as running. ``show_pid`` False leaves the pid out (a web page,
    where it tells other machines about this one; a stuck pid that may be another program's
    now, not to be killed on our word). ``found``: :func:`installed`'s answer, asked when not
    given (the web app keeps one a while: asking spawns systemctl). ``start``: the command
    that starts the daemon started by hand again (one watching the simulator needs its
    ``--port``)."""
    found = installed() if found is None else found
    unit = next((i for i in found if i.kind == "user unit"), None)
    pid = stuck if stuck is not None else running_pid(cfg)
    name = USER_UNIT.removesuffix(".service")
    if unit is not None and unit.active == "active":
        return f"sitwatch runs as a service: `systemctl --user restart {name}` makes it {what}."
    if pid is not None and show_pid:
        return (f"sitwatch is running (pid {pid}): stop it (Ctrl-C in its terminal, or "
                f"`kill {pid}`) and start it again with `{start}` to {what}.")
    if pid is not None:
        return (f"sitwatch is running: stop it (Ctrl-C in its terminal) and start it again "
                f"with `{start}` to {what}.")
    if unit is not None and unit.active is not None:
        return (f"The sitwatch service is installed but not running: `systemctl --user start "
                f"{name}` starts it, and it will {what}.")
    if any(i.kind == "autostart entry" for i in found):
        return (f"sitwatch is not running; it will {what} when it starts (`sitwatch run`, or "
                "at your next login).")
    return (f"sitwatch is not running; it will {what} when it starts (`sitwatch run`, or "
            "`sitwatch service install` to start it at every login).")


def calibration_hint(cfg: Config, saved: Path) -> str:
    """What to say after a cushion profile was saved to ``saved``: how to have sitwatch use it
    (:func:`restart_hint`) when it is the file sitwatch reads; else that sitwatch reads
    another, and how to point it at this one (``calibrate -o`` elsewhere: a restart alone
    would not use it). The simulator's profile (``runtime.files.for_simulator``) and a daemon
    that watches the simulator, which reads that one, are told apart: restarting a daemon on
    the simulator never makes it use your cushion's profile, nor the other way round."""
    from sitwatch.runtime.files import profile_path, simulator_file

    running = _running(cfg)
    theirs = running.get("profile_file")
    theirs_path = Path(theirs) if isinstance(theirs, str) and theirs else None
    ours = theirs_path is not None and theirs_path.resolve() == saved.expanduser().resolve()
    pid = running.get("pid")
    if simulator_file(saved):
        layout = shlex.quote(cfg.cushion.layout)
        if ours:
            # a plain `sitwatch run` would watch the cushion in the config, not the simulator
            sensor = running.get("sensor")
            port = sensor.get("port") if isinstance(sensor, dict) else None
            start = (f"sitwatch run --port {shlex.quote(port)} --layout {layout}"
                     if isinstance(port, str) and port else "sitwatch run")
            return restart_hint(cfg, "use the new calibration", start=start)
        also = (f" (the sitwatch running now, pid {pid}, reads {theirs_path})"
                if theirs_path is not None else "")
        return (f"sitwatch uses it while it watches the simulator{also}: `sitwatch simulate "
                f"--link /tmp/cushion --layout {layout}`, then `sitwatch run --port /tmp/cushion "
                f"--layout {layout}`.")
    if theirs_path is not None and not ours and simulator_file(theirs_path):
        return (f"The sitwatch running now (pid {pid}) watches the simulator, which keeps a "
                f"calibration of its own ({theirs_path}), so restarting it would not use this "
                "one: sitwatch uses it when it watches your cushion (`sitwatch run` with "
                "cushion.port, or --port, naming the cushion).")
    used = profile_path(cfg)
    if saved.expanduser().resolve() == used.resolve():
        return restart_hint(cfg, "use the new calibration")
    return (f"sitwatch reads its calibration from {used}, not this file: to use this one, "
            f"set `profile = \"{saved}\"` in your config's [calibration] table, or give it "
            f"once with `sitwatch run --calibration {shlex.quote(str(saved))}`.")
