"""The configuration: one pydantic model that is the schema, the documentation and the sample.

Sources, lowest precedence first: the defaults below (rendered as ``config/sitwatch.toml``), the
user's file (``~/.config/sitwatch/sitwatch.toml`` or ``--config``), then command-line flags.
Unknown keys are errors. :func:`load` either returns a complete valid config or raises
:class:`ConfigError` whose lines each name the file, the key and what is allowed.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from sitwatch.config.camera import CameraConfig
from sitwatch.config.files import file_path
from sitwatch.config.units import Hours, Minutes, Seconds, WholeMinutes, WholeSeconds
from sitwatch.core.kinds import MqttProtocol, NudgeKind
from sitwatch.core.kinds import Posture as PostureKind
from sitwatch.core.spans import DAYS, clock_window, weekdays

# Do-not-disturb defaults (sitwatch.nudging.dnd explains them): window titles that mean a call,
# and programs that hold the microphone without being a call.
DEFAULT_CALL_WINDOWS = (
    "Zoom Meeting",
    "Zoom Webinar",
    "Meet - ",
    "Meet – ",
    "Jitsi Meet",
    "Huddle",
)


DEFAULT_IGNORED_RECORDERS = (
    "pavucontrol",
    "pavucontrol-qt",
    "pwvucontrol",
    "easyeffects",
    "pulseeffects",
    "gnome-control-center",
    "plasma-pa",
    "cinnamon-settings",
    "xfce4-pulseaudio-plugin",
)


DndProbe = Literal[
    "screensaver", "logind", "notifications", "show_banners", "fullscreen",
    "wayland_fullscreen", "screen_share", "camera", "microphone", "call_window",
]
DEFAULT_DND_PROBES: tuple[DndProbe, ...] = (
    "screensaver", "logind", "notifications", "show_banners", "fullscreen",
    "wayland_fullscreen", "screen_share", "camera", "microphone", "call_window",
)


def _window(spec: str) -> str:
    try:
        clock_window(spec)
    except ValueError:
        raise ValueError("not HH:MM-HH:MM (e.g. 22:00-07:00)") from None
    return spec


#: "HH:MM-HH:MM", checked entry by entry so that every bad one is reported.
ClockWindow = Annotated[str, AfterValidator(_window)]



class ConfigError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class _Section(BaseModel):
    # inf and nan are valid TOML floats but no setting means them (an infinite sit_limit
    # would crash the status line's arithmetic): every number must be finite
    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)


class Cushion(_Section):
    """The pressure-sensing seat cushion or chair on a serial line."""

    port: str = Field(
        "",
        description="Serial device or pyserial URL: /dev/ttyACM0, /dev/serial/by-id/..., "
        "socket://host:port, loop://; or a cushion on the network: mqtt://host[:port]/topic "
        "(mqtts:// for TLS; `sitwatch docs protocol`). Empty: no cushion.",
    )
    baud: int = Field(115200, gt=0, description="Baud rate (ignored by ptys and socket://).")
    layout: str = Field(
        "load-cells-4",
        description="Sensor layout: a built-in name (sitwatch layouts), grid:RxC, or a TOML file.",
    )
    mode: Literal["text", "binary"] = Field(
        "text",
        description="text: one frame per line (`sitwatch docs protocol`); binary: polled bytes.",
    )
    poll_byte: int = Field(
        0x41, ge=0, le=255, description="binary mode: the byte sent to ask for a frame."
    )
    poll_hz: float = Field(10.0, gt=0, le=200, description="binary mode: polls per second.")
    time_unit: Literal["s", "ms"] = Field(
        "ms", description="Unit of an optional leading timestamp column on the wire."
    )
    reconnect_min: Seconds = Field(0.5, gt=0, description="First retry delay after an unplug (s).")
    reconnect_max: Seconds = Field(30.0, gt=0, description="Longest retry delay (s).")
    no_data_timeout: Seconds = Field(
        10.0, gt=0, description="Seconds without a valid frame before sitwatch explains why and "
        "stops the sitting timer."
    )

    @field_validator("port")
    @classmethod
    def _mqtt_url(cls, v: str) -> str:
        from sitwatch.core.mqtt_url import is_mqtt, parse_url

        if is_mqtt(v):
            parse_url(v)  # MqttUrlError (a ValueError) says how to write it
        return v

    @model_validator(mode="after")
    def _order(self) -> Cushion:
        if self.reconnect_max < self.reconnect_min:
            raise ValueError("reconnect_max must be >= reconnect_min")
        return self


class Calibration(_Section):
    """Where the sitter's calibration lives and whether to build one automatically."""

    profile: Annotated[str, file_path("calibration.json")] = Field(
        "",
        description="Calibration profile (JSON). Empty: one per layout in the data dir "
        "(calibration-LAYOUT.json). Watching the simulator uses its own in simulated/.",
    )
    auto: bool = Field(
        True, description="Learn while you sit: without a profile, the tare and upright "
        "baseline; with one, how far each sensor's zero has moved (read on the empty seat)."
    )
    auto_settle: Seconds = Field(
        60.0, gt=0, description="Auto: seconds of steady sitting that become the upright baseline."
    )


