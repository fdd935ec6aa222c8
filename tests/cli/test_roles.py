"""``usher roles``: entity types and role bindings through the same services and rules as the
API; roles given to a pending user before they accept; ``users invite --role``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.cli.conftest import Admin, Usher, error_line
from tests.cli.test_teams import World, acting, invite, make_world, refused, register

PROJECT = "roles register-type project --name Project --role viewer=project.read"
EDITOR = "--role editor=project.read,project.edit"


@pytest.fixture
def world(usher: Usher, make_admin: Callable[..., Admin], app: FastAPI) -> World:
    """With the entity type project (viewer, editor) registered."""
    world = make_world(usher, make_admin, app)
    world.ok(usher, f"{PROJECT} {EDITOR}")
    return world


# --- entity types -----------------------------------------------------------------------------


def test_types_equal_the_apis_answer(usher: Usher, world: World, client: TestClient) -> None:
    types = world.ok(usher, "roles types")
    text = usher(f"roles types {acting(world.admin)}")

    assert types == client.get("/api/v1/entity-types").json()
    project = next(t for t in types if t["key"] == "project")
    assert project["builtin"] is False
    assert {r["key"]: r["permissions"] for r in project["roles"]} == {
        "viewer": ["project.read"],
        "editor": ["project.edit", "project.read"],
    }
    assert text.exit_code == 0, text.output
    editor = next(line for line in text.stdout.splitlines() if "project:editor" in line)
    assert "project.edit, project.read" in editor
    assert "organization:admin" in text.stdout
    assert "4 entity types." in text.stdout


def test_register_a_type_from_a_file(
    usher: Usher, world: World, client: TestClient, tmp_path: Path
) -> None:
    roles = [
        {"key": "reader", "name": "Reader", "permissions": ["doc.read"]},
        {"key": "owner", "name": "Owner", "description": "All of it.", "permissions": ["doc.*"]},
    ]
    path = tmp_path / "roles.json"
    path.write_text(json.dumps(roles))

    result = usher(
        f"roles register-type document --name Document --file {path} {acting(world.admin)}"
    )

    assert result.exit_code == 0, result.output
    assert "entity type document (Document); roles: document:owner, document:reader." in (
        result.stdout
    )
    api = client.get("/api/v1/entity-types/document").json()
    assert {r["key"]: (r["description"], r["permissions"]) for r in api["roles"]} == {
        "owner": ("All of it.", ["doc.*"]),
        "reader": ("", ["doc.read"]),
    }


def test_a_bad_file_is_a_usage_error(usher: Usher, world: World, tmp_path: Path) -> None:
    path = tmp_path / "roles.json"
    path.write_text('[{"key": "reader", "permissions": ["doc.read"]}]')
    missing = tmp_path / "none.json"

    unreadable = usher(f"roles register-type doc --file {missing} {acting(world.admin)}")
    unnamed = usher(f"roles register-type doc --file {path} {acting(world.admin)}")

    assert unreadable.exit_code == 2
    assert error_line(unreadable).startswith("Error: --file: cannot read")
    assert unnamed.exit_code == 2
    assert error_line(unnamed) == "Error: --file role reader (name): Field required."


@pytest.mark.parametrize(
    ("options", "code", "message"),
    [
        ("--role editor", 2, "--role: 'editor' is not KEY=PERMISSION,PERMISSION..."),
        ("--role 'editor=Project Edit'", 2, "--role editor (permissions): 'Project Edit' is not"),
        ("--role Editor=project.edit", 2, "--role Editor (key): String should match"),
    ],
)
def test_bad_roles_are_named_as_typed(
    usher: Usher, world: World, options: str, code: int, message: str
) -> None:
    result = usher(f"roles register-type ticket {options} {acting(world.admin)}")

    assert result.exit_code == code, result.output
    assert error_line(result).startswith(f"Error: {message}"), result.stderr


def test_a_taken_or_reserved_type_is_refused(usher: Usher, world: World) -> None:
    taken = usher(f"{PROJECT} {acting(world.admin)}")
    reserved = usher(f"roles register-type team {acting(world.admin)}")

    assert taken.exit_code == 1
    assert error_line(taken) == "Error: The entity type 'project' is registered already."
    assert reserved.exit_code == 1
    assert error_line(reserved) == "Error: 'team' is one of Usher's own entity types."


# --- grant, list, revoke ----------------------------------------------------------------------


def test_grant_to_a_user_and_a_team_then_list_as_the_api_does(
    usher: Usher, world: World, client: TestClient
) -> None:
    platform = world.ok(usher, "teams create Platform")

    to_grace = world.ok(usher, "roles grant project:editor 42", "--user", "grace@acme.io")
    to_team = world.ok(usher, "roles grant project:viewer '*'", "--team", "platform")

    assert to_grace["role"] == "project:editor" and to_grace["entity"] == "project:42"
    assert to_grace["user_id"] == world.grace["id"]
    assert to_team["team_name"] == "Platform" and to_team["entity"] == "project:*"
    by_user = world.ok(usher, "roles list --user grace@acme.io")
    assert (
        by_user == client.get("/api/v1/role-bindings", params={"user_id": world.grace["id"]}).json()
    )
    assert [b["id"] for b in by_user] == [to_grace["id"]]
    by_team = world.ok(usher, "roles list --team Platform")
    assert [b["id"] for b in by_team] == [to_team["id"]]
    assert [b["id"] for b in world.ok(usher, f"roles list --team {platform['id']}")] == [
        to_team["id"]
    ]
    by_type = world.ok(usher, "roles list --type project")
    assert {b["id"] for b in by_type} == {to_grace["id"], to_team["id"]}

    text = usher(f"roles list --type project {acting(world.admin)}")
    assert text.exit_code == 0, text.output
    grace_line = next(line for line in text.stdout.splitlines() if "project:42" in line)
    assert "user grace@acme.io" in grace_line and to_grace["id"] in grace_line
    assert "team Platform" in text.stdout
    assert "2 role bindings." in text.stdout


def test_revoke_by_binding_id_or_by_role_and_holder(
    usher: Usher, world: World, client: TestClient
) -> None:
    first = world.ok(usher, "roles grant project:editor 42", "--user", "grace@acme.io")
    world.ok(usher, "roles grant project:viewer 7", "--user", "grace@acme.io")

    by_id = usher(f"roles revoke {first['id']} {acting(world.admin)}")
    by_role = usher(f"roles revoke project:viewer 7 --user grace@acme.io {acting(world.admin)}")
    again = usher(f"roles revoke project:viewer 7 --user grace@acme.io {acting(world.admin)}")
    gone = usher(f"roles revoke {first['id']} {acting(world.admin)}")

    assert by_id.exit_code == 0, by_id.output
    assert f"Revoked the role binding {first['id']}." in by_id.stdout
    assert by_role.exit_code == 0, by_role.output
    assert "Revoked project:viewer on project:7 from grace@acme.io." in by_role.stdout
    assert client.get("/api/v1/role-bindings", params={"user_id": world.grace["id"]}).json() == []
    assert again.exit_code == 1
    assert error_line(again) == ("Error: grace@acme.io does not hold project:viewer on project:7.")
    assert gone.exit_code == 1
    assert error_line(gone) == "Error: No such role binding in this organization."


def test_revoke_needs_a_binding_id_or_a_whole_role(usher: Usher, world: World) -> None:
    bare = usher(f"roles revoke project:viewer {acting(world.admin)}")
    both = usher(f"roles revoke project:viewer 7 {acting(world.admin)}")

    assert bare.exit_code == 2
    assert "is not a binding id" in error_line(bare)
    assert both.exit_code == 2
    assert error_line(both) == "Error: Give either --user or --team."


def test_a_predefined_teams_own_role_cannot_be_revoked(usher: Usher, world: World) -> None:
    bindings = world.ok(usher, "roles list --team Auditor")

    result = usher(f"roles revoke {bindings[0]['id']} {acting(world.admin)}")

    assert bindings[0]["fixed"] is True
    assert result.exit_code == 1
    assert "predefined team's own role" in error_line(result)


def test_grant_refuses_bad_input_and_a_second_grant(usher: Usher, world: World) -> None:
    world.ok(usher, "roles grant project:editor 42", "--user", "grace@acme.io")

    twice = usher(f"roles grant project:editor 42 --user grace@acme.io {acting(world.admin)}")
    no_role = usher(f"roles grant project:owner 42 --user grace@acme.io {acting(world.admin)}")
    no_subject = usher(f"roles grant project:editor 42 {acting(world.admin)}")
    unscoped = usher(f"roles grant editor 42 --user grace@acme.io {acting(world.admin)}")

    assert twice.exit_code == 1
    assert error_line(twice) == "Error: grace@acme.io already holds project:editor on project:42."
    assert no_role.exit_code == 2
    assert error_line(no_role) == "Error: ROLE: No role 'project:owner' in this organization."
    assert no_subject.exit_code == 2
    assert error_line(no_subject) == "Error: Give either --user or --team."
    assert unscoped.exit_code == 2
    assert error_line(unscoped) == "Error: ROLE: Name the role as type:role, like project:editor."


# --- a pending user's roles; invite with roles ------------------------------------------------


def test_roles_of_a_pending_user_apply_when_they_accept(
    usher: Usher, world: World, app: FastAPI
) -> None:
    granted = world.ok(usher, "roles grant project:editor 42", "--user", "alan@acme.io")
    check = f"access check project.edit project:42 {acting(world.admin)} --user alan@acme.io"

    pending = usher(check)
    register(app, world.alan)
    active = usher(check)

    assert pending.exit_code == 3
    assert active.exit_code == 0, active.output
    assert granted["id"] in active.stdout


def test_invite_with_roles_and_teams(usher: Usher, world: World, app: FastAPI) -> None:
    linus = invite(
        usher,
        world.admin,
        "Linus",
        "linus@acme.io",
        "--role",
        "project:editor=42",
        "--role",
        "project:viewer=*",
        "--team",
        "Auditor",
    )

    bindings = world.ok(usher, "roles list --user linus@acme.io")
    assert {(b["role"], b["entity"]) for b in bindings} == {
        ("project:editor", "project:42"),
        ("project:viewer", "project:*"),
    }
    assert [t["name"] for t in linus["teams"]] == ["Auditor"]
    register(app, linus)
    edit = usher(f"access check project.edit project:42 {acting(world.admin)} --user linus@acme.io")
    assert edit.exit_code == 0, edit.output


@pytest.mark.parametrize(
    ("role", "code", "message"),
    [
        ("project:editor", 2, "Error: --role: 'project:editor' is not ROLE=ENTITY_ID"),
        ("project:owner=42", 2, "Error: --role project:owner=42: No role 'project:owner'"),
        ("organization:admin=42", 2, "Error: --role organization:admin=42: A role on the"),
    ],
)
def test_invite_with_a_bad_role_names_it_and_invites_nobody(
    usher: Usher, world: World, client: TestClient, role: str, code: int, message: str
) -> None:
    result = usher(
        f"users invite {acting(world.admin)} --first-name Linus --last-name Torvalds",
        "--email",
        "linus@acme.io",
        "--role",
        role,
    )

    assert result.exit_code == code, result.output
    assert error_line(result).startswith(message), result.stderr
    assert client.get("/api/v1/users", params={"q": "linus"}).json()["total"] == 0


# --- refusals --------------------------------------------------------------------------------


def test_a_plain_member_may_not_read_or_change_roles(usher: Usher, world: World) -> None:
    grace = acting(world.admin, "grace@acme.io")
    binding = world.ok(usher, "roles grant project:viewer 1", "--user", "alan@acme.io")

    types = usher(f"roles types {grace}")
    listed = usher(f"roles list {grace}")
    registered = usher(f"roles register-type ticket {grace}")
    granted = usher(f"roles grant project:viewer 1 --team Platform {grace}")
    to_self = usher(f"roles grant project:viewer 1 --user grace@acme.io {grace}")
    revoked = usher(f"roles revoke {binding['id']} {grace}")

    for result, permission in (
        (types, "roles.read"),
        (listed, "roles.read"),
        (registered, "entity_types.manage"),
        (to_self, "roles.manage"),
        (revoked, "roles.manage"),
    ):
        assert result.exit_code == 1, result.output
        assert refused(permission).match(error_line(result)), result.stderr
    assert granted.exit_code == 1  # no team Platform, which anyone may find out
    assert "No team named 'Platform'" in error_line(granted)


def test_a_user_admin_cannot_grant_what_they_do_not_hold(usher: Usher, world: World) -> None:
    world.ok(usher, "teams add 'User Admin' grace@acme.io")
    grace = acting(world.admin, "grace@acme.io")

    result = usher(f"roles grant project:editor 42 --user alan@acme.io {grace}")
    admin = usher(f"roles grant organization:admin '*' --user alan@acme.io {grace}")

    assert result.exit_code == 1
    assert error_line(result).startswith(
        "Error: You cannot grant the role project:editor: it gives project.edit, project.read"
    )
    assert admin.exit_code == 1
    # Roles on the whole organization are an Organization Admin's to give.
    assert error_line(admin).startswith("Error: You do not have the admin_teams.manage permission")


def test_fields_are_named_as_the_command_spells_them(usher: Usher, world: World) -> None:
    team_entity = usher(
        f"roles grant team:maintainer nope --user grace@acme.io {acting(world.admin)}"
    )

    assert team_entity.exit_code == 2
    assert error_line(team_entity) == "Error: ENTITY_ID: Give the id of one of your units or teams."
