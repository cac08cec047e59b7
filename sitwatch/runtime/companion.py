"""``sitwatch companion``: the nudges of a sitwatch on another machine, on this desktop.

The usual set-up (docs/raspberry-pi.md): the cushion is wired to a Raspberry Pi under the chair
that runs ``sitwatch run`` headless with MQTT on, while the person works at a desktop. The Pi
publishes every nudge on ``<base>/event/nudge`` with its words (``title``, ``message``:
docs/events.md), so the companion needs no detector and no guidance of its own: it subscribes
and hands each event to the same :class:`~sitwatch.sinks.desktop.DesktopSink` the daemon uses,
which shows what the local daemon would show (nudges, the day's summary, the notices of a
broken sensor or a silent cushion, the question about a way of sitting just learned, a symptom's
seek-care advice) and ignores the rest. The command puts this desktop's do-not-disturb in front
of it (:class:`~sitwatch.nudging.dnd.DndGate`): the other machine cannot see a call here.

A click becomes the command the Pi takes (:func:`command_for`), so that it counts as the same
click on the Pi's own notification would: Done goes to ``<base>/command/done`` naming the
nudge's kind (the nudge counts as acted on in the reports), Snooze to ``<base>/command/snooze``
with the minutes its label promised and the nudge's kind (the click is recorded, a
``nudge_ack``), "Not right" to ``<base>/command/feedback`` naming the nudge's kind. The other
sitwatch's answer to a "Not right" (``<base>/command/result``, found by the MQTT 5 correlation
data the command carried) is shown as a click on its own desktop is answered: a short
"sitwatch: noted" notice in the clicked notification's place, in the words `sitwatch feedback
wrong` prints (:meth:`~sitwatch.sinks.desktop.DesktopSink.answer_click`). MQTT 3.1.1 carries no
correlation data: there the click goes unanswered here.

Old news is not shown: every event the Pi publishes carries ``at``, when it happened (its wall
clock). While the broker is away the Pi keeps its events and sends them when it is back, an
hour later perhaps; a nudge older than its response window (``nudges.respond_within``: the time
in which acting on it counts, after which the Pi no longer waits for an answer) is advice about
a moment long gone, so it is left out (:func:`too_old`) and the companion says once how many it
left out, and why (:meth:`Companion.tick`). Notices about the cushion, the day's summary and a
symptom's advice stay true: they are shown however late.

An age is measured on the Pi's own clock, not by comparing two clocks: a Pi has no clock that
runs while it is off, and one booted without network time can be hours or days behind, which
made every nudge look old. The Pi sends its wall time as it sends it (``<base>/clock``, on
connecting and with every state update, never kept for later); the companion learns from it
how far that clock is from its own (:class:`~sitwatch.core.clock.PeerClock`) and dates a nudge
against the Pi's "now". An offset over :data:`SKEW` is said once (:func:`skew_line`), naming the
machine whose clock is off when this one keeps network time (``here_synced``), and said again
when it moves by as much or is gone. A sitwatch too old to send its time is judged by this
desktop's clock, as before.

Never twice: when the sitwatch publishing under ``<base>/`` runs on this very computer and shows
desktop notifications itself (its ``<base>/node`` names this machine and says ``desktop``), the
companion shows none and says so once. Only one companion runs per user (the command takes a lock).

The broker may come and go: paho reconnects with backoff, and each loss and each return is said
once. What another try cannot fix (an unknown host, credentials the broker refuses, a TLS
certificate it cannot verify, MQTT 5 required of a broker that speaks only 3.1.1) ends the
companion with one line (:attr:`Companion.fatal`). It speaks MQTT as the daemon does
(:mod:`sitwatch.core.mqtt_version`, ``mqtt.protocol``): MQTT 5, and 3.1.1 for the rest of the run
when the broker refuses MQTT 5 or closes the first connection without an answer; the "connected"
line names the version, and comes once the broker has the companion's subscriptions (its SUBACK):
a nudge published after it is shown.
"""

from __future__ import annotations

