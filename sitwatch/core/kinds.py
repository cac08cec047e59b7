"""The vocabulary: every state, nudge kind and event name, spelled once.

Each is a :class:`~enum.StrEnum`, so a member *is* its string: it compares equal to the text in the
JSON-lines contract (docs/events.md), the history, MQTT and the status file, and serialises as it.
Every module imports these names instead of spelling the strings, and every user-facing word for
them comes from :func:`label` here, so the status line, the reports and the notifications agree.

Members are part of the stable contract: extend, never rename.
"""

from __future__ import annotations

from enum import StrEnum


class Occupancy(StrEnum):
    OCCUPIED = "occupied"
    EMPTY = "empty"


class Presence(StrEnum):
    """What the seat says about the person, for other programs (D-Bus ``State``, ``sitwatch
    status --watch``; docs/presence.md)."""

    SITTING = "sitting"
    AWAY = "away"
    PAUSED = "paused"  # sitwatch is paused: it does not look at the seat
    UNKNOWN = "unknown"  # not decided yet, or the sensor is offline
    OFF = "off"  # status --watch only: the daemon is not running


class Posture(StrEnum):
    UPRIGHT = "upright"
    SLOUCHED = "slouched"
    LEANING_FORWARD = "leaning_forward"
    RECLINED = "reclined"
    #: Only in the history: minutes where the posture was not known (offline, away, learning).
    UNKNOWN = "unknown"


#: The postures a detector can report (everything but UNKNOWN), in the order reports stack them.
POSTURES: tuple[Posture, ...] = (
    Posture.UPRIGHT,
    Posture.SLOUCHED,
    Posture.LEANING_FORWARD,
    Posture.RECLINED,
)


class Balance(StrEnum):
    BALANCED = "balanced"
    LEFT = "left"
    RIGHT = "right"


class WalletState(StrEnum):
    SUSPECTED = "suspected"
    CLEAR = "clear"


class Stillness(StrEnum):
    """The ``stillness`` event's states: a real shift of weight, or none for too long."""

    SHIFT = "shift"  # the load picture moved and held: a lean, a lift of one side, a stand-up
    STATIC = "static"  # no real shift for detect.stillness.after seconds while sitting


class NoticeKind(StrEnum):
    """The ``notice`` event's states: something about the device the sitter should know."""

    SENSOR_FAILED = "sensor_failed"  # sensors of the cushion stopped working while in use
    CUSHION_SILENT = "cushion_silent"  # no reading from the cushion while someone sat on it