class Occupancy(_Section):
    enter_fraction: float = Field(
        0.30, gt=0, lt=1, description="Seat load (share of your baseline) that means 'occupied'."
    )
    exit_fraction: float = Field(
        0.12, gt=0, lt=1,
        description="Seat load below which the seat counts as empty (so does a seat keeping "
        "under a quarter of what it carried while sat on: pads whose zero drifted up)."
    )
    enter_dwell: Seconds = Field(2.0, ge=0, description="Seconds above enter_fraction to sit down.")
    exit_dwell: Seconds = Field(3.0, ge=0, description="Seconds below exit_fraction to get up.")
    min_break: Seconds = Field(
        120.0,
        ge=0,
        description="Shortest absence (s) that counts as a break and resets the sitting timer.",
    )

    @model_validator(mode="after")
    def _order(self) -> Occupancy:
        if self.exit_fraction >= self.enter_fraction:
            raise ValueError("exit_fraction must be smaller than enter_fraction (hysteresis)")
        return self


class Posture(_Section):
    dwell: Seconds = Field(
        10.0, ge=0, description="Seconds a new posture must hold to be reported.")
    slouch_rear_ratio: float = Field(
        0.30,
        gt=0,
        lt=1,
        description="Slouched when the rear seat share falls below this share of your upright "
        "baseline (the pelvis slides forward).",
    )
    slouch_shift: float = Field(
        0.35,
        gt=0,
        le=2,
        description="...and the seat's centre of pressure moves at least this far "
        "forward (in seat half-depths).",
    )
    forward_back_ratio: float = Field(
        0.25,
        gt=0,
        lt=1,
        description="Leaning forward when the backrest carries less than this share of its "
        "upright load and the seat's centre of pressure moves forward.",
    )
    forward_shift: float = Field(
        0.15,
        gt=0,
        le=1,
        description="Forward move of the seat's centre of pressure (in seat "
        "half-depths) that counts as leaning forward.",
    )
    forward_load_ratio: float = Field(
        0.6,
        gt=0,
        lt=1,
        description="Also leaning forward when the backrest is unloaded and the "
        "chair carries less than this share of its upright load (weight on the desk or feet).",
    )
    weight_forward: float = Field(
        0.30,
        gt=0,
        le=2,
        description="On a seat without backrest sensors: with the rear of the seat emptied, "
        "a forward move of the centre of pressure (in seat half-depths) this large reads as "
        "weight on the front of the seat. A seat alone cannot tell a perch from a deep slump, "
        "so both get the sit-back nudge.",
    )
    recline_back_ratio: float = Field(
        1.6,
        gt=1,
        description="Reclined when the backrest carries this multiple of its upright "
        "load and the rear of the seat stays loaded.",
    )
    recline_back_drop: float = Field(
        0.3,
        gt=0,
        le=2,
        description="Also reclined when the backrest's load moves down this far "
        "(in backrest half-heights) while the rear of the seat stays loaded.",
    )


class Balance(_Section):
    threshold: float = Field(
        0.25,
        gt=0,
        lt=2,
        description="Sideways shift of your centre of pressure, on the seat or "
        "against the backrest, relative to your baseline and scaled so that 1.0 is the whole "
        "load on one side's sensors, that counts as sitting lopsided.",
    )
    release: float = Field(
        0.15, gt=0, lt=2, description="Shift below which you are balanced again."
    )
    front_threshold: float = Field(
        0.4,
        gt=0,
        le=2,
        description="Sideways shift of the load on the front half of the seat (the thighs) "
        "that counts as lopsided, on the same scale: a crossed leg lifts one thigh off the "
        "seat. 0.4 is a 70/30 split; 2 ignores the front half.",
    )
    dwell: Seconds = Field(10.0, ge=0, description="Seconds an imbalance must last to be reported.")
    end_dwell: Seconds = Field(
        3.0,
        ge=0,
        description="Seconds of sitting evenly before a reported lean is over (at most "
        "dwell; a shift on its way to the other side takes the whole dwell). Short, so that "
        "sitting evenly again is soon no longer called lopsided; the gap between threshold "
        "and release keeps a lean that wavers from ending.",
    )
    smooth: Seconds = Field(
        3.0,
        ge=0,
        le=30,
        description="Longest time constant, in seconds, of the moving average the sideways "
        "shift is read through when your seat's readings were noisy at calibration (their "
        "noise spans the gap between threshold and release), so that a few noisy readings "
        "can neither start nor hold a lean. Quiet sensors are read as they are. 0 never "
        "smooths.",
    )
    spread: float = Field(
        4.0,
        ge=0,
        le=20,
        description="A cue that wandered while you sat still for calibration must move this "
        "many times its spread (robust sd) to count fully: your own threshold is the larger of "
        "threshold and this. 0 uses threshold alone.",
    )

    @model_validator(mode="after")
    def _order(self) -> Balance:
        if self.release >= self.threshold:
            raise ValueError("release must be smaller than threshold (hysteresis)")
        return self


class Wallet(_Section):
    min_duration: Seconds = Field(
        600.0, gt=0, description="Seconds a one-sided spot must persist before we suspect a wallet."
    )
    min_postures: int = Field(
        2, ge=1, description="Distinct postures the spot must survive (it should not follow you)."
    )
    spot_ratio: float = Field(
        1.8, gt=1, description="How much harder than its mirror a spot must press."
    )


