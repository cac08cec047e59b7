"""Command hook sink: runs a command of the user's for every nudge.

The command is an argument list, never a shell line: ``["notify-phone", "--title", "{title}"]``.
In each argument the placeholders ``{kind}``, ``{title}``, ``{message}``, ``{why}`` and ``{t}``
are replaced by the nudge's fields (one pass: text that arrives through a placeholder is not
expanded again; other braces stay as they are). The command also gets

- the event's JSON (the docs/events.md contract) on standard input, with ``at``: when the
  nudge happened, by the daemon's wall clock, as ``sitwatch run --json`` and MQTT have it (a
  nudge that waited behind a slow command keeps its own), and
- ``SITWATCH_EVENT``, ``SITWATCH_KIND``, ``SITWATCH_TITLE``, ``SITWATCH_MESSAGE``,
  ``SITWATCH_WHY`` and ``SITWATCH_T`` in its environment.

Commands run one at a time on a background thread (:class:`~sitwatch.sinks.worker.BackgroundWorker`,
shared with the push and desktop sinks), so a slow one never holds up the daemon. The command is
done when its own process exits: what it started in the background (``nohup player ... &``) is
left running, even while it keeps the command's stderr open. A command that has not exited after
``timeout`` is killed with its whole process group (it leads its own session). When
``max_pending`` nudges already wait, the oldest of them is dropped for the new one (counted,
logged once). A command that cannot
start, fails or times out is logged (once per distinct problem; recovery is logged too), never
raised.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import signal
import subprocess
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import IO

from sitwatch.core.clock import SystemClock
from sitwatch.core.events import NUDGE, Event
from sitwatch.sinks.base import Problems
from sitwatch.sinks.worker import BackgroundWorker

PLACEHOLDERS = ("kind", "title", "message", "why", "t")
_PLACEHOLDER = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")
STDERR_KEEP = 4000  # characters of a failing command's stderr kept for the log
STDERR_GRACE = 0.5  # s to wait, after the command exited, for the end of its stderr
KILL_WAIT = 5.0  # s to wait for a command killed after the timeout to be gone


def expand(argv_template: Sequence[str], fields: Mapping[str, str]) -> list[str]:
    """Each argument with ``{kind}`` etc. replaced from ``fields`` (missing: empty)."""
    return [_PLACEHOLDER.sub(lambda m: fields.get(m.group(1), ""), arg) for arg in argv_template]


def nudge_fields(event: Event) -> dict[str, str]:
    return {
        "kind": str(event.get("kind") or ""),
        "title": str(event.get("title") or ""),
        "message": str(event.get("message") or ""),
        "why": str(event.get("why") or ""),
        "t": f"{event.t:g}",
    }


class CommandHookSink:
    """Runs ``argv_template`` (expanded) for every nudge; other events are ignored.

    ``now`` gives the wall time that dates each nudge on the command's stdin (``at``): the
    daemon passes its clock's, so the hook, MQTT and ``run --json`` agree."""

    name = "hook"

    def __init__(
        self,
        argv_template: Sequence[str],
        *,
        timeout: float = 10.0,
        log: logging.Logger,
        env: Mapping[str, str] | None = None,
        max_pending: int = 10,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        if not argv_template or not argv_template[0]:
            raise ValueError("the hook command is empty")
        self.argv_template = list(argv_template)
        self.timeout = timeout
        self.log = log
        self.env = env
        self.now = now or SystemClock().now
        self.worker = BackgroundWorker("hook", log, max_pending=max_pending,
                                       on_drop=self._dropped)
        self.problems = Problems(self.log)
        self.ran = 0  # commands that exited with status 0
        self.failed = 0  # could not start, non-zero exit, or killed after the timeout
        self.dropped = 0  # nudges not run because too many were waiting (or after close)

    # -- the Sink protocol ------------------------------------------------------------------

    def handle(self, event: Event) -> None:
        if event.event != NUDGE:
            return
        at = self.now()  # now, when it happened: not when the worker gets to it
        if not self.worker.submit(lambda: self.run(event, at)):
            self.dropped += 1  # closed: shutting down

    def _dropped(self) -> None:
        self.dropped += 1
        self.problems.report("busy", f"hook: {self.worker.max_pending} nudges already wait for "
                             f"{self.program}; the oldest of them is dropped")

    def close(self) -> None:
        self.worker.close(self.timeout + 1.0)

    def flush(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s until queued commands have run (tests, shutdown)."""
        return self.worker.drain(timeout)

    @property
    def program(self) -> str:
        return Path(self.argv_template[0]).name

    # -- running ------------------------------------------------------------------------------

    def run(self, event: Event, at: datetime | None = None) -> bool:
        """Run the command for one nudge, synchronously; True if it exited with status 0.
        ``at``: when the nudge happened (default: now)."""
        fields = nudge_fields(event)
        argv = expand(self.argv_template, fields)
        env = dict(os.environ if self.env is None else self.env)
        env["SITWATCH_EVENT"] = event.event
        for key, value in fields.items():
            env[f"SITWATCH_{key.upper()}"] = value
        try:
            proc = subprocess.Popen(
                argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                env=env, start_new_session=True, close_fds=True,
            )
        except OSError as e:
            self.failed += 1
            self.problems.report(f"start: {e.strerror}", f"hook: cannot run {argv[0]}: "
                          f"{e.strerror or e}")
            return False
        assert proc.stdin is not None and proc.stderr is not None
        # The command's own exit is what counts, not the end of its output: something it
        # starts in the background keeps the stderr pipe open after it has exited. So stdin
        # is written and stderr read on helper threads, and this one waits for the process.
        err = _Tail(proc.stderr)
        _feed(proc.stdin, (event.to_json(at=at or self.now()) + "\n").encode())
        try:
            proc.wait(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            # (not even SIGKILL ends a process stuck on a device: give up waiting then)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=KILL_WAIT)
            self.failed += 1
            self.problems.report("timeout", f"hook: {self.program} did not finish within "
                          f"{self.timeout:g} s and was killed")
            return False
        if proc.returncode != 0:
            self.failed += 1
            text = err.text(STDERR_GRACE)[-STDERR_KEEP:].strip().splitlines()
            how = (f"was killed by signal {-proc.returncode}" if proc.returncode < 0
                   else f"exited with {proc.returncode}")
            self.problems.report(f"exit {proc.returncode}", f"hook: {self.program} {how}"
                          + (f": {text[-1]}" if text else ""))
            return False
        self.ran += 1
        self.problems.solved(f"hook: {self.program} works again")
        return True


class _Tail:
    """Reads a pipe to its end on a daemon thread, keeping the last :data:`STDERR_KEEP`
    characters. The end may come long after the command exited (a background process it
    started holds the pipe), so :meth:`text` never waits for it for more than a moment."""

    def __init__(self, pipe: IO[bytes]) -> None:
        self._pipe = pipe
        self._data = b""
        self._lock = threading.Lock()
        self._done = threading.Event()
        threading.Thread(target=self._read, name="hook-stderr", daemon=True).start()

    def _read(self) -> None:
        try:
            while chunk := os.read(self._pipe.fileno(), 4096):
                with self._lock:
                    self._data = (self._data + chunk)[-STDERR_KEEP * 4:]
        except (OSError, ValueError):
            pass
        finally:
            self._done.set()
            self._pipe.close()

    def text(self, grace: float) -> str:
        """What was read so far, after waiting up to ``grace`` s for the end of the pipe
        (what the exited command wrote is already in the pipe: a moment is enough)."""
        self._done.wait(grace)
        with self._lock:
            return self._data.decode(errors="replace")


def _feed(pipe: IO[bytes], data: bytes) -> None:
    """Write the event to the command's stdin and close it, on a daemon thread: a command that
    never reads its input must not hold up the wait for its exit."""

    def write() -> None:
        with contextlib.suppress(OSError):  # it exited (or closed stdin) without reading
            pipe.write(data)
        with contextlib.suppress(OSError):
            pipe.close()

    threading.Thread(target=write, name="hook-stdin", daemon=True).start()


def check_command(argv_template: Sequence[str], timeout: float,
                  path: str | None = None) -> tuple[str, str]:
    """``sitwatch doctor``'s word on the hook: ("ok" | "fail", what was found). The program is
    looked up as the sink runs it: a name without a slash on ``path`` (default: ``$PATH``),
    anything else as a file, with no shell (so ``~`` is not expanded)."""
    key = "[nudges.hook] command"
    prog = argv_template[0] if argv_template else ""
    if not prog:
        return "fail", f"{key} starts with an empty program name: put the program first"
    if prog.startswith("~"):
        full = os.path.expanduser(prog)
        return "fail", (f"{key}: {prog}: no shell runs the command, so ~ is not expanded: "
                        f"write the full path ({full})")
    if "/" not in prog:
        found = shutil.which(prog, path=path)
        if found is None:
            return "fail", (f"{key}: {prog!r} is not found on PATH: install it, or write its "
                            "full path")
        where = Path(found)
    else:
        where = Path(prog)
        if not where.is_absolute():
            return "fail", (f"{key}: {prog} is a relative path, which depends on the folder "
                            f"sitwatch starts in: write the full path ({where.absolute()})")
        if not where.exists():
            return "fail", f"{key}: {prog} does not exist: fix the path, or create the program"
        if where.is_dir():
            return "fail", f"{key}: {prog} is a folder, not a program: name the program in it"
        if not os.access(where, os.X_OK):
            return "fail", f"{key}: {prog} is not executable: chmod +x {prog}"
    return "ok", f"runs {where} for every nudge (killed after {timeout:g} s)"


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill the command and everything it started (it leads its own session)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
