"""Field rules shared by every door: emails, phone numbers, names, birthdays."""

from __future__ import annotations

from datetime import date

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from usher.kit import clock

OLDEST_BIRTHDAY = date(1900, 1, 1)


def normalize_email(value: str) -> str:
    """A syntactically valid address, domain lower-cased; no DNS look-up (works offline)."""
    try:
        result = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None
    return result.normalized


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