class Stillness(_Section):
    """Static sitting: no real shift of weight for a while (noise and fidgets do not count).

    A lean, a lift of one side or standing up count as a shift; breathing, sensor noise and
    small fidgets do not."""

    after: Seconds = Field(
        0.0,
        ge=0,
        description="Seconds of sitting without a real weight shift before it counts as static "
        "(and the shift-your-weight nudge is due). 0: never (shifts are still counted). The "
        "wheelchair layout sets 1200 (20 min), as pressure-relief reminders do.",
    )
    min_shift: float = Field(
        0.08,
        gt=0,
        le=1,
        description="How far the centre of pressure on the seat (1.0 is from the middle to the "
        "edge), or a region's share of the seat load (left, front, rear), must move to count "
        "as a shift.",
    )
    min_load_change: float = Field(
        0.15,
        gt=0,
        le=1,
        description="A change of the seat's or the backrest's load by this share of it (a push "
        "up on the armrests, half standing, leaning back) also counts as a shift.",
    )
    hold: Seconds = Field(
        2.0, ge=0, le=60, description="Seconds a move must last to count (shorter is a fidget)."
    )
    settle: Seconds = Field(
        10.0,
        ge=0,
        le=300,
        description="Seconds the load must stay put after a shift before the next move counts "
        "as another one (a lean and back is one shift).",
    )
    spread: float = Field(
        3.0,
        ge=0,
        le=20,
        description="A cue that wandered while you sat still for calibration must move this "
        "many times its spread (robust sd) to count: your own threshold is the larger of "
        "min_shift and this. 0 uses min_shift alone.",
    )


class Detect(_Section):
    sit_limit: Seconds = Field(
        2700.0,
        gt=0,
        description="Continuous sitting (s) before the 'time to move' nudge "
        "(the guide suggests moving every 30-45 min).",
    )
    occupancy: Occupancy = Occupancy()
    posture: Posture = Posture()
    balance: Balance = Balance()
    wallet: Wallet = Wallet()
    stillness: Stillness = Stillness()


_BUZZER_COMMAND = (
    r"^(?:|BUZZ [1-9]|VIBE (?:[1-9]\d{1,2}|[1-4]\d{3}|5000)"
    r"(?:,(?:[1-9]\d{1,2}|[1-4]\d{3}|5000)){0,15})$"
)


class Mqtt(_Section):
    """Publish events and live state to an MQTT broker (and Home Assistant)."""

    enabled: bool = Field(False, description="Publish to an MQTT broker.")
    host: str = Field("localhost", min_length=1, description="Broker host name or address.")
    port: int = Field(1883, gt=0, lt=65536, description="Broker port (TLS usually 8883).")
    username: str = Field("", description="User name. Empty: connect anonymously.")

    @field_validator("host")
    @classmethod
    def _host_alone(cls, v: str) -> str:
        # "mqtt://192.168.1.20:1883" or "192.168.1.20:1883" passed, and the connection then went
        # to "192.168.1.20:1883:1883"; an IPv6 address (two colons or more) is left as it is
        if "://" in v:
            raise ValueError(
                "give the broker's host alone, without mqtt:// (for example 192.168.1.20): "
                "its port goes in mqtt.port, and TLS (mqtts://) is mqtt.tls = true")
        if v.count(":") == 1:
            raise ValueError(
                "give the broker's host alone (for example 192.168.1.20): the port goes in "
                "mqtt.port")
        return v
    password: str = Field("", description="Password (with username). Keep this file private.")
    password_file: Annotated[str, file_path("mqtt-password")] = Field(
        "", description="Read the password from this file instead (first line). With neither, "
        "the systemd credential mqtt_password is used when the unit passes one "
        "(LoadCredential=mqtt_password:/path). The password is never logged."
    )
    tls: bool = Field(False, description="Connect with TLS, verifying the broker's certificate.")
    tls_ca: Annotated[str, file_path("ca.pem")] = Field(
        "", description="TLS: CA certificate file (PEM) for the broker. Empty: the system's CAs."
    )
    base_topic: str = Field(
        "sitwatch",
        min_length=1,
        pattern=r"^[^#+]+$",
        description="Prefix of sitwatch's own topics: <base>/event/..., <base>/state/..., "
        "<base>/status. Two sitwatch on one broker each need their own (sitwatch/desk, "
        "sitwatch/sofa): sharing one mixes their state and commands.",
    )
    discovery: bool = Field(True, description="Announce sitwatch's entities to Home Assistant.")
    discovery_prefix: str = Field(
        "homeassistant",
        min_length=1,
        pattern=r"^[^#+]+$",
        description="Home Assistant's MQTT discovery prefix.",
    )
    node_id: str = Field(
        "",
        pattern=r"^[A-Za-z0-9_-]*$",
        description="Identifies this sitwatch in discovery topics and unique ids. Empty: "
        "sitwatch_<hostname> (set it when two machines share a host name, such as two "
        "Raspberry Pis both called raspberrypi).",
    )
    device_name: str = Field(
        "", description="Device name shown in Home Assistant. Empty: sitwatch on <hostname>."
    )
    client_id: str = Field(
        "", description="MQTT client id. Empty: sitwatch-<node_id>-<a tag of this machine and "
        "user>, which no other machine or user shares. A broker keeps only the newest of two "
        "clients with one id: set on two machines, the one that notices moves to an id of its "
        "own (this one with a tag added) and says so."
    )
    qos: int = Field(1, ge=0, le=2, description="QoS of published messages (0, 1 or 2).")
    protocol: MqttProtocol = Field(
        MqttProtocol.AUTO,
        description="MQTT version to speak: \"auto\" tries MQTT 5 and, if the broker refuses "
        "it (Mosquitto before 1.6), uses 3.1.1 until sitwatch restarts; \"5\" or \"3.1.1\": "
        "that one only. Without MQTT 5, commands are answered on <base>/command/result only, "
        "not on MQTT 5 response topics. A wireless cushion (cushion.port = \"mqtt://...\") on "
        "this same host speaks the version set here too; on another broker, \"auto\".",
    )

    @field_validator("protocol", mode="before")
    @classmethod
    def _protocol_number(cls, v: Any) -> Any:
        # protocol = 5 (a TOML number) means "5"
        return str(v) if isinstance(v, int) and not isinstance(v, bool) else v

    keepalive: WholeSeconds = Field(
        60,
        ge=5,
        le=65535,
        description="Seconds between keepalive pings; the broker sends the last will after 1.5 "
        "times this without a word from us.",
    )
    queue_size: int = Field(
        100, ge=0, description="Events kept while the broker is unreachable (the oldest go first)."
    )
    state_interval: Seconds = Field(
        30.0, gt=0, description="Seconds between two publications of the live state."
    )


