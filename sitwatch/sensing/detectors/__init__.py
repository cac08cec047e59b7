"""Detectors: pure state machines fed (features, time) that emit events on changes.

None of them does I/O or reads a clock: the time comes in with each step, so the same code runs
live, in accelerated replays and in tests.
"""
