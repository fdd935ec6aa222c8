"""The permission check: a binding on one entity, on ``type:*``, through a custom team, through
the Member team and through an org-unit scope all resolve, with the binding that allows; a
removal denies on the very next request; the batch form and a user's effective access."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.access.conftest import World, allowed, check, grant, ok


def _granted_by(world: World, permission: str, entity: str, user_id: str | None = None) -> Any:
    answer = ok(check(world.admin, permission, entity, user_id))
    assert answer["allowed"] is (answer["granted_by"] is not None)
    return answer["granted_by"]


def test_a_role_on_one_entity_allows_there_only(world: World) -> None:
    binding = ok(grant(world.admin, "project:editor", "42", user_id=world.member.user_id), 201)
    c = world.member.client
    answer = ok(check(c, "project.edit", "project:42"))
    assert answer == {
        "user_id": world.member.user_id,
        "permission": "project.edit",
        "entity": "project:42",
        "allowed": True,
        "granted_by": {
            "binding_id": binding["id"],
            "role": "project:editor",
            "entity": "project:42",
            "source": "individual",
            "team_id": None,
            "team_name": None,
        },
    }
    assert allowed(c, "project.read", "project:42")
    assert not allowed(c, "project.delete", "project:42")  # not in the role
    denied = ok(check(c, "project.edit", "project:43"))
    assert denied["allowed"] is False and denied["granted_by"] is None


def test_a_role_on_type_star_allows_on_every_entity_of_the_type(world: World) -> None:
    binding = ok(grant(world.admin, "project:viewer", "*", user_id=world.member.user_id), 201)
    assert binding["entity"] == "project:*"
    c = world.member.client
    for project in ("1", "42", "a-slug"):
        answer = ok(check(c, "project.read", f"project:{project}"))
        assert answer["allowed"], project
        assert answer["granted_by"]["binding_id"] == binding["id"]
        assert answer["granted_by"]["entity"] == "project:*"
    assert not allowed(c, "project.edit", "project:1")
    assert not allowed(c, "widget.read", "org_unit:" + world.sales_id)  # another type


def test_a_role_held_by_a_custom_team_allows_its_members(world: World) -> None:
    granted_by = ok(check(world.custom_team_member.client, "project.edit", "project:9"))[
        "granted_by"
    ]
    assert granted_by["source"] == "team"
    assert granted_by["team_id"] == world.custom_team_id
    assert granted_by["team_name"] == "Project Leads"
    assert granted_by["role"] == "project:editor"
    assert not allowed(world.member.client, "project.edit", "project:9")  # not in the team


def test_a_role_given_to_the_member_team_applies_to_every_active_user(world: World) -> None:
    member_team = world.teams["member"]
    ok(grant(world.admin, "project:viewer", "5", team_id=member_team), 201)
    for who in (world.member, world.auditor, world.custom_team_member):
        granted_by = ok(check(who.client, "project.read", "project:5"))["granted_by"]
        assert granted_by["team_id"] == member_team, who.email
        assert granted_by["team_name"] == "Member"
    # a pending user holds nothing until they accept
    assert not allowed(world.admin, "project.read", "project:5", world.pending_id)


def test_the_predefined_teams_hold_their_organization_roles(world: World) -> None:
    admin = _granted_by(world, "project.delete", "project:7")
    assert (admin["role"], admin["entity"], admin["team_name"]) == (
        "organization:admin",
        "organization:*",
        "Organization Admin",
    )
    auditor = world.auditor.user_id
    assert _granted_by(world, "users.read", "organization", auditor)["role"] == (
        "organization:auditor"
    )
    assert _granted_by(world, "project.read", "project:7", auditor)["team_name"] == "Auditor"
    assert _granted_by(world, "users.manage", "organization", auditor) is None
    user_admin = world.user_admin.user_id
    assert _granted_by(world, "users.manage", f"user:{world.pending_id}", user_admin)
    assert _granted_by(world, "settings.manage", "organization", user_admin) is None
    assert _granted_by(world, "audit.read", "organization", user_admin) is None


def test_a_role_on_an_org_unit_covers_its_sub_units_and_their_users(world: World) -> None:
    """Project Leads hold org_unit:viewer on Engineering; Backend is under it, Sales is not."""
    c = world.custom_team_member.client
    granted_by = ok(check(c, "users.read", f"user:{world.pending_id}"))["granted_by"]
    assert granted_by["role"] == "org_unit:viewer"
    assert granted_by["entity"] == f"org_unit:{world.engineering_id}"
    assert allowed(c, "users.read", f"org_unit:{world.engineering_id}")
    assert allowed(c, "users.read", f"org_unit:{world.backend_id}")
    assert not allowed(c, "users.read", f"org_unit:{world.sales_id}")
    assert not allowed(c, "users.read", f"user:{world.member.user_id}")  # in Sales
    assert not allowed(c, "users.read", "organization")  # a unit is not the whole organization
    assert not allowed(c, "users.manage", f"user:{world.pending_id}")  # viewer only
    # moving the user out of the subtree ends it on the next request
    ok(world.admin.patch(f"/api/v1/users/{world.pending_id}", json={"org_unit_id": world.sales_id}))
    assert not allowed(c, "users.read", f"user:{world.pending_id}")


def test_a_unit_role_on_star_covers_every_unit(world: World) -> None:
    ok(grant(world.admin, "org_unit:viewer", "*", user_id=world.member.user_id), 201)
    c = world.member.client
    assert allowed(c, "users.read", f"org_unit:{world.sales_id}")
    assert allowed(c, "users.read", f"user:{world.pending_id}")


def test_asking_about_someone_else_takes_access_check(world: World) -> None:
    r = check(world.member.client, "project.read", "project:1", world.auditor.user_id)
    assert r.status_code == 403, r.text
    assert r.json()["code"] == "not_permitted"
    # about oneself, by one's own id, anyone may ask
    assert ok(check(world.member.client, "project.read", "project:1", world.member.user_id))
    r = check(world.auditor.client, "project.read", "project:1", world.member.user_id)
    assert ok(r)["allowed"] is False


@pytest.mark.parametrize(
    ("entity", "field"),
    [
        ("project", "entity"),
        ("project:*", "entity"),
        ("gizmo:1", "entity"),  # no such entity type
        ("user:not-a-uuid", "entity"),
        ("org_unit:42", "entity"),
    ],
)
def test_a_malformed_entity_is_a_422(world: World, entity: str, field: str) -> None:
    r = check(world.member.client, "project.read", entity)
    assert r.status_code == 422, r.text
    assert field in r.json()["errors"]


def test_a_malformed_permission_is_a_422(world: World) -> None:
    r = check(world.member.client, "Project Read!", "project:1")
    assert r.status_code == 422, r.text
    assert "permission" in r.json()["errors"]


def test_a_user_of_another_organization_is_a_404(world: World) -> None:
    r = check(world.admin, "project.read", "project:1", world.other.pending_id)
    assert r.status_code == 404, r.text
    r = world.admin.post(
        "/api/v1/access/check/batch",
        json={
            "checks": [
                {"permission": "project.read", "entity": "project:1"},
                {"permission": "x.read", "entity": "project:1", "user_id": world.other.pending_id},
            ]
        },
    )
    assert r.status_code == 404, r.text


def test_the_batch_answers_in_order(world: World) -> None:
    ok(grant(world.admin, "project:editor", "2", user_id=world.member.user_id), 201)
    checks = [
        {
            "permission": "project.edit",
            "entity": f"project:{i % 4}",
            "user_id": world.member.user_id,
        }
        for i in range(1000)
    ]
    results = ok(world.admin.post("/api/v1/access/check/batch", json={"checks": checks}))["results"]
    assert len(results) == 1000
    assert [r["entity"] for r in results] == [c["entity"] for c in checks]
    assert [r["allowed"] for r in results] == [i % 4 == 2 for i in range(1000)]
    assert {r["user_id"] for r in results} == {world.member.user_id}


def test_the_batch_mixes_callers_and_entities(world: World) -> None:
    checks = [
        {"permission": "project.edit", "entity": "project:1"},  # the caller, the admin
        {"permission": "project.edit", "entity": "project:1", "user_id": world.member.user_id},
        {
            "permission": "project.edit",
            "entity": "project:1",
            "user_id": world.custom_team_member.user_id,
        },
        {"permission": "users.read", "entity": f"user:{world.pending_id}"},
    ]
    results = ok(world.admin.post("/api/v1/access/check/batch", json={"checks": checks}))["results"]
    assert [r["allowed"] for r in results] == [True, False, True, True]
    assert results[0]["user_id"] == world.org_admin.user_id
    assert results[2]["granted_by"]["team_name"] == "Project Leads"


@pytest.mark.parametrize("count", [0, 1001])
def test_a_batch_outside_1_to_1000_is_a_422(world: World, count: int) -> None:
    checks = [{"permission": "project.read", "entity": "project:1"}] * count
    r = world.admin.post("/api/v1/access/check/batch", json={"checks": checks})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


def test_a_batch_about_others_takes_access_check(world: World) -> None:
    checks = [
        {"permission": "project.read", "entity": "project:1"},
        {"permission": "project.read", "entity": "project:1", "user_id": world.auditor.user_id},
    ]
    r = world.member.client.post("/api/v1/access/check/batch", json={"checks": checks})
    assert r.status_code == 403, r.text


# --- removal: denied on the very next request -------------------------------------------------


def _revoke_binding(world: World, binding_id: str) -> None:
    ok(world.admin.delete(f"/api/v1/role-bindings/{binding_id}"), 204)


def _leave_team(world: World, binding_id: str) -> None:
    ok(
        world.admin.delete(f"/api/v1/teams/{world.custom_team_id}/members/{world.member.user_id}"),
        204,
    )


def _clear_teams(world: World, binding_id: str) -> None:
    ok(world.admin.put(f"/api/v1/users/{world.member.user_id}/teams", json={"team_ids": []}))


def _delete_team(world: World, binding_id: str) -> None:
    ok(world.admin.delete(f"/api/v1/teams/{world.custom_team_id}"), 204)


def _disable_user(world: World, binding_id: str) -> None:
    ok(world.admin.post(f"/api/v1/users/{world.member.user_id}/disable"))


def _delete_role(world: World, binding_id: str) -> None:
    ok(world.admin.delete("/api/v1/entity-types/project/roles/editor"), 204)


REMOVALS: dict[str, tuple[str, Callable[[World, str], None]]] = {
    "revoke the individual binding": ("individual", _revoke_binding),
    "revoke the team's binding": ("team", _revoke_binding),
    "remove from the team": ("team", _leave_team),
    "set the user's teams to none": ("team", _clear_teams),
    "delete the team": ("team", _delete_team),
    "disable the user": ("individual", _disable_user),
    "delete the role": ("individual", _delete_role),
}


@pytest.mark.parametrize("removal", list(REMOVALS))
def test_a_removal_denies_on_the_very_next_request(world: World, removal: str) -> None:
    how, remove = REMOVALS[removal]
    member = world.member.user_id
    if how == "individual":
        binding = ok(grant(world.admin, "project:editor", "77", user_id=member), 201)["id"]
    else:
        world.add_to_team(world.custom_team_id, member)
        bindings = ok(
            world.admin.get("/api/v1/role-bindings", params={"team_id": world.custom_team_id})
        )
        binding = next(b["id"] for b in bindings if b["role"] == "project:editor")
    assert _granted_by(world, "project.edit", "project:77", member)["binding_id"] == binding
    remove(world, binding)
    assert _granted_by(world, "project.edit", "project:77", member) is None
    if removal == "disable the user":
        assert world.member.client.get("/api/v1/me").status_code == 401
    else:
        assert not allowed(world.member.client, "project.edit", "project:77")


def test_a_grant_allows_on_the_very_next_request(world: World) -> None:
    c = world.member.client
    assert not allowed(c, "project.edit", "project:3")
    ok(grant(world.admin, "project:editor", "3", user_id=world.member.user_id), 201)
    assert allowed(c, "project.edit", "project:3")
    # a role's permissions changed take effect at once too
    body = {"name": "Editor", "permissions": ["project.read"]}
    ok(world.admin.put("/api/v1/entity-types/project/roles/editor", json=body))
    assert not allowed(c, "project.edit", "project:3")


def test_an_org_unit_removal_denies_on_the_very_next_request(world: World) -> None:
    c = world.custom_team_member.client
    assert allowed(c, "users.read", f"user:{world.pending_id}")
    bindings = ok(
        world.admin.get("/api/v1/role-bindings", params={"team_id": world.custom_team_id})
    )
    unit_binding = next(b["id"] for b in bindings if b["role"] == "org_unit:viewer")
    ok(world.admin.delete(f"/api/v1/role-bindings/{unit_binding}"), 204)
    assert not allowed(c, "users.read", f"user:{world.pending_id}")
    assert c.get(f"/api/v1/users/{world.pending_id}").status_code == 403


# --- effective access -----------------------------------------------------------------------


def test_effective_access_lists_every_grant_with_its_source(world: World) -> None:
    who = world.custom_team_member
    own = ok(grant(world.admin, "project:editor", "9", user_id=who.user_id), 201)
    access = ok(world.admin.get(f"/api/v1/users/{who.user_id}/access"))
    assert access["user_id"] == who.user_id
    assert access["active"] is True
    grants = {(g["role"], g["entity"], g["source"], g["team_name"]) for g in access["grants"]}
    assert grants == {
        ("project:editor", "project:9", "individual", None),
        ("project:editor", "project:*", "team", "Project Leads"),
        ("org_unit:viewer", f"org_unit:{world.engineering_id}", "team", "Project Leads"),
    }
    by_key = {(p["permission"], p["entity"]): p["sources"] for p in access["permissions"]}
    assert [s["binding_id"] for s in by_key[("project.edit", "project:9")]] == [own["id"]]
    assert [s["source"] for s in by_key[("project.edit", "project:*")]] == ["team"]
    assert ("users.read", f"org_unit:{world.engineering_id}") in by_key
    # the individual grant comes first
    assert access["grants"][0]["source"] == "individual"


def test_effective_access_of_a_predefined_team_member(world: World) -> None:
    access = ok(world.admin.get(f"/api/v1/users/{world.auditor.user_id}/access"))
    [only] = access["grants"]
    assert (only["role"], only["team_name"]) == ("organization:auditor", "Auditor")
    assert {p["permission"] for p in access["permissions"]} == {"*.read", "access.check"}


def test_a_pending_user_s_effective_access_is_empty(world: World) -> None:
    ok(grant(world.admin, "project:editor", "1", user_id=world.pending_id), 201)
    access = ok(world.admin.get(f"/api/v1/users/{world.pending_id}/access"))
    assert access["active"] is False
    assert access["grants"] == [] and access["permissions"] == []


def test_everyone_may_read_their_own_effective_access(world: World) -> None:
    access = ok(world.member.client.get(f"/api/v1/users/{world.member.user_id}/access"))
    assert access["grants"] == []
    r = world.member.client.get(f"/api/v1/users/{world.auditor.user_id}/access")
    assert r.status_code == 403, r.text
    r = world.admin.get(f"/api/v1/users/{world.other.pending_id}/access")
    assert r.status_code == 404, r.text