class Push(_Section):
    """Nudges to phones, chats or e-mail through apprise (needs the push extra)."""

    urls: list[str] = Field(
        default_factory=list,
        description="apprise URLs, one per service: ntfy://ntfy.sh/TOPIC, tgram://TOKEN/CHAT, "
        "mailtos://USER:PASS@HOST ... Empty: no push.",
    )
    report_urls: list[str] = Field(
        default_factory=list,
        description="apprise URLs that get the weekly report (the weekly timer runs `sitwatch "
        "report-send`): its text, with the HTML page attached where the service takes files, "
        "e.g. mailtos://USER:PASS@HOST or ntfy://ntfy.sh/TOPIC. Empty: the report is only "
        "written, not sent.",
    )


class Hook(_Section):
    """Run a command of yours for every nudge (`sitwatch docs channels`)."""

    command: list[str] = Field(
        default_factory=list,
        description="Program and arguments, no shell; {kind} {title} {message} {why} {t} are "
        "replaced in each argument; the event's JSON, with its time (at), arrives on stdin. "
        "Empty: no hook.",
    )
    timeout: Seconds = Field(10.0, gt=0, description="Seconds before the command is killed.")


class Buzzer(_Section):
    """A buzzer or vibration motor in the cushion, driven over its serial line."""

    enabled: bool = Field(False, description="Send a command line to the cushion for each nudge.")
    patterns: dict[NudgeKind, Annotated[str, Field(pattern=_BUZZER_COMMAND)]] = Field(
        default_factory=lambda: {
            NudgeKind.PROLONGED_SITTING: "BUZZ 3",
            NudgeKind.SLOUCH: "VIBE 200,100,200",
            NudgeKind.ASYMMETRIC_LOAD: "VIBE 400",
            NudgeKind.WALLET: "BUZZ 1",
            NudgeKind.DAILY_BUDGET: "BUZZ 2",
            NudgeKind.STATIC_SITTING: "VIBE 100,100,100,100,100",
        },
        description="Command per nudge kind: 'BUZZ <1-9>' or 'VIBE <ms>,<ms>,...' (on/off "
        "durations, 10-5000 ms, at most 16); a kind left out or '' sends nothing.",
    )
    strict: bool = Field(
        False,
        description="Strict mode: once the time-to-move nudge goes out, buzz again every "
        "strict_every seconds until the seat is empty (a snooze or a pause stops it too).",
    )
    strict_every: Seconds = Field(
        60.0, ge=1, le=3600, description="Seconds between two buzzes in strict mode."
    )


class Dnd(_Section):
    """Do not disturb: hold nudges while you seem busy; send them later if they still apply.

    Busy: the screen is locked, the desktop's own do-not-disturb is on, a window is fullscreen,
    the screen is shared, or a call seems to be going on (camera, microphone, a call window)."""

    enabled: bool = Field(True, description="Check before a nudge goes out.")
    probes: list[DndProbe] = Field(
        default_factory=lambda: list(DEFAULT_DND_PROBES),
        description="Checks to run, in order; the first that says busy holds the nudge. "
        "Leave one out to turn it off. `sitwatch doctor` says which work on this desktop.",
    )
    cache_seconds: Seconds = Field(10.0, ge=0, description="Seconds an answer is reused.")
    call_windows: list[str] = Field(
        default_factory=lambda: list(DEFAULT_CALL_WINDOWS),
        description="call_window: visible window titles (parts, any case) that mean a call.",
    )
    ignored_recorders: list[str] = Field(
        default_factory=lambda: list(DEFAULT_IGNORED_RECORDERS),
        description="microphone: programs whose recording does not mean a call (meters, effects).",
    )
    camera_devices: list[Annotated[str, Field(pattern=r"^/")]] = Field(
        default_factory=lambda: ["/dev/video*"],
        description="camera: device paths (glob patterns) that another program holding open "
        "means a call; sitwatch's own camera use never counts.",
    )
    screen_share_streams: list[str] = Field(
        default_factory=lambda: ["meta-screen-cast-src"],
        description="screen_share: names (parts, any case) of PipeWire video streams that mean "
        "the screen is shared or recorded; GNOME's is meta-screen-cast-src.",
    )


#: What an own text may join: a kind of nudge, or leaning forward (nudged as a slouch, with
#: words of its own).
TEXT_KINDS = (*(k.value for k in NudgeKind), PostureKind.LEANING_FORWARD.value)


