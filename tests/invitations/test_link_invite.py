"""A shareable-link invite registers the user end to end over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.fixtures.factories import PASSWORD, Factory, SignedIn, invite, token_of


def test_link_invite_registers_and_signs_in(admin: SignedIn, factory: Factory) -> None:
    r = invite(
        admin.client,
        first_name="Grace",
        last_name="Hopper",
        email="Grace@Acme.io",
        invite_method="link",
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "pending"
    assert body["registered_at"] is None
    assert body["registration_url"].startswith("http://usher.test/register/")
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["referrer-policy"] == "no-referrer"
    token = token_of(body["registration_url"])
    assert len(token) >= 43  # 256 bits, URL-safe base64

    newcomer = factory.new_client()
    preview = newcomer.get(f"/api/v1/invitations/{token}")
    assert preview.status_code == 200
    assert preview.json() == {
        "first_name": "Grace",
        "last_name": "Hopper",
        "email": "Grace@acme.io",
        "organization": "Acme Corp",
        "organization_slug": "acme-corp",
        "expires_at": preview.json()["expires_at"],
    }
    assert preview.headers["referrer-policy"] == "no-referrer"
    assert preview.headers["cache-control"] == "no-store"
    # Reading does not use the link up: a mail scanner may have opened it first.
    assert newcomer.get(f"/api/v1/invitations/{token}").status_code == 200

    accepted = newcomer.post(f"/api/v1/invitations/{token}/accept", json={"password": PASSWORD})
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "active"
    assert accepted.headers["cache-control"] == "no-store"

    later = factory.new_client()
    login = later.post(
        "/api/v1/auth/login",
        json={"organization": "acme-corp", "email": "grace@acme.io", "password": PASSWORD},
    )
    assert login.status_code == 200, login.text
    me = later.get("/api/v1/me").json()
    assert me["status"] == "active"
    registered = datetime.fromisoformat(me["registered_at"])
    assert datetime.now(UTC) - registered < timedelta(minutes=5)

    shown = admin.client.get(f"/api/v1/users/{body['id']}").json()
    assert shown["status"] == "active"
    assert shown["invitation"]["state"] == "accepted"
    assert shown["invited_by_id"] == admin.user_id


def test_invitation_expiry_follows_the_organization_setting(admin: SignedIn) -> None:
    r = admin.client.patch("/api/v1/organization", json={"invitation_expiry_days": 2})
    assert r.status_code == 200, r.text
    assert r.json()["invitation_expiry_days"] == 2
    invited = invite(admin.client).json()
    expires = datetime.fromisoformat(invited["invitation"]["expires_at"])
    assert timedelta(days=1, hours=23) < expires - datetime.now(UTC) <= timedelta(days=2)


def test_email_invite_goes_to_personal_email_else_organizational(admin: SignedIn) -> None:
    personal = invite(
        admin.client, email="p@acme.io", personal_email="p@home.example", invite_method="email"
    ).json()
    assert personal["invitation"]["sent_to"] == "p@home.example"
    assert personal["invitation"]["delivery"]["state"] == "queued"
    assert personal["registration_url"] is None
    org_only = invite(admin.client, email="o@acme.io", invite_method="email").json()
    assert org_only["invitation"]["sent_to"] == "o@acme.io"


def test_openapi_and_docs_are_served(client: TestClient, app: FastAPI) -> None:
    spec = client.get("/api/openapi.json")
    assert spec.status_code == 200
    assert "/api/v1/users" in spec.json()["paths"]
    assert client.get("/api/docs").status_code == 200
