"""A sitter whose usual upright sits a little to one side, through the commands a user runs
(issue #10): `sitwatch calibrate --recording` on the empty seat and the first upright minute,
then `sitwatch replay --json`, each in a subprocess, on a simulated population recording.

Sitter 15 of the population (the 12-sensor chair, usual sitting 0.14 to the left, noise 3x the
simulator's) reads -0.16..-0.21 sitting as usual: balanced, under the 0.25 threshold. After a
lean to the left, back to that usual sitting, the state used to stay "left" for the whole two
minutes (past the fixed 0.15 release), where a naive fixed-threshold rule let go. The lean is
over once the shift is back near where this person usually sits."""

from __future__ import annotations

import json

from sitwatch.evaluation import population as P
from sitwatch.evaluation import scoring
from tests.helpers.cli import sitwatch_ok as sitwatch

RELEASE = 15.0  # seconds into a segment the previous state may still be reported


def balance_at(events: list[dict], t: float) -> str | None:
    state = None
    for e in events:
        if e["t"] > t:
            break
        if e["event"] == "balance":
            state = e["state"]
        elif e["event"] == "occupancy" and e["state"] == "empty":
            state = None
    return state


def test_replay_ends_a_lean_when_the_sitter_is_back_to_their_usual_sitting(tmp_path) -> None:
    d = P.recording(P.sitter(15))
    _, win = scoring.first_upright_profile(d)
    segs = d.segments()
    empty = next((a, b) for code, a, b in segs if code == P.EMPTY_SEAT)
    rec = d.write(tmp_path / "sitter15.rec")
    cal = tmp_path / "cal.json"
    sitwatch("calibrate", "--recording", str(rec), "--empty", f"{empty[0] + 2}:{empty[1] - 2}",
             "--upright", f"{win[0]}:{win[1]}", "-o", str(cal), home=tmp_path)
    out = sitwatch("replay", str(rec), "--calibration", str(cal), "--json", home=tmp_path)
    events = [json.loads(line) for line in out.splitlines()]
    assert events[-1]["event"] == "summary"
    i = next(k for k, (code, _, _) in enumerate(segs) if code == P.LEFT)
    _, a, b = segs[i]
    assert any(e["event"] == "balance" and e["state"] == "left" and a <= e["t"] < b
               for e in events), "the lean itself is reported"
    code, a, b = segs[i + 1]
    assert code == P.UPRIGHT_BACK
    got = [balance_at(events, t) for t in range(int(a + RELEASE), int(b))]
    assert got.count("balanced") >= 0.95 * len(got), got
    # and their usual sitting is never called lopsided, the late half-hour after their break
    # too: the backrest channels' zeros drift (its centre moves 0.3 to the left over the
    # hour, while the seat's stays put); it read left through the backrest's cue 60% of that
    # stretch before the detector followed the backrest's centre in settled sitting
    for code, a, b in segs[2:]:
        if code == P.UPRIGHT_BACK and (a, b) != segs[i + 1][1:]:
            got = [balance_at(events, t) for t in range(int(a + RELEASE), int(b))]
            assert not {"left", "right"} & set(got), (a, got)