class OwnText(_Section):
    """A nudge text of your own (for example an exercise from your physiotherapist). It joins
    the built-in texts of its kind and takes its turn with them."""

    kind: str = Field(description="Which nudge it belongs to: " + ", ".join(TEXT_KINDS) + ".")
    title: str = Field(min_length=1, max_length=80, description="The notification's title.")
    action: str = Field(min_length=1, max_length=400, description="What to do, in one or two "
                        "sentences.")

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, v: str) -> str:
        if v not in TEXT_KINDS:
            raise ValueError(f"{v!r} is not a kind of nudge; one of: {', '.join(TEXT_KINDS)}")
        return v


def _schedule(v: dict[str, list[str]]) -> dict[str, list[str]]:
    seen: dict[int, str] = {}
    for spec in v:
        for day in weekdays(spec):
            if day in seen:
                raise ValueError(
                    f"{seen[day]!r} and {spec!r} both name {DAYS[day].capitalize()}; give each "
                    "day its hours once"
                )
            seen[day] = spec
    return v


def _day_spec(spec: str) -> str:
    weekdays(spec)  # ValueError says how to write it
    return spec


#: [nudges] cooldown and respond_within by default, seconds; a table in the config changes the
#: kinds it names and keeps these for the others (:meth:`Nudges._keep_defaults`).
COOLDOWN: dict[NudgeKind, float] = {
    NudgeKind.PROLONGED_SITTING: 900.0,
    NudgeKind.SLOUCH: 900.0,
    NudgeKind.ASYMMETRIC_LOAD: 1200.0,
    NudgeKind.WALLET: 3600.0,
    NudgeKind.STATIC_SITTING: 600.0,
}
RESPOND_WITHIN: dict[NudgeKind, float] = {
    NudgeKind.PROLONGED_SITTING: 300.0,
    NudgeKind.SLOUCH: 180.0,
    NudgeKind.ASYMMETRIC_LOAD: 300.0,
    NudgeKind.WALLET: 900.0,
    NudgeKind.STATIC_SITTING: 300.0,
}


class Nudges(_Section):
    enabled: bool = Field(True, description="Send nudges at all.")
    desktop: bool = Field(
        True,
        description="Desktop notifications (notify-send or D-Bus on Linux, with buttons; plyer "
        "elsewhere).",
    )
    console: bool = Field(True, description="Also print nudges on standard output / the journal.")
    timeout: Seconds = Field(20.0, gt=0, description="Seconds a desktop notification stays up.")
    buttons: bool = Field(
        True,
        description="'Snooze' and 'Done' buttons on desktop notifications (and 'Not right' on "
        "nudges about posture), where the notification server supports them.",
    )
    snooze_minutes: WholeMinutes = Field(
        30, ge=1, le=480, description="How long the notification's Snooze button holds nudges."
    )
    cooldown: dict[NudgeKind, Annotated[Seconds, Field(ge=0)]] = Field(
        default_factory=lambda: dict(COOLDOWN),
        description="Seconds before the same kind of nudge may come again. Kinds left out "
        "keep their own defaults (cooldown = { slouch = \"15m\" } changes slouch only).",
    )
    slouch_after: Seconds = Field(
        60.0,
        ge=0,
        description="Seconds of slouching (after the posture is reported) before a nudge.",
    )
    imbalance_after: Seconds = Field(
        120.0, ge=0, description="Seconds of lopsided sitting before a nudge."
    )
    spacing: Seconds = Field(
        120.0,
        ge=0,
        description="Least time between two nudges of any kind: one that comes due sooner "
        "waits its turn and goes out then if it still applies (time to move first, then "
        "posture, balance, the pocket, weight shifts). 0: nudges of different kinds may come "
        "together. The day's summary never waits.",
    )
    per_episode: int = Field(
        2,
        ge=1,
        le=5,
        description="Nudges for one episode (one sitting spell, one slouch ...): a gentle one, "
        "a firmer one if it is ignored, then quiet until the episode ends.",
    )
    respond_within: dict[NudgeKind, Annotated[Seconds, Field(ge=0)]] = Field(
        default_factory=lambda: dict(RESPOND_WITHIN),
        description="Seconds after a nudge within which acting on it counts as a response "
        "(standing up, sitting back, evening out, emptying the pocket, shifting your weight). "
        "Kinds left out keep their own defaults.",
    )
    adapt: bool = Field(
        True,
        description="Space out kinds of nudge you keep ignoring (up to 4x their cooldown), "
        "and return to normal once you act on them.",
    )
    daily_cap: int = Field(
        16, ge=0, description="Most nudges in one day (0: no limit); the rest are dropped. The "
        "day's summary (day_summary_at) is no nudge: not counted, never dropped by the cap. A "
        "restart carries on the day's count (from the history).",
    )
    quiet_hours: list[ClockWindow] = Field(
        default_factory=list,
        description='Local times without nudges, e.g. ["12:00-13:00", "18:30-08:00"].',
    )
    schedule: Annotated[
        dict[Annotated[str, AfterValidator(_day_spec)], list[ClockWindow]],
        AfterValidator(_schedule),
    ] = Field(
        default_factory=dict,
        description='Working hours by weekday: nudges come only inside them, e.g. mon-fri = '
        '["09:00-12:30", "13:15-17:30"] and sat = ["10:00-12:00"]; a day not named gets none. '
        "Watching and history go on around the clock. Empty: nudges at any time.",
    )
    texts: list[OwnText] = Field(
        default_factory=list,
        description="Nudge texts of your own, as [[nudges.texts]] tables with kind, title and "
        "action; they take turns with the built-in ones (sitwatch guidance KIND shows them).",
    )
    stretches: list[str] = Field(
        default_factory=list,
        description="Stretches of your own for your breaks (for example from your "
        "physiotherapist); the time-to-move nudge suggests them in turn with the built-in ones.",
    )
    only_own_texts: bool = Field(
        False,
        description="Use only your own texts for the kinds you gave some for.",
    )
    daily_budget_hours: Hours = Field(
        0.0,
        ge=0,
        le=24,
        description="Hours of sitting you allow yourself in a day (e.g. 6): a nudge as you near "
        "it and one when it is used up. 0: no budget.",
    )
    budget_warn_minutes: Minutes = Field(
        30.0, gt=0, le=240, description="Minutes before the daily budget for the first nudge."
    )
    day_summary_at: str = Field(
        "",
        pattern=r"^$|^([01]\d|2[0-3]):[0-5]\d$",
        description="Local time (HH:MM) for a short summary of the day's sitting. Empty: five "
        "minutes before the day's last working hours end when nudges.schedule is set and a "
        "daily budget is set, else none. Like every nudge it keeps to nudges.schedule and "
        "quiet_hours: a time outside them means no summary that day.",
    )
    dnd: Dnd = Dnd()
    push: Push = Push()
    hook: Hook = Hook()
    buzzer: Buzzer = Buzzer()

    @field_validator("cooldown", "respond_within")
    @classmethod
    def _keep_defaults(
        cls, v: dict[NudgeKind, float], info: ValidationInfo
    ) -> dict[NudgeKind, float]:
        """A table naming some kinds changes those; the others keep their defaults (not a
        blanket 900 s or 300 s)."""
        defaults = COOLDOWN if info.field_name == "cooldown" else RESPOND_WITHIN
        return {**defaults, **v}


