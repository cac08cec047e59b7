"""MQTT sink: events, live state and Home Assistant discovery on an MQTT broker.

Topics (``<base>`` is ``base_topic``, "sitwatch" by default):

- ``<base>/event/<event>``: every event as its docs/events.md JSON, with ``at`` (when it
  happened, by the wall clock: one that waited in the queue below keeps its own), not
  retained. Nudges also carry ``"event_type": <kind>``, which Home Assistant's ``event``
  entity needs. The day's
  summary (a ``nudge`` event of kind ``daily_budget``, stage ``summary``) is no nudge: it goes
  to ``<base>/event/day_summary`` with ``"event_type": "day_summary"``, its own entity's, so the
  Nudge entity never fires for it.
- ``<base>/state/occupancy|posture|balance|sitting_seconds|cushion``: the live state, retained,
  updated by :meth:`MqttSink.publish_state` (the daemon calls it about every 30 s) and at once by
  occupancy, posture, balance and sensor events (getting up makes posture and balance unknown).
  An unknown value is sent as ``None``, which Home Assistant shows as "unknown".
- ``<base>/state/camera``: with a camera, its own ``online``/``offline``, retained, beside the
  cushion's: a sensor event changes the state of the sensor it comes from (its ``source``), so
  a webcam going away never shows as the cushion going away.
- ``<base>/status``: ``online`` (retained) once connected; ``offline`` (retained) before a clean
  disconnect, and from the broker as our last will when the process dies or the link drops.
- ``<base>/node``: which sitwatch publishes under ``<base>/`` (retained JSON: node id, host name,
  a tag of the machine, a tag of this run, whether it shows desktop notifications itself: a
  ``sitwatch companion`` on the same machine then leaves them to it). Two sitwatch on one broker
  under the same base topic mix their state, events and commands, and two with the same node id
  (two Raspberry Pis both called ``raspberrypi``) are one device to Home Assistant: each says
  so in its log and in ``sitwatch doctor`` (:meth:`MqttSink._owner`), naming the other.
- ``<base>/clock``: this machine's wall time as it is sent (ISO 8601 with the UTC offset), with
  every state update and on every connect; neither retained nor queued, so it is always the
  time of now: ``sitwatch companion`` on another machine learns from it how far this clock is
  from its own (a Raspberry Pi booted without network time can be hours behind), and judges
  the age of our events by our clock. Not a Home Assistant entity.
- ``<base>/command/<name>`` (we subscribe to ``<base>/command/+``): commands from anywhere
  (Home Assistant's buttons and Mode select, an automation, ``mosquitto_pub``): ``feedback``
  ("Not right": ``wrong`` or empty, the last posture nudge; ``wrong KIND`` or just ``KIND``
  names it), ``snooze`` and ``pause`` (empty, or a duration such as ``30m``), ``resume``,
  ``mode`` (``watching``, ``snoozed``, ``paused``) and ``log`` (a symptom diary entry).
  ``done`` (the kind of a nudge: its notification's "Done" elsewhere, ``sitwatch companion``'s)
  counts that nudge as acted on, as the button on a local notification does, and a snooze may
  name the kind of the nudge whose "Snooze" sent it (``45m slouch``), which records the click
  as the local button does (a ``nudge_ack`` event). A
  payload may also be a JSON object with the plain payload in ``value`` and the sender's
  correlation ``id`` (:func:`unwrap`). Retained messages are ignored, so an old command is
  never taken again on reconnect. A command reaches the daemon through the same inbox as the
  desktop buttons (``on_command``), with a ``reply`` token.
- ``<base>/command/result``: the answer to every command, not retained, QoS 1
  (:func:`answer_payload`): the command as understood, ``ok``, the ``message`` (the command
  line's words where there is a command for it), the sender's ``id``. A malformed or unknown
  command is answered here at once (and counted in ``refused``); one that was taken when the
  daemon has done it or refused it (:meth:`MqttSink.answer`). We connect with MQTT 5, so a
  command published with a response topic and correlation data gets the same answer on that
  topic as well, with the correlation data, as MQTT 5 request/response has it. A broker that
  speaks only MQTT 3.1.1 refuses MQTT 5 (Mosquitto before 1.6): we then connect with 3.1.1 for
  the rest of the run (``mqtt.protocol = "auto"``, :meth:`MqttSink._fall_back`), and answers go
  to ``<base>/command/result`` only. Our own answers come back to us there (3.1.1 has no
  ``no_local``): :meth:`MqttSink._command` skips that topic.
- ``<discovery_prefix>/<component>/<node_id>/<object_id>/config``: retained Home Assistant
  discovery documents, sent on every connect and again whenever ``<discovery_prefix>/status``
  says ``online`` (Home Assistant restarted). Ours that the broker still keeps but this
  sitwatch no longer offers (an entity a newer version dropped or moved, or all of them once
  ``discovery`` is off) are cleared on connecting, so Home Assistant removes them
  (:meth:`MqttSink._stale_entity`).

Two clients with one client id (a broker keeps only the newest): the default id is this
machine's and user's own (:func:`default_client_id`); with one id configured on two machines,
whichever notices first that the broker drops it right after each connection (mosquitto 2.0
says nothing then) says so once and moves to an id of its own, or with none to move to waits
longer and longer between tries, rather than take the connection back every second
(:meth:`MqttSink._taken_over`).

Nothing here blocks the daemon: paho-mqtt (2.x, imported lazily: the ``mqtt`` extra) runs its
own network thread (``loop_start``), connects asynchronously and reconnects with backoff. While
the broker is unreachable, events wait in a bounded queue (the oldest are dropped when it is full,
counted, and logged at most once a minute) and are sent on reconnect; the state topics are simply
re-published with their latest values.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
import re
import secrets
import socket
import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from sitwatch import __version__
from sitwatch.config import Mqtt
from sitwatch.config.credentials import broker_password, login_fix
from sitwatch.core.clock import Clock
from sitwatch.core.events import (
    BALANCE,
    NOTICE,
    NUDGE,
    OCCUPANCY,
    POSTURE,
    SENSOR,
    Event,
    is_day_summary,
)
from sitwatch.core.extras import install_hint
from sitwatch.core.kinds import (
    NUDGE_KINDS,
    POSTURES,
    Balance,
    CommandOutcome,
    FeedbackKind,
    MqttProtocol,
    NoticeKind,
    NudgeAction,
    NudgeKind,
    Occupancy,
    Sensor,
    SensorState,
)

# which MQTT version to speak and what the broker's answers mean: shared with the wireless
# cushion; the names below stay importable from here
from sitwatch.core.mqtt_version import UNSUPPORTED_VERSION as UNSUPPORTED_VERSION
from sitwatch.core.mqtt_version import (
    VERSION_NAMES,
    FallsBack,
    Negotiation,
    Outcome,
    Takeover,
    closed_why,
    id_tag,
    paho,
)
from sitwatch.core.mqtt_version import MqttUnavailable as MqttUnavailable
from sitwatch.core.mqtt_version import refused_for_good as refused_for_good
from sitwatch.sinks.actions import Answer
from sitwatch.sinks.base import Problems

# The cushion's state topic carries the sensor's own words; <base>/status (Home Assistant's
# availability) uses the same pair.
ONLINE, OFFLINE = SensorState.ONLINE, SensorState.OFFLINE
WRONG = NudgeAction.WRONG
UNKNOWN = "None"  # Home Assistant's MQTT sensors read this payload as "unknown"
#: the day's summary: its event topic (``<base>/event/day_summary``), its Home Assistant event
#: entity and that entity's one event type. Not a nudge, so not the Nudge entity's
DAY_SUMMARY = "day_summary"
#: ``<base>/clock``: our wall time, sent live (never retained, never queued)
CLOCK = "clock"
#: Live state read from the snapshot (through sitwatch.runtime.describe's table) ...
SNAPSHOT_KEYS = ("occupancy", "posture", "balance", "sitting_seconds", "cushion", "static")
#: ... and what the daemon adds: the day so far (from the history) and what sitwatch is doing.
DAY_KEYS = ("sitting_today", "nudges_today", "upright_today", "over_limit", "mode")
#: ... and the camera's connection, with a camera (the seat's snapshot is the cushion's).
CAMERA_KEYS = ("camera",)
STATE_KEYS = SNAPSHOT_KEYS + DAY_KEYS + CAMERA_KEYS
NUMBER_KEYS = {"sitting_seconds": 0, "sitting_today": 1, "nudges_today": 0, "upright_today": 1}
#: Remote controls under <base>/command/: the topic's last word -> the daemon's action.
CONTROLS = {"snooze": NudgeAction.SNOOZE, "pause": NudgeAction.PAUSE,
            "resume": NudgeAction.RESUME, "log": NudgeAction.LOG, "mode": NudgeAction.RESUME}
MODES = ("watching", "snoozed", "paused")
#: Home Assistant's "Mode" select sends one of MODES to <base>/command/mode: what it asks for.
#: Choosing "snoozed" while paused must end the pause (a snooze alone keeps it), so it resumes
#: first.
MODE_ACTIONS = {"watching": (NudgeAction.RESUME,),
                "snoozed": (NudgeAction.RESUME, NudgeAction.SNOOZE),
                "paused": (NudgeAction.PAUSE,)}
#: "Not right" and "Done" under <base>/command/, and the other commands: what an unknown one is
#: told.
FEEDBACK_CMD = "feedback"
DONE_CMD = "done"
MODE_CMD = "mode"
COMMANDS = (FEEDBACK_CMD, DONE_CMD, *CONTROLS)
#: <base>/command/result: the answer to every command (not a command: never taken as one)
RESULT = "result"
ASKED_KEPT = 100  # commands remembered while they wait for the daemon's answer (its inbox's)
ID_MAX = 200  # characters of a caller's id echoed back
DROP_LOG_EVERY = 60.0  # seconds between two "dropped N messages" lines

INSTALL_HINT = f"paho-mqtt is not installed: {install_hint('mqtt')}"


# The settings live in the one config model; tests and scripts can build them directly.
MqttConfig = Mqtt


class MqttSettings(Protocol):
    """What :class:`MqttSink` reads from its config (``MqttConfig`` or an equal section)."""

    host: str
    port: int
    username: str
    password: str
    password_file: str
    tls: bool
    tls_ca: str
    base_topic: str
    discovery: bool
    discovery_prefix: str
    node_id: str
    device_name: str
    client_id: str
    qos: int
    keepalive: int
    protocol: MqttProtocol
    queue_size: int
    state_interval: float


def _hostname() -> str:
    return socket.gethostname().split(".")[0] or "localhost"


def default_node_id(hostname: str | None = None) -> str:
    host = re.sub(r"[^A-Za-z0-9_-]", "_", hostname or _hostname())
    return f"sitwatch_{host}"


def default_client_id(node_id: str, machine: str, uid: int | None = None) -> str:
    """The client id when ``mqtt.client_id`` is empty: the node id and a tag of this machine
    (:func:`machine_tag`) and user, so that two machines with one host name (two Raspberry Pis
    called raspberrypi) or two users of one machine never share one (a broker keeps only the
    newest of two clients with one id). The same on every run: a restart takes over the
    connection the last run left, whose last will then comes before our "online", not after."""
    return f"sitwatch-{node_id}-{id_tag(machine, os.getuid() if uid is None else uid)}"


def _mqtt() -> Any:
    """The paho-mqtt client module, or :class:`MqttUnavailable`."""
    return paho(INSTALL_HINT)


#: Where systemd (or D-Bus) keeps the id of this installation.
MACHINE_ID_FILES = ("/etc/machine-id", "/var/lib/dbus/machine-id")


def machine_tag(files: tuple[str, ...] = MACHINE_ID_FILES) -> str:
    """A short tag of this machine for ``<base>/node``: a hash of its machine id (the MAC
    address where there is none), never the id itself (systemd asks to keep that private)."""
    for name in files:
        with contextlib.suppress(OSError):
            text = Path(name).read_text(encoding="ascii", errors="replace").strip()
            if text:
                break
    else:
        import uuid

        text = f"{uuid.getnode():012x}"
    return hashlib.sha256(f"sitwatch:{text}".encode()).hexdigest()[:12]


class Credentials(Protocol):
    """What connecting to the broker reads from the config: who we are and how we talk."""

    host: str
    port: int
    username: str
    password: str
    password_file: str
    tls: bool
    tls_ca: str


def configure(client: Any, cfg: Credentials) -> None:
    """Give a paho client the config's credentials and TLS: the one place that does it, for
    the sink, doctor's check and ``sitwatch companion``. Raises OSError or ValueError (an
    unreadable CA or password file)."""
    if cfg.username:
        client.username_pw_set(cfg.username, broker_password(cfg) or None)
    if cfg.tls:
        client.tls_set(ca_certs=cfg.tls_ca or None)


def new_client(cfg: Credentials, client_id: str, link: Negotiation, **kw: Any) -> Any:
    """A paho client (callback API 2) speaking ``link``'s MQTT version of now, set up with the
    config's credentials and TLS (for ``sitwatch bridge`` and ``sitwatch companion``, which
    connect with ``link.session()`` and make a new one when ``link`` falls back to 3.1.1);
    ``kw`` goes to paho (``reconnect_on_failure``). Raises :class:`MqttUnavailable`, OSError
    or ValueError."""
    client = link.new_client(_mqtt(), client_id, **kw)
    configure(client, cfg)
    return client


def tls_why(e: BaseException) -> str:
    """What a TLS failure says, for the sitter: an ``ssl.SSLError``'s ``reason`` (such as
    ``CERTIFICATE_VERIFY_FAILED``) when it has one, else its text. One made without OpenSSL (a
    subclass, a library's own), or an OSError raised on the way, has no ``reason``; and
    ``str()`` of an SSLError made with one argument is a tuple's repr, so the text is taken
    from ``strerror`` or the arguments."""
    why = getattr(e, "reason", None) or getattr(e, "strerror", None)
    if why:
        return str(why)
    return "; ".join(str(a) for a in e.args) or type(e).__name__


class MqttSink(FallsBack):
    """Publishes events and state to MQTT, announces itself to Home Assistant.

    Construct it, then :meth:`start` (connects in the background). :meth:`handle` and
    :meth:`publish_state` may be called from any thread at any time, connected or not.
    :meth:`close` says "offline" and disconnects. ``clock``: its wall time dates each event
    (``at``, as it happens, so one published late after an outage shows its age); its
    monotonic time paces the state and rate-limits logs.
    """

    name = "mqtt"

    def __init__(self, cfg: MqttSettings, clock: Clock, *, log: logging.Logger,
                 on_command: Callable[[str, Event], None] | None = None,
                 camera: bool = False, desktop: bool = False,
                 cushion_shares: bool = False) -> None:
        """``on_command(action, event)``: a command from ``<base>/command/...`` (on paho's
        thread; the daemon passes its click inbox's ``put``). ``camera``: a camera is
        configured, so Home Assistant is offered its connection as an entity of its own.
        ``desktop``: this sitwatch shows its nudges as desktop notifications itself (said on
        ``<base>/node``, so that a ``sitwatch companion`` on the same machine does not show
        them twice). ``cushion_shares``: the wireless cushion logs in to this broker with the
        same login, so a refused login names both (the cushion's refusal points here)."""
        self.cfg = cfg
        self.cushion_shares = cushion_shares
        self.on_command = on_command
        self.camera = camera
        self.desktop = desktop
        self.clock = clock
        self.log = log
        host = _hostname()
        self.node_id = cfg.node_id or default_node_id(host)
        self.device_name = cfg.device_name or f"sitwatch on {host}"
        self.machine = machine_tag()
        self.client_id = cfg.client_id or default_client_id(self.node_id, self.machine)
        self.base = cfg.base_topic.rstrip("/")
        self.prefix = cfg.discovery_prefix.rstrip("/")
        self.status_topic = f"{self.base}/status"
        self.feedback_topic = f"{self.base}/command/feedback"
        self.control_topics = {f"{self.base}/command/{name}": action
                               for name, action in CONTROLS.items()}
        self.command_prefix = f"{self.base}/command/"
        self.command_filter = f"{self.base}/command/+"
        self.result_topic = f"{self.base}/command/{RESULT}"
        self.ha_status_topic = f"{self.prefix}/status"
        self.node_topic = f"{self.base}/node"
        self.clock_topic = f"{self.base}/{CLOCK}"
        #: every discovery document of ours the broker keeps (to clear the ones not offered)
        self.discovery_filter = f"{self.prefix}/+/{self.node_id}/+/config"
        self._offered: frozenset[str] = frozenset()  # the discovery topics announced now
        self.cleared = 0  # discovery documents cleared (entities no longer offered)
        self.host = host
        self.instance = secrets.token_hex(6)  # this run: its own earlier messages are not others'
        #: another sitwatch seen publishing under the same base topic (node_id, host), or None
        self.shared_with: dict[str, str] | None = None
        self._prev_status: str | None = None  # <base>/status as the broker kept it before us
        self._told: set[str] = set()  # the other runs already logged

        self._lock = threading.RLock()
        self._connected = threading.Event()
        self._queue: deque[tuple[str, str]] = deque()
        self._state: dict[str, str] = {}
        self._client: Any = None
        self._closed = False
        self.problems = Problems(self.log)
        self._drops_unlogged = 0
        self._drop_logged_at: float | None = None
        self._state_at: float | None = None  # clock time of the last publish_state()

        self.published = 0  # events handed to the broker connection
        self.dropped = 0  # events lost (queue full, or the client refused them)
        self.connects = 0
        self.discoveries = 0  # times the discovery documents were (re)published
        self.commands = 0  # commands handed to on_command
        self.refused = 0  # commands answered "refused" here: malformed, unknown
        self.answered = 0  # answers published (done or refused)
        #: the commands handed to on_command that wait for the daemon's answer, by reply token
        self._asked: OrderedDict[str, Asked] = OrderedDict()
        self._asked_n = 0
        #: the MQTT version we speak now and what the broker's answers mean: MQTT 5 unless
        #: configured otherwise, 3.1.1 for the rest of the run once the broker refused MQTT 5
        #: (:meth:`_fall_back`)
        self.link = Negotiation(cfg.protocol)
        #: another client taking our connection (the same client id): told once, then we move
        #: to an id of our own or wait longer between tries (:meth:`_taken_over`)
        self.takeover = Takeover()
        self._takeover_told = False
        #: the configured client id another client took, while we connect as our own
        self.moved_from: str | None = None
        self._slowed = False  # paho waits longer than usual before reconnecting

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> bool:
        """Set up the client and start connecting in the background. Never blocks and never
        raises: an unreachable broker is retried with backoff by paho; what cannot work at all
        (paho-mqtt missing, an unreadable CA file) is logged as an error and False returned,
        and the sink then only drops events."""
        try:
            client = self._new_client(_mqtt())
        except (MqttUnavailable, OSError, ValueError) as e:
            self.log.error("mqtt: cannot start, MQTT publishing is off: %s", e)
            with self._lock:
                self._closed = True
            return False
        with self._lock:
            self._client = client
            self._connect(client)
        return True

    @property
    def version(self) -> MqttProtocol:
        """The MQTT version we speak now."""
        return self.link.version

    @property
    def fell_back(self) -> str:
        """Why we fell back to MQTT 3.1.1 (said once in the log when 3.1.1 is accepted), or
        ""."""
        return self.link.fell_back

    def _new_client(self, mqtt: Any, client_id: str | None = None) -> Any:
        """A paho client speaking the version of now, with our last will and callbacks (not
        yet connecting), as ``client_id`` (ours by default). OSError or ValueError for what
        cannot work (an unreadable CA file)."""
        client = self.link.new_client(mqtt, client_id or self.client_id)
        self._configure(client)
        client.will_set(self.status_topic, OFFLINE, qos=1, retain=True)
        # paho's own queue holds QoS 1/2 messages until acknowledged: room for our queue, the
        # discovery documents and the state, so that a reconnect never overflows it.
        client.max_queued_messages_set(self.cfg.queue_size + 64)
        client.reconnect_delay_set(min_delay=1, max_delay=60)  # as _usual_pace
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_connect_fail = self._on_connect_fail
        client.on_message = self._on_message
        return client

    def _connect(self, client: Any) -> None:
        """Start connecting ``client`` in the background (paho's thread retries with backoff)."""
        self.link.connect_async(client, self.cfg.host, self.cfg.port, self.cfg.keepalive)

    def _to_v311(self, old: Any, why: str) -> None:
        self.link.fall_back(why)
        new = self._new_client(_mqtt())
        old.loop_stop()  # on its own thread: only tells it to stop
        self._client = new
        self._connect(new)

    def _v311_failed(self, text: str) -> bool:
        self.log.error("mqtt: %s", text)
        return False  # the refusal is said, and paho tries again with the old client

    def _v311_log(self) -> tuple[logging.Logger, str]:
        return self.log, f"mqtt: {self.cfg.host}:{self.cfg.port}"

    def _configure(self, client: Any) -> None:
        configure(client, self.cfg)

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def wait_connected(self, timeout: float) -> bool:
        """Block up to ``timeout`` seconds until the broker accepted us (for tests and doctor)."""
        return self._connected.wait(timeout)

    def close(self, timeout: float = 2.0) -> None:
        """Publish "offline" (retained), give it up to ``timeout`` s to leave, disconnect."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            client = self._client
        if client is None:
            return
        if self.connected:
            try:
                info = client.publish(self.status_topic, OFFLINE, qos=1, retain=True)
                info.wait_for_publish(timeout)
            except (RuntimeError, ValueError, OSError) as e:
                self.log.debug("mqtt: could not say offline: %s", e)
        self._flush_drop_log(force=True)
        client.disconnect()
        client.loop_stop()
        self._connected.clear()

    # -- the Sink protocol ------------------------------------------------------------------

    def handle(self, event: Event) -> None:
        # ``at`` now, when it happened: an event kept in the queue while the broker was away
        # goes out later with its own time, so a reader can tell it is old news
        payload = event.as_dict(at=self.clock.now())
        topic = f"{self.base}/event/{event.event}"
        if event.event == NUDGE and is_day_summary(event.data):
            # the day's figures, asking nothing: an automation on "a nudge came" (the Nudge
            # entity, or its daily_budget type) must not fire for it (docs/channels.md)
            topic = f"{self.base}/event/{DAY_SUMMARY}"
            payload["event_type"] = DAY_SUMMARY
        elif event.event == NUDGE and event.get("kind"):
            payload["event_type"] = event.get("kind")
        elif event.event == NOTICE and event.state:
            payload["event_type"] = event.state  # Home Assistant's event entity reads it
        self._send_event(topic, json.dumps(payload, ensure_ascii=False, separators=(",", ":")))
        key = {str(OCCUPANCY): "occupancy", str(POSTURE): "posture", str(BALANCE): "balance",
               str(SENSOR): _sensor_key(event)}.get(event.event)
        if key is None or event.get("fused_in"):
            return  # a sensor's own posture with both fused: the fused one is the seat's
        values: dict[str, Any] = {key: event.state}
        if event.event == OCCUPANCY and event.state == Occupancy.EMPTY:
            # docs/events.md: posture and balance are unknown until the next report
            values.update(posture=None, balance=None)
        self._set_state(values)

    def publish_state(self, snapshot: Mapping[str, Any]) -> None:
        """Publish the live state (retained). Keys: occupancy, posture, balance (strings or
        None), sitting_seconds (a number), cushion and camera ("online"/"offline"); missing keys
        keep their last value. Our wall time goes out with it (``<base>/clock``)."""
        self._state_at = self.clock.monotonic()
        self._set_state({k: snapshot[k] for k in STATE_KEYS if k in snapshot})
        with self._lock:
            if self.connected and self._client is not None and not self._closed:
                self._send_clock(self._client)
                if self.takeover.held(self._state_at):  # nobody took it: usual pace again
                    self._usual_pace(self._client)
                    self.problems.solved(f"mqtt: connected to {self.cfg.host}:"
                                         f"{self.cfg.port} again, and nobody takes it now")

    def _send_clock(self, client: Any) -> None:
        """Our wall time now on ``<base>/clock``: QoS 0 and not retained, so that paho never
        keeps one for later nor the broker hands an old one to a newcomer (either would say
        a time long past as if it were now)."""
        client.publish(self.clock_topic, self.clock.now().isoformat(timespec="milliseconds"),
                       qos=0, retain=False)

    def state_due(self) -> bool:
        """True when ``state_interval`` seconds have passed since the last
        :meth:`publish_state` (or there was none): the daemon asks this once a second."""
        return (self._state_at is None
                or self.clock.monotonic() - self._state_at >= self.cfg.state_interval)

    # -- publishing -------------------------------------------------------------------------

    def _send_event(self, topic: str, payload: str) -> None:
        with self._lock:
            if self._closed:
                return
            if not self.connected or self._client is None:
                self._enqueue(topic, payload)
                return
            self._publish_event(topic, payload)

    def _publish_event(self, topic: str, payload: str) -> None:
        mqtt = _mqtt()
        info = self._client.publish(topic, payload, qos=self.cfg.qos, retain=False)
        if info.rc == mqtt.MQTT_ERR_SUCCESS:
            self.published += 1
        elif info.rc == mqtt.MQTT_ERR_NO_CONN and self.cfg.qos == 0:
            self._enqueue(topic, payload)  # the link just dropped: keep it for the reconnect
        elif info.rc == mqtt.MQTT_ERR_NO_CONN:
            self.published += 1  # QoS 1/2: paho keeps it and sends it after reconnecting
        else:
            self._dropped(1, mqtt.error_string(info.rc))

    def _enqueue(self, topic: str, payload: str) -> None:
        if self.cfg.queue_size <= 0:
            self._dropped(1, "not connected and queue_size is 0")
            return
        if len(self._queue) >= self.cfg.queue_size:
            self._queue.popleft()
            self._dropped(1, f"not connected and {self.cfg.queue_size} events already waiting")
        self._queue.append((topic, payload))

    def _dropped(self, n: int, why: str) -> None:
        self.dropped += n
        self._drops_unlogged += n
        now = self.clock.monotonic()
        if self._drop_logged_at is None:
            self._drop_logged_at = now
            self.log.warning("mqtt: dropped an event (%s); further drops are summed up at most "
                             "once a minute", why)
            self._drops_unlogged = 0
        else:
            self._flush_drop_log()

    def _flush_drop_log(self, *, force: bool = False) -> None:
        if not self._drops_unlogged or self._drop_logged_at is None:
            return
        now = self.clock.monotonic()
        if force or now - self._drop_logged_at >= DROP_LOG_EVERY:
            self.log.warning("mqtt: dropped %d more events in the last %.0f s (%d in all)",
                             self._drops_unlogged, now - self._drop_logged_at, self.dropped)
            self._drops_unlogged = 0
            self._drop_logged_at = now

    def _set_state(self, values: Mapping[str, Any]) -> None:
        with self._lock:
            changed = {}
            for key, value in values.items():
                text = _state_text(key, value)
                self._state[key] = text
                changed[key] = text
            if self.connected and self._client is not None and not self._closed:
                for key, text in changed.items():
                    self._client.publish(f"{self.base}/state/{key}", text,
                                         qos=self.cfg.qos, retain=True)

    # -- paho callbacks (its network thread) --------------------------------------------------

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason_code: Any,
                    properties: Any) -> None:
        if client is not self._client:
            return  # a client given up for MQTT 3.1.1 (_fall_back)
        outcome = self.link.answered(reason_code)
        if outcome == Outcome.FALL_BACK and self._fall_back(client, "refused MQTT 5"):
            return
        if outcome != Outcome.CONNECTED:
            self.problems.report(f"refused: {reason_code}",
                                 f"mqtt: {self.cfg.host}:{self.cfg.port} "
                                 f"{self.refusal(reason_code, self.link)}; retrying")
            return
        v5 = self.version == MqttProtocol.V5
        self.takeover.up(self.clock.monotonic())
        with self._lock:
            self.connects += 1
            # first what the broker kept (who published here before us, and whether it is
            # still online), then our own: it handles a client's packets in order
            self._prev_status = None
            client.subscribe([(self.status_topic, 1), (self.node_topic, 1)])
            client.publish(self.status_topic, ONLINE, qos=1, retain=True)
            client.publish(self.node_topic, self.node_payload(), qos=1, retain=True)
            if self.on_command is not None and v5:  # every command, to answer unknown ones
                # too; not our own answers (no_local), which share the command/ prefix
                client.subscribe(self.command_filter, options=_subscribe_options(no_local=True))
            elif self.on_command is not None:  # 3.1.1: our own answers come back (_command)
                client.subscribe(self.command_filter, qos=1)
            if self.cfg.discovery:
                client.subscribe(self.ha_status_topic, qos=1)
                self._publish_discovery(client)
            else:
                self._offered = frozenset()
            client.subscribe(self.discovery_filter, qos=1)  # after ours: see _stale_entity
            for key, text in self._state.items():
                client.publish(f"{self.base}/state/{key}", text, qos=self.cfg.qos, retain=True)
            self._send_clock(client)  # before what waited in the queue: a reader can date it
            self._connected.set()
            pending = list(self._queue)
            self._queue.clear()
            for topic, payload in pending:
                self._publish_event(topic, payload)
            self._flush_drop_log(force=True)
        if self.takeover.backing_off:  # taken again at once, most likely: told already
            self.log.debug("mqtt: connected to %s:%s again, as %s", self.cfg.host,
                           self.cfg.port, self.client_id)
        elif not self.problems.solved(
                f"mqtt: connected to {self.cfg.host}:{self.cfg.port} again"):
            self.log.info("mqtt: connected to %s:%s as %s", self.cfg.host, self.cfg.port,
                          self.client_id)
        if self.fell_back and self.connects == 1:
            self.log.info("mqtt: %s", self.v311_text(self.fell_back))

    def v311_text(self, why: str) -> str:
        """What speaking MQTT 3.1.1 means, said once when the broker did not take MQTT 5."""
        return (f"the broker {self.cfg.host}:{self.cfg.port} speaks only MQTT 3.1.1 (it {why}): "
                f"sitwatch connects with 3.1.1, so commands are answered on {self.result_topic} "
                "only, never on an MQTT 5 response topic")

    def _on_disconnect(self, client: Any, userdata: Any, flags: Any, reason_code: Any,
                       properties: Any) -> None:
        if client is not self._client:
            return  # a client given up for MQTT 3.1.1
        was = self.connected
        self._connected.clear()
        outcome = self.link.closed(was)
        if self._closed:
            return
        # closed with no answer to our first MQTT 5 CONNECT: a 3.1.1 broker that does not send
        # the CONNACK the standard asks for (the others: _on_connect)
        if outcome == Outcome.FALL_BACK and self._fall_back(
                client, "closed our MQTT 5 connection without an answer"):
            return
        if outcome == Outcome.SAID:
            # paho closes the connection the broker refused (a wrong password, MQTT 5): the
            # refusal said why (_on_connect); "cannot reach (Unspecified error)" adds nothing
            return
        where = f"{self.cfg.host}:{self.cfg.port}"
        why = closed_why(flags, reason_code)
        if outcome == Outcome.LOST and self.takeover.down(self.clock.monotonic(), flags,
                                                          reason_code):
            self._taken_over(client)
            return
        self._usual_pace(client)
        if outcome != Outcome.LOST:
            self.takeover.unreachable()
        if outcome == Outcome.LOST:
            self.problems.report("lost", f"mqtt: lost the broker {where} ({why}); "
                                 "reconnecting, events wait in a queue")
        else:
            self.problems.report("unreachable", f"mqtt: cannot reach {where} ({why}); retrying",
                                 self._unreachable_level())

    def _on_connect_fail(self, client: Any, userdata: Any) -> None:
        self._connected.clear()
        self.takeover.unreachable()
        if not self._closed:
            self.problems.report("unreachable",
                                 f"mqtt: cannot reach {self.cfg.host}:{self.cfg.port}; "
                                 "retrying with backoff, events wait in a queue",
                                 self._unreachable_level())

    def own_client_id(self) -> str | None:
        """The client id to move to when another client takes ours: a configured
        ``mqtt.client_id`` with a tag of this machine and user added (a broker's prefix rule
        still holds), or None with the default, which has one already."""
        if not self.cfg.client_id:
            return None
        return f"{self.cfg.client_id}-{id_tag(self.machine, os.getuid())}"

    def _taken_over(self, client: Any) -> None:
        """Another client with our client id takes the connection (:class:`Takeover`): rather
        than take it back every second, which drops the other and leaves one of us "offline"
        in turn, move to an id of our own (a configured one only; once) or, with none left to
        move to, wait longer before each try. Said once, naming the id and its setting. On the
        old client's thread (its callback)."""
        where = f"{self.cfg.host}:{self.cfg.port}"
        taken = self.client_id
        with self._lock:
            if self._closed or client is not self._client:
                return
            own = self.own_client_id()
            moved = own is not None and own != self.client_id
            if moved:
                try:
                    new = self._new_client(_mqtt(), own)
                except (MqttUnavailable, OSError, ValueError) as e:  # worked a moment ago
                    self.log.debug("mqtt: cannot make a client as %s: %s", own, e)
                    moved = False
            if moved:
                client.loop_stop()  # on its own thread: only tells it to stop
                self.moved_from = taken
                self.client_id, self._client = str(own), new
                self._connect(new)
            else:
                wait = self.takeover.wait()
                client.reconnect_delay_set(min_delay=wait, max_delay=wait)
                self._slowed = True
        if self._takeover_told:
            self.log.debug("mqtt: another client took our connection at %s again (as %s); %s",
                           where, taken,
                           f"now {self.client_id}" if moved else f"next try in {wait} s")
            return
        self._takeover_told = True
        self.problems.report("taken", self.takeover_text(taken, self.client_id if moved
                                                         else None, None if moved else wait))

    def client_id_text(self) -> str:
        """What the status and doctor say while we connect with an id of our own because
        another client took the configured one (:meth:`_taken_over`): the log said it once,
        this lasts as long as the move; empty when we connect as configured."""
        if self.moved_from is None:
            return ""
        return (f'mqtt: another MQTT client uses the client id "{self.moved_from}" '
                f'(mqtt.client_id), so sitwatch connects as "{self.client_id}" instead: give '
                "each client its own mqtt.client_id, or leave it empty here")

    def takeover_text(self, taken: str, moved_to: str | None, wait: int | None) -> str:
        """What is said once when another client takes our connection: ``taken``, the client
        id the two share; ``moved_to``, the id we connect with from now on, or ``wait``, the
        seconds before the next try."""
        where = f"{self.cfg.host}:{self.cfg.port}"
        key = ("mqtt.client_id" if self.cfg.client_id
               else f'made from mqtt.node_id "{self.node_id}"')
        seen = (f"the broker {where} said another client took our session"
                if self.takeover.said else f"the broker {where} dropped us right after each of "
                f"our last {self.takeover.streak} connections")
        head = (f'mqtt: another MQTT client uses our client id "{taken}" ({key}): {seen}, as '
                "it keeps only the newest client of one id.")
        fix = ("To fix it, give each client its own mqtt.client_id, or leave it empty here "
               "(sitwatch then uses one of this machine's own)." if self.cfg.client_id
               else "To fix it, give each sitwatch its own mqtt.node_id.")
        if moved_to is not None:
            return (f'{head} sitwatch connects as "{moved_to}" for now, so neither keeps '
                    f"dropping the other. {fix}")
        return (f"{head} {fix} Until then sitwatch waits {wait} s, and longer each time, "
                "before it connects again, rather than take the connection back at once.")

    def _usual_pace(self, client: Any) -> None:
        """Back to paho's usual reconnect delays once nobody takes our connection."""
        if self._slowed and not self.takeover.backing_off:
            client.reconnect_delay_set(min_delay=1, max_delay=60)
            self._slowed = False

    def _unreachable_level(self) -> int:
        """A reconnect try that fails after "lost the broker" was said is part of the same
        outage: a debug line, not a second warning (the recovery is said once either way)."""
        return logging.DEBUG if "lost" in self.problems else logging.WARNING

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        if message.topic == self.status_topic:
            if message.retain:
                self._prev_status = bytes(message.payload).decode("utf-8", "replace").strip()
            return
        if message.topic == self.node_topic:
            self._owner(message, self._prev_status, again=self.connects > 1)
            return
        if message.topic.endswith("/config") and message.topic.startswith(f"{self.prefix}/"):
            self._stale_entity(client, message)
            return
        if message.topic.startswith(self.command_prefix):
            self._command(message)
            return
        if message.topic == self.ha_status_topic and message.payload.strip() == b"online":
            with self._lock:
                if self.cfg.discovery and not self._closed:
                    self._publish_discovery(client)
                    for key, text in self._state.items():
                        client.publish(f"{self.base}/state/{key}", text, qos=self.cfg.qos,
                                       retain=True)

    def _stale_entity(self, client: Any, message: Any) -> bool:
        """A discovery document of ours that the broker kept: clear it (an empty retained
        message, which makes Home Assistant remove the entity) unless this sitwatch offers it
        now. Only what the broker kept counts (it sends it when we subscribe, after our own
        documents went out); the live copies of ours that follow are not looked at. True
        when it was cleared."""
        if not message.retain or not message.payload or message.topic in self._offered:
            return False
        parts = message.topic[len(self.prefix) + 1:].split("/")
        if len(parts) != 4 or parts[1] != self.node_id:
            return False
        client.publish(message.topic, b"", qos=1, retain=True)
        self.cleared += 1
        why = ("this sitwatch no longer offers it" if self.cfg.discovery
               else "discovery is off")
        self.log.info("mqtt: removed the Home Assistant entity %s %s (%s)", parts[0], parts[2],
                      why)
        return True

    def node_payload(self) -> str:
        """What ``<base>/node`` says about this sitwatch."""
        return json.dumps({"node_id": self.node_id, "host": self.host, "machine": self.machine,
                           "instance": self.instance, "version": __version__,
                           "desktop": self.desktop}, separators=(",", ":"))

    def _owner(self, message: Any, prev_status: str | None, *, again: bool = False,
               tell: bool = True) -> bool:
        """A ``<base>/node`` message: is another sitwatch publishing under our base topic?
        One this run published is not. Kept by the broker from before our first connection,
        neither is one from this machine (its earlier run, gone without the broker noticing
        yet) nor one whose ``<base>/status`` the broker kept as offline (it has stopped: it
        will tell when it is back). Anything else is: a live one, and ``again`` (we announced
        ourselves on an earlier connection of this run) one kept by the broker that is not
        ours, since another sitwatch announced itself after us (two that share a client id
        take each other's connection in turn, and the broker may say "offline" for both). Logged
        once per other run (``tell``). True when it is."""
        try:
            other = json.loads(bytes(message.payload))
        except (ValueError, UnicodeDecodeError):
            return False
        if not isinstance(other, dict):
            return False
        run = str(other.get("instance", ""))
        if not run or run == self.instance:
            return False
        if message.retain and not again and (other.get("machine") == self.machine
                                             or prev_status != ONLINE):
            return False
        node, host = (str(other.get(k, "?"))[:64] for k in ("node_id", "host"))
        self.shared_with = {"node_id": node, "host": host}
        if tell and run not in self._told:
            self._told.add(run)
            self.log.warning("%s", self.shared_text())
        return True

    def shared_text(self) -> str:
        """What to say about :attr:`shared_with` (empty when nobody shares our topics)."""
        if self.shared_with is None:
            return ""
        node, host = self.shared_with["node_id"], self.shared_with["host"]
        if node == self.node_id:
            return (f"mqtt: another sitwatch on {host} uses this broker with the same node id "
                    f"({node}): Home Assistant sees one device, and the state, events and "
                    "commands of the two mix. Give each its own mqtt.node_id and "
                    f'mqtt.base_topic (for example node_id = "{node}_desk", '
                    f'base_topic = "{self.base}/desk")')
        return (f"mqtt: another sitwatch ({node} on {host}) publishes under the same base topic "
                f"'{self.base}': the state, events and commands of the two mix. Give each its "
                f'own mqtt.base_topic (for example base_topic = "{self.base}/{self.node_id}")')

    def _command(self, message: Any) -> None:
        """A command under ``<base>/command/`` (Home Assistant's buttons and Mode select, an
        automation, ``mosquitto_pub``): handed to ``on_command`` with a ``reply`` token, so the
        daemon's :meth:`answer` finds who asked; one that is malformed or unknown is answered
        here, refused, and counted. Retained ones are old commands the broker kept: never
        taken again, nor answered."""
        if message.retain or self.on_command is None or message.topic == self.result_topic:
            return  # without MQTT 5's no_local, our own answers come back: never a command
        name = message.topic[len(self.command_prefix):]
        reply = _v5_reply(message) if self.version == MqttProtocol.V5 else (None, None)
        asked = Asked(name, _printable(message.payload), *reply)
        try:
            payload, caller_id = unwrap(message.payload)
        except ValueError as e:
            self._refuse(asked, "bad-json", str(e))
            return
        asked = replace(asked, id=caller_id)  # its value: as sent, until understood
        if name == FEEDBACK_CMD:
            kind = parse_feedback(payload)
            if kind is False:
                self._refuse(asked, "bad-command", "send 'wrong' or 'wrong KIND'")
                return
            data: dict[str, Any] = {"via": "mqtt"}
            if kind:
                data["feedback_kind"] = kind
            self._hand_on(replace(asked, value=f"{WRONG} {kind}" if kind else str(WRONG)),
                          [(WRONG, data)])
        elif name == DONE_CMD:
            done = parse_done(payload)
            if done is None:
                self._refuse(asked, "bad-done", "send the kind of the nudge that was done: "
                             f"{', '.join(NUDGE_KINDS)} (or lopsided, static, move, budget)")
                return
            self._hand_on(replace(asked, value=str(done)),
                          [(NudgeAction.DONE, {"via": "mqtt", "kind": str(done)})])
        elif name in CONTROLS:
            self._control(asked, payload)
        else:
            self._refuse(asked, "unknown-command",
                         f"unknown command {name[:40]!r}: sitwatch takes "
                         f"{', '.join(COMMANDS[:-1])} and {COMMANDS[-1]} under "
                         f"{self.command_prefix}")

    def _control(self, asked: Asked, payload: bytes) -> None:
        """Snooze, pause, resume, mode or log, to ``on_command``. The payload of snooze and
        pause may be a duration (``30m``); empty means the default (snooze:
        ``snooze_minutes``; pause: until resumed)."""
        action = CONTROLS[asked.command]
        if asked.command == MODE_CMD:
            word = payload.decode("utf-8", "replace").strip().lower()
            if word not in MODE_ACTIONS:
                self._refuse(asked, "bad-mode", f"send one of {', '.join(MODES)}")
                return
            self._hand_on(replace(asked, value=word),
                          [(act, {"via": "mqtt"}) for act in MODE_ACTIONS[word]])
            return
        if action == NudgeAction.LOG:
            fields = parse_symptom(payload)
            if fields is None:
                self._refuse(asked, "bad-log", "send a symptom word (numbness) or JSON such as "
                             "{\"kind\": \"numbness\", \"side\": \"left\"}")
                return
            self._hand_on(replace(asked, value=str(fields.get("kind", ""))[:40]),
                          [(action, {"via": "mqtt", "symptom": fields})])
            return
        kind: NudgeKind | None = None
        if action == NudgeAction.SNOOZE:
            minutes, kind = parse_snooze(payload)
        else:
            minutes = parse_control(payload) if action != NudgeAction.RESUME else None
        if minutes is False:
            self._refuse(asked, "bad-control", "send nothing or a duration such as 30m"
                         + (", and after it the kind of the nudge it answers, if one (30m "
                            "slouch)" if action == NudgeAction.SNOOZE else ""))
            return
        data: dict[str, Any] = {"via": "mqtt"}
        if minutes is not None:
            data["minutes"] = minutes
        if kind is not None:
            data["kind"] = str(kind)  # the nudge whose Snooze button sent it (nudge_ack)
        value = " ".join(([f"{minutes:g}m"] if minutes is not None else [])
                         + ([str(kind)] if kind is not None else []))
        self._hand_on(replace(asked, value=value), [(action, data)])

    def _hand_on(self, asked: Asked, actions: list[tuple[str, dict[str, Any]]]) -> None:
        """The daemon's actions for one command; the last carries the ``reply`` token the
        daemon's :meth:`answer` hands back (a Mode choice may take two: resume, then snooze)."""
        assert self.on_command is not None
        with self._lock:
            self._asked_n += 1
            token = str(self._asked_n)
            self._asked[token] = asked
            while len(self._asked) > ASKED_KEPT:
                self._asked.popitem(last=False)
        self.commands += 1
        for i, (action, data) in enumerate(actions):
            if i == len(actions) - 1:
                data = {**data, "reply": token}
            self.on_command(action, Event(self.clock.monotonic(), NUDGE, None, data))

    def _refuse(self, asked: Asked, key: str, why: str) -> None:
        """A command not taken (malformed, unknown): a warning in the journal once per kind of
        mistake (:class:`Problems`), and always the answer to whoever sent it."""
        self.refused += 1
        topic = f"{self.command_prefix}{asked.command}"
        self.problems.report(key, f"mqtt: {topic}: ignored {asked.value!r}: {why}")
        self._publish_answer(asked, Answer(False, why))

    def answer(self, reply: str, answer: Answer) -> None:
        """What became of the command handed on with ``reply`` (the daemon's thread): sent to
        ``<base>/command/result``, and to the MQTT 5 response topic it named. A reply token
        no longer kept (more than :data:`ASKED_KEPT` commands waited) is dropped."""
        with self._lock:
            asked = self._asked.pop(reply, None)
        if asked is not None:
            self._publish_answer(asked, answer)

    def _publish_answer(self, asked: Asked, answer: Answer) -> None:
        """QoS 1, not retained (an answer is news, not state); paho keeps it over a reconnect.
        Never raises: a response topic that cannot be published to is only logged."""
        text = json.dumps(answer_payload(asked, answer), ensure_ascii=False,
                          separators=(",", ":"))
        with self._lock:
            client = self._client
            if client is None or self._closed:
                return
            props = (v5_properties(asked.correlation) if self.version == MqttProtocol.V5
                     else None)
            client.publish(self.result_topic, text, qos=1, retain=False, properties=props)
            self.answered += 1
            if asked.response_topic and asked.response_topic != self.result_topic:
                try:
                    client.publish(asked.response_topic, text, qos=1, retain=False,
                                   properties=props)
                except ValueError as e:  # a wildcard or an over-long topic
                    self.problems.report("bad-response-topic", f"mqtt: cannot answer on the "
                                         f"response topic {asked.response_topic[:80]!r}: {e}")

    # -- Home Assistant discovery -------------------------------------------------------------

    def discovery_messages(self) -> list[tuple[str, dict[str, Any]]]:
        """(topic, config) for every entity; published retained."""
        device = {
            "identifiers": [self.node_id],
            "name": self.device_name,
            "manufacturer": "sitwatch",
            "model": "sitwatch seat cushion",
            "sw_version": __version__,
        }
        common = {
            "availability_topic": self.status_topic,
            "payload_available": ONLINE,
            "payload_not_available": OFFLINE,
            "device": device,
            "origin": {"name": "sitwatch", "sw_version": __version__},
            "qos": self.cfg.qos,
        }
        state = f"{self.base}/state"
        entities: list[tuple[str, str, dict[str, Any]]] = [
            ("binary_sensor", "occupancy", {
                "name": "Seat occupied", "device_class": "occupancy",
                "state_topic": f"{state}/occupancy", "payload_on": Occupancy.OCCUPIED,
                "payload_off": Occupancy.EMPTY,
            }),
            ("sensor", "sitting_time", {
                "name": "Sitting time", "device_class": "duration",
                "unit_of_measurement": "s", "state_class": "measurement",
                "state_topic": f"{state}/sitting_seconds", "icon": "mdi:chair-rolling",
            }),
            ("sensor", "posture", {
                "name": "Posture", "device_class": "enum", "options": list(POSTURES),
                "state_topic": f"{state}/posture", "icon": "mdi:human-handsdown",
            }),
            ("sensor", "balance", {
                "name": "Balance", "device_class": "enum", "options": list(Balance),
                "state_topic": f"{state}/balance", "icon": "mdi:scale-balance",
            }),
            ("binary_sensor", "cushion", {
                "name": "Cushion", "device_class": "connectivity",
                "state_topic": f"{state}/cushion", "payload_on": ONLINE,
                "payload_off": OFFLINE, "entity_category": "diagnostic",
            }),
            *([("binary_sensor", "camera", {
                "name": "Camera", "device_class": "connectivity",
                "state_topic": f"{state}/camera", "payload_on": ONLINE,
                "payload_off": OFFLINE, "entity_category": "diagnostic",
            })] if self.camera else []),
            ("event", "nudge", {
                "name": "Nudge", "event_types": list(NUDGE_KINDS),
                "state_topic": f"{self.base}/event/{NUDGE}", "icon": "mdi:bell-ring",
            }),
            ("event", DAY_SUMMARY, {
                "name": "Day summary", "event_types": [DAY_SUMMARY],
                "state_topic": f"{self.base}/event/{DAY_SUMMARY}", "icon": "mdi:calendar-check",
            }),
            ("event", "notice", {
                "name": "Cushion notice", "event_types": list(NoticeKind),
                "state_topic": f"{self.base}/event/{NOTICE}", "icon": "mdi:alert-circle-outline",
                "entity_category": "diagnostic",
            }),
        ]
        entities += [
            ("sensor", "sitting_today", {
                "name": "Sitting today", "device_class": "duration",
                "unit_of_measurement": "min", "state_class": "total_increasing",
                "state_topic": f"{state}/sitting_today", "icon": "mdi:seat-recline-normal",
            }),
            ("sensor", "nudges_today", {
                "name": "Nudges today", "state_class": "total_increasing",
                "state_topic": f"{state}/nudges_today", "icon": "mdi:bell-badge",
            }),
            ("sensor", "upright_today", {
                "name": "Upright today", "unit_of_measurement": "%",
                "state_class": "measurement", "state_topic": f"{state}/upright_today",
                "icon": "mdi:human-male",
            }),
            ("binary_sensor", "static", {
                "name": "Weight shift due", "device_class": "problem",
                "state_topic": f"{state}/static", "payload_on": "ON", "payload_off": "OFF",
                "icon": "mdi:seat-passenger",
            }),
            ("binary_sensor", "over_limit", {
                "name": "Past the sitting limit", "device_class": "problem",
                "state_topic": f"{state}/over_limit", "payload_on": "ON", "payload_off": "OFF",
            }),
        ]
        mode = {"name": "Mode", "options": list(MODES), "state_topic": f"{state}/mode",
                "icon": "mdi:eye-check"}
        if self.on_command is None:  # read-only: what sitwatch is doing
            entities.append(("sensor", "mode", {**mode, "device_class": "enum"}))
        else:  # two-way: choosing a mode snoozes, pauses or resumes
            entities.append(("select", "mode", {**mode,
                                                "command_topic": f"{self.base}/command/mode"}))
            entities.append(("button", "not_right", {
                "name": "Not right", "command_topic": self.feedback_topic,
                "payload_press": str(WRONG), "icon": "mdi:thumb-down-outline",
            }))
            # the answer to the notice that a way of sitting upright was learned (a
            # ``calibration`` event with a title): forget it, never learn it again
            entities.append(("button", "not_right_learned", {
                "name": "Not right: the way of sitting just learned",
                "command_topic": self.feedback_topic,
                "payload_press": f"{WRONG} {FeedbackKind.LEARNED}",
                "icon": "mdi:seat-recline-normal",
            }))
            # what became of the last command (any sender's): done or refused, and why
            entities.append(("event", "command_result", {
                "name": "Command result", "event_types": list(CommandOutcome),
                "state_topic": self.result_topic, "icon": "mdi:message-reply-text-outline",
                "entity_category": "diagnostic",
            }))
            for name, label_, icon in (("snooze", "Snooze nudges", "mdi:bell-sleep"),
                                       ("pause", "Pause watching", "mdi:pause-circle"),
                                       ("resume", "Resume", "mdi:play-circle")):
                entities.append(("button", name, {
                    "name": label_, "command_topic": f"{self.base}/command/{name}",
                    "payload_press": "PRESS", "icon": icon,
                }))
        out = []
        for component, object_id, specific in entities:
            config = {**specific, **common, "unique_id": f"{self.node_id}_{object_id}"}
            out.append((f"{self.prefix}/{component}/{self.node_id}/{object_id}/config", config))
        return out

    def _publish_discovery(self, client: Any) -> None:
        messages = self.discovery_messages()
        self._offered = frozenset(topic for topic, _ in messages)
        for topic, config in messages:
            client.publish(topic, json.dumps(config, separators=(",", ":")), qos=1, retain=True)
        self.discoveries += 1

    # -- doctor -----------------------------------------------------------------------------

    def check(self, timeout: float = 5.0) -> tuple[bool, str]:
        """Can we connect to the broker within ``timeout`` seconds, and with which MQTT
        version? (ok, one line). With ``mqtt.protocol = "auto"``, MQTT 5 first and 3.1.1 when
        the broker does not take it, as the daemon does. Uses its own client id, so a running
        daemon is not kicked off the broker."""
        try:
            mqtt = _mqtt()
        except MqttUnavailable as e:
            return False, str(e)
        where = f"{self.cfg.host}:{self.cfg.port}" + (" (TLS)" if self.cfg.tls else "")
        link = Negotiation(self.cfg.protocol)  # as the daemon: MQTT 5 first with "auto"
        try:
            result = self._check_with(mqtt, link, timeout)
            if link.check_again(result.get("rc"), bool(result.get("closed"))):
                # refused MQTT 5, or closed it without an answer: as the daemon, try 3.1.1
                result = self._check_with(mqtt, link, timeout)
        except (OSError, ValueError) as e:
            return False, f"mqtt: cannot connect to {where}: {e}"
        rc = result.get("rc")
        if rc is None:
            return False, f"mqtt: no answer from {where} within {timeout:g} s"
        if rc.is_failure:
            return False, f"mqtt: {where} {self.refusal(rc, link)}"
        version = link.version
        spoken = VERSION_NAMES[version]
        if version == MqttProtocol.V311 and self.cfg.protocol == MqttProtocol.AUTO:
            spoken += (" (the broker does not speak MQTT 5: commands are answered on "
                       f"{self.result_topic} only, not on response topics)")
        line = (f"mqtt: connected to {where} with {spoken}; topics under {self.base}/"
                + (f", Home Assistant discovery under {self.prefix}/"
                   if self.cfg.discovery else ""))
        if self.shared_with is not None:
            line += "; but " + self.shared_text().removeprefix("mqtt: ")
        return True, line

    def _check_with(self, mqtt: Any, link: Negotiation, timeout: float) -> dict[str, Any]:
        """One connection for :meth:`check` with ``link``'s version: what came of it (``rc``: the
        broker's answer, missing when none came; ``closed``: the broker closed the connection
        before answering). OSError or ValueError when it cannot even start (no route, a TLS
        error)."""
        result: dict[str, Any] = {}

        def on_connect(client: Any, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
            result["rc"] = rc
            if not rc.is_failure:  # who publishes under our base topic, as the broker kept it
                client.subscribe([(self.status_topic, 1), (self.node_topic, 1)])

        def on_subscribe(client: Any, userdata: Any, mid: Any, rcs: Any, props: Any) -> None:
            result["subscribed"] = True

        def on_message(client: Any, userdata: Any, message: Any) -> None:
            if message.topic == self.status_topic and message.retain:
                result["status"] = bytes(message.payload).decode("utf-8", "replace").strip()
            elif message.topic == self.node_topic and message.retain:
                result["node"] = True
                self._owner(message, result.get("status"), tell=False)

        client = link.new_client(mqtt, f"{self.client_id}-check", reconnect_on_failure=False)
        client.on_connect = on_connect
        client.on_subscribe = on_subscribe
        client.on_message = on_message
        client.connect_timeout = timeout
        try:
            self._configure(client)
            client.connect(self.cfg.host, self.cfg.port, keepalive=self.cfg.keepalive)
            for _ in range(max(1, math.ceil(timeout / 0.1))):
                if "rc" in result:
                    break
                if client.loop(timeout=0.1) != mqtt.MQTT_ERR_SUCCESS:
                    result["closed"] = "rc" not in result
                    break
            # the broker sends what it kept on those topics right after acknowledging the
            # subscription, one message a round (none when it keeps nothing: half a second)
            after = 0
            for _ in range(20 if "rc" in result and not result["rc"].is_failure else 0):
                if client.loop(timeout=0.1) != mqtt.MQTT_ERR_SUCCESS or "node" in result:
                    break
                after += "subscribed" in result
                if after > 5:
                    break
        finally:
            with contextlib.suppress(Exception):
                client.disconnect()
        return result

    def refusal(self, reason_code: Any, link: Negotiation) -> str:
        """What a refused connection is told (the daemon's log and status, doctor): the
        broker's reason, and what to change: MQTT 5 required of a 3.1.1 broker, or the login
        (:func:`~sitwatch.config.credentials.login_fix`) when it refused who we are."""
        also = (", which the MQTT sink and the wireless cushion both log in with"
                if self.cushion_shares else "")
        fix = login_fix(self.cfg, also=also) if refused_for_good(reason_code) else ""
        return f"refused the connection: {reason_code}{link.refusal_hint(reason_code)}{fix}"


@dataclass(frozen=True)
class Asked:
    """A command received (``command``: the topic's last word; ``value``: its payload as sent,
    or once understood, normalised: ``wrong slouch``, ``45m``, ``paused``), and what the
    answer must carry back: the MQTT 5 ``correlation`` data and ``response_topic``, and the
    caller's ``id`` from a JSON payload."""

    command: str
    value: str
    correlation: bytes | None = None
    response_topic: str | None = None
    id: str | int | float | None = None


def unwrap(payload: bytes | str) -> tuple[bytes, str | int | float | None]:
    """(the command's own payload, the caller's id) from a command's payload. A JSON object
    carries the id in ``id`` (a text or a number) and the plain payload in ``value``
    (``{"value": "wrong learned", "id": "hass-42"}``); without ``value``, the rest of the
    object is the payload (the JSON form of ``<base>/command/log``) or, with nothing left,
    the command's default. Anything else is the plain payload itself, with no id. ValueError,
    in words, for a payload that opens a JSON object and is not one, or a bad id or value."""
    raw = payload.encode() if isinstance(payload, str) else bytes(payload)
    if not raw.lstrip().startswith(b"{"):
        return raw, None
    try:
        obj = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as e:
        raise ValueError(f"the payload opens a JSON object but is not valid JSON ({e})") from None
    if not isinstance(obj, dict):
        raise ValueError("the payload opens a JSON object but is not one")
    caller = obj.pop("id", None)
    if caller is not None and (isinstance(caller, bool)
                               or not isinstance(caller, str | int | float)):
        raise ValueError("\"id\" must be a text or a number")
    if isinstance(caller, str):
        caller = caller[:ID_MAX]
    if "value" in obj:
        value = obj.pop("value")
        if not isinstance(value, str):
            raise ValueError("\"value\" must be a text: the command's plain payload")
        return value.encode(), caller
    return (json.dumps(obj).encode() if obj else b""), caller


def answer_payload(asked: Asked, answer: Answer) -> dict[str, Any]:
    """The JSON of ``<base>/command/result``: the command as understood, ``ok``, the
    ``message`` in words, the caller's ``id`` when it sent one (else its MQTT 5 correlation
    data, when that is text), and ``event_type`` (done or refused), which Home Assistant's
    Command result event entity reads."""
    out: dict[str, Any] = {"command": asked.command, "value": asked.value, "ok": answer.ok,
                           "message": answer.message,
                           "event_type": CommandOutcome.DONE if answer.ok
                           else CommandOutcome.REFUSED}
    caller = asked.id
    if caller is None and asked.correlation is not None:
        with contextlib.suppress(UnicodeDecodeError):
            caller = asked.correlation.decode("utf-8")[:ID_MAX]
    if caller is not None:
        out["id"] = caller
    return out


def _printable(payload: bytes | str) -> str:
    """A payload as the answer and the journal quote it: text, at most 40 characters."""
    raw = payload.encode() if isinstance(payload, str) else bytes(payload)
    return raw.decode("utf-8", "replace").strip()[:40]


def _v5_reply(message: Any) -> tuple[bytes | None, str | None]:
    """(correlation data, response topic) an MQTT 5 command carried, each None if not."""
    props = getattr(message, "properties", None)
    data = getattr(props, "CorrelationData", None)
    topic = getattr(props, "ResponseTopic", None)
    return (bytes(data) if data else None), (str(topic) if topic else None)


def v5_properties(correlation: bytes | None) -> Any:
    """The PUBLISH properties of an answer: the caller's correlation data back, or None."""
    if correlation is None:
        return None
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
    props.CorrelationData = correlation
    return props


def _subscribe_options(*, no_local: bool) -> Any:
    from paho.mqtt.subscribeoptions import SubscribeOptions

    return SubscribeOptions(qos=1, noLocal=no_local)


def parse_feedback(payload: bytes | str) -> str | bool | None:
    """The kind a feedback command names ('' or ``wrong``: None, the last posture nudge), or
    False when it is not a feedback command. The daemon checks the kind itself."""
    try:
        text = payload.decode("utf-8") if isinstance(payload, bytes) else payload
    except UnicodeDecodeError:
        return False
    words = text.strip().lower().split()
    if words[:1] == [str(WRONG)]:
        words = words[1:]
    if len(words) > 1 or any(len(w) > 40 for w in words):
        return False
    return words[0] if words else None


def _sensor_key(event: Event) -> str:
    """The state topic a sensor event changes: the camera's for the camera's events, the
    cushion's otherwise (its events name no source)."""
    return "camera" if event.get("source") == Sensor.CAMERA else "cushion"


def _state_text(key: str, value: Any) -> str:
    if value is None:
        return UNKNOWN
    if key in NUMBER_KEYS:
        try:
            n = max(0.0, float(value))
        except (TypeError, ValueError):
            return UNKNOWN
        digits = NUMBER_KEYS[key]
        return str(round(n, digits)) if digits else str(round(n))
    if key in ("over_limit", "static"):
        return "ON" if value else "OFF"
    if isinstance(value, bool):
        return ONLINE if value else OFFLINE  # cushion, camera: True/False
    return str(value)


def parse_symptom(payload: bytes | str) -> dict[str, Any] | None:
    """A diary entry's fields from ``<base>/command/log``: a JSON object (``kind``, ``side``,
    ``where``, ``severity``, ``note``, ``with``) or a bare symptom word; None when it is neither.
    The daemon checks the values (sitwatch.history.diary.entry_from)."""
    try:
        text = (payload.decode("utf-8") if isinstance(payload, bytes) else payload).strip()
    except UnicodeDecodeError:
        return None
    if not text or len(text) > 2000:
        return None
    if text.startswith("{"):
        try:
            obj = json.loads(text)
        except ValueError:
            return None
        return obj if isinstance(obj, dict) and "kind" in obj else None
    return {"kind": text} if text.isascii() and text.replace("_", "").isalpha() else None


#: The words people type for a nudge's kind, besides the kind itself: the ones ``feedback``
#: takes (``lopsided``, ``static``), and the timers' (``move``, ``budget``).
NUDGE_WORDS: dict[str, NudgeKind] = {
    "lopsided": NudgeKind.ASYMMETRIC_LOAD,
    "static": NudgeKind.STATIC_SITTING,
    "move": NudgeKind.PROLONGED_SITTING,
    "time_to_move": NudgeKind.PROLONGED_SITTING,
    "budget": NudgeKind.DAILY_BUDGET,
}


def nudge_kind(word: str) -> NudgeKind | None:
    """A nudge's kind from a word: as its event has it (``asymmetric_load``) or as people type
    it (:data:`NUDGE_WORDS`; ``-`` and spaces as ``_``); None for neither."""
    word = re.sub(r"[\s-]+", "_", word.strip().lower())
    return NudgeKind(word) if word in NUDGE_KINDS else NUDGE_WORDS.get(word)


def parse_done(payload: bytes | str) -> NudgeKind | None:
    """The kind of nudge a ``done`` command names (``slouch``, ``asymmetric_load`` or
    ``lopsided``: :func:`nudge_kind`), or None when it names none."""
    try:
        word = (payload.decode("utf-8") if isinstance(payload, bytes) else payload)
    except UnicodeDecodeError:
        return None
    return nudge_kind(word)


def parse_snooze(payload: bytes | str) -> tuple[float | bool | None, NudgeKind | None]:
    """A snooze payload: a duration as :func:`parse_control` reads it, optionally followed by
    the kind of the nudge whose "Snooze" sent it (``45m slouch``; ``slouch`` alone: the default
    length) -> (the minutes as :func:`parse_control` gives them, that kind or None)."""
    try:
        text = (payload.decode("utf-8") if isinstance(payload, bytes) else payload).strip()
    except UnicodeDecodeError:
        return False, None
    head, _, last = text.rpartition(" ")
    kind = nudge_kind(last)
    if kind is not None:
        return parse_control(head), kind
    return parse_control(text), None


def parse_control(payload: bytes | str) -> float | bool | None:
    """A snooze / pause payload: empty (None: the default), or a duration such as ``30m`` or
    ``90`` (minutes) -> minutes; False when it is neither."""
    from sitwatch.core.spans import duration

    try:
        text = (payload.decode("utf-8") if isinstance(payload, bytes) else payload).strip()
    except UnicodeDecodeError:
        return False
    if not text or text.lower() in ("press", "on"):  # what HA buttons and switches send
        return None
    if len(text) > 20:
        return False
    try:
        minutes = duration(text).total_seconds() / 60
    except ValueError:
        return False
    return minutes if 0 < minutes <= 7 * 24 * 60 else False
