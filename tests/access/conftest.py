"""A world to test access in: one organization with a person in every predefined team, a
member of a custom team that holds roles, a pending user, org units and a registered
``project`` entity type; and a second organization with ids of its own."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.fixtures.factories import PASSWORD, Factory, SignedIn, accept, invite

PROJECT_ROLES: list[dict[str, Any]] = [
    {"key": "viewer", "name": "Viewer", "permissions": ["project.read"]},
    {"key": "editor", "name": "Editor", "permissions": ["project.read", "project.edit"]},
    {
        "key": "admin",
        "name": "Admin",
        "permissions": ["project.read", "project.edit", "project.delete", "roles.manage"],
    },
]
ACTORS = (
    "org_admin",
    "user_admin",
    "auditor",
    "member",
    "custom_team_member",
    "other_org_admin",
)


def ok(response: Any, status: int = 200) -> Any:
    """The JSON of a response that must have ``status``."""
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def grant(
    client: TestClient,
    role: str,
    entity_id: str,
    *,
    user_id: str | None = None,
    team_id: str | None = None,
) -> Any:
    body: dict[str, Any] = {"role": role, "entity_id": entity_id}
    if user_id is not None:
        body["user_id"] = user_id
    if team_id is not None:
        body["team_id"] = team_id
    return client.post("/api/v1/role-bindings", json=body)


def check(client: TestClient, permission: str, entity: str, user_id: str | None = None) -> Any:
    body: dict[str, Any] = {"permission": permission, "entity": entity}
    if user_id is not None:
        body["user_id"] = user_id
    return client.post("/api/v1/access/check", json=body)


def allowed(client: TestClient, permission: str, entity: str, user_id: str | None = None) -> bool:
    return bool(ok(check(client, permission, entity, user_id))["allowed"])


@dataclass
class OtherOrg:
    """Ids of the second organization: any of them used by the first is a 404."""

    admin: SignedIn
    pending_id: str
    team_id: str
    unit_id: str
    binding_id: str


@dataclass
class World:
    factory: Factory
    org_admin: SignedIn
    user_admin: SignedIn
    auditor: SignedIn
    member: SignedIn
    custom_team_member: SignedIn
    teams: dict[str, str]  # predefined team key -> id
    custom_team_id: str
    engineering_id: str  # a top-level unit
    backend_id: str  # under Engineering
    sales_id: str  # another top-level unit
    pending_id: str  # invited into Backend, not yet accepted
    pending_url: str
    other: OtherOrg
    _serial: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def admin(self) -> TestClient:
        return self.org_admin.client

    def actor(self, name: str) -> SignedIn:
        if name == "other_org_admin":
            return self.other.admin
        found: SignedIn = getattr(self, name)
        return found

    def email(self, stem: str = "user") -> str:
        return f"{stem}{next(self._serial)}@acme.io"

    def invite(self, **fields: Any) -> Any:
        """A pending user invited by the Organization Admin (by link)."""
        fields.setdefault("email", self.email("pending"))
        return ok(invite(self.admin, **fields), 201)

    def join(self, **fields: Any) -> SignedIn:
        """An active user: invited by the Organization Admin, registered, signed in."""
        invited = self.invite(**fields)
        c = self.factory.new_client()
        ok(accept(c, invited["registration_url"]))
        return SignedIn(c, self.org_admin.org_slug, invited["email"], PASSWORD, invited["id"])

    def team(self, name: str | None = None) -> str:
        return str(
            ok(self.admin.post("/api/v1/teams", json={"name": name or self.email("team")}), 201)[
                "id"
            ]
        )

    def add_to_team(self, team_id: str, *user_ids: str) -> None:
        ok(self.admin.post(f"/api/v1/teams/{team_id}/members", json={"user_ids": list(user_ids)}))

    def unit(self, name: str, parent_id: str | None = None) -> str:
        body = {"name": name, "parent_id": parent_id}
        return str(ok(self.admin.post("/api/v1/org-units", json=body), 201)["id"])


def build_world(factory: Factory) -> World:
    acme = factory.admin()
    c = acme.client
    ok(
        c.post(
            "/api/v1/entity-types",
            json={"key": "project", "name": "Project", "roles": PROJECT_ROLES},
        ),
        201,
    )
    teams = {t["key"]: str(t["id"]) for t in ok(c.get("/api/v1/teams")) if t["key"]}
    engineering = str(ok(c.post("/api/v1/org-units", json={"name": "Engineering"}), 201)["id"])
    backend = str(
        ok(c.post("/api/v1/org-units", json={"name": "Backend", "parent_id": engineering}), 201)[
            "id"
        ]
    )
    sales = str(ok(c.post("/api/v1/org-units", json={"name": "Sales"}), 201)["id"])

    def join(email: str, **fields: Any) -> SignedIn:
        invited = ok(invite(c, email=email, **fields), 201)
        client = factory.new_client()
        ok(accept(client, invited["registration_url"]))
        return SignedIn(client, acme.org_slug, email, PASSWORD, invited["id"])

    user_admin = join("ursula@acme.io", org_unit_id=sales, team_ids=[teams["user_admin"]])
    auditor = join("audrey@acme.io", team_ids=[teams["auditor"]])
    member = join("mo@acme.io", org_unit_id=sales)
    leads = str(ok(c.post("/api/v1/teams", json={"name": "Project Leads"}), 201)["id"])
    ok(grant(c, "project:editor", "*", team_id=leads), 201)
    ok(grant(c, "org_unit:viewer", engineering, team_id=leads), 201)
    custom = join("carla@acme.io", org_unit_id=sales, team_ids=[leads])
    pending = ok(invite(c, email="pat@acme.io", org_unit_id=backend), 201)

    globex = factory.admin(name="Globex", email="hank@globex.io")
    g = globex.client
    ok(
        g.post(
            "/api/v1/entity-types",
            json={"key": "widget", "name": "Widget", "roles": PROJECT_ROLES[:1]},
        ),
        201,
    )
    g_pending = ok(invite(g, email="gina@globex.io"), 201)
    g_team = str(ok(g.post("/api/v1/teams", json={"name": "Globex Team"}), 201)["id"])
    g_unit = str(ok(g.post("/api/v1/org-units", json={"name": "Globex Unit"}), 201)["id"])
    g_binding = ok(grant(g, "widget:viewer", "1", user_id=g_pending["id"]), 201)
    other = OtherOrg(globex, str(g_pending["id"]), g_team, g_unit, str(g_binding["id"]))
    return World(
        factory=factory,
        org_admin=acme,
        user_admin=user_admin,
        auditor=auditor,
        member=member,
        custom_team_member=custom,
        teams=teams,
        custom_team_id=leads,
        engineering_id=engineering,
        backend_id=backend,
        sales_id=sales,
        pending_id=str(pending["id"]),
        pending_url=str(pending["registration_url"]),
        other=other,
    )


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {
        "rate_limit_invitation_request_ip": "1000/minute",
        "rate_limit_invitation_request_account": "1000/minute",
    }


@pytest.fixture
def world(factory: Factory) -> World:
    return build_world(factory)
