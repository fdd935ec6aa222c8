"""The password rules (NIST SP 800-63B-4, OWASP ASVS 5.0 V6) and Argon2id hashing."""

from __future__ import annotations

import re
import unicodedata

import hypothesis
import pytest
from fastapi import FastAPI
from hypothesis import strategies as st
from sqlalchemy import select

from tests.auth.conftest import login
from tests.fixtures.factories import Factory, SignedIn, accept, db_session, make_org
from usher.auth import passwords
from usher.errors import ValidationFailed
from usher.models import User

CONTEXT = ["Ada", "Lovelace", "ada@acme.io", "", "Acme Corp", "acme-corp"]
ARGON2 = re.compile(r"^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$")
# 128 characters of words, none repeated, no name or organization in them.
LONG = (
    "amber falcon drifts over quiet marsh while copper kettles hum softly near "
    "the old granary as violet moths circle lanterns at six"
)


def refusal(password: str, context: list[str] = CONTEXT) -> str:
    with pytest.raises(ValidationFailed) as caught:
        passwords.check_policy(password, context=context)
    assert caught.value.errors is not None
    [message] = caught.value.errors["password"]
    return message


def test_hashes_are_argon2id_at_or_above_the_owasp_floor() -> None:
    match = ARGON2.match(passwords.hash_password("amber falcon drifts"))
    assert match is not None
    memory_kib, passes, lanes = map(int, match.groups())
    assert memory_kib >= 19 * 1024
    assert passes >= 2
    assert lanes >= 1


def test_the_stored_hash_of_a_registered_user_is_argon2id(app: FastAPI, admin: SignedIn) -> None:
    with db_session(app) as s:
        stored = s.scalar(select(User.password_hash).where(User.email == admin.email))
    assert stored is not None and admin.password not in stored
    match = ARGON2.match(stored)
    assert match is not None, stored
    memory_kib, passes, lanes = map(int, match.groups())
    assert memory_kib >= 19 * 1024
    assert passes >= 2
    assert lanes >= 1
    assert passwords.verify_password(stored, admin.password)


def test_two_hashes_of_one_password_differ_by_their_salt() -> None:
    assert passwords.hash_password("amber falcon drifts") != passwords.hash_password(
        "amber falcon drifts"
    )


@pytest.mark.parametrize("length", [1, 8, 14])
def test_fewer_than_15_characters_are_refused_with_the_reason(length: int) -> None:
    assert f"at least 15 characters (this one has {length})" in refusal("amber falcon dr"[:length])


@pytest.mark.parametrize("password", ["amber falcon dr", LONG], ids=["15", "128"])
def test_15_to_128_characters_are_accepted(password: str) -> None:
    passwords.check_policy(password, context=CONTEXT)


def test_the_length_limit_is_well_above_128_and_its_refusal_says_so() -> None:
    assert passwords.MAX_LENGTH >= 128
    passwords.check_policy(LONG + " " + LONG[: passwords.MAX_LENGTH - 129], context=CONTEXT)
    message = refusal("k" * (passwords.MAX_LENGTH + 1))
    assert f"at most {passwords.MAX_LENGTH}" in message


def test_length_counts_characters_not_bytes() -> None:
    # 15 characters, 45 bytes in UTF-8: long enough. 14 such characters are not.
    passwords.check_policy("日本語のパスワードです長い文章", context=CONTEXT)
    assert "at least 15" in refusal("日本語のパスワードです長い文")


@pytest.mark.parametrize(
    "password",
    [
        "purple walrus juggles",  # all lower-case, no digit, no symbol
        "tangerine oboe glacier",
        "crème brûlée façade naïve",
        "пароль из многих слов",
        "🦊 lantern 🚲 orchard",
    ],
)
def test_no_composition_rules_and_any_alphabet(password: str) -> None:
    passwords.check_policy(password, context=CONTEXT)
    assert passwords.verify_password(passwords.hash_password(password), password)


@pytest.mark.parametrize(
    "password",
    [
        "passwordpassword",
        "password123456789",
        "123456789012345",
        "qwertyuiopasdfghjkl",
        "1q2w3e4r5t6y7u8i9o0p",
        "iloveyouiloveyou",
        "football1234567",
        "superman12345678",
        "aaaaaaaaaaaaaaaaaaaa",
    ],
)
def test_common_and_breached_passwords_are_refused_with_the_reason(password: str) -> None:
    message = refusal(password)
    assert message.startswith("Too easy to guess: ")
    assert len(message) > len("Too easy to guess: ") + 10


