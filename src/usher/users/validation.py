"""Field rules shared by every door: emails, phone numbers, names, birthdays."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from usher.kit import clock

OLDEST_BIRTHDAY = date(1900, 1, 1)


def normalize_email(value: str) -> str:
    """A syntactically valid address, domain lower-cased; no DNS look-up (works offline)."""
    value = value.strip()
    local, at, domain = value.rpartition("@")
    if at and local and domain:
        # The domain's checks are two thirds of the cost, and an import's thousands of
        # addresses share a few domains: each part is checked on its own, the domain once.
        # Anything the fast way refuses is checked whole, so the message is the library's.
        try:
            joined = f"{_local_part(local)}@{_domain(domain)}"
        except EmailNotValidError:
            pass
        else:
            if len(joined) <= _MAX_ADDRESS:
                return joined
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None
    return result.normalized


_MAX_ADDRESS = 254  # RFC 3696 errata 1690, as email-validator counts it
_PLAIN_DOMAIN = "a.io"  # a valid domain to check a local part against


# RFC 5322 dot-atom of ASCII atext: what nearly every address's local part is, and what
# email-validator accepts and returns unchanged (up to 64 characters).
_PLAIN_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_MAX_LOCAL = 64


def _local_part(local: str) -> str:
    if len(local) <= _MAX_LOCAL and _PLAIN_LOCAL.fullmatch(local):
        return local
    return validate_email(f"{local}@{_PLAIN_DOMAIN}", check_deliverability=False).local_part


@lru_cache(maxsize=4096)
def _domain(domain: str) -> str:
    return validate_email(f"a@{domain}", check_deliverability=False).domain


def normalize_phone(value: str, region: str | None) -> str:
    """Parse with phonenumbers and return E.164; the message says what is wrong."""
    raw = value.strip()
    if not raw.startswith("+") and not raw.startswith("00") and not region:
        raise ValueError(
            "Add the country code (for example +44 20 7946 0958) or give phone_region "
            "(for example GB)."
        )
    try:
        number = phonenumbers.parse(raw, region.upper() if region else None)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"Not a phone number: {_PARSE_ERRORS.get(exc.error_type, exc)}") from None
    if not phonenumbers.is_possible_number(number):
        raise ValueError("This number has the wrong length for its country.")
    if not phonenumbers.is_valid_number(number):
        code = number.country_code or 0
        country = phonenumbers.region_code_for_country_code(code)
        raise ValueError(f"This is not a valid phone number for {country} (+{code}).")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


_PARSE_ERRORS = {
    phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: "the country code is unknown.",
    phonenumbers.NumberParseException.NOT_A_NUMBER: "it does not look like a phone number.",
    phonenumbers.NumberParseException.TOO_SHORT_NSN: "it is too short.",
    phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "it is too short.",
    phonenumbers.NumberParseException.TOO_LONG: "it is too long.",
}


def check_region(value: str) -> str:
    region = value.strip().upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"Unknown country code {value!r}: use two letters such as US, GB or DE.")
    return region


def check_birthday(value: date) -> date:
    if value >= clock.now().date():
        raise ValueError("A birthday must be in the past.")
    if value < OLDEST_BIRTHDAY:
        raise ValueError(f"A birthday must be after {OLDEST_BIRTHDAY.isoformat()}.")
    return value


def clean_name(value: str) -> str:
    cleaned = " ".join(value.split())
    if not cleaned:
        raise ValueError("This field cannot be empty.")
    if any(ch in value for ch in "\x00<>"):
        raise ValueError("Names cannot contain <, > or control characters.")
    return cleaned
