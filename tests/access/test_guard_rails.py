"""The guard rails: nobody grants what they do not hold; a User Admin cannot make anyone an
admin; the last Organization Admin stays; predefined teams and their roles are fixed; every
change is audited; a User Admin of an org unit reaches that unit's users only."""

from __future__ import annotations

from typing import Any

import pytest

from tests.access.conftest import World, allowed, grant, ok
from tests.fixtures.factories import invite

PROBLEM = "application/problem+json"
ADMIN_TEAMS = ["organization_admin", "user_admin", "auditor"]


def assert_problem(response: Any, status: int, code: str) -> Any:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["code"] == code, body
    return body


def _team_ids(world: World, user_id: str) -> set[str]:
    return {t["id"] for t in ok(world.admin.get(f"/api/v1/users/{user_id}"))["teams"]}


# --- a User Admin cannot make anyone an admin -------------------------------------------------


def test_a_user_admin_cannot_grant_organization_admin(world: World) -> None:
    ua = world.user_admin.client
    for subject in ({"user_id": world.member.user_id}, {"team_id": world.custom_team_id}):
        r = ua.post(
            "/api/v1/role-bindings",
            json={"role": "organization:admin", "entity_id": "*", **subject},
        )
        assert_problem(r, 403, "not_permitted")
    r = grant(ua, "organization:auditor", "*", user_id=world.member.user_id)  # *.read: not held
    assert_problem(r, 403, "not_permitted")
    assert not allowed(world.member.client, "settings.manage", "organization")


@pytest.mark.parametrize("team", ADMIN_TEAMS)
def test_a_user_admin_cannot_add_anyone_to_an_admin_team(world: World, team: str) -> None:
    ua = world.user_admin.client
    team_id = world.teams[team]
    r = ua.post(f"/api/v1/teams/{team_id}/members", json={"user_ids": [world.member.user_id]})
    assert_problem(r, 403, "not_permitted")
    r = ua.put(f"/api/v1/users/{world.member.user_id}/teams", json={"team_ids": [team_id]})
    assert_problem(r, 403, "not_permitted")
    r = invite(ua, email="sneaky@acme.io", team_ids=[team_id])
    assert_problem(r, 403, "not_permitted")
    r = ua.post(f"/api/v1/users/{world.pending_id}/teams", json={"team_ids": [team_id]})
    assert r.status_code == 405  # only PUT
    assert team_id not in _team_ids(world, world.member.user_id)
    users = ok(world.admin.get("/api/v1/users", params={"q": "sneaky"}))["items"]
    assert users == []


@pytest.mark.parametrize("team", ADMIN_TEAMS)
def test_a_user_admin_cannot_remove_anyone_from_an_admin_team(world: World, team: str) -> None:
    team_id = world.teams[team]
    someone = world.join()
    world.add_to_team(team_id, someone.user_id)
    r = world.user_admin.client.delete(f"/api/v1/teams/{team_id}/members/{someone.user_id}")
    assert_problem(r, 403, "not_permitted")
    assert team_id in _team_ids(world, someone.user_id)


def test_a_user_admin_manages_custom_teams_whose_roles_they_hold(world: World) -> None:
    ua = world.user_admin.client
    team = ok(ua.post("/api/v1/teams", json={"name": "Support"}), 201)["id"]
    ok(ua.post(f"/api/v1/teams/{team}/members", json={"user_ids": [world.member.user_id]}))
    ok(grant(ua, "org_unit:viewer", world.sales_id, team_id=team), 201)
    # Project Leads hold project:editor on every project, which a User Admin does not hold
    r = ua.post(
        f"/api/v1/teams/{world.custom_team_id}/members", json={"user_ids": [world.member.user_id]}
    )
    body = assert_problem(r, 403, "not_permitted")
    assert "project.edit" in body["missing"]


# --- nobody grants what they do not hold ------------------------------------------------------


@pytest.fixture
def steward(world: World) -> World:
    """The member holds project:editor and project:steward (roles.manage) on project:1."""
    body = {"name": "Steward", "permissions": ["roles.manage"]}
    ok(world.admin.put("/api/v1/entity-types/project/roles/steward", json=body), 201)
    ok(grant(world.admin, "project:editor", "1", user_id=world.member.user_id), 201)
    ok(grant(world.admin, "project:steward", "1", user_id=world.member.user_id), 201)
    return world


