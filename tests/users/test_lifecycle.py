"""Edit, disable, enable and delete; disabled and deleted users lose access at once."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.fixtures.factories import Factory, SignedIn, db_session, invite
from usher.models import AuditEvent, Invitation, OutboxMessage


def _with_token(factory: Factory, who: SignedIn) -> TestClient:
    token = who.client.post("/api/v1/tokens", json={"name": "ci"}).json()["token"]
    c = factory.new_client()
    c.headers["Authorization"] = f"Bearer {token}"
    assert c.get("/api/v1/me").status_code == 200
    return c


@pytest.mark.parametrize("action", ["disable", "delete"])
def test_the_next_request_fails_with_401_by_cookie_and_by_token(
    admin: SignedIn, factory: Factory, action: str
) -> None:
    member = factory.member(admin)
    by_token = _with_token(factory, member)
    assert member.client.get("/api/v1/me").status_code == 200
    if action == "disable":
        r = admin.client.post(f"/api/v1/users/{member.user_id}/disable")
        assert r.status_code == 200
        assert r.json()["status"] == "disabled"
    else:
        assert admin.client.delete(f"/api/v1/users/{member.user_id}").status_code == 204
        assert admin.client.get(f"/api/v1/users/{member.user_id}").status_code == 404
    assert member.client.get("/api/v1/me").status_code == 401
    assert by_token.get("/api/v1/me").status_code == 401
    again = factory.new_client().post(
        "/api/v1/auth/login",
        json={"organization": member.org_slug, "email": member.email, "password": member.password},
    )
    assert again.status_code == 401


def test_enabling_does_not_revive_old_sessions(admin: SignedIn, factory: Factory) -> None:
    member = factory.member(admin)
    by_token = _with_token(factory, member)
    admin.client.post(f"/api/v1/users/{member.user_id}/disable")
    r = admin.client.post(f"/api/v1/users/{member.user_id}/enable")
    assert r.json()["status"] == "active"
    assert member.client.get("/api/v1/me").status_code == 401
    assert by_token.get("/api/v1/me").status_code == 401
    fresh = factory.new_client()
    assert (
        fresh.post(
            "/api/v1/auth/login",
            json={
                "organization": member.org_slug,
                "email": member.email,
                "password": member.password,
            },
        ).status_code
        == 200
    )


def test_a_pending_users_invitation_dies_with_them(
    app: FastAPI, admin: SignedIn, factory: Factory
) -> None:
    pending = invite(admin.client, email="p@acme.io", invite_method="email").json()
    linked = invite(admin.client, email="l@acme.io").json()
    assert admin.client.delete(f"/api/v1/users/{pending['id']}").status_code == 204
    r = admin.client.post(f"/api/v1/users/{linked['id']}/disable")
    assert r.json()["invitation"]["state"] == "revoked"
    token = linked["registration_url"].rsplit("/", 1)[1]
    assert (
        factory.new_client()
        .post(f"/api/v1/invitations/{token}/accept", json={"password": "violet tractor anthem 42"})
        .status_code
        == 410
    )
    with db_session(app) as s:
        assert (
            s.scalar(
                select(func.count())
                .select_from(Invitation)
                .where(Invitation.user_id == uuid.UUID(pending["id"]))
            )
            == 0
        )
        # The unsent mail with the dead link is cancelled, not delivered later.
        statuses = set(s.scalars(select(OutboxMessage.status)))
        assert statuses == {"cancelled"}


def test_a_disabled_pending_user_comes_back_pending(admin: SignedIn) -> None:
    pending = invite(admin.client).json()
    admin.client.post(f"/api/v1/users/{pending['id']}/disable")
    r = admin.client.post(f"/api/v1/users/{pending['id']}/enable")
    assert r.json()["status"] == "pending"


@pytest.mark.parametrize("action", ["disable", "delete"])
def test_the_last_admin_cannot_be_removed(admin: SignedIn, action: str) -> None:
    r = (
        admin.client.post(f"/api/v1/users/{admin.user_id}/disable")
        if action == "disable"
        else admin.client.delete(f"/api/v1/users/{admin.user_id}")
    )
    assert r.status_code == 409
    assert r.json()["code"] == "last_admin"
    assert "last active Organization Admin" in r.json()["detail"]
    assert admin.client.get("/api/v1/me").status_code == 200


def test_with_two_admins_one_may_go(admin: SignedIn, factory: Factory) -> None:
    teams = admin.client.get("/api/v1/teams").json()
    admin_team = next(t["id"] for t in teams if t["key"] == "organization_admin")
    r = invite(admin.client, email="second@acme.io", team_ids=[admin_team])
    c = factory.new_client()
    c.post(
        f"/api/v1/invitations/{r.json()['registration_url'].rsplit('/', 1)[1]}/accept",
        json={"password": "violet tractor anthem 42"},
    )
    assert c.post(f"/api/v1/users/{admin.user_id}/disable").status_code == 200
    assert c.delete(f"/api/v1/users/{r.json()['id']}").status_code == 409  # now the last


def test_patch_changes_only_allowed_fields(app: FastAPI, admin: SignedIn) -> None:
    user = invite(admin.client).json()
    r = admin.client.patch(
        f"/api/v1/users/{user['id']}",
        json={
            "first_name": "Amazing",
            "position": "Admiral",
            "birthday": "1906-12-09",
            "phone": "020 7946 0958",
            "phone_region": "GB",
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["first_name"], body["position"], body["phone"]) == (
        "Amazing",
        "Admiral",
        "+442079460958",
    )
    assert body["audit_trail"][0]["action"] == "user.updated"
    assert body["audit_trail"][0]["details"]["changes"]["first_name"] == ["Grace", "Amazing"]
    for forbidden in (
        {"status": "active"},
        {"organization_id": admin.extra["org_id"]},
        {"team_ids": []},
        {"password_hash": "x"},
    ):
        r = admin.client.patch(f"/api/v1/users/{user['id']}", json=forbidden)
        assert r.status_code == 422, forbidden
        assert next(iter(forbidden)) in r.json()["errors"]
    assert (
        admin.client.patch(f"/api/v1/users/{user['id']}", json={"first_name": None}).status_code
        == 422
    )
    assert (
        admin.client.patch(
            f"/api/v1/users/{user['id']}", json={"birthday": "2999-01-01"}
        ).status_code
        == 422
    )
    cleared = admin.client.patch(f"/api/v1/users/{user['id']}", json={"position": None}).json()
    assert cleared["position"] is None
    assert admin.client.get(f"/api/v1/users/{user['id']}").json()["status"] == "pending"


def test_email_changes_keep_uniqueness(admin: SignedIn) -> None:
    user = invite(admin.client).json()
    r = admin.client.patch(f"/api/v1/users/{user['id']}", json={"email": "ADA@acme.io"})
    assert r.status_code == 409
    assert r.json()["code"] == "email_taken"
    r = admin.client.patch(f"/api/v1/users/{user['id']}", json={"email": "GRACE@acme.io"})
    assert r.status_code == 200  # her own address in another case


MANAGING: list[tuple[str, str, Any]] = [
    ("get", "/api/v1/users", None),
    ("get", "/api/v1/users/{id}", None),
    ("patch", "/api/v1/users/{id}", {"position": "x"}),
    ("post", "/api/v1/users/{id}/disable", None),
    ("post", "/api/v1/users/{id}/enable", None),
    ("delete", "/api/v1/users/{id}", None),
    ("get", "/api/v1/audit-events", None),
]


@pytest.mark.parametrize(("method", "path", "body"), MANAGING)
def test_members_get_403_and_other_orgs_404(
    admin: SignedIn, factory: Factory, method: str, path: str, body: Any
) -> None:
    member = factory.member(admin)
    target = invite(admin.client, email="t@acme.io").json()["id"]
    kwargs: dict[str, Any] = {"json": body} if body is not None else {}
    r = member.client.request(method, path.format(id=target), **kwargs)
    assert r.status_code == 403, r.text
    if "{id}" in path:
        other = factory.admin(name="Globex", email="hank@globex.io")
        r = other.client.request(method, path.format(id=target), **kwargs)
        assert r.status_code == 404, r.text
    assert admin.client.get(f"/api/v1/users/{target}").json()["status"] == "pending"


def test_every_managing_action_is_audited(app: FastAPI, admin: SignedIn, factory: Factory) -> None:
    member = factory.member(admin)
    admin.client.patch(f"/api/v1/users/{member.user_id}", json={"position": "Boss"})
    admin.client.post(f"/api/v1/users/{member.user_id}/disable")
    admin.client.post(f"/api/v1/users/{member.user_id}/enable")
    admin.client.delete(f"/api/v1/users/{member.user_id}")
    with db_session(app) as s:
        actions = list(
            s.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.target_id == member.user_id)
                .order_by(AuditEvent.created_at)
            )
        )
    assert actions[-4:] == ["user.updated", "user.disabled", "user.enabled", "user.deleted"]
    log = admin.client.get("/api/v1/audit-events", params={"target": member.user_id}).json()
    assert [e["action"] for e in log["items"]][:4] == [
        "user.deleted",
        "user.enabled",
        "user.disabled",
        "user.updated",
    ]
    assert log["items"][0]["actor"] == "ada@acme.io"
