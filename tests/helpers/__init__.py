"""Helpers for tests that need real processes (a notification server under Xvfb, ...)."""
