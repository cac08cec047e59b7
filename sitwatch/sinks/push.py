"""Push sink: nudges to phones, chats and mailboxes through apprise.

One apprise URL per service, for example ``ntfy://ntfy.sh/my-secret-topic``,
``tgram://BOT_TOKEN/CHAT_ID``, ``mailtos://user:app-password@gmail.com`` or
``json://host:port/path`` (apprise's documentation lists ~100 services). apprise is an optional
extra (``pip install apprise``), imported when the sink is built; without it the sink says so
once and does nothing.

Only nudges are sent (and the seek-care advice for a symptom diary entry with a red flag,
:func:`~sitwatch.sinks.base.seek_care`, and the notice that sensors of the cushion stopped working,
:func:`~sitwatch.sinks.base.device_notice`): the title as the notification's title, the message as
its body. Delivery runs on a background thread (one nudge at a time, each service in turn), so a
slow service never holds up the daemon; when ``max_pending`` nudges already wait, the oldest is
dropped (counted, logged once). A URL apprise does not understand, or a service that fails, is
logged once per distinct problem (with secrets in the URL masked) and never raised; when a failing
service delivers again that is logged once too.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Sequence
from typing import Any

from sitwatch.config.redact import push_url, scrub
from sitwatch.core.events import NUDGE, Event
from sitwatch.core.extras import install_hint
from sitwatch.sinks.base import Problems, device_notice, seek_care
from sitwatch.sinks.worker import BackgroundWorker

INSTALL_HINT = f"apprise is not installed: {install_hint('push')} (push nudges are off)"


def _apprise() -> Any:
    import apprise

    return apprise


@contextlib.contextmanager
def _apprise_quiet() -> Iterator[None]:
    """Keep apprise's own log lines (full URLs, one line per attempt) out of the daemon's log;
    the sink logs what matters itself, masked and rate-limited."""
    logger = logging.getLogger("apprise")
    propagate, logger.propagate = logger.propagate, False
    try:
        yield
    finally:
        logger.propagate = propagate


def masked(url: str, nth: int = 0, of: int = 1) -> str:
    """``url`` for the log, doctor and the terminal: the scheme only, as `sitwatch config
    show` has it (apprise's own privacy form keeps an ntfy topic, the secret of such a URL);
    among several URLs, which one it is (``nth`` counts from 0)."""
    return push_url(url) + (f" (URL {nth + 1} of {of})" if of > 1 else "")


class PushSink:
    """Sends nudges to every apprise URL in ``urls``; other events are ignored."""

    name = "push"

    def __init__(
        self,
        urls: Sequence[str],
        *,
        log: logging.Logger,
        max_pending: int = 10,
        close_timeout: float = 10.0,
    ) -> None:
        self.log = log
        self.urls = list(urls)  # what a service's error message must not show of them
        self.close_timeout = close_timeout
        self.worker = BackgroundWorker("push", log, max_pending=max_pending,
                                       on_drop=self._dropped)
        self.problems = Problems(self.log)
        self.services: list[tuple[str, Any]] = []  # (masked url, apprise.Apprise with that one)
        self.invalid: list[str] = []  # masked urls apprise did not understand
        self.available = True
        self.sent = 0  # deliveries that a service accepted
        self.failed = 0
        self.dropped = 0
        try:
            apprise = _apprise()
        except ImportError:
            self.available = False
            if urls:
                self.log.warning("%s", INSTALL_HINT)
            return
        for nth, url in enumerate(urls):
            with _apprise_quiet():  # apprise would log a bad URL in full, secrets and all
                service = apprise.Apprise.instantiate(url)
            if service is None:
                self.invalid.append(masked(url, nth, len(urls)))
                self.log.warning("push: apprise does not understand %s: it is left out "
                                 "(see apprise's list of services and URL formats)",
                                 masked(url, nth, len(urls)))
                continue
            ap = apprise.Apprise()
            ap.add(service)
            self.services.append((masked(url, nth, len(urls)), ap))

    # -- the Sink protocol ------------------------------------------------------------------

    def handle(self, event: Event) -> None:
        shown = event.event == NUDGE or seek_care(event) or device_notice(event)
        if not shown or not self.services:
            return
        title = str(event.get("title") or "sitwatch")
        body = str(event.get("message") or title)
        if not self.worker.submit(lambda: self.send(title, body)):
            self.dropped += 1  # closed: shutting down

    def _dropped(self) -> None:
        self.dropped += 1
        self.problems.report("busy", f"push: {self.worker.max_pending} nudges already wait to "
                             "be sent; the oldest of them is dropped")

    def close(self) -> None:
        self.worker.close(self.close_timeout)

    def flush(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s until queued nudges have been sent (tests, shutdown)."""
        return self.worker.drain(timeout)

    # -- delivery ---------------------------------------------------------------------------

    def send(self, title: str, body: str) -> int:
        """Send to every service, synchronously; the number that accepted it."""
        apprise = _apprise()
        ok = 0
        for i, (where, ap) in enumerate(self.services):
            # apprise logs each failure itself, on every attempt: we capture its words for our
            # own rate-limited line and keep them out of the daemon's log.
            with _apprise_quiet(), apprise.LogCapture(level=logging.WARNING) as captured:
                try:
                    delivered = bool(ap.notify(body=body, title=title))
                    detail = captured.getvalue().strip().splitlines()
                except Exception as e:  # a plugin is third-party code
                    delivered, detail = False, [f"{type(e).__name__}: {e}"]
            if delivered:
                ok += 1
                self.sent += 1
                self.problems.solved(f"push: {where} delivers again", f"{i}:")
            else:
                self.failed += 1
                reason = scrub(_last_message(detail), self.urls) or "apprise reported a failure"
                self.problems.report(f"{i}: {reason}", f"push to {where} failed: {reason}")
        return ok

    # -- doctor -------------------------------------------------------------------------------

    def check(self) -> tuple[bool, str]:
        """Is the push channel usable? (ok, one line). Sends nothing."""
        if not self.available:
            return False, INSTALL_HINT
        parts = [f"push: {len(self.services)} service(s)"]
        if self.services:
            parts.append(", ".join(where for where, _ in self.services))
        if self.invalid:
            parts.append(f"not understood by apprise: {', '.join(self.invalid)}")
        return bool(self.services) and not self.invalid, "; ".join(parts)


def _last_message(lines: list[str]) -> str:
    """The text of apprise's last log line (its format is 'time - LEVEL - message')."""
    for line in reversed(lines):
        text = line.split(" - ", 2)[-1].strip()
        if text:
            return text
    return ""
