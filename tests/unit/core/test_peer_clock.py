"""PeerClock: another machine's wall clock against ours, from the times it sends as it sends
them (the Pi's ``<base>/clock``). Plain data and a ManualClock: no broker, no sleeping."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from sitwatch.core.clock import ManualClock, PeerClock

HOURS_3 = 3 * 3600.0


def heard(peer: PeerClock, ours: ManualClock, offset: float, took: float = 0.0) -> float:
    """Their clock, ``offset`` s from ours, said its time ``took`` s before it reached us."""
    theirs = ours.now() + timedelta(seconds=offset - took)
    return peer.heard(theirs, ours.now(), ours.monotonic())


def test_not_heard_yet_the_clocks_are_taken_to_agree() -> None:
    ours = ManualClock()
    peer = PeerClock()
    assert peer.offset is None and peer.their_now(ours.now()) == ours.now()


def test_three_hours_behind_is_their_now_three_hours_before_ours() -> None:
    ours = ManualClock()
    peer = PeerClock()
    assert heard(peer, ours, -HOURS_3) == -HOURS_3
    assert peer.their_now(ours.now()) == ours.now() - timedelta(hours=3)


@given(st.lists(st.floats(0, 60), min_size=1, max_size=20))
def test_messages_that_lingered_never_pull_the_offset_down(delays: list[float]) -> None:
    ours = ManualClock()
    peer = PeerClock()
    heard(peer, ours, -HOURS_3)
    for took in delays:
        ours.advance(30)
        heard(peer, ours, -HOURS_3, took)
    assert peer.offset == -HOURS_3


def test_their_clock_set_forward_counts_at_once_and_set_back_starts_over() -> None:
    ours = ManualClock()
    peer = PeerClock()
    heard(peer, ours, -HOURS_3)
    ours.advance(30)
    assert heard(peer, ours, 0.0) == 0.0  # network time came to the Pi
    ours.advance(30)
    assert heard(peer, ours, -3600.0) == -3600.0  # set back an hour: not a slow message


def test_the_largest_of_the_window_counts_and_the_newest_is_always_kept() -> None:
    ours = ManualClock()
    peer = PeerClock(window=600, jump=120)
    heard(peer, ours, 60.0)
    ours.advance(300)
    assert heard(peer, ours, 0.0) == 60.0  # within the window: the larger one
    ours.advance(400)
    assert heard(peer, ours, 0.0) == 0.0  # the first one is 700 s old: out of the window
    ours.advance(86400)  # nothing heard for a day: the last offset still holds
    assert peer.offset == 0.0
