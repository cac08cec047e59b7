"""The web pages word their restart advice with what systemd says of sitwatch's service, and
keep that answer for INSTALLED_TTL seconds of the app's clock: each page view of a history from
an older sitwatch spawned systemctl (~9 ms) to ask it again. The app in-process with a manual
clock, the stand-in ``systemctl`` of test_calibrate_restart_hint.py (it logs its calls) on PATH.
"""

from __future__ import annotations

import warnings
from datetime import date, datetime
from pathlib import Path

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

with warnings.catch_warnings():  # starlette 1.x prefers httpx2 for its test client
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from sitwatch.config import Config
from sitwatch.core.clock import ManualClock
from sitwatch.web.app import INSTALLED_TTL, Settings, create_app
from tests.e2e.test_restart_hint_everywhere import _installed
from tests.helpers.history import TZ, older_history

pytestmark = pytest.mark.integration

DAY = date(2026, 3, 4)
SERVICE_RUNS = ("sitwatch runs as a service: \u201csystemctl --user restart sitwatch\u201d "
                "makes it upgrade the file itself.")


def test_the_pages_ask_systemd_once_a_while(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    env = _installed(tmp_path, "active")
    for var in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME",
                "XDG_RUNTIME_DIR", "PATH"):
        monkeypatch.setenv(var, env[var])
    log = tmp_path / "bin" / "systemctl.log"
    log.unlink(missing_ok=True)
    hist = tmp_path / "older.sqlite"
    older_history(hist, DAY)
    clock = ManualClock(datetime(2026, 3, 5, 12, tzinfo=TZ), monotonic=100.0)
    s = Settings(cfg=Config(), history=hist, status=tmp_path / "status.json", tz=TZ,
                 clock=clock)

    def asked() -> int:  # how many times the pages looked: each look starts with this
        return log.read_text().count("show-environment") if log.exists() else 0

    with TestClient(create_app(s), base_url="http://127.0.0.1:8765") as c:
        for page in ("/today", "/week/2026-03-04", "/settings", "/today"):
            r = c.get(page)
            assert r.status_code == 200, page
        assert SERVICE_RUNS in r.text
        assert asked() == 1
        clock.advance(INSTALLED_TTL - 1)
        assert SERVICE_RUNS in c.get("/week/2026-03-04").text
        assert asked() == 1
        # the service is stopped meanwhile: the pages say so once they look again
        (tmp_path / "bin" / "systemctl").write_text(
            (tmp_path / "bin" / "systemctl").read_text().replace("echo active", "echo inactive"))
        clock.advance(1)
        text = c.get("/today").text
        assert asked() == 2
        assert ("The sitwatch service is installed but not running: \u201csystemctl --user "
                "start sitwatch\u201d starts it, and it will upgrade the file itself.") in text
        c.get("/today")
        assert asked() == 2
