"""Pending users an import created without inviting get their registration links later, in
bulk: only those who never had one, a batch at a time."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import select

from tests.fixtures.factories import Factory, SignedIn, db_session, invite, seed_users
from usher.models import AuditEvent, OutboxMessage


def test_links_go_to_pending_users_who_never_had_one(
    app: FastAPI, admin: SignedIn, factory: Factory
) -> None:
    org_id = admin.extra["org_id"]
    seed_users(
        app,
        org_id,
        [
            {"email": "grace@acme.io", "first_name": "Grace"},
            {"email": "alan@acme.io", "first_name": "Alan"},
        ],
    )
    already = invite(admin.client, email="edsger@acme.io", invite_method="email")
    assert already.status_code == 201
    r = admin.client.post("/api/v1/users/invitations/send-first")
    assert r.status_code == 200, r.text
    assert r.json() == {"sent": 2, "remaining": 0}
    with db_session(app) as session:
        recipients = sorted(session.scalars(select(OutboxMessage.recipient)).all())
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "invitations.first_links_sent")
        ).all()
        assert [e.details for e in events] == [{"sent": 2, "remaining": 0}]
    assert recipients == ["alan@acme.io", "edsger@acme.io", "grace@acme.io"]
    again = admin.client.post("/api/v1/users/invitations/send-first")
    assert again.json() == {"sent": 0, "remaining": 0}
    user = admin.client.get("/api/v1/users", params={"q": "grace"}).json()["items"][0]
    assert user["status"] == "pending"
    member = factory.member(admin, email="member@acme.io")
    assert member.client.post("/api/v1/users/invitations/send-first").status_code == 403
