from datetime import datetime, timedelta

import pytest

from sitwatch.config import Config, Nudges
from sitwatch.core import spans
from sitwatch.core.clock import ManualClock
from sitwatch.core.events import Event
from sitwatch.nudging import control
from sitwatch.nudging.gate import DELIVER, DROP, HOLD, NudgeGate
from sitwatch.nudging.policy import NudgePolicy


def policy(**kw) -> NudgePolicy:
    return NudgePolicy(Nudges(**kw), sit_limit=2700)


def sit(p: NudgePolicy, t: float, *, spell: float, occupied=True, posture="upright",
        posture_for=0.0, balance="balanced", balance_for=0.0, wallet=False, spell_start=0.0):
    return p.step(t, spell=spell, spell_start=spell_start, occupied=occupied, posture=posture,
                  posture_for=posture_for, balance=balance, balance_for=balance_for, wallet=wallet)


def nudges(evs):
    return [e for e in evs if e.event == "nudge"]


def test_gentle_then_firm_then_quiet_within_one_spell() -> None:
    p = policy()
    got = []
    for t in range(2700, 2700 + 4 * 3600, 10):
        got += nudges(sit(p, t, spell=t))
    assert [e.get("level") for e in got] == ["gentle", "firm"]
    assert got[1].t - got[0].t == 900
    assert got[1].get("title").startswith("Still")
    # a new spell (after a break) starts a new episode
    got = nudges(sit(p, 20000, spell=2800, spell_start=17200))
    assert [e.get("level") for e in got] == ["gentle"]


def test_outcome_responded_when_the_sitter_stands_up() -> None:
    p = policy()
    assert nudges(sit(p, 2700, spell=2700))
    evs = sit(p, 2760, spell=2760, occupied=False)
    out = [e for e in evs if e.event == "nudge_outcome"]
    assert out and out[0].get("responded") is True and out[0].get("after") == 60


def test_ignored_kinds_are_spaced_out_and_recover_after_a_response() -> None:
    p = policy(per_episode=5)
    outcomes = []
    t = 0.0
    for _episode in range(4):  # four slouch episodes, every nudge ignored
        start = t
        for _ in range(60):
            t += 30
            evs = sit(p, t, spell=100, posture="slouched", posture_for=t - start, spell_start=0)
            outcomes += [e for e in evs if e.event == "nudge_outcome"]
        t += 10
    assert outcomes and not any(o.get("responded") for o in outcomes)
    assert p.cooldown("slouch") == 4 * 900  # capped back-off
    # now the sitter acts on one
    while not nudges(sit(p, t, spell=100, posture="slouched", posture_for=5000)):
        t += 30
    evs = sit(p, t + 20, spell=100, posture="upright", posture_for=0)
    assert [e.get("responded") for e in evs if e.event == "nudge_outcome"] == [True]
    assert p.cooldown("slouch") == 900


def test_forward_lean_uses_the_slouch_kind_with_its_own_text() -> None:
    p = policy()
    ev = nudges(sit(p, 100, spell=100, posture="leaning_forward", posture_for=61))[0]
    assert ev.get("kind") == "slouch" and ev.get("posture") == "leaning_forward"
    assert "lean" in ev.get("title").lower() or "screen" in ev.get("title").lower()


def test_on_a_seat_alone_leaning_forward_is_told_as_weight_forward() -> None:
    """A seat cannot tell a perch from a deep slump: the words must fit both, not speak of
    leaning towards the screen."""
    from sitwatch.nudging.guidance import CATALOG, WEIGHT_FORWARD

    p = policy()
    ev = nudges(p.step(100, spell=100, spell_start=0.0, occupied=True,
                       posture="leaning_forward", posture_for=61, balance="balanced",
                       balance_for=0.0, wallet=False, seat_only=True))[0]
    assert ev.get("kind") == "slouch" and ev.get("posture") == "leaning_forward"
    assert ev.get("title") in CATALOG[WEIGHT_FORWARD].titles
    assert "seat" in ev.get("message") and ev.get("why") == CATALOG[WEIGHT_FORWARD].why
    # a slump read as slouched keeps its own words on a seat alone
    q = policy()
    ev = nudges(q.step(100, spell=100, spell_start=0.0, occupied=True, posture="slouched",
                       posture_for=61, balance="balanced", balance_for=0.0, wallet=False,
                       seat_only=True))[0]
    assert ev.get("title") in CATALOG["slouch"].titles


