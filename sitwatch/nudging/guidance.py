"""The guidance catalog: what each finding means and what to do about it.

Facts come from the project's posture guide (shared/reference/posture-guide.txt); the wording is
ours. Each entry has short titles, several one-line actions (rotated so they do not become
wallpaper) and a "why" line. sitwatch is a wellness tool: it does not diagnose, and the
``SEE_A_DOCTOR`` and ``RED_FLAGS`` lists tell people when to get care instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from sitwatch.config import Nudges as NudgesCfg
from sitwatch.core.kinds import NudgeKind, Posture

#: The catalog key of the seat-only wording for leaning forward (see CATALOG).
WEIGHT_FORWARD = "weight_forward"
#: ... and of a chair's perch on the front edge, which its backrest sensors tell from a slump.
PERCHED = "perched"
#: ... and of a slouch the camera alone saw: the head dropped towards the desk (the camera does
#: not see the hips, so the cushion's words about them do not fit).
HEAD_DOWN = "head_down"


@dataclass(frozen=True)
class Advice:
    kind: str
    titles: tuple[str, ...]
    actions: tuple[str, ...]
    why: str
    firm: tuple[str, str] = ("", "")  # the second nudge of an episode: (title, action)
    own: tuple[tuple[str, str], ...] = ()  # the sitter's own (title, action) pairs
    only_own: bool = False  # use only ``own`` (when there are some)

    def pick(self, n: int, level: str = "gentle") -> tuple[str, str]:
        """The n-th (title, action) pair; rotates through the built-in variants and then the
        sitter's own. ``firm`` gives the firmer wording used when the first nudge of an
        episode was ignored."""
        if level == "firm" and self.firm[0]:
            return self.firm
        built_in = 0 if (self.only_own and self.own) else len(self.actions)
        i = n % (built_in + len(self.own))
        if i < built_in:
            return self.titles[i % len(self.titles)], self.actions[i]
        return self.own[i - built_in]


#: Advice by what it is about: each kind of nudge; leaning forward, which is nudged as a slouch
#: but has words of its own.
CATALOG: dict[str, Advice] = {
    NudgeKind.PROLONGED_SITTING: Advice(
        NudgeKind.PROLONGED_SITTING,
        ("Time to get up", "You have been sitting a while", "Take a short walk"),
        (
            "Stand up and walk for two or three minutes; a trip to refill your water counts.",
            "Get out of the chair for a few minutes: stretch your hips and walk around the room.",
            "Stand for your next call or walk down the corridor and back.",
        ),
        "Long unbroken sitting squeezes the nerves and blood vessels of the buttocks; getting "
        "up every 30 to 45 minutes relieves them.",
        firm=("Still sitting: please stand up now",
              "You are well past your limit: stand, walk a few steps and stretch before you "
              "sit down again."),
    ),
    NudgeKind.SLOUCH: Advice(
        NudgeKind.SLOUCH,
        ("Sit back in your chair", "You have slid forward", "Check your posture"),
        (
            "Slide your hips back until they touch the backrest, then let the backrest carry "
            "your lower back.",
            "Plant both feet flat, sit with your hips a little higher than your knees and "
            "drop your shoulders.",
            "Scoot back in the seat and sit tall; a small cushion behind your lower back helps.",
        ),
        "Slumping with the pelvis forward loads the lower back and presses on the nerves that "
        "run through the buttocks.",
        firm=("Still slumped",
              "Stand up for a moment, then sit down with your hips right at the back of the "
              "seat."),
    ),
    Posture.LEANING_FORWARD: Advice(
        Posture.LEANING_FORWARD,
        ("You are leaning in", "Bring the screen to you"),
        (
            "Sit back against the backrest and raise or move the screen closer instead of "
            "leaning towards it.",
            "Rest your back on the chair and keep your shoulders loose; adjust the desk or "
            "screen height if you keep leaning in.",
        ),
        "Hunching towards the desk takes the backrest's support away and strains the lower "
        "back over time.",
        firm=("Still leaning in",
              "Sit back now and bring your work closer, or take a short break from the screen."),
    ),
    # Leaning forward as a seat alone sees it: the weight has gone to the front of the seat,
    # which is a perch on the edge or a slump with the pelvis slid forward (it cannot tell).
    WEIGHT_FORWARD: Advice(
        WEIGHT_FORWARD,
        ("Your weight is on the front of the seat", "Sit back in your chair"),
        (
            "Whether you slid down or perched on the edge: move your hips to the back of the "
            "seat and let the backrest take your lower back.",
            "Scoot back until your hips meet the backrest, feet flat, and sit tall; bring the "
            "screen closer if it pulled you forward.",
        ),
        "With the weight at the front of the seat the lower back loses the backrest's support, "
        "and a slump with the pelvis slid forward also presses on the nerves of the buttocks.",
        firm=("Still forward on the seat",
              "Stand up for a moment, then sit down with your hips right at the back of the "
              "seat."),
    ),
    # Leaning forward on a chair whose backrest sensors say it is a perch: the rear of the seat
    # emptied and the backrest free (not a lean towards the screen, not a slump).
    PERCHED: Advice(
        PERCHED,
        ("You are perched on the edge of the seat", "Sit back in your chair"),
        (
            "Slide your hips back until they meet the backrest, and let it hold up your lower "
            "back.",
            "Move to the back of the seat with both feet flat; if you came forward to reach "
            "the desk or screen, bring them closer instead.",
        ),
        "On the front edge nothing supports the lower back, so its muscles hold you upright "
        "on their own, and over hours that tires and strains them.",
        firm=("Still on the edge of the seat",
              "Stand up for a moment, then sit down with your hips right at the back of the "
              "seat."),
    ),
    # A slouch as a camera alone sees it: the head has sunk towards the desk or keyboard.
    HEAD_DOWN: Advice(
        HEAD_DOWN,
        ("Lift your head", "Your head has dropped", "Check your posture"),
        (
            "Bring your head up over your shoulders and sit tall, with your eyes level with "
            "the screen.",
            "If you keep looking down, raise the screen (or the laptop on a stand) so you can "
            "see it with your head up.",
            "Roll your shoulders back and down and let your head settle level on top of "
            "them, not hanging in front.",
        ),
        "A head hanging towards the desk pulls the upper body into a slump; a screen and desk "
        "at the right height make sitting tall the easy way.",
        firm=("Still looking down",
              "Stand up for a moment, then sit down tall with your head up and the screen "
              "raised to your eye level."),
    ),
    NudgeKind.ASYMMETRIC_LOAD: Advice(
        NudgeKind.ASYMMETRIC_LOAD,
        ("You are sitting lopsided", "Even out your weight"),
        (
            "Put both feet on the floor, uncross your legs and share your weight evenly "
            "between both sides of your seat.",
            "Centre yourself in the chair with both sit bones carrying the same weight.",
        ),
        "Loading one side for long stretches strains the sacroiliac joints where the spine "
        "meets the pelvis.",
        firm=("Still lopsided",
              "Stand up, then sit down again square on both sit bones with both feet flat."),
    ),
    NudgeKind.WALLET: Advice(
        NudgeKind.WALLET,
        ("Anything in your back pocket?", "Empty your back pockets"),
        (
            "Take your wallet or phone out of your back pocket before you sit down again.",
            "Something seems to be pressing under one side: clear your back pockets.",
        ),
        "A wallet or phone under one buttock presses on the sciatic nerve and tilts the pelvis; "
        "it is a known cause of numbness on that side.",
        firm=("Please check your back pockets",
              "The one-sided pressure has not gone away: take out whatever is in your back "
              "pocket."),
    ),
    NudgeKind.DAILY_BUDGET: Advice(
        NudgeKind.DAILY_BUDGET,
        ("Nearing today's sitting budget",),
        (
            "Plan the rest of the day on your feet where you can: stand for calls, take the "
            "next break as a walk, read standing up.",
            "Your chair time for today is nearly spent: move what you can to standing or "
            "walking.",
        ),
        "Hours in the chair add up over a day even with breaks; spreading the load over "
        "standing and walking spares the tissues that carry you when you sit.",
        firm=("Today's sitting budget is used up",
              "From here on, stand or walk whenever the task allows, and keep any sitting short."),
    ),
    NudgeKind.STATIC_SITTING: Advice(
        NudgeKind.STATIC_SITTING,
        ("Shift your weight", "Time for a pressure break", "Give your seat a rest"),
        (
            "Lean well over to one side for a few breaths, then to the other, so each buttock "
            "gets a break from your weight.",
            "Lift one side off the seat for a moment, then the other; or lean forward over "
            "your knees and hold it for a few breaths.",
            "Change how you sit: shift back, forward or to one side, stretch your legs, or "
            "stand up for a moment if you can.",
        ),
        "Sitting in one position keeps the same spots under pressure, squeezing the nerves "
        "and blood vessels beneath them; moving your weight lets them recover.",
        firm=("Still no weight shift",
              "You have not moved your weight for a long while: lean or lift off one side "
              "now and hold it for a few breaths, then the other side."),
    ),
}

STRETCHES: tuple[str, ...] = (
    "Hip flexors: kneel on one knee, tuck your pelvis and lean forward gently; 30 s each side.",
    "Hamstrings: heel on a low step, leg straight, hinge forward from the hips; 30 s each side.",
    "Glutes: lying on your back, pull one knee towards the opposite shoulder; 30 s each side.",
    "Figure-4: sitting tall, rest one ankle on the other knee and lean forward a little; "
    "30 s each side.",
    "Lower back: on hands and knees, slowly round and then arch your back ten times.",
)

SEE_A_DOCTOR: tuple[str, ...] = (
    "numbness that lasts more than a week with no clear reason",
    "symptoms that keep coming back or slowly get worse",
    "weakness, clumsiness or a change in the way you walk",
    "pain or numbness that spreads down one or both legs",
    "home remedies and ordinary pain relief that do little",
)

RED_FLAGS: tuple[str, ...] = (
    "sudden or fast-worsening weakness in the legs",
    "loss of control of the bladder or bowels, or trouble starting to urinate",
    "numbness of the inner thighs, groin or around the anus (the 'saddle' area)",
    "fever without explanation, severe back pain, or a recent serious injury",
    "weight loss without explanation, or a history of cancer",
)

DISCLAIMER = (
    "sitwatch is a wellness tool, not a medical device: it cannot tell why you feel numb or "
    "sore. See a doctor or physiotherapist if you notice: "
)


STRETCH_TITLE = "Time to move: a stretch"


def catalog(cfg: NudgesCfg | None = None) -> dict[str, Advice]:
    """:data:`CATALOG` with the sitter's own texts (``nudges.texts``) and stretches
    (``nudges.stretches``, offered by the time-to-move nudge) joined to their kinds."""
    if cfg is None or not (cfg.texts or cfg.stretches):
        return CATALOG
    own: dict[str, list[tuple[str, str]]] = {}
    for t in cfg.texts:
        own.setdefault(t.kind, []).append((t.title, t.action))
    for st in cfg.stretches:
        own.setdefault(NudgeKind.PROLONGED_SITTING, []).append(
            (STRETCH_TITLE, f"Get up and stretch: {st}"))
    out = dict(CATALOG)
    for kind, pairs in own.items():
        out[kind] = replace(out[kind], own=tuple(pairs), only_own=cfg.only_own_texts)
    return out


def care_text() -> str:
    lines = [DISCLAIMER.rstrip(": ") + ":"]
    lines += [f"  - {s}" for s in SEE_A_DOCTOR]
    lines.append("Get urgent or emergency care if numbness comes with:")
    lines += [f"  - {s}" for s in RED_FLAGS]
    return "\n".join(lines)


def learned_notice(ways: int) -> tuple[str, str]:
    """The notice that a way of sitting upright clear of the backrest was learned (``ways``: how
    many are known now): (title, message). The sitter is still sitting that way when it shows,
    so the question can be answered."""
    title = ("Learned how you sit upright" if ways <= 1
             else "Learned a second way you sit upright")
    message = ("You have sat still, clear of the backrest, for a few minutes. From now on "
               "sitwatch takes this as sitting upright for you, today and on the days after. "
               "Leaning forward or to one side just now? Press \"Not right\" (or run `sitwatch "
               "feedback wrong learned`) and it is forgotten.")
    return title, message


#: What a cushion sensor that stopped working did, in the sitter's words, by channel health's
#: reason (:meth:`sitwatch.sensing.health.ChannelHealth.describe`).
FAILED_HOW = {
    "dropped to zero on its own": "stopped reading anything while you sat",
    "jumped to full scale on its own": "jumped to its top reading while you sat",
    "stuck": "has read the same value for minutes while the others moved",
    "full scale with nobody seated": "reads its top value with nobody on the seat",
}


def sensor_notice(failed: Sequence[tuple[str, str, str]]) -> tuple[str, str]:
    """The notice that cushion sensors stopped working while in use: (title, message).
    ``failed``: (label, where it sits, channel health's reason) for each."""
    n = len(failed)
    title = ("A cushion sensor stopped working" if n == 1
             else f"{n} cushion sensors stopped working")
    said = []
    for label, where, why in failed:
        name = f"{label} ({where})" if where else label
        said.append(f"{name} {FAILED_HOW.get(why, why)}")
    one = n == 1
    message = (f"{'Sensor' if one else 'Sensors'} {'; '.join(said)}. sitwatch carries on with "
               "the others, though it is less sure which way you lean. Check "
               f"{'its lead and connector' if one else 'their leads and connectors'}; `sitwatch "
               f"status` shows when {'it reads' if one else 'they read'} again.")
    return title, message


def silence_notice(minutes: int, *, wireless: bool, camera: bool, why: str = "") -> tuple[str, str]:
    """The notice that no reading has come from the cushion for ``minutes`` while the sitter
    sat on it: (title, message). ``wireless``: it reaches sitwatch over the network;
    ``camera``: a camera still watches the posture; ``why``: the connection's own account."""
    title = "The cushion has gone quiet"
    span = "a minute" if minutes == 1 else f"{minutes} minutes"
    check = ("Check that it is charged or powered and within reach of the network"
             if wireless else "Check that it has power and that its cable sits firmly at both ends")
    meanwhile = ("Until it is back, the camera alone watches how you sit."
                 if camera else "Until it is back, sitwatch cannot see how you sit.")
    message = (f"Nothing has come from the cushion for {span}, and you were sitting on it when "
               f"it stopped. {meanwhile} {check}; `sitwatch status` shows when it is back.")
    why = why.strip()
    if why:
        message += f" The connection says: {why}{'' if why[-1] in '.?!' else '.'}"
    return title, message
