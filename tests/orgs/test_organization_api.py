"""The caller's organization: settings, teams, organization units."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import select

from tests.fixtures.factories import Factory, SignedIn, db_session
from usher.models import AuditEvent


def test_members_read_their_organization_admins_change_it(
    app: FastAPI, admin: SignedIn, factory: Factory
) -> None:
    member = factory.member(admin)
    org = member.client.get("/api/v1/organization").json()
    assert org["slug"] == "acme-corp"
    assert org["invitation_expiry_days"] == 7
    assert (
        member.client.patch("/api/v1/organization", json={"invitation_expiry_days": 3}).status_code
        == 403
    )
    r = admin.client.patch(
        "/api/v1/organization", json={"invitation_expiry_days": 14, "name": "Acme Inc"}
    )
    assert r.status_code == 200
    assert (r.json()["name"], r.json()["invitation_expiry_days"]) == ("Acme Inc", 14)
    with db_session(app) as s:
        event = s.scalar(select(AuditEvent).where(AuditEvent.action == "organization.updated"))
        assert event is not None
        assert event.details["changes"]["invitation_expiry_days"] == [7, 14]


def test_expiry_bounds(admin: SignedIn) -> None:
    for bad in (0, 91, "soon", None):
        r = admin.client.patch("/api/v1/organization", json={"invitation_expiry_days": bad})
        assert r.status_code == 422 or (bad is None and r.status_code == 200)


def test_predefined_team_has_a_description(admin: SignedIn) -> None:
    teams = admin.client.get("/api/v1/teams").json()
    org_admin = next(t for t in teams if t["key"] == "organization_admin")
    assert org_admin["predefined"] is True
    assert "Full control" in org_admin["description"]


def test_org_units_tree(admin: SignedIn, factory: Factory) -> None:
    eng = admin.client.post("/api/v1/org-units", json={"name": " Engineering "}).json()
    assert eng["name"] == "Engineering"
    web = admin.client.post("/api/v1/org-units", json={"name": "Web", "parent_id": eng["id"]})
    assert web.status_code == 201
    assert web.json()["parent_id"] == eng["id"]
    bad = admin.client.post(
        "/api/v1/org-units", json={"name": "X", "parent_id": "00000000-0000-0000-0000-000000000001"}
    )
    assert bad.status_code == 422
    other = factory.admin(name="Globex", email="hank@globex.io")
    assert other.client.get("/api/v1/org-units").json() == []
    cross = other.client.post("/api/v1/org-units", json={"name": "Y", "parent_id": eng["id"]})
    assert cross.status_code == 422
