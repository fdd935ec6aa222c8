"""Password policy (NIST SP 800-63B-4, OWASP ASVS 5.0 V6) and Argon2id hashing."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

from usher.errors import ValidationFailed

MIN_LENGTH = 15
MAX_LENGTH = 256
# What lies past this prefix only adds strength; the whole password is still hashed.
_STRENGTH_CHECK_CHARS = 72  # zxcvbn refuses longer input

# Argon2id above OWASP's floor (m=19 MiB, t=2, p=1): 32 MiB, 2 passes, 1 lane.
_hasher = PasswordHasher(time_cost=2, memory_cost=32 * 1024, parallelism=1)
# Verified against when the account does not exist, so both paths cost the same.
_DUMMY_HASH = _hasher.hash("usher-dummy-password-for-timing")


def normalize(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


POLICY_TEXT = (
    f"Use at least {MIN_LENGTH} characters (up to {MAX_LENGTH}); spaces, punctuation and any "
    "alphabet are welcome. Long passphrases are best. Common or breached passwords and ones "
    "built from your name, email or organization are refused."
)


def check_policy(password: str, *, context: Iterable[str] = ()) -> None:
    """Raise ValidationFailed on the ``password`` field with the reason it is refused."""
    password = normalize(password)
    length = len(password)
    if length < MIN_LENGTH:
        raise ValidationFailed.field(
            "password", f"Use at least {MIN_LENGTH} characters (this one has {length})."
        )
    if length > MAX_LENGTH:
        raise ValidationFailed.field("password", f"Use at most {MAX_LENGTH} characters.")
    words = _context_words(context)
    folded = password.casefold()
    squashed = re.sub(r"[\W_]+", "", folded)
    for word in words:
        if len(word) >= 4 and (word in folded or word in squashed):
            raise ValidationFailed.field(
                "password",
                "Don't build your password from your name, email or organization name.",
            )
    result = zxcvbn(password[:_STRENGTH_CHECK_CHARS], user_inputs=sorted(words))
    if result["score"] < 3:
        feedback = result.get("feedback") or {}
        warning = feedback.get("warning") or "This password is too easy to guess."
        hint = " ".join(feedback.get("suggestions") or [])
        message = f"{warning.rstrip('.')}." + (f" {hint}" if hint else "")
        raise ValidationFailed.field("password", f"Too easy to guess: {message}")


def _context_words(context: Iterable[str]) -> set[str]:
    words: set[str] = set()
    for item in context:
        if not item:
            continue
        item = item.casefold()
        words.add(re.sub(r"[\W_]+", "", item))
        local = item.split("@", 1)[0]
        words.add(re.sub(r"[\W_]+", "", local))
        words.update(part for part in re.split(r"[\W_@.]+", item) if part)
    return {w for w in words if w}


def hash_password(password: str) -> str:
    return _hasher.hash(normalize(password))


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; costs one Argon2 verification whether or not a hash exists."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, normalize(password)) and bool(
            password_hash
        )
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
