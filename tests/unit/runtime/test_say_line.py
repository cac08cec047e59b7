"""The bridge's and the companion's lines on stderr (sitwatch.cli.common.say_line): each is one
write, so two threads speaking at once (paho's "connected" and the main thread's note that no
desktop answers) never run two lines together. CI showed
"...(it tries again with each one)sitwatch companion: connected to 127.0.0.1..."."""

from __future__ import annotations

import threading

from sitwatch.cli import bridge, companion
from sitwatch.cli.common import say_line


class Writes:
    """A stderr that keeps each write() apart, and lets another thread in between them."""

    def __init__(self) -> None:
        self.writes: list[str] = []

    def write(self, s: str) -> int:
        self.writes.append(s)
        threading.Event().wait(0.001)  # a thread switch here interleaved print's two writes
        return len(s)

    def flush(self) -> None:
        pass


def test_a_line_is_one_write_with_its_newline(monkeypatch) -> None:
    out = Writes()
    monkeypatch.setattr("sys.stderr", out)
    companion.say("connected")
    bridge.say("connected")
    say_line("x")
    assert out.writes == ["sitwatch companion: connected\n", "sitwatch bridge: connected\n",
                          "x\n"]


def test_two_threads_never_run_their_lines_together(monkeypatch) -> None:
    out = Writes()
    monkeypatch.setattr("sys.stderr", out)
    threads = [threading.Thread(target=lambda i=i: [companion.say(f"t{i} {k}") for k in range(20)])
               for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    text = "".join(out.writes)
    lines = text.splitlines()
    assert len(lines) == 80 and text.endswith("\n")
    assert all(ln.startswith("sitwatch companion: t") and ln.count("sitwatch") == 1
               for ln in lines), lines
