"""PushSink with the real apprise library against a recording HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from sitwatch.core.events import NUDGE, Event
from sitwatch.sinks.push import INSTALL_HINT, PushSink

pytest.importorskip("apprise", reason="needs apprise (pip install apprise)")
pytestmark = pytest.mark.integration

LOG = logging.getLogger("sitwatch.test.push")
TITLE = "Time to get up — café"
MESSAGE = 'Stand up and walk for 2 minutes; it\'s "easy" ✓'


def nudge(kind: str = "prolonged_sitting") -> Event:
    return Event(60.0, NUDGE, None, {"kind": kind, "title": TITLE, "message": MESSAGE,
                                     "why": "sitting long"})


def test_json_service_gets_the_nudge(http_server):
    sink = PushSink([f"json://127.0.0.1:{http_server.port}/sitwatch"], log=LOG)
    assert sink.check()[0]
    sink.handle(Event(1.0, "posture", "slouched"))  # not a nudge: nothing sent
    sink.handle(nudge())
    assert sink.flush(15)
    (req,) = http_server.wait(1)
    assert (req.method, req.path) == ("POST", "/sitwatch")
    body = json.loads(req.body)
    assert body["title"] == TITLE
    assert body["message"] == MESSAGE
    assert (sink.sent, sink.failed, sink.dropped) == (1, 0, 0)
    sink.close()


def test_ntfy_service_gets_the_nudge(http_server):
    sink = PushSink([f"ntfy://127.0.0.1:{http_server.port}/sit-topic"], log=LOG)
    sink.handle(nudge())
    assert sink.flush(15)
    (req,) = http_server.wait(1)
    assert req.method == "POST"
    text = req.body.decode() + json.dumps(req.headers, ensure_ascii=False)
    assert "sit-topic" in text + req.path
    assert MESSAGE in req.body.decode() or json.dumps(MESSAGE)[1:-1] in req.body.decode()
    assert sink.sent == 1
    sink.close()


def test_a_failing_service_is_logged_once_and_never_raises(http_server, caplog):
    http_server.status = 500
    ok_url = f"json://127.0.0.1:{http_server.port}/fine"
    sink = PushSink([f"json://127.0.0.1:{http_server.port}/broken", ok_url], log=LOG)
    with caplog.at_level(logging.INFO, logger=LOG.name):
        sink.handle(nudge())
        sink.handle(nudge("slouch"))
        assert sink.flush(20)
        http_server.wait(4)
        warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        assert sink.failed == 4 and sink.sent == 0
        # one line per service and distinct reason, however often it happens
        assert len(warnings) == 2, warnings
        assert sorted(w.split(" failed")[0] for w in warnings) == [
            "push to json://(hidden) (URL 1 of 2)", "push to json://(hidden) (URL 2 of 2)"]
        assert any("500" in w for w in warnings), warnings

        http_server.status = 200
        sink.handle(nudge())
        assert sink.flush(20)
    again = [r.getMessage() for r in caplog.records if "delivers again" in r.getMessage()]
    assert len(again) == 2, again
    assert sink.sent == 2
    sink.close()


def test_an_unreachable_service_is_logged_not_raised(caplog):
    from tests.helpers.servers import free_port

    sink = PushSink([f"json://127.0.0.1:{free_port()}/nobody"], log=LOG)
    with caplog.at_level(logging.WARNING, logger=LOG.name):
        sink.handle(nudge())
        assert sink.flush(20)
    assert sink.failed == 1
    assert [r for r in caplog.records if "failed" in r.getMessage()]


def test_urls_apprise_does_not_understand_are_reported(http_server, caplog):
    with caplog.at_level(logging.WARNING, logger=LOG.name):
        sink = PushSink(["nosuchscheme://whatever/secret-token",
                         f"json://127.0.0.1:{http_server.port}/ok"], log=LOG)
    assert len(sink.services) == 1
    (line,) = [r.getMessage() for r in caplog.records]
    assert "nosuchscheme://(hidden) (URL 1 of 2)" in line and "secret-token" not in line
    ok, text = sink.check()
    assert not ok and "not understood" in text


def test_an_ntfy_topic_never_shows_in_the_log_or_in_doctors_line(http_server, caplog):
    """The topic is the secret of an ntfy URL (anyone who knows it reads and sends), and
    apprise's own messages name it: hidden as `sitwatch config show` hides it."""
    topic = "my-long-unguessable-topic"
    http_server.status = 403
    sink = PushSink([f"ntfy://127.0.0.1:{http_server.port}/{topic}"], log=LOG)
    with caplog.at_level(logging.INFO, logger=LOG.name):
        sink.handle(nudge())
        assert sink.flush(20)
    ok, line = sink.check()
    lines = [r.getMessage() for r in caplog.records]
    assert sink.failed == 1 and ok and line == "push: 1 service(s); ntfy://(hidden)"
    assert lines and lines[0].startswith("push to ntfy://(hidden) failed: ")
    assert "403" in lines[0]  # the service's reason is kept ...
    assert not [x for x in [*lines, line] if topic in x or "127.0.0.1" in x]  # ... not the URL
    sink.close()


def test_secrets_are_masked_in_logs(caplog):
    sink = PushSink(["tgram://123456789:AAbbCCddEEffGGhh/12315544/"], log=LOG)
    (where, _), = sink.services
    assert "AAbbCCddEEffGGhh" not in where and where.startswith("tgram://")


def test_without_apprise_the_sink_says_so_once_and_does_nothing(monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "apprise", None)  # import apprise -> ImportError
    with caplog.at_level(logging.WARNING, logger=LOG.name):
        sink = PushSink(["json://127.0.0.1:9/x"], log=LOG)
        sink.handle(nudge())
    assert not sink.available and sink.services == []
    assert [r.getMessage() for r in caplog.records] == [INSTALL_HINT]
    assert sink.check() == (False, INSTALL_HINT)


def test_the_seek_care_advice_of_a_red_flag_goes_to_the_phone_too(http_server):
    """A symptom diary entry with a red flag (the daemon's ``symptom`` event) is sent like a
    nudge; one without a red flag is not."""
    sink = PushSink([f"json://127.0.0.1:{http_server.port}/care"], log=LOG)
    sink.handle(Event(5.0, "symptom", None, {"kind": "pain", "red_flags": [], "advice": []}))
    sink.handle(Event(6.0, "symptom", None, {
        "kind": "numbness", "red_flags": ["saddle_numbness"],
        "title": "Please get medical care now", "message": "You noted numbness ..."}))
    assert sink.flush(15)
    (req,) = http_server.wait(1)
    body = json.loads(req.body)
    assert body["title"] == "Please get medical care now"
    assert body["message"] == "You noted numbness ..."
    assert sink.sent == 1
    sink.close()