import itertools
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sitwatch.core import durations
from sitwatch.core.clock import Clock, PeerClock, SystemClock
from sitwatch.core.events import CALIBRATION, NOTICE, NUDGE, SYMPTOM, Event, is_day_summary
from sitwatch.core.kinds import NUDGE_KINDS, FeedbackKind, MqttProtocol, NudgeAction, NudgeKind
from sitwatch.core.mqtt_version import Negotiation, Outcome, closed_why, helper_client_id
from sitwatch.core.timesync import FIX
from sitwatch.nudging.feedback import kind_of, typed
from sitwatch.runtime.broker_client import BrokerClient
from sitwatch.sinks.actions import learned_notice
from sitwatch.sinks.mqtt import (
    ASKED_KEPT,
    CLOCK,
    DAY_SUMMARY,
    RESULT,
    Credentials,
    machine_tag,
    new_client,
    v5_properties,
)

#: What the companion listens to under ``<base>/event/``: what a desktop sink may show. The
#: rest (posture, occupancy, balance ...) would only cost traffic.
EVENT_TOPICS: tuple[str, ...] = (str(NUDGE), DAY_SUMMARY, str(NOTICE), str(CALIBRATION),
                                 str(SYMPTOM))
#: Fields the MQTT sink adds to an event's JSON, not part of its data (``at``: when it happened).
ENVELOPE = ("t", "event", "state", "event_type", "at")
#: How old a nudge without a response window of its own (the question about a way of sitting
#: just learned; a kind this desktop's config does not know) may be and still be shown, seconds.
MAX_AGE = 300.0
#: Seconds without another late nudge before the companion says how many it left out: they come
#: in a burst when the broker is back, and the line sums up the burst.
LATE_QUIET = 2.0
#: Seconds between the Pi's clock and this one's worth saying (and a change of it worth saying
#: again): less is the network's doing, or too little to matter to a nudge.
SKEW = 120.0


class Shows(Protocol):
    """Where events are shown (a DesktopSink; a list in tests)."""

    def handle(self, event: Event) -> None: ...


class Broker(Credentials, Protocol):
    """What the companion reads from ``[mqtt]``: where the broker is, how to log in
    (:class:`~sitwatch.sinks.mqtt.Credentials`), how often to say it is alive, and which MQTT
    version to speak."""

    keepalive: int
    protocol: MqttProtocol


@dataclass(frozen=True)
class Command:
    """A command for the other sitwatch: ``<base>/command/<name>`` with ``payload``."""

    name: str
    payload: str


def event_from(payload: bytes) -> Event | None:
    """The event a sitwatch published on ``<base>/event/...`` (docs/events.md JSON), or None
    when the payload is not one."""
    got = published(payload)
    return None if got is None else got[0]


def published(payload: bytes) -> tuple[Event, datetime | None] | None:
    """(the event, when it happened: its ``at``, None when it has none or an unreadable one)
    from a payload on ``<base>/event/...``; None when the payload is not an event."""
    try:
        obj = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(obj, dict) or not isinstance(obj.get("event"), str):
        return None
    t = obj.get("t")
    state = obj.get("state")
    data = {k: v for k, v in obj.items() if k not in ENVELOPE}
    at: datetime | None = None
    if isinstance(obj.get("at"), str):
        try:
            at = datetime.fromisoformat(obj["at"])
        except ValueError:
            at = None
        if at is not None and at.tzinfo is None:
            at = None  # no offset: no telling which time it was
    return (Event(float(t) if isinstance(t, int | float) else 0.0, obj["event"],
                  None if state is None else str(state), data), at)


def max_age(event: Event, windows: Mapping[str, float]) -> float | None:
    """How old ``event`` may be and still be shown, seconds, or None: shown however late. A
    nudge: its kind's response window (``windows``, ``nudges.respond_within``; the Pi stops
    waiting for an answer then, so a click could not count either); the question about a way
    of sitting just learned (it is about how one sits now): :data:`MAX_AGE`. Notices about the
    cushion, the day's summary and a symptom's advice stay true."""
    if learned_notice(event):
        return MAX_AGE
    if event.event != NUDGE or is_day_summary(event.data):
        return None
    return float(windows.get(str(event.get("kind")), MAX_AGE))


