"""CommandHookSink with real commands (sh writing to a temporary file)."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from sitwatch.core.clock import ManualClock
from sitwatch.core.events import NUDGE, Event
from sitwatch.sinks.hook import CommandHookSink, expand
from sitwatch.sinks.worker import BackgroundWorker

pytestmark = pytest.mark.integration

LOG = logging.getLogger("sitwatch.test.hook")
TITLE = "Sit back — it's \"easy\" $HOME `id` ✓"


def nudge(kind: str = "slouch", title: str = TITLE) -> Event:
    return Event(42.5, NUDGE, None, {"kind": kind, "title": title,
                                     "message": "Slide your hips back; {why} stays literal",
                                     "why": "{kind} is not expanded twice"})


def test_placeholders_are_replaced_once_per_argument():
    fields = {"kind": "slouch", "title": "{message}", "message": "M", "why": "W", "t": "1"}
    assert expand(["x{kind}y", "{title}", "{nope}", "{{kind}}", "{why}{t}"], fields) == [
        "xslouchy", "{message}", "{nope}", "{slouch}", "W1"]


def test_the_command_gets_arguments_stdin_and_environment(tmp_path):
    out = tmp_path / "out.txt"
    script = ('printf "%s\\n" "$1" "$2" "$SITWATCH_KIND" "$SITWATCH_TITLE" "$SITWATCH_WHY" '
              '"$SITWATCH_EVENT" > "$OUT"; cat >> "$OUT"')
    clock = ManualClock(datetime(2026, 2, 3, 14, 5, 9, tzinfo=timezone(timedelta(hours=1))))
    sink = CommandHookSink(["sh", "-c", script, "hook", "{kind}:{t}", "{title}"], timeout=10,
                           log=LOG, env={**os.environ, "OUT": str(out)}, now=clock.now)
    sink.handle(Event(1.0, "posture", "slouched"))  # not a nudge: nothing runs
    sink.handle(nudge())
    assert sink.flush(10)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[:6] == ["slouch:42.5", TITLE, "slouch", TITLE, "{kind} is not expanded twice",
                         "nudge"]
    event = json.loads(lines[6])
    assert event == {"t": 42.5, "event": "nudge", "kind": "slouch", "title": TITLE,
                     "message": "Slide your hips back; {why} stays literal",
                     "why": "{kind} is not expanded twice", "at": "2026-02-03T14:05:09+01:00"}
    assert (sink.ran, sink.failed) == (1, 0)
    sink.close()


def test_a_nudge_that_waited_behind_a_slow_command_keeps_its_own_time(tmp_path):
    out, gate = tmp_path / "out.txt", tmp_path / "gate"
    clock = ManualClock(datetime(2026, 2, 3, 14, 5, 9, tzinfo=UTC))
    # each command waits for the gate, so the second nudge runs after the clock moved on
    script = 'while [ ! -e "$1" ]; do sleep 0.01; done; cat >> "$0"'
    sink = CommandHookSink(["sh", "-c", script, str(out), str(gate)], timeout=10, log=LOG,
                           now=clock.now)
    sink.handle(nudge("slouch"))
    sink.handle(nudge("wallet"))
    clock.advance(3600)
    gate.touch()
    assert sink.flush(10)
    sent = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [(e["kind"], e["at"]) for e in sent] == [("slouch", "2026-02-03T14:05:09+00:00"),
                                                    ("wallet", "2026-02-03T14:05:09+00:00")]
    sink.close()


def test_nudges_run_in_order_without_blocking_the_caller(tmp_path):
    out = tmp_path / "order.txt"
    sink = CommandHookSink(["sh", "-c", 'echo "$1" >> "$0"', str(out), "{kind}"], timeout=10,
                           log=LOG)
    for kind in ("slouch", "wallet", "asymmetric_load"):
        sink.handle(nudge(kind))
    assert sink.flush(10)
    assert out.read_text().split() == ["slouch", "wallet", "asymmetric_load"]
    sink.close()


def test_a_hung_command_is_killed_with_its_children(tmp_path, caplog):
    pidfile = tmp_path / "child.pid"
    script = 'sleep 60 & echo $! > "$0.tmp" && mv "$0.tmp" "$0"; wait'
    sink = CommandHookSink(["sh", "-c", script, str(pidfile)], timeout=2, log=LOG)
    with caplog.at_level(logging.WARNING, logger=LOG.name):
        sink.handle(nudge())  # returns at once; the command runs on the worker thread
        deadline = time.monotonic() + 10
        while not pidfile.exists() and time.monotonic() < deadline:
            time.sleep(0.02)  # bounded polling for the real process
        assert pidfile.exists(), "the hook never started"
        child = int(pidfile.read_text())
        assert _alive(child)
        assert sink.flush(15)
    assert sink.failed == 1 and sink.ran == 0
    (msg,) = [r.getMessage() for r in caplog.records]
    assert "did not finish within 2 s and was killed" in msg
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not _alive(child), "the hook's child survived the timeout"


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting for its reaper counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def test_failures_are_logged_once_and_recovery_too(tmp_path, caplog):
    flag = tmp_path / "ok"
    script = 'test -e "$0" || { echo "no flag file" >&2; exit 7; }'
    sink = CommandHookSink(["sh", "-c", script, str(flag)], timeout=10, log=LOG)
    with caplog.at_level(logging.INFO, logger=LOG.name):
        sink.handle(nudge())
        sink.handle(nudge())
        assert sink.flush(10)
        flag.touch()
        sink.handle(nudge())
        assert sink.flush(10)
    msgs = [r.getMessage() for r in caplog.records]
    assert msgs == ["hook: sh exited with 7: no flag file", "hook: sh works again"]
    assert (sink.failed, sink.ran) == (2, 1)


def test_a_missing_program_is_logged_not_raised(caplog):
    sink = CommandHookSink(["/nonexistent/notify-me", "{title}"], timeout=5, log=LOG)
    with caplog.at_level(logging.WARNING, logger=LOG.name):
        sink.handle(nudge())
        assert sink.flush(10)
    assert sink.failed == 1
    assert "cannot run /nonexistent/notify-me" in caplog.records[0].getMessage()


def test_a_full_queue_drops_and_says_so(tmp_path, caplog):
    gate = tmp_path / "gate"
    # The first command waits (bounded) for the gate file, so later nudges pile up.
    script = ('i=0; while [ ! -e "$0" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done')
    sink = CommandHookSink(["sh", "-c", script, str(gate)], timeout=20, log=LOG, max_pending=1)
    with caplog.at_level(logging.WARNING, logger=LOG.name):
        for _ in range(4):
            sink.handle(nudge())
        gate.touch()
        assert sink.flush(20)
    assert sink.dropped >= 2 and sink.ran == 4 - sink.dropped
    assert len([r for r in caplog.records if "dropped" in r.getMessage()]) == 1


def test_an_empty_command_is_refused():
    with pytest.raises(ValueError):
        CommandHookSink([], timeout=1, log=LOG)


def test_worker_close_abandons_what_is_left():
    w = BackgroundWorker("t", LOG, max_pending=5)
    seen: list[int] = []
    w.submit(lambda: seen.append(1))
    assert w.close(5) is True
    assert w.submit(lambda: seen.append(2)) is False
    assert seen == [1]


@pytest.mark.skipif(sys.platform != "linux", reason="checks /proc")
def test_the_command_does_not_inherit_our_terminal(tmp_path):
    out = tmp_path / "sid.txt"
    sink = CommandHookSink(["sh", "-c", 'cut -d" " -f6 /proc/$$/stat > "$0"', str(out)],
                           timeout=10, log=LOG)
    assert sink.run(nudge()) is True
    assert int(out.read_text()) != os.getsid(0)  # its own session: killable as a group


# -- a command that starts something in the background --------------------------------------

def _started(pidfile: Path) -> int:
    """The pid a hook wrote (it wrote it before exiting or being killed)."""
    return int(pidfile.read_text())


def _stop(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, 9)


def test_a_command_that_leaves_something_running_has_succeeded(tmp_path, caplog):
    """`player sound.wav &; exit 0`: the command exited at once with 0. What it left running
    holds our stderr pipe, yet neither counts as a hang nor is killed."""
    pidfile = tmp_path / "bg.pid"
    sink = CommandHookSink(["sh", "-c", 'sleep 60 >/dev/null & echo $! > "$0"; exit 0',
                            str(pidfile)], timeout=5, log=LOG)
    with caplog.at_level(logging.WARNING, logger=LOG.name):
        started = time.monotonic()
        ok = sink.run(nudge())
        took = time.monotonic() - started
    child = _started(pidfile)
    try:
        assert ok and (sink.ran, sink.failed) == (1, 0)
        assert took < 4, f"waited {took:.1f} s for the background child"
        assert not caplog.records
        assert _alive(child), "the hook's background child was killed"
    finally:
        _stop(child)


def test_a_failing_command_is_reported_even_while_its_child_holds_stderr(tmp_path, caplog):
    pidfile = tmp_path / "bg.pid"
    script = 'setsid sleep 60 & echo $! > "$0"; echo "no speaker found" >&2; exit 3'
    sink = CommandHookSink(["sh", "-c", script, str(pidfile)], timeout=5, log=LOG)
    with caplog.at_level(logging.WARNING, logger=LOG.name):
        started = time.monotonic()
        assert sink.run(nudge()) is False
        took = time.monotonic() - started
    _stop(_started(pidfile))
    assert took < 4
    assert [r.getMessage() for r in caplog.records] == ["hook: sh exited with 3: no speaker found"]


def test_nothing_blocks_after_killing_a_hung_command_whose_child_escaped(tmp_path, caplog):
    """A command that hangs, with a child in a session of its own (out of reach of the group
    kill) holding stderr: killed at the timeout, and the worker is free again at once (it
    used to wait for the child's end with no timeout, and later nudges were dropped)."""
    pidfile = tmp_path / "bg.pid"
    script = 'setsid sleep 60 & echo $! > "$0"; sleep 60'
    sink = CommandHookSink(["sh", "-c", script, str(pidfile)], timeout=2, log=LOG)
    with caplog.at_level(logging.WARNING, logger=LOG.name):
        started = time.monotonic()
        assert sink.run(nudge()) is False
        took = time.monotonic() - started
    _stop(_started(pidfile))
    assert took < 6, f"blocked {took:.1f} s after the kill"
    assert [r.getMessage() for r in caplog.records] == [
        "hook: sh did not finish within 2 s and was killed"]
