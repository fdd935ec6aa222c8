"""A rate-limited operation documents its 429 and Retry-After, and answers so."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.world import World
from tests.fixtures.factories import invite

PROBLEM = "application/problem+json"


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"rate_limit_reset_ip": "1/minute", "rate_limit_invite_ip": "2/minute"}


def _documented_429(client: TestClient, method: str, path: str) -> dict[str, Any]:
    spec = client.get("/api/openapi.json").json()
    response: dict[str, Any] = spec["paths"][path][method]["responses"]["429"]
    return response


def _assert_limited(r: Any) -> None:
    assert r.status_code == 429, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    assert int(r.headers["retry-after"]) > 0


def test_forgot_password_documents_its_429(client: TestClient, world: World) -> None:
    body = {"organization": world.admin.org_slug, "email": world.admin.email}
    assert client.post("/api/v1/auth/password/forgot", json=body).status_code == 202
    _assert_limited(client.post("/api/v1/auth/password/forgot", json=body))
    assert (
        "Retry-After" in _documented_429(client, "post", "/api/v1/auth/password/forgot")["headers"]
    )


def test_inviting_documents_its_429(client: TestClient, world: World) -> None:
    # The world invited its pending user already: one left before the limit.
    assert invite(world.client, email="second@acme.io").status_code == 201
    _assert_limited(invite(world.client, email="third@acme.io"))
    assert "Retry-After" in _documented_429(client, "post", "/api/v1/users")["headers"]
