"""The LAN token: made once, kept owner-only in the data dir, compared in constant time."""

from __future__ import annotations

import hmac
import secrets
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
        if len(token) >= _MIN_LENGTH and token.isascii() and token.isprintable():
            return token
    token = secrets.token_urlsafe(TOKEN_BYTES)
    write_private(path, token + "\n")
    return token


def matches(given: str | None, token: str) -> bool:
    return bool(given) and hmac.compare_digest(str(given).encode(), token.encode())
