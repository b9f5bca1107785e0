"""Students' bearer tokens: a 32-byte random secret shown once, stored only as its sha256, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets

PREFIX = "gt_"   # says what the string is when it turns up in a mail or a log


def new_token() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What the database keeps: the secret's sha256 (a 32-byte random secret needs no slow hash)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def same_hash(stored: str | None, token: str) -> bool:
    """Whether `token` is the one `stored` was made from, in time independent of where they differ."""
    return stored is not None and hmac.compare_digest(stored.encode(), token_hash(token).encode())


def looks_like_token(text: str, prefix: str = PREFIX) -> bool:
    """A cheap filter before any database work: right prefix, bounded, URL-safe characters only."""
    body = text[len(prefix):]
    return (text.startswith(prefix) and 20 <= len(body) <= 100
            and all(c.isascii() and (c.isalnum() or c in "-_") for c in body))
