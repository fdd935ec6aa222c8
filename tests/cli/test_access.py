"""``usher access check|show``: the API's decisions, with the binding that allows each, and an
exit code a script can test (0 allowed, 3 denied, 1 refused, 2 bad input)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from click.testing import Result
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.cli.conftest import Admin, Usher, error_line
from tests.cli.test_teams import World, acting, make_world, refused


@pytest.fixture
def world(usher: Usher, make_admin: Callable[..., Admin], app: FastAPI) -> World:
    """Grace edits project 42 herself and reads every project through the team Platform."""
    world = make_world(usher, make_admin, app)
    world.ok(
        usher,
        "roles register-type project --role viewer=project.read",
        "--role",
        "editor=project.read,project.edit",
    )
    world.ok(usher, "teams create Platform")
    world.ok(usher, "teams add Platform grace@acme.io")
    world.ok(usher, "roles grant project:viewer '*' --team Platform")
    world.ok(usher, "roles grant project:editor 42 --user grace@acme.io")
    return world


def check(usher: Usher, world: World, what: str, *more: str, who: str | None = None) -> Result:
    return usher(f"access check {what} {acting(world.admin, who)}", *more)


# --- check ------------------------------------------------------------------------------------


def test_allowed_exits_0_and_names_the_binding(usher: Usher, world: World) -> None:
    bindings = world.ok(usher, "roles list --user grace@acme.io")

    own = check(usher, world, "project.edit project:42 --user grace@acme.io")
    via_team = check(usher, world, "project.read project:7 --user grace@acme.io")

    assert own.exit_code == 0, own.output
    assert own.stdout.startswith("Allowed: grace@acme.io may project.edit on project:42")
    assert "project:editor on project:42, through their own role" in own.stdout
    assert bindings[0]["id"] in own.stdout
    assert via_team.exit_code == 0, via_team.output
    assert "project:viewer on project:*, through the team Platform" in via_team.stdout


def test_denied_exits_3(usher: Usher, world: World) -> None:
    result = check(usher, world, "project.edit project:7 --user grace@acme.io")
    as_json = check(usher, world, "project.edit project:7 --user grace@acme.io --json")

    assert result.exit_code == 3
    assert result.stdout.strip() == "Denied: grace@acme.io may not project.edit on project:7."
    assert result.stderr == ""
    assert as_json.exit_code == 3
    assert json.loads(as_json.stdout)["allowed"] is False


def test_json_equals_the_apis_answer(usher: Usher, world: World, client: TestClient) -> None:
    for permission, entity in (("project.edit", "project:42"), ("project.edit", "project:9")):
        result = check(usher, world, f"{permission} {entity} --user grace@acme.io --json")

        api = client.post(
            "/api/v1/access/check",
            json={"permission": permission, "entity": entity, "user_id": world.grace["id"]},
        )
        assert result.exit_code in (0, 3), result.output
        assert json.loads(result.stdout) == api.json()


def test_without_user_it_checks_the_acting_member(usher: Usher, world: World) -> None:
    mine = check(usher, world, "project.edit project:42", who="grace@acme.io")
    admin = check(usher, world, "users.manage organization")

    assert mine.exit_code == 0, mine.output
    assert mine.stdout.startswith("Allowed: grace@acme.io may project.edit")
    assert admin.exit_code == 0, admin.output
    assert "organization:admin" in admin.stdout
    assert "the team Organization Admin" in admin.stdout


def test_bad_input_is_a_usage_error(usher: Usher, world: World) -> None:
    no_type = check(usher, world, "project.edit ticket:1")
    no_id = check(usher, world, "project.edit project")
    bad_name = check(usher, world, "'Edit It' project:1")

    assert no_type.exit_code == 2
    assert error_line(no_type) == "Error: ENTITY: No entity type 'ticket' is registered."
    assert no_id.exit_code == 2
    assert error_line(no_id).startswith("Error: ENTITY: Name one entity as type:id")
    assert bad_name.exit_code == 2
    assert error_line(bad_name).startswith("Error: PERMISSION: Use a permission name")


def test_asking_about_someone_else_takes_access_check(usher: Usher, world: World) -> None:
    grace = "grace@acme.io"

    by_id = check(usher, world, f"project.read project:1 --user {world.alan['id']}", who=grace)
    by_email = check(usher, world, "project.read project:1 --user alan@acme.io", who=grace)

    assert by_id.exit_code == 1
    assert refused("access.check").match(error_line(by_id))
    # Finding someone by email is a look-up in the user list, which takes users.read.
    assert by_email.exit_code == 1
    assert refused("users.read").match(error_line(by_email))


# --- show -------------------------------------------------------------------------------------


def test_show_lists_roles_and_permissions_with_their_sources(
    usher: Usher, world: World, client: TestClient
) -> None:
    as_json = world.ok(usher, "access show grace@acme.io")
    text = usher(f"access show grace@acme.io {acting(world.admin)}")

    assert as_json == client.get(f"/api/v1/users/{world.grace['id']}/access").json()
    assert {(g["role"], g["source"]) for g in as_json["grants"]} == {
        ("project:editor", "individual"),
        ("project:viewer", "team"),
    }
    assert text.exit_code == 0, text.output
    assert "Roles of grace@acme.io" in text.stdout
    read = next(
        line for line in text.stdout.splitlines() if "project.read" in line and "42" in line
    )
    assert "own project:editor" in read
    star = next(
        line for line in text.stdout.splitlines() if "project:*" in line and "project.read" in line
    )
    assert "team Platform" in star


def test_show_a_pending_user_says_nothing_is_held_yet(usher: Usher, world: World) -> None:
    world.ok(usher, "roles grant project:editor 42 --user alan@acme.io")

    result = usher(f"access show alan@acme.io {acting(world.admin)}")

    assert result.exit_code == 0, result.output
    assert "alan@acme.io is not active, so holds nothing now" in result.stdout


def test_a_member_may_see_their_own_access_only(usher: Usher, world: World) -> None:
    grace = "grace@acme.io"

    mine = usher(f"access show grace@acme.io {acting(world.admin, grace)}")
    others = usher(f"access show {world.alan['id']} {acting(world.admin, grace)}")

    assert mine.exit_code == 0, mine.output
    assert "project:editor" in mine.stdout
    assert others.exit_code == 1
    assert refused("users.read").match(error_line(others))
