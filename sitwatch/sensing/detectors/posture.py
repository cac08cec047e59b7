"""Seat posture (upright | slouched | leaning_forward | reclined), relative to the baseline.

The rules, in order (all shares relative to the sitter's upright baseline):

- slouched: the rear of the seat loses most of its share of the load (the pelvis slides forward
  and the sitter rests on the lower back): ``rear_share < slouch_rear_ratio x baseline`` and
  the seat's centre of pressure moves forward by ``slouch_shift``; unless the backrest is free
  (below ``BACK_FREE`` of its upright load): that is a perch on the front of the seat, which
  reads leaning forward;
- reclined: the backrest carries much more than upright, or its load moves down the backrest,
  while the rear of the seat stays loaded;
- leaning_forward: the backrest is (nearly) unloaded and either the seat's centre of pressure
  moves forward or the chair carries much less than upright (weight on the desk or feet) while
  the seat has not taken the backrest's share back (:data:`SEAT_GAIN`: sitting up clear of it); once
  the sitter's upright away from the backrest is known, also when the seat carries clearly less
  than it does there (see :func:`leans_from_away`);
- on a seat without backrest sensors (or a backrest the sitter did not lean on when upright)
  the seat alone decides, see :func:`seat_only`: a rear emptied with the centre far forward is
  "weight forward" (a perch and a deep slump look the same from below, so it is reported as
  leaning forward, never as a slump); a slide of the sit bones off the rear of the seat onto
  the sacrum (half lying) is a slump where a sensor lies on the seat's rear midline; a large
  forward move with the rear only partly unloaded and the weight kept is a slump, a smaller
  one that takes weight off the seat a lean; reclining cannot be seen. A chair whose
  backrest sensors the sitter did not lean on when calibrating still knows when the backrest
  is free: the calibration is then the upright clear of it, and a seat that lost a quarter of
  that load reads leaning forward (as :func:`leans_from_away`);
- otherwise upright.
"""

from __future__ import annotations

from sitwatch.config import Posture as PostureCfg
from sitwatch.core.events import POSTURE, Event
from sitwatch.sensing.detectors.baseline import Baseline
from sitwatch.sensing.detectors.dwell import Dwell
from sitwatch.sensing.features import Features

UPRIGHT, SLOUCHED, FORWARD, RECLINED = "upright", "slouched", "leaning_forward", "reclined"
SEAT_ONLY_SLUMP = 0.55  # forward move of the centre of pressure, in seat-sensor spreads
# Half lying on a seat alone (see seat_only): the rear of the seat *off* its midline (where the
# sit bones rest) keeps at most this share of its upright share of the load, the midline carries
# at least this multiple of its upright share of the rear, and the seat at most this share of the
# upright load (the rest went to the backrest). The sit bones' share, not the whole rear row's:
# the sacrum coming down on the midline hides part of their slide in the row's total (a mild
# half lying keeps 0.9 of the rear row's share, as much as upright noise takes, but only 0.8 of
# the sit bones').
SLIDE_OUTER, SLIDE_MID, SLIDE_LOAD = 0.9, 1.12, 0.98
# A slide deeper than this (the sit bones keep under half of their upright share) needs no word
# from the seat load: pads read through a voltage divider make the load a noisy cue (a loaded
# pad near full scale turns a small change of reading into a large change of load: one real
# sitter's upright read 0.83-1.21 of its calibrated load), while the slide itself reads deeper
# there (fsr-cushion-9 with the divider undone: 0.37-0.44 of upright, against 0.70-0.80 read
# linearly). A shallow slide still needs the load to fall: a pad's zero that drifts for an hour
# moves the sit bones' share by 0.1-0.2 too, with the seat load rising, not falling (the
# simulated population). Any value from 0.45 to 0.6 gives the same figures on both.
SLIDE_DEEP = 0.5
# Half lying lands the sacrum on the rear midline, which keeps its load; leaning forward unloads
# the whole rear, midline and all, and hands weight to the desk or the feet. So a half lying
# whose seat keeps less than SLUMP_KEEPS of its upright load must keep at least this share of
# the midline's upright load. Simulated forward leans on the 9-FSR cushion keep 0.21-0.31 of
# it (and 0.62-0.74 of the seat load: without this test, with the rear no longer required to
# keep half its share, they read as half lying for 10 s or all along); fsr-cushion-9's half
# lying keeps 0.52-1.47 (5th-95th percentiles across 5-20 Hz) and its seat load drops to 0.81
# at moments. Set after looking at both (dev): 0.4-0.5 give the same real figures (below 0.5 one
# simulated forward lean is reported half a second later); 0.55 delays session 1's half lying
# past 30 s at 5 Hz.
SACRUM_KEEPS = 0.45
# A slump that keeps at least this share of the upright seat load on the seat (the legs stretched
# out carry little); a perch hands 30-50% of it to the feet.
SLUMP_KEEPS = 0.8
BACK_TAKES = 0.08  # share of the load on backrest sensors that means "leaning on it"
# A chair with backrest sensors: with the rear of the seat emptied and the centre far forward,
# a backrest carrying less than this share of its upright load is free, a perch (a slump rests
# the lower back on it: the smartchair's slumps hand it about 40% of the seat load; a perch
# leaves it at about 1%, sensor noise). Set at 0.05 after the simulated population showed a
# gentle slump of a sitter barely touching the backrest at 0.10 (0.1 was the first choice).
BACK_FREE = 0.05
MIDLINE_MIN = 0.05  # the midline must carry this share of the rear when upright to be a cue
# Leaning forward, judged against the sitter's upright *away* from the backrest (see
# leans_from_away): the seat keeps less than this share of its load there. The smartchair's
# forward leans keep a median 0.67-0.71 of it (almir; vanessa's elbows-on-thighs lean keeps all
# of it: only its moments below this show), the simulator's 0.66; upright away keeps 0.9-1.1
# (5th-95th percentiles). 0.8 was the first choice: a simulated sitter's 2 s reach (0.77) just
# after a lean then held the lean's report 9 s longer. It moves with ``forward_load_ratio`` (0.6
# shipped: 1.25 times it), so a "Not right" on a forward lean, which eases that, eases this too.
AWAY_KEEPS = 0.75
AWAY_KEEPS_PER_LOAD_RATIO = AWAY_KEEPS / 0.6
# Against a calibration taken leaning on the backrest, the chair's total load falls when the
# sitter sits up clear of it: the backrest's push is gone, with no weight handed to a desk. Part
# of the trunk's weight then comes back onto the seat, which carries more than it did at
# calibration (the smartchair's uprights away from the backrest: 1.06-1.51 of it, 5th-95th
# percentiles; its forward leans 0.68-1.04 for one person, 0.91-1.42 with elbows on the thighs
# for the other). So a fall of the total counts as leaning forward only while the seat has not
# gained more than this share of its upright load. Set after looking at both people's free-use
# reorderings (docs/accuracy.md): 1.05-1.15 keep every forward lean; 1.0 loses the elbows-on-
# thighs one.
SEAT_GAIN = 1.1
POSTURES = (UPRIGHT, SLOUCHED, FORWARD, RECLINED)


