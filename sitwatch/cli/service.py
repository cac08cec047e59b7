"""``sitwatch service install | uninstall | status``: start sitwatch at login (a systemd user
unit, or an XDG autostart entry where there is no user manager), or at boot on a headless box
(``--system``: the hardened unit, its own user, the cushion's udev rule); with it the weekly
report's timer (unless ``--no-weekly``) and, with ``--with-web``, the web app's unit. With
``--companion``: ``sitwatch companion`` alone, on a desktop that shows another machine's
nudges. With ``--bridge --to URL``: ``sitwatch bridge`` alone, on the Pi whose cushion the
desktop's sitwatch reads (``--system`` too)."""

from __future__ import annotations

import argparse
import os
import shlex
from pathlib import Path
from typing import TYPE_CHECKING

from sitwatch.cli.common import (
    EXIT_CONFIG,
    EXIT_FAIL,
    EXIT_NOT_RUNNING,
    EXIT_OK,
    err,
    load_config,
)

if TYPE_CHECKING:
    from sitwatch.runtime.service import Plan


def run(args: argparse.Namespace) -> int:
    from sitwatch.runtime import service

    try:
        if args.action == "status":
            return _status(args)
        if args.companion and (args.system or args.with_web or args.no_weekly):
            err("--companion is the companion alone, a user's service on a desktop (it shows "
                "the nudges of a sitwatch elsewhere): leave out --system, --with-web and "
                "--no-weekly")
            return EXIT_CONFIG
        bridge = args.bridge
        if bridge and (args.companion or args.with_web or args.no_weekly):
            err("--bridge is the bridge alone (the sitwatch that reads the cushion keeps the "
                "history and the reports): leave out --companion, --with-web and --no-weekly")
            return EXIT_CONFIG
        if args.to is not None and not (bridge and args.action == "install"):
            err("--to goes with install --bridge: the broker and topic the bridge publishes to")
            return EXIT_CONFIG
        if bridge and args.action == "install" and not args.to:
            err("install --bridge needs --to mqtt://HOST[:PORT]/TOPIC: the broker and topic "
                "the other sitwatch reads (its cushion.port)")
            return EXIT_CONFIG
        if args.system and os.geteuid() != 0:
            err(f"--system changes /etc and adds a user: run it as root "
                f"(sudo sitwatch service {args.action} --system)")
            return EXIT_CONFIG
        plan = _plan(args)
    except service.ServiceError as e:
        err(str(e))
        return EXIT_CONFIG
    if args.dry_run:
        # name the sitwatch the units and entries will start: this one (a venv's, pipx's),
        # which is the one to check when several are installed
        starts = (f", to start {shlex.join(service.sitwatch_command())}"
                  if args.action == "install" else "")
        if plan.refused:  # nothing here would start it: say why, then what it writes elsewhere
            print(f"would stop here and write nothing: {plan.refused}.")
            print(f"In {plan.shown_for} it would do{starts}:")
        else:
            print(f"would do{starts}:")
        for step in plan.steps:
            print(f"  {step.line()}")
        for note in plan.notes:
            print(note)
        return EXIT_OK
    try:
        service.carry_out(plan)
    except service.ServiceError as e:
        err(str(e))
        return EXIT_FAIL
    except OSError as e:
        err(f"{getattr(e, 'filename', '') or ''}: {e.strerror or e}".lstrip(": "))
        return EXIT_FAIL
    for note in plan.notes:
        print(note)
    return EXIT_OK


def _running(args: argparse.Namespace) -> int | None:
    """The pid of a sitwatch daemon already running with this config's files (the one the
    README's first run starts by hand, say), else None (also when the config cannot be read:
    the install does not need it)."""
    from sitwatch import config

    try:
        cfg = load_config(args)
    except config.ConfigError:
        return None
    from sitwatch.runtime.service import running_pid

    return running_pid(cfg)


def _plan(args: argparse.Namespace) -> Plan:
    from sitwatch.runtime import service

    if args.action == "install":
        cmd = service.sitwatch_command()
        config = getattr(args, "config", None)
        if args.bridge:
            return service.plan_bridge_install(
                cmd, args.to, system=args.system,
                systemd=args.system or service.user_manager_running(),
                config=Path(config).expanduser().resolve() if config and not args.system
                else None,
                start=not args.no_start, force=args.force, desktop=service.desktop_session(),
                dry_run=args.dry_run)
        if args.system:
            return service.plan_system_install(cmd, start=not args.no_start, force=args.force,
                                               web=args.with_web, weekly=not args.no_weekly)
        return service.plan_user_install(
            cmd,
            systemd=service.user_manager_running(),
            config=Path(config).expanduser().resolve() if config else None,
            start=not args.no_start,
            force=args.force,
            web=args.with_web,
            weekly=not args.no_weekly,
            desktop=service.desktop_session(),
            companion=args.companion,
            running=None if args.companion else _running(args),
            dry_run=args.dry_run,
        )
    if args.system:
        return service.plan_system_uninstall(force=args.force, bridge=args.bridge)
    return service.plan_user_uninstall(systemd=service.user_manager_running(), force=args.force,
                                       companion=args.companion, bridge=args.bridge)


def _status(args: argparse.Namespace) -> int:
    from sitwatch.runtime import service

    items = [i for i in service.installed() if i.system or not args.system]
    if not items:
        print("sitwatch is not installed as a service. `sitwatch service install` starts it "
              "at every login" + (" (--system: at every boot)" if not args.system else "") + ".")
        return EXIT_NOT_RUNNING
    worst = EXIT_OK
    for it in items:
        line = f"{it.kind}: {it.path}"
        if it.enabled is not None:
            line += f" · {it.enabled} · {it.active}"
        print(line)
        if not it.exec_ok:
            print(f"  it starts {it.exec_path or '(nothing)'}, which is not there any more: "
                  "run `sitwatch service install` again with the sitwatch you use now")
            worst = EXIT_FAIL
        elif it.active not in (None, "active"):
            worst = max(worst, EXIT_NOT_RUNNING)
    return worst
