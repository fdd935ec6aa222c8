"""Secret tokens: 256 random bits, handed out once, stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_token() -> str:
    """A URL-safe token carrying 256 bits from the OS CSPRNG."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    # A fast hash is right here: the token has 256 bits of entropy, so there is
    # nothing to brute-force, and lookups by hash must be indexable.
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def tokens_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
