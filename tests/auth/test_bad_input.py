"""Bad input to the sign-in endpoints is a 4xx RFC 9457 problem that says what to fix; never 500."""

from __future__ import annotations

import json
from typing import Any

import httpx
import hypothesis
import pytest
from fastapi.testclient import TestClient
from hypothesis import strategies as st

from tests.auth.conftest import ORG, assert_problem
from tests.fixtures.factories import PASSWORD, SignedIn

LOGIN = "/api/v1/auth/login"
FORGOT = "/api/v1/auth/password/forgot"
RESET = "/api/v1/auth/password/reset"
TOKENS = "/api/v1/tokens"
GOOD = {
    LOGIN: {"organization": ORG, "email": "ada@acme.io", "password": PASSWORD},
    FORGOT: {"organization": ORG, "email": "ada@acme.io"},
    RESET: {"token": "abc", "password": PASSWORD},
    TOKENS: {"name": "ci"},
}


def post_raw(client: TestClient, path: str, content: bytes | str) -> httpx.Response:
    return client.post(path, content=content, headers={"content-type": "application/json"})


def assert_validation_problem(r: httpx.Response, *fields: str) -> dict[str, Any]:
    body = assert_problem(r, 422, "validation_failed")
    assert isinstance(body["errors"], dict) and body["errors"]
    assert all(
        isinstance(m, list) and all(isinstance(x, str) for x in m) for m in body["errors"].values()
    )
    for field in fields:
        assert field in body["errors"], body
        assert field in body["detail"]
    return body


ANONYMOUS = [LOGIN, FORGOT, RESET]
WRONG_TYPES = [
    (LOGIN, "organization", 42),
    (LOGIN, "email", None),
    (LOGIN, "password", ["a", "b"]),
    (LOGIN, "password", {"$ne": ""}),
    (FORGOT, "email", True),
    (RESET, "token", 1.5),
    (RESET, "password", None),
    (TOKENS, "name", 7),
    (TOKENS, "expires_in_days", "soon"),
    (TOKENS, "expires_in_days", 0),
    (TOKENS, "expires_in_days", 100_000),
]
OVERSIZE = [
    (LOGIN, "organization", "a" * 64),
    (LOGIN, "email", "a" * 321),
    (LOGIN, "password", "a" * 1025),
    (LOGIN, "password", "a" * 1_000_000),
    (FORGOT, "email", "a" * 321),
    (RESET, "token", "a" * 201),
    (RESET, "password", "a" * 1025),
    (TOKENS, "name", "a" * 101),
]
# PostgreSQL refuses NUL in text: without the check these were 500s there.
CONTROL_CHARACTERS = [
    (LOGIN, "organization", "acme-corp\x00"),
    (LOGIN, "email", "ada\x00@acme.io"),
    (LOGIN, "email", "ada@acme.io\r\nBcc: x@evil.example"),
    (FORGOT, "organization", "\x00"),
    (FORGOT, "email", "ada@acme.io\x00"),
    (TOKENS, "name", "ci\x00token"),
]
MALFORMED = [
    b"",
    b"{",
    b'{"organization": ',
    b"\xff\xfe\x00",
    b"null",
    b"[]",
    b'"text"',
    b"42",
    b'{"organization": "acme-corp", "email": "\\ud800", "password": "\\udfff"}',
]


def client_for(path: str, client: TestClient, admin: SignedIn) -> TestClient:
    """Creating a token needs a signed-in user before its body is looked at."""
    return admin.client if path == TOKENS else client


def test_missing_fields_are_named(client: TestClient) -> None:
    for path in ANONYMOUS:
        assert_validation_problem(client.post(path, json={}), *GOOD[path])


@pytest.mark.parametrize(
    ("cases", "message"),
    [(WRONG_TYPES, None), (OVERSIZE, None), (CONTROL_CHARACTERS, "control characters")],
    ids=["wrong-types-and-values", "oversize-strings", "control-characters"],
)
def test_bad_field_values_are_named(
    client: TestClient, admin: SignedIn, cases: list[tuple[str, str, object]], message: str | None
) -> None:
    for path, field, value in cases:
        r = client_for(path, client, admin).post(path, json={**GOOD[path], field: value})
        problem = assert_validation_problem(r, field)
        if message:
            assert message in " ".join(problem["errors"][field])


def test_malformed_json_is_a_problem(client: TestClient, admin: SignedIn) -> None:
    for path in GOOD:
        for content in MALFORMED:
            r = post_raw(client_for(path, client, admin), path, content)
            assert 400 <= r.status_code < 500, (path, content, r.text)
            assert_problem(r, r.status_code)


def test_unknown_fields_are_refused(client: TestClient, admin: SignedIn) -> None:
    for path in GOOD:
        r = client_for(path, client, admin).post(path, json={**GOOD[path], "is_admin": True})
        assert_validation_problem(r, "is_admin")


def test_a_form_post_is_a_problem_not_a_500(client: TestClient) -> None:
    r = client.post(LOGIN, data={"organization": ORG, "email": "a@b.c", "password": "x"})
    assert_problem(r, 422, "validation_failed")


def test_the_wrong_method_is_a_problem(client: TestClient) -> None:
    assert_problem(client.get(LOGIN), 405)


# Any character, with control characters (NUL above all) made frequent: they broke PostgreSQL.
_chars = st.characters(codec="utf-8") | st.sampled_from("\x00\r\n\t\x1b\x7f")


def _text(max_size: int) -> st.SearchStrategy[str]:
    return st.text(_chars, max_size=max_size)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _text(80),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
_login_bodies = st.fixed_dictionaries(
    {},
    optional={
        "organization": st.one_of(st.just(ORG), _text(70), _json),
        "email": st.one_of(st.just("ada@acme.io"), _text(80), _json),
        "password": st.one_of(st.just(PASSWORD), _text(40), _json),
        "extra": _json,
    },
)


@hypothesis.settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture],
)
@hypothesis.given(body=_login_bodies)
def test_no_login_body_is_a_500(client: TestClient, body: dict[str, Any]) -> None:
    r = post_raw(client, LOGIN, json.dumps(body))
    assert r.status_code in {200, 401, 422}, r.text
    if r.status_code != 200:
        assert_problem(r, r.status_code)


@hypothesis.settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture],
)
@hypothesis.given(organization=_text(70), email=_text(80))
def test_no_forgot_body_is_a_500(client: TestClient, organization: str, email: str) -> None:
    r = client.post(FORGOT, json={"organization": organization, "email": email})
    assert r.status_code in {202, 422}, r.text
    if r.status_code == 422:
        assert_problem(r, 422, "validation_failed")


def test_malformed_json_names_the_body(client: TestClient) -> None:
    r = client.post(
        "/api/v1/auth/login", content=b"{bad", headers={"content-type": "application/json"}
    )
    assert r.status_code == 422
    assert list(r.json()["errors"]) == ["body"]
    assert "not valid JSON" in r.json()["errors"]["body"][0]