class SensorState(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"


class ScreenState(StrEnum):
    """The screen, as the camera's lock probe reads it (``screen`` events): no picture is taken
    while it is locked (``camera.pause_when_locked``)."""

    LOCKED = "locked"
    UNLOCKED = "unlocked"


class Sensor(StrEnum):
    """A seat sensor: the ``source`` of its events and snapshots (a fused snapshot's is
    ``fused``), and what saw a posture (:attr:`sitwatch.sensing.snapshot.Snapshot.seen_by`)."""

    CUSHION = "cushion"  # the pelvis and the load on seat and backrest
    CAMERA = "camera"  # the head, neck and shoulders


#: How a camera source names itself (``camera:0``, ``camera:/dev/video2``): the status file's
#: sensor port and the history's runs tell a camera-only setup by it.
CAMERA_SOURCE_PREFIX = f"{Sensor.CAMERA}:"


class NudgeKind(StrEnum):
    PROLONGED_SITTING = "prolonged_sitting"
    SLOUCH = "slouch"
    ASYMMETRIC_LOAD = "asymmetric_load"
    WALLET = "wallet"
    DAILY_BUDGET = "daily_budget"  # the day's sitting nears or reaches detect.daily_budget
    STATIC_SITTING = "static_sitting"  # no real weight shift for detect.stillness.after


#: Every nudge kind, in the order reports list them.
NUDGE_KINDS: tuple[NudgeKind, ...] = tuple(NudgeKind)


class BudgetStage(StrEnum):
    """The ``stage`` of a ``daily_budget`` nudge event."""

    NEAR = "near"  # the day's sitting is budget_warn_minutes short of the budget
    REACHED = "reached"  # the budget is used up
    #: the end-of-day summary: a notice shaped as a nudge event (its kind, title, message), but
    #: no nudge: not counted among the nudges nor toward the daily cap
    SUMMARY = "summary"


class NudgeAction(StrEnum):
    """A button on a desktop notification, or a command from elsewhere (MQTT)."""

    SNOOZE = "snooze"
    DONE = "done"
    WRONG = "wrong"  # "Not right": a false alarm (sitwatch.nudging.feedback)
    PAUSE = "pause"  # remote only: stop watching (for ``minutes``, or until resumed)
    RESUME = "resume"  # remote only: end a pause or a snooze
    LOG = "log"  # remote only: a symptom diary entry (``symptom``: its fields)


class CommandOutcome(StrEnum):
    """What became of a command sent over MQTT (``<base>/command/result``'s ``event_type``)."""

    DONE = "done"  # taken (or already done: nothing more to do)
    REFUSED = "refused"  # malformed, unknown, or nothing it could do (``message`` says why)


class MqttProtocol(StrEnum):
    """The MQTT version the sink speaks to its broker (``mqtt.protocol``): MQTT 5 carries
    response topics and subscription options; a broker that speaks only 3.1.1 (Mosquitto
    before 1.6, some embedded brokers) refuses it."""

    AUTO = "auto"  # MQTT 5, and 3.1.1 for the rest of the run if the broker refuses MQTT 5
    V5 = "5"
    V311 = "3.1.1"


class FeedbackKind(StrEnum):
    """What a "Not right" is about: a posture-type nudge, with the slouch kind split by the
    posture it named (a slump and a forward lean have thresholds of their own)."""

    SLOUCH = "slouch"
    LEANING_FORWARD = "leaning_forward"
    ASYMMETRIC_LOAD = "asymmetric_load"
    WALLET = "wallet"
    STATIC_SITTING = "static_sitting"  # "shift your weight" when the sitter did shift
    #: a way of sitting upright clear of the backrest the daemon learned (and said so) that was
    #: not upright: it is forgotten and never learned again (no threshold moves)
    LEARNED = "learned"


#: Every feedback kind, in the order `sitwatch feedback show` and the reports list them.
FEEDBACK_KINDS: tuple[FeedbackKind, ...] = tuple(FeedbackKind)


class EventName(StrEnum):
    """The ``event`` field of every event (docs/events.md)."""

    OCCUPANCY = "occupancy"  # state: Occupancy
    POSTURE = "posture"  # state: Posture; source
    BALANCE = "balance"  # state: Balance; cue
    NUDGE = "nudge"  # kind, message, title, why
    SENSOR = "sensor"  # state: SensorState; reason
    WALLET = "wallet"  # state: WalletState; side
    BREAK = "break"  # a finished break: duration (s), the sitting spell before it: spell (s)
    CALIBRATION = "calibration"  # state: tare | baseline (method) | channels | learned (ways)
    DIAGNOSIS = "diagnosis"  # message: why no valid frame arrives
    NUDGE_OUTCOME = "nudge_outcome"  # kind, responded (bool), after (s)
    NUDGE_ACK = "nudge_ack"  # kind, action: NudgeAction
    FEEDBACK = "feedback"  # state: wrong | reset; kind: FeedbackKind, steps, source, changes
    SYMPTOM = "symptom"  # a diary entry from afar: kind, red_flags, advice (lines), source
    STILLNESS = "stillness"  # state: Stillness; shift: cue, still_for (s); static: minutes
    NOTICE = "notice"  # state: NoticeKind; title, message (shown like a nudge); channels
    # a restart carried on the spell: spell (s) when the seat was last seen, away (s) since;
    # continues: the history run that spell was recorded in
    SPELL_RESUMED = "spell_resumed"
    # the screen locked or unlocked (the camera takes no picture meanwhile): state ScreenState;
    # source; on unlocked, unseen (s) when the spell under way left that time out
    SCREEN = "screen"


class SymptomKind(StrEnum):
    """What a symptom diary entry felt like (``sitwatch log KIND``)."""

    NUMBNESS = "numbness"
    TINGLING = "tingling"
    PAIN = "pain"
    ACHE = "ache"


class BodySide(StrEnum):
    LEFT = "left"
    RIGHT = "right"
    BOTH = "both"


class BodyArea(StrEnum):
    """Where a diary entry was felt. On the command line ``lower_back`` is ``lower-back``."""

    BUTTOCK = "buttock"
    THIGH = "thigh"
    LEG = "leg"
    LOWER_BACK = "lower_back"
    SADDLE = "saddle"  # inner thighs, groin, around the anus


class AlsoNoticed(StrEnum):
    """Changes noticed along with a diary entry (``sitwatch log ... --with CHANGE``); each is
    a red flag that gets the seek-care advice at once."""

    BLADDER = "bladder"  # bladder control changed, or trouble starting to pass urine
    BOWEL = "bowel"  # bowel control changed
    LEG_WEAKNESS = "leg_weakness"  # sudden or worsening weakness in a leg
    FEVER = "fever"  # a fever along with the back or buttock symptoms
    SEVERE_BACK_PAIN = "severe_back_pain"  # severe pain in the back along with them
    INJURY = "injury"  # a recent serious injury: a fall, an accident
    WEIGHT_LOSS = "weight_loss"  # weight lost without explanation
    CANCER = "cancer"  # a history of cancer


class RedFlag(StrEnum):
    """A diary entry that calls for care now rather than a report (the posture guide's list)."""

    SADDLE_NUMBNESS = "saddle_numbness"
    BLADDER_BOWEL = "bladder_bowel"
    LEG_WEAKNESS = "leg_weakness"
    FEVER = "fever"
    BOTH_LEGS = "both_legs"
    SEVERE_BACK_PAIN = "severe_back_pain"  # noted, or lower back pain rated 8/10 or more
    INJURY = "injury"
    WEIGHT_LOSS_CANCER = "weight_loss_cancer"


_LABELS: dict[str, str] = {
    Occupancy.OCCUPIED: "sitting",
    Occupancy.EMPTY: "away",
    Posture.UPRIGHT: "upright",
    Posture.SLOUCHED: "slouched",
    Posture.LEANING_FORWARD: "leaning forward",
    Posture.RECLINED: "reclined",
    Posture.UNKNOWN: "unknown",
    Balance.BALANCED: "balanced",
    Balance.LEFT: "more weight on the left",
    Balance.RIGHT: "more weight on the right",
    WalletState.SUSPECTED: "wallet suspected",
    WalletState.CLEAR: "no wallet",
    SensorState.ONLINE: "online",
    SensorState.OFFLINE: "offline",
    NudgeKind.PROLONGED_SITTING: "time to move",
    NudgeKind.SLOUCH: "posture",
    NudgeKind.ASYMMETRIC_LOAD: "lopsided",
    NudgeKind.WALLET: "wallet",
    NudgeKind.DAILY_BUDGET: "sitting budget",
    NudgeKind.STATIC_SITTING: "shift your weight",
    Stillness.SHIFT: "weight shift",
    Stillness.STATIC: "sitting still",
    NudgeAction.SNOOZE: "snooze",
    NudgeAction.DONE: "done",
    NudgeAction.WRONG: "not right",
    NudgeAction.PAUSE: "pause",
    NudgeAction.RESUME: "resume",
    NudgeAction.LOG: "log a symptom",
    SymptomKind.NUMBNESS: "numbness",
    SymptomKind.TINGLING: "tingling",
    SymptomKind.PAIN: "pain",
    SymptomKind.ACHE: "ache",
    BodySide.BOTH: "both sides",
    BodyArea.BUTTOCK: "buttock",
    BodyArea.THIGH: "thigh",
    BodyArea.LEG: "leg",
    BodyArea.LOWER_BACK: "lower back",
    BodyArea.SADDLE: "saddle area",
    AlsoNoticed.BLADDER: "bladder changes",
    AlsoNoticed.BOWEL: "bowel changes",
    AlsoNoticed.LEG_WEAKNESS: "leg weakness",
    AlsoNoticed.FEVER: "fever",
    AlsoNoticed.SEVERE_BACK_PAIN: "severe back pain",
    AlsoNoticed.INJURY: "a recent serious injury",
    AlsoNoticed.WEIGHT_LOSS: "weight loss without explanation",
    AlsoNoticed.CANCER: "a history of cancer",
    RedFlag.SADDLE_NUMBNESS: "numbness in the saddle area",
    RedFlag.BLADDER_BOWEL: "bladder or bowel changes",
    RedFlag.BOTH_LEGS: "symptoms in both legs",
    RedFlag.WEIGHT_LOSS_CANCER: "weight loss without explanation or a history of cancer",
}

#: The words for a feedback kind (``slouch`` alone is "posture" as a nudge kind).
FEEDBACK_LABELS: dict[str, str] = {
    FeedbackKind.SLOUCH: "slouching",
    FeedbackKind.LEANING_FORWARD: "leaning forward",
    FeedbackKind.ASYMMETRIC_LOAD: "lopsided",
    FeedbackKind.WALLET: "wallet",
    FeedbackKind.STATIC_SITTING: "static sitting",
    FeedbackKind.LEARNED: "learned way of sitting",
}


#: Leaning forward as a seat alone sees it (no backrest sensors): the weight moved to the front
#: of the seat, a perch on the edge or a slump, which it cannot tell apart (leaning forward onto
#: the thighs it does not see at all). The reports, ``sitwatch status`` and the nudge say so.
WEIGHT_FORWARD = "weight forward"


def posture_label(posture: str | None, seat_only: bool = False) -> str:
    """The word for a posture state: :data:`WEIGHT_FORWARD` for ``leaning_forward`` seen by a
    seat alone (``seat_only``), else :func:`label`'s."""
    if seat_only and posture == Posture.LEANING_FORWARD:
        return WEIGHT_FORWARD
    return label(posture)


def label(value: StrEnum | str | None) -> str:
    """The user-facing word for a member (or for its string, as read back from a file).

    Unknown strings come back as they are, with underscores as spaces; None as an empty string."""
    if value is None:
        return ""
    # A StrEnum member hashes and compares as its string, so plain strings find their word too.
    return _LABELS.get(value, str(value).replace("_", " "))
