"""``usher teams``: the same answers and the same rules as the API's teams endpoints, acting as
a named member; a pending user's teams set before they accept; ``users invite --team``."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.cli.conftest import Admin, Usher, error_line
from tests.fixtures.factories import accept


def acting(admin: Admin, email: str | None = None) -> str:
    return f"--org {admin.org_slug} --as {email or admin.email}"


def invite(usher: Usher, admin: Admin, first: str, email: str, *more: str) -> Any:
    result = usher(
        f"users invite {acting(admin)} --first-name {first} --last-name Test --email {email}",
        "--method",
        "link",
        "--json",
        *more,
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def register(app: FastAPI, user: Any) -> None:
    with TestClient(app) as them:
        assert accept(them, user["registration_url"]).status_code == 200


def refused(permission: str) -> re.Pattern[str]:
    return re.compile(rf"^Error: You do not have the {re.escape(permission)} permission\b")


@dataclass
class World:
    admin: Admin
    grace: Any  # active, a plain member
    alan: Any  # pending, invited by link

    def ok(self, usher: Usher, command: str, *more: str, who: str | None = None) -> Any:
        """Run as the admin (or ``who``) with --json; the parsed answer."""
        result = usher(f"{command} {acting(self.admin, who)} --json", *more)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)


def make_world(usher: Usher, make_admin: Callable[..., Admin], app: FastAPI) -> World:
    """Ada (admin); Grace (active member); Alan (pending)."""
    admin = make_admin()
    grace = invite(usher, admin, "Grace", "grace@acme.io")
    register(app, grace)
    alan = invite(usher, admin, "Alan", "alan@acme.io")
    return World(admin, grace, alan)


@pytest.fixture
def world(usher: Usher, make_admin: Callable[..., Admin], app: FastAPI) -> World:
    return make_world(usher, make_admin, app)


# --- list, show, create -----------------------------------------------------------------------


def test_create_then_list_and_show_equal_the_apis_answers(
    usher: Usher, world: World, client: TestClient
) -> None:
    created = world.ok(usher, "teams create Platform", "--description", "Runs the platform.")

    listed = world.ok(usher, "teams list")
    shown = world.ok(usher, "teams show platform")  # any case

    assert created["name"] == "Platform" and created["description"] == "Runs the platform."
    assert listed == client.get("/api/v1/teams").json()
    names = {t["name"] for t in listed}
    assert names == {"Organization Admin", "User Admin", "Auditor", "Member", "Platform"}
    assert shown == client.get(f"/api/v1/teams/{created['id']}").json()
    assert world.ok(usher, f"teams show {created['id']}") == shown


def test_list_and_show_print_tables(usher: Usher, world: World) -> None:
    world.ok(usher, "teams create Platform", "--description", "Runs the platform.")
    world.ok(usher, "teams add Platform grace@acme.io alan@acme.io")

    listed = usher(f"teams list {acting(world.admin)}")
    shown = usher(f"teams show PLATFORM {acting(world.admin)}")
    admins = usher(f"teams show 'organization admin' {acting(world.admin)}")

    assert listed.exit_code == 0, listed.output
    platform = next(line for line in listed.stdout.splitlines() if "Platform" in line)
    assert "2" in platform and "custom" in platform and "Runs the platform." in platform
    assert "5 teams." in listed.stdout
    assert shown.exit_code == 0, shown.output
    assert "Members (2 members)" in shown.stdout
    assert "grace@acme.io" in shown.stdout and "pending" in shown.stdout
    assert "Roles: none" in shown.stdout
    assert admins.exit_code == 0, admins.output
    assert "organization:admin" in admins.stdout and "(fixed)" in admins.stdout


def test_a_taken_or_empty_name_is_refused(usher: Usher, world: World) -> None:
    world.ok(usher, "teams create Platform")

    taken = usher(f"teams create PLATFORM {acting(world.admin)}")
    empty = usher(f"teams create ' ' {acting(world.admin)}")

    assert taken.exit_code == 1
    assert error_line(taken) == "Error: A team named PLATFORM already exists."
    assert empty.exit_code == 2
    assert error_line(empty) == "Error: NAME: Give the team a name."


def test_an_unknown_team_is_named_in_the_error(usher: Usher, world: World) -> None:
    result = usher(f"teams show Nobody {acting(world.admin)}")

    assert result.exit_code == 1
    assert error_line(result).startswith("Error: No team named 'Nobody' in this organization")


# --- rename, describe, delete -----------------------------------------------------------------


def test_rename_and_describe_a_custom_team(usher: Usher, world: World, client: TestClient) -> None:
    team = world.ok(usher, "teams create Platform")

    renamed = usher(f"teams rename platform Infrastructure {acting(world.admin)}")
    described = usher(f"teams describe infrastructure 'Keeps the lights on.' {acting(world.admin)}")

    assert renamed.exit_code == 0, renamed.output
    assert "Renamed the team Platform to Infrastructure." in renamed.stdout
    assert described.exit_code == 0, described.output
    api = client.get(f"/api/v1/teams/{team['id']}").json()
    assert api["name"] == "Infrastructure"
    assert api["description"] == "Keeps the lights on."


def test_a_predefined_team_cannot_be_renamed_or_deleted(usher: Usher, world: World) -> None:
    renamed = usher(f"teams rename Auditor Readers {acting(world.admin)}")
    deleted = usher(f"teams delete auditor --yes {acting(world.admin)}")

    for result in (renamed, deleted):
        assert result.exit_code == 1
        assert error_line(result) == (
            "Error: Auditor is a predefined team; it cannot be renamed or deleted."
        )


def test_delete_asks_for_yes_off_a_terminal_then_deletes(
    usher: Usher, world: World, client: TestClient
) -> None:
    team = world.ok(usher, "teams create Platform")
    world.ok(usher, "teams add Platform grace@acme.io")

    unconfirmed = usher(f"teams delete Platform {acting(world.admin)}")
    deleted = usher(f"teams delete Platform --yes {acting(world.admin)}")

    assert unconfirmed.exit_code == 2
    assert "Pass --yes" in error_line(unconfirmed)
    assert deleted.exit_code == 0, deleted.output
    assert "Deleted the team Platform: 1 member(s) left it" in deleted.stdout
    assert client.get(f"/api/v1/teams/{team['id']}").status_code == 404


# --- members ----------------------------------------------------------------------------------


def test_add_and_remove_members_by_email_or_id(
    usher: Usher, world: World, client: TestClient
) -> None:
    team = world.ok(usher, "teams create Platform")

    added = world.ok(usher, f"teams add Platform grace@acme.io {world.alan['id']}")
    again = usher(f"teams add Platform GRACE@acme.io {acting(world.admin)}")
    unconfirmed = usher(f"teams remove Platform grace@acme.io {acting(world.admin)}")
    removed = usher(f"teams remove Platform grace@acme.io --yes {acting(world.admin)}")
    not_in = usher(f"teams remove Platform grace@acme.io --yes {acting(world.admin)}")

    assert {m["email"] for m in added} == {"grace@acme.io", "alan@acme.io"}
    assert again.exit_code == 0, again.output
    assert "1 of them was in Platform already." in again.stdout
    assert unconfirmed.exit_code == 2
    assert removed.exit_code == 0, removed.output
    assert "Removed grace@acme.io from Platform." in removed.stdout
    members = client.get(f"/api/v1/teams/{team['id']}").json()["members"]
    assert [m["email"] for m in members] == ["alan@acme.io"]
    assert not_in.exit_code == 1
    assert error_line(not_in) == "Error: That user is not a member of Platform."


def test_an_unknown_user_is_refused(usher: Usher, world: World) -> None:
    world.ok(usher, "teams create Platform")

    unknown = usher(f"teams add Platform nobody@acme.io {acting(world.admin)}")
    garbled = usher(f"teams add Platform nobody {acting(world.admin)}")

    assert unknown.exit_code == 1
    assert error_line(unknown) == (
        "Error: No user with the email nobody@acme.io in this organization."
    )
    assert garbled.exit_code == 2
    assert "is neither a user id nor an email" in error_line(garbled)


def test_the_last_organization_admin_cannot_leave_the_team(usher: Usher, world: World) -> None:
    result = usher(f"teams remove 'Organization Admin' ada@acme.io --yes {acting(world.admin)}")

    assert result.exit_code == 1
    assert "ada@acme.io is the last active Organization Admin" in error_line(result)


def test_member_team_membership_is_fixed(usher: Usher, world: World) -> None:
    result = usher(f"teams add Member grace@acme.io {acting(world.admin)}")

    assert result.exit_code == 1
    assert "Everyone is a member of Member" in error_line(result)


# --- a pending user's teams; invite with teams ------------------------------------------------


def test_set_for_a_pending_user_applies_when_they_accept(
    usher: Usher, world: World, client: TestClient, app: FastAPI
) -> None:
    world.ok(usher, "teams create Platform")
    world.ok(usher, "teams create Data")

    teams = world.ok(usher, "teams set-for alan@acme.io platform Data Auditor")
    narrowed = usher(f"teams set-for alan@acme.io Auditor {acting(world.admin)}")

    assert {t["name"] for t in teams} == {"Platform", "Data", "Auditor"}
    assert narrowed.exit_code == 0, narrowed.output
    assert "alan@acme.io's teams: Auditor." in narrowed.stdout
    user = client.get(f"/api/v1/users/{world.alan['id']}").json()
    assert user["status"] == "pending"
    assert [t["name"] for t in user["teams"]] == ["Auditor"]
    # Nothing held while pending; the Auditor team's role once they accept.
    before = usher(
        f"access check audit.read organization {acting(world.admin)}", "--user", "alan@acme.io"
    )
    register(app, world.alan)
    after = usher(
        f"access check audit.read organization {acting(world.admin)}", "--user", "alan@acme.io"
    )
    assert before.exit_code == 3
    assert after.exit_code == 0, after.output
    assert "through the team Auditor" in after.stdout


def test_set_for_needs_teams_or_none(usher: Usher, world: World, client: TestClient) -> None:
    world.ok(usher, "teams set-for alan@acme.io Auditor")

    bare = usher(f"teams set-for alan@acme.io {acting(world.admin)}")
    cleared = usher(f"teams set-for alan@acme.io --none {acting(world.admin)}")

    assert bare.exit_code == 2
    assert "--none" in error_line(bare)
    assert cleared.exit_code == 0, cleared.output
    assert client.get(f"/api/v1/users/{world.alan['id']}").json()["teams"] == []


def test_invite_with_teams_by_name(usher: Usher, world: World, client: TestClient) -> None:
    world.ok(usher, "teams create Platform")

    linus = invite(
        usher, world.admin, "Linus", "linus@acme.io", "--team", "platform", "--team", "Auditor"
    )
    text = usher(
        f"users invite {acting(world.admin)} --first-name Ken --last-name Thompson",
        "--email",
        "ken@acme.io",
        "--method",
        "link",
        "--team",
        "Platform",
    )
    unknown = usher(
        f"users invite {acting(world.admin)} --first-name Dennis --last-name Ritchie",
        "--email",
        "dennis@acme.io",
        "--team",
        "Nobody",
    )

    assert {t["name"] for t in linus["teams"]} == {"Platform", "Auditor"}
    api = client.get(f"/api/v1/users/{linus['id']}").json()
    assert {t["name"] for t in api["teams"]} == {"Platform", "Auditor"}
    assert text.exit_code == 0, text.output
    assert "Once they accept: teams Platform; roles none." in text.stdout
    assert unknown.exit_code == 1
    assert "No team named 'Nobody'" in error_line(unknown)
    assert client.get("/api/v1/users", params={"q": "dennis"}).json()["total"] == 0


# --- refusals --------------------------------------------------------------------------------


def test_a_plain_member_may_list_teams_but_not_change_them(usher: Usher, world: World) -> None:
    world.ok(usher, "teams create Platform")
    grace = "grace@acme.io"

    listed = usher(f"teams list {acting(world.admin, grace)}")
    created = usher(f"teams create Ops {acting(world.admin, grace)}")
    shown = usher(f"teams show Platform {acting(world.admin, grace)}")
    added = usher(f"teams add Platform {world.grace['id']} {acting(world.admin, grace)}")
    set_for = usher(f"teams set-for {world.grace['id']} Platform {acting(world.admin, grace)}")
    deleted = usher(f"teams delete Platform --yes {acting(world.admin, grace)}")

    assert listed.exit_code == 0, listed.output
    assert created.exit_code == 1
    assert refused("teams.manage").match(error_line(created))
    assert shown.exit_code == 1
    assert refused("teams.read").match(error_line(shown))
    for result in (added, set_for, deleted):
        assert result.exit_code == 1
        assert refused("teams.manage").match(error_line(result)), result.stderr


def test_a_user_admin_cannot_change_the_admin_teams(
    usher: Usher, world: World, client: TestClient
) -> None:
    world.ok(usher, "teams add 'User Admin' grace@acme.io")

    result = usher(
        f"teams add 'Organization Admin' alan@acme.io {acting(world.admin, 'grace@acme.io')}"
    )
    fine = usher(f"teams create Ops {acting(world.admin, 'grace@acme.io')}")

    assert result.exit_code == 1
    assert refused("admin_teams.manage").match(error_line(result))
    assert fine.exit_code == 0, fine.output


def test_acting_as_someone_unknown_is_refused(usher: Usher, world: World) -> None:
    result = usher(f"teams list --org {world.admin.org_slug} --as nobody@acme.io")

    assert result.exit_code == 1
    assert error_line(result).startswith("Error: No user with the email nobody@acme.io")
