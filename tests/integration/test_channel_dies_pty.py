"""A pad that dies under the sitter, through the daemon ``sitwatch run`` builds: vanessa's real
session (SmartChair-ML, 12 sensors) sent as serial lines down a pseudo-terminal in accelerated
time (a ManualClock stamps the frames), her calibration where `sitwatch calibrate` saves it, and
p08 (mid seat) reading nothing from minute 10 on, as a cracked lead would. The daemon names the
pad in its status within seconds (what `sitwatch status` prints) and her upright sitting goes on
reading balanced, and `sitwatch doctor` asks to check that pad's lead; before, the dead pad was
never noticed and pulled her to the other side."""

from __future__ import annotations

import pytest

from sitwatch.cli.doctor import WARN, check_cushion_in_use
from sitwatch.core.clock import ManualClock
from sitwatch.evaluation import datasets, variants
from sitwatch.runtime.assemble import build_daemon
from sitwatch.runtime.files import profile_path, status_path
from sitwatch.runtime.status import format_status, read_status
from sitwatch.sensing import calibration
from tests.helpers.virtual_cushion import recording_daemon_config, send_frame

pytestmark = [pytest.mark.integration, pytest.mark.datasets]
FAILS = 600.0
TO = 836.0  # the end of her upright sitting clear of the backrest (336-836 s)


def test_the_daemon_names_a_dead_pad_at_once_and_keeps_her_balanced(
        serial_pty, datasets_dir) -> None:
    master, port = serial_pty
    session = datasets.smartchair(datasets_dir / "smartchair-ml" / "scripted_vanessa.csv")
    d = variants.breaks(session, 8, 0.0, after=FAILS)
    cfg = recording_daemon_config(port, d)
    clock = ManualClock()
    daemon = build_daemon(cfg, d.layout, calibration.load(profile_path(cfg)), clock,
                          headless=True)
    dt = float(d.t[1] - d.t[0])
    sides, named_at, t = [], None, 0.0
    try:
        for values in d.values[d.t < TO]:
            send_frame(master, values)
            clock.advance(dt)
            t += dt
            for e in daemon.step(0.05):
                if e.event == "balance" and e.state in ("left", "right"):
                    sides.append((t, e.state))
                if (named_at is None and e.event == "calibration"
                        and "p08 (dropped to zero on its own)" in (e.get("excluded") or [])):
                    named_at = t
        daemon.status.write()  # type: ignore[union-attr]
        text = format_status(read_status(status_path(cfg), clock))  # as `sitwatch status`
        doctor = check_cushion_in_use(cfg, clock)  # as `sitwatch doctor`, the daemon running
    finally:
        daemon.close()
    assert named_at is not None and named_at <= FAILS + 5, named_at
    assert "left out: p08 (dropped to zero on its own)" in text, text
    level, what, detail = doctor
    assert (level, what) == (WARN, "cushion"), doctor
    assert "p08 (dropped to zero on its own)" in detail and "p07" not in detail, detail
    assert not sides, sides  # before: a lean to one side from 10 s after, 83-100% of each minute