def too_old(event: Event, at: datetime | None, now: datetime,
            windows: Mapping[str, float]) -> float | None:
    """How old ``event`` is (seconds) when that is too old to be shown (:func:`max_age`), else
    None. An event without ``at`` (a sitwatch older than that field) is taken as new."""
    limit = max_age(event, windows)
    if limit is None or at is None:
        return None
    age = (now - at).total_seconds()
    return age if age > limit else None


def skew_line(offset: float, said: float, host: str, here_synced: bool | None) -> str | None:
    """What to say about the other machine's clock being ``offset`` seconds ahead of this one's
    (negative: behind), when ``said`` was the offset last said (0: none): a gap over
    :data:`SKEW`, once, and again when it moves by as much; that the clocks agree again, once.
    None: nothing new to say."""
    if abs(offset) <= SKEW:
        if abs(said) <= SKEW:
            return None
        return f"the clocks of {host} and this computer agree again"
    if abs(offset - said) <= SKEW:
        return None
    gap = durations.words(abs(offset))
    side = "behind" if offset < 0 else "ahead of"
    shown = "Its nudges are shown all the same (their age is judged by its own clock); to"
    if here_synced:
        return (f"the clock of {host} is {gap} {side} this computer's, which keeps network "
                f"time. {shown} keep the times in its history right, turn on network time on "
                f"{host}: {FIX}")
    return (f"the clocks of {host} and this computer disagree: {host}'s is {gap} {side} this "
            f"one's. {shown} keep the times in the history right, turn on network time where "
            f"it is off, most likely on {host} (a Raspberry Pi has no clock that runs while it "
            f"is off): {FIX}")


def command_for(action: str, event: Event, snooze_minutes: float) -> Command | None:
    """The command a click on ``event``'s notification sends, or None (nothing to tell).
    Each names the nudge's kind, so it is recorded as a click on that nudge even when another
    came since, as a click on the other sitwatch's own notification is: Done counts the nudge
    as acted on; Snooze also names its minutes, so it lasts as long as the button said,
    whatever the other sitwatch's own ``snooze_minutes``; "Not right" answers this nudge's
    kind."""
    kind = event.get("kind") if event.event == NUDGE else None
    nudge = str(kind) if kind in NUDGE_KINDS else ""
    if action == NudgeAction.SNOOZE:
        return Command("snooze", f"{snooze_minutes:g}m {nudge}".strip())
    if action == NudgeAction.DONE:
        return Command("done", nudge) if nudge else None
    if action == NudgeAction.WRONG:
        kind = FeedbackKind.LEARNED if learned_notice(event) else kind_of(event.data)
        return Command("feedback", f"{NudgeAction.WRONG} {typed(kind)}" if kind
                       else str(NudgeAction.WRONG))
    return None