def test_a_steward_grants_what_they_hold_where_they_hold_it(steward: World) -> None:
    w = steward
    c = w.member.client
    ok(grant(c, "project:viewer", "1", user_id=w.auditor.user_id), 201)
    ok(grant(c, "project:editor", "1", user_id=w.custom_team_member.user_id), 201)
    assert allowed(w.admin, "project.read", "project:1", w.pending_id) is False  # pending
    assert allowed(w.auditor.client, "project.read", "project:1")


@pytest.mark.parametrize(
    ("role", "entity_id", "missing"),
    [
        ("project:admin", "1", "project.delete"),  # not held at all
        ("project:viewer", "2", None),  # no roles.manage there
        ("project:viewer", "*", None),  # held on one project, not on every one
        ("organization:admin", "*", None),
        ("org_unit:viewer", "*", None),
    ],
)
def test_nobody_grants_what_they_do_not_hold(
    steward: World, role: str, entity_id: str, missing: str | None
) -> None:
    w = steward
    r = grant(w.member.client, role, entity_id, user_id=w.custom_team_member.user_id)
    body = assert_problem(r, 403, "not_permitted")
    if missing:
        assert body["missing"] == [missing]
    bindings = ok(
        w.admin.get("/api/v1/role-bindings", params={"user_id": w.custom_team_member.user_id})
    )
    assert bindings == []


def test_nobody_revokes_what_they_do_not_hold(steward: World) -> None:
    w = steward
    theirs = ok(grant(w.admin, "project:admin", "1", user_id=w.auditor.user_id), 201)
    r = w.member.client.delete(f"/api/v1/role-bindings/{theirs['id']}")
    assert_problem(r, 403, "not_permitted")
    viewer = ok(grant(w.admin, "project:viewer", "1", user_id=w.auditor.user_id), 201)
    ok(w.member.client.delete(f"/api/v1/role-bindings/{viewer['id']}"), 204)


def test_granting_the_same_role_twice_is_a_409(world: World) -> None:
    ok(grant(world.admin, "project:viewer", "1", user_id=world.member.user_id), 201)
    r = grant(world.admin, "project:viewer", "1", user_id=world.member.user_id)
    assert_problem(r, 409, "conflict")


# --- the last Organization Admin, predefined teams and their fixed roles ---------------------


def test_the_last_organization_admin_cannot_leave_the_team(world: World) -> None:
    admin_team = world.teams["organization_admin"]
    me = world.org_admin.user_id
    world.invite(team_ids=[admin_team])  # a pending admin does not count
    r = world.admin.delete(f"/api/v1/teams/{admin_team}/members/{me}")
    body = assert_problem(r, 409, "last_admin")
    assert "last" in body["detail"]
    r = world.admin.put(f"/api/v1/users/{me}/teams", json={"team_ids": []})
    assert_problem(r, 409, "last_admin")
    assert admin_team in _team_ids(world, me)
    assert allowed(world.admin, "settings.manage", "organization")
    # with a second active admin, the first may go
    second = world.join(team_ids=[admin_team])
    ok(world.admin.delete(f"/api/v1/teams/{admin_team}/members/{me}"), 204)
    assert not allowed(world.admin, "settings.manage", "organization")
    r = second.client.delete(f"/api/v1/teams/{admin_team}/members/{second.user_id}")
    assert_problem(r, 409, "last_admin")


@pytest.mark.parametrize("team", ["organization_admin", "user_admin", "auditor", "member"])
def test_predefined_teams_cannot_be_renamed_or_deleted(world: World, team: str) -> None:
    team_id = world.teams[team]
    before = ok(world.admin.get(f"/api/v1/teams/{team_id}"))
    assert before["predefined"] is True
    r = world.admin.patch(f"/api/v1/teams/{team_id}", json={"name": "Renamed"})
    assert_problem(r, 409, "conflict")
    r = world.admin.patch(f"/api/v1/teams/{team_id}", json={"description": "Other words"})
    assert_problem(r, 409, "conflict")
    assert_problem(world.admin.delete(f"/api/v1/teams/{team_id}"), 409, "conflict")
    after = ok(world.admin.get(f"/api/v1/teams/{team_id}"))
    assert (after["name"], after["description"]) == (before["name"], before["description"])


def test_the_member_team_s_membership_cannot_change(world: World) -> None:
    team_id = world.teams["member"]
    r = world.admin.post(f"/api/v1/teams/{team_id}/members", json={"user_ids": [world.pending_id]})
    assert_problem(r, 409, "conflict")
    r = world.admin.delete(f"/api/v1/teams/{team_id}/members/{world.member.user_id}")
    assert_problem(r, 409, "conflict")


