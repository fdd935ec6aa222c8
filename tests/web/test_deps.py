"""Small pieces the page views share."""

from __future__ import annotations

from usher.errors import ValidationFailed
from usher.web.deps import split_errors

FIELDS = ("password", "password_confirm")


def test_errors_about_the_forms_fields_go_beside_them() -> None:
    exc = ValidationFailed.field("password", "Too short.")
    assert split_errors(exc, FIELDS) == ({"password": ["Too short."]}, None)


def test_errors_about_other_fields_become_the_form_message() -> None:
    exc = ValidationFailed(
        "Refused.", errors={"password": ["Too short."], "user": ["Not pending."]}
    )
    assert split_errors(exc, FIELDS) == ({"password": ["Too short."]}, "Not pending.")


def test_an_error_without_fields_is_the_form_message() -> None:
    assert split_errors(ValidationFailed("Refused."), FIELDS) == ({}, "Refused.")