def _rear_ratio(f: Features, b: Baseline) -> float:
    """The rear of the seat's share of the load against upright's (1.0 where upright had
    none to speak of)."""
    bf = b.f
    return f.rear_share / bf.rear_share if bf.rear_share > 0.02 else 1.0


def classify(f: Features, b: Baseline, cfg: PostureCfg) -> str:
    bf = b.f
    rear_ratio = _rear_ratio(f, b)
    dy = f.cop_y - bf.cop_y
    if not b.has_back:
        return seat_only(f, b, cfg, rear_ratio, dy)
    back_ratio = f.back_load / b.back_load
    if rear_ratio < cfg.slouch_rear_ratio and dy >= cfg.slouch_shift:
        # A slump rests the lower back on the backrest; a perch on the front of the seat
        # leaves it free (:func:`perched`).
        return FORWARD if back_ratio < BACK_FREE else SLOUCHED
    if back_ratio >= cfg.recline_back_ratio:
        return RECLINED
    if back_ratio > 0.5 and bf.back_y - f.back_y >= cfg.recline_back_drop:
        return RECLINED
    # measured from the upright this frame is sat in (away from the backrest: its own)
    fy = f.cop_y - b.upright_y(f, cfg.forward_shift)
    if back_ratio < cfg.forward_back_ratio and (
        fy >= cfg.forward_shift
        or (f.total / b.total < cfg.forward_load_ratio and f.seat_load < SEAT_GAIN * b.seat_load)
        or leans_from_away(f, b, cfg)
    ):
        return FORWARD
    return UPRIGHT


def perched(f: Features, b: Baseline, cfg: PostureCfg) -> bool:
    """On a chair with backrest sensors: the rear of the seat emptied, the centre far forward
    and the backrest free, which is sitting on the front edge (a slump rests the lower back on
    the backrest). Its nudge gets words of its own (nudging/guidance.py ``PERCHED``); a seat
    alone cannot tell it from a slump (:func:`seat_only`)."""
    if not b.has_back or b.back_load <= 0:
        return False
    return (_rear_ratio(f, b) < cfg.slouch_rear_ratio and f.cop_y - b.f.cop_y >= cfg.slouch_shift
            and f.back_load / b.back_load < BACK_FREE)