class Companion(BrokerClient):
    """Shows the events of the sitwatch publishing under ``base`` on ``show``, and sends the
    clicks back as commands.

    :meth:`start`, then wait on :attr:`done`, calling :meth:`tick` now and then (about once a
    second); :meth:`close` disconnects. ``say`` gets the lines worth telling the person
    (connected, lost, back, whose nudges these are, how many came too late to show); paho's
    callbacks run on its network thread, :meth:`on_action` on the desktop sink's helpers.
    ``respond_within``: each nudge kind's response window, seconds (``nudges.respond_within``):
    a nudge older than that is not shown. ``clock``: this machine's time; an event's age is measured
    on the other machine's clock, worked out from this one and what the other sends on
    ``<base>/clock`` (:attr:`peer`). ``here_synced``: whether this machine keeps network time
    (None: cannot tell), to name the machine whose clock is off. ``answer_click``: told the
    other sitwatch's answer to a "Not right" clicked here, with the clicked event (the desktop
    sink's :meth:`~sitwatch.sinks.desktop.DesktopSink.answer_click`); None: not asked for.
    """

    host_key = "mqtt.host"
    while_away = ""

    def __init__(self, cfg: Broker, show: Shows, *, base: str, snooze_minutes: float,
                 say: Callable[[str], None], log: logging.Logger,
                 machine: str | None = None, client_factory: Callable[..., Any] = new_client,
                 respond_within: Mapping[NudgeKind, float] | None = None,
                 clock: Clock | None = None, here_synced: bool | None = None,
                 answer_click: Callable[[Event, str], None] | None = None) -> None:
        self.cfg = cfg
        self.show = show
        self.base = base.rstrip("/")
        self.snooze_minutes = snooze_minutes
        self.say = say
        self.log = log
        self.windows = {str(k): float(v) for k, v in (respond_within or {}).items()}
        self.clock: Clock = clock or SystemClock()
        self.machine = machine_tag() if machine is None else machine
        self.where = f"{cfg.host}:{cfg.port}" + (" (TLS)" if cfg.tls else "")
        # its own id: never the daemon's (the broker would drop one for the other)
        self.client_id = helper_client_id("companion")
        self.node_topic = f"{self.base}/node"
        self.event_topics = [f"{self.base}/event/{name}" for name in EVENT_TOPICS]
        self.clock_topic = f"{self.base}/{CLOCK}"
        self.result_topic = f"{self.base}/command/{RESULT}"
        self.answer_click = answer_click
        #: the "Not right" clicks waiting for the other sitwatch's answer, by correlation data
        self._asked: OrderedDict[str, Event] = OrderedDict()
        self._tokens = itertools.count(1)
        self.peer = PeerClock()  # the other machine's clock against this one's
        self.here_synced = here_synced
        self._skew_said = 0.0  # the offset last said (0: nothing said, taken to agree)
        self._factory = client_factory
        self._client: Any = None
        #: the MQTT version spoken now, and what the broker's answers mean (as for the daemon)
        self.link = Negotiation(cfg.protocol)
        self._linked = False  # the broker accepted the current connection (paho's thread)
        self._lock = threading.Lock()
        self.done = threading.Event()  # set when the companion should end (fatal, closed)
        self.fatal: str | None = None  # why it cannot go on, when that is why it ended
        self.connects = 0
        self._down_said = False  # the loss (or the unreachable broker) was said
        self._closed = False
        self.local: dict[str, Any] | None = None  # the publisher when it runs on this machine
        self._told: set[str] = set()  # publishers (runs) already named
        self.shown = 0  # events handed to ``show``
        self.skipped = 0  # events left to the sitwatch on this machine
        self.late = 0  # nudges not shown: too old
        self.sent = 0  # commands published
        self._host = "the other machine"  # the publisher's host name, once it said it
        #: the ages (s) of the late nudges not said yet, and when (monotonic) the last came
        self._late: list[float] = []
        self._late_at = 0.0

    # -- lifecycle ------------------------------------------------------------------------

    def _broker(self) -> tuple[str, int, int]:
        return self.cfg.host, self.cfg.port, self.cfg.keepalive

    def _new_client(self) -> Any:
        """A paho client speaking the version of now, with our callbacks, made the current
        one."""
        client = self._factory(self.cfg, self.client_id, self.link)
        client.reconnect_delay_set(min_delay=1, max_delay=60)
        client.on_connect = self._on_connect
        client.on_connect_fail = self._on_connect_fail
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        self._client = client
        return client

    def _to_v311(self, old: Any, why: str) -> None:
        self.link.switch(old, why, self._new_client, self.cfg.host, self.cfg.port,
                         self.cfg.keepalive)

    def _v311_failed(self, text: str) -> bool:
        self._end(text)
        return True

    def _v311_log(self) -> tuple[logging.Logger, str]:
        return self.log, f"companion: {self.where}"

    def close(self) -> None:
        """Disconnect and stop paho's thread (the commands already sent are on their way)."""
        client = self._stop()
        self._say_late()
        if client is not None:
            client.disconnect()
            client.loop_stop()

    # -- paho's callbacks (its network thread) ----------------------------------------------

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason_code: Any,
                    properties: Any) -> None:
        if client is not self._client:
            return  # a client given up for MQTT 3.1.1
        outcome = self.link.answered(reason_code)
        if outcome == Outcome.FALL_BACK and self._fall_back(client, "refused MQTT 5"):
            return
        if outcome != Outcome.CONNECTED:
            fatal = self._for_good(reason_code, self.connects)
            if fatal is not None:
                self._end(fatal)
                client.disconnect()
                return
            self._unreachable(f"refused: {reason_code}")
            return
        self._linked = True
        # the answers to our "Not right" clicks: found by their correlation data (MQTT 5 only)
        answers = ([(self.result_topic, 1)] if self.answer_click is not None
                   and self.link.version == MqttProtocol.V5 else [])
        self._subscribe(client, [(self.node_topic, 1), (self.clock_topic, 0),
                                 *((t, 1) for t in self.event_topics), *answers])

    def _ready(self, client: Any, refused: str) -> None:
        self.connects += 1
        if self.connects == 1:
            self.say(f"connected to {self.where} with {self.link.spoken}: showing the nudges "
                     f"published under {self.base}/ (Ctrl-C stops)")
        elif self._down_said:
            self.say(f"connected to {self.where} again")
        self._down_said = False
        if refused:
            self.say(refused)

    def _login_fix(self) -> str:
        from sitwatch.config.credentials import login_fix

        return login_fix(self.cfg)

    def _on_connect_fail(self, client: Any, userdata: Any) -> None:
        if not self._closed and client is self._client:
            self._unreachable("no answer")

    def _on_disconnect(self, client: Any, userdata: Any, flags: Any, reason_code: Any,
                       properties: Any) -> None:
        if client is not self._client:
            return  # a client given up for MQTT 3.1.1
        was, self._linked = self._linked, False
        outcome = self.link.closed(was)
        if outcome == Outcome.FALL_BACK and self._fall_back(
                client, "closed our MQTT 5 connection without an answer"):
            return
        if outcome == Outcome.SAID or self._closed or self.done.is_set() or self._down_said:
            return  # a refusal said why itself
        if outcome == Outcome.UNREACHABLE:  # closed before any answer: never connected
            self._unreachable(closed_why(flags, reason_code))
            return
        self._say_late()
        self._down_said = True
        self.say(f"lost the MQTT broker {self.where} ({closed_why(flags, reason_code)}); "
                 "reconnecting, nudges published meanwhile are not shown")

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        if message.topic == self.node_topic:
            self._publisher(message.payload)
            return
        if message.retain:
            return  # events are never retained: this is somebody's leftover, not news
        if message.topic == self.result_topic:
            self._answered(message.payload)
            return
        if message.topic == self.clock_topic:
            self._peer_time(message.payload)
            return
        got = published(message.payload)
        if got is None:
            self.log.debug("companion: %s: not an event: %r", message.topic,
                           bytes(message.payload)[:60])
            return
        event, at = got
        if self.local is not None:
            self.skipped += 1
            return
        age = too_old(event, at, self.peer.their_now(self.clock.now()), self.windows)
        if age is not None:
            self._left_out(age)
            return
        self._say_late()  # the late ones came before this one: said first
        self.shown += 1
        self.show.handle(event)

    # -- late nudges ----------------------------------------------------------------------

    def _left_out(self, age: float) -> None:
        """A nudge too old to show: counted, and said with the others of its burst."""
        with self._lock:
            self.late += 1
            self._late.append(age)
            self._late_at = self.clock.monotonic()
        self.log.debug("companion: a nudge %.0f s old was not shown", age)

    def tick(self) -> None:
        """Say how many nudges came too late to show, once their burst is over (none for
        :data:`LATE_QUIET` seconds)."""
        if self._late and self.clock.monotonic() - self._late_at >= LATE_QUIET:
            self._say_late()

    def _say_late(self) -> None:
        with self._lock:
            ages, self._late = self._late, []
        if not ages:
            return
        n = len(ages)
        young, old = durations.words(min(ages)), durations.words(max(ages))
        when = f"{old} ago" if young == old else f"{young} to {old} ago"
        what, it = (f"{n} nudges", "they were") if n > 1 else ("1 nudge", "it was")
        if self.peer.offset is not None:  # aged on its own clock: truly late
            self.say(f"did not show {what} from sitwatch on {self._host}, published {when} by "
                     "its own clock: too late to act on (past nudges.respond_within), kept "
                     "while the broker could not be reached")
            return
        self.say(f"did not show {what} from sitwatch on {self._host}, published {when}: too "
                 "late to act on (past nudges.respond_within), most likely kept while the "
                 f"broker could not be reached. If {it} sent just now, the clocks of the two "
                 "computers disagree: set both to network time")

    # -- the other machine's clock ----------------------------------------------------------

    def _peer_time(self, payload: bytes) -> None:
        """``<base>/clock``: the other machine's wall time as it sent it."""
        try:
            theirs = datetime.fromisoformat(bytes(payload).decode("ascii"))
        except (ValueError, UnicodeDecodeError):
            return
        if theirs.tzinfo is None:
            return  # no offset: no telling which time it was
        offset = self.peer.heard(theirs, self.clock.now(), self.clock.monotonic())
        line = skew_line(offset, self._skew_said, self._host, self.here_synced)
        if line:
            self._skew_said = offset
            self.say(line)

    def _publisher(self, payload: bytes) -> None:
        """``<base>/node``: which sitwatch publishes there. One on this machine that shows
        desktop notifications shows its own nudges, so ours would come twice: show none while
        it is the one (a headless one, as a system service, shows none: we do)."""
        try:
            node = json.loads(payload)
        except (ValueError, UnicodeDecodeError):
            return
        if not isinstance(node, dict):
            return
        host = str(node.get("host", "?"))[:64]
        self._host = host
        run = str(node.get("instance", ""))
        # one that does not say (an older sitwatch) is taken to show them
        shows = node.get("desktop", True) is not False
        self.local = node if node.get("machine") == self.machine and shows else None
        if run in self._told:
            return
        self._told.add(run)
        if self.local is not None:
            self.say(f"the sitwatch publishing under {self.base}/ runs on this computer "
                     f"({host}) and shows its nudges on this desktop itself: the companion "
                     "shows none of them. "
                     "It is for the nudges of a sitwatch on another machine: give it that "
                     "one's topic (--base-topic)")
        else:
            self.say(f"nudges come from sitwatch on {host}")

    # -- clicks (the desktop sink's helper threads) -------------------------------------------

    def on_action(self, action: str, event: Event) -> None:
        """A button was clicked on one of the shown notifications: tell the other sitwatch."""
        cmd = command_for(action, event, self.snooze_minutes)
        if cmd is None or self._client is None:
            return
        topic = f"{self.base}/command/{cmd.name}"
        props = None
        if (action == NudgeAction.WRONG and self.answer_click is not None
                and self.link.version == MqttProtocol.V5):
            with self._lock:
                token = f"{self.client_id}-{next(self._tokens)}"
                self._asked[token] = event
                while len(self._asked) > ASKED_KEPT:
                    self._asked.popitem(last=False)
            props = v5_properties(token.encode())
        self._client.publish(topic, cmd.payload, qos=1, retain=False, properties=props)
        self.sent += 1
        self.log.info("companion: %s clicked: sent %r to %s", action, cmd.payload, topic)

    def _answered(self, payload: bytes) -> None:
        """``<base>/command/result``: the other sitwatch's answer to a command; one to a "Not
        right" clicked here (its ``id``, our correlation data) is shown in the click's place.
        The answers to anybody else's commands are not ours."""
        try:
            got = json.loads(payload)
        except (ValueError, UnicodeDecodeError):
            return
        if not isinstance(got, dict) or not isinstance(got.get("message"), str):
            return
        with self._lock:
            event = self._asked.pop(str(got.get("id")), None)
        if event is not None and self.answer_click is not None:
            self.answer_click(event, got["message"])
