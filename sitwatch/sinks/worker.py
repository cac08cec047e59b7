"""A small job queue on a background thread, for the sinks whose delivery is slow.

Desktop notifications (a helper process, up to a few seconds), push services (the network) and
command hooks (the user's program) must never hold up the daemon's loop: their ``handle`` puts
one job here and returns at once. Jobs run one after another on a daemon thread that starts with
the first job.

The queue is bounded: when ``max_pending`` jobs already wait, the *oldest* waiting one is dropped
to make room (a fresh nudge matters more than a stale one), counted in :attr:`dropped` and
reported to ``on_drop`` (the sink logs it, once per problem). Submitting never blocks.

:meth:`BackgroundWorker.close` is bounded: queued jobs get up to ``timeout`` seconds to run, then
the rest are dropped (counted, logged) and a job still running is left to its daemon thread.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable

Job = Callable[[], object]


class BackgroundWorker:
    """Runs jobs one after another on a daemon thread; at most ``max_pending`` wait (at least
    one), the oldest waiting job is dropped for a new one beyond that.

    Jobs are callables that handle their own errors; anything they raise anyway is logged.
    ``on_drop()`` runs (on the submitting thread, outside the worker's lock) once per job
    dropped because the queue was full.
    """

    def __init__(
        self,
        name: str,
        log: logging.Logger,
        *,
        max_pending: int = 20,
        on_drop: Callable[[], None] | None = None,
    ) -> None:
        self.name = name
        self.log = log
        self.max_pending = max(1, max_pending)
        self.on_drop = on_drop
        self.dropped = 0  # jobs dropped because the queue was full, or abandoned at close()
        self._jobs: deque[Job] = deque()
        self._cv = threading.Condition()
        self._busy = False
        self._stopping = False
        self._thread: threading.Thread | None = None

    def submit(self, job: Job) -> bool:
        """Queue a job (dropping the oldest waiting one when the queue is full); False, and
        nothing queued, once the worker is closed. Never blocks on a running job."""
        with self._cv:
            if self._stopping:
                return False
            full = len(self._jobs) >= self.max_pending
            if full:
                self._jobs.popleft()
                self.dropped += 1
            self._jobs.append(job)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=f"sitwatch-{self.name}",
                                                daemon=True)
                self._thread.start()
            self._cv.notify_all()
        if full and self.on_drop is not None:
            self.on_drop()
        return True

    def drain(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds until every queued job has run; True if they have."""
        with self._cv:
            return self._cv.wait_for(lambda: not self._jobs and not self._busy, timeout)

    def close(self, timeout: float) -> bool:
        """Let queued jobs finish for up to ``timeout`` s, then stop taking jobs. True when
        nothing was left behind (a job still running is abandoned to the daemon thread)."""
        done = self.drain(timeout)
        with self._cv:
            self._stopping = True
            left = len(self._jobs)
            self._jobs.clear()
            self.dropped += left
            self._cv.notify_all()
        if left:
            self.log.warning("%s: %d queued deliveries abandoned at shutdown", self.name, left)
        return done and not left

    @property
    def closed(self) -> bool:
        with self._cv:
            return self._stopping

    @property
    def pending(self) -> int:
        """Jobs waiting, plus the one running."""
        with self._cv:
            return len(self._jobs) + (1 if self._busy else 0)

    def _run(self) -> None:
        while True:
            with self._cv:
                self._cv.wait_for(lambda: self._jobs or self._stopping)
                if not self._jobs:
                    return
                job = self._jobs.popleft()
                self._busy = True
            try:
                job()
            except Exception:
                self.log.exception("%s: a delivery failed unexpectedly", self.name)
            finally:
                with self._cv:
                    self._busy = False
                    self._cv.notify_all()