def test_a_perch_on_a_chair_gets_words_for_a_perch() -> None:
    """Leaning forward that a chair's backrest sensors say is a perch on the front edge (the
    snapshot's ``perched``): not "You are leaning in", which is about the screen."""
    from sitwatch.nudging.guidance import CATALOG, PERCHED, WEIGHT_FORWARD

    common = {"spell": 100, "spell_start": 0.0, "occupied": True, "posture": "leaning_forward",
              "posture_for": 61, "balance": "balanced", "balance_for": 0.0, "wallet": False}
    ev = nudges(policy().step(100, perched=True, **common))[0]
    assert ev.get("kind") == "slouch" and ev.get("posture") == "leaning_forward"
    assert ev.get("title") in CATALOG[PERCHED].titles and ev.get("why") == CATALOG[PERCHED].why
    # a lean towards the screen keeps its words; a seat alone cannot tell a perch from a slump
    ev = nudges(policy().step(100, **common))[0]
    assert ev.get("title") in CATALOG["leaning_forward"].titles
    ev = nudges(policy().step(100, perched=True, seat_only=True, **common))[0]
    assert ev.get("title") in CATALOG[WEIGHT_FORWARD].titles


def test_a_suspected_wallet_gets_its_own_nudge_not_a_lopsided_one_too() -> None:
    p = policy()
    got = nudges(sit(p, 1000, spell=1000, balance="left", balance_for=600, wallet=True))
    assert [e.get("kind") for e in got] == ["wallet"]
    # the same lopsided sitting without a wallet is nudged as such
    got = nudges(sit(policy(), 1000, spell=1000, balance="left", balance_for=600))
    assert [e.get("kind") for e in got] == ["asymmetric_load"]


def test_disabled_policy_sends_nothing() -> None:
    p = policy(enabled=False)
    assert not nudges(sit(p, 5000, spell=5000, posture="slouched", posture_for=500))


class FakeDnd:
    def __init__(self) -> None:
        self.on = False

    def active(self):
        return self.on, "screen locked" if self.on else ""


def nudge_ev(t: float, kind="slouch") -> Event:
    return Event(t, "nudge", None, {"kind": kind, "title": "x", "message": "y"})


def test_gate_quiet_hours_wrap_midnight_and_daily_cap() -> None:
    clock = ManualClock(datetime(2026, 1, 5, 22, 30).astimezone())
    gate = NudgeGate(Nudges(quiet_hours=["22:00-07:00"], daily_cap=2), clock)
    assert gate.decide(nudge_ev(0)).reason == "quiet hours"
    clock.advance(9 * 3600)  # 07:30 next day
    assert gate.decide(nudge_ev(1)).action == DELIVER
    assert gate.decide(nudge_ev(2)).action == DELIVER
    d = gate.decide(nudge_ev(3))
    assert d.action == DROP and "cap" in d.reason
    clock.advance(24 * 3600)
    assert gate.decide(nudge_ev(4)).action == DELIVER  # a new day


def test_gate_holds_during_do_not_disturb_and_releases_if_still_relevant() -> None:
    clock = ManualClock()
    dnd = FakeDnd()
    gate = NudgeGate(Nudges(), clock, dnd=dnd)
    dnd.on = True
    assert gate.decide(nudge_ev(0)).action == HOLD
    assert gate.release(lambda e: True) == []  # still busy
    dnd.on = False
    clock.advance(60)
    assert [e.get("kind") for e in gate.release(lambda e: True)] == ["slouch"]
    dnd.on = True
    gate.decide(nudge_ev(100))
    dnd.on = False
    assert gate.release(lambda e: False) == []  # no longer applies: dropped
    dnd.on = True
    gate.decide(nudge_ev(clock.monotonic()))
    clock.advance(3600)
    dnd.on = False
    assert gate.release(lambda e: True) == []  # too old


def test_gate_snooze_and_pause_from_the_control_file(tmp_path) -> None:
    clock = ManualClock(datetime(2026, 1, 5, 9, 0).astimezone())
    path = tmp_path / "control.json"
    gate = NudgeGate(Nudges(), clock, control=control.Watcher(path, clock.monotonic))
    assert gate.decide(nudge_ev(0)).action == DELIVER
    control.write(path, control.Control(snoozed_until=clock.now() + timedelta(minutes=30)))
    clock.advance(2)
    assert gate.decide(nudge_ev(2)).reason == "snoozed"
    clock.advance(1800)
    assert gate.decide(nudge_ev(3)).action == DELIVER
    control.write(path, control.Control(paused_until=control.FOREVER))
    clock.advance(2)
    assert gate.decide(nudge_ev(4)).reason == "paused"


@pytest.mark.parametrize(("text", "seconds"), [("30m", 1800), ("1h", 3600), ("1h30m", 5400),
                                               ("90s", 90), ("45", 2700), ("2 hours", 7200)])