class Feedback(_Section):
    """Learning from "Not right": each false alarm you report eases that kind's thresholds.

    A bounded step each time, reversible with `sitwatch feedback reset`
    (`sitwatch docs channels`)."""

    enabled: bool = Field(
        True, description="Let a \"Not right\" move your thresholds (it is recorded either way)."
    )
    step: float = Field(
        0.15,
        gt=0,
        le=0.5,
        description="How much harder to reach one \"Not right\" makes each threshold of that "
        "kind (0.15: 15%), never past a hard limit.",
    )
    max_steps: int = Field(
        3, ge=1, le=5, description="Most steps per kind; later ones are recorded, not applied."
    )


class History(_Section):
    enabled: bool = Field(True, description="Keep per-minute rollups and events in SQLite.")
    database: Annotated[str, file_path("history.sqlite")] = Field(
        "", description="SQLite file. Empty: history.sqlite in the data dir (watching the "
        "simulator: its own in simulated/).")
    detail_weeks: int = Field(
        8,
        ge=0,
        description="Weeks of minute-by-minute detail. Older time is kept as hourly summaries "
        "(the reports still show it) and only the events the reports use. 0: keep every minute.",
    )
    backups: int = Field(
        7, ge=0, description="Daily copies of the history kept in backups/ beside it. 0: none."
    )
    backup_max_mb: float = Field(
        50.0,
        gt=0,
        description="The backups together stay under this many MB (the oldest go first; the "
        "newest is always kept).",
    )


class Status(_Section):
    file: Annotated[str, file_path("status.json")] = Field(
        "",
        description="Where the daemon publishes its live state. Empty: status.json in the "
        "runtime or state dir.",
    )
    interval: Seconds = Field(
        2.0, gt=0,
        description="Seconds between status updates while what it shows changes (a change you "
        "would notice is written at once; with nothing new, every 10 s).",
    )


class Web(_Section):
    """The local web app (`sitwatch serve`)."""

    host: str = Field(
        "127.0.0.1",
        description="Address to listen on when lan is false: a loopback address, so only this "
        "computer can open the pages. For other devices, set lan = true instead.",
    )
    port: int = Field(
        8765, ge=0, lt=65536,
        description="Port of the web app. 0: any free port (sitwatch serve prints which).")
    lan: bool = Field(
        False,
        description="Listen on every network interface so a phone or another computer can open "
        "the pages; every request then needs the token `sitwatch serve` prints (a URL and a QR "
        "code). The token is kept owner-only in the data dir.",
    )

    @field_validator("host")
    @classmethod
    def _loopback(cls, v: str) -> str:
        import ipaddress

        if v == "localhost":
            return v
        try:
            ok = ipaddress.ip_address(v).is_loopback
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(
                "must be a loopback address such as 127.0.0.1 or ::1; to open the pages from "
                "other devices set web.lan = true (a token is then required)")
        return v


class PresenceBus(_Section):
    """The presence signal on the session D-Bus for other programs (`sitwatch docs presence`)."""

    dbus: bool = Field(
        False,
        description="Publish sitting, away, paused and natural breaks as io.github.sitwatch on "
        "the session D-Bus (needs the dbus extra, jeepney: sitwatch doctor gives the command).",
    )


class WorkraveIntegration(_Section):
    """Drive Workrave's break timers from the seat (`sitwatch docs presence`)."""

    enabled: bool = Field(
        False,
        description="While you sit, tell a running Workrave you are active, so reading counts "
        "as work; when you leave it sees you idle and counts the break (needs the dbus extra).",
    )
    who: str = Field("sitwatch", min_length=1, description="The name sitwatch reports under.")
    every: Seconds = Field(
        4.0, gt=0, lt=10,
        description="Seconds between reports while you sit (Workrave forgets one after 10 s).",
    )


