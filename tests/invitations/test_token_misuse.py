"""Every misuse of an invitation token is refused and changes nothing."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from tests.fixtures.factories import PASSWORD, Factory, SignedIn, db_session, invite, token_of
from usher.kit import clock
from usher.models import AuditEvent, Invitation, User
from usher.models.user import UserStatus

OTHER_PASSWORD = "granite lantern orbit 77"


def _snapshot(app: FastAPI, email: str) -> dict[str, Any]:
    """What a refused token must not change: the user, their invitations, the audit log."""
    with db_session(app) as s:
        user = s.scalar(select(User).where(func.lower(User.email) == email))
        invitations = s.scalars(
            select(Invitation).where(Invitation.user_id == user.id).order_by(Invitation.created_at)
        ).all()
        accepted = s.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "invitation.accepted")
        )
        return {
            "status": user.status,
            "password_hash": user.password_hash,
            "registered_at": user.registered_at,
            "invitations": [(i.accepted_at, i.revoked_at, i.superseded_at) for i in invitations],
            "accepted_events": accepted,
        }


def _accept(factory: Factory, token: str, password: str = PASSWORD) -> Any:
    return factory.new_client().post(
        f"/api/v1/invitations/{token}/accept", json={"password": password}
    )


@pytest.fixture
def pending(admin: SignedIn) -> dict[str, Any]:
    r = invite(admin.client, email="grace@acme.io")
    assert r.status_code == 201
    return r.json()


def test_a_used_link_cannot_be_used_again(
    app: FastAPI, factory: Factory, pending: dict[str, Any]
) -> None:
    token = token_of(pending["registration_url"])
    assert _accept(factory, token).status_code == 200
    before = _snapshot(app, "grace@acme.io")
    again = _accept(factory, token, OTHER_PASSWORD)
    assert again.status_code == 410
    assert again.json()["code"] == "invitation_gone"
    assert again.headers["content-type"].startswith("application/problem+json")
    assert factory.new_client().get(f"/api/v1/invitations/{token}").status_code == 410
    assert _snapshot(app, "grace@acme.io") == before


def test_an_expired_link_is_refused(
    app: FastAPI, factory: Factory, pending: dict[str, Any]
) -> None:
    with db_session(app) as s:
        for inv in s.scalars(select(Invitation)):
            inv.expires_at = clock.now() - timedelta(seconds=1)
    token = token_of(pending["registration_url"])
    before = _snapshot(app, "grace@acme.io")
    assert factory.new_client().get(f"/api/v1/invitations/{token}").status_code == 410
    r = _accept(factory, token)
    assert r.status_code == 410
    assert "expired" in r.json()["detail"]
    assert _snapshot(app, "grace@acme.io") == before
    assert before["status"] == UserStatus.pending


def test_a_revoked_link_is_refused_and_the_user_stays_pending(
    app: FastAPI, admin: SignedIn, factory: Factory, pending: dict[str, Any]
) -> None:
    r = admin.client.post(
        f"/api/v1/users/{pending['id']}/invitation/revoke", json={"delete_user": False}
    )
    assert r.status_code == 204
    before = _snapshot(app, "grace@acme.io")
    assert _accept(factory, token_of(pending["registration_url"])).status_code == 410
    assert _snapshot(app, "grace@acme.io") == before
    shown = admin.client.get(f"/api/v1/users/{pending['id']}").json()
    assert shown["status"] == "pending"
    assert shown["invitation"]["state"] == "revoked"


def test_revoking_with_delete_removes_the_pending_user(
    admin: SignedIn, factory: Factory, pending: dict[str, Any]
) -> None:
    r = admin.client.post(
        f"/api/v1/users/{pending['id']}/invitation/revoke", json={"delete_user": True}
    )
    assert r.status_code == 204
    assert admin.client.get(f"/api/v1/users/{pending['id']}").status_code == 404
    assert _accept(factory, token_of(pending["registration_url"])).status_code == 404


@pytest.mark.parametrize("action", ["resend", "link"])
def test_a_superseded_link_is_refused_and_the_new_one_works(
    app: FastAPI, admin: SignedIn, factory: Factory, pending: dict[str, Any], action: str
) -> None:
    old_token = token_of(pending["registration_url"])
    old_expiry = pending["invitation"]["expires_at"]
    r = admin.client.post(f"/api/v1/users/{pending['id']}/invitation/{action}")
    assert r.status_code == 200, r.text
    renewed = r.json()
    assert renewed["invitation"]["expires_at"] > old_expiry
    before = _snapshot(app, "grace@acme.io")
    refused = _accept(factory, old_token)
    assert refused.status_code == 410
    assert "newer invitation" in refused.json()["detail"]
    assert _snapshot(app, "grace@acme.io") == before
    if action == "link":
        assert renewed["registration_url"].startswith("http://usher.test/register/")
        assert renewed["invitation"]["method"] == "link"
        assert _accept(factory, token_of(renewed["registration_url"])).status_code == 200
    else:
        assert renewed["registration_url"] is None
        assert renewed["invitation"]["method"] == "email"
        assert renewed["invitation"]["delivery"]["state"] == "queued"


def test_an_unknown_token_is_404_and_changes_nothing(
    app: FastAPI, factory: Factory, pending: dict[str, Any]
) -> None:
    before = _snapshot(app, "grace@acme.io")
    c = factory.new_client()
    assert c.get("/api/v1/invitations/not-a-real-token").status_code == 404
    r = _accept(factory, "A" * 43)
    assert r.status_code == 404
    assert r.json()["code"] == "not_found"
    assert _snapshot(app, "grace@acme.io") == before


def test_a_refused_password_does_not_use_up_the_link(
    app: FastAPI, factory: Factory, pending: dict[str, Any]
) -> None:
    token = token_of(pending["registration_url"])
    weak = _accept(factory, token, "grace hopper!!")
    assert weak.status_code == 422
    assert "password" in weak.json()["errors"]
    assert _accept(factory, token).status_code == 200


def test_concurrent_accepts_of_one_token_let_exactly_one_through(
    app: FastAPI, factory: Factory, pending: dict[str, Any]
) -> None:
    token = token_of(pending["registration_url"])
    clients = [factory.new_client() for _ in range(6)]
    barrier = threading.Barrier(len(clients))
    results: list[int] = []

    def attempt(i: int) -> None:
        barrier.wait()
        r = clients[i].post(
            f"/api/v1/invitations/{token}/accept", json={"password": f"{PASSWORD} {i} unique"}
        )
        results.append(r.status_code)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == [200] + [410] * (len(clients) - 1)
    snap = _snapshot(app, "grace@acme.io")
    assert snap["status"] == UserStatus.active
    assert snap["accepted_events"] == 2  # the admin's own registration, and this one