def leans_from_away(f: Features, b: Baseline, cfg: PostureCfg) -> bool:
    """Leaning forward, judged against the sitter's upright away from the backrest (when it
    is known): the seat carries less than :data:`AWAY_KEEPS` of its load there, or its centre of
    pressure has moved ``forward_shift`` forward of it. Until a second settled minute there
    has confirmed that upright, the seat's load against the last such minute
    (:attr:`~sitwatch.sensing.detectors.baseline.Baseline.away_seat`).

    Against the upright the calibration took (against the backrest), a forward lean shows as
    the chair losing the backrest's load: with a backrest that carried half the load, the chair
    keeps under ``forward_load_ratio`` of it. A sitter whose backrest contact was light has
    little load there to lose, so that cue misses their leans (issue #10's held-out chair).
    Away from the backrest the trunk's weight sits on the seat; leaning forward hands part of
    it to the desk, the elbows on the thighs or the feet, and only the seat can show that, as a
    loss against the away upright, where the backrest carried nothing either."""
    a = b.away
    if a is None:
        # not known yet: the last settled minute clear of the backrest, on the seat's load
        return b.away_seat > 0 and f.seat_load / b.away_seat < _away_keeps(cfg)
    if a.seat_load <= 0:
        return False
    return (f.seat_load / a.seat_load < _away_keeps(cfg)
            or f.cop_y - a.cop_y >= cfg.forward_shift)


def _away_keeps(cfg: PostureCfg) -> float:
    """The share of the away upright's seat load under which a free backrest means leaning
    forward (:data:`AWAY_KEEPS`, moving with ``forward_load_ratio``)."""
    return min(0.95, AWAY_KEEPS_PER_LOAD_RATIO * cfg.forward_load_ratio)


