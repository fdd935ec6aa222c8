"""Only Organization Admins manage users; other organizations' ids are simply not found."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.fixtures.factories import Factory, SignedIn, invite

MANAGING = [
    (
        "post",
        "/api/v1/users",
        {"first_name": "X", "last_name": "Y", "email": "x@acme.io", "invite_method": "link"},
    ),
    ("get", "/api/v1/users/{id}", None),
    ("post", "/api/v1/users/{id}/invitation/resend", None),
    ("post", "/api/v1/users/{id}/invitation/link", None),
    ("post", "/api/v1/users/{id}/invitation/revoke", {"delete_user": True}),
    ("patch", "/api/v1/organization", {"invitation_expiry_days": 3}),
    ("post", "/api/v1/org-units", {"name": "Sales"}),
]


def _call(client: TestClient, method: str, path: str, body: Any) -> Any:
    return (
        client.request(method, path, json=body)
        if body is not None
        else client.request(method, path)
    )


@pytest.mark.parametrize(("method", "path", "body"), MANAGING)
def test_a_member_gets_403(
    admin: SignedIn, factory: Factory, method: str, path: str, body: Any
) -> None:
    member = factory.member(admin)
    pending = invite(admin.client, email="pending@acme.io").json()
    r = _call(member.client, method, path.format(id=pending["id"]), body)
    assert r.status_code == 403, r.text
    assert r.json()["code"] == "not_permitted"
    # and the pending user is untouched
    shown = admin.client.get(f"/api/v1/users/{pending['id']}").json()
    assert shown["invitation"]["id"] == pending["invitation"]["id"]


@pytest.mark.parametrize(("method", "path", "body"), [m for m in MANAGING if "{id}" in m[1]])
def test_ids_from_another_organization_are_404(
    admin: SignedIn, factory: Factory, method: str, path: str, body: Any
) -> None:
    other = factory.admin(name="Globex", email="hank@globex.io")
    theirs = invite(other.client, email="pending@globex.io").json()
    r = _call(admin.client, method, path.format(id=theirs["id"]), body)
    assert r.status_code == 404, r.text
    assert other.client.get(f"/api/v1/users/{theirs['id']}").json()["status"] == "pending"


@pytest.mark.parametrize(("method", "path", "body"), MANAGING)
def test_without_credentials_it_is_401(
    client: TestClient, method: str, path: str, body: Any
) -> None:
    r = _call(client, method, path.format(id="00000000-0000-0000-0000-000000000001"), body)
    assert r.status_code == 401
    assert r.json()["code"] == "not_authenticated"


def test_a_pending_admin_cannot_act(factory: Factory) -> None:
    from tests.fixtures.factories import make_org

    created = make_org(factory.app)
    c = factory.new_client()
    # Not signed in at all: the pending admin has no password yet, so no way in.
    assert invite(c).status_code == 401
    assert created.admin.status == "pending"


def test_resend_to_an_active_user_is_409(admin: SignedIn, factory: Factory) -> None:
    member = factory.member(admin)
    r = admin.client.post(f"/api/v1/users/{member.user_id}/invitation/resend")
    assert r.status_code == 409
