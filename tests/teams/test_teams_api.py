"""Teams through the API: create, read, rename, delete; members in and out; a user's teams set
at once; an invitation with teams and roles, which apply once the user accepts, and a pending
user's teams and roles edited before then."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.access.conftest import World, allowed, build_world, check, grant, ok
from tests.fixtures.factories import Factory, accept, invite

PROBLEM = "application/problem+json"


@pytest.fixture
def world(factory: Factory) -> World:
    return build_world(factory)


def assert_problem(response: Any, status: int, field: str | None = None) -> Any:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    if field is not None:
        assert field in body["errors"], body
    return body


def _member_ids(world: World, team_id: str) -> set[str]:
    return {m["id"] for m in ok(world.admin.get(f"/api/v1/teams/{team_id}"))["members"]}


# --- create, read, rename, delete -------------------------------------------------------------


def test_a_team_is_created_read_renamed_and_deleted(world: World) -> None:
    c = world.admin
    created = ok(
        c.post("/api/v1/teams", json={"name": "  Data   Science ", "description": "ML"}), 201
    )
    assert created["name"] == "Data Science"
    assert (created["key"], created["predefined"], created["member_count"]) == (None, False, 0)
    assert created["members"] == [] and created["roles"] == []
    team = created["id"]
    assert ok(c.get(f"/api/v1/teams/{team}"))["description"] == "ML"
    renamed = ok(c.patch(f"/api/v1/teams/{team}", json={"name": "Data", "description": "Stats"}))
    assert (renamed["name"], renamed["description"]) == ("Data", "Stats")
    listed = {t["id"]: t for t in ok(c.get("/api/v1/teams"))}
    assert listed[team]["name"] == "Data"
    ok(c.delete(f"/api/v1/teams/{team}"), 204)
    assert_problem(c.get(f"/api/v1/teams/{team}"), 404)
    assert team not in {t["id"] for t in ok(c.get("/api/v1/teams"))}


def test_the_list_shows_predefined_teams_first_with_member_counts(world: World) -> None:
    teams = ok(world.member.client.get("/api/v1/teams"))
    keys = [t["key"] for t in teams]
    assert set(keys[:4]) == {"organization_admin", "user_admin", "auditor", "member"}
    assert keys[4:] == [None]  # Project Leads
    counts = {t["key"] or t["name"]: t["member_count"] for t in teams}
    users = ok(world.admin.get("/api/v1/users", params={"limit": 200}))["items"]
    assert counts["member"] == len(users)  # everyone, pending included
    assert counts["organization_admin"] == counts["user_admin"] == counts["auditor"] == 1
    assert counts["Project Leads"] == 1


@pytest.mark.parametrize("name", ["Project Leads", "project leads", " PROJECT  LEADS "])
def test_a_taken_team_name_is_a_409(world: World, name: str) -> None:
    body = assert_problem(world.admin.post("/api/v1/teams", json={"name": name}), 409, "name")
    assert body["code"] == "conflict"
    other = world.team("Another")
    r = world.admin.patch(f"/api/v1/teams/{other}", json={"name": name})
    assert_problem(r, 409, "name")


@pytest.mark.parametrize(
    "body",
    [{"name": "   "}, {"name": ""}, {"name": "x" * 101}, {}, {"name": "A", "key": "admin"}],
)
def test_a_bad_team_is_a_422(world: World, body: dict[str, Any]) -> None:
    assert_problem(world.admin.post("/api/v1/teams", json=body), 422)


def test_another_organization_s_team_is_not_found(world: World) -> None:
    c = world.admin
    team = world.other.team_id
    assert_problem(c.get(f"/api/v1/teams/{team}"), 404)
    assert_problem(c.patch(f"/api/v1/teams/{team}", json={"name": "Mine"}), 404)
    assert_problem(c.delete(f"/api/v1/teams/{team}"), 404)
    r = c.post(f"/api/v1/teams/{team}/members", json={"user_ids": [world.member.user_id]})
    assert_problem(r, 404)
    assert_problem(c.delete(f"/api/v1/teams/{team}/members/{world.other.pending_id}"), 404)
    names = {t["name"] for t in ok(world.other.admin.client.get("/api/v1/teams"))}
    assert "Globex Team" in names


def test_deleting_a_team_keeps_its_members_and_drops_its_roles(world: World) -> None:
    c = world.admin
    team = world.team("Doomed")
    world.add_to_team(team, world.member.user_id)
    binding = ok(grant(c, "project:viewer", "4", team_id=team), 201)
    assert allowed(world.member.client, "project.read", "project:4")
    ok(c.delete(f"/api/v1/teams/{team}"), 204)
    assert ok(c.get(f"/api/v1/users/{world.member.user_id}"))["status"] == "active"
    assert not allowed(world.member.client, "project.read", "project:4")
    assert_problem(c.delete(f"/api/v1/role-bindings/{binding['id']}"), 404)


# --- members ----------------------------------------------------------------------------------


def test_members_are_added_once_and_removed(world: World) -> None:
    c = world.admin
    team = world.team("Ops")
    ids = [world.member.user_id, world.pending_id]
    added = ok(c.post(f"/api/v1/teams/{team}/members", json={"user_ids": ids}))
    assert {m["id"] for m in added} == set(ids)
    assert {m["status"] for m in added} == {"active", "pending"}
    again = ok(c.post(f"/api/v1/teams/{team}/members", json={"user_ids": [*ids, ids[0]]}))
    assert again == []  # nobody new
    detail = ok(c.get(f"/api/v1/teams/{team}"))
    assert detail["member_count"] == 2
    assert {m["id"] for m in detail["members"]} == set(ids)
    ok(c.delete(f"/api/v1/teams/{team}/members/{world.pending_id}"), 204)
    assert _member_ids(world, team) == {world.member.user_id}
    assert_problem(c.delete(f"/api/v1/teams/{team}/members/{world.pending_id}"), 404)


@pytest.mark.parametrize("who", ["unknown", "other_org"])
def test_adding_someone_not_in_the_organization_is_a_422(world: World, who: str) -> None:
    team = world.team("Ops")
    stranger = str(uuid.uuid4()) if who == "unknown" else world.other.pending_id
    r = world.admin.post(
        f"/api/v1/teams/{team}/members", json={"user_ids": [world.member.user_id, stranger]}
    )
    assert_problem(r, 422, "user_ids")
    assert _member_ids(world, team) == set()  # all or nothing


@pytest.mark.parametrize("body", [{"user_ids": []}, {"user_ids": ["nope"]}, {}])
def test_a_bad_member_list_is_a_422(world: World, body: dict[str, Any]) -> None:
    team = world.team("Ops")
    assert_problem(world.admin.post(f"/api/v1/teams/{team}/members", json=body), 422)


# --- a user's teams at once -------------------------------------------------------------------


def test_a_user_s_teams_are_set_at_once(world: World) -> None:
    c = world.admin
    a, b = world.team("Alpha"), world.team("Beta")
    user = world.member.user_id
    teams = ok(c.put(f"/api/v1/users/{user}/teams", json={"team_ids": [a, b]}))
    assert {t["id"] for t in teams} == {a, b}
    teams = ok(c.put(f"/api/v1/users/{user}/teams", json={"team_ids": [b, world.custom_team_id]}))
    assert {t["id"] for t in teams} == {b, world.custom_team_id}
    assert {t["id"] for t in ok(c.get(f"/api/v1/users/{user}"))["teams"]} == {
        b,
        world.custom_team_id,
    }
    assert allowed(world.member.client, "project.edit", "project:1")  # through Project Leads
    assert ok(c.put(f"/api/v1/users/{user}/teams", json={"team_ids": []})) == []
    assert not allowed(world.member.client, "project.edit", "project:1")
    events = ok(
        c.get(
            "/api/v1/audit-events",
            params={"action": ["team.member_added", "team.member_removed"], "target": user},
        )
    )["items"]
    assert sorted((e["action"], e["details"]["team"]) for e in events) == [
        ("team.member_added", "Alpha"),
        ("team.member_added", "Beta"),
        ("team.member_added", "Project Leads"),
        ("team.member_removed", "Alpha"),
        ("team.member_removed", "Beta"),
        ("team.member_removed", "Project Leads"),
    ]


@pytest.mark.parametrize("which", ["unknown", "other_org"])
def test_setting_a_team_not_in_the_organization_is_a_422(world: World, which: str) -> None:
    team = str(uuid.uuid4()) if which == "unknown" else world.other.team_id
    r = world.admin.put(f"/api/v1/users/{world.member.user_id}/teams", json={"team_ids": [team]})
    assert_problem(r, 422, "team_ids")


def test_setting_teams_of_another_organization_s_user_is_a_404(world: World) -> None:
    r = world.admin.put(f"/api/v1/users/{world.other.pending_id}/teams", json={"team_ids": []})
    assert_problem(r, 404)


# --- invitations with teams and roles ---------------------------------------------------------


def test_teams_and_roles_of_an_invitation_apply_once_the_user_accepts(world: World) -> None:
    c = world.admin
    r = invite(
        c,
        email="nina@acme.io",
        team_ids=[world.custom_team_id],
        roles=[{"role": "project:admin", "entity_id": "8"}],
    )
    invited = ok(r, 201)
    assert [t["id"] for t in invited["teams"]] == [world.custom_team_id]
    user = invited["id"]
    [binding] = ok(c.get("/api/v1/role-bindings", params={"user_id": user}))
    assert (binding["role"], binding["entity"]) == ("project:admin", "project:8")
    assert user in _member_ids(world, world.custom_team_id)
    # pending: nothing yet
    for permission, entity in [("project.delete", "project:8"), ("project.edit", "project:1")]:
        answer = ok(check(c, permission, entity, user))
        assert answer["allowed"] is False and answer["granted_by"] is None
    assert ok(c.get(f"/api/v1/users/{user}/access"))["grants"] == []

    nina = world.factory.new_client()
    ok(accept(nina, invited["registration_url"]))
    own = ok(check(nina, "project.delete", "project:8"))["granted_by"]
    assert (own["source"], own["binding_id"]) == ("individual", binding["id"])
    via_team = ok(check(nina, "project.edit", "project:1"))["granted_by"]
    assert (via_team["source"], via_team["team_id"]) == ("team", world.custom_team_id)
    assert not allowed(nina, "project.delete", "project:9")


def test_a_pending_user_s_teams_and_roles_can_be_edited_before_they_accept(world: World) -> None:
    c = world.admin
    invited = world.invite(
        email="omar@acme.io",
        team_ids=[world.custom_team_id],
        roles=[{"role": "project:viewer", "entity_id": "1"}],
    )
    user = invited["id"]
    support = world.team("Support")
    ok(grant(c, "project:viewer", "2", team_id=support), 201)
    teams = ok(c.put(f"/api/v1/users/{user}/teams", json={"team_ids": [support]}))
    assert [t["name"] for t in teams] == ["Support"]
    [old] = ok(c.get("/api/v1/role-bindings", params={"user_id": user}))
    ok(c.delete(f"/api/v1/role-bindings/{old['id']}"), 204)
    new = ok(grant(c, "project:editor", "3", user_id=user), 201)
    shown = ok(c.get(f"/api/v1/users/{user}"))
    assert shown["status"] == "pending"
    assert [t["name"] for t in shown["teams"]] == ["Support"]
    assert not allowed(c, "project.edit", "project:3", user)

    omar = world.factory.new_client()
    ok(accept(omar, invited["registration_url"]))
    assert not allowed(omar, "project.read", "project:1")  # the role taken away
    assert not allowed(omar, "project.edit", "project:9")  # Project Leads left
    assert ok(check(omar, "project.edit", "project:3"))["granted_by"]["binding_id"] == new["id"]
    assert ok(check(omar, "project.read", "project:2"))["granted_by"]["team_name"] == "Support"


def test_a_user_admin_invites_with_the_teams_and_roles_they_may_give(world: World) -> None:
    ua = world.user_admin.client
    support = ok(ua.post("/api/v1/teams", json={"name": "Support"}), 201)["id"]
    r = invite(
        ua,
        email="ula@acme.io",
        team_ids=[support],
        roles=[{"role": "org_unit:viewer", "entity_id": world.sales_id}],
    )
    invited = ok(r, 201)
    assert [t["name"] for t in invited["teams"]] == ["Support"]
    [binding] = ok(world.admin.get("/api/v1/role-bindings", params={"user_id": invited["id"]}))
    assert binding["entity"] == f"org_unit:{world.sales_id}"


@pytest.mark.parametrize(
    ("roles", "team", "status", "field"),
    [
        ([{"role": "project:owner", "entity_id": "1"}], None, 422, "roles.0.role"),
        ([{"role": "project", "entity_id": "1"}], None, 422, "roles.0.role"),
        (
            [
                {"role": "project:viewer", "entity_id": "1"},
                {"role": "org_unit:viewer", "entity_id": "x"},
            ],
            None,
            422,
            "roles.1.entity_id",
        ),
        ([], "unknown", 422, "team_ids"),
        ([], "other_org", 422, "team_ids"),
        ([{"role": "project:viewer", "entity_id": "1"}], "user_admin_invites", 403, None),
    ],
)
def test_a_bad_invitation_creates_nobody(
    world: World, roles: list[dict[str, str]], team: str | None, status: int, field: str | None
) -> None:
    client = world.admin
    team_ids: list[str] = []
    if team == "unknown":
        team_ids = [str(uuid.uuid4())]
    elif team == "other_org":
        team_ids = [world.other.team_id]
    elif team == "user_admin_invites":
        client = world.user_admin.client  # holds no project role, so cannot give one
    r = invite(client, email="ghost@acme.io", team_ids=team_ids, roles=roles)
    assert_problem(r, status, field)
    users = ok(world.admin.get("/api/v1/users", params={"q": "ghost"}))["items"]
    assert users == []
