"""The LAN token: made once, kept owner-only in the data dir, compared in constant time."""

from __future__ import annotations

import hmac
import os
import secrets
import threading
from pathlib import Path

from sitwatch.core.private import write_private

TOKEN_BYTES = 24  # 192 bits, 32 characters of URL-safe text
_MIN_LENGTH = 20


def load_or_create(path: Path, *, renew: bool = False) -> str:
    """The token stored at ``path``; a new one (written 0600) if there is none, it is too short
    to be one of ours, or ``renew``."""
    if not renew:
        try:
            token = path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            token = ""
        if _valid(token):
            return token
    token = secrets.token_urlsafe(TOKEN_BYTES)
    write_private(path, token + "\n")
    return token


class TokenFile:
    """The token a running server checks: the one in its file, read again whenever the file
    changes (one stat per request), so `sitwatch serve --lan --new-token` locks old links out of
    a server that is already running too. A file gone or not holding a token keeps the last
    one."""

    def __init__(self, path: Path, token: str) -> None:
        self.path = path
        self._token = token
        self._seen = self._stamp()
        self._lock = threading.Lock()

    def _stamp(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size, st.st_ino

    def current(self) -> str:
        stamp = self._stamp()
        if stamp is None or stamp == self._seen:
            return self._token
        with self._lock:
            try:
                text = self.path.read_text(encoding="utf-8").strip()
            except OSError:
                return self._token
            if _valid(text):
                self._token = text
            self._seen = stamp
            return self._token


def current(token: str | TokenFile) -> str:
    """The token to check now."""
    return token.current() if isinstance(token, TokenFile) else token


def _valid(token: str) -> bool:
    return len(token) >= _MIN_LENGTH and token.isascii() and token.isprintable()


def matches(given: str | None, token: str) -> bool:
    return bool(given) and hmac.compare_digest(str(given).encode(), token.encode())
