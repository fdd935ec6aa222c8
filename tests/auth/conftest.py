"""Helpers for the sign-in tests: sign in through the API, read cookies and audit events."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.fixtures.factories import PASSWORD, Factory, SignedIn, db_session, invite
from usher.models import AuditEvent, User
from usher.models.user import UserStatus

ORG = "acme-corp"
EMAIL = "ada@acme.io"
COOKIE = "usher_session"
PROBLEM = "application/problem+json"
FromIp = Callable[[str], TestClient]


def login(
    client: TestClient,
    *,
    organization: str = ORG,
    email: str = EMAIL,
    password: str = PASSWORD,
    **kwargs: Any,
) -> httpx.Response:
    return client.post(
        "/api/v1/auth/login",
        json={"organization": organization, "email": email, "password": password},
        **kwargs,
    )


def forgot(
    client: TestClient, *, organization: str = ORG, email: str = EMAIL, **kwargs: Any
) -> httpx.Response:
    return client.post(
        "/api/v1/auth/password/forgot",
        json={"organization": organization, "email": email},
        **kwargs,
    )


def set_cookie_headers(response: httpx.Response) -> list[str]:
    return response.headers.get_list("set-cookie")


def cookie_value(response: httpx.Response, name: str = COOKIE) -> str:
    """The value a response sets for ``name`` (read from Set-Cookie, not the client's jar)."""
    for header in set_cookie_headers(response):
        key, _, rest = header.partition("=")
        if key == name:
            return rest.split(";", 1)[0]
    raise AssertionError(f"no {name} cookie in {set_cookie_headers(response)}")


def me_with_cookie(
    app: FastAPI, value: str, *, name: str = COOKIE, base_url: str = "http://testserver"
) -> httpx.Response:
    """GET /me from a fresh client that presents only this cookie value."""
    with TestClient(app, base_url=base_url) as c:
        c.cookies.set(name, value)
        return c.get("/api/v1/me")


def assert_problem(
    response: httpx.Response, status: int, code: str | None = None
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert {"type", "title", "status", "detail", "code"} <= body.keys()
    assert body["status"] == status
    assert body["type"].startswith("https://")
    assert body["title"] and body["detail"]
    if code is not None:
        assert body["code"] == code
    return body


def audit_events(app: FastAPI, action: str) -> list[AuditEvent]:
    with db_session(app) as s:
        return list(
            s.scalars(
                select(AuditEvent)
                .where(AuditEvent.action == action)
                .order_by(AuditEvent.created_at)
            )
        )


def set_status(app: FastAPI, email: str, status: UserStatus) -> None:
    with db_session(app) as s:
        user = s.scalar(select(User).where(User.email == email))
        assert user is not None
        user.status = status


@pytest.fixture
def member(factory: Factory, admin: SignedIn) -> SignedIn:
    """Grace, an active member of Acme next to Ada the admin."""
    return factory.member(admin)


@pytest.fixture
def pending_email(admin: SignedIn) -> str:
    r = invite(admin.client, email="pending@acme.io")
    assert r.status_code == 201, r.text
    return "pending@acme.io"


@pytest.fixture
def from_ip(app: FastAPI) -> Iterator[FromIp]:
    """Clients that call from a given IP address."""
    opened: list[TestClient] = []

    def open_client(ip: str) -> TestClient:
        c = TestClient(app, base_url="http://testserver", client=(ip, 50000))
        c.__enter__()
        opened.append(c)
        return c

    yield open_client
    for c in opened:
        c.__exit__(None, None, None)
