"""A perch on a chair with backrest sensors gets words for a perch, through the commands a user
runs: `sitwatch calibrate --recording`, then `sitwatch replay --json` (each in a subprocess).

The sitter is one of the stress test's simulated people on the 12-sensor chair who perches on
the front edge of the seat for a few minutes (the rear of the seat empty, the backrest free).
That reads leaning forward, and its nudge used to say "You are leaning in ... Hunching towards
the desk": words for a lean towards the screen. The backrest sensors tell a perch from a slump
(which rests the lower back on the backrest), so the nudge now names the perch and asks the
sitter to slide back to the backrest. A seat alone cannot tell the two apart and keeps its own
words for weight on the front of the seat."""

from __future__ import annotations

from sitwatch.evaluation import population
from sitwatch.nudging.guidance import CATALOG, PERCHED
from tests.helpers.cli import calibrated_replay

SITTER = 5  # smartchair-12, perches on the front edge for PERCH_S


def test_a_perch_on_a_chair_is_nudged_as_a_perch(tmp_path) -> None:
    s = population.sitter(SITTER)
    assert s.layout == "smartchair-12" and s.perch
    d = population.recording(s)
    events = calibrated_replay(d, tmp_path)
    perch = next((a, b) for lab, a, b in d.segments() if lab == population.PERCH)
    told = [e for e in events if e["event"] == "nudge" and perch[0] <= e["t"] <= perch[1]]
    assert told, [(e["t"], e.get("title")) for e in events if e["event"] == "nudge"]
    words = CATALOG[PERCHED]
    for e in told:  # before: "You are leaning in", "Hunching towards the desk ..."
        assert e["posture"] == "leaning_forward"
        assert e["title"] in words.titles and e["why"] == words.why, e
        assert any(e["message"].startswith(a) for a in words.actions), e