class Integrations(_Section):
    """Break reminders and other programs that sitwatch drives."""

    workrave: WorkraveIntegration = WorkraveIntegration()


class Config(_Section):
    """sitwatch configuration."""

    cushion: Cushion = Cushion()
    camera: CameraConfig = CameraConfig()
    calibration: Calibration = Calibration()
    detect: Detect = Detect()
    nudges: Nudges = Nudges()
    mqtt: Mqtt = Mqtt()
    feedback: Feedback = Feedback()
    history: History = History()
    status: Status = Status()
    web: Web = Web()
    presence: PresenceBus = PresenceBus()
    integrations: Integrations = Integrations()


# -- loading ------------------------------------------------------------------------------


def user_config_path() -> Path:
    from sitwatch.core import paths

    return paths.config_dir() / "sitwatch.toml"


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError([f"{path}: file not found"]) from None
    except IsADirectoryError:
        raise ConfigError([f"{path}: is a folder, not a config file"]) from None
    except OSError as e:
        raise ConfigError([f"{path}: cannot read: {e.strerror or e}"]) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise ConfigError([
            f"{path}: line {line}: not UTF-8 text (byte 0x{data[e.start]:02x}); "
            "TOML files are UTF-8: save the file as UTF-8 (or remove the accented character)"
        ]) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError([f"{path}: {_toml_error(str(e))}"]) from None
    except RecursionError:
        raise ConfigError([f"{path}: not valid TOML: nested too deeply"]) from None


_TOML_AT = re.compile(r"^(.*) \(at line (\d+), column \d+\)$")
_TOML_TWICE = re.compile(r"^Cannot declare \((.*)\) twice$")


def _toml_error(message: str) -> str:
    """tomllib's error in words: a key or a table given twice says so, with its line."""
    m = _TOML_AT.match(message)
    what, line = (m.group(1), m.group(2)) if m else (message, "")
    where = f"line {line}: " if line else ""
    if what == "Cannot overwrite a value":
        return (f"{where}this key was already set above (in the same table): a key may be "
                "given once; delete one of the two")
    twice = _TOML_TWICE.match(what)
    if twice:
        name = ".".join(p.strip().strip("'\"") for p in twice.group(1).split(",") if p.strip())
        return (f"{where}the table [{name}] was already started above: a table may appear "
                f"once; put all its keys under one [{name}]")
    return f"not valid TOML: {message}"


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def _has(d: dict[str, Any], loc: tuple[Any, ...]) -> bool:
    cur: Any = d
    for part in loc:
        if not isinstance(cur, dict) or part not in cur:
            return False
        cur = cur[part]
    return True


def _key_meant(name: str, allowed: list[str]) -> str:
    """`` (did you mean port?)`` for a key spelt nearly like one allowed where it stands, or
    `` (it belongs in [detect]: detect.sit_limit)`` for a key of another table ('' for
    neither): the list of allowed keys alone left the user to spot it."""
    import difflib

    close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.75)
    if close:
        return f" (did you mean {close[0]}?)"
    homes = [path for path in _key_paths(Config) if path.rsplit(".", 1)[-1] == name]
    if len(homes) == 1 and "." in homes[0]:
        return f" (it belongs in [{homes[0].rsplit('.', 1)[0]}]: {homes[0]})"
    return ""


def _key_paths(model: Any, prefix: str = "") -> list[str]:
    """Every key of the schema, dotted (``detect.sit_limit``), tables' own keys included."""
    out: list[str] = []
    for name, field in model.model_fields.items():
        out.append(prefix + name)
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            out += _key_paths(field.annotation, f"{prefix}{name}.")
    return out


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    model: Any = Config
    for part in loc[:-1]:
        field = model.model_fields.get(part) if hasattr(model, "model_fields") else None
        if field is None:
            return []
        model = field.annotation
    return sorted(model.model_fields) if hasattr(model, "model_fields") else []


#: What each pattern a setting must match allows, in words (pydantic's message shows the
#: regular expression itself).
PATTERN_WORDS: dict[str, str] = {
    r"^[^#+]+$": "a topic without MQTT's wildcards # and + (for example sitwatch/desk)",
    r"^[A-Za-z0-9_-]*$": "letters, digits, - and _ only (for example desk_pi)",
    _BUZZER_COMMAND: "'BUZZ 1' to 'BUZZ 9', 'VIBE ' with up to 16 comma-separated on/off "
                     "times of 10-5000 ms (for example 'VIBE 200,100,200'), or '' for none",
    r"^/": "an absolute path (for example /dev/video*)",
    r"^$|^([01]\d|2[0-3]):[0-5]\d$": "a time as HH:MM on a 24-hour clock (for example "
                                       "17:30), or empty",
}