@pytest.mark.parametrize(
    ("password", "context"),
    [
        ("lovelace piano meadow", CONTEXT),  # last name
        ("Piano Meadow LoveLace!", CONTEXT),  # whatever the case
        ("acme rocket lantern", CONTEXT),  # organization name
        ("piano meadow acmecorp", CONTEXT),  # organization, squashed
        ("margaret piano meadow", ["Margaret", "Hamilton", "mh@nasa.gov", "", "NASA", "nasa"]),
        ("piano meadow hamilton", ["Margaret", "Hamilton", "mh@nasa.gov", "", "NASA", "nasa"]),
        ("nasa piano meadow lake", ["Margaret", "Hamilton", "mh@nasa.gov", "", "NASA", "nasa"]),
        ("piano meadow gracehop", ["Grace", "Hopper", "gracehop@navy.mil", "", "Navy", "navy"]),
    ],
)
def test_context_words_are_refused_with_the_reason(password: str, context: list[str]) -> None:
    message = refusal(password, context)
    assert "name, email or organization" in message


def test_unicode_is_normalized_nfkc_before_hashing() -> None:
    composed = "crème brûlée façade naïve"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    stored = passwords.hash_password(composed)
    assert passwords.verify_password(stored, decomposed)
    # Compatibility forms too: full-width letters are the ASCII ones after NFKC.
    fullwidth = "".join(chr(ord(c) + 0xFEE0) if c != " " else c for c in "orchard pencil dew")
    assert passwords.verify_password(passwords.hash_password(fullwidth), "orchard pencil dew")


def test_the_whole_password_is_checked_no_truncation() -> None:
    assert len(LONG) == 128
    stored = passwords.hash_password(LONG)
    assert passwords.verify_password(stored, LONG)
    assert not passwords.verify_password(stored, LONG[:-1] + "y")
    assert not passwords.verify_password(stored, LONG[:-1])
    assert not passwords.verify_password(stored, LONG + "!")
    longest = (LONG * 2)[: passwords.MAX_LENGTH]
    stored = passwords.hash_password(longest)
    assert not passwords.verify_password(stored, longest[:-1] + "#")


def test_a_password_typed_in_another_normal_form_signs_in(app: FastAPI, factory: Factory) -> None:
    composed = "crème brûlée façade naïve"  # NFC, as most keyboards type it
    created = make_org(app)
    assert accept(factory.new_client(), created.registration_url, composed).status_code == 200

    r = login(factory.new_client(), password=unicodedata.normalize("NFD", composed))
    assert r.status_code == 200, r.text
    # NFKC folds forms, not accents: without them it is another password.
    fullwidth = "".join(chr(ord(c) + 0xFEE0) if c != " " else c for c in "creme brulee")
    assert login(factory.new_client(), password=fullwidth + " façade naïve").status_code == 401


# Letters from several scripts, digits, punctuation and spaces, but no surrogates.
_characters = st.characters(
    categories=["Lu", "Ll", "Lo", "Nd", "Po", "Zs", "So"], exclude_characters="\x00"
)


# Each example costs three Argon2 runs (~0.1 s each), so few examples, but varied ones.
@hypothesis.settings(max_examples=10, deadline=None, database=None)
@hypothesis.given(
    password=st.text(_characters, min_size=15, max_size=40),
    position=st.integers(min_value=0),
    replacement=_characters,
)
def test_an_accepted_password_verifies_and_any_one_character_change_does_not(
    password: str, position: int, replacement: str
) -> None:
    try:
        passwords.check_policy(password, context=CONTEXT)
    except ValidationFailed:
        hypothesis.reject()
    stored = passwords.hash_password(password)
    assert passwords.verify_password(stored, unicodedata.normalize("NFD", password))

    index = position % len(password)
    changed = password[:index] + replacement + password[index + 1 :]
    hypothesis.assume(passwords.normalize(changed) != passwords.normalize(password))
    assert not passwords.verify_password(stored, changed)
