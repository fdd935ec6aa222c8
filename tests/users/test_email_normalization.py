"""``normalize_email`` checks the local part and the (cached) domain apart, for speed: it must
answer exactly as email-validator does on the whole address, for any input."""

from __future__ import annotations

import string

from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from usher.users.validation import normalize_email

LOCAL_CHARS = string.ascii_letters + string.digits + ".!#$%&'*+/=?^_`{|}~-\"(),:;<>@[\\] éü"
DOMAINS = st.sampled_from(
    [
        "acme.io",
        "ACME.IO",
        "bücher.de",
        "xn--bcher-kva.de",
        "a.b",
        "localhost",
        "exa_mple.com",
        "-bad.com",
        "good-.com",
        "1.2.3.4",
        "x." + "a" * 63 + ".io",
        "a" * 250 + ".io",
        "test",
        "",
    ]
)


def _outcome(call: object, value: str) -> str:
    try:
        return str(call(value))  # type: ignore[operator]
    except (ValueError, EmailNotValidError) as exc:
        return f"error: {exc}"


def _library(value: str) -> str:
    return validate_email(value.strip(), check_deliverability=False).normalized


@settings(max_examples=400, deadline=None)
@given(local=st.text(alphabet=LOCAL_CHARS, max_size=70), domain=DOMAINS)
def test_the_fast_way_answers_as_the_library_does(local: str, domain: str) -> None:
    value = f"{local}@{domain}"
    assert _outcome(normalize_email, value) == _outcome(_library, value)


def test_plain_addresses() -> None:
    assert normalize_email(" Grace.Hopper@ACME.io ") == "Grace.Hopper@acme.io"
    assert _outcome(normalize_email, "x" * 65 + "@acme.io") == _outcome(
        _library, "x" * 65 + "@acme.io"
    )
