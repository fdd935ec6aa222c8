"""Personal API tokens: shown once, stored as a SHA-256 hash only, accepted as a Bearer token."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.auth.conftest import assert_problem, audit_events, set_status
from tests.fixtures.factories import SignedIn, db_session
from usher.kit import clock
from usher.models import ApiToken
from usher.models.user import UserStatus


def create_token(client: TestClient, **body: Any) -> httpx.Response:
    return client.post("/api/v1/tokens", json=body)


def bearer(app: FastAPI, token: str) -> httpx.Response:
    with TestClient(app) as c:
        return c.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


def test_a_token_is_shown_once_and_works_as_a_bearer_token(app: FastAPI, admin: SignedIn) -> None:
    r = create_token(admin.client, name="CI deploys")

    assert r.status_code == 201, r.text
    assert r.headers["cache-control"] == "no-store"
    token = r.json()["token"]
    assert token.startswith("ush_") and len(token) >= 40
    me = bearer(app, token)
    assert me.status_code == 200, me.text
    assert me.json()["id"] == admin.user_id
    assert create_token(admin.client).json()["token"] != token


def test_only_the_sha256_of_the_token_is_stored(app: FastAPI, admin: SignedIn) -> None:
    token = create_token(admin.client).json()["token"]

    with db_session(app) as s:
        [row] = s.scalars(select(ApiToken)).all()
        values = [getattr(row, column.key) for column in ApiToken.__table__.columns]
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert not any(token in str(value) for value in values)
    assert not any(token[4:] in str(value) for value in values)
    [event] = audit_events(app, "api_token.created")
    assert token not in repr(event.__dict__)


def test_a_wrong_token_is_401(app: FastAPI, admin: SignedIn) -> None:
    token = create_token(admin.client).json()["token"]
    one_changed = token[:-1] + ("A" if token[-1] != "A" else "B")
    session_value = admin.client.cookies["usher_session"]  # a session is not an API token
    with TestClient(app) as c:
        for header in [
            f"Bearer {one_changed}",
            f"Bearer {session_value}",
            f"Bearer {token[:-1]}",
            "Bearer ush_not-a-token",
            "Bearer ",
            "Basic dXNlcjpwYXNz",
            f"Token {token}",
        ]:
            r = c.get("/api/v1/me", headers={"Authorization": header})
            assert_problem(r, 401, "not_authenticated")


def test_creating_a_token_needs_a_signed_in_user(client: TestClient) -> None:
    assert_problem(create_token(client), 401, "not_authenticated")


def test_an_expired_token_is_401(app: FastAPI, admin: SignedIn) -> None:
    r = create_token(admin.client, expires_in_days=1)
    token = r.json()["token"]
    assert bearer(app, token).status_code == 200
    with db_session(app) as s:
        for row in s.scalars(select(ApiToken)):
            row.expires_at = clock.now() - timedelta(seconds=1)
    assert_problem(bearer(app, token), 401, "not_authenticated")


def test_the_token_of_a_disabled_user_is_401(
    app: FastAPI, admin: SignedIn, member: SignedIn
) -> None:
    token = create_token(member.client).json()["token"]
    set_status(app, member.email, UserStatus.disabled)
    assert_problem(bearer(app, token), 401, "not_authenticated")