def test_parse_duration(text, seconds) -> None:
    assert spans.duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "abc", "0m", "5x"])
def test_parse_duration_rejects_nonsense(text) -> None:
    with pytest.raises(ValueError):
        spans.duration(text)


def test_bad_quiet_hours_are_a_config_error() -> None:
    with pytest.raises(ValueError, match="HH:MM-HH:MM"):
        Config(nudges={"quiet_hours": ["25:00-07:00"]})


def test_control_commands(tmp_path, capsys) -> None:
    from sitwatch.cli.main import main
    from sitwatch.runtime.files import control_path

    assert main(["snooze", "30m"]) == 0
    c = control.read(control_path(Config()))
    assert c.snoozed_until is not None and c.paused_until is None
    assert main(["pause"]) == 0
    assert control.read(control_path(Config())).paused_until == control.FOREVER
    assert main(["resume"]) == 0
    assert control.read(control_path(Config())) == control.Control()
    assert main(["snooze", "soon"]) == 2


def test_a_camera_alone_slouch_speaks_of_the_head_not_the_hips() -> None:
    """The camera's slouched is a dropped head (it does not see the hips): its own words."""
    from sitwatch.core.kinds import Posture
    from sitwatch.nudging.guidance import CATALOG, HEAD_DOWN

    common = {"spell": 100, "spell_start": 0.0, "occupied": True, "posture": Posture.SLOUCHED,
              "posture_for": 61, "balance": None, "balance_for": 0.0, "wallet": False}
    ev = nudges(policy().step(100, head_down=True, **common))[0]
    assert ev.get("kind") == "slouch" and ev.get("posture") == Posture.SLOUCHED
    assert ev.get("title") in CATALOG[HEAD_DOWN].titles and ev.get("why") == CATALOG[HEAD_DOWN].why
    assert "hips" not in ev.get("message") and "head" in ev.get("message")
    # the cushion's slump keeps its words about the hips
    ev = nudges(policy().step(100, **common))[0]
    assert ev.get("title") in CATALOG["slouch"].titles


# -- spacing: one nudge at a time -----------------------------------------------------------------

def test_two_kinds_due_together_come_one_spacing_apart() -> None:
    """The demo's 09:31: "Still sitting: please stand up now" and "Bring the screen to you"
    came in the same second. Time to move goes first; the posture nudge waits its turn and
    goes out then, since the sitter still leans in."""
    p = policy()
    now = nudges(sit(p, 3000, spell=3000, posture="leaning_forward", posture_for=90))
    assert [e.get("kind") for e in now] == ["prolonged_sitting"]
    assert not nudges(sit(p, 3119, spell=3119, posture="leaning_forward", posture_for=209))
    later = nudges(sit(p, 3120, spell=3120, posture="leaning_forward", posture_for=210))
    assert [e.get("kind") for e in later] == ["slouch"]


def test_a_nudge_that_waited_its_turn_is_not_sent_once_it_no_longer_applies() -> None:
    p = policy()
    assert len(nudges(sit(p, 3000, spell=3000, posture="slouched", posture_for=90))) == 1
    # sat up while it waited: nothing to say any more
    for t in range(3001, 3400, 10):
        assert not [e for e in nudges(sit(p, t, spell=t)) if e.get("kind") == "slouch"]


def test_spacing_zero_lets_kinds_come_together() -> None:
    p = policy(spacing=0)
    got = nudges(sit(p, 3000, spell=3000, posture="slouched", posture_for=90,
                     balance="left", balance_for=200))
    assert [e.get("kind") for e in got] == ["prolonged_sitting", "slouch", "asymmetric_load"]


def test_a_nudge_the_gate_did_not_deliver_does_not_hold_the_next_one_back() -> None:
    p = policy()
    (ev,) = nudges(sit(p, 3000, spell=3000))
    p.forget(str(ev.get("kind")), ev.t)  # quiet hours: nobody saw it
    got = nudges(sit(p, 3001, spell=3001, posture="slouched", posture_for=90))
    assert [e.get("kind") for e in got] == ["slouch"]


def test_the_spacing_holds_across_a_restart() -> None:
    p = policy()
    p.seed_last({"prolonged_sitting": 1000.0})  # the history: time to move shown at 1000
    assert not nudges(sit(p, 1060, spell=100, posture="slouched", posture_for=90))
    assert nudges(sit(p, 1120, spell=160, posture="slouched", posture_for=150))


def test_spacing_is_a_documented_setting_with_a_sane_default() -> None:
    assert Nudges().spacing == 120
    assert Config.model_validate({"nudges": {"spacing": "5m"}}).nudges.spacing == 300
    with pytest.raises(ValueError):
        Nudges(spacing=-1)
