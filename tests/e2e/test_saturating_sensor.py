"""A sensor at full scale is a lower bound on the load there, not a broken one (issue #10),
through the commands a user runs: `sitwatch calibrate --recording` on the first settled upright
minute and the empty start, then `sitwatch replay --json`, each in a subprocess.

The recording is one of the simulated population's heavy sitters on the 12-sensor chair (sitter
50: away from the backrest, resettled after a break), whose mid-seat sensors reach full scale
after about 12 minutes. They used to be set aside with the load they carried, so the chair
seemed to carry less and the late half hour read leaning forward 99% of the time."""

from __future__ import annotations

import json

from sitwatch.evaluation import population, scoring
from tests.helpers.cli import sitwatch_ok as sitwatch

HEAVY = 50  # w=110 kg or so, 12-sensor chair, sits clear of the backrest


def time_in(events: list[dict], kind: str, state: str, start: float, end: float) -> float:
    """Seconds of [start, end) during which ``kind``'s state (from its events) was ``state``."""
    changes = [(e["t"], e["state"]) for e in events if e["event"] == kind]
    total, cur, since = 0.0, None, start
    for t, s in [*changes, (end, None)]:
        t = min(max(t, start), end)
        if cur == state:
            total += t - since
        cur, since = s, t
    return total


def test_a_heavy_sitters_saturated_mid_seat_is_counted_not_read_as_leaning_forward(
        tmp_path) -> None:
    s = population.sitter(HEAVY)
    d = population.recording(s)
    _, win = scoring.first_upright_profile(d)
    rec = d.write(tmp_path / "heavy.rec")
    cal = tmp_path / "cal.json"
    empty = next((a, b) for lab, a, b in d.segments() if lab == 0)
    sitwatch("calibrate", "--recording", str(rec), "--empty", f"{empty[0] + 2:g}:{empty[1] - 2:g}",
             "--upright", f"{win[0]}:{win[1]}", "-o", str(cal), home=tmp_path)
    out = sitwatch("replay", str(rec), "--calibration", str(cal), "--json", home=tmp_path)
    events = [json.loads(line) for line in out.splitlines()]
    assert events[-1]["event"] == "summary"
    channels = [e for e in events if e["event"] == "calibration" and e.get("state") == "channels"]
    assert channels and "p06 (saturated)" in channels[-1]["excluded"]  # still said
    late = d.segments()[-3]  # the late upright half hour, after the break (a crossed leg ends it)
    assert late[1] > 1500 and late[2] - late[1] > 1500
    forward = time_in(events, "posture", "leaning_forward", late[1] + 60, late[2])
    assert forward / (late[2] - late[1] - 60) < 0.05, forward  # was 99%