@pytest.mark.parametrize("team", ADMIN_TEAMS)
def test_a_predefined_team_s_own_role_cannot_be_revoked(world: World, team: str) -> None:
    bindings = ok(world.admin.get("/api/v1/role-bindings", params={"team_id": world.teams[team]}))
    [fixed] = bindings
    assert fixed["fixed"] is True
    assert fixed["role"] == f"organization:{'admin' if team == 'organization_admin' else team}"
    assert_problem(world.admin.delete(f"/api/v1/role-bindings/{fixed['id']}"), 409, "conflict")
    assert ok(world.admin.get("/api/v1/role-bindings", params={"team_id": world.teams[team]}))


@pytest.mark.parametrize("key", ["organization", "org_unit", "team", "user"])
def test_usher_s_own_entity_types_are_fixed(world: World, key: str) -> None:
    body = {"key": key, "name": "Mine"}
    assert_problem(world.admin.post("/api/v1/entity-types", json=body), 409, "conflict")
    if key != "user":
        r = world.admin.patch(f"/api/v1/entity-types/{key}", json={"name": "Mine"})
        assert_problem(r, 409, "conflict")
        assert_problem(world.admin.delete(f"/api/v1/entity-types/{key}"), 409, "conflict")


# --- every change is audited -----------------------------------------------------------------


def _events(world: World, *actions: str) -> list[dict[str, Any]]:
    page = ok(
        world.admin.get("/api/v1/audit-events", params={"action": list(actions), "limit": 100})
    )
    items: list[dict[str, Any]] = page["items"]
    return items


def test_every_change_writes_an_audit_event(world: World) -> None:
    c = world.admin
    ok(
        c.put(
            "/api/v1/entity-types/project/roles/qa",
            json={"name": "QA", "permissions": ["project.test"]},
        ),
        201,
    )
    ok(
        c.put(
            "/api/v1/entity-types/project/roles/qa",
            json={"name": "QA", "permissions": ["project.read"]},
        )
    )
    ok(c.patch("/api/v1/entity-types/project", json={"description": "Ours"}))
    team = ok(c.post("/api/v1/teams", json={"name": "Auditable"}), 201)["id"]
    ok(c.patch(f"/api/v1/teams/{team}", json={"name": "Audited"}))
    ok(c.post(f"/api/v1/teams/{team}/members", json={"user_ids": [world.member.user_id]}))
    ok(c.delete(f"/api/v1/teams/{team}/members/{world.member.user_id}"), 204)
    binding = ok(grant(c, "project:qa", "5", team_id=team), 201)
    ok(c.delete(f"/api/v1/role-bindings/{binding['id']}"), 204)
    individual = ok(grant(c, "project:viewer", "5", user_id=world.member.user_id), 201)
    ok(c.delete(f"/api/v1/role-bindings/{individual['id']}"), 204)
    ok(c.delete("/api/v1/entity-types/project/roles/qa"), 204)
    ok(c.delete(f"/api/v1/teams/{team}"), 204)
    ok(c.post("/api/v1/entity-types", json={"key": "board", "name": "Board"}), 201)
    ok(c.delete("/api/v1/entity-types/board"), 204)

    expected = {
        "entity_type.registered": 2,  # project (the world) and board
        "entity_type.updated": 1,
        "entity_type.deleted": 1,
        "role.created": 1,
        "role.updated": 1,
        "role.deleted": 1,
        "team.created": 2,  # Project Leads (the world) and this one
        "team.updated": 1,
        "team.deleted": 1,
        "team.member_added": 1,  # (teams given with an invitation are in user.invited)
        "team.member_removed": 1,
    }
    events = _events(world, *expected)
    counts = {a: sum(1 for e in events if e["action"] == a) for a in expected}
    assert counts == expected
    assert {e["actor_id"] for e in events} == {world.org_admin.user_id}

    granted = [e for e in _events(world, "role.granted") if e["details"]["entity"] == "project:5"]
    revoked = _events(world, "role.revoked")
    assert {(e["details"]["role"], e["target_type"]) for e in granted} == {
        ("project:qa", "team"),
        ("project:viewer", "user"),
    }
    assert {(e["details"]["role"], e["target_id"]) for e in revoked} == {
        ("project:qa", team),
        ("project:viewer", world.member.user_id),
    }
    [added] = [e for e in _events(world, "team.member_added") if e["details"]["team"] == "Audited"]
    assert added["target_id"] == world.member.user_id
    [invited] = [
        e
        for e in _events(world, "user.invited")
        if e["target_id"] == world.custom_team_member.user_id
    ]
    assert invited["details"]["teams"] == [world.custom_team_id]