def explain(err: ValidationError, layers: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """One line per problem: where it came from, the key, and what is allowed."""
    lines = []
    for e in err.errors():
        loc = tuple(e["loc"])  # list positions included: "nudges.hook.command.1"
        key = ".".join(str(p) for p in loc) or "(top level)"
        origin = next((name for name, data in reversed(layers) if _has(data, loc)), None)
        if origin is None:
            origin = next(
                (name for name, data in reversed(layers) if loc and _has(data, loc[:-1])),
                layers[-1][0],
            )
        if e["type"] == "extra_forbidden":
            allowed = _allowed_keys(loc)
            hint = _key_meant(str(loc[-1]), allowed) if loc else ""
            lines.append(f"{origin}: {key}: unknown key{hint}; allowed here: "
                         + ", ".join(allowed))
            continue
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "string_pattern_mismatch":
            pattern = str((e.get("ctx") or {}).get("pattern", ""))
            msg = f"write {PATTERN_WORDS.get(pattern, 'it as the sample config shows')}"
        got = e.get("input")
        got_s = f" (got {got!r})" if got is not None and not isinstance(got, dict) else ""
        if isinstance(got, str) and got and got in msg and e["type"] != "string_pattern_mismatch":
            got_s = ""  # the message names it already
        lines.append(f"{origin}: {key}: {msg}{got_s}")
    return lines


def load(
    path: str | os.PathLike[str] | None = None,
    overrides: dict[str, Any] | None = None,
    *,
    use_user_file: bool = True,
) -> Config:
    """Build the config from the defaults, a file, and overrides (dotted keys allowed)."""
    layers: list[tuple[str, dict[str, Any]]] = []
    if path is not None:
        p = Path(path).expanduser()
        layers.append((str(p), _read_toml(p)))
    elif use_user_file:
        p = user_config_path()
        if p.is_file():
            layers.append((str(p), _read_toml(p)))
    if overrides:
        nested: dict[str, Any] = {}
        for dotted, value in overrides.items():
            cur = nested
            *parents, last = dotted.split(".")
            for part in parents:
                cur = cur.setdefault(part, {})
            cur[last] = value
        layers.append(("command line", nested))
    merged: dict[str, Any] = {}
    for _, data in layers:
        merged = _merge(merged, data)
    try:
        return Config.model_validate(merged)
    except ValidationError as e:
        raise ConfigError(explain(e, layers or [("defaults", {})])) from None


def for_layout(cfg: Config, layout: Any) -> Config:
    """The config with a layout's own detection defaults filled in where the user set nothing.

    A layout may carry a ``[detect]`` table (a wheelchair steered by leaning needs a lighter,
    quicker lateral rule than an office chair). Keys the user set in a file or on the command
    line win, key by key; the result is validated as a whole, and a clash names the layout."""
    defaults = getattr(layout, "detect", None)
    if not defaults:
        return cfg
    mine = cfg.model_dump(exclude_unset=True)
    merged = _merge({"detect": defaults}, mine)
    origin = getattr(layout, "source", "") or f"layout {getattr(layout, 'name', '?')}"
    try:
        return Config.model_validate(merged)
    except ValidationError as e:
        lines = explain(e, [(f"{origin} [detect]", {"detect": defaults}), ("your config", mine)])
        given = ", ".join(
            f"detect.{sec}.{k} = {v!r}" for sec, kv in defaults.items() for k, v in kv.items()
        )
        lines.append(
            f"  the layout ({origin}) sets {given}: fix its [detect] table, or set the clashing "
            "keys in your config"
        )
        raise ConfigError(lines) from None


# -- rendering the documented sample ---------------------------------------------------------


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, BaseModel):
        return _toml_value(v.model_dump(mode="json"))
    if isinstance(v, dict):
        if not v:
            return "{}"
        return "{ " + ", ".join(f"{_toml_key(str(k))} = {_toml_value(x)}"
                                for k, x in v.items()) + " }"
    raise TypeError(type(v))


def _toml_key(k: str) -> str:
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else _toml_value(k)


#: The head of the documented sample (config/sitwatch.toml): every value is a default.
SAMPLE_HEADER = (
    "# sitwatch configuration: yours is ~/.config/sitwatch/sitwatch.toml (`sitwatch config init`",
    "# writes this sample there), a system service's /etc/sitwatch/sitwatch.toml. Change what you",
    "# need: every key is optional and shown with its default; `sitwatch config validate`",
    "# checks a file.",
    "# A key in seconds, minutes or hours also takes a duration with its unit: \"45m\", \"1h30m\".",
    "# `sitwatch config show --defaults` prints this sample; `sitwatch config show`, the config",
    "# in force.",
)


def render(cfg: Config | None = None, *, comments: bool = True,
           header: list[str] | tuple[str, ...] = SAMPLE_HEADER) -> str:
    """The config as TOML, each key preceded by its description, under ``header`` (comment
    lines; the sample's by default, which says every value is a default)."""
    cfg = cfg or Config()
    out = list(header)

    def section(model: BaseModel, prefix: str) -> None:
        scalars: list[tuple[str, Any, Any]] = []
        subs: list[tuple[str, Any, Any]] = []
        for name, field in type(model).model_fields.items():
            value = getattr(model, name)
            (subs if isinstance(value, BaseModel) else scalars).append((name, field, value))
        if scalars:
            out.append("")
            doc = (type(model).__doc__ or "").strip()
            if comments and doc and not doc.startswith(("A base", "Usage")):
                out.append(f"# {doc.splitlines()[0]}")
            out.append(f"[{prefix}]")
            for name, field, value in scalars:
                if comments and field.description:
                    out.append(f"# {field.description}")
                out.append(f"{name} = {_toml_value(value)}")
        for name, _field, value in subs:
            section(value, f"{prefix}.{name}" if prefix else name)

    section(cfg, "")
    return "\n".join(out).replace("\n[]\n", "\n") + "\n"