def seat_only(f: Features, b: Baseline, cfg: PostureCfg, rear_ratio: float, dy: float) -> str:
    """The posture from the seat alone (no backrest load to tell where the weight went).

    - **Weight forward** (``leaning_forward``): the rear of the seat keeps less than
      ``slouch_rear_ratio`` of its upright share, the centre of pressure moves forward by
      ``slouch_shift`` (or ``SEAT_ONLY_SLUMP`` sensor spreads) and the seat carries less than
      ``SLUMP_KEEPS`` of its upright load. Perching on the front edge and a deep slump (pelvis
      at the front, lower back on the backrest) then look the same from below: the rear empties,
      the centre moves far forward and the seat carries about 60% of the upright load; only
      where the rest went (the feet, or the backrest) differs, and a seat cannot see that. So
      this is never called a slump: it gets the "sit back" advice of a forward lean, once the
      centre has moved ``weight_forward`` seat half-depths forward (0.30 by default; perches
      and deep slumps move it 0.3-0.55 on a grid read linearly, 0.5-0.6 on fsr-cushion-9 with
      its pads' divider undone, 0.4-0.7 on four corner cells under a plate, whose rear pair
      seldom empties: the forward rule below reads them there, on ``forward_shift``), so a
      "Not right" on it, which eases ``weight_forward``, can quiet a perch someone keeps on
      purpose (and with it a slump no deeper than that perch: a seat cannot tell them
      apart). With the weight kept on the seat, or on a chair with backrest sensors the sitter
      did not lean on when upright and now does, it is a slump.
    - **Half lying** (``slouched``): the sit bones slide forward off the rear of the seat (its
      load off the midline drops below ``SLIDE_OUTER`` of upright) while the sacrum comes down
      on its rear midline (which carries ``SLIDE_MID`` times its upright share of the rear),
      the rear is neither emptied nor gains share (the weight goes forward), neither sit bone
      gains load (see :func:`_both_slide`: a lean or a crossed leg loads one) and part of the
      weight goes to the backrest (the seat keeps at most ``SLIDE_LOAD`` of its upright load),
      unless the slide is deep (``SLIDE_DEEP``), where the load is not needed; and the seat
      keeps the weight (``SLUMP_KEEPS``) or the midline keeps its load (``SACRUM_KEEPS``): a
      forward lean unloads both. All relative to the sitter's calibration, so the cues carry
      over between sittings (fsr-cushion-9: each session's half lying is found with the cues
      set from the other session alone). Seen only where a sensor lies on the rear midline (a
      3x3 grid, a matrix); four corner cells or two columns of sensors cannot tell it from
      sitting back.
    - A large forward move (``SEAT_ONLY_SLUMP`` sensor spreads) with the rear only partly
      unloaded (on load cells under a plate, whose rear pair follows the centre, the move
      alone, on the body's span) and the weight kept on the seat: a slump; a smaller one (twice
      ``forward_shift``, in sensor spreads) with the seat losing weight (below ``SLUMP_KEEPS``):
      leaning forward. With the rear emptied, only weight forward's own move counts.
    """
    bf = b.f
    dyn = dy / b.y_scale
    load = f.seat_load / b.seat_load
    emptied = rear_ratio < cfg.slouch_rear_ratio
    # an emptied rear: the forward move is the one measure of how far the weight went, and the
    # cue a "Not right" on a forward nudge eases (sitwatch.nudging.feedback)
    weight_forward = dy >= cfg.weight_forward
    if emptied and (dy >= cfg.slouch_shift or dyn >= SEAT_ONLY_SLUMP):
        # A backrest with sensors that now carries the weight (the sitter did not lean on it
        # when upright) tells the slump from the perch, and so does a seat that keeps the
        # weight (a perch hands a good part of it to the feet); otherwise a seat cannot.
        if f.back_load > BACK_TAKES * f.total or load >= SLUMP_KEEPS:
            return SLOUCHED
        return FORWARD if weight_forward else UPRIGHT
    mid0 = bf.rear_mid / bf.rear_share if bf.rear_share > 0.02 else 0.0
    outer0 = bf.rear_share - bf.rear_mid
    if mid0 >= MIDLINE_MIN and f.rear_share > 0 and outer0 > 0.02:
        mid = f.rear_mid / f.rear_share / mid0
        outer = (f.rear_share - f.rear_mid) / outer0
        if (
            # the sacrum keeps the rear loaded (a perch empties it), and the slide takes load
            # forward: the rear does not gain (a crossed leg can shift it back onto the rear)
            not emptied
            and rear_ratio <= 1.0
            and outer <= SLIDE_OUTER
            and mid >= SLIDE_MID
            and (load <= SLIDE_LOAD or outer <= SLIDE_DEEP)
            # the sacrum holds the midline down, unless the seat keeps the weight anyway
            and (load >= SLUMP_KEEPS or f.rear_mid * load >= SACRUM_KEEPS * bf.rear_mid)
            and _both_slide(f, b, dyn)
        ):
            return SLOUCHED
    # Load cells under a plate: the rear pair carries the lever share of the whole load, which
    # follows the centre of pressure (the rear empties only once the centre is near the front
    # cells), so the forward move is the slide, measured on the body's span (``y_scale``).
    partly = b.plate or rear_ratio < 1.5 * cfg.slouch_rear_ratio
    if partly and dyn >= SEAT_ONLY_SLUMP and load >= SLUMP_KEEPS:
        return SLOUCHED
    if b.back_sensors and f.back_load <= BACK_TAKES * f.total and load < _away_keeps(cfg):
        # a chair whose backrest the sitter did not lean on when calibrating: the calibration
        # is their upright clear of it, and with the backrest still free a seat that lost a
        # quarter of that load handed it to the desk or the thighs' elbows (leans_from_away)
        return FORWARD
    if (weight_forward if emptied else dyn >= 2 * cfg.forward_shift) and load < SLUMP_KEEPS:
        # Leaning forward hands weight to the desk or the feet; a centre that moves forward
        # while the seat keeps the weight is sitting further forward, or leaning back onto a
        # backrest the seat cannot see (the smartchair's reclined, through the seat alone).
        return FORWARD
    return UPRIGHT


def _both_slide(f: Features, b: Baseline, dyn: float) -> bool:
    """Half lying slides both sit bones forward: neither side of the seat's rear (off its
    midline) carries more of the load than it did upright. A sideways lean or a crossed leg
    loads one of them (fsr-cushion-9: the loaded side keeps 1.15-2.8 of its upright share, while
    half lying leaves both at 0.2-0.9). Where the sides cannot be told apart (no load on one of
    them upright, or a broken sensor on one side), the centre of pressure must move forward
    more than sideways: a weaker test, since a slide that lands the sacrum on the rear hardly
    moves the centre (one real session: 0.06 forward and 0.06 sideways)."""
    bf = b.f
    if bf.rear_left > 0.01 and bf.rear_right > 0.01:
        return max(f.rear_left / bf.rear_left, f.rear_right / bf.rear_right) <= 1.0
    return abs(f.cop_x - bf.cop_x) / b.x_scale < dyn


class PostureDetector:
    def __init__(self, cfg: PostureCfg, source: str = "cushion") -> None:
        self.cfg = cfg
        self.source = source
        self.d = Dwell(None, cfg.dwell)

    @property
    def state(self) -> str | None:
        return self.d.state

    def step(self, f: Features, b: Baseline, t: float) -> Event | None:
        if self.d.step(classify(f, b, self.cfg), t):
            return Event(t, POSTURE, self.d.state, {"source": self.source})
        return None

    def reset(self, t: float) -> None:
        self.d.reset(None, t)