def test_a_refused_change_writes_no_event(world: World) -> None:
    before = len(_events(world, "role.granted", "team.member_added"))
    r = grant(world.user_admin.client, "organization:admin", "*", user_id=world.member.user_id)
    assert r.status_code == 403
    team = world.teams["organization_admin"]
    r = world.user_admin.client.post(
        f"/api/v1/teams/{team}/members", json={"user_ids": [world.member.user_id]}
    )
    assert r.status_code == 403
    assert len(_events(world, "role.granted", "team.member_added")) == before


# --- a User Admin of an org unit --------------------------------------------------------------


@pytest.fixture
def unit_admin(world: World) -> World:
    """The member becomes User Admin of Engineering (and so of Backend under it)."""
    ok(
        grant(
            world.admin, "org_unit:user_admin", world.engineering_id, user_id=world.member.user_id
        ),
        201,
    )
    return world


def test_a_unit_user_admin_lists_only_their_units_users(unit_admin: World) -> None:
    w = unit_admin
    in_engineering = w.invite(org_unit_id=w.engineering_id)["id"]
    page = ok(w.member.client.get("/api/v1/users", params={"limit": 200}))
    assert {u["id"] for u in page["items"]} == {w.pending_id, in_engineering}
    everyone = ok(w.admin.get("/api/v1/users", params={"limit": 200}))["items"]
    assert len(everyone) > 2


def test_a_unit_user_admin_manages_only_their_units_users(unit_admin: World) -> None:
    w = unit_admin
    c = w.member.client
    ok(c.get(f"/api/v1/users/{w.pending_id}"))
    ok(c.patch(f"/api/v1/users/{w.pending_id}", json={"position": "Backend engineer"}))
    outside = [w.user_admin.user_id, w.auditor.user_id, w.custom_team_member.user_id]
    for user_id in outside:
        assert_problem(c.get(f"/api/v1/users/{user_id}"), 403, "not_permitted")
        r = c.patch(f"/api/v1/users/{user_id}", json={"position": "Moved"})
        assert_problem(r, 403, "not_permitted")
        assert_problem(c.post(f"/api/v1/users/{user_id}/disable"), 403, "not_permitted")
    # moving one of theirs out of their units is not theirs to do
    r = c.patch(f"/api/v1/users/{w.pending_id}", json={"org_unit_id": w.sales_id})
    assert_problem(r, 403, "not_permitted")
    assert_problem(c.get(f"/api/v1/users/{w.other.pending_id}"), 404, "not_found")


def test_a_unit_user_admin_invites_into_their_units_only(unit_admin: World) -> None:
    c = unit_admin.member.client
    ok(invite(c, email="b1@acme.io", org_unit_id=unit_admin.backend_id), 201)
    r = invite(c, email="s1@acme.io", org_unit_id=unit_admin.sales_id)
    assert_problem(r, 403, "not_permitted")
    r = invite(c, email="n1@acme.io")
    body = assert_problem(r, 403, "not_permitted")
    assert "org_unit_id" in body["errors"]


def test_a_unit_user_admin_cannot_grant_roles(unit_admin: World) -> None:
    c = unit_admin.member.client
    r = grant(c, "org_unit:viewer", unit_admin.backend_id, user_id=unit_admin.pending_id)
    assert_problem(r, 403, "not_permitted")  # org_unit:user_admin has no roles.manage


# --- found while writing these tests ----------------------------------------------------------


def test_a_user_admin_cannot_give_the_user_admin_role_directly(world: World) -> None:
    r = grant(world.user_admin.client, "organization:user_admin", "*", user_id=world.member.user_id)
    assert_problem(r, 403, "not_permitted")
    assert not allowed(world.member.client, "users.manage", "organization")


def test_a_user_admin_cannot_change_an_organization_admin_s_email(world: World) -> None:
    r = world.user_admin.client.patch(
        f"/api/v1/users/{world.org_admin.user_id}", json={"email": "mine@evil.io"}
    )
    assert_problem(r, 403, "not_permitted")
    assert ok(world.admin.get("/api/v1/me"))["email"] == world.org_admin.email
