"""What the schemathesis run found, pinned down: the OpenAPI documents every error as
problem+json, and a value of the wrong type is refused instead of read loosely."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.world import World

PROBLEM = "application/problem+json"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def _operations(client: TestClient) -> list[tuple[str, dict[str, Any]]]:
    spec = client.get("/api/openapi.json").json()
    return [
        (f"{method.upper()} {path}", operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
    ]


def test_every_4xx_is_documented_as_problem_json(client: TestClient) -> None:
    for label, operation in _operations(client):
        for status, response in operation["responses"].items():
            if status.startswith("4"):
                assert response["content"] == {PROBLEM: {"schema": PROBLEM_REF}}, (label, status)
    spec = client.get("/api/openapi.json").json()
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def test_what_every_operation_may_answer_is_documented(client: TestClient) -> None:
    for label, operation in _operations(client):
        responses = operation["responses"]
        if operation.get("security"):
            assert "401" in responses, label
        if operation.get("requestBody"):
            assert {"400", "422"} <= responses.keys(), label
        if "429" in responses:
            assert "Retry-After" in responses["429"]["headers"], label


def assert_problem(response: Any, status: int, field: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    if field is not None:
        assert field in response.json()["errors"], response.json()


def test_a_body_that_is_not_utf8_is_a_documented_400(client: TestClient, world: World) -> None:
    r = client.post(
        "/api/v1/org-units",
        content=b'{"name": "\xff"}',
        headers={"Authorization": f"Bearer {world.api_token}", "Content-Type": "application/json"},
    )
    assert_problem(r, 400)


@pytest.mark.parametrize("birthday", [0, 86400, "0", "86400", "1e5"])
def test_a_number_is_not_a_birthday(client: TestClient, world: World, birthday: object) -> None:
    r = client.patch(
        f"/api/v1/users/{world.ensure_pending()}",
        json={"birthday": birthday},
        headers={"Authorization": f"Bearer {world.api_token}"},
    )
    assert_problem(r, 422, "birthday")


@pytest.mark.parametrize("value", ["0", "0.5", "1700000000"])
def test_a_number_is_not_an_audit_time(client: TestClient, world: World, value: str) -> None:
    r = client.get(
        "/api/v1/audit-events",
        params={"until": value},
        headers={"Authorization": f"Bearer {world.api_token}"},
    )
    assert_problem(r, 422, "until")


REVOKE = "/api/v1/users/{pending}/invitation/revoke"
WRONG_TYPES = [
    ("post", "/api/v1/tokens", "expires_in_days", "30"),
    ("patch", "/api/v1/organization", "invitation_expiry_days", "30"),
    ("post", REVOKE, "delete_user", 1),
    ("post", REVOKE, "delete_user", "yes"),
]


@pytest.mark.parametrize(("method", "path", "field", "value"), WRONG_TYPES)
def test_a_value_of_the_wrong_type_is_refused(
    client: TestClient, world: World, method: str, path: str, field: str, value: object
) -> None:
    r = client.request(
        method,
        path.format(pending=world.ensure_pending()),
        json={field: value},
        headers={"Authorization": f"Bearer {world.api_token}"},
    )
    assert_problem(r, 422, field)
    assert world.is_pending(world.pending_id)


def test_an_iso_birthday_still_works(client: TestClient, world: World) -> None:
    r = client.patch(
        f"/api/v1/users/{world.ensure_pending()}",
        json={"birthday": "1906-12-09"},
        headers={"Authorization": f"Bearer {world.api_token}"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["birthday"] == "1906-12-09"
