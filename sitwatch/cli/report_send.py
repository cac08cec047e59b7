"""``sitwatch report-send [FILE]``: the weekly report to the services in
``nudges.push.report_urls``, through apprise (the weekly timer's second step, after
``sitwatch report --week --html FILE`` wrote the page).

The message is the week as text (what ``sitwatch report --week`` prints); the HTML page goes
along as an attachment where the service takes files (e-mail, ntfy, Telegram ...). Nothing is
configured: nothing is sent, exit 0, so the timer works the same for people who only want the
page on disk.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sitwatch.cli.common import (
    EXIT_CONFIG,
    EXIT_FAIL,
    EXIT_OK,
    config_errors,
    day_arg,
    err,
    follow_running_daemon,
    input_problem,
    load_config,
)

if TYPE_CHECKING:
    from datetime import date

    from sitwatch.config import Config


def run(args: argparse.Namespace) -> int:
    from sitwatch import config
    from sitwatch.core.extras import install_hint

    follow_running_daemon()
    try:
        cfg = load_config(args)
    except config.ConfigError as e:
        return config_errors(e)
    day = day_arg(args)
    if day is None:
        return EXIT_CONFIG
    week = getattr(args, "week", None)
    if week:
        from sitwatch.reports.period import PeriodError, parse_week

        try:
            day = parse_week(week, day).last
        except PeriodError as e:
            err(f"--week: {e}")
            return EXIT_CONFIG
    urls = list(cfg.nudges.push.report_urls)
    attach = Path(args.file).expanduser() if args.file else None
    if attach is not None and attach.is_dir():
        err(f"{attach}: is a folder, not the HTML page: name the page, e.g. "
            f"{attach / f'sitwatch-week-{day}.html'}")
        return EXIT_CONFIG
    if attach is not None and not attach.is_file():
        err(f"{attach}: no such file; write the page first: sitwatch report --week --html "
            f"{attach}")
        return EXIT_CONFIG
    if not urls:
        print("nudges.push.report_urls is empty: the report is not sent"
              + (f" (it is in {attach})" if attach else ""))
        return EXIT_OK
    try:
        import apprise  # noqa: F401  (the push extra)
    except ImportError:
        err(f"apprise is not installed: {install_hint('push')}; the report is not sent")
        return EXIT_FAIL
    body = _week_text(args, cfg, day)
    if body is None:
        return EXIT_FAIL
    title = f"sitwatch: your week to {day:%a} {day.day} {day:%b}"
    sent, problems = send(urls, title, body, attach)
    for line in problems:
        err(line)
    print(f"sent the week's report to {sent} of {len(urls)} service(s)")
    return EXIT_OK if sent == len(urls) else EXIT_FAIL


def _week_text(args: argparse.Namespace, cfg: Config, day: date) -> str | None:
    """The week as text, or None (the error already said why)."""
    from datetime import datetime

    from sitwatch.cli.report import _local_zone, render_history
    from sitwatch.reports.text import weekly_text
    from sitwatch.runtime.files import history_path

    hp = Path(args.history).expanduser() if args.history else history_path(cfg)
    problem = args.history and input_problem(hp, "--history", "a history file")
    if problem:
        err(problem)
        return None
    if not hp.exists():
        err(f"{hp}: no history yet, so no report to send")
        return None
    tz = _local_zone()
    got: list[str] = []

    def week(store: Any) -> int:
        got.append(str(weekly_text(store, day, tz, sit_limit=cfg.detect.sit_limit,
                                   today=datetime.now(tz).date())))
        return EXIT_OK

    # an older history through an upgraded copy, a damaged one as far as it can be read
    return got[-1] if render_history(cfg, hp, week, "this week's report") == EXIT_OK else None


def send(urls: list[str], title: str, body: str, attach: Path | None) -> tuple[int, list[str]]:
    """Send to each URL in turn; (how many accepted it, one line per problem with the secrets
    in the URL masked)."""
    from sitwatch.config.redact import scrub
    from sitwatch.sinks.push import _apprise, _apprise_quiet, masked

    apprise = _apprise()

    sent = 0
    problems: list[str] = []
    for nth, url in enumerate(urls):
        with _apprise_quiet():  # apprise would log a bad URL in full, secrets and all
            service = apprise.Apprise.instantiate(url)
        where = masked(url, nth, len(urls))
        if service is None:
            problems.append(f"nudges.push.report_urls: apprise does not understand {where} "
                            "(see apprise's list of services and URL formats)")
            continue
        ap = apprise.Apprise()
        ap.add(service)
        with _apprise_quiet(), apprise.LogCapture(level=logging.WARNING) as captured:
            try:
                ok = bool(ap.notify(body=body, title=title,
                                    attach=str(attach) if attach is not None else None))
                detail = captured.getvalue().strip().splitlines()
            except Exception as e:  # a plugin is third-party code
                ok, detail = False, [f"{type(e).__name__}: {e}"]
        if ok:
            sent += 1
        else:
            reason = scrub(detail[-1].split(" - ", 2)[-1].strip(), [url]) if detail else \
                "apprise said no"
            problems.append(f"sending the report to {where} failed: {reason}")
    return sent, problems
